/*
 * rfm_segment_sql.c — crm.rfm_segment(): the preset maps of
 * rfm_preset_segments.c, and the user-defined schemes of the table
 * crm.rfm_segment_map.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "customers/rfm_preset_segments.h"
#include "util/spi_pinned.h"

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
	StringInfoData query;
	int			pinned;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	UserScheme *result = NULL;
	uint64		i;

	initStringInfo(&query);
	/* pinned and qualified: the caller's search_path must not choose the "=" */
	appendStringInfo(&query, "SELECT r, f, m, segment FROM %s.rfm_segment_map WHERE scheme OPERATOR(pg_catalog.=) $1",
					 CRM_SCHEMA);
	args[0] = CStringGetTextDatum(scheme);

	pinned = crm_spi_connect_pinned();
	if (SPI_execute_with_args(query.data, 1, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "crm.rfm_segment: could not read %s.rfm_segment_map", CRM_SCHEMA);
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
	crm_spi_finish_pinned(pinned);
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
