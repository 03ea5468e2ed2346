/*
 * sending_switch.c — is this database the one where sending was enabled?
 * (see sending_switch.h).  The row of crm.sending_enabled_in must name this
 * cluster (GetSystemIdentifier, which pg_upgrade, initdb and pg_restore into
 * another cluster change) and this database (MyDatabaseId, which CREATE
 * DATABASE ... TEMPLATE and a restore into a new database change).
 */
#include "postgres.h"

#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"

#include "automation/job_exec.h"
#include "automation/jobs.h"
#include "automation/sending_switch.h"

bool
crm_sending_enabled_here(void)
{
	Oid			types[2] = {INT8OID, OIDOID};
	Datum		values[2];

	values[0] = Int64GetDatum((int64) GetSystemIdentifier());
	values[1] = ObjectIdGetDatum(MyDatabaseId);
	crm_job_execute(psprintf("SELECT 1 FROM %s.sending_enabled_in WHERE system_identifier OPERATOR(pg_catalog.=) $1"
							 " AND database_oid OPERATOR(pg_catalog.=) $2", CRM_SCHEMA),
					2, types, values, NULL, SPI_OK_SELECT);
	return SPI_processed > 0;
}

/* 55000 unless sending is enabled in this database (crm.enable_sending). */
void
crm_check_sending_enabled(const char *what)
{
	if (!crm_sending_enabled_here())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s: sending is not enabled in this database", what),
				 errdetail("A restored or copied database runs no campaign and hands out no message until an operator enables it."),
				 errhint("Check the data, then call crm.enable_sending().")));
}
