-- The support functions are callable by anyone, so each validates the state
-- array it is handed: shape, counts, moments, confidence.  Errors are 22023.
-- uplift_ttest state: {n, shift, s1 hi, s1 lo, s2 hi, s2 lo} treatment, the same for control, confidence

SELECT test.error_of($$SELECT crm.uplift_ttest_final('{1,2,3}')$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_final('{{0,0,0,0,0,0,0,0,0,0,0,0,0}}')$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_final('{0,0,0,0,0,0,0,0,0,0,0,0,NULL}')$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_final('{-1,0,0,0,0,0,0,0,0,0,0,0,0}')$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_final('{1.5,0,0,0,0,0,0,0,0,0,0,0,0}')$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_final('{2,NaN,0,0,0,0,0,0,0,0,0,0,0}')$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_final('{2,1,1,0,-1,0,0,0,0,0,0,0,0}')$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_final('{2,1,4,0,1,0,0,0,0,0,0,0,0}')$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_final('{2,1,1,1,4,0,0,0,0,0,0,0,0}')$$);  -- valid: values 1 and 3
SELECT test.error_of($$SELECT crm.uplift_ttest_final('{1,1,5,0,0,0,0,0,0,0,0,0,0}')$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_final('{0,0,0,0,0,0,0,7,0,0,0,0,0}')$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_final('{0,0,0,0,0,0,0,0,0,0,0,0,2}')$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_combine('{0,0,0,0,0,0,0,0,0,0,0,0,0}', '{0,0,0,0,0,0,0,0,0,0,0,0}')$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_combine('{0,0,0,0,0,0,0,0,0,0,0,0,0.9}', '{0,0,0,0,0,0,0,0,0,0,0,0,0.95}')$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_transfn('{1,2}', true, 1.0::float8)$$);
SELECT test.error_of($$SELECT crm.uplift_ttest_transfn(NULL, true, 1.0::float8)$$);
SELECT test.error_of($$SELECT crm.uplift_ztest_final('{5,6,5,0,0}')$$);
SELECT test.error_of($$SELECT crm.uplift_ztest_final('{5,1,5,0,1.5}')$$);
SELECT test.error_of($$SELECT crm.uplift_ztest_combine('{9007199254740991,0,0,0,0}', '{1,0,0,0,0}')$$);
SELECT test.error_of($$SELECT crm.nps_final('{1,2,-3,0}')$$);
SELECT test.error_of($$SELECT crm.nps_final('{1,2,3}')$$);
SELECT test.error_of($$SELECT crm.nps_combine('{1,2,3,0}', '{1,2,3,Infinity}')$$);

-- called directly (outside an aggregate) a transition function does not
-- modify its argument: it returns a new state
WITH s AS (SELECT '{0,0,0,0,0,0,0,0,0,0,0,0,0}'::float8[] AS st)
SELECT crm.uplift_ttest_transfn(st, true, 5.0::float8) AS new_state, st AS old_state FROM s;

-- valid states built by the support functions combine and finish like the aggregate
SELECT (crm.uplift_ttest_final(crm.uplift_ttest_combine(
          crm.uplift_ttest_transfn(crm.uplift_ttest_transfn('{0,0,0,0,0,0,0,0,0,0,0,0,0}', true, 1.0::float8), true, 3.0::float8),
          crm.uplift_ttest_transfn(crm.uplift_ttest_transfn('{0,0,0,0,0,0,0,0,0,0,0,0,0}', false, 1.0::float8), false, 2.0::float8)))).uplift;
SELECT crm.nps_final(crm.nps_combine('{1,0,0,0}', '{0,0,1,0}'));
