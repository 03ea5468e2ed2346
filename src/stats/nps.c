/*
 * nps.c — Net Promoter Score and its margin of error.
 * Formulas: doc/stats.md, "NPS margin of error".
 */
#include "stats/experiments.h"

#include <math.h>

#include "math/distributions.h"

void
crm_nps_estimate(double promoters, double passives, double detractors, double confidence,
				 double *out, bool *isnull)
{
	double		n = promoters + passives + detractors;
	double		share_p,
				share_d,
				variance,
				margin,
				score;

	crm_result_all_null(isnull, NPS_NCOLUMNS);
	crm_result_set(out, isnull, NPS_RESPONSES, n);
	crm_result_set(out, isnull, NPS_PROMOTERS, promoters);
	crm_result_set(out, isnull, NPS_PASSIVES, passives);
	crm_result_set(out, isnull, NPS_DETRACTORS, detractors);
	if (n == 0)
		return;

	share_p = promoters / n;
	share_d = detractors / n;
	score = 100 * (share_p - share_d);

	/*
	 * Per-answer variance of X in {+1, 0, -1}: p+ + p- - (p+ - p-)^2, written
	 * as a sum of non-negative terms so rounding cannot make it negative.
	 */
	variance = share_p * (1 - share_p) + share_d * (1 - share_d) + 2 * share_p * share_d;
	margin = -crm_normal_quantile((1 - confidence) / 2) * 100 * sqrt(variance / n);

	crm_result_set(out, isnull, NPS_SCORE, score);
	crm_result_set(out, isnull, NPS_MARGIN_OF_ERROR, margin);
	crm_result_set(out, isnull, NPS_CI_LOW, fmax(-100, score - margin));
	crm_result_set(out, isnull, NPS_CI_HIGH, fmin(100, score + margin));
}
