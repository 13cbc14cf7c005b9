/*
 * db-int.h - the PostgreSQL backend behind db.h (db-pg.c).
 *
 * Only db.c and db-pg.c include this: every other module reaches either
 * engine through crm_db_*.  db.c keeps the SQLite side and dispatches a
 * connection opened with a postgresql:// or postgres:// URL here.
 */
#ifndef CRM_DB_INT_H
#define CRM_DB_INT_H

#include <stdint.h>
#include <stddef.h>

#include "db.h"
#include "error.h"

struct crm_pg;		/* a connection */
struct crm_pgst;	/* a statement: SQL with $n, its bindings, a result */

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
 * For db-copy.c: the PostgreSQL connection of db (NULL for SQLite), and
 * libpq's handle of it (a PGconn *, declared void here so that only the
 * files that use libpq include it).
 */
struct crm_pg *crm_db_pg(struct crm_db *db);
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
