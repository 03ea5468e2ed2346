-- crm.cohort_retention and crm.cohort_table against the canonical cohort SQL
-- (first-activity CTE + join + DISTINCT + GROUP BY), in several time zones.

-- 400 customers, orders over 14 months of 2023-2024, some in the small hours
-- so that the local date depends on the time zone; customers 1-3 are special.
CREATE TABLE test.orders AS
SELECT c AS customer_id,
       timestamptz '2023-01-01 00:00+00' + ((c * 37) % 200) * interval '1 day'
         + o * ((c * 13) % 60 + 5) * interval '1 day' + ((c * o * 7919) % 1440) * interval '1 minute' AS at,
       round((5 + (c * o * 104729) % 200)::numeric, 2) AS amount
FROM generate_series(4, 400) c, generate_series(0, c % 7) o
WHERE (c * 31 + o) % 11 <> 0
UNION ALL VALUES
  -- a one-customer cohort in a month of its own (2022-11), back after a gap
  (1, timestamptz '2022-11-15 12:00+00', 10.00), (1, timestamptz '2023-06-01 12:00+00', 20.00),
  -- time-zone edges: 23:30 UTC on the last day of a month is the next month in Berlin
  (2, timestamptz '2023-03-31 23:30+00', 5.00), (2, timestamptz '2023-04-30 23:30+00', 7.00),
  -- the night of a DST change in Europe and in the US
  (3, timestamptz '2023-03-26 00:30+00', 1.00), (3, timestamptz '2023-03-12 06:30+00', 2.00),
  -- rows with NULLs are skipped
  (NULL, timestamptz '2023-01-01 00:00+00', 1.00), (5, NULL, 1.00);
ANALYZE test.orders;

-- the canonical SQL, in the session time zone; all (cohort, period number) pairs up to the last period
CREATE FUNCTION test.cohort_reference(period text)
RETURNS TABLE (cohort date, period_number int, cohort_size bigint, retained bigint, revenue numeric)
LANGUAGE sql AS $$
	WITH activity AS (
		SELECT customer_id, date_trunc(period, at)::date AS p, sum(amount) AS amount
		FROM test.orders WHERE customer_id IS NOT NULL AND at IS NOT NULL GROUP BY 1, 2),
	firsts AS (SELECT customer_id, min(p) AS cohort FROM activity GROUP BY 1),
	sizes AS (SELECT cohort, count(*) AS cohort_size FROM firsts GROUP BY 1),
	numbered AS (
		SELECT f.cohort, a.customer_id, a.amount,
		       CASE period WHEN 'day' THEN a.p - f.cohort
		                   WHEN 'week' THEN (a.p - f.cohort) / 7
		                   ELSE ((extract(year FROM a.p) - extract(year FROM f.cohort)) * 12
		                         + extract(month FROM a.p) - extract(month FROM f.cohort))::int
		                        / CASE period WHEN 'month' THEN 1 WHEN 'quarter' THEN 3 ELSE 12 END
		       END AS k
		FROM activity a JOIN firsts f USING (customer_id)),
	span AS (SELECT s.cohort, s.cohort_size, k
	         FROM sizes s, (SELECT max(p) AS last FROM activity) l,
	              generate_series(0, CASE period WHEN 'day' THEN l.last - s.cohort
	                                             WHEN 'week' THEN (l.last - s.cohort) / 7
	                                             ELSE ((extract(year FROM l.last) - extract(year FROM s.cohort)) * 12
	                                                   + extract(month FROM l.last) - extract(month FROM s.cohort))::int
	                                                  / CASE period WHEN 'month' THEN 1 WHEN 'quarter' THEN 3 ELSE 12 END
	                              END) k)
	SELECT span.cohort, span.k, span.cohort_size, count(n.customer_id), coalesce(sum(n.amount), 0)
	FROM span LEFT JOIN numbered n ON n.cohort = span.cohort AND n.k = span.k
	GROUP BY 1, 2, 3
$$;

-- compare(period): rows of our table, rows of the reference, and rows that differ
CREATE FUNCTION test.cohort_compare(period text)
RETURNS TABLE (ours bigint, reference bigint, differing bigint) LANGUAGE sql AS $$
	WITH ours AS (
		SELECT t.* FROM (SELECT crm.cohort_retention(customer_id, at, period, amount) AS m FROM test.orders) x,
		       crm.cohort_table(x.m) t),
	ref AS (SELECT * FROM test.cohort_reference(period))
	SELECT (SELECT count(*) FROM ours), (SELECT count(*) FROM ref),
	       (SELECT count(*) FROM ours o FULL JOIN ref r ON o.cohort = r.cohort AND o.period_number = r.period_number
	        WHERE o.cohort IS NULL OR r.cohort IS NULL OR o.cohort_size <> r.cohort_size OR o.retained <> r.retained
	           OR abs(o.revenue - r.revenue::float8) > 1e-9 * abs(r.revenue::float8)
	           OR o.retention_rate <> o.retained::float8 / o.cohort_size)
$$;

SET TimeZone = 'UTC';
SELECT p, c.* FROM unnest(ARRAY['day', 'week', 'month', 'quarter', 'year']) p, test.cohort_compare(p) c;
SET TimeZone = 'Europe/Berlin';
SELECT p, c.* FROM unnest(ARRAY['day', 'week', 'month', 'quarter', 'year']) p, test.cohort_compare(p) c;
SET TimeZone = 'America/New_York';
SELECT p, c.* FROM unnest(ARRAY['day', 'week', 'month']) p, test.cohort_compare(p) c;
SET TimeZone = 'Asia/Kolkata';
SELECT p, c.* FROM unnest(ARRAY['day', 'week', 'month']) p, test.cohort_compare(p) c;

-- the time zone moves customer 2's orders into the next month in Berlin, not in UTC
SET TimeZone = 'UTC';
SELECT t.cohort, t.period_number, t.retained FROM crm.cohort_table(
	(SELECT crm.cohort_retention(customer_id, at, 'month') FROM test.orders WHERE customer_id = 2)) t;
SET TimeZone = 'Europe/Berlin';
SELECT t.cohort, t.period_number, t.retained FROM crm.cohort_table(
	(SELECT crm.cohort_retention(customer_id, at, 'month') FROM test.orders WHERE customer_id = 2)) t;
SET TimeZone = 'UTC';

-- the one-customer cohort of 2022-11, the empty month 2022-12 (no cohort row), retention 0 in between
SELECT cohort, period_number, cohort_size, retained, retention_rate, revenue, cumulative_revenue_per_customer
FROM crm.cohort_table((SELECT crm.cohort_retention(customer_id, at, 'month', amount) FROM test.orders))
WHERE cohort <= '2023-01-01' AND period_number <= 8
ORDER BY cohort, period_number;

-- the matrix value itself, as stored
SELECT (m).period, array_length((m).cohorts, 1) AS cohorts, (m).cohorts[1:3] AS first_cohorts,
       (m).cohort_sizes[1:3] AS sizes, (m).last_period, array_length((m).retained, 1) AS cells,
       (m).revenue IS NULL AS no_revenue
FROM (SELECT crm.cohort_retention(customer_id, at, 'quarter') AS m FROM test.orders) x;

-- text ids, float8 and numeric amounts give the same matrix
SELECT (SELECT crm.cohort_retention(customer_id::text, at, 'week', amount) FROM test.orders)
     = (SELECT crm.cohort_retention(customer_id, at, 'week', amount) FROM test.orders) AS text_ids_same,
       (SELECT crm.cohort_retention(customer_id, at, 'week', amount::float8) FROM test.orders)
     = (SELECT crm.cohort_retention(customer_id, at, 'week', amount) FROM test.orders) AS float8_same,
       (SELECT crm.cohort_retention(customer_id::text, at, 'week') FROM test.orders)
     = (SELECT crm.cohort_retention(customer_id, at, 'week') FROM test.orders) AS without_amount_same;

-- uuid ids go through text
SELECT (t).cohort_size, (t).retained FROM (
	SELECT crm.cohort_table(crm.cohort_retention(id::text, at, 'month')) AS t
	FROM (VALUES ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, timestamptz '2024-01-05'),
	             ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, timestamptz '2024-02-05'),
	             ('b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12'::uuid, timestamptz '2024-01-20')) v(id, at)) x;

-- by segment, with GROUP BY
SELECT customer_id % 2 AS segment, array_length((crm.cohort_retention(customer_id, at, 'month')).cohorts, 1) AS cohorts
FROM test.orders WHERE customer_id IS NOT NULL GROUP BY 1 ORDER BY 1;

-- empty input: no cohorts, no rows
SELECT crm.cohort_retention(customer_id, at, 'month') FROM test.orders WHERE false;
SELECT count(*) FROM crm.cohort_table((SELECT crm.cohort_retention(customer_id, at, 'month') FROM test.orders WHERE false));

-- errors
SELECT test.error_of($$SELECT crm.cohort_retention(1, now(), 'fortnight')$$);
SELECT test.error_of($$SELECT crm.cohort_retention(1, now(), NULL)$$);
SELECT test.error_of($$SELECT crm.cohort_retention(i, now(), CASE WHEN i < 2 THEN 'month' ELSE 'week' END) FROM generate_series(1, 3) i$$);
SELECT test.error_of($$SELECT crm.cohort_retention(1, 'infinity', 'month')$$);
SELECT test.error_of($$SELECT crm.cohort_retention(1, now(), 'month', 'NaN'::float8)$$);
SELECT test.error_of($$SELECT crm.cohort_retention(1, now(), 'month', 'Infinity'::numeric)$$);
SELECT test.error_of($$SELECT crm.cohort_retention(i, timestamptz '1990-01-01' + i * interval '1 day', 'day')
                      FROM generate_series(1, 20000, 2) i$$);
-- a date far in the future: more than 100,000 periods is refused before any cell is allocated
SELECT test.error_of($$SELECT crm.cohort_retention(c, t, 'month', 1.0)
                      FROM (VALUES (1, timestamptz '2024-01-15'), (2, '2024-02-15'), (3, '2024-03-15'), (4, '2024-04-15'),
                                   (5, '2024-05-15'), (1, '294276-12-31')) v(c, t)$$);
SELECT test.error_of($$SELECT crm.cohort_retention(c, t, 'day') FROM (VALUES (1, timestamptz '4713-01-01 BC'), (1, '294276-12-31')) v(c, t)$$);
-- revenue beyond the double range is an overflow, never Infinity or NaN
SELECT test.error_of($$SELECT crm.cohort_retention(c, '2024-01-15', 'month', 1e308::float8) FROM generate_series(1, 2) c$$);
SELECT test.error_of($$SELECT crm.cohort_retention(1, t, 'month', 1e308::numeric)
                      FROM (VALUES (timestamptz '2024-01-15'), ('2024-01-16')) v(t)$$);

-- a matrix built by hand is checked
SELECT test.error_of($$SELECT * FROM crm.cohort_table(ROW('month', '{2024-01-01,2024-02-01}', '{5}', '2024-02-01', '{5,1,2}', NULL)::crm.cohort_matrix)$$);
SELECT test.error_of($$SELECT * FROM crm.cohort_table(ROW('month', '{2024-02-01,2024-01-01}', '{5,3}', '2024-02-01', '{5,1,2}', NULL)::crm.cohort_matrix)$$);
SELECT test.error_of($$SELECT * FROM crm.cohort_table(ROW('month', '{2024-01-01}', '{5}', '2024-02-01', '{5,1,2}', NULL)::crm.cohort_matrix)$$);
SELECT test.error_of($$SELECT * FROM crm.cohort_table(ROW('month', '{2024-01-01}', '{5}', '2024-02-01', '{5,6}', NULL)::crm.cohort_matrix)$$);
SELECT test.error_of($$SELECT * FROM crm.cohort_table(ROW('hour', '{2024-01-01}', '{5}', '2024-02-01', '{5,1}', NULL)::crm.cohort_matrix)$$);
SELECT * FROM crm.cohort_table(ROW('month', '{2024-01-01}', '{5}', '2024-02-01', '{5,1}', '{100,20}')::crm.cohort_matrix);

-- the serialized state is validated.  SQL cannot call a function with an
-- internal argument, so the test declares the C symbol with a bytea in its
-- place (superuser only); it returns true when the state is accepted.
CREATE FUNCTION test.cohort_deserialize(bytea, bytea) RETURNS boolean
AS 'crm_marketing', 'crm_cohort_retention_deserialize' LANGUAGE C STRICT;
SELECT test.error_of($$SELECT test.cohort_deserialize('\x00'::bytea, '')$$);
SELECT test.error_of($$SELECT test.cohort_deserialize('\x4352434f0102000000'::bytea, '')$$);
SELECT test.error_of($$SELECT test.cohort_deserialize('\x4352434f0107000043524d4d0100'::bytea, '')$$);
SELECT test.error_of($$SELECT test.cohort_deserialize('\x4352434f01020000'::bytea || '\x43524d4d0104'::bytea || '\x7fffffffffffffff'::bytea, '')$$);
-- a well-formed state: one customer (id 7) with two periods
SELECT test.cohort_deserialize('\x4352434f01020000'::bytea || '\x43524d4d0104'::bytea || '\x0000000000000001'::bytea
       || '\x0000000000000007'::bytea || '\x00000002'::bytea || '\x00000000000000010000000000000002'::bytea, '') AS accepted;
-- the same with a trailing byte, and with an event count beyond the data
SELECT test.error_of($$SELECT test.cohort_deserialize('\x4352434f01020000'::bytea || '\x43524d4d0104'::bytea || '\x0000000000000001'::bytea
       || '\x0000000000000007'::bytea || '\x00000002'::bytea || '\x0000000000000001000000000000000200'::bytea, '')$$);
SELECT test.error_of($$SELECT test.cohort_deserialize('\x4352434f01020000'::bytea || '\x43524d4d0104'::bytea || '\x0000000000000001'::bytea
       || '\x0000000000000007'::bytea || '\x000000ff'::bytea || '\x00000000000000010000000000000002'::bytea, '')$$);
