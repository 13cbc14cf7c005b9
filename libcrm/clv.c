#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clv.h"
#include "hash.h"
#include "mem.h"
#include "optim.h"
#include "stats.h"

#define SUB_MIN		50000	/* distinct summaries before subsampling */
#define SUB_SIZE	20000	/* about this many in the subsample */
#define PARETO_MAXN	20000	/* 2F1 terms per evaluation near z = 1 */
#define GTOL		1e-9	/* on the mean log-likelihood, log-params */

#define AHEAD		16	/* hash slots fetched ahead while grouping */

#if defined(__GNUC__)
#define PREFETCH(p)	__builtin_prefetch(p)
#else
#define PREFETCH(p)	((void)(p))
#endif

/*
 * The fits, next to the CRM_CLV_* kinds: Gamma-Gamma, and the three limit
 * models (BG/NBD with a common drop-out probability, Pareto/NBD with a
 * common drop-out rate, Gamma-Gamma with a common mean spend).
 */
enum { SPEND = 3, BG_LIM = 4, PA_LIM = 5, GG_LIM = 6 };

/*
 * A full fit whose concentration parameter passes this has left for the
 * boundary: it stops and the limit model takes over (Pareto/NBD earlier,
 * as its hypergeometric series grow with s and beta).
 */
#define CONC_MAX	1e6
#define PARETO_CONC_MAX	1e4
#define RUN_OFF		1e8	/* any parameter beyond (or below 1/RUN_OFF) */
/*
 * r past this: every customer buys at the same rate, a limit no model
 * here takes; the data are too few to tell, and the fit says so.
 */
#define RATE_MAX	1e3

/*
 * The data as the likelihoods see it: identical summaries grouped with a
 * weight, those with x = 0 first, each group pointing at its entry in the
 * table of distinct x values so that terms depending only on x and the
 * parameters are computed once per evaluation.
 */
struct rows {
	size_t n;		/* groups */
	size_t nzero;		/* groups [0, nzero) have x = 0 */
	double *T, *tx, *zb;	/* per group (zb: spend model only) */
	double *w;		/* customers per group */
	size_t *xi;		/* per group: index into xs */
	long *xs;		/* distinct x values */
	size_t nx;
	double *wx;		/* customers per distinct x */
	double wsum;		/* customers */
	double *tab;		/* scratch, 2 per distinct x */
	double s_xlnz, s_lnz;	/* spend model: sum w x ln zbar, sum w ln zbar */
	/*
	 * Pareto/NBD: its 2F1 depends on x and one time (t_x or T), and
	 * dates make these repeat, so each distinct (x, t) is a key whose
	 * terms are computed once per evaluation.
	 */
	size_t nkey;
	long *kx;
	double *kt;
	size_t *kT, *ktx;	/* per group: keys of (x, T) and (x, t_x) */
	double *klf, *kla, *klb; /* per key: ln F, ln(alpha+t), ln(beta+t) */
	size_t *kord;		/* limit Pareto/NBD: keys by t, then x */
	double *kf;		/* scratch, max x + 3 */
};

static void
rows_free(struct rows *d)
{
	free(d->T);
	free(d->tx);
	free(d->zb);
	free(d->w);
	free(d->xi);
	free(d->xs);
	free(d->wx);
	free(d->tab);
	free(d->kx);
	free(d->kt);
	free(d->kT);
	free(d->ktx);
	free(d->klf);
	free(d->kla);
	free(d->klb);
	free(d->kord);
	free(d->kf);
	memset(d, 0, sizeof(*d));
}

static int
nomem(struct crm_error *err)
{
	return crm_error_set(err, CRM_EFAIL, "out of memory: %s",
	    strerror(errno));
}

static int
check_customer(const struct crm_clv_customer *c, size_t i, int spend,
    struct crm_error *err)
{
	if (c->x < 0)
		return crm_error_set(err, CRM_EDATA,
		    "customer %zu: negative x %ld", i + 1, c->x);
	if (spend) {
		if (c->x > 0 && !(isfinite(c->zbar) && c->zbar > 0))
			return crm_error_set(err, CRM_EDATA, "customer %zu: "
			    "zbar %g must be positive when x > 0", i + 1,
			    c->zbar);
		return 0;
	}
	if (!isfinite(c->T) || !isfinite(c->t_x))
		return crm_error_set(err, CRM_EDATA,
		    "customer %zu: t_x or T not finite", i + 1);
	if (!(c->T > 0))
		return crm_error_set(err, CRM_EDATA,
		    "customer %zu: T %g must be positive", i + 1, c->T);
	if (!(c->t_x >= 0 && c->t_x <= c->T))
		return crm_error_set(err, CRM_EDATA,
		    "customer %zu: t_x %g not in [0, T = %g]", i + 1, c->t_x,
		    c->T);
	if (c->x == 0 && c->t_x != 0)
		return crm_error_set(err, CRM_EDATA,
		    "customer %zu: t_x %g but no repeat purchase", i + 1,
		    c->t_x);
	return 0;
}

/* The hash of a summary as rows_build groups it. */
static uint64_t
key_hash(const struct crm_clv_customer *c, int spend)
{
	double a = spend ? c->zbar : c->t_x, b = spend ? 0 : c->T;

	return crm_mix64((uint64_t)c->x ^ crm_mix64(crm_dbits(a) ^
	    crm_mix64(crm_dbits(b))));
}

static int
cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/*
 * Second half of building rows: given groups (gx their x values) with
 * the x = 0 ones first, index the distinct x values and total the weights.
 */
static int
rows_finish(struct rows *d, const long *gx, struct crm_error *err)
{
	size_t g, *map = NULL;
	long maxx = 0, *tmp = NULL;
	int rc = -1;

	d->nzero = 0;
	while (d->nzero < d->n && gx[d->nzero] == 0)
		d->nzero++;
	for (g = 0; g < d->n; g++)
		if (gx[g] > maxx)
			maxx = gx[g];
	if ((d->xi = crm_big(malloc((d->n + 1) * sizeof(*d->xi)), d->n + 1,
	    sizeof(*d->xi))) == NULL)
		return nomem(err);
	d->nx = 0;
	if ((unsigned long)maxx <= 4 * d->n + 1024) {
		if ((map = calloc((size_t)maxx + 1, sizeof(*map))) == NULL ||
		    (d->xs = malloc((d->n + 1) * sizeof(*d->xs))) == NULL) {
			nomem(err);
			goto done;
		}
		for (g = 0; g < d->n; g++) {
			if (map[gx[g]] == 0) {
				d->xs[d->nx++] = gx[g];
				map[gx[g]] = d->nx;
			}
			d->xi[g] = map[gx[g]] - 1;
		}
	} else {
		if ((tmp = malloc(d->n * sizeof(*tmp))) == NULL) {
			nomem(err);
			goto done;
		}
		memcpy(tmp, gx, d->n * sizeof(*tmp));
		qsort(tmp, d->n, sizeof(*tmp), cmp_long);
		for (g = 0; g < d->n; g++)
			if (g == 0 || tmp[g] != tmp[d->nx - 1])
				tmp[d->nx++] = tmp[g];
		d->xs = tmp;
		tmp = NULL;
		for (g = 0; g < d->n; g++)
			d->xi[g] = (long *)bsearch(&gx[g], d->xs, d->nx,
			    sizeof(long), cmp_long) - d->xs;
	}
	if ((d->wx = calloc(d->nx, sizeof(*d->wx))) == NULL ||
	    (d->tab = calloc(2 * d->nx, sizeof(*d->tab))) == NULL) {
		nomem(err);
		goto done;
	}
	d->wsum = 0;
	d->s_xlnz = d->s_lnz = 0;
	for (g = 0; g < d->n; g++) {
		d->wx[d->xi[g]] += d->w[g];
		d->wsum += d->w[g];
		if (d->zb != NULL) {
			d->s_xlnz += d->w[g] * gx[g] * log(d->zb[g]);
			d->s_lnz += d->w[g] * log(d->zb[g]);
		}
	}
	rc = 0;
done:
	free(map);
	free(tmp);
	return rc;
}

/*
 * Group the summaries: on (x, t_x, T) for the count models, on (x, zbar)
 * for the spend model, which uses only customers with x > 0.  An open
 * addressing hash table keeps it linear.  Two passes, the x = 0 customers
 * first, put the groups in their final order as they are found, each in
 * order of first appearance, so nothing is copied afterwards.  A slot
 * holds the group's index and 32 more bits of its hash: most probes that
 * miss are settled without reading the group, which is far away in memory.
 */
static int
rows_build(struct rows *d, const struct crm_clv_customer *c, size_t n,
    int spend, struct crm_error *err)
{
	size_t i, g, used = 0, size;
	uint64_t *slot = NULL, hs[AHEAD];
	long *gx = NULL;
	double *k1;
	int pass, rc = -1;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < n; i++) {
		if (check_customer(&c[i], i, spend, err) < 0)
			return -1;
		used += !spend || c[i].x > 0;
	}
	if (used == 0)
		return crm_error_set(err, CRM_EDATA, spend ?
		    "no repeat customers (x > 0) to fit spend on" :
		    "no customers");
	if (used >= UINT32_MAX)
		return crm_error_set(err, CRM_EDATA, "%zu customers: too many"
		    " to fit at once", used);
	for (size = 16; size < 2 * used; size *= 2)
		;
	slot = crm_big_calloc(size, sizeof(*slot));
	gx = crm_big(malloc(used * sizeof(*gx)), used, sizeof(*gx));
	d->w = crm_big(malloc(used * sizeof(*d->w)), used, sizeof(*d->w));
	d->T = crm_big(malloc(used * sizeof(*d->T)), used, sizeof(*d->T));
	d->tx = spend ? crm_big_calloc(used, sizeof(*d->tx)) :
	    crm_big(malloc(used * sizeof(*d->tx)), used, sizeof(*d->tx));
	if (spend)
		d->zb = crm_big(malloc(used * sizeof(*d->zb)), used,
		    sizeof(*d->zb));
	if (!slot || !gx || !d->w || !d->T || !d->tx || (spend && !d->zb)) {
		nomem(err);
		goto done;
	}
	k1 = spend ? d->zb : d->tx;
	d->n = 0;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < AHEAD && i < n; i++)
			hs[i] = key_hash(&c[i], spend);
		for (i = 0; i < n; i++) {
			double a = spend ? c[i].zbar : c[i].t_x;
			double b = spend ? 0 : c[i].T;
			uint64_t h = hs[i % AHEAD], tag;
			size_t at;

			if (i + AHEAD < n) {
				/* Start fetching a slot needed shortly. */
				hs[(i + AHEAD) % AHEAD] = key_hash(&c[i + AHEAD],
				    spend);
				PREFETCH(&slot[hs[(i + AHEAD) % AHEAD] &
				    (size - 1)]);
			}
			if ((c[i].x == 0) != (pass == 0) ||
			    (spend && c[i].x == 0))
				continue;
			tag = h & 0xffffffff00000000ULL;
			for (at = h & (size - 1); ; at = (at + 1) & (size - 1)) {
				if (slot[at] == 0) {
					g = d->n++;
					slot[at] = tag | (g + 1);
					gx[g] = c[i].x;
					k1[g] = a;
					d->T[g] = b;
					d->w[g] = 0;
					break;
				}
				if ((slot[at] & 0xffffffff00000000ULL) != tag)
					continue;
				g = (slot[at] & 0xffffffffU) - 1;
				if (gx[g] == c[i].x && k1[g] == a &&
				    d->T[g] == b)
					break;
			}
			d->w[g] += 1;
		}
	}
	free(slot);
	slot = NULL;
	rc = rows_finish(d, gx, err);
done:
	free(slot);
	free(gx);
	if (rc < 0)
		rows_free(d);
	return rc;
}

/* Every k-th group of each part (x = 0 and x > 0), weights kept. */
static int
rows_sub(struct rows *s, const struct rows *d, size_t k,
    struct crm_error *err)
{
	size_t g, m = 0;
	long *gx;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((gx = malloc(d->n * sizeof(*gx))) == NULL ||
	    (s->w = malloc(d->n * sizeof(*s->w))) == NULL ||
	    (s->T = malloc(d->n * sizeof(*s->T))) == NULL ||
	    (s->tx = malloc(d->n * sizeof(*s->tx))) == NULL ||
	    (d->zb && (s->zb = malloc(d->n * sizeof(*s->zb))) == NULL)) {
		free(gx);
		rows_free(s);
		return nomem(err);
	}
	for (g = 0; g < d->n; g++) {
		if ((g < d->nzero ? g : g - d->nzero) % k != 0)
			continue;
		gx[m] = d->xs[d->xi[g]];
		s->w[m] = d->w[g];
		s->T[m] = d->T[g];
		s->tx[m] = d->tx[g];
		if (d->zb)
			s->zb[m] = d->zb[g];
		m++;
	}
	s->n = m;
	rc = rows_finish(s, gx, err);
	free(gx);
	if (rc < 0)
		rows_free(s);
	return rc;
}

static size_t
key_find(size_t *slot, size_t size, struct rows *d, long x, double t)
{
	size_t h = crm_mix64((uint64_t)x ^ crm_mix64(crm_dbits(t))) & (size - 1), k;

	for (;;) {
		if (slot[h] == 0) {
			k = d->nkey++;
			slot[h] = k + 1;
			d->kx[k] = x;
			d->kt[k] = t;
			return k;
		}
		k = slot[h] - 1;
		if (d->kx[k] == x && d->kt[k] == t)
			return k;
		h = (h + 1) & (size - 1);
	}
}

/* The distinct (x, t) of the Pareto/NBD likelihood. */
static int
rows_keys(struct rows *d, struct crm_error *err)
{
	size_t size, *slot, g;

	for (size = 16; size < 4 * d->n; size *= 2)
		;
	if ((slot = calloc(size, sizeof(*slot))) == NULL ||
	    (d->kx = malloc(2 * d->n * sizeof(*d->kx))) == NULL ||
	    (d->kt = malloc(2 * d->n * sizeof(*d->kt))) == NULL ||
	    (d->kT = malloc(d->n * sizeof(*d->kT))) == NULL ||
	    (d->ktx = malloc(d->n * sizeof(*d->ktx))) == NULL) {
		free(slot);
		return nomem(err);
	}
	d->nkey = 0;
	for (g = 0; g < d->n; g++) {
		long x = d->xs[d->xi[g]];

		d->kT[g] = key_find(slot, size, d, x, d->T[g]);
		d->ktx[g] = key_find(slot, size, d, x, d->tx[g]);
	}
	free(slot);
	if ((d->klf = malloc(d->nkey * sizeof(*d->klf))) == NULL ||
	    (d->kla = malloc(d->nkey * sizeof(*d->kla))) == NULL ||
	    (d->klb = malloc(d->nkey * sizeof(*d->klb))) == NULL)
		return nomem(err);
	return 0;
}

struct tkey {
	double t;
	long x;
	size_t k;
};

static int
cmp_tkey(const void *pa, const void *pb)
{
	const struct tkey *a = pa, *b = pb;

	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	return (a->x > b->x) - (a->x < b->x);
}

/* The keys of rows_keys() in order of t, then x, for pareto_lim_ll(). */
static int
rows_keys_sorted(struct rows *d, struct crm_error *err)
{
	struct tkey *v;
	size_t k;
	long maxx = 0;

	if (rows_keys(d, err) < 0)
		return -1;
	for (k = 0; k < d->nx; k++)
		if (d->xs[k] > maxx)
			maxx = d->xs[k];
	if ((v = malloc((d->nkey + 1) * sizeof(*v))) == NULL ||
	    (d->kord = malloc((d->nkey + 1) * sizeof(*d->kord))) == NULL ||
	    (d->kf = malloc(((size_t)maxx + 3) * sizeof(*d->kf))) == NULL) {
		free(v);
		return nomem(err);
	}
	for (k = 0; k < d->nkey; k++) {
		v[k].t = d->kt[k];
		v[k].x = d->kx[k];
		v[k].k = k;
	}
	qsort(v, d->nkey, sizeof(*v), cmp_tkey);
	for (k = 0; k < d->nkey; k++)
		d->kord[k] = v[k].k;
	free(v);
	return 0;
}

/* log(1 + e^u), and the logistic 1/(1 + e^-u) into *sig. */
static double
softplus(double u, double *sig)
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
static double
bgnbd_ll(const struct rows *d, const double *p, double *g)
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
		double sp = softplus(lq[d->xi[i]] + rx * (l1 - l2), &sig);

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
static int
pareto_terms(double r, double al, double s, double be, double x, double tx,
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
static double
pareto_ll(const struct rows *d, const double *p)
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
static double
gg_ll(const struct rows *d, const double *par, double *g)
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
static double
bgnbd_lim_ll(const struct rows *d, const double *p, double *g)
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
		double sp = softplus(lo + rx * (l1 - l2), &sig);

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
static double
pareto_lim_ll(const struct rows *d, const double *p)
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
static double
gg_lim_ll(const struct rows *d, const double *par, double *g)
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

struct objective {
	const struct rows *d;
	int kind;
};

static size_t
nparams(int kind)
{
	return kind == GG_LIM ? 2 : kind >= SPEND ? 3 : 4;
}

/* Minus the mean log-likelihood, for the optimiser. */
static double
objective(const double *p, double *g, void *arg)
{
	const struct objective *o = arg;
	double ll;
	size_t i, np = nparams(o->kind);

	switch (o->kind) {
	case CRM_CLV_BGNBD:
		ll = bgnbd_ll(o->d, p, g);
		break;
	case CRM_CLV_PARETO:
		ll = pareto_ll(o->d, p);
		break;
	case BG_LIM:
		ll = bgnbd_lim_ll(o->d, p, g);
		break;
	case PA_LIM:
		ll = pareto_lim_ll(o->d, p);
		break;
	case GG_LIM:
		ll = gg_lim_ll(o->d, p, g);
		break;
	default:
		ll = gg_ll(o->d, p, g);
		break;
	}
	if (!isfinite(ll))
		return INFINITY;
	if (g != NULL)
		for (i = 0; i < np; i++)
			g[i] = -g[i] / o->d->wsum;
	return -ll / o->d->wsum;
}

static const char *const names[6][4] = {
	{ "r", "alpha", "a", "b" },
	{ "r", "alpha", "s", "beta" },
	{ "p", "q", "v", NULL },
	{ "r", "alpha", "p/(1-p)", NULL },
	{ "r", "alpha", "mu", NULL },
	{ "p", "nu", NULL, NULL },
};

static const char *
kind_name(int kind)
{
	switch (kind) {
	case CRM_CLV_BGNBD:
		return "BG/NBD";
	case CRM_CLV_PARETO:
		return "Pareto/NBD";
	case SPEND:
		return "Gamma-Gamma";
	case BG_LIM:
		return "BG/NBD, common drop-out probability";
	case PA_LIM:
		return "Pareto/NBD, common drop-out rate";
	default:
		return "Gamma-Gamma, common mean spend";
	}
}

const char *
crm_clv_model_name(const struct crm_clv_model *m)
{
	return kind_name(m->limit ? (m->kind == CRM_CLV_BGNBD ? BG_LIM :
	    PA_LIM) : m->kind);
}

const char *
crm_clv_gg_name(const struct crm_clv_gg *g)
{
	return kind_name(g->limit ? GG_LIM : SPEND);
}

/* One run of the optimiser, watched. */
struct fitrun {
	const struct crm_clv_fit_opts *opts;
	int kind;
	double wsum;		/* of the rows being fitted */
	int stopped;		/* the estimate left for the boundary */
	int bad;		/* a parameter out of range at the end, or -1 */
};

/* The drop-out parameter of a limit model may go to 0: no drop-out. */
static int
may_vanish(int kind, size_t i)
{
	return (kind == BG_LIM || kind == PA_LIM) && i == 2;
}

/*
 * Has the full model's estimate x left for its limit, or for no drop-out
 * at all (BG/NBD's b or Pareto/NBD's beta growing alone: p ~ beta(a, b)
 * or mu ~ gamma(s, beta) piling up at 0, the limit model with p or mu 0),
 * or for a purchase rate the same for all (r growing)?  a or s going to 0
 * is left to run: the optimum may lie close to 0 but inside.
 */
static int
leaving(int kind, const double *x)
{
	if (kind != SPEND && kind != GG_LIM && x[0] > RATE_MAX)
		return 1;
	switch (kind) {
	case CRM_CLV_BGNBD:
		return x[2] > CONC_MAX || x[3] > CONC_MAX;
	case CRM_CLV_PARETO:
		return x[2] > PARETO_CONC_MAX || x[3] > RUN_OFF / 10;
	case SPEND:
		return x[1] > CONC_MAX;
	default:
		return 0;
	}
}

static int
monitor(void *arg, int it, const double *x, double f)
{
	struct fitrun *fr = arg;
	struct crm_clv_progress pg;

	if (leaving(fr->kind, x))
		fr->stopped = 1;
	if (fr->opts != NULL && fr->opts->progress != NULL) {
		pg.model = kind_name(fr->kind);
		pg.iteration = it;
		pg.loglik = -f * fr->wsum;
		pg.slow = it > 100;
		fr->opts->progress(fr->opts->arg, &pg);
	}
	return fr->stopped;
}

/*
 * Maximise the likelihood from par, through a subsample first when the
 * data are large.  Not converging, or leaving for the boundary (fr->stopped),
 * is no error: info says so, and fr->bad names a parameter out of range.
 */
static int
fit(const struct rows *d, int kind, double *par,
    struct crm_clv_fit_info *info, struct fitrun *fr, struct crm_error *err)
{
	struct crm_optim_opts opts;
	struct crm_optim_result res;
	struct objective o;
	struct rows sub;
	double hinv[16];
	size_t i, np = nparams(kind);
	int iters = 0, evals = 0;

	memset(&opts, 0, sizeof(opts));
	memset(hinv, 0, sizeof(hinv));
	opts.positive = 1;
	opts.gradient = kind != CRM_CLV_PARETO && kind != PA_LIM;
	opts.gtol = GTOL;
	opts.hinv = hinv;
	opts.monitor = monitor;
	opts.monitor_arg = fr;
	fr->kind = kind;
	fr->stopped = 0;
	fr->bad = -1;
	o.kind = kind;
	if (d->n > SUB_MIN) {
		if (rows_sub(&sub, d, d->n / SUB_SIZE, err) < 0)
			return -1;
		if ((kind == CRM_CLV_PARETO && rows_keys(&sub, err) < 0) ||
		    (kind == PA_LIM && rows_keys_sorted(&sub, err) < 0)) {
			rows_free(&sub);
			return -1;
		}
		o.d = &sub;
		fr->wsum = sub.wsum;
		if (crm_optim_minimize(np, par, objective, &o, &opts, &res,
		    err) < 0) {
			rows_free(&sub);
			return crm_error_prefix(err, "%s fit", kind_name(kind));
		}
		iters += res.iterations;
		evals += res.evaluations;
		rows_free(&sub);
	}
	o.d = d;
	fr->wsum = d->wsum;
	if (fr->stopped) {	/* the whole data will not stop elsewhere */
		res.f = objective(par, NULL, &o);
		res.iterations = 0;
		res.evaluations = 1;
		res.converged = 0;
	} else if (crm_optim_minimize(np, par, objective, &o, &opts, &res,
	    err) < 0)
		return crm_error_prefix(err, "%s fit", kind_name(kind));
	for (i = 0; i < np; i++)
		if (!may_vanish(kind, i) && !(par[i] > 1 / RUN_OFF &&
		    par[i] < RUN_OFF) && fr->bad < 0)
			fr->bad = (int)i;
	if (kind != SPEND && kind != GG_LIM && par[0] > RATE_MAX &&
	    fr->bad < 0)
		fr->bad = 0;
	memset(info, 0, sizeof(*info));
	info->loglik = -res.f * d->wsum;
	info->n = (size_t)d->wsum;
	info->groups = d->n;
	info->iterations = iters + res.iterations;
	info->evaluations = evals + res.evaluations;
	info->converged = res.converged && !fr->stopped;
	info->full_loglik = info->limit_loglik = NAN;
	return 0;
}

/* The parameter furthest from 1 in ratio: the one running off. */
static int
off_param(int kind, const double *par)
{
	size_t i, np = nparams(kind);
	int k = 0;

	for (i = 1; i < np; i++)
		if (fabs(log(par[i])) > fabs(log(par[k])))
			k = (int)i;
	return k;
}

/* The message for a parameter out of range. */
static int
unidentified(struct crm_error *err, int kind, const double *par, int bad)
{
	return crm_error_set(err, CRM_EDATA, "%s fit: %s = %g: the data do "
	    "not identify the model", kind_name(kind), names[kind - 1][bad],
	    par[bad]);
}

/*
 * Fit kind (full) and limkind from rows d, as crm_clv_fit_with()
 * describes; lim[] gets its start from the full fit (from[] maps it).
 * *use_limit says which estimate par[] or lim[] to take.
 */
static int
fit_both(const struct rows *d, int kind, int limkind,
    const struct crm_clv_fit_opts *opts, double *par, double *lim,
    const double *lim_default, int *use_limit,
    struct crm_clv_fit_info *info, struct crm_error *err)
{
	struct crm_clv_fit_info fi, li;
	struct crm_error ferr, lerr;
	struct fitrun fr, lr;
	size_t i, nl = nparams(limkind);
	int frc, lrc, full_ok, lim_ok, ran_off;

	memset(&fr, 0, sizeof(fr));
	memset(&lr, 0, sizeof(lr));
	fr.opts = lr.opts = opts;
	crm_error_clear(&ferr);
	crm_error_clear(&lerr);
	frc = fit(d, kind, par, &fi, &fr, &ferr);
	full_ok = frc == 0 && fr.bad < 0;
	ran_off = frc == 0 && (fr.stopped || fr.bad >= 0);
	if (opts != NULL && opts->full_only) {
		if (frc < 0)
			return crm_error_set(err, ferr.code, "%s", ferr.msg);
		if (!full_ok)
			return unidentified(err, kind, par, fr.bad);
		*use_limit = 0;
		*info = fi;
		return 0;
	}
	/*
	 * The limit starts where the full fit ended: (r, alpha, a/b or
	 * s/beta), or (p, q/v), where that makes sense.
	 */
	if (kind == SPEND) {
		lim[0] = par[0];
		lim[1] = par[1] / par[2];
	} else {
		lim[0] = par[0];
		lim[1] = par[1];
		lim[2] = par[2] / par[3];
	}
	for (i = 0; i < nl; i++)
		if (!(frc == 0 && lim[i] > 1e-6 && lim[i] < 1e6))
			lim[i] = lim_default[i];
	lrc = fit(d, limkind, lim, &li, &lr, &lerr);
	lim_ok = lrc == 0 && lr.bad < 0;
	/*
	 * BG/NBD's likelihood can have another maximum inside, with a
	 * U-shaped beta (a and b below 1: a few leave at once, the rest
	 * hardly ever), that a start at a = b = 1 misses for the boundary.
	 * Before settling for the limit, start there too.
	 */
	if (kind == CRM_CLV_BGNBD && lim_ok && (!full_ok || ran_off ||
	    li.loglik >= fi.loglik - 1e-6))
		for (i = 0; i < 2; i++) {
			double p = lim[2] / (1 + lim[2]), k = i ? 1 : 0.1;
			double p2[4];
			struct crm_clv_fit_info f2;
			struct fitrun r2;

			p = p < 1e-3 ? 1e-3 : p > 0.5 ? 0.5 : p;
			p2[0] = lim[0];
			p2[1] = lim[1];
			p2[2] = p * k;
			p2[3] = (1 - p) * k;
			memset(&r2, 0, sizeof(r2));
			r2.opts = opts;
			if (fit(d, kind, p2, &f2, &r2, &ferr) == 0 &&
			    r2.bad < 0 && !r2.stopped && f2.converged &&
			    f2.loglik > li.loglik + 1e-6 &&
			    (frc < 0 || f2.loglik > fi.loglik)) {
				f2.iterations += frc == 0 ? fi.iterations : 0;
				fi = f2;
				fr = r2;
				frc = 0;
				memcpy(par, p2, sizeof(p2));
				full_ok = 1;
				ran_off = 0;
			}
		}
	/*
	 * The limit when the full fit left for it and the limit does as
	 * well, or when it does better: the full estimate stays when it
	 * ran off elsewhere (Gamma-Gamma's p growing: no spread within a
	 * customer's spend) and is the better for it.
	 */
	*use_limit = lim_ok && (!full_ok || li.loglik > fi.loglik + 1e-6 ||
	    ((ran_off || !fi.converged) && li.loglik >= fi.loglik - 1e-6));
	/*
	 * Run off, and better than the limit: the supremum lies on another
	 * edge (a spend with no spread within a customer, ...), where no
	 * model here goes.
	 */
	if (frc == 0 && ran_off && fi.loglik > (lim_ok ? li.loglik : -HUGE_VAL)
	    + 1e-6) {
		int k = fr.bad >= 0 ? fr.bad : off_param(kind, par);

		return crm_error_set(err, CRM_EDATA, "%s fit: %s = %g runs off"
		    " and its limit (%s) fits %s: the data do not identify"
		    " the model", kind_name(kind), names[kind - 1][k], par[k],
		    kind_name(limkind), lim_ok ? "worse" : "no better");
	}
	if (!*use_limit && !full_ok) {
		char first[CRM_ERRMSG_MAX];

		if (frc < 0)
			return crm_error_set(err, ferr.code, "%s", ferr.msg);
		unidentified(&ferr, kind, par, fr.bad);
		snprintf(first, sizeof(first), "%s", ferr.msg);
		if (lrc < 0)
			return crm_error_set(err, CRM_EDATA, "%s; nor its limit "
			    "(%s)", first, lerr.msg);
		return crm_error_set(err, CRM_EDATA, "%s; nor its limit (%s: "
		    "%s = %g)", first, kind_name(limkind),
		    names[limkind - 1][lr.bad], lim[lr.bad]);
	}
	*info = *use_limit ? li : fi;
	info->limit = *use_limit;
	info->ran_off = ran_off || frc < 0;
	info->full_loglik = frc == 0 ? fi.loglik : NAN;
	info->limit_loglik = lim_ok ? li.loglik : NAN;
	info->iterations = (frc == 0 ? fi.iterations : 0) +
	    (lrc == 0 ? li.iterations : 0);
	info->evaluations = (frc == 0 ? fi.evaluations : 0) +
	    (lrc == 0 ? li.evaluations : 0);
	return 0;
}

static int
check_model(const struct crm_clv_model *m, struct crm_error *err)
{
	if (m->kind != CRM_CLV_BGNBD && m->kind != CRM_CLV_PARETO)
		return crm_error_set(err, CRM_EUSAGE, "unknown model kind %d",
		    m->kind);
	if (m->limit) {
		if (!(isfinite(m->r) && m->r > 0 && isfinite(m->alpha) &&
		    m->alpha > 0 && isfinite(m->a) && m->a >= 0 &&
		    (m->kind == CRM_CLV_PARETO || m->a < 1)))
			return crm_error_set(err, CRM_EUSAGE, "%s parameters "
			    "out of range", crm_clv_model_name(m));
		return 0;
	}
	if (!(isfinite(m->r) && m->r > 0 && isfinite(m->alpha) &&
	    m->alpha > 0 && isfinite(m->a) && m->a > 0 && isfinite(m->b) &&
	    m->b > 0))
		return crm_error_set(err, CRM_EUSAGE, "%s parameters must be "
		    "positive and finite", kind_name(m->kind));
	return 0;
}

int
crm_clv_fit_with(int kind, const struct crm_clv_customer *c, size_t n,
    const struct crm_clv_fit_opts *opts, struct crm_clv_model *m,
    struct crm_clv_fit_info *info, struct crm_error *err)
{
	struct crm_clv_fit_info fi;
	struct rows d;
	double par[4] = { 1, 1, 1, 1 }, lim[3], def[3] = { 1, 1, 1 }, Tsum = 0;
	size_t i;
	int rc, use_limit = 0;

	if (kind != CRM_CLV_BGNBD && kind != CRM_CLV_PARETO)
		return crm_error_set(err, CRM_EUSAGE, "unknown model kind %d",
		    kind);
	if (rows_build(&d, c, n, 0, err) < 0)
		return -1;
	if (d.nzero == d.n) {
		rows_free(&d);
		return crm_error_set(err, CRM_EDATA, "%s fit: no customer "
		    "made a repeat purchase", kind_name(kind));
	}
	if (kind == CRM_CLV_PARETO && rows_keys_sorted(&d, err) < 0) {
		rows_free(&d);
		return -1;
	}
	for (i = 0; i < d.n; i++)
		Tsum += d.w[i] * d.T[i];
	if (kind == CRM_CLV_PARETO)	/* a lifetime as long as the data */
		def[2] = d.wsum / Tsum;
	rc = fit_both(&d, kind, kind == CRM_CLV_BGNBD ? BG_LIM : PA_LIM, opts,
	    par, lim, def, &use_limit, &fi, err);
	rows_free(&d);
	if (rc < 0)
		return -1;
	m->kind = kind;
	m->limit = use_limit;
	if (use_limit) {
		m->r = lim[0];
		m->alpha = lim[1];
		m->a = kind == CRM_CLV_BGNBD ? lim[2] / (1 + lim[2]) : lim[2];
		m->b = 0;
	} else {
		m->r = par[0];
		m->alpha = par[1];
		m->a = par[2];
		m->b = par[3];
	}
	if (info != NULL)
		*info = fi;
	return 0;
}

int
crm_clv_fit(int kind, const struct crm_clv_customer *c, size_t n,
    struct crm_clv_model *m, struct crm_clv_fit_info *info,
    struct crm_error *err)
{
	return crm_clv_fit_with(kind, c, n, NULL, m, info, err);
}

int
crm_clv_loglik(const struct crm_clv_model *m,
    const struct crm_clv_customer *c, size_t n, double *ll,
    struct crm_error *err)
{
	struct rows d;
	double p[4];

	if (check_model(m, err) < 0 || rows_build(&d, c, n, 0, err) < 0)
		return -1;
	if (m->kind == CRM_CLV_PARETO && rows_keys_sorted(&d, err) < 0) {
		rows_free(&d);
		return -1;
	}
	p[0] = m->r;
	p[1] = m->alpha;
	p[2] = m->a;
	p[3] = m->b;
	if (m->limit && m->kind == CRM_CLV_BGNBD) {
		p[2] = m->a / (1 - m->a);	/* the odds */
		*ll = p[2] > 0 ? bgnbd_lim_ll(&d, p, NULL) :
		    /* p = 0: the odds' log is -inf, its term 0 */
		    bgnbd_lim_ll(&d, (double[]){ p[0], p[1], 1e-300 }, NULL);
	} else if (m->limit)
		*ll = pareto_lim_ll(&d, p[2] > 0 ? p :
		    (double[]){ p[0], p[1], 1e-300 });
	else
		*ll = m->kind == CRM_CLV_BGNBD ? bgnbd_ll(&d, p, NULL) :
		    pareto_ll(&d, p);
	rows_free(&d);
	if (!isfinite(*ll))
		return crm_error_set(err, CRM_EFAIL, "%s log-likelihood "
		    "cannot be evaluated at these parameters",
		    crm_clv_model_name(m));
	return 0;
}

static int
check_one(const struct crm_clv_model *m, const struct crm_clv_customer *c,
    struct crm_error *err)
{
	if (check_model(m, err) < 0)
		return -1;
	return check_customer(c, 0, 0, err);
}

/* 1 / [k F(k+1, z_T) + z_tx F(k, z_tx) e^u], as in pareto_lim_ll(). */
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
		softplus(-u, &sig);
		*p = sig;
		return 0;
	}
	if (pareto_terms(m->r, m->alpha, m->a, m->b, x, c->t_x, c->T,
	    400000, &l1, &l2) < 0)
		return crm_error_set(err, CRM_EFAIL, "Pareto/NBD P(alive): "
		    "hypergeometric function did not converge");
	softplus(l1 - l2, &sig);	/* 1 / (1 + e^(l2 - l1)) */
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
	if (check_model(m, err) < 0)
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
	if (check_model(m, err) < 0)
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

	if (check_model(m, err) < 0)
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
crm_clv_gg_fit_with(const struct crm_clv_customer *c, size_t n,
    const struct crm_clv_fit_opts *opts, struct crm_clv_gg *g,
    struct crm_clv_fit_info *info, struct crm_error *err)
{
	struct crm_clv_fit_info fi;
	struct rows d;
	double par[3] = { 1, 1, 1 }, lim[2], def[2] = { 1, 1 }, zsum = 0;
	size_t i;
	int rc, use_limit = 0;

	if (rows_build(&d, c, n, 1, err) < 0)
		return -1;
	for (i = 0; i < d.n; i++)
		zsum += d.w[i] * d.zb[i];
	def[1] = d.wsum / zsum;		/* p = 1: the mean spend */
	rc = fit_both(&d, SPEND, GG_LIM, opts, par, lim, def, &use_limit,
	    &fi, err);
	rows_free(&d);
	if (rc < 0)
		return -1;
	g->limit = use_limit;
	if (use_limit) {
		g->p = lim[0];
		g->q = 0;
		g->v = lim[1];
	} else {
		g->p = par[0];
		g->q = par[1];
		g->v = par[2];
	}
	if (info != NULL)
		*info = fi;
	return 0;
}

int
crm_clv_gg_fit(const struct crm_clv_customer *c, size_t n,
    struct crm_clv_gg *g, struct crm_clv_fit_info *info,
    struct crm_error *err)
{
	return crm_clv_gg_fit_with(c, n, NULL, g, info, err);
}

static int
check_gg(const struct crm_clv_gg *g, struct crm_error *err)
{
	if (!(isfinite(g->p) && g->p > 0 && isfinite(g->q) &&
	    (g->q > 0 || (g->limit && g->q == 0)) && isfinite(g->v) &&
	    g->v > 0))
		return crm_error_set(err, CRM_EUSAGE,
		    "Gamma-Gamma parameters must be positive and finite");
	return 0;
}

int
crm_clv_gg_loglik(const struct crm_clv_gg *g,
    const struct crm_clv_customer *c, size_t n, double *ll,
    struct crm_error *err)
{
	struct rows d;
	double p[3];

	if (check_gg(g, err) < 0 || rows_build(&d, c, n, 1, err) < 0)
		return -1;
	p[0] = g->p;
	p[1] = g->limit ? g->v : g->q;
	p[2] = g->v;
	*ll = g->limit ? gg_lim_ll(&d, p, NULL) : gg_ll(&d, p, NULL);
	rows_free(&d);
	if (!isfinite(*ll))
		return crm_error_set(err, CRM_EFAIL,
		    "Gamma-Gamma log-likelihood is not finite");
	return 0;
}

int
crm_clv_gg_spend(const struct crm_clv_gg *g,
    const struct crm_clv_customer *c, double *spend, struct crm_error *err)
{
	double den;

	if (check_gg(g, err) < 0 || check_customer(c, 0, 1, err) < 0)
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
