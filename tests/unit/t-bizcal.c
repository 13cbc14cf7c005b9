/*
 * t-bizcal: business-hours arithmetic against cases worked by hand,
 * including a weekend, a holiday and the two clock changes of 2026 in
 * Europe/Berlin (29 March: 02:00 CET becomes 03:00 CEST; 25 October:
 * 03:00 CEST becomes 02:00 CET).
 */
#include <stdint.h>
#include <stdio.h>

#include "bizcal.h"
#include "norm.h"
#include "tap.h"

static int64_t
at(const char *s)
{
	struct crm_error err;
	int64_t t = 0;

	if (crm_norm_datetime(s, &t, &err) < 0)
		printf("# bad time %s: %s\n", s, err.msg);
	return t;
}

static void
is_time(int64_t got, const char *want, const char *name)
{
	char g[21];

	crm_format_time(got, g);
	is_str(g, want, name);
}

int
main(void)
{
	struct crm_bizcal *c;
	struct crm_error err;
	int64_t s;

	c = crm_bizcal_new(&err);
	ok(c != NULL, "new calendar");
	/* 24x7 in UTC: business time is wall time. */
	is_num((double)crm_bizcal_between(c, at("2026-01-01T10:00Z"),
	    at("2026-01-03T12:30Z")), 50.5 * 3600, 0, "24x7 UTC: wall time");
	is_num((double)crm_bizcal_between(c, at("2026-01-03T12:30Z"),
	    at("2026-01-01T10:00Z")), 0, 0, "an end before the start is 0");

	/* Weekdays 9-17 UTC, Christmas Day (a Friday in 2026) a holiday. */
	ok(crm_bizcal_hours(c, "mon-fri 09:00-17:00", &err) == 0, "hours");
	ok(crm_bizcal_holiday(c, "2026-12-25", &err) == 0, "holiday");
	/* Thu 16:00 + 4h: 1h on Thursday, Friday a holiday, the weekend
	 * closed, 3h on Monday: 12:00 on the 28th. */
	is_time(crm_bizcal_add(c, at("2026-12-24T16:00Z"), 4 * 3600),
	    "2026-12-28T12:00:00Z", "due over a holiday and a weekend");
	is_num((double)crm_bizcal_between(c, at("2026-12-24T16:00Z"),
	    at("2026-12-28T12:00Z")), 4 * 3600, 0, "and back again");
	/* Saturday 10:00 + 30m: Monday 09:30. */
	is_time(crm_bizcal_add(c, at("2026-12-05T10:00Z"), 1800),
	    "2026-12-07T09:30:00Z", "opened on a Saturday");
	/* Before opening: the clock starts at 09:00. */
	is_num((double)crm_bizcal_between(c, at("2026-12-07T07:00Z"),
	    at("2026-12-07T10:15Z")), 4500, 0, "before opening time");
	/* A whole week: 5 x 8h, less nothing. */
	is_num((double)crm_bizcal_between(c, at("2026-11-30T00:00Z"),
	    at("2026-12-07T00:00Z")), 40 * 3600, 0, "one week: 40h");
	/* Christmas week: 4 x 8h. */
	is_num((double)crm_bizcal_between(c, at("2026-12-21T00:00Z"),
	    at("2026-12-28T00:00Z")), 32 * 3600, 0, "Christmas week: 32h");

	/* Berlin, 9-17 local, across the spring change. */
	ok(crm_bizcal_zone(c, "Europe/Berlin", &err) == 0, "zone");
	/* Fri 27 March 16:00 CET (15:00Z) to Mon 30 March 10:00 CEST
	 * (08:00Z): 1h on Friday and 1h on Monday.  A fixed UTC+1 would
	 * open Monday at 08:00Z and count 1h in all. */
	is_num((double)crm_bizcal_between(c, at("2026-03-27T15:00Z"),
	    at("2026-03-30T08:00Z")), 2 * 3600, 0, "across the spring change");
	is_time(crm_bizcal_add(c, at("2026-03-27T15:00Z"), 2 * 3600),
	    "2026-03-30T08:00:00Z", "due across the spring change");
	/* Monday 30 March opens at 07:00Z (09:00 CEST). */
	is_time(crm_bizcal_add(c, at("2026-03-28T12:00Z"), 60),
	    "2026-03-30T07:01:00Z", "first minute after the change");
	/* Around the clock in Berlin: 25 October has 25 hours. */
	ok(crm_bizcal_hours(c, "24x7", &err) == 0, "24x7");
	is_num((double)crm_bizcal_between(c, at("2026-10-24T22:00Z"),
	    at("2026-10-25T23:00Z")), 25 * 3600, 0, "autumn change: 25h day");
	/* ... and 29 March has 23 hours. */
	is_num((double)crm_bizcal_between(c, at("2026-03-28T23:00Z"),
	    at("2026-03-29T22:00Z")), 23 * 3600, 0, "spring change: 23h day");

	ok(crm_bizcal_zone(c, "Mars/Olympus_Mons", &err) < 0 &&
	    err.code == CRM_EUSAGE, "unknown zone refused: %s", err.msg);
	ok(crm_bizcal_hours(c, "mon-fri 17:00-09:00", &err) < 0 &&
	    err.code == CRM_EUSAGE, "closing before opening refused: %s",
	    err.msg);
	ok(crm_bizcal_hours(c, "someday 09:00-17:00", &err) < 0,
	    "unknown day refused");
	ok(crm_bizcal_hours(c, "sat-mon 10:00-12:00", &err) == 0,
	    "a range over the week's end");
	is_num((double)crm_bizcal_between(c, at("2026-12-04T00:00Z"),
	    at("2026-12-09T00:00Z")), 3 * 7200, 0,
	    "sat, sun, mon open; Christmas not in range");
	crm_bizcal_free(c);

	ok(crm_bizcal_duration("1h30m", &s, &err) == 0 && s == 5400, "1h30m");
	ok(crm_bizcal_duration("2d", &s, &err) == 0 && s == 172800, "2d");
	ok(crm_bizcal_duration("90", &s, &err) == 0 && s == 5400,
	    "bare minutes");
	ok(crm_bizcal_duration("4x", &s, &err) < 0, "4x refused");
	ok(crm_bizcal_duration("", &s, &err) < 0, "empty refused");
	return tap_done();
}
