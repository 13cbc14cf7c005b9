/*
 * report.h - the nightly report: what the other programs compute, for
 * people to look at, as one self-contained HTML page (inline SVG charts and
 * CSS; no script, nothing fetched) or a plain-text summary for a mail body.
 *
 * The report covers a period of whole UTC days, from the day of
 * opts->since to the end of the day of opts->asof (by default the 13 weeks
 * that end with the as-of day).  Charts over time group that period in
 * weeks counted back from its end (so the last bar is always a full week;
 * the first may be shorter), or in calendar months when it is longer than
 * 26 weeks.
 *
 * Its numbers are those the other programs print for the same database
 * (the library functions are called, or their queries repeated exactly):
 *
 *  - contacts by stage and owner count what crm-segment profit --by stage
 *    or owner counts (neither merged away nor erased);
 *  - interactions per channel and kind in the period are crm-log stats
 *    with --as-of the day after the as-of day and a window of the
 *    period's days; tickets are crm-log stats --tickets over the same
 *    window (crm_log_tickets());
 *  - RFM segments, their revenue and the revenue deciles come from
 *    crm_rfm() as of the as-of day, and equal crm-segment profit --by rfm
 *    and --by decile (contacts, revenue, share, cumulative share);
 *  - churn and value read the scores table that crm-churn score stored;
 *  - each campaign is crm_campaign_measure() (crm-campaign report) with a
 *    window of opts->campaign_window days and kind purchase.
 *
 * Movement between RFM segments needs the segments of the previous
 * report: a state file (opts->state) keeps, per contact, the segment of
 * the last as-of day reported on and of the one before.  A report for a
 * later day compares with the last one and then shifts it back; a report
 * for the same day again compares with the one before (so a re-run says
 * the same); a report for an earlier day compares with nothing and leaves
 * the file alone.  The file is replaced atomically, mode 0600; it holds
 * contact ids and segment names only, no personal data.
 *
 * Every function fills err and returns -1 (or NULL) on failure: CRM_EFAIL
 * for the database, memory or a write error, CRM_EDATA for a state file
 * that is not one.  Empty tables are not errors: their sections say "no
 * data".
 */
#ifndef CRM_REPORT_H
#define CRM_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "db.h"
#include "error.h"

struct crm_report_opts {
	int64_t asof;		/* a moment in the last day reported on */
	int64_t since;		/* a moment in the first day; 0 for the 13
				   weeks that end with the as-of day */
	const char *state;	/* the segment snapshot file, or NULL */
	int64_t top;		/* rows of the at-risk table; 0 for 20 */
	int64_t campaign_window;	/* days; 0 for 30 */
	double at_risk;		/* P(alive) below this is at risk; 0: 0.5 */
	const char *db_name;	/* shown in the heading; may be NULL */
	int64_t now;		/* when the report is made (crm_now()) */
	const char *currency;	/* segments' money in it (rates.h), or NULL */
	const char *costs;	/* the cost file of crm-segment profit, or
				   NULL (product.h) */
	const char *owner;	/* one owner's report, or NULL (below) */
};

struct crm_report;

/*
 * Gather every number of the report from db, reading only, and read the
 * previous snapshot from opts->state if there is one.  The RFM segments
 * are computed in a second thread on a second connection to the same
 * file, whose read transaction starts right after db's, so that all
 * sections see the same data (unless a write commits in that instant).
 * Both connections read through memory-mapped I/O (PRAGMA mmap_size,
 * left set on db).  CRM_EUSAGE when since is after asof.  Free with
 * crm_report_free().
 */
struct crm_report *crm_report_build(struct crm_db *db,
    const struct crm_report_opts *opts, struct crm_error *err);

void crm_report_free(struct crm_report *r);

/* Write the report as one HTML document, UTF-8, to fp. */
int crm_report_html(const struct crm_report *r, FILE *fp,
    struct crm_error *err);

/* Write the plain-text summary (lines of at most 78 columns) to fp. */
int crm_report_text(const struct crm_report *r, FILE *fp,
    struct crm_error *err);

/*
 * Write the report as a mail for sendmail -t to fp: headers (To and From
 * when not NULL, Subject, by default "CRM report for DAY", Date), then a
 * MIME multipart/alternative body of the text summary and the HTML page.
 * to, from and subject must not hold line breaks; non-ASCII is encoded.
 */
int crm_report_mail(const struct crm_report *r, FILE *fp, const char *to,
    const char *from, const char *subject, struct crm_error *err);

/*
 * Write the new snapshot to opts->state (a temporary file beside it, then
 * rename), as described above; nothing when there is no state file or
 * the report is for an earlier day than the file's.
 */
int crm_report_save_state(const struct crm_report *r, struct crm_error *err);

/* A line for standard error: "as of DAY: N contacts, ..., K sections
 * without data".  Static storage in r. */
const char *crm_report_summary(const struct crm_report *r);

#endif
