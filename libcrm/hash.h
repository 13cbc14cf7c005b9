/*
 * hash.h - FNV-1a, 128 bits, fed piece by piece: content keys and
 * checksums of records (not for anything an adversary chooses to collide
 * with on purpose).
 */
#ifndef CRM_HASH_H
#define CRM_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct crm_fnv128 {
	unsigned __int128 h;
};

void crm_fnv128_init(struct crm_fnv128 *f);
void crm_fnv128_add(struct crm_fnv128 *f, const void *p, size_t n);
/* A string and its terminator, so "ab","c" differs from "a","bc"; NULL
 * hashes as a lone 0xff, which no UTF-8 text contains. */
void crm_fnv128_str(struct crm_fnv128 *f, const char *s);
/* The hash, most significant byte first. */
void crm_fnv128_out(const struct crm_fnv128 *f, unsigned char out[16]);

/*
 * A faster 128-bit checksum, eight bytes at a time, for data that is
 * hashed and compared but never stored across versions of the format it
 * came from (crm-add's record checksums): each add mixes in its length,
 * so a sequence of adds keeps field boundaries.
 */
struct crm_h128 {
	uint64_t a, b;
};

void crm_h128_init(struct crm_h128 *h, uint64_t seed);
void crm_h128_add(struct crm_h128 *h, const void *p, size_t n);
void crm_h128_out(const struct crm_h128 *h, unsigned char out[16]);

/* The 64-bit finaliser of MurmurHash3: every bit reaches every bit. */
static inline uint64_t
crm_mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* The bits of a double to hash, -0 and +0 alike. */
static inline uint64_t
crm_dbits(double v)
{
	uint64_t u;

	v += 0.0;
	memcpy(&u, &v, sizeof(u));
	return u;
}

/*
 * splitmix64 (Steele, Lea and Flood 2014): the next 64 bits of the
 * stream whose state is *s.  The one seeded generator of the library
 * (k-means restarts, sampling), so that a seed means the same stream
 * everywhere.
 */
static inline uint64_t
crm_splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#endif
