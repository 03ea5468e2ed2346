-- Parallel plans for the per-customer aggregates: the states are serialized
-- in the workers, deserialized and combined in the leader, and the results
-- equal the serial ones (counts exactly, revenue to 1e-12).  200,000 orders.
CREATE TABLE test.many_orders AS
SELECT (i * 7919) % 30000 AS customer_id,
       timestamptz '2023-01-01' + ((i * 104729) % 500) * interval '1 day' + (i % 1440) * interval '1 minute' AS at,
       ((i * 31) % 20000) / 100.0::float8 AS amount
FROM generate_series(1::bigint, 200000) i;
ANALYZE test.many_orders;

SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;

EXPLAIN (COSTS OFF) SELECT crm.cohort_retention(customer_id, at, 'week', amount) FROM test.many_orders;
EXPLAIN (COSTS OFF) SELECT crm.customer_kpis(customer_id::text, at, amount) FROM test.many_orders;

-- two workers really ran: the states went through serialize, deserialize and combine
SELECT max(n::int) >= 2 AS two_workers_launched FROM (
	SELECT jsonb_path_query(test.explain_json(
		'SELECT crm.cohort_retention(customer_id, at, ''week'', amount) FROM test.many_orders')::jsonb,
		'$.**."Workers Launched"') AS n) w;

CREATE TABLE test.parallel_customers AS
SELECT crm.cohort_retention(customer_id, at, 'week', amount) AS cohorts,
       crm.cohort_retention(customer_id::text, at, 'month') AS cohorts_text,
       crm.customer_kpis(customer_id, at, amount) AS kpis,
       crm.customer_kpis(customer_id::text, at, amount::numeric) AS kpis_text
FROM test.many_orders;

RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
SET max_parallel_workers_per_gather = 0;

CREATE TABLE test.serial_customers AS
SELECT crm.cohort_retention(customer_id, at, 'week', amount) AS cohorts,
       crm.cohort_retention(customer_id::text, at, 'month') AS cohorts_text,
       crm.customer_kpis(customer_id, at, amount) AS kpis,
       crm.customer_kpis(customer_id::text, at, amount::numeric) AS kpis_text
FROM test.many_orders;
RESET max_parallel_workers_per_gather;

SELECT (p.cohorts).cohorts = (s.cohorts).cohorts AND (p.cohorts).cohort_sizes = (s.cohorts).cohort_sizes
         AND (p.cohorts).retained = (s.cohorts).retained AND (p.cohorts).last_period = (s.cohorts).last_period
         AS cohort_counts_equal,
       (SELECT bool_and(test.check('revenue', a, b, 1e-12) = 'ok')
        FROM unnest((p.cohorts).revenue, (s.cohorts).revenue) u(a, b)) AS cohort_revenue_equal,
       p.cohorts_text = s.cohorts_text AS text_ids_equal,
       (p.kpis).customers = (s.kpis).customers AND (p.kpis).orders = (s.kpis).orders
         AND (p.kpis).median_days_between_purchases = (s.kpis).median_days_between_purchases
         AND (p.kpis).repeat_customer_rate = (s.kpis).repeat_customer_rate AS kpi_counts_equal,
       test.check('kpi revenue', (p.kpis).revenue, (s.kpis).revenue, 1e-12) AS kpi_revenue,
       (p.kpis_text).customers = (s.kpis).customers AS kpi_text_customers
FROM test.parallel_customers p, test.serial_customers s;

SELECT (kpis).customers, (kpis).orders, array_length((cohorts).cohorts, 1) AS weekly_cohorts
FROM test.serial_customers;
