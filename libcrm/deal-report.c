/*
 * deal-report.c - the analyses of deals: the pipeline as of a date,
 * stage probabilities learnt from history, the statistics and the
 * funnel.  Every one reads the deals (and, when it needs them, their
 * history in one pass) into memory, aggregates in C and hands typed rows
 * to a callback; the writers at the end format them.  The forecast is in
 * deal-forecast.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deal-int.h"
#include "mem.h"
#include "norm.h"

/* ------------------------------------------------------------------ */
/* Interned strings: owners, sources, currencies as small integers. */

void
deal_strtab_release(struct deal_strtab *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->s[i]);
	free(t->s);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

static uint64_t
strhash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The id of s (0 for NULL), adding it when new; -1 on ENOMEM. */
int
deal_intern(struct deal_strtab *t, const char *s, struct crm_error *err)
{
	size_t i, k;
	uint64_t h;

	if (s == NULL)
		return 0;
	if (t->n + 1 >= t->nslot / 2) {
		size_t ns = t->nslot ? 2 * t->nslot : 64;
		int *p = malloc(ns * sizeof(*p));

		if (p == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		for (i = 0; i < ns; i++)
			p[i] = -1;
		for (i = 0; i < t->n; i++) {
			k = strhash(t->s[i]) & (ns - 1);
			while (p[k] >= 0)
				k = (k + 1) & (ns - 1);
			p[k] = (int)i;
		}
		free(t->slot);
		t->slot = p;
		t->nslot = ns;
	}
	h = strhash(s);
	for (k = h & (t->nslot - 1); t->slot[k] >= 0; k = (k + 1) &
	    (t->nslot - 1))
		if (strcmp(t->s[t->slot[k]], s) == 0)
			return t->slot[k] + 1;
	if (t->n == t->a) {
		size_t na = t->a ? 2 * t->a : 64;
		char **p = reallocarray(t->s, na, sizeof(*p));

		if (p == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		t->s = p;
		t->a = na;
	}
	if ((t->s[t->n] = strdup(s)) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	t->slot[k] = (int)t->n;
	return (int)++t->n;
}

int
deal_strtab_has(const struct deal_strtab *t, const char *s)
{
	size_t k;

	if (t->nslot == 0)
		return 0;
	for (k = strhash(s) & (t->nslot - 1); t->slot[k] >= 0; k = (k + 1) &
	    (t->nslot - 1))
		if (strcmp(t->s[t->slot[k]], s) == 0)
			return 1;
	return 0;
}

const char *
deal_str(const struct deal_strtab *t, int id)
{
	return id <= 0 ? NULL : t->s[id - 1];
}

/* ------------------------------------------------------------------ */
/* Deals in memory */

void
deal_set_release(struct deal_set *ds)
{
	free(ds->d);
	free(ds->index);
	deal_strtab_release(&ds->str);
	deal_stages_release(&ds->stages);
	memset(ds, 0, sizeof(*ds));
}

static int
grow(struct deal_set *ds, struct crm_error *err)
{
	size_t na = ds->a ? 2 * ds->a : 1024;
	struct deal_row *p = reallocarray(ds->d, na, sizeof(*p));

	if (p == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	ds->d = crm_big(p, na, sizeof(*p));
	ds->a = na;
	return 0;
}

void
deal_apply(struct deal_set *ds, struct deal_row *r, const struct deal_hrow *h)
{
	const struct deal_stage *sg = deal_stage_by_id(&ds->stages, h->to);
	int idx;

	if (sg == NULL)
		return;
	idx = ds->stages.by_id[h->to];
	if (r->stage < 0 || h->from_null || h->from != h->to ||
	    r->stage != idx) {
		if (r->stage >= 0 && r->stage != idx) {
			r->stay_stage = r->stage;
			r->stay_days = (double)(h->at - r->stage_at) / 86400;
			if (ds->on_stay != NULL)
				ds->on_stay(ds->stay_arg, r);
		}
		r->stage = idx;
		r->stage_at = h->at;
	}
	if (sg->position < 64)
		r->entered |= (uint64_t)1 << sg->position;
	if (sg->outcome != OUT_LOST && sg->position > r->maxpos)
		r->maxpos = sg->position;
	r->has_amount = h->has_amount;
	r->amount = h->amount;
	r->has_close = h->has_close;
	r->close_date = h->close;
	r->changed_at = h->at;
}

/* The furthest position r entered, lost stages excepted. */
static void
set_maxpos(const struct deal_set *ds, struct deal_row *r)
{
	const struct deal_stage *sg;
	size_t s;

	r->maxpos = 0;
	if (r->stage < 0 || r->entered == 0)
		return;
	sg = &ds->stages.v[r->stage];
	for (s = 0; s < ds->stages.n; s++) {
		const struct deal_stage *x = &ds->stages.v[s];

		if (x->pipeline == sg->pipeline && x->outcome != OUT_LOST &&
		    x->position < 64 && x->position > r->maxpos &&
		    (r->entered & ((uint64_t)1 << x->position)))
			r->maxpos = x->position;
	}
}

/*
 * The columns the analyses read, with owner and source only when a
 * report groups by them, and pipeline_id only to choose one: SQLite
 * decodes every column a statement names, for every row.
 */
static const char *const sql_deals[4] = {
	"SELECT id, stage_id, amount, currency, probability, close_at,"
	" created_at, stage_at, closed_at, changed_at, entered FROM deals",
	"SELECT id, stage_id, amount, currency, probability, close_at,"
	" created_at, stage_at, closed_at, changed_at, entered, owner, source"
	" FROM deals",
	"SELECT id, stage_id, amount, currency, probability, close_at,"
	" created_at, stage_at, closed_at, changed_at, entered FROM deals"
	" WHERE pipeline_id = ?1",
	"SELECT id, stage_id, amount, currency, probability, close_at,"
	" created_at, stage_at, closed_at, changed_at, entered, owner, source"
	" FROM deals WHERE pipeline_id = ?1",
};

int
deal_set_read(struct crm_db *db, struct deal_set *ds, const char *pipeline,
    struct crm_error *err)
{
	struct crm_stmt *st;
	struct deal_row *r;
	const char *cur, *last = NULL;
	int64_t maxid = 0, pid = 0;
	int rc, c, lastc = 0;

	/* Read through a memory map: no copy of each page into the cache. */
	if (crm_db_map_reads(db, err) < 0 ||
	    deal_stages_load(db, &ds->stages, err) < 0)
		return -1;
	if (pipeline != NULL &&
	    (pid = deal_pipeline_id(&ds->stages, pipeline)) == 0)
		return crm_error_set(err, CRM_EUSAGE, "no pipeline '%s'",
		    pipeline);
	/* Room for every deal at once: ids are dense, max(id) is a lookup. */
	if (crm_db_query_int(db, "SELECT coalesce(max(id), 0) FROM deals",
	    &maxid, err) < 0)
		return -1;
	if (maxid > 0 && (ds->d = crm_big(reallocarray(NULL, (size_t)maxid,
	    sizeof(*ds->d)), (size_t)maxid, sizeof(*ds->d))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	ds->a = (size_t)maxid;
	maxid = 0;
	if ((st = crm_db_stmt(db, sql_deals[(pid != 0) * 2 + !!ds->owners],
	    err)) == NULL || (pid != 0 && crm_db_bind_int(db, st, 1, pid,
	    err) < 0))
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		if (ds->n == ds->a && grow(ds, err) < 0)
			goto fail;
		r = &ds->d[ds->n];
		memset(r, 0, sizeof(*r));
		r->id = crm_db_col_int(st, 0);
		r->stage = ds->stages.by_id[crm_db_col_int(st, 1)];
		r->has_amount = !crm_db_col_isnull(st, 2);
		r->amount = crm_db_col_double(st, 2);
		r->prob = crm_db_col_isnull(st, 4) ? NAN :
		    crm_db_col_double(st, 4);
		r->has_close = !crm_db_col_isnull(st, 5);
		r->close_date = crm_db_col_int(st, 5);
		/* Most deals share a currency with the one before. */
		cur = crm_db_col_text(st, 3);
		if (cur != NULL && last != NULL && lastc > 0 &&
		    strcmp(cur, last) == 0)
			c = lastc;
		else if ((c = deal_intern(&ds->str, cur, err)) < 0)
			goto fail;
		last = deal_str(&ds->str, c);
		lastc = c;
		r->currency = c;
		if (ds->owners) {
			if ((c = deal_intern(&ds->str, crm_db_col_text(st, 11),
			    err)) < 0)
				goto fail;
			r->owner = c;
			if ((c = deal_intern(&ds->str, crm_db_col_text(st, 12),
			    err)) < 0)
				goto fail;
			r->source = c;
		}
		r->created_at = crm_db_col_int(st, 6);
		r->stage_at = crm_db_col_int(st, 7);
		r->closed_at = crm_db_col_int(st, 8);
		r->changed_at = crm_db_col_int(st, 9);
		r->last_change = r->changed_at;
		r->entered = (uint64_t)crm_db_col_int(st, 10);
		set_maxpos(ds, r);
		if (r->id > maxid)
			maxid = r->id;
		ds->n++;
	}
	if (rc < 0)
		return -1;
	ds->maxid = maxid;
	return 0;
fail:
	crm_db_reset(st);
	return -1;
}

int
deal_set_index(struct deal_set *ds, struct crm_error *err)
{
	int64_t id;

	if (ds->index == NULL && (ds->index = crm_big(malloc(
	    (size_t)(ds->maxid + 1) * sizeof(int)), (size_t)ds->maxid + 1,
	    sizeof(int))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	for (id = 0; id <= ds->maxid; id++)
		ds->index[id] = -1;
	return 0;
}

/*
 * The history in id order (each deal's rows in time order), lo <= at <=
 * hi; stage changes only (and each deal's first row) when stages_only,
 * without the amount and close date.
 */
static const char *const sql_history[3] = {
	"SELECT deal_id, at, stage_from, stage_to, amount_to, close_to"
	" FROM deal_history WHERE at >= ?1 AND at <= ?2 ORDER BY id",
	"SELECT deal_id, at, stage_from, stage_to FROM deal_history"
	" WHERE (stage_from IS NULL OR stage_from <> stage_to)"
	" AND at >= ?1 AND at <= ?2 ORDER BY id",
	"SELECT deal_id, at, stage_from, stage_to FROM deal_history"
	" WHERE stage_from IS NULL OR stage_from <> stage_to ORDER BY id",
};

int
deal_history_scan(struct crm_db *db, struct deal_set *ds, int64_t lo,
    int64_t hi, int stages_only,
    int (*fn)(void *arg, size_t i, const struct deal_hrow *h), void *arg,
    struct crm_error *err)
{
	struct deal_hrow h;
	struct crm_stmt *st;
	int64_t id;
	int k = !stages_only ? 0 : lo == INT64_MIN && hi == INT64_MAX ? 2 : 1;
	int rc;

	memset(&h, 0, sizeof(h));
	if ((st = crm_db_stmt(db, sql_history[k], err)) == NULL ||
	    (k < 2 && (crm_db_bind_int(db, st, 1, lo, err) < 0 ||
	    crm_db_bind_int(db, st, 2, hi, err) < 0)))
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		id = crm_db_col_int(st, 0);
		if (id > ds->maxid || id < 0 || ds->index[id] < 0)
			continue;
		h.at = crm_db_col_int(st, 1);
		h.from_null = crm_db_col_isnull(st, 2);
		h.from = crm_db_col_int(st, 2);
		h.to = crm_db_col_int(st, 3);
		if (!stages_only) {
			h.has_amount = !crm_db_col_isnull(st, 4);
			h.amount = crm_db_col_double(st, 4);
			h.has_close = !crm_db_col_isnull(st, 5);
			h.close = crm_db_col_int(st, 5);
		}
		if ((rc = fn(arg, (size_t)ds->index[id], &h)) != 0) {
			crm_db_reset(st);
			return rc;
		}
	}
	return rc < 0 ? -1 : 0;
}

void
deal_fix_closed(const struct deal_set *ds, struct deal_row *r)
{
	if (r->stage < 0)
		return;
	if (ds->stages.v[r->stage].outcome == OUT_OPEN)
		r->closed_at = 0;
	else if (r->changed_at != r->last_change || r->closed_at == 0)
		r->closed_at = r->stage_at;
}

static int
load_apply(void *arg, size_t i, const struct deal_hrow *h)
{
	struct deal_set *ds = arg;

	deal_apply(ds, &ds->d[i], h);
	return 0;
}

int
deal_set_load(struct crm_db *db, struct deal_set *ds, int64_t as_of,
    int with_history, const char *pipeline, struct crm_error *err)
{
	struct deal_row *r;
	int64_t lo = INT64_MAX;
	size_t i, nflux = 0;

	(void)with_history;
	ds->as_of = as_of;
	if (deal_set_read(db, ds, pipeline, err) < 0)
		return -1;
	/*
	 * The history is read only for what the deals table cannot say:
	 * the stays in each stage (the funnel), and the state as of a past
	 * date of the deals changed since (a deal unchanged since then is
	 * as it was; one made later is left out).
	 */
	if (ds->on_stay == NULL && as_of == 0)
		return 0;
	if (deal_set_index(ds, err) < 0)
		return -1;
	for (i = 0; i < ds->n; i++) {
		r = &ds->d[i];
		if (as_of != 0 && r->created_at > as_of) {
			r->stage = -1;
			continue;
		}
		if (ds->on_stay == NULL && r->changed_at <= as_of)
			continue;
		/* Rebuilt from the history. */
		ds->index[r->id] = (int)i;
		r->stage = -1;
		r->entered = 0;
		r->maxpos = 0;
		if (r->created_at < lo)
			lo = r->created_at;
		nflux++;
	}
	/*
	 * A deal's history starts at its creation (the import dates its
	 * first row created_at and never writes an older one after it), so
	 * rows before the oldest rebuilt deal was made are left out by
	 * SQLite with one column read; so are rows after the date.
	 */
	if (nflux > 0 && (ds->on_stay != NULL ?
	    deal_history_scan(db, ds, INT64_MIN, INT64_MAX, 1, load_apply, ds,
	    err) : deal_history_scan(db, ds, lo, as_of, 0, load_apply, ds,
	    err)) != 0)
		return -1;
	/* Closed as of the date: when it entered its closing stage, unless
	 * that is the stored state (which may name its own close time). */
	for (i = 0; i < ds->n; i++)
		deal_fix_closed(ds, &ds->d[i]);
	return 0;
}

double
deal_prob(const struct deal_set *ds, const struct deal_row *r)
{
	return isnan(r->prob) ? ds->stages.v[r->stage].prob : r->prob;
}

/* ------------------------------------------------------------------ */
/* Groups: a key (an interned id, a stage index or a period) and a
 * currency, in a small open-addressing table. */

void
deal_groups_release(struct deal_groups *g)
{
	free(g->v);
	free(g->slot);
	memset(g, 0, sizeof(*g));
}

struct deal_group *
deal_group(struct deal_groups *g, int64_t key, int currency,
    struct crm_error *err)
{
	uint64_t h;
	size_t k, i;

	if (g->n + 1 >= g->nslot / 2) {
		size_t ns = g->nslot ? 2 * g->nslot : 64;
		int *p = malloc(ns * sizeof(*p));

		if (p == NULL) {
			crm_error_set(err, CRM_EFAIL, "out of memory");
			return NULL;
		}
		for (i = 0; i < ns; i++)
			p[i] = -1;
		for (i = 0; i < g->n; i++) {
			h = (uint64_t)g->v[i].key * 0x9e3779b97f4a7c15ULL ^
			    (uint64_t)g->v[i].currency * 0xc2b2ae3d27d4eb4fULL;
			for (k = (h >> 17) & (ns - 1); p[k] >= 0;
			    k = (k + 1) & (ns - 1))
				;
			p[k] = (int)i;
		}
		free(g->slot);
		g->slot = p;
		g->nslot = ns;
	}
	h = (uint64_t)key * 0x9e3779b97f4a7c15ULL ^
	    (uint64_t)currency * 0xc2b2ae3d27d4eb4fULL;
	for (k = (h >> 17) & (g->nslot - 1); g->slot[k] >= 0;
	    k = (k + 1) & (g->nslot - 1)) {
		struct deal_group *x = &g->v[g->slot[k]];

		if (x->key == key && x->currency == currency)
			return x;
	}
	if (g->n == g->a) {
		size_t na = g->a ? 2 * g->a : 64;
		struct deal_group *p = reallocarray(g->v, na, sizeof(*p));

		if (p == NULL) {
			crm_error_set(err, CRM_EFAIL, "out of memory");
			return NULL;
		}
		g->v = p;
		g->a = na;
	}
	memset(&g->v[g->n], 0, sizeof(g->v[g->n]));
	g->v[g->n].key = key;
	g->v[g->n].currency = currency;
	g->slot[k] = (int)g->n;
	return &g->v[g->n++];
}

struct deal_group *
deal_group_find(struct deal_groups *g, int64_t key, int currency)
{
	uint64_t h;
	size_t k;

	if (g->nslot == 0)
		return NULL;
	h = (uint64_t)key * 0x9e3779b97f4a7c15ULL ^
	    (uint64_t)currency * 0xc2b2ae3d27d4eb4fULL;
	for (k = (h >> 17) & (g->nslot - 1); g->slot[k] >= 0;
	    k = (k + 1) & (g->nslot - 1)) {
		struct deal_group *x = &g->v[g->slot[k]];

		if (x->key == key && x->currency == currency)
			return x;
	}
	return NULL;
}

/* Order groups by the sort key a caller filled in (sk), then currency. */
static const struct deal_strtab *sort_str;

static int
cmp_group(const void *pa, const void *pb)
{
	const struct deal_group *a = pa, *b = pb;
	const char *ca, *cb;
	int c;

	if (a->sk != b->sk)
		return a->sk < b->sk ? -1 : 1;
	if (a->sname != NULL || b->sname != NULL) {
		c = strcmp(a->sname ? a->sname : "", b->sname ? b->sname : "");
		if (c != 0)
			return c;
	}
	ca = deal_str(sort_str, a->currency);
	cb = deal_str(sort_str, b->currency);
	return strcmp(ca ? ca : "", cb ? cb : "");
}

void
deal_groups_sort(struct deal_groups *g, const struct deal_strtab *str)
{
	sort_str = str;
	if (g->n > 1)
		qsort(g->v, g->n, sizeof(*g->v), cmp_group);
}

/* ------------------------------------------------------------------ */
/* Calendar */

static void
civil(int64_t t, int *y, int *m, int *d)
{
	int64_t z = deal_day(t) / 86400 + 719468, era, doe, yoe, doy, mp;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int64_t
deal_period_start(int64_t t, int by)
{
	int y, m, d;

	civil(t, &y, &m, &d);
	if (by == CRM_DEAL_BY_QUARTER)
		m = (m - 1) / 3 * 3 + 1;
	return crm_days_from_civil(y, m, 1) * 86400;
}

int64_t
deal_period_next(int64_t start, int by)
{
	int y, m, d;

	civil(start, &y, &m, &d);
	m += by == CRM_DEAL_BY_QUARTER ? 3 : 1;
	if (m > 12) {
		m -= 12;
		y++;
	}
	return crm_days_from_civil(y, m, 1) * 86400;
}

void
deal_period_label(int64_t start, int by, char out[32])
{
	int y, m, d;

	civil(start, &y, &m, &d);
	if (by == CRM_DEAL_BY_QUARTER)
		snprintf(out, 32, "%04d-Q%d", y, (m - 1) / 3 + 1);
	else
		snprintf(out, 32, "%04d-%02d", y, m);
}

int
crm_deal_by_parse(const char *s)
{
	static const char *const names[] = { "stage", "owner", "month",
	    "quarter", "source", "total" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* The pipeline */

int
crm_deal_pipeline_each(struct crm_db *db,
    const struct crm_deal_pipeline_opts *opts,
    int (*fn)(void *arg, const struct crm_deal_pipeline_row *row), void *arg,
    struct crm_error *err)
{
	struct deal_set ds;
	struct deal_groups g;
	struct crm_deal_pipeline_row row;
	int64_t asof = opts->as_of ? opts->as_of : crm_now(), today, key, sk;
	const char *sname;
	char label[32];
	size_t i;
	int rc = -1;

	memset(&ds, 0, sizeof(ds));
	memset(&g, 0, sizeof(g));
	if (opts->by != CRM_DEAL_BY_STAGE && opts->by != CRM_DEAL_BY_OWNER &&
	    opts->by != CRM_DEAL_BY_MONTH) {
		crm_error_set(err, CRM_EUSAGE, "the pipeline is by stage, owner"
		    " or month");
		goto done;
	}
	ds.owners = opts->by == CRM_DEAL_BY_OWNER;
	if (deal_set_load(db, &ds, opts->as_of, 0, opts->pipeline, err) < 0)
		goto done;
	today = deal_day(asof);
	for (i = 0; i < ds.n; i++) {
		struct deal_row *r = &ds.d[i];
		const struct deal_stage *sg;
		struct deal_group *x;

		if (r->stage < 0)
			continue;
		sg = &ds.stages.v[r->stage];
		if (sg->outcome != OUT_OPEN)
			continue;
		sname = NULL;
		if (opts->by == CRM_DEAL_BY_STAGE) {
			key = r->stage;
			sk = r->stage;
		} else if (opts->by == CRM_DEAL_BY_OWNER) {
			key = r->owner;
			sk = 0;
			sname = deal_str(&ds.str, r->owner);
		} else {
			key = r->has_close ? deal_period_start(r->close_date,
			    CRM_DEAL_BY_MONTH) : INT64_MIN;
			sk = key;
		}
		if ((x = deal_group(&g, key, r->currency, err)) == NULL)
			goto done;
		x->sk = sk;
		x->sname = sname;
		x->count++;
		x->amount += r->has_amount ? r->amount : 0;
		x->weighted += (r->has_amount ? r->amount : 0) *
		    deal_prob(&ds, r);
		x->days += (double)(asof - r->stage_at) / 86400;
		if (opts->stale_days > 0 &&
		    asof - r->changed_at >= opts->stale_days * 86400)
			x->stale++;
		if (r->has_close && r->close_date < today)
			x->overdue++;
	}
	deal_groups_sort(&g, &ds.str);
	for (i = 0; i < g.n; i++) {
		struct deal_group *x = &g.v[i];

		memset(&row, 0, sizeof(row));
		if (opts->by == CRM_DEAL_BY_STAGE) {
			const struct deal_stage *sg = &ds.stages.v[x->key];

			row.pipeline = sg->pipeline_name;
			row.key = sg->name;
			row.position = sg->position;
			row.probability = sg->prob;
		} else if (opts->by == CRM_DEAL_BY_OWNER) {
			row.key = x->sname ? x->sname : "";
		} else {
			label[0] = '\0';
			if (x->key != INT64_MIN)
				deal_period_label(x->key, CRM_DEAL_BY_MONTH,
				    label);
			row.key = label;
		}
		row.currency = deal_str(&ds.str, x->currency);
		row.count = x->count;
		row.amount = x->amount;
		row.weighted = x->weighted;
		row.age_days = x->days / (double)x->count;
		row.stale = x->stale;
		row.overdue = x->overdue;
		if ((rc = fn(arg, &row)) != 0)
			goto done;
	}
	rc = 0;
done:
	deal_groups_release(&g);
	deal_set_release(&ds);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Learnt probabilities */

/*
 * For each stage (index into ds->stages), the closed deals that entered
 * it and the won among them; n and won have ds->stages.n entries.
 */
void
deal_learn_one(const struct deal_set *ds, const struct deal_row *r,
    int64_t *n, int64_t *won)
{
	size_t s;
	int outc;

	if (r->stage < 0 ||
	    (outc = ds->stages.v[r->stage].outcome) == OUT_OPEN)
		return;
	for (s = 0; s < ds->stages.n; s++) {
		const struct deal_stage *sg = &ds->stages.v[s];

		if (sg->pipeline != ds->stages.v[r->stage].pipeline ||
		    sg->position >= 64 ||
		    !(r->entered & ((uint64_t)1 << sg->position)))
			continue;
		n[s]++;
		won[s] += outc == OUT_WON;
	}
}

void
deal_learn(const struct deal_set *ds, int64_t *n, int64_t *won)
{
	size_t i;

	memset(n, 0, ds->stages.n * sizeof(*n));
	memset(won, 0, ds->stages.n * sizeof(*won));
	for (i = 0; i < ds->n; i++)
		deal_learn_one(ds, &ds->d[i], n, won);
}

int
crm_deal_probabilities_each(struct crm_db *db, const char *pipeline,
    double confidence,
    int (*fn)(void *arg, const struct crm_deal_stage_prob *p), void *arg,
    struct crm_error *err)
{
	struct deal_set ds;
	struct crm_deal_stage_prob p;
	int64_t *n = NULL, *won = NULL;
	size_t s;
	int rc = -1;

	memset(&ds, 0, sizeof(ds));
	if (deal_set_load(db, &ds, 0, 1, pipeline, err) < 0)
		goto done;
	if ((n = calloc(ds.stages.n + 1, sizeof(*n))) == NULL ||
	    (won = calloc(ds.stages.n + 1, sizeof(*won))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	deal_learn(&ds, n, won);
	for (s = 0; s < ds.stages.n; s++) {
		const struct deal_stage *sg = &ds.stages.v[s];

		if (pipeline != NULL &&
		    strcasecmp(sg->pipeline_name, pipeline) != 0)
			continue;
		memset(&p, 0, sizeof(p));
		p.pipeline = sg->pipeline_name;
		p.stage = sg->name;
		p.n = n[s];
		p.won = won[s];
		p.configured = sg->prob;
		p.learnt = p.low = p.high = sg->prob;
		if (n[s] > 0) {
			p.learnt = (double)won[s] / (double)n[s];
			if (crm_stats_wilson((unsigned long)won[s],
			    (unsigned long)n[s], confidence, &p.low, &p.high,
			    err) < 0)
				goto done;
		}
		if ((rc = fn(arg, &p)) != 0)
			goto done;
	}
	rc = 0;
done:
	free(n);
	free(won);
	deal_set_release(&ds);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Statistics and the funnel */

static int64_t
group_key(const struct deal_row *r, int by)
{
	return by == CRM_DEAL_BY_OWNER ? r->owner :
	    by == CRM_DEAL_BY_SOURCE ? r->source : 0;
}

int
crm_deal_stats_each(struct crm_db *db, const struct crm_deal_stats_opts *opts,
    int (*fn)(void *arg, const struct crm_deal_stats_row *row), void *arg,
    struct crm_error *err)
{
	struct deal_set ds;
	struct deal_groups g;
	struct crm_deal_stats_row row;
	size_t i;
	int rc = -1;

	memset(&ds, 0, sizeof(ds));
	memset(&g, 0, sizeof(g));
	if (opts->by != CRM_DEAL_BY_TOTAL && opts->by != CRM_DEAL_BY_OWNER &&
	    opts->by != CRM_DEAL_BY_SOURCE) {
		crm_error_set(err, CRM_EUSAGE, "statistics are by total, owner"
		    " or source");
		goto done;
	}
	ds.owners = 1;
	if (deal_set_load(db, &ds, 0, 0, opts->pipeline, err) < 0)
		goto done;
	for (i = 0; i < ds.n; i++) {
		struct deal_row *r = &ds.d[i];
		struct deal_group *x;
		int outc = ds.stages.v[r->stage].outcome;
		double a = r->has_amount ? r->amount : 0;

		if (outc == OUT_OPEN || (opts->since && r->closed_at <
		    opts->since) || (opts->until && r->closed_at >= opts->until))
			continue;
		if ((x = deal_group(&g, group_key(r, opts->by), r->currency,
		    err)) == NULL)
			goto done;
		x->sname = deal_str(&ds.str, (int)x->key);
		if (outc == OUT_WON) {
			x->won++;
			x->won_amount += a;
			x->days += (double)(r->closed_at - r->created_at) /
			    86400;
		} else {
			x->lost++;
			x->lost_amount += a;
		}
	}
	deal_groups_sort(&g, &ds.str);
	for (i = 0; i < g.n; i++) {
		struct deal_group *x = &g.v[i];

		memset(&row, 0, sizeof(row));
		row.key = opts->by == CRM_DEAL_BY_TOTAL ? NULL :
		    x->sname ? x->sname : "";
		row.currency = deal_str(&ds.str, x->currency);
		row.won = x->won;
		row.lost = x->lost;
		row.win_rate = (double)x->won / (double)(x->won + x->lost);
		row.won_amount = x->won_amount;
		row.lost_amount = x->lost_amount;
		row.value_win_rate = x->won_amount + x->lost_amount > 0 ?
		    x->won_amount / (x->won_amount + x->lost_amount) : NAN;
		row.avg_won = x->won ? x->won_amount / (double)x->won : NAN;
		row.cycle_days = x->won ? x->days / (double)x->won : NAN;
		if ((rc = fn(arg, &row)) != 0)
			goto done;
	}
	rc = 0;
done:
	deal_groups_release(&g);
	deal_set_release(&ds);
	return rc;
}

struct funnel_ctx {
	const struct crm_deal_stats_opts *opts;
	struct deal_groups g;
	int failed;
	struct crm_error *err;
};

static int
in_window(const struct crm_deal_stats_opts *opts, const struct deal_row *r)
{
	return !((opts->since && r->created_at < opts->since) ||
	    (opts->until && r->created_at >= opts->until));
}

/* A finished stay in a stage: its days count for the stage's mean. */
static void
on_stay(void *arg, const struct deal_row *r)
{
	struct funnel_ctx *f = arg;
	struct deal_group *x;

	if (f->failed || !in_window(f->opts, r))
		return;
	if ((x = deal_group(&f->g, r->stay_stage, (int)group_key(r,
	    f->opts->by), f->err)) == NULL) {
		f->failed = 1;
		return;
	}
	x->left++;
	x->days += r->stay_days;
}

/* Reach groups' keys: pipeline * REACH + the furthest position. */
#define REACH ((int64_t)1 << 24)

static int
funnel_apply(void *arg, size_t i, const struct deal_hrow *h)
{
	struct deal_set *ds = arg;

	deal_apply(ds, &ds->d[i], h);
	return 0;
}

int
crm_deal_funnel_each(struct crm_db *db,
    const struct crm_deal_stats_opts *opts,
    int (*fn)(void *arg, const struct crm_deal_funnel_row *row), void *arg,
    struct crm_error *err)
{
	struct deal_set ds;
	struct funnel_ctx f;
	struct crm_deal_funnel_row row;
	struct deal_group *x, *nx;
	struct deal_groups reach;
	size_t i, s, t;
	int rc = -1;

	memset(&ds, 0, sizeof(ds));
	memset(&f, 0, sizeof(f));
	memset(&reach, 0, sizeof(reach));
	f.opts = opts;
	f.err = err;
	ds.on_stay = on_stay;
	ds.stay_arg = &f;
	if (opts->by != CRM_DEAL_BY_TOTAL && opts->by != CRM_DEAL_BY_OWNER &&
	    opts->by != CRM_DEAL_BY_SOURCE) {
		crm_error_set(err, CRM_EUSAGE, "the funnel is by total, owner"
		    " or source");
		goto done;
	}
	ds.owners = opts->by != CRM_DEAL_BY_TOTAL;
	if (deal_set_read(db, &ds, opts->pipeline, err) < 0 ||
	    deal_set_index(&ds, err) < 0)
		goto done;
	/* The deals made in the window, rebuilt from their stage changes. */
	for (i = 0; i < ds.n; i++) {
		struct deal_row *r = &ds.d[i];

		if (!in_window(opts, r))
			continue;
		ds.index[r->id] = (int)i;
		r->stage = -1;
		r->entered = 0;
		r->maxpos = 0;
	}
	if (deal_history_scan(db, &ds, INT64_MIN, INT64_MAX, 1, funnel_apply,
	    &ds, err) != 0 || f.failed)
		goto done;
	/*
	 * Reached: a deal reached every stage up to the furthest it got;
	 * counted by pipeline, furthest position and key, then handed to
	 * the stages.
	 */
	for (i = 0; i < ds.n; i++) {
		struct deal_row *r = &ds.d[i];

		if (r->stage < 0 || !in_window(opts, r))
			continue;
		if ((x = deal_group(&reach, ds.stages.v[r->stage].pipeline *
		    REACH + r->maxpos, (int)group_key(r, opts->by),
		    err)) == NULL)
			goto done;
		x->count++;
	}
	for (i = 0; i < reach.n; i++) {
		const struct deal_group *y = &reach.v[i];

		for (s = 0; s < ds.stages.n; s++) {
			const struct deal_stage *sg = &ds.stages.v[s];

			if (sg->pipeline != y->key / REACH ||
			    sg->outcome == OUT_LOST ||
			    sg->position > y->key % REACH)
				continue;
			if ((x = deal_group(&f.g, (int64_t)s, y->currency,
			    err)) == NULL)
				goto done;
			x->count += y->count;
		}
	}
	/* Rows: each key (in name order), each stage in order. */
	for (i = 0; i < f.g.n; i++) {
		f.g.v[i].sname = deal_str(&ds.str, f.g.v[i].currency);
		f.g.v[i].sk = 0;
	}
	{
		/* distinct keys, sorted by name */
		struct deal_groups keys;

		memset(&keys, 0, sizeof(keys));
		for (i = 0; i < f.g.n; i++)
			if ((x = deal_group(&keys, f.g.v[i].currency, 0,
			    err)) == NULL) {
				deal_groups_release(&keys);
				goto done;
			} else
				x->sname = f.g.v[i].sname;
		deal_groups_sort(&keys, &ds.str);
		for (t = 0; t < keys.n; t++) {
			int key = (int)keys.v[t].key;

			for (s = 0; s < ds.stages.n; s++) {
				const struct deal_stage *sg = &ds.stages.v[s];
				size_t u;

				if (sg->outcome == OUT_LOST ||
				    (x = deal_group_find(&f.g, (int64_t)s,
				    key)) == NULL)
					continue;
				if (x->count == 0 && x->left == 0)
					continue;
				memset(&row, 0, sizeof(row));
				row.pipeline = sg->pipeline_name;
				row.stage = sg->name;
				row.key = opts->by == CRM_DEAL_BY_TOTAL ? NULL :
				    x->sname ? x->sname : "";
				row.position = sg->position;
				row.reached = x->count;
				row.left = x->left;
				row.days_in_stage = x->left ? x->days /
				    (double)x->left : NAN;
				row.conversion = NAN;
				for (u = s + 1; u < ds.stages.n; u++) {
					const struct deal_stage *ng =
					    &ds.stages.v[u];

					if (ng->pipeline != sg->pipeline)
						break;
					if (ng->outcome == OUT_LOST)
						continue;
					nx = deal_group_find(&f.g, (int64_t)u,
					    key);
					if (x->count > 0)
						row.conversion =
						    (double)(nx ? nx->count : 0) /
						    (double)x->count;
					break;
				}
				if ((rc = fn(arg, &row)) != 0) {
					deal_groups_release(&keys);
					goto done;
				}
			}
		}
		deal_groups_release(&keys);
	}
	rc = 0;
done:
	deal_groups_release(&reach);
	deal_groups_release(&f.g);
	deal_set_release(&ds);
	return rc;
}
