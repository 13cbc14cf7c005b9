/*
 * phone.h - telephone numbers by libphonenumber's rules, for every region.
 *
 * The rules (calling codes, international and national prefixes, the
 * lengths and number patterns of each region and kind of number) are
 * libphonenumber's metadata, turned into C tables at build time by
 * scripts/gen-phone; the parsing and matching follow libphonenumber's
 * PhoneNumberUtil::Parse, IsValidNumber and GetNumberType, in C, so that
 * the programs need no C++ runtime and pay no start-up cost.
 */
#ifndef CRM_PHONE_H
#define CRM_PHONE_H

#include "error.h"

enum crm_phone_type {
	CRM_PHONE_UNKNOWN,	/* not known: no region to check it against */
	CRM_PHONE_FIXED_LINE,
	CRM_PHONE_MOBILE,
	CRM_PHONE_FIXED_OR_MOBILE,	/* the region's ranges do not tell */
	CRM_PHONE_TOLL_FREE,
	CRM_PHONE_PREMIUM_RATE,
	CRM_PHONE_SHARED_COST,
	CRM_PHONE_VOIP,
	CRM_PHONE_PERSONAL,
	CRM_PHONE_PAGER,
	CRM_PHONE_UAN,
	CRM_PHONE_VOICEMAIL,
	CRM_PHONE_NTYPES
};

struct crm_phone {
	char number[24];	/* "+2348031234567", or bare national digits */
	char ext[24];		/* extension digits, or "" */
	char region[4];		/* the number's region ("NG"), "001" for a
				   non-geographic code, "" when not known */
	int e164;		/* number is E.164 (else bare digits) */
	enum crm_phone_type type;
};

/*
 * Parse a phone number as people write it: separators (space - . ( ) /)
 * ignored; "+CC..." international; with region (an ISO 3166 alpha-2 code
 * or NULL) also that region's international prefix ("00", "011", "009",
 * ...), its national prefix ("0803 ..." in NG), and its calling code
 * written without a "+" ("234803..."); an extension after "ext", "x",
 * "#" or ";ext=" goes to p->ext.
 *
 * The number must be valid, as libphonenumber's IsValidNumber says: the
 * length and the ranges of its region (the region of the number itself
 * when it is international).  Then p->number is E.164 and p->type its
 * kind.  With no region and no international prefix the digits cannot be
 * checked: p->number gets them bare (6 to 15), p->e164 0, p->type
 * CRM_PHONE_UNKNOWN.
 *
 * Errors: CRM_EDATA "invalid phone 'VALUE': REASON" (too short for NG,
 * no DE number has 13 digits, not a number GB has allocated, unknown
 * calling code +999, ...); CRM_EUSAGE "unknown phone region 'XX'".
 */
int crm_phone_parse(const char *in, const char *region, struct crm_phone *p,
    struct crm_error *err);

/* 1 if region is an ISO 3166 alpha-2 code libphonenumber has rules for. */
int crm_phone_region_known(const char *region);

/*
 * The stored name of a type: "fixed_line", "mobile",
 * "fixed_line_or_mobile", "toll_free", "premium_rate", "shared_cost",
 * "voip", "personal_number", "pager", "uan", "voicemail", or NULL for
 * CRM_PHONE_UNKNOWN.  crm_phone_type_parse() is the reverse (-1 if none).
 */
const char *crm_phone_type_name(enum crm_phone_type t);
int crm_phone_type_parse(const char *name);

/* 1 if a number of type t can receive SMS: mobile or fixed-or-mobile. */
int crm_phone_sms_capable(enum crm_phone_type t);

/*
 * The SQL condition crm uses for "can receive SMS" on a contacts row
 * (phone_type IN ('mobile', 'fixed_line_or_mobile')): a constant, for
 * the modules that select on it.
 */
extern const char crm_phone_sms_sql[];

/* For the unit test: 0 if every pattern in the tables compiles. */
int crm_phone_selftest(struct crm_error *err);

#endif
