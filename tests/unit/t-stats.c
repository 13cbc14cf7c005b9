/*
 * Unit tests for libcrm/stats and libcrm/optim: special functions against
 * closed forms and values from arbitrary-precision arithmetic, the
 * hypergeometric function across its range, AUC, correlation, the
 * two-proportion test, logistic regression and the minimisers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "optim.h"
#include "stats.h"
#include "tap.h"

static struct crm_error err;

/* Relative comparison for values of any size. */
static void
is_rel(double got, double want, double rel, const char *name)
{
	is_num(got, want, rel * fabs(want), name);
}

static void
f21(double a, double b, double c, double z, double want, double rel)
{
	double l = NAN;
	int s = 0;
	char name[128];

	snprintf(name, sizeof(name), "2F1(%g, %g; %g; %g)", a, b, c, z);
	if (crm_stats_log2f1(a, b, c, z, &l, &s, &err) < 0) {
		ok(0, "%s: %s", name, err.msg);
		return;
	}
	is_rel(s * exp(l), want, rel, name);
}

static void
test_special(void)
{
	double v[4] = { 1, 2, 3, -INFINITY };

	is_rel(crm_stats_lgamma(0.5), 0.5723649429247000870717137, 1e-14,
	    "lgamma(1/2) = log sqrt(pi)");
	is_rel(crm_stats_lgamma(100.5), 361.4355404677776215552519, 1e-14,
	    "lgamma(100.5)");
	is_rel(crm_stats_digamma(1), -0.5772156649015328606065121, 1e-14,
	    "digamma(1) = -Euler's constant");
	is_rel(crm_stats_digamma(0.5), -1.963510026021423479440976, 1e-14,
	    "digamma(1/2)");
	is_rel(crm_stats_digamma(10), 2.251752589066721107647456, 1e-14,
	    "digamma(10)");
	is_rel(crm_stats_digamma(1e-3), -1000.575571931810279654757, 1e-14,
	    "digamma(0.001)");
	is_rel(crm_stats_digamma(-0.5), 0.03648997397857652055902367, 1e-12,
	    "digamma(-1/2) by reflection");
	is_rel(crm_stats_digamma(-2.7), -1.115347129140689611910203, 1e-12,
	    "digamma(-2.7)");
	ok(isnan(crm_stats_digamma(-3)), "digamma at a pole is NaN");
	is_rel(crm_stats_lbeta(2, 3), log(1.0 / 12), 1e-14, "lbeta(2, 3)");
	is_rel(crm_stats_logsumexp2(1000, 1000), 1000 + M_LN2, 1e-15,
	    "logsumexp2 does not overflow");
	is_num(crm_stats_logsumexp2(-INFINITY, 0), 0, 0,
	    "logsumexp2 with a zero term");
	ok(crm_stats_logsumexp2(-INFINITY, -INFINITY) == -INFINITY,
	    "logsumexp2 of two zeros is -inf");
	is_rel(crm_stats_logsumexp(v, 4), log(exp(1) + exp(2) + exp(3)),
	    1e-15, "logsumexp of 4 values");
	ok(crm_stats_logsumexp(v, 0) == -INFINITY, "logsumexp of none");
}

static void
test_2f1(void)
{
	static const double z[] = { 0.3, 0.9, 0.999999, -0.5, -10, -1e6 };
	double l;
	size_t i;
	int s;

	/* 2F1(1,1;2;z) = -ln(1-z)/z: c-a-b = 0, the degenerate case. */
	for (i = 0; i < sizeof(z) / sizeof(z[0]); i++)
		f21(1, 1, 2, z[i], -log1p(-z[i]) / z[i], 1e-12);
	/* 2F1(a,b;b;z) = (1-z)^-a */
	f21(2.5, 3.25, 3.25, 0.75, pow(0.25, -2.5), 1e-12);
	f21(2.5, 3.25, 3.25, -40, pow(41, -2.5), 1e-12);
	/* 2F1(1/2,1/2;3/2;z^2) = asin(z)/z */
	f21(0.5, 0.5, 1.5, 0.99 * 0.99, asin(0.99) / 0.99, 1e-12);
	/* a terminating series: 2F1(-2,b;c;z) */
	f21(-2, 1.5, 2.5, -3, 1 - 2 * 1.5 * -3 / 2.5 +
	    1.5 * 2.5 * 9 / (2.5 * 3.5), 1e-13);
	/* Values from arbitrary precision (mpmath). */
	f21(0.25, 0.75, 1.5, -3, 0.816496580927726032732428, 1e-12);
	f21(2.5, 1.3, 0.7, 0.8, 313.9494457917661776130727, 1e-11);
	f21(3, 2, 5, 0.99, 27.69934790432268152372055, 1e-11);
	f21(1.5, 2.5, 4, 0.95, 7.824226341235015965567289, 1e-11);
	ok(crm_stats_log2f1(1, 1, 2, 1, &l, &s, &err) < 0 &&
	    err.code == CRM_EUSAGE, "2F1 at z = 1 refused (%s)", err.msg);
	ok(crm_stats_log2f1(1, 1, -2, 0.5, &l, &s, &err) < 0 &&
	    err.code == CRM_EUSAGE, "2F1 with c = -2 refused (%s)", err.msg);
	ok(crm_stats_log2f1(NAN, 1, 2, 0.5, &l, &s, &err) < 0,
	    "2F1 of NaN refused, not NaN (%s)", err.msg);
}

static void
test_normal(void)
{
	is_rel(crm_stats_norm_cdf(1.96), 0.9750021048517795637871763, 1e-15,
	    "Phi(1.96)");
	is_num(crm_stats_norm_cdf(0), 0.5, 0, "Phi(0)");
	is_rel(crm_stats_norm_quantile(0.975), 1.959963984540054235524594,
	    1e-14, "Phi^-1(0.975)");
	is_rel(crm_stats_norm_quantile(1e-10), -6.361340902404056209024779,
	    1e-13, "Phi^-1(1e-10)");
	is_rel(crm_stats_norm_quantile(0.3), -crm_stats_norm_quantile(0.7),
	    1e-14, "Phi^-1 is odd about 1/2");
	ok(crm_stats_norm_quantile(0) == -INFINITY &&
	    isnan(crm_stats_norm_quantile(1.5)), "Phi^-1 at the edges");
}

static void
test_auc_pearson(void)
{
	/* Positives 0.35, 0.8, 0.4 against negatives 0.1, 0.4, 0.4:
	 * wins 1 + 3 + (1 + 1/2 + 1/2) = 6 of 9 pairs. */
	double s[6] = { 0.1, 0.4, 0.35, 0.8, 0.4, 0.4 };
	int lab[6] = { 0, 0, 1, 1, 1, 0 }, same[3] = { 1, 1, 1 };
	double x[5] = { 1, 2, 3, 4, 5 }, y[5] = { 2, 4, 5, 4, 5 };
	double k[5] = { 3, 3, 3, 3, 3 }, auc = -1, r = -2;

	ok(crm_stats_auc(s, lab, 6, &auc, &err) == 0, "AUC with ties");
	is_num(auc, 6.0 / 9, 1e-15, "AUC = 6/9");
	lab[0] = 1;
	lab[1] = 1;
	lab[5] = 1;
	lab[2] = lab[3] = lab[4] = 0;
	ok(crm_stats_auc(s, lab, 6, &auc, &err) == 0 &&
	    fabs(auc - 3.0 / 9) < 1e-15, "AUC with labels swapped = 3/9");
	ok(crm_stats_auc(s, same, 3, &auc, &err) < 0 &&
	    err.code == CRM_EDATA, "AUC without negatives refused (%s)",
	    err.msg);
	ok(crm_stats_pearson(x, y, 5, &r, &err) == 0, "Pearson");
	is_num(r, sqrt(0.6), 1e-15, "Pearson r = 6/sqrt(60)");
	ok(crm_stats_pearson(x, k, 5, &r, &err) < 0 && err.code == CRM_EDATA,
	    "Pearson with a constant refused (%s)", err.msg);
}

static void
test_prop(void)
{
	struct crm_stats_prop_test t;

	/*
	 * Newcombe's hybrid score interval (method 10) on the eight worked
	 * examples of Newcombe RG, "Interval estimation for the difference
	 * between independent proportions: comparison of eleven methods",
	 * Statistics in Medicine 17:873-890 (1998), Table II, printed to 4
	 * decimals: (a) 56/70 - 48/80, (b) 9/10 - 3/10, (c) 6/7 - 2/7,
	 * (d) 5/56 - 0/29, (e) 0/10 - 0/20, (f) 0/10 - 0/10,
	 * (g) 10/10 - 0/20, (h) 10/10 - 0/10.
	 */
	static const struct {
		unsigned long x1, n1, x2, n2;
		double lo, hi;
	} nc[] = {
		{ 56, 70, 48, 80, 0.0524, 0.3339 },
		{ 9, 10, 3, 10, 0.1705, 0.8090 },
		{ 6, 7, 2, 7, 0.0582, 0.8062 },
		{ 5, 56, 0, 29, -0.0381, 0.1926 },
		{ 0, 10, 0, 20, -0.1611, 0.2775 },
		{ 0, 10, 0, 10, -0.2775, 0.2775 },
		{ 10, 10, 0, 20, 0.6791, 1.0000 },
		{ 10, 10, 0, 10, 0.6075, 1.0000 },
	};
	double lo, hi, p;
	size_t i;

	for (i = 0; i < sizeof(nc) / sizeof(nc[0]); i++) {
		ok(crm_stats_newcombe(nc[i].x1, nc[i].n1, nc[i].x2, nc[i].n2,
		    0.95, &lo, &hi, &err) == 0, "Newcombe %lu/%lu - %lu/%lu",
		    nc[i].x1, nc[i].n1, nc[i].x2, nc[i].n2);
		is_num(lo, nc[i].lo, 0.00005, "  lower, Newcombe 1998 Table II");
		is_num(hi, nc[i].hi, 0.00005, "  upper, Newcombe 1998 Table II");
	}
	/*
	 * Wilson score intervals, Newcombe RG, "Two-sided confidence
	 * intervals for the single proportion: comparison of seven
	 * methods", Statistics in Medicine 17:857-872 (1998), method 3:
	 * 81/263 is 0.2553 to 0.3662, 15/148 is 0.0624 to 0.1605; 0/20
	 * is 0 to z^2/(20 + z^2) = 0.1611 by the formula.
	 */
	ok(crm_stats_wilson(81, 263, 0.95, &lo, &hi, &err) == 0, "Wilson");
	is_num(lo, 0.2553, 0.00005, "  81/263 lower");
	is_num(hi, 0.3662, 0.00005, "  81/263 upper");
	ok(crm_stats_wilson(15, 148, 0.95, &lo, &hi, &err) == 0 &&
	    fabs(lo - 0.0624) < 0.00005 && fabs(hi - 0.1605) < 0.00005,
	    "Wilson 15/148: 0.0624 to 0.1605");
	ok(crm_stats_wilson(0, 20, 0.95, &lo, &hi, &err) == 0 && lo == 0,
	    "Wilson 0/20 starts at 0");
	is_num(hi, 1.959963984540054 * 1.959963984540054 /
	    (20 + 1.959963984540054 * 1.959963984540054), 1e-12,
	    "  and ends at z^2/(n + z^2)");

	/*
	 * Fisher's exact test.  Fisher's lady tasting tea (The Design of
	 * Experiments, 1935): 3 of 4 cups right against 1 of 4; two-sided
	 * p = (1 + 16 + 16 + 1) / 70 = 34/70 (tables as likely as the one
	 * observed or less: 1 (or 3) right, 16/70 each, and 0 (or 4), 1/70
	 * each).  0/25 against 5/275, issue 14's campaign: the observed
	 * table is the likeliest, so p = 1.
	 */
	ok(crm_stats_fisher(3, 4, 1, 4, &p, &err) == 0, "Fisher");
	is_num(p, 34.0 / 70, 1e-12, "  tea tasting: 34/70");
	ok(crm_stats_fisher(0, 25, 5, 275, &p, &err) == 0 && p == 1,
	    "  0/25 against 5/275: p = 1");
	/*
	 * 9/10 against 3/10, margins 10, 10 and 12 successes of 20:
	 * P(k) = C(10,k) C(10,12-k) / C(20,12), C(20,12) = 125970; k = 9
	 * gives 10 * 120 = 1200, and no likelier are k = 10 (45), k = 3
	 * (1200) and k = 2 (45): p = 2490 / 125970.
	 */
	ok(crm_stats_fisher(9, 10, 3, 10, &p, &err) == 0, "Fisher 9/10, 3/10");
	is_num(p, 2490.0 / 125970, 1e-12, "  2490/125970");

	/*
	 * 120/1000 against 90/1000: pooled p = 0.105, every expected count
	 * over 5, so the z-test: z = 0.03 / sqrt(0.105 * 0.895 * 0.002) =
	 * 2.18827, two-sided p 0.0287; the interval is Newcombe's.
	 */
	ok(crm_stats_prop_test(120, 1000, 90, 1000, 0.95, &t, &err) == 0,
	    "two-proportion test");
	is_num(t.diff, 0.03, 1e-15, "difference");
	is_num(t.z, 2.188265884622723626, 1e-12, "z");
	is_num(t.p_value, 0.02865024039844845081, 1e-12, "p-value");
	ok(!t.exact && strcmp(t.test, "z") == 0 &&
	    strcmp(t.interval, "newcombe") == 0, "z-test, Newcombe interval");
	ok(crm_stats_newcombe(120, 1000, 90, 1000, 0.95, &lo, &hi, &err) == 0 &&
	    t.ci_low == lo && t.ci_high == hi, "the interval is Newcombe's");
	ok(lo > 0.002 && lo < 0.004 && hi > 0.056 && hi < 0.058,
	    "  near the Wald interval at large counts (%g, %g)", lo, hi);
	/*
	 * Issue 14: 5 of 275 target, 0 of 25 control.  The Wald interval
	 * was (0.0024, 0.0340), excluding 0 beside p = 0.497.  Expected
	 * responders in control 25 * 5/300 = 0.42 < 5: Fisher, p = 1; the
	 * interval must hold 0.
	 */
	ok(crm_stats_prop_test(5, 275, 0, 25, 0.95, &t, &err) == 0 &&
	    t.exact && strcmp(t.test, "fisher") == 0 && t.p_value == 1,
	    "small counts: Fisher, p = 1");
	ok(t.ci_low < 0 && t.ci_high > 0, "  the interval holds 0 (%g, %g)",
	    t.ci_low, t.ci_high);
	ok(crm_stats_prop_test(0, 10, 0, 10, 0.95, &t, &err) == 0 &&
	    t.p_value == 1 && t.z == 0, "no successes anywhere: p = 1");
	ok(crm_stats_prop_test(5, 0, 1, 10, 0.95, &t, &err) < 0 &&
	    err.code == CRM_EUSAGE, "empty group refused (%s)", err.msg);
	ok(crm_stats_prop_test(5, 10, 1, 10, 1, &t, &err) < 0,
	    "confidence 1 refused");
}

/* A deterministic generator for the synthetic sets. */
static uint64_t rng = 88172645463325252ULL;

static double
unif(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (rng >> 11) * (1.0 / 9007199254740992.0);
}

static void
test_logit(void)
{
	/* x = 0: 1 of 4; x = 1: 3 of 4.  The MLE is exact. */
	double x1[8] = { 0, 0, 0, 0, 1, 1, 1, 1 };
	double y1[8] = { 1, 0, 0, 0, 1, 1, 1, 0 };
	double b1[2] = { 0, 0 }, b2[3] = { 0, 0, 0 }, b3[3] = { 0, 0, 0 };
	double *x, *y, *score;
	int *lab;
	struct crm_stats_logit_info info;
	double auc = 0, obj, eps = 1e-4;
	size_t i, j, n = 400;
	int better = 0, rc;

	ok(crm_stats_logit_fit(x1, y1, NULL, 8, 1, 1, 0, 0, b1, &info,
	    &err) == 0 && info.converged, "logistic regression, exact case");
	is_num(b1[0], log(1.0 / 3), 1e-9, "intercept = logit(1/4)");
	is_num(b1[1], 2 * log(3.0), 1e-9, "slope = logit(3/4) - logit(1/4)");

	/* Noisy linear boundary 2 x1 - x2 > 0.3 in [-1, 1]^2. */
	x = malloc(n * 2 * sizeof(*x));
	y = malloc(n * sizeof(*y));
	score = malloc(n * sizeof(*score));
	lab = malloc(n * sizeof(*lab));
	for (i = 0; i < n; i++) {
		x[2 * i] = 2 * unif() - 1;
		x[2 * i + 1] = 2 * unif() - 1;
		y[i] = 2 * x[2 * i] - x[2 * i + 1] + 0.4 * (unif() - 0.5) >
		    0.3;
	}
	rc = crm_stats_logit_fit(x, y, NULL, n, 2, 1, 1, 0, b2, &info, &err);
	ok(rc == 0 && info.converged, "penalised fit converges (%d "
	    "iterations)", info.iterations);
	ok(b2[1] > 0 && b2[2] < 0 && b2[0] < 0, "signs: %g %g %g", b2[0],
	    b2[1], b2[2]);
	is_num(b2[1] / b2[2], -2, 0.3, "boundary slope about 2");
	for (i = 0; i < n; i++) {
		score[i] = crm_stats_logit_predict(x + 2 * i, 2, 1, b2);
		lab[i] = y[i] != 0;
	}
	rc = crm_stats_auc(score, lab, n, &auc, &err);
	ok(rc == 0 && auc > 0.97, "training AUC %.4f", auc);
	obj = info.objective;
	/* The minimum: no coordinate step lowers the objective. */
	for (j = 0; j < 3; j++) {
		double keep = b2[j], f[2];
		size_t k;

		for (k = 0; k < 2; k++) {
			b2[j] = keep + (k ? eps : -eps);
			f[k] = (b2[1] * b2[1] + b2[2] * b2[2]) / 2;
			for (i = 0; i < n; i++) {
				double p = crm_stats_logit_predict(x + 2 * i, 2,
				    1, b2);

				f[k] -= y[i] ? log(p) : log(1 - p);
			}
		}
		b2[j] = keep;
		better += f[0] < obj - 1e-9 || f[1] < obj - 1e-9;
	}
	ok(better == 0, "no neighbour has a lower objective");
	/* Separable with lambda = 0: a result, not an error. */
	for (i = 0; i < n; i++)
		y[i] = x[2 * i] > 0;
	rc = crm_stats_logit_fit(x, y, NULL, n, 2, 1, 0, 30, b3, &info, &err);
	ok(rc == 0 && (!info.converged || b3[1] > 20),
	    "separable, unpenalised: coefficient runs off (%g)", b3[1]);
	b3[0] = b3[1] = b3[2] = 0;
	rc = crm_stats_logit_fit(x, y, NULL, n, 2, 1, 0.1, 0, b3, &info,
	    &err);
	ok(rc == 0 && info.converged && isfinite(b3[1]),
	    "separable, penalised: converges (%g)", b3[1]);
	y[0] = 0.5;
	ok(crm_stats_logit_fit(x, y, NULL, n, 2, 1, 0.1, 0, b3, &info,
	    &err) < 0 && err.code == CRM_EDATA, "y = 0.5 refused (%s)",
	    err.msg);
	free(x);
	free(y);
	free(score);
	free(lab);
}

/* Rosenbrock, with its gradient when asked. */
static double
rosen(const double *x, double *g, void *arg)
{
	double a = 1 - x[0], b = x[1] - x[0] * x[0];

	if (g != NULL) {
		g[0] = -2 * a - 400 * x[0] * b;
		g[1] = 200 * b;
	}
	return a * a + 100 * b * b;
}

/* Minimum at x = (2, 0.5, 30): needs positivity (log of x). */
static double
logbowl(const double *x, double *g, void *arg)
{
	static const double c[3] = { 2, 0.5, 30 };
	double f = 0;
	int i;

	(void)g;
	for (i = 0; i < 3; i++) {
		double d = log(x[i] / c[i]);

		f += d * d + 0.1 * d * d * d * d;
	}
	return f;
}

static void
test_optim(void)
{
	struct crm_optim_opts o = { 0 };
	struct crm_optim_result r;
	double x[3], h[4] = { 0 };
	int rc;

	x[0] = -1.2;
	x[1] = 1;
	o.gradient = 1;
	rc = crm_optim_bfgs(2, x, rosen, NULL, &o, &r, &err);
	ok(rc == 0 && r.converged, "BFGS on Rosenbrock (%d iterations)",
	    r.iterations);
	is_num(x[0], 1, 1e-6, "x = 1");
	is_num(x[1], 1, 1e-6, "y = 1");
	x[0] = -1.2;
	x[1] = 1;
	o.gradient = 0;
	o.hinv = h;
	rc = crm_optim_bfgs(2, x, rosen, NULL, &o, &r, &err);
	ok(rc == 0 && r.converged, "BFGS, numerical gradient (%d "
	    "evaluations)", r.evaluations);
	is_num(x[0], 1, 1e-5, "x = 1");
	ok(h[0] > 0 && h[3] > 0, "inverse Hessian handed back");
	x[0] = -1.2;
	x[1] = 1;
	o.hinv = NULL;
	rc = crm_optim_nelder_mead(2, x, rosen, NULL, &o, &r, &err);
	ok(rc == 0 && r.converged, "Nelder-Mead on Rosenbrock (%d "
	    "iterations)", r.iterations);
	is_num(x[0], 1, 1e-4, "x = 1");
	is_num(x[1], 1, 1e-4, "y = 1");
	x[0] = x[1] = x[2] = 1;
	o.positive = 1;
	ok(crm_optim_minimize(3, x, logbowl, NULL, &o, &r, &err) == 0 &&
	    r.converged, "positive parameters");
	is_rel(x[0], 2, 1e-6, "x1 = 2");
	is_rel(x[1], 0.5, 1e-6, "x2 = 0.5");
	is_rel(x[2], 30, 1e-6, "x3 = 30");
	x[0] = -1;
	ok(crm_optim_bfgs(3, x, logbowl, NULL, &o, &r, &err) < 0 &&
	    err.code == CRM_EUSAGE, "negative start refused (%s)", err.msg);
}

/*
 * F(k, z) = e^z z^(k-1) Gamma(1-k, z): F(0, z) = 1/z; F(1, 1) = e E1(1),
 * Gompertz's constant 0.596347362323194074341...; F(2, 1) = 1 - F(1, 1);
 * F(1, z) = e^z E1(z) with E1(0.5) = 0.5597735947761608 and E1(2) =
 * 0.04890051070806112 (Abramowitz and Stegun, table 5.1); and the
 * recurrence across the methods' borders (z = 1.5 and 5).
 */
static void
test_laplace_pow(void)
{
	double d = 0.596347362323194074341, k, z, worst = 0;

	is_num(crm_stats_laplace_pow(0, 3), 1.0 / 3, 1e-15, "F(0, 3) = 1/3");
	is_num(crm_stats_laplace_pow(1, 1), d, 1e-14, "F(1, 1) = Gompertz");
	is_num(crm_stats_laplace_pow(1 + 1e-13, 1), d, 1e-12,
	    "F(1 + 1e-13, 1): no cancellation next to the pole");
	is_num(crm_stats_laplace_pow(2, 1), 1 - d, 1e-14, "F(2, 1) = 1 - F(1, 1)");
	is_num(crm_stats_laplace_pow(1, 0.5), exp(0.5) * 0.5597735947761608,
	    1e-14, "F(1, 0.5) = e^0.5 E1(0.5)");
	is_num(crm_stats_laplace_pow(1, 2), exp(2) * 0.04890051070806112,
	    1e-14, "F(1, 2) = e^2 E1(2)");
	for (k = 0.05; k < 12; k += 0.37)
		for (z = 0.01; z < 9; z *= 1.7) {
			double f0 = crm_stats_laplace_pow(k, z);
			double f1 = crm_stats_laplace_pow(k + 1, z);
			double e = fabs(f1 - (1 - z * f0) / k) / f1;

			if (z < k && e > worst)
				worst = e;
		}
	ok(worst < 1e-11, "F(k+1, z) = (1 - z F(k, z))/k, worst %.1e", worst);
	ok(isnan(crm_stats_laplace_pow(1, 0)) &&
	    isnan(crm_stats_laplace_pow(-1, 1)), "NaN outside k >= 0, z > 0");
}

int
main(void)
{
	test_special();
	test_2f1();
	test_normal();
	test_auc_pearson();
	test_prop();
	test_logit();
	test_optim();
	test_laplace_pow();
	return tap_done();
}
