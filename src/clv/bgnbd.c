/*
 * bgnbd.c — BG/NBD model (Fader, Hardie & Lee 2005), formulas in
 * doc/clv.md, "BG/NBD: ..." sections: stable log-likelihood (Fader &
 * Hardie 2013, note 027), its analytic gradient, P(alive) as a logistic,
 * conditional expectation through
 * the Euler-transformed bracket (hyp2f1.c) with a Beta-mixture quadrature
 * fallback, the unconditional PMF and discounted expected purchases.
 *
 * Edge cases: a = 1 and c = a+b+x-1 <= 0 need no special handling in the
 * bracket (see hyp2f1.c); x = 0 never forms ln(b+x-1).
 * Cost: for t/(alpha+T+t) > 0.99 the bracket series gives way to the
 * quadrature fallback, tens of times costlier, so discounting over horizons
 * far beyond alpha+T (e.g. H = 1e5 weeks at delta = 0.0027) is the slow case.
 */
#include "clv/models.h"

#include "clv/discount.h"
#include "clv/fit_steps.h"
#include "math/hyp2f1.h"
#include "math/optimizer.h"
#include "math/quadrature.h"
#include "math/special_functions.h"

#include <math.h>
#include <stdlib.h>

/* ln P(dead-at-t_x branch) minus ln P(alive branch), for x > 0. */
static double
bg_logodds_dead(const double *p, double x, double tx, double T)
{
	double		r = p[0],
				al = p[1],
				a = p[2],
				b = p[3];

	return log(a) - log(b + x - 1.0) + (r + x) * log1p((T - tx) / (al + tx));
}

/* Per-customer log-likelihood (doc/clv.md, "BG/NBD: likelihood"). */
double
clv_bgnbd_loglik(const double *p, double x, double tx, double T)
{
	double		r = p[0],
				al = p[1],
				a = p[2],
				b = p[3];
	double		ll;

	ll = clv_lgamma(r + x) - clv_lgamma(r) + r * log(al)
		+ clv_lgamma(b + x) - clv_lgamma(b) + clv_lgamma(a + b) - clv_lgamma(a + b + x)
		- (r + x) * log(al + T);
	if (x > 0.0)
		ll += clv_log1pexp(bg_logodds_dead(p, x, tx, T));
	return ll;
}

/* P(alive at T | x, tx, T) (doc/clv.md, "BG/NBD: P(alive)"). */
double
clv_bgnbd_p_alive(const double *p, double x, double tx, double T)
{
	double		e;

	if (x <= 0.0)
		return 1.0;
	/*
	 * odds of death a/(b+x-1) ((alpha+T)/(alpha+tx))^(r+x), as a product while
	 * e^e is finite.  log of the ratio rather than log1p: e only needs an
	 * absolute error of a few ulps for e^e, and libm's log is the faster.
	 * That holds while r + x is moderate; the ratio's rounding is multiplied
	 * by r + x (r = 1e300 turned e = 2 into 0), so past that log1p.
	 */
	if (p[0] + x < 1e3)
		e = (p[0] + x) * log((p[1] + T) / (p[1] + tx));
	else
		e = (p[0] + x) * log1p((T - tx) / (p[1] + tx));
	if (e < 700.0)
		return 1.0 / (1.0 + p[2] / (p[3] + x - 1.0) * exp(e));
	return 1.0 / (1.0 + exp(bg_logodds_dead(p, x, tx, T)));
}

typedef struct BgMix
{
	double		a;
	double		bx;
	double		k;
	double		lu;				/* ln u, u = t/(alpha+T) */
	double		lb;				/* ln B(a, bx) */
} BgMix;

/*
 * Log-integrand of E_p[(1 - (1+pu)^-k)/p], p ~ Beta(a, bx), in y = logit p;
 * unimodal (slopes a, a-1, -bx from left to right).
 */
static double
bg_mix_phi(double y, void *vctx, double *mom)
{
	BgMix	   *m = (BgMix *) vctx;
	double		lp = -clv_log1pexp(-y),
				lq = -clv_log1pexp(y),
				lw = lp + m->lu,
				w = exp(lw),
				lg;

	/* ln(1 - (1+w)^-k); for tiny w use k w (1 - (k+1) w/2) to avoid underflow */
	if (lw < -30.0)
		lg = log(m->k) + lw + log1p(-0.5 * (m->k + 1.0) * w);
	else
		lg = log(-expm1(-m->k * log1p(w)));
	return m->a * lp + m->bx * lq + lg - lp - m->lb;
}

/* Bracket D by quadrature of the Beta mixture (fallback for z -> 1). */
static double
bg_bracket_quad(double k, double a, double bx, double lu)
{
	BgMix		m;
	double		w0 = 1.0 / sqrt(1.0 + a + bx + k),
				y0 = -40.0 - fmax(lu, 0.0) - log(k + 1.0),
				body;

	m.a = a;
	m.bx = bx;
	m.k = k;
	m.lu = lu;
	m.lb = clv_lbeta(a, bx);
	body = clv_quad_logint(bg_mix_phi, &m, y0, 750.0, w0, 4.0, 0, NULL);
	/* below y0, p and p u are < e^-40: phi is linear with slope a there */
	return exp(clv_lse(body, bg_mix_phi(y0, &m, NULL) - log(a)));
}

/*
 * E[purchases in (T, T+t] | alive at T] = D (doc/clv.md, "BG/NBD: expected
 * purchases").
 */
static double
bg_bracket(const double *p, double x, double T, double t)
{
	double		r = p[0],
				al = p[1],
				a = p[2],
				b = p[3];
	double		d;

	if (!(t > 0.0))
		return 0.0;
	d = clv_hyp2f1_bgnbd_bracket(r + x, a, b + x, t / (al + T + t),
								 -log1p(t / (al + T)));
	if (isnan(d))
		d = bg_bracket_quad(r + x, a, b + x, log(t) - log(al + T));
	return d;
}

/*
 * Unconditional E[X(t)] for a new customer (doc/clv.md, "BG/NBD: expected
 * purchases", FHL05 eq. 9).
 */
double
clv_bgnbd_expected(const double *p, double t)
{
	return bg_bracket(p, 0.0, 0.0, t);
}

/*
 * E[Y(t) | alive at T, x]: given that the customer is active, the posterior
 * of (lambda, p) depends on x and T only, so this is the bracket D.
 */
double
clv_bgnbd_expected_if_alive(const double *p, double x, double T, double t)
{
	return bg_bracket(p, x, T, t);
}

/*
 * E[Y(t) | x, tx, T] = P(alive) E[Y(t) | alive, x, T] (doc/clv.md, "BG/NBD:
 * expected purchases", FHL05 eq. 10).
 */
double
clv_bgnbd_expected_conditional(const double *p, double x, double tx,
							   double T, double t)
{
	return clv_bgnbd_p_alive(p, x, tx, T) * bg_bracket(p, x, T, t);
}

/* P(X(t) = n) for a new customer (doc/clv.md, "BG/NBD: PMF"). */
double
clv_bgnbd_pmf(const double *p, int n, double t)
{
	double		r = p[0],
				al = p[1],
				a = p[2],
				b = p[3];
	double		lbab = clv_lbeta(a, b),
				ly = -log1p(t / al),	/* ln(alpha/(alpha+t)) */
				lz,
				res;

	if (n < 0)
		return 0.0;
	if (!(t > 0.0))
		return n == 0 ? 1.0 : 0.0;
	lz = log(t) - log(al + t);
	if (fmax(fmax(fabs(lbab), fabs(clv_lgamma(r + n))), fabs(r * ly)) > CLV_MAX_CANCELLED_LOG)
		return NAN;
	res = exp(clv_lbeta(a, b + n) - lbab + clv_lgamma(r + n) - clv_lgamma(r)
			  - clv_lgamma(n + 1.0) + r * ly + n * lz);
	if (n > 0)
		res += exp(clv_lbeta(a + 1.0, b + n - 1.0) - lbab)
			* clv_incbeta(n, r, t / (al + t), al / (al + t));
	return res;
}

/* Discounted expected purchases (discount.h); alpha = p[1] is the time scale. */
double
clv_bgnbd_discounted_if_alive(const double *p, double x, double T, double H, double delta)
{
	return clv_discounted_if_alive(clv_bgnbd_expected_if_alive, p, 1, x, T, H, delta);
}

double
clv_bgnbd_discounted_purchases(const double *p, double x, double tx,
							   double T, double H, double delta)
{
	return clv_discounted_purchases(clv_bgnbd_p_alive, clv_bgnbd_expected_if_alive, p, 1,
									x, tx, T, H, delta);
}

/* ---- fit ---- */

typedef struct BgData
{
	const ClvHistory *rows;		/* canonical rows, times already scaled */
	size_t		n;
	double		wsum;
} BgData;

/*
 * Mean negative log-likelihood over the weighted rows and its gradient on
 * theta = ln(params) (the gradient of doc/clv.md, "BG/NBD: likelihood",
 * times the chain-rule factor p_j).
 * Per-x special functions are computed once per run of equal x.
 */
static double
bg_objective(const double *th, double *grad, void *vctx)
{
	BgData	   *d = (BgData *) vctx;
	double		r = exp(th[0]),
				al = exp(th[1]),
				a = exp(th[2]),
				b = exp(th[3]);
	double		lgr = clv_lgamma(r),
				lgb = clv_lgamma(b),
				lgab = clv_lgamma(a + b),
				psr = 0,
				psb = 0,
				psab = 0,
				la = log(al),
				lga = 0,
				lgbx = 0,
				lgabx = 0,
				psrx = 0,
				psbx = 0,
				psabx = 0,
				lbx1 = 0,
				lna = log(a),
				xprev = -1.0;
	double		f = 0.0,
				g[4] = {0, 0, 0, 0};
	size_t		i;

	if (!isfinite(r + al + a + b) || r <= 0 || al <= 0 || a <= 0 || b <= 0)
		return INFINITY;
	if (grad)
	{
		psr = clv_digamma(r);
		psb = clv_digamma(b);
		psab = clv_digamma(a + b);
	}
	for (i = 0; i < d->n; i++)
	{
		const ClvHistory *h = &d->rows[i];
		double		x = h->x,
					w = h->weight,
					lT = log(al + h->T),
					ll,
					pdead = 0.0;

		if (x != xprev)
		{
			lga = clv_lgamma(r + x);
			lgbx = clv_lgamma(b + x);
			lgabx = clv_lgamma(a + b + x);
			lbx1 = x > 0.0 ? log(b + x - 1.0) : 0.0;
			if (grad)
			{
				psrx = clv_digamma(r + x);
				psbx = clv_digamma(b + x);
				psabx = clv_digamma(a + b + x);
			}
			xprev = x;
		}
		ll = lga - lgr + r * la + lgbx - lgb + lgab - lgabx - (r + x) * lT;
		if (x > 0.0)
		{
			double		lo = lna - lbx1
				+ (r + x) * log1p((h->T - h->tx) / (al + h->tx)),
						e = exp(-fabs(lo));

			/* log1p(e^lo) and the logistic e^lo/(1+e^lo) from one exp */
			ll += (lo > 0 ? lo : 0.0) + log1p(e);
			pdead = lo > 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
		}
		f -= w * ll;
		if (grad)
		{
			double		lx = log(al + h->tx);

			g[0] -= w * r * (psrx - psr + la - (1.0 - pdead) * lT - pdead * lx);
			g[1] -= w * al * (r / al - (r + x) * ((1.0 - pdead) / (al + h->T)
												 + pdead / (al + h->tx)));
			g[2] -= w * a * (psab - psabx + pdead / a);
			g[3] -= w * b * (psab + psbx - psb - psabx
							 - (x > 0.0 ? pdead / (b + x - 1.0) : 0.0));
		}
	}
	if (grad)
		for (i = 0; i < 4; i++)
			grad[i] = g[i] / d->wsum;
	return f / d->wsum;
}

/*
 * Over many distinct histories, the optimum of a subsample of them and the
 * inverse Hessian there: BFGS on all rows from both takes a few iterations
 * instead of 20-30 (make check-clv times it).  False
 * when the rows are few or the subsample fit failed.
 */
static bool
bg_subsample_start(const ClvHistory *rows, size_t n, const double *starts, int nstarts,
				   double *th, double *Hinv)
{
	BgData		ds;
	ClvHistory *sub = clv_rows_subsample(rows, n, &ds.n, &ds.wsum);
	double		fval;
	int			iterations;
	bool		ok;

	if (!sub)
		return false;
	ds.rows = sub;
	ok = clv_minimise(bg_objective, &ds, 4, starts, nstarts, false, 1e-6, th, &fval, &iterations)
		&& clv_inverse_hessian(bg_objective, &ds, 4, th, 1.0, true, Hinv);
	free(sub);
	return ok;
}

/* Maximum-likelihood fit on compressed histories (doc/clv.md, "Fit strategy"). */
void
clv_bgnbd_fit(const ClvHistory *rows, size_t nrows, ClvFit *fit)
{
	static const double starts0[3][4] = {
		{1.0, 1.0, 1.0, 1.0}, {0.5, 0.1, 0.5, 2.0}, {2.0, 5.0, 2.0, 5.0}
	};
	double		starts[12],
				Hinv[16],
				th[4],
				se[4],
				fval,
				scale = 0.0,
				ll;
	ClvHistory *cr;
	BgData		d;
	size_t		n;
	int			j,
				k;

	clv_fit_start(fit, 4, starts0[0]);
	cr = clv_rows_scaled(rows, nrows, &n, &scale, &d.wsum);
	if (!cr)
		return;
	d.rows = cr;
	d.n = n;
	for (k = 0; k < 3; k++)
		for (j = 0; j < 4; j++)
			starts[4 * k + j] = log(starts0[k][j]);
	fit->converged = bg_subsample_start(cr, n, starts, 3, th, Hinv) &&
		clv_bfgs_from(bg_objective, &d, 4, th, Hinv, &fval, 500, 1e-9, &fit->iterations) &&
		fabs(th[0]) <= 18.0 && fabs(th[1]) <= 18.0 && fabs(th[2]) <= 18.0 && fabs(th[3]) <= 18.0;
	if (!fit->converged)
		fit->converged = clv_minimise(bg_objective, &d, 4, starts, 3, false, 1e-9,
									  th, &fval, &fit->iterations);
	clv_hessian_se(bg_objective, &d, 4, th, d.wsum, true, se);
	clv_fit_from_log(fit, th, se, scale, 1, -1);
	ll = clv_rows_unscaled_loglik(cr, n, scale, bg_objective(th, NULL, &d), d.wsum);
	fit->log_likelihood = ll;
	if (!isfinite(ll))
		fit->converged = false;
	/* without any repeat purchase the MLE does not exist (sup at r -> 0) */
	if (cr[n - 1].x <= 0.0)
		fit->converged = false;
	free(cr);
}
