#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#include "match.h"
#include "match-int.h"

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
uint32_t
match_dec_multi(const unsigned char **pp, const unsigned char *e)
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
			c = match_dec_multi(&p, e);
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

/* What folding does with a code point that is already decomposed. */
int
match_fold_class(uint32_t c)
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
int
match_fold1(uint32_t c, utf8proc_int32_t *d)
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
		k = match_fold1(match_dec_multi(&p, e), d);
		for (i = 0; i < k; i++) {
			c = (uint32_t)d[i];
			if ((cls = match_fold_class(c)) == F_BREAK)
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
	n = match_nick_lookup(w->key, w->canon, NICK_MAX);
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
	    match_nick_same_keys(x->key, x->canon, x->ncanon, y->key, y->canon,
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
