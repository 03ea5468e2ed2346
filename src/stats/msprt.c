/*
 * msprt.c — the mixture sequential probability ratio test (mSPRT) with a
 * normal mixing distribution (Johari, Koomen, Pekelis & Walsh, KDD 2017;
 * Johari, Pekelis & Walsh 2015): the always-valid p-value of one look and
 * the confidence sequence at that look.
 * Formulas: doc/stats.md, "Sequential test (mSPRT)".
 */
#include "stats/experiments.h"

#include <math.h>

/*
 *   ln L = -1/2 ln(1 + tau2/v) + diff^2/(2v) * tau2/(v + tau2)
 *   p    = exp(-max(0, ln L))
 *   half = sqrt(v (1 + v/tau2) (-2 ln alpha + ln(1 + tau2/v)))
 * v = 0 is the limit v -> 0: a known difference, ln L = +Infinity (p = 0)
 * unless diff = 0 (ln L = -Infinity, p = 1), interval [diff, diff].
 */
bool
crm_msprt(double diff, double v, double tau2, double alpha, double *out)
{
	double		log_ratio,
				log_growth,
				half;

	if (v == 0)
	{
		out[SEQ_LOG_LIKELIHOOD_RATIO] = diff == 0 ? -INFINITY : INFINITY;
		out[SEQ_P_VALUE] = diff == 0 ? 1 : 0;
		out[SEQ_CI_LOW] = out[SEQ_CI_HIGH] = diff;
		return true;
	}
	/* ln((v + tau2)/v), without overflow when tau2/v does */
	log_growth = isfinite(tau2 / v) ? log1p(tau2 / v) : log(tau2) - log(v);
	log_ratio = -0.5 * log_growth + (diff / v) * diff / 2 * (tau2 / (v + tau2));
	half = sqrt(v * (1 + v / tau2)) * sqrt(-2 * log(alpha) + log_growth);
	if (!isfinite(half))
		return false;
	out[SEQ_LOG_LIKELIHOOD_RATIO] = log_ratio;
	out[SEQ_P_VALUE] = exp(-fmax(0, log_ratio));
	out[SEQ_CI_LOW] = diff - half;
	out[SEQ_CI_HIGH] = diff + half;
	return true;
}

/* V = sd_t^2/n_t + sd_c^2/n_c */
double
crm_welch_uplift_variance(double n_t, double sd_t, double n_c, double sd_c)
{
	return sd_t * sd_t / n_t + sd_c * sd_c / n_c;
}

/* V = r_t (1 - r_t)/n_t + r_c (1 - r_c)/n_c, unpooled */
double
crm_proportion_uplift_variance(double n_t, double rate_t, double n_c, double rate_c)
{
	return rate_t * (1 - rate_t) / n_t + rate_c * (1 - rate_c) / n_c;
}
