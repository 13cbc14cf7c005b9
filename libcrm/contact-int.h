/*
 * contact-int.h - what the parts of a contact import share (contact.c:
 * the importer and its records; contact-norm.c: reading a record;
 * contact-write.c: finding, inserting and updating the contact;
 * contact-export.c: export).  Nothing outside them includes it.
 */
#ifndef CRM_CONTACT_INT_H
#define CRM_CONTACT_INT_H

#include <stdint.h>

#include "buf.h"
#include "bulk.h"
#include "contact.h"
#include "hash.h"
#include "privacy.h"

/* Columns an import understands; the first NTEXT are stored as text. */
enum {
	F_EXTERNAL_ID, F_FIRST_NAME, F_LAST_NAME, F_EMAIL, F_PHONE, F_COMPANY,
	F_STREET, F_CITY, F_POSTCODE, F_COUNTRY, F_BIRTH_DATE, F_STAGE,
	F_OWNER, F_PHONE_TYPE, F_PHONE_EXT,
	NTEXT,
	F_EMAIL_OPT = NTEXT, F_PHONE_OPT, F_SMS_OPT, F_MAIL_OPT, F_DNC,
	F_ATTRS, F_CREATED, F_FULL_NAME,
	/* What crm-export writes but an import must not take as data. */
	F_IGN_ID, F_IGN_NAME_KEY, F_IGN_MERGED, F_IGN_ERASED, F_IGN_UPDATED,
	F_IGN_IMPORTED,
	NCOL
};

#define NCONSENT 5	/* email, phone, sms, mail opt-ins and DNC */

extern const struct crm_csv_col crm_imp_cols[NCOL];
extern const char *const crm_imp_stages[4];	/* lead .. former */

struct crm_importer {
	struct crm_db *db;
	struct crm_contact_opts opts;
	struct crm_contact_stats st;
	int64_t now;
	int64_t created;	/* the record's created_at, 0 for none */
	const char *region;	/* the options', else the file's profile's */
	int keyless;		/* contacts without external_id may exist */
	int via_merge;		/* the record named a merged-away contact */
	int idx[NCOL];
	struct crm_csv *r;

	struct crm_buf nv[NTEXT];	/* normalised values */
	const char *val[NTEXT];		/* into nv[], or NULL if absent */
	int consent[NCONSENT];		/* -1 absent, else 0/1 */
	struct crm_buf namekey, attrs, tmp, extkey, old[NTEXT + 1];
	size_t pair[2 * 64];		/* "key":"value" spans in attrs */
	int npair;			/* -1: attrs not from extras alone */
	const char *oldv[NTEXT + 1];	/* stored values, + attrs */
	int oldc[NCONSENT];

	/*
	 * The record's checksum: of the file's columns and the options that
	 * change what a record means (ctx), then of its fields.  A contact
	 * keeps the one it was last imported from (row_hash) while nothing
	 * else changes it, and a record whose checksum is stored on the
	 * contact its external_id names is unchanged without more work.
	 */
	struct crm_h128 ctx;
	int hashing;			/* keyed by external_id: hash is
					   the current record's */
	int keep_hash;			/* and may be stored for it */
	unsigned char hash[16];
	int old_hash;			/* oldhash holds the stored one */
	int ext_absent;			/* no contact has the external_id */
	struct crm_erasure *erased;	/* asked before a contact is made */
	unsigned char oldhash[16];

	/* A large batch (contact-bulk.c). */
	int64_t rows;			/* max(id) before it, -1 unread */
	int fresh;			/* no contacts before it */
	int bulk_tried, bulk_on;
	struct crm_bulk bulk;
	struct crm_imp_seen {		/* fresh: the external_ids stored */
		size_t n, cap, *slot;	/* offset + 1 into text; 0 free */
		size_t len, alloc;
		char *text;
	} seen;
	struct crm_imp_event {		/* consent events to write */
		int64_t id;
		signed char channel;	/* 0..NCONSENT-1 */
		signed char granted;
	} *ev;
	size_t nev, aev;
	char *ev_source;
	/*
	 * PostgreSQL, into a table that was empty: new contacts and the
	 * consent events sent by COPY (db.h), with ids given here (the last
	 * one given, -1 to be read again after a row inserted otherwise).
	 */
	struct crm_db_copy *copy, *evcopy;
	int64_t copy_id, ev_id;

	/* Country names not known, once each per column. */
	struct unknown {
		char *value, *msg;
		int64_t count;
	} *unknown;
	size_t nunknown;
};

#define MAX_UNKNOWN 1000	/* distinct values reported; more counted */

int crm_imp_sql_text(struct crm_importer *, const char *, const char *,
    const char *, struct crm_buf *, int *, struct crm_error *);
int crm_imp_normalise(struct crm_importer *, struct crm_error *);
int64_t crm_imp_find(struct crm_importer *, struct crm_error *);
int crm_imp_insert(struct crm_importer *, struct crm_error *);
int crm_imp_update(struct crm_importer *, int64_t, struct crm_error *);
int crm_imp_bulk_start(struct crm_importer *, struct crm_error *);
void crm_imp_bulk_free(struct crm_importer *);
int crm_imp_queue_consent(struct crm_importer *, int64_t, const int *,
    struct crm_error *);
int crm_imp_need_email(struct crm_importer *, struct crm_error *);
/* The COPY path: a new contact sent by it; what it holds sent now. */
int crm_imp_copy_insert(struct crm_importer *, struct crm_error *);
int crm_imp_copy_flush(struct crm_importer *, struct crm_error *);
/* 0 if the fresh table has no contact with this external_id for sure. */
int crm_imp_seen(const struct crm_importer *, const char *);
int crm_imp_stored_ext(struct crm_importer *, const char *,
    struct crm_error *);

#endif
