/* t-num: the presentation layer's number writers give snprintf's bytes,
 * and splitmix64 its published first outputs. */
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "hash.h"
#include "num.h"
#include "tap.h"

int
main(void)
{
	static const double fixed_cases[] = { 0, -0.0, 0.5, 1.5, 2.5, 0.125,
	    0.005, 1.005, -1.005, 2.675, 123456.789, -0.001, 999999.995,
	    1e11, 1e12, 1e15, 3.14159265, NAN, INFINITY, -INFINITY };
	static const double g_cases[] = { 0, -0.0, 0.1, 0.0999999, 0.123456789,
	    1, 10, 999999.4, 999999.5, 1e6, 1234567, 0.5, 1e-7, -2.5e-3,
	    123.4565, 0.3333333333, NAN };
	char got[CRM_NUM_MAX], want[CRM_NUM_MAX];
	uint64_t s = 0, x = 88172645463325252ULL;
	size_t i, bad;
	int d;

	for (i = 0; i < sizeof(fixed_cases) / sizeof(*fixed_cases); i++)
		for (d = 0; d <= 6; d++) {
			snprintf(want, sizeof(want), "%.*f", d, fixed_cases[i]);
			crm_num_fixed(got, d, fixed_cases[i]);
			ok(strcmp(got, want) == 0, "fixed %.17g %d: %s, want"
			    " %s", fixed_cases[i], d, got, want);
		}
	for (i = 0; i < sizeof(g_cases) / sizeof(*g_cases); i++) {
		snprintf(want, sizeof(want), "%.6g", g_cases[i]);
		is_str(crm_num_g6(got, g_cases[i]), want, "g6 case");
	}
	/* Random values of every size against snprintf. */
	for (bad = 0, i = 0; i < 200000; i++) {
		double v;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = (double)(x >> 11) / 9007199254740992.0 *
		    pow(10, (double)(x % 16) - 6) * ((x & 1) ? -1 : 1);
		d = (int)(x % 7);
		snprintf(want, sizeof(want), "%.*f", d, v);
		bad += strcmp(crm_num_fixed(got, d, v), want) != 0;
		snprintf(want, sizeof(want), "%.6g", v);
		bad += strcmp(crm_num_g6(got, v), want) != 0;
	}
	ok(bad == 0, "200000 random values: %zu differ from snprintf", bad);
	is_str(crm_num_unsigned_zero(strcpy(got, "-0.00")), "0.00",
	    "-0.00 unsigned");
	is_str(crm_num_unsigned_zero(strcpy(got, "-0.01")), "-0.01",
	    "-0.01 kept");
	is_str(crm_num_int(got, -42), "-42", "int");
	/* splitmix64 from seed 0: 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4. */
	ok(crm_splitmix64(&s) == 0xe220a8397b1dcdafULL, "splitmix64 1st");
	ok(crm_splitmix64(&s) == 0x6e789e6aa1b965f4ULL, "splitmix64 2nd");
	return tap_done();
}
