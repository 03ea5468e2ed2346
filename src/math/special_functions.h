/*
 * special_functions.h — special functions for the CLV models and the
 * distributions: log-gamma, digamma, log-beta, log-sum-exp and the
 * regularised incomplete beta function.
 *
 * Own implementations, also of log-gamma for the distributions (libm's
 * lgamma and lgammal write the global signgam, which would break the "no
 * global mutable state" rule of the pure code).
 *
 * The clv_ prefix of the names in src/math is historical: these functions
 * were written for the CLV models.
 */
#ifndef CRM_MATH_SPECIAL_FUNCTIONS_H
#define CRM_MATH_SPECIAL_FUNCTIONS_H

#include <math.h>

/* ln sqrt(2 pi), in long double for the long-double Stirling forms */
#define CRM_LN_SQRT_2PI_L 0.918938533204672741780329736405617640L

extern double clv_lgamma(double x);
extern double clv_digamma(double x);
extern double clv_lbeta(double a, double b);
extern double clv_lse(double u, double v);
extern double clv_log1pexp(double u);
extern double clv_incbeta(double a, double b, double x, double y);

/*
 * ln Gamma(x), x > 0, in long double, and Stirling's series of
 * ln Gamma(x) - [(x - 1/2) ln x - x + ln sqrt(2 pi)] for x >= 10.
 */
extern long double crm_lgammal(long double x);
extern long double crm_stirling_error(long double x);

/*
 * The continued fraction of the regularised incomplete beta,
 * I_x(a, b) = x^a (1-x)^b / (a B(a, b)) * crm_incbeta_cf(a, b, x); it
 * converges fast for x < (a + 1)/(a + b + 2).
 */
extern long double crm_incbeta_cf(long double a, long double b, long double x);

/*
 * One step of the modified Lentz method for a continued fraction
 * b0 + a1/(b1 + a2/(b2 + ...)): updates C and D, kept away from 0, with the
 * partial numerator an and denominator bn, and returns the factor C D by
 * which the approximant changes (1 to within epsilon when converged).
 */
static inline long double
crm_lentz_step(long double *c, long double *d, long double an, long double bn)
{
	const long double tiny = 1e-300L;

	*d = bn + an * *d;
	if (fabsl(*d) < tiny)
		*d = tiny;
	*c = bn + an / *c;
	if (fabsl(*c) < tiny)
		*c = tiny;
	*d = 1 / *d;
	return *d * *c;
}

/* Bound on the terms of a series or continued fraction: every call ends. */
#define CRM_MAX_SERIES_TERMS 20000000

/*
 * A log-space sum whose largest term is this big keeps fewer than 8
 * significant digits after exp (the terms' rounding, 1e-16 relative, is
 * absolute in the exponent): for extreme parameters (shape 1e300) the
 * formulas that cancel such terms return NaN instead, reported as out of range.
 */
#define CLV_MAX_CANCELLED_LOG 1e8

#endif							/* CRM_MATH_SPECIAL_FUNCTIONS_H */
