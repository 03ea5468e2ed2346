/*
 * uplift_ttest_sql.c — the crm.uplift_ttest aggregate (float8 and numeric values,
 * with or without a confidence level).
 *
 * State: float8[13] = {moments of the treatment arm, moments of the control
 * arm (six values each, moments.h), confidence (0 = default)}.  Rows with a NULL
 * arm or value are skipped.
 */
#include "util/sql_util.h"

#include "stats/aggregate_state.h"

#include "stats/experiments.h"
#include "stats/moments.h"

#define TTEST_TREATMENT		0
#define TTEST_CONTROL		MOMENTS_LEN
#define TTEST_CONFIDENCE	(2 * MOMENTS_LEN)
#define TTEST_STATE_LEN		(2 * MOMENTS_LEN + 1)

static const char *const AGGREGATE = "crm.uplift_ttest";

PG_FUNCTION_INFO_V1(crm_uplift_ttest_transfn);
PG_FUNCTION_INFO_V1(crm_uplift_ttest_numeric_transfn);
PG_FUNCTION_INFO_V1(crm_uplift_ttest_combine);
PG_FUNCTION_INFO_V1(crm_uplift_ttest_final);

/* Adds one value to the arm's moments; the argument layout is shared by both overloads. */
static Datum
accumulate(FunctionCallInfo fcinfo, bool numeric)
{
	ArrayType  *state = crm_state_arg(fcinfo, 0, TTEST_STATE_LEN, AGGREGATE, true);
	double	   *s = crm_state_values(state);
	double		value;

	crm_confidence_arg(fcinfo, 3, &s[TTEST_CONFIDENCE], AGGREGATE);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_ARRAYTYPE_P(state);

	if (numeric)
		value = crm_numeric_to_double(PG_GETARG_DATUM(2), AGGREGATE, "value");
	else
		value = PG_GETARG_FLOAT8(2);
	crm_check_finite(value, AGGREGATE, "value");

	if (unlikely(!moments_add(&s[PG_GETARG_BOOL(1) ? TTEST_TREATMENT : TTEST_CONTROL], value)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: value out of range: the running variance overflowed", AGGREGATE)));
	PG_RETURN_ARRAYTYPE_P(state);
}

/* uplift_ttest_transfn(state, treated boolean, value float8 [, confidence float8]) */
Datum
crm_uplift_ttest_transfn(PG_FUNCTION_ARGS)
{
	return accumulate(fcinfo, false);
}

/* uplift_ttest_transfn(state, treated boolean, value numeric [, confidence float8]) */
Datum
crm_uplift_ttest_numeric_transfn(PG_FUNCTION_ARGS)
{
	return accumulate(fcinfo, true);
}

/* Full check of a state's values (shape is checked by crm_state_arg). */
static void
check_state(const double *s)
{
	int			arm;

	for (arm = TTEST_TREATMENT; arm <= TTEST_CONTROL; arm += MOMENTS_LEN)
	{
		const char *name = arm == TTEST_TREATMENT ? "treatment" : "control";
		const double *m = &s[arm];

		crm_state_check_count(m[MOMENTS_N], AGGREGATE, psprintf("%s count", name));
		if (!moments_valid(m))
			crm_state_invalid(AGGREGATE,
							  psprintf("The %s moments {%g, %g, %g, %g, %g, %g} are inconsistent.", name,
									   m[0], m[1], m[2], m[3], m[4], m[5]));
	}
	crm_state_check_confidence(s[TTEST_CONFIDENCE], AGGREGATE);
}

/* uplift_ttest_combine(float8[], float8[]): merges partial states (Chan et al.) */
Datum
crm_uplift_ttest_combine(PG_FUNCTION_ARGS)
{
	double	   *a = crm_state_values(crm_state_arg(fcinfo, 0, TTEST_STATE_LEN, AGGREGATE, false));
	double	   *b = crm_state_values(crm_state_arg(fcinfo, 1, TTEST_STATE_LEN, AGGREGATE, false));
	double		merged[TTEST_STATE_LEN];

	check_state(a);
	check_state(b);
	memcpy(merged, a, sizeof(merged));
	if (!moments_combine(&merged[TTEST_TREATMENT], &b[TTEST_TREATMENT]) ||
		!moments_combine(&merged[TTEST_CONTROL], &b[TTEST_CONTROL]))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: value out of range: the running variance overflowed", AGGREGATE)));
	merged[TTEST_CONFIDENCE] = crm_state_merge_confidence(a[TTEST_CONFIDENCE], b[TTEST_CONFIDENCE],
														  AGGREGATE);
	PG_RETURN_ARRAYTYPE_P(crm_state_build(merged, TTEST_STATE_LEN));
}

/* uplift_ttest_final(float8[]) returns crm.ttest_result */
Datum
crm_uplift_ttest_final(PG_FUNCTION_ARGS)
{
	double	   *s = crm_state_values(crm_state_arg(fcinfo, 0, TTEST_STATE_LEN, AGGREGATE, false));
	double		confidence;
	double		out[TT_NCOLUMNS];
	bool		isnull[TT_NCOLUMNS];
	int			i;

	check_state(s);
	confidence = crm_confidence_of_state(s[TTEST_CONFIDENCE]);
	crm_welch_test(&s[TTEST_TREATMENT], &s[TTEST_CONTROL], confidence, out, isnull);

	/* only the t statistic may be infinite (both arms constant, different means) */
	for (i = 0; i < TT_NCOLUMNS; i++)
		if (!isnull[i] && i != TT_T_STAT && isinf(out[i]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s: value out of range: overflow in the result", AGGREGATE)));
	return crm_composite_result(fcinfo, out, isnull, TT_NCOLUMNS);
}
