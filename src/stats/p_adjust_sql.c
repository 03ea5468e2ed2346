/*
 * p_adjust_sql.c — crm.p_adjust: p-values adjusted for multiple comparisons,
 * the same numbers as R's stats::p.adjust (R Core Team; methods of
 * Bonferroni, Holm 1979, Hochberg 1988, Benjamini & Hochberg 1995,
 * Benjamini & Yekutieli 2001).  Formulas: doc/stats.md, "Multiple
 * comparisons (p_adjust)".
 */
#include "util/sql_util.h"

#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"

typedef enum PAdjustMethod
{
	PADJ_BONFERRONI, PADJ_HOLM, PADJ_HOCHBERG, PADJ_BH, PADJ_BY
} PAdjustMethod;

PG_FUNCTION_INFO_V1(crm_p_adjust);

/* qsort_arg order of indexes by value, ties by index (a stable order, like R's order()) */
static int
compare_index(const void *a, const void *b, void *arg)
{
	const double *sort_values = (const double *) arg;
	int			i = *(const int *) a;
	int			j = *(const int *) b;

	if (sort_values[i] != sort_values[j])
		return sort_values[i] < sort_values[j] ? -1 : 1;
	return (i > j) - (i < j);
}

/*
 * Adjusts m p-values (pure C, m >= 1, every p in [0, 1]) into adjusted[],
 * in the input order.  Each product is written in R's order of operations,
 * so results agree with p.adjust to the last bit or two.
 */
static void
p_adjust_values(const double *p, int m, PAdjustMethod method, double *adjusted)
{
	int		   *order;
	double		n = m;
	double		running;
	long double q = 0;
	int			k;

	if (m <= 1)					/* R returns a single p-value unchanged */
	{
		if (m == 1)
			adjusted[0] = p[0];
		return;
	}
	if (method == PADJ_BONFERRONI)
	{
		for (k = 0; k < m; k++)
			adjusted[k] = fmin(1, n * p[k]);
		return;
	}

	order = (int *) palloc(sizeof(int) * m);
	for (k = 0; k < m; k++)
		order[k] = k;
	qsort_arg(order, m, sizeof(int), compare_index, (void *) p);

	if (method == PADJ_HOLM)
	{
		/* step-down: cummax over ascending p of (n - i + 1) p_(i) */
		running = 0;
		for (k = 0; k < m; k++)
		{
			running = fmax(running, (n - (k + 1) + 1) * p[order[k]]);
			adjusted[order[k]] = fmin(1, running);
		}
	}
	else
	{
		/* step-up: cummin over descending p, rank i = m .. 1 */
		/* sum 1/k, accumulated in long double as R's sum() does */
		if (method == PADJ_BY)
			for (k = 1; k <= m; k++)
				q += 1.0 / k;
		running = INFINITY;
		for (k = m - 1; k >= 0; k--)
		{
			double		i = k + 1;
			double		v = p[order[k]];
			double		term;

			if (method == PADJ_HOCHBERG)
				term = (n + 1 - i) * v;
			else if (method == PADJ_BH)
				term = n / i * v;
			else
				term = (double) q * n / i * v;
			running = fmin(running, term);
			adjusted[order[k]] = fmin(1, running);
		}
	}
	pfree(order);
}

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
				k;
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
	for (i = 0; i < count; i++)
	{
		double		p;

		if (nulls[i])
			continue;
		p = DatumGetFloat8(elements[i]);
		if (!(p >= 0 && p <= 1))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("crm.p_adjust: p_values[%d] must be between 0 and 1, got %s",
							ARR_LBOUND(input)[0] + i, float8out_internal(p))));
		values[m++] = p;
	}

	p_adjust_values(values, m, method, adjusted);

	for (i = 0, k = 0; i < count; i++)
		if (!nulls[i])
			elements[i] = Float8GetDatum(adjusted[k++]);
	PG_RETURN_ARRAYTYPE_P(construct_md_array(elements, nulls, 1, ARR_DIMS(input), ARR_LBOUND(input),
											 FLOAT8OID, typlen, typbyval, typalign));
}
