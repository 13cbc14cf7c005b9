/*
 * merge-undo.c - merges undone (see merge.h, crm_merge_undo()).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interaction.h"
#include "merge-int.h"
#include "mergeref.h"
#include "norm.h"
#include "resolve.h"

#define J(c) "json_extract(?1, '$." c "')"
static const char sql_restore[] = "UPDATE contacts SET (external_id,"
    " first_name, last_name, name_key, email, phone, company, street, city,"
    " postcode, country, birth_date, stage, owner, attrs, email_opt_in,"
    " phone_opt_in, sms_opt_in, mail_opt_in, do_not_contact, merged_into,"
    " erased_at, created_at, updated_at) = (" J("external_id") ","
    J("first_name") "," J("last_name") "," J("name_key") "," J("email") ","
    J("phone") "," J("company") "," J("street") "," J("city") ","
    J("postcode") "," J("country") "," J("birth_date") "," J("stage") ","
    J("owner") "," J("attrs") "," J("email_opt_in") "," J("phone_opt_in")
    "," J("sms_opt_in") "," J("mail_opt_in") "," J("do_not_contact") ","
    J("merged_into") "," J("erased_at") "," J("created_at") ","
    J("updated_at") ") WHERE id = ?2";
#undef J

/* A merge in force, and whether it is to be undone. */
struct undo {
	int64_t id, survivor, merged;
	int chosen;
};

/* A contact and a merge that involves it. */
struct involve {
	int64_t contact;
	size_t merge;		/* index into the merges in force */
};

static int
cmp_involve(const void *p, const void *q)
{
	const struct involve *x = p, *y = q;

	if (x->contact != y->contact)
		return x->contact < y->contact ? -1 : 1;
	return (x->merge > y->merge) - (x->merge < y->merge);
}

/* Every merge in force, newest first. */
static int
load_undo(struct crm_db *db, struct undo **u, size_t *n,
    struct crm_error *err)
{
	struct crm_stmt *st;
	size_t a = 0;
	void *p;
	int rc;

	*u = NULL;
	*n = 0;
	if ((st = crm_db_stmt(db, "SELECT id, survivor_id, merged_id FROM"
	    " merges WHERE undone_at IS NULL ORDER BY id DESC", err)) == NULL)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		if ((p = merge_grow(*u, &a, *n + 1, sizeof(**u))) == NULL) {
			crm_db_reset(st);
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		}
		*u = p;
		(*u)[*n].id = crm_db_col_int(st, 0);
		(*u)[*n].survivor = crm_db_col_int(st, 1);
		(*u)[*n].merged = crm_db_col_int(st, 2);
		(*u)[*n].chosen = 0;
		(*n)++;
	}
	return rc < 0 ? -1 : 0;
}

/*
 * Choose the merges key asks to undo (see crm_merge_undo()): by is every
 * merge in force twice, by merged contact (as_merged) and by survivor.
 */
static int
undo_key(struct crm_db *db, const char *key, struct undo *u,
    const struct involve *by, size_t nby, struct crm_error *err)
{
	const struct involve *hit;
	int64_t id;
	size_t lo = 0, hi = nby, mid;
	int pass, found = 0;

	if (merge_parse_id(key, &id) < 0 && crm_contact_resolve(db, key, NULL,
	    &id, err) < 0)
		return -1;
	/* The first entry of contact id. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (by[mid].contact < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* A merged-away contact: its merge; else: the merges into it. */
	for (pass = 0; pass < 2 && !found; pass++) {
		for (hit = by + lo; hit < by + nby && hit->contact == id;
		    hit++) {
			const struct undo *m = &u[hit->merge];

			if ((pass == 0 && m->merged == id) ||
			    (pass == 1 && m->survivor == id)) {
				u[hit->merge].chosen = 1;
				found = 1;
			}
		}
	}
	if (!found)
		return crm_error_set(err, CRM_EDATA, "contact %lld: no merge to"
		    " undo", (long long)id);
	return 0;
}

/*
 * 1 if contact s withdrew consent on channel k (or was marked
 * do-not-contact) after merge u, by an event other than crm-dedupe's own:
 * the events appended since, whose ids are above the merge's consent_seq.
 */
static int
kept_optout(struct crm_db *db, int64_t s, int k, int64_t merge,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int rc;

	if ((st = crm_db_stmt(db, "SELECT granted FROM consent_events"
	    " WHERE contact_id = ?1 AND channel = ?2 AND id > (SELECT"
	    " json_extract(before, '$.consent_seq') FROM merges WHERE id = ?3)"
	    " AND (source IS NULL OR source NOT LIKE 'crm-dedupe %')"
	    " ORDER BY id DESC LIMIT 1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, s, err) < 0 ||
	    crm_db_bind_text(db, st, 2, merge_cchannel[k], err) < 0 ||
	    crm_db_bind_int(db, st, 3, merge, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 0)
		return 0;
	rc = crm_db_col_int(st, 0) == 0;
	crm_db_reset(st);
	return rc;
}

static int
unhex(const char *h, unsigned char *out, size_t n)
{
	size_t i;
	int k, v;

	if (h == NULL || strlen(h) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		for (v = 0, k = 0; k < 2; k++) {
			char c = h[2 * i + (size_t)k];

			v = v * 16 + (c >= '0' && c <= '9' ? c - '0' :
			    c >= 'A' && c <= 'F' ? c - 'A' + 10 :
			    c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1000);
		}
		if (v < 0)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* Undo merge u: see crm_merge_undo(). */
/*
 * Memberships as they were before merge u, from the list at path in its
 * before-image: every statement of sql (NULL ended) runs for each entry,
 * with ?1 the entry (JSON), ?2 the merged contact, ?3 the survivor.  An
 * entry's "kept" says whether the survivor kept its own membership (the
 * merged one comes back beside it) or took the merged one's (it moves
 * back); each statement acts only on one of the two.
 */
static const char *const sql_segments[] = {
	/* Entries [segment_id, kept]. */
	"INSERT OR IGNORE INTO segment_members (segment_id, contact_id)"
	" SELECT json_extract(?1, '$[0]'), ?2 WHERE json_extract(?1, '$[1]')"
	" AND EXISTS (SELECT 1 FROM segments WHERE id = json_extract(?1,"
	" '$[0]')) AND ?3 IS NOT NULL",
	"UPDATE segment_members SET contact_id = ?2"
	" WHERE segment_id = json_extract(?1, '$[0]') AND contact_id = ?3"
	" AND NOT json_extract(?1, '$[1]')",
	NULL
};

static const char *const sql_campaigns[] = {
	/* Entries {campaign_id, grp, reason, sent_at, kept}. */
	"INSERT INTO campaign_members"
	" (campaign_id, contact_id, grp, reason, sent_at)"
	" SELECT json_extract(?1, '$.campaign_id'), ?2,"
	" json_extract(?1, '$.grp'), json_extract(?1, '$.reason'),"
	" json_extract(?1, '$.sent_at')"
	" WHERE json_extract(?1, '$.kept') AND EXISTS (SELECT 1 FROM"
	" campaigns WHERE id = json_extract(?1, '$.campaign_id'))"
	" AND ?3 IS NOT NULL ON CONFLICT DO NOTHING",
	"UPDATE campaign_members SET"
	" contact_id = ?2 WHERE campaign_id = json_extract(?1,"
	" '$.campaign_id') AND contact_id = ?3 AND NOT"
	" json_extract(?1, '$.kept')",
	NULL
};

static int
restore_list(struct crm_db *db, const struct undo *u, const char *path,
    const char *const *sql, struct crm_error *err)
{
	struct crm_stmt *st, *up;
	size_t i;
	int rc;

	if ((st = crm_db_stmt(db, "SELECT j.value FROM merges m,"
	    " json_each(m.before, ?2) j WHERE m.id = ?1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, u->id, err) < 0 ||
	    crm_db_bind_text(db, st, 2, path, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1)
		for (i = 0; sql[i] != NULL; i++)
			if ((up = crm_db_stmt(db, sql[i], err)) == NULL ||
			    crm_db_bind_text(db, up, 1, crm_db_col_text(st, 0),
			    err) < 0 ||
			    crm_db_bind_int(db, up, 2, u->merged, err) < 0 ||
			    crm_db_bind_int(db, up, 3, u->survivor, err) < 0 ||
			    crm_db_step(db, up, err) < 0) {
				crm_db_reset(st);
				return -1;
			}
	return rc < 0 ? -1 : 0;
}

static int
undo_one(struct crm_db *db, const struct undo *u, int64_t now,
    struct crm_error *err)
{
	struct crow cur, back;
	struct crm_stmt *st, *up;
	unsigned char key[16];
	int rc, k, ret = -1;

	memset(&cur, 0, sizeof(cur));
	memset(&back, 0, sizeof(back));
	if (merge_crow_load(db, u->survivor, &cur, NULL, err) < 0)
		return -1;
	/* What moved goes back. */
	if (crm_mergeref_undo(db, u->id, u->merged, err) < 0)
		goto done;
	if ((st = crm_db_stmt(db, "SELECT json_extract(j.value, '$[0]'),"
	    " json_extract(j.value, '$[1]') FROM merges m,"
	    " json_each(m.before, '$.interactions') j WHERE m.id = ?1",
	    err)) == NULL || crm_db_bind_int(db, st, 1, u->id, err) < 0)
		goto done;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		if (unhex(crm_db_col_text(st, 1), key, 16) < 0) {
			crm_db_reset(st);
			crm_error_set(err, CRM_EFAIL, "merge %lld: bad"
			    " before-image", (long long)u->id);
			goto done;
		}
		if ((up = crm_db_stmt(db, "UPDATE interactions SET"
		    " contact_id = ?1, chash = ?3 WHERE id = ?2 AND"
		    " contact_id = ?4", err)) == NULL ||
		    crm_db_bind_int(db, up, 1, u->merged, err) < 0 ||
		    crm_db_bind_int(db, up, 2, crm_db_col_int(st, 0),
		    err) < 0 || crm_db_bind_blob(db, up, 3, key, 16,
		    err) < 0 ||
		    crm_db_bind_int(db, up, 4, u->survivor, err) < 0 ||
		    crm_db_step(db, up, err) < 0) {
			crm_db_reset(st);
			goto done;
		}
	}
	if (rc < 0)
		goto done;
	if (restore_list(db, u, "$.segments", sql_segments, err) < 0 ||
	    restore_list(db, u, "$.campaigns", sql_campaigns, err) < 0)
		goto done;
	/* The two rows as they were. */
	if ((st = crm_db_stmt(db, "SELECT json_extract(before, '$.score'),"
	    " json_extract(before, '$.survivor'), json_extract(before,"
	    " '$.merged') FROM merges WHERE id = ?1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, u->id, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		goto done;
	if (rc == 0 || crm_db_col_text(st, 1) == NULL ||
	    crm_db_col_text(st, 2) == NULL) {
		crm_db_reset(st);
		crm_error_set(err, CRM_EFAIL, "merge %lld: bad before-image",
		    (long long)u->id);
		goto done;
	}
	if ((crm_db_col_int(st, 0) && merge_exec2(db, "UPDATE scores SET"
	    " contact_id = ?2 WHERE contact_id = ?1", u->survivor, u->merged,
	    err) < 0) ||
	    (up = crm_db_stmt(db, sql_restore, err)) == NULL ||
	    crm_db_bind_text(db, up, 1, crm_db_col_text(st, 2), err) < 0 ||
	    crm_db_bind_int(db, up, 2, u->merged, err) < 0 ||
	    crm_db_step(db, up, err) < 0 ||
	    crm_db_bind_text(db, up, 1, crm_db_col_text(st, 1), err) < 0 ||
	    crm_db_bind_int(db, up, 2, u->survivor, err) < 0 ||
	    crm_db_step(db, up, err) < 0) {
		crm_db_reset(st);
		goto done;
	}
	crm_db_reset(st);
	/* Consent: an opt-out given since the merge stands. */
	if (merge_crow_load(db, u->survivor, &back, NULL, err) < 0)
		goto done;
	for (k = 0; k < NCONS; k++) {
		int v = back.c[k];

		if (cur.c[k] == (k == K_DNC) && v != cur.c[k]) {
			if ((rc = kept_optout(db, u->survivor, k, u->id,
			    err)) < 0)
				goto done;
			if (rc)
				v = cur.c[k];
		}
		if (v == back.c[k])
			continue;
		if ((up = crm_db_stmt(db, k == K_DNC ? "UPDATE contacts SET"
		    " do_not_contact = ?2 WHERE id = ?1" : k == K_EMAIL ?
		    "UPDATE contacts SET email_opt_in = ?2 WHERE id = ?1" :
		    k == K_PHONE ? "UPDATE contacts SET phone_opt_in = ?2"
		    " WHERE id = ?1" : k == K_SMS ? "UPDATE contacts SET"
		    " sms_opt_in = ?2 WHERE id = ?1" : "UPDATE contacts SET"
		    " mail_opt_in = ?2 WHERE id = ?1", err)) == NULL ||
		    crm_db_bind_int(db, up, 1, u->survivor, err) < 0 ||
		    crm_db_bind_int(db, up, 2, v, err) < 0 ||
		    crm_db_step(db, up, err) < 0)
			goto done;
		back.c[k] = v;
	}
	for (k = 0; k < NCONS; k++) {
		if (back.c[k] == cur.c[k] || back.c[k] < 0)
			continue;
		if ((up = crm_db_stmt(db, "INSERT INTO consent_events"
		    " (contact_id, at, channel, granted, source) VALUES"
		    " (?1, ?2, ?3, ?4, 'crm-dedupe unmerge')", err)) == NULL ||
		    crm_db_bind_int(db, up, 1, u->survivor, err) < 0 ||
		    crm_db_bind_int(db, up, 2, now, err) < 0 ||
		    crm_db_bind_text(db, up, 3, merge_cchannel[k], err) < 0 ||
		    crm_db_bind_int(db, up, 4, k == K_DNC ? !back.c[k] :
		    back.c[k], err) < 0 || crm_db_step(db, up, err) < 0)
			goto done;
	}
	if ((up = crm_db_stmt(db, "UPDATE merges SET undone_at = ?2"
	    " WHERE id = ?1", err)) == NULL ||
	    crm_db_bind_int(db, up, 1, u->id, err) < 0 ||
	    crm_db_bind_int(db, up, 2, now, err) < 0 ||
	    crm_db_step(db, up, err) < 0)
		goto done;
	ret = 0;
done:
	merge_crow_release(&cur);
	merge_crow_release(&back);
	return ret;
}

int
crm_merge_undo(struct crm_db *db, char *const *keys, int nkeys,
    struct crm_out *o, struct crm_merge_stats *stats, struct crm_error *err)
{
	static const char *const names[3] = { "merge_id", "survivor_id",
	    "merged_id" };
	static const enum crm_coltype types[3] = { CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM };
	struct undo *u = NULL;
	struct involve *by = NULL;
	const char *vals[3];
	char a[24], b[24], c[24];
	size_t n, i, j, nby;
	int64_t now = crm_now(), *later = NULL;
	int ret = -1;

	if (crm_out_header(o, names, types, 3, err) < 0 ||
	    load_undo(db, &u, &n, err) < 0)
		goto done;
	if ((by = calloc(2 * n + 1, sizeof(*by))) == NULL ||
	    (later = calloc(n + 1, sizeof(*later))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		by[2 * i].contact = u[i].survivor;
		by[2 * i].merge = i;
		by[2 * i + 1].contact = u[i].merged;
		by[2 * i + 1].merge = i;
	}
	nby = 2 * n;
	qsort(by, nby, sizeof(*by), cmp_involve);
	for (i = 0; i < (size_t)nkeys; i++)
		if (undo_key(db, keys[i], u, by, nby, err) < 0)
			goto done;
	/*
	 * A later merge still in force must be undone first: for each
	 * merge, the newest merge not chosen that involves either contact
	 * (u is newest first, so by lists each contact's merges that way).
	 */
	for (i = 0; i < n; i++)
		later[i] = -1;
	for (i = 0; i < nby; i = j) {
		int64_t newest = -1;

		for (j = i; j < nby && by[j].contact == by[i].contact; j++) {
			size_t m = by[j].merge;

			if (u[m].chosen && newest >= 0 &&
			    (later[m] < 0 || u[newest].id > u[later[m]].id))
				later[m] = newest;
			if (!u[m].chosen && newest < 0)
				newest = (int64_t)m;
		}
	}
	for (i = n; i-- > 0;) {
		const struct undo *x;

		if (!u[i].chosen || later[i] < 0)
			continue;
		x = &u[later[i]];
		crm_error_set(err, CRM_EDATA, "merge %lld (contact %lld into"
		    " %lld) came after merge %lld (contact %lld into %lld):"
		    " unmerge %lld first", (long long)x->id,
		    (long long)x->merged, (long long)x->survivor,
		    (long long)u[i].id, (long long)u[i].merged,
		    (long long)u[i].survivor, (long long)x->merged);
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (!u[i].chosen)
			continue;
		if (undo_one(db, &u[i], now, err) < 0)
			goto done;
		snprintf(a, sizeof(a), "%lld", (long long)u[i].id);
		snprintf(b, sizeof(b), "%lld", (long long)u[i].survivor);
		snprintf(c, sizeof(c), "%lld", (long long)u[i].merged);
		vals[0] = a;
		vals[1] = b;
		vals[2] = c;
		if (crm_out_row(o, vals, err) < 0)
			goto done;
		stats->undone++;
	}
	ret = 0;
	goto done;
nomem:
	crm_error_set(err, CRM_EFAIL, "out of memory");
done:
	free(u);
	free(by);
	free(later);
	return ret;
}
