-- crm.rfm_score and crm.rfm_segment, against plain-SQL references.

-- 3,000 customers in 3 regions with heavy ties: 60% bought once, recency in
-- whole weeks, spend in whole dollars.
CREATE TABLE test.rfm_customers AS
SELECT i AS customer_id,
       (ARRAY['north', 'south', 'west'])[1 + i % 3] AS region,
       ((i * 7919) % 52)::float8 * 7 AS recency_days,
       CASE WHEN (i * 104729) % 100 < 60 THEN 1 ELSE 1 + (i * 31) % 9 END::float8 AS frequency,
       (10 + (i * 2654435761) % 400)::float8 AS monetary,
       timestamptz '2024-12-31 12:00+00' - ((i * 7919) % 52) * interval '7 days' AS last_purchase
FROM generate_series(1::bigint, 3000) i;

-- the reference rule in plain SQL: a group of equal values at sorted positions
-- lo .. hi-1 of n gets least(bins, 1 + floor(bins * (lo + hi) / (2 n)))
CREATE FUNCTION test.rfm_reference(bins int)
RETURNS TABLE (customer_id bigint, r int, f int, m int) LANGUAGE sql AS $$
	SELECT customer_id,
	       least(bins, 1 + (bins * ((rank() OVER wr - 1) + count(*) OVER wr)) / (2 * count(*) OVER w))::int,
	       least(bins, 1 + (bins * ((rank() OVER wf - 1) + count(*) OVER wf)) / (2 * count(*) OVER w))::int,
	       least(bins, 1 + (bins * ((rank() OVER wm - 1) + count(*) OVER wm)) / (2 * count(*) OVER w))::int
	FROM test.rfm_customers
	WINDOW w AS (PARTITION BY region),
	       wr AS (PARTITION BY region ORDER BY recency_days DESC),
	       wf AS (PARTITION BY region ORDER BY frequency),
	       wm AS (PARTITION BY region ORDER BY monetary)
$$;

-- every score equals the reference, 5 bins (default), 3 and 10
SELECT count(*) AS customers,
       count(*) FILTER (WHERE (s).r = ref.r AND (s).f = ref.f AND (s).m = ref.m) AS equal_to_reference
FROM (SELECT customer_id, crm.rfm_score(recency_days, frequency, monetary) OVER (PARTITION BY region) AS s
      FROM test.rfm_customers) c
JOIN test.rfm_reference(5) ref USING (customer_id);

SELECT count(*) FILTER (WHERE (s).r = ref.r AND (s).f = ref.f AND (s).m = ref.m) AS equal_3_bins
FROM (SELECT customer_id, crm.rfm_score(recency_days, frequency, monetary, 3) OVER (PARTITION BY region) AS s
      FROM test.rfm_customers) c
JOIN test.rfm_reference(3) ref USING (customer_id);

SELECT count(*) FILTER (WHERE (s).r = ref.r AND (s).f = ref.f AND (s).m = ref.m) AS equal_10_bins,
       count(*) FILTER (WHERE (s).cell = concat_ws('-', ref.r, ref.f, ref.m)) AS cells_with_dashes
FROM (SELECT customer_id, crm.rfm_score(recency_days, frequency, monetary, 10) OVER (PARTITION BY region) AS s
      FROM test.rfm_customers) c
JOIN test.rfm_reference(10) ref USING (customer_id);

-- the timestamptz form scores the last purchase time (latest = best) exactly like recency
SELECT count(*) FILTER (WHERE a = b) AS time_form_equal
FROM (SELECT crm.rfm_score(recency_days, frequency, monetary) OVER (PARTITION BY region) AS a,
             crm.rfm_score(last_purchase, frequency, monetary) OVER (PARTITION BY region) AS b
      FROM test.rfm_customers) c;

-- equal values always share a score: no value has two scores
SELECT count(*) AS values_with_two_scores FROM (
	SELECT region, frequency FROM (
		SELECT region, frequency, crm.rfm_score(recency_days, frequency, monetary) OVER (PARTITION BY region) AS s
		FROM test.rfm_customers) c
	GROUP BY region, frequency HAVING count(DISTINCT (s).f) > 1) t;

-- the heavy tie (60% bought once) sits in the bin of its midpoint; bins 1 and 3 stay empty here
SELECT (s).f AS f_score, min(frequency) AS min_orders, max(frequency) AS max_orders, count(*) AS customers
FROM (SELECT frequency, crm.rfm_score(recency_days, frequency, monetary) OVER () AS s FROM test.rfm_customers) c
GROUP BY 1 ORDER BY 1;

-- cells, segments, and the segment distribution over all customers
SELECT (s).segment, count(*) AS customers, min((s).cell) AS a_cell
FROM (SELECT crm.rfm_score(recency_days, frequency, monetary) OVER () AS s FROM test.rfm_customers) c
GROUP BY 1 ORDER BY 2 DESC, 1;
SELECT count(*) FILTER (WHERE (s).segment = crm.rfm_segment((s).r, (s).f, (s).m)) AS segment_is_rfm11,
       count(*) FILTER (WHERE (s).cell = concat((s).r, (s).f, (s).m)) AS cell_is_rfm
FROM (SELECT crm.rfm_score(recency_days, frequency, monetary) OVER () AS s FROM test.rfm_customers) c;

-- a small worked example
SELECT id, recency, frequency, monetary, (s).*
FROM (SELECT id, recency, frequency, monetary, crm.rfm_score(recency, frequency, monetary) OVER () AS s
      FROM (VALUES (1, 3, 12, 950.0), (2, 10, 1, 40.0), (3, 45, 1, 35.0), (4, 200, 2, 80.0), (5, 3, 5, 400.0),
                   (6, 90, 1, 20.0), (7, 30, 3, 150.0), (8, 400, 1, 15.0), (9, 14, 2, 60.0), (10, 60, 1, 25.0))
           v(id, recency, frequency, monetary)) c
ORDER BY id;

-- one row, and all values equal: the middle score
SELECT (crm.rfm_score(1, 1, 1) OVER ()).*;
SELECT DISTINCT (s).* FROM (SELECT crm.rfm_score(7, 2, 50) OVER () AS s FROM generate_series(1, 10)) c;

-- NULL in a component: that score is NULL, the others are scored among the non-NULL values
SELECT id, (s).r, (s).f, (s).m, (s).cell, (s).segment
FROM (SELECT id, crm.rfm_score(recency, frequency, monetary) OVER () AS s
      FROM (VALUES (1, 10.0, 1.0, NULL), (2, 20.0, 2.0, 10.0), (3, NULL, 3.0, 20.0), (4, 40.0, 4.0, 30.0))
           v(id, recency, frequency, monetary)) c
ORDER BY id;

-- errors
SELECT test.error_of($$SELECT crm.rfm_score('NaN', 1, 1) OVER ()$$);
SELECT test.error_of($$SELECT crm.rfm_score(1, 'Infinity', 1) OVER ()$$);
SELECT test.error_of($$SELECT crm.rfm_score(1, 1, '-Infinity') OVER ()$$);
SELECT test.error_of($$SELECT crm.rfm_score(1, 1, 1, 1) OVER ()$$);
SELECT test.error_of($$SELECT crm.rfm_score(1, 1, 1, 101) OVER ()$$);
SELECT test.error_of($$SELECT crm.rfm_score(1, 1, 1, NULL) OVER ()$$);
SELECT test.error_of($$SELECT crm.rfm_score(i, i, i, 3 + i % 2) OVER () FROM generate_series(1, 4) i$$);

-- crm.rfm_segment ---------------------------------------------------------------

-- rfm11: the number of codes per segment, as tabulated (7 + 8 + 24 + 7 + 16 + 8 + 5 + 22 + 8 + 14 + 6 = 125)
SELECT crm.rfm_segment(r, f, m) AS segment, count(*) AS codes
FROM generate_series(1, 5) r, generate_series(1, 5) f, generate_series(1, 5) m
GROUP BY 1 ORDER BY 1;
SELECT crm.rfm_segment(5, 5, 5) AS c555, crm.rfm_segment(1, 1, 1) AS c111, crm.rfm_segment(3, 2, 3) AS c323,
       crm.rfm_segment(2, 1, 4) AS c214, crm.rfm_segment(1, 5, 5) AS c155, crm.rfm_segment(3, 3, 1) AS c331;

-- rf10: the R x F grid (m is ignored and may be NULL)
SELECT r, string_agg(crm.rfm_segment(r, f, NULL, 'rf10'), ' | ' ORDER BY f) AS f1_to_f5
FROM generate_series(1, 5) r, generate_series(1, 5) f GROUP BY r ORDER BY r DESC;
SELECT crm.rfm_segment(5, 5, 1, 'rf10') = crm.rfm_segment(5, 5, 5, 'rf10') AS m_ignored;

-- a user-defined scheme: exact cells win over "any m" cells
INSERT INTO crm.rfm_segment_map (scheme, r, f, m, segment) VALUES
	('vip', 5, 5, 5, 'VIP'), ('vip', 5, 5, NULL, 'Almost VIP');
SELECT crm.rfm_segment(5, 5, 5, 'vip') AS c555, crm.rfm_segment(5, 5, 1, 'vip') AS c551,
       crm.rfm_segment(1, 1, 1, 'vip') AS not_covered;
SELECT DISTINCT crm.rfm_segment(5, 5, i % 5 + 1, 'vip') FROM generate_series(1, 10) i ORDER BY 1;
-- reading the scheme does not use the caller's search_path: an "=" for text
-- planted in a schema searched before pg_catalog is never called (a
-- superuser's session would otherwise run it with superuser rights)
CREATE SCHEMA trap;
CREATE FUNCTION trap.text_eq(a text, b text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE NOTICE 'trap.= called'; RETURN a OPERATOR(pg_catalog.=) b; END $$;
CREATE OPERATOR trap.= (FUNCTION = trap.text_eq, LEFTARG = text, RIGHTARG = text);
SET search_path = trap, pg_catalog;
SELECT crm.rfm_segment(5, 5, 5, 'vip') AS c555_with_trap;
RESET search_path;
DROP SCHEMA trap CASCADE;

-- the table is dumped with the extension's configuration (pg_extension_config_dump)
SELECT 'crm.rfm_segment_map'::regclass = ANY (extconfig) AS dumped
FROM pg_extension WHERE extname = 'crm_marketing';

-- NULL scores or scheme give NULL; rfm11 needs m
SELECT crm.rfm_segment(NULL, 1, 1) IS NULL AS null_r, crm.rfm_segment(1, 1, NULL) IS NULL AS null_m,
       crm.rfm_segment(1, 1, 1, NULL) IS NULL AS null_scheme;

SELECT test.error_of($$SELECT crm.rfm_segment(6, 1, 1)$$);
SELECT test.error_of($$SELECT crm.rfm_segment(1, 0, 1, 'rf10')$$);
SELECT test.error_of($$SELECT crm.rfm_segment(1, 1, 1, 'no such scheme')$$);
SELECT test.error_of($$INSERT INTO crm.rfm_segment_map VALUES ('rfm11', 1, 1, 1, 'Mine')$$);
SELECT test.error_of($$INSERT INTO crm.rfm_segment_map VALUES ('vip', 5, 5, NULL, 'Duplicate')$$);
DELETE FROM crm.rfm_segment_map;
