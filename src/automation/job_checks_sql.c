/*
 * job_checks_sql.c — the SQL helpers that the job functions of
 * automation_campaigns.sql call to check who calls and what they store:
 * crm._invoker, crm._check_owner and crm._validate_job_query.  The rules
 * themselves are job_exec.c's, shared with the runs.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "automation/job_exec.h"

PG_FUNCTION_INFO_V1(crm_invoker);
PG_FUNCTION_INFO_V1(crm_check_owner);
PG_FUNCTION_INFO_V1(crm_validate_job_query);

/* _invoker() returns name: the current user as seen outside SECURITY DEFINER functions */
Datum
crm_invoker(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(DirectFunctionCall1(namein, CStringGetDatum(GetUserNameFromId(GetOuterUserId(), false))));
}

/* _check_owner(owner name, what text): crm_job_check_owner for the SQL functions */
Datum
crm_check_owner(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("crm._check_owner: owner and what must not be NULL")));
	crm_job_check_owner(NameStr(*PG_GETARG_NAME(0)), text_to_cstring(PG_GETARG_TEXT_PP(1)));
	PG_RETURN_VOID();
}

/* _validate_job_query(query text, search_path text, what text): crm_job_validate_query */
Datum
crm_validate_job_query(PG_FUNCTION_ARGS)
{
	const char *what = PG_ARGISNULL(2) ? "the job" : text_to_cstring(PG_GETARG_TEXT_PP(2));

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the %s of %s must not be NULL", PG_ARGISNULL(0) ? "query" : "search_path", what)));
	crm_job_validate_query(text_to_cstring(PG_GETARG_TEXT_PP(0)), text_to_cstring(PG_GETARG_TEXT_PP(1)), what);
	PG_RETURN_VOID();
}
