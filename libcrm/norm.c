#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <utf8proc.h>

#include "norm.h"
#include "phone.h"

int
crm_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;

	while (p < e) {
		unsigned c = *p;
		size_t n;
		unsigned cp;

		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else
			return 0;
		if ((size_t)(e - p) <= n)
			return 0;
		for (size_t i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += n + 1;
	}
	return 1;
}

static int
blankc(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f';
}

const char *
crm_trim(const char *s, size_t *len)
{
	size_t n;

	while (blankc((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && blankc((unsigned char)s[n - 1]))
		n--;
	*len = n;
	return s;
}

int
crm_blank(const char *s)
{
	size_t n;

	if (s == NULL)
		return 1;
	crm_trim(s, &n);
	return n == 0;
}

static int
bad(struct crm_error *err, const char *what, const char *in)
{
	char q[CRM_QUOTE_MAX];

	return crm_error_set(err, CRM_EDATA, "invalid %s '%s'", what,
	    crm_quote(q, in, strlen(in)));
}

static int
bad_why(struct crm_error *err, const char *what, const char *in,
    const char *why)
{
	char q[CRM_QUOTE_MAX];

	return crm_error_set(err, CRM_EDATA, "invalid %s '%s': %s", what,
	    crm_quote(q, in, strlen(in)), why);
}

/* RFC 5322 atext, plus any UTF-8 byte (RFC 6531). */
static int
atext(unsigned char c)
{
	return isalnum(c) || c >= 0x80 ||
	    (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

/*
 * A character an address never holds: controls, format characters
 * (zero-width spaces and joiners, the bidirectional marks, embeddings,
 * overrides and isolates, the byte-order mark, soft hyphens), white space
 * other than ASCII's (which the checks below refuse), surrogates, private
 * use and unassigned code points.  They are invisible or reorder what is
 * shown, so two addresses that look the same would be two people.
 */
static int
email_forbidden(utf8proc_int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_CC:
	case UTF8PROC_CATEGORY_CF:
	case UTF8PROC_CATEGORY_CS:
	case UTF8PROC_CATEGORY_CO:
	case UTF8PROC_CATEGORY_CN:
	case UTF8PROC_CATEGORY_ZS:
	case UTF8PROC_CATEGORY_ZL:
	case UTF8PROC_CATEGORY_ZP:
		return cp >= 0x80;
	default:
		return 0;
	}
}

/*
 * The key form of s[0..len): NFC and full Unicode case folding (so
 * "E" + U+0301 and U+00C9 and U+00E9 are one letter), into a new string.
 * NULL with err set for invalid UTF-8 or a forbidden character.
 */
static char *
email_fold(const char *s, size_t len, const char *in, struct crm_error *err)
{
	utf8proc_uint8_t *f = NULL;
	utf8proc_ssize_t n;
	utf8proc_int32_t cp;
	const utf8proc_uint8_t *p;
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			break;
	if (i == len) {
		/* ASCII: folding is lower-casing. */
		char *t = malloc(len + 1);

		if (t == NULL) {
			crm_error_set(err, CRM_EFAIL, "out of memory");
			return NULL;
		}
		for (i = 0; i < len; i++)
			t[i] = (char)tolower((unsigned char)s[i]);
		t[len] = '\0';
		return t;
	}
	if (!crm_utf8_valid(s, len)) {
		bad_why(err, "email", in, "invalid UTF-8");
		return NULL;
	}
	for (p = (const utf8proc_uint8_t *)s; p < (const utf8proc_uint8_t *)s +
	    len; p += n) {
		n = utf8proc_iterate(p, (const utf8proc_uint8_t *)s + len - p,
		    &cp);
		if (n <= 0) {
			bad_why(err, "email", in, "invalid UTF-8");
			return NULL;
		}
		if (email_forbidden(cp)) {
			crm_error_set(err, CRM_EDATA, "invalid email '%s': an"
			    " invisible or control character (U+%04X)",
			    crm_quote((char[CRM_QUOTE_MAX]){ 0 }, in,
			    strlen(in)), (unsigned)cp);
			return NULL;
		}
	}
	n = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len,
	    &f, UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD);
	if (n < 0) {
		bad_why(err, "email", in, utf8proc_errmsg(n));
		return NULL;
	}
	return (char *)f;
}

int
crm_norm_email_legacy(const char *in, struct crm_buf *out,
    struct crm_error *err)
{
	const char *s;
	size_t len, i;

	s = crm_trim(in, &len);
	crm_buf_reset(out);
	if (crm_buf_grow(out, len, err) < 0)
		return -1;
	for (i = 0; i < len; i++)
		out->s[i] = (char)tolower((unsigned char)s[i]);
	out->len = len;
	out->s[len] = '\0';
	return 0;
}

/*
 * What is wrong with the folded address s[0..len), or NULL: one '@', a
 * dot-atom local part of at most 64 bytes, a domain of two labels or more
 * of letters, digits and hyphens, at most 254 bytes in all.
 */
static const char *
email_check(const char *s, size_t len)
{
	const char *at;
	size_t i, local, lab = 0, nlabels = 1;
	int alldigit = 1;

	if (len == 0 || len > 254)
		return "too long";
	if ((at = memchr(s, '@', len)) == NULL)
		return "no '@'";
	local = (size_t)(at - s);
	if (memchr(at + 1, '@', len - local - 1) != NULL)
		return "more than one '@'";
	if (local == 0 || local > 64)
		return "bad local part";
	for (i = 0; i < local; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (i == 0 || i == local - 1 || s[i - 1] == '.')
				return "misplaced '.'";
		} else if (!atext(c))
			return "bad character in local part";
	}
	for (i = local + 1; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (lab == 0 || s[i - 1] == '-')
				return "bad domain";
			nlabels++;
			lab = 0;
			alldigit = 1;
			continue;
		}
		if (!(isalnum(c) || c == '-' || c >= 0x80))
			return "bad character in domain";
		if (c == '-' && lab == 0)
			return "bad domain";
		if (!isdigit(c))
			alldigit = 0;
		if (++lab > 63)
			return "bad domain";
	}
	if (lab == 0 || s[len - 1] == '-' || nlabels < 2 || alldigit)
		return "bad domain";
	return NULL;
}

char *
crm_norm_email_rekey(const char *stored)
{
	struct crm_buf b = CRM_BUF_INIT(4096);
	char *out;

	if (crm_norm_email(stored, &b, NULL) == 0)
		out = crm_buf_detach(&b);
	else
		out = strdup(stored);
	crm_buf_release(&b);
	return out;
}

int
crm_norm_email(const char *in, struct crm_buf *out, struct crm_error *err)
{
	const char *s, *why;
	char *fold;
	size_t len;
	int rc;

	s = crm_trim(in, &len);
	if (len == 0 || len > 1024)
		return bad(err, "email", in);
	if ((fold = email_fold(s, len, in, err)) == NULL)
		return -1;
	len = strlen(fold);
	if ((why = email_check(fold, len)) != NULL)
		rc = bad_why(err, "email", in, why);
	else {
		crm_buf_reset(out);
		rc = crm_buf_add(out, fold, len, err);
	}
	free(fold);
	return rc;
}

int
crm_norm_region_known(const char *region)
{
	return crm_phone_region_known(region);
}

int
crm_norm_phone(const char *in, const char *region, struct crm_buf *out,
    int *e164, struct crm_error *err)
{
	struct crm_phone p;

	if (crm_phone_parse(in, region, &p, err) < 0)
		return -1;
	*e164 = p.e164;
	crm_buf_reset(out);
	return crm_buf_adds(out, p.number, err);
}

static int
ascii(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

int
crm_norm_name(const char *in, struct crm_buf *out, struct crm_error *err)
{
	utf8proc_uint8_t *nfc;
	const char *s;
	size_t len, i;
	int sp = 0;

	s = crm_trim(in, &len);
	crm_buf_reset(out);
	if (!crm_utf8_valid(s, len))
		return bad_why(err, "name", in, "invalid UTF-8");
	if (crm_buf_grow(out, len, err) < 0)
		return -1;
	for (i = 0; i < len; i++) {
		/* len bytes were reserved: the output is never longer. */
		if (blankc((unsigned char)s[i])) {
			sp = 1;
			continue;
		}
		if (sp)
			out->s[out->len++] = ' ';
		sp = 0;
		out->s[out->len++] = s[i];
	}
	out->s[out->len] = '\0';
	if (out->len == 0 || ascii(out->s, out->len))
		return 0;	/* ASCII is NFC already */
	nfc = utf8proc_NFC((const utf8proc_uint8_t *)out->s);
	if (nfc == NULL)
		return bad_why(err, "name", in, "cannot normalise");
	crm_buf_reset(out);
	i = (size_t)crm_buf_adds(out, (const char *)nfc, err);
	free(nfc);
	return (int)i;
}

int
crm_norm_text(const char *in, struct crm_buf *out, struct crm_error *err)
{
	utf8proc_uint8_t *nfc;
	const char *s;
	size_t len;
	int rc;

	s = crm_trim(in, &len);
	crm_buf_reset(out);
	if (!crm_utf8_valid(s, len))
		return bad_why(err, "text", in, "invalid UTF-8");
	if (crm_buf_add(out, s, len, err) < 0)
		return -1;
	if (len == 0 || ascii(s, len))
		return 0;
	nfc = utf8proc_NFC((const utf8proc_uint8_t *)out->s);
	if (nfc == NULL)
		return bad_why(err, "text", in, "cannot normalise");
	crm_buf_reset(out);
	rc = crm_buf_adds(out, (const char *)nfc, err);
	free(nfc);
	return rc;
}

int
crm_norm_fold(const char *in, struct crm_buf *out, struct crm_error *err)
{
	utf8proc_uint8_t *f = NULL;
	utf8proc_ssize_t n;
	utf8proc_int32_t cp;
	const utf8proc_uint8_t *p;
	int sp = 0, any = 0, rc = -1;

	if (ascii(in, strlen(in))) {
		/* The same rules without utf8proc: letters and digits kept,
		 * apostrophes dropped, anything else a space. */
		for (; *in; in++) {
			unsigned char c = (unsigned char)*in;

			if (isalnum(c)) {
				if (sp && any && crm_buf_addc(out, ' ', err) < 0)
					return -1;
				sp = 0;
				any = 1;
				if (crm_buf_addc(out, tolower(c), err) < 0)
					return -1;
			} else if (c != '\'')
				sp = 1;
		}
		return 0;
	}
	n = utf8proc_map((const utf8proc_uint8_t *)in, 0, &f,
	    UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPAT |
	    UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK | UTF8PROC_CASEFOLD);
	if (n < 0)
		return bad_why(err, "text", in, utf8proc_errmsg(n));
	for (p = f; *p != '\0';) {
		utf8proc_ssize_t k = utf8proc_iterate(p, -1, &cp);
		utf8proc_category_t cat;

		if (k <= 0)
			break;
		cat = utf8proc_category(cp);
		if ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
		    (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO)) {
			if (sp && any && crm_buf_addc(out, ' ', err) < 0)
				goto done;
			sp = 0;
			any = 1;
			if (crm_buf_add(out, p, (size_t)k, err) < 0)
				goto done;
		} else if (cat != UTF8PROC_CATEGORY_MN &&
		    cat != UTF8PROC_CATEGORY_MC && cat != UTF8PROC_CATEGORY_ME &&
		    cp != '\'' && cp != 0x2019)
			sp = 1;	/* apostrophes join: O'Brien -> obrien */
		p += k;
	}
	rc = 0;
done:
	free(f);
	return rc;
}

int64_t
crm_days_from_civil(int y, int m, int d)
{
	/* Shift the year to start in March so the leap day comes last. */
	int64_t yy = y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int
mdays(int y, int m)
{
	static const int dd[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dd[m - 1];
}

/* n digits at s as a number, or -1. */
static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Parse the date part; returns bytes used, or -1. */
static int
parse_date(const char *s, size_t len, int *y, int *m, int *d)
{
	int used;

	if (len >= 10 && s[4] == '-' && s[7] == '-') {
		*y = digits(s, 4);
		*m = digits(s + 5, 2);
		*d = digits(s + 8, 2);
		used = 10;
	} else if (len >= 8) {
		*y = digits(s, 4);
		*m = digits(s + 4, 2);
		*d = digits(s + 6, 2);
		used = 8;
	} else
		return -1;
	if (*y < 1 || *m < 1 || *m > 12 || *d < 1 || *d > mdays(*y, *m))
		return -1;
	return used;
}

int
crm_norm_date(const char *in, char out[11], struct crm_error *err)
{
	const char *s;
	size_t len;
	int y, m, d, used;

	s = crm_trim(in, &len);
	used = parse_date(s, len, &y, &m, &d);
	if (used < 0 || (size_t)used != len)
		return bad_why(err, "date", in, "expected YYYY-MM-DD");
	crm_format_date(crm_days_from_civil(y, m, d) * 86400, out);
	return 0;
}

int
crm_norm_datetime(const char *in, int64_t *out, struct crm_error *err)
{
	const char *s, *p, *e;
	size_t len;
	int y, mo, d, h = 0, mi = 0, sec = 0, used, oh, om = 0, sign;
	int64_t off = 0;

	s = crm_trim(in, &len);
	e = s + len;
	used = parse_date(s, len, &y, &mo, &d);
	if (used < 0)
		return bad_why(err, "date", in,
		    "expected YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]]");
	p = s + used;
	if (p < e) {
		if (*p != 'T' && *p != 't' && *p != ' ')
			goto bad;
		p++;
		if (e - p < 5 || p[2] != ':' || (h = digits(p, 2)) < 0 ||
		    (mi = digits(p + 3, 2)) < 0 || h > 23 || mi > 59)
			goto bad;
		p += 5;
		if (p < e && *p == ':') {
			if (e - p < 3 || (sec = digits(p + 1, 2)) < 0 ||
			    sec > 60)
				goto bad;
			if (sec == 60)
				sec = 59;	/* a leap second */
			p += 3;
			if (p < e && (*p == '.' || *p == ',')) {
				p++;
				if (p == e || !isdigit((unsigned char)*p))
					goto bad;
				while (p < e && isdigit((unsigned char)*p))
					p++;
			}
		}
		if (p < e && (*p == 'Z' || *p == 'z')) {
			p++;
		} else if (p < e && (*p == '+' || *p == '-')) {
			sign = *p == '-' ? -1 : 1;
			p++;
			if (e - p < 2 || (oh = digits(p, 2)) < 0)
				goto badtz;
			p += 2;
			if (p < e && *p == ':')
				p++;
			if (p < e) {
				if (e - p < 2 || (om = digits(p, 2)) < 0)
					goto badtz;
				p += 2;
			}
			if (oh > 14 || om > 59 || (oh == 14 && om > 0))
				goto badtz;
			off = sign * (oh * 3600 + om * 60);
		}
		if (p != e)
			goto bad;
	}
	*out = crm_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    sec - off;
	return 0;
bad:
	return bad_why(err, "date-time", in,
	    "expected YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]]");
badtz:
	return bad_why(err, "date-time", in, "bad time zone offset");
}

/* Two decimal digits of 0 <= v < 100. */
static void
put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

void
crm_format_time(int64_t t, char out[21])
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t rem = t - days * 86400;
	int y, m, d;

	char tmp[64];

	civil_from_days(days, &y, &m, &d);
	y %= 10000;
	if (y < 0) {
		/* Before year 0: rare enough for snprintf's sign. */
		snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    y, m, d, (int)(rem / 3600), (int)(rem / 60 % 60),
		    (int)(rem % 60));
		memcpy(out, tmp, 20);
		out[20] = '\0';
		return;
	}
	/* By hand: snprintf was a third of crm-export's time. */
	put2(out, y / 100);
	put2(out + 2, y % 100);
	out[4] = '-';
	put2(out + 5, m);
	out[7] = '-';
	put2(out + 8, d);
	out[10] = 'T';
	put2(out + 11, (int)(rem / 3600));
	out[13] = ':';
	put2(out + 14, (int)(rem / 60 % 60));
	out[16] = ':';
	put2(out + 17, (int)(rem % 60));
	out[19] = 'Z';
	out[20] = '\0';
}

void
crm_format_date(int64_t t, char out[11])
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int y, m, d;

	civil_from_days(days, &y, &m, &d);
	y %= 10000;
	if (y < 0)
		y = 0;
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
}

int
crm_norm_bool(const char *in, int *out, struct crm_error *err)
{
	static const char *const yes[] = { "yes", "y", "true", "t", "1",
	    "on" };
	static const char *const no[] = { "no", "n", "false", "f", "0",
	    "off" };
	const char *s;
	size_t len, i;

	s = crm_trim(in, &len);
	if (len == 0) {
		*out = -1;
		return 0;
	}
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strlen(yes[i]) == len && strncasecmp(s, yes[i], len) == 0) {
			*out = 1;
			return 0;
		}
		if (strlen(no[i]) == len && strncasecmp(s, no[i], len) == 0) {
			*out = 0;
			return 0;
		}
	}
	return bad_why(err, "yes/no value", in,
	    "expected yes/no, y/n, true/false or 1/0");
}

int
crm_norm_days(const char *in, int64_t *days, struct crm_error *err)
{
	const char *s;
	size_t len, i;
	int64_t v = 0, mul = 1;

	s = crm_trim(in, &len);
	if (len == 0)
		return bad(err, "duration", in);
	for (i = 0; i < len && isdigit((unsigned char)s[i]); i++) {
		v = v * 10 + (s[i] - '0');
		if (v > 1000000)
			return bad_why(err, "duration", in, "too long");
	}
	if (i == 0)
		return bad_why(err, "duration", in, "expected e.g. 90d");
	if (i < len) {
		if (i + 1 != len)
			return bad_why(err, "duration", in, "expected e.g. 90d");
		switch (s[i]) {
		case 'd': case 'D': mul = 1; break;
		case 'w': case 'W': mul = 7; break;
		case 'm': case 'M': mul = 30; break;
		case 'y': case 'Y': mul = 365; break;
		default:
			return bad_why(err, "duration", in,
			    "unit must be d, w, m or y");
		}
	}
	*days = v * mul;
	return 0;
}

int
crm_norm_windows(const char *in, int64_t *days, size_t max, size_t *n,
    struct crm_error *err)
{
	char *list, *tok, *save = NULL;
	int rc = 0;

	*n = 0;
	if ((list = strdup(in)) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (*n == max || crm_norm_days(tok, &days[*n], err) < 0 ||
		    days[*n] <= 0) {
			rc = crm_error_set(err, CRM_EDATA, "bad window '%s'",
			    tok);
			break;
		}
		(*n)++;
	}
	free(list);
	return rc;
}

int
crm_norm_currency(const char *in, char out[4], struct crm_error *err)
{
	int i;

	if (strlen(in) != 3 || !isalpha((unsigned char)in[0]) ||
	    !isalpha((unsigned char)in[1]) || !isalpha((unsigned char)in[2]))
		return crm_error_set(err, CRM_EDATA, "'%s' is not an ISO 4217"
		    " code such as EUR", in);
	for (i = 0; i < 3; i++)
		out[i] = (char)toupper((unsigned char)in[i]);
	out[3] = '\0';
	return 0;
}

void
crm_norm_lower(const char *in, char *out, size_t size)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < size; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

int64_t
crm_now(void)
{
	const char *s = getenv("CRM_NOW");
	int64_t t;

	if (s != NULL && *s != '\0' && crm_norm_datetime(s, &t, NULL) == 0)
		return t;
	return (int64_t)time(NULL);
}

/* Strip a currency symbol or ISO code at the start (front) or end. */
static void
strip_currency(const char **s, const char **e, int front, char currency[4])
{
	static const struct {
		const char *sym, *iso;
	} syms[] = {
		{ "$", "USD" }, { "\xe2\x82\xac", "EUR" }, { "\xc2\xa3", "GBP" },
		{ "\xc2\xa5", "JPY" },
	};
	size_t i, sl;

	if (currency[0] != '\0')
		return;
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		sl = strlen(syms[i].sym);
		if ((size_t)(*e - *s) <= sl)
			continue;
		if (memcmp(front ? *s : *e - sl, syms[i].sym, sl) == 0) {
			memcpy(currency, syms[i].iso, 4);
			if (front)
				*s += sl;
			else
				*e -= sl;
			return;
		}
	}
	if (*e - *s > 3) {
		const char *c = front ? *s : *e - 3;

		if (isupper((unsigned char)c[0]) &&
		    isupper((unsigned char)c[1]) &&
		    isupper((unsigned char)c[2])) {
			memcpy(currency, c, 3);
			currency[3] = '\0';
			if (front)
				*s += 3;
			else
				*e -= 3;
		}
	}
}

int
crm_norm_amount(const char *in, double *value, char currency[4],
    struct crm_error *err)
{
	char digits[64];
	const char *s, *e, *p, *dec = NULL, *lastdot = NULL, *lastcomma = NULL;
	size_t len, n = 0;
	int neg = 0, seen_digit = 0, after_dec = 0, group = 0;
	char gsep = 0;

	s = crm_trim(in, &len);
	e = s + len;
	currency[0] = '\0';
	if (s < e && (*s == '-' || *s == '+'))
		neg = *s++ == '-';
	strip_currency(&s, &e, 1, currency);
	while (s < e && *s == ' ')
		s++;
	if (!neg && s < e && *s == '-') {
		neg = 1;
		s++;
	}
	strip_currency(&s, &e, 0, currency);
	while (s < e && e[-1] == ' ')
		e--;
	/* Which separator is the decimal point? */
	for (p = s; p < e; p++) {
		if (*p == '.')
			lastdot = p;
		else if (*p == ',')
			lastcomma = p;
	}
	if (lastdot && lastcomma)
		dec = lastdot > lastcomma ? lastdot : lastcomma;
	else if (lastdot && memchr(s, '.', (size_t)(lastdot - s)) == NULL)
		dec = lastdot;	/* several dots only group: 1.234.567 */
	else if (lastcomma && !lastdot &&
	    memchr(s, ',', (size_t)(lastcomma - s)) == NULL &&
	    !(e - lastcomma == 4 &&
	    isdigit((unsigned char)lastcomma[1]) &&
	    isdigit((unsigned char)lastcomma[2]) &&
	    isdigit((unsigned char)lastcomma[3])))
		dec = lastcomma;
	if (neg)
		digits[n++] = '-';
	/*
	 * Grouping must be what a person writes, never guessed at: one
	 * separator character throughout, a first group of one to three
	 * digits and every later one of exactly three, nothing after the
	 * decimal point but digits.  "1,234,5", "1.2.3", "1..2" and
	 * "1,234.5.6" are errors, not 12345, 123, 12 and 12345.6.
	 */
	for (p = s; p < e; p++) {
		if (isdigit((unsigned char)*p)) {
			if (n >= sizeof(digits) - 2)
				return bad_why(err, "amount", in, "too long");
			digits[n++] = *p;
			seen_digit = 1;
			group++;
		} else if (p == dec) {
			if (gsep && group != 3)
				return bad_why(err, "amount", in, "digits"
				    " grouped other than by three");
			if (p + 1 == e)
				return bad_why(err, "amount", in, "no digits"
				    " after the decimal point");
			digits[n++] = '.';
			after_dec = 1;
		} else if (strchr(",. '", *p) == NULL)
			return bad(err, "amount", in);
		else if (after_dec)
			return bad_why(err, "amount", in, "a separator after"
			    " the decimal point");
		else if (!seen_digit || p + 1 == e ||
		    !isdigit((unsigned char)p[1]))
			return bad_why(err, "amount", in, "a separator not"
			    " between digits");
		else if (gsep && *p != gsep)
			return bad_why(err, "amount", in, "two different"
			    " grouping separators");
		else if ((gsep ? group != 3 : group > 3))
			return bad_why(err, "amount", in, "digits grouped"
			    " other than by three");
		else {
			gsep = *p;	/* a thousands separator */
			group = 0;
		}
	}
	digits[n] = '\0';
	if (!seen_digit)
		return bad(err, "amount", in);
	if (gsep && !after_dec && group != 3)
		return bad_why(err, "amount", in, "digits grouped other than"
		    " by three");
	*value = strtod(digits, NULL);
	return 0;
}

int
crm_norm_number(const char *in, double *value, struct crm_error *err)
{
	const char *s;
	char *end, tmp[64];
	size_t len;

	s = crm_trim(in, &len);
	if (len == 0 || len >= sizeof(tmp))
		return bad(err, "number", in);
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (strpbrk(tmp, "xXnNiIpP") != NULL)
		return bad(err, "number", in);
	*value = strtod(tmp, &end);
	if (*end != '\0' || end == tmp || !isfinite(*value))
		return bad(err, "number", in);
	return 0;
}
