#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mergeref.h"

/* The tables crm-dedupe merges by name (dedupe.c). */
static const char sql_tables[] =
    "SELECT m.name, f.\"from\" FROM sqlite_schema m,"
    " pragma_foreign_key_list(m.name) f WHERE m.type = 'table'"
    " AND lower(f.\"table\") = 'contacts' AND m.name NOT IN"
    " ('contacts', 'consent_events', 'interactions', 'segment_members',"
    " 'campaign_members', 'scores', 'merges') ORDER BY m.name, f.id";

/* "tbl"."col" names come from the schema, never from user text; they
 * are quoted all the same. */
static int
quoted(struct crm_buf *b, const char *name, struct crm_error *err)
{
	const char *p;

	if (crm_buf_addc(b, '"', err) < 0)
		return -1;
	for (p = name; *p != '\0'; p++)
		if ((*p == '"' && crm_buf_addc(b, '"', err) < 0) ||
		    crm_buf_addc(b, *p, err) < 0)
			return -1;
	return crm_buf_addc(b, '"', err);
}

/* Run sql with ?1 and ?2 bound to integers, ?3 and ?4 to text, each only
 * as far as the statement has parameters. */
static int
run(struct crm_db *db, const char *sql, int64_t a, int64_t b, const char *t3,
    const char *t4, struct crm_error *err)
{
	struct crm_stmt *st;
	int rc, n;

	if ((st = crm_db_prepare(db, sql, err)) == NULL)
		return -1;
	n = crm_db_bind_count(st);
	rc = crm_db_bind_int(db, st, 1, a, err) < 0 ||
	    (n >= 2 && crm_db_bind_int(db, st, 2, b, err) < 0) ||
	    (n >= 3 && crm_db_bind_text(db, st, 3, t3, err) < 0) ||
	    (n >= 4 && crm_db_bind_text(db, st, 4, t4, err) < 0) ||
	    crm_db_step(db, st, err) < 0 ? -1 : 0;
	crm_db_finalize(st);
	return rc;
}

int
crm_mergeref_move(struct crm_db *db, int64_t merge_id, int64_t s, int64_t b,
    struct crm_error *err)
{
	struct crm_buf sql = CRM_BUF_INIT(4096);
	struct crm_stmt *st;
	char *tbl = NULL, *col = NULL;
	int rc, ret = -1;

	if ((st = crm_db_prepare(db, sql_tables, err)) == NULL)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		free(tbl);
		free(col);
		tbl = strdup(crm_db_col_text(st, 0));
		col = strdup(crm_db_col_text(st, 1));
		if (tbl == NULL || col == NULL) {
			crm_error_set(err, CRM_EFAIL, "out of memory");
			goto done;
		}
		/* Record the rows, then move them. */
		crm_buf_reset(&sql);
		if (crm_buf_adds(&sql, "UPDATE merges SET before = json_set("
		    "before, '$.moved', json_insert(coalesce(json_extract("
		    "before, '$.moved'), '[]'), '$[#]', json_array(?4, ?3,"
		    " (SELECT json_group_array(rowid) FROM ", err) < 0 ||
		    quoted(&sql, tbl, err) < 0 ||
		    crm_buf_adds(&sql, " WHERE ", err) < 0 ||
		    quoted(&sql, col, err) < 0 ||
		    crm_buf_adds(&sql, " = ?2)))) WHERE id = ?1", err) < 0)
			goto done;
		if (run(db, crm_buf_str(&sql), merge_id, b, col, tbl, err) < 0)
			goto done;
		crm_buf_reset(&sql);
		if (crm_buf_adds(&sql, "UPDATE ", err) < 0 ||
		    quoted(&sql, tbl, err) < 0 ||
		    crm_buf_adds(&sql, " SET ", err) < 0 ||
		    quoted(&sql, col, err) < 0 ||
		    crm_buf_adds(&sql, " = ?1 WHERE ", err) < 0 ||
		    quoted(&sql, col, err) < 0 ||
		    crm_buf_adds(&sql, " = ?2", err) < 0 ||
		    run(db, crm_buf_str(&sql), s, b, NULL, NULL, err) < 0)
			goto done;
	}
	if (rc < 0)
		goto done;
	ret = 0;
done:
	crm_db_finalize(st);
	free(tbl);
	free(col);
	crm_buf_release(&sql);
	return ret;
}

int
crm_mergeref_undo(struct crm_db *db, int64_t merge_id, int64_t b,
    struct crm_error *err)
{
	struct crm_buf sql = CRM_BUF_INIT(4096);
	struct crm_stmt *st;
	char *tbl = NULL, *col = NULL, *ids = NULL;
	int rc, ret = -1;

	if ((st = crm_db_prepare(db, "SELECT json_extract(j.value, '$[0]'),"
	    " json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]')"
	    " FROM merges m, json_each(m.before, '$.moved') j"
	    " WHERE m.id = ?1", err)) == NULL)
		return -1;
	if (crm_db_bind_int(db, st, 1, merge_id, err) < 0)
		goto done;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		free(tbl);
		free(col);
		free(ids);
		tbl = strdup(crm_db_col_text(st, 0));
		col = strdup(crm_db_col_text(st, 1));
		ids = strdup(crm_db_col_text(st, 2));
		if (tbl == NULL || col == NULL || ids == NULL) {
			crm_error_set(err, CRM_EFAIL, "out of memory");
			goto done;
		}
		crm_buf_reset(&sql);
		if (crm_buf_adds(&sql, "UPDATE ", err) < 0 ||
		    quoted(&sql, tbl, err) < 0 ||
		    crm_buf_adds(&sql, " SET ", err) < 0 ||
		    quoted(&sql, col, err) < 0 ||
		    crm_buf_adds(&sql, " = ?1 WHERE rowid IN (SELECT value FROM"
		    " json_each(?3)) AND ?2 = ?2", err) < 0 ||
		    run(db, crm_buf_str(&sql), b, 0, ids, NULL, err) < 0)
			goto done;
	}
	if (rc < 0)
		goto done;
	ret = 0;
done:
	crm_db_finalize(st);
	free(tbl);
	free(col);
	free(ids);
	crm_buf_release(&sql);
	return ret;
}
