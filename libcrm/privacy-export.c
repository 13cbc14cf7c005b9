/*
 * privacy-export.c - subject access: everything stored about a person, as
 * one JSON document, found through the foreign keys to contacts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "norm.h"
#include "privacy.h"
#include "privacy-int.h"

/* Subject access. */

struct colinfo {
	char *name, *type;
	char *fk_table, *fk_to;	/* a foreign key on this column, or NULL */
};

static void
cols_free(struct colinfo *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(c[i].name);
		free(c[i].type);
		free(c[i].fk_table);
		free(c[i].fk_to);
	}
	free(c);
}

/* The columns of tab, their types and foreign keys, and its CREATE text. */
static int
table_cols(struct crm_db *db, const char *tab, struct colinfo **out,
    size_t *nout, char **create, struct crm_error *err)
{
	struct colinfo *c = NULL, *p;
	struct crm_stmt *st;
	size_t n = 0, i;
	int rc;

	*create = NULL;
	if ((st = crm_db_stmt(db, "SELECT name, type FROM pragma_table_info(?1)"
	    " ORDER BY cid", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, tab, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		if ((p = reallocarray(c, n + 1, sizeof(*c))) == NULL) {
			crm_error_set(err, CRM_EFAIL, "out of memory");
			goto fail;
		}
		c = p;
		memset(&c[n], 0, sizeof(c[n]));
		n++;
		if ((c[n - 1].name = privacy_dup(crm_db_col_text(st, 0), err)) == NULL ||
		    (c[n - 1].type = privacy_dup(crm_db_col_text(st, 1), err)) == NULL)
			goto fail;
	}
	if (rc < 0)
		goto fail;
	if ((st = crm_db_stmt(db, "SELECT \"from\", \"table\","
	    " coalesce(\"to\", 'rowid') FROM pragma_foreign_key_list(?1)",
	    err)) == NULL ||
	    crm_db_bind_text(db, st, 1, tab, err) < 0)
		goto fail;
	while ((rc = crm_db_step(db, st, err)) == 1)
		for (i = 0; i < n; i++)
			if (strcmp(c[i].name, crm_db_col_text(st, 0)) == 0 &&
			    c[i].fk_table == NULL &&
			    ((c[i].fk_table = privacy_dup(crm_db_col_text(st, 1),
			    err)) == NULL || (c[i].fk_to =
			    privacy_dup(crm_db_col_text(st, 2), err)) == NULL))
				goto fail;
	if (rc < 0)
		goto fail;
	if ((st = crm_db_stmt(db, "SELECT sql FROM sqlite_schema"
	    " WHERE type = 'table' AND name = ?1", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, tab, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		goto fail;
	*create = privacy_dup(rc == 1 ? crm_db_col_text(st, 0) : "", err);
	crm_db_reset(st);
	if (*create == NULL)
		goto fail;
	*out = c;
	*nout = n;
	return 0;
fail:
	crm_db_reset(st);
	cols_free(c, n);
	return -1;
}

/* 1 if the CREATE text holds pat, not as the tail of a longer name. */
static int
schema_has(const char *create, const char *pat)
{
	const char *p;

	for (p = create; (p = strstr(p, pat)) != NULL; p++)
		if (p == create || !(p[-1] == '_' || (p[-1] >= 'a' &&
		    p[-1] <= 'z') || (p[-1] >= 'A' && p[-1] <= 'Z') ||
		    (p[-1] >= '0' && p[-1] <= '9')))
			return 1;
	return 0;
}

/* The schema checks the column with json_valid(): it holds JSON. */
static int
is_json(const char *create, const char *name)
{
	char pat[256];

	return (size_t)snprintf(pat, sizeof(pat), "json_valid(%s)", name) <
	    sizeof(pat) && schema_has(create, pat);
}

/* The schema allows only 0 and 1: a yes/no column. */
static int
is_bool(const char *create, const char *name)
{
	char pat[256];

	return (size_t)snprintf(pat, sizeof(pat), "%s = 0 OR %s = 1", name,
	    name) < sizeof(pat) && schema_has(create, pat);
}

static int
is_time(const char *name)
{
	size_t n = strlen(name);

	return strcmp(name, "at") == 0 ||
	    (n > 3 && strcmp(name + n - 3, "_at") == 0);
}

/*
 * Append json_object(...) over the columns of tab under alias; with embed,
 * a foreign key to a table other than contacts brings that row along
 * (one level deep).
 */
static int
add_row_json(struct crm_db *db, struct crm_buf *b, const char *tab,
    const char *alias, int embed, struct crm_error *err)
{
	struct colinfo *c = NULL;
	char *create = NULL, key[128];
	size_t n = 0, i, j, len;
	int rc = -1;

	if (table_cols(db, tab, &c, &n, &create, err) < 0 ||
	    crm_buf_adds(b, "json_object(", err) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		const char *name = c[i].name;

		if ((i > 0 && crm_buf_adds(b, ", ", err) < 0) ||
		    privacy_add_lit(b, name, err) < 0 || crm_buf_adds(b, ", ", err) < 0)
			goto done;
		if (is_time(name)) {
			if (crm_buf_adds(b, "CASE typeof(", err) < 0 ||
			    privacy_add_col(b, alias, name, err) < 0 ||
			    crm_buf_adds(b, ") WHEN 'integer' THEN strftime("
			    "'%Y-%m-%dT%H:%M:%SZ', ", err) < 0 ||
			    privacy_add_col(b, alias, name, err) < 0 ||
			    crm_buf_adds(b, ", 'unixepoch') ELSE ", err) < 0 ||
			    privacy_add_col(b, alias, name, err) < 0 ||
			    crm_buf_adds(b, " END", err) < 0)
				goto done;
		} else if (is_json(create, name)) {
			if (crm_buf_adds(b, "json(", err) < 0 ||
			    privacy_add_col(b, alias, name, err) < 0 ||
			    crm_buf_addc(b, ')', err) < 0)
				goto done;
		} else if (is_bool(create, name)) {
			if (crm_buf_adds(b, "CASE WHEN ", err) < 0 ||
			    privacy_add_col(b, alias, name, err) < 0 ||
			    crm_buf_adds(b, " IS NULL THEN NULL WHEN ", err) < 0 ||
			    privacy_add_col(b, alias, name, err) < 0 ||
			    crm_buf_adds(b, " THEN json('true') ELSE"
			    " json('false') END", err) < 0)
				goto done;
		} else if (strcasecmp(c[i].type, "BLOB") == 0) {
			if (crm_buf_adds(b, "CASE WHEN ", err) < 0 ||
			    privacy_add_col(b, alias, name, err) < 0 ||
			    crm_buf_adds(b, " IS NULL THEN NULL ELSE hex(", err) < 0 ||
			    privacy_add_col(b, alias, name, err) < 0 ||
			    crm_buf_adds(b, ") END", err) < 0)
				goto done;
		} else if (privacy_add_col(b, alias, name, err) < 0)
			goto done;
		if (!embed || c[i].fk_table == NULL ||
		    strcasecmp(c[i].fk_table, "contacts") == 0)
			continue;
		/* segment_id brings "segment"; else the table's name. */
		len = strlen(name);
		snprintf(key, sizeof(key), "%.*s", (int)(len > 3 &&
		    strcmp(name + len - 3, "_id") == 0 ? len - 3 : len), name);
		for (j = 0; j < n; j++)
			if (strcmp(c[j].name, key) == 0)
				snprintf(key, sizeof(key), "%s", c[i].fk_table);
		if (crm_buf_adds(b, ", ", err) < 0 || privacy_add_lit(b, key, err) < 0 ||
		    crm_buf_adds(b, ", json((SELECT ", err) < 0 ||
		    add_row_json(db, b, c[i].fk_table, "r", 0, err) < 0 ||
		    crm_buf_adds(b, " FROM ", err) < 0 ||
		    privacy_add_ident(b, c[i].fk_table, err) < 0 ||
		    crm_buf_adds(b, " AS r WHERE ", err) < 0 ||
		    privacy_add_col(b, "r", c[i].fk_to, err) < 0 ||
		    crm_buf_adds(b, " = ", err) < 0 ||
		    privacy_add_col(b, alias, name, err) < 0 ||
		    crm_buf_adds(b, "))", err) < 0)
			goto done;
	}
	rc = crm_buf_addc(b, ')', err);
done:
	free(create);
	cols_free(c, n);
	return rc;
}

#define CLUSTER "WITH RECURSIVE cl(id) AS (SELECT ?1 UNION SELECT c.id" \
	" FROM contacts c JOIN cl ON c.merged_into = cl.id) "

/* Run a query of one JSON value (?1 = id) and write it, null if none. */
static int
put_json(struct crm_db *db, const char *sql, int64_t id, FILE *fp,
    struct crm_error *err)
{
	struct crm_stmt *st;
	const char *v;
	int rc;

	if ((st = crm_db_prepare(db, sql, err)) == NULL)
		return -1;
	if (crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0) {
		crm_db_finalize(st);
		return -1;
	}
	v = rc == 1 ? crm_db_col_text(st, 0) : NULL;
	fputs(v != NULL ? v : "null", fp);
	crm_db_finalize(st);
	return 0;
}

/* The rows of tab (alias a) matching where, as a JSON array, in the
 * order of the table's first column. */
static int
put_rows(struct crm_db *db, const char *tab, const char *where, int64_t id,
    FILE *fp, struct crm_error *err)
{
	struct crm_buf sql = CRM_BUF_INIT(1 << 20);
	char *first = NULL;
	struct crm_stmt *st;
	int rc = -1;

	if ((st = crm_db_stmt(db, "SELECT name FROM pragma_table_info(?1)"
	    " ORDER BY cid LIMIT 1", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, tab, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	first = privacy_dup(rc == 1 ? crm_db_col_text(st, 0) : "rowid", err);
	crm_db_reset(st);
	rc = -1;
	if (first == NULL ||
	    crm_buf_adds(&sql, CLUSTER "SELECT json_group_array(json(j))"
	    " FROM (SELECT ", err) < 0 ||
	    add_row_json(db, &sql, tab, "a", 1, err) < 0 ||
	    crm_buf_adds(&sql, " AS j FROM ", err) < 0 ||
	    privacy_add_ident(&sql, tab, err) < 0 ||
	    crm_buf_addf(&sql, err, " AS a WHERE %s ORDER BY ", where) < 0 ||
	    privacy_add_col(&sql, "a", first, err) < 0 ||
	    crm_buf_addc(&sql, ')', err) < 0)
		goto done;
	rc = put_json(db, crm_buf_str(&sql), id, fp, err);
done:
	free(first);
	crm_buf_release(&sql);
	return rc;
}

static int
export_parts(struct crm_db *db, int64_t id, FILE *fp, struct crm_error *err)
{
	struct crm_buf sql = CRM_BUF_INIT(1 << 20), w = CRM_BUF_INIT(4096);
	struct reftab *t = NULL;
	size_t i, n = 0;
	char now[21];
	int rc = -1;

	crm_format_time(crm_now(), now);
	fprintf(fp, "{\"exported_at\":\"%s\",\"contact\":", now);
	if (crm_buf_adds(&sql, "SELECT ", err) < 0 ||
	    add_row_json(db, &sql, "contacts", "a", 1, err) < 0 ||
	    crm_buf_adds(&sql, " FROM contacts AS a WHERE a.id = ?1", err) < 0 ||
	    put_json(db, crm_buf_str(&sql), id, fp, err) < 0)
		goto done;
	fputs(",\"merged_contacts\":", fp);
	if (put_rows(db, "contacts", "a.id IN (SELECT id FROM cl) AND"
	    " a.id <> ?1", id, fp, err) < 0)
		goto done;
	/* Current consent: the latest event per channel and purpose. */
	fputs(",\"consent\":", fp);
	if (put_json(db, CLUSTER "SELECT json_group_array(json(j)) FROM"
	    " (SELECT json_object('channel', e.channel, 'purpose', e.purpose,"
	    " 'granted', json(iif(e.granted, 'true', 'false')),"
	    " 'at', strftime('%Y-%m-%dT%H:%M:%SZ', e.at, 'unixepoch'),"
	    " 'source', e.source) AS j FROM consent_events e"
	    " WHERE e.contact_id IN (SELECT id FROM cl) AND NOT EXISTS"
	    " (SELECT 1 FROM consent_events l WHERE l.contact_id IN"
	    " (SELECT id FROM cl) AND l.channel = e.channel AND"
	    " l.purpose = e.purpose AND (l.at > e.at OR (l.at = e.at AND"
	    " l.id > e.id))) ORDER BY e.channel, e.purpose)", id, fp,
	    err) < 0)
		goto done;
	if (privacy_reftabs(db, &t, &n, err) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		crm_buf_reset(&w);
		fprintf(fp, ",\"%s\":", t[i].name);
		if (privacy_add_refwhere(&w, &t[i], "a", "cl", err) < 0 ||
		    put_rows(db, t[i].name, crm_buf_str(&w), id, fp, err) < 0)
			goto done;
	}
	fputs("}\n", fp);
	rc = 0;
done:
	privacy_reftabs_free(t, n);
	crm_buf_release(&sql);
	crm_buf_release(&w);
	return rc;
}

int
crm_privacy_export(struct crm_db *db, int64_t id, FILE *fp,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int rc, erased;

	/* One read transaction: every part sees the same state. */
	if (crm_db_exec(db, "BEGIN", err) < 0)
		return -1;
	if ((st = crm_db_stmt(db, "SELECT erased_at IS NOT NULL FROM contacts"
	    " WHERE id = ?1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		goto fail;
	if (rc == 0) {
		crm_error_set(err, CRM_EDATA, "no contact #%lld", (long long)id);
		goto fail;
	}
	erased = crm_db_col_int(st, 0);
	crm_db_reset(st);
	if (erased) {
		crm_error_set(err, CRM_EDATA, "contact %lld was erased",
		    (long long)id);
		goto fail;
	}
	if (export_parts(db, id, fp, err) < 0)
		goto fail;
	crm_db_rollback(db);
	return 0;
fail:
	crm_db_rollback(db);
	return -1;
}
