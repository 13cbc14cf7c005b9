/*
 * dedupe-compare.c - a pair of records compared field by field: each
 * field's level (see dedupe.h, step 3, and crm-dedupe(1) for the rules).
 */
#include <stdint.h>
#include <string.h>

#include "dedupe-int.h"
#include "match.h"

static size_t
decode(const char *s, size_t n, uint32_t *cp)
{
	size_t k = crm_match_decode(s, n, cp, MAXCP);

	return k > MAXCP ? MAXCP : k;
}

/*
 * The fewest matching characters for a Jaro-Winkler of 0.8: Jaro must
 * reach 2/3 (the prefix adds at most 0.4 (1 - Jaro)), so m/na + m/nb >= 1.
 * Names with spaces are compared word by word: no bound.
 */
static size_t
jaro_need(const char *a, size_t na, const char *b, size_t nb)
{
	size_t x, y;

	if (memchr(a, ' ', na) != NULL || memchr(b, ' ', nb) != NULL)
		return 0;
	x = crm_match_ncp(a, na);
	y = crm_match_ncp(b, nb);
	return (x * y + x + y - 1) / (x + y);
}

/*
 * 1 if a Double Metaphone code of one name is one of the other's.  The
 * codes are NUL-padded to 5 bytes (dedupe-load.c): fixed-size compares,
 * which the compiler does inline, instead of strcmp() calls.
 */
static int
sounds_alike(const char *const a[2], const char *const b[2])
{
	int i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++)
			if (a[i][0] && memcmp(a[i], b[j], 5) == 0)
				return 1;
	return 0;
}

/*
 * A given or family name: 3 the same, 2 a typo away (Jaro-Winkler 0.92)
 * or a nickname, 1 similar (0.8), sounding alike, or an initial of the
 * other, 0 different.
 */
static int
name_level(const char *a, size_t na, const char *const da[2], const char *b,
    size_t nb, const char *const db[2], int nick)
{
	double s = 0.0;
	size_t k;

	if (na == 0 || nb == 0)
		return -1;
	if (na == nb && memcmp(a, b, na) == 0)
		return 3;
	if (crm_match_common_bytes(a, na, b, nb) >= jaro_need(a, na, b, nb))
		s = crm_match_words_sim(a, na, b, nb);
	if (s >= 0.92 || (nick && crm_match_nick_same(a, b)))
		return 2;
	if (s >= 0.8 || sounds_alike(da, db))
		return 1;
	k = crm_match_char1(a);
	if ((k == na || crm_match_char1(b) == nb) && memcmp(a, b, k) == 0)
		return 1;
	return 0;
}

static int
email_level(const char *a, size_t na, const char *b, size_t nb)
{
	const char *ea, *eb;

	if (na == nb && memcmp(a, b, na) == 0)
		return 3;
	if (crm_match_one_edit(a, na, b, nb))
		return 2;
	ea = memchr(a, '@', na);
	eb = memchr(b, '@', nb);
	if (ea != NULL && eb != NULL && ea - a == eb - b &&
	    memcmp(a, b, (size_t)(ea - a)) == 0)
		return 1;
	return 0;
}

static int
phone_level(const char *a, size_t na, const char *b, size_t nb)
{
	size_t n = na < nb ? na : nb;

	if (n > PHONE_DIGITS)
		n = PHONE_DIGITS;
	if (memcmp(a + na - n, b + nb - n, n) == 0)
		return 3;
	if (na > PHONE_DIGITS) {
		a += na - PHONE_DIGITS;
		na = PHONE_DIGITS;
	}
	if (nb > PHONE_DIGITS) {
		b += nb - PHONE_DIGITS;
		nb = PHONE_DIGITS;
	}
	return crm_match_one_edit(a, na, b, nb) ? 2 : 0;
}

/*
 * Dates YYYYMMDD: 3 the same, 2 a typo away or day and month swapped, 1
 * two of year, month and day the same, 0 different.
 */
static int
date_level(const char *a, size_t na, const char *b, size_t nb)
{
	if (na == nb && memcmp(a, b, na) == 0)
		return 3;
	if (crm_match_one_edit(a, na, b, nb))
		return 2;
	if (na != 8 || nb != 8)
		return 0;
	if (memcmp(a, b, 4) == 0 && memcmp(a + 4, b + 6, 2) == 0 &&
	    memcmp(a + 6, b + 4, 2) == 0)
		return 2;
	return (memcmp(a, b, 4) == 0) + (memcmp(a + 4, b + 4, 2) == 0) +
	    (memcmp(a + 6, b + 6, 2) == 0) >= 2;
}

/* Exact, one edit away, or different (postcodes, national ids). */
static int
code_level(const char *a, size_t na, const char *b, size_t nb)
{
	if (na == nb && memcmp(a, b, na) == 0)
		return 3;
	return crm_match_one_edit(a, na, b, nb) ? 2 : 0;
}

/*
 * Street, city, company: 3 the same, also with the words in another order
 * (address lines swapped); 2 and 1 a Jaro-Winkler similarity of 0.9 and
 * 0.75, of the values or of their words sorted (a house number missing).
 */
static int
text_level(const struct crm_dedupe *d, const struct rec *x,
    const struct rec *y, int f)
{
	uint32_t p[MAXCP], q[MAXCP];
	const char *a = val(d, x, f), *b = val(d, y, f);
	size_t na = x->len[f], nb = y->len[f], ca, cb, np, nq;
	int k = dedupe_sorted_slot[f];
	double s, t;

	if (na == nb && memcmp(a, b, na) == 0)
		return 3;
	/* Jaro-Winkler reaches 0.75 only if m/ca + m/cb >= 3/4. */
	ca = crm_match_ncp(a, na);
	cb = crm_match_ncp(b, nb);
	if (4 * crm_match_common_bytes(a, na, b, nb) * (ca + cb) < 3 * ca * cb)
		return 0;
	np = decode(a, na, p);
	nq = decode(b, nb, q);
	s = crm_match_jw(p, np, q, nq);
	if (s < 0.9 && (x->len[k] || y->len[k])) {
		if (x->len[k]) {
			a = val(d, x, k);
			na = x->len[k];
		}
		if (y->len[k]) {
			b = val(d, y, k);
			nb = y->len[k];
		}
		if (na == nb && memcmp(a, b, na) == 0)
			return 3;
		np = decode(a, na, p);
		nq = decode(b, nb, q);
		if ((t = crm_match_jw(p, np, q, nq)) > s)
			s = t;
	}
	return s >= 0.9 ? 2 : s >= 0.75 ? 1 : 0;
}

void
dedupe_compare(const struct crm_dedupe *d, const struct rec *x,
    const struct rec *y, signed char g[NF])
{
	const char *const dx[4] = { x->dm[0], x->dm[1], x->dm[2], x->dm[3] };
	const char *const dy[4] = { y->dm[0], y->dm[1], y->dm[2], y->dm[3] };
	const char *a, *b;
	size_t na, nb;
	int f, cf, cl;

	g[F_FIRST] = (signed char)name_level(val(d, x, F_FIRST),
	    x->len[F_FIRST], dx, val(d, y, F_FIRST), y->len[F_FIRST], dy,
	    (x->nick | y->nick) & 1);
	g[F_LAST] = (signed char)name_level(val(d, x, F_LAST), x->len[F_LAST],
	    dx + 2, val(d, y, F_LAST), y->len[F_LAST], dy + 2,
	    (x->nick | y->nick) & 2);
	/*
	 * Given and family names swapped agree better crossed; only worth
	 * comparing when a crossed pair starts alike or sounds alike.
	 */
	if (g[F_FIRST] + g[F_LAST] <= 2 && x->len[F_FIRST] &&
	    x->len[F_LAST] && y->len[F_FIRST] && y->len[F_LAST] &&
	    (val(d, x, F_FIRST)[0] == val(d, y, F_LAST)[0] ||
	    val(d, x, F_LAST)[0] == val(d, y, F_FIRST)[0] ||
	    sounds_alike(dx, dy + 2) || sounds_alike(dx + 2, dy))) {
		cf = name_level(val(d, x, F_FIRST), x->len[F_FIRST], dx,
		    val(d, y, F_LAST), y->len[F_LAST], dy + 2,
		    (x->nick & 1) | (y->nick & 2));
		cl = name_level(val(d, x, F_LAST), x->len[F_LAST], dx + 2,
		    val(d, y, F_FIRST), y->len[F_FIRST], dy,
		    (x->nick & 2) | (y->nick & 1));
		/*
		 * Crossed, a level takes the role of y's name: x's given
		 * name against y's family name is the family name's level,
		 * so that Jones Freya and Carol Jones share a family name
		 * (a household, perhaps), not a given name.
		 */
		if (cf + cl > g[F_FIRST] + g[F_LAST]) {
			g[F_FIRST] = (signed char)cl;
			g[F_LAST] = (signed char)cf;
		}
	}
	for (f = F_EMAIL; f < NF; f++) {
		na = x->len[f];
		nb = y->len[f];
		if (na == 0 || nb == 0) {
			g[f] = -1;
			continue;
		}
		a = val(d, x, f);
		b = val(d, y, f);
		switch (f) {
		case F_EMAIL:
			g[f] = (signed char)email_level(a, na, b, nb);
			break;
		case F_PHONE:
			g[f] = (signed char)phone_level(a, na, b, nb);
			break;
		case F_BIRTH:
			g[f] = (signed char)date_level(a, na, b, nb);
			break;
		case F_POSTCODE:
		case F_NATID:
			g[f] = (signed char)code_level(a, na, b, nb);
			break;
		default:
			g[f] = (signed char)text_level(d, x, y, f);
		}
	}
	/* The city adds nothing to a postcode that agrees. */
	if (g[F_POSTCODE] >= 2)
		g[F_CITY] = -1;
}
