/*
 * db-pg.c - the PostgreSQL backend behind db.h, through libpq.
 *
 * What differs from SQLite, and how it is bridged:
 *
 *   - Parameters: the modules write SQLite's "?" and "?N"; prepare turns
 *     them into "$N" (outside quotes and comments).  Values are sent as
 *     text, typed int8, float8 or bytea when bound as such, else left for
 *     the server to infer from the context, as SQLite's loose typing
 *     expects.  Results come back as text and the column getters convert.
 *   - A statement runs at its first step and its whole result is kept,
 *     so that statements may interleave on one connection as they do on
 *     SQLite (a read loop that writes as it goes).
 *   - Ids: one more than the largest, as SQLite's rowids (crm_pg_ids in
 *     db-pg-sql.c, with the migrations and functions PostgreSQL runs).  An
 *     INSERT ... VALUES into such a table gets "RETURNING id" added, and
 *     crm_db_last_id() is the last id it returned.
 *   - Transactions: crm_db_begin() is BEGIN and a transaction-scoped
 *     advisory lock that every writer takes, the equivalent of SQLite's
 *     BEGIN IMMEDIATE (one writer at a time, the others wait up to
 *     CRM_BUSY_TIMEOUT); readers are not blocked.  A read transaction is
 *     REPEATABLE READ, one snapshot.
 *   - The schema: migration i is SQLite's migration i with its types
 *     translated (INTEGER to bigint, REAL to double precision, TEXT to
 *     text in the C collation, BLOB to bytea, WITHOUT ROWID dropped),
 *     unless crm_pg_migrations[i] holds one of PostgreSQL's own
 *     (triggers, data migrations).  The version is in crm_meta.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "buf.h"
#include "db-int.h"

/* The advisory lock every writer holds for its transaction: 'crm1'. */
#define WRITE_LOCK	"1668443441"

#define OID_BOOL	16
#define OID_BYTEA	17
#define OID_INT8	20
#define OID_INT2	21
#define OID_INT4	23
#define OID_OID		26
#define OID_FLOAT4	700
#define OID_FLOAT8	701
#define OID_NUMERIC	1700

struct crm_pg {
	PGconn *c;
	unsigned nprepared;	/* names for prepared statements */
	const char *name;	/* db.c's */
	int64_t changes;
	int64_t last_id;
	char **idtables;	/* tables whose ids crm_next_id() gives */
	int nidtables;
	char version[32];
};

struct param {
	Oid type;
	int fmt;		/* 1: binary (bytea) */
	int len;
	const char *val;	/* NULL for SQL NULL */
	char *own;		/* a copy val points into, or NULL */
	char num[32];		/* an int or double as text */
};

struct crm_pgst {
	struct crm_pg *pg;
	char *sql;		/* with $N */
	int returning;		/* "RETURNING id" was added */
	int nparam;
	struct param *p;
	const char **vals;
	int *lens, *fmts;
	Oid *types;
	Oid *ptypes;		/* its parameters' types on the server */
	char name[24];		/* its name on the server; "" before */
	PGresult *res;
	int row, nrows;		/* row -1: not run since the last reset */
	int ncols;
	unsigned char **blob;	/* decoded bytea of the current row */
	size_t *bloblen;
};


int
crm_pg_is_url(const char *s)
{
	return s != NULL && (strncmp(s, "postgresql:", 11) == 0 ||
	    strncmp(s, "postgres:", 9) == 0);
}

static int
pgerr(struct crm_pg *pg, const PGresult *res, struct crm_error *err,
    const char *what)
{
	const char *state = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res != NULL ? PQresultErrorMessage(res) : "";
	int code = CRM_EFAIL;
	size_t n;

	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(pg->c);
	/* Class 23: integrity constraint violation, as SQLITE_CONSTRAINT. */
	if (state != NULL && strncmp(state, "23", 2) == 0)
		code = CRM_EDATA;
	n = strcspn(msg, "\n");
	/*
	 * SQLite fails the statement and the transaction goes on (a batch
	 * with --rejects sets the record aside); PostgreSQL has failed
	 * the whole transaction: a failure, not a record to set aside.
	 */
	if (PQtransactionStatus(pg->c) == PQTRANS_INERROR)
		return crm_error_set(err, CRM_EFAIL, "%s: %s: %.*s (the"
		    " transaction is rolled back)", pg->name, what, (int)n,
		    msg);
	return crm_error_set(err, code, "%s: %s: %.*s", pg->name, what,
	    (int)n, msg);
}

/* Run sql with no parameters and no result wanted. */
int
crm_pg_exec(struct crm_pg *pg, const char *sql, struct crm_error *err)
{
	PGresult *res = PQexec(pg->c, sql);
	ExecStatusType s = PQresultStatus(res);

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		pgerr(pg, res, err, "exec");
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

int
crm_pg_query_int(struct crm_pg *pg, const char *sql, int64_t *out,
    struct crm_error *err)
{
	PGresult *res = PQexec(pg->c, sql);

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) < 1 ||
	    PQnfields(res) < 1) {
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
			crm_error_set(err, CRM_EFAIL, "%s: query: no row",
			    pg->name);
		else
			pgerr(pg, res, err, "query");
		PQclear(res);
		return -1;
	}
	if (PQgetisnull(res, 0, 0))
		*out = 0;
	else if (PQftype(res, 0) == OID_BOOL)
		*out = *PQgetvalue(res, 0, 0) == 't';
	else
		*out = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

int
crm_pg_in_tx(struct crm_pg *pg)
{
	return PQtransactionStatus(pg->c) != PQTRANS_IDLE;
}

int64_t
crm_pg_changes(struct crm_pg *pg)
{
	return pg->changes;
}

int64_t
crm_pg_last_id(struct crm_pg *pg)
{
	return pg->last_id;
}

int
crm_pg_begin(struct crm_pg *pg, int write, struct crm_error *err)
{
	if (!write)
		return crm_pg_exec(pg, "BEGIN ISOLATION LEVEL REPEATABLE READ;"
		    " SELECT 1", err);
	if (crm_pg_exec(pg, "BEGIN; SELECT pg_advisory_xact_lock("
	    WRITE_LOCK ")", err) < 0) {
		crm_pg_rollback(pg);
		return -1;
	}
	return 0;
}

int
crm_pg_commit(struct crm_pg *pg, struct crm_error *err)
{
	PGresult *res = PQexec(pg->c, "COMMIT");
	const char *tag = PQcmdStatus(res);

	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		pgerr(pg, res, err, "commit");
		PQclear(res);
		return -1;
	}
	/* COMMIT of a failed transaction answers ROLLBACK. */
	if (tag != NULL && strcmp(tag, "ROLLBACK") == 0) {
		PQclear(res);
		return crm_error_set(err, CRM_EFAIL, "%s: commit: the"
		    " transaction had failed and was rolled back", pg->name);
	}
	PQclear(res);
	return 0;
}

void
crm_pg_rollback(struct crm_pg *pg)
{
	if (pg != NULL && pg->c != NULL && crm_pg_in_tx(pg))
		PQclear(PQexec(pg->c, "ROLLBACK"));
}

/*
 * SQLite's "?" and "?N" as "$N", outside string literals, quoted names
 * and comments.  A bare "?" is one more than the largest number so far.
 */
static char *
translate_params(const char *sql, int *nparam)
{
	struct crm_buf b = CRM_BUF_INIT(1 << 20);
	const char *p = sql;
	int max = 0, rc = 0;
	char num[16];

	while (*p != '\0' && rc == 0) {
		if (*p == '\'' || *p == '"') {
			const char *q = p + 1;

			while (*q != '\0' && !(*q == *p && q[1] != *p))
				q += *q == *p ? 2 : 1;
			if (*q != '\0')
				q++;
			rc = crm_buf_add(&b, p, (size_t)(q - p), NULL);
			p = q;
		} else if (p[0] == '-' && p[1] == '-') {
			size_t n = strcspn(p, "\n");

			rc = crm_buf_add(&b, p, n, NULL);
			p += n;
		} else if (p[0] == '/' && p[1] == '*') {
			const char *q = strstr(p + 2, "*/");
			size_t n = q != NULL ? (size_t)(q + 2 - p) : strlen(p);

			rc = crm_buf_add(&b, p, n, NULL);
			p += n;
		} else if (*p == '?') {
			int n = 0;

			p++;
			if (*p >= '0' && *p <= '9') {
				while (*p >= '0' && *p <= '9' && n < 100000)
					n = n * 10 + (*p++ - '0');
			} else
				n = max + 1;
			if (n > max)
				max = n;
			snprintf(num, sizeof(num), "$%d", n);
			rc = crm_buf_adds(&b, num, NULL);
		} else
			rc = crm_buf_addc(&b, *p++, NULL);
	}
	if (rc < 0) {
		crm_buf_release(&b);
		return NULL;
	}
	*nparam = max;
	return crm_buf_detach(&b);
}

/* Skip blanks; then whether word (any case) comes next, and skip it. */
int
crm_pg_word(const char **pp, const char *w)
{
	const char *p = *pp;
	size_t n = strlen(w);

	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (strncasecmp(p, w, n) != 0 || (p[n] != '\0' &&
	    (p[n] == '_' || (p[n] >= 'a' && p[n] <= 'z') ||
	    (p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= '0' && p[n] <= '9'))))
		return 0;
	*pp = p + n;
	return 1;
}

/*
 * 1 if sql is an INSERT ... VALUES into a table whose ids crm_next_id()
 * gives, with no RETURNING of its own: crm_db_last_id() may be asked.
 */
static int
wants_id(struct crm_pg *pg, const char *sql)
{
	const char *p = sql;
	size_t n;
	int i;

	if (!crm_pg_word(&p, "INSERT") || !crm_pg_word(&p, "INTO"))
		return 0;
	while (*p == ' ')
		p++;
	n = strcspn(p, " (");
	for (i = 0; i < pg->nidtables; i++)
		if (strlen(pg->idtables[i]) == n &&
		    strncmp(p, pg->idtables[i], n) == 0)
			break;
	if (i == pg->nidtables)
		return 0;
	return strstr(p, "VALUES") != NULL && strstr(p, "SELECT") == NULL &&
	    strstr(p, "RETURNING") == NULL && strstr(p, "returning") == NULL;
}

struct crm_pgst *
crm_pg_prepare(struct crm_pg *pg, const char *sql, struct crm_error *err)
{
	struct crm_pgst *st;
	char *s;
	int n;

	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->sql = translate_params(sql, &n)) == NULL)
		goto nomem;
	st->pg = pg;
	st->row = -1;
	st->nparam = n;
	if (wants_id(pg, sql)) {
		size_t len = strlen(st->sql);

		while (len > 0 && (st->sql[len - 1] == ';' ||
		    st->sql[len - 1] == ' '))
			len--;
		if (asprintf(&s, "%.*s RETURNING id", (int)len, st->sql) < 0)
			goto nomem;
		free(st->sql);
		st->sql = s;
		st->returning = 1;
	}
	if (n > 0 && ((st->p = calloc((size_t)n, sizeof(*st->p))) == NULL ||
	    (st->vals = calloc((size_t)n, sizeof(*st->vals))) == NULL ||
	    (st->lens = calloc((size_t)n, sizeof(*st->lens))) == NULL ||
	    (st->fmts = calloc((size_t)n, sizeof(*st->fmts))) == NULL ||
	    (st->types = calloc((size_t)n, sizeof(*st->types))) == NULL ||
	    (st->ptypes = calloc((size_t)n, sizeof(*st->ptypes))) == NULL))
		goto nomem;
	return st;
nomem:
	crm_pg_finalize(st);
	crm_error_set(err, CRM_EFAIL, "out of memory");
	return NULL;
}

static void
drop_row(struct crm_pgst *st)
{
	int i;

	if (st->blob == NULL)
		return;
	for (i = 0; i < st->ncols; i++) {
		PQfreemem(st->blob[i]);
		st->blob[i] = NULL;
	}
}

void
crm_pg_reset(struct crm_pgst *st)
{
	if (st == NULL)
		return;
	drop_row(st);
	free(st->blob);
	free(st->bloblen);
	st->blob = NULL;
	st->bloblen = NULL;
	PQclear(st->res);
	st->res = NULL;
	st->row = -1;
	st->nrows = 0;
	st->ncols = 0;
}

void
crm_pg_clear(struct crm_pgst *st)
{
	int i;

	for (i = 0; i < st->nparam; i++) {
		free(st->p[i].own);
		memset(&st->p[i], 0, sizeof(st->p[i]));
	}
}

void
crm_pg_finalize(struct crm_pgst *st)
{
	if (st == NULL)
		return;
	crm_pg_reset(st);
	if (st->p != NULL)
		crm_pg_clear(st);
	free(st->p);
	free(st->vals);
	free(st->lens);
	free(st->fmts);
	free(st->types);
	free(st->ptypes);
	if (st->name[0] != '\0' && st->pg != NULL && st->pg->c != NULL &&
	    PQtransactionStatus(st->pg->c) != PQTRANS_INERROR) {
		char sql[40];

		snprintf(sql, sizeof(sql), "DEALLOCATE %s", st->name);
		PQclear(PQexec(st->pg->c, sql));
	}
	free(st->sql);
	free(st);
}

/*
 * Prepare st on the server for the types of its bindings, the others
 * left for the server to infer from the SQL.  One it cannot infer (a
 * parameter first seen in "? IS NULL", even if compared later) is taken
 * for text.  Inside a
 * transaction under a savepoint, so that SQL PostgreSQL refuses fails
 * this statement only, as on SQLite, not the transaction.
 */
static int
prepare(struct crm_pgst *st, struct crm_error *err)
{
	struct crm_pg *pg = st->pg;
	int in_tx = crm_pg_in_tx(pg), tries, rc = -1;
	const char *state, *m;
	PGresult *res = NULL;
	char sql[48];

	if (st->name[0] != '\0') {
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", st->name);
		PQclear(PQexec(pg->c, sql));
		st->name[0] = '\0';
	}
	if (in_tx && crm_pg_exec(pg, "SAVEPOINT crm_prepare", err) < 0)
		return -1;
	snprintf(st->name, sizeof(st->name), "crm%u", ++pg->nprepared);
	for (tries = 0; tries <= st->nparam; tries++) {
		int k;

		PQclear(res);
		res = PQprepare(pg->c, st->name, st->sql, st->nparam,
		    st->types);
		if (PQresultStatus(res) == PGRES_COMMAND_OK) {
			rc = 0;
			break;
		}
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		/* 42P18: indeterminate; 42P08: "? IS NULL OR x = ?". */
		if (state == NULL || (strcmp(state, "42P18") != 0 &&
		    strcmp(state, "42P08") != 0) || m == NULL ||
		    (m = strchr(m, '$')) == NULL ||
		    (k = atoi(m + 1)) < 1 || k > st->nparam ||
		    st->types[k - 1] != 0)
			break;
		st->types[k - 1] = 25;	/* text */
		if (in_tx && crm_pg_exec(pg, "ROLLBACK TO SAVEPOINT"
		    " crm_prepare", err) < 0)
			break;
	}
	if (rc < 0) {
		if (res != NULL && PQresultStatus(res) != PGRES_COMMAND_OK)
			pgerr(pg, res, err, "prepare");
		st->name[0] = '\0';
		if (in_tx)
			PQclear(PQexec(pg->c, "ROLLBACK TO SAVEPOINT"
			    " crm_prepare; RELEASE SAVEPOINT crm_prepare"));
	} else if (in_tx && crm_pg_exec(pg, "RELEASE SAVEPOINT crm_prepare",
	    err) < 0)
		rc = -1;
	PQclear(res);
	/* The types the server settled on, for fits() to hold binds to. */
	if (rc == 0 && st->nparam > 0) {
		int i;

		res = PQdescribePrepared(pg->c, st->name);
		if (PQresultStatus(res) != PGRES_COMMAND_OK ||
		    PQnparams(res) != st->nparam) {
			pgerr(pg, res, err, "describe");
			rc = -1;
		} else
			for (i = 0; i < st->nparam; i++)
				st->ptypes[i] = PQparamtype(res, i);
		PQclear(res);
	}
	/* The bindings' own types: what the next step compares. */
	return rc;
}

/*
 * Whether a value bound as type b (0: text or NULL, left to the server)
 * may be sent, as text, to a parameter the server prepared as type p.
 */
static int
fits(Oid b, Oid p)
{
	switch (b) {
	case 0:
		return 1;
	case OID_INT8:
		return p == OID_INT8 || p == OID_INT4 || p == OID_INT2 ||
		    p == OID_FLOAT8 || p == OID_FLOAT4 || p == OID_NUMERIC ||
		    p == 25;
	case OID_FLOAT8:
		return p == OID_FLOAT8 || p == OID_FLOAT4 || p == OID_NUMERIC ||
		    p == 25;
	default:
		return b == p;
	}
}

static int
is_write(const char *tag)
{
	return strncmp(tag, "INSERT", 6) == 0 ||
	    strncmp(tag, "UPDATE", 6) == 0 || strncmp(tag, "DELETE", 6) == 0;
}

int
crm_pg_step(struct crm_pgst *st, struct crm_error *err)
{
	struct crm_pg *pg = st->pg;
	ExecStatusType s;
	const char *tag;
	int i;

	if (st->row >= 0) {
		drop_row(st);
		if (++st->row < st->nrows)
			return 1;
		crm_pg_reset(st);
		return 0;
	}
	for (i = 0; i < st->nparam; i++) {
		st->vals[i] = st->p[i].val;
		st->lens[i] = st->p[i].len;
		st->fmts[i] = st->p[i].fmt;
		st->types[i] = st->p[i].val != NULL ? st->p[i].type : 0;
	}
	for (i = 0; st->name[0] != '\0' && i < st->nparam; i++)
		if (!fits(st->types[i], st->ptypes[i]))
			break;
	if ((st->name[0] == '\0' || i < st->nparam) && prepare(st, err) < 0)
		return -1;
	st->res = PQexecPrepared(pg->c, st->name, st->nparam, st->vals,
	    st->lens, st->fmts, 0);
	s = PQresultStatus(st->res);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		pgerr(pg, st->res, err, "step");
		crm_pg_reset(st);
		return -1;
	}
	tag = PQcmdStatus(st->res);
	if (tag != NULL && is_write(tag))
		pg->changes = strtoll(PQcmdTuples(st->res), NULL, 10);
	if (st->returning) {
		int n = PQntuples(st->res);

		if (n > 0)
			pg->last_id = strtoll(PQgetvalue(st->res, n - 1, 0),
			    NULL, 10);
		crm_pg_reset(st);
		return 0;
	}
	if (s == PGRES_COMMAND_OK || PQntuples(st->res) == 0) {
		crm_pg_reset(st);
		return 0;
	}
	st->nrows = PQntuples(st->res);
	st->ncols = PQnfields(st->res);
	st->row = 0;
	return 1;
}

static struct param *
param(struct crm_pgst *st, int i, struct crm_error *err)
{
	struct param *p;

	if (i < 1 || i > st->nparam) {
		crm_error_set(err, CRM_EFAIL, "%s: bind: parameter %d of %d",
		    st->pg->name, i, st->nparam);
		return NULL;
	}
	p = &st->p[i - 1];
	free(p->own);
	memset(p, 0, sizeof(*p));
	return p;
}

int
crm_pg_bind_text(struct crm_pgst *st, int i, const char *s, int copy,
    struct crm_error *err)
{
	struct param *p;

	if ((p = param(st, i, err)) == NULL)
		return -1;
	if (s != NULL && copy) {
		if ((p->own = strdup(s)) == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		s = p->own;
	}
	p->val = s;
	return 0;
}

int
crm_pg_bind_int(struct crm_pgst *st, int i, int64_t v, struct crm_error *err)
{
	struct param *p;

	if ((p = param(st, i, err)) == NULL)
		return -1;
	snprintf(p->num, sizeof(p->num), "%lld", (long long)v);
	p->val = p->num;
	p->type = OID_INT8;
	return 0;
}

int
crm_pg_bind_double(struct crm_pgst *st, int i, double v,
    struct crm_error *err)
{
	struct param *p;

	if ((p = param(st, i, err)) == NULL)
		return -1;
	if (v != v)
		snprintf(p->num, sizeof(p->num), "NaN");
	else if (v > 1.79769313486231570e308)
		snprintf(p->num, sizeof(p->num), "Infinity");
	else if (v < -1.79769313486231570e308)
		snprintf(p->num, sizeof(p->num), "-Infinity");
	else
		snprintf(p->num, sizeof(p->num), "%.17g", v);
	p->val = p->num;
	p->type = OID_FLOAT8;
	return 0;
}

int
crm_pg_bind_blob(struct crm_pgst *st, int i, const void *v, size_t n,
    struct crm_error *err)
{
	struct param *p;

	if ((p = param(st, i, err)) == NULL)
		return -1;
	if (n > 0x7fffffff)
		return crm_error_set(err, CRM_EFAIL, "%s: bind: blob too big",
		    st->pg->name);
	/* A zero-length blob is not NULL. */
	p->val = n > 0 ? v : "";
	p->len = (int)n;
	p->fmt = 1;
	p->type = OID_BYTEA;
	return 0;
}

int
crm_pg_bind_null(struct crm_pgst *st, int i, struct crm_error *err)
{
	return param(st, i, err) == NULL ? -1 : 0;
}

int
crm_pg_bind_count(struct crm_pgst *st)
{
	return st->nparam;
}

static int
have(struct crm_pgst *st, int i)
{
	return st->res != NULL && st->row >= 0 && st->row < st->nrows &&
	    i >= 0 && i < st->ncols && !PQgetisnull(st->res, st->row, i);
}

const char *
crm_pg_col_text(struct crm_pgst *st, int i)
{
	const char *v;

	if (!have(st, i))
		return NULL;
	v = PQgetvalue(st->res, st->row, i);
	/* A boolean reads as SQLite's 1 or 0. */
	if (PQftype(st->res, i) == OID_BOOL)
		return *v == 't' ? "1" : "0";
	if (PQftype(st->res, i) == OID_BYTEA)
		return crm_pg_col_blob(st, i);
	return v;
}

int64_t
crm_pg_col_int(struct crm_pgst *st, int i)
{
	const char *v;
	Oid t;

	if (!have(st, i))
		return 0;
	v = PQgetvalue(st->res, st->row, i);
	t = PQftype(st->res, i);
	if (t == OID_BOOL)
		return *v == 't';
	if (t == OID_FLOAT8 || t == OID_FLOAT4 || t == OID_NUMERIC) {
		double d = strtod(v, NULL);

		/* As SQLite: toward zero, clamped. */
		if (d >= 9.2233720368547758e18)
			return INT64_MAX;
		if (d <= -9.2233720368547758e18)
			return INT64_MIN;
		return (int64_t)d;
	}
	return strtoll(v, NULL, 10);
}

double
crm_pg_col_double(struct crm_pgst *st, int i)
{
	const char *v;

	if (!have(st, i))
		return 0;
	v = PQgetvalue(st->res, st->row, i);
	if (PQftype(st->res, i) == OID_BOOL)
		return *v == 't';
	return strtod(v, NULL);
}

const void *
crm_pg_col_blob(struct crm_pgst *st, int i)
{
	size_t n;

	if (!have(st, i))
		return NULL;
	if (PQftype(st->res, i) != OID_BYTEA)
		return PQgetvalue(st->res, st->row, i);
	if (st->blob == NULL) {
		st->blob = calloc((size_t)st->ncols, sizeof(*st->blob));
		st->bloblen = calloc((size_t)st->ncols, sizeof(*st->bloblen));
		if (st->blob == NULL || st->bloblen == NULL)
			return NULL;
	}
	if (st->blob[i] == NULL) {
		st->blob[i] = PQunescapeBytea((const unsigned char *)
		    PQgetvalue(st->res, st->row, i), &n);
		st->bloblen[i] = n;
	}
	return st->blob[i];
}

int
crm_pg_col_bytes(struct crm_pgst *st, int i)
{
	if (!have(st, i))
		return 0;
	if (PQftype(st->res, i) == OID_BYTEA)
		return crm_pg_col_blob(st, i) != NULL ?
		    (int)st->bloblen[i] : 0;
	return (int)strlen(crm_pg_col_text(st, i));
}

enum crm_db_type
crm_pg_col_type(struct crm_pgst *st, int i)
{
	const char *v;

	if (!have(st, i))
		return CRM_DB_NULL;
	switch (PQftype(st->res, i)) {
	case OID_BOOL:
	case OID_INT2:
	case OID_INT4:
	case OID_INT8:
	case OID_OID:
		return CRM_DB_INT;
	case OID_FLOAT4:
	case OID_FLOAT8:
		return CRM_DB_FLOAT;
	case OID_NUMERIC:
		/* sum() of integers is numeric: an integer to SQLite. */
		v = PQgetvalue(st->res, st->row, i);
		return strpbrk(v, ".eEN") != NULL ? CRM_DB_FLOAT : CRM_DB_INT;
	case OID_BYTEA:
		return CRM_DB_BLOB;
	default:
		return CRM_DB_TEXT;
	}
}

int
crm_pg_col_count(struct crm_pgst *st)
{
	PGresult *res;
	int n;

	if (st->res != NULL)
		return PQnfields(st->res);
	/* Before the first step: ask the server what it would return. */
	if ((res = PQprepare(st->pg->c, "", st->sql, st->nparam, NULL)) ==
	    NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		PQclear(res);
		return 0;
	}
	PQclear(res);
	res = PQdescribePrepared(st->pg->c, "");
	n = PQresultStatus(res) == PGRES_COMMAND_OK ? PQnfields(res) : 0;
	PQclear(res);
	return n;
}

const char *
crm_pg_col_name(struct crm_pgst *st, int i)
{
	if (st->res == NULL || i < 0 || i >= PQnfields(st->res))
		return NULL;
	return PQfname(st->res, i);
}

/* Quiet: "relation already exists, skipping" and the like. */
static void
no_notices(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static int
load_idtables(struct crm_pg *pg, struct crm_error *err)
{
	/* The catalogue itself: information_schema takes 50 ms here. */
	PGresult *res = PQexec(pg->c, "SELECT c.relname FROM pg_trigger t"
	    " JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = 'crm_id'"
	    " AND c.relnamespace ="
	    " CAST(CAST(current_schema() AS text) AS regnamespace)");
	int i, n;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pgerr(pg, res, err, "schema");
		PQclear(res);
		return -1;
	}
	n = PQntuples(res);
	if ((pg->idtables = calloc((size_t)n + 1, sizeof(char *))) == NULL) {
		PQclear(res);
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	}
	for (i = 0; i < n; i++)
		if ((pg->idtables[pg->nidtables++] =
		    strdup(PQgetvalue(res, i, 0))) == NULL) {
			PQclear(res);
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		}
	PQclear(res);
	return 0;
}

static int
busy_timeout_s(void)
{
	const char *s = getenv("CRM_BUSY_TIMEOUT");
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return 600;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > 86400)
		return 600;
	return (int)v;
}

struct crm_pg *
crm_pg_open(const char *url, const char *name, const char *const *sqlite,
    int n, struct crm_error *err)
{
	struct crm_pg *pg;
	char sql[160];
	int v;

	if ((pg = calloc(1, sizeof(*pg))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	pg->name = name;
	pg->c = PQconnectdb(url);
	if (pg->c == NULL || PQstatus(pg->c) != CONNECTION_OK) {
		const char *m = pg->c != NULL ? PQerrorMessage(pg->c) :
		    "out of memory";

		crm_error_set(err, CRM_EFAIL, "%s: %.*s", name,
		    (int)strcspn(m, "\n"), m);
		crm_pg_close(pg);
		return NULL;
	}
	PQsetNoticeProcessor(pg->c, no_notices, NULL);
	v = PQserverVersion(pg->c);
	snprintf(pg->version, sizeof(pg->version), "%d.%d", v / 10000,
	    v % 10000);
	/*
	 * A writer waits for another's lock up to the busy timeout, as on
	 * SQLite (0 there means no waiting; here 0 would mean forever).
	 */
	snprintf(sql, sizeof(sql), "SET client_encoding = 'UTF8';"
	    " SET lock_timeout = '%ds'; SET TimeZone = 'UTC'",
	    busy_timeout_s() > 0 ? busy_timeout_s() : 1);
	if (crm_pg_exec(pg, sql, err) < 0 || crm_pg_migrate(pg, name, sqlite, n, err) < 0 ||
	    load_idtables(pg, err) < 0) {
		crm_pg_close(pg);
		return NULL;
	}
	return pg;
}

void
crm_pg_close(struct crm_pg *pg)
{
	int i;

	if (pg == NULL)
		return;
	crm_pg_rollback(pg);
	if (pg->c != NULL)
		PQfinish(pg->c);
	for (i = 0; i < pg->nidtables; i++)
		free(pg->idtables[i]);
	free(pg->idtables);
	free(pg);
}

const char *
crm_pg_server_version(struct crm_pg *pg)
{
	return pg->version;
}

void *
crm_pg_conn(struct crm_pg *pg)
{
	return pg->c;
}
