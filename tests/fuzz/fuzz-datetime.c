/*
 * fuzz-datetime - crm_norm_datetime(), crm_norm_date() and
 * crm_norm_days(): what they accept prints in ISO 8601 and reads back the
 * same.
 */
#include "fuzz.h"
#include "norm.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_error err;
	char buf[21], date[11], date2[11];
	int64_t t, t2, days;
	char *s = fuzz_str(data, size);

	if (crm_norm_datetime(s, &t, &err) == 0) {
		crm_format_time(t, buf);
		FUZZ_CHECK(strlen(buf) == 20 && buf[10] == 'T' &&
		    buf[19] == 'Z', "'%s' from '%s'", buf, s);
		FUZZ_CHECK(crm_norm_datetime(buf, &t2, &err) == 0 && t2 == t,
		    "'%s' from '%s' reads back as %lld, not %lld", buf, s,
		    (long long)t2, (long long)t);
		crm_format_date(t, date);
		FUZZ_CHECK(crm_norm_date(date, date2, &err) == 0 &&
		    strcmp(date, date2) == 0, "date '%s'", date);
	} else
		FUZZ_CHECK(err.code == CRM_EDATA, "code %d", err.code);
	if (crm_norm_date(s, date, &err) == 0) {
		FUZZ_CHECK(strlen(date) == 10 && date[4] == '-' &&
		    date[7] == '-', "'%s' from '%s'", date, s);
		FUZZ_CHECK(crm_norm_date(date, date2, &err) == 0 &&
		    strcmp(date, date2) == 0, "'%s' becomes '%s'", date,
		    date2);
		FUZZ_CHECK(crm_norm_datetime(date, &t, &err) == 0 &&
		    t % 86400 == 0, "date '%s' is no midnight", date);
	}
	if (crm_norm_days(s, &days, &err) == 0)
		FUZZ_CHECK(days >= 0, "%lld days from '%s'", (long long)days,
		    s);
	free(s);
	return 0;
}
