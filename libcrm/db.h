/*
 * db.h - the one SQLite file every crm program shares.
 *
 * crm_db_open() opens (and with CRM_DB_CREATE creates, mode 0600) the
 * database, sets the connection up (WAL, foreign keys, busy timeout) and
 * brings its schema up to date in one transaction.  A file that belongs to
 * another application (PRAGMA application_id) or that a newer crm wrote
 * (PRAGMA user_version above CRM_DB_SCHEMA) is refused with CRM_EFAIL.
 *
 * Every SQLite call made by libcrm goes through the wrappers here, so that
 * each failure reaches the caller with sqlite3_errmsg() in its message.
 * Statements are prepared once per connection and cached by the address of
 * their SQL text: pass string literals (or other static strings) to
 * crm_db_stmt(), never text built at run time.
 */
#ifndef CRM_DB_H
#define CRM_DB_H

#include <stdint.h>
#include <stddef.h>

#include "error.h"

/* 'crm1': what PRAGMA application_id holds in every crm database. */
#define CRM_DB_APPLICATION_ID 0x63726d31
/* The schema version this build writes; see the migrations in db-schema.c. */
#define CRM_DB_SCHEMA 16

enum {
	CRM_DB_CREATE = 1 << 0,	/* create the file if it does not exist */
};

struct crm_db;

/*
 * A prepared statement.  Only db-*.c know what is inside: every module
 * reads and writes the database through the functions below, so that a
 * second engine needs changes in one place.
 */
struct crm_stmt;

/* Column and parameter types, as crm_db_col_type() reports them. */
enum crm_db_type {
	CRM_DB_INT = 1,
	CRM_DB_FLOAT = 2,
	CRM_DB_TEXT = 3,
	CRM_DB_BLOB = 4,
	CRM_DB_NULL = 5,
};

/*
 * For a program that reads or writes much of a database (an import):
 * call before the first crm_db_open().  SQLite's page cache then takes
 * its pages from one block, touched once and with the huge-page hint,
 * instead of allocating and faulting in each 4 KiB page on its own, which
 * is a fifth of a re-import's time.  The block (the cache size, 64 MiB)
 * is resident from the start, so short commands do without it.
 */
void crm_db_bulk(void);

/*
 * Open path (see crm_db_path() for the default).  Without CRM_DB_CREATE a
 * missing file is an error.  The busy timeout is $CRM_BUSY_TIMEOUT
 * seconds, default 600: overlapping writers wait for each other instead
 * of failing.  The -wal and -shm files are created 0600.  Free with
 * crm_db_close(); connections still open at exit(3) (a program that died
 * on an error) are rolled back, their log emptied when no other program
 * is using it, and closed.
 */
struct crm_db *crm_db_open(const char *path, int flags, struct crm_error *err);

/*
 * 1 if db was opened read-only: the file or its directory may not be
 * written (a backup on read-only media, a copy handed to an analyst), as
 * sqlite3 does; immutable when the directory refuses a log and there is
 * none.  Reads work; the first write fails with CRM_EFAIL.
 */
int crm_db_readonly(const struct crm_db *db);

/*
 * The database file's permission bits when it was opened (its -wal and
 * -shm are created 0600 whatever they are).
 */
unsigned crm_db_file_mode(const struct crm_db *db);

/* Finalize cached statements and close; NULL is a no-op. */
void crm_db_close(struct crm_db *db);

/*
 * The path given to -d/--db, else $CRM_DB, else "postgresql://" when
 * $PGDATABASE or $PGSERVICE names a PostgreSQL database, else "crm.db".
 * A postgresql:// or postgres:// URL (libpq's, with its environment and
 * service file for what it leaves out) selects PostgreSQL; anything else
 * is an SQLite file.
 */
const char *crm_db_path(const char *opt);

/* 1 if path (crm_db_path()'s) names a PostgreSQL database. */
int crm_db_is_url(const char *path);

/* 1 if db is a PostgreSQL database, 0 for an SQLite file. */
int crm_db_is_pg(const struct crm_db *db);

/*
 * Call fn, from then on, while a connection waits for another program's
 * write lock: after a second of waiting, a few times a second, with the
 * database's name and the seconds waited so far.  (cli.h says so on a
 * terminal.)
 */
void crm_db_on_wait(void (*fn)(const char *path, double waited));

/* The file name the database was opened with, for messages. */
const char *crm_db_name(const struct crm_db *db);

/* The version of the database engine, for --version. */
const char *crm_db_engine_version(void);

/* Whether a transaction is open on db (even one SQLite began itself). */
int crm_db_in_tx(struct crm_db *db);

/* Rows changed by the last INSERT, UPDATE or DELETE on db. */
int64_t crm_db_changes(struct crm_db *db);

/*
 * Named settings, so that no program or module spells engine pragmas:
 * foreign key enforcement on or off (outside a transaction); reads of a
 * large database through a memory map; deleted content overwritten with
 * zeros (crm_db_secure_delete_on() tells whether it is); the write-ahead
 * log checkpointed and truncated: 0 when done, 1 when a reader kept it
 * from finishing (the log then stays for a later checkpoint), -1 on error.
 */
int crm_db_foreign_keys(struct crm_db *db, int on, struct crm_error *err);
int crm_db_map_reads(struct crm_db *db, struct crm_error *err);
int crm_db_secure_delete(struct crm_db *db, int on, struct crm_error *err);
int crm_db_secure_delete_on(struct crm_db *db);
int crm_db_checkpoint(struct crm_db *db, struct crm_error *err);

/*
 * Transactions.  crm_db_begin() is BEGIN IMMEDIATE: it takes the write lock
 * at once, waiting up to the busy timeout for another writer, so that a
 * batch never fails half-way on a lock.  crm_db_rollback() never fails
 * (it is what error paths call) and is a no-op outside a transaction.
 */
int crm_db_begin(struct crm_db *db, struct crm_error *err);
/*
 * A read transaction whose snapshot is taken now, ended by
 * crm_db_rollback().  A second connection that begins one while a first
 * holds its write lock sees what the first does until that one writes;
 * after the first's crm_db_begin_read(), the same unless another
 * program commits in between.
 */
int crm_db_begin_read(struct crm_db *db, struct crm_error *err);
int crm_db_commit(struct crm_db *db, struct crm_error *err);
void crm_db_rollback(struct crm_db *db);

/*
 * Work a writer defers to the end of its transaction (a bulk import's
 * indexes rebuilt, its gathered rows written): crm_db_commit() runs fn(arg)
 * just before COMMIT, and a failure of fn fails the commit (the caller
 * then rolls back, as after any failed commit).  Registered once per (fn,
 * arg); forgotten by a rollback.  crm_db_before_commit_run() runs now
 * what arg registered (all of it for NULL) and forgets it: for a writer
 * that finishes early, or one freed before the commit.
 */
int crm_db_before_commit(struct crm_db *db, int (*fn)(void *arg,
    struct crm_error *err), void *arg, struct crm_error *err);
int crm_db_before_commit_run(struct crm_db *db, void *arg,
    struct crm_error *err);

/* Run SQL text that takes no parameters and returns no rows. */
int crm_db_exec(struct crm_db *db, const char *sql, struct crm_error *err);

/*
 * The cached, reset and cleared statement for sql, prepared on first use.
 * NULL with err set if it does not prepare.  The statement belongs to db.
 */
struct crm_stmt *crm_db_stmt(struct crm_db *db, const char *sql,
    struct crm_error *err);

/*
 * Prepare SQL assembled at run time from fixed fragments (never from user
 * text: values are bound).  Not cached: the caller finalizes it.
 */
struct crm_stmt *crm_db_prepare(struct crm_db *db, const char *sql,
    struct crm_error *err);

/* The rowid of the last INSERT. */
int64_t crm_db_last_id(struct crm_db *db);

/*
 * Step st: 1 for SQLITE_ROW, 0 for SQLITE_DONE (the statement is then
 * reset), -1 with err set (CRM_EDATA for a constraint violation, else
 * CRM_EFAIL) carrying sqlite3_errmsg().
 */
int crm_db_step(struct crm_db *db, struct crm_stmt *st, struct crm_error *err);

/*
 * Bind helpers: a NULL string binds NULL.  Text is not copied: it must
 * stay valid and unchanged until the statement is stepped to its end or
 * reset.  They return -1 with err set only on SQLite failure.
 */
int crm_db_bind_text(struct crm_db *db, struct crm_stmt *st, int i,
    const char *s, struct crm_error *err);
int crm_db_bind_int(struct crm_db *db, struct crm_stmt *st, int i, int64_t v,
    struct crm_error *err);
int crm_db_bind_double(struct crm_db *db, struct crm_stmt *st, int i, double v,
    struct crm_error *err);
int crm_db_bind_null(struct crm_db *db, struct crm_stmt *st, int i,
    struct crm_error *err);

/* Text copied by the statement: s may change once this returns. */
int crm_db_bind_text_copy(struct crm_db *db, struct crm_stmt *st, int i,
    const char *s, struct crm_error *err);
/* n bytes at p, not copied (as crm_db_bind_text). */
int crm_db_bind_blob(struct crm_db *db, struct crm_stmt *st, int i,
    const void *p, size_t n, struct crm_error *err);
/* How many parameters st has. */
int crm_db_bind_count(struct crm_stmt *st);

/*
 * Columns of the current row (0-based).  Text and blobs are valid until
 * the next step or reset of st; crm_db_col_text() gives NULL for NULL,
 * crm_db_col_int() and crm_db_col_double() give 0.
 */
const char *crm_db_col_text(struct crm_stmt *st, int i);
int64_t crm_db_col_int(struct crm_stmt *st, int i);
double crm_db_col_double(struct crm_stmt *st, int i);
const void *crm_db_col_blob(struct crm_stmt *st, int i);
int crm_db_col_bytes(struct crm_stmt *st, int i);
enum crm_db_type crm_db_col_type(struct crm_stmt *st, int i);
int crm_db_col_isnull(struct crm_stmt *st, int i);
int crm_db_col_count(struct crm_stmt *st);
const char *crm_db_col_name(struct crm_stmt *st, int i);

/* Back to the start, bindings kept; NULL is a no-op. */
void crm_db_reset(struct crm_stmt *st);
/* Free a statement from crm_db_prepare(); NULL is a no-op. */
void crm_db_finalize(struct crm_stmt *st);

/*
 * Scalar SQL functions of a module's own (deterministic, UTF-8): fn is
 * called once a row with a call whose arguments it reads and whose result
 * it sets.  Auxiliary data (slot i of the call) lives while the same
 * argument i is constant across the rows of one statement.
 */
struct crm_db_call;
int crm_db_function(struct crm_db *db, const char *name, int nargs,
    void (*fn)(struct crm_db_call *c), struct crm_error *err);
enum crm_db_type crm_db_arg_type(struct crm_db_call *c, int i);
const unsigned char *crm_db_arg_text(struct crm_db_call *c, int i,
    size_t *len);
int64_t crm_db_arg_int(struct crm_db_call *c, int i);
void crm_db_result_null(struct crm_db_call *c);
void crm_db_result_double(struct crm_db_call *c, double v);
void crm_db_result_blob(struct crm_db_call *c, const void *p, size_t n);
void *crm_db_aux(struct crm_db_call *c, int i);
void crm_db_set_aux(struct crm_db_call *c, int i, void *p,
    void (*destroy)(void *));

/*
 * Many rows into one table, the fastest way the engine has (db-copy.c):
 * on PostgreSQL COPY table (cols) FROM STDIN, the rows gathered in memory
 * and sent in one COPY by crm_db_copy_flush() (or when a megabyte has
 * gathered, or by crm_db_copy_end()); on SQLite a prepared INSERT stepped
 * by each crm_db_copy_row().  table and cols ("a, b, c") are fixed text
 * of the caller, never user text.  A row is one value per column, in
 * cols' order (crm_db_copy_text() copies the text; a blob must stay valid
 * until crm_db_copy_row()), then crm_db_copy_row().  Constraints and
 * triggers apply as for an INSERT, but no id comes back: give ids
 * explicitly where they matter.  On PostgreSQL the rows are not seen by
 * other statements (nor their errors reported) until flushed, so flush
 * before a statement that must see them; between flushes the connection
 * is free for other statements.  A failed flush leaves PostgreSQL's
 * transaction failed (roll back).  crm_db_copy_end() flushes and frees;
 * crm_db_copy_free() frees what was not sent (after an error).
 */
struct crm_db_copy;
struct crm_db_copy *crm_db_copy_begin(struct crm_db *db, const char *table,
    const char *cols, struct crm_error *err);
int crm_db_copy_text(struct crm_db_copy *cp, const char *s,
    struct crm_error *err);
int crm_db_copy_int(struct crm_db_copy *cp, int64_t v, struct crm_error *err);
int crm_db_copy_double(struct crm_db_copy *cp, double v,
    struct crm_error *err);
int crm_db_copy_blob(struct crm_db_copy *cp, const void *p, size_t n,
    struct crm_error *err);
int crm_db_copy_null(struct crm_db_copy *cp, struct crm_error *err);
int crm_db_copy_row(struct crm_db_copy *cp, struct crm_error *err);
int crm_db_copy_flush(struct crm_db_copy *cp, struct crm_error *err);
int crm_db_copy_end(struct crm_db_copy *cp, struct crm_error *err);
void crm_db_copy_free(struct crm_db_copy *cp);

/* One integer from a query with no parameters (e.g. a count). */
int crm_db_query_int(struct crm_db *db, const char *sql, int64_t *out,
    struct crm_error *err);

/*
 * Record a write run in the audit table: program, its arguments (argv
 * joined with spaces, each value as given) and a JSON object of counts.
 * Call inside the run's transaction so the entry commits with the data.
 */
int crm_db_audit(struct crm_db *db, const char *program, int argc,
    char **argv, const char *counts_json, struct crm_error *err);

#endif
