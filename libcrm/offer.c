/*
 * offer.c - next best offer from association rules (offer.h).
 *
 * The baskets come sorted by contact; products are numbered as they
 * come.  Pair counts sit in a dense matrix of the products (P x P
 * counters), filled from each basket, then every contact's candidates
 * are scored against the rules from what they bought.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "num.h"
#include "offer.h"
#include "strmap.h"

#define MAX_PRODUCTS 8192	/* the matrix: 256 MiB of counters */
#define AGAIN_K 8		/* buy again: counts of days 1 .. 8 and more */

/*
 * The index of product name s in m, added when new; -1 on ENOMEM, -2 when
 * a new name would pass MAX_PRODUCTS (it is then held but not used).
 */
static long
name_index(struct crm_strmap *m, const char *s)
{
	long k = crm_strmap_index(m, s);

	return k >= MAX_PRODUCTS ? -2 : k;
}

/* A contact's basket in the list of all: items [off, off + len). */
struct basket {
	int64_t id;
	size_t off, len;
};

struct cand {
	uint32_t p, because;
	double score, conf, lift;
	int again;		/* buy again: the contact's own product */
	int popular;		/* the empty rule: because is p itself */
	double interval;	/* its usual interval, days */
	int64_t since, times;	/* days since the last, purchase days */
	int basis;		/* conf: of the buyers on that many days */
};

static int
better(const struct cand *x, const struct cand *y, char **names)
{
	if (x->score != y->score)
		return x->score > y->score;
	if (x->lift != y->lift)
		return x->lift > y->lift;
	return strcmp(names[x->p], names[y->p]) < 0;
}

/* A purchase: contact (its index among the live), product, day. */
struct pl {
	uint32_t li;
	uint32_t p;
	int32_t day;
};

static int
cmp_pl(const void *a, const void *b)
{
	const struct pl *x = a, *y = b;

	if (x->li != y->li)
		return x->li < y->li ? -1 : 1;
	if (x->p != y->p)
		return x->p < y->p ? -1 : 1;
	return x->day < y->day ? -1 : x->day > y->day;
}

/* A repeat buyer's mean interval between purchase days of a product. */
struct gap {
	uint32_t p;
	float days;
};

static int
cmp_gap(const void *a, const void *b)
{
	const struct gap *x = a, *y = b;

	if (x->p != y->p)
		return x->p < y->p ? -1 : 1;
	return x->days < y->days ? -1 : x->days > y->days;
}

static int64_t
day_of(int64_t t)
{
	return t / 86400 - (t % 86400 < 0);
}

/* The ids of the contacts neither merged away nor erased, ascending. */
static int
live_ids(struct crm_db *db, int64_t **out, size_t *n, struct crm_error *err)
{
	struct crm_stmt *st;
	size_t a = 0;
	int step;

	if ((st = crm_db_stmt(db, "SELECT id FROM contacts WHERE merged_into"
	    " IS NULL AND erased_at IS NULL ORDER BY id", err)) == NULL)
		return -1;
	while ((step = crm_db_step(db, st, err)) == 1) {
		if (*n == a) {
			size_t na = a ? 2 * a : 4096;
			int64_t *q = reallocarray(*out, na, sizeof(*q));

			if (q == NULL) {
				crm_db_reset(st);
				return crm_error_set(err, CRM_EFAIL, "out of"
				    " memory");
			}
			*out = q;
			a = na;
		}
		(*out)[(*n)++] = crm_db_col_int(st, 0);
	}
	return step < 0 ? -1 : 0;
}

/* The index of id in v, or -1. */
static long
live_index(const int64_t *v, size_t n, int64_t id)
{
	size_t l = 0, h = n;

	while (l < h) {
		size_t m = l + (h - l) / 2;

		if (v[m] < id)
			l = m + 1;
		else
			h = m;
	}
	return l < n && v[l] == id ? (long)l : -1;
}

/*
 * Sort n purchases by contact, product and day: by contact by counting
 * (nlive contacts), then each contact's few by insertion.
 */
static struct pl *
sort_pl(struct pl *v, size_t n, size_t nlive)
{
	size_t *at = calloc(nlive + 1, sizeof(*at)), i, j, k;
	struct pl *out = malloc((n ? n : 1) * sizeof(*out));

	if (at == NULL || out == NULL) {
		free(at);
		free(out);
		return NULL;
	}
	for (i = 0; i < n; i++)
		at[v[i].li + 1]++;
	for (k = 0; k < nlive; k++)
		at[k + 1] += at[k];
	for (i = 0; i < n; i++)
		out[at[v[i].li]++] = v[i];
	/* at[k] is now the end of contact k's run. */
	for (k = 0, i = 0; k < nlive; i = at[k++]) {
		if (at[k] - i > 32) {
			qsort(out + i, at[k] - i, sizeof(*out), cmp_pl);
			continue;
		}
		for (j = i + 1; j < at[k]; j++) {
			struct pl t = out[j];
			size_t m = j;

			while (m > i && cmp_pl(&out[m - 1], &t) > 0) {
				out[m] = out[m - 1];
				m--;
			}
			out[m] = t;
		}
	}
	free(at);
	return out;
}

/*
 * Mean unit prices per product and currency, summed during the scan of
 * the purchases (a GROUP BY over millions of rows costs more than the
 * rest): for currency slot c (0 none, else 1 + its index in curs), the
 * array pr[c] of MAX_PRODUCTS sums.
 */
struct price {
	double sum;
	int64_t n;
};

struct prices {
	struct crm_strmap curs;
	struct price **pr;
	size_t npr;
};

static int
price_add(struct prices *x, long p, const char *cur, double amount,
    double qty, struct crm_error *err)
{
	long c = cur == NULL ? 0 : crm_strmap_index(&x->curs, cur) + 1;

	if (c < 0 || p < 0 || p >= MAX_PRODUCTS)
		return c < 0 ? crm_error_set(err, CRM_EFAIL, "out of memory") :
		    0;
	if ((size_t)c >= x->npr) {
		struct price **q = reallocarray(x->pr, (size_t)c + 1,
		    sizeof(*q));

		if (q == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		memset(q + x->npr, 0, ((size_t)c + 1 - x->npr) * sizeof(*q));
		x->pr = q;
		x->npr = (size_t)c + 1;
	}
	if (x->pr[c] == NULL && (x->pr[c] = calloc(MAX_PRODUCTS,
	    sizeof(**x->pr))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	x->pr[c][p].sum += amount / (qty != 0 ? qty : 1);
	x->pr[c][p].n++;
	return 0;
}

static void
prices_free(struct prices *x)
{
	size_t i;

	for (i = 0; i < x->npr; i++)
		free(x->pr[i]);
	free(x->pr);
	crm_strmap_free(&x->curs);
}

static struct prices *sort_prices;

static int
cmp_cur(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	if (x == 0 || y == 0)
		return (x != 0) - (y != 0);
	return strcmp(sort_prices->curs.v[x - 1], sort_prices->curs.v[y - 1]);
}

/*
 * Gross margin share of each product, 1 when not known: its margin, or
 * 1 - unit cost / its mean unit price in the cost's currency (any
 * currency when the cost has none: the last in the order of the codes).
 */
static int
margins(const struct crm_offer_opts *o, int64_t end, struct crm_strmap *nm,
    size_t np, struct prices *x, double *mg, struct crm_error *err)
{
	size_t i, k, *order;

	for (i = 0; i < np; i++)
		mg[i] = 1;
	if (crm_products_count(o->products) == 0 || x->npr == 0)
		return 0;
	if ((order = calloc(x->npr, sizeof(*order))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	for (k = 0; k < x->npr; k++)
		order[k] = k;
	sort_prices = x;
	qsort(order, x->npr, sizeof(*order), cmp_cur);
	for (i = 0; i < np && i < MAX_PRODUCTS; i++) {
		struct crm_product_cost pc;

		if (!crm_product_find(o->products, nm->v[i], end - 1, &pc))
			continue;
		for (k = 0; k < x->npr; k++) {
			size_t c = order[k];
			const struct price *q = x->pr[c] ? &x->pr[c][i] : NULL;
			const char *cur = c ? x->curs.v[c - 1] : NULL;

			if (q == NULL || q->n == 0)
				continue;
			if (pc.has_cost && (pc.currency == NULL || cur == NULL ||
			    strcmp(pc.currency, cur) == 0))
				mg[i] = 1 - pc.unit_cost / (q->sum /
				    (double)q->n);
			else if (!pc.has_cost)
				mg[i] = pc.margin;
			if (mg[i] < 0)
				mg[i] = 0;
		}
	}
	free(order);
	return 0;
}

/*
 * Whether item i, a product the contact bought on itimes[i] days, is due
 * again today: its usual interval (the contact's own mean interval, else
 * the median of its repeat buyers') has four fifths passed, three times
 * not yet (then they buy it elsewhere, or no more).  The confidence is
 * the share of the product's buyers on at least that many days who
 * bought it on one more (al: buyers on at least 1, 2, ... AGAIN_K days),
 * or on fewer days when fewer than minc (or none) bought it on one more.
 * 1 and *t filled when due.
 */
static int
again(size_t i, const uint32_t *itimes, const int32_t *ifirst,
    const int32_t *ilast, const uint32_t *al, double median, int64_t today,
    double minc, struct cand *t)
{
	uint32_t k = itimes[i] < AGAIN_K - 1 ? itimes[i] : AGAIN_K - 1;
	double ivl = itimes[i] >= 2 ? (double)(ilast[i] - ifirst[i]) /
	    (itimes[i] - 1) : median;
	int64_t since = today - ilast[i];

	while (k > 1 && (al[k] == 0 || al[k] < minc))
		k--;
	if (al[k] == 0 || al[k] < minc || !(ivl > 0) ||
	    (double)since < 0.8 * ivl || (double)since > 3 * ivl)
		return 0;
	t->again = 1;
	t->popular = 0;
	t->conf = (double)al[k] / al[k - 1];
	t->interval = ivl;
	t->since = since;
	t->times = itimes[i];
	t->basis = (int)k;
	return 1;
}

int
crm_offer_each(struct crm_db *db, const struct crm_offer_opts *o,
    int (*fn)(void *arg, const struct crm_offer_row *row,
    struct crm_error *err), void *arg, struct crm_offer_stats *sto,
    struct crm_error *err)
{
	struct crm_strmap nm = CRM_STRMAP_INIT;
	struct basket *b = NULL;
	uint32_t *items = NULL, *co = NULL, *cnt = NULL, *itimes = NULL;
	uint32_t *atleast = NULL, *own = NULL;
	int32_t *ifirst = NULL, *ilast = NULL;
	struct gap *gaps = NULL;
	size_t ngap = 0, agap = 0;
	double *mg = NULL, *ivl = NULL, *inv = NULL, *liftk = NULL;
	struct cand *top = NULL;
	size_t nb = 0, ab = 0, ni = 0, ai = 0, i, j, k, P, nbuy;
	int64_t day0 = o->asof - ((o->asof % 86400) + 86400) % 86400;
	int64_t end = day0 + 86400;
	struct crm_offer_stats st;
	struct crm_stmt *s;
	int step, rc = -1, began = 0, n = o->per_contact > 0 ?
	    o->per_contact : 3;
	double minc;
	int64_t today = day0 / 86400;
	struct prices px = { CRM_STRMAP_INIT, NULL, 0 };
	int costs = crm_products_count(o->products) > 0;
	struct pl *pl = NULL;
	size_t npl = 0, apl = 0, nlive = 0;
	int64_t *live = NULL;

	memset(&st, 0, sizeof(st));
	if (!crm_db_in_tx(db)) {
		if (crm_db_begin_read(db, err) < 0)
			return -1;
		began = 1;
	}
	/*
	 * The purchases in table order (no sort, no join in SQL: at 5M
	 * rows those cost more than the rest), then sorted here by contact
	 * and product, repeats dropped, contacts merged away or erased
	 * left out.
	 */
	if (live_ids(db, &live, &nlive, err) < 0)
		goto done;
	if ((s = crm_db_stmt(db, "SELECT contact_id, product, at, amount,"
	    " quantity, currency FROM interactions WHERE kind = ?1 AND at <"
	    " ?2 AND product IS NOT NULL", err)) ==
	    NULL || crm_db_bind_text(db, s, 1, o->kind ? o->kind : "purchase",
	    err) < 0 || crm_db_bind_int(db, s, 2, end, err) < 0)
		goto done;
	while ((step = crm_db_step(db, s, err)) == 1) {
		int64_t id = crm_db_col_int(s, 0);
		long p = name_index(&nm, crm_db_col_text(s, 1)), li;

		/* Prices of every purchase, the contact live or not. */
		if (p >= 0 && costs && !crm_db_col_isnull(s, 3) &&
		    crm_db_col_double(s, 3) > 0 && price_add(&px, p,
		    crm_db_col_text(s, 5), crm_db_col_double(s, 3),
		    crm_db_col_isnull(s, 4) ? 1 : crm_db_col_double(s, 4),
		    err) < 0) {
			crm_db_reset(s);
			goto done;
		}
		if ((li = live_index(live, nlive, id)) < 0)
			continue;
		if (p < 0) {
			crm_db_reset(s);
			if (p == -2)
				crm_error_set(err, CRM_EDATA, "more than %d"
				    " products: recommend works on at most"
				    " that many (group them by category)",
				    MAX_PRODUCTS);
			else
				crm_error_set(err, CRM_EFAIL, "out of memory");
			goto done;
		}
		if (npl == apl) {
			size_t na = apl ? 2 * apl : 4096;
			struct pl *q = reallocarray(pl, na, sizeof(*q));

			if (q == NULL) {
				crm_db_reset(s);
				goto oom;
			}
			pl = q;
			apl = na;
		}
		pl[npl].li = (uint32_t)li;
		pl[npl].day = (int32_t)day_of(crm_db_col_int(s, 2));
		pl[npl++].p = (uint32_t)p;
	}
	if (step < 0)
		goto done;
	{
		struct pl *sorted = sort_pl(pl, npl, nlive);

		if (sorted == NULL)
			goto oom;
		free(pl);
		pl = sorted;
	}
	/* Each product of a basket once, with its purchase days. */
	for (i = 0; i < npl; i++) {
		if (i > 0 && pl[i].li == pl[i - 1].li && pl[i].p ==
		    pl[i - 1].p) {
			if (pl[i].day != pl[i - 1].day)
				itimes[ni - 1]++;
			ilast[ni - 1] = pl[i].day;
			continue;
		}
		if (nb == 0 || b[nb - 1].id != live[pl[i].li]) {
			if (nb == ab) {
				size_t na = ab ? 2 * ab : 1024;
				struct basket *q = reallocarray(b, na,
				    sizeof(*q));

				if (q == NULL)
					goto oom;
				b = q;
				ab = na;
			}
			b[nb].id = live[pl[i].li];
			b[nb].off = ni;
			b[nb++].len = 0;
		}
		if (ni == ai) {
			size_t na = ai ? 2 * ai : 4096;
			uint32_t *q;
			int32_t *d;

			if ((q = reallocarray(items, na, sizeof(*q))) == NULL)
				goto oom;
			items = q;
			if ((q = reallocarray(itimes, na, sizeof(*q))) == NULL)
				goto oom;
			itimes = q;
			if ((d = reallocarray(ifirst, na, sizeof(*d))) == NULL)
				goto oom;
			ifirst = d;
			if ((d = reallocarray(ilast, na, sizeof(*d))) == NULL)
				goto oom;
			ilast = d;
			ai = na;
		}
		itimes[ni] = 1;
		ifirst[ni] = ilast[ni] = pl[i].day;
		items[ni++] = pl[i].p;
		b[nb - 1].len++;
	}
	free(pl);
	pl = NULL;
	P = nm.n;
	nbuy = nb;
	st.products = (int64_t)P;
	if ((co = calloc(P * P + 1, sizeof(*co))) == NULL ||
	    (cnt = calloc(P + 1, sizeof(*cnt))) == NULL ||
	    (mg = calloc(P + 1, sizeof(*mg))) == NULL ||
	    (own = calloc(P + 1, sizeof(*own))) == NULL ||
	    (atleast = calloc(P * AGAIN_K + 1, sizeof(*atleast))) == NULL ||
	    (ivl = calloc(P + 1, sizeof(*ivl))) == NULL ||
	    (top = calloc((size_t)n, sizeof(*top))) == NULL)
		goto oom;
	for (i = 0; i < nb; i++) {
		const uint32_t *it = items + b[i].off;

		for (j = 0; j < b[i].len; j++) {
			cnt[it[j]]++;
			for (k = 0; k < b[i].len; k++)
				if (k != j)
					co[(size_t)it[j] * P + it[k]]++;
		}
	}
	/*
	 * Buying again: per product, how many buyers bought it on at least
	 * 1, 2, ... AGAIN_K days, and the median of its repeat buyers' mean
	 * intervals.
	 */
	for (i = 0; i < ni; i++) {
		uint32_t t = itimes[i] < AGAIN_K ? itimes[i] : AGAIN_K;

		for (j = 0; j < t; j++)
			atleast[(size_t)items[i] * AGAIN_K + j]++;
		if (itimes[i] < 2)
			continue;
		if (ngap == agap) {
			size_t na = agap ? 2 * agap : 4096;
			struct gap *q = reallocarray(gaps, na, sizeof(*q));

			if (q == NULL)
				goto oom;
			gaps = q;
			agap = na;
		}
		gaps[ngap].p = items[i];
		gaps[ngap++].days = (float)(ilast[i] - ifirst[i]) /
		    (float)(itimes[i] - 1);
	}
	if (ngap > 0)
		qsort(gaps, ngap, sizeof(*gaps), cmp_gap);
	for (i = 0; i < ngap; i = j) {
		for (j = i; j < ngap && gaps[j].p == gaps[i].p; j++)
			;
		ivl[gaps[i].p] = (j - i) % 2 ? gaps[i + (j - i) / 2].days :
		    (gaps[i + (j - i) / 2 - 1].days + gaps[i + (j - i) /
		    2].days) / 2;
	}
	free(gaps);
	gaps = NULL;
	minc = o->min_count < 1 ? o->min_count * (double)nbuy : o->min_count;
	if ((inv = calloc(P + 1, sizeof(*inv))) == NULL ||
	    (liftk = calloc(P + 1, sizeof(*liftk))) == NULL)
		goto oom;
	for (i = 0; i < P; i++)
		if (cnt[i] > 0) {
			inv[i] = 1.0 / cnt[i];
			liftk[i] = (double)nbuy / cnt[i];
		}
	for (i = 0; i < P * P; i++)
		st.rules += co[i] >= minc && co[i] > 0;
	if (margins(o, end, &nm, P, &px, mg, err) < 0)
		goto done;
	/* Contacts in id order, with consent on the channel. */
	if ((s = crm_db_stmt(db, "SELECT id, external_id, email,"
	    " do_not_contact = 0 AND coalesce(CASE ?1 WHEN 'email' THEN"
	    " email_opt_in WHEN 'sms' THEN sms_opt_in WHEN 'phone' THEN"
	    " phone_opt_in ELSE mail_opt_in END, 0) = 1 FROM contacts WHERE"
	    " merged_into IS"
	    " NULL AND erased_at IS NULL ORDER BY id", err)) == NULL ||
	    crm_db_bind_text(db, s, 1, o->channel ? o->channel : "email",
	    err) < 0)
		goto done;
	j = 0;
	while ((step = crm_db_step(db, s, err)) == 1) {
		int64_t id = crm_db_col_int(s, 0);
		const struct basket *x;
		size_t m = 0, a, c;
		int r;

		st.contacts++;
		while (j < nb && b[j].id < id)
			j++;
		if (j == nb || b[j].id != id)
			continue;
		if (!crm_db_col_int(s, 3)) {
			st.no_consent++;
			continue;
		}
		x = &b[j];
		for (a = 0; a < x->len; a++)
			own[items[x->off + a]] = (uint32_t)(x->off + a + 1);
		for (c = 0; c < P; c++) {
			struct cand best = { 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0 };

			if (own[c] && !again(own[c] - 1, itimes, ifirst, ilast,
			    atleast + (size_t)c * AGAIN_K, ivl[c], today, minc,
			    &best))
				continue;
			if (own[c]) {
				best.p = best.because = (uint32_t)c;
				best.lift = best.conf / ((double)cnt[c] / nbuy);
				best.score = best.conf * mg[c];
				goto insert;
			}
			/*
			 * The empty rule: the share of all buyers who bought
			 * c.  A rule from what the contact bought replaces it
			 * only when it does better (its lift above 1, or a
			 * better margin... the same margin: lift above 1).
			 */
			if (cnt[c] >= minc && cnt[c] > 0) {
				best.p = best.because = (uint32_t)c;
				best.conf = (double)cnt[c] / nbuy;
				best.lift = 1;
				best.score = best.conf * mg[c];
				best.popular = 1;
			}
			for (a = 0; a < x->len; a++) {
				uint32_t p = items[x->off + a];
				uint32_t both = co[(size_t)p * P + c];
				double conf, score, lift;

				if (both == 0 || both < minc)
					continue;
				conf = both * inv[p];
				score = conf * mg[c];
				if (best.score >= 0 && score < best.score)
					continue;
				lift = conf * liftk[c];
				if (best.score >= 0 && score == best.score &&
				    (best.popular || lift < best.lift ||
				    (lift == best.lift && strcmp(nm.v[p],
				    nm.v[best.because]) >= 0)))
					continue;
				best.p = (uint32_t)c;
				best.because = p;
				best.conf = conf;
				best.lift = lift;
				best.score = score;
				best.popular = 0;
			}
			if (best.score < 0)
				continue;
insert:
			/* Insert into the top n. */
			if (m == (size_t)n && !better(&best, &top[m - 1],
			    nm.v))
				continue;
			if (m < (size_t)n)
				m++;
			for (k = m - 1; k > 0 && better(&best, &top[k - 1],
			    nm.v); k--)
				top[k] = top[k - 1];
			top[k] = best;
		}
		for (a = 0; a < x->len; a++)
			own[items[x->off + a]] = 0;
		st.offered += m > 0;
		for (r = 0; r < (int)m; r++) {
			struct crm_offer_row row;

			row.id = id;
			row.external_id = crm_db_col_text(s, 1);
			row.email = crm_db_col_text(s, 2);
			row.rank = r + 1;
			row.product = nm.v[top[r].p];
			row.because = top[r].popular ? NULL :
			    nm.v[top[r].because];
			row.score = top[r].score;
			row.confidence = top[r].conf;
			row.lift = top[r].lift;
			row.margin = mg[top[r].p];
			row.pair_buyers = co[(size_t)top[r].because * P +
			    top[r].p];
			row.again = top[r].again;
			row.popular = top[r].popular;
			row.interval = top[r].interval;
			row.since = top[r].since;
			row.times = top[r].times;
			row.basis = top[r].basis;
			st.offers++;
			if (fn(arg, &row, err) < 0) {
				crm_db_reset(s);
				goto done;
			}
		}
	}
	if (step < 0)
		goto done;
	rc = 0;
	goto done;
oom:
	crm_error_set(err, CRM_EFAIL, "out of memory");
done:
	if (began)
		crm_db_rollback(db);
	if (sto != NULL)
		*sto = st;
	crm_strmap_free(&nm);
	free(b);
	free(items);
	free(co);
	free(cnt);
	free(mg);
	free(own);
	free(top);
	free(itimes);
	free(ifirst);
	free(ilast);
	free(atleast);
	free(ivl);
	free(inv);
	free(liftk);
	free(gaps);
	prices_free(&px);
	free(pl);
	free(live);
	return rc;
}

struct wr {
	struct crm_out *o;
	struct crm_buf reason;
};

static int
write_offer(void *arg, const struct crm_offer_row *x, struct crm_error *err)
{
	struct wr *w = arg;
	char b[7][CRM_NUM_MAX];
	const char *v[11];

	crm_buf_reset(&w->reason);
	if ((x->again && x->times > 1 ? crm_buf_addf(&w->reason, err,
	    "buys %s every %.0f days, last bought %lld days ago; %.0f%% of"
	    " those who bought it on %d days bought it again", x->product,
	    x->interval, (long long)x->since, 100 * x->confidence,
	    x->basis) : x->again ? crm_buf_addf(&w->reason, err, "bought %s"
	    " %lld days ago; %.0f%% of its buyers buy it again, every %.0f"
	    " days", x->product, (long long)x->since, 100 * x->confidence,
	    x->interval) : x->popular ? crm_buf_addf(&w->reason, err,
	    "bought by %.0f%% of customers", 100 * x->confidence) :
	    crm_buf_addf(&w->reason, err, "bought %s; %.0f%%"
	    " of those buy %s, lift %.1f", x->because, 100 * x->confidence,
	    x->product, x->lift)) < 0)
		return -1;
	v[0] = crm_num_int(b[0], x->id);
	v[1] = x->external_id;
	v[2] = x->email;
	v[3] = crm_num_int(b[1], x->rank);
	v[4] = x->product;
	v[5] = crm_num_fixed(b[2], 4, x->score);
	v[6] = crm_num_fixed(b[3], 4, x->confidence);
	v[7] = crm_num_fixed(b[4], 2, x->lift);
	v[8] = crm_num_fixed(b[5], 4, x->margin);
	v[9] = x->because;
	v[10] = crm_buf_str(&w->reason);
	return crm_out_row(w->o, v, err);
}

int
crm_offer_write(struct crm_db *db, const struct crm_offer_opts *opts,
    struct crm_out *o, struct crm_offer_stats *st, struct crm_error *err)
{
	static const char *const names[] = { "id", "external_id", "email",
	    "rank", "product", "score", "confidence", "lift", "margin",
	    "because", "reason" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_TEXT, CRM_COL_TEXT };
	struct wr w = { o, CRM_BUF_INIT(1 << 16) };
	int rc;

	if (crm_out_header(o, names, types, 11, err) < 0)
		return -1;
	rc = crm_offer_each(db, opts, write_offer, &w, st, err);
	crm_buf_release(&w.reason);
	return rc;
}
