-- crm_marketing install script, assembled by the Makefile from src/sql/*.sql.
-- Every object lives in @extschema@ (crm); calls are schema-qualified.

\echo Use "CREATE EXTENSION crm_marketing" to load this file. \quit

-- Distribution functions: pure, exact to the stated tolerance.

CREATE FUNCTION @extschema@.normal_cdf(x float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'crm_normal_cdf_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.normal_cdf(float8) IS
  'P(Z <= x) for the standard normal distribution';

CREATE FUNCTION @extschema@.normal_quantile(p float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'crm_normal_quantile_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.normal_quantile(float8) IS
  'x with P(Z <= x) = p for the standard normal distribution';

CREATE FUNCTION @extschema@.student_t_cdf(x float8, df float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'crm_student_t_cdf_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.student_t_cdf(float8, float8) IS
  'P(T <= x) for Student''s t distribution with df degrees of freedom';

CREATE FUNCTION @extschema@.student_t_quantile(p float8, df float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'crm_student_t_quantile_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.student_t_quantile(float8, float8) IS
  'x with P(T <= x) = p for Student''s t distribution with df degrees of freedom';

CREATE FUNCTION @extschema@.chi2_sf(x float8, df float8)
RETURNS float8
AS 'MODULE_PATHNAME', 'crm_chi2_sf_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.chi2_sf(float8, float8) IS
  'P(X > x) for the chi-square distribution with df degrees of freedom (upper tail, computed directly)';

-- Experiment statistics: Welch t-test on revenue, two-proportion
-- z-test on conversion, NPS, SRM check and sample sizes.
--
-- Aggregate states are plain float8[] of a fixed length (no `internal`), so
-- parallel plans and distributed engines (Citus) can ship partial states.

CREATE TYPE @extschema@.ttest_result AS (
	n_treatment bigint,
	n_control bigint,
	mean_treatment float8,
	mean_control float8,
	sd_treatment float8,
	sd_control float8,
	uplift float8,
	uplift_ci_low float8,
	uplift_ci_high float8,
	lift float8,
	lift_ci_low float8,
	lift_ci_high float8,
	t_stat float8,
	df float8,
	p_value float8,
	incremental_total float8,
	incremental_ci_low float8,
	incremental_ci_high float8
);

CREATE TYPE @extschema@.ztest_result AS (
	n_treatment bigint,
	n_control bigint,
	conversions_treatment bigint,
	conversions_control bigint,
	rate_treatment float8,
	rate_control float8,
	uplift float8,
	uplift_ci_low float8,
	uplift_ci_high float8,
	lift float8,
	lift_ci_low float8,
	lift_ci_high float8,
	z_stat float8,
	p_value float8
);

CREATE TYPE @extschema@.nps_result AS (
	responses bigint,
	promoters bigint,
	passives bigint,
	detractors bigint,
	nps float8,
	margin_of_error float8,
	ci_low float8,
	ci_high float8
);

-- uplift_ttest ---------------------------------------------------------------
-- state float8[13]: {n, shift, s1 hi, s1 lo, s2 hi, s2 lo} treatment, the same for control, confidence

CREATE FUNCTION @extschema@.uplift_ttest_transfn(float8[], boolean, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_uplift_ttest_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.uplift_ttest_transfn(float8[], boolean, float8, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_uplift_ttest_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.uplift_ttest_transfn(float8[], boolean, numeric)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_uplift_ttest_numeric_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.uplift_ttest_transfn(float8[], boolean, numeric, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_uplift_ttest_numeric_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.uplift_ttest_combine(float8[], float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_uplift_ttest_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.uplift_ttest_final(float8[])
RETURNS @extschema@.ttest_result AS 'MODULE_PATHNAME', 'crm_uplift_ttest_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.uplift_ttest(treated boolean, value float8) (
	SFUNC = @extschema@.uplift_ttest_transfn, STYPE = float8[],
	COMBINEFUNC = @extschema@.uplift_ttest_combine,
	FINALFUNC = @extschema@.uplift_ttest_final,
	INITCOND = '{0,0,0,0,0,0,0,0,0,0,0,0,0}', PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.uplift_ttest(treated boolean, value float8, confidence float8) (
	SFUNC = @extschema@.uplift_ttest_transfn, STYPE = float8[],
	COMBINEFUNC = @extschema@.uplift_ttest_combine,
	FINALFUNC = @extschema@.uplift_ttest_final,
	INITCOND = '{0,0,0,0,0,0,0,0,0,0,0,0,0}', PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.uplift_ttest(treated boolean, value numeric) (
	SFUNC = @extschema@.uplift_ttest_transfn, STYPE = float8[],
	COMBINEFUNC = @extschema@.uplift_ttest_combine,
	FINALFUNC = @extschema@.uplift_ttest_final,
	INITCOND = '{0,0,0,0,0,0,0,0,0,0,0,0,0}', PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.uplift_ttest(treated boolean, value numeric, confidence float8) (
	SFUNC = @extschema@.uplift_ttest_transfn, STYPE = float8[],
	COMBINEFUNC = @extschema@.uplift_ttest_combine,
	FINALFUNC = @extschema@.uplift_ttest_final,
	INITCOND = '{0,0,0,0,0,0,0,0,0,0,0,0,0}', PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.uplift_ttest(boolean, float8) IS
  'Welch t-test of the mean value per customer, treatment (true) vs control (false), at 95% confidence';
COMMENT ON AGGREGATE @extschema@.uplift_ttest(boolean, float8, float8) IS
  'Welch t-test of the mean value per customer, treatment (true) vs control (false), at the given confidence';
COMMENT ON AGGREGATE @extschema@.uplift_ttest(boolean, numeric) IS
  'Welch t-test of the mean value per customer, treatment (true) vs control (false), at 95% confidence';
COMMENT ON AGGREGATE @extschema@.uplift_ttest(boolean, numeric, float8) IS
  'Welch t-test of the mean value per customer, treatment (true) vs control (false), at the given confidence';

-- uplift_ztest ---------------------------------------------------------------
-- state float8[5]: {n, conversions} treatment, {n, conversions} control, confidence

CREATE FUNCTION @extschema@.uplift_ztest_transfn(float8[], boolean, boolean)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_uplift_ztest_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.uplift_ztest_transfn(float8[], boolean, boolean, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_uplift_ztest_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.uplift_ztest_combine(float8[], float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_uplift_ztest_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.uplift_ztest_final(float8[])
RETURNS @extschema@.ztest_result AS 'MODULE_PATHNAME', 'crm_uplift_ztest_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.uplift_ztest(treated boolean, converted boolean) (
	SFUNC = @extschema@.uplift_ztest_transfn, STYPE = float8[],
	COMBINEFUNC = @extschema@.uplift_ztest_combine,
	FINALFUNC = @extschema@.uplift_ztest_final,
	INITCOND = '{0,0,0,0,0}', PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.uplift_ztest(treated boolean, converted boolean, confidence float8) (
	SFUNC = @extschema@.uplift_ztest_transfn, STYPE = float8[],
	COMBINEFUNC = @extschema@.uplift_ztest_combine,
	FINALFUNC = @extschema@.uplift_ztest_final,
	INITCOND = '{0,0,0,0,0}', PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.uplift_ztest(boolean, boolean) IS
  'Two-proportion z-test of conversion, treatment (true) vs control (false), Newcombe interval at 95%';
COMMENT ON AGGREGATE @extschema@.uplift_ztest(boolean, boolean, float8) IS
  'Two-proportion z-test of conversion, treatment (true) vs control (false), Newcombe interval at the given confidence';

-- nps ------------------------------------------------------------------------
-- state float8[4]: {promoters, passives, detractors, confidence}

CREATE FUNCTION @extschema@.nps_transfn(float8[], integer)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_nps_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.nps_transfn(float8[], integer, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_nps_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.nps_combine(float8[], float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_nps_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.nps_final(float8[])
RETURNS @extschema@.nps_result AS 'MODULE_PATHNAME', 'crm_nps_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.nps(score integer) (
	SFUNC = @extschema@.nps_transfn, STYPE = float8[],
	COMBINEFUNC = @extschema@.nps_combine,
	FINALFUNC = @extschema@.nps_final,
	INITCOND = '{0,0,0,0}', PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.nps(score integer, confidence float8) (
	SFUNC = @extschema@.nps_transfn, STYPE = float8[],
	COMBINEFUNC = @extschema@.nps_combine,
	FINALFUNC = @extschema@.nps_final,
	INITCOND = '{0,0,0,0}', PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.nps(integer) IS
  'Net Promoter Score (-100..100) of 0..10 answers with its 95% margin of error';
COMMENT ON AGGREGATE @extschema@.nps(integer, float8) IS
  'Net Promoter Score (-100..100) of 0..10 answers with its margin of error at the given confidence';

-- scalar functions -------------------------------------------------------------

CREATE FUNCTION @extschema@.srm_test(n_treatment bigint, n_control bigint,
                                     expected_treatment_share float8 DEFAULT 0.5)
RETURNS float8
AS 'MODULE_PATHNAME', 'crm_srm_test'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.srm_test(bigint, bigint, float8) IS
  'Sample-ratio-mismatch p-value: chi-square (1 df) of the observed arm sizes against the planned treatment share';

CREATE FUNCTION @extschema@.ttest_sample_size(sd float8, mde float8,
                                              alpha float8 DEFAULT 0.05, power float8 DEFAULT 0.8)
RETURNS bigint
AS 'MODULE_PATHNAME', 'crm_ttest_sample_size_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ttest_sample_size(float8, float8, float8, float8) IS
  'Customers per arm to detect an absolute difference mde in means with a two-sided test (normal approximation)';

CREATE FUNCTION @extschema@.ztest_sample_size(base_rate float8, mde float8,
                                              alpha float8 DEFAULT 0.05, power float8 DEFAULT 0.8)
RETURNS bigint
AS 'MODULE_PATHNAME', 'crm_ztest_sample_size_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ztest_sample_size(float8, float8, float8, float8) IS
  'Customers per arm to detect an absolute change mde of a conversion rate with a two-sided test (Fleiss)';

-- RFM scores and named segments.

CREATE TYPE @extschema@.rfm AS (
	r smallint,
	f smallint,
	m smallint,
	cell text,
	segment text
);

CREATE FUNCTION @extschema@.rfm_score(recency float8, frequency float8, monetary float8)
RETURNS @extschema@.rfm AS 'MODULE_PATHNAME', 'crm_rfm_score'
LANGUAGE C IMMUTABLE WINDOW PARALLEL SAFE;
CREATE FUNCTION @extschema@.rfm_score(recency float8, frequency float8, monetary float8, bins integer)
RETURNS @extschema@.rfm AS 'MODULE_PATHNAME', 'crm_rfm_score'
LANGUAGE C IMMUTABLE WINDOW PARALLEL SAFE;
CREATE FUNCTION @extschema@.rfm_score(last_purchase timestamptz, frequency float8, monetary float8)
RETURNS @extschema@.rfm AS 'MODULE_PATHNAME', 'crm_rfm_score_time'
LANGUAGE C IMMUTABLE WINDOW PARALLEL SAFE;
CREATE FUNCTION @extschema@.rfm_score(last_purchase timestamptz, frequency float8, monetary float8, bins integer)
RETURNS @extschema@.rfm AS 'MODULE_PATHNAME', 'crm_rfm_score_time'
LANGUAGE C IMMUTABLE WINDOW PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_score(float8, float8, float8) IS
  'Window function: RFM scores 1..5 by quantile within the partition (5 = smallest recency, highest frequency and spend), ties share a score';
COMMENT ON FUNCTION @extschema@.rfm_score(float8, float8, float8, integer) IS
  'Window function: RFM scores 1..bins by quantile within the partition, ties share a score';
COMMENT ON FUNCTION @extschema@.rfm_score(timestamptz, float8, float8) IS
  'Window function: RFM scores 1..5 by quantile within the partition, recency from the last purchase time (latest = 5)';
COMMENT ON FUNCTION @extschema@.rfm_score(timestamptz, float8, float8, integer) IS
  'Window function: RFM scores 1..bins by quantile within the partition, recency from the last purchase time';

-- User-defined segment schemes: one row per cell; m NULL means "any m".
CREATE TABLE @extschema@.rfm_segment_map (
	scheme text NOT NULL CHECK (scheme NOT IN ('rfm11', 'rf10')),
	r smallint NOT NULL CHECK (r BETWEEN 1 AND 5),
	f smallint NOT NULL CHECK (f BETWEEN 1 AND 5),
	m smallint CHECK (m BETWEEN 1 AND 5),
	segment text NOT NULL,
	UNIQUE NULLS NOT DISTINCT (scheme, r, f, m)
);
COMMENT ON TABLE @extschema@.rfm_segment_map IS
  'User-defined RFM segment schemes for crm.rfm_segment: one row per (r, f, m) cell, m NULL = any m; dumped by pg_dump';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.rfm_segment_map', '');
GRANT SELECT ON @extschema@.rfm_segment_map TO PUBLIC;

CREATE FUNCTION @extschema@.rfm_segment(r integer, f integer, m integer, scheme text DEFAULT 'rfm11')
RETURNS text AS 'MODULE_PATHNAME', 'crm_rfm_segment'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_segment(integer, integer, integer, text) IS
  'Named segment of RFM scores 1..5: presets ''rfm11'' (11 segments) and ''rf10'' (R x F grid), or a scheme of crm.rfm_segment_map';

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

-- BI helpers: RFM segments and cohort retention over a table the
-- user names, as set-returning functions and as plain views with ordinary
-- typed columns (what Metabase, Superset or Grafana list and chart).
--
-- Identifiers are never pasted: the source is a regclass (printed quoted and
-- schema-qualified when needed) and column names go through format('%I').
-- The functions run with the caller's privileges and a pinned search_path.

-- _source_column(source, column, kinds, role): the column's type, checked.
-- kinds: 'id' (bigint, integer, smallint, text, varchar, uuid), 'time'
-- (timestamptz, timestamp, date) or 'amount' (any numeric type).
CREATE FUNCTION @extschema@._source_column(source regclass, column_name name, kind text, role text)
RETURNS regtype
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	column_type regtype;
BEGIN
	SELECT a.atttypid::regtype INTO column_type
	FROM pg_attribute a
	WHERE a.attrelid = source AND a.attname = column_name AND a.attnum > 0 AND NOT a.attisdropped;
	IF column_type IS NULL THEN
		RAISE EXCEPTION 'column % of % does not exist', quote_ident(column_name), source
			USING ERRCODE = 'undefined_column',
			      DETAIL = format('It was given as the %s column.', role);
	END IF;
	IF NOT (CASE kind
		WHEN 'id' THEN column_type IN ('bigint', 'integer', 'smallint', 'text', 'character varying', 'uuid')
		WHEN 'time' THEN column_type IN ('timestamp with time zone', 'timestamp without time zone', 'date')
		WHEN 'amount' THEN column_type IN ('numeric', 'double precision', 'real', 'bigint', 'integer', 'smallint')
	END) THEN
		RAISE EXCEPTION 'column % of % has type %, which cannot be the % column', quote_ident(column_name), source,
			column_type, role
			USING ERRCODE = 'datatype_mismatch';
	END IF;
	RETURN column_type;
END $$;

-- The SELECT behind crm.rfm_segments and crm.rfm_view.  as_of NULL means now().
CREATE FUNCTION @extschema@._rfm_query(source regclass, customer_column name, purchased_at_column name,
                                       amount_column name, as_of timestamptz, bins integer, scheme text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	id_type regtype := @extschema@._source_column(source, customer_column, 'id', 'customer');
BEGIN
	PERFORM @extschema@._source_column(source, purchased_at_column, 'time', 'purchase time');
	PERFORM @extschema@._source_column(source, amount_column, 'amount', 'amount');
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
	id_type regtype := @extschema@._source_column(source, customer_column, 'id', 'customer');
	id_expression text := CASE WHEN id_type IN ('bigint', 'integer', 'smallint') THEN format('%I::bigint', customer_column)
	                           ELSE format('%I::text', customer_column) END;
BEGIN
	PERFORM @extschema@._source_column(source, activity_column, 'time', 'activity time');
	IF amount_column IS NOT NULL THEN
		PERFORM @extschema@._source_column(source, amount_column, 'amount', 'amount');
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

-- Segments, trigger campaigns, the outbox and the delivery hand-off.
-- Every table is dumped by pg_dump with the extension (pg_extension_config_dump).
-- Customer ids are stored as text (bigint and uuid ids print to text).
--
-- Privileges: the tables are not writable by PUBLIC; everything goes through
-- the functions below, which check ownership.  The functions that change
-- state run as the extension's owner (SECURITY DEFINER, pinned search_path)
-- and are not executable by PUBLIC: a DBA grants them to the marketing and
-- delivery roles (README, "Campaigns").

-- Job owners are stored as role names, not regrole: a dump restored without
-- the roles (or with --no-owner) still loads every campaign and segment, and
-- crm.enable_sending names the owners that are missing instead of the rows
-- being lost while their entries and messages load as orphans.

-- Frequency caps shared by marketing campaigns: at most max_messages per
-- customer per period (on one channel, or on all when channel is NULL).
CREATE TABLE @extschema@.frequency_caps (
	name text PRIMARY KEY,
	max_messages integer NOT NULL CHECK (max_messages > 0),
	per interval NOT NULL CHECK (per > interval '0'),
	channel text,
	created_by name
);

-- The database this installation may run jobs and hand out messages in: the
-- cluster's system identifier and the database's OID when an operator (or the
-- first campaign or segment of a fresh installation) enabled it.  A restored
-- dump, a database copied with CREATE DATABASE ... TEMPLATE and a cluster
-- made by pg_upgrade carry the old identity (or none), so they run nothing and
-- send nothing until crm.enable_sending() is called there.
CREATE TABLE @extschema@.sending_enabled_in (
	one_row boolean PRIMARY KEY DEFAULT true CHECK (one_row),
	system_identifier bigint NOT NULL,
	database_oid oid NOT NULL,
	enabled_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	enabled_by name NOT NULL
);

-- Customers who must not be contacted: on one channel or all (channel NULL),
-- for marketing only or for every message (scope 'all': hard bounces and
-- what is entered by hand as such).  Fed by crm.report_delivery
-- (unsubscribed, hard bounce, complained) and crm.suppress; campaigns exclude
-- these customers and their queued messages are no longer handed out.
CREATE TABLE @extschema@.suppressions (
	customer_id text COLLATE "C" NOT NULL,
	channel text COLLATE "C",
	scope text NOT NULL CHECK (scope IN ('marketing', 'all')),
	reason text NOT NULL CHECK (reason IN ('unsubscribed', 'hard_bounce', 'complaint', 'no_consent', 'manual')),
	since timestamptz NOT NULL DEFAULT pg_catalog.now(),
	source text NOT NULL,
	note text
);
CREATE UNIQUE INDEX suppressions_customer_channel ON @extschema@.suppressions
	(customer_id, (coalesce(channel, '')));

CREATE TABLE @extschema@.segments (
	segment_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name text NOT NULL UNIQUE,
	owner name NOT NULL,
	query text NOT NULL,
	search_path text NOT NULL,
	refresh_every interval NOT NULL CHECK (refresh_every > interval '0'),
	status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'failed')),
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	last_refresh_at timestamptz,
	next_refresh_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	members bigint NOT NULL DEFAULT 0,
	last_error text
);

-- Membership history: one row per stay in the segment; exited_at NULL = current member.
-- (No foreign keys on the tables that runs fill: a per-row check would cost more than
-- the insert; crm.drop_segment and crm.drop_campaign delete the rows they own.)
CREATE TABLE @extschema@.segment_membership (
	segment_id bigint NOT NULL,
	customer_id text COLLATE "C" NOT NULL,
	entered_at timestamptz NOT NULL,
	exited_at timestamptz,
	CHECK (exited_at IS NULL OR exited_at >= entered_at)
);
CREATE UNIQUE INDEX segment_membership_current ON @extschema@.segment_membership (segment_id, customer_id)
	WHERE exited_at IS NULL;
CREATE INDEX segment_membership_history ON @extschema@.segment_membership (segment_id, entered_at);

CREATE TABLE @extschema@.campaigns (
	campaign_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name text NOT NULL UNIQUE,
	owner name NOT NULL,
	audience text NOT NULL,
	search_path text NOT NULL,
	channel text NOT NULL,
	purpose text NOT NULL DEFAULT 'marketing' CHECK (purpose IN ('marketing', 'transactional')),
	run_every interval NOT NULL CHECK (run_every > interval '0'),
	reentry text NOT NULL DEFAULT 'once' CHECK (reentry IN ('once', 'cooldown', 'per_event_key')),
	cooldown interval CHECK (cooldown > interval '0'),
	holdout_percent float8 NOT NULL DEFAULT 10 CHECK (holdout_percent >= 0 AND holdout_percent < 100),
	salt bigint NOT NULL,
	frequency_cap text REFERENCES @extschema@.frequency_caps ON UPDATE CASCADE,
	quiet_start time,
	quiet_end time,
	max_delay interval NOT NULL DEFAULT interval '12 hours',
	message_ttl interval NOT NULL DEFAULT interval '3 days' CHECK (message_ttl > interval '0'),
	max_attempts integer NOT NULL DEFAULT 5 CHECK (max_attempts > 0),
	status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'failed')),
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	last_run_at timestamptz,
	next_run_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	last_error text,
	CHECK ((reentry = 'cooldown') = (cooldown IS NOT NULL)),
	CHECK ((quiet_start IS NULL) = (quiet_end IS NULL)),
	CHECK (purpose = 'marketing' OR (holdout_percent = 0 AND frequency_cap IS NULL))
);

-- One row per customer entering a campaign, in both arms: the control arm
-- has no message, so both arms share one clock (would_send_at).
CREATE TABLE @extschema@.campaign_entries (
	entry_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	campaign_id bigint NOT NULL,
	customer_id text COLLATE "C" NOT NULL,
	entry_key text COLLATE "C" NOT NULL,
	event_key text COLLATE "C",
	arm text NOT NULL CHECK (arm IN ('treatment', 'control')),
	entered_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	would_send_at timestamptz NOT NULL,
	skip_reason text CHECK (skip_reason IN ('frequency_capped', 'quiet_hours_expired', 'invalid_time_zone')),
	message_id bigint,
	UNIQUE (campaign_id, customer_id, entry_key)
);

-- Customers an audience returned who could not enter the campaign, with the
-- reason, the first time it happened (they enter later if the reason goes).
CREATE TABLE @extschema@.campaign_exclusions (
	campaign_id bigint NOT NULL,
	customer_id text COLLATE "C" NOT NULL,
	entry_key text COLLATE "C" NOT NULL,
	reason text NOT NULL CHECK (reason IN ('suppressed', 'no_consent', 'invalid_time_zone')),
	excluded_at timestamptz NOT NULL,
	PRIMARY KEY (campaign_id, customer_id, entry_key)
);

CREATE TABLE @extschema@.outbox (
	message_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	idempotency_key text COLLATE "C" NOT NULL UNIQUE,
	campaign_id bigint NOT NULL,
	customer_id text COLLATE "C" NOT NULL,
	channel text COLLATE "C" NOT NULL,
	purpose text NOT NULL DEFAULT 'marketing' CHECK (purpose IN ('marketing', 'transactional')),
	payload jsonb,
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	not_before timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	status text NOT NULL DEFAULT 'queued'
		CHECK (status IN ('queued', 'claimed', 'sent', 'delivered', 'opened', 'clicked',
		                  'bounced', 'failed', 'unsubscribed', 'complained', 'expired', 'skipped', 'suppressed')),
	attempts integer NOT NULL DEFAULT 0,
	max_attempts integer NOT NULL,
	lease_until timestamptz,
	updated_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
-- Few indexes: every message pays for each.  The queue (in claim order),
-- the messages that can still expire and those that finished (the
-- maintenance), the frequency caps
-- and suppressions (by customer), and the claimed messages' leases (empty
-- when a message is written).  A campaign's messages are found through its
-- entries (message_id).
CREATE INDEX outbox_queue ON @extschema@.outbox (channel, not_before, message_id) WHERE status = 'queued';
CREATE INDEX outbox_expiry ON @extschema@.outbox (expires_at) WHERE status IN ('queued', 'claimed');
CREATE INDEX outbox_customer ON @extschema@.outbox (customer_id, created_at);
CREATE INDEX outbox_lease ON @extschema@.outbox (lease_until) WHERE status = 'claimed';
CREATE INDEX outbox_finished ON @extschema@.outbox (updated_at) WHERE status NOT IN ('queued', 'claimed');

-- Every status report (the funnel: sent, delivered, opened, clicked...), once per status.
CREATE TABLE @extschema@.delivery_events (
	message_id bigint NOT NULL REFERENCES @extschema@.outbox ON DELETE CASCADE,
	status text NOT NULL,
	reported_at timestamptz NOT NULL,
	detail jsonb,
	PRIMARY KEY (message_id, status)
);

CREATE TABLE @extschema@.job_runs (
	run_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	job_kind text NOT NULL CHECK (job_kind IN ('campaign', 'segment')),
	job_name text NOT NULL,
	run_by text NOT NULL CHECK (run_by IN ('worker', 'manual')),
	started_at timestamptz NOT NULL,
	finished_at timestamptz NOT NULL,
	status text NOT NULL CHECK (status IN ('ok', 'failed')),
	audience bigint,
	entries bigint,
	control bigint,
	messages bigint,
	skipped bigint,
	entered bigint,
	exited bigint,
	excluded bigint,
	rejected bigint,
	error text
);
CREATE INDEX job_runs_finished ON @extschema@.job_runs (finished_at);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.frequency_caps', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.sending_enabled_in', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.suppressions', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.campaign_exclusions', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.segments', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.segment_membership', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.campaigns', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.campaign_entries', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.outbox', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.delivery_events', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.job_runs', '');
-- (one call per statement: each updates the pg_extension row)
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('@extschema@.segments', 'segment_id'), '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('@extschema@.campaigns', 'campaign_id'), '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('@extschema@.campaign_entries', 'entry_id'), '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('@extschema@.outbox', 'message_id'), '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('@extschema@.job_runs', 'run_id'), '');

CREATE VIEW @extschema@.segment_members AS
SELECT s.name AS segment, m.customer_id, m.entered_at
FROM @extschema@.segment_membership m JOIN @extschema@.segments s USING (segment_id)
WHERE m.exited_at IS NULL;
COMMENT ON VIEW @extschema@.segment_members IS 'Current members of each segment, with the time they entered';


-- Hashing and time helpers ---------------------------------------------------------

CREATE FUNCTION @extschema@.holdout_bucket(salt bigint, customer_id text)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_holdout_bucket'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.holdout_bucket(bigint, text) IS
  'Deterministic number in [0, 1) from SipHash-2-4 of the customer id keyed by the salt: the holdout assignment';

CREATE FUNCTION @extschema@._siphash24(k0 bigint, k1 bigint, data bytea)
RETURNS bigint AS 'MODULE_PATHNAME', 'crm_siphash24_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.quiet_hours_release(at timestamptz, time_zone text, quiet_start time, quiet_end time)
RETURNS timestamptz AS 'MODULE_PATHNAME', 'crm_quiet_hours_release'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.quiet_hours_release(timestamptz, text, time, time) IS
  'The first moment at or after `at` outside the quiet hours [quiet_start, quiet_end) of the time zone (DST-aware)';

CREATE FUNCTION @extschema@.is_valid_time_zone(time_zone text)
RETURNS boolean AS 'MODULE_PATHNAME', 'crm_is_valid_time_zone'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.is_valid_time_zone(text) IS
  'Whether a customer time zone is usable: a zone PostgreSQL knows whose offset from UTC is at most 15 hours';

-- The role calling a SECURITY DEFINER function (the current user outside it).
CREATE FUNCTION @extschema@._invoker()
RETURNS name AS 'MODULE_PATHNAME', 'crm_invoker'
LANGUAGE C STABLE PARALLEL SAFE;

-- Checks a job query as the invoker: one SELECT, returning customer_id, that the invoker may run.
CREATE FUNCTION @extschema@._validate_job_query(query text, search_path text, what text)
RETURNS void AS 'MODULE_PATHNAME', 'crm_validate_job_query'
LANGUAGE C VOLATILE;

-- _check_owner(owner, what): 42501 unless the invoker may act for owner (a
-- superuser may act for an owner role that no longer exists).
CREATE FUNCTION @extschema@._check_owner(owner name, what text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	invoker name := @extschema@._invoker();
BEGIN
	IF (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = invoker) THEN
		RETURN;
	END IF;
	IF NOT EXISTS (SELECT FROM pg_roles r WHERE r.rolname = owner) OR NOT pg_has_role(invoker, owner, 'USAGE') THEN
		RAISE EXCEPTION 'permission denied for %', what USING ERRCODE = 'insufficient_privilege',
			DETAIL = format('Only members of its owner role %s may change it.', owner);
	END IF;
END $$;

-- _check_not_null(what, names, values): 22004 naming the first NULL argument.
CREATE FUNCTION @extschema@._check_not_null(what text, names text[], is_null boolean[])
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	FOR i IN 1 .. coalesce(array_length(names, 1), 0) LOOP
		IF is_null[i] THEN
			RAISE EXCEPTION '%: % must not be NULL', what, names[i] USING ERRCODE = 'null_value_not_allowed';
		END IF;
	END LOOP;
END $$;

-- Sending switch -------------------------------------------------------------------------

CREATE FUNCTION @extschema@.sending_enabled()
RETURNS boolean AS 'MODULE_PATHNAME', 'crm_sending_enabled'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION @extschema@.sending_enabled() IS
  'Whether jobs run and messages are handed out in this database (false in a restored or copied database until crm.enable_sending())';

-- _enable_sending_if_fresh(): a fresh installation is enabled by its first
-- campaign or segment; a restored one (jobs, or another database's switch,
-- already there) is not.
CREATE FUNCTION @extschema@._enable_sending_if_fresh()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM @extschema@.sending_enabled_in)
	   AND NOT EXISTS (SELECT FROM @extschema@.campaigns)
	   AND NOT EXISTS (SELECT FROM @extschema@.segments) THEN
		PERFORM @extschema@.enable_sending();
	END IF;
END $$;

CREATE FUNCTION @extschema@.enable_sending()
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	missing text;
	orphan_entries bigint;
	orphan_messages bigint;
BEGIN
	SELECT string_agg(DISTINCT o.owner, ', ') INTO missing
	FROM (SELECT c.owner FROM @extschema@.campaigns c UNION ALL SELECT s.owner FROM @extschema@.segments s) o
	WHERE NOT EXISTS (SELECT FROM pg_roles r WHERE r.rolname = o.owner);
	IF missing IS NOT NULL THEN
		RAISE WARNING 'the owner roles of some campaigns or segments do not exist: %', missing
			USING HINT = 'Their jobs fail and their messages are not handed out until the roles exist or the jobs get another owner (crm.alter_job_owner).';
	END IF;
	SELECT count(*) INTO orphan_entries FROM @extschema@.campaign_entries e
	WHERE NOT EXISTS (SELECT FROM @extschema@.campaigns c WHERE c.campaign_id = e.campaign_id);
	SELECT count(*) INTO orphan_messages FROM @extschema@.outbox o
	WHERE o.status OPERATOR(pg_catalog.=) ANY ('{queued,claimed}'::text[])
	  AND NOT EXISTS (SELECT FROM @extschema@.campaigns c WHERE c.campaign_id = o.campaign_id);
	IF orphan_entries > 0 OR orphan_messages > 0 THEN
		RAISE WARNING '% campaign entries and % queued messages belong to no campaign (a partial restore?)',
			orphan_entries, orphan_messages
			USING HINT = 'Those messages are never handed out; restore crm.campaigns, or drop them.';
	END IF;
	INSERT INTO @extschema@.sending_enabled_in (one_row, system_identifier, database_oid, enabled_by)
	VALUES (true, @extschema@._system_identifier(),
	        (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()), @extschema@._invoker())
	ON CONFLICT (one_row) DO UPDATE
	SET system_identifier = excluded.system_identifier, database_oid = excluded.database_oid,
	    enabled_at = excluded.enabled_at, enabled_by = excluded.enabled_by;
	PERFORM @extschema@._worker_wakeup();
END $$;
COMMENT ON FUNCTION @extschema@.enable_sending() IS
  'Lets this database run campaigns and segments and hand out messages (needed once after a restore or copy)';

CREATE FUNCTION @extschema@.disable_sending()
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ DELETE FROM @extschema@.sending_enabled_in $$;
COMMENT ON FUNCTION @extschema@.disable_sending() IS
  'Stops this database''s scheduled jobs and the handing out of messages until crm.enable_sending()';

CREATE FUNCTION @extschema@._system_identifier()
RETURNS bigint AS 'MODULE_PATHNAME', 'crm_system_identifier'
LANGUAGE C STABLE STRICT;

-- _check_sending_enabled(what): 55000 in a database where sending is not enabled.
CREATE FUNCTION @extschema@._check_sending_enabled(what text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT @extschema@.sending_enabled() THEN
		RAISE EXCEPTION '%: sending is not enabled in this database', what
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      DETAIL = 'A restored or copied database runs no campaign and hands out no message until an operator enables it.',
			      HINT = 'Check the data, then call crm.enable_sending().';
	END IF;
END $$;

-- Segments ---------------------------------------------------------------------------

CREATE FUNCTION @extschema@.create_segment(name text, query text, refresh_every interval DEFAULT '1 hour',
	search_path text DEFAULT pg_catalog.current_setting('search_path'))
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	id bigint;
BEGIN
	PERFORM @extschema@._check_not_null('crm.create_segment', '{name,query,refresh_every,search_path}',
		ARRAY[name IS NULL, query IS NULL, refresh_every IS NULL, search_path IS NULL]);
	PERFORM @extschema@._validate_job_query(query, search_path, format('segment "%s"', name));
	PERFORM @extschema@._enable_sending_if_fresh();
	BEGIN
		INSERT INTO @extschema@.segments (name, owner, query, search_path, refresh_every)
		VALUES (name, @extschema@._invoker(), query, search_path, refresh_every)
		RETURNING segment_id INTO id;
	EXCEPTION WHEN unique_violation THEN
		RAISE EXCEPTION 'segment "%" already exists', name USING ERRCODE = 'duplicate_object';
	END;
	PERFORM @extschema@._worker_wakeup();
	RETURN id;
END $$;
COMMENT ON FUNCTION @extschema@.create_segment(text, text, interval, text) IS
  'Creates a segment: a query returning customer_id, refreshed every refresh_every into crm.segment_membership';

CREATE FUNCTION @extschema@.refresh_segment(name text)
RETURNS TABLE (entered bigint, exited bigint, members bigint)
AS 'MODULE_PATHNAME', 'crm_refresh_segment_sql'
LANGUAGE C VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.refresh_segment(text) IS
  'Refreshes a segment now (the worker''s code path): members who entered, exited, and the new size';

CREATE FUNCTION @extschema@.drop_segment(name text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s record;
BEGIN
	SELECT * INTO s FROM @extschema@.segments WHERE segments.name = drop_segment.name FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'segment "%" does not exist', name USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM @extschema@._check_owner(s.owner, format('segment "%s"', name));
	DELETE FROM @extschema@.segment_membership WHERE segment_id = s.segment_id;
	DELETE FROM @extschema@.segments WHERE segment_id = s.segment_id;
END $$;
COMMENT ON FUNCTION @extschema@.drop_segment(text) IS 'Drops a segment and its membership history';

-- Campaigns ---------------------------------------------------------------------------

CREATE FUNCTION @extschema@.create_frequency_cap(name text, max_messages integer, per interval,
	channel text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@._check_not_null('crm.create_frequency_cap', '{name,max_messages,per}',
		ARRAY[name IS NULL, max_messages IS NULL, per IS NULL]);
	IF max_messages < 1 OR per <= interval '0' THEN
		RAISE EXCEPTION 'crm.create_frequency_cap: max_messages and per must be positive'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	INSERT INTO @extschema@.frequency_caps (name, max_messages, per, channel, created_by)
	VALUES (name, max_messages, per, channel, @extschema@._invoker());
EXCEPTION WHEN unique_violation THEN
	RAISE EXCEPTION 'frequency cap "%" already exists', name USING ERRCODE = 'duplicate_object';
END $$;
COMMENT ON FUNCTION @extschema@.create_frequency_cap(text, integer, interval, text) IS
  'Creates a frequency cap for marketing campaigns: at most max_messages per customer per period, on one channel or all';

CREATE FUNCTION @extschema@.create_campaign(name text, audience text, channel text,
	run_every interval DEFAULT '15 minutes', reentry text DEFAULT 'once', cooldown interval DEFAULT NULL,
	holdout_percent float8 DEFAULT NULL, frequency_cap text DEFAULT NULL,
	quiet_start time DEFAULT NULL, quiet_end time DEFAULT NULL, max_delay interval DEFAULT '12 hours',
	message_ttl interval DEFAULT '3 days', max_attempts integer DEFAULT 5,
	search_path text DEFAULT pg_catalog.current_setting('search_path'), salt bigint DEFAULT NULL,
	purpose text DEFAULT 'marketing')
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	id bigint;
BEGIN
	PERFORM @extschema@._check_not_null('crm.create_campaign',
		'{name,audience,channel,run_every,reentry,max_delay,message_ttl,max_attempts,search_path,purpose}',
		ARRAY[name IS NULL, audience IS NULL, channel IS NULL, run_every IS NULL, reentry IS NULL,
		      max_delay IS NULL, message_ttl IS NULL, max_attempts IS NULL, search_path IS NULL, purpose IS NULL]);
	IF purpose NOT IN ('marketing', 'transactional') THEN
		RAISE EXCEPTION 'purpose must be marketing or transactional, got %', purpose
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF reentry NOT IN ('once', 'cooldown', 'per_event_key') THEN
		RAISE EXCEPTION 'reentry must be once, cooldown or per_event_key, got %', reentry
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF (reentry = 'cooldown') <> (cooldown IS NOT NULL) THEN
		RAISE EXCEPTION 'a cooldown interval is given exactly when reentry is cooldown'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF purpose = 'transactional' THEN
		-- order and delivery notices: no holdout group, no frequency cap, no marketing consent
		IF coalesce(holdout_percent, 0) <> 0 OR frequency_cap IS NOT NULL THEN
			RAISE EXCEPTION 'a transactional campaign has no holdout group and no frequency cap'
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
		holdout_percent := 0;
	END IF;
	holdout_percent := coalesce(holdout_percent, 10);
	IF NOT (holdout_percent >= 0 AND holdout_percent < 100) THEN
		RAISE EXCEPTION 'holdout_percent must be at least 0 and below 100, got %', holdout_percent
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF (quiet_start IS NULL) <> (quiet_end IS NULL) THEN
		RAISE EXCEPTION 'quiet_start and quiet_end are given together'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF frequency_cap IS NOT NULL AND NOT EXISTS (SELECT FROM @extschema@.frequency_caps f WHERE f.name = frequency_cap) THEN
		RAISE EXCEPTION 'frequency cap "%" does not exist', frequency_cap USING ERRCODE = 'undefined_object',
			HINT = 'Create it with crm.create_frequency_cap().';
	END IF;
	IF run_every <= interval '0' OR message_ttl <= interval '0' OR max_attempts < 1 OR cooldown <= interval '0' THEN
		RAISE EXCEPTION 'run_every, message_ttl, cooldown and max_attempts must be positive'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM @extschema@._validate_job_query(audience, search_path, format('campaign "%s"', name));
	PERFORM @extschema@._enable_sending_if_fresh();
	BEGIN
		INSERT INTO @extschema@.campaigns (name, owner, audience, search_path, channel, purpose, run_every, reentry,
		                                   cooldown, holdout_percent, salt, frequency_cap, quiet_start, quiet_end,
		                                   max_delay, message_ttl, max_attempts)
		VALUES (name, @extschema@._invoker(), audience, search_path, channel, purpose, run_every, reentry, cooldown,
		        holdout_percent, coalesce(salt, (random() * 9.2e18)::bigint), frequency_cap, quiet_start, quiet_end,
		        max_delay, message_ttl, max_attempts)
		RETURNING campaign_id INTO id;
	EXCEPTION WHEN unique_violation THEN
		RAISE EXCEPTION 'campaign "%" already exists', name USING ERRCODE = 'duplicate_object';
	END;
	PERFORM @extschema@._worker_wakeup();
	RETURN id;
END $$;
COMMENT ON FUNCTION @extschema@.create_campaign(text, text, text, interval, text, interval, float8, text, time, time, interval, interval, integer, text, bigint, text) IS
  'Creates a trigger campaign: an audience query (customer_id [, event_key, payload, time_zone]) run every run_every, with a holdout group';

CREATE FUNCTION @extschema@.run_campaign(name text)
RETURNS TABLE (audience bigint, entries bigint, control bigint, messages bigint, skipped bigint)
AS 'MODULE_PATHNAME', 'crm_run_campaign_sql'
LANGUAGE C VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.run_campaign(text) IS
  'Runs a campaign now, in the caller''s transaction (the worker''s code path)';

-- _set_campaign_status(name, status): pause, resume (also clears a failure)
CREATE FUNCTION @extschema@._set_campaign_status(name text, new_status text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c record;
BEGIN
	SELECT * INTO c FROM @extschema@.campaigns WHERE campaigns.name = _set_campaign_status.name FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'campaign "%" does not exist', name USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM @extschema@._check_owner(c.owner, format('campaign "%s"', name));
	UPDATE @extschema@.campaigns
	SET status = new_status,
	    last_error = CASE WHEN new_status = 'active' THEN NULL ELSE last_error END,
	    next_run_at = CASE WHEN new_status = 'active' THEN least(next_run_at, now()) ELSE next_run_at END
	WHERE campaign_id = c.campaign_id;
	IF new_status = 'active' THEN
		PERFORM @extschema@._worker_wakeup();
	END IF;
END $$;

CREATE FUNCTION @extschema@.pause_campaign(name text)
RETURNS void LANGUAGE sql VOLATILE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@._set_campaign_status(name, 'paused') $$;
COMMENT ON FUNCTION @extschema@.pause_campaign(text) IS
  'Stops the scheduled runs of a campaign; its queued messages are not handed out while it is paused';

CREATE FUNCTION @extschema@.resume_campaign(name text)
RETURNS void LANGUAGE sql VOLATILE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@._set_campaign_status(name, 'active') $$;
COMMENT ON FUNCTION @extschema@.resume_campaign(text) IS 'Resumes a paused or failed campaign; it runs at the next tick';

CREATE FUNCTION @extschema@.drop_campaign(name text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c record;
BEGIN
	SELECT * INTO c FROM @extschema@.campaigns WHERE campaigns.name = drop_campaign.name FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'campaign "%" does not exist', name USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM @extschema@._check_owner(c.owner, format('campaign "%s"', name));
	DELETE FROM @extschema@.outbox                                       -- delivery events cascade
	WHERE message_id IN (SELECT message_id FROM @extschema@.campaign_entries WHERE campaign_id = c.campaign_id);
	DELETE FROM @extschema@.campaign_entries WHERE campaign_id = c.campaign_id;
	DELETE FROM @extschema@.campaign_exclusions WHERE campaign_id = c.campaign_id;
	DELETE FROM @extschema@.campaigns WHERE campaign_id = c.campaign_id;
END $$;
COMMENT ON FUNCTION @extschema@.drop_campaign(text) IS
  'Drops a campaign with its entries, messages and delivery events';

-- alter_job_owner(kind, name, new_owner): hands a campaign or segment to
-- another role (REASSIGN OWNED does not know the extension's jobs).  The
-- invoker must act for the old owner (or it no longer exists and the
-- invoker is a superuser) and be a member of the new one.
CREATE FUNCTION @extschema@.alter_job_owner(kind text, name text, new_owner regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	old_owner name;
	new_name name := (SELECT r.rolname FROM pg_roles r WHERE r.oid = new_owner);
	invoker name := @extschema@._invoker();
BEGIN
	IF kind = 'campaign' THEN
		SELECT c.owner INTO old_owner FROM @extschema@.campaigns c WHERE c.name = alter_job_owner.name FOR UPDATE;
	ELSIF kind = 'segment' THEN
		SELECT s.owner INTO old_owner FROM @extschema@.segments s WHERE s.name = alter_job_owner.name FOR UPDATE;
	ELSE
		RAISE EXCEPTION 'kind must be campaign or segment, got %', kind USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF NOT FOUND THEN
		RAISE EXCEPTION '% "%" does not exist', kind, name USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM @extschema@._check_owner(old_owner, format('%s "%s"', kind, name));
	IF NOT (pg_has_role(invoker, new_owner, 'USAGE') OR (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = invoker)) THEN
		RAISE EXCEPTION 'permission denied to give % "%" to %', kind, name, new_name
			USING ERRCODE = 'insufficient_privilege', DETAIL = 'Only a member of the new owner role may give it a job.';
	END IF;
	IF kind = 'campaign' THEN
		UPDATE @extschema@.campaigns c SET owner = new_name WHERE c.name = alter_job_owner.name;
	ELSE
		UPDATE @extschema@.segments s SET owner = new_name WHERE s.name = alter_job_owner.name;
	END IF;
END $$;
COMMENT ON FUNCTION @extschema@.alter_job_owner(text, text, regrole) IS
  'Gives a campaign or segment to another role (its audience then runs with that role''s privileges)';

-- Suppressions ---------------------------------------------------------------------------

-- _apply_suppression(customer, channel, scope): queued messages it covers are
-- no longer handed out (status suppressed); returns how many.
CREATE FUNCTION @extschema@._apply_suppression(customer text, on_channel text, suppression_scope text)
RETURNS bigint
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH s AS (
		UPDATE @extschema@.outbox o SET status = 'suppressed', lease_until = NULL, updated_at = now()
		WHERE o.customer_id = customer AND o.status = 'queued'
		  AND (on_channel IS NULL OR o.channel = on_channel)
		  AND (suppression_scope = 'all' OR o.purpose = 'marketing')
		RETURNING 1)
	SELECT count(*) FROM s
$$;

-- _suppress: records a suppression (the wider scope wins on a repeat) and applies it.
CREATE FUNCTION @extschema@._suppress(customer text, on_channel text, suppression_scope text, why text,
	recorded_by text, note text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	INSERT INTO @extschema@.suppressions AS s (customer_id, channel, scope, reason, source, note)
	VALUES (customer, on_channel, suppression_scope, why, recorded_by, note)
	ON CONFLICT (customer_id, (coalesce(channel, ''))) DO UPDATE
	SET scope = CASE WHEN s.scope = 'all' OR excluded.scope = 'all' THEN 'all' ELSE 'marketing' END,
	    reason = excluded.reason, source = excluded.source, note = excluded.note, since = excluded.since;
	RETURN @extschema@._apply_suppression(customer, on_channel, suppression_scope);
END $$;

CREATE FUNCTION @extschema@.suppress(customer_id text, channel text DEFAULT NULL, scope text DEFAULT 'marketing',
	reason text DEFAULT 'manual', note text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@._check_not_null('crm.suppress', '{customer_id,scope,reason}',
		ARRAY[customer_id IS NULL, scope IS NULL, reason IS NULL]);
	IF customer_id = '' THEN
		RAISE EXCEPTION 'crm.suppress: customer_id must not be empty' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF scope NOT IN ('marketing', 'all') THEN
		RAISE EXCEPTION 'crm.suppress: scope must be marketing or all, got %', scope USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF reason NOT IN ('unsubscribed', 'hard_bounce', 'complaint', 'no_consent', 'manual') THEN
		RAISE EXCEPTION 'crm.suppress: reason must be unsubscribed, hard_bounce, complaint, no_consent or manual, got %', reason
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN @extschema@._suppress(customer_id, channel, scope, reason, 'manual: ' || @extschema@._invoker(), note);
END $$;
COMMENT ON FUNCTION @extschema@.suppress(text, text, text, text, text) IS
  'Stops messages to a customer on a channel (NULL: all channels), for marketing or all messages; returns the queued messages withdrawn';

CREATE FUNCTION @extschema@.unsuppress(customer_id text, channel text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF customer_id IS NULL THEN
		RAISE EXCEPTION 'crm.unsuppress: customer_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	DELETE FROM @extschema@.suppressions s
	WHERE s.customer_id = unsuppress.customer_id AND coalesce(s.channel, '') = coalesce(unsuppress.channel, '');
	RETURN FOUND;
END $$;
COMMENT ON FUNCTION @extschema@.unsuppress(text, text) IS
  'Removes a customer''s suppression on a channel (NULL: the all-channels one); messages withdrawn stay withdrawn';

-- Delivery hand-off ---------------------------------------------------------------------

-- Messages are handed out only where sending is enabled, never to a
-- suppressed customer, never for a campaign that is paused or gone or whose
-- owner role is gone.  Queued messages and expired leases are found through
-- two partial indexes, so that many messages in flight do not slow a claim.
CREATE FUNCTION @extschema@.claim_messages(channel text, max_messages integer DEFAULT 100,
                                           lease interval DEFAULT '5 minutes')
RETURNS SETOF @extschema@.outbox
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF channel IS NULL OR max_messages IS NULL OR max_messages < 1 OR lease IS NULL OR lease <= interval '0' THEN
		RAISE EXCEPTION 'channel must not be NULL, max_messages must be positive and lease a positive interval'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM @extschema@._check_sending_enabled('crm.claim_messages');
	RETURN QUERY
	WITH candidates AS (
		-- what may be handed out is filtered before the LIMIT, so that the
		-- queued messages of a paused campaign never hide the others
		(SELECT o.message_id, o.not_before FROM @extschema@.outbox o
		 WHERE o.channel = claim_messages.channel AND o.status = 'queued' AND o.not_before <= now()
		   AND o.expires_at > now() AND o.attempts < o.max_attempts
		   AND EXISTS (SELECT FROM @extschema@.campaigns c JOIN pg_roles r ON r.rolname = c.owner
		               WHERE c.campaign_id = o.campaign_id AND c.status <> 'paused')
		   AND NOT EXISTS (SELECT FROM @extschema@.suppressions s
		                   WHERE s.customer_id = o.customer_id AND (s.channel IS NULL OR s.channel = o.channel)
		                     AND (s.scope = 'all' OR o.purpose = 'marketing'))
		 ORDER BY o.channel, o.not_before, o.message_id
		 LIMIT max_messages::bigint * 2)
		UNION ALL
		(SELECT o.message_id, o.not_before FROM @extschema@.outbox o
		 WHERE o.status = 'claimed' AND o.lease_until <= now() AND o.channel = claim_messages.channel
		   AND o.expires_at > now() AND o.attempts < o.max_attempts
		   AND EXISTS (SELECT FROM @extschema@.campaigns c JOIN pg_roles r ON r.rolname = c.owner
		               WHERE c.campaign_id = o.campaign_id AND c.status <> 'paused')
		   AND NOT EXISTS (SELECT FROM @extschema@.suppressions s
		                   WHERE s.customer_id = o.customer_id AND (s.channel IS NULL OR s.channel = o.channel)
		                     AND (s.scope = 'all' OR o.purpose = 'marketing'))
		 ORDER BY o.lease_until
		 LIMIT max_messages::bigint * 2)
	), claimable AS (
		-- rechecked under the row lock: another claim or a report may have come first
		SELECT o.message_id FROM @extschema@.outbox o JOIN candidates k ON k.message_id = o.message_id
		WHERE (o.status = 'queued' OR (o.status = 'claimed' AND o.lease_until <= now()))
		  AND o.attempts < o.max_attempts
		ORDER BY k.not_before, k.message_id
		LIMIT max_messages
		FOR UPDATE OF o SKIP LOCKED)
	UPDATE @extschema@.outbox o
	SET status = 'claimed', attempts = o.attempts + 1, lease_until = now() + lease, updated_at = now()
	FROM claimable c WHERE o.message_id = c.message_id
	RETURNING o.*;
END $$;
COMMENT ON FUNCTION @extschema@.claim_messages(text, integer, interval) IS
  'Claims up to max_messages due messages of a channel for lease (FOR UPDATE SKIP LOCKED); an expired lease returns the message to the queue';

-- status ranks: queued < claimed < sent < delivered < opened < clicked; the rest are terminal
CREATE FUNCTION @extschema@._status_rank(status text)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE status WHEN 'queued' THEN 0 WHEN 'claimed' THEN 1 WHEN 'sent' THEN 2 WHEN 'delivered' THEN 3
	                   WHEN 'opened' THEN 4 WHEN 'clicked' THEN 5
	                   WHEN 'bounced' THEN 100 WHEN 'failed' THEN 100 WHEN 'unsubscribed' THEN 100
	                   WHEN 'complained' THEN 100 WHEN 'expired' THEN 100 WHEN 'skipped' THEN 100
	                   WHEN 'suppressed' THEN 100 END
$$;

-- An unsubscribe or a complaint suppresses the customer's marketing on the
-- message's channel; a bounce does so for every message on the channel,
-- unless detail says it was soft ({"bounce_type": "soft"} or "transient").
CREATE FUNCTION @extschema@.report_delivery(message_id bigint, status text, detail jsonb DEFAULT NULL,
                                            reported_at timestamptz DEFAULT now())
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m record;
	new_rank integer := @extschema@._status_rank(status);
BEGIN
	IF message_id IS NULL OR new_rank IS NULL OR new_rank < 2 THEN
		RAISE EXCEPTION 'message_id must not be NULL and status must be sent, delivered, opened, clicked, bounced, failed, unsubscribed, complained, expired or skipped, got %',
			coalesce(status, 'NULL') USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT o.status, o.customer_id, o.channel INTO m FROM @extschema@.outbox o
	WHERE o.message_id = report_delivery.message_id FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'message % does not exist', message_id USING ERRCODE = 'undefined_object';
	END IF;
	INSERT INTO @extschema@.delivery_events (message_id, status, reported_at, detail)
	VALUES (message_id, status, coalesce(reported_at, now()), detail)
	ON CONFLICT DO NOTHING;
	IF status = 'unsubscribed' THEN
		PERFORM @extschema@._suppress(m.customer_id, m.channel, 'marketing', 'unsubscribed', 'report_delivery', NULL);
	ELSIF status = 'complained' THEN
		PERFORM @extschema@._suppress(m.customer_id, m.channel, 'marketing', 'complaint', 'report_delivery', NULL);
	ELSIF status = 'bounced' AND coalesce(lower(detail ->> 'bounce_type'), 'hard') NOT IN ('soft', 'transient') THEN
		PERFORM @extschema@._suppress(m.customer_id, m.channel, 'all', 'hard_bounce', 'report_delivery', NULL);
	END IF;
	-- monotonic: only forward, never out of a terminal status
	IF @extschema@._status_rank(m.status) < 100 AND new_rank > @extschema@._status_rank(m.status) THEN
		UPDATE @extschema@.outbox o SET status = report_delivery.status, lease_until = NULL, updated_at = now()
		WHERE o.message_id = report_delivery.message_id;
		RETURN status;
	END IF;
	RETURN m.status;
END $$;
COMMENT ON FUNCTION @extschema@.report_delivery(bigint, text, jsonb, timestamptz) IS
  'Records a delivery status of a message (idempotent; unsubscribes, complaints and hard bounces suppress the customer); the status only moves forward';

-- Maintenance: expire messages, fail exhausted leases, prune the run history,
-- and delete messages that finished (any status but queued and claimed) more
-- than message_retention ago, with their delivery events; campaign entries
-- stay (the reports read them).  Each step reads a partial index, and the
-- deletion takes at most 10,000 messages a call, so that a tick costs little
-- whatever the outbox's size.
CREATE FUNCTION @extschema@.run_maintenance(history_retention interval DEFAULT NULL,
                                            message_retention interval DEFAULT NULL)
RETURNS TABLE (expired bigint, failed bigint, pruned_runs bigint, purged_messages bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	runs_kept interval := coalesce(history_retention,
	                               make_interval(days => coalesce(current_setting('crm_marketing.history_retention', true)::int, 30)));
	messages_kept interval := coalesce(message_retention,
	                                   make_interval(days => coalesce(current_setting('crm_marketing.message_retention', true)::int, 90)));
BEGIN
	IF runs_kept < interval '0' OR messages_kept < interval '0' THEN
		RAISE EXCEPTION 'crm.run_maintenance: retentions must not be negative' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	WITH e AS (UPDATE @extschema@.outbox SET status = 'expired', lease_until = NULL, updated_at = now()
	           WHERE status IN ('queued', 'claimed') AND expires_at <= now() RETURNING 1)
	SELECT count(*) INTO expired FROM e;
	WITH f AS (UPDATE @extschema@.outbox SET status = 'failed', lease_until = NULL, updated_at = now()
	           WHERE status = 'claimed' AND lease_until <= now() AND attempts >= max_attempts RETURNING 1)
	SELECT count(*) INTO failed FROM f;
	WITH p AS (DELETE FROM @extschema@.job_runs WHERE finished_at < now() - runs_kept RETURNING 1)
	SELECT count(*) INTO pruned_runs FROM p;
	WITH m AS (DELETE FROM @extschema@.outbox WHERE message_id IN (
	               SELECT o.message_id FROM @extschema@.outbox o
	               WHERE o.status NOT IN ('queued', 'claimed') AND o.updated_at < now() - messages_kept
	               ORDER BY o.updated_at LIMIT 10000)
	           RETURNING 1)
	SELECT count(*) INTO purged_messages FROM m;
	RETURN NEXT;
END $$;
COMMENT ON FUNCTION @extschema@.run_maintenance(interval, interval) IS
  'Expires undelivered messages past expires_at, fails messages whose leases ran out of attempts, prunes crm.job_runs and finished messages (the worker does this every tick)';

-- Worker status: a row per database with a worker slot (none without
-- shared_preload_libraries); a non-superuser sees only the current database.
CREATE FUNCTION @extschema@._worker_status()
RETURNS TABLE (database name, state text, pid integer, started_at timestamptz, last_tick timestamptz,
               jobs_due integer, jobs_run bigint, failures integer, next_start timestamptz, last_error text,
               sending_enabled boolean)
AS 'MODULE_PATHNAME', 'crm_worker_status'
LANGUAGE C VOLATILE;

CREATE VIEW @extschema@.worker_status AS SELECT * FROM @extschema@._worker_status();
COMMENT ON VIEW @extschema@.worker_status IS
  'The background workers: per database its state, last tick, jobs due, last error and whether sending is enabled there';

-- Wakes the launcher so a new installation gets its worker at once (no-op without preload).
CREATE FUNCTION @extschema@._worker_wakeup()
RETURNS void AS 'MODULE_PATHNAME', 'crm_worker_wakeup'
LANGUAGE C VOLATILE;

-- privileges: the state-changing functions are granted by the DBA (README,
-- "Security model"); the internal helpers are not callable by PUBLIC.
REVOKE EXECUTE ON FUNCTION
	@extschema@.create_segment(text, text, interval, text), @extschema@.refresh_segment(text),
	@extschema@.drop_segment(text),
	@extschema@.create_frequency_cap(text, integer, interval, text),
	@extschema@.create_campaign(text, text, text, interval, text, interval, float8, text, time, time, interval, interval, integer, text, bigint, text),
	@extschema@.run_campaign(text), @extschema@.pause_campaign(text), @extschema@.resume_campaign(text),
	@extschema@.drop_campaign(text), @extschema@.alter_job_owner(text, text, regrole),
	@extschema@.claim_messages(text, integer, interval),
	@extschema@.report_delivery(bigint, text, jsonb, timestamptz), @extschema@.run_maintenance(interval, interval),
	@extschema@.suppress(text, text, text, text, text), @extschema@.unsuppress(text, text),
	@extschema@.enable_sending(), @extschema@.disable_sending(),
	@extschema@._siphash24(bigint, bigint, bytea), @extschema@._invoker(),
	@extschema@._validate_job_query(text, text, text), @extschema@._check_owner(name, text),
	@extschema@._check_not_null(text, text[], boolean[]), @extschema@._enable_sending_if_fresh(),
	@extschema@._system_identifier(), @extschema@._check_sending_enabled(text),
	@extschema@._set_campaign_status(text, text), @extschema@._apply_suppression(text, text, text),
	@extschema@._suppress(text, text, text, text, text, text), @extschema@._status_rank(text),
	@extschema@._worker_status(), @extschema@._worker_wakeup()
FROM PUBLIC;
GRANT SELECT ON @extschema@.sending_enabled_in TO PUBLIC;

SELECT @extschema@._worker_wakeup();

-- Customer lifetime value: purchase histories, BG/NBD, Pareto/NBD
-- and Gamma-Gamma fits on histograms of distinct histories, predictions.

CREATE TYPE @extschema@.purchase_summary AS (
	frequency int,          -- repeat purchases: distinct purchase days - 1
	recency float8,         -- first -> last purchase day, in time_unit
	tenure float8,          -- first purchase day -> observation_end, in time_unit
	monetary_value float8,  -- mean spend per repeat purchase day (0 when frequency = 0)
	orders bigint,          -- orders on or before observation_end
	revenue float8,
	first_purchase timestamptz,
	last_purchase timestamptz
);
COMMENT ON TYPE @extschema@.purchase_summary IS
  'One customer''s purchase history as the CLV models read it (crm.purchase_summary)';

CREATE TYPE @extschema@.bgnbd_model AS (
	r float8, alpha float8, a float8, b float8,
	log_likelihood float8, customers bigint, iterations int, converged boolean,
	r_se float8, alpha_se float8, a_se float8, b_se float8
);
COMMENT ON TYPE @extschema@.bgnbd_model IS
  'A fitted BG/NBD model (Fader, Hardie & Lee 2005); store it and score with it later';

CREATE TYPE @extschema@.pareto_nbd_model AS (
	r float8, alpha float8, s float8, beta float8,
	log_likelihood float8, customers bigint, iterations int, converged boolean,
	r_se float8, alpha_se float8, s_se float8, beta_se float8
);
COMMENT ON TYPE @extschema@.pareto_nbd_model IS
  'A fitted Pareto/NBD model (Schmittlein, Morrison & Colombo 1987)';

CREATE TYPE @extschema@.gamma_gamma_model AS (
	p float8, q float8, v float8,
	log_likelihood float8, customers bigint, iterations int, converged boolean,
	p_se float8, q_se float8, v_se float8
);
COMMENT ON TYPE @extschema@.gamma_gamma_model IS
  'A fitted Gamma-Gamma spend model (Fader, Hardie & Lee 2005; Fader & Hardie 2013)';

-- purchase_summary -------------------------------------------------------------------
-- SSPACE: the state is 128 bytes plus a day array for customers with more than four purchase
-- days; without it the planner assumes 8 kB per customer and a GROUP BY customer hash
-- aggregate spills to disk long before work_mem is used.

CREATE FUNCTION @extschema@.purchase_summary_transfn(internal, timestamptz, float8, timestamptz)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_purchase_summary_float8_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_summary_transfn(internal, timestamptz, float8, timestamptz, interval)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_purchase_summary_float8_unit_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_summary_transfn(internal, timestamptz, numeric, timestamptz)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_purchase_summary_numeric_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_summary_transfn(internal, timestamptz, numeric, timestamptz, interval)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_purchase_summary_numeric_unit_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_summary_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_purchase_summary_combine' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_summary_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'crm_purchase_summary_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_summary_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_purchase_summary_deserialize' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_summary_final(internal)
RETURNS @extschema@.purchase_summary AS 'MODULE_PATHNAME', 'crm_purchase_summary_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE @extschema@.purchase_summary(purchased_at timestamptz, amount float8, observation_end timestamptz) (
	SFUNC = @extschema@.purchase_summary_transfn, STYPE = internal, SSPACE = 192,
	COMBINEFUNC = @extschema@.purchase_summary_combine,
	SERIALFUNC = @extschema@.purchase_summary_serialize,
	DESERIALFUNC = @extschema@.purchase_summary_deserialize,
	FINALFUNC = @extschema@.purchase_summary_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.purchase_summary(purchased_at timestamptz, amount float8, observation_end timestamptz, time_unit interval) (
	SFUNC = @extschema@.purchase_summary_transfn, STYPE = internal, SSPACE = 192,
	COMBINEFUNC = @extschema@.purchase_summary_combine,
	SERIALFUNC = @extschema@.purchase_summary_serialize,
	DESERIALFUNC = @extschema@.purchase_summary_deserialize,
	FINALFUNC = @extschema@.purchase_summary_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.purchase_summary(purchased_at timestamptz, amount numeric, observation_end timestamptz) (
	SFUNC = @extschema@.purchase_summary_transfn, STYPE = internal, SSPACE = 192,
	COMBINEFUNC = @extschema@.purchase_summary_combine,
	SERIALFUNC = @extschema@.purchase_summary_serialize,
	DESERIALFUNC = @extschema@.purchase_summary_deserialize,
	FINALFUNC = @extschema@.purchase_summary_final, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.purchase_summary(purchased_at timestamptz, amount numeric, observation_end timestamptz, time_unit interval) (
	SFUNC = @extschema@.purchase_summary_transfn, STYPE = internal, SSPACE = 192,
	COMBINEFUNC = @extschema@.purchase_summary_combine,
	SERIALFUNC = @extschema@.purchase_summary_serialize,
	DESERIALFUNC = @extschema@.purchase_summary_deserialize,
	FINALFUNC = @extschema@.purchase_summary_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.purchase_summary(timestamptz, float8, timestamptz, interval) IS
  'A customer''s orders as (frequency, recency, tenure, monetary_value, ...); use with GROUP BY customer';
COMMENT ON AGGREGATE @extschema@.purchase_summary(timestamptz, float8, timestamptz) IS
  'A customer''s orders as (frequency, recency, tenure, monetary_value, ...) in days; use with GROUP BY customer';
COMMENT ON AGGREGATE @extschema@.purchase_summary(timestamptz, numeric, timestamptz, interval) IS
  'A customer''s orders (numeric amounts) as (frequency, recency, tenure, monetary_value, ...); use with GROUP BY customer';
COMMENT ON AGGREGATE @extschema@.purchase_summary(timestamptz, numeric, timestamptz) IS
  'A customer''s orders (numeric amounts) as (frequency, recency, tenure, monetary_value, ...) in days';

-- fits ---------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.bgnbd_fit_transfn(internal, int, float8, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgnbd_fit_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgnbd_fit_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgnbd_fit_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.bgnbd_fit_final(internal)
RETURNS @extschema@.bgnbd_model AS 'MODULE_PATHNAME', 'crm_bgnbd_fit_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@.bgnbd_fit(frequency int, recency float8, tenure float8) (
	SFUNC = @extschema@.bgnbd_fit_transfn, STYPE = internal,
	COMBINEFUNC = @extschema@.bgnbd_fit_combine,
	SERIALFUNC = @extschema@.bgnbd_fit_serialize,
	DESERIALFUNC = @extschema@.bgnbd_fit_deserialize,
	FINALFUNC = @extschema@.bgnbd_fit_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.bgnbd_fit(int, float8, float8) IS
  'Maximum-likelihood BG/NBD fit over customers'' (frequency, recency, tenure)';

CREATE FUNCTION @extschema@.pareto_nbd_fit_transfn(internal, int, float8, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_pareto_nbd_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.pareto_nbd_fit_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_pareto_nbd_fit_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.pareto_nbd_fit_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'crm_pareto_nbd_fit_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.pareto_nbd_fit_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_pareto_nbd_fit_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.pareto_nbd_fit_final(internal)
RETURNS @extschema@.pareto_nbd_model AS 'MODULE_PATHNAME', 'crm_pareto_nbd_fit_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@.pareto_nbd_fit(frequency int, recency float8, tenure float8) (
	SFUNC = @extschema@.pareto_nbd_fit_transfn, STYPE = internal,
	COMBINEFUNC = @extschema@.pareto_nbd_fit_combine,
	SERIALFUNC = @extschema@.pareto_nbd_fit_serialize,
	DESERIALFUNC = @extschema@.pareto_nbd_fit_deserialize,
	FINALFUNC = @extschema@.pareto_nbd_fit_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.pareto_nbd_fit(int, float8, float8) IS
  'Maximum-likelihood Pareto/NBD fit over customers'' (frequency, recency, tenure)';

CREATE FUNCTION @extschema@.gamma_gamma_fit_transfn(internal, int, float8)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_gamma_gamma_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.gamma_gamma_fit_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_gamma_gamma_fit_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.gamma_gamma_fit_serialize(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'crm_gamma_gamma_fit_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.gamma_gamma_fit_deserialize(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'crm_gamma_gamma_fit_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.gamma_gamma_fit_final(internal)
RETURNS @extschema@.gamma_gamma_model AS 'MODULE_PATHNAME', 'crm_gamma_gamma_fit_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE AGGREGATE @extschema@.gamma_gamma_fit(frequency int, monetary_value float8) (
	SFUNC = @extschema@.gamma_gamma_fit_transfn, STYPE = internal,
	COMBINEFUNC = @extschema@.gamma_gamma_fit_combine,
	SERIALFUNC = @extschema@.gamma_gamma_fit_serialize,
	DESERIALFUNC = @extschema@.gamma_gamma_fit_deserialize,
	FINALFUNC = @extschema@.gamma_gamma_fit_final, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.gamma_gamma_fit(int, float8) IS
  'Maximum-likelihood Gamma-Gamma spend fit over repeat buyers (frequency > 0; others are skipped)';

-- predictions ---------------------------------------------------------------------------

CREATE FUNCTION @extschema@.p_alive(model @extschema@.bgnbd_model, frequency int, recency float8, tenure float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_bgnbd_p_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.p_alive(model @extschema@.pareto_nbd_model, frequency int, recency float8, tenure float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_pareto_nbd_p_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.p_alive(@extschema@.bgnbd_model, int, float8, float8) IS
  'Probability that a customer with this history is still active (BG/NBD)';
COMMENT ON FUNCTION @extschema@.p_alive(@extschema@.pareto_nbd_model, int, float8, float8) IS
  'Probability that a customer with this history is still active (Pareto/NBD)';

CREATE FUNCTION @extschema@.expected_purchases(model @extschema@.bgnbd_model, frequency int, recency float8, tenure float8, horizon float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_bgnbd_expected_conditional' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.expected_purchases(model @extschema@.pareto_nbd_model, frequency int, recency float8, tenure float8, horizon float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_pareto_nbd_expected_conditional' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.expected_purchases(model @extschema@.bgnbd_model, horizon float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_bgnbd_expected_new' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.expected_purchases(model @extschema@.pareto_nbd_model, horizon float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_pareto_nbd_expected_new' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_purchases(@extschema@.bgnbd_model, int, float8, float8, float8) IS
  'Expected purchases in the next horizon units, given the customer''s history';
COMMENT ON FUNCTION @extschema@.expected_purchases(@extschema@.bgnbd_model, float8) IS
  'Expected purchases of a new customer in the first horizon units';
COMMENT ON FUNCTION @extschema@.expected_purchases(@extschema@.pareto_nbd_model, int, float8, float8, float8) IS
  'Expected purchases in the next horizon units, given the customer''s history (Pareto/NBD)';
COMMENT ON FUNCTION @extschema@.expected_purchases(@extschema@.pareto_nbd_model, float8) IS
  'Expected purchases of a new customer in the first horizon units (Pareto/NBD)';

CREATE FUNCTION @extschema@.purchase_probability(model @extschema@.bgnbd_model, n int, horizon float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_bgnbd_purchase_probability' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.purchase_probability(model @extschema@.pareto_nbd_model, n int, horizon float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_pareto_nbd_purchase_probability' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.purchase_probability(@extschema@.bgnbd_model, int, float8) IS
  'Probability that a new customer makes exactly n repeat purchases in horizon units';
COMMENT ON FUNCTION @extschema@.purchase_probability(@extschema@.pareto_nbd_model, int, float8) IS
  'Probability that a new customer makes exactly n repeat purchases in horizon units (Pareto/NBD)';

CREATE FUNCTION @extschema@.expected_spend(model @extschema@.gamma_gamma_model, frequency int, monetary_value float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_gamma_gamma_expected_spend' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_spend(@extschema@.gamma_gamma_model, int, float8) IS
  'Expected spend per purchase of a customer: the customer''s mean shrunk toward the population mean';

CREATE FUNCTION @extschema@.ltv_estimate(model @extschema@.bgnbd_model, spend_model @extschema@.gamma_gamma_model,
	frequency int, recency float8, tenure float8, monetary_value float8, horizon float8,
	annual_discount_rate float8 DEFAULT 0, time_unit interval DEFAULT '1 day')
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_bgnbd_ltv_estimate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.ltv_estimate(model @extschema@.pareto_nbd_model, spend_model @extschema@.gamma_gamma_model,
	frequency int, recency float8, tenure float8, monetary_value float8, horizon float8,
	annual_discount_rate float8 DEFAULT 0, time_unit interval DEFAULT '1 day')
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_pareto_nbd_ltv_estimate' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ltv_estimate(@extschema@.bgnbd_model, @extschema@.gamma_gamma_model, int, float8, float8, float8, float8, float8, interval) IS
  'Discounted expected revenue of a customer over the next horizon units';
COMMENT ON FUNCTION @extschema@.ltv_estimate(@extschema@.pareto_nbd_model, @extschema@.gamma_gamma_model, int, float8, float8, float8, float8, float8, interval) IS
  'Discounted expected revenue of a customer over the next horizon units (Pareto/NBD purchases)';
-- Incrementality: CUPED variance reduction for the
-- uplift t-test, multiple-comparison adjustment of p-values, and sequential
-- monitoring with always-valid p-values (mSPRT).

-- uplift_ttest_cuped -----------------------------------------------------------
-- The crm.ttest_result columns (means and sds are the CUPED-adjusted ones),
-- then the adjustment coefficient and the variance reduction it achieved.

CREATE TYPE @extschema@.ttest_cuped_result AS (
	n_treatment bigint,
	n_control bigint,
	mean_treatment float8,
	mean_control float8,
	sd_treatment float8,
	sd_control float8,
	uplift float8,
	uplift_ci_low float8,
	uplift_ci_high float8,
	lift float8,
	lift_ci_low float8,
	lift_ci_high float8,
	t_stat float8,
	df float8,
	p_value float8,
	incremental_total float8,
	incremental_ci_low float8,
	incremental_ci_high float8,
	theta float8,
	variance_reduction float8
);

-- state float8[29]: per arm (treatment, then control)
--   {n, shift, s1 hi, s1 lo, s2 hi, s2 lo} of value, the same of pre_period_value,
--   sum (pre - shift_pre)(value - shift_value) hi, lo;
-- then confidence

CREATE FUNCTION @extschema@.uplift_ttest_cuped_transfn(float8[], boolean, float8, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_uplift_ttest_cuped_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.uplift_ttest_cuped_transfn(float8[], boolean, float8, float8, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_uplift_ttest_cuped_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.uplift_ttest_cuped_transfn(float8[], boolean, numeric, numeric)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_uplift_ttest_cuped_numeric_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.uplift_ttest_cuped_transfn(float8[], boolean, numeric, numeric, float8)
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_uplift_ttest_cuped_numeric_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.uplift_ttest_cuped_combine(float8[], float8[])
RETURNS float8[] AS 'MODULE_PATHNAME', 'crm_uplift_ttest_cuped_combine'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.uplift_ttest_cuped_final(float8[])
RETURNS @extschema@.ttest_cuped_result AS 'MODULE_PATHNAME', 'crm_uplift_ttest_cuped_final'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.uplift_ttest_cuped(treated boolean, value float8, pre_period_value float8) (
	SFUNC = @extschema@.uplift_ttest_cuped_transfn, STYPE = float8[],
	COMBINEFUNC = @extschema@.uplift_ttest_cuped_combine,
	FINALFUNC = @extschema@.uplift_ttest_cuped_final,
	INITCOND = '{0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0}', PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.uplift_ttest_cuped(treated boolean, value float8, pre_period_value float8, confidence float8) (
	SFUNC = @extschema@.uplift_ttest_cuped_transfn, STYPE = float8[],
	COMBINEFUNC = @extschema@.uplift_ttest_cuped_combine,
	FINALFUNC = @extschema@.uplift_ttest_cuped_final,
	INITCOND = '{0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0}', PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.uplift_ttest_cuped(treated boolean, value numeric, pre_period_value numeric) (
	SFUNC = @extschema@.uplift_ttest_cuped_transfn, STYPE = float8[],
	COMBINEFUNC = @extschema@.uplift_ttest_cuped_combine,
	FINALFUNC = @extschema@.uplift_ttest_cuped_final,
	INITCOND = '{0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0}', PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.uplift_ttest_cuped(treated boolean, value numeric, pre_period_value numeric, confidence float8) (
	SFUNC = @extschema@.uplift_ttest_cuped_transfn, STYPE = float8[],
	COMBINEFUNC = @extschema@.uplift_ttest_cuped_combine,
	FINALFUNC = @extschema@.uplift_ttest_cuped_final,
	INITCOND = '{0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0}', PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.uplift_ttest_cuped(boolean, float8, float8) IS
  'Welch t-test of the mean value per customer adjusted for the pre-period value (CUPED), treatment (true) vs control (false), at 95% confidence';
COMMENT ON AGGREGATE @extschema@.uplift_ttest_cuped(boolean, float8, float8, float8) IS
  'Welch t-test of the mean value per customer adjusted for the pre-period value (CUPED), treatment (true) vs control (false), at the given confidence';
COMMENT ON AGGREGATE @extschema@.uplift_ttest_cuped(boolean, numeric, numeric) IS
  'Welch t-test of the mean value per customer adjusted for the pre-period value (CUPED), treatment (true) vs control (false), at 95% confidence';
COMMENT ON AGGREGATE @extschema@.uplift_ttest_cuped(boolean, numeric, numeric, float8) IS
  'Welch t-test of the mean value per customer adjusted for the pre-period value (CUPED), treatment (true) vs control (false), at the given confidence';

-- p_adjust ----------------------------------------------------------------------

CREATE FUNCTION @extschema@.p_adjust(p_values float8[], method text DEFAULT 'holm')
RETURNS float8[]
AS 'MODULE_PATHNAME', 'crm_p_adjust'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.p_adjust(float8[], text) IS
  'p-values adjusted for multiple comparisons as R''s p.adjust: bonferroni, holm, hochberg, bh (fdr), by; NULLs stay NULL';

-- sequential_test ---------------------------------------------------------------

CREATE TYPE @extschema@.sequential_result AS (
	always_valid_p_value float8,
	ci_low float8,
	ci_high float8,
	log_likelihood_ratio float8
);

CREATE FUNCTION @extschema@.sequential_test(uplift float8, uplift_variance float8,
                                            mixture_variance float8, confidence float8 DEFAULT 0.95)
RETURNS @extschema@.sequential_result
AS 'MODULE_PATHNAME', 'crm_sequential_test'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.sequential_test(result @extschema@.ttest_result, mixture_sd float8,
                                            confidence float8 DEFAULT 0.95)
RETURNS @extschema@.sequential_result
AS 'MODULE_PATHNAME', 'crm_sequential_test_ttest'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.sequential_test(result @extschema@.ttest_cuped_result, mixture_sd float8,
                                            confidence float8 DEFAULT 0.95)
RETURNS @extschema@.sequential_result
AS 'MODULE_PATHNAME', 'crm_sequential_test_ttest'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.sequential_test(result @extschema@.ztest_result, mixture_sd float8,
                                            confidence float8 DEFAULT 0.95)
RETURNS @extschema@.sequential_result
AS 'MODULE_PATHNAME', 'crm_sequential_test_ztest'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.sequential_test(float8, float8, float8, float8) IS
  'mSPRT with a normal mixture N(0, mixture_variance): always-valid p-value and confidence sequence of one look';
COMMENT ON FUNCTION @extschema@.sequential_test(@extschema@.ttest_result, float8, float8) IS
  'mSPRT of an uplift_ttest result (V = sd_t^2/n_t + sd_c^2/n_c), mixture N(0, mixture_sd^2)';
COMMENT ON FUNCTION @extschema@.sequential_test(@extschema@.ttest_cuped_result, float8, float8) IS
  'mSPRT of an uplift_ttest_cuped result (adjusted variances), mixture N(0, mixture_sd^2)';
COMMENT ON FUNCTION @extschema@.sequential_test(@extschema@.ztest_result, float8, float8) IS
  'mSPRT of an uplift_ztest result (unpooled rate variances), mixture N(0, mixture_sd^2)';

-- Campaign incrementality: the user's orders registered as a source (nothing
-- is imported), the per-campaign report against the control group, and the
-- BI view with the message funnel.

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

-- _source_column(relation, column, role, allowed types, what): the column's type; 42703 when it is
-- missing, 42804 when its type is not allowed, 42501 when the role may not read it.
CREATE FUNCTION @extschema@._check_source_column(relation regclass, col name, reader name,
	allowed regtype[], what text)
RETURNS regtype
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	typ regtype;
BEGIN
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

CREATE FUNCTION @extschema@.register_source(kind text, relation regclass,
	customer_column name DEFAULT 'customer_id', time_column name DEFAULT NULL, amount_column name DEFAULT NULL,
	time_zone_column name DEFAULT NULL, consent_column name DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	invoker name := @extschema@._invoker();
	ids regtype[] := ARRAY['bigint', 'integer', 'smallint', 'text', 'character varying', 'uuid']::regtype[];
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
		PERFORM @extschema@._check_source_column(relation, time_column, invoker,
			ARRAY['timestamp with time zone', 'timestamp without time zone', 'date']::regtype[], 'order time');
		PERFORM @extschema@._check_source_column(relation, amount_column, invoker,
			ARRAY['numeric', 'double precision', 'real', 'bigint', 'integer', 'smallint']::regtype[], 'order amount');
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
			PERFORM @extschema@._check_source_column(relation, time_zone_column, invoker,
				ARRAY['text', 'character varying']::regtype[], 'time zone');
		END IF;
		IF consent_column IS NOT NULL THEN
			PERFORM @extschema@._check_source_column(relation, consent_column, invoker,
				ARRAY['boolean']::regtype[], 'consent');
		END IF;
	END IF;
	customer_type := @extschema@._check_source_column(relation, customer_column, invoker, ids, 'customer id');
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

CREATE TYPE @extschema@.campaign_report_result AS (
	campaign text,
	attribution_window interval,
	customers_treatment bigint,       -- matured entries (would-send time + window in the past)
	customers_control bigint,
	entries_pending bigint,           -- entries whose window is still open, not counted yet
	converters_treatment bigint,
	converters_control bigint,
	conversion_rate_treatment float8,
	conversion_rate_control float8,
	conversion_uplift float8,
	conversion_uplift_ci_low float8,
	conversion_uplift_ci_high float8,
	conversion_p_value float8,
	revenue_treatment float8,
	revenue_control float8,
	revenue_per_customer_treatment float8,
	revenue_per_customer_control float8,
	revenue_uplift float8,            -- per customer, CUPED-adjusted
	revenue_uplift_ci_low float8,
	revenue_uplift_ci_high float8,
	revenue_lift float8,              -- relative to the control's unadjusted revenue per customer
	revenue_p_value float8,
	incremental_revenue float8,
	incremental_revenue_ci_low float8,
	incremental_revenue_ci_high float8,
	cuped_variance_reduction float8,
	srm_p_value float8,
	always_valid_p_value float8,
	sequential_ci_low float8,
	sequential_ci_high float8,
	verdict text,
	purchases_from_mailings_last_touch bigint,
	revenue_from_mailings_last_touch float8,
	revenue_share_last_touch float8
);

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

CREATE FUNCTION @extschema@.campaign_report(campaign text, attribution_window interval DEFAULT '7 days',
	pre_period interval DEFAULT NULL, mixture_sd float8 DEFAULT NULL, confidence float8 DEFAULT 0.95)
RETURNS @extschema@.campaign_report_result
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c record;
	stats record;
	src @extschema@.sources := @extschema@._orders_source();
	r @extschema@.campaign_report_result;
	conv @extschema@.ztest_result;
	rev @extschema@.ttest_result;
	cuped @extschema@.ttest_cuped_result;
	seq @extschema@.sequential_result;
	pending bigint;
	rev_t float8;
	rev_c float8;
	tau float8;
	min_n bigint := coalesce(nullif(current_setting('crm_marketing.min_sample_size', true), '')::bigint, 1000);
	orders_sql text;
BEGIN
	SELECT * INTO c FROM @extschema@.campaigns WHERE name = campaign;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'campaign "%" does not exist', campaign USING ERRCODE = 'undefined_object';
	END IF;
	IF attribution_window IS NULL OR attribution_window <= interval '0' THEN
		RAISE EXCEPTION 'crm.campaign_report: attribution_window must be a positive interval, got %',
			coalesce(attribution_window::text, 'NULL') USING ERRCODE = 'invalid_parameter_value';
	END IF;
	pre_period := coalesce(pre_period, attribution_window);
	IF pre_period < interval '0' THEN
		RAISE EXCEPTION 'crm.campaign_report: pre_period must not be negative, got %', pre_period
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF confidence IS NULL OR NOT (confidence > 0 AND confidence < 1) THEN
		RAISE EXCEPTION 'crm.campaign_report: confidence must be between 0 and 1, got %', coalesce(confidence::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;

	-- the orders, as (customer, at, amount) under the source's own column names, quoted
	orders_sql := format('SELECT %I AS customer, %I::timestamptz AS at, %I::float8 AS amount FROM %s',
	                     src.customer_column, src.time_column, src.amount_column, src.relation);

	-- one row per matured entry: conversions in [would_send_at, + window), pre-period revenue before it
	EXECUTE format($q$
		WITH e AS (
			SELECT entry_id, customer_id::%1$s AS customer, arm = 'treatment' AS treated, would_send_at AS t0
			FROM @extschema@.campaign_entries
			WHERE campaign_id = $1 AND would_send_at + $2 <= pg_catalog.now()
		), outcome AS (
			SELECT e.treated,
			       count(o.at) FILTER (WHERE o.at >= e.t0) > 0 AS converted,
			       coalesce(sum(o.amount) FILTER (WHERE o.at >= e.t0), 0) AS revenue,
			       coalesce(sum(o.amount) FILTER (WHERE o.at < e.t0), 0) AS pre_revenue
			FROM e LEFT JOIN (%2$s) o ON o.customer = e.customer AND o.at >= e.t0 - $3 AND o.at < e.t0 + $2
			GROUP BY e.entry_id, e.treated
		)
		SELECT @extschema@.uplift_ztest(treated, converted, $4) AS conv,
		       @extschema@.uplift_ttest(treated, revenue, $4) AS rev,
		       @extschema@.uplift_ttest_cuped(treated, revenue, pre_revenue, $4) AS cuped,
		       coalesce(sum(revenue) FILTER (WHERE treated), 0) AS rev_t,
		       coalesce(sum(revenue) FILTER (WHERE NOT treated), 0) AS rev_c
		FROM outcome$q$, src.customer_type, orders_sql)
	INTO stats
	USING c.campaign_id, attribution_window, pre_period, confidence;
	conv := stats.conv;
	rev := stats.rev;
	cuped := stats.cuped;
	rev_t := stats.rev_t;
	rev_c := stats.rev_c;

	SELECT count(*) INTO pending FROM @extschema@.campaign_entries
	WHERE campaign_id = c.campaign_id AND would_send_at + attribution_window > pg_catalog.now();

	r.campaign := c.name;
	r.attribution_window := attribution_window;
	r.customers_treatment := conv.n_treatment;
	r.customers_control := conv.n_control;
	r.entries_pending := pending;
	r.converters_treatment := conv.conversions_treatment;
	r.converters_control := conv.conversions_control;
	r.conversion_rate_treatment := conv.rate_treatment;
	r.conversion_rate_control := conv.rate_control;
	r.conversion_uplift := conv.uplift;
	r.conversion_uplift_ci_low := conv.uplift_ci_low;
	r.conversion_uplift_ci_high := conv.uplift_ci_high;
	r.conversion_p_value := conv.p_value;
	r.revenue_treatment := rev_t;
	r.revenue_control := rev_c;
	r.revenue_per_customer_treatment := rev.mean_treatment;
	r.revenue_per_customer_control := rev.mean_control;
	r.revenue_uplift := cuped.uplift;
	r.revenue_uplift_ci_low := cuped.uplift_ci_low;
	r.revenue_uplift_ci_high := cuped.uplift_ci_high;
	r.revenue_lift := cuped.lift;
	r.revenue_p_value := cuped.p_value;
	r.incremental_revenue := cuped.incremental_total;
	r.incremental_revenue_ci_low := cuped.incremental_ci_low;
	r.incremental_revenue_ci_high := cuped.incremental_ci_high;
	r.cuped_variance_reduction := cuped.variance_reduction;
	IF c.holdout_percent > 0 AND conv.n_treatment + conv.n_control > 0 THEN
		r.srm_p_value := @extschema@.srm_test(conv.n_treatment, conv.n_control, 1 - c.holdout_percent / 100);
	END IF;

	-- sequential monitoring of the revenue uplift: mixture sd 10 % of the control's revenue per customer
	tau := coalesce(mixture_sd, nullif(0.1 * abs(rev.mean_control), 0),
	                nullif(0.1 * greatest(rev.sd_treatment, rev.sd_control), 0));
	IF cuped.uplift IS NOT NULL AND tau IS NOT NULL THEN
		seq := @extschema@.sequential_test(cuped.uplift,
			cuped.sd_treatment ^ 2 / cuped.n_treatment + cuped.sd_control ^ 2 / cuped.n_control, tau ^ 2, confidence);
		r.always_valid_p_value := seq.always_valid_p_value;
		r.sequential_ci_low := seq.ci_low;
		r.sequential_ci_high := seq.ci_high;
	END IF;

	r.verdict := CASE
		WHEN r.srm_p_value < 0.001 THEN 'srm_failed'
		WHEN coalesce(least(conv.n_treatment, conv.n_control), 0) < min_n OR r.always_valid_p_value IS NULL THEN 'too_small'
		WHEN r.always_valid_p_value < 1 - confidence AND cuped.uplift > 0 THEN 'winner'
		WHEN r.always_valid_p_value < 1 - confidence AND cuped.uplift < 0 THEN 'loser'
		ELSE 'inconclusive' END;

	-- last touch: orders of treated customers within the window after a message of this campaign was
	-- sent, with no later message (of any campaign) sent to them before the order
	EXECUTE format($q$
		WITH touches AS (
			SELECT ob.message_id, ob.campaign_id, ob.customer_id, min(de.reported_at) AS touched_at
			FROM @extschema@.outbox ob JOIN @extschema@.delivery_events de USING (message_id)
			WHERE de.status IN ('sent', 'delivered', 'opened', 'clicked')
			  AND ob.customer_id IN (SELECT customer_id FROM @extschema@.outbox WHERE campaign_id = $1)
			GROUP BY 1, 2, 3
		), attributed AS (
			SELECT o.amount
			FROM touches m JOIN (%2$s) o ON o.customer = m.customer_id::%1$s
			     AND o.at >= m.touched_at AND o.at < m.touched_at + $2
			WHERE m.campaign_id = $1
			  AND NOT EXISTS (SELECT 1 FROM touches later WHERE later.customer_id = m.customer_id
			                  AND later.touched_at > m.touched_at AND later.touched_at <= o.at)
		)
		SELECT count(*), coalesce(sum(amount), 0) FROM attributed$q$, src.customer_type, orders_sql)
	INTO r.purchases_from_mailings_last_touch, r.revenue_from_mailings_last_touch
	USING c.campaign_id, attribution_window;

	-- share of all revenue since the campaign's first would-send time or first message, the earlier
	EXECUTE format($q$SELECT sum(amount) FROM (%s) o
	                  WHERE o.at >= least((SELECT min(would_send_at) FROM @extschema@.campaign_entries WHERE campaign_id = $1),
	                                      (SELECT min(de.reported_at) FROM @extschema@.outbox ob
	                                       JOIN @extschema@.delivery_events de USING (message_id)
	                                       WHERE ob.campaign_id = $1))$q$,
	               orders_sql)
	INTO rev_t USING c.campaign_id;
	IF rev_t > 0 THEN
		r.revenue_share_last_touch := r.revenue_from_mailings_last_touch / rev_t;
	END IF;
	RETURN r;
END $$;
COMMENT ON FUNCTION @extschema@.campaign_report(text, interval, interval, float8, float8) IS
  'Incrementality of a campaign against its control group: conversion and revenue uplift, SRM, always-valid p, verdict';

CREATE VIEW @extschema@.campaign_performance AS
SELECT c.name AS campaign, c.channel, c.status, c.holdout_percent,
       f.messages, f.sent, f.delivered, f.opened, f.clicked, f.bounced, f.unsubscribed,
       f.delivered::float8 / nullif(f.sent, 0) AS delivery_rate,
       f.opened::float8 / nullif(f.delivered, 0) AS open_rate,
       f.clicked::float8 / nullif(f.delivered, 0) AS click_through_rate,
       f.clicked::float8 / nullif(f.opened, 0) AS click_to_open_rate,
       r.customers_treatment, r.customers_control,
       r.converters_treatment AS conversions, r.conversion_rate_treatment, r.conversion_rate_control,
       r.conversion_uplift, r.revenue_treatment AS revenue, r.revenue_uplift, r.revenue_uplift_ci_low,
       r.revenue_uplift_ci_high, r.incremental_revenue, r.revenue_p_value, r.always_valid_p_value, r.srm_p_value,
       r.verdict, r.purchases_from_mailings_last_touch, r.revenue_from_mailings_last_touch,
       r.revenue_share_last_touch AS share_of_revenue
FROM @extschema@.campaigns c
CROSS JOIN LATERAL (
	SELECT count(*) AS messages,
	       count(*) FILTER (WHERE o.status IN ('sent', 'delivered', 'opened', 'clicked', 'bounced', 'unsubscribed')) AS sent,
	       count(*) FILTER (WHERE o.status IN ('delivered', 'opened', 'clicked', 'unsubscribed')) AS delivered,
	       count(*) FILTER (WHERE o.status IN ('opened', 'clicked')) AS opened,
	       count(*) FILTER (WHERE o.status = 'clicked') AS clicked,
	       count(*) FILTER (WHERE o.status = 'bounced') AS bounced,
	       count(*) FILTER (WHERE o.status = 'unsubscribed') AS unsubscribed
	FROM @extschema@.campaign_entries e JOIN @extschema@.outbox o ON o.message_id = e.message_id
	WHERE e.campaign_id = c.campaign_id) f
LEFT JOIN LATERAL (
	SELECT * FROM @extschema@.campaign_report(c.name,
		coalesce(nullif(pg_catalog.current_setting('crm_marketing.attribution_window', true), ''), '7d')::interval)
	WHERE EXISTS (SELECT FROM @extschema@.sources WHERE kind = 'orders')) r ON true;
COMMENT ON VIEW @extschema@.campaign_performance IS
  'One row per campaign: message funnel, conversions and revenue against the control group, verdict';

REVOKE EXECUTE ON FUNCTION
	@extschema@.register_source(text, regclass, name, name, name, name, name),
	@extschema@._check_source_column(regclass, name, name, regtype[], text)
FROM PUBLIC;
