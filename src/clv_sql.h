/*
 * clv_sql.h — shared SQL glue of the CLV functions: validation of customer
 * histories with specific SQLSTATEs, and time units.
 */
#ifndef CRM_CLV_SQL_H
#define CRM_CLV_SQL_H

#include "postgres.h"

#include "datatype/timestamp.h"

/* time_unit in days (a month is 30 days, a year 365.25, as EXTRACT(epoch) counts); 22023 unless > 0. */
extern double crm_time_unit_days(const Interval *unit, const char *function);

/*
 * 22023 unless (frequency, recency, tenure) is a possible history: all
 * finite and >= 0, recency <= tenure, recency = 0 when frequency = 0.
 */
extern void crm_clv_check_history(double frequency, double recency, double tenure,
								  const char *function);

/* 22023 unless a repeat buyer's mean spend is finite and > 0. */
extern void crm_clv_check_spend(double frequency, double monetary_value, const char *function);

#endif
