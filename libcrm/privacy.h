/*
 * privacy.h - the rights of the people in the database: erasure
 * (crm-forget), retention (crm-forget --retain) and access (crm-export
 * --subject).
 *
 * A subject is one person: the contact a key names (see
 * crm_contact_resolve(): "#id", email, phone or external_id; a merged-away
 * record stands for its survivor) together with every record merged into
 * it, at any depth.
 *
 * Erasure.  Every row of every table with a foreign key to contacts that
 * names one of the subject's records is deleted (the tables are found in
 * the schema, so a table added later is covered without a change here),
 * and each record is reduced to a tombstone: its id, erased_at (also
 * written to created_at and updated_at), do_not_contact = 1, the stage
 * back to its default, every other column NULL.  The tombstone keeps the
 * id from being reused and tells crm-log and crm-export that the contact
 * was erased.  Audit entries whose arguments hold the subject's email or
 * phone get "[erased]" in their place.  The statements run with PRAGMA
 * secure_delete on, so freed space is zeroed; crm_privacy_wipe() then gets
 * the old pages out of the write-ahead log.
 *
 * The erased list.  erased_subjects keeps, for each erased record, an
 * HMAC-SHA256 (hex) of its external_id, email and phone ("external_id:",
 * "email:" or "phone:" and the stored value, normalised as crm-add stores
 * it), keyed with a random salt kept in the same table as a row whose hash
 * is "salt:" and 64 hex digits.  An email or phone that another contact
 * still has is not listed: the list would otherwise name that contact too.
 * The list says nothing readable about anyone, but lets a restored backup
 * be erased again: crm_erasure_list_row() adds a list (salt rows
 * included) to a database, and crm_erasure_add_listed() finds every
 * contact whose keys hash to a listed value under any of the salts.
 *
 * Every function that writes runs inside the caller's transaction
 * (crm_db_begin()); nothing here commits.
 */
#ifndef CRM_PRIVACY_H
#define CRM_PRIVACY_H

#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "csvio.h"
#include "db.h"
#include "error.h"

struct crm_erasure;

struct crm_erasure_stats {
	int64_t subjects;	/* people erased (survivors) */
	int64_t records;	/* contact rows made tombstones */
	int64_t rows;		/* rows deleted from other tables */
	int64_t already;	/* keys whose contact was erased before */
	int64_t read;		/* list entries read */
	int64_t listed;		/* of those, new to the database */
	int64_t shared;		/* emails or phones kept off the list */
};

/*
 * A new erasure batch on db; also the handle for crm_erasure_listed().
 * Nothing is done to db until it is used.  Free with crm_erasure_free().
 */
struct crm_erasure *crm_erasure_new(struct crm_db *db, struct crm_error *err);
void crm_erasure_free(struct crm_erasure *er);

/*
 * Add the subject key names (region: the default phone region, or NULL).
 * Returns 1 when added (or already added by another key), 0 when the key
 * names a contact erased before (a tombstone "#id", or a key whose hash is
 * listed), -1 with err: CRM_EDATA if no contact has the key or several
 * do, CRM_EUSAGE for an empty or malformed key.
 */
int crm_erasure_add(struct crm_erasure *er, const char *key,
    const char *region, struct crm_error *err);

/*
 * Read a list as crm_privacy_list() writes it (a "hash" column, an
 * optional "erased_at") into erased_subjects, salt rows included:
 * crm_erasure_list_header() once per file, then crm_erasure_list_row() for
 * each record (as a struct crm_batch reads files).  A malformed hash or
 * time is CRM_EDATA with file:line.
 */
int crm_erasure_list_header(struct crm_erasure *er, struct crm_csv *r,
    struct crm_error *err);
int crm_erasure_list_row(struct crm_erasure *er, struct crm_csv *r,
    struct crm_error *err);

/*
 * Add every subject with a record whose external_id, email or phone is on
 * the list.  *n gets how many subjects that added.
 */
int crm_erasure_add_listed(struct crm_erasure *er, int64_t *n,
    struct crm_error *err);

/*
 * Erase every subject added so far, as described above.  The audit
 * entries' arguments lose every value of the person (external_id, email,
 * phone, names, street, birth date, postcode, company, wherever one
 * stands as a word of its own, in any ASCII case: "[erased]" instead);
 * saved segment rules that name one are kept and listed (see
 * crm_erasure_rules()).  Turns PRAGMA secure_delete on for the
 * connection (it stays on).
 */
int crm_erasure_run(struct crm_erasure *er, struct crm_error *err);

/*
 * The names of up to max saved segments whose rule names a value of an
 * erased person (an external_id, email, phone, name, street, birth date,
 * postcode or company, as a word of its own): the rule is the user's
 * text and is kept, but should be edited.  The names live as long as er.
 */
size_t crm_erasure_rules(const struct crm_erasure *er, const char **names,
    size_t max);

/* The ids of up to max contacts that kept an email or phone of an erased
 * subject (see shared in the stats); returns how many. */
size_t crm_erasure_sharers(const struct crm_erasure *er, int64_t *ids,
    size_t max);

const struct crm_erasure_stats *crm_erasure_stats(
    const struct crm_erasure *er);

/*
 * The counts as a JSON object for the audit: the stats above and the rows
 * deleted per table, e.g. {"subjects":1,...,"interactions":12}.
 */
int crm_erasure_counts(const struct crm_erasure *er, struct crm_buf *out,
    struct crm_error *err);

/*
 * A tag for key that the audit can keep instead of the key: "key:" and 16
 * hex digits of its HMAC under the list's salt (creating the salt if
 * there is none yet), so that whoever knows a key can tell that it was
 * erased, and nobody can read the key.
 */
int crm_erasure_tag(struct crm_erasure *er, const char *key,
    struct crm_buf *out, struct crm_error *err);

/*
 * 1 if the normalised value of kind ("external_id", "email" or "phone")
 * belongs to an erased subject, 0 if not, -1 with err.  For importers that
 * must not bring an erased person back: one crm_erasure per import, asked
 * before a record creates a contact.  The salts and whether the list is
 * empty are read once (then an answer costs nothing); with entries, an
 * answer is one HMAC and one index lookup per salt.
 */
int crm_erasure_listed(struct crm_erasure *er, const char *kind,
    const char *value, struct crm_error *err);

/*
 * The same, and for an email also under the key crm gave it before Unicode
 * keys (crm_norm_email_legacy() of raw, the value as the input has it), so
 * that a person erased before the upgrade to Unicode keys, whose entry was
 * hashed under the old key, stays erased.  raw may be NULL.
 */
int crm_erasure_listed_raw(struct crm_erasure *er, const char *kind,
    const char *value, const char *raw, struct crm_error *err);

/*
 * After the commit: scrub what the erasure left in the files.  With vacuum
 * the database is first rebuilt with VACUUM, which drops whatever deleted
 * text earlier writers left in free space when they ran without
 * secure_delete (see crm_privacy_secure_default()).  Then the write-ahead
 * log is checkpointed and truncated, waiting for readers up to the busy
 * timeout; if a reader still holds old pages, CRM_EFAIL says so: the data
 * is erased, but old copies remain in the files until a later wipe.  Not
 * inside a transaction.
 */
int crm_privacy_wipe(struct crm_db *db, int vacuum, struct crm_error *err);

/* 1 if the connection has secure_delete on (call before erasing). */
int crm_privacy_secure_default(struct crm_db *db);

/* Write erased_subjects (hash, erased_at), salt rows included, to o. */
int crm_privacy_list(struct crm_db *db, struct crm_out *o,
    struct crm_error *err);

/*
 * Retention (crm-forget --retain, run from cron): what happened before a
 * horizon is purged or anonymised, in the caller's transaction.
 *
 * Purge deletes the interactions with at before the horizon, anonymised
 * ones included, with secure_delete on (crm_privacy_wipe() then empties
 * the write-ahead log).
 *
 * Anonymise keeps them for statistics and cuts every tie to a person:
 * at, channel, kind, direction, amount, currency, quantity, product,
 * category, status, closed_at and campaign stay; subject, note, ref and
 * source become NULL; the contact becomes the placeholder (below); the
 * content key becomes 16 random bytes (the old one hashed the contact and
 * the note); and the rows are stored again under new ids, in order of at
 * and content, with created_at and updated_at the time of the run, so that
 * neither the ids nor the import times tell which rows came in together.
 * Rows already on the placeholder are left alone.
 *
 * The placeholder is a contact that stands for nobody: a tombstone as an
 * erasure leaves one (erased_at set, do_not_contact 1, every key NULL)
 * whose attrs are CRM_RETENTION_PLACEHOLDER.  Being erased, it is left
 * out of exports, imports refuse it, and the per-contact analyses (RFM,
 * churn, campaign responses) skip its interactions, while the totals per
 * channel and period (crm-log stats, crm-report) count them.  It is made
 * by the first anonymising run that has rows to move.
 *
 * The horizon is kept in the retention table (and written to the run's
 * audit entry, "before" in its counts); crm_retention_horizon() gives the
 * latest, so that an importer can leave older records out instead of
 * bringing back what was purged or anonymised.  A run with an earlier
 * horizon than one before it leaves the later one.
 */
#define CRM_RETENTION_PLACEHOLDER "{\"crm\":\"anonymised interactions\"}"

enum crm_retention_mode {
	CRM_RETAIN_PURGE,
	CRM_RETAIN_ANONYMISE
};

struct crm_retention_stats {
	int64_t before;		/* the horizon */
	int64_t purged;		/* interactions deleted */
	int64_t anonymised;	/* interactions detached */
	int64_t placeholder;	/* anonymise: the placeholder's id, or 0 */
};

/*
 * Purge or anonymise (mode) the interactions with at < before, filling
 * *st.  CRM_EUSAGE if before is after now.  Turns PRAGMA secure_delete on
 * for the connection.
 */
int crm_retention_run(struct crm_db *db, enum crm_retention_mode mode,
    int64_t before, struct crm_retention_stats *st, struct crm_error *err);

/*
 * The audit counts of a run, e.g.
 * {"mode":"purge","before":1700000000,"purged":12,"anonymised":0}.
 */
int crm_retention_counts(enum crm_retention_mode mode,
    const struct crm_retention_stats *st, struct crm_buf *out,
    struct crm_error *err);

/*
 * The retention horizon: 1 with *before set, or 0 (and *before 0) if
 * crm-forget never set one; -1 on failure.  A writer that acts on it
 * reads it inside its own write transaction (crm_db_begin()).
 */
int crm_retention_horizon(struct crm_db *db, int64_t *before,
    struct crm_error *err);

/*
 * Right of access: everything held about the subject whose survivor is id
 * (see crm_contact_resolve()) as one JSON object on one line of fp:
 *
 *	{"contact":{...},"merged_contacts":[...],"consent":[...],
 *	 "consent_events":[...],"interactions":[...],...,
 *	 "exported_at":"..."}
 *
 * "consent" is the current consent per channel and purpose, the latest
 * event of each; then one array per table that refers to contacts, its
 * rows ordered by their first column.  Times are ISO 8601 UTC, JSON
 * columns nested, yes/no columns true or false, BLOBs hex; a foreign key
 * to another table brings that row along (segment_id: its "segment").
 * Read in one transaction, so the parts agree.  CRM_EDATA for an erased
 * contact.
 */
int crm_privacy_export(struct crm_db *db, int64_t id, FILE *fp,
    struct crm_error *err);

#endif
