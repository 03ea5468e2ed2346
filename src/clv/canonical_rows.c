/*
 * canonical_rows.c — canonical row order for the fits.  Sorting by the full key
 * (weight last) and merging duplicates makes every fit independent of the
 * order in which the caller supplies rows, bit for bit.
 */
#include "clv/canonical_rows.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Three-way compare of doubles (inputs are finite here). */
static int
cmpd(double a, double b)
{
	return (a > b) - (a < b);
}

/* qsort order for histories: x, tx, T, weight. */
static int
cmp_hist(const void *pa, const void *pb)
{
	const ClvHistory *a = pa,
			   *b = pb;
	int			c;

	if ((c = cmpd(a->x, b->x)) != 0)
		return c;
	if ((c = cmpd(a->tx, b->tx)) != 0)
		return c;
	if ((c = cmpd(a->T, b->T)) != 0)
		return c;
	return cmpd(a->weight, b->weight);
}

/* qsort order for spend rows: x, mbar, weight. */
static int
cmp_spend(const void *pa, const void *pb)
{
	const ClvSpend *a = pa,
			   *b = pb;
	int			c;

	if ((c = cmpd(a->x, b->x)) != 0)
		return c;
	if ((c = cmpd(a->mbar, b->mbar)) != 0)
		return c;
	return cmpd(a->weight, b->weight);
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

void
clv_fit_start(ClvFit *fit, int nparams, const double *start)
{
	int			j;

	fit->nparams = nparams;
	fit->iterations = 0;
	fit->converged = false;
	for (j = 0; j < CLV_MAX_PARAMS; j++)
	{
		fit->params[j] = j < nparams ? start[j] : 0.0;
		fit->se[j] = NAN;
	}
	fit->log_likelihood = 0.0;	/* empty input: the sum over no customers */
}

ClvHistory *
clv_rows_scaled(const ClvHistory *rows, size_t nrows, size_t *nout, double *scale, double *wsum)
{
	ClvHistory *cr = clv_rows_canonical(rows, nrows, nout);
	size_t		i;

	*scale = 0.0;
	*wsum = 0.0;
	if (!cr)
		return NULL;
	for (i = 0; i < *nout; i++)
		*scale = fmax(*scale, cr[i].T);
	if (!(*scale > 0.0))
		*scale = 1.0;
	for (i = 0; i < *nout; i++)
	{
		cr[i].tx /= *scale;
		cr[i].T /= *scale;
		*wsum += cr[i].weight;
	}
	return cr;
}

double
clv_rows_unscaled_loglik(const ClvHistory *rows, size_t n, double scale, double mean_nll, double wsum)
{
	double		purchases = 0.0;
	size_t		i;

	for (i = 0; i < n; i++)
		purchases += rows[i].weight * rows[i].x;
	return -mean_nll * wsum - log(scale) * purchases;
}

size_t		clv_subsample_min_rows = 2 * CLV_SUBSAMPLE_ROWS;

ClvHistory *
clv_rows_subsample(const ClvHistory *rows, size_t n, size_t *nout, double *wsum)
{
	size_t		k = n / CLV_SUBSAMPLE_ROWS,
				i;
	ClvHistory *sub;

	*nout = 0;
	*wsum = 0.0;
	if (n < clv_subsample_min_rows || n < CLV_SUBSAMPLE_ROWS)
		return NULL;
	sub = malloc(sizeof(ClvHistory) * (n / k + 1));
	if (!sub)
		return NULL;
	for (i = 0; i < n; i += k)
	{
		sub[(*nout)++] = rows[i];
		*wsum += rows[i].weight;
	}
	return sub;
}

void
clv_fit_from_log(ClvFit *fit, const double *theta, const double *se_theta,
				 double scale, int time_param1, int time_param2)
{
	int			j;

	for (j = 0; j < fit->nparams; j++)
	{
		fit->params[j] = exp(theta[j]);
		fit->se[j] = fit->params[j] * se_theta[j];
		if (j == time_param1 || j == time_param2)
		{
			fit->params[j] *= scale;
			fit->se[j] *= scale;
		}
	}
}
