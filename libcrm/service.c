#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bizcal.h"
#include "buf.h"
#include "interaction.h"
#include "norm.h"
#include "resolve.h"
#include "service.h"

const char crm_service_schema[] =
	"CREATE TABLE tickets ("
	"  id INTEGER PRIMARY KEY,"
	"  ref TEXT NOT NULL UNIQUE,"
	"  contact_id INTEGER REFERENCES contacts(id),"
	"  subject TEXT,"
	"  channel TEXT,"
	"  priority TEXT NOT NULL DEFAULT 'normal'"
	"    CHECK (priority = 'low' OR priority = 'normal'"
	"      OR priority = 'high' OR priority = 'urgent'),"
	"  status TEXT NOT NULL CHECK (status = 'new' OR status = 'open'"
	"    OR status = 'pending' OR status = 'hold' OR status = 'solved'"
	"    OR status = 'closed'),"
	"  assignee TEXT,"
	"  team TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  first_response_at INTEGER,"
	"  solved_at INTEGER,"
	"  updated_at INTEGER NOT NULL,"
	"  reopens INTEGER NOT NULL DEFAULT 0,"
	"  handoffs INTEGER NOT NULL DEFAULT 0,"
	"  satisfaction INTEGER"
	"    CHECK (satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5)"
	");"
	"CREATE INDEX tickets_contact ON tickets(contact_id)"
	"  WHERE contact_id IS NOT NULL;"
	"CREATE TABLE ticket_events ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,"
	"  at INTEGER NOT NULL,"
	"  field TEXT NOT NULL CHECK (field = 'status' OR field = 'priority'"
	"    OR field = 'assignee' OR field = 'team'),"
	"  old TEXT,"
	"  new TEXT,"
	"  by TEXT,"
	"  reason TEXT"
	");"
	"CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, at);"
	/* The report's scan, in order, with no look-up of the rows. */
	"CREATE INDEX ticket_events_status ON ticket_events(ticket_id, at, id,"
	"  new) WHERE field = 'status';"
	"CREATE TABLE service_policy ("
	"  priority TEXT NOT NULL,"
	"  channel TEXT NOT NULL DEFAULT '',"
	"  first_response INTEGER NOT NULL CHECK (first_response > 0),"
	"  resolution INTEGER NOT NULL CHECK (resolution > 0),"
	"  PRIMARY KEY (priority, channel)"
	");"
	"CREATE TABLE service_calendar ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL"
	");";

enum { ST_NEW, ST_OPEN, ST_PENDING, ST_HOLD, ST_SOLVED, ST_CLOSED };

static const char *const status_names[] = {
	"new", "open", "pending", "hold", "solved", "closed"
};

/* Help-desk words for a status (Zendesk, Freshdesk, Help Scout, ...). */
static int
status_parse(const char *s)
{
	static const struct { const char *from; int to; } map[] = {
		{ "new", ST_NEW }, { "open", ST_OPEN }, { "active", ST_OPEN },
		{ "pending", ST_PENDING }, { "waiting on customer", ST_PENDING },
		{ "hold", ST_HOLD }, { "on-hold", ST_HOLD },
		{ "on hold", ST_HOLD }, { "on_hold", ST_HOLD },
		{ "waiting on third party", ST_HOLD },
		{ "solved", ST_SOLVED }, { "resolved", ST_SOLVED },
		{ "closed", ST_CLOSED },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(s, map[i].from) == 0)
			return map[i].to;
	return -1;
}

static int
status_index(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < 6; i++)
		if (strcmp(s, status_names[i]) == 0)
			return i;
	return -1;
}

#define IS_DONE(st)	((st) == ST_SOLVED || (st) == ST_CLOSED)
#define RUNS(st)	((st) == ST_NEW || (st) == ST_OPEN)

static const char *
priority_parse(const char *s)
{
	if (strcasecmp(s, "low") == 0)
		return "low";
	if (strcasecmp(s, "normal") == 0 || strcasecmp(s, "medium") == 0)
		return "normal";
	if (strcasecmp(s, "high") == 0)
		return "high";
	if (strcasecmp(s, "urgent") == 0 || strcasecmp(s, "critical") == 0)
		return "urgent";
	return NULL;
}

/*
 * A ticket's channel: crm's own channel names, and help-desk "via" values
 * (Zendesk: Web form, Web Widget, API, Voicemail, ...); fax and api are
 * kept as they are, being where service tickets come from.
 */
static const char *
channel_parse(const char *s)
{
	static const struct { const char *word; const char *to; } map[] = {
		{ "widget", "chat" }, { "messaging", "chat" },
		{ "whatsapp", "chat" }, { "mail", "email" },
		{ "voice", "phone" }, { "call", "phone" },
		{ "phone", "phone" }, { "fax", "fax" }, { "api", "api" },
		{ "sms", "sms" }, { "text", "sms" }, { "chat", "chat" },
		{ "facebook", "social" }, { "twitter", "social" },
		{ "instagram", "social" }, { "form", "web" }, { "web", "web" },
	};
	const char *c;
	char low[64];
	size_t i;

	if ((c = crm_log_channel(s)) != NULL)
		return c;
	for (i = 0; s[i] != '\0' && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	low[i] = '\0';
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strstr(low, map[i].word) != NULL)
			return map[i].to;
	return "other";
}

/* The import. */

enum {
	C_REF, C_EXT, C_EMAIL, C_PHONE, C_CONTACT, C_SUBJECT, C_CHANNEL,
	C_PRIORITY, C_STATUS, C_ASSIGNEE, C_TEAM, C_AT, C_CREATED, C_FIRST,
	C_SOLVED, C_CSAT, C_BY, C_REASON, NCOLS
};

static const struct crm_csv_col cols[NCOLS] = {
	{ "ref", "id|ticket_id|ticket|ticket_number" },
	{ "external_id", "requester_external_id|customer_id" },
	{ "email", "requester_email|requester|e_mail" },
	{ "phone", "requester_phone" },
	{ "contact", NULL },
	{ "subject", "title|summary" },
	{ "channel", "via|source" },
	{ "priority", NULL },
	{ "status", "state" },
	{ "assignee", "agent|owner" },
	{ "team", "group|department" },
	{ "at", "updated_at|updated|changed_at|time" },
	{ "created_at", "created|opened_at" },
	{ "first_response_at", "first_reply_at|first_response" },
	{ "solved_at", "resolved_at|closed_at" },
	{ "satisfaction", "satisfaction_score|csat|rating" },
	{ "by", "changed_by|actor|author" },
	{ "handoff_reason", "transfer_reason" },
};

struct crm_ticketer {
	struct crm_db *db;
	const char *region;
	struct crm_csv *r;
	int idx[NCOLS];
	int64_t now;
	struct crm_service_stats st;
};

struct crm_ticketer *
crm_ticketer_new(struct crm_db *db, const char *region, struct crm_error *err)
{
	struct crm_ticketer *t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	t->db = db;
	t->region = region;
	t->now = crm_now();
	return t;
}

void
crm_ticketer_free(struct crm_ticketer *t)
{
	free(t);
}

const struct crm_service_stats *
crm_ticketer_stats(const struct crm_ticketer *t)
{
	return &t->st;
}

int
crm_ticketer_header(struct crm_ticketer *t, struct crm_csv *r,
    struct crm_error *err)
{
	if (crm_csv_header(r, cols, NCOLS, t->idx, err) < 0)
		return -1;
	if (t->idx[C_REF] < 0)
		return crm_error_set(err, CRM_EDATA, "%s: no ref (ticket id)"
		    " column", crm_csv_name(r));
	t->r = r;
	return 0;
}

/* Field c of the current record, NULL when the column is missing or the
 * value empty. */
static const char *
fld(struct crm_ticketer *t, int c)
{
	const char *s;

	if (t->idx[c] < 0)
		return NULL;
	s = crm_csv_field(t->r, t->idx[c]);
	return *s == '\0' ? NULL : s;
}

static int
rowerr(struct crm_ticketer *t, struct crm_error *err, const char *what,
    const char *val)
{
	char q[CRM_QUOTE_MAX];

	return crm_error_set(err, CRM_EDATA, "%s:%ld: %s '%s'",
	    crm_csv_name(t->r), crm_csv_line(t->r), what,
	    crm_quote(q, val, strlen(val)));
}

static int
time_field(struct crm_ticketer *t, int c, int64_t *out, struct crm_error *err)
{
	const char *s = fld(t, c);
	struct crm_error e;

	*out = 0;
	if (s == NULL)
		return 0;
	if (crm_norm_datetime(s, out, &e) < 0)
		return rowerr(t, err, "invalid time", s);
	return 1;
}

static int
contact_of(struct crm_ticketer *t, int64_t *id, struct crm_error *err)
{
	static const int keys[] = { C_CONTACT, C_EXT, C_EMAIL, C_PHONE };
	const char *k;
	struct crm_error e;
	size_t i;

	*id = 0;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if ((k = fld(t, keys[i])) == NULL)
			continue;
		if (crm_contact_resolve(t->db, k, t->region, id, &e) == 0)
			return 0;
		if (e.code != CRM_EDATA) {
			*err = e;
			return -1;
		}
		return rowerr(t, err, e.msg, k);
	}
	return 0;
}

static int
add_event(struct crm_ticketer *t, int64_t ticket, int64_t at,
    const char *field, const char *old, const char *new, struct crm_error *err)
{
	struct crm_stmt *st;

	if ((st = crm_db_stmt(t->db, "INSERT INTO ticket_events (ticket_id,"
	    " at, field, old, new, by, reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
	    err)) == NULL ||
	    crm_db_bind_int(t->db, st, 1, ticket, err) < 0 ||
	    crm_db_bind_int(t->db, st, 2, at, err) < 0 ||
	    crm_db_bind_text(t->db, st, 3, field, err) < 0 ||
	    crm_db_bind_text(t->db, st, 4, old, err) < 0 ||
	    crm_db_bind_text(t->db, st, 5, new, err) < 0 ||
	    crm_db_bind_text(t->db, st, 6, fld(t, C_BY), err) < 0 ||
	    crm_db_bind_text(t->db, st, 7, fld(t, C_REASON), err) < 0 ||
	    crm_db_step(t->db, st, err) < 0)
		return -1;
	t->st.events++;
	return 0;
}

/* The record's values, checked. */
struct rec {
	const char *ref, *status, *priority, *channel, *assignee, *team;
	int64_t at, created, first, solved;
	int has_at, has_created, has_first, has_solved, csat;
};

static int
read_rec(struct crm_ticketer *t, struct rec *x, struct crm_error *err)
{
	const char *s;
	int i;

	memset(x, 0, sizeof(*x));
	if ((x->ref = fld(t, C_REF)) == NULL)
		return rowerr(t, err, "empty ref", "");
	if ((s = fld(t, C_STATUS)) != NULL) {
		if ((i = status_parse(s)) < 0)
			return rowerr(t, err, "unknown status (new, open,"
			    " pending, hold, solved, closed)", s);
		x->status = status_names[i];
	}
	if ((s = fld(t, C_PRIORITY)) != NULL &&
	    (x->priority = priority_parse(s)) == NULL)
		return rowerr(t, err, "unknown priority (low, normal, high,"
		    " urgent)", s);
	if ((s = fld(t, C_CHANNEL)) != NULL)
		x->channel = channel_parse(s);
	x->assignee = fld(t, C_ASSIGNEE);
	x->team = fld(t, C_TEAM);
	if ((x->has_at = time_field(t, C_AT, &x->at, err)) < 0 ||
	    (x->has_created = time_field(t, C_CREATED, &x->created, err)) < 0 ||
	    (x->has_first = time_field(t, C_FIRST, &x->first, err)) < 0 ||
	    (x->has_solved = time_field(t, C_SOLVED, &x->solved, err)) < 0)
		return -1;
	if ((s = fld(t, C_CSAT)) != NULL) {
		if (strcasecmp(s, "good") == 0 ||
		    strncasecmp(s, "good,", 5) == 0)
			x->csat = 5;
		else if (strcasecmp(s, "bad") == 0 ||
		    strncasecmp(s, "bad,", 4) == 0)
			x->csat = 1;
		else if (strcasecmp(s, "offered") == 0 ||
		    strcasecmp(s, "unoffered") == 0)
			x->csat = 0;
		else if (s[0] >= '1' && s[0] <= '5' && s[1] == '\0')
			x->csat = s[0] - '0';
		else
			return rowerr(t, err, "satisfaction is 1-5, good or"
			    " bad", s);
	}
	if (!x->has_at)
		x->at = x->has_created ? x->created : t->now;
	if (!x->has_created)
		x->created = x->at;
	return 0;
}

static int
insert_ticket(struct crm_ticketer *t, const struct rec *x,
    struct crm_error *err)
{
	struct crm_stmt *st;
	const char *status = x->status ? x->status : "new";
	int s = status_index(status);
	int64_t contact, id, solved = 0, first = 0;

	if (contact_of(t, &contact, err) < 0)
		return -1;
	if (x->has_solved && IS_DONE(s))
		solved = x->solved;
	else if (IS_DONE(s))
		solved = x->at;
	if (x->has_first)
		first = x->first;
	if ((st = crm_db_stmt(t->db, "INSERT INTO tickets (ref, contact_id,"
	    " subject, channel, priority, status, assignee, team, created_at,"
	    " first_response_at, solved_at, updated_at, satisfaction) VALUES"
	    " (?, ?, ?, ?, coalesce(?, 'normal'), ?, ?, ?, ?, ?, ?, ?, ?)",
	    err)) == NULL ||
	    crm_db_bind_text(t->db, st, 1, x->ref, err) < 0 ||
	    (contact ? crm_db_bind_int(t->db, st, 2, contact, err) :
	    crm_db_bind_null(t->db, st, 2, err)) < 0 ||
	    crm_db_bind_text(t->db, st, 3, fld(t, C_SUBJECT), err) < 0 ||
	    crm_db_bind_text(t->db, st, 4, x->channel, err) < 0 ||
	    crm_db_bind_text(t->db, st, 5, x->priority, err) < 0 ||
	    crm_db_bind_text(t->db, st, 6, status, err) < 0 ||
	    crm_db_bind_text(t->db, st, 7, x->assignee, err) < 0 ||
	    crm_db_bind_text(t->db, st, 8, x->team, err) < 0 ||
	    crm_db_bind_int(t->db, st, 9, x->created, err) < 0 ||
	    (first ? crm_db_bind_int(t->db, st, 10, first, err) :
	    crm_db_bind_null(t->db, st, 10, err)) < 0 ||
	    (solved ? crm_db_bind_int(t->db, st, 11, solved, err) :
	    crm_db_bind_null(t->db, st, 11, err)) < 0 ||
	    crm_db_bind_int(t->db, st, 12, x->at, err) < 0 ||
	    (x->csat ? crm_db_bind_int(t->db, st, 13, x->csat, err) :
	    crm_db_bind_null(t->db, st, 13, err)) < 0 ||
	    crm_db_step(t->db, st, err) < 0)
		return -1;
	id = crm_db_last_id(t->db);
	/*
	 * A ticket first seen solved, with its solved time: open from its
	 * creation until then (the export holds no pending periods).
	 */
	if (solved && solved > x->created) {
		if (add_event(t, id, x->created, "status", NULL, "open",
		    err) < 0 || add_event(t, id, solved, "status", "open",
		    status, err) < 0)
			return -1;
	} else if (add_event(t, id, x->created, "status", NULL, status,
	    err) < 0)
		return -1;
	if ((x->assignee != NULL && add_event(t, id, x->created, "assignee",
	    NULL, x->assignee, err) < 0) || (x->team != NULL &&
	    add_event(t, id, x->created, "team", NULL, x->team, err) < 0))
		return -1;
	t->st.inserted++;
	return 0;
}

/* A hand-off in the customer's history, so crm-log show tells it. */
static int
log_handoff(struct crm_ticketer *t, int64_t contact, const char *ticket,
    const char *from, const char *to, int64_t at, struct crm_error *err)
{
	struct crm_log_content c;
	char subj[512], ref[600];

	if (contact == 0)
		return 0;
	snprintf(subj, sizeof(subj), "ticket %s: handed from %s to %s",
	    ticket, from, to);
	snprintf(ref, sizeof(ref), "handoff:ticket:%s:%lld", ticket,
	    (long long)at);
	memset(&c, 0, sizeof(c));
	c.contact = contact;
	c.at = at;
	c.channel = "other";
	c.kind = "handoff";
	c.text[2] = subj;
	c.text[3] = fld(t, C_REASON);
	return crm_log_add(t->db, &c, ref, "crm-ticket", err);
}

static int
differs(const char *a, const char *b)
{
	return b != NULL && (a == NULL || strcmp(a, b) != 0);
}

int
crm_ticketer_row(struct crm_ticketer *t, struct crm_csv *r,
    struct crm_error *err)
{
	struct crm_stmt *st;
	struct rec x;
	char *old[4] = { NULL, NULL, NULL, NULL };
	const char *nw[4];
	static const char *const fields[4] = {
		"status", "priority", "assignee", "team"
	};
	int64_t id, updated, first, solved, reopens, handoffs, contact;
	int rc, i, changed = 0, os, ns, has_first, has_solved;

	t->r = r;
	t->st.read++;
	if (read_rec(t, &x, err) < 0)
		return -1;
	if ((st = crm_db_stmt(t->db, "SELECT id, status, priority, assignee,"
	    " team, updated_at, first_response_at, solved_at, reopens,"
	    " handoffs, contact_id FROM tickets WHERE ref = ?", err)) == NULL ||
	    crm_db_bind_text(t->db, st, 1, x.ref, err) < 0 ||
	    (rc = crm_db_step(t->db, st, err)) < 0)
		return -1;
	if (rc == 0)
		return insert_ticket(t, &x, err);
	id = crm_db_col_int(st, 0);
	updated = crm_db_col_int(st, 5);
	has_first = !crm_db_col_isnull(st, 6);
	first = crm_db_col_int(st, 6);
	has_solved = !crm_db_col_isnull(st, 7);
	solved = crm_db_col_int(st, 7);
	reopens = crm_db_col_int(st, 8);
	handoffs = crm_db_col_int(st, 9);
	contact = crm_db_col_int(st, 10);
	for (i = 0; i < 4; i++) {
		const char *v = crm_db_col_text(st, i + 1);

		if (v != NULL && (old[i] = strdup(v)) == NULL) {
			crm_db_reset(st);
			rc = crm_error_set(err, CRM_EFAIL, "out of memory");
			goto done;
		}
	}
	crm_db_reset(st);
	rc = 0;
	if (x.at <= updated) {
		/* What is stored is as new: an old state, or a re-run. */
		t->st.unchanged++;
		goto done;
	}
	nw[0] = x.status;
	nw[1] = x.priority;
	nw[2] = x.assignee;
	nw[3] = x.team;
	os = status_index(old[0]);
	ns = x.status ? status_index(x.status) : os;
	for (i = 0; i < 4; i++) {
		if (!differs(old[i], nw[i]))
			continue;
		if ((rc = add_event(t, id, x.at, fields[i], old[i], nw[i],
		    err)) < 0)
			goto done;
		changed = 1;
	}
	if (ns != os) {
		if (os == ST_NEW && !has_first) {
			first = x.at;
			has_first = 1;
		}
		if (IS_DONE(ns) && !IS_DONE(os)) {
			solved = x.at;
			has_solved = 1;
		}
		if (IS_DONE(os) && !IS_DONE(ns)) {
			reopens++;
			t->st.reopens++;
			has_solved = 0;
		}
	}
	if (old[3] != NULL && differs(old[3], x.team)) {
		handoffs++;
		t->st.handoffs++;
		if ((rc = log_handoff(t, contact, x.ref, old[3], x.team,
		    x.at, err)) < 0)
			goto done;
	}
	if (x.has_first) {
		first = x.first;
		has_first = 1;
	}
	if (x.has_solved && IS_DONE(ns)) {
		solved = x.solved;
		has_solved = 1;
	}
	if ((st = crm_db_stmt(t->db, "UPDATE tickets SET status = ?2,"
	    " priority = ?3, assignee = ?4, team = ?5, updated_at = ?6,"
	    " first_response_at = ?7, solved_at = ?8, reopens = ?9,"
	    " handoffs = ?10, satisfaction = coalesce(?11, satisfaction),"
	    " subject = coalesce(?12, subject),"
	    " channel = coalesce(?13, channel) WHERE id = ?1", err)) == NULL ||
	    crm_db_bind_int(t->db, st, 1, id, err) < 0 ||
	    crm_db_bind_text(t->db, st, 2, status_names[ns], err) < 0 ||
	    crm_db_bind_text(t->db, st, 3, x.priority ? x.priority : old[1],
	    err) < 0 ||
	    crm_db_bind_text(t->db, st, 4, x.assignee ? x.assignee : old[2],
	    err) < 0 ||
	    crm_db_bind_text(t->db, st, 5, x.team ? x.team : old[3], err) < 0 ||
	    crm_db_bind_int(t->db, st, 6, x.at, err) < 0 ||
	    (has_first ? crm_db_bind_int(t->db, st, 7, first, err) :
	    crm_db_bind_null(t->db, st, 7, err)) < 0 ||
	    (has_solved ? crm_db_bind_int(t->db, st, 8, solved, err) :
	    crm_db_bind_null(t->db, st, 8, err)) < 0 ||
	    crm_db_bind_int(t->db, st, 9, reopens, err) < 0 ||
	    crm_db_bind_int(t->db, st, 10, handoffs, err) < 0 ||
	    (x.csat ? crm_db_bind_int(t->db, st, 11, x.csat, err) :
	    crm_db_bind_null(t->db, st, 11, err)) < 0 ||
	    crm_db_bind_text(t->db, st, 12, fld(t, C_SUBJECT), err) < 0 ||
	    crm_db_bind_text(t->db, st, 13, x.channel, err) < 0 ||
	    (rc = crm_db_step(t->db, st, err)) < 0)
		goto done;
	rc = 0;
	if (changed)
		t->st.changed++;
	else
		t->st.unchanged++;
done:
	for (i = 0; i < 4; i++)
		free(old[i]);
	return rc;
}

/* The policy. */

static const struct { const char *priority; int64_t first, res; } defaults[] = {
	{ "urgent", 3600, 4 * 3600 },
	{ "high", 4 * 3600, 24 * 3600 },
	{ "normal", 8 * 3600, 72 * 3600 },
	{ "low", 24 * 3600, 120 * 3600 },
};

static int
set_setting(struct crm_db *db, const char *key, const char *value,
    struct crm_error *err)
{
	struct crm_stmt *st;

	if ((st = crm_db_stmt(db, "INSERT INTO service_calendar (key, value)"
	    " VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET"
	    " value = excluded.value", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, key, err) < 0 ||
	    crm_db_bind_text(db, st, 2, value, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	return 0;
}

int
crm_service_set_hours(struct crm_db *db, const char *hours, const char *zone,
    struct crm_error *err)
{
	struct crm_bizcal *c;
	int rc = -1;

	/* Checked before they are stored. */
	if ((c = crm_bizcal_new(err)) == NULL)
		return -1;
	if ((hours != NULL && crm_bizcal_hours(c, hours, err) < 0) ||
	    (zone != NULL && crm_bizcal_zone(c, zone, err) < 0))
		goto done;
	if ((hours != NULL && set_setting(db, "hours", hours, err) < 0) ||
	    (zone != NULL && set_setting(db, "zone", zone, err) < 0))
		goto done;
	rc = 0;
done:
	crm_bizcal_free(c);
	return rc;
}

int
crm_service_add_holiday(struct crm_db *db, const char *date,
    const char *name, struct crm_error *err)
{
	char d[11], key[20];

	if (crm_norm_date(date, d, err) < 0)
		return crm_error_prefix(err, "holiday");
	snprintf(key, sizeof(key), "holiday %s", d);
	return set_setting(db, key, name != NULL && *name != '\0' ? name :
	    "holiday", err);
}

int
crm_service_set_target(struct crm_db *db, const char *spec,
    struct crm_error *err)
{
	char pr[32], ch[32], a[32], b[32];
	const char *eq, *comma, *slash, *p, *c = "";
	struct crm_stmt *st;
	int64_t first, res;
	size_t n;

	if ((eq = strchr(spec, '=')) == NULL ||
	    (comma = strchr(eq, ',')) == NULL)
		goto bad;
	slash = memchr(spec, '/', (size_t)(eq - spec));
	n = (size_t)((slash ? slash : eq) - spec);
	if (n == 0 || n >= sizeof(pr))
		goto bad;
	memcpy(pr, spec, n);
	pr[n] = '\0';
	if ((p = priority_parse(pr)) == NULL)
		return crm_error_set(err, CRM_EUSAGE, "target '%s': unknown"
		    " priority '%s' (low, normal, high, urgent)", spec, pr);
	if (slash != NULL) {
		n = (size_t)(eq - slash - 1);
		if (n == 0 || n >= sizeof(ch))
			goto bad;
		memcpy(ch, slash + 1, n);
		ch[n] = '\0';
		c = channel_parse(ch);
	}
	n = (size_t)(comma - eq - 1);
	if (n == 0 || n >= sizeof(a) || strlen(comma + 1) >= sizeof(b))
		goto bad;
	memcpy(a, eq + 1, n);
	a[n] = '\0';
	snprintf(b, sizeof(b), "%s", comma + 1);
	if (crm_bizcal_duration(a, &first, err) < 0 ||
	    crm_bizcal_duration(b, &res, err) < 0)
		return crm_error_prefix(err, "target '%s'", spec);
	if (first <= 0 || res <= 0)
		goto bad;
	if ((st = crm_db_stmt(db, "INSERT INTO service_policy (priority,"
	    " channel, first_response, resolution) VALUES (?, ?, ?, ?)"
	    " ON CONFLICT (priority, channel) DO UPDATE SET"
	    " first_response = excluded.first_response,"
	    " resolution = excluded.resolution", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, p, err) < 0 ||
	    crm_db_bind_text(db, st, 2, c, err) < 0 ||
	    crm_db_bind_int(db, st, 3, first, err) < 0 ||
	    crm_db_bind_int(db, st, 4, res, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	return 0;
bad:
	return crm_error_set(err, CRM_EUSAGE, "target '%s' is not"
	    " PRIORITY[/CHANNEL]=FIRST,RESOLUTION (e.g. urgent=1h,4h)", spec);
}

int
crm_service_change(struct crm_db *db, const struct crm_service_change *c,
    struct crm_error *err)
{
	const char *eq;
	char *date;
	size_t i;
	int rc;

	if ((c->hours != NULL || c->zone != NULL) &&
	    crm_service_set_hours(db, c->hours, c->zone, err) < 0)
		return -1;
	for (i = 0; i < c->nholiday; i++) {
		if ((eq = strchr(c->holiday[i], '=')) == NULL) {
			if (crm_service_add_holiday(db, c->holiday[i], NULL,
			    err) < 0)
				return -1;
			continue;
		}
		if ((date = strndup(c->holiday[i],
		    (size_t)(eq - c->holiday[i]))) == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		rc = crm_service_add_holiday(db, date, eq + 1, err);
		free(date);
		if (rc < 0)
			return -1;
	}
	for (i = 0; i < c->ntarget; i++)
		if (crm_service_set_target(db, c->target[i], err) < 0)
			return -1;
	return 0;
}

struct target {
	char priority[8], channel[16];
	int64_t first, res;
};

struct policy {
	struct crm_bizcal *cal;
	struct target *t;
	size_t n;
};

static void
policy_free(struct policy *p)
{
	crm_bizcal_free(p->cal);
	free(p->t);
}

static int
policy_load(struct crm_db *db, struct policy *p, struct crm_error *err)
{
	struct crm_stmt *st;
	struct target *nt;
	size_t i;
	int rc;

	memset(p, 0, sizeof(*p));
	if ((p->cal = crm_bizcal_new(err)) == NULL)
		return -1;
	if ((st = crm_db_stmt(db, "SELECT key, value FROM service_calendar"
	    " ORDER BY key", err)) == NULL)
		goto fail;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		const char *k = crm_db_col_text(st, 0);
		const char *v = crm_db_col_text(st, 1);

		if ((strcmp(k, "hours") == 0 &&
		    crm_bizcal_hours(p->cal, v, err) < 0) ||
		    (strcmp(k, "zone") == 0 &&
		    crm_bizcal_zone(p->cal, v, err) < 0) ||
		    (strncmp(k, "holiday ", 8) == 0 &&
		    crm_bizcal_holiday(p->cal, k + 8, err) < 0)) {
			crm_db_reset(st);
			goto fail;
		}
	}
	if (rc < 0)
		goto fail;
	if ((st = crm_db_stmt(db, "SELECT priority, channel, first_response,"
	    " resolution FROM service_policy", err)) == NULL)
		goto fail;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		if ((nt = reallocarray(p->t, p->n + 1, sizeof(*nt))) == NULL) {
			crm_db_reset(st);
			crm_error_set(err, CRM_EFAIL, "out of memory");
			goto fail;
		}
		p->t = nt;
		snprintf(nt[p->n].priority, sizeof(nt->priority), "%s",
		    crm_db_col_text(st, 0));
		snprintf(nt[p->n].channel, sizeof(nt->channel), "%s",
		    crm_db_col_text(st, 1));
		nt[p->n].first = crm_db_col_int(st, 2);
		nt[p->n].res = crm_db_col_int(st, 3);
		p->n++;
	}
	if (rc < 0)
		goto fail;
	/* The defaults, behind whatever was set. */
	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		if ((nt = reallocarray(p->t, p->n + 1, sizeof(*nt))) == NULL) {
			crm_error_set(err, CRM_EFAIL, "out of memory");
			goto fail;
		}
		p->t = nt;
		snprintf(nt[p->n].priority, sizeof(nt->priority), "%s",
		    defaults[i].priority);
		nt[p->n].channel[0] = '\0';
		nt[p->n].first = defaults[i].first;
		nt[p->n].res = defaults[i].res;
		p->n++;
	}
	return 0;
fail:
	policy_free(p);
	return -1;
}

static const struct target *
policy_for(const struct policy *p, const char *priority, const char *channel)
{
	size_t i;

	if (channel != NULL)
		for (i = 0; i < p->n; i++)
			if (strcmp(p->t[i].priority, priority) == 0 &&
			    strcmp(p->t[i].channel, channel) == 0)
				return &p->t[i];
	for (i = 0; i < p->n; i++)
		if (strcmp(p->t[i].priority, priority) == 0 &&
		    p->t[i].channel[0] == '\0')
			return &p->t[i];
	return &p->t[p->n - 2];	/* normal */
}

static void
dur(char *out, size_t n, int64_t s)
{
	if (s % 3600 == 0)
		snprintf(out, n, "%lldh", (long long)(s / 3600));
	else
		snprintf(out, n, "%lldm", (long long)(s / 60));
}

int
crm_service_policy(struct crm_db *db, struct crm_out *o,
    struct crm_error *err)
{
	static const char *const names[] = { "setting", "value" };
	struct crm_stmt *st;
	struct policy p;
	const char *v[2];
	char key[48], val[64], a[24], b[24];
	size_t i, j;
	int rc;

	if (crm_out_header(o, names, NULL, 2, err) < 0 ||
	    policy_load(db, &p, err) < 0)
		return -1;
	v[0] = "hours";
	v[1] = "24x7";
	rc = 0;
	if ((st = crm_db_stmt(db, "SELECT key, value FROM service_calendar"
	    " ORDER BY key = 'hours' DESC, key = 'zone' DESC, key",
	    err)) == NULL) {
		policy_free(&p);
		return -1;
	}
	while (rc == 0 && (rc = crm_db_step(db, st, err)) == 1) {
		v[0] = crm_db_col_text(st, 0);
		v[1] = crm_db_col_text(st, 1);
		rc = crm_out_row(o, v, err) < 0 ? -1 : 0;
	}
	if (rc < 0) {
		crm_db_reset(st);
		policy_free(&p);
		return -1;
	}
	for (i = 0; i < p.n; i++) {
		/* Defaults hidden by a setting of the same key. */
		for (j = 0; j < i; j++)
			if (strcmp(p.t[j].priority, p.t[i].priority) == 0 &&
			    strcmp(p.t[j].channel, p.t[i].channel) == 0)
				break;
		if (j < i)
			continue;
		snprintf(key, sizeof(key), "target %s%s%s", p.t[i].priority,
		    p.t[i].channel[0] ? "/" : "", p.t[i].channel);
		dur(a, sizeof(a), p.t[i].first);
		dur(b, sizeof(b), p.t[i].res);
		snprintf(val, sizeof(val), "%s,%s", a, b);
		v[0] = key;
		v[1] = val;
		if (crm_out_row(o, v, err) < 0) {
			policy_free(&p);
			return -1;
		}
	}
	policy_free(&p);
	return 0;
}

int
crm_service_by_parse(const char *s, enum crm_service_by *by,
    struct crm_error *err)
{
	static const char *const names[] = {
		"all", "team", "assignee", "channel", "priority", "month"
	};
	int i;

	for (i = 0; i < 6; i++)
		if (strcmp(s, names[i]) == 0) {
			*by = (enum crm_service_by)i;
			return 0;
		}
	return crm_error_set(err, CRM_EUSAGE, "--by: '%s' is not one of all,"
	    " team, assignee, channel, priority, month", s);
}

/*
 * One ticket's clocks as of asof, from its status history.  The caller
 * feeds the status changes in time order, then asks for the result.
 */
struct clock {
	int64_t created, first;		/* first 0: no response yet */
	int64_t last_at, acc, solved_at;
	int status, solved;
};

static void
clock_start(struct clock *k, int64_t created, int64_t first)
{
	memset(k, 0, sizeof(*k));
	k->created = created;
	k->first = first;
	k->last_at = created;
	k->status = -1;
}

static void
clock_event(struct crm_bizcal *cal, struct clock *k, int64_t at, int status)
{
	if (k->status >= 0 && RUNS(k->status))
		k->acc += crm_bizcal_between(cal, k->last_at, at);
	if (IS_DONE(status) && (k->status < 0 || !IS_DONE(k->status))) {
		k->solved = 1;
		k->solved_at = at;
	} else if (!IS_DONE(status))
		k->solved = 0;
	if (at > k->last_at)
		k->last_at = at;
	k->status = status;
}

/* The report's accumulators for one group. */
struct group {
	char *name;
	struct crm_service_row row;
	double *fr, *res;
	size_t nfr, nres, afr, ares;
	double csat_sum;
};

struct report {
	struct crm_db *db;
	struct policy pol;
	struct crm_bizcal *cal;		/* pol's */
	enum crm_service_by by;
	int64_t asof, window;
	struct group *g;
	size_t ng;
	/* the ticket being read */
	int64_t id;
	struct clock k;
	const struct target *tg;
	char *key;
	int64_t handoffs, reopens, csat;
	void *arg;		/* what the per-ticket function fills */
};

static int
push(double **a, size_t *n, size_t *cap, double v)
{
	double *p;

	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;

		if ((p = reallocarray(*a, c, sizeof(*p))) == NULL)
			return -1;
		*a = p;
		*cap = c;
	}
	(*a)[(*n)++] = v;
	return 0;
}

static struct group *
group_get(struct report *rp, const char *name, struct crm_error *err)
{
	struct group *p;
	size_t i;

	for (i = rp->ng; i-- > 0;)
		if (strcmp(rp->g[i].name, name) == 0)
			return &rp->g[i];
	if ((p = reallocarray(rp->g, rp->ng + 1, sizeof(*p))) == NULL)
		goto oom;
	rp->g = p;
	p = &rp->g[rp->ng];
	memset(p, 0, sizeof(*p));
	if ((p->name = strdup(name)) == NULL)
		goto oom;
	rp->ng++;
	return p;
oom:
	crm_error_set(err, CRM_EFAIL, "out of memory");
	return NULL;
}

static int
cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The q-quantile of sorted v[0..n) by linear interpolation (type 7). */
static double
quantile(const double *v, size_t n, double q)
{
	double h, lo;
	size_t i;

	if (n == 0)
		return NAN;
	h = (double)(n - 1) * q;
	lo = floor(h);
	i = (size_t)lo;
	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (h - lo) * (v[i + 1] - v[i]);
}

/* Fold the finished ticket in rp into its group. */
static int
finish(struct report *rp, struct crm_error *err)
{
	struct clock *k = &rp->k;
	struct group *g;
	int64_t fr, el;
	int open, breached = 0, risk = 0;

	if (rp->id == 0)
		return 0;
	if ((g = group_get(rp, rp->by == CRM_SERVICE_ALL ? "all" :
	    rp->key != NULL ? rp->key : "", err)) == NULL)
		return -1;
	g->row.tickets++;
	open = !k->solved;
	if (open)
		g->row.open++;
	else
		g->row.solved++;
	/* First response. */
	if (k->first != 0 && k->first <= rp->asof) {
		fr = crm_bizcal_between(rp->cal, k->created, k->first);
		g->row.fr_measured++;
		if (fr <= rp->tg->first)
			g->row.fr_met++;
		if (push(&g->fr, &g->nfr, &g->afr, (double)fr / 3600) < 0)
			goto oom;
	} else if (open) {
		el = crm_bizcal_between(rp->cal, k->created, rp->asof);
		if (el > rp->tg->first)
			breached = 1;
		else if (rp->tg->first - el <= rp->window)
			risk = 1;
	}
	/* Resolution: the clock runs while new or open. */
	if (!open) {
		g->row.res_measured++;
		if (k->acc <= rp->tg->res)
			g->row.res_met++;
		if (push(&g->res, &g->nres, &g->ares, (double)k->acc / 3600) <
		    0)
			goto oom;
	} else {
		el = k->acc + (k->status >= 0 && RUNS(k->status) ?
		    crm_bizcal_between(rp->cal, k->last_at, rp->asof) : 0);
		if (el > rp->tg->res)
			breached = 1;
		else if (k->status >= 0 && RUNS(k->status) &&
		    rp->tg->res - el <= rp->window)
			risk = 1;
	}
	if (breached)
		g->row.breached_open++;
	else if (risk)
		g->row.at_risk++;
	g->row.handoffs += rp->handoffs;
	g->row.reopens += rp->reopens;
	if (rp->csat > 0) {
		g->row.csat_n++;
		g->csat_sum += (double)rp->csat;
	}
	return 0;
oom:
	return crm_error_set(err, CRM_EFAIL, "out of memory");
}

static int
cmpgroup(const void *a, const void *b)
{
	return strcmp(((const struct group *)a)->name,
	    ((const struct group *)b)->name);
}

/*
 * The report reads two tables in one pass each, merged here on the
 * ticket id: the tickets in id order, and their status changes in the
 * order of (ticket, time, id) from an index that holds all it needs.  A
 * join would look the events of each ticket up in the index, a descent
 * of the B-tree per ticket; two scans side by side cost half as much.
 */
static const char tickets_sql[] =
    "SELECT id, priority, channel, created_at,"
    " CASE WHEN first_response_at <= ?1 THEN first_response_at END,"
    " handoffs, reopens, satisfaction,"
    " CASE ?3 WHEN 1 THEN team WHEN 2 THEN assignee"
    " WHEN 3 THEN channel WHEN 4 THEN priority"
    " WHEN 5 THEN strftime('%Y-%m', created_at, 'unixepoch') END"
    " FROM tickets WHERE created_at >= ?2 AND created_at < ?1 ORDER BY id";

static const char events_sql[] =
    "SELECT ticket_id, at, new FROM ticket_events"
    " WHERE field = 'status' AND at <= ?1 ORDER BY ticket_id, at, id";

static int
scan(struct report *rp, int64_t since,
    int (*each)(struct report *rp, struct crm_error *err),
    struct crm_error *err)
{
	struct crm_db *db = rp->db;
	struct crm_stmt *st, *ev;
	int64_t eid = 0;
	int rc, erc = 1;

	if (crm_db_map_reads(db, err) < 0 ||
	    (st = crm_db_stmt(db, tickets_sql, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, rp->asof, err) < 0 ||
	    crm_db_bind_int(db, st, 2, since, err) < 0 ||
	    crm_db_bind_int(db, st, 3, (int64_t)rp->by, err) < 0)
		return -1;
	if ((ev = crm_db_stmt(db, events_sql, err)) == NULL ||
	    crm_db_bind_int(db, ev, 1, rp->asof, err) < 0) {
		crm_db_reset(st);
		return -1;
	}
	while ((rc = crm_db_step(db, st, err)) == 1) {
		const char *key = crm_db_col_text(st, 8);

		rp->id = crm_db_col_int(st, 0);
		free(rp->key);
		rp->key = NULL;
		if (key != NULL && (rp->key = strdup(key)) == NULL) {
			crm_error_set(err, CRM_EFAIL, "out of memory");
			goto fail;
		}
		rp->tg = policy_for(&rp->pol, crm_db_col_text(st, 1),
		    crm_db_col_text(st, 2));
		clock_start(&rp->k, crm_db_col_int(st, 3),
		    crm_db_col_int(st, 4));
		rp->handoffs = crm_db_col_int(st, 5);
		rp->reopens = crm_db_col_int(st, 6);
		rp->csat = crm_db_col_int(st, 7);
		/* The events of earlier tickets (out of the window) pass. */
		while (erc == 1 && (eid == 0 || eid <= rp->id)) {
			if (eid == rp->id)
				clock_event(rp->cal, &rp->k, crm_db_col_int(ev,
				    1), status_index(crm_db_col_text(ev, 2)));
			if ((erc = crm_db_step(db, ev, err)) < 0)
				goto fail;
			eid = erc == 1 ? crm_db_col_int(ev, 0) : 0;
		}
		if (each(rp, err) < 0)
			goto fail;
	}
	crm_db_reset(ev);
	return rc < 0 ? -1 : 0;
fail:
	crm_db_reset(st);
	crm_db_reset(ev);
	return -1;
}

static void
report_free(struct report *rp)
{
	size_t i;

	for (i = 0; i < rp->ng; i++) {
		free(rp->g[i].name);
		free(rp->g[i].fr);
		free(rp->g[i].res);
	}
	free(rp->g);
	free(rp->key);
	policy_free(&rp->pol);
}

int
crm_service_report(struct crm_db *db, int64_t asof, int64_t since,
    enum crm_service_by by, int64_t risk_window,
    int (*fn)(void *arg, const struct crm_service_row *row,
    struct crm_error *err), void *arg, struct crm_error *err)
{
	struct report rp;
	struct group *g;
	size_t i;
	int rc = -1;

	memset(&rp, 0, sizeof(rp));
	rp.db = db;
	rp.by = by;
	rp.asof = asof;
	rp.window = risk_window;
	if (policy_load(db, &rp.pol, err) < 0)
		return -1;
	rp.cal = rp.pol.cal;
	if (scan(&rp, since, finish, err) < 0)
		goto done;
	if (rp.ng > 0)
		qsort(rp.g, rp.ng, sizeof(*rp.g), cmpgroup);
	for (i = 0; i < rp.ng; i++) {
		g = &rp.g[i];
		/* An empty list is NULL, which qsort() may not be given. */
		if (g->nfr > 0)
			qsort(g->fr, g->nfr, sizeof(double), cmpd);
		if (g->nres > 0)
			qsort(g->res, g->nres, sizeof(double), cmpd);
		g->row.group = g->name;
		g->row.fr_median = quantile(g->fr, g->nfr, 0.5);
		g->row.fr_p90 = quantile(g->fr, g->nfr, 0.9);
		g->row.res_median = quantile(g->res, g->nres, 0.5);
		g->row.res_p90 = quantile(g->res, g->nres, 0.9);
		g->row.csat_mean = g->row.csat_n ?
		    g->csat_sum / (double)g->row.csat_n : NAN;
		if (fn(arg, &g->row, err) < 0)
			goto done;
	}
	rc = 0;
done:
	report_free(&rp);
	return rc;
}

static const char *
num(char *b, size_t n, double v, int prec)
{
	if (isnan(v))
		return NULL;
	snprintf(b, n, "%.*f", prec, v);
	return b;
}

static const char *
share(char *b, size_t n, int64_t k, int64_t of)
{
	return of == 0 ? NULL : num(b, n, (double)k / (double)of, 4);
}

static int
out_row(void *arg, const struct crm_service_row *r, struct crm_error *err)
{
	char b[16][32];
	const char *v[16];

	v[0] = r->group;
	snprintf(b[1], 32, "%lld", (long long)r->tickets);
	snprintf(b[2], 32, "%lld", (long long)r->open);
	snprintf(b[3], 32, "%lld", (long long)r->solved);
	v[1] = b[1];
	v[2] = b[2];
	v[3] = b[3];
	v[4] = share(b[4], 32, r->fr_met, r->fr_measured);
	v[5] = num(b[5], 32, r->fr_median, 2);
	v[6] = num(b[6], 32, r->fr_p90, 2);
	v[7] = share(b[7], 32, r->res_met, r->res_measured);
	v[8] = num(b[8], 32, r->res_median, 2);
	v[9] = num(b[9], 32, r->res_p90, 2);
	snprintf(b[10], 32, "%lld", (long long)r->breached_open);
	snprintf(b[11], 32, "%lld", (long long)r->at_risk);
	snprintf(b[12], 32, "%lld", (long long)r->handoffs);
	snprintf(b[13], 32, "%lld", (long long)r->reopens);
	v[10] = b[10];
	v[11] = b[11];
	v[12] = b[12];
	v[13] = b[13];
	v[14] = num(b[14], 32, r->csat_mean, 2);
	return crm_out_row(arg, v, err);
}

int
crm_service_report_out(struct crm_db *db, int64_t asof, int64_t since,
    enum crm_service_by by, int64_t risk_window, struct crm_out *o,
    struct crm_error *err)
{
	static const char *const names[] = {
		"group", "tickets", "open", "solved", "first_response_met",
		"first_response_median_h", "first_response_p90_h",
		"resolution_met", "resolution_median_h", "resolution_p90_h",
		"breached_open", "at_risk", "handoffs", "reopens",
		"satisfaction"
	};
	static const enum crm_coltype types[] = {
		CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
		CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
		CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
		CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM
	};

	if (crm_out_header(o, names, types, 15, err) < 0)
		return -1;
	return crm_service_report(db, asof, since, by, risk_window, out_row, o,
	    err);
}

/* The due list. */

struct due {
	int64_t id, due_at, left;
	int first;	/* the first-response target, else resolution */
	int breached;
};

struct duelist {
	struct due *d;
	size_t n, a;
	int breached_only;
};

static int
due_each(struct report *rp, struct crm_error *err)
{
	struct duelist *dl = rp->arg;
	struct clock *k = &rp->k;
	struct due x;
	int64_t el;
	struct due *p;

	(void)err;
	if (k->solved)
		return 0;
	memset(&x, 0, sizeof(x));
	x.id = rp->id;
	if (k->first == 0) {
		el = crm_bizcal_between(rp->cal, k->created, rp->asof);
		x.first = 1;
		x.left = rp->tg->first - el;
	} else {
		if (k->status < 0 || !RUNS(k->status)) {
			/* The clock is stopped: nothing comes due. */
			el = k->acc;
			if (el <= rp->tg->res)
				return 0;
			x.left = rp->tg->res - el;
		} else {
			el = k->acc + crm_bizcal_between(rp->cal, k->last_at,
			    rp->asof);
			x.left = rp->tg->res - el;
		}
	}
	x.breached = x.left < 0;
	if (x.breached)
		x.due_at = x.first ? crm_bizcal_add(rp->cal, k->created,
		    rp->tg->first) : rp->asof;
	else
		x.due_at = crm_bizcal_add(rp->cal, rp->asof, x.left);
	if (!x.breached && (dl->breached_only || x.left > rp->window))
		return 0;
	if (dl->n == dl->a) {
		size_t c = dl->a ? dl->a * 2 : 64;

		if ((p = reallocarray(dl->d, c, sizeof(*p))) == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		dl->d = p;
		dl->a = c;
	}
	dl->d[dl->n++] = x;
	return 0;
}

static int
cmpdue(const void *a, const void *b)
{
	const struct due *x = a, *y = b;

	if (x->left != y->left)
		return x->left < y->left ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

int
crm_service_due(struct crm_db *db, int64_t asof, int64_t window,
    int breached_only, const char *team, const char *assignee,
    struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = {
		"ref", "contact", "subject", "priority", "status", "assignee",
		"team", "target", "due_at", "hours_left", "state"
	};
	struct duelist dl;
	struct report rp;
	struct crm_stmt *st;
	const char *v[11];
	char due[21], left[32];
	size_t i;
	int rc = -1, r;

	memset(&rp, 0, sizeof(rp));
	memset(&dl, 0, sizeof(dl));
	dl.breached_only = breached_only;
	rp.db = db;
	rp.by = CRM_SERVICE_ALL;
	rp.asof = asof;
	rp.window = window;
	if (policy_load(db, &rp.pol, err) < 0)
		return -1;
	rp.cal = rp.pol.cal;
	rp.arg = &dl;
	r = scan(&rp, 0, due_each, err);
	if (r < 0 || crm_out_header(o, names, NULL, 11, err) < 0)
		goto done;
	if (dl.n > 0)
		qsort(dl.d, dl.n, sizeof(*dl.d), cmpdue);
	for (i = 0; i < dl.n; i++) {
		if ((st = crm_db_stmt(db, "SELECT t.ref, coalesce(c.email,"
		    " c.external_id, '#' || c.id), t.subject, t.priority,"
		    " t.status, t.assignee, t.team FROM tickets t LEFT JOIN"
		    " contacts c ON c.id = t.contact_id WHERE t.id = ?1 AND"
		    " (?2 IS NULL OR t.team = ?2) AND"
		    " (?3 IS NULL OR t.assignee = ?3)", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, dl.d[i].id, err) < 0 ||
		    crm_db_bind_text(db, st, 2, team, err) < 0 ||
		    crm_db_bind_text(db, st, 3, assignee, err) < 0 ||
		    (r = crm_db_step(db, st, err)) < 0)
			goto done;
		if (r == 0)
			continue;
		for (r = 0; r < 7; r++)
			v[r] = crm_db_col_text(st, r);
		v[7] = dl.d[i].first ? "first_response" : "resolution";
		if (dl.d[i].due_at == INT64_MAX)
			v[8] = NULL;
		else {
			crm_format_time(dl.d[i].due_at, due);
			v[8] = due;
		}
		snprintf(left, sizeof(left), "%.2f",
		    (double)dl.d[i].left / 3600);
		v[9] = left;
		v[10] = dl.d[i].breached ? "breached" : "at risk";
		r = crm_out_row(o, v, err);
		crm_db_reset(st);
		if (r < 0)
			goto done;
	}
	rc = 0;
done:
	free(dl.d);
	report_free(&rp);
	return rc;
}

int
crm_service_history(struct crm_db *db, const char *ref, struct crm_out *o,
    struct crm_error *err)
{
	static const char *const names[] = {
		"at", "field", "from", "to", "by", "reason"
	};
	struct crm_stmt *st;
	const char *v[6];
	char at[21];
	int rc, found = 0;

	if (crm_out_header(o, names, NULL, 6, err) < 0 ||
	    (st = crm_db_stmt(db, "SELECT e.at, e.field, e.old, e.new, e.by,"
	    " e.reason FROM tickets t JOIN ticket_events e ON"
	    " e.ticket_id = t.id WHERE t.ref = ? ORDER BY e.at, e.id",
	    err)) == NULL || crm_db_bind_text(db, st, 1, ref, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		found = 1;
		crm_format_time(crm_db_col_int(st, 0), at);
		v[0] = at;
		for (rc = 1; rc < 6; rc++)
			v[rc] = crm_db_col_text(st, rc);
		if (crm_out_row(o, v, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	if (rc < 0)
		return -1;
	if (!found)
		return crm_error_set(err, CRM_EDATA, "no ticket '%s'", ref);
	return 0;
}
