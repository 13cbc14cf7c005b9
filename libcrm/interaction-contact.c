/*
 * The contact an interaction names: by external_id, else email, else
 * phone, through a bounded cache of keys; merged-away and erased contacts
 * followed or left out; a stub made for an unknown key on request.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "interaction-int.h"
#include "norm.h"
#include "resolve.h"

static uint64_t
fnv64(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}


/* A stub contact with every key the record gives (normalised). */
static int
create_stub(struct crm_logger *lg, struct crm_csv *r, int64_t *id,
    struct crm_error *err)
{
	struct crm_buf keys[3] = { CRM_BUF_INIT(4096), CRM_BUF_INIT(4096),
	    CRM_BUF_INIT(4096) };
	const char *v[3] = { NULL, NULL, NULL };
	struct crm_stmt *st;
	int k, e164, rc = -1;

	for (k = 0; k < 3; k++) {
		const char *raw = crm_logger_field(lg, r, k);
		size_t len;

		if (raw == NULL)
			continue;
		if ((k == 0 && (raw = crm_trim(raw, &len), crm_buf_add(&keys[k],
		    raw, len, err) < 0)) ||
		    (k == 1 && crm_norm_email(raw, &keys[k], err) < 0) ||
		    (k == 2 && crm_norm_phone(raw, lg->region, &keys[k],
		    &e164, err) < 0))
			goto done;
		v[k] = crm_buf_str(&keys[k]);
	}
	if ((st = crm_db_stmt(lg->db, "INSERT INTO contacts (external_id,"
	    " email, phone, created_at, updated_at) VALUES (?1, ?2, ?3, ?4,"
	    " ?4)", err)) == NULL ||
	    crm_db_bind_text(lg->db, st, 1, v[0], err) < 0 ||
	    crm_db_bind_text(lg->db, st, 2, v[1], err) < 0 ||
	    crm_db_bind_text(lg->db, st, 3, v[2], err) < 0 ||
	    crm_db_bind_int(lg->db, st, 4, lg->now, err) < 0 ||
	    crm_db_step(lg->db, st, err) < 0)
		goto done;
	*id = crm_db_last_id(lg->db);
	lg->st.created++;
	/* Its email or phone may now be two contacts'. */
	for (k = 0; k < 3; k++)
		if (v[k] != NULL)
			crm_logger_keymap_spoil(lg, k, v[k]);
	rc = 0;
done:
	for (k = 0; k < 3; k++)
		crm_buf_release(&keys[k]);
	return rc;
}

static int
cmp_id(const void *pa, const void *pb)
{
	int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;

	return (a > b) - (a < b);
}

/*
 * The contacts merged away or erased, read once in the import's
 * transaction from their two small partial indexes: any other contact an
 * external_id names is the answer itself, which its unique index gives
 * without a read of the contact's row; so does an email or phone that only
 * one contact has.
 */
static int
load_odd(struct crm_logger *lg, struct crm_error *err)
{
	/*
	 * Two queries and a sort: with a UNION ... ORDER BY, SQLite scans
	 * the whole table for the merged ones instead of their index.
	 */
	static const char *const sqls[] = {
		"SELECT id FROM contacts WHERE merged_into IS NOT NULL",
		"SELECT id FROM contacts WHERE erased_at IS NOT NULL",
	};
	struct crm_stmt *st;
	size_t a = 0;
	int rc, q;

	lg->odd_loaded = 1;
	for (q = 0; q < 2; q++) {
		if ((st = crm_db_stmt(lg->db, sqls[q], err)) == NULL)
			return -1;
		while ((rc = crm_db_step(lg->db, st, err)) == 1) {
			if (lg->nodd == a) {
				int64_t *p;

				a = a ? 2 * a : 256;
				if ((p = reallocarray(lg->odd, a,
				    sizeof(*p))) == NULL) {
					crm_db_reset(st);
					return crm_error_set(err, CRM_EFAIL,
					    "out of memory");
				}
				lg->odd = p;
			}
			lg->odd[lg->nodd++] = crm_db_col_int(st, 0);
		}
		if (rc < 0)
			return -1;
	}
	if (lg->nodd > 1)
		qsort(lg->odd, lg->nodd, sizeof(*lg->odd), cmp_id);
	return 0;
}

static int
is_odd(const struct crm_logger *lg, int64_t id)
{
	size_t lo = 0, hi = lg->nodd;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (lg->odd[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < lg->nodd && lg->odd[lo] == id;
}

/*
 * The sorted maps of a large batch: every contact's external_id, email or
 * phone with its id, read once from the key's index in its order (SQLite's
 * BINARY collation, strcmp()'s order); a key several contacts have maps
 * to 0, as does one this run gave a new contact.  They answer what
 * plain_key() asks the index: the one contact with the key.
 */
static const char *const sql_map[] = {
	"SELECT external_id, id FROM contacts WHERE external_id IS NOT NULL"
	" ORDER BY external_id",
	"SELECT email, id FROM contacts WHERE email IS NOT NULL ORDER BY email",
	"SELECT phone, id FROM contacts WHERE phone IS NOT NULL ORDER BY phone",
};

static int
keymap_load(struct crm_logger *lg, int k, struct crm_error *err)
{
	struct keymap *m = &lg->keymap[k];
	struct crm_stmt *st;
	size_t a = 0, tlen = 0, talloc = 0, last = 0;
	int rc;

	m->loaded = 1;
	if ((st = crm_db_stmt(lg->db, sql_map[k], err)) == NULL)
		return -1;
	while ((rc = crm_db_step(lg->db, st, err)) == 1) {
		const char *key = crm_db_col_text(st, 0);
		size_t len = strlen(key) + 1;
		int64_t id = crm_db_col_int(st, 1);

		if (m->n > 0) {
			int c = strcmp(m->text + last, key);

			if (c == 0) {
				m->id[m->n - 1] = 0;	/* several */
				continue;
			}
			if (c > 0) {
				/* Not strcmp()'s order: no map. */
				crm_db_reset(st);
				m->loaded = -1;
				return 0;
			}
		}
		if (m->n == a) {
			size_t *o;
			int64_t *p;

			a = a ? 2 * a : 4096;
			if ((o = reallocarray(m->off, a, sizeof(*o))) == NULL)
				goto oom;
			m->off = o;
			if ((p = reallocarray(m->id, a, sizeof(*p))) == NULL)
				goto oom;
			m->id = p;
		}
		if (tlen + len > talloc) {
			char *t;

			talloc = talloc ? 2 * talloc : 65536;
			while (talloc < tlen + len)
				talloc *= 2;
			if ((t = realloc(m->text, talloc)) == NULL)
				goto oom;
			m->text = t;
		}
		memcpy(m->text + tlen, key, len);
		last = tlen;
		m->off[m->n] = tlen;
		m->id[m->n++] = id;
		tlen += len;
	}
	return rc < 0 ? -1 : 0;
oom:
	crm_db_reset(st);
	return crm_error_set(err, CRM_EFAIL, "out of memory");
}

/* The index in map k of key v, or -1. */
static ssize_t
keymap_at(const struct keymap *m, const char *v)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->text + m->off[mid], v);

		if (c == 0)
			return (ssize_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int
crm_logger_keymap_find(struct crm_logger *lg, int k, const char *v,
    int64_t *id, struct crm_error *err)
{
	struct keymap *m = &lg->keymap[k];
	ssize_t i;

	if (!m->loaded && keymap_load(lg, k, err) < 0)
		return -1;
	if (m->loaded < 0 || (i = keymap_at(m, v)) < 0 || m->id[i] == 0)
		return 0;
	*id = m->id[i];
	return 1;
}

void
crm_logger_keymap_spoil(struct crm_logger *lg, int k, const char *v)
{
	struct keymap *m = &lg->keymap[k];
	ssize_t i;

	if (m->loaded > 0 && (i = keymap_at(m, v)) >= 0)
		m->id[i] = 0;
}

void
crm_logger_keymap_free(struct crm_logger *lg)
{
	int k;

	for (k = 0; k < 3; k++) {
		free(lg->keymap[k].off);
		free(lg->keymap[k].id);
		free(lg->keymap[k].text);
		memset(&lg->keymap[k], 0, sizeof(lg->keymap[k]));
	}
}

static const char *const sql_plain[] = {
	"SELECT id FROM contacts WHERE external_id = ?",
	"SELECT id FROM contacts WHERE email = ? LIMIT 2",
	"SELECT id FROM contacts WHERE phone = ? LIMIT 2",
};

/*
 * By key k (external_id, email, phone): 1 and *id if the key's index
 * gives one contact and it is neither merged nor erased, else 0 (none,
 * several, or one for lookup() to follow).
 */
static int
plain_key(struct crm_logger *lg, int k, const char *v, int64_t *id,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int rc;

	if (!lg->odd_loaded && load_odd(lg, err) < 0)
		return -1;
	if (lg->map_on) {
		/* A large batch: the sorted map, read once, answers. */
		if ((rc = crm_logger_keymap_find(lg, k, v, id, err)) != 0)
			return rc < 0 ? -1 : !is_odd(lg, *id);
	}
	if ((st = crm_db_stmt(lg->db, sql_plain[k], err)) == NULL ||
	    crm_db_bind_text(lg->db, st, 1, v, err) < 0 ||
	    (rc = crm_db_step(lg->db, st, err)) < 0)
		return -1;
	if (rc == 0)
		return 0;
	*id = crm_db_col_int(st, 0);
	if ((rc = crm_db_step(lg->db, st, err)) != 0) {
		crm_db_reset(st);
		return rc < 0 ? -1 : 0;
	}
	return !is_odd(lg, *id);
}

/* The record's contact: external_id, else email, else phone. */
int
crm_logger_contact_of(struct crm_logger *lg, struct crm_csv *r, int64_t *id,
    struct crm_error *err)
{
	static const char *const names[] = { "external_id", "email",
	    "phone" };
	struct cache_slot *slot;
	const char *v = NULL, *raw = NULL;
	uint64_t h;
	int k, e164, rc;

	for (k = 0; k < 3; k++) {
		size_t len;

		raw = crm_logger_field(lg, r, k);
		if (raw == NULL)
			continue;
		crm_buf_reset(&lg->key);
		if (k == 0) {
			raw = crm_trim(raw, &len);
			if (crm_buf_add(&lg->key, raw, len, err) < 0)
				return -1;
		} else if (k == 1) {
			if (crm_norm_email(raw, &lg->key, err) < 0)
				return -1;
		} else if (crm_norm_phone(raw, lg->region, &lg->key,
		    &e164, err) < 0)
			return -1;
		v = crm_buf_str(&lg->key);
		break;
	}
	if (v == NULL)
		return crm_error_set(err, CRM_EDATA,
		    "no contact: external_id, email and phone are all empty");
	/* The cache key is the column letter and the value. */
	h = fnv64(v, lg->key.len) ^ (uint64_t)k;
	slot = &lg->cache[h & (CACHE_SLOTS - 1)];
	if (slot->key != NULL && slot->h == h && slot->key[0] == "xep"[k] &&
	    strcmp(slot->key + 1, v) == 0) {
		*id = slot->id;
		return 0;
	}
	rc = plain_key(lg, k, v, id, err);
	if (rc < 0 || (rc == 0 && crm_contact_lookup_amb(lg->db, names[k], v,
	    lg->opts.ambiguous, id,
	    err) < 0))
		return -1;
	if (*id == 0) {
		int listed;

		/* A person erased on request stays out, history and all. */
		if (lg->erased == NULL &&
		    (lg->erased = crm_erasure_new(lg->db, err)) == NULL)
			return -1;
		if ((listed = crm_erasure_listed_raw(lg->erased, names[k], v,
		    raw, err)) != 0)
			return listed;
		if (!lg->opts.create_missing)
			return crm_error_set(err, CRM_EDATA, "no contact with"
			    " %s '%s' (crm-add it first, or --create-missing)",
			    names[k], v);
		if (create_stub(lg, r, id, err) < 0)
			return -1;
	}
	free(slot->key);
	if ((slot->key = malloc(lg->key.len + 2)) != NULL) {
		slot->key[0] = "xep"[k];
		memcpy(slot->key + 1, v, lg->key.len + 1);
		slot->h = h;
		slot->id = *id;
	}
	return 0;
}

