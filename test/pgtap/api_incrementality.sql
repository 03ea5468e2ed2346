-- API contract of campaign incrementality: CUPED, p_adjust, sequential tests,
-- sources, the campaign report and the BI view.
BEGIN;
CREATE EXTENSION IF NOT EXISTS crm_marketing;
SELECT plan(14);

SELECT is_aggregate('crm', 'uplift_ttest_cuped', ARRAY['boolean', 'double precision', 'double precision']);
SELECT is_aggregate('crm', 'uplift_ttest_cuped', ARRAY['boolean', 'double precision', 'double precision', 'double precision']);
SELECT is(
  (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
   WHERE a.attrelid = 'crm.ttest_cuped_result'::regclass AND a.attnum > 0),
  (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
   WHERE a.attrelid = 'crm.ttest_result'::regclass AND a.attnum > 0) || ARRAY['theta', 'variance_reduction'],
  'ttest_cuped_result: the ttest_result columns, then theta and variance_reduction');
SELECT function_returns('crm', 'p_adjust', ARRAY['double precision[]', 'text'], 'double precision[]');
SELECT function_returns('crm', 'sequential_test', ARRAY['double precision', 'double precision', 'double precision', 'double precision'],
                        'crm.sequential_result');
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
          'p_adjust and sequential_test are IMMUTABLE STRICT PARALLEL SAFE')
FROM pg_proc p WHERE p.pronamespace = 'crm'::regnamespace AND p.proname IN ('p_adjust', 'sequential_test')
  AND (p.provolatile <> 'i' OR NOT p.proisstrict OR p.proparallel <> 's');

SELECT has_table('crm', 'sources', 'crm.sources holds the registered tables');
SELECT ok((SELECT 'crm.sources'::regclass = ANY (extconfig) FROM pg_extension WHERE extname = 'crm_marketing'),
          'crm.sources is dumped by pg_dump');
SELECT ok(NOT has_function_privilege('public', 'crm.register_source(text,regclass,name,name,name,name,name)', 'EXECUTE'),
          'register_source is not executable by PUBLIC');
SELECT ok((SELECT prosecdef AND proconfig @> ARRAY['search_path=pg_catalog, pg_temp']
           FROM pg_proc WHERE oid = 'crm.register_source(text,regclass,name,name,name,name,name)'::regprocedure),
          'register_source: SECURITY DEFINER with a pinned search_path');
SELECT ok((SELECT NOT prosecdef AND provolatile = 's' AND proconfig @> ARRAY['search_path=pg_catalog, pg_temp']
           FROM pg_proc WHERE oid = 'crm.campaign_report(text,interval,interval,float8,float8)'::regprocedure),
          'campaign_report: runs with the caller''s privileges, STABLE, pinned search_path');
SELECT is(pg_get_function_arguments('crm.campaign_report(text,interval,interval,float8,float8)'::regprocedure),
          'campaign text, attribution_window interval DEFAULT ''7 days''::interval, pre_period interval DEFAULT NULL::interval, mixture_sd double precision DEFAULT NULL::double precision, confidence double precision DEFAULT 0.95',
          'campaign_report arguments');
SELECT has_view('crm', 'campaign_performance', 'the BI view crm.campaign_performance');
SELECT is(
  (SELECT array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum) FILTER (WHERE a.attname IN
     ('sent', 'delivered', 'open_rate', 'click_through_rate', 'click_to_open_rate', 'verdict', 'share_of_revenue'))
   FROM pg_attribute a WHERE a.attrelid = 'crm.campaign_performance'::regclass AND a.attnum > 0),
  ARRAY['bigint', 'bigint', 'double precision', 'double precision', 'double precision', 'text', 'double precision'],
  'campaign_performance: plain typed funnel and verdict columns');

SELECT * FROM finish();
ROLLBACK;
