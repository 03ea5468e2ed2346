/*
 * quadrature.h — integration of exp(phi(v)) for unimodal phi, by composite
 * 20-point Gauss-Legendre panels marching out from the mode.
 */
#ifndef CLV_QUAD_H
#define CLV_QUAD_H

#define CLV_QUAD_MAXMOM 3

/*
 * Log-integrand: returns phi(v); when mom is non-NULL also stores nmom
 * moment functions m_j(v) whose weighted integrals are wanted.
 */
typedef double (*ClvLogIntegrand) (double v, void *ctx, double *mom);

/*
 * ln of the integral of exp(phi) over [lo, hi]; mom_out[j] receives
 * int m_j e^phi / int e^phi.  w0 is a length scale on which phi varies by
 * O(1) near the mode, wmax the largest panel allowed.
 */
extern double clv_quad_logint(ClvLogIntegrand phi, void *ctx, double lo,
							  double hi, double w0, double wmax,
							  int nmom, double *mom_out);

/* 20-point Gauss-Legendre rule on [lo, hi] of a plain function. */
typedef double (*ClvFunc) (double v, void *ctx);
extern double clv_quad_gl20(ClvFunc f, void *ctx, double lo, double hi);
/* 10-point Gauss-Legendre rule on [lo, hi], and its positive nodes with their weights. */
extern double clv_quad_gl10(ClvFunc f, void *ctx, double lo, double hi);
extern const double clv_gl10[5][2];

#endif							/* CLV_QUAD_H */
