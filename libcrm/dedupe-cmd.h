/*
 * dedupe-cmd.h - what crm-dedupe says about a run: its summary lines and
 * the merge's audit counts, built from the figures dedupe.h, merge.h and
 * household.h return.  Lines go to a buffer, each ending in '\n' and
 * without the program's name.  Nothing here prints or exits.
 */
#ifndef CRM_DEDUPE_CMD_H
#define CRM_DEDUPE_CMD_H

#include <stdint.h>

#include "buf.h"
#include "dedupe.h"
#include "error.h"
#include "merge.h"

/*
 * Load the records of the file at path ("-": standard input; flags as
 * crm_csv_open() takes them) into d, the id from column idcol, the
 * columns mapped by map (both may be NULL; crm_dedupe_load_csv()).
 * *tsv gets 1 when the file was read as TSV.
 */
int crm_dedupe_load_file(struct crm_dedupe *d, const char *path, int flags,
    const char *idcol, const char *map, int *tsv, struct crm_error *err);

/*
 * Write what a run found: what is 'L' the links, 'M' the model, 'c' the
 * clusters, 'p' the pairs, anything else the input file with a cluster
 * column.
 */
int crm_dedupe_write(struct crm_dedupe *d, int what, struct crm_out *o,
    struct crm_error *err);

/* find ("N records, N candidate pairs, N matching, N clusters of N
 * records") or link ("..., N linked"). */
int crm_dedupe_notes(const struct crm_dedupe_stats *s, int link,
    struct crm_buf *summary, struct crm_error *err);

/* households: "N households of two or more, N people in them". */
int crm_household_notes(int64_t households, int64_t members,
    struct crm_buf *summary, struct crm_error *err);

/*
 * Merge the pairs or clusters of the file at path ("-": standard input;
 * flags as crm_csv_open() takes them): crm_merge_run() on it.
 */
int crm_merge_file(struct crm_db *db, const char *path, int flags,
    const struct crm_merge_opts *opts, struct crm_out *o,
    struct crm_merge_stats *st, struct crm_error *err);

/* merge or unmerge (undo): the audit counts into json, the summary. */
int crm_merge_notes(const struct crm_merge_stats *st, int undo, int dry,
    struct crm_buf *json, struct crm_buf *summary, struct crm_error *err);

#endif
