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

/*
 * The limit models, where a fit's supremum lies on the boundary of the
 * parameter space (the data show no spread where the full model has a
 * distribution): with limit set,
 *   BG/NBD: a and b infinite with a/(a+b) = p, the same drop-out
 *   probability for every customer; a holds p (in [0, 1)), b is 0.
 *   Pareto/NBD: s and beta infinite with s/beta = mu, the same drop-out
 *   rate for every customer; a holds mu (>= 0), b is 0.
 *   Gamma-Gamma: q and v infinite with q/v = nu, every customer's spend
 *   gamma(p, nu), the same mean p/nu; v holds nu, q is 0.
 * p = 0 or mu = 0 is the NBD model: nobody drops out.
 */
struct crm_clv_model {
	int kind;		/* CRM_CLV_BGNBD or CRM_CLV_PARETO */
	double r, alpha;	/* purchase rate ~ gamma(r, alpha) */
	double a, b;		/* BG/NBD: dropout p ~ beta(a, b);
				   Pareto/NBD: s and beta, mu ~ gamma(s, beta) */
	int limit;		/* the limit model, see above */
};

struct crm_clv_gg {
	double p, q, v;
	int limit;
};

struct crm_clv_fit_info {
	double loglik;		/* summed over the customers used */
	size_t n;		/* customers used */
	size_t groups;		/* distinct summaries among them */
	int iterations;		/* optimiser iterations, all stages */
	int evaluations;	/* likelihood evaluations, all stages */
	int converged;
	int limit;		/* the model returned is the limit model */
	int ran_off;		/* the full model's estimate ran off to the
				   boundary (or out of range) */
	double full_loglik;	/* the full model's at its best point, NAN
				   when it could not be evaluated */
	double limit_loglik;	/* the limit model's maximum, NAN when it
				   could not be fitted */
};

/* What a fit reports while it runs. */
struct crm_clv_progress {
	const char *model;	/* "BG/NBD", "Gamma-Gamma, common mean
				   spend", ... */
	int iteration;		/* of this stage */
	double loglik;		/* at the best point so far */
	int slow;		/* past the iterations a fit normally takes */
};

struct crm_clv_fit_opts {
	/* called after every optimiser iteration, if not NULL */
	void (*progress)(void *arg, const struct crm_clv_progress *p);
	void *arg;
	int full_only;		/* no limit model: the fit of old */
};

/*
 * crm_clv_fit_with() fits a count model both ways, the full model and its
 * limit model, and returns the one of higher likelihood, the full model
 * when both agree and its estimate stayed inside.  The full fit stops
 * as soon as its concentration parameter passes 1e6 (a or b of BG/NBD)
 * or 1e4 (s of Pareto/NBD), or any parameter leaves 1e-8..1e8: the
 * limit model, fitted directly from there (r, alpha, p or mu), is then
 * the estimate.  info gets both log-likelihoods.  It fails with CRM_EDATA
 * when neither can be estimated (no repeat purchase, or the purchase
 * rates run off too: "the data do not identify the model"), naming the
 * parameter.  opts may be NULL.  crm_clv_fit() is the same without
 * progress.
 *
 * Fit a count model of the given kind by maximum likelihood, starting from
 * r = alpha = a = b = 1.  Identical summaries are grouped, parameter-only
 * terms computed once per evaluation, every likelihood has its analytic
 * gradient (Pareto/NBD's through the series of its 2F1 in all three
 * arguments; its limit's dF/dk is a central difference once per distinct
 * t; tests/unit/t-churn holds all six to finite differences), and with
 * more than 50,000 distinct
 * summaries a fit on a deterministic 1-in-k subsample of 20,000 to 40,000
 * provides the start and the inverse Hessian for the full fit, which then
 * needs only a few iterations.  BFGS in log-parameters, Nelder-Mead as a
 * fallback (optim.h).  Pareto/NBD evaluates its 2F1 once per distinct
 * (x, t) among the t_x and T values, so summaries built from dates (times
 * in whole days or weeks of them) fit fast: 0.7 s of CPU for a million
 * customers with both the full and the limit model; with times that never
 * repeat (summaries from elsewhere, to 4 decimals) about 3.7 s.
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
int crm_clv_fit_with(int kind, const struct crm_clv_customer *c, size_t n,
    const struct crm_clv_fit_opts *opts, struct crm_clv_model *m,
    struct crm_clv_fit_info *info, struct crm_error *err);

/* The name of m: "BG/NBD", "BG/NBD, common drop-out probability", ... */
const char *crm_clv_model_name(const struct crm_clv_model *m);
const char *crm_clv_gg_name(const struct crm_clv_gg *g);

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
 * Pareto/NBD model or a limit model.
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

/*
 * The same, both ways as crm_clv_fit_with(): the full model stops when q
 * passes 1e6 (the spread of the customers' mean spend vanishing), and
 * the model with a common mean spend (p, nu) is fitted too.
 */
int crm_clv_gg_fit_with(const struct crm_clv_customer *c, size_t n,
    const struct crm_clv_fit_opts *opts, struct crm_clv_gg *g,
    struct crm_clv_fit_info *info, struct crm_error *err);

/* Gamma-Gamma log-likelihood over the customers with x > 0. */
int crm_clv_gg_loglik(const struct crm_clv_gg *g,
    const struct crm_clv_customer *c, size_t n, double *ll,
    struct crm_error *err);

/*
 * Conditional expected mean transaction value:
 *	E[Z | x, zbar] = (v + x zbar) p / (p x + q - 1)
 * which for x = 0 is the population mean p v / (q - 1); p / nu for
 * everyone in the limit model.  CRM_EUSAGE when p x + q <= 1 (the mean
 * does not exist).
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
