/*
 * privacy.c - erasure, the erased list and subject access; see privacy.h.
 * Here: SQL from schema names, an erasure's set-up and its subjects,
 * wiping; the run is privacy-erase.c, retention privacy-retention.c,
 * subject access privacy-export.c, the hashes privacy-sha.c.
 *
 * The tables that refer to contacts are read from the schema (their
 * foreign keys), and the SQL that deletes or exports their rows is put
 * together from those names, quoted as identifiers; values are bound.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "norm.h"
#include "privacy.h"
#include "privacy-int.h"
#include "resolve.h"

/* Building SQL from schema names. */

int
privacy_add_ident(struct crm_buf *b, const char *name, struct crm_error *err)
{
	const char *p;

	if (crm_buf_addc(b, '"', err) < 0)
		return -1;
	for (p = name; *p; p++)
		if ((*p == '"' && crm_buf_addc(b, '"', err) < 0) ||
		    crm_buf_addc(b, *p, err) < 0)
			return -1;
	return crm_buf_addc(b, '"', err);
}

int
privacy_add_lit(struct crm_buf *b, const char *s, struct crm_error *err)
{
	const char *p;

	if (crm_buf_addc(b, '\'', err) < 0)
		return -1;
	for (p = s; *p; p++)
		if ((*p == '\'' && crm_buf_addc(b, '\'', err) < 0) ||
		    crm_buf_addc(b, *p, err) < 0)
			return -1;
	return crm_buf_addc(b, '\'', err);
}

/* "alias"."name" */
int
privacy_add_col(struct crm_buf *b, const char *alias, const char *name,
    struct crm_error *err)
{
	return crm_buf_adds(b, alias, err) < 0 || crm_buf_addc(b, '.',
	    err) < 0 ? -1 : privacy_add_ident(b, name, err);
}

char *
privacy_dup(const char *s, struct crm_error *err)
{
	char *p = strdup(s != NULL ? s : "");

	if (p == NULL)
		crm_error_set(err, CRM_EFAIL, "out of memory");
	return p;
}

void
privacy_reftabs_free(struct reftab *t, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		free(t[i].name);
		for (j = 0; j < t[i].ncols; j++)
			free(t[i].cols[j]);
	}
	free(t);
}

int
privacy_reftabs(struct crm_db *db, struct reftab **out, size_t *nout,
    struct crm_error *err)
{
	struct reftab *t = NULL, *p;
	size_t n = 0;
	struct crm_stmt *st;
	const char *name, *col;
	int rc;

	if ((st = crm_db_stmt(db, "SELECT m.name, f.\"from\" FROM"
	    " sqlite_schema m, pragma_foreign_key_list(m.name) f"
	    " WHERE m.type = 'table' AND lower(f.\"table\") = 'contacts'"
	    " AND m.name <> 'contacts' ORDER BY m.name, f.id, f.seq",
	    err)) == NULL)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		name = crm_db_col_text(st, 0);
		col = crm_db_col_text(st, 1);
		if (n == 0 || strcmp(t[n - 1].name, name) != 0) {
			if ((p = reallocarray(t, n + 1, sizeof(*t))) == NULL) {
				crm_error_set(err, CRM_EFAIL, "out of memory");
				goto fail;
			}
			t = p;
			memset(&t[n], 0, sizeof(t[n]));
			if ((t[n++].name = privacy_dup(name, err)) == NULL)
				goto fail;
		}
		p = &t[n - 1];
		if (p->ncols == REF_MAXCOLS) {
			crm_error_set(err, CRM_EFAIL, "table %s: more than %d"
			    " references to contacts", p->name, REF_MAXCOLS);
			goto fail;
		}
		if ((p->cols[p->ncols] = privacy_dup(col, err)) == NULL)
			goto fail;
		p->ncols++;
	}
	if (rc < 0)
		goto fail;
	*out = t;
	*nout = n;
	return 0;
fail:
	crm_db_reset(st);
	privacy_reftabs_free(t, n);
	return -1;
}

/* "(a."c1" IN (SELECT id FROM set) OR a."c2" IN ...)" */
int
privacy_add_refwhere(struct crm_buf *b, const struct reftab *t, const char *alias,
    const char *set, struct crm_error *err)
{
	size_t i;

	if (crm_buf_addc(b, '(', err) < 0)
		return -1;
	for (i = 0; i < t->ncols; i++)
		if ((i > 0 && crm_buf_adds(b, " OR ", err) < 0) ||
		    privacy_add_col(b, alias, t->cols[i], err) < 0 ||
		    crm_buf_addf(b, err, " IN (SELECT id FROM %s)", set) < 0)
			return -1;
	return crm_buf_addc(b, ')', err);
}

/* Run SQL assembled at run time; ?1, if it has one, is bound to v. */
int
privacy_run_sql(struct crm_db *db, const char *sql, int64_t v, int64_t *changes,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int rc;

	if ((st = crm_db_prepare(db, sql, err)) == NULL)
		return -1;
	rc = (crm_db_bind_count(st) > 0 &&
	    crm_db_bind_int(db, st, 1, v, err) < 0) ||
	    crm_db_step(db, st, err) < 0 ? -1 : 0;
	if (rc == 0 && changes != NULL)
		*changes = crm_db_changes(db);
	crm_db_finalize(st);
	return rc;
}

static void
salts_free(struct crm_erasure *er)
{
	size_t i;

	for (i = 0; i < er->nsalt; i++)
		free(er->salts[i]);
	free(er->salts);
	er->salts = NULL;
	er->nsalt = 0;
	er->salts_loaded = 0;
	er->listed_total = -1;
}

static int
salt_push(struct crm_erasure *er, const char *hex, struct crm_error *err)
{
	char **p;

	if ((p = reallocarray(er->salts, er->nsalt + 1, sizeof(*p))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	er->salts = p;
	if ((p[er->nsalt] = privacy_dup(hex, err)) == NULL)
		return -1;
	er->nsalt++;
	return 0;
}

static int
salts_load(struct crm_erasure *er, struct crm_error *err)
{
	struct crm_stmt *st;
	int rc;

	if (er->salts_loaded)
		return 0;
	if ((st = crm_db_stmt(er->db, "SELECT substr(hash, 6) FROM"
	    " erased_subjects WHERE hash >= 'salt:' AND hash < 'salt;'"
	    " ORDER BY erased_at, hash", err)) == NULL)
		return -1;
	while ((rc = crm_db_step(er->db, st, err)) == 1)
		if (salt_push(er, crm_db_col_text(st, 0), err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	if (rc < 0 || crm_db_query_int(er->db, "SELECT count(*) FROM"
	    " erased_subjects WHERE NOT (hash >= 'salt:' AND hash < 'salt;')",
	    &er->listed_total, err) < 0)
		return -1;
	er->salts_loaded = 1;
	return 0;
}

/* The salt new entries are made with: the oldest, or a new random one. */
const char *
privacy_salt(struct crm_erasure *er, struct crm_error *err)
{
	unsigned char rnd[32];
	char hex[65], row[72];
	struct crm_stmt *st;
	size_t got = 0;
	ssize_t k;
	int i;

	if (salts_load(er, err) < 0)
		return NULL;
	if (er->nsalt > 0)
		return er->salts[0];
	while (got < sizeof(rnd)) {
		if ((k = getrandom(rnd + got, sizeof(rnd) - got, 0)) < 0) {
			crm_error_set(err, CRM_EFAIL, "getrandom: %s",
			    strerror(errno));
			return NULL;
		}
		got += (size_t)k;
	}
	for (i = 0; i < 32; i++) {
		hex[2 * i] = "0123456789abcdef"[rnd[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[rnd[i] & 15];
	}
	hex[64] = '\0';
	snprintf(row, sizeof(row), "salt:%s", hex);
	if ((st = crm_db_stmt(er->db, "INSERT INTO erased_subjects"
	    " (hash, erased_at) VALUES (?1, ?2)", err)) == NULL ||
	    crm_db_bind_text(er->db, st, 1, row, err) < 0 ||
	    crm_db_bind_int(er->db, st, 2, crm_now(), err) < 0 ||
	    crm_db_step(er->db, st, err) < 0 || salt_push(er, hex, err) < 0)
		return NULL;
	return er->salts[0];
}

struct crm_erasure *
crm_erasure_new(struct crm_db *db, struct crm_error *err)
{
	struct crm_erasure *er;

	if ((er = calloc(1, sizeof(*er))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	er->db = db;
	er->listed_total = -1;
	return er;
}

/* The set of records to erase, a temporary table, made on first use. */
static int
temp_table(struct crm_erasure *er, struct crm_error *err)
{
	if (er->have_temp)
		return 0;
	if (crm_db_exec(er->db, "CREATE TEMP TABLE IF NOT EXISTS crm_erase"
	    " (id INTEGER PRIMARY KEY)", err) < 0 ||
	    crm_db_exec(er->db, "DELETE FROM crm_erase", err) < 0)
		return -1;
	er->have_temp = 1;
	return 0;
}

void
crm_erasure_free(struct crm_erasure *er)
{
	size_t i;

	if (er == NULL)
		return;
	salts_free(er);
	for (i = 0; i < er->ntc; i++)
		free(er->tc[i].name);
	free(er->tc);
	for (i = 0; i < er->nrules; i++)
		free(er->rules[i]);
	free(er);
}

const struct crm_erasure_stats *
crm_erasure_stats(const struct crm_erasure *er)
{
	return &er->st;
}

size_t
crm_erasure_rules(const struct crm_erasure *er, const char **names,
    size_t max)
{
	size_t i, n = er->nrules < max ? er->nrules : max;

	for (i = 0; i < n; i++)
		names[i] = er->rules[i];
	return n;
}

size_t
crm_erasure_sharers(const struct crm_erasure *er, int64_t *ids, size_t max)
{
	size_t n = er->nsharers < max ? er->nsharers : max;

	memcpy(ids, er->sharers, n * sizeof(*ids));
	return n;
}

int
crm_erasure_listed(struct crm_erasure *er, const char *kind,
    const char *value, struct crm_error *err)
{
	struct crm_stmt *st;
	char hash[65];
	size_t i;
	int rc;

	if (value == NULL || *value == '\0')
		return 0;
	if (salts_load(er, err) < 0)
		return -1;
	if (er->listed_total == 0)
		return 0;
	for (i = 0; i < er->nsalt; i++) {
		privacy_hmac_hex(er->salts[i], kind, value, hash);
		if ((st = crm_db_stmt(er->db, "SELECT 1 FROM erased_subjects"
		    " WHERE hash = ?1", err)) == NULL ||
		    crm_db_bind_text(er->db, st, 1, hash, err) < 0 ||
		    (rc = crm_db_step(er->db, st, err)) < 0)
			return -1;
		if (rc == 1) {
			crm_db_reset(st);
			return 1;
		}
	}
	return 0;
}

int
crm_erasure_listed_raw(struct crm_erasure *er, const char *kind,
    const char *value, const char *raw, struct crm_error *err)
{
	struct crm_buf b = CRM_BUF_INIT(4096);
	int rc;

	if ((rc = crm_erasure_listed(er, kind, value, err)) != 0 ||
	    raw == NULL || strcmp(kind, "email") != 0)
		return rc;
	if (crm_norm_email_legacy(raw, &b, NULL) == 0 && value != NULL &&
	    strcmp(crm_buf_str(&b), value) != 0)
		rc = crm_erasure_listed(er, kind, crm_buf_str(&b), err);
	crm_buf_release(&b);
	return rc;
}

/* Put kind:value on the list. */
int
privacy_list_add(struct crm_erasure *er, const char *kind, const char *value,
    struct crm_error *err)
{
	const char *key;
	struct crm_stmt *st;
	char hash[65];

	if ((key = privacy_salt(er, err)) == NULL)
		return -1;
	privacy_hmac_hex(key, kind, value, hash);
	if ((st = crm_db_stmt(er->db, "INSERT INTO erased_subjects"
	    " (hash, erased_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING", err)) == NULL ||
	    crm_db_bind_text(er->db, st, 1, hash, err) < 0 ||
	    crm_db_bind_int(er->db, st, 2, crm_now(), err) < 0 ||
	    crm_db_step(er->db, st, err) < 0)
		return -1;
	er->listed_total += crm_db_changes(er->db);
	return 0;
}

/* Add the subject whose survivor is id: it and all merged into it. */
static int
add_subject(struct crm_erasure *er, int64_t id, int *added,
    struct crm_error *err)
{
	struct crm_stmt *st;

	*added = 0;
	if (temp_table(er, err) < 0)
		return -1;
	if ((st = crm_db_stmt(er->db, "INSERT INTO crm_erase"
	    " (id) VALUES (?1) ON CONFLICT DO NOTHING", err)) == NULL ||
	    crm_db_bind_int(er->db, st, 1, id, err) < 0 ||
	    crm_db_step(er->db, st, err) < 0)
		return -1;
	if (crm_db_changes(er->db) == 0)
		return 0;
	*added = 1;
	er->st.subjects++;
	if ((st = crm_db_stmt(er->db, "WITH RECURSIVE cl(id) AS (SELECT ?1"
	    " UNION SELECT c.id FROM contacts c JOIN cl ON c.merged_into = cl.id)"
	    " INSERT INTO crm_erase (id) SELECT id FROM cl WHERE true"
	    " ON CONFLICT DO NOTHING",
	    err)) == NULL ||
	    crm_db_bind_int(er->db, st, 1, id, err) < 0 ||
	    crm_db_step(er->db, st, err) < 0)
		return -1;
	return 0;
}

/* 1 if key names a contact erased before, 0 if not. */
static int
erased_before(struct crm_erasure *er, const char *key, const char *region,
    struct crm_error *err)
{
	struct crm_buf b = CRM_BUF_INIT(4096);
	struct crm_stmt *st;
	const char *s;
	char *end;
	size_t len;
	int64_t id;
	int rc = -1, e164, hit;

	s = crm_trim(key, &len);
	if (len > 1 && s[0] == '#') {
		id = strtoll(s + 1, &end, 10);
		if (end != s + len || id <= 0)
			return 0;
		if ((st = crm_db_stmt(er->db, "SELECT 1 FROM contacts"
		    " WHERE id = ?1 AND erased_at IS NOT NULL", err)) == NULL ||
		    crm_db_bind_int(er->db, st, 1, id, err) < 0 ||
		    (rc = crm_db_step(er->db, st, err)) < 0)
			return -1;
		crm_db_reset(st);
		return rc;
	}
	if (crm_buf_add(&b, s, len, err) < 0 ||
	    (hit = crm_erasure_listed(er, "external_id", crm_buf_str(&b),
	    err)) < 0)
		goto done;
	crm_buf_reset(&b);
	if (!hit && crm_norm_email(key, &b, NULL) == 0) {
		if ((hit = crm_erasure_listed_raw(er, "email", crm_buf_str(&b),
		    key, err)) < 0)
			goto done;
		/*
		 * Listed under the key of an older crm: list the Unicode key
		 * too, so that every spelling of the address stays out.
		 */
		if (hit && privacy_list_add(er, "email", crm_buf_str(&b), err) < 0)
			goto done;
	}
	crm_buf_reset(&b);
	if (!hit && crm_norm_phone(key, region, &b, &e164, NULL) == 0 &&
	    (hit = crm_erasure_listed(er, "phone", crm_buf_str(&b), err)) < 0)
		goto done;
	rc = hit;
done:
	crm_buf_release(&b);
	return rc;
}

int
crm_erasure_add(struct crm_erasure *er, const char *key, const char *region,
    struct crm_error *err)
{
	struct crm_error e2;
	int64_t id;
	int added, rc;

	if (crm_contact_resolve(er->db, key, region, &id, err) == 0)
		return add_subject(er, id, &added, err) < 0 ? -1 : 1;
	if (err->code != CRM_EDATA)
		return -1;
	crm_error_clear(&e2);
	if ((rc = erased_before(er, key, region, &e2)) < 0) {
		*err = e2;
		return -1;
	}
	if (rc == 0)
		return -1;
	er->st.already++;
	return 0;
}

/* 1 if h is 64 lower-case hex digits. */
static int
is_hex64(const char *h)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' &&
		    h[i] <= 'f')))
			return 0;
	return h[64] == '\0';
}

int
crm_erasure_list_header(struct crm_erasure *er, struct crm_csv *r,
    struct crm_error *err)
{
	static const struct crm_csv_col cols[] = {
		{ "hash", NULL },
		{ "erased_at", NULL },
	};

	if (crm_csv_header(r, cols, 2, er->list_idx, err) < 0)
		return -1;
	if (er->list_idx[0] < 0)
		return crm_error_set(err, CRM_EDATA, "%s: no hash column",
		    crm_csv_name(r));
	/* New salts may come: read them again when next needed. */
	salts_free(er);
	return 0;
}

int
crm_erasure_list_row(struct crm_erasure *er, struct crm_csv *r,
    struct crm_error *err)
{
	char h[80], q[CRM_QUOTE_MAX];
	struct crm_stmt *st;
	const char *v;
	size_t i, len;
	int64_t at;

	er->st.read++;
	v = crm_trim(crm_csv_field(r, er->list_idx[0]), &len);
	for (i = 0; i < len && i < sizeof(h) - 1; i++)
		h[i] = (char)(v[i] >= 'A' && v[i] <= 'F' ? v[i] + 32 : v[i]);
	h[i] = '\0';
	if (len >= sizeof(h) || !(is_hex64(h) ||
	    (strncmp(h, "salt:", 5) == 0 && is_hex64(h + 5))))
		return crm_error_set(err, CRM_EDATA, "%s:%ld: not an"
		    " erased-subject hash '%s'", crm_csv_name(r),
		    crm_csv_line(r), crm_quote(q, v, len));
	at = crm_now();
	if (er->list_idx[1] >= 0 && !crm_csv_missing(r, er->list_idx[1]) &&
	    crm_norm_datetime(crm_csv_field(r, er->list_idx[1]), &at,
	    err) < 0)
		return crm_error_prefix(err, "%s:%ld", crm_csv_name(r),
		    crm_csv_line(r));
	if ((st = crm_db_stmt(er->db, "INSERT INTO erased_subjects"
	    " (hash, erased_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING", err)) == NULL ||
	    crm_db_bind_text(er->db, st, 1, h, err) < 0 ||
	    crm_db_bind_int(er->db, st, 2, at, err) < 0 ||
	    crm_db_step(er->db, st, err) < 0)
		return -1;
	er->st.listed += crm_db_changes(er->db);
	return 0;
}

int
crm_erasure_add_listed(struct crm_erasure *er, int64_t *n,
    struct crm_error *err)
{
	static const char *const kinds[] = { "external_id", "email", "phone" };
	struct crm_stmt *st;
	int64_t id, sid;
	char key[32];
	int rc, hit, added, k;

	*n = 0;
	if (salts_load(er, err) < 0)
		return -1;
	if (er->nsalt == 0 || er->listed_total == 0)
		return 0;
	/* Not cached: the loop below runs other statements. */
	if ((st = crm_db_prepare(er->db, "SELECT id, external_id, email, phone"
	    " FROM contacts WHERE erased_at IS NULL ORDER BY id", err)) == NULL)
		return -1;
	while ((rc = crm_db_step(er->db, st, err)) == 1) {
		id = crm_db_col_int(st, 0);
		for (hit = 0, k = 0; k < 3 && !hit; k++)
			if ((hit = crm_erasure_listed(er, kinds[k],
			    crm_db_col_text(st, k + 1), err)) < 0)
				goto fail;
		if (!hit)
			continue;
		/* The person is the survivor of the record's merges. */
		snprintf(key, sizeof(key), "#%lld", (long long)id);
		if (crm_contact_resolve(er->db, key, NULL, &sid, err) < 0 ||
		    add_subject(er, sid, &added, err) < 0)
			goto fail;
		*n += added;
	}
	if (rc < 0)
		goto fail;
	crm_db_finalize(st);
	return 0;
fail:
	crm_db_finalize(st);
	return -1;
}

/* Wiping and listing. */

int
privacy_secure(struct crm_db *db, struct crm_error *err)
{
	return crm_db_is_pg(db) ? 0 : crm_db_secure_delete(db, 1, err);
}

int
crm_privacy_secure_default(struct crm_db *db)
{
	return crm_db_secure_delete_on(db);
}

int
crm_privacy_wipe(struct crm_db *db, int vacuum, struct crm_error *err)
{
	int rc;

	if (vacuum && crm_db_exec(db, "VACUUM", err) < 0)
		return crm_error_prefix(err, "committed, but the file could"
		    " not be rebuilt");
	if ((rc = crm_db_checkpoint(db, err)) != 0)
		return crm_error_set(err, CRM_EFAIL, "%s: committed, but"
		    " another program is reading the database,"
		    " so the write-ahead log cannot be emptied and old copies"
		    " of the data remain in its files; run the same command"
		    " again when that program has finished", crm_db_name(db));
	return 0;
}

int
crm_privacy_list(struct crm_db *db, struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "hash", "erased_at" };
	const char *vals[2];
	struct crm_stmt *st;
	char at[21];
	int rc;

	if (crm_out_header(o, names, NULL, 2, err) < 0 ||
	    (st = crm_db_stmt(db, "SELECT hash, erased_at FROM erased_subjects"
	    " ORDER BY erased_at, hash", err)) == NULL)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		crm_format_time(crm_db_col_int(st, 1), at);
		vals[0] = crm_db_col_text(st, 0);
		vals[1] = at;
		if (crm_out_row(o, vals, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	return rc < 0 ? -1 : 0;
}
