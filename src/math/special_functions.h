/*
 * special_functions.h — special functions for the CLV models: log-gamma, digamma,
 * log-beta, log-sum-exp and the regularised incomplete beta function.
 *
 * Own implementations (libm lgamma writes the global signgam, which would
 * break the "no global mutable state" rule).
 */
#ifndef CLV_SPECIAL_H
#define CLV_SPECIAL_H

extern double clv_lgamma(double x);
extern double clv_digamma(double x);
extern double clv_lbeta(double a, double b);
extern double clv_lse(double u, double v);
extern double clv_log1pexp(double u);
extern double clv_incbeta(double a, double b, double x, double y);

/*
 * A log-space sum whose largest term is this big keeps fewer than 8
 * significant digits after exp (the terms' rounding, 1e-16 relative, is
 * absolute in the exponent): for extreme parameters (shape 1e300) the
 * formulas that cancel such terms return NaN instead, reported as out of range.
 */
#define CLV_MAX_CANCELLED_LOG 1e8

#endif							/* CLV_SPECIAL_H */
