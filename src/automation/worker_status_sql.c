/*
 * worker_status_sql.c — crm._worker_status(), behind the view
 * crm.worker_status: a row per database slot of the shared memory
 * (worker_shmem.c); and crm._worker_wakeup(), which CREATE EXTENSION calls.
 */
#include "postgres.h"

#include "commands/dbcommands.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "automation/worker_shmem.h"

PG_FUNCTION_INFO_V1(crm_worker_wakeup);
PG_FUNCTION_INFO_V1(crm_worker_status);

/*
 * _worker_wakeup(): when the transaction commits, wake this database's
 * worker, or have the launcher start one
 */
Datum
crm_worker_wakeup(PG_FUNCTION_ARGS)
{
	crm_wake_launcher_at_commit();
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
