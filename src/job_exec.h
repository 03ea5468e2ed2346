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

/* The columns a job query returns, as SQL arrays (one element per row). */
typedef struct JobRows
{
	int64		count;
	Datum		customer_ids;	/* text[] */
	Datum		event_keys;		/* text[] (all NULL if the query has no event_key) */
	Datum		payloads;		/* jsonb[] */
	Datum		time_zones;		/* text[] */
	Datum		consents;		/* boolean[]: marketing consent, all NULL without a consent column */
} JobRows;

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
 * 42601 unless query is exactly one SELECT (or VALUES, or a WITH ... SELECT);
 * what names the job for the message.
 */
extern void crm_job_check_query(const char *query, const char *what);

/*
 * 42501 unless the current user (outside any SECURITY DEFINER function) may
 * act for owner: a member of it, or a superuser.  42704 if the owner role
 * no longer exists.
 */
extern void crm_job_check_owner(Oid owner, const char *what);

/*
 * Pins search_path to pg_catalog, pg_temp for the statements the extension
 * runs itself (as the worker's superuser or a SECURITY DEFINER owner), so
 * that no function or operator another role created in a schema of the
 * default search_path can be picked instead of the built-in one.  Returns
 * the GUC nest level to pass to AtEOXact_GUC; an error restores it anyway.
 */
extern int	crm_pin_search_path(void);

/*
 * Runs query as owner, with the search_path recorded when the job was
 * created, in a subtransaction that is rolled back (the session is left as
 * it was found; session-level advisory locks it took are released, with a
 * WARNING naming `what`), and collects customer_id (required) and, when the
 * query returns them, event_key, payload and time_zone, cast to text, text,
 * jsonb, text, and with a customers source each customer's consent.  Rows with a NULL customer_id are dropped.  With
 * statement_timeout_ms > 0 the query is cancelled after that long.  Must be
 * called inside SPI_connect/SPI_finish.
 */
extern void crm_job_collect(const char *query, Oid owner, const char *search_path, bool with_extras,
							const CustomerSource *customers, int statement_timeout_ms, JobRows *rows,
							const char *what);

#endif
