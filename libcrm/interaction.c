#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "hash.h"
#include "interaction.h"
#include "norm.h"
#include "num.h"
#include "privacy.h"
#include "resolve.h"

enum {
	F_EXTERNAL_ID, F_EMAIL, F_PHONE,
	F_AT, F_CHANNEL, F_KIND, F_DIRECTION, F_AMOUNT, F_CURRENCY, F_PRODUCT,
	F_CATEGORY, F_QUANTITY, F_SUBJECT, F_NOTE, F_STATUS, F_CLOSED_AT,
	F_CAMPAIGN, F_REF, F_ORDER,
	NCOL
};

/* What a line of an order takes from the order's first line. */
static const int inherited[] = { F_EXTERNAL_ID, F_EMAIL, F_PHONE, F_AT,
    F_CHANNEL, F_KIND, F_DIRECTION, F_CURRENCY };
#define NINHERITED (sizeof(inherited) / sizeof(inherited[0]))

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

/* A bounded cache of contact keys: memory stays flat however long the
 * input, and skewed logs (a few busy customers) hit it often. */
#define CACHE_SLOTS 65536

struct cache_slot {
	uint64_t h;
	char *key;
	int64_t id;
};

struct crm_logger {
	struct crm_db *db;
	struct crm_log_opts opts;
	struct crm_log_stats st;
	int64_t now;
	int64_t last_id;	/* max(id) before this run: newer rows are its */
	int64_t horizon;	/* crm-forget --retain: older ones stay out */
	int horizon_loaded;	/* read at the first record, in the batch */
	struct crm_erasure *erased;	/* the erased list, when asked */
	int idx[NCOL];
	struct crm_buf key, tmp, hashin;
	struct cache_slot *cache;
	int64_t *odd;		/* contacts merged away or erased, sorted */
	size_t nodd;
	int odd_loaded;
	const char *region;	/* the options', else the file's profile's */

	/* Orders: the current one, its line, its first line's values. */
	struct crm_buf order, oref, prev[NINHERITED];
	int64_t oline;
	int cont;		/* this record continues the order before */
};

static const char *field(struct crm_logger *lg, struct crm_csv *r, int f);

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

static uint64_t
fnv64(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}


/* A stub contact with every key the record gives (normalised). */
static int
create_stub(struct crm_logger *lg, struct crm_csv *r, int64_t *id,
    struct crm_error *err)
{
	struct crm_buf keys[3] = { CRM_BUF_INIT(4096), CRM_BUF_INIT(4096),
	    CRM_BUF_INIT(4096) };
	const char *v[3] = { NULL, NULL, NULL };
	struct crm_stmt *st;
	int k, e164, rc = -1;

	for (k = 0; k < 3; k++) {
		const char *raw = field(lg, r, k);
		size_t len;

		if (raw == NULL)
			continue;
		if ((k == 0 && (raw = crm_trim(raw, &len), crm_buf_add(&keys[k],
		    raw, len, err) < 0)) ||
		    (k == 1 && crm_norm_email(raw, &keys[k], err) < 0) ||
		    (k == 2 && crm_norm_phone(raw, lg->region, &keys[k],
		    &e164, err) < 0))
			goto done;
		v[k] = crm_buf_str(&keys[k]);
	}
	if ((st = crm_db_stmt(lg->db, "INSERT INTO contacts (external_id,"
	    " email, phone, created_at, updated_at) VALUES (?1, ?2, ?3, ?4,"
	    " ?4)", err)) == NULL ||
	    crm_db_bind_text(lg->db, st, 1, v[0], err) < 0 ||
	    crm_db_bind_text(lg->db, st, 2, v[1], err) < 0 ||
	    crm_db_bind_text(lg->db, st, 3, v[2], err) < 0 ||
	    crm_db_bind_int(lg->db, st, 4, lg->now, err) < 0 ||
	    crm_db_step(lg->db, st, err) < 0)
		goto done;
	*id = crm_db_last_id(lg->db);
	lg->st.created++;
	rc = 0;
done:
	for (k = 0; k < 3; k++)
		crm_buf_release(&keys[k]);
	return rc;
}

static int
cmp_id(const void *pa, const void *pb)
{
	int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;

	return (a > b) - (a < b);
}

/*
 * The contacts merged away or erased, read once in the import's
 * transaction from their two small partial indexes: any other contact an
 * external_id names is the answer itself, which its unique index gives
 * without a read of the contact's row; so does an email or phone that only
 * one contact has.
 */
static int
load_odd(struct crm_logger *lg, struct crm_error *err)
{
	/*
	 * Two queries and a sort: with a UNION ... ORDER BY, SQLite scans
	 * the whole table for the merged ones instead of their index.
	 */
	static const char *const sqls[] = {
		"SELECT id FROM contacts WHERE merged_into IS NOT NULL",
		"SELECT id FROM contacts WHERE erased_at IS NOT NULL",
	};
	struct crm_stmt *st;
	size_t a = 0;
	int rc, q;

	lg->odd_loaded = 1;
	for (q = 0; q < 2; q++) {
		if ((st = crm_db_stmt(lg->db, sqls[q], err)) == NULL)
			return -1;
		while ((rc = crm_db_step(lg->db, st, err)) == 1) {
			if (lg->nodd == a) {
				int64_t *p;

				a = a ? 2 * a : 256;
				if ((p = reallocarray(lg->odd, a,
				    sizeof(*p))) == NULL) {
					crm_db_reset(st);
					return crm_error_set(err, CRM_EFAIL,
					    "out of memory");
				}
				lg->odd = p;
			}
			lg->odd[lg->nodd++] = crm_db_col_int(st, 0);
		}
		if (rc < 0)
			return -1;
	}
	if (lg->nodd > 1)
		qsort(lg->odd, lg->nodd, sizeof(*lg->odd), cmp_id);
	return 0;
}

static int
is_odd(const struct crm_logger *lg, int64_t id)
{
	size_t lo = 0, hi = lg->nodd;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (lg->odd[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < lg->nodd && lg->odd[lo] == id;
}

static const char *const sql_plain[] = {
	"SELECT id FROM contacts WHERE external_id = ?",
	"SELECT id FROM contacts WHERE email = ? LIMIT 2",
	"SELECT id FROM contacts WHERE phone = ? LIMIT 2",
};

/*
 * By key k (external_id, email, phone): 1 and *id if the key's index
 * gives one contact and it is neither merged nor erased, else 0 (none,
 * several, or one for lookup() to follow).
 */
static int
plain_key(struct crm_logger *lg, int k, const char *v, int64_t *id,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int rc;

	if (!lg->odd_loaded && load_odd(lg, err) < 0)
		return -1;
	if ((st = crm_db_stmt(lg->db, sql_plain[k], err)) == NULL ||
	    crm_db_bind_text(lg->db, st, 1, v, err) < 0 ||
	    (rc = crm_db_step(lg->db, st, err)) < 0)
		return -1;
	if (rc == 0)
		return 0;
	*id = crm_db_col_int(st, 0);
	if ((rc = crm_db_step(lg->db, st, err)) != 0) {
		crm_db_reset(st);
		return rc < 0 ? -1 : 0;
	}
	return !is_odd(lg, *id);
}

/* The record's contact: external_id, else email, else phone. */
static int
contact_of(struct crm_logger *lg, struct crm_csv *r, int64_t *id,
    struct crm_error *err)
{
	static const char *const names[] = { "external_id", "email",
	    "phone" };
	struct cache_slot *slot;
	const char *v = NULL, *raw = NULL;
	uint64_t h;
	int k, e164, rc;

	for (k = 0; k < 3; k++) {
		size_t len;

		raw = field(lg, r, k);
		if (raw == NULL)
			continue;
		crm_buf_reset(&lg->key);
		if (k == 0) {
			raw = crm_trim(raw, &len);
			if (crm_buf_add(&lg->key, raw, len, err) < 0)
				return -1;
		} else if (k == 1) {
			if (crm_norm_email(raw, &lg->key, err) < 0)
				return -1;
		} else if (crm_norm_phone(raw, lg->region, &lg->key,
		    &e164, err) < 0)
			return -1;
		v = crm_buf_str(&lg->key);
		break;
	}
	if (v == NULL)
		return crm_error_set(err, CRM_EDATA,
		    "no contact: external_id, email and phone are all empty");
	/* The cache key is the column letter and the value. */
	h = fnv64(v, lg->key.len) ^ (uint64_t)k;
	slot = &lg->cache[h & (CACHE_SLOTS - 1)];
	if (slot->key != NULL && slot->h == h && slot->key[0] == "xep"[k] &&
	    strcmp(slot->key + 1, v) == 0) {
		*id = slot->id;
		return 0;
	}
	rc = plain_key(lg, k, v, id, err);
	if (rc < 0 || (rc == 0 && crm_contact_lookup_amb(lg->db, names[k], v,
	    lg->opts.ambiguous, id,
	    err) < 0))
		return -1;
	if (*id == 0) {
		int listed;

		/* A person erased on request stays out, history and all. */
		if (lg->erased == NULL &&
		    (lg->erased = crm_erasure_new(lg->db, err)) == NULL)
			return -1;
		if ((listed = crm_erasure_listed_raw(lg->erased, names[k], v,
		    raw, err)) != 0)
			return listed;
		if (!lg->opts.create_missing)
			return crm_error_set(err, CRM_EDATA, "no contact with"
			    " %s '%s' (crm-add it first, or --create-missing)",
			    names[k], v);
		if (create_stub(lg, r, id, err) < 0)
			return -1;
	}
	free(slot->key);
	if ((slot->key = malloc(lg->key.len + 2)) != NULL) {
		slot->key[0] = "xep"[k];
		memcpy(slot->key + 1, v, lg->key.len + 1);
		slot->h = h;
		slot->id = *id;
	}
	return 0;
}

/* The normalised record, ready to bind. */
struct rec {
	struct crm_log_content c;	/* what its content key covers */
	const char *ref;
	const char *order;		/* the order it is a line of */
	unsigned char hash[16];
};

static const int textcol[5] = { F_PRODUCT, F_CATEGORY, F_SUBJECT, F_NOTE,
    F_CAMPAIGN };

static const char *
field(struct crm_logger *lg, struct crm_csv *r, int f)
{
	const char *v = crm_csv_field(r, lg->idx[f]);
	size_t i;

	if (lg->idx[f] >= 0 && !crm_blank(v))
		return v;
	/* A line of the order before: what its first line said. */
	if (lg->cont)
		for (i = 0; i < NINHERITED; i++)
			if (inherited[i] == f)
				return lg->prev[i].len ? crm_buf_str(&lg->prev[i]) :
				    NULL;
	return NULL;
}

/*
 * Before a record is read: is it a line of the order before it?  Keeps
 * the order's first line's values for the next lines, and makes the
 * line's ref from the order and the line's place in it.
 */
static int
order_line(struct crm_logger *lg, struct crm_csv *r, struct crm_error *err)
{
	const char *o = crm_csv_field(r, lg->idx[F_ORDER]);
	size_t len, i;

	lg->cont = 0;
	if (lg->idx[F_ORDER] < 0 || crm_blank(o)) {
		crm_buf_reset(&lg->order);
		return 0;
	}
	o = crm_trim(o, &len);
	if (lg->order.len == len && memcmp(lg->order.s, o, len) == 0) {
		lg->cont = 1;
		lg->oline++;
	} else {
		crm_buf_reset(&lg->order);
		if (crm_buf_add(&lg->order, o, len, err) < 0)
			return -1;
		lg->oline = 1;
	}
	/* The first line's values, the later lines' defaults. */
	for (i = 0; i < NINHERITED; i++) {
		const char *v = crm_csv_field(r, lg->idx[inherited[i]]);

		if (lg->cont && (lg->idx[inherited[i]] < 0 || crm_blank(v)))
			continue;
		crm_buf_reset(&lg->prev[i]);
		if (lg->idx[inherited[i]] >= 0 && !crm_blank(v) &&
		    crm_buf_adds(&lg->prev[i], v, err) < 0)
			return -1;
	}
	crm_buf_reset(&lg->oref);
	return crm_buf_addf(&lg->oref, err, "%s/%lld", crm_buf_str(&lg->order),
	    (long long)lg->oline);
}

static int
normalise(struct crm_logger *lg, struct crm_csv *r, struct rec *x,
    char cur[4], char *trimmed[6], struct crm_error *err)
{
	char q[CRM_QUOTE_MAX];
	const char *v;
	size_t i, len;

	memset(x, 0, sizeof(*x));
	if ((v = field(lg, r, F_AT)) == NULL)
		return crm_error_set(err, CRM_EDATA, "no date (at)");
	if (crm_norm_datetime(v, &x->c.at, err) < 0)
		return -1;
	if ((v = field(lg, r, F_CHANNEL)) == NULL)
		return crm_error_set(err, CRM_EDATA, "no channel");
	if ((x->c.channel = crm_log_channel(v)) == NULL) {
		for (i = 0; i < lg->opts.naliases; i++) {
			const char *from = lg->opts.alias_from[i];
			const char *t = crm_trim(v, &len);

			if ((size_t)(strchr(from, '=') - from) == len &&
			    strncasecmp(from, t, len) == 0) {
				x->c.channel = lg->opts.alias_to[i];
				break;
			}
		}
		if (x->c.channel == NULL)
			return crm_error_set(err, CRM_EDATA, "unknown channel"
			    " '%s' (%s; or map it with --alias)",
			    crm_quote(q, v, strlen(v)), crm_log_channels);
	}
	if ((v = field(lg, r, F_KIND)) == NULL)
		return crm_error_set(err, CRM_EDATA, "no kind");
	v = crm_trim(v, &len);
	crm_buf_reset(&lg->tmp);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)tolower((unsigned char)v[i]);

		if (!(isalnum(c) || c == '_' || c == '-') || len > 32)
			return crm_error_set(err, CRM_EDATA, "invalid kind '%.*s'"
			    " (a word of letters, digits, - and _)", (int)len,
			    v);
		if (crm_buf_addc(&lg->tmp, c, err) < 0)
			return -1;
	}
	x->c.kind = crm_buf_str(&lg->tmp);
	if ((v = field(lg, r, F_DIRECTION)) != NULL) {
		v = crm_trim(v, &len);
		if ((len == 2 && strncasecmp(v, "in", 2) == 0) ||
		    (len == 7 && strncasecmp(v, "inbound", 7) == 0) ||
		    (len == 1 && (*v == 'i' || *v == 'I')))
			x->c.direction = "in";
		else if ((len == 3 && strncasecmp(v, "out", 3) == 0) ||
		    (len == 8 && strncasecmp(v, "outbound", 8) == 0) ||
		    (len == 1 && (*v == 'o' || *v == 'O')))
			x->c.direction = "out";
		else
			return crm_error_set(err, CRM_EDATA, "invalid direction"
			    " '%.*s' (in or out)", (int)len, v);
	}
	cur[0] = '\0';
	if ((v = field(lg, r, F_AMOUNT)) != NULL) {
		if (crm_norm_amount(v, &x->c.amount, cur, err) < 0)
			return -1;
		x->c.has_amount = 1;
	}
	if ((v = field(lg, r, F_CURRENCY)) != NULL) {
		char c[4];

		v = crm_trim(v, &len);
		if (len != 3 || !isalpha((unsigned char)v[0]) ||
		    !isalpha((unsigned char)v[1]) || !isalpha((unsigned char)v[2]))
			return crm_error_set(err, CRM_EDATA, "invalid currency"
			    " '%.*s' (an ISO 4217 code such as EUR)", (int)len,
			    v);
		for (i = 0; i < 3; i++)
			c[i] = (char)toupper((unsigned char)v[i]);
		c[3] = '\0';
		if (cur[0] != '\0' && strcmp(cur, c) != 0)
			return crm_error_set(err, CRM_EDATA, "amount in %s but"
			    " currency %s", cur, c);
		memcpy(cur, c, 4);
	}
	if (cur[0] == '\0' && x->c.has_amount && lg->opts.currency != NULL)
		snprintf(cur, 4, "%s", lg->opts.currency);
	x->c.currency = cur[0] ? cur : NULL;
	if ((v = field(lg, r, F_QUANTITY)) != NULL) {
		if (crm_norm_number(v, &x->c.quantity, err) < 0)
			return crm_error_prefix(err, "quantity");
		x->c.has_quantity = 1;
	}
	if ((v = field(lg, r, F_STATUS)) != NULL) {
		v = crm_trim(v, &len);
		if ((len == 4 && strncasecmp(v, "open", 4) == 0) ||
		    (len == 7 && strncasecmp(v, "pending", 7) == 0))
			x->c.status = "open";
		else if ((len == 6 && strncasecmp(v, "closed", 6) == 0) ||
		    (len == 8 && strncasecmp(v, "resolved", 8) == 0) ||
		    (len == 6 && strncasecmp(v, "solved", 6) == 0))
			x->c.status = "closed";
		else
			return crm_error_set(err, CRM_EDATA, "invalid status"
			    " '%.*s' (open or closed)", (int)len, v);
	}
	if ((v = field(lg, r, F_CLOSED_AT)) != NULL) {
		if (crm_norm_datetime(v, &x->c.closed_at, err) < 0)
			return crm_error_prefix(err, "closed_at");
		if (x->c.closed_at < x->c.at)
			return crm_error_set(err, CRM_EDATA,
			    "closed_at is before at");
		if (x->c.status == NULL)
			x->c.status = "closed";
	}
	for (i = 0; i < 5; i++) {
		trimmed[i] = NULL;
		if ((v = field(lg, r, textcol[i])) == NULL)
			continue;
		v = crm_trim(v, &len);
		if ((trimmed[i] = strndup(v, len)) == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		x->c.text[i] = trimmed[i];
	}
	if ((v = field(lg, r, F_REF)) != NULL) {
		v = crm_trim(v, &len);
		if ((trimmed[5] = strndup(v, len)) == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		x->ref = trimmed[5];
	}
	if (lg->order.len > 0) {
		x->order = crm_buf_str(&lg->order);
		if (x->ref == NULL)
			x->ref = crm_buf_str(&lg->oref);
	}
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
	    crm_db_bind_text(db, st, 20, x->order, err) < 0)
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
    " order_ref) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
    " ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?19, ?20) ON CONFLICT DO NOTHING";

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

static const char sql_update[] =
    "UPDATE interactions SET (contact_id, at, channel, kind, direction,"
    " amount, currency, quantity, status, closed_at, product, category,"
    " subject, note, campaign) = (" MERGED_FIELDS "), source = ?18,"
    " updated_at = ?19, order_ref = coalesce(?20, order_ref) WHERE ref = ?16 AND (contact_id, at, channel, kind,"
    " direction, amount, currency, quantity, status, closed_at, product,"
    " category, subject, note, campaign) IS DISTINCT FROM (" MERGED_FIELDS ")";

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

int
crm_logger_row(struct crm_logger *lg, struct crm_csv *r,
    struct crm_error *err)
{
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
	}
	if (order_line(lg, r, err) < 0 ||
	    normalise(lg, r, &x, cur, trimmed, err) < 0)
		goto done;
	/* Purged or anonymised by retention: a re-import leaves it so. */
	if (x.c.at < lg->horizon) {
		lg->st.unchanged++;
		rc = 0;
		goto done;
	}
	if ((rc = contact_of(lg, r, &x.c.contact, err)) != 0) {
		if (rc == 1) {
			lg->st.erased++;
			rc = 0;
		}
		goto done;
	}
	rc = -1;
	content_hash(&x);
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
		int64_t same = 0;

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
		same = crm_db_col_int(st, 0);
		crm_db_reset(st);
		lg->st.unchanged++;
		if (same > 0)
			lg->st.collapsed++;
	} else {
		/* The ref is known: update it if anything changed. */
		if ((st = crm_db_stmt(lg->db, sql_update, err)) == NULL ||
		    bind_rec(lg, st, &x, err) < 0 ||
		    crm_db_step(lg->db, st, err) < 0)
			goto done;
		if (crm_db_changes(lg->db) == 1)
			lg->st.updated++;
		else
			lg->st.unchanged++;
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

/* Reports. */

/* Write the rows of a prepared query; columns typed by types[]. */
static int
emit(struct crm_db *db, struct crm_stmt *st, struct crm_out *o,
    const char *const *names, const enum crm_coltype *types,
    const int *istime, size_t n, struct crm_error *err)
{
	const char *vals[32];
	char tbuf[32][21];
	size_t i;
	int rc;

	if (crm_out_header(o, names, types, n, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		for (i = 0; i < n; i++) {
			if (crm_db_col_isnull(st, (int)i))
				vals[i] = NULL;
			else if (istime != NULL && istime[i]) {
				crm_format_time(crm_db_col_int(st, (int)i),
				    tbuf[i]);
				vals[i] = tbuf[i];
			} else
				vals[i] = crm_db_col_text(st, (int)i);
		}
		if (crm_out_row(o, vals, err) < 0)
			return -1;
	}
	return rc < 0 ? -1 : 0;
}

int
crm_log_show(struct crm_db *db, int64_t contact,
    const struct crm_log_filter *f, struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "at", "channel", "kind",
	    "direction", "amount", "currency", "product", "category",
	    "quantity", "subject", "note", "status", "closed_at", "campaign",
	    "ref" };
	static const enum crm_coltype types[] = { CRM_COL_TEXT, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_TEXT,
	    CRM_COL_TEXT };
	static const int istime[] = { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0,
	    0 };
	struct crm_stmt *st;

	/*
	 * The filters are bound as NULL when unused, so that one cached
	 * statement serves every combination; the history of every contact
	 * merged into this one is shown with it.
	 */
	if ((st = crm_db_stmt(db, "SELECT at, channel, kind, direction,"
	    " CASE WHEN amount IS NOT NULL THEN printf('%.2f', amount) END,"
	    " currency, product, category, quantity,"
	    " subject, note, status, closed_at, campaign, ref"
	    " FROM interactions WHERE contact_id IN (WITH RECURSIVE m(id) AS"
	    " (VALUES (?1) UNION SELECT c.id FROM contacts c JOIN m ON"
	    " c.merged_into = m.id) SELECT id FROM m)"
	    " AND (channel = ?2 OR ?2 IS NULL) AND (kind = ?3 OR ?3 IS NULL)"
	    " AND (at >= ?4 OR ?4 IS NULL) AND (at < ?5 OR ?5 IS NULL)"
	    " ORDER BY at DESC, id DESC LIMIT ?6", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, contact, err) < 0 ||
	    crm_db_bind_text(db, st, 2, f->channel, err) < 0 ||
	    crm_db_bind_text(db, st, 3, f->kind, err) < 0 ||
	    (f->since ? crm_db_bind_int(db, st, 4, f->since, err) :
	    crm_db_bind_null(db, st, 4, err)) < 0 ||
	    (f->until ? crm_db_bind_int(db, st, 5, f->until, err) :
	    crm_db_bind_null(db, st, 5, err)) < 0 ||
	    crm_db_bind_int(db, st, 6, f->limit > 0 ? f->limit : INT64_MAX,
	    err) < 0)
		return -1;
	return emit(db, st, o, names, types, istime, 15, err);
}

int
crm_log_stats_each(struct crm_db *db, int64_t asof, const int64_t *windows,
    size_t nwindows, int (*fn)(void *arg, const struct crm_log_stats_row *row,
    struct crm_error *err), void *arg, struct crm_error *err)
{
	struct crm_log_stats_row x;
	struct crm_stmt *st;
	size_t w;
	int rc;

	for (w = 0; w < nwindows; w++) {
		if ((st = crm_db_stmt(db, "SELECT channel, kind, count(*),"
		    " count(*) FILTER (WHERE direction = 'in'),"
		    " count(*) FILTER (WHERE direction = 'out'),"
		    " count(DISTINCT contact_id), total(amount),"
		    " currency FROM interactions WHERE at >= ?1 AND at < ?2"
		    " GROUP BY channel, kind, currency"
		    " ORDER BY channel, kind, currency",
		    err)) == NULL ||
		    crm_db_bind_int(db, st, 1, asof - windows[w] * 86400,
		    err) < 0 ||
		    crm_db_bind_int(db, st, 2, asof, err) < 0)
			return -1;
		while ((rc = crm_db_step(db, st, err)) == 1) {
			x.window_days = windows[w];
			x.channel = crm_db_col_text(st, 0);
			x.kind = crm_db_col_text(st, 1);
			x.interactions = crm_db_col_int(st, 2);
			x.inbound = crm_db_col_int(st, 3);
			x.outbound = crm_db_col_int(st, 4);
			x.contacts = crm_db_col_int(st, 5);
			x.amount = crm_db_col_double(st, 6);
			x.currency = crm_db_col_text(st, 7);
			if (fn(arg, &x, err) < 0) {
				crm_db_reset(st);
				return -1;
			}
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
stats_row(void *arg, const struct crm_log_stats_row *x, struct crm_error *err)
{
	char b[6][CRM_NUM_MAX];
	const char *v[9];

	v[0] = crm_num_int(b[0], x->window_days);
	v[1] = x->channel;
	v[2] = x->kind;
	v[3] = crm_num_int(b[1], x->interactions);
	v[4] = crm_num_int(b[2], x->inbound);
	v[5] = crm_num_int(b[3], x->outbound);
	v[6] = crm_num_int(b[4], x->contacts);
	v[7] = crm_num_fixed(b[5], 2, x->amount);
	v[8] = x->currency;
	return crm_out_row(arg, v, err);
}

int
crm_log_stats(struct crm_db *db, int64_t asof, const int64_t *windows,
    size_t nwindows, struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "window_days", "channel", "kind",
	    "interactions", "inbound", "outbound", "contacts", "amount",
	    "currency" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_TEXT };

	if (crm_out_header(o, names, types, 9, err) < 0)
		return -1;
	return crm_log_stats_each(db, asof, windows, nwindows, stats_row, o,
	    err);
}

int
crm_log_preferred(struct crm_db *db, struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "id", "external_id", "email",
	    "preferred_channel", "inbound", "inbound_total" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_NUM };
	struct crm_stmt *st;

	if ((st = crm_db_stmt(db, "WITH per AS (SELECT contact_id, channel,"
	    " count(*) AS n, max(at) AS last FROM interactions"
	    " WHERE direction = 'in' GROUP BY contact_id, channel),"
	    " ranked AS (SELECT contact_id, channel, n, sum(n) OVER w AS total,"
	    " row_number() OVER (w ORDER BY n DESC, last DESC, channel) AS rn"
	    " FROM per WINDOW w AS (PARTITION BY contact_id))"
	    " SELECT c.id, c.external_id, c.email, r.channel, r.n, r.total"
	    " FROM ranked r JOIN contacts c ON c.id = r.contact_id"
	    " WHERE r.rn = 1 AND c.erased_at IS NULL ORDER BY c.id", err)) == NULL)
		return -1;
	return emit(db, st, o, names, types, NULL, 6, err);
}

int
crm_log_tickets_each(struct crm_db *db, int64_t asof, int64_t window,
    int (*fn)(void *arg, const struct crm_log_tickets_row *row,
    struct crm_error *err), void *arg, struct crm_error *err)
{
	struct crm_log_tickets_row x;
	struct crm_stmt *st;
	int rc;

	if ((st = crm_db_stmt(db, "WITH t AS (SELECT channel, status,"
	    " (closed_at - at) / 3600.0 AS h FROM interactions"
	    " WHERE kind = 'ticket' AND at >= ?1 AND at < ?2),"
	    " r AS (SELECT channel, h, row_number() OVER (PARTITION BY channel"
	    " ORDER BY h) AS rn, count(*) OVER (PARTITION BY channel) AS n"
	    " FROM t WHERE h IS NOT NULL),"
	    " med AS (SELECT channel, avg(h) AS m FROM r"
	    " WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY channel)"
	    " SELECT t.channel, count(*),"
	    " count(*) FILTER (WHERE coalesce(status, 'open') = 'open'),"
	    " count(*) FILTER (WHERE status = 'closed'), count(h),"
	    " avg(h), med.m"
	    " FROM t LEFT JOIN med USING (channel)"
	    " GROUP BY t.channel, med.m ORDER BY t.channel", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, asof - window * 86400, err) < 0 ||
	    crm_db_bind_int(db, st, 2, asof, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		x.channel = crm_db_col_text(st, 0);
		x.tickets = crm_db_col_int(st, 1);
		x.open = crm_db_col_int(st, 2);
		x.closed = crm_db_col_int(st, 3);
		x.resolved = crm_db_col_int(st, 4);
		x.mean_hours = x.resolved > 0 ? crm_db_col_double(st, 5) : NAN;
		x.median_hours = x.resolved > 0 ? crm_db_col_double(st, 6) :
		    NAN;
		if (fn(arg, &x, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	return rc < 0 ? -1 : 0;
}

static int
tickets_row(void *arg, const struct crm_log_tickets_row *x,
    struct crm_error *err)
{
	char b[6][CRM_NUM_MAX];
	const char *v[7];

	v[0] = x->channel;
	v[1] = crm_num_int(b[0], x->tickets);
	v[2] = crm_num_int(b[1], x->open);
	v[3] = crm_num_int(b[2], x->closed);
	v[4] = crm_num_int(b[3], x->resolved);
	v[5] = isnan(x->mean_hours) ? NULL : crm_num_fixed(b[4], 2,
	    x->mean_hours);
	v[6] = isnan(x->median_hours) ? NULL : crm_num_fixed(b[5], 2,
	    x->median_hours);
	return crm_out_row(arg, v, err);
}

int
crm_log_tickets(struct crm_db *db, int64_t asof, int64_t window,
    struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "channel", "tickets", "open",
	    "closed", "resolved", "mean_hours", "median_hours" };
	static const enum crm_coltype types[] = { CRM_COL_TEXT, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM };

	if (crm_out_header(o, names, types, 7, err) < 0)
		return -1;
	return crm_log_tickets_each(db, asof, window, tickets_row, o, err);
}
