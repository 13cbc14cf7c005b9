#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

double
crm_stats_lgamma(double x)
{
	int sg;

	return lgamma_r(x, &sg);
}

double
crm_stats_digamma(double x)
{
	double r = 0, f;

	if (isnan(x) || (x <= 0 && floor(x) == x))
		return NAN;
	if (x == INFINITY)
		return x;
	if (x < 0)	/* reflection: psi(1 - x) - psi(x) = pi cot(pi x) */
		return crm_stats_digamma(1 - x) - M_PI / tan(M_PI * x);
	while (x < 10) {
		r -= 1 / x;
		x += 1;
	}
	/* Asymptotic series with the Bernoulli numbers B2..B12. */
	f = 1 / (x * x);
	return r + log(x) - 0.5 / x - f * (1.0 / 12 - f * (1.0 / 120 -
	    f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132 -
	    f * 691.0 / 32760)))));
}

double
crm_stats_lbeta(double a, double b)
{
	return crm_stats_lgamma(a) + crm_stats_lgamma(b) -
	    crm_stats_lgamma(a + b);
}

double
crm_stats_logsumexp2(double a, double b)
{
	double m;

	if (isnan(a) || isnan(b))
		return NAN;
	m = a > b ? a : b;
	if (m == -INFINITY || m == INFINITY)
		return m;
	return m + log1p(exp(-fabs(a - b)));
}

double
crm_stats_logsumexp(const double *v, size_t n)
{
	double m = -INFINITY, s = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (isnan(v[i]))
			return NAN;
		if (v[i] > m)
			m = v[i];
	}
	if (m == -INFINITY || m == INFINITY)
		return m;
	for (i = 0; i < n; i++)
		s += exp(v[i] - m);
	return m + log(s);
}

/*
 * The hypergeometric function.  Values travel as (l, s): log of the
 * absolute value and the sign (0 for an exact zero, l = -inf).
 */

#define HYP_EPS		1e-16	/* relative size of the neglected tail */
#define HYP_CANCEL	16.1	/* log(1e7): most cancellation in a series */
#define HYP_CANCEL_CF	6.9	/* log(1e3): ... in the connection formula */
#ifndef HYP_DEG
#define HYP_DEG		1e-3	/* c-a-b this close to an integer is degenerate */
#endif
#define HYP_MAXN_SMALL	100000	/* terms for |z| <= 1/2 */
#define HYP_MAXN_BIG	400000	/* terms for the series close to z = 1 */

static int
nonpos_int(double x)
{
	return x <= 0 && floor(x) == x;
}

/* (l, s) += (l2, s2) */
static void
slog_add(double *l, int *s, double l2, int s2)
{
	double m, d;

	if (s2 == 0)
		return;
	if (*s == 0) {
		*l = l2;
		*s = s2;
		return;
	}
	m = *l > l2 ? *l : l2;
	d = -fabs(*l - l2);
	if (*s == s2) {
		*l = m + log1p(exp(d));
		return;
	}
	if (d == 0) {
		*l = -INFINITY;
		*s = 0;
		return;
	}
	if (l2 > *l)
		*s = s2;
	*l = m + log1p(-exp(d));
}

/* log|Gamma(x)| and its sign; sign 0 at a pole (so 1/Gamma is 0). */
static double
lgam_s(double x, int *sign)
{
	int sg;
	double l;

	if (nonpos_int(x)) {
		*sign = 0;
		return INFINITY;
	}
	l = lgamma_r(x, &sg);
	*sign = sg;
	return l;
}

/*
 * The power series itself, sum (a)_n (b)_n / ((c)_n n!) z^n, rescaled so
 * that neither terms nor sum overflow.  Fails (-1) when it has not
 * converged after maxn terms or when the terms cancelled so much that
 * fewer than about nine digits are left.
 */
static int
hyp_series(double a, double b, double c, double z, long maxn, double *l,
    int *s)
{
	double t = 1, sum = 1, big = 1, scale = 0, m, ratio;
	long n;

	for (n = 0; n < maxn; n++) {
		double an = a + n, bn = b + n;

		if (an == 0 || bn == 0)
			goto done;	/* a terminating series */
		t *= an * bn / ((c + n) * (n + 1)) * z;
		sum += t;
		if (fabs(t) > big)
			big = fabs(t);
		if (big > 1e250) {
			t *= 1e-250;
			sum *= 1e-250;
			big *= 1e-250;
			scale += 250 * M_LN10;
		}
		/* Terms can surge again while c + n < 0: no stop before. */
		if (fabs(t) > HYP_EPS * fabs(sum) || c + n < 0)
			continue;
		/*
		 * The ratio of successive terms tends to z; bound the tail by
		 * a geometric series in the larger of the next ratio and |z|.
		 */
		ratio = fabs((an + 1) * (bn + 1) / ((c + n + 1) * (n + 2)) * z);
		m = ratio > fabs(z) ? ratio : fabs(z);
		if (m < 1 && fabs(t) * m <= HYP_EPS * fabs(sum) * (1 - m))
			goto done;
	}
	return -1;
done:
	if (sum == 0 || log(big) - log(fabs(sum)) > HYP_CANCEL)
		return -1;
	*l = scale + log(fabs(sum));
	*s = sum > 0 ? 1 : -1;
	return 0;
}

/*
 * 2F1(a,b;c;u) for 0 <= u < 1 by the series, directly or after Euler's
 * transformation, trying first the form whose terms start smaller (near
 * u = 1, the one whose terms decay faster).  v = 1 - u, passed in because
 * the caller often knows it more accurately than 1 - u.
 */
static int
hyp_series2(double a, double b, double c, double u, double v, long maxn,
    double *l, int *s)
{
	int euler, i;

	if (u <= 0.5)
		euler = fabs((c - a) * (c - b)) < fabs(a * b);
	else
		euler = c < a + b;
	for (i = 0; i < 2; i++, euler = !euler) {
		if (!euler) {
			if (hyp_series(a, b, c, u, maxn, l, s) == 0)
				return 0;
		} else if (hyp_series(c - a, c - b, c, u, maxn, l, s) == 0) {
			*l += (c - a - b) * log(v);
			return 0;
		}
	}
	return -1;
}

/*
 * The connection formula between z = u and 1 - u = v (v < 1/2), for
 * e = c-a-b not an integer:
 *
 *	2F1(a,b;c;u) = G(c)G(e)/(G(c-a)G(c-b)) 2F1(a,b;1-e;v)
 *	    + v^e G(c)G(-e)/(G(a)G(b)) 2F1(c-a,c-b;1+e;v)
 *
 * e comes from the caller and is used for every occurrence: the two terms
 * grow like +-1/e near an integer and must cancel exactly, which they do
 * not if c-a-b and a+b-c are rounded separately.  Fails when the terms
 * cancel too much (large a, b).
 */
static int
hyp_connect(double a, double b, double c, double e, double u, double v,
    double *l, int *s)
{
	double g, l1, l2, lmax;
	int s1, s2, sg, sc;

	*l = -INFINITY;
	*s = 0;
	g = lgam_s(c, &sc);
	g += lgam_s(e, &sg);
	s1 = sc * sg;
	g -= lgam_s(c - a, &sg);
	s1 *= sg;
	g -= lgam_s(c - b, &sg);
	s1 *= sg;
	l1 = -INFINITY;
	if (s1 != 0) {
		int ss;

		if (hyp_series2(a, b, 1 - e, v, u, HYP_MAXN_SMALL, &l1,
		    &ss) < 0)
			return -1;
		l1 += g;
		s1 *= ss;
	}
	g = lgam_s(c, &sc);
	g += lgam_s(-e, &sg);
	s2 = sc * sg;
	g -= lgam_s(a, &sg);
	s2 *= sg;
	g -= lgam_s(b, &sg);
	s2 *= sg;
	l2 = -INFINITY;
	if (s2 != 0) {
		int ss;

		if (hyp_series2(c - a, c - b, 1 + e, v, u, HYP_MAXN_SMALL,
		    &l2, &ss) < 0)
			return -1;
		l2 += g + e * log(v);
		s2 *= ss;
	}
	lmax = l1 > l2 ? l1 : l2;
	slog_add(l, s, l1, s1);
	slog_add(l, s, l2, s2);
	if (*s == 0 || lmax - *l > HYP_CANCEL_CF || !isfinite(*l))
		return -1;
	return 0;
}

/*
 * Near z = 1 with c-a-b within HYP_DEG of an integer the connection
 * formula has a removable singularity.  2F1 is an entire function of a, so
 * evaluate it at six values of a that put c-a-b at m +- 1, 2, 3 HYP_DEG
 * and interpolate (Lagrange) at the true a.
 */
static int
hyp_near1(double a, double b, double c, double u, double v, double *l,
    int *s)
{
	static const double node[6] = { -3, -2, -1, 1, 2, 3 };
	double e = c - a - b, m = nearbyint(e), e0, lk[6], lmax, sum;
	int sk[6], j, k;

	if (fabs(e - m) >= HYP_DEG)
		return hyp_connect(a, b, c, e, u, v, l, s);
	e0 = e - m;
	lmax = -INFINITY;
	for (k = 0; k < 6; k++) {
		double ek = node[k] * HYP_DEG;

		if (hyp_connect(c - b - m - ek, b, c, m + ek, u, v, &lk[k],
		    &sk[k]) < 0)
			return -1;
		if (lk[k] > lmax)
			lmax = lk[k];
	}
	sum = 0;
	for (k = 0; k < 6; k++) {
		double w = sk[k] * exp(lk[k] - lmax);

		for (j = 0; j < 6; j++)
			if (j != k)
				w *= (e0 - node[j] * HYP_DEG) /
				    ((node[k] - node[j]) * HYP_DEG);
		sum += w;
	}
	if (sum == 0)
		return -1;
	*l = lmax + log(fabs(sum));
	*s = sum > 0 ? 1 : -1;
	return 0;
}

/* 0 <= u < 1, v = 1 - u. */
static int
hyp_pos(double a, double b, double c, double u, double v, long maxn,
    double *l, int *s)
{
	if (u == 0) {
		*l = 0;
		*s = 1;
		return 0;
	}
	if (u <= 0.5)
		return hyp_series2(a, b, c, u, v, HYP_MAXN_SMALL, l, s);
	if (hyp_near1(a, b, c, u, v, l, s) == 0)
		return 0;
	return hyp_series2(a, b, c, u, v, maxn, l, s);
}

/*
 * The work of crm_stats_log2f1 with a term budget for the series near
 * z = 1; the likelihood code uses a small one, so that an optimiser
 * straying into parameters where the series crawls fails fast.
 */
static int
log2f1(double a, double b, double c, double z, long maxn, double *l, int *s)
{
	double w, lz;

	if (nonpos_int(a) || nonpos_int(b)) {
		/* A polynomial: sum it, keeping it one under Pfaff. */
		if (z >= 0)
			return hyp_series(a, b, c, z, maxn, l, s);
		lz = log1p(-z);
		w = -z / (1 - z);
		if (nonpos_int(a)) {
			if (hyp_series(a, c - b, c, w, maxn, l, s) < 0)
				return -1;
			*l -= a * lz;
		} else {
			if (hyp_series(c - a, b, c, w, maxn, l, s) < 0)
				return -1;
			*l -= b * lz;
		}
		return 0;
	}
	if (z >= 0)
		return hyp_pos(a, b, c, z, 1 - z, maxn, l, s);
	/*
	 * Pfaff: 2F1(a,b;c;z) = (1-z)^-a 2F1(a,c-b;c;w)
	 *                     = (1-z)^-b 2F1(c-a,b;c;w), w = z/(z-1) in (0,1),
	 * with 1 - w = 1/(1-z).  Take the form whose terms start smaller.
	 */
	lz = log1p(-z);
	w = -z / (1 - z);
	if (fabs(a * (c - b)) <= fabs((c - a) * b)) {
		if (hyp_pos(a, c - b, c, w, 1 / (1 - z), maxn, l, s) < 0)
			return -1;
		*l -= a * lz;
	} else {
		if (hyp_pos(c - a, b, c, w, 1 / (1 - z), maxn, l, s) < 0)
			return -1;
		*l -= b * lz;
	}
	return isfinite(*l) || *s == 0 ? 0 : -1;
}

int
crm_stats_log2f1(double a, double b, double c, double z, double *logabs,
    int *sign, struct crm_error *err)
{
	if (!isfinite(a) || !isfinite(b) || !isfinite(c) || !isfinite(z))
		return crm_error_set(err, CRM_EUSAGE,
		    "2F1(%g, %g; %g; %g): argument not finite", a, b, c, z);
	if (z >= 1)
		return crm_error_set(err, CRM_EUSAGE,
		    "2F1(%g, %g; %g; %g): z must be below 1", a, b, c, z);
	if (nonpos_int(c))
		return crm_error_set(err, CRM_EUSAGE,
		    "2F1(%g, %g; %g; %g): c is a non-positive integer",
		    a, b, c, z);
	if (log2f1(a, b, c, z, HYP_MAXN_BIG, logabs, sign) < 0)
		return crm_error_set(err, CRM_EFAIL,
		    "2F1(%g, %g; %g; %g) did not converge", a, b, c, z);
	return 0;
}

int
crm_stats_log2f1_fast(double a, double b, double c, double z, long maxn,
    double *logabs, int *sign)
{
	if (!isfinite(a) || !isfinite(b) || !isfinite(c) || !isfinite(z) ||
	    z >= 1 || nonpos_int(c))
		return -1;
	return log2f1(a, b, c, z, maxn, logabs, sign);
}

double
crm_stats_norm_cdf(double z)
{
	return 0.5 * erfc(-z / M_SQRT2);
}

double
crm_stats_norm_quantile(double p)
{
	/* Acklam's rational approximations (relative error < 1.15e-9). */
	static const double a[6] = { -3.969683028665376e+01,
	    2.209460984245205e+02, -2.759285104469687e+02,
	    1.383577518672690e+02, -3.066479806614716e+01,
	    2.506628277459239e+00 };
	static const double b[5] = { -5.447609879822406e+01,
	    1.615858368580409e+02, -1.556989798598866e+02,
	    6.680131188771972e+01, -1.328068155288572e+01 };
	static const double c[6] = { -7.784894002430293e-03,
	    -3.223964580411365e-01, -2.400758277161838e+00,
	    -2.549732539343734e+00, 4.374664141464968e+00,
	    2.938163982698783e+00 };
	static const double d[4] = { 7.784695709041462e-03,
	    3.224671290700398e-01, 2.445134137142996e+00,
	    3.754408661907416e+00 };
	double q, r, x, e, u;

	if (isnan(p) || p < 0 || p > 1)
		return NAN;
	if (p == 0)
		return -INFINITY;
	if (p == 1)
		return INFINITY;
	if (p < 0.02425 || p > 1 - 0.02425) {
		q = sqrt(-2 * log(p < 0.5 ? p : 1 - p));
		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) *
		    q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) *
		    q + 1);
		if (p > 0.5)
			x = -x;
	} else {
		q = p - 0.5;
		r = q * q;
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) *
		    r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r +
		    b[3]) * r + b[4]) * r + 1);
	}
	/* One Halley step on Phi(x) - p brings it to full precision. */
	e = crm_stats_norm_cdf(x) - p;
	u = e * sqrt(2 * M_PI) * exp(x * x / 2);
	return x - u / (1 + x * u / 2);
}

struct scored {
	double s;
	int pos;
};

static int
cmp_scored(const void *pa, const void *pb)
{
	const struct scored *a = pa, *b = pb;

	return (a->s > b->s) - (a->s < b->s);
}

int
crm_stats_auc(const double *score, const int *label, size_t n, double *auc,
    struct crm_error *err)
{
	struct scored *v;
	double npos = 0, nneg, ranksum = 0;
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (!isfinite(score[i]))
			return crm_error_set(err, CRM_EDATA,
			    "AUC: score %zu is not finite", i + 1);
		npos += label[i] != 0;
	}
	nneg = (double)n - npos;
	if (npos == 0 || nneg == 0)
		return crm_error_set(err, CRM_EDATA,
		    "AUC: needs both positives and negatives (%.0f and %.0f)",
		    npos, nneg);
	if ((v = malloc(n * sizeof(*v))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "AUC: %s",
		    strerror(errno));
	for (i = 0; i < n; i++) {
		v[i].s = score[i];
		v[i].pos = label[i] != 0;
	}
	qsort(v, n, sizeof(*v), cmp_scored);
	/* Ranks 1..n; a run of ties shares the mean of its ranks. */
	for (i = 0; i < n; i = j) {
		double rank, np = 0;

		for (j = i; j < n && v[j].s == v[i].s; j++)
			np += v[j].pos;
		rank = (double)(i + 1 + j) / 2;
		ranksum += np * rank;
	}
	free(v);
	*auc = (ranksum - npos * (npos + 1) / 2) / (npos * nneg);
	return 0;
}

int
crm_stats_pearson(const double *x, const double *y, size_t n, double *r,
    struct crm_error *err)
{
	double mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;
	size_t i;

	if (n < 2)
		return crm_error_set(err, CRM_EDATA,
		    "correlation: needs at least two pairs, got %zu", n);
	for (i = 0; i < n; i++) {
		if (!isfinite(x[i]) || !isfinite(y[i]))
			return crm_error_set(err, CRM_EDATA,
			    "correlation: pair %zu is not finite", i + 1);
		mx += x[i];
		my += y[i];
	}
	mx /= n;
	my /= n;
	for (i = 0; i < n; i++) {
		sxx += (x[i] - mx) * (x[i] - mx);
		syy += (y[i] - my) * (y[i] - my);
		sxy += (x[i] - mx) * (y[i] - my);
	}
	if (sxx == 0 || syy == 0)
		return crm_error_set(err, CRM_EDATA,
		    "correlation: a variable is constant");
	*r = sxy / sqrt(sxx * syy);
	if (*r > 1)
		*r = 1;
	if (*r < -1)
		*r = -1;
	return 0;
}

int
crm_stats_prop_test(unsigned long x1, unsigned long n1, unsigned long x2,
    unsigned long n2, double conf, struct crm_stats_prop_test *out,
    struct crm_error *err)
{
	double p, se, small;

	if (n1 == 0 || n2 == 0)
		return crm_error_set(err, CRM_EUSAGE,
		    "proportion test: a group is empty");
	if (x1 > n1 || x2 > n2)
		return crm_error_set(err, CRM_EUSAGE,
		    "proportion test: more successes than trials");
	if (!(conf > 0 && conf < 1))
		return crm_error_set(err, CRM_EUSAGE,
		    "proportion test: confidence level %g not in (0, 1)", conf);
	out->p1 = (double)x1 / n1;
	out->p2 = (double)x2 / n2;
	out->diff = out->p1 - out->p2;
	out->interval = "newcombe";
	p = ((double)x1 + (double)x2) / ((double)n1 + (double)n2);
	se = sqrt(p * (1 - p) * (1.0 / n1 + 1.0 / n2));
	out->z = se > 0 ? out->diff / se : 0;
	/* Cochran's rule: the normal approximation needs expected counts
	 * of at least 5 in every cell; below, the exact test. */
	small = fmin(p, 1 - p) * fmin((double)n1, (double)n2);
	if (small < 5) {
		out->exact = 1;
		out->test = "fisher";
		if (crm_stats_fisher(x1, n1, x2, n2, &out->p_value, err) < 0)
			return -1;
	} else {
		out->exact = 0;
		out->test = "z";
		out->p_value = se > 0 ? erfc(fabs(out->z) / M_SQRT2) : 1;
	}
	return crm_stats_newcombe(x1, n1, x2, n2, conf, &out->ci_low,
	    &out->ci_high, err);
}

static int
check_counts(const char *what, unsigned long x, unsigned long n, double conf,
    struct crm_error *err)
{
	if (n == 0)
		return crm_error_set(err, CRM_EUSAGE, "%s: a group is empty",
		    what);
	if (x > n)
		return crm_error_set(err, CRM_EUSAGE, "%s: more successes"
		    " than trials", what);
	if (!(conf > 0 && conf < 1))
		return crm_error_set(err, CRM_EUSAGE, "%s: confidence level"
		    " %g not in (0, 1)", what, conf);
	return 0;
}

int
crm_stats_wilson(unsigned long x, unsigned long n, double conf, double *lo,
    double *hi, struct crm_error *err)
{
	double z, z2, nn = (double)n, xx = (double)x, c, r;

	if (check_counts("Wilson interval", x, n, conf, err) < 0)
		return -1;
	z = crm_stats_norm_quantile((1 + conf) / 2);
	z2 = z * z;
	c = 2 * xx + z2;
	r = z * sqrt(z2 + 4 * xx * (1 - xx / nn));
	*lo = x == 0 ? 0 : (c - r) / (2 * (nn + z2));
	*hi = x == n ? 1 : (c + r) / (2 * (nn + z2));
	return 0;
}

int
crm_stats_newcombe(unsigned long x1, unsigned long n1, unsigned long x2,
    unsigned long n2, double conf, double *lo, double *hi,
    struct crm_error *err)
{
	double l1, u1, l2, u2, p1, p2, d;

	if (crm_stats_wilson(x1, n1, conf, &l1, &u1, err) < 0 ||
	    crm_stats_wilson(x2, n2, conf, &l2, &u2, err) < 0)
		return -1;
	p1 = (double)x1 / (double)n1;
	p2 = (double)x2 / (double)n2;
	d = p1 - p2;
	*lo = d - sqrt((p1 - l1) * (p1 - l1) + (u2 - p2) * (u2 - p2));
	*hi = d + sqrt((u1 - p1) * (u1 - p1) + (p2 - l2) * (p2 - l2));
	if (*lo < -1)
		*lo = -1;
	if (*hi > 1)
		*hi = 1;
	return 0;
}

/* log C(n, k) */
static double
lchoose(double n, double k)
{
	return crm_stats_lgamma(n + 1) - crm_stats_lgamma(k + 1) -
	    crm_stats_lgamma(n - k + 1);
}

int
crm_stats_fisher(unsigned long x1, unsigned long n1, unsigned long x2,
    unsigned long n2, double *p_value, struct crm_error *err)
{
	double m = (double)x1 + (double)x2, N = (double)n1 + (double)n2;
	double lobs, ltot, lp, sum = 0;
	double kmin, kmax, k;

	if (check_counts("Fisher's exact test", x1, n1, 0.5, err) < 0 ||
	    check_counts("Fisher's exact test", x2, n2, 0.5, err) < 0)
		return -1;
	/* Group 1's successes k, hypergeometric: C(n1,k) C(n2,m-k) / C(N,m). */
	kmin = m - (double)n2 > 0 ? m - (double)n2 : 0;
	kmax = m < (double)n1 ? m : (double)n1;
	ltot = lchoose(N, m);
	lobs = lchoose((double)n1, (double)x1) +
	    lchoose((double)n2, m - (double)x1) - ltot;
	for (k = kmin; k <= kmax; k++) {
		lp = lchoose((double)n1, k) + lchoose((double)n2, m - k) - ltot;
		if (lp <= lobs + 1e-7)
			sum += exp(lp);
	}
	*p_value = sum > 1 ? 1 : sum;
	return 0;
}

double
crm_stats_logistic(double t)
{
	if (t >= 0)
		return 1 / (1 + exp(-t));
	return exp(t) / (1 + exp(t));
}

/* log(1 + exp(t)) */
static double
log1pexp(double t)
{
	return t > 0 ? t + log1p(exp(-t)) : log1p(exp(t));
}

double
crm_stats_logit_predict(const double *x, size_t p, int intercept,
    const double *beta)
{
	double eta = intercept ? beta[0] : 0;
	const double *bj = intercept ? beta + 1 : beta;
	size_t j;

	for (j = 0; j < p; j++)
		eta += x[j] * bj[j];
	return crm_stats_logistic(eta);
}

/* The penalised negative log-likelihood; g and h (k-by-k) when non-NULL. */
static double
logit_eval(const double *x, const double *y, const double *w, size_t n,
    size_t p, int ic, double lambda, const double *beta, double *g,
    double *h)
{
	size_t i, j, l, k = p + (ic != 0);
	double f = 0;

	if (g != NULL) {
		memset(g, 0, k * sizeof(*g));
		memset(h, 0, k * k * sizeof(*h));
	}
	for (i = 0; i < n; i++) {
		const double *xi = x + i * p;
		double eta = ic ? beta[0] : 0, wi = w ? w[i] : 1, pr, r, v;

		for (j = 0; j < p; j++)
			eta += xi[j] * beta[j + ic];
		f += wi * (log1pexp(eta) - y[i] * eta);
		if (g == NULL || wi == 0)
			continue;
		pr = crm_stats_logistic(eta);
		r = wi * (pr - y[i]);
		v = wi * pr * (1 - pr);
		if (ic) {
			g[0] += r;
			h[0] += v;
			for (l = 0; l < p; l++)
				h[(l + 1) * k] += v * xi[l];
		}
		for (j = 0; j < p; j++) {
			double vx = v * xi[j];

			g[j + ic] += r * xi[j];
			for (l = 0; l <= j; l++)
				h[(j + ic) * k + l + ic] += vx * xi[l];
		}
	}
	for (j = ic; j < k; j++) {
		f += lambda / 2 * beta[j] * beta[j];
		if (g != NULL) {
			g[j] += lambda * beta[j];
			h[j * k + j] += lambda;
		}
	}
	if (g != NULL)	/* mirror the lower triangle */
		for (j = 0; j < k; j++)
			for (l = j + 1; l < k; l++)
				h[j * k + l] = h[l * k + j];
	return f;
}

/* Solve h x = g in place of g by Cholesky (h destroyed); -1 if not PD. */
static int
cholesky_solve(double *h, double *g, size_t k)
{
	size_t i, j, l;

	for (j = 0; j < k; j++) {
		double d = h[j * k + j];

		for (l = 0; l < j; l++)
			d -= h[j * k + l] * h[j * k + l];
		if (!(d > 0))
			return -1;
		h[j * k + j] = sqrt(d);
		for (i = j + 1; i < k; i++) {
			double s = h[i * k + j];

			for (l = 0; l < j; l++)
				s -= h[i * k + l] * h[j * k + l];
			h[i * k + j] = s / h[j * k + j];
		}
	}
	for (i = 0; i < k; i++) {
		for (l = 0; l < i; l++)
			g[i] -= h[i * k + l] * g[l];
		g[i] /= h[i * k + i];
	}
	for (i = k; i-- > 0;) {
		for (l = i + 1; l < k; l++)
			g[i] -= h[l * k + i] * g[l];
		g[i] /= h[i * k + i];
	}
	return 0;
}

int
crm_stats_logit_fit(const double *x, const double *y, const double *w,
    size_t n, size_t p, int intercept, double lambda, int max_iter,
    double *beta, struct crm_stats_logit_info *info, struct crm_error *err)
{
	size_t i, j, k, ic = intercept != 0;
	double *g = NULL, *h = NULL, *hc = NULL, *step = NULL, *trial = NULL;
	double f, ft, wsum = 0, gmax, slope, t;
	int it, rc = -1, converged = 0, tries;

	if (n == 0 || p == 0 || !(lambda >= 0) || !isfinite(lambda))
		return crm_error_set(err, CRM_EUSAGE,
		    "logistic regression: needs rows, columns and lambda >= 0");
	for (i = 0; i < n; i++) {
		if (y[i] != 0 && y[i] != 1)
			return crm_error_set(err, CRM_EDATA,
			    "logistic regression: row %zu: y must be 0 or 1",
			    i + 1);
		if (w != NULL && !(w[i] >= 0 && isfinite(w[i])))
			return crm_error_set(err, CRM_EDATA,
			    "logistic regression: row %zu: bad weight", i + 1);
		for (j = 0; j < p; j++)
			if (!isfinite(x[i * p + j]))
				return crm_error_set(err, CRM_EDATA,
				    "logistic regression: row %zu column %zu "
				    "not finite", i + 1, j + 1);
		wsum += w ? w[i] : 1;
	}
	if (max_iter <= 0)
		max_iter = 100;
	k = p + ic;
	for (j = 0; j < k; j++)
		if (!isfinite(beta[j]))
			return crm_error_set(err, CRM_EUSAGE,
			    "logistic regression: start not finite");
	g = malloc(k * sizeof(*g));
	step = malloc(k * sizeof(*step));
	trial = malloc(k * sizeof(*trial));
	h = malloc(k * k * sizeof(*h));
	hc = malloc(k * k * sizeof(*hc));
	if (!g || !step || !trial || !h || !hc) {
		crm_error_set(err, CRM_EFAIL, "logistic regression: %s",
		    strerror(errno));
		goto done;
	}
	f = logit_eval(x, y, w, n, p, ic, lambda, beta, g, h);
	for (it = 0; it < max_iter; it++) {
		gmax = 0;
		for (j = 0; j < k; j++)
			if (fabs(g[j]) > gmax)
				gmax = fabs(g[j]);
		if (gmax <= 1e-10 * (wsum > 1 ? wsum : 1)) {
			converged = 1;
			break;
		}
		/* Newton direction; a ridge if the Hessian is singular. */
		for (tries = 0; ; tries++) {
			double ridge = tries ? pow(10, tries - 10) : 0;

			memcpy(hc, h, k * k * sizeof(*h));
			memcpy(step, g, k * sizeof(*g));
			for (j = 0; j < k; j++)
				hc[j * k + j] += ridge * (1 + h[j * k + j]);
			if (cholesky_solve(hc, step, k) == 0)
				break;
			if (tries == 12) {
				crm_error_set(err, CRM_EFAIL, "logistic "
				    "regression: Hessian is not positive "
				    "definite");
				goto done;
			}
		}
		/* A Newton step this small leaves an error of its square. */
		gmax = 0;
		for (j = 0; j < k; j++)
			if (fabs(step[j]) / (1 + fabs(beta[j])) > gmax)
				gmax = fabs(step[j]) / (1 + fabs(beta[j]));
		if (gmax <= 1e-8) {
			for (j = 0; j < k; j++)
				beta[j] -= step[j];
			f = logit_eval(x, y, w, n, p, ic, lambda, beta, g, h);
			converged = 1;
			it++;
			break;
		}
		slope = 0;
		for (j = 0; j < k; j++)
			slope -= g[j] * step[j];
		for (t = 1; t > 1e-10; t /= 2) {
			for (j = 0; j < k; j++)
				trial[j] = beta[j] - t * step[j];
			ft = logit_eval(x, y, w, n, p, ic, lambda, trial, NULL,
			    NULL);
			/* Armijo, forgiving rounding in f near the optimum. */
			if (ft <= f + 1e-4 * t * slope + 4 * DBL_EPSILON *
			    fabs(f))
				break;
		}
		if (t <= 1e-10)
			break;	/* no progress: rounding level */
		memcpy(beta, trial, k * sizeof(*beta));
		f = logit_eval(x, y, w, n, p, ic, lambda, beta, g, h);
	}
	if (info != NULL) {
		info->iterations = it;
		info->converged = converged;
		info->objective = f;
	}
	rc = 0;
done:
	free(g);
	free(h);
	free(hc);
	free(step);
	free(trial);
	return rc;
}

/*
 * F(k, z) = e^z z^-a Gamma(a, z) with a = 1 - k in (-0.5, 1], for z <= 1.5,
 * from Gamma(a, z) = (Gamma(1+a) - z^a)/a - z^a sum_{n>=1} (-z)^n/(n!(a+n)),
 * whose first part is computed without cancelling near a = 0 (E1 at 0).
 */
static double
laplace_pow_series(double k, double z)
{
	double a = 1 - k, lz = log(z), head, sum = 0, term = 1, t, a1;
	int n;

	/*
	 * (Gamma(1+a) - 1)/a is smooth in a; evaluated at a1, the nearest
	 * number for which 1 + a1 is exact, it is accurate, and the
	 * difference from a is below 1e-16.
	 */
	a1 = (1 + a) - 1;
	if (a1 == 0)
		head = -0.57721566490153286061;
	else
		head = expm1(lgamma(1 + a1)) / a1;
	head -= a == 0 ? lz : expm1(a * lz) / a;
	for (n = 1; n < 300; n++) {
		term *= -z / n;
		t = term / (a + n);
		sum += t;
		if (fabs(t) <= 1e-17 * fabs(sum))
			break;
	}
	return exp(z - a * lz) * (head - exp(a * lz) * sum);
}

/* F(k, z) by the continued fraction of Gamma(1-k, z), for z > 5. */
static double
laplace_pow_cf(double k, double z)
{
	double b = z + k, c = 1 / DBL_MIN, d = 1 / b, h = d, an, del;
	int i;

	for (i = 1; i < 10000; i++) {
		an = -i * (i - 1 + k);
		b += 2;
		d = an * d + b;
		if (fabs(d) < DBL_MIN)
			d = DBL_MIN;
		c = b + an / c;
		if (fabs(c) < DBL_MIN)
			c = DBL_MIN;
		d = 1 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < 1e-15)
			break;
	}
	return h;
}

double
crm_stats_laplace_pow(double k, double z)
{
	double k0, f;

	if (!(k >= 0 && z > 0) || !isfinite(k) || !isfinite(z))
		return NAN;
	if (k == 0)
		return 1 / z;
	if (z > 5)
		return laplace_pow_cf(k, z);
	if (k < 0.5)
		return z <= 1.5 ? laplace_pow_series(k, z) :
		    laplace_pow_cf(k, z);
	k0 = k - floor(k);
	if (k0 < 0.5)
		k0 += 1;
	f = z <= 1.5 ? laplace_pow_series(k0, z) : laplace_pow_cf(k0, z);
	for (; k0 + 0.5 < k; k0 += 1)
		f = (1 - z * f) / k0;
	return f;
}
