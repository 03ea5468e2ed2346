/*
 * job_exec.h — running a campaign's audience or a segment's query the safe
 * way: as the role that owns the job (never the caller's or the worker's
 * superuser rights), read-only, in a restricted security context, with
 * the job statement timeout when the worker runs it.
 */
#ifndef CRM_JOB_EXEC_H
#define CRM_JOB_EXEC_H

#include "postgres.h"

#include "utils/array.h"
#include "utils/tuplestore.h"

/* The columns of a job's rows: customer_id, event_key, payload, time_zone, consent. */
#define JOB_COLUMNS 5

/*
 * The customers source (crm.register_source('customers', ...)): a campaign's
 * audience is joined to it, as the campaign's owner, for each customer's
 * marketing consent and, where the audience gives none, time zone.
 */
typedef struct CustomerSource
{
	Oid			relation;
	char	   *customer_column;
	Oid			customer_type;
	char	   *time_zone_column;	/* NULL if not registered */
	char	   *consent_column;		/* NULL if not registered */
} CustomerSource;


/*
 * 42501 unless the current user (outside any SECURITY DEFINER function) may
 * act for owner: a member of it, or a superuser.  42704 if the owner role
 * no longer exists.
 */
extern void crm_job_check_owner(const char *owner, const char *what);

/* 42601/42703/... unless query is one SELECT returning customer_id that the invoker may run. */
extern void crm_job_validate_query(const char *query, const char *search_path, const char *what);

/* The OID of a job's owner role, by name: 42704 when the role is gone. */
extern Oid	crm_job_owner_oid(const char *owner, const char *what);

/* SPI_execute_with_args that insists on the expected result code. */
extern void crm_job_execute(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls,
							int expected);

/*
 * Runs query as owner, with the search_path recorded when the job was
 * created, in a subtransaction that is rolled back (the session is left as
 * it was found; session-level advisory locks it took are released, with a
 * WARNING naming `what`), and spools its rows: customer_id, event_key,
 * payload, time_zone (text, text, jsonb, text: NULL when the query does not
 * return them) and consent (boolean: with a customers source that has a
 * consent column, that column, false when the customer has no row; NULL
 * otherwise).  Rows with a NULL customer_id are dropped.  Memory stays
 * bounded: the spool goes to temporary files past work_mem.  With
 * statement_timeout_ms > 0 the query is cancelled after that long.
 *
 * The spool is registered with SPI as an ephemeral relation named `name`
 * that the statements of this SPI connection read (unqualified: such a name
 * is found before any schema's table, so nothing on the path can stand in
 * for it).  The planner knows its row count but has no statistics.  *spool
 * is for crm_job_release_spool, which unregisters the relation and frees the
 * spool.  Must be called inside SPI_connect/SPI_finish; returns the number
 * of rows.
 */
extern int64 crm_job_collect_spool(const char *query, Oid owner, const char *search_path, bool with_extras,
								   const CustomerSource *customers, int statement_timeout_ms, const char *name,
								   const char *what, Tuplestorestate **spool);
extern void crm_job_release_spool(const char *name, Tuplestorestate *spool);

/* A name for the relation of a job's rows, new at every call. */
extern const char *crm_job_rows_name(void);

#endif
