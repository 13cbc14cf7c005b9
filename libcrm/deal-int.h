/*
 * deal-int.h - what the deal modules share: the stages of every
 * pipeline, read once per run, and the deals and their history as the
 * analyses read them.  Private to deal*.c.
 */
#ifndef CRM_DEAL_INT_H
#define CRM_DEAL_INT_H

#include <stdint.h>

#include "db.h"
#include "deal.h"
#include "stats.h"

enum { OUT_OPEN, OUT_WON, OUT_LOST };

struct deal_stage {
	int64_t id, pipeline;
	int position;		/* 1-based within its pipeline */
	int outcome;		/* OUT_* */
	double prob;
	char *name;		/* as defined */
	char *key;		/* folded for matching */
	char *pipeline_name;
};

/* Every stage of every pipeline, ordered by pipeline name, position. */
struct deal_stages {
	struct deal_stage *v;
	size_t n;
	int64_t maxid;
	int *by_id;		/* stage id -> index in v, -1 if none */
};

int deal_stages_load(struct crm_db *db, struct deal_stages *s,
    struct crm_error *err);
void deal_stages_release(struct deal_stages *s);
/* The stage with id, or NULL. */
const struct deal_stage *deal_stage_by_id(const struct deal_stages *s,
    int64_t id);
/* Fold a stage name for matching: lower case, '-' '_' and runs of
 * blanks as one space, trimmed; into out (size n). */
void deal_fold(const char *in, size_t len, char *out, size_t n);
/* "open", "won", "lost" by OUT_*. */
extern const char *const deal_outcomes[];
/* The stage of pipeline that a name as a person writes it means, or NULL
 * ("Closed Won" and "closedwon" mean the won stage). */
const struct deal_stage *deal_stage_named(const struct deal_stages *s,
    int64_t pipeline, const char *name, size_t len);
/* The name of pipeline id ("?" if none). */
const char *deal_pipeline_name(const struct deal_stages *s, int64_t id);
/* A probability: "0.65", "65%" or "65" (above 1: a percentage). */
int deal_parse_prob(const char *v, double *p, struct crm_error *err);
/* The pipeline's id by name; 0 if none. */
int64_t deal_pipeline_id(const struct deal_stages *s, const char *name);

/* deals.entered again for pipeline ?1's deals, from their history. */
extern const char deal_entered_sql[];

/* Midnight UTC of the day of t. */
int64_t deal_day(int64_t t);

/* Strings as small integers (0 stands for NULL). */
struct deal_strtab {
	char **s;
	size_t n, a;
	int *slot;
	size_t nslot;
};

int deal_intern(struct deal_strtab *t, const char *s, struct crm_error *err);
const char *deal_str(const struct deal_strtab *t, int id);
/* 1 if s was interned. */
int deal_strtab_has(const struct deal_strtab *t, const char *s);
void deal_strtab_release(struct deal_strtab *t);

/* A deal as the analyses see it, as of a date. */
struct deal_row {
	int64_t id;
	int stage;		/* index into the stages; -1: not yet made */
	int currency, owner, source;	/* interned */
	int has_amount, has_close;
	double amount;
	double prob;		/* the deal's own, or NAN: the stage's */
	int64_t close_date, created_at, stage_at, closed_at, changed_at;
	int64_t last_change;	/* deals.changed_at */
	uint64_t entered;	/* bit p: entered the stage at position p */
	int maxpos;		/* furthest position entered, lost excepted */
	int stay_stage;		/* on_stay: the stage just left */
	double stay_days;	/* on_stay: how long it stayed */
};

struct deal_set {
	struct deal_row *d;
	size_t n, a;
	int *index;		/* deal id -> index in d, -1 */
	struct deal_strtab str;
	struct deal_stages stages;
	int64_t as_of;
	int64_t maxid;		/* the largest deal id read */
	int owners;		/* set before loading: read owner and source */
	/* Called from the history pass at each stay that ends. */
	void (*on_stay)(void *arg, const struct deal_row *r);
	void *stay_arg;
};

/*
 * Read the deals (of pipeline, or all) into ds, as they are now, with
 * the stages each entered (deals.entered) and the furthest reached.
 * With as_of, as they were then: a deal changed since is rebuilt from
 * deal_history up to as_of, one made later keeps stage -1.  With
 * ds->on_stay set, every deal is rebuilt from its whole history and
 * on_stay called at each stay that ends.  with_history is kept for the
 * callers and no longer needed.  Free with deal_set_release().
 */
int deal_set_load(struct crm_db *db, struct deal_set *ds, int64_t as_of,
    int with_history, const char *pipeline, struct crm_error *err);
void deal_set_release(struct deal_set *ds);

/* The parts of deal_set_load(): the deals as they are now (ds->owners
 * set before: with owner and source). */
int deal_set_read(struct crm_db *db, struct deal_set *ds,
    const char *pipeline, struct crm_error *err);
/* ds->index made (deal id -> -1) for deal_history_scan() to fill in. */
int deal_set_index(struct deal_set *ds, struct crm_error *err);

/* One row of deal_history: at, the stage from (from_null: none) and to,
 * the amount and close date after. */
struct deal_hrow {
	int64_t at, from, to, close;
	int from_null, has_amount, has_close;
	double amount;
};

/*
 * The history rows with lo <= at <= hi of the deals that ds->index maps
 * to an index, in id order (so each deal's in time order): fn(arg, index
 * in ds->d, row).  stages_only: only the rows that change the stage (and
 * each deal's first), amount and close date not read.  fn returning
 * non-zero stops the scan and is returned.
 */
int deal_history_scan(struct crm_db *db, struct deal_set *ds, int64_t lo,
    int64_t hi, int stages_only,
    int (*fn)(void *arg, size_t i, const struct deal_hrow *h), void *arg,
    struct crm_error *err);
/* Apply a history row to r (its next in time), calling ds->on_stay at a
 * stay that ends. */
void deal_apply(struct deal_set *ds, struct deal_row *r,
    const struct deal_hrow *h);
/* closed_at as of the state r is in: 0 while open, else when it entered
 * its closing stage unless r is the stored state. */
void deal_fix_closed(const struct deal_set *ds, struct deal_row *r);
/* The deal's probability: its own, else its stage's. */
double deal_prob(const struct deal_set *ds, const struct deal_row *r);
/* Closed deals per stage entered (n) and won among them. */
void deal_learn(const struct deal_set *ds, int64_t *n, int64_t *won);
/* The same for one deal r, added to n and won. */
void deal_learn_one(const struct deal_set *ds, const struct deal_row *r,
    int64_t *n, int64_t *won);

/* Aggregates keyed by (key, currency). */
struct deal_group {
	int64_t key;
	int currency;
	int64_t sk;		/* sort key, then sname, then currency */
	const char *sname;
	int64_t count, stale, overdue, won, lost, left;
	double amount, weighted, days, won_amount, lost_amount;
	double committed, best, wlow, whigh, customers, actual;
};

struct deal_groups {
	struct deal_group *v;
	size_t n, a;
	int *slot;
	size_t nslot;
};

/* The group (made when new): pointers stay valid until the next call. */
struct deal_group *deal_group(struct deal_groups *g, int64_t key,
    int currency, struct crm_error *err);
/* The group, or NULL when there is none (never makes one). */
struct deal_group *deal_group_find(struct deal_groups *g, int64_t key,
    int currency);
void deal_groups_sort(struct deal_groups *g, const struct deal_strtab *str);
void deal_groups_release(struct deal_groups *g);

/* Periods: the month or quarter (by) holding t, the next, a label. */
int64_t deal_period_start(int64_t t, int by);
int64_t deal_period_next(int64_t start, int by);
void deal_period_label(int64_t start, int by, char out[32]);

#endif
