/*
 * report-activity.c - crm-report's interactions: channels, purchases and
 * revenue per bucket, outbound sends, tickets, service levels and
 * overdue tasks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "interaction.h"
#include "report-int.h"
#include "task.h"

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
    " direction IS NOT DISTINCT FROM 'out', contact_id FROM interactions"
    " WHERE at >= ?1 AND at < ?2";

static const char sql_backlog[] =
    "SELECT channel, count(*), min(at) FROM interactions"
    " WHERE kind = 'ticket' AND at < ?1"
    " AND (coalesce(status, 'open') = 'open' OR closed_at >= ?1)"
    " AND (?2 IS NULL OR contact_id IN (SELECT id FROM contacts"
    " WHERE owner = ?2))"
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
	    (s->a[s->n].v = report_zeros(r, r->nb, err)) == NULL)
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

int
report_gather_interactions(struct crm_report *r, struct crm_db *db,
    struct crm_error *err)
{
	struct each_arg ea = { r, 0 };
	struct accs chan = { NULL, 0, 0 }, curr = { NULL, 0, 0 };
	size_t k, b, abl = 0, last = SIZE_MAX;
	struct crm_stmt *st;
	int rc;

	if ((r->purchases = report_zeros(r, r->nb, err)) == NULL ||
	    (r->outbound = report_zeros(r, r->nb, err)) == NULL ||
	    (st = crm_db_stmt(db, sql_period, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, r->start, err) < 0 ||
	    crm_db_bind_int(db, st, 2, r->end, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		const char *ch = crm_db_col_text(st, 1);
		int kind = crm_db_col_int(st, 2);
		struct acc *c;

		if (!report_owned(r, crm_db_col_int(st, 6)))
			continue;
		b = report_bucket(r, crm_db_col_int(st, 0));
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
	    err)) == NULL || (r->curr_total = report_zeros(r, curr.n + 1,
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
	    crm_db_bind_int(db, st, 1, r->end, err) < 0 ||
	    report_bind_owner(r, db, st, 2, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		int64_t n = crm_db_col_int(st, 1);
		int64_t oldest = crm_db_col_int(st, 2);

		if (report_tally(r, &r->backlog, &r->nbacklog, &abl,
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
	/* --owner: the tickets assigned to the owner. */
	if (r->o.owner != NULL && (row->group == NULL ||
	    strcmp(row->group, r->o.owner) != 0))
		return 0;
	r->service = *row;
	r->service.group = NULL;	/* freed with the report's groups */
	r->has_service = row->tickets > 0;
	return 0;
}

static int
overdue_row(void *arg, const char *owner, int64_t n, struct crm_error *err)
{
	struct crm_report *r = arg;

	if (r->o.owner != NULL && strcmp(owner, r->o.owner) != 0)
		return 0;
	r->overdue_total += n;
	return report_tally(r, &r->overdue, &r->noverdue, &r->overdue_alloc,
	    *owner ? owner : "(nobody)", n, err);
}

int
report_gather_service(struct crm_report *r, struct crm_db *db,
    struct crm_error *err)
{
	if (crm_service_report(db, r->end, r->start, r->o.owner != NULL ?
	    CRM_SERVICE_ASSIGNEE : CRM_SERVICE_ALL, 4 * 3600, service_row, r,
	    err) < 0)
		return -1;
	return crm_task_overdue_each(db, r->end, overdue_row, r, err);
}

/* The ticket statistics of the period: crm-log stats --tickets. */
int
report_gather_tickets(struct crm_report *r, struct crm_db *db,
    struct crm_error *err)
{
	struct each_arg ea = { r, 0 };

	return crm_log_tickets_each(db, r->end, r->days, tickets_row, &ea, err);
}
