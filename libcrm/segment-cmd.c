/*
 * segment-cmd.c - crm-segment's commands (segment-cmd.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "offer.h"
#include "product.h"
#include "profit.h"
#include "rate.h"
#include "resolve.h"
#include "segment-cmd.h"

int
crm_segment_cuts(const char *arg, double out[4])
{
	char *end;
	const char *p = arg;
	int i;

	for (i = 0; i < 4; i++) {
		out[i] = strtod(p, &end);
		if (end == p || (i < 3 && *end != ',') || (i == 3 && *end) ||
		    (i > 0 && out[i] <= out[i - 1]))
			return -1;
		p = end + 1;
	}
	return 0;
}

/* Rates, products, costs: then crm_profit_write(). */
static int
profit(struct crm_db *db, struct crm_segment_args *a,
    const struct crm_rates *rates, struct crm_out *o, struct crm_error *err)
{
	struct crm_profit_opts po = { a->ro.asof, a->ro.kind, a->by,
	    a->currency, rates, NULL, NULL, &a->ro };
	struct crm_products *prod;
	struct crm_costs *costs = NULL;
	int rc = -1;

	if ((prod = crm_products_load(db, err)) != NULL &&
	    (a->costs == NULL || (costs = crm_costs_read(a->costs,
	    err)) != NULL)) {
		po.products = prod;
		po.costs = costs;
		rc = crm_profit_write(db, &po, o, err);
	}
	crm_products_free(prod);
	crm_costs_free(costs);
	return rc;
}

/* Next best offers, margins from the products; a summary line. */
static int
recommend(struct crm_db *db, const struct crm_segment_args *a,
    struct crm_out *o, struct crm_buf *summary, struct crm_error *err)
{
	struct crm_offer_opts oo = { a->ro.asof, a->ro.kind, a->channel,
	    a->noffers, a->minsup, NULL };
	struct crm_products *prod;
	struct crm_offer_stats st;
	int rc = -1;

	if ((prod = crm_products_load(db, err)) == NULL)
		return -1;
	oo.products = prod;
	if ((rc = crm_offer_write(db, &oo, o, &st, err)) == 0)
		rc = crm_buf_addf(summary, err, "%lld contacts, %lld with %s,"
		    " %lld without consent on %s\n", (long long)st.contacts,
		    (long long)st.offered, st.offers == 1 ? "an offer" :
		    "offers", (long long)st.no_consent, a->channel ?
		    a->channel : "email");
	crm_products_free(prod);
	return rc;
}

int
crm_segment_read(struct crm_db *db, enum crm_segment_cmd what,
    struct crm_segment_args *a, const char *name, struct crm_out *o,
    struct crm_buf *explain, struct crm_buf *summary,
    struct crm_error *err)
{
	struct crm_rates *rates = NULL;
	struct crm_buf *ex = a->explain ? explain : NULL;
	int64_t count = 0;
	int rc = -1;

	/* -b account: accounts, subsidiaries rolled up (account.h). */
	if ((what == CRM_SEG_RFM || what == CRM_SEG_PROFIT) && a->by != NULL &&
	    strcmp(a->by, "account") == 0) {
		if (a->ro.cuts[0] || a->ro.cuts[1] || a->ro.cuts[2] ||
		    a->explain)
			return crm_error_set(err, CRM_EUSAGE, "-b account"
			    " takes no cuts and no --explain");
		if (what == CRM_SEG_RFM)
			return crm_account_rfm(db, &a->ro, 0, o, err);
		return crm_account_rollup(db, (a->ro.asof / 86400 + 1) *
		    86400, o, err);
	}
	if (what == CRM_SEG_RFM && a->by != NULL &&
	    strcmp(a->by, "household") != 0)
		return crm_error_set(err, CRM_EUSAGE, "-b: rfm takes only"
		    " 'account' or 'household'");
	/* These read whole tables: through a memory map a page costs no
	 * read(2), as in crm-report. */
	if (crm_db_map_reads(db, err) < 0)
		return -1;
	a->ro.currency = a->currency;
	if ((what == CRM_SEG_PROFIT || (a->currency != NULL && (what ==
	    CRM_SEG_RFM || what == CRM_SEG_KMEANS))) &&
	    (rates = crm_rates_load(db, err)) == NULL)
		return -1;
	a->ro.rates = rates;
	switch (what) {
	case CRM_SEG_RFM:
		rc = a->by != NULL ? crm_rfm_household(db, &a->ro, o, err) :
		    crm_rfm(db, &a->ro, o, ex, err);
		break;
	case CRM_SEG_KMEANS:
		rc = crm_rfm_kmeans(db, &a->ro, &a->ko, o, ex, err);
		break;
	case CRM_SEG_SELECT:
		rc = crm_segment_select(db, a->expr, o, &count, err);
		break;
	case CRM_SEG_PROFIT:
		rc = profit(db, a, rates, o, err);
		break;
	case CRM_SEG_RECOMMEND:
		rc = recommend(db, a, o, summary, err);
		break;
	case CRM_SEG_PAIRS:
		rc = crm_pairs(db, a->bycat, a->minsup, o, err);
		break;
	case CRM_SEG_LIST:
		rc = crm_segment_list(db, o, err);
		break;
	case CRM_SEG_SHOW:
		rc = crm_segment_show(db, name, o, err);
		break;
	default:
		rc = crm_error_set(err, CRM_EFAIL, "not a reading command");
	}
	crm_rates_free(rates);
	a->ro.rates = NULL;
	return rc;
}

static int
members(struct crm_buf *summary, const char *name, int64_t count,
    struct crm_error *err)
{
	return crm_buf_addf(summary, err, "%s: %lld %s\n", name,
	    (long long)count, count == 1 ? "member" : "members");
}

int
crm_segment_write(struct crm_db *db, enum crm_segment_cmd what,
    const struct crm_segment_args *a, char **names, size_t n,
    int64_t *count, struct crm_buf *summary, struct crm_error *err)
{
	char **all = NULL;
	size_t i, nall = 0;
	int rc = -1, col;

	*count = 0;
	if (what == CRM_SEG_RATES || what == CRM_SEG_PRODUCTS) {
		struct crm_rate_import ri = { a->currency, 0, 0, 0 };
		struct crm_product_import pi = { 0, 0, 0 };
		int64_t changed;

		if ((what == CRM_SEG_RATES ? crm_rate_import(db, names[0],
		    &ri, err) : crm_product_import(db, names[0], &pi,
		    err)) < 0)
			return -1;
		*count = what == CRM_SEG_RATES ? ri.read : pi.read;
		changed = what == CRM_SEG_RATES ? ri.changed : pi.changed;
		return crm_buf_addf(summary, err, "%lld %s read, %lld new or"
		    " changed\n", (long long)*count, what == CRM_SEG_RATES ?
		    *count == 1 ? "rate" : "rates" : *count == 1 ? "product" :
		    "products", (long long)changed);
	}
	if (what == CRM_SEG_SAVE && a->where != NULL)
		return crm_segment_save_rule(db, names[0], a->where,
		    a->ro.asof, a->replace, count, &col, err) < 0 ? -1 :
		    members(summary, names[0], *count, err);
	if (what == CRM_SEG_SAVE) {
		int64_t *ids = NULL;
		size_t k;

		rc = crm_contact_read_ids(db, "-", a->tsv, a->region, &ids,
		    &k, err) < 0 || crm_segment_save_list(db, names[0], ids,
		    k, a->replace, count, err) < 0 ? -1 :
		    members(summary, names[0], *count, err);
		free(ids);
		return rc;
	}
	if (what == CRM_SEG_DROP)
		return crm_segment_drop(db, names[0], err);
	if (n == 0) {
		if (crm_segment_rules(db, &all, &nall, err) < 0)
			return -1;
		names = all;
		n = nall;
	}
	for (i = 0; i < n; i++)
		if (crm_segment_refresh(db, names[i], a->ro.asof, count,
		    err) < 0 || members(summary, names[i], *count, err) < 0)
			goto done;
	rc = 0;
done:
	for (i = 0; i < nall; i++)
		free(all[i]);
	free(all);
	return rc;
}
