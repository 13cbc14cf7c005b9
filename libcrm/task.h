/*
 * task.h - follow-ups that come due: a call back, a renewal to prepare,
 * a ticket to chase, owned by a person or a team.
 *
 * Tables (this module owns them): tasks and task_events (every hand-off:
 * owner and team before and after, by whom, why).  A task may name a
 * contact, a ticket (by its ref) and a deal (by its ref, kept as text so
 * that tasks need no deal table).  A recurring task ("every 2w") gets its
 * next occurrence when it is done: due one interval after the previous
 * due time, moved on past the time it was done.  A task done on a contact
 * logs an interaction of kind task (channel other) in their history, so
 * crm-log show tells the whole story; so does a hand-off (kind handoff).
 */
#ifndef CRM_TASK_H
#define CRM_TASK_H

#include <stdint.h>

#include "csvio.h"
#include "db.h"
#include "error.h"

extern const char crm_task_schema[];

struct crm_task {
	const char *ref;	/* idempotent key; NULL: none */
	const char *contact;	/* a contact key (crm_contact_resolve) */
	const char *ticket;	/* a ticket ref */
	const char *deal;	/* a deal ref */
	const char *title;	/* required */
	const char *note;
	const char *owner, *team;
	const char *priority;	/* low normal high urgent; NULL: normal */
	const char *every;	/* "3d", "2w", "1m" (months), "1y"; NULL */
	int64_t due_at;		/* required */
};

struct crm_task_stats {
	int64_t read, inserted, unchanged, rejected;
};

/*
 * Add t; with a ref already stored, nothing changes (*id gets the stored
 * task and *added 0).  CRM_EDATA for an unknown contact or ticket or a bad
 * value, CRM_EUSAGE never.  region is for phone keys.
 */
int crm_task_add(struct crm_db *db, const struct crm_task *t,
    const char *region, int64_t *id, int *added, struct crm_error *err);

/* Import: columns as struct crm_task (due or due_at, contact keys as
 * external_id, email, phone or contact). */
struct crm_tasker;
struct crm_tasker *crm_tasker_new(struct crm_db *db, const char *region,
    struct crm_error *err);
void crm_tasker_free(struct crm_tasker *tk);
int crm_tasker_header(struct crm_tasker *tk, struct crm_csv *r,
    struct crm_error *err);
int crm_tasker_row(struct crm_tasker *tk, struct crm_csv *r,
    struct crm_error *err);
const struct crm_task_stats *crm_tasker_stats(const struct crm_tasker *tk);

/* A task by "#id" or ref; CRM_EDATA when there is none. */
int crm_task_find(struct crm_db *db, const char *key, int64_t *id,
    struct crm_error *err);

/*
 * Mark done at `at` with an optional note; *next gets the id of the next
 * occurrence of a recurring task, else 0.  Done twice is CRM_EDATA.
 */
int crm_task_done(struct crm_db *db, int64_t id, int64_t at,
    const char *note, int64_t *next, struct crm_error *err);

/* Hand a task to owner and/or team (NULL keeps), recording why. */
int crm_task_assign(struct crm_db *db, int64_t id, const char *owner,
    const char *team, const char *by, const char *reason, int64_t at,
    struct crm_error *err);

/*
 * Open tasks due before asof + within (within 0: due by asof), filtered
 * by owner and team when not NULL; with overdue, only those due before
 * asof.  Earliest first.
 */
int crm_task_due(struct crm_db *db, int64_t asof, int64_t within,
    int overdue, const char *owner, const char *team, struct crm_out *o,
    struct crm_error *err);

/*
 * Open tasks past their due time at asof, per owner ("" for none): fn is
 * called once per owner, most overdue first.
 */
int crm_task_overdue_each(struct crm_db *db, int64_t asof,
    int (*fn)(void *arg, const char *owner, int64_t n, struct crm_error *err),
    void *arg, struct crm_error *err);

/* A task's hand-offs, oldest first. */
int crm_task_history(struct crm_db *db, int64_t id, struct crm_out *o,
    struct crm_error *err);

#endif
