/*
 * fuzz-amount - crm_norm_amount(), crm_norm_number() and crm_norm_bool():
 * accepted amounts are finite, with no currency or a three-letter ISO
 * code, and a plain number printed with %.17g reads back equal.
 */
#include <math.h>

#include "fuzz.h"
#include "norm.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_error err;
	char cur[4], buf[64];
	double v, v2;
	int b;
	char *s = fuzz_str(data, size);

	memset(cur, 'x', sizeof(cur));
	if (crm_norm_amount(s, &v, cur, &err) == 0) {
		FUZZ_CHECK(isfinite(v), "%g from '%s'", v, s);
		FUZZ_CHECK(cur[0] == '\0' || (strlen(cur) == 3 &&
		    cur[0] >= 'A' && cur[0] <= 'Z' && cur[1] >= 'A' &&
		    cur[1] <= 'Z' && cur[2] >= 'A' && cur[2] <= 'Z'),
		    "currency from '%s'", s);
	} else
		FUZZ_CHECK(err.code == CRM_EDATA, "code %d", err.code);
	if (crm_norm_number(s, &v, &err) == 0) {
		FUZZ_CHECK(isfinite(v), "%g from '%s'", v, s);
		snprintf(buf, sizeof(buf), "%.17g", v);
		FUZZ_CHECK(crm_norm_number(buf, &v2, &err) == 0 && v2 == v,
		    "'%s' from '%s'", buf, s);
	}
	if (crm_norm_bool(s, &b, &err) == 0)
		FUZZ_CHECK(b == 0 || b == 1 || b == -1, "%d from '%s'", b, s);
	free(s);
	return 0;
}
