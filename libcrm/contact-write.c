/*
 * Writing a contact record: the stored contact it names (by external_id,
 * by email, adopting a lead, through merges), a new contact with its
 * consent events, or the stored one updated.
 */
#include <stdlib.h>
#include <string.h>

#include "contact-int.h"
#include "norm.h"

#define SELECT_CONTACT \
	"SELECT id, merged_into, external_id, first_name, last_name, email," \
	" phone, company, street, city, postcode, country, birth_date, stage," \
	" owner, phone_type, phone_ext, attrs, email_opt_in, phone_opt_in," \
	" sms_opt_in, mail_opt_in, do_not_contact, erased_at, row_hash" \
	" FROM contacts "

/* Columns of SELECT_CONTACT after the text and attrs. */
#define COL_CONSENT (2 + NTEXT + 1)
#define COL_ERASED (COL_CONSENT + NCONSENT)
#define COL_HASH (COL_ERASED + 1)

static const char sql_by_ext[] = SELECT_CONTACT "WHERE external_id = ?1";
static const char sql_by_id[] = SELECT_CONTACT "WHERE id = ?1";
static const char sql_by_email[] = SELECT_CONTACT
    "WHERE email = ?1 AND merged_into IS NULL AND erased_at IS NULL"
    " ORDER BY id LIMIT 4";
static const char sql_newest[] = SELECT_CONTACT
    "WHERE email = ?1 AND merged_into IS NULL AND erased_at IS NULL"
    " ORDER BY created_at DESC, id DESC LIMIT 1";
static const char sql_oldest[] = SELECT_CONTACT
    "WHERE email = ?1 AND merged_into IS NULL AND erased_at IS NULL"
    " ORDER BY created_at, id LIMIT 1";
static const char sql_adopt[] = SELECT_CONTACT
    "WHERE email = ?1 AND external_id IS NULL AND merged_into IS NULL"
    " AND erased_at IS NULL ORDER BY id LIMIT 2";

/* Keep the stored values of the row st is on. */
static int
load_old(struct crm_importer *imp, struct crm_stmt *st, struct crm_error *err)
{
	int f;

	for (f = 0; f <= NTEXT; f++) {
		const char *v = crm_db_col_text(st, 2 + f);

		crm_buf_reset(&imp->old[f]);
		imp->oldv[f] = NULL;
		if (v != NULL) {
			if (crm_buf_adds(&imp->old[f], v, err) < 0)
				return -1;
			imp->oldv[f] = crm_buf_str(&imp->old[f]);
		}
	}
	for (f = 0; f < NCONSENT; f++)
		imp->oldc[f] = crm_db_col_isnull(st, COL_CONSENT + f) ?
		    -1 : crm_db_col_int(st, COL_CONSENT + f);
	imp->old_hash = crm_db_col_bytes(st, COL_HASH) == 16;
	if (imp->old_hash)
		memcpy(imp->oldhash, crm_db_col_blob(st, COL_HASH), 16);
	return 0;
}

/*
 * Find the stored contact for the record: its id, 0 for none, -1 on error.
 * Leaves its values in imp->old.
 */
int64_t
crm_imp_find(struct crm_importer *imp, struct crm_error *err)
{
	const char *ext = imp->val[F_EXTERNAL_ID], *email = imp->val[F_EMAIL];
	struct crm_stmt *st;
	int64_t id = 0, merged;
	int rc, hops;

	if (ext != NULL && imp->opts.key != CRM_KEY_EMAIL) {
		/* unchanged() looked it up under the same normalised key. */
		if (imp->ext_absent && strcmp(ext, crm_buf_str(&imp->extkey)) ==
		    0)
			rc = 0;
		else if ((st = crm_db_stmt(imp->db, sql_by_ext, err)) == NULL ||
		    crm_db_bind_text(imp->db, st, 1, ext, err) < 0 ||
		    (rc = crm_db_step(imp->db, st, err)) < 0)
			return -1;
		if (rc == 0 && email != NULL && imp->keyless &&
		    imp->opts.key == CRM_KEY_AUTO) {
			/* Adopt a lead known only by email, if just one. */
			if (crm_imp_need_email(imp, err) < 0 ||
			    (st = crm_db_stmt(imp->db, sql_adopt, err)) == NULL ||
			    crm_db_bind_text(imp->db, st, 1, email, err) < 0 ||
			    (rc = crm_db_step(imp->db, st, err)) < 0)
				return -1;
			if (rc == 1) {
				id = crm_db_col_int(st, 0);
				if (load_old(imp, st, err) < 0 ||
				    (rc = crm_db_step(imp->db, st, err)) < 0)
					return -1;
				if (rc == 1)
					id = 0;	/* ambiguous: a new one */
				crm_db_reset(st);
				return id;
			}
		}
	} else {
		char ids[128] = "";
		size_t n = 0;
		int found = 0;

		if (crm_imp_need_email(imp, err) < 0 ||
		    (st = crm_db_stmt(imp->db, sql_by_email, err)) == NULL ||
		    crm_db_bind_text(imp->db, st, 1, email, err) < 0)
			return -1;
		while ((rc = crm_db_step(imp->db, st, err)) == 1) {
			if (found++ == 0) {
				id = crm_db_col_int(st, 0);
				if (load_old(imp, st, err) < 0)
					return -1;
			}
			n += (size_t)snprintf(ids + n, sizeof(ids) - n, "%s%lld",
			    n ? ", " : "", (long long)crm_db_col_int(st,
			    0));
			if (n >= sizeof(ids))
				n = sizeof(ids) - 1;
		}
		if (rc < 0)
			return -1;
		if (found > 1 && imp->opts.ambiguous != CRM_AMBIGUOUS_REJECT) {
			/* --ambiguous newest|oldest: by creation, then id. */
			if ((st = crm_db_stmt(imp->db, imp->opts.ambiguous ==
			    CRM_AMBIGUOUS_NEWEST ? sql_newest : sql_oldest,
			    err)) == NULL ||
			    crm_db_bind_text(imp->db, st, 1, email, err) < 0 ||
			    (rc = crm_db_step(imp->db, st, err)) < 0)
				return -1;
			if (rc == 1) {
				id = crm_db_col_int(st, 0);
				if (load_old(imp, st, err) < 0)
					return -1;
				crm_db_reset(st);
				found = 1;
			}
		}
		if (found > 1)
			return crm_error_set(err, CRM_EDATA,
			    "email '%s' matches %s contacts (ids %s%s); give an"
			    " external_id, or --ambiguous newest|oldest", email,
			    found > 3 ? "several" : "2", ids, found > 3 ?
			    ", ..." : "");
		if (found == 1 && ext != NULL && imp->oldv[0] != NULL &&
		    strcmp(ext, imp->oldv[0]) != 0)
			return crm_error_set(err, CRM_EDATA,
			    "email '%s' belongs to contact %lld with"
			    " external_id '%s', not '%s'", email,
			    (long long)id, imp->oldv[0], ext);
		return id;
	}
	if (rc == 0)
		return 0;
	id = crm_db_col_int(st, 0);
	merged = crm_db_col_isnull(st, 1) ? 0 :
	    crm_db_col_int(st, 1);
	if (!crm_db_col_isnull(st, COL_ERASED)) {
		crm_db_reset(st);
		return crm_error_set(err, CRM_EDATA, "contact %lld was erased;"
		    " an import does not bring it back", (long long)id);
	}
	if (load_old(imp, st, err) < 0)
		return -1;
	crm_db_reset(st);
	imp->via_merge = merged != 0;
	/* A merged-away contact stands for its survivor. */
	for (hops = 0; merged != 0; hops++) {
		if (hops > 64)
			return crm_error_set(err, CRM_EFAIL,
			    "contact %lld: merge chain too long", (long long)id);
		if ((st = crm_db_stmt(imp->db, sql_by_id, err)) == NULL ||
		    crm_db_bind_int(imp->db, st, 1, merged, err) < 0 ||
		    (rc = crm_db_step(imp->db, st, err)) < 0)
			return -1;
		if (rc == 0)
			return crm_error_set(err, CRM_EFAIL,
			    "contact %lld: merged into missing contact %lld",
			    (long long)id, (long long)merged);
		id = merged;
		merged = crm_db_col_isnull(st, 1) ? 0 :
		    crm_db_col_int(st, 1);
		if (load_old(imp, st, err) < 0)
			return -1;
		crm_db_reset(st);
	}
	return id;
}

/*
 * Append consent events for the channels where c[] (opt-ins, then DNC) is
 * set: one statement of as many rows as events, as an import writes up to
 * five per contact and statements, not rows, are what cost.
 */
static int
add_consent(struct crm_importer *imp, int64_t id, const int *c,
    struct crm_error *err)
{
	static const char *const channel[NCONSENT] = {
		"email", "phone", "sms", "mail", "all"
	};
#define INS "INSERT INTO consent_events (contact_id, at, source, channel," \
	" granted) VALUES (?1, ?2, ?3, ?4, ?5)"
	static const char *const sql[NCONSENT] = {
		INS,
		INS ", (?1, ?2, ?3, ?6, ?7)",
		INS ", (?1, ?2, ?3, ?6, ?7), (?1, ?2, ?3, ?8, ?9)",
		INS ", (?1, ?2, ?3, ?6, ?7), (?1, ?2, ?3, ?8, ?9),"
		    " (?1, ?2, ?3, ?10, ?11)",
		INS ", (?1, ?2, ?3, ?6, ?7), (?1, ?2, ?3, ?8, ?9),"
		    " (?1, ?2, ?3, ?10, ?11), (?1, ?2, ?3, ?12, ?13)",
	};
#undef INS
	struct crm_stmt *st;
	int f, n = 0, p = 4;

	for (f = 0; f < NCONSENT; f++)
		n += c[f] >= 0;
	if (n == 0)
		return 0;
	if (imp->bulk_on)	/* written at the commit, in one pass */
		return crm_imp_queue_consent(imp, id, c, err);
	if ((st = crm_db_stmt(imp->db, sql[n - 1], err)) == NULL ||
	    crm_db_bind_int(imp->db, st, 1, id, err) < 0 ||
	    crm_db_bind_int(imp->db, st, 2, imp->now, err) < 0 ||
	    crm_db_bind_text(imp->db, st, 3, imp->opts.source, err) < 0)
		return -1;
	for (f = 0; f < NCONSENT; f++) {
		/* DNC 1 is consent withdrawn for every channel. */
		int g = f == NCONSENT - 1 ? !c[f] : c[f];

		if (c[f] < 0)
			continue;
		if (crm_db_bind_text(imp->db, st, p++, channel[f], err) < 0 ||
		    crm_db_bind_int(imp->db, st, p++, g, err) < 0)
			return -1;
	}
	return crm_db_step(imp->db, st, err) < 0 ? -1 : 0;
}

static int
make_namekey(struct crm_importer *imp, const char *first, const char *last,
    struct crm_error *err)
{
	crm_buf_reset(&imp->namekey);
	if (first != NULL && crm_norm_fold(first, &imp->namekey, err) < 0)
		return -1;
	if (last != NULL) {
		if (imp->namekey.len && crm_buf_addc(&imp->namekey, ' ', err) < 0)
			return -1;
		if (crm_norm_fold(last, &imp->namekey, err) < 0)
			return -1;
	}
	return 0;
}

/* Bind the text fields, name key, attrs and consent from 1 on. */
static int
bind_contact(struct crm_importer *imp, struct crm_stmt *st, const char **v,
    const char *attrs, const int *c, struct crm_error *err)
{
	int f;

	for (f = 0; f < NTEXT; f++)
		if (crm_db_bind_text(imp->db, st, 1 + f, v[f], err) < 0)
			return -1;
	if (crm_db_bind_text(imp->db, st, NTEXT + 1, imp->namekey.len ?
	    crm_buf_str(&imp->namekey) : NULL, err) < 0 ||
	    crm_db_bind_text(imp->db, st, NTEXT + 2, attrs, err) < 0)
		return -1;
	for (f = 0; f < NCONSENT - 1; f++) {
		if (c[f] < 0) {
			if (crm_db_bind_null(imp->db, st, NTEXT + 3 + f, err) < 0)
				return -1;
		} else if (crm_db_bind_int(imp->db, st, NTEXT + 3 + f, c[f],
		    err) < 0)
			return -1;
	}
	return crm_db_bind_int(imp->db, st, NTEXT + 3 + NCONSENT - 1,
	    c[NCONSENT - 1] == 1, err) < 0 ? -1 :
	    crm_db_bind_int(imp->db, st, NTEXT + 3 + NCONSENT, imp->now, err);
}

/* Bind the record's checksum at i, or NULL if it may not be kept. */
static int
bind_hash(struct crm_importer *imp, struct crm_stmt *st, int i,
    struct crm_error *err)
{
	if (!imp->hashing || !imp->keep_hash || imp->via_merge)
		return crm_db_bind_null(imp->db, st, i, err);
	return crm_db_bind_blob(imp->db, st, i, imp->hash, 16, err);
}

/*
 * 1 if the record's external_id, email or phone is on the list of erased
 * subjects: a person erased on request is not made again by an import of
 * a file (or a source system) that still has them.
 */
static int
erased(struct crm_importer *imp, struct crm_error *err)
{
	static const int key[] = { F_EXTERNAL_ID, F_EMAIL, F_PHONE };
	static const char *const kind[] = { "external_id", "email", "phone" };
	size_t k;
	int rc;

	for (k = 0; k < sizeof(key) / sizeof(key[0]); k++) {
		if (imp->val[key[k]] == NULL)
			continue;
		if ((rc = crm_erasure_listed_raw(imp->erased, kind[k],
		    imp->val[key[k]], crm_csv_field(imp->r, imp->idx[key[k]]),
		    err)) != 0)
			return rc;
	}
	return 0;
}

int
crm_imp_insert(struct crm_importer *imp, struct crm_error *err)
{
	struct crm_stmt *st;
	int64_t id;
	int f;

	if ((f = imp->opts.allow_erased ? 0 : erased(imp, err)) < 0)
		return -1;
	if (f == 1) {
		imp->st.erased++;
		return 0;
	}

	if (make_namekey(imp, imp->val[F_FIRST_NAME], imp->val[F_LAST_NAME],
	    err) < 0)
		return -1;
	if (imp->opts.key == CRM_KEY_EMAIL && imp->val[F_EXTERNAL_ID] != NULL) {
		/* Matched on email, the external_id may be someone else's. */
		if ((st = crm_db_stmt(imp->db, "SELECT id FROM contacts WHERE"
		    " external_id = ?", err)) == NULL ||
		    crm_db_bind_text(imp->db, st, 1, imp->val[F_EXTERNAL_ID],
		    err) < 0 || (f = crm_db_step(imp->db, st, err)) < 0)
			return -1;
		if (f == 1) {
			long long other = crm_db_col_int(st, 0);

			crm_db_reset(st);
			return crm_error_set(err, CRM_EDATA, "external_id '%s'"
			    " belongs to contact %lld, whose email differs",
			    imp->val[F_EXTERNAL_ID], other);
		}
	}
	if (imp->copy != NULL && imp->ext_absent && imp->keyless == 0 &&
	    imp->opts.key != CRM_KEY_EMAIL && imp->val[F_EXTERNAL_ID] != NULL &&
	    strcmp(imp->val[F_EXTERNAL_ID], crm_buf_str(&imp->extkey)) == 0) {
		/* New for sure, in a table that was empty: by COPY. */
		if (crm_imp_copy_insert(imp, err) < 0 ||
		    crm_imp_stored_ext(imp, imp->val[F_EXTERNAL_ID], err) < 0)
			return -1;
		imp->st.inserted++;
		return 0;
	}
	/* Anything else sees what the COPY holds, and takes an id. */
	if (crm_imp_copy_flush(imp, err) < 0)
		return -1;
	imp->copy_id = -1;
	if ((st = crm_db_stmt(imp->db, "INSERT INTO contacts (external_id,"
	    " first_name, last_name, email, phone, company, street, city,"
	    " postcode, country, birth_date, stage, owner, phone_type,"
	    " phone_ext, name_key, attrs, email_opt_in, phone_opt_in,"
	    " sms_opt_in, mail_opt_in, do_not_contact, created_at, updated_at,"
	    " row_hash, imported_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
	    " ?9, ?10, ?11, coalesce(?12, 'lead'), ?13, ?14, ?15, ?16, ?17,"
	    " ?18, ?19, ?20, ?21, ?22, coalesce(?25, ?23), ?23, ?24, ?23)",
	    err)) == NULL ||
	    bind_contact(imp, st, imp->val, imp->attrs.len ?
	    crm_buf_str(&imp->attrs) : NULL, imp->consent, err) < 0 ||
	    bind_hash(imp, st, 24, err) < 0 ||
	    (imp->created ? crm_db_bind_int(imp->db, st, 25, imp->created,
	    err) : crm_db_bind_null(imp->db, st, 25, err)) < 0 ||
	    crm_db_step(imp->db, st, err) < 0)
		return -1;
	id = crm_db_last_id(imp->db);
	for (f = 0; f < NCONSENT; f++)
		if (imp->consent[f] >= 0)
			break;
	if (f < NCONSENT && add_consent(imp, id, imp->consent, err) < 0)
		return -1;
	if (imp->val[F_EXTERNAL_ID] == NULL)
		imp->keyless = 1;
	else if (crm_imp_stored_ext(imp, imp->val[F_EXTERNAL_ID], err) < 0)
		return -1;
	imp->st.inserted++;
	return 0;
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/*
 * 1 if every "key":"value" pair of the record's attributes already stands
 * at the top level of the stored object, so merging would change nothing.
 * Exact for flat objects (all crm-add writes unless given an attrs column
 * with nesting); for anything else it says 0 and SQL does the merge.
 */
static int
attrs_contained(const struct crm_importer *imp, const char *old)
{
	const char *p, *q;
	size_t olen, n;
	int i;

	if (imp->npair <= 0 || old == NULL || strchr(old, '[') != NULL ||
	    strchr(old + 1, '{') != NULL)
		return 0;
	olen = strlen(old);
	for (i = 0; i < imp->npair; i++) {
		const char *pat = imp->attrs.s + imp->pair[2 * i];

		n = imp->pair[2 * i + 1] - imp->pair[2 * i];
		for (p = old;; p = q + 1) {
			q = memmem(p, olen - (size_t)(p - old), pat, n);
			if (q == NULL)
				return 0;
			if (q > old && (q[-1] == '{' || q[-1] == ',') &&
			    (q[n] == ',' || q[n] == '}'))
				break;
		}
	}
	return 1;
}

int
crm_imp_update(struct crm_importer *imp, int64_t id, struct crm_error *err)
{
	const char *v[NTEXT], *attrs = imp->oldv[NTEXT];
	int c[NCONSENT], f, changed = 0, isnull;
	struct crm_stmt *st;

	for (f = 0; f < NTEXT; f++) {
		v[f] = imp->val[f] != NULL ? imp->val[f] : imp->oldv[f];
		/*
		 * A contact keeps its key; a record for a merged-away contact
		 * only fills gaps in the survivor, whose values the merge
		 * chose.
		 */
		if ((f == F_EXTERNAL_ID || imp->via_merge) &&
		    imp->oldv[f] != NULL)
			v[f] = imp->oldv[f];
		/* The merged-away record keeps its own external_id. */
		if (f == F_EXTERNAL_ID && imp->via_merge)
			v[f] = imp->oldv[f];
		/* A new number brings its own type and extension. */
		if ((f == F_PHONE_TYPE || f == F_PHONE_EXT) &&
		    imp->val[F_PHONE] != NULL && v[F_PHONE] == imp->val[F_PHONE])
			v[f] = imp->val[f];
		if (!same(v[f], imp->oldv[f]))
			changed = 1;
	}
	if (imp->attrs.len && !attrs_contained(imp, imp->oldv[NTEXT])) {
		/* Through a merge, the survivor's attributes win. */
		if ((imp->via_merge ? crm_imp_sql_text(imp, "SELECT json_patch(?2,"
		    " coalesce(?1, '{}'))", imp->oldv[NTEXT],
		    crm_buf_str(&imp->attrs), &imp->tmp, &isnull, err) :
		    crm_imp_sql_text(imp, "SELECT json_patch(coalesce(?1, '{}'), ?2)",
		    imp->oldv[NTEXT], crm_buf_str(&imp->attrs), &imp->tmp,
		    &isnull, err)) < 0)
			return -1;
		attrs = crm_buf_str(&imp->tmp);
		if (!same(attrs, imp->oldv[NTEXT]))
			changed = 1;
	}
	for (f = 0; f < NCONSENT; f++) {
		int old = imp->oldc[f], in = imp->consent[f];
		/* DNC is an opt-out when 1; the opt-ins when 0. */
		int out_val = f == NCONSENT - 1 ? 1 : 0;

		c[f] = old;
		if (in < 0 || in == old)
			continue;
		if (old == out_val && !imp->opts.allow_opt_in) {
			imp->st.optout_kept++;
			imp->keep_hash = 0;	/* counted again next time */
			continue;
		}
		c[f] = in;
		changed = 1;
	}
	if (!changed) {
		imp->st.unchanged++;
		if (imp->hashing && imp->keep_hash && !imp->via_merge &&
		    !(imp->old_hash && memcmp(imp->oldhash, imp->hash, 16) ==
		    0)) {
			/* Remember it, so that the next run skips the record. */
			if ((st = crm_db_stmt(imp->db, "UPDATE contacts SET"
			    " row_hash = ?1 WHERE id = ?2", err)) == NULL ||
			    bind_hash(imp, st, 1, err) < 0 ||
			    crm_db_bind_int(imp->db, st, 2, id, err) < 0 ||
			    crm_db_step(imp->db, st, err) < 0)
				return -1;
		}
		return 0;
	}
	if (imp->oldv[F_EXTERNAL_ID] == NULL && v[F_EXTERNAL_ID] != NULL) {
		/* Giving a contact an external_id another one has. */
		if ((st = crm_db_stmt(imp->db, "SELECT id FROM contacts WHERE"
		    " external_id = ?", err)) == NULL ||
		    crm_db_bind_text(imp->db, st, 1, v[F_EXTERNAL_ID], err) < 0 ||
		    (f = crm_db_step(imp->db, st, err)) < 0)
			return -1;
		if (f == 1) {
			long long other = crm_db_col_int(st, 0);

			crm_db_reset(st);
			return crm_error_set(err, CRM_EDATA, "external_id '%s'"
			    " belongs to contact %lld, not to contact %lld",
			    v[F_EXTERNAL_ID], other, (long long)id);
		}
	}
	if (make_namekey(imp, v[F_FIRST_NAME], v[F_LAST_NAME], err) < 0)
		return -1;
	if ((st = crm_db_stmt(imp->db, "UPDATE contacts SET external_id = ?1,"
	    " first_name = ?2, last_name = ?3, email = ?4, phone = ?5,"
	    " company = ?6, street = ?7, city = ?8, postcode = ?9,"
	    " country = ?10, birth_date = ?11, stage = coalesce(?12, stage),"
	    " owner = ?13, phone_type = ?14, phone_ext = ?15, name_key = ?16,"
	    " attrs = ?17, email_opt_in = ?18, phone_opt_in = ?19,"
	    " sms_opt_in = ?20, mail_opt_in = ?21, do_not_contact = ?22,"
	    " updated_at = ?23, row_hash = ?25 WHERE id = ?24", err)) == NULL ||
	    bind_contact(imp, st, v, attrs, c, err) < 0 ||
	    crm_db_bind_int(imp->db, st, 24, id, err) < 0 ||
	    bind_hash(imp, st, 25, err) < 0 ||
	    crm_db_step(imp->db, st, err) < 0)
		return -1;
	if (imp->oldv[F_EXTERNAL_ID] == NULL &&
	    crm_imp_stored_ext(imp, v[F_EXTERNAL_ID], err) < 0)
		return -1;
	{
		int ev[NCONSENT], any = 0;

		for (f = 0; f < NCONSENT; f++) {
			ev[f] = c[f] == imp->oldc[f] ? -1 : c[f];
			any |= ev[f] >= 0;
		}
		if (any && add_consent(imp, id, ev, err) < 0)
			return -1;
	}
	imp->st.updated++;
	return 0;
}
