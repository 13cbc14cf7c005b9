/*
 * report-whale.c - crm-report's whale curve: the customers ranked by
 * profit, most profitable first, and the cumulative profit after each
 * twentieth of them, from crm_profit_each() per contact (crm-segment
 * profit's rows, as numbers).  The curve rises over the profitable
 * customers to its peak and falls over those who cost more than they
 * bring; it ends at the profit of all.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "product.h"
#include "profit.h"
#include "rate.h"
#include "report-int.h"
#include "segment.h"

struct whale_arg {
	struct crm_report *r;
	const char *cur;	/* the currency kept; "" none */
	double *v;
	size_t n, alloc;
};

static int
whale_row(void *arg, const struct crm_profit_row *row, struct crm_error *err)
{
	struct whale_arg *a = arg;
	struct crm_report *r = a->r;
	double p;

	/* A contact who never bought is no customer of the curve. */
	if ((row->first == 0 && row->revenue == 0) ||
	    !report_owned(r, row->id))
		return 0;
	if (a->cur != NULL && strcmp(a->cur, row->currency != NULL ?
	    row->currency : "") != 0) {
		r->whale_other++;
		return 0;
	}
	if (r->whale_currency[0] == '\0' && row->currency != NULL &&
	    (r->whale_currency = report_pdup(r, row->currency, err)) == NULL)
		return -1;
	p = row->revenue;
	if (row->has_cogs || row->has_costs) {
		p -= row->cogs + row->serve + row->acquisition;
		r->whale_costs = 1;
	}
	if (a->n == a->alloc) {
		size_t na = a->alloc ? a->alloc * 2 : 1024;
		double *v = reallocarray(a->v, na, sizeof(*v));

		if (v == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		a->v = v;
		a->alloc = na;
	}
	a->v[a->n++] = p;
	return 0;
}

static int
by_profit(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? 1 : a > b ? -1 : 0;
}

/* The curve from the profits: the sum after the top floor(k n / 20),
 * the profitable and the loss-making ones. */
static void
curve(struct crm_report *r, double *v, size_t n)
{
	size_t i, k, next = 0;
	double cum = 0;

	if (n > 0)
		qsort(v, n, sizeof(*v), by_profit);
	r->whale_n = (int64_t)n;
	r->whale_cum[0] = 0;
	for (k = 1, i = 0; k <= WHALE_STEPS; k++) {
		next = (size_t)((uint64_t)k * n / WHALE_STEPS);
		for (; i < next; i++)
			cum += v[i];
		r->whale_cum[k] = cum;
	}
	for (i = 0; i < n; i++) {
		if (v[i] > 0) {
			r->whale_pos++;
			r->whale_gain += v[i];
		} else if (v[i] < 0) {
			r->whale_neg++;
			r->whale_loss += v[i];
		}
	}
	r->whale_total = r->whale_gain + r->whale_loss;
}

/*
 * In --currency, converted at each day's rate (a missing rate: a
 * sentence instead of the curve); else in the currency most purchases
 * are in, the other currencies' rows left out and counted.
 */
int
report_gather_whale(struct crm_report *r, struct crm_db *db,
    struct crm_error *err)
{
	struct crm_profit_opts po;
	struct crm_products *prod = NULL;
	struct crm_costs *costs = NULL;
	struct crm_rates *rates = NULL;
	struct whale_arg a;
	char cur[4] = "";
	int rc = -1;

	memset(&a, 0, sizeof(a));
	a.r = r;
	memset(&po, 0, sizeof(po));
	po.asof = r->end - DAY;
	po.kind = "purchase";
	if (r->o.currency != NULL)
		po.currency = r->o.currency;
	else {
		if (crm_rfm_main_currency(db, po.asof, po.kind, cur, err) < 0)
			return -1;
		/* "" when the purchases are in one currency or none. */
		a.cur = cur[0] ? cur : NULL;
	}
	if ((r->whale_currency = report_pdup(r, r->o.currency != NULL ?
	    r->o.currency : cur, err)) == NULL ||
	    (prod = crm_products_load(db, err)) == NULL ||
	    (r->o.costs != NULL && (costs = crm_costs_read(r->o.costs,
	    err)) == NULL))
		goto done;
	/*
	 * Without products or costs, profit is revenue: each buyer's, in
	 * the segments' currency, which the RFM rows already hold (the
	 * revenue crm-segment profit --by rfm adds up).  The curve is made
	 * from them once they are in (report_whale_rfm()), rather than by
	 * a second pass over every contact and purchase.
	 */
	if (crm_products_count(prod) == 0 && costs == NULL) {
		r->whale_from_rfm = 1;
		rc = 0;
		goto done;
	}
	if ((rates = crm_rates_load(db, err)) == NULL)
		goto done;
	po.rates = rates;
	po.products = prod;
	po.costs = costs;
	if ((rc = crm_profit_each(db, &po, whale_row, &a, err)) < 0 &&
	    err->code == CRM_EDATA) {
		rc = (r->whale_note = report_pdup(r, err->msg, err)) == NULL ?
		    -1 : 0;
		if (rc == 0)
			crm_error_clear(err);
		goto done;
	}
	if (rc == 0)
		curve(r, a.v, a.n);
done:
	free(a.v);
	crm_costs_free(costs);
	crm_products_free(prod);
	crm_rates_free(rates);
	return rc;
}

void
report_whale_rfm(struct crm_report *r, struct crm_error *err)
{
	double *v;
	size_t i, n = 0;

	if (!r->whale_from_rfm)
		return;
	if (r->seg_note != NULL) {
		r->whale_note = r->seg_note;
		return;
	}
	if (r->nwho == 0)
		return;
	if ((v = malloc(r->nwho * sizeof(*v))) == NULL) {
		/* The curve is left out, not the report. */
		r->whale_note = "out of memory";
		(void)err;
		return;
	}
	for (i = 0; i < r->nwho; i++)
		if (r->who[i].orders > 0)
			v[n++] = r->who[i].monetary;
	curve(r, v, n);
	free(v);
}

/*
 * The curve in a sentence: "the top 20% of customers bring 140% of the
 * profit, the bottom 30% lose 40% of it", from the profitable and the
 * loss-making customers; without loss-makers, the share of the top 20%.
 */
const char *
report_whale_sentence(const struct crm_report *r, char *out, size_t n)
{
	double N = (double)r->whale_n, T = r->whale_total;
	const char *what = r->whale_costs ? "profit" : "revenue";

	if (r->whale_n == 0)
		snprintf(out, n, "No customer to rank.");
	else if (r->whale_neg == 0)
		snprintf(out, n, "The top 20%% of customers bring %.0f%% of the"
		    " %s; none costs more than they bring%s.", T != 0 ?
		    100 * r->whale_cum[WHALE_STEPS / 5] / T : 0, what,
		    r->whale_costs ? "" : " (no costs are known: the curve"
		    " is of revenue)");
	else if (T > 0)
		snprintf(out, n, "The top %.0f%% of customers bring %.0f%% of"
		    " the profit, the bottom %.0f%% lose %.0f%% of it.",
		    100 * (double)r->whale_pos / N, 100 * r->whale_gain / T,
		    100 * (double)r->whale_neg / N, -100 * r->whale_loss / T);
	else
		snprintf(out, n, "The customers lose money in all: the top"
		    " %.0f%% bring a profit of %.2f, the bottom %.0f%% lose"
		    " %.2f.", 100 * (double)r->whale_pos / N, r->whale_gain,
		    100 * (double)r->whale_neg / N, -r->whale_loss);
	return out;
}
