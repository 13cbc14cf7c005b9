/*
 * profit.h - what each customer and each group brings: revenue, cost of
 * goods, cost to serve, gross and contribution margin, never adding up
 * amounts of two currencies.
 *
 * Without a currency asked for, every figure is per currency: a contact
 * who bought in EUR and in JPY has a row for each, and a group a row per
 * currency its members bought in.  With opts->currency every amount is
 * converted at its day's rate (rate.h) and there is one row; a purchase
 * or cost without a currency is taken to be in it.
 *
 *	revenue      the purchases' amounts
 *	cogs         cost of goods (product.h), NULL without products
 *	gross_margin revenue - cogs
 *	cost_to_serve tickets, calls, channel contacts, campaign pieces and
 *	             order handling (product.h's cost file), NULL without it
 *	acquisition  the contact's acquisition cost by source
 *	contribution gross_margin - cost_to_serve - acquisition
 */
#ifndef CRM_PROFIT_H
#define CRM_PROFIT_H

#include <stdint.h>

#include "csvio.h"
#include "db.h"
#include "error.h"
#include "product.h"
#include "rate.h"
#include "segment.h"

struct crm_profit_opts {
	int64_t asof;		/* purchases up to the end of its day */
	const char *kind;	/* interactions that are purchases */
	const char *by;		/* NULL per contact; else a group (below) */
	const char *currency;	/* convert to it; NULL per currency */
	const struct crm_rates *rates;
	const struct crm_products *products;	/* NULL: no cogs */
	const struct crm_costs *costs;		/* NULL: no cost to serve */
	const struct crm_rfm_opts *rfm;		/* for by "rfm" */
};

/*
 * Groups: stage, country, city, owner, source (contact attribute),
 * segment (saved segments; a contact counts in each of its segments),
 * rfm, household (household.h, by address), decile (of contribution, or
 * revenue without costs: the 80/20 view and the unprofitable tail), and
 * per purchase line: product, category, month (YYYY-MM), quarter
 * (YYYY-Qn).  Costs to serve fall into a month or quarter by their date;
 * they belong to no product or category (NULL there).
 */
int crm_profit_by_valid(const char *by);

struct crm_profit_row {
	const char *key;	/* the group; NULL per contact */
	int64_t id;		/* per contact */
	const char *external_id, *email;
	const char *currency;	/* NULL when the amounts had none */
	int64_t contacts, buyers;	/* groups */
	int64_t orders;		/* for product and category: lines */
	double revenue, cogs, serve, acquisition;
	int has_cogs, has_costs;	/* else cogs, serve, acquisition NULL */
	int64_t uncosted;	/* purchase lines without a product cost */
	int64_t first, last;	/* per contact: purchase times; 0: none */
	int64_t tenure_days;	/* per contact; -1 unknown */
	double share, cumulative_share;	/* groups: of the currency's */
};

/*
 * Per contact (id order) or per group (per currency, by revenue, highest
 * first), rows handed to fn; the row is valid during the call only.
 */
int crm_profit_each(struct crm_db *db, const struct crm_profit_opts *opts,
    int (*fn)(void *arg, const struct crm_profit_row *row,
    struct crm_error *err), void *arg, struct crm_error *err);

/* The same written to o (columns in crm-segment(1)). */
int crm_profit_write(struct crm_db *db, const struct crm_profit_opts *opts,
    struct crm_out *o, struct crm_error *err);

#endif
