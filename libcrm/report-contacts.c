/*
 * report-contacts.c - crm-report's contacts: stages, owners, new contacts,
 * data quality and consent, merges and the audit's runs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "norm.h"
#include "report-int.h"

/*
 * One pass over the contacts, added up here rather than by GROUP BY,
 * which would sort a million rows: a row gives its stage, owner, day
 * added and its data-quality and consent facts as bits.
 */
/*
 * A contact is new from its created_at or its first interaction,
 * whichever is earlier: an import of customers with their history (whose
 * created_at is the day of the import when the file has none) is not
 * read as that many new contacts.
 */
static const char sql_contacts[] =
    "SELECT stage, owner, min(created_at, coalesce((SELECT min(at) FROM"
    " interactions i WHERE i.contact_id = contacts.id), created_at)),"
    " (merged_into IS NOT NULL) + 2 * (erased_at IS NOT NULL)"
    " + 4 * (email IS NULL) + 8 * (phone IS NULL)"
    " + 16 * (do_not_contact = 1)"
    " + 32 * (phone_type IS NOT NULL"
    "   AND phone_type IN ('mobile', 'fixed_line_or_mobile'))"
    " + 64 * (street IS NOT NULL AND city IS NOT NULL"
    "   AND postcode IS NOT NULL),"
    " coalesce(email_opt_in, 2) + 4 * coalesce(phone_opt_in, 2)"
    " + 16 * coalesce(sms_opt_in, 2) + 64 * coalesce(mail_opt_in, 2)"
    " FROM contacts";

static const char sql_merges[] =
    "SELECT count(*) FILTER (WHERE undone_at IS NULL),"
    " count(*) FILTER (WHERE undone_at IS NULL AND at >= ?1 AND at < ?2),"
    " count(*) FILTER (WHERE undone_at IS NOT NULL) FROM merges";

static const char sql_audit[] =
    "SELECT program, count(*),"
    " CAST(total(json_extract(counts, '$.read')) AS INTEGER),"
    " CAST(total(json_extract(counts, '$.rejected')) AS INTEGER),"
    " CAST(total(json_extract(counts, '$.inserted')) AS INTEGER),"
    " CAST(total(json_extract(counts, '$.updated')) AS INTEGER),"
    " CAST(total(json_extract(counts, '$.unchanged')) AS INTEGER)"
    " FROM audit WHERE at >= ?1 AND at < ?2 GROUP BY program"
    " ORDER BY program";

/*
 * Counting by name: an open-addressing hash of names to slots, so that a
 * million rows with many distinct owners stay linear.
 */
struct counter {
	size_t n, cap;		/* names, slots (a power of two) */
	struct named *slot;
};

static uint64_t
hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The entry for name, added (count 0) if new; NULL on ENOMEM. */
static struct named *
count_name(struct crm_report *r, struct counter *c, const char *name,
    struct crm_error *err)
{
	size_t i;

	if (2 * (c->n + 1) > c->cap) {
		struct counter g = { 0, c->cap ? c->cap * 2 : 64, NULL };

		if ((g.slot = calloc(g.cap, sizeof(*g.slot))) == NULL) {
			crm_error_set(err, CRM_EFAIL, "out of memory");
			return NULL;
		}
		for (i = 0; i < c->cap; i++) {
			size_t k;

			if (c->slot[i].name == NULL)
				continue;
			for (k = hash(c->slot[i].name) & (g.cap - 1);
			    g.slot[k].name != NULL; k = (k + 1) & (g.cap - 1))
				;
			g.slot[k] = c->slot[i];
		}
		free(c->slot);
		c->slot = g.slot;
		c->cap = g.cap;
	}
	for (i = hash(name) & (c->cap - 1); c->slot[i].name != NULL;
	    i = (i + 1) & (c->cap - 1))
		if (strcmp(c->slot[i].name, name) == 0)
			return &c->slot[i];
	if ((c->slot[i].name = report_pdup(r, name, err)) == NULL)
		return NULL;
	c->n++;
	return &c->slot[i];
}

static int
cmp_named(const void *a, const void *b)
{
	const struct named *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* The names counted, largest count first, into the pool; frees c. */
static struct named *
counted(struct crm_report *r, struct counter *c, size_t *n,
    struct crm_error *err)
{
	struct named *v;
	size_t i, k = 0;

	*n = c->n;
	if ((v = report_parray(r, c->n + 1, sizeof(*v), err)) != NULL) {
		for (i = 0; i < c->cap; i++)
			if (c->slot[i].name != NULL)
				v[k++] = c->slot[i];
		if (k > 0)
			qsort(v, k, sizeof(*v), cmp_named);
	}
	free(c->slot);
	memset(c, 0, sizeof(*c));
	return v;
}

/* Add n to the entry called name of a growing list. */
int
report_tally(struct crm_report *r, struct named **list, size_t *n,
    size_t *alloc, const char *name, int64_t k, struct crm_error *err)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*list)[i].name, name) == 0) {
			(*list)[i].n += k;
			return 0;
		}
	if (*n == *alloc) {
		size_t na = *alloc ? *alloc * 2 : 16;
		struct named *q = report_parray(r, na, sizeof(*q), err);

		if (q == NULL)
			return -1;
		if (*n > 0)
			memcpy(q, *list, *n * sizeof(*q));
		*list = q;
		*alloc = na;
	}
	if (((*list)[*n].name = report_pdup(r, name, err)) == NULL)
		return -1;
	(*list)[(*n)++].n = k;
	return 0;
}

static int
gather_runs(struct crm_report *r, struct crm_db *db, struct crm_error *err)
{
	struct crm_stmt *st;
	size_t alloc = 0;
	int rc;

	if ((st = crm_db_stmt(db, sql_audit, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, r->start, err) < 0 ||
	    crm_db_bind_int(db, st, 2, r->end, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		struct run *x;

		if (report_pgrow(r, (void **)&r->runs, r->nruns, &alloc,
		    sizeof(*r->runs), err) < 0) {
			crm_db_reset(st);
			return -1;
		}
		x = &r->runs[r->nruns++];
		if ((x->program = report_pdup(r, crm_db_col_text(st, 0) ?
		    crm_db_col_text(st, 0) : "", err)) == NULL) {
			crm_db_reset(st);
			return -1;
		}
		x->runs = crm_db_col_int(st, 1);
		x->read = crm_db_col_int(st, 2);
		x->rejected = crm_db_col_int(st, 3);
		x->inserted = crm_db_col_int(st, 4);
		x->updated = crm_db_col_int(st, 5);
		x->unchanged = crm_db_col_int(st, 6);
	}
	return rc < 0 ? -1 : 0;
}

int
report_gather_contacts(struct crm_report *r, struct crm_db *db,
    struct crm_error *err)
{
	struct counter stages = { 0, 0, NULL }, owners = { 0, 0, NULL };
	struct named *last_stage = NULL, *last_owner = NULL;
	int64_t mb[13], ms;
	struct crm_stmt *st;
	int rc = -1, step, c, ym_end;
	size_t i;

	/* The last twelve calendar months, for new contacts. */
	ym_end = report_month_start(r->end - 1, &ms);
	for (i = 0; i < 12; i++) {
		char d[11], *l;

		mb[i] = report_month_of(ym_end - 11 + (int)i);
		crm_format_date(mb[i], d);
		if ((l = report_palloc(r, 8, err)) == NULL)
			return -1;
		memcpy(l, d, 7);
		r->month[i] = l;
	}
	mb[12] = report_month_of(ym_end + 1);
	if ((r->new_contacts = report_zeros(r, r->nb, err)) == NULL ||
	    (st = crm_db_stmt(db, sql_contacts, err)) == NULL)
		return -1;
	while ((step = crm_db_step(db, st, err)) == 1) {
		const char *stage = crm_db_col_text(st, 0);
		const char *owner = crm_db_col_text(st, 1);
		int64_t t = crm_db_col_int(st, 2);
		int bits = crm_db_col_int(st, 3);
		int opt = crm_db_col_int(st, 4);

		if (r->o.owner != NULL && (owner == NULL ||
		    strcmp(owner, r->o.owner) != 0))
			continue;
		if (bits & 1) {
			r->merged_away++;
			continue;
		}
		if (bits & 2) {
			r->erased++;
			continue;
		}
		r->live++;
		r->no_email += (bits >> 2) & 1;
		r->no_phone += (bits >> 3) & 1;
		r->no_both += (bits & 12) == 12;
		r->dnc += (bits >> 4) & 1;
		for (c = 0; c < 4; c++) {
			int v = (opt >> (2 * c)) & 3;	/* 1 yes, 0 no, 2 ? */
			int has = c == 0 ? !(bits & 4) : c == 1 ?
			    !(bits & 8) : c == 2 ? (bits >> 5) & 1 :
			    (bits >> 6) & 1;

			r->consent[c][v == 1 ? 0 : v == 0 ? 1 : 2]++;
			r->consent[c][3] += v == 1 && !(bits & 16) && has;
		}
		/* Runs of one stage or owner are common: check the last. */
		if (stage == NULL)
			stage = "(none)";
		if (owner == NULL)
			owner = "(none)";
		if ((last_stage == NULL || strcmp(last_stage->name,
		    stage) != 0) &&
		    (last_stage = count_name(r, &stages, stage, err)) == NULL)
			goto done;
		last_stage->n++;
		if ((last_owner == NULL || strcmp(last_owner->name,
		    owner) != 0) &&
		    (last_owner = count_name(r, &owners, owner, err)) == NULL)
			goto done;
		last_owner->n++;
		if (t >= r->start && t < r->end) {
			r->new_contacts[report_bucket(r, t)]++;
			r->new_total++;
		}
		if (t >= mb[0] && t < mb[12]) {
			for (c = 11; mb[c] > t; c--)
				;
			r->month_n[c]++;
		}
	}
	if (step < 0)
		goto done;
	if ((r->stages = counted(r, &stages, &r->nstages, err)) == NULL ||
	    (r->owners = counted(r, &owners, &r->nowners, err)) == NULL)
		goto done;

	if ((st = crm_db_stmt(db, sql_merges, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, r->start, err) < 0 ||
	    crm_db_bind_int(db, st, 2, r->end, err) < 0 ||
	    (step = crm_db_step(db, st, err)) < 0)
		goto done;
	if (step == 1) {
		r->merges_total = crm_db_col_int(st, 0);
		r->merges_period = crm_db_col_int(st, 1);
		r->merges_undone = crm_db_col_int(st, 2);
		crm_db_reset(st);
	}
	if (gather_runs(r, db, err) < 0)
		goto done;
	rc = 0;
done:
	if (rc < 0)
		crm_db_reset(st);
	free(stages.slot);
	free(owners.slot);
	return rc;
}
