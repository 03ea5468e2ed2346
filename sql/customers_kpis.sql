-- crm.customer_kpis against plain SQL (a per-customer subquery and aggregates,
-- lag() for the gaps, percentile_cont for the median).

CREATE FUNCTION test.kpi_reference()
RETURNS TABLE (customers bigint, orders bigint, revenue numeric, arpu numeric, aov numeric,
               repeat_rate float8, median_gap float8)
LANGUAGE sql AS $$
	WITH o AS (SELECT * FROM test.orders WHERE customer_id IS NOT NULL AND at IS NOT NULL AND amount IS NOT NULL),
	per_customer AS (SELECT customer_id, count(*) AS n FROM o GROUP BY 1),
	gaps AS (SELECT extract(epoch FROM at - lag(at) OVER (PARTITION BY customer_id ORDER BY at)) / 86400 AS gap FROM o)
	SELECT (SELECT count(*) FROM per_customer), (SELECT count(*) FROM o), (SELECT sum(amount) FROM o),
	       (SELECT sum(amount) FROM o) / (SELECT count(*) FROM per_customer), (SELECT avg(amount) FROM o),
	       (SELECT count(*) FILTER (WHERE n > 1)::float8 / count(*) FROM per_customer),
	       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) FROM gaps WHERE gap IS NOT NULL)
$$;

SELECT k.customers = r.customers AS customers, k.orders = r.orders AS orders,
       test.check('revenue', k.revenue, r.revenue::float8, 1e-15),
       test.check('arpu', k.arpu, r.arpu::float8, 1e-15),
       test.check('aov', k.average_order_value, r.aov::float8, 1e-15),
       test.check('repeat', k.repeat_customer_rate, r.repeat_rate, 1e-15),
       test.check('median gap', k.median_days_between_purchases, r.median_gap, 1e-12)
FROM (SELECT (crm.customer_kpis(customer_id, at, amount)).* FROM test.orders) k, test.kpi_reference() r;

SELECT customers, orders, revenue, round(arpu::numeric, 4) AS arpu, round(average_order_value::numeric, 4) AS aov,
       round(repeat_customer_rate::numeric, 4) AS repeat_rate,
       round(median_days_between_purchases::numeric, 4) AS median_days
FROM (SELECT (crm.customer_kpis(customer_id, at, amount)).* FROM test.orders) k;

-- text ids and float8 amounts give the same numbers
SELECT (SELECT crm.customer_kpis(customer_id::text, at, amount::float8) FROM test.orders)
     = (SELECT crm.customer_kpis(customer_id, at, amount) FROM test.orders) AS same;

-- a tiny worked example: 3 customers, 6 orders; gaps 1, 2 and 10 days
SELECT (crm.customer_kpis(c, at, amount)).*
FROM (VALUES (1, timestamptz '2024-01-01', 10.0), (1, '2024-01-02', 20.0), (1, '2024-01-04', 30.0),
             (2, '2024-02-01', 40.0), (2, '2024-02-11', 50.0), (3, '2024-03-01', 60.0)) v(c, at, amount);

-- by segment
SELECT customer_id % 3 AS segment, (crm.customer_kpis(customer_id, at, amount)).customers
FROM test.orders WHERE customer_id IS NOT NULL GROUP BY 1 ORDER BY 1;

-- empty input; one customer with one order (no gaps, no repeat)
SELECT * FROM (SELECT (crm.customer_kpis(customer_id, at, amount)).* FROM test.orders WHERE false) k;
SELECT * FROM (SELECT (crm.customer_kpis(7, now(), 12.5)).*) k;

-- errors
SELECT test.error_of($$SELECT crm.customer_kpis(1, now(), 'NaN'::float8)$$);
SELECT test.error_of($$SELECT crm.customer_kpis(1, '-infinity', 1.0)$$);
SELECT test.error_of($$SELECT crm.customer_kpis(1, now(), 1e300::numeric * 1e300)$$);
-- the serialized state is validated (see customers_cohorts.sql for the declaration trick)
CREATE FUNCTION test.kpis_deserialize(bytea, bytea) RETURNS boolean
AS 'crm_marketing', 'crm_customer_kpis_deserialize' LANGUAGE C STRICT;
SELECT test.error_of($$SELECT test.kpis_deserialize('\x43524b500100000000000000000a'::bytea, '')$$);
-- 2 orders claimed, 1 stored
SELECT test.error_of($$SELECT test.kpis_deserialize('\x43524b500100'::bytea || '\x0000000000000002'::bytea || '\x4024000000000000'::bytea
       || '\x0000000000000000'::bytea || '\x43524d4d0100'::bytea || '\x0000000000000001'::bytea || '\x0000000000000007'::bytea
       || '\x00000001'::bytea || '\x0000000000000001'::bytea, '')$$);
SELECT test.kpis_deserialize('\x43524b500100'::bytea || '\x0000000000000001'::bytea || '\x4024000000000000'::bytea
       || '\x0000000000000000'::bytea || '\x43524d4d0100'::bytea || '\x0000000000000001'::bytea || '\x0000000000000007'::bytea
       || '\x00000001'::bytea || '\x0000000000000001'::bytea, '') AS accepted;
