/*
 * uplift_ztest_sql.c — the crm.uplift_ztest aggregate (conversion uplift, with or
 * without a confidence level).
 *
 * State: float8[5] = {customers, conversions of the treatment arm,
 * customers, conversions of the control arm, confidence (0 = default)}.
 * Counts are exact in a double up to 2^53.  Rows with a NULL arm or outcome
 * are skipped.
 */
#include "util/sql_util.h"

#include "stats/aggregate_state.h"

#include "stats/experiments.h"

#define ZTEST_N_TREATMENT	0
#define ZTEST_X_TREATMENT	1
#define ZTEST_N_CONTROL		2
#define ZTEST_X_CONTROL		3
#define ZTEST_CONFIDENCE	4
#define ZTEST_STATE_LEN		5

static const char *const AGGREGATE = "crm.uplift_ztest";

PG_FUNCTION_INFO_V1(crm_uplift_ztest_transfn);
PG_FUNCTION_INFO_V1(crm_uplift_ztest_combine);
PG_FUNCTION_INFO_V1(crm_uplift_ztest_final);

/* uplift_ztest_transfn(state, treated boolean, converted boolean [, confidence float8]) */
Datum
crm_uplift_ztest_transfn(PG_FUNCTION_ARGS)
{
	ArrayType  *state = crm_state_arg(fcinfo, 0, ZTEST_STATE_LEN, AGGREGATE, true);
	double	   *s = crm_state_values(state);
	int			arm;

	crm_confidence_arg(fcinfo, 3, &s[ZTEST_CONFIDENCE], AGGREGATE);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_ARRAYTYPE_P(state);

	arm = PG_GETARG_BOOL(1) ? ZTEST_N_TREATMENT : ZTEST_N_CONTROL;
	s[arm] += 1;
	if (PG_GETARG_BOOL(2))
		s[arm + 1] += 1;
	PG_RETURN_ARRAYTYPE_P(state);
}

/* Full check of a state's values (shape is checked by crm_state_arg). */
static void
check_state(const double *s)
{
	crm_state_check_count(s[ZTEST_N_TREATMENT], AGGREGATE, "treatment count");
	crm_state_check_count(s[ZTEST_X_TREATMENT], AGGREGATE, "treatment conversions");
	crm_state_check_count(s[ZTEST_N_CONTROL], AGGREGATE, "control count");
	crm_state_check_count(s[ZTEST_X_CONTROL], AGGREGATE, "control conversions");
	if (s[ZTEST_X_TREATMENT] > s[ZTEST_N_TREATMENT] || s[ZTEST_X_CONTROL] > s[ZTEST_N_CONTROL])
		crm_state_invalid(AGGREGATE, "An arm has more conversions than customers.");
	crm_state_check_confidence(s[ZTEST_CONFIDENCE], AGGREGATE);
}

/* uplift_ztest_combine(float8[], float8[]): adds the counts */
Datum
crm_uplift_ztest_combine(PG_FUNCTION_ARGS)
{
	PG_RETURN_ARRAYTYPE_P(crm_state_combine_counts(fcinfo, ZTEST_STATE_LEN, AGGREGATE, check_state));
}

/* uplift_ztest_final(float8[]) returns crm.ztest_result */
Datum
crm_uplift_ztest_final(PG_FUNCTION_ARGS)
{
	double	   *s = crm_state_values(crm_state_arg(fcinfo, 0, ZTEST_STATE_LEN, AGGREGATE, false));
	double		out[ZT_NCOLUMNS];
	bool		isnull[ZT_NCOLUMNS];

	check_state(s);
	crm_proportion_test(s[ZTEST_N_TREATMENT], s[ZTEST_X_TREATMENT],
						s[ZTEST_N_CONTROL], s[ZTEST_X_CONTROL],
						crm_confidence_of_state(s[ZTEST_CONFIDENCE]),
						out, isnull);
	return crm_composite_result(fcinfo, out, isnull, ZT_NCOLUMNS);
}
