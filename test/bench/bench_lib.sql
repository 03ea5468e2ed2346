-- Shared by the benchmarks: pg_temp.time_ms(query, runs) = median wall time
-- in ms of `runs` executions after one warm-up run, and a table of results.
CREATE OR REPLACE FUNCTION pg_temp.time_ms(query text, runs int DEFAULT 5) RETURNS float8
LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz;
	times float8[] := '{}';
BEGIN
	EXECUTE query;
	FOR i IN 1..runs LOOP
		t0 := clock_timestamp();
		EXECUTE query;
		times := times || extract(epoch FROM clock_timestamp() - t0)::float8 * 1000;
	END LOOP;
	RETURN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY t) FROM unnest(times) t);
END $$;
