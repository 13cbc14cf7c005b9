/*
 * segment.h - who is which customer: RFM, rules, profitability, baskets,
 * saved segments.
 */
#ifndef CRM_SEGMENT_H
#define CRM_SEGMENT_H

#include <stdint.h>

#include "buf.h"
#include "csvio.h"
#include "db.h"
#include "error.h"
#include "expr.h"
#include "kmeans.h"
#include "rate.h"

/*
 * RFM.  For each contact (not merged away, not erased): recency in days
 * from the day of the last purchase to the as-of day, frequency (number of
 * purchases), monetary (their total, or mean with monetary_avg), counting
 * purchases up to the end of the as-of day.  Each is scored 1..5:
 *
 *  - by quintile (default): a value's score is 1 + floor(5 * k / n), where
 *    n is the number of buyers and k the number of buyers with a strictly
 *    worse value (fewer purchases, less money, more days), so equal values
 *    always get equal scores;
 *  - or by four cut points per measure, ascending: frequency and monetary
 *    score k + 1 when at least the k-th cut; recency scores 5 when at most
 *    the first cut, 4 at most the second, ... 1 above the fourth.
 *
 * The segment name comes from a map on (R, FM) where FM = (F + M + 1) / 2
 * (integer division: the mean, halves rounded up).  Contacts without
 * purchases get no scores and the segment "No purchases".
 */
struct crm_rfm_rule {
	int rlo, rhi, fmlo, fmhi;
	const char *name;	/* owned (malloc'd) in a map read from a file */
};

struct crm_rfm_map {
	size_t n;
	struct crm_rfm_rule *rules;	/* the first rule that matches wins */
};

/* The standard map (static; do not free). */
const struct crm_rfm_map *crm_rfm_default_map(void);

/*
 * Read a map: CSV with columns r, fm and segment, where r and fm are a
 * score, a range "4-5" or "*".  Every (R, FM) pair must be covered.
 */
struct crm_rfm_map *crm_rfm_map_read(const char *path, struct crm_error *err);
void crm_rfm_map_free(struct crm_rfm_map *m);

struct crm_rfm_opts {
	int64_t asof;		/* UTC seconds; the whole day counts */
	int monetary_avg;	/* mean spend instead of total */
	const char *kind;	/* interactions that are purchases */
	const double *cuts[3];	/* R, F, M: 4 ascending values, or NULL */
	const struct crm_rfm_map *map;
	/*
	 * Money in one currency: with currency, every purchase converted
	 * to it at its day's rate (rate.h; a purchase without a currency
	 * is in it); without, purchases in two currencies are an error
	 * (CRM_EDATA) rather than a sum of both.
	 */
	const char *currency;
	const struct crm_rates *rates;
	/*
	 * With currency: a purchase in another currency without a rate is
	 * left out of monetary (it still counts for recency and frequency)
	 * instead of an error; *skipped, when not NULL, counts them.
	 */
	int skip_unconverted;
	int64_t *skipped;
};

/*
 * The currency most purchases (kind, up to the end of asof's day) are
 * in, into cur[4]; "" when they are in one currency or none, so that
 * nothing needs converting.  For a program that must give a figure (the
 * report) where the user named no currency.
 */
int crm_rfm_main_currency(struct crm_db *db, int64_t asof, const char *kind,
    char cur[4], struct crm_error *err);

/*
 * Compute RFM and write one row per contact to o (id, external_id, email,
 * recency, frequency, monetary, r, f, m, rfm, segment), ordered by id.
 * The cut points used are described in explain (lines of text).
 */
int crm_rfm(struct crm_db *db, const struct crm_rfm_opts *opts,
    struct crm_out *o, struct crm_buf *explain, struct crm_error *err);

/* One contact's row of crm_rfm(), as numbers. */
struct crm_rfm_row {
	int64_t id;
	const char *external_id;	/* NULL when there is none */
	const char *email;		/* NULL when there is none */
	int64_t recency;		/* days; 0 without purchases */
	int64_t frequency;		/* purchases; 0 for none */
	double monetary;		/* to the cent; 0 without purchases */
	int r, f, m;			/* 1..5; 0 without purchases */
	const char *segment;		/* the map's name, or "No purchases" */
};

/*
 * The rows of crm_rfm(), in the same order, handed to fn instead of
 * written, for a program that adds them up (crm-report) without
 * formatting a million rows and parsing them back.  The row and its
 * strings are valid during the call only.  Stops at the first -1 from fn
 * (which sets err) and returns -1.
 */
int crm_rfm_each(struct crm_db *db, const struct crm_rfm_opts *opts,
    int (*fn)(void *arg, const struct crm_rfm_row *row,
    struct crm_error *err), void *arg, struct crm_buf *explain,
    struct crm_error *err);

/*
 * k-means on RFM.  The recency, frequency and monetary value of each
 * contact with purchases, as crm_rfm_each() gives them with opts, each
 * taken as log(1 + v) (-log(1 + |v|) for a negative monetary value, from
 * refunds) to tame the long tail of big spenders and frequent buyers,
 * then standardised to z-scores so that no measure outweighs the others
 * by its unit (crm_kmeans_standardise()), and clustered by
 * crm_kmeans_fit() with ko.  Clusters are numbered from 1 by the mean
 * monetary value of their members, highest first.
 *
 * Writes one row per contact to o, ordered by id: id, external_id, email,
 * recency, frequency, monetary (as crm_rfm() writes them), cluster and
 * distance (to the cluster's centre, in z-score units, four decimals);
 * a contact without purchases has an empty cluster and distance, as it
 * has empty scores in crm_rfm().  explain, when not NULL, gets lines of
 * text: the counts, the inertia and iterations of the run kept, and for
 * each cluster its size, share and the means of its members in days and
 * money.  Errors: CRM_EDATA when nobody bought or the buyers have fewer
 * distinct (recency, frequency, monetary) values than ko->k.
 */
int crm_rfm_kmeans(struct crm_db *db, const struct crm_rfm_opts *opts,
    const struct crm_kmeans_opts *ko, struct crm_out *o,
    struct crm_buf *explain, struct crm_error *err);

/*
 * RFM per household (household.h, by address): recency from the
 * household's latest purchase, frequency and monetary (total, or mean
 * with monetary_avg) over all its members, scored among households as
 * crm_rfm() scores contacts.  One row per household (households of one
 * included): household (its lowest contact id), members, that contact's
 * external_id and email, recency, frequency, monetary, r, f, m, rfm,
 * segment, in household order.
 */
int crm_rfm_household(struct crm_db *db, const struct crm_rfm_opts *opts,
    struct crm_out *o, struct crm_error *err);

/* Profitability: profit.h. */

/*
 * Items bought together: for every ordered pair (a, b) of products (or
 * categories, by_category) bought by the same contacts, the number of
 * contacts who bought both, support (that share of all buyers), confidence
 * (share of a's buyers who bought b) and lift (confidence over b's
 * support).  Pairs with support below min_support (a share when below 1,
 * else a count of contacts) are left out.
 */
int crm_pairs(struct crm_db *db, int by_category, double min_support,
    struct crm_out *o, struct crm_error *err);

/* Contacts matching e (id, external_id, email, first_name, last_name). */
int crm_segment_select(struct crm_db *db, const struct crm_expr *e,
    struct crm_out *o, int64_t *count, struct crm_error *err);

/*
 * Saved segments.  A rule segment stores its expression and is recomputed
 * by refresh; a list segment stores the contacts it was given.  save
 * replaces an existing segment of that name only with replace set.
 */
int crm_segment_save_rule(struct crm_db *db, const char *name,
    const char *rule, int64_t asof, int replace, int64_t *count, int *col,
    struct crm_error *err);
int crm_segment_save_list(struct crm_db *db, const char *name,
    const int64_t *ids, size_t n, int replace, int64_t *count,
    struct crm_error *err);
int crm_segment_refresh(struct crm_db *db, const char *name, int64_t asof,
    int64_t *count, struct crm_error *err);
int crm_segment_drop(struct crm_db *db, const char *name,
    struct crm_error *err);
int crm_segment_list(struct crm_db *db, struct crm_out *o,
    struct crm_error *err);
int crm_segment_show(struct crm_db *db, const char *name, struct crm_out *o,
    struct crm_error *err);

/* The names of the rule segments, for refresh of all (free each and the
 * array). */
int crm_segment_rules(struct crm_db *db, char ***names, size_t *n,
    struct crm_error *err);

#endif
