/*
 * Reports on interactions: one contact's timeline, channel statistics,
 * preferred channels, tickets.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "interaction-int.h"
#include "norm.h"
#include "num.h"

/* Reports. */

/* Write the rows of a prepared query; columns typed by types[]. */
static int
emit(struct crm_db *db, struct crm_stmt *st, struct crm_out *o,
    const char *const *names, const enum crm_coltype *types,
    const int *istime, size_t n, struct crm_error *err)
{
	const char *vals[32];
	char tbuf[32][21];
	size_t i;
	int rc;

	if (crm_out_header(o, names, types, n, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		for (i = 0; i < n; i++) {
			if (crm_db_col_isnull(st, (int)i))
				vals[i] = NULL;
			else if (istime != NULL && istime[i]) {
				crm_format_time(crm_db_col_int(st, (int)i),
				    tbuf[i]);
				vals[i] = tbuf[i];
			} else
				vals[i] = crm_db_col_text(st, (int)i);
		}
		if (crm_out_row(o, vals, err) < 0)
			return -1;
	}
	return rc < 0 ? -1 : 0;
}

int
crm_log_show(struct crm_db *db, int64_t contact,
    const struct crm_log_filter *f, struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "at", "channel", "kind",
	    "direction", "amount", "currency", "product", "category",
	    "quantity", "subject", "note", "status", "closed_at", "campaign",
	    "ref" };
	static const enum crm_coltype types[] = { CRM_COL_TEXT, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_TEXT,
	    CRM_COL_TEXT };
	static const int istime[] = { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0,
	    0 };
	struct crm_stmt *st;

	/*
	 * The filters are bound as NULL when unused, so that one cached
	 * statement serves every combination; the history of every contact
	 * merged into this one is shown with it.
	 */
	if ((st = crm_db_stmt(db, "SELECT at, channel, kind, direction,"
	    " CASE WHEN amount IS NOT NULL THEN printf('%.2f', amount) END,"
	    " currency, product, category, quantity,"
	    " subject, note, status, closed_at, campaign, ref"
	    " FROM interactions WHERE contact_id IN (WITH RECURSIVE m(id) AS"
	    " (VALUES (?1) UNION SELECT c.id FROM contacts c JOIN m ON"
	    " c.merged_into = m.id) SELECT id FROM m)"
	    " AND (channel = ?2 OR ?2 IS NULL) AND (kind = ?3 OR ?3 IS NULL)"
	    " AND (at >= ?4 OR ?4 IS NULL) AND (at < ?5 OR ?5 IS NULL)"
	    " ORDER BY at DESC, id DESC LIMIT ?6", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, contact, err) < 0 ||
	    crm_db_bind_text(db, st, 2, f->channel, err) < 0 ||
	    crm_db_bind_text(db, st, 3, f->kind, err) < 0 ||
	    (f->since ? crm_db_bind_int(db, st, 4, f->since, err) :
	    crm_db_bind_null(db, st, 4, err)) < 0 ||
	    (f->until ? crm_db_bind_int(db, st, 5, f->until, err) :
	    crm_db_bind_null(db, st, 5, err)) < 0 ||
	    crm_db_bind_int(db, st, 6, f->limit > 0 ? f->limit : INT64_MAX,
	    err) < 0)
		return -1;
	return emit(db, st, o, names, types, istime, 15, err);
}

int
crm_log_stats_each(struct crm_db *db, int64_t asof, const int64_t *windows,
    size_t nwindows, int (*fn)(void *arg, const struct crm_log_stats_row *row,
    struct crm_error *err), void *arg, struct crm_error *err)
{
	struct crm_log_stats_row x;
	struct crm_stmt *st;
	size_t w;
	int rc;

	for (w = 0; w < nwindows; w++) {
		if ((st = crm_db_stmt(db, "SELECT channel, kind, count(*),"
		    " count(*) FILTER (WHERE direction = 'in'),"
		    " count(*) FILTER (WHERE direction = 'out'),"
		    " count(DISTINCT contact_id), total(amount),"
		    " currency FROM interactions WHERE at >= ?1 AND at < ?2"
		    " GROUP BY channel, kind, currency"
		    " ORDER BY channel, kind, currency",
		    err)) == NULL ||
		    crm_db_bind_int(db, st, 1, asof - windows[w] * 86400,
		    err) < 0 ||
		    crm_db_bind_int(db, st, 2, asof, err) < 0)
			return -1;
		while ((rc = crm_db_step(db, st, err)) == 1) {
			x.window_days = windows[w];
			x.channel = crm_db_col_text(st, 0);
			x.kind = crm_db_col_text(st, 1);
			x.interactions = crm_db_col_int(st, 2);
			x.inbound = crm_db_col_int(st, 3);
			x.outbound = crm_db_col_int(st, 4);
			x.contacts = crm_db_col_int(st, 5);
			x.amount = crm_db_col_double(st, 6);
			x.currency = crm_db_col_text(st, 7);
			if (fn(arg, &x, err) < 0) {
				crm_db_reset(st);
				return -1;
			}
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
stats_row(void *arg, const struct crm_log_stats_row *x, struct crm_error *err)
{
	char b[6][CRM_NUM_MAX];
	const char *v[9];

	v[0] = crm_num_int(b[0], x->window_days);
	v[1] = x->channel;
	v[2] = x->kind;
	v[3] = crm_num_int(b[1], x->interactions);
	v[4] = crm_num_int(b[2], x->inbound);
	v[5] = crm_num_int(b[3], x->outbound);
	v[6] = crm_num_int(b[4], x->contacts);
	v[7] = crm_num_fixed(b[5], 2, x->amount);
	v[8] = x->currency;
	return crm_out_row(arg, v, err);
}

int
crm_log_stats(struct crm_db *db, int64_t asof, const int64_t *windows,
    size_t nwindows, struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "window_days", "channel", "kind",
	    "interactions", "inbound", "outbound", "contacts", "amount",
	    "currency" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_TEXT };

	if (crm_out_header(o, names, types, 9, err) < 0)
		return -1;
	return crm_log_stats_each(db, asof, windows, nwindows, stats_row, o,
	    err);
}

int
crm_log_preferred(struct crm_db *db, struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "id", "external_id", "email",
	    "preferred_channel", "inbound", "inbound_total" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_NUM };
	struct crm_stmt *st;

	if ((st = crm_db_stmt(db, "WITH per AS (SELECT contact_id, channel,"
	    " count(*) AS n, max(at) AS last FROM interactions"
	    " WHERE direction = 'in' GROUP BY contact_id, channel),"
	    " ranked AS (SELECT contact_id, channel, n, sum(n) OVER w AS total,"
	    " row_number() OVER (w ORDER BY n DESC, last DESC, channel) AS rn"
	    " FROM per WINDOW w AS (PARTITION BY contact_id))"
	    " SELECT c.id, c.external_id, c.email, r.channel, r.n, r.total"
	    " FROM ranked r JOIN contacts c ON c.id = r.contact_id"
	    " WHERE r.rn = 1 AND c.erased_at IS NULL ORDER BY c.id", err)) == NULL)
		return -1;
	return emit(db, st, o, names, types, NULL, 6, err);
}

int
crm_log_tickets_each(struct crm_db *db, int64_t asof, int64_t window,
    int (*fn)(void *arg, const struct crm_log_tickets_row *row,
    struct crm_error *err), void *arg, struct crm_error *err)
{
	struct crm_log_tickets_row x;
	struct crm_stmt *st;
	int rc;

	if ((st = crm_db_stmt(db, "WITH t AS (SELECT channel, status,"
	    " (closed_at - at) / 3600.0 AS h FROM interactions"
	    " WHERE kind = 'ticket' AND at >= ?1 AND at < ?2),"
	    " r AS (SELECT channel, h, row_number() OVER (PARTITION BY channel"
	    " ORDER BY h) AS rn, count(*) OVER (PARTITION BY channel) AS n"
	    " FROM t WHERE h IS NOT NULL),"
	    " med AS (SELECT channel, avg(h) AS m FROM r"
	    " WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY channel)"
	    " SELECT t.channel, count(*),"
	    " count(*) FILTER (WHERE coalesce(status, 'open') = 'open'),"
	    " count(*) FILTER (WHERE status = 'closed'), count(h),"
	    " avg(h), med.m"
	    " FROM t LEFT JOIN med USING (channel)"
	    " GROUP BY t.channel, med.m ORDER BY t.channel", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, asof - window * 86400, err) < 0 ||
	    crm_db_bind_int(db, st, 2, asof, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		x.channel = crm_db_col_text(st, 0);
		x.tickets = crm_db_col_int(st, 1);
		x.open = crm_db_col_int(st, 2);
		x.closed = crm_db_col_int(st, 3);
		x.resolved = crm_db_col_int(st, 4);
		x.mean_hours = x.resolved > 0 ? crm_db_col_double(st, 5) : NAN;
		x.median_hours = x.resolved > 0 ? crm_db_col_double(st, 6) :
		    NAN;
		if (fn(arg, &x, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	return rc < 0 ? -1 : 0;
}

static int
tickets_row(void *arg, const struct crm_log_tickets_row *x,
    struct crm_error *err)
{
	char b[6][CRM_NUM_MAX];
	const char *v[7];

	v[0] = x->channel;
	v[1] = crm_num_int(b[0], x->tickets);
	v[2] = crm_num_int(b[1], x->open);
	v[3] = crm_num_int(b[2], x->closed);
	v[4] = crm_num_int(b[3], x->resolved);
	v[5] = isnan(x->mean_hours) ? NULL : crm_num_fixed(b[4], 2,
	    x->mean_hours);
	v[6] = isnan(x->median_hours) ? NULL : crm_num_fixed(b[5], 2,
	    x->median_hours);
	return crm_out_row(arg, v, err);
}

int
crm_log_tickets(struct crm_db *db, int64_t asof, int64_t window,
    struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "channel", "tickets", "open",
	    "closed", "resolved", "mean_hours", "median_hours" };
	static const enum crm_coltype types[] = { CRM_COL_TEXT, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM };

	if (crm_out_header(o, names, types, 7, err) < 0)
		return -1;
	return crm_log_tickets_each(db, asof, window, tickets_row, o, err);
}
