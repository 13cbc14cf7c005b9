/*
 * campaign.c - campaigns: channel and purpose words, the hash that draws
 * control groups, send, close, the list (the measure of response is in
 * campaign-measure.c).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "campaign.h"
#include "campaign-int.h"
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
crm_campaign_set_channel(struct crm_campaign_opts *o, const char *s,
    struct crm_error *err)
{
	if ((o->channel = crm_campaign_channel(s)) == NULL)
		return crm_error_set(err, CRM_EUSAGE, "--channel: '%s' is not"
		    " email, sms, phone or mail", s);
	return 0;
}

int
crm_campaign_set_purpose(struct crm_campaign_opts *o, const char *s,
    struct crm_error *err)
{
	if ((o->purpose = crm_campaign_purpose(s)) == NULL)
		return crm_error_set(err, CRM_EUSAGE, "--purpose: '%s' is not"
		    " cross-sell, up-sell, retention or acquisition", s);
	return 0;
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

int
crm_campaign_check_kind(const char *kind, struct crm_error *err)
{
	size_t i;

	for (i = 0; kind[i] != '\0'; i++)
		if (!islower((unsigned char)kind[i]) &&
		    !isdigit((unsigned char)kind[i]) && kind[i] != '_' &&
		    kind[i] != '-')
			break;
	if (i == 0 || kind[i] != '\0')
		return crm_error_set(err, CRM_EUSAGE, "--kind: '%s' is not a"
		    " kind such as purchase", kind);
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

int
campaign_register_functions(struct crm_db *db, struct crm_error *err)
{
	/* PostgreSQL has them in PL/pgSQL (crm_pg_functions_ops). */
	if (crm_db_is_pg(db))
		return 0;
	if (crm_db_function(db, "crm_campaign_u", 2, sql_u, err) < 0 ||
	    crm_db_function(db, "crm_campaign_chash", 1, sql_chash, err) < 0)
		return -1;
	return 0;
}

static const char sql_find[] = "SELECT id, channel, state, purpose,"
    " created_at, sent_at FROM campaigns WHERE name = ?1";

/* Look campaign name up: 1 found, 0 not (k->id 0), -1 error. */
int
campaign_find(struct crm_db *db, const char *name, struct camp *k,
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

int
campaign_must_find(struct crm_db *db, const char *name, struct camp *k,
    struct crm_error *err)
{
	int rc = campaign_find(db, name, k, err);

	if (rc == 0)
		return crm_error_set(err, CRM_EUSAGE, "no campaign '%s'"
		    " (crm-campaign list shows them)", name);
	return rc < 0 ? -1 : 0;
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
	if (campaign_register_functions(db, err) < 0 || campaign_must_find(db, name, &k, err) < 0)
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

	if (campaign_must_find(db, name, &k, err) < 0)
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
