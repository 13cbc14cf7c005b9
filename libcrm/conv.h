/*
 * conv.h - values as other systems export them, rewritten into the forms
 * the importers take: time stamps into ISO 8601 UTC, numbers with a
 * decimal comma into a decimal point.
 *
 * Pure functions: no I/O, no database.  The reader (csvio) applies them
 * to the columns an importer declares as times, dates or numbers.
 */
#ifndef CRM_CONV_H
#define CRM_CONV_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

#define CRM_CONV_OUT 32

/*
 * A time stamp as exports write it, to "YYYY-MM-DDTHH:MM:SSZ" in out, or
 * (date_only) to "YYYY-MM-DD".  Without a format it takes:
 *
 *	2024-05-08, 2024/05/08, 20240508
 *	2024-05-08 10:23[:45[.123]] and with T instead of the blank
 *	31.12.2024 [10:23[:45]]            (a dot: always day first)
 *	12/31/2024 or 31/12/2024 [10:23]    (a slash: only when one of the
 *	                                    first two numbers is over 12)
 *	a time followed by AM or PM, and by Z, UTC, GMT, +01:00, +0100, +01
 *	(with or without a blank before it)
 *
 * A time without an offset is UTC.  fmt, when given, is a strptime-like
 * pattern (%Y %y %m %d %e %H %I %M %S %p %b %z %%, a blank matches any
 * run of blanks) for the date and, optionally, the time; a time of day
 * after what the pattern matched is still taken.  fmt "excel" reads
 * Excel's serial day numbers (45384.5 is 2024-04-02T12:00:00Z).
 *
 * Returns 1 when out holds the rewritten value, 0 when the value is not
 * a time stamp this recognises (*why then says why, or NULL: the caller
 * leaves the value for the importer to reject), never an error.
 */
int crm_conv_time(const char *in, const char *fmt, int date_only,
    char out[CRM_CONV_OUT], const char **why);

/*
 * A date as crm_conv_time() takes it without a format (a date-time: its
 * own calendar day, at its offset), as days since 1970-01-01 into *day.
 * 0, or -1 when in is not one.
 */
int crm_conv_day(const char *in, int64_t *day);

/*
 * A number written with decimal as its decimal separator (',' or '.'):
 * the other one, blanks, no-break spaces and apostrophes between digits
 * are taken as grouping and dropped; the decimal separator becomes '.'.
 * Anything else (a currency sign or code) is kept.  Appends to out.
 */
int crm_conv_decimal(const char *in, int decimal, struct crm_buf *out,
    struct crm_error *err);

#endif
