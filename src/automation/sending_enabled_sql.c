/*
 * sending_enabled_sql.c — crm.sending_enabled() and crm._system_identifier():
 * the sending switch (sending_switch.c) as SQL sees it.
 */
#include "postgres.h"

#include "access/xlog.h"
#include "fmgr.h"

#include "automation/job_exec.h"
#include "automation/sending_switch.h"
#include "util/spi_pinned.h"

PG_FUNCTION_INFO_V1(crm_sending_enabled);
PG_FUNCTION_INFO_V1(crm_system_identifier);

/* sending_enabled() returns boolean */
Datum
crm_sending_enabled(PG_FUNCTION_ARGS)
{
	bool		enabled;
	int			pinned = crm_spi_connect_pinned();

	enabled = crm_sending_enabled_here();
	crm_spi_finish_pinned(pinned);
	PG_RETURN_BOOL(enabled);
}

/* _system_identifier() returns bigint: this cluster's, as pg_control_system() shows it */
Datum
crm_system_identifier(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64((int64) GetSystemIdentifier());
}
