/*
 * aggregate_state.c — the float8[] states of the experiment aggregates
 * (aggregate_state.h).
 */
#include "stats/aggregate_state.h"

void
crm_state_shape_invalid(const char *aggregate, int length)
{
	crm_state_invalid(aggregate, psprintf("Expected a float8[] of %d elements without NULLs.", length));
}

ArrayType *
crm_state_build(const double *values, int length)
{
	Size		bytes = ARR_OVERHEAD_NONULLS(1) + sizeof(double) * length;
	ArrayType  *state = (ArrayType *) palloc0(bytes);

	SET_VARSIZE(state, bytes);
	state->ndim = 1;
	state->dataoffset = 0;
	state->elemtype = FLOAT8OID;
	ARR_DIMS(state)[0] = length;
	ARR_LBOUND(state)[0] = 1;
	memcpy(ARR_DATA_PTR(state), values, sizeof(double) * length);
	return state;
}

void
crm_state_set_confidence(double *slot, double value, const char *aggregate)
{
	if (likely(*slot == value && value != 0))
		return;
	if (*slot != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: confidence must be the same for every row, got %g and %g",
						aggregate, *slot, value)));
	crm_check_open_unit(value, aggregate, "confidence");
	*slot = value;
}

double
crm_state_merge_confidence(double a, double b, const char *aggregate)
{
	crm_state_check_confidence(a, aggregate);
	crm_state_check_confidence(b, aggregate);
	if (a != 0 && b != 0 && a != b)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: confidence must be the same for every row, got %g and %g",
						aggregate, a, b)));
	return a != 0 ? a : b;
}

void
crm_state_check_confidence(double slot, const char *aggregate)
{
	if (!(slot == 0 || (slot > 0 && slot < 1)))
		crm_state_invalid(aggregate, psprintf("The confidence element is %g.", slot));
}

ArrayType *
crm_state_combine_counts(FunctionCallInfo fcinfo, int length, const char *aggregate,
						 void (*check) (const double *state))
{
	double	   *a = crm_state_values(crm_state_arg(fcinfo, 0, length, aggregate, false));
	double	   *b = crm_state_values(crm_state_arg(fcinfo, 1, length, aggregate, false));
	double	   *merged = palloc(sizeof(double) * length);
	int			i;

	check(a);
	check(b);
	for (i = 0; i < length - 1; i++)
		merged[i] = a[i] + b[i];
	merged[length - 1] = crm_state_merge_confidence(a[length - 1], b[length - 1], aggregate);
	check(merged);
	return crm_state_build(merged, length);
}
