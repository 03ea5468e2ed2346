/*
 * segment_refresh.c — one refresh of a segment, set-based, in the caller's
 * transaction (crm.refresh_segment and the background worker share it).
 *
 * The segment's query runs as its owner, read-only (job_exec.c); then one
 * statement diffs the result against the current members: members no
 * longer returned get exited_at, customers newly returned get a new row.
 * History is kept, so "entered At Risk in the last day" is a query on
 * crm.segment_membership, and a campaign audience can be exactly that.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "automation/job_run.h"
#include "util/spi_pinned.h"

/*
 * The diff; a customer_id no index can hold (empty, or over 1000 bytes) is
 * rejected and counted (fourth column), not a failed refresh.
 */
static const char *const DIFF_SQL =
"WITH now_members AS (SELECT DISTINCT r.customer_id FROM %2$s r"
"                     WHERE r.customer_id <> '' AND octet_length(r.customer_id) <= 1000),"
" exited AS ("
"  UPDATE %1$s.segment_membership m SET exited_at = now()"
"  WHERE m.segment_id = $1 AND m.exited_at IS NULL"
"    AND NOT EXISTS (SELECT 1 FROM now_members n WHERE n.customer_id = m.customer_id)"
"  RETURNING 1),"
" entered AS ("
"  INSERT INTO %1$s.segment_membership (segment_id, customer_id, entered_at)"
"  SELECT $1, n.customer_id, now() FROM now_members n"
"  WHERE NOT EXISTS (SELECT 1 FROM %1$s.segment_membership m"
"                    WHERE m.segment_id = $1 AND m.customer_id = n.customer_id AND m.exited_at IS NULL)"
"  RETURNING 1)"
" SELECT (SELECT count(*) FROM entered), (SELECT count(*) FROM exited), (SELECT count(*) FROM now_members),"
"        (SELECT count(*) FROM %2$s r WHERE r.customer_id = '' OR octet_length(r.customer_id) > 1000)";

/* The refresh itself, with SPI connected and the search_path pinned. */
static void
refresh_locked(int64 segment_id, const char *name, JobCaller caller, SegmentRefreshResult *result)
{
	TimestampTz started = GetCurrentTimestamp();
	int64		rejected = 0;
	bool		isnull;
	Oid			owner;
	JobRow		segment;
	JobRunCounts counts = {{0}};
	const char *rows = crm_job_rows_name();
	Tuplestorestate *spool;

	if (!crm_job_lock(&crm_segment_job, segment_id, name, caller, NULL, &segment))
		return;
	owner = crm_job_owner_oid(segment.owner, segment.what);
	if (!crm_job_runnable(&crm_segment_job, &segment, caller))
		return;
	crm_job_check_owner(segment.owner, segment.what);

	(void) crm_job_spool_rows(&segment, owner, caller, false, NULL, rows, &spool);
	{
		Oid			t[1] = {INT8OID};
		Datum		v[1];

		v[0] = Int64GetDatum(segment.id);
		crm_job_execute(psprintf(DIFF_SQL, CRM_SCHEMA, rows), 1, t, v, NULL, SPI_OK_SELECT);
		result->entered = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		result->exited = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		result->members = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
		rejected = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull));
	}
	crm_job_release_spool(rows, spool);
	if (rejected > 0)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("%s: " INT64_FORMAT " rows were rejected", segment.what, rejected),
				 errdetail("A customer_id must not be empty and must be at most 1000 bytes.")));
	/* a segment's audience is its members */
	crm_job_count(&counts, RUN_AUDIENCE, result->members);
	crm_job_count(&counts, RUN_ENTERED, result->entered);
	crm_job_count(&counts, RUN_EXITED, result->exited);
	crm_job_count(&counts, RUN_REJECTED, rejected);
	crm_job_record_run(&crm_segment_job, segment.id, caller, started, &counts);
	result->ran = true;
}

void
crm_segment_refresh(int64 segment_id, const char *name, JobCaller caller, SegmentRefreshResult *result)
{
	int			pinned;

	memset(result, 0, sizeof(*result));
	pinned = crm_spi_connect_pinned();
	refresh_locked(segment_id, name, caller, result);
	crm_spi_finish_pinned(pinned);
}
