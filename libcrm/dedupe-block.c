/*
 * dedupe-block.c - blocking: the keys of each record and the candidate
 * pairs they bring (see dedupe.h, step 2); records in name order for the
 * sorted neighbourhood; how common each name and place is.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dedupe-int.h"
#include "match.h"

const int dedupe_tf_field[NTF] = { F_FIRST, F_LAST, F_CITY, F_POSTCODE };

/* A blocking key of a record, or any 64-bit sort key with a record. */
struct bkey {
	uint64_t h;
	uint32_t rec;
	uint32_t pad;
};

/*
 * Stable LSD radix sort of n items by their 64-bit key, 16 bits a pass,
 * through tmp (as large as a).  A pass whose digit is the same for all
 * is skipped.
 */
#define RADIX_SORT(name, type, key)					\
static int								\
name(type *a, size_t n)							\
{									\
	size_t *cnt, i, sum, c;						\
	type *tmp, *src = a, *dst, *t;					\
	int shift;							\
									\
	if (n < 2)							\
		return 0;						\
	if ((cnt = malloc(65536 * sizeof(*cnt))) == NULL)		\
		return -1;						\
	if ((tmp = reallocarray(NULL, n, sizeof(*tmp))) == NULL) {	\
		free(cnt);						\
		return -1;						\
	}								\
	dst = tmp;							\
	for (shift = 0; shift < 64; shift += 16) {			\
		memset(cnt, 0, 65536 * sizeof(*cnt));			\
		for (i = 0; i < n; i++)					\
			cnt[(key(src[i]) >> shift) & 0xffff]++;		\
		if (cnt[(key(src[0]) >> shift) & 0xffff] == n)		\
			continue;					\
		for (sum = 0, i = 0; i < 65536; i++) {			\
			c = cnt[i];					\
			cnt[i] = sum;					\
			sum += c;					\
		}							\
		for (i = 0; i < n; i++)					\
			dst[cnt[(key(src[i]) >> shift) & 0xffff]++] =	\
			    src[i];					\
		t = src;						\
		src = dst;						\
		dst = t;						\
	}								\
	if (src != a)							\
		memcpy(a, src, n * sizeof(*a));				\
	free(tmp);							\
	free(cnt);							\
	return 0;							\
}

#define BKEY_KEY(x) ((x).h)
#define U64_KEY(x) (x)
RADIX_SORT(sort_bkeys, struct bkey, BKEY_KEY)
RADIX_SORT(sort_u64, uint64_t, U64_KEY)

/* FNV-1a over a kind byte and two strings, then mixed (splitmix64). */
static uint64_t
hkey(int kind, const char *a, size_t na, const char *b, size_t nb)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	h = (h ^ (unsigned char)kind) * 0x100000001b3ULL;
	for (i = 0; i < na; i++)
		h = (h ^ (unsigned char)a[i]) * 0x100000001b3ULL;
	h = (h ^ 0xff) * 0x100000001b3ULL;
	for (i = 0; i < nb; i++)
		h = (h ^ (unsigned char)b[i]) * 0x100000001b3ULL;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

struct keys {
	struct bkey *k;		/* pad holds the record's root */
	size_t n, a;
	uint32_t rec, root;
	int failed;
};

static void
key_add(struct keys *ks, int kind, const char *a, size_t na, const char *b,
    size_t nb)
{
	void *p;

	if ((p = dedupe_grow(ks->k, &ks->a, ks->n + 1, sizeof(*ks->k))) == NULL) {
		ks->failed = 1;
		return;
	}
	ks->k = p;
	ks->k[ks->n].h = hkey(kind, a, na, b, nb);
	ks->k[ks->n].rec = ks->rec;
	ks->k[ks->n].pad = ks->root;
	ks->n++;
}

/*
 * The Double Metaphone codes of name f of r, and of the names it is a
 * nickname of (Bill: PL, and William's ALM), without repeats; an empty
 * code for a missing name.  Returns how many.
 */
static int
sounds(const struct crm_dedupe *d, const struct rec *r, int f,
    char out[8][CRM_MATCH_DM_MAX + 1])
{
	const char *canon[4];
	char p[CRM_MATCH_DM_MAX + 1], q[CRM_MATCH_DM_MAX + 1];
	int n = 0, k, i, j, c;

	if (r->len[f] == 0 || r->dm[2 * f][0] == '\0') {
		out[0][0] = '\0';
		return 1;
	}
	for (c = 0; c < 2; c++)
		if (c == 0 || strcmp(r->dm[2 * f + 1], r->dm[2 * f]) != 0)
			memcpy(out[n++], r->dm[2 * f + c], 5);
	k = r->nick & 1u << f ? crm_match_nick(val(d, r, f), canon, 4) : 0;
	for (i = 0; i < k && i < 4; i++) {
		crm_match_dmetaphone(canon[i], 4, p, q);
		for (c = 0; c < 2; c++) {
			const char *x = c ? q : p;

			for (j = 0; j < n && strcmp(out[j], x) != 0; j++)
				;
			if (j == n && n < 8 && *x)
				memcpy(out[n++], x, strlen(x) + 1);
		}
	}
	return n;
}

/*
 * The keys of one kind for record r (see dedupe.h):
 *	E email, P phone, N national id, D birth date and the initial of
 *	the given name, Z postcode and the sound of either name, I the
 *	sounds of both names in either order (a nickname sounding as the
 *	name it stands for), B birth date and postcode.
 */
static void
rec_keys(const struct crm_dedupe *d, const struct rec *r, int kind,
    struct keys *ks)
{
	char code[2][8][CRM_MATCH_DM_MAX + 1];
	const char *s, *a, *b;
	int i, j, n, m, f, c;

	switch (kind) {
	case 'E':
		if (r->len[F_EMAIL])
			key_add(ks, 'E', val(d, r, F_EMAIL), r->len[F_EMAIL],
			    "", 0);
		break;
	case 'P':
		if (r->len[F_PHONE]) {
			size_t n9 = r->len[F_PHONE] < PHONE_DIGITS ?
			    r->len[F_PHONE] : PHONE_DIGITS;

			key_add(ks, 'P', val(d, r, F_PHONE) +
			    r->len[F_PHONE] - n9, n9, "", 0);
		}
		break;
	case 'N':
		if (r->len[F_NATID])
			key_add(ks, 'N', val(d, r, F_NATID), r->len[F_NATID],
			    "", 0);
		break;
	case 'D':
		/* Swapped names meet through the sounds of both (I). */
		if (r->len[F_BIRTH] == 0)
			break;
		f = r->len[F_FIRST] ? F_FIRST : F_LAST;
		s = val(d, r, f);
		key_add(ks, 'D', val(d, r, F_BIRTH), r->len[F_BIRTH], s,
		    r->len[f] ? crm_match_char1(s) : 0);
		break;
	case 'Z':
		if (r->len[F_POSTCODE] == 0)
			break;
		for (c = 0; c < 4; c++) {
			if (r->dm[c][0] == '\0' || ((c & 1) &&
			    strcmp(r->dm[c], r->dm[c - 1]) == 0))
				continue;
			key_add(ks, 'Z', val(d, r, F_POSTCODE),
			    r->len[F_POSTCODE], r->dm[c], strlen(r->dm[c]));
		}
		break;
	case 'B':
		if (r->len[F_BIRTH] && r->len[F_POSTCODE])
			key_add(ks, 'B', val(d, r, F_BIRTH), r->len[F_BIRTH],
			    val(d, r, F_POSTCODE), r->len[F_POSTCODE]);
		break;
	case 'I':
		/* Sounds of the two names, in either order. */
		n = sounds(d, r, F_FIRST, code[0]);
		m = sounds(d, r, F_LAST, code[1]);
		for (i = 0; i < n; i++)
			for (j = 0; j < m; j++) {
				a = code[0][i];
				b = code[1][j];
				if (strcmp(a, b) > 0) {
					a = code[1][j];
					b = code[0][i];
				}
				key_add(ks, 'I', a, strlen(a), b, strlen(b));
			}
		break;
	}
}

static const char key_kinds[] = DEDUPE_KEY_KINDS;

/*
 * The candidate pairs: every kind of key in turn, each block's pairs
 * (all of them, or a window in name order for a large block), then
 * sorted with repeats dropped and their kinds of key joined.
 */
int
dedupe_block(struct crm_dedupe *d, const uint32_t *order, struct pairs *ps,
    struct crm_error *err)
{
	struct keys ks;
	struct bkey *k;
	size_t i, j, s, e, w, need;
	const char *kind;
	uint64_t x, y, bit;
	void *p;
	int rc = -1;

	memset(&ks, 0, sizeof(ks));
	for (kind = key_kinds; *kind; kind++) {
		ks.n = 0;
		for (i = 0; i < d->nrec; i++) {
			ks.rec = order[i];
			ks.root = d->rec[order[i]].root;
			rec_keys(d, &d->rec[order[i]], *kind, &ks);
		}
		if (ks.failed || sort_bkeys(ks.k, ks.n) < 0)
			goto nomem;
		k = ks.k;
		bit = 1u << (kind - key_kinds);
		for (s = 0; s < ks.n; s = e) {
			for (e = s + 1; e < ks.n && k[e].h == k[s].h; e++)
				;
			w = e - s > CRM_DEDUPE_BLOCK ? CRM_DEDUPE_WINDOW :
			    e - s;
			need = ps->n + (e - s) * w;
			if (need > ps->a) {
				if ((p = dedupe_grow(ps->p, &ps->a, need,
				    sizeof(*ps->p))) == NULL)
					goto nomem;
				ps->p = p;
			}
			for (i = s; i < e; i++)
				for (j = i + 1; j < e && j <= i + w; j++) {
					if (k[i].pad == k[j].pad ||
					    (d->linking &&
					    d->rec[k[i].rec].src ==
					    d->rec[k[j].rec].src))
						continue;
					x = k[i].rec;
					y = k[j].rec;
					ps->p[ps->n++] = x < y ?
					    x << 36 | y << 8 | bit :
					    y << 36 | x << 8 | bit;
				}
		}
		dedupe_progress(d, (int64_t)ps->n, "pairs");
	}
	if (sort_u64(ps->p, ps->n) < 0)
		goto nomem;
	for (i = j = 0; i < ps->n; i++)
		if (j > 0 && ps->p[i] >> 8 == ps->p[j - 1] >> 8)
			ps->p[j - 1] |= ps->p[i];
		else
			ps->p[j++] = ps->p[i];
	ps->n = j;
	rc = 0;
	goto done;
nomem:
	crm_error_set(err, CRM_EFAIL, "out of memory");
done:
	free(ks.k);
	return rc;
}

/* Records in name order: family name, given name, postcode prefixes. */
uint32_t *
dedupe_name_order(const struct crm_dedupe *d)
{
	struct bkey *k;
	uint32_t *order;
	size_t i, j, n;
	uint64_t h;
	static const int part[3][2] = { { F_LAST, 4 }, { F_FIRST, 2 },
	    { F_POSTCODE, 2 } };
	int p;

	if ((k = reallocarray(NULL, d->nrec, sizeof(*k))) == NULL)
		return NULL;
	if ((order = reallocarray(NULL, d->nrec, sizeof(*order))) == NULL) {
		free(k);
		return NULL;
	}
	for (i = 0; i < d->nrec; i++) {
		const struct rec *r = &d->rec[i];

		for (h = 0, p = 0; p < 3; p++) {
			n = r->len[part[p][0]];
			for (j = 0; j < (size_t)part[p][1]; j++)
				h = h << 8 | (j < n ? (unsigned char)
				    val(d, r, part[p][0])[j] : 0);
		}
		k[i].h = h;
		k[i].rec = (uint32_t)i;
	}
	if (sort_bkeys(k, d->nrec) < 0) {
		free(k);
		free(order);
		return NULL;
	}
	for (i = 0; i < d->nrec; i++)
		order[i] = k[i].rec;
	free(k);
	return order;
}

/* tf: the share of records with each given and family name. */
int
dedupe_term_freq(struct crm_dedupe *d)
{
	struct bkey *k;
	size_t i, s, e, n;
	int f, t;

	if ((k = reallocarray(NULL, d->nrec, sizeof(*k))) == NULL)
		return -1;
	for (t = 0; t < NTF; t++) {
		f = dedupe_tf_field[t];
		for (i = n = 0; i < d->nrec; i++) {
			const struct rec *r = &d->rec[i];

			if (r->len[f] == 0)
				continue;
			k[n].h = hkey('T', val(d, r, f), r->len[f], "", 0);
			k[n++].rec = (uint32_t)i;
		}
		if (sort_bkeys(k, n) < 0) {
			free(k);
			return -1;
		}
		for (s = 0; s < n; s = e) {
			for (e = s + 1; e < n && k[e].h == k[s].h; e++)
				;
			for (i = s; i < e; i++)
				d->rec[k[i].rec].tf[t] = (float)(e - s) /
				    (float)n;
		}
	}
	free(k);
	return 0;
}
