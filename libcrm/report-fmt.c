/*
 * report-fmt.c - the numbers of the report as people read them, for
 * both renderings (HTML and text).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report-int.h"

/* ------------------------------------------------------------------ */
/* Numbers as people read them */

/* Commas between groups of three digits of the number in s. */
const char *
report_grouped(char out[48], const char *s)
{
	const char *p = s, *end = strchr(s, '.');
	size_t n = 0;

	if (end == NULL)
		end = s + strlen(s);
	if (*p == '-')
		out[n++] = *p++;
	while (p < end && n < 40) {
		out[n++] = *p++;
		if (p < end && (end - p) % 3 == 0)
			out[n++] = ',';
	}
	while (*p && n < 46)
		out[n++] = *p++;
	out[n] = '\0';
	return out;
}

const char *
report_fint(char out[48], int64_t v)
{
	char s[32];

	snprintf(s, sizeof(s), "%lld", (long long)v);
	return report_grouped(out, s);
}

const char *
report_fmoney(char out[48], double v)
{
	char s[40];

	if (isnan(v))
		return "";
	snprintf(s, sizeof(s), "%.2f", v);
	if (strcmp(s, "-0.00") == 0)
		memcpy(s, "0.00", 5);
	return report_grouped(out, s);
}

const char *
report_fnum(char out[48], double v, int decimals)
{
	char s[40];

	if (isnan(v))
		return "";
	snprintf(s, sizeof(s), "%.*f", decimals, v);
	return report_grouped(out, s);
}

/* A share as a percentage with one decimal ("" for NaN). */
const char *
report_fpct(char out[48], double share)
{
	if (isnan(share))
		return "";
	snprintf(out, 48, "%.1f%%", share * 100);
	return out;
}

double
report_ratio(int64_t a, int64_t b)
{
	return b > 0 ? (double)a / (double)b : NAN;
}

const char *
report_fchange(char out[64], double now, double was, int money)
{
	double d = now - was;
	char a[48];

	if (d == 0 || (money && fabs(d) < 0.005)) {
		snprintf(out, 64, "unchanged");
		return out;
	}
	if (money)
		report_fmoney(a, fabs(d));
	else
		report_fnum(a, fabs(d), 0);
	if (was != 0)
		snprintf(out, 64, "%s %s (%+.1f%%)", d > 0 ? "up" : "down", a,
		    d / fabs(was) * 100);
	else
		snprintf(out, 64, "up %s (from none)", a);
	return out;
}

const char *
report_fig_name(char out[48], const struct crm_report *r, int f)
{
	static const char *const names[NFIG] = { "contacts", "new contacts",
	    "interactions", "purchases", "revenue", "open tickets at the end",
	    "campaigns sent" };

	if (f == FIG_REVENUE && r->ncurr > 0 &&
	    strcmp(r->curr[0], "(no currency)") != 0) {
		snprintf(out, 48, "revenue in %.20s", r->curr[0]);
		return out;
	}
	snprintf(out, 48, "%s", names[f]);
	return out;
}
