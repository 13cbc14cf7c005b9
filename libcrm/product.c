/*
 * product.c - products and their costs; the cost-to-serve file
 * (product.h).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conv.h"
#include "csvio.h"
#include "norm.h"
#include "product.h"
#include "rate.h"

const char crm_product_schema[] =
	"CREATE TABLE products ("
	"  sku TEXT NOT NULL,"
	"  name TEXT,"
	"  category TEXT,"
	"  unit_cost REAL CHECK (unit_cost IS NULL OR unit_cost >= 0),"
	"  margin REAL CHECK (margin IS NULL OR margin < 1),"
	"  currency TEXT,"
	"  valid_from INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (sku, valid_from),"
	"  CHECK ((unit_cost IS NULL) <> (margin IS NULL))"
	") WITHOUT ROWID;"
	"CREATE INDEX products_name ON products(name) WHERE name IS NOT NULL;";

/* A number with decimal as its separator; pct: a trailing '%' divides
 * by 100 (*pct set). */
static int
parse_num(const char *s, int decimal, struct crm_buf *tmp, double *out,
    int *pct, struct crm_error *err)
{
	char *end;
	const char *v;

	crm_buf_reset(tmp);
	if (crm_conv_decimal(s, decimal, tmp, err) < 0)
		return -1;
	v = crm_buf_str(tmp);
	*out = strtod(v, &end);
	*pct = 0;
	while (*end == ' ')
		end++;
	if (*end == '%') {
		*pct = 1;
		*out /= 100;
		end++;
	}
	if (end == v || *end != '\0' || !isfinite(*out))
		return -1;
	return 0;
}

static int
bad(const struct crm_csv *r, const char *what, const char *v,
    struct crm_error *err)
{
	return crm_error_set(err, CRM_EDATA, "%s:%ld: %s '%s'",
	    crm_csv_name(r), crm_csv_line(r), what, v);
}

int
crm_product_import(struct crm_db *db, const char *path,
    struct crm_product_import *imp, struct crm_error *err)
{
	enum { SKU, NAME, CAT, COST, MARGIN, CUR, FROM, NC };
	static const struct crm_csv_col cc[NC] = {
		{ "sku", "product|product_id|artikelnummer|item|id" },
		{ "name", "product_name|bezeichnung|title" },
		{ "category", "kategorie|product_type|warengruppe" },
		{ "unit_cost", "cost|cost_price|einstandspreis|cogs" },
		{ "margin", "margin_pct|marge|gross_margin" },
		{ "currency", "waehrung|währung" },
		{ "valid_from", "from|gueltig_ab|gültig_ab|effective_date" },
	};
	struct crm_buf tmp = CRM_BUF_INIT(1 << 10);
	struct crm_stmt *st;
	struct crm_csv *r;
	int ci[NC], decimal, step, rc = -1, i;

	imp->read = imp->changed = 0;
	if ((r = crm_csv_open(path, 0, err)) == NULL)
		return -1;
	if (crm_csv_header(r, cc, NC, ci, err) < 0)
		goto done;
	decimal = imp->decimal ? imp->decimal :
	    crm_csv_delim(r) == ';' ? ',' : '.';
	if (ci[SKU] < 0 || (ci[COST] < 0 && ci[MARGIN] < 0)) {
		crm_error_set(err, CRM_EDATA, "%s: needs columns sku and"
		    " unit_cost or margin", crm_csv_name(r));
		goto done;
	}
	if ((st = crm_db_stmt(db, "INSERT INTO products (sku, name, category,"
	    " unit_cost, margin, currency, valid_from) VALUES (?1, ?2, ?3, ?4,"
	    " ?5, ?6, ?7) ON CONFLICT (sku, valid_from) DO UPDATE SET"
	    " name = excluded.name, category = excluded.category,"
	    " unit_cost = excluded.unit_cost, margin = excluded.margin,"
	    " currency = excluded.currency WHERE (products.name,"
	    " products.category, products.unit_cost, products.margin,"
	    " products.currency) IS DISTINCT FROM (excluded.name,"
	    " excluded.category, excluded.unit_cost, excluded.margin,"
	    " excluded.currency)",
	    err)) == NULL)
		goto done;
	while ((step = crm_csv_next(r, err)) == 1) {
		const char *v[NC];
		double cost = 0, margin = 0;
		int64_t day = 0;
		int pct, hc, hm;

		for (i = 0; i < NC; i++)
			v[i] = ci[i] >= 0 ? crm_csv_field(r, ci[i]) : "";
		if (*v[SKU] == '\0') {
			bad(r, "no sku", v[SKU], err);
			goto done;
		}
		hc = *v[COST] != '\0';
		hm = *v[MARGIN] != '\0';
		if (hc == hm) {
			bad(r, "give a unit cost or a margin, one of them",
			    v[SKU], err);
			goto done;
		}
		if (hc && (parse_num(v[COST], decimal, &tmp, &cost, &pct,
		    err) < 0 || pct || cost < 0)) {
			bad(r, "not a unit cost", v[COST], err);
			goto done;
		}
		if (hm && (parse_num(v[MARGIN], decimal, &tmp, &margin, &pct,
		    err) < 0 || margin >= 1 || (!pct && margin > 0 &&
		    strchr(v[MARGIN], '%') == NULL && margin >= 1))) {
			bad(r, "not a margin (0.35 or 35%)", v[MARGIN], err);
			goto done;
		}
		if (*v[CUR] && !crm_currency_valid(v[CUR])) {
			bad(r, "not a currency code", v[CUR], err);
			goto done;
		}
		if (*v[FROM] && crm_conv_day(v[FROM], &day) < 0) {
			bad(r, "not a date", v[FROM], err);
			goto done;
		}
		if (crm_db_bind_text(db, st, 1, v[SKU], err) < 0 ||
		    crm_db_bind_text(db, st, 2, *v[NAME] ? v[NAME] : NULL,
		    err) < 0 ||
		    crm_db_bind_text(db, st, 3, *v[CAT] ? v[CAT] : NULL,
		    err) < 0 ||
		    (hc ? crm_db_bind_double(db, st, 4, cost, err) :
		    crm_db_bind_null(db, st, 4, err)) < 0 ||
		    (hm ? crm_db_bind_double(db, st, 5, margin, err) :
		    crm_db_bind_null(db, st, 5, err)) < 0 ||
		    crm_db_bind_text(db, st, 6, *v[CUR] ? v[CUR] : NULL,
		    err) < 0 ||
		    crm_db_bind_int(db, st, 7, day, err) < 0 ||
		    crm_db_step(db, st, err) < 0)
			goto done;
		crm_db_reset(st);
		imp->read++;
		imp->changed += crm_db_changes(db);
	}
	if (step == 0)
		rc = 0;
done:
	crm_csv_close(r);
	crm_buf_release(&tmp);
	return rc;
}

/* In memory: rows sorted by key (sku, then name), then valid_from. */
struct prow {
	const char *key;
	int64_t from;		/* day */
	struct crm_product_cost pc;
};

struct crm_products {
	size_t n;
	struct prow *r;
	struct crm_buf arena;
	char *strs;
};

static int
cmp_prow(const void *a, const void *b)
{
	const struct prow *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return x->from < y->from ? -1 : x->from > y->from;
}

struct crm_products *
crm_products_load(struct crm_db *db, struct crm_error *err)
{
	struct crm_products *p = calloc(1, sizeof(*p));
	struct crm_stmt *st;
	size_t a = 0, i, k, *off = NULL;
	int step, j;

	if (p == NULL)
		goto oom0;
	p->arena = (struct crm_buf)CRM_BUF_INIT((size_t)1 << 30);
	if ((st = crm_db_stmt(db, "SELECT sku, name, category, unit_cost,"
	    " margin, currency, valid_from FROM products", err)) == NULL)
		goto fail;
	/* Strings as offsets first: the arena moves as it grows. */
	while ((step = crm_db_step(db, st, err)) == 1) {
		for (k = 0; k < 2; k++) {
			const char *key = crm_db_col_text(st, (int)k);

			if (key == NULL)
				continue;
			if (p->n + 1 > a) {
				size_t na = a ? 2 * a : 256;
				struct prow *q;
				size_t *o;

				if ((q = reallocarray(p->r, na,
				    sizeof(*q))) != NULL)
					p->r = q;
				if ((o = reallocarray(off, na * 6,
				    sizeof(*o))) != NULL)
					off = o;
				if (q == NULL || o == NULL) {
					crm_db_reset(st);
					goto oom;
				}
				a = na;
			}
			memset(&p->r[p->n], 0, sizeof(p->r[p->n]));
			for (j = 0; j < 6; j++) {
				int col = j == 0 ? (int)k : j == 1 ? 0 :
				    j == 2 ? 1 : j == 3 ? 2 : 5;
				const char *s = j < 5 ?
				    crm_db_col_text(st, col) : NULL;

				off[p->n * 6 + j] = (size_t)-1;
				if (s != NULL) {
					off[p->n * 6 + j] = p->arena.len;
					if (crm_buf_add(&p->arena, s,
					    strlen(s) + 1, err) < 0) {
						crm_db_reset(st);
						goto fail;
					}
				}
			}
			p->r[p->n].pc.has_cost = !crm_db_col_isnull(st, 3);
			p->r[p->n].pc.unit_cost = crm_db_col_double(st, 3);
			p->r[p->n].pc.margin = crm_db_col_double(st, 4);
			p->r[p->n].from = crm_db_col_int(st, 6);
			p->n++;
		}
	}
	if (step < 0)
		goto fail;
	for (i = 0; i < p->n; i++) {
		const char **f[5] = { &p->r[i].key, &p->r[i].pc.sku,
		    &p->r[i].pc.name, &p->r[i].pc.category,
		    &p->r[i].pc.currency };

		for (j = 0; j < 5; j++)
			*f[j] = off[i * 6 + j] == (size_t)-1 ? NULL :
			    p->arena.s + off[i * 6 + j];
	}
	free(off);
	if (p->n > 0)
		qsort(p->r, p->n, sizeof(*p->r), cmp_prow);
	return p;
oom:
	crm_error_set(err, CRM_EFAIL, "out of memory");
fail:
	free(off);
	crm_products_free(p);
	return NULL;
oom0:
	crm_error_set(err, CRM_EFAIL, "out of memory");
	return NULL;
}

void
crm_products_free(struct crm_products *p)
{
	if (p == NULL)
		return;
	free(p->r);
	crm_buf_release(&p->arena);
	free(p);
}

size_t
crm_products_count(const struct crm_products *p)
{
	return p ? p->n : 0;
}

int
crm_product_find(const struct crm_products *p, const char *product,
    int64_t at, struct crm_product_cost *pc)
{
	int64_t day = at / 86400 - (at % 86400 < 0);
	size_t l = 0, h, m;

	if (p == NULL || product == NULL || p->n == 0)
		return 0;
	/* The first row of key product whose valid_from is after day. */
	h = p->n;
	while (l < h) {
		int c;

		m = l + (h - l) / 2;
		c = strcmp(p->r[m].key, product);
		if (c < 0 || (c == 0 && p->r[m].from <= day))
			l = m + 1;
		else
			h = m;
	}
	if (l == 0 || strcmp(p->r[l - 1].key, product) != 0)
		return 0;
	*pc = p->r[l - 1].pc;
	return 1;
}

/* Costs */

struct crm_costs *
crm_costs_read(const char *path, struct crm_error *err)
{
	static const char *const whats[] = { "ticket", "channel",
	    "campaign_contact", "order", "acquisition", "call" };
	static const struct crm_csv_col cc[] = {
		{ "what", "item|type|cost_type|kostenart" },
		{ "key", "channel|source|campaign|name" },
		{ "cost", "amount|unit_cost|kosten|betrag" },
		{ "currency", "waehrung|währung" },
	};
	struct crm_buf tmp = CRM_BUF_INIT(1 << 10);
	struct crm_costs *c = calloc(1, sizeof(*c));
	struct crm_csv *r;
	int ci[4], decimal, step = -1;

	if (c == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	if ((r = crm_csv_open(path, 0, err)) == NULL)
		goto fail;
	if (crm_csv_header(r, cc, 4, ci, err) < 0)
		goto fail;
	if (ci[0] < 0 || ci[2] < 0) {
		crm_error_set(err, CRM_EDATA, "%s: needs columns what and"
		    " cost", crm_csv_name(r));
		goto fail;
	}
	decimal = crm_csv_delim(r) == ';' ? ',' : '.';
	while ((step = crm_csv_next(r, err)) == 1) {
		const char *w = crm_csv_field(r, ci[0]);
		const char *k = ci[1] >= 0 ? crm_csv_field(r, ci[1]) : "";
		const char *v = crm_csv_field(r, ci[2]);
		const char *cur = ci[3] >= 0 ? crm_csv_field(r, ci[3]) : "";
		struct crm_cost *q, *x;
		size_t i;
		int pct;

		for (i = 0; i < 6; i++)
			if (strcmp(w, whats[i]) == 0)
				break;
		if (i == 6) {
			bad(r, "not a cost (ticket, call, channel,"
			    " campaign_contact, order, acquisition)", w, err);
			goto fail;
		}
		if ((q = reallocarray(c->c, c->n + 1, sizeof(*q))) == NULL) {
			crm_error_set(err, CRM_EFAIL, "out of memory");
			goto fail;
		}
		c->c = q;
		x = &c->c[c->n];
		memset(x, 0, sizeof(*x));
		x->what = i == 5 ? CRM_COST_CHANNEL : (enum crm_cost_what)i;
		if (i == 5)
			k = "phone";
		if (parse_num(v, decimal, &tmp, &x->cost, &pct, err) < 0 ||
		    pct || x->cost < 0) {
			bad(r, "not a cost", v, err);
			goto fail;
		}
		if (*cur && !crm_currency_valid(cur)) {
			bad(r, "not a currency code", cur, err);
			goto fail;
		}
		snprintf(x->currency, sizeof(x->currency), "%s", cur);
		if (*k && (x->key = strdup(k)) == NULL) {
			crm_error_set(err, CRM_EFAIL, "out of memory");
			goto fail;
		}
		c->n++;
	}
	if (step < 0)
		goto fail;
	crm_csv_close(r);
	crm_buf_release(&tmp);
	return c;
fail:
	crm_csv_close(r);
	crm_buf_release(&tmp);
	crm_costs_free(c);
	return NULL;
}

void
crm_costs_free(struct crm_costs *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		free(c->c[i].key);
	free(c->c);
	free(c);
}

const struct crm_cost *
crm_costs_find(const struct crm_costs *c, enum crm_cost_what what,
    const char *key)
{
	const struct crm_cost *any = NULL;
	size_t i;

	if (c == NULL)
		return NULL;
	for (i = 0; i < c->n; i++) {
		if (c->c[i].what != what)
			continue;
		if (c->c[i].key == NULL)
			any = &c->c[i];
		else if (key != NULL && strcmp(c->c[i].key, key) == 0)
			return &c->c[i];
	}
	return any;
}
