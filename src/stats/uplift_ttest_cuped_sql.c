/*
 * uplift_ttest_cuped_sql.c — the crm.uplift_ttest_cuped aggregate: Welch's t-test on
 * CUPED-adjusted values (cuped.c), float8 and numeric values, with or
 * without a confidence level.
 *
 * State: float8[29] = {comoments of (value, pre_period_value) in the
 * treatment arm, the same for control (fourteen values each, comoments.h),
 * confidence (0 = default)}.  Rows with a NULL arm, value or pre-period
 * value are skipped.  Formulas: doc/stats.md, "CUPED".
 */
#include "util/sql_util.h"

#include "stats/comoments.h"
#include "stats/aggregate_state.h"
#include "stats/experiments.h"

#define CUPED_TREATMENT		0
#define CUPED_CONTROL		COMOMENTS_LEN
#define CUPED_CONFIDENCE	(2 * COMOMENTS_LEN)
#define CUPED_STATE_LEN		(2 * COMOMENTS_LEN + 1)

static const char *const AGGREGATE = "crm.uplift_ttest_cuped";

PG_FUNCTION_INFO_V1(crm_uplift_ttest_cuped_transfn);
PG_FUNCTION_INFO_V1(crm_uplift_ttest_cuped_numeric_transfn);
PG_FUNCTION_INFO_V1(crm_uplift_ttest_cuped_combine);
PG_FUNCTION_INFO_V1(crm_uplift_ttest_cuped_final);

/* 22003: a running sum or the result left the double range. */
static void
overflow_error(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("%s: value out of range: the running variance overflowed", AGGREGATE)));
}

/* Adds one (value, pre-period value) pair to the arm; shared by both overloads. */
static Datum
accumulate(FunctionCallInfo fcinfo, bool numeric)
{
	ArrayType  *state = crm_state_arg(fcinfo, 0, CUPED_STATE_LEN, AGGREGATE, true);
	double	   *s = crm_state_values(state);
	double		value,
				pre;

	crm_confidence_arg(fcinfo, 4, &s[CUPED_CONFIDENCE], AGGREGATE);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_ARRAYTYPE_P(state);

	if (numeric)
	{
		value = crm_numeric_to_double(PG_GETARG_DATUM(2), AGGREGATE, "value");
		pre = crm_numeric_to_double(PG_GETARG_DATUM(3), AGGREGATE, "pre_period_value");
	}
	else
	{
		value = PG_GETARG_FLOAT8(2);
		pre = PG_GETARG_FLOAT8(3);
	}
	crm_check_finite(value, AGGREGATE, "value");
	crm_check_finite(pre, AGGREGATE, "pre_period_value");

	if (unlikely(!comoments_add(&s[PG_GETARG_BOOL(1) ? CUPED_TREATMENT : CUPED_CONTROL], value, pre)))
		overflow_error();
	PG_RETURN_ARRAYTYPE_P(state);
}

/* uplift_ttest_cuped_transfn(state, treated boolean, value float8, pre float8 [, confidence float8]) */
Datum
crm_uplift_ttest_cuped_transfn(PG_FUNCTION_ARGS)
{
	return accumulate(fcinfo, false);
}

/* uplift_ttest_cuped_transfn(state, treated boolean, value numeric, pre numeric [, confidence float8]) */
Datum
crm_uplift_ttest_cuped_numeric_transfn(PG_FUNCTION_ARGS)
{
	return accumulate(fcinfo, true);
}

/* Full check of a state's values (shape is checked by crm_state_arg). */
static void
check_state(const double *s)
{
	int			arm;

	for (arm = CUPED_TREATMENT; arm <= CUPED_CONTROL; arm += COMOMENTS_LEN)
	{
		const char *name = arm == CUPED_TREATMENT ? "treatment" : "control";
		const double *m = &s[arm];

		crm_state_check_count(m[COMOMENTS_Y + MOMENTS_N], AGGREGATE, psprintf("%s value count", name));
		crm_state_check_count(m[COMOMENTS_X + MOMENTS_N], AGGREGATE, psprintf("%s pre-period count", name));
		if (!comoments_valid(m))
			crm_state_invalid(AGGREGATE,
							  psprintf("The %s co-moments {%g, %g, %g, %g, %g, %g, %g, %g, %g, %g, %g, %g, %g, %g} are inconsistent.",
									   name, m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7],
									   m[8], m[9], m[10], m[11], m[12], m[13]));
	}
	crm_state_check_confidence(s[CUPED_CONFIDENCE], AGGREGATE);
}

/* uplift_ttest_cuped_combine(float8[], float8[]): merges partial states */
Datum
crm_uplift_ttest_cuped_combine(PG_FUNCTION_ARGS)
{
	double	   *a = crm_state_values(crm_state_arg(fcinfo, 0, CUPED_STATE_LEN, AGGREGATE, false));
	double	   *b = crm_state_values(crm_state_arg(fcinfo, 1, CUPED_STATE_LEN, AGGREGATE, false));
	double		merged[CUPED_STATE_LEN];

	check_state(a);
	check_state(b);
	memcpy(merged, a, sizeof(merged));
	if (!comoments_combine(&merged[CUPED_TREATMENT], &b[CUPED_TREATMENT]) ||
		!comoments_combine(&merged[CUPED_CONTROL], &b[CUPED_CONTROL]))
		overflow_error();
	merged[CUPED_CONFIDENCE] = crm_state_merge_confidence(a[CUPED_CONFIDENCE], b[CUPED_CONFIDENCE],
														  AGGREGATE);
	PG_RETURN_ARRAYTYPE_P(crm_state_build(merged, CUPED_STATE_LEN));
}

/* uplift_ttest_cuped_final(float8[]) returns crm.ttest_cuped_result */
Datum
crm_uplift_ttest_cuped_final(PG_FUNCTION_ARGS)
{
	double	   *s = crm_state_values(crm_state_arg(fcinfo, 0, CUPED_STATE_LEN, AGGREGATE, false));
	double		confidence;
	double		out[CUPED_NCOLUMNS];
	bool		isnull[CUPED_NCOLUMNS];
	int			i;

	check_state(s);
	confidence = crm_confidence_of_state(s[CUPED_CONFIDENCE]);
	if (!crm_cuped_test(&s[CUPED_TREATMENT], &s[CUPED_CONTROL], confidence, out, isnull))
		overflow_error();

	/* only the t statistic may be infinite (both adjusted arms constant, different means) */
	for (i = 0; i < CUPED_NCOLUMNS; i++)
		if (!isnull[i] && i != TT_T_STAT && !isfinite(out[i]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s: value out of range: overflow in the result", AGGREGATE)));
	return crm_composite_result(fcinfo, out, isnull, CUPED_NCOLUMNS);
}
