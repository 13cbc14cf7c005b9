/*
 * segment-cmd.h - crm-segment's commands as library calls: what each
 * reads or writes, given the options the program parsed.  Summary lines
 * go to a buffer the program prints (unless quiet); nothing here prints
 * or exits.
 */
#ifndef CRM_SEGMENT_CMD_H
#define CRM_SEGMENT_CMD_H

#include "buf.h"
#include "csvio.h"
#include "db.h"
#include "error.h"
#include "expr.h"
#include "kmeans.h"
#include "segment.h"

enum crm_segment_cmd {
	CRM_SEG_RFM, CRM_SEG_KMEANS, CRM_SEG_SELECT, CRM_SEG_PROFIT,
	CRM_SEG_PAIRS, CRM_SEG_RECOMMEND, CRM_SEG_LIST, CRM_SEG_SHOW,
	CRM_SEG_SAVE, CRM_SEG_DROP, CRM_SEG_REFRESH, CRM_SEG_RATES,
	CRM_SEG_PRODUCTS,
};

struct crm_segment_args {
	struct crm_rfm_opts ro;
	struct crm_kmeans_opts ko;
	const struct crm_expr *expr;	/* select, parsed */
	const char *where;	/* save: the rule's text */
	const char *by, *currency, *costs, *channel;
	double minsup;
	int explain, bycat, replace, noffers, tsv;
	const char *region;	/* save from a list: $CRM_REGION */
};

/*
 * Four ascending numbers "a,b,c,d" into out; -1 if arg is not that.
 */
int crm_segment_cuts(const char *arg, double out[4]);

/*
 * A reading command: rows on o, --explain lines on explain, a summary
 * line on summary.  name: show's segment.  CRM_EUSAGE for options that
 * do not go together.
 */
int crm_segment_read(struct crm_db *db, enum crm_segment_cmd what,
    struct crm_segment_args *a, const char *name, struct crm_out *o,
    struct crm_buf *explain, struct crm_buf *summary,
    struct crm_error *err);

/*
 * A writing command in the caller's transaction: save, drop, refresh
 * (names, or every rule segment when n is 0), rates or products (a
 * file).  *count gets the members or rows read.
 */
int crm_segment_write(struct crm_db *db, enum crm_segment_cmd what,
    const struct crm_segment_args *a, char **names, size_t n,
    int64_t *count, struct crm_buf *summary, struct crm_error *err);

#endif
