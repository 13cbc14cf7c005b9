/*
 * deal.c - the deal tables and the import (crm-deal FILE).  Stages and
 * show are in deal-stage.c, the analyses in deal-report.c and
 * deal-forecast.c, their writers in deal-out.c.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "contact.h"
#include "deal-int.h"
#include "interaction.h"
#include "norm.h"
#include "privacy.h"
#include "resolve.h"

/*
 * The schema (migration in db.c).  The trigger keeps a company's deal when
 * crm-forget deletes the rows that refer to an erased person: it cuts the
 * tie (contact_id, and the title that may name the person) and skips the
 * delete.  A deal whose contact_id is already NULL deletes as usual.
 */
/*
 * Schema 16: deals.entered, the stages (bit p: position p, 1..63) a deal
 * has ever entered, kept by the import beside deal_history so that the
 * learnt probabilities and the funnel's reach need not read the history;
 * filled in here for the deals stored before, and again by
 * crm_deal_stages_define() when positions change.
 */
#define DEAL_ENTERED_SQL "UPDATE deals SET entered = coalesce((SELECT" \
	" sum(DISTINCT 1 << s.position) FROM deal_history h JOIN deal_stages s" \
	" ON s.id = h.stage_to WHERE h.deal_id = deals.id AND s.position" \
	" BETWEEN 1 AND 63), 0)"

const char crm_deal_entered_schema[] =
    "ALTER TABLE deals ADD COLUMN entered INTEGER NOT NULL DEFAULT 0;"
    DEAL_ENTERED_SQL ";";

const char deal_entered_sql[] = DEAL_ENTERED_SQL " WHERE pipeline_id = ?1";

const char crm_deal_schema[] =
    "CREATE TABLE pipelines ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  created_at INTEGER NOT NULL"
    ");"
    "CREATE TABLE deal_stages ("
    "  id INTEGER PRIMARY KEY,"
    "  pipeline_id INTEGER NOT NULL REFERENCES pipelines(id),"
    "  name TEXT NOT NULL,"
    "  position INTEGER NOT NULL,"
    "  probability REAL NOT NULL"
    "    CHECK (probability >= 0 AND probability <= 1),"
    "  outcome TEXT NOT NULL DEFAULT 'open'"
    "    CHECK (outcome = 'open' OR outcome = 'won' OR outcome = 'lost'),"
    "  UNIQUE (pipeline_id, name)"
    ");"
    "CREATE TABLE deals ("
    "  id INTEGER PRIMARY KEY,"
    "  ref TEXT NOT NULL UNIQUE,"
    "  pipeline_id INTEGER NOT NULL REFERENCES pipelines(id),"
    "  stage_id INTEGER NOT NULL REFERENCES deal_stages(id),"
    "  contact_id INTEGER REFERENCES contacts(id),"
    "  company TEXT,"
    "  title TEXT,"
    "  amount REAL,"
    "  currency TEXT,"
    "  probability REAL"
    "    CHECK (probability IS NULL OR (probability >= 0"
    "      AND probability <= 1)),"
    "  close_at INTEGER,"
    "  owner TEXT,"
    "  source TEXT,"
    "  product TEXT,"
    "  lost_reason TEXT,"
    "  created_at INTEGER NOT NULL,"
    "  stage_at INTEGER NOT NULL,"
    "  closed_at INTEGER,"
    "  changed_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX deals_contact ON deals(contact_id)"
    "  WHERE contact_id IS NOT NULL;"
    "CREATE TABLE deal_history ("
    "  id INTEGER PRIMARY KEY,"
    "  deal_id INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,"
    "  at INTEGER NOT NULL,"
    "  changed_by TEXT,"
    "  stage_from INTEGER,"
    "  stage_to INTEGER NOT NULL,"
    "  amount_from REAL,"
    "  amount_to REAL,"
    "  close_from INTEGER,"
    "  close_to INTEGER"
    ");"
    "CREATE INDEX deal_history_deal ON deal_history(deal_id, at);"
    "CREATE TRIGGER deals_keep_company BEFORE DELETE ON deals"
    "  WHEN OLD.company IS NOT NULL AND OLD.contact_id IS NOT NULL"
    "  BEGIN"
    "    UPDATE deals SET contact_id = NULL, title = NULL WHERE id = OLD.id;"
    "    SELECT RAISE(IGNORE);"
    "  END;"
    "INSERT INTO pipelines (id, name, created_at)"
    "  VALUES (1, 'sales', CAST(strftime('%s', 'now') AS INTEGER));"
    "INSERT INTO deal_stages (pipeline_id, name, position,"
    "  probability,"
    "  outcome) VALUES"
    "  (1, 'qualification', 1, 0.20, 'open'),"
    "  (1, 'needs analysis', 2, 0.25, 'open'),"
    "  (1, 'proposal', 3, 0.65, 'open'),"
    "  (1, 'negotiation', 4, 0.80, 'open'),"
    "  (1, 'won', 5, 1.0, 'won'),"
    "  (1, 'lost', 6, 0.0, 'lost');";

int64_t
deal_day(int64_t t)
{
	int64_t d = t / 86400;

	if (t % 86400 < 0)
		d--;
	return d * 86400;
}

void
deal_fold(const char *in, size_t len, char *out, size_t n)
{
	size_t i, o = 0;
	int space = 0;

	for (i = 0; i < len && o + 1 < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '-' || c == '_' || isspace(c)) {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < n)
			out[o++] = ' ';
		space = 0;
		out[o++] = (char)tolower(c);
	}
	out[o] = '\0';
}

/* ------------------------------------------------------------------ */
/* Import */

enum {
	F_REF, F_CONTACT, F_EXTERNAL_ID, F_EMAIL, F_PHONE, F_COMPANY, F_TITLE,
	F_AMOUNT, F_CURRENCY, F_STAGE, F_PIPELINE, F_PROB, F_CLOSE_DATE,
	F_OWNER, F_SOURCE, F_PRODUCT, F_LOST_REASON, F_CREATED_AT, F_CLOSED_AT,
	F_AT, F_BY,
	NCOL
};

static const struct crm_csv_col cols[NCOL] = {
	{ "ref", "deal_id|deal_ref|opportunity_id|record_id|reference" },
	{ "contact", "contact_key|customer" },
	{ "external_id", "externalid|customer_id|customer_number|ext_id" },
	{ "email", "e_mail|email_address|mail_address|contact_email" },
	{ "phone", "phone_number|telephone|tel|mobile" },
	{ "company", "account|account_name|associated_company|organisation|organization"
	    "|company_name" },
	{ "title", "deal_name|opportunity_name|name|subject" },
	{ "amount", "value|deal_value|total" },
	{ "currency", "ccy|currency_code|deal_currency" },
	{ "stage", "deal_stage|dealstage|sales_stage" },
	{ "pipeline", "deal_pipeline" },
	{ "probability", "prob|probability_(%)|win_probability" },
	{ "close_date", "expected_close|expected_close_date|closedate"
	    "" },
	{ "owner", "deal_owner|opportunity_owner|assigned_to|salesperson" },
	{ "source", "lead_source|deal_source|original_source" },
	{ "product", "sku|item|product_name" },
	{ "lost_reason", "closed_lost_reason|loss_reason|reason_lost" },
	{ "created_at", "created|create_date|created_date|date_created" },
	{ "closed_at", "closed|date_closed|won_at|lost_at" },
	{ "at", "changed_at|updated_at|date|when|timestamp" },
	{ "changed_by", "by|modified_by|updated_by" },
};

/* Text columns of a deal, in the order of the UPDATE below. */
enum { T_COMPANY, T_TITLE, T_CURRENCY, T_OWNER, T_SOURCE, T_PRODUCT,
    T_LOST, NTEXT };

static const int text_field[NTEXT] = { F_COMPANY, F_TITLE, F_CURRENCY,
    F_OWNER, F_SOURCE, F_PRODUCT, F_LOST_REASON };

/* A deal's stored (or new) state. */
struct dstate {
	int64_t id, pipeline, stage, contact;	/* contact 0: none */
	int64_t close_date, created_at, stage_at, closed_at, changed_at;
	int64_t entered;			/* deals.entered */
	int has_amount, has_prob, has_close;
	double amount, prob;
	struct crm_buf text[NTEXT];		/* len 0 + NULL str: none */
	int has_text[NTEXT];
};

struct crm_deal_importer {
	struct crm_db *db;
	struct crm_deal_import_opts opts;
	struct crm_deal_import_stats st;
	struct deal_stages stages;
	struct crm_erasure *erased;
	struct deal_strtab erased_refs;	/* deals of erased people, this run */
	int64_t now, default_pipeline;
	int idx[NCOL];
	struct dstate old, cur;
	struct crm_buf ref, key, by;
	const char *source;
	/* Contact keys seen in this run (nothing merges meanwhile). */
	struct deal_strtab ckeys;
	int64_t *cids;
	size_t ncids;
};

static void
dstate_init(struct dstate *d)
{
	int i;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < NTEXT; i++)
		crm_buf_init(&d->text[i], CRM_CSV_FIELD_MAX);
}

static void
dstate_release(struct dstate *d)
{
	int i;

	for (i = 0; i < NTEXT; i++)
		crm_buf_release(&d->text[i]);
}

static const char *
dtext(const struct dstate *d, int i)
{
	return d->has_text[i] ? crm_buf_str(&d->text[i]) : NULL;
}

static int
dset(struct dstate *d, int i, const char *s, size_t len,
    struct crm_error *err)
{
	crm_buf_reset(&d->text[i]);
	d->has_text[i] = s != NULL;
	if (s == NULL)
		return 0;
	if (crm_buf_add(&d->text[i], s, len, err) < 0)
		return -1;
	(void)crm_buf_str(&d->text[i]);
	return 0;
}

struct crm_deal_importer *
crm_deal_importer_new(struct crm_db *db,
    const struct crm_deal_import_opts *opts, struct crm_error *err)
{
	struct crm_deal_importer *im;

	if (opts->region != NULL && !crm_norm_region_known(opts->region)) {
		crm_error_set(err, CRM_EUSAGE, "unknown phone region '%s'",
		    opts->region);
		return NULL;
	}
	if ((im = calloc(1, sizeof(*im))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	im->db = db;
	im->opts = *opts;
	im->now = crm_now();
	dstate_init(&im->old);
	dstate_init(&im->cur);
	crm_buf_init(&im->ref, CRM_CSV_FIELD_MAX);
	crm_buf_init(&im->key, CRM_CSV_FIELD_MAX);
	crm_buf_init(&im->by, CRM_CSV_FIELD_MAX);
	if (deal_stages_load(db, &im->stages, err) < 0)
		goto fail;
	im->default_pipeline = deal_pipeline_id(&im->stages,
	    opts->pipeline != NULL ? opts->pipeline : "sales");
	if (im->default_pipeline == 0) {
		crm_error_set(err, CRM_EUSAGE, "no pipeline '%s' (crm-deal"
		    " stages -p NAME FILE defines one)", opts->pipeline != NULL ?
		    opts->pipeline : "sales");
		goto fail;
	}
	return im;
fail:
	crm_deal_importer_free(im);
	return NULL;
}

void
crm_deal_importer_free(struct crm_deal_importer *im)
{
	if (im == NULL)
		return;
	deal_stages_release(&im->stages);
	crm_erasure_free(im->erased);
	deal_strtab_release(&im->erased_refs);
	deal_strtab_release(&im->ckeys);
	free(im->cids);
	dstate_release(&im->old);
	dstate_release(&im->cur);
	crm_buf_release(&im->ref);
	crm_buf_release(&im->key);
	crm_buf_release(&im->by);
	free(im);
}

const struct crm_deal_import_stats *
crm_deal_importer_stats(const struct crm_deal_importer *im)
{
	return &im->st;
}

int
crm_deal_importer_header(struct crm_deal_importer *im, struct crm_csv *r,
    struct crm_error *err)
{
	if (crm_csv_header(r, cols, NCOL, im->idx, err) < 0)
		return -1;
	if (im->idx[F_REF] < 0)
		return crm_error_set(err, CRM_EDATA, "%s: no ref column (each"
		    " deal needs its own reference)", crm_csv_name(r));
	im->source = crm_csv_name(r);
	return 0;
}

/* Field f of the record, trimmed, or NULL when missing or blank. */
static const char *
field(struct crm_deal_importer *im, struct crm_csv *r, int f, size_t *len)
{
	const char *v;

	if (im->idx[f] < 0)
		return NULL;
	v = crm_trim(crm_csv_field(r, im->idx[f]), len);
	return *len == 0 ? NULL : v;
}

static int
when(struct crm_deal_importer *im, struct crm_csv *r, int f, int64_t *t,
    int *has, struct crm_error *err)
{
	const char *v;
	size_t len;

	*has = 0;
	if ((v = field(im, r, f, &len)) == NULL)
		return 0;
	if (crm_norm_datetime(v, t, err) < 0)
		return crm_error_prefix(err, "%s", cols[f].name);
	*has = 1;
	return 0;
}

/*
 * The record's contact: 1 and *id when it names one, 0 when it names
 * none, 2 when it names an erased person (the record is left out).
 */
static int
contact_of(struct crm_deal_importer *im, struct crm_csv *r, int64_t *id,
    struct crm_error *err)
{
	static const int keys[] = { F_CONTACT, F_EXTERNAL_ID, F_EMAIL,
	    F_PHONE };
	const char *v, *kind;
	size_t k, len;
	int listed, e164;

	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if ((v = field(im, r, keys[k], &len)) != NULL)
			break;
	if (k == sizeof(keys) / sizeof(keys[0]))
		return 0;
	crm_buf_reset(&im->key);
	if (crm_buf_add(&im->key, v, len, err) < 0)
		return -1;
	v = crm_buf_str(&im->key);
	if (deal_strtab_has(&im->ckeys, v)) {
		*id = im->cids[deal_intern(&im->ckeys, v, err) - 1];
		return 1;
	}
	if (crm_contact_resolve(im->db, v, im->opts.region, id, err) == 0) {
		int slot = 0;

		/* Remember the key; a full cache simply stops growing. */
		if (im->ckeys.n < 65536 && (slot = deal_intern(&im->ckeys, v,
		    err)) > 0) {
			if ((size_t)slot > im->ncids) {
				size_t na = im->ncids ? 2 * im->ncids : 1024;
				int64_t *p = reallocarray(im->cids, na,
				    sizeof(*p));

				if (p == NULL)
					return crm_error_set(err, CRM_EFAIL,
					    "out of memory");
				im->cids = p;
				im->ncids = na;
			}
			im->cids[slot - 1] = *id;
		} else if (slot < 0)
			return -1;
		return 1;
	}
	if (err->code != CRM_EDATA)
		return -1;
	/* A person erased on request stays out, deals and all. */
	if (im->erased == NULL &&
	    (im->erased = crm_erasure_new(im->db, err)) == NULL)
		return -1;
	if (strchr(v, '@') != NULL) {
		struct crm_buf b = CRM_BUF_INIT(4096);

		kind = "email";
		listed = crm_norm_email(v, &b, NULL) == 0 ?
		    crm_erasure_listed(im->erased, kind, crm_buf_str(&b), err) :
		    0;
		crm_buf_release(&b);
	} else {
		listed = crm_erasure_listed(im->erased, "external_id", v, err);
		if (listed == 0) {
			struct crm_buf b = CRM_BUF_INIT(4096);

			if (crm_norm_phone(v, im->opts.region, &b, &e164,
			    NULL) == 0)
				listed = crm_erasure_listed(im->erased, "phone",
				    crm_buf_str(&b), err);
			crm_buf_release(&b);
		}
	}
	if (listed < 0)
		return -1;
	if (listed)
		return 2;
	return crm_error_set(err, CRM_EDATA, "no contact '%s' (crm-add it"
	    " first)", v);
}

static const char sql_find[] = "SELECT id, pipeline_id, stage_id,"
    " contact_id, amount, probability, close_at, created_at, stage_at,"
    " closed_at, changed_at, company, title, currency, owner, source,"
    " product, lost_reason, entered FROM deals WHERE ref = ?1";

/* Read the stored deal ref into old: 1 found, 0 none. */
static int
load_old(struct crm_deal_importer *im, const char *ref, struct crm_error *err)
{
	struct dstate *d = &im->old;
	struct crm_stmt *st;
	const char *s;
	int rc = -1, i;

	if ((st = crm_db_stmt(im->db, sql_find, err)) == NULL ||
	    crm_db_bind_text(im->db, st, 1, ref, err) < 0 ||
	    (rc = crm_db_step(im->db, st, err)) <= 0)
		return rc;
	d->id = crm_db_col_int(st, 0);
	d->pipeline = crm_db_col_int(st, 1);
	d->stage = crm_db_col_int(st, 2);
	d->contact = crm_db_col_int(st, 3);
	d->has_amount = !crm_db_col_isnull(st, 4);
	d->amount = crm_db_col_double(st, 4);
	d->has_prob = !crm_db_col_isnull(st, 5);
	d->prob = crm_db_col_double(st, 5);
	d->has_close = !crm_db_col_isnull(st, 6);
	d->close_date = crm_db_col_int(st, 6);
	d->created_at = crm_db_col_int(st, 7);
	d->stage_at = crm_db_col_int(st, 8);
	d->closed_at = crm_db_col_int(st, 9);
	d->changed_at = crm_db_col_int(st, 10);
	d->entered = crm_db_col_int(st, 11 + NTEXT);
	for (i = 0; i < NTEXT; i++) {
		s = crm_db_col_text(st, 11 + i);
		if (dset(d, i, s, s != NULL ? strlen(s) : 0, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	crm_db_reset(st);
	return 1;
}

static int
same_num(int ha, double a, int hb, double b)
{
	return ha == hb && (!ha || a == b);
}

static int
same_text(const struct dstate *a, const struct dstate *b, int i)
{
	if (a->has_text[i] != b->has_text[i])
		return 0;
	return !a->has_text[i] ||
	    strcmp(crm_buf_str(&a->text[i]), crm_buf_str(&b->text[i])) == 0;
}

static void
bind_opt_double(struct crm_db *db, struct crm_stmt *st, int i, int has,
    double v, int *bad, struct crm_error *err)
{
	if ((has ? crm_db_bind_double(db, st, i, v, err) :
	    crm_db_bind_null(db, st, i, err)) < 0)
		*bad = 1;
}

static void
bind_opt_int(struct crm_db *db, struct crm_stmt *st, int i, int has,
    int64_t v, int *bad, struct crm_error *err)
{
	if ((has ? crm_db_bind_int(db, st, i, v, err) :
	    crm_db_bind_null(db, st, i, err)) < 0)
		*bad = 1;
}

static const char sql_insert[] = "INSERT INTO deals (ref, pipeline_id,"
    " stage_id, contact_id, amount, probability, close_at, created_at,"
    " stage_at, closed_at, changed_at, company, title, currency, owner,"
    " source, product, lost_reason, updated_at, entered) VALUES (?1, ?2, ?3,"
    " ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
    " ?19, ?20)";

static const char sql_update[] = "UPDATE deals SET pipeline_id = ?2,"
    " stage_id = ?3, contact_id = ?4, amount = ?5, probability = ?6,"
    " close_at = ?7, created_at = ?8, stage_at = ?9, closed_at = ?10,"
    " changed_at = ?11, company = ?12, title = ?13, currency = ?14,"
    " owner = ?15, source = ?16, product = ?17, lost_reason = ?18,"
    " updated_at = ?19, entered = ?20 WHERE id = ?1";

static int
store(struct crm_deal_importer *im, const char *ref, int isnew,
    struct crm_error *err)
{
	struct crm_db *db = im->db;
	struct dstate *d = &im->cur;
	struct crm_stmt *st;
	int bad = 0, i;

	if ((st = crm_db_stmt(db, isnew ? sql_insert : sql_update,
	    err)) == NULL)
		return -1;
	if ((isnew ? crm_db_bind_text(db, st, 1, ref, err) :
	    crm_db_bind_int(db, st, 1, d->id, err)) < 0 ||
	    crm_db_bind_int(db, st, 2, d->pipeline, err) < 0 ||
	    crm_db_bind_int(db, st, 3, d->stage, err) < 0)
		return -1;
	bind_opt_int(db, st, 4, d->contact != 0, d->contact, &bad, err);
	bind_opt_double(db, st, 5, d->has_amount, d->amount, &bad, err);
	bind_opt_double(db, st, 6, d->has_prob, d->prob, &bad, err);
	bind_opt_int(db, st, 7, d->has_close, d->close_date, &bad, err);
	bind_opt_int(db, st, 8, 1, d->created_at, &bad, err);
	bind_opt_int(db, st, 9, 1, d->stage_at, &bad, err);
	bind_opt_int(db, st, 10, d->closed_at != 0, d->closed_at, &bad, err);
	bind_opt_int(db, st, 11, 1, d->changed_at, &bad, err);
	for (i = 0; i < NTEXT && !bad; i++)
		if (crm_db_bind_text(db, st, 12 + i, dtext(d, i), err) < 0)
			bad = 1;
	bind_opt_int(db, st, 19, 1, im->now, &bad, err);
	bind_opt_int(db, st, 20, 1, d->entered, &bad, err);
	if (bad || crm_db_step(db, st, err) < 0)
		return -1;
	if (isnew)
		d->id = crm_db_last_id(db);
	return 0;
}

static int
history(struct crm_deal_importer *im, int64_t at, const char *by,
    const struct dstate *from, struct crm_error *err)
{
	struct crm_db *db = im->db;
	const struct dstate *d = &im->cur;
	struct crm_stmt *st;
	int bad = 0;

	if ((st = crm_db_stmt(db, "INSERT INTO deal_history (deal_id, at,"
	    " changed_by, stage_from, stage_to, amount_from, amount_to,"
	    " close_from, close_to) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
	    " ?9)", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, d->id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, at, err) < 0 ||
	    crm_db_bind_text(db, st, 3, by, err) < 0)
		return -1;
	bind_opt_int(db, st, 4, from != NULL, from ? from->stage : 0, &bad,
	    err);
	bind_opt_int(db, st, 5, 1, d->stage, &bad, err);
	bind_opt_double(db, st, 6, from != NULL && from->has_amount,
	    from ? from->amount : 0, &bad, err);
	bind_opt_double(db, st, 7, d->has_amount, d->amount, &bad, err);
	bind_opt_int(db, st, 8, from != NULL && from->has_close,
	    from ? from->close_date : 0, &bad, err);
	bind_opt_int(db, st, 9, d->has_close, d->close_date, &bad, err);
	if (bad || crm_db_step(db, st, err) < 0)
		return -1;
	im->st.changes++;
	return 0;
}

/*
 * What a closed deal leaves in its contact's history: a won deal's
 * purchase (updated if the deal changes later) and the contact now a
 * customer; a lost deal's reason.
 */
static int
tell_contact(struct crm_deal_importer *im, const char *ref, int outcome,
    struct crm_error *err)
{
	const struct dstate *d = &im->cur;
	struct crm_log_content c;
	struct crm_buf lref = CRM_BUF_INIT(CRM_CSV_FIELD_MAX);
	int rc = -1;

	if (d->contact == 0 || outcome == OUT_OPEN)
		return 0;
	memset(&c, 0, sizeof(c));
	c.contact = d->contact;
	c.at = d->closed_at;
	c.channel = "other";
	c.kind = outcome == OUT_WON ? "purchase" : "deal-lost";
	if (outcome == OUT_WON) {
		c.has_amount = d->has_amount;
		c.amount = d->amount;
		c.currency = dtext(d, T_CURRENCY);
		c.text[0] = dtext(d, T_PRODUCT);
	} else
		c.text[3] = dtext(d, T_LOST);
	c.text[2] = dtext(d, T_TITLE);
	if (crm_buf_addf(&lref, err, "deal:%s%s", ref,
	    outcome == OUT_WON ? "" : ":lost") < 0 ||
	    crm_log_put(im->db, &c, crm_buf_str(&lref), "crm-deal", im->now,
	    err) < 0 ||
	    (outcome == OUT_WON && crm_contact_set_stage(im->db, d->contact,
	    "customer", im->now, err) < 0))
		goto done;
	rc = 0;
done:
	crm_buf_release(&lref);
	return rc;
}

/* Parse the record into cur (over old when the deal exists). */
static int
parse(struct crm_deal_importer *im, struct crm_csv *r, int isnew,
    int64_t *at, struct crm_error *err)
{
	struct dstate *d = &im->cur, *o = &im->old;
	const struct deal_stage *sg = NULL;
	const char *v;
	char cur[4], q[CRM_QUOTE_MAX];
	size_t len;
	int has, i;
	int64_t t;

	if (when(im, r, F_AT, at, &has, err) < 0)
		return -1;
	if (!has)
		*at = im->now;
	/* Start from the stored state: an empty cell keeps a value. */
	d->id = isnew ? 0 : o->id;
	d->pipeline = isnew ? im->default_pipeline : o->pipeline;
	d->stage = isnew ? 0 : o->stage;
	d->contact = isnew ? 0 : o->contact;
	d->has_amount = !isnew && o->has_amount;
	d->amount = o->amount;
	d->has_prob = !isnew && o->has_prob;
	d->prob = o->prob;
	d->has_close = !isnew && o->has_close;
	d->close_date = o->close_date;
	d->created_at = isnew ? *at : o->created_at;
	d->stage_at = isnew ? 0 : o->stage_at;
	d->closed_at = isnew ? 0 : o->closed_at;
	d->changed_at = isnew ? 0 : o->changed_at;
	d->entered = isnew ? 0 : o->entered;
	for (i = 0; i < NTEXT; i++)
		if (dset(d, i, isnew ? NULL : dtext(o, i), isnew || !o->has_text[i]
		    ? 0 : o->text[i].len, err) < 0)
			return -1;
	if ((v = field(im, r, F_PIPELINE, &len)) != NULL) {
		char name[256];

		snprintf(name, sizeof(name), "%.*s", (int)len, v);
		if ((d->pipeline = deal_pipeline_id(&im->stages, name)) == 0)
			return crm_error_set(err, CRM_EDATA, "no pipeline '%s'"
			    " (crm-deal stages -p NAME FILE defines one)",
			    crm_quote(q, v, len));
		if (!isnew && d->pipeline != o->pipeline &&
		    field(im, r, F_STAGE, &len) == NULL)
			return crm_error_set(err, CRM_EDATA, "a deal that moves"
			    " to another pipeline needs its stage there");
	}
	if ((v = field(im, r, F_STAGE, &len)) != NULL) {
		if ((sg = deal_stage_named(&im->stages, d->pipeline, v, len)) == NULL)
			return crm_error_set(err, CRM_EDATA, "no stage '%s' in"
			    " pipeline '%s' (see crm-deal stages)",
			    crm_quote(q, v, len), deal_pipeline_name(&im->stages,
			    d->pipeline));
		d->stage = sg->id;
	} else if (isnew)
		return crm_error_set(err, CRM_EDATA, "a new deal needs a stage");
	cur[0] = '\0';
	if ((v = field(im, r, F_AMOUNT, &len)) != NULL) {
		if (crm_norm_amount(v, &d->amount, cur, err) < 0)
			return -1;
		d->has_amount = 1;
	}
	if ((v = field(im, r, F_CURRENCY, &len)) != NULL) {
		char c[4];

		if (len != 3 || !isalpha((unsigned char)v[0]) ||
		    !isalpha((unsigned char)v[1]) ||
		    !isalpha((unsigned char)v[2]))
			return crm_error_set(err, CRM_EDATA, "invalid currency"
			    " '%s' (an ISO 4217 code such as EUR)",
			    crm_quote(q, v, len));
		for (i = 0; i < 3; i++)
			c[i] = (char)toupper((unsigned char)v[i]);
		c[3] = '\0';
		if (cur[0] != '\0' && strcmp(cur, c) != 0)
			return crm_error_set(err, CRM_EDATA, "amount in %s but"
			    " currency %s", cur, c);
		memcpy(cur, c, 4);
	}
	if (cur[0] == '\0' && field(im, r, F_AMOUNT, &len) != NULL &&
	    !d->has_text[T_CURRENCY] && im->opts.currency != NULL)
		snprintf(cur, sizeof(cur), "%s", im->opts.currency);
	if (cur[0] != '\0' && dset(d, T_CURRENCY, cur, 3, err) < 0)
		return -1;
	if ((v = field(im, r, F_PROB, &len)) != NULL) {
		if (deal_parse_prob(v, &d->prob, err) < 0)
			return -1;
		d->has_prob = 1;
	}
	if (when(im, r, F_CLOSE_DATE, &t, &has, err) < 0)
		return -1;
	if (has) {
		d->close_date = deal_day(t);
		d->has_close = 1;
	}
	if (isnew) {
		if (when(im, r, F_CREATED_AT, &t, &has, err) < 0)
			return -1;
		if (has)
			d->created_at = t;
	}
	for (i = 0; i < NTEXT; i++) {
		if (i == T_CURRENCY ||
		    (v = field(im, r, text_field[i], &len)) == NULL)
			continue;
		if (dset(d, i, v, len, err) < 0)
			return -1;
	}
	if ((v = field(im, r, F_BY, &len)) != NULL) {
		crm_buf_reset(&im->by);
		if (crm_buf_add(&im->by, v, len, err) < 0)
			return -1;
		(void)crm_buf_str(&im->by);
	}
	return 0;
}

int
crm_deal_importer_row(struct crm_deal_importer *im, struct crm_csv *r,
    struct crm_error *err)
{
	struct dstate *d = &im->cur, *o = &im->old;
	const struct deal_stage *sg, *og;
	const char *v, *by;
	size_t len;
	int64_t at, contact, closed;
	int rc, isnew, has_closed, tracked, changed, i;

	im->st.read++;
	crm_buf_reset(&im->by);
	im->by.len = 0;
	if ((v = field(im, r, F_REF, &len)) == NULL) {
		rc = crm_error_set(err, CRM_EDATA, "no ref");
		goto done;
	}
	crm_buf_reset(&im->ref);
	if ((rc = crm_buf_add(&im->ref, v, len, err)) < 0 ||
	    (rc = load_old(im, crm_buf_str(&im->ref), err)) < 0)
		goto done;
	isnew = rc == 0;
	/* Later records of a deal left out as an erased person's. */
	if (isnew && deal_strtab_has(&im->erased_refs,
	    crm_buf_str(&im->ref))) {
		im->st.erased++;
		rc = 0;
		goto done;
	}
	if ((rc = parse(im, r, isnew, &at, err)) < 0)
		goto done;
	if (!isnew && at < o->changed_at) {
		im->st.older++;
		im->st.unchanged++;
		rc = 0;
		goto done;
	}
	if ((rc = contact_of(im, r, &contact, err)) < 0)
		goto done;
	if (rc == 2) {
		im->st.erased++;
		rc = isnew && deal_intern(&im->erased_refs,
		    crm_buf_str(&im->ref), err) < 0 ? -1 : 0;
		goto done;
	}
	if (rc == 1)
		d->contact = contact;
	if (isnew && d->contact == 0 && !d->has_text[T_COMPANY]) {
		rc = crm_error_set(err, CRM_EDATA, "no contact and no company");
		goto done;
	}
	if ((rc = when(im, r, F_CLOSED_AT, &closed, &has_closed, err)) < 0)
		goto done;
	by = im->by.len ? crm_buf_str(&im->by) : im->opts.by != NULL ?
	    im->opts.by : dtext(d, T_OWNER);
	sg = deal_stage_by_id(&im->stages, d->stage);
	og = isnew ? NULL : deal_stage_by_id(&im->stages, o->stage);
	if (sg->position >= 1 && sg->position < 64)
		d->entered |= (int64_t)((uint64_t)1 << sg->position);
	tracked = isnew || d->stage != o->stage ||
	    !same_num(d->has_amount, d->amount, o->has_amount, o->amount) ||
	    !same_num(d->has_close, d->close_date, o->has_close, o->close_date);
	if (isnew) {
		d->stage_at = d->created_at;
		d->changed_at = d->created_at;
	} else if (tracked) {
		d->changed_at = at;
		if (d->stage != o->stage)
			d->stage_at = at;
	}
	/* Closed when it enters won or lost; open again, not closed. */
	if (sg->outcome == OUT_OPEN)
		d->closed_at = 0;
	else if (og == NULL || og->outcome != sg->outcome)
		d->closed_at = has_closed ? closed : isnew ? at : at;
	else if (has_closed)
		d->closed_at = closed;
	changed = isnew || tracked || d->pipeline != o->pipeline ||
	    d->contact != o->contact ||
	    !same_num(d->has_prob, d->prob, o->has_prob, o->prob) ||
	    d->closed_at != o->closed_at;
	for (i = 0; i < NTEXT && !changed; i++)
		changed = !same_text(d, o, i);
	if (!changed) {
		im->st.unchanged++;
		rc = 0;
		goto done;
	}
	if ((rc = store(im, crm_buf_str(&im->ref), isnew, err)) < 0 ||
	    (tracked && (rc = history(im, isnew ? d->created_at : at, by,
	    isnew ? NULL : o, err)) < 0))
		goto done;
	if (isnew)
		im->st.inserted++;
	else
		im->st.updated++;
	if (sg->outcome != OUT_OPEN && (og == NULL ||
	    og->outcome != sg->outcome)) {
		if (sg->outcome == OUT_WON)
			im->st.won++;
		else
			im->st.lost++;
	}
	/* The contact's history follows the closed deal. */
	rc = sg->outcome == OUT_OPEN ? 0 :
	    tell_contact(im, crm_buf_str(&im->ref), sg->outcome, err);
done:
	if (rc < 0 && err->code == CRM_EDATA) {
		im->st.rejected++;
		if (strncmp(err->msg, crm_csv_name(r),
		    strlen(crm_csv_name(r))) != 0)
			crm_error_prefix(err, "%s:%ld", crm_csv_name(r),
			    crm_csv_line(r));
	}
	return rc < 0 ? -1 : 0;
}
