/*
 * cohort_retention_sql.c — the crm.cohort_retention aggregate and
 * crm.cohort_table, its long-table reader.
 *
 * One pass over the orders, no sort, no self-join: the state maps each
 * customer to the set of periods in which they were active (with the
 * revenue of each period when an amount is given), customer_map.h.  At the
 * end a customer's cohort is their first period, and each active period
 * counts them as retained at period_number = period - cohort.
 *
 * The result, crm.cohort_matrix, holds the cohorts (the first day of each
 * period that has new customers), their sizes, the last period with any
 * activity, and the retained counts (and revenue) of every cohort for every
 * period number from 0 to the last period, flattened cohort by cohort.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "nodes/execnodes.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "customers/customer_map.h"
#include "customers/period_bucket.h"
#include "math/compare.h"
#include "math/double_double.h"
#include "util/sql_util.h"

static const char *const AGGREGATE = "crm.cohort_retention";

#define COHORT_STATE_MAGIC		0x4352434f	/* "CRCO" */
#define COHORT_STATE_VERSION	1
/*
 * More cells than this in one matrix is a mistake (daily cohorts over more
 * than 15 years); it also keeps the result (8 bytes a cell for the counts, 8 for
 * the revenue) well below the 1 GB that one PostgreSQL value can hold.
 */
#define COHORT_MAX_CELLS		(16 * 1024 * 1024)
/*
 * A table wider than this (274 years of days) comes from a wrong time (a
 * year 294276); refused before its cells are counted and allocated.
 */
#define COHORT_MAX_PERIODS		100000

typedef struct CohortState
{
	CustomerMap *map;
	PeriodKind	kind;
	PeriodBucketer bucketer;
	bool		numeric_amounts;	/* the amount argument is numeric, not float8 */
} CohortState;

/*
 * The kinds of argument of an overload.  Each overload has its own entry
 * point that says so: the call expression is not always there to ask, e.g.
 * when Citus or a direct function call runs the transition function, and a
 * bigint read as text is a crash.
 */
typedef struct CohortArgs
{
	bool		text_ids;
	bool		with_amounts;
	bool		numeric_amounts;
} CohortArgs;

static CohortState *
cohort_state_create(MemoryContext context, PeriodKind kind, bool text_ids, bool with_amounts)
{
	CohortState *state = MemoryContextAllocZero(context, sizeof(CohortState));

	state->kind = kind;
	state->map = customer_map_create(context, text_ids, with_amounts, true);
	crm_period_bucketer_init(&state->bucketer, kind);
	return state;
}

PG_FUNCTION_INFO_V1(crm_cohort_retention_int8_transfn);
PG_FUNCTION_INFO_V1(crm_cohort_retention_int8_float8_transfn);
PG_FUNCTION_INFO_V1(crm_cohort_retention_int8_numeric_transfn);
PG_FUNCTION_INFO_V1(crm_cohort_retention_text_transfn);
PG_FUNCTION_INFO_V1(crm_cohort_retention_text_float8_transfn);
PG_FUNCTION_INFO_V1(crm_cohort_retention_text_numeric_transfn);
PG_FUNCTION_INFO_V1(crm_cohort_retention_combine);
PG_FUNCTION_INFO_V1(crm_cohort_retention_serialize);
PG_FUNCTION_INFO_V1(crm_cohort_retention_deserialize);
PG_FUNCTION_INFO_V1(crm_cohort_retention_final);
PG_FUNCTION_INFO_V1(crm_cohort_table);

/*
 * cohort_retention_transfn(internal, customer_id bigint|text, activity_at
 * timestamptz, period text [, amount float8|numeric]), of the overload args
 */
static Datum
cohort_transfn(FunctionCallInfo fcinfo, CohortArgs args)
{
	MemoryContext aggcontext;
	CohortState *state = PG_ARGISNULL(0) ? NULL : (CohortState *) PG_GETARG_POINTER(0);
	bool		with_amounts = args.with_amounts;
	double		amount = 0;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s called in non-aggregate context", "cohort_retention_transfn");
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s: period must not be NULL", AGGREGATE)));
	if (with_amounts != (PG_NARGS() > 4))
		elog(ERROR, "%s: %d arguments for an overload of %d", AGGREGATE, PG_NARGS(), with_amounts ? 5 : 4);
	if (state == NULL)
	{
		state = cohort_state_create(aggcontext,
									crm_period_kind(text_to_cstring(PG_GETARG_TEXT_PP(3)), AGGREGATE),
									args.text_ids, args.with_amounts);
		state->numeric_amounts = args.numeric_amounts;
	}
	else
	{
		text	   *t = PG_GETARG_TEXT_PP(3);
		const char *name = crm_period_name(state->kind);

		if (VARSIZE_ANY_EXHDR(t) != strlen(name) ||
			pg_strncasecmp(VARDATA_ANY(t), name, strlen(name)) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: period must be the same for every row, got %s and %s", AGGREGATE,
							name, text_to_cstring(t))));
	}

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || (with_amounts && PG_ARGISNULL(4)))
		PG_RETURN_POINTER(state);
	if (with_amounts)
		amount = crm_amount_arg(fcinfo, 4, state->numeric_amounts, AGGREGATE);
	customer_map_add(state->map, PG_GETARG_DATUM(1),
					 crm_period_index(&state->bucketer, PG_GETARG_TIMESTAMPTZ(2), AGGREGATE),
					 amount);
	PG_RETURN_POINTER(state);
}

/* The overloads, by customer id and amount type. */
Datum
crm_cohort_retention_int8_transfn(PG_FUNCTION_ARGS)
{
	return cohort_transfn(fcinfo, (CohortArgs) {false, false, false});
}

Datum
crm_cohort_retention_int8_float8_transfn(PG_FUNCTION_ARGS)
{
	return cohort_transfn(fcinfo, (CohortArgs) {false, true, false});
}

Datum
crm_cohort_retention_int8_numeric_transfn(PG_FUNCTION_ARGS)
{
	return cohort_transfn(fcinfo, (CohortArgs) {false, true, true});
}

Datum
crm_cohort_retention_text_transfn(PG_FUNCTION_ARGS)
{
	return cohort_transfn(fcinfo, (CohortArgs) {true, false, false});
}

Datum
crm_cohort_retention_text_float8_transfn(PG_FUNCTION_ARGS)
{
	return cohort_transfn(fcinfo, (CohortArgs) {true, true, false});
}

Datum
crm_cohort_retention_text_numeric_transfn(PG_FUNCTION_ARGS)
{
	return cohort_transfn(fcinfo, (CohortArgs) {true, true, true});
}

/* cohort_retention_combine(internal, internal): merges the second state into the first */
Datum
crm_cohort_retention_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	CohortState *a = PG_ARGISNULL(0) ? NULL : (CohortState *) PG_GETARG_POINTER(0);
	CohortState *b = PG_ARGISNULL(1) ? NULL : (CohortState *) PG_GETARG_POINTER(1);

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s called in non-aggregate context", "cohort_retention_combine");
	if (b == NULL)
		PG_RETURN_POINTER(a);
	if (a == NULL)
		a = cohort_state_create(aggcontext, b->kind, b->map->text_ids, b->map->with_amounts);
	else if (a->kind != b->kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: period must be the same for every row, got %s and %s", AGGREGATE,
						crm_period_name(a->kind), crm_period_name(b->kind))));
	customer_map_merge(a->map, b->map);
	PG_RETURN_POINTER(a);
}

/* cohort_retention_serialize(internal) returns bytea */
Datum
crm_cohort_retention_serialize(PG_FUNCTION_ARGS)
{
	CohortState *state = (CohortState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, COHORT_STATE_MAGIC);
	pq_sendbyte(&buf, COHORT_STATE_VERSION);
	pq_sendbyte(&buf, (uint8) state->kind);
	pq_sendbyte(&buf, state->map->text_ids ? 1 : 0);
	pq_sendbyte(&buf, state->map->with_amounts ? 1 : 0);
	customer_map_write(state->map, &buf);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* cohort_retention_deserialize(bytea, internal) returns internal; validates every byte */
Datum
crm_cohort_retention_deserialize(PG_FUNCTION_ARGS)
{
	StateReader r;
	CohortState *state;
	uint8		kind;
	bool		text_ids,
				with_amounts;

	state_reader_init(&r, PG_GETARG_BYTEA_PP(0), AGGREGATE);
	if (state_read_u32(&r) != COHORT_STATE_MAGIC || state_read_u8(&r) != COHORT_STATE_VERSION)
		crm_state_invalid(AGGREGATE, "Unknown state format or version.");
	kind = state_read_u8(&r);
	if (kind > PERIOD_YEAR)
		crm_state_invalid(AGGREGATE, "Unknown period.");
	text_ids = state_read_u8(&r) != 0;
	with_amounts = state_read_u8(&r) != 0;
	state = palloc0(sizeof(CohortState));
	state->kind = (PeriodKind) kind;
	crm_period_bucketer_init(&state->bucketer, state->kind);
	state->map = customer_map_read(&r, CurrentMemoryContext, text_ids, with_amounts, true);
	state_reader_finish(&r);
	PG_RETURN_POINTER(state);
}

/* Index of period in the sorted cohorts (it is there). */
static int
cohort_index(const int32 *cohorts, int ncohorts, int32 period)
{
	int			lo = 0,
				hi = ncohorts - 1;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (cohorts[mid] < period)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A one-dimensional array of n datums of a by-value or by-reference type. */
static ArrayType *
make_array(Datum *values, int n, Oid type)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
	return construct_array(values, n, type, typlen, typbyval, typalign);
}

/* cohort_retention_final(internal) returns crm.cohort_matrix */
Datum
crm_cohort_retention_final(PG_FUNCTION_ARGS)
{
	CohortState *state = PG_ARGISNULL(0) ? NULL : (CohortState *) PG_GETARG_POINTER(0);
	TupleDesc	tupdesc;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};
	uint64		ncustomers = state ? customer_map_count(state->map) : 0;
	int32	   *firsts;
	int32	   *cohorts;
	int64	   *sizes;
	int64	   *offsets;
	int64	   *retained;
	DoubleDouble *revenue = NULL;
	int			ncohorts = 0;
	int32		last = PG_INT32_MIN;
	int64		ncells = 0;
	uint64		c;
	int			i;
	custmap_iterator it;
	CustomerMapEntry *entry;
	Datum	   *datums;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "%s: called in a context that cannot accept a composite", AGGREGATE);
	tupdesc = BlessTupleDesc(tupdesc);
	if (ncustomers == 0)
	{
		/* no customers: no cohorts */
		values[0] = state ? CStringGetTextDatum(crm_period_name(state->kind)) : (Datum) 0;
		nulls[0] = state == NULL;
		values[1] = PointerGetDatum(make_array(NULL, 0, DATEOID));
		values[2] = PointerGetDatum(make_array(NULL, 0, INT8OID));
		nulls[3] = true;
		values[4] = PointerGetDatum(make_array(NULL, 0, INT8OID));
		nulls[5] = true;
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
	}

	customer_map_report_memory(state->map, AGGREGATE);

	/* pass 1: each customer's first period, and the last period of all */
	firsts = palloc_extended(sizeof(int32) * ncustomers, MCXT_ALLOC_HUGE);
	c = 0;
	customer_map_start(state->map, &it);
	while ((entry = customer_map_next(state->map, &it)) != NULL)
	{
		const int64 *events;
		const double *amounts;
		uint32		n = customer_map_events(state->map, entry, &events, &amounts);

		/* periods come from our transition or a validated state; still, stay in range */
		if (events[0] < PG_INT32_MIN / 2 || events[n - 1] > PG_INT32_MAX / 2)
			crm_state_invalid(AGGREGATE, "A period index is out of range.");
		firsts[c++] = (int32) events[0];
		last = Max(last, (int32) events[n - 1]);
	}
	qsort(firsts, ncustomers, sizeof(int32), crm_qsort_int32);
	if ((int64) last - firsts[0] + 1 > COHORT_MAX_PERIODS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s: the cohort table would span " INT64_FORMAT " periods, more than %d",
						AGGREGATE, (int64) last - firsts[0] + 1, COHORT_MAX_PERIODS),
				 errhint("Check the activity times for dates far in the past or future.")));

	/* the cohorts, their sizes, and where each cohort's cells start */
	cohorts = palloc(sizeof(int32) * Min(ncustomers, (uint64) (last - firsts[0] + 1)));
	sizes = palloc0(sizeof(int64) * Min(ncustomers, (uint64) (last - firsts[0] + 1)));
	for (c = 0; c < ncustomers; c++)
	{
		if (ncohorts == 0 || cohorts[ncohorts - 1] != firsts[c])
			cohorts[ncohorts++] = firsts[c];
		sizes[ncohorts - 1]++;
	}
	pfree(firsts);
	offsets = palloc(sizeof(int64) * ncohorts);
	for (i = 0; i < ncohorts; i++)
	{
		offsets[i] = ncells;
		ncells += (int64) last - cohorts[i] + 1;
	}
	if (ncells > COHORT_MAX_CELLS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s: the cohort table would have " INT64_FORMAT " cells", AGGREGATE, ncells),
				 errhint("Use a longer period (week or month instead of day).")));
	retained = palloc_extended(sizeof(int64) * ncells, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	if (state->map->with_amounts)
		revenue = palloc_extended(sizeof(DoubleDouble) * ncells, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);

	/* pass 2: count each customer in their cohort's cells */
	customer_map_start(state->map, &it);
	while ((entry = customer_map_next(state->map, &it)) != NULL)
	{
		const int64 *events;
		const double *amounts;
		uint32		n = customer_map_events(state->map, entry, &events, &amounts);
		int64		base = offsets[cohort_index(cohorts, ncohorts, (int32) events[0])] - events[0];
		uint32		e;

		for (e = 0; e < n; e++)
		{
			retained[base + events[e]]++;
			if (revenue)
				dd_accumulate(&revenue[base + events[e]].hi, &revenue[base + events[e]].lo,
							  dd_from(amounts[e]));
		}
	}

	values[0] = CStringGetTextDatum(crm_period_name(state->kind));
	datums = palloc(sizeof(Datum) * Max(ncohorts, 1));
	for (i = 0; i < ncohorts; i++)
		datums[i] = DateADTGetDatum(crm_period_start(state->kind, cohorts[i]));
	values[1] = PointerGetDatum(make_array(datums, ncohorts, DATEOID));
	for (i = 0; i < ncohorts; i++)
		datums[i] = Int64GetDatum(sizes[i]);
	values[2] = PointerGetDatum(make_array(datums, ncohorts, INT8OID));
	values[3] = DateADTGetDatum(crm_period_start(state->kind, last));
	datums = palloc_extended(sizeof(Datum) * ncells, MCXT_ALLOC_HUGE);
	for (c = 0; c < (uint64) ncells; c++)
		datums[c] = Int64GetDatum(retained[c]);
	values[4] = PointerGetDatum(make_array(datums, (int) ncells, INT8OID));
	if (revenue)
	{
		for (c = 0; c < (uint64) ncells; c++)
		{
			double		cell = dd_normalize(revenue[c].hi, revenue[c].lo).hi;

			/* amounts near 1e308 add up past the double range (and inf - inf is NaN) */
			if (!isfinite(cell))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("%s: the revenue of a cohort period overflowed", AGGREGATE)));
			datums[c] = Float8GetDatum(cell);
		}
		values[5] = PointerGetDatum(make_array(datums, (int) ncells, FLOAT8OID));
	}
	else
		nulls[5] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* A field of the matrix: a one-dimensional array without NULLs, checked; NULL if the field is. */
static ArrayType *
matrix_array(HeapTupleHeader matrix, const char *field, Oid type, bool *isnull)
{
	Datum		value = GetAttributeByName(matrix, field, isnull);
	ArrayType  *array;

	if (*isnull)
		return NULL;
	array = DatumGetArrayTypeP(value);
	if (ARR_ELEMTYPE(array) != type || ARR_NDIM(array) > 1 || ARR_HASNULL(array))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("crm.cohort_table: %s must be a one-dimensional array without NULLs", field)));
	return array;
}

static int
array_length_1d(ArrayType *array)
{
	return array == NULL || ARR_NDIM(array) == 0 ? 0 : ARR_DIMS(array)[0];
}

/*
 * cohort_table(crm.cohort_matrix) returns SETOF (cohort date, period_number int,
 * cohort_size bigint, retained bigint, retention_rate float8, revenue float8,
 * cumulative_revenue_per_customer float8).  Checks the matrix it is handed
 * (it may have been built by hand).
 */
Datum
crm_cohort_table(PG_FUNCTION_ARGS)
{
	static const char *const F = "crm.cohort_table";
	HeapTupleHeader matrix = PG_GETARG_HEAPTUPLEHEADER(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		isnull;
	Datum		period_datum = GetAttributeByName(matrix, "period", &isnull);
	PeriodKind	kind;
	ArrayType  *cohorts,
			   *sizes,
			   *retained,
			   *revenue;
	bool		no_revenue;
	int			ncohorts,
				i;
	int64		cell = 0;
	int32		last;
	DateADT    *cohort_dates;
	int64	   *size_values,
			   *retained_values;
	double	   *revenue_values = NULL;

	InitMaterializedSRF(fcinfo, 0);
	if (isnull)
		PG_RETURN_NULL();		/* an empty matrix: no rows */
	kind = crm_period_kind(TextDatumGetCString(period_datum), F);
	cohorts = matrix_array(matrix, "cohorts", DATEOID, &isnull);
	sizes = matrix_array(matrix, "cohort_sizes", INT8OID, &isnull);
	retained = matrix_array(matrix, "retained", INT8OID, &isnull);
	revenue = matrix_array(matrix, "revenue", FLOAT8OID, &no_revenue);
	ncohorts = array_length_1d(cohorts);
	if (ncohorts == 0)
		PG_RETURN_NULL();
	if (array_length_1d(sizes) != ncohorts)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: cohorts and cohort_sizes differ in length", F)));
	last = crm_period_of_date(kind, DatumGetDateADT(GetAttributeByName(matrix, "last_period", &isnull)));
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: last_period must not be NULL", F)));
	cohort_dates = (DateADT *) ARR_DATA_PTR(cohorts);
	size_values = (int64 *) ARR_DATA_PTR(sizes);
	retained_values = (int64 *) ARR_DATA_PTR(retained);
	if (!no_revenue)
		revenue_values = (double *) ARR_DATA_PTR(revenue);

	/* the shape: increasing cohorts up to last, one cell per cohort and period number */
	for (i = 0; i < ncohorts; i++)
	{
		int32		p = crm_period_of_date(kind, cohort_dates[i]);

		if (DATE_NOT_FINITE(cohort_dates[i]) || p > last ||
			(i > 0 && p <= crm_period_of_date(kind, cohort_dates[i - 1])) || size_values[i] <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: the cohorts must be increasing periods up to last_period, with positive sizes", F)));
		cell += (int64) last - p + 1;
	}
	if (array_length_1d(retained) != cell || (!no_revenue && array_length_1d(revenue) != cell))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: retained (and revenue) must have one element per cohort and period number", F)));

	cell = 0;
	for (i = 0; i < ncohorts; i++)
	{
		int32		first = crm_period_of_date(kind, cohort_dates[i]);
		int32		k;
		double		cumulative = 0;

		for (k = 0; k <= last - first; k++, cell++)
		{
			Datum		values[7];
			bool		nulls[7] = {false, false, false, false, false, false, false};

			if (retained_values[cell] < 0 || retained_values[cell] > size_values[i])
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s: a retained count is outside 0 .. cohort size", F)));
			values[0] = DateADTGetDatum(crm_period_start(kind, first));
			values[1] = Int32GetDatum(k);
			values[2] = Int64GetDatum(size_values[i]);
			values[3] = Int64GetDatum(retained_values[cell]);
			values[4] = Float8GetDatum((double) retained_values[cell] / (double) size_values[i]);
			if (revenue_values)
			{
				cumulative += revenue_values[cell];
				values[5] = Float8GetDatum(revenue_values[cell]);
				values[6] = Float8GetDatum(cumulative / (double) size_values[i]);
			}
			else
				nulls[5] = nulls[6] = true;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	PG_RETURN_NULL();
}
