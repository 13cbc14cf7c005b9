/*
 * deal-forecast.c - what the pipeline will bring per month or quarter,
 * the back-test of that forecast on closed periods, and (with a stored
 * crm-churn model) what the existing customers will spend besides.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "churn.h"
#include "clv.h"
#include "deal-int.h"
#include "mem.h"
#include "norm.h"

/* Stage probabilities for a forecast: configured or learnt, and bounds. */
struct probs {
	double *p, *lo, *hi;	/* per stage index */
};

static void
probs_release(struct probs *pr)
{
	free(pr->p);
	free(pr->lo);
	free(pr->hi);
}

/* The probabilities from the counts n and won of deal_learn() (learnt)
 * or configured. */
static int
probs_from(const struct deal_set *ds, const struct crm_deal_forecast_opts *o,
    const int64_t *n, const int64_t *won, struct probs *pr,
    struct crm_error *err)
{
	size_t s, k = ds->stages.n + 1;

	if (pr->p == NULL && ((pr->p = calloc(k, sizeof(double))) == NULL ||
	    (pr->lo = calloc(k, sizeof(double))) == NULL ||
	    (pr->hi = calloc(k, sizeof(double))) == NULL))
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	for (s = 0; s < ds->stages.n; s++) {
		pr->p[s] = pr->lo[s] = pr->hi[s] = ds->stages.v[s].prob;
		if (!o->learnt || n[s] == 0)
			continue;
		pr->p[s] = (double)won[s] / (double)n[s];
		if (crm_stats_wilson((unsigned long)won[s], (unsigned long)n[s],
		    o->confidence > 0 ? o->confidence : 0.95, &pr->lo[s],
		    &pr->hi[s], err) < 0)
			return -1;
	}
	return 0;
}

static int
probs_make(const struct deal_set *ds, const struct crm_deal_forecast_opts *o,
    struct probs *pr, struct crm_error *err)
{
	int64_t *n = NULL, *won = NULL;
	size_t k = ds->stages.n + 1;
	int rc = -1;

	memset(pr, 0, sizeof(*pr));
	if ((n = calloc(k, sizeof(*n))) == NULL ||
	    (won = calloc(k, sizeof(*won))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	if (o->learnt)
		deal_learn(ds, n, won);
	rc = probs_from(ds, o, n, won, pr, err);
done:
	free(n);
	free(won);
	return rc;
}

/*
 * Add to g (key: period index) deal r as of asof over the periods
 * bounds[0..nper]: won so far, or open by its expected close date (a
 * passed one counts in the first period).
 */
static int
tally_one(const struct deal_set *ds, const struct crm_deal_forecast_opts *o,
    const struct probs *pr, int64_t asof, const int64_t *bounds, int nper,
    const struct deal_row *r, struct deal_groups *g, struct crm_error *err)
{
	double commit = o->commit > 0 ? o->commit : 0.8;
	struct deal_group *x;
	double a = r->has_amount ? r->amount : 0, p;
	int64_t t;
	int outc, k;

	if (r->stage < 0)
		return 0;
	outc = ds->stages.v[r->stage].outcome;
	if (outc == OUT_LOST)
		return 0;
	if (outc == OUT_WON) {
		if (r->closed_at > asof)
			return 0;
		t = r->closed_at;
	} else {
		if (!r->has_close)
			return 0;
		t = r->close_date < bounds[0] ? bounds[0] : r->close_date;
	}
	if (t < bounds[0] || t >= bounds[nper])
		return 0;
	for (k = 0; k + 1 < nper && t >= bounds[k + 1]; k++)
		;
	if ((x = deal_group(g, k, r->currency, err)) == NULL)
		return -1;
	x->sk = k;
	if (outc == OUT_WON) {
		x->won += 1;
		x->won_amount += a;
		return 0;
	}
	p = o->learnt || isnan(r->prob) ? pr->p[r->stage] : r->prob;
	x->count++;
	x->best += a;
	if (p >= commit)
		x->committed += a;
	x->weighted += a * p;
	x->wlow += a * (o->learnt ? pr->lo[r->stage] : p);
	x->whigh += a * (o->learnt ? pr->hi[r->stage] : p);
	return 0;
}

/* Every deal of ds as of asof into g (tally_one). */
static int
tally(const struct deal_set *ds, const struct crm_deal_forecast_opts *o,
    const struct probs *pr, int64_t asof, const int64_t *bounds, int nper,
    struct deal_groups *g, struct crm_error *err)
{
	size_t i;

	for (i = 0; i < ds->n; i++)
		if (tally_one(ds, o, pr, asof, bounds, nper, &ds->d[i], g,
		    err) < 0)
			return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Existing customers */

/* One customer's purchase days in one currency, as churn.h sums them. */
struct cust {
	int64_t first, last;	/* days since 1970 */
	long days;
	double repeat_spend;	/* spend of the days after the first */
};

static int
cust_add(const struct crm_churn_model *cm, const struct cust *c,
    int64_t asday, const int64_t *bounds, int nper, double *rev,
    struct crm_error *err)
{
	struct crm_clv_customer s;
	double unit = cm->unit_days > 0 ? cm->unit_days : 1, spend, e0, e1, t;
	int k;

	s.x = c->days - 1;
	s.t_x = (double)(c->last - c->first) / unit;
	s.T = (double)(asday - c->first) / unit;
	s.zbar = s.x > 0 ? c->repeat_spend / (double)s.x : 0;
	if (crm_clv_gg_spend(&cm->gg, &s, &spend, err) < 0)
		return -1;
	e0 = 0;
	for (k = 0; k < nper; k++) {
		/* Purchase days expected after the as-of day up to the bound. */
		t = (double)(bounds[k + 1] / 86400 - (asday + 1)) / unit;
		if (t <= 0) {
			rev[k] = 0;
			continue;
		}
		if ((s.T > 0 ? crm_clv_expected(&cm->m, &s, t, &e1, err) :
		    crm_clv_expected_alive(&cm->m, 0, 0, t, &e1, err)) < 0)
			return -1;
		rev[k] = spend * (e1 - e0);
		e0 = e1;
	}
	return 0;
}

/*
 * The expected revenue of existing customers per period and currency
 * into g (customers).  Purchases are read as crm-churn reads them: kind
 * purchase, one per contact and UTC day, a merged-away contact's counted
 * for the contact it was merged into, erased contacts left out.
 */
static int
customers(struct crm_db *db, const struct crm_deal_forecast_opts *o,
    int64_t asof, const int64_t *bounds, int nper, struct deal_groups *g,
    struct deal_strtab *str, struct crm_error *err)
{
	struct crm_churn_model cm;
	struct crm_stmt *st;
	struct cust c;
	int64_t who = -1, day, asday = deal_day(asof) / 86400;
	double *rev = NULL;
	const char *curtxt;
	int cur = -1, ncur = 0, rc, k, ret = -1;

	memset(&cm, 0, sizeof(cm));
	memset(&c, 0, sizeof(c));
	if (crm_churn_model_load(db, o->model_id, 0, &cm, err) < 0)
		return -1;
	if (!cm.has_spend)
		return crm_error_set(err, CRM_EDATA, "the crm-churn model %lld"
		    " has no spend model: --with-customers needs one",
		    (long long)cm.id);
	if ((rev = calloc((size_t)nper, sizeof(*rev))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	if ((st = crm_db_stmt(db, "SELECT coalesce(c.merged_into, c.id),"
	    " i.currency, i.at / 86400 - (i.at % 86400 < 0),"
	    " sum(coalesce(i.amount, 0)) FROM interactions i"
	    " JOIN contacts c ON c.id = i.contact_id"
	    " WHERE i.kind = 'purchase' AND c.erased_at IS NULL AND i.at < ?1"
	    " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, (asday + 1) * 86400, err) < 0)
		goto done;
	for (;;) {
		rc = crm_db_step(db, st, err);
		if (rc < 0)
			goto done;
		if (rc == 1) {
			curtxt = crm_db_col_text(st, 1);
			if ((ncur = deal_intern(str, curtxt, err)) < 0)
				goto fail;
		}
		if (rc == 0 || crm_db_col_int(st, 0) != who || ncur != cur) {
			if (who >= 0 && c.days > 0) {
				if (cust_add(&cm, &c, asday, bounds, nper, rev,
				    err) < 0)
					goto fail;
				for (k = 0; k < nper; k++) {
					struct deal_group *x;

					if ((x = deal_group(g, k, cur,
					    err)) == NULL)
						goto fail;
					x->sk = k;
					x->customers += rev[k];
				}
			}
			if (rc == 0)
				break;
			who = crm_db_col_int(st, 0);
			cur = ncur;
			memset(&c, 0, sizeof(c));
		}
		day = crm_db_col_int(st, 2);
		if (c.days == 0)
			c.first = day;
		else
			c.repeat_spend += crm_db_col_double(st, 3);
		c.last = day;
		c.days++;
	}
	ret = 0;
	goto done;
fail:
	crm_db_reset(st);
done:
	free(rev);
	return ret;
}

/* ------------------------------------------------------------------ */

static int
emit(const struct crm_deal_forecast_opts *o, struct deal_groups *g,
    const struct deal_strtab *str, const int64_t *bounds, int backtest,
    int (*fn)(void *, const struct crm_deal_forecast_row *), void *arg)
{
	struct crm_deal_forecast_row row;
	char label[32];
	size_t i;
	int rc;

	deal_groups_sort(g, str);
	for (i = 0; i < g->n; i++) {
		struct deal_group *x = &g->v[i];

		memset(&row, 0, sizeof(row));
		row.start = bounds[x->key];
		row.end = bounds[x->key + 1];
		deal_period_label(row.start, o->by, label);
		row.label = label;
		row.currency = deal_str(str, x->currency);
		row.open = x->count;
		row.won = x->won_amount;
		row.committed = x->won_amount + x->committed;
		row.best_case = x->won_amount + x->best;
		row.weighted = x->won_amount + x->weighted;
		row.weighted_low = x->won_amount + x->wlow;
		row.weighted_high = x->won_amount + x->whigh;
		row.customers = o->with_customers ? x->customers : NAN;
		row.total = row.weighted + (o->with_customers ? x->customers :
		    0);
		row.actual = backtest ? x->actual : NAN;
		if ((rc = fn(arg, &row)) != 0)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The back-test: the deals as they stood at the start of each period,
 * from one pass over the history. */

/* A deal rebuilt from its history, as it stood at one period's start. */
struct snap {
	size_t i;		/* index in the deals */
	int stage, maxpos, has_amount, has_close;
	double amount;
	int64_t close_date, stage_at, changed_at;
	uint64_t entered;
};

struct snaps {
	struct snap *v;
	size_t n, a;
};

struct sweep {
	struct deal_set *ds;
	const int64_t *asof;	/* per period: the moment before it starts */
	int nper;
	struct deal_row *rep;	/* the deals being rebuilt, as far as read */
	size_t *of;		/* rep[j] is deal of[j] */
	int *next;		/* rep[j]'s next period not yet taken */
	struct snaps *per;	/* per period, the rebuilt deals */
	struct crm_error *err;
};

/* Keep rep[j] as it is for period k. */
static int
take(struct sweep *w, size_t j, int k)
{
	struct snaps *q = &w->per[k];
	const struct deal_row *r = &w->rep[j];
	struct snap *x;

	if (q->n == q->a) {
		size_t na = q->a ? 2 * q->a : 1024;
		struct snap *p = reallocarray(q->v, na, sizeof(*p));

		if (p == NULL)
			return crm_error_set(w->err, CRM_EFAIL,
			    "out of memory");
		q->v = crm_big(p, na, sizeof(*p));
		q->a = na;
	}
	x = &q->v[q->n++];
	x->i = w->of[j];
	x->stage = r->stage;
	x->maxpos = r->maxpos;
	x->has_amount = r->has_amount;
	x->has_close = r->has_close;
	x->amount = r->amount;
	x->close_date = r->close_date;
	x->stage_at = r->stage_at;
	x->changed_at = r->changed_at;
	x->entered = r->entered;
	return 0;
}

/* A history row: first the periods that began before it, then it. */
static int
sweep_row(void *arg, size_t j, const struct deal_hrow *h)
{
	struct sweep *w = arg;

	for (; w->next[j] < w->nper && w->asof[w->next[j]] < h->at;
	    w->next[j]++)
		if (take(w, j, w->next[j]) < 0)
			return -1;
	deal_apply(w->ds, &w->rep[j], h);
	return 0;
}

static int
cmp_snap(const void *pa, const void *pb)
{
	const struct snap *a = pa, *b = pb;

	return a->i < b->i ? -1 : a->i > b->i;
}

/*
 * Deal i as it stood at w->asof[k] into *v: NULL when it was not made
 * yet; the stored deal when unchanged since; else rebuilt (q: period k's
 * rebuilt deals in deal order, *at the next to look at).
 */
static const struct deal_row *
view(const struct sweep *w, int k, size_t i, const struct snaps *q,
    size_t *at, struct deal_row *v)
{
	const struct deal_row *r = &w->ds->d[i];
	const struct snap *x;

	if (r->created_at > w->asof[k])
		return NULL;
	if (r->last_change <= w->asof[k]) {
		/* The stored deal: a copy only when its close time changes
		 * (deal_fix_closed()). */
		if (r->stage < 0 || (w->ds->stages.v[r->stage].outcome ==
		    OUT_OPEN ? r->closed_at == 0 : r->closed_at != 0))
			return r;
		*v = *r;
		deal_fix_closed(w->ds, v);
		return v;
	}
	while (*at < q->n && q->v[*at].i < i)
		(*at)++;
	if (*at == q->n || q->v[*at].i != i)
		return NULL;
	x = &q->v[*at];
	*v = *r;
	v->stage = x->stage;
	v->maxpos = x->maxpos;
	v->has_amount = x->has_amount;
	v->has_close = x->has_close;
	v->amount = x->amount;
	v->close_date = x->close_date;
	v->stage_at = x->stage_at;
	v->changed_at = x->changed_at;
	v->entered = x->entered;
	deal_fix_closed(w->ds, v);
	return v;
}

/*
 * For each period k, the forecast made at its start (bounds[k] - 1) of
 * the deals closing in it, into g (key k), as deal_set_load() at that
 * moment and tally() would give it; the history read once for all
 * periods.  A deal unchanged since a period's start is the stored one;
 * a deal changed since is rebuilt from its history up to then, the
 * rebuilt state kept for each period whose start its history passes.
 */
static int
backtest(struct crm_db *db, const struct crm_deal_forecast_opts *o,
    const int64_t *bounds, int nper, struct deal_set *ds,
    struct deal_groups *g, struct crm_error *err)
{
	struct sweep w;
	struct probs pr;
	struct deal_row tmp;
	const struct deal_row *r;
	int64_t *asof = NULL, *n = NULL, *won = NULL, lo = INT64_MAX;
	size_t i, j, nrep = 0, at, ns = ds->stages.n + 1;
	int k, rc = -1;

	memset(&w, 0, sizeof(w));
	memset(&pr, 0, sizeof(pr));
	w.ds = ds;
	w.nper = nper;
	w.err = err;
	if ((asof = calloc((size_t)nper, sizeof(*asof))) == NULL ||
	    (w.per = calloc((size_t)nper, sizeof(*w.per))) == NULL ||
	    (n = calloc(ns, sizeof(*n))) == NULL ||
	    (won = calloc(ns, sizeof(*won))) == NULL ||
	    deal_set_index(ds, err) < 0)
		goto nomem;
	for (k = 0; k < nper; k++)
		asof[k] = bounds[k] - 1;
	w.asof = asof;
	/* The deals changed since some period's start, made before it. */
	for (i = 0; i < ds->n; i++) {
		r = &ds->d[i];
		for (k = 0; k < nper && asof[k] < r->created_at; k++)
			;
		if (k < nper && r->last_change > asof[k])
			nrep++;
	}
	if (nrep > 0 && ((w.rep = crm_big(malloc(nrep * sizeof(*w.rep)),
	    nrep, sizeof(*w.rep))) == NULL ||
	    (w.of = malloc(nrep * sizeof(*w.of))) == NULL ||
	    (w.next = malloc(nrep * sizeof(*w.next))) == NULL))
		goto nomem;
	for (i = 0, j = 0; i < ds->n && j < nrep; i++) {
		r = &ds->d[i];
		for (k = 0; k < nper && asof[k] < r->created_at; k++)
			;
		if (k == nper || r->last_change <= asof[k])
			continue;
		w.rep[j] = *r;
		w.rep[j].stage = -1;
		w.rep[j].entered = 0;
		w.rep[j].maxpos = 0;
		w.of[j] = i;
		w.next[j] = k;
		ds->index[r->id] = (int)j;
		if (r->created_at < lo)
			lo = r->created_at;
		j++;
	}
	/* Rows before the oldest of them was made, or after the last
	 * period's start, are of no use (see deal_set_load()). */
	if (nrep > 0 && deal_history_scan(db, ds, lo, asof[nper - 1], 0,
	    sweep_row, &w, err) != 0)
		goto done;
	/* What is left: the periods after a deal's last row read. */
	for (j = 0; j < nrep; j++)
		for (k = w.next[j]; k < nper &&
		    ds->d[w.of[j]].last_change > asof[k]; k++)
			if (take(&w, j, k) < 0)
				goto done;
	for (k = 0; k < nper; k++) {
		struct snaps *q = &w.per[k];
		struct deal_groups one;

		for (j = 1; j < q->n && q->v[j - 1].i <= q->v[j].i; j++)
			;
		if (j < q->n)
			qsort(q->v, q->n, sizeof(*q->v), cmp_snap);
		memset(n, 0, ns * sizeof(*n));
		memset(won, 0, ns * sizeof(*won));
		if (o->learnt)
			for (i = 0, at = 0; i < ds->n; i++)
				if ((r = view(&w, k, i, q, &at, &tmp)) != NULL)
					deal_learn_one(ds, r, n, won);
		if (probs_from(ds, o, n, won, &pr, err) < 0)
			goto done;
		/* As the pipeline stood when the period began. */
		memset(&one, 0, sizeof(one));
		for (i = 0, at = 0; i < ds->n; i++)
			if ((r = view(&w, k, i, q, &at, &tmp)) != NULL &&
			    tally_one(ds, o, &pr, asof[k], bounds + k, 1, r,
			    &one, err) < 0) {
				deal_groups_release(&one);
				goto done;
			}
		for (i = 0; i < one.n; i++) {
			struct deal_group *x, *y = &one.v[i];

			if ((x = deal_group(g, k, y->currency, err)) == NULL) {
				deal_groups_release(&one);
				goto done;
			}
			x->sk = k;
			x->count += y->count;
			x->best += y->best;
			x->committed += y->committed;
			x->weighted += y->weighted;
			x->wlow += y->wlow;
			x->whigh += y->whigh;
		}
		deal_groups_release(&one);
		free(q->v);
		memset(q, 0, sizeof(*q));
	}
	rc = 0;
	goto done;
nomem:
	crm_error_set(err, CRM_EFAIL, "out of memory");
done:
	if (w.per != NULL)
		for (k = 0; k < nper; k++)
			free(w.per[k].v);
	free(w.per);
	free(w.rep);
	free(w.of);
	free(w.next);
	free(asof);
	free(n);
	free(won);
	probs_release(&pr);
	return rc;
}

int
crm_deal_forecast_each(struct crm_db *db,
    const struct crm_deal_forecast_opts *o,
    int (*fn)(void *arg, const struct crm_deal_forecast_row *row), void *arg,
    struct crm_error *err)
{
	struct deal_set ds, now;
	struct deal_groups g;
	struct probs pr;
	int64_t asof = o->as_of ? o->as_of : crm_now(), *bounds = NULL, start;
	int nper = o->periods > 0 ? o->periods : 1, k, rc = -1;
	size_t i;

	memset(&ds, 0, sizeof(ds));
	memset(&now, 0, sizeof(now));
	memset(&g, 0, sizeof(g));
	memset(&pr, 0, sizeof(pr));
	if (o->by != CRM_DEAL_BY_MONTH && o->by != CRM_DEAL_BY_QUARTER) {
		crm_error_set(err, CRM_EUSAGE, "the forecast is by month or"
		    " quarter");
		goto done;
	}
	if (o->backtest && o->with_customers) {
		crm_error_set(err, CRM_EUSAGE, "--backtest is of the pipeline"
		    " alone: no --with-customers");
		goto done;
	}
	if ((bounds = calloc((size_t)nper + 1, sizeof(*bounds))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	if (!o->backtest) {
		bounds[0] = deal_period_start(asof, o->by);
		for (k = 0; k < nper; k++)
			bounds[k + 1] = deal_period_next(bounds[k], o->by);
		if (deal_set_load(db, &ds, o->as_of, o->learnt, o->pipeline,
		    err) < 0 || probs_make(&ds, o, &pr, err) < 0 ||
		    tally(&ds, o, &pr, asof, bounds, nper, &g, err) < 0 ||
		    (o->with_customers && customers(db, o, asof, bounds, nper,
		    &g, &ds.str, err) < 0))
			goto done;
		rc = emit(o, &g, &ds.str, bounds, 0, fn, arg);
		goto done;
	}
	/* The closed periods before the as-of one, oldest first. */
	start = deal_period_start(asof, o->by);
	for (k = nper; k > 0; k--) {
		bounds[k] = start;
		start = deal_period_start(start - 1, o->by);
	}
	bounds[0] = start;
	if (deal_set_read(db, &now, o->pipeline, err) < 0 ||
	    backtest(db, o, bounds, nper, &now, &g, err) < 0)
		goto done;
	/* What was won in each period, as the deals stand now. */
	for (i = 0; i < now.n; i++) {
		const struct deal_row *r = &now.d[i];
		struct deal_group *x;

		if (now.stages.v[r->stage].outcome != OUT_WON ||
		    r->closed_at < bounds[0] || r->closed_at >= bounds[nper])
			continue;
		for (k = 0; k + 1 < nper && r->closed_at >= bounds[k + 1]; k++)
			;
		if ((x = deal_group(&g, k, r->currency, err)) == NULL)
			goto done;
		x->sk = k;
		x->actual += r->has_amount ? r->amount : 0;
	}
	rc = emit(o, &g, &now.str, bounds, 1, fn, arg);
done:
	free(bounds);
	probs_release(&pr);
	deal_groups_release(&g);
	deal_set_release(&ds);
	deal_set_release(&now);
	return rc;
}
