/*
 * bizcal.h - business hours: a weekly schedule in a time zone, with
 * holidays, and the arithmetic service levels need.
 *
 * A calendar says, for each weekday, when the desk opens and closes in
 * local time ("mon-fri 09:00-17:00, sat 10:00-13:00"; "24x7" for always
 * open), in which IANA time zone ("Europe/Berlin"; UTC when none), and
 * which local dates are holidays (closed all day).  Local opening times
 * are turned into UTC instants day by day with the system's zone data, so
 * a day on which the clocks change is as long as the clocks say: a ticket
 * open across the change is charged the business time that really passed.
 *
 * The calendar keeps a cache of each day's opening in UTC, filled as days
 * are asked for; it is not safe to share between threads.  It sets TZ in
 * the environment while it converts (the C library offers no other way)
 * and puts the old value back.
 */
#ifndef CRM_BIZCAL_H
#define CRM_BIZCAL_H

#include <stdint.h>

#include "error.h"

struct crm_bizcal;

/* A calendar open around the clock in UTC, with no holidays. */
struct crm_bizcal *crm_bizcal_new(struct crm_error *err);
void crm_bizcal_free(struct crm_bizcal *c);

/*
 * The weekly hours: comma-separated "DAYS HH:MM-HH:MM" items, DAYS a day
 * (mon tue wed thu fri sat sun) or a range ("mon-fri"); "24x7" for always
 * open.  Days not named are closed.  Closing at 24:00 is midnight.
 * CRM_EUSAGE on a bad item, naming it.
 */
int crm_bizcal_hours(struct crm_bizcal *c, const char *spec,
    struct crm_error *err);

/* The time zone (an IANA name, checked against the system's zone data). */
int crm_bizcal_zone(struct crm_bizcal *c, const char *tz,
    struct crm_error *err);

/* A holiday, "YYYY-MM-DD" local date. */
int crm_bizcal_holiday(struct crm_bizcal *c, const char *date,
    struct crm_error *err);

/* Business seconds in [t0, t1) (UTC seconds); 0 when t1 <= t0. */
int64_t crm_bizcal_between(struct crm_bizcal *c, int64_t t0, int64_t t1);

/*
 * The instant at which secs business seconds have passed since t0: the
 * due time of a target.  With secs 0, t0 itself.  A calendar with no open
 * hours at all gives INT64_MAX.
 */
int64_t crm_bizcal_add(struct crm_bizcal *c, int64_t t0, int64_t secs);

/*
 * A duration as people write targets: "90m", "4h", "2d" (days of 24
 * business hours: a target of "1d" on a 9-17 calendar is three business
 * days; write "8h" for one working day), "1h30m", or bare minutes.
 */
int crm_bizcal_duration(const char *s, int64_t *secs, struct crm_error *err);

#endif
