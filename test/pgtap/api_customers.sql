-- API contract of RFM, cohorts and KPIs (doc/reference/customers.md): names, signatures, result
-- columns, volatility, parallel safety, window/aggregate kinds, combine and
-- serialize functions.
BEGIN;
CREATE EXTENSION IF NOT EXISTS crm_marketing;
SELECT plan(22);

-- rfm_score: four window functions returning crm.rfm
SELECT is(
  (SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text)
   FROM pg_proc p WHERE p.pronamespace = 'crm'::regnamespace AND p.proname = 'rfm_score'
     AND p.prokind = 'w' AND p.prorettype = 'crm.rfm'::regtype AND p.proparallel = 's'),
  ARRAY['crm.rfm_score(double precision,double precision,double precision)',
        'crm.rfm_score(double precision,double precision,double precision,integer)',
        'crm.rfm_score(timestamp with time zone,double precision,double precision)',
        'crm.rfm_score(timestamp with time zone,double precision,double precision,integer)'],
  'rfm_score: window functions returning crm.rfm, parallel safe');

SELECT has_type('crm', 'rfm', 'type crm.rfm');
SELECT results_eq(
  $$SELECT a.attname::text COLLATE "default", format_type(a.atttypid, a.atttypmod)
    FROM pg_attribute a WHERE a.attrelid = 'crm.rfm'::regclass AND a.attnum > 0 ORDER BY a.attnum$$,
  $$VALUES ('r', 'smallint'), ('f', 'smallint'), ('m', 'smallint'), ('cell', 'text'), ('segment', 'text')$$,
  'crm.rfm columns');

SELECT function_returns('crm', 'rfm_segment', ARRAY['integer', 'integer', 'integer', 'text'], 'text');
SELECT volatility_is('crm', 'rfm_segment', ARRAY['integer', 'integer', 'integer', 'text'], 'stable',
                     'rfm_segment is STABLE (it reads user schemes)');
SELECT is(pg_get_function_arguments('crm.rfm_segment(int, int, int, text)'::regprocedure),
          'r integer, f integer, m integer, scheme text DEFAULT ''rfm11''::text', 'rfm_segment arguments');
SELECT has_table('crm', 'rfm_segment_map', 'user schemes live in crm.rfm_segment_map');
SELECT ok((SELECT 'crm.rfm_segment_map'::regclass = ANY (extconfig) FROM pg_extension WHERE extname = 'crm_marketing'),
          'crm.rfm_segment_map is dumped by pg_dump');

-- cohort_retention: six aggregates, bigint and text ids, with and without amounts
SELECT is_aggregate('crm', 'cohort_retention', ARRAY['bigint', 'timestamp with time zone', 'text']);
SELECT is_aggregate('crm', 'cohort_retention', ARRAY['bigint', 'timestamp with time zone', 'text', 'double precision']);
SELECT is_aggregate('crm', 'cohort_retention', ARRAY['bigint', 'timestamp with time zone', 'text', 'numeric']);
SELECT is_aggregate('crm', 'cohort_retention', ARRAY['text', 'timestamp with time zone', 'text']);
SELECT is_aggregate('crm', 'cohort_retention', ARRAY['text', 'timestamp with time zone', 'text', 'double precision']);
SELECT is_aggregate('crm', 'cohort_retention', ARRAY['text', 'timestamp with time zone', 'text', 'numeric']);
SELECT results_eq(
  $$SELECT a.attname::text COLLATE "default", format_type(a.atttypid, a.atttypmod)
    FROM pg_attribute a WHERE a.attrelid = 'crm.cohort_matrix'::regclass AND a.attnum > 0 ORDER BY a.attnum$$,
  $$VALUES ('period', 'text'), ('cohorts', 'date[]'), ('cohort_sizes', 'bigint[]'), ('last_period', 'date'),
           ('retained', 'bigint[]'), ('revenue', 'double precision[]')$$,
  'crm.cohort_matrix columns');
SELECT is(pg_get_function_result('crm.cohort_table(crm.cohort_matrix)'::regprocedure),
          'TABLE(cohort date, period_number integer, cohort_size bigint, retained bigint, retention_rate double precision, revenue double precision, cumulative_revenue_per_customer double precision)',
          'cohort_table columns');
SELECT volatility_is('crm', 'cohort_retention_transfn',
                     ARRAY['internal', 'bigint', 'timestamp with time zone', 'text'], 'stable',
                     'cohort buckets depend on the session time zone: STABLE');

-- customer_kpis: four aggregates
SELECT is_aggregate('crm', 'customer_kpis', ARRAY['bigint', 'timestamp with time zone', 'double precision']);
SELECT is_aggregate('crm', 'customer_kpis', ARRAY['text', 'timestamp with time zone', 'numeric']);
SELECT results_eq(
  $$SELECT a.attname::text COLLATE "default", format_type(a.atttypid, a.atttypmod)
    FROM pg_attribute a WHERE a.attrelid = 'crm.customer_kpis_result'::regclass AND a.attnum > 0 ORDER BY a.attnum$$,
  $$VALUES ('customers', 'bigint'), ('orders', 'bigint'), ('revenue', 'double precision'), ('arpu', 'double precision'),
           ('average_order_value', 'double precision'), ('repeat_customer_rate', 'double precision'),
           ('median_days_between_purchases', 'double precision')$$,
  'crm.customer_kpis_result columns');

-- every aggregate of this family: combine, serialize and deserialize functions, PARALLEL SAFE
SELECT is(array_agg(a.aggfnoid::regprocedure::text), NULL,
          'cohort and KPI aggregates have combine/serialize/deserialize and are PARALLEL SAFE')
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.pronamespace = 'crm'::regnamespace AND p.proname IN ('cohort_retention', 'customer_kpis')
  AND NOT (a.aggcombinefn <> 0 AND a.aggserialfn <> 0 AND a.aggdeserialfn <> 0 AND p.proparallel = 's'
           AND a.aggtranstype = 'internal'::regtype);
SELECT is((SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
           WHERE p.pronamespace = 'crm'::regnamespace AND p.proname IN ('cohort_retention', 'customer_kpis')),
          10, 'ten cohort and KPI aggregates');

SELECT * FROM finish();
ROLLBACK;
