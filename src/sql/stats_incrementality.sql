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
