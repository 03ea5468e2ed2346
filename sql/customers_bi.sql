-- BI helpers: set-returning functions and views over a table the user names.

CREATE SCHEMA "Shop Data";
CREATE TABLE "Shop Data"."Orders 2023" ("Customer ID" bigint, "Paid At" timestamptz, "Total €" numeric(10, 2), note text);
INSERT INTO "Shop Data"."Orders 2023" SELECT customer_id, at, amount, 'x' FROM test.orders;

-- rfm_segments equals rfm_score over the same per-customer summary
SELECT count(*) AS customers,
       count(*) FILTER (WHERE s.r = ref.r AND s.f = ref.f AND s.m = ref.m AND s.segment = ref.segment
                        AND s.orders = ref.orders AND s.revenue = ref.revenue) AS equal
FROM crm.rfm_segments('"Shop Data"."Orders 2023"', 'Customer ID', 'Paid At', 'Total €', '2025-06-01') s
JOIN (SELECT customer_id::text AS customer_id, orders, revenue, (x).r, (x).f, (x).m, (x).segment
      FROM (SELECT customer_id, count(*) AS orders, sum(amount)::float8 AS revenue,
                   crm.rfm_score(max(at), count(*)::float8, sum(amount)::float8) OVER () AS x
            FROM test.orders WHERE customer_id IS NOT NULL AND at IS NOT NULL GROUP BY customer_id) q) ref
  USING (customer_id);

SELECT customer_id, last_purchase, round(recency_days::numeric, 2) AS recency_days, orders, revenue, r, f, m, cell, segment
FROM crm.rfm_segments('"Shop Data"."Orders 2023"', 'Customer ID', 'Paid At', 'Total €', '2025-06-01')
ORDER BY customer_id::int LIMIT 3;

-- the view keeps the customer id's own type and plain typed columns
SELECT crm.rfm_view('"Shop Data".rfm', '"Shop Data"."Orders 2023"', 'Customer ID', 'Paid At', 'Total €');
SELECT a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_attribute a WHERE a.attrelid = '"Shop Data".rfm'::regclass AND a.attnum > 0 ORDER BY a.attnum;
SELECT segment, count(*) FROM "Shop Data".rfm GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3;
SELECT obj_description('"Shop Data".rfm'::regclass, 'pg_class');

-- cohort_retention_table equals cohort_table of the aggregate
SELECT (SELECT count(*) FROM crm.cohort_retention_table('"Shop Data"."Orders 2023"', 'Customer ID', 'Paid At', 'month', 'Total €')) AS rows,
       (SELECT count(*) FROM (
           SELECT * FROM crm.cohort_retention_table('"Shop Data"."Orders 2023"', 'Customer ID', 'Paid At', 'month', 'Total €')
           EXCEPT
           SELECT t.* FROM crm.cohort_table((SELECT crm.cohort_retention(customer_id, at, 'month', amount::float8)
                                            FROM test.orders)) t) d) AS differing;

SELECT crm.cohort_view('"Shop Data"."Weekly cohorts"', '"Shop Data"."Orders 2023"', 'Customer ID', 'Paid At', 'week');
SELECT a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_attribute a WHERE a.attrelid = '"Shop Data"."Weekly cohorts"'::regclass AND a.attnum > 0 ORDER BY a.attnum;
SELECT cohort, period_number, cohort_size, retained, round(retention_rate::numeric, 3) AS rate, revenue
FROM "Shop Data"."Weekly cohorts" ORDER BY cohort, period_number LIMIT 4;

-- text ids
CREATE TABLE test.text_orders AS SELECT 'c-' || customer_id AS customer, at AS ts, amount FROM test.orders;
SELECT count(*) AS rows FROM crm.cohort_retention_table('test.text_orders', 'customer', 'ts', 'quarter');
SELECT count(*) AS customers FROM crm.rfm_segments('test.text_orders', 'customer', 'ts', 'amount');

-- errors: missing or mistyped columns, bad period, a hostile column name stays an identifier
SELECT test.error_of($$SELECT * FROM crm.rfm_segments('test.text_orders', 'nope', 'ts', 'amount')$$);
SELECT test.error_of($$SELECT * FROM crm.rfm_segments('test.text_orders', 'customer', 'customer', 'amount')$$);
SELECT test.error_of($$SELECT * FROM crm.rfm_segments('test.text_orders', 'customer', 'ts', 'ts')$$);
SELECT test.error_of($$SELECT * FROM crm.rfm_segments('test.text_orders', 'customer', 'ts', 'amount', bins => 1)$$);
SELECT test.error_of($$SELECT * FROM crm.cohort_retention_table('test.text_orders', 'customer', 'ts', 'hour')$$);
SELECT test.error_of($$SELECT * FROM crm.cohort_retention_table('test.text_orders', 'x"; DROP TABLE test.orders; --', 'ts')$$);
SELECT test.error_of($$SELECT * FROM crm.cohort_retention_table('no_such_table', 'customer', 'ts')$$);
SELECT test.error_of($$SELECT crm.cohort_view('a.b.c', 'test.text_orders', 'customer', 'ts')$$);
SELECT count(*) > 0 AS orders_still_there FROM test.orders;

-- a caller who may read only some columns is refused before any query runs,
-- naming the column (the builders run with the caller's rights)
CREATE ROLE bi_reader;
GRANT USAGE ON SCHEMA test, crm TO bi_reader;
GRANT SELECT (customer, ts) ON test.text_orders TO bi_reader;
SET ROLE bi_reader;
SELECT test.error_of($$SELECT * FROM crm.rfm_segments('test.text_orders', 'customer', 'ts', 'amount')$$);
SELECT count(*) > 0 AS cohorts_without_amount FROM crm.cohort_retention_table('test.text_orders', 'customer', 'ts');
RESET ROLE;
REVOKE ALL ON test.text_orders FROM bi_reader;
REVOKE ALL ON SCHEMA test, crm FROM bi_reader;
DROP ROLE bi_reader;

-- an unqualified view name goes to the caller's current schema, as CREATE VIEW would
SET search_path = "Shop Data", public;
SELECT crm.rfm_view('rfm_here', '"Orders 2023"', 'Customer ID', 'Paid At', 'Total €');
RESET search_path;
SELECT '"Shop Data".rfm_here'::regclass IS NOT NULL AS created_in_current_schema;
