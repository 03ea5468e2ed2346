/*
 * quadrature.h — integration of exp(phi(v)) for unimodal phi, by composite
 * 20-point Gauss-Legendre panels marching out from the mode.
 * The clv_ prefix of the names in src/math is historical: these functions
 * were written for the CLV models.
 */
#ifndef CRM_MATH_QUADRATURE_H
#define CRM_MATH_QUADRATURE_H

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

/*
 * The n-point Gauss-Legendre rules on [-1, 1] for n = 8, 10, 12, 20: being
 * symmetric, each is given by its n/2 positive nodes, with their weights.
 */
typedef struct ClvGaussLegendre
{
	int			half;			/* n / 2 */
	const double (*nodes)[2];	/* {node, weight} */
} ClvGaussLegendre;

extern const ClvGaussLegendre clv_gl8;
extern const ClvGaussLegendre clv_gl10;
extern const ClvGaussLegendre clv_gl12;
extern const ClvGaussLegendre clv_gl20;

/* The 20- and 10-point rules on [lo, hi] of a plain function. */
typedef double (*ClvFunc) (double v, void *ctx);
extern double clv_quad_gl20(ClvFunc f, void *ctx, double lo, double hi);
extern double clv_quad_gl10(ClvFunc f, void *ctx, double lo, double hi);

#endif							/* CRM_MATH_QUADRATURE_H */
