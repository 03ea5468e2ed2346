/*
 * sample_size.c — customers needed per arm to detect a given effect with a
 * two-sided test at level alpha with the given power (normal approximation).
 * Formulas: doc/stats.md, "Sample sizes".
 */
#include "stats/experiments.h"

#include <math.h>

#include "math/distributions.h"

/* n = 2 (z_{1-alpha/2} + z_{power})^2 sd^2 / mde^2: equal arms, equal variances */
double
crm_ttest_sample_size(double sd, double mde, double alpha, double power)
{
	double		z = -crm_normal_quantile(alpha / 2) + crm_normal_quantile(power);
	double		ratio = sd / mde;

	return 2 * z * z * ratio * ratio;
}

/*
 * Fleiss' formula for two proportions p1 = base_rate, p2 = base_rate + mde
 * (the closed form that R's power.prop.test solves numerically):
 * n = (z_a sqrt(2 pbar qbar) + z_b sqrt(p1 q1 + p2 q2))^2 / (p1 - p2)^2
 */
double
crm_ztest_sample_size(double base_rate, double mde, double alpha, double power)
{
	double		p1 = base_rate;
	double		p2 = base_rate + mde;
	double		pbar = (p1 + p2) / 2;
	double		root = -crm_normal_quantile(alpha / 2) * sqrt(2 * pbar * (1 - pbar))
		+ crm_normal_quantile(power) * sqrt(p1 * (1 - p1) + p2 * (1 - p2));

	return root * root / (mde * mde);
}
