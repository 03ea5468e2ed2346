/*
 * session_locks.h — the session-level advisory locks a job's query may leave
 * behind.  A job's query runs inside a subtransaction that is rolled back,
 * which undoes everything it did to the session except session-level
 * advisory locks (pg_advisory_lock): those are found by comparing the
 * backend's advisory locks before and after, and released.
 */
#ifndef CRM_SESSION_LOCKS_H
#define CRM_SESSION_LOCKS_H

#include "postgres.h"

#include "nodes/pg_list.h"

/* The advisory locks this backend holds now, in any mode (a List of LockInstanceData copies). */
extern List *crm_advisory_locks_held(void);

/*
 * Releases the advisory locks held now that were not in `before`; returns how
 * many lock modes were released.
 */
extern int	crm_advisory_locks_release_new(List *before);

#endif
