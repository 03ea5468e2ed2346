-- Benchmark of the experiment aggregates (make bench).  Times each query as
-- the median of several runs, in one session, and prints ratios against
-- (a) the plain-SQL formulation of the same numbers and (b) the floor,
-- SELECT count(col) over the same rows.  Absolute times on shared machines
-- are noise; the ratios are the result.
\set ON_ERROR_STOP on
\pset footer off
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_marketing;
SET max_parallel_workers_per_gather = 0;

\if :{?rows}
\else
\set rows 10000000
\endif
\echo Generating :rows rows ...
DROP TABLE IF EXISTS bench_campaign;
CREATE UNLOGGED TABLE bench_campaign AS
SELECT (i % 2 = 0) AS treated,
       ((i * 40503) % 10007) / 100.0::float8 + CASE WHEN i % 2 = 0 THEN 0.3 ELSE 0 END AS revenue,
       (i * 69069) % 1000 < 50 + (i % 2) * 5 AS converted,
       ((i * 1103515245) % 11)::int AS score
FROM generate_series(1::bigint, :rows) i;
VACUUM ANALYZE bench_campaign;

\ir bench_lib.sql

CREATE TEMP TABLE bench_queries (family text, variant text, query text);
INSERT INTO bench_queries VALUES
('floor', 'count(revenue)', $q$SELECT count(revenue) FROM bench_campaign$q$),
('uplift_ttest', 'crm', $q$SELECT crm.uplift_ttest(treated, revenue) FROM bench_campaign$q$),
('uplift_ttest', 'plain SQL', $q$
	SELECT diff / se AS t, df, 2 * crm.student_t_cdf(-abs(diff / se), df) AS p
	FROM (SELECT diff, sqrt(a + b) AS se, (a + b) ^ 2 / (a ^ 2 / (nt - 1) + b ^ 2 / (nc - 1)) AS df
	      FROM (SELECT mt - mc AS diff, vt / nt AS a, vc / nc AS b, nt, nc
	            FROM (SELECT count(revenue) FILTER (WHERE treated) AS nt, count(revenue) FILTER (WHERE NOT treated) AS nc,
	                         avg(revenue) FILTER (WHERE treated) AS mt, avg(revenue) FILTER (WHERE NOT treated) AS mc,
	                         var_samp(revenue) FILTER (WHERE treated) AS vt, var_samp(revenue) FILTER (WHERE NOT treated) AS vc
	                  FROM bench_campaign) m) s) r$q$),
('uplift_ztest', 'crm', $q$SELECT crm.uplift_ztest(treated, converted) FROM bench_campaign$q$),
('uplift_ztest', 'plain SQL', $q$
	SELECT (pt - pc) / sqrt(p * (1 - p) * (1.0 / nt + 1.0 / nc)) AS z
	FROM (SELECT xt::float8 / nt AS pt, xc::float8 / nc AS pc, (xt + xc)::float8 / (nt + nc) AS p, nt, nc
	      FROM (SELECT count(*) FILTER (WHERE treated) AS nt, count(*) FILTER (WHERE NOT treated) AS nc,
	                   count(*) FILTER (WHERE treated AND converted) AS xt,
	                   count(*) FILTER (WHERE NOT treated AND converted) AS xc
	            FROM bench_campaign WHERE treated IS NOT NULL AND converted IS NOT NULL) c) r$q$),
('nps', 'crm', $q$SELECT crm.nps(score) FROM bench_campaign$q$),
('nps', 'plain SQL', $q$
	SELECT 100.0 * (pro - det) / n AS nps
	FROM (SELECT count(score) AS n, count(*) FILTER (WHERE score >= 9) AS pro,
	             count(*) FILTER (WHERE score <= 6) AS det
	      FROM bench_campaign) c$q$);

CREATE TEMP TABLE bench_times (family text, variant text, workers int, ms float8);

SET max_parallel_workers_per_gather = 0;
INSERT INTO bench_times SELECT family, variant, 0, pg_temp.time_ms(query) FROM bench_queries;

-- parallel: force the plan whatever the cost estimates say.  The leader scans
-- too, so 1 worker means 2 processes (both cores of a 2-core machine) and
-- 2 workers mean 3 processes.
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 1;
INSERT INTO bench_times SELECT family, variant, 1, pg_temp.time_ms(query) FROM bench_queries;
SET max_parallel_workers_per_gather = 2;
INSERT INTO bench_times SELECT family, variant, 2, pg_temp.time_ms(query) FROM bench_queries;

\echo
\echo 'Median of 5 runs.  vs_floor = time / time of SELECT count(revenue) in the same mode;'
\echo 'vs_sql = time / time of the plain-SQL formulation of the same result (below 1: faster).'
SELECT t.family, t.variant, t.workers,
       round(t.ms::numeric, 1) AS ms,
       round((t.ms / f.ms)::numeric, 2) AS vs_floor,
       round((t.ms / s.ms)::numeric, 2) AS vs_sql
FROM bench_times t
JOIN bench_times f ON f.family = 'floor' AND f.workers = t.workers
LEFT JOIN bench_times s ON s.family = t.family AND s.variant = 'plain SQL' AND s.workers = t.workers
ORDER BY t.family = 'floor' DESC, t.family, t.variant, t.workers;

\echo 'Parallel speed-up: serial time / parallel time (workers + the leader, which also scans):'
SELECT a.family, a.variant,
       round((a.ms / b.ms)::numeric, 2) AS speedup_1_worker,
       round((a.ms / c.ms)::numeric, 2) AS speedup_2_workers
FROM bench_times a JOIN bench_times b USING (family, variant) JOIN bench_times c USING (family, variant)
WHERE a.workers = 0 AND b.workers = 1 AND c.workers = 2 ORDER BY 1, 2;
SELECT :'cores' AS cpu_cores_of_this_machine;
