/*
 * service.h - the service desk: tickets with owners, priorities and
 * service levels, and the history of every change to them.
 *
 * Tables (this module owns them): tickets (one row per help-desk ticket,
 * keyed by its ref), ticket_events (every change of status, priority,
 * assignee or team: when, from, to, by whom, why), service_policy (the
 * first-response and resolution targets per priority, optionally per
 * channel) and service_calendar (the business hours, time zone and
 * holidays the targets are counted in).
 *
 * Import.  Each record is a ticket's state at a time: a help desk's export
 * (one row per ticket) or its audit log (one row per change) both work.
 * The first record of a ref creates the ticket; a later one records an
 * event for each field that differs and updates the ticket.  A record no
 * newer than what is stored (its time at or before the ticket's last
 * change) changes nothing, so re-running any import is safe.  Statuses:
 * new, open, pending, hold (on-hold), solved, closed; open and closed for
 * the statistics are {new, open, pending, hold} and {solved, closed}.
 * Priorities: low, normal, high, urgent.  A change of team is a hand-off,
 * counted per ticket.  Leaving solved or closed for an open state is a
 * reopen.
 *
 * The clocks.  First response: from creation to the first response (the
 * export's first-response time, else the first change of status away from
 * new).  Resolution: business time while the status is new or open, so
 * pending and on-hold (waiting for the customer) stop the clock, until
 * solved; a reopened ticket's clock runs again.  Both are counted in
 * business hours of the service calendar (bizcal.h) and compared with the
 * policy of the ticket's priority and channel (a channel's own row before
 * the priority's row with no channel).
 */
#ifndef CRM_SERVICE_H
#define CRM_SERVICE_H

#include <stdint.h>

#include "csvio.h"
#include "db.h"
#include "error.h"

extern const char crm_service_schema[];

struct crm_service_stats {
	int64_t read, inserted, changed, unchanged, rejected, events;
	int64_t handoffs, reopens;
};

struct crm_ticketer;

/* An importer inside the caller's transaction; region for phone keys. */
struct crm_ticketer *crm_ticketer_new(struct crm_db *db, const char *region,
    struct crm_error *err);
void crm_ticketer_free(struct crm_ticketer *t);
int crm_ticketer_header(struct crm_ticketer *t, struct crm_csv *r,
    struct crm_error *err);
/* Store r's current record; CRM_EDATA concerns this record only. */
int crm_ticketer_row(struct crm_ticketer *t, struct crm_csv *r,
    struct crm_error *err);
const struct crm_service_stats *crm_ticketer_stats(
    const struct crm_ticketer *t);

/*
 * The service policy.  Setting replaces what is named and keeps the rest:
 * hours and zone (NULL: keep), holidays (added), targets "PRIORITY[/CHANNEL]
 * =FIRST,RESOLUTION" with durations as crm_bizcal_duration() reads them.
 * Without any stored policy the defaults are: around the clock in UTC;
 * urgent 1h and 4h, high 4h and 1d, normal 8h and 3d, low 1d and 5d.
 */
int crm_service_set_hours(struct crm_db *db, const char *hours,
    const char *zone, struct crm_error *err);
int crm_service_add_holiday(struct crm_db *db, const char *date,
    const char *name, struct crm_error *err);
int crm_service_set_target(struct crm_db *db, const char *spec,
    struct crm_error *err);
/*
 * All of a change at once, as crm-ticket policy takes it: hours and zone
 * (NULL: keep), holidays as "DATE" or "DATE=NAME", targets as above.
 * Call inside a transaction; nothing is stored past the first error.
 */
struct crm_service_change {
	const char *hours, *zone;
	const char *const *holiday;
	size_t nholiday;
	const char *const *target;
	size_t ntarget;
};
int crm_service_change(struct crm_db *db, const struct crm_service_change *c,
    struct crm_error *err);
/* The policy as rows: setting, value. */
int crm_service_policy(struct crm_db *db, struct crm_out *o,
    struct crm_error *err);

/* Report groupings. */
enum crm_service_by {
	CRM_SERVICE_ALL,
	CRM_SERVICE_TEAM,
	CRM_SERVICE_ASSIGNEE,
	CRM_SERVICE_CHANNEL,
	CRM_SERVICE_PRIORITY,
	CRM_SERVICE_MONTH,	/* of creation */
};

int crm_service_by_parse(const char *s, enum crm_service_by *by,
    struct crm_error *err);

/* One group of the service-level report, as numbers. */
struct crm_service_row {
	const char *group;	/* "all" for CRM_SERVICE_ALL */
	int64_t tickets, open, solved;
	int64_t fr_measured, fr_met;	/* first response */
	double fr_median, fr_p90;	/* business hours; NAN when none */
	int64_t res_measured, res_met;	/* solved tickets */
	double res_median, res_p90;
	int64_t breached_open;	/* open, past a target at asof */
	int64_t at_risk;	/* open, a target due within the window */
	int64_t handoffs, reopens;
	int64_t csat_n;		/* rated tickets */
	double csat_mean;	/* 1-5 */
};

/*
 * The service-level report as of asof over tickets created in [since,
 * asof) (since 0: all): fn is called once per group, in group order.
 * risk_window is the look-ahead, in business seconds, for at_risk.
 */
int crm_service_report(struct crm_db *db, int64_t asof, int64_t since,
    enum crm_service_by by, int64_t risk_window,
    int (*fn)(void *arg, const struct crm_service_row *row,
    struct crm_error *err), void *arg, struct crm_error *err);

/* The report written to o, one row per group. */
int crm_service_report_out(struct crm_db *db, int64_t asof, int64_t since,
    enum crm_service_by by, int64_t risk_window, struct crm_out *o,
    struct crm_error *err);

/*
 * Open tickets whose next target (first response, else resolution) is due
 * within window business seconds of asof, or already breached; with
 * breached_only, those only.  team and assignee filter when not NULL.
 * Most urgent first.
 */
int crm_service_due(struct crm_db *db, int64_t asof, int64_t window,
    int breached_only, const char *team, const char *assignee,
    struct crm_out *o, struct crm_error *err);

/* A ticket's history: its events, oldest first. */
int crm_service_history(struct crm_db *db, const char *ref,
    struct crm_out *o, struct crm_error *err);

#endif
