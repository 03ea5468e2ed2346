/*
 * discount.h — continuously discounted expected purchases over (0, H].
 */
#ifndef CLV_DISCOUNT_H
#define CLV_DISCOUNT_H

#include "math/quadrature.h"

/*
 * e^{-delta H} EY(H) + delta int_0^H e^{-delta t} EY(t) dt for an expected
 * cumulative count EY(t) that varies on the time scale tau0.
 */
extern double clv_discounted(ClvFunc EY, void *ctx, double tau0, double H,
							 double delta);

#endif							/* CLV_DISCOUNT_H */
