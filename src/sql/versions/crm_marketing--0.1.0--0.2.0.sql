-- crm_marketing 0.1.0 -> 0.2.0 (CHANGELOG.md).
\echo Use "ALTER EXTENSION crm_marketing UPDATE TO '0.2.0'" to load this file. \quit

-- One checker of the columns of the user's tables, for the BI builders and
-- crm.register_source alike: _check_source_column takes the kind of column
-- instead of a list of types, and replaces _source_column.
DROP FUNCTION @extschema@._source_column(regclass, name, text, text);
DROP FUNCTION @extschema@._check_source_column(regclass, name, name, regtype[], text);

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
GRANT EXECUTE ON FUNCTION @extschema@._check_source_column(regclass, name, name, text, text) TO PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@._rfm_query(source regclass, customer_column name, purchased_at_column name,
                                       amount_column name, as_of timestamptz, bins integer, scheme text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	id_type regtype := @extschema@._check_source_column(source, customer_column, current_user, 'id', 'customer');
BEGIN
	PERFORM @extschema@._check_source_column(source, purchased_at_column, current_user, 'time', 'purchase time');
	PERFORM @extschema@._check_source_column(source, amount_column, current_user, 'amount', 'amount');
	IF bins IS NULL OR bins < 2 OR bins > 100 THEN
		RAISE EXCEPTION 'bins must be between 2 and 100, got %', bins USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN format($q$
SELECT c.customer_id, c.last_purchase,
       (extract(epoch FROM %5$s - c.last_purchase) / 86400)::float8 AS recency_days,
       c.orders, c.revenue,
       (c.s).r, (c.s).f, (c.s).m, (c.s).cell,
       CASE WHEN %6$s = 5 THEN @extschema@.rfm_segment((c.s).r, (c.s).f, (c.s).m, %7$L) END AS segment
FROM (SELECT a.*, @extschema@.rfm_score(a.last_purchase, a.orders::float8, a.revenue::float8, %6$s) OVER () AS s
      FROM (SELECT %2$I AS customer_id, max(%3$I)::timestamptz AS last_purchase,
                   count(*) AS orders, sum(%4$I)::float8 AS revenue
            FROM %1$s
            WHERE %2$I IS NOT NULL AND %3$I IS NOT NULL AND %4$I IS NOT NULL AND %3$I <= %5$s
            GROUP BY %2$I) a) c$q$,
		source, customer_column, purchased_at_column, amount_column,
		coalesce(quote_literal(as_of) || '::timestamptz', 'pg_catalog.now()'), bins, scheme);
END $$;

CREATE OR REPLACE FUNCTION @extschema@._cohort_query(source regclass, customer_column name, activity_column name,
                                          period text, amount_column name)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	id_type regtype := @extschema@._check_source_column(source, customer_column, current_user, 'id', 'customer');
	id_expression text := CASE WHEN id_type IN ('bigint', 'integer', 'smallint') THEN format('%I::bigint', customer_column)
	                           ELSE format('%I::text', customer_column) END;
BEGIN
	PERFORM @extschema@._check_source_column(source, activity_column, current_user, 'time', 'activity time');
	IF amount_column IS NOT NULL THEN
		PERFORM @extschema@._check_source_column(source, amount_column, current_user, 'amount', 'amount');
	END IF;
	IF period IS NULL OR lower(period) NOT IN ('day', 'week', 'month', 'quarter', 'year') THEN
		RAISE EXCEPTION 'period must be day, week, month, quarter or year, got %', period
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN format($q$
SELECT t.cohort, t.period_number, t.cohort_size, t.retained, t.retention_rate, t.revenue,
       t.cumulative_revenue_per_customer
FROM (SELECT @extschema@.cohort_retention(%2$s, %3$I::timestamptz, %4$L%5$s) AS m FROM %1$s) x,
     @extschema@.cohort_table(x.m) t$q$,
		source, id_expression, activity_column, lower(period),
		CASE WHEN amount_column IS NULL THEN '' ELSE format(', %I::float8', amount_column) END);
END $$;

CREATE OR REPLACE FUNCTION @extschema@.register_source(kind text, relation regclass,
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

-- One owner check: the SQL functions that change jobs use the C rule that a
-- run by hand uses (crm_job_check_owner), instead of a PL/pgSQL copy of it.
CREATE OR REPLACE FUNCTION @extschema@._check_owner(owner name, what text)
RETURNS void AS 'MODULE_PATHNAME', 'crm_check_owner'
LANGUAGE C STABLE;
