/*
 * interaction.h - the history of every interaction on every channel.
 *
 * Import (crm-log): each record names its contact by external_id, else
 * email, else phone (normalised as crm-add does; a merged-away contact
 * resolves to its survivor) and carries when (ISO 8601), channel, kind,
 * direction, money, product and free text.  A record with a ref (an
 * external reference: order number, ticket id) is stored once per ref: a
 * re-import adds nothing, and a record whose fields changed (a ticket now
 * closed) updates the stored one.  A record without a ref is stored once
 * per content: the same contact, time, channel, kind, direction, amount,
 * currency, product, category, quantity, subject, note, status and
 * campaign.
 *
 * Orders: a record with an order (Shopify's Name, WooCommerce's order
 * number) is a line of that order.  Lines of one order follow each
 * other; a line's empty contact keys, at, channel, kind, direction and
 * currency are the order's first line's, its ref (unless it has one) is
 * the order and its place in it ("#1001/2"), and the order is kept as
 * order_ref so that analyses count orders, not lines.
 *
 * Channels: email phone web store ivr chat sms social mail other.  Kinds:
 * lower-case words (purchase, call, email, visit, ticket, note, ...).
 * Direction: in or out (inbound/outbound, i/o accepted).  Status: open or
 * closed (tickets).
 */
#ifndef CRM_INTERACTION_H
#define CRM_INTERACTION_H

#include <stdint.h>

#include "csvio.h"
#include "db.h"
#include "error.h"

#define CRM_LOG_MAX_ALIASES 32

struct crm_log_opts {
	int create_missing;	/* make a stub contact for an unknown key */
	int ambiguous;		/* an email or phone of several contacts:
				   0 refuse, 1 the newest, 2 the oldest
				   (enum crm_ambiguous in contact.h) */
	const char *region;	/* default phone region */
	const char *currency;	/* default currency for amounts */
	const char *source;	/* recorded with each interaction */
	size_t naliases;	/* channel aliases: from -> to */
	const char *alias_from[CRM_LOG_MAX_ALIASES];
	const char *alias_to[CRM_LOG_MAX_ALIASES];
};

struct crm_log_stats {
	int64_t read, inserted, updated, unchanged, rejected, created;
	int64_t erased;		/* records of erased people, left out */
	int64_t withdrawn;	/* consents withdrawn by unsubscribes, bounces */
	int64_t collapsed;	/* of the unchanged, records without a ref
				   identical to one this run inserted (same
				   content key): stored once */
};

/*
 * What makes an interaction without a ref the same as another: its content
 * key is a 128-bit FNV-1a hash of these fields (NULL text hashes apart from
 * every string; closed_at 0 when there is none).  crm-dedupe recomputes it
 * when an interaction moves to another contact.
 */
struct crm_log_content {
	int64_t contact, at, closed_at;
	const char *channel, *kind, *direction, *currency, *status;
	double amount, quantity;
	int has_amount, has_quantity;
	const char *text[5];	/* product, category, subject, note, campaign */
};

void crm_log_content_key(const struct crm_log_content *c,
    unsigned char out[16]);

/*
 * Store one interaction another module derives (crm-deal: a won deal's
 * purchase) as crm-log would store a record with this ref (not NULL) and
 * source, stored or updated at now: a new ref is inserted; a known one
 * is updated as a re-import would update it.  Returns 1 inserted, 2
 * updated, 0 unchanged; -1 with err.  Inside the caller's transaction.
 */
int crm_log_put(struct crm_db *db, const struct crm_log_content *c,
    const char *ref, const char *source, int64_t now,
    struct crm_error *err);

struct crm_logger;

/* The interactions' record checksum (a migration of db-schema.c). */
extern const char crm_interaction_rowhash_schema[];

/* The accepted channels, comma-separated, for messages and usage. */
extern const char crm_log_channels[];

/* Check a channel name; returns the canonical static string or NULL. */
const char *crm_log_channel(const char *s);

/*
 * Add a channel alias "FROM=TO" (TO must be a channel) to opts.
 * CRM_EUSAGE on a bad one.
 */
int crm_log_alias(struct crm_log_opts *opts, const char *spec,
    struct crm_error *err);

struct crm_logger *crm_logger_new(struct crm_db *db,
    const struct crm_log_opts *opts, struct crm_error *err);
void crm_logger_free(struct crm_logger *lg);

/* Map r's header; call once per file. */
int crm_logger_header(struct crm_logger *lg, struct crm_csv *r,
    struct crm_error *err);

/* The next file's phone region (a profile's) where the options give none. */
void crm_logger_region(struct crm_logger *lg, const char *region);
void crm_logger_source(struct crm_logger *lg, const char *source);

/*
 * Store r's current record; CRM_EDATA errors concern this record only.
 * Call it inside the batch's write transaction (crm_db_begin()): what it
 * decides from the database (the retention horizon, the erased and
 * merged contacts) is read at the first record, under the write lock, so
 * that a crm-forget that commits while this run waits is honoured.
 */
int crm_logger_row(struct crm_logger *lg, struct crm_csv *r,
    struct crm_error *err);

const struct crm_log_stats *crm_logger_stats(const struct crm_logger *lg);

struct crm_log_filter {
	const char *channel;	/* NULL for all */
	const char *kind;	/* NULL for all */
	int64_t since, until;	/* [since, until); 0 for open */
	int64_t limit;		/* 0 for all */
};

/* One contact's timeline, newest first. */
int crm_log_show(struct crm_db *db, int64_t contact, const
    struct crm_log_filter *f, struct crm_out *o, struct crm_error *err);

/*
 * Channel statistics as of asof: for each window (days) and each channel,
 * kind and currency, interactions, inbound, outbound, contacts reached,
 * the amounts' sum.  windows[] is in days.  crm_log_stats_each() hands
 * each row to fn (its strings valid during the call; a negative return
 * stops with fn's error); crm_log_stats() writes them (amount with two
 * decimals).
 */
struct crm_log_stats_row {
	int64_t window_days;
	const char *channel, *kind;
	const char *currency;		/* NULL when none was given */
	int64_t interactions, inbound, outbound, contacts;
	double amount;			/* 0 when no row has one */
};

int crm_log_stats_each(struct crm_db *db, int64_t asof,
    const int64_t *windows, size_t nwindows, int (*fn)(void *arg,
    const struct crm_log_stats_row *row, struct crm_error *err), void *arg,
    struct crm_error *err);
int crm_log_stats(struct crm_db *db, int64_t asof, const int64_t *windows,
    size_t nwindows, struct crm_out *o, struct crm_error *err);

/* Each contact's preferred channel: the one with most inbound interactions
 * (ties: the most recent), with counts. */
int crm_log_preferred(struct crm_db *db, struct crm_out *o,
    struct crm_error *err);

/*
 * Tickets per channel opened in the window (days) ending at asof: opened,
 * still open, closed, resolved (with a closing time), mean and median
 * hours to resolution (NAN when none is resolved).  Rows to fn, as
 * crm_log_stats_each(), or written (hours with two decimals, empty for
 * NAN).
 */
struct crm_log_tickets_row {
	const char *channel;
	int64_t tickets, open, closed, resolved;
	double mean_hours, median_hours;
};

int crm_log_tickets_each(struct crm_db *db, int64_t asof, int64_t window,
    int (*fn)(void *arg, const struct crm_log_tickets_row *row,
    struct crm_error *err), void *arg, struct crm_error *err);
int crm_log_tickets(struct crm_db *db, int64_t asof, int64_t window,
    struct crm_out *o, struct crm_error *err);

/*
 * Record one interaction a program made (a task done, a hand-off): c's
 * contact, at, channel, kind, direction, subject (text[2]) and note
 * (text[3]); ref, when not NULL, makes it idempotent.  Inside the
 * caller's transaction.
 */
int crm_log_add(struct crm_db *db, const struct crm_log_content *c,
    const char *ref, const char *source, struct crm_error *err);

#endif
