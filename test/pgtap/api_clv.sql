-- API contract of customer lifetime value (doc/reference/clv.md): names, signatures,
-- result columns and types, volatility, strictness, parallel safety, and
-- aggregates with combine and serialize functions.
BEGIN;
CREATE EXTENSION IF NOT EXISTS crm_marketing;
SELECT plan(17);

SELECT results_eq(
  $$SELECT a.attname::text COLLATE "default", format_type(a.atttypid, a.atttypmod)
    FROM pg_attribute a WHERE a.attrelid = 'crm.purchase_summary'::regclass AND a.attnum > 0 ORDER BY a.attnum$$,
  $$VALUES ('frequency', 'integer'), ('recency', 'double precision'), ('tenure', 'double precision'),
           ('monetary_value', 'double precision'), ('orders', 'bigint'), ('revenue', 'double precision'),
           ('first_purchase', 'timestamp with time zone'), ('last_purchase', 'timestamp with time zone')$$,
  'crm.purchase_summary columns');
SELECT results_eq(
  $$SELECT a.attname::text COLLATE "default", format_type(a.atttypid, a.atttypmod)
    FROM pg_attribute a WHERE a.attrelid = 'crm.bgnbd_model'::regclass AND a.attnum > 0 ORDER BY a.attnum$$,
  $$VALUES ('r', 'double precision'), ('alpha', 'double precision'), ('a', 'double precision'), ('b', 'double precision'),
           ('log_likelihood', 'double precision'), ('customers', 'bigint'), ('iterations', 'integer'), ('converged', 'boolean'),
           ('r_se', 'double precision'), ('alpha_se', 'double precision'), ('a_se', 'double precision'), ('b_se', 'double precision')$$,
  'crm.bgnbd_model columns');
SELECT results_eq(
  $$SELECT a.attname::text COLLATE "default", format_type(a.atttypid, a.atttypmod)
    FROM pg_attribute a WHERE a.attrelid = 'crm.pareto_nbd_model'::regclass AND a.attnum > 0 ORDER BY a.attnum$$,
  $$VALUES ('r', 'double precision'), ('alpha', 'double precision'), ('s', 'double precision'), ('beta', 'double precision'),
           ('log_likelihood', 'double precision'), ('customers', 'bigint'), ('iterations', 'integer'), ('converged', 'boolean'),
           ('r_se', 'double precision'), ('alpha_se', 'double precision'), ('s_se', 'double precision'), ('beta_se', 'double precision')$$,
  'crm.pareto_nbd_model columns');
SELECT results_eq(
  $$SELECT a.attname::text COLLATE "default", format_type(a.atttypid, a.atttypmod)
    FROM pg_attribute a WHERE a.attrelid = 'crm.gamma_gamma_model'::regclass AND a.attnum > 0 ORDER BY a.attnum$$,
  $$VALUES ('p', 'double precision'), ('q', 'double precision'), ('v', 'double precision'),
           ('log_likelihood', 'double precision'), ('customers', 'bigint'), ('iterations', 'integer'), ('converged', 'boolean'),
           ('p_se', 'double precision'), ('q_se', 'double precision'), ('v_se', 'double precision')$$,
  'crm.gamma_gamma_model columns');

SELECT is_aggregate('crm', 'purchase_summary', ARRAY['timestamp with time zone', 'double precision', 'timestamp with time zone']);
SELECT is_aggregate('crm', 'purchase_summary', ARRAY['timestamp with time zone', 'double precision', 'timestamp with time zone', 'interval']);
SELECT is_aggregate('crm', 'purchase_summary', ARRAY['timestamp with time zone', 'numeric', 'timestamp with time zone', 'interval']);
SELECT is_aggregate('crm', 'bgnbd_fit', ARRAY['integer', 'double precision', 'double precision']);
SELECT is_aggregate('crm', 'pareto_nbd_fit', ARRAY['integer', 'double precision', 'double precision']);
SELECT is_aggregate('crm', 'gamma_gamma_fit', ARRAY['integer', 'double precision']);

SELECT is(array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text), NULL,
          'every CLV aggregate has combine, serialize and deserialize functions and is parallel safe')
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
WHERE p.pronamespace = 'crm'::regnamespace
  AND p.proname IN ('purchase_summary', 'bgnbd_fit', 'pareto_nbd_fit', 'gamma_gamma_fit')
  AND (a.aggcombinefn = 0 OR a.aggserialfn = 0 OR a.aggdeserialfn = 0 OR p.proparallel <> 's');
SELECT is((SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
           WHERE p.pronamespace = 'crm'::regnamespace
             AND p.proname IN ('purchase_summary', 'bgnbd_fit', 'pareto_nbd_fit', 'gamma_gamma_fit')), 7,
          'seven CLV aggregates');

SELECT is(array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text), NULL,
          'every prediction is IMMUTABLE STRICT PARALLEL SAFE and returns float8')
FROM pg_proc p
WHERE p.pronamespace = 'crm'::regnamespace
  AND p.proname IN ('p_alive', 'expected_purchases', 'purchase_probability', 'expected_spend', 'ltv_estimate')
  AND (p.provolatile <> 'i' OR NOT p.proisstrict OR p.proparallel <> 's' OR p.prorettype <> 'float8'::regtype);
SELECT is(
  (SELECT array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text) FROM pg_proc p
   WHERE p.pronamespace = 'crm'::regnamespace
     AND p.proname IN ('p_alive', 'expected_purchases', 'purchase_probability', 'expected_spend', 'ltv_estimate')),
  ARRAY['crm.expected_purchases(crm.bgnbd_model,double precision)',
        'crm.expected_purchases(crm.bgnbd_model,integer,double precision,double precision,double precision)',
        'crm.expected_purchases(crm.pareto_nbd_model,double precision)',
        'crm.expected_purchases(crm.pareto_nbd_model,integer,double precision,double precision,double precision)',
        'crm.expected_spend(crm.gamma_gamma_model,integer,double precision)',
        'crm.ltv_estimate(crm.bgnbd_model,crm.gamma_gamma_model,integer,double precision,double precision,double precision,double precision,double precision,interval)',
        'crm.ltv_estimate(crm.pareto_nbd_model,crm.gamma_gamma_model,integer,double precision,double precision,double precision,double precision,double precision,interval)',
        'crm.p_alive(crm.bgnbd_model,integer,double precision,double precision)',
        'crm.p_alive(crm.pareto_nbd_model,integer,double precision,double precision)',
        'crm.purchase_probability(crm.bgnbd_model,integer,double precision)',
        'crm.purchase_probability(crm.pareto_nbd_model,integer,double precision)'],
  'prediction signatures, overloaded on the model type');
SELECT is(pg_get_function_arguments('crm.ltv_estimate(crm.bgnbd_model,crm.gamma_gamma_model,int,float8,float8,float8,float8,float8,interval)'::regprocedure),
          'model crm.bgnbd_model, spend_model crm.gamma_gamma_model, frequency integer, recency double precision, tenure double precision, monetary_value double precision, horizon double precision, annual_discount_rate double precision DEFAULT 0, time_unit interval DEFAULT ''1 day''::interval',
          'ltv_estimate arguments and defaults');
SELECT is(pg_get_function_arguments('crm.p_alive(crm.pareto_nbd_model,int,float8,float8)'::regprocedure),
          'model crm.pareto_nbd_model, frequency integer, recency double precision, tenure double precision',
          'p_alive arguments');
SELECT is((SELECT provolatile FROM pg_proc WHERE oid = 'crm.purchase_summary_transfn(internal,timestamptz,float8,timestamptz,interval)'::regprocedure),
          's', 'purchase_summary is STABLE (calendar days of the session time zone)');

SELECT * FROM finish();
ROLLBACK;
