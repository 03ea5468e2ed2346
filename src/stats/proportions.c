/*
 * proportions.c — tests on counts: the two-proportion z-test for conversion
 * uplift (with Newcombe's interval) and the sample-ratio-mismatch check.
 * Formulas: doc/stats.md, "Two-proportion z-test and Newcombe's
 * interval" and "Sample ratio mismatch".
 */
#include "stats/experiments.h"

#include <math.h>

#include "math/distributions.h"

void
crm_wilson_interval(double x, double n, double z, double *low, double *high)
{
	double		p = x / n;
	double		z2n = z * z / n;
	double		denominator = 1 + z2n;
	double		centre = (p + z2n / 2) / denominator;
	double		half = z / denominator * sqrt(p * (1 - p) / n + z2n / (4 * n));

	/* the score interval contains 0 (or 1) exactly when x is 0 (or n) */
	*low = x == 0 ? 0 : fmax(0, centre - half);
	*high = x == n ? 1 : fmin(1, centre + half);
}

void
crm_proportion_test(double n_t, double x_t, double n_c, double x_c, double confidence,
					double *out, bool *isnull)
{
	double		p_t,
				p_c,
				diff,
				pooled,
				se0,
				z,
				low_t,
				high_t,
				low_c,
				high_c;

	crm_result_all_null(isnull, ZT_NCOLUMNS);
	crm_result_set(out, isnull, ZT_N_TREATMENT, n_t);
	crm_result_set(out, isnull, ZT_N_CONTROL, n_c);
	crm_result_set(out, isnull, ZT_CONVERSIONS_TREATMENT, x_t);
	crm_result_set(out, isnull, ZT_CONVERSIONS_CONTROL, x_c);
	if (n_t > 0)
		crm_result_set(out, isnull, ZT_RATE_TREATMENT, x_t / n_t);
	if (n_c > 0)
		crm_result_set(out, isnull, ZT_RATE_CONTROL, x_c / n_c);
	if (n_t == 0 || n_c == 0)
		return;

	p_t = x_t / n_t;
	p_c = x_c / n_c;
	diff = p_t - p_c;
	crm_result_set(out, isnull, ZT_UPLIFT, diff);

	/* pooled z-test, identical to Pearson's chi-square without continuity correction */
	pooled = (x_t + x_c) / (n_t + n_c);
	se0 = sqrt(pooled * (1 - pooled) * (1 / n_t + 1 / n_c));
	if (se0 == 0)
		crm_result_set(out, isnull, ZT_P_VALUE, 1);	/* all converted or none did: z undefined */
	else
	{
		double		zstat = diff / se0;

		crm_result_set(out, isnull, ZT_Z_STAT, zstat);
		crm_result_set(out, isnull, ZT_P_VALUE, diff == 0 ? 1 : 2 * crm_normal_sf(fabs(zstat)));
	}

	/* Newcombe (1998) method 10: hybrid score interval from the two Wilson intervals */
	z = -crm_normal_quantile((1 - confidence) / 2);
	crm_wilson_interval(x_t, n_t, z, &low_t, &high_t);
	crm_wilson_interval(x_c, n_c, z, &low_c, &high_c);
	crm_result_set(out, isnull, ZT_UPLIFT_CI_LOW,
		diff - sqrt((p_t - low_t) * (p_t - low_t) + (high_c - p_c) * (high_c - p_c)));
	crm_result_set(out, isnull, ZT_UPLIFT_CI_HIGH,
		diff + sqrt((high_t - p_t) * (high_t - p_t) + (p_c - low_c) * (p_c - low_c)));

	/* relative lift p_t / p_c - 1, delta method, normal quantile */
	if (p_c > 0)
	{
		double		ratio = p_t / p_c;
		double		se2_t = p_t * (1 - p_t) / n_t;
		double		se2_c = p_c * (1 - p_c) / n_c;
		double		se_lift = sqrt(se2_t + ratio * ratio * se2_c) / p_c;
		double		lift = diff / p_c;

		crm_result_set(out, isnull, ZT_LIFT, lift);
		crm_result_set(out, isnull, ZT_LIFT_CI_LOW, lift - z * se_lift);
		crm_result_set(out, isnull, ZT_LIFT_CI_HIGH, lift + z * se_lift);
	}
}

double
crm_srm_p_value(double n_t, double n_c, double share)
{
	double		n = n_t + n_c;
	double		deviation;

	if (n == 0)
		return 1;
	/* sum over both arms of (observed - expected)^2 / expected, in one term */
	deviation = n_t - n * share;
	return crm_chi2_sf(deviation * deviation / (n * share * (1 - share)), 1);
}
