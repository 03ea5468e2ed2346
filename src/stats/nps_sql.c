/*
 * nps_sql.c — the crm.nps aggregate over 0..10 survey answers.
 *
 * State: float8[4] = {promoters (9-10), passives (7-8), detractors (0-6),
 * confidence (0 = default)}.  NULL answers are skipped; an answer outside
 * 0..10 is an error (22003), not silently dropped.
 */
#include "util/sql_util.h"

#include "stats/aggregate_state.h"

#include "stats/experiments.h"

#define NPS_STATE_PROMOTERS		0
#define NPS_STATE_PASSIVES		1
#define NPS_STATE_DETRACTORS	2
#define NPS_STATE_CONFIDENCE	3
#define NPS_STATE_LEN			4

static const char *const AGGREGATE = "crm.nps";

PG_FUNCTION_INFO_V1(crm_nps_transfn);
PG_FUNCTION_INFO_V1(crm_nps_combine);
PG_FUNCTION_INFO_V1(crm_nps_final);

/* nps_transfn(state, score integer [, confidence float8]) */
Datum
crm_nps_transfn(PG_FUNCTION_ARGS)
{
	ArrayType  *state = crm_state_arg(fcinfo, 0, NPS_STATE_LEN, AGGREGATE, true);
	double	   *s = crm_state_values(state);
	int32		score;

	crm_confidence_arg(fcinfo, 2, &s[NPS_STATE_CONFIDENCE], AGGREGATE);
	if (PG_ARGISNULL(1))
		PG_RETURN_ARRAYTYPE_P(state);

	score = PG_GETARG_INT32(1);
	if (unlikely(score < 0 || score > 10))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: score must be between 0 and 10, got %d", AGGREGATE, score)));
	if (score >= 9)
		s[NPS_STATE_PROMOTERS] += 1;
	else if (score >= 7)
		s[NPS_STATE_PASSIVES] += 1;
	else
		s[NPS_STATE_DETRACTORS] += 1;
	PG_RETURN_ARRAYTYPE_P(state);
}

/* Full check of a state's values (shape is checked by crm_state_arg). */
static void
check_state(const double *s)
{
	crm_state_check_count(s[NPS_STATE_PROMOTERS], AGGREGATE, "promoters");
	crm_state_check_count(s[NPS_STATE_PASSIVES], AGGREGATE, "passives");
	crm_state_check_count(s[NPS_STATE_DETRACTORS], AGGREGATE, "detractors");
	crm_state_check_confidence(s[NPS_STATE_CONFIDENCE], AGGREGATE);
}

/* nps_combine(float8[], float8[]): adds the counts */
Datum
crm_nps_combine(PG_FUNCTION_ARGS)
{
	PG_RETURN_ARRAYTYPE_P(crm_state_combine_counts(fcinfo, NPS_STATE_LEN, AGGREGATE, check_state));
}

/* nps_final(float8[]) returns crm.nps_result */
Datum
crm_nps_final(PG_FUNCTION_ARGS)
{
	double	   *s = crm_state_values(crm_state_arg(fcinfo, 0, NPS_STATE_LEN, AGGREGATE, false));
	double		out[NPS_NCOLUMNS];
	bool		isnull[NPS_NCOLUMNS];

	check_state(s);
	crm_nps_estimate(s[NPS_STATE_PROMOTERS], s[NPS_STATE_PASSIVES], s[NPS_STATE_DETRACTORS],
					 crm_confidence_of_state(s[NPS_STATE_CONFIDENCE]),
					 out, isnull);
	return crm_composite_result(fcinfo, out, isnull, NPS_NCOLUMNS);
}
