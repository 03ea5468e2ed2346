-- The trigger-campaign templates of doc/reference/automation.md, run against
-- its example schema: every template there is this file's SQL.
SET TimeZone = 'UTC';
CREATE SCHEMA example;
CREATE TABLE example.customers (
	customer_id bigint PRIMARY KEY,
	email text,
	time_zone text,            -- IANA name, e.g. 'Europe/Berlin'
	birthday date,
	signed_up_at timestamptz NOT NULL,
	marketing_consent boolean NOT NULL DEFAULT false
);
CREATE TABLE example.orders (
	order_id bigint PRIMARY KEY,
	customer_id bigint NOT NULL REFERENCES example.customers,
	purchased_at timestamptz NOT NULL,
	amount numeric(12, 2) NOT NULL
);
CREATE TABLE example.order_items (
	order_id bigint NOT NULL REFERENCES example.orders,
	product_id bigint NOT NULL,
	category text NOT NULL
);
CREATE TABLE example.carts (
	cart_id text PRIMARY KEY,
	customer_id bigint NOT NULL REFERENCES example.customers,
	updated_at timestamptz NOT NULL,
	checked_out boolean NOT NULL DEFAULT false
);

-- some data: 100 customers, orders of the last two years, carts of today
INSERT INTO example.customers
SELECT i, 'c' || i || '@example.com', (ARRAY['Europe/Berlin', 'America/New_York', NULL])[1 + i % 3],
       CASE WHEN i % 10 = 0 THEN (now() AT TIME ZONE 'UTC')::date ELSE date '1990-01-15' END,
       now() - (i % 40) * interval '1 day', i % 4 <> 0
FROM generate_series(1, 100) i;
INSERT INTO example.orders
SELECT o, 1 + o % 100, now() - (o % 700) * interval '1 day' - interval '3 days', 10 + o % 90
FROM generate_series(1, 1000) o;
INSERT INTO example.order_items SELECT order_id, order_id % 17, (ARRAY['shoes', 'bags', 'socks'])[1 + order_id % 3] FROM example.orders;
INSERT INTO example.carts SELECT 'cart-' || i, i, now() - (i % 30) * interval '1 hour', i % 5 = 0 FROM generate_series(1, 100) i;

-- 1. welcome: new customers who agreed to marketing, once each
SELECT crm.create_campaign('welcome',
  $$SELECT customer_id, time_zone
    FROM example.customers
    WHERE signed_up_at > now() - interval '7 days' AND marketing_consent$$,
  'email', run_every => '15 minutes', holdout_percent => 10, salt => 1) > 0;

-- 2. abandoned cart: carts left 1 to 24 hours ago, once per cart, not at night
SELECT crm.create_campaign('abandoned_cart',
  $$SELECT c.customer_id, c.cart_id AS event_key, k.time_zone,
           jsonb_build_object('cart_id', c.cart_id) AS payload
    FROM example.carts c JOIN example.customers k USING (customer_id)
    WHERE NOT c.checked_out AND k.marketing_consent
      AND c.updated_at BETWEEN now() - interval '24 hours' AND now() - interval '1 hour'$$,
  'push', run_every => '10 minutes', reentry => 'per_event_key', holdout_percent => 10,
  quiet_start => '21:00', quiet_end => '08:00', max_delay => '12 hours', salt => 2) > 0;

-- 3. post-purchase cross-sell: three days after an order, once per order
SELECT crm.create_campaign('cross_sell',
  $$SELECT o.customer_id, o.order_id::text AS event_key, k.time_zone,
           jsonb_build_object('bought', array_agg(DISTINCT i.category)) AS payload
    FROM example.orders o
    JOIN example.order_items i USING (order_id)
    JOIN example.customers k USING (customer_id)
    WHERE o.purchased_at BETWEEN now() - interval '4 days' AND now() - interval '3 days'
      AND k.marketing_consent
    GROUP BY o.customer_id, o.order_id, k.time_zone$$,
  'email', run_every => '1 hour', reentry => 'per_event_key', holdout_percent => 10, salt => 3) > 0;

-- 4. win-back: customers who entered the RFM "At Risk" segment, at most once a quarter,
--    within a cap of 3 emails a week across campaigns
SELECT crm.create_segment('at_risk',
  $$SELECT customer_id::bigint FROM crm.rfm_segments('example.orders')
    WHERE segment IN ('At Risk', 'Can''t Lose Them')$$,
  refresh_every => '1 day') > 0;
SELECT crm.create_frequency_cap('email_weekly', 3, '7 days', 'email');
SELECT crm.create_campaign('win_back',
  $$SELECT m.customer_id::bigint AS customer_id, k.time_zone
    FROM crm.segment_members m JOIN example.customers k ON k.customer_id = m.customer_id::bigint
    WHERE m.segment = 'at_risk' AND m.entered_at > now() - interval '1 day' AND k.marketing_consent$$,
  'email', run_every => '1 day', reentry => 'cooldown', cooldown => '90 days',
  holdout_percent => 20, frequency_cap => 'email_weekly', salt => 4) > 0;

-- 5. birthday: on the customer's birthday in their own time zone, once a year
SELECT crm.create_campaign('birthday',
  $$SELECT customer_id, time_zone,
           extract(year FROM now() AT TIME ZONE coalesce(time_zone, 'UTC'))::text AS event_key
    FROM example.customers
    WHERE marketing_consent
      AND to_char(now() AT TIME ZONE coalesce(time_zone, 'UTC'), 'MM-DD') = to_char(birthday, 'MM-DD')$$,
  'email', run_every => '1 hour', reentry => 'per_event_key', holdout_percent => 10, salt => 5) > 0;

-- run them (the worker would, on its schedule) and check what each produced
SELECT members > 0 AS segment_has_members FROM crm.refresh_segment('at_risk');
SELECT name, (r).audience > 0 AS found_customers, (r).entries = (r).audience AS all_entered,
       (r).entries = (r).control + (r).messages + (r).skipped AS arms_add_up
FROM (SELECT name, crm.run_campaign(name) AS r FROM crm.campaigns ORDER BY campaign_id) x;
-- a second run of each adds nobody
SELECT name, (crm.run_campaign(name)).entries AS second_run FROM crm.campaigns ORDER BY campaign_id;
SELECT channel, count(*) > 0 AS has_messages FROM crm.outbox GROUP BY channel ORDER BY channel;
