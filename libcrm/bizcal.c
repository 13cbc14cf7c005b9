#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bizcal.h"
#include "norm.h"

#define DAY 86400

/* One local day, in UTC seconds: its midnight, opening and closing. */
struct day {
	int64_t start, open, close;
	int filled;
};

struct crm_bizcal {
	char tz[128];		/* "" for UTC */
	int open[7], close[7];	/* local seconds; 0=Sunday; equal: closed */
	int64_t *hol;		/* local day numbers, sorted */
	size_t nhol, ahol;
	struct day *days;	/* days[i] is local day base + i */
	int64_t base;
	size_t ndays;
	int64_t hint;		/* the last day looked up */
};

struct crm_bizcal *
crm_bizcal_new(struct crm_error *err)
{
	struct crm_bizcal *c;
	int i;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	for (i = 0; i < 7; i++)
		c->close[i] = DAY;
	return c;
}

void
crm_bizcal_free(struct crm_bizcal *c)
{
	if (c == NULL)
		return;
	free(c->hol);
	free(c->days);
	free(c);
}

static void
flush(struct crm_bizcal *c)
{
	free(c->days);
	c->days = NULL;
	c->ndays = 0;
}

static int
dayname(const char *s, size_t n)
{
	static const char *const names[] = {
		"sun", "mon", "tue", "wed", "thu", "fri", "sat"
	};
	int i;

	for (i = 0; i < 7; i++)
		if (n == 3 && strncasecmp(s, names[i], 3) == 0)
			return i;
	return -1;
}

/* "HH:MM" at s, into seconds; the number of bytes read, or 0. */
static size_t
clock_at(const char *s, int *secs)
{
	int h, m;

	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    s[2] != ':' || !isdigit((unsigned char)s[3]) ||
	    !isdigit((unsigned char)s[4]))
		return 0;
	h = (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && m != 0))
		return 0;
	*secs = h * 3600 + m * 60;
	return 5;
}

static int
bad_hours(const char *item, size_t n, struct crm_error *err)
{
	return crm_error_set(err, CRM_EUSAGE, "business hours: '%.*s' is not"
	    " DAYS HH:MM-HH:MM (e.g. mon-fri 09:00-17:00)", (int)n, item);
}

int
crm_bizcal_hours(struct crm_bizcal *c, const char *spec,
    struct crm_error *err)
{
	int open[7] = { 0 }, close[7] = { 0 }, d0, d1, o, e, i;
	const char *p = spec, *item, *end;
	size_t n, k;

	while (isspace((unsigned char)*p))
		p++;
	if (strcasecmp(p, "24x7") == 0) {
		for (i = 0; i < 7; i++) {
			c->open[i] = 0;
			c->close[i] = DAY;
		}
		flush(c);
		return 0;
	}
	while (*p != '\0') {
		while (isspace((unsigned char)*p) || *p == ',')
			p++;
		if (*p == '\0')
			break;
		item = p;
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		while (n > 0 && isspace((unsigned char)item[n - 1]))
			n--;
		p = end ? end + 1 : p + strlen(p);
		if (n < 3 || (d0 = dayname(item, 3)) < 0)
			return bad_hours(item, n, err);
		k = 3;
		d1 = d0;
		if (n > 7 && item[3] == '-' && isalpha((unsigned char)item[4])) {
			if ((d1 = dayname(item + 4, 3)) < 0)
				return bad_hours(item, n, err);
			k = 7;
		}
		if (k >= n || item[k] != ' ')
			return bad_hours(item, n, err);
		while (k < n && item[k] == ' ')
			k++;
		if (n - k != 11 || clock_at(item + k, &o) == 0 ||
		    item[k + 5] != '-' || clock_at(item + k + 6, &e) == 0 ||
		    e <= o)
			return bad_hours(item, n, err);
		for (i = d0;; i = (i + 1) % 7) {
			open[i] = o;
			close[i] = e;
			if (i == d1)
				break;
		}
	}
	memcpy(c->open, open, sizeof(open));
	memcpy(c->close, close, sizeof(close));
	flush(c);
	return 0;
}

int
crm_bizcal_zone(struct crm_bizcal *c, const char *tz, struct crm_error *err)
{
	char path[256];
	struct stat sb;

	if (tz == NULL || *tz == '\0' || strcmp(tz, "UTC") == 0) {
		c->tz[0] = '\0';
		flush(c);
		return 0;
	}
	/* glibc takes any TZ value and falls back to UTC: check first. */
	if (strlen(tz) >= sizeof(c->tz) || strstr(tz, "..") != NULL ||
	    tz[0] == '/' || snprintf(path, sizeof(path),
	    "/usr/share/zoneinfo/%s", tz) >= (int)sizeof(path) ||
	    stat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
		return crm_error_set(err, CRM_EUSAGE, "unknown time zone '%s'"
		    " (an IANA name such as Europe/Berlin)", tz);
	memcpy(c->tz, tz, strlen(tz) + 1);
	flush(c);
	return 0;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int
crm_bizcal_holiday(struct crm_bizcal *c, const char *date,
    struct crm_error *err)
{
	char d[11];
	int64_t *p;

	if (crm_norm_date(date, d, err) < 0)
		return crm_error_prefix(err, "holiday");
	if (c->nhol == c->ahol) {
		size_t n = c->ahol ? c->ahol * 2 : 16;

		if ((p = reallocarray(c->hol, n, sizeof(*p))) == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		c->hol = p;
		c->ahol = n;
	}
	c->hol[c->nhol++] = crm_days_from_civil(atoi(d), atoi(d + 5),
	    atoi(d + 8));
	qsort(c->hol, c->nhol, sizeof(*c->hol), cmp64);
	flush(c);
	return 0;
}

/* Civil date of day number z (Howard Hinnant's algorithm). */
static void
civil(int64_t z, int *y, int *m, int *d)
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

/* UTC seconds of local time secs on local day z, in the zone now set. */
static int64_t
local_to_utc(int64_t z, int secs)
{
	struct tm tm;
	int y, m, d;

	civil(z, &y, &m, &d);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = secs / 3600;
	tm.tm_min = secs % 3600 / 60;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

static void
fill(struct crm_bizcal *c, struct day *dy, int64_t z)
{
	/* Day 0, 1970-01-01, was a Thursday. */
	int wd = (int)(((z % 7) + 7 + 4) % 7);
	int closed = c->open[wd] >= c->close[wd] ||
	    (c->nhol > 0 && bsearch(&z, c->hol, c->nhol, sizeof(*c->hol),
	    cmp64) != NULL);
	char *old = NULL;

	if (c->tz[0] == '\0') {
		dy->start = z * DAY;
		dy->open = dy->start + c->open[wd];
		dy->close = dy->start + c->close[wd];
	} else {
		const char *o = getenv("TZ");

		if (o != NULL)
			old = strdup(o);
		setenv("TZ", c->tz, 1);
		tzset();
		dy->start = local_to_utc(z, 0);
		dy->open = local_to_utc(z, c->open[wd]);
		dy->close = local_to_utc(z, c->close[wd]);
		if (old != NULL)
			setenv("TZ", old, 1);
		else
			unsetenv("TZ");
		tzset();
		free(old);
	}
	if (closed)
		dy->open = dy->close = dy->start;
	dy->filled = 1;
}

/* Local day z, filled; NULL only when memory runs out. */
static const struct day *
day_at(struct crm_bizcal *c, int64_t z)
{
	struct day *p;
	size_t n, shift;

	if (c->ndays == 0) {
		n = 1024;
		if ((c->days = calloc(n, sizeof(*c->days))) == NULL)
			return NULL;
		c->ndays = n;
		c->base = z - (int64_t)n / 2;
	}
	if (z < c->base) {
		shift = (size_t)(c->base - z) + c->ndays;
		n = c->ndays + shift;
		if ((p = reallocarray(c->days, n, sizeof(*p))) == NULL)
			return NULL;
		memmove(p + shift, p, c->ndays * sizeof(*p));
		memset(p, 0, shift * sizeof(*p));
		c->days = p;
		c->ndays = n;
		c->base -= (int64_t)shift;
	} else if (z >= c->base + (int64_t)c->ndays) {
		n = (size_t)(z - c->base) + c->ndays;
		if ((p = reallocarray(c->days, n, sizeof(*p))) == NULL)
			return NULL;
		memset(p + c->ndays, 0, (n - c->ndays) * sizeof(*p));
		c->days = p;
		c->ndays = n;
	}
	p = &c->days[z - c->base];
	if (!p->filled)
		fill(c, p, z);
	return p;
}

/* The local day holding UTC instant t. */
static int64_t
day_of(struct crm_bizcal *c, int64_t t)
{
	int64_t z = t >= 0 ? t / DAY : -((-t + DAY - 1) / DAY);
	const struct day *d;

	/* Zones are within a day of UTC: at most two steps either way. */
	if (c->tz[0] == '\0')
		return z;
	while ((d = day_at(c, z)) != NULL && t < d->start)
		z--;
	while ((d = day_at(c, z + 1)) != NULL && t >= d->start)
		z++;
	return z;
}

int64_t
crm_bizcal_between(struct crm_bizcal *c, int64_t t0, int64_t t1)
{
	const struct day *d;
	int64_t z, z1, sum = 0, a, b;

	if (t1 <= t0)
		return 0;
	z1 = day_of(c, t1);
	for (z = day_of(c, t0); z <= z1; z++) {
		if ((d = day_at(c, z)) == NULL)
			break;
		a = d->open > t0 ? d->open : t0;
		b = d->close < t1 ? d->close : t1;
		if (b > a)
			sum += b - a;
	}
	return sum;
}

int64_t
crm_bizcal_add(struct crm_bizcal *c, int64_t t0, int64_t secs)
{
	const struct day *d;
	int64_t z, a, left = secs;
	int i, any = 0, guard;

	if (secs <= 0)
		return t0;
	for (i = 0; i < 7; i++)
		any |= c->open[i] < c->close[i];
	if (!any)
		return INT64_MAX;
	z = day_of(c, t0);
	/* Ten years of holidays is a calendar error, not a due date. */
	for (guard = 0; guard < 3660; guard++, z++) {
		if ((d = day_at(c, z)) == NULL)
			break;
		a = d->open > t0 ? d->open : t0;
		if (d->close > a) {
			if (d->close - a >= left)
				return a + left;
			left -= d->close - a;
		}
	}
	return INT64_MAX;
}

int
crm_bizcal_duration(const char *s, int64_t *secs, struct crm_error *err)
{
	const char *p = s;
	int64_t total = 0, v;
	int units = 0;

	if (*p == '\0')
		goto bad;
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p))
			goto bad;
		for (v = 0; isdigit((unsigned char)*p); p++) {
			if (v > INT64_MAX / 100000)
				goto bad;
			v = v * 10 + (*p - '0');
		}
		switch (*p) {
		case '\0':
			if (units)
				goto bad;
			total += v * 60;	/* bare minutes */
			continue;
		case 'm':
			total += v * 60;
			break;
		case 'h':
			total += v * 3600;
			break;
		case 'd':
			total += v * DAY;
			break;
		default:
			goto bad;
		}
		units = 1;
		p++;
	}
	*secs = total;
	return 0;
bad:
	return crm_error_set(err, CRM_EUSAGE, "'%s' is not a duration such as"
	    " 30m, 4h, 1h30m or 2d", s);
}
