#include <sys/types.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmeans.h"
#include "norm.h"
#include "segment.h"

/* RFM */

static struct crm_rfm_rule std_rules[] = {
	{ 5, 5, 4, 5, "Champions" },
	{ 4, 4, 5, 5, "Champions" },
	{ 3, 5, 4, 5, "Loyal" },
	{ 4, 5, 2, 3, "Potential Loyalist" },
	{ 5, 5, 1, 1, "New" },
	{ 4, 4, 1, 1, "Promising" },
	{ 3, 3, 3, 3, "Need Attention" },
	{ 3, 3, 1, 2, "About to Sleep" },
	{ 1, 2, 5, 5, "Can't Lose Them" },
	{ 1, 2, 3, 4, "At Risk" },
	{ 2, 2, 1, 2, "Hibernating" },
	{ 1, 1, 1, 2, "Lost" },
};

static const struct crm_rfm_map std_map = {
	sizeof(std_rules) / sizeof(std_rules[0]), std_rules
};

const struct crm_rfm_map *
crm_rfm_default_map(void)
{
	return &std_map;
}

static const char *
map_name(const struct crm_rfm_map *m, int r, int fm)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (r >= m->rules[i].rlo && r <= m->rules[i].rhi &&
		    fm >= m->rules[i].fmlo && fm <= m->rules[i].fmhi)
			return m->rules[i].name;
	return "Unmapped";
}

void
crm_rfm_map_free(struct crm_rfm_map *m)
{
	size_t i;

	if (m == NULL || m == &std_map)
		return;
	for (i = 0; i < m->n; i++)
		free((char *)m->rules[i].name);
	free(m->rules);
	free(m);
}

/* "3", "4-5" or "*" into lo..hi; -1 if bad. */
static int
range(const char *s, int *lo, int *hi)
{
	size_t len;
	const char *t = crm_trim(s, &len);

	if (len == 1 && t[0] == '*') {
		*lo = 1;
		*hi = 5;
		return 0;
	}
	if (len == 1 && t[0] >= '1' && t[0] <= '5') {
		*lo = *hi = t[0] - '0';
		return 0;
	}
	if (len == 3 && t[1] == '-' && t[0] >= '1' && t[0] <= '5' &&
	    t[2] >= t[0] && t[2] <= '5') {
		*lo = t[0] - '0';
		*hi = t[2] - '0';
		return 0;
	}
	return -1;
}

struct crm_rfm_map *
crm_rfm_map_read(const char *path, struct crm_error *err)
{
	static const struct crm_csv_col mcols[] = {
		{ "r", "recency" }, { "fm", "frequency_monetary" },
		{ "segment", "name" },
	};
	struct crm_rfm_map *m;
	struct crm_csv *r;
	int idx[3], rc, ri, fi;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	if ((r = crm_csv_open(path, 0, err)) == NULL)
		goto fail;
	if (crm_csv_header(r, mcols, 3, idx, err) < 0)
		goto fail;
	if (idx[0] < 0 || idx[1] < 0 || idx[2] < 0) {
		crm_error_set(err, CRM_EDATA, "%s: a map needs the columns r,"
		    " fm and segment", path);
		goto fail;
	}
	while ((rc = crm_csv_next(r, err)) == 1) {
		struct crm_rfm_rule *q, x;
		char *name = NULL;

		if (range(crm_csv_field(r, idx[0]), &x.rlo, &x.rhi) < 0 ||
		    range(crm_csv_field(r, idx[1]), &x.fmlo, &x.fmhi) < 0 ||
		    crm_blank(crm_csv_field(r, idx[2]))) {
			crm_error_set(err, CRM_EDATA, "%s:%ld: expected r and fm"
			    " as 1..5, a range such as 4-5, or *, and a"
			    " segment name", path, crm_csv_line(r));
			goto fail;
		}
		if ((q = reallocarray(m->rules, m->n + 1, sizeof(*q))) == NULL ||
		    (name = strdup(crm_csv_field(r, idx[2]))) == NULL) {
			if (q != NULL)
				m->rules = q;
			crm_error_set(err, CRM_EFAIL, "out of memory");
			goto fail;
		}
		m->rules = q;
		x.name = name;
		m->rules[m->n++] = x;
	}
	if (rc < 0)
		goto fail;
	for (ri = 1; ri <= 5; ri++)
		for (fi = 1; fi <= 5; fi++)
			if (strcmp(map_name(m, ri, fi), "Unmapped") == 0) {
				crm_error_set(err, CRM_EDATA, "%s: no segment"
				    " for r=%d, fm=%d", path, ri, fi);
				goto fail;
			}
	crm_csv_close(r);
	return m;
fail:
	crm_csv_close(r);
	crm_rfm_map_free(m);
	return NULL;
}

struct buyer {
	int64_t id;
	double v[3];		/* recency days, frequency, monetary */
	int s[3];
	size_t ext, email;	/* offsets in the string arena, or -1 */
	int buys;
};

/* Doubles as unsigned keys in the same order (no NaN here). */
static uint64_t
dkey(double x)
{
	uint64_t u;

	memcpy(&u, &x, sizeof(u));
	return u >> 63 ? ~u : u | (uint64_t)1 << 63;
}

/*
 * Sort v[0..n) ascending: least significant byte first, counting, skipping
 * the bytes all keys share (most of them for day counts and purchase
 * counts).  Several times faster than qsort(3) on a million values.
 */
static int
sort_doubles(double *v, size_t n, struct crm_error *err)
{
	uint64_t *k, *t;
	size_t cnt[256], i, pos;
	int shift;

	if (n < 2)
		return 0;
	if ((k = reallocarray(NULL, 2 * n, sizeof(*k))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	t = k + n;
	for (i = 0; i < n; i++)
		k[i] = dkey(v[i]);
	for (shift = 0; shift < 64; shift += 8) {
		uint64_t *x;

		memset(cnt, 0, sizeof(cnt));
		for (i = 0; i < n; i++)
			cnt[(k[i] >> shift) & 0xff]++;
		if (cnt[(k[0] >> shift) & 0xff] == n)
			continue;
		for (i = 0, pos = 0; i < 256; i++) {
			size_t c = cnt[i];

			cnt[i] = pos;
			pos += c;
		}
		for (i = 0; i < n; i++)
			t[cnt[(k[i] >> shift) & 0xff]++] = k[i];
		x = k;
		k = t;
		t = x;
	}
	for (i = 0; i < n; i++) {
		uint64_t u = k[i] >> 63 ? k[i] & ~((uint64_t)1 << 63) : ~k[i];

		memcpy(&v[i], &u, sizeof(u));
	}
	free(k < t ? k : t);
	return 0;
}

/*
 * Quintile scores.  A value's score only changes where the count of worse
 * values crosses a fifth of n, so one pass over the sorted values finds,
 * for each score, the least value that gets it (the greatest for recency,
 * where fewer days is better); a value is then scored with at most four
 * comparisons instead of a binary search.  Equal values are one run and
 * get one score, as the rule requires.
 */
struct quint {
	double lim[6];
	int have[6];
	int dim;
};

static void
quint_init(struct quint *q, const double *sorted, size_t n, int dim)
{
	size_t i, j;
	int s;

	memset(q, 0, sizeof(*q));
	q->dim = dim;
	for (i = 0; i < n; i++) {
		if (dim == 0) {
			/* From the top: i values have more days. */
			j = n - 1 - i;
			if (i > 0 && sorted[j] == sorted[j + 1])
				continue;
		} else {
			/* i values are below sorted[i]. */
			j = i;
			if (i > 0 && sorted[i] == sorted[i - 1])
				continue;
		}
		s = 1 + (int)(5 * i / n);
		if (!q->have[s]) {
			q->lim[s] = sorted[j];
			q->have[s] = 1;
		}
	}
}

/* The score of x, one of the values q was made from, or by cut points. */
static int
score(const struct quint *q, const double *cuts, double x)
{
	int k;

	if (cuts != NULL) {
		if (q->dim == 0) {
			for (k = 0; k < 4; k++)
				if (x <= cuts[k])
					return 5 - k;
			return 1;
		}
		for (k = 4; k > 0; k--)
			if (x >= cuts[k - 1])
				return k + 1;
		return 1;
	}
	for (k = 5; k > 1; k--)
		if (q->have[k] && (q->dim == 0 ? x <= q->lim[k] :
		    x >= q->lim[k]))
			return k;
	return 1;
}

/* Describe the scores' boundaries as the data gave them. */
static int
explain_dim(struct crm_buf *ex, const char *name, const double *sorted,
    size_t n, const double *cuts, const struct quint *q,
    struct crm_error *err)
{
	double lo[6], hi[6];
	int have[6] = { 0 }, k;
	size_t i;

	if (crm_buf_addf(ex, err, "%s:", name) < 0)
		return -1;
	if (cuts != NULL) {
		if (crm_buf_addf(ex, err, " cut points %g %g %g %g (given)\n",
		    cuts[0], cuts[1], cuts[2], cuts[3]) < 0)
			return -1;
		return 0;
	}
	for (i = 0; i < n; i++) {
		k = score(q, NULL, sorted[i]);
		if (!have[k]) {
			lo[k] = hi[k] = sorted[i];
			have[k] = 1;
		}
		hi[k] = sorted[i];
	}
	for (k = 5; k >= 1; k--) {
		if (!have[k])
			continue;
		if (crm_buf_addf(ex, err, " %d=%g..%g", k, lo[k], hi[k]) < 0)
			return -1;
	}
	return crm_buf_addc(ex, '\n', err);
}

/*
 * 1 for an interaction that is an order's first line or no order's line
 * at all: lines of one order (order_ref, issue 15) count once, while
 * their amounts all add up.
 */
#define ORDER_FIRST "(order_ref IS NULL OR NOT EXISTS (SELECT 1 FROM" \
	" interactions o WHERE o.order_ref = interactions.order_ref AND" \
	" o.contact_id = interactions.contact_id AND o.id < interactions.id))"

/* A contact's purchases as the scan adds them up. */
struct agg {
	int64_t last;		/* the latest purchase */
	int64_t n;		/* purchases */
	double total;		/* their amounts */
};

/* Index of id among the ascending ids of b[0..n), or -1. */
static ssize_t
find_id(const struct buyer *b, size_t n, int64_t id)
{
	size_t l = 0, h = n;

	while (l < h) {
		size_t mid = l + (h - l) / 2;

		if (b[mid].id < id)
			l = mid + 1;
		else
			h = mid;
	}
	return l < n && b[l].id == id ? (ssize_t)l : -1;
}

#define SCAN_BATCH	256

/*
 * Add the purchases up, one pass over interactions.  The rows come in
 * table order, so each lands on a random contact: a batch of rows is read
 * first and its slots prefetched, so that the cache misses overlap.  ag
 * is indexed by id - lo when dense is set, else by the contact's index in
 * b (found by binary search); rows of other contacts are skipped.
 */
static int
scan_purchases(struct crm_db *db, const struct crm_rfm_opts *opts,
    int64_t end, const struct buyer *b, size_t n, int dense, int64_t lo,
    struct agg *ag, struct crm_error *err)
{
	struct crm_stmt *st;
	int64_t at[SCAN_BATCH], first[SCAN_BATCH];
	double amount[SCAN_BATCH];
	ssize_t slot[SCAN_BATCH];
	size_t k, m;
	int rc;

	if ((st = crm_db_stmt(db, "SELECT contact_id, at, amount, "
	    ORDER_FIRST " FROM interactions WHERE kind = ?1 AND at < ?2",
	    err)) == NULL ||
	    crm_db_bind_text(db, st, 1, opts->kind ? opts->kind : "purchase",
	    err) < 0 ||
	    crm_db_bind_int(db, st, 2, end, err) < 0)
		return -1;
	do {
		for (m = 0; m < SCAN_BATCH &&
		    (rc = crm_db_step(db, st, err)) == 1; m++) {
			int64_t id = crm_db_col_int(st, 0);

			if (dense)
				slot[m] = id < lo || id > b[n - 1].id ? -1 :
				    (ssize_t)(id - lo);
			else
				slot[m] = find_id(b, n, id);
			if (slot[m] >= 0)
				__builtin_prefetch(&ag[slot[m]], 1);
			at[m] = crm_db_col_int(st, 1);
			/* total() skips NULL; NULL reads as 0.0 here. */
			amount[m] = crm_db_col_double(st, 2);
			first[m] = crm_db_col_int(st, 3);
		}
		for (k = 0; k < m; k++) {
			struct agg *x;

			if (slot[k] < 0)
				continue;
			x = &ag[slot[k]];
			if (x->n == 0 || at[k] > x->last)
				x->last = at[k];
			x->n += first[k];
			x->total += amount[k];
		}
	} while (rc == 1);
	return rc < 0 ? -1 : 0;
}

/*
 * Fetch buyers and non-buyers; strings kept in arena.  The live contacts
 * come first, in id order; then one scan of interactions adds each
 * purchase to its contact.  That is the whole cost: a GROUP BY would sort
 * the purchases first (or, through interactions_contact, look every row
 * up in the table: 50-100 s at 5M rows), and a LEFT JOIN on its result
 * would build an index on it.  Both statements read in one transaction,
 * so that they see the same data.
 */
static int
fetch(struct crm_db *db, const struct crm_rfm_opts *opts, struct buyer **out,
    size_t *nout, struct crm_buf *arena, struct crm_error *err)
{
	struct crm_stmt *st;
	struct buyer *b = NULL;
	struct agg *ag = NULL;
	size_t n = 0, a = 0, i, nag;
	int64_t day0 = opts->asof - ((opts->asof % 86400) + 86400) % 86400;
	int rc, began = 0, dense = 0;

	if (!crm_db_in_tx(db)) {
		if (crm_db_exec(db, "BEGIN", err) < 0)
			return -1;
		began = 1;
	}
	if ((st = crm_db_stmt(db, "SELECT id, external_id, email FROM contacts"
	    " WHERE merged_into IS NULL AND erased_at IS NULL ORDER BY id",
	    err)) == NULL)
		goto fail;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		struct buyer *x;
		const char *s;

		if (n == a) {
			size_t na = a ? a * 2 : 1024;
			struct buyer *q = reallocarray(b, na, sizeof(*q));

			if (q == NULL) {
				crm_db_reset(st);
				crm_error_set(err, CRM_EFAIL, "out of memory");
				goto fail;
			}
			b = q;
			a = na;
		}
		x = &b[n++];
		memset(x, 0, sizeof(*x));
		x->id = crm_db_col_int(st, 0);
		x->ext = x->email = (size_t)-1;
		if ((s = crm_db_col_text(st, 1)) != NULL) {
			x->ext = arena->len;
			if (crm_buf_add(arena, s, strlen(s) + 1, err) < 0)
				break;
		}
		if ((s = crm_db_col_text(st, 2)) != NULL) {
			x->email = arena->len;
			if (crm_buf_add(arena, s, strlen(s) + 1, err) < 0)
				break;
		}
	}
	if (rc != 0) {
		crm_db_reset(st);
		goto fail;
	}

	/*
	 * Ids are mostly dense: then the sums sit in an array indexed by id,
	 * one memory access per row, else in one per contact.
	 */
	nag = n;
	if (n > 0 && (uint64_t)(b[n - 1].id - b[0].id) < 4 * (uint64_t)n +
	    65536) {
		dense = 1;
		nag = (size_t)(b[n - 1].id - b[0].id) + 1;
	}
	if ((ag = calloc(nag ? nag : 1, sizeof(*ag))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto fail;
	}
	if (n > 0 && scan_purchases(db, opts, day0 + 86400, b, n, dense,
	    b[0].id, ag, err) < 0)
		goto fail;

	for (i = 0; i < n; i++) {
		struct buyer *x = &b[i];
		const struct agg *g =
		    &ag[dense ? (size_t)(x->id - b[0].id) : i];
		int64_t lday;

		if (g->n == 0)
			continue;
		lday = g->last - ((g->last % 86400) + 86400) % 86400;
		x->buys = 1;
		x->v[0] = (double)((day0 - lday) / 86400);
		x->v[1] = (double)g->n;
		x->v[2] = opts->monetary_avg ? g->total / (double)g->n :
		    g->total;
		/* Two decimals, so that sums that differ only in
		 * floating-point noise tie. */
		x->v[2] = round(x->v[2] * 100) / 100;
	}
	if (began)
		crm_db_rollback(db);
	free(ag);
	*out = b;
	*nout = n;
	return 0;
fail:
	if (began)
		crm_db_rollback(db);
	free(ag);
	free(b);
	return -1;
}

/* Score everyone in b; explain the boundaries. */
static int
score_all(struct buyer *b, size_t n, const struct crm_rfm_opts *opts,
    struct crm_buf *explain, struct crm_error *err)
{
	static const char *const dn[] = { "recency (days)", "frequency",
	    "monetary" };
	double *sorted[3] = { NULL, NULL, NULL };
	struct quint q[3];
	size_t nb = 0, i;
	int d, rc = -1;

	for (i = 0; i < n; i++)
		nb += (size_t)b[i].buys;
	for (d = 0; d < 3; d++) {
		size_t k = 0;

		if ((sorted[d] = malloc((nb ? nb : 1) * sizeof(double))) ==
		    NULL) {
			crm_error_set(err, CRM_EFAIL, "out of memory");
			goto done;
		}
		for (i = 0; i < n; i++)
			if (b[i].buys)
				sorted[d][k++] = b[i].v[d];
		if (sort_doubles(sorted[d], nb, err) < 0)
			goto done;
		quint_init(&q[d], sorted[d], nb, d);
	}
	for (i = 0; i < n; i++)
		if (b[i].buys)
			for (d = 0; d < 3; d++)
				b[i].s[d] = score(&q[d], opts->cuts[d],
				    b[i].v[d]);
	if (explain != NULL) {
		char day[11];

		crm_format_date(opts->asof, day);
		if (crm_buf_addf(explain, err, "as of %s: %zu contacts, %zu"
		    " with purchases\n", day, n, nb) < 0)
			goto done;
		for (d = 0; d < 3; d++)
			if (nb > 0 && explain_dim(explain, dn[d], sorted[d],
			    nb, opts->cuts[d], &q[d], err) < 0)
				goto done;
	}
	rc = 0;
done:
	for (d = 0; d < 3; d++)
		free(sorted[d]);
	return rc;
}

static const char *
rfm_name(const struct crm_rfm_opts *opts, const struct buyer *x)
{
	const struct crm_rfm_map *m = opts->map ? opts->map : &std_map;

	if (!x->buys)
		return "No purchases";
	return map_name(m, x->s[0], (x->s[1] + x->s[2] + 1) / 2);
}

/* v in decimal into out[24]; returns out.  snprintf(3) costs more than
 * the rest of a row. */
static char *
fmt_int(char *out, int64_t v)
{
	char tmp[24];
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	size_t n = 0, i = 0;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		out[i++] = '-';
	while (n > 0)
		out[i++] = tmp[--n];
	out[i] = '\0';
	return out;
}

/* A sum already rounded to cents as printf's "%.2f" writes it, into
 * out[32]; returns out. */
static char *
fmt_cents(char *out, double v)
{
	long long c;
	char *p = out;

	if (!(fabs(v) < 1e15)) {
		snprintf(out, 32, "%.2f", v);
		return out;
	}
	if (signbit(v))
		*p++ = '-';
	c = llround(fabs(v) * 100);
	fmt_int(p, c / 100);
	p += strlen(p);
	*p++ = '.';
	*p++ = (char)('0' + c % 100 / 10);
	*p++ = (char)('0' + c % 10);
	*p = '\0';
	return out;
}

/* The row of buyer x. */
static void
rfm_row(const struct crm_rfm_opts *opts, const struct buyer *x,
    const struct crm_buf *arena, struct crm_rfm_row *row)
{
	memset(row, 0, sizeof(*row));
	row->id = x->id;
	row->external_id = x->ext == (size_t)-1 ? NULL : arena->s + x->ext;
	row->email = x->email == (size_t)-1 ? NULL : arena->s + x->email;
	if (x->buys) {
		row->recency = (int64_t)x->v[0];
		row->frequency = (int64_t)x->v[1];
		row->monetary = x->v[2];
		row->r = x->s[0];
		row->f = x->s[1];
		row->m = x->s[2];
	}
	row->segment = rfm_name(opts, x);
}

static int
write_rfm(void *arg, const struct crm_rfm_row *x, struct crm_error *err)
{
	struct crm_out *o = arg;
	char id[24], rec[24], freq[24], mon[32], rfm[4], s[3][2];
	const char *vals[11];
	int d, buys = x->frequency > 0;

	rfm[0] = (char)('0' + x->r);
	rfm[1] = (char)('0' + x->f);
	rfm[2] = (char)('0' + x->m);
	rfm[3] = '\0';
	for (d = 0; d < 3; d++) {
		s[d][0] = rfm[d];
		s[d][1] = '\0';
		vals[6 + d] = buys ? s[d] : NULL;
	}
	vals[0] = fmt_int(id, x->id);
	vals[1] = x->external_id;
	vals[2] = x->email;
	vals[3] = buys ? fmt_int(rec, x->recency) : NULL;
	vals[4] = buys ? fmt_int(freq, x->frequency) : "0";
	vals[5] = buys ? fmt_cents(mon, x->monetary) : NULL;
	vals[9] = buys ? rfm : NULL;
	vals[10] = x->segment;
	return crm_out_row(o, vals, err);
}

/* Compute, then the header on o if there is one, then fn on each row. */
static int
rfm_run(struct crm_db *db, const struct crm_rfm_opts *opts,
    struct crm_out *o, int (*fn)(void *arg, const struct crm_rfm_row *row,
    struct crm_error *err), void *arg, struct crm_buf *explain,
    struct crm_error *err)
{
	static const char *const names[] = { "id", "external_id", "email",
	    "recency", "frequency", "monetary", "r", "f", "m", "rfm",
	    "segment" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_TEXT, CRM_COL_TEXT };
	struct crm_buf arena = CRM_BUF_INIT((size_t)1 << 34);
	struct buyer *b = NULL;
	size_t n = 0, i;
	int rc = -1;

	if (fetch(db, opts, &b, &n, &arena, err) < 0 ||
	    score_all(b, n, opts, explain, err) < 0 ||
	    (o != NULL && crm_out_header(o, names, types, 11, err) < 0))
		goto done;
	for (i = 0; i < n; i++) {
		struct crm_rfm_row row;

		rfm_row(opts, &b[i], &arena, &row);
		if (fn(arg, &row, err) < 0)
			goto done;
	}
	rc = 0;
done:
	free(b);
	crm_buf_release(&arena);
	return rc;
}

int
crm_rfm(struct crm_db *db, const struct crm_rfm_opts *opts, struct crm_out *o,
    struct crm_buf *explain, struct crm_error *err)
{
	return rfm_run(db, opts, o, write_rfm, o, explain, err);
}

int
crm_rfm_each(struct crm_db *db, const struct crm_rfm_opts *opts,
    int (*fn)(void *arg, const struct crm_rfm_row *row,
    struct crm_error *err), void *arg, struct crm_buf *explain,
    struct crm_error *err)
{
	return rfm_run(db, opts, NULL, fn, arg, explain, err);
}

/* Profitability */

struct group {
	char *key;
	int64_t contacts, buyers, orders;
	double revenue;
};

static int
cmp_group(const void *a, const void *b)
{
	const struct group *x = a, *y = b;

	if (x->revenue != y->revenue)
		return x->revenue < y->revenue ? 1 : -1;
	return strcmp(x->key, y->key);
}

static int
emit_groups(struct crm_out *o, const char *by, struct group *g, size_t ng,
    int sort, struct crm_error *err)
{
	const char *names[] = { by, "contacts", "buyers", "orders", "revenue",
	    "share", "cumulative_share", "aov", "revenue_per_contact" };
	static const enum crm_coltype types[] = { CRM_COL_TEXT, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_NUM };
	double total = 0, cum = 0;
	size_t i;

	for (i = 0; i < ng; i++)
		total += g[i].revenue;
	if (sort)
		qsort(g, ng, sizeof(*g), cmp_group);
	if (crm_out_header(o, names, types, 9, err) < 0)
		return -1;
	for (i = 0; i < ng; i++) {
		char v[8][32];
		const char *vals[9];

		cum += g[i].revenue;
		snprintf(v[0], 32, "%lld", (long long)g[i].contacts);
		snprintf(v[1], 32, "%lld", (long long)g[i].buyers);
		snprintf(v[2], 32, "%lld", (long long)g[i].orders);
		snprintf(v[3], 32, "%.2f", g[i].revenue);
		snprintf(v[4], 32, "%.4f", total > 0 ? g[i].revenue / total : 0);
		snprintf(v[5], 32, "%.4f", total > 0 ? cum / total : 0);
		snprintf(v[6], 32, "%.2f", g[i].orders ? g[i].revenue /
		    (double)g[i].orders : 0);
		snprintf(v[7], 32, "%.2f", g[i].contacts ? g[i].revenue /
		    (double)g[i].contacts : 0);
		vals[0] = g[i].key;
		vals[1] = v[0];
		vals[2] = v[1];
		vals[3] = v[2];
		vals[4] = v[3];
		vals[5] = v[4];
		vals[6] = v[5];
		vals[7] = g[i].orders ? v[6] : NULL;
		vals[8] = v[7];
		if (crm_out_row(o, vals, err) < 0)
			return -1;
	}
	return 0;
}

static int
add_group(struct group **g, size_t *ng, const char *key,
    struct crm_error *err)
{
	struct group *q = reallocarray(*g, *ng + 1, sizeof(*q));

	if (q == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	*g = q;
	memset(&q[*ng], 0, sizeof(q[*ng]));
	if ((q[*ng].key = strdup(key)) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	(*ng)++;
	return 0;
}

static void
free_groups(struct group *g, size_t ng)
{
	size_t i;

	for (i = 0; i < ng; i++)
		free(g[i].key);
	free(g);
}

struct contrib {
	double revenue;
	int64_t orders;
};

static int
cmp_contrib(const void *a, const void *b)
{
	const struct contrib *x = a, *y = b;

	return x->revenue < y->revenue ? 1 : x->revenue > y->revenue ? -1 : 0;
}

/* Revenue deciles of all contacts, best first: the 80/20 view. */
static int
profit_decile(struct crm_db *db, const struct crm_rfm_opts *rfm,
    struct crm_out *o, struct crm_error *err)
{
	struct crm_buf arena = CRM_BUF_INIT((size_t)1 << 34);
	struct buyer *b = NULL;
	struct contrib *c = NULL;
	struct group *g = NULL;
	size_t n = 0, ng = 0, i;
	int rc = -1, d;
	struct crm_rfm_opts all = *rfm;

	all.monetary_avg = 0;
	if (fetch(db, &all, &b, &n, &arena, err) < 0)
		goto done;
	if ((c = calloc(n ? n : 1, sizeof(*c))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++) {
		c[i].revenue = b[i].buys ? b[i].v[2] : 0;
		c[i].orders = b[i].buys ? (int64_t)b[i].v[1] : 0;
	}
	qsort(c, n, sizeof(*c), cmp_contrib);
	for (d = 1; d <= 10; d++) {
		char key[16];

		snprintf(key, sizeof(key), "%d", d);
		if (add_group(&g, &ng, key, err) < 0)
			goto done;
	}
	for (i = 0; i < n; i++) {
		struct group *x = &g[i * 10 / n];

		x->contacts++;
		x->buyers += c[i].orders > 0;
		x->orders += c[i].orders;
		x->revenue += c[i].revenue;
	}
	rc = emit_groups(o, "decile", g, ng, 0, err);
done:
	free_groups(g, ng);
	free(c);
	free(b);
	crm_buf_release(&arena);
	return rc;
}

/* By RFM segment. */
static int
profit_rfm(struct crm_db *db, const struct crm_rfm_opts *rfm,
    struct crm_out *o, struct crm_error *err)
{
	struct crm_buf arena = CRM_BUF_INIT((size_t)1 << 34);
	struct crm_rfm_opts tot = *rfm;
	struct buyer *b = NULL, *bt = NULL;
	struct group *g = NULL;
	size_t n = 0, nt = 0, ng = 0, i, k;
	int rc = -1;

	/* Scores on the user's monetary choice; revenue always the total. */
	tot.monetary_avg = 0;
	if (fetch(db, rfm, &b, &n, &arena, err) < 0 ||
	    score_all(b, n, rfm, NULL, err) < 0 ||
	    fetch(db, &tot, &bt, &nt, &arena, err) < 0)
		goto done;
	for (i = 0; i < n && i < nt; i++) {
		const char *name = rfm_name(rfm, &b[i]);

		for (k = 0; k < ng; k++)
			if (strcmp(g[k].key, name) == 0)
				break;
		if (k == ng && add_group(&g, &ng, name, err) < 0)
			goto done;
		g[k].contacts++;
		g[k].buyers += bt[i].buys;
		g[k].orders += bt[i].buys ? (int64_t)bt[i].v[1] : 0;
		g[k].revenue += bt[i].buys ? bt[i].v[2] : 0;
	}
	rc = emit_groups(o, "segment", g, ng, 1, err);
done:
	free_groups(g, ng);
	free(b);
	free(bt);
	crm_buf_release(&arena);
	return rc;
}

int
crm_profit(struct crm_db *db, const char *by, const struct crm_rfm_opts *rfm,
    struct crm_out *o, struct crm_error *err)
{
	static const char *const simple[][2] = {
		{ "stage", "c.stage" }, { "country", "c.country" },
		{ "city", "c.city" }, { "owner", "c.owner" },
	};
	struct crm_buf sql = CRM_BUF_INIT(1 << 16);
	struct group *g = NULL;
	struct crm_stmt *st = NULL;
	size_t ng = 0, i;
	int rc = -1, step;
	int64_t day0 = rfm->asof - ((rfm->asof % 86400) + 86400) % 86400;

	if (by == NULL) {
		static const char *const names[] = { "id", "external_id",
		    "email", "orders", "revenue", "aov", "first_purchase",
		    "last_purchase", "tenure_days" };
		static const enum crm_coltype types[] = { CRM_COL_NUM,
		    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_NUM,
		    CRM_COL_NUM, CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_NUM };

		if ((st = crm_db_stmt(db, "SELECT c.id, c.external_id, c.email,"
		    " coalesce(p.n, 0), printf('%.2f', coalesce(p.total, 0)),"
		    " CASE WHEN p.n > 0 THEN printf('%.2f', p.total / p.n) END,"
		    " strftime('%Y-%m-%d', p.first, 'unixepoch'),"
		    " strftime('%Y-%m-%d', p.last, 'unixepoch'),"
		    " CASE WHEN ?3 >= min(c.created_at, coalesce(p.first,"
		    " c.created_at)) THEN (?3 - min(c.created_at,"
		    " coalesce(p.first, c.created_at))) / 86400 END"
		    " FROM contacts c LEFT JOIN (SELECT contact_id,"
		    " sum(" ORDER_FIRST ") AS n, total(amount) AS total,"
		    " min(at) AS first,"
		    " max(at) AS last FROM interactions WHERE kind = ?1 AND"
		    " at < ?2 GROUP BY contact_id) p ON p.contact_id = c.id"
		    " WHERE c.merged_into IS NULL AND c.erased_at IS NULL"
		    " ORDER BY c.id", err)) == NULL ||
		    crm_db_bind_text(db, st, 1, rfm->kind ? rfm->kind :
		    "purchase", err) < 0 ||
		    crm_db_bind_int(db, st, 2, day0 + 86400, err) < 0 ||
		    crm_db_bind_int(db, st, 3, rfm->asof, err) < 0 ||
		    crm_out_header(o, names, types, 9, err) < 0)
			return -1;
		while ((step = crm_db_step(db, st, err)) == 1) {
			const char *vals[9];

			for (i = 0; i < 9; i++)
				vals[i] = crm_db_col_text(st, (int)i);
			if (crm_out_row(o, vals, err) < 0) {
				crm_db_reset(st);
				return -1;
			}
		}
		return step < 0 ? -1 : 0;
	}
	if (strcmp(by, "decile") == 0)
		return profit_decile(db, rfm, o, err);
	if (strcmp(by, "rfm") == 0)
		return profit_rfm(db, rfm, o, err);
	for (i = 0; i < 4; i++)
		if (strcmp(by, simple[i][0]) == 0)
			break;
	if (i == 4 && strcmp(by, "segment") != 0)
		return crm_error_set(err, CRM_EUSAGE, "cannot group by '%s'"
		    " (stage, country, city, owner, segment, rfm or decile)",
		    by);
	/* The grouping column comes from the table above, not the user. */
	if (crm_buf_addf(&sql, err, "SELECT %s, count(*), count(p.n),"
	    " total(p.n), total(p.total) FROM contacts c %s LEFT JOIN (SELECT"
	    " contact_id, sum(" ORDER_FIRST ") AS n, total(amount) AS total"
	    " FROM interactions WHERE kind = ?1 AND at < ?2 GROUP BY"
	    " contact_id)"
	    " p ON p.contact_id = c.id WHERE c.merged_into IS NULL AND"
	    " c.erased_at IS NULL GROUP BY 1", i < 4 ? simple[i][1] :
	    "sg.name", i < 4 ? "" : "JOIN segment_members sm ON"
	    " sm.contact_id = c.id JOIN segments sg ON sg.id = sm.segment_id")
	    < 0 || (st = crm_db_prepare(db, crm_buf_str(&sql), err)) == NULL ||
	    crm_db_bind_text(db, st, 1, rfm->kind ? rfm->kind : "purchase",
	    err) < 0 || crm_db_bind_int(db, st, 2, day0 + 86400, err) < 0)
		goto done;
	while ((step = crm_db_step(db, st, err)) == 1) {
		const char *k = crm_db_col_text(st, 0);

		if (add_group(&g, &ng, k ? k : "(none)", err) < 0)
			goto done;
		g[ng - 1].contacts = crm_db_col_int(st, 1);
		g[ng - 1].buyers = crm_db_col_int(st, 2);
		g[ng - 1].orders = crm_db_col_int(st, 3);
		g[ng - 1].revenue = crm_db_col_double(st, 4);
	}
	if (step < 0)
		goto done;
	rc = emit_groups(o, by, g, ng, 1, err);
done:
	crm_db_finalize(st);
	free_groups(g, ng);
	crm_buf_release(&sql);
	return rc;
}

int
crm_pairs(struct crm_db *db, int by_category, double min_support,
    struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "a", "b", "contacts", "support",
	    "confidence", "lift" };
	static const enum crm_coltype types[] = { CRM_COL_TEXT, CRM_COL_TEXT,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM };
	struct crm_stmt *st;
	const char *vals[6];
	int step, i;

	/*
	 * A basket is everything one contact bought.  The item column is
	 * picked from two fixed statements, never from user text.
	 */
	st = crm_db_stmt(db, by_category ?
	    "WITH b AS (SELECT DISTINCT contact_id, category AS item FROM"
	    " interactions WHERE kind = 'purchase' AND category IS NOT NULL),"
	    " n AS (SELECT count(DISTINCT contact_id) AS n FROM b),"
	    " ci AS (SELECT item, count(*) AS k FROM b GROUP BY item)"
	    " SELECT x.item, y.item, count(*), printf('%.4f', count(*) * 1.0 /"
	    " n.n), printf('%.4f', count(*) * 1.0 / cx.k), printf('%.4f',"
	    " count(*) * 1.0 * n.n / (cx.k * cy.k)) FROM b x JOIN b y ON"
	    " x.contact_id = y.contact_id AND x.item <> y.item JOIN ci cx ON"
	    " cx.item = x.item JOIN ci cy ON cy.item = y.item, n"
	    " GROUP BY x.item, y.item HAVING count(*) >= CASE WHEN ?1 < 1"
	    " THEN ?1 * max(n.n) ELSE ?1 END ORDER BY count(*) DESC, x.item,"
	    " y.item" :
	    "WITH b AS (SELECT DISTINCT contact_id, product AS item FROM"
	    " interactions WHERE kind = 'purchase' AND product IS NOT NULL),"
	    " n AS (SELECT count(DISTINCT contact_id) AS n FROM b),"
	    " ci AS (SELECT item, count(*) AS k FROM b GROUP BY item)"
	    " SELECT x.item, y.item, count(*), printf('%.4f', count(*) * 1.0 /"
	    " n.n), printf('%.4f', count(*) * 1.0 / cx.k), printf('%.4f',"
	    " count(*) * 1.0 * n.n / (cx.k * cy.k)) FROM b x JOIN b y ON"
	    " x.contact_id = y.contact_id AND x.item <> y.item JOIN ci cx ON"
	    " cx.item = x.item JOIN ci cy ON cy.item = y.item, n"
	    " GROUP BY x.item, y.item HAVING count(*) >= CASE WHEN ?1 < 1"
	    " THEN ?1 * max(n.n) ELSE ?1 END ORDER BY count(*) DESC, x.item,"
	    " y.item", err);
	if (st == NULL || crm_db_bind_double(db, st, 1, min_support, err) < 0 ||
	    crm_out_header(o, names, types, 6, err) < 0)
		return -1;
	while ((step = crm_db_step(db, st, err)) == 1) {
		for (i = 0; i < 6; i++)
			vals[i] = crm_db_col_text(st, i);
		if (crm_out_row(o, vals, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	return step < 0 ? -1 : 0;
}

static const char *const member_names[] = { "id", "external_id", "email",
    "first_name", "last_name" };
static const enum crm_coltype member_types[] = { CRM_COL_NUM, CRM_COL_TEXT,
    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_TEXT };

static int
emit_members(struct crm_db *db, struct crm_stmt *st, struct crm_out *o,
    int64_t *count, struct crm_error *err)
{
	const char *vals[5];
	int step, i;

	if (count != NULL)
		*count = 0;
	if (crm_out_header(o, member_names, member_types, 5, err) < 0)
		return -1;
	while ((step = crm_db_step(db, st, err)) == 1) {
		for (i = 0; i < 5; i++)
			vals[i] = crm_db_col_text(st, i);
		if (crm_out_row(o, vals, err) < 0)
			return -1;
		if (count != NULL)
			(*count)++;
	}
	return step < 0 ? -1 : 0;
}

int
crm_segment_select(struct crm_db *db, const struct crm_expr *e,
    struct crm_out *o, int64_t *count, struct crm_error *err)
{
	struct crm_buf sql = CRM_BUF_INIT(1 << 20);
	struct crm_stmt *st = NULL;
	int rc = -1;

	if (crm_buf_addf(&sql, err, "SELECT c.id, c.external_id, c.email,"
	    " c.first_name, c.last_name %s WHERE c.merged_into IS NULL AND"
	    " c.erased_at IS NULL AND (%s) ORDER BY c.id", crm_expr_from(e),
	    crm_expr_sql(e)) < 0 ||
	    (st = crm_db_prepare(db, crm_buf_str(&sql), err)) == NULL)
		goto done;
	if (crm_expr_bind(e, db, st, 1, err) < 0)
		goto done;
	rc = emit_members(db, st, o, count, err);
done:
	crm_db_finalize(st);
	crm_buf_release(&sql);
	return rc;
}

/* The id of segment name, 0 if none. */
static int
segment_id(struct crm_db *db, const char *name, int64_t *id, char **rule,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int rc;

	*id = 0;
	if ((st = crm_db_stmt(db, "SELECT id, rule FROM segments WHERE"
	    " name = ?", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, name, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 1) {
		*id = crm_db_col_int(st, 0);
		if (rule != NULL) {
			const char *r = crm_db_col_text(st, 1);

			*rule = r ? strdup(r) : NULL;
		}
		crm_db_reset(st);
	}
	return 0;
}

/* Create or (with replace) empty segment name; *id gets it. */
static int
segment_make(struct crm_db *db, const char *name, const char *kind,
    const char *rule, int replace, int64_t *id, struct crm_error *err)
{
	struct crm_stmt *st;
	int64_t now = crm_now();

	if (crm_blank(name))
		return crm_error_set(err, CRM_EUSAGE, "empty segment name");
	if (segment_id(db, name, id, NULL, err) < 0)
		return -1;
	if (*id != 0 && !replace)
		return crm_error_set(err, CRM_EUSAGE, "segment '%s' exists"
		    " (--replace to overwrite it)", name);
	if (*id != 0) {
		if ((st = crm_db_stmt(db, "DELETE FROM segment_members WHERE"
		    " segment_id = ?", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, *id, err) < 0 ||
		    crm_db_step(db, st, err) < 0 ||
		    (st = crm_db_stmt(db, "UPDATE segments SET kind = ?2,"
		    " rule = ?3, computed_at = ?4, updated_at = ?4 WHERE"
		    " id = ?1", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, *id, err) < 0 ||
		    crm_db_bind_text(db, st, 2, kind, err) < 0 ||
		    crm_db_bind_text(db, st, 3, rule, err) < 0 ||
		    crm_db_bind_int(db, st, 4, now, err) < 0 ||
		    crm_db_step(db, st, err) < 0)
			return -1;
		return 0;
	}
	if ((st = crm_db_stmt(db, "INSERT INTO segments (name, kind, rule,"
	    " computed_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4,"
	    " ?4)", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, name, err) < 0 ||
	    crm_db_bind_text(db, st, 2, kind, err) < 0 ||
	    crm_db_bind_text(db, st, 3, rule, err) < 0 ||
	    crm_db_bind_int(db, st, 4, now, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	*id = crm_db_last_id(db);
	return 0;
}

/* Fill rule segment id from its expression. */
static int
fill_rule(struct crm_db *db, int64_t id, const char *rule, int64_t asof,
    int64_t *count, int *col, struct crm_error *err)
{
	struct crm_buf sql = CRM_BUF_INIT(1 << 20);
	struct crm_expr *e;
	struct crm_stmt *st = NULL;
	int rc = -1, c;

	if ((e = crm_expr_parse(rule, asof, col ? col : &c, err)) == NULL)
		return -1;
	if (crm_buf_addf(&sql, err, "INSERT INTO segment_members (segment_id,"
	    " contact_id) SELECT ?%d, c.id %s WHERE c.merged_into IS NULL AND"
	    " c.erased_at IS NULL AND (%s)", crm_expr_nparams(e) + 1,
	    crm_expr_from(e), crm_expr_sql(e)) < 0 ||
	    (st = crm_db_prepare(db, crm_buf_str(&sql), err)) == NULL)
		goto done;
	if (crm_expr_bind(e, db, st, 1, err) < 0 ||
	    crm_db_bind_int(db, st, crm_expr_nparams(e) + 1, id, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		goto done;
	*count = crm_db_changes(db);
	rc = 0;
done:
	crm_db_finalize(st);
	crm_buf_release(&sql);
	crm_expr_free(e);
	return rc;
}

int
crm_segment_save_rule(struct crm_db *db, const char *name, const char *rule,
    int64_t asof, int replace, int64_t *count, int *col,
    struct crm_error *err)
{
	int64_t id;

	if (segment_make(db, name, "rule", rule, replace, &id, err) < 0)
		return -1;
	return fill_rule(db, id, rule, asof, count, col, err);
}

int
crm_segment_save_list(struct crm_db *db, const char *name, const int64_t *ids,
    size_t n, int replace, int64_t *count, struct crm_error *err)
{
	struct crm_stmt *st;
	int64_t id;
	size_t i;

	if (segment_make(db, name, "list", NULL, replace, &id, err) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if ((st = crm_db_stmt(db, "INSERT OR IGNORE INTO segment_members"
		    " (segment_id, contact_id) VALUES (?, ?)", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, id, err) < 0 ||
		    crm_db_bind_int(db, st, 2, ids[i], err) < 0 ||
		    crm_db_step(db, st, err) < 0)
			return -1;
	if ((st = crm_db_stmt(db, "SELECT count(*) FROM segment_members WHERE"
	    " segment_id = ?", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	*count = crm_db_col_int(st, 0);
	crm_db_reset(st);
	return 0;
}

int
crm_segment_refresh(struct crm_db *db, const char *name, int64_t asof,
    int64_t *count, struct crm_error *err)
{
	struct crm_stmt *st;
	char *rule = NULL;
	int64_t id;
	int rc;

	if (segment_id(db, name, &id, &rule, err) < 0)
		return -1;
	if (id == 0)
		return crm_error_set(err, CRM_EUSAGE, "no segment '%s'", name);
	if (rule == NULL)
		return crm_error_set(err, CRM_EUSAGE, "segment '%s' is a list,"
		    " not a rule: nothing to refresh", name);
	if ((st = crm_db_stmt(db, "DELETE FROM segment_members WHERE"
	    " segment_id = ?", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE segments SET computed_at = ?2"
	    " WHERE id = ?1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, crm_now(), err) < 0 ||
	    crm_db_step(db, st, err) < 0) {
		free(rule);
		return -1;
	}
	rc = fill_rule(db, id, rule, asof, count, NULL, err);
	free(rule);
	return rc;
}

int
crm_segment_drop(struct crm_db *db, const char *name, struct crm_error *err)
{
	struct crm_stmt *st;

	if ((st = crm_db_stmt(db, "DELETE FROM segments WHERE name = ?",
	    err)) == NULL || crm_db_bind_text(db, st, 1, name, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	if (crm_db_changes(db) == 0)
		return crm_error_set(err, CRM_EUSAGE, "no segment '%s'", name);
	return 0;
}

int
crm_segment_list(struct crm_db *db, struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "name", "kind", "members",
	    "computed_at", "rule" };
	static const enum crm_coltype types[] = { CRM_COL_TEXT, CRM_COL_TEXT,
	    CRM_COL_NUM, CRM_COL_TEXT, CRM_COL_TEXT };
	struct crm_stmt *st;
	const char *vals[5];
	char t[21];
	int step, i;

	if ((st = crm_db_stmt(db, "SELECT s.name, s.kind, (SELECT count(*)"
	    " FROM segment_members m WHERE m.segment_id = s.id), s.computed_at,"
	    " s.rule FROM segments s ORDER BY s.name", err)) == NULL ||
	    crm_out_header(o, names, types, 5, err) < 0)
		return -1;
	while ((step = crm_db_step(db, st, err)) == 1) {
		for (i = 0; i < 5; i++)
			vals[i] = crm_db_col_text(st, i);
		if (vals[3] != NULL) {
			crm_format_time(crm_db_col_int(st, 3), t);
			vals[3] = t;
		}
		if (crm_out_row(o, vals, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	return step < 0 ? -1 : 0;
}

int
crm_segment_show(struct crm_db *db, const char *name, struct crm_out *o,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int64_t id;

	if (segment_id(db, name, &id, NULL, err) < 0)
		return -1;
	if (id == 0)
		return crm_error_set(err, CRM_EUSAGE, "no segment '%s'", name);
	if ((st = crm_db_stmt(db, "SELECT c.id, c.external_id, c.email,"
	    " c.first_name, c.last_name FROM segment_members m JOIN contacts c"
	    " ON c.id = m.contact_id WHERE m.segment_id = ? ORDER BY c.id",
	    err)) == NULL || crm_db_bind_int(db, st, 1, id, err) < 0)
		return -1;
	return emit_members(db, st, o, NULL, err);
}

int
crm_segment_rules(struct crm_db *db, char ***names, size_t *n,
    struct crm_error *err)
{
	struct crm_stmt *st;
	char **v = NULL;
	int step;

	*n = 0;
	if ((st = crm_db_stmt(db, "SELECT name FROM segments WHERE kind ="
	    " 'rule' ORDER BY name", err)) == NULL)
		return -1;
	while ((step = crm_db_step(db, st, err)) == 1) {
		char **q = reallocarray(v, *n + 1, sizeof(*q));

		if (q == NULL || (q[*n] = strdup(crm_db_col_text(st, 0))) ==
		    NULL) {
			v = q ? q : v;
			crm_db_reset(st);
			*names = v;
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		}
		v = q;
		(*n)++;
	}
	*names = v;
	return step < 0 ? -1 : 0;
}

/* k-means on RFM */

/* A contact's row kept for crm_rfm_kmeans(); strings in an arena. */
struct kmrow {
	int64_t id, recency, frequency;
	double monetary;
	size_t ext, email;	/* offsets in the arena, or (size_t)-1 */
};

struct kmrows {
	struct kmrow *r;
	size_t n, alloc, buyers;
	struct crm_buf arena;
};

static size_t
keep_str(struct crm_buf *a, const char *s, struct crm_error *err)
{
	size_t off = a->len;

	if (s == NULL)
		return (size_t)-1;
	if (crm_buf_add(a, s, strlen(s) + 1, err) < 0)
		return (size_t)-2;
	return off;
}

static int
keep_row(void *arg, const struct crm_rfm_row *row, struct crm_error *err)
{
	struct kmrows *k = arg;
	struct kmrow *x;

	if (k->n == k->alloc) {
		size_t a = k->alloc ? k->alloc * 2 : 1024;

		if ((x = reallocarray(k->r, a, sizeof(*x))) == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		k->r = x;
		k->alloc = a;
	}
	x = &k->r[k->n];
	x->id = row->id;
	x->recency = row->recency;
	x->frequency = row->frequency;
	x->monetary = row->monetary;
	if ((x->ext = keep_str(&k->arena, row->external_id, err)) ==
	    (size_t)-2 ||
	    (x->email = keep_str(&k->arena, row->email, err)) == (size_t)-2)
		return -1;
	k->buyers += row->frequency > 0;
	k->n++;
	return 0;
}

/* log(1 + v), mirrored for a negative total (refunds), so that the
 * transform is defined and keeps the order everywhere. */
static double
slog1p(double v)
{
	return v < 0 ? -log1p(-v) : log1p(v);
}

/* Per cluster: size, share and the means of the members, in days and
 * money, which a reader can act on where z-scores mean little. */
static int
explain_kmeans(struct crm_buf *ex, const struct kmrows *k,
    const struct crm_kmeans *km, const double *mean3,
    const struct crm_kmeans_opts *ko, int64_t asof, struct crm_error *err)
{
	char day[11];
	size_t c;

	crm_format_date(asof, day);
	if (crm_buf_addf(ex, err, "as of %s: %zu contacts, %zu with"
	    " purchases\n", day, k->n, k->buyers) < 0 ||
	    crm_buf_addf(ex, err, "k = %zu, seed %llu, best of %d runs:"
	    " inertia %.4f, %d iteration%s%s\n", km->k,
	    (unsigned long long)ko->seed, ko->n_init > 0 ? ko->n_init :
	    CRM_KMEANS_N_INIT, km->inertia, km->iterations,
	    km->iterations == 1 ? "" : "s", km->converged ? "" :
	    " (stopped before it converged)") < 0)
		return -1;
	for (c = 0; c < km->k; c++)
		if (crm_buf_addf(ex, err, "cluster %zu: %zu buyer%s (%.1f%%):"
		    " recency %.1f days, frequency %.2f, monetary %.2f\n",
		    c + 1, km->size[c], km->size[c] == 1 ? "" : "s",
		    100.0 * (double)km->size[c] / (double)km->n, mean3[c * 3],
		    mean3[c * 3 + 1], mean3[c * 3 + 2]) < 0)
			return -1;
	return 0;
}

int
crm_rfm_kmeans(struct crm_db *db, const struct crm_rfm_opts *opts,
    const struct crm_kmeans_opts *ko, struct crm_out *o,
    struct crm_buf *explain, struct crm_error *err)
{
	static const char *const names[] = { "id", "external_id", "email",
	    "recency", "frequency", "monetary", "cluster", "distance" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM };
	struct kmrows k;
	struct crm_kmeans km;
	double *x = NULL, *mean3 = NULL, *key = NULL;
	size_t i, j, c, nd;
	int rc = -1;

	memset(&k, 0, sizeof(k));
	memset(&km, 0, sizeof(km));
	crm_buf_init(&k.arena, (size_t)1 << 34);
	if (crm_rfm_each(db, opts, keep_row, &k, NULL, err) < 0)
		goto done;
	if (k.buyers == 0) {
		crm_error_set(err, CRM_EDATA, "no contact has purchases to"
		    " cluster");
		goto done;
	}
	if ((x = calloc(k.buyers * 3, sizeof(*x))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	for (i = j = 0; i < k.n; i++) {
		if (k.r[i].frequency == 0)
			continue;
		x[j * 3] = log1p((double)k.r[i].recency);
		x[j * 3 + 1] = log1p((double)k.r[i].frequency);
		x[j * 3 + 2] = slog1p(k.r[i].monetary);
		j++;
	}
	crm_kmeans_standardise(x, k.buyers, 3, NULL, NULL);
	if (crm_kmeans_fit(x, k.buyers, 3, ko, &km, err) < 0) {
		/* Too few distinct points, said in the user's terms:
		 * customers, not points. */
		if (err->code == CRM_EDATA && (nd = crm_kmeans_distinct(x,
		    k.buyers, 3)) != (size_t)-1 && nd < ko->k)
			crm_error_set(err, CRM_EDATA, "%zu clusters asked for,"
			    " but the %zu contacts with purchases have only"
			    " %zu distinct recency, frequency and monetary"
			    " values", ko->k, k.buyers, nd);
		goto done;
	}

	/* Number the clusters by their members' mean spend, highest
	 * first: cluster 1 holds the best customers. */
	mean3 = calloc(km.k * 3, sizeof(*mean3));
	key = calloc(km.k, sizeof(*key));
	if (mean3 == NULL || key == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	for (i = j = 0; i < k.n; i++) {
		if (k.r[i].frequency == 0)
			continue;
		key[km.assign[j++]] += k.r[i].monetary;
	}
	for (c = 0; c < km.k; c++)
		key[c] /= (double)km.size[c];
	if (crm_kmeans_order(&km, key, err) < 0)
		goto done;
	for (i = j = 0; i < k.n; i++) {
		if (k.r[i].frequency == 0)
			continue;
		c = km.assign[j++];
		mean3[c * 3] += (double)k.r[i].recency;
		mean3[c * 3 + 1] += (double)k.r[i].frequency;
		mean3[c * 3 + 2] += k.r[i].monetary;
	}
	for (c = 0; c < km.k * 3; c++)
		mean3[c] /= (double)km.size[c / 3];

	if (crm_out_header(o, names, types, 8, err) < 0)
		goto done;
	for (i = j = 0; i < k.n; i++) {
		const struct kmrow *r = &k.r[i];
		char id[24], rec[24], freq[24], mon[32], cl[24], dist[32];
		const char *vals[8];
		int buys = r->frequency > 0;

		vals[0] = fmt_int(id, r->id);
		vals[1] = r->ext == (size_t)-1 ? NULL : k.arena.s + r->ext;
		vals[2] = r->email == (size_t)-1 ? NULL : k.arena.s + r->email;
		vals[3] = buys ? fmt_int(rec, r->recency) : NULL;
		vals[4] = buys ? fmt_int(freq, r->frequency) : "0";
		vals[5] = buys ? fmt_cents(mon, r->monetary) : NULL;
		vals[6] = vals[7] = NULL;
		if (buys) {
			vals[6] = fmt_int(cl, (int64_t)km.assign[j] + 1);
			snprintf(dist, sizeof(dist), "%.4f", km.dist[j]);
			vals[7] = dist;
			j++;
		}
		if (crm_out_row(o, vals, err) < 0)
			goto done;
	}
	if (explain != NULL && explain_kmeans(explain, &k, &km, mean3, ko,
	    opts->asof, err) < 0)
		goto done;
	rc = 0;
done:
	crm_kmeans_release(&km);
	free(x);
	free(mean3);
	free(key);
	free(k.r);
	crm_buf_release(&k.arena);
	return rc;
}
