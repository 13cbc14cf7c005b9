/*
 * account-risk.c - churn at account level: the stored churn scores of an
 * account's people (crm-churn score), weighted by what each brought the
 * account, rolled up over the hierarchy.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "account-int.h"
#include "mem.h"

/* One account's sums over its scored people, own then subtree. */
struct risk {
	int64_t buyers;
	double sw, swp, sp;	/* sum of weights, of weight x p, of p */
	double expected, clv, at_risk;
};

struct risks {
	struct risk *own, *all;
};

/* The walk's step: from's own sums into to's subtree sums. */
static void
risk_up(void *arg, size_t to, size_t from)
{
	struct risks *rs = arg;
	struct risk *t = &rs->all[to];
	const struct risk *r = &rs->own[from];

	t->buyers += r->buyers;
	t->sw += r->sw;
	t->swp += r->swp;
	t->sp += r->sp;
	t->expected += r->expected;
	t->clv += r->clv;
	t->at_risk += r->at_risk;
}

/* The current employment row of contact c (index in m->e), or -1. */
static int64_t
current_row(const struct emps *m, size_t *j, int64_t c)
{
	size_t e;

	while (*j < m->n && m->e[*j].contact < c)
		(*j)++;
	for (e = *j; e < m->n && m->e[e].contact == c; e++)
		if (m->e[e].end == 0 && m->e[e].acc >= 0)
			return (int64_t)e;
	return -1;
}

int
crm_account_churn_each(struct crm_db *db,
    const struct crm_account_churn_opts *opts,
    int (*fn)(void *arg, const struct crm_account_churn *row,
    struct crm_error *err), void *arg, struct crm_error *err)
{
	struct crm_account_churn row;
	struct crm_stmt *st;
	struct risk *own = NULL, *all = NULL;
	struct risks rs;
	struct accs s;
	struct emps m;
	size_t i, j = 0;
	int64_t n, e;
	int rc = -1;

	memset(&m, 0, sizeof(m));
	if (crm_db_query_int(db, "SELECT count(*) FROM scores WHERE p_alive"
	    " IS NOT NULL", &n, err) < 0)
		return -1;
	if (n == 0)
		return crm_error_set(err, CRM_EDATA, "no stored churn scores"
		    " (crm-churn fit, then crm-churn score)");
	if (crm_db_begin_read(db, err) < 0)
		return -1;
	if (account_load(db, &s, err) < 0) {
		crm_db_rollback(db);
		return -1;
	}
	if (account_compute(db, &s, 0, &m, err) < 0)
		goto done;
	if (s.n > 0 && ((own = crm_big_calloc(s.n, sizeof(*own))) == NULL ||
	    (all = crm_big_calloc(s.n, sizeof(*all))) == NULL)) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	/* The scores in contact order, beside the employment rows. */
	if ((st = crm_db_stmt(db, "SELECT contact_id, p_alive,"
	    " coalesce(expected_purchases, 0), coalesce(clv, 0) FROM scores"
	    " WHERE p_alive IS NOT NULL ORDER BY contact_id", err)) == NULL)
		goto done;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		int64_t c = crm_db_col_int(st, 0);
		double pa = crm_db_col_double(st, 1), w;
		struct risk *r;

		if ((e = current_row(&m, &j, c)) < 0 ||
		    account_emps_gone(&m, c))
			continue;
		r = &own[m.e[e].acc];
		w = m.rev[e];
		r->buyers++;
		r->sw += w;
		r->swp += w * pa;
		r->sp += pa;
		r->expected += crm_db_col_double(st, 2);
		r->clv += crm_db_col_double(st, 3);
		r->at_risk += w * (1 - pa);
	}
	if (rc < 0)
		goto done;
	rc = -1;
	rs.own = own;
	rs.all = all;
	account_walk_up(&s, risk_up, &rs);
	for (i = 0; i < s.n; i++) {
		const struct crm_account_total *t = &s.a[i].t;
		const struct risk *r = opts->own ? &own[i] : &all[i];

		memset(&row, 0, sizeof(row));
		row.id = t->id;
		row.parent_id = t->parent_id;
		row.external_id = t->external_id;
		row.name = t->name;
		row.depth = t->depth;
		row.people = opts->own ? t->contacts : t->contacts_all;
		row.buyers = r->buyers;
		row.revenue = opts->own ? t->revenue : t->revenue_all;
		row.p_alive = NAN;
		row.status = "no buyers";
		if (r->buyers > 0) {
			/* Equal weights when none of them bought here. */
			row.p_alive = r->sw > 0 ? r->swp / r->sw :
			    r->sp / (double)r->buyers;
			row.status = row.p_alive < opts->threshold ?
			    "at risk" : "active";
		}
		row.expected_purchases = r->expected;
		row.clv = r->clv;
		row.revenue_at_risk = r->at_risk;
		if (opts->at_risk_only && strcmp(row.status, "at risk") != 0)
			continue;
		if (fn(arg, &row, err) < 0)
			goto done;
	}
	rc = 0;
done:
	crm_db_rollback(db);
	account_emps_free(&m);
	free(own);
	free(all);
	account_accs_free(&s);
	return rc;
}

struct churn_out {
	struct crm_out *o;
	int header;
};

static int
churn_row(void *arg, const struct crm_account_churn *r, struct crm_error *err)
{
	static const char *const names[] = { "id", "external_id", "name",
	    "parent_id", "depth", "people", "buyers", "p_alive",
	    "churn_probability", "expected_purchases", "clv", "revenue",
	    "revenue_at_risk", "status" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_TEXT };
	struct churn_out *co = arg;
	char b[14][32];
	const char *v[14];

	if (!co->header) {
		co->header = 1;
		if (crm_out_header(co->o, names, types, 14, err) < 0)
			return -1;
	}
	if (r == NULL)
		return 0;
	account_fmt_int(b[0], 32, r->id);
	v[0] = b[0];
	v[1] = r->external_id;
	v[2] = r->name;
	account_fmt_int(b[3], 32, r->parent_id);
	v[3] = r->parent_id ? b[3] : NULL;
	account_fmt_int(b[4], 32, r->depth);
	v[4] = b[4];
	account_fmt_int(b[5], 32, r->people);
	v[5] = b[5];
	account_fmt_int(b[6], 32, r->buyers);
	v[6] = b[6];
	v[7] = v[8] = NULL;
	if (!isnan(r->p_alive)) {
		snprintf(b[7], 32, "%.4f", r->p_alive);
		snprintf(b[8], 32, "%.4f", 1 - r->p_alive);
		v[7] = b[7];
		v[8] = b[8];
	}
	snprintf(b[9], 32, "%.4f", r->expected_purchases);
	v[9] = b[9];
	account_fmt_money(b[10], 32, r->clv);
	v[10] = b[10];
	account_fmt_money(b[11], 32, r->revenue);
	v[11] = b[11];
	account_fmt_money(b[12], 32, r->revenue_at_risk);
	v[12] = b[12];
	v[13] = r->status;
	return crm_out_row(co->o, v, err);
}

int
crm_account_churn(struct crm_db *db,
    const struct crm_account_churn_opts *opts, struct crm_out *o,
    struct crm_error *err)
{
	struct churn_out co = { o, 0 };

	if (crm_account_churn_each(db, opts, churn_row, &co, err) < 0)
		return -1;
	return churn_row(&co, NULL, err);
}
