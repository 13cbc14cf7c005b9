#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "contact.h"
#include "hash.h"
#include "norm.h"
#include "phone.h"
#include "privacy.h"

/* Columns an import understands; the first NTEXT are stored as text. */
enum {
	F_EXTERNAL_ID, F_FIRST_NAME, F_LAST_NAME, F_EMAIL, F_PHONE, F_COMPANY,
	F_STREET, F_CITY, F_POSTCODE, F_COUNTRY, F_BIRTH_DATE, F_STAGE,
	F_OWNER, F_PHONE_TYPE, F_PHONE_EXT,
	NTEXT,
	F_EMAIL_OPT = NTEXT, F_PHONE_OPT, F_SMS_OPT, F_MAIL_OPT, F_DNC,
	F_ATTRS, F_CREATED, F_FULL_NAME,
	/* What crm-export writes but an import must not take as data. */
	F_IGN_ID, F_IGN_NAME_KEY, F_IGN_MERGED, F_IGN_ERASED, F_IGN_UPDATED,
	F_IGN_IMPORTED,
	NCOL
};

#define NCONSENT 5	/* email, phone, sms, mail opt-ins and DNC */

static const struct crm_csv_col cols[NCOL] = {
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


static const char *const stages[] = {
	"lead", "prospect", "customer", "former"
};

struct crm_importer {
	struct crm_db *db;
	struct crm_contact_opts opts;
	struct crm_contact_stats st;
	int64_t now;
	int64_t created;	/* the record's created_at, 0 for none */
	const char *region;	/* the options', else the file's profile's */
	int keyless;		/* contacts without external_id may exist */
	int via_merge;		/* the record named a merged-away contact */
	int idx[NCOL];
	struct crm_csv *r;

	struct crm_buf nv[NTEXT];	/* normalised values */
	const char *val[NTEXT];		/* into nv[], or NULL if absent */
	int consent[NCONSENT];		/* -1 absent, else 0/1 */
	struct crm_buf namekey, attrs, tmp, extkey, old[NTEXT + 1];
	size_t pair[2 * 64];		/* "key":"value" spans in attrs */
	int npair;			/* -1: attrs not from extras alone */
	const char *oldv[NTEXT + 1];	/* stored values, + attrs */
	int oldc[NCONSENT];

	/*
	 * The record's checksum: of the file's columns and the options that
	 * change what a record means (ctx), then of its fields.  A contact
	 * keeps the one it was last imported from (row_hash) while nothing
	 * else changes it, and a record whose checksum is stored on the
	 * contact its external_id names is unchanged without more work.
	 */
	struct crm_h128 ctx;
	int hashing;			/* keyed by external_id: hash is
					   the current record's */
	int keep_hash;			/* and may be stored for it */
	unsigned char hash[16];
	int old_hash;			/* oldhash holds the stored one */
	int ext_absent;			/* no contact has the external_id */
	struct crm_erasure *erased;	/* asked before a contact is made */
	unsigned char oldhash[16];

	/* Country names not known, once each per column. */
	struct unknown {
		char *value, *msg;
		int64_t count;
	} *unknown;
	size_t nunknown;
};

#define MAX_UNKNOWN 1000	/* distinct values reported; more counted */

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

/* Remember a country the record names that is none known. */
static int
unknown_country(struct crm_importer *imp, const char *raw,
    struct crm_error *err)
{
	struct crm_csv *r = imp->r;
	char q[CRM_QUOTE_MAX];
	struct unknown *u;
	size_t i;
	int n;

	for (i = 0; i < imp->nunknown; i++)
		if (strcmp(imp->unknown[i].value, raw) == 0) {
			imp->unknown[i].count++;
			return 0;
		}
	if (imp->nunknown == MAX_UNKNOWN) {
		imp->unknown[MAX_UNKNOWN - 1].count++;
		return 0;
	}
	if ((u = realloc(imp->unknown, (imp->nunknown + 1) *
	    sizeof(*u))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	imp->unknown = u;
	u += imp->nunknown;
	u->count = 1;
	u->value = strdup(raw);
	n = asprintf(&u->msg, "%s:%ld: unknown country '%s' in column %s%s",
	    crm_csv_name(r), crm_csv_line(r), crm_quote(q, raw, strlen(raw)),
	    crm_csv_colname(r, (size_t)imp->idx[F_COUNTRY]),
	    imp->nunknown == MAX_UNKNOWN - 1 ? " (and others after it)" : "");
	if (u->value == NULL || n < 0) {
		free(u->value);
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	}
	imp->nunknown++;
	return 0;
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
	if (crm_csv_header(r, cols, NCOL, imp->idx, err) < 0)
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

/* -?(0|[1-9][0-9]*)(.[0-9]+)?, at most 15 digits: exact as a double. */
static int
plain_number(const char *s)
{
	int digits = 0;

	if (*s == '-')
		s++;
	if (*s == '0' && isdigit((unsigned char)s[1]))
		return 0;
	if (!isdigit((unsigned char)*s))
		return 0;
	while (isdigit((unsigned char)*s)) {
		s++;
		digits++;
	}
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return 0;
		while (isdigit((unsigned char)*s)) {
			s++;
			digits++;
		}
	}
	return *s == '\0' && digits <= 15;
}

/* Attribute name from a header: trimmed, lower case, blanks and '-' as _. */
static int
attr_key(struct crm_buf *b, const char *name, struct crm_error *err)
{
	struct crm_buf k = CRM_BUF_INIT(4096);
	const char *s;
	size_t len, i;
	int rc;

	s = crm_trim(name, &len);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (crm_buf_addc(&k, c == ' ' || c == '-' ? '_' : tolower(c),
		    err) < 0) {
			crm_buf_release(&k);
			return -1;
		}
	}
	rc = crm_buf_add_json(b, crm_buf_str(&k), err);
	crm_buf_release(&k);
	return rc;
}

/* One SQL value computed from bound text (json_patch and friends). */
static int
sql_text(struct crm_importer *imp, const char *sql, const char *a,
    const char *b, struct crm_buf *out, int *isnull, struct crm_error *err)
{
	struct crm_stmt *st;
	const char *v;
	int rc;

	if ((st = crm_db_stmt(imp->db, sql, err)) == NULL ||
	    crm_db_bind_text(imp->db, st, 1, a, err) < 0 ||
	    crm_db_bind_text(imp->db, st, 2, b, err) < 0)
		return -1;
	if ((rc = crm_db_step(imp->db, st, err)) < 0)
		return -1;
	crm_buf_reset(out);
	v = rc == 1 ? crm_db_col_text(st, 0) : NULL;
	*isnull = v == NULL;
	if (v != NULL && crm_buf_adds(out, v, err) < 0)
		return -1;
	crm_db_reset(st);
	return 0;
}

/* Normalise the current record into imp->val, consent, attrs. */
static int
normalise(struct crm_importer *imp, struct crm_error *err)
{
	struct crm_csv *r = imp->r;
	const char *region = imp->region;
	size_t i;
	int f, isnull;

	for (f = 0; f < NTEXT; f++) {
		const char *raw = crm_csv_field(r, imp->idx[f]);

		imp->val[f] = NULL;
		crm_buf_reset(&imp->nv[f]);
		if (imp->idx[f] < 0 || crm_blank(raw))
			continue;
		switch (f) {
		case F_EMAIL:
			if (crm_norm_email(raw, &imp->nv[f], err) < 0)
				return -1;
			break;
		case F_PHONE:
		case F_PHONE_TYPE:
			continue;	/* after the country; the type from it */
		case F_PHONE_EXT: {
			size_t len, k;
			const char *t = crm_trim(raw, &len);

			for (k = 0; k < len && k < 20; k++)
				if (!isdigit((unsigned char)t[k]))
					break;
			if (k != len) {
				char q[CRM_QUOTE_MAX];

				return crm_error_set(err, CRM_EDATA, "invalid"
				    " phone extension '%s' (1 to 20 digits)",
				    crm_quote(q, raw, strlen(raw)));
			}
			if (crm_buf_add(&imp->nv[f], t, len, err) < 0)
				return -1;
			break;
		}
		case F_STREET:
			/* Lines of an address stay lines. */
			if (crm_norm_text(raw, &imp->nv[f], err) < 0)
				return -1;
			break;
		case F_BIRTH_DATE: {
			char d[11];

			if (crm_norm_date(raw, d, err) < 0 ||
			    crm_buf_adds(&imp->nv[f], d, err) < 0)
				return -1;
			break;
		}
		case F_STAGE: {
			size_t k, len;
			const char *s = crm_trim(raw, &len);

			for (k = 0; k < 4; k++)
				if (strlen(stages[k]) == len &&
				    strncasecmp(stages[k], s, len) == 0)
					break;
			if (k == 4) {
				char q[CRM_QUOTE_MAX];

				return crm_error_set(err, CRM_EDATA,
				    "invalid stage '%s' (lead, prospect,"
				    " customer or former)",
				    crm_quote(q, raw, strlen(raw)));
			}
			if (crm_buf_adds(&imp->nv[f], stages[k], err) < 0)
				return -1;
			break;
		}
		case F_COUNTRY: {
			const char *iso = crm_norm_country(raw);

			if (iso == NULL) {
				/* Reported once, not stored as free text. */
				if (unknown_country(imp, raw, err) < 0)
					return -1;
				continue;
			}
			if (crm_phone_region_known(iso))
				region = iso;
			if (crm_buf_adds(&imp->nv[f], iso, err) < 0)
				return -1;
			break;
		}
		default:
			if (crm_norm_name(raw, &imp->nv[f], err) < 0)
				return -1;
		}
		imp->val[f] = crm_buf_str(&imp->nv[f]);
	}
	if (imp->idx[F_FULL_NAME] >= 0 && imp->val[F_FIRST_NAME] == NULL &&
	    imp->val[F_LAST_NAME] == NULL &&
	    !crm_blank(crm_csv_field(r, imp->idx[F_FULL_NAME]))) {
		const char *full = crm_csv_field(r, imp->idx[F_FULL_NAME]);
		const char *sp;
		size_t len;

		/* "Ann Lee" -> Ann / Lee; a single word is a first name. */
		full = crm_trim(full, &len);
		crm_buf_reset(&imp->tmp);
		if (crm_buf_add(&imp->tmp, full, len, err) < 0)
			return -1;
		sp = strrchr(crm_buf_str(&imp->tmp), ' ');
		if (sp != NULL) {
			imp->tmp.s[sp - imp->tmp.s] = '\0';
			if (crm_norm_name(sp + 1, &imp->nv[F_LAST_NAME], err) < 0)
				return -1;
			imp->val[F_LAST_NAME] = crm_buf_str(&imp->nv[F_LAST_NAME]);
		}
		if (crm_norm_name(imp->tmp.s, &imp->nv[F_FIRST_NAME], err) < 0)
			return -1;
		imp->val[F_FIRST_NAME] = crm_buf_str(&imp->nv[F_FIRST_NAME]);
	}
	imp->created = 0;
	if (imp->idx[F_CREATED] >= 0 &&
	    !crm_blank(crm_csv_field(r, imp->idx[F_CREATED])) &&
	    crm_norm_datetime(crm_csv_field(r, imp->idx[F_CREATED]),
	    &imp->created, err) < 0)
		return crm_error_prefix(err, "created_at");
	if (imp->idx[F_PHONE] >= 0 &&
	    !crm_blank(crm_csv_field(r, imp->idx[F_PHONE]))) {
		struct crm_phone ph;

		if (crm_phone_parse(crm_csv_field(r, imp->idx[F_PHONE]), region,
		    &ph, err) < 0 ||
		    crm_buf_adds(&imp->nv[F_PHONE], ph.number, err) < 0)
			return -1;
		imp->val[F_PHONE] = crm_buf_str(&imp->nv[F_PHONE]);
		imp->val[F_PHONE_TYPE] = crm_phone_type_name(ph.type);
		if (ph.ext[0] != '\0') {
			crm_buf_reset(&imp->nv[F_PHONE_EXT]);
			if (crm_buf_adds(&imp->nv[F_PHONE_EXT], ph.ext, err) < 0)
				return -1;
			imp->val[F_PHONE_EXT] = crm_buf_str(&imp->nv[F_PHONE_EXT]);
		}
	}
	for (f = 0; f < NCONSENT; f++) {
		imp->consent[f] = -1;
		if (imp->idx[F_EMAIL_OPT + f] >= 0 &&
		    crm_norm_bool(crm_csv_field(r, imp->idx[F_EMAIL_OPT + f]),
		    &imp->consent[f], err) < 0) {
			crm_error_prefix(err, "%s", cols[F_EMAIL_OPT + f].name);
			return -1;
		}
	}
	/* Attributes: the unknown columns, over an attrs column if any. */
	crm_buf_reset(&imp->attrs);
	imp->npair = 0;
	for (i = 0; i < crm_csv_ncols(r); i++) {
		const char *v = crm_csv_field(r, (int)i);
		size_t len;

		if (!crm_csv_extra(r, i) || crm_blank(v))
			continue;
		v = crm_trim(v, &len);
		if (crm_buf_addc(&imp->attrs, imp->attrs.len ? ',' : '{',
		    err) < 0)
			return -1;
		if (imp->npair >= 0 && imp->npair < 64)
			imp->pair[2 * imp->npair] = imp->attrs.len;
		if (attr_key(&imp->attrs, crm_csv_colname(r, i), err) < 0 ||
		    crm_buf_addc(&imp->attrs, ':', err) < 0)
			return -1;
		crm_buf_reset(&imp->tmp);
		if (crm_buf_add(&imp->tmp, v, len, err) < 0)
			return -1;
		/* A plain number is stored as a JSON number, so that
		 * expressions compare it as one; anything else (007, 1e5,
		 * +44...) stays text. */
		if ((plain_number(crm_buf_str(&imp->tmp)) ?
		    crm_buf_add(&imp->attrs, imp->tmp.s, imp->tmp.len, err) :
		    crm_buf_add_json(&imp->attrs, crm_buf_str(&imp->tmp), err)) < 0)
			return -1;
		if (imp->npair >= 0 && imp->npair < 64)
			imp->pair[2 * imp->npair++ + 1] = imp->attrs.len;
		else
			imp->npair = -1;
	}
	if (imp->attrs.len && crm_buf_addc(&imp->attrs, '}', err) < 0)
		return -1;
	if (imp->idx[F_ATTRS] >= 0 &&
	    !crm_blank(crm_csv_field(r, imp->idx[F_ATTRS]))) {
		const char *a = crm_csv_field(r, imp->idx[F_ATTRS]);

		if (sql_text(imp, "SELECT CASE WHEN json_valid(?1) AND"
		    " json_type(?1) = 'object' THEN json_patch(?1,"
		    " coalesce(?2, '{}')) END", a,
		    imp->attrs.len ? crm_buf_str(&imp->attrs) : NULL,
		    &imp->tmp, &isnull, err) < 0)
			return -1;
		if (isnull) {
			char q[CRM_QUOTE_MAX];

			return crm_error_set(err, CRM_EDATA,
			    "attrs is not a JSON object: '%s'",
			    crm_quote(q, a, strlen(a)));
		}
		crm_buf_reset(&imp->attrs);
		imp->npair = -1;
		if (crm_buf_add(&imp->attrs, imp->tmp.s, imp->tmp.len, err) < 0)
			return -1;
	}
	if (imp->opts.key == CRM_KEY_EXTERNAL_ID && !imp->val[F_EXTERNAL_ID])
		return crm_error_set(err, CRM_EDATA,
		    "no external_id (--key external_id)");
	if (imp->opts.key == CRM_KEY_EMAIL && !imp->val[F_EMAIL])
		return crm_error_set(err, CRM_EDATA, "no email (--key email)");
	if (!imp->val[F_EXTERNAL_ID] && !imp->val[F_EMAIL])
		return crm_error_set(err, CRM_EDATA,
		    "neither external_id nor email: the record could not be"
		    " matched on a re-import");
	return 0;
}

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
static int64_t
find(struct crm_importer *imp, struct crm_error *err)
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
			if ((st = crm_db_stmt(imp->db, sql_adopt, err)) == NULL ||
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

		if ((st = crm_db_stmt(imp->db, sql_by_email, err)) == NULL ||
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

static int
insert(struct crm_importer *imp, struct crm_error *err)
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

static int
update(struct crm_importer *imp, int64_t id, struct crm_error *err)
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
		if ((imp->via_merge ? sql_text(imp, "SELECT json_patch(?2,"
		    " coalesce(?1, '{}'))", imp->oldv[NTEXT],
		    crm_buf_str(&imp->attrs), &imp->tmp, &isnull, err) :
		    sql_text(imp, "SELECT json_patch(coalesce(?1, '{}'), ?2)",
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
	if (imp->hashing && (same = unchanged(imp, err)) != 0) {
		if (same < 0)
			goto fail;
		imp->st.unchanged++;
		return 0;
	}
	if (normalise(imp, err) < 0 || (id = find(imp, err)) < 0)
		goto fail;
	if ((id == 0 ? insert(imp, err) : update(imp, id, err)) < 0)
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

/* Export. */

static const struct expcol {
	const char *name, *expr;
	enum crm_coltype type;
	int time;	/* integer seconds, written as ISO 8601 */
} expcols[] = {
	{ "id", "id", CRM_COL_NUM, 0 },
	{ "external_id", "external_id", CRM_COL_TEXT, 0 },
	{ "first_name", "first_name", CRM_COL_TEXT, 0 },
	{ "last_name", "last_name", CRM_COL_TEXT, 0 },
	{ "email", "email", CRM_COL_TEXT, 0 },
	{ "phone", "phone", CRM_COL_TEXT, 0 },
	{ "company", "company", CRM_COL_TEXT, 0 },
	{ "street", "street", CRM_COL_TEXT, 0 },
	{ "city", "city", CRM_COL_TEXT, 0 },
	{ "postcode", "postcode", CRM_COL_TEXT, 0 },
	{ "country", "country", CRM_COL_TEXT, 0 },
	{ "birth_date", "birth_date", CRM_COL_TEXT, 0 },
	{ "stage", "stage", CRM_COL_TEXT, 0 },
	{ "owner", "owner", CRM_COL_TEXT, 0 },
	{ "phone_type", "phone_type", CRM_COL_TEXT, 0 },
	{ "phone_ext", "phone_ext", CRM_COL_TEXT, 0 },
	{ "email_opt_in", "email_opt_in", CRM_COL_BOOL, 0 },
	{ "phone_opt_in", "phone_opt_in", CRM_COL_BOOL, 0 },
	{ "sms_opt_in", "sms_opt_in", CRM_COL_BOOL, 0 },
	{ "mail_opt_in", "mail_opt_in", CRM_COL_BOOL, 0 },
	{ "do_not_contact", "do_not_contact", CRM_COL_BOOL, 0 },
	{ "attrs", "attrs", CRM_COL_JSON, 0 },
	{ "name_key", "name_key", CRM_COL_TEXT, 0 },
	{ "merged_into", "merged_into", CRM_COL_NUM, 0 },
	{ "erased_at", "erased_at", CRM_COL_TEXT, 1 },
	{ "created_at", "created_at", CRM_COL_TEXT, 1 },
	{ "updated_at", "updated_at", CRM_COL_TEXT, 1 },
	{ "imported_at", "imported_at", CRM_COL_TEXT, 1 },
};

#define NEXPCOLS (sizeof(expcols) / sizeof(expcols[0]))
#define DEFAULT_EXPORT_COLUMNS "id,external_id,first_name,last_name," \
	"email,phone,company,street,city,postcode,country,birth_date,stage," \
	"owner,email_opt_in,phone_opt_in,sms_opt_in,mail_opt_in," \
	"do_not_contact,attrs,created_at,updated_at"

const char crm_contact_columns[] = DEFAULT_EXPORT_COLUMNS
    ",phone_type,phone_ext,name_key,merged_into,erased_at,imported_at";

#define MAXSEL 128

int
crm_contact_export(struct crm_db *db, struct crm_out *o, const char *columns,
    const struct crm_contact_filter *f, int64_t *count,
    struct crm_error *err)
{
	struct crm_buf sql = CRM_BUF_INIT(1 << 20);
	char *list = NULL, *tok, *save = NULL;
	const char *names[MAXSEL], *vals[MAXSEL];
	char *attr[MAXSEL];
	enum crm_coltype types[MAXSEL];
	int istime[MAXSEL];
	char tbuf[MAXSEL][21];
	struct crm_stmt *st = NULL;
	const char *stage = NULL;
	size_t n = 0, i, nattr = 0;
	int rc = -1, p = 0, step;

	*count = 0;
	memset(attr, 0, sizeof(attr));
	if ((list = strdup(columns ? columns : DEFAULT_EXPORT_COLUMNS)) ==
	    NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	if (crm_buf_adds(&sql, "SELECT ", err) < 0)
		goto done;
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		size_t len;
		const char *name = crm_trim(tok, &len);

		tok[name - tok + (long)len] = '\0';
		if (n == MAXSEL) {
			crm_error_set(err, CRM_EUSAGE, "too many columns");
			goto done;
		}
		if (n > 0 && crm_buf_adds(&sql, ", ", err) < 0)
			goto done;
		if (strncasecmp(name, "attr.", 5) == 0 && name[5] != '\0') {
			/*
			 * One attribute, its name bound as the key itself:
			 * a JSON path cannot spell every key (SQLite reads
			 * no escape in a quoted label, so a key with '"'
			 * in it would come out empty).
			 */
			char key[256];
			size_t k;

			for (k = 0; name[5 + k] != '\0' && k + 1 < sizeof(key);
			    k++)
				key[k] = (char)tolower((unsigned char)
				    name[5 + k]);
			key[k] = '\0';
			if ((attr[nattr++] = strdup(key)) == NULL) {
				crm_error_set(err, CRM_EFAIL, "out of memory");
				goto done;
			}
			if (crm_buf_addf(&sql, err, "(SELECT value FROM"
			    " json_each(attrs) WHERE key = ?%zu)", nattr) < 0)
				goto done;
			names[n] = name;
			types[n] = CRM_COL_TEXT;
			istime[n] = 0;
			n++;
			continue;
		}
		for (i = 0; i < NEXPCOLS; i++)
			if (strcasecmp(name, expcols[i].name) == 0)
				break;
		if (i == NEXPCOLS) {
			crm_error_set(err, CRM_EUSAGE,
			    "unknown column '%s' (known: %s, attr.NAME)", name,
			    crm_contact_columns);
			goto done;
		}
		if (crm_buf_adds(&sql, expcols[i].expr, err) < 0)
			goto done;
		names[n] = expcols[i].name;
		types[n] = expcols[i].type;
		istime[n] = expcols[i].time;
		n++;
	}
	if (n == 0) {
		crm_error_set(err, CRM_EUSAGE, "no columns chosen");
		goto done;
	}
	p = (int)nattr;
	if (crm_buf_adds(&sql, " FROM contacts WHERE 1 = 1", err) < 0)
		goto done;
	if (!f->include_merged && crm_buf_adds(&sql,
	    " AND merged_into IS NULL AND erased_at IS NULL", err) < 0)
		goto done;
	if (f->stage) {
		for (i = 0; i < 4; i++)
			if (strcasecmp(f->stage, stages[i]) == 0)
				break;
		if (i == 4) {
			crm_error_set(err, CRM_EUSAGE, "unknown stage '%s' (lead,"
			    " prospect, customer or former)", f->stage);
			goto done;
		}
		stage = stages[i];
		if (crm_buf_addf(&sql, err, " AND stage = ?%d", ++p) < 0)
			goto done;
	}
	if (f->owner && crm_buf_addf(&sql, err, " AND owner = ?%d", ++p) < 0)
		goto done;
	if (f->since && crm_buf_addf(&sql, err, " AND updated_at >= ?%d",
	    ++p) < 0)
		goto done;
	if (f->consent) {
		static const char *const ch[] = { "email", "phone", "sms",
		    "mail" };

		for (i = 0; i < 4; i++)
			if (strcmp(f->consent, ch[i]) == 0)
				break;
		if (i == 4) {
			crm_error_set(err, CRM_EUSAGE, "unknown consent channel"
			    " '%s' (email, phone, sms or mail)", f->consent);
			goto done;
		}
		/* The column name comes from the table above, not the user. */
		if (crm_buf_addf(&sql, err, " AND %s_opt_in = 1 AND"
		    " do_not_contact = 0", ch[i]) < 0)
			goto done;
		/* SMS reaches mobiles only (fixed-or-mobile when the
		 * region's ranges do not tell). */
		if (i == 2 && crm_buf_addf(&sql, err, " AND %s",
		    crm_phone_sms_sql) < 0)
			goto done;
		/*
		 * Mailable: the channel's address is there, and each address
		 * goes out once, for the contact updated last (then the
		 * lowest id); an address another live contact has opted
		 * out of, or asked not to be contacted at, is left out.
		 */
		{
			static const char *const addr[] = {
				"email", "phone", "phone", "street" };
			static const char *const same[] = {
				"d.email = contacts.email",
				"d.phone = contacts.phone",
				"d.phone = contacts.phone",
				"d.street = contacts.street AND d.postcode IS NOT"
				" DISTINCT FROM contacts.postcode AND d.city IS"
				" NOT DISTINCT FROM contacts.city AND d.country"
				" IS NOT DISTINCT FROM contacts.country" };

			if (crm_buf_addf(&sql, err, " AND %s IS NOT NULL AND"
			    " %s <> '' AND NOT EXISTS (SELECT 1 FROM contacts d"
			    " WHERE %s AND d.id <> contacts.id AND"
			    " d.merged_into IS NULL AND d.erased_at IS NULL"
			    " AND (d.%s_opt_in = 0 OR d.do_not_contact = 1 OR"
			    " (d.%s_opt_in = 1 AND (d.updated_at >"
			    " contacts.updated_at OR (d.updated_at ="
			    " contacts.updated_at AND d.id < contacts.id)))))",
			    addr[i], addr[i], same[i], ch[i], ch[i]) < 0)
				goto done;
		}
	}
	if (crm_buf_adds(&sql, " ORDER BY id", err) < 0 ||
	    (st = crm_db_prepare(db, crm_buf_str(&sql), err)) == NULL)
		goto done;
	for (i = 0; i < nattr; i++)
		if (crm_db_bind_text(db, st, (int)i + 1, attr[i], err) < 0)
			goto done;
	p = (int)nattr;
	if ((stage && crm_db_bind_text(db, st, ++p, stage, err) < 0) ||
	    (f->owner && crm_db_bind_text(db, st, ++p, f->owner, err) < 0) ||
	    (f->since && crm_db_bind_int(db, st, ++p, f->since, err) < 0))
		goto done;
	if (crm_out_header(o, names, types, n, err) < 0)
		goto done;
	while ((step = crm_db_step(db, st, err)) == 1) {
		for (i = 0; i < n; i++) {
			if (crm_db_col_isnull(st, (int)i))
				vals[i] = NULL;
			else if (istime[i]) {
				crm_format_time(crm_db_col_int(st,
				    (int)i), tbuf[i]);
				vals[i] = tbuf[i];
			} else
				vals[i] = crm_db_col_text(st, (int)i);
		}
		if (crm_out_row(o, vals, err) < 0)
			goto done;
		(*count)++;
	}
	if (step < 0)
		goto done;
	rc = 0;
done:
	crm_db_finalize(st);
	for (i = 0; i < nattr; i++)
		free(attr[i]);
	free(list);
	crm_buf_release(&sql);
	return rc;
}

int
crm_contact_set_stage(struct crm_db *db, int64_t id, const char *stage,
    int64_t now, struct crm_error *err)
{
	struct crm_stmt *st;

	if ((st = crm_db_stmt(db, "UPDATE contacts SET stage = ?2,"
	    " updated_at = ?3 WHERE id = ?1 AND stage IS DISTINCT FROM ?2", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_bind_text(db, st, 2, stage, err) < 0 ||
	    crm_db_bind_int(db, st, 3, now, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	return 0;
}
