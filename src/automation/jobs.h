/*
 * jobs.h — the two kinds of scheduled job, run by the background worker and
 * by hand (crm.run_campaign, crm.refresh_segment) through the same code.
 */
#ifndef CRM_JOBS_H
#define CRM_JOBS_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "util/spi_pinned.h"

typedef enum JobCaller
{
	JOB_BY_HAND,				/* a SQL call: the caller must own the job */
	JOB_BY_WORKER				/* the background worker: only if still due */
} JobCaller;

typedef struct CampaignRunResult
{
	bool		ran;			/* false: the worker found it no longer due */
	int64		audience;		/* rows of the audience query */
	int64		entries;		/* new entries, both arms */
	int64		control;
	int64		messages;
	int64		skipped;		/* frequency_capped or quiet_hours_expired */
	int64		excluded;		/* no consent, suppressed, unusable time zone */
	int64		rejected;		/* rows no index can hold (empty or too long keys) */
} CampaignRunResult;

typedef struct SegmentRefreshResult
{
	bool		ran;
	int64		entered;
	int64		exited;
	int64		members;
} SegmentRefreshResult;

/*
 * Runs a campaign (by id, or by name when id is 0) in the current
 * transaction: entries and outbox rows are written together, or not at all.
 */
extern void crm_campaign_run(int64 campaign_id, const char *name, JobCaller caller,
							 CampaignRunResult *result);

/* Refreshes a segment (by id, or by name when id is 0) in the current transaction. */
extern void crm_segment_refresh(int64 segment_id, const char *name, JobCaller caller,
								SegmentRefreshResult *result);

#endif
