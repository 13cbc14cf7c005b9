/*
 * merge.h - merging duplicate contacts and undoing merges.
 *
 * Merging (crm_merge_*) joins reviewed groups of contacts into one
 * survivor, field by field (see crm-dedupe(1), MERGE), and logs every
 * merge in the merges table with the two rows as they were, so that
 * crm_merge_undo() can restore them exactly.
 */
#ifndef CRM_MERGE_H
#define CRM_MERGE_H

#include <stdint.h>

#include "csvio.h"
#include "db.h"
#include "error.h"

/*
 * Merging.  Every function runs inside the caller's transaction
 * (crm_db_begin()) and commits nothing; a dry run rolls it back.
 */

/* Survivorship: which record survives and whose values win. */
enum crm_merge_rule {
	CRM_MERGE_RECENT,	/* the most recently updated record first */
	CRM_MERGE_COMPLETE,	/* the record with most values first */
	CRM_MERGE_SOURCE,	/* records whose external_id matches prefer */
};

struct crm_merge_opts {
	enum crm_merge_rule rule;
	const char *prefer;	/* fnmatch(3) pattern on external_id */
};

struct crm_merge_stats {
	int64_t read;		/* input records */
	int64_t skipped;	/* records marked no, or already merged */
	int64_t groups;		/* groups of two or more contacts */
	int64_t merged;		/* contacts merged away (rows in merges) */
	int64_t undone;		/* merges undone */
};

/* Parse a --rule value. */
int crm_merge_rule_parse(const char *s, enum crm_merge_rule *rule,
    struct crm_error *err);

/*
 * Merge the groups r describes: either pairs (columns id_a and id_b) or
 * clusters (cluster_id and id), as crm_dedupe_write_pairs() and
 * crm_dedupe_write_clusters() write them, possibly edited.  A contact is
 * its id ("17" or "#17"); a contact merged before stands for its
 * survivor.  Rows with a column match (or merge) holding no are skipped;
 * a score column is recorded with the merge.  Pairs are joined into
 * groups transitively.  Each group becomes one contact: the first record
 * by the rule survives, and each other is merged into it in turn, logged
 * in merges.  Writes one line per merge to o: merge_id, survivor_id,
 * merged_id, changed (the survivor's columns the merge changed,
 * comma-separated), under the header crm_merge_header() writes (once, for
 * any number of inputs).  CRM_EDATA (with file:line) for a bad id,
 * CRM_EDATA (with the file) for an unknown or erased contact.
 */
int crm_merge_header(struct crm_out *o, struct crm_error *err);
int crm_merge_run(struct crm_db *db, struct crm_csv *r,
    const struct crm_merge_opts *opts, struct crm_out *o,
    struct crm_merge_stats *st, struct crm_error *err);

/*
 * Undo merges.  Each key is "#ID" or "ID" of a merged-away contact (undo
 * its merge) or, for any other key and for the id of a survivor, the
 * contact crm_contact_resolve() finds (undo every merge into it).  The
 * merges are undone newest first; each restores both contacts as they
 * were, moves back what the merge moved, restores consent (appending
 * consent events; an opt-out recorded since the merge is kept) and marks
 * the merge undone.  A merge can be undone only when no later merge that
 * is still in force involves either of its contacts: CRM_EDATA names it.
 * Writes merge_id, survivor_id, merged_id for each to o.
 */
int crm_merge_undo(struct crm_db *db, char *const *keys, int nkeys,
    struct crm_out *o, struct crm_merge_stats *st, struct crm_error *err);

#endif
