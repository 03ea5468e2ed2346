-- make demo: a tour of crm_marketing on real orders (CDNOW, 1997-1998).
\set ON_ERROR_STOP on
\pset footer off
SET client_min_messages = warning;
CREATE EXTENSION crm_marketing;

\echo
\echo '=== Loading the real CDNOW orders (test/data/CDNOW_master.txt) ==='
\ir load_cdnow.sql
SELECT count(*) AS orders, count(DISTINCT customer_id) AS customers,
       min(purchased_at)::date AS first_order, max(purchased_at)::date AS last_order,
       sum(amount) AS revenue
FROM demo.orders;

\echo
\echo '=== Know the customer base: KPIs of the real CDNOW orders ==='
SELECT customers, orders, round(revenue::numeric) AS revenue, round(arpu::numeric, 2) AS arpu,
       round(average_order_value::numeric, 2) AS avg_order_value,
       round((100 * repeat_customer_rate)::numeric, 1) AS repeat_customers_pct,
       round(median_days_between_purchases::numeric, 1) AS median_days_between_orders
FROM (SELECT (crm.customer_kpis(customer_id, purchased_at, amount)).* FROM demo.orders) k;

\echo
\echo 'RFM segments on 1998-07-01 (quantile scores 1-5, ties share a score; rfm11 segment map):'
SELECT segment, count(*) AS customers, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS customers_pct,
       round(sum(revenue)::numeric) AS revenue, round((100 * sum(revenue) / sum(sum(revenue)) OVER ())::numeric, 1) AS revenue_pct,
       round(avg(recency_days)::numeric) AS avg_recency_days, round(avg(orders), 1) AS avg_orders
FROM crm.rfm_segments('demo.orders', 'customer_id', 'purchased_at', 'amount', as_of => '1998-07-01')
GROUP BY segment ORDER BY revenue_pct DESC;

\echo
\echo 'Monthly cohort retention (share of each cohort buying in month k after its first month):'
SELECT to_char(cohort, 'YYYY-MM') AS cohort, max(cohort_size) AS size,
       round((100 * max(retention_rate) FILTER (WHERE period_number = 1))::numeric, 1) AS m1,
       round((100 * max(retention_rate) FILTER (WHERE period_number = 2))::numeric, 1) AS m2,
       round((100 * max(retention_rate) FILTER (WHERE period_number = 3))::numeric, 1) AS m3,
       round((100 * max(retention_rate) FILTER (WHERE period_number = 6))::numeric, 1) AS m6,
       round((100 * max(retention_rate) FILTER (WHERE period_number = 12))::numeric, 1) AS m12,
       round((100 * max(retention_rate) FILTER (WHERE period_number = 15))::numeric, 1) AS m15,
       round(max(cumulative_revenue_per_customer) FILTER (WHERE period_number = 15)::numeric, 2) AS revenue_per_customer_m15
FROM crm.cohort_table((SELECT crm.cohort_retention(customer_id, purchased_at, 'month', amount) FROM demo.orders))
GROUP BY cohort ORDER BY cohort;

-- Revenue per customer after their first quarter: the outcome metric below.
CREATE TABLE demo.customers AS
SELECT customer_id, coalesce(sum(amount) FILTER (WHERE purchased_at >= '1997-04-01'), 0) AS later_revenue,
       count(*) FILTER (WHERE purchased_at >= '1997-04-01') > 0 AS came_back
FROM demo.orders GROUP BY customer_id;

\echo
\echo '=== Prove the effect. 1. An A/A test on real customers: split by customer id, no treatment at all ==='
\echo 'A sound test finds no difference (p well above 0.05) and no sample-ratio mismatch.'
SELECT n_treatment, n_control, round(mean_treatment::numeric, 2) AS mean_a, round(mean_control::numeric, 2) AS mean_b,
       round(uplift::numeric, 2) AS diff, round(uplift_ci_low::numeric, 2) AS ci_low,
       round(uplift_ci_high::numeric, 2) AS ci_high, round(p_value::numeric, 3) AS p_value,
       round(crm.srm_test(n_treatment, n_control)::numeric, 3) AS srm_p
FROM (SELECT (crm.uplift_ttest(customer_id % 2 = 0, later_revenue)).* FROM demo.customers) r;

-- demo.uniform(id, salt): a fixed pseudo-random number in [0, 1) per customer, for the simulations
CREATE FUNCTION demo.uniform(id bigint, salt text) RETURNS float8
LANGUAGE sql IMMUTABLE AS $$
	SELECT ('x' || substr(md5(salt || ':' || id), 1, 8))::bit(32)::bigint / 4294967296.0
$$;

\echo
\echo '=== 2. A win-back campaign (SIMULATED on top of the real customers) ==='
\echo 'Customers are assigned to the email (80%) or the holdout (20%) by a fixed hash.'
\echo 'Simulated truth: 10% of emailed customers buy one extra $35 order, i.e. +$3.50 per customer.'
CREATE TABLE demo.campaign AS
SELECT customer_id, treated,
       later_revenue + CASE WHEN treated AND responds THEN 35 ELSE 0 END AS revenue,
       came_back OR (treated AND responds) AS converted
FROM demo.customers,
     LATERAL (SELECT demo.uniform(customer_id, 'arm') < 0.8 AS treated,
                     demo.uniform(customer_id, 'response') < 0.10 AS responds) a;

\echo
\echo 'Conversion (came back and bought; pooled z-test, Newcombe interval): a clear effect.'
SELECT conversions_treatment AS conv_email, conversions_control AS conv_holdout,
       round((100 * rate_treatment)::numeric, 2) AS rate_email_pct,
       round((100 * rate_control)::numeric, 2) AS rate_holdout_pct,
       round((100 * uplift)::numeric, 2) AS uplift_pp,
       round((100 * uplift_ci_low)::numeric, 2) AS ci_low_pp, round((100 * uplift_ci_high)::numeric, 2) AS ci_high_pp,
       to_char(p_value, '9.9EEEE') AS p_value
FROM (SELECT (crm.uplift_ztest(treated, converted)).* FROM demo.campaign) r;

\echo
\echo 'Revenue per customer (Welch t-test, 95% CI; the simulated truth is +$3.50 per customer).'
\echo 'CDNOW revenue is heavy-tailed (sd about $200), so the interval is wide: see the planning section.'
SELECT n_treatment, n_control, round(mean_treatment::numeric, 2) AS mean_email,
       round(mean_control::numeric, 2) AS mean_holdout, round(uplift::numeric, 2) AS uplift,
       round(uplift_ci_low::numeric, 2) AS ci_low, round(uplift_ci_high::numeric, 2) AS ci_high,
       round(p_value::numeric, 4) AS p_value,
       round(incremental_total::numeric) AS incremental_revenue,
       round(incremental_ci_low::numeric) AS inc_ci_low, round(incremental_ci_high::numeric) AS inc_ci_high
FROM (SELECT (crm.uplift_ttest(treated, revenue)).* FROM demo.campaign) r;

\echo
\echo 'Was the 80/20 split honoured? (sample-ratio mismatch check, alarm below 0.001)'
SELECT count(*) FILTER (WHERE treated) AS emailed, count(*) FILTER (WHERE NOT treated) AS holdout,
       round(crm.srm_test(count(*) FILTER (WHERE treated), count(*) FILTER (WHERE NOT treated), 0.8)::numeric, 3) AS srm_p
FROM demo.campaign;

\echo
\echo '=== 3. An NPS survey by segment (SIMULATED answers of the real customers) ==='
\echo 'One customer in five answered; segments by number of orders, repeat buyers simulated happier.'
CREATE TABLE demo.survey AS
SELECT customer_id, segment,
       CASE WHEN u < p_detractor THEN floor(u / p_detractor * 7)                        -- 0..6
            WHEN u < p_detractor + p_passive THEN 7 + floor((u - p_detractor) / p_passive * 2)  -- 7..8
            ELSE 9 + floor((u - p_detractor - p_passive) / (1 - p_detractor - p_passive) * 2) -- 9..10
       END::int AS score
FROM (SELECT customer_id, count(*) AS n, demo.uniform(customer_id, 'nps') AS u
      FROM demo.orders GROUP BY customer_id) o,
     LATERAL (SELECT CASE WHEN n = 1 THEN 'one-time buyers' WHEN n <= 3 THEN '2-3 orders' ELSE '4+ orders' END AS segment,
                     CASE WHEN n = 1 THEN 0.40 WHEN n <= 3 THEN 0.30 ELSE 0.20 END AS p_detractor,
                     0.30 AS p_passive) p
WHERE demo.uniform(customer_id, 'asked') < 0.2;
SELECT segment, responses, promoters, passives, detractors, round(nps::numeric, 1) AS nps,
       round(margin_of_error::numeric, 1) AS margin, round(ci_low::numeric, 1) AS ci_low, round(ci_high::numeric, 1) AS ci_high
FROM (SELECT segment, (crm.nps(score)).* FROM demo.survey GROUP BY segment) r
ORDER BY nps;

\echo
\echo '=== 4. Planning the next test: how many customers per arm? (80% power, 5% two-sided) ==='
SELECT round(stddev_samp(later_revenue)::numeric, 2) AS revenue_sd,
       crm.ttest_sample_size(stddev_samp(later_revenue), 2.0) AS per_arm_to_detect_2_dollars,
       crm.ttest_sample_size(stddev_samp(later_revenue), 5.0) AS per_arm_to_detect_5_dollars
FROM demo.customers;
SELECT round(100 * avg(came_back::int), 1) AS comeback_rate_pct,
       crm.ztest_sample_size(avg(came_back::int), 0.01) AS per_arm_to_detect_plus_1pp,
       crm.ztest_sample_size(avg(came_back::int), 0.02, 0.05, 0.9) AS per_arm_plus_2pp_power_90
FROM demo.customers;

\echo
\echo '=== 5. Act automatically: a win-back campaign run by the background worker ==='
\echo 'A segment of the RFM "At Risk" and "Can''t Lose Them" customers, and a campaign on it with a'
\echo '20% holdout.  The worker (started by the launcher at CREATE EXTENSION) refreshes the segment,'
\echo 'runs the campaign and writes the messages to the outbox; we only wait for it.'
SELECT crm.create_segment('at_risk',
  $$SELECT customer_id FROM crm.rfm_segments('demo.orders', as_of => '1998-07-01')
    WHERE segment IN ('At Risk', 'Can''t Lose Them')$$, refresh_every => '1 day') AS segment_id;
SELECT crm.create_campaign('win_back',
  $$SELECT customer_id::bigint AS customer_id, jsonb_build_object('template', 'win_back_10_percent') AS payload
    FROM crm.segment_members WHERE segment = 'at_risk'$$,
  'email', run_every => '1 day', holdout_percent => 20, salt => 1998) AS campaign_id;
DO $$
BEGIN
	FOR i IN 1..120 LOOP
		EXIT WHEN EXISTS (SELECT 1 FROM crm.job_runs WHERE job_name = 'win_back');
		PERFORM pg_sleep(0.25);
	END LOOP;
END $$;
SELECT database, state, jobs_run, last_error IS NULL AS healthy FROM crm.worker_status WHERE database = current_database();
SELECT job_kind, job_name, run_by, status, audience, entries, control, messages FROM crm.job_runs ORDER BY run_id;
SELECT arm, count(*) AS customers, count(message_id) AS messages FROM crm.campaign_entries GROUP BY arm ORDER BY arm;

\echo
\echo 'A delivery system claims the messages and reports back (simulated: every message is sent and'
\echo 'delivered; a fixed share is opened and clicked):'
CREATE TEMP TABLE claimed AS SELECT message_id, customer_id FROM crm.claim_messages('email', 100000, '10 minutes');
SELECT count(*) FILTER (WHERE crm.report_delivery(message_id, 'sent') IS NOT NULL) AS sent,
       count(*) FILTER (WHERE crm.report_delivery(message_id, 'delivered') IS NOT NULL) AS delivered,
       count(*) FILTER (WHERE demo.uniform(message_id, 'open') < 0.35 AND crm.report_delivery(message_id, 'opened') IS NOT NULL) AS opened,
       count(*) FILTER (WHERE demo.uniform(message_id, 'open') < 0.08 AND crm.report_delivery(message_id, 'clicked') IS NOT NULL) AS clicked
FROM claimed;
SELECT status, count(*) FROM crm.outbox GROUP BY status ORDER BY min(crm._status_rank(status));
