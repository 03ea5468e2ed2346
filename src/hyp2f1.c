/*
 * hyp2f1.c — Gauss hypergeometric 2F1 in the two shapes used by the CLV
 * models (../shared/notes/clv-math.md §1.4, §3.3).
 *
 * Pareto/NBD, 2F1(rho, b; rho+1; z), z in [0, 1): all series terms are
 * positive.  The representation with the smaller second parameter is used,
 * either the direct series or the Euler transform
 *   2F1(rho, b; rho+1; z) = (1-z)^(1-b) 2F1(1, rho+1-b; rho+1; z)
 * (A&S 15.3.3).  Partials in rho, b, z come from term-by-term derivatives in
 * the same loop.  Above z = 0.95 the Euler integral (A&S 15.3.1)
 *   2F1 = rho * int_0^1 t^(rho-1) (1 - z t)^(-b) dt
 * is integrated in log space (clv_quad.c), split at t = 1/2, with variables
 * ln t and -ln(1 - z t) so that both end layers are resolved.
 *
 * BG/NBD bracket: with A = c - k and the Euler transform
 *   (1-z)^k 2F1(k, bx; c; z) = (1-z)^(a-1) 2F1(A, a-1; c; z),
 * and (a-1)_n = (a-1)(a)_{n-1}, (c)_n = c (c+1)_{n-1}, one gets
 *   D = c (1 - (1-z)^(a-1))/(a-1) - (1-z)^(a-1) S,
 *   S = sum_{n>=1} (A)_n (a)_{n-1} z^n / ((c+1)_{n-1} n!),
 * which has neither the a = 1 nor the c = 0 singularity.
 */
#include "hyp2f1.h"

#include "clv_quad.h"
#include "clv_special.h"

#include <float.h>
#include <math.h>

#define PNBD_SERIES_ZMAX 0.95
#define BG_SERIES_ZMAX 0.99
#define MAX_TERMS 100000
#define LN2 0.693147180559945309417232121458
#define LN10 2.30258509299404568401799145468

/* Direct series of 2F1(rho, b; rho+1; z), log value and partials. */
static double
pnbd_direct(double rho, double b, double z, double *d)
{
	double		t = 1.0,
				s = 1.0,
				sr = 0.0,
				sb = 0.0,
				sz = 0.0,
				dr = 0.0,
				db = 0.0,
				lscale = 0.0;
	int			n;

	for (n = 0; n < MAX_TERMS; n++)
	{
		double		ratio = (rho + n) * (b + n) * z / ((rho + 1.0 + n) * (n + 1.0));

		t *= ratio;
		if (d)
		{
			dr += 1.0 / (rho + n) - 1.0 / (rho + 1.0 + n);
			db += 1.0 / (b + n);
			sr += t * dr;
			sb += t * db;
			sz += (n + 1.0) * t;
		}
		s += t;
		if (s > 1e250)
		{
			t *= 1e-250;
			s *= 1e-250;
			sr *= 1e-250;
			sb *= 1e-250;
			sz *= 1e-250;
			lscale += 250.0 * LN10;
		}
		if (ratio < 1.0 && t <= 1e-17 * s * (1.0 - fmax(ratio, z)))
			break;
	}
	if (d)
	{
		d[0] = sr / s;
		d[1] = sb / s;
		/* d/dz of sum t_n is sum n t_n / z; at z = 0 it is rho b/(rho+1) */
		d[2] = z > 0.0 ? sz / (s * z) : rho * b / (rho + 1.0);
	}
	return log(s) + lscale;
}

/* Euler-transformed series (1-z)^(1-b) 2F1(1, rho+1-b; rho+1; z). */
static double
pnbd_euler(double rho, double b, double z, double zc, double *d)
{
	double		e = rho + 1.0 - b;
	double		t = 1.0,
				s = 1.0,
				sr = 0.0,
				sb = 0.0,
				sz = 0.0,
				dr = 0.0,
				db = 0.0,
				l1z = log(zc);
	int			n;

	for (n = 0; n < MAX_TERMS; n++)
	{
		double		ratio = (e + n) * z / (rho + 1.0 + n);

		t *= ratio;
		if (d)
		{
			dr += 1.0 / (e + n) - 1.0 / (rho + 1.0 + n);
			db -= 1.0 / (e + n);
			sr += t * dr;
			sb += t * db;
			sz += (n + 1.0) * t;
		}
		s += t;
		if (t <= 1e-17 * s * zc)
			break;
	}
	if (d)
	{
		d[0] = sr / s;
		d[1] = -l1z + sb / s;
		d[2] = (b - 1.0) / zc + (z > 0.0 ? sz / (s * z) : e / (rho + 1.0));
	}
	return (1.0 - b) * l1z + log(s);
}

typedef struct PnbdQuad
{
	double		rho;
	double		b;
	double		z;
} PnbdQuad;

/* Integrand of the Euler integral on t in (0, 1/2], variable u = ln t. */
static double
pnbd_quad_low(double u, void *ctx, double *mom)
{
	PnbdQuad   *q = (PnbdQuad *) ctx;
	double		zt = q->z * exp(u);
	double		l = log1p(-zt);

	if (mom)
	{
		mom[0] = u;
		mom[1] = -l;
		mom[2] = q->b * exp(u) / (1.0 - zt);
	}
	return q->rho * u - q->b * l;
}

/* Integrand on t in [1/2, 1], variable y = -ln(1 - z t). */
static double
pnbd_quad_high(double y, void *ctx, double *mom)
{
	PnbdQuad   *q = (PnbdQuad *) ctx;
	double		t = -expm1(-y) / q->z;
	double		lt = log(t);

	if (mom)
	{
		mom[0] = lt;
		mom[1] = y;
		mom[2] = q->b * t * exp(y);
	}
	return (q->rho - 1.0) * lt + (q->b - 1.0) * y - log(q->z);
}

/* Quadrature of the Euler integral, for z close to 1. */
static double
pnbd_quad(double rho, double b, double z, double zc, double *d)
{
	PnbdQuad	q;
	double		m1[3],
				m2[3],
				i1,
				i2,
				lf,
				w1,
				w2,
				w0;
	int			j;

	q.rho = rho;
	q.b = b;
	q.z = z;
	w0 = 1.0 / sqrt(1.0 + rho + b);
	i1 = clv_quad_logint(pnbd_quad_low, &q, -LN2 - 60.0 / rho - 1.0, -LN2,
						 w0, 4.0, d ? 3 : 0, m1);
	i2 = clv_quad_logint(pnbd_quad_high, &q, -log1p(-0.5 * z), -log(zc),
						 w0, 2.0, d ? 3 : 0, m2);
	lf = log(rho) + clv_lse(i1, i2);
	if (d)
	{
		w1 = exp(i1 - clv_lse(i1, i2));
		w2 = 1.0 - w1;
		for (j = 0; j < 3; j++)
			d[j] = w1 * m1[j] + w2 * m2[j];
		d[0] += 1.0 / rho;
	}
	return lf;
}

/* ln 2F1(rho, b; rho+1; z) and partials; see the file header. */
double
clv_hyp2f1_pnbd_log(double rho, double b, double z, double zc, double *d)
{
	if (z <= 0.0)
	{
		if (d)
		{
			d[0] = 0.0;
			d[1] = 0.0;
			d[2] = rho * b / (rho + 1.0);
		}
		return 0.0;
	}
	if (z > PNBD_SERIES_ZMAX)
		return pnbd_quad(rho, b, z, zc, d);
	if (rho + 1.0 - b < b)
		return pnbd_euler(rho, b, z, zc, d);
	return pnbd_direct(rho, b, z, d);
}

/* BG/NBD bracket D via the Euler-transformed series; NaN when unreliable. */
double
clv_hyp2f1_bgnbd_bracket(double k, double a, double bx, double z, double L)
{
	double		c = a + bx - 1.0;
	double		A = c - k;
	double		am1 = a - 1.0;
	double		first,
				pw,
				t,
				s,
				tmax,
				d;
	int			n;

	if (z <= 0.0)
		return 0.0;
	if (z > BG_SERIES_ZMAX)
		return NAN;
	first = am1 == 0.0 ? -L : -expm1(am1 * L) / am1;
	first *= c;
	pw = exp(am1 * L);
	t = A * z;
	s = t;
	tmax = fabs(t);
	for (n = 1; n < MAX_TERMS; n++)
	{
		double		ratio = (A + n) * (a + n - 1.0) * z / ((c + n) * (n + 1.0));

		t *= ratio;
		s += t;
		if (fabs(t) > tmax)
			tmax = fabs(t);
		if (n > -A && fabs(ratio) < 1.0 &&
			fabs(t) <= 1e-17 * fabs(s) * (1.0 - fmax(fabs(ratio), z)))
			break;
		if (t == 0.0)
			break;
	}
	if (n >= MAX_TERMS)
		return NAN;
	d = first - pw * s;
	/* reject results that lost more than ~5 digits to cancellation */
	if (fabs(first) + pw * tmax > 1e5 * fabs(d))
		return NAN;
	return d;
}
