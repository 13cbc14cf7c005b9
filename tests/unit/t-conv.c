/*
 * t-conv - time stamps and numbers as exports write them (conv.c), and
 * JSON lines objects (jsonl.c).  Every expected value is worked out by
 * hand: offsets subtracted, the day-first and month-first readings
 * spelt out.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conv.h"
#include "jsonl.h"
#include "tap.h"

static char out[CRM_CONV_OUT];

/* The conversion, or "-" when it is declined (and why, if said). */
static const char *
t(const char *in, const char *fmt, int date_only)
{
	static char buf[160];
	const char *why;

	if (crm_conv_time(in, fmt, date_only, out, &why) == 1)
		return out;
	snprintf(buf, sizeof(buf), "- %s", why ? why : "");
	return buf;
}

static const char *
dec(const char *in, int d)
{
	static struct crm_buf b = CRM_BUF_INIT(1024);
	struct crm_error err;

	crm_buf_reset(&b);
	if (crm_conv_decimal(in, d, &b, &err) < 0)
		return "ERR";
	return crm_buf_str(&b);
}

static struct crm_buf pairs = CRM_BUF_INIT(4096);

static int
member(void *ctx, const char *key, const char *val, enum crm_jsonl_kind kind,
    struct crm_error *err)
{
	(void)ctx;
	return crm_buf_addf(&pairs, err, "%s=%c%s;", key,
	    kind == CRM_JSONL_STRING ? 's' : kind == CRM_JSONL_RAW ? 'r' : 'n',
	    kind == CRM_JSONL_NULL ? "" : val);
}

static const char *
obj(const char *s)
{
	static struct crm_buf scratch = CRM_BUF_INIT(1 << 16);
	static char msg[CRM_ERRMSG_MAX + 8];
	struct crm_error err;

	crm_buf_reset(&pairs);
	if (crm_jsonl_object(s, strlen(s), &scratch, member, NULL, &err) < 0) {
		snprintf(msg, sizeof(msg), "ERR %s", err.msg);
		return msg;
	}
	return crm_buf_str(&pairs);
}

int
main(void)
{
	/* ISO forms, with and without offsets and blanks before them. */
	is_str(t("2024-05-08", NULL, 0), "2024-05-08T00:00:00Z", "date");
	is_str(t("2024-05-08", NULL, 1), "2024-05-08", "date as a date");
	is_str(t("20240508", NULL, 1), "2024-05-08", "basic date");
	is_str(t("2024/05/08 10:23", NULL, 0), "2024-05-08T10:23:00Z",
	    "slashes, year first");
	is_str(t("2024-05-08 00:00:00 +0100", NULL, 0),
	    "2024-05-07T23:00:00Z", "Shopify: blank, then +0100");
	is_str(t("2024-05-08T10:23:45.123+01:00", NULL, 0),
	    "2024-05-08T09:23:45Z", "fraction and +01:00");
	is_str(t("2024-06-02 08:59:00 -0400", NULL, 0),
	    "2024-06-02T12:59:00Z", "a negative offset");
	is_str(t("2024-12-31 23:30 -01", NULL, 0), "2025-01-01T00:30:00Z",
	    "an offset in hours crosses the year");
	is_str(t("2024-05-08 10:23 UTC", NULL, 0), "2024-05-08T10:23:00Z",
	    "UTC");
	is_str(t(" 2024-05-08T10:23Z ", NULL, 0), "2024-05-08T10:23:00Z",
	    "Z, blanks around");
	/* Excel's forms. */
	is_str(t("31.12.2024", NULL, 1), "2024-12-31", "dots: day first");
	is_str(t("1.2.2025 7:05", NULL, 0), "2025-02-01T07:05:00Z",
	    "dots, one digit, a time");
	is_str(t("12/31/2024", NULL, 1), "2024-12-31", "slash: 31 is a day");
	is_str(t("31/12/2024", NULL, 1), "2024-12-31", "slash, day first");
	is_str(t("03/04/2024", NULL, 1), "- ambiguous day and month (give"
	    " --date-format %m/%d/%Y or %d/%m/%Y)", "ambiguous slash date");
	is_str(t("03/04/2024", "%m/%d/%Y", 1), "2024-03-04", "format m/d/Y");
	is_str(t("03/04/2024", "%d/%m/%Y", 1), "2024-04-03", "format d/m/Y");
	is_str(t("3/15/2024 2:30 PM", NULL, 0), "2024-03-15T14:30:00Z",
	    "US date, PM");
	is_str(t("3/15/2024 12:10 AM", NULL, 0), "2024-03-15T00:10:00Z",
	    "12 AM is midnight");
	is_str(t("8 May 2024 10:00", "%d %b %Y", 0), "2024-05-08T10:00:00Z",
	    "format with a month name, then a time");
	is_str(t("08-05-24 10:00 +0200", "%d-%m-%y %H:%M", 0),
	    "2024-05-08T08:00:00Z", "format with the time, then an offset");
	/* 45292 is 2024-01-01; 31 + 29 + 31 days on, 45383 is 1 April. */
	is_str(t("45384.5", "excel", 0), "2024-04-02T12:00:00Z",
	    "Excel serial day");
	is_str(t("45384", "excel", 1), "2024-04-02", "Excel serial, a date");
	/* Declined: left for the importer to report. */
	is_str(t("2024-02-30", NULL, 1), "- ", "no 30 February");
	is_str(t("2024-05-08 25:00", NULL, 0), "- ", "no hour 25");
	is_str(t("yesterday", NULL, 0), "- ", "not a date");
	is_str(t("2024-05-08 10:00 +1500", NULL, 0), "- ", "offset > 14 h");
	is_str(t("2024-05-08", "%d.%m.%Y", 1),
	    "- does not match the date format", "format not matched");

	/* Dates as days since 1970 (crm_conv_day), counted by hand. */
	{
		int64_t day = 0;

		ok(crm_conv_day("2024-05-08", &day) == 0 && day == 19851,
		    "day: an ISO date");
		ok(crm_conv_day("29.02.2024", &day) == 0 && day == 19782,
		    "day: day first with dots");
		ok(crm_conv_day("1969-12-31", &day) == 0 && day == -1,
		    "day: before 1970");
		ok(crm_conv_day("2024-05-08T23:30:00-02:00", &day) == 0 &&
		    day == 19851, "day: a date-time's own day at its offset");
		ok(crm_conv_day("05/06/2024", &day) < 0, "day: ambiguous");
		ok(crm_conv_day("tomorrow", &day) < 0, "day: not a date");
	}

	/* Decimal commas. */
	is_str(dec("1.234,56", ','), "1234.56", "grouping dot, decimal comma");
	is_str(dec("9,90", ','), "9.90", "decimal comma");
	is_str(dec("1 234 567,8 EUR", ','), "1234567.8 EUR", "blanks group");
	is_str(dec("1\xc2\xa0" "234,5", ','), "1234.5", "no-break space");
	is_str(dec("1'234.5", '.'), "1234.5", "apostrophe, decimal point");
	is_str(dec("-12,5", ','), "-12.5", "sign kept");

	/* JSON lines objects. */
	is_str(obj("{\"a\":\"x\",\"b\":1.5,\"c\":true,\"d\":null}"),
	    "a=sx;b=r1.5;c=rtrue;d=n;", "scalars");
	is_str(obj(" {\"n\":\"J\\u00e9r\\u00f4me \\ud83d\\ude00\\n\\\"q\\\"\"} "),
	    "n=sJ\xc3\xa9r\xc3\xb4me \xf0\x9f\x98\x80\n\"q\";",
	    "escapes and a surrogate pair");
	is_str(obj("{\"attrs\":{\"tier\":\"gold\",\"x\":[1,\"}\"]},\"e\":\"\"}"),
	    "attrs=r{\"tier\":\"gold\",\"x\":[1,\"}\"]};e=s;",
	    "a nested object as its text; an empty string");
	is_str(obj("{}"), "", "an empty object");
	ok(strncmp(obj("[1,2]"), "ERR not a JSON object", 21) == 0,
	    "an array is refused");
	ok(strncmp(obj("{\"a\":1} x"), "ERR bad JSON: text after", 24) == 0,
	    "text after the object is refused");
	ok(strncmp(obj("{\"a\":\"\\u0000\"}"), "ERR bad JSON string", 19) == 0,
	    "a NUL is refused");
	ok(strncmp(obj("{\"a\" 1}"), "ERR bad JSON: expected ':'", 26) == 0,
	    "a missing colon is refused");
	return tap_done();
}
