-- Cohort retention and customer KPIs: per-customer aggregates with
-- an internal state (a hash table of customers), serialized for parallel plans.

CREATE TYPE @extschema@.cohort_matrix AS (
	period text,            -- day, week, month, quarter or year
	cohorts date[],         -- first day of each cohort's period (periods with new customers)
	cohort_sizes bigint[],  -- customers whose first activity is in that period
	last_period date,       -- first day of the last period with any activity
	retained bigint[],      -- per cohort, per period number 0 .. last: customers active
	revenue float8[]        -- the same cells: revenue (NULL without an amount)
);
COMMENT ON TYPE @extschema@.cohort_matrix IS
  'Cohort retention matrix of crm.cohort_retention; read it with crm.cohort_table()';

CREATE TYPE @extschema@.customer_kpis_result AS (
	customers bigint,
	orders bigint,
	revenue float8,
	arpu float8,
	average_order_value float8,
	repeat_customer_rate float8,
	median_days_between_purchases float8
);

-- cohort_retention ----------------------------------------------------------------

CREATE FUNCTION @extschema@.cohort_retention_transfn(internal, bigint, timestamptz, text)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_cohort_retention_int8_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.cohort_retention_transfn(internal, bigint, timestamptz, text, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_cohort_retention_int8_float8_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.cohort_retention_transfn(internal, bigint, timestamptz, text, numeric)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_cohort_retention_int8_numeric_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.cohort_retention_transfn(internal, text, timestamptz, text)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_cohort_retention_text_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.cohort_retention_transfn(internal, text, timestamptz, text, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_cohort_retention_text_float8_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.cohort_retention_transfn(internal, text, timestamptz, text, numeric)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_cohort_retention_text_numeric_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.cohort_retention_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_cohort_retention_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.cohort_retention_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'crm_cohort_retention_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.cohort_retention_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_cohort_retention_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.cohort_retention_final(internal)
RETURNS @extschema@.cohort_matrix AS 'MODULE_PATHNAME', 'crm_cohort_retention_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.cohort_retention(customer_id bigint, activity_at timestamptz, period text) (
	SFUNC = @extschema@.cohort_retention_transfn, STYPE = internal,
	COMBINEFUNC = @extschema@.cohort_retention_combine,
	SERIALFUNC = @extschema@.cohort_retention_serialize,
	DESERIALFUNC = @extschema@.cohort_retention_deserialize,
	FINALFUNC = @extschema@.cohort_retention_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.cohort_retention(customer_id bigint, activity_at timestamptz, period text, amount float8) (
	SFUNC = @extschema@.cohort_retention_transfn, STYPE = internal,
	COMBINEFUNC = @extschema@.cohort_retention_combine,
	SERIALFUNC = @extschema@.cohort_retention_serialize,
	DESERIALFUNC = @extschema@.cohort_retention_deserialize,
	FINALFUNC = @extschema@.cohort_retention_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.cohort_retention(customer_id bigint, activity_at timestamptz, period text, amount numeric) (
	SFUNC = @extschema@.cohort_retention_transfn, STYPE = internal,
	COMBINEFUNC = @extschema@.cohort_retention_combine,
	SERIALFUNC = @extschema@.cohort_retention_serialize,
	DESERIALFUNC = @extschema@.cohort_retention_deserialize,
	FINALFUNC = @extschema@.cohort_retention_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.cohort_retention(customer_id text, activity_at timestamptz, period text) (
	SFUNC = @extschema@.cohort_retention_transfn, STYPE = internal,
	COMBINEFUNC = @extschema@.cohort_retention_combine,
	SERIALFUNC = @extschema@.cohort_retention_serialize,
	DESERIALFUNC = @extschema@.cohort_retention_deserialize,
	FINALFUNC = @extschema@.cohort_retention_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.cohort_retention(customer_id text, activity_at timestamptz, period text, amount float8) (
	SFUNC = @extschema@.cohort_retention_transfn, STYPE = internal,
	COMBINEFUNC = @extschema@.cohort_retention_combine,
	SERIALFUNC = @extschema@.cohort_retention_serialize,
	DESERIALFUNC = @extschema@.cohort_retention_deserialize,
	FINALFUNC = @extschema@.cohort_retention_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.cohort_retention(customer_id text, activity_at timestamptz, period text, amount numeric) (
	SFUNC = @extschema@.cohort_retention_transfn, STYPE = internal,
	COMBINEFUNC = @extschema@.cohort_retention_combine,
	SERIALFUNC = @extschema@.cohort_retention_serialize,
	DESERIALFUNC = @extschema@.cohort_retention_deserialize,
	FINALFUNC = @extschema@.cohort_retention_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.cohort_retention(bigint, timestamptz, text) IS
  'Cohort retention matrix: customers by first period (day/week/month/quarter/year, session time zone) and how many are active in each later period';
COMMENT ON AGGREGATE @extschema@.cohort_retention(bigint, timestamptz, text, float8) IS
  'Cohort retention matrix with revenue per cohort and period';
COMMENT ON AGGREGATE @extschema@.cohort_retention(bigint, timestamptz, text, numeric) IS
  'Cohort retention matrix with revenue per cohort and period';
COMMENT ON AGGREGATE @extschema@.cohort_retention(text, timestamptz, text) IS
  'Cohort retention matrix (text customer ids)';
COMMENT ON AGGREGATE @extschema@.cohort_retention(text, timestamptz, text, float8) IS
  'Cohort retention matrix with revenue (text customer ids)';
COMMENT ON AGGREGATE @extschema@.cohort_retention(text, timestamptz, text, numeric) IS
  'Cohort retention matrix with revenue (text customer ids)';

CREATE FUNCTION @extschema@.cohort_table(matrix @extschema@.cohort_matrix)
RETURNS TABLE (cohort date, period_number integer, cohort_size bigint, retained bigint,
               retention_rate float8, revenue float8, cumulative_revenue_per_customer float8)
AS 'MODULE_PATHNAME', 'crm_cohort_table'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION @extschema@.cohort_table(@extschema@.cohort_matrix) IS
  'The long table of a cohort matrix: one row per cohort and period number';

-- customer_kpis ---------------------------------------------------------------------

CREATE FUNCTION @extschema@.customer_kpis_transfn(internal, bigint, timestamptz, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_customer_kpis_int8_float8_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.customer_kpis_transfn(internal, bigint, timestamptz, numeric)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_customer_kpis_int8_numeric_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.customer_kpis_transfn(internal, text, timestamptz, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_customer_kpis_text_float8_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.customer_kpis_transfn(internal, text, timestamptz, numeric)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_customer_kpis_text_numeric_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.customer_kpis_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_customer_kpis_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.customer_kpis_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'crm_customer_kpis_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.customer_kpis_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_customer_kpis_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.customer_kpis_final(internal)
RETURNS @extschema@.customer_kpis_result AS 'MODULE_PATHNAME', 'crm_customer_kpis_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.customer_kpis(customer_id bigint, purchased_at timestamptz, amount float8) (
	SFUNC = @extschema@.customer_kpis_transfn, STYPE = internal,
	COMBINEFUNC = @extschema@.customer_kpis_combine,
	SERIALFUNC = @extschema@.customer_kpis_serialize,
	DESERIALFUNC = @extschema@.customer_kpis_deserialize,
	FINALFUNC = @extschema@.customer_kpis_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.customer_kpis(customer_id bigint, purchased_at timestamptz, amount numeric) (
	SFUNC = @extschema@.customer_kpis_transfn, STYPE = internal,
	COMBINEFUNC = @extschema@.customer_kpis_combine,
	SERIALFUNC = @extschema@.customer_kpis_serialize,
	DESERIALFUNC = @extschema@.customer_kpis_deserialize,
	FINALFUNC = @extschema@.customer_kpis_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.customer_kpis(customer_id text, purchased_at timestamptz, amount float8) (
	SFUNC = @extschema@.customer_kpis_transfn, STYPE = internal,
	COMBINEFUNC = @extschema@.customer_kpis_combine,
	SERIALFUNC = @extschema@.customer_kpis_serialize,
	DESERIALFUNC = @extschema@.customer_kpis_deserialize,
	FINALFUNC = @extschema@.customer_kpis_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.customer_kpis(customer_id text, purchased_at timestamptz, amount numeric) (
	SFUNC = @extschema@.customer_kpis_transfn, STYPE = internal,
	COMBINEFUNC = @extschema@.customer_kpis_combine,
	SERIALFUNC = @extschema@.customer_kpis_serialize,
	DESERIALFUNC = @extschema@.customer_kpis_deserialize,
	FINALFUNC = @extschema@.customer_kpis_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.customer_kpis(bigint, timestamptz, float8) IS
  'Customers, orders, revenue, ARPU, average order value, repeat-customer rate, median days between purchases';
COMMENT ON AGGREGATE @extschema@.customer_kpis(bigint, timestamptz, numeric) IS
  'Customers, orders, revenue, ARPU, average order value, repeat-customer rate, median days between purchases';
COMMENT ON AGGREGATE @extschema@.customer_kpis(text, timestamptz, float8) IS
  'Customer KPIs (text customer ids)';
COMMENT ON AGGREGATE @extschema@.customer_kpis(text, timestamptz, numeric) IS
  'Customer KPIs (text customer ids)';

