/*
 * session_locks.c — finding and releasing the session-level advisory locks
 * a job's query took (see session_locks.h).
 *
 * GetLockStatusData() reads the shared lock table: one call per job, not per
 * row.  After the job's subtransaction is rolled back, every transaction-level
 * lock it took is gone, so an advisory lock held now and not before is a
 * session-level one.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/lock.h"
#include "storage/proc.h"

#include "automation/session_locks.h"

List *
crm_advisory_locks_held(void)
{
	LockData   *data = GetLockStatusData();
	List	   *held = NIL;
	int			i;

	for (i = 0; i < data->nelements; i++)
	{
		LockInstanceData *lock = &data->locks[i];

		if (lock->pid == MyProcPid && lock->locktag.locktag_lockmethodid == USER_LOCKMETHOD &&
			lock->holdMask != 0)
		{
			LockInstanceData *copy = palloc(sizeof(LockInstanceData));

			*copy = *lock;
			held = lappend(held, copy);
		}
	}
	return held;
}

/* The modes of tag held in `locks` (0 if none). */
static LOCKMASK
modes_in(List *locks, const LOCKTAG *tag)
{
	ListCell   *lc;
	LOCKMASK	mask = 0;

	foreach(lc, locks)
	{
		LockInstanceData *lock = lfirst(lc);

		if (memcmp(&lock->locktag, tag, sizeof(LOCKTAG)) == 0)
			mask |= lock->holdMask;
	}
	return mask;
}

int
crm_advisory_locks_release_new(List *before)
{
	List	   *after = crm_advisory_locks_held();
	ListCell   *lc;
	int			released = 0;

	foreach(lc, after)
	{
		LockInstanceData *lock = lfirst(lc);
		LOCKMASK	new_modes = lock->holdMask & ~modes_in(before, &lock->locktag);
		LOCKMODE	mode;

		for (mode = 1; mode <= MaxLockMode; mode++)
		{
			if (!(new_modes & LOCKBIT_ON(mode)))
				continue;
			/* a session lock taken n times is held until released n times */
			while (LockHeldByMe(&lock->locktag, mode) && LockRelease(&lock->locktag, mode, true))
				;
			released++;
		}
	}
	return released;
}
