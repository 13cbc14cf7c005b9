/*
 * household.c - householding (see household.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "household.h"
#include "match.h"
#include "norm.h"

#define KEY_MAX 1024

/* Street types written out and abbreviated: the short form stands. */
static const char *const abbrev[][2] = {
	{ "av", "ave" }, { "avenue", "ave" }, { "boulevard", "blvd" }, { "close", "cl" },
	{ "court", "ct" }, { "crescent", "cres" }, { "drive", "dr" },
	{ "gardens", "gdns" }, { "lane", "ln" }, { "place", "pl" },
	{ "road", "rd" }, { "square", "sq" }, { "street", "st" },
	{ "terrace", "ter" },
};

int
crm_household_key_parse(const char *s, unsigned *flags, struct crm_error *err)
{
	const char *p = s, *e;
	size_t n;

	*flags = 0;
	while (*p) {
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n == 7 && strncmp(p, "address", 7) == 0)
			;
		else if (n == 7 && strncmp(p, "surname", 7) == 0)
			*flags |= CRM_HOUSEHOLD_SURNAME;
		else if (n == 5 && strncmp(p, "phone", 5) == 0)
			*flags |= CRM_HOUSEHOLD_PHONE;
		else
			return crm_error_set(err, CRM_EUSAGE, "--key: '%.*s' is"
			    " not address, surname or phone", (int)n, p);
		p += n + (e != NULL);
	}
	return 0;
}

/*
 * s folded into b, words separated by one space, street types
 * abbreviated; with squeeze, no spaces at all (a postcode).
 */
static int
add_folded(struct crm_buf *b, const char *s, int squeeze,
    struct crm_error *err)
{
	uint32_t cp[CRM_MATCH_KEY_MAX];
	char key[4 * CRM_MATCH_KEY_MAX + 1], *w, *e;
	size_t n, i;

	n = crm_match_fold(s, strlen(s), cp, CRM_MATCH_KEY_MAX);
	if (n > CRM_MATCH_KEY_MAX)
		n = CRM_MATCH_KEY_MAX;
	n = crm_match_encode(cp, n, key, sizeof(key));
	key[n < sizeof(key) ? n : sizeof(key) - 1] = '\0';
	for (w = key; *w; w = *e ? e + 1 : e) {
		if ((e = strchr(w, ' ')) == NULL)
			e = w + strlen(w);
		n = (size_t)(e - w);
		for (i = 0; i < sizeof(abbrev) / sizeof(abbrev[0]); i++)
			if (!squeeze && strlen(abbrev[i][0]) == n &&
			    memcmp(abbrev[i][0], w, n) == 0)
				break;
		if (!squeeze && b->len > 0 && crm_buf_addc(b, ' ', err) < 0)
			return -1;
		if (i < sizeof(abbrev) / sizeof(abbrev[0]) && !squeeze ?
		    crm_buf_adds(b, abbrev[i][1], err) < 0 :
		    crm_buf_add(b, w, n, err) < 0)
			return -1;
	}
	return 0;
}

/* FNV-1a, then mixed. */
static uint64_t
hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 29);
}

struct member {
	uint64_t key;		/* 0: no address */
	int64_t id;
	int64_t household, size;
};

static int
cmp_key(const void *p, const void *q)
{
	const struct member *a = p, *b = q;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return (a->id > b->id) - (a->id < b->id);
}

static int
cmp_id(const void *p, const void *q)
{
	const struct member *a = p, *b = q;

	return (a->id > b->id) - (a->id < b->id);
}

static const char sql[] = "SELECT id, first_name, last_name, phone, street,"
    " city, postcode FROM contacts WHERE merged_into IS NULL AND"
    " erased_at IS NULL ORDER BY id";

/* The key of the row st (see household.h); 0 without a street. */
static int
row_key(struct crm_stmt *st, unsigned flags, struct crm_buf *b, uint64_t *key,
    struct crm_error *err)
{
	const char *street = crm_db_col_text(st, 4);
	const char *city = crm_db_col_text(st, 5);
	const char *pc = crm_db_col_text(st, 6);
	const char *last = crm_db_col_text(st, 2);
	const char *phone = crm_db_col_text(st, 3);
	size_t n, k;

	*key = 0;
	if (street == NULL || crm_blank(street))
		return 0;
	crm_buf_reset(b);
	if (add_folded(b, street, 0, err) < 0 ||
	    crm_buf_addc(b, '\x1f', err) < 0 ||
	    (pc != NULL && !crm_blank(pc) ? add_folded(b, pc, 1, err) :
	    city != NULL ? add_folded(b, city, 0, err) : 0) < 0)
		return -1;
	if ((flags & CRM_HOUSEHOLD_SURNAME) && (crm_buf_addc(b, '\x1f',
	    err) < 0 || (last != NULL && add_folded(b, last, 0, err) < 0)))
		return -1;
	if (flags & CRM_HOUSEHOLD_PHONE) {
		if (crm_buf_addc(b, '\x1f', err) < 0)
			return -1;
		/* The last nine digits, as crm-dedupe compares phones. */
		for (n = 0, k = phone ? strlen(phone) : 0; k-- > 0 && n < 9;)
			if (phone[k] >= '0' && phone[k] <= '9') {
				if (crm_buf_addc(b, phone[k], err) < 0)
					return -1;
				n++;
			}
	}
	*key = hash(b->s, b->len) | 1;
	return 0;
}

int
crm_household_each(struct crm_db *db, unsigned flags,
    int (*fn)(void *arg, const struct crm_household_row *row,
    struct crm_error *err), void *arg, struct crm_error *err)
{
	struct crm_buf b = CRM_BUF_INIT(1 << 20), name = CRM_BUF_INIT(1 << 16);
	struct crm_household_row row;
	struct member *m = NULL, *hit, key;
	size_t n = 0, a = 0, i, j;
	struct crm_stmt *st;
	const char *first, *last;
	void *p;
	int rc, ret = -1;

	if ((st = crm_db_stmt(db, sql, err)) == NULL)
		goto done;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		if (n == a) {
			a = a ? 2 * a : 1024;
			if ((p = reallocarray(m, a, sizeof(*m))) == NULL) {
				crm_db_reset(st);
				goto nomem;
			}
			m = p;
		}
		m[n].id = crm_db_col_int(st, 0);
		if (row_key(st, flags, &b, &m[n].key, err) < 0) {
			crm_db_reset(st);
			goto done;
		}
		n++;
	}
	if (rc < 0)
		goto done;
	/* Each group of one key: its lowest id names it. */
	if (n > 0)
		qsort(m, n, sizeof(*m), cmp_key);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && m[i].key != 0 && m[j].key == m[i].key;
		    j++)
			;
		for (a = i; a < j; a++) {
			m[a].household = m[i].id;
			m[a].size = (int64_t)(j - i);
		}
	}
	if (n > 0)
		qsort(m, n, sizeof(*m), cmp_id);
	if ((st = crm_db_stmt(db, sql, err)) == NULL)
		goto done;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		key.id = crm_db_col_int(st, 0);
		if ((hit = bsearch(&key, m, n, sizeof(*m), cmp_id)) == NULL)
			continue;	/* added since the first pass */
		first = crm_db_col_text(st, 1);
		last = crm_db_col_text(st, 2);
		crm_buf_reset(&name);
		if ((first != NULL && crm_buf_adds(&name, first, err) < 0) ||
		    (first != NULL && *first && last != NULL && *last &&
		    crm_buf_addc(&name, ' ', err) < 0) ||
		    (last != NULL && crm_buf_adds(&name, last, err) < 0)) {
			crm_db_reset(st);
			goto done;
		}
		row.id = hit->id;
		row.household = hit->household;
		row.size = hit->size;
		row.name = crm_buf_str(&name);
		row.street = crm_db_col_text(st, 4);
		row.city = crm_db_col_text(st, 5);
		row.postcode = crm_db_col_text(st, 6);
		if (fn(arg, &row, err) < 0) {
			crm_db_reset(st);
			goto done;
		}
	}
	if (rc < 0)
		goto done;
	ret = 0;
	goto done;
nomem:
	crm_error_set(err, CRM_EFAIL, "out of memory");
done:
	free(m);
	crm_buf_release(&b);
	crm_buf_release(&name);
	return ret;
}

static int
stage_row(void *arg, const struct crm_household_row *row,
    struct crm_error *err)
{
	struct crm_db *db = arg;
	struct crm_stmt *st;

	if ((st = crm_db_stmt(db, "INSERT INTO crm_household"
	    " (contact_id, household) VALUES (?1, ?2)", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, row->id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, row->household, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	return 0;
}

int
crm_household_stage(struct crm_db *db, unsigned flags, struct crm_error *err)
{
	if (crm_db_exec(db, "CREATE TEMP TABLE IF NOT EXISTS crm_household"
	    " (contact_id INTEGER PRIMARY KEY, household INTEGER NOT NULL);"
	    " CREATE INDEX IF NOT EXISTS crm_household_h ON"
	    " crm_household (household, contact_id);"
	    " DELETE FROM crm_household", err) < 0)
		return -1;
	return crm_household_each(db, flags, stage_row, db, err);
}

struct hh_out {
	struct crm_out *o;
	int all;
	int64_t households, members;
};

static int
write_row(void *arg, const struct crm_household_row *row,
    struct crm_error *err)
{
	struct hh_out *h = arg;
	const char *vals[7];
	char hid[24], id[24], size[24];

	if (row->size < 2 && !h->all)
		return 0;
	h->households += row->household == row->id && row->size > 1;
	h->members += row->size > 1;
	snprintf(hid, sizeof(hid), "%lld", (long long)row->household);
	snprintf(id, sizeof(id), "%lld", (long long)row->id);
	snprintf(size, sizeof(size), "%lld", (long long)row->size);
	vals[0] = hid;
	vals[1] = id;
	vals[2] = size;
	vals[3] = row->name;
	vals[4] = row->street;
	vals[5] = row->postcode;
	vals[6] = row->city;
	return crm_out_row(h->o, vals, err);
}

int
crm_household_write(struct crm_db *db, unsigned flags, int all,
    struct crm_out *o, int64_t *households, int64_t *members,
    struct crm_error *err)
{
	static const char *const names[7] = { "household_id", "id", "size",
	    "name", "street", "postcode", "city" };
	static const enum crm_coltype types[7] = { CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_TEXT,
	    CRM_COL_TEXT };
	struct hh_out h = { o, all, 0, 0 };

	if (crm_out_header(o, names, types, 7, err) < 0 ||
	    crm_household_each(db, flags, write_row, &h, err) < 0)
		return -1;
	*households = h.households;
	*members = h.members;
	return 0;
}
