-- Every function of schema crm, called with hostile but well-typed arguments.
--
-- The functions are read from pg_proc, so a function added later is covered
-- without touching this test.  For each one the plan holds calls with: every
-- argument NULL; every argument valid; each argument alone NULL; each argument
-- alone set to each edge value of its type (NaN, infinities, extremes, empty
-- and huge strings, empty and 2-D arrays, composites of NULLs and extremes).
-- Aggregates and window functions see small row sets holding those values.
--
-- A call offends when it raises XX000 (an internal error: a bug, not a user
-- mistake), runs into the statement timeout (57014), or returns a NaN
-- anywhere in its result (composite fields and array elements included); a
-- crash ends the session, which pg_regress reports.  Any other error is the
-- function refusing bad input, which is what we want.
--
-- Each call is a top-level statement of its own (\gexec), so that
-- statement_timeout bounds it, and runs in a subtransaction that is always
-- rolled back: create_campaign, report_delivery, register_source, rfm_view
-- and the like run with the fuzz values too but leave nothing behind.

CREATE SCHEMA fuzz;

-- a small orders table for regclass arguments (crm.rfm_segments etc.)
CREATE TABLE fuzz.orders (customer_id bigint, purchased_at timestamptz, amount numeric);
INSERT INTO fuzz.orders VALUES (1, '2024-01-05 10:00+00', 10), (1, '2024-02-07 11:00+00', 20),
                               (2, '2024-01-20 09:00+00', 5), (3, '2024-03-01 12:00+00', 0);

CREATE TABLE fuzz.plan (
	id serial PRIMARY KEY,
	category text NOT NULL,     -- scalar, set-returning, aggregate, window, procedure
	signature text NOT NULL,
	args text[] NOT NULL,       -- the argument expressions (of the odd row, for aggregates)
	call text NOT NULL
);
CREATE TABLE fuzz.outcomes (
	id int PRIMARY KEY,
	sqlstate text NOT NULL,     -- 00000 when the call returned
	message text,
	has_nan boolean NOT NULL
);
CREATE TABLE fuzz.missing_types (type regtype PRIMARY KEY);

-- values_of(type, argument name, argument default): SQL expressions of the
-- type: a valid value (base), three more valid values for the rows of an
-- aggregate (alts) and the edge values (edges, NULL not included).
CREATE FUNCTION fuzz.values_of(t regtype, arg text, arg_default text,
	OUT base text, OUT alts text[], OUT edges text[])
LANGUAGE plpgsql AS $$
DECLARE
	tn text := t::text;
	raw_base text;
	raw_alts text[];
	raw_edges text[];
	elem regtype;
	field record;
	fields text[];
	fbase text[] := '{}';
	fedges text[][];
	v record;
	f int;
	e text;
	row_of text;
BEGIN
	IF arg IN ('confidence') THEN
		raw_base := '0.95';
	END IF;
	CASE t
	WHEN 'double precision'::regtype, 'real'::regtype THEN
		raw_base := coalesce(raw_base, '0.5');
		raw_alts := ARRAY['1.5', '2.5', '3.5'];
		raw_edges := ARRAY['NaN', 'Infinity', '-Infinity', '0', '-0', '1e308', '-1e308', '1e-308',
		                   '5e-324', '0.5', '-1', '1e300', '1e-300', '1e15'];
	WHEN 'integer'::regtype THEN
		raw_base := CASE WHEN arg = 'bins' THEN '5' WHEN arg = 'score' THEN '9' ELSE '1' END;
		raw_alts := CASE WHEN arg = 'score' THEN ARRAY['3', '7', '10'] ELSE ARRAY['2', '3', '0'] END;
		raw_edges := ARRAY['0', '-1', '2147483647', '-2147483648'];
	WHEN 'bigint'::regtype THEN
		raw_base := '1';
		raw_alts := ARRAY['2', '3', '1'];
		raw_edges := ARRAY['0', '-1', '9223372036854775807', '-9223372036854775808'];
	WHEN 'smallint'::regtype THEN
		raw_base := '1';
		raw_alts := ARRAY['2', '3', '4'];
		raw_edges := ARRAY['0', '-1', '32767', '-32768'];
	WHEN 'numeric'::regtype THEN
		raw_base := '0.5';
		raw_alts := ARRAY['1.5', '2.5', '3.5'];
		raw_edges := ARRAY['NaN', 'Infinity', '-Infinity', '1e1000', '-1e1000', '1e-1000', '0', '-1',
		                   '1e308', '2e308'];
	WHEN 'boolean'::regtype THEN
		raw_base := 'true';
		raw_alts := ARRAY['false', 'true', 'false'];
		raw_edges := ARRAY['false'];
	WHEN 'text'::regtype, 'character varying'::regtype THEN
		raw_base := CASE arg
			WHEN 'period' THEN 'month' WHEN 'channel' THEN 'email' WHEN 'kind' THEN 'orders'
			WHEN 'status' THEN 'delivered' WHEN 'new_status' THEN 'paused' WHEN 'time_zone' THEN 'UTC'
			WHEN 'view_name' THEN 'fuzz_view' WHEN 'search_path' THEN 'public' WHEN 'what' THEN 'segment'
			WHEN 'query' THEN 'SELECT customer_id FROM fuzz.orders' WHEN 'method' THEN 'holm'
			WHEN 'scheme' THEN 'rfm11' WHEN 'customer_id' THEN 'c1'
			WHEN 'name' THEN 'fuzz_thing' WHEN 'audience' THEN 'fuzz_thing' WHEN 'campaign' THEN 'fuzz_thing'
			ELSE 'x' END;
		raw_alts := CASE WHEN arg = 'customer_id' THEN ARRAY['c2', 'c3', 'c1'] ELSE ARRAY[raw_base, raw_base, raw_base] END;
		raw_edges := ARRAY['', 'x', repeat('x', 10240), 'NaN', E'a\\b''"; --'];
	WHEN 'name'::regtype THEN
		raw_base := 'customer_id';
		raw_alts := ARRAY[raw_base, raw_base, raw_base];
		raw_edges := ARRAY['', 'x', repeat('n', 63), 'amount', 'purchased_at'];
	WHEN 'bytea'::regtype THEN
		raw_base := '\x0102';
		raw_alts := ARRAY['\x03', '\x', '\x0405'];
		raw_edges := ARRAY['\x', '\x00', '\x' || repeat('ff', 10240)];
	WHEN 'timestamp with time zone'::regtype, 'timestamp without time zone'::regtype THEN
		raw_base := '2024-03-31 00:00+00';
		raw_alts := ARRAY['2024-01-05 10:00+00', '2024-02-07 11:00+00', '2024-01-20 09:00+00'];
		raw_edges := ARRAY['infinity', '-infinity', 'now', '4713-01-01 00:00+00 BC', '294276-12-31 00:00+00',
		                   '1970-01-01 00:00+00'];
	WHEN 'date'::regtype THEN
		raw_base := '2024-03-31';
		raw_alts := ARRAY['2024-01-05', '2024-02-07', '2024-01-20'];
		raw_edges := ARRAY['infinity', '-infinity', '4713-01-01 BC', '5874897-12-31'];
	WHEN 'time without time zone'::regtype THEN
		raw_base := '22:00';
		raw_alts := ARRAY['08:00', '22:00', '00:00'];
		raw_edges := ARRAY['00:00', '24:00', '23:59:59.999999', '12:00'];
	WHEN 'interval'::regtype THEN
		raw_base := '1 day';
		raw_alts := ARRAY[raw_base, raw_base, raw_base];
		raw_edges := ARRAY['0', '-1 day', '1 microsecond', '178000000 years', '-178000000 years',
		                   '2147483647 days 2147483647 months', '1 month'];
	WHEN 'jsonb'::regtype, 'json'::regtype THEN
		raw_base := '{}';
		raw_alts := ARRAY['{"a": 1}', '[]', 'null'];
		raw_edges := ARRAY['null', '[1, 2]', '"NaN"', '{"a": {"b": [1e308, -1e308]}}'];
	WHEN 'regclass'::regtype THEN
		raw_base := 'fuzz.orders';
		raw_alts := ARRAY[raw_base, raw_base, raw_base];
		raw_edges := ARRAY['pg_class', 'crm.outbox', 'fuzz.plan'];
	WHEN 'regrole'::regtype THEN
		raw_base := current_user;
		raw_alts := ARRAY[raw_base, raw_base, raw_base];
		raw_edges := ARRAY['-', 'pg_monitor'];
	WHEN 'regtype'::regtype THEN
		raw_base := 'bigint';
		raw_alts := ARRAY[raw_base, raw_base, raw_base];
		raw_edges := ARRAY['-', 'text', 'record'];
	ELSE
		NULL;
	END CASE;

	IF raw_base IS NOT NULL THEN
		base := format('%L::%s', raw_base, tn);
		alts := ARRAY(SELECT format('%L::%s', a, tn) FROM unnest(raw_alts) a);
		edges := ARRAY(SELECT format('%L::%s', a, tn) FROM unnest(raw_edges) a);
	ELSIF EXISTS (SELECT FROM pg_type WHERE oid = t AND typcategory = 'A') THEN
		-- arrays: of the element's values, plus the empty, {NULL} and 2-D shapes
		SELECT typelem INTO elem FROM pg_type WHERE oid = t;
		SELECT * INTO v FROM fuzz.values_of(elem, NULL, NULL);
		IF v.base IS NULL THEN
			INSERT INTO fuzz.missing_types VALUES (t) ON CONFLICT DO NOTHING;
			RETURN;
		END IF;
		IF elem = 'double precision'::regtype THEN
			base := 'ARRAY[0.01, 0.04, 0.03]::float8[]';
		ELSE
			base := format('ARRAY[%s]', v.base);
		END IF;
		alts := ARRAY[base, base, base];
		edges := ARRAY[format('%L::%s', '{}', tn), format('%L::%s', '{NULL}', tn),
		               format('ARRAY[ARRAY[%s, %s], ARRAY[%s, %s]]', v.base, v.alts[1], v.alts[2], v.alts[3]),
		               format('ARRAY[%s, NULL]', v.base)]
		         || ARRAY(SELECT format('ARRAY[%s]', x) FROM unnest(v.edges) x);
	ELSIF EXISTS (SELECT FROM pg_type WHERE oid = t AND typtype = 'c') THEN
		-- composites: built from the fields' values; each field alone at each of
		-- its edges; all float fields at one edge (an extreme model), or mixed
		fields := '{}';
		FOR field IN
			SELECT a.atttypid::regtype AS ftype FROM pg_attribute a JOIN pg_type ty ON ty.typrelid = a.attrelid
			WHERE ty.oid = t AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
		LOOP
			SELECT * INTO v FROM fuzz.values_of(field.ftype, NULL, NULL);
			fields := fields || field.ftype::text;
			fbase := fbase || coalesce(v.base, 'NULL::' || field.ftype::text);
			fedges := fedges || ARRAY[coalesce(array_to_string(v.edges, chr(1)), '')];
		END LOOP;
		row_of := 'ROW(%s)::' || tn;
		base := format(row_of, array_to_string(fbase, ', '));
		alts := ARRAY[base, base, base];
		edges := ARRAY[format(row_of, array_to_string(array_fill('NULL'::text, ARRAY[array_length(fields, 1)]), ', '))];
		FOR f IN 1 .. coalesce(array_length(fields, 1), 0) LOOP
			IF fedges[f] <> '' THEN
				FOREACH e IN ARRAY string_to_array(fedges[f], chr(1)) LOOP
					edges := edges || format(row_of, array_to_string(fbase[1:f-1] || e || fbase[f+1:], ', '));
				END LOOP;
			END IF;
		END LOOP;
		FOREACH e IN ARRAY ARRAY['NaN', 'Infinity', '-Infinity', '0', '1e308', '1e-308', '5e-324', '-1', '1e300', '1e-300',
		                         '1e15', '1e-15', 'mix1', 'mix2'] LOOP
			edges := edges || format(row_of, array_to_string(ARRAY(
				SELECT CASE WHEN fields[i] <> 'double precision' THEN fbase[i]
				            WHEN e = 'mix1' THEN CASE WHEN i % 2 = 0 THEN '1e300::float8' ELSE '1e-300::float8' END
				            WHEN e = 'mix2' THEN CASE WHEN i % 2 = 1 THEN '1e300::float8' ELSE '1e-300::float8' END
				            ELSE format('%L::float8', e) END
				FROM generate_subscripts(fields, 1) i ORDER BY i), ', '));
		END LOOP;
	ELSE
		INSERT INTO fuzz.missing_types VALUES (t) ON CONFLICT DO NOTHING;
		RETURN;
	END IF;

	-- a documented default is a valid value that validation accepts
	IF arg_default IS NOT NULL THEN
		base := format('(%s)::%s', arg_default, tn);
	END IF;
END $$;

-- plan_function(oid): the calls of one function into fuzz.plan
CREATE FUNCTION fuzz.plan_function(fn oid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	p pg_proc;
	sig text := fn::regprocedure::text;
	category text;
	n int;
	types regtype[];
	names text[];
	bases text[] := '{}';
	altss text[] := '{}';        -- per argument, the three alts joined by chr(1)
	edgess text[] := '{}';       -- per argument, the edges joined by chr(1)
	constant boolean[] := '{}';  -- arguments an aggregate needs equal on every row
	v record;
	i int;
	k2 int;
	e text;
	e2 text;
	scenarios text[][] := '{}';  -- each: the arguments of one call (or of the odd row)
	every_row boolean[] := '{}'; -- aggregates: the odd value on every row, not one
	s int;
	args text[];
	nulls text[];
	fname text;
	rows text;
	cols text;
BEGIN
	SELECT * INTO p FROM pg_proc WHERE oid = fn;
	n := p.pronargs;
	types := ARRAY(SELECT unnest(p.proargtypes::regtype[]));  -- oidvector subscripts start at 0
	names := coalesce(p.proargnames[1:n], array_fill(NULL::text, ARRAY[n]));
	fname := format('%I.%I', 'crm', p.proname);
	category := CASE p.prokind WHEN 'a' THEN 'aggregate' WHEN 'w' THEN 'window' WHEN 'p' THEN 'procedure'
	                           ELSE CASE WHEN p.proretset THEN 'set-returning' ELSE 'scalar' END END;
	FOR i IN 1 .. n LOOP
		SELECT * INTO v FROM fuzz.values_of(types[i], names[i],
			CASE WHEN i > n - p.pronargdefaults THEN pg_get_function_arg_default(fn, i) END);
		IF v.base IS NULL THEN
			RETURN;             -- a type we have no values for: listed at the end
		END IF;
		bases := bases || v.base;
		altss := altss || array_to_string(v.alts, chr(1));
		edgess := edgess || coalesce(array_to_string(v.edges, chr(1)), '');
		constant := constant || (names[i] IN ('confidence', 'bins', 'period', 'time_unit', 'observation_end'));
	END LOOP;
	nulls := ARRAY(SELECT 'NULL::' || types[j]::text FROM generate_series(1, n) g(j));

	IF n = 0 THEN
		INSERT INTO fuzz.plan (category, signature, args, call) VALUES (category, sig, '{}',
			CASE WHEN p.prokind = 'p' THEN format('CALL %s()', fname)
			     WHEN p.proretset THEN format('SELECT * FROM %s() r', fname)
			     ELSE format('SELECT %s() AS r', fname) END);
		RETURN;
	END IF;

	-- the argument lists: all valid, all NULL, one NULL, one at an edge
	scenarios := ARRAY[bases];
	every_row := ARRAY[false];
	scenarios := scenarios || ARRAY[nulls];
	every_row := every_row || false;
	FOR i IN 1 .. n LOOP
		scenarios := scenarios || ARRAY[bases[1:i-1] || nulls[i] || bases[i+1:]];
		every_row := every_row || false;
		IF edgess[i] <> '' THEN
			FOREACH e IN ARRAY string_to_array(edgess[i], chr(1)) LOOP
				scenarios := scenarios || ARRAY[bases[1:i-1] || e || bases[i+1:]];
				every_row := every_row || false;
				IF p.prokind IN ('a', 'w') THEN
					scenarios := scenarios || ARRAY[bases[1:i-1] || e || bases[i+1:]];
					every_row := every_row || true;
				END IF;
			END LOOP;
		END IF;
	END LOOP;
	-- small pure functions (the distributions, sample sizes, mSPRT): every
	-- pair of edges too, since p = 1e-308 with df = 1e308 is what hurts
	IF p.prokind = 'f' AND p.provolatile = 'i' AND n BETWEEN 2 AND 4
	   AND NOT EXISTS (SELECT FROM pg_type WHERE oid = ANY (types) AND typtype = 'c') THEN
		FOR i IN 1 .. n - 1 LOOP
			FOR k2 IN i + 1 .. n LOOP
				CONTINUE WHEN edgess[i] = '' OR edgess[k2] = '';
				FOREACH e IN ARRAY string_to_array(edgess[i], chr(1)) LOOP
					FOREACH e2 IN ARRAY string_to_array(edgess[k2], chr(1)) LOOP
						scenarios := scenarios || ARRAY[bases[1:i-1] || e || bases[i+1:k2-1] || e2 || bases[k2+1:]];
						every_row := every_row || false;
					END LOOP;
				END LOOP;
			END LOOP;
		END LOOP;
	END IF;

	cols := array_to_string(ARRAY(SELECT 'c' || j FROM generate_series(1, n) g(j)), ', ');
	FOR s IN 1 .. array_length(scenarios, 1) LOOP
		args := scenarios[s:s][1:n];
		args := ARRAY(SELECT unnest(args));
		IF p.prokind IN ('a', 'w') THEN
			-- four valid rows (varying where a value may vary), then the odd row
			rows := array_to_string(ARRAY(
				SELECT '(' || array_to_string(ARRAY(
					SELECT CASE WHEN every_row[s] AND args[j] IS DISTINCT FROM bases[j] THEN args[j]
					            WHEN k = 0 OR constant[j] THEN bases[j]
					            ELSE (string_to_array(altss[j], chr(1)))[k] END
					FROM generate_series(1, n) g(j) ORDER BY j), ', ') || ')'
				FROM generate_series(0, 3) k ORDER BY k), ', ')
				|| ', (' || array_to_string(args, ', ') || ')';
			INSERT INTO fuzz.plan (category, signature, args, call) VALUES (category, sig, args,
				format('SELECT %s(%s)%s AS r FROM (VALUES %s) v(%s)', fname, cols,
				       CASE WHEN p.prokind = 'w' THEN ' OVER ()' ELSE '' END, rows, cols));
		ELSIF p.prokind = 'p' THEN
			INSERT INTO fuzz.plan (category, signature, args, call) VALUES (category, sig, args,
				format('CALL %s(%s)', fname, array_to_string(args, ', ')));
		ELSIF p.proretset THEN
			INSERT INTO fuzz.plan (category, signature, args, call) VALUES (category, sig, args,
				format('SELECT * FROM %s(%s) r', fname, array_to_string(args, ', ')));
		ELSE
			INSERT INTO fuzz.plan (category, signature, args, call) VALUES (category, sig, args,
				format('SELECT %s(%s) AS r', fname, array_to_string(args, ', ')));
		END IF;
	END LOOP;
	IF p.prokind IN ('a', 'w') THEN
		-- empty input, and only a row of NULLs
		INSERT INTO fuzz.plan (category, signature, args, call) VALUES
			(category, sig, bases, format('SELECT %s(%s)%s AS r FROM (VALUES (%s)) v(%s) WHERE false', fname, cols,
			                       CASE WHEN p.prokind = 'w' THEN ' OVER ()' ELSE '' END, array_to_string(bases, ', '), cols)),
			(category, sig, nulls, format('SELECT %s(%s)%s AS r FROM (VALUES (%s)) v(%s)', fname, cols,
			                       CASE WHEN p.prokind = 'w' THEN ' OVER ()' ELSE '' END, array_to_string(nulls, ', '), cols));
	END IF;
END $$;

-- run(id): one call, in a subtransaction that is rolled back, its outcome recorded
CREATE FUNCTION fuzz.run(call_id int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	c fuzz.plan;
	result jsonb;
	state text;
	msg text;
BEGIN
	SELECT * INTO c FROM fuzz.plan WHERE id = call_id;
	BEGIN
		IF c.category = 'procedure' THEN
			EXECUTE c.call;
		ELSE
			-- results of megabytes (a cohort matrix over millennia) are not searched
			EXECUTE format('SELECT jsonb_agg(CASE WHEN pg_column_size(q) > 1000000 THEN ''"big"''::jsonb ELSE to_jsonb(q) END)
			                FROM (%s LIMIT 1000) q', c.call) INTO result;
		END IF;
		RAISE EXCEPTION 'undo the call' USING ERRCODE = 'FZ000';
	EXCEPTION
		WHEN query_canceled THEN
			state := SQLSTATE;
			msg := SQLERRM;
		WHEN OTHERS THEN
			state := SQLSTATE;
			msg := SQLERRM;
	END;
	IF state = 'FZ000' THEN
		state := '00000';
		msg := NULL;
	END IF;
	INSERT INTO fuzz.outcomes VALUES (call_id, state, msg,
		coalesce(jsonb_path_exists(result, 'lax $.** ? (@ == "NaN")'), false));
END $$;

-- the plan: every function of crm, except those that cannot be called from
-- SQL at all: an argument or result of type internal (aggregate support
-- functions, which the aggregates' calls exercise)
DO $$
BEGIN
	PERFORM fuzz.plan_function(p.oid)
	FROM pg_proc p
	WHERE p.pronamespace = 'crm'::regnamespace
	  AND NOT 'internal'::regtype = ANY (p.proargtypes::regtype[] || p.prorettype::regtype)
	ORDER BY p.oid::regprocedure::text;
END $$;

-- run it: one statement per call, so each has the timeout to itself
SET client_min_messages = error;
SET statement_timeout = '2s';
\set ECHO none
\o /dev/null
SELECT format('SELECT fuzz.run(%s)', id) FROM fuzz.plan ORDER BY id \gexec
\o
\set ECHO all
RESET statement_timeout;
RESET client_min_messages;

-- the size of the run
SELECT category, count(*) >= CASE category WHEN 'scalar' THEN 2000 WHEN 'aggregate' THEN 1000 ELSE 50 END AS many_calls
FROM fuzz.plan GROUP BY category ORDER BY category;
SELECT count(*) = (SELECT count(*) FROM fuzz.plan) AS every_call_ran FROM fuzz.outcomes;
SELECT count(*) > 1000 AS many_returned FROM fuzz.outcomes WHERE sqlstate = '00000';
SELECT count(*) > 1000 AS many_refused FROM fuzz.outcomes WHERE sqlstate <> '00000';

-- types of arguments this test has no values for (expected: none; add them to fuzz.values_of)
SELECT type FROM fuzz.missing_types ORDER BY 1;

-- functions of crm never called (expected: none)
SELECT p.oid::regprocedure AS not_called
FROM pg_proc p
WHERE p.pronamespace = 'crm'::regnamespace
  AND NOT 'internal'::regtype = ANY (p.proargtypes::regtype[] || p.prorettype::regtype)
  AND p.oid::regprocedure::text NOT IN (SELECT signature FROM fuzz.plan)
ORDER BY 1;

-- the offenders (expected: none): an internal error, a timeout or a NaN
SELECT p.signature, o.sqlstate, CASE WHEN o.has_nan THEN 'returned NaN' ELSE o.message END AS problem,
       left(p.call, 400) AS call
FROM fuzz.outcomes o JOIN fuzz.plan p USING (id)
WHERE o.sqlstate IN ('XX000', '57014') OR o.has_nan
ORDER BY p.signature, p.id;
