/*
 * job_run.c — the skeleton a campaign run (campaign_run.c) and a segment
 * refresh (segment_refresh.c) share (see job_run.h).  Every statement names
 * its objects with their schema: they run under the pinned search_path
 * (crm_spi_connect_pinned) with the extension's or the worker's rights.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "automation/job_run.h"
#include "crm_guc.h"
#include "util/spi_pinned.h"

const JobKind crm_campaign_job = {
	.kind = "campaign",
	.table = "campaigns",
	.id_column = "campaign_id",
	.query_column = "audience",
	.last_column = "last_run_at",
	.next_column = "next_run_at",
	.every_column = "run_every",
	.has_members = false,
	.resume_function = "crm.resume_campaign",
};

const JobKind crm_segment_job = {
	.kind = "segment",
	.table = "segments",
	.id_column = "segment_id",
	.query_column = "query",
	.last_column = "last_refresh_at",
	.next_column = "next_refresh_at",
	.every_column = "refresh_every",
	.has_members = true,
	.resume_function = NULL,
};

/* The crm.job_runs columns of JobRunCount, in its order. */
static const char *const COUNT_COLUMNS[RUN_NCOUNTS] = {
	"audience", "entries", "control", "messages", "skipped", "entered", "exited", "excluded", "rejected"
};

bool
crm_job_lock(const JobKind *kind, int64 id, const char *name, JobCaller caller, const char *extra,
			 JobRow *row)
{
	Datum		key;
	Oid			key_type;
	bool		isnull;
	HeapTuple	tuple;
	TupleDesc	desc;

	if (id != 0)
	{
		key = Int64GetDatum(id);
		key_type = INT8OID;
	}
	else
	{
		key = CStringGetTextDatum(name);
		key_type = TEXTOID;
	}
	crm_job_execute(psprintf("SELECT %2$s, name, owner::text, %3$s, search_path, status, %4$s <= now()%5$s%6$s"
							 " FROM %1$s.%7$s WHERE %8$s = $1 FOR UPDATE",
							 CRM_SCHEMA, kind->id_column, kind->query_column, kind->next_column,
							 extra != NULL ? ", " : "", extra != NULL ? extra : "", kind->table,
							 id != 0 ? kind->id_column : "name"),
					1, &key_type, &key, NULL, SPI_OK_SELECT);
	if (SPI_processed == 0)
	{
		if (caller == JOB_BY_WORKER)
			return false;		/* dropped meanwhile */
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("%s \"%s\" does not exist", kind->kind, name)));
	}
	tuple = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	row->id = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &isnull));
	row->name = SPI_getvalue(tuple, desc, 2);
	row->what = psprintf("%s \"%s\"", kind->kind, row->name);
	row->owner = SPI_getvalue(tuple, desc, 3);
	row->query = SPI_getvalue(tuple, desc, 4);
	row->search_path = SPI_getvalue(tuple, desc, 5);
	row->status = SPI_getvalue(tuple, desc, 6);
	row->due = DatumGetBool(SPI_getbinval(tuple, desc, 7, &isnull));
	return true;
}

bool
crm_job_runnable(const JobKind *kind, const JobRow *row, JobCaller caller)
{
	if (caller == JOB_BY_WORKER)
		return strcmp(row->status, "active") == 0 && row->due;
	if (strcmp(row->status, "paused") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s \"%s\" is paused", kind->kind, row->name),
				 kind->resume_function != NULL ?
				 errhint("Resume it with %s(%s).", kind->resume_function, quote_literal_cstr(row->name)) : 0));
	return true;
}

int64
crm_job_spool_rows(const JobRow *row, Oid owner, JobCaller caller, bool with_extras,
				   const CustomerSource *customers, const char *name, Tuplestorestate **spool)
{
	return crm_job_collect_spool(row->query, owner, row->search_path, with_extras, customers,
								 caller == JOB_BY_WORKER ? crm_job_statement_timeout : 0, name, row->what, spool);
}

Datum
crm_job_result(FunctionCallInfo fcinfo, const char *function, const int64 *counts, int n)
{
	TupleDesc	tupdesc;
	Datum	   *values = palloc(sizeof(Datum) * n);
	bool	   *nulls = palloc0(sizeof(bool) * n);
	int			i;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "%s: called in a context that cannot accept a composite", function);
	for (i = 0; i < n; i++)
		values[i] = Int64GetDatum(counts[i]);
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls));
}

/*
 * The one shape of a crm.job_runs row and of the job's new schedule, written
 * in one statement (a job dropped meanwhile gets no row): error NULL for a
 * run that went through, the message for a failed one.
 * $1 job id, $2 run_by, $3 started, $4 error, $5.. the counts.
 */
static void
record(const JobKind *kind, int64 id, const char *run_by, TimestampTz started, const JobRunCounts *counts,
	   const char *error)
{
	Oid			types[4 + RUN_NCOUNTS] = {INT8OID, TEXTOID, TIMESTAMPTZOID, TEXTOID};
	Datum		values[4 + RUN_NCOUNTS];
	char		nulls[4 + RUN_NCOUNTS + 1];
	StringInfoData sql;
	int			c;

	values[0] = Int64GetDatum(id);
	values[1] = CStringGetTextDatum(run_by);
	values[2] = TimestampTzGetDatum(started);
	values[3] = error != NULL ? CStringGetTextDatum(error) : (Datum) 0;
	memset(nulls, ' ', sizeof(nulls) - 1);
	nulls[sizeof(nulls) - 1] = '\0';
	nulls[3] = error != NULL ? ' ' : 'n';
	for (c = 0; c < RUN_NCOUNTS; c++)
	{
		types[4 + c] = INT8OID;
		values[4 + c] = counts != NULL && counts->set[c] ? Int64GetDatum(counts->value[c]) : (Datum) 0;
		nulls[4 + c] = counts != NULL && counts->set[c] ? ' ' : 'n';
	}

	initStringInfo(&sql);
	appendStringInfo(&sql, "WITH j AS (UPDATE %s.%s SET status = '%s', last_error = $4, %s = now() + %s",
					 CRM_SCHEMA, kind->table, error == NULL ? "active" : "failed",
					 kind->next_column, kind->every_column);
	if (error == NULL)
		appendStringInfo(&sql, ", %s = now()", kind->last_column);
	if (error == NULL && kind->has_members)
		appendStringInfo(&sql, ", members = $%d", 5 + RUN_AUDIENCE);
	appendStringInfo(&sql, " WHERE %s = $1 RETURNING name)"
					 " INSERT INTO %s.job_runs (job_kind, job_name, run_by, started_at, finished_at, status, error",
					 kind->id_column, CRM_SCHEMA);
	for (c = 0; c < RUN_NCOUNTS; c++)
		appendStringInfo(&sql, ", %s", COUNT_COLUMNS[c]);
	appendStringInfo(&sql, ") SELECT %s, j.name, $2, $3, clock_timestamp(), '%s', $4",
					 quote_literal_cstr(kind->kind), error == NULL ? "ok" : "failed");
	for (c = 0; c < RUN_NCOUNTS; c++)
		appendStringInfo(&sql, ", $%d", 5 + c);
	appendStringInfoString(&sql, " FROM j");
	crm_job_execute(sql.data, 4 + RUN_NCOUNTS, types, values, nulls, SPI_OK_INSERT);
}

void
crm_job_record_run(const JobKind *kind, int64 id, JobCaller caller, TimestampTz started,
				   const JobRunCounts *counts)
{
	record(kind, id, caller == JOB_BY_WORKER ? "worker" : "manual", started, counts, NULL);
}

void
crm_job_record_failure(const JobKind *kind, int64 id, const char *message, TimestampTz started)
{
	int			pinned = crm_spi_connect_pinned();

	record(kind, id, "worker", started, NULL, message);
	crm_spi_finish_pinned(pinned);
}
