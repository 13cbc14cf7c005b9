#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "churn-int.h"
#include "hash.h"
#include "mem.h"
#include "norm.h"
#include "num.h"
#include "rate.h"
#include "stats.h"

/* The day (since 1970-01-01, UTC) that holds moment t. */
static int64_t
day_of(int64_t t)
{
	return (t - ((t % 86400) + 86400) % 86400) / 86400;
}

/*
 * A finite number into buf, with prec significant digits (conv 'g') or
 * decimals ('f'); else an error naming what.  Never "-0".
 */
int
churn_num(char *buf, size_t len, int conv, int prec, double v,
    const char *what, struct crm_error *err)
{
	char tmp[CRM_NUM_MAX];

	if (!isfinite(v))
		return crm_error_set(err, CRM_EFAIL, "%s is not finite", what);
	if (conv == 'f')
		crm_num_fixed(tmp, prec, v);
	else if (prec == 6)
		crm_num_g6(tmp, v);
	else
		snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
	snprintf(buf, len, "%s", crm_num_unsigned_zero(tmp));
	return 0;
}

void
churn_date_str(int64_t t, char out[11])
{
	crm_format_date(t, out);
}

/* ------------------------------------------------------------------ */
/* Bases */

static int
base_grow(struct crm_churn_base *b, struct crm_error *err)
{
	size_t na = b->alloc ? b->alloc * 2 : 1024;
	void *p;

	if ((p = reallocarray(b->c, na, sizeof(*b->c))) == NULL)
		return oom(err);
	b->c = crm_big(p, na, sizeof(*b->c));
	if (b->summaries) {
		b->alloc = na;
		return 0;
	}
	if ((p = reallocarray(b->id, na, sizeof(*b->id))) == NULL)
		return oom(err);
	b->id = crm_big(p, na, sizeof(*b->id));
	if ((p = reallocarray(b->first, na, sizeof(*b->first))) == NULL)
		return oom(err);
	b->first = crm_big(p, na, sizeof(*b->first));
	if ((p = reallocarray(b->hold, na, sizeof(*b->hold))) == NULL)
		return oom(err);
	b->hold = crm_big(p, na, sizeof(*b->hold));
	b->alloc = na;
	return 0;
}

static int
rep_add(struct crm_churn_base *b, int64_t day, struct crm_error *err)
{
	if (b->nrep == b->arep) {
		size_t na = b->arep ? b->arep * 2 : 4096;
		int64_t *p = reallocarray(b->rep, na, sizeof(*p));

		if (p == NULL)
			return oom(err);
		b->rep = p;
		b->arep = na;
	}
	b->rep[b->nrep++] = day;
	return 0;
}

void
crm_churn_base_free(struct crm_churn_base *b)
{
	if (b == NULL)
		return;
	free(b->id);
	free(b->c);
	free(b->first);
	free(b->hold);
	free(b->rep);
	free(b);
}

size_t
crm_churn_base_count(const struct crm_churn_base *b)
{
	return b->n;
}

size_t
crm_churn_base_skipped(const struct crm_churn_base *b)
{
	return b->skipped;
}

/* One contact's purchase days as they stream in. */
struct acc {
	int64_t id, first, last;
	long days, hold;
	double rep_spend;
};

static int
acc_end(struct crm_churn_base *b, const struct acc *a, struct crm_error *err)
{
	struct crm_clv_customer *c;

	if (a->days == 0)
		return 0;	/* first bought after the calibration */
	if (b->n == b->alloc && base_grow(b, err) < 0)
		return -1;
	c = &b->c[b->n];
	c->x = a->days - 1;
	c->t_x = (double)(a->last - a->first) / b->unit_days;
	c->T = (double)(b->cal_day - a->first) / b->unit_days;
	c->zbar = c->x > 0 ? a->rep_spend / (double)c->x : 0;
	b->id[b->n] = a->id;
	b->first[b->n] = a->first;
	b->hold[b->n] = a->hold;
	b->n++;
	return 0;
}

/*
 * Purchases are read with a plain scan of the interactions (a join and a
 * GROUP BY in SQL cost ten times more on millions of rows, the table
 * being in time order, not contact order) and sorted here on a key that
 * packs the contact and the day.
 */
#define DAY_BITS 23
#define DAY_BIAS ((int64_t)1 << (DAY_BITS - 1))
#define CID_MAX (((int64_t)1 << (63 - DAY_BITS)) - 1)

struct buy {
	uint64_t key;		/* contact << DAY_BITS | (day + DAY_BIAS) */
	double amount;
};

struct idpair {
	int64_t id, to;
};

static int
idpair_cmp(const void *pa, const void *pb)
{
	const struct idpair *a = pa, *b = pb;

	return (a->id > b->id) - (a->id < b->id);
}

/* Sort ids[0..n) and to[0..n) (when not NULL) on the ids. */
static int
sort_ids(int64_t *ids, int64_t *to, size_t n, struct crm_error *err)
{
	struct idpair *p;
	size_t i;

	for (i = 1; i < n && ids[i - 1] <= ids[i]; i++)
		;
	if (i >= n)
		return 0;
	if ((p = malloc(n * sizeof(*p))) == NULL)
		return oom(err);
	for (i = 0; i < n; i++) {
		p[i].id = ids[i];
		p[i].to = to != NULL ? to[i] : 0;
	}
	qsort(p, n, sizeof(*p), idpair_cmp);
	for (i = 0; i < n; i++) {
		ids[i] = p[i].id;
		if (to != NULL)
			to[i] = p[i].to;
	}
	free(p);
	return 0;
}

/* Sorted ids (and what they map to) from a query of one or two columns. */
static int
load_ids(struct crm_db *db, const char *sql, int64_t **ids, int64_t **to,
    size_t *n, struct crm_error *err)
{
	struct crm_stmt *st;
	size_t a = 0;
	int rc;

	*ids = NULL;
	if (to != NULL)
		*to = NULL;
	*n = 0;
	if ((st = crm_db_stmt(db, sql, err)) == NULL)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		if (*n == a) {
			int64_t *p;

			a = a ? 2 * a : 64;
			if ((p = reallocarray(*ids, a, sizeof(*p))) == NULL)
				goto nomem;
			*ids = p;
			if (to != NULL) {
				if ((p = reallocarray(*to, a, sizeof(*p))) ==
				    NULL)
					goto nomem;
				*to = p;
			}
		}
		(*ids)[*n] = crm_db_col_int(st, 0);
		if (to != NULL)
			(*to)[*n] = crm_db_col_int(st, 1);
		(*n)++;
	}
	if (rc < 0)
		return -1;
	return sort_ids(*ids, to != NULL ? *to : NULL, *n, err);
nomem:
	crm_db_reset(st);
	return oom(err);
}

static long
find_id(const int64_t *ids, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && ids[lo] == id ? (long)lo : -1;
}

/*
 * LSD radix sort on the key, stable, in digits of 11 bits that start at
 * the lowest bit not yet sorted on that varies between keys: purchases
 * over a few years of a million contacts take four passes.
 */
#define RADIX_BITS 11

static int
sort_buys(struct buy *v, size_t n, struct crm_error *err)
{
	struct buy *tmp, *src = v, *dst;
	size_t *cnt, i, sum;
	uint64_t diff = 0, mask = ((uint64_t)1 << RADIX_BITS) - 1;
	int shift, k;

	if (n < 2)
		return 0;
	for (i = 1; i < n; i++)
		diff |= v[i].key ^ v[0].key;
	if ((tmp = crm_big(malloc(n * sizeof(*tmp)), n, sizeof(*tmp))) == NULL)
		return oom(err);
	if ((cnt = malloc((mask + 1) * sizeof(*cnt))) == NULL) {
		free(tmp);
		return oom(err);
	}
	dst = tmp;
	for (shift = 0; shift < 64; shift += RADIX_BITS) {
		struct buy *t;

		while (shift < 64 && !(diff >> shift & 1))
			shift++;
		if (shift == 64)
			break;
		memset(cnt, 0, (mask + 1) * sizeof(*cnt));
		for (i = 0; i < n; i++)
			cnt[(src[i].key >> shift) & mask]++;
		for (k = 0, sum = 0; k <= (int)mask; k++) {
			size_t c = cnt[k];

			cnt[k] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[cnt[(src[i].key >> shift) & mask]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
	free(cnt);
	free(tmp);
	return 0;
}


/* Below this many interactions one thread reads them all. */
#define SHARE_MIN 1024

/* Merged contacts (with their final survivors) and erased ones. */
struct idmap {
	int64_t *mid, *mto, *gone;
	size_t nm, ng;
};

static void
idmap_free(struct idmap *m)
{
	free(m->mid);
	free(m->mto);
	free(m->gone);
}

static int
idmap_load(struct crm_db *db, struct idmap *m, struct crm_error *err)
{
	size_t i;
	int hop;

	memset(m, 0, sizeof(*m));
	/* No ORDER BY: it would take a scan instead of the partial index. */
	if (load_ids(db, "SELECT id, merged_into FROM contacts WHERE"
	    " merged_into IS NOT NULL", &m->mid, &m->mto, &m->nm, err) < 0 ||
	    load_ids(db, "SELECT id FROM contacts WHERE erased_at IS NOT NULL"
	    " ORDER BY id", &m->gone, NULL, &m->ng, err) < 0)
		return -1;
	/* Merges may chain: point each at its final survivor. */
	for (i = 0; i < m->nm; i++)
		for (hop = 0; hop < 64; hop++) {
			long j = find_id(m->mid, m->nm, m->mto[i]);

			if (j < 0 || m->mid[j] == m->mid[i])
				break;
			m->mto[i] = m->mto[j];
		}
	return 0;
}

/*
 * One thread's share of the purchases: those of the interactions with
 * lo <= id < hi before day end_day + 1, of surviving contacts, sorted.
 */
struct share {
	const char *currency;
	const struct crm_rates *rates;	/* NULL: other currencies left out */
	size_t converted, other;	/* purchases in other currencies */
	struct crm_db *db;
	const struct idmap *map;
	int64_t end_day, lo, hi;
	struct buy *v;
	size_t n;
	int rc;
	struct crm_error err;
};

static int
scan_buys(struct share *s)
{
	const struct idmap *m = s->map;
	struct crm_error *err = &s->err;
	struct buy *v = NULL;
	struct crm_stmt *st;
	size_t n = 0, a = 0;
	int step;

	if ((st = crm_db_stmt(s->db, "SELECT contact_id, at, amount, currency"
	    " FROM interactions WHERE id >= ?2 AND id < ?3 AND kind ="
	    " 'purchase' AND at < ?1", err)) == NULL ||
	    crm_db_bind_int(s->db, st, 1, (s->end_day + 1) * 86400, err) < 0 ||
	    crm_db_bind_int(s->db, st, 2, s->lo, err) < 0 ||
	    crm_db_bind_int(s->db, st, 3, s->hi, err) < 0)
		return -1;
	while ((step = crm_db_step(s->db, st, err)) == 1) {
		int64_t cid = crm_db_col_int(st, 0);
		int64_t day = day_of(crm_db_col_int(st, 1));
		double amount = crm_db_col_double(st, 2);
		const char *cur;
		long j;

		/*
		 * Another currency than the one asked for: converted at its
		 * day's rate, or without rates left out.
		 */
		if (s->currency != NULL && (cur = crm_db_col_text(st, 3)) !=
		    NULL && strcmp(cur, s->currency) != 0) {
			if (s->rates == NULL) {
				s->other++;
				continue;
			}
			if (crm_rate_convert(s->rates, amount, cur,
			    s->currency, crm_db_col_int(st, 1), &amount,
			    err) < 0) {
				crm_db_reset(st);
				goto fail;
			}
			s->converted++;
		}

		/* A merge cycle or a chain too long leaves it merged. */
		if (m->nm > 0 && (j = find_id(m->mid, m->nm, cid)) >= 0 &&
		    find_id(m->mid, m->nm, (cid = m->mto[j])) >= 0)
			continue;
		if (m->ng > 0 && find_id(m->gone, m->ng, cid) >= 0)
			continue;
		if (cid < 1 || cid > CID_MAX || day < -DAY_BIAS ||
		    day >= DAY_BIAS) {
			crm_db_reset(st);
			crm_error_set(err, CRM_EDATA, "purchase of contact %lld"
			    " on day %lld: out of range", (long long)cid,
			    (long long)day);
			goto fail;
		}
		if (n == a) {
			struct buy *p;

			a = a ? 2 * a : 4096;
			if ((p = reallocarray(v, a, sizeof(*p))) == NULL) {
				crm_db_reset(st);
				oom(err);
				goto fail;
			}
			v = crm_big(p, a, sizeof(*p));
		}
		v[n].key = (uint64_t)cid << DAY_BITS | (uint64_t)(day +
		    DAY_BIAS);
		v[n].amount = amount;
		n++;
	}
	if (step < 0 || sort_buys(v, n, err) < 0)
		goto fail;
	s->v = v;
	s->n = n;
	return 0;
fail:
	free(v);
	return -1;
}

static void *
share_job(void *arg)
{
	struct share *s = arg;

	s->rc = scan_buys(s);
	return NULL;
}

/*
 * Purchases in several currencies up to the end of day end_day, without
 * opts' currency, or none in it: an error listing them.
 */
static int
check_currency(struct crm_db *db, const char *want, int rates,
    int64_t end_day, struct crm_error *err)
{
	struct crm_stmt *st;
	char list[200] = "";
	size_t len = 0;
	int step, n = 0, found = 0;

	if ((st = crm_db_stmt(db, "SELECT DISTINCT currency FROM interactions"
	    " WHERE kind = 'purchase' AND currency IS NOT NULL AND at < ?1"
	    " ORDER BY 1 LIMIT 21", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, (end_day + 1) * 86400, err) < 0)
		return -1;
	while ((step = crm_db_step(db, st, err)) == 1) {
		const char *c = crm_db_col_text(st, 0);

		if (c == NULL)
			continue;
		found |= want != NULL && strcmp(c, want) == 0;
		if (++n <= 20 && len + 8 < sizeof(list))
			len += (size_t)snprintf(list + len, sizeof(list) - len,
			    "%s%s", n > 1 ? ", " : "", c);
	}
	if (step < 0)
		return -1;
	if (want != NULL && !found && !rates)
		return crm_error_set(err, CRM_EDATA, "no purchase in %s (the "
		    "purchases are in %s) and no rates to convert them to it"
		    " (crm-segment rates FILE)", want, n ? list :
		    "no currency");
	if (want == NULL && n > 1)
		return crm_error_set(err, CRM_EDATA, "purchases in %s%d "
		    "currencies (%s%s): their amounts cannot be added up; give"
		    " the currency of the spend model (--currency %.3s): the"
		    " others are converted to it at their day's rate, or left"
		    " out when no rates were imported (crm-segment rates)",
		    n > 20 ? "more than " : "", n > 20 ? 20 : n, list, n > 20 ?
		    ", ..." : "", list);
	return 0;
}

/*
 * A second connection to db's file for another thread, in a read
 * transaction that sees what db's does (see crm_db_begin_read()), or NULL:
 * then one thread does all.
 */
static struct crm_db *
second_db(struct crm_db *db)
{
	struct crm_error e;
	struct crm_db *d;

	if ((d = crm_db_open(crm_db_name(db), 0, &e)) == NULL)
		return NULL;
	if (crm_db_map_reads(d, &e) < 0 || crm_db_begin_read(d, &e) < 0) {
		crm_db_close(d);
		return NULL;
	}
	return d;
}

void
churn_second_close(struct crm_db *d)
{
	crm_db_rollback(d);
	crm_db_close(d);
}

/* The purchases of one contact day after another, from two sorted shares. */
struct stream {
	const struct buy *a, *b;
	size_t na, nb;
};

static const struct buy *
stream_peek(const struct stream *s)
{
	if (s->na == 0)
		return s->nb ? s->b : NULL;
	if (s->nb == 0 || s->a->key <= s->b->key)
		return s->a;
	return s->b;
}

static void
stream_next(struct stream *s)
{
	if (s->na > 0 && (s->nb == 0 || s->a->key <= s->b->key)) {
		s->a++;
		s->na--;
	} else {
		s->b++;
		s->nb--;
	}
}

/*
 * The purchases are read in two shares of the interactions by id, by two
 * threads on two connections when there are enough of them.  If second
 * is not NULL, the second connection, still in its read transaction, is
 * handed over there (NULL if there was none).
 */
struct crm_churn_base *
churn_base_load(struct crm_db *db,
    const struct crm_churn_base_opts *opts, struct crm_db **second,
    struct crm_error *err)
{
	struct crm_churn_base *b;
	struct share s[2];
	struct stream in;
	struct idmap map;
	const struct buy *p;
	struct crm_db *db2 = NULL;
	struct crm_rates *rates = NULL;
	struct acc a;
	pthread_t tid;
	int64_t end_day, last, lo, hi;
	int own_tx = 0, threaded = 0;

	memset(s, 0, sizeof(s));
	memset(&map, 0, sizeof(map));
	if (second != NULL)
		*second = NULL;
	if (opts->unit_days != 1 && opts->unit_days != 7) {
		crm_error_set(err, CRM_EUSAGE, "unit must be 1 or 7 days");
		return NULL;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		oom(err);
		return NULL;
	}
	b->unit_days = opts->unit_days;
	/*
	 * Before the read transaction below: set after it had read, the
	 * reads went on with pread() (strace shows it).
	 */
	if (crm_db_map_reads(db, err) < 0)
		goto fail;
	/* Both threads see one snapshot, a transaction of db's. */
	if (!crm_db_in_tx(db)) {
		if (crm_db_begin_read(db, err) < 0)
			goto fail;
		own_tx = 1;
	}
	if (opts->cal_end != 0)
		b->cal_day = day_of(opts->cal_end);
	else {
		if (crm_db_query_int(db, "SELECT coalesce(max(at), -1) FROM"
		    " interactions WHERE kind = 'purchase'", &last, err) < 0)
			goto fail;
		if (last == -1) {
			crm_error_set(err, CRM_EDATA, "no purchases in the"
			    " interaction log (kind 'purchase')");
			goto fail;
		}
		b->cal_day = day_of(last);
	}
	end_day = b->cal_day;
	if (opts->holdout_end != 0) {
		b->holdout = 1;
		b->hold_day = day_of(opts->holdout_end);
		if (b->hold_day <= b->cal_day) {
			char d1[11], d2[11];

			churn_date_str(b->hold_day * 86400, d1);
			churn_date_str(b->cal_day * 86400, d2);
			crm_error_set(err, CRM_EUSAGE, "holdout end %s is not"
			    " after the calibration end %s", d1, d2);
			goto fail;
		}
		end_day = b->hold_day;
	}
	if (idmap_load(db, &map, err) < 0 ||
	    crm_db_query_int(db, "SELECT coalesce(min(id), 0) FROM"
	    " interactions", &lo, err) < 0 ||
	    crm_db_query_int(db, "SELECT coalesce(max(id), -1) + 1 FROM"
	    " interactions", &hi, err) < 0)
		goto fail;
	if (opts->currency != NULL) {
		if ((rates = crm_rates_load(db, err)) == NULL)
			goto fail;
		if (crm_rates_count(rates) == 0) {
			crm_rates_free(rates);
			rates = NULL;
		}
	}
	if (check_currency(db, opts->currency, rates != NULL, end_day,
	    err) < 0)
		goto fail;
	s[0].currency = s[1].currency = opts->currency;
	s[0].rates = s[1].rates = rates;
	if (opts->currency != NULL)
		snprintf(b->currency, sizeof(b->currency), "%s",
		    opts->currency);
	s[0].db = db;
	s[0].lo = lo;
	s[0].hi = s[1].lo = s[1].hi = hi;
	s[0].map = s[1].map = &map;
	s[0].end_day = s[1].end_day = end_day;
	if (hi - lo >= SHARE_MIN && (db2 = second_db(db)) != NULL) {
		s[1].db = db2;
		s[0].hi = s[1].lo = lo + (hi - lo) / 2;
		if (pthread_create(&tid, NULL, share_job, &s[1]) == 0)
			threaded = 1;
		else
			s[0].hi = hi;
	}
	s[0].rc = scan_buys(&s[0]);
	if (threaded) {
		pthread_join(tid, NULL);
		if (s[0].rc == 0 && s[1].rc < 0) {
			*err = s[1].err;
			goto fail;
		}
	}
	if (s[0].rc < 0) {
		*err = s[0].err;
		goto fail;
	}
	b->converted = s[0].converted + s[1].converted;
	b->other = s[0].other + s[1].other;
	in.a = s[0].v;
	in.na = s[0].n;
	in.b = s[1].v;
	in.nb = s[1].n;
	memset(&a, 0, sizeof(a));
	while ((p = stream_peek(&in)) != NULL) {
		uint64_t key = p->key;
		int64_t id = (int64_t)(key >> DAY_BITS);
		int64_t day = (int64_t)(key & (((uint64_t)1 << DAY_BITS) -
		    1)) - DAY_BIAS;
		double amt = 0;

		/* one purchase day: its amounts summed */
		for (; p != NULL && p->key == key; p = stream_peek(&in)) {
			amt += p->amount;
			stream_next(&in);
		}
		if (id != a.id) {
			if (acc_end(b, &a, err) < 0)
				goto fail;
			memset(&a, 0, sizeof(a));
			a.id = id;
			a.first = day;
			if (day > b->cal_day) {
				a.first = INT64_MAX;	/* not a customer yet */
				continue;
			}
		} else if (a.first == INT64_MAX)
			continue;
		if (day <= b->cal_day) {
			if (a.days > 0)
				a.rep_spend += amt;
			a.days++;
			a.last = day;
		} else
			a.hold++;
		if (b->holdout && day > a.first && rep_add(b, day, err) < 0)
			goto fail;
	}
	if (acc_end(b, &a, err) < 0)
		goto fail;
	if (b->n == 0) {
		char d[11];

		churn_date_str(b->cal_day * 86400, d);
		crm_error_set(err, CRM_EDATA, "no purchases up to %s in the"
		    " interaction log (kind 'purchase')", d);
		goto fail;
	}
	if (second != NULL) {
		*second = db2;
		db2 = NULL;
	}
	goto done;
fail:
	crm_churn_base_free(b);
	b = NULL;
done:
	free(s[0].v);
	free(s[1].v);
	crm_rates_free(rates);
	idmap_free(&map);
	if (db2 != NULL)
		churn_second_close(db2);
	if (own_tx)
		crm_db_rollback(db);
	return b;
}

struct crm_churn_base *
crm_churn_base_db(struct crm_db *db, const struct crm_churn_base_opts *opts,
    struct crm_error *err)
{
	return churn_base_load(db, opts, NULL, err);
}

int
churn_parse_num(const char *s, double *v)
{
	static const double p10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
	    1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15 };
	const char *p = s + (*s == '-');
	uint64_t m = 0;
	int nd = 0, frac = -1;
	char *end;

	/*
	 * Plain decimals of up to 15 digits, as summaries are written: an
	 * exact integer divided by an exact power of ten is correctly
	 * rounded, the same double strtod gives, several times faster.
	 */
	for (; nd <= 15; p++) {
		if (*p >= '0' && *p <= '9') {
			m = m * 10 + (uint64_t)(*p - '0');
			nd++;
			if (frac >= 0)
				frac++;
		} else if (*p == '.' && frac < 0)
			frac = 0;
		else
			break;
	}
	if (*p == '\0' && nd > 0 && nd <= 15) {
		*v = (double)m / p10[frac > 0 ? frac : 0];
		if (*s == '-')
			*v = -*v;
		return 0;
	}
	errno = 0;
	*v = strtod(s, &end);
	return end != s && *end == '\0' && errno == 0 && isfinite(*v) ? 0 : -1;
}

struct crm_churn_base *
crm_churn_base_csv(const char *path, int flags, struct crm_error *err)
{
	static const struct crm_csv_col cols[] = {
		{ "x", "frequency" },
		{ "t_x", "recency" },
		{ "t", "age" },
		{ "zbar", "monetary_value|mean_spend" },
	};
	static const char *const names[] = { "x", "t_x", "T", "zbar" };
	struct crm_churn_base *b;
	struct crm_csv *r;
	char q[CRM_QUOTE_MAX];
	double v[4];
	int idx[4], rc, i;

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		oom(err);
		return NULL;
	}
	b->summaries = 1;
	if ((r = crm_csv_open(path, flags, err)) == NULL)
		goto fail;
	if (crm_csv_header(r, cols, 4, idx, err) < 0)
		goto fail;
	for (i = 0; i < 3; i++)
		if (idx[i] < 0) {
			crm_error_set(err, CRM_EDATA, "%s: no column %s (or %s)",
			    crm_csv_name(r), names[i], cols[i].aliases);
			goto fail;
		}
	while ((rc = crm_csv_next(r, err)) == 1) {
		struct crm_clv_customer *c;
		const char *bad = NULL;

		if (crm_csv_missing(r, idx[0])) {
			b->skipped++;
			continue;
		}
		for (i = 0; i < 4; i++) {
			v[i] = 0;
			if (idx[i] < 0 || (i == 3 && crm_csv_missing(r,
			    idx[i])))
				continue;
			if (churn_parse_num(crm_csv_field(r, idx[i]), &v[i]) < 0) {
				const char *f = crm_csv_field(r, idx[i]);

				crm_error_set(err, CRM_EDATA, "%s:%ld: invalid"
				    " %s '%s'", crm_csv_name(r),
				    crm_csv_line(r), names[i],
				    crm_quote(q, f, strlen(f)));
				goto fail;
			}
		}
		if (v[0] < 0 || v[0] != floor(v[0]) || v[0] > 1e9)
			bad = "x must be a whole number >= 0";
		else if (!(v[2] > 0))
			bad = "T must be > 0";
		else if (v[1] < 0 || v[1] > v[2])
			bad = "t_x must be in [0, T]";
		else if (v[0] == 0 && v[1] != 0)
			bad = "t_x must be 0 when x is 0";
		else if (v[3] < 0)
			bad = "zbar must be >= 0";
		if (bad != NULL) {
			crm_error_set(err, CRM_EDATA, "%s:%ld: %s (x %g, t_x"
			    " %g, T %g)", crm_csv_name(r), crm_csv_line(r),
			    bad, v[0], v[1], v[2]);
			goto fail;
		}
		if (b->n == b->alloc && base_grow(b, err) < 0)
			goto fail;
		c = &b->c[b->n];
		c->x = (long)v[0];
		c->t_x = v[1];
		c->T = v[2];
		c->zbar = v[0] > 0 ? v[3] : 0;
		b->n++;
	}
	if (rc < 0)
		goto fail;
	if (b->n == 0) {
		crm_error_set(err, CRM_EDATA, "%s: no customers",
		    crm_csv_name(r));
		goto fail;
	}
	crm_csv_close(r);
	return b;
fail:
	crm_csv_close(r);
	crm_churn_base_free(b);
	return NULL;
}

