/*
 * fuzz-email - crm_norm_email(): an address it accepts has one '@', no
 * upper-case ASCII, no blanks or control characters, valid UTF-8, at most
 * 254 bytes, and normalises to itself.
 */
#include "fuzz.h"
#include "norm.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_buf a = CRM_BUF_INIT(1 << 16), b = CRM_BUF_INIT(1 << 16);
	struct crm_error err;
	char *s = fuzz_str(data, size);
	const char *e, *at;
	size_t i;

	if (crm_norm_email(s, &a, &err) == 0) {
		e = crm_buf_str(&a);
		at = strchr(e, '@');
		FUZZ_CHECK(at != NULL && at != e && strchr(at + 1, '@') == NULL,
		    "'%s'", e);
		FUZZ_CHECK(a.len <= 254 && a.len == strlen(e), "'%s'", e);
		FUZZ_CHECK(crm_utf8_valid(e, a.len), "'%s'", e);
		for (i = 0; i < a.len; i++)
			FUZZ_CHECK(!(e[i] >= 'A' && e[i] <= 'Z') &&
			    (unsigned char)e[i] > ' ' && e[i] != 0x7f,
			    "'%s' byte %zu", e, i);
		FUZZ_CHECK(crm_norm_email(e, &b, &err) == 0 &&
		    strcmp(crm_buf_str(&b), e) == 0, "'%s' becomes '%s'", e,
		    crm_buf_str(&b));
	} else
		FUZZ_CHECK(err.code == CRM_EDATA && err.msg[0] != '\0',
		    "code %d", err.code);
	crm_buf_release(&a);
	crm_buf_release(&b);
	free(s);
	return 0;
}
