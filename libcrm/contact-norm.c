/*
 * Reading a contact record: each field normalised (emails, phones,
 * countries, names, dates), consent flags, attributes from the columns
 * the schema does not know.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "contact-int.h"
#include "norm.h"
#include "phone.h"

const char *const crm_imp_stages[4] = {
	"lead", "prospect", "customer", "former"
};


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
int
crm_imp_sql_text(struct crm_importer *imp, const char *sql, const char *a,
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
int
crm_imp_normalise(struct crm_importer *imp, struct crm_error *err)
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
				if (strlen(crm_imp_stages[k]) == len &&
				    strncasecmp(crm_imp_stages[k], s, len) == 0)
					break;
			if (k == 4) {
				char q[CRM_QUOTE_MAX];

				return crm_error_set(err, CRM_EDATA,
				    "invalid stage '%s' (lead, prospect,"
				    " customer or former)",
				    crm_quote(q, raw, strlen(raw)));
			}
			if (crm_buf_adds(&imp->nv[f], crm_imp_stages[k], err) < 0)
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
			crm_error_prefix(err, "%s", crm_imp_cols[F_EMAIL_OPT + f].name);
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

		if (crm_imp_sql_text(imp, "SELECT CASE WHEN json_valid(?1) AND"
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
