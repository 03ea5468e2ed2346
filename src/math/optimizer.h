/*
 * optimizer.h — small dense minimisers for the CLV fits (n <= 4).
 * The clv_ prefix of the names in src/math is historical: these functions
 * were written for the CLV models.
 */
#ifndef CRM_MATH_OPTIMIZER_H
#define CRM_MATH_OPTIMIZER_H

#include <stdbool.h>

#define CLV_OPT_MAXN 4

/*
 * Objective to minimise; writes the gradient when grad is non-NULL.
 * Must return +inf (or NaN) rather than abort where it cannot be evaluated.
 */
typedef double (*ClvObjective) (const double *theta, double *grad, void *ctx);

/*
 * Set by the caller to a function that says the minimisation must stop now
 * (in the database: a query cancel or statement timeout is pending).  Every
 * further evaluation then counts as failed, so a minimiser returns within one
 * evaluation, unconverged; the caller raises the cancel afterwards.  NULL:
 * never stop.  The database's is fit_stop_requested (clv/fit_sql.c).
 */
extern bool (*clv_stop_requested) (void);

/* BFGS with Armijo backtracking; true when max |grad| <= gtol was reached. */
extern bool clv_bfgs(ClvObjective f, void *ctx, int n, double *theta,
					 double *fval, int maxit, double gtol, int *iters);

/* BFGS from an initial inverse Hessian H0 (n x n, row-major; NULL: the identity). */
extern bool clv_bfgs_from(ClvObjective f, void *ctx, int n, double *theta, const double *H0,
						  double *fval, int maxit, double gtol, int *iters);

/*
 * Standard errors of theta from the inverse Hessian of scale * f at theta
 * (central differences of the gradient, or of f when use_grad is false).
 * se[j] is NaN for all j when the Hessian is not positive definite.
 */
extern void clv_hessian_se(ClvObjective f, void *ctx, int n, const double *theta,
						   double scale, bool use_grad, double *se);

/*
 * The inverse of that Hessian into Hinv (n x n, row-major); false when the
 * Hessian is not positive definite.
 */
extern bool clv_inverse_hessian(ClvObjective f, void *ctx, int n, const double *theta,
								double scale, bool use_grad, double *Hinv);

/*
 * Deterministic multi-start minimisation: optional Nelder-Mead warm-up,
 * then BFGS from the rows of starts in turn until one converges; the best
 * end point wins (ties go to the earlier start); an unconverged winner is
 * polished by Nelder-Mead + BFGS.  iters gets the iterations spent on the
 * winner.  A winner with some |theta_j| > 18 is reported as not converged
 * (the supremum lies on the boundary of the parameter space).
 */
extern bool clv_minimise(ClvObjective f, void *ctx, int n, const double *starts,
						 int nstarts, bool nm_first, double gtol, double *theta,
						 double *fval, int *iters);

#endif							/* CRM_MATH_OPTIMIZER_H */
