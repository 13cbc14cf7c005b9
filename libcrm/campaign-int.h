/*
 * campaign-int.h - what the parts of the campaign module share
 * (campaign.c: names, hashing, send, close, list; campaign-create.c;
 * campaign-export.c; campaign-measure.c); not for use outside them.
 * campaign.h is the module's interface.
 */
#ifndef CRM_CAMPAIGN_INT_H
#define CRM_CAMPAIGN_INT_H

#include <stdint.h>

#include "campaign.h"
#include "db.h"
#include "error.h"

/* A stored campaign. */
struct camp {
	int64_t id, created_at, sent_at;
	char channel[8], state[8], purpose[16];
};

/*
 * Who may not be contacted on channel ?1 at all: the reasons that depend
 * on the contact alone, as WHEN arms of a CASE over contacts c.  Export
 * and send check them again, since consent can go after the selection.
 */
#define SQL_REASON_CONTACT \
	" WHEN c.merged_into IS NOT NULL THEN 'merged'" \
	" WHEN c.erased_at IS NOT NULL THEN 'erased'" \
	" WHEN c.do_not_contact = 1 THEN 'do_not_contact'" \
	" WHEN (CASE ?1 WHEN 'email' THEN c.email_opt_in" \
	"   WHEN 'sms' THEN c.sms_opt_in WHEN 'phone' THEN c.phone_opt_in" \
	"   ELSE c.mail_opt_in END) IS DISTINCT FROM 1 THEN 'no_consent'" \
	" WHEN CASE ?1 WHEN 'email' THEN nullif(trim(c.email), '') IS NULL" \
	"   WHEN 'mail' THEN nullif(trim(c.street), '') IS NULL" \
	"     OR nullif(trim(c.city), '') IS NULL" \
	"     OR nullif(trim(c.postcode), '') IS NULL" \
	"   ELSE nullif(trim(c.phone), '') IS NULL END THEN 'no_address'" \
	" WHEN CASE ?1 WHEN 'email' THEN NOT (glob('?*@?*', c.email)" \
	"     AND NOT glob('*@*@*', c.email))" \
	"   WHEN 'mail' THEN 0 = 1" \
	"   ELSE NOT (glob('+[1-9]*', c.phone) AND length(c.phone) BETWEEN 7" \
	"     AND 16 AND NOT glob('*[^0-9]*', substr(c.phone, 2)))" \
	"     OR (?1 = 'sms' AND (c.phone_type IS NULL OR c.phone_type NOT IN" \
	"     ('mobile', 'fixed_line_or_mobile'))) END" \
	"   THEN 'invalid_address'"

/* Look campaign name up: 1 found, 0 not (k->id 0), -1 error. */
int campaign_find(struct crm_db *db, const char *name, struct camp *k,
    struct crm_error *err);
/* The same, with "no campaign" (CRM_EUSAGE) when there is none. */
int campaign_must_find(struct crm_db *db, const char *name, struct camp *k,
    struct crm_error *err);
/* crm_campaign_u() and crm_campaign_chash() for SQL. */
int campaign_register_functions(struct crm_db *db, struct crm_error *err);
/* A campaign's members by group and reason. */
int campaign_count_members(struct crm_db *db, int64_t cid,
    struct crm_campaign_counts *c, struct crm_error *err);

#endif
