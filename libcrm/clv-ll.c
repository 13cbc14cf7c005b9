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
 * Pareto/NBD log-likelihood summed over the rows; per customer
 *	ln G(r+x) - ln G(r) + r ln alpha + s ln beta + ln[bracket above].
 * The per-key arrays of d are scratch, filled here.
 */
double
clv_pareto_ll(const struct rows *d, const double *p)
{
	double r = p[0], al = p[1], s = p[2], be = p[3];
	double ll, lgr = crm_stats_lgamma(r);
	size_t i, j, k;

	ll = d->wsum * (r * log(al) + s * log(be));
	for (j = 0; j < d->nx; j++)
		ll += d->wx[j] * (crm_stats_lgamma(r + d->xs[j]) - lgr);
	for (k = 0; k < d->nkey; k++) {
		double a = r + s + d->kx[k], t = d->kt[k], lf;
		int sg;

		d->kla[k] = log(al + t);
		d->klb[k] = log(be + t);
		if (crm_stats_log2f1_fast(a, s + 1, a + 1, (al - be) / (al + t),
		    PARETO_MAXN, &lf, &sg) < 0 || sg <= 0)
			return NAN;
		d->klf[k] = lf - a * d->kla[k];
	}
	for (j = 0; j < d->nx; j++)	/* ln s/(r+s+x) */
		d->tab[j] = log(s / (r + s + d->xs[j]));
	for (i = 0; i < d->n; i++) {
		double x = d->xs[d->xi[i]], lftx = d->klf[d->ktx[i]];
		double lfT = d->klf[d->kT[i]], l1, u1, u2;

		l1 = -(r + x) * d->kla[d->kT[i]] - s * d->klb[d->kT[i]];
		if (!(d->tx[i] < d->T[i] && lfT < lftx)) {
			ll += d->w[i] * l1;
			continue;
		}
		/*
		 * ln(e^l1 + e^ls (F(t_x) - F(T))): relative to e^l1 this is
		 * 1 + e^u1 - e^u2, with u1 modest unless P(alive) is tiny.
		 * log rather than log1p: an absolute error of 1e-16 in a
		 * term of the log-likelihood is no error at all, and log1p
		 * costs twice as much.
		 */
		u1 = d->tab[d->xi[i]] + lftx - l1;
		u2 = d->tab[d->xi[i]] + lfT - l1;
		if (u1 < 30)
			ll += d->w[i] * (l1 + log(1 + (exp(u1) - exp(u2))));
		else
			ll += d->w[i] * (l1 + u1 + log(-expm1(u2 - u1) +
			    exp(-u1)));
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
 * Pareto/NBD with a common drop-out rate mu (s and beta infinite with
 * s/beta = mu): every lifetime exponential(mu), so per customer, with
 * k = r+x, z_t = mu (alpha+t) and F = crm_stats_laplace_pow,
 *
 *	ln G(k) - ln G(r) + r ln alpha - mu T - k ln(alpha+T)
 *	    + ln[k F(k+1, z_T) + z_tx F(k, z_tx) e^u],
 *	u = mu (T - t_x) + k ln((alpha+T)/(alpha+t_x))
 *
 * (the bracket is 1 / P(alive); its first term is 1 - z_T F(k, z_T), so
 * nothing cancels).  F is needed per distinct (x, t): for each t at the
 * smallest k, then stepped up in x by its recurrence while z <= 5, where
 * that is stable; beyond, each from its continued fraction.
 */
double
clv_pareto_lim_ll(const struct rows *d, const double *p)
{
	double r = p[0], al = p[1], mu = p[2], ll, lgr = crm_stats_lgamma(r);
	size_t i, j, q, k;

	ll = d->wsum * r * log(al);
	for (j = 0; j < d->nx; j++)
		ll += d->wx[j] * (crm_stats_lgamma(r + d->xs[j]) - lgr);
	for (q = 0; q < d->nkey; ) {
		size_t q0 = q;
		double t = d->kt[d->kord[q]], z = mu * (al + t), *f = d->kf;
		long maxx;

		while (q < d->nkey && d->kt[d->kord[q]] == t)
			q++;
		maxx = d->kx[d->kord[q - 1]];
		if (z <= 5) {
			f[0] = crm_stats_laplace_pow(r, z);
			f[1] = r < 0.5 ? crm_stats_laplace_pow(r + 1, z) :
			    (1 - z * f[0]) / r;
			for (j = 2; j <= (size_t)maxx + 1; j++)
				f[j] = (1 - z * f[j - 1]) / (r + (double)j - 1);
			for (k = q0; k < q; k++) {
				size_t key = d->kord[k];

				d->klf[key] = f[d->kx[key]];
				d->kla[key] = f[d->kx[key] + 1];
			}
		} else
			for (k = q0; k < q; k++) {
				size_t key = d->kord[k];
				double kk = r + (double)d->kx[key];

				d->klf[key] = crm_stats_laplace_pow(kk, z);
				d->kla[key] = crm_stats_laplace_pow(kk + 1, z);
			}
	}
	for (i = 0; i < d->n; i++) {
		double x = d->xs[d->xi[i]], kk = r + x, T = d->T[i];
		double tx = d->tx[i], lT = log(al + T), ltx = log(al + tx);
		double u = mu * (T - tx) + kk * (lT - ltx);
		double A = kk * d->kla[d->kT[i]];
		double B = mu * (al + tx) * d->klf[d->ktx[i]];

		if (!(A > 0 && B > 0))
			return NAN;
		ll += d->w[i] * (-mu * T - kk * lT +
		    crm_stats_logsumexp2(log(A), log(B) + u));
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
