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
#include "churn.h"
#include "hash.h"
#include "mem.h"
#include "norm.h"
#include "stats.h"

struct crm_churn_base {
	size_t n, alloc;
	int64_t *id;			/* contact ids, ascending (db) */
	struct crm_clv_customer *c;
	int64_t *first;			/* first purchase day (db) */
	long *hold;			/* purchase days in the holdout */
	int64_t *rep;			/* every repeat purchase day */
	size_t nrep, arep;
	int64_t cal_day, hold_day;	/* days since 1970 */
	int unit_days;
	int holdout;
	int summaries;			/* read from a file: c only */
	size_t skipped;
};

static int
oom(struct crm_error *err)
{
	return crm_error_set(err, CRM_EFAIL, "out of memory");
}

/* The day (since 1970-01-01, UTC) that holds moment t. */
static int64_t
day_of(int64_t t)
{
	return (t - ((t % 86400) + 86400) % 86400) / 86400;
}

/* 10^k for k = -1 .. 5, as pow10_6[k + 1]. */
static const double pow10_6[] = { 0.1, 1, 10, 100, 1000, 10000, 100000 };

/*
 * v with prec decimals, as snprintf "%.*f" writes it, faster: v 10^prec
 * rounded to an integer, unless it lies so near a half that the rounding
 * of the product could decide (then snprintf does it).  0 if it did.
 */
static int
fixed(char *buf, size_t len, int prec, double v)
{
	static const double p10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6 };
	char tmp[32];
	double t, r;
	uint64_t u;
	int n = 0, i = 0;

	if (prec < 0 || prec > 6 || !(fabs(v) < 1e12) || len < 24)
		return -1;
	t = fabs(v) * p10[prec];
	r = floor(t);
	if (fabs(t - r - 0.5) <= t * 1e-15 + 1e-300)
		return -1;
	u = (uint64_t)r + (t - r > 0.5);
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
		if (n == prec)
			tmp[n++] = '.';
	} while (u > 0 || n < (prec ? prec + 2 : 1));
	if (v < 0)
		buf[i++] = '-';
	while (n > 0)
		buf[i++] = tmp[--n];
	buf[i] = '\0';
	return 0;
}

/*
 * v as snprintf "%.6g" writes it, faster, for 0 and 0.1 <= |v| < 1e6
 * (times in days or weeks): fixed() with as many decimals as six
 * significant digits leave, trailing zeros and point dropped.  A rounding
 * that carries into a new digit gives the same digits with one decimal
 * fewer, as %g has it, except at 1e6, where %g turns to an exponent.
 * 0 if it did, -1 if snprintf has to.
 */
static int
fixed_g6(char *buf, size_t len, double v)
{
	double a = fabs(v);
	size_t n;
	int e;

	if (v == 0) {
		snprintf(buf, len, "0");
		return 0;
	}
	if (!(a >= 0.1 && a < 1e6))
		return -1;
	for (e = -1; e < 5 && a >= pow10_6[e + 2]; e++)
		;
	if (fixed(buf, len, 5 - e, v) < 0)
		return -1;
	if (e == 5 && strlen(buf) > 6 + (v < 0))
		return -1;	/* 999999.5 and up: %g says 1e+06 */
	if (strchr(buf, '.') != NULL) {
		n = strlen(buf);
		while (buf[n - 1] == '0')
			buf[--n] = '\0';
		if (buf[n - 1] == '.')
			buf[--n] = '\0';
	}
	return 0;
}

/*
 * A finite number into buf, with prec significant digits (conv 'g') or
 * decimals ('f'); else an error naming what.  Never "-0".
 */
static int
num(char *buf, size_t len, int conv, int prec, double v, const char *what,
    struct crm_error *err)
{
	char *p;

	if (!isfinite(v))
		return crm_error_set(err, CRM_EFAIL, "%s is not finite", what);
	if (conv == 'f' ? fixed(buf, len, prec, v) < 0 :
	    prec != 6 || fixed_g6(buf, len, v) < 0)
		snprintf(buf, len, conv == 'g' ? "%.*g" : "%.*f", prec, v);
	if (buf[0] == '-') {
		for (p = buf + 1; *p == '0' || *p == '.'; p++)
			;
		if (*p == '\0')
			memmove(buf, buf + 1, strlen(buf));
	}
	return 0;
}

static void
date_str(int64_t t, char out[11])
{
	crm_format_date(t, out);
}

/* JSON string literal of s appended to b. */
static int
json_str(struct crm_buf *b, const char *s, struct crm_error *err)
{
	if (crm_buf_addc(b, '"', err) < 0)
		return -1;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			if (crm_buf_addc(b, '\\', err) < 0 ||
			    crm_buf_addc(b, ch, err) < 0)
				return -1;
		} else if (ch < 0x20) {
			if (crm_buf_addf(b, err, "\\u%04x", ch) < 0)
				return -1;
		} else if (crm_buf_addc(b, ch, err) < 0)
			return -1;
	}
	return crm_buf_addc(b, '"', err);
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

	if ((st = crm_db_stmt(s->db, "SELECT contact_id, at, amount FROM"
	    " interactions WHERE id >= ?2 AND id < ?3 AND kind = 'purchase'"
	    " AND at < ?1", err)) == NULL ||
	    crm_db_bind_int(s->db, st, 1, (s->end_day + 1) * 86400, err) < 0 ||
	    crm_db_bind_int(s->db, st, 2, s->lo, err) < 0 ||
	    crm_db_bind_int(s->db, st, 3, s->hi, err) < 0)
		return -1;
	while ((step = crm_db_step(s->db, st, err)) == 1) {
		int64_t cid = crm_db_col_int(st, 0);
		int64_t day = day_of(crm_db_col_int(st, 1));
		long j;

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
		v[n].amount = crm_db_col_double(st, 2);
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

static void
second_close(struct crm_db *d)
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
static struct crm_churn_base *
base_load(struct crm_db *db, const struct crm_churn_base_opts *opts,
    struct crm_db **second, struct crm_error *err)
{
	struct crm_churn_base *b;
	struct share s[2];
	struct stream in;
	struct idmap map;
	const struct buy *p;
	struct crm_db *db2 = NULL;
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

			date_str(b->hold_day * 86400, d1);
			date_str(b->cal_day * 86400, d2);
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

		date_str(b->cal_day * 86400, d);
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
	idmap_free(&map);
	if (db2 != NULL)
		second_close(db2);
	if (own_tx)
		crm_db_rollback(db);
	return b;
}

struct crm_churn_base *
crm_churn_base_db(struct crm_db *db, const struct crm_churn_base_opts *opts,
    struct crm_error *err)
{
	return base_load(db, opts, NULL, err);
}

static int
parse_num(const char *s, double *v)
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
			if (parse_num(crm_csv_field(r, idx[i]), &v[i]) < 0) {
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

/* ------------------------------------------------------------------ */
/* Fitting and storing */

int
crm_churn_kind(const char *name)
{
	if (strcmp(name, "bgnbd") == 0)
		return CRM_CLV_BGNBD;
	if (strcmp(name, "pareto") == 0)
		return CRM_CLV_PARETO;
	return 0;
}

const char *
crm_churn_kind_name(int kind)
{
	return kind == CRM_CLV_BGNBD ? "bgnbd" : kind == CRM_CLV_PARETO ?
	    "pareto" : "?";
}

static const char *
kind_title(int kind)
{
	return kind == CRM_CLV_BGNBD ? "BG/NBD" : "Pareto/NBD";
}

static void
fit_spend(const struct crm_churn_base *b, struct crm_churn_model *cm)
{
	struct crm_clv_customer *s;
	double *x, *z;
	size_t i, n = 0, m = 0;

	crm_error_clear(&cm->spend_err);
	for (i = 0; i < b->n; i++)
		m += b->c[i].x > 0 && b->c[i].T > 0 && b->c[i].zbar > 0;
	if (m == 0) {
		crm_error_set(&cm->spend_err, CRM_EDATA, "no repeat buyer with"
		    " a positive spend");
		return;
	}
	s = crm_big(malloc(m * sizeof(*s)), m, sizeof(*s));
	x = crm_big(malloc(m * sizeof(*x)), m, sizeof(*x));
	z = crm_big(malloc(m * sizeof(*z)), m, sizeof(*z));
	if (s == NULL || x == NULL || z == NULL) {
		free(s);
		free(x);
		free(z);
		oom(&cm->spend_err);
		return;
	}
	for (i = 0; i < b->n; i++)
		if (b->c[i].x > 0 && b->c[i].T > 0 && b->c[i].zbar > 0) {
			s[n] = b->c[i];
			x[n] = (double)s[n].x;
			z[n] = s[n].zbar;
			n++;
		}
	if (crm_clv_gg_fit(s, n, &cm->gg, &cm->gg_info,
	    &cm->spend_err) == 0) {
		if (cm->gg_info.converged)
			cm->has_spend = 1;
		else
			crm_error_set(&cm->spend_err, CRM_EDATA, "the"
			    " Gamma-Gamma fit did not converge in %d"
			    " iterations", cm->gg_info.iterations);
	}
	cm->has_corr = n >= 2 && crm_stats_pearson(x, z, n, &cm->spend_corr,
	    NULL) == 0 && isfinite(cm->spend_corr);
	free(s);
	free(x);
	free(z);
}

int
crm_churn_fit(const struct crm_churn_base *b, int kind,
    struct crm_churn_model *cm, struct crm_error *err)
{
	struct crm_clv_customer *copy = NULL;
	size_t i, n = 0;
	int rc;

	memset(cm, 0, sizeof(*cm));
	cm->unit_days = b->unit_days;
	cm->cal_end = b->unit_days ? b->cal_day * 86400 : 0;
	for (i = 0; i < b->n; i++) {
		if (!(b->c[i].T > 0)) {
			cm->new_customers++;
			continue;
		}
		if (b->c[i].x > 0) {
			cm->repeaters++;
			cm->repeat_purchases += b->c[i].x;
		}
	}
	n = b->n - cm->new_customers;
	cm->customers = n;
	if (n == 0 || cm->repeaters == 0)
		return crm_error_set(err, CRM_EDATA, "%s: none of the %zu"
		    " customers made a repeat purchase: the model cannot be"
		    " fitted", kind_title(kind), n);
	/* A copy without the new customers only when there are some. */
	if (cm->new_customers > 0) {
		if ((copy = crm_big_calloc(n, sizeof(*copy))) == NULL)
			return oom(err);
		for (i = 0, n = 0; i < b->n; i++)
			if (b->c[i].T > 0)
				copy[n++] = b->c[i];
	}
	rc = crm_clv_fit(kind, copy ? copy : b->c, n, &cm->m, &cm->info,
	    err);
	free(copy);
	if (rc < 0)
		return -1;
	fit_spend(b, cm);
	return 0;
}

int
crm_churn_model_store(struct crm_db *db, struct crm_churn_model *cm,
    struct crm_error *err)
{
	struct crm_buf p = CRM_BUF_INIT(1 << 16);
	struct crm_stmt *st;
	int bg = cm->m.kind == CRM_CLV_BGNBD, rc = -1;

	if (crm_buf_addf(&p, err, "{\"r\":%.17g,\"alpha\":%.17g,\"%s\":%.17g,"
	    "\"%s\":%.17g,\"repeaters\":%zu,\"repeat_purchases\":%ld,"
	    "\"new_customers\":%zu,\"evaluations\":%d", cm->m.r, cm->m.alpha,
	    bg ? "a" : "s", cm->m.a, bg ? "b" : "beta", cm->m.b,
	    cm->repeaters, cm->repeat_purchases, cm->new_customers,
	    cm->info.evaluations) < 0)
		goto done;
	if (cm->has_spend && crm_buf_addf(&p, err, ",\"spend\":{\"p\":%.17g,"
	    "\"q\":%.17g,\"v\":%.17g,\"loglik\":%.17g,\"n\":%zu,"
	    "\"iterations\":%d,\"converged\":%s", cm->gg.p, cm->gg.q,
	    cm->gg.v, cm->gg_info.loglik, cm->gg_info.n,
	    cm->gg_info.iterations, cm->gg_info.converged ? "true" :
	    "false") < 0)
		goto done;
	if (cm->has_spend && cm->has_corr && crm_buf_addf(&p, err,
	    ",\"corr\":%.17g", cm->spend_corr) < 0)
		goto done;
	if (crm_buf_adds(&p, cm->has_spend ? "}}" : "}", err) < 0)
		goto done;
	if ((st = crm_db_stmt(db, "INSERT INTO models (kind, params, loglik,"
	    " iterations, converged, n, unit, calibration_end, fitted_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, crm_churn_kind_name(cm->m.kind),
	    err) < 0 ||
	    crm_db_bind_text(db, st, 2, crm_buf_str(&p), err) < 0 ||
	    crm_db_bind_double(db, st, 3, cm->info.loglik, err) < 0 ||
	    crm_db_bind_int(db, st, 4, cm->info.iterations, err) < 0 ||
	    crm_db_bind_int(db, st, 5, cm->info.converged, err) < 0 ||
	    crm_db_bind_int(db, st, 6, (int64_t)cm->customers, err) < 0 ||
	    crm_db_bind_text(db, st, 7, cm->unit_days == 7 ? "week" : "day",
	    err) < 0 ||
	    crm_db_bind_int(db, st, 8, cm->cal_end, err) < 0 ||
	    crm_db_bind_int(db, st, 9, crm_now(), err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		goto done;
	cm->id = crm_db_last_id(db);
	rc = 0;
done:
	crm_buf_release(&p);
	return rc;
}

static double
coldbl(struct crm_stmt *st, int i, int *null)
{
	if (crm_db_col_isnull(st, i)) {
		*null = 1;
		return 0;
	}
	return crm_db_col_double(st, i);
}

int
crm_churn_model_load(struct crm_db *db, int64_t id, int kind,
    struct crm_churn_model *cm, struct crm_error *err)
{
	struct crm_stmt *st;
	const char *k, *unit;
	int rc, nul = 0, snul = 0, cnul = 0;

	memset(cm, 0, sizeof(*cm));
	if ((st = crm_db_stmt(db, "SELECT id, kind, loglik, iterations,"
	    " converged, n, unit, calibration_end,"
	    " json_extract(params, '$.r'), json_extract(params, '$.alpha'),"
	    " coalesce(json_extract(params, '$.a'),"
	    "  json_extract(params, '$.s')),"
	    " coalesce(json_extract(params, '$.b'),"
	    "  json_extract(params, '$.beta')),"
	    " json_extract(params, '$.repeaters'),"
	    " json_extract(params, '$.repeat_purchases'),"
	    " json_extract(params, '$.new_customers'),"
	    " json_extract(params, '$.spend.p'),"
	    " json_extract(params, '$.spend.q'),"
	    " json_extract(params, '$.spend.v'),"
	    " json_extract(params, '$.spend.loglik'),"
	    " json_extract(params, '$.spend.n'),"
	    " json_extract(params, '$.spend.iterations'),"
	    " json_extract(params, '$.spend.converged'),"
	    " json_extract(params, '$.spend.corr')"
	    " FROM models WHERE CASE WHEN ?1 > 0 THEN id = ?1"
	    " WHEN ?2 IS NOT NULL THEN kind = ?2"
	    " ELSE kind = 'bgnbd' OR kind = 'pareto' END"
	    " ORDER BY id DESC LIMIT 1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_bind_text(db, st, 2, kind ? crm_churn_kind_name(kind) :
	    NULL, err) < 0)
		return -1;
	if ((rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 0) {
		if (id > 0)
			return crm_error_set(err, CRM_EDATA, "no model %lld",
			    (long long)id);
		return crm_error_set(err, CRM_EDATA, "no %s model: run"
		    " crm-churn fit first", kind ? crm_churn_kind_name(kind) :
		    "BG/NBD or Pareto/NBD");
	}
	cm->id = crm_db_col_int(st, 0);
	k = crm_db_col_text(st, 1);
	if ((cm->m.kind = crm_churn_kind(k ? k : "")) == 0) {
		crm_error_set(err, CRM_EDATA, "model %lld is a %s model, not"
		    " BG/NBD or Pareto/NBD", (long long)cm->id, k ? k : "?");
		crm_db_reset(st);
		return -1;
	}
	cm->info.loglik = coldbl(st, 2, &nul);
	cm->info.iterations = crm_db_col_int(st, 3);
	cm->info.converged = crm_db_col_int(st, 4);
	cm->customers = (size_t)crm_db_col_int(st, 5);
	cm->info.n = cm->customers;
	unit = crm_db_col_text(st, 6);
	cm->unit_days = unit && strcmp(unit, "week") == 0 ? 7 :
	    unit && strcmp(unit, "day") == 0 ? 1 : 0;
	cm->cal_end = crm_db_col_int(st, 7);
	cm->m.r = coldbl(st, 8, &nul);
	cm->m.alpha = coldbl(st, 9, &nul);
	cm->m.a = coldbl(st, 10, &nul);
	cm->m.b = coldbl(st, 11, &nul);
	cm->repeaters = (size_t)crm_db_col_int(st, 12);
	cm->repeat_purchases = (long)crm_db_col_int(st, 13);
	cm->new_customers = (size_t)crm_db_col_int(st, 14);
	cm->gg.p = coldbl(st, 15, &snul);
	cm->gg.q = coldbl(st, 16, &snul);
	cm->gg.v = coldbl(st, 17, &snul);
	cm->gg_info.loglik = coldbl(st, 18, &snul);
	cm->gg_info.n = (size_t)crm_db_col_int(st, 19);
	cm->gg_info.iterations = crm_db_col_int(st, 20);
	cm->gg_info.converged = crm_db_col_int(st, 21);
	cm->spend_corr = coldbl(st, 22, &cnul);
	crm_db_reset(st);
	cm->has_spend = !snul && cm->gg.p > 0 && cm->gg.q > 0 &&
	    cm->gg.v > 0 && isfinite(cm->gg.p + cm->gg.q + cm->gg.v);
	cm->has_corr = cm->has_spend && !cnul;
	if (!cm->has_spend)
		crm_error_set(&cm->spend_err, CRM_EDATA, "model %lld has no"
		    " spend model", (long long)cm->id);
	if (nul || !(cm->m.r > 0 && cm->m.alpha > 0 && cm->m.a > 0 &&
	    cm->m.b > 0) || !isfinite(cm->m.r + cm->m.alpha + cm->m.a +
	    cm->m.b) || cm->unit_days == 0)
		return crm_error_set(err, CRM_EDATA, "model %lld: parameters"
		    " or unit missing or invalid", (long long)cm->id);
	return 0;
}

int
crm_churn_model_write(const struct crm_churn_model *cm, struct crm_out *o,
    struct crm_error *err)
{
	static const char *const names[] = { "model_id", "model", "unit",
	    "calibration_end", "customers", "repeaters", "repeat_purchases",
	    "r", "alpha", "a", "b", "s", "beta", "loglik", "iterations",
	    "converged", "p", "q", "v", "spend_loglik", "spend_corr" };
	enum { N = sizeof(names) / sizeof(names[0]) };
	enum crm_coltype types[N];
	char buf[N][40];
	const char *vals[N];
	int bg = cm->m.kind == CRM_CLV_BGNBD, i;

	for (i = 0; i < N; i++) {
		types[i] = CRM_COL_NUM;
		vals[i] = NULL;
	}
	types[1] = types[2] = types[3] = CRM_COL_TEXT;
	types[15] = CRM_COL_BOOL;
	if (crm_out_header(o, names, types, N, err) < 0)
		return -1;
	if (cm->id > 0) {
		snprintf(buf[0], 40, "%lld", (long long)cm->id);
		vals[0] = buf[0];
	}
	vals[1] = crm_churn_kind_name(cm->m.kind);
	if (cm->unit_days)
		vals[2] = cm->unit_days == 7 ? "week" : "day";
	if (cm->cal_end != 0) {
		date_str(cm->cal_end, buf[3]);
		vals[3] = buf[3];
	}
	snprintf(buf[4], 40, "%zu", cm->customers);
	snprintf(buf[5], 40, "%zu", cm->repeaters);
	snprintf(buf[6], 40, "%ld", cm->repeat_purchases);
	vals[4] = buf[4];
	vals[5] = buf[5];
	vals[6] = buf[6];
	if (num(buf[7], 40, 'g', 6, cm->m.r, "r", err) < 0 ||
	    num(buf[8], 40, 'g', 6, cm->m.alpha, "alpha", err) < 0 ||
	    num(buf[bg ? 9 : 11], 40, 'g', 6, cm->m.a, "a", err) < 0 ||
	    num(buf[bg ? 10 : 12], 40, 'g', 6, cm->m.b, "b", err) < 0 ||
	    num(buf[13], 40, 'f', 4, cm->info.loglik, "log-likelihood",
	    err) < 0)
		return -1;
	vals[7] = buf[7];
	vals[8] = buf[8];
	vals[bg ? 9 : 11] = buf[bg ? 9 : 11];
	vals[bg ? 10 : 12] = buf[bg ? 10 : 12];
	vals[13] = buf[13];
	snprintf(buf[14], 40, "%d", cm->info.iterations);
	vals[14] = buf[14];
	vals[15] = cm->info.converged ? "1" : "0";
	if (cm->has_spend) {
		if (num(buf[16], 40, 'g', 6, cm->gg.p, "p", err) < 0 ||
		    num(buf[17], 40, 'g', 6, cm->gg.q, "q", err) < 0 ||
		    num(buf[18], 40, 'g', 6, cm->gg.v, "v", err) < 0 ||
		    num(buf[19], 40, 'f', 4, cm->gg_info.loglik,
		    "spend log-likelihood", err) < 0)
			return -1;
		for (i = 16; i < 20; i++)
			vals[i] = buf[i];
	}
	if (cm->has_corr) {
		if (num(buf[20], 40, 'f', 4, cm->spend_corr, "correlation",
		    err) < 0)
			return -1;
		vals[20] = buf[20];
	}
	return crm_out_row(o, vals, err);
}

int
crm_churn_models(struct crm_db *db, struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "id", "kind", "fitted_at",
	    "calibration_end", "unit", "n", "loglik", "iterations",
	    "converged", "params" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_BOOL, CRM_COL_JSON };
	struct crm_stmt *st;
	int rc, i;

	if (crm_out_header(o, names, types, 10, err) < 0 ||
	    (st = crm_db_stmt(db, "SELECT id, kind,"
	    " strftime('%Y-%m-%dT%H:%M:%SZ', fitted_at, 'unixepoch'),"
	    " strftime('%Y-%m-%d', calibration_end, 'unixepoch'), unit, n,"
	    " printf('%.4f', loglik), iterations, converged, params"
	    " FROM models ORDER BY id", err)) == NULL)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		const char *vals[10];

		for (i = 0; i < 10; i++)
			vals[i] = crm_db_col_text(st, i);
		if (crm_out_row(o, vals, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* Scoring and evaluation */

/*
 * Number the distinct (x, T), or (x, t_x, T) with tx, of the customers
 * with T > 0 into gid[] (in order of first appearance), and point rep[g]
 * at the first customer of group g; *ng gets the number of groups.
 */
static int
group(const struct crm_churn_base *b, int tx, size_t *gid, size_t *rep,
    size_t *ng, struct crm_error *err)
{
	size_t i, g, size, *slot;

	for (size = 16; size < 2 * b->n; size *= 2)
		;
	if ((slot = crm_big_calloc(size, sizeof(*slot))) == NULL)
		return oom(err);
	*ng = 0;
	for (i = 0; i < b->n; i++) {
		const struct crm_clv_customer *c = &b->c[i], *r;
		size_t h;

		if (!(c->T > 0))
			continue;
		h = crm_mix64((uint64_t)c->x ^ crm_mix64(crm_dbits(c->T) ^
		    (tx ? crm_mix64(crm_dbits(c->t_x)) : 0))) & (size - 1);
		for (;; h = (h + 1) & (size - 1)) {
			if (slot[h] == 0) {
				g = (*ng)++;
				slot[h] = g + 1;
				rep[g] = i;
				break;
			}
			g = slot[h] - 1;
			r = &b->c[rep[g]];
			if (r->x == c->x && r->T == c->T &&
			    (!tx || r->t_x == c->t_x))
				break;
		}
		gid[i] = g;
	}
	free(slot);
	return 0;
}

/*
 * For every customer of b: P(alive), the expected purchases in the next t
 * units and, if vf is not NULL, the discounted sum of the expected
 * purchases of each of `periods` periods of length t / periods at rate d
 * per period (the CLV of a spend of 1).  A customer with T = 0 has just
 * made a first purchase: alive, with the expectations of a new customer.
 *
 * Each expectation is P(alive) times a factor that depends on x and T
 * only (crm_clv_expected_alive), the costly part with its hypergeometric
 * function: it is computed once per distinct (x, T), of which dates give
 * few, and P(alive) per customer (Pareto/NBD: per distinct (x, t_x, T)).
 * The arithmetic is that of crm_clv_expected and crm_clv_value, in the
 * same order, so the values are the same to the last bit.
 */
static int
predict_all(const struct crm_churn_model *cm, const struct crm_churn_base *b,
    double t, int periods, double d, double *pa, double *e, double *vf,
    struct crm_error *err)
{
	const struct crm_clv_model *m = &cm->m;
	size_t i, g, ng = 0, nk = 0, np = vf ? (size_t)periods + 1 : 1;
	size_t *gid = NULL, *rep = NULL, *kid = NULL, *krep = NULL;
	double *cond = NULL, *kpa = NULL, per = t / periods;
	double new_e = 0, new_v = 0, rate = 1 + d;
	int k, rc = -1;

	gid = crm_big(malloc((b->n + 1) * sizeof(*gid)), b->n + 1, sizeof(*gid));
	rep = crm_big(malloc((b->n + 1) * sizeof(*rep)), b->n + 1, sizeof(*rep));
	if (gid == NULL || rep == NULL) {
		oom(err);
		goto done;
	}
	if (group(b, 0, gid, rep, &ng, err) < 0)
		goto done;
	if ((cond = malloc((ng + 1) * np * sizeof(*cond))) == NULL) {
		oom(err);
		goto done;
	}
	for (g = 0; g < ng; g++) {
		const struct crm_clv_customer *c = &b->c[rep[g]];
		double *cg = cond + g * np;

		if (crm_clv_expected_alive(m, c->x, c->T, t, &cg[0], err) < 0)
			goto done;
		for (k = 1; k < (int)np; k++)
			if (crm_clv_expected_alive(m, c->x, c->T, k * per,
			    &cg[k], err) < 0)
				goto done;
	}
	if (m->kind == CRM_CLV_PARETO) {
		kid = crm_big(malloc((b->n + 1) * sizeof(*kid)), b->n + 1,
		    sizeof(*kid));
		krep = crm_big(malloc((b->n + 1) * sizeof(*krep)), b->n + 1,
		    sizeof(*krep));
		if (kid == NULL || krep == NULL) {
			oom(err);
			goto done;
		}
		if (group(b, 1, kid, krep, &nk, err) < 0)
			goto done;
		if ((kpa = malloc((nk + 1) * sizeof(*kpa))) == NULL) {
			oom(err);
			goto done;
		}
		for (g = 0; g < nk; g++)
			if (crm_clv_palive(m, &b->c[krep[g]], &kpa[g], err) < 0)
				goto done;
	}
	for (i = 0; i < b->n; i++)
		if (!(b->c[i].T > 0)) {
			double prev = 0, ek = 0;
			int q;

			for (q = 1; q <= (vf ? periods : 1); q++) {
				if (crm_clv_expected_new(m, vf ? t * q /
				    periods : t, &ek, err) < 0)
					goto done;
				new_v += (ek - prev) / pow(1 + d, q);
				prev = ek;
			}
			new_e = ek;
			break;
		}
	for (i = 0; i < b->n; i++) {
		const struct crm_clv_customer *c = &b->c[i];
		double p = 1, ex = new_e, v = new_v;

		if (c->T > 0) {
			const double *cg = cond + gid[i] * np;
			double prev = 0, disc = 1;

			if (kpa != NULL)
				p = kpa[kid[i]];
			else if (crm_clv_palive(m, c, &p, err) < 0)
				goto done;
			ex = cg[0] * p;
			for (k = 1, v = 0; k < (int)np; k++) {
				double cur = cg[k] * p;

				disc /= rate;
				v += (cur - prev) * disc;
				prev = cur;
			}
		}
		if (!isfinite(p) || !isfinite(ex) || !isfinite(v)) {
			crm_error_set(err, CRM_EFAIL, "model %lld gives a"
			    " non-finite value for x %ld, t_x %g, T %g",
			    (long long)cm->id, c->x, c->t_x, c->T);
			goto done;
		}
		pa[i] = p;
		e[i] = ex;
		if (vf != NULL)
			vf[i] = v;
	}
	rc = 0;
done:
	if (rc < 0)
		crm_error_prefix(err, "model %lld", (long long)cm->id);
	free(gid);
	free(rep);
	free(kid);
	free(krep);
	free(cond);
	free(kpa);
	return rc;
}

/* The Gamma-Gamma mean spend of customer c, or -1 when there is none. */
static double
spend_of(const struct crm_churn_model *cm, const struct crm_clv_customer *c)
{
	struct crm_clv_customer s = *c;
	double v;

	if (!cm->has_spend || (s.x > 0 && !(s.zbar > 0)))
		return -1;
	if (!(s.T > 0))
		s.T = 1;	/* only x and zbar matter */
	if (crm_clv_gg_spend(&cm->gg, &s, &v, NULL) < 0 || !isfinite(v))
		return -1;
	return v;
}

/*
 * Delete the rows of scores of contacts other than b's, just stored:
 * usually none, which a count tells.
 */
static int
prune_scores(struct crm_db *db, const struct crm_churn_base *b,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int64_t n, *gone = NULL, id;
	size_t ngone = 0, agone = 0, i, j = 0;
	int step, rc = -1;

	if (crm_db_query_int(db, "SELECT count(*) FROM scores", &n, err) < 0)
		return -1;
	if (n == (int64_t)b->n)
		return 0;
	if ((st = crm_db_stmt(db, "SELECT contact_id FROM scores ORDER BY"
	    " contact_id", err)) == NULL)
		return -1;
	while ((step = crm_db_step(db, st, err)) == 1) {
		id = crm_db_col_int(st, 0);
		while (j < b->n && b->id[j] < id)
			j++;
		if (j < b->n && b->id[j] == id)
			continue;
		if (ngone == agone) {
			int64_t *p;

			agone = agone ? 2 * agone : 256;
			if ((p = reallocarray(gone, agone, sizeof(*p))) ==
			    NULL) {
				crm_db_reset(st);
				oom(err);
				goto done;
			}
			gone = p;
		}
		gone[ngone++] = id;
	}
	if (step < 0)
		goto done;
	for (i = 0; i < ngone; i++)
		if ((st = crm_db_stmt(db, "DELETE FROM scores WHERE"
		    " contact_id = ?1", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, gone[i], err) < 0 ||
		    crm_db_step(db, st, err) < 0)
			goto done;
	rc = 0;
done:
	free(gone);
	return rc;
}

enum { FAILED_STORE = 1, FAILED_WRITE };

/* What the two halves of crm_churn_score share. */
struct scoring {
	const struct crm_churn_model *cm;
	const struct crm_churn_score_opts *opts;
	const struct crm_churn_base *b;
	const double *pa, *e, *vf;
	_Atomic int failed;	/* FAILED_*: the first half to fail */
};

/*
 * The scores of b's contacts into the scores table, replacing any row
 * there.  Every contact in b is one that crm_churn_score() writes: its
 * purchases are those of its id and of the contacts merged into it, and
 * one merged or erased left no purchase there (scan_buys()).
 */
static int
store_scores(struct crm_db *db, struct scoring *sc, struct crm_error *err)
{
	const struct crm_churn_base *b = sc->b;
	struct crm_stmt *ins;
	int64_t now = crm_now();
	size_t j;

	if ((ins = crm_db_stmt(db, "INSERT OR REPLACE INTO scores"
	    " (contact_id, model_id, p_alive, expected_purchases,"
	    " horizon_days, expected_spend, clv, churn_probability,"
	    " scored_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	    err)) == NULL ||
	    crm_db_bind_int(db, ins, 2, sc->cm->id, err) < 0 ||
	    crm_db_bind_int(db, ins, 5, sc->opts->horizon_days, err) < 0 ||
	    crm_db_bind_int(db, ins, 9, now, err) < 0)
		return -1;
	for (j = 0; j < b->n && !sc->failed; j++) {
		double sp = spend_of(sc->cm, &b->c[j]), pj = sc->pa[j];

		if (crm_db_bind_int(db, ins, 1, b->id[j], err) < 0 ||
		    crm_db_bind_double(db, ins, 3, pj, err) < 0 ||
		    crm_db_bind_double(db, ins, 4, sc->e[j], err) < 0 ||
		    (sp >= 0 ? crm_db_bind_double(db, ins, 6, sp, err) :
		    crm_db_bind_null(db, ins, 6, err)) < 0 ||
		    (sp >= 0 ? crm_db_bind_double(db, ins, 7, sp * sc->vf[j],
		    err) : crm_db_bind_null(db, ins, 7, err)) < 0 ||
		    crm_db_bind_double(db, ins, 8, 1 - pj, err) < 0 ||
		    crm_db_step(db, ins, err) < 0)
			return -1;
	}
	return sc->failed ? -1 : 0;
}

/* Every surviving contact, with its scores if any, to o. */
static int
write_scores(struct crm_db *db, struct scoring *sc, struct crm_out *o,
    struct crm_churn_score_stats *stats, void (*progress)(void *, int64_t),
    void *arg, struct crm_error *err)
{
	static const char *const names[] = { "id", "external_id", "email",
	    "x", "t_x", "T", "zbar", "p_alive", "expected_purchases",
	    "expected_spend", "clv", "churn_probability" };
	enum { N = sizeof(names) / sizeof(names[0]) };
	static const enum crm_coltype types[N] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM };
	const struct crm_churn_base *b = sc->b;
	const double *pa = sc->pa, *e = sc->e;
	struct crm_stmt *st;
	size_t j = 0;
	int step;

	if (crm_out_header(o, names, types, N, err) < 0 ||
	    (st = crm_db_stmt(db, "SELECT id, external_id, email FROM"
	    " contacts WHERE merged_into IS NULL AND erased_at IS NULL"
	    " ORDER BY id", err)) == NULL)
		return -1;
	while ((step = crm_db_step(db, st, err)) == 1) {
		int64_t id = crm_db_col_int(st, 0);
		char buf[N][40];
		const char *vals[N];
		const struct crm_clv_customer *c;
		double sp, clv;
		int i;

		if (sc->failed)
			goto fail;
		vals[0] = crm_db_col_text(st, 0);
		vals[1] = crm_db_col_text(st, 1);
		vals[2] = crm_db_col_text(st, 2);
		for (i = 3; i < N; i++)
			vals[i] = NULL;
		while (j < b->n && b->id[j] < id)
			j++;
		if (j < b->n && b->id[j] == id) {
			c = &b->c[j];
			sp = spend_of(sc->cm, c);
			clv = sp >= 0 ? sp * sc->vf[j] : -1;
			snprintf(buf[3], 40, "%ld", c->x);
			if (num(buf[4], 40, 'g', 6, c->t_x, "t_x", err) < 0 ||
			    num(buf[5], 40, 'g', 6, c->T, "T", err) < 0 ||
			    num(buf[6], 40, 'f', 2, c->zbar, "zbar", err) < 0 ||
			    num(buf[7], 40, 'f', 6, pa[j], "p_alive", err) < 0 ||
			    num(buf[8], 40, 'f', 4, e[j], "expected purchases",
			    err) < 0 ||
			    num(buf[9], 40, 'f', 2, sp, "spend", err) < 0 ||
			    num(buf[10], 40, 'f', 2, clv, "clv", err) < 0 ||
			    num(buf[11], 40, 'f', 6, 1 - pa[j], "churn", err)
			    < 0)
				goto fail;
			for (i = 3; i < N; i++)
				vals[i] = buf[i];
			if (sp < 0) {
				vals[9] = vals[10] = NULL;
				stats->no_spend++;
			}
			stats->scored++;
		}
		if (crm_out_row(o, vals, err) < 0)
			goto fail;
		stats->contacts++;
		if (progress != NULL && stats->contacts % 4096 == 0)
			progress(arg, stats->contacts);
	}
	return step < 0 ? -1 : 0;
fail:
	crm_db_reset(st);
	return -1;
}

/* The second thread of crm_churn_score: the output. */
struct writer {
	struct crm_db *db;
	struct scoring *sc;
	struct crm_out *o;
	struct crm_churn_score_stats *stats;
	void (*progress)(void *, int64_t);
	void *arg;
	int rc;
	struct crm_error err;
};

static void *
writer_job(void *arg)
{
	struct writer *w = arg;
	int none = 0;

	if ((w->rc = write_scores(w->db, w->sc, w->o, w->stats, w->progress,
	    w->arg, &w->err)) < 0)
		atomic_compare_exchange_strong(&w->sc->failed, &none,
		    FAILED_WRITE);
	return NULL;
}

int
crm_churn_score(struct crm_db *db, const struct crm_churn_model *cm,
    const struct crm_churn_score_opts *opts, struct crm_out *o,
    struct crm_churn_score_stats *stats,
    void (*progress)(void *, int64_t), void *arg, struct crm_error *err)
{
	struct crm_churn_base_opts bo;
	struct crm_churn_base *b = NULL;
	struct scoring sc;
	struct writer w;
	struct crm_db *db2 = NULL;
	double *pa = NULL, *e = NULL, *vf = NULL, t, d;
	pthread_t tid;
	int periods, rc = -1, threaded = 0, none = 0;

	memset(stats, 0, sizeof(*stats));
	memset(&bo, 0, sizeof(bo));
	bo.cal_end = opts->as_of ? opts->as_of : cm->cal_end;
	bo.unit_days = cm->unit_days;
	if (bo.cal_end == 0)
		return crm_error_set(err, CRM_EUSAGE, "model %lld has no"
		    " calibration end: give a date to score as of",
		    (long long)cm->id);
	if (opts->horizon_days <= 0 || !(opts->discount >= 0))
		return crm_error_set(err, CRM_EUSAGE, "bad horizon or"
		    " discount rate");
	if ((b = base_load(db, &bo, &db2, err)) == NULL)
		return -1;
	pa = crm_big_calloc(b->n, sizeof(*pa));
	e = crm_big_calloc(b->n, sizeof(*e));
	vf = crm_big_calloc(b->n, sizeof(*vf));
	if (pa == NULL || e == NULL || vf == NULL) {
		oom(err);
		goto done;
	}
	t = (double)opts->horizon_days / cm->unit_days;
	periods = (int)floor((double)opts->horizon_days / 30 + 0.5);
	if (periods < 1)
		periods = 1;
	d = pow(1 + opts->discount, (double)opts->horizon_days / periods /
	    365) - 1;
	if (predict_all(cm, b, t, periods, d, pa, e, vf, err) < 0)
		goto done;
	memset(&sc, 0, sizeof(sc));
	sc.cm = cm;
	sc.opts = opts;
	sc.b = b;
	sc.pa = pa;
	sc.e = e;
	sc.vf = vf;
	/*
	 * The output, on the second connection and thread, while this one
	 * stores the scores: each takes about as long.  Each score replaces
	 * the contact's row, if any, and rows left over are deleted at the
	 * end: emptying the table first costs as much as filling it, foreign
	 * keys and secure_delete making SQLite delete (and overwrite) row by
	 * row.
	 */
	memset(&w, 0, sizeof(w));
	w.db = db2 != NULL ? db2 : db;
	w.sc = &sc;
	w.o = o;
	w.stats = stats;
	w.progress = progress;
	w.arg = arg;
	if (db2 != NULL && opts->store &&
	    pthread_create(&tid, NULL, writer_job, &w) == 0)
		threaded = 1;
	if (opts->store && store_scores(db, &sc, err) < 0)
		atomic_compare_exchange_strong(&sc.failed, &none,
		    FAILED_STORE);
	if (threaded)
		pthread_join(tid, NULL);
	else if (!sc.failed)
		writer_job(&w);
	if (sc.failed == FAILED_WRITE)
		*err = w.err;
	if (sc.failed || (opts->store && prune_scores(db, b, err) < 0))
		goto done;
	rc = 0;
done:
	if (db2 != NULL)
		second_close(db2);
	free(pa);
	free(e);
	free(vf);
	crm_churn_base_free(b);
	return rc;
}

int
crm_churn_by(const char *s)
{
	static const char *const names[] = { "total", "customer", "week",
	    "frequency", "decile" };
	int i;

	for (i = 0; i < 5; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static int
int64_cmp(const void *pa, const void *pb)
{
	int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;

	return a < b ? -1 : a > b;
}

static double
pct(double got, double want)
{
	return want != 0 ? 100 * (got - want) / want : 0;
}

/* Weekly tracking of cumulative repeat purchases, written when o != NULL. */
static int
tracking(const struct crm_churn_model *cm, struct crm_churn_base *b,
    struct crm_out *o, struct crm_churn_eval *ev, int64_t *weeks,
    struct crm_error *err)
{
	static const char *const names[] = { "week", "end", "actual",
	    "expected", "actual_cumulative", "expected_cumulative" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM };
	int64_t day0 = INT64_MAX, span, w, nw, f;
	double *enew = NULL, *cohort = NULL, prev = 0;
	size_t i, r = 0;
	long cum = 0;
	int rc = -1;

	for (i = 0; i < b->n; i++)
		if (b->first[i] < day0)
			day0 = b->first[i];
	span = b->hold_day - day0 + 1;
	if (span > 365 * 200)
		return crm_error_set(err, CRM_EDATA, "purchases span more than"
		    " 200 years");
	enew = calloc((size_t)span, sizeof(*enew));
	cohort = calloc((size_t)span, sizeof(*cohort));
	if (enew == NULL || cohort == NULL) {
		oom(err);
		goto done;
	}
	for (w = 1; w < span; w++)
		if (crm_clv_expected_new(&cm->m, (double)w / b->unit_days,
		    &enew[w], err) < 0 || !isfinite(enew[w]))
			goto done;
	for (i = 0; i < b->n; i++)
		cohort[b->first[i] - day0] += 1;
	qsort(b->rep, b->nrep, sizeof(*b->rep), int64_cmp);
	nw = (span + 6) / 7;
	*weeks = nw;
	if (o != NULL && crm_out_header(o, names, types, 6, err) < 0)
		goto done;
	for (w = 1; w <= nw; w++) {
		int64_t end = day0 + 7 * w - 1, n = 0;
		double ex = 0;
		char buf[6][40];
		const char *vals[6];
		int k;

		if (end > b->hold_day)
			end = b->hold_day;
		while (r < b->nrep && b->rep[r] <= end) {
			r++;
			n++;
		}
		cum += n;
		for (f = day0; f <= end; f++)
			ex += cohort[f - day0] * enew[end - f];
		if (o == NULL) {
			prev = ex;
			continue;
		}
		snprintf(buf[0], 40, "%lld", (long long)w);
		date_str(end * 86400, buf[1]);
		snprintf(buf[2], 40, "%lld", (long long)n);
		snprintf(buf[4], 40, "%ld", cum);
		if (num(buf[3], 40, 'f', 2, ex - prev, "expected", err) < 0 ||
		    num(buf[5], 40, 'f', 2, ex, "expected", err) < 0)
			goto done;
		for (k = 0; k < 6; k++)
			vals[k] = buf[k];
		if (crm_out_row(o, vals, err) < 0)
			goto done;
		prev = ex;
	}
	ev->actual_cum = (double)cum;
	ev->expected_cum = prev;
	rc = 0;
done:
	free(enew);
	free(cohort);
	return rc;
}

static int
eval_customers(struct crm_db *db, const struct crm_churn_base *b,
    const double *pa, const double *e, struct crm_out *o,
    struct crm_error *err)
{
	static const char *const names[] = { "id", "external_id", "x", "t_x",
	    "T", "p_alive", "expected", "actual" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM };
	struct crm_stmt *st;
	size_t i;

	if (crm_out_header(o, names, types, 8, err) < 0)
		return -1;
	for (i = 0; i < b->n; i++) {
		char buf[8][40];
		const char *vals[8];
		int k, rc;

		if ((st = crm_db_stmt(db, "SELECT external_id FROM contacts"
		    " WHERE id = ?1", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, b->id[i], err) < 0 ||
		    (rc = crm_db_step(db, st, err)) < 0)
			return -1;
		snprintf(buf[0], 40, "%lld", (long long)b->id[i]);
		snprintf(buf[1], 40, "%s", rc == 1 && crm_db_col_text(st, 0) ?
		    crm_db_col_text(st, 0) : "");
		crm_db_reset(st);
		snprintf(buf[2], 40, "%ld", b->c[i].x);
		snprintf(buf[7], 40, "%ld", b->hold[i]);
		if (num(buf[3], 40, 'g', 6, b->c[i].t_x, "t_x", err) < 0 ||
		    num(buf[4], 40, 'g', 6, b->c[i].T, "T", err) < 0 ||
		    num(buf[5], 40, 'f', 6, pa[i], "p_alive", err) < 0 ||
		    num(buf[6], 40, 'f', 4, e[i], "expected", err) < 0)
			return -1;
		for (k = 0; k < 8; k++)
			vals[k] = buf[k];
		if (buf[1][0] == '\0')
			vals[1] = NULL;
		if (crm_out_row(o, vals, err) < 0)
			return -1;
	}
	return 0;
}

static int
eval_frequency(const struct crm_churn_base *b, const double *e,
    struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "x", "customers", "actual_mean",
	    "expected_mean" };
	static const enum crm_coltype types[] = { CRM_COL_TEXT, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_NUM };
	double act[8] = { 0 }, ex[8] = { 0 };
	size_t cnt[8] = { 0 }, i;
	int k;

	for (i = 0; i < b->n; i++) {
		k = b->c[i].x < 7 ? (int)b->c[i].x : 7;
		cnt[k]++;
		act[k] += (double)b->hold[i];
		ex[k] += e[i];
	}
	if (crm_out_header(o, names, types, 4, err) < 0)
		return -1;
	for (k = 0; k < 8; k++) {
		char buf[4][40];
		const char *vals[4];

		if (cnt[k] == 0)
			continue;
		snprintf(buf[0], 40, k < 7 ? "%d" : "%d+", k);
		snprintf(buf[1], 40, "%zu", cnt[k]);
		if (num(buf[2], 40, 'f', 4, act[k] / (double)cnt[k], "mean",
		    err) < 0 || num(buf[3], 40, 'f', 4, ex[k] /
		    (double)cnt[k], "mean", err) < 0)
			return -1;
		for (i = 0; i < 4; i++)
			vals[i] = buf[i];
		if (crm_out_row(o, vals, err) < 0)
			return -1;
	}
	return 0;
}

int
crm_churn_eval(struct crm_db *db, const struct crm_churn_model *cm,
    int64_t holdout_end, int by, struct crm_out *o,
    struct crm_churn_eval *evp, struct crm_error *err)
{
	static const char *const names[] = { "model_id", "customers",
	    "holdout_days", "actual", "expected", "error_pct", "correlation",
	    "mae", "weeks", "actual_cumulative", "expected_cumulative",
	    "cumulative_error_pct" };
	enum { N = sizeof(names) / sizeof(names[0]) };
	struct crm_churn_base_opts bo;
	struct crm_churn_base *b;
	struct crm_churn_eval ev;
	enum crm_coltype types[N];
	double *pa = NULL, *e = NULL, *act = NULL;
	int64_t weeks = 0;
	size_t i;
	int rc = -1;

	memset(&ev, 0, sizeof(ev));
	memset(&bo, 0, sizeof(bo));
	bo.cal_end = cm->cal_end;
	bo.holdout_end = holdout_end;
	bo.unit_days = cm->unit_days;
	if (cm->cal_end == 0)
		return crm_error_set(err, CRM_EDATA, "model %lld has no"
		    " calibration end", (long long)cm->id);
	if ((b = crm_churn_base_db(db, &bo, err)) == NULL)
		return -1;
	pa = calloc(b->n, sizeof(*pa));
	e = calloc(b->n, sizeof(*e));
	act = calloc(b->n, sizeof(*act));
	if (pa == NULL || e == NULL || act == NULL) {
		oom(err);
		goto done;
	}
	ev.customers = b->n;
	ev.holdout_days = b->hold_day - b->cal_day;
	if (predict_all(cm, b, (double)ev.holdout_days / b->unit_days, 1, 0,
	    pa, e, NULL, err) < 0)
		goto done;
	for (i = 0; i < b->n; i++) {
		act[i] = (double)b->hold[i];
		ev.actual += act[i];
		ev.expected += e[i];
		ev.mae += fabs(e[i] - act[i]);
	}
	ev.mae /= (double)b->n;
	ev.has_corr = crm_stats_pearson(e, act, b->n, &ev.corr, NULL) == 0 &&
	    isfinite(ev.corr);
	if (tracking(cm, b, by == CRM_CHURN_BY_WEEK ? o : NULL, &ev, &weeks,
	    err) < 0)
		goto done;
	if (by == CRM_CHURN_BY_CUSTOMER) {
		if (eval_customers(db, b, pa, e, o, err) < 0)
			goto done;
	} else if (by == CRM_CHURN_BY_FREQUENCY) {
		if (eval_frequency(b, e, o, err) < 0)
			goto done;
	} else if (by == CRM_CHURN_BY_TOTAL) {
		char buf[N][40];
		const char *vals[N];

		for (i = 0; i < N; i++) {
			types[i] = CRM_COL_NUM;
			vals[i] = buf[i];
		}
		snprintf(buf[0], 40, "%lld", (long long)cm->id);
		snprintf(buf[1], 40, "%zu", ev.customers);
		snprintf(buf[2], 40, "%lld", (long long)ev.holdout_days);
		snprintf(buf[3], 40, "%.0f", ev.actual);
		snprintf(buf[8], 40, "%lld", (long long)weeks);
		snprintf(buf[9], 40, "%.0f", ev.actual_cum);
		if (num(buf[4], 40, 'f', 2, ev.expected, "expected", err) < 0 ||
		    num(buf[5], 40, 'f', 2, pct(ev.expected, ev.actual),
		    "error", err) < 0 ||
		    num(buf[6], 40, 'f', 4, ev.has_corr ? ev.corr : 0,
		    "correlation", err) < 0 ||
		    num(buf[7], 40, 'f', 4, ev.mae, "mae", err) < 0 ||
		    num(buf[10], 40, 'f', 2, ev.expected_cum, "expected",
		    err) < 0 ||
		    num(buf[11], 40, 'f', 2, pct(ev.expected_cum,
		    ev.actual_cum), "error", err) < 0)
			goto done;
		if (!ev.has_corr)
			vals[6] = NULL;
		if (crm_out_header(o, names, types, N, err) < 0 ||
		    crm_out_row(o, vals, err) < 0)
			goto done;
	} else if (by != CRM_CHURN_BY_WEEK) {
		crm_error_set(err, CRM_EUSAGE, "eval reports by total,"
		    " customer, week or frequency");
		goto done;
	}
	if (evp != NULL)
		*evp = ev;
	rc = 0;
done:
	free(pa);
	free(e);
	free(act);
	crm_churn_base_free(b);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Logistic regression on a CSV of features */

#define MAX_CELLS ((size_t)1 << 25)
#define MAX_DESIGN 5000

struct feat {
	char *name;
	int col;		/* field in the training file */
	int numeric;
	double mean, sd;
	int has_missing;	/* numeric: an indicator for missing values */
	double coef, mcoef;
	size_t nlev;		/* categorical: levels, sorted by strcmp */
	char **lev;
	double *lcoef;
	size_t off;		/* first design column (training) */
};

struct crm_churn_logit {
	char *label, *idcol;
	size_t nfeat;
	struct feat *f;
	double intercept, lambda, test_share, loglik;
	uint64_t seed;
	struct crm_churn_train_result res;
	size_t ntest;
	double *ptest;		/* hold-out predictions, for the report */
	int *ytest;
};

/* The training file in memory: cells as offsets into an arena. */
struct table {
	size_t rows, cols, alloc;
	size_t *cell;		/* rows x cols; SIZE_MAX when missing */
	long *line;
	struct crm_buf arena;
};

static const char *
cell(const struct table *t, size_t row, int col)
{
	size_t o = t->cell[row * t->cols + (size_t)col];

	return o == SIZE_MAX ? NULL : t->arena.s + o;
}

/*
 * A column name as the CSV reader matches it: trimmed, lower case, spaces
 * and '-' as '_'.  Returns a malloc'd string or NULL.
 */
static char *
colkey(const char *s)
{
	size_t len, i;
	char *k;

	s = crm_trim(s, &len);
	if ((k = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		k[i] = s[i] == ' ' || s[i] == '-' ? '_' :
		    (char)tolower((unsigned char)s[i]);
	k[len] = '\0';
	return k;
}

static void
free_keys(struct crm_csv_col *cols, size_t n)
{
	size_t i;

	if (cols == NULL)
		return;
	for (i = 0; i < n; i++)
		free((char *)cols[i].name);
	free(cols);
}

void
crm_churn_logit_free(struct crm_churn_logit *lg)
{
	size_t i, k;

	if (lg == NULL)
		return;
	for (i = 0; i < lg->nfeat; i++) {
		free(lg->f[i].name);
		for (k = 0; k < lg->f[i].nlev; k++)
			free(lg->f[i].lev[k]);
		free(lg->f[i].lev);
		free(lg->f[i].lcoef);
	}
	free(lg->f);
	free(lg->label);
	free(lg->idcol);
	free(lg->ptest);
	free(lg->ytest);
	free(lg);
}

static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* log(logistic(t)), without overflow. */
static double
log_sigmoid(double t)
{
	return t >= 0 ? -log1p(exp(-t)) : t - log1p(exp(t));
}

/*
 * The linear predictor for one row given as a value per feature (NULL
 * for missing).  -1 with *bad set to the feature whose value is not a
 * number.
 */
static int
linear(const struct crm_churn_logit *lg, const char *const *vals, double *t,
    size_t *bad)
{
	size_t i;

	*t = lg->intercept;
	for (i = 0; i < lg->nfeat; i++) {
		const struct feat *f = &lg->f[i];
		const char *v = vals[i];
		char **hit;
		double x;

		if (v != NULL && crm_blank(v))
			v = NULL;
		if (f->numeric) {
			if (v == NULL) {
				*t += f->mcoef;
				continue;
			}
			if (parse_num(v, &x) < 0) {
				*bad = i;
				return -1;
			}
			*t += f->coef * (x - f->mean) / f->sd;
		} else if (v != NULL && (hit = bsearch(&v, f->lev, f->nlev,
		    sizeof(*f->lev), str_cmp)) != NULL)
			*t += f->lcoef[hit - f->lev];
	}
	return 0;
}

static int
table_read(struct crm_csv *r, struct table *t, struct crm_error *err)
{
	size_t i;
	int rc;

	t->cols = crm_csv_ncols(r);
	while ((rc = crm_csv_next(r, err)) == 1) {
		if (t->rows == t->alloc) {
			size_t na = t->alloc ? t->alloc * 2 : 1024;
			void *p;

			if (na * t->cols > MAX_CELLS)
				return crm_error_set(err, CRM_EDATA, "%s: more"
				    " than %zu cells: too large to train on",
				    crm_csv_name(r), MAX_CELLS);
			if ((p = reallocarray(t->cell, na * t->cols,
			    sizeof(*t->cell))) == NULL)
				return oom(err);
			t->cell = p;
			if ((p = reallocarray(t->line, na,
			    sizeof(*t->line))) == NULL)
				return oom(err);
			t->line = p;
			t->alloc = na;
		}
		for (i = 0; i < t->cols; i++) {
			const char *v = crm_csv_field(r, (int)i);
			size_t *c = &t->cell[t->rows * t->cols + i];

			if (crm_blank(v)) {
				*c = SIZE_MAX;
				continue;
			}
			*c = t->arena.len;
			if (crm_buf_add(&t->arena, v, strlen(v) + 1, err) < 0)
				return crm_error_prefix(err, "%s",
				    crm_csv_name(r));
		}
		t->line[t->rows++] = crm_csv_line(r);
	}
	return rc;
}

/* Types, standardisation and levels from the training rows. */
static int
encode_setup(struct crm_churn_logit *lg, const struct table *t,
    const size_t *train, size_t ntrain, const char *name, size_t *p,
    struct crm_error *err)
{
	size_t i, k, j, n;
	char q[CRM_QUOTE_MAX];

	*p = 0;
	for (i = 0; i < lg->nfeat; i++) {
		struct feat *f = &lg->f[i];
		double x, s = 0, ss = 0;
		size_t cnt = 0, miss = 0;

		f->numeric = 1;
		for (k = 0; k < t->rows && f->numeric; k++) {
			const char *v = cell(t, k, f->col);

			if (v != NULL && parse_num(v, &x) < 0)
				f->numeric = 0;
		}
		f->off = *p;
		if (f->numeric) {
			for (k = 0; k < ntrain; k++) {
				const char *v = cell(t, train[k], f->col);

				if (v == NULL) {
					miss++;
					continue;
				}
				parse_num(v, &x);
				s += x;
				cnt++;
			}
			f->mean = cnt ? s / (double)cnt : 0;
			for (k = 0; k < ntrain; k++) {
				const char *v = cell(t, train[k], f->col);

				if (v != NULL) {
					parse_num(v, &x);
					ss += (x - f->mean) * (x - f->mean);
				}
			}
			f->sd = cnt > 1 ? sqrt(ss / (double)(cnt - 1)) : 0;
			if (!(f->sd > 0) || !isfinite(f->sd))
				f->sd = 1;
			f->has_missing = miss > 0;
			*p += 1 + (size_t)f->has_missing;
			continue;
		}
		if ((f->lev = calloc(ntrain ? ntrain : 1,
		    sizeof(*f->lev))) == NULL)
			return oom(err);
		for (k = n = 0; k < ntrain; k++) {
			const char *v = cell(t, train[k], f->col);

			if (v != NULL)
				f->lev[n++] = (char *)v;
		}
		qsort(f->lev, n, sizeof(*f->lev), str_cmp);
		for (k = j = 0; k < n; k++)
			if (j == 0 || strcmp(f->lev[j - 1], f->lev[k]) != 0)
				f->lev[j++] = f->lev[k];
		f->nlev = j;
		if (j > 1000 || (j > 50 && 2 * j > ntrain)) {
			f->nlev = 0;	/* they point into the table */
			return crm_error_set(err, CRM_EDATA, "%s: column '%s'"
			    " has %zu distinct values in %zu training rows:"
			    " an identifier?  Name it with --id, or --drop it",
			    name, crm_quote(q, f->name, strlen(f->name)), j,
			    ntrain);
		}
		for (k = 0; k < j; k++)
			if ((f->lev[k] = strdup(f->lev[k])) == NULL) {
				f->nlev = k;
				return oom(err);
			}
		if ((f->lcoef = calloc(j ? j : 1, sizeof(*f->lcoef))) == NULL)
			return oom(err);
		*p += j;
	}
	if (*p == 0)
		return crm_error_set(err, CRM_EDATA, "%s: no feature columns",
		    name);
	if (*p > MAX_DESIGN || *p * ntrain > MAX_CELLS)
		return crm_error_set(err, CRM_EDATA, "%s: %zu design columns"
		    " for %zu rows: too large (fewer categorical values, or"
		    " --drop columns)", name, *p, ntrain);
	return 0;
}

static void
encode_row(const struct crm_churn_logit *lg, const struct table *t,
    size_t row, double *x, size_t p)
{
	size_t i;

	memset(x, 0, p * sizeof(*x));
	for (i = 0; i < lg->nfeat; i++) {
		const struct feat *f = &lg->f[i];
		const char *v = cell(t, row, f->col);
		char **hit;
		double d;

		if (f->numeric) {
			if (v == NULL)
				x[f->off + 1] = 1;	/* has_missing */
			else if (parse_num(v, &d) == 0)
				x[f->off] = (d - f->mean) / f->sd;
		} else if (v != NULL && (hit = bsearch(&v, f->lev, f->nlev,
		    sizeof(*f->lev), str_cmp)) != NULL)
			x[f->off + (size_t)(hit - f->lev)] = 1;
	}
}

struct pred {
	double p;
	int y;
};

static int
pred_cmp(const void *pa, const void *pb)
{
	const struct pred *a = pa, *b = pb;

	return a->p < b->p ? -1 : a->p > b->p;
}

static int
metrics(struct crm_churn_logit *lg, struct crm_error *err)
{
	struct crm_churn_train_result *res = &lg->res;
	struct pred *s;
	size_t i, k, n = lg->ntest, pos = 0, right = 0;
	double ll = 0, br = 0;

	for (i = 0; i < n; i++)
		pos += (size_t)lg->ytest[i];
	if (n == 0 || pos == 0 || pos == n)
		return 0;	/* no hold-out metrics */
	if (crm_stats_auc(lg->ptest, lg->ytest, n, &res->auc, err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		double p = lg->ptest[i], y = lg->ytest[i];
		double pc = p < 1e-15 ? 1e-15 : p > 1 - 1e-15 ? 1 - 1e-15 : p;

		right += (p >= 0.5) == (lg->ytest[i] != 0);
		ll -= y * log(pc) + (1 - y) * log(1 - pc);
		br += (p - y) * (p - y);
	}
	res->accuracy = (double)right / (double)n;
	res->baseline = (double)(pos > n - pos ? pos : n - pos) / (double)n;
	res->log_loss = ll / (double)n;
	res->brier = br / (double)n;
	if ((s = calloc(n, sizeof(*s))) == NULL)
		return oom(err);
	for (i = 0; i < n; i++) {
		s[i].p = lg->ptest[i];
		s[i].y = lg->ytest[i];
	}
	qsort(s, n, sizeof(*s), pred_cmp);
	res->ece = 0;
	for (k = 0; k < 10; k++) {
		size_t lo = k * n / 10, hi = (k + 1) * n / 10;
		double mp = 0, my = 0;

		for (i = lo; i < hi; i++) {
			mp += s[i].p;
			my += s[i].y;
		}
		res->ece += fabs(mp - my) / (double)n;
	}
	/* the hold-out, sorted, for the decile report */
	for (i = 0; i < n; i++) {
		lg->ptest[i] = s[i].p;
		lg->ytest[i] = s[i].y;
	}
	free(s);
	res->has_metrics = 1;
	return 0;
}

struct crm_churn_logit *
crm_churn_train(const char *path, const struct crm_churn_train_opts *opts,
    struct crm_churn_train_result *res, struct crm_error *err)
{
	struct crm_churn_logit *lg;
	struct crm_csv_col *cols = NULL;
	struct crm_csv *r = NULL;
	struct crm_stats_logit_info info;
	struct table t;
	size_t *perm = NULL, ncols, i, k, p = 0, ntrain, ntest;
	double *x = NULL, *y = NULL, *beta = NULL;
	const char **vals = NULL;
	int *idx = NULL, *label = NULL, rc;
	uint64_t s = opts->seed;
	char q[CRM_QUOTE_MAX];

	memset(&t, 0, sizeof(t));
	crm_buf_init(&t.arena, (size_t)1 << 30);
	if ((lg = calloc(1, sizeof(*lg))) == NULL) {
		oom(err);
		return NULL;
	}
	lg->lambda = opts->lambda;
	lg->seed = opts->seed;
	lg->test_share = opts->test_share;
	if (!(opts->test_share >= 0 && opts->test_share < 1) ||
	    !(opts->lambda >= 0) || !isfinite(opts->lambda)) {
		crm_error_set(err, CRM_EUSAGE, "bad hold-out share or penalty");
		goto fail;
	}
	ncols = 2 + opts->ndrop;
	if ((cols = calloc(ncols, sizeof(*cols))) == NULL ||
	    (idx = calloc(ncols, sizeof(*idx))) == NULL) {
		oom(err);
		goto fail;
	}
	for (i = 0; i < ncols; i++) {
		const char *nm = i == 0 ? opts->label : i == 1 ? (opts->id ?
		    opts->id : "") : opts->drop[i - 2];

		if ((cols[i].name = colkey(nm)) == NULL) {
			oom(err);
			goto fail;
		}
	}
	if ((r = crm_csv_open(path, opts->flags, err)) == NULL ||
	    crm_csv_header(r, cols, ncols, idx, err) < 0)
		goto fail;
	for (i = 0; i < ncols; i++)
		if (idx[i] < 0 && (i != 1 || opts->id != NULL)) {
			const char *nm = i == 0 ? opts->label : i == 1 ?
			    opts->id : opts->drop[i - 2];

			crm_error_set(err, CRM_EDATA, "%s: no column '%s'",
			    crm_csv_name(r), crm_quote(q, nm, strlen(nm)));
			goto fail;
		}
	if ((lg->label = strdup(opts->label)) == NULL ||
	    (opts->id && (lg->idcol = strdup(opts->id)) == NULL) ||
	    (lg->f = calloc(crm_csv_ncols(r), sizeof(*lg->f))) == NULL) {
		oom(err);
		goto fail;
	}
	for (i = 0; i < crm_csv_ncols(r); i++) {
		if (!crm_csv_extra(r, i))
			continue;
		if ((lg->f[lg->nfeat].name = strdup(crm_csv_colname(r,
		    i))) == NULL) {
			oom(err);
			goto fail;
		}
		lg->f[lg->nfeat++].col = (int)i;
	}
	if (table_read(r, &t, err) < 0)
		goto fail;
	if (t.rows < 2) {
		crm_error_set(err, CRM_EDATA, "%s: %zu rows: too few to train"
		    " on", crm_csv_name(r), t.rows);
		goto fail;
	}
	if ((label = calloc(t.rows, sizeof(*label))) == NULL ||
	    (perm = calloc(t.rows, sizeof(*perm))) == NULL) {
		oom(err);
		goto fail;
	}
	for (i = 0; i < t.rows; i++) {
		const char *v = cell(&t, i, idx[0]);
		int b = -1;

		if (v == NULL || crm_norm_bool(v, &b, NULL) < 0 || b < 0) {
			crm_error_set(err, CRM_EDATA, "%s:%ld: label %s: '%s'"
			    " is not yes/no, true/false or 1/0",
			    crm_csv_name(r), t.line[i], opts->label,
			    crm_quote(q, v ? v : "", v ? strlen(v) : 0));
			goto fail;
		}
		label[i] = b;
	}
	/* A seeded Fisher-Yates shuffle; the first ntest rows are held out. */
	for (i = 0; i < t.rows; i++)
		perm[i] = i;
	for (i = t.rows - 1; i > 0; i--) {
		size_t j = (size_t)(splitmix64(&s) % (i + 1)), tmp = perm[i];

		perm[i] = perm[j];
		perm[j] = tmp;
	}
	ntest = (size_t)floor(opts->test_share * (double)t.rows + 0.5);
	ntrain = t.rows - ntest;
	if (ntrain < 2) {
		crm_error_set(err, CRM_EDATA, "%s: too few training rows",
		    crm_csv_name(r));
		goto fail;
	}
	if (encode_setup(lg, &t, perm + ntest, ntrain, crm_csv_name(r), &p,
	    err) < 0)
		goto fail;
	x = calloc(ntrain * p, sizeof(*x));
	y = calloc(ntrain, sizeof(*y));
	beta = calloc(p + 1, sizeof(*beta));
	vals = calloc(lg->nfeat, sizeof(*vals));
	lg->ptest = calloc(ntest ? ntest : 1, sizeof(*lg->ptest));
	lg->ytest = calloc(ntest ? ntest : 1, sizeof(*lg->ytest));
	if (x == NULL || y == NULL || beta == NULL || vals == NULL ||
	    lg->ptest == NULL || lg->ytest == NULL) {
		oom(err);
		goto fail;
	}
	for (i = 0; i < ntrain; i++) {
		encode_row(lg, &t, perm[ntest + i], x + i * p, p);
		y[i] = label[perm[ntest + i]];
		lg->res.positives += (size_t)label[perm[ntest + i]];
	}
	if (lg->res.positives == 0 || lg->res.positives == ntrain) {
		crm_error_set(err, CRM_EDATA, "%s: every training row has"
		    " label %s %s", crm_csv_name(r), opts->label,
		    lg->res.positives ? "yes" : "no");
		goto fail;
	}
	if (crm_stats_logit_fit(x, y, NULL, ntrain, p, 1, opts->lambda, 0,
	    beta, &info, err) < 0) {
		crm_error_prefix(err, "%s: logistic regression",
		    crm_csv_name(r));
		goto fail;
	}
	for (i = 0; i <= p; i++)
		if (!isfinite(beta[i])) {
			crm_error_set(err, CRM_EDATA, "%s: the coefficients"
			    " diverge (separable data? use a penalty)",
			    crm_csv_name(r));
			goto fail;
		}
	lg->intercept = beta[0];
	for (i = 0; i < lg->nfeat; i++) {
		struct feat *f = &lg->f[i];

		if (f->numeric) {
			f->coef = beta[1 + f->off];
			f->mcoef = f->has_missing ? beta[2 + f->off] : 0;
		} else
			for (k = 0; k < f->nlev; k++)
				f->lcoef[k] = beta[1 + f->off + k];
	}
	lg->loglik = 0;
	for (i = 0; i < ntrain; i++) {
		double tt = beta[0];

		for (k = 0; k < p; k++)
			tt += beta[1 + k] * x[i * p + k];
		lg->loglik += y[i] ? log_sigmoid(tt) : log_sigmoid(-tt);
	}
	for (i = 0; i < ntest; i++) {
		size_t row = perm[i], bad;
		double tt;

		for (k = 0; k < lg->nfeat; k++)
			vals[k] = cell(&t, row, lg->f[k].col);
		if (linear(lg, vals, &tt, &bad) < 0) {
			crm_error_set(err, CRM_EFAIL, "%s:%ld: bad value",
			    crm_csv_name(r), t.line[row]);
			goto fail;
		}
		lg->ptest[i] = crm_stats_logistic(tt);
		lg->ytest[i] = label[row];
	}
	lg->ntest = ntest;
	lg->res.rows = t.rows;
	lg->res.train = ntrain;
	lg->res.test = ntest;
	lg->res.features = p;
	lg->res.iterations = info.iterations;
	lg->res.converged = info.converged;
	if (metrics(lg, err) < 0)
		goto fail;
	if (res != NULL)
		*res = lg->res;
	rc = 0;
	goto done;
fail:
	rc = -1;
done:
	crm_csv_close(r);
	free_keys(cols, ncols);
	free(idx);
	free(label);
	free(perm);
	free(x);
	free(y);
	free(beta);
	free(vals);
	free(t.cell);
	free(t.line);
	crm_buf_release(&t.arena);
	if (rc < 0) {
		crm_churn_logit_free(lg);
		return NULL;
	}
	return lg;
}

static int
jnum(struct crm_buf *b, const char *key, double v, struct crm_error *err)
{
	if (!isfinite(v))
		return crm_error_set(err, CRM_EFAIL, "model value %s is not"
		    " finite", key);
	return crm_buf_addf(b, err, "\"%s\":%.17g", key, v);
}

int
crm_churn_logit_store(struct crm_db *db, struct crm_churn_logit *lg,
    int64_t *id, struct crm_error *err)
{
	struct crm_buf b = CRM_BUF_INIT((size_t)64 << 20);
	const struct crm_churn_train_result *res = &lg->res;
	struct crm_stmt *st;
	size_t i, k;
	int rc = -1;

	if (crm_buf_adds(&b, "{\"label\":", err) < 0 ||
	    json_str(&b, lg->label, err) < 0 ||
	    crm_buf_adds(&b, ",\"id\":", err) < 0 ||
	    (lg->idcol ? json_str(&b, lg->idcol, err) :
	    crm_buf_adds(&b, "null", err)) < 0 ||
	    crm_buf_addc(&b, ',', err) < 0 ||
	    jnum(&b, "intercept", lg->intercept, err) < 0 ||
	    crm_buf_addc(&b, ',', err) < 0 ||
	    jnum(&b, "lambda", lg->lambda, err) < 0 ||
	    crm_buf_addf(&b, err, ",\"seed\":%llu,\"rows\":%zu,\"train\":%zu,"
	    "\"test\":%zu,", (unsigned long long)lg->seed, res->rows,
	    res->train, res->test) < 0 ||
	    jnum(&b, "test_share", lg->test_share, err) < 0)
		goto done;
	if (res->has_metrics && (crm_buf_addc(&b, ',', err) < 0 ||
	    jnum(&b, "auc", res->auc, err) < 0 ||
	    crm_buf_addc(&b, ',', err) < 0 ||
	    jnum(&b, "accuracy", res->accuracy, err) < 0 ||
	    crm_buf_addc(&b, ',', err) < 0 ||
	    jnum(&b, "log_loss", res->log_loss, err) < 0))
		goto done;
	if (crm_buf_adds(&b, ",\"features\":[", err) < 0)
		goto done;
	for (i = 0; i < lg->nfeat; i++) {
		const struct feat *f = &lg->f[i];

		if (crm_buf_adds(&b, i ? ",{\"name\":" : "{\"name\":",
		    err) < 0 || json_str(&b, f->name, err) < 0)
			goto done;
		if (f->numeric) {
			if (crm_buf_adds(&b, ",\"type\":\"numeric\",", err) < 0 ||
			    jnum(&b, "mean", f->mean, err) < 0 ||
			    crm_buf_addc(&b, ',', err) < 0 ||
			    jnum(&b, "sd", f->sd, err) < 0 ||
			    crm_buf_addc(&b, ',', err) < 0 ||
			    jnum(&b, "coef", f->coef, err) < 0 ||
			    (f->has_missing && (crm_buf_addc(&b, ',', err) < 0 ||
			    jnum(&b, "missing", f->mcoef, err) < 0)) ||
			    crm_buf_addc(&b, '}', err) < 0)
				goto done;
			continue;
		}
		if (crm_buf_adds(&b, ",\"type\":\"categorical\",\"levels\":[",
		    err) < 0)
			goto done;
		for (k = 0; k < f->nlev; k++)
			if ((k && crm_buf_addc(&b, ',', err) < 0) ||
			    json_str(&b, f->lev[k], err) < 0)
				goto done;
		if (crm_buf_adds(&b, "],\"coefs\":[", err) < 0)
			goto done;
		for (k = 0; k < f->nlev; k++) {
			if (!isfinite(f->lcoef[k])) {
				crm_error_set(err, CRM_EFAIL, "coefficient not"
				    " finite");
				goto done;
			}
			if (crm_buf_addf(&b, err, "%s%.17g", k ? "," : "",
			    f->lcoef[k]) < 0)
				goto done;
		}
		if (crm_buf_adds(&b, "]}", err) < 0)
			goto done;
	}
	if (crm_buf_adds(&b, "]}", err) < 0)
		goto done;
	if ((st = crm_db_stmt(db, "INSERT INTO models (kind, params, loglik,"
	    " iterations, converged, n, fitted_at) VALUES ('logit', ?1, ?2,"
	    " ?3, ?4, ?5, ?6)", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, crm_buf_str(&b), err) < 0 ||
	    crm_db_bind_double(db, st, 2, lg->loglik, err) < 0 ||
	    crm_db_bind_int(db, st, 3, res->iterations, err) < 0 ||
	    crm_db_bind_int(db, st, 4, res->converged, err) < 0 ||
	    crm_db_bind_int(db, st, 5, (int64_t)res->train, err) < 0 ||
	    crm_db_bind_int(db, st, 6, crm_now(), err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		goto done;
	*id = crm_db_last_id(db);
	rc = 0;
done:
	crm_buf_release(&b);
	return rc;
}

struct lv {
	char *s;
	double c;
};

static int
lv_cmp(const void *pa, const void *pb)
{
	return strcmp(((const struct lv *)pa)->s, ((const struct lv *)pb)->s);
}

/* Levels and their coefficients from two JSON arrays, sorted by level. */
static int
load_levels(struct crm_db *db, struct feat *f, const char *levels,
    const char *coefs, struct crm_error *err)
{
	struct crm_stmt *st;
	size_t n = 0, a = 0, i;
	char **lev;
	double *co;
	int rc;

	if ((st = crm_db_stmt(db, "SELECT a.value, b.value FROM json_each(?1)"
	    " a JOIN json_each(?2) b ON a.key = b.key ORDER BY a.key",
	    err)) == NULL ||
	    crm_db_bind_text(db, st, 1, levels, err) < 0 ||
	    crm_db_bind_text(db, st, 2, coefs, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		const char *v = crm_db_col_text(st, 0);

		if (n == a) {
			a = a ? 2 * a : 16;
			if ((lev = reallocarray(f->lev, a, sizeof(*lev))) ==
			    NULL || (f->lev = lev, co = reallocarray(f->lcoef,
			    a, sizeof(*co))) == NULL) {
				crm_db_reset(st);
				return oom(err);
			}
			f->lcoef = co;
		}
		if ((f->lev[n] = strdup(v ? v : "")) == NULL) {
			crm_db_reset(st);
			return oom(err);
		}
		f->lcoef[n] = crm_db_col_double(st, 1);
		f->nlev = ++n;
	}
	if (rc < 0)
		return -1;
	/* Sort the pairs by level, for bsearch. */
	if (n > 1) {
		struct lv *v = calloc(n, sizeof(*v));

		if (v == NULL)
			return oom(err);
		for (i = 0; i < n; i++) {
			v[i].s = f->lev[i];
			v[i].c = f->lcoef[i];
		}
		qsort(v, n, sizeof(*v), lv_cmp);
		for (i = 0; i < n; i++) {
			f->lev[i] = v[i].s;
			f->lcoef[i] = v[i].c;
		}
		free(v);
	}
	return 0;
}

struct crm_churn_logit *
crm_churn_logit_load(struct crm_db *db, int64_t id, struct crm_error *err)
{
	struct crm_churn_logit *lg;
	struct crm_stmt *st;
	const char *k;
	size_t a = 0;
	int rc, nul = 0;

	if ((lg = calloc(1, sizeof(*lg))) == NULL) {
		oom(err);
		return NULL;
	}
	if ((st = crm_db_stmt(db, "SELECT id, kind,"
	    " json_extract(params, '$.label'), json_extract(params, '$.id'),"
	    " json_extract(params, '$.intercept')"
	    " FROM models WHERE CASE WHEN ?1 > 0 THEN id = ?1"
	    " ELSE kind = 'logit' END ORDER BY id DESC LIMIT 1", err)) ==
	    NULL || crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		goto fail;
	if (rc == 0) {
		if (id > 0)
			crm_error_set(err, CRM_EDATA, "no model %lld",
			    (long long)id);
		else
			crm_error_set(err, CRM_EDATA, "no logit model: run"
			    " crm-churn train first");
		goto fail;
	}
	id = crm_db_col_int(st, 0);
	k = crm_db_col_text(st, 1);
	if (k == NULL || strcmp(k, "logit") != 0) {
		crm_error_set(err, CRM_EDATA, "model %lld is a %s model, not"
		    " a logit model", (long long)id, k ? k : "?");
		crm_db_reset(st);
		goto fail;
	}
	lg->label = strdup(crm_db_col_text(st, 2) ? crm_db_col_text(st, 2) :
	    "");
	if (crm_db_col_text(st, 3) != NULL &&
	    (lg->idcol = strdup(crm_db_col_text(st, 3))) == NULL)
		nul = -1;
	lg->intercept = coldbl(st, 4, &nul);
	crm_db_reset(st);
	if (lg->label == NULL || nul < 0) {
		oom(err);
		goto fail;
	}
	if ((st = crm_db_stmt(db, "SELECT json_extract(f.value, '$.name'),"
	    " json_extract(f.value, '$.type'),"
	    " json_extract(f.value, '$.mean'), json_extract(f.value, '$.sd'),"
	    " json_extract(f.value, '$.coef'),"
	    " json_extract(f.value, '$.missing'),"
	    " json_extract(f.value, '$.levels'),"
	    " json_extract(f.value, '$.coefs')"
	    " FROM models m, json_each(m.params, '$.features') f"
	    " WHERE m.id = ?1 ORDER BY f.key", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0)
		goto fail;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		struct feat *f;
		const char *name = crm_db_col_text(st, 0);
		const char *type = crm_db_col_text(st, 1);
		int mnul = 0;

		if (lg->nfeat == a) {
			a = a ? 2 * a : 16;
			if ((f = reallocarray(lg->f, a, sizeof(*f))) == NULL) {
				crm_db_reset(st);
				oom(err);
				goto fail;
			}
			lg->f = f;
		}
		f = &lg->f[lg->nfeat++];
		memset(f, 0, sizeof(*f));
		if (name == NULL || type == NULL ||
		    (f->name = strdup(name)) == NULL) {
			crm_db_reset(st);
			crm_error_set(err, CRM_EDATA, "model %lld: bad feature",
			    (long long)id);
			goto fail;
		}
		f->numeric = strcmp(type, "numeric") == 0;
		if (f->numeric) {
			f->mean = coldbl(st, 2, &nul);
			f->sd = coldbl(st, 3, &nul);
			f->coef = coldbl(st, 4, &nul);
			f->mcoef = coldbl(st, 5, &mnul);
			f->has_missing = !mnul;
			if (!(f->sd > 0))
				nul = 1;
		} else if (crm_db_col_text(st, 6) == NULL ||
		    crm_db_col_text(st, 7) == NULL || load_levels(db, f,
		    crm_db_col_text(st, 6), crm_db_col_text(st, 7), err) < 0) {
			crm_db_reset(st);
			if (err->code == CRM_EOK)
				crm_error_set(err, CRM_EDATA, "model %lld: bad"
				    " feature", (long long)id);
			goto fail;
		}
	}
	if (rc < 0)
		goto fail;
	if (nul || lg->nfeat == 0 || !isfinite(lg->intercept)) {
		crm_error_set(err, CRM_EDATA, "model %lld: bad parameters",
		    (long long)id);
		goto fail;
	}
	return lg;
fail:
	crm_churn_logit_free(lg);
	return NULL;
}

int
crm_churn_logit_report(const struct crm_churn_logit *lg, int64_t id, int by,
    struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "model_id", "rows", "train",
	    "test", "features", "positives", "auc", "accuracy",
	    "baseline_accuracy", "log_loss", "brier", "ece", "iterations",
	    "converged" };
	enum { N = sizeof(names) / sizeof(names[0]) };
	static const char *const dnames[] = { "decile", "rows", "predicted",
	    "observed" };
	const struct crm_churn_train_result *res = &lg->res;
	enum crm_coltype types[N];
	char buf[N][40];
	const char *vals[N];
	size_t i, k, n = lg->ntest;

	for (i = 0; i < N; i++)
		types[i] = CRM_COL_NUM;
	types[N - 1] = CRM_COL_BOOL;
	if (by == CRM_CHURN_BY_DECILE) {
		if (crm_out_header(o, dnames, types, 4, err) < 0)
			return -1;
		if (!res->has_metrics)
			return 0;
		for (k = 0; k < 10; k++) {
			size_t lo = k * n / 10, hi = (k + 1) * n / 10;
			double mp = 0, my = 0;

			if (hi == lo)
				continue;
			for (i = lo; i < hi; i++) {
				mp += lg->ptest[i];
				my += lg->ytest[i];
			}
			snprintf(buf[0], 40, "%zu", k + 1);
			snprintf(buf[1], 40, "%zu", hi - lo);
			if (num(buf[2], 40, 'f', 4, mp / (double)(hi - lo),
			    "predicted", err) < 0 || num(buf[3], 40, 'f', 4,
			    my / (double)(hi - lo), "observed", err) < 0)
				return -1;
			for (i = 0; i < 4; i++)
				vals[i] = buf[i];
			if (crm_out_row(o, vals, err) < 0)
				return -1;
		}
		return 0;
	}
	if (by != CRM_CHURN_BY_TOTAL)
		return crm_error_set(err, CRM_EUSAGE, "train reports by total"
		    " or decile");
	for (i = 0; i < N; i++)
		vals[i] = NULL;
	if (id > 0) {
		snprintf(buf[0], 40, "%lld", (long long)id);
		vals[0] = buf[0];
	}
	snprintf(buf[1], 40, "%zu", res->rows);
	snprintf(buf[2], 40, "%zu", res->train);
	snprintf(buf[3], 40, "%zu", res->test);
	snprintf(buf[4], 40, "%zu", res->features);
	snprintf(buf[5], 40, "%zu", res->positives);
	for (i = 1; i < 6; i++)
		vals[i] = buf[i];
	if (res->has_metrics) {
		if (num(buf[6], 40, 'f', 4, res->auc, "AUC", err) < 0 ||
		    num(buf[7], 40, 'f', 4, res->accuracy, "accuracy",
		    err) < 0 ||
		    num(buf[8], 40, 'f', 4, res->baseline, "baseline",
		    err) < 0 ||
		    num(buf[9], 40, 'f', 4, res->log_loss, "log loss",
		    err) < 0 ||
		    num(buf[10], 40, 'f', 4, res->brier, "Brier score",
		    err) < 0 ||
		    num(buf[11], 40, 'f', 4, res->ece, "ECE", err) < 0)
			return -1;
		for (i = 6; i < 12; i++)
			vals[i] = buf[i];
	}
	snprintf(buf[12], 40, "%d", res->iterations);
	vals[12] = buf[12];
	vals[13] = res->converged ? "1" : "0";
	if (crm_out_header(o, names, types, N, err) < 0)
		return -1;
	return crm_out_row(o, vals, err);
}

int
crm_churn_predict(const struct crm_churn_logit *lg, const char *path,
    int flags, struct crm_out *o, int64_t *rows, struct crm_error *err)
{
	static const enum crm_coltype types[] = { CRM_COL_TEXT, CRM_COL_NUM };
	struct crm_csv_col *cols;
	struct crm_csv *r = NULL;
	const char *names[2], **vals = NULL;
	int *idx = NULL, rc = -1, step, useid;
	size_t i, n = lg->nfeat;
	char q[CRM_QUOTE_MAX];

	*rows = 0;
	if ((cols = calloc(n + 1, sizeof(*cols))) == NULL ||
	    (idx = calloc(n + 1, sizeof(*idx))) == NULL ||
	    (vals = calloc(n, sizeof(*vals))) == NULL) {
		oom(err);
		goto done;
	}
	for (i = 0; i <= n; i++)
		if ((cols[i].name = colkey(i < n ? lg->f[i].name :
		    lg->idcol ? lg->idcol : "")) == NULL) {
			oom(err);
			goto done;
		}
	if ((r = crm_csv_open(path, flags, err)) == NULL ||
	    crm_csv_header(r, cols, n + 1, idx, err) < 0)
		goto done;
	for (i = 0; i < n; i++)
		if (idx[i] < 0) {
			crm_error_set(err, CRM_EDATA, "%s: no column '%s' (the"
			    " model needs it)", crm_csv_name(r), crm_quote(q,
			    lg->f[i].name, strlen(lg->f[i].name)));
			goto done;
		}
	useid = lg->idcol != NULL && idx[n] >= 0;
	names[0] = useid ? lg->idcol : "row";
	names[1] = "churn_probability";
	if (crm_out_header(o, names, types, 2, err) < 0)
		goto done;
	while ((step = crm_csv_next(r, err)) == 1) {
		char rowbuf[32], pbuf[32];
		const char *out[2];
		double t;
		size_t bad;

		for (i = 0; i < n; i++)
			vals[i] = crm_csv_missing(r, idx[i]) ? NULL :
			    crm_csv_field(r, idx[i]);
		if (linear(lg, vals, &t, &bad) < 0) {
			crm_error_set(err, CRM_EDATA, "%s:%ld: %s: '%s' is not"
			    " a number", crm_csv_name(r), crm_csv_line(r),
			    lg->f[bad].name, crm_quote(q, vals[bad],
			    strlen(vals[bad])));
			goto done;
		}
		(*rows)++;
		snprintf(rowbuf, sizeof(rowbuf), "%lld", (long long)*rows);
		out[0] = useid ? crm_csv_field(r, idx[n]) : rowbuf;
		if (num(pbuf, sizeof(pbuf), 'f', 6, crm_stats_logistic(t),
		    "probability", err) < 0)
			goto done;
		out[1] = pbuf;
		if (crm_out_row(o, out, err) < 0)
			goto done;
	}
	if (step == 0)
		rc = 0;
done:
	crm_csv_close(r);
	free_keys(cols, n + 1);
	free(idx);
	free(vals);
	return rc;
}
