/*
 * experiments.h — the statistics behind crm.uplift_ttest, crm.uplift_ztest,
 * crm.nps, crm.srm_test and the sample-size functions.
 *
 * Pure C.  Each test fills a row of doubles plus NULL flags whose order is
 * exactly the column order of the SQL result type (README, "Experiment
 * aggregates"); counts travel as doubles (exact below 2^53) and become
 * bigint in the SQL layer.
 * Formulas: doc/stats.md, one section per test.
 */
#ifndef CRM_EXPERIMENTS_H
#define CRM_EXPERIMENTS_H

#include <stdbool.h>

#define CRM_DEFAULT_CONFIDENCE 0.95

/* crm.ttest_result */
typedef enum TTestColumn
{
	TT_N_TREATMENT, TT_N_CONTROL, TT_MEAN_TREATMENT, TT_MEAN_CONTROL,
	TT_SD_TREATMENT, TT_SD_CONTROL, TT_UPLIFT, TT_UPLIFT_CI_LOW, TT_UPLIFT_CI_HIGH,
	TT_LIFT, TT_LIFT_CI_LOW, TT_LIFT_CI_HIGH, TT_T_STAT, TT_DF, TT_P_VALUE,
	TT_INCREMENTAL_TOTAL, TT_INCREMENTAL_CI_LOW, TT_INCREMENTAL_CI_HIGH,
	TT_NCOLUMNS
} TTestColumn;

/* crm.ztest_result */
typedef enum ZTestColumn
{
	ZT_N_TREATMENT, ZT_N_CONTROL, ZT_CONVERSIONS_TREATMENT, ZT_CONVERSIONS_CONTROL,
	ZT_RATE_TREATMENT, ZT_RATE_CONTROL, ZT_UPLIFT, ZT_UPLIFT_CI_LOW, ZT_UPLIFT_CI_HIGH,
	ZT_LIFT, ZT_LIFT_CI_LOW, ZT_LIFT_CI_HIGH, ZT_Z_STAT, ZT_P_VALUE,
	ZT_NCOLUMNS
} ZTestColumn;

/* crm.nps_result */
typedef enum NpsColumn
{
	NPS_RESPONSES, NPS_PROMOTERS, NPS_PASSIVES, NPS_DETRACTORS,
	NPS_SCORE, NPS_MARGIN_OF_ERROR, NPS_CI_LOW, NPS_CI_HIGH,
	NPS_NCOLUMNS
} NpsColumn;

/*
 * Welch two-sample t-test of treatment vs control from two moments
 * sextuples (moments.h).  0 < confidence < 1.
 */
extern void crm_welch_test(const double *treatment, const double *control, double confidence,
						   double *out, bool *isnull);

/* One arm of a Welch test: size, mean, sample variance (n >= 2). */
typedef struct WelchArm
{
	double		n;
	double		mean;
	double		var;
} WelchArm;

/*
 * The same test from per-arm summaries; diff = mean_t - mean_c (as exact as
 * the caller can), lift_base the control mean the relative lift divides by.
 */
extern void crm_welch_from_summaries(const WelchArm *treatment, const WelchArm *control, double diff,
									 double lift_base, double confidence, double *out, bool *isnull);

/* Pooled two-proportion z-test with Newcombe's hybrid-score interval. */
extern void crm_proportion_test(double n_treatment, double conversions_treatment,
								double n_control, double conversions_control,
								double confidence, double *out, bool *isnull);

/* Wilson score interval for x successes out of n > 0 trials, at normal quantile z. */
extern void crm_wilson_interval(double x, double n, double z, double *low, double *high);

/* Net Promoter Score with its normal-approximation interval. */
extern void crm_nps_estimate(double promoters, double passives, double detractors,
							 double confidence, double *out, bool *isnull);

/* Chi-square (1 df) p-value of the observed split against the planned share. */
extern double crm_srm_p_value(double n_treatment, double n_control, double treatment_share);

/*
 * Customers per arm for a two-sided test (normal approximation).  Return
 * the unrounded n; callers round up.
 */
extern double crm_ttest_sample_size(double sd, double mde, double alpha, double power);
extern double crm_ztest_sample_size(double base_rate, double mde, double alpha, double power);

#endif
