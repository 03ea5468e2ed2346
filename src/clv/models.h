/*
 * models.h — customer-lifetime-value models in pure C (no PostgreSQL
 * types): BG/NBD, Pareto/NBD and Gamma-Gamma likelihoods, their maximum
 * likelihood fits on compressed histories, and predictions.
 *
 * Notation (doc/clv.md, "Data and notation"): x repeat purchases, tx time
 * of the last purchase since the first, T time from the first purchase to
 * the end of observation, t a horizon; all times in the caller's unit.
 * Callers validate
 * histories (0 <= tx <= T, x = 0 => tx = 0, x integer >= 0, spend > 0) and
 * parameters (finite, > 0) before calling; for valid input every function
 * returns a finite number.
 */
#ifndef CRM_CLV_MODELS_H
#define CRM_CLV_MODELS_H

#include <stdbool.h>
#include <stddef.h>

/* One distinct transaction history and how many customers share it. */
typedef struct ClvHistory
{
	double		x;
	double		tx;
	double		T;
	double		weight;
} ClvHistory;

/* One distinct (repeat purchases, mean repeat spend) pair and its count. */
typedef struct ClvSpend
{
	double		x;
	double		mbar;
	double		weight;
} ClvSpend;

#define CLV_MAX_PARAMS 4

/*
 * Result of a fit.  params/se in the model's order:
 *   BG/NBD r, alpha, a, b;  Pareto/NBD r, alpha, s, beta;  Gamma-Gamma p, q, v.
 * se[j] is NaN when the Hessian is not positive definite (caller maps to NULL).
 * log_likelihood is the weighted sum over customers.
 */
typedef struct ClvFit
{
	int			nparams;
	double		params[CLV_MAX_PARAMS];
	double		se[CLV_MAX_PARAMS];
	double		log_likelihood;
	int			iterations;
	bool		converged;
} ClvFit;

/* ---- BG/NBD (p = r, alpha, a, b) ---- */
extern double clv_bgnbd_loglik(const double *p, double x, double tx, double T);
extern void clv_bgnbd_fit(const ClvHistory *rows, size_t nrows, ClvFit *fit);
extern double clv_bgnbd_p_alive(const double *p, double x, double tx, double T);
extern double clv_bgnbd_expected(const double *p, double t);
extern double clv_bgnbd_expected_conditional(const double *p, double x, double tx,
											 double T, double t);
extern double clv_bgnbd_pmf(const double *p, int n, double t);
/* E[discounted purchases in (T, T+H]], continuous rate delta >= 0 per unit. */
extern double clv_bgnbd_discounted_purchases(const double *p, double x, double tx,
											 double T, double H, double delta);
/*
 * The same two given that the customer is active at T; they do not depend on
 * tx, and the conditional forms are P(alive) times them.
 */
extern double clv_bgnbd_expected_if_alive(const double *p, double x, double T, double t);
extern double clv_bgnbd_discounted_if_alive(const double *p, double x, double T,
											double H, double delta);

/* ---- Pareto/NBD (p = r, alpha, s, beta) ---- */
extern double clv_pnbd_loglik(const double *p, double x, double tx, double T);
extern void clv_pnbd_fit(const ClvHistory *rows, size_t nrows, ClvFit *fit);
extern double clv_pnbd_p_alive(const double *p, double x, double tx, double T);
/*
 * P(alive) from its parts: one that depends on (x, tx) only and two that
 * depend on (x, T) only, each with a 2F1; scoring caches them.
 */
extern double clv_pnbd_alive_tx_part(const double *p, double x, double tx);
extern void clv_pnbd_alive_T_parts(const double *p, double x, double T, double *parts);
extern double clv_pnbd_p_alive_from_parts(double tx_part, const double *T_parts);
extern double clv_pnbd_expected(const double *p, double t);
extern double clv_pnbd_expected_conditional(const double *p, double x, double tx,
											double T, double t);
extern double clv_pnbd_pmf(const double *p, int n, double t);
extern double clv_pnbd_discounted_purchases(const double *p, double x, double tx,
											double T, double H, double delta);
extern double clv_pnbd_expected_if_alive(const double *p, double x, double T, double t);
extern double clv_pnbd_discounted_if_alive(const double *p, double x, double T,
										   double H, double delta);

/* ---- Gamma-Gamma spend (p = p, q, v) ---- */
extern double clv_gg_loglik(const double *p, double x, double mbar);
extern void clv_gg_fit(const ClvSpend *rows, size_t nrows, ClvFit *fit);
/* E[M | x, mbar]; x = 0 gives the population mean p v / (q - 1). */
extern double clv_gg_expected_spend(const double *p, double x, double mbar);

#endif							/* CRM_CLV_MODELS_H */
