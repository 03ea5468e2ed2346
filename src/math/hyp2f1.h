/*
 * hyp2f1.h — the Gauss hypergeometric functions the CLV models need.
 * The clv_ prefix of the names in src/math is historical: these functions
 * were written for the CLV models.
 */
#ifndef CRM_MATH_HYP2F1_H
#define CRM_MATH_HYP2F1_H

/*
 * ln 2F1(rho, b; rho + 1; z) for rho, b > 0, 0 <= z < 1 (Pareto/NBD);
 * zc = 1 - z computed by the caller without cancellation (it sets the
 * accuracy as z -> 1).  If d is non-NULL, d[0..2] receive the partials of
 * the log value with respect to rho, b and z.
 */
extern double clv_hyp2f1_pnbd_log(double rho, double b, double z, double zc,
								  double *d);

/*
 * BG/NBD expectation bracket, with c = a + bx - 1 > -1:
 *   D = c / (a - 1) * [1 - (1 - z)^k 2F1(k, bx; c; z)],  L = ln(1 - z),
 * finite through a = 1 and c <= 0.  Returns NaN when the series is not
 * trustworthy (z > 0.99, cancellation, no convergence): use the quadrature
 * of the Beta mixture then (bgnbd.c).
 */
extern double clv_hyp2f1_bgnbd_bracket(double k, double a, double bx,
									   double z, double L);

#endif							/* CRM_MATH_HYP2F1_H */
