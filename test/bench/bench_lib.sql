-- Shared by the benchmarks: pg_temp.time_ms(query, runs) = median wall time
-- in ms of `runs` executions after one warm-up run, and a table of results.
-- pg_temp.times_interleaved(variants, queries, runs) times queries that are
-- compared with each other in rounds (each query once a round), so that the
-- shared machine's speed drifting during the benchmark moves every query
-- alike instead of tilting their ratios; a row per variant, median ms.
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

CREATE OR REPLACE FUNCTION pg_temp.times_interleaved(variants text[], queries text[], runs int DEFAULT 5)
RETURNS TABLE (variant text, ms float8)
LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz;
	times float8[] := array_fill(0::float8, ARRAY[array_length(queries, 1), runs]);
BEGIN
	FOR q IN 1..array_length(queries, 1) LOOP
		EXECUTE queries[q];
	END LOOP;
	FOR i IN 1..runs LOOP
		FOR q IN 1..array_length(queries, 1) LOOP
			t0 := clock_timestamp();
			EXECUTE queries[q];
			times[q][i] := extract(epoch FROM clock_timestamp() - t0)::float8 * 1000;
		END LOOP;
	END LOOP;
	RETURN QUERY
	SELECT variants[q], (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY t)
	                     FROM unnest(times[q:q][1:runs]) t)
	FROM generate_subscripts(queries, 1) q ORDER BY q;
END $$;
