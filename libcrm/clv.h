/*
 * clv.h - customer-base analysis: who is still a customer, how much they
 * will buy, what they are worth.
 *
 * Non-contractual "buy till you die" models over one summary per customer:
 *
 *	x     repeat transactions in the calibration period (purchases after
 *	      the first; several on one day usually count as one)
 *	t_x   time of the last of them, measured from the first purchase
 *	      (0 when x is 0)
 *	T     length of the calibration period, measured from the first
 *	      purchase (> 0)
 *	zbar  mean value of the x repeat transactions (0 when x is 0)
 *
 * in any time unit (weeks in the literature); parameters and horizons are
 * then in that unit too.
 *
 * Count models (struct crm_clv_model):
 *   BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy
 *   way"): while active a customer buys at Poisson rate lambda ~
 *   gamma(r, alpha); after each purchase becomes inactive with probability
 *   p ~ beta(a, b).
 *   Pareto/NBD (Schmittlein, Morrison & Colombo 1987, in Fader & Hardie's
 *   2005 formulation): the same purchasing; the lifetime is exponential
 *   with rate mu ~ gamma(s, beta).  Its likelihood needs the Gauss
 *   hypergeometric function (crm_stats_log2f1).
 * Spend model: Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"):
 *   transaction values are gamma(p, nu) with nu ~ gamma(q, v) per customer,
 *   independent of the transaction process; fitted on repeat customers.
 *
 * Pure computation: no I/O, no global state.  Every function that can fail
 * returns -1 and fills err: CRM_EDATA for data that cannot be used (empty
 * input, a malformed summary, no repeat buyers, a degenerate fit),
 * CRM_EUSAGE for parameters or arguments out of range, CRM_EFAIL for a
 * numerical failure or ENOMEM.  Nothing returns NaN with success.
 *
 * Summaries are checked: x >= 0, 0 <= t_x <= T, T > 0, all finite, t_x = 0
 * when x = 0; for the spend model zbar > 0 when x > 0.  A message names the
 * customer by its 1-based position in the array.
 */
#ifndef CRM_CLV_H
#define CRM_CLV_H

#include <stddef.h>

#include "error.h"

struct crm_clv_customer {
	long x;
	double t_x;
	double T;
	double zbar;
};

enum {
	CRM_CLV_BGNBD = 1,
	CRM_CLV_PARETO = 2,
};

struct crm_clv_model {
	int kind;		/* CRM_CLV_BGNBD or CRM_CLV_PARETO */
	double r, alpha;	/* purchase rate ~ gamma(r, alpha) */
	double a, b;		/* BG/NBD: dropout p ~ beta(a, b);
				   Pareto/NBD: s and beta, mu ~ gamma(s, beta) */
};

struct crm_clv_gg {
	double p, q, v;
};

struct crm_clv_fit_info {
	double loglik;		/* summed over the customers used */
	size_t n;		/* customers used */
	size_t groups;		/* distinct summaries among them */
	int iterations;		/* optimiser iterations, all stages */
	int evaluations;	/* likelihood evaluations, all stages */
	int converged;
};

/*
 * Fit a count model of the given kind by maximum likelihood, starting from
 * r = alpha = a = b = 1.  Identical summaries are grouped, parameter-only
 * terms computed once per evaluation, BG/NBD gets its analytic gradient
 * (Pareto/NBD central differences), and with more than 50,000 distinct
 * summaries a fit on a deterministic 1-in-k subsample of 20,000 to 40,000
 * provides the start and the inverse Hessian for the full fit, which then
 * needs only a few iterations.  BFGS in log-parameters, Nelder-Mead as a
 * fallback (optim.h).  Pareto/NBD evaluates its 2F1 once per distinct
 * (x, t) among the t_x and T values, so summaries built from dates (times
 * in whole days) fit fast; with a million customers and times that never
 * repeat it needs tens of seconds, against well under one for BG/NBD.
 *
 * On success m holds the estimate and info (may be NULL) the fit.  A fit
 * that ran out of iterations still returns 0 with info->converged = 0 and
 * the best point found.  Fails with CRM_EDATA for n == 0, a bad summary, no
 * customer with x > 0, or an estimate that runs off to 0 or infinity
 * (outside 1e-8..1e8: the data do not identify the model); CRM_EFAIL on
 * ENOMEM or when the likelihood cannot be evaluated at the start.
 */
int crm_clv_fit(int kind, const struct crm_clv_customer *c, size_t n,
    struct crm_clv_model *m, struct crm_clv_fit_info *info,
    struct crm_error *err);

/* The log-likelihood of m summed over c[0..n), into *ll. */
int crm_clv_loglik(const struct crm_clv_model *m,
    const struct crm_clv_customer *c, size_t n, double *ll,
    struct crm_error *err);

/*
 * Probability that the customer is still active at the end of the
 * calibration period (time T after the first purchase).
 *   BG/NBD: 1 / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))
 *   Pareto/NBD: 1 / (1 + s/(r+s+x) (alpha+T)^(r+x) (beta+T)^s A0), with A0
 *   the 2F1 difference of Fader & Hardie (2005).
 */
int crm_clv_palive(const struct crm_clv_model *m,
    const struct crm_clv_customer *c, double *p, struct crm_error *err);

/*
 * Expected number of transactions in the t periods after T, given the
 * customer's summary (FHL 2005 eq. 10 for BG/NBD; for Pareto/NBD
 * (r+x)(beta+T)/((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)] P(alive),
 * with its limit at s = 1).  t >= 0.
 */
int crm_clv_expected(const struct crm_clv_model *m,
    const struct crm_clv_customer *c, double t, double *e,
    struct crm_error *err);

/*
 * The same expectation for a customer known to be alive at T: the factor
 * of crm_clv_expected that depends on x and T only (t_x enters through
 * P(alive) alone), so that customers who share x and T share it; with
 * x = 0 and T = 0, E[X(t)] of a new customer.  crm_clv_expected is this
 * times crm_clv_palive.  CRM_EUSAGE for x < 0, T < 0 or t < 0.
 */
int crm_clv_expected_alive(const struct crm_clv_model *m, long x, double T,
    double t, double *e, struct crm_error *err);

/* Expected transactions E[X(t)] of a new customer in (0, t]. */
int crm_clv_expected_new(const struct crm_clv_model *m, double t, double *e,
    struct crm_error *err);

/*
 * BG/NBD only: P(X(t) = k), the probability that a new customer makes
 * exactly k transactions in (0, t] (FHL 2005 eq. 8).  CRM_EUSAGE for a
 * Pareto/NBD model.
 */
int crm_clv_pmf(const struct crm_clv_model *m, double t, long k, double *p,
    struct crm_error *err);

/*
 * Fit the Gamma-Gamma spend model on the customers with x > 0 (the others
 * are skipped), from p = q = v = 1, by maximum likelihood of their mean
 * spend zbar given x.  Errors as for crm_clv_fit; CRM_EDATA when no
 * customer has x > 0.
 */
int crm_clv_gg_fit(const struct crm_clv_customer *c, size_t n,
    struct crm_clv_gg *g, struct crm_clv_fit_info *info,
    struct crm_error *err);

/* Gamma-Gamma log-likelihood over the customers with x > 0. */
int crm_clv_gg_loglik(const struct crm_clv_gg *g,
    const struct crm_clv_customer *c, size_t n, double *ll,
    struct crm_error *err);

/*
 * Conditional expected mean transaction value:
 *	E[Z | x, zbar] = (v + x zbar) p / (p x + q - 1)
 * which for x = 0 is the population mean p v / (q - 1).  CRM_EUSAGE when
 * p x + q <= 1 (the mean does not exist).
 */
int crm_clv_gg_spend(const struct crm_clv_gg *g,
    const struct crm_clv_customer *c, double *spend, struct crm_error *err);

/*
 * Discounted customer lifetime value over a horizon of `periods` periods
 * of `period` time units each (weeks: 4.345 for a month), at discount rate
 * d per period:
 *
 *	CLV = spend * sum_{k=1..periods} (E[Y(k period)] - E[Y((k-1) period)])
 *	                                 / (1 + d)^k
 *
 * where E[Y(t)] is crm_clv_expected for the customer and spend the value of
 * one transaction (crm_clv_gg_spend, times a margin if profit is wanted).
 * Transactions in period k are discounted as if at its end.  CRM_EUSAGE for
 * periods < 1, period <= 0, d <= -1 or a spend that is negative or not
 * finite.
 */
int crm_clv_value(const struct crm_clv_model *m,
    const struct crm_clv_customer *c, double spend, int periods,
    double period, double d, double *clv, struct crm_error *err);

#endif
