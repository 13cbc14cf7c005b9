/*
 * service-report.c - service levels from the ticket histories: the report
 * by group, the due list, one ticket's history.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bizcal.h"
#include "norm.h"
#include "service.h"
#include "service-int.h"


/*
 * One ticket's clocks as of asof, from its status history.  The caller
 * feeds the status changes in time order, then asks for the result.
 */
struct clock {
	int64_t created, first;		/* first 0: no response yet */
	int64_t last_at, acc, solved_at;
	int status, solved;
};

static void
clock_start(struct clock *k, int64_t created, int64_t first)
{
	memset(k, 0, sizeof(*k));
	k->created = created;
	k->first = first;
	k->last_at = created;
	k->status = -1;
}

static void
clock_event(struct crm_bizcal *cal, struct clock *k, int64_t at, int status)
{
	if (k->status >= 0 && RUNS(k->status))
		k->acc += crm_bizcal_between(cal, k->last_at, at);
	if (IS_DONE(status) && (k->status < 0 || !IS_DONE(k->status))) {
		k->solved = 1;
		k->solved_at = at;
	} else if (!IS_DONE(status))
		k->solved = 0;
	if (at > k->last_at)
		k->last_at = at;
	k->status = status;
}

/* The report's accumulators for one group. */
struct group {
	char *name;
	struct crm_service_row row;
	double *fr, *res;
	size_t nfr, nres, afr, ares;
	double csat_sum;
};

struct report {
	struct crm_db *db;
	struct policy pol;
	struct crm_bizcal *cal;		/* pol's */
	enum crm_service_by by;
	int64_t asof, window;
	struct group *g;
	size_t ng;
	/* the ticket being read */
	int64_t id;
	struct clock k;
	const struct target *tg;
	char *key;
	int64_t handoffs, reopens, csat;
	void *arg;		/* what the per-ticket function fills */
};

static int
push(double **a, size_t *n, size_t *cap, double v)
{
	double *p;

	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;

		if ((p = reallocarray(*a, c, sizeof(*p))) == NULL)
			return -1;
		*a = p;
		*cap = c;
	}
	(*a)[(*n)++] = v;
	return 0;
}

static struct group *
group_get(struct report *rp, const char *name, struct crm_error *err)
{
	struct group *p;
	size_t i;

	for (i = rp->ng; i-- > 0;)
		if (strcmp(rp->g[i].name, name) == 0)
			return &rp->g[i];
	if ((p = reallocarray(rp->g, rp->ng + 1, sizeof(*p))) == NULL)
		goto oom;
	rp->g = p;
	p = &rp->g[rp->ng];
	memset(p, 0, sizeof(*p));
	if ((p->name = strdup(name)) == NULL)
		goto oom;
	rp->ng++;
	return p;
oom:
	crm_error_set(err, CRM_EFAIL, "out of memory");
	return NULL;
}

static int
cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The q-quantile of sorted v[0..n) by linear interpolation (type 7). */
static double
quantile(const double *v, size_t n, double q)
{
	double h, lo;
	size_t i;

	if (n == 0)
		return NAN;
	h = (double)(n - 1) * q;
	lo = floor(h);
	i = (size_t)lo;
	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (h - lo) * (v[i + 1] - v[i]);
}

/* Fold the finished ticket in rp into its group. */
static int
finish(struct report *rp, struct crm_error *err)
{
	struct clock *k = &rp->k;
	struct group *g;
	int64_t fr, el;
	int open, breached = 0, risk = 0;

	if (rp->id == 0)
		return 0;
	if ((g = group_get(rp, rp->by == CRM_SERVICE_ALL ? "all" :
	    rp->key != NULL ? rp->key : "", err)) == NULL)
		return -1;
	g->row.tickets++;
	open = !k->solved;
	if (open)
		g->row.open++;
	else
		g->row.solved++;
	/* First response. */
	if (k->first != 0 && k->first <= rp->asof) {
		fr = crm_bizcal_between(rp->cal, k->created, k->first);
		g->row.fr_measured++;
		if (fr <= rp->tg->first)
			g->row.fr_met++;
		if (push(&g->fr, &g->nfr, &g->afr, (double)fr / 3600) < 0)
			goto oom;
	} else if (open) {
		el = crm_bizcal_between(rp->cal, k->created, rp->asof);
		if (el > rp->tg->first)
			breached = 1;
		else if (rp->tg->first - el <= rp->window)
			risk = 1;
	}
	/* Resolution: the clock runs while new or open. */
	if (!open) {
		g->row.res_measured++;
		if (k->acc <= rp->tg->res)
			g->row.res_met++;
		if (push(&g->res, &g->nres, &g->ares, (double)k->acc / 3600) <
		    0)
			goto oom;
	} else {
		el = k->acc + (k->status >= 0 && RUNS(k->status) ?
		    crm_bizcal_between(rp->cal, k->last_at, rp->asof) : 0);
		if (el > rp->tg->res)
			breached = 1;
		else if (k->status >= 0 && RUNS(k->status) &&
		    rp->tg->res - el <= rp->window)
			risk = 1;
	}
	if (breached)
		g->row.breached_open++;
	else if (risk)
		g->row.at_risk++;
	g->row.handoffs += rp->handoffs;
	g->row.reopens += rp->reopens;
	if (rp->csat > 0) {
		g->row.csat_n++;
		g->csat_sum += (double)rp->csat;
	}
	return 0;
oom:
	return crm_error_set(err, CRM_EFAIL, "out of memory");
}

static int
cmpgroup(const void *a, const void *b)
{
	return strcmp(((const struct group *)a)->name,
	    ((const struct group *)b)->name);
}

/*
 * The report reads two tables in one pass each, merged here on the
 * ticket id: the tickets in id order, and their status changes in the
 * order of (ticket, time, id) from an index that holds all it needs.  A
 * join would look the events of each ticket up in the index, a descent
 * of the B-tree per ticket; two scans side by side cost half as much.
 */
static const char tickets_sql[] =
    "SELECT id, priority, channel, created_at,"
    " CASE WHEN first_response_at <= ?1 THEN first_response_at END,"
    " handoffs, reopens, satisfaction,"
    " CASE ?3 WHEN 1 THEN team WHEN 2 THEN assignee"
    " WHEN 3 THEN channel WHEN 4 THEN priority"
    " WHEN 5 THEN strftime('%Y-%m', created_at, 'unixepoch') END"
    " FROM tickets WHERE created_at >= ?2 AND created_at < ?1 ORDER BY id";

static const char events_sql[] =
    "SELECT ticket_id, at, new FROM ticket_events"
    " WHERE field = 'status' AND at <= ?1 ORDER BY ticket_id, at, id";

static int
scan(struct report *rp, int64_t since,
    int (*each)(struct report *rp, struct crm_error *err),
    struct crm_error *err)
{
	struct crm_db *db = rp->db;
	struct crm_stmt *st, *ev;
	int64_t eid = 0;
	int rc, erc = 1;

	if (crm_db_map_reads(db, err) < 0 ||
	    (st = crm_db_stmt(db, tickets_sql, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, rp->asof, err) < 0 ||
	    crm_db_bind_int(db, st, 2, since, err) < 0 ||
	    crm_db_bind_int(db, st, 3, (int64_t)rp->by, err) < 0)
		return -1;
	if ((ev = crm_db_stmt(db, events_sql, err)) == NULL ||
	    crm_db_bind_int(db, ev, 1, rp->asof, err) < 0) {
		crm_db_reset(st);
		return -1;
	}
	while ((rc = crm_db_step(db, st, err)) == 1) {
		const char *key = crm_db_col_text(st, 8);

		rp->id = crm_db_col_int(st, 0);
		free(rp->key);
		rp->key = NULL;
		if (key != NULL && (rp->key = strdup(key)) == NULL) {
			crm_error_set(err, CRM_EFAIL, "out of memory");
			goto fail;
		}
		rp->tg = service_policy_for(&rp->pol, crm_db_col_text(st, 1),
		    crm_db_col_text(st, 2));
		clock_start(&rp->k, crm_db_col_int(st, 3),
		    crm_db_col_int(st, 4));
		rp->handoffs = crm_db_col_int(st, 5);
		rp->reopens = crm_db_col_int(st, 6);
		rp->csat = crm_db_col_int(st, 7);
		/* The events of earlier tickets (out of the window) pass. */
		while (erc == 1 && (eid == 0 || eid <= rp->id)) {
			if (eid == rp->id)
				clock_event(rp->cal, &rp->k, crm_db_col_int(ev,
				    1), service_status_index(crm_db_col_text(ev, 2)));
			if ((erc = crm_db_step(db, ev, err)) < 0)
				goto fail;
			eid = erc == 1 ? crm_db_col_int(ev, 0) : 0;
		}
		if (each(rp, err) < 0)
			goto fail;
	}
	crm_db_reset(ev);
	return rc < 0 ? -1 : 0;
fail:
	crm_db_reset(st);
	crm_db_reset(ev);
	return -1;
}

static void
report_free(struct report *rp)
{
	size_t i;

	for (i = 0; i < rp->ng; i++) {
		free(rp->g[i].name);
		free(rp->g[i].fr);
		free(rp->g[i].res);
	}
	free(rp->g);
	free(rp->key);
	service_policy_free(&rp->pol);
}

int
crm_service_report(struct crm_db *db, int64_t asof, int64_t since,
    enum crm_service_by by, int64_t risk_window,
    int (*fn)(void *arg, const struct crm_service_row *row,
    struct crm_error *err), void *arg, struct crm_error *err)
{
	struct report rp;
	struct group *g;
	size_t i;
	int rc = -1;

	memset(&rp, 0, sizeof(rp));
	rp.db = db;
	rp.by = by;
	rp.asof = asof;
	rp.window = risk_window;
	if (service_policy_load(db, &rp.pol, err) < 0)
		return -1;
	rp.cal = rp.pol.cal;
	if (scan(&rp, since, finish, err) < 0)
		goto done;
	if (rp.ng > 0)
		qsort(rp.g, rp.ng, sizeof(*rp.g), cmpgroup);
	for (i = 0; i < rp.ng; i++) {
		g = &rp.g[i];
		/* An empty list is NULL, which qsort() may not be given. */
		if (g->nfr > 0)
			qsort(g->fr, g->nfr, sizeof(double), cmpd);
		if (g->nres > 0)
			qsort(g->res, g->nres, sizeof(double), cmpd);
		g->row.group = g->name;
		g->row.fr_median = quantile(g->fr, g->nfr, 0.5);
		g->row.fr_p90 = quantile(g->fr, g->nfr, 0.9);
		g->row.res_median = quantile(g->res, g->nres, 0.5);
		g->row.res_p90 = quantile(g->res, g->nres, 0.9);
		g->row.csat_mean = g->row.csat_n ?
		    g->csat_sum / (double)g->row.csat_n : NAN;
		if (fn(arg, &g->row, err) < 0)
			goto done;
	}
	rc = 0;
done:
	report_free(&rp);
	return rc;
}

static const char *
num(char *b, size_t n, double v, int prec)
{
	if (isnan(v))
		return NULL;
	snprintf(b, n, "%.*f", prec, v);
	return b;
}

static const char *
share(char *b, size_t n, int64_t k, int64_t of)
{
	return of == 0 ? NULL : num(b, n, (double)k / (double)of, 4);
}

static int
out_row(void *arg, const struct crm_service_row *r, struct crm_error *err)
{
	char b[16][32];
	const char *v[16];

	v[0] = r->group;
	snprintf(b[1], 32, "%lld", (long long)r->tickets);
	snprintf(b[2], 32, "%lld", (long long)r->open);
	snprintf(b[3], 32, "%lld", (long long)r->solved);
	v[1] = b[1];
	v[2] = b[2];
	v[3] = b[3];
	v[4] = share(b[4], 32, r->fr_met, r->fr_measured);
	v[5] = num(b[5], 32, r->fr_median, 2);
	v[6] = num(b[6], 32, r->fr_p90, 2);
	v[7] = share(b[7], 32, r->res_met, r->res_measured);
	v[8] = num(b[8], 32, r->res_median, 2);
	v[9] = num(b[9], 32, r->res_p90, 2);
	snprintf(b[10], 32, "%lld", (long long)r->breached_open);
	snprintf(b[11], 32, "%lld", (long long)r->at_risk);
	snprintf(b[12], 32, "%lld", (long long)r->handoffs);
	snprintf(b[13], 32, "%lld", (long long)r->reopens);
	v[10] = b[10];
	v[11] = b[11];
	v[12] = b[12];
	v[13] = b[13];
	v[14] = num(b[14], 32, r->csat_mean, 2);
	return crm_out_row(arg, v, err);
}

int
crm_service_report_out(struct crm_db *db, int64_t asof, int64_t since,
    enum crm_service_by by, int64_t risk_window, struct crm_out *o,
    struct crm_error *err)
{
	static const char *const names[] = {
		"group", "tickets", "open", "solved", "first_response_met",
		"first_response_median_h", "first_response_p90_h",
		"resolution_met", "resolution_median_h", "resolution_p90_h",
		"breached_open", "at_risk", "handoffs", "reopens",
		"satisfaction"
	};
	static const enum crm_coltype types[] = {
		CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
		CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
		CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
		CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM
	};

	if (crm_out_header(o, names, types, 15, err) < 0)
		return -1;
	return crm_service_report(db, asof, since, by, risk_window, out_row, o,
	    err);
}

/* The due list. */

struct due {
	int64_t id, due_at, left;
	int first;	/* the first-response target, else resolution */
	int breached;
};

struct duelist {
	struct due *d;
	size_t n, a;
	int breached_only;
};

static int
due_each(struct report *rp, struct crm_error *err)
{
	struct duelist *dl = rp->arg;
	struct clock *k = &rp->k;
	struct due x;
	int64_t el;
	struct due *p;

	(void)err;
	if (k->solved)
		return 0;
	memset(&x, 0, sizeof(x));
	x.id = rp->id;
	if (k->first == 0) {
		el = crm_bizcal_between(rp->cal, k->created, rp->asof);
		x.first = 1;
		x.left = rp->tg->first - el;
	} else {
		if (k->status < 0 || !RUNS(k->status)) {
			/* The clock is stopped: nothing comes due. */
			el = k->acc;
			if (el <= rp->tg->res)
				return 0;
			x.left = rp->tg->res - el;
		} else {
			el = k->acc + crm_bizcal_between(rp->cal, k->last_at,
			    rp->asof);
			x.left = rp->tg->res - el;
		}
	}
	x.breached = x.left < 0;
	if (x.breached)
		x.due_at = x.first ? crm_bizcal_add(rp->cal, k->created,
		    rp->tg->first) : rp->asof;
	else
		x.due_at = crm_bizcal_add(rp->cal, rp->asof, x.left);
	if (!x.breached && (dl->breached_only || x.left > rp->window))
		return 0;
	if (dl->n == dl->a) {
		size_t c = dl->a ? dl->a * 2 : 64;

		if ((p = reallocarray(dl->d, c, sizeof(*p))) == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		dl->d = p;
		dl->a = c;
	}
	dl->d[dl->n++] = x;
	return 0;
}

static int
cmpdue(const void *a, const void *b)
{
	const struct due *x = a, *y = b;

	if (x->left != y->left)
		return x->left < y->left ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

int
crm_service_due(struct crm_db *db, int64_t asof, int64_t window,
    int breached_only, const char *team, const char *assignee,
    struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = {
		"ref", "contact", "subject", "priority", "status", "assignee",
		"team", "target", "due_at", "hours_left", "state"
	};
	struct duelist dl;
	struct report rp;
	struct crm_stmt *st;
	const char *v[11];
	char due[21], left[32];
	size_t i;
	int rc = -1, r;

	memset(&rp, 0, sizeof(rp));
	memset(&dl, 0, sizeof(dl));
	dl.breached_only = breached_only;
	rp.db = db;
	rp.by = CRM_SERVICE_ALL;
	rp.asof = asof;
	rp.window = window;
	if (service_policy_load(db, &rp.pol, err) < 0)
		return -1;
	rp.cal = rp.pol.cal;
	rp.arg = &dl;
	r = scan(&rp, 0, due_each, err);
	if (r < 0 || crm_out_header(o, names, NULL, 11, err) < 0)
		goto done;
	if (dl.n > 0)
		qsort(dl.d, dl.n, sizeof(*dl.d), cmpdue);
	for (i = 0; i < dl.n; i++) {
		if ((st = crm_db_stmt(db, "SELECT t.ref, coalesce(c.email,"
		    " c.external_id, '#' || c.id), t.subject, t.priority,"
		    " t.status, t.assignee, t.team FROM tickets t LEFT JOIN"
		    " contacts c ON c.id = t.contact_id WHERE t.id = ?1 AND"
		    " (?2 IS NULL OR t.team = ?2) AND"
		    " (?3 IS NULL OR t.assignee = ?3)", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, dl.d[i].id, err) < 0 ||
		    crm_db_bind_text(db, st, 2, team, err) < 0 ||
		    crm_db_bind_text(db, st, 3, assignee, err) < 0 ||
		    (r = crm_db_step(db, st, err)) < 0)
			goto done;
		if (r == 0)
			continue;
		for (r = 0; r < 7; r++)
			v[r] = crm_db_col_text(st, r);
		v[7] = dl.d[i].first ? "first_response" : "resolution";
		if (dl.d[i].due_at == INT64_MAX)
			v[8] = NULL;
		else {
			crm_format_time(dl.d[i].due_at, due);
			v[8] = due;
		}
		snprintf(left, sizeof(left), "%.2f",
		    (double)dl.d[i].left / 3600);
		v[9] = left;
		v[10] = dl.d[i].breached ? "breached" : "at risk";
		r = crm_out_row(o, v, err);
		crm_db_reset(st);
		if (r < 0)
			goto done;
	}
	rc = 0;
done:
	free(dl.d);
	report_free(&rp);
	return rc;
}

int
crm_service_history(struct crm_db *db, const char *ref, struct crm_out *o,
    struct crm_error *err)
{
	static const char *const names[] = {
		"at", "field", "from", "to", "by", "reason"
	};
	struct crm_stmt *st;
	const char *v[6];
	char at[21];
	int rc, found = 0;

	if (crm_out_header(o, names, NULL, 6, err) < 0 ||
	    (st = crm_db_stmt(db, "SELECT e.at, e.field, e.old, e.new, e.by,"
	    " e.reason FROM tickets t JOIN ticket_events e ON"
	    " e.ticket_id = t.id WHERE t.ref = ? ORDER BY e.at, e.id",
	    err)) == NULL || crm_db_bind_text(db, st, 1, ref, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		found = 1;
		crm_format_time(crm_db_col_int(st, 0), at);
		v[0] = at;
		for (rc = 1; rc < 6; rc++)
			v[rc] = crm_db_col_text(st, rc);
		if (crm_out_row(o, v, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	if (rc < 0)
		return -1;
	if (!found)
		return crm_error_set(err, CRM_EDATA, "no ticket '%s'", ref);
	return 0;
}
