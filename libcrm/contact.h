/*
 * contact.h - customer records: import (upsert) and export.
 *
 * Import reads CSV records through a column map and upserts each:
 *
 *  - matching (CRM_KEY_AUTO, the default): a record with an external_id
 *    matches the contact with that external_id; if there is none, it
 *    adopts the one contact with the same email and no external_id (a lead
 *    captured before the customer system knew it), else it is new.  A
 *    record without an external_id matches on normalised email: no match
 *    is a new contact, several matches are an error naming them.
 *    CRM_KEY_EXTERNAL_ID requires and matches only external_id;
 *    CRM_KEY_EMAIL matches only on email.  A contact merged into another
 *    resolves to the survivor.
 *  - values: an empty cell leaves the stored value alone; a value replaces
 *    it.  Emails are lower-cased and checked; phones checked and made
 *    E.164 by libphonenumber's rules (phone.h; region from the record's
 *    country, else the default region, else the number's own when it is
 *    international), their type stored in phone_type and an extension in
 *    phone_ext; countries made ISO 3166 alpha-2 codes from any name
 *    iso-codes knows (a name it does not know is not stored, and is
 *    reported once by crm_importer_warnings()); names NFC.
 *    Columns the schema does not know become attributes (a JSON object,
 *    merged key by key).
 *  - consent: *_opt_in and do_not_contact columns change the contact's
 *    consent and append a consent event, but an opt-out (opt_in 0, or
 *    do_not_contact 1) is never turned back unless allow_opt_in is set.
 *  - a record whose values equal the stored ones changes nothing, so
 *    re-running an import is a no-op.
 *  - created_at, when the file has it (an export's own creation date),
 *    is the new contact's created_at; imported_at is always when crm
 *    first stored it.  An update leaves both alone.
 *  - full_name (a whole name, as Stripe exports it) fills first_name and
 *    last_name where the record has neither: the last word is the last
 *    name.
 */
#ifndef CRM_CONTACT_H
#define CRM_CONTACT_H

#include <stdint.h>

#include "csvio.h"
#include "db.h"
#include "error.h"

enum crm_key {
	CRM_KEY_AUTO,
	CRM_KEY_EXTERNAL_ID,
	CRM_KEY_EMAIL,
};

/*
 * When an email (no external_id) matches several active contacts: refuse
 * the record naming them, or take the newest (highest created_at, then
 * id) or the oldest.  Merged-away contacts never count: their survivor
 * does.
 */
enum crm_ambiguous {
	CRM_AMBIGUOUS_REJECT,
	CRM_AMBIGUOUS_NEWEST,
	CRM_AMBIGUOUS_OLDEST,
};

struct crm_contact_opts {
	enum crm_key key;
	int allow_opt_in;	/* an import may turn an opt-out back in */
	const char *region;	/* default phone region (ISO alpha-2) or NULL */
	const char *source;	/* recorded on consent events, e.g. a file */
	int allow_erased;	/* make contacts of people erased before */
	enum crm_ambiguous ambiguous;
};

/* Parse an --ambiguous value. */
int crm_contact_ambiguous_parse(const char *s, enum crm_ambiguous *a,
    struct crm_error *err);

struct crm_contact_stats {
	int64_t read, inserted, updated, unchanged, rejected;
	int64_t optout_kept;	/* opt-outs an import tried to reverse */
	int64_t erased;		/* records of erased people, not imported */
};

struct crm_importer;

/* Parse a --key value. */
int crm_contact_key_parse(const char *s, enum crm_key *key,
    struct crm_error *err);

/* A new importer on db (inside the caller's transaction). */
struct crm_importer *crm_importer_new(struct crm_db *db,
    const struct crm_contact_opts *opts, struct crm_error *err);
void crm_importer_free(struct crm_importer *imp);

/* Read r's header and map its columns (call once per file). */
int crm_importer_header(struct crm_importer *imp, struct crm_csv *r,
    struct crm_error *err);

/*
 * What the import read but could not use and did not store (country
 * names iso-codes does not know): fn gets one message per distinct value
 * and column, "FILE:LINE: unknown country 'VALUE' in column COLUMN (N
 * records): not stored", in the order first seen.
 */
void crm_importer_warnings(const struct crm_importer *imp,
    void (*fn)(void *arg, const char *msg), void *arg);

/* Set the source recorded on consent events (e.g. the file name). */
void crm_importer_source(struct crm_importer *imp, const char *source);

/*
 * The phone region of the next file (a profile's), used where the
 * options give none; NULL for none.  Before crm_importer_header().
 */
void crm_importer_region(struct crm_importer *imp, const char *region);

/*
 * Upsert r's current record.  -1 with err: CRM_EDATA for a bad record
 * (nothing written for it; the message has file:line), anything else is a
 * failure of the whole batch.  Call it inside the batch's write
 * transaction: what it decides from the database (the erased list,
 * recorded opt-outs, whether leads without external_id exist) is read
 * there, under the write lock.
 */
int crm_importer_row(struct crm_importer *imp, struct crm_csv *r,
    struct crm_error *err);

/* Counts so far. */
const struct crm_contact_stats *crm_importer_stats(
    const struct crm_importer *imp);

/*
 * Re-normalising what is stored (crm-add --renormalise), inside the
 * caller's transaction: every contact not erased has its country made an
 * alpha-2 code and its phone parsed again by today's rules (region from
 * the country, else region), with phone_type and phone_ext set.  fn gets
 * each change: the contact, the column, the stored and the new value
 * (NULL for none) and a note, or for a value that cannot be brought to
 * the rules (a phone now invalid, a country not known) the same value
 * twice and the reason; those are kept as they were.
 */
struct crm_renorm_stats {
	int64_t contacts;	/* looked at */
	int64_t changed;	/* contacts with a change */
	int64_t phones, types, exts, countries;	/* values changed */
	int64_t invalid;	/* phones kept though invalid now */
	int64_t unknown;	/* countries kept though not known */
};

int crm_contact_renormalise(struct crm_db *db, const char *region,
    void (*fn)(void *arg, int64_t id, const char *column, const char *old,
    const char *new_value, const char *note), void *arg,
    struct crm_renorm_stats *st, struct crm_error *err);

/* The contacts columns the phone rules added (migration 5 -> 6). */
extern const char crm_contact_phone_schema[];

/* Export. */

struct crm_contact_filter {
	const char *stage;	/* lead, prospect, customer, former */
	const char *owner;
	int64_t since;		/* updated at or after; 0 for any */
	const char *consent;	/* email, phone, sms, mail: opted in, no DNC;
				   sms also needs a mobile phone_type */
	int include_merged;	/* also merged-away and erased records */
};

/*
 * The columns crm_contact_export() knows, comma-separated, for usage text;
 * "attr.NAME" also selects one attribute.
 */
extern const char crm_contact_columns[];

/*
 * Write contacts matching f to o, columns given as a comma-separated list
 * (NULL for the default set), ordered by id.  *count gets the number of
 * records written.
 */
int crm_contact_export(struct crm_db *db, struct crm_out *o,
    const char *columns, const struct crm_contact_filter *f, int64_t *count,
    struct crm_error *err);

/*
 * Move contact id to lifecycle stage (lead, prospect, customer, former),
 * updated_at now, unless it is there already (crm-deal: a won deal makes
 * its contact a customer).  Inside the caller's transaction.
 */
int crm_contact_set_stage(struct crm_db *db, int64_t id, const char *stage,
    int64_t now, struct crm_error *err);

#endif
