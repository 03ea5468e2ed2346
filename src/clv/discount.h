/*
 * discount.h — continuously discounted expected purchases of a customer
 * over the next H time units, for BG/NBD and Pareto/NBD alike.
 */
#ifndef CRM_CLV_DISCOUNT_H
#define CRM_CLV_DISCOUNT_H

/* A model's E[Y(t) | alive at T, x] (clv_*_expected_if_alive of models.h). */
typedef double (*ClvIfAliveFunc) (const double *p, double x, double T, double t);

/*
 * Discounted expected purchases in (T, T+H] of a customer active at T
 * (doc/clv.md, "Discounted CLV"), for the model of if_alive with
 * parameters p; p[time_param] is its time-scale parameter (alpha of
 * BG/NBD, beta of Pareto/NBD), so tau0 = p[time_param] + T.
 */
extern double clv_discounted_if_alive(ClvIfAliveFunc if_alive, const double *p, int time_param,
									  double x, double T, double H, double delta);

/* A model's P(alive at T | x, tx, T) (clv_*_p_alive of models.h). */
typedef double (*ClvPAliveFunc) (const double *p, double x, double tx, double T);

/* Discounted expected purchases in (T, T+H] given the history: P(alive) times the above. */
extern double clv_discounted_purchases(ClvPAliveFunc p_alive, ClvIfAliveFunc if_alive,
									   const double *p, int time_param, double x, double tx,
									   double T, double H, double delta);

#endif							/* CRM_CLV_DISCOUNT_H */
