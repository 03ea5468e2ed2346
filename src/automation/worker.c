/*
 * worker.c — the per-database background worker: every tick it runs the
 * campaigns and segment refreshes that are due, each in its own transaction
 * through the same code as crm.run_campaign / crm.refresh_segment (SPI, in
 * process: no libpq connection back to the server), then the maintenance
 * (expired messages and leases, run-history pruning), and sleeps until the
 * next job is due or crm_marketing.naptime has passed.
 *
 * A job that fails (its query errors, its owner was dropped, the statement
 * timeout fires) is marked failed with the error and recorded in
 * crm.job_runs; the other jobs go on.  The worker leaves on its own when the
 * extension is dropped, and is stopped (SIGTERM) for DROP DATABASE by the
 * utility hook.
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "automation/job_exec.h"
#include "automation/job_run.h"
#include "automation/jobs.h"
#include "automation/sending_switch.h"
#include "automation/worker_shmem.h"
#include "crm_guc.h"
#include "util/spi_pinned.h"

void		crm_worker_main(Datum arg) pg_attribute_noreturn();

static CrmDbSlot *my_slot = NULL;

/* A due job: 'c' campaign or 's' segment, and its id. */
typedef struct DueJob
{
	char		kind;
	int64		id;
} DueJob;

/* Clears the slot's pid when the worker exits, however it exits. */
static void
release_slot(int code, Datum arg)
{
	if (my_slot == NULL)
		return;
	SpinLockAcquire(&crm_shared->mutex);
	if (my_slot->pid == MyProcPid)
	{
		my_slot->pid = 0;
		my_slot->latch = NULL;
	}
	SpinLockRelease(&crm_shared->mutex);
}

/* Leaves on purpose, with the slot saying why. */
static void
leave(CrmSlotState state, const char *why)
{
	SpinLockAcquire(&crm_shared->mutex);
	my_slot->state = state;
	my_slot->exit_clean = true;
	strlcpy(my_slot->last_error, why, sizeof(my_slot->last_error));
	SpinLockRelease(&crm_shared->mutex);
	proc_exit(0);
}

static void
set_slot_error(const char *message)
{
	SpinLockAcquire(&crm_shared->mutex);
	strlcpy(my_slot->last_error, message, sizeof(my_slot->last_error));
	SpinLockRelease(&crm_shared->mutex);
}

/* Shows in the slot whether this database's sending switch is off. */
static void
set_slot_sending(bool enabled)
{
	SpinLockAcquire(&crm_shared->mutex);
	my_slot->sending_enabled = enabled;
	SpinLockRelease(&crm_shared->mutex);
}

/*
 * One transaction: is the extension still there, is sending enabled here,
 * the maintenance, and the jobs due.  Returns the jobs (in `context`) and
 * the time the next one is due.  Everything runs under the pinned
 * search_path: the worker is the bootstrap superuser.
 */
static List *
due_jobs(MemoryContext context, TimestampTz *next_due)
{
	List	   *jobs = NIL;
	uint64		i;
	bool		isnull;
	bool		enabled;
	int			pinned;

	*next_due = 0;
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (!OidIsValid(get_extension_oid("crm_marketing", true)))
	{
		PopActiveSnapshot();
		CommitTransactionCommand();
		leave(SLOT_NOT_INSTALLED, "");
	}
	pinned = crm_spi_connect_pinned();
	enabled = crm_sending_enabled_here();
	set_slot_sending(enabled);
	if (!enabled)
	{
		/* a restored or copied database: touch nothing until an operator enables it */
		crm_spi_finish_pinned(pinned);
		PopActiveSnapshot();
		CommitTransactionCommand();
		return NIL;
	}
	pgstat_report_activity(STATE_RUNNING, "crm_marketing: maintenance");
	if (SPI_execute(psprintf("SELECT * FROM %s.run_maintenance(pg_catalog.make_interval(days => %d),"
							 " pg_catalog.make_interval(days => %d))", CRM_SCHEMA,
							 crm_history_retention, crm_message_retention), false, 0) != SPI_OK_SELECT)
		elog(ERROR, "crm_marketing: maintenance failed");
	if (SPI_execute(psprintf("SELECT kind, id, due FROM ("
							 " SELECT 'c' AS kind, campaign_id AS id, next_run_at AS due FROM %1$s.campaigns"
							 "  WHERE status = 'active'"
							 " UNION ALL"
							 " SELECT 's', segment_id, next_refresh_at FROM %1$s.segments WHERE status = 'active') j"
							 " ORDER BY due, kind, id", CRM_SCHEMA), true, 0) != SPI_OK_SELECT)
		elog(ERROR, "crm_marketing: could not read the jobs");
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		TimestampTz due = DatumGetTimestampTz(SPI_getbinval(row, SPI_tuptable->tupdesc, 3, &isnull));

		if (due <= GetCurrentTransactionStartTimestamp())
		{
			MemoryContext old = MemoryContextSwitchTo(context);
			DueJob	   *job = palloc(sizeof(DueJob));

			job->kind = SPI_getvalue(row, SPI_tuptable->tupdesc, 1)[0];
			job->id = DatumGetInt64(SPI_getbinval(row, SPI_tuptable->tupdesc, 2, &isnull));
			jobs = lappend(jobs, job);
			MemoryContextSwitchTo(old);
		}
		else
		{
			*next_due = due;	/* the earliest one not yet due */
			break;
		}
	}
	crm_spi_finish_pinned(pinned);
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	return jobs;
}

/*
 * Runs one job in its own transaction; a failure is logged and recorded, and
 * the worker goes on.  Session-level advisory locks are released after
 * every job, whatever it did (the worker takes none of its own).
 */
static void
run_job(DueJob *job, MemoryContext error_context)
{
	TimestampTz started = GetCurrentTimestamp();
	const JobKind *kind = job->kind == 'c' ? &crm_campaign_job : &crm_segment_job;

	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, job->kind == 'c' ? "crm_marketing: campaign" : "crm_marketing: segment");
		if (job->kind == 'c')
		{
			CampaignRunResult r;

			crm_campaign_run(job->id, NULL, JOB_BY_WORKER, &r);
		}
		else
		{
			SegmentRefreshResult r;

			crm_segment_refresh(job->id, NULL, JOB_BY_WORKER, &r);
		}
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		MemoryContext old = MemoryContextSwitchTo(error_context);
		ErrorData  *edata = CopyErrorData();

		FlushErrorState();
		AbortCurrentTransaction();
		disable_timeout(STATEMENT_TIMEOUT, false);
		MemoryContextSwitchTo(old);
		set_slot_error(edata->message);
		ereport(LOG,
				(errmsg("crm_marketing: %s " INT64_FORMAT " failed: %s", kind->kind, job->id, edata->message),
				 edata->detail ? errdetail_internal("%s", edata->detail) : 0,
				 errhint("The job is marked failed (crm.job_runs, last_error); resume it once fixed.")));

		/* record it: the job is marked failed, the others are not affected */
		PG_TRY();
		{
			SetCurrentStatementStartTimestamp();
			StartTransactionCommand();
			PushActiveSnapshot(GetTransactionSnapshot());
			crm_job_record_failure(kind, job->id, edata->message, started);
			PopActiveSnapshot();
			CommitTransactionCommand();
		}
		PG_CATCH();
		{
			EmitErrorReport();
			FlushErrorState();
			AbortCurrentTransaction();
		}
		PG_END_TRY();
	}
	PG_END_TRY();
	LockReleaseSession(USER_LOCKMETHOD);
	pgstat_report_activity(STATE_IDLE, NULL);
}

void
crm_worker_main(Datum arg)
{
	Oid			dboid = DatumGetObjectId(arg);
	MemoryContext tick_context;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	SpinLockAcquire(&crm_shared->mutex);
	my_slot = crm_slot_find(dboid);
	if (my_slot != NULL)
	{
		my_slot->pid = MyProcPid;
		my_slot->latch = MyLatch;
		my_slot->state = SLOT_RUNNING;
		my_slot->last_error[0] = '\0';
	}
	SpinLockRelease(&crm_shared->mutex);
	if (my_slot == NULL)
		proc_exit(0);			/* the launcher forgot this database meanwhile */
	before_shmem_exit(release_slot, (Datum) 0);

	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	pgstat_report_appname("crm_marketing worker");
	tick_context = AllocSetContextCreate(TopMemoryContext, "crm_marketing tick", ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		TimestampTz next_due;
		List	   *jobs;
		ListCell   *lc;
		long		sleep_ms = (long) crm_naptime * 1000;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		if (!crm_worker_enabled)
			leave(SLOT_DISABLED, "");

		MemoryContextReset(tick_context);
		jobs = due_jobs(tick_context, &next_due);
		SpinLockAcquire(&crm_shared->mutex);
		my_slot->last_tick = GetCurrentTimestamp();
		my_slot->jobs_due = list_length(jobs);
		SpinLockRelease(&crm_shared->mutex);

		foreach(lc, jobs)
		{
			CHECK_FOR_INTERRUPTS();
			run_job((DueJob *) lfirst(lc), tick_context);
			SpinLockAcquire(&crm_shared->mutex);
			my_slot->jobs_run++;
			my_slot->jobs_due--;
			SpinLockRelease(&crm_shared->mutex);
		}
		SpinLockAcquire(&crm_shared->mutex);
		my_slot->failures = 0;	/* a full tick: the backoff starts over */
		SpinLockRelease(&crm_shared->mutex);

		if (jobs != NIL)
			continue;			/* look again at once: running took time */
		if (next_due != 0)
		{
			long		until_due = (long) ((next_due - GetCurrentTimestamp()) / 1000) + 1;

			sleep_ms = Max(Min(sleep_ms, until_due), 10);
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, sleep_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
