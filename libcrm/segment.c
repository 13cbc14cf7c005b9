/*
 * segment.c - rule-based selections and saved segments.
 */
#include <sys/types.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmeans.h"
#include "norm.h"
#include "segment.h"

static const char *const member_names[] = { "id", "external_id", "email",
    "first_name", "last_name" };
static const enum crm_coltype member_types[] = { CRM_COL_NUM, CRM_COL_TEXT,
    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_TEXT };

static int
emit_members(struct crm_db *db, struct crm_stmt *st, struct crm_out *o,
    int64_t *count, struct crm_error *err)
{
	const char *vals[5];
	int step, i;

	if (count != NULL)
		*count = 0;
	if (crm_out_header(o, member_names, member_types, 5, err) < 0)
		return -1;
	while ((step = crm_db_step(db, st, err)) == 1) {
		for (i = 0; i < 5; i++)
			vals[i] = crm_db_col_text(st, i);
		if (crm_out_row(o, vals, err) < 0)
			return -1;
		if (count != NULL)
			(*count)++;
	}
	return step < 0 ? -1 : 0;
}

int
crm_segment_select(struct crm_db *db, const struct crm_expr *e,
    struct crm_out *o, int64_t *count, struct crm_error *err)
{
	struct crm_buf sql = CRM_BUF_INIT(1 << 20);
	struct crm_stmt *st = NULL;
	int rc = -1;

	if (crm_buf_addf(&sql, err, "SELECT c.id, c.external_id, c.email,"
	    " c.first_name, c.last_name %s WHERE c.merged_into IS NULL AND"
	    " c.erased_at IS NULL AND (%s) ORDER BY c.id", crm_expr_from(e),
	    crm_expr_sql(e)) < 0 ||
	    (st = crm_db_prepare(db, crm_buf_str(&sql), err)) == NULL)
		goto done;
	if (crm_expr_bind(e, db, st, 1, err) < 0)
		goto done;
	rc = emit_members(db, st, o, count, err);
done:
	crm_db_finalize(st);
	crm_buf_release(&sql);
	return rc;
}

/* The id of segment name, 0 if none. */
static int
segment_id(struct crm_db *db, const char *name, int64_t *id, char **rule,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int rc;

	*id = 0;
	if ((st = crm_db_stmt(db, "SELECT id, rule FROM segments WHERE"
	    " name = ?", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, name, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 1) {
		*id = crm_db_col_int(st, 0);
		if (rule != NULL) {
			const char *r = crm_db_col_text(st, 1);

			*rule = r ? strdup(r) : NULL;
		}
		crm_db_reset(st);
	}
	return 0;
}

/* Create or (with replace) empty segment name; *id gets it. */
static int
segment_make(struct crm_db *db, const char *name, const char *kind,
    const char *rule, int replace, int64_t *id, struct crm_error *err)
{
	struct crm_stmt *st;
	int64_t now = crm_now();

	if (crm_blank(name))
		return crm_error_set(err, CRM_EUSAGE, "empty segment name");
	if (segment_id(db, name, id, NULL, err) < 0)
		return -1;
	if (*id != 0 && !replace)
		return crm_error_set(err, CRM_EUSAGE, "segment '%s' exists"
		    " (--replace to overwrite it)", name);
	if (*id != 0) {
		if ((st = crm_db_stmt(db, "DELETE FROM segment_members WHERE"
		    " segment_id = ?", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, *id, err) < 0 ||
		    crm_db_step(db, st, err) < 0 ||
		    (st = crm_db_stmt(db, "UPDATE segments SET kind = ?2,"
		    " rule = ?3, computed_at = ?4, updated_at = ?4 WHERE"
		    " id = ?1", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, *id, err) < 0 ||
		    crm_db_bind_text(db, st, 2, kind, err) < 0 ||
		    crm_db_bind_text(db, st, 3, rule, err) < 0 ||
		    crm_db_bind_int(db, st, 4, now, err) < 0 ||
		    crm_db_step(db, st, err) < 0)
			return -1;
		return 0;
	}
	if ((st = crm_db_stmt(db, "INSERT INTO segments (name, kind, rule,"
	    " computed_at, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4,"
	    " ?4)", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, name, err) < 0 ||
	    crm_db_bind_text(db, st, 2, kind, err) < 0 ||
	    crm_db_bind_text(db, st, 3, rule, err) < 0 ||
	    crm_db_bind_int(db, st, 4, now, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	*id = crm_db_last_id(db);
	return 0;
}

/* Fill rule segment id from its expression. */
static int
fill_rule(struct crm_db *db, int64_t id, const char *rule, int64_t asof,
    int64_t *count, int *col, struct crm_error *err)
{
	struct crm_buf sql = CRM_BUF_INIT(1 << 20);
	struct crm_expr *e;
	struct crm_stmt *st = NULL;
	int rc = -1, c;

	if ((e = crm_expr_parse(rule, asof, col ? col : &c, err)) == NULL)
		return -1;
	if (crm_buf_addf(&sql, err, "INSERT INTO segment_members (segment_id,"
	    " contact_id) SELECT ?%d, c.id %s WHERE c.merged_into IS NULL AND"
	    " c.erased_at IS NULL AND (%s)", crm_expr_nparams(e) + 1,
	    crm_expr_from(e), crm_expr_sql(e)) < 0 ||
	    (st = crm_db_prepare(db, crm_buf_str(&sql), err)) == NULL)
		goto done;
	if (crm_expr_bind(e, db, st, 1, err) < 0 ||
	    crm_db_bind_int(db, st, crm_expr_nparams(e) + 1, id, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		goto done;
	*count = crm_db_changes(db);
	rc = 0;
done:
	crm_db_finalize(st);
	crm_buf_release(&sql);
	crm_expr_free(e);
	return rc;
}

int
crm_segment_save_rule(struct crm_db *db, const char *name, const char *rule,
    int64_t asof, int replace, int64_t *count, int *col,
    struct crm_error *err)
{
	int64_t id;

	if (segment_make(db, name, "rule", rule, replace, &id, err) < 0)
		return -1;
	return fill_rule(db, id, rule, asof, count, col, err);
}

int
crm_segment_save_list(struct crm_db *db, const char *name, const int64_t *ids,
    size_t n, int replace, int64_t *count, struct crm_error *err)
{
	struct crm_stmt *st;
	int64_t id;
	size_t i;

	if (segment_make(db, name, "list", NULL, replace, &id, err) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if ((st = crm_db_stmt(db, "INSERT INTO segment_members"
		    " (segment_id, contact_id) VALUES (?, ?)"
		    " ON CONFLICT DO NOTHING", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, id, err) < 0 ||
		    crm_db_bind_int(db, st, 2, ids[i], err) < 0 ||
		    crm_db_step(db, st, err) < 0)
			return -1;
	if ((st = crm_db_stmt(db, "SELECT count(*) FROM segment_members WHERE"
	    " segment_id = ?", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	*count = crm_db_col_int(st, 0);
	crm_db_reset(st);
	return 0;
}

int
crm_segment_refresh(struct crm_db *db, const char *name, int64_t asof,
    int64_t *count, struct crm_error *err)
{
	struct crm_stmt *st;
	char *rule = NULL;
	int64_t id;
	int rc;

	if (segment_id(db, name, &id, &rule, err) < 0)
		return -1;
	if (id == 0)
		return crm_error_set(err, CRM_EUSAGE, "no segment '%s'", name);
	if (rule == NULL)
		return crm_error_set(err, CRM_EUSAGE, "segment '%s' is a list,"
		    " not a rule: nothing to refresh", name);
	if ((st = crm_db_stmt(db, "DELETE FROM segment_members WHERE"
	    " segment_id = ?", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE segments SET computed_at = ?2"
	    " WHERE id = ?1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, crm_now(), err) < 0 ||
	    crm_db_step(db, st, err) < 0) {
		free(rule);
		return -1;
	}
	rc = fill_rule(db, id, rule, asof, count, NULL, err);
	free(rule);
	return rc;
}

int
crm_segment_drop(struct crm_db *db, const char *name, struct crm_error *err)
{
	struct crm_stmt *st;

	if ((st = crm_db_stmt(db, "DELETE FROM segments WHERE name = ?",
	    err)) == NULL || crm_db_bind_text(db, st, 1, name, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	if (crm_db_changes(db) == 0)
		return crm_error_set(err, CRM_EUSAGE, "no segment '%s'", name);
	return 0;
}

int
crm_segment_list(struct crm_db *db, struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "name", "kind", "members",
	    "computed_at", "rule" };
	static const enum crm_coltype types[] = { CRM_COL_TEXT, CRM_COL_TEXT,
	    CRM_COL_NUM, CRM_COL_TEXT, CRM_COL_TEXT };
	struct crm_stmt *st;
	const char *vals[5];
	char t[21];
	int step, i;

	if ((st = crm_db_stmt(db, "SELECT s.name, s.kind, (SELECT count(*)"
	    " FROM segment_members m WHERE m.segment_id = s.id), s.computed_at,"
	    " s.rule FROM segments s ORDER BY s.name", err)) == NULL ||
	    crm_out_header(o, names, types, 5, err) < 0)
		return -1;
	while ((step = crm_db_step(db, st, err)) == 1) {
		for (i = 0; i < 5; i++)
			vals[i] = crm_db_col_text(st, i);
		if (vals[3] != NULL) {
			crm_format_time(crm_db_col_int(st, 3), t);
			vals[3] = t;
		}
		if (crm_out_row(o, vals, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	return step < 0 ? -1 : 0;
}

int
crm_segment_show(struct crm_db *db, const char *name, struct crm_out *o,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int64_t id;

	if (segment_id(db, name, &id, NULL, err) < 0)
		return -1;
	if (id == 0)
		return crm_error_set(err, CRM_EUSAGE, "no segment '%s'", name);
	if ((st = crm_db_stmt(db, "SELECT c.id, c.external_id, c.email,"
	    " c.first_name, c.last_name FROM segment_members m JOIN contacts c"
	    " ON c.id = m.contact_id WHERE m.segment_id = ? ORDER BY c.id",
	    err)) == NULL || crm_db_bind_int(db, st, 1, id, err) < 0)
		return -1;
	return emit_members(db, st, o, NULL, err);
}

int
crm_segment_rules(struct crm_db *db, char ***names, size_t *n,
    struct crm_error *err)
{
	struct crm_stmt *st;
	char **v = NULL;
	int step;

	*n = 0;
	if ((st = crm_db_stmt(db, "SELECT name FROM segments WHERE kind ="
	    " 'rule' ORDER BY name", err)) == NULL)
		return -1;
	while ((step = crm_db_step(db, st, err)) == 1) {
		char **q = reallocarray(v, *n + 1, sizeof(*q));

		if (q == NULL || (q[*n] = strdup(crm_db_col_text(st, 0))) ==
		    NULL) {
			v = q ? q : v;
			crm_db_reset(st);
			*names = v;
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		}
		v = q;
		(*n)++;
	}
	*names = v;
	return step < 0 ? -1 : 0;
}
