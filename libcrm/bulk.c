/*
 * Indexes dropped for the length of a large import and built again before
 * its commit (bulk.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulk.h"

int64_t
crm_bulk_min(int pg)
{
	const char *s = getenv("CRM_BULK_MIN");
	int64_t dflt = pg ? 1000 : 20000;
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return dflt;
	if (strcmp(s, "off") == 0)
		return INT64_MAX;
	v = strtoll(s, &end, 10);
	if (*end != '\0')
		return dflt;
	return v < 0 ? INT64_MAX : v;
}

int
crm_bulk_due(struct crm_db *db, int64_t n, int64_t rows)
{
	return n >= crm_bulk_min(crm_db_is_pg(db)) && n >= rows / 4;
}

int
crm_bulk_dropped(const struct crm_bulk *b, const char *name)
{
	int i;

	for (i = 0; i < b->n; i++)
		if (strcmp(b->name[i], name) == 0)
			return 1;
	return 0;
}

int
crm_bulk_drop(struct crm_bulk *b, struct crm_db *db, const char *name,
    struct crm_error *err)
{
	/* The index's own statement, to make it again. */
	static const char lite[] = "SELECT sql FROM sqlite_master WHERE"
	    " type = 'index' AND name = ?1 AND sql IS NOT NULL";
	static const char pg[] = "SELECT indexdef FROM pg_indexes WHERE"
	    " schemaname = current_schema() AND indexname = ?1";
	struct crm_stmt *st;
	char drop[128];
	int rc;

	b->db = db;
	if (crm_bulk_dropped(b, name))
		return 0;
	if (b->n == CRM_BULK_MAX_INDEXES || strlen(name) > 64)
		return crm_error_set(err, CRM_EFAIL, "bulk: index '%s'", name);
	if ((st = crm_db_stmt(db, crm_db_is_pg(db) ? pg : lite, err)) == NULL ||
	    crm_db_bind_text(db, st, 1, name, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 0)
		return 0;
	b->name[b->n] = strdup(name);
	b->sql[b->n] = strdup(crm_db_col_text(st, 0));
	crm_db_reset(st);
	if (b->name[b->n] == NULL || b->sql[b->n] == NULL) {
		free(b->name[b->n]);
		free(b->sql[b->n]);
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	}
	b->n++;
	/* The name is one of ours, never user text. */
	snprintf(drop, sizeof(drop), "DROP INDEX \"%s\"", name);
	return crm_db_exec(db, drop, err);
}

int
crm_bulk_restore(struct crm_bulk *b, const char *name, struct crm_error *err)
{
	int i, j;

	for (i = 0; i < b->n; i++) {
		if (name != NULL && strcmp(b->name[i], name) != 0)
			continue;
		if (crm_db_exec(b->db, b->sql[i], err) < 0)
			return -1;
		free(b->name[i]);
		free(b->sql[i]);
		for (j = i; j + 1 < b->n; j++) {
			b->name[j] = b->name[j + 1];
			b->sql[j] = b->sql[j + 1];
		}
		b->n--;
		i--;
	}
	return 0;
}

void
crm_bulk_clear(struct crm_bulk *b)
{
	int i;

	for (i = 0; i < b->n; i++) {
		free(b->name[i]);
		free(b->sql[i]);
	}
	b->n = 0;
}
