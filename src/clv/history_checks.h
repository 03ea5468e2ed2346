/*
 * history_checks.h — the checks of purchase-history inputs (histories,
 * spend, time units) that the CLV functions and crm.purchase_summary share,
 * with specific SQLSTATEs.
 */
#ifndef CRM_CLV_HISTORY_CHECKS_H
#define CRM_CLV_HISTORY_CHECKS_H

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

/* 22023 unless frequency >= 0 and, for a repeat buyer, the mean spend is finite and > 0. */
extern void crm_clv_check_spend(double frequency, double monetary_value, const char *function);

#endif
