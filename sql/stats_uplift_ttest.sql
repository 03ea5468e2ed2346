-- crm.uplift_ttest: Welch t-test against base R's t.test (test/refgen/experiment_refs.R).

-- T1: Student's sleep data (R datasets::sleep), treatment = group 1.
CREATE TABLE sleep (grp int, extra float8);
INSERT INTO sleep VALUES
 (1, 0.7), (1, -1.6), (1, -0.2), (1, -1.2), (1, -0.1), (1, 3.4), (1, 3.7), (1, 0.8), (1, 0.0), (1, 2.0),
 (2, 1.9), (2, 0.8), (2, 1.1), (2, 0.1), (2, -0.1), (2, 4.4), (2, 5.5), (2, 1.6), (2, 4.6), (2, 3.4);

SELECT n_treatment, n_control, mean_treatment, mean_control,
       round(t_stat::numeric, 4) AS t, round(df::numeric, 3) AS df, round(p_value::numeric, 5) AS p
FROM (SELECT (crm.uplift_ttest(grp = 1, extra)).* FROM sleep) r;

SELECT test.check('t', t_stat, -1.8608134674868531, 1e-13),
       test.check('df', df, 17.776473516178498, 1e-13),
       test.check('p', p_value, 0.079394140187358173, 1e-12),
       test.check('ci low', uplift_ci_low, -3.3654832307117104, 1e-12),
       test.check('ci high', uplift_ci_high, 0.20548323071171018, 1e-12),
       test.check('sd t', sd_treatment, 1.7890096577591625, 1e-13),
       test.check('sd c', sd_control, 2.002248735796829, 1e-13),
       test.check('uplift', uplift, -1.58, 1e-13),
       test.check('lift', lift, -0.67811158798283266, 1e-13),
       test.check('lift low', lift_ci_low, -1.1839392519351182, 1e-12),
       test.check('lift high', lift_ci_high, -0.17228392403054726, 1e-12),
       test.check('incremental', incremental_total, -15.8, 1e-13),
       test.check('inc low', incremental_ci_low, -33.654832307117104, 1e-12),
       test.check('inc high', incremental_ci_high, 2.0548323071171018, 1e-12)
FROM (SELECT (crm.uplift_ttest(grp = 1, extra)).* FROM sleep) r;

-- numeric values give the same numbers
SELECT (SELECT crm.uplift_ttest(grp = 1, extra::numeric) FROM sleep)
     = (SELECT crm.uplift_ttest(grp = 1, extra) FROM sleep) AS numeric_same;

-- NULL arm or NULL value: the row is skipped
SELECT (SELECT crm.uplift_ttest(grp = 1, extra) FROM
          (SELECT * FROM sleep UNION ALL VALUES (NULL, 100.0), (1, NULL), (2, NULL)) s)
     = (SELECT crm.uplift_ttest(grp = 1, extra) FROM sleep) AS nulls_skipped;

-- T2: unequal arms, confidence 0.90
CREATE TABLE t2 AS
SELECT true AS treated, (i * 37) % 101 + 0.25 * i AS value FROM generate_series(1, 50) i
UNION ALL
SELECT false, ((j * 53) % 97)::float8 FROM generate_series(1, 70) j;

SELECT test.check('t', t_stat, 1.9140854161340686, 1e-13),
       test.check('df', df, 102.00480651521003, 1e-13),
       test.check('p', p_value, 0.058411825758732168, 1e-12),
       test.check('ci low', uplift_ci_low, 1.3571272439873188, 1e-12),
       test.check('ci high', uplift_ci_high, 19.084301327441242, 1e-12),
       test.check('lift low', lift_ci_low, 0.013772422092584946, 1e-11),
       test.check('lift high', lift_ci_high, 0.42287695233524514, 1e-12),
       test.check('incremental', incremental_total, 511.03571428571399, 1e-13)
FROM (SELECT (crm.uplift_ttest(treated, value, 0.90)).* FROM t2) r;

-- the same with numeric values and a numeric confidence literal
SELECT test.check('p numeric', (crm.uplift_ttest(treated, value::numeric, 0.90)).p_value,
                  0.058411825758732168, 1e-12)
FROM t2;

-- T3: p deep in the tail, computed directly (not as 1 - cdf)
SELECT test.check('t', t_stat, 46.622206074653825, 1e-13),
       test.check('df', df, 56.642002640304582, 1e-13),
       test.check('p', p_value, 7.0899113462451627e-47, 1e-11),
       test.check('ci low', uplift_ci_low, 37.492168195185492, 1e-13)
FROM (SELECT (crm.uplift_ttest(treated, value)).* FROM
       (SELECT true AS treated, 100 + (i * 7) % 11 AS value FROM generate_series(1, 40) i
        UNION ALL
        SELECT false, 60 + (j * 5) % 13 FROM generate_series(1, 30) j) d) r;

-- T4: values near 1e9 with a spread of 0.1.  Welford on shifted values keeps
-- the variance and the difference of means exact.  Reference: exact rational
-- arithmetic on the same doubles (test/refgen/exact_welch_refs.py); R's t.test
-- is off by 2.3e-7 here (t = -3.9882283630287012), so it cannot be the reference.
CREATE TABLE t4 AS
SELECT true AS treated, 1e9::float8 + ((i * 7) % 13) / 10.0::float8 AS value FROM generate_series(1, 200) i
UNION ALL
SELECT false, 1e9::float8 + ((j * 11) % 17) / 10.0::float8 - 0.05::float8 FROM generate_series(1, 300) j;

SELECT test.check('uplift', uplift, -0.15450004319349925, 1e-12),
       test.check('sd t', sd_treatment, 0.37409556204096427, 1e-12),
       test.check('sd c', sd_control, 0.49019585007969675, 1e-12),
       test.check('t', t_stat, -3.9882292810724855, 1e-12),
       test.check('df', df, 488.94096315453509, 1e-12),
       test.check('p', p_value, 7.6747535213599161e-5, 1e-11)
FROM (SELECT (crm.uplift_ttest(treated, value)).* FROM t4) r;

-- the same numbers whatever the order of the rows (the shift is the first value seen)
SELECT test.check('t reversed', t_stat, -3.9882292810724855, 1e-12)
FROM (SELECT (crm.uplift_ttest(treated, value ORDER BY value DESC)).* FROM t4) r;

-- T5: one constant arm: df = n_other - 1
SELECT test.check('t', t_stat, 10.38267788193393, 1e-13),
       test.check('df', df, 11, 1e-13),
       test.check('p', p_value, 5.0734194584584414e-07, 1e-12),
       test.check('ci low', uplift_ci_low, 2.7580480538912906, 1e-13),
       test.check('sd t', sd_treatment, 0, 0)
FROM (SELECT (crm.uplift_ttest(treated, value)).* FROM
       (SELECT true AS treated, 5.0::float8 AS value FROM generate_series(1, 10) i
        UNION ALL
        SELECT false, (j % 4)::float8 FROM generate_series(1, 12) j) d) r;

-- Edge cases -------------------------------------------------------------------

-- empty input: counts 0, statistics NULL
SELECT * FROM (SELECT (crm.uplift_ttest(treated, value)).* FROM t2 WHERE false) r;

-- an arm with fewer than 2 values: its mean is known, the test is not
SELECT n_treatment, n_control, mean_treatment, sd_treatment, round(sd_control::numeric, 6) AS sd_control,
       uplift, t_stat, p_value, lift
FROM (SELECT (crm.uplift_ttest(treated, value)).* FROM
       (VALUES (true, 10.0::float8), (false, 1.0), (false, 2.0), (false, 4.0)) d(treated, value)) r;

-- only one arm present
SELECT n_treatment, n_control, mean_treatment, mean_control, uplift, p_value
FROM (SELECT (crm.uplift_ttest(true, value)).* FROM t2) r;

-- both arms constant with equal means: t undefined, p = 1, CI [0, 0]
SELECT uplift, uplift_ci_low, uplift_ci_high, t_stat, df, p_value, lift, incremental_total
FROM (SELECT (crm.uplift_ttest(i % 2 = 0, 7.5)).* FROM generate_series(1, 10) i) r;

-- both arms constant with different means: t = +-Infinity, p = 0
SELECT uplift, uplift_ci_low, uplift_ci_high, t_stat, df, p_value
FROM (SELECT (crm.uplift_ttest(i % 2 = 0, CASE WHEN i % 2 = 0 THEN 3.0 ELSE 5.0 END)).*
      FROM generate_series(1, 10) i) r;

-- control mean 0: lift undefined (NULL), the rest defined
SELECT uplift, lift, lift_ci_low, lift_ci_high, round(p_value::numeric, 6) AS p
FROM (SELECT (crm.uplift_ttest(treated, value)).* FROM
       (VALUES (true, 1.0::float8), (true, 2.0), (false, -1.0), (false, 1.0)) d(treated, value)) r;

-- the same equal means give p = 1 exactly, not 0.9999999
SELECT t_stat, p_value FROM (SELECT (crm.uplift_ttest(treated, value)).* FROM
       (VALUES (true, 1.0::float8), (true, 3.0), (false, 0.0), (false, 4.0)) d(treated, value)) r;

-- by segment (GROUP BY) and expanded into plain columns
SELECT grp % 2 AS segment, (crm.uplift_ttest(extra > 1, extra)).n_treatment
FROM sleep GROUP BY 1 ORDER BY 1;

-- Errors, each with its SQLSTATE -----------------------------------------------
SELECT test.error_of($$SELECT crm.uplift_ttest(true, 'NaN'::float8)$$);
SELECT test.error_of($$SELECT crm.uplift_ttest(true, 'Infinity'::float8)$$);
SELECT test.error_of($$SELECT crm.uplift_ttest(false, '-Infinity'::float8)$$);
SELECT test.error_of($$SELECT crm.uplift_ttest(true, 'NaN'::numeric)$$);
SELECT test.error_of($$SELECT crm.uplift_ttest(true, 1.0, 1.0)$$);
SELECT test.error_of($$SELECT crm.uplift_ttest(true, 1.0, 0)$$);
SELECT test.error_of($$SELECT crm.uplift_ttest(true, 1.0, 'NaN')$$);
SELECT test.error_of($$SELECT crm.uplift_ttest(true, 1.0, NULL::float8)$$);
SELECT test.error_of($$SELECT crm.uplift_ttest(true, i, 0.9 + i / 100.0) FROM generate_series(1, 3) i$$);
SELECT test.error_of($$SELECT crm.uplift_ttest(i % 2 = 0, CASE WHEN i < 3 THEN 1e300 ELSE -1e300 END)
                      FROM generate_series(1, 4) i$$);
SELECT test.error_of($$SELECT crm.uplift_ttest(true, 1e300::numeric * 1e300)$$);
SELECT test.error_of($$SELECT crm.uplift_ttest(b, v) FROM (VALUES (true, 1e308::float8), (true, -1e308)) d(b, v)$$);
