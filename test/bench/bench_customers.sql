-- Benchmark of RFM, cohorts and KPIs (make bench): 10M orders of 1M customers.
-- Ratios against the SQL a CRM analyst writes today for the same result and
-- against the floor, SELECT count(col) over the same rows.
\set ON_ERROR_STOP on
\pset footer off
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_marketing;
SET work_mem = '512MB';
SET max_parallel_workers_per_gather = 0;

\if :{?orders}
\else
\set orders 10000000
\endif
\echo Generating :orders orders of one customer in ten ...
DROP TABLE IF EXISTS bench_orders, bench_customers;
CREATE UNLOGGED TABLE bench_orders AS
SELECT (i * 2654435761) % (:orders / 10) AS customer_id,
       timestamptz '2023-01-01' + ((i * 40503) % (2 * 365 * 24 * 60)) * interval '1 minute' AS purchased_at,
       ((i * 69069) % 20000) / 100.0::float8 AS amount
FROM generate_series(1::bigint, :orders) i;
VACUUM ANALYZE bench_orders;
CREATE UNLOGGED TABLE bench_customers AS
-- float8 columns, the type crm.rfm_score takes (extract() gives numeric, whose
-- conversion would cost the crm form a text round trip a row)
SELECT customer_id, (extract(epoch FROM timestamptz '2025-01-01' - max(purchased_at)) / 86400)::float8 AS recency,
       count(*)::float8 AS frequency, sum(amount) AS monetary
FROM bench_orders GROUP BY customer_id;
VACUUM ANALYZE bench_customers;

\ir bench_lib.sql

CREATE TEMP TABLE bench_queries (family text, variant text, query text, runs int);
INSERT INTO bench_queries VALUES
('floor orders', 'count(purchased_at)', $q$SELECT count(purchased_at) FROM bench_orders$q$, 3),
('cohort_retention', 'crm', $q$
	SELECT count(*) FROM crm.cohort_table((SELECT crm.cohort_retention(customer_id, purchased_at, 'month') FROM bench_orders))$q$, 3),
('cohort_retention', 'plain SQL', $q$
	WITH activity AS (SELECT DISTINCT customer_id, date_trunc('month', purchased_at) AS period FROM bench_orders),
	     firsts AS (SELECT customer_id, min(period) AS cohort FROM activity GROUP BY customer_id),
	     sizes AS (SELECT cohort, count(*) AS cohort_size FROM firsts GROUP BY cohort)
	SELECT count(*) FROM (
		SELECT f.cohort, (extract(year FROM a.period) - extract(year FROM f.cohort)) * 12
		                 + extract(month FROM a.period) - extract(month FROM f.cohort) AS period_number,
		       s.cohort_size, count(*) AS retained, count(*)::float8 / s.cohort_size AS retention_rate
		FROM firsts f JOIN activity a USING (customer_id) JOIN sizes s USING (cohort)
		GROUP BY 1, 2, 3) t$q$, 3),
('customer_kpis', 'crm', $q$SELECT crm.customer_kpis(customer_id, purchased_at, amount) FROM bench_orders$q$, 3),
('customer_kpis', 'plain SQL', $q$
	SELECT count(*) AS customers, sum(n) AS orders, sum(revenue) AS revenue, sum(revenue) / count(*) AS arpu,
	       sum(revenue) / sum(n) AS aov, avg((n > 1)::int) AS repeat_rate,
	       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY gap)
	        FROM (SELECT extract(epoch FROM purchased_at - lag(purchased_at) OVER (PARTITION BY customer_id ORDER BY purchased_at)) / 86400 AS gap
	              FROM bench_orders) g WHERE gap IS NOT NULL) AS median_gap
	FROM (SELECT customer_id, count(*) AS n, sum(amount) AS revenue FROM bench_orders GROUP BY customer_id) c$q$, 3),
('floor customers', 'count(recency)', $q$SELECT count(recency) FROM bench_customers$q$, 5),
-- every output is consumed, or the planner drops the unused window functions (and their sorts)
('rfm_score', 'crm', $q$
	SELECT count((s).r + (s).f + (s).m) FROM (SELECT crm.rfm_score(recency, frequency, monetary) OVER () AS s FROM bench_customers) x$q$, 5),
('rfm_score', 'plain SQL (ntile)', $q$
	SELECT count(r + f + m) FROM (
		SELECT ntile(5) OVER (ORDER BY recency DESC) AS r, ntile(5) OVER (ORDER BY frequency) AS f,
		       ntile(5) OVER (ORDER BY monetary) AS m FROM bench_customers) x$q$, 5);

CREATE TEMP TABLE bench_times AS
SELECT family, variant, pg_temp.time_ms(query, runs) AS ms FROM bench_queries;

\echo
\echo 'Median of 3 (cohorts, KPIs) or 5 (RFM) runs, serial.  vs_floor = time / time of the floor'
\echo '(count over the same orders, or over the customers for RFM); speedup = SQL time / crm time.'
SELECT t.family, t.variant, round(t.ms::numeric) AS ms,
       round((t.ms / f.ms)::numeric, 2) AS vs_floor,
       CASE WHEN t.variant = 'crm' THEN round((s.ms / t.ms)::numeric, 2) END AS speedup_vs_sql
FROM bench_times t
JOIN bench_times f ON f.family = CASE WHEN t.family IN ('rfm_score', 'floor customers') THEN 'floor customers'
                                      ELSE 'floor orders' END
LEFT JOIN bench_times s ON s.family = t.family AND s.variant <> 'crm' AND s.family NOT LIKE 'floor%'
ORDER BY t.family LIKE 'floor%' DESC, t.family, t.variant;

\echo 'Memory of the per-customer state, as the aggregates report it at DEBUG1:'
SET client_min_messages = debug1;
SELECT crm.cohort_retention(customer_id, purchased_at, 'month') IS NOT NULL AS cohorts FROM bench_orders;
SELECT crm.customer_kpis(customer_id, purchased_at, amount) IS NOT NULL AS kpis FROM bench_orders;
RESET client_min_messages;
