/*
 * campaign-create.c - choosing a campaign's members: the targets (a file
 * or a segment), the reasons a contact is left out, the control group;
 * the suppressed list.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "campaign.h"
#include "campaign-int.h"
#include "household.h"
#include "norm.h"

/*
 * All the reasons, for the selection: ?2 the campaign, ?5 1 to check
 * other campaigns, ?6 the cap (0 for none) over (?7, ?8].  The cap counts
 * at most ?6 rows per contact, so a busy contact costs no more than a
 * quiet one.
 */
#define SQL_REASON_ALL \
	"CASE" SQL_REASON_CONTACT \
	" WHEN ?5 <> 0 AND EXISTS (SELECT 1 FROM campaign_members o" \
	"   JOIN campaigns k ON k.id = o.campaign_id" \
	"   WHERE o.contact_id = c.id AND o.campaign_id <> ?2" \
	"   AND o.grp <> 'suppressed' AND k.state <> 'closed')" \
	"   THEN 'other_campaign'" \
	" WHEN ?6 > 0 AND (SELECT count(*) FROM (SELECT 1 FROM interactions i" \
	"   WHERE i.contact_id = c.id AND i.at > ?7 AND i.at <= ?8" \
	"   AND i.direction = 'out' LIMIT ?6) AS x) >= ?6 THEN 'frequency_cap'" \
	" END"

/*
 * The candidates with their reasons, materialised once: flattened into
 * the query below, the CASE (and its frequency cap) would be evaluated
 * once for the group and again for the reason.
 */
#define SQL_CANDIDATES(stratum) \
	"WITH s AS MATERIALIZED (SELECT k.contact_id AS id, " \
	SQL_REASON_ALL " AS reason" stratum \
	" FROM crm_campaign_cand k JOIN contacts c ON c.id = k.contact_id)"

/* ?3 the campaign name (the hash key), ?4 the share. */
static const char sql_members[] =
    SQL_CANDIDATES("")
    " INSERT INTO campaign_members (campaign_id, contact_id, grp, reason)"
    " SELECT ?2, id, CASE WHEN reason IS NOT NULL THEN 'suppressed'"
    "   WHEN crm_campaign_u(?3, id) < ?4 THEN 'control' ELSE 'target' END,"
    "   reason FROM s";	/* in id order already: the scan of k is */

/* Stratified: ?9 1 to take the stratum from the input, else the saved
 * segments the contact is in. */
static const char sql_members_strat[] =
    SQL_CANDIDATES(", CASE WHEN ?9 <> 0 THEN coalesce(k.stratum, '')"
    "   ELSE coalesce((SELECT group_concat(segment_id) FROM"
    "     (SELECT g.segment_id FROM segment_members g"
    "      WHERE g.contact_id = c.id ORDER BY g.segment_id) AS g), '')"
    "   END AS st")
    " INSERT INTO campaign_members (campaign_id, contact_id, grp, reason)"
    " SELECT ?2, id, CASE WHEN reason IS NOT NULL THEN 'suppressed'"
    "   WHEN floor(rn * ?4 + us) > floor((rn - 1) * ?4 + us)"
    "     THEN 'control' ELSE 'target' END, reason"
    " FROM (SELECT id, reason, crm_campaign_u(?3, st) AS us,"
    "   row_number() OVER (PARTITION BY reason IS NULL, st"
    "     ORDER BY crm_campaign_u(?3, id), id) AS rn FROM s) AS m"
    " ORDER BY id";

/* Targets. */

enum { T_ID, T_EXTERNAL_ID, T_EMAIL, T_SEGMENT, NTCOL };

static const struct crm_csv_col tcols[NTCOL] = {
	{ "id", "contact_id" },
	{ "external_id", "externalid|customer_id|customer_number|ext_id" },
	{ "email", "e_mail|email_address|mail_address" },
	{ "segment", "segment_name|rfm_segment|stratum" },
};

struct crm_campaign_targets {
	struct crm_db *db;
	int idx[NTCOL];
	int staging;		/* the temporary transaction is open */
	int has_stratum;	/* some input had a segment column */
	char **names;		/* file names, for messages */
	size_t nnames;
	int64_t n;
	struct crm_buf email;
};

static const char sql_temp_tables[] =
    "CREATE TEMP TABLE IF NOT EXISTS crm_campaign_input ("
    "  seq INTEGER PRIMARY KEY, src INTEGER, line INTEGER, id INTEGER,"
    "  ext TEXT, email TEXT, stratum TEXT, contact_id INTEGER);"
    "CREATE TEMP TABLE IF NOT EXISTS crm_campaign_cand ("
    "  contact_id INTEGER PRIMARY KEY, stratum TEXT);"
    "DELETE FROM crm_campaign_input;"
    "DELETE FROM crm_campaign_cand;";

struct crm_campaign_targets *
crm_campaign_targets_new(struct crm_db *db, struct crm_error *err)
{
	struct crm_campaign_targets *t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	t->db = db;
	crm_buf_init(&t->email, 4096);
	/* A deferred transaction that writes only the temporary database:
	 * no lock on the crm database while the input is read. */
	if (crm_db_exec(db, sql_temp_tables, err) < 0 ||
	    crm_db_exec(db, "BEGIN", err) < 0) {
		crm_campaign_targets_free(t);
		return NULL;
	}
	t->staging = 1;
	return t;
}

void
crm_campaign_targets_free(struct crm_campaign_targets *t)
{
	size_t i;

	if (t == NULL)
		return;
	if (t->staging)
		crm_db_rollback(t->db);
	for (i = 0; i < t->nnames; i++)
		free(t->names[i]);
	free(t->names);
	crm_buf_release(&t->email);
	free(t);
}

int
crm_campaign_targets_end(struct crm_campaign_targets *t,
    struct crm_error *err)
{
	if (!t->staging)
		return 0;
	if (crm_db_exec(t->db, "COMMIT", err) < 0)
		return -1;
	t->staging = 0;
	return 0;
}

int64_t
crm_campaign_targets_count(const struct crm_campaign_targets *t)
{
	return t->n;
}

int
crm_campaign_targets_header(struct crm_campaign_targets *t, struct crm_csv *r,
    struct crm_error *err)
{
	char **p;

	if (crm_csv_header(r, tcols, NTCOL, t->idx, err) < 0)
		return -1;
	if (t->idx[T_ID] < 0 && t->idx[T_EXTERNAL_ID] < 0 &&
	    t->idx[T_EMAIL] < 0)
		return crm_error_set(err, CRM_EDATA, "%s: no id, external_id or"
		    " email column to name the contacts", crm_csv_name(r));
	if (t->idx[T_SEGMENT] >= 0)
		t->has_stratum = 1;
	if ((p = reallocarray(t->names, t->nnames + 1, sizeof(*p))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	t->names = p;
	if ((p[t->nnames] = strdup(crm_csv_name(r))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	t->nnames++;
	return 0;
}

static const char *
tfield(struct crm_campaign_targets *t, struct crm_csv *r, int f, size_t *len)
{
	const char *v;

	if (t->idx[f] < 0)
		return NULL;
	v = crm_trim(crm_csv_field(r, t->idx[f]), len);
	return *len ? v : NULL;
}

static const char sql_stage[] =
    "INSERT INTO crm_campaign_input (seq, src, line, id, ext, email,"
    " stratum) VALUES (?7, ?1, ?2, ?3, ?4, ?5, ?6)";

int
crm_campaign_targets_row(struct crm_campaign_targets *t, struct crm_csv *r,
    struct crm_error *err)
{
	struct crm_db *db = t->db;
	char q[CRM_QUOTE_MAX], *ext = NULL, *seg = NULL, *end;
	const char *v, *email = NULL;
	struct crm_stmt *st;
	long long id = 0;
	size_t len;
	int rc = -1;

	if ((v = tfield(t, r, T_ID, &len)) != NULL) {
		if (*v == '#')
			v++, len--;
		errno = 0;
		id = len && isdigit((unsigned char)*v) ?
		    strtoll(v, &end, 10) : 0;
		if (errno != 0 || id <= 0 || end != v + len) {
			crm_error_set(err, CRM_EDATA, "%s:%ld: invalid id '%s'",
			    crm_csv_name(r), crm_csv_line(r), crm_quote(q, v,
			    len));
			goto done;
		}
	} else if ((v = tfield(t, r, T_EXTERNAL_ID, &len)) != NULL) {
		if ((ext = strndup(v, len)) == NULL)
			goto nomem;
	} else if ((v = tfield(t, r, T_EMAIL, &len)) != NULL) {
		crm_buf_reset(&t->email);
		if (crm_norm_email(v, &t->email, err) < 0) {
			crm_error_prefix(err, "%s:%ld", crm_csv_name(r),
			    crm_csv_line(r));
			goto done;
		}
		email = crm_buf_str(&t->email);
	} else {
		crm_error_set(err, CRM_EDATA, "%s:%ld: no contact: id,"
		    " external_id and email are all empty", crm_csv_name(r),
		    crm_csv_line(r));
		goto done;
	}
	if ((v = tfield(t, r, T_SEGMENT, &len)) != NULL &&
	    (seg = strndup(v, len)) == NULL)
		goto nomem;
	if ((st = crm_db_stmt(db, sql_stage, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, (int64_t)t->nnames - 1, err) < 0 ||
	    crm_db_bind_int(db, st, 2, crm_csv_line(r), err) < 0 ||
	    (id ? crm_db_bind_int(db, st, 3, id, err) :
	    crm_db_bind_null(db, st, 3, err)) < 0 ||
	    crm_db_bind_text(db, st, 4, ext, err) < 0 ||
	    crm_db_bind_text(db, st, 5, email, err) < 0 ||
	    crm_db_bind_text(db, st, 6, seg, err) < 0 ||
	    crm_db_bind_int(db, st, 7, t->n + 1, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		goto done;
	t->n++;
	rc = 0;
	goto done;
nomem:
	crm_error_set(err, CRM_EFAIL, "out of memory");
done:
	free(ext);
	free(seg);
	return rc;
}

/*
 * Resolve the staged keys to contacts (inside the write transaction).  An
 * email names the live contact with it, else a merged-away record (whose
 * survivor then joins), so an old list still reaches the person.  An id is
 * taken as it is: the selection joins contacts anyway, and only when it
 * comes out short are the ids looked up one by one (sql_unresolved with
 * ?1 = 1) to name the first that matches nothing.
 */
static const char sql_resolve[] =
    "UPDATE crm_campaign_input SET contact_id = CASE"
    " WHEN id IS NOT NULL THEN id"
    " WHEN ext IS NOT NULL THEN (SELECT c.id FROM contacts c"
    "   WHERE c.external_id = crm_campaign_input.ext)"
    " ELSE coalesce((SELECT min(c.id) FROM contacts c"
    "   WHERE c.email = crm_campaign_input.email"
    "   AND c.merged_into IS NULL AND c.erased_at IS NULL),"
    "   (SELECT min(c.id) FROM contacts c"
    "   WHERE c.email = crm_campaign_input.email"
    "   AND c.merged_into IS NOT NULL)) END";

static const char sql_ambiguous[] =
    "SELECT src, line, email FROM crm_campaign_input t"
    " WHERE id IS NULL AND ext IS NULL AND (SELECT count(*) FROM contacts c"
    "   WHERE c.email = t.email AND c.merged_into IS NULL"
    "   AND c.erased_at IS NULL) > 1 ORDER BY seq LIMIT 1";

static const char sql_unresolved[] =
    "SELECT src, line, id, ext, email, count(*) OVER ()"
    " FROM crm_campaign_input t WHERE contact_id IS NULL"
    " OR (?1 <> 0 AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = t.id))"
    " ORDER BY seq LIMIT 1";

static const char sql_cand_input[] =
    "INSERT INTO crm_campaign_cand (contact_id, stratum)"
    " SELECT contact_id, stratum FROM crm_campaign_input ORDER BY seq"
    " ON CONFLICT DO NOTHING";

static const char sql_cand_segment[] =
    "INSERT INTO crm_campaign_cand (contact_id)"
    " SELECT contact_id FROM segment_members WHERE segment_id = ?1"
    " ORDER BY contact_id ON CONFLICT DO NOTHING";

/* A merged-away candidate brings its survivor (the end of the chain). */
static const char sql_cand_survivors[] =
    "WITH RECURSIVE chain(start, id, depth) AS ("
    "  SELECT k.contact_id, c.merged_into, 1 FROM crm_campaign_cand k"
    "  JOIN contacts c ON c.id = k.contact_id WHERE c.merged_into IS NOT NULL"
    "  UNION ALL"
    "  SELECT chain.start, c.merged_into, chain.depth + 1 FROM chain"
    "  JOIN contacts c ON c.id = chain.id"
    "  WHERE c.merged_into IS NOT NULL AND chain.depth < 64)"
    " INSERT INTO crm_campaign_cand (contact_id, stratum)"
    " SELECT chain.id, (SELECT stratum FROM crm_campaign_cand k"
    "   WHERE k.contact_id = chain.start)"
    " FROM chain JOIN contacts c ON c.id = chain.id"
    " WHERE c.merged_into IS NULL ORDER BY chain.start"
    " ON CONFLICT DO NOTHING";

static const char *
src_name(const struct crm_campaign_targets *t, int64_t src)
{
	return src >= 0 && (size_t)src < t->nnames ? t->names[src] : "?";
}

/* The first staged key that names no contact, as the error; 0 if none
 * (ids are checked only with check_ids). */
static int
unresolved(struct crm_db *db, const struct crm_campaign_targets *t,
    int check_ids, struct crm_error *err)
{
	char q[CRM_QUOTE_MAX], what[CRM_QUOTE_MAX + 32];
	struct crm_stmt *st;
	int64_t more;
	const char *v;
	int rc = -1, ext;

	if ((st = crm_db_stmt(db, sql_unresolved, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, check_ids, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) <= 0)
		return rc;
	more = crm_db_col_int(st, 5) - 1;
	if (!crm_db_col_isnull(st, 2))
		snprintf(what, sizeof(what), "id %lld",
		    (long long)crm_db_col_int(st, 2));
	else {
		ext = !crm_db_col_isnull(st, 3);
		v = crm_db_col_text(st, ext ? 3 : 4);
		snprintf(what, sizeof(what), "%s '%s'", ext ? "external_id" :
		    "email", crm_quote(q, v, strlen(v)));
	}
	if (more > 0)
		snprintf(q, sizeof(q), " (and %lld more)", (long long)more);
	crm_error_set(err, CRM_EDATA, "%s:%lld: no contact with %s%s",
	    src_name(t, crm_db_col_int(st, 0)),
	    (long long)crm_db_col_int(st, 1), what, more > 0 ? q : "");
	crm_db_reset(st);
	return -1;
}

static int
stage_candidates(struct crm_db *db, struct crm_campaign_targets *t,
    struct crm_error *err)
{
	char q[CRM_QUOTE_MAX];
	struct crm_stmt *st;
	int rc;

	if (crm_db_exec(db, sql_resolve, err) < 0 ||
	    (st = crm_db_stmt(db, sql_ambiguous, err)) == NULL ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 1) {
		const char *e = crm_db_col_text(st, 2);

		crm_error_set(err, CRM_EDATA, "%s:%lld: email '%s' matches"
		    " several contacts; name them by id or external_id",
		    src_name(t, crm_db_col_int(st, 0)),
		    (long long)crm_db_col_int(st, 1),
		    crm_quote(q, e, strlen(e)));
		crm_db_reset(st);
		return -1;
	}
	if (unresolved(db, t, 0, err) < 0)
		return -1;
	return crm_db_exec(db, sql_cand_input, err);
}

static int
stage_segment(struct crm_db *db, const char *segment, struct crm_error *err)
{
	struct crm_stmt *st;
	int64_t id;
	int rc;

	if (crm_db_exec(db, sql_temp_tables, err) < 0 ||
	    (st = crm_db_stmt(db, "SELECT id FROM segments WHERE name = ?1",
	    err)) == NULL || crm_db_bind_text(db, st, 1, segment, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 0)
		return crm_error_set(err, CRM_EUSAGE, "--segment: no segment"
		    " '%s' (crm-segment list shows them)", segment);
	id = crm_db_col_int(st, 0);
	crm_db_reset(st);
	if ((st = crm_db_stmt(db, sql_cand_segment, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	return 0;
}

static int
reason_index(const char *r)
{
	int i;

	for (i = 0; r != NULL && i < CRM_CAMPAIGN_NREASONS; i++)
		if (strcmp(r, crm_campaign_reasons[i]) == 0)
			return i;
	return -1;
}

static const char sql_counts[] =
    "SELECT grp, reason, count(*) FROM campaign_members"
    " WHERE campaign_id = ?1 GROUP BY grp, reason";

int
campaign_count_members(struct crm_db *db, int64_t cid, struct crm_campaign_counts *c,
    struct crm_error *err)
{
	struct crm_stmt *st;
	const char *g;
	int64_t n;
	int rc, i;

	if ((st = crm_db_stmt(db, sql_counts, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, cid, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		g = crm_db_col_text(st, 0);
		n = crm_db_col_int(st, 2);
		c->members += n;
		if (strcmp(g, "target") == 0)
			c->target += n;
		else if (strcmp(g, "control") == 0)
			c->control += n;
		else {
			c->suppressed += n;
			if ((i = reason_index(crm_db_col_text(st, 1))) >= 0)
				c->reason[i] += n;
			else if (crm_db_col_text(st, 1) != NULL &&
			    strcmp(crm_db_col_text(st, 1), "household") == 0)
				c->household += n;
		}
	}
	return rc;
}

static const char sql_insert_campaign[] =
    "INSERT INTO campaigns (name, channel, purpose, holdout, segment, options,"
    " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

static const char sql_update_campaign[] =
    "UPDATE campaigns SET channel = ?2, purpose = ?3, holdout = ?4,"
    " segment = ?5, options = ?6, created_at = ?7 WHERE id = ?8";

int
crm_campaign_create(struct crm_db *db, const struct crm_campaign_opts *o,
    struct crm_campaign_targets *t, struct crm_campaign_counts *c,
    struct crm_error *err)
{
	char options[256], when[21];
	int64_t ncand;
	struct camp k;
	struct crm_stmt *st;
	int rc;

	memset(c, 0, sizeof(*c));
	if (campaign_register_functions(db, err) < 0 ||
	    (rc = campaign_find(db, o->name, &k, err)) < 0)
		return -1;
	if (rc == 1 && strcmp(k.state, "draft") != 0) {
		crm_format_time(k.sent_at ? k.sent_at : k.created_at, when);
		return crm_error_set(err, CRM_EFAIL, "campaign '%s' is %s"
		    " (since %s) and cannot be created again; choose another"
		    " name", o->name, k.state, when);
	}
	snprintf(options, sizeof(options), "{\"stratify\":%s,"
	    "\"max_contacts\":%lld,\"per_days\":%lld,\"allow_overlap\":%s}",
	    o->stratify ? "true" : "false", (long long)o->max_contacts,
	    (long long)(o->max_contacts ? o->per_days : 0),
	    o->allow_overlap ? "true" : "false");
	if (rc == 1) {
		c->rebuilt = 1;
		if ((st = crm_db_stmt(db, "DELETE FROM campaign_members"
		    " WHERE campaign_id = ?1", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, k.id, err) < 0 ||
		    crm_db_step(db, st, err) < 0 ||
		    (st = crm_db_stmt(db, sql_update_campaign, err)) == NULL ||
		    crm_db_bind_int(db, st, 8, k.id, err) < 0)
			return -1;
	} else if ((st = crm_db_stmt(db, sql_insert_campaign, err)) == NULL ||
	    crm_db_bind_text(db, st, 1, o->name, err) < 0)
		return -1;
	if (crm_db_bind_text(db, st, 2, o->channel, err) < 0 ||
	    crm_db_bind_text(db, st, 3, o->purpose, err) < 0 ||
	    crm_db_bind_double(db, st, 4, o->holdout, err) < 0 ||
	    crm_db_bind_text(db, st, 5, o->segment, err) < 0 ||
	    crm_db_bind_text(db, st, 6, options, err) < 0 ||
	    crm_db_bind_int(db, st, 7, o->now, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	if (rc == 0)
		k.id = crm_db_last_id(db);

	if (t != NULL) {
		if (t->staging)
			return crm_error_set(err, CRM_EFAIL, "targets still"
			    " staging: call crm_campaign_targets_end() first");
		c->read = t->n;
		if (stage_candidates(db, t, err) < 0)
			return -1;
	} else if (stage_segment(db, o->segment, err) < 0)
		return -1;
	if (crm_db_exec(db, sql_cand_survivors, err) < 0)
		return -1;

	if ((st = crm_db_stmt(db, o->stratify ? sql_members_strat :
	    sql_members, err)) == NULL ||
	    crm_db_bind_text(db, st, 1, o->channel, err) < 0 ||
	    crm_db_bind_int(db, st, 2, k.id, err) < 0 ||
	    crm_db_bind_text(db, st, 3, o->name, err) < 0 ||
	    crm_db_bind_double(db, st, 4, o->holdout, err) < 0 ||
	    crm_db_bind_int(db, st, 5, !o->allow_overlap, err) < 0 ||
	    crm_db_bind_int(db, st, 6, o->max_contacts, err) < 0 ||
	    crm_db_bind_int(db, st, 7, o->now - o->per_days * 86400, err) < 0 ||
	    crm_db_bind_int(db, st, 8, o->now, err) < 0 ||
	    (o->stratify && crm_db_bind_int(db, st, 9, t != NULL &&
	    t->has_stratum, err) < 0) ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	/* One per household: the lowest id of those not suppressed. */
	if (o->per_household && (crm_household_stage(db, 0, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE campaign_members SET"
	    " grp = 'suppressed', reason = 'household' WHERE campaign_id = ?1"
	    " AND grp <> 'suppressed' AND EXISTS (SELECT 1 FROM"
	    " crm_household h JOIN crm_household o ON"
	    " o.household = h.household AND o.contact_id < h.contact_id"
	    " JOIN campaign_members m ON m.campaign_id = ?1 AND"
	    " m.contact_id = o.contact_id AND m.grp <> 'suppressed'"
	    " WHERE h.contact_id = campaign_members.contact_id)",
	    err)) == NULL || crm_db_bind_int(db, st, 1, k.id, err) < 0 ||
	    crm_db_step(db, st, err) < 0))
		return -1;
	if (campaign_count_members(db, k.id, c, err) < 0 ||
	    crm_db_query_int(db, "SELECT count(*) FROM crm_campaign_cand",
	    &ncand, err) < 0)
		return -1;
	if (c->members != ncand)	/* an id that names no contact */
		return t != NULL && unresolved(db, t, 1, err) < 0 ? -1 :
		    crm_error_set(err, CRM_EFAIL, "%lld candidates, %lld"
		    " members", (long long)ncand, (long long)c->members);
	return 0;
}

static const char sql_suppressed[] =
    "SELECT m.contact_id, c.external_id, m.reason FROM campaign_members m"
    " JOIN contacts c ON c.id = m.contact_id"
    " WHERE m.campaign_id = ?1 AND m.grp = 'suppressed'"
    " ORDER BY m.contact_id";

int
crm_campaign_suppressed(struct crm_db *db, const char *name,
    struct crm_out *out, struct crm_error *err)
{
	static const char *const names[] = { "id", "external_id", "reason" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT };
	const char *vals[3];
	struct crm_stmt *st;
	struct camp k;
	int rc;

	if (campaign_must_find(db, name, &k, err) < 0 ||
	    crm_out_header(out, names, types, 3, err) < 0 ||
	    (st = crm_db_stmt(db, sql_suppressed, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, k.id, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		vals[0] = crm_db_col_text(st, 0);
		vals[1] = crm_db_col_text(st, 1);
		vals[2] = crm_db_col_text(st, 2);
		if (crm_out_row(out, vals, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	return rc;
}
