-- BI helpers: RFM segments and cohort retention over a table the
-- user names, as set-returning functions and as plain views with ordinary
-- typed columns (what Metabase, Superset or Grafana list and chart).
--
-- Identifiers are never pasted: the source is a regclass (printed quoted and
-- schema-qualified when needed) and column names go through format('%I').
-- The functions run with the caller's privileges and a pinned search_path.

-- The SELECT behind crm.rfm_segments and crm.rfm_view.  as_of NULL means now().
CREATE FUNCTION @extschema@._rfm_query(source regclass, customer_column name, purchased_at_column name,
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

CREATE FUNCTION @extschema@.rfm_segments(source regclass,
	customer_column name DEFAULT 'customer_id', purchased_at_column name DEFAULT 'purchased_at',
	amount_column name DEFAULT 'amount', as_of timestamptz DEFAULT NULL, bins integer DEFAULT 5,
	scheme text DEFAULT 'rfm11')
RETURNS TABLE (customer_id text, last_purchase timestamptz, recency_days float8, orders bigint,
               revenue float8, r smallint, f smallint, m smallint, cell text, segment text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN QUERY EXECUTE format('SELECT q.customer_id::text, q.last_purchase, q.recency_days::float8, q.orders,
	                                    q.revenue, q.r, q.f, q.m, q.cell, q.segment FROM (%s) q',
	                            @extschema@._rfm_query(source, customer_column, purchased_at_column, amount_column,
	                                                   as_of, bins, scheme));
END $$;
COMMENT ON FUNCTION @extschema@.rfm_segments(regclass, name, name, name, timestamptz, integer, text) IS
  'RFM scores and segment of every customer of an orders table: recency of the last purchase, order count, total spend';

-- default_schema is evaluated in the caller's session, before the pinned
-- search_path takes effect: an unqualified view goes where CREATE VIEW would put it.
CREATE FUNCTION @extschema@.rfm_view(view_name text, source regclass,
	customer_column name DEFAULT 'customer_id', purchased_at_column name DEFAULT 'purchased_at',
	amount_column name DEFAULT 'amount', bins integer DEFAULT 5, scheme text DEFAULT 'rfm11',
	default_schema name DEFAULT pg_catalog.current_schema())
RETURNS regclass
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	target text := @extschema@._view_target(view_name, default_schema);
BEGIN
	EXECUTE format('CREATE VIEW %s AS %s', target,
	               @extschema@._rfm_query(source, customer_column, purchased_at_column, amount_column,
	                                      NULL, bins, scheme));
	EXECUTE format('COMMENT ON VIEW %s IS %L', target,
	               format('RFM segments of %s (crm.rfm_view), recomputed when queried', source));
	RETURN target::regclass;
END $$;
COMMENT ON FUNCTION @extschema@.rfm_view(text, regclass, name, name, name, integer, text, name) IS
  'Creates a view of the RFM scores and segment of every customer of an orders table, for BI tools';

-- _view_target(view_name, default_schema): the quoted, schema-qualified name of
-- a view to create, from 'name' (in default_schema) or 'schema.name'.
CREATE FUNCTION @extschema@._view_target(view_name text, default_schema name)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	parts text[] := parse_ident(view_name);
BEGIN
	IF array_length(parts, 1) > 2 THEN
		RAISE EXCEPTION 'view name % has too many parts', view_name USING ERRCODE = 'invalid_name';
	END IF;
	IF array_length(parts, 1) = 1 THEN
		IF default_schema IS NULL THEN
			RAISE EXCEPTION 'no schema has been selected to create the view % in', view_name
				USING ERRCODE = 'invalid_schema_name';
		END IF;
		parts := ARRAY[default_schema::text] || parts;
	END IF;
	RETURN array_to_string(ARRAY(SELECT quote_ident(p) FROM unnest(parts) p), '.');
END $$;

-- The SELECT behind crm.cohort_retention_table and crm.cohort_view.
CREATE FUNCTION @extschema@._cohort_query(source regclass, customer_column name, activity_column name,
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

CREATE FUNCTION @extschema@.cohort_retention_table(source regclass,
	customer_column name DEFAULT 'customer_id', activity_column name DEFAULT 'purchased_at',
	period text DEFAULT 'month', amount_column name DEFAULT NULL)
RETURNS TABLE (cohort date, period_number integer, cohort_size bigint, retained bigint,
               retention_rate float8, revenue float8, cumulative_revenue_per_customer float8)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN QUERY EXECUTE @extschema@._cohort_query(source, customer_column, activity_column, period, amount_column);
END $$;
COMMENT ON FUNCTION @extschema@.cohort_retention_table(regclass, name, name, text, name) IS
  'Cohort retention of an orders (or activity) table as a long table: cohort, period number, retained, rate, revenue';

CREATE FUNCTION @extschema@.cohort_view(view_name text, source regclass,
	customer_column name DEFAULT 'customer_id', activity_column name DEFAULT 'purchased_at',
	period text DEFAULT 'month', amount_column name DEFAULT NULL,
	default_schema name DEFAULT pg_catalog.current_schema())
RETURNS regclass
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	target text := @extschema@._view_target(view_name, default_schema);
BEGIN
	EXECUTE format('CREATE VIEW %s AS %s', target,
	               @extschema@._cohort_query(source, customer_column, activity_column, period, amount_column));
	EXECUTE format('COMMENT ON VIEW %s IS %L', target,
	               format('Cohort retention of %s by %s (crm.cohort_view), recomputed when queried', source, period));
	RETURN target::regclass;
END $$;
COMMENT ON FUNCTION @extschema@.cohort_view(text, regclass, name, name, text, name, name) IS
  'Creates a view of the cohort retention of an orders (or activity) table, for BI tools';

