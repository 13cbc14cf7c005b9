#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "norm.h"

#include "phone-int.h"
#include "phone.h"

const char crm_phone_sms_sql[] =
    "phone_type IN ('mobile', 'fixed_line_or_mobile')";

/*
 * The patterns of the metadata use digits, [classes], \d, (?:...) and
 * capturing (...) groups, | , ?, {n}, {n,m} and a final $; they are
 * compiled, on first use, to nodes matched by backtracking in the order
 * ICU and RE2 would (leftmost alternative first, greedy quantifiers), so
 * that a prefix match ("lookingAt") finds what libphonenumber finds.
 */
enum { RX_SET, RX_GROUP, RX_ALT, RX_END };

struct rxnode {
	unsigned char kind, min, max, cap;
	unsigned char nullable;	/* RX_ALT: its sequence can match "" */
	unsigned short set;	/* RX_SET: bit d for digit d; RX_ALT: the
				   digits its sequence can begin with */
	short next;		/* next in the sequence; RX_ALT: its first */
	short alt;		/* RX_GROUP: first RX_ALT; RX_ALT: the next */
};

struct rx {
	struct rxnode *n;
	int nn, cap, ncap;
};

#define RX_MAXNODES 8192
#define RX_MAXCAP 4

struct rxparse {
	const char *p;
	struct rx *rx;
	int ncap, bad;
};

static int
rx_new(struct rxparse *ps, int kind)
{
	struct rx *rx = ps->rx;

	if (rx->nn == rx->cap) {
		struct rxnode *n;
		int cap = rx->cap ? rx->cap * 2 : 32;

		if (cap > RX_MAXNODES ||
		    (n = realloc(rx->n, (size_t)cap * sizeof(*n))) == NULL) {
			ps->bad = 1;
			return -1;
		}
		rx->n = n;
		rx->cap = cap;
	}
	memset(&rx->n[rx->nn], 0, sizeof(rx->n[0]));
	rx->n[rx->nn].kind = (unsigned char)kind;
	rx->n[rx->nn].min = rx->n[rx->nn].max = 1;
	rx->n[rx->nn].next = rx->n[rx->nn].alt = -1;
	return rx->nn++;
}

static int rx_alts(struct rxparse *ps);

static int
rx_num(struct rxparse *ps)
{
	int v = 0;

	if (!isdigit((unsigned char)*ps->p)) {
		ps->bad = 1;
		return 0;
	}
	while (isdigit((unsigned char)*ps->p) && v < 1000)
		v = v * 10 + (*ps->p++ - '0');
	return v > 255 ? 255 : v;
}

/* One element and its quantifier; -1 at the end of a sequence. */
static int
rx_elem(struct rxparse *ps)
{
	int i = -1;
	unsigned set = 0;

	switch (*ps->p) {
	case '\0': case '|': case ')':
		return -1;
	case '$':
		ps->p++;
		return rx_new(ps, RX_END);
	case '(': {
		int cap = 0, a;

		ps->p++;
		if (ps->p[0] == '?' && ps->p[1] == ':')
			ps->p += 2;
		else if (++ps->ncap < RX_MAXCAP)
			cap = ps->ncap;
		if ((i = rx_new(ps, RX_GROUP)) < 0)
			return -1;
		a = rx_alts(ps);
		if (*ps->p != ')') {
			ps->bad = 1;
			return -1;
		}
		ps->p++;
		ps->rx->n[i].alt = (short)a;
		ps->rx->n[i].cap = (unsigned char)cap;
		break;
	}
	case '[':
		ps->p++;
		while (*ps->p != ']') {
			if (ps->p[0] == '\\' && ps->p[1] == 'd') {
				set |= 0x3ff;
				ps->p += 2;
			} else if (isdigit((unsigned char)ps->p[0]) &&
			    ps->p[1] == '-' && isdigit((unsigned char)ps->p[2])) {
				for (int c = ps->p[0]; c <= ps->p[2]; c++)
					set |= 1u << (c - '0');
				ps->p += 3;
			} else if (isdigit((unsigned char)ps->p[0])) {
				set |= 1u << (ps->p[0] - '0');
				ps->p++;
			} else {
				ps->bad = 1;
				return -1;
			}
		}
		ps->p++;
		goto set;
	case '\\':
		if (ps->p[1] != 'd') {
			ps->bad = 1;
			return -1;
		}
		ps->p += 2;
		set = 0x3ff;
		goto set;
	default:
		if (!isdigit((unsigned char)*ps->p)) {
			ps->bad = 1;
			return -1;
		}
		set = 1u << (*ps->p++ - '0');
	set:
		if ((i = rx_new(ps, RX_SET)) < 0)
			return -1;
		ps->rx->n[i].set = (unsigned short)set;
	}
	/* The quantifier. */
	if (*ps->p == '?') {
		ps->p++;
		ps->rx->n[i].min = 0;
	} else if (*ps->p == '*' || *ps->p == '+') {
		ps->rx->n[i].min = *ps->p == '+';
		ps->rx->n[i].max = 255;
		ps->p++;
	} else if (*ps->p == '{') {
		int lo, hi;

		ps->p++;
		lo = hi = rx_num(ps);
		if (*ps->p == ',') {
			ps->p++;
			hi = *ps->p == '}' ? 255 : rx_num(ps);
		}
		if (*ps->p != '}' || hi < lo) {
			ps->bad = 1;
			return -1;
		}
		ps->p++;
		ps->rx->n[i].min = (unsigned char)lo;
		ps->rx->n[i].max = (unsigned char)hi;
	}
	return i;
}

/* A sequence of elements: its first node, -1 if empty. */
static int
rx_seq(struct rxparse *ps)
{
	int head = -1, last = -1, e;

	while (!ps->bad && (e = rx_elem(ps)) >= 0) {
		if (last < 0)
			head = e;
		else
			ps->rx->n[last].next = (short)e;
		last = e;
	}
	return head;
}

/* Alternatives: the first RX_ALT node. */
static int
rx_alts(struct rxparse *ps)
{
	int first = -1, last = -1;

	for (;;) {
		int a = rx_new(ps, RX_ALT), s;

		if (a < 0)
			return -1;
		s = rx_seq(ps);
		ps->rx->n[a].next = (short)s;
		if (last < 0)
			first = a;
		else
			ps->rx->n[last].alt = (short)a;
		last = a;
		if (ps->bad || *ps->p != '|')
			break;
		ps->p++;
	}
	return first;
}

/*
 * The digits the sequence from node i can begin with, and whether it can
 * match nothing, so that matching skips the alternatives that cannot
 * start at a digit (most of them: "1(?:...)|2(?:...)|...").  memo[i]
 * holds bit 15 when done, bit 14 for nullable, the set below.
 */
static unsigned
rx_first(struct rx *rx, int i, unsigned short *memo)
{
	const struct rxnode *n;
	unsigned f = 0, rest;
	int a, nullable = 0;

	if (i < 0)
		return 1u << 14;
	if (memo[i] & 0x8000)
		return memo[i] & 0x7fff;
	n = &rx->n[i];
	switch (n->kind) {
	case RX_SET:
		f = n->set;
		nullable = n->min == 0;
		break;
	case RX_END:
		nullable = 1;
		break;
	case RX_GROUP:
		nullable = n->min == 0;
		for (a = n->alt; a >= 0; a = rx->n[a].alt) {
			unsigned fa = rx_first(rx, rx->n[a].next, memo);

			rx->n[a].set = (unsigned short)(fa & 0x3ff);
			rx->n[a].nullable = (fa >> 14) & 1;
			f |= fa & 0x3ff;
			nullable |= (fa >> 14) & 1;
		}
		break;
	}
	if (nullable) {
		rest = rx_first(rx, n->next, memo);
		f |= rest & 0x3ff;
		nullable = (rest >> 14) & 1;
	}
	f |= (unsigned)nullable << 14;
	memo[i] = (unsigned short)(f | 0x8000);
	return f;
}

static struct rx *
rx_compile(const char *pat)
{
	struct rxparse ps = { pat, NULL, 0, 0 };
	struct rx *rx;
	int g;

	if ((rx = calloc(1, sizeof(*rx))) == NULL)
		return NULL;
	ps.rx = rx;
	/* Node 0 is the whole pattern, a group matched once. */
	if ((g = rx_new(&ps, RX_GROUP)) == 0)
		rx->n[0].alt = (short)rx_alts(&ps);
	if (ps.bad || *ps.p != '\0') {
		free(rx->n);
		free(rx);
		return NULL;
	}
	rx->ncap = ps.ncap;
	{
		unsigned short *memo = calloc((size_t)rx->nn, sizeof(*memo));
		int i;

		if (memo == NULL) {
			free(rx->n);
			free(rx);
			return NULL;
		}

		/* Every group, also those after a non-empty element. */
		for (i = 0; i < rx->nn; i++)
			if (rx->n[i].kind == RX_GROUP)
				rx_first(rx, i, memo);
		free(memo);
	}
	return rx;
}

struct rxm {
	const struct rxnode *n;
	const char *s;
	int len, prefix, end;
	int cap[RX_MAXCAP][2];
};

struct kont {
	int g, count, start;
	const struct kont *up;
};

static int m_seq(struct rxm *m, int i, int pos, const struct kont *k);

static int
m_grp(struct rxm *m, int g, int count, int pos, const struct kont *k)
{
	const struct rxnode *n = &m->n[g];

	if (count < n->max) {
		struct kont f = { g, count + 1, pos, k };
		int a;

		for (a = n->alt; a >= 0; a = m->n[a].alt) {
			const struct rxnode *an = &m->n[a];

			if (!an->nullable && (pos == m->len ||
			    !(an->set >> (m->s[pos] - '0') & 1)))
				continue;
			if (m_seq(m, an->next, pos, &f))
				return 1;
		}
	}
	if (count >= n->min)
		return m_seq(m, n->next, pos, k);
	return 0;
}

/* The end of a sequence: close the group k, or the whole match. */
static int
m_done(struct rxm *m, int pos, const struct kont *k)
{
	const struct rxnode *n;

	if (k == NULL) {
		if (m->prefix) {
			m->end = pos;
			return 1;
		}
		return pos == m->len;
	}
	n = &m->n[k->g];
	if (pos == k->start && k->count > n->min)
		return 0;	/* an empty turn of a loop */
	if (n->cap) {
		int old0 = m->cap[n->cap][0], old1 = m->cap[n->cap][1];

		m->cap[n->cap][0] = k->start;
		m->cap[n->cap][1] = pos;
		if (m_grp(m, k->g, k->count, pos, k->up))
			return 1;
		m->cap[n->cap][0] = old0;
		m->cap[n->cap][1] = old1;
		return 0;
	}
	return m_grp(m, k->g, k->count, pos, k->up);
}

static int
m_seq(struct rxm *m, int i, int pos, const struct kont *k)
{
	const struct rxnode *n;
	int r;

	if (i < 0)
		return m_done(m, pos, k);
	n = &m->n[i];
	switch (n->kind) {
	case RX_END:
		return pos == m->len && m_seq(m, n->next, pos, k);
	case RX_GROUP:
		return m_grp(m, i, 0, pos, k);
	default:
		for (r = 0; r < n->max && pos + r < m->len &&
		    (n->set >> (m->s[pos + r] - '0') & 1); r++)
			;
		for (; r >= n->min; r--)
			if (m_seq(m, n->next, pos + r, k))
				return 1;
		return 0;
	}
}

/* Match digits s[0..len) wholly, or (prefix) at the start: m->end. */
static int
rx_match(const struct rx *rx, const char *s, int len, int prefix,
    struct rxm *m)
{
	memset(m, 0, sizeof(*m));
	m->n = rx->n;
	m->s = s;
	m->len = len;
	m->prefix = prefix;
	m->end = -1;
	return m_grp(m, 0, 0, 0, NULL);
}

/* Compiled patterns, by meta and slot: descs, then these three. */
enum { SLOT_IDD = CRM_PD_N, SLOT_NPREFIX, SLOT_LEADING, NSLOT };

static struct rx **cache;

static const struct rx *
rx_get(size_t meta, int slot)
{
	const struct crm_phone_meta *md = &crm_phone_meta[meta];
	const char *pat;
	struct rx **c;

	if (cache == NULL &&
	    (cache = calloc(crm_phone_nmeta * NSLOT, sizeof(*cache))) == NULL)
		return NULL;
	c = &cache[meta * NSLOT + (size_t)slot];
	if (*c != NULL)
		return *c;
	pat = slot < CRM_PD_N ? md->desc[slot].pattern : slot == SLOT_IDD ?
	    md->idd : slot == SLOT_NPREFIX ? md->nprefix_parse : md->leading;
	if (pat == NULL || *pat == '\0')
		return NULL;
	return *c = rx_compile(pat);
}

static int
full(size_t meta, int slot, const char *s, int len)
{
	const struct rx *rx = rx_get(meta, slot);
	struct rxm m;

	return rx != NULL && rx_match(rx, s, len, 0, &m);
}

/* libphonenumber's IsNumberMatchingDesc. */
static int
matches_desc(size_t meta, int d, const char *nsn, int len)
{
	const struct crm_phone_desc *pd = &crm_phone_meta[meta].desc[d];

	if (pd->pattern == NULL)
		return 0;
	if (pd->has_lengths && (len >= 32 || !(pd->lengths >> len & 1)))
		return 0;
	return full(meta, d, nsn, len);
}

/* GetNumberTypeHelper. */
static enum crm_phone_type
type_of(size_t meta, const char *nsn, int len)
{
	static const struct {
		int d;
		enum crm_phone_type t;
	} order[] = {
		{ CRM_PD_PREMIUM_RATE, CRM_PHONE_PREMIUM_RATE },
		{ CRM_PD_TOLL_FREE, CRM_PHONE_TOLL_FREE },
		{ CRM_PD_SHARED_COST, CRM_PHONE_SHARED_COST },
		{ CRM_PD_VOIP, CRM_PHONE_VOIP },
		{ CRM_PD_PERSONAL, CRM_PHONE_PERSONAL },
		{ CRM_PD_PAGER, CRM_PHONE_PAGER },
		{ CRM_PD_UAN, CRM_PHONE_UAN },
		{ CRM_PD_VOICEMAIL, CRM_PHONE_VOICEMAIL },
	};
	const struct crm_phone_meta *md = &crm_phone_meta[meta];
	size_t i;

	if (!matches_desc(meta, CRM_PD_GENERAL, nsn, len))
		return CRM_PHONE_UNKNOWN;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (matches_desc(meta, order[i].d, nsn, len))
			return order[i].t;
	if (matches_desc(meta, CRM_PD_FIXED_LINE, nsn, len))
		return md->same_mobile_fixed ||
		    matches_desc(meta, CRM_PD_MOBILE, nsn, len) ?
		    CRM_PHONE_FIXED_OR_MOBILE : CRM_PHONE_FIXED_LINE;
	if (!md->same_mobile_fixed &&
	    matches_desc(meta, CRM_PD_MOBILE, nsn, len))
		return CRM_PHONE_MOBILE;
	return CRM_PHONE_UNKNOWN;
}

enum { LEN_POSSIBLE, LEN_LOCAL_ONLY, LEN_TOO_SHORT, LEN_TOO_LONG,
	LEN_INVALID };

/* TestNumberLength against the general description. */
static int
test_length(size_t meta, int len)
{
	const struct crm_phone_desc *g = &crm_phone_meta[meta].desc[0];
	int lo, hi;

	if (g->lengths == 0)
		return LEN_INVALID;
	if (len < 32 && (g->local >> len & 1))
		return LEN_LOCAL_ONLY;
	lo = __builtin_ctz(g->lengths);
	hi = 31 - __builtin_clz(g->lengths);
	if (len == lo)
		return LEN_POSSIBLE;
	if (len < lo)
		return LEN_TOO_SHORT;
	if (len > hi)
		return LEN_TOO_LONG;
	return g->lengths >> len & 1 ? LEN_POSSIBLE : LEN_INVALID;
}

#define NSN_MAX 40

/*
 * MaybeStripNationalPrefixAndCarrierCode on s (NUL-terminated digits,
 * room for NSN_MAX): 1 if it changed.
 */
static int
strip_national_prefix(size_t meta, char *s)
{
	const struct crm_phone_meta *md = &crm_phone_meta[meta];
	const struct rx *rx;
	struct rxm m;
	char out[NSN_MAX + 1];
	int len = (int)strlen(s), viable, g, n = 0;
	const char *t;

	if (len == 0 || (rx = rx_get(meta, SLOT_NPREFIX)) == NULL)
		return 0;
	viable = full(meta, CRM_PD_GENERAL, s, len);
	if (!rx_match(rx, s, len, 1, &m))
		return 0;
	/* The part a transform rule keeps: the second group if there are
	 * two (the first is a carrier code), else the first. */
	g = rx->ncap >= 2 ? 2 : 1;
	if (md->transform[0] != '\0' && rx->ncap >= 1 &&
	    m.cap[g][1] > m.cap[g][0]) {
		for (t = md->transform; *t != '\0' && n < NSN_MAX; t++) {
			if (*t == '$' && t[1] >= '1' && t[1] <= '3') {
				int c = t[1] - '0', k;

				t++;
				if (c >= RX_MAXCAP)
					continue;
				for (k = m.cap[c][0]; k < m.cap[c][1] &&
				    n < NSN_MAX; k++)
					out[n++] = s[k];
			} else
				out[n++] = *t;
		}
	}
	for (g = m.end; g < len && n < NSN_MAX; g++)
		out[n++] = s[g];
	out[n] = '\0';
	if (viable && !full(meta, CRM_PD_GENERAL, out, n))
		return 0;
	if (strcmp(out, s) == 0)
		return 0;
	memcpy(s, out, (size_t)n + 1);
	return 1;
}

static const struct crm_phone_cc *
find_cc(int cc)
{
	size_t lo = 0, hi = crm_phone_ncc;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (crm_phone_cc[mid].cc == cc)
			return &crm_phone_cc[mid];
		if (crm_phone_cc[mid].cc < cc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Regions by their two letters: index + 1 into crm_phone_meta, 0 none. */
static unsigned short region_idx[26 * 26];

static long
find_region(const char *region)
{
	static int ready;
	int a, b;

	if (region == NULL || region[0] == '\0' || region[1] == '\0' ||
	    region[2] != '\0')
		return -1;
	a = toupper((unsigned char)region[0]) - 'A';
	b = toupper((unsigned char)region[1]) - 'A';
	if (a < 0 || a >= 26 || b < 0 || b >= 26)
		return -1;
	if (!ready) {
		size_t i;

		for (i = 0; i < crm_phone_nmeta; i++) {
			const char *id = crm_phone_meta[i].id;

			if (isupper((unsigned char)id[0]) &&
			    isupper((unsigned char)id[1]) && id[2] == '\0')
				region_idx[(id[0] - 'A') * 26 + (id[1] - 'A')] =
				    (unsigned short)(i + 1);
		}
		ready = 1;
	}
	return (long)region_idx[a * 26 + b] - 1;
}

int
crm_phone_region_known(const char *region)
{
	return find_region(region) >= 0;
}

static const char *const type_names[CRM_PHONE_NTYPES] = {
	NULL, "fixed_line", "mobile", "fixed_line_or_mobile", "toll_free",
	"premium_rate", "shared_cost", "voip", "personal_number", "pager",
	"uan", "voicemail",
};

const char *
crm_phone_type_name(enum crm_phone_type t)
{
	return (unsigned)t < CRM_PHONE_NTYPES ? type_names[t] : NULL;
}

int
crm_phone_type_parse(const char *name)
{
	int i;

	for (i = 1; i < CRM_PHONE_NTYPES; i++)
		if (name != NULL && strcmp(name, type_names[i]) == 0)
			return i;
	return -1;
}

int
crm_phone_sms_capable(enum crm_phone_type t)
{
	return t == CRM_PHONE_MOBILE || t == CRM_PHONE_FIXED_OR_MOBILE;
}

static int
bad(struct crm_error *err, const char *in, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
bad(struct crm_error *err, const char *in, const char *fmt, ...)
{
	char q[CRM_QUOTE_MAX], why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return crm_error_set(err, CRM_EDATA, "invalid phone '%s': %s",
	    crm_quote(q, in, strlen(in)), why);
}

/* Case-insensitive: does s start with the ASCII word w? */
static size_t
word(const char *s, const char *w)
{
	size_t n = strlen(w);

	return strncasecmp(s, w, n) == 0 ? n : 0;
}

/*
 * Split an extension off the end of s[0..*len): "ext 12", "ext. 12",
 * "extension 12", "x12", "#12", ";ext=12".  Returns 0, or -1 if the
 * marker is followed by something other than 1 to 20 digits.
 */
static int
split_ext(const char *s, size_t *len, char ext[24])
{
	static const char *const marks[] = {
		";ext=", "extension", "extn", "ext", "x", "#",
	};
	size_t i, k, n;

	ext[0] = '\0';
	/* Most numbers have no letter, '#' or ';': nothing to look for. */
	for (i = 0; i < *len; i++)
		if (isalpha((unsigned char)s[i]) || s[i] == '#' || s[i] == ';')
			break;
	for (; i < *len; i++) {
		for (k = 0; k < sizeof(marks) / sizeof(marks[0]); k++)
			if ((n = word(s + i, marks[k])) > 0)
				break;
		if (k == sizeof(marks) / sizeof(marks[0]))
			continue;
		/* The number before it must have a digit. */
		{
			size_t j, d = 0, e = 0;
			const char *p = s + i + n;

			for (j = 0; j < i; j++)
				d += isdigit((unsigned char)s[j]) != 0;
			if (d == 0)
				return -1;
			while (*p == '.' || *p == ':' || *p == ' ' || *p == '\t')
				p++;
			while (p < s + *len && isdigit((unsigned char)*p)) {
				if (e >= 20)
					return -1;
				ext[e++] = *p++;
			}
			ext[e] = '\0';
			if (p < s + *len && *p == '#')
				p++;
			while (p < s + *len && (*p == ' ' || *p == '\t'))
				p++;
			if (e == 0 || p != s + *len)
				return -1;
			*len = i;
			while (*len > 0 && strchr(" \t,;", s[*len - 1]) != NULL)
				(*len)--;
			return 0;
		}
	}
	return 0;
}

/* A calling code (1 to 999) as digits; returns the length. */
static size_t
itoa_cc(int cc, char out[8])
{
	char t[8];
	size_t n = 0, i;

	do
		t[n++] = (char)('0' + cc % 10);
	while ((cc /= 10) > 0 && n < 7);
	for (i = 0; i < n; i++)
		out[i] = t[n - 1 - i];
	out[n] = '\0';
	return n;
}

static const char *
region_name(size_t meta)
{
	return strcmp(crm_phone_meta[meta].id, "001") == 0 ?
	    "non-geographic" : crm_phone_meta[meta].id;
}

int
crm_phone_parse(const char *in, const char *region, struct crm_phone *p,
    struct crm_error *err)
{
	const struct crm_phone_cc *ccr = NULL;
	char d[NSN_MAX + 1], *nsn;
	const char *s;
	size_t len, i, n = 0;
	long rmeta = -1;
	size_t cmeta, list;
	int plus = 0, intl = 0, nlen, cc = 0;

	memset(p, 0, sizeof(*p));
	if (region != NULL && (rmeta = find_region(region)) < 0)
		return crm_error_set(err, CRM_EUSAGE,
		    "unknown phone region '%s'", region);
	s = crm_trim(in, &len);
	if (len == 0)
		return bad(err, in, "empty");
	if (split_ext(s, &len, p->ext) < 0)
		return bad(err, in, "an extension is 1 to 20 digits after"
		    " 'ext', 'x' or '#'");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isdigit(c)) {
			if (n >= NSN_MAX)
				return bad(err, in, "too long");
			d[n++] = (char)c;
		} else if (c == '+' && n == 0 && !plus)
			plus = 1;
		else if (!strchr(" -.()/[]\t", c))
			return bad(err, in, "only digits, spaces and - . ( ) /"
			    " allowed");
	}
	d[n] = '\0';
	nsn = d;
	if (n == 0)
		return bad(err, in, "no digits");
	/* An international prefix: "+", the region's own, or "00". */
	if (plus)
		intl = 1;
	else if (rmeta >= 0) {
		const struct rx *rx = rx_get((size_t)rmeta, SLOT_IDD);
		struct rxm m;

		if (rx != NULL && rx_match(rx, d, (int)n, 1, &m) &&
		    m.end > 0 && (size_t)m.end < n && d[m.end] != '0') {
			intl = 1;
			nsn += m.end;
		}
	} else if (n > 2 && d[0] == '0' && d[1] == '0' && d[2] != '0') {
		intl = 1;
		nsn += 2;
	}
	nlen = (int)strlen(nsn);
	if (intl) {
		if (nlen <= 2)
			return bad(err, in, "too short after the international"
			    " prefix");
		for (i = 1; i <= 3 && (int)i < nlen && nsn[0] != '0'; i++) {
			cc = cc * 10 + (nsn[i - 1] - '0');
			if ((ccr = find_cc(cc)) != NULL)
				break;
		}
		if (ccr == NULL)
			return bad(err, in, "unknown country calling code");
		nsn += i;
		cmeta = crm_phone_ccmeta[ccr->first];
	} else if (rmeta < 0) {
		/* Nothing to check it against: the digits as they are. */
		if (n < 6)
			return bad(err, in, "too few digits");
		if (n > 15)
			return bad(err, in, "too many digits");
		memcpy(p->number, d, n + 1);
		p->type = CRM_PHONE_UNKNOWN;
		return 0;
	} else {
		/* The region's calling code written without a "+"? */
		char pot[NSN_MAX + 1], ccs[8];
		size_t cl;

		cmeta = (size_t)rmeta;
		cc = crm_phone_meta[cmeta].cc;
		cl = itoa_cc(cc, ccs);
		if (n > cl && strncmp(d, ccs, cl) == 0) {
			memcpy(pot, d + cl, n - cl + 1);
			strip_national_prefix(cmeta, pot);
			if ((!full(cmeta, CRM_PD_GENERAL, d, (int)n) &&
			    full(cmeta, CRM_PD_GENERAL, pot, (int)strlen(pot))) ||
			    test_length(cmeta, (int)n) == LEN_TOO_LONG) {
				memcpy(d, pot, strlen(pot) + 1);
				nsn = d;
			}
		}
		ccr = find_cc(cc);
	}
	if (ccr == NULL)
		return bad(err, in, "unknown country calling code");
	if (strlen(nsn) < 2)
		return bad(err, in, "too short");
	{
		char pot[NSN_MAX + 1];
		int r;

		memcpy(pot, nsn, strlen(nsn) + 1);
		if (strip_national_prefix(cmeta, pot)) {
			r = test_length(cmeta, (int)strlen(pot));
			if (r != LEN_TOO_SHORT && r != LEN_LOCAL_ONLY &&
			    r != LEN_INVALID)
				memcpy(nsn, pot, strlen(pot) + 1);
		}
	}
	nlen = (int)strlen(nsn);
	if (nlen < 2)
		return bad(err, in, "too short");
	if (nlen > 17)
		return bad(err, in, "too long");
	/* Which region of the calling code, and what kind of number. */
	list = ccr->n == 1 ? crm_phone_ccmeta[ccr->first] : (size_t)-1;
	for (i = 0; ccr->n > 1 && i < ccr->n; i++) {
		size_t k = crm_phone_ccmeta[ccr->first + i];
		const struct rx *rx = rx_get(k, SLOT_LEADING);
		struct rxm m;

		if (crm_phone_meta[k].leading[0] != '\0') {
			if (rx != NULL && rx_match(rx, nsn, nlen, 1, &m)) {
				list = k;
				break;
			}
		} else if (type_of(k, nsn, nlen) != CRM_PHONE_UNKNOWN) {
			list = k;
			break;
		}
	}
	if (list != (size_t)-1)
		p->type = type_of(list, nsn, nlen);
	if (list == (size_t)-1 || p->type == CRM_PHONE_UNKNOWN) {
		size_t main = crm_phone_ccmeta[ccr->first];
		const char *rn = region_name(main);

		switch (test_length(main, nlen)) {
		case LEN_TOO_SHORT:
			return bad(err, in, "too short for %s (+%d and %d"
			    " digits)", rn, cc, nlen);
		case LEN_TOO_LONG:
			return bad(err, in, "too long for %s (+%d and %d"
			    " digits)", rn, cc, nlen);
		case LEN_INVALID:
			return bad(err, in, "no %s number has %d digits after"
			    " +%d", rn, nlen, cc);
		case LEN_LOCAL_ONLY:
			return bad(err, in, "a local %s number: the area code"
			    " is missing", rn);
		default:
			return bad(err, in, "no %s number of %d digits begins"
			    " %.*s", rn, nlen, nlen < 3 ? nlen : 3, nsn);
		}
	}
	{
		char ccs[8];
		size_t cl = itoa_cc(cc, ccs), nl = strlen(nsn);

		if (1 + cl + nl >= sizeof(p->number))
			return bad(err, in, "too long");
		p->number[0] = '+';
		memcpy(p->number + 1, ccs, cl);
		memcpy(p->number + 1 + cl, nsn, nl + 1);
		memcpy(p->region, crm_phone_meta[list].id,
		    strlen(crm_phone_meta[list].id) + 1);
	}
	p->e164 = 1;
	return 0;
}

int
crm_phone_selftest(struct crm_error *err)
{
	size_t i;
	int s;

	for (i = 0; i < crm_phone_nmeta; i++)
		for (s = 0; s < NSLOT; s++) {
			const struct crm_phone_meta *md = &crm_phone_meta[i];
			const char *pat = s < CRM_PD_N ? md->desc[s].pattern :
			    s == SLOT_IDD ? md->idd : s == SLOT_NPREFIX ?
			    md->nprefix_parse : md->leading;

			if (pat != NULL && *pat != '\0' && rx_get(i, s) == NULL)
				return crm_error_set(err, CRM_EFAIL,
				    "%s: pattern %d does not compile: '%s'",
				    md->id, s, pat);
		}
	return 0;
}
