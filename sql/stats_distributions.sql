-- Distribution functions against mpmath references computed at 80 digits
-- (test/refgen/distribution_refs.py -> test/data/distribution_refs.csv).
-- Tolerances per case: 1e-13 relative in the body, 1e-10 for df > 1e4 and for
-- values below 1e-20, down to 1e-300; 1e-12 for df from 1e7 to 1e20 (t) and
-- from 1.9e9 to 1e14 (chi-square), on both sides of the asymptotic forms.
CREATE TABLE test.distribution_refs (
	func text, x float8, df float8, expected float8, tolerance float8);
\copy test.distribution_refs FROM 'test/data/distribution_refs.csv' WITH (FORMAT csv, HEADER)

CREATE TABLE test.distribution_results AS
SELECT func, x, df, expected, tolerance,
       CASE func
           WHEN 'normal_cdf' THEN crm.normal_cdf(x)
           WHEN 'normal_quantile' THEN crm.normal_quantile(x)
           WHEN 'student_t_cdf' THEN crm.student_t_cdf(x, df)
           WHEN 'student_t_quantile' THEN crm.student_t_quantile(x, df)
           WHEN 'chi2_sf' THEN crm.chi2_sf(x, df)
       END AS got
FROM test.distribution_refs;

-- every case within its tolerance
SELECT func, count(*) AS cases,
       count(*) FILTER (WHERE test.check('', got, expected, tolerance) <> 'ok') AS failures,
       min(CASE WHEN func LIKE '%quantile' THEN x ELSE abs(expected) END) FILTER (WHERE expected <> 0) < 1e-290
         AS tail_below_1e_290
FROM test.distribution_results GROUP BY func ORDER BY func;

-- the failing cases, if any
SELECT func, x, df, test.check(func, got, expected, tolerance)
FROM test.distribution_results WHERE test.check('', got, expected, tolerance) <> 'ok';

-- the upper tail is computed directly: tiny tails are not 0
SELECT crm.normal_cdf(-37) > 0 AS normal_tail,
       crm.student_t_cdf(-1e6, 3) > 0 AS t_tail,
       crm.chi2_sf(1400, 1) > 0 AS chi2_tail;

-- limits and special values
SELECT crm.normal_cdf('-Infinity') AS cdf_minus_inf, crm.normal_cdf('Infinity') AS cdf_inf,
       crm.normal_quantile(0) AS q0, crm.normal_quantile(1) AS q1, crm.normal_quantile(0.5) AS median,
       crm.student_t_cdf('Infinity', 3) AS t_inf, crm.student_t_quantile(0.5, 7) AS t_median,
       crm.student_t_quantile(0, 7) AS t_q0, crm.chi2_sf(0, 2) AS chi2_at_0, crm.chi2_sf(-1, 2) AS chi2_neg;

-- df = Infinity is the normal distribution
SELECT crm.student_t_cdf(1.5, 'Infinity') = crm.normal_cdf(1.5) AS t_inf_is_normal,
       crm.student_t_quantile(0.975, 'Infinity') = crm.normal_quantile(0.975) AS q_inf_is_normal;

-- closed forms: df = 1 (Cauchy) and df = 2
SELECT test.check('cauchy', crm.student_t_cdf(1, 1), 0.75, 1e-15),
       test.check('cauchy q', crm.student_t_quantile(0.75, 1), 1, 1e-15),
       test.check('df 2', crm.student_t_cdf(-2, 2), 0.5 - 1 / sqrt(6), 1e-15);

-- symmetry and round trips
SELECT bool_and(test.check('sym', crm.student_t_cdf(x, 9.5) + crm.student_t_cdf(-x, 9.5), 1, 1e-15) = 'ok')
         AS t_symmetric,
       bool_and(test.check('round trip', crm.student_t_cdf(crm.student_t_quantile(p, 4.5), 4.5), p, 1e-13) = 'ok')
         AS t_round_trip
FROM generate_series(-5, 5) x, LATERAL (SELECT (x + 5.5) / 11.0 AS p) q;

-- errors
SELECT test.error_of($$SELECT crm.normal_cdf('NaN')$$);
SELECT test.error_of($$SELECT crm.normal_quantile(1.5)$$);
SELECT test.error_of($$SELECT crm.normal_quantile(-0.1)$$);
SELECT test.error_of($$SELECT crm.normal_quantile('NaN')$$);
SELECT test.error_of($$SELECT crm.student_t_cdf(1, 0)$$);
SELECT test.error_of($$SELECT crm.student_t_cdf(1, -3)$$);
SELECT test.error_of($$SELECT crm.student_t_cdf(1, 'NaN')$$);
SELECT test.error_of($$SELECT crm.student_t_cdf('NaN', 3)$$);
SELECT test.error_of($$SELECT crm.student_t_quantile(2, 3)$$);
SELECT test.error_of($$SELECT crm.chi2_sf(1, 0)$$);
SELECT test.error_of($$SELECT crm.chi2_sf(1, 'Infinity')$$);
SELECT test.error_of($$SELECT crm.chi2_sf('NaN', 1)$$);

-- df past the references, up to 1e308: the normal limit, in constant time
-- (these took minutes, and lost digits from df = 1e12 on)
SET statement_timeout = '1s';
SELECT crm.student_t_quantile(1e-308, 1e308) = crm.normal_quantile(1e-308) AS t_quantile_at_1e308,
       test.check('t quantile', crm.student_t_quantile(1e-300, 1e300), crm.normal_quantile(1e-300), 1e-15) AS t_quantile,
       test.check('t cdf', crm.student_t_cdf(-37, 1e300), crm.normal_cdf(-37), 1e-15) AS t_cdf,
       crm.student_t_cdf(-1e300, 1e300) AS t_far_tail,
       crm.chi2_sf(1e300, 1e300) AS chi2_at_mean, crm.chi2_sf(0.5, 1e308) AS chi2_left,
       crm.chi2_sf(1e308, 1e300) AS chi2_right;
RESET statement_timeout;

-- STRICT: NULL in, NULL out
SELECT crm.normal_cdf(NULL) IS NULL AS strict_cdf, crm.student_t_quantile(0.5, NULL) IS NULL AS strict_q;
