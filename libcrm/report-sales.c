/*
 * report-sales.c - crm-report's sales: the open deal pipeline by stage
 * and the forecast of the next three months, as crm-deal pipeline and
 * crm-deal forecast give them (per currency, never summed across); the
 * top accounts by revenue in the period and the accounts at risk, as
 * crm-account rollup and crm-account churn give them.  Gathered after
 * the other sections' read transaction: the account functions open
 * their own.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "deal.h"
#include "report-int.h"

struct sales_arg {
	struct crm_report *r;
	struct crm_error *err;
	int failed;
	/* the roll-up at the start of the period, by account id */
	int64_t *ids;
	double *before;
	size_t n, alloc;
};

static const char *
curr_name(struct crm_report *r, const char *c, struct crm_error *err)
{
	return report_pdup(r, c != NULL ? c : "", err);
}

static int
pipe_row(void *arg, const struct crm_deal_pipeline_row *row)
{
	struct sales_arg *a = arg;
	struct crm_report *r = a->r;
	struct pipe_stage *p;

	/* --owner: the owner's open deals, all stages together. */
	if (r->o.owner != NULL && strcmp(row->key, r->o.owner) != 0)
		return 0;
	if (report_pgrow(r, (void **)&r->pipe, r->npipe, &r->pipe_alloc,
	    sizeof(*r->pipe), a->err) < 0)
		return a->failed = -1;
	p = &r->pipe[r->npipe];
	if ((p->pipeline = report_pdup(r, row->pipeline != NULL ?
	    row->pipeline : "", a->err)) == NULL ||
	    (p->stage = report_pdup(r, r->o.owner != NULL ?
	    "all open stages" : row->key, a->err)) == NULL ||
	    (p->currency = curr_name(r, row->currency, a->err)) == NULL)
		return a->failed = -1;
	p->count = row->count;
	p->amount = row->amount;
	p->weighted = row->weighted;
	r->npipe++;
	return 0;
}

static int
fc_row(void *arg, const struct crm_deal_forecast_row *row)
{
	struct sales_arg *a = arg;
	struct crm_report *r = a->r;
	struct fc_month *f;

	if (report_pgrow(r, (void **)&r->fc, r->nfc, &r->fc_alloc,
	    sizeof(*r->fc), a->err) < 0)
		return a->failed = -1;
	f = &r->fc[r->nfc];
	if ((f->label = report_pdup(r, row->label, a->err)) == NULL ||
	    (f->currency = curr_name(r, row->currency, a->err)) == NULL)
		return a->failed = -1;
	f->open = row->open;
	f->won = row->won;
	f->weighted = row->weighted;
	f->best_case = row->best_case;
	r->nfc++;
	return 0;
}

/* The roll-up as of the period's start: top accounts' revenue then. */
static int
before_row(void *arg, const struct crm_account_total *t,
    struct crm_error *err)
{
	struct sales_arg *a = arg;

	if (t->depth != 0)
		return 0;
	if (a->n == a->alloc) {
		size_t n = a->alloc ? a->alloc * 2 : 64;
		int64_t *ids;
		double *v;

		if ((ids = reallocarray(a->ids, n, sizeof(*ids))) == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		a->ids = ids;
		if ((v = reallocarray(a->before, n, sizeof(*v))) == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		a->before = v;
		a->alloc = n;
	}
	/* Rows come in id order. */
	a->ids[a->n] = t->id;
	a->before[a->n++] = t->revenue_all;
	return 0;
}

static double
before_of(const struct sales_arg *a, int64_t id)
{
	size_t lo = 0, hi = a->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (a->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < a->n && a->ids[lo] == id ? a->before[lo] : 0;
}

/* Keep the MAXACCOUNTS largest by key, largest first, ties by name. */
static int
keep(struct crm_report *r, struct acc_row *list, size_t *n,
    const struct acc_row *x, double (*key)(const struct acc_row *),
    const char *ext, const char *name, struct crm_error *err)
{
	size_t i;

	for (i = *n; i > 0; i--) {
		const struct acc_row *y = &list[i - 1];

		if (key(y) > key(x) || (key(y) == key(x) &&
		    strcmp(y->name, name != NULL ? name : "") <= 0))
			break;
	}
	if (i >= MAXACCOUNTS)
		return 0;
	if (*n < MAXACCOUNTS)
		(*n)++;
	memmove(&list[i + 1], &list[i], (*n - 1 - i) * sizeof(*list));
	list[i] = *x;
	if ((list[i].ext = report_pdup(r, ext != NULL ? ext : "",
	    err)) == NULL || (list[i].name = report_pdup(r, name != NULL ?
	    name : "", err)) == NULL)
		return -1;
	return 0;
}

static double
by_revenue(const struct acc_row *x)
{
	return x->revenue;
}

static double
by_risk(const struct acc_row *x)
{
	return x->at_risk;
}

static int
after_row(void *arg, const struct crm_account_total *t,
    struct crm_error *err)
{
	struct sales_arg *a = arg;
	struct acc_row x;

	if (t->depth != 0)
		return 0;
	memset(&x, 0, sizeof(x));
	x.revenue = t->revenue_all - before_of(a, t->id);
	if (!(x.revenue > 0.005))
		return 0;
	x.purchases = t->purchases_all;
	x.name = t->name != NULL ? t->name : "";
	return keep(a->r, a->r->top_acc, &a->r->ntop_acc, &x, by_revenue,
	    t->external_id, t->name, err);
}

static int
risk_row(void *arg, const struct crm_account_churn *c,
    struct crm_error *err)
{
	struct sales_arg *a = arg;
	struct acc_row x;

	if (c->depth != 0)
		return 0;
	memset(&x, 0, sizeof(x));
	x.revenue = c->revenue;
	x.buyers = c->buyers;
	x.p_alive = c->p_alive;
	x.at_risk = c->revenue_at_risk;
	x.name = c->name != NULL ? c->name : "";
	return keep(a->r, a->r->risk_acc, &a->r->nrisk_acc, &x, by_risk,
	    c->external_id, c->name, err);
}

/* Keep the MAXPARTNERS that brought most revenue (then customers),
 * ties by name. */
static int
partner_row(void *arg, const struct crm_account_partner *p,
    struct crm_error *err)
{
	struct sales_arg *a = arg;
	struct crm_report *r = a->r;
	struct partner *v = r->partners;
	size_t i;

	r->partners_all++;
	for (i = r->npartners; i > 0; i--) {
		const struct partner *y = &v[i - 1];

		if (y->revenue > p->revenue || (y->revenue == p->revenue &&
		    (y->customers > p->customers ||
		    (y->customers == p->customers &&
		    strcmp(y->name, p->name != NULL ? p->name : "") <= 0))))
			break;
	}
	if (i >= MAXPARTNERS)
		return 0;
	if (r->npartners < MAXPARTNERS)
		r->npartners++;
	memmove(&v[i + 1], &v[i], (r->npartners - 1 - i) * sizeof(*v));
	memset(&v[i], 0, sizeof(v[i]));
	if ((v[i].ext = report_pdup(r, p->external_id != NULL ?
	    p->external_id : "", err)) == NULL ||
	    (v[i].name = report_pdup(r, p->name != NULL ? p->name : "",
	    err)) == NULL || (v[i].type = report_pdup(r, p->type,
	    err)) == NULL)
		return -1;
	v[i].contacts = p->contacts;
	v[i].customers = p->customers;
	v[i].revenue = p->revenue;
	v[i].won = p->won;
	v[i].lost = p->lost;
	v[i].win_rate = p->win_rate;
	return 0;
}

static int
gather_deals(struct crm_report *r, struct crm_db *db, struct sales_arg *a,
    struct crm_error *err)
{
	struct crm_deal_pipeline_opts po;
	struct crm_deal_forecast_opts fo;

	memset(&po, 0, sizeof(po));
	po.as_of = r->end - 1;
	po.by = r->o.owner != NULL ? CRM_DEAL_BY_OWNER : CRM_DEAL_BY_STAGE;
	po.stale_days = 30;
	if (crm_deal_pipeline_each(db, &po, pipe_row, a, err) != 0 ||
	    a->failed)
		return -1;
	memset(&fo, 0, sizeof(fo));
	fo.as_of = r->end - 1;
	fo.by = CRM_DEAL_BY_MONTH;
	fo.periods = 3;
	fo.commit = 0.8;
	fo.confidence = 0.95;
	if (crm_deal_forecast_each(db, &fo, fc_row, a, err) != 0 ||
	    a->failed)
		return -1;
	return 0;
}

static int
gather_accounts(struct crm_report *r, struct crm_db *db,
    struct sales_arg *a, struct crm_error *err)
{
	struct crm_account_churn_opts co;
	struct crm_error e2;

	if ((r->top_acc = report_parray(r, MAXACCOUNTS + 1,
	    sizeof(*r->top_acc), err)) == NULL ||
	    (r->risk_acc = report_parray(r, MAXACCOUNTS + 1,
	    sizeof(*r->risk_acc), err)) == NULL)
		return -1;
	/* Revenue adds amounts as stored: ranked only in one currency. */
	r->acc_mixed = r->ncurr > 1;
	if (!r->acc_mixed && (crm_account_rollup_each(db, r->start,
	    before_row, a, err) < 0 || crm_account_rollup_each(db, r->end,
	    after_row, a, err) < 0))
		return -1;
	if ((r->partners = report_parray(r, MAXPARTNERS + 1,
	    sizeof(*r->partners), err)) == NULL ||
	    crm_account_partners_each(db, &r->partner_deals, partner_row, a,
	    err) != 0)
		return -1;
	memset(&co, 0, sizeof(co));
	co.threshold = r->at_risk;
	co.at_risk_only = 1;
	crm_error_clear(&e2);
	if (crm_account_churn_each(db, &co, risk_row, a, &e2) < 0) {
		if (e2.code != CRM_EDATA) {
			*err = e2;
			return -1;
		}
		r->risk_note = "no churn scores stored (crm-churn score)";
	}
	return 0;
}

int
report_gather_sales(struct crm_report *r, struct crm_db *db,
    struct crm_error *err)
{
	struct sales_arg a;
	int rc = -1;

	memset(&a, 0, sizeof(a));
	a.r = r;
	a.err = err;
	if (crm_db_query_int(db, "SELECT count(*) FROM deals", &r->deals_n,
	    err) < 0 || crm_db_query_int(db, "SELECT count(*) FROM accounts"
	    " WHERE merged_into IS NULL", &r->accounts_n, err) < 0)
		return -1;
	if ((r->deals_n == 0 || gather_deals(r, db, &a, err) == 0) &&
	    (r->accounts_n == 0 || gather_accounts(r, db, &a, err) == 0))
		rc = 0;
	free(a.ids);
	free(a.before);
	return rc;
}
