#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "campaign.h"
#include "csvio.h"
#include "interaction.h"
#include "norm.h"
#include "report.h"
#include "segment.h"
#include "svg.h"

#define DAY 86400
#define WEEK (7 * DAY)
#define MAXCOLS 64		/* columns of a captured report */
#define MAXSEGS 64		/* segment names in a snapshot */
#define MAXOWNERS 12		/* owners shown; the rest folded */
#define MAXSERIES 7		/* channels charted; the rest folded */
#define MAXCURR 4		/* currencies charted */
#define MAXCAMPAIGNS 12
#define STATE_MAGIC "crm-report-state 1"

static const char *const consent_names[4] = { "email", "phone", "sms",
    "mail" };

/* ------------------------------------------------------------------ */
/* Memory: everything a report holds comes from one pool, freed at once. */

struct chunk {
	struct chunk *next;
	union { long double ld; void *p; int64_t i; } align;
};

struct named {			/* a labelled count */
	const char *name;
	int64_t n;
};

struct table {			/* a library report read back */
	size_t ncol, nrow, arow;
	char **names;
	char **cells;		/* nrow * ncol; NULL for an empty cell */
};

struct seg {
	const char *name;
	int64_t contacts, buyers, orders;
	double revenue, share, cum;
};

struct decile {
	int64_t contacts;
	double revenue, share, cum;
};

struct who {			/* a contact of the RFM run, by id */
	int64_t id;
	double monetary;
	int32_t orders, recency;
	uint8_t seg;		/* index in segnames */
};

struct risky {
	int64_t id;
	double revenue, p_alive, clv;
	int32_t orders, recency;
	const char *segment, *ext, *name, *owner;
};

struct valdec {
	int64_t n;
	double ep, clv, palive;	/* sums */
};

struct campaign {
	const char *name, *channel, *purpose, *state;
	int64_t sent_at, window_end;
	int has_control, has_uplift;
	int64_t n[2], responders[2];
	double rate[2], uplift, lo, hi, p_value, revenue[2];
	int64_t suppressed[CRM_CAMPAIGN_NREASONS];
};

struct flow {
	int from, to;		/* segment indexes; -1 new, -2 gone */
	int64_t n;
};

struct crm_report {
	struct crm_report_opts o;
	pthread_mutex_t lock;	/* the pool's, shared by two threads */
	struct chunk *pool;
	char summary[256];
	char asof_day[11], start_day[11];
	int64_t start, end, days;

	/* time buckets: weeks back from the end, or calendar months */
	int monthly;
	size_t nb;
	int64_t *bstart;	/* nb + 1 boundaries */
	const char **blabel;

	/* contacts */
	int64_t live, merged_away, erased, no_email, no_phone, no_both, dnc;
	int64_t consent[4][4];	/* channel: yes, no, unknown, reachable */
	struct named *stages, *owners;
	size_t nstages, nowners;
	double *new_contacts;	/* per bucket */
	int64_t new_total;
	const char *month[12];
	int64_t month_n[12];
	int64_t merges_period, merges_total, merges_undone;
	struct table audit;

	/* interactions */
	int64_t inter_total, purchases_total, tickets_opened;
	size_t nchan;
	const char **chan;	/* by volume, with "other channels" last */
	double **chan_n;	/* [nchan][nb] */
	int64_t *chan_total;
	double *purchases;	/* per bucket */
	size_t ncurr;
	const char **curr;	/* "(none)" for NULL */
	double **revenue;	/* [ncurr][nb] */
	double *curr_total;
	struct table stats;	/* crm_log_stats over the period */
	struct table tickets;	/* crm_log_tickets over the period */
	struct named *backlog;	/* open tickets at the end, per channel */
	size_t nbacklog;
	int64_t backlog_total, backlog_oldest;

	/* segments */
	size_t nwho;
	struct who *who;
	const char *segnames[MAXSEGS];
	size_t nsegnames;
	struct seg *segs;	/* by revenue, as crm-segment profit */
	size_t nsegs;
	int64_t buyers;
	double revenue_total;
	struct decile dec[10];
	/* movement */
	int state_status;	/* 0 none, 1 compared, 2 no file yet,
				   3 file is for a later day, 4 same day
				   without an older one */
	char base_day[11];	/* the day compared with */
	char file_day[11], file_prev[11];
	size_t nbase;
	int64_t *base_id;
	uint8_t *base_seg;	/* index in segnames */
	struct flow *flows;
	size_t nflows;
	int64_t moved, stayed, joined, left;
	int64_t *seg_before;	/* per segnames index */

	/* churn and value */
	int64_t scored, no_clv;
	int64_t horizon, scored_at;
	const char *model;
	int64_t palive_hist[10];
	struct valdec vdec[10];
	double at_risk;
	int64_t at_risk_n;
	struct risky *risky;
	size_t nrisky;

	/* campaigns */
	struct campaign *camps;
	size_t ncamps;
	int64_t camps_other;	/* sent before the period or not sent */
};

static void *
palloc(struct crm_report *r, size_t n, struct crm_error *err)
{
	struct chunk *c;

	if (n > SIZE_MAX - sizeof(*c) ||
	    (c = calloc(1, sizeof(*c) + n)) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	pthread_mutex_lock(&r->lock);
	c->next = r->pool;
	r->pool = c;
	pthread_mutex_unlock(&r->lock);
	return c + 1;
}

static void *
parray(struct crm_report *r, size_t n, size_t size, struct crm_error *err)
{
	if (size != 0 && n > SIZE_MAX / size) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	return palloc(r, n * size, err);
}

/* A copy of s in the pool; NULL for NULL (and on ENOMEM, err set). */
static char *
pdup(struct crm_report *r, const char *s, struct crm_error *err)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = palloc(r, strlen(s) + 1, err)) != NULL)
		memcpy(p, s, strlen(s) + 1);
	return p;
}

static int64_t
day0(int64_t t)
{
	return t - ((t % DAY) + DAY) % DAY;
}

/* ------------------------------------------------------------------ */
/* Reading back what a library function writes to a struct crm_out, as
 * TSV through a stream whose writes are parsed line by line, so that a
 * report of a million rows never sits in memory. */

typedef int (*row_fn)(void *arg, char **f, size_t n, struct crm_error *err);

struct sink {
	row_fn fn;
	void *arg;
	struct crm_buf line;
	struct crm_error err;
	int failed;
};

static size_t
tsv_unescape(char *s)
{
	char *w = s, *p;

	for (p = s; *p; p++) {
		if (*p == '\\' && p[1] != '\0') {
			p++;
			*w++ = *p == 't' ? '\t' : *p == 'n' ? '\n' :
			    *p == 'r' ? '\r' : *p;
		} else
			*w++ = *p;
	}
	*w = '\0';
	return (size_t)(w - s);
}

static int
sink_line(struct sink *s)
{
	char *f[MAXCOLS], *p = s->line.s;
	size_t n = 0, i;

	for (;;) {
		char *tab = strchr(p, '\t');

		if (n == MAXCOLS)
			return crm_error_set(&s->err, CRM_EFAIL, "report: more"
			    " than %d columns", MAXCOLS);
		f[n++] = p;
		if (tab == NULL)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	for (i = 0; i < n; i++)
		tsv_unescape(f[i]);
	return s->fn(s->arg, f, n, &s->err);
}

static ssize_t
sink_write(void *cookie, const char *buf, size_t size)
{
	struct sink *s = cookie;
	const char *p = buf, *end = buf + size, *nl;

	if (s->failed)
		return 0;
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			if (crm_buf_add(&s->line, p, (size_t)(end - p),
			    &s->err) < 0)
				goto fail;
			break;
		}
		if (crm_buf_add(&s->line, p, (size_t)(nl - p), &s->err) < 0 ||
		    crm_buf_addc(&s->line, '\0', &s->err) < 0 ||
		    sink_line(s) < 0)
			goto fail;
		crm_buf_reset(&s->line);
		p = nl + 1;
	}
	return (ssize_t)size;
fail:
	s->failed = 1;
	return 0;
}

typedef int (*call_fn)(void *ctx, struct crm_out *o, struct crm_error *err);

/* Run call with a TSV writer whose rows (the header first) go to fn. */
static int
capture(call_fn call, void *ctx, row_fn fn, void *arg,
    struct crm_error *err)
{
	cookie_io_functions_t io = { NULL, sink_write, NULL, NULL };
	struct sink s;
	struct crm_out *o = NULL;
	FILE *fp;
	int rc = -1;

	memset(&s, 0, sizeof(s));
	s.fn = fn;
	s.arg = arg;
	crm_buf_init(&s.line, CRM_CSV_RECORD_MAX);
	if ((fp = fopencookie(&s, "w", io)) == NULL) {
		crm_error_set(err, CRM_EFAIL, "fopencookie: %s",
		    strerror(errno));
		goto done;
	}
	if ((o = crm_out_new(fp, CRM_FMT_TSV, 0, err)) != NULL &&
	    call(ctx, o, err) == 0 && crm_out_end(o, err) == 0)
		rc = 0;
	crm_out_free(o);
	if (fclose(fp) != 0 && rc == 0)
		rc = crm_error_set(err, CRM_EFAIL, "report: write error");
	if (s.failed) {
		*err = s.err;
		rc = -1;
	}
done:
	crm_buf_release(&s.line);
	return rc;
}

struct table_arg {
	struct crm_report *r;
	struct table *t;
};

static int
table_row(void *arg, char **f, size_t n, struct crm_error *err)
{
	struct table_arg *a = arg;
	struct table *t = a->t;
	size_t i;

	if (t->names == NULL) {
		if ((t->names = parray(a->r, n, sizeof(char *), err)) == NULL)
			return -1;
		for (i = 0; i < n; i++)
			if ((t->names[i] = pdup(a->r, f[i], err)) == NULL)
				return -1;
		t->ncol = n;
		return 0;
	}
	if (n != t->ncol)
		return crm_error_set(err, CRM_EFAIL, "report: a row of %zu"
		    " fields under %zu columns", n, t->ncol);
	if (t->nrow == t->arow) {
		size_t na = t->arow ? t->arow * 2 : 16;
		char **q = parray(a->r, na * t->ncol, sizeof(char *), err);

		if (q == NULL)
			return -1;
		if (t->nrow > 0)
			memcpy(q, t->cells, t->nrow * t->ncol * sizeof(char *));
		t->cells = q;	/* the old array stays in the pool */
		t->arow = na;
	}
	for (i = 0; i < n; i++) {
		char **c = &t->cells[t->nrow * t->ncol + i];

		*c = NULL;
		if (*f[i] != '\0' && (*c = pdup(a->r, f[i], err)) == NULL)
			return -1;
	}
	t->nrow++;
	return 0;
}

static int
capture_table(struct crm_report *r, call_fn call, void *ctx, struct table *t,
    struct crm_error *err)
{
	struct table_arg a = { r, t };

	memset(t, 0, sizeof(*t));
	return capture(call, ctx, table_row, &a, err);
}

/* The column called name, or -1. */
static int
tcol(const struct table *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->ncol; i++)
		if (strcmp(t->names[i], name) == 0)
			return (int)i;
	return -1;
}

/* Cell (row, column name): NULL when empty or there is no such column. */
static const char *
tget(const struct table *t, size_t row, const char *name)
{
	int c = tcol(t, name);

	return c < 0 || row >= t->nrow ? NULL : t->cells[row * t->ncol +
	    (size_t)c];
}

static double
tnum(const struct table *t, size_t row, const char *name)
{
	const char *s = tget(t, row, name);

	return s == NULL ? NAN : strtod(s, NULL);
}

/* A whole number from a cell; 0 for an empty one. */
static int64_t
tint(const struct table *t, size_t row, const char *name)
{
	const char *s = tget(t, row, name);

	return s == NULL ? 0 : strtoll(s, NULL, 10);
}

/* ------------------------------------------------------------------ */
/* The period and its buckets */

static int
month_start(int64_t t, int64_t *out)
{
	char d[11];
	int y, m;

	crm_format_date(t, d);
	y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 +
	    (d[3] - '0');
	m = (d[5] - '0') * 10 + (d[6] - '0');
	*out = crm_days_from_civil(y, m, 1) * DAY;
	return y * 12 + m - 1;
}

static int64_t
month_of(int ym)
{
	return crm_days_from_civil(ym / 12, ym % 12 + 1, 1) * DAY;
}

static int
buckets(struct crm_report *r, struct crm_error *err)
{
	size_t i;
	int64_t ms;

	r->monthly = r->days > 182;
	if (r->monthly) {
		int a = month_start(r->start, &ms), b = month_start(r->end - 1,
		    &ms);

		r->nb = (size_t)(b - a + 1);
		if ((r->bstart = parray(r, r->nb + 1, sizeof(int64_t),
		    err)) == NULL || (r->blabel = parray(r, r->nb,
		    sizeof(char *), err)) == NULL)
			return -1;
		for (i = 0; i < r->nb; i++) {
			char d[11], *l;

			r->bstart[i] = i == 0 ? r->start : month_of(a +
			    (int)i);
			crm_format_date(r->bstart[i], d);
			if ((l = palloc(r, 8, err)) == NULL)
				return -1;
			memcpy(l, d, 7);
			r->blabel[i] = l;
		}
	} else {
		r->nb = (size_t)((r->days + 6) / 7);
		if ((r->bstart = parray(r, r->nb + 1, sizeof(int64_t),
		    err)) == NULL || (r->blabel = parray(r, r->nb,
		    sizeof(char *), err)) == NULL)
			return -1;
		for (i = 0; i < r->nb; i++) {
			char *l;

			r->bstart[i] = r->end - (int64_t)(r->nb - i) * WEEK;
			if (r->bstart[i] < r->start)
				r->bstart[i] = r->start;
			if ((l = palloc(r, 11, err)) == NULL)
				return -1;
			crm_format_date(r->bstart[i], l);
			r->blabel[i] = l;
		}
	}
	r->bstart[r->nb] = r->end;
	return 0;
}

/* The bucket of time t in [start, end). */
static size_t
bucket(const struct crm_report *r, int64_t t)
{
	size_t lo = 0, hi = r->nb;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (r->bstart[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static double *
zeros(struct crm_report *r, size_t n, struct crm_error *err)
{
	return parray(r, n ? n : 1, sizeof(double), err);
}

/* ------------------------------------------------------------------ */
/* Contacts */

/*
 * One pass over the contacts, added up here rather than by GROUP BY,
 * which would sort a million rows: a row gives its stage, owner, day
 * added and its data-quality and consent facts as bits.
 */
static const char sql_contacts[] =
    "SELECT stage, owner, created_at,"
    " (merged_into IS NOT NULL) + 2 * (erased_at IS NOT NULL)"
    " + 4 * (email IS NULL) + 8 * (phone IS NULL)"
    " + 16 * (do_not_contact = 1) + 32 * coalesce(phone LIKE '+%', 0)"
    " + 64 * (street IS NOT NULL AND city IS NOT NULL"
    "   AND postcode IS NOT NULL),"
    " coalesce(email_opt_in, 2) + 4 * coalesce(phone_opt_in, 2)"
    " + 16 * coalesce(sms_opt_in, 2) + 64 * coalesce(mail_opt_in, 2)"
    " FROM contacts";

static const char sql_merges[] =
    "SELECT count(*) FILTER (WHERE undone_at IS NULL),"
    " count(*) FILTER (WHERE undone_at IS NULL AND at >= ?1 AND at < ?2),"
    " count(*) FILTER (WHERE undone_at IS NOT NULL) FROM merges";

static const char sql_audit[] =
    "SELECT program, count(*),"
    " printf('%d', total(json_extract(counts, '$.read'))),"
    " printf('%d', total(json_extract(counts, '$.rejected')))"
    " FROM audit WHERE at >= ?1 AND at < ?2 GROUP BY program"
    " ORDER BY program";

/*
 * Counting by name: an open-addressing hash of names to slots, so that a
 * million rows with many distinct owners stay linear.
 */
struct counter {
	size_t n, cap;		/* names, slots (a power of two) */
	struct named *slot;
};

static uint64_t
hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The entry for name, added (count 0) if new; NULL on ENOMEM. */
static struct named *
count_name(struct crm_report *r, struct counter *c, const char *name,
    struct crm_error *err)
{
	size_t i;

	if (2 * (c->n + 1) > c->cap) {
		struct counter g = { 0, c->cap ? c->cap * 2 : 64, NULL };

		if ((g.slot = calloc(g.cap, sizeof(*g.slot))) == NULL) {
			crm_error_set(err, CRM_EFAIL, "out of memory");
			return NULL;
		}
		for (i = 0; i < c->cap; i++) {
			size_t k;

			if (c->slot[i].name == NULL)
				continue;
			for (k = hash(c->slot[i].name) & (g.cap - 1);
			    g.slot[k].name != NULL; k = (k + 1) & (g.cap - 1))
				;
			g.slot[k] = c->slot[i];
		}
		free(c->slot);
		c->slot = g.slot;
		c->cap = g.cap;
	}
	for (i = hash(name) & (c->cap - 1); c->slot[i].name != NULL;
	    i = (i + 1) & (c->cap - 1))
		if (strcmp(c->slot[i].name, name) == 0)
			return &c->slot[i];
	if ((c->slot[i].name = pdup(r, name, err)) == NULL)
		return NULL;
	c->n++;
	return &c->slot[i];
}

static int
cmp_named(const void *a, const void *b)
{
	const struct named *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* The names counted, largest count first, into the pool; frees c. */
static struct named *
counted(struct crm_report *r, struct counter *c, size_t *n,
    struct crm_error *err)
{
	struct named *v;
	size_t i, k = 0;

	*n = c->n;
	if ((v = parray(r, c->n + 1, sizeof(*v), err)) != NULL) {
		for (i = 0; i < c->cap; i++)
			if (c->slot[i].name != NULL)
				v[k++] = c->slot[i];
		if (k > 0)
			qsort(v, k, sizeof(*v), cmp_named);
	}
	free(c->slot);
	memset(c, 0, sizeof(*c));
	return v;
}

/* Add n to the entry called name of a growing list. */
static int
tally(struct crm_report *r, struct named **list, size_t *n, size_t *alloc,
    const char *name, int64_t k, struct crm_error *err)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*list)[i].name, name) == 0) {
			(*list)[i].n += k;
			return 0;
		}
	if (*n == *alloc) {
		size_t na = *alloc ? *alloc * 2 : 16;
		struct named *q = parray(r, na, sizeof(*q), err);

		if (q == NULL)
			return -1;
		if (*n > 0)
			memcpy(q, *list, *n * sizeof(*q));
		*list = q;
		*alloc = na;
	}
	if (((*list)[*n].name = pdup(r, name, err)) == NULL)
		return -1;
	(*list)[(*n)++].n = k;
	return 0;
}

static int
step_table(struct crm_report *r, struct crm_db *db, struct crm_stmt *st,
    struct table *t, struct crm_error *err)
{
	struct table_arg a = { r, t };
	char *f[MAXCOLS];
	int n = crm_db_col_count(st), i, rc;

	memset(t, 0, sizeof(*t));
	if (n > MAXCOLS)
		return crm_error_set(err, CRM_EFAIL, "too many columns");
	for (i = 0; i < n; i++)
		f[i] = (char *)crm_db_col_name(st, i);
	if (table_row(&a, f, (size_t)n, err) < 0)
		goto fail;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		for (i = 0; i < n; i++) {
			const char *v = crm_db_col_text(st, i);

			f[i] = (char *)(v ? v : "");
		}
		if (table_row(&a, f, (size_t)n, err) < 0)
			goto fail;
	}
	return rc;
fail:
	crm_db_reset(st);
	return -1;
}

static int
gather_contacts(struct crm_report *r, struct crm_db *db,
    struct crm_error *err)
{
	struct counter stages = { 0, 0, NULL }, owners = { 0, 0, NULL };
	struct named *last_stage = NULL, *last_owner = NULL;
	int64_t mb[13], ms;
	struct crm_stmt *st;
	int rc = -1, step, c, ym_end;
	size_t i;

	/* The last twelve calendar months, for new contacts. */
	ym_end = month_start(r->end - 1, &ms);
	for (i = 0; i < 12; i++) {
		char d[11], *l;

		mb[i] = month_of(ym_end - 11 + (int)i);
		crm_format_date(mb[i], d);
		if ((l = palloc(r, 8, err)) == NULL)
			return -1;
		memcpy(l, d, 7);
		r->month[i] = l;
	}
	mb[12] = month_of(ym_end + 1);
	if ((r->new_contacts = zeros(r, r->nb, err)) == NULL ||
	    (st = crm_db_stmt(db, sql_contacts, err)) == NULL)
		return -1;
	while ((step = crm_db_step(db, st, err)) == 1) {
		const char *stage = crm_db_col_text(st, 0);
		const char *owner = crm_db_col_text(st, 1);
		int64_t t = crm_db_col_int(st, 2);
		int bits = crm_db_col_int(st, 3);
		int opt = crm_db_col_int(st, 4);

		if (bits & 1) {
			r->merged_away++;
			continue;
		}
		if (bits & 2) {
			r->erased++;
			continue;
		}
		r->live++;
		r->no_email += (bits >> 2) & 1;
		r->no_phone += (bits >> 3) & 1;
		r->no_both += (bits & 12) == 12;
		r->dnc += (bits >> 4) & 1;
		for (c = 0; c < 4; c++) {
			int v = (opt >> (2 * c)) & 3;	/* 1 yes, 0 no, 2 ? */
			int has = c == 0 ? !(bits & 4) : c == 1 ?
			    !(bits & 8) : c == 2 ? (bits >> 5) & 1 :
			    (bits >> 6) & 1;

			r->consent[c][v == 1 ? 0 : v == 0 ? 1 : 2]++;
			r->consent[c][3] += v == 1 && !(bits & 16) && has;
		}
		/* Runs of one stage or owner are common: check the last. */
		if (stage == NULL)
			stage = "(none)";
		if (owner == NULL)
			owner = "(none)";
		if ((last_stage == NULL || strcmp(last_stage->name, stage) != 0) &&
		    (last_stage = count_name(r, &stages, stage, err)) == NULL)
			goto done;
		last_stage->n++;
		if ((last_owner == NULL || strcmp(last_owner->name, owner) != 0) &&
		    (last_owner = count_name(r, &owners, owner, err)) == NULL)
			goto done;
		last_owner->n++;
		if (t >= r->start && t < r->end) {
			r->new_contacts[bucket(r, t)]++;
			r->new_total++;
		}
		if (t >= mb[0] && t < mb[12]) {
			for (c = 11; mb[c] > t; c--)
				;
			r->month_n[c]++;
		}
	}
	if (step < 0)
		goto done;
	if ((r->stages = counted(r, &stages, &r->nstages, err)) == NULL ||
	    (r->owners = counted(r, &owners, &r->nowners, err)) == NULL)
		goto done;

	if ((st = crm_db_stmt(db, sql_merges, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, r->start, err) < 0 ||
	    crm_db_bind_int(db, st, 2, r->end, err) < 0 ||
	    (step = crm_db_step(db, st, err)) < 0)
		goto done;
	if (step == 1) {
		r->merges_total = crm_db_col_int(st, 0);
		r->merges_period = crm_db_col_int(st, 1);
		r->merges_undone = crm_db_col_int(st, 2);
		crm_db_reset(st);
	}
	if ((st = crm_db_stmt(db, sql_audit, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, r->start, err) < 0 ||
	    crm_db_bind_int(db, st, 2, r->end, err) < 0 ||
	    step_table(r, db, st, &r->audit, err) < 0)
		goto done;
	rc = 0;
done:
	if (rc < 0)
		crm_db_reset(st);
	free(stages.slot);
	free(owners.slot);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Interactions */

/* The period's interactions, added up here as the contacts are. */
static const char sql_period[] =
    "SELECT at, channel, CASE kind WHEN 'purchase' THEN 1"
    " WHEN 'ticket' THEN 2 ELSE 0 END, coalesce(currency, ''), amount"
    " FROM interactions WHERE at >= ?1 AND at < ?2";

static const char sql_backlog[] =
    "SELECT channel, count(*), min(at) FROM interactions"
    " WHERE kind = 'ticket' AND at < ?1"
    " AND (coalesce(status, 'open') = 'open' OR closed_at >= ?1)"
    " GROUP BY channel ORDER BY count(*) DESC, channel";

struct stats_ctx {
	struct crm_db *db;
	int64_t end, days;
};

static int
call_stats(void *ctx, struct crm_out *o, struct crm_error *err)
{
	struct stats_ctx *c = ctx;

	return crm_log_stats(c->db, c->end, &c->days, 1, o, err);
}

static int
call_tickets(void *ctx, struct crm_out *o, struct crm_error *err)
{
	struct stats_ctx *c = ctx;

	return crm_log_tickets(c->db, c->end, c->days, o, err);
}

/* A time series per name (channel, currency), found by a linear search:
 * the schema allows ten channels, and currencies are few. */
struct acc {
	const char *name;
	double *v;		/* per bucket */
	int64_t n;		/* rows */
	double total;
};

struct accs {
	struct acc *a;
	size_t n, alloc;
};

static struct acc *
acc_of(struct crm_report *r, struct accs *s, const char *name,
    struct crm_error *err)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->a[i].name, name) == 0)
			return &s->a[i];
	if (s->n == s->alloc) {
		size_t na = s->alloc ? s->alloc * 2 : 16;
		struct acc *q = parray(r, na, sizeof(*q), err);

		if (q == NULL)
			return NULL;
		if (s->n > 0)
			memcpy(q, s->a, s->n * sizeof(*q));
		s->a = q;
		s->alloc = na;
	}
	if ((s->a[s->n].name = pdup(r, name, err)) == NULL ||
	    (s->a[s->n].v = zeros(r, r->nb, err)) == NULL)
		return NULL;
	return &s->a[s->n++];
}

static int
cmp_acc(const void *a, const void *b)
{
	const struct acc *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int
gather_interactions(struct crm_report *r, struct crm_db *db,
    struct crm_error *err)
{
	struct stats_ctx ctx = { db, r->end, r->days };
	struct accs chan = { NULL, 0, 0 }, curr = { NULL, 0, 0 };
	size_t k, b, abl = 0, last = SIZE_MAX;
	struct crm_stmt *st;
	int rc;

	if ((r->purchases = zeros(r, r->nb, err)) == NULL ||
	    (st = crm_db_stmt(db, sql_period, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, r->start, err) < 0 ||
	    crm_db_bind_int(db, st, 2, r->end, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		const char *ch = crm_db_col_text(st, 1);
		int kind = crm_db_col_int(st, 2);
		struct acc *c;

		b = bucket(r, crm_db_col_int(st, 0));
		/* The array may move as it grows: keep an index. */
		if (last == SIZE_MAX || strcmp(chan.a[last].name, ch) != 0) {
			if ((c = acc_of(r, &chan, ch, err)) == NULL) {
				crm_db_reset(st);
				return -1;
			}
			last = (size_t)(c - chan.a);
		}
		c = &chan.a[last];
		c->v[b]++;
		c->n++;
		r->inter_total++;
		if (kind == 2)
			r->tickets_opened++;
		if (kind != 1)
			continue;
		r->purchases[b]++;
		r->purchases_total++;
		if ((c = acc_of(r, &curr, crm_db_col_text(st, 3), err)) ==
		    NULL) {
			crm_db_reset(st);
			return -1;
		}
		c->n++;
		c->v[b] += crm_db_col_double(st, 4);
		c->total += crm_db_col_double(st, 4);
	}
	if (rc < 0)
		return -1;

	/* The busiest channels, the rest folded into one series. */
	if (chan.n > 0)
		qsort(chan.a, chan.n, sizeof(*chan.a), cmp_acc);
	if (curr.n > 0)
		qsort(curr.a, curr.n, sizeof(*curr.a), cmp_acc);
	r->nchan = chan.n > MAXSERIES + 1 ? MAXSERIES + 1 : chan.n;
	if ((r->chan = parray(r, r->nchan + 1, sizeof(char *), err)) == NULL ||
	    (r->chan_n = parray(r, r->nchan + 1, sizeof(double *),
	    err)) == NULL || (r->chan_total = parray(r, r->nchan + 1,
	    sizeof(int64_t), err)) == NULL)
		return -1;
	for (k = 0; k < chan.n; k++) {
		size_t to = k < r->nchan ? k : r->nchan - 1;

		if (k < r->nchan) {
			r->chan[k] = chan.a[k].name;
			r->chan_n[k] = chan.a[k].v;
		} else {
			r->chan[to] = "other channels";
			for (b = 0; b < r->nb; b++)
				r->chan_n[to][b] += chan.a[k].v[b];
		}
		r->chan_total[to] += chan.a[k].n;
	}
	r->ncurr = curr.n;
	if ((r->curr = parray(r, curr.n + 1, sizeof(char *), err)) == NULL ||
	    (r->revenue = parray(r, curr.n + 1, sizeof(double *),
	    err)) == NULL || (r->curr_total = zeros(r, curr.n + 1,
	    err)) == NULL)
		return -1;
	for (k = 0; k < curr.n; k++) {
		r->curr[k] = curr.a[k].name[0] ? curr.a[k].name :
		    "(no currency)";
		r->revenue[k] = curr.a[k].v;
		r->curr_total[k] = curr.a[k].total;
	}

	if (capture_table(r, call_stats, &ctx, &r->stats, err) < 0)
		return -1;

	if ((st = crm_db_stmt(db, sql_backlog, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, r->end, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		int64_t n = crm_db_col_int(st, 1);
		int64_t oldest = crm_db_col_int(st, 2);

		if (tally(r, &r->backlog, &r->nbacklog, &abl,
		    crm_db_col_text(st, 0), n, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
		r->backlog_total += n;
		if (r->backlog_oldest == 0 || oldest < r->backlog_oldest)
			r->backlog_oldest = oldest;
	}
	return rc < 0 ? -1 : 0;
}

/* The ticket statistics of the period: crm-log stats --tickets. */
static int
gather_tickets(struct crm_report *r, struct crm_db *db, struct crm_error *err)
{
	struct stats_ctx ctx = { db, r->end, r->days };

	return capture_table(r, call_tickets, &ctx, &r->tickets, err);
}

/* ------------------------------------------------------------------ */
/* Segments */

static int
seg_index(struct crm_report *r, const char *name, struct crm_error *err)
{
	size_t i;

	for (i = 0; i < r->nsegnames; i++)
		if (strcmp(r->segnames[i], name) == 0)
			return (int)i;
	if (r->nsegnames == MAXSEGS)
		return crm_error_set(err, CRM_EDATA, "more than %d segment"
		    " names", MAXSEGS);
	if ((r->segnames[r->nsegnames] = pdup(r, name, err)) == NULL)
		return -1;
	return (int)r->nsegnames++;
}

struct rfm_arg {
	struct crm_report *r;
	size_t alloc;
	const char *last_name;	/* the segment of the last row */
	int last_seg;
};

/* Keep a contact's row of crm_rfm_each(). */
static int
rfm_row(void *arg, const struct crm_rfm_row *x, struct crm_error *err)
{
	struct rfm_arg *a = arg;
	struct crm_report *r = a->r;
	struct who *w;
	int s;

	if (r->nwho == a->alloc) {
		size_t na = a->alloc ? a->alloc * 2 : 4096;
		struct who *q = reallocarray(r->who, na, sizeof(*q));

		if (q == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		r->who = q;
		a->alloc = na;
	}
	/* Names come from the map: the same pointer as the last row's is
	 * the same name. */
	if (x->segment == a->last_name)
		s = a->last_seg;
	else if ((s = seg_index(r, x->segment, err)) < 0)
		return -1;
	a->last_name = x->segment;
	a->last_seg = s;
	w = &r->who[r->nwho++];
	w->id = x->id;
	w->recency = (int32_t)x->recency;
	w->orders = (int32_t)x->frequency;
	w->monetary = x->monetary;
	w->seg = (uint8_t)s;
	return 0;
}

static int
cmp_seg(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	if (x->revenue != y->revenue)
		return x->revenue < y->revenue ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int
cmp_down(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * Segment totals and revenue deciles from the per-contact rows, added up
 * in the order crm_profit() adds them (contacts by id; deciles in sorted
 * order), so that the sums are the same to the last bit.
 */
static int
segment_totals(struct crm_report *r, struct crm_error *err)
{
	double *rev, total = 0, cum = 0;
	int64_t *slot;
	size_t i, k;

	if ((r->segs = parray(r, r->nsegnames + 1, sizeof(*r->segs),
	    err)) == NULL || (slot = parray(r, r->nsegnames + 1,
	    sizeof(*slot), err)) == NULL)
		return -1;
	for (k = 0; k <= r->nsegnames; k++)
		slot[k] = -1;
	for (i = 0; i < r->nwho; i++) {
		const struct who *w = &r->who[i];
		struct seg *g;

		if (slot[w->seg] < 0) {
			slot[w->seg] = (int64_t)r->nsegs;
			r->segs[r->nsegs++].name = r->segnames[w->seg];
		}
		g = &r->segs[slot[w->seg]];
		g->contacts++;
		g->buyers += w->orders > 0;
		g->orders += w->orders;
		g->revenue += w->orders > 0 ? w->monetary : 0;
		r->buyers += w->orders > 0;
	}
	for (k = 0; k < r->nsegs; k++)
		total += r->segs[k].revenue;
	r->revenue_total = total;
	if (r->nsegs > 0)
		qsort(r->segs, r->nsegs, sizeof(*r->segs), cmp_seg);
	for (k = 0; k < r->nsegs; k++) {
		cum += r->segs[k].revenue;
		r->segs[k].share = total > 0 ? r->segs[k].revenue / total : 0;
		r->segs[k].cum = total > 0 ? cum / total : 0;
	}

	if (r->nwho == 0)
		return 0;
	if ((rev = malloc(r->nwho * sizeof(*rev))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	for (i = 0; i < r->nwho; i++)
		rev[i] = r->who[i].orders > 0 ? r->who[i].monetary : 0;
	qsort(rev, r->nwho, sizeof(*rev), cmp_down);
	for (i = 0; i < r->nwho; i++) {
		struct decile *d = &r->dec[i * 10 / r->nwho];

		d->contacts++;
		d->revenue += rev[i];
	}
	free(rev);
	total = cum = 0;
	for (k = 0; k < 10; k++)
		total += r->dec[k].revenue;
	for (k = 0; k < 10; k++) {
		cum += r->dec[k].revenue;
		r->dec[k].share = total > 0 ? r->dec[k].revenue / total : 0;
		r->dec[k].cum = total > 0 ? cum / total : 0;
	}
	return 0;
}

/*
 * The state file:
 *
 *	crm-report-state 1 DAY PREVIOUS_DAY		(PREVIOUS_DAY or -)
 *	ID TAB SEGMENT TAB PREVIOUS_SEGMENT		(one per contact, by id)
 *
 * where SEGMENT is the contact's segment on DAY and PREVIOUS_SEGMENT on
 * PREVIOUS_DAY (empty when not known).
 */
/* Parse "crm-report-state 1 DAY PREV\n" (PREV a day or "-"); 1 if it is
 * one. */
static int
state_header(const char *line, char day[11], char prev[11])
{
	char d[12], p[12], end[2], norm[11];
	struct crm_error e;

	if (sscanf(line, STATE_MAGIC " %11s %11s%1s", d, p, end) != 2 ||
	    crm_norm_date(d, norm, &e) < 0 || strcmp(norm, d) != 0)
		return 0;
	memcpy(day, d, 11);
	prev[0] = '\0';
	if (strcmp(p, "-") == 0)
		return 1;
	if (crm_norm_date(p, norm, &e) < 0 || strcmp(norm, p) != 0 ||
	    strcmp(p, d) >= 0)
		return 0;
	memcpy(prev, p, 11);
	return 1;
}

static int
read_state(struct crm_report *r, struct crm_error *err)
{
	const char *path = r->o.state;
	char *line = NULL, *tab;
	size_t cap = 0, a = 0;
	ssize_t len;
	long lineno = 1;
	int col, rc = -1, cmp;
	FILE *fp;

	r->state_status = 0;
	if (path == NULL)
		return 0;
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT) {
			r->state_status = 2;
			return 0;
		}
		return crm_error_set(err, CRM_EFAIL, "%s: %s", path,
		    strerror(errno));
	}
	if ((len = getline(&line, &cap, fp)) < 0 || !state_header(line,
	    r->file_day, r->file_prev)) {
		crm_error_set(err, CRM_EDATA, "%s:1: not a crm-report state"
		    " file", path);
		goto done;
	}
	cmp = strcmp(r->file_day, r->asof_day);
	if (cmp > 0) {
		r->state_status = 3;
		rc = 0;
		goto done;
	}
	/* Compare with the file's day if it is earlier, else with the
	 * day before it (a report of the same day again). */
	col = cmp < 0 ? 1 : 2;
	if (col == 2 && r->file_prev[0] == '\0') {
		r->state_status = 4;
		rc = 0;
		goto done;
	}
	memcpy(r->base_day, col == 1 ? r->file_day : r->file_prev, 11);
	while ((len = getline(&line, &cap, fp)) > 0) {
		char *seg, *end;
		int64_t id;
		int s;

		lineno++;
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		id = strtoll(line, &end, 10);
		if (end == line || *end != '\t' || (r->nbase > 0 &&
		    id <= r->base_id[r->nbase - 1])) {
			crm_error_set(err, CRM_EDATA, "%s:%ld: expected an id"
			    " (ascending), a tab and a segment", path, lineno);
			goto done;
		}
		seg = end + 1;
		tab = strchr(seg, '\t');
		if (tab != NULL)
			*tab = '\0';
		if (col == 2)
			seg = tab != NULL ? tab + 1 : (char *)"";
		if (*seg == '\0')
			continue;
		if ((s = seg_index(r, seg, err)) < 0) {
			crm_error_prefix(err, "%s:%ld", path, lineno);
			goto done;
		}
		if (r->nbase == a) {
			size_t na = a ? a * 2 : 4096;
			int64_t *q = reallocarray(r->base_id, na, sizeof(*q));
			uint8_t *qs;

			if (q != NULL)
				r->base_id = q;
			qs = q ? realloc(r->base_seg, na) : NULL;
			if (qs == NULL) {
				crm_error_set(err, CRM_EFAIL, "out of memory");
				goto done;
			}
			r->base_seg = qs;
			a = na;
		}
		r->base_id[r->nbase] = id;
		r->base_seg[r->nbase++] = (uint8_t)s;
	}
	if (ferror(fp)) {
		crm_error_set(err, CRM_EFAIL, "%s: %s", path, strerror(errno));
		goto done;
	}
	r->state_status = 1;
	rc = 0;
done:
	free(line);
	fclose(fp);
	return rc;
}

static int
add_flow(struct crm_report *r, size_t *alloc, int from, int to,
    struct crm_error *err)
{
	size_t i;

	for (i = 0; i < r->nflows; i++)
		if (r->flows[i].from == from && r->flows[i].to == to) {
			r->flows[i].n++;
			return 0;
		}
	if (r->nflows == *alloc) {
		size_t na = *alloc ? *alloc * 2 : 32;
		struct flow *q = parray(r, na, sizeof(*q), err);

		if (q == NULL)
			return -1;
		if (r->nflows > 0)
			memcpy(q, r->flows, r->nflows * sizeof(*q));
		r->flows = q;
		*alloc = na;
	}
	r->flows[r->nflows].from = from;
	r->flows[r->nflows].to = to;
	r->flows[r->nflows++].n = 1;
	return 0;
}

static int
cmp_flow(const void *a, const void *b)
{
	const struct flow *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return x->from != y->from ? x->from - y->from : x->to - y->to;
}

/* Movement: a merge of the two id-ordered lists. */
static int
movement(struct crm_report *r, struct crm_error *err)
{
	size_t i = 0, j = 0, alloc = 0;

	if (r->state_status != 1)
		return 0;
	if ((r->seg_before = parray(r, MAXSEGS, sizeof(int64_t),
	    err)) == NULL)
		return -1;
	while (i < r->nwho || j < r->nbase) {
		int from, to;

		if (j == r->nbase || (i < r->nwho &&
		    r->who[i].id < r->base_id[j])) {
			from = -1;
			to = r->who[i++].seg;
			r->joined++;
		} else if (i == r->nwho || r->base_id[j] < r->who[i].id) {
			from = r->base_seg[j++];
			to = -2;
			r->left++;
			r->seg_before[from]++;
		} else {
			from = r->base_seg[j++];
			to = r->who[i++].seg;
			r->seg_before[from]++;
			if (from == to) {
				r->stayed++;
				continue;
			}
			r->moved++;
		}
		if (add_flow(r, &alloc, from, to, err) < 0)
			return -1;
	}
	if (r->nflows > 0)
		qsort(r->flows, r->nflows, sizeof(*r->flows), cmp_flow);
	return 0;
}

static int
gather_segments(struct crm_report *r, struct crm_db *db,
    struct crm_error *err)
{
	struct rfm_arg a;
	struct crm_rfm_opts o;

	memset(&a, 0, sizeof(a));
	a.r = r;
	memset(&o, 0, sizeof(o));
	o.asof = r->end - DAY;
	o.kind = "purchase";
	if (crm_rfm_each(db, &o, rfm_row, &a, NULL, err) < 0 ||
	    segment_totals(r, err) < 0 || read_state(r, err) < 0)
		return -1;
	return movement(r, err);
}

/* ------------------------------------------------------------------ */
/* Churn and value */

static const char sql_scores[] =
    "SELECT s.contact_id, s.p_alive, s.expected_purchases, s.clv,"
    " s.horizon_days, s.scored_at, s.model_id FROM scores s"
    " JOIN contacts c ON c.id = s.contact_id"
    " WHERE c.merged_into IS NULL AND c.erased_at IS NULL"
    " ORDER BY s.contact_id";

static const char sql_model[] =
    "SELECT kind, strftime('%Y-%m-%d', fitted_at, 'unixepoch'),"
    " strftime('%Y-%m-%d', calibration_end, 'unixepoch'), unit"
    " FROM models WHERE id = ?1";

static const char sql_who[] =
    "SELECT id, external_id, trim(coalesce(first_name, '') || ' ' ||"
    " coalesce(last_name, '')), owner FROM contacts"
    " WHERE id IN (SELECT value FROM json_each(?1))";

struct val {
	int64_t id;
	double clv, ep, palive;
};

static int
cmp_val(const void *a, const void *b)
{
	const struct val *x = a, *y = b;

	if (x->clv != y->clv)
		return x->clv < y->clv ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Keep the top r->o.top at-risk customers by revenue so far. */
static void
keep_risky(struct crm_report *r, const struct risky *x)
{
	size_t i;

	if (r->nrisky == (size_t)r->o.top &&
	    x->revenue <= r->risky[r->nrisky - 1].revenue)
		return;
	if (r->nrisky < (size_t)r->o.top)
		r->nrisky++;
	for (i = r->nrisky - 1; i > 0 && r->risky[i - 1].revenue <
	    x->revenue; i--)
		r->risky[i] = r->risky[i - 1];
	r->risky[i] = *x;
}

static int
risky_names(struct crm_report *r, struct crm_db *db, struct crm_error *err)
{
	struct crm_buf ids = CRM_BUF_INIT(1 << 20);
	struct crm_stmt *st;
	size_t i;
	int rc = -1, step;

	if (r->nrisky == 0)
		return 0;
	for (i = 0; i < r->nrisky; i++)
		if (crm_buf_addf(&ids, err, "%s%lld", i ? "," : "[",
		    (long long)r->risky[i].id) < 0)
			goto done;
	if (crm_buf_addc(&ids, ']', err) < 0 ||
	    (st = crm_db_stmt(db, sql_who, err)) == NULL ||
	    crm_db_bind_text(db, st, 1, crm_buf_str(&ids), err) < 0)
		goto done;
	while ((step = crm_db_step(db, st, err)) == 1) {
		int64_t id = crm_db_col_int(st, 0);

		for (i = 0; i < r->nrisky; i++) {
			struct risky *x = &r->risky[i];

			if (x->id != id)
				continue;
			if ((crm_db_col_text(st, 1) != NULL &&
			    (x->ext = pdup(r, crm_db_col_text(st, 1),
			    err)) == NULL) ||
			    (x->name = pdup(r, crm_db_col_text(st, 2),
			    err)) == NULL ||
			    (crm_db_col_text(st, 3) != NULL &&
			    (x->owner = pdup(r, crm_db_col_text(st, 3),
			    err)) == NULL)) {
				crm_db_reset(st);
				goto done;
			}
		}
	}
	rc = step < 0 ? -1 : 0;
done:
	crm_buf_release(&ids);
	return rc;
}

static int
gather_churn(struct crm_report *r, struct crm_db *db, struct crm_error *err)
{
	struct val *v = NULL;
	size_t nv = 0, av = 0, j = 0, i;
	int64_t model = 0;
	struct crm_stmt *st;
	int rc = -1, step;

	if ((r->risky = parray(r, (size_t)r->o.top, sizeof(*r->risky),
	    err)) == NULL || (st = crm_db_stmt(db, sql_scores, err)) == NULL)
		return -1;
	while ((step = crm_db_step(db, st, err)) == 1) {
		int64_t id = crm_db_col_int(st, 0);
		double pa = crm_db_col_double(st, 1);
		int nopa = crm_db_col_isnull(st, 1);
		int noclv = crm_db_col_isnull(st, 3);
		int b;

		r->scored++;
		if (crm_db_col_int(st, 5) > r->scored_at)
			r->scored_at = crm_db_col_int(st, 5);
		if (crm_db_col_int(st, 6) > model)
			model = crm_db_col_int(st, 6);
		r->horizon = crm_db_col_int(st, 4);
		if (!nopa) {
			b = (int)floor(pa * 10);
			r->palive_hist[b < 0 ? 0 : b > 9 ? 9 : b]++;
		}
		if (noclv)
			r->no_clv++;
		else {
			if (nv == av) {
				size_t na = av ? av * 2 : 4096;
				struct val *q = reallocarray(v, na, sizeof(*q));

				if (q == NULL) {
					crm_error_set(err, CRM_EFAIL,
					    "out of memory");
					crm_db_reset(st);
					goto done;
				}
				v = q;
				av = na;
			}
			v[nv].id = id;
			v[nv].clv = crm_db_col_double(st, 3);
			v[nv].ep = crm_db_col_double(st, 2);
			v[nv++].palive = pa;
		}
		if (nopa || pa >= r->at_risk)
			continue;
		r->at_risk_n++;
		/* The RFM rows are in id order too. */
		while (j < r->nwho && r->who[j].id < id)
			j++;
		if (j < r->nwho && r->who[j].id == id &&
		    r->who[j].orders > 0 && r->o.top > 0) {
			struct risky x;

			memset(&x, 0, sizeof(x));
			x.id = id;
			x.revenue = r->who[j].monetary;
			x.orders = r->who[j].orders;
			x.recency = r->who[j].recency;
			x.segment = r->segnames[r->who[j].seg];
			x.p_alive = pa;
			x.clv = noclv ? NAN : crm_db_col_double(st, 3);
			keep_risky(r, &x);
		}
	}
	if (step < 0)
		goto done;
	if (nv > 0)
		qsort(v, nv, sizeof(*v), cmp_val);
	for (i = 0; i < nv; i++) {
		struct valdec *d = &r->vdec[i * 10 / nv];

		d->n++;
		d->clv += v[i].clv;
		d->ep += v[i].ep;
		d->palive += v[i].palive;
	}
	if (model > 0) {
		if ((st = crm_db_stmt(db, sql_model, err)) == NULL ||
		    crm_db_bind_int(db, st, 1, model, err) < 0 ||
		    (step = crm_db_step(db, st, err)) < 0)
			goto done;
		if (step == 1) {
			const char *kind = crm_db_col_text(st, 0);
			char buf[160];

			snprintf(buf, sizeof(buf), "%s fitted %s, calibration"
			    " ending %s, in %ss", kind == NULL ? "?" :
			    strcmp(kind, "bgnbd") == 0 ? "BG/NBD" :
			    strcmp(kind, "pareto") == 0 ? "Pareto/NBD" : kind,
			    crm_db_col_text(st, 1) ? crm_db_col_text(st, 1) :
			    "?", crm_db_col_text(st, 2) ?
			    crm_db_col_text(st, 2) : "?",
			    crm_db_col_text(st, 3) ? crm_db_col_text(st, 3) :
			    "day");
			crm_db_reset(st);
			if ((r->model = pdup(r, buf, err)) == NULL)
				goto done;
		}
	}
	rc = risky_names(r, db, err);
done:
	free(v);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Campaigns */

static const char sql_campaigns[] =
    "SELECT name, channel, purpose, state, sent_at, (SELECT count(*) FROM"
    " campaigns) FROM campaigns WHERE sent_at >= ?1 AND sent_at < ?2"
    " ORDER BY sent_at DESC, name LIMIT ?3";

struct camp_ctx {
	struct crm_db *db;
	const char *name;
	int64_t window;
	struct crm_campaign_report_info info;
};

static int
call_campaign(void *ctx, struct crm_out *o, struct crm_error *err)
{
	struct camp_ctx *c = ctx;

	return crm_campaign_report(c->db, c->name, c->window, "purchase", o,
	    &c->info, err);
}

static int
gather_campaigns(struct crm_report *r, struct crm_db *db,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int64_t all = 0;
	size_t i, row;
	int step, k;

	if ((r->camps = parray(r, MAXCAMPAIGNS, sizeof(*r->camps),
	    err)) == NULL || (st = crm_db_stmt(db, sql_campaigns,
	    err)) == NULL || crm_db_bind_int(db, st, 1, r->start, err) < 0 ||
	    crm_db_bind_int(db, st, 2, r->end, err) < 0 ||
	    crm_db_bind_int(db, st, 3, MAXCAMPAIGNS, err) < 0)
		return -1;
	while ((step = crm_db_step(db, st, err)) == 1) {
		/* Oldest first, as the charts read left to right. */
		struct campaign *c = &r->camps[MAXCAMPAIGNS - 1 - r->ncamps];

		if ((c->name = pdup(r, crm_db_col_text(st, 0), err)) == NULL ||
		    (c->channel = pdup(r, crm_db_col_text(st, 1),
		    err)) == NULL || (crm_db_col_text(st, 2) != NULL &&
		    (c->purpose = pdup(r, crm_db_col_text(st, 2),
		    err)) == NULL) || (c->state = pdup(r,
		    crm_db_col_text(st, 3), err)) == NULL) {
			crm_db_reset(st);
			return -1;
		}
		c->sent_at = crm_db_col_int(st, 4);
		all = crm_db_col_int(st, 5);
		r->ncamps++;
	}
	if (step < 0)
		return -1;
	if (r->ncamps > 0 && r->ncamps < MAXCAMPAIGNS)
		memmove(r->camps, r->camps + MAXCAMPAIGNS - r->ncamps,
		    r->ncamps * sizeof(*r->camps));
	if (r->ncamps == 0 && crm_db_query_int(db, "SELECT count(*) FROM"
	    " campaigns", &all, err) < 0)
		return -1;
	r->camps_other = all - (int64_t)r->ncamps;
	for (i = 0; i < r->ncamps; i++) {
		struct campaign *c = &r->camps[i];
		struct camp_ctx ctx;
		struct table t;

		memset(&ctx, 0, sizeof(ctx));
		ctx.db = db;
		ctx.name = c->name;
		ctx.window = r->o.campaign_window;
		if (capture_table(r, call_campaign, &ctx, &t, err) < 0) {
			crm_error_prefix(err, "campaign %s", c->name);
			return -1;
		}
		c->window_end = ctx.info.window_end;
		for (row = 0; row < t.nrow; row++) {
			const char *g = tget(&t, row, "group");
			const char *why = tget(&t, row, "reason");
			int x;

			if (g == NULL)
				continue;
			if (strcmp(g, "suppressed") == 0) {
				for (k = 0; why != NULL &&
				    k < CRM_CAMPAIGN_NREASONS; k++)
					if (strcmp(why,
					    crm_campaign_reasons[k]) == 0)
						c->suppressed[k] = tint(&t,
						    row, "contacts");
				continue;
			}
			x = strcmp(g, "target") == 0 ? 0 :
			    strcmp(g, "control") == 0 ? 1 : -1;
			if (x < 0)
				continue;
			c->n[x] = tint(&t, row, "contacts");
			c->responders[x] = tint(&t, row,
			    "responders");
			c->rate[x] = tnum(&t, row, "response_rate");
			c->revenue[x] = tnum(&t, row, "revenue");
			if (x == 1)
				c->has_control = c->n[1] > 0;
			if (x == 0 && tget(&t, row, "uplift") != NULL) {
				c->has_uplift = 1;
				c->uplift = tnum(&t, row, "uplift");
				c->lo = tnum(&t, row, "ci_low");
				c->hi = tnum(&t, row, "ci_high");
				c->p_value = tnum(&t, row, "p_value");
			}
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */


struct worker {
	struct crm_report *r;
	struct crm_db *db;
	struct crm_error err;
	int rc;
};

/* The second thread's share: about as long as the rest at 1M/5M. */
static int
gather_worker(struct crm_report *r, struct crm_db *db, struct crm_error *err)
{
	if (gather_segments(r, db, err) < 0 || gather_tickets(r, db, err) < 0 ||
	    gather_campaigns(r, db, err) < 0)
		return -1;
	return 0;
}

static void *
work(void *arg)
{
	struct worker *w = arg;

	w->rc = gather_worker(w->r, w->db, &w->err);
	return NULL;
}

/*
 * Gather every section.  RFM, the slowest part, runs in a second thread
 * on a second connection whose read transaction starts right after the
 * first one's, so that both see the same data unless a write commits in
 * between, followed there by the ticket statistics and the campaigns
 * (at 1M contacts and 5M interactions the two threads then take about
 * as long); the churn section needs the RFM rows and comes after.
 * Without a second connection or thread, everything runs in turn on db.
 */
static int
gather(struct crm_report *r, struct crm_db *db, struct crm_error *err)
{
	struct worker w;
	pthread_t tid;
	int threaded = 0, rc = -1;

	memset(&w, 0, sizeof(w));
	w.r = r;
	if (crm_db_map_reads(db, err) < 0 ||
	    crm_db_begin_read(db, err) < 0)
		return -1;
	crm_error_clear(&w.err);
	if ((w.db = crm_db_open(crm_db_name(db), 0, &w.err)) != NULL &&
	    crm_db_map_reads(w.db, &w.err) == 0 &&
	    crm_db_begin_read(w.db, &w.err) == 0 &&
	    pthread_create(&tid, NULL, work, &w) == 0)
		threaded = 1;
	if (gather_contacts(r, db, err) == 0 &&
	    gather_interactions(r, db, err) == 0)
		rc = 0;
	if (threaded) {
		pthread_join(tid, NULL);
		if (rc == 0 && w.rc < 0) {
			*err = w.err;
			rc = -1;
		}
	} else if (rc == 0)
		rc = gather_worker(r, db, err);
	if (rc == 0 && gather_churn(r, db, err) < 0)
		rc = -1;
	crm_db_rollback(w.db);
	crm_db_close(w.db);
	crm_db_rollback(db);
	return rc;
}

struct crm_report *
crm_report_build(struct crm_db *db, const struct crm_report_opts *opts,
    struct crm_error *err)
{
	struct crm_report *r;
	int64_t now = opts->now ? opts->now : crm_now();

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&r->lock, NULL);
	r->o = *opts;
	r->o.now = now;
	if (r->o.asof == 0)
		r->o.asof = now;
	if (r->o.top <= 0)
		r->o.top = 20;
	if (r->o.campaign_window <= 0)
		r->o.campaign_window = 30;
	r->at_risk = r->o.at_risk > 0 ? r->o.at_risk : 0.5;
	r->end = day0(r->o.asof) + DAY;
	r->start = r->o.since ? day0(r->o.since) : r->end - 91 * DAY;
	if (r->start >= r->end) {
		crm_error_set(err, CRM_EUSAGE, "the period starts after it"
		    " ends (--since after --as-of)");
		goto fail;
	}
	r->days = (r->end - r->start) / DAY;
	crm_format_date(r->end - DAY, r->asof_day);
	crm_format_date(r->start, r->start_day);
	if (buckets(r, err) < 0 || gather(r, db, err) < 0)
		goto fail;
	snprintf(r->summary, sizeof(r->summary), "as of %s: %lld contacts,"
	    " %lld interactions in %lld days, %d of 5 sections without data",
	    r->asof_day, (long long)r->live, (long long)r->inter_total,
	    (long long)r->days, (r->live == 0) + (r->inter_total == 0) +
	    (r->buyers == 0) + (r->scored == 0) + (r->ncamps == 0));
	return r;
fail:
	crm_report_free(r);
	return NULL;
}

void
crm_report_free(struct crm_report *r)
{
	struct chunk *c, *next;

	if (r == NULL)
		return;
	for (c = r->pool; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(r->who);
	free(r->base_id);
	free(r->base_seg);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* ------------------------------------------------------------------ */
/* Numbers as people read them */

/* Commas between groups of three digits of the number in s. */
static const char *
grouped(char out[48], const char *s)
{
	const char *p = s, *end = strchr(s, '.');
	size_t n = 0;

	if (end == NULL)
		end = s + strlen(s);
	if (*p == '-')
		out[n++] = *p++;
	while (p < end && n < 40) {
		out[n++] = *p++;
		if (p < end && (end - p) % 3 == 0)
			out[n++] = ',';
	}
	while (*p && n < 46)
		out[n++] = *p++;
	out[n] = '\0';
	return out;
}

static const char *
fint(char out[48], int64_t v)
{
	char s[32];

	snprintf(s, sizeof(s), "%lld", (long long)v);
	return grouped(out, s);
}

static const char *
fmoney(char out[48], double v)
{
	char s[40];

	if (isnan(v))
		return "";
	snprintf(s, sizeof(s), "%.2f", v);
	if (strcmp(s, "-0.00") == 0)
		memcpy(s, "0.00", 5);
	return grouped(out, s);
}

static const char *
fnum(char out[48], double v, int decimals)
{
	char s[40];

	if (isnan(v))
		return "";
	snprintf(s, sizeof(s), "%.*f", decimals, v);
	return grouped(out, s);
}

/* A share as a percentage with one decimal ("" for NaN). */
static const char *
fpct(char out[48], double share)
{
	if (isnan(share))
		return "";
	snprintf(out, 48, "%.1f%%", share * 100);
	return out;
}

static double
ratio(int64_t a, int64_t b)
{
	return b > 0 ? (double)a / (double)b : NAN;
}

/* ------------------------------------------------------------------ */
/* HTML */

static const char css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,"
    "Arial,sans-serif;color:#222;background:#fff;margin:0 auto;"
    "max-width:1240px;padding:16px 24px;line-height:1.4}\n"
    "h1{font-size:26px;margin:8px 0 4px}\n"
    "h2{font-size:21px;border-bottom:3px solid #0072B2;padding-bottom:4px;"
    "margin:36px 0 8px}\n"
    "h3{font-size:16px;margin:22px 0 6px}\n"
    ".meta,.note{color:#555;font-size:14px}\n"
    "nav a{margin-right:14px}\n"
    ".kpis{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}\n"
    ".kpi{border:1px solid #ccc;border-radius:6px;padding:8px 14px;"
    "min-width:150px}\n"
    ".kpi b{display:block;font-size:22px}\n"
    ".kpi span{color:#555;font-size:13px}\n"
    ".grid{display:flex;flex-wrap:wrap;gap:20px;align-items:flex-start}\n"
    "figure{margin:0 0 12px;flex:1 1 560px;max-width:600px}\n"
    "figure.wide{max-width:none}\n"
    "figcaption{font-size:13px;color:#444;margin:2px 0 6px}\n"
    ".scroll{overflow-x:auto}\n"
    "table{border-collapse:collapse;font-size:13px;margin:6px 0 14px}\n"
    "th,td{padding:3px 8px;border-bottom:1px solid #e2e2e2;"
    "text-align:left;vertical-align:top}\n"
    "thead th{border-bottom:2px solid #888}\n"
    "tbody th{white-space:nowrap}\n"
    ".n{text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}\n"
    ".nodata{color:#444;background:#f4f4f4;border-left:4px solid #999;"
    "padding:8px 12px;font-style:italic}\n"
    "svg{max-width:100%;height:auto}\n"
    "footer{margin-top:40px;color:#555;font-size:13px;"
    "border-top:1px solid #ccc}\n"
    "@media print{nav{display:none}figure{break-inside:avoid}}\n";

struct html {
	FILE *fp;
	const struct crm_report *r;
	struct crm_error *err;
	int failed;
};

static void
esc(struct html *h, const char *s)
{
	crm_svg_escape(h->fp, s);
}

/* printf to the page; the arguments must not need escaping. */
static void hp(struct html *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
hp(struct html *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(h->fp, fmt, ap);
	va_end(ap);
}

static void
nodata(struct html *h, const char *text)
{
	hp(h, "<p class=\"nodata\">");
	esc(h, text);
	hp(h, "</p>\n");
}

static void
chart(struct html *h, const struct crm_chart *c)
{
	if (!h->failed && crm_svg_chart(h->fp, c, h->err) < 0)
		h->failed = 1;
}

static void
caption(struct html *h, const char *text)
{
	hp(h, "<figcaption>");
	esc(h, text);
	hp(h, "</figcaption>\n");
}

/* A table head: names starting with '#' are numeric columns. */
static void
thead(struct html *h, const char *id, const char *const *names, size_t n)
{
	size_t i;

	hp(h, "<div class=\"scroll\"><table id=\"%s\"><thead><tr>", id);
	for (i = 0; i < n; i++) {
		int num = names[i][0] == '#';

		hp(h, "<th%s>", num ? " class=\"n\"" : "");
		esc(h, names[i] + num);
		hp(h, "</th>");
	}
	hp(h, "</tr></thead><tbody>\n");
}

static void
tend(struct html *h)
{
	hp(h, "</tbody></table></div>\n");
}

/* A row: the first cell a header of the row, the others numbers. */
static void
trow(struct html *h, const char *label, const char *const *cells, size_t n)
{
	size_t i;

	hp(h, "<tr><th scope=\"row\">");
	esc(h, label);
	hp(h, "</th>");
	for (i = 0; i < n; i++) {
		hp(h, "<td class=\"n\">");
		esc(h, cells[i]);
		hp(h, "</td>");
	}
	hp(h, "</tr>\n");
}

static void
kpi(struct html *h, const char *value, const char *what)
{
	hp(h, "<div class=\"kpi\"><b>");
	esc(h, value);
	hp(h, "</b><span>");
	esc(h, what);
	hp(h, "</span></div>\n");
}

static const char *
unit_name(const struct crm_report *r)
{
	return r->monthly ? "month" : "week";
}

static void
html_contacts(struct html *h)
{
	const struct crm_report *r = h->r;
	char a[48], b[48], c[48], d[48], e[48], text[256];
	const char *cells[6];
	struct crm_chart ch;
	struct crm_chart_series s[3];
	double *v[3];
	size_t i, k, n;

	hp(h, "<section id=\"contacts\"><h2>Contacts</h2>\n");
	if (r->live == 0) {
		nodata(h, "No contacts in the database.");
		hp(h, "</section>\n");
		return;
	}
	snprintf(text, sizeof(text), "%s contacts (neither merged into"
	    " another nor erased); %s merged away as duplicates, %s erased.",
	    fint(a, r->live), fint(b, r->merged_away), fint(c, r->erased));
	hp(h, "<p>");
	esc(h, text);
	hp(h, "</p>\n<div class=\"grid\">\n");

	/* New contacts per bucket. */
	memset(&ch, 0, sizeof(ch));
	memset(s, 0, sizeof(s));
	s[0].name = "new contacts";
	s[0].v = r->new_contacts;
	ch.title = r->monthly ? "New contacts per month" :
	    "New contacts per week";
	ch.cat_label = r->monthly ? "month (UTC)" : "week starting (UTC)";
	ch.value_label = "contacts added";
	ch.kind = CRM_CHART_BARS;
	ch.ncat = r->nb;
	ch.cats = r->blabel;
	ch.nser = 1;
	ch.ser = s;
	hp(h, "<figure>\n");
	chart(h, &ch);
	{
		const char *nm[2] = { r->monthly ? "month" : "week starting",
		    "#new contacts" };

		thead(h, "t-new", nm, 2);
	}
	for (i = 0; i < r->nb; i++) {
		cells[0] = fint(a, (int64_t)r->new_contacts[i]);
		trow(h, r->blabel[i], cells, 1);
	}
	tend(h);
	snprintf(text, sizeof(text), "%s contacts added from %s to %s, by"
	    " the day they were added to the database (created_at), not"
	    " counting those since merged or erased.", fint(a, r->new_total),
	    r->start_day, r->asof_day);
	caption(h, text);
	hp(h, "</figure>\n");

	/* Stages and owners. */
	{
		const char **cats;
		double *vals;
		size_t no = r->nowners > MAXOWNERS ? MAXOWNERS + 1 : r->nowners;
		size_t ncat = r->nstages + no;

		cats = calloc(ncat, sizeof(*cats));
		vals = calloc(ncat, sizeof(*vals));
		if (cats == NULL || vals == NULL) {
			free(cats);
			free(vals);
			crm_error_set(h->err, CRM_EFAIL, "out of memory");
			h->failed = 1;
			return;
		}
		for (i = 0; i < r->nstages; i++) {
			cats[i] = r->stages[i].name;
			vals[i] = (double)r->stages[i].n;
		}
		memset(&ch, 0, sizeof(ch));
		memset(s, 0, sizeof(s));
		s[0].name = "contacts";
		s[0].v = vals;
		ch.title = "Contacts by lifecycle stage";
		ch.cat_label = "stage";
		ch.value_label = "contacts";
		ch.kind = CRM_CHART_HBARS;
		ch.ncat = r->nstages;
		ch.cats = cats;
		ch.nser = 1;
		ch.ser = s;
		hp(h, "<figure>\n");
		chart(h, &ch);
		{
			static const char *const nm[] = { "stage", "#contacts",
			    "#share" };

			thead(h, "t-stages", nm, 3);
		}
		for (i = 0; i < r->nstages; i++) {
			cells[0] = fint(a, r->stages[i].n);
			cells[1] = fpct(b, ratio(r->stages[i].n, r->live));
			trow(h, r->stages[i].name, cells, 2);
		}
		tend(h);
		caption(h, "Lead, prospect, customer or former, as crm-add"
		    " set it (crm-segment profit --by stage counts the same).");
		hp(h, "</figure>\n");

		for (i = 0; i < no; i++) {
			int64_t sum = 0;

			if (i == MAXOWNERS) {
				for (k = MAXOWNERS; k < r->nowners; k++)
					sum += r->owners[k].n;
				cats[r->nstages + i] = "other owners";
				vals[r->nstages + i] = (double)sum;
			} else {
				cats[r->nstages + i] = r->owners[i].name;
				vals[r->nstages + i] = (double)r->owners[i].n;
			}
		}
		ch.title = "Contacts by owner";
		ch.cat_label = "owner";
		ch.ncat = no;
		ch.cats = cats + r->nstages;
		s[0].v = vals + r->nstages;
		hp(h, "<figure>\n");
		chart(h, &ch);
		{
			static const char *const nm[] = { "owner", "#contacts",
			    "#share" };

			thead(h, "t-owners", nm, 3);
		}
		for (i = 0; i < no; i++) {
			cells[0] = fint(a, (int64_t)vals[r->nstages + i]);
			cells[1] = fpct(b, ratio((int64_t)vals[r->nstages + i],
			    r->live));
			trow(h, cats[r->nstages + i], cells, 2);
		}
		tend(h);
		snprintf(text, sizeof(text), "The sales representative or"
		    " team responsible; %s owners%s.", fint(a,
		    (int64_t)r->nowners), r->nowners > MAXOWNERS ?
		    ", the smallest folded into \"other owners\"" : "");
		caption(h, text);
		hp(h, "</figure>\n");
		free(cats);
		free(vals);
	}

	/* Consent per channel, as shares of the contacts. */
	for (k = 0; k < 3; k++)
		v[k] = calloc(4, sizeof(double));
	if (v[0] == NULL || v[1] == NULL || v[2] == NULL) {
		for (k = 0; k < 3; k++)
			free(v[k]);
		crm_error_set(h->err, CRM_EFAIL, "out of memory");
		h->failed = 1;
		return;
	}
	for (i = 0; i < 4; i++)
		for (k = 0; k < 3; k++)
			v[k][i] = ratio(r->consent[i][k], r->live);
	memset(&ch, 0, sizeof(ch));
	memset(s, 0, sizeof(s));
	s[0].name = "opted in";
	s[0].v = v[0];
	s[0].colour = "#009E73";
	s[1].name = "refused or withdrawn";
	s[1].v = v[1];
	s[1].colour = "#D55E00";
	s[2].name = "not known";
	s[2].v = v[2];
	s[2].colour = "#BBBBBB";
	ch.title = "Marketing consent per channel";
	ch.cat_label = "channel";
	ch.value_label = "share of contacts";
	ch.kind = CRM_CHART_STACKED;
	ch.ncat = 4;
	ch.cats = consent_names;
	ch.nser = 3;
	ch.ser = s;
	ch.percent = 1;
	hp(h, "<figure>\n");
	chart(h, &ch);
	{
		static const char *const nm[] = { "channel", "#opted in",
		    "#refused", "#not known", "#reachable", "#share reachable" };

		thead(h, "t-consent", nm, 6);
	}
	for (i = 0; i < 4; i++) {
		cells[0] = fint(a, r->consent[i][0]);
		cells[1] = fint(b, r->consent[i][1]);
		cells[2] = fint(c, r->consent[i][2]);
		cells[3] = fint(d, r->consent[i][3]);
		cells[4] = fpct(e, ratio(r->consent[i][3], r->live));
		trow(h, consent_names[i], cells, 5);
	}
	tend(h);
	caption(h, "Reachable: opted in, not marked do-not-contact, and with"
	    " the address the channel needs (an email; a phone; a phone in"
	    " E.164 form for SMS; street, city and postcode for mail).");
	hp(h, "</figure>\n");
	for (k = 0; k < 3; k++)
		free(v[k]);

	/* Data quality. */
	hp(h, "<figure>\n");
	{
		static const char *const nm[] = { "", "#contacts", "#share" };

		thead(h, "t-quality", nm, 3);
	}
	cells[0] = fint(a, r->no_email);
	cells[1] = fpct(b, ratio(r->no_email, r->live));
	trow(h, "without an email", cells, 2);
	cells[0] = fint(a, r->no_phone);
	cells[1] = fpct(b, ratio(r->no_phone, r->live));
	trow(h, "without a phone", cells, 2);
	cells[0] = fint(a, r->no_both);
	cells[1] = fpct(b, ratio(r->no_both, r->live));
	trow(h, "without either", cells, 2);
	cells[0] = fint(a, r->dnc);
	cells[1] = fpct(b, ratio(r->dnc, r->live));
	trow(h, "marked do-not-contact", cells, 2);
	cells[1] = "";
	cells[0] = fint(a, r->merges_period);
	trow(h, "duplicates merged in the period", cells, 2);
	cells[0] = fint(a, r->merges_total);
	trow(h, "duplicates merged in all (not undone)", cells, 2);
	cells[0] = fint(a, r->merges_undone);
	trow(h, "merges undone", cells, 2);
	tend(h);
	caption(h, "Data quality of the contacts; merges are those crm-dedupe"
	    " recorded in the merges table.");
	hp(h, "</figure>\n");

	/* Imports in the period, from the audit table. */
	hp(h, "<figure>\n");
	if (r->audit.nrow == 0)
		nodata(h, "No program wrote to the database in the period.");
	else {
		static const char *const nm[] = { "program", "#runs",
		    "#rows read", "#rows rejected" };

		thead(h, "t-runs", nm, 4);
		for (i = 0; i < r->audit.nrow; i++) {
			char **row = &r->audit.cells[i * r->audit.ncol];

			cells[0] = fint(a, strtoll(row[1] ? row[1] : "0", NULL,
			    10));
			cells[1] = fint(b, strtoll(row[2] ? row[2] : "0", NULL,
			    10));
			cells[2] = fint(c, strtoll(row[3] ? row[3] : "0", NULL,
			    10));
			trow(h, row[0] ? row[0] : "", cells, 3);
		}
		tend(h);
	}
	caption(h, "Runs that wrote to the database in the period, from the"
	    " audit table: rows read and rows rejected as bad data.");
	hp(h, "</figure>\n");

	/* The last twelve months. */
	hp(h, "<figure>\n");
	{
		static const char *const nm[] = { "month", "#new contacts" };

		thead(h, "t-months", nm, 2);
	}
	for (n = 0; n < 12; n++) {
		cells[0] = fint(a, r->month_n[n]);
		trow(h, r->month[n], cells, 1);
	}
	tend(h);
	caption(h, "New contacts per calendar month (UTC), the last twelve.");
	hp(h, "</figure>\n</div>\n</section>\n");
}

static void
html_interactions(struct html *h)
{
	const struct crm_report *r = h->r;
	char a[48], text[320], title[96], hdr[MAXCURR][64];
	char chn[MAXSERIES + 1][64];
	const char *cells[MAXSERIES + 3], *nm[MAXSERIES + 3];
	struct crm_chart_series s[MAXSERIES + 1];
	struct crm_chart ch;
	size_t i, k, nc = r->ncurr > MAXCURR ? MAXCURR : r->ncurr;

	hp(h, "<section id=\"interactions\"><h2>Interactions</h2>\n");
	if (r->inter_total == 0) {
		snprintf(text, sizeof(text), "No interactions from %s to %s.",
		    r->start_day, r->asof_day);
		nodata(h, text);
		hp(h, "</section>\n");
		return;
	}
	hp(h, "<div class=\"grid\">\n");

	/* Volume per channel, stacked. */
	memset(&ch, 0, sizeof(ch));
	memset(s, 0, sizeof(s));
	for (k = 0; k < r->nchan; k++) {
		s[k].name = r->chan[k];
		s[k].v = r->chan_n[k];
		if (strcmp(r->chan[k], "other channels") == 0)
			s[k].colour = "#999999";
	}
	snprintf(title, sizeof(title), "Interactions per %s by channel",
	    unit_name(r));
	ch.title = title;
	ch.cat_label = r->monthly ? "month (UTC)" : "week starting (UTC)";
	snprintf(text, sizeof(text), "interactions per %s", unit_name(r));
	ch.value_label = text;
	ch.kind = CRM_CHART_STACKED;
	ch.ncat = r->nb;
	ch.cats = r->blabel;
	ch.nser = r->nchan;
	ch.ser = s;
	ch.width = 600;
	ch.height = 340;
	hp(h, "<figure>\n");
	chart(h, &ch);
	nm[0] = r->monthly ? "month" : "week starting";
	for (k = 0; k < r->nchan; k++) {
		snprintf(chn[k], sizeof(chn[k]), "#%s", r->chan[k]);
		nm[k + 1] = chn[k];
	}
	nm[r->nchan + 1] = "#all";
	thead(h, "t-volume", nm, r->nchan + 2);
	for (i = 0; i < r->nb; i++) {
		char buf[MAXSERIES + 2][48];
		double sum = 0;

		for (k = 0; k < r->nchan; k++) {
			cells[k] = fint(buf[k], (int64_t)r->chan_n[k][i]);
			sum += r->chan_n[k][i];
		}
		cells[r->nchan] = fint(buf[r->nchan], (int64_t)sum);
		trow(h, r->blabel[i], cells, r->nchan + 1);
	}
	tend(h);
	snprintf(text, sizeof(text), "%s interactions from %s to %s on every"
	    " channel and of every kind (calls, emails, visits, purchases,"
	    " tickets, ...).", fint(a, r->inter_total), r->start_day,
	    r->asof_day);
	caption(h, text);
	hp(h, "</figure>\n");

	/* Purchases and revenue. */
	memset(&ch, 0, sizeof(ch));
	memset(s, 0, sizeof(s));
	s[0].name = "purchases";
	s[0].v = r->purchases;
	snprintf(title, sizeof(title), "Purchases per %s", unit_name(r));
	ch.title = title;
	ch.cat_label = r->monthly ? "month (UTC)" : "week starting (UTC)";
	snprintf(text, sizeof(text), "purchases per %s", unit_name(r));
	ch.value_label = text;
	ch.kind = CRM_CHART_BARS;
	ch.ncat = r->nb;
	ch.cats = r->blabel;
	ch.nser = 1;
	ch.ser = s;
	hp(h, "<figure>\n");
	if (r->purchases_total == 0)
		nodata(h, "No purchases in the period.");
	else {
		chart(h, &ch);
		if (nc > 0) {
			for (k = 0; k < nc; k++) {
				s[k].name = r->curr[k];
				s[k].v = r->revenue[k];
			}
			snprintf(title, sizeof(title), "Revenue per %s%s",
			    unit_name(r), nc > 1 ? ", by currency" : "");
			ch.kind = CRM_CHART_LINES;
			ch.nser = nc;
			snprintf(text, sizeof(text), "revenue per %s%s%s",
			    unit_name(r), nc == 1 ? " in " : " (each currency)",
			    nc == 1 ? r->curr[0] : "");
			chart(h, &ch);
		}
		nm[0] = r->monthly ? "month" : "week starting";
		nm[1] = "#purchases";
		for (k = 0; k < nc; k++) {
			snprintf(hdr[k], sizeof(hdr[k]), "#revenue %s",
			    r->curr[k]);
			nm[k + 2] = hdr[k];
		}
		thead(h, "t-purchases", nm, nc + 2);
		for (i = 0; i < r->nb; i++) {
			char buf[MAXCURR + 1][48];

			cells[0] = fint(buf[0], (int64_t)r->purchases[i]);
			for (k = 0; k < nc; k++)
				cells[k + 1] = fmoney(buf[k + 1],
				    r->revenue[k][i]);
			trow(h, r->blabel[i], cells, nc + 1);
		}
		tend(h);
	}
	snprintf(text, sizeof(text), "%s purchases in the period. Revenue is"
	    " the sum of their amounts, per currency%s.",
	    fint(a, r->purchases_total), r->ncurr > MAXCURR ?
	    " (the four largest shown)" : "");
	caption(h, text);
	hp(h, "</figure>\n");

	/* Tickets. */
	hp(h, "<figure>\n");
	if (r->tickets.nrow == 0)
		nodata(h, "No tickets were opened in the period.");
	else {
		double *open = calloc(r->tickets.nrow, sizeof(double));
		double *closed = calloc(r->tickets.nrow, sizeof(double));
		const char **cats = calloc(r->tickets.nrow, sizeof(char *));

		if (open == NULL || closed == NULL || cats == NULL) {
			crm_error_set(h->err, CRM_EFAIL, "out of memory");
			h->failed = 1;
		} else {
			for (i = 0; i < r->tickets.nrow; i++) {
				cats[i] = tget(&r->tickets, i, "channel");
				open[i] = tnum(&r->tickets, i, "open");
				closed[i] = tnum(&r->tickets, i, "closed");
			}
			memset(&ch, 0, sizeof(ch));
			memset(s, 0, sizeof(s));
			s[0].name = "still open";
			s[0].v = open;
			s[0].colour = "#D55E00";
			s[1].name = "closed";
			s[1].v = closed;
			s[1].colour = "#0072B2";
			ch.title = "Tickets opened in the period, by channel";
			ch.cat_label = "channel";
			ch.value_label = "tickets";
			ch.kind = CRM_CHART_STACKED;
			ch.ncat = r->tickets.nrow;
			ch.cats = cats;
			ch.nser = 2;
			ch.ser = s;
			chart(h, &ch);
		}
		free(open);
		free(closed);
		free(cats);
		{
			static const char *const th[] = { "channel",
			    "#tickets", "#still open", "#closed", "#resolved",
			    "#mean hours", "#median hours" };
			static const char *const col[] = { "tickets", "open",
			    "closed", "resolved", "mean_hours",
			    "median_hours" };

			thead(h, "t-tickets", th, 7);
			for (i = 0; i < r->tickets.nrow; i++) {
				char buf[6][48];

				for (k = 0; k < 6; k++)
					cells[k] = k < 4 ? fint(buf[k],
					    tint(&r->tickets, i,
					    col[k])) : fnum(buf[k],
					    tnum(&r->tickets, i, col[k]), 2);
				trow(h, tget(&r->tickets, i, "channel"), cells,
				    6);
			}
			tend(h);
		}
	}
	{
		char o[11] = "";

		if (r->backlog_oldest)
			crm_format_date(r->backlog_oldest, o);
		snprintf(text, sizeof(text), "Tickets opened from %s to %s"
		    " (crm-log stats --tickets); resolution time from opening"
		    " to closing. At the end of the period %s tickets were"
		    " open in all%s%s.", r->start_day, r->asof_day,
		    fint(a, r->backlog_total), *o ? ", the oldest opened " :
		    "", o);
		caption(h, text);
	}
	if (r->nbacklog > 0) {
		static const char *const th[] = { "channel", "#open tickets" };

		thead(h, "t-backlog", th, 2);
		for (i = 0; i < r->nbacklog; i++) {
			cells[0] = fint(a, r->backlog[i].n);
			trow(h, r->backlog[i].name, cells, 1);
		}
		tend(h);
	}
	hp(h, "</figure>\n</div>\n");

	/* The channel statistics as crm-log prints them. */
	if (r->stats.nrow > 0) {
		static const char *const th[] = { "channel", "kind",
		    "#interactions", "#inbound", "#outbound", "#contacts",
		    "#amount", "currency" };

		snprintf(text, sizeof(text), "Interactions by channel and kind,"
		    " %s to %s", r->start_day, r->asof_day);
		hp(h, "<h3>");
		esc(h, text);
		hp(h, "</h3>\n");
		thead(h, "t-stats", th, 8);
		for (i = 0; i < r->stats.nrow; i++) {
			char buf[5][48];

			hp(h, "<tr><th scope=\"row\">");
			esc(h, tget(&r->stats, i, "channel"));
			hp(h, "</th><td>");
			esc(h, tget(&r->stats, i, "kind"));
			hp(h, "</td><td class=\"n\">%s</td><td class=\"n\">%s"
			    "</td><td class=\"n\">%s</td><td class=\"n\">%s"
			    "</td><td class=\"n\">%s</td><td>",
			    fint(buf[0], tint(&r->stats, i,
			    "interactions")), fint(buf[1], tint(
			    &r->stats, i, "inbound")), fint(buf[2], tint(
			    &r->stats, i, "outbound")), fint(buf[3],
			    tint(&r->stats, i, "contacts")),
			    fmoney(buf[4], tnum(&r->stats, i, "amount")));
			esc(h, tget(&r->stats, i, "currency"));
			hp(h, "</td></tr>\n");
		}
		tend(h);
		crm_format_date(r->end, title);
		snprintf(text, sizeof(text), "The same numbers as crm-log"
		    " stats --as-of %s -w %lld.", title, (long long)r->days);
		hp(h, "<p class=\"note\">");
		esc(h, text);
		hp(h, "</p>\n");
	}
	hp(h, "</section>\n");
}

/* The name of segment index i in a flow: new and gone contacts. */
static const char *
flow_name(const struct crm_report *r, int i)
{
	return i == -1 ? "(not in the last report)" : i == -2 ?
	    "(merged or erased since)" : r->segnames[i];
}

static void
html_movement(struct html *h)
{
	const struct crm_report *r = h->r;
	char a[48], b[48], c[48], text[320];
	const char *cells[4];
	struct crm_chart_series s;
	struct crm_chart ch;
	double *delta;
	size_t i, k;

	hp(h, "<h3>Movement between segments</h3>\n");
	switch (r->state_status) {
	case 0:
		nodata(h, "Movement needs a state file (crm-report --state"
		    " FILE) to remember the segments of the last report.");
		return;
	case 2:
		nodata(h, "No earlier report to compare with: this is the"
		    " first one with this state file.");
		return;
	case 3:
		snprintf(text, sizeof(text), "The state file is for a later"
		    " day (%s) than this report: nothing to compare with.",
		    r->file_day);
		nodata(h, text);
		return;
	case 4:
		snprintf(text, sizeof(text), "The state file has only this"
		    " day (%s): no earlier report to compare with.",
		    r->file_day);
		nodata(h, text);
		return;
	}
	snprintf(text, sizeof(text), "Since the report for %s: %s contacts"
	    " changed segment, %s stayed, %s are new and %s were merged or"
	    " erased.", r->base_day, fint(a, r->moved), fint(b, r->stayed),
	    fint(c, r->joined), fint(a, r->left));
	hp(h, "<p>");
	esc(h, text);
	hp(h, "</p>\n<div class=\"grid\">\n<figure>\n");
	if ((delta = calloc(r->nsegnames + 1, sizeof(double))) == NULL) {
		crm_error_set(h->err, CRM_EFAIL, "out of memory");
		h->failed = 1;
		return;
	}
	{
		const char **cats = calloc(r->nsegnames + 1, sizeof(char *));
		int64_t *now = calloc(r->nsegnames + 1, sizeof(int64_t));

		if (cats == NULL || now == NULL) {
			free(cats);
			free(now);
			free(delta);
			crm_error_set(h->err, CRM_EFAIL, "out of memory");
			h->failed = 1;
			return;
		}
		for (i = 0; i < r->nwho; i++)
			now[r->who[i].seg]++;
		for (k = 0; k < r->nsegnames; k++) {
			cats[k] = r->segnames[k];
			delta[k] = (double)(now[k] - r->seg_before[k]);
		}
		memset(&ch, 0, sizeof(ch));
		memset(&s, 0, sizeof(s));
		s.name = "change";
		s.v = delta;
		snprintf(text, sizeof(text), "Change in segment sizes since %s",
		    r->base_day);
		ch.title = text;
		ch.cat_label = "RFM segment";
		ch.value_label = "contacts gained (lost if negative)";
		ch.kind = CRM_CHART_HBARS;
		ch.ncat = r->nsegnames;
		ch.cats = cats;
		ch.nser = 1;
		ch.ser = &s;
		chart(h, &ch);
		{
			static const char *const th[] = { "segment", "#before",
			    "#now", "#change" };

			thead(h, "t-movement", th, 4);
		}
		for (k = 0; k < r->nsegnames; k++) {
			char d[48];

			cells[0] = fint(a, r->seg_before[k]);
			cells[1] = fint(b, now[k]);
			snprintf(c, sizeof(c), "%s%s", now[k] >
			    r->seg_before[k] ? "+" : "", fint(d, now[k] -
			    r->seg_before[k]));
			cells[2] = c;
			trow(h, r->segnames[k], cells, 3);
		}
		tend(h);
		free(cats);
		free(now);
	}
	free(delta);
	caption(h, "Segment sizes in the last report and now, over the"
	    " contacts of either.");
	hp(h, "</figure>\n<figure>\n");
	if (r->nflows == 0)
		nodata(h, "No contact changed segment.");
	else {
		static const char *const th[] = { "from", "to", "#contacts" };

		thead(h, "t-flows", th, 3);
		for (i = 0; i < r->nflows && i < 20; i++) {
			hp(h, "<tr><td>");
			esc(h, flow_name(r, r->flows[i].from));
			hp(h, "</td><td>");
			esc(h, flow_name(r, r->flows[i].to));
			hp(h, "</td><td class=\"n\">%s</td></tr>\n",
			    fint(a, r->flows[i].n));
		}
		tend(h);
	}
	caption(h, "The largest flows of contacts between segments (at most"
	    " twenty).");
	hp(h, "</figure>\n</div>\n");
}

static void
html_segments(struct html *h)
{
	const struct crm_report *r = h->r;
	char a[48], b[48], text[320];
	const char *cells[8];
	struct crm_chart_series s[2];
	struct crm_chart ch;
	double *v[2];
	const char **cats;
	size_t i;

	hp(h, "<section id=\"segments\"><h2>Segments</h2>\n");
	if (r->buyers == 0) {
		snprintf(text, sizeof(text), "No purchases up to %s: no RFM"
		    " segments.", r->asof_day);
		nodata(h, text);
		html_movement(h);
		hp(h, "</section>\n");
		return;
	}
	snprintf(text, sizeof(text), "RFM segments as of %s (crm-segment rfm"
	    " --as-of %s): %s of %s contacts have bought.", r->asof_day,
	    r->asof_day, fint(a, r->buyers), fint(b, (int64_t)r->nwho));
	hp(h, "<p>");
	esc(h, text);
	hp(h, "</p>\n<div class=\"grid\">\n<figure>\n");
	v[0] = calloc(r->nsegs, sizeof(double));
	v[1] = calloc(r->nsegs, sizeof(double));
	cats = calloc(r->nsegs, sizeof(char *));
	if (v[0] == NULL || v[1] == NULL || cats == NULL) {
		free(v[0]);
		free(v[1]);
		free(cats);
		crm_error_set(h->err, CRM_EFAIL, "out of memory");
		h->failed = 1;
		return;
	}
	for (i = 0; i < r->nsegs; i++) {
		cats[i] = r->segs[i].name;
		v[0][i] = ratio(r->segs[i].contacts, (int64_t)r->nwho);
		v[1][i] = r->segs[i].share;
	}
	memset(&ch, 0, sizeof(ch));
	memset(s, 0, sizeof(s));
	s[0].name = "share of contacts";
	s[0].v = v[0];
	s[0].colour = "#56B4E9";
	s[1].name = "share of revenue";
	s[1].v = v[1];
	s[1].colour = "#0072B2";
	ch.title = "RFM segments: share of contacts and of revenue";
	ch.cat_label = "RFM segment";
	ch.value_label = "share of all contacts or of all revenue";
	ch.kind = CRM_CHART_HBARS;
	ch.ncat = r->nsegs;
	ch.cats = cats;
	ch.nser = 2;
	ch.ser = s;
	ch.percent = 1;
	chart(h, &ch);
	caption(h, "Each segment's share of all contacts and of all revenue:"
	    " the numbers are in the table under the charts.");
	hp(h, "</figure>\n<figure>\n");
	free(cats);
	free(v[0]);
	free(v[1]);

	/* Deciles. */
	{
		double share[10];
		static const char *const dn[10] = { "1", "2", "3", "4", "5",
		    "6", "7", "8", "9", "10" };

		for (i = 0; i < 10; i++)
			share[i] = r->dec[i].share;
		memset(&ch, 0, sizeof(ch));
		memset(s, 0, sizeof(s));
		s[0].name = "share of revenue";
		s[0].v = share;
		ch.title = "Revenue by decile of contacts (the 80/20 view)";
		ch.cat_label = "decile of contacts by revenue (1 = top 10%)";
		ch.value_label = "share of all revenue";
		ch.kind = CRM_CHART_BARS;
		ch.ncat = 10;
		ch.cats = dn;
		ch.nser = 1;
		ch.ser = s;
		ch.percent = 1;
		chart(h, &ch);
		{
			static const char *const th[] = { "decile",
			    "#contacts", "#revenue", "#share",
			    "#cumulative share" };

			thead(h, "t-deciles", th, 5);
		}
		for (i = 0; i < 10; i++) {
			char buf[4][48];

			cells[0] = fint(buf[0], r->dec[i].contacts);
			cells[1] = fmoney(buf[1], r->dec[i].revenue);
			snprintf(buf[2], 48, "%.4f", r->dec[i].share);
			snprintf(buf[3], 48, "%.4f", r->dec[i].cum);
			cells[2] = buf[2];
			cells[3] = buf[3];
			trow(h, dn[i], cells, 4);
		}
		tend(h);
		snprintf(text, sizeof(text), "All contacts ranked by revenue"
		    " to %s and cut into ten groups of equal size (crm-segment"
		    " profit --by decile): the top 20%% bring %.1f%% of the"
		    " revenue.", r->asof_day, r->dec[1].cum * 100);
		caption(h, text);
	}
	hp(h, "</figure>\n</div>\n");
	{
		static const char *const th[] = { "segment", "#contacts",
		    "#share of contacts", "#buyers", "#orders", "#revenue",
		    "#share", "#cumulative share" };

		thead(h, "t-segments", th, 8);
	}
	for (i = 0; i < r->nsegs; i++) {
		char buf[7][48];
		const struct seg *g = &r->segs[i];

		cells[0] = fint(buf[0], g->contacts);
		cells[1] = fpct(buf[1], ratio(g->contacts, (int64_t)r->nwho));
		cells[2] = fint(buf[2], g->buyers);
		cells[3] = fint(buf[3], g->orders);
		cells[4] = fmoney(buf[4], g->revenue);
		snprintf(buf[5], 48, "%.4f", g->share);
		snprintf(buf[6], 48, "%.4f", g->cum);
		cells[5] = buf[5];
		cells[6] = buf[6];
		trow(h, g->name, cells, 7);
	}
	tend(h);
	hp(h, "<p class=\"note\">Contacts, buyers, orders and revenue per"
	    " RFM segment, largest revenue first: the same as crm-segment"
	    " profit --by rfm.</p>\n");
	html_movement(h);
	hp(h, "</section>\n");
}

static void
html_churn(struct html *h)
{
	const struct crm_report *r = h->r;
	static const char *const dn[10] = { "1", "2", "3", "4", "5", "6", "7",
	    "8", "9", "10" };
	static const char *const pn[10] = { "0-0.1", "0.1-0.2", "0.2-0.3",
	    "0.3-0.4", "0.4-0.5", "0.5-0.6", "0.6-0.7", "0.7-0.8", "0.8-0.9",
	    "0.9-1" };
	char a[48], b[48], text[400], t[21];
	const char *cells[9];
	struct crm_chart_series s;
	struct crm_chart ch;
	double v[10], w[10];
	size_t i;

	hp(h, "<section id=\"churn\"><h2>Churn and value</h2>\n");
	if (r->scored == 0) {
		nodata(h, "No scores: crm-churn fit and crm-churn score store"
		    " them.");
		hp(h, "</section>\n");
		return;
	}
	crm_format_time(r->scored_at, t);
	snprintf(text, sizeof(text), "%s customers scored at %s by crm-churn"
	    " score, over a horizon of %lld days; model: %s.",
	    fint(a, r->scored), t, (long long)r->horizon, r->model ?
	    r->model : "not found");
	hp(h, "<p>");
	esc(h, text);
	hp(h, "</p>\n<div class=\"grid\">\n<figure>\n");
	for (i = 0; i < 10; i++)
		v[i] = (double)r->palive_hist[i];
	memset(&ch, 0, sizeof(ch));
	memset(&s, 0, sizeof(s));
	s.name = "customers";
	s.v = v;
	ch.title = "Probability that a customer is still active";
	ch.cat_label = "P(alive)";
	ch.value_label = "customers";
	ch.kind = CRM_CHART_BARS;
	ch.ncat = 10;
	ch.cats = pn;
	ch.nser = 1;
	ch.ser = &s;
	chart(h, &ch);
	{
		static const char *const th[] = { "P(alive)", "#customers",
		    "#share" };

		thead(h, "t-palive", th, 3);
	}
	for (i = 0; i < 10; i++) {
		cells[0] = fint(a, r->palive_hist[i]);
		cells[1] = fpct(b, ratio(r->palive_hist[i], r->scored));
		trow(h, pn[i], cells, 2);
	}
	tend(h);
	snprintf(text, sizeof(text), "Customers by P(alive), in bands of 0.1"
	    " (the last includes 1). %s have P(alive) below %.2f: at risk.",
	    fint(a, r->at_risk_n), r->at_risk);
	caption(h, text);
	hp(h, "</figure>\n<figure>\n");

	if (r->vdec[0].n == 0)
		nodata(h, "No lifetime values: the spend model could not be"
		    " fitted.");
	else {
		for (i = 0; i < 10; i++) {
			v[i] = r->vdec[i].n ? r->vdec[i].clv /
			    (double)r->vdec[i].n : NAN;
			w[i] = r->vdec[i].n ? r->vdec[i].ep /
			    (double)r->vdec[i].n : NAN;
		}
		s.name = "mean CLV";
		s.v = v;
		ch.title = "Customer lifetime value by decile";
		ch.cat_label = "decile of customers by CLV (1 = top 10%)";
		ch.value_label = "mean CLV per customer (money)";
		ch.cats = dn;
		chart(h, &ch);
		s.name = "mean expected purchases";
		s.v = w;
		snprintf(text, sizeof(text), "expected purchase days in %lld"
		    " days", (long long)r->horizon);
		ch.title = "Expected purchases by CLV decile";
		ch.value_label = text;
		chart(h, &ch);
		{
			static const char *const th[] = { "decile",
			    "#customers", "#P(alive)", "#purchases", "#CLV",
			    "#total CLV" };

			thead(h, "t-value", th, 6);
		}
		for (i = 0; i < 10; i++) {
			char buf[5][48];
			double n = (double)r->vdec[i].n;

			cells[0] = fint(buf[0], r->vdec[i].n);
			cells[1] = fnum(buf[1], n ? r->vdec[i].palive / n : NAN,
			    3);
			cells[2] = fnum(buf[2], n ? r->vdec[i].ep / n : NAN, 2);
			cells[3] = fmoney(buf[3], n ? r->vdec[i].clv / n : NAN);
			cells[4] = fmoney(buf[4], r->vdec[i].clv);
			trow(h, dn[i], cells, 5);
		}
		tend(h);
		snprintf(text, sizeof(text), "Scored customers ranked by CLV"
		    " and cut into ten groups of equal size%s; P(alive),"
		    " expected purchases and CLV are means per customer.",
		    r->no_clv ? ", those without a CLV left out" : "");
		caption(h, text);
	}
	hp(h, "</figure>\n</div>\n");

	snprintf(text, sizeof(text), "Valuable customers at risk (the top %lld"
	    " by revenue)", (long long)r->o.top);
	hp(h, "<h3>");
	esc(h, text);
	hp(h, "</h3>\n");
	if (r->nrisky == 0)
		nodata(h, "No customer with purchases is at risk.");
	else {
		static const char *const th[] = { "#", "customer",
		    "external id", "owner", "segment", "#revenue",
		    "#purchases", "#days since last", "#P(alive)", "#CLV" };

		thead(h, "t-risk", th, 10);
		for (i = 0; i < r->nrisky; i++) {
			const struct risky *x = &r->risky[i];
			char buf[5][48];

			hp(h, "<tr><td class=\"n\">%zu</td><td>", i + 1);
			esc(h, x->name);
			hp(h, "</td><td>");
			esc(h, x->ext);
			hp(h, "</td><td>");
			esc(h, x->owner);
			hp(h, "</td><td>");
			esc(h, x->segment);
			hp(h, "</td><td class=\"n\">%s</td><td class=\"n\">%s"
			    "</td><td class=\"n\">%s</td><td class=\"n\">%s"
			    "</td><td class=\"n\">%s</td></tr>\n",
			    fmoney(buf[0], x->revenue), fint(buf[1],
			    x->orders), fint(buf[2], x->recency), fnum(buf[3],
			    x->p_alive, 3), fmoney(buf[4], x->clv));
		}
		tend(h);
	}
	snprintf(text, sizeof(text), "Customers with P(alive) below %.2f,"
	    " ranked by their revenue up to %s (crm-segment rfm), with their"
	    " owner to call them. Names only: no email or phone in a"
	    " report that travels.", r->at_risk, r->asof_day);
	hp(h, "<p class=\"note\">");
	esc(h, text);
	hp(h, "</p>\n</section>\n");
}

static void
html_campaigns(struct html *h)
{
	const struct crm_report *r = h->r;
	char a[48], text[400];
	const char *cats[MAXCAMPAIGNS];
	struct crm_chart_series s[CRM_CAMPAIGN_NREASONS];
	struct crm_chart ch;
	double rate[2][MAXCAMPAIGNS], up[MAXCAMPAIGNS], lo[MAXCAMPAIGNS];
	double hi[MAXCAMPAIGNS], sup[CRM_CAMPAIGN_NREASONS][MAXCAMPAIGNS];
	size_t i, k;
	int open = 0;

	hp(h, "<section id=\"campaigns\"><h2>Campaigns</h2>\n");
	if (r->ncamps == 0) {
		snprintf(text, sizeof(text), "No campaign was sent from %s to"
		    " %s (%s others in the database).", r->start_day,
		    r->asof_day, fint(a, r->camps_other));
		nodata(h, text);
		hp(h, "</section>\n");
		return;
	}
	for (i = 0; i < r->ncamps; i++) {
		const struct campaign *c = &r->camps[i];

		cats[i] = c->name;
		rate[0][i] = c->n[0] ? c->rate[0] : NAN;
		rate[1][i] = c->has_control ? c->rate[1] : NAN;
		up[i] = c->has_uplift ? c->uplift : NAN;
		lo[i] = c->has_uplift ? c->lo : NAN;
		hi[i] = c->has_uplift ? c->hi : NAN;
		for (k = 0; k < CRM_CAMPAIGN_NREASONS; k++)
			sup[k][i] = (double)c->suppressed[k];
		open |= c->window_end > r->o.now;
	}
	snprintf(text, sizeof(text), "%s sent from %s to %s (crm-campaign"
	    " report; responses: purchases within %lld days of the send).",
	    r->ncamps == 1 ? "The campaign" : "The campaigns",
	    r->start_day, r->asof_day, (long long)r->o.campaign_window);
	hp(h, "<p>");
	esc(h, text);
	hp(h, "</p>\n<div class=\"grid\">\n<figure>\n");
	memset(&ch, 0, sizeof(ch));
	memset(s, 0, sizeof(s));
	s[0].name = "treated (target group)";
	s[0].v = rate[0];
	s[0].colour = "#0072B2";
	s[1].name = "control (held out)";
	s[1].v = rate[1];
	s[1].colour = "#E69F00";
	ch.title = "Response rate, treated and control";
	ch.cat_label = "campaign";
	ch.value_label = "contacts who bought (share of group)";
	ch.kind = CRM_CHART_BARS;
	ch.ncat = r->ncamps;
	ch.cats = cats;
	ch.nser = 2;
	ch.ser = s;
	ch.percent = 1;
	chart(h, &ch);
	caption(h, "The share of each group that bought within the response"
	    " window.");
	hp(h, "</figure>\n<figure>\n");
	memset(s, 0, sizeof(s));
	s[0].name = "uplift";
	s[0].v = up;
	s[0].lo = lo;
	s[0].hi = hi;
	s[0].colour = "#009E73";
	ch.kind = CRM_CHART_POINTS;
	ch.title = "Uplift with its 95% interval";
	ch.value_label = "treated minus control response rate (points)";
	ch.nser = 1;
	chart(h, &ch);
	caption(h, "Dots: the difference in response rate; whiskers: its 95%"
	    " Wald interval. An interval that crosses zero is no evidence of"
	    " an effect. Campaigns without a control group have no dot.");
	hp(h, "</figure>\n</div>\n");
	{
		static const char *const th[] = { "campaign", "channel",
		    "sent", "#treated", "#responders", "#rate", "#control",
		    "#responders", "#rate", "#uplift", "#95% interval",
		    "#p-value", "#revenue (treated)" };

		thead(h, "t-campaigns", th, 13);
	}
	for (i = 0; i < r->ncamps; i++) {
		const struct campaign *c = &r->camps[i];
		char d[11], buf[10][48];

		crm_format_date(c->sent_at, d);
		hp(h, "<tr><th scope=\"row\">");
		esc(h, c->name);
		hp(h, "</th><td>");
		esc(h, c->channel);
		hp(h, "</td><td>%s</td>", d);
		hp(h, "<td class=\"n\">%s</td><td class=\"n\">%s</td>"
		    "<td class=\"n\">%s</td>", fint(buf[0], c->n[0]),
		    fint(buf[1], c->responders[0]), fpct(buf[2], c->n[0] ?
		    c->rate[0] : NAN));
		hp(h, "<td class=\"n\">%s</td><td class=\"n\">%s</td>"
		    "<td class=\"n\">%s</td>", fint(buf[3], c->n[1]),
		    fint(buf[4], c->responders[1]), fpct(buf[5],
		    c->has_control ? c->rate[1] : NAN));
		if (c->has_uplift) {
			snprintf(buf[7], 48, "%+.1f to %+.1f", c->lo * 100,
			    c->hi * 100);
			snprintf(buf[8], 48, "%.3f", c->p_value);
			snprintf(buf[6], 48, "%+.1f", c->uplift * 100);
		} else
			buf[6][0] = buf[7][0] = buf[8][0] = '\0';
		hp(h, "<td class=\"n\">%s</td><td class=\"n\">%s</td>"
		    "<td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
		    buf[6], buf[7], buf[8], fmoney(buf[9], c->revenue[0]));
	}
	tend(h);
	hp(h, "<p class=\"note\">Rates in percent, uplift and its interval in"
	    " percentage points; p-value of the two-proportion z-test.%s</p>\n",
	    open ? " Some response windows are still open: their rates will"
	    " still grow." : "");

	/* Suppression. */
	hp(h, "<figure class=\"wide\">\n");
	memset(s, 0, sizeof(s));
	for (k = 0; k < CRM_CAMPAIGN_NREASONS; k++) {
		s[k].name = crm_campaign_reasons[k];
		s[k].v = sup[k];
	}
	ch.title = "Contacts suppressed, by reason";
	ch.value_label = "contacts left out";
	ch.kind = CRM_CHART_STACKED;
	ch.height = 340;
	ch.nser = CRM_CAMPAIGN_NREASONS;
	ch.ser = s;
	ch.percent = 0;
	chart(h, &ch);
	{
		const char *th[CRM_CAMPAIGN_NREASONS + 1];
		char names[CRM_CAMPAIGN_NREASONS][40];

		th[0] = "campaign";
		for (k = 0; k < CRM_CAMPAIGN_NREASONS; k++) {
			snprintf(names[k], sizeof(names[k]), "#%s",
			    crm_campaign_reasons[k]);
			th[k + 1] = names[k];
		}
		thead(h, "t-suppressed", th, CRM_CAMPAIGN_NREASONS + 1);
	}
	for (i = 0; i < r->ncamps; i++) {
		const char *cells[CRM_CAMPAIGN_NREASONS];
		char buf[CRM_CAMPAIGN_NREASONS][48];

		for (k = 0; k < CRM_CAMPAIGN_NREASONS; k++)
			cells[k] = fint(buf[k], r->camps[i].suppressed[k]);
		trow(h, r->camps[i].name, cells, CRM_CAMPAIGN_NREASONS);
	}
	tend(h);
	caption(h, "Selected contacts left out of each campaign, by the first"
	    " reason that applied: consent, do-not-contact, addresses, other"
	    " campaigns, the frequency cap.");
	hp(h, "</figure>\n</section>\n");
}

int
crm_report_html(const struct crm_report *r, FILE *fp, struct crm_error *err)
{
	struct html h = { fp, r, err, 0 };
	char a[48], now[21], text[400];
	const char *top = r->ncurr > 0 ? r->curr[0] : NULL;

	crm_format_time(r->o.now, now);
	hp(&h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\"/>\n"
	    "<meta name=\"viewport\" content=\"width=device-width,"
	    " initial-scale=1\"/>\n"
	    "<meta name=\"generator\" content=\"crm-report %s\"/>\n"
	    "<title>CRM report %s</title>\n<style>\n%s</style>\n</head>\n"
	    "<body>\n<header>\n<h1>CRM report for %s</h1>\n",
	    CRM_VERSION, r->asof_day, css, r->asof_day);
	snprintf(text, sizeof(text), "Period %s to %s (%lld days, by %s%s)."
	    " Database ", r->start_day, r->asof_day, (long long)r->days,
	    r->monthly ? "calendar month" : "week",
	    r->monthly ? "" : ", weeks ending with the last day");
	hp(&h, "<p class=\"meta\">");
	esc(&h, text);
	esc(&h, r->o.db_name ? r->o.db_name : "(unnamed)");
	snprintf(text, sizeof(text), ", made %s by crm-report %s. All times"
	    " UTC.", now, CRM_VERSION);
	esc(&h, text);
	hp(&h, "</p>\n<nav><a href=\"#contacts\">Contacts</a>"
	    "<a href=\"#interactions\">Interactions</a>"
	    "<a href=\"#segments\">Segments</a>"
	    "<a href=\"#churn\">Churn and value</a>"
	    "<a href=\"#campaigns\">Campaigns</a></nav>\n"
	    "<div class=\"kpis\">\n");
	kpi(&h, fint(a, r->live), "contacts");
	snprintf(text, sizeof(text), "new contacts in %lld days",
	    (long long)r->days);
	kpi(&h, fint(a, r->new_total), text);
	kpi(&h, fint(a, r->inter_total), "interactions in the period");
	kpi(&h, fint(a, r->purchases_total), "purchases in the period");
	if (top != NULL) {
		snprintf(text, sizeof(text), "revenue in the period%s%s%s",
		    strcmp(top, "(no currency)") == 0 ? ", no currency" :
		    " in ", strcmp(top, "(no currency)") == 0 ? "" : top,
		    r->ncurr > 1 ? " (the largest currency)" : "");
		kpi(&h, fmoney(a, r->curr_total[0]), text);
	}
	kpi(&h, fint(a, r->backlog_total), "tickets open at the end");
	if (r->scored > 0)
		kpi(&h, fint(a, r->at_risk_n), "scored customers at risk");
	kpi(&h, fint(a, (int64_t)r->ncamps), "campaigns sent");
	hp(&h, "</div>\n</header>\n<main>\n");
	html_contacts(&h);
	if (!h.failed)
		html_interactions(&h);
	if (!h.failed)
		html_segments(&h);
	if (!h.failed)
		html_churn(&h);
	if (!h.failed)
		html_campaigns(&h);
	hp(&h, "</main>\n<footer>\n<p>Contacts counted are those neither"
	    " merged into another nor erased. Money is summed as stored: when"
	    " the data holds several currencies, sums across them (segments,"
	    " CLV) mix them. Colours: the Okabe-Ito palette. Every chart's"
	    " numbers are in the table beside it.</p>\n</footer>\n"
	    "</body>\n</html>\n");
	if (h.failed)
		return -1;
	if (ferror(fp))
		return crm_error_set(err, CRM_EFAIL, "write error: %s",
		    strerror(errno));
	return 0;
}

/* ------------------------------------------------------------------ */
/* Text */

/* s for a terminal or a mail: control characters as '?', cut to max
 * characters. */
static void
tput(FILE *fp, const char *s, int max)
{
	int n = 0;

	for (; s != NULL && *s && n < max; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c & 0xc0) != 0x80)
			n++;
		fputc(c < 0x20 || c == 0x7f ? '?' : c, fp);
	}
}

/* s cut or padded to exactly width characters. */
static void
tpad(FILE *fp, const char *s, int width)
{
	int n = 0;

	tput(fp, s, width);
	for (; s != NULL && *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	for (; n < width; n++)
		fputc(' ', fp);
}

int
crm_report_text(const struct crm_report *r, FILE *fp, struct crm_error *err)
{
	char a[48], b[48], c[48], d[48];
	size_t i, k;

	fprintf(fp, "CRM report for %s: %s to %s (%lld days)\n", r->asof_day,
	    r->start_day, r->asof_day, (long long)r->days);
	fprintf(fp, "Database ");
	tput(fp, r->o.db_name ? r->o.db_name : "(unnamed)", 60);
	fprintf(fp, "\n\nCONTACTS\n");
	if (r->live == 0)
		fprintf(fp, "  No contacts in the database.\n");
	else {
		fprintf(fp, "  %s contacts, %s new in the period (%s in the"
		    " last %s)\n", fint(a, r->live), fint(b, r->new_total),
		    fint(c, r->nb ? (int64_t)r->new_contacts[r->nb - 1] : 0),
		    unit_name(r));
		fprintf(fp, "  by stage:");
		for (i = 0; i < r->nstages; i++) {
			fprintf(fp, " ");
			tput(fp, r->stages[i].name, 20);
			fprintf(fp, " %s%s", fint(a, r->stages[i].n),
			    i + 1 < r->nstages ? "," : "\n");
		}
		fprintf(fp, "  without email %s, without phone %s,"
		    " do-not-contact %s\n", fpct(a, ratio(r->no_email,
		    r->live)), fpct(b, ratio(r->no_phone, r->live)),
		    fpct(c, ratio(r->dnc, r->live)));
		fprintf(fp, "  reachable:");
		for (k = 0; k < 4; k++)
			fprintf(fp, " %s %s%s", consent_names[k], fpct(a,
			    ratio(r->consent[k][3], r->live)), k < 3 ? "," :
			    "\n");
		fprintf(fp, "  duplicates merged: %s in the period, %s in"
		    " all\n", fint(a, r->merges_period),
		    fint(b, r->merges_total));
		for (i = 0; i < r->audit.nrow; i++) {
			char **row = &r->audit.cells[i * r->audit.ncol];

			fprintf(fp, "  ");
			tput(fp, row[0], 14);
			fprintf(fp, ": %s runs, %s rows read, %s rejected\n",
			    fint(a, strtoll(row[1] ? row[1] : "0", NULL, 10)),
			    fint(b, strtoll(row[2] ? row[2] : "0", NULL, 10)),
			    fint(c, strtoll(row[3] ? row[3] : "0", NULL, 10)));
		}
	}

	fprintf(fp, "\nINTERACTIONS\n");
	if (r->inter_total == 0)
		fprintf(fp, "  No interactions in the period.\n");
	else {
		double last = 0;

		for (k = 0; k < r->nchan; k++)
			last += r->chan_n[k][r->nb - 1];
		fprintf(fp, "  %s in the period (%s in the last %s)\n",
		    fint(a, r->inter_total), fint(b, (int64_t)last),
		    unit_name(r));
		fprintf(fp, "  by channel:");
		for (k = 0; k < r->nchan; k++) {
			if (k > 0 && k % 4 == 0)
				fprintf(fp, "\n   ");
			fprintf(fp, " ");
			tput(fp, r->chan[k], 16);
			fprintf(fp, " %s%s", fpct(a, ratio(r->chan_total[k],
			    r->inter_total)), k + 1 < r->nchan ? "," : "\n");
		}
		fprintf(fp, "  purchases: %s\n", fint(a, r->purchases_total));
		for (k = 0; k < r->ncurr && k < MAXCURR; k++) {
			fprintf(fp, "  revenue: %s ", fmoney(a,
			    r->curr_total[k]));
			tput(fp, r->curr[k], 16);
			fprintf(fp, "\n");
		}
	}
	{
		int64_t opened = 0, still = 0;
		double median = NAN;

		for (i = 0; i < r->tickets.nrow; i++) {
			opened += tint(&r->tickets, i, "tickets");
			still += tint(&r->tickets, i, "open");
		}
		fprintf(fp, "  tickets: %s opened in the period, %s of them"
		    " still open\n  open tickets at the end: %s\n",
		    fint(a, opened), fint(b, still),
		    fint(c, r->backlog_total));
		for (i = 0; i < r->tickets.nrow; i++) {
			median = tnum(&r->tickets, i, "median_hours");
			if (isnan(median))
				continue;
			fprintf(fp, "    ");
			tput(fp, tget(&r->tickets, i, "channel"), 16);
			fprintf(fp, ": median resolution %s hours\n",
			    fnum(a, median, 1));
		}
	}

	fprintf(fp, "\nSEGMENTS (RFM as of %s)\n", r->asof_day);
	if (r->buyers == 0)
		fprintf(fp, "  No purchases: no segments.\n");
	else {
		fprintf(fp, "  %-22s %12s %8s %16s %7s\n", "segment",
		    "contacts", "share", "revenue", "share");
		for (i = 0; i < r->nsegs; i++) {
			const struct seg *g = &r->segs[i];
			int w = 0;

			fprintf(fp, "  ");
			tput(fp, g->name, 22);
			for (w = (int)strlen(g->name); w < 22; w++)
				fputc(' ', fp);
			fprintf(fp, " %12s %8s %16s %7s\n", fint(a,
			    g->contacts), fpct(b, ratio(g->contacts,
			    (int64_t)r->nwho)), fmoney(c, g->revenue),
			    fpct(d, g->share));
		}
		fprintf(fp, "  the top 10%% of contacts bring %.1f%% of revenue,"
		    " the top 20%% %.1f%%\n", r->dec[0].cum * 100,
		    r->dec[1].cum * 100);
	}
	if (r->state_status == 1) {
		fprintf(fp, "  since %s: %s changed segment, %s new, %s"
		    " gone\n", r->base_day, fint(a, r->moved),
		    fint(b, r->joined), fint(c, r->left));
		for (i = 0, k = 0; i < r->nflows && k < 5; i++) {
			if (r->flows[i].from < 0 || r->flows[i].to < 0)
				continue;
			fprintf(fp, "    ");
			tput(fp, flow_name(r, r->flows[i].from), 22);
			fprintf(fp, " -> ");
			tput(fp, flow_name(r, r->flows[i].to), 22);
			fprintf(fp, ": %s\n", fint(a, r->flows[i].n));
			k++;
		}
	}

	fprintf(fp, "\nCHURN AND VALUE\n");
	if (r->scored == 0)
		fprintf(fp, "  No scores (crm-churn score stores them).\n");
	else {
		double clv = 0;

		for (i = 0; i < 10; i++)
			clv += r->vdec[i].clv;
		fprintf(fp, "  %s customers scored, %s at risk (P(alive) <"
		    " %.2f)\n  total CLV %s over %lld days\n",
		    fint(a, r->scored), fint(b, r->at_risk_n), r->at_risk,
		    fmoney(c, clv), (long long)r->horizon);
		if (r->nrisky > 0)
			fprintf(fp, "  the most valuable at risk (revenue,"
			    " P(alive)):\n");
		for (i = 0; i < r->nrisky && i < 5; i++) {
			fprintf(fp, "    ");
			tpad(fp, r->risky[i].ext, 16);
			fprintf(fp, " ");
			tpad(fp, r->risky[i].name, 30);
			fprintf(fp, " %14s %5.2f\n", fmoney(a,
			    r->risky[i].revenue), r->risky[i].p_alive);
		}
	}

	fprintf(fp, "\nCAMPAIGNS\n");
	if (r->ncamps == 0)
		fprintf(fp, "  No campaign sent in the period.\n");
	for (i = 0; i < r->ncamps; i++) {
		const struct campaign *cp = &r->camps[i];
		char day[11];

		crm_format_date(cp->sent_at, day);
		fprintf(fp, "  ");
		tput(fp, cp->name, 64);
		fprintf(fp, " (");
		tput(fp, cp->channel, 8);
		fprintf(fp, ", sent %s)\n    treated %s of %s", day,
		    fpct(a, cp->n[0] ? cp->rate[0] : NAN), fint(c, cp->n[0]));
		if (cp->has_control)
			fprintf(fp, ", control %s of %s", fpct(b, cp->rate[1]),
			    fint(d, cp->n[1]));
		fprintf(fp, "\n");
		if (cp->has_uplift)
			fprintf(fp, "    uplift %+.1f points, 95%% interval %+.1f"
			    " to %+.1f, p = %.3f\n", cp->uplift * 100,
			    cp->lo * 100, cp->hi * 100, cp->p_value);
	}
	if (ferror(fp))
		return crm_error_set(err, CRM_EFAIL, "write error: %s",
		    strerror(errno));
	return 0;
}

/* ------------------------------------------------------------------ */
/* The state file */

int
crm_report_save_state(const struct crm_report *r, struct crm_error *err)
{
	const char *path = r->o.state;
	char *tmp = NULL;
	size_t i, j = 0;
	FILE *fp = NULL;
	int fd = -1, rc = -1;

	if (path == NULL || r->state_status == 3)
		return 0;
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		tmp = NULL;
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	}
	if ((fd = mkstemp(tmp)) < 0 || (fp = fdopen(fd, "w")) == NULL) {
		crm_error_set(err, CRM_EFAIL, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	fd = -1;
	fprintf(fp, "%s %s %s\n", STATE_MAGIC, r->asof_day,
	    r->state_status == 1 ? r->base_day : "-");
	for (i = 0; i < r->nwho; i++) {
		const struct who *w = &r->who[i];

		while (j < r->nbase && r->base_id[j] < w->id)
			j++;
		fprintf(fp, "%lld\t%s\t%s\n", (long long)w->id,
		    r->segnames[w->seg], j < r->nbase && r->base_id[j] ==
		    w->id ? r->segnames[r->base_seg[j]] : "");
	}
	if (fflush(fp) != 0 || ferror(fp) || fsync(fileno(fp)) != 0) {
		crm_error_set(err, CRM_EFAIL, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	if (fclose(fp) != 0) {
		fp = NULL;
		crm_error_set(err, CRM_EFAIL, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	fp = NULL;
	if (rename(tmp, path) != 0) {
		crm_error_set(err, CRM_EFAIL, "%s: %s", path, strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (fp != NULL)
		fclose(fp);
	if (fd >= 0)
		close(fd);
	if (rc < 0 && tmp != NULL)
		unlink(tmp);
	free(tmp);
	return rc;
}

const char *
crm_report_summary(const struct crm_report *r)
{
	return r->summary;
}
