/*
 * compare.h — three-way comparisons of numbers, and qsort comparators for
 * arrays of them, shared so that every sort orders the same way.  Pure C,
 * inline: they run once per comparison.
 *
 * The double comparisons treat NaN as equal to everything; callers sort
 * finite values only.
 */
#ifndef CRM_MATH_COMPARE_H
#define CRM_MATH_COMPARE_H

#include <stdint.h>

static inline int
crm_cmp_double(double a, double b)
{
	return (a > b) - (a < b);
}

static inline int
crm_cmp_int32(int32_t a, int32_t b)
{
	return (a > b) - (a < b);
}

static inline int
crm_cmp_int64(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

static inline int
crm_qsort_double(const void *a, const void *b)
{
	return crm_cmp_double(*(const double *) a, *(const double *) b);
}

static inline int
crm_qsort_int32(const void *a, const void *b)
{
	return crm_cmp_int32(*(const int32_t *) a, *(const int32_t *) b);
}

static inline int
crm_qsort_int64(const void *a, const void *b)
{
	return crm_cmp_int64(*(const int64_t *) a, *(const int64_t *) b);
}

#endif							/* CRM_MATH_COMPARE_H */
