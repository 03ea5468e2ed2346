-- Segments, trigger campaigns, the outbox and the delivery hand-off.
-- Every table is dumped by pg_dump with the extension (pg_extension_config_dump).
-- Customer ids are stored as text (bigint and uuid ids print to text).
--
-- Privileges: the tables are not writable by PUBLIC; everything goes through
-- the functions below, which check ownership.  The functions that change
-- state run as the extension's owner (SECURITY DEFINER, pinned search_path)
-- and are not executable by PUBLIC: a DBA grants them to the marketing and
-- delivery roles (doc/reference/automation.md, "Privileges").

-- Job owners are stored as role names, not regrole: a dump restored without
-- the roles (or with --no-owner) still loads every campaign and segment, and
-- crm.enable_sending names the owners that are missing instead of the rows
-- being lost while their entries and messages load as orphans.

-- Frequency caps shared by marketing campaigns: at most max_messages per
-- customer per period (on one channel, or on all when channel is NULL).
CREATE TABLE @extschema@.frequency_caps (
	name text PRIMARY KEY,
	max_messages integer NOT NULL CHECK (max_messages > 0),
	per interval NOT NULL CHECK (per > interval '0'),
	channel text,
	created_by name
);

-- The database this installation may run jobs and hand out messages in: the
-- cluster's system identifier and the database's OID when an operator (or the
-- first campaign or segment of a fresh installation) enabled it.  A restored
-- dump, a database copied with CREATE DATABASE ... TEMPLATE and a cluster
-- made by pg_upgrade carry the old identity (or none), so they run nothing and
-- send nothing until crm.enable_sending() is called there.
CREATE TABLE @extschema@.sending_enabled_in (
	one_row boolean PRIMARY KEY DEFAULT true CHECK (one_row),
	system_identifier bigint NOT NULL,
	database_oid oid NOT NULL,
	enabled_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	enabled_by name NOT NULL
);

-- Customers who must not be contacted: on one channel or all (channel NULL),
-- for marketing only or for every message (scope 'all': hard bounces and
-- what is entered by hand as such).  Fed by crm.report_delivery
-- (unsubscribed, hard bounce, complained) and crm.suppress; campaigns exclude
-- these customers and their queued messages are no longer handed out.
CREATE TABLE @extschema@.suppressions (
	customer_id text COLLATE "C" NOT NULL,
	channel text COLLATE "C",
	scope text NOT NULL CHECK (scope IN ('marketing', 'all')),
	reason text NOT NULL CHECK (reason IN ('unsubscribed', 'hard_bounce', 'complaint', 'no_consent', 'manual')),
	since timestamptz NOT NULL DEFAULT pg_catalog.now(),
	source text NOT NULL,
	note text
);
CREATE UNIQUE INDEX suppressions_customer_channel ON @extschema@.suppressions
	(customer_id, (coalesce(channel, '')));

CREATE TABLE @extschema@.segments (
	segment_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name text NOT NULL UNIQUE,
	owner name NOT NULL,
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
	owner name NOT NULL,
	audience text NOT NULL,
	search_path text NOT NULL,
	channel text NOT NULL,
	purpose text NOT NULL DEFAULT 'marketing' CHECK (purpose IN ('marketing', 'transactional')),
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
	CHECK ((quiet_start IS NULL) = (quiet_end IS NULL)),
	CHECK (purpose = 'marketing' OR (holdout_percent = 0 AND frequency_cap IS NULL))
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
	skip_reason text CHECK (skip_reason IN ('frequency_capped', 'quiet_hours_expired', 'invalid_time_zone')),
	message_id bigint,
	UNIQUE (campaign_id, customer_id, entry_key)
);

-- Customers an audience returned who could not enter the campaign, with the
-- reason, the first time it happened (they enter later if the reason goes).
CREATE TABLE @extschema@.campaign_exclusions (
	campaign_id bigint NOT NULL,
	customer_id text COLLATE "C" NOT NULL,
	entry_key text COLLATE "C" NOT NULL,
	reason text NOT NULL CHECK (reason IN ('suppressed', 'no_consent', 'invalid_time_zone')),
	excluded_at timestamptz NOT NULL,
	PRIMARY KEY (campaign_id, customer_id, entry_key)
);

CREATE TABLE @extschema@.outbox (
	message_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	idempotency_key text COLLATE "C" NOT NULL UNIQUE,
	campaign_id bigint NOT NULL,
	customer_id text COLLATE "C" NOT NULL,
	channel text COLLATE "C" NOT NULL,
	purpose text NOT NULL DEFAULT 'marketing' CHECK (purpose IN ('marketing', 'transactional')),
	payload jsonb,
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	not_before timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	status text NOT NULL DEFAULT 'queued'
		CHECK (status IN ('queued', 'claimed', 'sent', 'delivered', 'opened', 'clicked',
		                  'bounced', 'failed', 'unsubscribed', 'complained', 'expired', 'skipped', 'suppressed')),
	attempts integer NOT NULL DEFAULT 0,
	max_attempts integer NOT NULL,
	lease_until timestamptz,
	updated_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
-- Few indexes: every message pays for each.  The queue (in claim order),
-- the messages that can still expire and those that finished (the
-- maintenance), the frequency caps
-- and suppressions (by customer), and the claimed messages' leases (empty
-- when a message is written).  A campaign's messages are found through its
-- entries (message_id).
CREATE INDEX outbox_queue ON @extschema@.outbox (channel, not_before, message_id) WHERE status = 'queued';
CREATE INDEX outbox_expiry ON @extschema@.outbox (expires_at) WHERE status IN ('queued', 'claimed');
CREATE INDEX outbox_customer ON @extschema@.outbox (customer_id, created_at);
CREATE INDEX outbox_lease ON @extschema@.outbox (lease_until) WHERE status = 'claimed';
CREATE INDEX outbox_finished ON @extschema@.outbox (updated_at) WHERE status NOT IN ('queued', 'claimed');

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
	excluded bigint,
	rejected bigint,
	error text
);
CREATE INDEX job_runs_finished ON @extschema@.job_runs (finished_at);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.frequency_caps', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.sending_enabled_in', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.suppressions', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.campaign_exclusions', '');
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

CREATE FUNCTION @extschema@.is_valid_time_zone(time_zone text)
RETURNS boolean AS 'MODULE_PATHNAME', 'crm_is_valid_time_zone'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.is_valid_time_zone(text) IS
  'Whether a customer time zone is usable: a zone PostgreSQL knows whose offset from UTC is at most 15 hours';

-- The role calling a SECURITY DEFINER function (the current user outside it).
CREATE FUNCTION @extschema@._invoker()
RETURNS name AS 'MODULE_PATHNAME', 'crm_invoker'
LANGUAGE C STABLE PARALLEL SAFE;

-- Checks a job query as the invoker: one SELECT, returning customer_id, that the invoker may run.
CREATE FUNCTION @extschema@._validate_job_query(query text, search_path text, what text)
RETURNS void AS 'MODULE_PATHNAME', 'crm_validate_job_query'
LANGUAGE C VOLATILE;

-- _check_owner(owner, what): 42501 unless the invoker may act for owner (a
-- superuser may act for an owner role that no longer exists); the same rule
-- as a run by hand (crm_job_check_owner).
CREATE FUNCTION @extschema@._check_owner(owner name, what text)
RETURNS void AS 'MODULE_PATHNAME', 'crm_check_owner'
LANGUAGE C STABLE;

-- _check_not_null(what, names, values): 22004 naming the first NULL argument.
CREATE FUNCTION @extschema@._check_not_null(what text, names text[], is_null boolean[])
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	FOR i IN 1 .. coalesce(array_length(names, 1), 0) LOOP
		IF is_null[i] THEN
			RAISE EXCEPTION '%: % must not be NULL', what, names[i] USING ERRCODE = 'null_value_not_allowed';
		END IF;
	END LOOP;
END $$;

-- Sending switch -------------------------------------------------------------------------

CREATE FUNCTION @extschema@.sending_enabled()
RETURNS boolean AS 'MODULE_PATHNAME', 'crm_sending_enabled'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION @extschema@.sending_enabled() IS
  'Whether jobs run and messages are handed out in this database (false in a restored or copied database until crm.enable_sending())';

-- _enable_sending_if_fresh(): a fresh installation is enabled by its first
-- campaign or segment; a restored one (jobs, or another database's switch,
-- already there) is not.
CREATE FUNCTION @extschema@._enable_sending_if_fresh()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT EXISTS (SELECT FROM @extschema@.sending_enabled_in)
	   AND NOT EXISTS (SELECT FROM @extschema@.campaigns)
	   AND NOT EXISTS (SELECT FROM @extschema@.segments) THEN
		PERFORM @extschema@.enable_sending();
	END IF;
END $$;

CREATE FUNCTION @extschema@.enable_sending()
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	missing text;
	orphan_entries bigint;
	orphan_messages bigint;
BEGIN
	SELECT string_agg(DISTINCT o.owner, ', ') INTO missing
	FROM (SELECT c.owner FROM @extschema@.campaigns c UNION ALL SELECT s.owner FROM @extschema@.segments s) o
	WHERE NOT EXISTS (SELECT FROM pg_roles r WHERE r.rolname = o.owner);
	IF missing IS NOT NULL THEN
		RAISE WARNING 'the owner roles of some campaigns or segments do not exist: %', missing
			USING HINT = 'Their jobs fail and their messages are not handed out until the roles exist or the jobs get another owner (crm.alter_job_owner).';
	END IF;
	SELECT count(*) INTO orphan_entries FROM @extschema@.campaign_entries e
	WHERE NOT EXISTS (SELECT FROM @extschema@.campaigns c WHERE c.campaign_id = e.campaign_id);
	SELECT count(*) INTO orphan_messages FROM @extschema@.outbox o
	WHERE o.status OPERATOR(pg_catalog.=) ANY ('{queued,claimed}'::text[])
	  AND NOT EXISTS (SELECT FROM @extschema@.campaigns c WHERE c.campaign_id = o.campaign_id);
	IF orphan_entries > 0 OR orphan_messages > 0 THEN
		RAISE WARNING '% campaign entries and % queued messages belong to no campaign (a partial restore?)',
			orphan_entries, orphan_messages
			USING HINT = 'Those messages are never handed out; restore crm.campaigns, or drop them.';
	END IF;
	INSERT INTO @extschema@.sending_enabled_in (one_row, system_identifier, database_oid, enabled_by)
	VALUES (true, @extschema@._system_identifier(),
	        (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()), @extschema@._invoker())
	ON CONFLICT (one_row) DO UPDATE
	SET system_identifier = excluded.system_identifier, database_oid = excluded.database_oid,
	    enabled_at = excluded.enabled_at, enabled_by = excluded.enabled_by;
	PERFORM @extschema@._worker_wakeup();
END $$;
COMMENT ON FUNCTION @extschema@.enable_sending() IS
  'Lets this database run campaigns and segments and hand out messages (needed once after a restore or copy)';

CREATE FUNCTION @extschema@.disable_sending()
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ DELETE FROM @extschema@.sending_enabled_in $$;
COMMENT ON FUNCTION @extschema@.disable_sending() IS
  'Stops this database''s scheduled jobs and the handing out of messages until crm.enable_sending()';

CREATE FUNCTION @extschema@._system_identifier()
RETURNS bigint AS 'MODULE_PATHNAME', 'crm_system_identifier'
LANGUAGE C STABLE STRICT;

-- _check_sending_enabled(what): 55000 in a database where sending is not enabled.
CREATE FUNCTION @extschema@._check_sending_enabled(what text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT @extschema@.sending_enabled() THEN
		RAISE EXCEPTION '%: sending is not enabled in this database', what
			USING ERRCODE = 'object_not_in_prerequisite_state',
			      DETAIL = 'A restored or copied database runs no campaign and hands out no message until an operator enables it.',
			      HINT = 'Check the data, then call crm.enable_sending().';
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
	PERFORM @extschema@._check_not_null('crm.create_segment', '{name,query,refresh_every,search_path}',
		ARRAY[name IS NULL, query IS NULL, refresh_every IS NULL, search_path IS NULL]);
	PERFORM @extschema@._validate_job_query(query, search_path, format('segment "%s"', name));
	PERFORM @extschema@._enable_sending_if_fresh();
	BEGIN
		INSERT INTO @extschema@.segments (name, owner, query, search_path, refresh_every)
		VALUES (name, @extschema@._invoker(), query, search_path, refresh_every)
		RETURNING segment_id INTO id;
	EXCEPTION WHEN unique_violation THEN
		RAISE EXCEPTION 'segment "%" already exists', name USING ERRCODE = 'duplicate_object';
	END;
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

CREATE FUNCTION @extschema@.create_frequency_cap(name text, max_messages integer, per interval,
	channel text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@._check_not_null('crm.create_frequency_cap', '{name,max_messages,per}',
		ARRAY[name IS NULL, max_messages IS NULL, per IS NULL]);
	IF max_messages < 1 OR per <= interval '0' THEN
		RAISE EXCEPTION 'crm.create_frequency_cap: max_messages and per must be positive'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	INSERT INTO @extschema@.frequency_caps (name, max_messages, per, channel, created_by)
	VALUES (name, max_messages, per, channel, @extschema@._invoker());
EXCEPTION WHEN unique_violation THEN
	RAISE EXCEPTION 'frequency cap "%" already exists', name USING ERRCODE = 'duplicate_object';
END $$;
COMMENT ON FUNCTION @extschema@.create_frequency_cap(text, integer, interval, text) IS
  'Creates a frequency cap for marketing campaigns: at most max_messages per customer per period, on one channel or all';

CREATE FUNCTION @extschema@.create_campaign(name text, audience text, channel text,
	run_every interval DEFAULT '15 minutes', reentry text DEFAULT 'once', cooldown interval DEFAULT NULL,
	holdout_percent float8 DEFAULT NULL, frequency_cap text DEFAULT NULL,
	quiet_start time DEFAULT NULL, quiet_end time DEFAULT NULL, max_delay interval DEFAULT '12 hours',
	message_ttl interval DEFAULT '3 days', max_attempts integer DEFAULT 5,
	search_path text DEFAULT pg_catalog.current_setting('search_path'), salt bigint DEFAULT NULL,
	purpose text DEFAULT 'marketing')
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	id bigint;
BEGIN
	PERFORM @extschema@._check_not_null('crm.create_campaign',
		'{name,audience,channel,run_every,reentry,max_delay,message_ttl,max_attempts,search_path,purpose}',
		ARRAY[name IS NULL, audience IS NULL, channel IS NULL, run_every IS NULL, reentry IS NULL,
		      max_delay IS NULL, message_ttl IS NULL, max_attempts IS NULL, search_path IS NULL, purpose IS NULL]);
	IF purpose NOT IN ('marketing', 'transactional') THEN
		RAISE EXCEPTION 'purpose must be marketing or transactional, got %', purpose
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF reentry NOT IN ('once', 'cooldown', 'per_event_key') THEN
		RAISE EXCEPTION 'reentry must be once, cooldown or per_event_key, got %', reentry
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF (reentry = 'cooldown') <> (cooldown IS NOT NULL) THEN
		RAISE EXCEPTION 'a cooldown interval is given exactly when reentry is cooldown'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF purpose = 'transactional' THEN
		-- order and delivery notices: no holdout group, no frequency cap, no marketing consent
		IF coalesce(holdout_percent, 0) <> 0 OR frequency_cap IS NOT NULL THEN
			RAISE EXCEPTION 'a transactional campaign has no holdout group and no frequency cap'
				USING ERRCODE = 'invalid_parameter_value';
		END IF;
		holdout_percent := 0;
	END IF;
	holdout_percent := coalesce(holdout_percent, 10);
	IF NOT (holdout_percent >= 0 AND holdout_percent < 100) THEN
		RAISE EXCEPTION 'holdout_percent must be at least 0 and below 100, got %', holdout_percent
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF (quiet_start IS NULL) <> (quiet_end IS NULL) THEN
		RAISE EXCEPTION 'quiet_start and quiet_end are given together'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF frequency_cap IS NOT NULL AND NOT EXISTS (SELECT FROM @extschema@.frequency_caps f WHERE f.name = frequency_cap) THEN
		RAISE EXCEPTION 'frequency cap "%" does not exist', frequency_cap USING ERRCODE = 'undefined_object',
			HINT = 'Create it with crm.create_frequency_cap().';
	END IF;
	IF run_every <= interval '0' OR message_ttl <= interval '0' OR max_attempts < 1 OR cooldown <= interval '0' THEN
		RAISE EXCEPTION 'run_every, message_ttl, cooldown and max_attempts must be positive'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM @extschema@._validate_job_query(audience, search_path, format('campaign "%s"', name));
	PERFORM @extschema@._enable_sending_if_fresh();
	BEGIN
		INSERT INTO @extschema@.campaigns (name, owner, audience, search_path, channel, purpose, run_every, reentry,
		                                   cooldown, holdout_percent, salt, frequency_cap, quiet_start, quiet_end,
		                                   max_delay, message_ttl, max_attempts)
		VALUES (name, @extschema@._invoker(), audience, search_path, channel, purpose, run_every, reentry, cooldown,
		        holdout_percent, coalesce(salt, (random() * 9.2e18)::bigint), frequency_cap, quiet_start, quiet_end,
		        max_delay, message_ttl, max_attempts)
		RETURNING campaign_id INTO id;
	EXCEPTION WHEN unique_violation THEN
		RAISE EXCEPTION 'campaign "%" already exists', name USING ERRCODE = 'duplicate_object';
	END;
	PERFORM @extschema@._worker_wakeup();
	RETURN id;
END $$;
COMMENT ON FUNCTION @extschema@.create_campaign(text, text, text, interval, text, interval, float8, text, time, time, interval, interval, integer, text, bigint, text) IS
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
RETURNS void LANGUAGE sql VOLATILE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$ SELECT @extschema@._set_campaign_status(name, 'paused') $$;
COMMENT ON FUNCTION @extschema@.pause_campaign(text) IS
  'Stops the scheduled runs of a campaign; its queued messages are not handed out while it is paused';

CREATE FUNCTION @extschema@.resume_campaign(name text)
RETURNS void LANGUAGE sql VOLATILE STRICT SECURITY DEFINER SET search_path = pg_catalog, pg_temp
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
	DELETE FROM @extschema@.campaign_exclusions WHERE campaign_id = c.campaign_id;
	DELETE FROM @extschema@.campaigns WHERE campaign_id = c.campaign_id;
END $$;
COMMENT ON FUNCTION @extschema@.drop_campaign(text) IS
  'Drops a campaign with its entries, messages and delivery events';

-- alter_job_owner(kind, name, new_owner): hands a campaign or segment to
-- another role (REASSIGN OWNED does not know the extension's jobs).  The
-- invoker must act for the old owner (or it no longer exists and the
-- invoker is a superuser) and be a member of the new one.
CREATE FUNCTION @extschema@.alter_job_owner(kind text, name text, new_owner regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	old_owner name;
	new_name name := (SELECT r.rolname FROM pg_roles r WHERE r.oid = new_owner);
	invoker name := @extschema@._invoker();
BEGIN
	IF kind = 'campaign' THEN
		SELECT c.owner INTO old_owner FROM @extschema@.campaigns c WHERE c.name = alter_job_owner.name FOR UPDATE;
	ELSIF kind = 'segment' THEN
		SELECT s.owner INTO old_owner FROM @extschema@.segments s WHERE s.name = alter_job_owner.name FOR UPDATE;
	ELSE
		RAISE EXCEPTION 'kind must be campaign or segment, got %', kind USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF NOT FOUND THEN
		RAISE EXCEPTION '% "%" does not exist', kind, name USING ERRCODE = 'undefined_object';
	END IF;
	PERFORM @extschema@._check_owner(old_owner, format('%s "%s"', kind, name));
	IF NOT (pg_has_role(invoker, new_owner, 'USAGE') OR (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = invoker)) THEN
		RAISE EXCEPTION 'permission denied to give % "%" to %', kind, name, new_name
			USING ERRCODE = 'insufficient_privilege', DETAIL = 'Only a member of the new owner role may give it a job.';
	END IF;
	IF kind = 'campaign' THEN
		UPDATE @extschema@.campaigns c SET owner = new_name WHERE c.name = alter_job_owner.name;
	ELSE
		UPDATE @extschema@.segments s SET owner = new_name WHERE s.name = alter_job_owner.name;
	END IF;
END $$;
COMMENT ON FUNCTION @extschema@.alter_job_owner(text, text, regrole) IS
  'Gives a campaign or segment to another role (its audience then runs with that role''s privileges)';

-- Suppressions ---------------------------------------------------------------------------

-- _apply_suppression(customer, channel, scope): queued messages it covers are
-- no longer handed out (status suppressed); returns how many.
CREATE FUNCTION @extschema@._apply_suppression(customer text, on_channel text, suppression_scope text)
RETURNS bigint
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH s AS (
		UPDATE @extschema@.outbox o SET status = 'suppressed', lease_until = NULL, updated_at = now()
		WHERE o.customer_id = customer AND o.status = 'queued'
		  AND (on_channel IS NULL OR o.channel = on_channel)
		  AND (suppression_scope = 'all' OR o.purpose = 'marketing')
		RETURNING 1)
	SELECT count(*) FROM s
$$;

-- _suppress: records a suppression (the wider scope wins on a repeat) and applies it.
CREATE FUNCTION @extschema@._suppress(customer text, on_channel text, suppression_scope text, why text,
	recorded_by text, note text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	INSERT INTO @extschema@.suppressions AS s (customer_id, channel, scope, reason, source, note)
	VALUES (customer, on_channel, suppression_scope, why, recorded_by, note)
	ON CONFLICT (customer_id, (coalesce(channel, ''))) DO UPDATE
	SET scope = CASE WHEN s.scope = 'all' OR excluded.scope = 'all' THEN 'all' ELSE 'marketing' END,
	    reason = excluded.reason, source = excluded.source, note = excluded.note, since = excluded.since;
	RETURN @extschema@._apply_suppression(customer, on_channel, suppression_scope);
END $$;

CREATE FUNCTION @extschema@.suppress(customer_id text, channel text DEFAULT NULL, scope text DEFAULT 'marketing',
	reason text DEFAULT 'manual', note text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM @extschema@._check_not_null('crm.suppress', '{customer_id,scope,reason}',
		ARRAY[customer_id IS NULL, scope IS NULL, reason IS NULL]);
	IF customer_id = '' THEN
		RAISE EXCEPTION 'crm.suppress: customer_id must not be empty' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF scope NOT IN ('marketing', 'all') THEN
		RAISE EXCEPTION 'crm.suppress: scope must be marketing or all, got %', scope USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF reason NOT IN ('unsubscribed', 'hard_bounce', 'complaint', 'no_consent', 'manual') THEN
		RAISE EXCEPTION 'crm.suppress: reason must be unsubscribed, hard_bounce, complaint, no_consent or manual, got %', reason
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN @extschema@._suppress(customer_id, channel, scope, reason, 'manual: ' || @extschema@._invoker(), note);
END $$;
COMMENT ON FUNCTION @extschema@.suppress(text, text, text, text, text) IS
  'Stops messages to a customer on a channel (NULL: all channels), for marketing or all messages; returns the queued messages withdrawn';

CREATE FUNCTION @extschema@.unsuppress(customer_id text, channel text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF customer_id IS NULL THEN
		RAISE EXCEPTION 'crm.unsuppress: customer_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	DELETE FROM @extschema@.suppressions s
	WHERE s.customer_id = unsuppress.customer_id AND coalesce(s.channel, '') = coalesce(unsuppress.channel, '');
	RETURN FOUND;
END $$;
COMMENT ON FUNCTION @extschema@.unsuppress(text, text) IS
  'Removes a customer''s suppression on a channel (NULL: the all-channels one); messages withdrawn stay withdrawn';

-- Delivery hand-off ---------------------------------------------------------------------

-- Messages are handed out only where sending is enabled, never to a
-- suppressed customer, never for a campaign that is paused or gone or whose
-- owner role is gone.  Queued messages and expired leases are found through
-- two partial indexes, so that many messages in flight do not slow a claim.
CREATE FUNCTION @extschema@.claim_messages(channel text, max_messages integer DEFAULT 100,
                                           lease interval DEFAULT '5 minutes')
RETURNS SETOF @extschema@.outbox
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF channel IS NULL OR max_messages IS NULL OR max_messages < 1 OR lease IS NULL OR lease <= interval '0' THEN
		RAISE EXCEPTION 'channel must not be NULL, max_messages must be positive and lease a positive interval'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM @extschema@._check_sending_enabled('crm.claim_messages');
	RETURN QUERY
	WITH candidates AS (
		-- what may be handed out is filtered before the LIMIT, so that the
		-- queued messages of a paused campaign never hide the others
		(SELECT o.message_id, o.not_before FROM @extschema@.outbox o
		 WHERE o.channel = claim_messages.channel AND o.status = 'queued' AND o.not_before <= now()
		   AND o.expires_at > now() AND o.attempts < o.max_attempts
		   AND EXISTS (SELECT FROM @extschema@.campaigns c JOIN pg_roles r ON r.rolname = c.owner
		               WHERE c.campaign_id = o.campaign_id AND c.status <> 'paused')
		   AND NOT EXISTS (SELECT FROM @extschema@.suppressions s
		                   WHERE s.customer_id = o.customer_id AND (s.channel IS NULL OR s.channel = o.channel)
		                     AND (s.scope = 'all' OR o.purpose = 'marketing'))
		 ORDER BY o.channel, o.not_before, o.message_id
		 LIMIT max_messages::bigint * 2)
		UNION ALL
		(SELECT o.message_id, o.not_before FROM @extschema@.outbox o
		 WHERE o.status = 'claimed' AND o.lease_until <= now() AND o.channel = claim_messages.channel
		   AND o.expires_at > now() AND o.attempts < o.max_attempts
		   AND EXISTS (SELECT FROM @extschema@.campaigns c JOIN pg_roles r ON r.rolname = c.owner
		               WHERE c.campaign_id = o.campaign_id AND c.status <> 'paused')
		   AND NOT EXISTS (SELECT FROM @extschema@.suppressions s
		                   WHERE s.customer_id = o.customer_id AND (s.channel IS NULL OR s.channel = o.channel)
		                     AND (s.scope = 'all' OR o.purpose = 'marketing'))
		 ORDER BY o.lease_until
		 LIMIT max_messages::bigint * 2)
	), claimable AS (
		-- rechecked under the row lock: another claim or a report may have come first
		SELECT o.message_id FROM @extschema@.outbox o JOIN candidates k ON k.message_id = o.message_id
		WHERE (o.status = 'queued' OR (o.status = 'claimed' AND o.lease_until <= now()))
		  AND o.attempts < o.max_attempts
		ORDER BY k.not_before, k.message_id
		LIMIT max_messages
		FOR UPDATE OF o SKIP LOCKED)
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
	                   WHEN 'complained' THEN 100 WHEN 'expired' THEN 100 WHEN 'skipped' THEN 100
	                   WHEN 'suppressed' THEN 100 END
$$;

-- An unsubscribe or a complaint suppresses the customer's marketing on the
-- message's channel; a bounce does so for every message on the channel,
-- unless detail says it was soft ({"bounce_type": "soft"} or "transient").
CREATE FUNCTION @extschema@.report_delivery(message_id bigint, status text, detail jsonb DEFAULT NULL,
                                            reported_at timestamptz DEFAULT now())
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	m record;
	new_rank integer := @extschema@._status_rank(status);
BEGIN
	IF message_id IS NULL OR new_rank IS NULL OR new_rank < 2 THEN
		RAISE EXCEPTION 'message_id must not be NULL and status must be sent, delivered, opened, clicked, bounced, failed, unsubscribed, complained, expired or skipped, got %',
			coalesce(status, 'NULL') USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT o.status, o.customer_id, o.channel INTO m FROM @extschema@.outbox o
	WHERE o.message_id = report_delivery.message_id FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'message % does not exist', message_id USING ERRCODE = 'undefined_object';
	END IF;
	INSERT INTO @extschema@.delivery_events (message_id, status, reported_at, detail)
	VALUES (message_id, status, coalesce(reported_at, now()), detail)
	ON CONFLICT DO NOTHING;
	IF status = 'unsubscribed' THEN
		PERFORM @extschema@._suppress(m.customer_id, m.channel, 'marketing', 'unsubscribed', 'report_delivery', NULL);
	ELSIF status = 'complained' THEN
		PERFORM @extschema@._suppress(m.customer_id, m.channel, 'marketing', 'complaint', 'report_delivery', NULL);
	ELSIF status = 'bounced' AND coalesce(lower(detail ->> 'bounce_type'), 'hard') NOT IN ('soft', 'transient') THEN
		PERFORM @extschema@._suppress(m.customer_id, m.channel, 'all', 'hard_bounce', 'report_delivery', NULL);
	END IF;
	-- monotonic: only forward, never out of a terminal status
	IF @extschema@._status_rank(m.status) < 100 AND new_rank > @extschema@._status_rank(m.status) THEN
		UPDATE @extschema@.outbox o SET status = report_delivery.status, lease_until = NULL, updated_at = now()
		WHERE o.message_id = report_delivery.message_id;
		RETURN status;
	END IF;
	RETURN m.status;
END $$;
COMMENT ON FUNCTION @extschema@.report_delivery(bigint, text, jsonb, timestamptz) IS
  'Records a delivery status of a message (idempotent; unsubscribes, complaints and hard bounces suppress the customer); the status only moves forward';

-- Maintenance: expire messages, fail exhausted leases, prune the run history,
-- and delete messages that finished (any status but queued and claimed) more
-- than message_retention ago, with their delivery events; campaign entries
-- stay (the reports read them).  Each step reads a partial index, and the
-- deletion takes at most 10,000 messages a call, so that a tick costs little
-- whatever the outbox's size.
CREATE FUNCTION @extschema@.run_maintenance(history_retention interval DEFAULT NULL,
                                            message_retention interval DEFAULT NULL)
RETURNS TABLE (expired bigint, failed bigint, pruned_runs bigint, purged_messages bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	runs_kept interval := coalesce(history_retention,
	                               make_interval(days => coalesce(current_setting('crm_marketing.history_retention', true)::int, 30)));
	messages_kept interval := coalesce(message_retention,
	                                   make_interval(days => coalesce(current_setting('crm_marketing.message_retention', true)::int, 90)));
BEGIN
	IF runs_kept < interval '0' OR messages_kept < interval '0' THEN
		RAISE EXCEPTION 'crm.run_maintenance: retentions must not be negative' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	WITH e AS (UPDATE @extschema@.outbox SET status = 'expired', lease_until = NULL, updated_at = now()
	           WHERE status IN ('queued', 'claimed') AND expires_at <= now() RETURNING 1)
	SELECT count(*) INTO expired FROM e;
	WITH f AS (UPDATE @extschema@.outbox SET status = 'failed', lease_until = NULL, updated_at = now()
	           WHERE status = 'claimed' AND lease_until <= now() AND attempts >= max_attempts RETURNING 1)
	SELECT count(*) INTO failed FROM f;
	WITH p AS (DELETE FROM @extschema@.job_runs WHERE finished_at < now() - runs_kept RETURNING 1)
	SELECT count(*) INTO pruned_runs FROM p;
	WITH m AS (DELETE FROM @extschema@.outbox WHERE message_id IN (
	               SELECT o.message_id FROM @extschema@.outbox o
	               WHERE o.status NOT IN ('queued', 'claimed') AND o.updated_at < now() - messages_kept
	               ORDER BY o.updated_at LIMIT 10000)
	           RETURNING 1)
	SELECT count(*) INTO purged_messages FROM m;
	RETURN NEXT;
END $$;
COMMENT ON FUNCTION @extschema@.run_maintenance(interval, interval) IS
  'Expires undelivered messages past expires_at, fails messages whose leases ran out of attempts, prunes crm.job_runs and finished messages (the worker does this every tick)';

-- Worker status: a row per database with a worker slot (none without
-- shared_preload_libraries); a non-superuser sees only the current database.
CREATE FUNCTION @extschema@._worker_status()
RETURNS TABLE (database name, state text, pid integer, started_at timestamptz, last_tick timestamptz,
               jobs_due integer, jobs_run bigint, failures integer, next_start timestamptz, last_error text,
               sending_enabled boolean)
AS 'MODULE_PATHNAME', 'crm_worker_status'
LANGUAGE C VOLATILE;

CREATE VIEW @extschema@.worker_status AS SELECT * FROM @extschema@._worker_status();
COMMENT ON VIEW @extschema@.worker_status IS
  'The background workers: per database its state, last tick, jobs due, last error and whether sending is enabled there';

-- Wakes the launcher so a new installation gets its worker at once (no-op without preload).
CREATE FUNCTION @extschema@._worker_wakeup()
RETURNS void AS 'MODULE_PATHNAME', 'crm_worker_wakeup'
LANGUAGE C VOLATILE;

-- privileges: the state-changing functions are granted by the DBA
-- (doc/security.md); the internal helpers are not callable by PUBLIC.
REVOKE EXECUTE ON FUNCTION
	@extschema@.create_segment(text, text, interval, text), @extschema@.refresh_segment(text),
	@extschema@.drop_segment(text),
	@extschema@.create_frequency_cap(text, integer, interval, text),
	@extschema@.create_campaign(text, text, text, interval, text, interval, float8, text, time, time, interval, interval, integer, text, bigint, text),
	@extschema@.run_campaign(text), @extschema@.pause_campaign(text), @extschema@.resume_campaign(text),
	@extschema@.drop_campaign(text), @extschema@.alter_job_owner(text, text, regrole),
	@extschema@.claim_messages(text, integer, interval),
	@extschema@.report_delivery(bigint, text, jsonb, timestamptz), @extschema@.run_maintenance(interval, interval),
	@extschema@.suppress(text, text, text, text, text), @extschema@.unsuppress(text, text),
	@extschema@.enable_sending(), @extschema@.disable_sending(),
	@extschema@._siphash24(bigint, bigint, bytea), @extschema@._invoker(),
	@extschema@._validate_job_query(text, text, text), @extschema@._check_owner(name, text),
	@extschema@._check_not_null(text, text[], boolean[]), @extschema@._enable_sending_if_fresh(),
	@extschema@._system_identifier(), @extschema@._check_sending_enabled(text),
	@extschema@._set_campaign_status(text, text), @extschema@._apply_suppression(text, text, text),
	@extschema@._suppress(text, text, text, text, text, text), @extschema@._status_rank(text),
	@extschema@._worker_status(), @extschema@._worker_wakeup()
FROM PUBLIC;
GRANT SELECT ON @extschema@.sending_enabled_in TO PUBLIC;

SELECT @extschema@._worker_wakeup();
