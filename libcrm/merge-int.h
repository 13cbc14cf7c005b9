/*
 * merge-int.h - what merge.c and merge-undo.c share; not for use outside
 * them.
 */
#ifndef CRM_MERGE_INT_H
#define CRM_MERGE_INT_H

#include <stdint.h>

#include "merge.h"

/* A contact row as merging sees it. */
enum { C_EXTERNAL_ID, C_FIRST, C_LAST, C_NAME_KEY, C_EMAIL, C_PHONE,
    C_COMPANY, C_STREET, C_CITY, C_POSTCODE, C_COUNTRY, C_BIRTH, C_STAGE,
    C_OWNER, C_ATTRS, NTEXT };
enum { K_EMAIL, K_PHONE, K_SMS, K_MAIL, K_DNC, NCONS };

struct crow {
	int64_t id, merged_into, erased_at, created, updated;
	char *t[NTEXT];		/* NULL when not known */
	int c[NCONS];		/* 1, 0 or -1 when not known */
	int filled;		/* values it has, for "most complete" */
	int preferred;		/* external_id matches --prefer */
	double score;		/* from the input, NaN if none */
};

/* Column names of the text columns and the consent columns; channels. */
extern const char *const merge_ctext[NTEXT];
extern const char *const merge_ccons[NCONS];
extern const char *const merge_cchannel[NCONS];

/* p grown to hold need items of size bytes; NULL on ENOMEM. */
void *merge_grow(void *p, size_t *alloc, size_t need, size_t size);

/* Contact id's row into c (opts for --prefer, or NULL); release it. */
int merge_crow_load(struct crm_db *db, int64_t id, struct crow *c,
    const struct crm_merge_opts *opts, struct crm_error *err);
void merge_crow_release(struct crow *c);

/* Run SQL with ?1 = s and ?2 = b. */
int merge_exec2(struct crm_db *db, const char *sql, int64_t s, int64_t b,
    struct crm_error *err);

/* A contact id as written in merge input: "17" or "#17". */
int merge_parse_id(const char *s, int64_t *id);

#endif
