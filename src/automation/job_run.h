/*
 * job_run.h — what a campaign run and a segment refresh share: locking and
 * reading the job's row, deciding whether it runs, collecting its query's
 * rows as its owner, and recording the run (or its failure) in
 * crm.job_runs together with the job's new schedule.
 */
#ifndef CRM_JOB_RUN_H
#define CRM_JOB_RUN_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "fmgr.h"

#include "automation/job_exec.h"
#include "automation/jobs.h"

/* A kind of job: its table and the columns that differ between kinds. */
typedef struct JobKind
{
	const char *kind;			/* crm.job_runs.job_kind, and messages */
	const char *table;
	const char *id_column;
	const char *query_column;	/* the owner's query */
	const char *last_column;	/* when it last ran */
	const char *next_column;	/* when it is due */
	const char *every_column;	/* its period */
	bool		has_members;	/* a members column, set from the audience count */
	const char *resume_function;	/* named in the hint of the paused error, or NULL */
} JobKind;

extern const JobKind crm_campaign_job;
extern const JobKind crm_segment_job;

/* The columns every job has, as crm_job_lock reads them. */
typedef struct JobRow
{
	int64		id;
	char	   *name;
	char	   *what;			/* campaign "name", for messages */
	char	   *owner;			/* the owner role's name */
	char	   *query;
	char	   *search_path;
	char	   *status;
	bool		due;
} JobRow;

/* The columns of JobRow in SPI_tuptable; crm_job_lock's extra columns follow. */
#define JOB_ROW_COLUMNS 7

/*
 * Locks the row of a job, by id or by name when id is 0 (FOR UPDATE:
 * overlapping runs queue up, and the later one sees the earlier one's
 * work), and reads it with `extra` columns (SQL, or NULL), which the caller
 * reads from SPI_tuptable after the first JOB_ROW_COLUMNS.  False when the
 * worker finds the job dropped meanwhile; 42704 by hand.  Call with SPI
 * connected and the search_path pinned.
 */
extern bool crm_job_lock(const JobKind *kind, int64 id, const char *name, JobCaller caller,
						 const char *extra, JobRow *row);

/*
 * Whether the job runs now: the worker runs only an active job that is
 * still due (it may have been paused, failed or run by hand meanwhile);
 * by hand, any job but a paused one (55000).
 */
extern bool crm_job_runnable(const JobKind *kind, const JobRow *row, JobCaller caller);

/*
 * The job's query run as owner into the ephemeral relation `name`
 * (crm_job_collect_spool), with crm_marketing.job_statement_timeout when the
 * worker runs it.  Returns the number of rows.
 */
extern int64 crm_job_spool_rows(const JobRow *row, Oid owner, JobCaller caller, bool with_extras,
								const CustomerSource *customers, const char *name, Tuplestorestate **spool);

/* The counts of crm.job_runs, in its column order. */
typedef enum JobRunCount
{
	RUN_AUDIENCE,
	RUN_ENTRIES,
	RUN_CONTROL,
	RUN_MESSAGES,
	RUN_SKIPPED,
	RUN_ENTERED,
	RUN_EXITED,
	RUN_EXCLUDED,
	RUN_REJECTED,
	RUN_NCOUNTS
} JobRunCount;

/* A run's counts; those a kind does not have stay unset (NULL in crm.job_runs). */
typedef struct JobRunCounts
{
	int64		value[RUN_NCOUNTS];
	bool		set[RUN_NCOUNTS];
} JobRunCounts;

static inline void
crm_job_count(JobRunCounts *counts, JobRunCount which, int64 value)
{
	counts->value[which] = value;
	counts->set[which] = true;
}

/*
 * The result row of crm.run_campaign / crm.refresh_segment: n bigint counts.
 * `function` names the SQL function for the error of a wrong call context.
 */
extern Datum crm_job_result(FunctionCallInfo fcinfo, const char *function, const int64 *counts, int n);

/*
 * Records a successful run in crm.job_runs and reschedules the job (last run
 * now, due again one period on, active, no error; a segment's members from
 * the audience count), in one statement.  Call with SPI connected and the
 * search_path pinned.
 */
extern void crm_job_record_run(const JobKind *kind, int64 id, JobCaller caller, TimestampTz started,
							   const JobRunCounts *counts);

/*
 * Records a failed run of the worker in crm.job_runs and marks the job
 * failed with the error, due again one period on; a new transaction's work,
 * after the run's was rolled back.
 */
extern void crm_job_record_failure(const JobKind *kind, int64 id, const char *message, TimestampTz started);

#endif
