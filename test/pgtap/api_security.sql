-- Security contract: every function written in SQL or PL/pgSQL pins its
-- search_path; the SECURITY DEFINER functions are exactly the job, source
-- and delivery API, pin their search_path and are not executable by PUBLIC (a
-- DBA grants them); the extension's tables are not writable by PUBLIC.
BEGIN;
CREATE EXTENSION IF NOT EXISTS crm_marketing;
SELECT plan(6);

SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
          'every SQL and PL/pgSQL function of crm pins search_path')
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.pronamespace = 'crm'::regnamespace AND l.lanname IN ('sql', 'plpgsql')
  AND NOT coalesce(EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%'), false);

SELECT is(array_agg(p.proname::text ORDER BY p.proname), ARRAY[
            'alter_job_owner', 'claim_messages', 'create_campaign', 'create_frequency_cap', 'create_segment',
            'disable_sending', 'drop_campaign', 'drop_segment', 'enable_sending',
            'pause_campaign', 'refresh_segment', 'register_source', 'report_delivery', 'resume_campaign',
            'run_campaign', 'run_maintenance', 'suppress', 'unsuppress'],
          'SECURITY DEFINER: only the job, source, suppression and delivery API')
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

-- internal helpers (named _*) are not callable by PUBLIC, except the ones that
-- only format SQL text or read the catalogs for the caller-rights BI and
-- report functions (which must call them with the caller's rights)
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
          'no internal helper with privileges is executable by PUBLIC')
FROM pg_proc p
WHERE p.pronamespace = 'crm'::regnamespace AND p.proname LIKE '\_%'
  AND has_function_privilege('public', p.oid, 'EXECUTE')
  AND p.proname NOT IN ('_rfm_query', '_cohort_query', '_check_source_column', '_view_target', '_orders_source');

SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
          'the helpers PUBLIC may call are plain SQL or PL/pgSQL, neither SECURITY DEFINER nor C')
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.pronamespace = 'crm'::regnamespace
  AND p.proname IN ('_rfm_query', '_cohort_query', '_check_source_column', '_view_target', '_orders_source')
  AND (p.prosecdef OR l.lanname NOT IN ('sql', 'plpgsql'));

SELECT * FROM finish();
ROLLBACK;
