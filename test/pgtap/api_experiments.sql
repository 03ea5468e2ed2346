-- API contract of the experiment statistics (doc/reference/stats.md): names, signatures,
-- result columns and types, volatility, strictness, parallel safety, and
-- aggregates with combine functions over plain float8[] states.
BEGIN;
CREATE EXTENSION IF NOT EXISTS crm_marketing;
SELECT plan(33);

SELECT has_schema('crm');
SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'crm_marketing'), false,
          'the extension is not relocatable');

-- scalar functions: signature, return type, IMMUTABLE STRICT PARALLEL SAFE
SELECT function_returns('crm', 'normal_cdf', ARRAY['double precision'], 'double precision');
SELECT function_returns('crm', 'normal_quantile', ARRAY['double precision'], 'double precision');
SELECT function_returns('crm', 'student_t_cdf', ARRAY['double precision', 'double precision'], 'double precision');
SELECT function_returns('crm', 'student_t_quantile', ARRAY['double precision', 'double precision'], 'double precision');
SELECT function_returns('crm', 'chi2_sf', ARRAY['double precision', 'double precision'], 'double precision');
SELECT function_returns('crm', 'srm_test', ARRAY['bigint', 'bigint', 'double precision'], 'double precision');
SELECT function_returns('crm', 'ttest_sample_size', ARRAY['double precision', 'double precision', 'double precision', 'double precision'], 'bigint');
SELECT function_returns('crm', 'ztest_sample_size', ARRAY['double precision', 'double precision', 'double precision', 'double precision'], 'bigint');

SELECT is(array_agg(p.proname::text ORDER BY p.proname), NULL,
          'every scalar function is IMMUTABLE STRICT PARALLEL SAFE')
FROM pg_proc p
WHERE p.pronamespace = 'crm'::regnamespace AND p.prokind = 'f'
  AND p.proname IN ('normal_cdf', 'normal_quantile', 'student_t_cdf', 'student_t_quantile', 'chi2_sf',
                    'srm_test', 'ttest_sample_size', 'ztest_sample_size')
  AND NOT (p.provolatile = 'i' AND p.proisstrict AND p.proparallel = 's');

-- argument names and defaults, as documented in doc/reference/stats.md
SELECT is(pg_get_function_arguments('crm.srm_test(bigint, bigint, float8)'::regprocedure),
          'n_treatment bigint, n_control bigint, expected_treatment_share double precision DEFAULT 0.5',
          'srm_test arguments');
SELECT is(pg_get_function_arguments('crm.ttest_sample_size(float8, float8, float8, float8)'::regprocedure),
          'sd double precision, mde double precision, alpha double precision DEFAULT 0.05, power double precision DEFAULT 0.8',
          'ttest_sample_size arguments');
SELECT is(pg_get_function_arguments('crm.ztest_sample_size(float8, float8, float8, float8)'::regprocedure),
          'base_rate double precision, mde double precision, alpha double precision DEFAULT 0.05, power double precision DEFAULT 0.8',
          'ztest_sample_size arguments');

-- aggregates and their overloads
SELECT is_aggregate('crm', 'uplift_ttest', ARRAY['boolean', 'double precision']);
SELECT is_aggregate('crm', 'uplift_ttest', ARRAY['boolean', 'double precision', 'double precision']);
SELECT is_aggregate('crm', 'uplift_ttest', ARRAY['boolean', 'numeric']);
SELECT is_aggregate('crm', 'uplift_ttest', ARRAY['boolean', 'numeric', 'double precision']);
SELECT is_aggregate('crm', 'uplift_ztest', ARRAY['boolean', 'boolean']);
SELECT is_aggregate('crm', 'uplift_ztest', ARRAY['boolean', 'boolean', 'double precision']);
SELECT is_aggregate('crm', 'nps', ARRAY['integer']);
SELECT is_aggregate('crm', 'nps', ARRAY['integer', 'double precision']);

SELECT is(array_agg(a.aggfnoid::text ORDER BY a.aggfnoid::text), NULL,
          'every aggregate has a combine function, a float8[] state and PARALLEL SAFE')
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.pronamespace = 'crm'::regnamespace
  AND p.proname IN ('uplift_ttest', 'uplift_ztest', 'nps')
  AND NOT (a.aggcombinefn <> 0 AND a.aggtranstype = 'float8[]'::regtype AND p.proparallel = 's');

SELECT is(array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text), NULL,
          'every support function of the aggregates is PARALLEL SAFE and IMMUTABLE')
FROM pg_aggregate a JOIN pg_proc f ON f.oid = a.aggfnoid
CROSS JOIN LATERAL (VALUES (a.aggtransfn), (a.aggcombinefn), (a.aggfinalfn)) s(fn)
JOIN pg_proc p ON p.oid = s.fn
WHERE f.pronamespace = 'crm'::regnamespace AND f.proname IN ('uplift_ttest', 'uplift_ztest', 'nps')
  AND NOT (p.proparallel = 's' AND p.provolatile = 'i');

SELECT is(
  (SELECT array_agg(a.aggfnoid::regprocedure::text || ' -> ' || format_type(p.prorettype, NULL)
                    ORDER BY a.aggfnoid::regprocedure::text)
   FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
   WHERE p.pronamespace = 'crm'::regnamespace AND p.proname IN ('uplift_ttest', 'uplift_ztest', 'nps')),
  ARRAY['crm.nps(integer) -> crm.nps_result',
        'crm.nps(integer,double precision) -> crm.nps_result',
        'crm.uplift_ttest(boolean,double precision) -> crm.ttest_result',
        'crm.uplift_ttest(boolean,double precision,double precision) -> crm.ttest_result',
        'crm.uplift_ttest(boolean,numeric) -> crm.ttest_result',
        'crm.uplift_ttest(boolean,numeric,double precision) -> crm.ttest_result',
        'crm.uplift_ztest(boolean,boolean) -> crm.ztest_result',
        'crm.uplift_ztest(boolean,boolean,double precision) -> crm.ztest_result'],
  'aggregates and their result types');

-- result types: columns, in order, with their types (doc/reference/stats.md)
CREATE TEMP VIEW result_columns AS
SELECT c.relname::text AS type_name, a.attnum, a.attname::text COLLATE "default" AS attname,
       format_type(a.atttypid, a.atttypmod) AS type
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind = 'c' AND a.attnum > 0;

SELECT has_type('crm', 'ttest_result', 'type crm.ttest_result');
SELECT results_eq(
  $$SELECT attname, type FROM result_columns WHERE type_name = 'ttest_result' ORDER BY attnum$$,
  $$VALUES ('n_treatment', 'bigint'), ('n_control', 'bigint'),
           ('mean_treatment', 'double precision'), ('mean_control', 'double precision'),
           ('sd_treatment', 'double precision'), ('sd_control', 'double precision'),
           ('uplift', 'double precision'), ('uplift_ci_low', 'double precision'), ('uplift_ci_high', 'double precision'),
           ('lift', 'double precision'), ('lift_ci_low', 'double precision'), ('lift_ci_high', 'double precision'),
           ('t_stat', 'double precision'), ('df', 'double precision'), ('p_value', 'double precision'),
           ('incremental_total', 'double precision'), ('incremental_ci_low', 'double precision'),
           ('incremental_ci_high', 'double precision')$$,
  'crm.ttest_result columns');

SELECT has_type('crm', 'ztest_result', 'type crm.ztest_result');
SELECT results_eq(
  $$SELECT attname, type FROM result_columns WHERE type_name = 'ztest_result' ORDER BY attnum$$,
  $$VALUES ('n_treatment', 'bigint'), ('n_control', 'bigint'),
           ('conversions_treatment', 'bigint'), ('conversions_control', 'bigint'),
           ('rate_treatment', 'double precision'), ('rate_control', 'double precision'),
           ('uplift', 'double precision'), ('uplift_ci_low', 'double precision'), ('uplift_ci_high', 'double precision'),
           ('lift', 'double precision'), ('lift_ci_low', 'double precision'), ('lift_ci_high', 'double precision'),
           ('z_stat', 'double precision'), ('p_value', 'double precision')$$,
  'crm.ztest_result columns');

SELECT has_type('crm', 'nps_result', 'type crm.nps_result');
SELECT results_eq(
  $$SELECT attname, type FROM result_columns WHERE type_name = 'nps_result' ORDER BY attnum$$,
  $$VALUES ('responses', 'bigint'), ('promoters', 'bigint'), ('passives', 'bigint'), ('detractors', 'bigint'),
           ('nps', 'double precision'), ('margin_of_error', 'double precision'),
           ('ci_low', 'double precision'), ('ci_high', 'double precision')$$,
  'crm.nps_result columns');

-- (f(...)).* expands into plain columns
SELECT results_eq(
  $$SELECT n_treatment, n_control FROM (SELECT (crm.uplift_ttest(v > 1, v::float8)).* FROM generate_series(1, 4) v) r$$,
  $$VALUES (3::bigint, 1::bigint)$$,
  'a ttest result expands into columns');

-- every function has a comment (psql \df+ and BI tools show it)
SELECT is(array_agg(p.oid::regprocedure::text), NULL, 'every public function and aggregate has a comment')
FROM pg_proc p
WHERE p.pronamespace = 'crm'::regnamespace AND p.proname !~ '^_|_(transfn|combine|final|serialize|deserialize)$'
  AND obj_description(p.oid, 'pg_proc') IS NULL;

SELECT * FROM finish();
ROLLBACK;
