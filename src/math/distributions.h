/*
 * distributions.h — normal, Student t and chi-square distribution functions.
 *
 * Pure C, no PostgreSQL types, so they can be unit-tested on their own.
 * Callers validate arguments; the preconditions are stated per function.
 * Upper tails are computed directly (never as 1 - cdf), so p-values stay
 * accurate down to 1e-300.  Formulas: doc/stats.md, "Normal distribution",
 * "Student t distribution" and "Chi-square distribution".
 */
#ifndef CRM_MATH_DISTRIBUTIONS_H
#define CRM_MATH_DISTRIBUTIONS_H

/* Standard normal: P(Z <= x) and P(Z > x); x may be +-Infinity, not NaN. */
extern double crm_normal_cdf(double x);
extern double crm_normal_sf(double x);

/* Standard normal quantile; 0 <= p <= 1 (0 and 1 give -Infinity/+Infinity). */
extern double crm_normal_quantile(double p);

/* Student t with df > 0 (finite) degrees of freedom; x not NaN. */
extern double crm_student_t_cdf(double x, double df);

/* Two-sided p-value P(|T| >= |t|); t may be +-Infinity (gives 0). */
extern double crm_student_t_two_sided_p(double t, double df);

/*
 * Student t quantile; 0 <= p <= 1, df > 0.  Returns +-HUGE_VAL when the
 * quantile lies beyond the double range (only possible for df < 1).
 */
extern double crm_student_t_quantile(double p, double df);

/* Chi-square upper tail P(X > x) with df > 0; x not NaN (x <= 0 gives 1). */
extern double crm_chi2_sf(double x, double df);

#endif
