/*
 * campaign_run.c — one run of a trigger campaign, set-based, in the caller's
 * transaction (crm.run_campaign and the background worker share it).
 *
 *  1. Lock the campaign row (SELECT ... FOR UPDATE): overlapping runs of a
 *     campaign queue up, and the later one sees the earlier one's entries.
 *  2. Run the audience query as the campaign's owner, read-only (job_exec.c).
 *  3. One INSERT statement with data-modifying CTEs: drop customers who
 *     already entered (re-entry rule), assign each to an arm by
 *     crm.holdout_bucket, apply the frequency cap and quiet hours, write the
 *     outbox messages (UNIQUE idempotency key) and the entries of both arms.
 *  4. Record the run in crm.job_runs, reschedule the campaign, NOTIFY
 *     crm_outbox.
 * Everything commits together or not at all: a crash at any point leaves
 * either the whole run or nothing, and a re-run can never write a second
 * message for the same key.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "automation/job_run.h"
#include "automation/sending_switch.h"
#include "util/spi_pinned.h"

static Datum
column(int attnum, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, attnum, isnull);
}

static int64
count_column(int attnum)
{
	bool		isnull;
	Datum		value = column(attnum, &isnull);

	return isnull ? 0 : DatumGetInt64(value);
}

/* What the statement of step 3 has to handle for one campaign. */
typedef struct RunShape
{
	const char *reentry;		/* once, cooldown or per_event_key */
	bool		quiet_hours;
	bool		frequency_cap;
} RunShape;

/*
 * The statement of step 3, written for the campaign's settings so that a
 * campaign without a frequency cap or quiet hours does not pay for them.
 * It runs under the pinned search_path (crm_spi_connect_pinned).  %1$s is the
 * extension's schema, %6$s the audience's rows (crm_job_collect_spool: an
 * ephemeral relation, which a schema name cannot qualify; the parser looks
 * it up before any table, so no object on the path can stand in for it).
 * $1 campaign id, $2 the run's start (the entry key of cooldown campaigns).
 *
 *  audience   one row per (customer, entry key): of duplicate rows, one
 *             whose consent is withheld wins, then the smallest event key,
 *             payload (jsonb order) and time zone, so the outcome does not
 *             depend on the order the query returned them in
 *  fresh      not already entered under the re-entry rule
 *  checked    why a customer cannot enter: a key no index can hold
 *             (rejected, only counted), no marketing consent, suppressed,
 *             an unusable time zone where quiet hours need one; excluded
 *             customers are recorded in campaign_exclusions and enter
 *             neither arm, so both arms are drawn from the same eligible
 *             customers
 *  eligible   the arm (holdout_bucket) and the send time (quiet hours)
 *  skips      treatment entries that get no message: frequency cap (counting
 *             only marketing messages), quiet hours past max_delay
 *
 * Messages take their ids from the outbox's sequence up front, so entries
 * and outbox are both written from one materialised list; the fifth column
 * counts the messages written, which the caller checks against the entries
 * that name one.
 */
static char *
run_statement(const RunShape *shape, const char *rows)
{
	StringInfoData sql;
	const char *entry_key = strcmp(shape->reentry, "once") == 0 ? "''::text"
		: strcmp(shape->reentry, "per_event_key") == 0 ? "coalesce(a.event_key, '')" : "$2";

	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "WITH p AS ("
					 "  SELECT c.*, f.max_messages AS cap_max, f.per AS cap_per, f.channel AS cap_channel"
					 "  FROM %1$s.campaigns c LEFT JOIN %1$s.frequency_caps f ON f.name = c.frequency_cap"
					 "  WHERE c.campaign_id = $1),"
					 " audience AS ("
					 "  SELECT DISTINCT ON (a.customer_id, entry_key) a.customer_id, a.event_key, a.payload, a.time_zone,"
					 "         a.consent, %2$s COLLATE \"C\" AS entry_key"
					 "  FROM %6$s a"
					 "  ORDER BY a.customer_id, entry_key, a.consent IS FALSE DESC, a.event_key, a.payload, a.time_zone),"
					 " fresh AS ("
					 "  SELECT a.* FROM audience a, p"
					 "  WHERE NOT EXISTS (SELECT 1 FROM %1$s.campaign_entries e"
					 "                    WHERE e.campaign_id = $1 AND e.customer_id = a.customer_id"
					 "                      AND (e.entry_key = a.entry_key%3$s))),"
					 " checked AS MATERIALIZED ("
					 "  SELECT f.*, CASE"
					 "    WHEN f.customer_id = '' OR octet_length(f.customer_id) > 1000 OR octet_length(f.entry_key) > 1000"
					 "      THEN 'rejected'"
					 "    WHEN p.purpose = 'marketing' AND f.consent IS FALSE THEN 'no_consent'"
					 "    WHEN EXISTS (SELECT 1 FROM %1$s.suppressions s"
					 "                 WHERE s.customer_id = f.customer_id AND (s.channel IS NULL OR s.channel = p.channel)"
					 "                   AND (s.scope = 'all' OR p.purpose = 'marketing')) THEN 'suppressed'"
					 "    %4$s"
					 "  END AS exclusion"
					 "  FROM fresh f, p),"
					 " excluded AS ("
					 "  INSERT INTO %1$s.campaign_exclusions AS x (campaign_id, customer_id, entry_key, reason, excluded_at)"
					 "  SELECT $1, c.customer_id, c.entry_key, c.exclusion, now() FROM checked c"
					 "  WHERE c.exclusion IS NOT NULL AND c.exclusion <> 'rejected'"
					 "  ON CONFLICT (campaign_id, customer_id, entry_key) DO UPDATE"
					 "  SET reason = excluded.reason, excluded_at = excluded.excluded_at WHERE x.reason <> excluded.reason"
					 "  RETURNING 1),"
					 " eligible AS ("
					 "  SELECT c.*, CASE WHEN %1$s.holdout_bucket(p.salt, c.customer_id) < p.holdout_percent / 100"
					 "                   THEN 'control' ELSE 'treatment' END AS arm,"
					 "         %5$s AS send_at"
					 "  FROM checked c, p WHERE c.exclusion IS NULL),",
					 CRM_SCHEMA, entry_key,
					 strcmp(shape->reentry, "cooldown") == 0 ? " OR e.entered_at > now() - p.cooldown" : "",
					 shape->quiet_hours ?
					 psprintf("WHEN f.time_zone IS NOT NULL AND NOT %s.is_valid_time_zone(f.time_zone) THEN 'invalid_time_zone'", CRM_SCHEMA)
					 : "",
					 shape->quiet_hours ? psprintf("%s.quiet_hours_release(now(), c.time_zone, p.quiet_start, p.quiet_end)", CRM_SCHEMA)
					 : "now()", rows);
	if (shape->frequency_cap)
		appendStringInfo(&sql,
						 " ranked AS ("
						 "  SELECT f.*, row_number() OVER (PARTITION BY f.customer_id, f.arm ORDER BY f.entry_key) AS nth"
						 "  FROM eligible f),"
						 " skips AS ("
						 "  SELECT r.*, CASE"
						 "    WHEN r.arm = 'control' THEN NULL"
						 "    WHEN r.nth + (SELECT count(*) FROM %1$s.outbox o"
						 "                  WHERE o.customer_id = r.customer_id AND o.created_at > now() - p.cap_per"
						 "                    AND (p.cap_channel IS NULL OR o.channel = p.cap_channel)"
						 "                    AND o.purpose = 'marketing'"
						 "                    AND o.status NOT IN ('failed', 'expired', 'skipped', 'suppressed')) > p.cap_max"
						 "      THEN 'frequency_capped'"
						 "    WHEN r.send_at > now() + p.max_delay THEN 'quiet_hours_expired'"
						 "  END AS skip_reason"
						 "  FROM ranked r, p),",
						 CRM_SCHEMA);
	else
		appendStringInfo(&sql,
						 " skips AS ("
						 "  SELECT f.*, CASE WHEN f.arm = 'treatment' AND f.send_at > now() + p.max_delay"
						 "                   THEN 'quiet_hours_expired' END AS skip_reason"
						 "  FROM eligible f, p),");
	appendStringInfo(&sql,
					 " decided AS MATERIALIZED ("
					 "  SELECT s.*, CASE WHEN s.arm = 'treatment' AND s.skip_reason IS NULL"
					 "                   THEN pg_catalog.nextval('%1$s.outbox_message_id_seq') END AS message_id"
					 "  FROM skips s),"
					 " messages AS ("
					 "  INSERT INTO %1$s.outbox (message_id, idempotency_key, campaign_id, customer_id, channel, purpose,"
					 "                          payload, not_before, expires_at, max_attempts)"
					 "  OVERRIDING SYSTEM VALUE"
					 "  SELECT d.message_id, $1::text || ':' || length(d.customer_id) || ':' || d.customer_id || ':' || d.entry_key,"
					 "         $1, d.customer_id, p.channel, p.purpose, d.payload, d.send_at, d.send_at + p.message_ttl,"
					 "         p.max_attempts"
					 "  FROM decided d, p WHERE d.message_id IS NOT NULL"
					 "  ON CONFLICT (idempotency_key) DO NOTHING"
					 "  RETURNING 1),"
					 " entries AS ("
					 "  INSERT INTO %1$s.campaign_entries (campaign_id, customer_id, entry_key, event_key, arm, would_send_at,"
					 "                                    skip_reason, message_id)"
					 "  SELECT $1, d.customer_id, d.entry_key, d.event_key, d.arm, d.send_at, d.skip_reason, d.message_id"
					 "  FROM decided d"
					 "  ON CONFLICT (campaign_id, customer_id, entry_key) DO NOTHING"
					 "  RETURNING arm, skip_reason, message_id)"
					 " SELECT count(*), count(*) FILTER (WHERE arm = 'control'), count(message_id), count(skip_reason),"
					 "        (SELECT count(*) FROM messages),"
					 "        (SELECT count(*) FROM checked WHERE exclusion IS NOT NULL AND exclusion <> 'rejected'),"
					 "        (SELECT count(*) FROM checked WHERE exclusion = 'rejected'),"
					 "        (SELECT count(*) FROM excluded)"
					 " FROM entries",
					 CRM_SCHEMA);
	return sql.data;
}

/* The text of column attnum of the first result row (NULL for SQL NULL). */
static char *
text_column(int attnum)
{
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, attnum);
}

/* The customers source, or NULL; palloc'd in the current (SPI) context. */
static CustomerSource *
customer_source(void)
{
	CustomerSource *source;
	bool		isnull;

	crm_job_execute(psprintf("SELECT relation::oid, customer_column::text, customer_type::oid,"
							 " time_zone_column::text, consent_column::text FROM %s.sources WHERE kind = 'customers'",
							 CRM_SCHEMA), 0, NULL, NULL, NULL, SPI_OK_SELECT);
	if (SPI_processed == 0)
		return NULL;
	source = palloc(sizeof(CustomerSource));
	source->relation = DatumGetObjectId(column(1, &isnull));
	source->customer_column = text_column(2);
	source->customer_type = DatumGetObjectId(column(3, &isnull));
	source->time_zone_column = text_column(4);
	source->consent_column = text_column(5);
	return source;
}

/* The run itself, with SPI connected and the search_path pinned. */
static void
run_locked(int64 campaign_id, const char *name, JobCaller caller, CampaignRunResult *result)
{
	TimestampTz started = GetCurrentTimestamp();
	bool		isnull;
	Oid			owner;
	JobRow		campaign;
	JobRunCounts counts = {{0}};
	char	   *channel,
			   *cap;
	RunShape	shape;
	const char *rows = crm_job_rows_name();
	CustomerSource *customers;
	Tuplestorestate *spool;

	/* 1. the campaign, locked */
	if (!crm_job_lock(&crm_campaign_job, campaign_id, name, caller,
					  "channel, frequency_cap, reentry, quiet_start IS NOT NULL", &campaign))
		return;
	channel = text_column(JOB_ROW_COLUMNS + 1);
	cap = text_column(JOB_ROW_COLUMNS + 2);
	shape.frequency_cap = cap != NULL;
	shape.reentry = text_column(JOB_ROW_COLUMNS + 3);
	shape.quiet_hours = DatumGetBool(column(JOB_ROW_COLUMNS + 4, &isnull));

	if (!crm_job_runnable(&crm_campaign_job, &campaign, caller))
		return;					/* paused, failed or run by hand meanwhile */
	owner = crm_job_owner_oid(campaign.owner, campaign.what);
	crm_job_check_owner(campaign.owner, campaign.what);
	crm_check_sending_enabled("crm.run_campaign");
	customers = customer_source();

	/* 2. the audience, as the owner; frequency caps are checked one campaign at a time */
	if (cap != NULL)
	{
		Oid			t = TEXTOID;
		Datum		v = CStringGetTextDatum(cap);

		crm_job_execute("SELECT pg_catalog.pg_advisory_xact_lock(1129466112, pg_catalog.hashtext($1))",
						1, &t, &v, NULL, SPI_OK_SELECT);
	}
	/* the rows stay in their spool: loading them into a table would write them once more */
	result->audience = crm_job_spool_rows(&campaign, owner, caller, true, customers, rows, &spool);

	/*
	 * 3. entries and messages; JIT (slower than the statement) is off and
	 * sorts get room (they spill to disk past it).
	 */
	{
		Oid			t[2] = {INT8OID, TEXTOID};
		Datum		v[2];
		int			nestlevel = NewGUCNestLevel();

		(void) set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
		(void) set_config_option("work_mem", "65536", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);

		v[0] = Int64GetDatum(campaign.id);
		v[1] = CStringGetTextDatum(timestamptz_to_str(started));
		crm_job_execute(run_statement(&shape, rows), 2, t, v, NULL, SPI_OK_SELECT);
		result->entries = count_column(1);
		result->control = count_column(2);
		result->messages = count_column(3);
		result->skipped = count_column(4);
		result->excluded = count_column(6);
		result->rejected = count_column(7);
		/* a message whose entry was not written (or the reverse): undo the run */
		if (count_column(5) != result->messages)
			ereport(ERROR,
					(errcode(ERRCODE_UNIQUE_VIOLATION),
					 errmsg("%s: only " INT64_FORMAT " of its " INT64_FORMAT " messages could be written",
							campaign.what, count_column(5), result->messages),
					 errdetail("An outbox message with the same idempotency key already exists; the run is rolled back.")));
		AtEOXact_GUC(false, nestlevel);
	}
	crm_job_release_spool(rows, spool);
	if (result->rejected > 0)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("%s: " INT64_FORMAT " audience rows were rejected", campaign.what, result->rejected),
				 errdetail("A customer_id must not be empty, and customer_id and event_key must be at most 1000 bytes.")));

	/* 4. history, schedule, notification */
	crm_job_count(&counts, RUN_AUDIENCE, result->audience);
	crm_job_count(&counts, RUN_ENTRIES, result->entries);
	crm_job_count(&counts, RUN_CONTROL, result->control);
	crm_job_count(&counts, RUN_MESSAGES, result->messages);
	crm_job_count(&counts, RUN_SKIPPED, result->skipped);
	crm_job_count(&counts, RUN_EXCLUDED, result->excluded);
	crm_job_count(&counts, RUN_REJECTED, result->rejected);
	crm_job_record_run(&crm_campaign_job, campaign.id, caller, started, &counts);
	if (result->messages > 0)
	{
		Oid			t = TEXTOID;
		Datum		v = CStringGetTextDatum(channel);

		crm_job_execute("SELECT pg_catalog.pg_notify('crm_outbox', $1)", 1, &t, &v, NULL, SPI_OK_SELECT);
	}
	result->ran = true;
}

void
crm_campaign_run(int64 campaign_id, const char *name, JobCaller caller, CampaignRunResult *result)
{
	int			pinned;

	memset(result, 0, sizeof(*result));
	pinned = crm_spi_connect_pinned();
	run_locked(campaign_id, name, caller, result);
	crm_spi_finish_pinned(pinned);
}
