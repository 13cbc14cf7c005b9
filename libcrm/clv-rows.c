/*
 * clv-rows.c - the summaries as the likelihoods see them: checked, grouped
 * (identical summaries once, with a weight), subsampled, and the distinct
 * (x, t) keys of the Pareto/NBD likelihood.
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

#define AHEAD		16	/* hash slots fetched ahead while grouping */

#if defined(__GNUC__)
#define PREFETCH(p)	__builtin_prefetch(p)
#else
#define PREFETCH(p)	((void)(p))
#endif

void
clv_rows_free(struct rows *d)
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
	free(d->kdl);
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

int
clv_check_customer(const struct crm_clv_customer *c, size_t i, int spend,
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

/* The hash of a summary as clv_rows_build groups it. */
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
int
clv_rows_build(struct rows *d, const struct crm_clv_customer *c, size_t n,
    int spend, struct crm_error *err)
{
	size_t i, g, used = 0, size;
	uint64_t *slot = NULL, hs[AHEAD];
	long *gx = NULL;
	double *k1;
	int pass, rc = -1;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < n; i++) {
		if (clv_check_customer(&c[i], i, spend, err) < 0)
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
		clv_rows_free(d);
	return rc;
}

/* Every k-th group of each part (x = 0 and x > 0), weights kept. */
int
clv_rows_sub(struct rows *s, const struct rows *d, size_t k,
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
		clv_rows_free(s);
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
		clv_rows_free(s);
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
int
clv_rows_keys(struct rows *d, struct crm_error *err)
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
	    (d->klb = malloc(d->nkey * sizeof(*d->klb))) == NULL ||
	    (d->kdl = malloc(4 * d->nkey * sizeof(*d->kdl))) == NULL)
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

/* The keys of clv_rows_keys() in order of t, then x, for clv_pareto_lim_ll(). */
int
clv_rows_keys_sorted(struct rows *d, struct crm_error *err)
{
	struct tkey *v;
	size_t k;
	long maxx = 0;

	if (clv_rows_keys(d, err) < 0)
		return -1;
	for (k = 0; k < d->nx; k++)
		if (d->xs[k] > maxx)
			maxx = d->xs[k];
	if ((v = malloc((d->nkey + 1) * sizeof(*v))) == NULL ||
	    (d->kord = malloc((d->nkey + 1) * sizeof(*d->kord))) == NULL ||
	    (d->kf = malloc(2 * ((size_t)maxx + 3) * sizeof(*d->kf))) == NULL) {
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
