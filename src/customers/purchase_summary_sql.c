/*
 * purchase_summary_sql.c — the crm.purchase_summary aggregate: one customer's
 * orders reduced to the (frequency, recency, tenure, monetary value) history
 * that the CLV models take (Fader, Hardie & Lee 2005 conventions).
 *
 *   purchases after observation_end are ignored;
 *   purchases on the same calendar day (session time zone) are one purchase;
 *   frequency      = distinct purchase days - 1 (repeat purchases);
 *   recency        = last - first purchase day, in time_unit;
 *   tenure         = observation_end's day - first purchase day, in time_unit;
 *   monetary_value = spend on the repeat days / frequency (0 when frequency = 0).
 *
 * State: the first and last purchase, the distinct days seen and compensated
 * sums of the revenue and of the first day's revenue, so that the result
 * does not depend on row order.  The days are kept sorted and distinct while
 * they are few, so that the final function reads only the state's header
 * (it runs once per customer, when the state has long left the cache); past
 * SORTED_DAYS_MAX out-of-order days they are appended and sorted at the end,
 * so that no history costs quadratic time.
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

#include "clv/history_checks.h"
#include "customers/period_bucket.h"
#include "math/double_double.h"
#include "util/sql_util.h"
#include "util/state_reader.h"

static const char *const AGGREGATE = "crm.purchase_summary";

#define SUMMARY_STATE_MAGIC		0x43525053	/* "CRPS" */
#define SUMMARY_STATE_VERSION	1
#define INLINE_DAYS				6
#define SORTED_DAYS_MAX			64

/*
 * 128 bytes, a power of two as PostgreSQL's allocator rounds: the small
 * fields come first so that six days fit inline (half the customers of the
 * CLV benchmark have five orders or fewer).
 */
typedef struct SummaryState
{
	bool		numeric_amounts;
	bool		have_end;		/* observation_end and time_unit recorded */
	bool		days_sorted;	/* days[] strictly increasing, so ndays are distinct */
	int32		end_day;
	int32		first_day;
	int32		last_day;		/* the latest of days[], kept so that the final function need not read them */
	int32		ndays;			/* days appended (may repeat unless days_sorted) */
	int32		capacity;
	TimestampTz observation_end;
	double		unit_days;		/* time_unit in days */
	int64		orders;			/* orders on or before observation_end */
	TimestampTz first_purchase;
	TimestampTz last_purchase;
	DoubleDouble revenue;
	DoubleDouble first_day_revenue;
	int32	   *days;			/* points at inline_days or a palloc'd array */
	int32		inline_days[INLINE_DAYS];
} SummaryState;

StaticAssertDecl(sizeof(SummaryState) == 128, "SummaryState is not 128 bytes");

/*
 * Per query, not per customer (fn_extra): the day bucketer with its cached
 * time-zone offset, and the last observation_end / time_unit converted, so
 * a new group costs no time-zone lookup.
 */
typedef struct SummaryShared
{
	PeriodBucketer bucketer;
	bool		have_end;
	TimestampTz end;
	int32		end_day;
	Interval	unit;
	double		unit_days;
} SummaryShared;

static SummaryShared *
summary_shared(FunctionCallInfo fcinfo)
{
	SummaryShared *shared = fcinfo->flinfo->fn_extra;

	if (shared == NULL)
	{
		shared = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(SummaryShared));
		crm_period_bucketer_init(&shared->bucketer, PERIOD_DAY);
		fcinfo->flinfo->fn_extra = shared;
	}
	return shared;
}

/* The day of observation_end, remembered for the next group. */
static int32
summary_end_day(SummaryShared *shared, TimestampTz end)
{
	if (!shared->have_end || shared->end != end)
	{
		shared->end_day = crm_period_index(&shared->bucketer, end, "crm.purchase_summary");
		shared->end = end;
		shared->have_end = true;
	}
	return shared->end_day;
}

enum
{
	PS_FREQUENCY, PS_RECENCY, PS_TENURE, PS_MONETARY, PS_ORDERS, PS_REVENUE,
	PS_FIRST_PURCHASE, PS_LAST_PURCHASE, PS_NCOLUMNS
};

static SummaryState *
summary_state_create(MemoryContext context)
{
	SummaryState *state = MemoryContextAlloc(context, sizeof(SummaryState));

	/* field by field: zeroing the whole struct, inline days included, showed in profiles */
	state->numeric_amounts = false;
	state->have_end = false;
	state->observation_end = 0;
	state->unit_days = 0;
	state->end_day = 0;
	state->orders = 0;
	state->first_purchase = state->last_purchase = 0;
	state->first_day = 0;
	state->revenue = state->first_day_revenue = dd_from(0.0);
	state->ndays = 0;
	state->last_day = 0;
	state->days_sorted = true;
	state->days = state->inline_days;
	state->capacity = INLINE_DAYS;
	return state;
}

/* Makes room for one more day. */
static void
summary_grow_days(SummaryState *state, MemoryContext context)
{
	/* past the inline days straight to 16: half the customers have 5 orders or fewer, a tenth 24 or more */
	int32		capacity = state->capacity == INLINE_DAYS ? 16 : state->capacity * 2;
	int32	   *days = MemoryContextAlloc(context, sizeof(int32) * capacity);

	memcpy(days, state->days, sizeof(int32) * state->ndays);
	if (state->days != state->inline_days)
		pfree(state->days);
	state->days = days;
	state->capacity = capacity;
}

/*
 * Records a purchase day: in its place among the sorted days (searched from
 * the end, as orders usually come in time order), or appended once there
 * are too many to keep in order.
 */
static void
summary_add_day(SummaryState *state, int32 day, MemoryContext context)
{
	int32		n = state->ndays;
	int32		at = n;

	if (n > 0 && state->days[n - 1] == day)
		return;
	if (state->days_sorted)
	{
		while (at > 0 && state->days[at - 1] > day)
			at--;
		if (at > 0 && state->days[at - 1] == day)
			return;
		if (at < n && n >= SORTED_DAYS_MAX)
		{
			state->days_sorted = false;
			at = n;
		}
	}
	if (n == state->capacity)
		summary_grow_days(state, context);
	/* a loop, not memmove: fewer than SORTED_DAYS_MAX days move, usually one or two */
	for (int32 i = n; i > at; i--)
		state->days[i] = state->days[i - 1];
	state->days[at] = day;
	state->ndays = n + 1;
	if (n == 0 || day > state->last_day)
		state->last_day = day;
}

/* Folds one order (already known to be in the observation window) into the state. */
static void
summary_add_order(SummaryState *state, TimestampTz at, int32 day, DoubleDouble amount,
				  MemoryContext context)
{
	if (state->orders == 0 || day < state->first_day)
	{
		state->first_day = day;
		state->first_day_revenue = amount;
	}
	else if (day == state->first_day)
		state->first_day_revenue = dd_add(state->first_day_revenue, amount);
	if (state->orders == 0 || at < state->first_purchase)
		state->first_purchase = at;
	if (state->orders == 0 || at > state->last_purchase)
		state->last_purchase = at;
	state->revenue = dd_add(state->revenue, amount);
	state->orders++;
	summary_add_day(state, day, context);
}

/* Records observation_end and time_unit, insisting that every row of the group passes the same. */
static void
summary_set_window(SummaryState *state, SummaryShared *shared, TimestampTz end, double unit_days)
{
	if (!state->have_end)
	{
		crm_check_finite_timestamp(end, AGGREGATE, "observation_end");
		state->observation_end = end;
		state->unit_days = unit_days;
		state->end_day = summary_end_day(shared, end);
		state->have_end = true;
	}
	else if (end != state->observation_end || unit_days != state->unit_days)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: observation_end and time_unit must be the same in every row of a group",
						AGGREGATE)));
}

PG_FUNCTION_INFO_V1(crm_purchase_summary_float8_transfn);
PG_FUNCTION_INFO_V1(crm_purchase_summary_float8_unit_transfn);
PG_FUNCTION_INFO_V1(crm_purchase_summary_numeric_transfn);
PG_FUNCTION_INFO_V1(crm_purchase_summary_numeric_unit_transfn);
PG_FUNCTION_INFO_V1(crm_purchase_summary_combine);
PG_FUNCTION_INFO_V1(crm_purchase_summary_serialize);
PG_FUNCTION_INFO_V1(crm_purchase_summary_deserialize);
PG_FUNCTION_INFO_V1(crm_purchase_summary_final);

/*
 * purchase_summary_transfn(internal, purchased_at timestamptz, amount float8|numeric,
 *                          observation_end timestamptz [, time_unit interval]).
 * The amount type and the arity come from the overload's entry point, not
 * from the call expression, which is missing when Citus or a direct
 * function call runs the transition function.
 */
static Datum
summary_transfn(FunctionCallInfo fcinfo, bool numeric_amounts, bool with_unit)
{
	MemoryContext aggcontext;
	SummaryState *state = PG_ARGISNULL(0) ? NULL : (SummaryState *) PG_GETARG_POINTER(0);
	SummaryShared *shared = summary_shared(fcinfo);
	TimestampTz at;
	double		amount;
	double		unit_days = 1.0;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s called in non-aggregate context", "purchase_summary_transfn");
	if (with_unit != (PG_NARGS() > 4))
		elog(ERROR, "%s: %d arguments for an overload of %d", AGGREGATE, PG_NARGS(), with_unit ? 5 : 4);
	if (state == NULL)
	{
		state = summary_state_create(aggcontext);
		state->numeric_amounts = numeric_amounts;
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3) || (with_unit && PG_ARGISNULL(4)))
		PG_RETURN_POINTER(state);

	if (with_unit)
	{
		/* converted once per query: the same interval arrives on every row */
		Interval   *unit = PG_GETARG_INTERVAL_P(4);

		if (shared->unit_days == 0 || memcmp(unit, &shared->unit, sizeof(Interval)) != 0)
		{
			shared->unit_days = crm_time_unit_days(unit, AGGREGATE);
			shared->unit = *unit;
		}
		unit_days = shared->unit_days;
	}
	summary_set_window(state, shared, PG_GETARG_TIMESTAMPTZ(3), unit_days);

	at = PG_GETARG_TIMESTAMPTZ(1);
	crm_check_finite_timestamp(at, AGGREGATE, "purchased_at");
	amount = crm_amount_arg(fcinfo, 2, state->numeric_amounts, AGGREGATE);
	if (at > state->observation_end)
		PG_RETURN_POINTER(state);

	summary_add_order(state, at, crm_period_index(&shared->bucketer, at, AGGREGATE),
					  dd_from(amount), aggcontext);
	if (!isfinite(state->revenue.hi))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: the revenue overflowed", AGGREGATE)));
	PG_RETURN_POINTER(state);
}

/* The overloads, by amount type and with or without a time unit. */
Datum
crm_purchase_summary_float8_transfn(PG_FUNCTION_ARGS)
{
	return summary_transfn(fcinfo, false, false);
}

Datum
crm_purchase_summary_float8_unit_transfn(PG_FUNCTION_ARGS)
{
	return summary_transfn(fcinfo, false, true);
}

Datum
crm_purchase_summary_numeric_transfn(PG_FUNCTION_ARGS)
{
	return summary_transfn(fcinfo, true, false);
}

Datum
crm_purchase_summary_numeric_unit_transfn(PG_FUNCTION_ARGS)
{
	return summary_transfn(fcinfo, true, true);
}

/* purchase_summary_combine(internal, internal) */
Datum
crm_purchase_summary_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	SummaryState *a = PG_ARGISNULL(0) ? NULL : (SummaryState *) PG_GETARG_POINTER(0);
	SummaryState *b = PG_ARGISNULL(1) ? NULL : (SummaryState *) PG_GETARG_POINTER(1);
	int32		i;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s called in non-aggregate context", "purchase_summary_combine");
	if (b == NULL)
		PG_RETURN_POINTER(a);
	if (a == NULL)
	{
		a = summary_state_create(aggcontext);
		a->numeric_amounts = b->numeric_amounts;
	}
	if (b->have_end)
		summary_set_window(a, summary_shared(fcinfo), b->observation_end, b->unit_days);
	if (b->orders == 0)
		PG_RETURN_POINTER(a);

	if (a->orders == 0 || b->first_day < a->first_day)
	{
		a->first_day = b->first_day;
		a->first_day_revenue = b->first_day_revenue;
	}
	else if (b->first_day == a->first_day)
		a->first_day_revenue = dd_add(a->first_day_revenue, b->first_day_revenue);
	if (a->orders == 0 || b->first_purchase < a->first_purchase)
		a->first_purchase = b->first_purchase;
	if (a->orders == 0 || b->last_purchase > a->last_purchase)
		a->last_purchase = b->last_purchase;
	a->revenue = dd_add(a->revenue, b->revenue);
	a->orders += b->orders;
	for (i = 0; i < b->ndays; i++)
		summary_add_day(a, b->days[i], aggcontext);
	PG_RETURN_POINTER(a);
}

/* purchase_summary_serialize(internal) returns bytea */
Datum
crm_purchase_summary_serialize(PG_FUNCTION_ARGS)
{
	SummaryState *state = (SummaryState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	int32		i;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, SUMMARY_STATE_MAGIC);
	pq_sendbyte(&buf, SUMMARY_STATE_VERSION);
	pq_sendbyte(&buf, state->numeric_amounts ? 1 : 0);
	pq_sendbyte(&buf, state->have_end ? 1 : 0);
	pq_sendint64(&buf, state->observation_end);
	pq_sendfloat8(&buf, state->unit_days);
	pq_sendint64(&buf, state->orders);
	pq_sendint64(&buf, state->first_purchase);
	pq_sendint64(&buf, state->last_purchase);
	pq_sendfloat8(&buf, state->revenue.hi);
	pq_sendfloat8(&buf, state->revenue.lo);
	pq_sendfloat8(&buf, state->first_day_revenue.hi);
	pq_sendfloat8(&buf, state->first_day_revenue.lo);
	pq_sendint32(&buf, state->first_day);
	pq_sendint32(&buf, state->ndays);
	for (i = 0; i < state->ndays; i++)
		pq_sendint32(&buf, state->days[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* purchase_summary_deserialize(bytea, internal) returns internal; validates every byte */
Datum
crm_purchase_summary_deserialize(PG_FUNCTION_ARGS)
{
	StateReader r;
	SummaryState *state = summary_state_create(CurrentMemoryContext);
	bool		have_end;
	TimestampTz end;
	double		unit_days;
	int32		ndays;
	int32		i;

	state_reader_init(&r, PG_GETARG_BYTEA_PP(0), AGGREGATE);
	if (state_read_u32(&r) != SUMMARY_STATE_MAGIC || state_read_u8(&r) != SUMMARY_STATE_VERSION)
		crm_state_invalid(AGGREGATE, "Unknown state format or version.");
	state->numeric_amounts = state_read_u8(&r) != 0;
	have_end = state_read_u8(&r) != 0;
	end = state_read_i64(&r);
	unit_days = state_read_f8(&r);
	if (have_end)
	{
		if (!(unit_days > 0) || !isfinite(unit_days))
			crm_state_invalid(AGGREGATE, "The time unit is not positive.");
		summary_set_window(state, summary_shared(fcinfo), end, unit_days);
	}
	state->orders = state_read_i64(&r);
	state->first_purchase = state_read_i64(&r);
	state->last_purchase = state_read_i64(&r);
	state->revenue.hi = state_read_f8(&r);
	state->revenue.lo = state_read_f8(&r);
	state->first_day_revenue.hi = state_read_f8(&r);
	state->first_day_revenue.lo = state_read_f8(&r);
	state->first_day = (int32) state_read_u32(&r);
	ndays = (int32) state_read_u32(&r);
	if (ndays < 0 || ndays > state->orders || (state->orders > 0) != (ndays > 0) ||
		(state->orders > 0 && !have_end))
		crm_state_invalid(AGGREGATE, "The day count does not match the order count.");
	for (i = 0; i < ndays; i++)
	{
		int32		day = (int32) state_read_u32(&r);

		if (day < state->first_day || (have_end && day > state->end_day))
			crm_state_invalid(AGGREGATE, "A purchase day lies outside the observation window.");
		summary_add_day(state, day, CurrentMemoryContext);
	}
	state_reader_finish(&r);
	if (!isfinite(state->revenue.hi) || !isfinite(state->revenue.lo) ||
		!isfinite(state->first_day_revenue.hi) || !isfinite(state->first_day_revenue.lo) ||
		(state->orders > 0 && (state->first_purchase > state->last_purchase ||
							   state->last_purchase > state->observation_end)))
		crm_state_invalid(AGGREGATE, "The state holds inconsistent values.");
	PG_RETURN_POINTER(state);
}

/* sort_days(int32 *days, size_t n): PostgreSQL's sort template specialised to int32 (no comparator calls) */
#define ST_SORT sort_days
#define ST_ELEMENT_TYPE int32
#define ST_COMPARE(a, b) ((*(a) > *(b)) - (*(a) < *(b)))
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * The number of distinct days.  Unsorted days are sorted and their repeats
 * dropped in place: the state still holds the same set of days, so it stays
 * valid for further rows (window frames).
 */
static int32
summary_distinct_days(SummaryState *state)
{
	int32	   *days = state->days;
	int32		n = 1;
	int32		i;

	if (state->days_sorted)
		return state->ndays;
	sort_days(days, state->ndays);
	for (i = 1; i < state->ndays; i++)
		if (days[i] != days[n - 1])
			days[n++] = days[i];
	state->ndays = n;
	state->days_sorted = true;
	return n;
}

/* purchase_summary_final(internal) returns crm.purchase_summary */
Datum
crm_purchase_summary_final(PG_FUNCTION_ARGS)
{
	SummaryState *state = PG_ARGISNULL(0) ? NULL : (SummaryState *) PG_GETARG_POINTER(0);
	TupleDesc	tupdesc;
	Datum		values[PS_NCOLUMNS];
	bool		nulls[PS_NCOLUMNS];
	int32		distinct = 0;
	int32		i;

	/* the result descriptor, looked up once per query: the final function runs once per customer */
	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;
	if (tupdesc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "%s: the result type is not composite", AGGREGATE);
		tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = tupdesc;
	}
	memset(nulls, true, sizeof(nulls));
	values[PS_ORDERS] = Int64GetDatum(state ? state->orders : 0);
	values[PS_REVENUE] = Float8GetDatum(0.0);
	nulls[PS_ORDERS] = nulls[PS_REVENUE] = false;

	if (state != NULL && state->orders > 0)
	{
		double		revenue = dd_normalize(state->revenue.hi, state->revenue.lo).hi;
		DoubleDouble repeat = dd_sub(state->revenue, state->first_day_revenue);

		distinct = summary_distinct_days(state);

		values[PS_FREQUENCY] = Int32GetDatum(distinct - 1);
		values[PS_RECENCY] = Float8GetDatum((state->last_day - state->first_day) / state->unit_days);
		values[PS_TENURE] = Float8GetDatum((state->end_day - state->first_day) / state->unit_days);
		values[PS_MONETARY] = Float8GetDatum(distinct > 1 ? dd_normalize(repeat.hi, repeat.lo).hi / (distinct - 1) : 0.0);
		values[PS_REVENUE] = Float8GetDatum(revenue);
		values[PS_FIRST_PURCHASE] = TimestampTzGetDatum(state->first_purchase);
		values[PS_LAST_PURCHASE] = TimestampTzGetDatum(state->last_purchase);
		for (i = 0; i < PS_NCOLUMNS; i++)
			nulls[i] = false;
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
