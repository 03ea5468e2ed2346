/*
 * launcher.c — the launcher: one background worker, connected to no
 * database (shared catalogs only, like the logical replication launcher),
 * that keeps one worker running in every database where crm_marketing is
 * installed.
 *
 *  - It looks at every database once at start and every minute for new ones:
 *    a worker it starts there checks for the extension and leaves (slot "not
 *    installed") when it is absent.  CREATE EXTENSION wakes it at once.
 *  - A worker that dies is restarted after 1, 2, 4 ... up to 300 seconds.
 *  - It is registered to start after recovery, so it does nothing on a
 *    standby; it reloads its settings on SIGHUP and stops on SIGTERM.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "automation/worker_shmem.h"
#include "crm_guc.h"

#define RESCAN_SECONDS		60
#define MAX_BACKOFF_SECONDS	300

/* the handles of the workers this launcher started, by slot */
static BackgroundWorkerHandle **handles;

void		crm_launcher_main(Datum arg) pg_attribute_noreturn();

/* The databases that accept connections and are not templates. */
static List *
database_list(void)
{
	List	   *oids = NIL;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tuple;
	MemoryContext caller = CurrentMemoryContext;

	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tuple);
		MemoryContext old;

		if (!db->datallowconn || db->datistemplate)
			continue;
		old = MemoryContextSwitchTo(caller);
		oids = lappend_oid(oids, db->oid);
		MemoryContextSwitchTo(old);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	return oids;
}

/* Adds slots for new databases and forgets those of dropped ones. */
static void
rescan_databases(void)
{
	List	   *oids = database_list();
	int			i;
	ListCell   *lc;

	SpinLockAcquire(&crm_shared->mutex);
	foreach(lc, oids)
	{
		Oid			dboid = lfirst_oid(lc);

		if (crm_slot_find(dboid) == NULL && crm_slot_find_or_add(dboid) == NULL)
			break;				/* all slots taken: crm_marketing.max_databases */
	}
	for (i = 0; i < crm_shared->nslots; i++)
	{
		CrmDbSlot  *slot = &crm_shared->slots[i];

		if (slot->state != SLOT_UNUSED && slot->pid == 0 && handles[i] == NULL &&
			!list_member_oid(oids, slot->dboid))
			slot->state = SLOT_UNUSED;
	}
	SpinLockRelease(&crm_shared->mutex);
	list_free(oids);
}

/* Registers a worker for slot i; false if no background worker slot is free. */
static bool
start_worker(int i, Oid dboid)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "crm_marketing");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "crm_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "crm_marketing worker for database %u", dboid);
	snprintf(worker.bgw_type, BGW_MAXLEN, "crm_marketing worker");
	worker.bgw_main_arg = ObjectIdGetDatum(dboid);
	worker.bgw_notify_pid = MyProcPid;
	return RegisterDynamicBackgroundWorker(&worker, &handles[i]);
}

/* Notices workers that exited, and starts those that should run; returns ms to the next deadline. */
static long
supervise(void)
{
	TimestampTz now = GetCurrentTimestamp();
	long		wait_ms = (long) crm_naptime * 1000;
	int			i;

	for (i = 0; i < crm_shared->nslots; i++)
	{
		CrmDbSlot  *slot = &crm_shared->slots[i];
		pid_t		pid;
		Oid			dboid;
		bool		start = false;

		if (handles[i] != NULL && GetBackgroundWorkerPid(handles[i], &pid) == BGWH_STOPPED)
		{
			pfree(handles[i]);
			handles[i] = NULL;
			SpinLockAcquire(&crm_shared->mutex);
			slot->pid = 0;
			if (!slot->exit_clean)
			{
				int			backoff = Min(MAX_BACKOFF_SECONDS, 1 << Min(slot->failures, 9));

				slot->failures++;
				slot->state = SLOT_BACKOFF;
				slot->next_start = TimestampTzPlusMilliseconds(now, backoff * 1000);
				if (slot->last_error[0] == '\0')
					strlcpy(slot->last_error, "the worker exited unexpectedly", sizeof(slot->last_error));
			}
			SpinLockRelease(&crm_shared->mutex);
		}
		if (handles[i] != NULL)
			continue;

		SpinLockAcquire(&crm_shared->mutex);
		dboid = slot->dboid;
		switch (slot->state)
		{
			case SLOT_PROBE:
				start = true;
				break;
			case SLOT_BACKOFF:
				start = now >= slot->next_start;
				if (!start)
					wait_ms = Min(wait_ms, (long) ((slot->next_start - now) / 1000) + 1);
				break;
			case SLOT_HELD:
				start = now >= slot->hold_until;
				if (!start)
					wait_ms = Min(wait_ms, (long) ((slot->hold_until - now) / 1000) + 1);
				break;
			default:
				break;
		}
		if (start)
		{
			slot->state = SLOT_STARTING;
			slot->exit_clean = false;
			slot->started_at = now;
		}
		SpinLockRelease(&crm_shared->mutex);

		if (start && !start_worker(i, dboid))
		{
			ereport(WARNING,
					(errmsg("crm_marketing: no background worker slot free for database %u", dboid),
					 errhint("Raise max_worker_processes.")));
			SpinLockAcquire(&crm_shared->mutex);
			slot->state = SLOT_BACKOFF;
			slot->next_start = TimestampTzPlusMilliseconds(now, 10000);
			SpinLockRelease(&crm_shared->mutex);
		}
	}
	return wait_ms;
}

/* Stops every worker (disabled, or taking over from a previous launcher). */
static void
stop_all_workers(CrmSlotState state)
{
	int			i,
				waited;

	SpinLockAcquire(&crm_shared->mutex);
	for (i = 0; i < crm_shared->nslots; i++)
	{
		CrmDbSlot  *slot = &crm_shared->slots[i];

		if (slot->state == SLOT_UNUSED)
			continue;
		if (slot->pid != 0)
		{
			slot->exit_clean = true;
			kill(slot->pid, SIGTERM);
		}
		if (slot->state != SLOT_NOT_INSTALLED || state == SLOT_PROBE)
			slot->state = state;
	}
	SpinLockRelease(&crm_shared->mutex);
	for (i = 0; i < crm_shared->nslots; i++)
		if (handles[i] != NULL)
		{
			TerminateBackgroundWorker(handles[i]);
			pfree(handles[i]);
			handles[i] = NULL;
		}
	/* wait (up to 10 s) for the workers to clear their slots */
	for (waited = 0; waited < 1000; waited++)
	{
		bool		running = false;

		SpinLockAcquire(&crm_shared->mutex);
		for (i = 0; i < crm_shared->nslots; i++)
			running |= crm_shared->slots[i].pid != 0;
		SpinLockRelease(&crm_shared->mutex);
		if (!running)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 10, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/* Forgets the launcher's latch when it exits. */
static void
launcher_exit(int code, Datum arg)
{
	SpinLockAcquire(&crm_shared->mutex);
	if (crm_shared->launcher_pid == MyProcPid)
	{
		crm_shared->launcher_pid = 0;
		crm_shared->launcher_latch = NULL;
	}
	SpinLockRelease(&crm_shared->mutex);
}

void
crm_launcher_main(Datum arg)
{
	TimestampTz last_scan = 0;
	bool		was_enabled = true;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("crm_marketing launcher");

	handles = MemoryContextAllocZero(TopMemoryContext, sizeof(BackgroundWorkerHandle *) * crm_shared->nslots);
	SpinLockAcquire(&crm_shared->mutex);
	crm_shared->launcher_pid = MyProcPid;
	crm_shared->launcher_latch = MyLatch;
	SpinLockRelease(&crm_shared->mutex);
	before_shmem_exit(launcher_exit, (Datum) 0);

	/* workers of a previous launcher: stop them, then check every database afresh */
	stop_all_workers(SLOT_PROBE);

	for (;;)
	{
		long		wait_ms;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		if (!crm_worker_enabled)
		{
			if (was_enabled)
				stop_all_workers(SLOT_DISABLED);
			was_enabled = false;
			wait_ms = (long) crm_naptime * 1000;
		}
		else
		{
			if (!was_enabled)
			{
				was_enabled = true;
				last_scan = 0;
				SpinLockAcquire(&crm_shared->mutex);
				for (int i = 0; i < crm_shared->nslots; i++)
					if (crm_shared->slots[i].state == SLOT_DISABLED)
						crm_shared->slots[i].state = SLOT_PROBE;
				SpinLockRelease(&crm_shared->mutex);
			}
			if (last_scan == 0 ||
				TimestampDifferenceExceeds(last_scan, GetCurrentTimestamp(), RESCAN_SECONDS * 1000))
			{
				rescan_databases();
				last_scan = GetCurrentTimestamp();
			}
			wait_ms = supervise();
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Max(wait_ms, 10), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
