/*
 * confidence_arg_sql.h — the optional confidence argument of the experiment
 * aggregates (crm.uplift_ttest, crm.uplift_ttest_cuped, crm.uplift_ztest,
 * crm.nps), kept in a slot of their float8[] state: 0 until a row gives
 * one, then the same for every row (util/sql_util.h checks that).
 */
#ifndef CRM_CONFIDENCE_ARG_SQL_H
#define CRM_CONFIDENCE_ARG_SQL_H

#include "util/sql_util.h"

#include "stats/experiments.h"

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
