/*
 * resolve.c - contacts by key: the ways a person or a file names a
 * contact, and merges followed to the survivor.  Below contact.c,
 * interaction.c and privacy.c, which all find contacts so; it knows
 * nothing of them.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csvio.h"
#include "norm.h"
#include "resolve.h"

/* Follow merged_into to the survivor; refuse erased contacts. */
int
crm_contact_survivor(struct crm_db *db, int64_t *id, struct crm_error *err)
{
	struct crm_stmt *st;
	int rc, hops;

	for (hops = 0; hops < 64; hops++) {
		if ((st = crm_db_stmt(db, "SELECT merged_into, erased_at FROM"
		    " contacts WHERE id = ?", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, *id, err) < 0 ||
		    (rc = crm_db_step(db, st, err)) < 0)
			return -1;
		if (rc == 0)
			return crm_error_set(err, CRM_EDATA,
			    "no contact #%lld", (long long)*id);
		if (!crm_db_col_isnull(st, 1)) {
			crm_db_reset(st);
			return crm_error_set(err, CRM_EDATA,
			    "contact %lld was erased", (long long)*id);
		}
		if (crm_db_col_isnull(st, 0)) {
			crm_db_reset(st);
			return 0;
		}
		*id = crm_db_col_int(st, 0);
		crm_db_reset(st);
	}
	return crm_error_set(err, CRM_EFAIL, "contact %lld: merge chain too"
	    " long", (long long)*id);
}

static const char sql_key_ext[] = "SELECT id, merged_into, erased_at"
    " FROM contacts WHERE external_id = ?";
static const char sql_key_email[] = "SELECT id, merged_into, erased_at"
    " FROM contacts WHERE email = ? ORDER BY id LIMIT 16";
static const char sql_key_phone[] = "SELECT id, merged_into, erased_at"
    " FROM contacts WHERE phone = ? ORDER BY id LIMIT 16";

int
crm_contact_lookup(struct crm_db *db, const char *what, const char *v,
    int64_t *id, struct crm_error *err)
{
	return crm_contact_lookup_amb(db, what, v, 0, id, err);
}

int
crm_contact_lookup_amb(struct crm_db *db, const char *what, const char *v,
    int ambiguous, int64_t *id, struct crm_error *err)
{
	const char *sql = strcmp(what, "email") == 0 ? sql_key_email :
	    strcmp(what, "phone") == 0 ? sql_key_phone : sql_key_ext;
	struct crm_stmt *st;
	int rc, nactive = 0, nmerged = 0, nerased = 0, k;
	int64_t active[2] = { 0, 0 }, merged[16], erased = 0, s;

	*id = 0;
	if ((st = crm_db_stmt(db, sql, err)) == NULL ||
	    crm_db_bind_text(db, st, 1, v, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		int64_t cid = crm_db_col_int(st, 0);

		if (!crm_db_col_isnull(st, 2)) {
			nerased++;
			erased = cid;
		} else if (!crm_db_col_isnull(st, 1))
			merged[nmerged++] = cid;	/* LIMIT 16 */
		else if (nactive++ < 2)
			active[nactive - 1] = cid;
	}
	if (rc < 0)
		return -1;
	if (nactive > 1 && ambiguous && strcmp(what, "external_id") != 0) {
		/* --ambiguous newest|oldest (issue 15): by creation, then id. */
		static const char *const pick[2][2] = {
			{ "SELECT id FROM contacts WHERE email = ? AND"
			  " merged_into IS NULL AND erased_at IS NULL"
			  " ORDER BY created_at DESC, id DESC LIMIT 1",
			  "SELECT id FROM contacts WHERE email = ? AND"
			  " merged_into IS NULL AND erased_at IS NULL"
			  " ORDER BY created_at, id LIMIT 1" },
			{ "SELECT id FROM contacts WHERE phone = ? AND"
			  " merged_into IS NULL AND erased_at IS NULL"
			  " ORDER BY created_at DESC, id DESC LIMIT 1",
			  "SELECT id FROM contacts WHERE phone = ? AND"
			  " merged_into IS NULL AND erased_at IS NULL"
			  " ORDER BY created_at, id LIMIT 1" },
		};

		if ((st = crm_db_stmt(db, pick[what[0] == 'p'][ambiguous == 2],
		    err)) == NULL || crm_db_bind_text(db, st, 1, v, err) < 0 ||
		    (rc = crm_db_step(db, st, err)) < 0)
			return -1;
		if (rc == 1) {
			*id = crm_db_col_int(st, 0);
			crm_db_reset(st);
			return 0;
		}
	}
	if (nactive > 1)
		return crm_error_set(err, CRM_EDATA, "%s '%s' matches %s"
		    " contacts (ids %lld, %lld%s); use external_id%s", what, v,
		    nactive > 2 ? "several" : "2", (long long)active[0],
		    (long long)active[1], nactive > 2 ? ", ..." : "",
		    strcmp(what, "external_id") != 0 ?
		    " or --ambiguous newest|oldest" : "");
	if (nactive == 1) {
		*id = active[0];
		return 0;
	}
	/* Only merged-away records: their survivor, if they share one. */
	for (k = 0; k < nmerged; k++) {
		s = merged[k];
		if (crm_contact_survivor(db, &s, err) < 0)
			return -1;
		if (k > 0 && s != *id)
			return crm_error_set(err, CRM_EDATA, "%s '%s' belongs"
			    " to contacts merged into %lld and %lld; use"
			    " external_id", what, v, (long long)*id,
			    (long long)s);
		*id = s;
	}
	if (nmerged > 0)
		return 0;
	if (nerased > 0)
		return crm_error_set(err, CRM_EDATA, "contact %lld was erased",
		    (long long)erased);
	return 0;
}

int
crm_contact_resolve(struct crm_db *db, const char *key, const char *region,
    int64_t *id, struct crm_error *err)
{
	struct crm_buf b = CRM_BUF_INIT(4096);
	const char *s, *p;
	size_t len;
	int rc = -1, e164, phone = 1;

	s = crm_trim(key, &len);
	if (len == 0)
		return crm_error_set(err, CRM_EUSAGE, "empty contact key");
	for (p = s; p < s + len; p++)
		if (!isdigit((unsigned char)*p) && !strchr(" +-().", *p))
			phone = 0;
	if (s[0] == '#' && len > 1) {
		char *end;

		*id = strtoll(s + 1, &end, 10);
		if (end != s + len || *id <= 0) {
			crm_error_set(err, CRM_EUSAGE, "bad contact id '%s'",
			    key);
			goto done;
		}
		rc = crm_contact_survivor(db, id, err);
		goto done;
	}
	if (memchr(s, '@', len) != NULL) {
		if (crm_norm_email(s, &b, err) < 0 ||
		    crm_contact_lookup(db, "email", crm_buf_str(&b), id,
		    err) < 0)
			goto done;
	} else {
		/* An external_id first; failing that, digits are a phone. */
		if (crm_buf_add(&b, s, len, err) < 0 ||
		    crm_contact_lookup(db, "external_id", crm_buf_str(&b),
		    id, err) < 0)
			goto done;
		if (*id == 0 && phone && len > 5 && crm_norm_phone(s, region,
		    &b, &e164, NULL) == 0 && crm_contact_lookup(db, "phone",
		    crm_buf_str(&b), id, err) < 0)
			goto done;
	}
	if (*id == 0) {
		crm_error_set(err, CRM_EDATA, "no contact '%s'", key);
		goto done;
	}
	rc = 0;
done:
	crm_buf_release(&b);
	return rc;
}

int
crm_contact_read_ids(struct crm_db *db, const char *path, int tsv,
    const char *region, int64_t **ids, size_t *n, struct crm_error *err)
{
	static const struct crm_csv_col cols[] = {
		{ "id", "contact_id" }, { "external_id", "customer_id" },
		{ "email", "e_mail" },
	};
	struct crm_csv *r;
	int64_t id, *q;
	size_t a = 0;
	int idx[3], rc = -1, k;

	*ids = NULL;
	*n = 0;
	if ((r = crm_csv_open(path, tsv ? CRM_CSV_TSV : 0, err)) == NULL)
		return -1;
	if (crm_csv_header(r, cols, 3, idx, err) < 0)
		goto done;
	for (k = 0; k < 3 && idx[k] < 0; k++)
		;
	if (k == 3) {
		crm_error_set(err, CRM_EUSAGE, "%s: no id, external_id or"
		    " email column", crm_csv_name(r));
		goto done;
	}
	while ((rc = crm_csv_next(r, err)) == 1) {
		char key[512];

		snprintf(key, sizeof(key), "%s%s", k == 0 ? "#" : "",
		    crm_csv_field(r, idx[k]));
		if (crm_contact_resolve(db, key, region, &id, err) < 0) {
			crm_error_prefix(err, "%s:%ld", crm_csv_name(r),
			    crm_csv_line(r));
			rc = -1;
			break;
		}
		if (*n == a) {
			a = a ? a * 2 : 256;
			if ((q = reallocarray(*ids, a, sizeof(*q))) == NULL) {
				rc = crm_error_set(err, CRM_EFAIL,
				    "out of memory");
				break;
			}
			*ids = q;
		}
		(*ids)[(*n)++] = id;
	}
done:
	crm_csv_close(r);
	if (rc < 0) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}
