/*
 * fuzz-expr - the crm-segment --where language: crm_expr_parse() either
 * refuses the text with a column inside it, or gives SQL that SQLite
 * compiles against the real schema, with every parameter bound.
 */
#include <unistd.h>

#include "db.h"
#include "expr.h"
#include "fuzz.h"

static struct crm_db *db;
static char dbpath[4096];

static void
cleanup(void)
{
	char p[4200];

	crm_db_close(db);
	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
}

static void
setup(void)
{
	struct crm_error err;
	const char *tmp = getenv("TMPDIR");
	int fd;

	snprintf(dbpath, sizeof(dbpath), "%s/fuzz-expr-XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if ((fd = mkstemp(dbpath)) < 0)
		abort();
	close(fd);
	unlink(dbpath);
	if ((db = crm_db_open(dbpath, CRM_DB_CREATE, &err)) == NULL) {
		fprintf(stderr, "fuzz-expr: %s\n", err.msg);
		abort();
	}
	atexit(cleanup);
}

/* SQLite's own limits (expression depth, terms) are not the parser's bugs. */
static int
limit(const char *msg)
{
	return strstr(msg, "too large") != NULL ||
	    strstr(msg, "too many") != NULL ||
	    strstr(msg, "too deep") != NULL ||
	    strstr(msg, "stack overflow") != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_buf sql = CRM_BUF_INIT(1 << 24);
	struct crm_error err;
	struct crm_expr *e;
	struct crm_stmt *st;
	char *s;
	int col = 0;

	if (db == NULL)
		setup();
	s = fuzz_str(data, size);
	if ((e = crm_expr_parse(s, 1793534400, &col, &err)) == NULL) {
		FUZZ_CHECK(err.code == CRM_EUSAGE || err.code == CRM_EDATA ||
		    (err.code == CRM_EFAIL && strstr(err.msg, "memory") ==
		    NULL), "code %d: %s", err.code, err.msg);
		FUZZ_CHECK(col >= 0 && (size_t)col <= strlen(s) + 1,
		    "column %d of %zu: %s", col, strlen(s), err.msg);
		free(s);
		return 0;
	}
	if (crm_buf_addf(&sql, &err, "SELECT c.id %s WHERE %s",
	    crm_expr_from(e), crm_expr_sql(e)) == 0) {
		if ((st = crm_db_prepare(db, crm_buf_str(&sql), &err)) == NULL)
			FUZZ_CHECK(limit(err.msg), "'%s' gives bad SQL: %s: %s",
			    s, err.msg, crm_buf_str(&sql));
		else {
			FUZZ_CHECK(crm_db_bind_count(st) ==
			    crm_expr_nparams(e), "'%s': %d parameters, %d"
			    " bound", s, crm_db_bind_count(st),
			    crm_expr_nparams(e));
			FUZZ_CHECK(crm_expr_bind(e, db, st, 1, &err) == 0, "'%s': bind",
			    s);
			FUZZ_CHECK(crm_db_step(db, st, &err) >= 0 ||
			    limit(err.msg), "'%s': %s", s, err.msg);
			crm_db_finalize(st);
		}
	}
	crm_expr_free(e);
	crm_buf_release(&sql);
	free(s);
	return 0;
}
