/*
 * gamma_gamma.c — Gamma-Gamma spend model (Fader, Hardie & Lee 2005b;
 * Fader & Hardie 2013 note 025), doc/clv.md, "Gamma-Gamma spend model".
 *
 * The fit is unconstrained on ln(p, q, v), which reproduces the published
 * CDNOW estimate (q = 3.74 > 1).  q <= 1 is therefore possible; then the
 * population mean p v/(q-1) does not exist, and clv_gg_expected_spend
 * returns NaN where the posterior mean is infinite (see there).
 */
#include "clv/models.h"

#include "clv/canonical_rows.h"
#include "clv/fit_steps.h"
#include "math/optimizer.h"
#include "math/special_functions.h"

#include <math.h>
#include <stdlib.h>

/* Per-customer log-density of the mean spend mbar over x > 0 purchases. */
double
clv_gg_loglik(const double *p, double x, double mbar)
{
	double		pp = p[0],
				q = p[1],
				v = p[2],
				px = pp * x;

	return clv_lgamma(px + q) - clv_lgamma(px) - clv_lgamma(q) + q * log(v)
		+ (px - 1.0) * log(mbar) + px * log(x) - (px + q) * log(v + x * mbar);
}

/*
 * E[M | x, mbar] = p (v + x mbar) / (p x + q - 1), the posterior mean of
 * p/nu with nu ~ Gamma(px + q, v + x mbar).  It is finite iff px + q > 1;
 * for x = 0 it is the population mean p v/(q - 1).  When px + q <= 1 (in
 * particular x = 0 with q <= 1) the mean is infinite and NaN is returned:
 * the SQL caller maps it to NULL.
 */
double
clv_gg_expected_spend(const double *p, double x, double mbar)
{
	double		pp = p[0],
				q = p[1],
				v = p[2],
				den = pp * x + q - 1.0;

	if (x <= 0.0)
		return q > 1.0 ? pp * v / (q - 1.0) : NAN;
	if (!(den > 0.0))
		return NAN;
	return pp * (v + x * mbar) / den;
}

typedef struct GgData
{
	const ClvSpend *rows;		/* canonical rows, spend already scaled */
	size_t		n;
	double		wsum;
} GgData;

/*
 * Mean negative log-likelihood and gradient on ln(p, q, v) (doc/clv.md,
 * "Gamma-Gamma spend model").
 */
static double
gg_objective(const double *th, double *grad, void *vctx)
{
	GgData	   *d = (GgData *) vctx;
	double		pp = exp(th[0]),
				q = exp(th[1]),
				v = exp(th[2]);
	double		lgq = clv_lgamma(q),
				lv = log(v),
				psq = 0.0,
				f = 0.0,
				g[3] = {0, 0, 0};
	size_t		i;

	if (!isfinite(pp + q + v) || pp <= 0 || q <= 0 || v <= 0)
		return INFINITY;
	if (grad)
		psq = clv_digamma(q);
	for (i = 0; i < d->n; i++)
	{
		double		x = d->rows[i].x,
					m = d->rows[i].mbar,
					w = d->rows[i].weight,
					px = pp * x,
					lden = log(v + x * m),
					lm = log(m),
					lx = log(x);

		f -= w * (clv_lgamma(px + q) - clv_lgamma(px) - lgq + q * lv
				  + (px - 1.0) * lm + px * lx - (px + q) * lden);
		if (grad)
		{
			double		ps1 = clv_digamma(px + q);

			g[0] -= w * pp * x * (ps1 - clv_digamma(px) + lm + lx - lden);
			g[1] -= w * q * (ps1 - psq + lv - lden);
			g[2] -= w * v * (q / v - (px + q) / (v + x * m));
		}
	}
	if (grad)
		for (i = 0; i < 3; i++)
			grad[i] = g[i] / d->wsum;
	return f / d->wsum;
}

/* Maximum-likelihood fit on (x, mbar) rows with x > 0 (others ignored). */
void
clv_gg_fit(const ClvSpend *rows, size_t nrows, ClvFit *fit)
{
	static const double starts0[3][3] = {
		{1.0, 1.0, 1.0}, {5.0, 3.0, 10.0}, {0.5, 5.0, 1.0}
	};
	double		starts[9],
				th[3],
				se[3],
				fval,
				scale = 0.0,
				ll = 0.0;
	ClvSpend   *cr;
	GgData		d;
	size_t		n,
				i;
	int			j,
				k;

	clv_fit_start(fit, 3, starts0[0]);
	cr = clv_spend_canonical(rows, nrows, &n);
	if (!cr)
		return;
	/* scale spend by its weighted mean: v scales with it, p and q do not */
	d.wsum = 0.0;
	for (i = 0; i < n; i++)
	{
		scale += cr[i].weight * cr[i].mbar;
		d.wsum += cr[i].weight;
	}
	scale /= d.wsum;
	for (i = 0; i < n; i++)
		cr[i].mbar /= scale;
	d.rows = cr;
	d.n = n;
	for (k = 0; k < 3; k++)
		for (j = 0; j < 3; j++)
			starts[3 * k + j] = log(starts0[k][j]);
	fit->converged = clv_minimise(gg_objective, &d, 3, starts, 3, false, 1e-9,
								  th, &fval, &fit->iterations);
	clv_hessian_se(gg_objective, &d, 3, th, d.wsum, true, se);
	clv_fit_from_log(fit, th, se, scale, 2, -1);	/* v scales with spend */
	for (i = 0; i < n; i++)
		ll += cr[i].weight * clv_gg_loglik(fit->params, cr[i].x,
										   cr[i].mbar * scale);
	fit->log_likelihood = ll;
	if (!isfinite(ll))
		fit->converged = false;
	free(cr);
}
