/*
 * deal-compat.h - TEMPORARY: the statement API of issue 21 (struct
 * crm_stmt, crm_db_col_*) over the old db.h, until the integrator's
 * conversion lands; then this file goes and nothing else changes.
 */
#ifndef CRM_DEAL_COMPAT_H
#define CRM_DEAL_COMPAT_H

#include <sqlite3.h>

#include "db.h"

#define crm_stmt sqlite3_stmt

static inline int64_t
crm_db_col_int(struct crm_stmt *st, int i)
{
	return sqlite3_column_int64(st, i);
}

static inline double
crm_db_col_double(struct crm_stmt *st, int i)
{
	return sqlite3_column_double(st, i);
}

static inline int
crm_db_col_isnull(struct crm_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL;
}

static inline void
crm_db_reset(struct crm_stmt *st)
{
	if (st != NULL)
		sqlite3_reset(st);
}

static inline void
crm_db_finalize(struct crm_stmt *st)
{
	sqlite3_finalize(st);
}

static inline int64_t
crm_db_changes(struct crm_db *db)
{
	return sqlite3_changes64(crm_db_handle(db));
}

#endif
