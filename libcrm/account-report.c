/*
 * account-report.c - what accounts add up to: roll-ups over the
 * hierarchy, RFM per account, the partner report, export and the
 * combined timeline.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "account-int.h"
#include "norm.h"


struct acc {
	int64_t id, parent_id, partner_id;
	char *ext, *name, *type;
	int64_t parent;			/* index, -1 for none */
	struct crm_account_total t;
};

struct accs {
	struct acc *a;
	size_t n;
};

static void
accs_free(struct accs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->a[i].ext);
		free(s->a[i].name);
		free(s->a[i].type);
	}
	free(s->a);
	s->a = NULL;
	s->n = 0;
}

static int64_t
find(const struct accs *s, int64_t id)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->a[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n && s->a[lo].id == id ? (int64_t)lo : -1;
}

static char *
dupn(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* Every account not merged away, in id order, with parent indexes. */
static int
load(struct crm_db *db, struct accs *s, struct crm_error *err)
{
	struct crm_stmt *st;
	size_t alloc = 0, i;
	struct acc *na;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((st = crm_db_stmt(db, "SELECT id, parent_id, partner_id,"
	    " external_id, name, type FROM accounts WHERE merged_into IS NULL"
	    " ORDER BY id", err)) == NULL)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		struct acc *a;

		if (s->n == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			if ((na = reallocarray(s->a, alloc, sizeof(*na))) ==
			    NULL) {
				crm_db_reset(st);
				accs_free(s);
				return crm_error_set(err, CRM_EFAIL,
				    "out of memory");
			}
			s->a = na;
		}
		a = &s->a[s->n++];
		memset(a, 0, sizeof(*a));
		a->id = crm_db_col_int(st, 0);
		a->parent_id = crm_db_col_int(st, 1);
		a->partner_id = crm_db_col_int(st, 2);
		a->ext = dupn(crm_db_col_text(st, 3));
		a->name = dupn(crm_db_col_text(st, 4));
		a->type = dupn(crm_db_col_text(st, 5));
		if (a->name == NULL || (a->ext == NULL &&
		    !crm_db_col_isnull(st, 3)) || (a->type == NULL &&
		    !crm_db_col_isnull(st, 5))) {
			crm_db_reset(st);
			accs_free(s);
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		}
	}
	if (rc < 0) {
		accs_free(s);
		return -1;
	}
	for (i = 0; i < s->n; i++) {
		struct acc *a = &s->a[i];

		a->parent = a->parent_id ? find(s, a->parent_id) : -1;
		a->t.id = a->id;
		a->t.parent_id = a->parent >= 0 ? a->parent_id : 0;
		a->t.external_id = a->ext;
		a->t.name = a->name;
		a->t.type = a->type;
		a->t.open_deals = a->t.open_deals_all = -1;
	}
	return 0;
}

/* 1 if the deals and deal_stages tables (crm-deal) are there. */
static int
have_deals(struct crm_db *db, struct crm_error *err)
{
	int64_t n;

	if (crm_db_query_int(db, "SELECT count(*) FROM pragma_table_info("
	    "'deals') WHERE name = 'contact_id' OR name = 'stage_id' OR"
	    " name = 'amount' OR name = 'created_at'", &n, err) < 0)
		return -1;
	if (n != 4)
		return 0;
	if (crm_db_query_int(db, "SELECT count(*) FROM pragma_table_info("
	    "'deal_stages') WHERE name = 'outcome'", &n, err) < 0)
		return -1;
	return n == 1;
}

/*
 * The employment rows in memory, sorted by contact, and the contacts
 * that no longer count (erased, or merged into another).  The figures
 * come from one pass over each big table instead of a join, which
 * looked up every person's interactions through the index: ten times
 * the work at a million contacts.
 */
struct emp {
	int64_t contact, start, end;	/* end 0: current */
	int64_t acc;		/* index in accs, -1 if merged away */
};

struct emps {
	struct emp *e;
	size_t n;
	int64_t *gone;			/* sorted contact ids */
	size_t ngone;
	/*
	 * Contact ids are dense (INTEGER PRIMARY KEY from 1): the rows of
	 * contact c are e[start[c]] .. e[start[c + 1] - 1], found with no
	 * search, for c <= maxc.  NULL when the ids are too sparse for it;
	 * then a binary search finds them.
	 */
	uint32_t *start;
	int64_t maxc;
};

static int
cmp_emp(const void *x, const void *y)
{
	const struct emp *a = x, *b = y;

	if (a->contact != b->contact)
		return a->contact < b->contact ? -1 : 1;
	return a->start < b->start ? -1 : a->start > b->start;
}

static int
cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return a < b ? -1 : a > b;
}

static void
emps_free(struct emps *m)
{
	free(m->e);
	free(m->gone);
	free(m->start);
	memset(m, 0, sizeof(*m));
}

static int
grow(void *pp, size_t *alloc, size_t n, size_t size, struct crm_error *err)
{
	void *np;
	size_t a;

	if (n < *alloc)
		return 0;
	a = *alloc ? *alloc * 2 : 4096;
	if ((np = reallocarray(*(void **)pp, a, size)) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	*(void **)pp = np;
	*alloc = a;
	return 0;
}

/*
 * Sort the rows by contact: by counting into the start index when the
 * ids are dense enough (a tenth of the time of a sort at a million),
 * else with qsort.
 */
static int
emps_index(struct emps *m, struct crm_error *err)
{
	struct emp *sorted;
	int64_t maxc = 0, c;
	size_t i;
	uint32_t *pos;

	for (i = 0; i < m->n; i++)
		if (m->e[i].contact > maxc)
			maxc = m->e[i].contact;
	if (m->n == 0 || m->n >= UINT32_MAX || maxc < 0 ||
	    (uint64_t)maxc > 16 * (uint64_t)m->n + (1u << 20)) {
		if (m->n > 0)
			qsort(m->e, m->n, sizeof(*m->e), cmp_emp);
		return 0;
	}
	if ((m->start = calloc((size_t)maxc + 2, sizeof(*m->start))) == NULL ||
	    (sorted = malloc(m->n * sizeof(*sorted))) == NULL) {
		free(m->start);
		m->start = NULL;
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	}
	for (i = 0; i < m->n; i++)
		m->start[m->e[i].contact + 1]++;
	for (c = 1; c <= maxc + 1; c++)
		m->start[c] += m->start[c - 1];
	/* Place each row at its contact's next free slot, in load order. */
	if ((pos = malloc(((size_t)maxc + 1) * sizeof(*pos))) == NULL) {
		free(sorted);
		free(m->start);
		m->start = NULL;
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	}
	memcpy(pos, m->start, ((size_t)maxc + 1) * sizeof(*pos));
	for (i = 0; i < m->n; i++)
		sorted[pos[m->e[i].contact]++] = m->e[i];
	free(pos);
	free(m->e);
	m->e = sorted;
	m->maxc = maxc;
	return 0;
}

static int
emps_load(struct crm_db *db, const struct accs *s, struct emps *m,
    struct crm_error *err)
{
	static const char *const gone_sql[2] = {
	    "SELECT id FROM contacts WHERE erased_at IS NOT NULL",
	    "SELECT id FROM contacts WHERE merged_into IS NOT NULL" };
	struct crm_stmt *st;
	size_t alloc = 0, galloc = 0;
	int rc, k;

	memset(m, 0, sizeof(*m));
	if ((st = crm_db_stmt(db, "SELECT contact_id, account_id,"
	    " coalesce(started_at, -9223372036854775807), ended_at"
	    " FROM account_contacts", err)) == NULL)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		struct emp *e;

		if (grow(&m->e, &alloc, m->n, sizeof(*m->e), err) < 0) {
			crm_db_reset(st);
			goto fail;
		}
		e = &m->e[m->n++];
		e->contact = crm_db_col_int(st, 0);
		e->acc = find(s, crm_db_col_int(st, 1));
		e->start = crm_db_col_int(st, 2);
		e->end = crm_db_col_isnull(st, 3) ? 0 : crm_db_col_int(st, 3);
	}
	if (rc < 0 || emps_index(m, err) < 0)
		goto fail;
	for (k = 0; k < 2; k++) {
		if ((st = crm_db_stmt(db, gone_sql[k], err)) == NULL)
			goto fail;
		while ((rc = crm_db_step(db, st, err)) == 1) {
			if (grow(&m->gone, &galloc, m->ngone,
			    sizeof(*m->gone), err) < 0) {
				crm_db_reset(st);
				goto fail;
			}
			m->gone[m->ngone++] = crm_db_col_int(st, 0);
		}
		if (rc < 0)
			goto fail;
	}
	if (m->ngone > 0)
		qsort(m->gone, m->ngone, sizeof(*m->gone), cmp_i64);
	return 0;
fail:
	emps_free(m);
	return -1;
}

/* The first employment row of contact c, or m->n. */
static size_t
emps_first(const struct emps *m, int64_t c)
{
	size_t lo = 0, hi = m->n;

	if (m->start != NULL)
		return c >= 0 && c <= m->maxc && m->start[c] < m->start[c + 1] ?
		    m->start[c] : m->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (m->e[mid].contact < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
emps_gone(const struct emps *m, int64_t c)
{
	return m->ngone > 0 && bsearch(&c, m->gone, m->ngone,
	    sizeof(*m->gone), cmp_i64) != NULL;
}

/* The account (index) contact c worked at, at time t: -1 for none. */
static int64_t
emps_at(const struct emps *m, int64_t c, int64_t t)
{
	size_t i, end;

	if (m->start != NULL) {
		if (c < 0 || c > m->maxc)
			return -1;
		i = m->start[c];
		end = m->start[c + 1];
	} else {
		i = emps_first(m, c);
		for (end = i; end < m->n && m->e[end].contact == c; end++)
			;
	}
	for (; i < end; i++)
		if (t >= m->e[i].start && (m->e[i].end == 0 ||
		    t < m->e[i].end))
			return m->e[i].acc;
	return -1;
}

/* Own figures, then the subtree sums. */
static int
compute(struct crm_db *db, struct accs *s, int64_t asof,
    struct crm_error *err)
{
	struct crm_stmt *st;
	struct emps m;
	int64_t k, p, *np = NULL, *last = NULL;
	double *rev = NULL;
	size_t i;
	int rc, hops, deals;

	if (emps_load(db, s, &m, err) < 0)
		return -1;
	/* Sums in arrays of their own: the scan touches them at random. */
	if (s->n > 0 && ((np = calloc(s->n, sizeof(*np))) == NULL ||
	    (rev = calloc(s->n, sizeof(*rev))) == NULL ||
	    (last = calloc(s->n, sizeof(*last))) == NULL)) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto fail;
	}
	for (i = 0; i < m.n; i++)
		if (m.e[i].end == 0 && m.e[i].acc >= 0 &&
		    !emps_gone(&m, m.e[i].contact))
			s->a[m.e[i].acc].t.contacts++;
	/*
	 * A purchase counts for the account the buyer worked at when
	 * buying: a person who moved on leaves the old purchases behind.
	 */
	if ((st = crm_db_stmt(db, "SELECT contact_id, at, amount FROM"
	    " interactions WHERE kind = 'purchase' AND (?1 = 0 OR at < ?1)",
	    err)) == NULL || crm_db_bind_int(db, st, 1, asof, err) < 0)
		goto fail;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		int64_t t = crm_db_col_int(st, 1);

		if ((k = emps_at(&m, crm_db_col_int(st, 0), t)) < 0)
			continue;
		np[k]++;
		rev[k] += crm_db_col_double(st, 2);
		if (t > last[k])
			last[k] = t;
	}
	if (rc < 0 || (deals = have_deals(db, err)) < 0)
		goto fail;
	for (i = 0; i < s->n; i++) {
		s->a[i].t.purchases = np[i];
		s->a[i].t.revenue = rev[i];
		s->a[i].t.last_purchase = last[i];
	}
	if (deals) {
		for (i = 0; i < s->n; i++)
			s->a[i].t.open_deals = s->a[i].t.open_deals_all = 0;
		if ((st = crm_db_stmt(db, "SELECT d.contact_id, d.created_at,"
		    " d.amount FROM deals d JOIN deal_stages g ON"
		    " g.id = d.stage_id WHERE g.outcome = 'open' AND"
		    " d.contact_id IS NOT NULL", err)) == NULL)
			goto fail;
		while ((rc = crm_db_step(db, st, err)) == 1)
			if ((k = emps_at(&m, crm_db_col_int(st, 0),
			    crm_db_col_int(st, 1))) >= 0) {
				s->a[k].t.open_deals++;
				s->a[k].t.open_value +=
				    crm_db_col_double(st, 2);
			}
		if (rc < 0)
			goto fail;
	}
	emps_free(&m);
	free(np);
	free(rev);
	free(last);
	for (i = 0; i < s->n; i++) {
		struct crm_account_total *t = &s->a[i].t;

		t->contacts_all += t->contacts;
		t->purchases_all += t->purchases;
		t->revenue_all += t->revenue;
		if (t->last_purchase > t->last_all)
			t->last_all = t->last_purchase;
		if (deals) {
			t->open_deals_all += t->open_deals;
			t->open_value_all += t->open_value;
		}
		for (p = s->a[i].parent, hops = 0; p >= 0 && hops < MAX_DEPTH;
		    p = s->a[p].parent, hops++) {
			struct crm_account_total *u = &s->a[p].t;

			u->contacts_all += t->contacts;
			u->purchases_all += t->purchases;
			u->revenue_all += t->revenue;
			if (t->last_purchase > u->last_all)
				u->last_all = t->last_purchase;
			if (deals) {
				u->open_deals_all += t->open_deals;
				u->open_value_all += t->open_value;
			}
		}
		t->depth = hops;
	}
	return 0;
fail:
	emps_free(&m);
	free(np);
	free(rev);
	free(last);
	return -1;
}

int
crm_account_rollup_each(struct crm_db *db, int64_t asof,
    int (*fn)(void *arg, const struct crm_account_total *t,
    struct crm_error *err), void *arg, struct crm_error *err)
{
	struct accs s;
	size_t i;
	int rc = -1;

	if (crm_db_begin_read(db, err) < 0)
		return -1;
	if (load(db, &s, err) < 0) {
		crm_db_rollback(db);
		return -1;
	}
	if (compute(db, &s, asof, err) < 0)
		goto done;
	for (i = 0; i < s.n; i++)
		if (fn(arg, &s.a[i].t, err) < 0)
			goto done;
	rc = 0;
done:
	crm_db_rollback(db);
	accs_free(&s);
	return rc;
}

static void
fmt_int(char *b, size_t n, int64_t v)
{
	snprintf(b, n, "%lld", (long long)v);
}

static void
fmt_money(char *b, size_t n, double v)
{
	snprintf(b, n, "%.2f", fabs(v) < 0.005 ? 0.0 : v);
}

static const char *
fmt_date(char *b, int64_t t)
{
	if (t == 0)
		return NULL;
	crm_format_date(t, b);
	return b;
}

struct rollup_out {
	struct crm_out *o;
	int deals;
	int header;
};

static int
rollup_row(void *arg, const struct crm_account_total *t,
    struct crm_error *err)
{
	static const char *const names[] = { "id", "external_id", "name",
	    "type", "parent_id", "depth", "contacts", "contacts_total",
	    "purchases", "purchases_total", "revenue", "revenue_total",
	    "last_purchase", "last_purchase_total", "open_deals",
	    "open_deals_total", "open_value_total" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM };
	struct rollup_out *ro = arg;
	char b[17][32];
	const char *v[17];

	if (!ro->header) {
		ro->header = 1;
		return crm_out_header(ro->o, names, types, ro->deals ? 17 : 14,
		    err);
	}
	fmt_int(b[0], 32, t->id);
	v[0] = b[0];
	v[1] = t->external_id;
	v[2] = t->name;
	v[3] = t->type;
	fmt_int(b[4], 32, t->parent_id);
	v[4] = t->parent_id ? b[4] : NULL;
	fmt_int(b[5], 32, t->depth);
	v[5] = b[5];
	fmt_int(b[6], 32, t->contacts);
	v[6] = b[6];
	fmt_int(b[7], 32, t->contacts_all);
	v[7] = b[7];
	fmt_int(b[8], 32, t->purchases);
	v[8] = b[8];
	fmt_int(b[9], 32, t->purchases_all);
	v[9] = b[9];
	fmt_money(b[10], 32, t->revenue);
	v[10] = b[10];
	fmt_money(b[11], 32, t->revenue_all);
	v[11] = b[11];
	v[12] = fmt_date(b[12], t->last_purchase);
	v[13] = fmt_date(b[13], t->last_all);
	fmt_int(b[14], 32, t->open_deals);
	v[14] = b[14];
	fmt_int(b[15], 32, t->open_deals_all);
	v[15] = b[15];
	fmt_money(b[16], 32, t->open_value_all);
	v[16] = b[16];
	return crm_out_row(ro->o, v, err);
}

int
crm_account_rollup(struct crm_db *db, int64_t asof, struct crm_out *o,
    struct crm_error *err)
{
	struct rollup_out ro = { o, 0, 0 };

	if ((ro.deals = have_deals(db, err)) < 0 ||
	    rollup_row(&ro, NULL, err) < 0 ||
	    crm_account_rollup_each(db, asof, rollup_row, &ro, err) < 0)
		return -1;
	return 0;
}

/* RFM. */

static int
cmp_dbl(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

/* How many of the n sorted values are strictly below v. */
static size_t
below(const double *v, size_t n, double x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
score(const double *sorted, size_t n, double x)
{
	return 1 + (int)(5 * below(sorted, n, x) / n);
}

int
crm_account_rfm(struct crm_db *db, const struct crm_rfm_opts *opts,
    int roots, struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "id", "external_id", "name",
	    "recency", "frequency", "monetary", "r", "f", "m", "rfm",
	    "segment" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_TEXT, CRM_COL_TEXT };
	const struct crm_rfm_map *map = opts->map != NULL ? opts->map :
	    crm_rfm_default_map();
	double *rv = NULL, *fv = NULL, *mv = NULL;
	int64_t asof_end, asof_day;
	struct accs s;
	size_t i, nb = 0, j;
	int rc = -1;

	/* Purchases up to the end of the as-of day, as crm_rfm(). */
	asof_day = opts->asof / 86400 - (opts->asof % 86400 < 0);
	asof_end = (asof_day + 1) * 86400;
	if (crm_db_begin_read(db, err) < 0)
		return -1;
	if (load(db, &s, err) < 0) {
		crm_db_rollback(db);
		return -1;
	}
	if (compute(db, &s, asof_end, err) < 0)
		goto done;
	if (s.n && ((rv = calloc(s.n, sizeof(*rv))) == NULL ||
	    (fv = calloc(s.n, sizeof(*fv))) == NULL ||
	    (mv = calloc(s.n, sizeof(*mv))) == NULL)) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	/* Scores compare "worse": more days, fewer purchases, less money. */
	for (i = 0; i < s.n; i++) {
		const struct crm_account_total *t = &s.a[i].t;

		if ((roots && t->parent_id) || t->purchases_all == 0)
			continue;
		rv[nb] = -(double)(asof_day - (t->last_all / 86400));
		fv[nb] = (double)t->purchases_all;
		mv[nb] = opts->monetary_avg ? t->revenue_all /
		    (double)t->purchases_all : t->revenue_all;
		nb++;
	}
	qsort(rv, nb, sizeof(*rv), cmp_dbl);
	qsort(fv, nb, sizeof(*fv), cmp_dbl);
	qsort(mv, nb, sizeof(*mv), cmp_dbl);
	if (crm_out_header(o, names, types, 11, err) < 0)
		goto done;
	for (i = 0; i < s.n; i++) {
		const struct crm_account_total *t = &s.a[i].t;
		char b[11][48];
		const char *v[11];
		int r = 0, f = 0, m = 0, fm;
		double mon;
		const char *seg = "No purchases";

		if (roots && t->parent_id)
			continue;
		fmt_int(b[0], 48, t->id);
		v[0] = b[0];
		v[1] = t->external_id;
		v[2] = t->name;
		for (j = 3; j < 10; j++)
			v[j] = NULL;
		if (t->purchases_all > 0) {
			int64_t rec = asof_day - t->last_all / 86400;

			mon = opts->monetary_avg ? t->revenue_all /
			    (double)t->purchases_all : t->revenue_all;
			r = score(rv, nb, -(double)rec);
			f = score(fv, nb, (double)t->purchases_all);
			m = score(mv, nb, mon);
			fm = (f + m + 1) / 2;
			for (j = 0; j < map->n; j++)
				if (r >= map->rules[j].rlo &&
				    r <= map->rules[j].rhi &&
				    fm >= map->rules[j].fmlo &&
				    fm <= map->rules[j].fmhi) {
					seg = map->rules[j].name;
					break;
				}
			fmt_int(b[3], 48, rec);
			fmt_int(b[4], 48, t->purchases_all);
			fmt_money(b[5], 48, mon);
			fmt_int(b[6], 48, r);
			fmt_int(b[7], 48, f);
			fmt_int(b[8], 48, m);
			snprintf(b[9], 48, "%d%d%d", r, f, m);
			for (j = 3; j < 10; j++)
				v[j] = b[j];
		}
		v[10] = seg;
		if (crm_out_row(o, v, err) < 0)
			goto done;
	}
	rc = 0;
done:
	crm_db_rollback(db);
	free(rv);
	free(fv);
	free(mv);
	accs_free(&s);
	return rc;
}

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
crm_account_partners(struct crm_db *db, struct crm_out *o,
    struct crm_error *err)
{
	static const char *const names[] = { "partner_id", "external_id",
	    "name", "type", "accounts", "contacts", "customers", "revenue",
	    "deals_won", "deals_lost", "win_rate", "won_value" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM };
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
	if (load(db, &s, err) < 0) {
		crm_db_rollback(db);
		return -1;
	}
	if ((deals = have_deals(db, err)) < 0 || emps_load(db, &s, &m,
	    err) < 0)
		goto done;
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
			    (p = find(&s, s.a[k].partner_id)) >= 0) {
				eff[i] = p;
				break;
			}
		if (s.a[i].partner_id && (p = find(&s, s.a[i].partner_id)) >= 0)
			ps[p].accounts++;
	}
	/* Who brought each contact: its account's partner ... */
	for (i = 0; i < m.n; i++) {
		if (m.e[i].end != 0 || m.e[i].acc < 0 ||
		    eff[m.e[i].acc] < 0 || emps_gone(&m, m.e[i].contact) ||
		    (nbr > 0 && br[nbr - 1].contact == m.e[i].contact))
			continue;
		if (grow(&br, &abr, nbr, sizeof(*br), err) < 0)
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
		if ((p = find(&s, crm_db_col_int(st, 1))) < 0 ||
		    emps_gone(&m, c))
			continue;
		if ((x = brought_find(br, j, c)) != NULL) {
			x->partner = p;
			continue;
		}
		if (grow(&br, &abr, nbr, sizeof(*br), err) < 0) {
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
	if (crm_out_header(o, names, types, deals ? 12 : 8, err) < 0)
		goto done;
	for (i = 0; i < s.n; i++) {
		const char *t = s.a[i].type;
		char b[12][32];
		const char *v[12];

		if (t == NULL || (strcmp(t, "reseller") != 0 &&
		    strcmp(t, "agency") != 0 && strcmp(t, "referrer") != 0 &&
		    strcmp(t, "affiliate") != 0))
			continue;
		fmt_int(b[0], 32, s.a[i].id);
		v[0] = b[0];
		v[1] = s.a[i].ext;
		v[2] = s.a[i].name;
		v[3] = t;
		fmt_int(b[4], 32, ps[i].accounts);
		v[4] = b[4];
		fmt_int(b[5], 32, ps[i].contacts);
		v[5] = b[5];
		fmt_int(b[6], 32, ps[i].customers);
		v[6] = b[6];
		fmt_money(b[7], 32, ps[i].revenue);
		v[7] = b[7];
		fmt_int(b[8], 32, ps[i].won);
		v[8] = b[8];
		fmt_int(b[9], 32, ps[i].lost);
		v[9] = b[9];
		v[10] = NULL;
		if (ps[i].won + ps[i].lost > 0) {
			snprintf(b[10], 32, "%.4f", (double)ps[i].won /
			    (double)(ps[i].won + ps[i].lost));
			v[10] = b[10];
		}
		fmt_money(b[11], 32, ps[i].won_value);
		v[11] = b[11];
		if (crm_out_row(o, v, err) < 0)
			goto done;
	}
	rc = 0;
done:
	crm_db_rollback(db);
	emps_free(&m);
	free(br);
	free(ps);
	free(eff);
	accs_free(&s);
	return rc;
}

/* Export. */

struct xcol {
	const char *name, *expr;
	enum crm_coltype type;
};

static const struct xcol xcols[] = {
	{ "id", "a.id", CRM_COL_NUM },
	{ "external_id", "a.external_id", CRM_COL_TEXT },
	{ "name", "a.name", CRM_COL_TEXT },
	{ "domain", "a.domain", CRM_COL_TEXT },
	{ "industry", "a.industry", CRM_COL_TEXT },
	{ "size", "a.size", CRM_COL_TEXT },
	{ "country", "a.country", CRM_COL_TEXT },
	{ "owner", "a.owner", CRM_COL_TEXT },
	{ "type", "a.type", CRM_COL_TEXT },
	{ "parent", "(SELECT coalesce(p.external_id, '#' || p.id) FROM"
	    " accounts p WHERE p.id = a.parent_id)", CRM_COL_TEXT },
	{ "partner", "(SELECT coalesce(p.external_id, '#' || p.id) FROM"
	    " accounts p WHERE p.id = a.partner_id)", CRM_COL_TEXT },
	{ "contacts", "(SELECT count(*) FROM account_contacts ac JOIN"
	    " contacts c ON c.id = ac.contact_id WHERE ac.account_id = a.id"
	    " AND ac.ended_at IS NULL AND c.erased_at IS NULL)",
	    CRM_COL_NUM },
	{ "sole_trader", "a.person_id IS NOT NULL", CRM_COL_BOOL },
	{ "name_key", "a.name_key", CRM_COL_TEXT },
	{ "attrs", "a.attrs", CRM_COL_JSON },
	{ "merged_into", "a.merged_into", CRM_COL_NUM },
	{ "created_at", "strftime('%Y-%m-%dT%H:%M:%SZ', a.created_at,"
	    " 'unixepoch')", CRM_COL_TEXT },
	{ "updated_at", "strftime('%Y-%m-%dT%H:%M:%SZ', a.updated_at,"
	    " 'unixepoch')", CRM_COL_TEXT },
};

#define NXCOL (sizeof(xcols) / sizeof(xcols[0]))
#define NDEFAULT 12	/* id .. contacts */

const char crm_account_columns[] = "id,external_id,name,domain,industry,"
    "size,country,owner,type,parent,partner,contacts,sole_trader,name_key,"
    "attrs,merged_into,created_at,updated_at";

#define MAX_XCOLS 64

int
crm_account_export(struct crm_db *db, struct crm_out *o, const char *columns,
    const struct crm_account_filter *f, int64_t *count,
    struct crm_error *err)
{
	struct crm_buf sql = CRM_BUF_INIT(1 << 20);
	const char *names[MAX_XCOLS], *vals[MAX_XCOLS];
	enum crm_coltype types[MAX_XCOLS];
	char *attr[MAX_XCOLS], *list = NULL, *tok, *save = NULL;
	struct crm_stmt *st = NULL;
	size_t n = 0, i;
	int rc = -1;

	memset(attr, 0, sizeof(attr));
	*count = 0;
	if (columns == NULL)
		for (i = 0; i < NDEFAULT; i++) {
			names[n] = xcols[i].name;
			types[n++] = xcols[i].type;
		}
	else if ((list = strdup(columns)) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	for (tok = list ? strtok_r(list, ",", &save) : NULL; tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (n == MAX_XCOLS) {
			crm_error_set(err, CRM_EUSAGE, "too many columns");
			goto done;
		}
		if (strncmp(tok, "attr.", 5) == 0 && tok[5] != '\0') {
			names[n] = tok;
			types[n] = CRM_COL_TEXT;
			attr[n++] = tok + 5;
			continue;
		}
		for (i = 0; i < NXCOL; i++)
			if (strcmp(tok, xcols[i].name) == 0)
				break;
		if (i == NXCOL) {
			crm_error_set(err, CRM_EUSAGE, "unknown column '%s'"
			    " (%s, attr.NAME)", tok, crm_account_columns);
			goto done;
		}
		names[n] = xcols[i].name;
		types[n++] = xcols[i].type;
	}
	if (n == 0) {
		crm_error_set(err, CRM_EUSAGE, "no columns");
		goto done;
	}
	if (crm_buf_adds(&sql, "SELECT ", err) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		size_t k;

		if (i > 0 && crm_buf_adds(&sql, ", ", err) < 0)
			goto done;
		if (attr[i] != NULL) {
			/* The attribute's name is bound, not pasted. */
			if (crm_buf_addf(&sql, err, "json_extract(a.attrs,"
			    " '$.\"' || replace(?%zu, '\"', '\\\"') || '\"')",
			    i + 5) < 0)
				goto done;
			continue;
		}
		for (k = 0; k < NXCOL; k++)
			if (strcmp(names[i], xcols[k].name) == 0)
				break;
		if (crm_buf_adds(&sql, xcols[k].expr, err) < 0)
			goto done;
	}
	if (crm_buf_adds(&sql, " FROM accounts a WHERE (?1 IS NOT NULL OR"
	    " a.merged_into IS NULL)"
	    " AND (?2 IS NULL OR a.type = ?2 OR (?2 = 'partner' AND"
	    " (a.type = 'reseller' OR a.type = 'agency' OR a.type = 'referrer'"
	    " OR a.type = 'affiliate')))"
	    " AND (?3 IS NULL OR a.owner = ?3) AND (?4 IS NULL OR"
	    " a.country = ?4) ORDER BY a.id", err) < 0 ||
	    (st = crm_db_prepare(db, crm_buf_str(&sql), err)) == NULL)
		goto done;
	if ((f->include_merged ? crm_db_bind_int(db, st, 1, 1, err) :
	    crm_db_bind_null(db, st, 1, err)) < 0 ||
	    crm_db_bind_text(db, st, 2, f->type, err) < 0 ||
	    crm_db_bind_text(db, st, 3, f->owner, err) < 0 ||
	    crm_db_bind_text(db, st, 4, f->country, err) < 0)
		goto done;
	for (i = 0; i < n; i++)
		if (attr[i] != NULL && crm_db_bind_text(db, st, (int)i + 5,
		    attr[i], err) < 0)
			goto done;
	if (crm_out_header(o, names, types, n, err) < 0)
		goto done;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		for (i = 0; i < n; i++)
			vals[i] = crm_db_col_text(st, (int)i);
		if (crm_out_row(o, vals, err) < 0) {
			rc = -1;
			break;
		}
		(*count)++;
	}
	if (rc < 0)
		goto done;
	rc = 0;
done:
	crm_db_finalize(st);
	crm_buf_release(&sql);
	free(list);
	return rc;
}

int
crm_account_show(struct crm_db *db, int64_t id,
    const struct crm_log_filter *f, struct crm_out *o,
    struct crm_error *err)
{
	static const char *const names[] = { "at", "account", "contact",
	    "title", "channel", "kind", "direction", "amount", "currency",
	    "product", "subject", "status", "ref" };
	static const enum crm_coltype types[] = { CRM_COL_TEXT, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_TEXT, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_TEXT };
	const char *vals[13];
	struct crm_stmt *st;
	int rc, i;

	if ((st = crm_db_stmt(db, "WITH RECURSIVE t(id) AS (VALUES (?1)"
	    " UNION SELECT a.id FROM accounts a JOIN t ON a.parent_id = t.id"
	    " WHERE a.merged_into IS NULL)"
	    " SELECT strftime('%Y-%m-%dT%H:%M:%SZ', i.at, 'unixepoch'),"
	    " a.name, coalesce(c.email, c.external_id, '#' || c.id),"
	    " ac.title, i.channel, i.kind, i.direction,"
	    " CASE WHEN i.amount IS NOT NULL THEN printf('%.2f', i.amount)"
	    " END, i.currency, i.product, i.subject, i.status, i.ref"
	    " FROM t JOIN accounts a ON a.id = t.id"
	    " JOIN account_contacts ac ON ac.account_id = t.id"
	    " JOIN contacts c ON c.id = ac.contact_id"
	    " JOIN interactions i ON i.contact_id = c.id"
	    " AND (ac.started_at IS NULL OR i.at >= ac.started_at)"
	    " AND (ac.ended_at IS NULL OR i.at < ac.ended_at)"
	    " WHERE c.erased_at IS NULL"
	    " AND (?3 IS NULL OR i.channel = ?3) AND (?4 IS NULL OR"
	    " i.kind = ?4) AND (?5 IS NULL OR i.at >= ?5) AND (?6 IS NULL OR"
	    " i.at < ?6)"
	    " ORDER BY i.at DESC, i.id DESC LIMIT ?2", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, f->limit > 0 ? f->limit : -1,
	    err) < 0 ||
	    crm_db_bind_text(db, st, 3, f->channel, err) < 0 ||
	    crm_db_bind_text(db, st, 4, f->kind, err) < 0 ||
	    (f->since ? crm_db_bind_int(db, st, 5, f->since, err) :
	    crm_db_bind_null(db, st, 5, err)) < 0 ||
	    (f->until ? crm_db_bind_int(db, st, 6, f->until, err) :
	    crm_db_bind_null(db, st, 6, err)) < 0 ||
	    crm_out_header(o, names, types, 13, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		for (i = 0; i < 13; i++)
			vals[i] = crm_db_col_text(st, i);
		if (crm_out_row(o, vals, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	return rc < 0 ? -1 : 0;
}

#define PEOPLE_COLS "SELECT c.id, c.external_id, c.email, c.first_name," \
	" c.last_name, ac.account_id, a.name, ac.role, ac.title," \
	" CASE WHEN ac.started_at IS NOT NULL THEN" \
	" strftime('%Y-%m-%d', ac.started_at, 'unixepoch') END"

int
crm_account_people(struct crm_db *db, int64_t id, int partner,
    struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "id", "external_id", "email",
	    "first_name", "last_name", "account_id", "account", "role",
	    "title", "since" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_NUM,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_TEXT };
	const char *vals[10];
	struct crm_stmt *st;
	int rc, i;

	/*
	 * A contact's partner: its own, else that of its account or of the
	 * account's nearest parent with one (chain walks up to it).
	 */
	st = partner ? crm_db_stmt(db, "WITH RECURSIVE"
	    " chain(id, cur, d) AS (SELECT id, id, 0 FROM accounts"
	    "  WHERE merged_into IS NULL UNION ALL SELECT chain.id,"
	    "  a.parent_id, d + 1 FROM chain JOIN accounts a ON a.id = chain.cur"
	    "  WHERE a.partner_id IS NULL AND a.parent_id IS NOT NULL"
	    "  AND d < 64),"
	    " eff(id, partner) AS (SELECT chain.id, a.partner_id FROM chain"
	    "  JOIN accounts a ON a.id = chain.cur"
	    "  WHERE a.partner_id IS NOT NULL) "
	    PEOPLE_COLS " FROM contacts c LEFT JOIN account_contacts ac ON"
	    " ac.id = (SELECT min(x.id) FROM account_contacts x WHERE"
	    " x.contact_id = c.id AND x.ended_at IS NULL)"
	    " LEFT JOIN accounts a ON a.id = ac.account_id"
	    " LEFT JOIN eff ON eff.id = ac.account_id"
	    " WHERE c.erased_at IS NULL AND c.merged_into IS NULL"
	    " AND coalesce((SELECT cp.partner_id FROM contact_partners cp"
	    " WHERE cp.contact_id = c.id ORDER BY cp.set_at, cp.id LIMIT 1),"
	    " eff.partner) = ?1 ORDER BY c.id",
	    err) : crm_db_stmt(db, "WITH RECURSIVE t(id) AS (VALUES (?1)"
	    " UNION SELECT a.id FROM accounts a JOIN t ON a.parent_id = t.id"
	    " WHERE a.merged_into IS NULL) "
	    PEOPLE_COLS " FROM t JOIN account_contacts ac ON"
	    " ac.account_id = t.id AND ac.ended_at IS NULL"
	    " JOIN accounts a ON a.id = t.id"
	    " JOIN contacts c ON c.id = ac.contact_id"
	    " WHERE c.erased_at IS NULL AND c.merged_into IS NULL"
	    " ORDER BY c.id", err);
	if (st == NULL || crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_out_header(o, names, types, 10, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		for (i = 0; i < 10; i++)
			vals[i] = crm_db_col_text(st, i);
		if (crm_out_row(o, vals, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	return rc < 0 ? -1 : 0;
}
