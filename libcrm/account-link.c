/*
 * account-link.c - people joined to accounts: by a file, by email domain.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "account-int.h"
#include "interaction.h"
#include "match.h"
#include "norm.h"
#include "resolve.h"

/* Linking people. */

enum {
	L_CONTACT, L_EXT, L_EMAIL, L_ACCOUNT, L_ROLE, L_TITLE, L_SINCE,
	L_PARTNER, NL
};

static const struct crm_csv_col link_cols[NL] = {
	{ "contact", "contact_key|contact_id" },
	{ "external_id", "customer_id|contact_external_id" },
	{ "email", "e_mail|email_address" },
	{ "account", "account_key|account_external_id|account_domain|"
	    "company_domain" },
	{ "role", "account_role" },
	{ "title", "job_title|position" },
	{ "since", "started|started_at|start_date" },
	{ "partner", "sourced_by|partner_key|referred_by" },
};

struct crm_account_linker {
	struct crm_db *db;
	struct crm_link_stats st;
	int idx[NL];
	int64_t now;
};

struct crm_account_linker *
crm_account_linker_new(struct crm_db *db, struct crm_error *err)
{
	struct crm_account_linker *l;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	l->db = db;
	l->now = crm_now();
	return l;
}

void
crm_account_linker_free(struct crm_account_linker *l)
{
	free(l);
}

const struct crm_link_stats *
crm_account_linker_stats(const struct crm_account_linker *l)
{
	return &l->st;
}

int
crm_account_linker_header(struct crm_account_linker *l, struct crm_csv *r,
    struct crm_error *err)
{
	if (crm_csv_header(r, link_cols, NL, l->idx, err) < 0)
		return -1;
	if (l->idx[L_CONTACT] < 0 && l->idx[L_EXT] < 0 && l->idx[L_EMAIL] < 0)
		return crm_error_set(err, CRM_EDATA, "%s: no contact,"
		    " external_id or email column", crm_csv_name(r));
	if (l->idx[L_ACCOUNT] < 0 && l->idx[L_PARTNER] < 0)
		return crm_error_set(err, CRM_EDATA, "%s: no account or partner"
		    " column", crm_csv_name(r));
	return 0;
}

/*
 * Contact c works at account a (since: 0 if unknown).  *what: 0
 * unchanged, 1 linked, 2 moved, 3 updated.
 */
static int
employ(struct crm_account_linker *l, int64_t c, int64_t a, const char *role,
    const char *title, int64_t since, int *what, struct crm_error *err)
{
	struct crm_db *db = l->db;
	struct crm_stmt *st;
	int64_t cur = 0, cur_acc = 0, cur_start = 0;
	int rc, has_start = 0;

	/*
	 * The current job: the one at this account if there is one (a
	 * contact merge may leave two current), else the latest.
	 */
	*what = 0;
	if ((st = crm_db_stmt(db, "SELECT id, account_id, started_at FROM"
	    " account_contacts WHERE contact_id = ?1 AND ended_at IS NULL"
	    " ORDER BY account_id = ?2 DESC, id DESC LIMIT 1",
	    err)) == NULL || crm_db_bind_int(db, st, 1, c, err) < 0 ||
	    crm_db_bind_int(db, st, 2, a, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 1) {
		cur = crm_db_col_int(st, 0);
		cur_acc = crm_db_col_int(st, 1);
		has_start = !crm_db_col_isnull(st, 2);
		cur_start = crm_db_col_int(st, 2);
		crm_db_reset(st);
	}
	if (cur != 0 && cur_acc == a) {
		if ((st = crm_db_stmt(db, "UPDATE account_contacts SET"
		    " role = coalesce(?2, role), title = coalesce(?3, title)"
		    " WHERE id = ?1 AND (coalesce(?2, role) IS DISTINCT FROM"
		    " role OR coalesce(?3, title) IS DISTINCT FROM title)",
		    err)) == NULL ||
		    crm_db_bind_int(db, st, 1, cur, err) < 0 ||
		    crm_db_bind_text(db, st, 2, role, err) < 0 ||
		    crm_db_bind_text(db, st, 3, title, err) < 0 ||
		    crm_db_step(db, st, err) < 0)
			return -1;
		*what = crm_db_changes(db) > 0 ? 3 : 0;
		return 0;
	}
	/* The same job recorded before (a re-run of an older file). */
	if ((st = crm_db_stmt(db, "SELECT 1 FROM account_contacts WHERE"
	    " contact_id = ?1 AND account_id = ?2 AND ended_at IS NOT NULL"
	    " AND (CAST(?3 AS BIGINT) IS NULL OR started_at = ?3) LIMIT 1",
	    err)) == NULL ||
	    crm_db_bind_int(db, st, 1, c, err) < 0 ||
	    crm_db_bind_int(db, st, 2, a, err) < 0 ||
	    (since ? crm_db_bind_int(db, st, 3, since, err) :
	    crm_db_bind_null(db, st, 3, err)) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 1) {
		crm_db_reset(st);
		return 0;
	}
	if (cur != 0 && since && has_start && since < cur_start) {
		/* Older news: a job before the current one. */
		if ((st = crm_db_stmt(db, "INSERT INTO account_contacts"
		    " (account_id, contact_id, role, title, started_at,"
		    " ended_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
		    " ?7)", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, a, err) < 0 ||
		    crm_db_bind_int(db, st, 2, c, err) < 0 ||
		    crm_db_bind_text(db, st, 3, role, err) < 0 ||
		    crm_db_bind_text(db, st, 4, title, err) < 0 ||
		    crm_db_bind_int(db, st, 5, since, err) < 0 ||
		    crm_db_bind_int(db, st, 6, cur_start, err) < 0 ||
		    crm_db_bind_int(db, st, 7, l->now, err) < 0 ||
		    crm_db_step(db, st, err) < 0)
			return -1;
		*what = 1;
		return 0;
	}
	if (cur != 0) {
		if ((st = crm_db_stmt(db, "UPDATE account_contacts SET"
		    " ended_at = ?2 WHERE contact_id = ?1 AND ended_at IS NULL",
		    err)) == NULL || crm_db_bind_int(db, st, 1, c, err) < 0 ||
		    crm_db_bind_int(db, st, 2, since ? since : l->now,
		    err) < 0 ||
		    crm_db_step(db, st, err) < 0)
			return -1;
		if (!since)
			since = l->now;
	}
	if ((st = crm_db_stmt(db, "INSERT INTO account_contacts (account_id,"
	    " contact_id, role, title, started_at, created_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, a, err) < 0 ||
	    crm_db_bind_int(db, st, 2, c, err) < 0 ||
	    crm_db_bind_text(db, st, 3, role, err) < 0 ||
	    crm_db_bind_text(db, st, 4, title, err) < 0 ||
	    (since ? crm_db_bind_int(db, st, 5, since, err) :
	    crm_db_bind_null(db, st, 5, err)) < 0 ||
	    crm_db_bind_int(db, st, 6, l->now, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	*what = cur != 0 ? 2 : 1;
	return 0;
}

static const char *
field(struct crm_csv *r, int i, struct crm_buf *b, struct crm_error *err)
{
	const char *s;
	size_t len;

	if (i < 0)
		return NULL;
	s = crm_trim(crm_csv_field(r, i), &len);
	crm_buf_reset(b);
	if (len == 0 || crm_buf_add(b, s, len, err) < 0)
		return NULL;
	return b->s;
}

static int
link_row(struct crm_account_linker *l, struct crm_csv *r,
    struct crm_error *err)
{
	struct crm_buf b[NL];
	const char *v[NL], *ckey;
	int64_t c = 0, a = 0, p = 0, since = 0, ispartner, moved;
	struct crm_stmt *st;
	int i, what = 0, rc = -1, changed = 0;

	for (i = 0; i < NL; i++) {
		crm_buf_init(&b[i], CRM_CSV_FIELD_MAX);
		v[i] = field(r, l->idx[i], &b[i], err);
	}
	ckey = v[L_CONTACT] != NULL ? v[L_CONTACT] : v[L_EXT] != NULL ?
	    v[L_EXT] : v[L_EMAIL];
	if (v[L_ACCOUNT] == NULL && v[L_PARTNER] == NULL) {
		l->st.unchanged++;
		rc = 0;
		goto done;
	}
	if (ckey == NULL) {
		crm_error_set(err, CRM_EDATA, "no contact key");
		goto done;
	}
	if (crm_contact_resolve(l->db, ckey, NULL, &c, err) < 0 ||
	    (v[L_ACCOUNT] != NULL && crm_account_resolve(l->db, v[L_ACCOUNT],
	    &a, err) < 0) ||
	    (v[L_PARTNER] != NULL && crm_account_resolve(l->db, v[L_PARTNER],
	    &p, err) < 0) ||
	    (v[L_SINCE] != NULL && crm_norm_datetime(v[L_SINCE], &since,
	    err) < 0)) {
		err->code = CRM_EDATA;
		goto done;
	}
	/* Every check before the first write: a bad record leaves none. */
	if (p != 0) {
		if ((st = crm_db_stmt(l->db, "SELECT " ACCOUNT_IS_PARTNER
		    " FROM accounts WHERE id = ?1", err)) == NULL ||
		    crm_db_bind_int(l->db, st, 1, p, err) < 0 ||
		    crm_db_step(l->db, st, err) < 0)
			goto done;
		ispartner = crm_db_col_int(st, 0);
		crm_db_reset(st);
		if (!ispartner) {
			crm_error_set(err, CRM_EDATA, "partner '%s' is not a"
			    " reseller, agency, referrer or affiliate",
			    v[L_PARTNER]);
			goto done;
		}
	}
	if (a != 0) {
		if (employ(l, c, a, v[L_ROLE], v[L_TITLE], since, &what,
		    err) < 0)
			goto done;
		changed = what;
		if (what == 1)
			l->st.linked++;
		else if (what == 2)
			l->st.moved++;
	}
	if (p != 0) {
		/* The contact's first partner row, else a new one. */
		if ((st = crm_db_stmt(l->db, "UPDATE contact_partners SET"
		    " partner_id = ?2, set_at = ?3 WHERE id = (SELECT id FROM"
		    " contact_partners WHERE contact_id = ?1 ORDER BY set_at, id"
		    " LIMIT 1) AND partner_id IS DISTINCT FROM ?2", err)) == NULL ||
		    crm_db_bind_int(l->db, st, 1, c, err) < 0 ||
		    crm_db_bind_int(l->db, st, 2, p, err) < 0 ||
		    crm_db_bind_int(l->db, st, 3, l->now, err) < 0 ||
		    crm_db_step(l->db, st, err) < 0)
			goto done;
		moved = crm_db_changes(l->db);
		if ((st = crm_db_stmt(l->db, "INSERT INTO contact_partners"
		    " (contact_id, partner_id, set_at) SELECT ?1, ?2, ?3"
		    " WHERE NOT EXISTS (SELECT 1 FROM contact_partners WHERE"
		    " contact_id = ?1)", err)) == NULL ||
		    crm_db_bind_int(l->db, st, 1, c, err) < 0 ||
		    crm_db_bind_int(l->db, st, 2, p, err) < 0 ||
		    crm_db_bind_int(l->db, st, 3, l->now, err) < 0 ||
		    crm_db_step(l->db, st, err) < 0)
			goto done;
		if (moved + crm_db_changes(l->db) > 0 && changed == 0)
			changed = 3;
	}
	if (changed == 3)
		l->st.updated++;
	else if (changed == 0)
		l->st.unchanged++;
	rc = 0;
done:
	for (i = 0; i < NL; i++)
		crm_buf_release(&b[i]);
	return rc;
}

int
crm_account_linker_row(struct crm_account_linker *l, struct crm_csv *r,
    struct crm_error *err)
{
	l->st.read++;
	if (link_row(l, r, err) == 0)
		return 0;
	if (err->code == CRM_EDATA)
		l->st.rejected++;
	return crm_error_prefix(err, "%s:%ld", crm_csv_name(r),
	    crm_csv_line(r));
}

struct pend_link {
	int64_t contact;
	char *domain;
};

int
crm_account_link_domains(struct crm_account_linker *l, struct crm_error *err)
{
	struct crm_db *db = l->db;
	struct pend_link *pl = NULL, *np;
	size_t n = 0, alloc = 0, i;
	struct crm_stmt *st;
	const char *d;
	int64_t a;
	int rc, many, what;

	/* Collected first: the links change what the query would see. */
	if ((st = crm_db_stmt(db, "SELECT c.id, substr(c.email,"
	    " instr(c.email, '@') + 1) FROM contacts c WHERE c.email IS NOT"
	    " NULL AND c.erased_at IS NULL AND c.merged_into IS NULL AND NOT"
	    " EXISTS (SELECT 1 FROM account_contacts ac WHERE"
	    " ac.contact_id = c.id AND ac.ended_at IS NULL) ORDER BY c.id",
	    err)) == NULL)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			if ((np = reallocarray(pl, alloc, sizeof(*pl))) ==
			    NULL) {
				crm_db_reset(st);
				rc = crm_error_set(err, CRM_EFAIL,
				    "out of memory");
				goto done;
			}
			pl = np;
		}
		pl[n].contact = crm_db_col_int(st, 0);
		if ((pl[n].domain = strdup(crm_db_col_text(st, 1))) == NULL) {
			crm_db_reset(st);
			rc = crm_error_set(err, CRM_EFAIL, "out of memory");
			goto done;
		}
		n++;
	}
	if (rc < 0)
		goto done;
	for (i = 0; i < n; i++) {
		l->st.read++;
		if (crm_account_freemail(pl[i].domain)) {
			l->st.skipped++;
			continue;
		}
		/* The domain, then each parent domain of two labels or more. */
		a = 0;
		many = 0;
		for (d = pl[i].domain; d != NULL && strchr(d, '.') != NULL;
		    d = strchr(d, '.') != NULL ? strchr(d, '.') + 1 : NULL) {
			if ((many = crm_account_lookup1(db,
			    crm_account_sql_by_domain, d, &a, err)) < 0) {
				rc = -1;
				goto done;
			}
			if (a != 0 || many)
				break;
		}
		if (a == 0 || many) {
			l->st.skipped++;
			continue;
		}
		if ((rc = employ(l, pl[i].contact, a, NULL, NULL, 0, &what,
		    err)) < 0)
			goto done;
		if (what == 1)
			l->st.linked++;
		else
			l->st.unchanged++;
	}
	rc = 0;
done:
	for (i = 0; i < n; i++)
		free(pl[i].domain);
	free(pl);
	return rc;
}
