/*
 * bulk.h - what a large import does differently, inside its one
 * transaction: secondary indexes it does not read are dropped when the
 * batch has grown large against the table and built again, in one sort,
 * just before the commit (SQLite builds an index from sorted keys far
 * faster than it inserts the same keys one by one at random places).
 * The database at the commit is the same as without it; a kill -9 in
 * between leaves the transaction, dropped indexes and all, undone.
 */
#ifndef CRM_BULK_H
#define CRM_BULK_H

#include <stdint.h>

#include "db.h"
#include "error.h"

#define CRM_BULK_MAX_INDEXES 8

struct crm_bulk {
	struct crm_db *db;
	int n;
	char *name[CRM_BULK_MAX_INDEXES];	/* dropped, to build again */
	char *sql[CRM_BULK_MAX_INDEXES];
};

/*
 * Records a batch takes before its bulk path may start: $CRM_BULK_MIN when
 * set (a number; "off" or a negative one: never; tests use 1 and "off" to
 * compare the paths), else 20000, or 1000 on PostgreSQL (pg), where the
 * bulk path also saves a round trip to the server per record.  INT64_MAX
 * for never.
 */
int64_t crm_bulk_min(int pg);

/*
 * Whether a batch on db that has read n records, into a table that had
 * rows rows before it, now takes the bulk path: n >= crm_bulk_min() and
 * n at least a quarter of rows.
 */
int crm_bulk_due(struct crm_db *db, int64_t n, int64_t rows);

/* Drop index name (if it exists), keeping its definition in b. */
int crm_bulk_drop(struct crm_bulk *b, struct crm_db *db, const char *name,
    struct crm_error *err);

/* 1 if index name is dropped by b. */
int crm_bulk_dropped(const struct crm_bulk *b, const char *name);

/* Build index name again now (NULL: all of b's), and forget it. */
int crm_bulk_restore(struct crm_bulk *b, const char *name,
    struct crm_error *err);

/* Forget b's definitions (after a rollback, or a restore). */
void crm_bulk_clear(struct crm_bulk *b);

#endif
