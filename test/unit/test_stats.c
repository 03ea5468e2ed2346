/*
 * test_stats.c — the pure experiment statistics of src/stats/ (p_adjust.c,
 * cuped.c, msprt.c) in plain C, without a server, against reference values
 * computed independently of this code:
 *   - p_adjust: base R's stats::p.adjust, the rows of
 *     sql/stats_incrementality.sql (test/refgen/p_adjust_refs.R) with the NA
 *     elements dropped (R does not count them either); the tie and boundary
 *     cases by hand from the definitions in doc/stats.md, "Multiple
 *     comparisons (p_adjust)".
 *   - CUPED and mSPRT: mpmath at 50 digits from the textbook formulas (theta
 *     = Cxy/M2x over the pooled rows, Welch's test on y - theta (x - x̄),
 *     t tail as a regularized incomplete beta, quantiles by findroot; the
 *     mSPRT formulas of doc/stats.md, "Sequential test (mSPRT)").
 * Exit status 1 when a check fails.  Build and run: make check-stats
 */
#include "stats/comoments.h"
#include "stats/experiments.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int	npass = 0,
			nfail = 0;

static void
check(int ok, const char *what, double got, double expected)
{
	if (ok)
		npass++;
	else
	{
		nfail++;
		printf("FAIL %s: got %.17g, expected %.17g\n", what, got, expected);
	}
}

/* |got/expected - 1| <= tol, or got == expected (zeros, infinities) */
static void
check_close(const char *what, double got, double expected, double tol)
{
	check(got == expected || fabs(got / expected - 1) <= tol, what, got, expected);
}

/* ---------------------------------------------------------------------- */
/* p_adjust                                                                */
/* ---------------------------------------------------------------------- */

#define MAX_P 16

typedef struct PAdjustCase
{
	const char *name;
	PAdjustMethod method;
	int			m;
	double		p[MAX_P];
	double		expected[MAX_P];
} PAdjustCase;

static const PAdjustCase p_adjust_cases[] = {
	/* R's p.adjust (v2: ties; v3: 0 and 1; v6: a single value; v3, v7: NAs dropped) */
	{"v1 bonferroni", PADJ_BONFERRONI, 5, {0.01, 0.02, 0.029999999999999999, 0.040000000000000001, 0.050000000000000003}, {0.050000000000000003, 0.10000000000000001, 0.14999999999999999, 0.20000000000000001, 0.25}},
	{"v1 holm", PADJ_HOLM, 5, {0.01, 0.02, 0.029999999999999999, 0.040000000000000001, 0.050000000000000003}, {0.050000000000000003, 0.080000000000000002, 0.089999999999999997, 0.089999999999999997, 0.089999999999999997}},
	{"v1 hochberg", PADJ_HOCHBERG, 5, {0.01, 0.02, 0.029999999999999999, 0.040000000000000001, 0.050000000000000003}, {0.050000000000000003, 0.050000000000000003, 0.050000000000000003, 0.050000000000000003, 0.050000000000000003}},
	{"v1 bh", PADJ_BH, 5, {0.01, 0.02, 0.029999999999999999, 0.040000000000000001, 0.050000000000000003}, {0.050000000000000003, 0.050000000000000003, 0.050000000000000003, 0.050000000000000003, 0.050000000000000003}},
	{"v1 by", PADJ_BY, 5, {0.01, 0.02, 0.029999999999999999, 0.040000000000000001, 0.050000000000000003}, {0.11416666666666665, 0.11416666666666665, 0.11416666666666665, 0.11416666666666667, 0.11416666666666667}},
	{"v2 bonferroni", PADJ_BONFERRONI, 8, {0.040000000000000001, 0.001, 0.29999999999999999, 0.040000000000000001, 0.012500000000000001, 0.90000000000000002, 0.040000000000000001, 0.20000000000000001}, {0.32000000000000001, 0.0080000000000000002, 1, 0.32000000000000001, 0.10000000000000001, 1, 0.32000000000000001, 1}},
	{"v2 holm", PADJ_HOLM, 8, {0.040000000000000001, 0.001, 0.29999999999999999, 0.040000000000000001, 0.012500000000000001, 0.90000000000000002, 0.040000000000000001, 0.20000000000000001}, {0.23999999999999999, 0.0080000000000000002, 0.60000000000000009, 0.23999999999999999, 0.087500000000000008, 0.90000000000000002, 0.23999999999999999, 0.60000000000000009}},
	{"v2 hochberg", PADJ_HOCHBERG, 8, {0.040000000000000001, 0.001, 0.29999999999999999, 0.040000000000000001, 0.012500000000000001, 0.90000000000000002, 0.040000000000000001, 0.20000000000000001}, {0.16, 0.0080000000000000002, 0.59999999999999998, 0.16, 0.087500000000000008, 0.90000000000000002, 0.16, 0.59999999999999998}},
	{"v2 bh", PADJ_BH, 8, {0.040000000000000001, 0.001, 0.29999999999999999, 0.040000000000000001, 0.012500000000000001, 0.90000000000000002, 0.040000000000000001, 0.20000000000000001}, {0.064000000000000001, 0.0080000000000000002, 0.3428571428571428, 0.064000000000000001, 0.050000000000000003, 0.90000000000000002, 0.064000000000000001, 0.26666666666666666}},
	{"v2 by", PADJ_BY, 8, {0.040000000000000001, 0.001, 0.29999999999999999, 0.040000000000000001, 0.012500000000000001, 0.90000000000000002, 0.040000000000000001, 0.20000000000000001}, {0.17394285714285715, 0.021742857142857144, 0.93183673469387751, 0.17394285714285715, 0.13589285714285715, 1, 0.17394285714285715, 0.72476190476190483}},
	{"v3 bonferroni", PADJ_BONFERRONI, 7, {0, 1, 0.5, 0.02, 0, 1, 0.049000000000000002}, {0, 1, 1, 0.14000000000000001, 0, 1, 0.34300000000000003}},
	{"v3 holm", PADJ_HOLM, 7, {0, 1, 0.5, 0.02, 0, 1, 0.049000000000000002}, {0, 1, 1, 0.10000000000000001, 0, 1, 0.19600000000000001}},
	{"v3 hochberg", PADJ_HOCHBERG, 7, {0, 1, 0.5, 0.02, 0, 1, 0.049000000000000002}, {0, 1, 1, 0.10000000000000001, 0, 1, 0.19600000000000001}},
	{"v3 bh", PADJ_BH, 7, {0, 1, 0.5, 0.02, 0, 1, 0.049000000000000002}, {0, 1, 0.69999999999999996, 0.046666666666666669, 0, 1, 0.085750000000000007}},
	{"v3 by", PADJ_BY, 7, {0, 1, 0.5, 0.02, 0, 1, 0.049000000000000002}, {0, 1, 1, 0.12100000000000001, 0, 1, 0.22233750000000002}},
	{"v4 bonferroni", PADJ_BONFERRONI, 4, {0.80000000000000004, 0.59999999999999998, 0.69999999999999996, 0.90000000000000002}, {1, 1, 1, 1}},
	{"v4 holm", PADJ_HOLM, 4, {0.80000000000000004, 0.59999999999999998, 0.69999999999999996, 0.90000000000000002}, {1, 1, 1, 1}},
	{"v4 hochberg", PADJ_HOCHBERG, 4, {0.80000000000000004, 0.59999999999999998, 0.69999999999999996, 0.90000000000000002}, {0.90000000000000002, 0.90000000000000002, 0.90000000000000002, 0.90000000000000002}},
	{"v4 bh", PADJ_BH, 4, {0.80000000000000004, 0.59999999999999998, 0.69999999999999996, 0.90000000000000002}, {0.90000000000000002, 0.90000000000000002, 0.90000000000000002, 0.90000000000000002}},
	{"v4 by", PADJ_BY, 4, {0.80000000000000004, 0.59999999999999998, 0.69999999999999996, 0.90000000000000002}, {1, 1, 1, 1}},
	{"v5 bonferroni", PADJ_BONFERRONI, 12, {1e-300, 3.3000000000000001e-12, 0.0020999999999999999, 0.012, 0.037400000000000003, 0.041000000000000002, 0.22, 0.5, 0.72999999999999998, 0.999, 0.001, 0.014999999999999999}, {1.2000000000000001e-299, 3.9599999999999998e-11, 0.0252, 0.14400000000000002, 0.44880000000000003, 0.49199999999999999, 1, 1, 1, 1, 0.012, 0.17999999999999999}},
	{"v5 holm", PADJ_HOLM, 12, {1e-300, 3.3000000000000001e-12, 0.0020999999999999999, 0.012, 0.037400000000000003, 0.041000000000000002, 0.22, 0.5, 0.72999999999999998, 0.999, 0.001, 0.014999999999999999}, {1.2000000000000001e-299, 3.63e-11, 0.0189, 0.096000000000000002, 0.22440000000000002, 0.22440000000000002, 0.88, 1, 1, 1, 0.01, 0.105}},
	{"v5 hochberg", PADJ_HOCHBERG, 12, {1e-300, 3.3000000000000001e-12, 0.0020999999999999999, 0.012, 0.037400000000000003, 0.041000000000000002, 0.22, 0.5, 0.72999999999999998, 0.999, 0.001, 0.014999999999999999}, {1.2000000000000001e-299, 3.63e-11, 0.0189, 0.096000000000000002, 0.20500000000000002, 0.20500000000000002, 0.88, 0.999, 0.999, 0.999, 0.01, 0.105}},
	{"v5 bh", PADJ_BH, 12, {1e-300, 3.3000000000000001e-12, 0.0020999999999999999, 0.012, 0.037400000000000003, 0.041000000000000002, 0.22, 0.5, 0.72999999999999998, 0.999, 0.001, 0.014999999999999999}, {1.2000000000000001e-299, 1.9799999999999999e-11, 0.0063, 0.028799999999999999, 0.061499999999999999, 0.061499999999999999, 0.29333333333333333, 0.59999999999999998, 0.79636363636363627, 0.999, 0.0040000000000000001, 0.029999999999999999}},
	{"v5 by", PADJ_BY, 12, {1e-300, 3.3000000000000001e-12, 0.0020999999999999999, 0.012, 0.037400000000000003, 0.041000000000000002, 0.22, 0.5, 0.72999999999999998, 0.999, 0.001, 0.014999999999999999}, {3.7238528138528138e-299, 6.1443571428571436e-11, 0.019550227272727271, 0.089372467532467539, 0.19084745670995673, 0.19084745670995673, 0.91027513227513235, 1, 1, 1, 0.012412842712842712, 0.093096320346320344}},
	{"v6 bonferroni", PADJ_BONFERRONI, 1, {0.029999999999999999}, {0.029999999999999999}},
	{"v6 holm", PADJ_HOLM, 1, {0.029999999999999999}, {0.029999999999999999}},
	{"v6 hochberg", PADJ_HOCHBERG, 1, {0.029999999999999999}, {0.029999999999999999}},
	{"v6 bh", PADJ_BH, 1, {0.029999999999999999}, {0.029999999999999999}},
	{"v6 by", PADJ_BY, 1, {0.029999999999999999}, {0.029999999999999999}},
	{"v7 bonferroni", PADJ_BONFERRONI, 2, {0.20000000000000001, 0.01}, {0.40000000000000002, 0.02}},
	{"v7 holm", PADJ_HOLM, 2, {0.20000000000000001, 0.01}, {0.20000000000000001, 0.02}},
	{"v7 hochberg", PADJ_HOCHBERG, 2, {0.20000000000000001, 0.01}, {0.20000000000000001, 0.02}},
	{"v7 bh", PADJ_BH, 2, {0.20000000000000001, 0.01}, {0.20000000000000001, 0.02}},
	{"v7 by", PADJ_BY, 2, {0.20000000000000001, 0.01}, {0.30000000000000004, 0.029999999999999999}},
	/* ties and bounds, by hand: sorted p = (.02, .02, .02, .5), m = 4 */
	{"ties bonferroni", PADJ_BONFERRONI, 4, {0.02, 0.5, 0.02, 0.02}, {0.08, 1, 0.08, 0.08}},
	{"ties holm", PADJ_HOLM, 4, {0.02, 0.5, 0.02, 0.02}, {0.08, 0.5, 0.08, 0.08}},
	{"ties hochberg", PADJ_HOCHBERG, 4, {0.02, 0.5, 0.02, 0.02}, {0.04, 0.5, 0.04, 0.04}},
	/* BH: min over j >= i of 4 p_(j) / j = 4 (.02) / 3 = 2/75; BY: that times 25/12 = 1/18 */
	{"ties bh", PADJ_BH, 4, {0.02, 0.5, 0.02, 0.02}, {2.0 / 75, 0.5, 2.0 / 75, 2.0 / 75}},
	{"ties by", PADJ_BY, 4, {0.02, 0.5, 0.02, 0.02}, {1.0 / 18, 1, 1.0 / 18, 1.0 / 18}},
	{"ones bonferroni", PADJ_BONFERRONI, 3, {1, 1, 1}, {1, 1, 1}},
	{"ones holm", PADJ_HOLM, 3, {1, 1, 1}, {1, 1, 1}},
	{"ones hochberg", PADJ_HOCHBERG, 3, {1, 1, 1}, {1, 1, 1}},
	{"ones bh", PADJ_BH, 3, {1, 1, 1}, {1, 1, 1}},
	{"ones by", PADJ_BY, 3, {1, 1, 1}, {1, 1, 1}},
	{"zeros by", PADJ_BY, 2, {0, 0}, {0, 0}},
	{"single 1 by", PADJ_BY, 1, {1}, {1}},
};

static void
test_p_adjust(void)
{
	const double bad_values[] = {NAN, 1.5, -0.01, INFINITY};
	PAdjustRank work[MAX_P];
	double		adjusted[MAX_P];
	char		what[96];
	size_t		c;
	int			i;

	for (c = 0; c < sizeof(p_adjust_cases) / sizeof(p_adjust_cases[0]); c++)
	{
		const PAdjustCase *t = &p_adjust_cases[c];
		int			rc = crm_p_adjust_values(t->p, t->m, t->method, adjusted, work);

		snprintf(what, sizeof what, "p_adjust %s: return", t->name);
		check(rc == -1, what, rc, -1);
		for (i = 0; i < t->m; i++)
		{
			snprintf(what, sizeof what, "p_adjust %s [%d]", t->name, i);
			check_close(what, adjusted[i], t->expected[i], 1e-14);
		}
	}

	/* no p-values: nothing to do, nothing written */
	adjusted[0] = 42;
	check(crm_p_adjust_values(NULL, 0, PADJ_HOLM, adjusted, work) == -1 && adjusted[0] == 42,
		  "p_adjust m = 0", adjusted[0], 42);

	/* a value outside [0, 1] is reported by its index, and nothing is written */
	for (c = 0; c < sizeof(bad_values) / sizeof(bad_values[0]); c++)
	{
		double		p[3] = {0.1, 0.2, 0.3};

		p[2] = bad_values[c];
		adjusted[0] = adjusted[1] = adjusted[2] = 42;
		snprintf(what, sizeof what, "p_adjust rejects %g", bad_values[c]);
		check(crm_p_adjust_values(p, 3, PADJ_BH, adjusted, work) == 2 && adjusted[0] == 42,
			  what, adjusted[0], 42);
	}
}

/* ---------------------------------------------------------------------- */
/* CUPED                                                                   */
/* ---------------------------------------------------------------------- */

/* (value, pre-period value) rows of one arm, into a comoments block */
static void
arm(double *m, const double (*rows)[2], int n)
{
	int			i;

	memset(m, 0, sizeof(double) * COMOMENTS_LEN);
	for (i = 0; i < n; i++)
		comoments_add(m, rows[i][0], rows[i][1]);
}

static void
check_column(const char *what, const double *out, const bool *isnull, int column, double expected,
			 double tol)
{
	char		name[96];

	snprintf(name, sizeof name, "%s column %d", what, column);
	if (isnull[column])
		check(0, name, NAN, expected);
	else
		check_close(name, out[column], expected, tol);
}

static void
check_null(const char *what, const bool *isnull, int column)
{
	char		name[96];

	snprintf(name, sizeof name, "%s column %d is NULL", what, column);
	check(isnull[column], name, 0, 0);
}

static void
test_cuped(void)
{
	static const double treatment_rows[][2] = {
		{12.5, 10.0}, {15.25, 13.5}, {9.0, 8.0}, {20.0, 17.25}, {14.0, 12.0}, {11.75, 9.5},
		{18.5, 15.0}, {13.0, 11.0}};
	static const double control_rows[][2] = {
		{10.0, 9.5}, {12.0, 12.5}, {8.5, 8.0}, {16.0, 16.5}, {11.0, 10.0}, {14.5, 15.0}, {9.75, 9.0}};
	/* mpmath, confidence 0.95 and 0.90: the columns that do not depend on it, then those that do */
	static const struct
	{
		int			column;
		double		value;
	}			common[] = {
		{TT_N_TREATMENT, 8}, {TT_N_CONTROL, 7},
		{TT_MEAN_TREATMENT, 13.995310998847115}, {TT_MEAN_CONTROL, 11.969644572746155},
		{TT_SD_TREATMENT, 0.68522410345737141}, {TT_SD_CONTROL, 0.73376219026236125},
		{TT_UPLIFT, 2.0256664261009598}, {TT_LIFT, 0.17345155942148891},
		{TT_T_STAT, 5.500817234065831}, {TT_DF, 12.441171529080977}, {TT_P_VALUE, 0.0001194943307283137},
		{TT_INCREMENTAL_TOTAL, 8 * 2.0256664261009598},
		{CUPED_THETA, 1.0273169794402101}, {CUPED_VARIANCE_REDUCTION, 0.94906014534151658}};
	static const struct
	{
		double		confidence;
		double		lo,
					hi,
					lift_lo,
					lift_hi;
	}			levels[] = {
		{0.95, 1.2264665898688043, 2.8248662623331154, 0.10536252100770189, 0.24154059783527594},
		{0.90, 1.3712758743968892, 2.6800569778050304, 0.11630943707946127, 0.23059368176351656}};
	double		t[COMOMENTS_LEN],
				c[COMOMENTS_LEN],
				empty[COMOMENTS_LEN],
				out[CUPED_NCOLUMNS],
				welch_out[TT_NCOLUMNS];
	bool		isnull[CUPED_NCOLUMNS],
				welch_isnull[TT_NCOLUMNS];
	size_t		k;
	int			i;

	arm(t, treatment_rows, 8);
	arm(c, control_rows, 7);
	for (k = 0; k < sizeof(levels) / sizeof(levels[0]); k++)
	{
		check(crm_cuped_test(t, c, levels[k].confidence, out, isnull), "cuped returns true", 0, 1);
		for (i = 0; i < (int) (sizeof(common) / sizeof(common[0])); i++)
			check_column("cuped", out, isnull, common[i].column, common[i].value, 1e-12);
		check_column("cuped", out, isnull, TT_UPLIFT_CI_LOW, levels[k].lo, 1e-12);
		check_column("cuped", out, isnull, TT_UPLIFT_CI_HIGH, levels[k].hi, 1e-12);
		check_column("cuped", out, isnull, TT_LIFT_CI_LOW, levels[k].lift_lo, 1e-12);
		check_column("cuped", out, isnull, TT_LIFT_CI_HIGH, levels[k].lift_hi, 1e-12);
		check_column("cuped", out, isnull, TT_INCREMENTAL_CI_LOW, 8 * levels[k].lo, 1e-12);
		check_column("cuped", out, isnull, TT_INCREMENTAL_CI_HIGH, 8 * levels[k].hi, 1e-12);
	}

	/*
	 * Zero variance of the pre-period value: theta = 0, no reduction, and
	 * every other column is the plain Welch test of the values.
	 */
	{
		double		ct[8][2],
					cc[7][2],
					mt[MOMENTS_LEN] = {0},
					mc[MOMENTS_LEN] = {0};

		for (i = 0; i < 8; i++)
		{
			ct[i][0] = treatment_rows[i][0];
			ct[i][1] = 3.25;
			moments_add(mt, ct[i][0]);
		}
		for (i = 0; i < 7; i++)
		{
			cc[i][0] = control_rows[i][0];
			cc[i][1] = 3.25;
			moments_add(mc, cc[i][0]);
		}
		arm(t, ct, 8);
		arm(c, cc, 7);
		crm_cuped_test(t, c, 0.95, out, isnull);
		crm_welch_test(mt, mc, 0.95, welch_out, welch_isnull);
		check_column("cuped constant pre", out, isnull, CUPED_THETA, 0, 0);
		check_column("cuped constant pre", out, isnull, CUPED_VARIANCE_REDUCTION, 0, 0);
		for (i = 0; i < TT_NCOLUMNS; i++)
			check(isnull[i] == welch_isnull[i] && (isnull[i] || out[i] == welch_out[i]),
				  "cuped constant pre = welch", out[i], welch_out[i]);
	}

	/*
	 * Zero residual variance: y = 2x + 5 (treatment) and y = 2x + 1
	 * (control) with the same x: theta = 2, both adjusted arms constant,
	 * the difference 4 is known exactly (t infinite, p = 0, CI [4, 4]).
	 */
	{
		static const double lt[][2] = {{7, 1}, {9, 2}, {11, 3}};
		static const double lc[][2] = {{3, 1}, {5, 2}, {7, 3}};

		arm(t, lt, 3);
		arm(c, lc, 3);
		crm_cuped_test(t, c, 0.95, out, isnull);
		check_column("cuped exact", out, isnull, CUPED_THETA, 2, 0);
		check_column("cuped exact", out, isnull, TT_UPLIFT, 4, 0);
		check_column("cuped exact", out, isnull, TT_T_STAT, INFINITY, 0);
		check_column("cuped exact", out, isnull, TT_P_VALUE, 0, 0);
		check_column("cuped exact", out, isnull, TT_UPLIFT_CI_LOW, 4, 0);
		check_column("cuped exact", out, isnull, TT_UPLIFT_CI_HIGH, 4, 0);
		check_column("cuped exact", out, isnull, CUPED_VARIANCE_REDUCTION, 1, 0);
		check_null("cuped exact", isnull, TT_DF);
	}

	/* One treatment row, two control rows: means and theta, no test. */
	{
		static const double one[][2] = {{10, 1}};
		static const double two[][2] = {{4, 2}, {6, 4}};

		arm(t, one, 1);
		arm(c, two, 2);
		crm_cuped_test(t, c, 0.95, out, isnull);
		/* pooled x = (1, 2, 4), y = (10, 4, 6): theta = Cxy/M2x = (-14/3)/(14/3) = -1 */
		check_column("cuped single row", out, isnull, CUPED_THETA, -1, 1e-15);
		/* adjusted means ȳ - theta (x̄_arm - 7/3): 26/3 and 17/3; control values 11/3, 23/3 */
		check_column("cuped single row", out, isnull, TT_MEAN_TREATMENT, 26.0 / 3, 1e-15);
		check_column("cuped single row", out, isnull, TT_MEAN_CONTROL, 17.0 / 3, 1e-15);
		check_column("cuped single row", out, isnull, TT_SD_CONTROL, sqrt(8), 1e-15);
		for (i = TT_SD_TREATMENT; i < TT_NCOLUMNS; i++)
			if (i != TT_SD_CONTROL)
				check_null("cuped single row", isnull, i);
		check_null("cuped single row", isnull, CUPED_VARIANCE_REDUCTION);
	}

	/* No rows: the counts, nothing else. */
	memset(empty, 0, sizeof(empty));
	crm_cuped_test(empty, empty, 0.95, out, isnull);
	check_column("cuped empty", out, isnull, TT_N_TREATMENT, 0, 0);
	check_column("cuped empty", out, isnull, TT_N_CONTROL, 0, 0);
	for (i = TT_MEAN_TREATMENT; i < CUPED_NCOLUMNS; i++)
		check_null("cuped empty", isnull, i);

	/* A pooled sum that overflows is reported, not returned. */
	{
		static const double huge_t[][2] = {{1, 1e300}, {1, 1e300}};
		static const double huge_c[][2] = {{1, -1e300}, {1, -1e300}};

		arm(t, huge_t, 2);
		arm(c, huge_c, 2);
		check(!crm_cuped_test(t, c, 0.95, out, isnull), "cuped overflow returns false", 1, 0);
	}
}

/* ---------------------------------------------------------------------- */
/* mSPRT                                                                   */
/* ---------------------------------------------------------------------- */

static void
test_msprt(void)
{
	/* uplift, variance, tau2, confidence; then p, CI, ln L (mpmath) */
	static const double cases[][8] = {
		{1.0, 0.1, 0.5, 0.95, 0.037976530364385396, 0.033570032562977546, 1.9664299674370225, 3.2707869320526389},
		{-0.35, 0.01, 0.04, 0.9, 0.016651065946685975, -0.62871598667869303, -0.071284013321306924, 4.0952810437829491},
		{0.0, 0.25, 1.0, 0.95, 1.0, -1.5411949969445463, 1.5411949969445463, -0.80471895621705019},
		{12.0, 1.0, 100.0, 0.95, 1.1029455077406839e-30, 8.7269813757650672, 15.273018624234933, 68.979568454450657},
		{0.001, 1e-08, 1e-06, 0.95, 3.1800493522466715e-21, 0.00067269813757650674, 0.0013273018624234933, 47.197390236628876},
		/* a mixture far narrower than the noise: ln L near 0 from above */
		{2.5, 3.0, 1e-6, 0.99, 0.99999981944454871, -9102.0644584904361, 9107.0644584904361, 1.8055546759262499e-7},
		/* tau2/v overflows: ln(1 + tau2/v) as ln tau2 - ln v; p underflows to 0 */
		{1e-150, 1e-310, 1e10, 0.95, 0, 9.9972745299592453e-151, 1.0002725470040755e-150, 4999999631.5864005},
		{0.3, 1e-12, 1e300, 0.95, 0, 0.29997308535689328, 0.30002691464310669, 44999999640.796723}};
	double		out[SEQ_NCOLUMNS];
	char		what[96];
	size_t		k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
	{
		const double *c = cases[k];

		snprintf(what, sizeof what, "msprt case %zu returns true", k);
		check(crm_msprt(c[0], c[1], c[2], 1 - c[3], out), what, 0, 1);
		snprintf(what, sizeof what, "msprt case %zu p", k);
		check_close(what, out[SEQ_P_VALUE], c[4], 1e-12);
		snprintf(what, sizeof what, "msprt case %zu ci low", k);
		check_close(what, out[SEQ_CI_LOW], c[5], 1e-12);
		snprintf(what, sizeof what, "msprt case %zu ci high", k);
		check_close(what, out[SEQ_CI_HIGH], c[6], 1e-12);
		snprintf(what, sizeof what, "msprt case %zu ln L", k);
		check_close(what, out[SEQ_LOG_LIKELIHOOD_RATIO], c[7], 1e-12);
	}

	/* v = 0: the known difference */
	crm_msprt(0.5, 0, 1, 0.05, out);
	check(out[SEQ_P_VALUE] == 0 && out[SEQ_LOG_LIKELIHOOD_RATIO] == INFINITY &&
		  out[SEQ_CI_LOW] == 0.5 && out[SEQ_CI_HIGH] == 0.5, "msprt v = 0", out[SEQ_P_VALUE], 0);
	crm_msprt(0, 0, 1, 0.05, out);
	check(out[SEQ_P_VALUE] == 1 && out[SEQ_LOG_LIKELIHOOD_RATIO] == -INFINITY &&
		  out[SEQ_CI_LOW] == 0 && out[SEQ_CI_HIGH] == 0, "msprt v = 0, no difference", out[SEQ_P_VALUE], 1);
	/* a half-width beyond the double range is reported */
	check(!crm_msprt(1, 1e300, 1e-300, 0.05, out), "msprt overflow returns false", 1, 0);

	/* the variances the overloads read from test results */
	check_close("welch uplift variance", crm_welch_uplift_variance(10, 2, 5, 1), 4.0 / 10 + 1.0 / 5, 1e-16);
	check_close("proportion uplift variance", crm_proportion_uplift_variance(100, 0.25, 50, 0.5),
				0.1875 / 100 + 0.25 / 50, 1e-16);
}

int
main(void)
{
	test_p_adjust();
	test_cuped();
	test_msprt();
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail ? 1 : 0;
}
