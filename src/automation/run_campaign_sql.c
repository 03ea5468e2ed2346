/*
 * run_campaign_sql.c — crm.run_campaign(name): a campaign run by hand, the
 * same run the worker does (campaign_run.c), its counts as one row.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "automation/job_run.h"

PG_FUNCTION_INFO_V1(crm_run_campaign_sql);

/* run_campaign(name text) returns (audience, entries, control, messages, skipped) */
Datum
crm_run_campaign_sql(PG_FUNCTION_ARGS)
{
	CampaignRunResult r;
	int64		counts[5];

	crm_campaign_run(0, text_to_cstring(PG_GETARG_TEXT_PP(0)), JOB_BY_HAND, &r);
	counts[0] = r.audience;
	counts[1] = r.entries;
	counts[2] = r.control;
	counts[3] = r.messages;
	counts[4] = r.skipped;
	return crm_job_result(fcinfo, "crm.run_campaign", counts, 5);
}
