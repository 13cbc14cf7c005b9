/*
 * Contact export (crm-export) and a contact's lifecycle stage.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "contact-int.h"
#include "norm.h"
#include "phone.h"

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
			if (strcasecmp(f->stage, crm_imp_stages[i]) == 0)
				break;
		if (i == 4) {
			crm_error_set(err, CRM_EUSAGE, "unknown stage '%s' (lead,"
			    " prospect, customer or former)", f->stage);
			goto done;
		}
		stage = crm_imp_stages[i];
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
