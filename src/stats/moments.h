/*
 * moments.h — count, mean and variance of one variable, accumulated so that
 * the result neither loses the variance nor depends on the order of rows.
 *
 * A moments sextuple is six consecutive doubles
 *   {n, shift, s1.hi, s1.lo, s2.hi, s2.lo}
 * where shift is the first value seen, s1 = sum (x - shift) and
 * s2 = sum (x - shift)^2, both as compensated double-double sums
 * (double_double.h).
 *   - The shift removes the magnitude: for values near 1e9 with a spread of
 *     0.1, x - shift is exact (Sterbenz), and only shift + mean is rounded,
 *     once.  The textbook sum-of-squares formula on raw values loses the whole
 *     variance there; a running mean rounded to ulp(1e9) at every row was
 *     measured 2e-6 off on a difference of means.
 *   - Double-double sums make the result independent of the row order (to
 *     ~1e-30), so serial and parallel plans agree to the last digits; plain
 *     Welford (1962) updates in a different order differed by 5e-12 in t.
 *   - m2 = s2 - s1^2 / n in double-double: with the shift inside the data
 *     range the cancellation costs at most a few of the 106 bits.
 * Partial results merge exactly like sums, after moving one to the other's
 * shift (the role of Chan, Golub & LeVeque's 1979 pairwise update).
 *
 * Aggregate states embed such sextuples in plain float8[] arrays.
 */
#ifndef CRM_MOMENTS_H
#define CRM_MOMENTS_H

#include <stdbool.h>
#include <string.h>

#include "math/double_double.h"

#define MOMENTS_N		0
#define MOMENTS_SHIFT	1
#define MOMENTS_S1		2		/* hi, lo */
#define MOMENTS_S2		4		/* hi, lo */
#define MOMENTS_LEN		6

/* a sum of the sextuple as a normalized double-double */
static inline DoubleDouble
moments_get(const double *m, int at)
{
	return dd_normalize(m[at], m[at + 1]);
}

static inline void
moments_put(double *m, int at, DoubleDouble v)
{
	m[at] = v.hi;
	m[at + 1] = v.lo;
}

/* Adds one value; false if a sum overflowed. */
static inline bool
moments_add(double *m, double x)
{
	DoubleDouble d;

	if (m[MOMENTS_N] == 0)
		m[MOMENTS_SHIFT] = x;
	d = dd_two_sum(x, -m[MOMENTS_SHIFT]);
	dd_accumulate(&m[MOMENTS_S1], &m[MOMENTS_S1 + 1], d);
	dd_accumulate(&m[MOMENTS_S2], &m[MOMENTS_S2 + 1], dd_square(d));
	m[MOMENTS_N] += 1;
	return isfinite(m[MOMENTS_S1]) && isfinite(m[MOMENTS_S2]);
}

/* Merges b into a (a keeps its shift); false on overflow. */
static inline bool
moments_combine(double *a, const double *b)
{
	double		nb = b[MOMENTS_N];
	DoubleDouble delta,
				s1_b,
				s2_b;

	if (nb == 0)
		return true;
	if (a[MOMENTS_N] == 0)
	{
		memcpy(a, b, sizeof(double) * MOMENTS_LEN);
		return true;
	}
	/* b's sums around a's shift: with delta = shift_b - shift_a,
	 * sum (x - shift_a) = s1_b + nb delta, sum (x - shift_a)^2 = s2_b + 2 delta s1_b + nb delta^2 */
	delta = dd_two_sum(b[MOMENTS_SHIFT], -a[MOMENTS_SHIFT]);
	s1_b = moments_get(b, MOMENTS_S1);
	s2_b = dd_add(moments_get(b, MOMENTS_S2),
				  dd_add(dd_mul_d(dd_mul(delta, s1_b), 2), dd_mul_d(dd_square(delta), nb)));
	s1_b = dd_add(s1_b, dd_mul_d(delta, nb));

	moments_put(a, MOMENTS_S1, dd_add(moments_get(a, MOMENTS_S1), s1_b));
	moments_put(a, MOMENTS_S2, dd_add(moments_get(a, MOMENTS_S2), s2_b));
	a[MOMENTS_N] += nb;
	return isfinite(a[MOMENTS_S1]) && isfinite(a[MOMENTS_S2]);
}

/* mean of x - shift, n >= 1 */
static inline DoubleDouble
moments_shifted_mean(const double *m)
{
	return dd_div_d(moments_get(m, MOMENTS_S1), m[MOMENTS_N]);
}

static inline double
moments_mean(const double *m)
{
	return dd_add(dd_from(m[MOMENTS_SHIFT]), moments_shifted_mean(m)).hi;
}

/* mean(a) - mean(b), shifts subtracted exactly first; both counts >= 1 */
static inline double
moments_mean_difference(const double *a, const double *b)
{
	return dd_add(dd_two_sum(a[MOMENTS_SHIFT], -b[MOMENTS_SHIFT]),
				  dd_sub(moments_shifted_mean(a), moments_shifted_mean(b))).hi;
}

/* sum (x - mean)^2 = s2 - s1 * mean(x - shift), before clamping at 0; n >= 1 */
static inline double
moments_raw_m2(const double *m)
{
	return dd_sub(moments_get(m, MOMENTS_S2),
				  dd_mul(moments_get(m, MOMENTS_S1), moments_shifted_mean(m))).hi;
}

/* sum (x - mean)^2, never negative */
static inline double
moments_m2(const double *m)
{
	double		m2;

	if (m[MOMENTS_N] < 2)
		return 0;
	m2 = moments_raw_m2(m);
	return m2 > 0 ? m2 : 0;
}

/* Sample variance m2 / (n - 1); callers ensure n >= 2. */
static inline double
moments_variance(const double *m)
{
	return moments_m2(m) / (m[MOMENTS_N] - 1);
}

/*
 * Consistency of a sextuple read from outside (a state array a user may
 * have built); the count itself is checked by the caller.
 */
static inline bool
moments_valid(const double *m)
{
	double		n = m[MOMENTS_N];
	int			i;

	for (i = MOMENTS_SHIFT; i < MOMENTS_LEN; i++)
		if (!isfinite(m[i]))
			return false;
	if (n == 0)
		return m[MOMENTS_SHIFT] == 0 && m[MOMENTS_S1] == 0 && m[MOMENTS_S1 + 1] == 0 &&
			m[MOMENTS_S2] == 0 && m[MOMENTS_S2 + 1] == 0;
	if (n == 1)					/* the one value is the shift */
		return m[MOMENTS_S1] == 0 && m[MOMENTS_S1 + 1] == 0 &&
			m[MOMENTS_S2] == 0 && m[MOMENTS_S2 + 1] == 0;
	/* s2 >= 0, and s1^2 <= n s2 (Cauchy-Schwarz) up to rounding */
	return moments_get(m, MOMENTS_S2).hi >= 0 &&
		moments_raw_m2(m) >= -1e-12 * moments_get(m, MOMENTS_S2).hi;
}

#endif
