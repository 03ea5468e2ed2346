-- Campaigns, segments, the outbox and the delivery hand-off, run by hand
-- (crm.run_campaign is the worker's code path; the worker itself is tested
-- by the TAP tests in test/t/).

-- SipHash-2-4 against the test vectors of Aumasson & Bernstein (2012):
-- key 00..0f, message 00..(len-1); and the holdout hash against an independent
-- implementation (Rust's std SipHasher, SipHash-2-4).
SELECT len, to_hex(crm._siphash24(506097522914230528, 1084818905618843912,
                                  substring('\x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f'::bytea
                                            FROM 1 FOR len))) AS siphash
FROM unnest(ARRAY[0, 1, 2, 7, 8, 15, 16, 63]) len;
-- expected: 726fdb47dd0e0e31 74f839c593dc67fd d6c8009d9a94f5a ab0200f58b01d137 93f5f5799a932462
--           a129ca6149be45e5 3f2acc7f57c29bdb 958a324ceb064572
SELECT crm.holdout_bucket(42, '12345') = (x'e850f1ab14b979ac'::bit(64)::bigint::numeric % 18446744073709551616
                                          + CASE WHEN x'e850f1ab14b979ac'::bit(64)::bigint < 0 THEN 18446744073709551616 ELSE 0 END
                                         )::numeric / 2048 / 9007199254740992 AS bucket_matches_reference;

-- buckets are uniform: the share below 0.2 over 100,000 ids is within 4 standard errors of 0.2,
-- and a salt gives the same buckets every time
SELECT abs(avg((crm.holdout_bucket(7, i::text) < 0.2)::int) - 0.2) < 4 * sqrt(0.2 * 0.8 / 100000) AS share_ok,
       bool_and(crm.holdout_bucket(7, i::text) = crm.holdout_bucket(7, i::text)) AS stable,
       corr(crm.holdout_bucket(7, i::text), crm.holdout_bucket(8, i::text)) BETWEEN -0.02 AND 0.02 AS salts_independent
FROM generate_series(1, 100000) i;

-- quiet hours, against Python's zoneinfo (computed independently, see the comment of each case)
SET TimeZone = 'UTC';
SELECT crm.quiet_hours_release('2024-03-30 23:00+00', 'Europe/Berlin', '22:00', '08:00') AS berlin_dst_starts,  -- 2024-03-31 06:00
       crm.quiet_hours_release('2024-11-03 05:00+00', 'America/New_York', '22:00', '08:00') AS ny_dst_ends,     -- 2024-11-03 13:00
       crm.quiet_hours_release('2024-06-01 10:00+00', 'Europe/Berlin', '22:00', '08:00') AS not_quiet,          -- unchanged
       crm.quiet_hours_release('2024-06-01 10:30+00', 'Europe/Berlin', '12:00', '14:00') AS same_day,           -- 2024-06-01 12:00
       crm.quiet_hours_release('2024-06-01 21:00+00', 'Europe/Berlin', '22:00', '08:00') AS next_morning,       -- 2024-06-02 06:00
       crm.quiet_hours_release('2024-03-31 00:30+00', 'Europe/Berlin', '01:30', '02:30') AS ends_in_dst_gap;    -- 2024-03-31 01:30
SET crm_marketing.default_time_zone = 'Asia/Kolkata';
SELECT crm.quiet_hours_release('2024-06-01 17:00+00', NULL, '22:00', '08:00') AS default_zone,           -- 2024-06-02 02:30
       crm.quiet_hours_release('2024-06-01 17:00+00', 'Asia/Kolkata', NULL, NULL) AS no_quiet_hours,
       crm.quiet_hours_release('2024-06-01 17:00+00', 'Asia/Kolkata', '08:00', '08:00') AS empty_quiet_hours;
RESET crm_marketing.default_time_zone;
-- the default zone is checked when set: a mistyped one is refused (22023), not
-- silently replaced by the session's TimeZone at every run
SELECT test.error_of($$SET crm_marketing.default_time_zone = 'Europe/Berln'$$);
SELECT test.error_of($$SET crm_marketing.default_time_zone = 'ABC-167'$$);
SET crm_marketing.default_time_zone = 'EST5EDT';
SET crm_marketing.default_time_zone = '';
SHOW crm_marketing.default_time_zone;
-- an unknown zone, or a POSIX string with an offset no real zone has (UTC+167 h), is not guessed at
SELECT z, crm.is_valid_time_zone(z)
FROM unnest(ARRAY['Europe/Berlin', 'UTC', 'EST5EDT', 'Mars/Olympus', 'ABC-167', 'ABC+16', '']) z;
SELECT test.error_of($$SELECT crm.quiet_hours_release('2024-06-01 17:00+00', 'Mars/Olympus', '22:00', '08:00')$$);
SELECT test.error_of($$SELECT crm.quiet_hours_release('2024-06-01 17:00+00', 'ABC-167', '22:00', '08:00')$$);

-- a shop ----------------------------------------------------------------------------
CREATE SCHEMA shop;
CREATE TABLE shop.customers (customer_id bigint PRIMARY KEY, time_zone text, signed_up_at timestamptz);
INSERT INTO shop.customers
SELECT i, (ARRAY['Europe/Berlin', 'America/New_York', 'Asia/Tokyo'])[1 + i % 3], now() - i * interval '1 hour'
FROM generate_series(1, 2000) i;
CREATE TABLE shop.carts (customer_id bigint, cart_id text, updated_at timestamptz);
INSERT INTO shop.carts SELECT i % 500, 'cart-' || i, now() - interval '2 hours' FROM generate_series(1, 700) i;

-- welcome: every customer once, 20% holdout
SELECT crm.create_campaign('welcome', $$SELECT customer_id, jsonb_build_object('template', 'welcome') AS payload
                                       FROM shop.customers$$, 'email', holdout_percent => 20, salt => 42) AS campaign_id;
SELECT * FROM crm.run_campaign('welcome');
-- the holdout share is within binomial tolerance of 20%
SELECT count(*) AS entries, abs(avg((arm = 'control')::int) - 0.2) < 4 * sqrt(0.2 * 0.8 / count(*)) AS holdout_ok,
       count(*) FILTER (WHERE arm = 'control' AND message_id IS NOT NULL) AS control_with_message,
       count(*) FILTER (WHERE arm = 'treatment' AND message_id IS NULL) AS treatment_without_message
FROM crm.campaign_entries JOIN crm.campaigns USING (campaign_id) WHERE name = 'welcome';
-- a re-run adds nobody (re-entry once), and the arms of customers never change
SELECT * FROM crm.run_campaign('welcome');
SELECT count(*) = count(DISTINCT idempotency_key) AS keys_unique, min(status) AS status, min(channel) AS channel,
       min(payload::text) AS payload, bool_and(expires_at = not_before + interval '3 days') AS ttl
FROM crm.outbox;
SELECT idempotency_key FROM crm.outbox ORDER BY message_id LIMIT 1;
-- arms follow the hash: control exactly when holdout_bucket < 0.2
SELECT count(*) FILTER (WHERE (e.arm = 'control') <> (crm.holdout_bucket(c.salt, e.customer_id) < 0.2)) AS misassigned
FROM crm.campaign_entries e JOIN crm.campaigns c USING (campaign_id);

-- abandoned cart: once per cart (event_key), with quiet hours in the customer's zone
SELECT crm.create_campaign('abandoned_cart',
       $$SELECT c.customer_id, c.cart_id AS event_key, k.time_zone FROM shop.carts c JOIN shop.customers k USING (customer_id)$$,
       'push', reentry => 'per_event_key', holdout_percent => 0, quiet_start => '00:00', quiet_end => '00:00') > 0;
SELECT * FROM crm.run_campaign('abandoned_cart');
INSERT INTO shop.carts VALUES (42, 'cart-new', now());
SELECT * FROM crm.run_campaign('abandoned_cart');   -- only the new cart

-- cooldown re-entry: again after the cooldown only
SELECT crm.create_campaign('winback', 'SELECT customer_id FROM shop.customers WHERE customer_id <= 10', 'sms',
                           reentry => 'cooldown', cooldown => '30 days', holdout_percent => 0) > 0;
SELECT entries FROM crm.run_campaign('winback');
SELECT entries FROM crm.run_campaign('winback');    -- within the cooldown: nobody
UPDATE crm.campaign_entries SET entered_at = entered_at - interval '31 days'
WHERE campaign_id = (SELECT campaign_id FROM crm.campaigns WHERE name = 'winback');
SELECT entries FROM crm.run_campaign('winback');    -- after it: all ten again

-- frequency cap across campaigns: at most 2 sms per customer per week
INSERT INTO crm.frequency_caps VALUES ('sms_weekly', 2, '7 days', 'sms');
SELECT crm.create_campaign('promo', 'SELECT customer_id FROM shop.customers WHERE customer_id <= 20', 'sms',
                           holdout_percent => 0, frequency_cap => 'sms_weekly') > 0;
SELECT * FROM crm.run_campaign('promo');   -- customers 1..10 already had 2 sms from winback
SELECT skip_reason, count(*), count(message_id) FROM crm.campaign_entries
WHERE campaign_id = (SELECT campaign_id FROM crm.campaigns WHERE name = 'promo') GROUP BY 1 ORDER BY 1;

-- quiet hours longer than the maximum delay: skipped, with the reason (the quiet hours are
-- the two hours around the present moment in Tokyo, whatever time the test runs)
SELECT crm.create_campaign('night_owl', 'SELECT customer_id, ''Asia/Tokyo'' AS time_zone FROM shop.customers WHERE customer_id <= 5',
                           'email', holdout_percent => 0, max_delay => '1 minute',
                           quiet_start => ((now() AT TIME ZONE 'Asia/Tokyo') - interval '1 hour')::time,
                           quiet_end => ((now() AT TIME ZONE 'Asia/Tokyo') + interval '1 hour')::time) > 0;
SELECT * FROM crm.run_campaign('night_owl');
SELECT skip_reason, count(*), bool_and(would_send_at > now() + interval '50 minutes') AS would_send_after_quiet_hours
FROM crm.campaign_entries WHERE campaign_id = (SELECT campaign_id FROM crm.campaigns WHERE name = 'night_owl')
GROUP BY 1;

-- the run history
SELECT job_kind, job_name, run_by, status, audience, entries, control, messages, skipped
FROM crm.job_runs ORDER BY run_id;

-- delivery hand-off -------------------------------------------------------------------

-- claims take due messages once; a claimed message is not claimed again while leased
CREATE TABLE test.claimed AS SELECT message_id, attempts, status FROM crm.claim_messages('email', 5, '1 minute');
SELECT count(*) AS claimed, min(attempts) AS attempts, min(status) AS status FROM test.claimed;
SELECT count(*) AS overlap FROM crm.claim_messages('email', 5, '1 minute') c JOIN test.claimed USING (message_id);
-- an expired lease returns the message to the queue
UPDATE crm.outbox SET lease_until = now() - interval '1 second' WHERE message_id = (SELECT min(message_id) FROM test.claimed);
SELECT message_id = (SELECT min(message_id) FROM test.claimed) AS reclaimed, attempts
FROM crm.claim_messages('email', 1, '1 minute');

-- status only moves forward; a terminal status stays; reports are idempotent
SELECT crm.report_delivery(m, 'sent') AS s1, crm.report_delivery(m, 'delivered') AS s2,
       crm.report_delivery(m, 'sent') AS s3, crm.report_delivery(m, 'opened') AS s4,
       crm.report_delivery(m, 'opened') AS s5, crm.report_delivery(m, 'unsubscribed') AS s6,
       crm.report_delivery(m, 'clicked') AS s7
FROM (SELECT min(message_id) AS m FROM test.claimed) x;
SELECT status, count(*) FROM crm.delivery_events GROUP BY status ORDER BY status;

-- maintenance: leases that ran out of attempts fail, old messages expire, history is pruned
UPDATE crm.outbox SET attempts = max_attempts, lease_until = now() - interval '1 second'
WHERE message_id IN (SELECT message_id FROM test.claimed ORDER BY message_id OFFSET 1 LIMIT 2);
UPDATE crm.outbox SET expires_at = now() - interval '1 second'
WHERE message_id IN (SELECT message_id FROM crm.outbox WHERE status = 'queued' ORDER BY message_id LIMIT 3);
SELECT * FROM crm.run_maintenance();
SELECT * FROM crm.run_maintenance(interval '0');   -- prunes every run
SELECT count(*) AS runs_left FROM crm.job_runs;
-- finished messages past the retention go, with their delivery events; their entries stay
UPDATE crm.outbox SET updated_at = now() - interval '91 days' WHERE status IN ('expired', 'failed');
SELECT purged_messages FROM crm.run_maintenance();
SELECT count(*) AS finished_left FROM crm.outbox WHERE status IN ('expired', 'failed');
SELECT count(*) AS entries_of_purged_messages FROM crm.campaign_entries e
WHERE e.message_id IS NOT NULL AND NOT EXISTS (SELECT FROM crm.outbox o WHERE o.message_id = e.message_id);
SELECT test.error_of($$SELECT * FROM crm.run_maintenance(interval '-1 day')$$);

-- segments ---------------------------------------------------------------------------------
CREATE TABLE shop.scores (customer_id bigint, score int);
INSERT INTO shop.scores SELECT i, i % 10 FROM generate_series(1, 100) i;
SELECT crm.create_segment('high_scorers', 'SELECT customer_id FROM shop.scores WHERE score >= 8') > 0;
SELECT * FROM crm.refresh_segment('high_scorers');
UPDATE shop.scores SET score = 9 WHERE customer_id IN (1, 2);      -- two enter
UPDATE shop.scores SET score = 0 WHERE customer_id IN (8, 9, 18);  -- three leave
SELECT * FROM crm.refresh_segment('high_scorers');
SELECT count(*) AS current_members FROM crm.segment_members WHERE segment = 'high_scorers';
SELECT customer_id, exited_at IS NOT NULL AS exited FROM crm.segment_membership
WHERE customer_id IN ('1', '8') ORDER BY 1, entered_at;
-- a campaign on "entered the segment": the trigger of a segment change
SELECT crm.create_campaign('vip_welcome', $$SELECT customer_id::bigint FROM crm.segment_members
                                           WHERE segment = 'high_scorers' AND entered_at > now() - interval '1 day'$$,
                           'email', holdout_percent => 0) > 0;

-- ownership and privileges -----------------------------------------------------------------
CREATE ROLE regress_crm_marketer;
GRANT USAGE ON SCHEMA crm, shop TO regress_crm_marketer;
GRANT USAGE ON SCHEMA test TO regress_crm_marketer;
GRANT EXECUTE ON FUNCTION crm.create_campaign(text, text, text, interval, text, interval, float8, text, time, time, interval, interval, integer, text, bigint, text),
      crm.run_campaign(text), crm.pause_campaign(text), crm.drop_campaign(text) TO regress_crm_marketer;
GRANT SELECT ON shop.customers TO regress_crm_marketer;
SET ROLE regress_crm_marketer;
-- no privilege on the table: refused when the campaign is created
SELECT test.error_of($$SELECT crm.create_campaign('sneaky', 'SELECT customer_id FROM shop.scores', 'email')$$);
SELECT crm.create_campaign('mine', 'SELECT customer_id FROM shop.customers WHERE customer_id <= 3', 'email') > 0;
-- someone else's campaign cannot be run, paused or dropped
SELECT test.error_of($$SELECT * FROM crm.run_campaign('welcome')$$);
SELECT test.error_of($$SELECT crm.pause_campaign('welcome')$$);
SELECT test.error_of($$SELECT crm.drop_campaign('welcome')$$);
-- the extension's tables are not writable directly
SELECT test.error_of($$INSERT INTO crm.outbox (idempotency_key, campaign_id, customer_id, channel, not_before, expires_at, max_attempts) VALUES ('x', 1, '1', 'email', now(), now(), 1)$$);
RESET ROLE;
-- the audience runs as its owner: revoking the owner's privilege makes the run fail
REVOKE SELECT ON shop.customers FROM regress_crm_marketer;
SELECT test.error_of($$SELECT * FROM crm.run_campaign('mine')$$);
SELECT owner FROM crm.campaigns WHERE name = 'mine';
-- the audience is read-only, even through a function it calls
CREATE FUNCTION shop.sneaky_write() RETURNS bigint LANGUAGE sql AS 'INSERT INTO shop.scores VALUES (0, 0) RETURNING 1::bigint';
SELECT crm.create_campaign('writer', 'SELECT shop.sneaky_write() AS customer_id', 'email') > 0;
SELECT test.error_of($$SELECT * FROM crm.run_campaign('writer')$$);
SELECT count(*) AS scores_unchanged FROM shop.scores WHERE customer_id = 0;

-- argument errors
SELECT test.error_of($$SELECT crm.create_campaign('bad', 'SELECT 1 AS x', 'email')$$);
SELECT test.error_of($$SELECT crm.create_campaign('bad', 'SELECT 1 AS customer_id; SELECT 2', 'email')$$);
SELECT test.error_of($$SELECT crm.create_campaign('bad', 'DELETE FROM shop.scores', 'email')$$);
SELECT test.error_of($$SELECT crm.create_campaign('bad', 'SELECT 1 AS customer_id', 'email', reentry => 'twice')$$);
SELECT test.error_of($$SELECT crm.create_campaign('bad', 'SELECT 1 AS customer_id', 'email', reentry => 'cooldown')$$);
SELECT test.error_of($$SELECT crm.create_campaign('bad', 'SELECT 1 AS customer_id', 'email', holdout_percent => 100)$$);
SELECT test.error_of($$SELECT crm.create_campaign('welcome', 'SELECT 1 AS customer_id', 'email')$$);
SELECT test.error_of($$SELECT * FROM crm.run_campaign('nope')$$);
SELECT test.error_of($$SELECT crm.report_delivery(1, 'queued')$$);
SELECT test.error_of($$SELECT crm.report_delivery(-1, 'sent')$$);
SELECT test.error_of($$SELECT * FROM crm.claim_messages('email', 0)$$);
SELECT crm.pause_campaign('welcome');
SELECT test.error_of($$SELECT * FROM crm.run_campaign('welcome')$$);
SELECT crm.resume_campaign('welcome');

-- a message already in the outbox under a key whose entry is missing: the run
-- fails as a whole (23505) instead of writing an entry without its message
SELECT crm.create_campaign('guarded', 'SELECT customer_id FROM shop.customers WHERE customer_id <= 3', 'email',
                           holdout_percent => 0) > 0;
INSERT INTO crm.outbox (idempotency_key, campaign_id, customer_id, channel, not_before, expires_at, max_attempts)
SELECT campaign_id || ':1:2:', campaign_id, '2', 'email', now(), now() + interval '1 day', 1
FROM crm.campaigns WHERE name = 'guarded';
SELECT test.error_of($$SELECT * FROM crm.run_campaign('guarded')$$);
SELECT count(*) AS entries_written FROM crm.campaign_entries JOIN crm.campaigns USING (campaign_id) WHERE name = 'guarded';
DELETE FROM crm.outbox WHERE campaign_id = (SELECT campaign_id FROM crm.campaigns WHERE name = 'guarded');
SELECT * FROM crm.run_campaign('guarded');
SELECT crm.drop_campaign('guarded');

-- consent, suppressions and purpose --------------------------------------------------------
-- the customers source drives consent (read at every run, as the campaign's owner) and the
-- time zone where the audience gives none
CREATE TABLE shop.people (id bigint PRIMARY KEY, consent boolean, tz text);
INSERT INTO shop.people SELECT i, i % 3 <> 0, CASE WHEN i = 7 THEN 'ABC-167' END FROM generate_series(1, 30) i;
SELECT crm.register_source('customers', 'shop.people', 'id', consent_column => 'consent', time_zone_column => 'tz');
SELECT crm.suppress('1', 'sms');                                   -- marketing on sms
SELECT crm.suppress('2', NULL, 'all', note => 'legal request');     -- everything, every channel
SELECT test.error_of($$SELECT crm.suppress('', 'sms')$$);
SELECT test.error_of($$SELECT crm.suppress('3', 'sms', 'some')$$);
-- 1..32: 31 and 32 are not in the customers table, so no consent is on record
SELECT crm.create_campaign('consent_promo', 'SELECT generate_series(1, 32) AS customer_id', 'sms', holdout_percent => 0,
                           quiet_start => '03:00', quiet_end => '03:00') > 0;
SELECT * FROM crm.run_campaign('consent_promo');
SELECT reason, string_agg(customer_id, ',' ORDER BY customer_id::int) AS customers
FROM crm.campaign_exclusions GROUP BY reason ORDER BY reason;
SELECT excluded, rejected FROM crm.job_runs WHERE job_name = 'consent_promo';
-- transactional: no consent needed, marketing suppressions do not apply, 'all' ones do
SELECT test.error_of($$SELECT crm.create_campaign('bad_receipt', 'SELECT 1 AS customer_id', 'sms', purpose => 'transactional', holdout_percent => 10)$$);
SELECT test.error_of($$SELECT crm.create_campaign('bad_receipt', 'SELECT 1 AS customer_id', 'sms', purpose => 'transactional', frequency_cap => 'x')$$);
SELECT test.error_of($$SELECT crm.create_campaign('bad_receipt', 'SELECT 1 AS customer_id', 'sms', purpose => 'newsletter')$$);
SELECT crm.create_campaign('receipt', 'SELECT generate_series(1, 6) AS customer_id', 'sms', purpose => 'transactional') > 0;
SELECT * FROM crm.run_campaign('receipt');
SELECT string_agg(customer_id, ',' ORDER BY customer_id::int) AS receipts_to FROM crm.outbox
WHERE campaign_id = (SELECT campaign_id FROM crm.campaigns WHERE name = 'receipt');
-- an unsubscribe suppresses marketing on that channel and withdraws queued marketing messages;
-- a hard bounce withdraws every message on the channel; a soft bounce changes nothing
SELECT crm.create_campaign('consent_promo2', 'SELECT generate_series(4, 8) AS customer_id', 'sms', holdout_percent => 0) > 0;
SELECT messages FROM crm.run_campaign('consent_promo2');
SELECT crm.report_delivery(o.message_id, 'unsubscribed') FROM crm.outbox o JOIN crm.campaigns c USING (campaign_id)
WHERE c.name = 'consent_promo' AND o.customer_id = '4';
SELECT crm.report_delivery(o.message_id, 'bounced', '{"bounce_type": "hard"}') FROM crm.outbox o JOIN crm.campaigns c USING (campaign_id)
WHERE c.name = 'consent_promo' AND o.customer_id = '5';
SELECT crm.report_delivery(o.message_id, 'bounced', '{"bounce_type": "soft"}') FROM crm.outbox o JOIN crm.campaigns c USING (campaign_id)
WHERE c.name = 'consent_promo' AND o.customer_id = '8';
SELECT customer_id, channel, scope, reason, source FROM crm.suppressions ORDER BY customer_id;
SELECT c.name, o.customer_id, o.status FROM crm.outbox o JOIN crm.campaigns c USING (campaign_id)
WHERE o.customer_id IN ('4', '5', '8') AND c.name IN ('consent_promo2', 'receipt') ORDER BY 1, 2;
-- nothing suppressed is handed out, whatever its status says
UPDATE crm.outbox SET status = 'queued' WHERE status = 'suppressed';
SELECT string_agg(c.name || ':' || m.customer_id, ',' ORDER BY c.name, m.customer_id::int) AS claimed
FROM crm.claim_messages('sms', 1000) m JOIN crm.campaigns c USING (campaign_id);
-- once the suppression is lifted, the customer enters at the next run
SELECT crm.unsuppress('1', 'sms'), crm.unsuppress('1', 'sms') AS again;
SELECT entries, messages FROM crm.run_campaign('consent_promo');
-- a paused campaign's queued messages wait
SELECT crm.create_campaign('later', 'SELECT 10 AS customer_id', 'sms', holdout_percent => 0) > 0;
SELECT messages FROM crm.run_campaign('later');
SELECT crm.pause_campaign('later');
SELECT count(*) FILTER (WHERE customer_id = '10') AS claimed_while_paused FROM crm.claim_messages('sms', 1000);
SELECT crm.resume_campaign('later');
SELECT customer_id AS claimed_after_resume FROM crm.claim_messages('sms', 1000);
-- the queued messages of a paused campaign do not hide the others from a small claim
SELECT crm.create_campaign('backlog', 'SELECT customer_id FROM shop.customers WHERE customer_id BETWEEN 100 AND 119', 'fax',
                           purpose => 'transactional') > 0;
SELECT messages FROM crm.run_campaign('backlog');
SELECT crm.pause_campaign('backlog');
SELECT crm.create_campaign('urgent', 'SELECT 121 AS customer_id', 'fax', purpose => 'transactional') > 0;
SELECT messages FROM crm.run_campaign('urgent');
SELECT customer_id AS claimed_past_the_backlog FROM crm.claim_messages('fax', 1);
SELECT crm.drop_campaign('backlog'), crm.drop_campaign('urgent');
-- audience rows: duplicates resolve the same way whatever their order (the smallest payload wins);
-- rows no index can hold are rejected and counted, not a failed run
SELECT crm.create_campaign('dups', $$SELECT * FROM (VALUES ('10', '{"v": 2}'::jsonb), ('10', '{"v": 1}'), ('11', '{"v": 1}'),
                                         ('', NULL), (repeat('x', 2000), NULL)) v(customer_id, payload)$$,
                           'push', holdout_percent => 0) > 0;
SELECT * FROM crm.run_campaign('dups');
SELECT customer_id, payload FROM crm.outbox WHERE campaign_id = (SELECT campaign_id FROM crm.campaigns WHERE name = 'dups')
ORDER BY customer_id;
SELECT rejected FROM crm.job_runs WHERE job_name = 'dups';
-- the sending switch: off, nothing runs and nothing is handed out
SELECT crm.sending_enabled();
SELECT crm.disable_sending();
SELECT crm.sending_enabled();
SELECT test.error_of($$SELECT * FROM crm.claim_messages('sms')$$);
SELECT test.error_of($$SELECT * FROM crm.run_campaign('consent_promo')$$);
SELECT crm.enable_sending();
SELECT crm.sending_enabled(), enabled_by = current_user AS by_me FROM crm.sending_enabled_in;
-- a campaign can be handed to another role
SELECT crm.alter_job_owner('campaign', 'dups', 'regress_crm_marketer');
SELECT owner FROM crm.campaigns WHERE name = 'dups';
SELECT test.error_of($$SELECT crm.alter_job_owner('campaign', 'nope', 'regress_crm_marketer')$$);
SELECT test.error_of($$SELECT crm.alter_job_owner('table', 'dups', 'regress_crm_marketer')$$);
SELECT crm.drop_campaign(name) FROM crm.campaigns WHERE name IN ('consent_promo', 'consent_promo2', 'receipt', 'later') ORDER BY name;
SELECT count(*) AS lifted FROM (SELECT crm.unsuppress(customer_id, channel) FROM crm.suppressions) u;
DELETE FROM crm.sources WHERE kind = 'customers';

-- an audience far larger than work_mem: its rows are spooled to disk and loaded in batches
SET work_mem = '64kB';
CREATE TABLE shop.many AS SELECT i AS customer_id, jsonb_build_object('n', i, 'pad', repeat('x', 200)) AS payload
FROM generate_series(1, 30000) i;
SELECT crm.create_campaign('many', 'SELECT customer_id, payload FROM shop.many', 'push', holdout_percent => 0) > 0;
SELECT * FROM crm.run_campaign('many');
SELECT count(*) AS messages, count(DISTINCT customer_id) AS customers,
       bool_and((payload ->> 'n') = customer_id) AS payloads_match
FROM crm.outbox WHERE campaign_id = (SELECT campaign_id FROM crm.campaigns WHERE name = 'many');
SELECT crm.create_segment('many', 'SELECT customer_id FROM shop.many WHERE customer_id % 3 = 0') > 0;
SELECT * FROM crm.refresh_segment('many');
RESET work_mem;
-- a segment member no index can hold is rejected, not a failed refresh
SELECT crm.create_segment('odd_ids', $$SELECT * FROM (VALUES ('ok'), (''), (repeat('y', 3000))) v(customer_id)$$) > 0;
SELECT * FROM crm.refresh_segment('odd_ids');
SELECT rejected FROM crm.job_runs WHERE job_name = 'odd_ids';
SELECT crm.drop_segment('odd_ids');
SELECT crm.drop_campaign('many'), crm.drop_segment('many');

-- everything is dumped with the extension
SELECT array_agg(c::regclass::text ORDER BY c::regclass::text) AS dumped
FROM pg_extension, unnest(extconfig) c WHERE extname = 'crm_marketing';

-- clean up the role
DROP OWNED BY regress_crm_marketer;
SELECT crm.drop_campaign(name) FROM crm.campaigns WHERE owner = 'regress_crm_marketer' ORDER BY name;
SELECT count(*) AS orphans FROM crm.campaign_entries e WHERE NOT EXISTS (SELECT 1 FROM crm.campaigns c WHERE c.campaign_id = e.campaign_id);
DROP ROLE regress_crm_marketer;

-- leave nothing behind for the next test
SELECT count(crm.drop_campaign(name)) AS dropped_campaigns FROM crm.campaigns;
SELECT count(crm.drop_segment(name)) AS dropped_segments FROM crm.segments;
DELETE FROM crm.frequency_caps;
SELECT (SELECT count(*) FROM crm.campaign_entries) + (SELECT count(*) FROM crm.outbox)
     + (SELECT count(*) FROM crm.segment_membership) AS rows_left;
