/*
 * db-copy.c - many rows into one table (db.h, crm_db_copy_*): COPY ...
 * FROM STDIN on PostgreSQL, a prepared INSERT per row on SQLite.
 *
 * On PostgreSQL the rows are gathered in COPY's text format and sent in
 * one COPY when the caller flushes, or when a megabyte has gathered:
 * one round trip and one statement for thousands of rows instead of one
 * of each per row.  The connection stays free between flushes, so the
 * caller may run other statements, as long as it flushes before one that
 * must see the rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db-int.h"

#define COPY_FLUSH (1 << 20)	/* bytes gathered before they are sent */
#define COPY_MAX_COLS 64

struct crm_db_copy {
	struct crm_db *db;
	PGconn *pg;		/* NULL: SQLite */
	struct crm_stmt *st;	/* SQLite's INSERT */
	char *sql;		/* the COPY or INSERT */
	int ncols, col;		/* columns, and the next one of the row */
	char *buf;		/* PostgreSQL: rows not sent yet */
	size_t len, alloc;
	int64_t rows;		/* rows in buf */
};

static int
grow(struct crm_db_copy *cp, size_t n, struct crm_error *err)
{
	char *p;
	size_t a;

	if (cp->len + n <= cp->alloc)
		return 0;
	a = cp->alloc ? cp->alloc : COPY_FLUSH + 4096;
	while (a < cp->len + n)
		a *= 2;
	if ((p = realloc(cp->buf, a)) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	cp->buf = p;
	cp->alloc = a;
	return 0;
}

struct crm_db_copy *
crm_db_copy_begin(struct crm_db *db, const char *table, const char *cols,
    struct crm_error *err)
{
	struct crm_db_copy *cp;
	const char *s;
	size_t n;
	int i;

	if ((cp = calloc(1, sizeof(*cp))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	cp->db = db;
	cp->ncols = 1;
	for (s = cols; *s; s++)
		cp->ncols += *s == ',';
	if (cp->ncols > COPY_MAX_COLS) {
		free(cp);
		crm_error_set(err, CRM_EFAIL, "copy into %s: too many columns",
		    table);
		return NULL;
	}
	n = strlen(table) + strlen(cols) + 8 * (size_t)cp->ncols + 64;
	if ((cp->sql = malloc(n)) == NULL) {
		free(cp);
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	if (crm_db_is_pg(db)) {
		cp->pg = crm_pg_conn(db->pg);
		snprintf(cp->sql, n, "COPY %s (%s) FROM STDIN", table, cols);
		return cp;
	}
	i = snprintf(cp->sql, n, "INSERT INTO %s (%s) VALUES (", table, cols);
	for (; cp->col < cp->ncols; cp->col++)
		i += snprintf(cp->sql + i, n - (size_t)i, "%s?%d",
		    cp->col ? ", " : "", cp->col + 1);
	snprintf(cp->sql + i, n - (size_t)i, ")");
	cp->col = 0;
	if ((cp->st = crm_db_prepare(db, cp->sql, err)) == NULL) {
		free(cp->sql);
		free(cp);
		return NULL;
	}
	return cp;
}

/* PostgreSQL: the separator before column col. */
static int
sep(struct crm_db_copy *cp, size_t need, struct crm_error *err)
{
	if (cp->col >= cp->ncols)
		return crm_error_set(err, CRM_EFAIL, "copy: more values than"
		    " the %d columns", cp->ncols);
	if (grow(cp, need + 1, err) < 0)
		return -1;
	if (cp->col++ > 0)
		cp->buf[cp->len++] = '\t';
	return 0;
}

int
crm_db_copy_text(struct crm_db_copy *cp, const char *s, struct crm_error *err)
{
	size_t n;

	if (s == NULL)
		return crm_db_copy_null(cp, err);
	if (cp->pg == NULL)
		return crm_db_bind_text_copy(cp->db, cp->st, ++cp->col, s, err);
	n = strlen(s);
	if (sep(cp, 2 * n, err) < 0)
		return -1;
	for (; *s; s++) {
		char c = *s;

		/* COPY's text format: these four escaped, the rest as is. */
		if (c == '\\' || c == '\t' || c == '\n' || c == '\r') {
			cp->buf[cp->len++] = '\\';
			c = c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ?
			    'r' : '\\';
		}
		cp->buf[cp->len++] = c;
	}
	return 0;
}

int
crm_db_copy_int(struct crm_db_copy *cp, int64_t v, struct crm_error *err)
{
	if (cp->pg == NULL)
		return crm_db_bind_int(cp->db, cp->st, ++cp->col, v, err);
	if (sep(cp, 24, err) < 0)
		return -1;
	cp->len += (size_t)snprintf(cp->buf + cp->len, 24, "%lld",
	    (long long)v);
	return 0;
}

int
crm_db_copy_double(struct crm_db_copy *cp, double v, struct crm_error *err)
{
	if (cp->pg == NULL)
		return crm_db_bind_double(cp->db, cp->st, ++cp->col, v, err);
	if (sep(cp, 32, err) < 0)
		return -1;
	/* 17 digits: the same double back. */
	cp->len += (size_t)snprintf(cp->buf + cp->len, 32, "%.17g", v);
	return 0;
}

int
crm_db_copy_blob(struct crm_db_copy *cp, const void *p, size_t n,
    struct crm_error *err)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b = p;
	size_t i;

	if (cp->pg == NULL) {
		/* Stepped before the caller's buffer changes: no copy. */
		return crm_db_bind_blob(cp->db, cp->st, ++cp->col, p, n, err);
	}
	if (sep(cp, 3 + 2 * n, err) < 0)
		return -1;
	/* bytea's \x form, its backslash escaped for COPY. */
	memcpy(cp->buf + cp->len, "\\\\x", 3);
	cp->len += 3;
	for (i = 0; i < n; i++) {
		cp->buf[cp->len++] = hex[b[i] >> 4];
		cp->buf[cp->len++] = hex[b[i] & 15];
	}
	return 0;
}

int
crm_db_copy_null(struct crm_db_copy *cp, struct crm_error *err)
{
	if (cp->pg == NULL)
		return crm_db_bind_null(cp->db, cp->st, ++cp->col, err);
	if (sep(cp, 2, err) < 0)
		return -1;
	memcpy(cp->buf + cp->len, "\\N", 2);
	cp->len += 2;
	return 0;
}

int
crm_db_copy_row(struct crm_db_copy *cp, struct crm_error *err)
{
	if (cp->col != cp->ncols)
		return crm_error_set(err, CRM_EFAIL, "copy: %d values for %d"
		    " columns", cp->col, cp->ncols);
	cp->col = 0;
	if (cp->pg == NULL)
		return crm_db_step(cp->db, cp->st, err) < 0 ? -1 : 0;
	if (grow(cp, 1, err) < 0)
		return -1;
	cp->buf[cp->len++] = '\n';
	cp->rows++;
	return cp->len >= COPY_FLUSH ? crm_db_copy_flush(cp, err) : 0;
}

/* The server's message, as db-pg.c words them: a constraint is bad data. */
static int
pg_fail(struct crm_db_copy *cp, PGresult *res, struct crm_error *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) :
	    NULL;
	const char *msg = res && *PQresultErrorMessage(res) ?
	    PQresultErrorMessage(res) : PQerrorMessage(cp->pg);
	int code = state != NULL && strncmp(state, "23", 2) == 0 ? CRM_EDATA :
	    CRM_EFAIL;
	size_t n = strlen(msg);

	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	crm_error_set(err, code, "%s: %.*s", crm_db_name(cp->db), (int)n, msg);
	PQclear(res);
	while ((res = PQgetResult(cp->pg)) != NULL)
		PQclear(res);
	return -1;
}

int
crm_db_copy_flush(struct crm_db_copy *cp, struct crm_error *err)
{
	PGresult *res;

	if (cp == NULL || cp->pg == NULL || cp->rows == 0)
		return 0;
	res = PQexec(cp->pg, cp->sql);
	if (PQresultStatus(res) != PGRES_COPY_IN)
		return pg_fail(cp, res, err);
	PQclear(res);
	if (PQputCopyData(cp->pg, cp->buf, (int)cp->len) != 1 ||
	    PQputCopyEnd(cp->pg, NULL) != 1)
		return pg_fail(cp, NULL, err);
	res = PQgetResult(cp->pg);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return pg_fail(cp, res, err);
	PQclear(res);
	while ((res = PQgetResult(cp->pg)) != NULL)
		PQclear(res);
	cp->len = 0;
	cp->rows = 0;
	return 0;
}

int
crm_db_copy_end(struct crm_db_copy *cp, struct crm_error *err)
{
	int rc;

	if (cp == NULL)
		return 0;
	rc = crm_db_copy_flush(cp, err);
	crm_db_copy_free(cp);
	return rc;
}

void
crm_db_copy_free(struct crm_db_copy *cp)
{
	if (cp == NULL)
		return;
	crm_db_finalize(cp->st);
	free(cp->sql);
	free(cp->buf);
	free(cp);
}
