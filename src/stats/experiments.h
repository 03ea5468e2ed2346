/*
 * experiments.h — the statistics behind crm.uplift_ttest, crm.uplift_ztest,
 * crm.uplift_ttest_cuped, crm.nps, crm.srm_test, the sample-size functions,
 * crm.p_adjust and crm.sequential_test.
 *
 * Pure C.  Each test fills a row of doubles plus NULL flags whose order is
 * exactly the column order of the SQL result type (doc/reference/stats.md); counts travel as doubles (exact below 2^53) and become
 * bigint in the SQL layer.
 * Formulas: doc/stats.md, one section per test.
 */
#ifndef CRM_EXPERIMENTS_H
#define CRM_EXPERIMENTS_H

#include <stdbool.h>

#define CRM_DEFAULT_CONFIDENCE 0.95

/* A result row starts with every column NULL; the tests fill what is defined. */
static inline void
crm_result_all_null(bool *isnull, int ncolumns)
{
	int			i;

	for (i = 0; i < ncolumns; i++)
		isnull[i] = true;
}

/* Sets a column of a result row. */
static inline void
crm_result_set(double *out, bool *isnull, int column, double value)
{
	out[column] = value;
	isnull[column] = false;
}

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

/* crm.ttest_cuped_result: the crm.ttest_result columns, then these */
typedef enum CupedColumn
{
	CUPED_THETA = TT_NCOLUMNS, CUPED_VARIANCE_REDUCTION,
	CUPED_NCOLUMNS
} CupedColumn;

/* crm.sequential_result */
typedef enum SequentialColumn
{
	SEQ_P_VALUE, SEQ_CI_LOW, SEQ_CI_HIGH, SEQ_LOG_LIKELIHOOD_RATIO,
	SEQ_NCOLUMNS
} SequentialColumn;

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

/*
 * CUPED: Welch's test on values adjusted by the pre-period covariate, from
 * the two arms' comoments blocks (comoments.h); fills CUPED_NCOLUMNS
 * columns.  False when a pooled sum overflows.
 */
extern bool crm_cuped_test(const double *treatment, const double *control, double confidence,
						   double *out, bool *isnull);

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

/* Multiple-comparison adjustments of crm.p_adjust (as R's p.adjust names them). */
typedef enum PAdjustMethod
{
	PADJ_BONFERRONI, PADJ_HOLM, PADJ_HOCHBERG, PADJ_BH, PADJ_BY
} PAdjustMethod;

/* Scratch space of crm_p_adjust_values: one element per p-value. */
typedef struct PAdjustRank
{
	double		p;
	int			index;
} PAdjustRank;

/*
 * Adjusts m >= 0 p-values into adjusted[] (input order), using work[m].
 * Returns -1, or the index of the first p not in [0, 1] (adjusted[] is then
 * left alone).
 */
extern int	crm_p_adjust_values(const double *p, int m, PAdjustMethod method, double *adjusted,
								PAdjustRank *work);

/*
 * mSPRT at one look: uplift estimate diff with variance v >= 0, mixing
 * variance tau2 > 0, 0 < alpha < 1; fills SEQ_NCOLUMNS columns.  False when
 * the interval's half-width overflows.
 */
extern bool crm_msprt(double diff, double v, double tau2, double alpha, double *out);

/* Variance of the uplift estimate of a Welch test (n >= 2) and of a z-test (n >= 1). */
extern double crm_welch_uplift_variance(double n_t, double sd_t, double n_c, double sd_c);
extern double crm_proportion_uplift_variance(double n_t, double rate_t, double n_c, double rate_c);

#endif
