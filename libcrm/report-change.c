/*
 * report-change.c - what changed: the headline figures of the period
 * against the previous period of as many days and against the same
 * dates a year earlier, and the summary built from them by rules.
 *
 * A comparison period is shown only when the database reaches back to
 * its first day (its earliest contact or interaction is no later), so
 * that a shop that started in the middle of it is not read as growth.
 * Each figure counts in the earlier periods exactly what it counts in
 * this one:
 *
 *	contacts	   alive at the end (there before it, neither
 *			   erased nor merged away before it)
 *	new contacts	   created in the period, and neither merged away
 *			   nor erased since (as the Contacts section)
 *	interactions	   in the period, an order once
 *	purchases	   orders in the period
 *	revenue		   in the period's largest currency
 *	open tickets	   at the end
 *	campaigns sent	   in the period
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "norm.h"
#include "report-int.h"

/* The same day a year earlier (29 February: the 28th). */
static int64_t
year_before(int64_t t)
{
	char d[11];
	int y, m, dd;

	crm_format_date(t, d);
	y = atoi(d);
	m = atoi(d + 5);
	dd = atoi(d + 8);
	if (m == 2 && dd == 29)
		dd = 28;
	return crm_days_from_civil(y - 1, m, dd) * DAY + (t % DAY);
}

/* Each contact's birth (as report-contacts.c has it) and, if it has one,
 * its death (erased or merged away, whichever came first; a merge whose
 * time is lost counts as always).  The earliest birth is the earliest
 * record: a contact is born no later than its first interaction. */
static const char sql_alive[] =
    "SELECT min(created_at, coalesce((SELECT min(at) FROM interactions i"
    " WHERE i.contact_id = contacts.id), created_at)), erased_at, CASE WHEN merged_into IS NULL THEN NULL"
    " ELSE coalesce((SELECT min(at) FROM merges WHERE merged_id ="
    " contacts.id AND undone_at IS NULL), 0) END, id FROM contacts";

/*
 * In one pass: the interactions of the two earlier periods, classified
 * as the period's are (report-activity.c, sql_period), and every ticket
 * for the open tickets at the end of each period (open, or closed after
 * that end).  One scan of the table instead of one a figure: at has no
 * index of its own.
 */
static const char sql_windows[] =
    "SELECT at, CASE kind WHEN 'purchase' THEN CASE WHEN"
    " order_ref IS NULL OR NOT EXISTS (SELECT 1 FROM interactions o"
    " WHERE o.order_ref = interactions.order_ref AND o.contact_id ="
    " interactions.contact_id AND o.id < interactions.id) THEN 1 ELSE 3"
    " END WHEN 'ticket' THEN 2 ELSE 0 END, coalesce(currency, ''), amount,"
    " contact_id, CASE WHEN coalesce(status, 'open') = 'open' THEN 1"
    " ELSE 0 END, closed_at FROM interactions"
    " WHERE kind = 'ticket' OR (at >= ?1 AND at < ?2)"
    " OR (at >= ?3 AND at < ?4)";

static const char sql_sent[] =
    "SELECT count(*) FROM campaigns WHERE sent_at >= ?1 AND sent_at < ?2";

/* A count with ?1 = a and ?2 = b. */
static int
count_at(struct crm_db *db, const char *sql, int64_t a, int64_t b,
    double *out, struct crm_error *err)
{
	struct crm_stmt *st;
	int step;

	if ((st = crm_db_stmt(db, sql, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, a, err) < 0 ||
	    crm_db_bind_int(db, st, 2, b, err) < 0 ||
	    (step = crm_db_step(db, st, err)) < 0)
		return -1;
	*out = step == 1 ? (double)crm_db_col_int(st, 0) : 0;
	crm_db_reset(st);
	return 0;
}

static int
win_of(const struct crm_report *r, int64_t t)
{
	int k;

	for (k = 1; k < 3; k++)
		if (r->win[k].has && t >= r->win[k].start &&
		    t < r->win[k].end)
			return k;
	return -1;
}

/* Revenue of the earlier periods per currency. */
static int
add_revenue(struct crm_report *r, size_t *alloc, const char *name, int k,
    double v, struct crm_error *err)
{
	size_t i;

	for (i = 0; i < r->ncwin; i++)
		if (strcmp(r->cwin[i].name, name) == 0)
			break;
	if (i == r->ncwin) {
		if (report_pgrow(r, (void **)&r->cwin, r->ncwin, alloc,
		    sizeof(*r->cwin), err) < 0 ||
		    (r->cwin[i].name = report_pdup(r, name, err)) == NULL)
			return -1;
		r->ncwin++;
	}
	r->cwin[i].v[k] += v;
	return 0;
}

int
report_gather_change(struct crm_report *r, struct crm_db *db,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int64_t earliest = INT64_MAX, alive[3] = { 0, 0, 0 };
	int64_t born_in[3] = { 0, 0, 0 };
	size_t alloc = 0;
	int step, k;

	r->win[0].start = r->start;
	r->win[0].end = r->end;
	r->win[0].has = 1;
	r->win[1].start = r->start - r->days * DAY;
	r->win[1].end = r->start;
	r->win[2].start = year_before(r->start);
	r->win[2].end = year_before(r->end);
	/* Contacts alive at each end, new in each period; the earliest
	 * record. */
	if ((st = crm_db_stmt(db, sql_alive, err)) == NULL)
		return -1;
	while ((step = crm_db_step(db, st, err)) == 1) {
		int64_t born = crm_db_col_int(st, 0), died = INT64_MAX;

		if (born < earliest)
			earliest = born;
		if (!report_owned(r, crm_db_col_int(st, 3)))
			continue;
		if (!crm_db_col_isnull(st, 1))
			died = crm_db_col_int(st, 1);
		if (!crm_db_col_isnull(st, 2) && crm_db_col_int(st, 2) < died)
			died = crm_db_col_int(st, 2);
		for (k = 0; k < 3; k++) {
			if (born < r->win[k].end && died >= r->win[k].end)
				alive[k]++;
			if (k > 0 && born >= r->win[k].start &&
			    born < r->win[k].end && died == INT64_MAX)
				born_in[k]++;
		}
	}
	if (step < 0)
		return -1;
	for (k = 0; k < 3; k++) {
		crm_format_date(r->win[k].start, r->win[k].first_day);
		crm_format_date(r->win[k].end - DAY, r->win[k].last_day);
		if (k > 0)
			r->win[k].has = earliest <= r->win[k].start;
		if (r->win[k].has) {
			r->fig[FIG_CONTACTS][k] = (double)alive[k];
			r->fig[FIG_NEW][k] = (double)born_in[k];
		}
	}

	if ((st = crm_db_stmt(db, sql_windows, err)) == NULL)
		return -1;
	for (k = 1; k < 3; k++)
		if (crm_db_bind_int(db, st, 2 * k - 1, r->win[k].has ?
		    r->win[k].start : 0, err) < 0 ||
		    crm_db_bind_int(db, st, 2 * k, r->win[k].has ?
		    r->win[k].end : 0, err) < 0)
			return -1;
	while ((step = crm_db_step(db, st, err)) == 1) {
		int64_t at = crm_db_col_int(st, 0);
		int w = win_of(r, at);
		int kind = crm_db_col_int(st, 1);

		if (!report_owned(r, crm_db_col_int(st, 4)))
			continue;
		/* Open at the end of a period: opened before it, and open
		 * still or closed after it. */
		for (k = 0; kind == 2 && k < 3; k++)
			if (r->win[k].has && at < r->win[k].end &&
			    (crm_db_col_int(st, 5) ||
			    (!crm_db_col_isnull(st, 6) &&
			    crm_db_col_int(st, 6) >= r->win[k].end)))
				r->fig[FIG_BACKLOG][k]++;
		if (w < 0)
			continue;
		if (kind != 3)
			r->fig[FIG_INTER][w]++;
		if (kind == 1)
			r->fig[FIG_PURCHASES][w]++;
		if ((kind == 1 || kind == 3) && add_revenue(r, &alloc,
		    crm_db_col_text(st, 2), w, crm_db_col_double(st, 3),
		    err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	if (step < 0)
		return -1;
	for (k = 0; k < 3; k++) {
		if (!r->win[k].has)
			continue;
		if (count_at(db, sql_sent, r->win[k].start, r->win[k].end,
		    &r->fig[FIG_CAMPAIGNS][k], err) < 0)
			return -1;
	}
	return 0;
}

/* This period's figures, from the sections (after they are all in). */
void
report_change_finish(struct crm_report *r)
{
	const char *top = r->ncurr == 0 ? NULL :
	    strcmp(r->curr[0], "(no currency)") == 0 ? "" : r->curr[0];
	size_t i;
	int k;

	r->fig[FIG_NEW][0] = (double)r->new_total;
	r->fig[FIG_INTER][0] = (double)r->inter_total;
	r->fig[FIG_PURCHASES][0] = (double)r->purchases_total;
	r->fig[FIG_REVENUE][0] = r->ncurr > 0 ? r->curr_total[0] : 0;
	for (k = 1; k < 3 && top != NULL; k++)
		for (i = 0; i < r->ncwin; i++)
			if (strcmp(r->cwin[i].name, top) == 0)
				r->fig[FIG_REVENUE][k] = r->cwin[i].v[k];
}

/* ------------------------------------------------------------------ */
/* The summary, by rules */

static const char *const risk_segs[] = { "At Risk", "Can't Lose Them",
    "About to Sleep" };

static int
is_risk(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(risk_segs) / sizeof(risk_segs[0]); i++)
		if (strcmp(name, risk_segs[i]) == 0)
			return 1;
	return 0;
}

static struct report_line *
line(struct report_line *l, size_t *n, size_t max, const char *href)
{
	if (*n == max)
		return NULL;
	l[*n].href = href;
	l[*n].text[0] = '\0';
	return &l[(*n)++];
}

/* The headline figure that moved most against the previous period (or,
 * without one, a year earlier), by its relative change. */
static void
rule_headline(const struct crm_report *r, struct report_line *l, size_t *n,
    size_t max)
{
	static const int figs[] = { FIG_REVENUE, FIG_PURCHASES, FIG_INTER,
	    FIG_NEW };
	double best = 0;
	int f = -1, w = r->win[1].has ? 1 : r->win[2].has ? 2 : 0;
	size_t i;
	struct report_line *x;
	char a[48], b[48], c[64], name[48];

	if (w == 0)
		return;
	for (i = 0; i < sizeof(figs) / sizeof(figs[0]); i++) {
		double now = r->fig[figs[i]][0], was = r->fig[figs[i]][w];
		double rel = was != 0 ? fabs(now - was) / fabs(was) :
		    now != 0 ? INFINITY : 0;

		if (figs[i] == FIG_REVENUE && r->ncurr == 0)
			continue;
		if (rel > best) {
			best = rel;
			f = figs[i];
		}
	}
	if (f < 0 || (x = line(l, n, max, f == FIG_NEW ? "contacts" :
	    "interactions")) == NULL)
		return;
	report_fchange(c, r->fig[f][0], r->fig[f][w], f == FIG_REVENUE);
	report_fig_name(name, r, f);
	name[0] = (char)(name[0] - 'a' + 'A');
	snprintf(x->text, sizeof(x->text), "%s %s on %s: %s against %s.",
	    name, c, w == 1 ? "the previous period" :
	    "a year earlier", f == FIG_REVENUE ? report_fmoney(a,
	    r->fig[f][0]) : report_fnum(a, r->fig[f][0], 0),
	    f == FIG_REVENUE ? report_fmoney(b, r->fig[f][w]) :
	    report_fnum(b, r->fig[f][w], 0));
}

static void
rule_segments(const struct crm_report *r, struct report_line *l, size_t *n,
    size_t max)
{
	int64_t now[MAXSEGS], d[MAXSEGS], risk_now = 0, risk_was = 0;
	size_t i, k, top[2] = { SIZE_MAX, SIZE_MAX };
	struct report_line *x;
	char a[48], b[48];

	if (r->state_status != 1)
		return;
	memset(now, 0, sizeof(now));
	for (i = 0; i < r->nwho; i++)
		now[r->who[i].seg]++;
	for (k = 0; k < r->nsegnames; k++) {
		d[k] = now[k] - r->seg_before[k];
		if (is_risk(r->segnames[k])) {
			risk_now += now[k];
			risk_was += r->seg_before[k];
		}
		if (d[k] == 0)
			continue;
		if (top[0] == SIZE_MAX || llabs(d[k]) > llabs(d[top[0]])) {
			top[1] = top[0];
			top[0] = k;
		} else if (top[1] == SIZE_MAX ||
		    llabs(d[k]) > llabs(d[top[1]]))
			top[1] = k;
	}
	if ((x = line(l, n, max, "movement")) == NULL)
		return;
	if (top[0] == SIZE_MAX)
		snprintf(x->text, sizeof(x->text), "No segment changed size"
		    " since %s.", r->base_day);
	else {
		char two[120] = "";

		if (top[1] != SIZE_MAX)
			snprintf(two, sizeof(two), ", %s %s%s",
			    r->segnames[top[1]], d[top[1]] > 0 ? "+" : "",
			    report_fint(b, d[top[1]]));
		snprintf(x->text, sizeof(x->text), "Largest segment moves"
		    " since %s: %s %s%s%s.", r->base_day, r->segnames[top[0]],
		    d[top[0]] > 0 ? "+" : "", report_fint(a, d[top[0]]), two);
	}
	if ((x = line(l, n, max, "movement")) == NULL)
		return;
	snprintf(x->text, sizeof(x->text), "Churn risk %s: %s contacts in"
	    " At Risk, Can't Lose Them and About to Sleep, %s %s than on %s.",
	    risk_now > risk_was ? "up" : risk_now < risk_was ? "down" :
	    "unchanged", report_fint(a, risk_now), report_fint(b,
	    llabs(risk_now - risk_was)), risk_now >= risk_was ? "more" :
	    "fewer", r->base_day);
	if (risk_now == risk_was)
		snprintf(x->text, sizeof(x->text), "Churn risk unchanged: %s"
		    " contacts in At Risk, Can't Lose Them and About to Sleep,"
		    " as on %s.", report_fint(a, risk_now), r->base_day);
}

static void
rule_churn(const struct crm_report *r, struct report_line *l, size_t *n,
    size_t max)
{
	struct report_line *x;
	char a[48], b[48];

	if (r->scored == 0 || (x = line(l, n, max, "churn")) == NULL)
		return;
	snprintf(x->text, sizeof(x->text), "%s of %s scored customers at"
	    " risk (P(alive) below %.2f).", report_fint(a, r->at_risk_n),
	    report_fint(b, r->scored), r->at_risk);
}

static void
rule_campaigns(const struct crm_report *r, struct report_line *l,
    size_t *n, size_t max)
{
	struct report_line *x;
	size_t i;

	for (i = r->ncamps; i-- > 0;) {
		const struct campaign *c = &r->camps[i];

		if ((x = line(l, n, max, "campaigns")) == NULL)
			return;
		if (!c->has_control)
			snprintf(x->text, sizeof(x->text), "Campaign %.60s: no"
			    " control group, its effect cannot be measured.",
			    c->name);
		else if (!c->has_uplift)
			snprintf(x->text, sizeof(x->text), "Campaign %.60s: too"
			    " few contacts to test its effect.", c->name);
		else
			snprintf(x->text, sizeof(x->text), "Campaign %.60s:"
			    " uplift %+.1f points, %s (p = %.3f).", c->name,
			    c->uplift * 100, c->p_value < 0.05 ?
			    "significant" : "not significant, it may be chance",
			    c->p_value);
		if (r->ncamps - i >= 2)
			return;
	}
}

static void
rule_service(const struct crm_report *r, struct report_line *l, size_t *n,
    size_t max)
{
	struct report_line *x;
	char a[48], b[48];
	size_t i;
	int len;

	if (r->has_service && (r->service.breached_open > 0 ||
	    r->service.at_risk > 0) &&
	    (x = line(l, n, max, "service")) != NULL)
		snprintf(x->text, sizeof(x->text), "Service level breached on"
		    " %s open ticket%s, %s more at risk.", report_fint(a,
		    r->service.breached_open), r->service.breached_open == 1 ?
		    "" : "s", report_fint(b, r->service.at_risk));
	if (r->overdue_total == 0 || (x = line(l, n, max, "service")) == NULL)
		return;
	len = snprintf(x->text, sizeof(x->text), "%s overdue task%s:",
	    report_fint(a, r->overdue_total), r->overdue_total == 1 ? "" :
	    "s");
	for (i = 0; i < r->noverdue && i < 3 && len < 150; i++)
		len += snprintf(x->text + len, sizeof(x->text) - (size_t)len,
		    " %.30s %s%s", r->overdue[i].name, report_fint(a,
		    r->overdue[i].n), i + 1 < r->noverdue && i < 2 ? "," :
		    i + 1 < r->noverdue ? ", ..." : ".");
}

size_t
report_summary_lines(const struct crm_report *r, struct report_line *l,
    size_t max)
{
	size_t n = 0;

	rule_headline(r, l, &n, max);
	rule_segments(r, l, &n, max);
	rule_churn(r, l, &n, max);
	rule_campaigns(r, l, &n, max);
	rule_service(r, l, &n, max);
	return n;
}
