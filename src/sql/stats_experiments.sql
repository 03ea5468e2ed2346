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

