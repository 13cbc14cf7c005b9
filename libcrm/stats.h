/*
 * stats.h - special functions and small statistical routines.
 *
 * Pure mathematics: no I/O, no database, no global state, so every function
 * is safe to call from any thread.  Functions that cannot fail return the
 * value directly (NaN only where the mathematics has no answer, as noted);
 * functions that can fail take `struct crm_error *err` last (it may be NULL
 * when the caller only wants the -1), return -1 and fill err:
 * CRM_EUSAGE for arguments outside the domain, CRM_EDATA for data that
 * cannot give an answer (all labels equal, zero variance), CRM_EFAIL when a
 * numerical method gave up (a series that would not converge) or on ENOMEM.
 */
#ifndef CRM_STATS_H
#define CRM_STATS_H

#include <stddef.h>

#include "error.h"

/* log|Gamma(x)| (lgamma_r from libm, so no global signgam is touched). */
double crm_stats_lgamma(double x);

/*
 * Digamma psi(x) = d/dx log Gamma(x), to about 1e-15 relative.  Negative
 * arguments by reflection; NaN at the poles x = 0, -1, -2, ...
 */
double crm_stats_digamma(double x);

/* log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b), for a, b > 0. */
double crm_stats_lbeta(double a, double b);

/*
 * log(exp(a) + exp(b)) without overflow.  -inf counts as a zero term, so
 * logsumexp2(-inf, -inf) is -inf.
 */
double crm_stats_logsumexp2(double a, double b);

/* log(sum exp(v[i])) over n values; -inf for n == 0. */
double crm_stats_logsumexp(const double *v, size_t n);

/*
 * The Gauss hypergeometric function 2F1(a, b; c; z) for real a, b, c and
 * z < 1, as *logabs = log|2F1| and *sign = +1, -1 (or 0 when it is exactly
 * zero, *logabs then -inf).  Works in log space with rescaling, so values
 * far beyond the double range are fine.
 *
 * Method: the power series for 0 <= z <= 1/2 (after Euler's transformation
 * 2F1(a,b;c;z) = (1-z)^(c-a-b) 2F1(c-a,c-b;c;z) when that series decays
 * faster); Pfaff's transformation to w = z/(z-1) in (0, 1) for z < 0; the
 * connection formula in 1-z for 1/2 < z < 1, with c-a-b near an integer
 * handled by interpolating over a few non-degenerate values of a; and the
 * plain series with a large term budget when the connection formula would
 * cancel too much (big a, b).  Checked against arbitrary precision on
 * random arguments (a, b up to 100, z from -1e7 to 1 - 1e-8): relative
 * error typically 1e-14, at worst about 1e-10 (large a, z next to 1).
 *
 * Fails with CRM_EUSAGE for non-finite arguments, z >= 1 or c a
 * non-positive integer, and with CRM_EFAIL when no method converges; it
 * never returns NaN with 0.
 */
int crm_stats_log2f1(double a, double b, double c, double z, double *logabs,
    int *sign, struct crm_error *err);

/*
 * The same for inner loops: no message, and at most maxn terms for the
 * series near z = 1, so that an optimiser straying where it crawls fails
 * fast.  Returns 0 or -1.
 */
int crm_stats_log2f1_fast(double a, double b, double c, double z, long maxn,
    double *logabs, int *sign);

/*
 * F(k, z) = integral from 0 to infinity of e^(-z u) (1 + u)^(-k) du, the
 * Laplace transform of (1 + u)^-k: e^z z^(k-1) Gamma(1-k, z), or Tricomi's
 * U(1, 2-k, z).  It gives the Pareto/NBD likelihood with a common drop-out
 * rate (clv-ll.c).  For k >= 0 and z > 0; NaN otherwise.  F(0, z) = 1/z,
 * F(1, 1) = e E1(1) = 0.596347... (Gompertz's constant), and
 * F(k+1, z) = (1 - z F(k, z)) / k, the recurrence callers use to step k up
 * (stable while z <= k, and losing no more than a factor of about 100 in
 * accuracy from k in [0.5, 1.5) with z <= 5).
 *
 * Method: for z > 5 the continued fraction of the incomplete gamma
 * function (modified Lentz); otherwise Gauss-Legendre quadrature after
 * u = e^w - 1 (ten points on panels of width 1/2 up to where e^-(z u)
 * falls below e^-80) at k shifted into [0.5, 1.5) (or k itself below 0.5),
 * then the recurrence.  Relative error about 1e-13.
 */
double crm_stats_laplace_pow(double k, double z);

/* The standard normal distribution function Phi(z) (via erfc). */
double crm_stats_norm_cdf(double z);

/*
 * The standard normal quantile Phi^-1(p) for 0 < p < 1 (rational
 * approximation refined by a Halley step, about 1e-15 relative);
 * -inf and +inf for p = 0 and 1, NaN outside [0, 1].
 */
double crm_stats_norm_quantile(double p);

/*
 * Area under the ROC curve of score for the binary label (non-zero means
 * positive): the Mann-Whitney U statistic divided by npos * nneg, ties
 * counting one half.  O(n log n); allocates n indices.  Fails with
 * CRM_EDATA when a score is not finite or when there are no positives or
 * no negatives, CRM_EFAIL on ENOMEM.
 */
int crm_stats_auc(const double *score, const int *label, size_t n,
    double *auc, struct crm_error *err);

/*
 * Pearson correlation of x and y.  Fails with CRM_EDATA for n < 2,
 * non-finite values, or a variable that does not vary.
 */
int crm_stats_pearson(const double *x, const double *y, size_t n, double *r,
    struct crm_error *err);

/*
 * The Wilson score interval for a proportion x/n at confidence conf,
 * without continuity correction (Newcombe 1998a, method 3):
 *
 *	(2x + z^2 -+ z sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2)),
 *	z = Phi^-1((1+conf)/2)
 *
 * It stays inside [0, 1] and is not empty at x = 0 or x = n.
 * CRM_EUSAGE when n is 0, x > n or conf is not in (0, 1).
 */
int crm_stats_wilson(unsigned long x, unsigned long n, double conf,
    double *lo, double *hi, struct crm_error *err);

/*
 * Newcombe's hybrid score interval for p1 - p2, p1 = x1/n1, p2 = x2/n2
 * (Newcombe 1998b, method 10): with (l1, u1) and (l2, u2) the Wilson
 * intervals of each,
 *
 *	lo = diff - sqrt((p1 - l1)^2 + (u2 - p2)^2)
 *	hi = diff + sqrt((u1 - p1)^2 + (p2 - l2)^2)
 *
 * Good coverage at small counts and with zero cells, inside [-1, 1].
 * Errors as crm_stats_wilson().
 */
int crm_stats_newcombe(unsigned long x1, unsigned long n1, unsigned long x2,
    unsigned long n2, double conf, double *lo, double *hi,
    struct crm_error *err);

/*
 * Fisher's exact test of the 2x2 table (x1, n1 - x1; x2, n2 - x2), two-
 * sided: the sum of the hypergeometric probabilities (margins fixed) of
 * every table no likelier than the one observed (within a relative 1e-7,
 * as R's fisher.test), at most 1.  Errors as crm_stats_wilson().
 */
int crm_stats_fisher(unsigned long x1, unsigned long n1, unsigned long x2,
    unsigned long n2, double *p_value, struct crm_error *err);

/*
 * Two proportions compared: group 1 had x1 successes out of n1, group 2
 * x2 out of n2 (for a campaign: target and control).
 *
 *	p1 = x1/n1, p2 = x2/n2, diff = p1 - p2
 *	z = diff / sqrt(p(1-p) (1/n1 + 1/n2)), p = (x1+x2)/(n1+n2) pooled
 *	    (0 when p is 0 or 1)
 *	ci = Newcombe's hybrid score interval (crm_stats_newcombe())
 *	p_value: when every expected count of the 2x2 table (n_i times the
 *	    pooled share of successes, and of failures) is at least 5,
 *	    2 (1 - Phi(|z|)), the two-sided z-test (1 when p is 0 or 1);
 *	    else Fisher's exact test (crm_stats_fisher()), and exact is 1.
 *
 * interval and test name the methods used ("newcombe"; "z" or
 * "fisher"), for the reader of a report.  Fails with CRM_EUSAGE when n1
 * or n2 is 0, a count exceeds its total or conf is not in (0, 1).
 */
struct crm_stats_prop_test {
	double p1, p2, diff;
	double z, p_value;
	double ci_low, ci_high;
	int exact;		/* 1: p_value from Fisher's exact test */
	const char *interval;	/* "newcombe" */
	const char *test;	/* "z" or "fisher" */
};

int crm_stats_prop_test(unsigned long x1, unsigned long n1, unsigned long x2,
    unsigned long n2, double conf, struct crm_stats_prop_test *out,
    struct crm_error *err);

/* 1 / (1 + exp(-t)), without overflow. */
double crm_stats_logistic(double t);

/*
 * L2-penalised logistic regression by Newton's method (IRLS) with a
 * backtracking line search.  It minimises
 *
 *	-sum_i w_i [y_i log p_i + (1 - y_i) log(1 - p_i)] + lambda/2 sum_j beta_j^2
 *
 * where p_i = logistic(beta . x_i).  x is the dense n-by-p design matrix,
 * row major (x[i*p + j]); y holds 0 or 1; w holds non-negative weights or
 * is NULL for all ones.  With intercept set, beta has p + 1 entries,
 * beta[0] being an unpenalised intercept and beta[1..p] the coefficients of
 * the p columns; otherwise beta has p entries, all penalised.
 *
 * beta is the starting point on entry (zeros will do) and the estimate on
 * return.  info (may be NULL) gets the iterations, whether it converged
 * (gradient below 1e-10 times the total weight in max norm, or a last
 * Newton step below 1e-8 relative) within max_iter (0 means 100)
 * iterations, and the final objective.  With
 * lambda = 0 and separable data the coefficients grow without bound and
 * converged stays 0: that is a result, not an error.
 *
 * Fails with CRM_EUSAGE for n or p of 0 or lambda < 0, CRM_EDATA for
 * non-finite values, y other than 0/1 or negative weights, CRM_EFAIL on
 * ENOMEM or a Hessian that cannot be factored.  Allocates O(p^2).
 */
struct crm_stats_logit_info {
	int iterations;
	int converged;
	double objective;
};

int crm_stats_logit_fit(const double *x, const double *y, const double *w,
    size_t n, size_t p, int intercept, double lambda, int max_iter,
    double *beta, struct crm_stats_logit_info *info, struct crm_error *err);

/* Predicted probability for one row x[0..p) with beta as fitted above. */
double crm_stats_logit_predict(const double *x, size_t p, int intercept,
    const double *beta);

#endif
