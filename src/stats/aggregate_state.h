/*
 * aggregate_state.h — the float8[] states of the experiment aggregates
 * (crm.uplift_ttest, crm.uplift_ttest_cuped, crm.uplift_ztest, crm.nps),
 * and their optional confidence argument, kept in a slot of the state: 0
 * until a row gives one, then the same for every row.
 */
#ifndef CRM_STATS_AGGREGATE_STATE_H
#define CRM_STATS_AGGREGATE_STATE_H

#include "util/sql_util.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "nodes/nodes.h"
#include "utils/array.h"

#include "stats/experiments.h"

/* ERROR 22023: the state is not a float8[] of the expected length. */
extern void crm_state_shape_invalid(const char *aggregate, int length) pg_attribute_noreturn();

/* A new float8[] state holding a copy of values. */
extern ArrayType *crm_state_build(const double *values, int length);

/*
 * Aggregate states are one-dimensional float8[] arrays without NULLs and of
 * a fixed length per aggregate, so that distributed engines can ship them as
 * text.  crm_state_arg() returns argument argno checked for that shape; a
 * transition function may update it in place only when called as an
 * aggregate, so otherwise it gets a private copy (writable = true).  Inline:
 * it runs once per row.
 */
static inline ArrayType *
crm_state_arg(FunctionCallInfo fcinfo, int argno, int length, const char *aggregate, bool writable)
{
	struct varlena *raw;
	ArrayType  *state;

	if (unlikely(PG_ARGISNULL(argno)))
		crm_state_invalid(aggregate, "The state is NULL.");
	raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	state = (ArrayType *) (unlikely(VARATT_IS_EXTENDED(raw)) ? pg_detoast_datum(raw) : raw);
	if (unlikely(ARR_NDIM(state) != 1 || ARR_DIMS(state)[0] != length ||
				 ARR_HASNULL(state) || ARR_ELEMTYPE(state) != FLOAT8OID))
		crm_state_shape_invalid(aggregate, length);

	/* in place only inside an aggregate (as AggCheckCallContext decides), where the state is ours */
	if (writable && !(fcinfo->context != NULL &&
					  (IsA(fcinfo->context, AggState) || IsA(fcinfo->context, WindowAggState))))
		state = crm_state_build((const double *) ARR_DATA_PTR(state), length);
	return state;
}

static inline double *
crm_state_values(ArrayType *state)
{
	return (double *) ARR_DATA_PTR(state);
}

/*
 * Confidence level kept in a state slot (0 = not given, use the default).
 * Records value on first use and insists that every row passes the same.
 */
extern void crm_state_set_confidence(double *slot, double value, const char *aggregate);

/* Merges two confidence slots from combined partial states. */
extern double crm_state_merge_confidence(double a, double b, const char *aggregate);

/* Checks a confidence slot read from a state (0 or in (0, 1)). */
extern void crm_state_check_confidence(double slot, const char *aggregate);

/*
 * The combine function of an aggregate whose state is counts followed by
 * the confidence slot (the last element): checks both states with check,
 * adds the counts, merges the confidence, and checks the sum (it must still
 * be exact).
 */
extern ArrayType *crm_state_combine_counts(FunctionCallInfo fcinfo, int length, const char *aggregate,
										   void (*check) (const double *state));

/*
 * Records the confidence argument argno of a transition function, when the
 * overload has one, in *slot: 22004 when it is NULL, 22023 when it is not
 * in (0, 1) or differs from an earlier row's.
 */
static inline void
crm_confidence_arg(FunctionCallInfo fcinfo, int argno, double *slot, const char *aggregate)
{
	if (PG_NARGS() <= argno)
		return;
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s: confidence must not be NULL", aggregate)));
	crm_state_set_confidence(slot, PG_GETARG_FLOAT8(argno), aggregate);
}

/* The confidence level of a final function: the slot's, or the default when no row gave one. */
static inline double
crm_confidence_of_state(double slot)
{
	return slot != 0 ? slot : CRM_DEFAULT_CONFIDENCE;
}

#endif
