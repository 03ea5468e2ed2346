/*
 * utility_hook.c — keeps the workers out of the way of commands that need a
 * database to themselves: DROP DATABASE, ALTER DATABASE ... RENAME TO / SET
 * TABLESPACE, and CREATE DATABASE ... TEMPLATE.  Before such a command runs,
 * the worker of that database is told to stop (SIGTERM) and held for a
 * while, and the command waits (up to 5 seconds) until it is gone, so the
 * command never fails with "database is being accessed by other users"
 * because of us.  The worker is stopped only for a role that may run the
 * command: PostgreSQL checks the privileges after this hook, and a role
 * without them must not be able to pause a database's campaigns.  The hold
 * ends with the command's transaction: at once if the command fails or is
 * rolled back, at commit otherwise (a dropped database's slot is freed), so
 * a worker is never kept away longer than the command needs.
 * Installed in every backend when the library is preloaded.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "commands/tablespace.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "automation/utility_hook.h"
#include "automation/worker_shmem.h"

#define HOLD_SECONDS	60				/* the most a hold lasts if its end is missed */
#define WAIT_MS			5000
#define MAX_HELD		8

static ProcessUtility_hook_type prev_utility_hook = NULL;

/* The databases this backend's transaction holds, and whether it drops them. */
static struct
{
	Oid			dboid;
	bool		dropped;
}			held[MAX_HELD];
static int	n_held = 0;
static bool end_callback_registered = false;

/*
 * Ends the holds of this transaction: a database that was dropped frees its
 * slot; any other is released now, and the launcher woken to restart it.
 */
static void
end_holds(bool committed)
{
	Latch	   *latch;
	int			i;

	if (n_held == 0 || crm_shared == NULL)
		return;
	SpinLockAcquire(&crm_shared->mutex);
	for (i = 0; i < n_held; i++)
	{
		CrmDbSlot  *slot = crm_slot_find(held[i].dboid);

		if (slot == NULL || slot->state != SLOT_HELD || slot->pid != 0)
			continue;
		if (committed && held[i].dropped)
			slot->state = SLOT_UNUSED;
		else
			slot->hold_until = GetCurrentTimestamp();
	}
	latch = crm_shared->launcher_latch;
	SpinLockRelease(&crm_shared->mutex);
	n_held = 0;
	if (latch != NULL)
		SetLatch(latch);
}

static void
end_holds_at_xact_end(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT)
		end_holds(true);
	else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		end_holds(false);
}

/* Remembers a hold, to end it with the transaction. */
static void
remember_hold(Oid dboid, bool dropped)
{
	if (!end_callback_registered)
	{
		RegisterXactCallback(end_holds_at_xact_end, NULL);
		end_callback_registered = true;
	}
	if (n_held < MAX_HELD)
	{
		held[n_held].dboid = dboid;
		held[n_held].dropped = dropped;
		n_held++;
	}
}

/* Stops and holds the worker of a database, waiting for it to leave. */
static void
release_database(const char *dbname, bool dropped)
{
	Oid			dboid = get_database_oid(dbname, true);
	CrmDbSlot  *slot;
	pid_t		pid = 0;
	int			waited;

	if (!OidIsValid(dboid) || crm_shared == NULL)
		return;
	SpinLockAcquire(&crm_shared->mutex);
	slot = crm_slot_find(dboid);
	if (slot != NULL)
	{
		slot->state = SLOT_HELD;
		slot->exit_clean = true;
		slot->hold_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), HOLD_SECONDS * 1000);
		pid = slot->pid;
	}
	SpinLockRelease(&crm_shared->mutex);
	if (slot != NULL)
		remember_hold(dboid, dropped);
	if (pid == 0)
		return;
	kill(pid, SIGTERM);
	for (waited = 0; waited < WAIT_MS; waited += 10)
	{
		bool		gone;

		SpinLockAcquire(&crm_shared->mutex);
		gone = slot->pid != pid;
		SpinLockRelease(&crm_shared->mutex);
		if (gone)
			return;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 10, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/* Whether the current user owns the database (superusers own all). */
static bool
owns_database(const char *dbname)
{
	Oid			dboid = get_database_oid(dbname, true);

	return OidIsValid(dboid) && pg_database_ownercheck(dboid, GetUserId());
}

/* Whether the current user may create objects in a tablespace (superusers may). */
static bool
may_create_in(const char *tablespace)
{
	Oid			spcoid = get_tablespace_oid(tablespace, true);

	return OidIsValid(spcoid) && pg_tablespace_aclcheck(spcoid, GetUserId(), ACL_CREATE) == ACLCHECK_OK;
}

/* Whether the current user may copy a database: CREATEDB, and a template or its owner. */
static bool
may_copy_database(const char *dbname)
{
	Oid			dboid = get_database_oid(dbname, true);
	HeapTuple	tuple;
	bool		is_template;

	if (!OidIsValid(dboid) || !have_createdb_privilege())
		return false;
	tuple = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(dboid));
	if (!HeapTupleIsValid(tuple))
		return false;
	is_template = ((Form_pg_database) GETSTRUCT(tuple))->datistemplate;
	ReleaseSysCache(tuple);
	return is_template || pg_database_ownercheck(dboid, GetUserId());
}

/*
 * The database a utility statement needs to itself, or NULL; NULL too when
 * the current user may not run the statement (PostgreSQL will refuse it).
 */
static const char *
exclusive_database(Node *stmt)
{
	ListCell   *lc;
	const char *dbname = NULL;

	switch (nodeTag(stmt))
	{
		case T_DropdbStmt:
			dbname = ((DropdbStmt *) stmt)->dbname;
			return owns_database(dbname) ? dbname : NULL;
		case T_RenameStmt:
			if (((RenameStmt *) stmt)->renameType != OBJECT_DATABASE)
				return NULL;
			dbname = ((RenameStmt *) stmt)->subname;
			return owns_database(dbname) && have_createdb_privilege() ? dbname : NULL;
		case T_AlterDatabaseStmt:
			foreach(lc, ((AlterDatabaseStmt *) stmt)->options)
			{
				DefElem    *option = (DefElem *) lfirst(lc);

				/* the owner, with CREATE on the new tablespace */
				if (strcmp(option->defname, "tablespace") == 0 && may_create_in(defGetString(option)))
					dbname = ((AlterDatabaseStmt *) stmt)->dbname;
			}
			return dbname != NULL && owns_database(dbname) ? dbname : NULL;
		case T_CreatedbStmt:
			foreach(lc, ((CreatedbStmt *) stmt)->options)
			{
				DefElem    *option = (DefElem *) lfirst(lc);

				if (strcmp(option->defname, "template") == 0 && option->arg != NULL)
					dbname = defGetString(option);
			}
			return dbname != NULL && may_copy_database(dbname) ? dbname : NULL;
		default:
			return NULL;
	}
}

static void
crm_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
					ProcessUtilityContext context, ParamListInfo params,
					QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	const char *dbname = exclusive_database(pstmt->utilityStmt);

	if (dbname != NULL)
		release_database(dbname, IsA(pstmt->utilityStmt, DropdbStmt));
	PG_TRY();
	{
		if (prev_utility_hook)
			prev_utility_hook(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	}
	PG_CATCH();
	{
		/* the command failed: its database need not wait, even if a savepoint catches the error */
		if (dbname != NULL)
			end_holds(false);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

void
crm_install_utility_hook(void)
{
	prev_utility_hook = ProcessUtility_hook;
	ProcessUtility_hook = crm_process_utility;
}
