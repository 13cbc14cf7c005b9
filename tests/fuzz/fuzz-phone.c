/*
 * fuzz-phone - crm_norm_phone() under several default regions: an E.164
 * result is '+' and 3 to 20 digits (libphonenumber's lengths: +43 1113 is
 * an Austrian number, German ones have up to 17 digits), a national one
 * digits only, and either normalises to itself; an unknown region is a
 * usage error.  Also crm_norm_country() on the same text.
 */
#include "fuzz.h"
#include "norm.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const regions[] = {
		NULL, "GB", "US", "DE", "FR", "IE", "IN", "ZZ", "", "gb", "NG",
		"BR", "AR", "IT", "JP",
	};
	struct crm_buf a = CRM_BUF_INIT(1 << 16), b = CRM_BUF_INIT(1 << 16);
	const char *region, *p, *c;
	struct crm_error err;
	int e164, e2;
	char *s;

	if (size < 1)
		return 0;
	region = regions[data[0] % (sizeof(regions) / sizeof(regions[0]))];
	s = fuzz_str(data + 1, size - 1);
	if ((c = crm_norm_country(s)) != NULL)
		FUZZ_CHECK(strlen(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' &&
		    c[1] >= 'A' && c[1] <= 'Z', "country '%s'", c);
	if (crm_norm_phone(s, region, &a, &e164, &err) == 0) {
		p = crm_buf_str(&a);
		if (e164) {
			FUZZ_CHECK(p[0] == '+' && a.len >= 4 && a.len <= 21,
			    "'%s' from '%s'", p, s);
			p++;
		}
		FUZZ_CHECK(strspn(p, "0123456789") == strlen(p) && *p != '\0',
		    "'%s' from '%s'", crm_buf_str(&a), s);
		FUZZ_CHECK(crm_norm_phone(crm_buf_str(&a), region, &b, &e2,
		    &err) == 0 && strcmp(crm_buf_str(&a), crm_buf_str(&b)) ==
		    0 && e2 == e164, "'%s' becomes '%s' (region %s)",
		    crm_buf_str(&a), crm_buf_str(&b), region ? region : "none");
	} else
		FUZZ_CHECK(err.code == CRM_EDATA || (err.code == CRM_EUSAGE &&
		    !crm_norm_region_known(region)), "code %d: %s", err.code,
		    err.msg);
	crm_buf_release(&a);
	crm_buf_release(&b);
	free(s);
	return 0;
}
