
-- Campaign incrementality: the per-campaign report against the control group
-- on the orders source (automation_sources.sql), and the BI view with the
-- message funnel.

CREATE TYPE @extschema@.campaign_report_result AS (
	campaign text,
	attribution_window interval,
	customers_treatment bigint,       -- matured entries (would-send time + window in the past)
	customers_control bigint,
	entries_pending bigint,           -- entries whose window is still open, not counted yet
	converters_treatment bigint,
	converters_control bigint,
	conversion_rate_treatment float8,
	conversion_rate_control float8,
	conversion_uplift float8,
	conversion_uplift_ci_low float8,
	conversion_uplift_ci_high float8,
	conversion_p_value float8,
	revenue_treatment float8,
	revenue_control float8,
	revenue_per_customer_treatment float8,
	revenue_per_customer_control float8,
	revenue_uplift float8,            -- per customer, CUPED-adjusted
	revenue_uplift_ci_low float8,
	revenue_uplift_ci_high float8,
	revenue_lift float8,              -- relative to the control's unadjusted revenue per customer
	revenue_p_value float8,
	incremental_revenue float8,
	incremental_revenue_ci_low float8,
	incremental_revenue_ci_high float8,
	cuped_variance_reduction float8,
	srm_p_value float8,
	always_valid_p_value float8,
	sequential_ci_low float8,
	sequential_ci_high float8,
	verdict text,
	purchases_from_mailings_last_touch bigint,
	revenue_from_mailings_last_touch float8,
	revenue_share_last_touch float8
);

CREATE FUNCTION @extschema@.campaign_report(campaign text, attribution_window interval DEFAULT '7 days',
	pre_period interval DEFAULT NULL, mixture_sd float8 DEFAULT NULL, confidence float8 DEFAULT 0.95)
RETURNS @extschema@.campaign_report_result
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c record;
	stats record;
	src @extschema@.sources := @extschema@._orders_source();
	r @extschema@.campaign_report_result;
	conv @extschema@.ztest_result;
	rev @extschema@.ttest_result;
	cuped @extschema@.ttest_cuped_result;
	seq @extschema@.sequential_result;
	pending bigint;
	rev_t float8;
	rev_c float8;
	tau float8;
	min_n bigint := coalesce(nullif(current_setting('crm_marketing.min_sample_size', true), '')::bigint, 1000);
	orders_sql text;
BEGIN
	SELECT * INTO c FROM @extschema@.campaigns WHERE name = campaign;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'campaign "%" does not exist', campaign USING ERRCODE = 'undefined_object';
	END IF;
	IF attribution_window IS NULL OR attribution_window <= interval '0' THEN
		RAISE EXCEPTION 'crm.campaign_report: attribution_window must be a positive interval, got %',
			coalesce(attribution_window::text, 'NULL') USING ERRCODE = 'invalid_parameter_value';
	END IF;
	pre_period := coalesce(pre_period, attribution_window);
	IF pre_period < interval '0' THEN
		RAISE EXCEPTION 'crm.campaign_report: pre_period must not be negative, got %', pre_period
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF confidence IS NULL OR NOT (confidence > 0 AND confidence < 1) THEN
		RAISE EXCEPTION 'crm.campaign_report: confidence must be between 0 and 1, got %', coalesce(confidence::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;

	-- the orders, as (customer, at, amount) under the source's own column names, quoted
	orders_sql := format('SELECT %I AS customer, %I::timestamptz AS at, %I::float8 AS amount FROM %s',
	                     src.customer_column, src.time_column, src.amount_column, src.relation);

	-- one row per matured entry: conversions in [would_send_at, + window), pre-period revenue before it
	EXECUTE format($q$
		WITH e AS (
			SELECT entry_id, customer_id::%1$s AS customer, arm = 'treatment' AS treated, would_send_at AS t0
			FROM @extschema@.campaign_entries
			WHERE campaign_id = $1 AND would_send_at + $2 <= pg_catalog.now()
		), outcome AS (
			SELECT e.treated,
			       count(o.at) FILTER (WHERE o.at >= e.t0) > 0 AS converted,
			       coalesce(sum(o.amount) FILTER (WHERE o.at >= e.t0), 0) AS revenue,
			       coalesce(sum(o.amount) FILTER (WHERE o.at < e.t0), 0) AS pre_revenue
			FROM e LEFT JOIN (%2$s) o ON o.customer = e.customer AND o.at >= e.t0 - $3 AND o.at < e.t0 + $2
			GROUP BY e.entry_id, e.treated
		)
		SELECT @extschema@.uplift_ztest(treated, converted, $4) AS conv,
		       @extschema@.uplift_ttest(treated, revenue, $4) AS rev,
		       @extschema@.uplift_ttest_cuped(treated, revenue, pre_revenue, $4) AS cuped,
		       coalesce(sum(revenue) FILTER (WHERE treated), 0) AS rev_t,
		       coalesce(sum(revenue) FILTER (WHERE NOT treated), 0) AS rev_c
		FROM outcome$q$, src.customer_type, orders_sql)
	INTO stats
	USING c.campaign_id, attribution_window, pre_period, confidence;
	conv := stats.conv;
	rev := stats.rev;
	cuped := stats.cuped;
	rev_t := stats.rev_t;
	rev_c := stats.rev_c;

	SELECT count(*) INTO pending FROM @extschema@.campaign_entries
	WHERE campaign_id = c.campaign_id AND would_send_at + attribution_window > pg_catalog.now();

	r.campaign := c.name;
	r.attribution_window := attribution_window;
	r.customers_treatment := conv.n_treatment;
	r.customers_control := conv.n_control;
	r.entries_pending := pending;
	r.converters_treatment := conv.conversions_treatment;
	r.converters_control := conv.conversions_control;
	r.conversion_rate_treatment := conv.rate_treatment;
	r.conversion_rate_control := conv.rate_control;
	r.conversion_uplift := conv.uplift;
	r.conversion_uplift_ci_low := conv.uplift_ci_low;
	r.conversion_uplift_ci_high := conv.uplift_ci_high;
	r.conversion_p_value := conv.p_value;
	r.revenue_treatment := rev_t;
	r.revenue_control := rev_c;
	r.revenue_per_customer_treatment := rev.mean_treatment;
	r.revenue_per_customer_control := rev.mean_control;
	r.revenue_uplift := cuped.uplift;
	r.revenue_uplift_ci_low := cuped.uplift_ci_low;
	r.revenue_uplift_ci_high := cuped.uplift_ci_high;
	r.revenue_lift := cuped.lift;
	r.revenue_p_value := cuped.p_value;
	r.incremental_revenue := cuped.incremental_total;
	r.incremental_revenue_ci_low := cuped.incremental_ci_low;
	r.incremental_revenue_ci_high := cuped.incremental_ci_high;
	r.cuped_variance_reduction := cuped.variance_reduction;
	IF c.holdout_percent > 0 AND conv.n_treatment + conv.n_control > 0 THEN
		r.srm_p_value := @extschema@.srm_test(conv.n_treatment, conv.n_control, 1 - c.holdout_percent / 100);
	END IF;

	-- sequential monitoring of the revenue uplift: mixture sd 10 % of the control's revenue per customer
	tau := coalesce(mixture_sd, nullif(0.1 * abs(rev.mean_control), 0),
	                nullif(0.1 * greatest(rev.sd_treatment, rev.sd_control), 0));
	IF cuped.uplift IS NOT NULL AND tau IS NOT NULL THEN
		seq := @extschema@.sequential_test(cuped.uplift,
			cuped.sd_treatment ^ 2 / cuped.n_treatment + cuped.sd_control ^ 2 / cuped.n_control, tau ^ 2, confidence);
		r.always_valid_p_value := seq.always_valid_p_value;
		r.sequential_ci_low := seq.ci_low;
		r.sequential_ci_high := seq.ci_high;
	END IF;

	r.verdict := CASE
		WHEN r.srm_p_value < 0.001 THEN 'srm_failed'
		WHEN coalesce(least(conv.n_treatment, conv.n_control), 0) < min_n OR r.always_valid_p_value IS NULL THEN 'too_small'
		WHEN r.always_valid_p_value < 1 - confidence AND cuped.uplift > 0 THEN 'winner'
		WHEN r.always_valid_p_value < 1 - confidence AND cuped.uplift < 0 THEN 'loser'
		ELSE 'inconclusive' END;

	-- last touch: orders of treated customers within the window after a message of this campaign was
	-- sent, with no later message (of any campaign) sent to them before the order
	EXECUTE format($q$
		WITH touches AS (
			SELECT ob.message_id, ob.campaign_id, ob.customer_id, min(de.reported_at) AS touched_at
			FROM @extschema@.outbox ob JOIN @extschema@.delivery_events de USING (message_id)
			WHERE de.status IN ('sent', 'delivered', 'opened', 'clicked')
			  AND ob.customer_id IN (SELECT customer_id FROM @extschema@.outbox WHERE campaign_id = $1)
			GROUP BY 1, 2, 3
		), attributed AS (
			SELECT o.amount
			FROM touches m JOIN (%2$s) o ON o.customer = m.customer_id::%1$s
			     AND o.at >= m.touched_at AND o.at < m.touched_at + $2
			WHERE m.campaign_id = $1
			  AND NOT EXISTS (SELECT 1 FROM touches later WHERE later.customer_id = m.customer_id
			                  AND later.touched_at > m.touched_at AND later.touched_at <= o.at)
		)
		SELECT count(*), coalesce(sum(amount), 0) FROM attributed$q$, src.customer_type, orders_sql)
	INTO r.purchases_from_mailings_last_touch, r.revenue_from_mailings_last_touch
	USING c.campaign_id, attribution_window;

	-- share of all revenue since the campaign's first would-send time or first message, the earlier
	EXECUTE format($q$SELECT sum(amount) FROM (%s) o
	                  WHERE o.at >= least((SELECT min(would_send_at) FROM @extschema@.campaign_entries WHERE campaign_id = $1),
	                                      (SELECT min(de.reported_at) FROM @extschema@.outbox ob
	                                       JOIN @extschema@.delivery_events de USING (message_id)
	                                       WHERE ob.campaign_id = $1))$q$,
	               orders_sql)
	INTO rev_t USING c.campaign_id;
	IF rev_t > 0 THEN
		r.revenue_share_last_touch := r.revenue_from_mailings_last_touch / rev_t;
	END IF;
	RETURN r;
END $$;
COMMENT ON FUNCTION @extschema@.campaign_report(text, interval, interval, float8, float8) IS
  'Incrementality of a campaign against its control group: conversion and revenue uplift, SRM, always-valid p, verdict';

CREATE VIEW @extschema@.campaign_performance AS
SELECT c.name AS campaign, c.channel, c.status, c.holdout_percent,
       f.messages, f.sent, f.delivered, f.opened, f.clicked, f.bounced, f.unsubscribed,
       f.delivered::float8 / nullif(f.sent, 0) AS delivery_rate,
       f.opened::float8 / nullif(f.delivered, 0) AS open_rate,
       f.clicked::float8 / nullif(f.delivered, 0) AS click_through_rate,
       f.clicked::float8 / nullif(f.opened, 0) AS click_to_open_rate,
       r.customers_treatment, r.customers_control,
       r.converters_treatment AS conversions, r.conversion_rate_treatment, r.conversion_rate_control,
       r.conversion_uplift, r.revenue_treatment AS revenue, r.revenue_uplift, r.revenue_uplift_ci_low,
       r.revenue_uplift_ci_high, r.incremental_revenue, r.revenue_p_value, r.always_valid_p_value, r.srm_p_value,
       r.verdict, r.purchases_from_mailings_last_touch, r.revenue_from_mailings_last_touch,
       r.revenue_share_last_touch AS share_of_revenue
FROM @extschema@.campaigns c
CROSS JOIN LATERAL (
	SELECT count(*) AS messages,
	       count(*) FILTER (WHERE o.status IN ('sent', 'delivered', 'opened', 'clicked', 'bounced', 'unsubscribed')) AS sent,
	       count(*) FILTER (WHERE o.status IN ('delivered', 'opened', 'clicked', 'unsubscribed')) AS delivered,
	       count(*) FILTER (WHERE o.status IN ('opened', 'clicked')) AS opened,
	       count(*) FILTER (WHERE o.status = 'clicked') AS clicked,
	       count(*) FILTER (WHERE o.status = 'bounced') AS bounced,
	       count(*) FILTER (WHERE o.status = 'unsubscribed') AS unsubscribed
	FROM @extschema@.campaign_entries e JOIN @extschema@.outbox o ON o.message_id = e.message_id
	WHERE e.campaign_id = c.campaign_id) f
LEFT JOIN LATERAL (
	SELECT * FROM @extschema@.campaign_report(c.name,
		coalesce(nullif(pg_catalog.current_setting('crm_marketing.attribution_window', true), ''), '7d')::interval)
	WHERE EXISTS (SELECT FROM @extschema@.sources WHERE kind = 'orders')) r ON true;
COMMENT ON VIEW @extschema@.campaign_performance IS
  'One row per campaign: message funnel, conversions and revenue against the control group, verdict';
