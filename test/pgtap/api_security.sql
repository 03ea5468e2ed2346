-- Security contract: every function written in SQL or PL/pgSQL pins its
-- search_path; the SECURITY DEFINER functions are exactly the job, source
-- and delivery API, pin their search_path and are not executable by PUBLIC (a
-- DBA grants them); the extension's tables are not writable by PUBLIC.
BEGIN;
CREATE EXTENSION IF NOT EXISTS crm_marketing;
SELECT plan(4);

SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
          'every SQL and PL/pgSQL function of crm pins search_path')
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.pronamespace = 'crm'::regnamespace AND l.lanname IN ('sql', 'plpgsql')
  AND NOT coalesce(EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%'), false);

SELECT is(array_agg(p.proname::text ORDER BY p.proname), ARRAY[
            'claim_messages', 'create_campaign', 'create_segment', 'drop_campaign', 'drop_segment',
            'pause_campaign', 'refresh_segment', 'register_source', 'report_delivery', 'resume_campaign',
            'run_campaign', 'run_maintenance'], 'SECURITY DEFINER: only the job, source and delivery API')
FROM pg_proc p WHERE p.pronamespace = 'crm'::regnamespace AND p.prosecdef;

SELECT is(array_agg(p.oid::regprocedure::text), NULL,
          'every SECURITY DEFINER function pins search_path and is not executable by PUBLIC')
FROM pg_proc p
WHERE p.pronamespace = 'crm'::regnamespace AND p.prosecdef
  AND (has_function_privilege('public', p.oid, 'EXECUTE')
       OR NOT coalesce(EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%'), false));

SELECT is(array_agg(c.relname::text), NULL, 'no table of crm is writable by PUBLIC')
FROM pg_class c
WHERE c.relnamespace = 'crm'::regnamespace AND c.relkind IN ('r', 'v', 'p')
  AND (has_table_privilege('public', c.oid, 'INSERT') OR has_table_privilege('public', c.oid, 'UPDATE')
       OR has_table_privilege('public', c.oid, 'DELETE'));

SELECT * FROM finish();
ROLLBACK;
