/*
 * account-partner.c - the partner report: what each partner brought.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "account-int.h"
#include "norm.h"

/* Partners. */

struct pstat {
	int64_t accounts, contacts, customers, won, lost;
	double revenue, won_value;
};

/* A contact a partner brought: its id, the partner, whether it bought. */
struct brought {
	int64_t contact, partner;
	int bought;
};

static int
cmp_brought(const void *x, const void *y)
{
	const struct brought *a = x, *b = y;

	return a->contact < b->contact ? -1 : a->contact > b->contact;
}

static struct brought *
brought_find(struct brought *b, size_t n, int64_t c)
{
	struct brought key = { c, 0, 0 };

	return n ? bsearch(&key, b, n, sizeof(*b), cmp_brought) : NULL;
}

int
crm_account_partners_each(struct crm_db *db, int *has_deals,
    int (*fn)(void *arg, const struct crm_account_partner *row,
    struct crm_error *err), void *arg, struct crm_error *err)
{
	struct pstat *ps = NULL;
	struct brought *br = NULL, *x;
	int64_t *eff = NULL, k, p, last;
	size_t i, nbr = 0, abr = 0, j;
	struct crm_stmt *st;
	struct emps m;
	struct accs s;
	int rc = -1, deals, hops;

	memset(&m, 0, sizeof(m));
	if (crm_db_begin_read(db, err) < 0)
		return -1;
	if (account_load(db, &s, err) < 0) {
		crm_db_rollback(db);
		return -1;
	}
	if ((deals = account_have_deals(db, err)) < 0 || account_emps_load(db, &s, &m,
	    err) < 0)
		goto done;
	if (has_deals != NULL)
		*has_deals = deals;
	if (s.n && ((ps = calloc(s.n, sizeof(*ps))) == NULL ||
	    (eff = calloc(s.n, sizeof(*eff))) == NULL)) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	/* Each account's partner: its own, else its nearest parent's. */
	for (i = 0; i < s.n; i++) {
		eff[i] = -1;
		for (k = (int64_t)i, hops = 0; k >= 0 && hops < MAX_DEPTH;
		    k = s.a[k].parent, hops++)
			if (s.a[k].partner_id &&
			    (p = account_find(&s, s.a[k].partner_id)) >= 0) {
				eff[i] = p;
				break;
			}
		if (s.a[i].partner_id && (p = account_find(&s, s.a[i].partner_id)) >= 0)
			ps[p].accounts++;
	}
	/* Who brought each contact: its account's partner ... */
	for (i = 0; i < m.n; i++) {
		if (m.e[i].end != 0 || m.e[i].acc < 0 ||
		    eff[m.e[i].acc] < 0 || account_emps_gone(&m, m.e[i].contact) ||
		    (nbr > 0 && br[nbr - 1].contact == m.e[i].contact))
			continue;
		if (account_grow(&br, &abr, nbr, sizeof(*br), err) < 0)
			goto done;
		br[nbr].contact = m.e[i].contact;
		br[nbr].partner = eff[m.e[i].acc];
		br[nbr++].bought = 0;
	}
	/* ... unless the contact names its own. */
	if ((st = crm_db_stmt(db, "SELECT contact_id, partner_id FROM"
	    " contact_partners ORDER BY contact_id, set_at, id", err)) == NULL)
		goto done;
	j = nbr;
	last = 0;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		int64_t c = crm_db_col_int(st, 0);

		/* Two partners (a merge joined two records): the first. */
		if (c == last)
			continue;
		last = c;
		if ((p = account_find(&s, crm_db_col_int(st, 1))) < 0 ||
		    account_emps_gone(&m, c))
			continue;
		if ((x = brought_find(br, j, c)) != NULL) {
			x->partner = p;
			continue;
		}
		if (account_grow(&br, &abr, nbr, sizeof(*br), err) < 0) {
			crm_db_reset(st);
			rc = -1;
			break;
		}
		br[nbr].contact = c;
		br[nbr].partner = p;
		br[nbr++].bought = 0;
	}
	if (rc < 0)
		goto done;
	rc = -1;
	if (nbr > 0)
		qsort(br, nbr, sizeof(*br), cmp_brought);
	if ((st = crm_db_stmt(db, "SELECT contact_id, amount FROM"
	    " interactions WHERE kind = 'purchase'", err)) == NULL)
		goto done;
	while ((rc = crm_db_step(db, st, err)) == 1)
		if ((x = brought_find(br, nbr, crm_db_col_int(st, 0))) !=
		    NULL) {
			x->bought = 1;
			ps[x->partner].revenue += crm_db_col_double(st, 1);
		}
	if (rc < 0)
		goto done;
	rc = -1;
	for (i = 0; i < nbr; i++) {
		ps[br[i].partner].contacts++;
		ps[br[i].partner].customers += br[i].bought;
	}
	if (deals) {
		if ((st = crm_db_stmt(db, "SELECT d.contact_id, g.outcome,"
		    " d.amount FROM deals d JOIN deal_stages g ON"
		    " g.id = d.stage_id WHERE g.outcome <> 'open' AND"
		    " d.contact_id IS NOT NULL", err)) == NULL)
			goto done;
		while ((rc = crm_db_step(db, st, err)) == 1) {
			if ((x = brought_find(br, nbr, crm_db_col_int(st,
			    0))) == NULL)
				continue;
			if (strcmp(crm_db_col_text(st, 1), "won") == 0) {
				ps[x->partner].won++;
				ps[x->partner].won_value +=
				    crm_db_col_double(st, 2);
			} else
				ps[x->partner].lost++;
		}
		if (rc < 0)
			goto done;
		rc = -1;
	}
	for (i = 0; i < s.n; i++) {
		const char *t = s.a[i].type;
		struct crm_account_partner row;

		if (t == NULL || (strcmp(t, "reseller") != 0 &&
		    strcmp(t, "agency") != 0 && strcmp(t, "referrer") != 0 &&
		    strcmp(t, "affiliate") != 0))
			continue;
		memset(&row, 0, sizeof(row));
		row.id = s.a[i].id;
		row.external_id = s.a[i].ext;
		row.name = s.a[i].name;
		row.type = t;
		row.accounts = ps[i].accounts;
		row.contacts = ps[i].contacts;
		row.customers = ps[i].customers;
		row.revenue = ps[i].revenue;
		row.has_deals = deals;
		row.won = ps[i].won;
		row.lost = ps[i].lost;
		row.win_rate = ps[i].won + ps[i].lost > 0 ?
		    (double)ps[i].won / (double)(ps[i].won + ps[i].lost) : NAN;
		row.won_value = ps[i].won_value;
		if ((rc = fn(arg, &row, err)) != 0)
			goto done;
	}
	rc = 0;
done:
	crm_db_rollback(db);
	account_emps_free(&m);
	free(br);
	free(ps);
	free(eff);
	account_accs_free(&s);
	return rc;
}

/* crm-account partners: the rows of crm_account_partners_each() as
 * text. */
struct pwrite {
	struct crm_out *o;
	int deals, headed;
};

static const char *const partner_names[] = { "partner_id", "external_id",
    "name", "type", "accounts", "contacts", "customers", "revenue",
    "deals_won", "deals_lost", "win_rate", "won_value" };
static const enum crm_coltype partner_types[] = { CRM_COL_NUM, CRM_COL_TEXT,
    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM };

static int
pwrite_head(struct pwrite *w, struct crm_error *err)
{
	if (w->headed)
		return 0;
	w->headed = 1;
	return crm_out_header(w->o, partner_names, partner_types, w->deals ?
	    12 : 8, err);
}

static int
pwrite_row(void *arg, const struct crm_account_partner *p,
    struct crm_error *err)
{
	struct pwrite *w = arg;
	char b[12][32];
	const char *v[12];

	w->deals = p->has_deals;
	if (pwrite_head(w, err) < 0)
		return -1;
	account_fmt_int(b[0], 32, p->id);
	v[0] = b[0];
	v[1] = p->external_id;
	v[2] = p->name;
	v[3] = p->type;
	account_fmt_int(b[4], 32, p->accounts);
	v[4] = b[4];
	account_fmt_int(b[5], 32, p->contacts);
	v[5] = b[5];
	account_fmt_int(b[6], 32, p->customers);
	v[6] = b[6];
	account_fmt_money(b[7], 32, p->revenue);
	v[7] = b[7];
	account_fmt_int(b[8], 32, p->won);
	v[8] = b[8];
	account_fmt_int(b[9], 32, p->lost);
	v[9] = b[9];
	v[10] = NULL;
	if (!isnan(p->win_rate)) {
		snprintf(b[10], 32, "%.4f", p->win_rate);
		v[10] = b[10];
	}
	account_fmt_money(b[11], 32, p->won_value);
	v[11] = b[11];
	return crm_out_row(w->o, v, err);
}

int
crm_account_partners(struct crm_db *db, struct crm_out *o,
    struct crm_error *err)
{
	struct pwrite w = { o, 0, 0 };

	if (crm_account_partners_each(db, &w.deals, pwrite_row, &w, err) != 0)
		return -1;
	return pwrite_head(&w, err);
}
