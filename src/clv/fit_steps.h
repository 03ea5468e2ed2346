/*
 * fit_steps.h — the steps the maximum-likelihood fits of bgnbd.c,
 * pareto_nbd.c and gamma_gamma.c share: the empty result, time scaling of
 * the rows and its undoing, the warm-start subsample.
 */
#ifndef CRM_CLV_FIT_STEPS_H
#define CRM_CLV_FIT_STEPS_H

#include "clv/models.h"

/* Resets a fit to "no data": start values, NaN standard errors, LL 0, not converged. */
extern void clv_fit_start(ClvFit *fit, int nparams, const double *start);

/*
 * Canonical rows with tx and T divided by the largest T (doc/clv.md,
 * "Fit strategy", for conditioning); *scale gets that divisor and *wsum
 * the total weight.
 * NULL as clv_rows_canonical.
 */
extern ClvHistory *clv_rows_scaled(const ClvHistory *rows, size_t nrows, size_t *nout,
								   double *scale, double *wsum);

/*
 * The log-likelihood of rows in the caller's time unit from the mean
 * negative log-likelihood of the same rows scaled by clv_rows_scaled: a
 * history's likelihood is a density in its x purchase times, so dividing
 * the times by scale multiplies it by scale^x.
 */
extern double clv_rows_unscaled_loglik(const ClvHistory *rows, size_t n, double scale,
									   double mean_nll, double wsum);

/*
 * A warm start for fits over many distinct histories: malloc'd every k-th
 * of n canonical rows, k = n / CLV_SUBSAMPLE_ROWS, with their weights
 * (sorted by x, the sample keeps the mix of frequencies); *wsum gets their
 * total weight.  NULL when n < clv_subsample_min_rows, by default 2
 * CLV_SUBSAMPLE_ROWS (below it the subsample's fit costs about what it
 * saves; the tests raise it to compare), or on OOM.
 */
#define CLV_SUBSAMPLE_ROWS 20000
extern size_t clv_subsample_min_rows;
extern ClvHistory *clv_rows_subsample(const ClvHistory *rows, size_t n, size_t *nout, double *wsum);

/*
 * Parameters and standard errors from log-parameters theta and their
 * standard errors (delta method); params[time_param1] and
 * params[time_param2] (and their se) are multiplied by scale to undo the
 * time scaling; an index of -1 names no parameter.
 */
extern void clv_fit_from_log(ClvFit *fit, const double *theta, const double *se_theta,
							 double scale, int time_param1, int time_param2);

#endif							/* CRM_CLV_FIT_STEPS_H */
