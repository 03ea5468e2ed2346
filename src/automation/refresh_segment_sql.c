/*
 * refresh_segment_sql.c — crm.refresh_segment(name): a segment refreshed by
 * hand, the same refresh the worker does (segment_refresh.c), its counts as
 * one row.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "automation/job_run.h"

PG_FUNCTION_INFO_V1(crm_refresh_segment_sql);

/* refresh_segment(name text) returns (entered, exited, members) */
Datum
crm_refresh_segment_sql(PG_FUNCTION_ARGS)
{
	SegmentRefreshResult r;
	int64		counts[3];

	crm_segment_refresh(0, text_to_cstring(PG_GETARG_TEXT_PP(0)), JOB_BY_HAND, &r);
	counts[0] = r.entered;
	counts[1] = r.exited;
	counts[2] = r.members;
	return crm_job_result(fcinfo, "crm.refresh_segment", counts, 3);
}
