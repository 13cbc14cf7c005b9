/*
 * merge.c - reviewed groups of contacts merged into one survivor, and
 * merges undone (see merge.h).
 */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "interaction.h"
#include "merge-int.h"
#include "mergeref.h"
#include "norm.h"
#include "resolve.h"

void *
merge_grow(void *p, size_t *alloc, size_t need, size_t size)
{
	size_t a = *alloc ? *alloc : 64;
	void *q;

	if (need <= *alloc)
		return p;
	while (a < need)
		a *= 2;
	if ((q = reallocarray(p, a, size)) == NULL)
		return NULL;
	*alloc = a;
	return q;
}

const char *const merge_ctext[NTEXT] = {
	"external_id", "first_name", "last_name", "name_key", "email",
	"phone", "company", "street", "city", "postcode", "country",
	"birth_date", "stage", "owner", "attrs",
};
const char *const merge_ccons[NCONS] = {
	"email_opt_in", "phone_opt_in", "sms_opt_in", "mail_opt_in",
	"do_not_contact",
};
const char *const merge_cchannel[NCONS] = {
	"email", "phone", "sms", "mail", "all",
};

#define CONTACT_COLS "id, external_id, first_name, last_name, name_key," \
	" email, phone, company, street, city, postcode, country," \
	" birth_date, stage, owner, attrs, email_opt_in, phone_opt_in," \
	" sms_opt_in, mail_opt_in, do_not_contact, merged_into, erased_at," \
	" created_at, updated_at"

/* Every column of a contact as a JSON object (the before-image). */
#define CONTACT_JSON "json_object('id', id, 'external_id', external_id," \
	" 'first_name', first_name, 'last_name', last_name, 'name_key'," \
	" name_key, 'email', email, 'phone', phone, 'company', company," \
	" 'street', street, 'city', city, 'postcode', postcode, 'country'," \
	" country, 'birth_date', birth_date, 'stage', stage, 'owner', owner," \
	" 'attrs', attrs, 'email_opt_in', email_opt_in, 'phone_opt_in'," \
	" phone_opt_in, 'sms_opt_in', sms_opt_in, 'mail_opt_in', mail_opt_in," \
	" 'do_not_contact', do_not_contact, 'merged_into', merged_into," \
	" 'erased_at', erased_at, 'created_at', created_at, 'updated_at'," \
	" updated_at)"

void
merge_crow_release(struct crow *c)
{
	int i;

	for (i = 0; i < NTEXT; i++) {
		free(c->t[i]);
		c->t[i] = NULL;
	}
}

int
merge_crow_load(struct crm_db *db, int64_t id, struct crow *c,
    const struct crm_merge_opts *opts, struct crm_error *err)
{
	struct crm_stmt *st;
	const char *v;
	int i, rc;

	memset(c, 0, sizeof(*c));
	c->score = NAN;
	if ((st = crm_db_stmt(db, "SELECT " CONTACT_COLS " FROM contacts"
	    " WHERE id = ?1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 0)
		return crm_error_set(err, CRM_EDATA, "no contact %lld",
		    (long long)id);
	c->id = id;
	for (i = 0; i < NTEXT; i++) {
		v = crm_db_col_text(st, 1 + i);
		if (v != NULL && (c->t[i] = strdup(v)) == NULL) {
			crm_db_reset(st);
			merge_crow_release(c);
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		}
		if (v != NULL && *v && i != C_EXTERNAL_ID && i != C_NAME_KEY &&
		    !(i == C_STAGE && strcmp(v, "lead") == 0))
			c->filled++;
	}
	for (i = 0; i < NCONS; i++)
		c->c[i] = crm_db_col_isnull(st, 1 + NTEXT + i) ? -1 : crm_db_col_int(st, 1 + NTEXT + i);
	c->merged_into = crm_db_col_int(st, 21);
	c->erased_at = crm_db_col_isnull(st, 22) ? 0 :
	    crm_db_col_int(st, 22);
	c->created = crm_db_col_int(st, 23);
	c->updated = crm_db_col_int(st, 24);
	c->preferred = opts != NULL && opts->prefer != NULL &&
	    c->t[C_EXTERNAL_ID] != NULL &&
	    fnmatch(opts->prefer, c->t[C_EXTERNAL_ID], 0) == 0;
	crm_db_reset(st);
	return 0;
}

/* The rule's order, the survivor first (qsort_r, arg: the rule). */
static int
cmp_crow(const void *p, const void *q, void *arg)
{
	const struct crow *a = p, *b = q;
	enum crm_merge_rule rule = *(const enum crm_merge_rule *)arg;

	if (rule == CRM_MERGE_SOURCE && a->preferred != b->preferred)
		return b->preferred - a->preferred;
	if (rule == CRM_MERGE_COMPLETE && a->filled != b->filled)
		return b->filled - a->filled;
	if (a->updated != b->updated)
		return a->updated > b->updated ? -1 : 1;
	return (a->id > b->id) - (a->id < b->id);
}

static int
empty(const char *s)
{
	return s == NULL || *s == '\0';
}

/* Take b's value for column i into a (a had none). */
static int
take(struct crow *a, const struct crow *b, int i, struct crm_error *err)
{
	char *v = NULL;

	if (b->t[i] != NULL && (v = strdup(b->t[i])) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	free(a->t[i]);
	a->t[i] = v;
	return 0;
}

/*
 * The survivor s after merging b into it: s's values first, b's where s
 * has none.  A name (given and family) and an address (street, city,
 * postcode, with the country) are taken whole from one record, never
 * mixed.  The stage lead, the default, counts as none.  Attributes are
 * joined key by key, s's winning.  Consent: an opt-out on either wins,
 * then an opt-in, and do-not-contact on either holds.
 */
static int
survive(struct crm_db *db, struct crow *s, const struct crow *b,
    struct crm_error *err)
{
	static const int single[] = { C_EMAIL, C_PHONE, C_COMPANY, C_BIRTH,
	    C_OWNER };
	struct crm_buf key = CRM_BUF_INIT(4096);
	struct crm_stmt *st;
	size_t i;
	int k;

	if (empty(s->t[C_FIRST]) && empty(s->t[C_LAST]) &&
	    (!empty(b->t[C_FIRST]) || !empty(b->t[C_LAST]))) {
		if (take(s, b, C_FIRST, err) < 0 || take(s, b, C_LAST, err) < 0)
			goto fail;
		if (!empty(b->t[C_FIRST]) && crm_norm_fold(b->t[C_FIRST], &key,
		    err) < 0)
			goto fail;
		if (!empty(b->t[C_LAST]) && ((key.len && crm_buf_addc(&key,
		    ' ', err) < 0) || crm_norm_fold(b->t[C_LAST], &key,
		    err) < 0))
			goto fail;
		free(s->t[C_NAME_KEY]);
		s->t[C_NAME_KEY] = NULL;
		if (key.len && (s->t[C_NAME_KEY] = strdup(key.s)) == NULL)
			goto nomem;
	}
	if (empty(s->t[C_STREET]) && empty(s->t[C_CITY]) &&
	    empty(s->t[C_POSTCODE]) && (!empty(b->t[C_STREET]) ||
	    !empty(b->t[C_CITY]) || !empty(b->t[C_POSTCODE]))) {
		if (take(s, b, C_STREET, err) < 0 ||
		    take(s, b, C_CITY, err) < 0 ||
		    take(s, b, C_POSTCODE, err) < 0 ||
		    (!empty(b->t[C_COUNTRY]) && take(s, b, C_COUNTRY,
		    err) < 0))
			goto fail;
	}
	if (empty(s->t[C_COUNTRY]) && !empty(b->t[C_COUNTRY]) &&
	    take(s, b, C_COUNTRY, err) < 0)
		goto fail;
	for (i = 0; i < sizeof(single) / sizeof(single[0]); i++)
		if (empty(s->t[single[i]]) && !empty(b->t[single[i]]) &&
		    take(s, b, single[i], err) < 0)
			goto fail;
	if ((empty(s->t[C_STAGE]) || strcmp(s->t[C_STAGE], "lead") == 0) &&
	    !empty(b->t[C_STAGE]) && take(s, b, C_STAGE, err) < 0)
		goto fail;
	if (s->t[C_ATTRS] == NULL && b->t[C_ATTRS] != NULL) {
		if (take(s, b, C_ATTRS, err) < 0)
			goto fail;
	} else if (s->t[C_ATTRS] != NULL && b->t[C_ATTRS] != NULL) {
		if ((st = crm_db_stmt(db, "SELECT json_patch(?1, ?2)",
		    err)) == NULL ||
		    crm_db_bind_text(db, st, 1, b->t[C_ATTRS], err) < 0 ||
		    crm_db_bind_text(db, st, 2, s->t[C_ATTRS], err) < 0 ||
		    crm_db_step(db, st, err) < 0)
			goto fail;
		if (strcmp(crm_db_col_text(st, 0), s->t[C_ATTRS]) != 0) {
			char *v = strdup(crm_db_col_text(st, 0));

			if (v == NULL) {
				crm_db_reset(st);
				goto nomem;
			}
			free(s->t[C_ATTRS]);
			s->t[C_ATTRS] = v;
		}
		crm_db_reset(st);
	}
	for (k = 0; k < K_DNC; k++)
		if (s->c[k] != 0 && b->c[k] >= 0 && (b->c[k] == 0 ||
		    s->c[k] < 0))
			s->c[k] = b->c[k];
	if (b->c[K_DNC] == 1)
		s->c[K_DNC] = 1;
	if (b->created < s->created)
		s->created = b->created;
	crm_buf_release(&key);
	return 0;
nomem:
	crm_error_set(err, CRM_EFAIL, "out of memory");
fail:
	crm_buf_release(&key);
	return -1;
}

/*
 * The content key of an interaction (as crm-log computes it, see the
 * chash column in crm(7)) for contact, from its row st: at, channel,
 * kind, direction, amount, currency, quantity, status, closed_at,
 * product, category, subject, note, campaign in columns 1 to 14.
 */
static void
content_key(int64_t contact, struct crm_stmt *st, unsigned char out[16])
{
	struct crm_log_content c;
	int i;

	memset(&c, 0, sizeof(c));
	c.contact = contact;
	c.at = crm_db_col_int(st, 1);
	c.channel = crm_db_col_text(st, 2);
	c.kind = crm_db_col_text(st, 3);
	c.direction = crm_db_col_text(st, 4);
	if ((c.has_amount = !crm_db_col_isnull(st, 5)))
		c.amount = crm_db_col_double(st, 5);
	c.currency = crm_db_col_text(st, 6);
	if ((c.has_quantity = !crm_db_col_isnull(st, 7)))
		c.quantity = crm_db_col_double(st, 7);
	c.status = crm_db_col_text(st, 8);
	c.closed_at = crm_db_col_int(st, 9);
	for (i = 0; i < 5; i++)
		c.text[i] = crm_db_col_text(st, 10 + i);
	crm_log_content_key(&c, out);
}

/*
 * The survivor's interactions: each of b's moves to s.  One without a ref
 * gets the content key it would have had under s, so that importing it
 * again adds nothing; if s already has one with that content, it keeps its
 * old key (both stay, as they were before).
 */
static int
move_interactions(struct crm_db *db, int64_t s, int64_t b,
    struct crm_error *err)
{
	struct crm_stmt *st, *up;
	unsigned char key[16];
	int64_t *ids = NULL;
	unsigned char (*keys)[16] = NULL;
	char *isnull = NULL;
	size_t n = 0, a = 0, i;
	void *p;
	int rc, ret = -1;

	if ((st = crm_db_stmt(db, "SELECT id, at, channel, kind, direction,"
	    " amount, currency, quantity, status, closed_at, product, category,"
	    " subject, note, campaign, ref IS NULL FROM interactions"
	    " WHERE contact_id = ?1 ORDER BY id", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, b, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		if (n == a) {
			size_t na = a ? 2 * a : 64;

			if ((p = reallocarray(ids, na, sizeof(*ids))) == NULL)
				goto nomem;
			ids = p;
			if ((p = reallocarray(keys, na, sizeof(*keys))) == NULL)
				goto nomem;
			keys = p;
			if ((p = realloc(isnull, na)) == NULL)
				goto nomem;
			isnull = p;
			a = na;
		}
		ids[n] = crm_db_col_int(st, 0);
		isnull[n] = (char)crm_db_col_int(st, 15);
		content_key(s, st, keys[n]);
		n++;
	}
	if (rc < 0)
		goto done;
	for (i = 0; i < n; i++) {
		rc = 0;
		if (isnull[i]) {
			if ((st = crm_db_stmt(db, "SELECT 1 FROM interactions"
			    " WHERE chash = ?1 AND ref IS NULL", err)) == NULL ||
			    crm_db_bind_blob(db, st, 1, keys[i], 16,
			    err) < 0 ||
			    (rc = crm_db_step(db, st, err)) < 0)
				goto done;
			crm_db_reset(st);
		}
		memcpy(key, keys[i], 16);
		if ((up = crm_db_stmt(db, isnull[i] && rc == 0 ?
		    "UPDATE interactions SET contact_id = ?1, chash = ?3"
		    " WHERE id = ?2" : "UPDATE interactions SET contact_id = ?1"
		    " WHERE id = ?2", err)) == NULL ||
		    crm_db_bind_int(db, up, 1, s, err) < 0 ||
		    crm_db_bind_int(db, up, 2, ids[i], err) < 0 ||
		    (isnull[i] && rc == 0 && crm_db_bind_blob(db, up, 3, key,
		    16, err) < 0) || crm_db_step(db, up, err) < 0)
			goto done;
	}
	ret = 0;
	goto done;
nomem:
	crm_db_reset(st);
	crm_error_set(err, CRM_EFAIL, "out of memory");
done:
	free(ids);
	free(keys);
	free(isnull);
	return ret;
}

/* Run SQL with ?1 = s and ?2 = b. */
int
merge_exec2(struct crm_db *db, const char *sql, int64_t s, int64_t b,
    struct crm_error *err)
{
	struct crm_stmt *st;

	if ((st = crm_db_stmt(db, sql, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, s, err) < 0 ||
	    crm_db_bind_int(db, st, 2, b, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	return 0;
}

/* Write s's values and consent; append events for changed consent. */
static int
write_survivor(struct crm_db *db, const struct crow *old,
    const struct crow *s, int64_t now, const char *source,
    struct crm_buf *changed, struct crm_error *err)
{
	struct crm_stmt *st;
	int i, any = 0;

	crm_buf_reset(changed);
	for (i = 0; i < NTEXT; i++) {
		if ((old->t[i] == NULL) == (s->t[i] == NULL) &&
		    (s->t[i] == NULL || strcmp(old->t[i], s->t[i]) == 0))
			continue;
		any = 1;
		if (i != C_NAME_KEY && ((changed->len && crm_buf_addc(changed,
		    ',', err) < 0) || crm_buf_adds(changed, merge_ctext[i], err) < 0))
			return -1;
	}
	for (i = 0; i < NCONS; i++) {
		if (old->c[i] == s->c[i])
			continue;
		any = 1;
		if ((changed->len && crm_buf_addc(changed, ',', err) < 0) ||
		    crm_buf_adds(changed, merge_ccons[i], err) < 0)
			return -1;
		/* Consent changes are logged; NULL is never the new value. */
		if ((st = crm_db_stmt(db, "INSERT INTO consent_events"
		    " (contact_id, at, channel, granted, source) VALUES"
		    " (?1, ?2, ?3, ?4, ?5)", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, s->id, err) < 0 ||
		    crm_db_bind_int(db, st, 2, now, err) < 0 ||
		    crm_db_bind_text(db, st, 3, merge_cchannel[i], err) < 0 ||
		    crm_db_bind_int(db, st, 4, i == K_DNC ? !s->c[i] : s->c[i],
		    err) < 0 || crm_db_bind_text(db, st, 5, source, err) < 0 ||
		    crm_db_step(db, st, err) < 0)
			return -1;
	}
	if (!any && old->created == s->created)
		return 0;
	if ((st = crm_db_stmt(db, "UPDATE contacts SET first_name = ?2,"
	    " last_name = ?3, name_key = ?4, email = ?5, phone = ?6,"
	    " company = ?7, street = ?8, city = ?9, postcode = ?10,"
	    " country = ?11, birth_date = ?12, stage = coalesce(?13, stage),"
	    " owner = ?14, attrs = ?15, email_opt_in = ?16, phone_opt_in = ?17,"
	    " sms_opt_in = ?18, mail_opt_in = ?19, do_not_contact = ?20,"
	    " created_at = ?21, updated_at = ?22 WHERE id = ?1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, s->id, err) < 0)
		return -1;
	for (i = C_FIRST; i < NTEXT; i++)
		if (crm_db_bind_text(db, st, 1 + i, s->t[i], err) < 0)
			return -1;
	for (i = 0; i < NCONS; i++)
		if ((s->c[i] < 0 ? crm_db_bind_null(db, st, 16 + i, err) :
		    crm_db_bind_int(db, st, 16 + i, s->c[i], err)) < 0)
			return -1;
	if (crm_db_bind_int(db, st, 21, s->created, err) < 0 ||
	    crm_db_bind_int(db, st, 22, any ? now : old->updated, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	return 0;
}

/*
 * Merge b into s (both survivors, s already holding the merged values of
 * the records before b): log the merge with both rows as they are, move
 * what b has, mark b merged, write s.
 */
static int
merge_one(struct crm_db *db, struct crow *s, const struct crow *b,
    int64_t now, struct crm_out *o, struct crm_merge_stats *stats,
    struct crm_error *err)
{
	struct crm_buf changed = CRM_BUF_INIT(1024);
	struct crow old;
	struct crm_stmt *st;
	const char *vals[4];
	char mid[24], sid[24], bid[24];
	int64_t merge_id;
	int i, rc = -1;

	memset(&old, 0, sizeof(old));
	for (i = 0; i < NTEXT; i++)
		if (s->t[i] != NULL && (old.t[i] = strdup(s->t[i])) == NULL) {
			crm_error_set(err, CRM_EFAIL, "out of memory");
			goto done;
		}
	memcpy(old.c, s->c, sizeof(old.c));
	old.created = s->created;
	old.updated = s->updated;
	old.id = s->id;
	if ((st = crm_db_stmt(db, "INSERT INTO merges (at, survivor_id,"
	    " merged_id, score, before) VALUES (?3, ?1, ?2, ?4, json_object("
	    " 'survivor', (SELECT json(" CONTACT_JSON ") FROM contacts"
	    "  WHERE id = ?1),"
	    " 'merged', (SELECT json(" CONTACT_JSON ") FROM contacts"
	    "  WHERE id = ?2),"
	    " 'interactions', (SELECT json_group_array(json_array(id,"
	    "  hex(chash))) FROM interactions WHERE contact_id = ?2),"
	    " 'segments', (SELECT json_group_array(json_array(m.segment_id,"
	    "  EXISTS (SELECT 1 FROM segment_members k WHERE k.segment_id ="
	    "  m.segment_id AND k.contact_id = ?1))) FROM segment_members m"
	    "  WHERE m.contact_id = ?2),"
	    " 'campaigns', (SELECT json_group_array(json_object('campaign_id',"
	    "  m.campaign_id, 'grp', m.grp, 'reason', m.reason, 'sent_at',"
	    "  m.sent_at, 'kept', EXISTS (SELECT 1 FROM campaign_members k"
	    "  WHERE k.campaign_id = m.campaign_id AND k.contact_id = ?1)))"
	    "  FROM campaign_members m WHERE m.contact_id = ?2),"
	    " 'score', EXISTS (SELECT 1 FROM scores WHERE contact_id = ?2)"
	    "  AND NOT EXISTS (SELECT 1 FROM scores WHERE contact_id = ?1),"
	    " 'consent_seq', (SELECT coalesce(max(id), 0) FROM"
	    "  consent_events)))",
	    err)) == NULL || crm_db_bind_int(db, st, 1, s->id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, b->id, err) < 0 ||
	    crm_db_bind_int(db, st, 3, now, err) < 0 ||
	    (isnan(b->score) ? crm_db_bind_null(db, st, 4, err) :
	    crm_db_bind_double(db, st, 4, b->score, err)) < 0 ||
	    crm_db_step(db, st, err) < 0)
		goto done;
	merge_id = crm_db_last_id(db);
	if (move_interactions(db, s->id, b->id, err) < 0 ||
	    crm_mergeref_move(db, merge_id, s->id, b->id, err) < 0 ||
	    merge_exec2(db, "DELETE FROM segment_members WHERE contact_id = ?2 AND"
	    " segment_id IN (SELECT segment_id FROM segment_members"
	    " WHERE contact_id = ?1)", s->id, b->id, err) < 0 ||
	    merge_exec2(db, "UPDATE segment_members SET contact_id = ?1"
	    " WHERE contact_id = ?2", s->id, b->id, err) < 0 ||
	    merge_exec2(db, "DELETE FROM campaign_members WHERE contact_id = ?2 AND"
	    " campaign_id IN (SELECT campaign_id FROM campaign_members"
	    " WHERE contact_id = ?1)", s->id, b->id, err) < 0 ||
	    merge_exec2(db, "UPDATE campaign_members SET contact_id = ?1"
	    " WHERE contact_id = ?2", s->id, b->id, err) < 0 ||
	    merge_exec2(db, "UPDATE scores SET contact_id = ?1 WHERE contact_id = ?2"
	    " AND NOT EXISTS (SELECT 1 FROM scores WHERE contact_id = ?1)",
	    s->id, b->id, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE contacts SET merged_into = ?1,"
	    " updated_at = ?3 WHERE id = ?2", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, s->id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, b->id, err) < 0 ||
	    crm_db_bind_int(db, st, 3, now, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		goto done;
	if (survive(db, s, b, err) < 0 ||
	    write_survivor(db, &old, s, now, "crm-dedupe merge", &changed,
	    err) < 0)
		goto done;
	if (changed.len)
		s->updated = now;
	snprintf(mid, sizeof(mid), "%lld", (long long)merge_id);
	snprintf(sid, sizeof(sid), "%lld", (long long)s->id);
	snprintf(bid, sizeof(bid), "%lld", (long long)b->id);
	vals[0] = mid;
	vals[1] = sid;
	vals[2] = bid;
	vals[3] = changed.len ? changed.s : NULL;
	if (crm_out_row(o, vals, err) < 0)
		goto done;
	stats->merged++;
	rc = 0;
done:
	merge_crow_release(&old);
	crm_buf_release(&changed);
	return rc;
}

int
crm_merge_rule_parse(const char *s, enum crm_merge_rule *rule,
    struct crm_error *err)
{
	if (strcmp(s, "recent") == 0)
		*rule = CRM_MERGE_RECENT;
	else if (strcmp(s, "complete") == 0)
		*rule = CRM_MERGE_COMPLETE;
	else if (strcmp(s, "source") == 0)
		*rule = CRM_MERGE_SOURCE;
	else
		return crm_error_set(err, CRM_EUSAGE, "--rule: '%s' is not"
		    " recent, complete or source", s);
	return 0;
}

/* An input link: two contacts (input ids), a score. */
struct link {
	int64_t a, b;
	double score;
};

/* A contact id as written in merge input: "17" or "#17". */
int
merge_parse_id(const char *s, int64_t *id)
{
	char *end;
	long long v;

	s = crm_trim(s, &(size_t){ 0 });
	if (*s == '#')
		s++;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	if (errno || *end || v <= 0)
		return -1;
	*id = v;
	return 0;
}

/* The survivor a contact stands for, refusing erased ones. */
static int
root_of(struct crm_db *db, int64_t id, int64_t *root, struct crm_error *err)
{
	struct crm_stmt *st;
	int hops, rc;

	for (hops = 0; hops < 64; hops++) {
		if ((st = crm_db_stmt(db, "SELECT merged_into, erased_at FROM"
		    " contacts WHERE id = ?1", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, id, err) < 0 ||
		    (rc = crm_db_step(db, st, err)) < 0)
			return -1;
		if (rc == 0)
			return crm_error_set(err, CRM_EDATA, "no contact %lld",
			    (long long)id);
		if (!crm_db_col_isnull(st, 1)) {
			crm_db_reset(st);
			return crm_error_set(err, CRM_EDATA, "contact %lld was"
			    " erased", (long long)id);
		}
		if (crm_db_col_isnull(st, 0)) {
			crm_db_reset(st);
			*root = id;
			return 0;
		}
		id = crm_db_col_int(st, 0);
		crm_db_reset(st);
	}
	return crm_error_set(err, CRM_EFAIL, "contact %lld: merge chain too"
	    " long", (long long)id);
}

static int
cmp_link(const void *p, const void *q)
{
	const struct link *x = p, *y = q;

	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	return (x->b > y->b) - (x->b < y->b);
}

/* A group member: its root, its union-find parent, its best score. */
struct member {
	int64_t id;
	size_t up;
	double score;
};

static int
cmp_member(const void *p, const void *q)
{
	const struct member *x = p, *y = q;

	return (x->id > y->id) - (x->id < y->id);
}

/* By group (id), then member (up). */
static int
cmp_group(const void *p, const void *q)
{
	const struct member *x = p, *y = q;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return (x->up > y->up) - (x->up < y->up);
}

static size_t
member_find(struct member *m, size_t x)
{
	while (m[x].up != x) {
		m[x].up = m[m[x].up].up;
		x = m[x].up;
	}
	return x;
}

static size_t
member_at(struct member *m, size_t n, int64_t id)
{
	struct member key, *hit;

	key.id = id;
	hit = bsearch(&key, m, n, sizeof(*m), cmp_member);
	return (size_t)(hit - m);
}

/* A row of cluster input. */
struct crow_in {
	char *cl;
	int64_t id;
	double score;
	size_t line;
};

static int
cmp_crow_in(const void *p, const void *q)
{
	const struct crow_in *x = p, *y = q;
	int c = strcmp(x->cl, y->cl);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/*
 * Read the links: pairs as they are; clusters as each member linked to
 * the member before it in the same cluster.
 */
static int
read_links(struct crm_csv *r, struct link **out, size_t *nout,
    struct crm_merge_stats *stats, struct crm_error *err)
{
	static const struct crm_csv_col cols[6] = {
		{ "id_a", "contact_a" }, { "id_b", "contact_b" },
		{ "cluster_id", "cluster" }, { "id", "contact_id" },
		{ "match", "merge|decision|duplicate" }, { "score", NULL },
	};
	struct crow_in *rows = NULL;
	struct link *l = NULL;
	size_t n = 0, a = 0, i, j;
	char q[CRM_QUOTE_MAX], *end;
	void *p;
	int idx[6], rc, yes, pairs, ret = -1;
	double score;
	int64_t x, y;

	if (crm_csv_header(r, cols, 6, idx, err) < 0)
		return -1;
	pairs = idx[0] >= 0 && idx[1] >= 0;
	if (!pairs && (idx[2] < 0 || idx[3] < 0))
		return crm_error_set(err, CRM_EDATA, "%s: need columns id_a and"
		    " id_b (pairs) or cluster_id and id (clusters)",
		    crm_csv_name(r));
	while ((rc = crm_csv_next(r, err)) == 1) {
		const char *v;

		stats->read++;
		if (idx[4] >= 0 && !crm_blank(v = crm_csv_field(r, idx[4]))) {
			if (crm_norm_bool(v, &yes, err) < 0)
				return crm_error_prefix(err, "%s:%ld",
				    crm_csv_name(r), crm_csv_line(r));
			if (!yes) {
				stats->skipped++;
				continue;
			}
		}
		score = NAN;
		if (idx[5] >= 0 && !crm_blank(v = crm_csv_field(r, idx[5]))) {
			score = strtod(v, &end);
			if (*end || !isfinite(score))
				score = NAN;
		}
		for (i = 0; i < 2; i++) {
			v = crm_csv_field(r, idx[pairs ? (int)i : 3]);
			if (merge_parse_id(v, i ? &y : &x) < 0) {
				crm_error_set(err, CRM_EDATA, "%s:%ld: bad contact"
				    " id '%s'", crm_csv_name(r), crm_csv_line(r),
				    crm_quote(q, v, strlen(v)));
				goto done;
			}
			if (!pairs)
				break;
		}
		if (n == a) {
			a = a ? 2 * a : 64;
			if ((p = reallocarray(rows, a, sizeof(*rows))) == NULL ||
			    (rows = p, (p = reallocarray(l, a,
			    sizeof(*l))) == NULL))
				goto nomem;
			l = p;
		}
		rows[n].cl = NULL;
		rows[n].id = x;
		rows[n].score = score;
		rows[n].line = n;
		if (pairs) {
			l[n].a = x;
			l[n].b = y;
			l[n].score = score;
		} else if ((rows[n].cl = strdup(crm_csv_field(r, idx[2]))) ==
		    NULL)
			goto nomem;
		n++;
	}
	if (rc < 0)
		goto done;
	*nout = n;
	if (!pairs && n > 0) {
		qsort(rows, n, sizeof(*rows), cmp_crow_in);
		for (i = 1, j = 0; i < n; i++) {
			if (strcmp(rows[i - 1].cl, rows[i].cl) != 0)
				continue;
			l[j].a = rows[i - 1].id;
			l[j].b = rows[i].id;
			l[j++].score = rows[i].score;
		}
		*nout = j;
	}
	*out = l;
	l = NULL;
	ret = 0;
	goto done;
nomem:
	crm_error_set(err, CRM_EFAIL, "out of memory");
done:
	for (i = 0; i < n; i++)
		free(rows[i].cl);
	free(rows);
	free(l);
	return ret;
}

int
crm_merge_header(struct crm_out *o, struct crm_error *err)
{
	static const char *const names[4] = { "merge_id", "survivor_id",
	    "merged_id", "changed" };
	static const enum crm_coltype types[4] = { CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_TEXT };

	return crm_out_header(o, names, types, 4, err);
}

int
crm_merge_run(struct crm_db *db, struct crm_csv *r,
    const struct crm_merge_opts *opts, struct crm_out *o,
    struct crm_merge_stats *stats, struct crm_error *err)
{
	struct link *l = NULL;
	struct member *m = NULL, *order = NULL;
	struct crow *g = NULL;
	enum crm_merge_rule rule;
	size_t nl = 0, nm = 0, i, j, k, ng;
	int64_t now = crm_now();
	int rc = -1;

	if (read_links(r, &l, &nl, stats, err) < 0)
		goto done;
	/* Every contact as its survivor now; links between survivors. */
	for (i = 0; i < nl; i++)
		if (root_of(db, l[i].a, &l[i].a, err) < 0 ||
		    root_of(db, l[i].b, &l[i].b, err) < 0) {
			crm_error_prefix(err, "%s", crm_csv_name(r));
			goto done;
		}
	if ((m = calloc(2 * nl + 1, sizeof(*m))) == NULL ||
	    (g = calloc(2 * nl + 1, sizeof(*g))) == NULL)
		goto nomem;
	for (i = 0; i < nl; i++) {
		m[nm++].id = l[i].a;
		m[nm++].id = l[i].b;
	}
	qsort(m, nm, sizeof(*m), cmp_member);
	for (i = j = 0; i < nm; i++)
		if (j == 0 || m[i].id != m[j - 1].id)
			m[j++] = m[i];
	nm = j;
	for (i = 0; i < nm; i++) {
		m[i].up = i;
		m[i].score = NAN;
	}
	if (nl > 0)
		qsort(l, nl, sizeof(*l), cmp_link);
	for (i = 0; i < nl; i++) {
		size_t x = member_find(m, member_at(m, nm, l[i].a));
		size_t y = member_find(m, member_at(m, nm, l[i].b));

		if (l[i].a == l[i].b) {
			stats->skipped++;
			continue;
		}
		if (x != y)
			m[x > y ? x : y].up = x < y ? x : y;
		for (k = 0; k < 2; k++) {
			size_t at = member_at(m, nm, k ? l[i].b : l[i].a);

			if (!isnan(l[i].score) && (isnan(m[at].score) ||
			    l[i].score > m[at].score))
				m[at].score = l[i].score;
		}
	}
	/*
	 * Each group, in order of its lowest contact id: the members sorted
	 * by group (a group's number is its lowest member's index).
	 */
	if ((order = calloc(nm + 1, sizeof(*order))) == NULL)
		goto nomem;
	for (i = 0; i < nm; i++) {
		order[i].id = (int64_t)member_find(m, i);
		order[i].up = i;
	}
	qsort(order, nm, sizeof(*order), cmp_group);
	for (i = 0; i < nm; i = k) {
		for (k = i; k < nm && order[k].id == order[i].id; k++)
			;
		if (k - i < 2)
			continue;
		for (ng = 0, j = i; j < k; j++) {
			if (merge_crow_load(db, m[order[j].up].id, &g[ng], opts,
			    err) < 0) {
				while (ng > 0)
					merge_crow_release(&g[--ng]);
				goto done;
			}
			g[ng++].score = m[order[j].up].score;
		}
		stats->groups++;
		rule = opts->rule;
		qsort_r(g, ng, sizeof(*g), cmp_crow, &rule);
		for (j = 1; j < ng; j++)
			if (merge_one(db, &g[0], &g[j], now, o, stats,
			    err) < 0)
				break;
		while (ng > 0)
			merge_crow_release(&g[--ng]);
		if (j < k - i)
			goto done;
	}
	rc = 0;
	goto done;
nomem:
	crm_error_set(err, CRM_EFAIL, "out of memory");
done:
	free(l);
	free(m);
	free(order);
	free(g);
	return rc;
}
