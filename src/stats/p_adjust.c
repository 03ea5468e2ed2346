/*
 * p_adjust.c — p-values adjusted for multiple comparisons, the same numbers
 * as R's stats::p.adjust (Bonferroni; Holm 1979; Hochberg 1988; Benjamini &
 * Hochberg 1995; Benjamini & Yekutieli 2001).
 * Formulas: doc/stats.md, "Multiple comparisons (p_adjust)".
 */
#include "stats/experiments.h"

#include <math.h>
#include <stdlib.h>

/* by value, ties by index: a total order, so the sort is stable like R's order() */
static int
compare_rank(const void *a, const void *b)
{
	const PAdjustRank *x = (const PAdjustRank *) a;
	const PAdjustRank *y = (const PAdjustRank *) b;

	if (x->p != y->p)
		return x->p < y->p ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

/*
 * Each product is written in R's order of operations, so results agree with
 * p.adjust to the last bit or two.
 */
int
crm_p_adjust_values(const double *p, int m, PAdjustMethod method, double *adjusted, PAdjustRank *work)
{
	double		n = m;
	double		running;
	long double q = 0;
	int			k;

	for (k = 0; k < m; k++)
		if (!(p[k] >= 0 && p[k] <= 1))
			return k;
	if (m <= 1)					/* R returns a single p-value unchanged */
	{
		if (m == 1)
			adjusted[0] = p[0];
		return -1;
	}
	if (method == PADJ_BONFERRONI)
	{
		for (k = 0; k < m; k++)
			adjusted[k] = fmin(1, n * p[k]);
		return -1;
	}

	for (k = 0; k < m; k++)
	{
		work[k].p = p[k];
		work[k].index = k;
	}
	qsort(work, m, sizeof(PAdjustRank), compare_rank);

	if (method == PADJ_HOLM)
	{
		/* step-down: cummax over ascending p of (n - i + 1) p_(i) */
		running = 0;
		for (k = 0; k < m; k++)
		{
			running = fmax(running, (n - (k + 1) + 1) * work[k].p);
			adjusted[work[k].index] = fmin(1, running);
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
			double		v = work[k].p;
			double		term;

			if (method == PADJ_HOCHBERG)
				term = (n + 1 - i) * v;
			else if (method == PADJ_BH)
				term = n / i * v;
			else
				term = (double) q * n / i * v;
			running = fmin(running, term);
			adjusted[work[k].index] = fmin(1, running);
		}
	}
	return -1;
}
