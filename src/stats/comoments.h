/*
 * comoments.h — counts, means, variances and the co-moment of two
 * variables (a metric y and a covariate x), for CUPED.
 *
 * A comoments block is fourteen consecutive doubles
 *   {moments sextuple of y, moments sextuple of x, sxy.hi, sxy.lo}
 * with the sextuples of moments.h and the compensated cross sum
 *   sxy = sum (x - shift_x) (y - shift_y)
 * around the same shifts.  The co-moment sum (x - x̄)(y - ȳ) is then
 * sxy - s1x s1y / n, in double-double (the bivariate case of
 * doc/stats.md, "Moments and co-moments", kept as shifted sums like
 * moments.h).
 */
#ifndef CRM_COMOMENTS_H
#define CRM_COMOMENTS_H

#include "stats/moments.h"

#define COMOMENTS_Y		0
#define COMOMENTS_X		MOMENTS_LEN
#define COMOMENTS_SXY	(2 * MOMENTS_LEN)	/* hi, lo */
#define COMOMENTS_LEN	(2 * MOMENTS_LEN + 2)

/* Adds one pair; false if a sum overflowed. */
static inline bool
comoments_add(double *m, double y, double x)
{
	bool		ok = moments_add(&m[COMOMENTS_Y], y) && moments_add(&m[COMOMENTS_X], x);
	DoubleDouble dy = dd_two_sum(y, -m[COMOMENTS_Y + MOMENTS_SHIFT]);
	DoubleDouble dx = dd_two_sum(x, -m[COMOMENTS_X + MOMENTS_SHIFT]);

	dd_accumulate(&m[COMOMENTS_SXY], &m[COMOMENTS_SXY + 1], dd_mul(dx, dy));
	return ok && isfinite(m[COMOMENTS_SXY]);
}

/*
 * Merges b into a (a keeps its shifts); false on overflow.  With
 * dx = shift_x,b - shift_x,a and dy likewise, b's cross sum around a's
 * shifts is sxy_b + dx s1y_b + dy s1x_b + n_b dx dy.
 */
static inline bool
comoments_combine(double *a, const double *b)
{
	double		nb = b[COMOMENTS_Y + MOMENTS_N];
	DoubleDouble dx,
				dy,
				sxy_b;

	if (nb == 0)
		return true;
	if (a[COMOMENTS_Y + MOMENTS_N] == 0)
	{
		memcpy(a, b, sizeof(double) * COMOMENTS_LEN);
		return true;
	}
	dx = dd_two_sum(b[COMOMENTS_X + MOMENTS_SHIFT], -a[COMOMENTS_X + MOMENTS_SHIFT]);
	dy = dd_two_sum(b[COMOMENTS_Y + MOMENTS_SHIFT], -a[COMOMENTS_Y + MOMENTS_SHIFT]);
	sxy_b = dd_add(moments_get(b, COMOMENTS_SXY),
				   dd_add(dd_add(dd_mul(dx, moments_get(b, COMOMENTS_Y + MOMENTS_S1)),
								 dd_mul(dy, moments_get(b, COMOMENTS_X + MOMENTS_S1))),
						  dd_mul_d(dd_mul(dx, dy), nb)));
	moments_put(a, COMOMENTS_SXY, dd_add(moments_get(a, COMOMENTS_SXY), sxy_b));
	return moments_combine(&a[COMOMENTS_Y], &b[COMOMENTS_Y]) &&
		moments_combine(&a[COMOMENTS_X], &b[COMOMENTS_X]) &&
		isfinite(a[COMOMENTS_SXY]);
}

/* sum (x - shift)^2 - s1^2 / n of one sextuple, in double-double (unclamped); n >= 1 */
static inline DoubleDouble
moments_raw_m2_dd(const double *m)
{
	return dd_sub(moments_get(m, MOMENTS_S2),
				  dd_mul(moments_get(m, MOMENTS_S1), moments_shifted_mean(m)));
}

/* sum (x - x̄)(y - ȳ) in double-double; n >= 1 */
static inline DoubleDouble
comoments_cxy_dd(const double *m)
{
	return dd_sub(moments_get(m, COMOMENTS_SXY),
				  dd_mul(moments_get(m, COMOMENTS_X + MOMENTS_S1),
						 moments_shifted_mean(&m[COMOMENTS_Y])));
}

/*
 * sum ((y - ȳ) - theta (x - x̄))^2 = M2y - 2 theta Cxy + theta^2 M2x,
 * evaluated in double-double so that a strong correlation does not cancel
 * the residual away; never negative.  n >= 2.
 */
static inline double
comoments_residual_m2(const double *m, double theta)
{
	DoubleDouble r;

	r = dd_add(moments_raw_m2_dd(&m[COMOMENTS_Y]),
			   dd_add(dd_mul_d(comoments_cxy_dd(m), -2 * theta),
					  dd_mul_d(dd_mul_d(moments_raw_m2_dd(&m[COMOMENTS_X]), theta), theta)));
	return r.hi > 0 ? r.hi : 0;
}

/*
 * Consistency of a block read from outside: both sextuples valid with the
 * same count (checked by the caller to be a count), a zero cross sum below
 * two rows, and |Cxy| <= sqrt(M2x M2y) (Cauchy-Schwarz) up to rounding.
 */
static inline bool
comoments_valid(const double *m)
{
	double		n = m[COMOMENTS_Y + MOMENTS_N];
	double		m2x,
				m2y,
				cxy,
				slack;

	if (m[COMOMENTS_X + MOMENTS_N] != n ||
		!moments_valid(&m[COMOMENTS_Y]) || !moments_valid(&m[COMOMENTS_X]) ||
		!isfinite(m[COMOMENTS_SXY]) || !isfinite(m[COMOMENTS_SXY + 1]))
		return false;
	if (n < 2)
		return m[COMOMENTS_SXY] == 0 && m[COMOMENTS_SXY + 1] == 0;
	m2x = moments_m2(&m[COMOMENTS_X]);
	m2y = moments_m2(&m[COMOMENTS_Y]);
	cxy = comoments_cxy_dd(m).hi;
	slack = 1e-12 * sqrt(moments_get(m, COMOMENTS_X + MOMENTS_S2).hi *
						 moments_get(m, COMOMENTS_Y + MOMENTS_S2).hi);
	return fabs(cxy) <= sqrt(m2x) * sqrt(m2y) * (1 + 1e-12) + slack;
}

#endif
