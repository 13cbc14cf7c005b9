#include <string.h>

#include "hash.h"

void
crm_fnv128_init(struct crm_fnv128 *f)
{
	f->h = ((unsigned __int128)0x6c62272e07bb0142ULL << 64) |
	    0x62b821756295c58dULL;
}

void
crm_fnv128_add(struct crm_fnv128 *f, const void *p, size_t n)
{
	const unsigned __int128 prime = ((unsigned __int128)1 << 88) | 0x13b;
	const unsigned char *s = p;

	while (n--) {
		f->h ^= *s++;
		f->h *= prime;
	}
}

void
crm_fnv128_str(struct crm_fnv128 *f, const char *s)
{
	static const unsigned char null = 0xff;

	if (s == NULL)
		crm_fnv128_add(f, &null, 1);
	else
		crm_fnv128_add(f, s, strlen(s) + 1);
}

void
crm_fnv128_out(const struct crm_fnv128 *f, unsigned char out[16])
{
	int i;

	for (i = 0; i < 16; i++)
		out[i] = (unsigned char)(f->h >> (8 * (15 - i)));
}

/* Odd constants with well-spread bits (from the digits of pi and e). */
#define H_K1	0x243f6a8885a308d3ULL
#define H_K2	0xb7e151628aed2a6bULL
#define H_K3	0x9e3779b97f4a7c15ULL

static uint64_t
rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static void
h128_word(struct crm_h128 *h, uint64_t w)
{
	h->a = rotl((h->a ^ w) * H_K1, 29) + h->b;
	h->b = rotl((h->b + w) * H_K2, 31) ^ h->a;
}

void
crm_h128_init(struct crm_h128 *h, uint64_t seed)
{
	h->a = seed ^ H_K3;
	h->b = crm_mix64(seed + H_K1);
}

void
crm_h128_add(struct crm_h128 *h, const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t w;
	size_t left = n;

	for (; left >= 8; s += 8, left -= 8) {
		memcpy(&w, s, 8);
		h128_word(h, w);
	}
	w = 0;
	memcpy(&w, s, left);
	h128_word(h, w);
	h128_word(h, (uint64_t)n * H_K3);
}

void
crm_h128_out(const struct crm_h128 *h, unsigned char out[16])
{
	uint64_t a = crm_mix64(h->a + h->b), b = crm_mix64(h->b ^ rotl(a, 17));
	int i;

	for (i = 0; i < 8; i++) {
		out[i] = (unsigned char)(a >> (8 * (7 - i)));
		out[8 + i] = (unsigned char)(b >> (8 * (7 - i)));
	}
}
