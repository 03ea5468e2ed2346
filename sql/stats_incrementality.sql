-- Incrementality statistics: crm.uplift_ttest_cuped, crm.p_adjust, crm.sequential_test.
-- References are independent of our C code: scipy/numpy/mpmath
-- (test/refgen/incrementality_refs.py, data in test/data/cuped_data.csv) and
-- base R's p.adjust (test/refgen/p_adjust_refs.R).

------------------------------------------------------------------------------
-- CUPED
------------------------------------------------------------------------------
CREATE TABLE test.cuped_data (dataset text, treated boolean, value float8, pre_period_value float8);
\copy test.cuped_data FROM 'test/data/cuped_data.csv' WITH (FORMAT csv, HEADER)
SELECT dataset, count(*) FROM test.cuped_data GROUP BY dataset ORDER BY dataset;

-- C1: 1,200 customers, value strongly correlated with the pre-period value;
-- scipy.stats.ttest_ind(equal_var=False) on y - theta (x - mean x)
SELECT n_treatment, n_control,
       test.check('mean t', mean_treatment, 80.65879834269045, 1e-10),
       test.check('mean c', mean_control, 76.16991728092735, 1e-10),
       test.check('sd t', sd_treatment, 14.479077595233582, 1e-10),
       test.check('sd c', sd_control, 14.778050285241564, 1e-10),
       test.check('uplift', uplift, 4.488881061763095, 1e-10),
       test.check('ci low', uplift_ci_low, 2.8210084393788257, 1e-10),
       test.check('ci high', uplift_ci_high, 6.156753684147365, 1e-10),
       test.check('lift', lift, 0.05850887102290539, 1e-10),
       test.check('lift low', lift_ci_low, 0.03607001280988556, 1e-10),
       test.check('lift high', lift_ci_high, 0.08094772923592522, 1e-10),
       test.check('t', t_stat, 5.280623216871223, 1e-10),
       test.check('df', df, 1138.6821955612043, 1e-10),
       test.check('p', p_value, 1.5412172550744128e-07, 1e-10),
       test.check('incremental', incremental_total, 4.488881061763095 * 662, 1e-10),
       test.check('theta', theta, 0.9000899617012024, 1e-10),
       test.check('variance reduction', variance_reduction, 0.9250569258977964, 1e-10)
FROM (SELECT (crm.uplift_ttest_cuped(treated, value, pre_period_value)).* FROM test.cuped_data
      WHERE dataset = 'big') r;

-- C2: 37 customers, unequal arms, confidence 0.90
SELECT n_treatment, n_control,
       test.check('mean t', mean_treatment, 50.41949099830462, 1e-10),
       test.check('mean c', mean_control, 52.44774421518741, 1e-10),
       test.check('sd t', sd_treatment, 5.841941886749634, 1e-10),
       test.check('sd c', sd_control, 4.521071188160588, 1e-10),
       test.check('uplift', uplift, -2.0282532168827956, 1e-10),
       test.check('ci low', uplift_ci_low, -4.963670526372138, 1e-10),
       test.check('ci high', uplift_ci_high, 0.9071640926065472, 1e-10),
       test.check('lift', lift, -0.0373737771278768, 1e-10),
       test.check('lift low', lift_ci_low, -0.08880094154794056, 1e-10),
       test.check('lift high', lift_ci_high, 0.014053387292186956, 1e-10),
       test.check('t', t_stat, -1.1721214855101694, 1e-10),
       test.check('df', df, 30.503564099246002, 1e-10),
       test.check('p', p_value, 0.25022177141458646, 1e-10),
       test.check('theta', theta, 0.5178566098515419, 1e-10),
       test.check('variance reduction', variance_reduction, 0.35023406038010496, 1e-10)
FROM (SELECT (crm.uplift_ttest_cuped(treated, value, pre_period_value, 0.90)).* FROM test.cuped_data
      WHERE dataset = 'small') r;

-- numeric values give the same numbers
SELECT (SELECT crm.uplift_ttest_cuped(treated, value::numeric, pre_period_value::numeric)
        FROM test.cuped_data WHERE dataset = 'big')
     = (SELECT crm.uplift_ttest_cuped(treated, value, pre_period_value)
        FROM test.cuped_data WHERE dataset = 'big') AS numeric_same;

-- on correlated data the CUPED interval is narrower than uplift_ttest's
SELECT round((c.uplift_ci_high - c.uplift_ci_low)::numeric, 4) AS cuped_ci_width,
       round((p.uplift_ci_high - p.uplift_ci_low)::numeric, 4) AS ttest_ci_width,
       c.uplift_ci_high - c.uplift_ci_low < 0.5 * (p.uplift_ci_high - p.uplift_ci_low) AS narrower
FROM (SELECT (crm.uplift_ttest_cuped(treated, value, pre_period_value)).* FROM test.cuped_data WHERE dataset = 'big') c,
     (SELECT (crm.uplift_ttest(treated, value)).* FROM test.cuped_data WHERE dataset = 'big') p;

-- rows with a NULL arm, value or pre-period value are skipped
SELECT (SELECT crm.uplift_ttest_cuped(treated, value, pre_period_value) FROM
          (SELECT treated, value, pre_period_value FROM test.cuped_data WHERE dataset = 'small'
           UNION ALL VALUES (NULL::boolean, 1e6::float8, 1.0::float8), (true, NULL, 1.0), (false, 1.0, NULL)) s)
     = (SELECT crm.uplift_ttest_cuped(treated, value, pre_period_value) FROM test.cuped_data
        WHERE dataset = 'small') AS nulls_skipped;

-- empty input: counts 0, statistics NULL
SELECT * FROM (SELECT (crm.uplift_ttest_cuped(treated, value, pre_period_value)).* FROM test.cuped_data
               WHERE false) r;

-- an arm with fewer than 2 rows: means and theta shown, no test
SELECT n_treatment, n_control, mean_treatment, mean_control, sd_treatment, sd_control, uplift,
       p_value, theta, variance_reduction
FROM (SELECT (crm.uplift_ttest_cuped(t, v, x)).* FROM
      (VALUES (true, 10.0::float8, 1.0::float8), (false, 4.0, 2.0), (false, 6.0, 4.0)) d(t, v, x)) r;

-- constant pre-period value: theta = 0, variance_reduction = 0, and every
-- other column equals crm.uplift_ttest on the same values
SELECT c.theta, c.variance_reduction,
       (to_jsonb(c) - 'theta' - 'variance_reduction') = to_jsonb(p) AS same_as_uplift_ttest
FROM (SELECT (crm.uplift_ttest_cuped(treated, value, 7.5)) AS c FROM test.cuped_data WHERE dataset = 'big') a,
     LATERAL (SELECT (a.c).*) c,
     (SELECT (crm.uplift_ttest(treated, value)).* FROM test.cuped_data WHERE dataset = 'big') p;

-- coalesce(pre, 0) keeps customers without a pre-period
SELECT (crm.uplift_ttest_cuped(t, v, coalesce(x, 0))).n_control AS kept,
       (crm.uplift_ttest_cuped(t, v, x)).n_control AS skipped
FROM (VALUES (true, 1.0::float8, 1.0::float8), (false, 2.0, NULL), (false, 3.0, 2.0)) d(t, v, x);

-- bad input: NaN and infinities, confidence
SELECT test.error_of($$SELECT crm.uplift_ttest_cuped(true, 'NaN'::float8, 1.0::float8)$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_cuped(true, 1.0::float8, 'Infinity'::float8)$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_cuped(true, 1.0::numeric, 'NaN'::numeric)$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_cuped(true, 1e400::numeric, 1::numeric)$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_cuped(true, 1.0::float8, 1.0::float8, 1.5)$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_cuped(true, 1.0::float8, 1.0::float8, NULL)$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_cuped(i > 1, 1.0::float8, 1.0::float8, 0.9 + i / 100.0)
                      FROM generate_series(1, 2) i$$);

-- states handed in by hand are validated (22023)
-- layout per arm: {n, shift, s1 hi, s1 lo, s2 hi, s2 lo} of value, the same of pre_period_value, sxy hi, sxy lo
SELECT test.error_of($$SELECT crm.uplift_ttest_cuped_final('{1,2,3}')$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_cuped_final(array_fill(0::float8, ARRAY[13]))$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_cuped_final(array_fill(0::float8, ARRAY[29]) || '{NULL}'::float8[])$$);
-- counts of value and pre-period disagree
SELECT test.error_of($$SELECT crm.uplift_ttest_cuped_final(
  '{1,5,0,0,0,0, 0,0,0,0,0,0, 0,0, 0,0,0,0,0,0, 0,0,0,0,0,0, 0,0, 0}')$$);
-- a cross sum with one row
SELECT test.error_of($$SELECT crm.uplift_ttest_cuped_final(
  '{1,5,0,0,0,0, 1,2,0,0,0,0, 3,0, 0,0,0,0,0,0, 0,0,0,0,0,0, 0,0, 0}')$$);
-- |Cxy| > sqrt(M2x M2y): values {1, 3} and pre {1, 3} with a cross sum of 9 (4 is the largest possible)
SELECT test.error_of($$SELECT crm.uplift_ttest_cuped_final(
  '{2,1,2,0,4,0, 2,1,2,0,4,0, 9,0, 0,0,0,0,0,0, 0,0,0,0,0,0, 0,0, 0}')$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_cuped_final(
  '{2,1,2,0,4,0, 2,1,2,0,4,0, 4,0, 0,0,0,0,0,0, 0,0,0,0,0,0, 0,0, 0}')$$);  -- valid
SELECT test.error_of($$SELECT crm.uplift_ttest_cuped_final(
  '{2,1,2,0,4,0, 2,1,2,0,4,0, NaN,0, 0,0,0,0,0,0, 0,0,0,0,0,0, 0,0, 0}')$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_cuped_final(
  '{0.5,0,0,0,0,0, 0.5,0,0,0,0,0, 0,0, 0,0,0,0,0,0, 0,0,0,0,0,0, 0,0, 0}')$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_cuped_final(array_fill(0::float8, ARRAY[28]) || '{1.5}'::float8[])$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_cuped_combine(array_fill(0::float8, ARRAY[28]) || '{0.9}'::float8[],
                                                             array_fill(0::float8, ARRAY[28]) || '{0.95}'::float8[])$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_cuped_combine(array_fill(0::float8, ARRAY[29]), '{1,2}')$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_cuped_transfn(NULL, true, 1.0::float8, 1.0::float8)$$);

-- called directly, the transition function returns a new state and leaves its argument alone;
-- states built by the support functions combine (with different shifts) and finish like the aggregate
WITH s AS (SELECT array_fill(0::float8, ARRAY[29]) AS st)
SELECT crm.uplift_ttest_cuped_transfn(st, true, 5.0::float8, 2.0::float8) AS new_state, st = array_fill(0::float8, ARRAY[29]) AS unchanged FROM s;
WITH z AS (SELECT array_fill(0::float8, ARRAY[29]) AS st),
     a AS (SELECT crm.uplift_ttest_cuped_transfn(crm.uplift_ttest_cuped_transfn(crm.uplift_ttest_cuped_transfn(st,
             true, 10.0::float8, 1.0::float8), false, 4.0::float8, 2.0::float8), true, 13.0::float8, 4.0::float8) AS st FROM z),
     b AS (SELECT crm.uplift_ttest_cuped_transfn(crm.uplift_ttest_cuped_transfn(crm.uplift_ttest_cuped_transfn(st,
             false, 9.0::float8, 7.0::float8), true, 20.0::float8, 9.0::float8), false, 6.0::float8, 5.0::float8) AS st FROM z)
SELECT test.check('combined theta', (crm.uplift_ttest_cuped_final(crm.uplift_ttest_cuped_combine(a.st, b.st))).theta,
                  (SELECT (crm.uplift_ttest_cuped(t, v, x)).theta FROM (VALUES (true, 10.0::float8, 1.0::float8),
                     (false, 4.0, 2.0), (true, 13.0, 4.0), (false, 9.0, 7.0), (true, 20.0, 9.0), (false, 6.0, 5.0)) d(t, v, x)),
                  1e-15) AS combine,
       test.check('combined p', (crm.uplift_ttest_cuped_final(crm.uplift_ttest_cuped_combine(a.st, b.st))).p_value,
                  (SELECT (crm.uplift_ttest_cuped(t, v, x)).p_value FROM (VALUES (true, 10.0::float8, 1.0::float8),
                     (false, 4.0, 2.0), (true, 13.0, 4.0), (false, 9.0, 7.0), (true, 20.0, 9.0), (false, 6.0, 5.0)) d(t, v, x)),
                  1e-14) AS combine_p
FROM a, b;

-- parallel plan on 200,000 rows: Partial Aggregate, the serial plan's numbers to 1e-12
CREATE TABLE test.cuped_campaign AS
SELECT i AS customer_id,
       (i * 2654435761) % 1000 < 500 AS treated,
       1e6 + ((i * 40503) % 10007) / 100.0::float8 AS pre_revenue,
       1e6 + 0.8 * (((i * 40503) % 10007) / 100.0::float8) + ((i * 69069) % 1000) / 50.0::float8
         + CASE WHEN (i * 2654435761) % 1000 < 500 THEN 0.7 ELSE 0 END AS revenue
FROM generate_series(1::bigint, 200000) i;
ANALYZE test.cuped_campaign;

SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT crm.uplift_ttest_cuped(treated, revenue, pre_revenue) FROM test.cuped_campaign;
CREATE TABLE test.cuped_parallel AS
SELECT crm.uplift_ttest_cuped(treated, revenue, pre_revenue) AS r,
       crm.uplift_ttest_cuped(treated, revenue::numeric, pre_revenue::numeric, 0.9) AS r_numeric
FROM test.cuped_campaign;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;

SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT crm.uplift_ttest_cuped(treated, revenue, pre_revenue) FROM test.cuped_campaign;
CREATE TABLE test.cuped_serial AS
SELECT crm.uplift_ttest_cuped(treated, revenue, pre_revenue) AS r,
       crm.uplift_ttest_cuped(treated, revenue::numeric, pre_revenue::numeric, 0.9) AS r_numeric
FROM test.cuped_campaign;
RESET max_parallel_workers_per_gather;

SELECT which, count(*) AS columns, count(*) FILTER (WHERE verdict <> 'ok') AS differing
FROM (
	SELECT 'float8' AS which, test.check(key, (p.j ->> key)::float8, (s.j ->> key)::float8, 1e-12) AS verdict
	FROM (SELECT to_jsonb(r) j FROM test.cuped_parallel) p, (SELECT to_jsonb(r) j FROM test.cuped_serial) s,
	     jsonb_object_keys(s.j) key
	UNION ALL
	SELECT 'numeric', test.check(key, (p.j ->> key)::float8, (s.j ->> key)::float8, 1e-12)
	FROM (SELECT to_jsonb(r_numeric) j FROM test.cuped_parallel) p, (SELECT to_jsonb(r_numeric) j FROM test.cuped_serial) s,
	     jsonb_object_keys(s.j) key
) c GROUP BY which ORDER BY which;
SELECT round((r).theta::numeric, 6) AS theta, round((r).variance_reduction::numeric, 6) AS variance_reduction,
       round((r).uplift::numeric, 6) AS uplift, (r).p_value < 1e-10 AS significant
FROM test.cuped_serial;

------------------------------------------------------------------------------
-- p_adjust against R's p.adjust
------------------------------------------------------------------------------
CREATE TABLE test.p_adjust_refs (vector text, method text, p float8[], expected float8[]);
INSERT INTO test.p_adjust_refs VALUES
('v1', 'bonferroni', '{0.01,0.02,0.029999999999999999,0.040000000000000001,0.050000000000000003}', '{0.050000000000000003,0.10000000000000001,0.14999999999999999,0.20000000000000001,0.25}'),
('v1', 'holm', '{0.01,0.02,0.029999999999999999,0.040000000000000001,0.050000000000000003}', '{0.050000000000000003,0.080000000000000002,0.089999999999999997,0.089999999999999997,0.089999999999999997}'),
('v1', 'hochberg', '{0.01,0.02,0.029999999999999999,0.040000000000000001,0.050000000000000003}', '{0.050000000000000003,0.050000000000000003,0.050000000000000003,0.050000000000000003,0.050000000000000003}'),
('v1', 'bh', '{0.01,0.02,0.029999999999999999,0.040000000000000001,0.050000000000000003}', '{0.050000000000000003,0.050000000000000003,0.050000000000000003,0.050000000000000003,0.050000000000000003}'),
('v1', 'by', '{0.01,0.02,0.029999999999999999,0.040000000000000001,0.050000000000000003}', '{0.11416666666666665,0.11416666666666665,0.11416666666666665,0.11416666666666667,0.11416666666666667}'),
('v2', 'bonferroni', '{0.040000000000000001,0.001,0.29999999999999999,0.040000000000000001,0.012500000000000001,0.90000000000000002,0.040000000000000001,0.20000000000000001}', '{0.32000000000000001,0.0080000000000000002,1,0.32000000000000001,0.10000000000000001,1,0.32000000000000001,1}'),
('v2', 'holm', '{0.040000000000000001,0.001,0.29999999999999999,0.040000000000000001,0.012500000000000001,0.90000000000000002,0.040000000000000001,0.20000000000000001}', '{0.23999999999999999,0.0080000000000000002,0.60000000000000009,0.23999999999999999,0.087500000000000008,0.90000000000000002,0.23999999999999999,0.60000000000000009}'),
('v2', 'hochberg', '{0.040000000000000001,0.001,0.29999999999999999,0.040000000000000001,0.012500000000000001,0.90000000000000002,0.040000000000000001,0.20000000000000001}', '{0.16,0.0080000000000000002,0.59999999999999998,0.16,0.087500000000000008,0.90000000000000002,0.16,0.59999999999999998}'),
('v2', 'bh', '{0.040000000000000001,0.001,0.29999999999999999,0.040000000000000001,0.012500000000000001,0.90000000000000002,0.040000000000000001,0.20000000000000001}', '{0.064000000000000001,0.0080000000000000002,0.3428571428571428,0.064000000000000001,0.050000000000000003,0.90000000000000002,0.064000000000000001,0.26666666666666666}'),
('v2', 'by', '{0.040000000000000001,0.001,0.29999999999999999,0.040000000000000001,0.012500000000000001,0.90000000000000002,0.040000000000000001,0.20000000000000001}', '{0.17394285714285715,0.021742857142857144,0.93183673469387751,0.17394285714285715,0.13589285714285715,1,0.17394285714285715,0.72476190476190483}'),
('v3', 'bonferroni', '{0,1,0.5,NULL,0.02,0,NULL,1,0.049000000000000002}', '{0,1,1,NULL,0.14000000000000001,0,NULL,1,0.34300000000000003}'),
('v3', 'holm', '{0,1,0.5,NULL,0.02,0,NULL,1,0.049000000000000002}', '{0,1,1,NULL,0.10000000000000001,0,NULL,1,0.19600000000000001}'),
('v3', 'hochberg', '{0,1,0.5,NULL,0.02,0,NULL,1,0.049000000000000002}', '{0,1,1,NULL,0.10000000000000001,0,NULL,1,0.19600000000000001}'),
('v3', 'bh', '{0,1,0.5,NULL,0.02,0,NULL,1,0.049000000000000002}', '{0,1,0.69999999999999996,NULL,0.046666666666666669,0,NULL,1,0.085750000000000007}'),
('v3', 'by', '{0,1,0.5,NULL,0.02,0,NULL,1,0.049000000000000002}', '{0,1,1,NULL,0.12100000000000001,0,NULL,1,0.22233750000000002}'),
('v4', 'bonferroni', '{0.80000000000000004,0.59999999999999998,0.69999999999999996,0.90000000000000002}', '{1,1,1,1}'),
('v4', 'holm', '{0.80000000000000004,0.59999999999999998,0.69999999999999996,0.90000000000000002}', '{1,1,1,1}'),
('v4', 'hochberg', '{0.80000000000000004,0.59999999999999998,0.69999999999999996,0.90000000000000002}', '{0.90000000000000002,0.90000000000000002,0.90000000000000002,0.90000000000000002}'),
('v4', 'bh', '{0.80000000000000004,0.59999999999999998,0.69999999999999996,0.90000000000000002}', '{0.90000000000000002,0.90000000000000002,0.90000000000000002,0.90000000000000002}'),
('v4', 'by', '{0.80000000000000004,0.59999999999999998,0.69999999999999996,0.90000000000000002}', '{1,1,1,1}'),
('v5', 'bonferroni', '{1e-300,3.3000000000000001e-12,0.0020999999999999999,0.012,0.037400000000000003,0.041000000000000002,0.22,0.5,0.72999999999999998,0.999,0.001,0.014999999999999999}', '{1.2000000000000001e-299,3.9599999999999998e-11,0.0252,0.14400000000000002,0.44880000000000003,0.49199999999999999,1,1,1,1,0.012,0.17999999999999999}'),
('v5', 'holm', '{1e-300,3.3000000000000001e-12,0.0020999999999999999,0.012,0.037400000000000003,0.041000000000000002,0.22,0.5,0.72999999999999998,0.999,0.001,0.014999999999999999}', '{1.2000000000000001e-299,3.63e-11,0.0189,0.096000000000000002,0.22440000000000002,0.22440000000000002,0.88,1,1,1,0.01,0.105}'),
('v5', 'hochberg', '{1e-300,3.3000000000000001e-12,0.0020999999999999999,0.012,0.037400000000000003,0.041000000000000002,0.22,0.5,0.72999999999999998,0.999,0.001,0.014999999999999999}', '{1.2000000000000001e-299,3.63e-11,0.0189,0.096000000000000002,0.20500000000000002,0.20500000000000002,0.88,0.999,0.999,0.999,0.01,0.105}'),
('v5', 'bh', '{1e-300,3.3000000000000001e-12,0.0020999999999999999,0.012,0.037400000000000003,0.041000000000000002,0.22,0.5,0.72999999999999998,0.999,0.001,0.014999999999999999}', '{1.2000000000000001e-299,1.9799999999999999e-11,0.0063,0.028799999999999999,0.061499999999999999,0.061499999999999999,0.29333333333333333,0.59999999999999998,0.79636363636363627,0.999,0.0040000000000000001,0.029999999999999999}'),
('v5', 'by', '{1e-300,3.3000000000000001e-12,0.0020999999999999999,0.012,0.037400000000000003,0.041000000000000002,0.22,0.5,0.72999999999999998,0.999,0.001,0.014999999999999999}', '{3.7238528138528138e-299,6.1443571428571436e-11,0.019550227272727271,0.089372467532467539,0.19084745670995673,0.19084745670995673,0.91027513227513235,1,1,1,0.012412842712842712,0.093096320346320344}'),
('v6', 'bonferroni', '{0.029999999999999999}', '{0.029999999999999999}'),
('v6', 'holm', '{0.029999999999999999}', '{0.029999999999999999}'),
('v6', 'hochberg', '{0.029999999999999999}', '{0.029999999999999999}'),
('v6', 'bh', '{0.029999999999999999}', '{0.029999999999999999}'),
('v6', 'by', '{0.029999999999999999}', '{0.029999999999999999}'),
('v7', 'bonferroni', '{NULL,0.20000000000000001,NULL,0.01}', '{NULL,0.40000000000000002,NULL,0.02}'),
('v7', 'holm', '{NULL,0.20000000000000001,NULL,0.01}', '{NULL,0.20000000000000001,NULL,0.02}'),
('v7', 'hochberg', '{NULL,0.20000000000000001,NULL,0.01}', '{NULL,0.20000000000000001,NULL,0.02}'),
('v7', 'bh', '{NULL,0.20000000000000001,NULL,0.01}', '{NULL,0.20000000000000001,NULL,0.02}'),
('v7', 'by', '{NULL,0.20000000000000001,NULL,0.01}', '{NULL,0.30000000000000004,NULL,0.029999999999999999}');

SELECT method, count(*) AS elements,
       count(*) FILTER (WHERE test.check(vector, g, e, 1e-14) <> 'ok') AS failures,
       count(*) FILTER (WHERE g IS NULL) AS nulls
FROM test.p_adjust_refs r,
     LATERAL unnest(crm.p_adjust(r.p, r.method), r.expected) AS u(g, e)
GROUP BY method ORDER BY method;
SELECT vector, method, test.check(vector, g, e, 1e-14)
FROM test.p_adjust_refs r, LATERAL unnest(crm.p_adjust(r.p, r.method), r.expected) AS u(g, e)
WHERE test.check(vector, g, e, 1e-14) <> 'ok';

-- default holm, aliases and case, order and bounds preserved, empty and single
SELECT crm.p_adjust('{0.04,0.01,0.03}') AS holm_default,
       crm.p_adjust('{0.04,0.01,0.03}', 'fdr') = crm.p_adjust('{0.04,0.01,0.03}', 'bh') AS fdr_is_bh,
       crm.p_adjust('{0.04,0.01,0.03}', 'BH') = crm.p_adjust('{0.04,0.01,0.03}', 'bh') AS case_insensitive,
       crm.p_adjust('[0:2]={0.04,NULL,0.01}', 'bonferroni') AS bounds_kept,
       crm.p_adjust('{}', 'by') AS empty, crm.p_adjust('{0.3}', 'bonferroni') AS single,
       crm.p_adjust('{NULL,NULL}') AS all_null, crm.p_adjust(NULL) AS null_array;
SELECT test.error_of($$SELECT crm.p_adjust('{0.1,1.5}')$$);
SELECT test.error_of($$SELECT crm.p_adjust('{NaN,0.5}')$$);
SELECT test.error_of($$SELECT crm.p_adjust('{0.1,-0.01}', 'bh')$$);
SELECT test.error_of($$SELECT crm.p_adjust('{0.1,0.2}', 'hommel')$$);
SELECT test.error_of($$SELECT crm.p_adjust('{{0.1,0.2},{0.3,0.4}}')$$);

------------------------------------------------------------------------------
-- sequential_test (mSPRT) against mpmath
------------------------------------------------------------------------------
CREATE TABLE test.msprt_refs (uplift float8, v float8, tau2 float8, confidence float8,
                              p float8, ci_low float8, ci_high float8, llr float8);
INSERT INTO test.msprt_refs VALUES
(1.0, 0.1, 0.5, 0.95, 0.0379765303643854, 0.033570032562977546, 1.9664299674370225, 3.270786932052639),
(0.02, 0.0004, 0.0025, 0.95, 1.0, -0.04082124819018595, 0.08082124819018595, -0.559466251674671),
(-0.35, 0.01, 0.04, 0.9, 0.016651065946685976, -0.628715986678693, -0.07128401332130692, 4.095281043782949),
(0.0, 0.25, 1.0, 0.95, 1.0, -1.5411949969445464, 1.5411949969445464, -0.8047189562170501),
(3.5, 0.2, 0.01, 0.99, 0.2383683169675926, -2.7360522970715677, 9.736052297071568, 1.4339382512486172),
(12.0, 1.0, 100.0, 0.95, 1.1029455077406839e-30, 8.726981375765067, 15.273018624234933, 68.97956845445066),
(0.001, 1e-08, 1e-06, 0.95, 3.1800493522466714e-21, 0.0006726981375765067, 0.0013273018624234932, 47.19739023662888),
(0.005, 1e-06, 4.0, 0.8, 0.007453330567436376, 0.0007080673818054201, 0.00929193261819458, 4.899094290458716);

SELECT count(*) AS cases,
       count(*) FILTER (WHERE test.check('p', s.always_valid_p_value, r.p, 1e-12) <> 'ok'
                           OR test.check('lo', s.ci_low, r.ci_low, 1e-12) <> 'ok'
                           OR test.check('hi', s.ci_high, r.ci_high, 1e-12) <> 'ok'
                           OR test.check('llr', s.log_likelihood_ratio, r.llr, 1e-12) <> 'ok') AS failures
FROM test.msprt_refs r, LATERAL crm.sequential_test(r.uplift, r.v, r.tau2, r.confidence) s;
SELECT r.uplift, r.v, test.check('p', s.always_valid_p_value, r.p, 1e-12), test.check('lo', s.ci_low, r.ci_low, 1e-12),
       test.check('hi', s.ci_high, r.ci_high, 1e-12), test.check('llr', s.log_likelihood_ratio, r.llr, 1e-12)
FROM test.msprt_refs r, LATERAL crm.sequential_test(r.uplift, r.v, r.tau2, r.confidence) s;

-- the overloads read V from a test result
SELECT (SELECT crm.sequential_test(r, 2.0) FROM (SELECT crm.uplift_ttest(treated, value) r FROM test.cuped_data WHERE dataset = 'big') a)
     = (SELECT crm.sequential_test(r.uplift, r.sd_treatment ^ 2 / r.n_treatment + r.sd_control ^ 2 / r.n_control, 4.0)
        FROM (SELECT (crm.uplift_ttest(treated, value)).* FROM test.cuped_data WHERE dataset = 'big') r) AS ttest_overload,
       (SELECT crm.sequential_test(r, 2.0, 0.9) FROM (SELECT crm.uplift_ttest_cuped(treated, value, pre_period_value) r
                                                       FROM test.cuped_data WHERE dataset = 'big') a)
     = (SELECT crm.sequential_test(r.uplift, r.sd_treatment ^ 2 / r.n_treatment + r.sd_control ^ 2 / r.n_control, 4.0, 0.9)
        FROM (SELECT (crm.uplift_ttest_cuped(treated, value, pre_period_value)).* FROM test.cuped_data WHERE dataset = 'big') r)
       AS cuped_overload,
       (SELECT crm.sequential_test(r, 0.05) FROM (SELECT crm.uplift_ztest(treated, value > 80) r FROM test.cuped_data) a)
     = (SELECT crm.sequential_test(r.uplift, r.rate_treatment * (1 - r.rate_treatment) / r.n_treatment
                                   + r.rate_control * (1 - r.rate_control) / r.n_control, 0.05::float8 * 0.05::float8)
        FROM (SELECT (crm.uplift_ztest(treated, value > 80)).* FROM test.cuped_data) r) AS ztest_overload;
-- no test in the result: NULL
SELECT crm.sequential_test((SELECT crm.uplift_ttest(t, v) FROM (VALUES (true, 1.0::float8), (false, 2.0)) d(t, v)), 1.0)
         IS NULL AS ttest_no_test,
       crm.sequential_test((SELECT crm.uplift_ztest(t, c) FROM (VALUES (true, true)) d(t, c)), 1.0) IS NULL AS ztest_no_test;

-- uplift_variance = 0 is the limit V -> 0: a known difference
SELECT * FROM crm.sequential_test(0.5, 0, 1);
SELECT * FROM crm.sequential_test(0, 0, 1);
-- tiny variances do not overflow
SELECT always_valid_p_value, ci_low > 0 AND ci_high < 2e-150 AS tight FROM crm.sequential_test(1e-150, 1e-310, 1e10);

SELECT test.error_of($$SELECT crm.sequential_test(1, -0.1, 1)$$);
SELECT test.error_of($$SELECT crm.sequential_test(1, 0.1, 0)$$);
SELECT test.error_of($$SELECT crm.sequential_test('NaN'::float8, 0.1, 1)$$);
SELECT test.error_of($$SELECT crm.sequential_test(1, 'Infinity', 1)$$);
SELECT test.error_of($$SELECT crm.sequential_test(1, 0.1, 'Infinity')$$);
SELECT test.error_of($$SELECT crm.sequential_test(1, 0.1, 1, 1)$$);
SELECT test.error_of($$SELECT crm.sequential_test(1, 0.1, 1, 'NaN')$$);
SELECT test.error_of($$SELECT crm.sequential_test((SELECT crm.uplift_ttest(true, 1.0::float8)), -1)$$);
SELECT test.error_of($$SELECT crm.sequential_test((SELECT crm.uplift_ztest(true, true)), 0, 0.9)$$);

-- Validity simulation (deterministic: normal values from hashint8extended and Box-Muller).
-- 200 A/A experiments, 20 looks each, 50 new customers per arm per look (N(0, 1) values);
-- mixture N(0, 0.1^2).  The always-valid p may drop below 0.05 at some look in at most
-- ~5% of the A/A experiments (mSPRT is conservative over a finite horizon); the naive
-- Welch p, looked at after every batch, does so far more often.
CREATE FUNCTION test.normal(k bigint, seed bigint) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
	SELECT sqrt(-2 * ln(((hashint8extended(k, seed) & 4503599627370495) + 0.5) / 4503599627370496.0))
	       * cos(2 * pi() * ((hashint8extended(k, seed + 1) & 4503599627370495) + 0.5) / 4503599627370496.0)
$$;
CREATE TABLE test.seq_users AS
SELECT e AS experiment, k AS look, i % 2 = 0 AS treated,
       test.normal(e * 100000 + k * 1000 + i, 7) + CASE WHEN e > 200 AND i % 2 = 0 THEN 0.2 ELSE 0 END AS value
FROM generate_series(1, 250) e, generate_series(1, 20) k, generate_series(1, 100) i;

SET max_parallel_workers_per_gather = 0;
CREATE TABLE test.seq_looks AS
SELECT DISTINCT ON (experiment, look) experiment, look, r
FROM (SELECT experiment, look, crm.uplift_ttest(treated, value) OVER (PARTITION BY experiment ORDER BY look) AS r
      FROM test.seq_users) w
ORDER BY experiment, look;
RESET max_parallel_workers_per_gather;

-- experiments 1..200: A/A; 201..250: true effect of 0.2 sd
SELECT experiment <= 200 AS aa, count(DISTINCT experiment) AS experiments, count(*) AS looks,
       count(DISTINCT experiment) FILTER (WHERE (r).p_value < 0.05) AS naive_ever_below_005,
       count(DISTINCT experiment) FILTER (WHERE (crm.sequential_test(r, 0.1)).always_valid_p_value < 0.05)
         AS always_valid_ever_below_005
FROM test.seq_looks GROUP BY experiment <= 200 ORDER BY aa DESC;
SELECT count(DISTINCT experiment) FILTER (WHERE (crm.sequential_test(r, 0.1)).always_valid_p_value < 0.05)
         <= 0.08 * 200 AS always_valid_error_at_most_8pct,
       count(DISTINCT experiment) FILTER (WHERE (r).p_value < 0.05) > 0.10 * 200 AS naive_error_above_10pct
FROM test.seq_looks WHERE experiment <= 200;
-- with a true effect: first look at which the always-valid p drops below 0.05, and the
-- confidence sequence at the last look covers the true 0.2 in every experiment
SELECT min(first_look) AS earliest, round(avg(first_look), 1) AS mean_first_look, max(first_look) AS latest,
       count(*) AS detected
FROM (SELECT experiment, min(look) AS first_look FROM test.seq_looks
      WHERE experiment > 200 AND (crm.sequential_test(r, 0.1)).always_valid_p_value < 0.05 GROUP BY experiment) d;
SELECT count(*) AS experiments, count(*) FILTER (WHERE s.ci_low <= 0.2 AND 0.2 <= s.ci_high) AS covered
FROM test.seq_looks, LATERAL crm.sequential_test(r, 0.1) s WHERE experiment > 200 AND look = 20;
