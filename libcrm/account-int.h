/*
 * account-int.h - what account.c (schema, keys, import, linking, merges)
 * and account-report.c (roll-ups, RFM, partners, export, timeline) share.
 */
#ifndef CRM_ACCOUNT_INT_H
#define CRM_ACCOUNT_INT_H

#include <stdint.h>

#include "buf.h"
#include "db.h"
#include "error.h"

/* The partner types, as an SQL condition on a column named type. */
#define ACCOUNT_IS_PARTNER "(type = 'reseller' OR type = 'agency'" \
	" OR type = 'referrer' OR type = 'affiliate')"

#define MAX_DEPTH 64	/* hierarchies and chains of merges, at most */

/*
 * The one account sql (?1 = value) finds into *id (0 if none): 0, or 1
 * if several match (*id is then the first), -1 with err.
 */
int crm_account_lookup1(struct crm_db *db, const char *sql, const char *v,
    int64_t *id, struct crm_error *err);

/* Accounts not merged away with domain ?1 (at most two). */
extern const char crm_account_sql_by_domain[];

/* Append s to b as a JSON string. */
int crm_account_json_str(struct crm_buf *b, const char *s,
    struct crm_error *err);

#endif
