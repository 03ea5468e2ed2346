#!/usr/bin/env bash
# Benchmark of the campaign machinery (run inside pg_virtualenv by
# run_bench.sh, with the library preloaded):
#  1. a campaign over 1M customers of whom 100k qualify, against the plain
#     INSERT ... SELECT of the same rows: the customer ids into one keyed
#     table, and the entry and message rows the run wrote into tables shaped
#     like crm.campaign_entries and crm.outbox (median of 3 each); the worker
#     is switched off meanwhile, so that it does not run the campaigns first;
#  2. claim + report throughput of 4 concurrent consumers (pgbench);
#  3. the idle worker's CPU time over 30 seconds;
#  4. a campaign whose audience is AUDIENCE customers (default 10M) with
#     ~300-byte payloads: its time and the backend's peak private memory
#     (RssAnon sampled every 0.2 s; shared buffers are not counted), against
#     the plain INSERT ... SELECT of the same rows into a table of the
#     outbox's shape.  The audience is spooled to disk past work_mem and
#     loaded into a temporary table in batches, so memory stays bounded;
#  5. with the outbox of section 4 (about 9M queued messages): claims of 100
#     while 150k messages sit claimed, against the claim query of the
#     previous release (one index over queued and claimed messages, built
#     for the comparison), and the idle worker's CPU time over 30 s.
set -euo pipefail
CUSTOMERS=${CUSTOMERS:-1000000}
AUDIENCE=${AUDIENCE:-10000000}

# peak RssAnon (kB) of backend $1 while it lives, sampled every 0.2 s
peak_private_kb() {
	local peak=0 kb
	while [ -e "/proc/$1/status" ]; do
		kb=$(awk '/^RssAnon/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0)
		[ -n "$kb" ] && [ "$kb" -gt "$peak" ] && peak=$kb
		sleep 0.2
	done
	echo "$peak"
}

# section 5: claims and the idle worker with millions of messages in the outbox
claims_at_scale() {
	psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
\pset footer off
SET client_min_messages = warning;
VACUUM ANALYZE crm.outbox;
SELECT count(*) AS claimed FROM crm.claim_messages('email', 150000, '1 hour');
CREATE INDEX outbox_queue_previous ON crm.outbox (channel, not_before, message_id) WHERE status IN ('queued', 'claimed');
CREATE TEMP TABLE claim_times (how text, ms float8);
DO $$
DECLARE
	t0 timestamptz;
	n bigint;
BEGIN
	FOR round IN 1..10 LOOP
		t0 := clock_timestamp();
		SELECT count(*) INTO n FROM crm.claim_messages('email', 100, '1 hour');
		INSERT INTO claim_times VALUES ('crm.claim_messages (100)', extract(epoch FROM clock_timestamp() - t0) * 1000);
		t0 := clock_timestamp();
		-- the previous release's claim: one ordered scan over queued and claimed messages
		WITH claimable AS (
			SELECT o.message_id FROM crm.outbox o
			WHERE o.channel = 'email' AND (o.status = 'queued' OR (o.status = 'claimed' AND o.lease_until <= now()))
			  AND o.not_before <= now() AND o.expires_at > now() AND o.attempts < o.max_attempts
			ORDER BY o.not_before, o.message_id LIMIT 100 FOR UPDATE SKIP LOCKED)
		UPDATE crm.outbox o SET status = 'claimed', attempts = o.attempts + 1, lease_until = now() + interval '1 hour',
		       updated_at = now()
		FROM claimable c WHERE o.message_id = c.message_id;
		INSERT INTO claim_times VALUES ('previous claim query (100)', extract(epoch FROM clock_timestamp() - t0) * 1000);
	END LOOP;
END $$;
\echo 'Claims of 100 with 150k messages claimed: median of 10 (ms)'
SELECT how, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1) AS median_ms FROM claim_times GROUP BY how ORDER BY how;
DROP INDEX crm.outbox_queue_previous;
SQL
	psql -X -q -c "ALTER SYSTEM SET crm_marketing.worker_enabled = on" -c "ALTER SYSTEM SET crm_marketing.naptime = 1" \
		-c "SELECT pg_reload_conf()" >/dev/null
	sleep 5
	local pid before after
	pid=$(psql -X -At -c "SELECT pid FROM crm.worker_status WHERE database = current_database()")
	before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	sleep 30
	after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	echo "Idle worker with $(psql -X -At -c 'SELECT count(*) FROM crm.outbox') messages in the outbox, naptime 1 s:" \
		"$(( (after - before) * 1000 / $(getconf CLK_TCK) )) ms CPU in 30 s"
	psql -X -q -c "ALTER SYSTEM RESET crm_marketing.naptime" -c "ALTER SYSTEM SET crm_marketing.worker_enabled = off" \
		-c "SELECT pg_reload_conf()" >/dev/null
}

# section 4: one campaign over a large audience with payloads
big_audience() {
	psql -X -q -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS big_audience;
CREATE UNLOGGED TABLE big_audience AS
SELECT i AS customer_id, jsonb_build_object('offer', repeat(md5(i::text), 8)) AS payload
FROM generate_series(1::bigint, $AUDIENCE) i;
VACUUM ANALYZE big_audience;
SELECT crm.create_campaign('big', 'SELECT customer_id, payload FROM big_audience', 'email',
                           holdout_percent => 10, run_every => '100 years');
SQL
	local out pid peak t0 t1
	out=$(mktemp)
	psql -X -At -v ON_ERROR_STOP=1 -c "SELECT pg_backend_pid(), pg_sleep(1)" \
		-c "SELECT extract(epoch FROM clock_timestamp())" -c "SELECT * FROM crm.run_campaign('big')" \
		-c "SELECT extract(epoch FROM clock_timestamp())" >"$out" &
	local psql_pid=$!
	while [ ! -s "$out" ]; do sleep 0.1; done
	pid=$(head -1 "$out" | cut -d'|' -f1)
	peak=$(peak_private_kb "$pid")
	wait "$psql_pid"
	t0=$(sed -n 2p "$out"); t1=$(sed -n 4p "$out")
	echo "Campaign over $AUDIENCE customers with payloads: (audience|entries|control|messages|skipped) $(sed -n 3p "$out")"
	echo "  run_campaign: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }') ms, peak private memory of the backend: $((peak / 1024)) MB"
	rm -f "$out"
	psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
\pset footer off
SET client_min_messages = warning;
CREATE TEMP TABLE outbox_copy (LIKE crm.outbox INCLUDING ALL);
\timing on
INSERT INTO outbox_copy (idempotency_key, campaign_id, customer_id, channel, payload, not_before, expires_at, max_attempts)
SELECT 'k' || customer_id, 1, customer_id::text, 'email', payload, now(), now() + interval '3 days', 5
FROM big_audience WHERE crm.holdout_bucket(1, customer_id::text) >= 0.1;
\timing off
SQL
}
psql -X -q -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS crm_marketing;
DROP TABLE IF EXISTS bench_customers;
CREATE TABLE bench_customers AS
SELECT i AS customer_id, (i * 2654435761) % 10 = 0 AS qualifies FROM generate_series(1::bigint, $CUSTOMERS) i;
CREATE INDEX ON bench_customers (customer_id) WHERE qualifies;
VACUUM ANALYZE bench_customers;
ALTER SYSTEM SET crm_marketing.worker_enabled = off;
SELECT pg_reload_conf();
SQL
sleep 2

psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
\pset footer off
SET client_min_messages = warning;
CREATE TEMP TABLE times (what text, ms float8);
DO $$
DECLARE
	t0 timestamptz;
	r record;
BEGIN
	FOR run IN 1..3 LOOP
		-- the campaign: entries of both arms (10% holdout) and messages, written together
		PERFORM crm.create_campaign('bench' || run, 'SELECT customer_id FROM bench_customers WHERE qualifies',
		                            'email', holdout_percent => 10, run_every => '100 years');
		t0 := clock_timestamp();
		SELECT * INTO r FROM crm.run_campaign('bench' || run);
		INSERT INTO times VALUES ('crm.run_campaign (entries + outbox)', extract(epoch FROM clock_timestamp() - t0) * 1000);
		-- the same rows by hand: into a table with a unique index, like the entries
		EXECUTE 'DROP TABLE IF EXISTS plain_copy; CREATE TABLE plain_copy (customer_id text PRIMARY KEY)';
		t0 := clock_timestamp();
		INSERT INTO plain_copy SELECT customer_id::text FROM bench_customers WHERE qualifies;
		INSERT INTO times VALUES ('INSERT ... SELECT into a keyed table', extract(epoch FROM clock_timestamp() - t0) * 1000);
		-- and into a bare table
		EXECUTE 'DROP TABLE IF EXISTS bare_copy; CREATE TABLE bare_copy (customer_id bigint)';
		t0 := clock_timestamp();
		INSERT INTO bare_copy SELECT customer_id FROM bench_customers WHERE qualifies;
		INSERT INTO times VALUES ('INSERT ... SELECT into a bare table', extract(epoch FROM clock_timestamp() - t0) * 1000);
		-- the rows the run wrote, copied by plain INSERT ... SELECT into tables of the same shape
		EXECUTE 'DROP TABLE IF EXISTS entries_copy, outbox_copy;'
		        'CREATE TABLE entries_copy (LIKE crm.campaign_entries INCLUDING ALL);'
		        'CREATE TABLE outbox_copy (LIKE crm.outbox INCLUDING ALL)';
		t0 := clock_timestamp();
		INSERT INTO outbox_copy (idempotency_key, campaign_id, customer_id, channel, payload, not_before, expires_at, max_attempts)
		SELECT idempotency_key, campaign_id, customer_id, channel, payload, not_before, expires_at, max_attempts
		FROM crm.outbox WHERE campaign_id = (SELECT campaign_id FROM crm.campaigns WHERE name = 'bench' || run);
		INSERT INTO entries_copy (campaign_id, customer_id, entry_key, event_key, arm, would_send_at, skip_reason, message_id)
		SELECT campaign_id, customer_id, entry_key, event_key, arm, would_send_at, skip_reason, message_id
		FROM crm.campaign_entries WHERE campaign_id = (SELECT campaign_id FROM crm.campaigns WHERE name = 'bench' || run);
		INSERT INTO times VALUES ('INSERT ... SELECT of the entry and message rows into tables of the same shape',
		                          extract(epoch FROM clock_timestamp() - t0) * 1000);
	END LOOP;
END $$;
\echo 'Campaign over the customers: median of 3 runs (ms), and the ratio to the plain INSERT ... SELECT'
SELECT what, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric) AS median_ms
FROM times GROUP BY what ORDER BY 2 DESC;
SELECT round((c.m / k.m)::numeric, 2) AS campaign_vs_keyed_insert, round((c.m / b.m)::numeric, 2) AS campaign_vs_bare_insert,
       round((c.m / s.m)::numeric, 2) AS campaign_vs_same_rows_insert
FROM (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS m FROM times WHERE what LIKE 'crm%') c,
     (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS m FROM times WHERE what LIKE '%keyed%') k,
     (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS m FROM times WHERE what LIKE '%bare%') b,
     (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS m FROM times WHERE what LIKE '%same shape%') s;
SELECT count(*) AS entries_per_run, count(message_id) AS messages_per_run
FROM crm.campaign_entries WHERE campaign_id = (SELECT min(campaign_id) FROM crm.campaigns);
SQL

psql -X -q -c "ALTER SYSTEM RESET crm_marketing.worker_enabled" -c "SELECT pg_reload_conf()" >/dev/null
sleep 2

echo
echo "Claim + report, 4 concurrent consumers (pgbench, 30 s): each transaction claims 10 messages and reports one"
script=$(mktemp)
cat > "$script" <<'PGB'
SELECT crm.report_delivery(message_id, 'sent') FROM crm.claim_messages('email', 10, '1 hour') LIMIT 1;
PGB
pgbench -n -c 4 -j 2 -T 30 -f "$script" 2>&1 | grep -E "number of transactions actually processed|tps"
rm -f "$script"
psql -X -q -c "SELECT count(*) FILTER (WHERE status <> 'queued') AS claimed_messages, count(*) FILTER (WHERE status = 'sent') AS reported_sent FROM crm.outbox"

echo
echo "Idle worker CPU over 30 seconds (crm_marketing.naptime = $(psql -X -At -c 'SHOW crm_marketing.naptime')):"
pid=$(psql -X -At -c "SELECT pid FROM crm.worker_status WHERE database = current_database()")
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
before=$(ticks "$pid"); sleep 30; after=$(ticks "$pid")
echo "worker $pid: $((after - before)) clock ticks of CPU ($(getconf CLK_TCK) per second) in 30 s"

echo
psql -X -q -c "ALTER SYSTEM SET crm_marketing.worker_enabled = off" -c "SELECT pg_reload_conf()" >/dev/null
big_audience
claims_at_scale
psql -X -q -c "ALTER SYSTEM RESET crm_marketing.worker_enabled" -c "SELECT pg_reload_conf()" >/dev/null
