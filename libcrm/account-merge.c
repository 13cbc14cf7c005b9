/*
 * account-merge.c - duplicate accounts found, merged and unmerged.
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

/* Duplicates. */

struct dacc {
	int64_t id, parent;
	char *name, *key, *domain, *first;
};

struct dpair {
	int64_t a, b;
	double score;
	int reason;	/* 0 domain, 1 name, 2 similar name */
};

static const char *const reasons[] = { "domain", "name", "similar name" };

static int
cmp_pair(const void *x, const void *y)
{
	const struct dpair *p = x, *q = y;

	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	if (p->b != q->b)
		return p->b < q->b ? -1 : 1;
	return p->reason - q->reason;
}

static const struct dacc *sort_accs;
static int sort_by;

static int
cmp_idx(const void *x, const void *y)
{
	const struct dacc *p = &sort_accs[*(const size_t *)x];
	const struct dacc *q = &sort_accs[*(const size_t *)y];
	const char *s = sort_by == 0 ? p->domain : sort_by == 1 ? p->key :
	    p->first;
	const char *t = sort_by == 0 ? q->domain : sort_by == 1 ? q->key :
	    q->first;
	int c = strcmp(s ? s : "", t ? t : "");

	return c != 0 ? c : (p->id < q->id ? -1 : p->id > q->id);
}

static const struct dacc *
dacc_find(const struct dacc *acc, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (acc[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && acc[lo].id == id ? &acc[lo] : NULL;
}

/* 1 if one of x and y is above the other in the hierarchy. */
static int
related(const struct dacc *acc, size_t n, const struct dacc *x,
    const struct dacc *y)
{
	const struct dacc *p;
	int hops, k;

	for (k = 0; k < 2; k++) {
		const struct dacc *from = k ? y : x, *to = k ? x : y;

		for (p = from, hops = 0; p != NULL && p->parent != 0 &&
		    hops < MAX_DEPTH; hops++) {
			if (p->parent == to->id)
				return 1;
			p = dacc_find(acc, n, p->parent);
		}
	}
	return 0;
}

#define GROUP_MAX 200	/* pairs are looked for within groups this big */

int
crm_account_dupes(struct crm_db *db, double min_score, struct crm_out *o,
    int64_t *npairs, struct crm_error *err)
{
	static const char *const names[] = { "survivor_id", "merged_id",
	    "survivor_name", "merged_name", "score", "reason" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_TEXT };
	struct dacc *acc = NULL, *na;
	struct dpair *pairs = NULL, *np;
	size_t n = 0, alloc = 0, npair = 0, apair = 0, *ix = NULL, i, j, k, g;
	struct crm_stmt *st;
	int rc = -1, by;

	*npairs = 0;
	if ((st = crm_db_stmt(db, "SELECT id, name, name_key, domain,"
	    " parent_id FROM accounts WHERE merged_into IS NULL ORDER BY id",
	    err)) == NULL)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		const char *key = crm_db_col_text(st, 2), *sp;

		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			if ((na = reallocarray(acc, alloc, sizeof(*acc))) ==
			    NULL) {
				crm_db_reset(st);
				crm_error_set(err, CRM_EFAIL, "out of memory");
				rc = -1;
				goto done;
			}
			acc = na;
		}
		memset(&acc[n], 0, sizeof(acc[n]));
		acc[n].id = crm_db_col_int(st, 0);
		acc[n].parent = crm_db_col_int(st, 4);
		sp = strchr(key, ' ');
		if ((acc[n].name = strdup(crm_db_col_text(st, 1))) == NULL ||
		    (acc[n].key = strdup(key)) == NULL ||
		    (acc[n].first = strndup(key, sp ? (size_t)(sp - key) :
		    strlen(key))) == NULL ||
		    (!crm_db_col_isnull(st, 3) && (acc[n].domain =
		    strdup(crm_db_col_text(st, 3))) == NULL)) {
			n++;
			crm_db_reset(st);
			crm_error_set(err, CRM_EFAIL, "out of memory");
			rc = -1;
			goto done;
		}
		n++;
	}
	if (rc < 0)
		goto done;
	rc = -1;
	if (n > 0 && (ix = calloc(n, sizeof(*ix))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	sort_accs = acc;
	for (by = 0; by < 3; by++) {
		for (i = 0; i < n; i++)
			ix[i] = i;
		sort_by = by;
		qsort(ix, n, sizeof(*ix), cmp_idx);
		for (i = 0; i < n; i = j) {
			const struct dacc *p = &acc[ix[i]];
			const char *gk = by == 0 ? p->domain :
			    by == 1 ? p->key : p->first;

			for (j = i + 1; j < n; j++) {
				const struct dacc *q = &acc[ix[j]];
				const char *qk = by == 0 ? q->domain : by == 1 ?
				    q->key : q->first;

				if (gk == NULL || qk == NULL ||
				    strcmp(gk, qk) != 0)
					break;
			}
			if (gk == NULL || *gk == '\0' || j - i < 2 ||
			    j - i > GROUP_MAX)
				continue;
			for (g = i; g < j; g++)
				for (k = g + 1; k < j; k++) {
					const struct dacc *x = &acc[ix[g]];
					const struct dacc *y = &acc[ix[k]];
					double s = 1;

					/* A subsidiary often has its
					 * parent's name: not a duplicate. */
					if (related(acc, n, x, y))
						continue;
					if (by == 2) {
						s = crm_match_jw_str(x->key,
						    y->key);
						if (s < min_score ||
						    strcmp(x->key, y->key) == 0)
							continue;
					}
					if (npair == apair) {
						apair = apair ? apair * 2 : 256;
						if ((np = reallocarray(pairs,
						    apair, sizeof(*np))) ==
						    NULL) {
							crm_error_set(err,
							    CRM_EFAIL, "out of"
							    " memory");
							goto done;
						}
						pairs = np;
					}
					pairs[npair].a = x->id < y->id ? x->id :
					    y->id;
					pairs[npair].b = x->id < y->id ? y->id :
					    x->id;
					pairs[npair].score = s;
					pairs[npair].reason = by;
					npair++;
				}
		}
	}
	if (npair > 0)
		qsort(pairs, npair, sizeof(*pairs), cmp_pair);
	if (crm_out_header(o, names, types, 6, err) < 0)
		goto done;
	for (i = 0; i < npair; i++) {
		char sa[24], sb[24], sc[16];
		const char *vals[6];
		const struct dacc *x = NULL, *y = NULL;
		size_t lo, hi;

		if (i > 0 && pairs[i].a == pairs[i - 1].a &&
		    pairs[i].b == pairs[i - 1].b)
			continue;
		/* acc is in id order: find both by bisection. */
		for (k = 0; k < 2; k++) {
			int64_t want = k == 0 ? pairs[i].a : pairs[i].b;

			lo = 0;
			hi = n;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;

				if (acc[mid].id < want)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (k == 0)
				x = &acc[lo];
			else
				y = &acc[lo];
		}
		snprintf(sa, sizeof(sa), "%lld", (long long)pairs[i].a);
		snprintf(sb, sizeof(sb), "%lld", (long long)pairs[i].b);
		snprintf(sc, sizeof(sc), "%.4f", pairs[i].score);
		vals[0] = sa;
		vals[1] = sb;
		vals[2] = x->name;
		vals[3] = y->name;
		vals[4] = sc;
		vals[5] = reasons[pairs[i].reason];
		if (crm_out_row(o, vals, err) < 0)
			goto done;
		(*npairs)++;
	}
	rc = 0;
done:
	for (i = 0; i < n; i++) {
		free(acc[i].name);
		free(acc[i].key);
		free(acc[i].domain);
		free(acc[i].first);
	}
	free(acc);
	free(pairs);
	free(ix);
	return rc;
}

/* Merges. */

#define SNAP_COLS "'name', name, 'name_key', name_key, 'domain', domain," \
	" 'industry', industry, 'size', size, 'country', country," \
	" 'owner', owner, 'type', type, 'parent_id', parent_id," \
	" 'partner_id', partner_id, 'person_id', person_id, 'attrs', attrs," \
	" 'updated_at', updated_at"

/*
 * What a merge changes, kept for unmerge.  PostgreSQL spells SQLite's
 * json_object() json_build_object() (a function of any arguments cannot
 * be written in SQL or PL/pgSQL).
 */
#define SQL_SNAPSHOT(obj) "INSERT INTO account_merges (at, survivor_id," \
	" merged_id, before) SELECT ?3, ?1, ?2," \
	" " obj "('survivor', (SELECT " obj "(" SNAP_COLS ")" \
	" FROM accounts WHERE id = ?1)," \
	" 'people', (SELECT json_group_array(id) FROM account_contacts" \
	" WHERE account_id = ?2)," \
	" 'children', (SELECT json_group_array(id) FROM accounts" \
	" WHERE parent_id = ?2)," \
	" 'sourced', (SELECT json_group_array(id) FROM accounts" \
	" WHERE partner_id = ?2)," \
	" 'contacts', (SELECT json_group_array(id) FROM" \
	" contact_partners WHERE partner_id = ?2))"

static const char sql_snapshot[] = SQL_SNAPSHOT("json_object");
static const char sql_snapshot_pg[] = SQL_SNAPSHOT("json_build_object");

int
crm_account_related(struct crm_db *db, int64_t a, int64_t b,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int k, rc;

	for (k = 0; k < 2; k++) {
		if ((st = crm_db_stmt(db, "WITH RECURSIVE up(id, n) AS (SELECT"
		    " parent_id, 0 FROM accounts WHERE id = ?1 UNION ALL SELECT"
		    " a.parent_id, n + 1 FROM accounts a JOIN up"
		    " ON a.id = up.id"
		    " WHERE n < 64) SELECT 1 FROM up WHERE id = ?2 LIMIT 1",
		    err)) == NULL ||
		    crm_db_bind_int(db, st, 1, k ? b : a, err) < 0 ||
		    crm_db_bind_int(db, st, 2, k ? a : b, err) < 0 ||
		    (rc = crm_db_step(db, st, err)) < 0)
			return -1;
		if (rc == 1) {
			crm_db_reset(st);
			return 1;
		}
	}
	return 0;
}

int
crm_account_merge(struct crm_db *db, int64_t survivor, int64_t merged,
    int64_t *merge_id, struct crm_error *err)
{
	struct crm_stmt *st;
	int64_t now = crm_now(), s, m;
	int rc;

	if (crm_account_root(db, survivor, &s, err) < 0 ||
	    crm_account_root(db, merged, &m, err) < 0)
		return -1;
	if (m != merged)
		return crm_error_set(err, CRM_EDATA, "account #%lld was merged"
		    " into #%lld before", (long long)merged, (long long)m);
	if (s == m)
		return crm_error_set(err, CRM_EDATA, "account #%lld: cannot"
		    " merge an account into itself", (long long)m);
	/* Refuse when the merged account is above the survivor. */
	if ((st = crm_db_stmt(db, "WITH RECURSIVE up(id, n) AS (SELECT"
	    " parent_id, 0 FROM accounts WHERE id = ?1 UNION ALL SELECT"
	    " a.parent_id, n + 1 FROM accounts a JOIN up ON a.id = up.id"
	    " WHERE n < 64) SELECT 1 FROM up WHERE id = ?2 LIMIT 1",
	    err)) == NULL || crm_db_bind_int(db, st, 1, s, err) < 0 ||
	    crm_db_bind_int(db, st, 2, m, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 1) {
		crm_db_reset(st);
		return crm_error_set(err, CRM_EDATA, "account #%lld is a parent"
		    " of #%lld: merge the other way", (long long)m,
		    (long long)s);
	}
	if ((st = crm_db_stmt(db, crm_db_is_pg(db) ? sql_snapshot_pg :
	    sql_snapshot, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, s, err) < 0 ||
	    crm_db_bind_int(db, st, 2, m, err) < 0 ||
	    crm_db_bind_int(db, st, 3, now, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	/*
	 * An INSERT ... SELECT: PostgreSQL returns no id for it
	 * (db-pg.c); the writer holds the lock, so the newest is ours.
	 */
	if (crm_db_query_int(db, "SELECT max(id) FROM account_merges",
	    merge_id, err) < 0)
		return -1;
	/* Survivorship: the survivor's values, its gaps filled. */
	if ((st = crm_db_stmt(db, "UPDATE accounts SET"
	    " domain = coalesce(accounts.domain, m.domain),"
	    " industry = coalesce(accounts.industry, m.industry),"
	    " size = coalesce(accounts.size, m.size),"
	    " country = coalesce(accounts.country, m.country),"
	    " owner = coalesce(accounts.owner, m.owner),"
	    " type = coalesce(accounts.type, m.type),"
	    " partner_id = coalesce(accounts.partner_id, m.partner_id),"
	    " person_id = coalesce(accounts.person_id, m.person_id),"
	    " parent_id = coalesce(accounts.parent_id,"
	    "  CASE WHEN m.parent_id NOT IN"
	    "  (WITH RECURSIVE down(id) AS (VALUES (?1) UNION SELECT a.id"
	    "  FROM accounts a JOIN down ON a.parent_id = down.id)"
	    "  SELECT id FROM down) THEN m.parent_id END),"
	    " attrs = CASE WHEN m.attrs IS NULL THEN accounts.attrs ELSE"
	    "  json_patch(m.attrs, coalesce(accounts.attrs, '{}')) END,"
	    " updated_at = ?3"
	    " FROM (SELECT * FROM accounts WHERE id = ?2) AS m"
	    " WHERE accounts.id = ?1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, s, err) < 0 ||
	    crm_db_bind_int(db, st, 2, m, err) < 0 ||
	    crm_db_bind_int(db, st, 3, now, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	if ((st = crm_db_stmt(db, "UPDATE account_contacts SET account_id = ?1"
	    " WHERE account_id = ?2", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, s, err) < 0 ||
	    crm_db_bind_int(db, st, 2, m, err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE accounts SET parent_id = ?1,"
	    " updated_at = ?3 WHERE parent_id = ?2", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, s, err) < 0 ||
	    crm_db_bind_int(db, st, 2, m, err) < 0 ||
	    crm_db_bind_int(db, st, 3, now, err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE accounts SET partner_id = ?1,"
	    " updated_at = ?3 WHERE partner_id = ?2", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, s, err) < 0 ||
	    crm_db_bind_int(db, st, 2, m, err) < 0 ||
	    crm_db_bind_int(db, st, 3, now, err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE contact_partners SET partner_id = ?1"
	    " WHERE partner_id = ?2", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, s, err) < 0 ||
	    crm_db_bind_int(db, st, 2, m, err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE accounts SET merged_into = ?1,"
	    " updated_at = ?3 WHERE id = ?2", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, s, err) < 0 ||
	    crm_db_bind_int(db, st, 2, m, err) < 0 ||
	    crm_db_bind_int(db, st, 3, now, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	return 0;
}

int
crm_account_unmerge(struct crm_db *db, int64_t merged, int64_t *merge_id,
    int64_t *survivor, struct crm_error *err)
{
	struct crm_stmt *st;
	int64_t id, s, later;
	int rc;

	if ((st = crm_db_stmt(db, "SELECT id, survivor_id FROM account_merges"
	    " WHERE merged_id = ?1 AND undone_at IS NULL ORDER BY id DESC"
	    " LIMIT 1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, merged, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 0)
		return crm_error_set(err, CRM_EDATA, "account #%lld is not"
		    " merged into another", (long long)merged);
	id = crm_db_col_int(st, 0);
	s = crm_db_col_int(st, 1);
	crm_db_reset(st);
	if ((st = crm_db_stmt(db, "SELECT id FROM account_merges WHERE"
	    " id > ?1 AND undone_at IS NULL AND (survivor_id = ?2 OR"
	    " merged_id = ?2) ORDER BY id DESC LIMIT 1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, s, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 1) {
		later = crm_db_col_int(st, 0);
		crm_db_reset(st);
		crm_error_set(err, CRM_EDATA, "account #%lld: merge %lld"
		    " into #%lld came later; undo it first",
		    (long long)merged, (long long)later, (long long)s);
		return 1;
	}
#define SNAP(c) " " c " = json_extract(b.before, '$.survivor." c "'),"
#define SNAPI(c) " " c " = CAST(json_extract(b.before, '$.survivor." c \
	"') AS BIGINT),"
	if ((st = crm_db_stmt(db, "UPDATE accounts SET"
	    SNAP("name") SNAP("name_key") SNAP("domain") SNAP("industry")
	    SNAP("size") SNAP("country") SNAP("owner") SNAP("type")
	    SNAPI("parent_id") SNAPI("partner_id") SNAPI("person_id")
	    " attrs = json_extract(b.before, '$.survivor.attrs'),"
	    " updated_at = CAST(json_extract(b.before,"
	    " '$.survivor.updated_at') AS BIGINT)"
	    " FROM (SELECT before FROM account_merges WHERE id = ?1) AS b"
	    " WHERE accounts.id = ?2", err)) == NULL ||
#undef SNAP
#undef SNAPI
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, s, err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE account_contacts SET account_id = ?2"
	    " WHERE id IN (SELECT CAST(value AS BIGINT) FROM account_merges,"
	    " json_each(before, '$.people') WHERE account_merges.id = ?1)",
	    err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, merged, err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE accounts SET parent_id = ?2"
	    " WHERE id IN (SELECT CAST(value AS BIGINT) FROM account_merges,"
	    " json_each(before, '$.children') WHERE account_merges.id = ?1)",
	    err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, merged, err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE accounts SET partner_id = ?2"
	    " WHERE id IN (SELECT CAST(value AS BIGINT) FROM account_merges,"
	    " json_each(before, '$.sourced') WHERE account_merges.id = ?1)",
	    err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, merged, err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE contact_partners SET partner_id = ?2"
	    " WHERE id IN (SELECT CAST(value AS BIGINT) FROM account_merges,"
	    " json_each(before, '$.contacts') WHERE account_merges.id = ?1)",
	    err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, merged, err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE accounts SET merged_into = NULL"
	    " WHERE id = ?1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, merged, err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE account_merges SET undone_at = ?2"
	    " WHERE id = ?1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, crm_now(), err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	*merge_id = id;
	*survivor = s;
	return 0;
}

/* Merging from a command line or a file. */

int
crm_account_merge_header(struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "merge_id", "survivor_id",
	    "merged_id" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM };

	return crm_out_header(o, names, types, 3, err);
}

static int
merge_row(struct crm_out *o, int64_t id, int64_t s, int64_t m,
    struct crm_error *err)
{
	char a[24], b[24], c[24];
	const char *v[3] = { c, a, b };

	snprintf(a, sizeof(a), "%lld", (long long)s);
	snprintf(b, sizeof(b), "%lld", (long long)m);
	snprintf(c, sizeof(c), "%lld", (long long)id);
	return crm_out_row(o, v, err);
}

/* An account as merge input: its id ("17", "#17"), or with follow a key. */
static int
account_arg(struct crm_db *db, const char *s, int follow, int64_t *id,
    struct crm_error *err)
{
	char q[CRM_QUOTE_MAX];
	char *end;
	const char *p;
	size_t len;

	p = crm_trim(s, &len);
	if (len > 0 && *p == '#') {
		p++;
		len--;
	}
	errno = 0;
	*id = len > 0 && isdigit((unsigned char)*p) ? strtoll(p, &end, 10) :
	    0;
	if (*id > 0 && errno == 0 && end == p + len)
		return 0;
	if (!follow)
		return crm_error_set(err, CRM_EUSAGE, "'%s': give the merged"
		    " account's id", crm_quote(q, s, strlen(s)));
	return crm_account_resolve(db, s, id, err);
}

int
crm_account_merge_pairs(struct crm_db *db, struct crm_csv *r,
    struct crm_out *o, struct crm_account_merge_stats *st,
    struct crm_error *err)
{
	static const struct crm_csv_col cols[3] = {
		{ "survivor_id", NULL }, { "merged_id", NULL },
		{ "merge", "match" } };
	int64_t s, m, id;
	int idx[3], rc, yes;

	if (crm_csv_header(r, cols, 3, idx, err) < 0)
		return -1;
	if (idx[0] < 0 || idx[1] < 0)
		return crm_error_set(err, CRM_EDATA, "%s: needs survivor_id and"
		    " merged_id columns", crm_csv_name(r));
	while ((rc = crm_csv_next(r, err)) == 1) {
		if (idx[2] >= 0 && crm_norm_bool(crm_csv_field(r, idx[2]),
		    &yes, NULL) == 0 && yes == 0) {
			st->skipped++;
			continue;
		}
		/* A cluster in pairs: merge into the oldest. */
		if (account_arg(db, crm_csv_field(r, idx[0]), 1, &s, err) < 0 ||
		    account_arg(db, crm_csv_field(r, idx[1]), 0, &m, err) < 0 ||
		    crm_account_root(db, s, &s, err) < 0 ||
		    crm_account_root(db, m, &m, err) < 0)
			goto fail;
		if (s == m) {
			st->skipped++;
			continue;
		}
		/* Joined through another pair: not a parent and its
		 * subsidiary (merge those by naming them). */
		if ((rc = crm_account_related(db, s, m, err)) < 0)
			goto fail;
		if (rc == 1) {
			st->apart++;
			continue;
		}
		if (s > m) {
			id = s;
			s = m;
			m = id;
		}
		if (crm_account_merge(db, s, m, &id, err) < 0 ||
		    merge_row(o, id, s, m, err) < 0)
			goto fail;
		st->merged++;
	}
	return rc;
fail:
	return crm_error_prefix(err, "%s:%ld", crm_csv_name(r),
	    crm_csv_line(r));
}

int
crm_account_merge_list(struct crm_db *db, char *const *keys, int n,
    struct crm_out *o, struct crm_account_merge_stats *st,
    struct crm_error *err)
{
	int64_t s, m, id;
	int i;

	if (n % 2 != 0)
		return crm_error_set(err, CRM_EUSAGE, "give accounts in pairs:"
		    " survivor merged");
	for (i = 0; i + 1 < n; i += 2) {
		if (account_arg(db, keys[i], 1, &s, err) < 0 ||
		    account_arg(db, keys[i + 1], 0, &m, err) < 0 ||
		    crm_account_merge(db, s, m, &id, err) < 0 ||
		    merge_row(o, id, s, m, err) < 0)
			return -1;
		st->merged++;
	}
	return 0;
}

struct undo {
	int64_t merged, merge;
};

static int
cmp_undo(const void *x, const void *y)
{
	const struct undo *a = x, *b = y;

	return a->merge < b->merge ? 1 : a->merge > b->merge ? -1 : 0;
}

int
crm_account_unmerge_list(struct crm_db *db, char *const *keys, int n,
    struct crm_out *o, struct crm_account_merge_stats *st,
    struct crm_error *err)
{
	struct undo *u;
	struct crm_stmt *q;
	int64_t s, id;
	int i, rc = -1;

	if ((u = calloc((size_t)n + 1, sizeof(*u))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	/* Newest first: each in the order of its latest merge. */
	for (i = 0; i < n; i++) {
		if (account_arg(db, keys[i], 0, &u[i].merged, err) < 0 ||
		    (q = crm_db_stmt(db, "SELECT max(id) FROM account_merges"
		    " WHERE merged_id = ?1 AND undone_at IS NULL", err)) ==
		    NULL || crm_db_bind_int(db, q, 1, u[i].merged, err) < 0 ||
		    crm_db_step(db, q, err) < 0)
			goto done;
		u[i].merge = crm_db_col_int(q, 0);
		crm_db_reset(q);
	}
	qsort(u, (size_t)n, sizeof(*u), cmp_undo);
	for (i = 0; i < n; i++) {
		if ((rc = crm_account_unmerge(db, u[i].merged, &id, &s,
		    err)) != 0) {
			rc = -1;
			goto done;
		}
		if (merge_row(o, id, s, u[i].merged, err) < 0) {
			rc = -1;
			goto done;
		}
		st->undone++;
	}
	rc = 0;
done:
	free(u);
	return rc;
}

int
crm_account_merge_run(struct crm_db *db, int undo, const char *input,
    int tsv, char *const *keys, int n, struct crm_out *o,
    struct crm_account_merge_stats *st, struct crm_error *err)
{
	struct crm_csv *r;
	int rc;

	if (crm_account_merge_header(o, err) < 0)
		return -1;
	if (undo)
		return crm_account_unmerge_list(db, keys, n, o, st, err);
	if (input == NULL)
		return crm_account_merge_list(db, keys, n, o, st, err);
	if ((r = crm_csv_open(input, tsv ? CRM_CSV_TSV : 0, err)) == NULL)
		return -1;
	rc = crm_account_merge_pairs(db, r, o, st, err);
	crm_csv_close(r);
	return rc;
}
