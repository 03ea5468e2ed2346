/*
 * special_functions.c — log-gamma, digamma, log-beta, log-sum-exp and the
 * regularised incomplete beta function, for x > 0 only (all the CLV models
 * and the distributions need).  Pure functions, no state.
 *
 * lgamma/digamma: upward recurrence to x >= 15 (resp. 10), then the Stirling
 * (resp. asymptotic) series (Abramowitz & Stegun 6.1.41, 6.3.18); lgamma in
 * long double for the distributions (crm_lgammal) and in double for the CLV
 * fits (clv_lgamma, absolute error about 1e-15, as digamma).  Incomplete
 * beta: continued fraction DLMF 8.17.22 evaluated with the modified Lentz
 * method, in long double (shared with the Student t distribution).
 */
#include "math/special_functions.h"

#include <float.h>
#include <math.h>

/*
 * Stirling's series of ln Gamma(x) - [(x - 1/2) ln x - x + ln sqrt(2 pi)]
 * (A&S 6.1.41), eight terms; for x >= 10, where the next term is below
 * 2e-18 (2e-21 at x = 15).
 */
long double
crm_stirling_error(long double x)
{
	long double ix = 1.0L / x;
	long double ix2 = ix * ix;

	return ix * (1.0L / 12 + ix2 * (-1.0L / 360 + ix2 * (1.0L / 1260 + ix2 * (-1.0L / 1680
					+ ix2 * (1.0L / 1188 + ix2 * (-691.0L / 360360 + ix2 * (1.0L / 156
					+ ix2 * (-3617.0L / 122400))))))));
}

/*
 * ln Gamma(x) for x > 0: the upward recurrence to x >= 15, then Stirling's
 * series; absolute error a few 1e-18 in long double.  Our own because
 * libm's lgamma and lgammal write the global signgam.
 */
long double
crm_lgammal(long double x)
{
	long double prod = 1;

	if (!(x > 0))
		return NAN;
	/* at most 15 factors below 15: the product neither overflows nor underflows */
	while (x < 15)
	{
		prod *= x;
		x += 1;
	}
	return (x - 0.5L) * logl(x) - x + CRM_LN_SQRT_2PI_L + crm_stirling_error(x) - logl(prod);
}

/*
 * ln Gamma(x) for x > 0: the method of crm_lgammal in double, with one term
 * less of the series; absolute error about 1e-15.  Kept apart because the
 * CLV fits call it for every row and iteration, and the long double version
 * is about ten times slower a call, which doubled the time of a Gamma-Gamma
 * fit over a million rows.
 */
double
clv_lgamma(double x)
{
	double		shift = 0.0;
	double		prod = 1.0;
	double		x2,
				s;

	if (!(x > 0.0))
		return NAN;
	if (x < 1e-8)
		return -log(x) - 0.5772156649015328606 * x;
	while (x < 15.0)
	{
		prod *= x;
		x += 1.0;
		if (prod > 1e280)
		{
			shift += log(prod);
			prod = 1.0;
		}
	}
	shift += log(prod);
	x2 = 1.0 / (x * x);
	s = (1.0 / 12.0 + x2 * (-1.0 / 360.0 + x2 * (1.0 / 1260.0 + x2 *
		(-1.0 / 1680.0 + x2 * (1.0 / 1188.0 + x2 * (-691.0 / 360360.0 +
		x2 * (1.0 / 156.0))))))) / x;
	return (x - 0.5) * log(x) - x + (double) CRM_LN_SQRT_2PI_L + s - shift;
}

/* psi(x) = d ln Gamma(x) / dx for x > 0. */
double
clv_digamma(double x)
{
	double		acc = 0.0;
	double		x2;

	if (!(x > 0.0))
		return NAN;
	while (x < 10.0)
	{
		acc -= 1.0 / x;
		x += 1.0;
	}
	x2 = 1.0 / (x * x);
	return acc + log(x) - 0.5 / x
		- x2 * (1.0 / 12.0 - x2 * (1.0 / 120.0 - x2 * (1.0 / 252.0 - x2 *
		(1.0 / 240.0 - x2 * (1.0 / 132.0 - x2 * (691.0 / 32760.0 -
		x2 / 12.0))))));
}

/* ln B(a, b) = ln Gamma(a) + ln Gamma(b) - ln Gamma(a + b). */
double
clv_lbeta(double a, double b)
{
	return clv_lgamma(a) + clv_lgamma(b) - clv_lgamma(a + b);
}

/* ln(e^u + e^v) without overflow; -inf inputs allowed. */
double
clv_lse(double u, double v)
{
	double		m = u > v ? u : v;

	if (m == -INFINITY)
		return -INFINITY;
	return m + log1p(exp(-fabs(u - v)));
}

/* ln(1 + e^u) without overflow. */
double
clv_log1pexp(double u)
{
	return u > 0.0 ? u + log1p(exp(-u)) : log1p(exp(u));
}

/*
 * The continued fraction of I_x(a, b) (DLMF 8.17.22), without the front
 * factor, by the modified Lentz method with tiny-value guards.  Long double
 * throughout: the Student t distribution needs it for large df (doc/stats.md,
 * "Student t distribution"), and the CLV models lose nothing by it.
 */
long double
crm_incbeta_cf(long double a, long double b, long double x)
{
	const long double tiny = 1e-300L;
	long double qab = a + b;
	long double qap = a + 1;
	long double qam = a - 1;
	long double c = 1;
	long double d = 1 - qab * x / qap;
	long double h;
	int			m;

	if (fabsl(d) < tiny)
		d = tiny;
	d = 1 / d;
	h = d;
	for (m = 1; m <= CRM_MAX_SERIES_TERMS; m++)
	{
		long double m2 = 2.0L * m;
		long double delta;

		/* even step d_{2m}, then odd step d_{2m+1} */
		h *= crm_lentz_step(&c, &d, m * (b - m) * x / ((qam + m2) * (a + m2)), 1);
		delta = crm_lentz_step(&c, &d, -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)), 1);
		h *= delta;
		if (fabsl(delta - 1) <= LDBL_EPSILON)
			break;
	}
	return h;
}

/*
 * Regularised incomplete beta I_x(a, b); y = 1 - x is passed separately so
 * that callers with x close to 1 lose no digits.
 */
double
clv_incbeta(double a, double b, double x, double y)
{
	double		lfront;

	if (x <= 0.0)
		return 0.0;
	if (y <= 0.0)
		return 1.0;
	lfront = a * log(x) + b * log(y) - clv_lbeta(a, b);
	if (x < (a + 1.0) / (a + b + 2.0))
		return exp(lfront) * (double) crm_incbeta_cf(a, b, x) / a;
	return 1.0 - exp(lfront) * (double) crm_incbeta_cf(b, a, y) / b;
}
