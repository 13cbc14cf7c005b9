/*
 * clv.c - what a fitted model says of a customer: P(alive), expected
 * purchases, their distribution, expected spend and the lifetime value.
 * The fits are in clv-fit.c, the likelihoods in clv-ll.c, the grouped
 * summaries in clv-rows.c (clv-int.h).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clv-int.h"
#include "hash.h"
#include "mem.h"
#include "optim.h"
#include "stats.h"

static int
check_one(const struct crm_clv_model *m, const struct crm_clv_customer *c,
    struct crm_error *err)
{
	if (clv_check_model(m, err) < 0)
		return -1;
	return clv_check_customer(c, 0, 0, err);
}

/* 1 / [k F(k+1, z_T) + z_tx F(k, z_tx) e^u], as in clv_pareto_lim_ll(). */
static int
pareto_lim_palive(const struct crm_clv_model *m,
    const struct crm_clv_customer *c, double *p, struct crm_error *err)
{
	double r = m->r, al = m->alpha, mu = m->a, k = r + (double)c->x;
	double u, A, B;

	if (mu == 0 || c->t_x >= c->T) {
		*p = 1;
		return 0;
	}
	u = mu * (c->T - c->t_x) + k * (log(al + c->T) - log(al + c->t_x));
	A = k * crm_stats_laplace_pow(k + 1, mu * (al + c->T));
	B = mu * (al + c->t_x) * crm_stats_laplace_pow(k, mu * (al + c->t_x));
	if (!(A > 0 && B > 0))
		return crm_error_set(err, CRM_EFAIL, "%s P(alive) cannot be "
		    "evaluated", crm_clv_model_name(m));
	*p = exp(-crm_stats_logsumexp2(log(A), log(B) + u));
	return 0;
}

int
crm_clv_palive(const struct crm_clv_model *m,
    const struct crm_clv_customer *c, double *p, struct crm_error *err)
{
	double x, l1, l2, u, sig;

	if (check_one(m, c, err) < 0)
		return -1;
	x = c->x;
	if (m->limit && m->kind == CRM_CLV_PARETO)
		return pareto_lim_palive(m, c, p, err);
	if (m->kind == CRM_CLV_BGNBD) {
		if (c->x == 0 || (m->limit && m->a == 0)) {
			*p = 1;
			return 0;
		}
		u = (m->limit ? log(m->a / (1 - m->a)) :
		    log(m->a / (m->b + x - 1))) + (m->r + x) *
		    (log(m->alpha + c->T) - log(m->alpha + c->t_x));
		clv_softplus(-u, &sig);
		*p = sig;
		return 0;
	}
	if (clv_pareto_terms(m->r, m->alpha, m->a, m->b, x, c->t_x, c->T,
	    400000, &l1, &l2) < 0)
		return crm_error_set(err, CRM_EFAIL, "Pareto/NBD P(alive): "
		    "hypergeometric function did not converge");
	clv_softplus(l1 - l2, &sig);	/* 1 / (1 + e^(l2 - l1)) */
	*p = sig;
	return 0;
}

/*
 * BG/NBD: (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x)
 * 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))], the conditional expectation
 * without its P(alive) factor; with x = 0 and T = 0 it is E[X(t)].  At
 * a = 1 both factors degenerate; there it interpolates between a = 1 -+ h.
 */
static int
bgnbd_cond1(const struct crm_clv_model *m, double a, double x, double T,
    double t, double *out, struct crm_error *err)
{
	double lf, l2, br;
	int sg;

	if (t == 0) {
		*out = 0;
		return 0;
	}
	if (crm_stats_log2f1(m->r + x, m->b + x, a + m->b + x - 1,
	    t / (m->alpha + T + t), &lf, &sg, err) < 0)
		return crm_error_prefix(err, "BG/NBD expectation");
	l2 = lf - (m->r + x) * log1p(t / (m->alpha + T));
	br = sg > 0 ? -expm1(l2) : sg < 0 ? 1 + exp(l2) : 1;
	*out = (a + m->b + x - 1) / (a - 1) * br;
	if (!isfinite(*out))
		return crm_error_set(err, CRM_EFAIL,
		    "BG/NBD expectation overflowed");
	return 0;
}

static int
bgnbd_cond(const struct crm_clv_model *m, double x, double T, double t,
    double *out, struct crm_error *err)
{
	double lo, hi, h = 1e-5;

	if (fabs(m->a - 1) >= h)
		return bgnbd_cond1(m, m->a, x, T, t, out, err);
	if (bgnbd_cond1(m, 1 - h, x, T, t, &lo, err) < 0 ||
	    bgnbd_cond1(m, 1 + h, x, T, t, &hi, err) < 0)
		return -1;
	*out = lo + (hi - lo) * (m->a - (1 - h)) / (2 * h);
	return 0;
}

/* [1 - (k/(k+t))^(s-1)] / (s-1), and its limit ln(1 + t/k) at s = 1. */
static double
pareto_g(double s, double k, double t)
{
	double l = log1p(t / k);

	if (fabs(s - 1) < 1e-12)
		return l;
	return -expm1(-(s - 1) * l) / (s - 1);
}

/*
 * The limit models' expectation for a customer alive at T, with lambda
 * ~ gamma(r+x, alpha+T) given the summary: BG/NBD with drop-out p buys
 * (1 - e^(-lambda p t)) / p, so (1 - ((alpha+T)/(alpha+T+p t))^(r+x)) / p;
 * Pareto/NBD with rate mu buys lambda (1 - e^(-mu t)) / mu, so
 * (r+x)/(alpha+T) (1 - e^(-mu t)) / mu.  Both (r+x) t / (alpha+T) at 0.
 */
static double
lim_expected(const struct crm_clv_model *m, double x, double T, double t)
{
	double k = m->r + x, q = m->a;

	if (q == 0)
		return k * t / (m->alpha + T);
	if (m->kind == CRM_CLV_BGNBD)
		return -expm1(-k * log1p(q * t / (m->alpha + T))) / q;
	return k / (m->alpha + T) * -expm1(-q * t) / q;
}

int
crm_clv_expected(const struct crm_clv_model *m,
    const struct crm_clv_customer *c, double t, double *e,
    struct crm_error *err)
{
	double pa, br;

	if (check_one(m, c, err) < 0)
		return -1;
	if (!(t >= 0 && isfinite(t)))
		return crm_error_set(err, CRM_EUSAGE,
		    "horizon %g must be non-negative", t);
	if (crm_clv_palive(m, c, &pa, err) < 0 ||
	    crm_clv_expected_alive(m, c->x, c->T, t, &br, err) < 0)
		return -1;
	*e = br * pa;
	return 0;
}

int
crm_clv_expected_alive(const struct crm_clv_model *m, long x, double T,
    double t, double *e, struct crm_error *err)
{
	if (clv_check_model(m, err) < 0)
		return -1;
	if (x < 0 || !(T >= 0 && isfinite(T)))
		return crm_error_set(err, CRM_EUSAGE, "x %ld and T %g must be"
		    " non-negative", x, T);
	if (!(t >= 0 && isfinite(t)))
		return crm_error_set(err, CRM_EUSAGE,
		    "horizon %g must be non-negative", t);
	if (m->limit) {
		*e = lim_expected(m, (double)x, T, t);
		return 0;
	}
	if (m->kind == CRM_CLV_BGNBD)
		return bgnbd_cond(m, (double)x, T, t, e, err);
	*e = (m->r + (double)x) * (m->b + T) / (m->alpha + T) *
	    pareto_g(m->a, m->b + T, t);
	return 0;
}

int
crm_clv_expected_new(const struct crm_clv_model *m, double t, double *e,
    struct crm_error *err)
{
	if (clv_check_model(m, err) < 0)
		return -1;
	if (!(t >= 0 && isfinite(t)))
		return crm_error_set(err, CRM_EUSAGE,
		    "horizon %g must be non-negative", t);
	if (m->limit) {
		*e = lim_expected(m, 0, 0, t);
		return 0;
	}
	if (m->kind == CRM_CLV_BGNBD)
		return bgnbd_cond(m, 0, 0, t, e, err);
	*e = m->r * m->b / m->alpha * pareto_g(m->a, m->b, t);
	return 0;
}

int
crm_clv_pmf(const struct crm_clv_model *m, double t, long k, double *p,
    struct crm_error *err)
{
	double r = m->r, al = m->alpha, a = m->a, b = m->b;
	double lp, lb, q, term, cdf;
	long j;

	if (clv_check_model(m, err) < 0)
		return -1;
	if (m->kind != CRM_CLV_BGNBD || m->limit)
		return crm_error_set(err, CRM_EUSAGE,
		    "P(X(t) = k) is implemented for the full BG/NBD only");
	if (!(t >= 0 && isfinite(t)) || k < 0)
		return crm_error_set(err, CRM_EUSAGE,
		    "P(X(t) = k) needs t >= 0 and k >= 0");
	if (t == 0) {
		*p = k == 0;
		return 0;
	}
	lp = r * log(al / (al + t));
	q = t / (al + t);
	lb = crm_stats_lbeta(a, b);
	*p = exp(crm_stats_lbeta(a, b + k) - lb + crm_stats_lgamma(r + k) -
	    crm_stats_lgamma(r) - crm_stats_lgamma(k + 1.0) + lp +
	    k * log(q));
	if (k > 0) {
		/* The negative binomial's tail, 1 - P(NB < k). */
		term = exp(lp);
		cdf = 0;
		for (j = 0; j < k; j++) {
			cdf += term;
			term *= (r + j) / (j + 1) * q;
		}
		*p += exp(crm_stats_lbeta(a + 1, b + k - 1) - lb) *
		    (cdf < 1 ? 1 - cdf : 0);
	}
	return 0;
}

int
crm_clv_gg_spend(const struct crm_clv_gg *g,
    const struct crm_clv_customer *c, double *spend, struct crm_error *err)
{
	double den;

	if (clv_check_gg(g, err) < 0 || clv_check_customer(c, 0, 1, err) < 0)
		return -1;
	if (g->limit) {
		*spend = g->p / g->v;
		return 0;
	}
	den = g->p * c->x + g->q - 1;
	if (!(den > 0))
		return crm_error_set(err, CRM_EUSAGE, "Gamma-Gamma: expected "
		    "spend does not exist (p x + q <= 1)");
	*spend = (g->v + (c->x > 0 ? c->x * c->zbar : 0)) * g->p / den;
	return 0;
}

int
crm_clv_value(const struct crm_clv_model *m,
    const struct crm_clv_customer *c, double spend, int periods,
    double period, double d, double *clv, struct crm_error *err)
{
	double prev = 0, cur, disc = 1, sum = 0;
	int k;

	if (periods < 1 || !(period > 0 && isfinite(period)) ||
	    !(d > -1 && isfinite(d)) || !(spend >= 0 && isfinite(spend)))
		return crm_error_set(err, CRM_EUSAGE, "CLV needs periods >= 1, "
		    "a positive period length, a discount rate > -1 and a "
		    "non-negative spend");
	for (k = 1; k <= periods; k++) {
		if (crm_clv_expected(m, c, k * period, &cur, err) < 0)
			return -1;
		disc /= 1 + d;
		sum += (cur - prev) * disc;
		prev = cur;
	}
	*clv = spend * sum;
	return 0;
}
