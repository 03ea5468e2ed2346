-- Creates the extension and the helpers the other regression tests use.
CREATE EXTENSION crm_marketing;
SELECT extname, extversion, nspname
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE extname = 'crm_marketing';

CREATE SCHEMA test;

-- error_of(statement): 'SQLSTATE: message (detail)' of the error the statement
-- raises, or 'no error'.
CREATE FUNCTION test.error_of(statement text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	detail text;
BEGIN
	EXECUTE statement;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN SQLSTATE || ': ' || SQLERRM || coalesce(nullif(' (' || detail || ')', ' ()'), '');
END $$;

-- check(label, got, expected, tolerance): 'ok' when got matches expected to the
-- relative tolerance (absolute when expected is 0), else a line saying what differs.
-- NULL matches only NULL; infinities match only themselves.
CREATE FUNCTION test.check(label text, got float8, expected float8, tolerance float8)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE
		WHEN got IS NULL AND expected IS NULL THEN 'ok'
		WHEN got IS NULL OR expected IS NULL THEN label || ': got ' || coalesce(got::text, 'NULL')
			|| ', expected ' || coalesce(expected::text, 'NULL')
		WHEN got = expected THEN 'ok'
		WHEN got = 'NaN'::float8 OR expected IN ('Infinity', '-Infinity') OR got IN ('Infinity', '-Infinity')
			THEN label || ': got ' || got || ', expected ' || expected
		WHEN (CASE WHEN expected = 0 THEN abs(got) ELSE abs(got / expected - 1) END) <= tolerance THEN 'ok'
		ELSE label || ': got ' || got || ', expected ' || expected || ', relative error '
			|| (CASE WHEN expected = 0 THEN abs(got) ELSE abs(got / expected - 1) END)::numeric(10, 3)::text
	END
$$;

SELECT test.check('same', 1.0, 1.0 + 1e-13, 1e-12) AS pass,
       test.check('differs', 1.0, 1.1, 1e-12) AS fail,
       test.error_of('SELECT 1/0') AS error;
