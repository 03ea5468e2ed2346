/*
 * hyp2f1.c — Gauss hypergeometric 2F1 in the two shapes used by the CLV
 * models (doc/clv.md, "The hypergeometric function 2F1").
 *
 * Pareto/NBD, 2F1(rho, b; rho+1; z), z in [0, 1): all series terms are
 * positive.  The representation with the smaller second parameter is used,
 * either the direct series or the Euler transform
 *   2F1(rho, b; rho+1; z) = (1-z)^(1-b) 2F1(1, rho+1-b; rho+1; z)
 * (A&S 15.3.3).  Partials in rho, b, z come from term-by-term derivatives in
 * the same loop.  Near z = 1 the series need many terms: above z = 0.8,
 * when e = rho + 1 - b > 0 and the Euler series would not converge fast,
 * the beta-integral form below is integrated by Gauss-Legendre panels
 * (pnbd_tail); otherwise, above z = 0.95, the Euler integral
 * (A&S 15.3.1)
 *   2F1 = rho * int_0^1 t^(rho-1) (1 - z t)^(-b) dt
 * is integrated in log space (quadrature.c), split at t = 1/2, with variables
 * ln t and -ln(1 - z t) so that both end layers are resolved.
 *
 * BG/NBD bracket: with A = c - k and the Euler transform
 *   (1-z)^k 2F1(k, bx; c; z) = (1-z)^(a-1) 2F1(A, a-1; c; z),
 * and (a-1)_n = (a-1)(a)_{n-1}, (c)_n = c (c+1)_{n-1}, one gets
 *   D = c (1 - (1-z)^(a-1))/(a-1) - (1-z)^(a-1) S,
 *   S = sum_{n>=1} (A)_n (a)_{n-1} z^n / ((c+1)_{n-1} n!),
 * which has neither the a = 1 nor the c = 0 singularity.
 */
#include "math/hyp2f1.h"

#include "math/quadrature.h"
#include "math/special_functions.h"

#include <float.h>
#include <math.h>

#define PNBD_SERIES_ZMAX 0.95
#define PNBD_SERIES_ZMIN 0.8
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

/*
 * Euler-transformed series (1-z)^(1-b) 2F1(1, rho+1-b; rho+1; z).  It sums
 * like pnbd_direct, but its term ratio, partials, stopping rule and the
 * absence of rescaling (its terms fall from the start) all differ, so the
 * two are kept as two loops rather than one with five parameters.
 */
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

/*
 * Beta-integral form of 2F1(rho, b; rho+1; z) for z near 1.  With
 * a = 1 - b < 1, e = rho + 1 - b > 0 and sp(u) = ln(1 + e^u), the Euler
 * integral becomes (t = 1/(1 + e^u) / z ...; equivalently B_z(rho, 1-b))
 *   2F1 = rho z^-rho K,  K = int_{u0}^inf exp(chi(u)) du,
 *   chi(u) = a u - e sp(u),  u0 = ln((1-z)/z).
 * chi is concave with slopes a (u -> -inf) and -rho (u -> inf); its mode
 * is u0, or ln(a/rho) where sigma(u) = a/e when that lies above u0.
 * Around the mode u_m, with y = u - u_m and sig = sigma(u_m),
 *   chi(u) - chi(u_m) = a y - e log1p(sig expm1(y)),
 * exact to rounding even when a, e ~ 1e8 and the drop is O(1).  The
 * partials are moments (all from d/drho, d/db, d/dz of the Euler integral):
 *   dlnF/drho = 1/rho - ln z - <sp(u)>,  dlnF/db = <sp(u) - u>,
 *   dlnF/dz = (b/z) <e^-u>   (positive terms: no cancellation).
 */
typedef struct PnbdTail
{
	double		a;
	double		e;
	double		sig;			/* sigma(u_m) */
	double		yknee;			/* y of u = 0, where chi bends */
	double		s[4];			/* sums of f, f L, f y, f e^-y */
} PnbdTail;

/*
 * L(y) = ln(1 - sig + sig e^y) = sp(u_m + y) - sp(u_m), and e^-y; past
 * y = 600 in the form that does not overflow.
 */
static inline double
tail_L(double sig, double y, double *emy)
{
	if (y < -0.5)
	{
		/* 1 + expm1(y) would lose e^y to rounding */
		double		ey = exp(y);

		*emy = 1.0 / ey;
		return log1p(sig * (ey - 1.0));
	}
	if (y < 600.0)
	{
		double		em1 = expm1(y);

		*emy = 1.0 / (1.0 + em1);
		return log1p(sig * em1);
	}
	*emy = exp(-y);
	return y + log(sig) + log1p((1.0 / sig - 1.0) * *emy);
}

/* One n-point Gauss-Legendre panel on [y0, y1] into the sums. */
static void
tail_panel(PnbdTail *t, double y0, double y1, const ClvGaussLegendre *gl)
{
	double		c = 0.5 * (y0 + y1),
				h = 0.5 * (y1 - y0);
	int			i,
				side;

	for (i = 0; i < gl->half; i++)
		for (side = -1; side <= 1; side += 2)
		{
			double		y = c + side * h * gl->nodes[i][0];
			double		emy,
						L = tail_L(t->sig, y, &emy);
			double		f = gl->nodes[i][1] * fabs(h) * exp(t->a * y - t->e * L);

			t->s[0] += f;
			t->s[1] += f * L;
			t->s[2] += f * y;
			t->s[3] += f * emy;
		}
}

#define TAIL_DROP_END 38.0		/* e^-38 ~ 3e-17: the rest is negligible */

/*
 * Integrate exp(chi(u_m + y) - chi(u_m)) from y = 0 in direction dir
 * (+1 / -1) up to ylim or until it has dropped by TAIL_DROP_END.  Panels
 * are sized from the local slope and curvature for a target drop, coarser
 * rules where the integrand is already small (the error bound is relative
 * to the mode), and kept short near the knee, where log1p(sig expm1(y))
 * has its complex singularities (Im y = +-pi).
 */
static void
tail_march(PnbdTail *t, double ylim, int dir)
{
	double		y = 0.0,
				v = 0.0,
				sg = t->sig;
	int			n;

	for (n = 0; n < 200 && dir * (ylim - y) > 0.0; n++)
	{
		double		q = -dir * (t->a - t->e * sg),	/* rate of decrease */
					c = t->e * sg * (1.0 - sg),
					D,
					h,
					y1,
					emy,
					L,
					v1,
					sg1,
					q1,
					dk = fabs(y - t->yknee);
		const ClvGaussLegendre *gl;
		int			halve = 0;

		/*
		 * The Gauss-Legendre rule (quadrature.h) by how far the integrand
		 * has dropped.  Relative error of the n-point rule on exp(-D x),
		 * x in [0, 1]: n = 8 is 1e-14 at D = 4 and 2e-8 at D = 10; n = 10
		 * is 1e-13 at D = 8; n = 12 is 1e-15 at D = 10.
		 */
		if (v > -8.0)
		{
			D = 8.0;
			gl = &clv_gl12;
		}
		else if (v > -16.0)
		{
			D = 8.0;
			gl = &clv_gl10;
		}
		else
		{
			D = 11.0;
			gl = &clv_gl8;
		}
		/* q h + c h^2 / 2 = D, in the form without cancellation */
		h = 2.0 * D / (q + sqrt(q * q + 2.0 * c * D));
		h = fmin(h, fmax(2.0, 0.25 * dk));
		for (;;)
		{
			y1 = y + dir * h;
			if (dir * (y1 - ylim) > 0.0)
				y1 = ylim;
			L = tail_L(t->sig, y1, &emy);
			v1 = t->a * y1 - t->e * L;
			/* sigma(u_m + y1) = sig e^y1 / (1 - sig + sig e^y1) */
			sg1 = t->sig * exp(y1 - L);
			q1 = -dir * (t->a - t->e * sg1);
			/*
			 * The drop and the bend (slope change times width) across the
			 * panel must stay near the targets; concavity can make either
			 * larger than the estimate, so halve until they do.
			 */
			if ((v - v1 <= 1.5 * D && (q1 - q) * h <= D) || ++halve > 60)
				break;
			h *= 0.5;
		}
		tail_panel(t, dir > 0 ? y : y1, dir > 0 ? y1 : y, gl);
		y = y1;
		v = v1;
		sg = sg1;
		if (v < -TAIL_DROP_END)
			break;
	}
}

/* ln 2F1(rho, b; rho+1; z) and partials by the beta integral above (e > 0). */
static double
pnbd_tail(double rho, double b, double z, double zc, double *d)
{
	PnbdTail	t;
	double		lz = log1p(-zc),
				um,
				lnf,
				lk,
				spm,
				emu;				/* e^-u_m */
	int			j;

	t.a = 1.0 - b;
	t.e = rho + 1.0 - b;
	for (j = 0; j < 4; j++)
		t.s[j] = 0.0;
	if (t.a > 0.0 && t.a * z > rho * zc)
	{
		/* interior mode u_m = ln(a/rho) > u0 (here rho (1-z) < 1) */
		um = log(t.a / rho);
		t.sig = t.a / t.e;
		spm = log1p(t.a / rho);
		emu = rho / t.a;
		lnf = log(rho) - rho * lz + t.a * um - t.e * spm;
		t.yknee = -um;
		tail_march(&t, INFINITY, 1);
		tail_march(&t, log(zc) - lz - um, -1);
	}
	else
	{
		/* mode at u0: chi(u0) - rho ln z = a ln(1-z) exactly */
		um = log(zc) - lz;
		t.sig = zc;
		spm = -lz;
		emu = z / zc;
		lnf = log(rho) + t.a * log(zc);
		t.yknee = -um;
		tail_march(&t, INFINITY, 1);
	}
	lk = log(t.s[0]);
	if (d)
	{
		double		mL = t.s[1] / t.s[0],
					my = t.s[2] / t.s[0],
					me = t.s[3] / t.s[0];

		d[0] = 1.0 / rho - lz - spm - mL;
		d[1] = spm - um + mL - my;
		d[2] = b / z * emu * me;
	}
	return lnf + lk;
}

/* ln 2F1(rho, b; rho+1; z) and partials; see the file header. */
double
clv_hyp2f1_pnbd_log(double rho, double b, double z, double zc, double *d)
{
	double		e;

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
	e = rho + 1.0 - b;
	/*
	 * The series need about 39 / -ln z terms once their ratio nears z
	 * (each cheap, partials included); the beta integral costs as much as
	 * a few hundred terms whatever z.  So: series up to z = 0.8, and beyond that only the Euler
	 * series whose ratio (e+n) z / (rho+1+n) is still below 1/2 at n = 40.
	 */
	if (z > PNBD_SERIES_ZMIN && e > 0.0 &&
		(e >= b || (e + 40.0) * z > 0.5 * (rho + 41.0)))
		return pnbd_tail(rho, b, z, zc, d);
	if (z > PNBD_SERIES_ZMAX)
		return pnbd_quad(rho, b, z, zc, d);
	if (e < b)
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
