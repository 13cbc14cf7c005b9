/*
 * db.c - SQLite behind db.h: the only file that includes sqlite3.h.
 * db-api.c calls crm_sq_* (db-int.h) for a connection without pg set.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "db-int.h"
#include "mem.h"
#include "norm.h"

#define CACHE_MB	64	/* the page cache of each connection */

#define ST(x)	((x)->st)

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * SQLite's busy timeout, with word of the wait: after a second, the hook
 * (crm_db_on_wait()) hears how long it has been, a few times a second.
 */
static int
busy_wait(void *arg, int count)
{
	struct crm_db *db = arg;
	double now = mono_s(), waited;
	int ms = count < 10 ? count + 1 : count < 40 ? 10 : 50;

	if (count == 0)
		db->busy_since = now;
	waited = now - db->busy_since;
	if (waited * 1000 >= db->busy_ms)
		return 0;
	if (crm_db_wait_hook != NULL && waited >= 1.0)
		crm_db_wait_hook(db->name, waited);
	usleep((useconds_t)ms * 1000);
	return 1;
}

static int
dberr(struct crm_db *db, struct crm_error *err, int rc, const char *what)
{
	int code = CRM_EFAIL;

	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		code = CRM_EDATA;
	return crm_error_set(err, code, "%s: %s: %s", db->name, what,
	    sqlite3_errmsg(db->h));
}

const char *
crm_db_engine_version(void)
{
	return sqlite3_libversion();
}

int
crm_sq_in_tx(struct crm_db *db)
{
	return !sqlite3_get_autocommit(db->h);
}

int64_t
crm_sq_changes(struct crm_db *db)
{
	return sqlite3_changes64(db->h);
}

int
crm_sq_foreign_keys(struct crm_db *db, int on, struct crm_error *err)
{
	return crm_sq_exec(db, on ? "PRAGMA foreign_keys = ON" :
	    "PRAGMA foreign_keys = OFF", err);
}

int
crm_sq_map_reads(struct crm_db *db, struct crm_error *err)
{
	/*
	 * 2 GiB less 64 KiB: the largest map SQLite's default build takes.
	 * A read through the map is a memory access, not a read(2) and a
	 * copy into the page cache.
	 */
	return crm_sq_exec(db, "PRAGMA mmap_size = 2147418112", err);
}

int
crm_sq_secure_delete(struct crm_db *db, int on, struct crm_error *err)
{
	return crm_sq_exec(db, on ? "PRAGMA secure_delete = ON" :
	    "PRAGMA secure_delete = OFF", err);
}

int
crm_sq_secure_delete_on(struct crm_db *db)
{
	struct crm_error err;
	int64_t v = 0;

	return crm_sq_query_int(db, "PRAGMA secure_delete", &v, &err) == 0 &&
	    v != 0;
}

int
crm_sq_checkpoint(struct crm_db *db, struct crm_error *err)
{
	int rc;

	rc = sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_TRUNCATE,
	    NULL, NULL);
	if (rc == SQLITE_OK)
		return 0;
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return 1;
	return dberr(db, err, rc, "checkpoint");
}

/* Empty the log, without waiting for a program that is using it. */
void
crm_sq_truncate_log(struct crm_db *db)
{
	sqlite3_busy_timeout(db->h, 0);
	(void)sqlite3_wal_checkpoint_v2(db->h, NULL,
	    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
}

int
crm_sq_exec(struct crm_db *db, const char *sql, struct crm_error *err)
{
	int rc;

	if ((rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL)) != SQLITE_OK)
		return dberr(db, err, rc, "exec");
	return 0;
}

int
crm_sq_query_int(struct crm_db *db, const char *sql, int64_t *out,
    struct crm_error *err)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL)) != SQLITE_OK)
		return dberr(db, err, rc, "prepare");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		return 0;
	}
	dberr(db, err, rc, "query");
	sqlite3_finalize(st);
	return -1;
}

int
crm_sq_prepare(struct crm_db *db, const char *sql, int persistent,
    struct crm_stmt *st, struct crm_error *err)
{
	int rc;

	rc = sqlite3_prepare_v3(db->h, sql, -1, persistent ?
	    SQLITE_PREPARE_PERSISTENT : 0, &st->st, NULL);
	if (rc != SQLITE_OK)
		return dberr(db, err, rc, "prepare");
	return 0;
}

void
crm_sq_clear(struct crm_stmt *st)
{
	sqlite3_clear_bindings(ST(st));
}

int64_t
crm_sq_last_id(struct crm_db *db)
{
	return sqlite3_last_insert_rowid(db->h);
}

int
crm_sq_step(struct crm_db *db, struct crm_stmt *st, struct crm_error *err)
{
	int rc = sqlite3_step(ST(st));

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE) {
		sqlite3_reset(ST(st));
		return 0;
	}
	dberr(db, err, rc, "step");
	sqlite3_reset(ST(st));
	return -1;
}

static int
bindrc(struct crm_db *db, int rc, struct crm_error *err)
{
	return rc == SQLITE_OK ? 0 : dberr(db, err, rc, "bind");
}

int
crm_sq_bind_text(struct crm_db *db, struct crm_stmt *st, int i,
    const char *s, int copy, struct crm_error *err)
{
	if (s == NULL)
		return bindrc(db, sqlite3_bind_null(ST(st), i), err);
	return bindrc(db, sqlite3_bind_text(ST(st), i, s, -1, copy ?
	    SQLITE_TRANSIENT : SQLITE_STATIC), err);
}

int
crm_sq_bind_blob(struct crm_db *db, struct crm_stmt *st, int i,
    const void *p, size_t n, struct crm_error *err)
{
	return bindrc(db, sqlite3_bind_blob64(ST(st), i, p, n, SQLITE_STATIC),
	    err);
}

int
crm_sq_bind_int(struct crm_db *db, struct crm_stmt *st, int i, int64_t v,
    struct crm_error *err)
{
	return bindrc(db, sqlite3_bind_int64(ST(st), i, v), err);
}

int
crm_sq_bind_double(struct crm_db *db, struct crm_stmt *st, int i, double v,
    struct crm_error *err)
{
	return bindrc(db, sqlite3_bind_double(ST(st), i, v), err);
}

int
crm_sq_bind_null(struct crm_db *db, struct crm_stmt *st, int i,
    struct crm_error *err)
{
	return bindrc(db, sqlite3_bind_null(ST(st), i), err);
}

int
crm_sq_bind_count(struct crm_stmt *st)
{
	return sqlite3_bind_parameter_count(ST(st));
}

const char *
crm_sq_col_text(struct crm_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(ST(st), i);
}

int64_t
crm_sq_col_int(struct crm_stmt *st, int i)
{
	return sqlite3_column_int64(ST(st), i);
}

double
crm_sq_col_double(struct crm_stmt *st, int i)
{
	return sqlite3_column_double(ST(st), i);
}

const void *
crm_sq_col_blob(struct crm_stmt *st, int i)
{
	return sqlite3_column_blob(ST(st), i);
}

int
crm_sq_col_bytes(struct crm_stmt *st, int i)
{
	return sqlite3_column_bytes(ST(st), i);
}

static enum crm_db_type
type_of(int t)
{
	switch (t) {
	case SQLITE_INTEGER:
		return CRM_DB_INT;
	case SQLITE_FLOAT:
		return CRM_DB_FLOAT;
	case SQLITE_TEXT:
		return CRM_DB_TEXT;
	case SQLITE_BLOB:
		return CRM_DB_BLOB;
	default:
		return CRM_DB_NULL;
	}
}

enum crm_db_type
crm_sq_col_type(struct crm_stmt *st, int i)
{
	return type_of(sqlite3_column_type(ST(st), i));
}

int
crm_sq_col_count(struct crm_stmt *st)
{
	return sqlite3_column_count(ST(st));
}

const char *
crm_sq_col_name(struct crm_stmt *st, int i)
{
	return sqlite3_column_name(ST(st), i);
}

void
crm_sq_reset(struct crm_stmt *st)
{
	sqlite3_reset(ST(st));
}

void
crm_sq_finalize(struct crm_stmt *st)
{
	sqlite3_finalize(ST(st));
}

/* What a module's SQL function sees of one call. */
struct crm_db_call {
	sqlite3_context *ctx;
	sqlite3_value **argv;
};

struct fn_entry {
	void (*fn)(struct crm_db_call *);
};

static void
call_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct fn_entry *e = sqlite3_user_data(ctx);
	struct crm_db_call c = { ctx, argv };

	(void)argc;
	e->fn(&c);
}

int
crm_sq_function(struct crm_db *db, const char *name, int nargs,
    void (*fn)(struct crm_db_call *c), struct crm_error *err)
{
	int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
	struct fn_entry *e;
	int rc;

	if ((e = malloc(sizeof(*e))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	e->fn = fn;
	rc = sqlite3_create_function_v2(db->h, name, nargs, flags, e, call_fn,
	    NULL, NULL, free);
	if (rc != SQLITE_OK)
		return dberr(db, err, rc, "registering SQL function");
	return 0;
}

enum crm_db_type
crm_db_arg_type(struct crm_db_call *c, int i)
{
	return type_of(sqlite3_value_type(c->argv[i]));
}

const unsigned char *
crm_db_arg_text(struct crm_db_call *c, int i, size_t *len)
{
	const unsigned char *s = sqlite3_value_text(c->argv[i]);

	if (len != NULL)
		*len = (size_t)sqlite3_value_bytes(c->argv[i]);
	return s;
}

int64_t
crm_db_arg_int(struct crm_db_call *c, int i)
{
	return sqlite3_value_int64(c->argv[i]);
}

void
crm_db_result_null(struct crm_db_call *c)
{
	sqlite3_result_null(c->ctx);
}

void
crm_db_result_double(struct crm_db_call *c, double v)
{
	sqlite3_result_double(c->ctx, v);
}

void
crm_db_result_blob(struct crm_db_call *c, const void *p, size_t n)
{
	sqlite3_result_blob64(c->ctx, p, n, SQLITE_TRANSIENT);
}

void *
crm_db_aux(struct crm_db_call *c, int i)
{
	return sqlite3_get_auxdata(c->ctx, i);
}

void
crm_db_set_aux(struct crm_db_call *c, int i, void *p, void (*destroy)(void *))
{
	sqlite3_set_auxdata(c->ctx, i, p, destroy);
}

int
crm_sq_begin(struct crm_db *db, struct crm_error *err)
{
	return crm_sq_exec(db, "BEGIN IMMEDIATE", err);
}

int
crm_sq_begin_read(struct crm_db *db, struct crm_error *err)
{
	int64_t n;

	if (crm_sq_exec(db, "BEGIN", err) < 0)
		return -1;
	db->in_tx = 1;
	/* BEGIN is deferred: the snapshot is taken by the first read. */
	if (crm_sq_query_int(db, "SELECT count(*) FROM sqlite_schema", &n,
	    err) < 0) {
		crm_db_rollback(db);
		return -1;
	}
	return 0;
}

int
crm_sq_commit(struct crm_db *db, struct crm_error *err)
{
	return crm_sq_exec(db, "COMMIT", err);
}

void
crm_sq_rollback(struct crm_db *db)
{
	if (db->h != NULL && !sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

/* crm_email_key(text): crm_norm_email_rekey(), for migration 8. */
static void
email_key_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *s = sqlite3_value_text(argv[0]);
	char *k;

	(void)argc;
	if (s == NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	if ((k = crm_norm_email_rekey((const char *)s)) == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	sqlite3_result_text(ctx, k, -1, free);
}

/*
 * Bring the schema to CRM_DB_SCHEMA.  Runs under BEGIN IMMEDIATE and reads
 * the version inside the transaction, so two programs opening a new file at
 * once cannot both migrate it.
 */
static int
migrate(struct crm_db *db, struct crm_error *err)
{
	int64_t appid, ver, nobj;
	char sql[64];
	int i;

	if (crm_db_query_int(db, "PRAGMA application_id", &appid, err) < 0 ||
	    crm_db_query_int(db, "PRAGMA user_version", &ver, err) < 0)
		return -1;
	if (appid == CRM_DB_APPLICATION_ID && ver == CRM_DB_SCHEMA)
		return 0;
	if (db->readonly && appid == CRM_DB_APPLICATION_ID && ver >= 0 &&
	    ver < CRM_DB_SCHEMA)
		return crm_error_set(err, CRM_EFAIL, "%s: read-only, and its"
		    " schema (version %lld) needs upgrading to %d: open it once"
		    " with write access", db->name, (long long)ver,
		    CRM_DB_SCHEMA);
	if (crm_db_begin(db, err) < 0)
		return -1;
	if (crm_db_query_int(db, "PRAGMA application_id", &appid, err) < 0 ||
	    crm_db_query_int(db, "PRAGMA user_version", &ver, err) < 0 ||
	    crm_db_query_int(db, "SELECT count(*) FROM sqlite_schema", &nobj,
	    err) < 0)
		goto fail;
	if (appid != CRM_DB_APPLICATION_ID) {
		if (appid != 0 || nobj != 0) {
			crm_error_set(err, CRM_EFAIL,
			    "%s: not a crm database (application_id 0x%08llx,"
			    " %lld schema objects)", db->name,
			    (unsigned long long)(uint32_t)appid,
			    (long long)nobj);
			goto fail;
		}
		snprintf(sql, sizeof(sql), "PRAGMA application_id = %d",
		    CRM_DB_APPLICATION_ID);
		if (crm_db_exec(db, sql, err) < 0)
			goto fail;
		ver = 0;
	}
	if (ver < 0) {
		crm_error_set(err, CRM_EFAIL,
		    "%s: schema version %lld is not one crm writes: the"
		    " file is damaged or was changed by hand", db->name,
		    (long long)ver);
		goto fail;
	}
	if (ver > CRM_DB_SCHEMA) {
		crm_error_set(err, CRM_EFAIL,
		    "%s: schema version %lld is newer than this crm (%d);"
		    " upgrade crm", db->name, (long long)ver, CRM_DB_SCHEMA);
		goto fail;
	}
	/* What the migrations call on the rows they move. */
	if (sqlite3_create_function(db->h, "crm_email_key", 1, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC, NULL, email_key_fn, NULL, NULL) !=
	    SQLITE_OK) {
		dberr(db, err, SQLITE_ERROR, "crm_email_key");
		goto fail;
	}
	for (i = (int)ver; i < crm_db_nmigrations; i++) {
		if (crm_db_exec(db, crm_db_migrations[i], err) < 0) {
			crm_error_prefix(err, "migration %d", i + 1);
			goto fail;
		}
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", CRM_DB_SCHEMA);
	if (crm_db_exec(db, sql, err) < 0 || crm_db_commit(db, err) < 0)
		goto fail;
	return 0;
fail:
	crm_db_rollback(db);
	return -1;
}

static int
busy_timeout_ms(void)
{
	const char *s = getenv("CRM_BUSY_TIMEOUT");
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return 600 * 1000;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > 86400)
		return 600 * 1000;
	return (int)(v * 1000);
}

void
crm_db_bulk(void)
{
	static void *block;
	int hdr = 0;
	size_t sz, n;

	if (block != NULL || sqlite3_config(SQLITE_CONFIG_PCACHE_HDRSZ, &hdr) !=
	    SQLITE_OK)
		return;
	sz = ((size_t)4096 + (size_t)hdr + 63) & ~(size_t)63;
	n = (size_t)CACHE_MB * 1024 * 1024 / 4096;
	if ((block = crm_big(malloc(sz * n), n, sz)) == NULL)
		return;
	if (sqlite3_config(SQLITE_CONFIG_PAGECACHE, block, (int)sz, (int)n) !=
	    SQLITE_OK) {
		free(block);
		block = NULL;
	}
}

struct crm_db *
crm_sq_open(const char *path, int flags, struct crm_error *err)
{
	struct crm_db *db;
	char sql[64], *real, *uri = NULL, wal[4096];
	const char *mode;
	struct stat sb;
	int rc, tries, oflags;

	/*
	 * No memory statistics: they take a global mutex on every malloc.
	 * Only possible before SQLite initialises; later calls fail harmlessly.
	 */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (crm_dbf_create(path, flags, err) < 0)
		return NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL ||
	    (db->name = strdup(path)) == NULL ||
	    (real = crm_dbf_real_dir(path)) == NULL) {
		if (db != NULL)
			free(db->name);
		free(db);
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	db->mode = stat(path, &sb) == 0 ? (unsigned)(sb.st_mode & 07777) : 0600;
	/*
	 * A database that may not be written, or whose directory may not
	 * (so that SQLite cannot make its -wal and -shm there), is opened
	 * read-only, as sqlite3 does: readers work, a writer fails at its
	 * first write.  Without a log beside it in a directory that refuses
	 * one, it is opened immutable (nobody can be writing it).
	 */
	oflags = SQLITE_OPEN_READWRITE;
	if (access(path, W_OK) != 0 || !crm_dbf_dir_writable(path)) {
		db->readonly = 1;
		oflags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
		snprintf(wal, sizeof(wal), "%s-wal", path);
		uri = crm_dbf_uri(real, !crm_dbf_dir_writable(path) && (stat(wal, &sb) !=
		    0 || sb.st_size == 0) ? "?immutable=1" : "?mode=ro");
		if (uri == NULL) {
			free(real);
			crm_error_set(err, CRM_EFAIL, "out of memory");
			goto fail;
		}
	}
	/* One connection per thread: no per-call mutex. */
	rc = sqlite3_open_v2(uri != NULL ? uri : real, &db->h, oflags |
	    SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL);
	free(real);
	free(uri);
	if (rc != SQLITE_OK) {
		crm_error_set(err, CRM_EFAIL, "%s: %s", path,
		    db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(db->h, 1);
	db->busy_ms = busy_timeout_ms();
	sqlite3_busy_handler(db->h, busy_wait, db);
	if (crm_db_exec(db, "PRAGMA foreign_keys = ON", err) < 0)
		goto fail;
	/*
	 * Switching to WAL needs an exclusive lock and SQLite does not call
	 * the busy handler for it, so retry briefly; once a file is in WAL
	 * mode it stays so and this is a read.
	 */
	for (tries = 0; !db->readonly; tries++) {
		sqlite3_stmt *st;

		rc = sqlite3_prepare_v2(db->h, "PRAGMA journal_mode = WAL",
		    -1, &st, NULL);
		if (rc == SQLITE_OK) {
			rc = sqlite3_step(st);
			mode = rc == SQLITE_ROW ?
			    (const char *)sqlite3_column_text(st, 0) : NULL;
			if (rc == SQLITE_ROW && mode != NULL &&
			    strcmp(mode, "wal") != 0)
				rc = SQLITE_ERROR;
			sqlite3_finalize(st);
		}
		if (rc == SQLITE_ROW)
			break;
		if ((rc & 0xff) != SQLITE_BUSY || tries > 6000) {
			dberr(db, err, rc, "journal_mode");
			goto fail;
		}
		usleep(10000);
	}
	snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%d", CACHE_MB * 1024);
	/* Deleted personal data is overwritten, not left in free pages. */
	if (crm_db_exec(db, "PRAGMA secure_delete = ON", err) < 0 ||
	    crm_db_exec(db, "PRAGMA synchronous = FULL", err) < 0 ||
	    crm_db_exec(db, sql, err) < 0 ||
	    crm_db_exec(db, "PRAGMA temp_store = MEMORY", err) < 0)
		goto fail;
	if (migrate(db, err) < 0)
		goto fail;
	if (!db->readonly)
		crm_dbf_sidecars_private(path);
	return db;
fail:
	crm_db_close(db);
	return NULL;
}

void
crm_sq_close(struct crm_db *db)
{
	sqlite3_close(db->h);
}
