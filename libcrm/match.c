#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#include "match.h"

/* Start and end markers of padded q-grams: past U+10FFFF, in 21 bits. */
#define QSTART 0x110000u
#define QEND 0x110001u

#define NAME_WORDS 8

/*
 * A code point array on the stack, or on the heap when it is longer; if
 * the heap says no, the first CRM_MATCH_STACK code points.
 */
struct cpvec {
	uint32_t *p;
	size_t n;
	uint32_t st[CRM_MATCH_STACK];
};

static void
cpvec_free(struct cpvec *v)
{
	if (v->p != v->st)
		free(v->p);
}

/* Scratch memory: st when need fits in have bytes, else malloc (or NULL). */
static void *
scratch(void *st, size_t have, size_t need)
{
	return need <= have ? st : malloc(need);
}

static size_t
min_z(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* ---- UTF-8 --------------------------------------------------------- */

/* Decode the multi-byte sequence at *pp (*pp < e); U+FFFD for a bad byte. */
static uint32_t
dec_multi(const unsigned char **pp, const unsigned char *e)
{
	const unsigned char *p = *pp;
	uint32_t c = p[0], min;
	size_t k, i;

	if (c >= 0xc2 && c <= 0xdf) {
		k = 1;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		k = 2;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 3;
		c &= 0x07;
		min = 0x10000;
	} else
		goto bad;
	if ((size_t)(e - p) <= k)
		goto bad;
	for (i = 1; i <= k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			goto bad;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto bad;
	*pp = p + k + 1;
	return c;
bad:
	*pp = p + 1;
	return 0xfffd;
}

size_t
crm_match_decode(const char *s, size_t len, uint32_t *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	size_t n = 0;

	while (p < e) {
		uint32_t c = *p;

		if (c < 0x80)
			p++;
		else
			c = dec_multi(&p, e);
		if (n < cap)
			out[n] = c;
		n++;
	}
	return n;
}

static size_t
enc1(uint32_t c, unsigned char *u)
{
	if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		c = 0xfffd;
	if (c < 0x80) {
		u[0] = (unsigned char)c;
		return 1;
	}
	if (c < 0x800) {
		u[0] = (unsigned char)(0xc0 | c >> 6);
		u[1] = (unsigned char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		u[0] = (unsigned char)(0xe0 | c >> 12);
		u[1] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		u[2] = (unsigned char)(0x80 | (c & 0x3f));
		return 3;
	}
	u[0] = (unsigned char)(0xf0 | c >> 18);
	u[1] = (unsigned char)(0x80 | (c >> 12 & 0x3f));
	u[2] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
	u[3] = (unsigned char)(0x80 | (c & 0x3f));
	return 4;
}

size_t
crm_match_encode(const uint32_t *cp, size_t n, char *out, size_t cap)
{
	unsigned char u[4];
	size_t need = 0, put = 0, i, k;
	int full = 0;

	for (i = 0; i < n; i++) {
		k = enc1(cp[i], u);
		if (!full && cap > 0 && put + k < cap) {
			memcpy(out + put, u, k);
			put += k;
		} else
			full = 1;
		need += k;
	}
	if (cap > 0)
		out[put] = '\0';
	return need;
}

static void
cpvec_decode(struct cpvec *v, const char *s)
{
	size_t len = strlen(s), n;
	uint32_t *h;

	v->p = v->st;
	n = crm_match_decode(s, len, v->st, CRM_MATCH_STACK);
	if (n > CRM_MATCH_STACK) {
		if ((h = malloc(n * sizeof(*h))) != NULL) {
			crm_match_decode(s, len, h, n);
			v->p = h;
		} else
			n = CRM_MATCH_STACK;
	}
	v->n = n;
}

/* ---- folding ------------------------------------------------------- */

enum { F_DROP, F_KEEP, F_BREAK };

/* What folding does with a code point that is already decomposed. */
static int
fold_class(uint32_t c)
{
	utf8proc_category_t cat;

	if (c == '\'' || c == 0x2019)
		return F_DROP;	/* apostrophes join: O'Brien -> obrien */
	cat = utf8proc_category((utf8proc_int32_t)c);
	if ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
	    (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO))
		return F_KEEP;
	if (cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC ||
	    cat == UTF8PROC_CATEGORY_ME)
		return F_DROP;
	return F_BREAK;
}

/*
 * NFKD, marks stripped and case folded, one code point: writes the result
 * to d[FOLD1_MAX] and returns its length (0 when nothing is left).  The
 * longest compatibility decomposition (U+FDFA) is 18 code points.
 */
#define FOLD1_MAX 24

static int
fold1(uint32_t c, utf8proc_int32_t *d)
{
	utf8proc_ssize_t k;

	if (c < 0x80) {
		d[0] = (utf8proc_int32_t)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		return 1;
	}
	if (c == 0x2019) {
		d[0] = (utf8proc_int32_t)c;
		return 1;
	}
	k = utf8proc_decompose_char((utf8proc_int32_t)c, d, FOLD1_MAX,
	    UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK |
	    UTF8PROC_CASEFOLD, NULL);
	return k < 0 || k > FOLD1_MAX ? 0 : (int)k;
}

static int
ascii_alnum(uint32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

size_t
crm_match_fold(const char *s, size_t len, uint32_t *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	utf8proc_int32_t d[FOLD1_MAX];
	size_t n = 0;
	int brk = 0, k, i, cls;

	while (p < e) {
		uint32_t c = *p;

		if (c < 0x80) {
			p++;
			if (c >= 'A' && c <= 'Z')
				c += 32;
			if (!ascii_alnum(c)) {
				if (c != '\'')
					brk = 1;
				continue;
			}
			if (brk && n > 0) {
				if (n < cap)
					out[n] = ' ';
				n++;
			}
			brk = 0;
			if (n < cap)
				out[n] = c;
			n++;
			continue;
		}
		k = fold1(dec_multi(&p, e), d);
		for (i = 0; i < k; i++) {
			c = (uint32_t)d[i];
			if ((cls = fold_class(c)) == F_BREAK)
				brk = 1;
			if (cls != F_KEEP)
				continue;
			if (brk && n > 0) {
				if (n < cap)
					out[n] = ' ';
				n++;
			}
			brk = 0;
			if (n < cap)
				out[n] = c;
			n++;
		}
	}
	return n;
}

static void
cpvec_fold(struct cpvec *v, const char *s)
{
	size_t len = strlen(s), n;
	uint32_t *h;

	v->p = v->st;
	n = crm_match_fold(s, len, v->st, CRM_MATCH_STACK);
	if (n > CRM_MATCH_STACK) {
		if ((h = malloc(n * sizeof(*h))) != NULL) {
			crm_match_fold(s, len, h, n);
			v->p = h;
		} else
			n = CRM_MATCH_STACK;
	}
	v->n = n;
}

/* ---- Jaro, Jaro-Winkler -------------------------------------------- */

static double
jaro_value(size_t m, size_t t, size_t na, size_t nb)
{
	double dm = (double)m;

	if (m == 0)
		return 0.0;
	return (dm / (double)na + dm / (double)nb + (dm - (double)(t / 2)) / dm) /
	    3.0;
}

/*
 * Jaro for strings of at most 64 code points: the matched positions are
 * bits of two words and the window is scanned without branches, which is
 * what makes the common case (names) fast.
 */
static double
jaro64(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
    size_t win)
{
	uint64_t ua = 0, ub = 0, eq;
	size_t m = 0, t = 0, i, j, lo, hi;

	for (i = 0; i < na; i++) {
		lo = i > win ? i - win : 0;
		hi = min_z(i + win + 1, nb);
		eq = 0;
		for (j = lo; j < hi; j++)
			eq |= (uint64_t)(a[i] == b[j]) << j;
		eq &= ~ub;
		if (eq != 0) {
			ub |= eq & (~eq + 1);	/* the first free one */
			ua |= (uint64_t)1 << i;
			m++;
		}
	}
	/* Matched code points of a and of b, in order, should agree. */
	while (ua != 0) {
		if (a[__builtin_ctzll(ua)] != b[__builtin_ctzll(ub)])
			t++;
		ua &= ua - 1;
		ub &= ub - 1;
	}
	return jaro_value(m, t, na, nb);
}

/* Jaro for longer strings, with a flag a code point. */
static double __attribute__((noinline))
jaro_long(const uint32_t *a, size_t na, const uint32_t *b, size_t nb,
    size_t win)
{
	unsigned char st[2 * CRM_MATCH_STACK], *fa, *fb;
	size_t m = 0, t = 0, i, j, k, lo, hi;

	if ((fa = scratch(st, sizeof(st), na + nb)) == NULL) {
		na = min_z(na, CRM_MATCH_STACK);
		nb = min_z(nb, CRM_MATCH_STACK);
		fa = st;
	}
	fb = fa + na;
	memset(fa, 0, na + nb);
	for (i = 0; i < na; i++) {
		lo = i > win ? i - win : 0;
		hi = min_z(i + win + 1, nb);
		for (j = lo; j < hi; j++) {
			if (!fb[j] && a[i] == b[j]) {
				fa[i] = fb[j] = 1;
				m++;
				break;
			}
		}
	}
	for (i = 0, k = 0; i < na && m > 0; i++) {
		if (!fa[i])
			continue;
		while (!fb[k])
			k++;
		if (a[i] != b[k])
			t++;
		k++;
	}
	if (fa != st)
		free(fa);
	return jaro_value(m, t, na, nb);
}

double
crm_match_jaro(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	size_t win;

	if (na == 0 || nb == 0)
		return na == nb ? 1.0 : 0.0;
	if (na == nb && memcmp(a, b, na * sizeof(*a)) == 0)
		return 1.0;
	win = (na > nb ? na : nb) / 2;
	win = win > 0 ? win - 1 : 0;
	if (na <= 64 && nb <= 64)
		return jaro64(a, na, b, nb, win);
	return jaro_long(a, na, b, nb, win);
}

double
crm_match_jw(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	double j = crm_match_jaro(a, na, b, nb);
	size_t l = 0, max = min_z(min_z(na, nb), 4);

	if (j <= 0.7)
		return j;
	while (l < max && a[l] == b[l])
		l++;
	return j + (double)l * 0.1 * (1.0 - j);
}

/* ---- edit distances ------------------------------------------------ */

static size_t
min3(size_t x, size_t y, size_t z)
{
	size_t m = x < y ? x : y;

	return m < z ? m : z;
}

size_t
crm_match_osa(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	size_t st[3 * (CRM_MATCH_STACK + 1)], *rows, *r0, *r1, *r2, *tmp;
	size_t i, j, v, d;

	if (na == 0 || nb == 0)
		return na + nb;
	if ((rows = scratch(st, sizeof(st), 3 * (nb + 1) * sizeof(*st))) ==
	    NULL) {
		na = min_z(na, CRM_MATCH_STACK);
		nb = min_z(nb, CRM_MATCH_STACK);
		rows = st;
	}
	/* r0: two rows up, r1: the row above, r2: this row. */
	r0 = rows;
	r1 = rows + nb + 1;
	r2 = rows + 2 * (nb + 1);
	for (j = 0; j <= nb; j++)
		r1[j] = j;
	for (i = 1; i <= na; i++) {
		r2[0] = i;
		for (j = 1; j <= nb; j++) {
			v = min3(r1[j] + 1, r2[j - 1] + 1,
			    r1[j - 1] + (a[i - 1] != b[j - 1]));
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && r0[j - 2] + 1 < v)
				v = r0[j - 2] + 1;
			r2[j] = v;
		}
		tmp = r0;
		r0 = r1;
		r1 = r2;
		r2 = tmp;
	}
	d = r1[nb];
	if (rows != st)
		free(rows);
	return d;
}

size_t
crm_match_dl(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	uint32_t st[42 * 42 + 42], *h, *last, inf, v, cost;
	size_t i, j, i1, j1, w, db;

	if (na == 0 || nb == 0)
		return na + nb;
	if (na + nb >= UINT32_MAX / 2 ||
	    na + 2 > SIZE_MAX / sizeof(*st) / (nb + 3))
		return crm_match_osa(a, na, b, nb);
	w = nb + 2;
	if ((h = scratch(st, sizeof(st), ((na + 2) * w + nb + 1) *
	    sizeof(*st))) == NULL)
		return crm_match_osa(a, na, b, nb);
	/*
	 * h[(i + 1) * w + (j + 1)] is the distance of a[0..i) and b[0..j),
	 * with a border of "infinity" in row 0 and column 0; last[j] is the
	 * last row i (1-based) so far where a[i - 1] == b[j - 1], 0 if none.
	 */
	last = h + (na + 2) * w;
	inf = (uint32_t)(na + nb);
	h[0] = inf;
	for (i = 0; i <= na; i++) {
		h[(i + 1) * w] = inf;
		h[(i + 1) * w + 1] = (uint32_t)i;
	}
	for (j = 0; j <= nb; j++) {
		h[j + 1] = inf;
		h[w + j + 1] = (uint32_t)j;
		last[j] = 0;
	}
	for (i = 1; i <= na; i++) {
		db = 0;
		for (j = 1; j <= nb; j++) {
			i1 = last[j];
			j1 = db;
			cost = 1;
			if (a[i - 1] == b[j - 1]) {
				cost = 0;
				db = j;
			}
			v = h[i * w + j] + cost;
			if (h[(i + 1) * w + j] + 1 < v)
				v = h[(i + 1) * w + j] + 1;
			if (h[i * w + j + 1] + 1 < v)
				v = h[i * w + j + 1] + 1;
			if (i1 > 0 && j1 > 0 && h[i1 * w + j1] +
			    (uint32_t)(i - i1 + j - j1 - 1) < v)
				v = h[i1 * w + j1] + (uint32_t)(i - i1 + j - j1 - 1);
			h[(i + 1) * w + j + 1] = v;
		}
		for (j = 1; j <= nb; j++)
			if (b[j - 1] == a[i - 1])
				last[j] = (uint32_t)i;
	}
	v = h[(na + 1) * w + nb + 1];
	if (h != st)
		free(h);
	return v;
}

double
crm_match_osa_sim(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	size_t max = na > nb ? na : nb;

	if (max == 0)
		return 1.0;
	return 1.0 - (double)crm_match_osa(a, na, b, nb) / (double)max;
}

/* The _str flavours: decode both, call f, free. */
#define STR2(type, name, call)						\
type									\
name(const char *a, const char *b)					\
{									\
	struct cpvec x, y;						\
	type r;								\
									\
	cpvec_decode(&x, a);						\
	cpvec_decode(&y, b);						\
	r = call(x.p, x.n, y.p, y.n);					\
	cpvec_free(&x);							\
	cpvec_free(&y);							\
	return r;							\
}

STR2(double, crm_match_jaro_str, crm_match_jaro)
STR2(double, crm_match_jw_str, crm_match_jw)
STR2(size_t, crm_match_osa_str, crm_match_osa)
STR2(size_t, crm_match_dl_str, crm_match_dl)
STR2(double, crm_match_osa_sim_str, crm_match_osa_sim)

/* ---- q-grams ------------------------------------------------------- */

size_t
crm_match_qgrams(const uint32_t *s, size_t n, int q, int pad, uint64_t *keys,
    size_t cap)
{
	size_t total, i, j, qq, pos;
	uint64_t k;
	uint32_t c;

	if (q < 1 || q > 3 || n == 0)
		return 0;
	qq = (size_t)q;
	if (pad)
		total = n + qq - 1;
	else if (n < qq)
		return 0;
	else
		total = n - qq + 1;
	for (i = 0; i < total && i < cap; i++) {
		k = 0;
		for (j = 0; j < qq; j++) {
			/* Position i + j of the string with q-1 markers before. */
			pos = pad ? i + j : i + j + qq - 1;
			if (pos < qq - 1)
				c = QSTART;
			else if (pos - (qq - 1) >= n)
				c = QEND;
			else
				c = s[pos - (qq - 1)] & 0x1fffff;
			k = k << 21 | c;
		}
		keys[i] = k;
	}
	return total;
}

static int
cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

size_t
crm_match_qgram_set(uint64_t *keys, size_t n)
{
	size_t i, j, out;
	uint64_t k;

	if (n <= 32) {
		for (i = 1; i < n; i++) {
			k = keys[i];
			for (j = i; j > 0 && keys[j - 1] > k; j--)
				keys[j] = keys[j - 1];
			keys[j] = k;
		}
	} else
		qsort(keys, n, sizeof(*keys), cmp_u64);
	for (i = 0, out = 0; i < n; i++)
		if (out == 0 || keys[out - 1] != keys[i])
			keys[out++] = keys[i];
	return out;
}

static size_t
common(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
	size_t i = 0, j = 0, c = 0;

	while (i < na && j < nb) {
		if (a[i] < b[j])
			i++;
		else if (a[i] > b[j])
			j++;
		else {
			c++;
			i++;
			j++;
		}
	}
	return c;
}

double
crm_match_jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
	size_t c;

	if (na == 0 && nb == 0)
		return 1.0;
	c = common(a, na, b, nb);
	return (double)c / (double)(na + nb - c);
}

double
crm_match_dice(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
	if (na == 0 && nb == 0)
		return 1.0;
	return 2.0 * (double)common(a, na, b, nb) / (double)(na + nb);
}

struct keyvec {
	uint64_t *p;
	size_t n;
	uint64_t st[CRM_MATCH_STACK + 2];
};

/* The padded q-gram set of v. */
static void
keyvec_make(struct keyvec *k, const struct cpvec *v, int q)
{
	size_t n = v->n;

	k->p = k->st;
	if (n + 2 > CRM_MATCH_STACK + 2 &&
	    (k->p = malloc((n + 2) * sizeof(*k->p))) == NULL) {
		k->p = k->st;
		n = CRM_MATCH_STACK;
	}
	k->n = crm_match_qgrams(v->p, n, q, 1, k->p, n + 2);
	k->n = crm_match_qgram_set(k->p, min_z(k->n, n + 2));
}

static double
qgram_str(const char *a, const char *b, int q, int dice)
{
	struct cpvec x, y;
	struct keyvec kx, ky;
	double r;

	q = q < 1 ? 1 : q > 3 ? 3 : q;
	cpvec_decode(&x, a);
	cpvec_decode(&y, b);
	keyvec_make(&kx, &x, q);
	keyvec_make(&ky, &y, q);
	r = dice ? crm_match_dice(kx.p, kx.n, ky.p, ky.n) :
	    crm_match_jaccard(kx.p, kx.n, ky.p, ky.n);
	if (kx.p != kx.st)
		free(kx.p);
	if (ky.p != ky.st)
		free(ky.p);
	cpvec_free(&x);
	cpvec_free(&y);
	return r;
}

double
crm_match_jaccard_str(const char *a, const char *b, int q)
{
	return qgram_str(a, b, q, 0);
}

double
crm_match_dice_str(const char *a, const char *b, int q)
{
	return qgram_str(a, b, q, 1);
}

/* ---- nicknames ----------------------------------------------------- */

/*
 * Diminutive or variant -> canonical given name, sorted by nickname (C
 * locale) for bsearch.  A nickname may have several canonical forms, in
 * consecutive entries.  No canonical form is itself a nickname, so one
 * lookup is always enough.
 */
static const struct nick {
	const char *nick, *canon;
} nicks[] = {
	{ "abbie", "abigail" }, { "abby", "abigail" },
	{ "abe", "abraham" }, { "aggie", "agnes" },
	{ "al", "alan" }, { "al", "albert" },
	{ "al", "alexander" }, { "al", "alfred" },
	{ "alec", "alexander" }, { "alex", "alexander" },
	{ "alex", "alexandra" }, { "alexa", "alexandra" },
	{ "alf", "alfred" }, { "alfie", "alfred" },
	{ "ali", "alison" }, { "allan", "alan" },
	{ "allen", "alan" }, { "allie", "alison" },
	{ "ally", "alison" }, { "andi", "andrea" },
	{ "andy", "andrew" }, { "ange", "angela" },
	{ "angie", "angela" }, { "ann", "anne" },
	{ "anna", "anne" }, { "annie", "anne" },
	{ "archie", "archibald" }, { "art", "arthur" },
	{ "artie", "arthur" }, { "augie", "augustine" },
	{ "babette", "barbara" }, { "babs", "barbara" },
	{ "barb", "barbara" }, { "barbie", "barbara" },
	{ "barney", "barnabas" }, { "barney", "bernard" },
	{ "bart", "bartholomew" }, { "bea", "beatrice" },
	{ "becca", "rebecca" }, { "becky", "rebecca" },
	{ "bee", "beatrice" }, { "bella", "isabella" },
	{ "ben", "benjamin" }, { "benji", "benjamin" },
	{ "benny", "benjamin" }, { "beppe", "giuseppe" },
	{ "bernie", "bernadette" }, { "bernie", "bernard" },
	{ "bert", "albert" }, { "bert", "bertram" },
	{ "bert", "gilbert" }, { "bert", "herbert" },
	{ "bert", "hubert" }, { "bert", "robert" },
	{ "bertie", "albert" }, { "bertie", "bertram" },
	{ "bess", "elizabeth" }, { "bessie", "elizabeth" },
	{ "beth", "elizabeth" }, { "beto", "alberto" },
	{ "beto", "roberto" }, { "betsy", "elizabeth" },
	{ "bette", "elizabeth" }, { "bettie", "elizabeth" },
	{ "betty", "elizabeth" }, { "biddy", "bridget" },
	{ "bill", "william" }, { "billie", "william" },
	{ "billy", "william" }, { "bob", "robert" },
	{ "bobbie", "robert" }, { "bobbie", "roberta" },
	{ "bobby", "robert" }, { "brad", "bradley" },
	{ "bram", "abraham" }, { "bridie", "bridget" },
	{ "cal", "calvin" }, { "cam", "cameron" },
	{ "candy", "candace" }, { "carrie", "caroline" },
	{ "cassie", "cassandra" }, { "cate", "katherine" },
	{ "catherine", "katherine" }, { "cathryn", "katherine" },
	{ "cathy", "katherine" }, { "cece", "cecilia" },
	{ "ceci", "cecilia" }, { "charley", "charles" },
	{ "charlie", "charles" }, { "charlie", "charlotte" },
	{ "chas", "charles" }, { "chaz", "charles" },
	{ "chet", "chester" }, { "chris", "christian" },
	{ "chris", "christina" }, { "chris", "christine" },
	{ "chris", "christopher" }, { "chrissy", "christine" },
	{ "christie", "christina" }, { "christy", "christine" },
	{ "chuck", "charles" }, { "chuy", "jesus" },
	{ "cindy", "cynthia" }, { "cindy", "lucinda" },
	{ "cissy", "cecilia" }, { "clem", "clement" },
	{ "cliff", "clifford" }, { "clint", "clinton" },
	{ "concha", "concepcion" }, { "connie", "constance" },
	{ "curt", "curtis" }, { "cy", "cyrus" },
	{ "dan", "daniel" }, { "dani", "danielle" },
	{ "danny", "daniel" }, { "dave", "david" },
	{ "davey", "david" }, { "davy", "david" },
	{ "deb", "deborah" }, { "debbie", "deborah" },
	{ "debby", "deborah" }, { "debra", "deborah" },
	{ "denny", "dennis" }, { "dick", "richard" },
	{ "dickie", "richard" }, { "dolly", "dorothy" },
	{ "dom", "dominic" }, { "don", "donald" },
	{ "donnie", "donald" }, { "donny", "donald" },
	{ "dot", "dorothy" }, { "dottie", "dorothy" },
	{ "doug", "douglas" }, { "dougie", "douglas" },
	{ "drew", "andrew" }, { "dusty", "dustin" },
	{ "ed", "edmund" }, { "ed", "edward" },
	{ "ed", "edwin" }, { "eddie", "edward" },
	{ "eddy", "edward" }, { "eli", "elias" },
	{ "eli", "elijah" }, { "elinor", "eleanor" },
	{ "elisabeth", "elizabeth" }, { "eliza", "elizabeth" },
	{ "ellie", "eleanor" }, { "elsie", "elizabeth" },
	{ "em", "emily" }, { "emmy", "emily" },
	{ "ernie", "ernest" }, { "fanny", "frances" },
	{ "flo", "florence" }, { "flossie", "florence" },
	{ "fran", "frances" }, { "fran", "francis" },
	{ "frank", "francis" }, { "frank", "franklin" },
	{ "frankie", "francis" }, { "franny", "frances" },
	{ "fred", "alfred" }, { "fred", "frederick" },
	{ "freddie", "frederick" }, { "freddy", "frederick" },
	{ "fritz", "frederick" }, { "gabby", "gabrielle" },
	{ "gabe", "gabriel" }, { "gail", "abigail" },
	{ "gene", "eugene" }, { "geoff", "jeffrey" },
	{ "geoffrey", "jeffrey" }, { "georgie", "george" },
	{ "georgie", "georgina" }, { "gerry", "gerald" },
	{ "gerry", "geraldine" }, { "gianni", "giovanni" },
	{ "gil", "gilbert" }, { "ginger", "virginia" },
	{ "ginny", "virginia" }, { "gordie", "gordon" },
	{ "greg", "gregory" }, { "greta", "margaret" },
	{ "gretchen", "margaret" }, { "gus", "augustus" },
	{ "gus", "gustav" }, { "gwen", "gwendolyn" },
	{ "hal", "harold" }, { "hal", "henry" },
	{ "hank", "henry" }, { "hans", "johannes" },
	{ "harry", "harold" }, { "harry", "henry" },
	{ "hattie", "harriet" }, { "hatty", "harriet" },
	{ "herb", "herbert" }, { "herm", "herman" },
	{ "hetty", "henrietta" }, { "hetty", "hester" },
	{ "howie", "howard" }, { "hughie", "hugh" },
	{ "iggy", "ignatius" }, { "ike", "isaac" },
	{ "isabel", "isabella" }, { "isabelle", "isabella" },
	{ "isobel", "isabella" }, { "izzie", "isabella" },
	{ "izzy", "isabella" }, { "jack", "john" },
	{ "jackie", "jacqueline" }, { "jake", "jacob" },
	{ "jamie", "james" }, { "jan", "janet" },
	{ "janie", "jane" }, { "jed", "jedediah" },
	{ "jeff", "jeffrey" }, { "jen", "jennifer" },
	{ "jenn", "jennifer" }, { "jenny", "jennifer" },
	{ "jerry", "gerald" }, { "jerry", "jeremiah" },
	{ "jerry", "jerome" }, { "jess", "jessica" },
	{ "jessie", "jessica" }, { "jill", "gillian" },
	{ "jim", "james" }, { "jimmie", "james" },
	{ "jimmy", "james" }, { "jo", "joanne" },
	{ "jo", "josephine" }, { "jodi", "judith" },
	{ "joe", "joseph" }, { "joey", "joseph" },
	{ "johnnie", "john" }, { "johnny", "john" },
	{ "jon", "jonathan" }, { "jonny", "jonathan" },
	{ "jos", "joseph" }, { "josef", "joseph" },
	{ "josh", "joshua" }, { "josie", "josephine" },
	{ "judy", "judith" }, { "julie", "julia" },
	{ "kat", "katherine" }, { "kate", "katherine" },
	{ "kath", "katherine" }, { "katharine", "katherine" },
	{ "kathleen", "katherine" }, { "kathrine", "katherine" },
	{ "kathryn", "katherine" }, { "kathy", "katherine" },
	{ "katie", "katherine" }, { "katy", "katherine" },
	{ "kay", "katherine" }, { "ken", "kenneth" },
	{ "kenny", "kenneth" }, { "kim", "kimberly" },
	{ "kimberley", "kimberly" }, { "kit", "christopher" },
	{ "kit", "katherine" }, { "kitty", "katherine" },
	{ "kris", "christine" }, { "kris", "christopher" },
	{ "lalo", "eduardo" }, { "larry", "lawrence" },
	{ "lars", "lawrence" }, { "laurence", "lawrence" },
	{ "len", "leonard" }, { "lenny", "leonard" },
	{ "leo", "leonard" }, { "les", "leslie" },
	{ "les", "lester" }, { "lew", "lewis" },
	{ "lexi", "alexandra" }, { "lexie", "alexandra" },
	{ "liam", "william" }, { "libby", "elizabeth" },
	{ "lil", "lillian" }, { "lilly", "lillian" },
	{ "lily", "lillian" }, { "lisa", "elizabeth" },
	{ "liz", "elizabeth" }, { "liza", "elizabeth" },
	{ "lizzie", "elizabeth" }, { "lizzy", "elizabeth" },
	{ "lola", "dolores" }, { "lolita", "dolores" },
	{ "lottie", "charlotte" }, { "lou", "louis" },
	{ "lou", "louise" }, { "louie", "louis" },
	{ "lupe", "guadalupe" }, { "maddie", "madeline" },
	{ "maddy", "madeline" }, { "madeleine", "madeline" },
	{ "madelyn", "madeline" }, { "madge", "margaret" },
	{ "maggie", "margaret" }, { "mamie", "mary" },
	{ "manda", "amanda" }, { "mandy", "amanda" },
	{ "manny", "emmanuel" }, { "manny", "manuel" },
	{ "marcy", "marcia" }, { "marge", "margaret" },
	{ "marge", "marjorie" }, { "margie", "margaret" },
	{ "mart", "martin" }, { "marty", "martin" },
	{ "marv", "marvin" }, { "matt", "matthew" },
	{ "mattie", "martha" }, { "mattie", "matilda" },
	{ "matty", "matthew" }, { "max", "maximilian" },
	{ "max", "maxwell" }, { "meg", "margaret" },
	{ "mel", "melissa" }, { "mel", "melvin" },
	{ "memo", "guillermo" }, { "mick", "michael" },
	{ "mickey", "michael" }, { "mike", "michael" },
	{ "mikey", "michael" }, { "millie", "mildred" },
	{ "millie", "millicent" }, { "mindy", "melinda" },
	{ "missy", "melissa" }, { "mitch", "mitchell" },
	{ "mo", "maurice" }, { "mo", "morris" },
	{ "moe", "moses" }, { "mollie", "mary" },
	{ "molly", "mary" }, { "monty", "montgomery" },
	{ "mose", "moses" }, { "nacho", "ignacio" },
	{ "nan", "anne" }, { "nannie", "anne" },
	{ "nat", "natalie" }, { "nat", "nathan" },
	{ "nat", "nathaniel" }, { "nate", "nathan" },
	{ "nate", "nathaniel" }, { "ned", "edward" },
	{ "nell", "eleanor" }, { "nell", "helen" },
	{ "nellie", "eleanor" }, { "nellie", "helen" },
	{ "nick", "nicholas" }, { "nicki", "nicole" },
	{ "nicky", "nicholas" }, { "nico", "nicholas" },
	{ "nikki", "nicole" }, { "norm", "norman" },
	{ "ollie", "oliver" }, { "olly", "oliver" },
	{ "oz", "oswald" }, { "ozzy", "oswald" },
	{ "paco", "francisco" }, { "paddy", "patrick" },
	{ "pam", "pamela" }, { "pancho", "francisco" },
	{ "pat", "patricia" }, { "pat", "patrick" },
	{ "patsy", "patricia" }, { "patti", "patricia" },
	{ "patty", "patricia" }, { "peg", "margaret" },
	{ "peggy", "margaret" }, { "penny", "penelope" },
	{ "pepe", "jose" }, { "percy", "percival" },
	{ "pete", "peter" }, { "phil", "philip" },
	{ "phillip", "philip" }, { "pip", "philip" },
	{ "polly", "mary" }, { "prissy", "priscilla" },
	{ "quique", "enrique" }, { "rafa", "rafael" },
	{ "randy", "randall" }, { "randy", "randolph" },
	{ "ray", "raymond" }, { "reba", "rebecca" },
	{ "reg", "reginald" }, { "reggie", "reginald" },
	{ "ricardo", "richard" }, { "rich", "richard" },
	{ "richie", "richard" }, { "rick", "richard" },
	{ "ricky", "richard" }, { "rob", "robert" },
	{ "robbie", "robert" }, { "robby", "robert" },
	{ "rod", "rodney" }, { "rolly", "roland" },
	{ "ron", "ronald" }, { "ronnie", "ronald" },
	{ "ronny", "ronald" }, { "roxy", "roxanne" },
	{ "rudy", "rudolph" }, { "russ", "russell" },
	{ "sadie", "sarah" }, { "sal", "salvatore" },
	{ "sally", "sarah" }, { "sam", "samantha" },
	{ "sam", "samuel" }, { "sammy", "samuel" },
	{ "sandy", "alexander" }, { "sandy", "sandra" },
	{ "sara", "sarah" }, { "sasha", "alexander" },
	{ "sasha", "alexandra" }, { "seb", "sebastian" },
	{ "sepp", "joseph" }, { "sid", "sidney" },
	{ "stacy", "anastasia" }, { "stan", "stanley" },
	{ "steph", "stephanie" }, { "steve", "stephen" },
	{ "steven", "stephen" }, { "stevie", "stephen" },
	{ "stewart", "stuart" }, { "stu", "stuart" },
	{ "sue", "susan" }, { "susie", "susan" },
	{ "suzy", "susan" }, { "sydney", "sidney" },
	{ "tabby", "tabitha" }, { "tad", "thaddeus" },
	{ "tammy", "tamara" }, { "ted", "edward" },
	{ "ted", "theodore" }, { "teddy", "edward" },
	{ "teddy", "theodore" }, { "teresa", "theresa" },
	{ "terri", "theresa" }, { "terry", "terence" },
	{ "terry", "theresa" }, { "tess", "theresa" },
	{ "theo", "theodore" }, { "tilly", "matilda" },
	{ "tim", "timothy" }, { "timmy", "timothy" },
	{ "tina", "christina" }, { "toby", "tobias" },
	{ "tom", "thomas" }, { "tommy", "thomas" },
	{ "toni", "antonia" }, { "tono", "antonio" },
	{ "tony", "anthony" }, { "tricia", "patricia" },
	{ "trish", "patricia" }, { "trixie", "beatrix" },
	{ "trudy", "gertrude" }, { "val", "valerie" },
	{ "vic", "victor" }, { "vicki", "victoria" },
	{ "vicky", "victoria" }, { "vikki", "victoria" },
	{ "vin", "vincent" }, { "vince", "vincent" },
	{ "vinny", "vincent" }, { "vonnie", "yvonne" },
	{ "wally", "walter" }, { "walt", "walter" },
	{ "wendy", "gwendolyn" }, { "wes", "wesley" },
	{ "will", "william" }, { "willie", "william" },
	{ "willy", "william" }, { "winnie", "winifred" },
	{ "wm", "william" }, { "woody", "woodrow" },
	{ "xander", "alexander" }, { "zac", "zachary" },
	{ "zach", "zachary" }, { "zack", "zachary" },
	{ "zak", "zachary" }, { "zander", "alexander" },
	{ "zeke", "ezekiel" },
};

#define NICK_LEN 16	/* longer than any nickname in the table */

/* Lower-case ASCII copy of name into out[NICK_LEN]; 0 if it cannot be one. */
static int
nick_key(const char *name, char *out)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++) {
		unsigned char c = (unsigned char)name[i];

		if (i + 1 >= NICK_LEN || c >= 0x80)
			return 0;
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[i] = '\0';
	return i > 0;
}

/* strcmp for short keys, inline: lookups are in the hot path of names. */
static int
keycmp(const char *x, const char *y)
{
	while (*x != '\0' && *x == *y) {
		x++;
		y++;
	}
	return (unsigned char)*x - (unsigned char)*y;
}

static int
nick_lookup(const char *key, const char **canon, int max)
{
	size_t lo = 0, hi = sizeof(nicks) / sizeof(nicks[0]), mid;
	int n = 0, c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = keycmp(nicks[mid].nick, key);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < sizeof(nicks) / sizeof(nicks[0]) &&
	    keycmp(nicks[lo].nick, key) == 0; lo++) {
		if (n < max)
			canon[n] = nicks[lo].canon;
		n++;
	}
	return n;
}

int
crm_match_nick(const char *name, const char **canon, int max)
{
	char key[NICK_LEN];

	if (!nick_key(name, key))
		return 0;
	return nick_lookup(key, canon, max);
}

#define NICK_MAX 8	/* more canonical forms than any nickname has */

/* The test behind crm_match_nick_same, on lower-case keys. */
static int
nick_same_keys(const char *ka, const char **ca, int na, const char *kb,
    const char **cb, int nb)
{
	int i, j;

	if (keycmp(ka, kb) == 0)
		return 1;
	for (i = 0; i < na; i++) {
		if (keycmp(ca[i], kb) == 0)
			return 1;
		for (j = 0; j < nb; j++)
			if (keycmp(ca[i], cb[j]) == 0)
				return 1;
	}
	for (j = 0; j < nb; j++)
		if (keycmp(cb[j], ka) == 0)
			return 1;
	return 0;
}

int
crm_match_nick_same(const char *a, const char *b)
{
	char ka[NICK_LEN], kb[NICK_LEN];
	const char *ca[NICK_MAX], *cb[NICK_MAX];
	int na, nb;

	if (strcasecmp(a, b) == 0)
		return 1;
	if (!nick_key(a, ka) || !nick_key(b, kb))
		return 0;
	na = nick_lookup(ka, ca, NICK_MAX);
	nb = nick_lookup(kb, cb, NICK_MAX);
	return nick_same_keys(ka, ca, na < NICK_MAX ? na : NICK_MAX, kb, cb,
	    nb < NICK_MAX ? nb : NICK_MAX);
}

/* ---- names --------------------------------------------------------- */

struct word {
	const uint32_t *p;
	size_t n;
	int looked;	/* key and canon filled in */
	int haskey;	/* short ASCII: may be in the nickname table */
	int ncanon;
	char key[NICK_LEN];
	const char *canon[NICK_MAX];
};

static size_t
split_words(const uint32_t *s, size_t n, struct word *w, size_t *len)
{
	size_t nw = 0, i = 0, j;

	*len = 0;
	while (i < n && nw < NAME_WORDS) {
		while (i < n && s[i] == ' ')
			i++;
		for (j = i; j < n && s[j] != ' '; j++)
			;
		if (j > i) {
			w[nw].p = s + i;
			w[nw].n = j - i;
			w[nw].looked = 0;
			*len += j - i;
			nw++;
		}
		i = j;
	}
	return nw;
}

static void
word_look(struct word *w)
{
	size_t i;
	int n;

	w->looked = 1;
	w->haskey = 0;
	w->ncanon = 0;
	if (w->n + 1 > NICK_LEN)
		return;
	for (i = 0; i < w->n; i++) {
		if (w->p[i] >= 0x80)
			return;
		w->key[i] = (char)w->p[i];
	}
	w->key[i] = '\0';
	w->haskey = 1;
	n = nick_lookup(w->key, w->canon, NICK_MAX);
	w->ncanon = n < NICK_MAX ? n : NICK_MAX;
}

static double
word_sim(struct word *x, struct word *y)
{
	double s;

	if (x->n == y->n && memcmp(x->p, y->p, x->n * sizeof(*x->p)) == 0)
		return 1.0;
	if (x->n == 1 || y->n == 1)
		return x->p[0] == y->p[0] ? 0.8 : 0.0;
	s = crm_match_jw(x->p, x->n, y->p, y->n);
	if (s >= 0.95)
		return s;
	if (!x->looked)
		word_look(x);
	if (!y->looked)
		word_look(y);
	if (x->haskey && y->haskey && (x->ncanon > 0 || y->ncanon > 0) &&
	    nick_same_keys(x->key, x->canon, x->ncanon, y->key, y->canon,
	    y->ncanon))
		return 0.95;
	return s;
}

/* s without its spaces, the first CRM_MATCH_STACK code points of it. */
static size_t
squeeze(const uint32_t *s, size_t n, uint32_t *out)
{
	size_t i, k = 0;

	for (i = 0; i < n && k < CRM_MATCH_STACK; i++)
		if (s[i] != ' ')
			out[k++] = s[i];
	return k;
}

double
crm_match_name(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	struct word wa[NAME_WORDS], wb[NAME_WORDS], *x = wa, *y = wb;
	double wt[NAME_WORDS][NAME_WORDS], dp[1 << NAME_WORDS];
	double nd[1 << NAME_WORDS], best, s, cat;
	uint32_t sa[CRM_MATCH_STACK], sb[CRM_MATCH_STACK];
	size_t nx, ny, lx, ly, i, j, mask, nmask;

	nx = split_words(a, na, wa, &lx);
	ny = split_words(b, nb, wb, &ly);
	if (nx == 0 || ny == 0)
		return 0.0;
	/* Let y, the side the subsets run over, be the one with fewer words. */
	if (ny > nx) {
		x = wb;
		y = wa;
		i = nx;
		nx = ny;
		ny = i;
	}
	for (i = 0; i < nx; i++)
		for (j = 0; j < ny; j++)
			wt[i][j] = word_sim(&x[i], &y[j]) *
			    (double)(x[i].n + y[j].n);
	/* dp[mask]: the best total pairing the words so far with mask's. */
	nmask = (size_t)1 << ny;
	for (mask = 0; mask < nmask; mask++)
		dp[mask] = mask == 0 ? 0.0 : -1.0;
	for (i = 0; i < nx; i++) {
		memcpy(nd, dp, nmask * sizeof(*dp));
		for (mask = 0; mask < nmask; mask++) {
			if (dp[mask] < 0)
				continue;
			for (j = 0; j < ny; j++) {
				if (mask & ((size_t)1 << j))
					continue;
				s = dp[mask] + wt[i][j];
				if (s > nd[mask | (size_t)1 << j])
					nd[mask | (size_t)1 << j] = s;
			}
		}
		memcpy(dp, nd, nmask * sizeof(*dp));
	}
	best = 0.0;
	for (mask = 0; mask < nmask; mask++)
		if (dp[mask] > best)
			best = dp[mask];
	best /= (double)(lx + ly);
	if (nx != ny) {
		/* Words run together on one side: maryann, mary ann. */
		cat = crm_match_jw(sa, squeeze(a, na, sa), sb,
		    squeeze(b, nb, sb));
		if (cat > best)
			best = cat;
	}
	return best > 1.0 ? 1.0 : best;
}

double
crm_match_name_str(const char *a, const char *b)
{
	struct cpvec x, y;
	double r;

	cpvec_fold(&x, a);
	cpvec_fold(&y, b);
	r = crm_match_name(x.p, x.n, y.p, y.n);
	cpvec_free(&x);
	cpvec_free(&y);
	return r;
}

/* ---- Double Metaphone ---------------------------------------------- */

/*
 * The rules are Philips's, letter by letter; the comments name the words
 * each one is for.  The word is upper-case ASCII with C-cedilla written
 * 'c' and N-tilde 'n' (lower case: no rule mistakes them for C and N),
 * then five spaces, so that looking a little past the end is safe.
 */
#define DM_WORD 128

struct dm {
	char w[DM_WORD + 6];
	int len, last, slavo, max;
	char pri[CRM_MATCH_DM_MAX + 4], alt[CRM_MATCH_DM_MAX + 4];
	int np, na;
};

static char
dm_at(const struct dm *d, int pos)
{
	return pos < 0 || pos >= d->len + 5 ? '\0' : d->w[pos];
}

/* 1 if any of the NULL-terminated strings, all n long, is at pos. */
static int
dm_is(const struct dm *d, int pos, int n, ...)
{
	va_list ap;
	const char *s;
	int hit = 0;

	if (pos < 0 || pos + n > d->len + 5)
		return 0;
	va_start(ap, n);
	while (!hit && (s = va_arg(ap, const char *)) != NULL)
		hit = memcmp(d->w + pos, s, (size_t)n) == 0;
	va_end(ap);
	return hit;
}

static int
dm_vowel(const struct dm *d, int pos)
{
	if (pos < 0 || pos >= d->len)
		return 0;
	return strchr("AEIOUY", d->w[pos]) != NULL;
}

static void
dm_cat(char *code, int *n, const char *s)
{
	while (*s != '\0' && *n < CRM_MATCH_DM_MAX + 2)
		code[(*n)++] = *s++;
	code[*n] = '\0';
}

/* Add main to the primary and alt to the alternate (main if alt is NULL). */
static void
dm_add(struct dm *d, const char *main, const char *alt)
{
	dm_cat(d->pri, &d->np, main);
	dm_cat(d->alt, &d->na, alt != NULL ? alt : main);
}

/* Latin letters that have no decomposition to a base letter. */
static const char *
dm_translit(uint32_t c)
{
	switch (c) {
	case 0xe6: return "AE";	/* ae */
	case 0xf0: return "D";	/* eth */
	case 0xf8: return "O";	/* o with stroke */
	case 0xfe: return "TH";	/* thorn */
	case 0x111: return "D";	/* d with stroke */
	case 0x131: return "I";	/* dotless i */
	case 0x142: return "L";	/* l with stroke */
	case 0x153: return "OE";	/* oe */
	}
	return NULL;
}

static void
dm_load(struct dm *d, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *e;
	utf8proc_int32_t f[FOLD1_MAX];
	const char *t;
	uint32_t c;
	int n = 0, brk = 0, k, i;

	e = p + strlen(s);
	while (p < e && n < DM_WORD) {
		c = *p < 0x80 ? *p++ : dec_multi(&p, e);
		if (c == 0xc7 || c == 0xe7 || c == 0xd1 || c == 0xf1) {
			/* Keep C-cedilla and N-tilde apart from C and N. */
			if (brk && n > 0)
				d->w[n++] = ' ';
			brk = 0;
			if (n < DM_WORD)
				d->w[n++] = (c == 0xc7 || c == 0xe7) ? 'c' : 'n';
			continue;
		}
		k = fold1(c, f);
		for (i = 0; i < k && n < DM_WORD; i++) {
			c = (uint32_t)f[i];
			if (c >= 'a' && c <= 'z')
				t = NULL;
			else if ((t = dm_translit(c)) == NULL) {
				if (fold_class(c) == F_BREAK)
					brk = 1;
				continue;	/* digits, other scripts */
			}
			if (brk && n > 0)
				d->w[n++] = ' ';
			brk = 0;
			if (t == NULL && n < DM_WORD)
				d->w[n++] = (char)(c - 32);
			for (; t != NULL && *t != '\0' && n < DM_WORD; t++)
				d->w[n++] = *t;
		}
	}
	while (n > 0 && d->w[n - 1] == ' ')
		n--;
	d->len = n;
	d->last = n - 1;
	memcpy(d->w + n, "     ", 6);
	d->slavo = strchr(d->w, 'W') != NULL || strchr(d->w, 'K') != NULL ||
	    strstr(d->w, "CZ") != NULL || strstr(d->w, "WITZ") != NULL;
}

/* C, at cur; returns how far to move on. */
static int
dm_c(struct dm *d, int cur)
{
	/* Germanic "ach": bacher, macher; not bach-i, bach-e. */
	if (cur > 1 && !dm_vowel(d, cur - 2) && dm_is(d, cur - 1, 3, "ACH",
	    NULL) && dm_at(d, cur + 2) != 'I' && (dm_at(d, cur + 2) != 'E' ||
	    dm_is(d, cur - 2, 6, "BACHER", "MACHER", NULL))) {
		dm_add(d, "K", NULL);
		return 2;
	}
	if (cur == 0 && dm_is(d, cur, 6, "CAESAR", NULL)) {
		dm_add(d, "S", NULL);
		return 2;
	}
	if (dm_is(d, cur, 4, "CHIA", NULL)) {	/* chianti */
		dm_add(d, "K", NULL);
		return 2;
	}
	if (dm_is(d, cur, 2, "CH", NULL)) {
		if (cur > 0 && dm_is(d, cur, 4, "CHAE", NULL)) {  /* michael */
			dm_add(d, "K", "X");
			return 2;
		}
		/* Greek roots: chemistry, chorus; not chore. */
		if (cur == 0 && (dm_is(d, cur + 1, 5, "HARAC", "HARIS", NULL) ||
		    dm_is(d, cur + 1, 3, "HOR", "HYM", "HIA", "HEM", NULL)) &&
		    !dm_is(d, 0, 5, "CHORE", NULL)) {
			dm_add(d, "K", NULL);
			return 2;
		}
		/* Germanic, Greek, or "ch" for "kh": orchestra, architect. */
		if (dm_is(d, 0, 4, "VAN ", "VON ", NULL) ||
		    dm_is(d, 0, 3, "SCH", NULL) ||
		    dm_is(d, cur - 2, 6, "ORCHES", "ARCHIT", "ORCHID", NULL) ||
		    dm_is(d, cur + 2, 1, "T", "S", NULL) ||
		    ((dm_is(d, cur - 1, 1, "A", "O", "U", "E", NULL) ||
		    cur == 0) && dm_is(d, cur + 2, 1, "L", "R", "N", "M", "B",
		    "H", "F", "V", "W", " ", NULL)))
			dm_add(d, "K", NULL);
		else if (cur > 0 && dm_is(d, 0, 2, "MC", NULL))
			dm_add(d, "K", NULL);
		else if (cur > 0)
			dm_add(d, "X", "K");
		else
			dm_add(d, "X", NULL);
		return 2;
	}
	if (dm_is(d, cur, 2, "CZ", NULL) && !dm_is(d, cur - 2, 4, "WICZ",
	    NULL)) {	/* czerny */
		dm_add(d, "S", "X");
		return 2;
	}
	if (dm_is(d, cur + 1, 3, "CIA", NULL)) {	/* focaccia */
		dm_add(d, "X", NULL);
		return 3;
	}
	/* Double C, but not McClellan. */
	if (dm_is(d, cur, 2, "CC", NULL) && !(cur == 1 && dm_at(d, 0) == 'M')) {
		/* bellocchio, but not bacchus */
		if (dm_is(d, cur + 2, 1, "I", "E", "H", NULL) &&
		    !dm_is(d, cur + 2, 2, "HU", NULL)) {
			/* accident, accede, succeed; else bacci, bertucci */
			if ((cur == 1 && dm_at(d, cur - 1) == 'A') ||
			    dm_is(d, cur - 1, 5, "UCCEE", "UCCES", NULL))
				dm_add(d, "KS", NULL);
			else
				dm_add(d, "X", NULL);
			return 3;
		}
		dm_add(d, "K", NULL);	/* Pierce's rule */
		return 2;
	}
	if (dm_is(d, cur, 2, "CK", "CG", "CQ", NULL)) {
		dm_add(d, "K", NULL);
		return 2;
	}
	if (dm_is(d, cur, 2, "CI", "CE", "CY", NULL)) {
		/* Italian or English */
		if (dm_is(d, cur, 3, "CIO", "CIE", "CIA", NULL))
			dm_add(d, "S", "X");
		else
			dm_add(d, "S", NULL);
		return 2;
	}
	dm_add(d, "K", NULL);
	if (dm_is(d, cur + 1, 2, " C", " Q", " G", NULL))
		return 3;	/* mac caffrey, mac gregor */
	if (dm_is(d, cur + 1, 1, "C", "K", "Q", NULL) &&
	    !dm_is(d, cur + 1, 2, "CE", "CI", NULL))
		return 2;
	return 1;
}

static int
dm_g(struct dm *d, int cur)
{
	if (dm_at(d, cur + 1) == 'H') {
		if (cur > 0 && !dm_vowel(d, cur - 1)) {
			dm_add(d, "K", NULL);
			return 2;
		}
		if (cur == 0) {		/* ghislane, ghiradelli */
			dm_add(d, dm_at(d, cur + 2) == 'I' ? "J" : "K", NULL);
			return 2;
		}
		/* Parker's rule, with refinements: hugh */
		if ((cur > 1 && dm_is(d, cur - 2, 1, "B", "H", "D", NULL)) ||
		    (cur > 2 && dm_is(d, cur - 3, 1, "B", "H", "D", NULL)) ||
		    (cur > 3 && dm_is(d, cur - 4, 1, "B", "H", NULL)))
			return 2;
		/* laugh, McLaughlin, cough, gough, rough, tough */
		if (cur > 2 && dm_at(d, cur - 1) == 'U' && dm_is(d, cur - 3, 1,
		    "C", "G", "L", "R", "T", NULL))
			dm_add(d, "F", NULL);
		else if (cur > 0 && dm_at(d, cur - 1) != 'I')
			dm_add(d, "K", NULL);
		return 2;
	}
	if (dm_at(d, cur + 1) == 'N') {
		if (cur == 1 && dm_vowel(d, 0) && !d->slavo)
			dm_add(d, "KN", "N");
		else if (!dm_is(d, cur + 2, 2, "EY", NULL) &&
		    dm_at(d, cur + 1) != 'Y' && !d->slavo)	/* not cagney */
			dm_add(d, "N", "KN");
		else
			dm_add(d, "KN", NULL);
		return 2;
	}
	if (dm_is(d, cur + 1, 2, "LI", NULL) && !d->slavo) {	/* tagliaro */
		dm_add(d, "KL", "L");
		return 2;
	}
	/* -ges-, -gep-, -gel-, -gie- at the beginning */
	if (cur == 0 && (dm_at(d, cur + 1) == 'Y' || dm_is(d, cur + 1, 2,
	    "ES", "EP", "EB", "EL", "EY", "IB", "IL", "IN", "IE", "EI", "ER",
	    NULL))) {
		dm_add(d, "K", "J");
		return 2;
	}
	/* -ger-, -gy- */
	if ((dm_is(d, cur + 1, 2, "ER", NULL) || dm_at(d, cur + 1) == 'Y') &&
	    !dm_is(d, 0, 6, "DANGER", "RANGER", "MANGER", NULL) &&
	    !dm_is(d, cur - 1, 1, "E", "I", NULL) &&
	    !dm_is(d, cur - 1, 3, "RGY", "OGY", NULL)) {
		dm_add(d, "K", "J");
		return 2;
	}
	/* Italian: biaggi */
	if (dm_is(d, cur + 1, 1, "E", "I", "Y", NULL) ||
	    dm_is(d, cur - 1, 4, "AGGI", "OGGI", NULL)) {
		if (dm_is(d, 0, 4, "VAN ", "VON ", NULL) ||
		    dm_is(d, 0, 3, "SCH", NULL) ||
		    dm_is(d, cur + 1, 2, "ET", NULL))	/* obviously Germanic */
			dm_add(d, "K", NULL);
		else if (dm_is(d, cur + 1, 4, "IER ", NULL))	/* French */
			dm_add(d, "J", NULL);
		else
			dm_add(d, "J", "K");
		return 2;
	}
	dm_add(d, "K", NULL);
	return dm_at(d, cur + 1) == 'G' ? 2 : 1;
}

static int
dm_j(struct dm *d, int cur)
{
	/* Spanish: jose, san jacinto */
	if (dm_is(d, cur, 4, "JOSE", NULL) || dm_is(d, 0, 4, "SAN ", NULL)) {
		if ((cur == 0 && dm_at(d, cur + 4) == ' ') ||
		    dm_is(d, 0, 4, "SAN ", NULL))
			dm_add(d, "H", NULL);
		else
			dm_add(d, "J", "H");
		return 1;
	}
	if (cur == 0)	/* Yankelovich / Jankelowicz */
		dm_add(d, "J", "A");
	else if (dm_vowel(d, cur - 1) && !d->slavo &&
	    (dm_at(d, cur + 1) == 'A' || dm_at(d, cur + 1) == 'O'))
		dm_add(d, "J", "H");	/* Spanish: bajador */
	else if (cur == d->last)
		dm_add(d, "J", "");
	else if (!dm_is(d, cur + 1, 1, "L", "T", "K", "S", "N", "M", "B", "Z",
	    NULL) && !dm_is(d, cur - 1, 1, "S", "K", "L", NULL))
		dm_add(d, "J", NULL);
	return dm_at(d, cur + 1) == 'J' ? 2 : 1;
}

static int
dm_s(struct dm *d, int cur)
{
	/* island, isle, carlisle, carlysle */
	if (dm_is(d, cur - 1, 3, "ISL", "YSL", NULL))
		return 1;
	if (cur == 0 && dm_is(d, cur, 5, "SUGAR", NULL)) {
		dm_add(d, "X", "S");
		return 1;
	}
	if (dm_is(d, cur, 2, "SH", NULL)) {
		/* Germanic */
		if (dm_is(d, cur + 1, 4, "HEIM", "HOEK", "HOLM", "HOLZ", NULL))
			dm_add(d, "S", NULL);
		else
			dm_add(d, "X", NULL);
		return 2;
	}
	/* Italian and Armenian */
	if (dm_is(d, cur, 3, "SIO", "SIA", NULL) ||
	    dm_is(d, cur, 4, "SIAN", NULL)) {
		dm_add(d, "S", d->slavo ? "S" : "X");
		return 3;
	}
	/*
	 * German and anglicisations, smith/schmidt, snider/schneider; also
	 * -sz- in Slavic languages (though Hungarian says s).
	 */
	if ((cur == 0 && dm_is(d, cur + 1, 1, "M", "N", "L", "W", NULL)) ||
	    dm_is(d, cur + 1, 1, "Z", NULL)) {
		dm_add(d, "S", "X");
		return dm_is(d, cur + 1, 1, "Z", NULL) ? 2 : 1;
	}
	if (dm_is(d, cur, 2, "SC", NULL)) {
		if (dm_at(d, cur + 2) == 'H') {		/* Schlesinger's rule */
			/* Dutch: school, schooner; schermerhorn, schenker */
			if (dm_is(d, cur + 3, 2, "OO", "ER", "EN", "UY", "ED",
			    "EM", NULL)) {
				if (dm_is(d, cur + 3, 2, "ER", "EN", NULL))
					dm_add(d, "X", "SK");
				else
					dm_add(d, "SK", NULL);
				return 3;
			}
			if (cur == 0 && !dm_vowel(d, 3) && dm_at(d, 3) != 'W')
				dm_add(d, "X", "S");
			else
				dm_add(d, "X", NULL);
			return 3;
		}
		if (dm_is(d, cur + 2, 1, "I", "E", "Y", NULL))
			dm_add(d, "S", NULL);
		else
			dm_add(d, "SK", NULL);
		return 3;
	}
	/* French: resnais, artois */
	if (cur == d->last && dm_is(d, cur - 2, 2, "AI", "OI", NULL))
		dm_add(d, "", "S");
	else
		dm_add(d, "S", NULL);
	return dm_is(d, cur + 1, 1, "S", "Z", NULL) ? 2 : 1;
}

static int
dm_t(struct dm *d, int cur)
{
	if (dm_is(d, cur, 4, "TION", NULL)) {
		dm_add(d, "X", NULL);
		return 3;
	}
	if (dm_is(d, cur, 3, "TIA", "TCH", NULL)) {
		dm_add(d, "X", NULL);
		return 3;
	}
	if (dm_is(d, cur, 2, "TH", NULL) || dm_is(d, cur, 3, "TTH", NULL)) {
		/* thomas, thames, or Germanic */
		if (dm_is(d, cur + 2, 2, "OM", "AM", NULL) ||
		    dm_is(d, 0, 4, "VAN ", "VON ", NULL) ||
		    dm_is(d, 0, 3, "SCH", NULL))
			dm_add(d, "T", NULL);
		else
			dm_add(d, "0", "T");
		return 2;
	}
	dm_add(d, "T", NULL);
	return dm_is(d, cur + 1, 1, "T", "D", NULL) ? 2 : 1;
}

static int
dm_w(struct dm *d, int cur)
{
	if (dm_is(d, cur, 2, "WR", NULL)) {
		dm_add(d, "R", NULL);
		return 2;
	}
	if (cur == 0 && (dm_vowel(d, cur + 1) || dm_is(d, cur, 2, "WH",
	    NULL))) {
		/* Wasserman as Vasserman; Uomo as Womo */
		if (dm_vowel(d, cur + 1))
			dm_add(d, "A", "F");
		else
			dm_add(d, "A", NULL);
	}
	/* Arnow as Arnoff */
	if ((cur == d->last && dm_vowel(d, cur - 1)) ||
	    dm_is(d, cur - 1, 5, "EWSKI", "EWSKY", "OWSKI", "OWSKY", NULL) ||
	    dm_is(d, 0, 3, "SCH", NULL)) {
		dm_add(d, "", "F");
		return 1;
	}
	if (dm_is(d, cur, 4, "WICZ", "WITZ", NULL)) {	/* Polish: filipowicz */
		dm_add(d, "TS", "FX");
		return 4;
	}
	return 1;
}

/* The letters whose rules fit in a line or two. */
static int
dm_other(struct dm *d, int cur)
{
	char c = dm_at(d, cur), next = dm_at(d, cur + 1);

	switch (c) {
	case 'A': case 'E': case 'I': case 'O': case 'U': case 'Y':
		if (cur == 0)
			dm_add(d, "A", NULL);	/* initial vowels */
		return 1;
	case 'B':
		dm_add(d, "P", NULL);
		return next == 'B' ? 2 : 1;
	case 'c':	/* C-cedilla */
		dm_add(d, "S", NULL);
		return 1;
	case 'D':
		if (dm_is(d, cur, 2, "DG", NULL)) {
			if (dm_is(d, cur + 2, 1, "I", "E", "Y", NULL)) {
				dm_add(d, "J", NULL);	/* edge */
				return 3;
			}
			dm_add(d, "TK", NULL);		/* edgar */
			return 2;
		}
		dm_add(d, "T", NULL);
		return dm_is(d, cur, 2, "DT", "DD", NULL) ? 2 : 1;
	case 'F':
		dm_add(d, "F", NULL);
		return next == 'F' ? 2 : 1;
	case 'H':
		/* Only first, or between vowels, and before a vowel. */
		if ((cur == 0 || dm_vowel(d, cur - 1)) && dm_vowel(d, cur + 1)) {
			dm_add(d, "H", NULL);
			return 2;
		}
		return 1;
	case 'K':
		dm_add(d, "K", NULL);
		return next == 'K' ? 2 : 1;
	case 'L':
		if (next == 'L') {
			/* Spanish: cabrillo, gallegos */
			if ((cur == d->len - 3 && dm_is(d, cur - 1, 4, "ILLO",
			    "ILLA", "ALLE", NULL)) || ((dm_is(d, d->last - 1, 2,
			    "AS", "OS", NULL) || dm_is(d, d->last, 1, "A", "O",
			    NULL)) && dm_is(d, cur - 1, 4, "ALLE", NULL))) {
				dm_add(d, "L", "");
				return 2;
			}
			dm_add(d, "L", NULL);
			return 2;
		}
		dm_add(d, "L", NULL);
		return 1;
	case 'M':
		dm_add(d, "M", NULL);
		/* dumb, thumb */
		if ((dm_is(d, cur - 1, 3, "UMB", NULL) && (cur + 1 == d->last ||
		    dm_is(d, cur + 2, 2, "ER", NULL))) || next == 'M')
			return 2;
		return 1;
	case 'N':
		dm_add(d, "N", NULL);
		return next == 'N' ? 2 : 1;
	case 'n':	/* N-tilde */
		dm_add(d, "N", NULL);
		return 1;
	case 'P':
		if (next == 'H') {
			dm_add(d, "F", NULL);
			return 2;
		}
		dm_add(d, "P", NULL);	/* campbell, raspberry */
		return dm_is(d, cur + 1, 1, "P", "B", NULL) ? 2 : 1;
	case 'Q':
		dm_add(d, "K", NULL);
		return next == 'Q' ? 2 : 1;
	case 'R':
		/* French: rogier, but not hochmeier */
		if (cur == d->last && !d->slavo && dm_is(d, cur - 2, 2, "IE",
		    NULL) && !dm_is(d, cur - 4, 2, "ME", "MA", NULL))
			dm_add(d, "", "R");
		else
			dm_add(d, "R", NULL);
		return next == 'R' ? 2 : 1;
	case 'V':
		dm_add(d, "F", NULL);
		return next == 'V' ? 2 : 1;
	case 'X':
		/* French: breaux */
		if (!(cur == d->last && (dm_is(d, cur - 3, 3, "IAU", "EAU",
		    NULL) || dm_is(d, cur - 2, 2, "AU", "OU", NULL))))
			dm_add(d, "KS", NULL);
		return dm_is(d, cur + 1, 1, "C", "X", NULL) ? 2 : 1;
	case 'Z':
		if (next == 'H') {	/* Chinese pinyin: zhao */
			dm_add(d, "J", NULL);
			return 2;
		}
		if (dm_is(d, cur + 1, 2, "ZO", "ZI", "ZA", NULL) ||
		    (d->slavo && cur > 0 && dm_at(d, cur - 1) != 'T'))
			dm_add(d, "S", "TS");
		else
			dm_add(d, "S", NULL);
		return next == 'Z' ? 2 : 1;
	}
	return 1;
}

void
crm_match_dmetaphone(const char *s, int maxlen,
    char primary[CRM_MATCH_DM_MAX + 1], char alternate[CRM_MATCH_DM_MAX + 1])
{
	struct dm d;
	int cur = 0;

	memset(&d, 0, sizeof(d));
	d.max = maxlen < 1 ? 1 : maxlen > CRM_MATCH_DM_MAX ? CRM_MATCH_DM_MAX :
	    maxlen;
	dm_load(&d, s);
	if (dm_is(&d, 0, 2, "GN", "KN", "PN", "WR", "PS", NULL))
		cur = 1;	/* silent first letter */
	if (dm_at(&d, 0) == 'X') {	/* Xavier */
		dm_add(&d, "S", NULL);
		cur = 1;
	}
	while ((d.np < d.max || d.na < d.max) && cur < d.len) {
		switch (d.w[cur]) {
		case 'C':
			cur += dm_c(&d, cur);
			break;
		case 'G':
			cur += dm_g(&d, cur);
			break;
		case 'J':
			cur += dm_j(&d, cur);
			break;
		case 'S':
			cur += dm_s(&d, cur);
			break;
		case 'T':
			cur += dm_t(&d, cur);
			break;
		case 'W':
			cur += dm_w(&d, cur);
			break;
		default:
			cur += dm_other(&d, cur);
			break;
		}
	}
	d.pri[d.np < d.max ? d.np : d.max] = '\0';
	d.alt[d.na < d.max ? d.na : d.max] = '\0';
	memcpy(primary, d.pri, CRM_MATCH_DM_MAX + 1);
	memcpy(alternate, d.alt, CRM_MATCH_DM_MAX + 1);
	primary[CRM_MATCH_DM_MAX] = alternate[CRM_MATCH_DM_MAX] = '\0';
}

/* ---- keys of record linkage ---------------------------------------- */

static size_t
key_decode(const char *s, size_t n, uint32_t *cp)
{
	size_t k = crm_match_decode(s, n, cp, CRM_MATCH_KEY_MAX);

	return k > CRM_MATCH_KEY_MAX ? CRM_MATCH_KEY_MAX : k;
}

size_t
crm_match_osa_utf8(const char *a, size_t na, const char *b, size_t nb)
{
	uint32_t x[CRM_MATCH_KEY_MAX], y[CRM_MATCH_KEY_MAX];
	size_t nx = key_decode(a, na, x), ny = key_decode(b, nb, y);

	return crm_match_osa(x, nx, y, ny);
}

size_t
crm_match_common_bytes(const char *a, size_t na, const char *b, size_t nb)
{
	/* Counts, all 0 between calls (cheaper than clearing 256 bytes). */
	static __thread unsigned char cnt[256];
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;
	size_t i, m = 0;

	for (i = 0; i < na; i++)
		if (cnt[x[i]] < 255)
			cnt[x[i]]++;
	for (i = 0; i < nb; i++)
		if (cnt[y[i]] > 0) {
			cnt[y[i]]--;
			m++;
		}
	for (i = 0; i < na; i++)
		cnt[x[i]] = 0;
	return m;
}

size_t
crm_match_ncp(const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xc0) != 0x80;
	return k;
}

int
crm_match_one_edit(const char *a, size_t na, const char *b, size_t nb)
{
	size_t i;

	if (na > nb + 1 || nb > na + 1)
		return 0;
	for (i = 0; i < na && i < nb; i++)
		if (((unsigned char)a[i] | (unsigned char)b[i]) & 0x80)
			return crm_match_osa_utf8(a, na, b, nb) <= 1;
		else if (a[i] != b[i])
			break;
	if (na == nb) {
		if (i == na)
			return 1;
		if (memcmp(a + i + 1, b + i + 1, na - i - 1) == 0)
			return 1;
		return i + 1 < na && a[i] == b[i + 1] && a[i + 1] == b[i] &&
		    memcmp(a + i + 2, b + i + 2, na - i - 2) == 0;
	}
	if (na > nb)
		return memcmp(a + i + 1, b + i, nb - i) == 0;
	return memcmp(a + i, b + i + 1, na - i) == 0;
}

double
crm_match_words_sim(const char *a, size_t na, const char *b, size_t nb)
{
	uint32_t x[CRM_MATCH_KEY_MAX], y[CRM_MATCH_KEY_MAX];
	size_t nx = key_decode(a, na, x), ny = key_decode(b, nb, y);

	if (memchr(a, ' ', na) == NULL && memchr(b, ' ', nb) == NULL)
		return crm_match_jw(x, nx, y, ny);
	return crm_match_name(x, nx, y, ny);
}

size_t
crm_match_char1(const char *s)
{
	size_t n = 1;

	while (s[n] && ((unsigned char)s[n] & 0xc0) == 0x80)
		n++;
	return n;
}
