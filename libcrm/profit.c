/*
 * profit.c - revenue, costs and margins per contact and per group
 * (profit.h).
 *
 * One pass over the contacts, one over the purchases (as segment-rfm.c:
 * no GROUP BY, each row added to its contact in an array), one per kind
 * of cost in the cost file.  Figures sit in an array of accumulators,
 * one per contact (or group key) and currency.
 */
#include <sys/types.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hash.h"
#include "household.h"
#include "norm.h"
#include "num.h"
#include "profit.h"
#include "segment-int.h"
#include "strmap.h"

struct acc {
	double revenue, cogs, serve, acq;
	int64_t first, last;
	int32_t orders, uncosted;
	int32_t has;		/* 1 bought, 2 costs only */
	int32_t contacts, buyers;	/* groups */
};

struct pcontact {
	int64_t id, created;
	size_t s[8];		/* ext, email, stage, country, city, owner,
				 * source, group key: arena offsets or -1 */
};

enum { S_EXT, S_EMAIL, S_STAGE, S_COUNTRY, S_CITY, S_OWNER, S_SOURCE,
    S_KEY };

/* The index of group key k, added when new; (size_t)-1 on ENOMEM. */
static size_t
group_index(struct crm_strmap *m, const char *k)
{
	return (size_t)crm_strmap_index(m, k);
}

/* A set of (group, contact) pairs, for counting distinct contacts. */
struct pairset {
	size_t cap, n;
	uint64_t *v;		/* key + 1, 0 empty */
};

/* 1 if added, 0 if there, -1 on ENOMEM. */
static int
pair_add(struct pairset *p, uint64_t key)
{
	size_t i;

	key++;
	if (2 * (p->n + 1) > p->cap) {
		size_t nc = p->cap ? 2 * p->cap : 1024, j;
		uint64_t *nv = calloc(nc, sizeof(*nv));

		if (nv == NULL)
			return -1;
		for (j = 0; j < p->cap; j++)
			if (p->v[j]) {
				size_t k = crm_mix64(p->v[j]) & (nc - 1);

				while (nv[k])
					k = (k + 1) & (nc - 1);
				nv[k] = p->v[j];
			}
		free(p->v);
		p->v = nv;
		p->cap = nc;
	}
	for (i = crm_mix64(key) & (p->cap - 1); p->v[i];
	    i = (i + 1) & (p->cap - 1))
		if (p->v[i] == key)
			return 0;
	p->v[i] = key;
	p->n++;
	return 1;
}

/* What a run holds. */
struct run {
	struct crm_db *db;
	const struct crm_profit_opts *o;
	int line;		/* 1 product, 2 category, 3 month, 4 quarter */
	struct pcontact *c;
	size_t nc;
	int32_t *dix;		/* dense: index by id - lo, -1 none */
	size_t ndix;
	int64_t lo, end;
	struct crm_buf arena;
	char (*cur)[4];		/* currency slots; "" is none */
	size_t ncur;
	struct crm_strmap keys;	/* line groups */
	struct acc *a;		/* [unit * ncur + slot] */
	size_t aunit;
	struct pairset seen, bought;
	char single[4];		/* the only currency bought in, or "" */
	struct crm_error *err;
};

static const char *
cstr(const struct run *r, const struct pcontact *c, int k)
{
	return c->s[k] == (size_t)-1 ? NULL : r->arena.s + c->s[k];
}

static ssize_t
contact_index(const struct run *r, int64_t id)
{
	size_t l = 0, h = r->nc;

	if (r->dix != NULL)
		return id < r->lo || (uint64_t)(id - r->lo) >= r->ndix ? -1 :
		    r->dix[id - r->lo];
	while (l < h) {
		size_t m = l + (h - l) / 2;

		if (r->c[m].id < id)
			l = m + 1;
		else
			h = m;
	}
	return l < r->nc && r->c[l].id == id ? (ssize_t)l : -1;
}

static int
oom(struct crm_error *err)
{
	return crm_error_set(err, CRM_EFAIL, "out of memory");
}

/* The accumulator of unit and slot, growing the array as units come. */
static struct acc *
acc_at(struct run *r, size_t unit, size_t slot)
{
	if (unit >= r->aunit) {
		size_t na = r->aunit ? r->aunit : 64;
		struct acc *q;

		while (na <= unit)
			na *= 2;
		if ((q = reallocarray(r->a, na * r->ncur, sizeof(*q))) ==
		    NULL) {
			oom(r->err);
			return NULL;
		}
		memset(q + r->aunit * r->ncur, 0, (na - r->aunit) * r->ncur *
		    sizeof(*q));
		r->a = q;
		r->aunit = na;
	}
	return &r->a[unit * r->ncur + slot];
}

static int
load_contacts(struct run *r, struct crm_error *err)
{
	struct crm_stmt *st;
	size_t a = 0, i;
	int step, k;

	if ((st = crm_db_stmt(r->db, "SELECT id, external_id, email, stage,"
	    " country, city, owner, json_extract(attrs, '$.source'),"
	    " created_at FROM contacts WHERE merged_into IS NULL AND"
	    " erased_at IS NULL ORDER BY id", err)) == NULL)
		return -1;
	while ((step = crm_db_step(r->db, st, err)) == 1) {
		struct pcontact *x;

		if (r->nc == a) {
			size_t na = a ? 2 * a : 1024;
			struct pcontact *q = reallocarray(r->c, na,
			    sizeof(*q));

			if (q == NULL) {
				crm_db_reset(st);
				return oom(err);
			}
			r->c = q;
			a = na;
		}
		x = &r->c[r->nc++];
		x->id = crm_db_col_int(st, 0);
		x->created = crm_db_col_int(st, 8);
		for (k = 0; k < 8; k++) {
			const char *v = k < 7 ? crm_db_col_text(st, k + 1) :
			    NULL;

			x->s[k] = (size_t)-1;
			if (v == NULL)
				continue;
			x->s[k] = r->arena.len;
			if (crm_buf_add(&r->arena, v, strlen(v) + 1,
			    err) < 0) {
				crm_db_reset(st);
				return -1;
			}
		}
	}
	if (step < 0)
		return -1;
	if (r->nc > 0 && (uint64_t)(r->c[r->nc - 1].id - r->c[0].id) <
	    4 * (uint64_t)r->nc + 65536) {
		r->lo = r->c[0].id;
		r->ndix = (size_t)(r->c[r->nc - 1].id - r->lo) + 1;
		if ((r->dix = malloc(r->ndix * sizeof(*r->dix))) == NULL)
			return oom(err);
		memset(r->dix, 0xff, r->ndix * sizeof(*r->dix));
		for (i = 0; i < r->nc; i++)
			r->dix[r->c[i].id - r->lo] = (int32_t)i;
	}
	return 0;
}

static int
add_slot(struct run *r, const char *code, struct crm_error *err)
{
	char (*q)[4];
	size_t i;

	for (i = 0; i < r->ncur; i++)
		if (strcmp(r->cur[i], code) == 0)
			return 0;
	if ((q = reallocarray(r->cur, r->ncur + 1, sizeof(*q))) == NULL)
		return oom(err);
	r->cur = q;
	snprintf(r->cur[r->ncur++], 4, "%s", code);
	return 0;
}

/* The currency slots: the one asked for, or "" then each seen. */
static int
currencies(struct run *r, struct crm_error *err)
{
	struct crm_stmt *st;
	size_t i, nbuy = 0;
	int step;

	if (r->o->currency != NULL)
		return add_slot(r, r->o->currency, err);
	if (add_slot(r, "", err) < 0 ||
	    (st = crm_db_stmt(r->db, "SELECT DISTINCT currency FROM"
	    " interactions WHERE kind = ?1 AND at < ?2 AND currency IS NOT"
	    " NULL ORDER BY 1", err)) == NULL ||
	    crm_db_bind_text(r->db, st, 1, r->o->kind ? r->o->kind :
	    "purchase", err) < 0 ||
	    crm_db_bind_int(r->db, st, 2, r->end, err) < 0)
		return -1;
	while ((step = crm_db_step(r->db, st, err)) == 1) {
		const char *c = crm_db_col_text(st, 0);

		if (strlen(c) > 3) {
			crm_db_reset(st);
			return crm_error_set(err, CRM_EDATA, "purchases in"
			    " '%s', which is not a currency code", c);
		}
		if (add_slot(r, c, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
		nbuy++;
		snprintf(r->single, sizeof(r->single), "%s", c);
	}
	if (step < 0)
		return -1;
	if (nbuy != 1)
		r->single[0] = '\0';
	for (i = 0; r->o->costs && i < r->o->costs->n; i++)
		if (r->o->costs->c[i].currency[0] &&
		    add_slot(r, r->o->costs->c[i].currency, err) < 0)
			return -1;
	return 0;
}

static size_t
slot_of(const struct run *r, const char *code)
{
	size_t i;

	if (r->o->currency != NULL || code == NULL)
		return 0;
	for (i = 1; i < r->ncur; i++)
		if (strcmp(r->cur[i], code) == 0)
			return i;
	return 0;
}

/* The line key of a purchase or cost at t (month, quarter, ...). */
static size_t
line_unit(struct run *r, const char *v, int64_t t)
{
	char k[16];

	if (r->line >= 3) {
		crm_format_date(t, k);
		if (r->line == 3)
			k[7] = '\0';
		else
{
			k[6] = (char)('1' + (atoi(k + 5) - 1) / 3);
			k[5] = 'Q';
			k[7] = '\0';
		}
		v = k;
	}
	return group_index(&r->keys, v ? v : "(none)");
}

/* An amount of currency cur at t into the slot's currency: *out. */
static int
convert(struct run *r, double v, const char *cur, int64_t t, size_t slot,
    double *out, struct crm_error *err)
{
	const char *to = r->cur[slot][0] ? r->cur[slot] : NULL;

	return crm_rate_convert(r->o->rates, v, cur && *cur ? cur : NULL, to,
	    t, out, err);
}

/* Count contact ci in unit's slot: contacts, and buyers when bought. */
static int
line_count(struct run *r, size_t unit, size_t slot, size_t ci, int bought,
    struct acc *x, struct crm_error *err)
{
	uint64_t k = ((uint64_t)(unit * r->ncur + slot) << 32) | ci;
	int rc;

	if ((rc = pair_add(&r->seen, k)) < 0)
		return oom(err);
	x->contacts += rc;
	if (bought) {
		if ((rc = pair_add(&r->bought, k)) < 0)
			return oom(err);
		x->buyers += rc;
	}
	return 0;
}

static int add_cost(struct run *r, size_t ci, int64_t t,
    const struct crm_cost *c, int acq, struct crm_error *err);

static int
scan_purchases(struct run *r, struct crm_error *err)
{
	const struct crm_cost *oc = crm_costs_find(r->o->costs,
	    CRM_COST_ORDER, NULL);
	struct crm_stmt *st;
	int step;

	if ((st = crm_db_stmt(r->db, "SELECT contact_id, at, amount, currency,"
	    " product, quantity, " ORDER_FIRST ", category FROM interactions"
	    " WHERE kind = ?1 AND at < ?2", err)) == NULL ||
	    crm_db_bind_text(r->db, st, 1, r->o->kind ? r->o->kind :
	    "purchase", err) < 0 ||
	    crm_db_bind_int(r->db, st, 2, r->end, err) < 0)
		return -1;
	while ((step = crm_db_step(r->db, st, err)) == 1) {
		ssize_t ci = contact_index(r, crm_db_col_int(st, 0));
		int64_t at = crm_db_col_int(st, 1);
		const char *cur = crm_db_col_text(st, 3);
		const char *prod = crm_db_col_text(st, 4);
		const char *cat = crm_db_col_text(st, 7);
		int first = (int)crm_db_col_int(st, 6);
		struct crm_product_cost pc;
		int known = crm_product_find(r->o->products, prod, at, &pc);
		size_t slot = slot_of(r, cur), unit;
		double amount, cost = 0;
		struct acc *x;

		if (ci < 0)
			continue;
		if (convert(r, crm_db_col_double(st, 2), cur, at, slot,
		    &amount, err) < 0)
			goto fail;
		if (known && pc.has_cost) {
			double q = crm_db_col_isnull(st, 5) ? 1 :
			    crm_db_col_double(st, 5);

			if (convert(r, pc.unit_cost * q, pc.currency ?
			    pc.currency : cur, at, slot, &cost, err) < 0)
				goto fail;
		} else if (known)
			cost = amount * (1 - pc.margin);
		if (r->line == 2 && cat == NULL && known)
			cat = pc.category;
		unit = r->line ? line_unit(r, r->line == 1 ? prod : cat, at) :
		    (size_t)ci;
		if (unit == (size_t)-1 || (x = acc_at(r, unit, slot)) ==
		    NULL) {
			oom(err);
			goto fail;
		}
		if (!(x->has & 1) || at < x->first)
			x->first = at;
		if (!(x->has & 1) || at > x->last)
			x->last = at;
		x->has |= 1;
		x->revenue += amount;
		x->cogs += cost;
		x->uncosted += !known;
		x->orders += r->line == 1 || r->line == 2 ? 1 : first;
		if (r->line && line_count(r, unit, slot, (size_t)ci, 1, x,
		    err) < 0)
			goto fail;
		if (oc != NULL && first && add_cost(r, (size_t)ci, at, oc, 0,
		    err) < 0)
			goto fail;
	}
	return step < 0 ? -1 : 0;
fail:
	crm_db_reset(st);
	return -1;
}

/* Add cost c of contact ci at t (to serve, or acquisition). */
static int
add_cost(struct run *r, size_t ci, int64_t t, const struct crm_cost *c,
    int acq, struct crm_error *err)
{
	const char *cur = c->currency[0] ? c->currency : r->o->currency ?
	    r->o->currency : r->single;
	size_t slot = slot_of(r, cur), unit = ci;
	struct acc *x;
	double v;

	if (r->line == 1 || r->line == 2)
		return 0;
	if (r->o->currency == NULL && !*cur && r->ncur > 2)
		return crm_error_set(err, CRM_EDATA, "the cost file gives no"
		    " currency and purchases are in several: add a currency"
		    " column");
	if (convert(r, c->cost, cur, t, slot, &v, err) < 0)
		return -1;
	if (r->line && (unit = line_unit(r, NULL, t)) == (size_t)-1)
		return oom(err);
	if ((x = acc_at(r, unit, slot)) == NULL)
		return -1;
	x->has |= 2;
	if (acq)
		x->acq += v;
	else
		x->serve += v;
	if (r->line)
		return line_count(r, unit, slot, ci, 0, x, err);
	return 0;
}

/* Each event of a statement (contact_id, at, key) priced by what. */
static int
cost_scan(struct run *r, const char *sql, enum crm_cost_what what,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int step;

	if ((st = crm_db_stmt(r->db, sql, err)) == NULL ||
	    crm_db_bind_text(r->db, st, 1, r->o->kind ? r->o->kind :
	    "purchase", err) < 0 ||
	    crm_db_bind_int(r->db, st, 2, r->end, err) < 0)
		return -1;
	while ((step = crm_db_step(r->db, st, err)) == 1) {
		ssize_t ci = contact_index(r, crm_db_col_int(st, 0));
		const struct crm_cost *c = crm_costs_find(r->o->costs, what,
		    crm_db_col_text(st, 2));

		if (ci >= 0 && c != NULL && add_cost(r, (size_t)ci,
		    crm_db_col_int(st, 1), c, 0, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	return step < 0 ? -1 : 0;
}

static int
scan_costs(struct run *r, struct crm_error *err)
{
	size_t i;

	if (r->o->costs == NULL)
		return 0;
	if (crm_costs_find(r->o->costs, CRM_COST_TICKET, NULL) &&
	    cost_scan(r, "SELECT contact_id, created_at, NULL FROM tickets"
	    " WHERE contact_id IS NOT NULL AND ?1 IS NOT NULL AND"
	    " created_at < ?2", CRM_COST_TICKET, err) < 0)
		return -1;
	for (i = 0; i < r->o->costs->n; i++)
		if (r->o->costs->c[i].what == CRM_COST_CHANNEL)
			break;
	if (i < r->o->costs->n && cost_scan(r, "SELECT contact_id, at,"
	    " channel FROM interactions WHERE kind <> ?1 AND at < ?2",
	    CRM_COST_CHANNEL, err) < 0)
		return -1;
	for (i = 0; i < r->o->costs->n; i++)
		if (r->o->costs->c[i].what == CRM_COST_CAMPAIGN)
			break;
	if (i < r->o->costs->n && cost_scan(r, "SELECT m.contact_id,"
	    " m.sent_at, c.name FROM campaign_members m JOIN campaigns c ON"
	    " c.id = m.campaign_id WHERE m.grp = 'target' AND ?1 IS NOT NULL"
	    " AND m.sent_at IS NOT NULL AND m.sent_at < ?2",
	    CRM_COST_CAMPAIGN, err) < 0)
		return -1;
	for (i = 0; i < r->nc; i++) {
		const struct crm_cost *c = crm_costs_find(r->o->costs,
		    CRM_COST_ACQUISITION, cstr(r, &r->c[i], S_SOURCE));

		if (c != NULL && add_cost(r, i, r->c[i].created, c, 1,
		    err) < 0)
			return -1;
	}
	return 0;
}

/* Output */

static void
base_row(const struct run *r, size_t slot, const struct acc *x,
    struct crm_profit_row *row)
{
	memset(row, 0, sizeof(*row));
	row->currency = r->cur[slot][0] ? r->cur[slot] : NULL;
	row->has_cogs = crm_products_count(r->o->products) > 0;
	row->has_costs = r->o->costs != NULL;
	row->tenure_days = -1;
	if (x == NULL)
		return;
	row->orders = x->orders;
	row->revenue = x->revenue;
	row->cogs = x->cogs;
	row->serve = x->serve;
	row->acquisition = x->acq;
	row->uncosted = x->uncosted;
	row->contacts = x->contacts;
	row->buyers = x->buyers;
	if (x->has & 1) {
		row->first = x->first;
		row->last = x->last;
	}
}

static int
per_contact(struct run *r, int (*fn)(void *, const struct crm_profit_row *,
    struct crm_error *), void *arg, struct crm_error *err)
{
	size_t i, s, n;

	for (i = 0; i < r->nc; i++) {
		const struct pcontact *c = &r->c[i];

		for (s = 0, n = 0; s < r->ncur || n == 0; s++) {
			const struct acc *x = s < r->ncur && i < r->aunit ?
			    &r->a[i * r->ncur + s] : NULL;
			struct crm_profit_row row;
			int64_t from;

			if (s < r->ncur && (x == NULL || x->has == 0))
				continue;
			n++;
			base_row(r, s < r->ncur ? s : 0, x, &row);
			row.id = c->id;
			row.external_id = cstr(r, c, S_EXT);
			row.email = cstr(r, c, S_EMAIL);
			from = c->created;
			if (row.first && row.first < from)
				from = row.first;
			if (r->o->asof >= from)
				row.tenure_days = (r->o->asof - from) / 86400;
			if (fn(arg, &row, err) < 0)
				return -1;
		}
	}
	return 0;
}

/* A group's figures in one currency, for sorting and sharing. */
struct gout {
	size_t key;
	struct acc a;
	int64_t contacts;
};

/* Periods sort by name (the time series), other groups by revenue. */
static char **sort_names;

static int
cmp_period(const void *pa, const void *pb)
{
	const struct gout *x = pa, *y = pb;

	return strcmp(sort_names[x->key], sort_names[y->key]);
}

static int
cmp_gout(const void *pa, const void *pb)
{
	const struct gout *x = pa, *y = pb;

	if (x->a.revenue != y->a.revenue)
		return x->a.revenue < y->a.revenue ? 1 : -1;
	return x->key < y->key ? -1 : x->key > y->key;
}

static void
acc_add(struct acc *to, const struct acc *x)
{
	if (x->has & 1) {
		if (!(to->has & 1) || x->first < to->first)
			to->first = x->first;
		if (!(to->has & 1) || x->last > to->last)
			to->last = x->last;
	}
	to->has |= x->has;
	to->revenue += x->revenue;
	to->cogs += x->cogs;
	to->serve += x->serve;
	to->acq += x->acq;
	to->orders += x->orders;
	to->uncosted += x->uncosted;
}

/*
 * Emit groups: g[k * ncur + s] per key k of names and slot s, size[k]
 * contacts in the group (or -1: g's own counts); per slot, highest
 * revenue first unless keep_order.
 */
static int
emit_groups(struct run *r, char **names, size_t nk, const struct acc *g,
    const int64_t *size, int keep_order,
    int (*fn)(void *, const struct crm_profit_row *, struct crm_error *),
    void *arg, struct crm_error *err)
{
	struct gout *v = malloc((nk ? nk : 1) * sizeof(*v));
	size_t s, k, m;
	int rc = -1;

	if (v == NULL)
		return oom(err);
	for (s = 0; s < r->ncur; s++) {
		double total = 0, cum = 0;
		int any = 0, anywhere = 0;

		for (k = 0; k < nk * r->ncur; k++)
			anywhere |= g[k].has != 0;
		for (k = 0; k < nk; k++)
			any |= g[k * r->ncur + s].has != 0;
		for (k = 0, m = 0; k < nk; k++) {
			const struct acc *x = &g[k * r->ncur + s];
			int idle = 1;
			size_t t;

			for (t = 0; t < r->ncur; t++)
				idle &= g[k * r->ncur + t].has == 0;
			/* A group with nothing anywhere shows in the first
			 * currency; deciles show whole or not at all. */
			if (keep_order ? !any && (s > 0 || anywhere) :
			    x->has == 0 && !(idle && s == 0))
				continue;
			v[m].key = k;
			v[m].a = *x;
			v[m].contacts = size ? size[k] : x->contacts;
			total += x->revenue;
			m++;
		}
		sort_names = names;
		if (!keep_order)
			qsort(v, m, sizeof(*v), r->line >= 3 ? cmp_period :
			    cmp_gout);
		for (k = 0; k < m; k++) {
			struct crm_profit_row row;

			base_row(r, s, &v[k].a, &row);
			row.key = names[v[k].key];
			row.contacts = v[k].contacts;
			if (size == NULL)
				row.buyers = v[k].a.buyers;
			cum += v[k].a.revenue;
			row.share = total > 0 ? v[k].a.revenue / total : 0;
			row.cumulative_share = total > 0 ? cum / total : 0;
			if (fn(arg, &row, err) < 0)
				goto done;
		}
	}
	rc = 0;
done:
	free(v);
	return rc;
}

/* Pairs (group key, contact), for groups of contacts. */
struct pairs {
	size_t n, a;
	size_t *k, *c;
};

static int
pairs_add(struct pairs *p, size_t key, size_t ci, struct crm_error *err)
{
	if (key == (size_t)-1)
		return oom(err);
	if (p->n == p->a) {
		size_t na = p->a ? 2 * p->a : 1024;
		size_t *k = reallocarray(p->k, na, sizeof(*k)), *c;

		if (k == NULL)
			return oom(err);
		p->k = k;
		if ((c = reallocarray(p->c, na, sizeof(*c))) == NULL)
			return oom(err);
		p->c = c;
		p->a = na;
	}
	p->k[p->n] = key;
	p->c[p->n++] = ci;
	return 0;
}

struct hh {
	struct run *r;
	struct pairs *p;
};

static int
household_row(void *arg, const struct crm_household_row *h,
    struct crm_error *err)
{
	struct hh *x = arg;
	ssize_t ci = contact_index(x->r, h->id);
	char k[24];

	if (ci < 0)
		return 0;
	snprintf(k, sizeof(k), "%lld", (long long)h->household);
	return pairs_add(x->p, group_index(&x->r->keys, k), (size_t)ci, err);
}

/* The pairs of a contact-level by. */
static int
contact_pairs(struct run *r, struct pairs *p, struct crm_error *err)
{
	static const char *const simple[] = { "stage", "country", "city",
	    "owner", "source" };
	const char *by = r->o->by;
	size_t i, k;

	for (k = 0; k < 5; k++)
		if (strcmp(by, simple[k]) == 0) {
			for (i = 0; i < r->nc; i++) {
				const char *v = cstr(r, &r->c[i],
				    S_STAGE + (int)k);

				if (pairs_add(p, group_index(&r->keys, v ? v :
				    "(none)"), i, err) < 0)
					return -1;
			}
			return 0;
		}
	if (strcmp(by, "household") == 0) {
		struct hh x = { r, p };

		return crm_household_each(r->db, 0, household_row, &x, err);
	}
	if (strcmp(by, "rfm") == 0) {
		struct crm_buf arena = CRM_BUF_INIT((size_t)1 << 34);
		struct buyer *b = NULL;
		size_t n = 0;
		int rc = -1;

		if (crm_seg_fetch(r->db, r->o->rfm, &b, &n, &arena, err) < 0 ||
		    crm_seg_score_all(b, n, r->o->rfm, NULL, err) < 0)
			goto rfm_done;
		for (i = 0; i < n; i++) {
			ssize_t ci = contact_index(r, b[i].id);

			if (ci >= 0 && pairs_add(p, group_index(&r->keys,
			    crm_seg_rfm_name(r->o->rfm, &b[i])), (size_t)ci,
			    err) < 0)
				goto rfm_done;
		}
		rc = 0;
rfm_done:
		free(b);
		crm_buf_release(&arena);
		return rc;
	}
	/* Segments: a contact in several counts in each. */
	{
		struct crm_stmt *st;
		int step;

		if ((st = crm_db_stmt(r->db, "SELECT sm.contact_id, sg.name"
		    " FROM segment_members sm JOIN segments sg ON"
		    " sg.id = sm.segment_id", err)) == NULL)
			return -1;
		while ((step = crm_db_step(r->db, st, err)) == 1) {
			ssize_t ci = contact_index(r, crm_db_col_int(st, 0));

			if (ci >= 0 && pairs_add(p, group_index(&r->keys,
			    crm_db_col_text(st, 1)), (size_t)ci, err) < 0) {
				crm_db_reset(st);
				return -1;
			}
		}
		return step < 0 ? -1 : 0;
	}
}

static int
contact_groups(struct run *r, int (*fn)(void *,
    const struct crm_profit_row *, struct crm_error *), void *arg,
    struct crm_error *err)
{
	struct pairs p = { 0, 0, NULL, NULL };
	struct acc *g = NULL;
	int64_t *size = NULL;
	size_t i, s, nk;
	int rc = -1;

	if (contact_pairs(r, &p, err) < 0)
		goto done;
	nk = r->keys.n;
	if ((g = calloc(nk * r->ncur + 1, sizeof(*g))) == NULL ||
	    (size = calloc(nk + 1, sizeof(*size))) == NULL) {
		oom(err);
		goto done;
	}
	for (i = 0; i < p.n; i++) {
		size[p.k[i]]++;
		for (s = 0; s < r->ncur && p.c[i] < r->aunit; s++) {
			const struct acc *x = &r->a[p.c[i] * r->ncur + s];

			acc_add(&g[p.k[i] * r->ncur + s], x);
			g[p.k[i] * r->ncur + s].buyers += (x->has & 1) != 0;
		}
	}
	rc = emit_groups(r, r->keys.v, nk, g, size, 0, fn, arg, err);
done:
	free(p.k);
	free(p.c);
	free(g);
	free(size);
	return rc;
}

struct rank {
	double v;
	size_t ci;
};

static int
cmp_rank(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;

	return x->v < y->v ? 1 : x->v > y->v ? -1 : 0;
}

/* Deciles of contribution (revenue without costs), per currency. */
static int
deciles(struct run *r, int (*fn)(void *, const struct crm_profit_row *,
    struct crm_error *), void *arg, struct crm_error *err)
{
	char name[10][4], *names[10];
	struct rank *v = malloc((r->nc ? r->nc : 1) * sizeof(*v));
	struct acc *g = calloc(10 * r->ncur, sizeof(*g));
	int64_t size[10];
	size_t s, i, d;
	int rc = -1;

	if (v == NULL || g == NULL) {
		oom(err);
		goto done;
	}
	for (d = 0; d < 10; d++) {
		snprintf(name[d], sizeof(name[d]), "%zu", d + 1);
		names[d] = name[d];
		size[d] = 0;
	}
	for (s = 0; s < r->ncur; s++) {
		int any = 0;

		for (i = 0; i < r->nc; i++) {
			const struct acc *x = i < r->aunit ?
			    &r->a[i * r->ncur + s] : NULL;

			v[i].ci = i;
			v[i].v = x == NULL ? 0 : r->o->costs ? x->revenue -
			    x->cogs - x->serve - x->acq : x->revenue;
			any |= x != NULL && x->has != 0;
		}
		if (!any && s > 0)
			continue;
		qsort(v, r->nc, sizeof(*v), cmp_rank);
		for (i = 0; i < r->nc; i++) {
			struct acc *y = &g[(i * 10 / r->nc) * r->ncur + s];
			const struct acc *x = v[i].ci < r->aunit ?
			    &r->a[v[i].ci * r->ncur + s] : NULL;

			if (s == 0)
				size[i * 10 / r->nc]++;
			if (x != NULL) {
				acc_add(y, x);
				y->buyers += (x->has & 1) != 0;
			}
		}
	}
	rc = emit_groups(r, names, 10, g, size, 1, fn, arg, err);
done:
	free(v);
	free(g);
	return rc;
}

/* Groups of purchase lines (and costs by date). */
static int
line_groups(struct run *r, int (*fn)(void *, const struct crm_profit_row *,
    struct crm_error *), void *arg, struct crm_error *err)
{
	size_t nk = r->keys.n;

	if (acc_at(r, nk, 0) == NULL)
		return -1;
	return emit_groups(r, r->keys.v, nk, r->a, NULL, 0, fn, arg, err);
}

int
crm_profit_by_valid(const char *by)
{
	static const char *const all[] = { "stage", "country", "city",
	    "owner", "source", "segment", "rfm", "household", "decile",
	    "product", "category", "month", "quarter" };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(by, all[i]) == 0)
			return 1;
	return 0;
}

int
crm_profit_each(struct crm_db *db, const struct crm_profit_opts *opts,
    int (*fn)(void *arg, const struct crm_profit_row *row,
    struct crm_error *err), void *arg, struct crm_error *err)
{
	struct run r;
	int64_t day0 = opts->asof - ((opts->asof % 86400) + 86400) % 86400;
	int rc = -1, began = 0;

	memset(&r, 0, sizeof(r));
	r.db = db;
	r.o = opts;
	r.err = err;
	r.end = day0 + 86400;
	r.arena = (struct crm_buf)CRM_BUF_INIT((size_t)1 << 34);
	if (opts->by != NULL && !crm_profit_by_valid(opts->by))
		return crm_error_set(err, CRM_EUSAGE, "cannot group by '%s'"
		    " (stage, country, city, owner, source, segment, rfm,"
		    " household, decile, product, category, month or"
		    " quarter)", opts->by);
	if (opts->currency != NULL && !crm_currency_valid(opts->currency))
		return crm_error_set(err, CRM_EUSAGE, "currency: '%s' is not"
		    " an ISO 4217 code such as EUR", opts->currency);
	if (opts->by != NULL) {
		static const char *const line[] = { "product", "category",
		    "month", "quarter" };
		int i;

		for (i = 0; i < 4; i++)
			if (strcmp(opts->by, line[i]) == 0)
				r.line = i + 1;
	}
	if (!crm_db_in_tx(db)) {
		if (crm_db_begin_read(db, err) < 0)
			return -1;
		began = 1;
	}
	if (load_contacts(&r, err) < 0 || currencies(&r, err) < 0 ||
	    acc_at(&r, r.line ? 0 : r.nc, 0) == NULL ||
	    scan_purchases(&r, err) < 0 || scan_costs(&r, err) < 0)
		goto done;
	if (opts->by == NULL)
		rc = per_contact(&r, fn, arg, err);
	else if (strcmp(opts->by, "decile") == 0)
		rc = deciles(&r, fn, arg, err);
	else if (r.line)
		rc = line_groups(&r, fn, arg, err);
	else
		rc = contact_groups(&r, fn, arg, err);
done:
	if (began)
		crm_db_rollback(db);
	free(r.c);
	free(r.dix);
	free(r.cur);
	free(r.a);
	free(r.seen.v);
	free(r.bought.v);
	crm_strmap_free(&r.keys);
	crm_buf_release(&r.arena);
	return rc;
}

/* Writing */

struct writer {
	struct crm_out *o;
	int groups;
};

static const char *
money(char buf[CRM_NUM_MAX], int show, const char *cur, double v)
{
	if (!show)
		return NULL;
	return crm_num_unsigned_zero(crm_num_fixed(buf,
	    crm_currency_decimals(cur), v));
}

static int
write_row(void *arg, const struct crm_profit_row *x, struct crm_error *err)
{
	struct writer *w = arg;
	char b[14][CRM_NUM_MAX], d1[11], d2[11];
	const char *v[15];
	double gm = x->revenue - x->cogs;
	int i = 0;

	if (w->groups) {
		v[i++] = x->key;
		v[i++] = crm_num_int(b[0], x->contacts);
		v[i++] = crm_num_int(b[1], x->buyers);
		v[i++] = crm_num_int(b[2], x->orders);
		v[i++] = money(b[3], 1, x->currency, x->revenue);
		v[i++] = crm_num_fixed(b[4], 4, x->share);
		v[i++] = crm_num_fixed(b[5], 4, x->cumulative_share);
		v[i++] = money(b[6], x->orders > 0, x->currency,
		    x->orders ? x->revenue / (double)x->orders : 0);
		v[i++] = money(b[7], 1, x->currency, x->contacts ?
		    x->revenue / (double)x->contacts : 0);
	} else {
		v[i++] = crm_num_int(b[0], x->id);
		v[i++] = x->external_id;
		v[i++] = x->email;
		v[i++] = crm_num_int(b[2], x->orders);
		v[i++] = money(b[3], 1, x->currency, x->revenue);
		v[i++] = money(b[6], x->orders > 0, x->currency,
		    x->orders ? x->revenue / (double)x->orders : 0);
		if (x->first)
			crm_format_date(x->first, d1);
		if (x->last)
			crm_format_date(x->last, d2);
		v[i++] = x->first ? d1 : NULL;
		v[i++] = x->last ? d2 : NULL;
		v[i++] = x->tenure_days >= 0 ? crm_num_int(b[7],
		    x->tenure_days) : NULL;
	}
	v[i++] = x->currency;
	v[i++] = money(b[8], x->has_cogs, x->currency, x->cogs);
	v[i++] = money(b[9], x->has_cogs, x->currency, gm);
	v[i++] = money(b[10], x->has_costs, x->currency, x->serve);
	v[i++] = money(b[11], x->has_costs, x->currency, x->acquisition);
	v[i++] = money(b[12], x->has_cogs || x->has_costs, x->currency,
	    gm - x->serve - x->acquisition);
	return crm_out_row(w->o, v, err);
}

int
crm_profit_write(struct crm_db *db, const struct crm_profit_opts *opts,
    struct crm_out *o, struct crm_error *err)
{
	static const char *const tail[] = { "currency", "cogs",
	    "gross_margin", "cost_to_serve", "acquisition", "contribution" };
	static const char *const cn[] = { "id", "external_id", "email",
	    "orders", "revenue", "aov", "first_purchase", "last_purchase",
	    "tenure_days" };
	static const char *const gn[] = { NULL, "contacts", "buyers",
	    "orders", "revenue", "share", "cumulative_share", "aov",
	    "revenue_per_contact" };
	static const enum crm_coltype ct[] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM };
	static const enum crm_coltype gt[] = { CRM_COL_TEXT, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM };
	struct writer w = { o, opts->by != NULL };
	const char *names[15];
	int i;

	for (i = 0; i < 9; i++)
		names[i] = w.groups ? gn[i] : cn[i];
	if (w.groups)
		names[0] = strcmp(opts->by, "rfm") == 0 ? "segment" :
		    opts->by;
	for (i = 0; i < 6; i++)
		names[9 + i] = tail[i];
	if (opts->by != NULL && !crm_profit_by_valid(opts->by))
		return crm_profit_each(db, opts, write_row, &w, err);
	if (crm_out_header(o, names, w.groups ? gt : ct, 15, err) < 0)
		return -1;
	return crm_profit_each(db, opts, write_row, &w, err);
}
