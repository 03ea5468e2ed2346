-- crm.uplift_ztest: pooled two-proportion z-test (= Pearson chi-square without
-- Yates; R prop.test(correct = FALSE)) and Newcombe's hybrid-score interval,
-- checked against Newcombe (1998), Statistics in Medicine 17:873-890, Table II.

CREATE FUNCTION test.arms(x_t int, n_t int, x_c int, n_c int)
RETURNS TABLE (treated boolean, converted boolean) LANGUAGE sql AS $$
	SELECT true, i <= x_t FROM generate_series(1, n_t) i
	UNION ALL
	SELECT false, i <= x_c FROM generate_series(1, n_c) i
$$;

-- Newcombe example (a): 56/70 vs 48/80, method 10 interval 0.0524 to 0.3339
SELECT n_treatment, n_control, conversions_treatment, conversions_control,
       rate_treatment, rate_control, round(uplift::numeric, 4) AS uplift,
       round(uplift_ci_low::numeric, 4) AS ci_low, round(uplift_ci_high::numeric, 4) AS ci_high
FROM (SELECT (crm.uplift_ztest(treated, converted)).* FROM test.arms(56, 70, 48, 80)) r;

SELECT test.check('z', z_stat, 2.6501719512585331, 1e-13),
       test.check('p', p_value, 0.0080450813681965643, 1e-12),
       test.check('lift', lift, 1.0 / 3, 1e-13)
FROM (SELECT (crm.uplift_ztest(treated, converted)).* FROM test.arms(56, 70, 48, 80)) r;

-- Newcombe example (b): 9/10 vs 3/10, method 10 interval 0.1705 to 0.8090
SELECT round(uplift_ci_low::numeric, 4) AS ci_low, round(uplift_ci_high::numeric, 4) AS ci_high,
       test.check('z', z_stat, 2.7386127875258306, 1e-13),
       test.check('p', p_value, 0.0061698993205441532, 1e-12)
FROM (SELECT (crm.uplift_ztest(treated, converted)).* FROM test.arms(9, 10, 3, 10)) r;

-- large arms, and a p-value deep in the tail
SELECT test.check('z', z_stat, 2.0328100706668626, 1e-12),
       test.check('p', p_value, 0.042071715304713986, 1e-12)
FROM (SELECT (crm.uplift_ztest(treated, converted)).* FROM test.arms(5200, 100000, 5000, 100000)) r;
SELECT test.check('z', z_stat, 30.983866769659336, 1e-12),
       test.check('p', p_value, 8.8920503549672792e-211, 1e-10)
FROM (SELECT (crm.uplift_ztest(treated, converted)).* FROM test.arms(9000, 20000, 6000, 20000)) r;

-- relative lift: delta-method interval, normal quantile (independent formula)
SELECT test.check('lift low', lift_ci_low,
                  0.04 - 1.959963984540054 * sqrt(0.052 * 0.948 / 100000 + (0.052 / 0.05)^2 * 0.05 * 0.95 / 100000) / 0.05,
                  1e-12)
FROM (SELECT (crm.uplift_ztest(treated, converted)).* FROM test.arms(5200, 100000, 5000, 100000)) r;

-- confidence 0.99 widens the interval
SELECT c99.uplift_ci_low < c95.uplift_ci_low AND c99.uplift_ci_high > c95.uplift_ci_high AS wider
FROM (SELECT (crm.uplift_ztest(treated, converted, 0.99)).* FROM test.arms(56, 70, 48, 80)) c99,
     (SELECT (crm.uplift_ztest(treated, converted)).* FROM test.arms(56, 70, 48, 80)) c95;

-- Edge cases --------------------------------------------------------------------

-- empty input
SELECT * FROM (SELECT (crm.uplift_ztest(treated, converted)).* FROM test.arms(0, 0, 0, 0)) r;

-- one arm empty: rates known, no test
SELECT n_treatment, n_control, rate_treatment, rate_control, uplift, z_stat, p_value
FROM (SELECT (crm.uplift_ztest(treated, converted)).* FROM test.arms(3, 10, 0, 0)) r;

-- nobody converted in either arm: z undefined, p = 1, interval from the Wilson limits
SELECT uplift, z_stat, p_value, lift, round(uplift_ci_low::numeric, 4) AS ci_low,
       round(uplift_ci_high::numeric, 4) AS ci_high
FROM (SELECT (crm.uplift_ztest(treated, converted)).* FROM test.arms(0, 50, 0, 50)) r;

-- everybody converted in both arms
SELECT uplift, z_stat, p_value, lift, lift_ci_low
FROM (SELECT (crm.uplift_ztest(treated, converted)).* FROM test.arms(50, 50, 40, 40)) r;

-- control rate 0: lift undefined
SELECT rate_control, lift, lift_ci_low, round(p_value::numeric, 6) AS p
FROM (SELECT (crm.uplift_ztest(treated, converted)).* FROM test.arms(5, 50, 0, 50)) r;

-- NULL arm or outcome: the row is skipped
SELECT (crm.uplift_ztest(treated, converted)).n_treatment
FROM (SELECT * FROM test.arms(2, 5, 1, 5) UNION ALL VALUES (NULL, true), (true, NULL)) d;

-- errors
SELECT test.error_of($$SELECT crm.uplift_ztest(true, true, 0)$$);
SELECT test.error_of($$SELECT crm.uplift_ztest(true, true, 1)$$);
SELECT test.error_of($$SELECT crm.uplift_ztest(true, true, NULL::float8)$$);
SELECT test.error_of($$SELECT crm.uplift_ztest(true, true, 'NaN')$$);
