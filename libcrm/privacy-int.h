/*
 * privacy-int.h - what the parts of the privacy module share (privacy.c:
 * SQL from schema names, the erasure's set-up and subjects, wiping;
 * privacy-sha.c; privacy-erase.c; privacy-retention.c; privacy-export.c);
 * not for use outside them.  privacy.h is the module's interface.
 */
#ifndef CRM_PRIVACY_INT_H
#define CRM_PRIVACY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "db.h"
#include "error.h"
#include "privacy.h"

/* A table that refers to contacts, and its columns that do. */
#define REF_MAXCOLS 8

struct reftab {
	char *name;
	char *cols[REF_MAXCOLS];
	size_t ncols;
};

/* The erasure batch. */

#define MAX_SHARERS 16

struct tabcount {
	char *name;
	int64_t n;
};

struct crm_erasure {
	struct crm_db *db;
	char **salts;		/* hex keys, the oldest first */
	size_t nsalt;
	int salts_loaded;
	int have_temp;
	int64_t listed_total;	/* entries, salts excluded; -1 unknown */
	struct crm_erasure_stats st;
	struct tabcount *tc;
	size_t ntc;
	int64_t sharers[MAX_SHARERS];
	size_t nsharers;
	char *rules[MAX_SHARERS];	/* segments whose rule names one */
	size_t nrules;
	int list_idx[2];	/* hash, erased_at in the list being read */
};

/* HMAC-SHA256 of a ":" b under key (at most 64 bytes), in hex. */
void privacy_hmac_hex(const char *key, const char *a, const char *b,
    char out[65]);

/* SQL from schema names: an identifier quoted, a literal, alias.name. */
int privacy_add_ident(struct crm_buf *b, const char *name,
    struct crm_error *err);
int privacy_add_lit(struct crm_buf *b, const char *s, struct crm_error *err);
int privacy_add_col(struct crm_buf *b, const char *alias, const char *name,
    struct crm_error *err);
char *privacy_dup(const char *s, struct crm_error *err);

/* The tables with a foreign key to contacts, from the schema. */
void privacy_reftabs_free(struct reftab *t, size_t n);
int privacy_reftabs(struct crm_db *db, struct reftab **out, size_t *nout,
    struct crm_error *err);
/* "(a."c1" IN (SELECT id FROM set) OR a."c2" IN ...)" */
int privacy_add_refwhere(struct crm_buf *b, const struct reftab *t,
    const char *alias, const char *set, struct crm_error *err);
/* Run SQL assembled at run time; ?1, if it has one, is bound to v. */
/*
 * Have the pages and log the next deletes free zeroed (SQLite's
 * secure_delete).  PostgreSQL keeps no such switch: the deleted rows
 * are invisible to readers at the commit, and the VACUUM that
 * crm_privacy_wipe() runs after it reclaims their space; 0 there.
 */
int privacy_secure(struct crm_db *db, struct crm_error *err);
int privacy_run_sql(struct crm_db *db, const char *sql, int64_t v,
    int64_t *changes, struct crm_error *err);

/* Put kind:value on the erased list. */
int privacy_list_add(struct crm_erasure *er, const char *kind,
    const char *value, struct crm_error *err);
/* The salt new entries are made with: the oldest, or a new random one. */
const char *privacy_salt(struct crm_erasure *er, struct crm_error *err);

#endif
