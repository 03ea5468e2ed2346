/*
 * canonical_rows.c — canonical row order for the fits.  Sorting by the full key
 * (weight last) and merging duplicates makes every fit independent of the
 * order in which the caller supplies rows, bit for bit.
 */
#include "clv/canonical_rows.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "math/compare.h"

/* qsort order for histories: x, tx, T, weight. */
static int
cmp_hist(const void *pa, const void *pb)
{
	const ClvHistory *a = pa,
			   *b = pb;
	int			c;

	if ((c = crm_cmp_double(a->x, b->x)) != 0)
		return c;
	if ((c = crm_cmp_double(a->tx, b->tx)) != 0)
		return c;
	if ((c = crm_cmp_double(a->T, b->T)) != 0)
		return c;
	return crm_cmp_double(a->weight, b->weight);
}

/* qsort order for spend rows: x, mbar, weight. */
static int
cmp_spend(const void *pa, const void *pb)
{
	const ClvSpend *a = pa,
			   *b = pb;
	int			c;

	if ((c = crm_cmp_double(a->x, b->x)) != 0)
		return c;
	if ((c = crm_cmp_double(a->mbar, b->mbar)) != 0)
		return c;
	return crm_cmp_double(a->weight, b->weight);
}

/* Sorted, merged copy of the histories. */
ClvHistory *
clv_rows_canonical(const ClvHistory *rows, size_t nrows, size_t *nout)
{
	ClvHistory *out;
	size_t		i,
				n = 0,
				m = 0;

	*nout = 0;
	if (nrows == 0)
		return NULL;
	out = malloc(nrows * sizeof(ClvHistory));
	if (!out)
		return NULL;
	for (i = 0; i < nrows; i++)
		if (rows[i].weight > 0.0 && isfinite(rows[i].weight) &&
			isfinite(rows[i].x) && isfinite(rows[i].tx) && isfinite(rows[i].T))
			out[n++] = rows[i];
	qsort(out, n, sizeof(ClvHistory), cmp_hist);
	for (i = 0; i < n; i++)
	{
		if (m > 0 && out[m - 1].x == out[i].x && out[m - 1].tx == out[i].tx &&
			out[m - 1].T == out[i].T)
			out[m - 1].weight += out[i].weight;
		else
			out[m++] = out[i];
	}
	if (m == 0)
	{
		free(out);
		return NULL;
	}
	*nout = m;
	return out;
}

/* Sorted, merged copy of the spend rows. */
ClvSpend *
clv_spend_canonical(const ClvSpend *rows, size_t nrows, size_t *nout)
{
	ClvSpend   *out;
	size_t		i,
				n = 0,
				m = 0;

	*nout = 0;
	if (nrows == 0)
		return NULL;
	out = malloc(nrows * sizeof(ClvSpend));
	if (!out)
		return NULL;
	for (i = 0; i < nrows; i++)
		if (rows[i].weight > 0.0 && isfinite(rows[i].weight) &&
			rows[i].x > 0.0 && isfinite(rows[i].x) &&
			rows[i].mbar > 0.0 && isfinite(rows[i].mbar))
			out[n++] = rows[i];
	qsort(out, n, sizeof(ClvSpend), cmp_spend);
	for (i = 0; i < n; i++)
	{
		if (m > 0 && out[m - 1].x == out[i].x && out[m - 1].mbar == out[i].mbar)
			out[m - 1].weight += out[i].weight;
		else
			out[m++] = out[i];
	}
	if (m == 0)
	{
		free(out);
		return NULL;
	}
	*nout = m;
	return out;
}
