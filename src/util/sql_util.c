/*
 * sql_util.c — argument checks, state errors and composite results shared
 * by the SQL-callable functions.
 */
#include "util/sql_util.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

/* 2^53: counts stay below it, so that every sum of two counts is exact or detected */
#define CRM_COUNT_LIMIT 9007199254740992.0

double
crm_numeric_to_double(Datum value, const char *function, const char *argument)
{
	Numeric		num = DatumGetNumeric(value);
	double		result;

	if (unlikely(numeric_is_nan(num) || numeric_is_inf(num)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s must be a finite number, got %s", function, argument,
						numeric_is_nan(num) ? "NaN" : "an infinite numeric")));
	/* the no-overflow conversion gives +-HUGE_VAL instead of an unreadable error */
	result = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, NumericGetDatum(num)));
	if (unlikely(isinf(result)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: %s is out of range for float8", function, argument)));
	return result;
}

void
crm_check_open_unit(double value, const char *function, const char *argument)
{
	if (!(value > 0 && value < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s must be between 0 and 1 (exclusive), got %g",
						function, argument, value)));
}

void
crm_check_positive(double value, const char *function, const char *argument)
{
	if (!(value > 0 && isfinite(value)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s must be a positive finite number, got %g",
						function, argument, value)));
}

void
crm_state_invalid(const char *aggregate, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid state for aggregate %s", aggregate),
			 errdetail("%s", detail),
			 errhint("States are produced by the aggregate's own functions; do not build them by hand.")));
}

void
crm_state_check_count(double value, const char *aggregate, const char *element)
{
	if (!(value >= 0 && value < CRM_COUNT_LIMIT && value == floor(value)))
		crm_state_invalid(aggregate, psprintf("The %s element is %g, not a count.", element, value));
}

Datum
crm_composite_result(FunctionCallInfo fcinfo, const double *values, const bool *isnull,
					 int ncolumns)
{
	TupleDesc	tupdesc;
	Datum	   *datums;
	int			i;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "function returning a composite called in a context that cannot accept it");
	if (tupdesc->natts != ncolumns)
		elog(ERROR, "result type has %d columns, expected %d", tupdesc->natts, ncolumns);
	tupdesc = BlessTupleDesc(tupdesc);

	datums = (Datum *) palloc(sizeof(Datum) * ncolumns);
	for (i = 0; i < ncolumns; i++)
	{
		Oid			type = TupleDescAttr(tupdesc, i)->atttypid;

		datums[i] = (Datum) 0;
		if (isnull[i])
			continue;
		if (isnan(values[i]))
			elog(ERROR, "internal error: column %d of the result is NaN", i + 1);
		if (type == INT8OID)
			datums[i] = Int64GetDatum((int64) values[i]);
		else if (type == FLOAT8OID)
			datums[i] = Float8GetDatum(values[i]);
		else if (type == INT4OID)
			datums[i] = Int32GetDatum((int32) values[i]);
		else if (type == BOOLOID)
			datums[i] = BoolGetDatum(values[i] != 0);
		else
			elog(ERROR, "unexpected type %s in result column %d", format_type_be(type), i + 1);
	}
	return HeapTupleGetDatum(heap_form_tuple(tupdesc, datums, (bool *) isnull));
}
