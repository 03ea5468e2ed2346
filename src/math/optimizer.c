/*
 * optimizer.c — BFGS (Nocedal & Wright, Numerical Optimization, 2nd ed.,
 * Alg. 6.1, inverse-Hessian update eq. 6.17) with a backtracking Armijo line
 * search, Nelder-Mead (Lagarias et al. 1998 coefficients 1, 2, 1/2, 1/2), and
 * a finite-difference Hessian for standard errors.  Fixed iteration order and
 * no randomness, so results are deterministic.
 */
#include "math/optimizer.h"

#include <math.h>
#include <string.h>

#define MAX_STEP 3.0			/* largest move of one coordinate per iteration */

bool		(*clv_stop_requested) (void) = NULL;

/* Evaluate f, mapping NaN to +inf so comparisons stay meaningful; +inf once a stop is requested. */
static double
feval(ClvObjective f, void *ctx, const double *x, double *g)
{
	double		v;

	if (clv_stop_requested != NULL && clv_stop_requested())
		return INFINITY;
	v = f(x, g, ctx);

	return isnan(v) ? INFINITY : v;
}

/* Largest absolute entry. */
static double
maxabs(const double *v, int n)
{
	double		m = 0.0;
	int			i;

	for (i = 0; i < n; i++)
		if (fabs(v[i]) > m || isnan(v[i]))
			m = isnan(v[i]) ? INFINITY : fabs(v[i]);
	return m;
}

/* BFGS minimisation of f from theta (overwritten with the best point). */
bool
clv_bfgs(ClvObjective f, void *ctx, int n, double *theta, double *fval,
		 int maxit, double gtol, int *iters)
{
	return clv_bfgs_from(f, ctx, n, theta, NULL, fval, maxit, gtol, iters);
}

/* BFGS from theta and an initial inverse Hessian H0 (n x n, row-major) or NULL for the identity. */
bool
clv_bfgs_from(ClvObjective f, void *ctx, int n, double *theta, const double *H0,
			  double *fval, int maxit, double gtol, int *iters)
{
	double		H[CLV_OPT_MAXN][CLV_OPT_MAXN];
	double		g[CLV_OPT_MAXN],
				gn[CLV_OPT_MAXN],
				p[CLV_OPT_MAXN],
				xn[CLV_OPT_MAXN],
				s[CLV_OPT_MAXN],
				y[CLV_OPT_MAXN];
	double		fx,
				fn = INFINITY;
	int			it,
				i,
				j,
				stall = 0;
	bool		conv = false;

	memset(H, 0, sizeof(H));
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			H[i][j] = H0 ? H0[i * n + j] : (i == j ? 1.0 : 0.0);
	fx = feval(f, ctx, theta, g);
	for (it = 0; it < maxit; it++)
	{
		double		slope = 0.0,
					step = 1.0,
					pmax,
					sy = 0.0;
		int			ls;
		bool		ok = false;

		if (!isfinite(fx) || maxabs(g, n) == INFINITY)
			break;
		if (maxabs(g, n) <= gtol)
		{
			conv = true;
			break;
		}
		for (i = 0; i < n; i++)
		{
			p[i] = 0.0;
			for (j = 0; j < n; j++)
				p[i] -= H[i][j] * g[j];
			slope += p[i] * g[i];
		}
		if (!(slope < 0.0))
		{
			/* not a descent direction: restart from steepest descent */
			memset(H, 0, sizeof(H));
			slope = 0.0;
			for (i = 0; i < n; i++)
			{
				H[i][i] = 1.0;
				p[i] = -g[i];
				slope -= g[i] * g[i];
			}
		}
		/*
		 * From an informed H0, stop once the step's predicted decrease g'Hg/2
		 * is below what the sum over the rows can resolve (1e-14 relative):
		 * BFGS otherwise crawls on at the rounding floor of f, spending most
		 * of a large fit's iterations there.
		 */
		if (H0 != NULL && maxabs(g, n) <= 1e3 * gtol && -slope <= 1e-14 * fabs(fx))
		{
			conv = true;
			break;
		}
		pmax = maxabs(p, n);
		if (pmax > MAX_STEP)
			step = MAX_STEP / pmax;
		for (ls = 0; ls < 60; ls++)
		{
			for (i = 0; i < n; i++)
				xn[i] = theta[i] + step * p[i];
			fn = feval(f, ctx, xn, gn);
			if (fn <= fx + 1e-4 * step * slope && maxabs(gn, n) < INFINITY)
			{
				ok = true;
				break;
			}
			if (isfinite(fn) && fn > fx)
			{
				/* minimiser of the quadratic through fx, slope and fn */
				double		st = -slope * step * step / (2.0 * (fn - fx - slope * step));

				step = fmin(fmax(st, 0.1 * step), 0.5 * step);
			}
			else
				step *= 0.25;
		}
		if (!ok)
			break;
		for (i = 0; i < n; i++)
		{
			s[i] = xn[i] - theta[i];
			y[i] = gn[i] - g[i];
			sy += s[i] * y[i];
		}
		if (fx - fn <= 1e-15 * fabs(fx))
			stall++;
		else
			stall = 0;
		memcpy(theta, xn, sizeof(double) * n);
		memcpy(g, gn, sizeof(double) * n);
		fx = fn;
		if (sy > 1e-300)
		{
			double		Hy[CLV_OPT_MAXN],
						yHy = 0.0,
						rho = 1.0 / sy;

			if (it == 0 && H0 == NULL)
			{
				/* scale the initial inverse Hessian (N&W eq. 6.20) */
				double		yy = 0.0;

				for (i = 0; i < n; i++)
					yy += y[i] * y[i];
				for (i = 0; i < n; i++)
					H[i][i] = sy / yy;
			}
			for (i = 0; i < n; i++)
			{
				Hy[i] = 0.0;
				for (j = 0; j < n; j++)
					Hy[i] += H[i][j] * y[j];
				yHy += y[i] * Hy[i];
			}
			for (i = 0; i < n; i++)
				for (j = 0; j < n; j++)
					H[i][j] += (1.0 + rho * yHy) * rho * s[i] * s[j]
						- rho * (Hy[i] * s[j] + s[i] * Hy[j]);
		}
		if (stall >= 3)
		{
			conv = maxabs(g, n) <= 1e3 * gtol;
			it++;
			break;
		}
	}
	*fval = fx;
	*iters = it;
	return conv;
}

/*
 * Nelder-Mead minimisation of f from theta (overwritten with the best
 * point), gradient not used; true when the simplex collapsed.
 */
static bool
clv_nelder_mead(ClvObjective f, void *ctx, int n, double *theta, double *fval,
				int maxit, double ftol, int *iters)
{
	double		v[CLV_OPT_MAXN + 1][CLV_OPT_MAXN];
	double		fv[CLV_OPT_MAXN + 1];
	double		c[CLV_OPT_MAXN],
				xr[CLV_OPT_MAXN],
				xe[CLV_OPT_MAXN];
	int			it,
				i,
				j;
	bool		conv = false;

	for (i = 0; i <= n; i++)
	{
		memcpy(v[i], theta, sizeof(double) * n);
		if (i > 0)
			v[i][i - 1] += 0.5;
		fv[i] = feval(f, ctx, v[i], NULL);
	}
	for (it = 0; it < maxit; it++)
	{
		double		fr,
					size = 0.0;

		/* insertion sort of the vertices by value (stable: deterministic) */
		for (i = 1; i <= n; i++)
			for (j = i; j > 0 && fv[j] < fv[j - 1]; j--)
			{
				double		tf = fv[j],
							tv[CLV_OPT_MAXN];

				memcpy(tv, v[j], sizeof(tv));
				memcpy(v[j], v[j - 1], sizeof(tv));
				memcpy(v[j - 1], tv, sizeof(tv));
				fv[j] = fv[j - 1];
				fv[j - 1] = tf;
			}
		for (i = 1; i <= n; i++)
			for (j = 0; j < n; j++)
				size = fmax(size, fabs(v[i][j] - v[0][j]));
		if (fv[n] - fv[0] <= ftol * (fabs(fv[0]) + 1e-300) && size < 1e-6)
		{
			conv = true;
			break;
		}
		for (j = 0; j < n; j++)
		{
			c[j] = 0.0;
			for (i = 0; i < n; i++)
				c[j] += v[i][j] / n;
			xr[j] = c[j] + (c[j] - v[n][j]);
		}
		fr = feval(f, ctx, xr, NULL);
		if (fr < fv[0])
		{
			double		fe;

			for (j = 0; j < n; j++)
				xe[j] = c[j] + 2.0 * (c[j] - v[n][j]);
			fe = feval(f, ctx, xe, NULL);
			if (fe < fr)
			{
				memcpy(v[n], xe, sizeof(double) * n);
				fv[n] = fe;
			}
			else
			{
				memcpy(v[n], xr, sizeof(double) * n);
				fv[n] = fr;
			}
		}
		else if (fr < fv[n - 1])
		{
			memcpy(v[n], xr, sizeof(double) * n);
			fv[n] = fr;
		}
		else
		{
			double		fc;
			bool		outside = fr < fv[n];

			for (j = 0; j < n; j++)
				xe[j] = outside ? c[j] + 0.5 * (xr[j] - c[j])
					: c[j] + 0.5 * (v[n][j] - c[j]);
			fc = feval(f, ctx, xe, NULL);
			if (fc < (outside ? fr : fv[n]))
			{
				memcpy(v[n], xe, sizeof(double) * n);
				fv[n] = fc;
			}
			else
			{
				for (i = 1; i <= n; i++)
				{
					for (j = 0; j < n; j++)
						v[i][j] = v[0][j] + 0.5 * (v[i][j] - v[0][j]);
					fv[i] = feval(f, ctx, v[i], NULL);
				}
			}
		}
	}
	j = 0;
	for (i = 1; i <= n; i++)
		if (fv[i] < fv[j])
			j = i;
	memcpy(theta, v[j], sizeof(double) * n);
	*fval = fv[j];
	*iters = it;
	return conv;
}

/*
 * The inverse of the finite-difference Hessian of scale * f at theta into
 * Hinv (n x n, row-major); false when the Hessian is not positive definite.
 */
bool
clv_inverse_hessian(ClvObjective f, void *ctx, int n, const double *theta,
					double scale, bool use_grad, double *Hinv)
{
	double		Hm[CLV_OPT_MAXN][CLV_OPT_MAXN],
				L[CLV_OPT_MAXN][CLV_OPT_MAXN],
				inv[CLV_OPT_MAXN][CLV_OPT_MAXN];
	double		x[CLV_OPT_MAXN],
				gp[CLV_OPT_MAXN],
				gm[CLV_OPT_MAXN];
	int			i,
				j,
				k;
	bool		pd = true;

	memcpy(x, theta, sizeof(double) * n);
	if (use_grad)
	{
		const double h = 1e-5;

		for (j = 0; j < n; j++)
		{
			x[j] = theta[j] + h;
			feval(f, ctx, x, gp);
			x[j] = theta[j] - h;
			feval(f, ctx, x, gm);
			x[j] = theta[j];
			for (i = 0; i < n; i++)
				Hm[i][j] = (gp[i] - gm[i]) / (2.0 * h);
		}
	}
	else
	{
		const double h = 1e-4;
		double		f0 = feval(f, ctx, x, NULL);

		for (i = 0; i < n; i++)
			for (j = 0; j <= i; j++)
			{
				double		fpp,
							fpm,
							fmp,
							fmm;

				if (i == j)
				{
					x[i] = theta[i] + h;
					fpp = feval(f, ctx, x, NULL);
					x[i] = theta[i] - h;
					fmm = feval(f, ctx, x, NULL);
					x[i] = theta[i];
					Hm[i][i] = (fpp - 2.0 * f0 + fmm) / (h * h);
					continue;
				}
				x[i] = theta[i] + h;
				x[j] = theta[j] + h;
				fpp = feval(f, ctx, x, NULL);
				x[j] = theta[j] - h;
				fpm = feval(f, ctx, x, NULL);
				x[i] = theta[i] - h;
				fmm = feval(f, ctx, x, NULL);
				x[j] = theta[j] + h;
				fmp = feval(f, ctx, x, NULL);
				x[i] = theta[i];
				x[j] = theta[j];
				Hm[i][j] = Hm[j][i] = (fpp - fpm - fmp + fmm) / (4.0 * h * h);
			}
	}
	/* symmetrise, scale, Cholesky */
	for (i = 0; i < n; i++)
		for (j = 0; j <= i; j++)
			Hm[i][j] = Hm[j][i] = 0.5 * (Hm[i][j] + Hm[j][i]) * scale;
	memset(L, 0, sizeof(L));
	for (j = 0; j < n && pd; j++)
	{
		double		d = Hm[j][j];

		for (k = 0; k < j; k++)
			d -= L[j][k] * L[j][k];
		if (!(d > 0.0) || !isfinite(d))
		{
			pd = false;
			break;
		}
		L[j][j] = sqrt(d);
		for (i = j + 1; i < n; i++)
		{
			double		sv = Hm[i][j];

			for (k = 0; k < j; k++)
				sv -= L[i][k] * L[j][k];
			L[i][j] = sv / L[j][j];
		}
	}
	if (!pd)
		return false;
	/* inverse of L */
	memset(inv, 0, sizeof(inv));
	for (j = 0; j < n; j++)
	{
		inv[j][j] = 1.0 / L[j][j];
		for (i = j + 1; i < n; i++)
		{
			double		sv = 0.0;

			for (k = j; k < i; k++)
				sv -= L[i][k] * inv[k][j];
			inv[i][j] = sv / L[i][i];
		}
	}
	/* (L L^T)^-1 = L^-T L^-1 */
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
		{
			double		v = 0.0;

			for (k = 0; k < n; k++)
				v += inv[k][i] * inv[k][j];
			Hinv[i * n + j] = v;
		}
	return true;
}

/* Standard errors: square roots of the inverse Hessian's diagonal. */
void
clv_hessian_se(ClvObjective f, void *ctx, int n, const double *theta,
			   double scale, bool use_grad, double *se)
{
	double		Hinv[CLV_OPT_MAXN * CLV_OPT_MAXN];
	int			j;
	bool		pd = clv_inverse_hessian(f, ctx, n, theta, scale, use_grad, Hinv);

	for (j = 0; j < n; j++)
		se[j] = pd ? sqrt(Hinv[j * n + j]) : NAN;
}

/* Multi-start driver, see optimizer.h. */
bool
clv_minimise(ClvObjective f, void *ctx, int n, const double *starts,
			 int nstarts, bool nm_first, double gtol, double *theta,
			 double *fval, int *iters)
{
	double		best = INFINITY;
	bool		bestconv = false;
	int			k,
				bestit = 0;

	memcpy(theta, starts, sizeof(double) * n);
	for (k = 0; k < nstarts; k++)
	{
		double		x[CLV_OPT_MAXN],
					fx;
		int			it1 = 0,
					it2 = 0;
		bool		conv;

		memcpy(x, starts + k * n, sizeof(double) * n);
		if (nm_first)
			clv_nelder_mead(f, ctx, n, x, &fx, 200, 1e-10, &it1);
		conv = clv_bfgs(f, ctx, n, x, &fx, 500, gtol, &it2);
		if (fx < best)
		{
			best = fx;
			bestconv = conv;
			bestit = it1 + it2;
			memcpy(theta, x, sizeof(double) * n);
		}
		/* the starts are fallbacks: stop at the first converged one */
		if (bestconv)
			break;
	}
	if (!bestconv && isfinite(best))
	{
		double		x[CLV_OPT_MAXN],
					fx;
		int			it1 = 0,
					it2 = 0;
		bool		conv;

		memcpy(x, theta, sizeof(double) * n);
		clv_nelder_mead(f, ctx, n, x, &fx, 2000, 1e-14, &it1);
		conv = clv_bfgs(f, ctx, n, x, &fx, 500, gtol, &it2);
		bestit += it1 + it2;
		if (fx <= best)
		{
			best = fx;
			bestconv = conv;
			memcpy(theta, x, sizeof(double) * n);
		}
	}
	/* a log-parameter beyond +-18 means the supremum is on the boundary */
	for (k = 0; k < n; k++)
		if (fabs(theta[k]) > 18.0)
			bestconv = false;
	*fval = best;
	*iters = bestit;
	return bestconv;
}
