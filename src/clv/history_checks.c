/*
 * history_checks.c — the checks of purchase-history inputs shared by the
 * CLV fits (fit_sql.c), predictions (predict_sql.c) and
 * crm.purchase_summary: a wrong history is 22023 naming the function and
 * the value, before any numerics see it (models.h expects valid input).
 */
#include "clv/history_checks.h"

#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "util/sql_util.h"

void
crm_clv_check_history(double frequency, double recency, double tenure, const char *function)
{
	crm_check_finite(recency, function, "recency");
	crm_check_finite(tenure, function, "tenure");
	if (frequency < 0 || recency < 0 || tenure < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: frequency, recency and tenure must be >= 0, got (%g, %g, %g)",
						function, frequency, recency, tenure)));
	if (recency > tenure)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: recency must not exceed tenure, got recency %g > tenure %g",
						function, recency, tenure),
				 errdetail("Recency is the time from the first to the last purchase, tenure the time from the first purchase to the end of observation.")));
	if (frequency == 0 && recency != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: recency must be 0 when frequency is 0, got %g", function, recency),
				 errdetail("Frequency counts repeat purchases; without one the last purchase is the first.")));
}

void
crm_clv_check_spend(double frequency, double monetary_value, const char *function)
{
	if (frequency < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: frequency must be >= 0, got %g", function, frequency)));
	crm_check_finite(monetary_value, function, "monetary_value");
	if (frequency > 0 && !(monetary_value > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: monetary_value must be > 0 for a repeat buyer, got %g",
						function, monetary_value),
				 errhint("The Gamma-Gamma model needs positive spend; exclude refunds or zero-value orders.")));
}

/* time_unit in days, as EXTRACT(epoch FROM time_unit) / 86400 counts it; 22023 unless > 0. */
double
crm_time_unit_days(const Interval *unit, const char *function)
{
	double		days = (unit->month / MONTHS_PER_YEAR) * DAYS_PER_YEAR +
		(unit->month % MONTHS_PER_YEAR) * (double) DAYS_PER_MONTH +
		unit->day + (double) unit->time / (double) USECS_PER_DAY;

	if (!(days > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: time_unit must be a positive interval, got %s", function,
						DatumGetCString(DirectFunctionCall1(interval_out,
															IntervalPGetDatum(unit))))));
	return days;
}
