/*
 * worker_shmem.c — shared memory of the background workers, and the
 * wake-up that CREATE EXTENSION sends (SQL: worker_status_sql.c).
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

/* Wakes this database's worker, or has the launcher start one, when the transaction commits. */
void
crm_wake_launcher_at_commit(void)
{
	if (crm_shared == NULL)
		return;
	if (!wakeup_callback_registered)
	{
		RegisterXactCallback(wakeup_at_commit, NULL);
		wakeup_callback_registered = true;
	}
	wakeup_pending = true;
}
