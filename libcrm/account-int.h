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

/* Append s to b as a JSON string. */
int crm_account_json_str(struct crm_buf *b, const char *s,
    struct crm_error *err);

#endif
