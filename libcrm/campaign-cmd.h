/*
 * campaign-cmd.h - what crm-campaign says about a run: the counts for the
 * audit and the lines for standard error, built from the figures the
 * campaign functions return (campaign.h).  Lines go to buffers, one a
 * line ending in '\n' and without the program's name: warnings, which
 * the program prints even with -q, and the summary, which it prints
 * unless -q.  Nothing here prints or exits.
 */
#ifndef CRM_CAMPAIGN_CMD_H
#define CRM_CAMPAIGN_CMD_H

#include <stdint.h>

#include "buf.h"
#include "campaign.h"
#include "error.h"
#include "outfile.h"

/*
 * Stage the targets of the file at path ("-": standard input; flags as
 * crm_csv_open() takes them) in t: its header, then every record, calling
 * progress (when not NULL) with the records staged so far.
 */
int crm_campaign_targets_file(struct crm_campaign_targets *t,
    const char *path, int flags, void (*progress)(void *arg, int64_t n,
    const char *what), void *arg, struct crm_error *err);

/*
 * The suppressed members of campaign name (crm_campaign_suppressed()) to
 * f in fmt (an aligned table is written as CSV), then f closed, ready for
 * crm_outfile_commit().
 */
int crm_campaign_suppressed_file(struct crm_db *db, const char *name,
    struct crm_outfile *f, enum crm_fmt fmt, int excel_safe,
    struct crm_error *err);

/*
 * create: the counts for the audit ({"read":N,"members":N,"target":N,
 * "control":N,"suppressed":N} and each reason that suppressed anyone,
 * household last) into json; the summary ("winback: 12 read, 10
 * candidates: 8 target, 1 control, 1 suppressed (no_consent 1)", and
 * "; draft rebuilt" when a draft was replaced) into summary; with dry,
 * " (dry run: nothing written)" after it.
 */
int crm_campaign_create_notes(const struct crm_campaign_opts *o,
    const struct crm_campaign_counts *c, int dry, struct crm_buf *json,
    struct crm_buf *summary, struct crm_error *err);

/*
 * export: the targets left out and the placeholders of template (its
 * path; tp as loaded, or NULL) that rendered empty, into warn; "name: N
 * exported" into summary.
 */
int crm_campaign_export_notes(const char *name, const char *template,
    const struct crm_campaign_template *tp,
    const struct crm_campaign_export_stats *es, struct crm_buf *warn,
    struct crm_buf *summary, struct crm_error *err);

/* send: the counts for the audit into json, the summary line. */
int crm_campaign_send_notes(const char *name,
    const struct crm_campaign_send_stats *ss, int dry, struct crm_buf *json,
    struct crm_buf *summary, struct crm_error *err);

/*
 * report: a window still open at now and a missing control group into
 * warn; "name: sent T, kind responses until T" into summary.
 */
int crm_campaign_report_notes(const char *name, const char *kind,
    const struct crm_campaign_result *res, int64_t now, struct crm_buf *warn,
    struct crm_buf *summary, struct crm_error *err);

#endif
