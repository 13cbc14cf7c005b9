/*
 * Countries by any name iso-codes carries: the table country-data.c is
 * generated at build time (scripts/gen-countries, fold-countries), keys
 * folded by crm_norm_fold() and sorted, so a lookup is one fold and a
 * binary search, with nothing to read at start-up.
 */
#include <ctype.h>
#include <string.h>

#include "buf.h"
#include "norm.h"

extern const char crm_country_keys[];
extern const unsigned crm_country_off[];
extern const char crm_country_code[][2];
extern const size_t crm_country_n;

/* The codes as static strings, "AA" to "ZZ". */
static char codes[26 * 26][3];

static const char *
code_str(const char c[2])
{
	char *s = codes[(c[0] - 'A') * 26 + (c[1] - 'A')];

	s[0] = c[0];
	s[1] = c[1];
	return s;
}

static const char *
country_lookup(const char *in)
{
	struct crm_buf key = CRM_BUF_INIT(1024);
	struct crm_error err;
	const char *res = NULL, *k;
	size_t lo = 0, hi = crm_country_n;

	if (crm_norm_fold(in, &key, &err) < 0 || key.len == 0)
		goto done;
	k = crm_buf_str(&key);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(crm_country_keys + crm_country_off[mid], k);

		if (c == 0) {
			res = code_str(crm_country_code[mid]);
			break;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
done:
	crm_buf_release(&key);
	return res;
}

const char *
crm_norm_country(const char *in)
{
	/*
	 * Files repeat the same few countries: remember the answers for
	 * short values, in a small cache indexed by a hash of the value.
	 */
	static struct {
		char in[32];
		const char *out;
	} cache[128];
	const char *res;
	size_t n = strlen(in), i;
	unsigned h = 2166136261u;

	if (n >= sizeof(cache[0].in))
		return country_lookup(in);
	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)in[i]) * 16777619u;
	h %= sizeof(cache) / sizeof(cache[0]);
	if (cache[h].in[0] != '\0' && memcmp(cache[h].in, in, n + 1) == 0)
		return cache[h].out;
	res = country_lookup(in);
	memcpy(cache[h].in, in, n + 1);
	cache[h].out = res;
	return res;
}
