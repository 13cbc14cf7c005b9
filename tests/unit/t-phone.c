/*
 * Unit tests for libcrm/phone: crm_phone_parse() against libphonenumber.
 *
 * 1. Every example number of every region and type in the metadata, in
 *    national and international format, with the E.164 form, validity and
 *    type that libphonenumber itself gives (phone-examples.h, written at
 *    build time by scripts/gen-phone from the installed library).
 * 2. By hand, the example numbers libphonenumber documents in its
 *    metadata, resources/PhoneNumberMetadata.xml (<exampleNumber> of
 *    <fixedLine> and <mobile> for NG, GH, KE, ZA, IN, BR, GB, DE, US, CN,
 *    JP; github.com/google/libphonenumber, as in Debian's 8.12.57), and
 *    the rows of issue 27.
 */
#include <stdlib.h>

#include "norm.h"
#include "phone.h"
#include "tap.h"
#include "phone-examples.h"

static struct crm_error err;

static void
want(const char *in, const char *region, const char *e164,
    enum crm_phone_type type, const char *ext)
{
	struct crm_phone p;
	int rc = crm_phone_parse(in, region, &p, &err);

	if (!is_str(rc == 0 ? p.number : err.msg, e164, in))
		return;
	ok(p.type == type, "'%s' (%s) is %s", in, region ? region : "-",
	    crm_phone_type_name(type) ? crm_phone_type_name(type) : "unknown");
	if (ext != NULL)
		is_str(p.ext, ext, "extension kept apart");
}

static void
refused(const char *in, const char *region, const char *why)
{
	struct crm_phone p;
	int rc = crm_phone_parse(in, region, &p, &err);

	ok(rc < 0 && err.code == CRM_EDATA && strstr(err.msg, why) != NULL,
	    "'%s' (%s) refused: %s", in, region ? region : "-",
	    rc < 0 ? err.msg : p.number);
}

int
main(void)
{
	size_t i, bad = 0;
	struct crm_phone p;

	ok(crm_phone_selftest(&err) == 0, "every pattern compiles %s",
	    err.msg);

	/* 1. Against the library, all regions. */
	for (i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		const struct example *x = &examples[i];
		const char *r = x->region[0] ? x->region : NULL;
		int rc = crm_phone_parse(x->in, r, &p, &err);
		int good = x->valid ? rc == 0 && strcmp(p.number, x->e164) == 0 &&
		    p.type == x->type : rc < 0;

		if (!good && bad++ < 20)
			printf("# '%s' (%s): libphonenumber %s %s %s, crm %s %s\n",
			    x->in, x->region, x->valid ? "valid" : "invalid",
			    x->e164, crm_phone_type_name(x->type) ?
			    crm_phone_type_name(x->type) : "unknown",
			    rc == 0 ? p.number : err.msg, rc == 0 &&
			    crm_phone_type_name(p.type) ?
			    crm_phone_type_name(p.type) : "");
	}
	ok(bad == 0, "%zu example numbers agree with libphonenumber (%zu"
	    " differ)", sizeof(examples) / sizeof(examples[0]), bad);

	/* 2. The metadata's documented examples, by hand. */
	want("01 804 0123", "NG", "+23418040123", CRM_PHONE_FIXED_LINE, "");
	want("0802 123 4567", "NG", "+2348021234567", CRM_PHONE_MOBILE, "");
	want("030 234 5678", "GH", "+233302345678", CRM_PHONE_FIXED_LINE, "");
	want("023 123 4567", "GH", "+233231234567", CRM_PHONE_MOBILE, "");
	want("020 2012345", "KE", "+254202012345", CRM_PHONE_FIXED_LINE, "");
	want("0712 123456", "KE", "+254712123456", CRM_PHONE_MOBILE, "");
	want("010 123 4567", "ZA", "+27101234567", CRM_PHONE_FIXED_LINE, "");
	want("071 123 4567", "ZA", "+27711234567", CRM_PHONE_MOBILE, "");
	want("074104 10123", "IN", "+917410410123", CRM_PHONE_FIXED_OR_MOBILE,
	    "");
	want("081234 56789", "IN", "+918123456789", CRM_PHONE_MOBILE, "");
	want("(11) 2345-6789", "BR", "+551123456789", CRM_PHONE_FIXED_LINE, "");
	want("(11) 96123-4567", "BR", "+5511961234567", CRM_PHONE_MOBILE, "");
	want("0121 234 5678", "GB", "+441212345678", CRM_PHONE_FIXED_LINE, "");
	want("07400 123456", "GB", "+447400123456", CRM_PHONE_MOBILE, "");
	want("030 123456", "DE", "+4930123456", CRM_PHONE_FIXED_LINE, "");
	want("01512 3456789", "DE", "+4915123456789", CRM_PHONE_MOBILE, "");
	want("(201) 555-0123", "US", "+12015550123", CRM_PHONE_FIXED_OR_MOBILE,
	    "");
	want("010 1234 5678", "CN", "+861012345678", CRM_PHONE_FIXED_LINE, "");
	want("131 2345 6789", "CN", "+8613123456789", CRM_PHONE_MOBILE, "");
	want("03-1234-5678", "JP", "+81312345678", CRM_PHONE_FIXED_LINE, "");
	want("090-1234-5678", "JP", "+819012345678", CRM_PHONE_MOBILE, "");

	/* The same, written internationally, with no region at all. */
	want("+234 802 123 4567", NULL, "+2348021234567", CRM_PHONE_MOBILE, "");
	want("+81 90-1234-5678", NULL, "+819012345678", CRM_PHONE_MOBILE, "");
	/* The region's own international prefix, and a foreign region. */
	want("009 44 7400 123456", "NG", "+447400123456", CRM_PHONE_MOBILE, "");
	want("011 44 121 234 5678", "US", "+441212345678",
	    CRM_PHONE_FIXED_LINE, "");
	want("00 49 30 123456", "GB", "+4930123456", CRM_PHONE_FIXED_LINE, "");
	/* The calling code without its "+", and "(0)". */
	want("2348021234567", "NG", "+2348021234567", CRM_PHONE_MOBILE, "");
	want("+44 (0)121 234 5678", NULL, "+441212345678",
	    CRM_PHONE_FIXED_LINE, "");
	/* Shared calling codes: the number's own region decides. */
	want("+1 242 357 0000", "US", "+12423570000", CRM_PHONE_MOBILE,
	    "");
	/* Extensions kept apart. */
	want("0121 234 5678 ext. 123", "GB", "+441212345678",
	    CRM_PHONE_FIXED_LINE, "123");
	want("(201) 555-0123 x42", "US", "+12015550123",
	    CRM_PHONE_FIXED_OR_MOBILE, "42");
	want("+49 30 123456;ext=7", NULL, "+4930123456", CRM_PHONE_FIXED_LINE,
	    "7");

	/* Issue 27's rows: the first three were national digits. */
	want("0803 123 4567", "NG", "+2348031234567", CRM_PHONE_MOBILE, "");
	want("024 123 4567", "GH", "+233241234567", CRM_PHONE_MOBILE, "");
	want("0712 345678", "KE", "+254712345678", CRM_PHONE_MOBILE, "");
	/* N7: one digit short of a London number (020 + 8 digits). */
	refused("+44 20 7946 095", "GB", "GB");
	/* N8: 9 digits after +234 where NG mobiles have 10. */
	refused("+234 803 123 45", "NG", "NG");
	refused("+234 803 123 45", NULL, "NG");
	refused("0803 123 456 789 012", "NG", "too long for NG");
	refused("+999 1234 5678", NULL, "unknown country calling code");
	refused("0800 FLOWERS", "US", "only digits");
	refused("12", "GB", "too short");
	ok(crm_phone_parse("0803", "ZZ", &p, &err) < 0 &&
	    err.code == CRM_EUSAGE, "unknown region is a usage error");

	/* No region, no international prefix: bare digits, unchecked. */
	ok(crm_phone_parse("0803 123 4567", NULL, &p, &err) == 0 &&
	    strcmp(p.number, "08031234567") == 0 && !p.e164 &&
	    p.type == CRM_PHONE_UNKNOWN, "no region: bare digits");

	ok(crm_phone_sms_capable(CRM_PHONE_MOBILE) &&
	    crm_phone_sms_capable(CRM_PHONE_FIXED_OR_MOBILE) &&
	    !crm_phone_sms_capable(CRM_PHONE_FIXED_LINE) &&
	    !crm_phone_sms_capable(CRM_PHONE_TOLL_FREE) &&
	    !crm_phone_sms_capable(CRM_PHONE_UNKNOWN), "SMS: mobiles only");
	for (i = 1; i < CRM_PHONE_NTYPES; i++)
		ok(crm_phone_type_parse(crm_phone_type_name((enum
		    crm_phone_type)i)) == (int)i, "type name %s",
		    crm_phone_type_name((enum crm_phone_type)i));
	ok(crm_phone_region_known("ng") && crm_phone_region_known("GH") &&
	    !crm_phone_region_known("001") && !crm_phone_region_known("ZZ"),
	    "regions");
	return tap_done();
}
