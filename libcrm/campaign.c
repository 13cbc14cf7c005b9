#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "campaign.h"
#include "household.h"
#include "norm.h"
#include "num.h"
#include "stats.h"

const char *const crm_campaign_reasons[CRM_CAMPAIGN_NREASONS] = {
	"merged", "erased", "do_not_contact", "no_consent", "no_address",
	"invalid_address", "other_campaign", "frequency_cap",
};

static const char *const channels[] = { "email", "sms", "phone", "mail" };
static const char *const purposes[] = { "cross-sell", "up-sell", "retention",
    "acquisition" };

static const char *
word_in(const char *s, const char *const *list, size_t n)
{
	size_t i, len;
	const char *t = crm_trim(s, &len);

	for (i = 0; i < n; i++)
		if (strlen(list[i]) == len && strncasecmp(t, list[i], len) == 0)
			return list[i];
	return NULL;
}

const char *
crm_campaign_channel(const char *s)
{
	return word_in(s, channels, sizeof(channels) / sizeof(channels[0]));
}

const char *
crm_campaign_purpose(const char *s)
{
	return word_in(s, purposes, sizeof(purposes) / sizeof(purposes[0]));
}

int
crm_campaign_check_name(const char *name, struct crm_error *err)
{
	char q[CRM_QUOTE_MAX];
	size_t i, len = strlen(name);

	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) &&
		    (i == 0 || !strchr("._-", name[i])))
			break;
	if (len == 0 || len > 64 || i < len)
		return crm_error_set(err, CRM_EUSAGE, "bad campaign name '%s'"
		    " (up to 64 letters, digits, '.', '_' and '-', starting"
		    " with a letter or digit)", crm_quote(q, name, len));
	return 0;
}

int
crm_campaign_share(const char *s, double *share, struct crm_error *err)
{
	char q[CRM_QUOTE_MAX], *end;
	const char *t;
	size_t len;
	double v;

	t = crm_trim(s, &len);
	errno = 0;
	v = len ? strtod(t, &end) : NAN;
	if (len && end < t + len && *end == '%' && end + 1 == t + len)
		v /= 100;
	else if (len && end != t + len)
		v = NAN;
	if (errno != 0 || !(v >= 0 && v < 1) || !isdigit((unsigned char)*t))
		return crm_error_set(err, CRM_EUSAGE, "--holdout: bad share"
		    " '%s' (a percentage such as 10%% or a fraction such as"
		    " 0.1, below 100%%)", crm_quote(q, s, strlen(s)));
	*share = v;
	return 0;
}

/* SipHash-2-4 (Aumasson and Bernstein), 64-bit output. */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
} while (0)

static uint64_t
le64(const unsigned char *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
	    (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
	    (uint64_t)p[7] << 56;
}

static void
put_le64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

uint64_t
crm_siphash24(const unsigned char k[16], const void *msg, size_t len)
{
	const unsigned char *m = msg;
	uint64_t k0 = le64(k), k1 = le64(k + 8), b, w;
	uint64_t v0 = k0 ^ 0x736f6d6570736575ULL;
	uint64_t v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ULL;
	uint64_t v3 = k1 ^ 0x7465646279746573ULL;
	size_t i, left = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		w = le64(m + i);
		v3 ^= w;
		SIPROUND;
		SIPROUND;
		v0 ^= w;
	}
	b = (uint64_t)len << 56;
	while (left > 0) {
		left--;
		b |= (uint64_t)m[i + left] << (8 * left);
	}
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* Fixed keys: the campaign key is derived under the first two, the
 * content hash of a send under the last two. */
static const unsigned char key_a[16] = "crm-campaign-k0.";
static const unsigned char key_b[16] = "crm-campaign-k1.";
static const unsigned char key_c[16] = "crm-campaign-ref";
static const unsigned char key_d[16] = "crm-campaign-REF";

static void
derive_key(const char *name, size_t len, unsigned char k[16])
{
	put_le64(k, crm_siphash24(key_a, name, len));
	put_le64(k + 8, crm_siphash24(key_b, name, len));
}

static uint64_t
hash_id(const unsigned char k[16], int64_t id)
{
	unsigned char m[8];

	put_le64(m, (uint64_t)id);
	return crm_siphash24(k, m, 8);
}

uint64_t
crm_campaign_hash(const char *name, int64_t id)
{
	unsigned char k[16];

	derive_key(name, strlen(name), k);
	return hash_id(k, id);
}

static double
unit(uint64_t h)
{
	return (double)(h >> 11) * 0x1.0p-53;
}

/*
 * crm_campaign_u(name, key): the hash of key (an integer id, or text such
 * as a stratum) under the campaign's key, as a number in [0, 1).  The key
 * derived from name is kept as auxiliary data across the rows of one
 * statement.
 */
static void
sql_u(struct crm_db_call *c)
{
	unsigned char key[16], *k = crm_db_aux(c, 0);
	const unsigned char *s;
	size_t n;
	uint64_t h;

	if (k == NULL) {
		if ((s = crm_db_arg_text(c, 0, &n)) == NULL) {
			crm_db_result_null(c);
			return;
		}
		derive_key((const char *)s, n, key);
		if ((k = malloc(16)) != NULL) {
			memcpy(k, key, 16);
			crm_db_set_aux(c, 0, k, free);
		}
		k = key;
	}
	if (crm_db_arg_type(c, 1) == CRM_DB_INT)
		h = hash_id(k, crm_db_arg_int(c, 1));
	else {
		s = crm_db_arg_text(c, 1, &n);
		h = crm_siphash24(k, s ? s : (const unsigned char *)"",
		    s ? n : 0);
	}
	crm_db_result_double(c, unit(h));
}

/* crm_campaign_chash(ref): a 16-byte content key for a send's interaction
 * (the table wants one; the ref is what makes the send idempotent). */
static void
sql_chash(struct crm_db_call *c)
{
	size_t n;
	const unsigned char *s = crm_db_arg_text(c, 0, &n);
	unsigned char out[16];

	if (s == NULL) {
		crm_db_result_null(c);
		return;
	}
	put_le64(out, crm_siphash24(key_c, s, n));
	put_le64(out + 8, crm_siphash24(key_d, s, n));
	crm_db_result_blob(c, out, 16);
}

static int
register_functions(struct crm_db *db, struct crm_error *err)
{
	if (crm_db_function(db, "crm_campaign_u", 2, sql_u, err) < 0 ||
	    crm_db_function(db, "crm_campaign_chash", 1, sql_chash, err) < 0)
		return -1;
	return 0;
}

/* A stored campaign. */
struct camp {
	int64_t id, created_at, sent_at;
	char channel[8], state[8], purpose[16];
};

static const char sql_find[] = "SELECT id, channel, state, purpose,"
    " created_at, sent_at FROM campaigns WHERE name = ?1";

/* Look campaign name up: 1 found, 0 not (k->id 0), -1 error. */
static int
find(struct crm_db *db, const char *name, struct camp *k,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int rc;

	memset(k, 0, sizeof(*k));
	if ((st = crm_db_stmt(db, sql_find, err)) == NULL ||
	    crm_db_bind_text(db, st, 1, name, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 0)
		return 0;
	k->id = crm_db_col_int(st, 0);
	snprintf(k->channel, sizeof(k->channel), "%s",
	    crm_db_col_text(st, 1));
	snprintf(k->state, sizeof(k->state), "%s", crm_db_col_text(st, 2));
	if (!crm_db_col_isnull(st, 3))
		snprintf(k->purpose, sizeof(k->purpose), "%s",
		    crm_db_col_text(st, 3));
	k->created_at = crm_db_col_int(st, 4);
	k->sent_at = crm_db_col_int(st, 5);
	crm_db_reset(st);
	return 1;
}

static int
must_find(struct crm_db *db, const char *name, struct camp *k,
    struct crm_error *err)
{
	int rc = find(db, name, k, err);

	if (rc == 0)
		return crm_error_set(err, CRM_EUSAGE, "no campaign '%s'"
		    " (crm-campaign list shows them)", name);
	return rc < 0 ? -1 : 0;
}

/*
 * Who may not be contacted on channel ?1 at all: the reasons that depend
 * on the contact alone, as WHEN arms of a CASE over contacts c.  Export
 * and send check them again, since consent can go after the selection.
 */
#define SQL_REASON_CONTACT \
	" WHEN c.merged_into IS NOT NULL THEN 'merged'" \
	" WHEN c.erased_at IS NOT NULL THEN 'erased'" \
	" WHEN c.do_not_contact = 1 THEN 'do_not_contact'" \
	" WHEN (CASE ?1 WHEN 'email' THEN c.email_opt_in" \
	"   WHEN 'sms' THEN c.sms_opt_in WHEN 'phone' THEN c.phone_opt_in" \
	"   ELSE c.mail_opt_in END) IS NOT 1 THEN 'no_consent'" \
	" WHEN CASE ?1 WHEN 'email' THEN nullif(trim(c.email), '') IS NULL" \
	"   WHEN 'mail' THEN nullif(trim(c.street), '') IS NULL" \
	"     OR nullif(trim(c.city), '') IS NULL" \
	"     OR nullif(trim(c.postcode), '') IS NULL" \
	"   ELSE nullif(trim(c.phone), '') IS NULL END THEN 'no_address'" \
	" WHEN CASE ?1 WHEN 'email' THEN NOT (c.email GLOB '?*@?*'" \
	"     AND c.email NOT GLOB '*@*@*')" \
	"   WHEN 'mail' THEN 0" \
	"   ELSE NOT (c.phone GLOB '+[1-9]*' AND length(c.phone) BETWEEN 7" \
	"     AND 16 AND substr(c.phone, 2) NOT GLOB '*[^0-9]*')" \
	"     OR (?1 = 'sms' AND coalesce(c.phone_type NOT IN ('mobile'," \
	"     'fixed_line_or_mobile'), 1)) END" \
	"   THEN 'invalid_address'"

/*
 * All the reasons, for the selection: ?2 the campaign, ?5 1 to check
 * other campaigns, ?6 the cap (0 for none) over (?7, ?8].  The cap counts
 * at most ?6 rows per contact, so a busy contact costs no more than a
 * quiet one.
 */
#define SQL_REASON_ALL \
	"CASE" SQL_REASON_CONTACT \
	" WHEN ?5 AND EXISTS (SELECT 1 FROM campaign_members o" \
	"   JOIN campaigns k ON k.id = o.campaign_id" \
	"   WHERE o.contact_id = c.id AND o.campaign_id <> ?2" \
	"   AND o.grp <> 'suppressed' AND k.state <> 'closed')" \
	"   THEN 'other_campaign'" \
	" WHEN ?6 > 0 AND (SELECT count(*) FROM (SELECT 1 FROM interactions i" \
	"   WHERE i.contact_id = c.id AND i.at > ?7 AND i.at <= ?8" \
	"   AND i.direction = 'out' LIMIT ?6)) >= ?6 THEN 'frequency_cap'" \
	" END"

/*
 * The candidates with their reasons, materialised once: flattened into
 * the query below, the CASE (and its frequency cap) would be evaluated
 * once for the group and again for the reason.
 */
#define SQL_CANDIDATES(stratum) \
	"WITH s AS MATERIALIZED (SELECT k.contact_id AS id, " \
	SQL_REASON_ALL " AS reason" stratum \
	" FROM temp.crm_campaign_cand k JOIN contacts c ON c.id = k.contact_id)"

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
    SQL_CANDIDATES(", CASE WHEN ?9 THEN coalesce(k.stratum, '')"
    "   ELSE coalesce((SELECT group_concat(segment_id) FROM"
    "     (SELECT g.segment_id FROM segment_members g"
    "      WHERE g.contact_id = c.id ORDER BY g.segment_id)), '') END AS st")
    " INSERT INTO campaign_members (campaign_id, contact_id, grp, reason)"
    " SELECT ?2, id, CASE WHEN reason IS NOT NULL THEN 'suppressed'"
    "   WHEN CAST(rn * ?4 + us AS INTEGER) > CAST((rn - 1) * ?4 + us"
    "     AS INTEGER) THEN 'control' ELSE 'target' END, reason"
    " FROM (SELECT id, reason, crm_campaign_u(?3, st) AS us,"
    "   row_number() OVER (PARTITION BY reason IS NULL, st"
    "     ORDER BY crm_campaign_u(?3, id), id) AS rn FROM s)"
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
    "DELETE FROM temp.crm_campaign_input;"
    "DELETE FROM temp.crm_campaign_cand;";

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
    "INSERT INTO temp.crm_campaign_input (src, line, id, ext, email, stratum)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

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
    "UPDATE temp.crm_campaign_input SET contact_id = CASE"
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
    "SELECT src, line, email FROM temp.crm_campaign_input t"
    " WHERE id IS NULL AND ext IS NULL AND (SELECT count(*) FROM contacts c"
    "   WHERE c.email = t.email AND c.merged_into IS NULL"
    "   AND c.erased_at IS NULL) > 1 ORDER BY seq LIMIT 1";

static const char sql_unresolved[] =
    "SELECT src, line, id, ext, email, count(*) OVER ()"
    " FROM temp.crm_campaign_input t WHERE contact_id IS NULL"
    " OR (?1 AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = t.id))"
    " ORDER BY seq LIMIT 1";

static const char sql_cand_input[] =
    "INSERT OR IGNORE INTO temp.crm_campaign_cand (contact_id, stratum)"
    " SELECT contact_id, stratum FROM temp.crm_campaign_input ORDER BY seq";

static const char sql_cand_segment[] =
    "INSERT OR IGNORE INTO temp.crm_campaign_cand (contact_id)"
    " SELECT contact_id FROM segment_members WHERE segment_id = ?1"
    " ORDER BY contact_id";

/* A merged-away candidate brings its survivor (the end of the chain). */
static const char sql_cand_survivors[] =
    "WITH RECURSIVE chain(start, id, depth) AS ("
    "  SELECT k.contact_id, c.merged_into, 1 FROM temp.crm_campaign_cand k"
    "  JOIN contacts c ON c.id = k.contact_id WHERE c.merged_into IS NOT NULL"
    "  UNION ALL"
    "  SELECT chain.start, c.merged_into, chain.depth + 1 FROM chain"
    "  JOIN contacts c ON c.id = chain.id"
    "  WHERE c.merged_into IS NOT NULL AND chain.depth < 64)"
    " INSERT OR IGNORE INTO temp.crm_campaign_cand (contact_id, stratum)"
    " SELECT chain.id, (SELECT stratum FROM temp.crm_campaign_cand k"
    "   WHERE k.contact_id = chain.start)"
    " FROM chain JOIN contacts c ON c.id = chain.id"
    " WHERE c.merged_into IS NULL ORDER BY chain.start";

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

static int
count_members(struct crm_db *db, int64_t cid, struct crm_campaign_counts *c,
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
	if (register_functions(db, err) < 0 ||
	    (rc = find(db, o->name, &k, err)) < 0)
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
	    " temp.crm_household h JOIN temp.crm_household o ON"
	    " o.household = h.household AND o.contact_id < h.contact_id"
	    " JOIN campaign_members m ON m.campaign_id = ?1 AND"
	    " m.contact_id = o.contact_id AND m.grp <> 'suppressed'"
	    " WHERE h.contact_id = campaign_members.contact_id)",
	    err)) == NULL || crm_db_bind_int(db, st, 1, k.id, err) < 0 ||
	    crm_db_step(db, st, err) < 0))
		return -1;
	if (count_members(db, k.id, c, err) < 0 ||
	    crm_db_query_int(db, "SELECT count(*) FROM temp.crm_campaign_cand",
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

	if (must_find(db, name, &k, err) < 0 ||
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

/* Templates. */

#define TEMPLATE_MAX (1u << 20)

/* The fields a template may name besides attributes, in the order the
 * export query selects them. */
static const char *const tfields[] = {
	"id", "external_id", "first_name", "last_name", "email", "phone",
	"company", "street", "city", "postcode", "country", "birth_date",
	"stage", "owner",
};
#define NTFIELDS ((int)(sizeof(tfields) / sizeof(tfields[0])))
#define COL_REASON NTFIELDS	/* the export query's reason column */
enum { F_CAMPAIGN = -1, F_CHANNEL = -2, F_PURPOSE = -3 };

struct part {
	size_t off, len;	/* literal text, when field < 0 */
	long field;		/* index into fields, or -1 */
};

struct crm_campaign_template {
	char *text;
	struct part *parts;
	size_t nparts;
	char **fields;		/* distinct names, normalised */
	int64_t *missing;
	int *src;		/* column of the export query, or F_* */
	size_t nfields;
};

static int
add_part(struct crm_campaign_template *tp, size_t off, size_t len, long field,
    struct crm_error *err)
{
	struct part *p;

	if (field < 0 && len == 0)
		return 0;
	if ((p = reallocarray(tp->parts, tp->nparts + 1, sizeof(*p))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	tp->parts = p;
	p[tp->nparts].off = off;
	p[tp->nparts].len = len;
	p[tp->nparts].field = field;
	tp->nparts++;
	return 0;
}

/* The index of field name (normalised here), added if new. */
static long
add_field(struct crm_campaign_template *tp, const char *s, size_t len,
    struct crm_error *err)
{
	char *name, **f;
	int64_t *m;
	size_t i;

	if ((name = strndup(s, len)) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	for (i = 0; i < len; i++)
		name[i] = name[i] == '-' ? '_' :
		    (char)tolower((unsigned char)name[i]);
	for (i = 0; i < tp->nfields; i++)
		if (strcmp(tp->fields[i], name) == 0) {
			free(name);
			return (long)i;
		}
	if ((f = reallocarray(tp->fields, tp->nfields + 1, sizeof(*f))) ==
	    NULL) {
		free(name);
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	}
	tp->fields = f;
	if ((m = reallocarray(tp->missing, tp->nfields + 1, sizeof(*m))) ==
	    NULL) {
		free(name);
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	}
	tp->missing = m;
	f[tp->nfields] = name;
	m[tp->nfields] = 0;
	return (long)tp->nfields++;
}

static int
parse_template(struct crm_campaign_template *tp, const char *path,
    size_t len, struct crm_error *err)
{
	const char *s = tp->text, *p, *q, *name;
	char quoted[CRM_QUOTE_MAX];
	size_t lit = 0, nlen, i;
	long f, line;

	for (p = s; (p = strstr(p, "{{")) != NULL; ) {
		q = p + 2;
		while (*q == ' ' || *q == '\t')
			q++;
		name = q;
		while (isalnum((unsigned char)*q) ||
		    (*q != '\0' && strchr("_-.", *q) != NULL))
			q++;
		nlen = (size_t)(q - name);
		while (*q == ' ' || *q == '\t')
			q++;
		if (nlen == 0 || q[0] != '}' || q[1] != '}') {
			for (line = 1, i = 0; i < (size_t)(p - s); i++)
				line += s[i] == '\n';
			return crm_error_set(err, CRM_EDATA, "%s:%ld: bad"
			    " placeholder '%s' (expected {{field}})", path,
			    line, crm_quote(quoted, p, strcspn(p, "\n")));
		}
		if (add_part(tp, lit, (size_t)(p - s) - lit, -1, err) < 0 ||
		    (f = add_field(tp, name, nlen, err)) < 0 ||
		    add_part(tp, 0, 0, f, err) < 0)
			return -1;
		p = q + 2;
		lit = (size_t)(p - s);
	}
	return add_part(tp, lit, len - lit, -1, err);
}

struct crm_campaign_template *
crm_campaign_template_load(const char *path, struct crm_error *err)
{
	struct crm_buf b = CRM_BUF_INIT(TEMPLATE_MAX);
	struct crm_campaign_template *tp = NULL;
	char chunk[8192];
	size_t n, len;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		crm_error_set(err, CRM_EFAIL, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (crm_buf_add(&b, chunk, n, err) < 0) {
			crm_error_prefix(err, "%s: template over 1 MiB", path);
			goto fail;
		}
	if (ferror(fp)) {
		crm_error_set(err, CRM_EFAIL, "%s: %s", path, strerror(errno));
		goto fail;
	}
	len = b.len;
	if (memchr(crm_buf_str(&b), '\0', len) != NULL ||
	    !crm_utf8_valid(crm_buf_str(&b), len)) {
		crm_error_set(err, CRM_EDATA, "%s: not UTF-8 text", path);
		goto fail;
	}
	if ((tp = calloc(1, sizeof(*tp))) == NULL ||
	    (tp->text = crm_buf_detach(&b)) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto fail;
	}
	if (parse_template(tp, path, len, err) < 0)
		goto fail;
	fclose(fp);
	return tp;
fail:
	fclose(fp);
	crm_buf_release(&b);
	crm_campaign_template_free(tp);
	return NULL;
}

void
crm_campaign_template_free(struct crm_campaign_template *tp)
{
	size_t i;

	if (tp == NULL)
		return;
	for (i = 0; i < tp->nfields; i++)
		free(tp->fields[i]);
	free(tp->fields);
	free(tp->missing);
	free(tp->src);
	free(tp->parts);
	free(tp->text);
	free(tp);
}

size_t
crm_campaign_template_nfields(const struct crm_campaign_template *tp)
{
	return tp->nfields;
}

const char *
crm_campaign_template_missing(const struct crm_campaign_template *tp,
    size_t i, int64_t *count)
{
	*count = tp->missing[i];
	return tp->fields[i];
}

/*
 * The export query: the template's contact fields, the reason a target
 * may no longer be contacted, and one json_extract per attribute named
 * (its path bound as ?3, ?4, ...).  Sets tp->src.
 */
static struct crm_stmt *
export_query(struct crm_db *db, struct crm_campaign_template *tp,
    struct crm_error *err)
{
	struct crm_buf sql = CRM_BUF_INIT(1 << 16), path = CRM_BUF_INIT(512);
	struct crm_stmt *st = NULL;
	size_t i;
	int j, nattr = 0;
	const char *f;

	if (crm_buf_adds(&sql, "SELECT c.id, c.external_id, c.first_name,"
	    " c.last_name, c.email, c.phone, c.company, c.street, c.city,"
	    " c.postcode, c.country, c.birth_date, c.stage, c.owner,"
	    " CASE" SQL_REASON_CONTACT " END", err) < 0)
		goto done;
	if (tp != NULL && tp->nfields > 0 &&
	    (tp->src = calloc(tp->nfields, sizeof(*tp->src))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	for (i = 0; tp != NULL && i < tp->nfields; i++) {
		f = tp->fields[i];
		for (j = 0; j < NTFIELDS; j++)
			if (strcmp(f, tfields[j]) == 0)
				break;
		if (j < NTFIELDS)
			tp->src[i] = j;
		else if (strcmp(f, "campaign") == 0)
			tp->src[i] = F_CAMPAIGN;
		else if (strcmp(f, "channel") == 0)
			tp->src[i] = F_CHANNEL;
		else if (strcmp(f, "purpose") == 0)
			tp->src[i] = F_PURPOSE;
		else {
			tp->src[i] = COL_REASON + 1 + nattr;
			if (crm_buf_addf(&sql, err, ", json_extract(c.attrs,"
			    " ?%d)", 3 + nattr) < 0)
				goto done;
			nattr++;
		}
	}
	if (crm_buf_adds(&sql, " FROM campaign_members m JOIN contacts c"
	    " ON c.id = m.contact_id WHERE m.campaign_id = ?2"
	    " AND m.grp = 'target' ORDER BY m.contact_id", err) < 0 ||
	    (st = crm_db_prepare(db, crm_buf_str(&sql), err)) == NULL)
		goto done;
	for (i = 0; tp != NULL && i < tp->nfields; i++) {
		if (tp->src[i] <= COL_REASON)
			continue;
		f = tp->fields[i];
		if (strncmp(f, "attr.", 5) == 0 && f[5] != '\0')
			f += 5;
		crm_buf_reset(&path);
		/* Names are letters, digits, '_', '-' and '.': no quoting. */
		if (crm_buf_addf(&path, err, "$.\"%s\"", f) < 0 ||
		    crm_db_bind_text_copy(db, st, tp->src[i] - COL_REASON - 1 +
		    3, crm_buf_str(&path), err) < 0) {
			crm_error_set(err, CRM_EFAIL, "binding %s", f);
			crm_db_finalize(st);
			st = NULL;
			goto done;
		}
	}
done:
	crm_buf_release(&sql);
	crm_buf_release(&path);
	return st;
}

static int
render(struct crm_campaign_template *tp, struct crm_stmt *st,
    const char *name, const struct camp *k, struct crm_buf *b,
    int64_t *missing, struct crm_error *err)
{
	const struct part *p;
	const char *v;
	size_t i;

	crm_buf_reset(b);
	for (i = 0; i < tp->nparts; i++) {
		p = &tp->parts[i];
		if (p->field < 0) {
			if (crm_buf_add(b, tp->text + p->off, p->len, err) < 0)
				return -1;
			continue;
		}
		switch (tp->src[p->field]) {
		case F_CAMPAIGN:
			v = name;
			break;
		case F_CHANNEL:
			v = k->channel;
			break;
		case F_PURPOSE:
			v = k->purpose;
			break;
		default:
			v = crm_db_col_text(st, tp->src[p->field]);
		}
		if (v == NULL || *v == '\0') {
			tp->missing[p->field]++;
			(*missing)++;
			continue;
		}
		if (crm_buf_adds(b, v, err) < 0)
			return -1;
	}
	/* A message is a cell: keep it under the CSV field limit. */
	if (b->len > CRM_CSV_FIELD_MAX)
		return crm_error_set(err, CRM_EDATA, "contact %lld: message"
		    " longer than 1 MiB", (long long)crm_db_col_int(st,
		    0));
	return 0;
}

/* The addresses an export has written (open addressing). */
struct addrset {
	char **s;
	size_t n, cap;
};

static uint64_t
addr_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)tolower((unsigned char)*s)) *
		    0x100000001b3ULL;
	return h;
}

/*
 * 1 if the row's address (the channel's columns after the names: email,
 * phone, or the postal address) was written before; else remembers it.
 */
static int
address_seen(struct addrset *a, struct crm_stmt *st, const int *cols,
    struct crm_error *err)
{
	struct crm_buf key = CRM_BUF_INIT(1 << 16);
	size_t i, j;
	char *k;

	for (i = 4; cols[i] >= 0; i++) {
		const char *v = crm_db_col_text(st, cols[i]);

		if (cols[i] == 6)
			continue;	/* company: not part of an address */
		if (crm_buf_adds(&key, v ? v : "", err) < 0 ||
		    crm_buf_addc(&key, '\037', err) < 0) {
			crm_buf_release(&key);
			return -1;
		}
	}
	if ((a->n + 1) * 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 1024;
		char **s = calloc(cap, sizeof(*s));

		if (s == NULL) {
			crm_buf_release(&key);
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		}
		for (i = 0; i < a->cap; i++) {
			if (a->s[i] == NULL)
				continue;
			for (j = addr_hash(a->s[i]) & (cap - 1); s[j] != NULL;
			    j = (j + 1) & (cap - 1))
				;
			s[j] = a->s[i];
		}
		free(a->s);
		a->s = s;
		a->cap = cap;
	}
	for (j = addr_hash(crm_buf_str(&key)) & (a->cap - 1); a->s[j] != NULL;
	    j = (j + 1) & (a->cap - 1))
		if (strcasecmp(a->s[j], crm_buf_str(&key)) == 0) {
			crm_buf_release(&key);
			return 1;
		}
	if ((k = crm_buf_detach(&key)) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	a->s[j] = k;
	a->n++;
	return 0;
}

/*
 * A placeholder that names no field and no attribute any target has is a
 * mistake in the template (a typo, an attribute never imported): refuse
 * it before anything is written, rather than send every target a message
 * with a hole in it.
 */
static int
unknown_fields(struct crm_db *db, struct crm_campaign_template *tp,
    int64_t campaign, struct crm_error *err)
{
	struct crm_buf path = CRM_BUF_INIT(512);
	struct crm_stmt *st;
	const char *f;
	size_t i;
	int rc = 0, found;

	for (i = 0; i < tp->nfields && rc == 0; i++) {
		if (tp->src[i] <= COL_REASON)
			continue;
		f = tp->fields[i];
		if (strncmp(f, "attr.", 5) == 0 && f[5] != '\0')
			f += 5;
		crm_buf_reset(&path);
		if (crm_buf_addf(&path, err, "$.\"%s\"", f) < 0 ||
		    (st = crm_db_stmt(db, "SELECT EXISTS (SELECT 1 FROM"
		    " campaign_members m JOIN contacts c ON c.id = m.contact_id"
		    " WHERE m.campaign_id = ?1 AND m.grp = 'target' AND"
		    " json_extract(c.attrs, ?2) IS NOT NULL)", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, campaign, err) < 0 ||
		    crm_db_bind_text(db, st, 2, crm_buf_str(&path), err) < 0 ||
		    (found = crm_db_step(db, st, err)) < 0) {
			rc = -1;
			break;
		}
		found = crm_db_col_int(st, 0) != 0;
		crm_db_reset(st);
		if (!found)
			rc = crm_error_set(err, CRM_EDATA, "placeholder"
			    " {{%s}} matches no field (id, external_id,"
			    " first_name, last_name, email, phone, company,"
			    " street, city, postcode, country, birth_date,"
			    " stage, owner, campaign, channel, purpose) and no"
			    " attribute of any target", tp->fields[i]);
	}
	crm_buf_release(&path);
	return rc;
}

int
crm_campaign_export(struct crm_db *db, const char *name,
    struct crm_campaign_template *tp, struct crm_out *out,
    struct crm_campaign_export_stats *es, struct crm_error *err)
{
	/* The columns of each channel: indexes into tfields. */
	static const int email_cols[] = { 0, 1, 2, 3, 4, -1 };
	static const int phone_cols[] = { 0, 1, 2, 3, 5, -1 };
	static const int mail_cols[] = { 0, 1, 2, 3, 6, 7, 8, 9, 10, -1 };
	struct crm_buf msg = CRM_BUF_INIT(2 * CRM_CSV_FIELD_MAX);
	enum crm_coltype types[16];
	const char *names[16], *vals[16];
	const int *cols;
	struct crm_stmt *st = NULL;
	struct addrset addr = { NULL, 0, 0 };
	struct camp k;
	size_t n, i;
	int rc = -1, seen;

	memset(es, 0, sizeof(*es));
	if (must_find(db, name, &k, err) < 0)
		return -1;
	cols = strcmp(k.channel, "email") == 0 ? email_cols :
	    strcmp(k.channel, "mail") == 0 ? mail_cols : phone_cols;
	for (n = 0; cols[n] >= 0; n++) {
		names[n] = tfields[cols[n]];
		types[n] = n == 0 ? CRM_COL_NUM : CRM_COL_TEXT;
	}
	if (tp != NULL) {
		names[n] = "message";
		types[n++] = CRM_COL_TEXT;
	}
	if ((st = export_query(db, tp, err)) == NULL ||
	    crm_db_bind_text(db, st, 1, k.channel, err) < 0 ||
	    crm_db_bind_int(db, st, 2, k.id, err) < 0 ||
	    (tp != NULL && unknown_fields(db, tp, k.id, err) < 0) ||
	    crm_out_header(out, names, types, n, err) < 0)
		goto done;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		rc = -1;
		if (!crm_db_col_isnull(st, COL_REASON)) {
			es->skipped++;
			continue;
		}
		for (i = 0; cols[i] >= 0; i++)
			vals[i] = crm_db_col_text(st, cols[i]);
		/* Each address once: the target with the lowest id. */
		if ((seen = address_seen(&addr, st, cols, err)) != 0) {
			if (seen < 0)
				goto done;
			es->duplicates++;
			continue;
		}
		if (tp != NULL) {
			if (render(tp, st, name, &k, &msg, &es->missing,
			    err) < 0)
				goto done;
			vals[i] = crm_buf_str(&msg);
		}
		if (crm_out_row(out, vals, err) < 0)
			goto done;
		es->rows++;
	}
done:
	crm_db_finalize(st);
	crm_buf_release(&msg);
	for (i = 0; i < addr.cap; i++)
		free(addr.s[i]);
	free(addr.s);
	return rc;
}

/* Send. */

static const char sql_send_insert[] =
    "INSERT INTO interactions (contact_id, at, channel, kind, direction,"
    " campaign, ref, chash, source, created_at, updated_at)"
    " SELECT m.contact_id, ?3, ?1, 'campaign', 'out', ?4,"
    "   'campaign:' || ?4 || ':' || m.contact_id,"
    "   crm_campaign_chash('campaign:' || ?4 || ':' || m.contact_id),"
    "   'crm-campaign', ?3, ?3"
    " FROM campaign_members m JOIN contacts c ON c.id = m.contact_id"
    " WHERE m.campaign_id = ?2 AND m.grp = 'target' AND m.sent_at IS NULL"
    " AND CASE" SQL_REASON_CONTACT " END IS NULL"
    " ORDER BY m.contact_id"
    " ON CONFLICT DO NOTHING";

static const char sql_send_mark[] =
    "UPDATE campaign_members SET sent_at = ?3"
    " WHERE campaign_id = ?2 AND grp = 'target' AND sent_at IS NULL"
    " AND EXISTS (SELECT 1 FROM interactions i"
    "   WHERE i.ref = 'campaign:' || ?4 || ':' || campaign_members.contact_id)";

static const char sql_send_counts[] =
    "SELECT count(sent_at), count(*) - count(sent_at) FROM campaign_members"
    " WHERE campaign_id = ?1 AND grp = 'target'";

static int
sent_counts(struct crm_db *db, int64_t cid, int64_t *sent, int64_t *unsent,
    struct crm_error *err)
{
	struct crm_stmt *st;

	if ((st = crm_db_stmt(db, sql_send_counts, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, cid, err) < 0 ||
	    crm_db_step(db, st, err) != 1)
		return -1;
	*sent = crm_db_col_int(st, 0);
	*unsent = crm_db_col_int(st, 1);
	crm_db_reset(st);
	return 0;
}

int
crm_campaign_send(struct crm_db *db, const char *name, int64_t now,
    struct crm_campaign_send_stats *ss, struct crm_error *err)
{
	struct crm_stmt *st;
	struct camp k;
	int64_t after, unsent;

	memset(ss, 0, sizeof(*ss));
	if (register_functions(db, err) < 0 || must_find(db, name, &k, err) < 0)
		return -1;
	if (strcmp(k.state, "closed") == 0)
		return crm_error_set(err, CRM_EFAIL, "campaign '%s' is closed",
		    name);
	if (sent_counts(db, k.id, &ss->already, &unsent, err) < 0 ||
	    (st = crm_db_stmt(db, sql_send_insert, err)) == NULL ||
	    crm_db_bind_text(db, st, 1, k.channel, err) < 0 ||
	    crm_db_bind_int(db, st, 2, k.id, err) < 0 ||
	    crm_db_bind_int(db, st, 3, now, err) < 0 ||
	    crm_db_bind_text(db, st, 4, name, err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    (st = crm_db_stmt(db, sql_send_mark, err)) == NULL ||
	    crm_db_bind_int(db, st, 2, k.id, err) < 0 ||
	    crm_db_bind_int(db, st, 3, now, err) < 0 ||
	    crm_db_bind_text(db, st, 4, name, err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    sent_counts(db, k.id, &after, &ss->skipped, err) < 0)
		return -1;
	ss->sent = after - ss->already;
	if ((st = crm_db_stmt(db, "UPDATE campaigns SET state = 'sent',"
	    " sent_at = coalesce(sent_at, ?2) WHERE id = ?1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, k.id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, now, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	return 0;
}

int
crm_campaign_close(struct crm_db *db, const char *name, const char **was,
    struct crm_error *err)
{
	static const char *const states[] = { "draft", "sent", "closed" };
	struct crm_stmt *st;
	struct camp k;
	size_t i;

	if (must_find(db, name, &k, err) < 0)
		return -1;
	*was = states[2];
	for (i = 0; i < 3; i++)
		if (strcmp(k.state, states[i]) == 0)
			*was = states[i];
	if ((st = crm_db_stmt(db, "UPDATE campaigns SET state = 'closed'"
	    " WHERE id = ?1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, k.id, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	return 0;
}

/* Report. */

/* ?1 campaign, ?2 kind, [?3, ?4) the window.  A merged-away member's
 * responses may have moved to its survivor: both count. */
#define SQL_RESPONSES(what) \
	"(SELECT " what " FROM interactions i" \
	" WHERE i.contact_id IN (m.contact_id, c.merged_into)" \
	" AND i.kind = ?2 AND i.at >= ?3 AND i.at < ?4)"

static const char sql_report[] =
    "SELECT grp, count(*), count(sent_at), sum(n > 0), total(amount) FROM"
    " (SELECT m.grp, m.sent_at, " SQL_RESPONSES("count(*)") " AS n, "
    SQL_RESPONSES("total(i.amount)") " AS amount"
    "  FROM campaign_members m JOIN contacts c ON c.id = m.contact_id"
    "  WHERE m.campaign_id = ?1 AND m.grp <> 'suppressed')"
    " GROUP BY grp";

enum { R_GROUP, R_REASON, R_CONTACTS, R_SENT, R_RESPONDERS, R_RATE,
    R_REVENUE, R_RPC, R_UPLIFT, R_RELATIVE, R_CI_LOW, R_CI_HIGH, R_Z,
    R_P, R_INTERVAL, R_TEST, NR };

int
crm_campaign_measure(struct crm_db *db, const char *name,
    int64_t window_days, const char *kind, struct crm_campaign_result *res,
    struct crm_error *err)
{
	struct crm_campaign_counts c;
	struct crm_campaign_group *g;
	struct crm_stmt *st;
	struct camp k;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&c, 0, sizeof(c));
	if (must_find(db, name, &k, err) < 0)
		return -1;
	if (k.sent_at == 0)
		return crm_error_set(err, CRM_EFAIL, "campaign '%s' has not"
		    " been sent: nothing to measure yet (crm-campaign send %s)",
		    name, name);
	res->sent_at = k.sent_at;
	res->window_end = k.sent_at + window_days * 86400;
	if ((st = crm_db_stmt(db, sql_report, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, k.id, err) < 0 ||
	    crm_db_bind_text(db, st, 2, kind, err) < 0 ||
	    crm_db_bind_int(db, st, 3, res->sent_at, err) < 0 ||
	    crm_db_bind_int(db, st, 4, res->window_end, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		g = strcmp(crm_db_col_text(st, 0), "target") == 0 ?
		    &res->target : &res->control;
		g->contacts = crm_db_col_int(st, 1);
		g->sent = crm_db_col_int(st, 2);
		g->responders = crm_db_col_int(st, 3);
		g->revenue = crm_db_col_double(st, 4);
	}
	if (rc < 0 || count_members(db, k.id, &c, err) < 0)
		return -1;
	memcpy(res->suppressed, c.reason, sizeof(res->suppressed));
	res->tested = res->target.contacts > 0 && res->control.contacts > 0;
	if (res->tested && crm_stats_prop_test(
	    (unsigned long)res->target.responders,
	    (unsigned long)res->target.contacts,
	    (unsigned long)res->control.responders,
	    (unsigned long)res->control.contacts, 0.95, &res->test, err) < 0)
		return -1;
	return 0;
}

static int
report_group(struct crm_out *out, const char *name,
    const struct crm_campaign_group *g, const struct crm_stats_prop_test *t,
    struct crm_error *err)
{
	char b[NR][CRM_NUM_MAX];
	const char *v[NR];
	int i;

	for (i = 0; i < NR; i++)
		v[i] = NULL;
	v[R_GROUP] = name;
	v[R_CONTACTS] = crm_num_int(b[R_CONTACTS], g->contacts);
	v[R_SENT] = crm_num_int(b[R_SENT], g->sent);
	v[R_RESPONDERS] = crm_num_int(b[R_RESPONDERS], g->responders);
	v[R_REVENUE] = crm_num_fixed(b[R_REVENUE], 2, g->revenue);
	if (g->contacts > 0) {
		v[R_RATE] = crm_num_g6(b[R_RATE], (double)g->responders /
		    (double)g->contacts);
		v[R_RPC] = crm_num_fixed(b[R_RPC], 2, g->revenue /
		    (double)g->contacts);
	}
	if (t != NULL) {
		v[R_UPLIFT] = crm_num_g6(b[R_UPLIFT], t->diff);
		if (t->p2 > 0)
			v[R_RELATIVE] = crm_num_g6(b[R_RELATIVE],
			    t->diff / t->p2);
		v[R_CI_LOW] = crm_num_g6(b[R_CI_LOW], t->ci_low);
		v[R_CI_HIGH] = crm_num_g6(b[R_CI_HIGH], t->ci_high);
		v[R_Z] = crm_num_g6(b[R_Z], t->z);
		v[R_P] = crm_num_g6(b[R_P], t->p_value);
		v[R_INTERVAL] = t->interval;
		v[R_TEST] = t->test;
	}
	return crm_out_row(out, v, err);
}

int
crm_campaign_report_write(struct crm_out *out,
    const struct crm_campaign_result *res, struct crm_error *err)
{
	static const char *const names[NR] = { "group", "reason", "contacts",
	    "sent", "responders", "response_rate", "revenue",
	    "revenue_per_contact", "uplift", "uplift_relative", "ci_low",
	    "ci_high", "z", "p_value", "interval", "test" };
	enum crm_coltype types[NR];
	const char *v[NR];
	char b[CRM_NUM_MAX];
	int i;

	for (i = 0; i < NR; i++)
		types[i] = i < R_CONTACTS || i >= R_INTERVAL ? CRM_COL_TEXT :
		    CRM_COL_NUM;
	if (crm_out_header(out, names, types, NR, err) < 0 ||
	    report_group(out, "target", &res->target, res->tested ?
	    &res->test : NULL, err) < 0 ||
	    report_group(out, "control", &res->control, NULL, err) < 0)
		return -1;
	for (i = 0; i < CRM_CAMPAIGN_NREASONS; i++) {
		memset(v, 0, sizeof(v));
		v[R_GROUP] = "suppressed";
		v[R_REASON] = crm_campaign_reasons[i];
		v[R_CONTACTS] = crm_num_int(b, res->suppressed[i]);
		if (crm_out_row(out, v, err) < 0)
			return -1;
	}
	return 0;
}

/* List. */

static const char sql_list[] =
    "SELECT k.name, k.channel, k.purpose, k.state, k.holdout, k.segment,"
    " k.created_at, k.sent_at,"
    " (SELECT count(*) FROM campaign_members m WHERE m.campaign_id = k.id"
    "   AND m.grp = 'target'),"
    " (SELECT count(*) FROM campaign_members m WHERE m.campaign_id = k.id"
    "   AND m.grp = 'control'),"
    " (SELECT count(*) FROM campaign_members m WHERE m.campaign_id = k.id"
    "   AND m.grp = 'suppressed'),"
    " (SELECT count(m.sent_at) FROM campaign_members m"
    "   WHERE m.campaign_id = k.id AND m.grp = 'target')"
    " FROM campaigns k ORDER BY k.created_at, k.name";

int
crm_campaign_list(struct crm_db *db, struct crm_out *out,
    struct crm_error *err)
{
	static const char *const names[] = { "name", "channel", "purpose",
	    "state", "holdout", "segment", "created_at", "sent_at", "target",
	    "control", "suppressed", "sent" };
	enum crm_coltype types[12];
	char times[2][21], hold[CRM_NUM_MAX];
	const char *v[12];
	struct crm_stmt *st;
	int rc, i;

	for (i = 0; i < 12; i++)
		types[i] = i == 4 || i >= 8 ? CRM_COL_NUM : CRM_COL_TEXT;
	if (crm_out_header(out, names, types, 12, err) < 0 ||
	    (st = crm_db_stmt(db, sql_list, err)) == NULL)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		for (i = 0; i < 12; i++)
			v[i] = crm_db_col_text(st, i);
		v[4] = crm_num_g6(hold, crm_db_col_double(st, 4));
		for (i = 6; i <= 7; i++)
			if (v[i] != NULL) {
				crm_format_time(crm_db_col_int(st, i),
				    times[i - 6]);
				v[i] = times[i - 6];
			}
		if (crm_out_row(out, v, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	return rc;
}
