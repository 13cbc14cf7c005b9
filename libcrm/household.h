/*
 * household.h - householding: the contacts who live at one address.
 *
 * A household is the contacts (not merged away, not erased) whose street
 * and postcode agree once folded (no case, accents or punctuation; street
 * types abbreviated, so "12 Acacia Avenue" and "12 acacia ave." are one
 * street; the city stands in for a missing postcode), and, when asked,
 * whose family name and phone agree too.  A contact without a street has
 * a household of its own.  A household's id is its lowest contact id, so
 * it stays when people move in later (new contacts get higher ids) and
 * changes only when that contact moves out, is merged or is erased.
 * Duplicates are people to householding: merge them first (crm-dedupe).
 */
#ifndef CRM_HOUSEHOLD_H
#define CRM_HOUSEHOLD_H

#include <stdint.h>

#include "db.h"
#include "error.h"

/* What else members must share, besides the address. */
#define CRM_HOUSEHOLD_SURNAME 0x1
#define CRM_HOUSEHOLD_PHONE 0x2

/* Parse a --key list: address, surname, phone, comma-separated. */
int crm_household_key_parse(const char *s, unsigned *flags,
    struct crm_error *err);

/* One contact and its household. */
struct crm_household_row {
	int64_t id;		/* the contact */
	int64_t household;	/* its household's id */
	int64_t size;		/* how many contacts the household has */
	const char *name;	/* given and family name, or "" */
	const char *street, *postcode, *city;	/* as stored, or NULL */
};

/*
 * Call fn for every contact in id order (not merged away, not erased),
 * households of one included.  The row's strings are valid during the
 * call only.  Stops at the first -1 from fn (which sets err).  CRM_EFAIL
 * on a database error or ENOMEM.
 */
int crm_household_each(struct crm_db *db, unsigned flags,
    int (*fn)(void *arg, const struct crm_household_row *row,
    struct crm_error *err), void *arg, struct crm_error *err);

#endif
