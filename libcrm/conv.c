#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conv.h"
#include "norm.h"

struct tm6 {
	int y, mo, d, h, mi, s;
	int has_time;
	int pm;			/* -1 none, 0 AM, 1 PM */
	int64_t off;		/* seconds east of UTC */
};

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
mdays(int y, int m)
{
	static const int dd[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31 };

	return m == 2 && leap(y) ? 29 : dd[m - 1];
}

/* Up to max digits at *p (at least 1): the number, *p advanced; or -1. */
static int
num(const char **p, const char *e, int max)
{
	int v = 0, n = 0;

	while (*p < e && n < max && isdigit((unsigned char)**p)) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n ? v : -1;
}

static void
blanks(const char **p, const char *e)
{
	while (*p < e && (**p == ' ' || **p == '\t'))
		(*p)++;
}

/* An offset: Z, UTC, GMT, +HH, +HHMM, +HH:MM.  1 if one was read. */
static int
offset(const char **p, const char *e, int64_t *off)
{
	const char *s = *p;
	int sign, h, m = 0;

	if (s < e && (*s == 'Z' || *s == 'z')) {
		*p = s + 1;
		*off = 0;
		return 1;
	}
	if (e - s >= 3 && (strncasecmp(s, "UTC", 3) == 0 ||
	    strncasecmp(s, "GMT", 3) == 0)) {
		s += 3;
		if (s == e) {
			*p = s;
			*off = 0;
			return 1;
		}
	}
	if (s >= e || (*s != '+' && *s != '-'))
		return 0;
	sign = *s == '-' ? -1 : 1;
	s++;
	if (e - s < 2 || !isdigit((unsigned char)s[0]) ||
	    !isdigit((unsigned char)s[1]))
		return 0;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	s += 2;
	if (s < e && *s == ':')
		s++;
	if (e - s >= 2 && isdigit((unsigned char)s[0]) &&
	    isdigit((unsigned char)s[1])) {
		m = (s[0] - '0') * 10 + (s[1] - '0');
		s += 2;
	}
	if (h > 14 || m > 59)
		return 0;
	*off = sign * (h * 3600 + m * 60);
	*p = s;
	return 1;
}

/* " HH:MM[:SS[.fff]] [AM|PM] [offset]" after a date; 0 if it is not one. */
static int
time_of_day(const char **pp, const char *e, struct tm6 *t)
{
	const char *p = *pp;

	if (p < e && (*p == 'T' || *p == 't'))
		p++;
	else
		blanks(&p, e);
	if ((t->h = num(&p, e, 2)) < 0 || p >= e || *p != ':')
		return 0;
	p++;
	if ((t->mi = num(&p, e, 2)) < 0 || p - *pp < 3)
		return 0;
	if (p < e && *p == ':') {
		p++;
		if ((t->s = num(&p, e, 2)) < 0)
			return 0;
		if (p < e && (*p == '.' || *p == ',')) {
			p++;
			if (num(&p, e, 9) < 0)
				return 0;
			while (p < e && isdigit((unsigned char)*p))
				p++;
		}
	}
	t->has_time = 1;
	blanks(&p, e);
	if (e - p >= 2 && (strncasecmp(p, "AM", 2) == 0 ||
	    strncasecmp(p, "PM", 2) == 0)) {
		t->pm = toupper((unsigned char)*p) == 'P';
		p += 2;
		blanks(&p, e);
	}
	if (p < e && !offset(&p, e, &t->off))
		return 0;
	*pp = p;
	return 1;
}

static const char *const months[] = { "jan", "feb", "mar", "apr", "may",
    "jun", "jul", "aug", "sep", "oct", "nov", "dec" };

/* Match fmt against [p, e); 1 if the whole of fmt matched. */
static int
by_format(const char **pp, const char *e, const char *fmt, struct tm6 *t)
{
	const char *p = *pp;
	size_t k;

	for (; *fmt != '\0'; fmt++) {
		if (*fmt == ' ') {
			blanks(&p, e);
			continue;
		}
		if (*fmt != '%') {
			if (p >= e || *p != *fmt)
				return 0;
			p++;
			continue;
		}
		switch (*++fmt) {
		case 'Y': if ((t->y = num(&p, e, 4)) < 0) return 0; break;
		case 'y':
			if ((t->y = num(&p, e, 2)) < 0)
				return 0;
			t->y += t->y < 70 ? 2000 : 1900;
			break;
		case 'm': if ((t->mo = num(&p, e, 2)) < 0) return 0; break;
		case 'd': case 'e':
			blanks(&p, e);
			if ((t->d = num(&p, e, 2)) < 0)
				return 0;
			break;
		case 'H': case 'I':
			if ((t->h = num(&p, e, 2)) < 0)
				return 0;
			t->has_time = 1;
			break;
		case 'M': if ((t->mi = num(&p, e, 2)) < 0) return 0; break;
		case 'S': if ((t->s = num(&p, e, 2)) < 0) return 0; break;
		case 'p':
			if (e - p < 2 || (strncasecmp(p, "AM", 2) != 0 &&
			    strncasecmp(p, "PM", 2) != 0))
				return 0;
			t->pm = toupper((unsigned char)*p) == 'P';
			p += 2;
			break;
		case 'b':
			for (k = 0; k < 12; k++)
				if (e - p >= 3 && strncasecmp(p, months[k], 3) == 0)
					break;
			if (k == 12)
				return 0;
			t->mo = (int)k + 1;
			p += 3;
			while (p < e && isalpha((unsigned char)*p))
				p++;
			break;
		case 'z':
			if (!offset(&p, e, &t->off))
				return 0;
			break;
		case '%':
			if (p >= e || *p != '%')
				return 0;
			p++;
			break;
		default:
			return 0;
		}
	}
	*pp = p;
	return 1;
}

/* Excel's serial day number (1900 date system, from 1899-12-30). */
static int
excel(const char *s, const char *e, struct tm6 *t, int64_t *secs)
{
	char buf[64], *end;
	double v;

	if (e - s <= 0 || (size_t)(e - s) >= sizeof(buf))
		return 0;
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = '\0';
	v = strtod(buf, &end);
	if (*end != '\0' || !isfinite(v) || v < 1 || v > 2958465)
		return 0;
	*secs = (crm_days_from_civil(1899, 12, 30) * 86400) +
	    (int64_t)llround(v * 86400);
	t->has_time = fmod(v, 1.0) != 0;
	return 1;
}

/* Read in as crm_conv_time() does into *t and *secs (UTC); 1, or 0. */
static int
conv(const char *in, const char *fmt, struct tm6 *tp, int64_t *secsp,
    const char **why)
{
	struct tm6 t;
	const char *s, *p, *e;
	size_t len;
	int64_t secs;
	int a, b, c;
	char sep;

	*why = NULL;
	memset(&t, 0, sizeof(t));
	t.pm = -1;
	s = crm_trim(in, &len);
	e = s + len;
	p = s;
	if (len == 0)
		return 0;
	if (fmt != NULL && strcmp(fmt, "excel") == 0) {
		if (!excel(s, e, &t, &secs))
			return 0;
		goto done;
	}
	if (fmt != NULL) {
		if (!by_format(&p, e, fmt, &t)) {
			*why = "does not match the date format";
			return 0;
		}
	} else {
		if ((a = num(&p, e, 4)) < 0)
			return 0;
		if (p - s == 4 && e - s >= 8 && isdigit((unsigned char)p[0]) &&
		    isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
		    isdigit((unsigned char)p[3]) && (e - s == 8 ||
		    !isdigit((unsigned char)p[4]))) {
			/* YYYYMMDD */
			t.y = a;
			t.mo = (p[0] - '0') * 10 + (p[1] - '0');
			t.d = (p[2] - '0') * 10 + (p[3] - '0');
			p += 4;
		} else if (p - s == 4 && p < e && (*p == '-' || *p == '/')) {
			sep = *p++;
			t.y = a;
			if ((t.mo = num(&p, e, 2)) < 0 || p >= e || *p != sep)
				return 0;
			p++;
			if ((t.d = num(&p, e, 2)) < 0)
				return 0;
		} else if (p - s <= 2 && p < e && (*p == '.' || *p == '/')) {
			sep = *p++;
			if ((b = num(&p, e, 2)) < 0 || p >= e || *p != sep)
				return 0;
			p++;
			if ((c = num(&p, e, 4)) < 0)
				return 0;
			if (c < 100)
				c += c < 70 ? 2000 : 1900;
			t.y = c;
			if (sep == '.' || a > 12) {
				t.d = a;
				t.mo = b;
			} else if (b > 12 || a == b) {
				t.mo = a;
				t.d = b;
			} else {
				*why = "ambiguous day and month (give"
				    " --date-format %m/%d/%Y or %d/%m/%Y)";
				return 0;
			}
		} else
			return 0;
	}
	if (p < e && t.has_time) {
		/* The format gave the time: AM/PM and an offset may follow. */
		blanks(&p, e);
		if (e - p >= 2 && t.pm < 0 && (strncasecmp(p, "AM", 2) == 0 ||
		    strncasecmp(p, "PM", 2) == 0)) {
			t.pm = toupper((unsigned char)*p) == 'P';
			p += 2;
			blanks(&p, e);
		}
		if (p < e && !offset(&p, e, &t.off))
			return 0;
	} else if (p < e && !time_of_day(&p, e, &t))
		return 0;
	if (p != e)
		return 0;
	if (t.y < 1 || t.mo < 1 || t.mo > 12 || t.d < 1 ||
	    t.d > mdays(t.y, t.mo))
		return 0;
	if (t.pm >= 0) {
		if (t.h < 1 || t.h > 12)
			return 0;
		t.h = t.h % 12 + (t.pm ? 12 : 0);
	}
	if (t.h > 23 || t.mi > 59 || t.s > 60)
		return 0;
	if (t.s == 60)
		t.s = 59;
	secs = crm_days_from_civil(t.y, t.mo, t.d) * 86400 + t.h * 3600 +
	    t.mi * 60 + t.s - t.off;
done:
	*tp = t;
	*secsp = secs;
	return 1;
}

int
crm_conv_time(const char *in, const char *fmt, int date_only,
    char out[CRM_CONV_OUT], const char **why)
{
	struct tm6 t;
	int64_t secs;

	if (!conv(in, fmt, &t, &secs, why))
		return 0;
	if (date_only && !t.has_time)
		crm_format_date(secs, out);
	else if (date_only) {
		/* A date-time where a date is wanted: its calendar day. */
		crm_format_date(secs + t.off, out);
	} else
		crm_format_time(secs, out);
	return 1;
}

int
crm_conv_day(const char *in, int64_t *day)
{
	const char *why;
	struct tm6 t;
	int64_t secs;

	if (!conv(in, NULL, &t, &secs, &why))
		return -1;
	/* As crm_conv_time() with date_only: a date-time's own day. */
	if (t.has_time)
		secs += t.off;
	*day = secs / 86400 - (secs % 86400 < 0);
	return 0;
}

int
crm_conv_decimal(const char *in, int decimal, struct crm_buf *out,
    struct crm_error *err)
{
	const unsigned char *s = (const unsigned char *)in;
	int group = decimal == ',' ? '.' : ',';
	size_t i, n = strlen(in);

	for (i = 0; i < n; i++) {
		int prev = i > 0 && isdigit(s[i - 1]);
		size_t w = 1;

		/* U+00A0 and U+202F, the no-break spaces of grouping. */
		if (s[i] == 0xc2 && i + 1 < n && s[i + 1] == 0xa0)
			w = 2;
		else if (s[i] == 0xe2 && i + 2 < n && s[i + 1] == 0x80 &&
		    s[i + 2] == 0xaf)
			w = 3;
		if (prev && i + w < n && isdigit(s[i + w]) && (w > 1 ||
		    s[i] == group || s[i] == ' ' || s[i] == '\'')) {
			i += w - 1;
			continue;
		}
		if (s[i] == decimal) {
			if (crm_buf_addc(out, '.', err) < 0)
				return -1;
			continue;
		}
		if (crm_buf_addc(out, s[i], err) < 0)
			return -1;
	}
	return 0;
}
