/*
 * db-int.h - what the files behind db.h share, and only they include:
 *
 *   db-api.c     crm_db_*: the one door, the same calls on either engine
 *   db.c         SQLite (the only file that includes sqlite3.h)
 *   db-file.c    an SQLite database file: created 0600, its directory
 *   db-schema.c  SQLite's migrations (crm_db_migrations)
 *   db-pg.c      PostgreSQL through libpq
 *   db-pg-sql.c  PostgreSQL's own migrations, functions and id triggers
 *
 * Every other module reaches either engine through crm_db_*.  A
 * connection opened with a postgresql:// or postgres:// URL has pg set;
 * any other has h, an SQLite handle.
 */
#ifndef CRM_DB_INT_H
#define CRM_DB_INT_H

#include <stdint.h>
#include <stddef.h>

#include "db.h"
#include "error.h"

struct sqlite3;		/* SQLite's connection and statement (db.c) */
struct sqlite3_stmt;
struct crm_pg;		/* a connection */
struct crm_pgst;	/* a statement: SQL with $n, its bindings, a result */

/* A statement of either engine: SQLite's, or PostgreSQL's when pg is set. */
struct crm_stmt {
	struct sqlite3_stmt *st;
	struct crm_pgst *pg;
};

struct crm_db_stmt_entry {
	const char *sql;
	struct crm_stmt *st;
};

struct crm_db {
	struct sqlite3 *h;
	struct crm_pg *pg;	/* a PostgreSQL connection instead of h */
	char *name;
	int in_tx;
	int readonly;		/* opened read-only (see crm_db_open()) */
	unsigned mode;		/* the database file's permission bits */
	int nstmt, astmt;
	struct crm_db_stmt_entry *cache;	/* grows; entries live until close */
	struct crm_db *next;	/* the open connections, for exit */
	int busy_ms;		/* how long to wait for another writer */
	double busy_since;	/* when this wait began */
	/* What crm_db_commit() runs first (crm_db_before_commit()). */
	struct crm_db_pending {
		int (*fn)(void *arg, struct crm_error *err);
		void *arg;
	} pending[4];
	int npending;
};

/* db-api.c: what crm_db_on_wait() set, or NULL. */
extern void (*crm_db_wait_hook)(const char *path, double waited);

/* db-schema.c: SQLite's migrations; i takes version i to i + 1. */
extern const char *const crm_db_migrations[];
extern const int crm_db_nmigrations;

/*
 * db.c: SQLite.  crm_sq_open() makes the struct crm_db; the others are
 * crm_db_*'s SQLite half, errors with sqlite3_errmsg() in the message.
 */
struct crm_db *crm_sq_open(const char *path, int flags,
    struct crm_error *err);
void crm_sq_close(struct crm_db *db);
void crm_sq_truncate_log(struct crm_db *db);
int crm_sq_foreign_keys(struct crm_db *db, int on, struct crm_error *err);
int crm_sq_map_reads(struct crm_db *db, struct crm_error *err);
int crm_sq_secure_delete(struct crm_db *db, int on, struct crm_error *err);
int crm_sq_secure_delete_on(struct crm_db *db);
int crm_sq_checkpoint(struct crm_db *db, struct crm_error *err);
int crm_sq_exec(struct crm_db *db, const char *sql, struct crm_error *err);
int crm_sq_query_int(struct crm_db *db, const char *sql, int64_t *out,
    struct crm_error *err);
int crm_sq_in_tx(struct crm_db *db);
int64_t crm_sq_changes(struct crm_db *db);
int64_t crm_sq_last_id(struct crm_db *db);
int crm_sq_begin(struct crm_db *db, struct crm_error *err);
int crm_sq_begin_read(struct crm_db *db, struct crm_error *err);
int crm_sq_commit(struct crm_db *db, struct crm_error *err);
void crm_sq_rollback(struct crm_db *db);
int crm_sq_function(struct crm_db *db, const char *name, int nargs,
    void (*fn)(struct crm_db_call *c), struct crm_error *err);
/* persistent: a statement kept for the connection's life (crm_db_stmt). */
int crm_sq_prepare(struct crm_db *db, const char *sql, int persistent,
    struct crm_stmt *st, struct crm_error *err);
int crm_sq_step(struct crm_db *db, struct crm_stmt *st, struct crm_error *err);
void crm_sq_reset(struct crm_stmt *st);
void crm_sq_clear(struct crm_stmt *st);
void crm_sq_finalize(struct crm_stmt *st);
int crm_sq_bind_text(struct crm_db *db, struct crm_stmt *st, int i,
    const char *s, int copy, struct crm_error *err);
int crm_sq_bind_blob(struct crm_db *db, struct crm_stmt *st, int i,
    const void *p, size_t n, struct crm_error *err);
int crm_sq_bind_int(struct crm_db *db, struct crm_stmt *st, int i, int64_t v,
    struct crm_error *err);
int crm_sq_bind_double(struct crm_db *db, struct crm_stmt *st, int i, double v,
    struct crm_error *err);
int crm_sq_bind_null(struct crm_db *db, struct crm_stmt *st, int i,
    struct crm_error *err);
int crm_sq_bind_count(struct crm_stmt *st);
const char *crm_sq_col_text(struct crm_stmt *st, int i);
int64_t crm_sq_col_int(struct crm_stmt *st, int i);
double crm_sq_col_double(struct crm_stmt *st, int i);
const void *crm_sq_col_blob(struct crm_stmt *st, int i);
int crm_sq_col_bytes(struct crm_stmt *st, int i);
enum crm_db_type crm_sq_col_type(struct crm_stmt *st, int i);
int crm_sq_col_count(struct crm_stmt *st);
const char *crm_sq_col_name(struct crm_stmt *st, int i);

/* db-file.c: an SQLite database file and its directory. */
int crm_dbf_create(const char *path, int flags, struct crm_error *err);
int crm_dbf_dir_writable(const char *path);
void crm_dbf_sidecars_private(const char *path);
char *crm_dbf_uri(const char *path, const char *query);
char *crm_dbf_real_dir(const char *path);

/* db-pg.c: PostgreSQL. */
/* 1 if s names a PostgreSQL database rather than an SQLite file. */
int crm_pg_is_url(const char *s);

/*
 * Connect to url (named name in messages) and bring its schema to n
 * migrations: sqlite[i] is SQLite's migration i, translated unless
 * PostgreSQL has one of its own (db-pg.c).
 */
struct crm_pg *crm_pg_open(const char *url, const char *name,
    const char *const *sqlite, int n, struct crm_error *err);
void crm_pg_close(struct crm_pg *pg);
const char *crm_pg_server_version(struct crm_pg *pg);
/* Skip blanks; then whether word (any case) comes next, and skip it. */
int crm_pg_word(const char **pp, const char *w);

/*
 * db-pg-schema.c: bring pg's schema to n migrations (sqlite[i] is
 * SQLite's i, translated unless crm_pg_migrations[i] is PostgreSQL's
 * own), in one transaction under the writers' lock; name for messages.
 */
int crm_pg_migrate(struct crm_pg *pg, const char *name,
    const char *const *sqlite, int n, struct crm_error *err);

int crm_pg_exec(struct crm_pg *pg, const char *sql, struct crm_error *err);
int crm_pg_query_int(struct crm_pg *pg, const char *sql, int64_t *out,
    struct crm_error *err);
int crm_pg_begin(struct crm_pg *pg, int write, struct crm_error *err);
int crm_pg_commit(struct crm_pg *pg, struct crm_error *err);
void crm_pg_rollback(struct crm_pg *pg);
int crm_pg_in_tx(struct crm_pg *pg);
int64_t crm_pg_changes(struct crm_pg *pg);
int64_t crm_pg_last_id(struct crm_pg *pg);

struct crm_pgst *crm_pg_prepare(struct crm_pg *pg, const char *sql,
    struct crm_error *err);
int crm_pg_step(struct crm_pgst *st, struct crm_error *err);
void crm_pg_reset(struct crm_pgst *st);
void crm_pg_clear(struct crm_pgst *st);
void crm_pg_finalize(struct crm_pgst *st);

/* Bindings; copy says whether text must be copied now. */
int crm_pg_bind_text(struct crm_pgst *st, int i, const char *s, int copy,
    struct crm_error *err);
int crm_pg_bind_int(struct crm_pgst *st, int i, int64_t v,
    struct crm_error *err);
int crm_pg_bind_double(struct crm_pgst *st, int i, double v,
    struct crm_error *err);
int crm_pg_bind_blob(struct crm_pgst *st, int i, const void *p, size_t n,
    struct crm_error *err);
int crm_pg_bind_null(struct crm_pgst *st, int i, struct crm_error *err);
int crm_pg_bind_count(struct crm_pgst *st);

const char *crm_pg_col_text(struct crm_pgst *st, int i);
int64_t crm_pg_col_int(struct crm_pgst *st, int i);
double crm_pg_col_double(struct crm_pgst *st, int i);
const void *crm_pg_col_blob(struct crm_pgst *st, int i);
int crm_pg_col_bytes(struct crm_pgst *st, int i);
enum crm_db_type crm_pg_col_type(struct crm_pgst *st, int i);
int crm_pg_col_count(struct crm_pgst *st);
const char *crm_pg_col_name(struct crm_pgst *st, int i);

/*
 * For db-copy.c: libpq's handle of a connection (a PGconn *, declared
 * void here so that only the files that use libpq include it).
 */
void *crm_pg_conn(struct crm_pg *pg);

/* db-pg-sql.c: PostgreSQL's own migrations (NULL: SQLite's translated),
 * the functions that stand in for SQLite's, the id triggers. */
extern const char *const crm_pg_migrations[];
extern const int crm_pg_nmigrations;
extern const char crm_pg_functions[];
extern const char crm_pg_functions_analytics[];
extern const char crm_pg_functions_ops[];
extern const char crm_pg_ids[];

#endif
