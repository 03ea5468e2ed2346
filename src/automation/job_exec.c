/*
 * job_exec.c — running a job's query (a campaign audience, a segment
 * definition) as the job's owner, read-only, and collecting its rows.
 *
 * The owner's identity is taken with SetUserIdAndSecContext and
 * SECURITY_RESTRICTED_OPERATION, as PostgreSQL does for REFRESH MATERIALIZED
 * VIEW: the query sees exactly the owner's privileges, cannot SET ROLE back
 * and cannot create temporary objects; transaction_read_only is on for the
 * query, so a function it calls cannot write to tables.  Some things escape
 * read-only mode (large objects, NOTIFY, set_config, session advisory
 * locks): the query runs in a subtransaction that is always rolled back,
 * which undoes all of them but the locks, released by session_locks.c.
 * The rows are spooled (a tuplestore outside the subtransaction) and then
 * read from there as an ephemeral relation, so memory stays bounded.
 */
#include "postgres.h"

#include "access/tupdesc.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "parser/parser.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/resowner.h"
#include "utils/syscache.h"
#include "utils/memutils.h"
#include "utils/timeout.h"
#include "utils/tuplestore.h"

#include "automation/job_exec.h"
#include "automation/jobs.h"
#include "automation/session_locks.h"

#define FETCH_ROWS	10000

/*
 * 42601 unless query is exactly one SELECT (or VALUES, or a WITH ... SELECT);
 * what names the job for the message.
 */
static void
crm_job_check_query(const char *query, const char *what)
{
	List	   *statements = raw_parser(query, RAW_PARSE_DEFAULT);

	if (list_length(statements) != 1 ||
		!IsA(((RawStmt *) linitial(statements))->stmt, SelectStmt))
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("%s must be a single SELECT statement", what)));
}

/*
 * The one rule for acting on a job (running it by hand, pausing, resuming,
 * dropping it, giving it to another role): a superuser may; anyone else must
 * have the rights of its owner role, which must exist.  The SQL functions
 * that change jobs call it through crm._check_owner.
 */
void
crm_job_check_owner(const char *owner, const char *what)
{
	Oid			caller = GetOuterUserId();
	Oid			owner_oid;

	if (superuser_arg(caller))
		return;
	owner_oid = get_role_oid(owner, true);
	if (!OidIsValid(owner_oid) || !has_privs_of_role(caller, owner_oid))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for %s", what),
				 errdetail("Only members of its owner role %s may run or change it.", owner)));
}

/* The OID of a job's owner role: 42704 when the role is gone. */
Oid
crm_job_owner_oid(const char *owner, const char *what)
{
	Oid			oid = get_role_oid(owner, true);

	if (!OidIsValid(oid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("the owner role \"%s\" of %s does not exist", owner, what),
				 errhint("Give it to an existing role with crm.alter_job_owner().")));
	return oid;
}

/* Executes sql with arguments and checks the result code. */
void
crm_job_execute(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls, int expected)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);

	if (rc != expected)
		elog(ERROR, "crm job statement failed: %s", SPI_result_code_string(rc));
}

/*
 * Describes the query (run with LIMIT 0 as the current user): the type of its
 * customer_id (InvalidOid if it has none) and the column numbers of the
 * optional columns (0 if absent).
 */
static void
optional_columns(const char *query, int *event_key, int *payload, int *time_zone, Oid *customer_type)
{
	char	   *describe = psprintf("SELECT * FROM (%s) AS crm_query LIMIT 0", query);
	TupleDesc	desc;
	int			customer;

	if (SPI_execute(describe, true, 0) != SPI_OK_SELECT)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("the job query must be a SELECT")));
	desc = SPI_tuptable->tupdesc;
	customer = SPI_fnumber(desc, "customer_id");
	*customer_type = customer > 0 ? SPI_gettypeid(desc, customer) : InvalidOid;
	*event_key = SPI_fnumber(desc, "event_key");
	*payload = SPI_fnumber(desc, "payload");
	*time_zone = SPI_fnumber(desc, "time_zone");
	SPI_freetuptable(SPI_tuptable);
}

/*
 * The statement that reads a job's query: its columns cast to our types,
 * joined to the customers source for consent and time zone.  The join's
 * operator and type are qualified: the statement runs under the owner's
 * search_path, and consent must not depend on what that path finds.
 */
static char *
collect_statement(const char *query, bool with_extras, int event_key, int payload, int time_zone,
				  Oid customer_type, const CustomerSource *customers)
{
	StringInfoData sql;
	bool		join = with_extras && customers != NULL &&
		(customers->time_zone_column != NULL || customers->consent_column != NULL);
	const char *audience_zone = with_extras && time_zone > 0 ? "crm_query.time_zone::pg_catalog.text" : NULL;
	char	   *source_zone = join && customers->time_zone_column != NULL ?
		psprintf("crm_customer.%s::pg_catalog.text", quote_identifier(customers->time_zone_column)) : NULL;

	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT crm_query.customer_id::pg_catalog.text, %s, %s, %s, %s FROM (%s) AS crm_query",
					 with_extras && event_key > 0 ? "crm_query.event_key::pg_catalog.text" : "NULL::pg_catalog.text",
					 with_extras && payload > 0 ? "crm_query.payload::pg_catalog.jsonb" : "NULL::pg_catalog.jsonb",
					 audience_zone && source_zone ? psprintf("coalesce(%s, %s)", audience_zone, source_zone)
					 : audience_zone ? audience_zone : source_zone ? source_zone : "NULL::pg_catalog.text",
					 join && customers->consent_column != NULL ?
					 psprintf("coalesce(crm_customer.%s, false)", quote_identifier(customers->consent_column))
					 : "NULL::pg_catalog.bool",
					 query);
	/* ids of the same type compare as they are (an index serves); others as text */
	if (join)
		appendStringInfo(&sql, " LEFT JOIN %s AS crm_customer ON crm_customer.%s%s OPERATOR(pg_catalog.=) "
						 "crm_query.customer_id%s",
						 quote_qualified_identifier(get_namespace_name(get_rel_namespace(customers->relation)),
													get_rel_name(customers->relation)),
						 quote_identifier(customers->customer_column),
						 customer_type == customers->customer_type ? "" : "::pg_catalog.text",
						 customer_type == customers->customer_type ? "" : "::pg_catalog.text");
	appendStringInfoString(&sql, " WHERE crm_query.customer_id IS NOT NULL");
	return sql.data;
}

/*
 * Runs query as owner, read-only, and appends its rows to `spool`.  The
 * spool spills to temporary files past work_mem; files it creates belong to
 * `spool_owner` (the outer transaction's resource owner), so that they
 * outlive the subtransaction the query runs in.
 */
static int64
collect_as_owner(const char *query, Oid owner, const char *search_path, bool with_extras,
				 const CustomerSource *customers, int statement_timeout_ms, Tuplestorestate *spool,
				 ResourceOwner spool_owner)
{
	Oid			save_userid;
	int			save_sec_context;
	int			event_key = 0,
				payload = 0,
				time_zone = 0;
	Oid			customer_type;
	SPIPlanPtr	plan;
	Portal		portal;
	int64		count = 0;

	/* the subtransaction's abort restores the user and the settings on error */
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	(void) NewGUCNestLevel();
	(void) set_config_option("transaction_read_only", "on", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("search_path", search_path, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (statement_timeout_ms > 0)
		enable_timeout_after(STATEMENT_TIMEOUT, statement_timeout_ms);

	optional_columns(query, &event_key, &payload, &time_zone, &customer_type);
	if (!OidIsValid(customer_type))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("the query must return a column named customer_id")));
	plan = SPI_prepare(collect_statement(query, with_extras, event_key, payload, time_zone, customer_type,
										 customers), 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	for (;;)
	{
		uint64		i;
		ResourceOwner save_owner;

		SPI_cursor_fetch(portal, true, FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		save_owner = CurrentResourceOwner;
		CurrentResourceOwner = spool_owner;
		for (i = 0; i < SPI_processed; i++)
			tuplestore_puttuple(spool, SPI_tuptable->vals[i]);
		CurrentResourceOwner = save_owner;
		count += SPI_processed;
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	if (statement_timeout_ms > 0)
		disable_timeout(STATEMENT_TIMEOUT, false);
	return count;
}

const char *
crm_job_rows_name(void)
{
	static uint32 calls = 0;

	return psprintf("crm_job_rows_%u", ++calls);
}

/* The columns of a job's rows: ids compare bytewise (COLLATE "C"). */
static TupleDesc
rows_desc(void)
{
	TupleDesc	desc = CreateTemplateTupleDesc(JOB_COLUMNS);

	TupleDescInitEntry(desc, 1, "customer_id", TEXTOID, -1, 0);
	TupleDescInitEntryCollation(desc, 1, C_COLLATION_OID);
	TupleDescInitEntry(desc, 2, "event_key", TEXTOID, -1, 0);
	TupleDescInitEntryCollation(desc, 2, C_COLLATION_OID);
	TupleDescInitEntry(desc, 3, "payload", JSONBOID, -1, 0);
	TupleDescInitEntry(desc, 4, "time_zone", TEXTOID, -1, 0);
	TupleDescInitEntry(desc, 5, "consent", BOOLOID, -1, 0);
	return desc;
}

/*
 * Runs the query as owner in a subtransaction that is always rolled back and
 * returns its rows, spooled outside it; *count is their number.
 */
static Tuplestorestate *
spool_rows(const char *query, Oid owner, const char *search_path, bool with_extras,
		   const CustomerSource *customers, int statement_timeout_ms, const char *what, int64 *count)
{
	MemoryContext result_context = CurrentMemoryContext;
	ResourceOwner outer_owner = CurrentResourceOwner;
	List	   *locks_before = crm_advisory_locks_held();
	Tuplestorestate *spool = tuplestore_begin_heap(false, false, work_mem);
	int			leaked;

	/*
	 * The query runs in a subtransaction that is always rolled back: what it
	 * did to the session (settings changed with set_config, notifications,
	 * large objects, transaction-level locks, open cursors) is undone; the
	 * rows are kept in the spool, outside it.
	 */
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(result_context);
	PG_TRY();
	{
		*count = collect_as_owner(query, owner, search_path, with_extras, customers, statement_timeout_ms,
								  spool, outer_owner);
	}
	PG_CATCH();
	{
		if (statement_timeout_ms > 0)
			disable_timeout(STATEMENT_TIMEOUT, false);
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(result_context);
		CurrentResourceOwner = outer_owner;
		(void) crm_advisory_locks_release_new(locks_before);
		PG_RE_THROW();
	}
	PG_END_TRY();
	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(result_context);
	CurrentResourceOwner = outer_owner;

	/* session-level advisory locks outlive the subtransaction: release them */
	leaked = crm_advisory_locks_release_new(locks_before);
	if (leaked > 0)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("the query of %s left %d session-level advisory lock(s); they were released", what, leaked),
				 errhint("A job's query must not call pg_advisory_lock; use pg_advisory_xact_lock.")));
	return spool;
}

int64
crm_job_collect_spool(const char *query, Oid owner, const char *search_path, bool with_extras,
					  const CustomerSource *customers, int statement_timeout_ms, const char *name,
					  const char *what, Tuplestorestate **spool)
{
	EphemeralNamedRelation enr = palloc0(sizeof(EphemeralNamedRelationData));
	int64		count = 0;

	enr->reldata = spool_rows(query, owner, search_path, with_extras, customers, statement_timeout_ms, what,
							  &count);
	enr->md.name = pstrdup(name);
	enr->md.reliddesc = InvalidOid;
	enr->md.tupdesc = rows_desc();
	enr->md.enrtype = ENR_NAMED_TUPLESTORE;
	enr->md.enrtuples = (double) count;
	if (SPI_register_relation(enr) != SPI_OK_REL_REGISTER)
		elog(ERROR, "crm_marketing: could not register the rows of %s", what);
	*spool = (Tuplestorestate *) enr->reldata;
	return count;
}

void
crm_job_release_spool(const char *name, Tuplestorestate *spool)
{
	if (SPI_unregister_relation(name) != SPI_OK_REL_UNREGISTER)
		elog(ERROR, "crm_marketing: could not release the rows %s", name);
	tuplestore_end(spool);
}

/*
 * Checks a job's query as the invoker: one SELECT returning customer_id that
 * the invoker may run (run with LIMIT 0, as the invoker, read-only).
 */
void
crm_job_validate_query(const char *query, const char *search_path, const char *what)
{
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	int			event_key,
				payload,
				time_zone;
	Oid			customer_type;

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
	optional_columns(query, &event_key, &payload, &time_zone, &customer_type);
	AtEOXact_GUC(false, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	SPI_finish();
	if (!OidIsValid(customer_type))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("the query of %s must return a column named customer_id", what)));
}
