/*
 * service.c - tickets: the schema, the words help desks use for status,
 * priority and channel, and the import (crm_ticketer).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "interaction.h"
#include "norm.h"
#include "resolve.h"
#include "service.h"
#include "service-int.h"

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

int
service_status_index(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < 6; i++)
		if (strcmp(s, status_names[i]) == 0)
			return i;
	return -1;
}

const char *
service_priority_parse(const char *s)
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
const char *
service_channel_parse(const char *s)
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
	    (x->priority = service_priority_parse(s)) == NULL)
		return rowerr(t, err, "unknown priority (low, normal, high,"
		    " urgent)", s);
	if ((s = fld(t, C_CHANNEL)) != NULL)
		x->channel = service_channel_parse(s);
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
	int s = service_status_index(status);
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
	os = service_status_index(old[0]);
	ns = x.status ? service_status_index(x.status) : os;
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
