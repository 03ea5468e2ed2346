/*
 * srm_test_sql.c — SQL wrapper of crm.srm_test, the sample-ratio-mismatch
 * check (the pure C is crm_srm_p_value in proportions.c).
 */
#include "util/sql_util.h"

#include "stats/experiments.h"

PG_FUNCTION_INFO_V1(crm_srm_test);

/* 22003 unless count >= 0. */
static void
check_count(int64 count, const char *function, const char *argument)
{
	if (unlikely(count < 0))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: %s must not be negative, got " INT64_FORMAT, function, argument, count)));
}

/*
 * srm_test(n_treatment bigint, n_control bigint, expected_treatment_share float8)
 * p-value of the chi-square goodness-of-fit test; NULL with no customers.
 */
Datum
crm_srm_test(PG_FUNCTION_ARGS)
{
	static const char *const F = "crm.srm_test";
	int64		n_t = PG_GETARG_INT64(0);
	int64		n_c = PG_GETARG_INT64(1);
	double		share = PG_GETARG_FLOAT8(2);

	check_count(n_t, F, "n_treatment");
	check_count(n_c, F, "n_control");
	crm_check_open_unit(share, F, "expected_treatment_share");
	if (n_t == 0 && n_c == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(crm_srm_p_value((double) n_t, (double) n_c, share));
}
