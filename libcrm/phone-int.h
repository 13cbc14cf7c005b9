/*
 * phone-int.h - the tables scripts/gen-phone writes into phone-data.c
 * from libphonenumber's metadata, for phone.c only.
 */
#ifndef CRM_PHONE_INT_H
#define CRM_PHONE_INT_H

#include <stddef.h>

#include "phone.h"

/* A number description: national number pattern and possible lengths. */
struct crm_phone_desc {
	const char *pattern;	/* NULL: no numbers of this kind */
	int has_lengths;	/* else the general description's apply */
	unsigned lengths;	/* bit n: n digits possible */
	unsigned local;		/* bit n: n digits dialled locally only */
};

enum {
	CRM_PD_GENERAL, CRM_PD_FIXED_LINE, CRM_PD_MOBILE, CRM_PD_TOLL_FREE,
	CRM_PD_PREMIUM_RATE, CRM_PD_SHARED_COST, CRM_PD_PERSONAL, CRM_PD_VOIP,
	CRM_PD_PAGER, CRM_PD_UAN, CRM_PD_VOICEMAIL,
	CRM_PD_N
};

/* One region ("NG") or non-geographic entity ("001" with its code). */
struct crm_phone_meta {
	const char *id;
	int cc;
	const char *idd;		/* international prefix pattern */
	const char *national_prefix;
	const char *nprefix_parse;	/* national prefix for parsing */
	const char *transform;		/* national prefix transform rule */
	const char *leading;		/* leading digits (shared codes) */
	int same_mobile_fixed;
	struct crm_phone_desc desc[CRM_PD_N];
};

/* A calling code and its regions: crm_phone_ccmeta[first..first+n). */
struct crm_phone_cc {
	int cc;
	size_t first, n;
};

extern const struct crm_phone_meta crm_phone_meta[];
extern const size_t crm_phone_nmeta;
extern const struct crm_phone_cc crm_phone_cc[];
extern const size_t crm_phone_ncc;
extern const unsigned short crm_phone_ccmeta[];

#endif
