/*
 * product.h - what goods cost and what serving a customer costs.
 *
 * Products (table products): per sku and valid-from day, a name, a
 * category, and either a unit cost (in a currency) or a margin (the share
 * of the selling price that is profit, 0.35 or "35%").  A purchase is
 * matched to a product by its product column against the sku, else the
 * name; its cost of goods is the unit cost times the quantity (1 when
 * the purchase has none) converted at the purchase day's rate, or the
 * amount times 1 - margin, from the row valid on the purchase day.
 *
 * Costs (a small file read at run time, never stored): columns what, key,
 * cost and currency (optional), one line per cost:
 *
 *	ticket,,12.50,EUR            each ticket the contact opened
 *	call,,4.00,EUR               each phone interaction (channel phone)
 *	channel,email,0.05,EUR       each interaction on that channel
 *	campaign_contact,,0.80,EUR   each campaign piece sent to the contact
 *	campaign_contact,Spring,2,EUR  ... of the campaign named (wins)
 *	order,,3.00,EUR              each order (handling)
 *	acquisition,google,40,EUR    a contact whose attribute source is google
 *
 * Purchases are not interactions for call and channel costs.
 */
#ifndef CRM_PRODUCT_H
#define CRM_PRODUCT_H

#include <stdint.h>

#include "db.h"
#include "error.h"

extern const char crm_product_schema[];

struct crm_product_import {
	int decimal;		/* ',' or '.'; 0: ',' when ';' separates */
	int64_t read, changed;	/* out */
};

/* Import products from path ("-": stdin) in the caller's transaction;
 * a row for an sku and valid-from day already stored is replaced. */
int crm_product_import(struct crm_db *db, const char *path,
    struct crm_product_import *imp, struct crm_error *err);

/* The products in memory. */
struct crm_products;

struct crm_products *crm_products_load(struct crm_db *db,
    struct crm_error *err);
void crm_products_free(struct crm_products *p);
size_t crm_products_count(const struct crm_products *p);

/* The product row for a purchase's product (sku or name) on a day. */
struct crm_product_cost {
	const char *sku, *name, *category;	/* category may be NULL */
	double unit_cost;	/* when has_cost */
	double margin;		/* when !has_cost */
	const char *currency;	/* of unit_cost; NULL: the purchase's */
	int has_cost;
};

/* 1 and *pc filled when known, 0 when not (no such product, or none
 * valid that early). */
int crm_product_find(const struct crm_products *p, const char *product,
    int64_t at, struct crm_product_cost *pc);

enum crm_cost_what {
	CRM_COST_TICKET,
	CRM_COST_CHANNEL,	/* call is channel phone */
	CRM_COST_CAMPAIGN,
	CRM_COST_ORDER,
	CRM_COST_ACQUISITION,
};

struct crm_cost {
	enum crm_cost_what what;
	char *key;		/* NULL: any */
	double cost;
	char currency[4];	/* "" when the file gave none */
};

struct crm_costs {
	size_t n;
	struct crm_cost *c;
};

/* Read a cost file (decimal comma when ';' separates). */
struct crm_costs *crm_costs_read(const char *path, struct crm_error *err);
void crm_costs_free(struct crm_costs *c);

/* The cost of what with key (the keyed line, else the line without a
 * key), or NULL. */
const struct crm_cost *crm_costs_find(const struct crm_costs *c,
    enum crm_cost_what what, const char *key);

#endif
