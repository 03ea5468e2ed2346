-- Each overload of an aggregate has its own transition function symbol where
-- the argument types differ, so the C code never guesses the types from the
-- call expression: that expression is missing when Citus (or any direct
-- function call) runs a transition function, and a bigint id read as text
-- crashes, a numeric amount read as float8 is garbage.

-- overloads of one aggregate that differ in an argument's type but share a
-- transition symbol (expected: none)
SELECT a1.aggfnoid::regprocedure AS overload, a2.aggfnoid::regprocedure AS other, t1.prosrc AS symbol
FROM pg_aggregate a1 JOIN pg_proc p1 ON p1.oid = a1.aggfnoid JOIN pg_proc t1 ON t1.oid = a1.aggtransfn,
     pg_aggregate a2 JOIN pg_proc p2 ON p2.oid = a2.aggfnoid JOIN pg_proc t2 ON t2.oid = a2.aggtransfn
WHERE p1.pronamespace = 'crm'::regnamespace AND p2.pronamespace = 'crm'::regnamespace
  AND p1.proname = p2.proname AND p1.oid < p2.oid AND t1.prosrc = t2.prosrc
  AND EXISTS (SELECT FROM generate_series(0, least(p1.pronargs, p2.pronargs) - 1) i
              WHERE p1.proargtypes[i] <> p2.proargtypes[i])
ORDER BY 1, 2;

-- the aggregates with an internal state: one symbol per overload
SELECT p.proname, count(*) AS overloads, count(DISTINCT t.prosrc) AS transition_symbols
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid JOIN pg_proc t ON t.oid = a.aggtransfn
WHERE p.pronamespace = 'crm'::regnamespace AND a.aggtranstype = 'internal'::regtype
  AND p.proname IN ('cohort_retention', 'customer_kpis', 'purchase_summary')
GROUP BY p.proname ORDER BY p.proname;

-- every overload in a serial and in a parallel plan, with the same numbers
CREATE TABLE test.overload_orders AS
SELECT (i * 7919) % 3000 AS customer_id,
       timestamptz '2023-01-01' + ((i * 104729) % 400) * interval '1 day' + (i % 1440) * interval '1 minute' AS at,
       ((i * 31) % 20000) / 100.0 AS amount
FROM generate_series(1::bigint, 30000) i;
ANALYZE test.overload_orders;

CREATE TABLE test.overload_calls (overload text, call text);
INSERT INTO test.overload_calls VALUES
	('cohort bigint', 'crm.cohort_retention(customer_id, at, ''month'')'),
	('cohort bigint float8', 'crm.cohort_retention(customer_id, at, ''month'', amount::float8)'),
	('cohort bigint numeric', 'crm.cohort_retention(customer_id, at, ''month'', amount)'),
	('cohort text', 'crm.cohort_retention(customer_id::text, at, ''month'')'),
	('cohort text float8', 'crm.cohort_retention(customer_id::text, at, ''month'', amount::float8)'),
	('cohort text numeric', 'crm.cohort_retention(customer_id::text, at, ''month'', amount)'),
	('kpis bigint float8', 'crm.customer_kpis(customer_id, at, amount::float8)'),
	('kpis bigint numeric', 'crm.customer_kpis(customer_id, at, amount)'),
	('kpis text float8', 'crm.customer_kpis(customer_id::text, at, amount::float8)'),
	('kpis text numeric', 'crm.customer_kpis(customer_id::text, at, amount)'),
	('summary float8', 'crm.purchase_summary(at, amount::float8, ''2024-03-01'')'),
	('summary float8 unit', 'crm.purchase_summary(at, amount::float8, ''2024-03-01'', ''1 week'')'),
	('summary numeric', 'crm.purchase_summary(at, amount, ''2024-03-01'')'),
	('summary numeric unit', 'crm.purchase_summary(at, amount, ''2024-03-01'', ''1 week'')');

-- run(): each overload's result, and whether its plan aggregated in parallel
CREATE FUNCTION test.overload_results() RETURNS TABLE (overload text, result text, partial boolean)
LANGUAGE plpgsql AS $$
DECLARE
	c test.overload_calls;
	query text;
BEGIN
	FOR c IN SELECT * FROM test.overload_calls ORDER BY 1 LOOP
		query := format('SELECT %s::text FROM test.overload_orders', c.call);
		overload := c.overload;
		EXECUTE query INTO result;
		partial := test.explain_json(query)::jsonb @? '$.** ? (@."Partial Mode" == "Partial")';
		RETURN NEXT;
	END LOOP;
END $$;

SET max_parallel_workers_per_gather = 0;
CREATE TABLE test.overload_serial AS SELECT * FROM test.overload_results();
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
CREATE TABLE test.overload_parallel AS SELECT * FROM test.overload_results();
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;

-- the numbers agree (counts and dates exactly, sums to 1e-12) and the
-- float8 and numeric amounts give the same result
CREATE FUNCTION test.same_result(a text, b text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
	SELECT count(*) = count(*) FILTER (WHERE x = y OR (x ~ '^-?[0-9.]+(e[-+]?[0-9]+)?$' AND y ~ '^-?[0-9.]+(e[-+]?[0-9]+)?$'
	                                                  AND test.check('', x::float8, y::float8, 1e-12) = 'ok'))
	FROM unnest(regexp_split_to_array(a, '[(){},"]+'), regexp_split_to_array(b, '[(){},"]+')) u(x, y)
$$;
SELECT s.overload, NOT s.partial AND p.partial AS parallel_plan, test.same_result(s.result, p.result) AS parallel_equals_serial
FROM test.overload_serial s JOIN test.overload_parallel p USING (overload)
ORDER BY s.overload;
SELECT a.overload, test.same_result(a.result, b.result) AS numeric_equals_float8
FROM test.overload_serial a JOIN test.overload_serial b
  ON b.overload = replace(a.overload, 'numeric', 'float8') AND a.overload LIKE '%numeric%'
ORDER BY 1;
