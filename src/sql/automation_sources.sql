
-- The user's own tables the extension reads, registered, never imported: the
-- orders (campaign reports) and the customers (consent and time zone at
-- every campaign run), and the one checker of the columns of a user's table
-- (also used by the BI builders of customers_bi.sql).

-- _check_source_column(relation, column, reader, kind, what): the column's
-- type, checked for every table the user names (BI sources, crm.register_source).
-- kind: 'id' (bigint, integer, smallint, text, varchar, uuid), 'time'
-- (timestamptz, timestamp, date), 'amount' (any numeric type), 'time zone'
-- (text, varchar) or 'consent' (boolean).  42703 when the column is missing,
-- 42804 when its type is not allowed, 42501 when reader may not read it.
-- PUBLIC may call it: it reads only the catalog and what has_column_privilege
-- tells anyone, and the caller-rights BI builders need it.
CREATE FUNCTION @extschema@._check_source_column(relation regclass, col name, reader name, kind text, what text)
RETURNS regtype
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	allowed regtype[] := CASE kind
		WHEN 'id' THEN ARRAY['bigint', 'integer', 'smallint', 'text', 'character varying', 'uuid']
		WHEN 'time' THEN ARRAY['timestamp with time zone', 'timestamp without time zone', 'date']
		WHEN 'amount' THEN ARRAY['numeric', 'double precision', 'real', 'bigint', 'integer', 'smallint']
		WHEN 'time zone' THEN ARRAY['text', 'character varying']
		WHEN 'consent' THEN ARRAY['boolean']
	END::regtype[];
	typ regtype;
BEGIN
	IF allowed IS NULL THEN
		RAISE EXCEPTION 'unknown source column kind %', coalesce(quote_literal(kind), 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT a.atttypid::regtype INTO typ FROM pg_attribute a
	WHERE a.attrelid = relation AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'column "%" of relation % does not exist', col, relation
			USING ERRCODE = 'undefined_column', HINT = format('Pass the name of the %s column.', what);
	END IF;
	IF NOT typ = ANY (allowed) THEN
		RAISE EXCEPTION 'column "%" of relation % has type %, which cannot be the % column', col, relation, typ, what
			USING ERRCODE = 'datatype_mismatch', DETAIL = format('Allowed types: %s.', array_to_string(allowed, ', '));
	END IF;
	IF NOT has_column_privilege(reader, relation, col, 'SELECT') THEN
		RAISE EXCEPTION 'permission denied for column "%" of relation %', col, relation
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	RETURN typ;
END $$;
-- explicit, so that an upgraded database (where it was revoked) has the same ACL
GRANT EXECUTE ON FUNCTION @extschema@._check_source_column(regclass, name, name, text, text) TO PUBLIC;

CREATE TABLE @extschema@.sources (
	kind text PRIMARY KEY CHECK (kind IN ('orders', 'customers')),
	relation regclass NOT NULL,
	customer_column name NOT NULL,
	customer_type regtype NOT NULL,
	time_column name,
	amount_column name,
	time_zone_column name,
	consent_column name,
	registered_by name NOT NULL,
	registered_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CHECK (kind <> 'orders' OR (time_column IS NOT NULL AND amount_column IS NOT NULL))
);
SELECT pg_catalog.pg_extension_config_dump('@extschema@.sources', '');
COMMENT ON TABLE @extschema@.sources IS
  'The user''s own tables the reports read (crm.register_source): orders and, optionally, customers';

CREATE FUNCTION @extschema@.register_source(kind text, relation regclass,
	customer_column name DEFAULT 'customer_id', time_column name DEFAULT NULL, amount_column name DEFAULT NULL,
	time_zone_column name DEFAULT NULL, consent_column name DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	invoker name := @extschema@._invoker();
	customer_type regtype;
BEGIN
	IF kind IS NULL OR kind NOT IN ('orders', 'customers') THEN
		RAISE EXCEPTION 'crm.register_source: kind must be ''orders'' or ''customers'', got %', coalesce(quote_literal(kind), 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF relation IS NULL OR customer_column IS NULL THEN
		RAISE EXCEPTION 'crm.register_source: relation and customer_column must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF kind = 'orders' THEN
		time_column := coalesce(time_column, 'purchased_at');
		amount_column := coalesce(amount_column, 'amount');
		PERFORM @extschema@._check_source_column(relation, time_column, invoker, 'time', 'order time');
		PERFORM @extschema@._check_source_column(relation, amount_column, invoker, 'amount', 'order amount');
		IF time_zone_column IS NOT NULL OR consent_column IS NOT NULL THEN
			RAISE EXCEPTION 'crm.register_source: time zone and consent columns belong to the customers source'
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
	ELSE
		IF time_column IS NOT NULL OR amount_column IS NOT NULL THEN
			RAISE EXCEPTION 'crm.register_source: time and amount columns belong to the orders source'
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
		IF time_zone_column IS NOT NULL THEN
			PERFORM @extschema@._check_source_column(relation, time_zone_column, invoker, 'time zone', 'time zone');
		END IF;
		IF consent_column IS NOT NULL THEN
			PERFORM @extschema@._check_source_column(relation, consent_column, invoker, 'consent', 'consent');
		END IF;
	END IF;
	customer_type := @extschema@._check_source_column(relation, customer_column, invoker, 'id', 'customer id');
	INSERT INTO @extschema@.sources AS s (kind, relation, customer_column, customer_type, time_column, amount_column,
	                                      time_zone_column, consent_column, registered_by)
	VALUES (kind, relation, customer_column, customer_type, time_column, amount_column,
	        time_zone_column, consent_column, invoker)
	ON CONFLICT ON CONSTRAINT sources_pkey DO UPDATE
	SET relation = excluded.relation, customer_column = excluded.customer_column,
	    customer_type = excluded.customer_type, time_column = excluded.time_column,
	    amount_column = excluded.amount_column, time_zone_column = excluded.time_zone_column,
	    consent_column = excluded.consent_column,
	    registered_by = excluded.registered_by, registered_at = pg_catalog.now();
END $$;
COMMENT ON FUNCTION @extschema@.register_source(text, regclass, name, name, name, name, name) IS
  'Registers the user''s orders (customer, time, amount) or customers (time zone, marketing consent) table: campaigns read the customers source at every run';

REVOKE EXECUTE ON FUNCTION
	@extschema@.register_source(text, regclass, name, name, name, name, name)
FROM PUBLIC;

-- The orders source, or 55000 with a hint.
CREATE FUNCTION @extschema@._orders_source()
RETURNS @extschema@.sources
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s @extschema@.sources;
BEGIN
	SELECT * INTO s FROM @extschema@.sources WHERE kind = 'orders';
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no orders source is registered'
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      HINT = 'Call crm.register_source(''orders'', ''your_orders''::regclass, ''customer_id'', ''purchased_at'', ''amount'').';
	END IF;
	RETURN s;
END $$;

