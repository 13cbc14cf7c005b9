#include <stdlib.h>
#include <string.h>

#include "contact-int.h"
#include "norm.h"
#include "phone.h"

const struct crm_csv_col crm_imp_cols[NCOL] = {
	{ "external_id", "externalid|customer_id|customer_number|ext_id" },
	{ "first_name", "firstname|given_name|forename|first" },
	{ "last_name", "lastname|surname|family_name|last" },
	{ "email", "e_mail|email_address|mail_address" },
	{ "phone", "phone_number|telephone|tel|mobile" },
	{ "company", "organisation|organization|company_name" },
	{ "street", "address|address_1|street_address|address_line_1" },
	{ "city", "town|suburb" },
	{ "postcode", "zip|zip_code|zipcode|postal_code|post_code" },
	{ "country", "country_code" },
	{ "birth_date", "date_of_birth|dob|birthdate|birthday" },
	{ "stage", "lifecycle_stage|lifecycle" },
	{ "owner", "account_owner|rep" },
	{ "phone_type", NULL },		/* derived from the phone, not read */
	{ "phone_ext", "extension|phone_extension" },
	{ "email_opt_in", "email_consent|email_optin" },
	{ "phone_opt_in", "phone_consent|phone_optin" },
	{ "sms_opt_in", "sms_consent|sms_optin" },
	{ "mail_opt_in", "mail_consent|mail_optin|post_opt_in" },
	{ "do_not_contact", "dnc" },
	{ "attrs", "attributes" },
	{ "created_at", "create_date|created_date|date_created" },
	{ "full_name", "fullname" },
	{ "id", NULL },
	{ "name_key", NULL },
	{ "merged_into", NULL },
	{ "erased_at", NULL },
	{ "updated_at", NULL },
	{ "imported_at", NULL },
};


int
crm_contact_key_parse(const char *s, enum crm_key *key, struct crm_error *err)
{
	if (strcmp(s, "auto") == 0)
		*key = CRM_KEY_AUTO;
	else if (strcmp(s, "external_id") == 0 || strcmp(s, "external-id") == 0)
		*key = CRM_KEY_EXTERNAL_ID;
	else if (strcmp(s, "email") == 0)
		*key = CRM_KEY_EMAIL;
	else
		return crm_error_set(err, CRM_EUSAGE,
		    "unknown key '%s' (auto, external_id or email)", s);
	return 0;
}

struct crm_importer *
crm_importer_new(struct crm_db *db, const struct crm_contact_opts *opts,
    struct crm_error *err)
{
	struct crm_importer *imp;
	int i;

	if (opts->region != NULL && !crm_phone_region_known(opts->region)) {
		crm_error_set(err, CRM_EUSAGE, "unknown phone region '%s'",
		    opts->region);
		return NULL;
	}
	if ((imp = calloc(1, sizeof(*imp))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	imp->db = db;
	imp->opts = *opts;
	imp->region = opts->region;
	if ((imp->erased = crm_erasure_new(db, err)) == NULL) {
		free(imp);
		return NULL;
	}
	imp->now = crm_now();
	imp->keyless = -1;	/* read at the first record */
	imp->rows = -1;
	for (i = 0; i < NTEXT; i++)
		crm_buf_init(&imp->nv[i], CRM_CSV_FIELD_MAX);
	for (i = 0; i <= NTEXT; i++)
		crm_buf_init(&imp->old[i], CRM_CSV_RECORD_MAX);
	crm_buf_init(&imp->namekey, CRM_CSV_FIELD_MAX);
	crm_buf_init(&imp->attrs, CRM_CSV_RECORD_MAX);
	crm_buf_init(&imp->tmp, CRM_CSV_RECORD_MAX);
	crm_buf_init(&imp->extkey, CRM_CSV_FIELD_MAX);
	return imp;
}

void
crm_importer_free(struct crm_importer *imp)
{
	int i;

	if (imp == NULL)
		return;
	for (i = 0; i < NTEXT; i++)
		crm_buf_release(&imp->nv[i]);
	for (i = 0; i <= NTEXT; i++)
		crm_buf_release(&imp->old[i]);
	crm_buf_release(&imp->namekey);
	crm_buf_release(&imp->attrs);
	crm_buf_release(&imp->tmp);
	crm_buf_release(&imp->extkey);
	crm_erasure_free(imp->erased);
	crm_imp_bulk_free(imp);
	for (i = 0; i < (int)imp->nunknown; i++) {
		free(imp->unknown[i].value);
		free(imp->unknown[i].msg);
	}
	free(imp->unknown);
	free(imp);
}

void
crm_importer_warnings(const struct crm_importer *imp,
    void (*fn)(void *arg, const char *msg), void *arg)
{
	struct crm_buf b = CRM_BUF_INIT(4096);
	struct crm_error err;
	size_t i;

	for (i = 0; i < imp->nunknown; i++) {
		const struct unknown *u = &imp->unknown[i];

		crm_buf_reset(&b);
		if (crm_buf_addf(&b, &err, "%s (%lld record%s): not stored",
		    u->msg, (long long)u->count, u->count == 1 ? "" : "s") == 0)
			fn(arg, crm_buf_str(&b));
	}
	crm_buf_release(&b);
}

void
crm_importer_source(struct crm_importer *imp, const char *source)
{
	imp->opts.source = source;
}

void
crm_importer_region(struct crm_importer *imp, const char *region)
{
	imp->region = imp->opts.region;
	if (imp->region == NULL && region != NULL &&
	    crm_phone_region_known(region))
		imp->region = region;
}

int
crm_contact_ambiguous_parse(const char *s, enum crm_ambiguous *a,
    struct crm_error *err)
{
	if (strcmp(s, "reject") == 0)
		*a = CRM_AMBIGUOUS_REJECT;
	else if (strcmp(s, "newest") == 0)
		*a = CRM_AMBIGUOUS_NEWEST;
	else if (strcmp(s, "oldest") == 0)
		*a = CRM_AMBIGUOUS_OLDEST;
	else
		return crm_error_set(err, CRM_EUSAGE, "unknown --ambiguous '%s'"
		    " (newest, oldest or reject)", s);
	return 0;
}

const struct crm_contact_stats *
crm_importer_stats(const struct crm_importer *imp)
{
	return &imp->st;
}

int
crm_importer_header(struct crm_importer *imp, struct crm_csv *r,
    struct crm_error *err)
{
	imp->r = r;
	if (crm_csv_header(r, crm_imp_cols, NCOL, imp->idx, err) < 0)
		return -1;
	crm_csv_convert(r, imp->idx[F_BIRTH_DATE], CRM_CONV_DATE);
	crm_csv_convert(r, imp->idx[F_CREATED], CRM_CONV_TIME);
	if (imp->opts.key == CRM_KEY_EXTERNAL_ID && imp->idx[F_EXTERNAL_ID] < 0)
		return crm_error_set(err, CRM_EDATA,
		    "%s: no external_id column (--key external_id)",
		    crm_csv_name(r));
	if (imp->opts.key == CRM_KEY_EMAIL && imp->idx[F_EMAIL] < 0)
		return crm_error_set(err, CRM_EDATA,
		    "%s: no email column (--key email)", crm_csv_name(r));
	if (imp->idx[F_EXTERNAL_ID] < 0 && imp->idx[F_EMAIL] < 0)
		return crm_error_set(err, CRM_EDATA,
		    "%s: neither an external_id nor an email column: records"
		    " could not be matched on a re-import", crm_csv_name(r));
	{
		/* 2: phones and countries by libphonenumber and iso-codes;
		 * a record imported under other rules is normalised again. */
		static const char tag[] = "crm-add record 2";
		int32_t v[3];
		size_t i, n = crm_csv_ncols(r);
		const char *s;

		crm_h128_init(&imp->ctx, 0);
		crm_h128_add(&imp->ctx, tag, sizeof(tag));
		v[0] = (int32_t)imp->opts.key;
		v[1] = imp->opts.allow_opt_in;
		v[2] = imp->region != NULL;
		crm_h128_add(&imp->ctx, v, sizeof(v));
		s = imp->region ? imp->region : "";
		crm_h128_add(&imp->ctx, s, strlen(s));
		for (i = 0; i < n; i++) {
			s = crm_csv_colname(r, i);
			crm_h128_add(&imp->ctx, s, strlen(s));
		}
		{
			/* --map, a profile, --date-format: other records. */
			uint64_t m = crm_csv_mapping_id(r);

			crm_h128_add(&imp->ctx, &m, sizeof(m));
		}
		imp->hashing = imp->idx[F_EXTERNAL_ID] >= 0 &&
		    imp->opts.key != CRM_KEY_EMAIL;
	}
	return 0;
}


/*
 * Checksum the current record; 1 if it is the one the contact its
 * external_id names was last imported from, and nothing has changed that
 * contact since: then there is nothing to do.
 */
static int
unchanged(struct crm_importer *imp, struct crm_error *err)
{
	struct crm_csv *r = imp->r;
	struct crm_h128 h = imp->ctx;
	struct crm_error ignored;
	struct crm_stmt *st;
	const char *ext;
	uint64_t nf;
	size_t i, n = crm_csv_nfields(r);
	int rc, same;

	nf = n;
	crm_h128_add(&h, &nf, sizeof(nf));
	for (i = 0; i < n; i++)
		crm_h128_add(&h, crm_csv_field(r, (int)i),
		    crm_csv_fieldlen(r, (int)i));
	crm_h128_out(&h, imp->hash);
	ext = crm_csv_field(r, imp->idx[F_EXTERNAL_ID]);
	crm_buf_reset(&imp->extkey);
	/* A bad one is reported by the full path. */
	if (crm_blank(ext) || crm_norm_name(ext, &imp->extkey, &ignored) < 0)
		return 0;
	if (!crm_imp_seen(imp, crm_buf_str(&imp->extkey))) {
		/* A large batch into an empty table: new for sure. */
		imp->ext_absent = 1;
		return 0;
	}
	if (crm_imp_copy_flush(imp, err) < 0)
		return -1;
	if ((st = crm_db_stmt(imp->db, "SELECT row_hash, merged_into IS NULL"
	    " AND erased_at IS NULL FROM contacts WHERE external_id = ?1",
	    err)) == NULL ||
	    crm_db_bind_text(imp->db, st, 1, crm_buf_str(&imp->extkey),
	    err) < 0 || (rc = crm_db_step(imp->db, st, err)) < 0)
		return -1;
	/* The full path need not look for it again (a first import). */
	imp->ext_absent = rc == 0;
	same = rc == 1 && crm_db_col_int(st, 1) &&
	    crm_db_col_bytes(st, 0) == 16 &&
	    memcmp(crm_db_col_blob(st, 0), imp->hash, 16) == 0;
	crm_db_reset(st);
	return same;
}

int
crm_importer_row(struct crm_importer *imp, struct crm_csv *r,
    struct crm_error *err)
{
	int64_t id;
	int same;

	imp->r = r;
	imp->via_merge = 0;
	imp->old_hash = imp->ext_absent = 0;
	imp->keep_hash = 1;
	imp->st.read++;
	/*
	 * Without keyless contacts there is no lead to adopt: skip a lookup
	 * per record (the external_id index answers this at once).  Read
	 * inside the write transaction, so that a lead another writer
	 * committed while this run waited for the lock is adopted, not
	 * duplicated.
	 */
	if (imp->keyless < 0) {
		int64_t v;

		if (crm_db_query_int(imp->db, "SELECT EXISTS (SELECT 1 FROM"
		    " contacts WHERE external_id IS NULL)", &v, err) < 0)
			goto fail;
		imp->keyless = v != 0;
	}
	if (imp->rows < 0) {
		if (crm_db_query_int(imp->db, "SELECT coalesce(max(id), 0) FROM"
		    " contacts", &imp->rows, err) < 0)
			goto fail;
		imp->fresh = imp->rows == 0;
	}
	if (!imp->bulk_tried && crm_bulk_due(imp->db, imp->st.inserted, imp->rows) &&
	    crm_imp_bulk_start(imp, err) < 0)
		goto fail;
	if (imp->hashing && (same = unchanged(imp, err)) != 0) {
		if (same < 0)
			goto fail;
		imp->st.unchanged++;
		return 0;
	}
	/* Only a new contact may stay in a COPY: the rest see it. */
	if (imp->copy != NULL && !imp->ext_absent &&
	    crm_imp_copy_flush(imp, err) < 0)
		goto fail;
	if (crm_imp_normalise(imp, err) < 0 || (id = crm_imp_find(imp, err)) < 0)
		goto fail;
	if ((id == 0 ? crm_imp_insert(imp, err) : crm_imp_update(imp, id, err)) < 0)
		goto fail;
	return 0;
fail:
	if (err->code == CRM_EDATA) {
		imp->st.rejected++;
		if (strncmp(err->msg, crm_csv_name(r), strlen(crm_csv_name(r))))
			crm_error_prefix(err, "%s:%ld", crm_csv_name(r),
			    crm_csv_line(r));
	}
	return -1;
}
