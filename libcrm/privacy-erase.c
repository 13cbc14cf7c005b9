/*
 * privacy-erase.c - an erasure's run: the erased list's entries, the
 * audit scrubbed of the person's values, the rows of every table that
 * refers to them, the tombstone.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "norm.h"
#include "privacy.h"
#include "privacy-int.h"

static int
count_table(struct crm_erasure *er, const char *name, int64_t n,
    struct crm_error *err)
{
	struct tabcount *p;
	size_t i;

	er->st.rows += n;
	for (i = 0; i < er->ntc; i++)
		if (strcmp(er->tc[i].name, name) == 0) {
			er->tc[i].n += n;
			return 0;
		}
	if ((p = reallocarray(er->tc, er->ntc + 1, sizeof(*p))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	er->tc = p;
	if ((p[er->ntc].name = privacy_dup(name, err)) == NULL)
		return -1;
	p[er->ntc++].n = n;
	return 0;
}

/*
 * List a record's keys, unless another contact still has the email or
 * phone; take its email and phone out of the audit's arguments.
 */
static int
list_record(struct crm_erasure *er, const char *const v[3],
    struct crm_error *err)
{
	static const char *const sql_shared[2] = {
		"SELECT id FROM contacts WHERE email = ?1 AND erased_at IS NULL"
		" AND id NOT IN (SELECT id FROM crm_erase) LIMIT 1",
		"SELECT id FROM contacts WHERE phone = ?1 AND erased_at IS NULL"
		" AND id NOT IN (SELECT id FROM crm_erase) LIMIT 1",
	};
	struct crm_stmt *st;
	int64_t other;
	size_t i;
	int k, rc;

	if (v[0] != NULL && privacy_list_add(er, "external_id", v[0], err) < 0)
		return -1;
	for (k = 0; k < 2; k++) {
		if (v[k + 1] == NULL)
			continue;
		if ((st = crm_db_stmt(er->db, sql_shared[k], err)) == NULL ||
		    crm_db_bind_text(er->db, st, 1, v[k + 1], err) < 0 ||
		    (rc = crm_db_step(er->db, st, err)) < 0)
			return -1;
		if (rc == 1) {
			other = crm_db_col_int(st, 0);
			crm_db_reset(st);
			er->st.shared++;
			for (i = 0; i < er->nsharers; i++)
				if (er->sharers[i] == other)
					break;
			if (i == er->nsharers && i < MAX_SHARERS)
				er->sharers[er->nsharers++] = other;
		} else if (privacy_list_add(er, k == 0 ? "email" : "phone", v[k + 1],
		    err) < 0)
			return -1;
	}
	return 0;
}

/* A byte that continues a word: a value found inside one is not it. */
static int
wordc(unsigned char c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

/*
 * The next place at or after from where val (ASCII case ignored) stands
 * in s as a word of its own, or NULL.
 */
static const char *
find_word(const char *s, const char *from, const char *val, size_t n)
{
	const char *p;

	for (p = from; *p != '\0'; p++) {
		if (strncasecmp(p, val, n) != 0)
			continue;
		if ((p == s || !wordc((unsigned char)p[-1]) ||
		    !wordc((unsigned char)val[0])) &&
		    (!wordc((unsigned char)p[n]) ||
		    !wordc((unsigned char)val[n - 1])))
			return p;
	}
	return NULL;
}

/*
 * Every audit entry's arguments with each value of the person (v, nv
 * values, NULLs skipped) replaced by "[erased]": the command lines of
 * earlier runs (a crm-segment rule, a crm-log show, a key given to
 * crm-dedupe) may name the person.  A value counts where it stands as a
 * word of its own, in any ASCII case.
 */
static int
scrub_audit(struct crm_erasure *er, char *const *v, size_t nv,
    struct crm_error *err)
{
	struct crm_buf out = CRM_BUF_INIT(64 * 1024);
	struct crm_stmt *q = NULL, *u;
	const char *args, *p, *hit;
	size_t k, n;
	int rc = -1, changed;

	for (k = 0; k < nv; k++) {
		if (v[k] == NULL || (n = strlen(v[k])) < 2)
			continue;
		/* Not cached: the loop below runs another statement. */
		if ((q = crm_db_prepare(er->db, "SELECT id, args FROM audit"
		    " WHERE instr(lower(args), lower(?1)) > 0", err)) == NULL ||
		    crm_db_bind_text(er->db, q, 1, v[k], err) < 0)
			goto done;
		while ((rc = crm_db_step(er->db, q, err)) == 1) {
			args = crm_db_col_text(q, 1);
			crm_buf_reset(&out);
			changed = 0;
			for (p = args; (hit = find_word(args, p, v[k], n)) !=
			    NULL; p = hit + n) {
				if (crm_buf_add(&out, p, (size_t)(hit - p),
				    err) < 0 || crm_buf_adds(&out, "[erased]",
				    err) < 0)
					goto done;
				changed = 1;
			}
			if (!changed)
				continue;
			if (crm_buf_adds(&out, p, err) < 0 ||
			    (u = crm_db_stmt(er->db, "UPDATE audit SET args = ?1"
			    " WHERE id = ?2", err)) == NULL ||
			    crm_db_bind_text(er->db, u, 1, crm_buf_str(&out),
			    err) < 0 || crm_db_bind_int(er->db, u, 2,
			    crm_db_col_int(q, 0), err) < 0 ||
			    crm_db_step(er->db, u, err) < 0)
				goto done;
		}
		crm_db_finalize(q);
		q = NULL;
		if (rc < 0)
			goto done;
	}
	rc = 0;
done:
	crm_db_finalize(q);
	crm_buf_release(&out);
	return rc;
}

/*
 * Note the saved segments whose rule names one of the person's values:
 * a rule is the user's own text and stays, but the user must hear of it.
 */
static int
note_rules(struct crm_erasure *er, char *const *v, size_t nv,
    struct crm_error *err)
{
	struct crm_stmt *q;
	const char *name, *rule;
	size_t k, i, n;
	int rc;

	for (k = 0; k < nv; k++) {
		if (v[k] == NULL || (n = strlen(v[k])) < 2)
			continue;
		if ((q = crm_db_stmt(er->db, "SELECT name, rule FROM segments"
		    " WHERE rule IS NOT NULL AND instr(lower(rule), lower(?1))"
		    " > 0 ORDER BY name", err)) == NULL ||
		    crm_db_bind_text(er->db, q, 1, v[k], err) < 0)
			return -1;
		while ((rc = crm_db_step(er->db, q, err)) == 1) {
			name = crm_db_col_text(q, 0);
			rule = crm_db_col_text(q, 1);
			if (find_word(rule, rule, v[k], n) == NULL)
				continue;
			for (i = 0; i < er->nrules; i++)
				if (strcmp(er->rules[i], name) == 0)
					break;
			if (i == er->nrules && i < MAX_SHARERS) {
				if ((er->rules[i] = strdup(name)) == NULL) {
					crm_db_reset(q);
					return crm_error_set(err, CRM_EFAIL,
					    "out of memory");
				}
				er->nrules++;
			}
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* The person's values that the audit may hold: keys first. */
#define NVALS 9

static int
list_records(struct crm_erasure *er, struct crm_error *err)
{
	struct crm_stmt *st;
	char *v[NVALS] = { NULL };
	int rc, k;

	/* Not cached: list_record() runs statements of its own. */
	if ((st = crm_db_prepare(er->db, "SELECT external_id, email, phone,"
	    " first_name, last_name, street, birth_date, postcode, company"
	    " FROM contacts WHERE id IN (SELECT id FROM crm_erase)"
	    " ORDER BY id", err)) == NULL)
		return -1;
	while ((rc = crm_db_step(er->db, st, err)) == 1) {
		for (k = 0; k < NVALS; k++) {
			const char *s = crm_db_col_text(st, k);

			if (s != NULL && (v[k] = privacy_dup(s, err)) == NULL)
				goto fail;
		}
		if (list_record(er, (const char *const *)v, err) < 0 ||
		    scrub_audit(er, v, NVALS, err) < 0 ||
		    note_rules(er, v, NVALS, err) < 0)
			goto fail;
		for (k = 0; k < NVALS; k++) {
			free(v[k]);
			v[k] = NULL;
		}
	}
	crm_db_finalize(st);
	return rc < 0 ? -1 : 0;
fail:
	for (k = 0; k < NVALS; k++)
		free(v[k]);
	crm_db_finalize(st);
	return -1;
}

static int
delete_refs(struct crm_erasure *er, struct crm_error *err)
{
	struct crm_buf sql = CRM_BUF_INIT(64 * 1024);
	struct reftab *t = NULL;
	size_t i, n = 0;
	int64_t changes;
	int rc = -1;

	if (privacy_reftabs(er->db, &t, &n, err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		crm_buf_reset(&sql);
		if (crm_buf_adds(&sql, "DELETE FROM ", err) < 0 ||
		    privacy_add_ident(&sql, t[i].name, err) < 0 ||
		    crm_buf_adds(&sql, " AS a WHERE ", err) < 0 ||
		    privacy_add_refwhere(&sql, &t[i], "a", "crm_erase", err) < 0 ||
		    privacy_run_sql(er->db, crm_buf_str(&sql), 0, &changes, err) < 0 ||
		    count_table(er, t[i].name, changes, err) < 0)
			goto done;
	}
	rc = 0;
done:
	crm_buf_release(&sql);
	privacy_reftabs_free(t, n);
	return rc;
}

/*
 * Reduce the records to tombstones.  The statement is made from the
 * contacts table as it is, so that a column added later is cleared too.
 */
static int
tombstone(struct crm_erasure *er, struct crm_error *err)
{
	struct crm_buf sql = CRM_BUF_INIT(64 * 1024);
	const char *name, *dflt;
	struct crm_stmt *st;
	int64_t changes;
	int rc, first = 1, ret = -1;

	if (crm_buf_adds(&sql, "UPDATE contacts SET ", err) < 0 ||
	    (st = crm_db_stmt(er->db, "SELECT name, \"notnull\", dflt_value, pk"
	    " FROM pragma_table_info('contacts') ORDER BY cid", err)) == NULL)
		goto done;
	while ((rc = crm_db_step(er->db, st, err)) == 1) {
		name = crm_db_col_text(st, 0);
		dflt = crm_db_col_text(st, 2);
		if (crm_db_col_int(st, 3) != 0)
			continue;
		if ((!first && crm_buf_adds(&sql, ", ", err) < 0) ||
		    privacy_add_ident(&sql, name, err) < 0 ||
		    crm_buf_adds(&sql, " = ", err) < 0)
			break;
		first = 0;
		if (strcmp(name, "erased_at") == 0 ||
		    strcmp(name, "created_at") == 0 ||
		    strcmp(name, "updated_at") == 0)
			rc = crm_buf_adds(&sql, "?1", err);
		else if (strcmp(name, "do_not_contact") == 0)
			rc = crm_buf_adds(&sql, "1", err);
		else if (crm_db_col_int(st, 1) == 0)
			rc = crm_buf_adds(&sql, "NULL", err);
		else if (dflt != NULL)
			rc = crm_buf_addf(&sql, err, "(%s)", dflt);
		else
			rc = crm_error_set(err, CRM_EFAIL, "contacts.%s: NOT NULL"
			    " without a default: cannot erase it", name);
		if (rc < 0)
			break;
	}
	if (rc != 0) {
		crm_db_reset(st);
		goto done;
	}
	if (crm_buf_adds(&sql, " WHERE id IN (SELECT id FROM crm_erase)",
	    err) < 0 ||
	    privacy_run_sql(er->db, crm_buf_str(&sql), crm_now(), &changes, err) < 0)
		goto done;
	er->st.records += changes;
	ret = 0;
done:
	crm_buf_release(&sql);
	return ret;
}

int
crm_erasure_run(struct crm_erasure *er, struct crm_error *err)
{
	int64_t n;

	if (!er->have_temp)
		return 0;
	if (crm_db_query_int(er->db, "SELECT count(*) FROM crm_erase", &n,
	    err) < 0)
		return -1;
	if (n == 0)
		return 0;
	/* Zero what the statements below free, in pages and the log. */
	if (privacy_secure(er->db, err) < 0 ||
	    list_records(er, err) < 0 || delete_refs(er, err) < 0 ||
	    tombstone(er, err) < 0 ||
	    crm_db_exec(er->db, "DELETE FROM crm_erase", err) < 0)
		return -1;
	return 0;
}

int
crm_erasure_counts(const struct crm_erasure *er, struct crm_buf *out,
    struct crm_error *err)
{
	const struct crm_erasure_stats *s = &er->st;
	size_t i;

	if (crm_buf_addf(out, err, "{\"subjects\":%lld,\"records\":%lld,"
	    "\"rows\":%lld,\"already\":%lld,\"listed\":%lld,\"shared\":%lld,"
	    "\"deleted\":{", (long long)s->subjects, (long long)s->records,
	    (long long)s->rows, (long long)s->already, (long long)s->listed,
	    (long long)s->shared) < 0)
		return -1;
	for (i = 0; i < er->ntc; i++)
		if (crm_buf_addf(out, err, "%s\"%s\":%lld", i ? "," : "",
		    er->tc[i].name, (long long)er->tc[i].n) < 0)
			return -1;
	return crm_buf_adds(out, "}}", err);
}

int
crm_erasure_tag(struct crm_erasure *er, const char *key, struct crm_buf *out,
    struct crm_error *err)
{
	struct crm_buf b = CRM_BUF_INIT(4096);
	const char *k, *s;
	char hash[65];
	size_t len;
	int rc = -1;

	s = crm_trim(key, &len);
	if ((k = privacy_salt(er, err)) == NULL || crm_buf_add(&b, s, len, err) < 0)
		goto done;
	privacy_hmac_hex(k, "key", crm_buf_str(&b), hash);
	rc = crm_buf_addf(out, err, "key:%.16s", hash);
done:
	crm_buf_release(&b);
	return rc;
}
