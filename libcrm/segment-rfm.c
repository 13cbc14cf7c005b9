/*
 * segment-rfm.c - RFM scores and segments, k-means on RFM.
 */
#include <sys/types.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmeans.h"
#include "norm.h"
#include "segment-int.h"

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
	char seen[4] = "";
	size_t k, m;
	int rc;

	if ((st = crm_db_stmt(db, "SELECT contact_id, at, amount, "
	    ORDER_FIRST ", currency FROM interactions WHERE kind = ?1 AND"
	    " at < ?2", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, opts->kind ? opts->kind : "purchase",
	    err) < 0 ||
	    crm_db_bind_int(db, st, 2, end, err) < 0)
		return -1;
	do {
		for (m = 0; m < SCAN_BATCH &&
		    (rc = crm_db_step(db, st, err)) == 1; m++) {
			int64_t id = crm_db_col_int(st, 0);
			const char *cur = crm_db_col_text(st, 4);

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
			if (cur == NULL)
				continue;
			if (opts->currency != NULL) {
				if (crm_rate_convert(opts->rates, amount[m],
				    cur, opts->currency, at[m], &amount[m],
				    err) < 0) {
					if (!opts->skip_unconverted)
						goto fail;
					crm_error_clear(err);
					amount[m] = 0;
					if (opts->skipped != NULL)
						(*opts->skipped)++;
				}
			} else if (seen[0] == '\0')
				snprintf(seen, sizeof(seen), "%.3s", cur);
			else if (strncmp(seen, cur, 3) != 0) {
				crm_error_set(err, CRM_EDATA, "purchases are in"
				    " %s and %.3s: money is added up in one"
				    " currency (--currency, with rates from"
				    " crm-segment rates)", seen, cur);
				goto fail;
			}
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
fail:
	crm_db_reset(st);
	return -1;
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
int
crm_seg_fetch(struct crm_db *db, const struct crm_rfm_opts *opts, struct buyer **out,
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
int
crm_seg_score_all(struct buyer *b, size_t n, const struct crm_rfm_opts *opts,
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

const char *
crm_seg_rfm_name(const struct crm_rfm_opts *opts, const struct buyer *x)
{
	const struct crm_rfm_map *m = opts->map ? opts->map : &std_map;

	if (!x->buys)
		return "No purchases";
	return map_name(m, x->s[0], (x->s[1] + x->s[2] + 1) / 2);
}

/* v in decimal into out[24]; returns out.  snprintf(3) costs more than
 * the rest of a row. */
char *
crm_seg_fmt_int(char *out, int64_t v)
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
char *
crm_seg_fmt_cents(char *out, double v)
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
	crm_seg_fmt_int(p, c / 100);
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
	row->segment = crm_seg_rfm_name(opts, x);
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
	vals[0] = crm_seg_fmt_int(id, x->id);
	vals[1] = x->external_id;
	vals[2] = x->email;
	vals[3] = buys ? crm_seg_fmt_int(rec, x->recency) : NULL;
	vals[4] = buys ? crm_seg_fmt_int(freq, x->frequency) : "0";
	vals[5] = buys ? crm_seg_fmt_cents(mon, x->monetary) : NULL;
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

	if (crm_seg_fetch(db, opts, &b, &n, &arena, err) < 0 ||
	    crm_seg_score_all(b, n, opts, explain, err) < 0 ||
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

		vals[0] = crm_seg_fmt_int(id, r->id);
		vals[1] = r->ext == (size_t)-1 ? NULL : k.arena.s + r->ext;
		vals[2] = r->email == (size_t)-1 ? NULL : k.arena.s + r->email;
		vals[3] = buys ? crm_seg_fmt_int(rec, r->recency) : NULL;
		vals[4] = buys ? crm_seg_fmt_int(freq, r->frequency) : "0";
		vals[5] = buys ? crm_seg_fmt_cents(mon, r->monetary) : NULL;
		vals[6] = vals[7] = NULL;
		if (buys) {
			vals[6] = crm_seg_fmt_int(cl, (int64_t)km.assign[j] + 1);
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

int
crm_rfm_main_currency(struct crm_db *db, int64_t asof, const char *kind,
    char cur[4], struct crm_error *err)
{
	int64_t day0 = asof - ((asof % 86400) + 86400) % 86400;
	struct crm_stmt *st;
	int step, n = 0;

	cur[0] = '\0';
	if ((st = crm_db_stmt(db, "SELECT currency FROM interactions WHERE"
	    " kind = ?1 AND at < ?2 AND currency IS NOT NULL GROUP BY 1"
	    " ORDER BY count(*) DESC, 1", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, kind ? kind : "purchase", err) < 0 ||
	    crm_db_bind_int(db, st, 2, day0 + 86400, err) < 0)
		return -1;
	while ((step = crm_db_step(db, st, err)) == 1)
		if (n++ == 0)
			snprintf(cur, 4, "%.3s", crm_db_col_text(st, 0));
	if (step < 0)
		return -1;
	if (n < 2)
		cur[0] = '\0';
	return 0;
}
