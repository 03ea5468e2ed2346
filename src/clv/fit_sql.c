/*
 * fit_sql.c — the fitting aggregates crm.bgnbd_fit, crm.pareto_nbd_fit and
 * crm.gamma_gamma_fit.
 *
 * The likelihoods depend on a customer only through (frequency, recency,
 * tenure), or (frequency, monetary_value) for spend, so the state is a hash
 * histogram of the distinct rows with their counts: its size and the fit's
 * cost grow with the distinct histories, not with the customers.  States
 * merge by adding counts; the fit sorts its rows into a canonical order
 * (canonical_rows.c), so it is bit-identical whatever the row order or the
 * parallel plan.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "clv/history_checks.h"
#include "clv/history_hash.h"
#include "clv/models.h"
#include "math/optimizer.h"
#include "util/sql_util.h"
#include "util/state_reader.h"

#define HISTOGRAM_MAGIC		0x43524848	/* "CRHH" */
#define HISTOGRAM_VERSION	1
#define MAX_KEYS			3

typedef enum FitModel
{
	FIT_BGNBD,
	FIT_PARETO_NBD,
	FIT_GAMMA_GAMMA
} FitModel;

static const char *const AGGREGATE_NAME[] = {
	"crm.bgnbd_fit", "crm.pareto_nbd_fit", "crm.gamma_gamma_fit"
};

/*
 * One distinct row: its key (x, tx, T) or (x, mbar) and how many customers
 * have it, at least 1; 0 marks a free slot (32 bytes, not 40 with a flag:
 * a million distinct histories made the table's zeroing and first touches
 * a third of the aggregation).
 */
typedef struct HistogramEntry
{
	double		key[MAX_KEYS];
	double		count;
} HistogramEntry;

#define ENTRY_USED(e) ((e)->count > 0)

typedef struct Histogram
{
	FitModel	model;
	int			nkeys;
	uint64		size;			/* power of two */
	uint64		used;
	double		customers;
	HistogramEntry *entries;
	MemoryContext context;
} Histogram;

static Histogram *
histogram_create(MemoryContext context, FitModel model, uint64 size)
{
	Histogram  *h = MemoryContextAllocZero(context, sizeof(Histogram));

	h->model = model;
	h->nkeys = model == FIT_GAMMA_GAMMA ? 2 : 3;
	h->size = size;
	h->context = context;
	h->entries = MemoryContextAllocExtended(context, sizeof(HistogramEntry) * size,
											MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	return h;
}

static void histogram_add(Histogram *h, const double *key, double count);

/* Doubles the table when it is 70 % full. */
static void
histogram_grow(Histogram *h)
{
	HistogramEntry *old = h->entries;
	uint64		oldsize = h->size;
	uint64		i;

	h->size *= 2;
	h->used = 0;
	h->entries = MemoryContextAllocExtended(h->context, sizeof(HistogramEntry) * h->size,
											MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (i = 0; i < oldsize; i++)
		if (ENTRY_USED(&old[i]))
			histogram_add(h, old[i].key, old[i].count);
	pfree(old);
}

/* Adds count customers with this key (linear probing). */
static void
histogram_add(Histogram *h, const double *key, double count)
{
	uint64		mask;
	uint64		slot;

	if ((h->used + 1) * 10 > h->size * 7)
		histogram_grow(h);
	mask = h->size - 1;
	slot = crm_hash_doubles(key, h->nkeys) & mask;
	for (;;)
	{
		HistogramEntry *e = &h->entries[slot];

		if (!ENTRY_USED(e))
		{
			memcpy(e->key, key, sizeof(double) * h->nkeys);
			e->count = count;
			h->used++;
			return;
		}
		if (memcmp(e->key, key, sizeof(double) * h->nkeys) == 0)
		{
			e->count += count;
			return;
		}
		slot = (slot + 1) & mask;
	}
}

/* Checks a history (or a spend row) and returns it as a key, -0.0 made 0.0. */
static void
histogram_key(FitModel model, double frequency, double second, double third, double *key,
			  const char *function)
{
	if (model == FIT_GAMMA_GAMMA)
	{
		crm_clv_check_spend(frequency, second, function);
		key[0] = frequency;
		key[1] = second;
	}
	else
	{
		crm_clv_check_history(frequency, second, third, function);
		key[0] = frequency;
		key[1] = second + 0.0;
		key[2] = third + 0.0;
	}
}

/* The state of a fit aggregate, created on the first row. */
static Histogram *
fit_state(FunctionCallInfo fcinfo, FitModel model)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s called in non-aggregate context", AGGREGATE_NAME[model]);
	if (!PG_ARGISNULL(0))
		return (Histogram *) PG_GETARG_POINTER(0);
	return histogram_create(aggcontext, model, 1024);
}

/* Transition: a row with a NULL is skipped. */
static Datum
fit_transfn(FunctionCallInfo fcinfo, FitModel model)
{
	Histogram  *h = fit_state(fcinfo, model);
	double		key[MAX_KEYS];
	int			i;

	for (i = 1; i <= h->nkeys; i++)
		if (PG_ARGISNULL(i))
			PG_RETURN_POINTER(h);
	histogram_key(model, (double) PG_GETARG_INT32(1), PG_GETARG_FLOAT8(2),
				  h->nkeys > 2 ? PG_GETARG_FLOAT8(3) : 0, key, AGGREGATE_NAME[model]);
	/* Gamma-Gamma is fitted on repeat buyers only */
	if (model == FIT_GAMMA_GAMMA && key[0] == 0)
		PG_RETURN_POINTER(h);
	histogram_add(h, key, 1);
	h->customers += 1;
	PG_RETURN_POINTER(h);
}

/* Combine: adds b's counts to a. */
static Datum
fit_combine(FunctionCallInfo fcinfo, FitModel model)
{
	Histogram  *a;
	Histogram  *b = PG_ARGISNULL(1) ? NULL : (Histogram *) PG_GETARG_POINTER(1);
	uint64		i;

	a = fit_state(fcinfo, model);
	if (b == NULL)
		PG_RETURN_POINTER(a);
	for (i = 0; i < b->size; i++)
		if (ENTRY_USED(&b->entries[i]))
			histogram_add(a, b->entries[i].key, b->entries[i].count);
	a->customers += b->customers;
	PG_RETURN_POINTER(a);
}

static Datum
fit_serialize(FunctionCallInfo fcinfo)
{
	Histogram  *h = (Histogram *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	uint64		i;
	int			k;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, HISTOGRAM_MAGIC);
	pq_sendbyte(&buf, HISTOGRAM_VERSION);
	pq_sendbyte(&buf, (uint8) h->model);
	pq_sendint64(&buf, (int64) h->used);
	for (i = 0; i < h->size; i++)
	{
		if (!ENTRY_USED(&h->entries[i]))
			continue;
		for (k = 0; k < h->nkeys; k++)
			pq_sendfloat8(&buf, h->entries[i].key[k]);
		pq_sendfloat8(&buf, h->entries[i].count);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Deserialize, re-validating every row: a user can hand us any bytea. */
static Datum
fit_deserialize(FunctionCallInfo fcinfo, FitModel model)
{
	const char *name = AGGREGATE_NAME[model];
	StateReader r;
	Histogram  *h;
	int64		nrows;
	int64		i;
	uint64		size = 1024;

	state_reader_init(&r, PG_GETARG_BYTEA_PP(0), name);
	if (state_read_u32(&r) != HISTOGRAM_MAGIC || state_read_u8(&r) != HISTOGRAM_VERSION ||
		state_read_u8(&r) != (uint8) model)
		crm_state_invalid(name, "Unknown state format, version or model.");
	nrows = state_read_i64(&r);
	if (nrows < 0 || nrows > (int64) (MaxAllocHugeSize / sizeof(HistogramEntry) / 4))
		crm_state_invalid(name, "The row count is out of range.");
	while (size * 7 < (uint64) nrows * 10 + 10)
		size *= 2;
	h = histogram_create(CurrentMemoryContext, model, size);
	for (i = 0; i < nrows; i++)
	{
		double		key[MAX_KEYS] = {0, 0, 0};
		double		count;
		int			k;

		for (k = 0; k < h->nkeys; k++)
			key[k] = state_read_f8(&r);
		count = state_read_f8(&r);
		crm_state_check_count(count, name, "a row count");
		if (count < 1 || key[0] != floor(key[0]) || key[0] > PG_INT32_MAX ||
			(model == FIT_GAMMA_GAMMA && key[0] < 1))
			crm_state_invalid(name, "A row of the state is not a valid history.");
		histogram_key(model, key[0], key[1], key[2], key, name);
		histogram_add(h, key, count);
		h->customers += count;
	}
	state_reader_finish(&r);
	if (h->used != (uint64) nrows)
		crm_state_invalid(name, "The state repeats a row.");
	PG_RETURN_POINTER(h);
}

static bool fit_stopped = false;

/*
 * The fit's clv_stop_requested (math/optimizer.h): true once a query cancel,
 * statement timeout or termination is pending; the fit stops, then we raise
 * it.  Only those: InterruptPending alone is also set by harmless
 * interrupts (a parallel worker's message to the leader, a catch-up
 * signal), and stopping on them made fits depend on timing.
 */
static bool
fit_stop_requested(void)
{
	if (InterruptPending && (QueryCancelPending || ProcDiePending))
		fit_stopped = true;
	return fit_stopped;
}

/*
 * Final: fits the model on the distinct rows and returns the model
 * composite (parameters, log_likelihood, customers, iterations, converged,
 * standard errors).  No rows: parameters NULL, customers 0, not converged.
 */
static Datum
fit_final(FunctionCallInfo fcinfo, FitModel model)
{
	Histogram  *h = PG_ARGISNULL(0) ? NULL : (Histogram *) PG_GETARG_POINTER(0);
	int			nparams = model == FIT_GAMMA_GAMMA ? 3 : 4;
	int			ncolumns = 2 * nparams + 4;
	double		out[2 * CLV_MAX_PARAMS + 4];
	bool		isnull[2 * CLV_MAX_PARAMS + 4];
	ClvFit		fit;
	uint64		i;
	size_t		n = 0;
	int			j;

	for (j = 0; j < ncolumns; j++)
	{
		out[j] = 0;
		isnull[j] = true;
	}
	/* columns: params, log_likelihood, customers, iterations, converged, standard errors */
	out[nparams + 1] = h ? h->customers : 0;
	isnull[nparams + 1] = false;
	out[nparams + 2] = 0;
	isnull[nparams + 2] = false;
	out[nparams + 3] = 0;
	isnull[nparams + 3] = false;
	if (h == NULL || h->used == 0)
		return crm_composite_result(fcinfo, out, isnull, ncolumns);

	memset(&fit, 0, sizeof(fit));
	fit_stopped = false;
	clv_stop_requested = fit_stop_requested;
	if (model == FIT_GAMMA_GAMMA)
	{
		ClvSpend   *rows = palloc_extended(sizeof(ClvSpend) * h->used, MCXT_ALLOC_HUGE);

		for (i = 0; i < h->size; i++)
			if (ENTRY_USED(&h->entries[i]))
			{
				rows[n].x = h->entries[i].key[0];
				rows[n].mbar = h->entries[i].key[1];
				rows[n].weight = h->entries[i].count;
				n++;
			}
		clv_gg_fit(rows, n, &fit);
	}
	else
	{
		ClvHistory *rows = palloc_extended(sizeof(ClvHistory) * h->used, MCXT_ALLOC_HUGE);

		for (i = 0; i < h->size; i++)
			if (ENTRY_USED(&h->entries[i]))
			{
				rows[n].x = h->entries[i].key[0];
				rows[n].tx = h->entries[i].key[1];
				rows[n].T = h->entries[i].key[2];
				rows[n].weight = h->entries[i].count;
				n++;
			}
		if (model == FIT_BGNBD)
			clv_bgnbd_fit(rows, n, &fit);
		else
			clv_pnbd_fit(rows, n, &fit);
	}
	/* a cancel that stopped the optimiser is raised here, after it freed its memory */
	CHECK_FOR_INTERRUPTS();
	if (fit_stopped)
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("canceling the model fit because of a pending interrupt")));

	for (j = 0; j < nparams; j++)
	{
		if (!isfinite(fit.params[j]) || !(fit.params[j] > 0))
		{
			/* the optimiser found no usable point: say so, without numbers */
			out[nparams + 2] = fit.iterations;
			return crm_composite_result(fcinfo, out, isnull, ncolumns);
		}
		out[j] = fit.params[j];
		isnull[j] = false;
		if (isfinite(fit.se[j]))
		{
			out[nparams + 4 + j] = fit.se[j];
			isnull[nparams + 4 + j] = false;
		}
	}
	if (isfinite(fit.log_likelihood))
	{
		out[nparams] = fit.log_likelihood;
		isnull[nparams] = false;
	}
	out[nparams + 2] = fit.iterations;
	out[nparams + 3] = fit.converged && isfinite(fit.log_likelihood) ? 1 : 0;
	return crm_composite_result(fcinfo, out, isnull, ncolumns);
}

#define FIT_FUNCTIONS(prefix, model) \
PG_FUNCTION_INFO_V1(crm_##prefix##_transfn); \
Datum crm_##prefix##_transfn(PG_FUNCTION_ARGS) { return fit_transfn(fcinfo, model); } \
PG_FUNCTION_INFO_V1(crm_##prefix##_combine); \
Datum crm_##prefix##_combine(PG_FUNCTION_ARGS) { return fit_combine(fcinfo, model); } \
PG_FUNCTION_INFO_V1(crm_##prefix##_serialize); \
Datum crm_##prefix##_serialize(PG_FUNCTION_ARGS) { return fit_serialize(fcinfo); } \
PG_FUNCTION_INFO_V1(crm_##prefix##_deserialize); \
Datum crm_##prefix##_deserialize(PG_FUNCTION_ARGS) { return fit_deserialize(fcinfo, model); } \
PG_FUNCTION_INFO_V1(crm_##prefix##_final); \
Datum crm_##prefix##_final(PG_FUNCTION_ARGS) { return fit_final(fcinfo, model); }

FIT_FUNCTIONS(bgnbd_fit, FIT_BGNBD)
FIT_FUNCTIONS(pareto_nbd_fit, FIT_PARETO_NBD)
FIT_FUNCTIONS(gamma_gamma_fit, FIT_GAMMA_GAMMA)
