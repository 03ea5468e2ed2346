/*
 * job_exec.c — running a job's query (a campaign audience, a segment
 * definition) as the job's owner, read-only, and collecting its rows.
 *
 * The owner's identity is taken with SetUserIdAndSecContext and
 * SECURITY_RESTRICTED_OPERATION, as PostgreSQL does for REFRESH MATERIALIZED
 * VIEW: the query sees exactly the owner's privileges, cannot SET ROLE back
 * and cannot create temporary objects; transaction_read_only is on for the
 * query, so a function it calls cannot write either.  Transaction or
 * subtransaction abort restores the user and the settings if it fails.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "parser/parser.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/timeout.h"

#include "job_exec.h"

#define FETCH_ROWS	10000

void
crm_job_check_query(const char *query, const char *what)
{
	List	   *statements = raw_parser(query, RAW_PARSE_DEFAULT);

	if (list_length(statements) != 1 ||
		!IsA(((RawStmt *) linitial(statements))->stmt, SelectStmt))
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("%s must be a single SELECT statement", what)));
}

void
crm_job_check_owner(Oid owner, const char *what)
{
	Oid			caller = GetOuterUserId();

	if (!SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(owner)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("the owner of %s no longer exists (role OID %u)", what, owner)));
	if (!superuser_arg(caller) && !has_privs_of_role(caller, owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for %s", what),
				 errdetail("Only members of its owner role %s may run or change it.",
						   GetUserNameFromId(owner, false))));
}

/* Runs sql as the current (owner) user and returns the tuple descriptor's column numbers. */
static void
optional_columns(const char *query, int *event_key, int *payload, int *time_zone, bool *has_customer)
{
	char	   *describe = psprintf("SELECT * FROM (%s) AS crm_query LIMIT 0", query);
	TupleDesc	desc;

	if (SPI_execute(describe, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not describe the job query");
	desc = SPI_tuptable->tupdesc;
	*has_customer = SPI_fnumber(desc, "customer_id") > 0;
	*event_key = SPI_fnumber(desc, "event_key");
	*payload = SPI_fnumber(desc, "payload");
	*time_zone = SPI_fnumber(desc, "time_zone");
	SPI_freetuptable(SPI_tuptable);
}

void
crm_job_collect(const char *query, Oid owner, const char *search_path, bool with_extras,
				int statement_timeout_ms, JobRows *rows)
{
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	volatile bool timeout_armed = false;
	MemoryContext result_context = CurrentMemoryContext;
	ArrayBuildState *ids = initArrayResult(TEXTOID, result_context, false);
	ArrayBuildState *keys = initArrayResult(TEXTOID, result_context, false);
	ArrayBuildState *payloads = initArrayResult(JSONBOID, result_context, false);
	ArrayBuildState *zones = initArrayResult(TEXTOID, result_context, false);
	int			event_key = 0,
				payload = 0,
				time_zone = 0;
	bool		has_customer;
	StringInfoData sql;
	SPIPlanPtr	plan;
	Portal		portal;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("transaction_read_only", "on", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("search_path", search_path, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	PG_TRY();
	{
		if (statement_timeout_ms > 0)
		{
			enable_timeout_after(STATEMENT_TIMEOUT, statement_timeout_ms);
			timeout_armed = true;
		}
		optional_columns(query, &event_key, &payload, &time_zone, &has_customer);
		if (!has_customer)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("the query must return a column named customer_id")));
		initStringInfo(&sql);
		appendStringInfo(&sql, "SELECT crm_query.customer_id::text, %s, %s, %s FROM (%s) AS crm_query "
						 "WHERE crm_query.customer_id IS NOT NULL",
						 with_extras && event_key > 0 ? "crm_query.event_key::text" : "NULL::text",
						 with_extras && payload > 0 ? "crm_query.payload::jsonb" : "NULL::jsonb",
						 with_extras && time_zone > 0 ? "crm_query.time_zone::text" : "NULL::text",
						 query);
		plan = SPI_prepare(sql.data, 0, NULL);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
		rows->count = 0;
		for (;;)
		{
			uint64		i;

			SPI_cursor_fetch(portal, true, FETCH_ROWS);
			if (SPI_processed == 0)
				break;
			for (i = 0; i < SPI_processed; i++)
			{
				HeapTuple	row = SPI_tuptable->vals[i];
				TupleDesc	desc = SPI_tuptable->tupdesc;
				bool		isnull;
				Datum		value;

				value = SPI_getbinval(row, desc, 1, &isnull);
				accumArrayResult(ids, value, isnull, TEXTOID, result_context);
				value = SPI_getbinval(row, desc, 2, &isnull);
				accumArrayResult(keys, value, isnull, TEXTOID, result_context);
				value = SPI_getbinval(row, desc, 3, &isnull);
				accumArrayResult(payloads, value, isnull, JSONBOID, result_context);
				value = SPI_getbinval(row, desc, 4, &isnull);
				accumArrayResult(zones, value, isnull, TEXTOID, result_context);
				rows->count++;
			}
			SPI_freetuptable(SPI_tuptable);
		}
		SPI_cursor_close(portal);
	}
	PG_FINALLY();
	{
		if (timeout_armed)
			disable_timeout(STATEMENT_TIMEOUT, false);
	}
	PG_END_TRY();
	AtEOXact_GUC(false, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);

	rows->customer_ids = makeArrayResult(ids, result_context);
	rows->event_keys = makeArrayResult(keys, result_context);
	rows->payloads = makeArrayResult(payloads, result_context);
	rows->time_zones = makeArrayResult(zones, result_context);
}

PG_FUNCTION_INFO_V1(crm_invoker);
PG_FUNCTION_INFO_V1(crm_validate_job_query);

/* _invoker() returns regrole: the current user as seen outside SECURITY DEFINER functions */
Datum
crm_invoker(PG_FUNCTION_ARGS)
{
	PG_RETURN_OID(GetOuterUserId());
}

/*
 * _validate_job_query(query text, search_path text, what text): the query is
 * one SELECT returning customer_id that the invoker may run (run with LIMIT 0,
 * as the invoker, read-only).
 */
Datum
crm_validate_job_query(PG_FUNCTION_ARGS)
{
	char	   *query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *search_path = text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *what = text_to_cstring(PG_GETARG_TEXT_PP(2));
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	int			event_key,
				payload,
				time_zone;
	bool		has_customer;

	crm_job_check_query(query, what);
	SPI_connect();
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(GetOuterUserId(), save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("transaction_read_only", "on", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("search_path", search_path, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	optional_columns(query, &event_key, &payload, &time_zone, &has_customer);
	AtEOXact_GUC(false, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	SPI_finish();
	if (!has_customer)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("the query of %s must return a column named customer_id", what)));
	PG_RETURN_VOID();
}
