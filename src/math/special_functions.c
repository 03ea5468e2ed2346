/*
 * special_functions.c — log-gamma, digamma, log-beta, log-sum-exp and the
 * regularised incomplete beta function, for x > 0 only (all the CLV models
 * need).  Pure functions, no state.
 *
 * lgamma/digamma: upward recurrence to x >= 15 (resp. 10), then the Stirling
 * (resp. asymptotic) series (Abramowitz & Stegun 6.1.41, 6.3.18); absolute
 * error about 1e-15.  Incomplete beta: continued fraction DLMF 8.17.22
 * evaluated with the modified Lentz method.
 */
#include "math/special_functions.h"

#include <float.h>
#include <math.h>

#define LN_SQRT_2PI 0.918938533204672741780329736406

/* ln Gamma(x) for x > 0, without touching signgam. */
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
	return (x - 0.5) * log(x) - x + LN_SQRT_2PI + s - shift;
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

/* Continued fraction of I_x(a, b) (DLMF 8.17.22), valid for x < (a+1)/(a+b+2). */
static double
incbeta_cf(double a, double b, double x)
{
	const double tiny = 1e-300;
	double		c = 1.0,
				d,
				f,
				num;
	int			m;

	d = 1.0 - (a + b) * x / (a + 1.0);
	if (fabs(d) < tiny)
		d = tiny;
	d = 1.0 / d;
	f = d;
	for (m = 1; m < 100000; m++)
	{
		double		delta;

		/* even step d_{2m} */
		num = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
		d = 1.0 + num * d;
		c = 1.0 + num / c;
		if (fabs(d) < tiny)
			d = tiny;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1.0 / d;
		f *= d * c;
		/* odd step d_{2m+1} */
		num = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
		d = 1.0 + num * d;
		c = 1.0 + num / c;
		if (fabs(d) < tiny)
			d = tiny;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1.0 / d;
		delta = d * c;
		f *= delta;
		if (fabs(delta - 1.0) < 4.0 * DBL_EPSILON)
			break;
	}
	return f;
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
		return exp(lfront) * incbeta_cf(a, b, x) / a;
	return 1.0 - exp(lfront) * incbeta_cf(b, a, y) / b;
}
