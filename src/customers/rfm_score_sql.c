/*
 * rfm_score_sql.c — crm.rfm_score(recency, frequency, monetary [, bins]) OVER (...),
 * a window function scoring each row 1..bins on recency, frequency and
 * monetary value by quantile within its window partition.
 *
 * On the first row of a partition it reads the three arguments of every row,
 * scores each column with the tie-aware rule of quantile_scores.h (equal
 * values share a score; a tie group gets the score of its middle position),
 * keeps the scores in partition memory (6 bytes a row) and then returns one
 * row's scores per call.  5 (= bins) is best: the most recent purchase (the
 * smallest recency, or the latest last-purchase time in the timestamptz
 * form), the highest frequency, the highest spend.  The window's ORDER BY
 * and frame do not matter: the whole partition is scored.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "windowapi.h"

#include "customers/quantile_scores.h"
#include "customers/rfm_preset_segments.h"

#define RFM_DEFAULT_BINS	5
#define RFM_MAX_BINS		100

static const char *const FUNCTION = "crm.rfm_score";
static const char *const COMPONENT[3] = {"recency", "frequency", "monetary"};

/* Per partition: the scores of every row, 0 for NULL, row-major r, f, m. */
typedef struct RfmPartition
{
	bool		scored;
	int			bins;
	int16		scores[FLEXIBLE_ARRAY_MEMBER];
} RfmPartition;

/* The order key of argument `component` of one row, with "better" = larger. */
static uint64
component_key(Datum value, int component, bool recency_is_time)
{
	double		x;

	if (component == 0 && recency_is_time)
		return score_key_from_int64(DatumGetTimestampTz(value));	/* later = better */
	x = DatumGetFloat8(value);
	if (unlikely(!isfinite(x)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s must be a finite number, got %s", FUNCTION, COMPONENT[component],
						isnan(x) ? "NaN" : (x > 0 ? "Infinity" : "-Infinity"))));
	/* recency in time units: smaller = better, so the key is reversed */
	return component == 0 ? ~score_key_from_double(x) : score_key_from_double(x);
}

/* The bins argument of one row: 2..RFM_MAX_BINS, the same on every row. */
static int
read_bins(WindowObject winobj, int64 row, int previous)
{
	bool		isnull,
				isout;
	Datum		value = WinGetFuncArgInPartition(winobj, 3, row, WINDOW_SEEK_HEAD, false,
												 &isnull, &isout);
	int			bins;

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s: bins must not be NULL", FUNCTION)));
	bins = DatumGetInt32(value);
	if (bins < 2 || bins > RFM_MAX_BINS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: bins must be between 2 and %d, got %d", FUNCTION, RFM_MAX_BINS, bins)));
	if (previous != 0 && bins != previous)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: bins must be the same for every row, got %d and %d", FUNCTION, previous, bins)));
	return bins;
}

/*
 * Reads the whole partition and scores its three columns.  Column by column:
 * each pass reads the rows in order, so every fetch is a plain step forward
 * (reading a row's three arguments one after the other makes the window
 * executor step forward and back for each), and the two work arrays are
 * reused for the next column.
 */
static void
score_partition(WindowObject winobj, RfmPartition *part, int64 nrows, bool with_bins,
				bool recency_is_time)
{
	ScoreItem  *items;
	ScoreItem  *scratch;
	int64		row;
	int			c;

	if (nrows >= PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s: a window partition may hold at most %d rows", FUNCTION, PG_INT32_MAX - 1)));
	part->bins = RFM_DEFAULT_BINS;
	if (with_bins)
	{
		part->bins = 0;
		for (row = 0; row < nrows; row++)
			part->bins = read_bins(winobj, row, part->bins);
	}

	items = palloc_extended(sizeof(ScoreItem) * Max(nrows, 1), MCXT_ALLOC_HUGE);
	scratch = palloc_extended(sizeof(ScoreItem) * Max(nrows, 1), MCXT_ALLOC_HUGE);
	for (c = 0; c < 3; c++)
	{
		size_t		count = 0;

		for (row = 0; row < nrows; row++)
		{
			bool		isnull,
						isout;
			Datum		value = WinGetFuncArgInPartition(winobj, c, row, WINDOW_SEEK_HEAD, false,
														 &isnull, &isout);

			if (isnull)
				continue;		/* scored NULL (0) */
			items[count].key = component_key(value, c, recency_is_time);
			items[count].row = (uint32) row;
			count++;
		}
		crm_quantile_scores(items, scratch, count, part->bins, &part->scores[c], 3);
	}
	pfree(items);
	pfree(scratch);
	part->scored = true;
}

/* results kept per cell up to this many bins (8,000 cells) */
#define RFM_CACHED_RESULT_BINS	20

/*
 * Per query (fn_extra): the result's tuple descriptor, the texts of every
 * cell and rfm11 segment, and the crm.rfm value of each cell once made: a
 * row's result depends on its cell only, so most rows cost a lookup.
 */
typedef struct RfmQueryCache
{
	TupleDesc	tupdesc;
	int			bins;			/* the cells below are for this bin count */
	Datum	   *cells;			/* [(r-1) * bins^2 + (f-1) * bins + (m-1)], text */
	Datum	   *results;		/* same index, crm.rfm or 0 until made; NULL above 20 bins */
	Datum		segments[125];	/* rfm11 segment of each 1..5 cell, text */
} RfmQueryCache;

static RfmQueryCache *
query_cache(FunctionCallInfo fcinfo, int bins)
{
	RfmQueryCache *cache = (RfmQueryCache *) fcinfo->flinfo->fn_extra;
	MemoryContext old;
	int			r,
				f,
				m;

	if (cache != NULL && cache->bins == bins)
		return cache;
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	if (cache == NULL)
	{
		TupleDesc	tupdesc;

		cache = palloc0(sizeof(RfmQueryCache));
		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "%s: called in a context that cannot accept a composite", FUNCTION);
		cache->tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
		for (r = 1; r <= 5; r++)
			for (f = 1; f <= 5; f++)
				for (m = 1; m <= 5; m++)
				{
					bool		known;

					cache->segments[(r - 1) * 25 + (f - 1) * 5 + (m - 1)] =
						CStringGetTextDatum(crm_rfm_preset_segment("rfm11", r, f, m, &known));
				}
	}
	cache->bins = bins;
	cache->cells = palloc(sizeof(Datum) * bins * bins * bins);
	cache->results = bins <= RFM_CACHED_RESULT_BINS ? palloc0(sizeof(Datum) * bins * bins * bins) : NULL;
	for (r = 1; r <= bins; r++)
		for (f = 1; f <= bins; f++)
			for (m = 1; m <= bins; m++)
				cache->cells[((r - 1) * bins + (f - 1)) * bins + (m - 1)] =
					CStringGetTextDatum(bins <= 9 ? psprintf("%d%d%d", r, f, m) : psprintf("%d-%d-%d", r, f, m));
	MemoryContextSwitchTo(old);
	fcinfo->flinfo->fn_extra = cache;
	return cache;
}

/* The crm.rfm result of the current row. */
static Datum
rfm_result(FunctionCallInfo fcinfo, const RfmPartition *part, int64 row)
{
	const int16 *s = &part->scores[row * 3];
	RfmQueryCache *cache = query_cache(fcinfo, part->bins);
	int			bins = part->bins;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};
	int			c,
				cell = 0;
	bool		complete = s[0] != 0 && s[1] != 0 && s[2] != 0;

	if (complete)
	{
		cell = ((s[0] - 1) * bins + (s[1] - 1)) * bins + (s[2] - 1);
		if (cache->results != NULL && cache->results[cell] != (Datum) 0)
			return cache->results[cell];
	}
	for (c = 0; c < 3; c++)
	{
		nulls[c] = s[c] == 0;
		values[c] = Int16GetDatum(s[c]);
	}
	if (!complete)
		nulls[3] = nulls[4] = true;
	else
	{
		values[3] = cache->cells[cell];
		if (bins == 5)
			values[4] = cache->segments[(s[0] - 1) * 25 + (s[1] - 1) * 5 + (s[2] - 1)];
		else
			nulls[4] = true;	/* the named segments are defined on 1..5 */
	}
	if (complete && cache->results != NULL)
	{
		/* the window executor copies results it must keep apart; this one stays read-only */
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		cache->results[cell] = HeapTupleGetDatum(heap_form_tuple(cache->tupdesc, values, nulls));
		MemoryContextSwitchTo(old);
		return cache->results[cell];
	}
	return HeapTupleGetDatum(heap_form_tuple(cache->tupdesc, values, nulls));
}

/* The shared body of both forms. */
static Datum
rfm_score(FunctionCallInfo fcinfo, bool recency_is_time)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	int64		nrows = WinGetPartitionRowCount(winobj);
	RfmPartition *part;

	part = (RfmPartition *) WinGetPartitionLocalMemory(winobj,
													   offsetof(RfmPartition, scores) +
													   sizeof(int16) * 3 * nrows);
	if (!part->scored)
		score_partition(winobj, part, nrows, PG_NARGS() > 3, recency_is_time);
	return rfm_result(fcinfo, part, WinGetCurrentPosition(winobj));
}

PG_FUNCTION_INFO_V1(crm_rfm_score);
PG_FUNCTION_INFO_V1(crm_rfm_score_time);

/* rfm_score(recency float8, frequency float8, monetary float8 [, bins int]) */
Datum
crm_rfm_score(PG_FUNCTION_ARGS)
{
	return rfm_score(fcinfo, false);
}

/* rfm_score(last_purchase timestamptz, frequency float8, monetary float8 [, bins int]) */
Datum
crm_rfm_score_time(PG_FUNCTION_ARGS)
{
	return rfm_score(fcinfo, true);
}
