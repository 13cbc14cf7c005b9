/*
 * privacy-retention.c - the retention horizon: interactions older than it
 * deleted or moved to an anonymous placeholder.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "norm.h"
#include "privacy.h"
#include "privacy-int.h"

/* Retention. */

/* The placeholder's id, made when make is set and there is none. */
static int
placeholder(struct crm_db *db, int make, int64_t *id, struct crm_error *err)
{
	struct crm_stmt *st;
	int rc;

	*id = 0;
	if ((st = crm_db_stmt(db, "SELECT id FROM contacts WHERE erased_at IS"
	    " NOT NULL AND attrs = ?1 ORDER BY id LIMIT 1", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, CRM_RETENTION_PLACEHOLDER, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 1) {
		*id = crm_db_col_int(st, 0);
		crm_db_reset(st);
		return 0;
	}
	if (!make)
		return 0;
	if ((st = crm_db_stmt(db, "INSERT INTO contacts (attrs, do_not_contact,"
	    " erased_at, created_at, updated_at) VALUES (?1, 1, ?2, ?2, ?2)",
	    err)) == NULL ||
	    crm_db_bind_text(db, st, 1, CRM_RETENTION_PLACEHOLDER, err) < 0 ||
	    crm_db_bind_int(db, st, 2, crm_now(), err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	*id = crm_db_last_id(db);
	return 0;
}

/*
 * Store the rows again on the placeholder (?2), sorted, so that the new
 * ids follow time and content only; then delete the old ones.
 */
static const char sql_anon_copy[] =
    "INSERT INTO interactions (contact_id, at, channel, kind, direction,"
    " amount, currency, product, category, quantity, status, closed_at,"
    " campaign, chash, created_at, updated_at)"
    " SELECT ?2, at, channel, kind, direction, amount, currency, product,"
    " category, quantity, status, closed_at, campaign, randomblob(16), ?3, ?3"
    " FROM interactions WHERE at < ?1 AND contact_id <> ?2"
    " ORDER BY at, channel, kind, direction, currency, amount, quantity,"
    " product, category, status, closed_at, campaign";

static const char sql_anon_delete[] =
    "DELETE FROM interactions WHERE at < ?1 AND contact_id <> ?2";

static int
anonymise(struct crm_db *db, struct crm_retention_stats *st,
    struct crm_error *err)
{
	const char *const sqls[2] = { sql_anon_copy, sql_anon_delete };
	struct crm_stmt *q;
	int64_t changes[2];
	int i, rc;

	/* The placeholder is made only when there is a row to put on it. */
	if (placeholder(db, 0, &st->placeholder, err) < 0 ||
	    (q = crm_db_stmt(db, "SELECT 1 FROM interactions WHERE at < ?1"
	    " AND contact_id <> ?2 LIMIT 1", err)) == NULL ||
	    crm_db_bind_int(db, q, 1, st->before, err) < 0 ||
	    crm_db_bind_int(db, q, 2, st->placeholder, err) < 0 ||
	    (rc = crm_db_step(db, q, err)) < 0)
		return -1;
	crm_db_reset(q);
	if (rc == 0)
		return 0;
	if (st->placeholder == 0 &&
	    placeholder(db, 1, &st->placeholder, err) < 0)
		return -1;
	for (i = 0; i < 2; i++) {
		if ((q = crm_db_stmt(db, sqls[i], err)) == NULL ||
		    crm_db_bind_int(db, q, 1, st->before, err) < 0 ||
		    crm_db_bind_int(db, q, 2, st->placeholder, err) < 0 ||
		    (i == 0 && crm_db_bind_int(db, q, 3, crm_now(), err) < 0) ||
		    crm_db_step(db, q, err) < 0)
			return -1;
		changes[i] = crm_db_changes(db);
	}
	if (changes[0] != changes[1])
		return crm_error_set(err, CRM_EFAIL, "%s: %lld interactions"
		    " copied but %lld deleted", crm_db_name(db),
		    (long long)changes[0], (long long)changes[1]);
	st->anonymised = changes[0];
	return 0;
}

int
crm_retention_run(struct crm_db *db, enum crm_retention_mode mode,
    int64_t before, struct crm_retention_stats *st, struct crm_error *err)
{
	struct crm_stmt *q;
	char t[21];

	memset(st, 0, sizeof(*st));
	st->before = before;
	if (before > crm_now()) {
		crm_format_time(before, t);
		return crm_error_set(err, CRM_EUSAGE, "the horizon %s is in the"
		    " future", t);
	}
	if (privacy_secure(db, err) < 0)
		return -1;
	if ((mode == CRM_RETAIN_ANONYMISE ? anonymise(db, st, err) :
	    privacy_run_sql(db, "DELETE FROM interactions WHERE at < ?1", before,
	    &st->purged, err)) < 0)
		return -1;
	/* The horizon only moves forward: see crm_retention_horizon(). */
	if ((q = crm_db_stmt(db, "INSERT INTO retention (id, before, mode,"
	    " set_at) VALUES (1, ?1, ?2, ?3) ON CONFLICT (id) DO UPDATE SET"
	    " before = excluded.before, mode = excluded.mode,"
	    " set_at = excluded.set_at WHERE excluded.before >"
	    " retention.before", err)) == NULL ||
	    crm_db_bind_int(db, q, 1, before, err) < 0 ||
	    crm_db_bind_text(db, q, 2, mode == CRM_RETAIN_ANONYMISE ?
	    "anonymise" : "purge", err) < 0 ||
	    crm_db_bind_int(db, q, 3, crm_now(), err) < 0 ||
	    crm_db_step(db, q, err) < 0)
		return -1;
	return 0;
}

int
crm_retention_counts(enum crm_retention_mode mode,
    const struct crm_retention_stats *st, struct crm_buf *out,
    struct crm_error *err)
{
	return crm_buf_addf(out, err, "{\"mode\":\"%s\",\"before\":%lld,"
	    "\"purged\":%lld,\"anonymised\":%lld}",
	    mode == CRM_RETAIN_ANONYMISE ? "anonymise" : "purge",
	    (long long)st->before, (long long)st->purged,
	    (long long)st->anonymised);
}

int
crm_retention_horizon(struct crm_db *db, int64_t *before,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int rc;

	*before = 0;
	if ((st = crm_db_stmt(db, "SELECT before FROM retention WHERE id = 1",
	    err)) == NULL || (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 1) {
		*before = crm_db_col_int(st, 0);
		crm_db_reset(st);
	}
	return rc;
}
