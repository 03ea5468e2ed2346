/*
 * customer_kpis_sql.c — the crm.customer_kpis aggregate: the everyday CRM
 * numbers of a set of orders in one pass.
 *
 *   customers, orders, revenue
 *   arpu                          revenue / customers
 *   average_order_value           revenue / orders
 *   repeat_customer_rate          share of customers with more than one order
 *   median_days_between_purchases median of the gaps between consecutive
 *                                 orders of the same customer, all customers'
 *                                 gaps pooled (fractional days)
 *
 * State: the orders' times per customer (customer_map.h, 8 bytes an order
 * beyond the first), the order count and the revenue as a compensated sum.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "customers/customer_map.h"
#include "math/compare.h"
#include "math/double_double.h"
#include "util/sql_util.h"

static const char *const AGGREGATE = "crm.customer_kpis";

#define KPI_STATE_MAGIC		0x43524b50	/* "CRKP" */
#define KPI_STATE_VERSION	1

typedef struct KpiState
{
	CustomerMap *map;			/* customer -> order times (microseconds) */
	bool		numeric_amounts;	/* the amount argument is numeric, not float8 */
	int64		orders;
	double		revenue_hi;		/* compensated sum of the amounts */
	double		revenue_lo;
} KpiState;

enum
{
	KPI_CUSTOMERS, KPI_ORDERS, KPI_REVENUE, KPI_ARPU, KPI_AOV, KPI_REPEAT_RATE, KPI_MEDIAN_GAP,
	KPI_NCOLUMNS
};

static KpiState *
kpi_state_create(MemoryContext context, bool text_ids)
{
	KpiState   *state = MemoryContextAllocZero(context, sizeof(KpiState));

	state->map = customer_map_create(context, text_ids, false, false);
	return state;
}

PG_FUNCTION_INFO_V1(crm_customer_kpis_int8_float8_transfn);
PG_FUNCTION_INFO_V1(crm_customer_kpis_int8_numeric_transfn);
PG_FUNCTION_INFO_V1(crm_customer_kpis_text_float8_transfn);
PG_FUNCTION_INFO_V1(crm_customer_kpis_text_numeric_transfn);
PG_FUNCTION_INFO_V1(crm_customer_kpis_combine);
PG_FUNCTION_INFO_V1(crm_customer_kpis_serialize);
PG_FUNCTION_INFO_V1(crm_customer_kpis_deserialize);
PG_FUNCTION_INFO_V1(crm_customer_kpis_final);

/*
 * customer_kpis_transfn(internal, customer_id bigint|text, purchased_at
 * timestamptz, amount float8|numeric).  The argument types come from the
 * overload's entry point, not from the call expression, which is missing
 * when Citus or a direct function call runs the transition function.
 */
static Datum
kpi_transfn(FunctionCallInfo fcinfo, bool text_ids, bool numeric_amounts)
{
	MemoryContext aggcontext;
	KpiState   *state = PG_ARGISNULL(0) ? NULL : (KpiState *) PG_GETARG_POINTER(0);
	TimestampTz at;
	double		amount;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s called in non-aggregate context", "customer_kpis_transfn");
	if (state == NULL)
	{
		state = kpi_state_create(aggcontext, text_ids);
		state->numeric_amounts = numeric_amounts;
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_POINTER(state);

	at = PG_GETARG_TIMESTAMPTZ(2);
	crm_check_finite_timestamp(at, AGGREGATE, "purchased_at");
	amount = crm_amount_arg(fcinfo, 3, state->numeric_amounts, AGGREGATE);

	customer_map_add(state->map, PG_GETARG_DATUM(1), at, 0);
	state->orders++;
	dd_accumulate(&state->revenue_hi, &state->revenue_lo, dd_from(amount));
	if (!isfinite(state->revenue_hi))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: the revenue overflowed", AGGREGATE)));
	PG_RETURN_POINTER(state);
}

/* The overloads, by customer id and amount type. */
Datum
crm_customer_kpis_int8_float8_transfn(PG_FUNCTION_ARGS)
{
	return kpi_transfn(fcinfo, false, false);
}

Datum
crm_customer_kpis_int8_numeric_transfn(PG_FUNCTION_ARGS)
{
	return kpi_transfn(fcinfo, false, true);
}

Datum
crm_customer_kpis_text_float8_transfn(PG_FUNCTION_ARGS)
{
	return kpi_transfn(fcinfo, true, false);
}

Datum
crm_customer_kpis_text_numeric_transfn(PG_FUNCTION_ARGS)
{
	return kpi_transfn(fcinfo, true, true);
}

/* customer_kpis_combine(internal, internal) */
Datum
crm_customer_kpis_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	KpiState   *a = PG_ARGISNULL(0) ? NULL : (KpiState *) PG_GETARG_POINTER(0);
	KpiState   *b = PG_ARGISNULL(1) ? NULL : (KpiState *) PG_GETARG_POINTER(1);
	DoubleDouble sum;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s called in non-aggregate context", "customer_kpis_combine");
	if (b == NULL)
		PG_RETURN_POINTER(a);
	if (a == NULL)
		a = kpi_state_create(aggcontext, b->map->text_ids);
	customer_map_merge(a->map, b->map);
	a->orders += b->orders;
	sum = dd_add(dd_normalize(a->revenue_hi, a->revenue_lo), dd_normalize(b->revenue_hi, b->revenue_lo));
	a->revenue_hi = sum.hi;
	a->revenue_lo = sum.lo;
	PG_RETURN_POINTER(a);
}

/* customer_kpis_serialize(internal) returns bytea */
Datum
crm_customer_kpis_serialize(PG_FUNCTION_ARGS)
{
	KpiState   *state = (KpiState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, KPI_STATE_MAGIC);
	pq_sendbyte(&buf, KPI_STATE_VERSION);
	pq_sendbyte(&buf, state->map->text_ids ? 1 : 0);
	pq_sendint64(&buf, state->orders);
	pq_sendfloat8(&buf, state->revenue_hi);
	pq_sendfloat8(&buf, state->revenue_lo);
	customer_map_write(state->map, &buf);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* customer_kpis_deserialize(bytea, internal) returns internal; validates every byte */
Datum
crm_customer_kpis_deserialize(PG_FUNCTION_ARGS)
{
	StateReader r;
	KpiState   *state = palloc0(sizeof(KpiState));
	bool		text_ids;

	state_reader_init(&r, PG_GETARG_BYTEA_PP(0), AGGREGATE);
	if (state_read_u32(&r) != KPI_STATE_MAGIC || state_read_u8(&r) != KPI_STATE_VERSION)
		crm_state_invalid(AGGREGATE, "Unknown state format or version.");
	text_ids = state_read_u8(&r) != 0;
	state->orders = state_read_i64(&r);
	state->revenue_hi = state_read_f8(&r);
	state->revenue_lo = state_read_f8(&r);
	state->map = customer_map_read(&r, CurrentMemoryContext, text_ids, false, false);
	state_reader_finish(&r);
	if (state->orders != (int64) customer_map_total_events(state->map))
		crm_state_invalid(AGGREGATE, "The order count does not match the orders stored.");
	PG_RETURN_POINTER(state);
}

/* customer_kpis_final(internal) returns crm.customer_kpis_result */
Datum
crm_customer_kpis_final(PG_FUNCTION_ARGS)
{
	KpiState   *state = PG_ARGISNULL(0) ? NULL : (KpiState *) PG_GETARG_POINTER(0);
	double		out[KPI_NCOLUMNS];
	bool		isnull[KPI_NCOLUMNS];
	uint64		customers = state ? customer_map_count(state->map) : 0;
	uint64		repeaters = 0;
	uint64		ngaps = 0;
	double	   *gaps;
	double		revenue;
	custmap_iterator it;
	CustomerMapEntry *entry;
	int			i;

	for (i = 0; i < KPI_NCOLUMNS; i++)
		isnull[i] = true;
	out[KPI_CUSTOMERS] = (double) customers;
	out[KPI_ORDERS] = state ? (double) state->orders : 0;
	isnull[KPI_CUSTOMERS] = isnull[KPI_ORDERS] = false;
	if (customers == 0)
		return crm_composite_result(fcinfo, out, isnull, KPI_NCOLUMNS);

	customer_map_report_memory(state->map, AGGREGATE);
	revenue = dd_normalize(state->revenue_hi, state->revenue_lo).hi;
	out[KPI_REVENUE] = revenue;
	out[KPI_ARPU] = revenue / (double) customers;
	out[KPI_AOV] = revenue / (double) state->orders;

	/* the gaps between consecutive orders of each customer */
	gaps = palloc_extended(sizeof(double) * Max(state->orders - (int64) customers, 1), MCXT_ALLOC_HUGE);
	customer_map_start(state->map, &it);
	while ((entry = customer_map_next(state->map, &it)) != NULL)
	{
		const int64 *times;
		const double *unused;
		uint32		n = customer_map_events(state->map, entry, &times, &unused);
		uint32		k;

		if (n < 2)
			continue;
		repeaters++;
		for (k = 1; k < n && ngaps < (uint64) (state->orders - (int64) customers); k++)
			gaps[ngaps++] = (double) (times[k] - times[k - 1]) / (double) USECS_PER_DAY;
	}
	out[KPI_REPEAT_RATE] = (double) repeaters / (double) customers;
	for (i = KPI_REVENUE; i <= KPI_REPEAT_RATE; i++)
		isnull[i] = false;
	if (ngaps > 0)
	{
		qsort(gaps, ngaps, sizeof(double), crm_qsort_double);
		out[KPI_MEDIAN_GAP] = ngaps % 2 ? gaps[ngaps / 2] : (gaps[ngaps / 2 - 1] + gaps[ngaps / 2]) / 2;
		isnull[KPI_MEDIAN_GAP] = false;
	}
	return crm_composite_result(fcinfo, out, isnull, KPI_NCOLUMNS);
}
