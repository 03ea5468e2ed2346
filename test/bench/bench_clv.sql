-- Benchmark of the CLV functions (make bench BENCH=clv): about 10M orders of
-- 1M customers.  Summary vs the plain GROUP BY and vs the SQL that counts
-- distinct purchase days; fit time vs distinct histories; scoring vs the
-- floor (count(*) over the customers) and vs a trivial C scalar (abs).
\set ON_ERROR_STOP on
\pset footer off
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_marketing;
SET work_mem = '1GB';
SET max_parallel_workers_per_gather = 0;
SET timezone = 'UTC';

\if :{?orders}
\else
\set orders 10000000
\endif
\echo Generating about :orders orders of :orders/10 customers (a Pareto/NBD-like process, seeded) ...
-- Per customer: first purchase in 2023; a purchase rate and a dropout rate, each log-normal
-- (heterogeneous); an exponential lifetime; repeat purchases ~ Poisson(rate x active span)
-- (normal approximation), spread uniformly over the span.  About 10 orders a customer.
SELECT setseed(0.42);
CREATE TEMP TABLE clv_customers AS
SELECT c AS customer_id, first_at, basket,
       least(-ln(1 - random()) / dropout_rate, extract(epoch FROM timestamptz '2025-01-01' - first_at) / 86400) AS span,
       rate
FROM (SELECT c, timestamptz '2023-01-01' + random() * interval '365 days' AS first_at, 10 + 90 * random() AS basket,
             0.02 * exp(sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) AS rate,
             exp(ln(1 / 365.0) + sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) AS dropout_rate
      FROM generate_series(1::bigint, :orders / 10) c) g;
CREATE UNLOGGED TABLE clv_orders AS
SELECT c.customer_id,
       CASE WHEN k = 0 THEN c.first_at ELSE c.first_at + random() * c.span * interval '1 day' END AS purchased_at,
       round((c.basket * (0.5 + random()))::numeric, 2)::float8 AS amount
FROM (SELECT *, greatest(0, round(rate * span + sqrt(rate * span) * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())))::int AS repeats
      FROM clv_customers) c,
     generate_series(0, c.repeats) k;
DROP TABLE clv_customers;
SELECT count(*) AS orders, count(DISTINCT customer_id) AS customers FROM clv_orders;
VACUUM ANALYZE clv_orders;

\ir bench_lib.sql

CREATE TEMP TABLE bench_times (family text, variant text, ms float8);
-- The GROUP BY baseline consumes every output: the planner replaces unused subquery outputs by
-- NULLs, and a count(*) over the subquery would time a GROUP BY with no aggregates at all.
INSERT INTO bench_times
SELECT 'summary', variant, ms FROM pg_temp.times_interleaved(
	ARRAY['floor: count(purchased_at)', 'crm.purchase_summary', 'GROUP BY count/min/max/sum', 'SQL with distinct purchase days'],
	ARRAY[
	$q$SELECT count(purchased_at) FROM clv_orders$q$,
	$q$
	SELECT count(s) FROM (SELECT crm.purchase_summary(purchased_at, amount, '2025-01-01', '1 week') AS s
	                      FROM clv_orders GROUP BY customer_id) x$q$,
	$q$
	SELECT count(n) + count(first_at) + count(last_at) + count(revenue)
	FROM (SELECT customer_id, count(*) AS n, min(purchased_at) AS first_at, max(purchased_at) AS last_at, sum(amount) AS revenue
	      FROM clv_orders GROUP BY customer_id) x$q$,
	$q$
	SELECT count(frequency + recency + tenure + monetary_value) FROM (
		SELECT customer_id, count(*) - 1 AS frequency, (max(day) - min(day)) / 7.0 AS recency,
		       (date '2025-01-01' - min(day)) / 7.0 AS tenure,
		       coalesce((sum(spend) - sum(spend) FILTER (WHERE day = first_day)) / nullif(count(*) - 1, 0), 0) AS monetary_value
		FROM (SELECT customer_id, day, spend, min(day) OVER (PARTITION BY customer_id) AS first_day
		      FROM (SELECT customer_id, purchased_at::date AS day, sum(amount) AS spend
		            FROM clv_orders GROUP BY 1, 2) d) w
		GROUP BY customer_id) x$q$], 3);

CREATE UNLOGGED TABLE clv_histories AS
SELECT customer_id, (crm.purchase_summary(purchased_at, amount, '2025-01-01', '1 week')).*
FROM clv_orders GROUP BY customer_id;
VACUUM ANALYZE clv_histories;

\echo
\echo 'Fit time vs the number of distinct histories (serial, median of 3 runs):'
CREATE TEMP TABLE fit_times AS
SELECT customers, unit, distinct_histories,
       pg_temp.time_ms(format($q$SELECT crm.bgnbd_fit(frequency, round(recency * %s) / %s, round(tenure * %s) / %s)
                                FROM clv_histories WHERE customer_id <= %s$q$, k, k, k, k, customers), 3) AS bgnbd_ms,
       pg_temp.time_ms(format($q$SELECT crm.pareto_nbd_fit(frequency, round(recency * %s) / %s, round(tenure * %s) / %s)
                                FROM clv_histories WHERE customer_id <= %s$q$, k, k, k, k, customers), 3) AS pareto_nbd_ms,
       CASE WHEN unit = 'week' THEN pg_temp.time_ms(format($q$SELECT crm.gamma_gamma_fit(frequency, monetary_value)
                                FROM clv_histories WHERE customer_id <= %s$q$, customers), 3) END AS gamma_gamma_ms
FROM (VALUES (10000, 'week', 1), (100000, 'week', 1), (1000000, 'week', 1), (100000, 'day', 7), (1000000, 'day', 7)) v(customers, unit, k),
     LATERAL (SELECT count(*) AS distinct_histories FROM (
	          SELECT DISTINCT frequency, round(recency * k), round(tenure * k) FROM clv_histories
	          WHERE customer_id <= customers) d) d;
SELECT customers, unit AS time_resolution, distinct_histories, round(bgnbd_ms) AS bgnbd_ms,
       round(pareto_nbd_ms) AS pareto_nbd_ms, round(gamma_gamma_ms) AS gamma_gamma_ms
FROM fit_times ORDER BY customers, unit DESC;
\echo '(gamma_gamma_fit: every repeat buyer has its own mean spend, so its rows do not compress)'

CREATE TABLE clv_model AS
SELECT crm.bgnbd_fit(frequency, recency, tenure) AS bgnbd, crm.pareto_nbd_fit(frequency, recency, tenure) AS pnbd,
       crm.gamma_gamma_fit(frequency, monetary_value) AS gg
FROM clv_histories;
SELECT (bgnbd).converged AS bgnbd_converged, (bgnbd).iterations AS bgnbd_iterations,
       (pnbd).converged AS pnbd_converged, (pnbd).iterations AS pnbd_iterations,
       (gg).converged AS gg_converged, (gg).iterations AS gg_iterations
FROM clv_model;

INSERT INTO bench_times
SELECT 'scoring', variant, ms FROM pg_temp.times_interleaved(
	ARRAY['floor: count(*)',
	      'trivial C scalar: count(abs(recency))',
	      'p_alive (BG/NBD)',
	      'expected_purchases 52 (BG/NBD)',
	      'p_alive (Pareto/NBD)',
	      'expected_purchases 52 (Pareto/NBD)',
	      'ltv_estimate 52, no discount (BG/NBD)',
	      'ltv_estimate 52, 10% a year (BG/NBD)'],
	ARRAY[
	$q$SELECT count(*) FROM clv_histories$q$,
	$q$SELECT count(abs(recency)) FROM clv_histories$q$,
	$q$
	SELECT count(crm.p_alive((SELECT bgnbd FROM clv_model), frequency, recency, tenure)) FROM clv_histories$q$,
	$q$
	SELECT count(crm.expected_purchases((SELECT bgnbd FROM clv_model), frequency, recency, tenure, 52)) FROM clv_histories$q$,
	$q$
	SELECT count(crm.p_alive((SELECT pnbd FROM clv_model), frequency, recency, tenure)) FROM clv_histories$q$,
	$q$
	SELECT count(crm.expected_purchases((SELECT pnbd FROM clv_model), frequency, recency, tenure, 52)) FROM clv_histories$q$,
	$q$
	SELECT count(crm.ltv_estimate((SELECT bgnbd FROM clv_model), (SELECT gg FROM clv_model), frequency, recency, tenure,
	                              monetary_value, 52)) FROM clv_histories$q$,
	$q$
	SELECT count(crm.ltv_estimate((SELECT bgnbd FROM clv_model), (SELECT gg FROM clv_model), frequency, recency, tenure,
	                              monetary_value, 52, 0.1, '1 week')) FROM clv_histories$q$], 5);

\echo
\echo 'Summary and scoring, serial (median of 3-5 runs, the queries of a family in turn); ratio = time / the first row of the family:'
SELECT t.family, t.variant, round(t.ms::numeric) AS ms, round((t.ms / f.ms)::numeric, 2) AS ratio_to_first
FROM bench_times t
JOIN LATERAL (SELECT ms FROM bench_times f WHERE f.family = t.family ORDER BY ctid LIMIT 1) f ON true
ORDER BY t.family DESC, t.ctid;

\echo
\echo 'Parallel scaling (max_parallel_workers_per_gather 0, 1, 2; :cores cores):'
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
CREATE TEMP TABLE parallel_times (workers int, family text, ms float8);
DO $$
BEGIN
	FOR w IN 0..2 LOOP
		EXECUTE format('SET max_parallel_workers_per_gather = %s', w);
		INSERT INTO parallel_times VALUES
		(w, 'purchase_summary', pg_temp.time_ms($q$SELECT count(s) FROM (SELECT crm.purchase_summary(purchased_at, amount, '2025-01-01', '1 week') AS s FROM clv_orders GROUP BY customer_id) x$q$, 3)),
		(w, 'bgnbd_fit (1M customers)', pg_temp.time_ms($q$SELECT crm.bgnbd_fit(frequency, recency, tenure) FROM clv_histories$q$, 3)),
		(w, 'expected_purchases scoring', pg_temp.time_ms($q$SELECT count(crm.expected_purchases((SELECT bgnbd FROM clv_model), frequency, recency, tenure, 52)) FROM clv_histories$q$, 3));
	END LOOP;
END $$;
SELECT p.family, p.workers, round(p.ms::numeric) AS ms, round((s.ms / p.ms)::numeric, 2) AS speedup
FROM parallel_times p JOIN parallel_times s ON s.family = p.family AND s.workers = 0
ORDER BY p.family, p.workers;
DROP TABLE clv_orders, clv_histories, clv_model;
