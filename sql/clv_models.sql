-- BG/NBD, Pareto/NBD and Gamma-Gamma fits and predictions against the
-- published CDNOW results and independent (mpmath) reference values.
SET client_min_messages = warning;
SET extra_float_digits = 0;

CREATE TEMP TABLE cdnow (id int, x int, t_x float8, t float8, zbar float8);
\copy cdnow FROM 'test/data/cdnow_customers_summary_with_transactions.csv' WITH (FORMAT csv, HEADER)

CREATE TABLE test.models AS
SELECT crm.bgnbd_fit(x, t_x, t) AS bgnbd,
       crm.pareto_nbd_fit(x, t_x, t) AS pnbd,
       crm.gamma_gamma_fit(x, zbar) AS gg
FROM cdnow;

-- Fader, Hardie & Lee (2005): r 0.2426, alpha 4.4136, a 0.7929, b 2.4259, LL -9582.43
SELECT round((bgnbd).r::numeric, 3) AS r, round((bgnbd).alpha::numeric, 3) AS alpha,
       round((bgnbd).a::numeric, 3) AS a, round((bgnbd).b::numeric, 3) AS b,
       round((bgnbd).log_likelihood::numeric, 2) AS ll, (bgnbd).customers, (bgnbd).converged,
       (bgnbd).r_se > 0 AND (bgnbd).alpha_se > 0 AND (bgnbd).a_se > 0 AND (bgnbd).b_se > 0 AS has_se
FROM test.models;
-- to 3 decimals (|got - published| < 0.0005) and the log-likelihood to 0.01
SELECT abs((bgnbd).r - 0.2426) < 5e-4 AND abs((bgnbd).alpha - 4.4136) < 5e-4 AND abs((bgnbd).a - 0.7929) < 5e-4
         AND abs((bgnbd).b - 2.4259) < 5e-4 AS bgnbd_parameters,
       abs((bgnbd).log_likelihood + 9582.43) < 0.01 AS bgnbd_ll,
       abs((pnbd).r - 0.553) < 5e-4 AND abs((pnbd).alpha - 10.578) < 5e-4 AND abs((pnbd).s - 0.606) < 5e-4
         AND abs((pnbd).beta - 11.669) < 5e-3 AS pnbd_parameters,
       abs((pnbd).log_likelihood + 9594.98) < 0.01 AS pnbd_ll,
       abs((gg).p - 6.25) < 5e-3 AND abs((gg).q - 3.74) < 5e-3 AND abs((gg).v - 15.44) < 1e-2 AS gg_parameters,
       abs((gg).log_likelihood + 4055.92) < 0.01 AS gg_ll
FROM test.models;

-- Fader, Hardie & Lee (2005, JMR): r 0.553, alpha 10.578, s 0.606, beta 11.669, LL -9594.98
SELECT round((pnbd).r::numeric, 3) AS r, round((pnbd).alpha::numeric, 3) AS alpha,
       round((pnbd).s::numeric, 3) AS s, round((pnbd).beta::numeric, 3) AS beta,
       round((pnbd).log_likelihood::numeric, 2) AS ll, (pnbd).customers, (pnbd).converged,
       (pnbd).r_se > 0 AND (pnbd).alpha_se > 0 AND (pnbd).s_se > 0 AND (pnbd).beta_se > 0 AS has_se
FROM test.models;

-- Fader & Hardie (2013), 946 repeat buyers: p 6.25, q 3.74, v 15.44, LL -4055.92
SELECT round((gg).p::numeric, 2) AS p, round((gg).q::numeric, 2) AS q, round((gg).v::numeric, 2) AS v,
       round((gg).log_likelihood::numeric, 2) AS ll, (gg).customers, (gg).converged,
       (gg).p_se > 0 AND (gg).q_se > 0 AND (gg).v_se > 0 AS has_se
FROM test.models;

-- FHL05 p. 280: customer 1 (x = 2, t_x = 30.43, T = 38.86) expects 1.226 purchases in the next 39 weeks.
SELECT round(crm.expected_purchases(bgnbd, 2, 30.43, 38.86, 39)::numeric, 3) AS e_y39 FROM test.models;

-- Predictions against values computed independently with mpmath from the models' integral forms
-- (test/refgen/clv_refs.py): normal, extreme (x in the thousands, recency = tenure, alpha = beta,
-- a < 1, a = 1, huge horizons) and discounted cases.  Discounted purchases are read through
-- ltv_estimate / expected_spend with the annual rate whose continuous daily rate is delta.
CREATE TEMP TABLE ref_lines (line text);
\copy ref_lines FROM 'test/data/clv_prediction_refs.csv'
CREATE TEMP TABLE refs AS
SELECT f[1] AS model, f[2] AS function, f[3]::float8 AS p1, f[4]::float8 AS p2, f[5]::float8 AS p3,
       f[6]::float8 AS p4, f[7]::float8 AS x, f[8]::float8 AS t_x, f[9]::float8 AS t, f[10]::float8 AS horizon,
       f[11]::float8 AS delta, f[12]::float8 AS tolerance,
       nullif(f[13]::float8, 'NaN') AS value   -- undefined (population mean with q <= 1): we return NULL
FROM (SELECT string_to_array(line, ',') AS f FROM ref_lines
      WHERE line NOT LIKE '#%' AND line NOT LIKE 'model,%') l
WHERE f[2] <> 'loglik';
CREATE TEMP TABLE ref_results AS
SELECT r.*,
       CASE model
         WHEN 'bgnbd' THEN
           CASE function
             WHEN 'p_alive' THEN crm.p_alive(bg, x::int, t_x, t)
             WHEN 'expected_conditional' THEN crm.expected_purchases(bg, x::int, t_x, t, horizon)
             WHEN 'expected' THEN crm.expected_purchases(bg, horizon)
             WHEN 'pmf' THEN crm.purchase_probability(bg, x::int, horizon)
             WHEN 'discounted' THEN crm.ltv_estimate(bg, gm1, x::int, t_x, t, 10, horizon, exp(delta * 365.25) - 1)
                                    / crm.expected_spend(gm1, x::int, 10)
           END
         WHEN 'pnbd' THEN
           CASE function
             WHEN 'p_alive' THEN crm.p_alive(pn, x::int, t_x, t)
             WHEN 'expected_conditional' THEN crm.expected_purchases(pn, x::int, t_x, t, horizon)
             WHEN 'expected' THEN crm.expected_purchases(pn, horizon)
             WHEN 'pmf' THEN crm.purchase_probability(pn, x::int, horizon)
             WHEN 'discounted' THEN crm.ltv_estimate(pn, gm1, x::int, t_x, t, 10, horizon, exp(delta * 365.25) - 1)
                                    / crm.expected_spend(gm1, x::int, 10)
           END
         WHEN 'gg' THEN crm.expected_spend(gm, x::int, t_x)
       END AS got
FROM refs r,
     LATERAL (SELECT ROW(p1, p2, p3, p4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd_model AS bg,
                     ROW(p1, p2, p3, p4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::crm.pareto_nbd_model AS pn,
                     ROW(p1, p2, p3, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::crm.gamma_gamma_model AS gm,
                     ROW(6.25, 3.74, 15.44, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::crm.gamma_gamma_model AS gm1) m;
SELECT model, function, count(*) AS cases,
       count(*) FILTER (WHERE test.check(function, got, value, tolerance) = 'ok') AS agree
FROM ref_results GROUP BY 1, 2 ORDER BY 1, 2;
SELECT test.check(model || ' ' || function || ' p=' || p1 || ',' || p2 || ',' || p3 || ',' || p4 || ' x=' || x
                  || ' t_x=' || t_x || ' T=' || t || ' h=' || horizon || ' delta=' || delta, got, value, tolerance) AS disagreement
FROM ref_results WHERE test.check(function, got, value, tolerance) <> 'ok';

-- The fit from raw orders (purchase_summary) equals the fit from the published summary.
SET timezone = 'UTC';
CREATE TEMP TABLE sample_lines (line text);
\copy sample_lines FROM 'test/data/CDNOW_sample.txt'
CREATE TEMP TABLE histories AS
SELECT customer_id, (crm.purchase_summary(purchased_at, amount, '1997-09-30', '1 week')).*
FROM (SELECT f[2]::int AS customer_id, to_date(f[3], 'YYYYMMDD')::timestamptz AS purchased_at, f[5]::float8 AS amount
      FROM (SELECT regexp_split_to_array(btrim(line, E' \r'), '\s+') AS f FROM sample_lines) l) o
GROUP BY customer_id;
SELECT round((m).r::numeric, 4) AS r, round((m).alpha::numeric, 4) AS alpha, round((m).a::numeric, 4) AS a,
       round((m).b::numeric, 4) AS b, round((m).log_likelihood::numeric, 2) AS ll
FROM (SELECT crm.bgnbd_fit(frequency, recency, tenure) AS m FROM histories) f;

-- Deterministic: any row order, and a parallel plan, give bit-identical models.
CREATE TEMP TABLE many AS
SELECT c.x, c.t_x, c.t, c.zbar, g FROM cdnow c, generate_series(1, 40) g;
ANALYZE many;
CREATE TEMP TABLE serial_fit AS
SELECT crm.bgnbd_fit(x, t_x, t) AS bgnbd, crm.pareto_nbd_fit(x, t_x, t) AS pnbd, crm.gamma_gamma_fit(x, zbar) AS gg
FROM (SELECT * FROM many ORDER BY g, x, t_x) o;
CREATE TEMP TABLE reversed_fit AS
SELECT crm.bgnbd_fit(x, t_x, t) AS bgnbd, crm.pareto_nbd_fit(x, t_x, t) AS pnbd, crm.gamma_gamma_fit(x, zbar) AS gg
FROM (SELECT * FROM many ORDER BY g DESC, x DESC, t_x DESC) o;
CREATE TABLE test.clv_many AS SELECT * FROM many;
ANALYZE test.clv_many;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2; SET parallel_leader_participation = off;
SELECT count(*) AS partial_aggregates
FROM jsonb_path_query(test.explain_json($$SELECT crm.bgnbd_fit(x, t_x, t), crm.pareto_nbd_fit(x, t_x, t),
                                                 crm.gamma_gamma_fit(x, zbar) FROM test.clv_many$$)::jsonb,
                      '$.** ? (@."Partial Mode" == "Partial")');
-- five times: a fit once stopped early on a parallel worker's message to the leader
SELECT format('CREATE TEMP TABLE parallel_fit_%s AS SELECT crm.bgnbd_fit(x, t_x, t) AS bgnbd, '
              'crm.pareto_nbd_fit(x, t_x, t) AS pnbd, crm.gamma_gamma_fit(x, zbar) AS gg FROM test.clv_many', i)
FROM generate_series(1, 5) i \gexec
CREATE TEMP TABLE parallel_fit AS
SELECT * FROM parallel_fit_1 UNION ALL SELECT * FROM parallel_fit_2 UNION ALL SELECT * FROM parallel_fit_3
UNION ALL SELECT * FROM parallel_fit_4 UNION ALL SELECT * FROM parallel_fit_5;
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather; RESET parallel_leader_participation;
SELECT s.bgnbd = r.bgnbd AND s.pnbd = r.pnbd AND s.gg = r.gg AS order_independent,
       (SELECT count(*) FROM parallel_fit p WHERE s.bgnbd = p.bgnbd AND s.pnbd = p.pnbd AND s.gg = p.gg)
         AS parallel_fits_identical,
       (s.bgnbd).customers AS customers,
       round((s.bgnbd).r::numeric, 3) = round((m.bgnbd).r::numeric, 3) AS same_parameters_as_one_copy,
       round(((s.bgnbd).log_likelihood / 40)::numeric, 2) AS ll_per_copy
FROM serial_fit s, reversed_fit r, test.models m;
DROP TABLE test.clv_many;

-- From 40k distinct histories a fit starts from the optimum of a 20k-row subsample (make check-clv
-- compares it with the usual starts): still the same model in a parallel plan.  45 copies of CDNOW
-- with times moved by up to 0.045 %, 46k distinct histories.
CREATE TABLE test.clv_jittered AS
SELECT c.x, CASE WHEN c.x = 0 THEN 0 ELSE c.t_x * (1 - g / 100000.0) END AS t_x, c.t + g / 100000.0 AS t
FROM cdnow c, generate_series(1, 45) g;
ANALYZE test.clv_jittered;
CREATE TEMP TABLE jittered_serial AS
SELECT crm.bgnbd_fit(x, t_x, t) AS bgnbd, crm.pareto_nbd_fit(x, t_x, t) AS pnbd FROM test.clv_jittered;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2; SET parallel_leader_participation = off;
CREATE TEMP TABLE jittered_parallel AS
SELECT crm.bgnbd_fit(x, t_x, t) AS bgnbd, crm.pareto_nbd_fit(x, t_x, t) AS pnbd FROM test.clv_jittered;
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather; RESET parallel_leader_participation;
SELECT (SELECT count(*) FROM (SELECT DISTINCT x, t_x, t FROM test.clv_jittered) d) AS distinct_histories,
       s.bgnbd = p.bgnbd AND s.pnbd = p.pnbd AS parallel_identical,
       (s.bgnbd).converged AS bgnbd_converged, (s.pnbd).converged AS pnbd_converged,
       round((s.bgnbd).r::numeric, 3) AS r, round((s.bgnbd).alpha::numeric, 2) AS alpha,
       round((s.bgnbd).a::numeric, 3) AS a, round((s.bgnbd).b::numeric, 2) AS b,
       round((s.pnbd).s::numeric, 3) AS pnbd_s, round((s.pnbd).beta::numeric, 2) AS pnbd_beta
FROM jittered_serial s, jittered_parallel p;
DROP TABLE test.clv_jittered;

-- A model is a value: stored, then used for scoring without refitting.
CREATE TABLE test.stored_models (name text PRIMARY KEY, bgnbd crm.bgnbd_model, gg crm.gamma_gamma_model);
INSERT INTO test.stored_models SELECT 'cdnow', bgnbd, gg FROM test.models;
SELECT c.id, round(crm.p_alive(m.bgnbd, c.x, c.t_x, c.t)::numeric, 4) AS p_alive,
       round(crm.expected_purchases(m.bgnbd, c.x, c.t_x, c.t, 52)::numeric, 4) AS next_year,
       round(crm.expected_spend(m.gg, c.x, c.zbar)::numeric, 2) AS spend,
       round(crm.ltv_estimate(m.bgnbd, m.gg, c.x, c.t_x, c.t, c.zbar, 52)::numeric, 2) AS ltv_1y,
       round(crm.ltv_estimate(m.bgnbd, m.gg, c.x, c.t_x, c.t, c.zbar, 52, 0.10, '1 week')::numeric, 2) AS ltv_1y_10pct
FROM cdnow c, test.stored_models m WHERE c.id IN (1, 2, 18, 1516) ORDER BY c.id;

-- a model that changes from row to row (one per segment, read from a table) is
-- read again whenever it changes: the same values as each model on its own
CREATE TEMP TABLE segment_models AS
SELECT id % 2 AS segment, crm.bgnbd_fit(x, t_x, t) AS bgnbd, crm.pareto_nbd_fit(x, t_x, t) AS pnbd
FROM cdnow GROUP BY id % 2;
CREATE TEMP TABLE alternating AS
SELECT c.id, crm.p_alive(m.bgnbd, c.x, c.t_x, c.t) AS bg_p, crm.p_alive(m.pnbd, c.x, c.t_x, c.t) AS pn_p,
       crm.expected_purchases(m.bgnbd, c.x, c.t_x, c.t, 52) AS bg_e
FROM (SELECT * FROM cdnow ORDER BY id) c, LATERAL (SELECT * FROM segment_models s WHERE s.segment = c.id % 2) m;
SELECT sum(customers) AS customers, sum(mismatches) AS mismatches, (SELECT count(DISTINCT bgnbd::text) FROM segment_models) AS models
FROM (SELECT count(*) AS customers,
             count(*) FILTER (WHERE a.bg_p <> crm.p_alive((SELECT bgnbd FROM segment_models WHERE segment = 0), c.x, c.t_x, c.t)
                                 OR a.pn_p <> crm.p_alive((SELECT pnbd FROM segment_models WHERE segment = 0), c.x, c.t_x, c.t)
                                 OR a.bg_e <> crm.expected_purchases((SELECT bgnbd FROM segment_models WHERE segment = 0),
                                                                     c.x, c.t_x, c.t, 52)) AS mismatches
      FROM alternating a JOIN cdnow c USING (id) WHERE c.id % 2 = 0
      UNION ALL
      SELECT count(*),
             count(*) FILTER (WHERE a.bg_p <> crm.p_alive((SELECT bgnbd FROM segment_models WHERE segment = 1), c.x, c.t_x, c.t)
                                 OR a.pn_p <> crm.p_alive((SELECT pnbd FROM segment_models WHERE segment = 1), c.x, c.t_x, c.t)
                                 OR a.bg_e <> crm.expected_purchases((SELECT bgnbd FROM segment_models WHERE segment = 1),
                                                                     c.x, c.t_x, c.t, 52))
      FROM alternating a JOIN cdnow c USING (id) WHERE c.id % 2 = 1) per_segment;

-- ltv_estimate: no discount is expected spend x expected purchases; discounting lowers it;
-- the rate is annual, converted through time_unit (a week is 7/365.25 of a year).
SELECT test.check('undiscounted', crm.ltv_estimate(bgnbd, gg, 2, 30.43, 38.86, 22.35, 52),
                  crm.expected_spend(gg, 2, 22.35) * crm.expected_purchases(bgnbd, 2, 30.43, 38.86, 52), 1e-12) AS bgnbd,
       test.check('undiscounted', crm.ltv_estimate(pnbd, gg, 2, 30.43, 38.86, 22.35, 52),
                  crm.expected_spend(gg, 2, 22.35) * crm.expected_purchases(pnbd, 2, 30.43, 38.86, 52), 1e-12) AS pnbd,
       crm.ltv_estimate(bgnbd, gg, 2, 30.43, 38.86, 22.35, 52, 0.1, '1 week')
         < crm.ltv_estimate(bgnbd, gg, 2, 30.43, 38.86, 22.35, 52) AS discount_lowers,
       crm.ltv_estimate(bgnbd, gg, 2, 30.43, 38.86, 22.35, 52, 0.1, '1 week')
         < crm.ltv_estimate(bgnbd, gg, 2, 30.43, 38.86, 22.35, 52, 0.1, '1 day') AS longer_unit_discounts_more
FROM test.models;

-- Gamma-Gamma: a new customer gets the population mean p v / (q - 1).
SELECT test.check('population mean', crm.expected_spend(gg, 0, 0), (gg).p * (gg).v / ((gg).q - 1), 1e-12)
FROM test.models;

-- Extreme but valid histories: finite numbers, probabilities in [0, 1].
CREATE TEMP TABLE extremes (x int, t_x float8, t float8, h float8);
INSERT INTO extremes VALUES (0, 0, 0, 1), (0, 0, 1e-6, 1e6), (5000, 500, 500, 52), (5000, 1, 500, 52),
	(1, 38, 38, 0), (3000, 0.001, 0.001, 1e4), (0, 0, 1e5, 1e5), (50, 1e4, 1e4, 1e-9);
CREATE TEMP TABLE extreme_models AS
SELECT * FROM (VALUES
	(ROW(0.2426, 4.4136, 0.7929, 2.4259, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd_model,
	 ROW(0.553, 10.578, 0.606, 11.669, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::crm.pareto_nbd_model),
	(ROW(2.0, 1.0, 1.0, 0.5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd_model,  -- a = 1, b < 1
	 ROW(2.0, 5.0, 1.0, 5.0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::crm.pareto_nbd_model), -- alpha = beta, s = 1
	(ROW(0.05, 0.01, 0.3, 0.4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd_model,  -- a + b < 1
	 ROW(0.05, 1e-3, 50, 1e3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::crm.pareto_nbd_model)
) v(bg, pn);
SELECT count(*) AS cases,
       count(*) FILTER (WHERE crm.p_alive(bg, x, t_x, t) BETWEEN 0 AND 1
                          AND crm.p_alive(pn, x, t_x, t) BETWEEN 0 AND 1
                          AND crm.expected_purchases(bg, x, t_x, t, h) >= 0
                          AND crm.expected_purchases(pn, x, t_x, t, h) >= 0
                          AND crm.expected_purchases(bg, h) >= 0 AND crm.expected_purchases(pn, h) >= 0
                          AND crm.purchase_probability(bg, least(x, 100), h) BETWEEN 0 AND 1
                          AND crm.purchase_probability(pn, least(x, 100), h) BETWEEN 0 AND 1) AS finite_and_in_range
FROM extremes, extreme_models;
-- fits on extreme data converge or say they did not, with finite numbers or NULLs, never NaN
SELECT (m).customers, (m).converged IS NOT NULL AS reported,
       coalesce((m).r::text, 'NULL') <> 'NaN' AND coalesce((m).log_likelihood::text, 'NULL') <> 'NaN' AS no_nan
FROM (SELECT crm.bgnbd_fit(x, t_x, t) AS m FROM extremes) f;
SELECT (m).customers, (m).converged IS NOT NULL AS reported,
       coalesce((m).r::text, 'NULL') <> 'NaN' AND coalesce((m).log_likelihood::text, 'NULL') <> 'NaN' AS no_nan
FROM (SELECT crm.pareto_nbd_fit(x, t_x, t) AS m FROM extremes) f;

-- Empty input: no model, customers 0; NULL rows are skipped; predictions from an empty model are NULL.
SELECT (crm.bgnbd_fit(x, t_x, t)).* FROM cdnow WHERE false;
SELECT (crm.gamma_gamma_fit(x, zbar)).customers FROM cdnow WHERE x = 0;
SELECT (crm.bgnbd_fit(x, t_x, t)).customers FROM (VALUES (1, 2.0::float8, NULL::float8), (NULL, 1, 1), (0, 0, 3)) v(x, t_x, t);
SELECT crm.p_alive(m, 1, 1, 2) IS NULL AS null_prediction
FROM (SELECT crm.bgnbd_fit(x, t_x, t) AS m FROM cdnow WHERE false) e;

-- Invalid histories and arguments are errors with SQLSTATE 22023.
SELECT test.error_of($$SELECT crm.bgnbd_fit(2, 5, 4)$$);
SELECT test.error_of($$SELECT crm.pareto_nbd_fit(0, 1, 4)$$);
SELECT test.error_of($$SELECT crm.bgnbd_fit(-1, 0, 4)$$);
SELECT test.error_of($$SELECT crm.bgnbd_fit(1, 'NaN', 4)$$);
SELECT test.error_of($$SELECT crm.bgnbd_fit(1, 1, 'Infinity')$$);
SELECT test.error_of($$SELECT crm.gamma_gamma_fit(3, 0)$$);
SELECT test.error_of($$SELECT crm.gamma_gamma_fit(3, -5)$$);
SELECT test.error_of($$SELECT crm.p_alive(bgnbd, 1, 3, 2) FROM test.models$$);
SELECT test.error_of($$SELECT crm.expected_purchases(bgnbd, 1, 1, 2, -1) FROM test.models$$);
SELECT test.error_of($$SELECT crm.expected_purchases(pnbd, 'NaN') FROM test.models$$);
SELECT test.error_of($$SELECT crm.purchase_probability(bgnbd, -1, 10) FROM test.models$$);
SELECT test.error_of($$SELECT crm.expected_spend(gg, 2, 0) FROM test.models$$);
SELECT test.error_of($$SELECT crm.ltv_estimate(bgnbd, gg, 2, 1, 2, 10, 52, -0.1) FROM test.models$$);
SELECT test.error_of($$SELECT crm.ltv_estimate(bgnbd, gg, 2, 1, 2, 10, 52, 0.1, '0 days') FROM test.models$$);
SELECT test.error_of($$SELECT crm.p_alive(ROW(-1, 1, 1, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::crm.bgnbd_model, 1, 1, 2)$$);
SELECT test.error_of($$SELECT crm.p_alive(ROW('NaN', 1, 1, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::crm.pareto_nbd_model, 1, 1, 2)$$);

-- Pareto/NBD on the boundary.  Customers with bounded lifetimes (no exponential dropout) drive the
-- optimum to s, beta -> infinity with s/beta, the mean dropout rate, finite.  After an interior
-- attempt the fit walks (ln r, ln alpha, ln s/beta, ln s) with ln s capped at 18, where the
-- likelihood is the limit model's to ~1e-8 per customer, and converges there in a few dozen
-- iterations.
SELECT setseed(0.42);
CREATE TEMP TABLE bounded_orders AS
SELECT c.customer_id,
       CASE WHEN k = 0 THEN c.first_at ELSE c.first_at + random() * c.span * interval '1 day' END AS purchased_at
FROM (SELECT customer_id, first_at,
             least(lifetime_days, extract(epoch FROM timestamptz '2025-01-01' - first_at) / 86400) AS span, weekly_rate
      FROM (SELECT c AS customer_id, timestamptz '2023-01-01' + random() * interval '365 days' AS first_at,
                   random() ^ 2 * 730 AS lifetime_days, random() ^ 2 * 0.75 AS weekly_rate
            FROM generate_series(1, 10000) c) g) c,
     generate_series(0, floor(c.weekly_rate * c.span / 7)::int) k;
CREATE TEMP TABLE bounded AS
SELECT (crm.purchase_summary(purchased_at, 1.0, '2025-01-01', '1 week')).* FROM bounded_orders GROUP BY customer_id;
-- Reference: the limit model (exponential lifetimes, one dropout rate mu) fitted by scipy
-- (test/refgen/pnbd_boundary_refs.py): r 0.61657344, alpha 3.18931109, mu 0.02411124,
-- LL -174134.44130, and from its Hessian r_se 0.01438727, alpha_se 0.08225151.  Parameters to
-- 1e-4 relative, the log-likelihood to 0.01, standard errors to 1e-3 (both sides take finite
-- differences); s and beta, along which the likelihood is flat, have none.
SELECT m.converged, m.iterations BETWEEN 1 AND 120 AS few_iterations, m.s > 1e7 AS s_in_the_millions,
       test.check('r_se', m.r_se, 0.01438727, 1e-3) AS r_se,
       test.check('alpha_se', m.alpha_se, 0.08225151, 1e-3) AS alpha_se,
       m.s_se IS NULL AND m.beta_se IS NULL AS no_s_beta_se,
       test.check('r', m.r, 0.61657344, 1e-4) AS r,
       test.check('alpha', m.alpha, 3.18931109, 1e-4) AS alpha,
       test.check('mu', m.s / m.beta, 0.02411124, 1e-4) AS mu,
       test.check('LL', m.log_likelihood, -174134.44130, 0.01 / 174134.4413) AS ll
FROM (SELECT (crm.pareto_nbd_fit(frequency, recency, tenure)).* FROM bounded) m;

-- Scoring caches the 2F1 values and the predictions for an active customer by (x, tx), (x, T)
-- and (x, T, horizon, rate): for frequencies below 64 in rows by time (up to 4096 times), else in
-- hash tables that grow past 4k lookups.  10k customers (a tenure per first-purchase day) and 2 x 6k
-- more with 6k distinct tenures (past the rows) and frequencies up to 69 (the second 6k find the
-- first's values, in the rows and hashed), scored with one model (pass 'cached'), give
-- exactly the values computed, at the same call sites, with a model whose bytes change on every
-- row (pass 're-read': each change starts a new cache generation, so nothing cached carries over).
CREATE TEMP TABLE twin_models AS
SELECT k, bgnbd, pnbd, gg FROM test.models, generate_series(0, 1) k;
UPDATE twin_models SET bgnbd.log_likelihood = (bgnbd).log_likelihood + 1,
                       pnbd.log_likelihood = (pnbd).log_likelihood + 1 WHERE k = 1;
CREATE TEMP TABLE scored AS
SELECT row_number() OVER () AS i, frequency, recency, tenure, greatest(monetary_value, 1) AS spend
FROM bounded;
INSERT INTO scored
SELECT 10000 + 6000 * copy + j, j % 70, CASE WHEN j % 70 = 0 THEN 0 ELSE (50 + j / 997.0) * (j % 13) / 13.0 END,
       50 + j / 997.0, 1 + j % 5
FROM generate_series(0, 1) copy, generate_series(1, 6000) j;
CREATE TEMP TABLE two_passes AS
SELECT pass, i, crm.p_alive(m.bgnbd, frequency, recency, tenure) AS bg_p,
       crm.expected_purchases(m.bgnbd, frequency, recency, tenure, 52) AS bg_e,
       crm.ltv_estimate(m.bgnbd, m.gg, frequency, recency, tenure, spend, 52, 0.1, '1 week') AS bg_l,
       crm.p_alive(m.pnbd, frequency, recency, tenure) AS pn_p,
       crm.expected_purchases(m.pnbd, frequency, recency, tenure, 52) AS pn_e,
       crm.ltv_estimate(m.pnbd, m.gg, frequency, recency, tenure, spend, 52, 0.1, '1 week') AS pn_l
FROM (SELECT pass, s.* FROM (VALUES (1, 'cached'), (2, 're-read')) p(n, pass), scored s ORDER BY p.n, s.i) s,
     LATERAL (SELECT * FROM twin_models t WHERE t.k = CASE WHEN s.pass = 'cached' THEN 0 ELSE s.i % 2 END) m;
SELECT count(*) AS customers,
       count(*) FILTER (WHERE (c.bg_p, c.bg_e, c.bg_l, c.pn_p, c.pn_e, c.pn_l)
                              <> (d.bg_p, d.bg_e, d.bg_l, d.pn_p, d.pn_e, d.pn_l)) AS mismatches,
       count(DISTINCT (c.bg_e, c.pn_p)) > 5000 AS varied
FROM two_passes c JOIN two_passes d USING (i) WHERE c.pass = 'cached' AND d.pass = 're-read';

-- The horizon and the rate may change from row to row (each change starts a new generation of the
-- cache): every row gets its own horizon's value, as computed at call sites that see one horizon.
SELECT count(*) AS rows, count(*) FILTER (WHERE a.e <> c.e OR a.l <> c.l) AS mismatches
FROM (SELECT i, crm.expected_purchases(m.bgnbd, 2, 30.43, 38.86, (i % 3 + 1) * 13.0) AS e,
             crm.ltv_estimate(m.pnbd, m.gg, 2, 30.43, 38.86, 22.35, 52, (i % 3) * 0.05, '1 week') AS l
      FROM test.models m, generate_series(1, 30) i) a
JOIN (SELECT 1 AS k, crm.expected_purchases(bgnbd, 2, 30.43, 38.86, 13.0) AS e,
             crm.ltv_estimate(pnbd, gg, 2, 30.43, 38.86, 22.35, 52, 0.0, '1 week') AS l FROM test.models
      UNION ALL
      SELECT 2, crm.expected_purchases(bgnbd, 2, 30.43, 38.86, 26.0),
             crm.ltv_estimate(pnbd, gg, 2, 30.43, 38.86, 22.35, 52, 0.05, '1 week') FROM test.models
      UNION ALL
      SELECT 3, crm.expected_purchases(bgnbd, 2, 30.43, 38.86, 39.0),
             crm.ltv_estimate(pnbd, gg, 2, 30.43, 38.86, 22.35, 52, 0.1, '1 week') FROM test.models) c
  ON c.k = a.i % 3 + 1;

-- So may the time unit that converts the annual rate (ltv_estimate keeps the last row's conversion).
SELECT count(*) AS rows, count(*) FILTER (WHERE a.l <> CASE WHEN a.i % 2 = 0 THEN c.w ELSE c.d END) AS mismatches,
       min(c.w) <> min(c.d) AS units_differ
FROM (SELECT i, crm.ltv_estimate(m.bgnbd, m.gg, 2, 30.43, 38.86, 22.35, 52, 0.1,
                                 CASE WHEN i % 2 = 0 THEN interval '1 week' ELSE interval '1 day' END) AS l
      FROM test.models m, generate_series(1, 10) i) a,
     (SELECT crm.ltv_estimate(bgnbd, gg, 2, 30.43, 38.86, 22.35, 52, 0.1, '1 week') AS w,
             crm.ltv_estimate(bgnbd, gg, 2, 30.43, 38.86, 22.35, 52, 0.1, '1 day') AS d FROM test.models) c;

-- A fit can be cancelled.  100k distinct fractional histories whose optimum is on the boundary
-- take many seconds (27 s measured); statement_timeout stops the fit between evaluations.
SET statement_timeout = '300ms';
SELECT crm.pareto_nbd_fit(1 + i % 40, (50 + (i % 9973) / 100.0) * ((i % 997) / 997.0), 50 + (i % 9973) / 100.0)
FROM generate_series(1, 100000) i;
RESET statement_timeout;

-- Extreme but valid models (every parameter 1e300 or 1e-300, all mixes): each
-- prediction is a number in its range or 22003 (beyond what double precision
-- computes), never an internal error, Infinity or NaN.
CREATE FUNCTION test.prediction_outcome(statement text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	value float8;
BEGIN
	EXECUTE statement INTO value;
	RETURN CASE WHEN value IS NULL THEN 'NULL'
	            WHEN value >= 0 AND value < 'Infinity' AND (statement !~ 'p_alive|probability' OR value <= 1) THEN 'in range'
	            ELSE 'out of range: ' || value END;
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END $$;
SELECT split_part(f, '(', 1) AS function, outcome, count(*)
FROM (VALUES ('crm.p_alive(ROW(%s, 0, 1, 1, true, 0, 0, 0, 0)::crm.%s_model, 2, 1, 3)'),
             ('crm.expected_purchases(ROW(%s, 0, 1, 1, true, 0, 0, 0, 0)::crm.%s_model, 2, 1, 3, 10)'),
             ('crm.expected_purchases(ROW(%s, 0, 1, 1, true, 0, 0, 0, 0)::crm.%s_model, 10)'),
             ('crm.purchase_probability(ROW(%s, 0, 1, 1, true, 0, 0, 0, 0)::crm.%s_model, 1, 10)'),
             ('crm.ltv_estimate(ROW(%s, 0, 1, 1, true, 0, 0, 0, 0)::crm.%s_model, ROW(6, 4, 15, 0, 1, 1, true, 0, 0, 0)::crm.gamma_gamma_model, 2, 1, 3, 20, 10, 0.1, ''1 week'')')) fs(f),
     (SELECT concat_ws(', ', a, b, c, d) AS m FROM unnest('{1e300,1e-300}'::text[]) a, unnest('{1e300,1e-300}'::text[]) b,
             unnest('{1e300,1e-300}'::text[]) c, unnest('{1e300,1e-300}'::text[]) d) ms,
     (VALUES ('bgnbd'), ('pareto_nbd')) hs(h),
     LATERAL (SELECT test.prediction_outcome('SELECT ' || format(f, m, h)) AS outcome) o
GROUP BY 1, 2 ORDER BY 1, 2;
SELECT outcome, count(*) AS expected_spend
FROM unnest('{1e300,1e-300}'::text[]) p, unnest('{1e300,1e-300}'::text[]) q, unnest('{1e300,1e-300}'::text[]) v,
     LATERAL (SELECT test.prediction_outcome(format('SELECT crm.expected_spend(ROW(%s, %s, %s, 0, 1, 1, true, 0, 0, 0)::crm.gamma_gamma_model, 2, 20)',
                                                    p, q, v)) AS outcome) o
GROUP BY 1 ORDER BY 1;

-- where the answer is known: r = alpha = a = b (or s = beta) = 1e300 is the model
-- without heterogeneity, purchase and dropout rates exactly 1 (BG/NBD: dropout
-- probability 1/2 after each purchase): P(alive) = 1 / (1 + e^2) and
-- 1 / (1 + (e^4 - 1) / 2); the expected purchases are refused (22003, named)
SELECT test.check('bgnbd', crm.p_alive(ROW(1e300, 1e300, 1e300, 1e300, 0, 1, 1, true, 0, 0, 0, 0)::crm.bgnbd_model, 2, 1, 3),
                  1 / (1 + exp(2.0)), 1e-14) AS bgnbd_p_alive,
       test.check('pareto', crm.p_alive(ROW(1e300, 1e300, 1e300, 1e300, 0, 1, 1, true, 0, 0, 0, 0)::crm.pareto_nbd_model, 2, 1, 3),
                  1 / (1 + (exp(4.0) - 1) / 2), 1e-12) AS pareto_p_alive;
SELECT test.error_of($$SELECT crm.expected_purchases(ROW(1e300, 1e300, 1e300, 1e300, 0, 1, 1, true, 0, 0, 0, 0)::crm.pareto_nbd_model, 10)$$);
SELECT test.error_of($$SELECT crm.ltv_estimate(ROW(1e300, 1e300, 1e300, 1e300, 0, 1, 1, true, 0, 0, 0, 0)::crm.pareto_nbd_model,
                                               ROW(6, 4, 15, 0, 1, 1, true, 0, 0, 0)::crm.gamma_gamma_model, 2, 1, 3, 20, 10)$$);
