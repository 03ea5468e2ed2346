/*
 * welch.c — Welch's two-sample t-test for revenue-per-customer uplift,
 * with the relative lift (delta method) and incremental revenue.
 * Each arm comes as a moments sextuple (moments.h).
 * Formulas: doc/stats.md, "Welch t-test".
 */
#include "stats/experiments.h"

#include <math.h>

#include "math/distributions.h"
#include "stats/moments.h"

/*
 * The test from per-arm summaries (n, mean, sample variance); diff is
 * mean_t - mean_c computed by the caller as exactly as it can, and
 * lift_base the control mean that the relative lift divides by.
 */
void
crm_welch_from_summaries(const WelchArm *treatment, const WelchArm *control, double diff,
						 double lift_base, double confidence, double *out, bool *isnull)
{
	double		n_t = treatment->n;
	double		n_c = control->n;
	double		se2_t,
				se2_c,
				half_width,
				z;

	crm_result_all_null(isnull, TT_NCOLUMNS);
	crm_result_set(out, isnull, TT_N_TREATMENT, n_t);
	crm_result_set(out, isnull, TT_N_CONTROL, n_c);
	if (n_t >= 1)
		crm_result_set(out, isnull, TT_MEAN_TREATMENT, treatment->mean);
	if (n_c >= 1)
		crm_result_set(out, isnull, TT_MEAN_CONTROL, control->mean);
	if (n_t >= 2)
		crm_result_set(out, isnull, TT_SD_TREATMENT, sqrt(treatment->var));
	if (n_c >= 2)
		crm_result_set(out, isnull, TT_SD_CONTROL, sqrt(control->var));
	if (n_t < 2 || n_c < 2)
		return;					/* no variance estimate for an arm: no test */

	se2_t = treatment->var / n_t;	/* squared standard errors of the means */
	se2_c = control->var / n_c;
	crm_result_set(out, isnull, TT_UPLIFT, diff);

	if (se2_t + se2_c == 0)
	{
		/* both arms constant: the difference is known exactly */
		half_width = 0;
		if (diff == 0)
			crm_result_set(out, isnull, TT_P_VALUE, 1);
		else
		{
			crm_result_set(out, isnull, TT_T_STAT, copysign(INFINITY, diff));
			crm_result_set(out, isnull, TT_P_VALUE, 0);
		}
	}
	else
	{
		double		se = sqrt(se2_t + se2_c);
		double		scale = fmax(se2_t, se2_c);
		double		ra = se2_t / scale;
		double		rb = se2_c / scale;
		/* Welch-Satterthwaite, scaled so neither term over- or underflows */
		double		df = (ra + rb) * (ra + rb) / (ra * ra / (n_t - 1) + rb * rb / (n_c - 1));
		double		t = diff / se;

		crm_result_set(out, isnull, TT_T_STAT, t);
		crm_result_set(out, isnull, TT_DF, df);
		crm_result_set(out, isnull, TT_P_VALUE, diff == 0 ? 1 : crm_student_t_two_sided_p(t, df));
		half_width = -crm_student_t_quantile((1 - confidence) / 2, df) * se;
	}
	crm_result_set(out, isnull, TT_UPLIFT_CI_LOW, diff - half_width);
	crm_result_set(out, isnull, TT_UPLIFT_CI_HIGH, diff + half_width);
	crm_result_set(out, isnull, TT_INCREMENTAL_TOTAL, diff * n_t);
	crm_result_set(out, isnull, TT_INCREMENTAL_CI_LOW, (diff - half_width) * n_t);
	crm_result_set(out, isnull, TT_INCREMENTAL_CI_HIGH, (diff + half_width) * n_t);

	/*
	 * Relative lift against |lift_base| (so its sign follows the uplift),
	 * delta-method standard error sqrt(se2_t + (mean_t/base)^2 se2_c) /
	 * |base|, normal quantile.  Undefined for a zero base, and left NULL
	 * when it does not fit in a double.
	 */
	if (lift_base != 0)
	{
		double		ratio = (lift_base + diff) / lift_base;
		double		lift = diff / fabs(lift_base);
		double		se_lift = sqrt(se2_t + ratio * ratio * se2_c) / fabs(lift_base);

		z = -crm_normal_quantile((1 - confidence) / 2);
		if (isfinite(lift) && isfinite(se_lift) && isfinite(z * se_lift))
		{
			crm_result_set(out, isnull, TT_LIFT, lift);
			crm_result_set(out, isnull, TT_LIFT_CI_LOW, lift - z * se_lift);
			crm_result_set(out, isnull, TT_LIFT_CI_HIGH, lift + z * se_lift);
		}
	}
}

void
crm_welch_test(const double *treatment, const double *control, double confidence,
			   double *out, bool *isnull)
{
	WelchArm	t = {treatment[MOMENTS_N], moments_mean(treatment), 0};
	WelchArm	c = {control[MOMENTS_N], moments_mean(control), 0};
	double		diff = 0;

	if (t.n >= 2)
		t.var = moments_variance(treatment);
	if (c.n >= 2)
		c.var = moments_variance(control);
	if (t.n >= 1 && c.n >= 1)
		diff = moments_mean_difference(treatment, control);
	crm_welch_from_summaries(&t, &c, diff, c.mean, confidence, out, isnull);
}
