-- crm.nps: Net Promoter Score with its margin of error, against base R
-- (test/refgen/experiment_refs.R).

-- N1: 200 answers (i * 7) % 11
SELECT responses, promoters, passives, detractors, nps,
       test.check('moe', margin_of_error, 10.806273470793503, 1e-13),
       test.check('low', ci_low, -45.5 - 10.806273470793503, 1e-13),
       test.check('high', ci_high, -45.5 + 10.806273470793503, 1e-13)
FROM (SELECT (crm.nps(((i * 7) % 11)::int)).* FROM generate_series(1, 200) i) r;

-- N2: confidence 0.90
SELECT responses, promoters, passives, detractors, nps,
       test.check('moe', margin_of_error, 10.915528012379625, 1e-13)
FROM (SELECT (crm.nps(least(10, (i * 13) % 17)::int, 0.90)).* FROM generate_series(1, 200) i) r;

-- by segment: one call per group
SELECT i % 3 AS segment, (crm.nps(((i * 7) % 11)::int)).responses
FROM generate_series(1, 200) i GROUP BY 1 ORDER BY 1;

-- the interval stays inside -100..100
SELECT nps, margin_of_error > 0 AS has_margin, ci_low, ci_high
FROM (SELECT (crm.nps(s)).* FROM (VALUES (10), (10), (10), (10), (9), (0)) v(s)) r;

-- everybody a promoter: margin 0 (the plug-in variance is 0)
SELECT nps, margin_of_error, ci_low, ci_high FROM (SELECT (crm.nps(9)).* FROM generate_series(1, 5)) r;

-- empty input and NULL answers
SELECT * FROM (SELECT (crm.nps(s)).* FROM (VALUES (NULL::int)) v(s)) r;
SELECT responses, nps FROM (SELECT (crm.nps(s)).* FROM (VALUES (NULL::int), (10), (0)) v(s)) r;

-- boundaries of the groups: 6 detractor, 7-8 passive, 9 promoter
SELECT promoters, passives, detractors FROM (SELECT (crm.nps(s)).* FROM (VALUES (6), (7), (8), (9)) v(s)) r;

-- errors: an answer outside 0..10 is 22003, never silently dropped
SELECT test.error_of($$SELECT crm.nps(11)$$);
SELECT test.error_of($$SELECT crm.nps(-1)$$);
SELECT test.error_of($$SELECT crm.nps(5, 1.5)$$);
SELECT test.error_of($$SELECT crm.nps(5, NULL::float8)$$);
