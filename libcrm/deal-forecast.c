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

static int
probs_make(const struct deal_set *ds, const struct crm_deal_forecast_opts *o,
    struct probs *pr, struct crm_error *err)
{
	int64_t *n = NULL, *won = NULL;
	size_t s, k = ds->stages.n + 1;
	int rc = -1;

	memset(pr, 0, sizeof(*pr));
	if ((pr->p = calloc(k, sizeof(double))) == NULL ||
	    (pr->lo = calloc(k, sizeof(double))) == NULL ||
	    (pr->hi = calloc(k, sizeof(double))) == NULL ||
	    (n = calloc(k, sizeof(*n))) == NULL ||
	    (won = calloc(k, sizeof(*won))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	if (o->learnt)
		deal_learn(ds, n, won);
	for (s = 0; s < ds->stages.n; s++) {
		pr->p[s] = pr->lo[s] = pr->hi[s] = ds->stages.v[s].prob;
		if (!o->learnt || n[s] == 0)
			continue;
		pr->p[s] = (double)won[s] / (double)n[s];
		if (crm_stats_wilson((unsigned long)won[s], (unsigned long)n[s],
		    o->confidence > 0 ? o->confidence : 0.95, &pr->lo[s],
		    &pr->hi[s], err) < 0)
			goto done;
	}
	rc = 0;
done:
	free(n);
	free(won);
	return rc;
}

/*
 * Add to g (key: period index) the deals of ds as of asof over the
 * periods bounds[0..nper]: won so far, and the open deals by their
 * expected close date (a passed one counts in the first period).
 */
static int
tally(const struct deal_set *ds, const struct crm_deal_forecast_opts *o,
    const struct probs *pr, int64_t asof, const int64_t *bounds, int nper,
    struct deal_groups *g, struct crm_error *err)
{
	double commit = o->commit > 0 ? o->commit : 0.8;
	size_t i;
	int k;

	for (i = 0; i < ds->n; i++) {
		const struct deal_row *r = &ds->d[i];
		struct deal_group *x;
		double a = r->has_amount ? r->amount : 0, p;
		int64_t t;
		int outc;

		if (r->stage < 0)
			continue;
		outc = ds->stages.v[r->stage].outcome;
		if (outc == OUT_LOST)
			continue;
		if (outc == OUT_WON) {
			if (r->closed_at > asof)
				continue;
			t = r->closed_at;
		} else {
			if (!r->has_close)
				continue;
			t = r->close_date < bounds[0] ? bounds[0] :
			    r->close_date;
		}
		if (t < bounds[0] || t >= bounds[nper])
			continue;
		for (k = 0; k + 1 < nper && t >= bounds[k + 1]; k++)
			;
		if ((x = deal_group(g, k, r->currency, err)) == NULL)
			return -1;
		x->sk = k;
		if (outc == OUT_WON) {
			x->won += 1;
			x->won_amount += a;
			continue;
		}
		p = o->learnt || isnan(r->prob) ? pr->p[r->stage] : r->prob;
		x->count++;
		x->best += a;
		if (p >= commit)
			x->committed += a;
		x->weighted += a * p;
		x->wlow += a * (o->learnt ? pr->lo[r->stage] : p);
		x->whigh += a * (o->learnt ? pr->hi[r->stage] : p);
	}
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
	if (deal_set_load(db, &now, 0, 0, o->pipeline, err) < 0)
		goto done;
	for (k = 0; k < nper; k++) {
		struct deal_groups one;

		memset(&one, 0, sizeof(one));
		deal_set_release(&ds);
		probs_release(&pr);
		memset(&pr, 0, sizeof(pr));
		/* As the pipeline stood when the period began. */
		if (deal_set_load(db, &ds, bounds[k] - 1, 1, o->pipeline,
		    err) < 0 || probs_make(&ds, o, &pr, err) < 0 ||
		    tally(&ds, o, &pr, bounds[k] - 1, bounds + k, 1, &one,
		    err) < 0) {
			deal_groups_release(&one);
			goto done;
		}
		for (i = 0; i < one.n; i++) {
			struct deal_group *x, *y = &one.v[i];
			int c = deal_intern(&now.str, deal_str(&ds.str,
			    y->currency), err);

			if (c < 0 || (x = deal_group(&g, k, c, err)) == NULL) {
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
	}
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
