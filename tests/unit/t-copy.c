/* crm_db_copy_* on SQLite: rows in, through the prepared INSERT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../libcrm/db.h"
#include "tap.h"

static char dir[] = "/tmp/crm-t-copy-XXXXXX";
static char path[256];
static struct crm_error err;

int
main(void)
{
	struct crm_db *db;
	struct crm_db_copy *cp;
	struct crm_stmt *st;
	char text[8];
	int rc;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/crm.db", dir);
	db = crm_db_open(path, CRM_DB_CREATE, &err);
	ok(db != NULL, "opened");
	ok(crm_db_exec(db, "CREATE TABLE t (a INTEGER, b TEXT, c REAL,"
	    " d BLOB, e TEXT)", &err) == 0 && crm_db_begin(db, &err) == 0,
	    "a table, a transaction");
	cp = crm_db_copy_begin(db, "t", "a, b, c, d, e", &err);
	ok(cp != NULL, "copy begun");
	/* The text is copied: the buffer changes before the row ends. */
	strcpy(text, "tab\tx");
	rc = crm_db_copy_int(cp, 7, &err) | crm_db_copy_text(cp, text, &err);
	strcpy(text, "changed");
	rc |= crm_db_copy_double(cp, 0.1, &err) |
	    crm_db_copy_blob(cp, "\0\1\\", 3, &err) |
	    crm_db_copy_null(cp, &err) | crm_db_copy_row(cp, &err);
	ok(rc == 0, "a row");
	ok(crm_db_copy_int(cp, 8, &err) == 0 &&
	    crm_db_copy_row(cp, &err) < 0 && strstr(err.msg, "1 values for 5"),
	    "a short row refused: %s", err.msg);
	ok(crm_db_copy_end(cp, &err) == 0, "ended");
	st = crm_db_stmt(db, "SELECT a, b, c, length(d), hex(d), e IS NULL,"
	    " count(*) OVER () FROM t", &err);
	ok(st != NULL && crm_db_step(db, st, &err) == 1, "read back");
	ok(crm_db_col_int(st, 0) == 7, "int");
	is_str(crm_db_col_text(st, 1), "tab\tx", "text as it was");
	is_num(crm_db_col_double(st, 2), 0.1, 0, "double exact");
	is_str(crm_db_col_text(st, 4), "00015C", "blob");
	ok(crm_db_col_int(st, 5) == 1 && crm_db_col_int(st, 6) == 1,
	    "null; one row");
	crm_db_reset(st);
	crm_db_rollback(db);
	crm_db_close(db);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
