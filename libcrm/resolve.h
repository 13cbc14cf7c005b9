/*
 * resolve.h - contacts by key.  The contacts table belongs to contact.c;
 * these look-ups are the part every module needs (logging interactions,
 * erasure, subject export, merges), kept apart so that none of those
 * depends on another to find a contact.
 */
#ifndef CRM_RESOLVE_H
#define CRM_RESOLVE_H

#include <stdint.h>

#include "db.h"
#include "error.h"

/*
 * Find a contact by a key as a person types it: "#123" is an id, a value
 * with '@' an email, one of digits, spaces and + - ( ) a phone (region as
 * crm-add), anything else an external_id.  Follows merges.  *id gets the
 * contact; CRM_EDATA if there is none or the key is ambiguous.
 */
int crm_contact_resolve(struct crm_db *db, const char *key,
    const char *region, int64_t *id, struct crm_error *err);

/*
 * A normalised key looked up: what is "external_id", "email" or "phone".
 * *id > 0 found, 0 not found.  Emails and phones are not unique: one
 * active contact is the answer; none active but merged-away ones means
 * their survivor (if they agree); only erased ones is an error, so that
 * an import never brings an erased person back.
 */
int crm_contact_lookup(struct crm_db *db, const char *what, const char *v,
    int64_t *id, struct crm_error *err);

/*
 * The same, but an email or phone of several active contacts gives, with
 * ambiguous 1, the newest of them (by created_at, then id), with 2 the
 * oldest; 0 refuses it as crm_contact_lookup() does.
 */
int crm_contact_lookup_amb(struct crm_db *db, const char *what,
    const char *v, int ambiguous, int64_t *id, struct crm_error *err);

/* Follow merged_into from *id to the survivor; refuse an erased contact
 * (CRM_EDATA). */
int crm_contact_survivor(struct crm_db *db, int64_t *id,
    struct crm_error *err);

/*
 * The contacts a CSV file names (path, "-" for standard input; TSV with
 * tsv), by a column id, external_id or email (the first of those
 * present), each resolved as above.  *ids (free(3) it) gets them in file
 * order, *n how many.  CRM_EUSAGE without such a column; a key that
 * names no contact is CRM_EDATA with file:line.
 */
int crm_contact_read_ids(struct crm_db *db, const char *path, int tsv,
    const char *region, int64_t **ids, size_t *n, struct crm_error *err);

#endif
