/*
 * sample_size_sql.c — SQL wrappers of crm.ttest_sample_size and
 * crm.ztest_sample_size (the pure C is sample_size.c).
 */
#include "util/sql_util.h"

#include "stats/experiments.h"

PG_FUNCTION_INFO_V1(crm_ttest_sample_size_sql);
PG_FUNCTION_INFO_V1(crm_ztest_sample_size_sql);

/* Rounds a per-arm size up to a bigint; 22003 when it does not fit. */
static int64
round_up_size(double n, const char *function)
{
	double		rounded = ceil(n);

	if (!(rounded < 9.2e18))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: the sample size %g does not fit in a bigint", function, n)));
	return (int64) rounded;
}

/*
 * The common checks: alpha in (0, 1), power in [0.5, 1).  Below 0.5 a
 * design is not meaningful, and the normal-approximation formulas can
 * return sizes that do not reach even that power.
 */
static void
check_alpha_power(double alpha, double power, const char *function)
{
	crm_check_open_unit(alpha, function, "alpha");
	if (!(power >= 0.5 && power < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: power must be at least 0.5 and below 1, got %g", function, power)));
}

/* ttest_sample_size(sd, mde, alpha, power) returns bigint customers per arm */
Datum
crm_ttest_sample_size_sql(PG_FUNCTION_ARGS)
{
	static const char *const F = "crm.ttest_sample_size";
	double		sd = PG_GETARG_FLOAT8(0);
	double		mde = PG_GETARG_FLOAT8(1);
	double		alpha = PG_GETARG_FLOAT8(2);
	double		power = PG_GETARG_FLOAT8(3);

	crm_check_positive(sd, F, "sd");
	crm_check_finite(mde, F, "mde");
	if (mde == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: mde must not be 0", F)));
	check_alpha_power(alpha, power, F);
	/* at least 2 per arm: a variance needs two values */
	PG_RETURN_INT64(Max(2, round_up_size(crm_ttest_sample_size(sd, fabs(mde), alpha, power), F)));
}

/* ztest_sample_size(base_rate, mde, alpha, power) returns bigint customers per arm */
Datum
crm_ztest_sample_size_sql(PG_FUNCTION_ARGS)
{
	static const char *const F = "crm.ztest_sample_size";
	double		base_rate = PG_GETARG_FLOAT8(0);
	double		mde = PG_GETARG_FLOAT8(1);
	double		alpha = PG_GETARG_FLOAT8(2);
	double		power = PG_GETARG_FLOAT8(3);

	crm_check_open_unit(base_rate, F, "base_rate");
	crm_check_finite(mde, F, "mde");
	if (mde == 0 || !(base_rate + mde > 0 && base_rate + mde < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: mde must be non-zero with base_rate + mde between 0 and 1, got base_rate %g and mde %g",
						F, base_rate, mde)));
	check_alpha_power(alpha, power, F);
	PG_RETURN_INT64(Max(1, round_up_size(crm_ztest_sample_size(base_rate, mde, alpha, power), F)));
}
