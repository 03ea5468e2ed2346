-- Segments, trigger campaigns, the outbox and the delivery hand-off (SPEC §4).
-- Every table is dumped by pg_dump with the extension (pg_extension_config_dump).
-- Customer ids are stored as text (bigint and uuid ids print to text).
--
-- Privileges: the tables are not writable by PUBLIC; everything goes through
-- the functions below, which check ownership.  The functions that change
-- state run as the extension's owner (SECURITY DEFINER, pinned search_path)
-- and are not executable by PUBLIC: a DBA grants them to the marketing and
-- delivery roles (README, "Campaigns").

-- Frequency caps shared by campaigns: at most max_messages per customer per
-- period (on one channel, or on all when channel is NULL).
CREATE TABLE @extschema@.frequency_caps (
	name text PRIMARY KEY,
	max_messages integer NOT NULL CHECK (max_messages > 0),
	per interval NOT NULL CHECK (per > interval '0'),
	channel text
);

CREATE TABLE @extschema@.segments (
	segment_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name text NOT NULL UNIQUE,
	owner regrole NOT NULL,
	query text NOT NULL,
	search_path text NOT NULL,
	refresh_every interval NOT NULL CHECK (refresh_every > interval '0'),
	status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'failed')),
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	last_refresh_at timestamptz,
	next_refresh_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	members bigint NOT NULL DEFAULT 0,
	last_error text
);

-- Membership history: one row per stay in the segment; exited_at NULL = current member.
-- (No foreign keys on the tables that runs fill: a per-row check would cost more than
-- the insert; crm.drop_segment and crm.drop_campaign delete the rows they own.)
CREATE TABLE @extschema@.segment_membership (
	segment_id bigint NOT NULL,
	customer_id text COLLATE "C" NOT NULL,
	entered_at timestamptz NOT NULL,
	exited_at timestamptz,
	CHECK (exited_at IS NULL OR exited_at >= entered_at)
);
CREATE UNIQUE INDEX segment_membership_current ON @extschema@.segment_membership (segment_id, customer_id)
	WHERE exited_at IS NULL;
CREATE INDEX segment_membership_history ON @extschema@.segment_membership (segment_id, entered_at);

CREATE TABLE @extschema@.campaigns (
	campaign_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name text NOT NULL UNIQUE,
	owner regrole NOT NULL,
	audience text NOT NULL,
	search_path text NOT NULL,
	channel text NOT NULL,
	run_every interval NOT NULL CHECK (run_every > interval '0'),
	reentry text NOT NULL DEFAULT 'once' CHECK (reentry IN ('once', 'cooldown', 'per_event_key')),
	cooldown interval CHECK (cooldown > interval '0'),
	holdout_percent float8 NOT NULL DEFAULT 10 CHECK (holdout_percent >= 0 AND holdout_percent < 100),
	salt bigint NOT NULL,
	frequency_cap text REFERENCES @extschema@.frequency_caps ON UPDATE CASCADE,
	quiet_start time,
	quiet_end time,
	max_delay interval NOT NULL DEFAULT interval '12 hours',
	message_ttl interval NOT NULL DEFAULT interval '3 days' CHECK (message_ttl > interval '0'),
	max_attempts integer NOT NULL DEFAULT 5 CHECK (max_attempts > 0),
	status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'failed')),
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	last_run_at timestamptz,
	next_run_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	last_error text,
	CHECK ((reentry = 'cooldown') = (cooldown IS NOT NULL)),
	CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
);

-- One row per customer entering a campaign, in both arms: the control arm
-- has no message, so both arms share one clock (would_send_at).
CREATE TABLE @extschema@.campaign_entries (
	entry_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	campaign_id bigint NOT NULL,
	customer_id text COLLATE "C" NOT NULL,
	entry_key text COLLATE "C" NOT NULL,
	event_key text COLLATE "C",
	arm text NOT NULL CHECK (arm IN ('treatment', 'control')),
	entered_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	would_send_at timestamptz NOT NULL,
	skip_reason text CHECK (skip_reason IN ('frequency_capped', 'quiet_hours_expired')),
	message_id bigint,
	UNIQUE (campaign_id, customer_id, entry_key)
);

CREATE TABLE @extschema@.outbox (
	message_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	idempotency_key text COLLATE "C" NOT NULL UNIQUE,
	campaign_id bigint NOT NULL,
	customer_id text COLLATE "C" NOT NULL,
	channel text COLLATE "C" NOT NULL,
	payload jsonb,
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	not_before timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	status text NOT NULL DEFAULT 'queued'
		CHECK (status IN ('queued', 'claimed', 'sent', 'delivered', 'opened', 'clicked',
		                  'bounced', 'failed', 'unsubscribed', 'expired', 'skipped')),
	attempts integer NOT NULL DEFAULT 0,
	max_attempts integer NOT NULL,
	lease_until timestamptz,
	updated_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
-- Few indexes: every message pays for each.  The queue (in claim order; the
-- maintenance reads it too), the frequency caps, and the claimed messages'
-- leases (empty when a message is written).  A campaign's messages are
-- found through its entries (message_id).
CREATE INDEX outbox_queue ON @extschema@.outbox (channel, not_before, message_id) WHERE status IN ('queued', 'claimed');
CREATE INDEX outbox_customer ON @extschema@.outbox (customer_id, created_at);
CREATE INDEX outbox_lease ON @extschema@.outbox (lease_until) WHERE status = 'claimed';

-- Every status report (the funnel: sent, delivered, opened, clicked...), once per status.
CREATE TABLE @extschema@.delivery_events (
	message_id bigint NOT NULL REFERENCES @extschema@.outbox ON DELETE CASCADE,
	status text NOT NULL,
	reported_at timestamptz NOT NULL,
	detail jsonb,
	PRIMARY KEY (message_id, status)
);

CREATE TABLE @extschema@.job_runs (
	run_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	job_kind text NOT NULL CHECK (job_kind IN ('campaign', 'segment')),
	job_name text NOT NULL,
	run_by text NOT NULL CHECK (run_by IN ('worker', 'manual')),
	started_at timestamptz NOT NULL,
	finished_at timestamptz NOT NULL,
	status text NOT NULL CHECK (status IN ('ok', 'failed')),
	audience bigint,
	entries bigint,
	control bigint,
	messages bigint,
	skipped bigint,
	entered bigint,
	exited bigint,
	error text
);
CREATE INDEX job_runs_finished ON @extschema@.job_runs (finished_at);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.frequency_caps', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.segments', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.segment_membership', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.campaigns', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.campaign_entries', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.outbox', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.delivery_events', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.job_runs', '');
-- (one call per statement: each updates the pg_extension row)
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('@extschema@.segments', 'segment_id'), '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('@extschema@.campaigns', 'campaign_id'), '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('@extschema@.campaign_entries', 'entry_id'), '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('@extschema@.outbox', 'message_id'), '');
SELECT pg_catalog.pg_extension_config_dump(pg_catalog.pg_get_serial_sequence('@extschema@.job_runs', 'run_id'), '');

CREATE VIEW @extschema@.segment_members AS
SELECT s.name AS segment, m.customer_id, m.entered_at
FROM @extschema@.segment_membership m JOIN @extschema@.segments s USING (segment_id)
WHERE m.exited_at IS NULL;
COMMENT ON VIEW @extschema@.segment_members IS 'Current members of each segment, with the time they entered';

-- Hashing and time helpers ---------------------------------------------------------

CREATE FUNCTION @extschema@.holdout_bucket(salt bigint, customer_id text)
RETURNS float8 AS 'MODULE_PATHNAME', 'crm_holdout_bucket'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.holdout_bucket(bigint, text) IS
  'Deterministic number in [0, 1) from SipHash-2-4 of the customer id keyed by the salt: the holdout assignment';

CREATE FUNCTION @extschema@._siphash24(k0 bigint, k1 bigint, data bytea)
RETURNS bigint AS 'MODULE_PATHNAME', 'crm_siphash24_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.quiet_hours_release(at timestamptz, time_zone text, quiet_start time, quiet_end time)
RETURNS timestamptz AS 'MODULE_PATHNAME', 'crm_quiet_hours_release'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.quiet_hours_release(timestamptz, text, time, time) IS
  'The first moment at or after `at` outside the quiet hours [quiet_start, quiet_end) of the time zone (DST-aware)';

-- The role calling a SECURITY DEFINER function (the current user outside it).
CREATE FUNCTION @extschema@._invoker()
RETURNS regrole AS 'MODULE_PATHNAME', 'crm_invoker'
LANGUAGE C STABLE PARALLEL SAFE;

-- Checks a job query as the invoker: one SELECT, returning customer_id, that the invoker may run.
CREATE FUNCTION @extschema@._validate_job_query(query text, search_path text, what text)
RETURNS void AS 'MODULE_PATHNAME', 'crm_validate_job_query'
LANGUAGE C VOLATILE;

-- _check_owner(owner, what): 42501 unless the invoker may act for owner.
CREATE FUNCTION @extschema@._check_owner(owner regrole, what text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	invoker regrole := @extschema@._invoker();
BEGIN
	IF NOT (pg_has_role(invoker, owner, 'USAGE')
	        OR (SELECT rolsuper FROM pg_authid WHERE oid = invoker)) THEN
		RAISE EXCEPTION 'permission denied for %', what USING ERRCODE = 'insufficient_privilege',
			DETAIL = format('Only members of its owner role %s may change it.', owner);
	END IF;
END $$;

-- Segments ---------------------------------------------------------------------------

CREATE FUNCTION @extschema@.create_segment(name text, query text, refresh_every interval DEFAULT '1 hour',
	search_path text DEFAULT pg_catalog.current_setting('search_path'))
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	id bigint;
BEGIN
	PERFORM @extschema@._validate_job_query(query, search_path, format('segment "%s"', name));
	INSERT INTO @extschema@.segments (name, owner, query, search_path, refresh_every)
	VALUES (name, @extschema@._invoker(), query, search_path, refresh_every)
	RETURNING segment_id INTO id;
	PERFORM @extschema@._worker_wakeup();
	RETURN id;
END $$;
COMMENT ON FUNCTION @extschema@.create_segment(text, text, interval, text) IS
  'Creates a segment: a query returning customer_id, refreshed every refresh_every into crm.segment_membership';

CREATE FUNCTION @extschema@.refresh_segment(name text)
RETURNS TABLE (entered bigint, exited bigint, members bigint)
AS 'MODULE_PATHNAME', 'crm_refresh_segment_sql'
LANGUAGE C VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.refresh_segment(text) IS
  'Refreshes a segment now (the worker''s code path): members who entered, exited, and the new size';

CREATE FUNCTION @extschema@.drop_segment(name text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s record;
BEGIN
	SELECT * INTO s FROM @extschema@.segments WHERE segments.name = drop_segment.name FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'segment "%" does not exist', name USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM @extschema@._check_owner(s.owner, format('segment "%s"', name));
	DELETE FROM @extschema@.segment_membership WHERE segment_id = s.segment_id;
	DELETE FROM @extschema@.segments WHERE segment_id = s.segment_id;
END $$;
COMMENT ON FUNCTION @extschema@.drop_segment(text) IS 'Drops a segment and its membership history';

-- Campaigns ---------------------------------------------------------------------------

CREATE FUNCTION @extschema@.create_campaign(name text, audience text, channel text,
	run_every interval DEFAULT '15 minutes', reentry text DEFAULT 'once', cooldown interval DEFAULT NULL,
	holdout_percent float8 DEFAULT 10, frequency_cap text DEFAULT NULL,
	quiet_start time DEFAULT NULL, quiet_end time DEFAULT NULL, max_delay interval DEFAULT '12 hours',
	message_ttl interval DEFAULT '3 days', max_attempts integer DEFAULT 5,
	search_path text DEFAULT pg_catalog.current_setting('search_path'), salt bigint DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	id bigint;
BEGIN
	IF reentry IS NULL OR reentry NOT IN ('once', 'cooldown', 'per_event_key') THEN
		RAISE EXCEPTION 'reentry must be once, cooldown or per_event_key, got %', reentry
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF (reentry = 'cooldown') <> (cooldown IS NOT NULL) THEN
		RAISE EXCEPTION 'a cooldown interval is given exactly when reentry is cooldown'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF holdout_percent IS NULL OR NOT (holdout_percent >= 0 AND holdout_percent < 100) THEN
		RAISE EXCEPTION 'holdout_percent must be at least 0 and below 100, got %', holdout_percent
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM @extschema@._validate_job_query(audience, search_path, format('campaign "%s"', name));
	INSERT INTO @extschema@.campaigns (name, owner, audience, search_path, channel, run_every, reentry, cooldown,
	                                   holdout_percent, salt, frequency_cap, quiet_start, quiet_end, max_delay,
	                                   message_ttl, max_attempts)
	VALUES (name, @extschema@._invoker(), audience, search_path, channel, run_every, reentry, cooldown,
	        holdout_percent, coalesce(salt, (random() * 9.2e18)::bigint), frequency_cap, quiet_start, quiet_end, max_delay,
	        message_ttl, max_attempts)
	RETURNING campaign_id INTO id;
	PERFORM @extschema@._worker_wakeup();
	RETURN id;
END $$;
COMMENT ON FUNCTION @extschema@.create_campaign(text, text, text, interval, text, interval, float8, text, time, time, interval, interval, integer, text, bigint) IS
  'Creates a trigger campaign: an audience query (customer_id [, event_key, payload, time_zone]) run every run_every, with a holdout group';

CREATE FUNCTION @extschema@.run_campaign(name text)
RETURNS TABLE (audience bigint, entries bigint, control bigint, messages bigint, skipped bigint)
AS 'MODULE_PATHNAME', 'crm_run_campaign_sql'
LANGUAGE C VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.run_campaign(text) IS
  'Runs a campaign now, in the caller''s transaction (the worker''s code path)';

-- _set_campaign_status(name, status): pause, resume (also clears a failure)
CREATE FUNCTION @extschema@._set_campaign_status(name text, new_status text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c record;
BEGIN
	SELECT * INTO c FROM @extschema@.campaigns WHERE campaigns.name = _set_campaign_status.name FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'campaign "%" does not exist', name USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM @extschema@._check_owner(c.owner, format('campaign "%s"', name));
	UPDATE @extschema@.campaigns
	SET status = new_status,
	    last_error = CASE WHEN new_status = 'active' THEN NULL ELSE last_error END,
	    next_run_at = CASE WHEN new_status = 'active' THEN least(next_run_at, now()) ELSE next_run_at END
	WHERE campaign_id = c.campaign_id;
	IF new_status = 'active' THEN
		PERFORM @extschema@._worker_wakeup();
	END IF;
END $$;

CREATE FUNCTION @extschema@.pause_campaign(name text)
RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@._set_campaign_status(name, 'paused') $$;
COMMENT ON FUNCTION @extschema@.pause_campaign(text) IS 'Stops the scheduled runs of a campaign';

CREATE FUNCTION @extschema@.resume_campaign(name text)
RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@._set_campaign_status(name, 'active') $$;
COMMENT ON FUNCTION @extschema@.resume_campaign(text) IS 'Resumes a paused or failed campaign; it runs at the next tick';

CREATE FUNCTION @extschema@.drop_campaign(name text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c record;
BEGIN
	SELECT * INTO c FROM @extschema@.campaigns WHERE campaigns.name = drop_campaign.name FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'campaign "%" does not exist', name USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM @extschema@._check_owner(c.owner, format('campaign "%s"', name));
	DELETE FROM @extschema@.outbox                                       -- delivery events cascade
	WHERE message_id IN (SELECT message_id FROM @extschema@.campaign_entries WHERE campaign_id = c.campaign_id);
	DELETE FROM @extschema@.campaign_entries WHERE campaign_id = c.campaign_id;
	DELETE FROM @extschema@.campaigns WHERE campaign_id = c.campaign_id;
END $$;
COMMENT ON FUNCTION @extschema@.drop_campaign(text) IS
  'Drops a campaign with its entries, messages and delivery events';

-- Delivery hand-off ---------------------------------------------------------------------

CREATE FUNCTION @extschema@.claim_messages(channel text, max_messages integer DEFAULT 100,
                                           lease interval DEFAULT '5 minutes')
RETURNS SETOF @extschema@.outbox
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF max_messages IS NULL OR max_messages < 1 OR lease IS NULL OR lease <= interval '0' THEN
		RAISE EXCEPTION 'max_messages must be positive and lease a positive interval'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN QUERY
	WITH claimable AS (
		SELECT o.message_id FROM @extschema@.outbox o
		WHERE o.channel = claim_messages.channel
		  AND (o.status = 'queued' OR (o.status = 'claimed' AND o.lease_until <= now()))
		  AND o.not_before <= now() AND o.expires_at > now() AND o.attempts < o.max_attempts
		ORDER BY o.not_before, o.message_id
		LIMIT max_messages
		FOR UPDATE SKIP LOCKED)
	UPDATE @extschema@.outbox o
	SET status = 'claimed', attempts = o.attempts + 1, lease_until = now() + lease, updated_at = now()
	FROM claimable c WHERE o.message_id = c.message_id
	RETURNING o.*;
END $$;
COMMENT ON FUNCTION @extschema@.claim_messages(text, integer, interval) IS
  'Claims up to max_messages due messages of a channel for lease (FOR UPDATE SKIP LOCKED); an expired lease returns the message to the queue';

-- status ranks: queued < claimed < sent < delivered < opened < clicked; the rest are terminal
CREATE FUNCTION @extschema@._status_rank(status text)
RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE status WHEN 'queued' THEN 0 WHEN 'claimed' THEN 1 WHEN 'sent' THEN 2 WHEN 'delivered' THEN 3
	                   WHEN 'opened' THEN 4 WHEN 'clicked' THEN 5
	                   WHEN 'bounced' THEN 100 WHEN 'failed' THEN 100 WHEN 'unsubscribed' THEN 100
	                   WHEN 'expired' THEN 100 WHEN 'skipped' THEN 100 END
$$;

CREATE FUNCTION @extschema@.report_delivery(message_id bigint, status text, detail jsonb DEFAULT NULL,
                                            reported_at timestamptz DEFAULT now())
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	current_status text;
	new_rank integer := @extschema@._status_rank(status);
BEGIN
	IF new_rank IS NULL OR new_rank < 2 THEN
		RAISE EXCEPTION 'status must be sent, delivered, opened, clicked, bounced, failed, unsubscribed, expired or skipped, got %',
			status USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT o.status INTO current_status FROM @extschema@.outbox o
	WHERE o.message_id = report_delivery.message_id FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'message % does not exist', message_id USING ERRCODE = 'undefined_object';
	END IF;
	INSERT INTO @extschema@.delivery_events (message_id, status, reported_at, detail)
	VALUES (message_id, status, coalesce(reported_at, now()), detail)
	ON CONFLICT DO NOTHING;
	-- monotonic: only forward, never out of a terminal status
	IF @extschema@._status_rank(current_status) < 100 AND new_rank > @extschema@._status_rank(current_status) THEN
		UPDATE @extschema@.outbox o SET status = report_delivery.status, lease_until = NULL, updated_at = now()
		WHERE o.message_id = report_delivery.message_id;
		RETURN status;
	END IF;
	RETURN current_status;
END $$;
COMMENT ON FUNCTION @extschema@.report_delivery(bigint, text, jsonb, timestamptz) IS
  'Records a delivery status of a message (idempotent); the message''s status only moves forward';

-- Maintenance: expire messages, fail exhausted leases, prune the run history.
CREATE FUNCTION @extschema@.run_maintenance(history_retention interval DEFAULT NULL)
RETURNS TABLE (expired bigint, failed bigint, pruned_runs bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	retention interval := coalesce(history_retention,
	                               make_interval(days => coalesce(current_setting('crm_marketing.history_retention', true)::int, 30)));
BEGIN
	WITH e AS (UPDATE @extschema@.outbox SET status = 'expired', lease_until = NULL, updated_at = now()
	           WHERE status IN ('queued', 'claimed') AND expires_at <= now() RETURNING 1)
	SELECT count(*) INTO expired FROM e;
	WITH f AS (UPDATE @extschema@.outbox SET status = 'failed', lease_until = NULL, updated_at = now()
	           WHERE status = 'claimed' AND lease_until <= now() AND attempts >= max_attempts RETURNING 1)
	SELECT count(*) INTO failed FROM f;
	WITH p AS (DELETE FROM @extschema@.job_runs WHERE finished_at < now() - retention RETURNING 1)
	SELECT count(*) INTO pruned_runs FROM p;
	RETURN NEXT;
END $$;
COMMENT ON FUNCTION @extschema@.run_maintenance(interval) IS
  'Expires undelivered messages past expires_at, fails messages whose leases ran out of attempts, prunes crm.job_runs (the worker does this every tick)';

-- Worker status (a row per database with a worker slot; none without shared_preload_libraries)
CREATE FUNCTION @extschema@._worker_status()
RETURNS TABLE (database name, state text, pid integer, started_at timestamptz, last_tick timestamptz,
               jobs_due integer, jobs_run bigint, failures integer, next_start timestamptz, last_error text)
AS 'MODULE_PATHNAME', 'crm_worker_status'
LANGUAGE C VOLATILE;

CREATE VIEW @extschema@.worker_status AS SELECT * FROM @extschema@._worker_status();
COMMENT ON VIEW @extschema@.worker_status IS
  'The background workers: per database its state, last tick, jobs due and last error';

-- Wakes the launcher so a new installation gets its worker at once (no-op without preload).
CREATE FUNCTION @extschema@._worker_wakeup()
RETURNS void AS 'MODULE_PATHNAME', 'crm_worker_wakeup'
LANGUAGE C VOLATILE;

-- privileges: the state-changing functions are granted by the DBA (README)
REVOKE EXECUTE ON FUNCTION
	@extschema@.create_segment(text, text, interval, text), @extschema@.refresh_segment(text),
	@extschema@.drop_segment(text),
	@extschema@.create_campaign(text, text, text, interval, text, interval, float8, text, time, time, interval, interval, integer, text, bigint),
	@extschema@.run_campaign(text), @extschema@.pause_campaign(text), @extschema@.resume_campaign(text),
	@extschema@.drop_campaign(text), @extschema@.claim_messages(text, integer, interval),
	@extschema@.report_delivery(bigint, text, jsonb, timestamptz), @extschema@.run_maintenance(interval)
FROM PUBLIC;

SELECT @extschema@._worker_wakeup();

