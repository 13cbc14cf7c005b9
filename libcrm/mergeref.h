/*
 * mergeref.h - merging the rows of tables that refer to contacts, for
 * tables the merge code does not know by name.
 *
 * crm-dedupe merge knows how contacts, interactions, consent, segments,
 * campaigns and scores merge.  Every other table with a foreign key to
 * contacts (tickets, tasks, and whatever a later module adds) is found in
 * the schema; its rows move from the merged contact to the survivor, and
 * the moved rows are recorded in the merge so that unmerge moves exactly
 * those back.  A new module's table is then merged and unmerged with no
 * change here.
 */
#ifndef CRM_MERGEREF_H
#define CRM_MERGEREF_H

#include <stdint.h>

#include "db.h"
#include "error.h"

/*
 * Move the rows of the other tables from contact b to s, inside merge
 * merge_id's transaction, and record them in that merge's before JSON
 * ("moved": [[table, column, [rowid, ...]], ...]).
 */
int crm_mergeref_move(struct crm_db *db, int64_t merge_id, int64_t s,
    int64_t b, struct crm_error *err);

/* Move what merge merge_id recorded back to contact b. */
int crm_mergeref_undo(struct crm_db *db, int64_t merge_id, int64_t b,
    struct crm_error *err);

#endif
