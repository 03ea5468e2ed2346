/*
 * fit_steps.c — steps shared by the maximum-likelihood fits of the CLV
 * models (fit_steps.h).
 */
#include "clv/fit_steps.h"

#include <math.h>
#include <stdlib.h>

#include "clv/canonical_rows.h"

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
