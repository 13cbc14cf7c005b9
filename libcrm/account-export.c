/*
 * account-export.c - accounts out again, the combined timeline of an
 * account's people, and its people for a campaign.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "account-int.h"
#include "norm.h"

/* Export. */

struct xcol {
	const char *name, *expr;
	enum crm_coltype type;
};

static const struct xcol xcols[] = {
	{ "id", "a.id", CRM_COL_NUM },
	{ "external_id", "a.external_id", CRM_COL_TEXT },
	{ "name", "a.name", CRM_COL_TEXT },
	{ "domain", "a.domain", CRM_COL_TEXT },
	{ "industry", "a.industry", CRM_COL_TEXT },
	{ "size", "a.size", CRM_COL_TEXT },
	{ "country", "a.country", CRM_COL_TEXT },
	{ "owner", "a.owner", CRM_COL_TEXT },
	{ "type", "a.type", CRM_COL_TEXT },
	{ "parent", "(SELECT coalesce(p.external_id, '#' || p.id) FROM"
	    " accounts p WHERE p.id = a.parent_id)", CRM_COL_TEXT },
	{ "partner", "(SELECT coalesce(p.external_id, '#' || p.id) FROM"
	    " accounts p WHERE p.id = a.partner_id)", CRM_COL_TEXT },
	{ "contacts", "(SELECT count(*) FROM account_contacts ac JOIN"
	    " contacts c ON c.id = ac.contact_id WHERE ac.account_id = a.id"
	    " AND ac.ended_at IS NULL AND c.erased_at IS NULL)",
	    CRM_COL_NUM },
	{ "sole_trader", "a.person_id IS NOT NULL", CRM_COL_BOOL },
	{ "name_key", "a.name_key", CRM_COL_TEXT },
	{ "attrs", "a.attrs", CRM_COL_JSON },
	{ "merged_into", "a.merged_into", CRM_COL_NUM },
	{ "created_at", "strftime('%Y-%m-%dT%H:%M:%SZ', a.created_at,"
	    " 'unixepoch')", CRM_COL_TEXT },
	{ "updated_at", "strftime('%Y-%m-%dT%H:%M:%SZ', a.updated_at,"
	    " 'unixepoch')", CRM_COL_TEXT },
};

#define NXCOL (sizeof(xcols) / sizeof(xcols[0]))
#define NDEFAULT 12	/* id .. contacts */

const char crm_account_columns[] = "id,external_id,name,domain,industry,"
    "size,country,owner,type,parent,partner,contacts,sole_trader,name_key,"
    "attrs,merged_into,created_at,updated_at";

#define MAX_XCOLS 64

int
crm_account_export(struct crm_db *db, struct crm_out *o, const char *columns,
    const struct crm_account_filter *f, int64_t *count,
    struct crm_error *err)
{
	struct crm_buf sql = CRM_BUF_INIT(1 << 20);
	const char *names[MAX_XCOLS], *vals[MAX_XCOLS];
	enum crm_coltype types[MAX_XCOLS];
	char *attr[MAX_XCOLS], *list = NULL, *tok, *save = NULL;
	struct crm_stmt *st = NULL;
	size_t n = 0, i;
	int rc = -1;

	memset(attr, 0, sizeof(attr));
	*count = 0;
	if (columns == NULL)
		for (i = 0; i < NDEFAULT; i++) {
			names[n] = xcols[i].name;
			types[n++] = xcols[i].type;
		}
	else if ((list = strdup(columns)) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	for (tok = list ? strtok_r(list, ",", &save) : NULL; tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (n == MAX_XCOLS) {
			crm_error_set(err, CRM_EUSAGE, "too many columns");
			goto done;
		}
		if (strncmp(tok, "attr.", 5) == 0 && tok[5] != '\0') {
			names[n] = tok;
			types[n] = CRM_COL_TEXT;
			attr[n++] = tok + 5;
			continue;
		}
		for (i = 0; i < NXCOL; i++)
			if (strcmp(tok, xcols[i].name) == 0)
				break;
		if (i == NXCOL) {
			crm_error_set(err, CRM_EUSAGE, "unknown column '%s'"
			    " (%s, attr.NAME)", tok, crm_account_columns);
			goto done;
		}
		names[n] = xcols[i].name;
		types[n++] = xcols[i].type;
	}
	if (n == 0) {
		crm_error_set(err, CRM_EUSAGE, "no columns");
		goto done;
	}
	if (crm_buf_adds(&sql, "SELECT ", err) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		size_t k;

		if (i > 0 && crm_buf_adds(&sql, ", ", err) < 0)
			goto done;
		if (attr[i] != NULL) {
			/* The attribute's name is bound, not pasted. */
			if (crm_buf_addf(&sql, err, "json_extract(a.attrs,"
			    " '$.\"' || replace(?%zu, '\"', '\\\"') || '\"')",
			    i + 5) < 0)
				goto done;
			continue;
		}
		for (k = 0; k < NXCOL; k++)
			if (strcmp(names[i], xcols[k].name) == 0)
				break;
		if (crm_buf_adds(&sql, xcols[k].expr, err) < 0)
			goto done;
	}
	if (crm_buf_adds(&sql, " FROM accounts a WHERE (?1 IS NOT NULL OR"
	    " a.merged_into IS NULL)"
	    " AND (?2 IS NULL OR a.type = ?2 OR (?2 = 'partner' AND"
	    " (a.type = 'reseller' OR a.type = 'agency' OR a.type = 'referrer'"
	    " OR a.type = 'affiliate')))"
	    " AND (?3 IS NULL OR a.owner = ?3) AND (?4 IS NULL OR"
	    " a.country = ?4) ORDER BY a.id", err) < 0 ||
	    (st = crm_db_prepare(db, crm_buf_str(&sql), err)) == NULL)
		goto done;
	if ((f->include_merged ? crm_db_bind_int(db, st, 1, 1, err) :
	    crm_db_bind_null(db, st, 1, err)) < 0 ||
	    crm_db_bind_text(db, st, 2, f->type, err) < 0 ||
	    crm_db_bind_text(db, st, 3, f->owner, err) < 0 ||
	    crm_db_bind_text(db, st, 4, f->country, err) < 0)
		goto done;
	for (i = 0; i < n; i++)
		if (attr[i] != NULL && crm_db_bind_text(db, st, (int)i + 5,
		    attr[i], err) < 0)
			goto done;
	if (crm_out_header(o, names, types, n, err) < 0)
		goto done;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		for (i = 0; i < n; i++)
			vals[i] = crm_db_col_text(st, (int)i);
		if (crm_out_row(o, vals, err) < 0) {
			rc = -1;
			break;
		}
		(*count)++;
	}
	if (rc < 0)
		goto done;
	rc = 0;
done:
	crm_db_finalize(st);
	crm_buf_release(&sql);
	free(list);
	return rc;
}

int
crm_account_show(struct crm_db *db, int64_t id,
    const struct crm_log_filter *f, struct crm_out *o,
    struct crm_error *err)
{
	static const char *const names[] = { "at", "account", "contact",
	    "title", "channel", "kind", "direction", "amount", "currency",
	    "product", "subject", "status", "ref" };
	static const enum crm_coltype types[] = { CRM_COL_TEXT, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_TEXT, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_TEXT };
	const char *vals[13];
	struct crm_stmt *st;
	int rc, i;

	if ((st = crm_db_stmt(db, "WITH RECURSIVE t(id) AS (VALUES (?1)"
	    " UNION SELECT a.id FROM accounts a JOIN t ON a.parent_id = t.id"
	    " WHERE a.merged_into IS NULL)"
	    " SELECT strftime('%Y-%m-%dT%H:%M:%SZ', i.at, 'unixepoch'),"
	    " a.name, coalesce(c.email, c.external_id, '#' || c.id),"
	    " ac.title, i.channel, i.kind, i.direction,"
	    " CASE WHEN i.amount IS NOT NULL THEN printf('%.2f', i.amount)"
	    " END, i.currency, i.product, i.subject, i.status, i.ref"
	    " FROM t JOIN accounts a ON a.id = t.id"
	    " JOIN account_contacts ac ON ac.account_id = t.id"
	    " JOIN contacts c ON c.id = ac.contact_id"
	    " JOIN interactions i ON i.contact_id = c.id"
	    " AND (ac.started_at IS NULL OR i.at >= ac.started_at)"
	    " AND (ac.ended_at IS NULL OR i.at < ac.ended_at)"
	    " WHERE c.erased_at IS NULL"
	    " AND (?3 IS NULL OR i.channel = ?3) AND (?4 IS NULL OR"
	    " i.kind = ?4) AND (CAST(?5 AS BIGINT) IS NULL OR i.at >= ?5)"
	    " AND (CAST(?6 AS BIGINT) IS NULL OR i.at < ?6)"
	    " ORDER BY i.at DESC, i.id DESC LIMIT ?2", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, f->limit > 0 ? f->limit : INT64_MAX,
	    err) < 0 ||
	    crm_db_bind_text(db, st, 3, f->channel, err) < 0 ||
	    crm_db_bind_text(db, st, 4, f->kind, err) < 0 ||
	    (f->since ? crm_db_bind_int(db, st, 5, f->since, err) :
	    crm_db_bind_null(db, st, 5, err)) < 0 ||
	    (f->until ? crm_db_bind_int(db, st, 6, f->until, err) :
	    crm_db_bind_null(db, st, 6, err)) < 0 ||
	    crm_out_header(o, names, types, 13, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		for (i = 0; i < 13; i++)
			vals[i] = crm_db_col_text(st, i);
		if (crm_out_row(o, vals, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	return rc < 0 ? -1 : 0;
}

#define PEOPLE_COLS "SELECT c.id, c.external_id, c.email, c.first_name," \
	" c.last_name, ac.account_id, a.name, ac.role, ac.title," \
	" CASE WHEN ac.started_at IS NOT NULL THEN" \
	" strftime('%Y-%m-%d', ac.started_at, 'unixepoch') END"

int
crm_account_people(struct crm_db *db, int64_t id, int partner,
    struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "id", "external_id", "email",
	    "first_name", "last_name", "account_id", "account", "role",
	    "title", "since" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_NUM,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_TEXT };
	const char *vals[10];
	struct crm_stmt *st;
	int rc, i;

	/*
	 * A contact's partner: its own, else that of its account or of the
	 * account's nearest parent with one (chain walks up to it).
	 */
	st = partner ? crm_db_stmt(db, "WITH RECURSIVE"
	    " chain(id, cur, d) AS (SELECT id, id, 0 FROM accounts"
	    "  WHERE merged_into IS NULL UNION ALL SELECT chain.id,"
	    "  a.parent_id, d + 1 FROM chain JOIN accounts a ON a.id = chain.cur"
	    "  WHERE a.partner_id IS NULL AND a.parent_id IS NOT NULL"
	    "  AND d < 64),"
	    " eff(id, partner) AS (SELECT chain.id, a.partner_id FROM chain"
	    "  JOIN accounts a ON a.id = chain.cur"
	    "  WHERE a.partner_id IS NOT NULL) "
	    PEOPLE_COLS " FROM contacts c LEFT JOIN account_contacts ac ON"
	    " ac.id = (SELECT min(x.id) FROM account_contacts x WHERE"
	    " x.contact_id = c.id AND x.ended_at IS NULL)"
	    " LEFT JOIN accounts a ON a.id = ac.account_id"
	    " LEFT JOIN eff ON eff.id = ac.account_id"
	    " WHERE c.erased_at IS NULL AND c.merged_into IS NULL"
	    " AND coalesce((SELECT cp.partner_id FROM contact_partners cp"
	    " WHERE cp.contact_id = c.id ORDER BY cp.set_at, cp.id LIMIT 1),"
	    " eff.partner) = ?1 ORDER BY c.id",
	    err) : crm_db_stmt(db, "WITH RECURSIVE t(id) AS (VALUES (?1)"
	    " UNION SELECT a.id FROM accounts a JOIN t ON a.parent_id = t.id"
	    " WHERE a.merged_into IS NULL) "
	    PEOPLE_COLS " FROM t JOIN account_contacts ac ON"
	    " ac.account_id = t.id AND ac.ended_at IS NULL"
	    " JOIN accounts a ON a.id = t.id"
	    " JOIN contacts c ON c.id = ac.contact_id"
	    " WHERE c.erased_at IS NULL AND c.merged_into IS NULL"
	    " ORDER BY c.id", err);
	if (st == NULL || crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_out_header(o, names, types, 10, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		for (i = 0; i < 10; i++)
			vals[i] = crm_db_col_text(st, i);
		if (crm_out_row(o, vals, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	return rc < 0 ? -1 : 0;
}

int
crm_account_report(struct crm_db *db, struct crm_account_report_opts *r,
    struct crm_out *o, struct crm_error *err)
{
	struct crm_log_filter lf = { NULL, NULL, 0, 0, r->limit };
	struct crm_rfm_opts ro;
	const char *c = r->what;
	int64_t id;

	memset(&ro, 0, sizeof(ro));
	ro.asof = r->asof ? r->asof : crm_now();
	r->n = 0;
	/* The roll-ups read whole tables: through a memory map. */
	if (crm_account_report_bulk(c) && crm_db_map_reads(db, err) < 0)
		return -1;
	if (strcmp(c, "dupes") == 0)
		return crm_account_dupes(db, r->score, o, &r->n, err);
	if (strcmp(c, "rollup") == 0)
		return crm_account_rollup(db, r->asof ? (r->asof / 86400 + 1) *
		    86400 : 0, o, err);
	if (strcmp(c, "rfm") == 0)
		return crm_account_rfm(db, &ro, r->roots, o, err);
	if (strcmp(c, "churn") == 0)
		return crm_account_churn(db, &r->churn, o, err);
	if (strcmp(c, "partners") == 0)
		return crm_account_partners(db, o, err);
	if (strcmp(c, "export") == 0)
		return crm_account_export(db, o, r->columns, &r->filter, &r->n,
		    err);
	if (r->key == NULL)
		return crm_error_set(err, CRM_EUSAGE, "%s: no account", c);
	if (crm_account_resolve(db, r->key, &id, err) < 0)
		return -1;
	if (strcmp(c, "people") == 0)
		return crm_account_people(db, id, r->partner, o, err);
	return crm_account_show(db, id, &lf, o, err);
}

int
crm_account_report_bulk(const char *what)
{
	return strcmp(what, "rollup") == 0 || strcmp(what, "rfm") == 0 ||
	    strcmp(what, "churn") == 0 || strcmp(what, "partners") == 0;
}
