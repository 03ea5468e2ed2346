/*
 * sequential_test_sql.c — crm.sequential_test, from an uplift and its
 * variance or from a crm.ttest_result / crm.ztest_result row: the SQL side
 * of msprt.c.
 */
#include "util/sql_util.h"

#include "access/htup_details.h"
#include "executor/executor.h"

#include "stats/experiments.h"

static const char *const FUNCTION = "crm.sequential_test";

PG_FUNCTION_INFO_V1(crm_sequential_test);
PG_FUNCTION_INFO_V1(crm_sequential_test_ttest);
PG_FUNCTION_INFO_V1(crm_sequential_test_ztest);

/* Validates the arguments, runs crm_msprt and builds the crm.sequential_result row. */
static Datum
sequential_result(FunctionCallInfo fcinfo, double diff, double v, double tau2,
				  const char *tau_argument, double confidence)
{
	double		out[SEQ_NCOLUMNS];
	bool		isnull[SEQ_NCOLUMNS] = {false, false, false, false};

	crm_check_finite(diff, FUNCTION, "uplift");
	crm_check_finite(v, FUNCTION, "uplift_variance");
	if (v < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: uplift_variance must not be negative, got %g", FUNCTION, v)));
	crm_check_positive(tau2, FUNCTION, tau_argument);
	crm_check_finite(confidence, FUNCTION, "confidence");
	crm_check_open_unit(confidence, FUNCTION, "confidence");
	if (!crm_msprt(diff, v, tau2, 1 - confidence, out))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: value out of range: the confidence sequence overflowed", FUNCTION)));
	return crm_composite_result(fcinfo, out, isnull, SEQ_NCOLUMNS);
}

/* sequential_test(uplift, uplift_variance, mixture_variance, confidence) */
Datum
crm_sequential_test(PG_FUNCTION_ARGS)
{
	return sequential_result(fcinfo, PG_GETARG_FLOAT8(0), PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2),
							 "mixture_variance", PG_GETARG_FLOAT8(3));
}

/* A float8 field of a composite argument; false when it is NULL. */
static bool
field(HeapTupleHeader row, const char *name, double *value)
{
	bool		isnull;
	Datum		d = GetAttributeByName(row, name, &isnull);

	if (!isnull)
		*value = DatumGetFloat8(d);
	return !isnull;
}

/* A bigint field of a composite argument as a double; false when it is NULL. */
static bool
count_field(HeapTupleHeader row, const char *name, double *value)
{
	bool		isnull;
	Datum		d = GetAttributeByName(row, name, &isnull);

	if (!isnull)
		*value = (double) DatumGetInt64(d);
	return !isnull;
}

/* mixture_sd squared, 22023 unless positive and finite before and after squaring */
static double
mixture_variance(double sd)
{
	crm_check_positive(sd, FUNCTION, "mixture_sd");
	crm_check_positive(sd * sd, FUNCTION, "mixture_sd squared");
	return sd * sd;
}

/*
 * sequential_test(result crm.ttest_result, mixture_sd, confidence):
 * V = sd_t^2/n_t + sd_c^2/n_c; NULL when the result has no test.
 */
Datum
crm_sequential_test_ttest(PG_FUNCTION_ARGS)
{
	HeapTupleHeader row = PG_GETARG_HEAPTUPLEHEADER(0);
	double		tau2 = mixture_variance(PG_GETARG_FLOAT8(1));
	double		n_t,
				n_c,
				sd_t,
				sd_c,
				uplift;

	if (!count_field(row, "n_treatment", &n_t) || !count_field(row, "n_control", &n_c) ||
		!field(row, "sd_treatment", &sd_t) || !field(row, "sd_control", &sd_c) ||
		!field(row, "uplift", &uplift) || n_t < 2 || n_c < 2)
		PG_RETURN_NULL();
	return sequential_result(fcinfo, uplift, crm_welch_uplift_variance(n_t, sd_t, n_c, sd_c), tau2,
							 "mixture_sd", PG_GETARG_FLOAT8(2));
}

/*
 * sequential_test(result crm.ztest_result, mixture_sd, confidence):
 * V = r_t (1 - r_t)/n_t + r_c (1 - r_c)/n_c (unpooled); NULL when the
 * result has no test.
 */
Datum
crm_sequential_test_ztest(PG_FUNCTION_ARGS)
{
	HeapTupleHeader row = PG_GETARG_HEAPTUPLEHEADER(0);
	double		tau2 = mixture_variance(PG_GETARG_FLOAT8(1));
	double		n_t,
				n_c,
				r_t,
				r_c,
				uplift;

	if (!count_field(row, "n_treatment", &n_t) || !count_field(row, "n_control", &n_c) ||
		!field(row, "rate_treatment", &r_t) || !field(row, "rate_control", &r_c) ||
		!field(row, "uplift", &uplift) || n_t < 1 || n_c < 1)
		PG_RETURN_NULL();
	return sequential_result(fcinfo, uplift, crm_proportion_uplift_variance(n_t, r_t, n_c, r_c), tau2,
							 "mixture_sd", PG_GETARG_FLOAT8(2));
}
