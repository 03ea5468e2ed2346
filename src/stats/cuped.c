/*
 * cuped.c — CUPED: Welch's t-test on values adjusted by a pre-period
 * covariate (Deng, Xu, Kohavi & Walker, WSDM 2013), from the comoments of
 * the two arms.  Formulas: doc/stats.md, "CUPED".
 */
#include "stats/experiments.h"

#include <math.h>
#include <string.h>

#include "stats/comoments.h"

/*
 * theta from the pooled arms, adjusted means and variances per arm, Welch's
 * test on them, the relative lift against the unadjusted control mean, and
 * the reduction of the variance of the uplift estimate.
 */
bool
crm_cuped_test(const double *treatment, const double *control, double confidence,
			   double *out, bool *isnull)
{
	double		pooled[COMOMENTS_LEN];
	double		n_t = treatment[COMOMENTS_Y + MOMENTS_N];
	double		n_c = control[COMOMENTS_Y + MOMENTS_N];
	double		theta = 0,
				m2x,
				diff = 0;
	WelchArm	t = {n_t, 0, 0};
	WelchArm	c = {n_c, 0, 0};

	memcpy(pooled, treatment, sizeof(pooled));
	if (!comoments_combine(pooled, control))
		return false;
	m2x = moments_m2(&pooled[COMOMENTS_X]);
	if (m2x > 0)
		theta = comoments_cxy_dd(pooled).hi / m2x;

	/* adjusted arm mean: ȳ - theta (x̄_arm - x̄_pooled) */
	if (n_t >= 1)
		t.mean = moments_mean(&treatment[COMOMENTS_Y]) -
			theta * moments_mean_difference(&treatment[COMOMENTS_X], &pooled[COMOMENTS_X]);
	if (n_c >= 1)
		c.mean = moments_mean(&control[COMOMENTS_Y]) -
			theta * moments_mean_difference(&control[COMOMENTS_X], &pooled[COMOMENTS_X]);
	if (n_t >= 2)
		t.var = comoments_residual_m2(treatment, theta) / (n_t - 1);
	if (n_c >= 2)
		c.var = comoments_residual_m2(control, theta) / (n_c - 1);
	/* the pooled x̄ cancels: (ȳ_t - ȳ_c) - theta (x̄_t - x̄_c), each difference exact first */
	if (n_t >= 1 && n_c >= 1)
		diff = moments_mean_difference(&treatment[COMOMENTS_Y], &control[COMOMENTS_Y]) -
			theta * moments_mean_difference(&treatment[COMOMENTS_X], &control[COMOMENTS_X]);

	crm_welch_from_summaries(&t, &c, diff,
							 n_c >= 1 ? moments_mean(&control[COMOMENTS_Y]) : 0,
							 confidence, out, isnull);

	isnull[CUPED_THETA] = isnull[CUPED_VARIANCE_REDUCTION] = true;
	if (n_t + n_c >= 2)
	{
		out[CUPED_THETA] = theta;
		isnull[CUPED_THETA] = false;
	}
	if (n_t >= 2 && n_c >= 2)
	{
		double		plain = moments_variance(&treatment[COMOMENTS_Y]) / n_t +
			moments_variance(&control[COMOMENTS_Y]) / n_c;
		double		adjusted = t.var / n_t + c.var / n_c;

		if (plain > 0 && isfinite(plain))
		{
			out[CUPED_VARIANCE_REDUCTION] = 1 - adjusted / plain;
			isnull[CUPED_VARIANCE_REDUCTION] = false;
		}
	}
	return true;
}
