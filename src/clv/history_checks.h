/*
 * history_checks.h — shared SQL glue of the CLV functions: validation of customer
 * histories with specific SQLSTATEs, and time units.
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

/* 22023 unless a repeat buyer's mean spend is finite and > 0. */
extern void crm_clv_check_spend(double frequency, double monetary_value, const char *function);

/* A 64-bit hash of n doubles (-0.0 and 0.0 alike), for tables keyed by histories. */
static inline uint64
crm_hash_doubles(const double *key, int n)
{
	uint64		h = UINT64CONST(0x9E3779B97F4A7C15);
	int			i;

	for (i = 0; i < n; i++)
	{
		double		k = key[i] + 0.0;
		uint64		bits;

		memcpy(&bits, &k, sizeof(bits));
		h = (h ^ bits) * UINT64CONST(0xBF58476D1CE4E5B9);
		h ^= h >> 29;
	}
	/*
	 * A final mix, so that the low bits, which pick the slot, depend on the
	 * high bits of the last key too: whole numbers (weeks, days) differ only
	 * there, and without it every T of one (x, tx) fell in one slot.
	 */
	h ^= h >> 33;
	h *= UINT64CONST(0xFF51AFD7ED558CCD);
	h ^= h >> 33;
	return h;
}

#endif
