-- crm.srm_test and the sample-size functions, against base R
-- (chisq.test, power.prop.test; test/refgen/experiment_refs.R).

SELECT test.check('equal', crm.srm_test(5000, 5000), 1, 0),
       test.check('5100/4900', crm.srm_test(5100, 4900), 0.045500263896358473, 1e-12),
       test.check('50500/49500', crm.srm_test(50500, 49500), 0.0015654022580025519, 1e-12),
       test.check('90/10 exact', crm.srm_test(9000, 1000, 0.9), 0.99999999999999423, 1e-13),
       test.check('90/10 off', crm.srm_test(9300, 700, 0.9), 1.5239706048321933e-23, 1e-11),
       test.check('2M', crm.srm_test(1000000, 1010000), 1.7452751468538426e-12, 1e-11);

-- no customers at all: undefined, NULL; one empty arm is a (very) mismatched split
SELECT crm.srm_test(0, 0) AS no_customers, crm.srm_test(0, 100) < 1e-20 AS one_arm_empty;

SELECT test.error_of($$SELECT crm.srm_test(-1, 10)$$);
SELECT test.error_of($$SELECT crm.srm_test(10, 10, 0)$$);
SELECT test.error_of($$SELECT crm.srm_test(10, 10, 1)$$);
SELECT test.error_of($$SELECT crm.srm_test(10, 10, 'NaN')$$);

-- z-test sizes: R power.prop.test solves the same (Fleiss) equation numerically
SELECT crm.ztest_sample_size(0.10, 0.02) AS n1,            -- R: 3840.8474824363
       crm.ztest_sample_size(0.05, -0.005) AS n2,          -- R: 28407.8412331872
       crm.ztest_sample_size(0.30, 0.10, 0.01, 0.9) AS n3; -- R: 674.5358404477

-- t-test sizes: normal approximation 2 (z_a + z_b)^2 sd^2 / mde^2
-- (R power.t.test, with the noncentral t, needs 1 to 2 more per arm)
SELECT crm.ttest_sample_size(40, 2) AS n1,                 -- R: 6279.1037874793 (power.t.test 6280.06)
       crm.ttest_sample_size(1, 0.2) AS n2,                -- R: 392.4439867175 (393.41)
       crm.ttest_sample_size(15.5, -0.5, 0.01, 0.9) AS n3, -- R: 28598.1821392957 (28599.84)
       crm.ttest_sample_size(1, 100) AS tiny;              -- at least 2 per arm

SELECT test.error_of($$SELECT crm.ttest_sample_size(0, 1)$$);
SELECT test.error_of($$SELECT crm.ttest_sample_size(1, 0)$$);
SELECT test.error_of($$SELECT crm.ttest_sample_size(1, 'Infinity')$$);
SELECT test.error_of($$SELECT crm.ttest_sample_size(1, 1, 0)$$);
SELECT test.error_of($$SELECT crm.ttest_sample_size(1, 1, 0.05, 0.3)$$);
SELECT test.error_of($$SELECT crm.ttest_sample_size(1e300, 1e-300)$$);
SELECT test.error_of($$SELECT crm.ztest_sample_size(0, 0.1)$$);
SELECT test.error_of($$SELECT crm.ztest_sample_size(0.95, 0.1)$$);
SELECT test.error_of($$SELECT crm.ztest_sample_size(0.5, 0)$$);
SELECT test.error_of($$SELECT crm.ztest_sample_size(0.5, 0.1, 0.05, 1)$$);
