-- crm.purchase_summary: raw orders to CLV histories.
SET client_min_messages = warning;
SET timezone = 'UTC';

-- The CDNOW sample (Fader-Hardie): 6,919 orders of 2,357 customers.
CREATE TEMP TABLE sample_lines (line text);
\copy sample_lines FROM 'test/data/CDNOW_sample.txt'
CREATE TEMP TABLE sample_orders AS
SELECT f[2]::int AS customer_id, to_date(f[3], 'YYYYMMDD')::timestamptz AS purchased_at,
       f[5]::float8 AS amount, f[5]::numeric AS amount_numeric
FROM (SELECT regexp_split_to_array(btrim(line, E' \r'), '\s+') AS f FROM sample_lines) l;
SELECT count(*) AS orders, count(DISTINCT customer_id) AS customers FROM sample_orders;

-- The published 39-week calibration summary, rounded to 2 decimals.
CREATE TEMP TABLE published (id int, x int, t_x float8, t float8, zbar float8);
\copy published FROM 'test/data/cdnow_customers_summary_with_transactions.csv' WITH (FORMAT csv, HEADER)

CREATE TEMP TABLE ours AS
SELECT customer_id, (crm.purchase_summary(purchased_at, amount, '1997-09-30', '1 week')).*
FROM sample_orders GROUP BY customer_id;

-- Rebuilt exactly: every customer, every column (to the 2 decimals published).
SELECT count(*) AS customers,
       count(*) FILTER (WHERE o.frequency = p.x
                          AND round(o.recency::numeric, 2) = round(p.t_x::numeric, 2)
                          AND round(o.tenure::numeric, 2) = round(p.t::numeric, 2)
                          AND round(o.monetary_value::numeric, 2) = round(p.zbar::numeric, 2)) AS identical,
       sum(o.frequency) AS total_repeat_purchases
FROM ours o JOIN published p ON p.id = o.customer_id;

-- numeric amounts give the same histories
SELECT count(*) AS differing
FROM ours o
JOIN (SELECT customer_id, (crm.purchase_summary(purchased_at, amount_numeric, '1997-09-30', '1 week')).*
      FROM sample_orders GROUP BY customer_id) n USING (customer_id)
WHERE (o.frequency, o.recency, o.tenure, o.orders) IS DISTINCT FROM (n.frequency, n.recency, n.tenure, n.orders)
   OR abs(o.monetary_value - n.monetary_value) > 1e-9 * o.monetary_value;

-- Against the plain-SQL formulation (distinct purchase days), default unit '1 day'.
WITH days AS (
	SELECT customer_id, purchased_at::date AS day, sum(amount) AS spend, count(*) AS orders
	FROM sample_orders WHERE purchased_at <= '1998-03-31' GROUP BY 1, 2
), ref AS (
	SELECT customer_id, count(*) - 1 AS frequency,
	       max(day) - min(day) AS recency, date '1998-03-31' - min(day) AS tenure,
	       coalesce((sum(spend) - sum(spend) FILTER (WHERE day = first_day)) / nullif(count(*) - 1, 0), 0) AS monetary_value,
	       sum(orders) AS orders, sum(spend) AS revenue
	FROM (SELECT *, min(day) OVER (PARTITION BY customer_id) AS first_day FROM days) d
	GROUP BY customer_id
), got AS (
	SELECT customer_id, (crm.purchase_summary(purchased_at, amount, '1998-03-31')).*
	FROM sample_orders GROUP BY customer_id
)
SELECT count(*) AS customers,
       count(*) FILTER (WHERE g.frequency = r.frequency AND g.recency = r.recency AND g.tenure = r.tenure
                          AND g.orders = r.orders AND abs(g.revenue - r.revenue) < 1e-9
                          AND abs(g.monetary_value - r.monetary_value) < 1e-9) AS identical
FROM ref r JOIN got g USING (customer_id);

-- Same-day purchases merge; later purchases are ignored; time zone decides the day.
CREATE TEMP TABLE o (c int, at timestamptz, amount float8);
INSERT INTO o VALUES
  (1, '2024-01-01 09:00+00', 10), (1, '2024-01-01 18:00+00', 5),     -- one purchase day: 15
  (1, '2024-01-08 10:00+00', 20), (1, '2024-01-15 23:30+00', 40),
  (1, '2024-03-01 00:00+00', 999),                                    -- after observation_end
  (2, '2024-01-31 23:30+00', 7),                                      -- one order only
  (3, '2024-01-10 22:30+00', 1), (3, '2024-01-11 01:30+00', 2);       -- one day in Moscow, two in UTC
SELECT c, (crm.purchase_summary(at, amount, '2024-01-31 23:59+00', '1 week')).*
FROM o GROUP BY c ORDER BY c;
SET timezone = 'Europe/Moscow';
SELECT c, (crm.purchase_summary(at, amount, '2024-01-31 23:59+00', '1 day')).frequency
FROM o WHERE c = 3 GROUP BY c;
SET timezone = 'UTC';

-- Units: '1 day', '7 days' = '1 week', '1 month' is 30 days.
SELECT (crm.purchase_summary(at, amount, '2024-01-31', u)).recency AS recency, u
FROM o, (VALUES (interval '1 day'), ('7 days'), ('1 week'), ('1 month'), ('12 hours')) v(u)
WHERE c = 1 GROUP BY u ORDER BY recency;

-- NULL rows are skipped; a customer with no order in the window gets counts 0 and NULL statistics.
SELECT (crm.purchase_summary(at, amount, '2024-01-31')).*
FROM (VALUES ('2024-02-05'::timestamptz, 3.0::float8), (NULL, 1), ('2024-01-05', NULL)) v(at, amount);
SELECT (crm.purchase_summary(at, amount, '2024-01-31')).* FROM o WHERE false;

-- Errors.
SELECT test.error_of($$SELECT crm.purchase_summary(at, amount, '2024-01-31', '0 days') FROM o$$);
SELECT test.error_of($$SELECT crm.purchase_summary(at, amount, '2024-01-31', '-1 week') FROM o$$);
SELECT test.error_of($$SELECT crm.purchase_summary(at, amount, at) FROM o$$);
SELECT test.error_of($$SELECT crm.purchase_summary(at, amount, 'infinity') FROM o$$);
SELECT test.error_of($$SELECT crm.purchase_summary('infinity', 1.0, '2024-01-31')$$);
SELECT test.error_of($$SELECT crm.purchase_summary(now(), 'NaN'::float8, '2024-01-31')$$);
SELECT test.error_of($$SELECT crm.purchase_summary(now(), 'Infinity'::numeric, '2024-01-31')$$);

-- The state size is declared (SSPACE): without it the planner assumes 8 kB a customer and a
-- GROUP BY customer hash aggregate spills to disk far below work_mem.
SELECT aggfnoid::regprocedure AS aggregate, aggtransspace
FROM pg_aggregate WHERE aggfnoid::regproc::text = 'crm.purchase_summary' ORDER BY 1::text;

-- Parallel plans give identical histories.
CREATE TABLE big_orders AS
-- order k of a customer falls on day 13 ((7 k) mod 8) + (customer mod 17): out of time order, two
-- orders on the same day when k and k + 8 meet, at different hours
SELECT (i % 20000) AS customer_id,
       timestamptz '2023-01-01' + ((((i / 20000) * 7) % 8) * 13 + (i % 20000) % 17) * interval '1 day'
         + ((i / 20000) % 3) * interval '5 hours' AS at,
       ((i * 31) % 997) / 10.0 + 0.5 AS amount
FROM generate_series(1, 200000) i;
ANALYZE big_orders;
CREATE TEMP TABLE serial_summary AS
SELECT customer_id, (crm.purchase_summary(at, amount, '2024-03-31', '1 week')).* FROM big_orders GROUP BY customer_id;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2; SET enable_hashagg = off;
SELECT count(*) > 0 AS partial_aggregate
FROM jsonb_path_query(test.explain_json($$SELECT customer_id, crm.purchase_summary(at, amount, '2024-03-31', '1 week')
                                         FROM big_orders GROUP BY customer_id$$)::jsonb,
                      '$.** ? (@."Partial Mode" == "Partial")');
CREATE TEMP TABLE parallel_summary AS
SELECT customer_id, (crm.purchase_summary(at, amount, '2024-03-31', '1 week')).* FROM big_orders GROUP BY customer_id;
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather; RESET enable_hashagg;
SELECT count(*) AS customers,
       count(*) FILTER (WHERE s IS NOT DISTINCT FROM p) AS identical
FROM serial_summary s JOIN parallel_summary p USING (customer_id);
-- Orders out of time order, two on some days, eight days a customer (past the six kept inline):
-- the same histories as the plain-SQL formulation.
WITH days AS (
	SELECT customer_id, at::date AS day, sum(amount) AS spend, count(*) AS orders
	FROM big_orders WHERE at <= '2024-03-31' GROUP BY 1, 2
), ref AS (
	SELECT customer_id, count(*) - 1 AS frequency, (max(day) - min(day)) / 7.0 AS recency,
	       (date '2024-03-31' - min(day)) / 7.0 AS tenure,
	       coalesce((sum(spend) - sum(spend) FILTER (WHERE day = first_day)) / nullif(count(*) - 1, 0), 0) AS monetary_value,
	       sum(orders) AS orders
	FROM (SELECT *, min(day) OVER (PARTITION BY customer_id) AS first_day FROM days) d
	GROUP BY customer_id
)
SELECT count(*) AS customers, max(r.frequency) AS most_repeats,
       count(*) FILTER (WHERE s.frequency = r.frequency AND abs(s.recency - r.recency) < 1e-12
                          AND abs(s.tenure - r.tenure) < 1e-12 AND s.orders = r.orders
                          AND abs(s.monetary_value - r.monetary_value) < 1e-9) AS identical
FROM ref r JOIN serial_summary s USING (customer_id);

-- As a window aggregate the final function runs once per row on a growing state (it sorts the
-- days in place): each running history equals the aggregate over that prefix of the orders.
SELECT count(*) AS rows,
       count(*) FILTER (WHERE w.running = (SELECT crm.purchase_summary(b.at, b.amount, '2024-03-31', '1 week')
                                          FROM big_orders b WHERE b.customer_id = w.customer_id AND b.at <= w.at)) AS identical
FROM (SELECT customer_id, at,
             crm.purchase_summary(at, amount, '2024-03-31', '1 week') OVER (PARTITION BY customer_id ORDER BY at) AS running
      FROM big_orders WHERE customer_id < 50) w;
DROP TABLE big_orders;

-- Long histories: 100 orders a customer, out of time order and with repeated days, so that the
-- days kept in order while they are few (64) overflow into the appended form sorted at the end:
-- in time order, reversed, and scrambled over 83 days.  A customer's orders are spread over the
-- whole table, so the parallel plan combines long partial histories.
CREATE TABLE long_orders AS
SELECT i % 2000 AS customer_id, i / 2000 AS k,
       timestamptz '2022-01-01' + (CASE (i % 2000) % 3 WHEN 0 THEN i / 2000 WHEN 1 THEN 99 - i / 2000
                                   ELSE ((i / 2000) * 37) % 83 END) * interval '1 day'
         + (i % 5) * interval '3 hours' AS at,
       1 + (i * 13) % 50 AS amount
FROM generate_series(0, 199999) i;
ANALYZE long_orders;
CREATE TEMP TABLE long_serial AS
SELECT customer_id, (crm.purchase_summary(at, amount, '2023-06-30')).* FROM long_orders GROUP BY customer_id;
WITH days AS (
	SELECT customer_id, at::date AS day, sum(amount) AS spend, count(*) AS orders
	FROM long_orders GROUP BY 1, 2
), ref AS (
	SELECT customer_id, count(*) - 1 AS frequency, (max(day) - min(day))::float8 AS recency,
	       (date '2023-06-30' - min(day))::float8 AS tenure,
	       coalesce((sum(spend) - sum(spend) FILTER (WHERE day = first_day)) / nullif(count(*) - 1, 0), 0) AS monetary_value,
	       sum(orders) AS orders
	FROM (SELECT *, min(day) OVER (PARTITION BY customer_id) AS first_day FROM days) d
	GROUP BY customer_id
)
SELECT count(*) AS customers, min(r.frequency) AS fewest_repeats, max(r.frequency) AS most_repeats,
       count(*) FILTER (WHERE s.frequency = r.frequency AND s.recency = r.recency AND s.tenure = r.tenure
                          AND s.orders = r.orders AND abs(s.monetary_value - r.monetary_value) < 1e-9) AS identical
FROM ref r JOIN long_serial s USING (customer_id);
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2; SET enable_hashagg = off;
SELECT count(*) > 0 AS partial_aggregate
FROM jsonb_path_query(test.explain_json($$SELECT customer_id, crm.purchase_summary(at, amount, '2023-06-30')
                                         FROM long_orders GROUP BY customer_id$$)::jsonb,
                      '$.** ? (@."Partial Mode" == "Partial")');
CREATE TEMP TABLE long_parallel AS
SELECT customer_id, (crm.purchase_summary(at, amount, '2023-06-30')).* FROM long_orders GROUP BY customer_id;
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather; RESET enable_hashagg;
SELECT count(*) AS customers, count(*) FILTER (WHERE s IS NOT DISTINCT FROM p) AS identical
FROM long_serial s JOIN long_parallel p USING (customer_id);
-- Running histories over scrambled days: the final function sorts the overflowed days, and later
-- rows add to them again.
CREATE TEMP TABLE long_three AS SELECT * FROM long_orders WHERE customer_id IN (3, 4, 5);
SELECT count(*) AS rows,
       count(*) FILTER (WHERE w.running = (SELECT crm.purchase_summary(l.at, l.amount, '2023-06-30')
                                          FROM long_three l WHERE l.customer_id = w.customer_id AND l.k <= w.k)) AS identical
FROM (SELECT customer_id, k,
             crm.purchase_summary(at, amount, '2023-06-30') OVER (PARTITION BY customer_id ORDER BY k) AS running
      FROM long_three) w;
DROP TABLE long_orders;
