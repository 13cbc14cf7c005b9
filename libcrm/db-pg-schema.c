/*
 * db-pg-schema.c - a PostgreSQL database's schema brought up to date
 * (db-pg.c calls it on opening): SQLite's migrations translated, or
 * PostgreSQL's own (db-pg-sql.c), the version in crm_meta.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db-int.h"
#include "hash.h"

/*
 * SQLite's DDL in PostgreSQL's types.  Case-sensitive on the upper-case
 * words the migrations use, outside quotes.
 */
static char *
translate_ddl(const char *sql)
{
	static const struct {
		const char *from, *to;
	} map[] = {
		{ "id INTEGER PRIMARY KEY", "id bigint PRIMARY KEY" },
		{ "INTEGER", "bigint" },
		{ "REAL", "double precision" },
		/* SQLite's BINARY collation: the same order on any server. */
		{ "TEXT", "text COLLATE \"C\"" },
		{ "BLOB", "bytea" },
		{ "WITHOUT ROWID", "" },
	};
	struct crm_buf b = CRM_BUF_INIT(1 << 20);
	const char *p = sql, *q;
	int rc = 0, prev = ' ', ids = 0;
	char table[64] = "";
	size_t i;

	while (*p != '\0' && rc == 0) {
		int boundary = !(prev == '_' || (prev >= 'a' && prev <= 'z') ||
		    (prev >= 'A' && prev <= 'Z') || (prev >= '0' && prev <= '9'));

		/* The table being made, for its crm_next_id() trigger. */
		q = p;
		if (boundary && crm_pg_word(&q, "CREATE") && crm_pg_word(&q, "TABLE")) {
			const char *r = q;

			if (crm_pg_word(&r, "IF") && crm_pg_word(&r, "NOT") &&
			    crm_pg_word(&r, "EXISTS"))
				q = r;
			while (*q == ' ')
				q++;
			snprintf(table, sizeof(table), "%.*s",
			    (int)strcspn(q, " ("), q);
		}
		if (*p == ';' && ids) {
			rc = crm_buf_addf(&b, NULL, "; CREATE TRIGGER crm_id"
			    " BEFORE INSERT ON %s FOR EACH ROW EXECUTE FUNCTION"
			    " crm_next_id()", table);
			ids = 0;
		}

		if (*p == '\'') {
			const char *e = strchr(p + 1, '\'');
			size_t n = e != NULL ? (size_t)(e + 1 - p) : strlen(p);

			rc = crm_buf_add(&b, p, n, NULL);
			p += n;
			prev = '\'';
			continue;
		}
		for (i = 0; boundary && i < sizeof(map) / sizeof(map[0]); i++) {
			size_t n = strlen(map[i].from);

			if (strncmp(p, map[i].from, n) == 0 && !(p[n] == '_' ||
			    (p[n] >= 'a' && p[n] <= 'z') ||
			    (p[n] >= 'A' && p[n] <= 'Z') ||
			    (p[n] >= '0' && p[n] <= '9'))) {
				rc = crm_buf_adds(&b, map[i].to, NULL);
				p += n;
				ids |= i == 0;
				break;
			}
		}
		if (boundary && i < sizeof(map) / sizeof(map[0])) {
			prev = 'x';
			continue;
		}
		prev = *p;
		rc = crm_buf_addc(&b, *p++, NULL);
	}
	if (rc < 0) {
		crm_buf_release(&b);
		return NULL;
	}
	return crm_buf_detach(&b);
}

/* The schema version crm_meta holds; -1 without one (no such table). */
static int
schema_version(struct crm_pg *pg, int64_t *ver, struct crm_error *err)
{
	int64_t has;

	if (crm_pg_query_int(pg, "SELECT count(*) FROM pg_tables WHERE"
	    " schemaname = current_schema() AND tablename = 'crm_meta'", &has,
	    err) < 0)
		return -1;
	if (!has) {
		*ver = -1;
		return 0;
	}
	return crm_pg_query_int(pg, "SELECT CAST(value AS bigint) FROM"
	    " crm_meta WHERE key = 'schema'", ver, err);
}

/*
 * The checksum of the functions' text (crm_pg_functions and each group's),
 * as hex: crm_meta's 'functions' holds the one they were last made from.
 */
static void
functions_sum(char out[33])
{
	static const char *const text[] = { crm_pg_functions,
	    crm_pg_functions_analytics, crm_pg_functions_ops };
	struct crm_fnv128 f;
	unsigned char h[16];
	size_t i;

	crm_fnv128_init(&f);
	for (i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		crm_fnv128_add(&f, text[i], strlen(text[i]) + 1);
	crm_fnv128_out(&f, h);
	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* Whether crm_meta says the functions were made from sum (0: no table). */
static int
functions_fresh(struct crm_pg *pg, const char *sum, int64_t *fresh,
    struct crm_error *err)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM crm_meta WHERE"
	    " key = 'functions' AND value = '%s'", sum);
	return crm_pg_query_int(pg, sql, fresh, err);
}

/*
 * The functions, made again: the text of one group may change at any
 * version of the schema (a module newly ported), and a database made
 * before must have them too.
 */
static int
make_functions(struct crm_pg *pg, const char *sum, struct crm_error *err)
{
	char sql[160];

	if (crm_pg_exec(pg, crm_pg_functions, err) < 0 ||
	    (crm_pg_functions_analytics[0] != '\0' &&
	    crm_pg_exec(pg, crm_pg_functions_analytics, err) < 0) ||
	    (crm_pg_functions_ops[0] != '\0' &&
	    crm_pg_exec(pg, crm_pg_functions_ops, err) < 0))
		return -1;
	snprintf(sql, sizeof(sql), "INSERT INTO crm_meta VALUES ('functions',"
	    " '%s') ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
	    sum);
	return crm_pg_exec(pg, sql, err);
}

int
crm_pg_migrate(struct crm_pg *pg, const char *name,
    const char *const *sqlite, int n, struct crm_error *err)
{
	int64_t ver, ntab, fresh = 0;
	char sql[128], sum[33];
	int i;

	functions_sum(sum);
	if (schema_version(pg, &ver, err) < 0 ||
	    (ver >= 0 && functions_fresh(pg, sum, &fresh, err) < 0))
		return -1;
	if (ver == n && fresh)
		return 0;
	/* Under the writers' lock: one program makes them, the others wait. */
	if (crm_pg_begin(pg, 1, err) < 0)
		return -1;
	fresh = 0;
	if (schema_version(pg, &ver, err) < 0 ||
	    (ver >= 0 && functions_fresh(pg, sum, &fresh, err) < 0))
		goto fail;
	if (ver < 0) {
		if (crm_pg_query_int(pg, "SELECT count(*) FROM pg_tables WHERE"
		    " schemaname = current_schema()", &ntab, err) < 0)
			goto fail;
		if (ntab != 0) {
			crm_error_set(err, CRM_EFAIL, "%s: not a crm database"
			    " (%lld tables and no crm_meta)", name,
			    (long long)ntab);
			goto fail;
		}
		if (crm_pg_exec(pg, "CREATE TABLE crm_meta (key text PRIMARY"
		    " KEY, value text NOT NULL);"
		    "INSERT INTO crm_meta VALUES ('application', 'crm1'),"
		    " ('schema', '0');", err) < 0)
			goto fail;
		ver = 0;
	}
	if (ver > n) {
		crm_error_set(err, CRM_EFAIL, "%s: schema version %lld is newer"
		    " than this crm (%d); upgrade crm", name,
		    (long long)ver, n);
		goto fail;
	}
	/* Before the migrations, which may call them. */
	if (!fresh && make_functions(pg, sum, err) < 0) {
		crm_error_prefix(err, "functions");
		goto fail;
	}
	for (i = (int)ver; i < n; i++) {
		char *t = NULL;
		int rc;

		if (i < crm_pg_nmigrations && crm_pg_migrations[i] != NULL)
			rc = crm_pg_exec(pg, crm_pg_migrations[i], err);
		else if ((t = translate_ddl(sqlite[i])) == NULL)
			rc = crm_error_set(err, CRM_EFAIL, "out of memory");
		else
			rc = crm_pg_exec(pg, t, err);
		free(t);
		/* The new tables' ids, for the rows the next one adds. */
		if (rc == 0)
			rc = crm_pg_exec(pg, crm_pg_ids, err);
		if (rc < 0) {
			crm_error_prefix(err, "migration %d", i + 1);
			goto fail;
		}
	}
	snprintf(sql, sizeof(sql), "UPDATE crm_meta SET value = '%d' WHERE"
	    " key = 'schema'", n);
	if ((ver < n && crm_pg_exec(pg, sql, err) < 0) ||
	    crm_pg_commit(pg, err) < 0)
		goto fail;
	return 0;
fail:
	crm_pg_rollback(pg);
	return -1;
}

