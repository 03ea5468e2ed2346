/*
 * rfm_segment_sql.c — named RFM segments: the two preset maps in C, and
 * crm.rfm_segment(), which also reads user-defined schemes from the table
 * crm.rfm_segment_map.
 *
 * 'rfm11': the widely used lookup of the 125 RFM codes into 11 segments;
 * 'rf10':  the R x F grid with 10 segments.  Both as tabulated in
 * doc/reference/customers.md (crm.rfm_segment).
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "customers/rfm_preset_segments.h"

/* rfm11: each segment with its codes; every code not listed is "Lost" */
static const struct
{
	const char *segment;
	const char *codes;
}			rfm11_table[] =
{
	{"Champions", "555 554 544 545 454 455 445"},
	{"Loyal", "543 444 435 355 354 345 344 335"},
	{"Potential Loyalist", "553 551 552 541 542 533 532 531 452 451 442 441 431 453 433 432 423 353 352 351 342 341 333 323"},
	{"New Customers", "512 511 422 421 412 411 311"},
	{"Promising", "525 524 523 522 521 515 514 513 425 424 413 414 415 315 314 313"},
	{"Need Attention", "535 534 443 434 343 334 325 324"},
	{"About to Sleep", "331 321 312 221 213"},
	{"At Risk", "255 254 245 244 253 252 243 242 235 234 225 224 153 152 145 143 142 135 134 133 125 124"},
	{"Can't Lose Them", "155 154 144 214 215 115 114 113"},
	{"Hibernating", "332 322 231 241 251 233 232 223 222 132 123 122 212 211"},
};

static const char *const LOST = "Lost";

/* rfm11 segment of a code, by a linear search of the table (125 codes at most) */
static const char *
rfm11_segment(int r, int f, int m)
{
	char		code[4];
	int			i;

	code[0] = '0' + r;
	code[1] = '0' + f;
	code[2] = '0' + m;
	code[3] = '\0';
	for (i = 0; i < lengthof(rfm11_table); i++)
	{
		const char *p = rfm11_table[i].codes;

		for (; *p; p += (p[3] == ' ') ? 4 : 3)
			if (strncmp(p, code, 3) == 0)
				return rfm11_table[i].segment;
	}
	return LOST;
}

/* rf10: the R x F grid */
static const char *
rf10_segment(int r, int f)
{
	if (r <= 2)
		return f <= 2 ? "Hibernating" : f <= 4 ? "At Risk" : "Can't Lose Them";
	if (r == 3)
		return f <= 2 ? "About to Sleep" : f == 3 ? "Need Attention" : "Loyal";
	if (f >= 4)
		return r == 4 ? "Loyal" : "Champions";
	if (f == 1)
		return r == 4 ? "Promising" : "New Customers";
	return "Potential Loyalist";
}

const char *
crm_rfm_preset_segment(const char *scheme, int r, int f, int m, bool *known)
{
	*known = true;
	if (strcmp(scheme, "rfm11") == 0)
		return rfm11_segment(r, f, m);
	if (strcmp(scheme, "rf10") == 0)
		return rf10_segment(r, f);
	*known = false;
	return NULL;
}

/* 22003 unless 1 <= score <= 5 */
static void
check_score(int score, const char *name)
{
	if (score < 1 || score > 5)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("crm.rfm_segment: %s must be between 1 and 5, got %d", name, score)));
}

/*
 * A user-defined scheme, read once per statement (the function is STABLE):
 * segment names of the 125 cells, NULL where the scheme says nothing.
 */
typedef struct UserScheme
{
	char	   *name;
	char	   *cells[5][5][6];	/* [r-1][f-1][m], m = 0: "any m" */
} UserScheme;

/* Loads a user scheme from crm.rfm_segment_map; NULL if it has no rows. */
static UserScheme *
load_user_scheme(FunctionCallInfo fcinfo, const char *scheme)
{
	MemoryContext fn_context = fcinfo->flinfo->fn_mcxt;
	const char *nsp = get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid));
	StringInfoData query;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	UserScheme *result = NULL;
	uint64		i;

	initStringInfo(&query);
	appendStringInfo(&query, "SELECT r, f, m, segment FROM %s.rfm_segment_map WHERE scheme = $1",
					 quote_identifier(nsp));
	args[0] = CStringGetTextDatum(scheme);

	SPI_connect();
	if (SPI_execute_with_args(query.data, 1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "crm.rfm_segment: could not read %s.rfm_segment_map", nsp);
	if (SPI_processed > 0)
	{
		result = MemoryContextAllocZero(fn_context, sizeof(UserScheme));
		result->name = MemoryContextStrdup(fn_context, scheme);
		for (i = 0; i < SPI_processed; i++)
		{
			HeapTuple	row = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		null_m;
			int			r = DatumGetInt16(SPI_getbinval(row, desc, 1, &(bool){false}));
			int			f = DatumGetInt16(SPI_getbinval(row, desc, 2, &(bool){false}));
			Datum		m = SPI_getbinval(row, desc, 3, &null_m);
			char	   *segment = SPI_getvalue(row, desc, 4);

			/* the table's CHECK constraints keep r, f, m in 1..5 */
			result->cells[r - 1][f - 1][null_m ? 0 : DatumGetInt16(m)] =
				MemoryContextStrdup(fn_context, segment);
		}
	}
	SPI_finish();
	return result;
}

PG_FUNCTION_INFO_V1(crm_rfm_segment);

/*
 * rfm_segment(r int, f int, m int, scheme text DEFAULT 'rfm11') returns text
 * NULL r or f gives NULL; m may be NULL when the scheme ignores it (rf10, or
 * user cells with m = NULL).  A user scheme that does not cover a cell gives
 * NULL; an unknown scheme is an error.
 */
Datum
crm_rfm_segment(PG_FUNCTION_ARGS)
{
	int			r,
				f,
				m;
	bool		m_null = PG_ARGISNULL(2);
	char	   *scheme;
	const char *segment;
	bool		known;
	UserScheme *user;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(3))
		PG_RETURN_NULL();
	r = PG_GETARG_INT32(0);
	f = PG_GETARG_INT32(1);
	m = m_null ? 0 : PG_GETARG_INT32(2);
	check_score(r, "r");
	check_score(f, "f");
	if (!m_null)
		check_score(m, "m");
	scheme = text_to_cstring(PG_GETARG_TEXT_PP(3));

	if (strcmp(scheme, "rfm11") == 0 && m_null)
		PG_RETURN_NULL();		/* rfm11 needs m */
	segment = crm_rfm_preset_segment(scheme, r, f, m, &known);
	if (known)
		PG_RETURN_TEXT_P(cstring_to_text(segment));

	user = (UserScheme *) fcinfo->flinfo->fn_extra;
	if (user == NULL || strcmp(user->name, scheme) != 0)
	{
		user = load_user_scheme(fcinfo, scheme);
		if (user == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("crm.rfm_segment: unknown scheme \"%s\"", scheme),
					 errhint("The presets are 'rfm11' and 'rf10'; user schemes are rows of crm.rfm_segment_map.")));
		fcinfo->flinfo->fn_extra = user;
	}
	segment = user->cells[r - 1][f - 1][m];
	if (segment == NULL)
		segment = user->cells[r - 1][f - 1][0];
	if (segment == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(segment));
}
