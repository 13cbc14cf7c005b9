/* t-hash: FNV-1a 128 against the published test vectors, and the record
 * checksum's properties. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "hash.h"
#include "tap.h"

static void
hex(const unsigned char *b, char out[33])
{
	int i;

	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void
fnv(const char *s, const char *want)
{
	struct crm_fnv128 f;
	unsigned char b[16];
	char got[33], name[64];

	crm_fnv128_init(&f);
	crm_fnv128_add(&f, s, strlen(s));
	crm_fnv128_out(&f, b);
	hex(b, got);
	snprintf(name, sizeof(name), "fnv1a-128 \"%s\"", s);
	is_str(got, want, name);
}

static void
h128(const char *const *parts, size_t n, uint64_t seed, unsigned char out[16])
{
	struct crm_h128 h;
	size_t i;

	crm_h128_init(&h, seed);
	for (i = 0; i < n; i++)
		crm_h128_add(&h, parts[i], strlen(parts[i]));
	crm_h128_out(&h, out);
}

static int
bits(const unsigned char *a, const unsigned char *b)
{
	int i, n = 0;

	for (i = 0; i < 16; i++)
		n += __builtin_popcount((unsigned)(a[i] ^ b[i]));
	return n;
}

int
main(void)
{
	static const char *const ab_c[] = { "ab", "c" }, *const a_bc[] = {
		"a", "bc" }, *const abc[] = { "abc" }, *const e2[] = { "", "" },
		*const e1[] = { "" };
	unsigned char x[16], y[16];
	char line[64];
	int i, min = 128, max = 0, n;

	/* The offset basis and vectors of the FNV reference (isthe.com). */
	fnv("", "6c62272e07bb014262b821756295c58d");
	fnv("a", "d228cb696f1a8caf78912b704e4a8964");
	fnv("foobar", "343e1662793c64bf6f0d3597ba446f18");

	h128(ab_c, 2, 0, x);
	h128(ab_c, 2, 0, y);
	ok(memcmp(x, y, 16) == 0, "h128: the same input, the same checksum");
	h128(a_bc, 2, 0, y);
	ok(memcmp(x, y, 16) != 0, "h128: field boundaries count");
	h128(abc, 1, 0, y);
	ok(memcmp(x, y, 16) != 0, "h128: one field is not two");
	h128(e2, 2, 0, x);
	h128(e1, 1, 0, y);
	ok(memcmp(x, y, 16) != 0, "h128: empty fields count");
	h128(ab_c, 2, 1, y);
	h128(ab_c, 2, 0, x);
	ok(memcmp(x, y, 16) != 0, "h128: the seed counts");

	/* Avalanche: flipping any one bit of a 40-byte field changes about
	 * half of the 128 output bits. */
	memset(line, 'x', sizeof(line));
	line[40] = '\0';
	{
		const char *p[] = { line };

		h128(p, 1, 0, x);
		for (i = 0; i < 40 * 7; i++) {
			line[i / 7] ^= (char)(1 << (i % 7));
			h128(p, 1, 0, y);
			line[i / 7] ^= (char)(1 << (i % 7));
			n = bits(x, y);
			if (n < min)
				min = n;
			if (n > max)
				max = n;
		}
	}
	ok(min >= 32 && max <= 96, "h128: one bit flips 32 to 96 of 128"
	    " (saw %d to %d)", min, max);
	return tap_done();
}
