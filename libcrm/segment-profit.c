/*
 * segment-profit.c - profitability per contact and per group; items
 * bought together.
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
	if (crm_seg_fetch(db, &all, &b, &n, &arena, err) < 0)
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
	if (crm_seg_fetch(db, rfm, &b, &n, &arena, err) < 0 ||
	    crm_seg_score_all(b, n, rfm, NULL, err) < 0 ||
	    crm_seg_fetch(db, &tot, &bt, &nt, &arena, err) < 0)
		goto done;
	for (i = 0; i < n && i < nt; i++) {
		const char *name = crm_seg_rfm_name(rfm, &b[i]);

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
