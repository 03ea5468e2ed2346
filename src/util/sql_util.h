/*
 * sql_util.h — shared glue between the SQL-callable functions and the pure
 * C numerics: argument checks with specific SQLSTATEs, errors for invalid
 * aggregate states, and composite results.  The float8[] states of the
 * experiment aggregates are in stats/aggregate_state.h.
 */
#ifndef CRM_SQL_UTIL_H
#define CRM_SQL_UTIL_H

#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "nodes/nodes.h"
#include "utils/array.h"

/* 22023 unless finite: NaN and +-Infinity are never valid input values. */
static inline void
crm_check_finite(double value, const char *function, const char *argument)
{
	if (unlikely(!isfinite(value)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s must be a finite number, got %s", function, argument,
						isnan(value) ? "NaN" : (value > 0 ? "Infinity" : "-Infinity"))));
}

/* 22007 unless a timestamp is finite (+-infinity is no time of an order). */
#define crm_check_finite_timestamp(ts, function, argument) \
	do { \
		if (unlikely(TIMESTAMP_NOT_FINITE(ts))) \
			ereport(ERROR, \
					(errcode(ERRCODE_INVALID_DATETIME_FORMAT), \
					 errmsg("%s: %s must be finite, got %s", (function), (argument), \
							TIMESTAMP_IS_NOBEGIN(ts) ? "-infinity" : "infinity"))); \
	} while (0)

/*
 * A numeric argument as a double: 22023 for NaN and +-Infinity, 22003 when
 * it is beyond the double range.
 */
extern double crm_numeric_to_double(Datum value, const char *function, const char *argument);

/*
 * The order amount of argument argno (float8, or numeric when `numeric`:
 * the aggregates take both) as a finite double; 22023 or 22003 as above.
 * Inline: it runs once per row.
 */
static inline double
crm_amount_arg(FunctionCallInfo fcinfo, int argno, bool numeric, const char *function)
{
	double		amount = numeric ? crm_numeric_to_double(PG_GETARG_DATUM(argno), function, "amount")
		: PG_GETARG_FLOAT8(argno);

	crm_check_finite(amount, function, "amount");
	return amount;
}

/* 22023 unless 0 < value < 1 (confidence, alpha, power, shares). */
extern void crm_check_open_unit(double value, const char *function, const char *argument);

/* 22023 unless value > 0 and finite (df, sd). */
extern void crm_check_positive(double value, const char *function, const char *argument);

/* ERROR 22023 naming the aggregate and the bad element of a state array. */
extern void crm_state_invalid(const char *aggregate, const char *detail) pg_attribute_noreturn();

/* Checks a count stored in a state: a whole number in [0, 2^53]. */
extern void crm_state_check_count(double value, const char *aggregate, const char *element);

/*
 * Builds the function's composite result from a row of doubles and NULL
 * flags in column order; bigint, integer and boolean (non-zero = true) columns
 * are converted from their double.
 * A NaN anywhere is an internal error (a bug), never returned.
 */
extern Datum crm_composite_result(FunctionCallInfo fcinfo, const double *values,
								  const bool *isnull, int ncolumns);

#endif
