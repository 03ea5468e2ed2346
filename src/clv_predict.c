/*
 * clv_predict.c — predictions from a fitted model value: crm.p_alive,
 * crm.expected_purchases, crm.purchase_probability, crm.expected_spend and
 * crm.ltv_estimate, overloaded on crm.bgnbd_model and crm.pareto_nbd_model.
 *
 * A model arrives as a composite on every row, usually the same one (a
 * constant or a scalar subquery), so its parameters are read once and kept
 * in fn_extra with a copy of the tuple bytes they came from.  Customers
 * share histories (whole days or weeks make few distinct ones), so results
 * are also kept in a direct-mapped cache keyed by the history and horizon:
 * scoring costs about one model evaluation per distinct history.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "utils/timestamp.h"

#include "clv_models.h"
#include "clv_sql.h"
#include "sql_util.h"

/* What a prediction needs of a transaction model. */
typedef struct TransactionModel
{
	const char *type_name;
	const char *param_names[CLV_MAX_PARAMS];
	double		(*p_alive) (const double *p, double x, double tx, double T);
	bool		p_alive_cached;	/* false: a closed form, cheaper than a cache lookup */
	double		(*expected) (const double *p, double t);
	double		(*expected_conditional) (const double *p, double x, double tx, double T, double t);
	double		(*pmf) (const double *p, int n, double t);
	double		(*discounted) (const double *p, double x, double tx, double T, double H, double delta);
} TransactionModel;

static const TransactionModel BGNBD = {
	"crm.bgnbd_model", {"r", "alpha", "a", "b"},
	clv_bgnbd_p_alive, false, clv_bgnbd_expected, clv_bgnbd_expected_conditional, clv_bgnbd_pmf,
	clv_bgnbd_discounted_purchases
};

static const TransactionModel PARETO_NBD = {
	"crm.pareto_nbd_model", {"r", "alpha", "s", "beta"},
	clv_pnbd_p_alive, true, clv_pnbd_expected, clv_pnbd_expected_conditional, clv_pnbd_pmf,
	clv_pnbd_discounted_purchases
};

static const char *const GAMMA_GAMMA_PARAMS[] = {"p", "q", "v"};

/* A parsed model and the tuple bytes it was parsed from. */
typedef struct ModelSlot
{
	Size		length;
	char	   *bytes;
	bool		usable;			/* every parameter present */
	double		params[CLV_MAX_PARAMS];
} ModelSlot;

#define RESULT_CACHE_SIZE 16384		/* entries, a power of two: 768 kB */
#define RESULT_KEY_LEN 5

/* One cached prediction: its arguments (key[0] < 0: empty) and its value. */
typedef struct CachedResult
{
	double		key[RESULT_KEY_LEN];
	double		value;
} CachedResult;

typedef struct ModelCache
{
	ModelSlot	slot[2];
	CachedResult *results;		/* NULL until the second call */
	uint64		calls;
} ModelCache;

/* Forgets the cached results (the model changed). */
static void
results_reset(ModelCache *cache)
{
	int			i;

	if (cache->results == NULL)
		return;
	for (i = 0; i < RESULT_CACHE_SIZE; i++)
		cache->results[i].key[0] = -1;
}

/*
 * The cache entry for these arguments (key[0] >= 0); *hit says whether it
 * holds their value.  On a miss the caller computes and stores the value.
 * NULL when caching is not worth it yet (the first call of a query).
 */
static CachedResult *
results_lookup(FunctionCallInfo fcinfo, const double *key, bool *hit)
{
	ModelCache *cache = fcinfo->flinfo->fn_extra;
	CachedResult *entry;

	*hit = false;
	if (cache->calls++ == 0)
		return NULL;
	if (cache->results == NULL)
	{
		cache->results = MemoryContextAllocHuge(fcinfo->flinfo->fn_mcxt,
												sizeof(CachedResult) * RESULT_CACHE_SIZE);
		results_reset(cache);
	}
	entry = &cache->results[crm_hash_doubles(key, RESULT_KEY_LEN) & (RESULT_CACHE_SIZE - 1)];
	*hit = entry->key[0] >= 0 && memcmp(entry->key, key, sizeof(entry->key)) == 0;
	if (!*hit)
		memcpy(entry->key, key, sizeof(entry->key));
	return entry;
}

/* A prediction through the cache: compute only on a miss. */
#define CACHED(fcinfo, key, expression) \
	do { \
		bool		hit_; \
		CachedResult *entry_ = results_lookup((fcinfo), (key), &hit_); \
		if (entry_ != NULL && hit_) \
			value = entry_->value; \
		else \
		{ \
			value = (expression); \
			if (entry_ != NULL) \
				entry_->value = value; \
		} \
	} while (0)

/*
 * The parameters of the model in argument argno (the first nparams columns).
 * Returns false when one is NULL (a fit that did not produce a model), so
 * the prediction is NULL; 22023 when one is not a positive finite number.
 */
static bool
model_params(FunctionCallInfo fcinfo, int argno, int slotno, int nparams,
			 const char *const *names, const char *function, double *params)
{
	struct varlena *packed = (struct varlena *) PG_GETARG_POINTER(argno);
	HeapTupleHeader tuple;
	Size		length;
	ModelCache *cache = fcinfo->flinfo->fn_extra;
	ModelSlot  *slot;
	int			j;

	if (cache == NULL)
		cache = fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ModelCache));
	slot = &cache->slot[slotno];
	/*
	 * The same model as on the last row, compared in place: a model read from
	 * a table has a short header, which detoasting would copy on every row.
	 */
	if (slot->bytes != NULL && !VARATT_IS_EXTERNAL(packed) && !VARATT_IS_COMPRESSED(packed) &&
		slot->length == VARSIZE_ANY_EXHDR(packed) &&
		memcmp(slot->bytes, VARDATA_ANY(packed), slot->length) == 0)
	{
		memcpy(params, slot->params, sizeof(double) * nparams);
		return slot->usable;
	}
	tuple = PG_GETARG_HEAPTUPLEHEADER(argno);
	length = HeapTupleHeaderGetDatumLength(tuple) - VARHDRSZ;
	if (slot->bytes == NULL || slot->length != length || memcmp(slot->bytes, VARDATA(tuple), length) != 0)
	{
		if (slot->bytes)
			pfree(slot->bytes);
		slot->bytes = NULL;
		results_reset(cache);
		slot->usable = true;
		for (j = 0; j < nparams; j++)
		{
			bool		isnull;
			Datum		value = GetAttributeByNum(tuple, j + 1, &isnull);

			if (isnull)
			{
				slot->usable = false;
				continue;
			}
			slot->params[j] = DatumGetFloat8(value);
			if (!isfinite(slot->params[j]) || !(slot->params[j] > 0))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s: model parameter %s must be a positive finite number, got %g",
								function, names[j], slot->params[j])));
		}
		slot->bytes = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, length);
		memcpy(slot->bytes, VARDATA(tuple), length);
		slot->length = length;
	}
	memcpy(params, slot->params, sizeof(double) * nparams);
	return slot->usable;
}

/* 22023 unless a horizon is finite and >= 0. */
static double
horizon_arg(FunctionCallInfo fcinfo, int argno, const char *function)
{
	double		t = PG_GETARG_FLOAT8(argno);

	crm_check_finite(t, function, "horizon");
	if (t < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: horizon must be >= 0, got %g", function, t)));
	return t;
}

/* A history from arguments argno.. (frequency int, recency, tenure), checked. */
static void
history_args(FunctionCallInfo fcinfo, int argno, const char *function, double *h)
{
	h[0] = PG_GETARG_INT32(argno);
	h[1] = PG_GETARG_FLOAT8(argno + 1);
	h[2] = PG_GETARG_FLOAT8(argno + 2);
	crm_clv_check_history(h[0], h[1], h[2], function);
}

/* A model result must be finite; anything else is a bug, never returned. */
static Datum
prediction_result(double value, const char *function)
{
	if (!isfinite(value))
		elog(ERROR, "%s: internal error: the prediction is not finite", function);
	PG_RETURN_FLOAT8(value);
}

/* p_alive(model, frequency, recency, tenure) */
static Datum
p_alive(FunctionCallInfo fcinfo, const TransactionModel *m)
{
	double		p[CLV_MAX_PARAMS];
	double		h[3];

	double		key[RESULT_KEY_LEN];
	double		value;

	if (!model_params(fcinfo, 0, 0, 4, m->param_names, "crm.p_alive", p))
		PG_RETURN_NULL();
	history_args(fcinfo, 1, "crm.p_alive", h);
	if (!m->p_alive_cached)
		return prediction_result(m->p_alive(p, h[0], h[1], h[2]), "crm.p_alive");
	key[0] = h[0], key[1] = h[1], key[2] = h[2], key[3] = 0, key[4] = 0;
	CACHED(fcinfo, key, m->p_alive(p, h[0], h[1], h[2]));
	return prediction_result(value, "crm.p_alive");
}

/* expected_purchases(model, frequency, recency, tenure, horizon): after the history */
static Datum
expected_conditional(FunctionCallInfo fcinfo, const TransactionModel *m)
{
	double		p[CLV_MAX_PARAMS];
	double		h[3];
	double		t;
	double		key[RESULT_KEY_LEN];
	double		value;

	if (!model_params(fcinfo, 0, 0, 4, m->param_names, "crm.expected_purchases", p))
		PG_RETURN_NULL();
	history_args(fcinfo, 1, "crm.expected_purchases", h);
	t = horizon_arg(fcinfo, 4, "crm.expected_purchases");
	key[0] = h[0], key[1] = h[1], key[2] = h[2], key[3] = t, key[4] = 0;
	CACHED(fcinfo, key, m->expected_conditional(p, h[0], h[1], h[2], t));
	return prediction_result(value, "crm.expected_purchases");
}

/* expected_purchases(model, horizon): a new customer */
static Datum
expected_new(FunctionCallInfo fcinfo, const TransactionModel *m)
{
	double		p[CLV_MAX_PARAMS];
	double		t;

	if (!model_params(fcinfo, 0, 0, 4, m->param_names, "crm.expected_purchases", p))
		PG_RETURN_NULL();
	t = horizon_arg(fcinfo, 1, "crm.expected_purchases");
	return prediction_result(m->expected(p, t), "crm.expected_purchases");
}

/* purchase_probability(model, n, horizon): P(X(horizon) = n) for a new customer */
static Datum
purchase_probability(FunctionCallInfo fcinfo, const TransactionModel *m)
{
	double		p[CLV_MAX_PARAMS];
	int32		n = PG_GETARG_INT32(1);
	double		t;

	if (!model_params(fcinfo, 0, 0, 4, m->param_names, "crm.purchase_probability", p))
		PG_RETURN_NULL();
	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("crm.purchase_probability: n must be >= 0, got %d", n)));
	t = horizon_arg(fcinfo, 2, "crm.purchase_probability");
	return prediction_result(m->pmf(p, n, t), "crm.purchase_probability");
}

/* The Gamma-Gamma expected spend, or false when it is undefined (population mean with q <= 1). */
static bool
spend_estimate(const double *gg, double frequency, double monetary_value, double *spend)
{
	if (frequency == 0 && !(gg[1] > 1))
		return false;
	*spend = clv_gg_expected_spend(gg, frequency, monetary_value);
	return isfinite(*spend);
}

PG_FUNCTION_INFO_V1(crm_gamma_gamma_expected_spend);

/* expected_spend(gamma_gamma_model, frequency, monetary_value) */
Datum
crm_gamma_gamma_expected_spend(PG_FUNCTION_ARGS)
{
	const char *function = "crm.expected_spend";
	double		gg[CLV_MAX_PARAMS];
	double		x = PG_GETARG_INT32(1);
	double		m = PG_GETARG_FLOAT8(2);
	double		spend;

	if (!model_params(fcinfo, 0, 0, 3, GAMMA_GAMMA_PARAMS, function, gg))
		PG_RETURN_NULL();
	if (x < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: frequency must be >= 0, got %g", function, x)));
	crm_clv_check_spend(x, m, function);
	if (!spend_estimate(gg, x, m, &spend))
		PG_RETURN_NULL();
	return prediction_result(spend, function);
}

/*
 * ltv_estimate(model, gamma_gamma_model, frequency, recency, tenure,
 *              monetary_value, horizon, annual_discount_rate, time_unit):
 * expected spend per purchase times the expected purchases in the next
 * horizon units, each discounted continuously at ln(1 + annual rate) a year.
 */
static Datum
ltv_estimate(FunctionCallInfo fcinfo, const TransactionModel *m)
{
	const char *function = "crm.ltv_estimate";
	double		p[CLV_MAX_PARAMS];
	double		gg[CLV_MAX_PARAMS];
	double		h[3];
	double		monetary = PG_GETARG_FLOAT8(5);
	double		horizon;
	double		rate = PG_GETARG_FLOAT8(7);
	double		unit_days = crm_time_unit_days(PG_GETARG_INTERVAL_P(8), function);
	double		delta;
	double		spend;
	bool		usable;
	double		key[RESULT_KEY_LEN];
	double		value;

	usable = model_params(fcinfo, 0, 0, 4, m->param_names, function, p);
	usable &= model_params(fcinfo, 1, 1, 3, GAMMA_GAMMA_PARAMS, function, gg);
	history_args(fcinfo, 2, function, h);
	crm_clv_check_spend(h[0], monetary, function);
	horizon = horizon_arg(fcinfo, 6, function);
	crm_check_finite(rate, function, "annual_discount_rate");
	if (rate < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: annual_discount_rate must be >= 0, got %g", function, rate),
				 errhint("Pass the rate as a fraction: 0.1 for 10 %% a year.")));
	if (!usable || !spend_estimate(gg, h[0], monetary, &spend))
		PG_RETURN_NULL();
	/* units per year = 365.25 / unit_days */
	delta = log1p(rate) * unit_days / DAYS_PER_YEAR;
	key[0] = h[0], key[1] = h[1], key[2] = h[2], key[3] = horizon, key[4] = delta;
	CACHED(fcinfo, key, m->discounted(p, h[0], h[1], h[2], horizon, delta));
	return prediction_result(spend * value, function);
}

#define PREDICTIONS(prefix, model) \
PG_FUNCTION_INFO_V1(crm_##prefix##_p_alive); \
Datum crm_##prefix##_p_alive(PG_FUNCTION_ARGS) { return p_alive(fcinfo, &model); } \
PG_FUNCTION_INFO_V1(crm_##prefix##_expected_conditional); \
Datum crm_##prefix##_expected_conditional(PG_FUNCTION_ARGS) { return expected_conditional(fcinfo, &model); } \
PG_FUNCTION_INFO_V1(crm_##prefix##_expected_new); \
Datum crm_##prefix##_expected_new(PG_FUNCTION_ARGS) { return expected_new(fcinfo, &model); } \
PG_FUNCTION_INFO_V1(crm_##prefix##_purchase_probability); \
Datum crm_##prefix##_purchase_probability(PG_FUNCTION_ARGS) { return purchase_probability(fcinfo, &model); } \
PG_FUNCTION_INFO_V1(crm_##prefix##_ltv_estimate); \
Datum crm_##prefix##_ltv_estimate(PG_FUNCTION_ARGS) { return ltv_estimate(fcinfo, &model); }

PREDICTIONS(bgnbd, BGNBD)
PREDICTIONS(pareto_nbd, PARETO_NBD)
