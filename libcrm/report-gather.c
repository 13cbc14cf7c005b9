/*
 * report-gather.c - crm-report's numbers: the period and its buckets,
 * and each section gathered from the database (read only; the RFM
 * segments in a second thread).
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "campaign.h"
#include "interaction.h"
#include "norm.h"
#include "report-int.h"
#include "segment.h"
#include "task.h"

/* The start of the UTC day of t. */
static int64_t
day0(int64_t t)
{
	return t - ((t % DAY) + DAY) % DAY;
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
		if ((r->bstart = report_parray(r, r->nb + 1, sizeof(int64_t),
		    err)) == NULL || (r->blabel = report_parray(r, r->nb,
		    sizeof(char *), err)) == NULL)
			return -1;
		for (i = 0; i < r->nb; i++) {
			char d[11], *l;

			r->bstart[i] = i == 0 ? r->start : month_of(a +
			    (int)i);
			crm_format_date(r->bstart[i], d);
			if ((l = report_palloc(r, 8, err)) == NULL)
				return -1;
			memcpy(l, d, 7);
			r->blabel[i] = l;
		}
	} else {
		r->nb = (size_t)((r->days + 6) / 7);
		if ((r->bstart = report_parray(r, r->nb + 1, sizeof(int64_t),
		    err)) == NULL || (r->blabel = report_parray(r, r->nb,
		    sizeof(char *), err)) == NULL)
			return -1;
		for (i = 0; i < r->nb; i++) {
			char *l;

			r->bstart[i] = r->end - (int64_t)(r->nb - i) * WEEK;
			if (r->bstart[i] < r->start)
				r->bstart[i] = r->start;
			if ((l = report_palloc(r, 11, err)) == NULL)
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
	return report_parray(r, n ? n : 1, sizeof(double), err);
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
    " + 16 * (do_not_contact = 1)"
    " + 32 * coalesce(phone_type IN ('mobile', 'fixed_line_or_mobile'), 0)"
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
    " CAST(total(json_extract(counts, '$.read')) AS INTEGER),"
    " CAST(total(json_extract(counts, '$.rejected')) AS INTEGER)"
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
	if ((c->slot[i].name = report_pdup(r, name, err)) == NULL)
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
	if ((v = report_parray(r, c->n + 1, sizeof(*v), err)) != NULL) {
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
		struct named *q = report_parray(r, na, sizeof(*q), err);

		if (q == NULL)
			return -1;
		if (*n > 0)
			memcpy(q, *list, *n * sizeof(*q));
		*list = q;
		*alloc = na;
	}
	if (((*list)[*n].name = report_pdup(r, name, err)) == NULL)
		return -1;
	(*list)[(*n)++].n = k;
	return 0;
}

static int
gather_runs(struct crm_report *r, struct crm_db *db, struct crm_error *err)
{
	struct crm_stmt *st;
	size_t alloc = 0;
	int rc;

	if ((st = crm_db_stmt(db, sql_audit, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, r->start, err) < 0 ||
	    crm_db_bind_int(db, st, 2, r->end, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		struct run *x;

		if (report_pgrow(r, (void **)&r->runs, r->nruns, &alloc,
		    sizeof(*r->runs), err) < 0) {
			crm_db_reset(st);
			return -1;
		}
		x = &r->runs[r->nruns++];
		if ((x->program = report_pdup(r, crm_db_col_text(st, 0) ?
		    crm_db_col_text(st, 0) : "", err)) == NULL) {
			crm_db_reset(st);
			return -1;
		}
		x->runs = crm_db_col_int(st, 1);
		x->read = crm_db_col_int(st, 2);
		x->rejected = crm_db_col_int(st, 3);
	}
	return rc < 0 ? -1 : 0;
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
		if ((l = report_palloc(r, 8, err)) == NULL)
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
		if ((last_stage == NULL || strcmp(last_stage->name,
		    stage) != 0) &&
		    (last_stage = count_name(r, &stages, stage, err)) == NULL)
			goto done;
		last_stage->n++;
		if ((last_owner == NULL || strcmp(last_owner->name,
		    owner) != 0) &&
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
	if (gather_runs(r, db, err) < 0)
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
/*
 * An order's later lines (crm-log's order column) are kind 3: their
 * amounts add to the revenue, but the order is one purchase and one
 * interaction, counted at its first line.
 */
static const char sql_period[] =
    "SELECT at, channel, CASE kind WHEN 'purchase' THEN CASE WHEN"
    " order_ref IS NULL OR NOT EXISTS (SELECT 1 FROM interactions o"
    " WHERE o.order_ref = interactions.order_ref AND o.contact_id ="
    " interactions.contact_id AND o.id < interactions.id) THEN 1 ELSE 3"
    " END WHEN 'ticket' THEN 2 ELSE 0 END, coalesce(currency, ''), amount,"
    " direction IS 'out' FROM interactions WHERE at >= ?1 AND at < ?2";

static const char sql_backlog[] =
    "SELECT channel, count(*), min(at) FROM interactions"
    " WHERE kind = 'ticket' AND at < ?1"
    " AND (coalesce(status, 'open') = 'open' OR closed_at >= ?1)"
    " GROUP BY channel ORDER BY count(*) DESC, channel";

struct each_arg {
	struct crm_report *r;
	size_t alloc;
};

/* Keep a row of crm_log_stats_each(). */
static int
stats_row(void *arg, const struct crm_log_stats_row *x, struct crm_error *err)
{
	struct each_arg *a = arg;
	struct crm_report *r = a->r;
	struct chan_stat *y;

	if (report_pgrow(r, (void **)&r->stats, r->nstats, &a->alloc,
	    sizeof(*r->stats), err) < 0)
		return -1;
	y = &r->stats[r->nstats];
	if ((y->channel = report_pdup(r, x->channel, err)) == NULL ||
	    (y->kind = report_pdup(r, x->kind, err)) == NULL ||
	    (x->currency != NULL && (y->currency = report_pdup(r, x->currency,
	    err)) == NULL))
		return -1;
	if (x->currency == NULL)
		y->currency = NULL;
	y->interactions = x->interactions;
	y->inbound = x->inbound;
	y->outbound = x->outbound;
	y->contacts = x->contacts;
	y->amount = x->amount;
	r->nstats++;
	return 0;
}

/* Keep a row of crm_log_tickets_each(). */
static int
tickets_row(void *arg, const struct crm_log_tickets_row *x,
    struct crm_error *err)
{
	struct each_arg *a = arg;
	struct crm_report *r = a->r;
	struct ticket_stat *y;

	if (report_pgrow(r, (void **)&r->tickets, r->ntickets, &a->alloc,
	    sizeof(*r->tickets), err) < 0)
		return -1;
	y = &r->tickets[r->ntickets];
	if ((y->channel = report_pdup(r, x->channel, err)) == NULL)
		return -1;
	y->tickets = x->tickets;
	y->open = x->open;
	y->closed = x->closed;
	y->resolved = x->resolved;
	y->mean_hours = x->mean_hours;
	y->median_hours = x->median_hours;
	r->ntickets++;
	return 0;
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
		struct acc *q = report_parray(r, na, sizeof(*q), err);

		if (q == NULL)
			return NULL;
		if (s->n > 0)
			memcpy(q, s->a, s->n * sizeof(*q));
		s->a = q;
		s->alloc = na;
	}
	if ((s->a[s->n].name = report_pdup(r, name, err)) == NULL ||
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
	struct each_arg ea = { r, 0 };
	struct accs chan = { NULL, 0, 0 }, curr = { NULL, 0, 0 };
	size_t k, b, abl = 0, last = SIZE_MAX;
	struct crm_stmt *st;
	int rc;

	if ((r->purchases = zeros(r, r->nb, err)) == NULL ||
	    (r->outbound = zeros(r, r->nb, err)) == NULL ||
	    (st = crm_db_stmt(db, sql_period, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, r->start, err) < 0 ||
	    crm_db_bind_int(db, st, 2, r->end, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		const char *ch = crm_db_col_text(st, 1);
		int kind = crm_db_col_int(st, 2);
		struct acc *c;

		b = bucket(r, crm_db_col_int(st, 0));
		if (kind == 3)
			goto amount;
		r->inter_total++;
		/* Sends (campaign e-mails, calls made) are not the customers'
		 * activity: counted apart. */
		if (crm_db_col_int(st, 5)) {
			r->outbound[b]++;
			r->out_total++;
		} else {
			/* The array may move as it grows: keep an index. */
			if (last == SIZE_MAX ||
			    strcmp(chan.a[last].name, ch) != 0) {
				if ((c = acc_of(r, &chan, ch, err)) == NULL) {
					crm_db_reset(st);
					return -1;
				}
				last = (size_t)(c - chan.a);
			}
			c = &chan.a[last];
			c->v[b]++;
			c->n++;
		}
		if (kind == 2)
			r->tickets_opened++;
		if (kind != 1)
			continue;
		r->purchases[b]++;
		r->purchases_total++;
amount:
		if ((c = acc_of(r, &curr, crm_db_col_text(st, 3), err)) ==
		    NULL) {
			crm_db_reset(st);
			return -1;
		}
		if (kind == 1)
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
	if ((r->chan = report_parray(r, r->nchan + 1, sizeof(char *),
	    err)) == NULL ||
	    (r->chan_n = report_parray(r, r->nchan + 1, sizeof(double *),
	    err)) == NULL || (r->chan_total = report_parray(r, r->nchan + 1,
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
	if ((r->curr = report_parray(r, curr.n + 1, sizeof(char *),
	    err)) == NULL ||
	    (r->revenue = report_parray(r, curr.n + 1, sizeof(double *),
	    err)) == NULL || (r->curr_total = zeros(r, curr.n + 1,
	    err)) == NULL)
		return -1;
	for (k = 0; k < curr.n; k++) {
		r->curr[k] = curr.a[k].name[0] ? curr.a[k].name :
		    "(no currency)";
		r->revenue[k] = curr.a[k].v;
		r->curr_total[k] = curr.a[k].total;
	}

	if (crm_log_stats_each(db, r->end, &r->days, 1, stats_row, &ea,
	    err) < 0)
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

/* crm-ticket's service levels, the "all" row: tickets opened in the
 * period, as of its end, with 4 business hours of look-ahead. */
static int
service_row(void *arg, const struct crm_service_row *row,
    struct crm_error *err)
{
	struct crm_report *r = arg;

	(void)err;
	r->service = *row;
	r->service.group = NULL;	/* freed with the report's groups */
	r->has_service = row->tickets > 0;
	return 0;
}

static int
overdue_row(void *arg, const char *owner, int64_t n, struct crm_error *err)
{
	struct crm_report *r = arg;

	r->overdue_total += n;
	return tally(r, &r->overdue, &r->noverdue, &r->overdue_alloc,
	    *owner ? owner : "(nobody)", n, err);
}

static int
gather_service(struct crm_report *r, struct crm_db *db, struct crm_error *err)
{
	if (crm_service_report(db, r->end, r->start, CRM_SERVICE_ALL,
	    4 * 3600, service_row, r, err) < 0)
		return -1;
	return crm_task_overdue_each(db, r->end, overdue_row, r, err);
}

/* The ticket statistics of the period: crm-log stats --tickets. */
static int
gather_tickets(struct crm_report *r, struct crm_db *db, struct crm_error *err)
{
	struct each_arg ea = { r, 0 };

	return crm_log_tickets_each(db, r->end, r->days, tickets_row, &ea, err);
}

/* ------------------------------------------------------------------ */
/* Segments */

int
report_seg_index(struct crm_report *r, const char *name, struct crm_error *err)
{
	size_t i;

	for (i = 0; i < r->nsegnames; i++)
		if (strcmp(r->segnames[i], name) == 0)
			return (int)i;
	if (r->nsegnames == MAXSEGS)
		return crm_error_set(err, CRM_EDATA, "more than %d segment"
		    " names", MAXSEGS);
	if ((r->segnames[r->nsegnames] = report_pdup(r, name, err)) == NULL)
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
	else if ((s = report_seg_index(r, x->segment, err)) < 0)
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

	if ((r->segs = report_parray(r, r->nsegnames + 1, sizeof(*r->segs),
	    err)) == NULL || (slot = report_parray(r, r->nsegnames + 1,
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
	    segment_totals(r, err) < 0 || report_read_state(r, err) < 0)
		return -1;
	return report_movement(r, err);
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
			    (x->ext = report_pdup(r, crm_db_col_text(st, 1),
			    err)) == NULL) ||
			    (x->name = report_pdup(r, crm_db_col_text(st, 2),
			    err)) == NULL ||
			    (crm_db_col_text(st, 3) != NULL &&
			    (x->owner = report_pdup(r, crm_db_col_text(st, 3),
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

	if ((r->risky = report_parray(r, (size_t)r->o.top, sizeof(*r->risky),
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
			if ((r->model = report_pdup(r, buf, err)) == NULL)
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

static int
gather_campaigns(struct crm_report *r, struct crm_db *db,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int64_t all = 0;
	size_t i;
	int step, k;

	if ((r->camps = report_parray(r, MAXCAMPAIGNS, sizeof(*r->camps),
	    err)) == NULL || (st = crm_db_stmt(db, sql_campaigns,
	    err)) == NULL || crm_db_bind_int(db, st, 1, r->start, err) < 0 ||
	    crm_db_bind_int(db, st, 2, r->end, err) < 0 ||
	    crm_db_bind_int(db, st, 3, MAXCAMPAIGNS, err) < 0)
		return -1;
	while ((step = crm_db_step(db, st, err)) == 1) {
		/* Oldest first, as the charts read left to right. */
		struct campaign *c = &r->camps[MAXCAMPAIGNS - 1 - r->ncamps];

		if ((c->name = report_pdup(r, crm_db_col_text(st, 0),
		    err)) == NULL ||
		    (c->channel = report_pdup(r, crm_db_col_text(st, 1),
		    err)) == NULL || (crm_db_col_text(st, 2) != NULL &&
		    (c->purpose = report_pdup(r, crm_db_col_text(st, 2),
		    err)) == NULL) || (c->state = report_pdup(r,
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
		struct crm_campaign_result res;
		const struct crm_campaign_group *g[2];

		if (crm_campaign_measure(db, c->name, r->o.campaign_window,
		    "purchase", &res, err) < 0) {
			crm_error_prefix(err, "campaign %s", c->name);
			return -1;
		}
		c->window_end = res.window_end;
		memcpy(c->suppressed, res.suppressed, sizeof(c->suppressed));
		g[0] = &res.target;
		g[1] = &res.control;
		for (k = 0; k < 2; k++) {
			c->n[k] = g[k]->contacts;
			c->responders[k] = g[k]->responders;
			c->rate[k] = g[k]->contacts > 0 ?
			    (double)g[k]->responders / (double)g[k]->contacts :
			    NAN;
			c->revenue[k] = g[k]->revenue;
		}
		c->has_control = c->n[1] > 0;
		if (res.tested) {
			c->has_uplift = 1;
			c->uplift = res.test.diff;
			c->lo = res.test.ci_low;
			c->hi = res.test.ci_high;
			c->p_value = res.test.p_value;
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
	if (rc == 0 && (gather_churn(r, db, err) < 0 ||
	    gather_service(r, db, err) < 0))
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

const char *
crm_report_summary(const struct crm_report *r)
{
	return r->summary;
}

