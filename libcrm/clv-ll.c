/*
 * clv-ll.c - the log-likelihoods (and gradients) of BG/NBD, Pareto/NBD,
 * Gamma-Gamma and their limit models, summed over grouped rows.
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

#define PARETO_MAXN	20000	/* 2F1 terms per evaluation near z = 1 */
#define PARETO_SERIES	2000	/* terms of lf_series() before giving up */

/* log(1 + e^u), and the logistic 1/(1 + e^-u) into *sig. */
double
clv_softplus(double u, double *sig)
{
	double e = exp(-fabs(u)), q = 1 / (1 + e);

	*sig = u >= 0 ? q : e * q;
	return (u > 0 ? u : 0) + log(1 + e);	/* 1e-16 absolute is plenty */
}

/*
 * BG/NBD log-likelihood summed over the rows, and its gradient with
 * respect to (r, alpha, a, b) into g when not NULL.  Per customer
 * (FHL 2005 eq. 6, rearranged):
 *
 *	A_x + r ln alpha - (r+x) ln(alpha+T)
 *	    + [x > 0] ln(1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))
 *
 * with A_x = ln G(r+x) - ln G(r) + ln B(a, b+x) - ln B(a, b).
 */
double
clv_bgnbd_ll(const struct rows *d, const double *p, double *g)
{
	double r = p[0], al = p[1], a = p[2], b = p[3];
	double ll = 0, gr = 0, gal = 0, ga = 0, gb = 0, lal = log(al);
	double lgr = crm_stats_lgamma(r), lbab = crm_stats_lbeta(a, b);
	double pr = crm_stats_digamma(r), pab = crm_stats_digamma(a + b);
	double pb = crm_stats_digamma(b);
	double *lq = d->tab, *iq = d->tab + d->nx;
	size_t i, j;

	for (j = 0; j < d->nx; j++) {
		double x = d->xs[j], wx = d->wx[j], pabx;

		ll += wx * (crm_stats_lgamma(r + x) - lgr +
		    crm_stats_lbeta(a, b + x) - lbab);
		if (x > 0) {
			pabx = crm_stats_digamma(a + b + x);
			gr += wx * (crm_stats_digamma(r + x) - pr);
			ga += wx * (pab - pabx);
			gb += wx * (crm_stats_digamma(b + x) - pabx - pb + pab);
			lq[j] = log(a / (b + x - 1));
			iq[j] = 1 / (b + x - 1);
		}
	}
	ll += d->wsum * r * lal;
	gr += d->wsum * lal;
	gal += d->wsum * r / al;
	for (i = 0; i < d->nzero; i++) {
		double l1 = log(al + d->T[i]);

		ll -= d->w[i] * r * l1;
		gr -= d->w[i] * l1;
		gal -= d->w[i] * r / (al + d->T[i]);
	}
	for (; i < d->n; i++) {
		double w = d->w[i], x = d->xs[d->xi[i]], rx = r + x, sig;
		double l1 = log(al + d->T[i]), l2 = log(al + d->tx[i]);
		double i1 = 1 / (al + d->T[i]), i2 = 1 / (al + d->tx[i]);
		double sp = clv_softplus(lq[d->xi[i]] + rx * (l1 - l2), &sig);

		ll += w * (sp - rx * l1);
		gr += w * (sig * (l1 - l2) - l1);
		gal += w * rx * (sig * (i1 - i2) - i1);
		ga += w * sig / a;
		gb -= w * sig * iq[d->xi[i]];
	}
	if (g != NULL) {
		g[0] = gr;
		g[1] = gal;
		g[2] = ga;
		g[3] = gb;
	}
	return ll;
}

/*
 * Pareto/NBD: ln of  (alpha+t)^-(r+s+x) 2F1(r+s+x, s+1; r+s+x+1;
 * (alpha-beta)/(alpha+t)), whose difference between t_x and T is Fader
 * and Hardie's A0 (their alpha >= beta case; for alpha < beta the argument
 * is negative and 2F1's Pfaff transformation yields their other case).
 */
static int
pareto_lf(double r, double al, double s, double be, double x, double t,
    long maxn, double *out)
{
	double a = r + s + x, l;
	int sg;

	if (crm_stats_log2f1_fast(a, s + 1, a + 1, (al - be) / (al + t), maxn,
	    &l, &sg) < 0 || sg <= 0)
		return -1;
	*out = l - a * log(al + t);
	return 0;
}

/*
 * h = ln F(a, b; a+1; z) for 0 <= z < 1, and into d (when not NULL) its
 * partial derivatives in a, b and z.  With c_n = (b)_n z^n / n! (the
 * binomial series of (1-z)^-b),
 *
 *	F   = sum a/(a+n) c_n,		dF/da = sum n/(a+n)^2 c_n,
 *	dF/db = sum a/(a+n) c_n H_n,	H_n = sum_{k<n} 1/(b+k),
 *	dF/dz = sum_{n>0} a/(a+n) c_{n-1} (b+n-1),
 *
 * every term positive, so nothing cancels; the sums are rescaled before
 * they could overflow.  The tail after term n is bounded by the term
 * times q/(1-q), q the larger of z and the next ratio (b+n)z/(n+1)
 * (the ratios fall towards z when b > 1 and rise towards it when b < 1),
 * times (1 + 1/n) for the derivatives' growing factors.  Fails (-1) when
 * that takes more than maxn terms: z near 1.
 */
static int
lf_series(double a, double b, double z, long maxn, double *h, double *d)
{
	double c = 1, F = 1, Fa = 0, Fb = 0, Fz = 0, H = 0, scale = 0;
	long n;

	for (n = 1; n <= maxn; n++) {
		double bn = b + (double)n - 1, qa = a / (a + (double)n), t;
		double q, tail;

		if (d != NULL) {
			Fz += qa * c * bn;
			H += 1 / bn;
		}
		c *= bn * z / (double)n;
		t = qa * c;
		F += t;
		if (d != NULL) {
			Fa += t * (double)n / (a * (a + (double)n));
			Fb += t * H;
		}
		q = (b + (double)n) * z / ((double)n + 1);
		if (q < z)
			q = z;
		q *= 1 + 1 / (double)n;
		if (q < 1) {
			tail = q / (1 - q);
			if (t * tail <= 1e-17 * F && (d == NULL ||
			    (t * (double)n / (a * (a + (double)n)) * tail <=
			    1e-17 * Fa && t * H * tail <= 1e-17 * Fb &&
			    qa * c * (b + (double)n) * tail <= 1e-17 * Fz)))
				break;
		}
		if (c > 1e280) {
			c *= 1e-280;
			F *= 1e-280;
			Fa *= 1e-280;
			Fb *= 1e-280;
			Fz *= 1e-280;
			scale += 280 * 2.302585092994045684;
		}
	}
	if (n > maxn || !isfinite(F))
		return -1;
	*h = log(F) + scale;
	if (d != NULL) {
		d[0] = Fa / F;
		d[1] = Fb / F;
		d[2] = Fz / F;
	}
	return 0;
}

/* lf_series() where it fails: 2F1 by crm_stats_log2f1_fast(). */
static int
lf_general(double a, double b, double z, double *h)
{
	int sg;

	if (crm_stats_log2f1_fast(a, b, a + 1, z, PARETO_MAXN, h, &sg) < 0 ||
	    sg <= 0)
		return -1;
	return 0;
}

/*
 * ln of A0's part at time t (below), with its gradient in (r, alpha, s,
 * beta) into dl when not NULL:
 *
 *	alpha >= beta:	ln F(r+s+x, s+1; z) - (r+s+x) ln(alpha+t),
 *			z = (alpha-beta)/(alpha+t)
 *	alpha < beta:	ln F(r+s+x, r+x; z) - (r+s+x) ln(beta+t),
 *			z = (beta-alpha)/(beta+t)
 *
 * with F(a, b; z) = 2F1(a, b; a+1; z), so that z lies in [0, 1) (Fader
 * and Hardie's two cases).  Where the series would crawl (z near 1) the
 * value comes from crm_stats_log2f1_fast() and the derivatives of ln F
 * from central differences of it.
 */
static int
pareto_key(double r, double al, double s, double be, double x, double t,
    double *lf, double *dl)
{
	double a = r + s + x, b, g, z, h, dh[3];
	int first = al >= be, k;

	b = first ? s + 1 : r + x;
	g = first ? al : be;
	z = first ? (al - be) / (al + t) : (be - al) / (be + t);
	if (lf_series(a, b, z, PARETO_SERIES, &h, dl ? dh : NULL) < 0) {
		if (lf_general(a, b, z, &h) < 0)
			return -1;
		for (k = 0; dl != NULL && k < 3; k++) {
			double v[3] = { a, b, z }, e, hp, hm;

			e = k < 2 ? 1e-5 * v[k] : 1e-5 * (1 - z);
			v[k] += e;
			if (lf_general(v[0], v[1], v[2], &hp) < 0)
				return -1;
			v[k] -= 2 * e;
			if (lf_general(v[0], v[1], v[2], &hm) < 0)
				return -1;
			dh[k] = (hp - hm) / (2 * e);
		}
	}
	*lf = h - a * log(g + t);
	if (dl == NULL)
		return 0;
	/* a = r+s+x; b = s+1 or r+x; z through alpha and beta. */
	if (first) {
		dl[0] = dh[0] - log(al + t);
		dl[2] = dh[0] + dh[1] - log(al + t);
		dl[1] = dh[2] * (be + t) / ((al + t) * (al + t)) - a / (al + t);
		dl[3] = -dh[2] / (al + t);
	} else {
		dl[0] = dh[0] + dh[1] - log(be + t);
		dl[2] = dh[0] - log(be + t);
		dl[1] = -dh[2] / (be + t);
		dl[3] = dh[2] * (al + t) / ((be + t) * (be + t)) - a / (be + t);
	}
	return 0;
}

/*
 * The logs of the two parts of the bracket of the Pareto/NBD likelihood,
 *	(alpha+T)^-(r+x) (beta+T)^-s + s/(r+s+x) A0,
 * for one customer (P(alive) is 1 / (1 + e^(l2 - l1))).
 */
int
clv_pareto_terms(double r, double al, double s, double be, double x, double tx,
    double T, long maxn, double *l1, double *l2)
{
	double lftx, lfT;

	*l1 = -(r + x) * log(al + T) - s * log(be + T);
	*l2 = -INFINITY;
	if (tx >= T)
		return 0;
	if (pareto_lf(r, al, s, be, x, tx, maxn, &lftx) < 0)
		return -1;
	if (pareto_lf(r, al, s, be, x, T, maxn, &lfT) < 0)
		return -1;
	if (lfT < lftx)
		*l2 = log(s / (r + s + x)) + lftx + log(-expm1(lfT - lftx));
	return 0;
}

/*
 * The purchase process both Pareto/NBD likelihoods share: the
 * derivatives of r ln alpha (times the rows' weight) in r and alpha into
 * *gr and *gal, then ln G(r+x) - ln G(r) summed over the rows added to
 * *ll and, with grad, its derivative in r to *gr.
 */
static void
pareto_purchases(const struct rows *d, double r, double al, int grad,
    double *ll, double *gr, double *gal)
{
	double lgr = crm_stats_lgamma(r), pr = crm_stats_digamma(r);
	size_t j;

	*gr = d->wsum * log(al);
	*gal = d->wsum * r / al;
	for (j = 0; j < d->nx; j++) {
		*ll += d->wx[j] * (crm_stats_lgamma(r + d->xs[j]) - lgr);
		if (grad && d->xs[j] > 0)
			*gr += d->wx[j] * (crm_stats_digamma(r + d->xs[j]) -
			    pr);
	}
}

/*
 * Pareto/NBD log-likelihood summed over the rows, and its gradient in
 * (r, alpha, s, beta) into g when not NULL; per customer
 *	ln G(r+x) - ln G(r) + r ln alpha + s ln beta + ln[bracket above].
 * The per-key arrays of d are scratch, filled here.
 */
double
clv_pareto_ll(const struct rows *d, const double *p, double *g)
{
	double r = p[0], al = p[1], s = p[2], be = p[3];
	double ll, gr, gal, gs, gbe;
	size_t i, j, k;

	ll = d->wsum * (r * log(al) + s * log(be));
	pareto_purchases(d, r, al, g != NULL, &ll, &gr, &gal);
	gs = d->wsum * log(be);
	gbe = d->wsum * s / be;
	for (k = 0; k < d->nkey; k++) {
		double t = d->kt[k];

		d->kla[k] = log(al + t);
		d->klb[k] = log(be + t);
		if (pareto_key(r, al, s, be, (double)d->kx[k], t, &d->klf[k],
		    g != NULL ? &d->kdl[4 * k] : NULL) < 0)
			return NAN;
	}
	for (j = 0; j < d->nx; j++)	/* ln s/(r+s+x) */
		d->tab[j] = log(s / (r + s + d->xs[j]));
	for (i = 0; i < d->n; i++) {
		double x = d->xs[d->xi[i]], lftx = d->klf[d->ktx[i]];
		double lfT = d->klf[d->kT[i]], l1, u1, u2, w = d->w[i];
		double w1, wa, wb, den, rsx;
		const double *da, *db;

		l1 = -(r + x) * d->kla[d->kT[i]] - s * d->klb[d->kT[i]];
		if (!(d->tx[i] < d->T[i] && lfT < lftx)) {
			ll += w * l1;
			if (g != NULL) {
				gr -= w * d->kla[d->kT[i]];
				gal -= w * (r + x) / (al + d->T[i]);
				gs -= w * d->klb[d->kT[i]];
				gbe -= w * s / (be + d->T[i]);
			}
			continue;
		}
		/*
		 * ln(e^l1 + e^ls (F(t_x) - F(T))): relative to e^l1 this is
		 * 1 + e^u1 - e^u2, with u1 modest unless P(alive) is tiny.
		 * log rather than log1p: an absolute error of 1e-16 in a
		 * term of the log-likelihood is no error at all, and log1p
		 * costs twice as much.  Its derivative weighs those of l1,
		 * ls + lf(t_x) and ls + lf(T) by w1, wa and -wb.
		 */
		u1 = d->tab[d->xi[i]] + lftx - l1;
		u2 = d->tab[d->xi[i]] + lfT - l1;
		if (u1 < 30) {
			double e1 = exp(u1), e2 = exp(u2);

			den = 1 + (e1 - e2);
			ll += w * (l1 + log(den));
			w1 = 1 / den;
			wa = e1 / den;
			wb = e2 / den;
		} else {
			double e0 = exp(-u1), e2 = exp(u2 - u1);

			den = -expm1(u2 - u1) + e0;
			ll += w * (l1 + u1 + log(den));
			w1 = e0 / den;
			wa = 1 / den;
			wb = e2 / den;
		}
		if (g == NULL)
			continue;
		rsx = 1 / (r + s + x);
		da = &d->kdl[4 * d->ktx[i]];
		db = &d->kdl[4 * d->kT[i]];
		gr += w * (-w1 * d->kla[d->kT[i]] + (wa - wb) * -rsx +
		    wa * da[0] - wb * db[0]);
		gal += w * (-w1 * (r + x) / (al + d->T[i]) + wa * da[1] -
		    wb * db[1]);
		gs += w * (-w1 * d->klb[d->kT[i]] + (wa - wb) * (1 / s - rsx) +
		    wa * da[2] - wb * db[2]);
		gbe += w * (-w1 * s / (be + d->T[i]) + wa * da[3] -
		    wb * db[3]);
	}
	if (g != NULL) {
		g[0] = gr;
		g[1] = gal;
		g[2] = gs;
		g[3] = gbe;
	}
	return ll;
}

/*
 * Gamma-Gamma, per customer (Fader, Hardie & Lee 2005, "RFM and CLV"):
 *	ln G(px+q) - ln G(px) - ln G(q) + q ln v + (px-1) ln zbar + px ln x
 *	    - (px+q) ln(v + x zbar)
 */
double
clv_gg_ll(const struct rows *d, const double *par, double *g)
{
	double p = par[0], q = par[1], v = par[2], W = d->wsum;
	double ll, gp, gq, gv, pq = crm_stats_digamma(q);
	size_t i, j;

	ll = W * (q * log(v) - crm_stats_lgamma(q)) + p * d->s_xlnz - d->s_lnz;
	gp = d->s_xlnz;
	gq = W * (log(v) - pq);
	gv = W * q / v;
	for (j = 0; j < d->nx; j++) {
		double x = d->xs[j], wx = d->wx[j];
		double pxq = crm_stats_digamma(p * x + q);

		ll += wx * (crm_stats_lgamma(p * x + q) -
		    crm_stats_lgamma(p * x) + p * x * log(x));
		gp += wx * x * (pxq - crm_stats_digamma(p * x) + log(x));
		gq += wx * pxq;
	}
	for (i = 0; i < d->n; i++) {
		double x = d->xs[d->xi[i]], u = v + x * d->zb[i];
		double lu = log(u), w = d->w[i];

		ll -= w * (p * x + q) * lu;
		gp -= w * x * lu;
		gq -= w * lu;
		gv -= w * (p * x + q) / u;
	}
	if (g != NULL) {
		g[0] = gp;
		g[1] = gq;
		g[2] = gv;
	}
	return ll;
}

/*
 * BG/NBD with a common drop-out probability p (a and b infinite with
 * a/(a+b) = p), in the odds o = p/(1-p); per customer
 *
 *	ln G(r+x) - ln G(r) + r ln alpha - x ln(1+o) - (r+x) ln(alpha+T)
 *	    + [x > 0] ln(1 + o ((alpha+T)/(alpha+t_x))^(r+x))
 *
 * and the gradient in (r, alpha, o).
 */
double
clv_bgnbd_lim_ll(const struct rows *d, const double *p, double *g)
{
	double r = p[0], al = p[1], o = p[2];
	double ll = 0, gr = 0, gal = 0, go = 0, lal = log(al), lo = log(o);
	double lgr = crm_stats_lgamma(r), pr = crm_stats_digamma(r);
	double l1o = log1p(o);
	size_t i, j;

	for (j = 0; j < d->nx; j++) {
		double x = d->xs[j], wx = d->wx[j];

		ll += wx * (crm_stats_lgamma(r + x) - lgr - x * l1o);
		if (x > 0) {
			gr += wx * (crm_stats_digamma(r + x) - pr);
			go -= wx * x / (1 + o);
		}
	}
	ll += d->wsum * r * lal;
	gr += d->wsum * lal;
	gal += d->wsum * r / al;
	for (i = 0; i < d->nzero; i++) {
		double l1 = log(al + d->T[i]);

		ll -= d->w[i] * r * l1;
		gr -= d->w[i] * l1;
		gal -= d->w[i] * r / (al + d->T[i]);
	}
	for (; i < d->n; i++) {
		double w = d->w[i], x = d->xs[d->xi[i]], rx = r + x, sig;
		double l1 = log(al + d->T[i]), l2 = log(al + d->tx[i]);
		double i1 = 1 / (al + d->T[i]), i2 = 1 / (al + d->tx[i]);
		double sp = clv_softplus(lo + rx * (l1 - l2), &sig);

		ll += w * (sp - rx * l1);
		gr += w * (sig * (l1 - l2) - l1);
		gal += w * rx * (sig * (i1 - i2) - i1);
		go += w * sig / o;
	}
	if (g != NULL) {
		g[0] = gr;
		g[1] = gal;
		g[2] = go;
	}
	return ll;
}

/*
 * dF(k, z)/dk by central differences, F = crm_stats_laplace_pow (its
 * derivative in k, minus the transform of (1+u)^-k ln(1+u), has no
 * closed form).
 */
static double
laplace_dk(double k, double z)
{
	double h = 1e-5 * (k > 1 ? k : 1);

	return (crm_stats_laplace_pow(k + h, z) -
	    crm_stats_laplace_pow(k - h, z)) / (2 * h);
}

/*
 * Pareto/NBD with a common drop-out rate mu (s and beta infinite with
 * s/beta = mu): every lifetime exponential(mu), so per customer, with
 * k = r+x, z_t = mu (alpha+t) and F = crm_stats_laplace_pow,
 *
 *	ln G(k) - ln G(r) + r ln alpha - mu T - k ln(alpha+T)
 *	    + ln[A + B e^u],  A = k F(k+1, z_T),  B = z_tx F(k, z_tx),
 *	u = mu (T - t_x) + k ln((alpha+T)/(alpha+t_x))
 *
 * (the bracket is 1 / P(alive); its first term is 1 - z_T F(k, z_T), so
 * nothing cancels).  F is needed per distinct (x, t): for each t at the
 * smallest k, then stepped up in x by its recurrence while z <= 5, where
 * that is stable; beyond, each from its continued fraction.
 *
 * The gradient in (r, alpha, mu) goes into g when not NULL.  In z,
 * dF(k, z)/dz = F(k, z) - F(k-1, z) exactly, so A's is k (F(k+1) -
 * F(k)) and B's, by the recurrence, k (F(k) - F(k+1)) times what z_tx
 * is differentiated by; in k, dF/dk is a central difference at the
 * smallest k of each t, stepped up in x by the derivative of the
 * recurrence, dF(k+1)/dk = -(z dF(k)/dk + F(k+1)) / k.
 */
double
clv_pareto_lim_ll(const struct rows *d, const double *p, double *g)
{
	double r = p[0], al = p[1], mu = p[2], ll, gr, gal, gmu = 0;
	size_t i, j, q, k;

	ll = d->wsum * r * log(al);
	pareto_purchases(d, r, al, g != NULL, &ll, &gr, &gal);
	for (q = 0; q < d->nkey; ) {
		size_t q0 = q;
		double t = d->kt[d->kord[q]], z = mu * (al + t), *f = d->kf;
		double *fk;
		long maxx;

		while (q < d->nkey && d->kt[d->kord[q]] == t)
			q++;
		maxx = d->kx[d->kord[q - 1]];
		fk = f + maxx + 3;
		if (z <= 5) {
			f[0] = crm_stats_laplace_pow(r, z);
			f[1] = r < 0.5 ? crm_stats_laplace_pow(r + 1, z) :
			    (1 - z * f[0]) / r;
			for (j = 2; j <= (size_t)maxx + 1; j++)
				f[j] = (1 - z * f[j - 1]) / (r + (double)j - 1);
			if (g != NULL) {
				fk[0] = laplace_dk(r, z);
				fk[1] = r < 0.5 ? laplace_dk(r + 1, z) :
				    -(z * fk[0] + f[1]) / r;
				for (j = 2; j <= (size_t)maxx + 1; j++)
					fk[j] = -(z * fk[j - 1] + f[j]) /
					    (r + (double)j - 1);
			}
			for (k = q0; k < q; k++) {
				size_t key = d->kord[k];

				d->klf[key] = f[d->kx[key]];
				d->kla[key] = f[d->kx[key] + 1];
				if (g != NULL) {
					d->kdl[2 * key] = fk[d->kx[key]];
					d->kdl[2 * key + 1] =
					    fk[d->kx[key] + 1];
				}
			}
		} else
			for (k = q0; k < q; k++) {
				size_t key = d->kord[k];
				double kk = r + (double)d->kx[key];

				d->klf[key] = crm_stats_laplace_pow(kk, z);
				d->kla[key] = crm_stats_laplace_pow(kk + 1, z);
				if (g != NULL) {
					d->kdl[2 * key] = laplace_dk(kk, z);
					d->kdl[2 * key + 1] =
					    laplace_dk(kk + 1, z);
				}
			}
	}
	for (i = 0; i < d->n; i++) {
		double x = d->xs[d->xi[i]], kk = r + x, T = d->T[i];
		double tx = d->tx[i], lT = log(al + T), ltx = log(al + tx);
		double u = mu * (T - tx) + kk * (lT - ltx);
		size_t kT = d->kT[i], ktx = d->ktx[i];
		double A = kk * d->kla[kT];
		double B = mu * (al + tx) * d->klf[ktx], lA, lBu, L, wA, wB;
		double dzA, dzB;

		if (!(A > 0 && B > 0))
			return NAN;
		lA = log(A);
		lBu = log(B) + u;
		L = crm_stats_logsumexp2(lA, lBu);
		ll += d->w[i] * (-mu * T - kk * lT + L);
		if (g == NULL)
			continue;
		wA = exp(lA - L) * d->w[i];
		wB = exp(lBu - L) * d->w[i];
		/* dA/dz_T / A and dB/dz_tx / B, z = mu (alpha + t) */
		dzA = (d->kla[kT] - d->klf[kT]) / d->kla[kT];
		dzB = kk * (d->klf[ktx] - d->kla[ktx]) / (mu * (al + tx) *
		    d->klf[ktx]);
		gr += d->w[i] * -lT + wA * (1 / kk + d->kdl[2 * kT + 1] /
		    d->kla[kT]) + wB * (d->kdl[2 * ktx] / d->klf[ktx] +
		    lT - ltx);
		gal += d->w[i] * -kk / (al + T) + wA * dzA * mu + wB *
		    (dzB * mu + kk * (1 / (al + T) - 1 / (al + tx)));
		gmu += d->w[i] * -T + wA * dzA * (al + T) + wB * (dzB *
		    (al + tx) + T - tx);
	}
	if (g != NULL) {
		g[0] = gr;
		g[1] = gal;
		g[2] = gmu;
	}
	return ll;
}

/*
 * Gamma-Gamma with a common mean spend (q and v infinite with q/v = nu,
 * the rate of every customer's spend): zbar given x is gamma(p x, x nu),
 *
 *	p x ln(x nu) + (p x - 1) ln zbar - x nu zbar - ln G(p x),
 *
 * and the gradient in (p, nu).
 */
double
clv_gg_lim_ll(const struct rows *d, const double *par, double *g)
{
	double p = par[0], nu = par[1], lnu = log(nu);
	double ll, gp, gnu, sx = 0, sxz = 0;
	size_t i, j;

	ll = p * d->s_xlnz - d->s_lnz;
	gp = d->s_xlnz;
	for (j = 0; j < d->nx; j++) {
		double x = d->xs[j], wx = d->wx[j];

		sx += wx * x;
		ll += wx * (p * x * log(x) - crm_stats_lgamma(p * x));
		gp += wx * x * (log(x) - crm_stats_digamma(p * x));
	}
	for (i = 0; i < d->n; i++)
		sxz += d->w[i] * d->xs[d->xi[i]] * d->zb[i];
	ll += p * lnu * sx - nu * sxz;
	gp += lnu * sx;
	gnu = p * sx / nu - sxz;
	if (g != NULL) {
		g[0] = gp;
		g[1] = gnu;
	}
	return ll;
}
