/*
 * worker_shmem.c — shared memory of the background workers, the status
 * view crm.worker_status, and the wake-up that CREATE EXTENSION sends.
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/dbcommands.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "automation/worker_shmem.h"
#include "crm_guc.h"

CrmShared  *crm_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static const char *const STATE_NAMES[] = {
	"unused", "starting", "starting", "running", "not installed", "restarting", "held", "disabled"
};

static Size
shared_size(void)
{
	return add_size(offsetof(CrmShared, slots), mul_size(sizeof(CrmDbSlot), crm_max_databases));
}

static void
shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(shared_size());
}

static void
shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	crm_shared = ShmemInitStruct("crm_marketing workers", shared_size(), &found);
	if (!found)
	{
		memset(crm_shared, 0, shared_size());
		SpinLockInit(&crm_shared->mutex);
		crm_shared->nslots = crm_max_databases;
	}
	LWLockRelease(AddinShmemInitLock);
}

void
crm_shmem_install_hooks(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = shmem_startup;
}

CrmDbSlot *
crm_slot_find(Oid dboid)
{
	int			i;

	for (i = 0; i < crm_shared->nslots; i++)
		if (crm_shared->slots[i].state != SLOT_UNUSED && crm_shared->slots[i].dboid == dboid)
			return &crm_shared->slots[i];
	return NULL;
}

CrmDbSlot *
crm_slot_find_or_add(Oid dboid)
{
	CrmDbSlot  *slot = crm_slot_find(dboid);
	int			i;

	if (slot != NULL)
		return slot;
	for (i = 0; i < crm_shared->nslots; i++)
		if (crm_shared->slots[i].state == SLOT_UNUSED)
		{
			slot = &crm_shared->slots[i];
			memset(slot, 0, sizeof(CrmDbSlot));
			slot->dboid = dboid;
			slot->state = SLOT_PROBE;
			return slot;
		}
	return NULL;
}

const char *
crm_slot_state_name(CrmSlotState state)
{
	return STATE_NAMES[state];
}

void
crm_wake_launcher_for(Oid dboid)
{
	CrmDbSlot  *slot;
	Latch	   *latch;

	if (crm_shared == NULL)
		return;
	SpinLockAcquire(&crm_shared->mutex);
	slot = crm_slot_find_or_add(dboid);
	latch = crm_shared->launcher_latch;
	if (slot != NULL && slot->pid != 0)
		latch = slot->latch;	/* the worker runs: wake it for its new job */
	else if (slot != NULL && slot->state != SLOT_HELD && slot->state != SLOT_DISABLED)
		slot->state = SLOT_PROBE;
	SpinLockRelease(&crm_shared->mutex);
	if (latch != NULL)
		SetLatch(latch);
}

/* CREATE EXTENSION wakes the launcher when its transaction commits, not before. */
static bool wakeup_pending = false;
static bool wakeup_callback_registered = false;

static void
wakeup_at_commit(XactEvent event, void *arg)
{
	if (!wakeup_pending)
		return;
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT)
	{
		wakeup_pending = false;
		crm_wake_launcher_for(MyDatabaseId);
	}
	else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		wakeup_pending = false;
}

PG_FUNCTION_INFO_V1(crm_worker_wakeup);
PG_FUNCTION_INFO_V1(crm_worker_status);

/*
 * _worker_wakeup(): when the transaction commits, wake this database's
 * worker, or have the launcher start one
 */
Datum
crm_worker_wakeup(PG_FUNCTION_ARGS)
{
	if (crm_shared == NULL)
		PG_RETURN_VOID();
	if (!wakeup_callback_registered)
	{
		RegisterXactCallback(wakeup_at_commit, NULL);
		wakeup_callback_registered = true;
	}
	wakeup_pending = true;
	PG_RETURN_VOID();
}

/* _worker_status(): a row per database slot */
Datum
crm_worker_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CrmDbSlot  *copy;
	int			n = 0,
				i;

	InitMaterializedSRF(fcinfo, 0);
	if (crm_shared == NULL)
		PG_RETURN_NULL();
	copy = palloc(sizeof(CrmDbSlot) * crm_shared->nslots);
	SpinLockAcquire(&crm_shared->mutex);
	for (i = 0; i < crm_shared->nslots; i++)
		if (crm_shared->slots[i].state != SLOT_UNUSED)
			copy[n++] = crm_shared->slots[i];
	SpinLockRelease(&crm_shared->mutex);

	for (i = 0; i < n; i++)
	{
		Datum		values[11];
		bool		nulls[11] = {false, false, false, false, false, false, false, false, false, false, false};
		char	   *dbname = get_database_name(copy[i].dboid);

		if (dbname == NULL)
			continue;			/* dropped, not yet forgotten */
		/* other databases' names and errors are theirs: superusers only */
		if (copy[i].dboid != MyDatabaseId && !superuser())
			continue;
		values[0] = CStringGetDatum(dbname);
		values[0] = DirectFunctionCall1(namein, values[0]);
		values[1] = CStringGetTextDatum(crm_slot_state_name(copy[i].state));
		values[2] = Int32GetDatum(copy[i].pid);
		nulls[2] = copy[i].pid == 0;
		values[3] = TimestampTzGetDatum(copy[i].started_at);
		nulls[3] = copy[i].started_at == 0;
		values[4] = TimestampTzGetDatum(copy[i].last_tick);
		nulls[4] = copy[i].last_tick == 0;
		values[5] = Int32GetDatum(copy[i].jobs_due);
		values[6] = Int64GetDatum(copy[i].jobs_run);
		values[7] = Int32GetDatum(copy[i].failures);
		values[8] = TimestampTzGetDatum(copy[i].state == SLOT_HELD ? copy[i].hold_until : copy[i].next_start);
		nulls[8] = copy[i].state != SLOT_BACKOFF && copy[i].state != SLOT_HELD;
		values[9] = CStringGetTextDatum(copy[i].last_error);
		nulls[9] = copy[i].last_error[0] == '\0';
		values[10] = BoolGetDatum(copy[i].sending_enabled);
		nulls[10] = copy[i].last_tick == 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	PG_RETURN_NULL();
}
