/*
 * predict_sql.c — predictions from a fitted model value: crm.p_alive,
 * crm.expected_purchases, crm.purchase_probability, crm.expected_spend and
 * crm.ltv_estimate, overloaded on crm.bgnbd_model and crm.pareto_nbd_model.
 *
 * A model arrives as a composite on every row, usually the same one (a
 * constant or a scalar subquery), so its parameters are read once and kept
 * in fn_extra with a copy of the tuple bytes they came from.
 *
 * A conditional prediction is P(alive | x, tx, T) times the same prediction
 * for a customer known to be active at T, which depends on (x, T) and the
 * horizon only.  Customers share (x, T) pairs far more often than whole
 * histories (1M synthetic customers: 641k histories, 32k pairs), so the
 * second factor, the costly one (a 2F1 or a discounting integral), is kept
 * in a cache keyed by (x, T) for the horizon and rate of the rows.  P(alive)
 * is a closed form for BG/NBD; for Pareto/NBD it is assembled from parts,
 * each with a 2F1, cached by (x, tx) and by (x, T), and a prediction folds
 * its second factor into the (x, T) parts: a row then costs two lookups
 * and one exp.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "utils/timestamp.h"

#include "clv/history_checks.h"
#include "clv/models.h"
#include "clv/score_cache.h"
#include "util/sql_util.h"

/* What a prediction needs of a transaction model. */
typedef struct TransactionModel
{
	const char *type_name;
	const char *param_names[CLV_MAX_PARAMS];
	double		(*p_alive) (const double *p, double x, double tx, double T);
	/* Pareto/NBD: P(alive) from parts that depend on (x, tx) and on (x, T); else NULL */
	double		(*alive_tx_part) (const double *p, double x, double tx);
	void		(*alive_T_parts) (const double *p, double x, double T, double *parts);
	double		(*p_alive_from_parts) (double tx_part, const double *T_parts);
	double		(*expected) (const double *p, double t);
	double		(*expected_if_alive) (const double *p, double x, double T, double t);
	double		(*pmf) (const double *p, int n, double t);
	double		(*discounted_if_alive) (const double *p, double x, double T, double H, double delta);
} TransactionModel;

static const TransactionModel BGNBD = {
	"crm.bgnbd_model", {"r", "alpha", "a", "b"},
	clv_bgnbd_p_alive, NULL, NULL, NULL, clv_bgnbd_expected, clv_bgnbd_expected_if_alive, clv_bgnbd_pmf,
	clv_bgnbd_discounted_if_alive
};

static const TransactionModel PARETO_NBD = {
	"crm.pareto_nbd_model", {"r", "alpha", "s", "beta"},
	clv_pnbd_p_alive, clv_pnbd_alive_tx_part, clv_pnbd_alive_T_parts, clv_pnbd_p_alive_from_parts,
	clv_pnbd_expected, clv_pnbd_expected_if_alive, clv_pnbd_pmf,
	clv_pnbd_discounted_if_alive
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

typedef struct ModelCache
{
	ModelSlot	slot[2];
	ScoreCache	if_alive;		/* predictions for an active customer by (x, T);
								 * Pareto/NBD: folded into the (x, T) parts */
	ScoreCache	alive_tx;		/* Pareto/NBD: the (x, tx) part of P(alive) */
	ScoreCache	alive_T;		/* Pareto/NBD: the two (x, T) parts of P(alive) */
	uint64		calls;
	/* ltv_estimate: the discount rate per unit of the last row's rate and unit */
	bool		have_delta;
	double		rate;
	Interval	unit;
	double		delta;
} ModelCache;

/* Forgets the cached values (the model changed). */
static void
results_reset(ModelCache *cache)
{
	score_cache_invalidate(&cache->if_alive);
	score_cache_invalidate(&cache->alive_tx);
	score_cache_invalidate(&cache->alive_T);
}

/*
 * Where the nvalues values of (x, t) are kept in table; *hit says whether
 * they hold them, else the caller computes and stores them there.  NULL
 * when caching is not worth it yet (the first call of a query).
 */
static double *
results_lookup(FunctionCallInfo fcinfo, ScoreCache *table, int nvalues, double x, double t, bool *hit)
{
	ModelCache *cache = fcinfo->flinfo->fn_extra;

	*hit = false;
	if (cache->calls < 2)
		return NULL;
	/* x is a frequency: an int4 argument */
	return score_cache_lookup(table, fcinfo->flinfo->fn_mcxt, nvalues, (int32) x, t, hit);
}

/* A value through a cache table: compute only on a miss. */
#define CACHED(fcinfo, table, x, t, expression, result) \
	do { \
		bool		hit_; \
		double	   *entry_ = results_lookup((fcinfo), (table), 1, (x), (t), &hit_); \
		if (entry_ != NULL && hit_) \
			(result) = entry_[0]; \
		else \
		{ \
			(result) = (expression); \
			if (entry_ != NULL) \
				entry_[0] = (result); \
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

/*
 * A prediction must be finite and within its range [lo, hi] (to rounding).
 * With extreme but valid parameters (1e300, 1e-300) the formulas can
 * overflow or lose every digit; that is the model beyond what double
 * precision computes, reported as out of range (22003), never returned.
 */
static Datum
prediction_result(double value, double lo, double hi, const char *function)
{
	if (!isfinite(value) || !(value >= lo - 1e-9 * fabs(lo) - 1e-12 && value <= hi + 1e-9 * fabs(hi) + 1e-12))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: the prediction cannot be computed for these model parameters, got %g",
						function, value),
				 errdetail("The model's parameters are too extreme for the formulas in double precision."),
				 errhint("Refit the model, or rescale the time unit so that its parameters are nearer 1.")));
	PG_RETURN_FLOAT8(fmin(fmax(value, lo), hi));
}

/* The (x, tx) part of Pareto/NBD P(alive), cached. */
static double
alive_tx_part(FunctionCallInfo fcinfo, const TransactionModel *m, const double *p, const double *h)
{
	ModelCache *cache = fcinfo->flinfo->fn_extra;
	double		part;

	CACHED(fcinfo, &cache->alive_tx, h[0], h[1], m->alive_tx_part(p, h[0], h[1]), part);
	return part;
}

/* What a prediction for an active customer is for. */
typedef struct IfAliveArgs
{
	double		horizon;
	double		delta;
} IfAliveArgs;

/*
 * The purchases in the next horizon units, discounted at rate delta, of a
 * customer with x repeat purchases and tenure T who is active at T.
 */
static double
if_alive(const TransactionModel *m, const double *p, double x, double T, const IfAliveArgs *args)
{
	return args->delta == 0.0 ? m->expected_if_alive(p, x, T, args->horizon)
		: m->discounted_if_alive(p, x, T, args->horizon, args->delta);
}

/*
 * The two (x, T) parts of Pareto/NBD P(alive); with args, the prediction I
 * for an active customer folded in, so that P(alive) I = 1 / (e^(U - V') + W')
 * with V' = V + ln I and W' = W / I costs one lookup less.
 */
static void
T_parts(const TransactionModel *m, const double *p, double x, double T, const IfAliveArgs *args,
		double *values)
{
	double		I = args ? if_alive(m, p, x, T, args) : 1.0;

	if (!(I > 0.0))
	{
		/* a horizon so short that I underflows: the parts then give 0, never NaN */
		values[0] = -INFINITY;
		values[1] = INFINITY;
		return;
	}
	m->alive_T_parts(p, x, T, values);
	if (args)
	{
		values[0] += log(I);
		values[1] /= I;
	}
}

/* T_parts through a cache table: computed only on a miss. */
static void
cached_T_parts(FunctionCallInfo fcinfo, ScoreCache *table, const TransactionModel *m, const double *p,
			   double x, double T, const IfAliveArgs *args, double *values)
{
	bool		hit;
	double	   *entry = results_lookup(fcinfo, table, 2, x, T, &hit);

	if (entry != NULL && hit)
	{
		memcpy(values, entry, 2 * sizeof(double));
		return;
	}
	T_parts(m, p, x, T, args, values);
	if (entry != NULL)
		memcpy(entry, values, 2 * sizeof(double));
}

/* P(alive at T | x, tx, T): a closed form, or from the cached parts. */
static double
alive_probability(FunctionCallInfo fcinfo, const TransactionModel *m, const double *p, const double *h)
{
	ModelCache *cache = fcinfo->flinfo->fn_extra;
	double		parts[2];

	cache->calls++;
	if (m->p_alive_from_parts == NULL)
		return m->p_alive(p, h[0], h[1], h[2]);
	cached_T_parts(fcinfo, &cache->alive_T, m, p, h[0], h[2], NULL, parts);
	/* at most 1 but for rounding */
	return fmin(1.0, m->p_alive_from_parts(alive_tx_part(fcinfo, m, p, h), parts));
}

/*
 * The purchases in the next horizon units, discounted at rate delta, of a
 * customer with history h: P(alive) times the same for an active customer.
 */
static double
purchases_conditional(FunctionCallInfo fcinfo, const TransactionModel *m, const double *p,
					  const double *h, double horizon, double delta)
{
	ModelCache *cache = fcinfo->flinfo->fn_extra;
	ScoreCache *table = &cache->if_alive;
	IfAliveArgs args = {horizon, delta};
	double		values[2];

	if (horizon != table->horizon || delta != table->delta)
	{
		score_cache_invalidate(table);
		table->horizon = horizon;
		table->delta = delta;
	}
	if (m->p_alive_from_parts == NULL)
	{
		double		P = alive_probability(fcinfo, m, p, h);

		CACHED(fcinfo, table, h[0], h[2], if_alive(m, p, h[0], h[2], &args), values[0]);
		return P * values[0];
	}
	cache->calls++;
	if (!(horizon > 0.0))
		return 0.0;
	cached_T_parts(fcinfo, table, m, p, h[0], h[2], &args, values);
	return m->p_alive_from_parts(alive_tx_part(fcinfo, m, p, h), values);
}

/* p_alive(model, frequency, recency, tenure) */
static Datum
p_alive(FunctionCallInfo fcinfo, const TransactionModel *m)
{
	double		p[CLV_MAX_PARAMS];
	double		h[3];

	if (!model_params(fcinfo, 0, 0, 4, m->param_names, "crm.p_alive", p))
		PG_RETURN_NULL();
	history_args(fcinfo, 1, "crm.p_alive", h);
	return prediction_result(alive_probability(fcinfo, m, p, h), 0.0, 1.0, "crm.p_alive");
}

/* expected_purchases(model, frequency, recency, tenure, horizon): after the history */
static Datum
expected_conditional(FunctionCallInfo fcinfo, const TransactionModel *m)
{
	double		p[CLV_MAX_PARAMS];
	double		h[3];
	double		t;

	if (!model_params(fcinfo, 0, 0, 4, m->param_names, "crm.expected_purchases", p))
		PG_RETURN_NULL();
	history_args(fcinfo, 1, "crm.expected_purchases", h);
	t = horizon_arg(fcinfo, 4, "crm.expected_purchases");
	return prediction_result(purchases_conditional(fcinfo, m, p, h, t, 0.0), 0.0, DBL_MAX,
							 "crm.expected_purchases");
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
	return prediction_result(m->expected(p, t), 0.0, DBL_MAX, "crm.expected_purchases");
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
	return prediction_result(m->pmf(p, n, t), 0.0, 1.0, "crm.purchase_probability");
}

/*
 * The Gamma-Gamma expected spend, or false when it is undefined: the
 * posterior mean is infinite when p x + q <= 1 (NaN from the model).  An
 * overflow (Infinity) is left for prediction_result to report.
 */
static bool
spend_estimate(const double *gg, double frequency, double monetary_value, double *spend)
{
	if (frequency == 0 && !(gg[1] > 1))
		return false;
	*spend = clv_gg_expected_spend(gg, frequency, monetary_value);
	return !isnan(*spend);
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
	crm_clv_check_spend(x, m, function);
	if (!spend_estimate(gg, x, m, &spend))
		PG_RETURN_NULL();
	return prediction_result(spend, 0.0, DBL_MAX, function);
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
	Interval   *unit = PG_GETARG_INTERVAL_P(8);
	ModelCache *cache;
	double		spend;
	bool		usable;

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
	cache = fcinfo->flinfo->fn_extra;
	if (!cache->have_delta || rate != cache->rate || memcmp(unit, &cache->unit, sizeof(Interval)) != 0)
	{
		/* units per year = 365.25 / unit days */
		cache->delta = log1p(rate) * crm_time_unit_days(unit, function) / DAYS_PER_YEAR;
		cache->rate = rate;
		cache->unit = *unit;
		cache->have_delta = true;
	}
	if (!usable || !spend_estimate(gg, h[0], monetary, &spend))
		PG_RETURN_NULL();
	return prediction_result(spend * purchases_conditional(fcinfo, m, p, h, horizon, cache->delta),
							 0.0, DBL_MAX, function);
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
