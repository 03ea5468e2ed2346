/*
 * p_adjust_sql.c — crm.p_adjust(p_values float8[], method text): the SQL
 * side of p_adjust.c.
 */
#include "util/sql_util.h"

#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"

#include "stats/experiments.h"

PG_FUNCTION_INFO_V1(crm_p_adjust);

/* The method named by text, case-insensitively; 22023 for anything else. */
static PAdjustMethod
parse_method(const char *name)
{
	if (pg_strcasecmp(name, "bonferroni") == 0)
		return PADJ_BONFERRONI;
	if (pg_strcasecmp(name, "holm") == 0)
		return PADJ_HOLM;
	if (pg_strcasecmp(name, "hochberg") == 0)
		return PADJ_HOCHBERG;
	if (pg_strcasecmp(name, "bh") == 0 || pg_strcasecmp(name, "fdr") == 0)
		return PADJ_BH;
	if (pg_strcasecmp(name, "by") == 0)
		return PADJ_BY;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("crm.p_adjust: unknown method \"%s\"", name),
			 errhint("Use one of bonferroni, holm, hochberg, bh (or fdr), by.")));
	return PADJ_HOLM;			/* keep the compiler quiet */
}

/*
 * p_adjust(p_values float8[], method text) returns float8[]: the adjusted
 * p-values in the input order and shape; NULL elements stay NULL and do
 * not count in the number of tests.
 */
Datum
crm_p_adjust(PG_FUNCTION_ARGS)
{
	ArrayType  *input = PG_GETARG_ARRAYTYPE_P(0);
	PAdjustMethod method = parse_method(text_to_cstring(PG_GETARG_TEXT_PP(1)));
	Datum	   *elements;
	bool	   *nulls;
	int			count,
				m = 0,
				i,
				k,
				bad;
	int		   *positions;
	double	   *values,
			   *adjusted;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	if (ARR_NDIM(input) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("crm.p_adjust: p_values must be a one-dimensional array, got %d dimensions",
						ARR_NDIM(input))));
	if (ARR_NDIM(input) == 0)
		PG_RETURN_ARRAYTYPE_P(input);

	get_typlenbyvalalign(FLOAT8OID, &typlen, &typbyval, &typalign);
	deconstruct_array(input, FLOAT8OID, typlen, typbyval, typalign, &elements, &nulls, &count);

	values = (double *) palloc(sizeof(double) * (count + 1));
	adjusted = (double *) palloc(sizeof(double) * (count + 1));
	positions = (int *) palloc(sizeof(int) * (count + 1));
	for (i = 0; i < count; i++)
		if (!nulls[i])
		{
			positions[m] = i;
			values[m++] = DatumGetFloat8(elements[i]);
		}

	bad = crm_p_adjust_values(values, m, method, adjusted,
					   (PAdjustRank *) palloc(sizeof(PAdjustRank) * (m + 1)));
	if (bad >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("crm.p_adjust: p_values[%d] must be between 0 and 1, got %s",
						ARR_LBOUND(input)[0] + positions[bad], float8out_internal(values[bad]))));

	for (i = 0, k = 0; i < count; i++)
		if (!nulls[i])
			elements[i] = Float8GetDatum(adjusted[k++]);
	PG_RETURN_ARRAYTYPE_P(construct_md_array(elements, nulls, 1, ARR_DIMS(input), ARR_LBOUND(input),
											 FLOAT8OID, typlen, typbyval, typalign));
}
