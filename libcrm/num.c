#include <math.h>
#include <stdio.h>
#include <string.h>

#include "num.h"

/* 10^k for k = -1 .. 5, as pow10_6[k + 1]. */
static const double pow10_6[] = { 0.1, 1, 10, 100, 1000, 10000, 100000 };

/*
 * v with prec decimals, as snprintf "%.*f" writes it, faster: v 10^prec
 * rounded to an integer, unless it lies so near a half that the rounding
 * of the product could decide (then snprintf does it).  0 if it did.
 */
static int
fast_fixed(char *buf, int prec, double v)
{
	static const double p10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6 };
	char tmp[32];
	double t, r;
	uint64_t u;
	int n = 0, i = 0;

	if (prec < 0 || prec > 6 || !(fabs(v) < 1e12))
		return -1;
	t = fabs(v) * p10[prec];
	r = floor(t);
	if (fabs(t - r - 0.5) <= t * 1e-15 + 1e-300)
		return -1;
	u = (uint64_t)r + (t - r > 0.5);
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
		if (n == prec)
			tmp[n++] = '.';
	} while (u > 0 || n < (prec ? prec + 2 : 1));
	if (signbit(v))
		buf[i++] = '-';
	while (n > 0)
		buf[i++] = tmp[--n];
	buf[i] = '\0';
	return 0;
}

char *
crm_num_fixed(char buf[CRM_NUM_MAX], int decimals, double v)
{
	if (fast_fixed(buf, decimals, v) < 0)
		snprintf(buf, CRM_NUM_MAX, "%.*f", decimals, v);
	return buf;
}

/*
 * For 0 and 0.1 <= |v| < 1e6: fixed with as many decimals as six
 * significant digits leave, trailing zeros and point dropped.  A rounding
 * that carries into a new digit gives the same digits with one decimal
 * fewer, as %g has it, except at 1e6, where %g turns to an exponent.
 */
static int
fast_g6(char *buf, double v)
{
	double a = fabs(v);
	size_t n;
	int e;

	if (v == 0) {
		snprintf(buf, CRM_NUM_MAX, "%.6g", v);
		return 0;
	}
	if (!(a >= 0.1 && a < 1e6))
		return -1;
	for (e = -1; e < 5 && a >= pow10_6[e + 2]; e++)
		;
	if (fast_fixed(buf, 5 - e, v) < 0)
		return -1;
	if (e == 5 && strlen(buf) > 6 + (v < 0))
		return -1;	/* 999999.5 and up: %g says 1e+06 */
	if (strchr(buf, '.') != NULL) {
		n = strlen(buf);
		while (buf[n - 1] == '0')
			buf[--n] = '\0';
		if (buf[n - 1] == '.')
			buf[--n] = '\0';
	}
	return 0;
}

char *
crm_num_g6(char buf[CRM_NUM_MAX], double v)
{
	if (fast_g6(buf, v) < 0)
		snprintf(buf, CRM_NUM_MAX, "%.6g", v);
	return buf;
}

char *
crm_num_int(char buf[CRM_NUM_MAX], int64_t v)
{
	snprintf(buf, CRM_NUM_MAX, "%lld", (long long)v);
	return buf;
}

char *
crm_num_unsigned_zero(char *buf)
{
	char *p;

	if (buf[0] == '-') {
		for (p = buf + 1; *p == '0' || *p == '.'; p++)
			;
		if (*p == '\0')
			memmove(buf, buf + 1, strlen(buf));
	}
	return buf;
}

const char *
crm_num_word(int64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}
