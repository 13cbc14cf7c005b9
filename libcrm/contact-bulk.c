/*
 * A large contact import (bulk.h): once the batch is large against the
 * table, the phone index (which an import never reads) and the email
 * index (when no record of the batch is matched by email) are built again
 * at the commit instead of row by row; the consent events are gathered
 * and written in statements of many rows; and in a table that was empty
 * the external_ids this run stored are kept in memory, so that a record's
 * external_id that is not among them needs no index probe to be new.
 * On PostgreSQL such new contacts, and the consent events, go by COPY
 * (db.h) with ids given here.  The database at the commit is the one the
 * row-by-row path makes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contact-int.h"

/* The external_ids of a fresh table: a set of strings, open addressing. */

static uint64_t
fnv64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int
seen_has(const struct crm_imp_seen *z, const char *s)
{
	size_t i;

	if (z->cap == 0)
		return 0;
	for (i = fnv64(s) & (z->cap - 1); z->slot[i] != 0;
	    i = (i + 1) & (z->cap - 1))
		if (strcmp(z->text + z->slot[i] - 1, s) == 0)
			return 1;
	return 0;
}

static int
seen_add(struct crm_imp_seen *z, const char *s, struct crm_error *err)
{
	size_t len = strlen(s) + 1, i;

	if (seen_has(z, s))
		return 0;
	if (2 * (z->n + 1) > z->cap) {
		size_t ncap = z->cap ? 2 * z->cap : 1 << 16, j, *slot;

		if ((slot = calloc(ncap, sizeof(*slot))) == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		for (j = 0; j < z->cap; j++) {
			if (z->slot[j] == 0)
				continue;
			for (i = fnv64(z->text + z->slot[j] - 1) & (ncap - 1);
			    slot[i] != 0; i = (i + 1) & (ncap - 1))
				;
			slot[i] = z->slot[j];
		}
		free(z->slot);
		z->slot = slot;
		z->cap = ncap;
	}
	if (z->len + len > z->alloc) {
		size_t a = z->alloc ? 2 * z->alloc : 1 << 20;
		char *t;

		while (a < z->len + len)
			a *= 2;
		if ((t = realloc(z->text, a)) == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		z->text = t;
		z->alloc = a;
	}
	memcpy(z->text + z->len, s, len);
	for (i = fnv64(s) & (z->cap - 1); z->slot[i] != 0;
	    i = (i + 1) & (z->cap - 1))
		;
	z->slot[i] = z->len + 1;	/* 0 is an empty slot */
	z->len += len;
	z->n++;
	return 0;
}

/*
 * The gathered consent events, written in statements of EV_ROWS rows
 * while the import runs (every EV_FLUSH events, so that the foreign key
 * checks find the contacts' pages still in the cache), the last few one
 * by one at the end.
 */

#define EV_ROWS 50	/* rows of one statement */
#define EV_FLUSH 4000	/* events gathered before some are written */

static int
flush_events(struct crm_importer *imp, int all, struct crm_error *err)
{
	static const char *const channel[NCONSENT] = {
		"email", "phone", "sms", "mail", "all"
	};
	static const char one[] = "INSERT INTO consent_events (contact_id,"
	    " at, source, channel, granted) VALUES (?3, ?1, ?2, ?4, ?5)";
	static char *many;
	struct crm_stmt *st;
	size_t i = 0, k, rows;
	int p;

	if (many == NULL) {
		struct crm_buf b = CRM_BUF_INIT(1 << 16);

		if (crm_buf_adds(&b, "INSERT INTO consent_events (contact_id,"
		    " at, source, channel, granted) VALUES", err) < 0)
			return -1;
		for (k = 0; k < EV_ROWS; k++)
			if (crm_buf_addf(&b, err, "%s(?%zu, ?1, ?2, ?%zu, ?%zu)",
			    k ? ", " : " ", 3 + 3 * k, 4 + 3 * k,
			    5 + 3 * k) < 0) {
				crm_buf_release(&b);
				return -1;
			}
		if ((many = strdup(crm_buf_str(&b))) == NULL) {
			crm_buf_release(&b);
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		}
		crm_buf_release(&b);
	}
	if (imp->evcopy != NULL) {
		/* The contacts first: the events refer to them. */
		if (crm_db_copy_flush(imp->copy, err) < 0)
			return -1;
		if (imp->ev_id < 0 && crm_db_query_int(imp->db, "SELECT"
		    " coalesce(max(id), 0) FROM consent_events", &imp->ev_id,
		    err) < 0)
			return -1;
		for (; i < imp->nev; i++)
			if (crm_db_copy_int(imp->evcopy, ++imp->ev_id, err) < 0 ||
			    crm_db_copy_int(imp->evcopy, imp->ev[i].id, err) < 0 ||
			    crm_db_copy_int(imp->evcopy, imp->now, err) < 0 ||
			    crm_db_copy_text(imp->evcopy, imp->ev_source,
			    err) < 0 ||
			    crm_db_copy_text(imp->evcopy,
			    channel[(int)imp->ev[i].channel], err) < 0 ||
			    crm_db_copy_int(imp->evcopy, imp->ev[i].granted,
			    err) < 0 || crm_db_copy_row(imp->evcopy, err) < 0)
				return -1;
		imp->nev = 0;
		return crm_db_copy_flush(imp->evcopy, err);
	}
	while (imp->nev - i >= EV_ROWS || (all && i < imp->nev)) {
		rows = imp->nev - i >= EV_ROWS ? EV_ROWS : 1;
		if ((st = crm_db_stmt(imp->db, rows > 1 ? many : one,
		    err)) == NULL ||
		    crm_db_bind_int(imp->db, st, 1, imp->now, err) < 0 ||
		    crm_db_bind_text(imp->db, st, 2, imp->ev_source, err) < 0)
			return -1;
		for (k = 0, p = 3; k < rows; k++, i++)
			if (crm_db_bind_int(imp->db, st, p++, imp->ev[i].id,
			    err) < 0 ||
			    crm_db_bind_text(imp->db, st, p++,
			    channel[(int)imp->ev[i].channel], err) < 0 ||
			    crm_db_bind_int(imp->db, st, p++, imp->ev[i].granted,
			    err) < 0)
				return -1;
		if (crm_db_step(imp->db, st, err) < 0)
			return -1;
	}
	/* ev is NULL while nothing was queued: memmove's pointers must
	 * not be, even for no bytes. */
	if (i > 0 && i < imp->nev)
		memmove(imp->ev, imp->ev + i, (imp->nev - i) *
		    sizeof(*imp->ev));
	imp->nev -= i;
	return 0;
}

int
crm_imp_queue_consent(struct crm_importer *imp, int64_t id, const int *c,
    struct crm_error *err)
{
	const char *src = imp->opts.source;
	int f;

	/* Another file, another source: what came before goes first. */
	if (!(imp->ev_source == NULL ? src == NULL : src != NULL &&
	    strcmp(imp->ev_source, src) == 0)) {
		if (flush_events(imp, 1, err) < 0)
			return -1;
		free(imp->ev_source);
		imp->ev_source = NULL;
		if (src != NULL && (imp->ev_source = strdup(src)) == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
	}
	if (imp->nev + NCONSENT > imp->aev) {
		size_t a = imp->aev ? 2 * imp->aev : EV_FLUSH + 2 * NCONSENT;
		struct crm_imp_event *p;

		if ((p = reallocarray(imp->ev, a, sizeof(*p))) == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		imp->ev = p;
		imp->aev = a;
	}
	for (f = 0; f < NCONSENT; f++) {
		if (c[f] < 0)
			continue;
		imp->ev[imp->nev].id = id;
		imp->ev[imp->nev].channel = (signed char)f;
		/* DNC 1 is consent withdrawn for every channel. */
		imp->ev[imp->nev].granted = (signed char)(f == NCONSENT - 1 ?
		    !c[f] : c[f]);
		imp->nev++;
	}
	return imp->nev >= (imp->evcopy ? 5 * EV_FLUSH : EV_FLUSH) ?
	    flush_events(imp, 0, err) : 0;
}

int
crm_imp_copy_flush(struct crm_importer *imp, struct crm_error *err)
{
	if (imp->copy == NULL)
		return 0;
	return crm_db_copy_flush(imp->copy, err) < 0 ||
	    flush_events(imp, 1, err) < 0 ? -1 : 0;
}

int
crm_imp_copy_insert(struct crm_importer *imp, struct crm_error *err)
{
	struct crm_db_copy *cp = imp->copy;
	const char **v = imp->val;
	int f;

	if (imp->copy_id < 0 && (crm_imp_copy_flush(imp, err) < 0 ||
	    crm_db_query_int(imp->db, "SELECT coalesce(max(id), 0) FROM"
	    " contacts", &imp->copy_id, err) < 0))
		return -1;
	/* What crm_imp_insert()'s INSERT stores. */
	if (crm_db_copy_int(cp, ++imp->copy_id, err) < 0)
		return -1;
	for (f = 0; f < NTEXT; f++)
		if (crm_db_copy_text(cp, f == F_STAGE && v[f] == NULL ? "lead" :
		    v[f], err) < 0)
			return -1;
	if (crm_db_copy_text(cp, imp->namekey.len ?
	    crm_buf_str(&imp->namekey) : NULL, err) < 0 ||
	    crm_db_copy_text(cp, imp->attrs.len ? crm_buf_str(&imp->attrs) :
	    NULL, err) < 0)
		return -1;
	for (f = 0; f < NCONSENT - 1; f++)
		if ((imp->consent[f] < 0 ? crm_db_copy_null(cp, err) :
		    crm_db_copy_int(cp, imp->consent[f], err)) < 0)
			return -1;
	if (crm_db_copy_int(cp, imp->consent[NCONSENT - 1] == 1, err) < 0 ||
	    crm_db_copy_int(cp, imp->created ? imp->created : imp->now,
	    err) < 0 ||
	    crm_db_copy_int(cp, imp->now, err) < 0 ||
	    crm_db_copy_blob(cp, imp->hash, 16, err) < 0 ||
	    crm_db_copy_int(cp, imp->now, err) < 0 ||
	    crm_db_copy_row(cp, err) < 0)
		return -1;
	for (f = 0; f < NCONSENT; f++)
		if (imp->consent[f] >= 0)
			return crm_imp_queue_consent(imp, imp->copy_id,
			    imp->consent, err);
	return 0;
}

/* Before the commit: the events written, the indexes built again. */
static int
bulk_end(void *arg, struct crm_error *err)
{
	struct crm_importer *imp = arg;

	if (crm_db_copy_flush(imp->copy, err) < 0 ||
	    flush_events(imp, 1, err) < 0)
		return -1;
	imp->bulk_on = 0;
	return crm_bulk_restore(&imp->bulk, NULL, err);
}

int
crm_imp_bulk_start(struct crm_importer *imp, struct crm_error *err)
{
	struct crm_stmt *st;
	int rc;

	imp->bulk_tried = 1;
	if (crm_db_before_commit(imp->db, bulk_end, imp, err) < 0 ||
	    crm_bulk_drop(&imp->bulk, imp->db, "contacts_phone", err) < 0)
		return -1;
	/* Email lookups: records without external_id, leads to adopt. */
	if (imp->hashing && imp->opts.key != CRM_KEY_EMAIL && !imp->keyless &&
	    crm_bulk_drop(&imp->bulk, imp->db, "contacts_email", err) < 0)
		return -1;
	imp->bulk_on = 1;
	if (!imp->fresh)
		return 0;
	if (crm_db_is_pg(imp->db) && imp->hashing && !imp->keyless) {
		/* A first import into PostgreSQL: COPY (db.h). */
		imp->copy_id = imp->ev_id = -1;
		if ((imp->copy = crm_db_copy_begin(imp->db, "contacts", "id,"
		    " external_id, first_name, last_name, email, phone, company,"
		    " street, city, postcode, country, birth_date, stage, owner,"
		    " phone_type, phone_ext, name_key, attrs, email_opt_in,"
		    " phone_opt_in, sms_opt_in, mail_opt_in, do_not_contact,"
		    " created_at, updated_at, row_hash, imported_at",
		    err)) == NULL ||
		    (imp->evcopy = crm_db_copy_begin(imp->db, "consent_events",
		    "id, contact_id, at, source, channel, granted",
		    err)) == NULL)
			return -1;
	}
	if ((st = crm_db_stmt(imp->db, "SELECT external_id FROM contacts"
	    " WHERE external_id IS NOT NULL", err)) == NULL)
		return -1;
	while ((rc = crm_db_step(imp->db, st, err)) == 1)
		if (seen_add(&imp->seen, crm_db_col_text(st, 0), err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	return rc < 0 ? -1 : 0;
}

int
crm_imp_need_email(struct crm_importer *imp, struct crm_error *err)
{
	if (!crm_bulk_dropped(&imp->bulk, "contacts_email"))
		return 0;
	return crm_bulk_restore(&imp->bulk, "contacts_email", err);
}

int
crm_imp_seen(const struct crm_importer *imp, const char *ext)
{
	return !imp->bulk_on || !imp->fresh || seen_has(&imp->seen, ext);
}

int
crm_imp_stored_ext(struct crm_importer *imp, const char *ext,
    struct crm_error *err)
{
	if (!imp->bulk_on || !imp->fresh || ext == NULL)
		return 0;
	return seen_add(&imp->seen, ext, err);
}

void
crm_imp_bulk_free(struct crm_importer *imp)
{
	struct crm_error e;

	if (imp->bulk.n > 0 || imp->nev > 0 || imp->copy != NULL) {
		/* Freed before its commit: the work now, or no commit. */
		if (crm_db_before_commit_run(imp->db, imp, &e) < 0)
			crm_db_rollback(imp->db);
		crm_bulk_clear(&imp->bulk);
	}
	crm_db_copy_free(imp->copy);
	crm_db_copy_free(imp->evcopy);
	free(imp->ev);
	free(imp->ev_source);
	free(imp->seen.slot);
	free(imp->seen.text);
}
