/* Unit tests for libcrm/db: creation, refusal, wrappers, transactions. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "tap.h"

static char dir[] = "/tmp/crm-t-db-XXXXXX";
static char path[256];
static struct crm_error err;

static int
mode_of(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 ? (int)(sb.st_mode & 0777) : -1;
}

int
main(void)
{
	struct crm_db *db, *db2;
	struct crm_stmt *st, *st2;
	char wal[300];
	int64_t v;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/crm.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	umask(022);

	ok(crm_db_open(path, 0, &err) == NULL &&
	    strstr(err.msg, "no such database") != NULL,
	    "missing file without CRM_DB_CREATE: %s", err.msg);
	ok(access(path, F_OK) != 0, "and not created");

	db = crm_db_open(path, CRM_DB_CREATE, &err);
	ok(db != NULL, "created");
	ok(mode_of(path) == 0600, "database mode 0600 despite umask 022");
	ok(crm_db_exec(db, "INSERT INTO audit (at, program) VALUES (1, 'x')",
	    &err) == 0, "write");
	ok(mode_of(wal) == 0600, "-wal mode 0600 (%o)", mode_of(wal));
	ok(crm_db_query_int(db, "PRAGMA application_id", &v, &err) == 0 &&
	    v == CRM_DB_APPLICATION_ID, "application_id set");
	ok(crm_db_query_int(db, "PRAGMA user_version", &v, &err) == 0 &&
	    v == CRM_DB_SCHEMA, "user_version = schema");
	ok(crm_db_query_int(db, "PRAGMA foreign_keys", &v, &err) == 0 &&
	    v == 1, "foreign keys on");
	ok(crm_db_query_int(db, "SELECT count(*) FROM pragma_journal_mode"
	    " WHERE journal_mode = 'wal'", &v, &err) == 0 && v == 1, "WAL");

	ok(crm_db_stmt(db, "SELEKT 1", &err) == NULL && err.code == CRM_EFAIL
	    && strstr(err.msg, "syntax error") != NULL,
	    "prepare error carries sqlite3_errmsg: %s", err.msg);
	st = crm_db_stmt(db, "SELECT ?1 + 1", &err);
	st2 = crm_db_stmt(db, "SELECT ?1 + 1", &err);
	ok(st != NULL && st == st2, "statement cached by its text");

	ok(crm_db_exec(db, "INSERT INTO consent_events (contact_id, at,"
	    " channel, granted) VALUES (999, 1, 'email', 1)", &err) < 0 &&
	    err.code == CRM_EDATA && strstr(err.msg, "FOREIGN KEY") != NULL,
	    "constraint failure is CRM_EDATA: %s", err.msg);

	ok(crm_db_begin(db, &err) == 0, "begin");
	crm_db_exec(db, "INSERT INTO audit (at, program) VALUES (2, 'y')",
	    &err);
	crm_db_rollback(db);
	ok(crm_db_query_int(db, "SELECT count(*) FROM audit", &v, &err) == 0
	    && v == 1, "rollback undoes");
	crm_db_rollback(db);	/* outside a transaction: a no-op */

	/* A second writer waits for the first, up to the busy timeout. */
	setenv("CRM_BUSY_TIMEOUT", "0", 1);
	db2 = crm_db_open(path, 0, &err);
	ok(db2 != NULL, "second connection");
	ok(crm_db_begin(db, &err) == 0, "first takes the write lock");
	ok(crm_db_begin(db2, &err) < 0 && strstr(err.msg, "locked") != NULL,
	    "second gives up after its (zero) timeout: %s", err.msg);
	crm_db_rollback(db);
	ok(crm_db_begin(db2, &err) == 0, "and gets it once free");
	crm_db_rollback(db2);
	crm_db_close(db2);
	unsetenv("CRM_BUSY_TIMEOUT");
	crm_db_close(db);

	/* Reopen: no migration runs again. */
	db = crm_db_open(path, 0, &err);
	ok(db != NULL && crm_db_query_int(db, "SELECT count(*) FROM audit",
	    &v, &err) == 0 && v == 1, "reopened with its data");
	crm_db_exec(db, "PRAGMA user_version = 77", &err);
	crm_db_close(db);
	ok(crm_db_open(path, 0, &err) == NULL &&
	    strstr(err.msg, "schema version 77 is newer") != NULL,
	    "newer schema refused: %s", err.msg);

	/* Someone else's SQLite file. */
	snprintf(path, sizeof(path), "%s/other.db", dir);
	{
		sqlite3 *h;

		sqlite3_open(path, &h);
		sqlite3_exec(h, "CREATE TABLE t (x)", NULL, NULL, NULL);
		sqlite3_close(h);
	}
	ok(crm_db_open(path, 0, &err) == NULL &&
	    strstr(err.msg, "not a crm database") != NULL,
	    "foreign file refused: %s", err.msg);
	{
		sqlite3 *h;

		sqlite3_open(path, &h);
		sqlite3_exec(h, "PRAGMA application_id = 42", NULL, NULL, NULL);
		sqlite3_close(h);
	}
	ok(crm_db_open(path, 0, &err) == NULL &&
	    strstr(err.msg, "application_id 0x0000002a") != NULL,
	    "other application_id refused: %s", err.msg);

	ok(strcmp(crm_db_path("x.db"), "x.db") == 0, "path from option");
	setenv("CRM_DB", "env.db", 1);
	ok(strcmp(crm_db_path(NULL), "env.db") == 0, "path from CRM_DB");
	unsetenv("CRM_DB");
	ok(strcmp(crm_db_path(NULL), "crm.db") == 0, "default path");

	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return tap_done();
}
