/*
 * db-api.c - crm_db_*, the one door: the same calls on either engine,
 * SQLite (db.c) or PostgreSQL (db-pg.c), with what is the same on both
 * (the statement cache, work deferred to the commit, the audit, the
 * connections closed at exit).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "db-int.h"
#include "norm.h"

void (*crm_db_wait_hook)(const char *path, double waited);

void
crm_db_on_wait(void (*fn)(const char *path, double waited))
{
	crm_db_wait_hook = fn;
}

/* Every open connection, so that an exit on an error path tidies up. */
static struct crm_db *open_dbs;
static int close_all_set;

const char *
crm_db_path(const char *opt)
{
	const char *p;

	if (opt != NULL && *opt != '\0')
		return opt;
	if ((p = getenv("CRM_DB")) != NULL && *p != '\0')
		return p;
	/* libpq's environment names a database: PostgreSQL's defaults. */
	if (((p = getenv("PGDATABASE")) != NULL && *p != '\0') ||
	    ((p = getenv("PGSERVICE")) != NULL && *p != '\0'))
		return "postgresql://";
	return "crm.db";
}

const char *
crm_db_name(const struct crm_db *db)
{
	return db->name;
}

int
crm_db_in_tx(struct crm_db *db)
{
	if (db->pg != NULL)
		return crm_pg_in_tx(db->pg);
	return crm_sq_in_tx(db);
}

int64_t
crm_db_changes(struct crm_db *db)
{
	if (db->pg != NULL)
		return crm_pg_changes(db->pg);
	return crm_sq_changes(db);
}

int
crm_db_foreign_keys(struct crm_db *db, int on, struct crm_error *err)
{
	/*
	 * PostgreSQL's are always on: turning them off (for speed, where a
	 * program knows its ids are good) takes a superuser there.
	 */
	if (db->pg != NULL)
		return 0;
	return crm_sq_foreign_keys(db, on, err);
}

int
crm_db_map_reads(struct crm_db *db, struct crm_error *err)
{
	if (db->pg != NULL)
		return 0;
	return crm_sq_map_reads(db, err);
}

int
crm_db_secure_delete(struct crm_db *db, int on, struct crm_error *err)
{
	if (db->pg != NULL)
		return crm_error_set(err, CRM_EFAIL, "%s: erasure with the"
		    " free space overwritten is not available on PostgreSQL"
		    " yet", db->name);
	return crm_sq_secure_delete(db, on, err);
}

int
crm_db_secure_delete_on(struct crm_db *db)
{
	if (db->pg != NULL)
		return 0;
	return crm_sq_secure_delete_on(db);
}

int
crm_db_checkpoint(struct crm_db *db, struct crm_error *err)
{
	if (db->pg != NULL)
		return 0;
	return crm_sq_checkpoint(db, err);
}

int
crm_db_exec(struct crm_db *db, const char *sql, struct crm_error *err)
{
	if (db->pg != NULL)
		return crm_pg_exec(db->pg, sql, err);
	return crm_sq_exec(db, sql, err);
}

int
crm_db_query_int(struct crm_db *db, const char *sql, int64_t *out,
    struct crm_error *err)
{
	if (db->pg != NULL)
		return crm_pg_query_int(db->pg, sql, out, err);
	return crm_sq_query_int(db, sql, out, err);
}

/* A statement for sql on db's engine, or NULL with err set. */
static struct crm_stmt *
new_stmt(struct crm_db *db, const char *sql, int persistent,
    struct crm_error *err)
{
	struct crm_stmt *st;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	if (db->pg != NULL) {
		if ((st->pg = crm_pg_prepare(db->pg, sql, err)) == NULL) {
			free(st);
			return NULL;
		}
		return st;
	}
	if (crm_sq_prepare(db, sql, persistent, st, err) < 0) {
		free(st);
		return NULL;
	}
	return st;
}

struct crm_stmt *
crm_db_stmt(struct crm_db *db, const char *sql, struct crm_error *err)
{
	struct crm_stmt *st;
	int i;

	for (i = 0; i < db->nstmt; i++) {
		if (db->cache[i].sql == sql) {
			st = db->cache[i].st;
			if (st->pg != NULL) {
				crm_pg_reset(st->pg);
				crm_pg_clear(st->pg);
			} else {
				crm_sq_reset(st);
				crm_sq_clear(st);
			}
			return st;
		}
	}
	if ((st = new_stmt(db, sql, 1, err)) == NULL)
		return NULL;
	if (db->nstmt == db->astmt) {
		int n = db->astmt ? db->astmt * 2 : 32;
		struct crm_db_stmt_entry *p = reallocarray(db->cache,
		    (size_t)n, sizeof(*p));

		if (p == NULL) {
			crm_db_finalize(st);
			crm_error_set(err, CRM_EFAIL, "out of memory");
			return NULL;
		}
		db->cache = p;
		db->astmt = n;
	}
	db->cache[db->nstmt].sql = sql;
	db->cache[db->nstmt].st = st;
	db->nstmt++;
	return st;
}

struct crm_stmt *
crm_db_prepare(struct crm_db *db, const char *sql, struct crm_error *err)
{
	return new_stmt(db, sql, 0, err);
}

int64_t
crm_db_last_id(struct crm_db *db)
{
	if (db->pg != NULL)
		return crm_pg_last_id(db->pg);
	return crm_sq_last_id(db);
}

int
crm_db_step(struct crm_db *db, struct crm_stmt *st, struct crm_error *err)
{
	if (st->pg != NULL)
		return crm_pg_step(st->pg, err);
	return crm_sq_step(db, st, err);
}

int
crm_db_bind_text(struct crm_db *db, struct crm_stmt *st, int i,
    const char *s, struct crm_error *err)
{
	if (st->pg != NULL)
		return crm_pg_bind_text(st->pg, i, s, 0, err);
	return crm_sq_bind_text(db, st, i, s, 0, err);
}

int
crm_db_bind_text_copy(struct crm_db *db, struct crm_stmt *st, int i,
    const char *s, struct crm_error *err)
{
	if (st->pg != NULL)
		return crm_pg_bind_text(st->pg, i, s, 1, err);
	return crm_sq_bind_text(db, st, i, s, 1, err);
}

int
crm_db_bind_blob(struct crm_db *db, struct crm_stmt *st, int i,
    const void *p, size_t n, struct crm_error *err)
{
	if (st->pg != NULL)
		return crm_pg_bind_blob(st->pg, i, p, n, err);
	return crm_sq_bind_blob(db, st, i, p, n, err);
}

int
crm_db_bind_int(struct crm_db *db, struct crm_stmt *st, int i, int64_t v,
    struct crm_error *err)
{
	if (st->pg != NULL)
		return crm_pg_bind_int(st->pg, i, v, err);
	return crm_sq_bind_int(db, st, i, v, err);
}

int
crm_db_bind_double(struct crm_db *db, struct crm_stmt *st, int i, double v,
    struct crm_error *err)
{
	if (st->pg != NULL)
		return crm_pg_bind_double(st->pg, i, v, err);
	return crm_sq_bind_double(db, st, i, v, err);
}

int
crm_db_bind_null(struct crm_db *db, struct crm_stmt *st, int i,
    struct crm_error *err)
{
	if (st->pg != NULL)
		return crm_pg_bind_null(st->pg, i, err);
	return crm_sq_bind_null(db, st, i, err);
}

int
crm_db_bind_count(struct crm_stmt *st)
{
	if (st->pg != NULL)
		return crm_pg_bind_count(st->pg);
	return crm_sq_bind_count(st);
}

const char *
crm_db_col_text(struct crm_stmt *st, int i)
{
	if (st->pg != NULL)
		return crm_pg_col_text(st->pg, i);
	return crm_sq_col_text(st, i);
}

int64_t
crm_db_col_int(struct crm_stmt *st, int i)
{
	if (st->pg != NULL)
		return crm_pg_col_int(st->pg, i);
	return crm_sq_col_int(st, i);
}

double
crm_db_col_double(struct crm_stmt *st, int i)
{
	if (st->pg != NULL)
		return crm_pg_col_double(st->pg, i);
	return crm_sq_col_double(st, i);
}

const void *
crm_db_col_blob(struct crm_stmt *st, int i)
{
	if (st->pg != NULL)
		return crm_pg_col_blob(st->pg, i);
	return crm_sq_col_blob(st, i);
}

int
crm_db_col_bytes(struct crm_stmt *st, int i)
{
	if (st->pg != NULL)
		return crm_pg_col_bytes(st->pg, i);
	return crm_sq_col_bytes(st, i);
}

enum crm_db_type
crm_db_col_type(struct crm_stmt *st, int i)
{
	if (st->pg != NULL)
		return crm_pg_col_type(st->pg, i);
	return crm_sq_col_type(st, i);
}

int
crm_db_col_isnull(struct crm_stmt *st, int i)
{
	return crm_db_col_type(st, i) == CRM_DB_NULL;
}

int
crm_db_col_count(struct crm_stmt *st)
{
	if (st->pg != NULL)
		return crm_pg_col_count(st->pg);
	return crm_sq_col_count(st);
}

const char *
crm_db_col_name(struct crm_stmt *st, int i)
{
	if (st->pg != NULL)
		return crm_pg_col_name(st->pg, i);
	return crm_sq_col_name(st, i);
}

void
crm_db_reset(struct crm_stmt *st)
{
	if (st == NULL)
		return;
	if (st->pg != NULL)
		crm_pg_reset(st->pg);
	else
		crm_sq_reset(st);
}

void
crm_db_finalize(struct crm_stmt *st)
{
	if (st == NULL)
		return;
	if (st->pg != NULL)
		crm_pg_finalize(st->pg);
	else
		crm_sq_finalize(st);
	free(st);
}

int
crm_db_function(struct crm_db *db, const char *name, int nargs,
    void (*fn)(struct crm_db_call *c), struct crm_error *err)
{
	/*
	 * A function computed in C in the program has no PostgreSQL
	 * equivalent yet: the module that needs one is not ported.
	 */
	if (db->pg != NULL)
		return crm_error_set(err, CRM_EFAIL, "%s: SQL function %s: not"
		    " available on PostgreSQL yet (this command works on"
		    " SQLite only)", db->name, name);
	return crm_sq_function(db, name, nargs, fn, err);
}

int
crm_db_begin(struct crm_db *db, struct crm_error *err)
{
	if (db->pg != NULL) {
		if (crm_pg_begin(db->pg, 1, err) < 0)
			return -1;
		db->in_tx = 1;
		return 0;
	}
	if (crm_sq_begin(db, err) < 0)
		return -1;
	db->in_tx = 1;
	return 0;
}

int
crm_db_begin_read(struct crm_db *db, struct crm_error *err)
{
	if (db->pg != NULL) {
		if (crm_pg_begin(db->pg, 0, err) < 0)
			return -1;
		db->in_tx = 1;
		return 0;
	}
	return crm_sq_begin_read(db, err);
}

int
crm_db_before_commit(struct crm_db *db, int (*fn)(void *arg,
    struct crm_error *err), void *arg, struct crm_error *err)
{
	int i;

	for (i = 0; i < db->npending; i++)
		if (db->pending[i].fn == fn && db->pending[i].arg == arg)
			return 0;
	if (db->npending == (int)(sizeof(db->pending) /
	    sizeof(db->pending[0])))
		return crm_error_set(err, CRM_EFAIL, "%s: too much work"
		    " deferred to the commit", db->name);
	db->pending[db->npending].fn = fn;
	db->pending[db->npending++].arg = arg;
	return 0;
}

int
crm_db_before_commit_run(struct crm_db *db, void *arg,
    struct crm_error *err)
{
	int i, j;

	for (i = 0; i < db->npending; i++) {
		struct crm_db_pending p = db->pending[i];

		if (arg != NULL && p.arg != arg)
			continue;
		/* Once: off the list before it runs. */
		for (j = i; j + 1 < db->npending; j++)
			db->pending[j] = db->pending[j + 1];
		db->npending--;
		i--;
		if (p.fn(p.arg, err) < 0)
			return -1;
	}
	return 0;
}

int
crm_db_commit(struct crm_db *db, struct crm_error *err)
{
	if (crm_db_before_commit_run(db, NULL, err) < 0)
		return -1;
	if (db->pg != NULL) {
		db->in_tx = 0;
		return crm_pg_commit(db->pg, err);
	}
	if (crm_sq_commit(db, err) < 0)
		return -1;
	db->in_tx = 0;
	return 0;
}

void
crm_db_rollback(struct crm_db *db)
{
	if (db == NULL)
		return;
	db->npending = 0;
	if (db->pg != NULL)
		crm_pg_rollback(db->pg);
	else
		crm_sq_rollback(db);
	db->in_tx = 0;
}

/*
 * At exit, the connections a program left open: on an error path it died
 * with its batch rolled back but the log still holding what the batch
 * wrote (megabytes, on the full disk that made it fail).  Roll back,
 * empty the log if no other program is using it (without waiting for
 * one), close.
 */
static void
close_all(void)
{
	while (open_dbs != NULL) {
		struct crm_db *db = open_dbs;

		crm_db_rollback(db);
		if (db->h != NULL && !db->readonly)
			crm_sq_truncate_log(db);
		crm_db_close(db);
	}
}

/*
 * url without a password, for messages: "postgresql://u:secret@h/d" as
 * "postgresql://u@h/d" (a password=... keyword is cut the same way).
 */
static char *
url_name(const char *url)
{
	const char *auth = strstr(url, "://"), *at, *colon;
	char *s, *pw;
	size_t n;

	auth = auth != NULL ? auth + 3 : url;
	n = strcspn(auth, "/?");
	at = memchr(auth, '@', n);
	colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon != NULL) {
		if (asprintf(&s, "%.*s%s", (int)(colon - url), url, at) < 0)
			return NULL;
	} else if ((s = strdup(url)) == NULL)
		return NULL;
	if ((pw = strstr(s, "password=")) != NULL) {
		n = strcspn(pw + 9, "&");
		memmove(pw + 9, pw + 9 + n, strlen(pw + 9 + n) + 1);
	}
	return s;
}

/* A PostgreSQL database at url (see db-pg.c). */
static struct crm_db *
open_pg(const char *url, struct crm_error *err)
{
	struct crm_db *db;

	if ((db = calloc(1, sizeof(*db))) == NULL ||
	    (db->name = url_name(url)) == NULL) {
		free(db);
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	db->mode = 0600;
	if ((db->pg = crm_pg_open(url, db->name, crm_db_migrations,
	    crm_db_nmigrations, err)) == NULL) {
		free(db->name);
		free(db);
		return NULL;
	}
	return db;
}

int
crm_db_is_url(const char *path)
{
	return crm_pg_is_url(path);
}

int
crm_db_is_pg(const struct crm_db *db)
{
	return db->pg != NULL;
}

struct crm_db *
crm_db_open(const char *path, int flags, struct crm_error *err)
{
	struct crm_db *db;

	if (crm_pg_is_url(path))
		db = open_pg(path, err);
	else
		db = crm_sq_open(path, flags, err);
	if (db == NULL)
		return NULL;
	if (!close_all_set)
		close_all_set = atexit(close_all) == 0;
	db->next = open_dbs;
	open_dbs = db;
	return db;
}

int
crm_db_readonly(const struct crm_db *db)
{
	return db->readonly;
}

unsigned
crm_db_file_mode(const struct crm_db *db)
{
	return db->mode;
}

void
crm_db_close(struct crm_db *db)
{
	struct crm_db **pp;
	int i;

	if (db == NULL)
		return;
	for (pp = &open_dbs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == db) {
			*pp = db->next;
			break;
		}
	for (i = 0; i < db->nstmt; i++)
		crm_db_finalize(db->cache[i].st);
	free(db->cache);
	crm_db_rollback(db);
	crm_pg_close(db->pg);
	crm_sq_close(db);
	free(db->name);
	free(db);
}

int
crm_db_audit(struct crm_db *db, const char *program, int argc, char **argv,
    const char *counts_json, struct crm_error *err)
{
	struct crm_buf args = CRM_BUF_INIT(64 * 1024);
	struct crm_stmt *st;
	int i, rc = -1;

	for (i = 0; i < argc; i++) {
		if ((i > 0 && crm_buf_addc(&args, ' ', err) < 0) ||
		    crm_buf_adds(&args, argv[i], err) < 0) {
			/* Overlong argument lists are cut, not refused. */
			break;
		}
	}
	if ((st = crm_db_stmt(db, "INSERT INTO audit (at, program, args, counts)"
	    " VALUES (?, ?, ?, ?)", err)) == NULL)
		goto done;
	if (crm_db_bind_int(db, st, 1, crm_now(), err) < 0 ||
	    crm_db_bind_text(db, st, 2, program, err) < 0 ||
	    crm_db_bind_text(db, st, 3, crm_buf_str(&args), err) < 0 ||
	    crm_db_bind_text(db, st, 4, counts_json, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		goto done;
	rc = 0;
done:
	crm_buf_release(&args);
	return rc;
}
