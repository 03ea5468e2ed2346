/*
 * worker_shmem.h — the shared state of the launcher and the per-database
 * workers: one slot per database the launcher knows of.  Exists only with
 * shared_preload_libraries = 'crm_marketing' (crm_shared is NULL otherwise).
 * Slots are read and written under the spinlock, briefly.
 */
#ifndef CRM_WORKER_SHMEM_H
#define CRM_WORKER_SHMEM_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "storage/latch.h"
#include "storage/spin.h"

typedef enum CrmSlotState
{
	SLOT_UNUSED = 0,
	SLOT_PROBE,					/* start a worker: it checks for the extension */
	SLOT_STARTING,				/* registered, not yet connected */
	SLOT_RUNNING,
	SLOT_NOT_INSTALLED,			/* the worker found no extension and left */
	SLOT_BACKOFF,				/* the worker failed; restart at next_start */
	SLOT_HELD,					/* stopped for DROP/RENAME DATABASE until hold_until */
	SLOT_DISABLED				/* crm_marketing.worker_enabled is off */
} CrmSlotState;

typedef struct CrmDbSlot
{
	Oid			dboid;
	CrmSlotState state;
	pid_t		pid;			/* the worker's, while it runs */
	Latch	   *latch;			/* the worker's, while it runs */
	bool		exit_clean;		/* the worker left on purpose (state says why) */
	bool		sending_enabled;	/* at the last tick (crm.enable_sending) */
	int			failures;		/* consecutive, for the backoff */
	int			jobs_due;
	int64		jobs_run;
	TimestampTz started_at;
	TimestampTz last_tick;
	TimestampTz next_start;		/* SLOT_BACKOFF */
	TimestampTz hold_until;		/* SLOT_HELD */
	char		last_error[256];
} CrmDbSlot;

typedef struct CrmShared
{
	slock_t		mutex;
	pid_t		launcher_pid;
	Latch	   *launcher_latch;
	int			nslots;
	CrmDbSlot	slots[FLEXIBLE_ARRAY_MEMBER];
} CrmShared;

extern CrmShared *crm_shared;

extern void crm_shmem_install_hooks(void);

/* The slot of a database, or NULL; with the mutex held. */
extern CrmDbSlot *crm_slot_find(Oid dboid);

/* The slot of a database, made if needed (NULL if all are taken); with the mutex held. */
extern CrmDbSlot *crm_slot_find_or_add(Oid dboid);

extern const char *crm_slot_state_name(CrmSlotState state);

/*
 * Wakes the database's worker (a job was created or resumed), or asks the
 * launcher to start one (CREATE EXTENSION).
 */
extern void crm_wake_launcher_for(Oid dboid);

/* crm_wake_launcher_for(MyDatabaseId) when the current transaction commits. */
extern void crm_wake_launcher_at_commit(void);

#endif
