/*
 * account-rollup.c - what accounts add up to: every account and its
 * people in memory, the purchases and open deals of each, summed over
 * the hierarchy; the roll-up report.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "account-int.h"
#include "mem.h"
#include "norm.h"

void
account_accs_free(struct accs *s)
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

int64_t
account_find(const struct accs *s, int64_t id)
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

void
account_walk_up(struct accs *s, void (*add)(void *arg, size_t to,
    size_t from), void *arg)
{
	int64_t p;
	size_t i;
	int hops;

	for (i = 0; i < s->n; i++) {
		add(arg, i, i);
		for (p = s->a[i].parent, hops = 0; p >= 0 && hops < MAX_DEPTH;
		    p = s->a[p].parent, hops++)
			add(arg, (size_t)p, i);
		s->a[i].t.depth = hops;
	}
}

static char *
dupn(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* Every account not merged away, in id order, with parent indexes. */
int
account_load(struct crm_db *db, struct accs *s, struct crm_error *err)
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
				account_accs_free(s);
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
			account_accs_free(s);
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		}
	}
	if (rc < 0) {
		account_accs_free(s);
		return -1;
	}
	for (i = 0; i < s->n; i++) {
		struct acc *a = &s->a[i];

		a->parent = a->parent_id ? account_find(s, a->parent_id) : -1;
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
int
account_have_deals(struct crm_db *db, struct crm_error *err)
{
	int64_t n;

	/* Every PostgreSQL database is at the current schema, which has both. */
	if (crm_db_is_pg(db))
		return 1;
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

void
account_emps_free(struct emps *m)
{
	free(m->e);
	free(m->gone);
	free(m->start);
	free(m->rev);
	memset(m, 0, sizeof(*m));
}

int
account_grow(void *pp, size_t *alloc, size_t n, size_t size,
    struct crm_error *err)
{
	void *np;
	size_t a;

	if (n < *alloc)
		return 0;
	a = *alloc ? *alloc * 2 : 4096;
	if ((np = reallocarray(*(void **)pp, a, size)) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	*(void **)pp = crm_big(np, a, size);
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
	if ((m->start = crm_big_calloc((size_t)maxc + 2,
	    sizeof(*m->start))) == NULL || (sorted = crm_big(malloc(m->n *
	    sizeof(*sorted)), m->n, sizeof(*sorted))) == NULL) {
		free(m->start);
		m->start = NULL;
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	}
	for (i = 0; i < m->n; i++)
		m->start[m->e[i].contact + 1]++;
	for (c = 1; c <= maxc + 1; c++)
		m->start[c] += m->start[c - 1];
	/* Place each row at its contact's next free slot, in load order. */
	if ((pos = crm_big(malloc(((size_t)maxc + 1) * sizeof(*pos)),
	    (size_t)maxc + 1, sizeof(*pos))) == NULL) {
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

int
account_emps_load(struct crm_db *db, const struct accs *s, struct emps *m,
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

		if (account_grow(&m->e, &alloc, m->n, sizeof(*m->e), err) < 0) {
			crm_db_reset(st);
			goto fail;
		}
		e = &m->e[m->n++];
		e->contact = crm_db_col_int(st, 0);
		e->acc = account_find(s, crm_db_col_int(st, 1));
		e->start = crm_db_col_int(st, 2);
		e->end = crm_db_col_isnull(st, 3) ? 0 : crm_db_col_int(st, 3);
	}
	if (rc < 0 || emps_index(m, err) < 0)
		goto fail;
	for (k = 0; k < 2; k++) {
		if ((st = crm_db_stmt(db, gone_sql[k], err)) == NULL)
			goto fail;
		while ((rc = crm_db_step(db, st, err)) == 1) {
			if (account_grow(&m->gone, &galloc, m->ngone,
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
	account_emps_free(m);
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

int
account_emps_gone(const struct emps *m, int64_t c)
{
	return m->ngone > 0 && bsearch(&c, m->gone, m->ngone,
	    sizeof(*m->gone), cmp_i64) != NULL;
}

/* The account (index) contact c worked at, at time t: -1 for none. */
int64_t
account_emps_at(const struct emps *m, int64_t c, int64_t t)
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

/* A purchase: who, when, how much. */
struct buy {
	int64_t contact, at;
	double amount;
};

/*
 * Put v (n purchases) in buyer order, keeping the table order among one
 * buyer's: a radix sort on the contact id, 11 bits a pass, as many
 * passes as the largest id needs (two up to two million contacts).
 * Each pass reads its input once in order and writes to 2,048 places
 * at a time, which the cache keeps up with; *v may be swapped for the
 * sorted copy.
 */
static int
buys_sort(struct buy **v, size_t n, struct crm_error *err)
{
	struct buy *a = *v, *b, *t;
	uint64_t maxc = 0;
	size_t i, cnt[2048], sum, c;
	int shift;

	for (i = 0; i < n; i++)
		if ((uint64_t)a[i].contact > maxc)
			maxc = (uint64_t)a[i].contact;
	if (n < 2 || maxc == 0)
		return 0;
	if ((b = crm_big(malloc(n * sizeof(*b)), n, sizeof(*b))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	for (shift = 0; shift < 64 && (maxc >> shift) != 0; shift += 11) {
		memset(cnt, 0, sizeof(cnt));
		for (i = 0; i < n; i++)
			cnt[((uint64_t)a[i].contact >> shift) & 2047]++;
		for (c = 0, sum = 0; c < 2048; c++) {
			size_t x = cnt[c];

			cnt[c] = sum;
			sum += x;
		}
		for (i = 0; i < n; i++)
			b[cnt[((uint64_t)a[i].contact >> shift) & 2047]++] =
			    a[i];
		t = a;
		a = b;
		b = t;
	}
	free(b);
	*v = a;
	return 0;
}

/* The subtree sums: from's own figures into to's totals. */
static void
total_add(void *arg, size_t to, size_t from)
{
	struct accs *s = arg;
	const struct crm_account_total *t = &s->a[from].t;
	struct crm_account_total *u = &s->a[to].t;

	u->contacts_all += t->contacts;
	u->purchases_all += t->purchases;
	u->revenue_all += t->revenue;
	if (t->last_purchase > u->last_all)
		u->last_all = t->last_purchase;
}

static void
total_add_deals(void *arg, size_t to, size_t from)
{
	struct accs *s = arg;

	total_add(arg, to, from);
	s->a[to].t.open_deals_all += s->a[from].t.open_deals;
	s->a[to].t.open_value_all += s->a[from].t.open_value;
}

/* Own figures, then the subtree sums. */
int
account_compute(struct crm_db *db, struct accs *s, int64_t asof,
    struct emps *keep, struct crm_error *err)
{
	struct crm_stmt *st;
	struct emps m;
	struct buy *buys = NULL;
	int64_t k, *np = NULL, *last = NULL;
	double *rev = NULL;
	size_t i, j, nbuys = 0, nalloc = 0;
	int rc, deals;

	if (account_emps_load(db, s, &m, err) < 0)
		return -1;
	if (keep != NULL && m.n > 0 && (m.rev = crm_big_calloc(m.n,
	    sizeof(*m.rev))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto fail;
	}
	/* Sums in arrays of their own: the scan touches them at random. */
	if (s->n > 0 && ((np = calloc(s->n, sizeof(*np))) == NULL ||
	    (rev = calloc(s->n, sizeof(*rev))) == NULL ||
	    (last = calloc(s->n, sizeof(*last))) == NULL)) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto fail;
	}
	for (i = 0; i < m.n; i++)
		if (m.e[i].end == 0 && m.e[i].acc >= 0 &&
		    !account_emps_gone(&m, m.e[i].contact))
			s->a[m.e[i].acc].t.contacts++;
	/*
	 * A purchase counts for the account the buyer worked at when
	 * buying: a person who moved on leaves the old purchases behind.
	 * The purchases come in table order, their buyers at random: read
	 * them into memory, put them in buyer order and walk them beside
	 * the employment rows (also in buyer order), instead of a lookup
	 * per purchase that misses the cache twice.
	 */
	if ((st = crm_db_stmt(db, "SELECT contact_id, at, amount FROM"
	    " interactions WHERE kind = 'purchase' AND (?1 = 0 OR at < ?1)",
	    err)) == NULL || crm_db_bind_int(db, st, 1, asof, err) < 0)
		goto fail;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		if (account_grow(&buys, &nalloc, nbuys, sizeof(*buys),
		    err) < 0) {
			crm_db_reset(st);
			goto fail;
		}
		buys[nbuys].contact = crm_db_col_int(st, 0);
		buys[nbuys].at = crm_db_col_int(st, 1);
		buys[nbuys++].amount = crm_db_col_double(st, 2);
	}
	if (rc < 0 || buys_sort(&buys, nbuys, err) < 0)
		goto fail;
	for (i = 0, j = 0; i < nbuys; i++) {
		const struct buy *b = &buys[i];
		size_t e;

		while (j < m.n && m.e[j].contact < b->contact)
			j++;
		for (e = j, k = -1; e < m.n && m.e[e].contact == b->contact;
		    e++)
			if (b->at >= m.e[e].start && (m.e[e].end == 0 ||
			    b->at < m.e[e].end)) {
				k = m.e[e].acc;
				break;
			}
		if (k < 0)
			continue;
		if (m.rev != NULL)
			m.rev[e] += b->amount;
		np[k]++;
		rev[k] += b->amount;
		if (b->at > last[k])
			last[k] = b->at;
	}
	free(buys);
	buys = NULL;
	if (rc < 0 || (deals = account_have_deals(db, err)) < 0)
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
			if ((k = account_emps_at(&m, crm_db_col_int(st, 0),
			    crm_db_col_int(st, 1))) >= 0) {
				s->a[k].t.open_deals++;
				s->a[k].t.open_value +=
				    crm_db_col_double(st, 2);
			}
		if (rc < 0)
			goto fail;
	}
	if (keep != NULL)
		*keep = m;
	else
		account_emps_free(&m);
	free(np);
	free(rev);
	free(last);
	account_walk_up(s, deals ? total_add_deals : total_add, s);
	return 0;
fail:
	account_emps_free(&m);
	free(buys);
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
	if (account_load(db, &s, err) < 0) {
		crm_db_rollback(db);
		return -1;
	}
	if (account_compute(db, &s, asof, NULL, err) < 0)
		goto done;
	for (i = 0; i < s.n; i++)
		if (fn(arg, &s.a[i].t, err) < 0)
			goto done;
	rc = 0;
done:
	crm_db_rollback(db);
	account_accs_free(&s);
	return rc;
}

void
account_fmt_int(char *b, size_t n, int64_t v)
{
	snprintf(b, n, "%lld", (long long)v);
}

void
account_fmt_money(char *b, size_t n, double v)
{
	snprintf(b, n, "%.2f", fabs(v) < 0.005 ? 0.0 : v);
}

const char *
account_fmt_date(char *b, int64_t t)
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
	account_fmt_int(b[0], 32, t->id);
	v[0] = b[0];
	v[1] = t->external_id;
	v[2] = t->name;
	v[3] = t->type;
	account_fmt_int(b[4], 32, t->parent_id);
	v[4] = t->parent_id ? b[4] : NULL;
	account_fmt_int(b[5], 32, t->depth);
	v[5] = b[5];
	account_fmt_int(b[6], 32, t->contacts);
	v[6] = b[6];
	account_fmt_int(b[7], 32, t->contacts_all);
	v[7] = b[7];
	account_fmt_int(b[8], 32, t->purchases);
	v[8] = b[8];
	account_fmt_int(b[9], 32, t->purchases_all);
	v[9] = b[9];
	account_fmt_money(b[10], 32, t->revenue);
	v[10] = b[10];
	account_fmt_money(b[11], 32, t->revenue_all);
	v[11] = b[11];
	v[12] = account_fmt_date(b[12], t->last_purchase);
	v[13] = account_fmt_date(b[13], t->last_all);
	account_fmt_int(b[14], 32, t->open_deals);
	v[14] = b[14];
	account_fmt_int(b[15], 32, t->open_deals_all);
	v[15] = b[15];
	account_fmt_money(b[16], 32, t->open_value_all);
	v[16] = b[16];
	return crm_out_row(ro->o, v, err);
}

int
crm_account_rollup(struct crm_db *db, int64_t asof, struct crm_out *o,
    struct crm_error *err)
{
	struct rollup_out ro = { o, 0, 0 };

	if ((ro.deals = account_have_deals(db, err)) < 0 ||
	    rollup_row(&ro, NULL, err) < 0 ||
	    crm_account_rollup_each(db, asof, rollup_row, &ro, err) < 0)
		return -1;
	return 0;
}

/* RFM. */
