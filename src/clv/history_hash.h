/*
 * history_hash.h — hashing of history keys (tuples of doubles), for the
 * tables keyed by histories: the fit's histogram (fit_sql.c) and the score
 * cache (score_cache.c).
 */
#ifndef CRM_CLV_HISTORY_HASH_H
#define CRM_CLV_HISTORY_HASH_H

#include <stdint.h>
#include <string.h>

/* A 64-bit hash of n doubles (-0.0 and 0.0 alike), for tables keyed by histories. */
static inline uint64_t
crm_hash_doubles(const double *key, int n)
{
	uint64_t	h = UINT64_C(0x9E3779B97F4A7C15);
	int			i;

	for (i = 0; i < n; i++)
	{
		double		k = key[i] + 0.0;
		uint64_t	bits;

		memcpy(&bits, &k, sizeof(bits));
		h = (h ^ bits) * UINT64_C(0xBF58476D1CE4E5B9);
		h ^= h >> 29;
	}
	/*
	 * A final mix, so that the low bits, which pick the slot, depend on the
	 * high bits of the last key too: whole numbers (weeks, days) differ only
	 * there, and without it every T of one (x, tx) fell in one slot.
	 */
	h ^= h >> 33;
	h *= UINT64_C(0xFF51AFD7ED558CCD);
	h ^= h >> 33;
	return h;
}

#endif
