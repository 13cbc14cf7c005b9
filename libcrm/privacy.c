/*
 * privacy.c - erasure, the erased list and subject access; see privacy.h.
 *
 * The tables that refer to contacts are read from the schema (their
 * foreign keys), and the SQL that deletes or exports their rows is put
 * together from those names, quoted as identifiers; values are bound.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "norm.h"
#include "privacy.h"
#include "resolve.h"

/* SHA-256 (FIPS 180-4) and HMAC (RFC 2104), for the erased list. */

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char blk[64];
	size_t n;
};

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b,
	0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
	0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7,
	0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152,
	0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
	0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
	0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
	0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void
sha256_init(struct sha256 *s)
{
	static const uint32_t h0[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(s->h, h0, sizeof(h0));
	s->len = 0;
	s->n = 0;
}

static void
sha256_block(struct sha256 *s, const unsigned char *p)
{
	uint32_t w[64], v[8], t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (i = 16; i < 64; i++)
		w[i] = w[i - 16] + w[i - 7] +
		    (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
		    (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10));
	memcpy(v, s->h, sizeof(v));
	for (i = 0; i < 64; i++) {
		t1 = v[7] + (ROR(v[4], 6) ^ ROR(v[4], 11) ^ ROR(v[4], 25)) +
		    ((v[4] & v[5]) ^ (~v[4] & v[6])) + sha_k[i] + w[i];
		t2 = (ROR(v[0], 2) ^ ROR(v[0], 13) ^ ROR(v[0], 22)) +
		    ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		s->h[i] += v[i];
}

static void
sha256_add(struct sha256 *s, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t k;

	s->len += n;
	while (n > 0) {
		k = 64 - s->n < n ? 64 - s->n : n;
		memcpy(s->blk + s->n, p, k);
		s->n += k;
		p += k;
		n -= k;
		if (s->n == 64) {
			sha256_block(s, s->blk);
			s->n = 0;
		}
	}
}

static void
sha256_end(struct sha256 *s, unsigned char out[32])
{
	uint64_t bits = s->len * 8;
	unsigned char pad[72];
	size_t npad = (s->n < 56 ? 56 : 120) - s->n;
	int i;

	memset(pad, 0, sizeof(pad));
	pad[0] = 0x80;
	for (i = 0; i < 8; i++)
		pad[npad + (size_t)i] = (unsigned char)(bits >> (56 - 8 * i));
	sha256_add(s, pad, npad + 8);
	for (i = 0; i < 32; i++)
		out[i] = (unsigned char)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}

/* HMAC-SHA256 of a ":" b under key (at most 64 bytes), in hex. */
static void
hmac_hex(const char *key, const char *a, const char *b, char out[65])
{
	unsigned char k[64], ipad[64], opad[64], inner[32], mac[32];
	size_t klen = strlen(key);
	struct sha256 s;
	int i;

	memset(k, 0, sizeof(k));
	memcpy(k, key, klen < sizeof(k) ? klen : sizeof(k));
	for (i = 0; i < 64; i++) {
		ipad[i] = k[i] ^ 0x36;
		opad[i] = k[i] ^ 0x5c;
	}
	sha256_init(&s);
	sha256_add(&s, ipad, sizeof(ipad));
	sha256_add(&s, a, strlen(a));
	sha256_add(&s, ":", 1);
	sha256_add(&s, b, strlen(b));
	sha256_end(&s, inner);
	sha256_init(&s);
	sha256_add(&s, opad, sizeof(opad));
	sha256_add(&s, inner, sizeof(inner));
	sha256_end(&s, mac);
	for (i = 0; i < 32; i++) {
		out[2 * i] = "0123456789abcdef"[mac[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[mac[i] & 15];
	}
	out[64] = '\0';
}

/* Building SQL from schema names. */

static int
add_ident(struct crm_buf *b, const char *name, struct crm_error *err)
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

static int
add_lit(struct crm_buf *b, const char *s, struct crm_error *err)
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
static int
add_col(struct crm_buf *b, const char *alias, const char *name,
    struct crm_error *err)
{
	return crm_buf_adds(b, alias, err) < 0 || crm_buf_addc(b, '.',
	    err) < 0 ? -1 : add_ident(b, name, err);
}

static char *
dup(const char *s, struct crm_error *err)
{
	char *p = strdup(s != NULL ? s : "");

	if (p == NULL)
		crm_error_set(err, CRM_EFAIL, "out of memory");
	return p;
}

/* A table that refers to contacts, and its columns that do. */
#define REF_MAXCOLS 8

struct reftab {
	char *name;
	char *cols[REF_MAXCOLS];
	size_t ncols;
};

static void
reftabs_free(struct reftab *t, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		free(t[i].name);
		for (j = 0; j < t[i].ncols; j++)
			free(t[i].cols[j]);
	}
	free(t);
}

static int
reftabs(struct crm_db *db, struct reftab **out, size_t *nout,
    struct crm_error *err)
{
	struct reftab *t = NULL, *p;
	size_t n = 0;
	struct crm_stmt *st;
	const char *name, *col;
	int rc;

	if ((st = crm_db_stmt(db, "SELECT m.name, f.\"from\" FROM"
	    " sqlite_schema m, pragma_foreign_key_list(m.name) f"
	    " WHERE m.type = 'table' AND f.\"table\" = 'contacts' COLLATE NOCASE"
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
			if ((t[n++].name = dup(name, err)) == NULL)
				goto fail;
		}
		p = &t[n - 1];
		if (p->ncols == REF_MAXCOLS) {
			crm_error_set(err, CRM_EFAIL, "table %s: more than %d"
			    " references to contacts", p->name, REF_MAXCOLS);
			goto fail;
		}
		if ((p->cols[p->ncols] = dup(col, err)) == NULL)
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
	reftabs_free(t, n);
	return -1;
}

/* "(a."c1" IN (SELECT id FROM set) OR a."c2" IN ...)" */
static int
add_refwhere(struct crm_buf *b, const struct reftab *t, const char *alias,
    const char *set, struct crm_error *err)
{
	size_t i;

	if (crm_buf_addc(b, '(', err) < 0)
		return -1;
	for (i = 0; i < t->ncols; i++)
		if ((i > 0 && crm_buf_adds(b, " OR ", err) < 0) ||
		    add_col(b, alias, t->cols[i], err) < 0 ||
		    crm_buf_addf(b, err, " IN (SELECT id FROM %s)", set) < 0)
			return -1;
	return crm_buf_addc(b, ')', err);
}

/* Run SQL assembled at run time; ?1, if it has one, is bound to v. */
static int
run_sql(struct crm_db *db, const char *sql, int64_t v, int64_t *changes,
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

/* The erasure batch. */

#define MAX_SHARERS 16

struct tabcount {
	char *name;
	int64_t n;
};

struct crm_erasure {
	struct crm_db *db;
	char **salts;		/* hex keys, the oldest first */
	size_t nsalt;
	int salts_loaded;
	int have_temp;
	int64_t listed_total;	/* entries, salts excluded; -1 unknown */
	struct crm_erasure_stats st;
	struct tabcount *tc;
	size_t ntc;
	int64_t sharers[MAX_SHARERS];
	size_t nsharers;
	char *rules[MAX_SHARERS];	/* segments whose rule names one */
	size_t nrules;
	int list_idx[2];	/* hash, erased_at in the list being read */
};

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
	if ((p[er->nsalt] = dup(hex, err)) == NULL)
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
static const char *
salt(struct crm_erasure *er, struct crm_error *err)
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
	    crm_db_exec(er->db, "DELETE FROM temp.crm_erase", err) < 0)
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
		hmac_hex(er->salts[i], kind, value, hash);
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
static int
list_add(struct crm_erasure *er, const char *kind, const char *value,
    struct crm_error *err)
{
	const char *key;
	struct crm_stmt *st;
	char hash[65];

	if ((key = salt(er, err)) == NULL)
		return -1;
	hmac_hex(key, kind, value, hash);
	if ((st = crm_db_stmt(er->db, "INSERT OR IGNORE INTO erased_subjects"
	    " (hash, erased_at) VALUES (?1, ?2)", err)) == NULL ||
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
	if ((st = crm_db_stmt(er->db, "INSERT OR IGNORE INTO temp.crm_erase"
	    " (id) VALUES (?1)", err)) == NULL ||
	    crm_db_bind_int(er->db, st, 1, id, err) < 0 ||
	    crm_db_step(er->db, st, err) < 0)
		return -1;
	if (crm_db_changes(er->db) == 0)
		return 0;
	*added = 1;
	er->st.subjects++;
	if ((st = crm_db_stmt(er->db, "WITH RECURSIVE cl(id) AS (SELECT ?1"
	    " UNION SELECT c.id FROM contacts c JOIN cl ON c.merged_into = cl.id)"
	    " INSERT OR IGNORE INTO temp.crm_erase (id) SELECT id FROM cl",
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
		if (hit && list_add(er, "email", crm_buf_str(&b), err) < 0)
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
	if ((st = crm_db_stmt(er->db, "INSERT OR IGNORE INTO erased_subjects"
	    " (hash, erased_at) VALUES (?1, ?2)", err)) == NULL ||
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

static int
count_table(struct crm_erasure *er, const char *name, int64_t n,
    struct crm_error *err)
{
	struct tabcount *p;
	size_t i;

	er->st.rows += n;
	for (i = 0; i < er->ntc; i++)
		if (strcmp(er->tc[i].name, name) == 0) {
			er->tc[i].n += n;
			return 0;
		}
	if ((p = reallocarray(er->tc, er->ntc + 1, sizeof(*p))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	er->tc = p;
	if ((p[er->ntc].name = dup(name, err)) == NULL)
		return -1;
	p[er->ntc++].n = n;
	return 0;
}

/*
 * List a record's keys, unless another contact still has the email or
 * phone; take its email and phone out of the audit's arguments.
 */
static int
list_record(struct crm_erasure *er, const char *const v[3],
    struct crm_error *err)
{
	static const char *const sql_shared[2] = {
		"SELECT id FROM contacts WHERE email = ?1 AND erased_at IS NULL"
		" AND id NOT IN (SELECT id FROM temp.crm_erase) LIMIT 1",
		"SELECT id FROM contacts WHERE phone = ?1 AND erased_at IS NULL"
		" AND id NOT IN (SELECT id FROM temp.crm_erase) LIMIT 1",
	};
	struct crm_stmt *st;
	int64_t other;
	size_t i;
	int k, rc;

	if (v[0] != NULL && list_add(er, "external_id", v[0], err) < 0)
		return -1;
	for (k = 0; k < 2; k++) {
		if (v[k + 1] == NULL)
			continue;
		if ((st = crm_db_stmt(er->db, sql_shared[k], err)) == NULL ||
		    crm_db_bind_text(er->db, st, 1, v[k + 1], err) < 0 ||
		    (rc = crm_db_step(er->db, st, err)) < 0)
			return -1;
		if (rc == 1) {
			other = crm_db_col_int(st, 0);
			crm_db_reset(st);
			er->st.shared++;
			for (i = 0; i < er->nsharers; i++)
				if (er->sharers[i] == other)
					break;
			if (i == er->nsharers && i < MAX_SHARERS)
				er->sharers[er->nsharers++] = other;
		} else if (list_add(er, k == 0 ? "email" : "phone", v[k + 1],
		    err) < 0)
			return -1;
	}
	return 0;
}

/* A byte that continues a word: a value found inside one is not it. */
static int
wordc(unsigned char c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

/*
 * The next place at or after from where val (ASCII case ignored) stands
 * in s as a word of its own, or NULL.
 */
static const char *
find_word(const char *s, const char *from, const char *val, size_t n)
{
	const char *p;

	for (p = from; *p != '\0'; p++) {
		if (strncasecmp(p, val, n) != 0)
			continue;
		if ((p == s || !wordc((unsigned char)p[-1]) ||
		    !wordc((unsigned char)val[0])) &&
		    (!wordc((unsigned char)p[n]) ||
		    !wordc((unsigned char)val[n - 1])))
			return p;
	}
	return NULL;
}

/*
 * Every audit entry's arguments with each value of the person (v, nv
 * values, NULLs skipped) replaced by "[erased]": the command lines of
 * earlier runs (a crm-segment rule, a crm-log show, a key given to
 * crm-dedupe) may name the person.  A value counts where it stands as a
 * word of its own, in any ASCII case.
 */
static int
scrub_audit(struct crm_erasure *er, char *const *v, size_t nv,
    struct crm_error *err)
{
	struct crm_buf out = CRM_BUF_INIT(64 * 1024);
	struct crm_stmt *q = NULL, *u;
	const char *args, *p, *hit;
	size_t k, n;
	int rc = -1, changed;

	for (k = 0; k < nv; k++) {
		if (v[k] == NULL || (n = strlen(v[k])) < 2)
			continue;
		/* Not cached: the loop below runs another statement. */
		if ((q = crm_db_prepare(er->db, "SELECT id, args FROM audit"
		    " WHERE instr(lower(args), lower(?1)) > 0", err)) == NULL ||
		    crm_db_bind_text(er->db, q, 1, v[k], err) < 0)
			goto done;
		while ((rc = crm_db_step(er->db, q, err)) == 1) {
			args = crm_db_col_text(q, 1);
			crm_buf_reset(&out);
			changed = 0;
			for (p = args; (hit = find_word(args, p, v[k], n)) !=
			    NULL; p = hit + n) {
				if (crm_buf_add(&out, p, (size_t)(hit - p),
				    err) < 0 || crm_buf_adds(&out, "[erased]",
				    err) < 0)
					goto done;
				changed = 1;
			}
			if (!changed)
				continue;
			if (crm_buf_adds(&out, p, err) < 0 ||
			    (u = crm_db_stmt(er->db, "UPDATE audit SET args = ?1"
			    " WHERE id = ?2", err)) == NULL ||
			    crm_db_bind_text(er->db, u, 1, crm_buf_str(&out),
			    err) < 0 || crm_db_bind_int(er->db, u, 2,
			    crm_db_col_int(q, 0), err) < 0 ||
			    crm_db_step(er->db, u, err) < 0)
				goto done;
		}
		crm_db_finalize(q);
		q = NULL;
		if (rc < 0)
			goto done;
	}
	rc = 0;
done:
	crm_db_finalize(q);
	crm_buf_release(&out);
	return rc;
}

/*
 * Note the saved segments whose rule names one of the person's values:
 * a rule is the user's own text and stays, but the user must hear of it.
 */
static int
note_rules(struct crm_erasure *er, char *const *v, size_t nv,
    struct crm_error *err)
{
	struct crm_stmt *q;
	const char *name, *rule;
	size_t k, i, n;
	int rc;

	for (k = 0; k < nv; k++) {
		if (v[k] == NULL || (n = strlen(v[k])) < 2)
			continue;
		if ((q = crm_db_stmt(er->db, "SELECT name, rule FROM segments"
		    " WHERE rule IS NOT NULL AND instr(lower(rule), lower(?1))"
		    " > 0 ORDER BY name", err)) == NULL ||
		    crm_db_bind_text(er->db, q, 1, v[k], err) < 0)
			return -1;
		while ((rc = crm_db_step(er->db, q, err)) == 1) {
			name = crm_db_col_text(q, 0);
			rule = crm_db_col_text(q, 1);
			if (find_word(rule, rule, v[k], n) == NULL)
				continue;
			for (i = 0; i < er->nrules; i++)
				if (strcmp(er->rules[i], name) == 0)
					break;
			if (i == er->nrules && i < MAX_SHARERS) {
				if ((er->rules[i] = strdup(name)) == NULL) {
					crm_db_reset(q);
					return crm_error_set(err, CRM_EFAIL,
					    "out of memory");
				}
				er->nrules++;
			}
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* The person's values that the audit may hold: keys first. */
#define NVALS 9

static int
list_records(struct crm_erasure *er, struct crm_error *err)
{
	struct crm_stmt *st;
	char *v[NVALS] = { NULL };
	int rc, k;

	/* Not cached: list_record() runs statements of its own. */
	if ((st = crm_db_prepare(er->db, "SELECT external_id, email, phone,"
	    " first_name, last_name, street, birth_date, postcode, company"
	    " FROM contacts WHERE id IN (SELECT id FROM temp.crm_erase)"
	    " ORDER BY id", err)) == NULL)
		return -1;
	while ((rc = crm_db_step(er->db, st, err)) == 1) {
		for (k = 0; k < NVALS; k++) {
			const char *s = crm_db_col_text(st, k);

			if (s != NULL && (v[k] = dup(s, err)) == NULL)
				goto fail;
		}
		if (list_record(er, (const char *const *)v, err) < 0 ||
		    scrub_audit(er, v, NVALS, err) < 0 ||
		    note_rules(er, v, NVALS, err) < 0)
			goto fail;
		for (k = 0; k < NVALS; k++) {
			free(v[k]);
			v[k] = NULL;
		}
	}
	crm_db_finalize(st);
	return rc < 0 ? -1 : 0;
fail:
	for (k = 0; k < NVALS; k++)
		free(v[k]);
	crm_db_finalize(st);
	return -1;
}

static int
delete_refs(struct crm_erasure *er, struct crm_error *err)
{
	struct crm_buf sql = CRM_BUF_INIT(64 * 1024);
	struct reftab *t = NULL;
	size_t i, n = 0;
	int64_t changes;
	int rc = -1;

	if (reftabs(er->db, &t, &n, err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		crm_buf_reset(&sql);
		if (crm_buf_adds(&sql, "DELETE FROM ", err) < 0 ||
		    add_ident(&sql, t[i].name, err) < 0 ||
		    crm_buf_adds(&sql, " AS a WHERE ", err) < 0 ||
		    add_refwhere(&sql, &t[i], "a", "temp.crm_erase", err) < 0 ||
		    run_sql(er->db, crm_buf_str(&sql), 0, &changes, err) < 0 ||
		    count_table(er, t[i].name, changes, err) < 0)
			goto done;
	}
	rc = 0;
done:
	crm_buf_release(&sql);
	reftabs_free(t, n);
	return rc;
}

/*
 * Reduce the records to tombstones.  The statement is made from the
 * contacts table as it is, so that a column added later is cleared too.
 */
static int
tombstone(struct crm_erasure *er, struct crm_error *err)
{
	struct crm_buf sql = CRM_BUF_INIT(64 * 1024);
	const char *name, *dflt;
	struct crm_stmt *st;
	int64_t changes;
	int rc, first = 1, ret = -1;

	if (crm_buf_adds(&sql, "UPDATE contacts SET ", err) < 0 ||
	    (st = crm_db_stmt(er->db, "SELECT name, \"notnull\", dflt_value, pk"
	    " FROM pragma_table_info('contacts') ORDER BY cid", err)) == NULL)
		goto done;
	while ((rc = crm_db_step(er->db, st, err)) == 1) {
		name = crm_db_col_text(st, 0);
		dflt = crm_db_col_text(st, 2);
		if (crm_db_col_int(st, 3) != 0)
			continue;
		if ((!first && crm_buf_adds(&sql, ", ", err) < 0) ||
		    add_ident(&sql, name, err) < 0 ||
		    crm_buf_adds(&sql, " = ", err) < 0)
			break;
		first = 0;
		if (strcmp(name, "erased_at") == 0 ||
		    strcmp(name, "created_at") == 0 ||
		    strcmp(name, "updated_at") == 0)
			rc = crm_buf_adds(&sql, "?1", err);
		else if (strcmp(name, "do_not_contact") == 0)
			rc = crm_buf_adds(&sql, "1", err);
		else if (crm_db_col_int(st, 1) == 0)
			rc = crm_buf_adds(&sql, "NULL", err);
		else if (dflt != NULL)
			rc = crm_buf_addf(&sql, err, "(%s)", dflt);
		else
			rc = crm_error_set(err, CRM_EFAIL, "contacts.%s: NOT NULL"
			    " without a default: cannot erase it", name);
		if (rc < 0)
			break;
	}
	if (rc != 0) {
		crm_db_reset(st);
		goto done;
	}
	if (crm_buf_adds(&sql, " WHERE id IN (SELECT id FROM temp.crm_erase)",
	    err) < 0 ||
	    run_sql(er->db, crm_buf_str(&sql), crm_now(), &changes, err) < 0)
		goto done;
	er->st.records += changes;
	ret = 0;
done:
	crm_buf_release(&sql);
	return ret;
}

int
crm_erasure_run(struct crm_erasure *er, struct crm_error *err)
{
	int64_t n;

	if (!er->have_temp)
		return 0;
	if (crm_db_query_int(er->db, "SELECT count(*) FROM temp.crm_erase", &n,
	    err) < 0)
		return -1;
	if (n == 0)
		return 0;
	/* Zero what the statements below free, in pages and the log. */
	if (crm_db_secure_delete(er->db, 1, err) < 0 ||
	    list_records(er, err) < 0 || delete_refs(er, err) < 0 ||
	    tombstone(er, err) < 0 ||
	    crm_db_exec(er->db, "DELETE FROM temp.crm_erase", err) < 0)
		return -1;
	return 0;
}

int
crm_erasure_counts(const struct crm_erasure *er, struct crm_buf *out,
    struct crm_error *err)
{
	const struct crm_erasure_stats *s = &er->st;
	size_t i;

	if (crm_buf_addf(out, err, "{\"subjects\":%lld,\"records\":%lld,"
	    "\"rows\":%lld,\"already\":%lld,\"listed\":%lld,\"shared\":%lld,"
	    "\"deleted\":{", (long long)s->subjects, (long long)s->records,
	    (long long)s->rows, (long long)s->already, (long long)s->listed,
	    (long long)s->shared) < 0)
		return -1;
	for (i = 0; i < er->ntc; i++)
		if (crm_buf_addf(out, err, "%s\"%s\":%lld", i ? "," : "",
		    er->tc[i].name, (long long)er->tc[i].n) < 0)
			return -1;
	return crm_buf_adds(out, "}}", err);
}

int
crm_erasure_tag(struct crm_erasure *er, const char *key, struct crm_buf *out,
    struct crm_error *err)
{
	struct crm_buf b = CRM_BUF_INIT(4096);
	const char *k, *s;
	char hash[65];
	size_t len;
	int rc = -1;

	s = crm_trim(key, &len);
	if ((k = salt(er, err)) == NULL || crm_buf_add(&b, s, len, err) < 0)
		goto done;
	hmac_hex(k, "key", crm_buf_str(&b), hash);
	rc = crm_buf_addf(out, err, "key:%.16s", hash);
done:
	crm_buf_release(&b);
	return rc;
}

/* Wiping and listing. */

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
	if (crm_db_secure_delete(db, 1, err) < 0)
		return -1;
	if ((mode == CRM_RETAIN_ANONYMISE ? anonymise(db, st, err) :
	    run_sql(db, "DELETE FROM interactions WHERE at < ?1", before,
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

/* Subject access. */

struct colinfo {
	char *name, *type;
	char *fk_table, *fk_to;	/* a foreign key on this column, or NULL */
};

static void
cols_free(struct colinfo *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(c[i].name);
		free(c[i].type);
		free(c[i].fk_table);
		free(c[i].fk_to);
	}
	free(c);
}

/* The columns of tab, their types and foreign keys, and its CREATE text. */
static int
table_cols(struct crm_db *db, const char *tab, struct colinfo **out,
    size_t *nout, char **create, struct crm_error *err)
{
	struct colinfo *c = NULL, *p;
	struct crm_stmt *st;
	size_t n = 0, i;
	int rc;

	*create = NULL;
	if ((st = crm_db_stmt(db, "SELECT name, type FROM pragma_table_info(?1)"
	    " ORDER BY cid", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, tab, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		if ((p = reallocarray(c, n + 1, sizeof(*c))) == NULL) {
			crm_error_set(err, CRM_EFAIL, "out of memory");
			goto fail;
		}
		c = p;
		memset(&c[n], 0, sizeof(c[n]));
		n++;
		if ((c[n - 1].name = dup(crm_db_col_text(st, 0), err)) == NULL ||
		    (c[n - 1].type = dup(crm_db_col_text(st, 1), err)) == NULL)
			goto fail;
	}
	if (rc < 0)
		goto fail;
	if ((st = crm_db_stmt(db, "SELECT \"from\", \"table\","
	    " coalesce(\"to\", 'rowid') FROM pragma_foreign_key_list(?1)",
	    err)) == NULL ||
	    crm_db_bind_text(db, st, 1, tab, err) < 0)
		goto fail;
	while ((rc = crm_db_step(db, st, err)) == 1)
		for (i = 0; i < n; i++)
			if (strcmp(c[i].name, crm_db_col_text(st, 0)) == 0 &&
			    c[i].fk_table == NULL &&
			    ((c[i].fk_table = dup(crm_db_col_text(st, 1),
			    err)) == NULL || (c[i].fk_to =
			    dup(crm_db_col_text(st, 2), err)) == NULL))
				goto fail;
	if (rc < 0)
		goto fail;
	if ((st = crm_db_stmt(db, "SELECT sql FROM sqlite_schema"
	    " WHERE type = 'table' AND name = ?1", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, tab, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		goto fail;
	*create = dup(rc == 1 ? crm_db_col_text(st, 0) : "", err);
	crm_db_reset(st);
	if (*create == NULL)
		goto fail;
	*out = c;
	*nout = n;
	return 0;
fail:
	crm_db_reset(st);
	cols_free(c, n);
	return -1;
}

/* 1 if the CREATE text holds pat, not as the tail of a longer name. */
static int
schema_has(const char *create, const char *pat)
{
	const char *p;

	for (p = create; (p = strstr(p, pat)) != NULL; p++)
		if (p == create || !(p[-1] == '_' || (p[-1] >= 'a' &&
		    p[-1] <= 'z') || (p[-1] >= 'A' && p[-1] <= 'Z') ||
		    (p[-1] >= '0' && p[-1] <= '9')))
			return 1;
	return 0;
}

/* The schema checks the column with json_valid(): it holds JSON. */
static int
is_json(const char *create, const char *name)
{
	char pat[256];

	return (size_t)snprintf(pat, sizeof(pat), "json_valid(%s)", name) <
	    sizeof(pat) && schema_has(create, pat);
}

/* The schema allows only 0 and 1: a yes/no column. */
static int
is_bool(const char *create, const char *name)
{
	char pat[256];

	return (size_t)snprintf(pat, sizeof(pat), "%s = 0 OR %s = 1", name,
	    name) < sizeof(pat) && schema_has(create, pat);
}

static int
is_time(const char *name)
{
	size_t n = strlen(name);

	return strcmp(name, "at") == 0 ||
	    (n > 3 && strcmp(name + n - 3, "_at") == 0);
}

/*
 * Append json_object(...) over the columns of tab under alias; with embed,
 * a foreign key to a table other than contacts brings that row along
 * (one level deep).
 */
static int
add_row_json(struct crm_db *db, struct crm_buf *b, const char *tab,
    const char *alias, int embed, struct crm_error *err)
{
	struct colinfo *c = NULL;
	char *create = NULL, key[128];
	size_t n = 0, i, j, len;
	int rc = -1;

	if (table_cols(db, tab, &c, &n, &create, err) < 0 ||
	    crm_buf_adds(b, "json_object(", err) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		const char *name = c[i].name;

		if ((i > 0 && crm_buf_adds(b, ", ", err) < 0) ||
		    add_lit(b, name, err) < 0 || crm_buf_adds(b, ", ", err) < 0)
			goto done;
		if (is_time(name)) {
			if (crm_buf_adds(b, "CASE typeof(", err) < 0 ||
			    add_col(b, alias, name, err) < 0 ||
			    crm_buf_adds(b, ") WHEN 'integer' THEN strftime("
			    "'%Y-%m-%dT%H:%M:%SZ', ", err) < 0 ||
			    add_col(b, alias, name, err) < 0 ||
			    crm_buf_adds(b, ", 'unixepoch') ELSE ", err) < 0 ||
			    add_col(b, alias, name, err) < 0 ||
			    crm_buf_adds(b, " END", err) < 0)
				goto done;
		} else if (is_json(create, name)) {
			if (crm_buf_adds(b, "json(", err) < 0 ||
			    add_col(b, alias, name, err) < 0 ||
			    crm_buf_addc(b, ')', err) < 0)
				goto done;
		} else if (is_bool(create, name)) {
			if (crm_buf_adds(b, "CASE WHEN ", err) < 0 ||
			    add_col(b, alias, name, err) < 0 ||
			    crm_buf_adds(b, " IS NULL THEN NULL WHEN ", err) < 0 ||
			    add_col(b, alias, name, err) < 0 ||
			    crm_buf_adds(b, " THEN json('true') ELSE"
			    " json('false') END", err) < 0)
				goto done;
		} else if (strcasecmp(c[i].type, "BLOB") == 0) {
			if (crm_buf_adds(b, "CASE WHEN ", err) < 0 ||
			    add_col(b, alias, name, err) < 0 ||
			    crm_buf_adds(b, " IS NULL THEN NULL ELSE hex(", err) < 0 ||
			    add_col(b, alias, name, err) < 0 ||
			    crm_buf_adds(b, ") END", err) < 0)
				goto done;
		} else if (add_col(b, alias, name, err) < 0)
			goto done;
		if (!embed || c[i].fk_table == NULL ||
		    strcasecmp(c[i].fk_table, "contacts") == 0)
			continue;
		/* segment_id brings "segment"; else the table's name. */
		len = strlen(name);
		snprintf(key, sizeof(key), "%.*s", (int)(len > 3 &&
		    strcmp(name + len - 3, "_id") == 0 ? len - 3 : len), name);
		for (j = 0; j < n; j++)
			if (strcmp(c[j].name, key) == 0)
				snprintf(key, sizeof(key), "%s", c[i].fk_table);
		if (crm_buf_adds(b, ", ", err) < 0 || add_lit(b, key, err) < 0 ||
		    crm_buf_adds(b, ", json((SELECT ", err) < 0 ||
		    add_row_json(db, b, c[i].fk_table, "r", 0, err) < 0 ||
		    crm_buf_adds(b, " FROM ", err) < 0 ||
		    add_ident(b, c[i].fk_table, err) < 0 ||
		    crm_buf_adds(b, " AS r WHERE ", err) < 0 ||
		    add_col(b, "r", c[i].fk_to, err) < 0 ||
		    crm_buf_adds(b, " = ", err) < 0 ||
		    add_col(b, alias, name, err) < 0 ||
		    crm_buf_adds(b, "))", err) < 0)
			goto done;
	}
	rc = crm_buf_addc(b, ')', err);
done:
	free(create);
	cols_free(c, n);
	return rc;
}

#define CLUSTER "WITH RECURSIVE cl(id) AS (SELECT ?1 UNION SELECT c.id" \
	" FROM contacts c JOIN cl ON c.merged_into = cl.id) "

/* Run a query of one JSON value (?1 = id) and write it, null if none. */
static int
put_json(struct crm_db *db, const char *sql, int64_t id, FILE *fp,
    struct crm_error *err)
{
	struct crm_stmt *st;
	const char *v;
	int rc;

	if ((st = crm_db_prepare(db, sql, err)) == NULL)
		return -1;
	if (crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0) {
		crm_db_finalize(st);
		return -1;
	}
	v = rc == 1 ? crm_db_col_text(st, 0) : NULL;
	fputs(v != NULL ? v : "null", fp);
	crm_db_finalize(st);
	return 0;
}

/* The rows of tab (alias a) matching where, as a JSON array, in the
 * order of the table's first column. */
static int
put_rows(struct crm_db *db, const char *tab, const char *where, int64_t id,
    FILE *fp, struct crm_error *err)
{
	struct crm_buf sql = CRM_BUF_INIT(1 << 20);
	char *first = NULL;
	struct crm_stmt *st;
	int rc = -1;

	if ((st = crm_db_stmt(db, "SELECT name FROM pragma_table_info(?1)"
	    " ORDER BY cid LIMIT 1", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, tab, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	first = dup(rc == 1 ? crm_db_col_text(st, 0) : "rowid", err);
	crm_db_reset(st);
	rc = -1;
	if (first == NULL ||
	    crm_buf_adds(&sql, CLUSTER "SELECT json_group_array(json(j))"
	    " FROM (SELECT ", err) < 0 ||
	    add_row_json(db, &sql, tab, "a", 1, err) < 0 ||
	    crm_buf_adds(&sql, " AS j FROM ", err) < 0 ||
	    add_ident(&sql, tab, err) < 0 ||
	    crm_buf_addf(&sql, err, " AS a WHERE %s ORDER BY ", where) < 0 ||
	    add_col(&sql, "a", first, err) < 0 ||
	    crm_buf_addc(&sql, ')', err) < 0)
		goto done;
	rc = put_json(db, crm_buf_str(&sql), id, fp, err);
done:
	free(first);
	crm_buf_release(&sql);
	return rc;
}

static int
export_parts(struct crm_db *db, int64_t id, FILE *fp, struct crm_error *err)
{
	struct crm_buf sql = CRM_BUF_INIT(1 << 20), w = CRM_BUF_INIT(4096);
	struct reftab *t = NULL;
	size_t i, n = 0;
	char now[21];
	int rc = -1;

	crm_format_time(crm_now(), now);
	fprintf(fp, "{\"exported_at\":\"%s\",\"contact\":", now);
	if (crm_buf_adds(&sql, "SELECT ", err) < 0 ||
	    add_row_json(db, &sql, "contacts", "a", 1, err) < 0 ||
	    crm_buf_adds(&sql, " FROM contacts AS a WHERE a.id = ?1", err) < 0 ||
	    put_json(db, crm_buf_str(&sql), id, fp, err) < 0)
		goto done;
	fputs(",\"merged_contacts\":", fp);
	if (put_rows(db, "contacts", "a.id IN (SELECT id FROM cl) AND"
	    " a.id <> ?1", id, fp, err) < 0)
		goto done;
	/* Current consent: the latest event per channel and purpose. */
	fputs(",\"consent\":", fp);
	if (put_json(db, CLUSTER "SELECT json_group_array(json(j)) FROM"
	    " (SELECT json_object('channel', e.channel, 'purpose', e.purpose,"
	    " 'granted', json(iif(e.granted, 'true', 'false')),"
	    " 'at', strftime('%Y-%m-%dT%H:%M:%SZ', e.at, 'unixepoch'),"
	    " 'source', e.source) AS j FROM consent_events e"
	    " WHERE e.contact_id IN (SELECT id FROM cl) AND NOT EXISTS"
	    " (SELECT 1 FROM consent_events l WHERE l.contact_id IN"
	    " (SELECT id FROM cl) AND l.channel = e.channel AND"
	    " l.purpose = e.purpose AND (l.at > e.at OR (l.at = e.at AND"
	    " l.id > e.id))) ORDER BY e.channel, e.purpose)", id, fp,
	    err) < 0)
		goto done;
	if (reftabs(db, &t, &n, err) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		crm_buf_reset(&w);
		fprintf(fp, ",\"%s\":", t[i].name);
		if (add_refwhere(&w, &t[i], "a", "cl", err) < 0 ||
		    put_rows(db, t[i].name, crm_buf_str(&w), id, fp, err) < 0)
			goto done;
	}
	fputs("}\n", fp);
	rc = 0;
done:
	reftabs_free(t, n);
	crm_buf_release(&sql);
	crm_buf_release(&w);
	return rc;
}

int
crm_privacy_export(struct crm_db *db, int64_t id, FILE *fp,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int rc, erased;

	/* One read transaction: every part sees the same state. */
	if (crm_db_exec(db, "BEGIN", err) < 0)
		return -1;
	if ((st = crm_db_stmt(db, "SELECT erased_at IS NOT NULL FROM contacts"
	    " WHERE id = ?1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		goto fail;
	if (rc == 0) {
		crm_error_set(err, CRM_EDATA, "no contact #%lld", (long long)id);
		goto fail;
	}
	erased = crm_db_col_int(st, 0);
	crm_db_reset(st);
	if (erased) {
		crm_error_set(err, CRM_EDATA, "contact %lld was erased",
		    (long long)id);
		goto fail;
	}
	if (export_parts(db, id, fp, err) < 0)
		goto fail;
	crm_db_rollback(db);
	return 0;
fail:
	crm_db_rollback(db);
	return -1;
}
