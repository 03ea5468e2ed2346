/*
 * score_cache.c — the caches of the CLV scoring functions (see
 * predict_sql.c for what they hold).
 *
 * Scoring is bound by the memory latency of these lookups: one call per row,
 * each reaching a random key.  A hash table of (x, t) keys spreads a query's
 * keys over megabytes, so most lookups miss the CPU caches.  Customers'
 * times take few distinct values (one per first-purchase day for tenure), so
 * small frequencies are kept instead in dense rows, one per distinct time,
 * indexed by the frequency: the same keys in a tenth of the memory, and a
 * lookup about three times faster (measured: test/bench/README.md,
 * section "CLV").  Larger frequencies, and new times once SCORE_MAX_ROWS rows are
 * in use, go to the hash table.  At most, a cache takes 2 MB of rows (4 MB
 * for pairs), 128 kB of time slots and a 2 MB hash table, per call site and
 * query.
 */
#include "postgres.h"

#include <math.h>

#include "clv/score_cache.h"
#include "clv/history_hash.h"

StaticAssertDecl(2 * sizeof(ScoreEntry) == 64, "a bucket of two entries fills a 64-byte cache line");

/*
 * The hash table starts at 1k entries and grows 4-fold whenever its lookups
 * exceed 4 times its size, up to 64k entries (2 MB), so that scoring a few
 * customers does not pay for clearing megabytes.  The time slots start at
 * 256 and grow 4-fold, up to 2 SCORE_MAX_ROWS, to keep at most half of them
 * in use; the rows double from 64.
 */
#define HASH_MIN_SIZE 1024
#define HASH_MAX_SIZE 65536
#define SLOTS_MIN 256
#define ROWS_MIN 64

void
score_cache_invalidate(ScoreCache *cache)
{
	if (++cache->generation == 0)
	{
		/* wrapped: values of a generation 2^32 back would look valid */
		if (cache->entries != NULL)
			memset(cache->entries, 0, sizeof(ScoreEntry) * cache->size);
		if (cache->slots != NULL)
			memset(cache->slots, 0, sizeof(ScoreTimeSlot) * cache->nslots);
		cache->generation = 1;
		cache->rows_generation = 0;	/* the rows are free */
	}
}

/* ---- dense rows ---- */

/* The slot of time t, or the free slot where it would go. */
static ScoreTimeSlot *
slot_of(ScoreCache *cache, double t)
{
	uint32		mask = cache->nslots - 1,
				s = crm_hash_doubles(&t, 1) & mask;

	/* at most half the slots are in use, so a free one ends the probe */
	while (cache->slots[s].generation == cache->generation && cache->slots[s].t != t)
		s = (s + 1) & mask;
	return &cache->slots[s];
}

/* Four times the slots (zeroed: never in use), the current ones moved over. */
static void
slots_grow(ScoreCache *cache, MemoryContext context)
{
	ScoreTimeSlot *old = cache->slots;
	uint32		old_n = cache->nslots,
				n = old ? Min(old_n * 4, 2 * SCORE_MAX_ROWS) : SLOTS_MIN,
				i;
	ScoreTimeSlot *slots = MemoryContextAllocZero(context, sizeof(ScoreTimeSlot) * n);

	/* the fields change once the allocation has succeeded */
	cache->slots = slots;
	cache->nslots = n;
	if (old == NULL)
		return;
	for (i = 0; i < old_n; i++)
		if (old[i].generation == cache->generation)
			*slot_of(cache, old[i].t) = old[i];
	pfree(old);
}

/* The row of time t, a new one (all values not computed) if t has none; NULL when the rows are used up. */
static double *
dense_row(ScoreCache *cache, MemoryContext context, double t)
{
	ScoreTimeSlot *slot;
	size_t		row_doubles = (size_t) SCORE_DENSE_X * cache->nvalues;
	double	   *row;
	size_t		i;

	if (cache->rows_generation != cache->generation)
	{
		/* the rows and slots of an older generation are free */
		cache->nrows = 0;
		cache->slots_used = 0;
		cache->rows_generation = cache->generation;
	}
	if (cache->slots == NULL || ((cache->slots_used + 1) * 2 > cache->nslots &&
								 cache->nslots < 2 * SCORE_MAX_ROWS))
		slots_grow(cache, context);
	slot = slot_of(cache, t);
	if (slot->generation == cache->generation)
		return cache->rows + (size_t) slot->row * row_doubles;
	if (cache->nrows == SCORE_MAX_ROWS)
		return NULL;
	if (cache->nrows == cache->rows_capacity)
	{
		uint32		capacity = cache->rows_capacity ? cache->rows_capacity * 2 : ROWS_MIN;

		cache->rows = cache->rows == NULL
			? MemoryContextAlloc(context, sizeof(double) * row_doubles * capacity)
			: repalloc(cache->rows, sizeof(double) * row_doubles * capacity);
		cache->rows_capacity = capacity;
	}
	slot->t = t;
	slot->row = cache->nrows++;
	slot->generation = cache->generation;
	cache->slots_used++;
	row = cache->rows + (size_t) slot->row * row_doubles;
	for (i = 0; i < row_doubles; i++)
		row[i] = NAN;
	return row;
}

/* ---- hashed entries ---- */

/* A table of never-filled entries, aligned so that a bucket is one cache line. */
static void
hash_allocate(ScoreCache *cache, MemoryContext context, uint32 size)
{
	void	   *allocation = MemoryContextAllocExtended(context,
														sizeof(ScoreEntry) * size + PG_CACHE_LINE_SIZE,
														MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);

	cache->allocation = allocation;
	cache->entries = (ScoreEntry *) TYPEALIGN(PG_CACHE_LINE_SIZE, allocation);
	cache->size = size;
}

/* The two entries where (x, t) may be. */
static inline ScoreEntry *
hash_bucket(ScoreCache *cache, int32 x, double t)
{
	double		key[2] = {x, t};

	return &cache->entries[crm_hash_doubles(key, 2) & (cache->size - 2)];
}

/* Four times the entries, the valid ones moved over (some are costly integrals). */
static void
hash_grow(ScoreCache *cache, MemoryContext context)
{
	ScoreEntry *old = cache->entries;
	void	   *old_allocation = cache->allocation;
	uint32		old_size = cache->size,
				i;

	hash_allocate(cache, context, old_size * 4);
	for (i = 0; i < old_size; i++)
		if (old[i].generation == cache->generation)
		{
			ScoreEntry *bucket = hash_bucket(cache, old[i].x, old[i].t);

			bucket[bucket[0].generation == cache->generation ? 1 : 0] = old[i];
		}
	pfree(old_allocation);
}

/* Buckets of two entries, the most recent first: direct mapping lost a third of the benchmark's keys. */
static double *
hash_lookup(ScoreCache *cache, MemoryContext context, int32 x, double t, bool *hit)
{
	ScoreEntry *bucket;
	int			i;

	if (cache->entries == NULL)
		hash_allocate(cache, context, HASH_MIN_SIZE);
	else if (cache->size < HASH_MAX_SIZE && cache->hashed_calls > 4 * (uint64) cache->size)
		hash_grow(cache, context);
	cache->hashed_calls++;
	bucket = hash_bucket(cache, x, t);
	for (i = 0; i < 2; i++)
		if (bucket[i].generation == cache->generation && bucket[i].x == x && bucket[i].t == t)
		{
			/* NaN: the caller did not store the value (an error while computing it) */
			*hit = !isnan(bucket[i].value[0]);
			return bucket[i].value;
		}
	bucket[1] = bucket[0];
	bucket[0].x = x;
	bucket[0].t = t;
	bucket[0].generation = cache->generation;
	bucket[0].value[0] = bucket[0].value[1] = NAN;
	*hit = false;
	return bucket[0].value;
}

double *
score_cache_lookup(ScoreCache *cache, MemoryContext context, int nvalues, int32 x, double t, bool *hit)
{
	if (cache->generation == 0)
		cache->generation = 1;
	if (cache->nvalues == 0)
		cache->nvalues = nvalues;
	if (cache->nvalues != nvalues || (nvalues != 1 && nvalues != 2))
		elog(ERROR, "score cache of %d values looked up for %d", cache->nvalues, nvalues);
	t += 0.0;					/* -0 and 0 alike */
	if (x >= 0 && x < SCORE_DENSE_X)
	{
		double	   *row = dense_row(cache, context, t);

		if (row != NULL)
		{
			double	   *values = row + (size_t) x * cache->nvalues;

			*hit = !isnan(values[0]);
			return values;
		}
	}
	return hash_lookup(cache, context, x, t, hit);
}
