-- Parallel plans: every aggregate runs as Partial Aggregate in the workers and
-- Finalize Aggregate in the leader, and gives the serial plan's numbers
-- (to 1e-12 relative; counts exactly).  200,000 rows.
CREATE TABLE test.campaign AS
SELECT i AS customer_id,
       bucket < 500 AS treated,
       ((i * 40503) % 10007) / 100.0::float8 + CASE WHEN bucket < 500 THEN 1.5 ELSE 0 END AS revenue,
       (i * 69069) % 1000 < 80 + CASE WHEN bucket < 500 THEN 10 ELSE 0 END AS converted,
       ((i * 1103515245) % 11)::int AS score
FROM generate_series(1::bigint, 200000) i, LATERAL (SELECT (i * 2654435761) % 1000 AS bucket) b;
ANALYZE test.campaign;

-- explain_json(query): the EXPLAIN ANALYZE plan of a query, as json
CREATE FUNCTION test.explain_json(query text) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
	plan json;
BEGIN
	EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, FORMAT JSON) ' || query INTO plan;
	RETURN plan;
END $$;

SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;

EXPLAIN (COSTS OFF) SELECT crm.uplift_ttest(treated, revenue) FROM test.campaign;
EXPLAIN (COSTS OFF) SELECT crm.uplift_ttest(treated, revenue::numeric, 0.9) FROM test.campaign;
EXPLAIN (COSTS OFF) SELECT crm.uplift_ztest(treated, converted) FROM test.campaign;
EXPLAIN (COSTS OFF) SELECT crm.nps(score) FROM test.campaign;

CREATE TABLE test.parallel_results AS
SELECT crm.uplift_ttest(treated, revenue) AS ttest,
       crm.uplift_ttest(treated, revenue::numeric, 0.9) AS ttest_numeric,
       crm.uplift_ztest(treated, converted) AS ztest,
       crm.nps(score) AS nps
FROM test.campaign;

-- two workers really ran, so partial states went through the combine function
SELECT max(n::int) >= 2 AS two_workers_launched FROM (
	SELECT jsonb_path_query(plan::jsonb, '$.**."Workers Launched"') AS n
	FROM (SELECT test.explain_json('SELECT crm.uplift_ttest(treated, revenue) FROM test.campaign') AS plan) e
) w;

RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
SET max_parallel_workers_per_gather = 0;

EXPLAIN (COSTS OFF) SELECT crm.uplift_ttest(treated, revenue) FROM test.campaign;

CREATE TABLE test.serial_results AS
SELECT crm.uplift_ttest(treated, revenue) AS ttest,
       crm.uplift_ttest(treated, revenue::numeric, 0.9) AS ttest_numeric,
       crm.uplift_ztest(treated, converted) AS ztest,
       crm.nps(score) AS nps
FROM test.campaign;
RESET max_parallel_workers_per_gather;

-- column by column: counts equal, every statistic within 1e-12
SELECT which, count(*) AS columns, count(*) FILTER (WHERE verdict <> 'ok') AS differing
FROM (
	SELECT 'ttest' AS which, test.check(key, (p.j ->> key)::float8, (s.j ->> key)::float8, 1e-12) AS verdict
	FROM (SELECT to_jsonb(ttest) j FROM test.parallel_results) p, (SELECT to_jsonb(ttest) j FROM test.serial_results) s,
	     jsonb_object_keys(s.j) key
	UNION ALL
	SELECT 'ttest_numeric', test.check(key, (p.j ->> key)::float8, (s.j ->> key)::float8, 1e-12)
	FROM (SELECT to_jsonb(ttest_numeric) j FROM test.parallel_results) p,
	     (SELECT to_jsonb(ttest_numeric) j FROM test.serial_results) s, jsonb_object_keys(s.j) key
	UNION ALL
	SELECT 'ztest', test.check(key, (p.j ->> key)::float8, (s.j ->> key)::float8, 0)
	FROM (SELECT to_jsonb(ztest) j FROM test.parallel_results) p, (SELECT to_jsonb(ztest) j FROM test.serial_results) s,
	     jsonb_object_keys(s.j) key
	UNION ALL
	SELECT 'nps', test.check(key, (p.j ->> key)::float8, (s.j ->> key)::float8, 0)
	FROM (SELECT to_jsonb(nps) j FROM test.parallel_results) p, (SELECT to_jsonb(nps) j FROM test.serial_results) s,
	     jsonb_object_keys(s.j) key
) c GROUP BY which ORDER BY which;

-- the differing columns, if any
SELECT key, (p.j ->> key)::float8 AS parallel, (s.j ->> key)::float8 AS serial
FROM (SELECT to_jsonb(ttest) j FROM test.parallel_results) p, (SELECT to_jsonb(ttest) j FROM test.serial_results) s,
     jsonb_object_keys(s.j) key
WHERE test.check(key, (p.j ->> key)::float8, (s.j ->> key)::float8, 1e-12) <> 'ok';

-- and the serial numbers agree with plain SQL (count/avg/var_samp)
SELECT test.check('mean t', (ttest).mean_treatment, avg(revenue) FILTER (WHERE treated), 1e-13),
       test.check('sd c', (ttest).sd_control, stddev_samp(revenue) FILTER (WHERE NOT treated), 1e-12),
       (ttest).n_treatment = count(*) FILTER (WHERE treated) AS n_equal,
       (ztest).conversions_control = count(*) FILTER (WHERE NOT treated AND converted) AS x_equal,
       (nps).promoters = count(*) FILTER (WHERE score >= 9) AS promoters_equal
FROM test.campaign, test.serial_results GROUP BY ttest, ztest, nps;
