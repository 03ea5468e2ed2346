/*
 * test_distributions.c — developer tool: compares src/math/distributions.c with
 * the mpmath reference values in test/data/distribution_refs.csv and prints
 * the worst relative error per function and df band, plus every case over
 * its tolerance.  Exit status 1 if any case fails.  (The regression suite
 * runs the same comparison through SQL; this is the quick loop for working
 * on the numerics.)  Build and run: make check-numerics
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "math/distributions.h"

int
main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "test/data/distribution_refs.csv";
	FILE	   *f = fopen(path, "r");
	char		line[512];
	int			failures = 0,
				count = 0;
	double		worst[4] = {0, 0, 0, 0};
	const char *names[4] = {"normal_cdf", "normal_quantile", "student_t_cdf", "student_t_quantile"};
	double		worst_chi2 = 0;

	if (!f)
	{
		perror(path);
		return 2;
	}
	if (!fgets(line, sizeof line, f))
		return 2;
	while (fgets(line, sizeof line, f))
	{
		char		func[64];
		char	   *fields[5];
		char	   *p = line;
		double		x,
					df,
					expected,
					tol,
					got,
					rel;
		int			i;

		for (i = 0; i < 5; i++)
		{
			fields[i] = p;
			p = strchr(p, i < 4 ? ',' : '\n');
			if (p)
				*p++ = '\0';
		}
		snprintf(func, sizeof func, "%s", fields[0]);
		x = strtod(fields[1], NULL);
		df = fields[2][0] ? strtod(fields[2], NULL) : 0;
		expected = strtod(fields[3], NULL);
		tol = strtod(fields[4], NULL);

		if (strcmp(func, "normal_cdf") == 0)
			got = crm_normal_cdf(x);
		else if (strcmp(func, "normal_quantile") == 0)
			got = crm_normal_quantile(x);
		else if (strcmp(func, "student_t_cdf") == 0)
			got = crm_student_t_cdf(x, df);
		else if (strcmp(func, "student_t_quantile") == 0)
			got = crm_student_t_quantile(x, df);
		else if (strcmp(func, "chi2_sf") == 0)
			got = crm_chi2_sf(x, df);
		else
			continue;
		count++;
		rel = expected == 0 ? fabs(got) : fabs(got / expected - 1);
		if (!(rel <= tol))
		{
			failures++;
			printf("FAIL %s(%.17g, %.17g) = %.17g, expected %.17g, rel %.3g > %.0g\n",
				   func, x, df, got, expected, rel, tol);
		}
		for (i = 0; i < 4; i++)
			if (strcmp(func, names[i]) == 0 && rel > worst[i])
				worst[i] = rel;
		if (strcmp(func, "chi2_sf") == 0 && rel > worst_chi2)
			worst_chi2 = rel;
	}
	fclose(f);
	for (int i = 0; i < 4; i++)
		printf("%-20s worst relative error %.3g\n", names[i], worst[i]);
	printf("%-20s worst relative error %.3g\n", "chi2_sf", worst_chi2);
	printf("%d cases, %d failures\n", count, failures);
	return failures ? 1 : 0;
}
