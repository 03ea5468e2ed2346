/*
 * score_cache.h — caches of the CLV scoring functions: values keyed by
 * a frequency and a time (recency or tenure), within one call site and query.
 */
#ifndef CLV_SCORE_CACHE_H
#define CLV_SCORE_CACHE_H

#include "postgres.h"

/* A hashed entry: one or two values, valid while generation is the cache's. */
typedef struct ScoreEntry
{
	int32		x;
	uint32		generation;
	double		t;
	double		value[2];
} ScoreEntry;

/* A time of the dense rows and its row, valid while generation is the cache's. */
typedef struct ScoreTimeSlot
{
	double		t;
	uint32		row;
	uint32		generation;
} ScoreTimeSlot;

/*
 * Zero-initialised, then used through score_cache_lookup.  Frequencies
 * below SCORE_DENSE_X sit in dense rows, one per distinct time, indexed by
 * the frequency; the others, and new times once SCORE_MAX_ROWS rows are in
 * use, in a hash table of two-entry buckets.
 */
typedef struct ScoreCache
{
	uint32		generation;		/* of the values now valid; 0: never used */
	int			nvalues;		/* 1 or 2, fixed by the first lookup */
	/* dense rows */
	ScoreTimeSlot *slots;		/* open addressing by time */
	uint32		nslots;			/* a power of two */
	uint32		slots_used;
	double	   *rows;			/* nrows x SCORE_DENSE_X x nvalues; NaN: not computed */
	uint32		nrows;
	uint32		rows_capacity;
	uint32		rows_generation;	/* the generation the rows were assigned in */
	/* hashed entries */
	ScoreEntry *entries;		/* buckets on cache lines */
	void	   *allocation;		/* where entries lie */
	uint32		size;			/* a power of two */
	uint64		hashed_calls;
	/* what the values are for, checked by the caller */
	double		horizon;
	double		delta;
} ScoreCache;

#define SCORE_DENSE_X 64
#define SCORE_MAX_ROWS 4096

/* Makes every value stale: a new model, horizon or rate. */
extern void score_cache_invalidate(ScoreCache *cache);

/*
 * Where the nvalues values of (x, t) are kept in cache, allocating in
 * context; *hit says whether they hold them, else the caller computes and
 * stores them there.  The pointer is good until the next lookup or
 * invalidation of the same cache (rows move as they grow, buckets shift);
 * values not stored count as not computed.
 */
extern double *score_cache_lookup(ScoreCache *cache, MemoryContext context, int nvalues,
								  int32 x, double t, bool *hit);

#endif							/* CLV_SCORE_CACHE_H */
