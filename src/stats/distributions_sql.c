/*
 * distributions_sql.c — SQL wrappers of the distribution functions
 * (crm.normal_cdf, crm.normal_quantile, crm.student_t_cdf,
 * crm.student_t_quantile, crm.chi2_sf): argument checks, then the pure C
 * of distributions.c.
 *
 * x may be +-Infinity (the limits are defined), never NaN.  df must be
 * positive; df = Infinity is the normal distribution.
 */
#include "util/sql_util.h"

#include "math/distributions.h"

PG_FUNCTION_INFO_V1(crm_normal_cdf_sql);
PG_FUNCTION_INFO_V1(crm_normal_quantile_sql);
PG_FUNCTION_INFO_V1(crm_student_t_cdf_sql);
PG_FUNCTION_INFO_V1(crm_student_t_quantile_sql);
PG_FUNCTION_INFO_V1(crm_chi2_sf_sql);

/* 22023 for NaN; infinities pass. */
static void
check_not_nan(double value, const char *function, const char *argument)
{
	if (unlikely(isnan(value)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s must not be NaN", function, argument)));
}

/* 22003 unless 0 <= p <= 1. */
static void
check_probability(double p, const char *function)
{
	if (unlikely(!(p >= 0 && p <= 1)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: p must be between 0 and 1, got %g", function, p)));
}

/* 22023 unless df > 0 (Infinity allowed). */
static void
check_df(double df, const char *function)
{
	if (unlikely(!(df > 0)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: df must be positive, got %g", function, df)));
}

/* normal_cdf(x float8) */
Datum
crm_normal_cdf_sql(PG_FUNCTION_ARGS)
{
	double		x = PG_GETARG_FLOAT8(0);

	check_not_nan(x, "crm.normal_cdf", "x");
	PG_RETURN_FLOAT8(crm_normal_cdf(x));
}

/* normal_quantile(p float8): p = 0 and 1 give -Infinity and Infinity */
Datum
crm_normal_quantile_sql(PG_FUNCTION_ARGS)
{
	double		p = PG_GETARG_FLOAT8(0);

	check_probability(p, "crm.normal_quantile");
	PG_RETURN_FLOAT8(crm_normal_quantile(p));
}

/* student_t_cdf(x float8, df float8) */
Datum
crm_student_t_cdf_sql(PG_FUNCTION_ARGS)
{
	double		x = PG_GETARG_FLOAT8(0);
	double		df = PG_GETARG_FLOAT8(1);

	check_not_nan(x, "crm.student_t_cdf", "x");
	check_df(df, "crm.student_t_cdf");
	if (isinf(df))
		PG_RETURN_FLOAT8(crm_normal_cdf(x));
	PG_RETURN_FLOAT8(crm_student_t_cdf(x, df));
}

/* student_t_quantile(p float8, df float8) */
Datum
crm_student_t_quantile_sql(PG_FUNCTION_ARGS)
{
	double		p = PG_GETARG_FLOAT8(0);
	double		df = PG_GETARG_FLOAT8(1);

	check_probability(p, "crm.student_t_quantile");
	check_df(df, "crm.student_t_quantile");
	if (isinf(df))
		PG_RETURN_FLOAT8(crm_normal_quantile(p));
	PG_RETURN_FLOAT8(crm_student_t_quantile(p, df));
}

/* chi2_sf(x float8, df float8): P(X > x); x <= 0 gives 1 */
Datum
crm_chi2_sf_sql(PG_FUNCTION_ARGS)
{
	double		x = PG_GETARG_FLOAT8(0);
	double		df = PG_GETARG_FLOAT8(1);

	check_not_nan(x, "crm.chi2_sf", "x");
	check_df(df, "crm.chi2_sf");
	if (isinf(df))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("crm.chi2_sf: df must be finite, got Infinity")));
	PG_RETURN_FLOAT8(crm_chi2_sf(x, df));
}
