/*
 * offer.h - next best offer: for each contact the products they are most
 * likely to buy next and have not bought, from association rules over
 * the purchase history.
 *
 * A basket is every product a contact bought (kind purchase, up to the
 * end of the as-of day), with the days it was bought on.  For products a and b, conf(a -> b) is the share
 * of a's buyers who also bought b and lift(a -> b) = conf / the share of
 * all buyers who bought b; rules whose pair has fewer than min_count
 * buyers are not used.  A contact's candidate b (not in their basket)
 * takes the best rule from a product a they bought; its score is
 *
 *	conf(a -> b) * margin(b)
 *
 * where margin(b) is b's gross margin share (product.h: its margin, or
 * 1 - unit cost / its mean unit price in the cost's currency), 1 when
 * not known: a likely offer that earns nothing ranks below a slightly
 * less likely one that earns well.  A rule must do better than the empty
 * rule, the share of all buyers who bought b (lift 1), which otherwise
 * makes the offer (popular set, because NULL).
 *
 * Buying again: a product a contact bought is a candidate when due, its
 * usual interval (the contact's mean interval between its purchase
 * days, else the median of its repeat buyers' mean intervals) at least
 * four fifths passed and not three times over; its confidence is the
 * share of its buyers on at least as many days who bought it on one
 * more (again set, because == product).  Ties go to the higher lift,
 * then to the product name.
 *
 * Consent: as crm-campaign selects, a contact with do_not_contact, or
 * whose opt-in on the channel is not yes, gets no offer.
 */
#ifndef CRM_OFFER_H
#define CRM_OFFER_H

#include <stdint.h>

#include "csvio.h"
#include "db.h"
#include "error.h"
#include "product.h"

struct crm_offer_opts {
	int64_t asof;
	const char *kind;	/* purchases; NULL "purchase" */
	const char *channel;	/* consent on it; NULL "email" */
	int per_contact;	/* the cap: offers per contact (>= 1) */
	double min_count;	/* a rule needs this many buyers of both */
	const struct crm_products *products;	/* NULL: margins unknown */
};

struct crm_offer_row {
	int64_t id;
	const char *external_id, *email;
	int rank;		/* 1 .. per_contact */
	const char *product;	/* the offer */
	const char *because;	/* the product bought that implies it */
	double score, confidence, lift, margin;
	int64_t pair_buyers;	/* bought both */
	int again;		/* buy again: product == because */
	int popular;		/* no rule beats the share of buyers of
				   product: because is NULL */
	double interval;	/* again: the usual interval, days */
	int64_t since, times;	/* again: days since the last, and the
				   days it was bought on */
	int basis;		/* again: confidence is of the buyers on at
				   least this many days */
};

struct crm_offer_stats {
	int64_t contacts, offered, no_consent, offers, products, rules;
};

/* Offers in contact id order, best first; the row is valid during the
 * call only. */
int crm_offer_each(struct crm_db *db, const struct crm_offer_opts *opts,
    int (*fn)(void *arg, const struct crm_offer_row *row,
    struct crm_error *err), void *arg, struct crm_offer_stats *st,
    struct crm_error *err);

/* The same written to o: id, external_id, email, rank, product, score,
 * confidence, lift, margin, because, reason. */
int crm_offer_write(struct crm_db *db, const struct crm_offer_opts *opts,
    struct crm_out *o, struct crm_offer_stats *st, struct crm_error *err);

#endif
