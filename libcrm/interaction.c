#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hash.h"
#include "interaction-int.h"
#include "norm.h"

static const struct crm_csv_col cols[NCOL] = {
	{ "external_id", "externalid|customer_id|customer_number|ext_id" },
	{ "email", "e_mail|email_address|mail_address" },
	{ "phone", "phone_number|telephone|tel|mobile" },
	{ "at", "date|time|timestamp|datetime|occurred_at|when" },
	{ "channel", "medium" },
	{ "kind", "type|activity|event" },
	{ "direction", "dir|inbound_outbound" },
	{ "amount", "value|total|revenue" },
	{ "currency", "ccy" },
	{ "product", "sku|item|product_name" },
	{ "category", "product_category" },
	{ "quantity", "qty" },
	{ "subject", "title" },
	{ "note", "notes|body|text|description" },
	{ "status", "ticket_status|state" },
	{ "closed_at", "resolved_at|closed" },
	{ "campaign", "campaign_name" },
	{ "ref", "reference|external_ref|order_id|ticket_id" },
	{ "order", "order_number|order_no|order_ref" },
};

static const char *const channels[] = {
	"email", "phone", "web", "store", "ivr", "chat", "sms", "social",
	"mail", "other"
};
#define NCHANNELS (sizeof(channels) / sizeof(channels[0]))

const char crm_log_channels[] =
    "email, phone, web, store, ivr, chat, sms, social, mail, other";

const char *
crm_log_channel(const char *s)
{
	size_t i, len;
	const char *t = crm_trim(s, &len);

	for (i = 0; i < NCHANNELS; i++)
		if (strlen(channels[i]) == len &&
		    strncasecmp(t, channels[i], len) == 0)
			return channels[i];
	return NULL;
}

int
crm_log_alias(struct crm_log_opts *opts, const char *spec,
    struct crm_error *err)
{
	const char *eq = strchr(spec, '='), *to;

	if (eq == NULL || eq == spec || (to = crm_log_channel(eq + 1)) == NULL)
		return crm_error_set(err, CRM_EUSAGE, "bad channel alias '%s':"
		    " expected FROM=CHANNEL, CHANNEL one of %s", spec,
		    crm_log_channels);
	if (opts->naliases == CRM_LOG_MAX_ALIASES)
		return crm_error_set(err, CRM_EUSAGE, "too many aliases");
	opts->alias_from[opts->naliases] = spec;
	opts->alias_to[opts->naliases] = to;
	opts->naliases++;
	return 0;
}

struct crm_logger *
crm_logger_new(struct crm_db *db, const struct crm_log_opts *opts,
    struct crm_error *err)
{
	struct crm_logger *lg;
	size_t i;

	if (opts->region != NULL && !crm_norm_region_known(opts->region)) {
		crm_error_set(err, CRM_EUSAGE, "unknown phone region '%s'",
		    opts->region);
		return NULL;
	}
	if ((lg = calloc(1, sizeof(*lg))) == NULL ||
	    (lg->cache = calloc(CACHE_SLOTS, sizeof(*lg->cache))) == NULL) {
		free(lg);
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	lg->db = db;
	lg->opts = *opts;
	lg->region = opts->region;
	lg->now = crm_now();
	crm_buf_init(&lg->order, CRM_CSV_FIELD_MAX);
	crm_buf_init(&lg->oref, CRM_CSV_FIELD_MAX + 32);
	for (i = 0; i < NINHERITED; i++)
		crm_buf_init(&lg->prev[i], CRM_CSV_FIELD_MAX);
	crm_buf_init(&lg->key, CRM_CSV_FIELD_MAX);
	crm_buf_init(&lg->tmp, CRM_CSV_FIELD_MAX);
	crm_buf_init(&lg->hashin, CRM_CSV_RECORD_MAX);
	return lg;
}

void
crm_logger_free(struct crm_logger *lg)
{
	size_t i;

	if (lg == NULL)
		return;
	if (lg->bulk.n > 0) {
		struct crm_error e;

		/* Freed before its commit: the indexes now, or no commit. */
		if (crm_db_before_commit_run(lg->db, lg, &e) < 0)
			crm_db_rollback(lg->db);
		crm_bulk_clear(&lg->bulk);
	}
	crm_logger_keymap_free(lg);
	for (i = 0; i < CACHE_SLOTS; i++)
		free(lg->cache[i].key);
	free(lg->cache);
	free(lg->odd);
	crm_buf_release(&lg->order);
	crm_buf_release(&lg->oref);
	for (i = 0; i < NINHERITED; i++)
		crm_buf_release(&lg->prev[i]);
	crm_buf_release(&lg->key);
	crm_buf_release(&lg->tmp);
	crm_buf_release(&lg->hashin);
	crm_erasure_free(lg->erased);
	free(lg);
}

void
crm_logger_region(struct crm_logger *lg, const char *region)
{
	lg->region = lg->opts.region;
	if (lg->region == NULL && region != NULL &&
	    crm_norm_region_known(region))
		lg->region = region;
}

void
crm_logger_source(struct crm_logger *lg, const char *source)
{
	lg->opts.source = source;
}

const struct crm_log_stats *
crm_logger_stats(const struct crm_logger *lg)
{
	return &lg->st;
}

int
crm_logger_header(struct crm_logger *lg, struct crm_csv *r,
    struct crm_error *err)
{
	size_t i;

	if (crm_csv_header(r, cols, NCOL, lg->idx, err) < 0)
		return -1;
	crm_csv_convert(r, lg->idx[F_AT], CRM_CONV_TIME);
	crm_csv_convert(r, lg->idx[F_CLOSED_AT], CRM_CONV_TIME);
	crm_csv_convert(r, lg->idx[F_AMOUNT], CRM_CONV_NUMBER);
	crm_csv_convert(r, lg->idx[F_QUANTITY], CRM_CONV_NUMBER);
	crm_buf_reset(&lg->order);
	lg->cont = 0;
	for (i = 0; i < crm_csv_ncols(r); i++)
		if (crm_csv_extra(r, i))
			return crm_error_set(err, CRM_EDATA,
			    "%s: unknown column '%s'", crm_csv_name(r),
			    crm_csv_colname(r, i));
	if (lg->idx[F_AT] < 0 || lg->idx[F_CHANNEL] < 0 || lg->idx[F_KIND] < 0)
		return crm_error_set(err, CRM_EDATA,
		    "%s: the columns at, channel and kind are required",
		    crm_csv_name(r));
	if (lg->idx[F_EXTERNAL_ID] < 0 && lg->idx[F_EMAIL] < 0 &&
	    lg->idx[F_PHONE] < 0)
		return crm_error_set(err, CRM_EDATA,
		    "%s: no contact column (external_id, email or phone)",
		    crm_csv_name(r));
	return 0;
}


void
crm_log_content_key(const struct crm_log_content *c, unsigned char out[16])
{
	struct crm_fnv128 f;
	double none = 0;
	size_t i;

	crm_fnv128_init(&f);
	crm_fnv128_add(&f, &c->contact, sizeof(c->contact));
	crm_fnv128_add(&f, &c->at, sizeof(c->at));
	crm_fnv128_str(&f, c->channel);
	crm_fnv128_str(&f, c->kind);
	crm_fnv128_str(&f, c->direction);
	crm_fnv128_add(&f, &c->has_amount, sizeof(c->has_amount));
	crm_fnv128_add(&f, c->has_amount ? &c->amount : &none, sizeof(double));
	crm_fnv128_str(&f, c->currency);
	crm_fnv128_add(&f, &c->has_quantity, sizeof(c->has_quantity));
	crm_fnv128_add(&f, c->has_quantity ? &c->quantity : &none,
	    sizeof(double));
	crm_fnv128_str(&f, c->status);
	crm_fnv128_add(&f, &c->closed_at, sizeof(c->closed_at));
	for (i = 0; i < 5; i++)
		crm_fnv128_str(&f, c->text[i]);
	crm_fnv128_out(&f, out);
}

/* The content key of a record about to be stored. */
static void
content_hash(struct rec *x)
{
	crm_log_content_key(&x->c, x->hash);
}

static int
bind_rec(struct crm_logger *lg, struct crm_stmt *st, const struct rec *x,
    struct crm_error *err)
{
	struct crm_db *db = lg->db;
	size_t i;

	if (crm_db_bind_int(db, st, 1, x->c.contact, err) < 0 ||
	    crm_db_bind_int(db, st, 2, x->c.at, err) < 0 ||
	    crm_db_bind_text(db, st, 3, x->c.channel, err) < 0 ||
	    crm_db_bind_text(db, st, 4, x->c.kind, err) < 0 ||
	    crm_db_bind_text(db, st, 5, x->c.direction, err) < 0 ||
	    (x->c.has_amount ? crm_db_bind_double(db, st, 6, x->c.amount, err) :
	    crm_db_bind_null(db, st, 6, err)) < 0 ||
	    crm_db_bind_text(db, st, 7, x->c.currency, err) < 0 ||
	    (x->c.has_quantity ? crm_db_bind_double(db, st, 8, x->c.quantity,
	    err) : crm_db_bind_null(db, st, 8, err)) < 0 ||
	    crm_db_bind_text(db, st, 9, x->c.status, err) < 0 ||
	    (x->c.closed_at ? crm_db_bind_int(db, st, 10, x->c.closed_at, err) :
	    crm_db_bind_null(db, st, 10, err)) < 0 ||
	    crm_db_bind_text(db, st, 16, x->ref, err) < 0 ||
	    crm_db_bind_blob(lg->db, st, 17, x->hash, 16, err) < 0 ||
	    crm_db_bind_text(db, st, 18, lg->opts.source, err) < 0 ||
	    crm_db_bind_int(db, st, 19, lg->now, err) < 0 ||
	    crm_db_bind_text(db, st, 20, x->order, err) < 0 ||
	    (x->has_rhash ? crm_db_bind_blob(db, st, 21, x->rhash, 16, err) :
	    crm_db_bind_null(db, st, 21, err)) < 0)
		return -1;
	for (i = 0; i < 5; i++)
		if (crm_db_bind_text(db, st, 11 + (int)i, x->c.text[i],
		    err) < 0)
			return -1;
	return 0;
}

static const char sql_insert[] =
    "INSERT INTO interactions (contact_id, at, channel, kind, direction,"
    " amount, currency, quantity, status, closed_at, product, category,"
    " subject, note, campaign, ref, chash, source, created_at, updated_at,"
    " order_ref, row_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
    " ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?19, ?20, ?21)"
    " ON CONFLICT DO NOTHING";

/*
 * A known ref: as in crm-add, an empty field leaves the stored value
 * alone, and a closed ticket stays closed (an older export saying "open"
 * does not reopen it).  The row changes only when that merge differs from
 * what is stored, so importing the same records in any order, any number
 * of times, ends in the same state.  The content key stays that of the
 * first record.
 */
#define MERGED_FIELDS \
	"?1, ?2, ?3, ?4, coalesce(?5, direction), coalesce(?6, amount)," \
	" coalesce(?7, currency), coalesce(?8, quantity)," \
	" CASE WHEN status = 'closed' THEN status ELSE coalesce(?9, status) END," \
	" coalesce(?10, closed_at), coalesce(?11, product)," \
	" coalesce(?12, category), coalesce(?13, subject), coalesce(?14, note)," \
	" coalesce(?15, campaign)"

#define UPDATE_SET \
    "UPDATE interactions SET (contact_id, at, channel, kind, direction," \
    " amount, currency, quantity, status, closed_at, product, category," \
    " subject, note, campaign) = (" MERGED_FIELDS "), source = ?18," \
    " updated_at = ?19, order_ref = coalesce(?20, order_ref)," \
    " row_hash = ?21 WHERE "
#define UPDATE_CHANGED \
    " AND (contact_id, at, channel, kind," \
    " direction, amount, currency, quantity, status, closed_at, product," \
    " category, subject, note, campaign) IS DISTINCT FROM (" MERGED_FIELDS \
    ")"

static const char sql_update[] = UPDATE_SET "ref = ?16" UPDATE_CHANGED;
/* The row the ref names, found once. */
static const char sql_update_id[] = UPDATE_SET "id = ?22" UPDATE_CHANGED;

/*
 * The schema of the record checksum (migration 12 -> 13): the checksum of
 * the record an interaction was last stored or updated from (its content
 * key, contact included, and its order), so that a re-import skips a
 * record it has applied before without an UPDATE; cleared, as contacts'
 * row_hash is, when anything else changes what the record said (an
 * erasure's anonymisation, crm-deal).  Not when a merge or an unmerge
 * moves the row (contact_id, chash): the checksum covers the contact, so
 * a record of a merged-away contact, which now resolves to the survivor,
 * no longer matches it; and an unmerge puts back the row it matched.
 */
const char crm_interaction_rowhash_schema[] =
    "ALTER TABLE interactions ADD COLUMN row_hash BLOB;"
    "CREATE TRIGGER interactions_row_hash AFTER UPDATE OF at, channel, kind,"
    "  direction, amount, currency, quantity, status, closed_at, product,"
    "  category, subject, note, campaign, ref, order_ref ON interactions"
    "  WHEN NEW.row_hash IS NOT NULL AND NEW.row_hash IS OLD.row_hash"
    "  BEGIN UPDATE interactions SET row_hash = NULL WHERE id = NEW.id; END;";

/*
 * An unsubscribe or a bounce on a channel that has consent withdraws it:
 * the contact's opt-in for the channel becomes 0 and a consent event at
 * the interaction's time records it, unless it is withdrawn already.
 * Called once, when the interaction is first stored; like every opt-out
 * it wins over the opt-ins an import carries, and only an explicit
 * opt-in (crm-add --allow-opt-in) gives consent back.
 */
static int
withdraw(struct crm_logger *lg, const struct rec *x, struct crm_error *err)
{
	static const char *const chan[] = { "email", "phone", "sms", "mail" };
	/* Only where it is not withdrawn already: changes() says. */
	static const char *const set[] = {
		"UPDATE contacts SET email_opt_in = 0, updated_at = ?2"
		" WHERE id = ?1 AND email_opt_in IS DISTINCT FROM 0",
		"UPDATE contacts SET phone_opt_in = 0, updated_at = ?2"
		" WHERE id = ?1 AND phone_opt_in IS DISTINCT FROM 0",
		"UPDATE contacts SET sms_opt_in = 0, updated_at = ?2"
		" WHERE id = ?1 AND sms_opt_in IS DISTINCT FROM 0",
		"UPDATE contacts SET mail_opt_in = 0, updated_at = ?2"
		" WHERE id = ?1 AND mail_opt_in IS DISTINCT FROM 0",
	};
	struct crm_stmt *st;
	size_t k;

	if (strcmp(x->c.kind, "unsubscribe") != 0 &&
	    strcmp(x->c.kind, "bounce") != 0)
		return 0;
	for (k = 0; k < 4; k++)
		if (strcmp(x->c.channel, chan[k]) == 0)
			break;
	if (k == 4)
		return 0;
	if ((st = crm_db_stmt(lg->db, set[k], err)) == NULL ||
	    crm_db_bind_int(lg->db, st, 1, x->c.contact, err) < 0 ||
	    crm_db_bind_int(lg->db, st, 2, lg->now, err) < 0 ||
	    crm_db_step(lg->db, st, err) < 0)
		return -1;
	if (crm_db_changes(lg->db) == 0)
		return 0;
	if ((st = crm_db_stmt(lg->db, "INSERT INTO consent_events"
	    " (contact_id, at, channel, granted, source) VALUES"
	    " (?1, ?2, ?3, 0, ?4)", err)) == NULL ||
	    crm_db_bind_int(lg->db, st, 1, x->c.contact, err) < 0 ||
	    crm_db_bind_int(lg->db, st, 2, x->c.at, err) < 0 ||
	    crm_db_bind_text(lg->db, st, 3, chan[k], err) < 0 ||
	    crm_db_bind_text(lg->db, st, 4, x->c.kind[0] == 'u' ?
	    "crm-log unsubscribe" : "crm-log bounce", err) < 0 ||
	    crm_db_step(lg->db, st, err) < 0)
		return -1;
	lg->st.withdrawn++;
	return 0;
}

/* The record's checksum: its content key (contact included), its order. */
static void
row_hash(struct rec *x)
{
	static const char tag[] = "crm-log record 1";
	struct crm_fnv128 f;

	crm_fnv128_init(&f);
	crm_fnv128_add(&f, tag, sizeof(tag));
	crm_fnv128_add(&f, x->hash, 16);
	crm_fnv128_str(&f, x->order);
	crm_fnv128_out(&f, x->rhash);
	x->has_rhash = 1;
}

/* Before the commit: the indexes a large batch dropped, built again. */
static int
bulk_end(void *arg, struct crm_error *err)
{
	struct crm_logger *lg = arg;

	lg->bulk_on = 0;
	return crm_bulk_restore(&lg->bulk, NULL, err);
}

/*
 * The batch has grown large against the table: the indexes the import
 * does not read are built once at the end (bulk.h), and contacts come
 * from sorted maps.
 */
static int
bulk_start(struct crm_logger *lg, struct crm_error *err)
{
	lg->bulk_on = 1;
	if (crm_db_before_commit(lg->db, bulk_end, lg, err) < 0 ||
	    crm_bulk_drop(&lg->bulk, lg->db, "interactions_contact", err) < 0 ||
	    crm_bulk_drop(&lg->bulk, lg->db, "interactions_order", err) < 0)
		return -1;
	return 0;
}

/*
 * The row with x's ref, looked up once: 1 with *id and whether its stored
 * checksum is x's (*same), 0 if there is none.
 */
static int
known_ref(struct crm_logger *lg, const struct rec *x, int64_t *id, int *same,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int rc;

	if ((st = crm_db_stmt(lg->db, "SELECT id, row_hash FROM interactions"
	    " WHERE ref = ?1", err)) == NULL ||
	    crm_db_bind_text(lg->db, st, 1, x->ref, err) < 0 ||
	    (rc = crm_db_step(lg->db, st, err)) < 0)
		return -1;
	if (rc == 0)
		return 0;
	*id = crm_db_col_int(st, 0);
	*same = crm_db_col_bytes(st, 1) == 16 &&
	    memcmp(crm_db_col_blob(st, 1), x->rhash, 16) == 0;
	crm_db_reset(st);
	return 1;
}

/*
 * A record whose ref is stored as row id: nothing to do when the row
 * holds its checksum (it was stored from this record and nothing changed
 * it since); else updated where the merge of the two differs.
 */
static int
update_ref(struct crm_logger *lg, const struct rec *x, int64_t id, int same,
    struct crm_error *err)
{
	struct crm_stmt *st;

	if (same) {
		lg->st.unchanged++;
		return 0;
	}
	if ((st = crm_db_stmt(lg->db, sql_update_id, err)) == NULL ||
	    bind_rec(lg, st, x, err) < 0 ||
	    crm_db_bind_int(lg->db, st, 22, id, err) < 0 ||
	    crm_db_step(lg->db, st, err) < 0)
		return -1;
	if (crm_db_changes(lg->db) == 1) {
		lg->st.updated++;
		return 0;
	}
	/*
	 * Nothing to change: the row stays as it is, checksum and all (a
	 * re-run changes nothing; an unmerge finds the row it left).
	 */
	lg->st.unchanged++;
	return 0;
}

int
crm_logger_row(struct crm_logger *lg, struct crm_csv *r,
    struct crm_error *err)
{
	int64_t rid;
	int known, same;
	char cur[4], *trimmed[6] = { NULL, NULL, NULL, NULL, NULL, NULL };
	struct rec x;
	struct crm_stmt *st;
	size_t i;
	int rc = -1;

	lg->st.read++;
	/*
	 * The horizon is read here, inside the batch's write transaction,
	 * never before it: a crm-forget --retain that commits while this
	 * run waits for the lock would otherwise see its purge undone.
	 */
	if (!lg->horizon_loaded) {
		int64_t h;
		int has;

		if ((has = crm_retention_horizon(lg->db, &h, err)) < 0 ||
		    crm_db_query_int(lg->db, "SELECT coalesce(max(id), 0)"
		    " FROM interactions", &lg->last_id, err) < 0)
			goto done;
		lg->horizon = has ? h : INT64_MIN;
		lg->horizon_loaded = 1;
		lg->fresh = lg->last_id == 0;
	}
	/*
	 * A large batch: contacts from sorted maps; and once it has
	 * inserted many rows against the table, its indexes at the end.
	 */
	if (!lg->map_on && crm_bulk_due(lg->db, lg->st.read, 0))
		lg->map_on = 1;
	if (!lg->bulk_on && lg->bulk.n == 0 && crm_bulk_due(lg->db, lg->st.inserted,
	    lg->last_id) && bulk_start(lg, err) < 0)
		goto done;
	if (crm_logger_order_line(lg, r, err) < 0 ||
	    crm_logger_normalise(lg, r, &x, cur, trimmed, err) < 0)
		goto done;
	/* Purged or anonymised by retention: a re-import leaves it so. */
	if (x.c.at < lg->horizon) {
		lg->st.unchanged++;
		rc = 0;
		goto done;
	}
	if ((rc = crm_logger_contact_of(lg, r, &x.c.contact, err)) != 0) {
		if (rc == 1) {
			lg->st.erased++;
			rc = 0;
		}
		goto done;
	}
	rc = -1;
	content_hash(&x);
	if (x.ref != NULL)
		row_hash(&x);
	/*
	 * A ref is looked up once; in a table that was empty, only when
	 * the INSERT finds it (a ref twice in the input).
	 */
	if (x.ref != NULL && !lg->fresh) {
		if ((known = known_ref(lg, &x, &rid, &same, err)) < 0 ||
		    (known == 1 && update_ref(lg, &x, rid, same, err) < 0))
			goto done;
		if (known == 1) {
			rc = 0;
			goto done;
		}
	}
	if ((st = crm_db_stmt(lg->db, sql_insert, err)) == NULL ||
	    bind_rec(lg, st, &x, err) < 0 || crm_db_step(lg->db, st, err) < 0)
		goto done;
	if (crm_db_changes(lg->db) == 1) {
		lg->st.inserted++;
		if (withdraw(lg, &x, err) < 0)
			goto done;
	} else if (x.ref == NULL) {
		/*
		 * The same content as a record inserted by this run: two
		 * identical purchases in one input, counted once.
		 */
		int64_t twins = 0;

		/*
		 * By id, not by created_at: two runs in the same second
		 * (or under a fixed CRM_NOW) would take a re-import for a
		 * duplicate.  The rows above last_id are this run's.
		 */
		if ((st = crm_db_stmt(lg->db, "SELECT count(*) FROM"
		    " interactions WHERE chash = ?1 AND ref IS NULL AND id > ?2",
		    err)) == NULL ||
		    crm_db_bind_blob(lg->db, st, 1, x.hash, 16, err) < 0 ||
		    crm_db_bind_int(lg->db, st, 2, lg->last_id, err) < 0 ||
		    crm_db_step(lg->db, st, err) < 0)
			goto done;
		twins = crm_db_col_int(st, 0);
		crm_db_reset(st);
		lg->st.unchanged++;
		if (twins > 0)
			lg->st.collapsed++;
	} else {
		/* The ref is known: update it if anything changed. */
		if ((known = known_ref(lg, &x, &rid, &same, err)) < 0)
			goto done;
		if (known == 0) {
			rc = crm_error_set(err, CRM_EFAIL, "ref '%s': neither"
			    " stored nor new", x.ref);
			goto done;
		}
		if (update_ref(lg, &x, rid, same, err) < 0)
			goto done;
	}
	rc = 0;
done:
	for (i = 0; i < 6; i++)
		free(trimmed[i]);
	if (rc < 0 && err->code == CRM_EDATA) {
		lg->st.rejected++;
		if (strncmp(err->msg, crm_csv_name(r), strlen(crm_csv_name(r))))
			crm_error_prefix(err, "%s:%ld", crm_csv_name(r),
			    crm_csv_line(r));
	}
	return rc;
}

int
crm_log_put(struct crm_db *db, const struct crm_log_content *c,
    const char *ref, const char *source, int64_t now, struct crm_error *err)
{
	struct crm_logger lg;
	struct rec x;
	struct crm_stmt *st;

	/* What bind_rec reads of a logger. */
	memset(&lg, 0, sizeof(lg));
	lg.db = db;
	lg.opts.source = source;
	lg.now = now;
	memset(&x, 0, sizeof(x));
	x.c = *c;
	x.ref = ref;
	content_hash(&x);
	if ((st = crm_db_stmt(db, sql_insert, err)) == NULL ||
	    bind_rec(&lg, st, &x, err) < 0 || crm_db_step(db, st, err) < 0)
		return -1;
	if (crm_db_changes(db) == 1)
		return 1;
	if ((st = crm_db_stmt(db, sql_update, err)) == NULL ||
	    bind_rec(&lg, st, &x, err) < 0 || crm_db_step(db, st, err) < 0)
		return -1;
	return crm_db_changes(db) == 1 ? 2 : 0;
}

