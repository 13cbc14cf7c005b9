/*
 * interaction-int.h - what the parts of crm-log's import share
 * (interaction.c: the logger and its records; interaction-read.c: reading
 * a record and the lines of an order; interaction-contact.c: the contact a
 * record names; interaction-report.c: timelines and statistics).  Nothing
 * outside them includes it.
 */
#ifndef CRM_INTERACTION_INT_H
#define CRM_INTERACTION_INT_H

#include <stdint.h>

#include "buf.h"
#include "bulk.h"
#include "interaction.h"
#include "privacy.h"

enum {
	F_EXTERNAL_ID, F_EMAIL, F_PHONE,
	F_AT, F_CHANNEL, F_KIND, F_DIRECTION, F_AMOUNT, F_CURRENCY, F_PRODUCT,
	F_CATEGORY, F_QUANTITY, F_SUBJECT, F_NOTE, F_STATUS, F_CLOSED_AT,
	F_CAMPAIGN, F_REF, F_ORDER,
	NCOL
};

/* What a line of an order takes from the order's first line: the fields
 * of crm_log_inherited[]. */
#define NINHERITED 8
extern const int crm_log_inherited[NINHERITED];

/* A bounded cache of contact keys: memory stays flat however long the
 * input, and skewed logs (a few busy customers) hit it often. */
#define CACHE_SLOTS 65536

struct cache_slot {
	uint64_t h;
	char *key;
	int64_t id;
};

struct crm_logger {
	struct crm_db *db;
	struct crm_log_opts opts;
	struct crm_log_stats st;
	int64_t now;
	int64_t last_id;	/* max(id) before this run: newer rows are its */
	int64_t horizon;	/* crm-forget --retain: older ones stay out */
	int horizon_loaded;	/* read at the first record, in the batch */
	struct crm_erasure *erased;	/* the erased list, when asked */
	int idx[NCOL];
	struct crm_buf key, tmp, hashin;
	struct cache_slot *cache;
	int64_t *odd;		/* contacts merged away or erased, sorted */
	size_t nodd;
	int odd_loaded;
	const char *region;	/* the options', else the file's profile's */

	/* Orders: the current one, its line, its first line's values. */
	struct crm_buf order, oref, prev[NINHERITED];
	int64_t oline;
	int cont;		/* this record continues the order before */

	/*
	 * A large batch (bulk.h): the contact index of interactions is
	 * dropped and built again at the commit, and contacts are found by
	 * key in sorted maps read once (keymap[k] for external_id, email,
	 * phone) instead of an index probe per record.
	 */
	struct crm_bulk bulk;
	int bulk_on;		/* indexes dropped */
	int map_on;		/* contacts from the maps */
	int fresh;		/* no interactions before this run */
	struct keymap {
		int loaded;
		size_t n;
		size_t *off;	/* into text, sorted by key */
		int64_t *id;	/* 0: several contacts, or one changed */
		char *text;
	} keymap[3];
};

/* The normalised record, ready to bind. */
struct rec {
	struct crm_log_content c;	/* what its content key covers */
	const char *ref;
	const char *order;		/* the order it is a line of */
	unsigned char hash[16];
	unsigned char rhash[16];	/* the record's checksum (row_hash) */
	int has_rhash;
};

int crm_logger_keymap_find(struct crm_logger *, int, const char *, int64_t *,
    struct crm_error *);
void crm_logger_keymap_spoil(struct crm_logger *, int, const char *);
void crm_logger_keymap_free(struct crm_logger *);
int crm_logger_contact_of(struct crm_logger *, struct crm_csv *, int64_t *,
    struct crm_error *);
const char *crm_logger_field(struct crm_logger *, struct crm_csv *, int);
int crm_logger_order_line(struct crm_logger *, struct crm_csv *,
    struct crm_error *);
int crm_logger_normalise(struct crm_logger *, struct crm_csv *, struct rec *,
    char[4], char *[6], struct crm_error *);

#endif
