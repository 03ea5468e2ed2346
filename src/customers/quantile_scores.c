/*
 * quantile_scores.c — tie-aware quantile scores (rule in quantile_scores.h).
 *
 * Sorting is an LSD radix sort on the 64-bit keys, 11 bits per pass, with
 * passes skipped when all keys share those bits (scores and counts of
 * customers have few distinct high bits): linear in n, which matters on a
 * million customers, and stable, which keeps the result deterministic.
 */
#include "customers/quantile_scores.h"

#include <string.h>

#define RADIX_BITS	11
#define RADIX_SIZE	(1 << RADIX_BITS)

/* Sorts items by key; scratch has room for n items. */
static void
radix_sort(ScoreItem *items, ScoreItem *scratch, size_t n)
{
	size_t		counts[RADIX_SIZE];
	ScoreItem  *from = items;
	ScoreItem  *to = scratch;
	int			shift;

	for (shift = 0; shift < 64; shift += RADIX_BITS)
	{
		uint64_t	first = (from[0].key >> shift) & (RADIX_SIZE - 1);
		int			all_same = 1;
		size_t		i,
					total = 0;

		memset(counts, 0, RADIX_SIZE * sizeof(size_t));
		for (i = 0; i < n; i++)
		{
			uint64_t	digit = (from[i].key >> shift) & (RADIX_SIZE - 1);

			counts[digit]++;
			all_same &= digit == first;
		}
		if (all_same)
			continue;			/* this pass would not move anything */
		for (i = 0; i < RADIX_SIZE; i++)
		{
			size_t		c = counts[i];

			counts[i] = total;
			total += c;
		}
		for (i = 0; i < n; i++)
			to[counts[(from[i].key >> shift) & (RADIX_SIZE - 1)]++] = from[i];
		{
			ScoreItem  *swap = from;

			from = to;
			to = swap;
		}
	}
	if (from != items)
		memcpy(items, from, n * sizeof(ScoreItem));
}

void
crm_quantile_scores(ScoreItem *items, ScoreItem *scratch, size_t n, int bins, int16_t *scores,
					size_t stride)
{
	size_t		lo = 0;

	if (n == 0)
		return;
	radix_sort(items, scratch, n);
	while (lo < n)
	{
		size_t		hi = lo + 1;
		int64_t		score;
		size_t		k;

		while (hi < n && items[hi].key == items[lo].key)
			hi++;
		score = 1 + (int64_t) ((uint64_t) bins * (lo + hi) / (2 * (uint64_t) n));
		if (score > bins)
			score = bins;
		for (k = lo; k < hi; k++)
			scores[(size_t) items[k].row * stride] = (int16_t) score;
		lo = hi;
	}
}
