-- Campaign incrementality: sources, crm.campaign_report and crm.campaign_performance
-- on simulated campaigns whose true effect is known (deterministic pseudo-random
-- numbers from md5, so the output is the same on every run).
SET client_min_messages = warning;
SET timezone = 'UTC';
SET extra_float_digits = 0;

-- test.uniform(id, salt): a fixed number in [0, 1) per (id, salt)
CREATE FUNCTION test.uniform(id bigint, salt text) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
	SELECT ('x' || substr(md5(id::text || '/' || salt), 1, 13))::bit(52)::bigint / 4503599627370496.0
$$;

CREATE SCHEMA store;
CREATE TABLE store.customers (customer_id bigint PRIMARY KEY, propensity float8, basket float8,
                              tz text, birthday date, email_ok boolean);
-- propensity: chance to buy in a week (0 .. 0.6, mean 0.3); basket: mean order value (20 .. 100, mean 60)
INSERT INTO store.customers
SELECT i, 0.6 * test.uniform(i, 'propensity'), 20 + 80 * test.uniform(i, 'basket'), 'Europe/Berlin', NULL, true
FROM generate_series(1, 20000) i;
CREATE TABLE store.orders (order_id bigint GENERATED ALWAYS AS IDENTITY, customer_id bigint,
                           purchased_at timestamptz, total numeric(10, 2), note text);

-- no source yet: a clear error
SELECT crm.create_campaign('reactivation', 'SELECT customer_id FROM store.customers', 'email',
                           holdout_percent => 50, salt => 7) IS NOT NULL AS created;
SELECT test.error_of($$SELECT * FROM crm.campaign_report('reactivation')$$);

-- registering sources: validated
SELECT test.error_of($$SELECT crm.register_source('order', 'store.orders')$$);
SELECT test.error_of($$SELECT crm.register_source('orders', 'store.orders', 'customer_id', 'created_at', 'total')$$);
SELECT test.error_of($$SELECT crm.register_source('orders', 'store.orders', 'customer_id', 'note', 'total')$$);
SELECT test.error_of($$SELECT crm.register_source('orders', 'store.orders', 'customer_id', 'purchased_at', 'note')$$);
SELECT test.error_of($$SELECT crm.register_source('orders', 'store.orders', 'total', 'purchased_at', 'total')$$);
SELECT test.error_of($$SELECT crm.register_source('customers', 'store.customers', time_zone_column => 'birthday')$$);
SELECT test.error_of($$SELECT crm.register_source('customers', 'store.customers', amount_column => 'basket')$$);
SELECT crm.register_source('orders', 'store.orders', 'customer_id', 'purchased_at', 'total');
SELECT crm.register_source('customers', 'store.customers', time_zone_column => 'tz',
                           consent_column => 'email_ok');
SELECT kind, relation, customer_column, customer_type, time_column, amount_column, time_zone_column,
       consent_column
FROM crm.sources ORDER BY kind;

-- The campaign ran a week ago: 20,000 customers, half held out.  Treated customers buy with
-- 1.3 times their usual propensity in the week after the send; every order is worth their basket
-- times 0.5 .. 1.5.  The truth: conversion uplift 0.3 * E[propensity] = 0.09, revenue uplift per
-- customer 0.3 * E[propensity] * E[basket] = 5.4.  The week before the send is the pre-period,
-- at the usual propensity: it predicts the outcome, which is what CUPED uses.
SELECT entries, control FROM crm.run_campaign('reactivation');
UPDATE crm.campaign_entries SET would_send_at = '2024-05-01 12:00+00'
WHERE campaign_id = (SELECT campaign_id FROM crm.campaigns WHERE name = 'reactivation');
INSERT INTO store.orders (customer_id, purchased_at, total)
SELECT c.customer_id, timestamptz '2024-04-24 12:00+00' + test.uniform(c.customer_id, 'pre-time') * interval '7 days',
       c.basket * (0.5 + test.uniform(c.customer_id, 'pre-amount'))
FROM store.customers c WHERE test.uniform(c.customer_id, 'pre') < c.propensity;
INSERT INTO store.orders (customer_id, purchased_at, total)
SELECT c.customer_id, timestamptz '2024-05-01 12:00+00' + test.uniform(c.customer_id, 'post-time') * interval '7 days',
       c.basket * (0.5 + test.uniform(c.customer_id, 'post-amount'))
FROM store.customers c JOIN crm.campaign_entries e ON e.customer_id = c.customer_id::text
JOIN crm.campaigns k ON k.campaign_id = e.campaign_id AND k.name = 'reactivation'
WHERE test.uniform(c.customer_id, 'post') < c.propensity * CASE WHEN e.arm = 'treatment' THEN 1.3 ELSE 1 END;
ANALYZE store.orders;

CREATE TEMP TABLE report AS SELECT * FROM crm.campaign_report('reactivation', '7 days');
SELECT customers_treatment + customers_control AS customers, entries_pending,
       round(conversion_rate_control::numeric, 3) AS rate_control, round(conversion_rate_treatment::numeric, 3) AS rate_treatment,
       conversion_uplift_ci_low < 0.09 AND 0.09 < conversion_uplift_ci_high AS true_conversion_uplift_in_ci,
       revenue_uplift_ci_low < 5.4 AND 5.4 < revenue_uplift_ci_high AS true_revenue_uplift_in_ci,
       conversion_p_value < 1e-6 AND revenue_p_value < 1e-6 AS significant,
       round(cuped_variance_reduction::numeric, 2) AS cuped_variance_reduction,
       srm_p_value > 0.001 AS no_srm, always_valid_p_value < 0.05 AS always_valid_significant,
       sequential_ci_low <= revenue_uplift_ci_low AND sequential_ci_high >= revenue_uplift_ci_high AS sequential_ci_wider,
       verdict
FROM report;
-- the report's numbers are the experiment statistics of the per-customer outcomes
WITH outcome AS (
	SELECT e.arm = 'treatment' AS treated,
	       coalesce(sum(o.total) FILTER (WHERE o.purchased_at >= e.would_send_at), 0)::float8 AS revenue,
	       coalesce(sum(o.total) FILTER (WHERE o.purchased_at < e.would_send_at), 0)::float8 AS pre_revenue,
	       count(o.order_id) FILTER (WHERE o.purchased_at >= e.would_send_at) > 0 AS converted
	FROM crm.campaign_entries e JOIN crm.campaigns k ON k.campaign_id = e.campaign_id AND k.name = 'reactivation'
	LEFT JOIN store.orders o ON o.customer_id = e.customer_id::bigint
	     AND o.purchased_at >= e.would_send_at - interval '7 days' AND o.purchased_at < e.would_send_at + interval '7 days'
	GROUP BY e.entry_id, e.arm
), stats AS (
	SELECT crm.uplift_ztest(treated, converted) AS z, crm.uplift_ttest(treated, revenue) AS t,
	       crm.uplift_ttest_cuped(treated, revenue, pre_revenue) AS cuped,
	       sum(revenue) FILTER (WHERE treated) AS revenue_treatment
	FROM outcome
)
SELECT test.check('conversion uplift', r.conversion_uplift, (s.z).uplift, 1e-12) AS conversion_uplift,
       test.check('conversion p', r.conversion_p_value, (s.z).p_value, 1e-9) AS conversion_p,
       test.check('revenue per customer', r.revenue_per_customer_treatment, (s.t).mean_treatment, 1e-12) AS revenue_per_customer,
       test.check('revenue', r.revenue_treatment, s.revenue_treatment, 1e-12) AS revenue,
       test.check('cuped uplift', r.revenue_uplift, (s.cuped).uplift, 1e-12) AS cuped_uplift,
       test.check('incremental', r.incremental_revenue, (s.cuped).incremental_total, 1e-12) AS incremental,
       (s.cuped).uplift_ci_high - (s.cuped).uplift_ci_low < (s.t).uplift_ci_high - (s.t).uplift_ci_low AS cuped_ci_narrower,
       test.check('srm', r.srm_p_value, crm.srm_test(r.customers_treatment, r.customers_control, 0.5), 1e-12) AS srm
FROM report r, stats s;

-- No true effect: 30 A/A splits of the same customers (other salts, so other holdout groups)
-- give p-values spread over (0, 1): a coarse uniformity check.
DO $$
BEGIN
	FOR i IN 1..30 LOOP
		PERFORM crm.create_campaign('aa_' || i, 'SELECT customer_id FROM store.customers WHERE customer_id <= 4000',
		                            'email', holdout_percent => 50, salt => 1000 + i);
		PERFORM crm.run_campaign('aa_' || i);
	END LOOP;
END $$;
UPDATE crm.campaign_entries SET would_send_at = '2024-05-01 12:00+00'
WHERE campaign_id IN (SELECT campaign_id FROM crm.campaigns WHERE name LIKE 'aa\_%');
SET crm_marketing.min_sample_size = 100;
CREATE TEMP TABLE aa AS
SELECT r.* FROM crm.campaigns c, LATERAL crm.campaign_report(c.name) r WHERE c.name LIKE 'aa\_%';
SELECT count(*) AS experiments,
       count(*) FILTER (WHERE revenue_p_value < 0.05) AS revenue_p_below_005,
       count(*) FILTER (WHERE conversion_p_value < 0.05) AS conversion_p_below_005,
       avg(revenue_p_value) BETWEEN 0.3 AND 0.7 AS mean_p_near_half,
       count(*) FILTER (WHERE revenue_p_value < 0.5) BETWEEN 8 AND 22 AS half_below_half,
       count(*) FILTER (WHERE verdict IN ('winner', 'loser')) AS false_verdicts
FROM aa;

-- too small: fewer customers per arm than crm_marketing.min_sample_size
SET crm_marketing.min_sample_size = 5000;
SELECT verdict FROM crm.campaign_report('aa_1');
RESET crm_marketing.min_sample_size;
SELECT verdict FROM crm.campaign_report('reactivation');

-- SRM: a bug that lost a fifth of the control group is caught, and no winner is called
DELETE FROM crm.campaign_entries
WHERE campaign_id = (SELECT campaign_id FROM crm.campaigns WHERE name = 'aa_2') AND arm = 'control'
  AND test.uniform(customer_id::bigint, 'lost') < 0.2;
SELECT srm_p_value < 0.001 AS srm_detected, verdict FROM crm.campaign_report('aa_2');

-- Attribution window edges and intention to treat, on four customers.
CREATE TABLE store.small_orders (customer text, at timestamptz, amount float8);
CREATE TABLE store.small_customers (customer text);
INSERT INTO store.small_customers VALUES ('a'), ('b'), ('c'), ('d');
-- (their consent is not in store.customers: the customers source is dropped for them)
DELETE FROM crm.sources WHERE kind = 'customers';
SELECT crm.create_campaign('edges', 'SELECT customer AS customer_id FROM store.small_customers', 'sms',
                           holdout_percent => 0, salt => 3) IS NOT NULL AS created;
SELECT entries FROM crm.run_campaign('edges');
UPDATE crm.campaign_entries SET would_send_at = '2024-06-01 00:00+00'
WHERE campaign_id = (SELECT campaign_id FROM crm.campaigns WHERE name = 'edges');
SELECT crm.register_source('orders', 'store.small_orders', 'customer', 'at', 'amount');
INSERT INTO store.small_orders VALUES
	('a', '2024-06-01 00:00+00', 10),        -- at the would-send time: counts
	('b', '2024-06-07 23:59:59+00', 20),     -- last second of a 7-day window: counts
	('c', '2024-06-08 00:00+00', 40),        -- the window's end: does not count
	('d', '2024-05-31 23:59:59+00', 80);     -- before the send: pre-period only
SELECT customers_treatment, customers_control, converters_treatment, revenue_treatment,
       revenue_per_customer_treatment, conversion_p_value, srm_p_value, verdict
FROM crm.campaign_report('edges', '7 days');
SELECT converters_treatment, revenue_treatment FROM crm.campaign_report('edges', '7 days 1 second');
-- a window that has not ended yet is pending, not counted
UPDATE crm.campaign_entries SET would_send_at = now() - interval '1 day'
WHERE campaign_id = (SELECT campaign_id FROM crm.campaigns WHERE name = 'edges') AND customer_id = 'd';
SELECT customers_treatment, entries_pending FROM crm.campaign_report('edges', '7 days');

-- Last touch: purchases after a message was sent, unless a later message reached the customer first.
SELECT crm.create_campaign('edges_followup', $$SELECT customer AS customer_id FROM store.small_customers
                                               WHERE customer IN ('a', 'b')$$, 'sms', holdout_percent => 0, salt => 4)
       IS NOT NULL AS created;
SELECT entries FROM crm.run_campaign('edges_followup');
SELECT count(*) AS reports FROM (
	SELECT crm.report_delivery(o.message_id, s.status, NULL, s.at)
	FROM crm.outbox o JOIN crm.campaigns c USING (campaign_id),
	     LATERAL (VALUES ('sent', CASE c.name WHEN 'edges' THEN timestamptz '2024-05-31 12:00+00' ELSE '2024-06-05 00:00+00' END),
	                     ('delivered', CASE c.name WHEN 'edges' THEN timestamptz '2024-05-31 12:01+00' ELSE '2024-06-05 00:01+00' END)) s(status, at)
	WHERE c.name IN ('edges', 'edges_followup') AND (o.customer_id <> 'c' OR s.status = 'sent')) r;
-- a: bought 06-01, last touch edges (05-31) -> edges; b: bought 06-07, followup touched on 06-05 -> followup;
-- d: bought 05-31 23:59:59, after edges' touch at 12:00 -> edges; c: bought 06-08, 7.5 days after the touch -> none
SELECT c.name, r.purchases_from_mailings_last_touch, r.revenue_from_mailings_last_touch,
       round(r.revenue_share_last_touch::numeric, 4) AS share
FROM crm.campaigns c, LATERAL crm.campaign_report(c.name, '7 days') r
WHERE c.name IN ('edges', 'edges_followup') ORDER BY 1;

-- The BI view: funnel and report per campaign.
SELECT crm.report_delivery(o.message_id, 'opened', NULL, '2024-06-05 01:00+00') IS NOT NULL AS opened
FROM crm.outbox o JOIN crm.campaigns c USING (campaign_id) WHERE c.name = 'edges' AND o.customer_id IN ('a', 'b');
SELECT crm.report_delivery(o.message_id, 'clicked', NULL, '2024-06-05 02:00+00') IS NOT NULL AS clicked
FROM crm.outbox o JOIN crm.campaigns c USING (campaign_id) WHERE c.name = 'edges' AND o.customer_id = 'a';
SET crm_marketing.attribution_window = '7d';
SELECT campaign, channel, messages, sent, delivered, opened, clicked, bounced, delivery_rate, open_rate,
       click_through_rate, click_to_open_rate, conversions, revenue, verdict, purchases_from_mailings_last_touch,
       round(share_of_revenue::numeric, 4) AS share_of_revenue
FROM crm.campaign_performance WHERE campaign LIKE 'edges%' ORDER BY campaign;
SELECT count(*) AS campaigns, count(*) FILTER (WHERE verdict IS NOT NULL) AS with_verdict
FROM crm.campaign_performance WHERE campaign = 'reactivation' OR campaign LIKE 'aa\_%' OR campaign LIKE 'edges%';

-- errors
SELECT test.error_of($$SELECT * FROM crm.campaign_report('nope')$$);
SELECT test.error_of($$SELECT * FROM crm.campaign_report('edges', '0 days')$$);
SELECT test.error_of($$SELECT * FROM crm.campaign_report('edges', '1 day', '-1 day')$$);
SELECT test.error_of($$SELECT * FROM crm.campaign_report('edges', '1 day', confidence => 1)$$);
-- registering needs the right to read the columns (42501), and EXECUTE granted by the DBA
CREATE ROLE crm_report_reader;
GRANT USAGE ON SCHEMA crm, store, test TO crm_report_reader;
SET ROLE crm_report_reader;
SELECT test.error_of($$SELECT crm.register_source('orders', 'store.orders', 'customer_id', 'purchased_at', 'total')$$);
RESET ROLE;
GRANT EXECUTE ON FUNCTION crm.register_source TO crm_report_reader;
SET ROLE crm_report_reader;
SELECT test.error_of($$SELECT crm.register_source('orders', 'store.orders', 'customer_id', 'purchased_at', 'total')$$);
RESET ROLE;

-- cleanup
DO $$
DECLARE
	c text;
BEGIN
	FOR c IN SELECT name FROM crm.campaigns WHERE name = 'reactivation' OR name LIKE 'aa\_%' OR name LIKE 'edges%' LOOP
		PERFORM crm.drop_campaign(c);
	END LOOP;
END $$;
DELETE FROM crm.sources;
DROP SCHEMA store CASCADE;
DROP FUNCTION test.uniform(bigint, text);
REVOKE ALL ON SCHEMA crm, test FROM crm_report_reader;
REVOKE ALL ON FUNCTION crm.register_source FROM crm_report_reader;
DROP ROLE crm_report_reader;
