#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "interaction.h"
#include "norm.h"
#include "resolve.h"
#include "task.h"

const char crm_task_schema[] =
	"CREATE TABLE tasks ("
	"  id INTEGER PRIMARY KEY,"
	"  ref TEXT UNIQUE,"
	"  contact_id INTEGER REFERENCES contacts(id),"
	"  ticket_id INTEGER REFERENCES tickets(id) ON DELETE SET NULL,"
	"  deal_ref TEXT,"
	"  title TEXT NOT NULL,"
	"  note TEXT,"
	"  owner TEXT,"
	"  team TEXT,"
	"  priority TEXT NOT NULL DEFAULT 'normal'"
	"    CHECK (priority = 'low' OR priority = 'normal'"
	"      OR priority = 'high' OR priority = 'urgent'),"
	"  due_at INTEGER NOT NULL,"
	"  every TEXT,"
	"  done_at INTEGER,"
	"  created_at INTEGER NOT NULL"
	");"
	"CREATE INDEX tasks_open ON tasks(due_at) WHERE done_at IS NULL;"
	"CREATE INDEX tasks_contact ON tasks(contact_id)"
	"  WHERE contact_id IS NOT NULL;"
	"CREATE TABLE task_events ("
	"  id INTEGER PRIMARY KEY,"
	"  task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,"
	"  at INTEGER NOT NULL,"
	"  old_owner TEXT,"
	"  old_team TEXT,"
	"  new_owner TEXT,"
	"  new_team TEXT,"
	"  by TEXT,"
	"  reason TEXT"
	");"
	"CREATE INDEX task_events_task ON task_events(task_id);";

static int
priority_ok(const char *p)
{
	return p == NULL || strcmp(p, "low") == 0 || strcmp(p, "normal") == 0 ||
	    strcmp(p, "high") == 0 || strcmp(p, "urgent") == 0;
}

/* "3d", "2w", "1m", "1y": the count and the unit, or -1. */
static int
every_parse(const char *s, int64_t *n, char *unit)
{
	char *end;
	long long v;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	v = strtoll(s, &end, 10);
	if (v <= 0 || v > 1000 || end[0] == '\0' || end[1] != '\0' ||
	    strchr("dwmy", end[0]) == NULL)
		return -1;
	*n = v;
	*unit = end[0];
	return 0;
}

/* t advanced by n units; months and years on the calendar (UTC). */
static int64_t
advance(int64_t t, int64_t n, char unit)
{
	char d[11];
	int64_t day, secs;
	int y, m, dd, last;
	static const int mdays[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (unit == 'd')
		return t + n * 86400;
	if (unit == 'w')
		return t + n * 7 * 86400;
	day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	secs = t - day * 86400;
	crm_format_date(t, d);
	y = atoi(d);
	m = atoi(d + 5) - 1;
	dd = atoi(d + 8);
	if (unit == 'y')
		y += (int)n;
	else {
		m += (int)n;
		y += m / 12;
		m %= 12;
	}
	/* The 31st of a month without one is its last day. */
	last = mdays[m] + (m == 1 && (y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0)));
	if (dd > last)
		dd = last;
	return crm_days_from_civil(y, m + 1, dd) * 86400 + secs;
}

static int
bind_opt_int(struct crm_db *db, struct crm_stmt *st, int i, int64_t v,
    struct crm_error *err)
{
	return v ? crm_db_bind_int(db, st, i, v, err) :
	    crm_db_bind_null(db, st, i, err);
}

int
crm_task_add(struct crm_db *db, const struct crm_task *t, const char *region,
    int64_t *id, int *added, struct crm_error *err)
{
	struct crm_stmt *st;
	int64_t contact = 0, ticket = 0, n;
	char unit;
	int rc;

	*added = 0;
	if (t->title == NULL || *t->title == '\0')
		return crm_error_set(err, CRM_EDATA, "a task needs a title");
	if (!priority_ok(t->priority))
		return crm_error_set(err, CRM_EDATA, "unknown priority '%s'"
		    " (low, normal, high, urgent)", t->priority);
	if (t->every != NULL && every_parse(t->every, &n, &unit) < 0)
		return crm_error_set(err, CRM_EDATA, "every '%s' is not a"
		    " number of days, weeks, months or years (3d, 2w, 1m, 1y)",
		    t->every);
	if (t->ref != NULL) {
		if ((st = crm_db_stmt(db, "SELECT id FROM tasks WHERE ref = ?",
		    err)) == NULL || crm_db_bind_text(db, st, 1, t->ref,
		    err) < 0 || (rc = crm_db_step(db, st, err)) < 0)
			return -1;
		if (rc == 1) {
			*id = crm_db_col_int(st, 0);
			crm_db_reset(st);
			return 0;
		}
	}
	if (t->contact != NULL && crm_contact_resolve(db, t->contact, region,
	    &contact, err) < 0)
		return -1;
	if (t->ticket != NULL) {
		if ((st = crm_db_stmt(db, "SELECT id, contact_id FROM tickets"
		    " WHERE ref = ?", err)) == NULL ||
		    crm_db_bind_text(db, st, 1, t->ticket, err) < 0 ||
		    (rc = crm_db_step(db, st, err)) < 0)
			return -1;
		if (rc == 0)
			return crm_error_set(err, CRM_EDATA, "no ticket '%s'",
			    t->ticket);
		ticket = crm_db_col_int(st, 0);
		/* A ticket's task is about the ticket's customer. */
		if (contact == 0)
			contact = crm_db_col_int(st, 1);
		crm_db_reset(st);
	}
	if ((st = crm_db_stmt(db, "INSERT INTO tasks (ref, contact_id,"
	    " ticket_id, deal_ref, title, note, owner, team, priority, due_at,"
	    " every, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
	    " coalesce(?, 'normal'), ?, ?, ?)", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, t->ref, err) < 0 ||
	    bind_opt_int(db, st, 2, contact, err) < 0 ||
	    bind_opt_int(db, st, 3, ticket, err) < 0 ||
	    crm_db_bind_text(db, st, 4, t->deal, err) < 0 ||
	    crm_db_bind_text(db, st, 5, t->title, err) < 0 ||
	    crm_db_bind_text(db, st, 6, t->note, err) < 0 ||
	    crm_db_bind_text(db, st, 7, t->owner, err) < 0 ||
	    crm_db_bind_text(db, st, 8, t->team, err) < 0 ||
	    crm_db_bind_text(db, st, 9, t->priority, err) < 0 ||
	    crm_db_bind_int(db, st, 10, t->due_at, err) < 0 ||
	    crm_db_bind_text(db, st, 11, t->every, err) < 0 ||
	    crm_db_bind_int(db, st, 12, crm_now(), err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	*id = crm_db_last_id(db);
	*added = 1;
	return 0;
}

/* The import. */

enum {
	T_REF, T_EXT, T_EMAIL, T_PHONE, T_CONTACT, T_TICKET, T_DEAL, T_TITLE,
	T_NOTE, T_OWNER, T_TEAM, T_PRIORITY, T_DUE, T_EVERY, NTCOLS
};

static const struct crm_csv_col tcols[NTCOLS] = {
	{ "ref", "task_id|id" },
	{ "external_id", "customer_id" },
	{ "email", "e_mail" },
	{ "phone", NULL },
	{ "contact", NULL },
	{ "ticket", "ticket_ref|ticket_id" },
	{ "deal", "deal_ref|deal_id" },
	{ "title", "subject|task" },
	{ "note", "notes|description" },
	{ "owner", "assignee|assigned_to" },
	{ "team", "group|department" },
	{ "priority", NULL },
	{ "due", "due_at|due_date|due_on" },
	{ "every", "repeat|recurrence" },
};

struct crm_tasker {
	struct crm_db *db;
	const char *region;
	int idx[NTCOLS];
	struct crm_task_stats st;
};

struct crm_tasker *
crm_tasker_new(struct crm_db *db, const char *region, struct crm_error *err)
{
	struct crm_tasker *tk;

	if ((tk = calloc(1, sizeof(*tk))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	tk->db = db;
	tk->region = region;
	return tk;
}

void
crm_tasker_free(struct crm_tasker *tk)
{
	free(tk);
}

const struct crm_task_stats *
crm_tasker_stats(const struct crm_tasker *tk)
{
	return &tk->st;
}

int
crm_tasker_header(struct crm_tasker *tk, struct crm_csv *r,
    struct crm_error *err)
{
	if (crm_csv_header(r, tcols, NTCOLS, tk->idx, err) < 0)
		return -1;
	if (tk->idx[T_TITLE] < 0 || tk->idx[T_DUE] < 0)
		return crm_error_set(err, CRM_EDATA, "%s: a task file needs"
		    " title and due columns", crm_csv_name(r));
	return 0;
}

static const char *
tf(const struct crm_tasker *tk, struct crm_csv *r, int c)
{
	const char *s;

	if (tk->idx[c] < 0)
		return NULL;
	s = crm_csv_field(r, tk->idx[c]);
	return *s == '\0' ? NULL : s;
}

int
crm_tasker_row(struct crm_tasker *tk, struct crm_csv *r,
    struct crm_error *err)
{
	static const int keys[] = { T_CONTACT, T_EXT, T_EMAIL, T_PHONE };
	struct crm_task t;
	const char *due;
	char low[16];
	int64_t id;
	size_t i;
	int added;

	tk->st.read++;
	memset(&t, 0, sizeof(t));
	t.ref = tf(tk, r, T_REF);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]) && t.contact == NULL;
	    i++)
		t.contact = tf(tk, r, keys[i]);
	t.ticket = tf(tk, r, T_TICKET);
	t.deal = tf(tk, r, T_DEAL);
	t.title = tf(tk, r, T_TITLE);
	t.note = tf(tk, r, T_NOTE);
	t.owner = tf(tk, r, T_OWNER);
	t.team = tf(tk, r, T_TEAM);
	t.every = tf(tk, r, T_EVERY);
	if ((t.priority = tf(tk, r, T_PRIORITY)) != NULL) {
		for (i = 0; t.priority[i] != '\0' && i < sizeof(low) - 1; i++)
			low[i] = (char)tolower((unsigned char)t.priority[i]);
		low[i] = '\0';
		t.priority = strcmp(low, "medium") == 0 ? "normal" : low;
	}
	if ((due = tf(tk, r, T_DUE)) == NULL ||
	    crm_norm_datetime(due, &t.due_at, err) < 0) {
		if (due == NULL)
			crm_error_set(err, CRM_EDATA, "no due date");
		err->code = CRM_EDATA;
		return crm_error_prefix(err, "%s:%ld", crm_csv_name(r),
		    crm_csv_line(r));
	}
	if (crm_task_add(tk->db, &t, tk->region, &id, &added, err) < 0) {
		if (err->code == CRM_EDATA)
			crm_error_prefix(err, "%s:%ld", crm_csv_name(r),
			    crm_csv_line(r));
		return -1;
	}
	if (added)
		tk->st.inserted++;
	else
		tk->st.unchanged++;
	return 0;
}

int
crm_task_find(struct crm_db *db, const char *key, int64_t *id,
    struct crm_error *err)
{
	struct crm_stmt *st;
	char *end;
	int rc;

	if (key[0] == '#' && key[1] != '\0') {
		*id = strtoll(key + 1, &end, 10);
		if (*end != '\0')
			return crm_error_set(err, CRM_EDATA, "'%s' is not a"
			    " task id", key);
		if ((st = crm_db_stmt(db, "SELECT id FROM tasks WHERE id = ?",
		    err)) == NULL || crm_db_bind_int(db, st, 1, *id, err) < 0)
			return -1;
	} else if ((st = crm_db_stmt(db, "SELECT id FROM tasks WHERE ref = ?",
	    err)) == NULL || crm_db_bind_text(db, st, 1, key, err) < 0)
		return -1;
	if ((rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 0)
		return crm_error_set(err, CRM_EDATA, "no task '%s'", key);
	*id = crm_db_col_int(st, 0);
	crm_db_reset(st);
	return 0;
}

/* An interaction in the task's contact's history; ref makes it once. */
static int
log_it(struct crm_db *db, int64_t contact, int64_t at, const char *kind,
    const char *subject, const char *note, const char *ref,
    struct crm_error *err)
{
	struct crm_log_content c;

	if (contact == 0)
		return 0;
	memset(&c, 0, sizeof(c));
	c.contact = contact;
	c.at = at;
	c.channel = "other";
	c.kind = kind;
	c.text[2] = subject;
	c.text[3] = note;
	return crm_log_add(db, &c, ref, "crm-task", err);
}

int
crm_task_done(struct crm_db *db, int64_t id, int64_t at, const char *note,
    int64_t *next, struct crm_error *err)
{
	struct crm_stmt *st;
	char *title = NULL, *every = NULL, *owner = NULL, *team = NULL;
	char *tnote = NULL, *deal = NULL, *prio = NULL, ref[48];
	int64_t contact, ticket, due, n, nid;
	char unit;
	int rc = -1;

	*next = 0;
	if ((st = crm_db_stmt(db, "SELECT title, every, owner, team, note,"
	    " deal_ref, priority, contact_id, ticket_id, due_at, done_at"
	    " FROM tasks WHERE id = ?", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 0)
		return crm_error_set(err, CRM_EDATA, "no task #%lld",
		    (long long)id);
	if (!crm_db_col_isnull(st, 10)) {
		crm_db_reset(st);
		return crm_error_set(err, CRM_EDATA, "task #%lld is done"
		    " already", (long long)id);
	}
#define DUP(i) (crm_db_col_text(st, i) ? strdup(crm_db_col_text(st, i)) : NULL)
	title = DUP(0);
	every = DUP(1);
	owner = DUP(2);
	team = DUP(3);
	tnote = DUP(4);
	deal = DUP(5);
	prio = DUP(6);
#undef DUP
	contact = crm_db_col_int(st, 7);
	ticket = crm_db_col_int(st, 8);
	due = crm_db_col_int(st, 9);
	crm_db_reset(st);
	rc = -1;
	if (title == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	if ((st = crm_db_stmt(db, "UPDATE tasks SET done_at = ?2,"
	    " note = coalesce(?3, note) WHERE id = ?1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, at, err) < 0 ||
	    crm_db_bind_text(db, st, 3, note, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		goto done;
	snprintf(ref, sizeof(ref), "task:%lld", (long long)id);
	if (log_it(db, contact, at, "task", title, note ? note : tnote, ref,
	    err) < 0)
		goto done;
	if (every != NULL && every_parse(every, &n, &unit) == 0) {
		/* The next due time after the one done, past now. */
		do
			due = advance(due, n, unit);
		while (due <= at);
		if ((st = crm_db_stmt(db, "INSERT INTO tasks (contact_id,"
		    " ticket_id, deal_ref, title, note, owner, team, priority,"
		    " due_at, every, created_at) VALUES (?, ?, ?, ?, ?, ?, ?,"
		    " ?, ?, ?, ?)", err)) == NULL ||
		    bind_opt_int(db, st, 1, contact, err) < 0 ||
		    bind_opt_int(db, st, 2, ticket, err) < 0 ||
		    crm_db_bind_text(db, st, 3, deal, err) < 0 ||
		    crm_db_bind_text(db, st, 4, title, err) < 0 ||
		    crm_db_bind_text(db, st, 5, tnote, err) < 0 ||
		    crm_db_bind_text(db, st, 6, owner, err) < 0 ||
		    crm_db_bind_text(db, st, 7, team, err) < 0 ||
		    crm_db_bind_text(db, st, 8, prio, err) < 0 ||
		    crm_db_bind_int(db, st, 9, due, err) < 0 ||
		    crm_db_bind_text(db, st, 10, every, err) < 0 ||
		    crm_db_bind_int(db, st, 11, at, err) < 0 ||
		    crm_db_step(db, st, err) < 0)
			goto done;
		nid = crm_db_last_id(db);
		*next = nid;
	}
	rc = 0;
done:
	free(title);
	free(every);
	free(owner);
	free(team);
	free(tnote);
	free(deal);
	free(prio);
	return rc;
}

int
crm_task_assign(struct crm_db *db, int64_t id, const char *owner,
    const char *team, const char *by, const char *reason, int64_t at,
    struct crm_error *err)
{
	struct crm_stmt *st;
	char *oo = NULL, *ot = NULL, *title = NULL, subj[512], ref[64];
	int64_t contact, ev;
	int rc;

	if ((st = crm_db_stmt(db, "SELECT owner, team, title, contact_id,"
	    " done_at FROM tasks WHERE id = ?", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 0)
		return crm_error_set(err, CRM_EDATA, "no task #%lld",
		    (long long)id);
	if (!crm_db_col_isnull(st, 4)) {
		crm_db_reset(st);
		return crm_error_set(err, CRM_EDATA, "task #%lld is done",
		    (long long)id);
	}
	if (crm_db_col_text(st, 0))
		oo = strdup(crm_db_col_text(st, 0));
	if (crm_db_col_text(st, 1))
		ot = strdup(crm_db_col_text(st, 1));
	title = strdup(crm_db_col_text(st, 2));
	contact = crm_db_col_int(st, 3);
	crm_db_reset(st);
	rc = -1;
	if (title == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	if ((st = crm_db_stmt(db, "INSERT INTO task_events (task_id, at,"
	    " old_owner, old_team, new_owner, new_team, by, reason) VALUES"
	    " (?, ?, ?, ?, coalesce(?5, ?3), coalesce(?6, ?4), ?, ?)",
	    err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, at, err) < 0 ||
	    crm_db_bind_text(db, st, 3, oo, err) < 0 ||
	    crm_db_bind_text(db, st, 4, ot, err) < 0 ||
	    crm_db_bind_text(db, st, 5, owner, err) < 0 ||
	    crm_db_bind_text(db, st, 6, team, err) < 0 ||
	    crm_db_bind_text(db, st, 7, by, err) < 0 ||
	    crm_db_bind_text(db, st, 8, reason, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		goto done;
	ev = crm_db_last_id(db);
	if ((st = crm_db_stmt(db, "UPDATE tasks SET owner = coalesce(?2,"
	    " owner), team = coalesce(?3, team) WHERE id = ?1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_bind_text(db, st, 2, owner, err) < 0 ||
	    crm_db_bind_text(db, st, 3, team, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		goto done;
	snprintf(subj, sizeof(subj), "%s: handed from %s to %s", title,
	    ot ? ot : oo ? oo : "nobody", team ? team : owner ? owner :
	    "nobody");
	snprintf(ref, sizeof(ref), "handoff:task:%lld", (long long)ev);
	rc = log_it(db, contact, at, "handoff", subj, reason, ref, err);
done:
	free(oo);
	free(ot);
	free(title);
	return rc;
}

int
crm_task_due(struct crm_db *db, int64_t asof, int64_t within, int overdue,
    const char *owner, const char *team, struct crm_out *o,
    struct crm_error *err)
{
	static const char *const names[] = {
		"id", "ref", "due_at", "state", "priority", "owner", "team",
		"title", "contact", "ticket", "deal", "every"
	};
	struct crm_stmt *st;
	const char *v[12];
	char id[24], due[21];
	int rc, i;

	if (crm_out_header(o, names, NULL, 12, err) < 0 ||
	    (st = crm_db_stmt(db, "SELECT t.id, t.ref, t.due_at, t.priority,"
	    " t.owner, t.team, t.title, coalesce(c.email, c.external_id,"
	    " '#' || c.id), k.ref, t.deal_ref, t.every FROM tasks t"
	    " LEFT JOIN contacts c ON c.id = t.contact_id"
	    " LEFT JOIN tickets k ON k.id = t.ticket_id"
	    " WHERE t.done_at IS NULL AND t.due_at < ?1"
	    " AND (?2 IS NULL OR t.owner = ?2) AND (?3 IS NULL OR t.team = ?3)"
	    " ORDER BY t.due_at, CASE t.priority WHEN 'urgent' THEN 0"
	    " WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END, t.id",
	    err)) == NULL ||
	    crm_db_bind_int(db, st, 1, overdue ? asof : asof + within,
	    err) < 0 ||
	    crm_db_bind_text(db, st, 2, owner, err) < 0 ||
	    crm_db_bind_text(db, st, 3, team, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		int64_t d = crm_db_col_int(st, 2);

		snprintf(id, sizeof(id), "%lld", (long long)crm_db_col_int(st,
		    0));
		crm_format_time(d, due);
		v[0] = id;
		v[1] = crm_db_col_text(st, 1);
		v[2] = due;
		v[3] = d < asof ? "overdue" : "due";
		for (i = 3; i < 11; i++)
			v[i + 1] = crm_db_col_text(st, i);
		if (crm_out_row(o, v, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	return rc < 0 ? -1 : 0;
}

int
crm_task_history(struct crm_db *db, int64_t id, struct crm_out *o,
    struct crm_error *err)
{
	static const char *const names[] = {
		"at", "from_owner", "from_team", "to_owner", "to_team", "by",
		"reason"
	};
	struct crm_stmt *st;
	const char *v[7];
	char at[21];
	int rc, i;

	if (crm_out_header(o, names, NULL, 7, err) < 0 ||
	    (st = crm_db_stmt(db, "SELECT at, old_owner, old_team, new_owner,"
	    " new_team, by, reason FROM task_events WHERE task_id = ?"
	    " ORDER BY at, id", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		crm_format_time(crm_db_col_int(st, 0), at);
		v[0] = at;
		for (i = 1; i < 7; i++)
			v[i] = crm_db_col_text(st, i);
		if (crm_out_row(o, v, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	return rc < 0 ? -1 : 0;
}

int
crm_task_overdue_each(struct crm_db *db, int64_t asof,
    int (*fn)(void *arg, const char *owner, int64_t n, struct crm_error *err),
    void *arg, struct crm_error *err)
{
	struct crm_stmt *st;
	int rc;

	if ((st = crm_db_stmt(db, "SELECT coalesce(owner, ''), count(*)"
	    " FROM tasks WHERE done_at IS NULL AND due_at < ?1"
	    " GROUP BY 1 ORDER BY 2 DESC, 1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, asof, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1)
		if (fn(arg, crm_db_col_text(st, 0), crm_db_col_int(st, 1),
		    err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	return rc < 0 ? -1 : 0;
}
