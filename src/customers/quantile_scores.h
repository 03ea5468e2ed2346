/*
 * quantile_scores.h — tie-aware quantile scores 1..bins, the ranking behind
 * crm.rfm_score.  Pure C.
 *
 * The rule: sort the n values; a group of equal values occupying sorted
 * positions lo .. hi-1 (0-based) gets the score of its middle position,
 *     score = min(bins, 1 + floor(bins * (lo + hi) / (2 n))),
 * so equal values always share a score, no group is split, and with no ties
 * the scores are the equal-frequency bins of ntile (for n divisible by bins).
 * A large tie group (most customers have one order) lands on the bin of its
 * midpoint, and bins that no group's midpoint falls into stay empty.
 */
#ifndef CRM_QUANTILE_SCORES_H
#define CRM_QUANTILE_SCORES_H

#include <stddef.h>
#include <stdint.h>

/* A value to score, as an order-preserving unsigned key, and its row number. */
typedef struct ScoreItem
{
	uint64_t	key;
	uint32_t	row;
} ScoreItem;

/* Order-preserving key of a finite double (-0 and +0 equal). */
static inline uint64_t
score_key_from_double(double value)
{
	union
	{
		double		d;
		uint64_t	u;
	}			bits;

	bits.d = value == 0 ? 0.0 : value;
	return (bits.u & UINT64_C(0x8000000000000000)) ? ~bits.u : bits.u | UINT64_C(0x8000000000000000);
}

/* Order-preserving key of a signed 64-bit integer (timestamps). */
static inline uint64_t
score_key_from_int64(int64_t value)
{
	return (uint64_t) value ^ UINT64_C(0x8000000000000000);
}

/*
 * Sorts items (n of them, n < 2^31; scratch: room for n more) by key and
 * writes each item's score (1..bins, higher key = higher score) to
 * scores[item.row * stride].
 */
extern void crm_quantile_scores(ScoreItem *items, ScoreItem *scratch, size_t n, int bins,
								int16_t *scores, size_t stride);

#endif
