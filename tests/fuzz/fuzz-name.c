/*
 * fuzz-name - crm_norm_name(), crm_norm_text() and crm_norm_fold(): the
 * results are valid UTF-8, trimmed, and stable when applied again; a
 * name has no runs of blanks, a folded key only lower-case letters,
 * digits and single spaces in ASCII.
 */
#include "fuzz.h"
#include "norm.h"

static void
stable(int (*fn)(const char *, struct crm_buf *, struct crm_error *),
    const char *what, const char *s)
{
	struct crm_buf a = CRM_BUF_INIT(1 << 20), b = CRM_BUF_INIT(1 << 20);
	struct crm_error err;
	size_t i;

	if (fn(s, &a, &err) == 0) {
		const char *r = crm_buf_str(&a);

		FUZZ_CHECK(crm_utf8_valid(r, a.len), "%s: invalid UTF-8",
		    what);
		FUZZ_CHECK(a.len == 0 || (r[0] != ' ' && r[a.len - 1] != ' '),
		    "%s: '%s' not trimmed", what, r);
		for (i = 0; fn != crm_norm_text && i + 1 < a.len; i++)
			FUZZ_CHECK(!(r[i] == ' ' && r[i + 1] == ' '),
			    "%s: '%s' has a run of blanks", what, r);
		for (i = 0; fn == crm_norm_fold && i < a.len; i++)
			FUZZ_CHECK((unsigned char)r[i] >= 0x80 ||
			    r[i] == ' ' || (r[i] >= 'a' && r[i] <= 'z') ||
			    (r[i] >= '0' && r[i] <= '9'), "%s: '%s'", what, r);
		FUZZ_CHECK(fn(r, &b, &err) == 0 &&
		    strcmp(r, crm_buf_str(&b)) == 0, "%s: '%s' becomes '%s'",
		    what, r, crm_buf_str(&b));
	} else
		FUZZ_CHECK(err.code == CRM_EDATA || err.code == CRM_EFAIL,
		    "%s: code %d", what, err.code);
	crm_buf_release(&a);
	crm_buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);

	stable(crm_norm_name, "name", s);
	stable(crm_norm_text, "text", s);
	stable(crm_norm_fold, "fold", s);
	free(s);
	return 0;
}
