/*
 * account-int.h - what the account modules share: account.c (schema,
 * keys, import), account-link.c, account-merge.c, and the reports:
 * account-rollup.c (accounts and employment in memory, the roll-up),
 * account-rfm.c, account-partner.c, account-export.c (export, timeline,
 * people).
 */
#ifndef CRM_ACCOUNT_INT_H
#define CRM_ACCOUNT_INT_H

#include <stdint.h>

#include "buf.h"
#include "db.h"
#include "account.h"
#include "error.h"

/* The partner types, as an SQL condition on a column named type. */
#define ACCOUNT_IS_PARTNER "(type = 'reseller' OR type = 'agency'" \
	" OR type = 'referrer' OR type = 'affiliate')"

#define MAX_DEPTH 64	/* hierarchies and chains of merges, at most */

/*
 * The one account sql (?1 = value) finds into *id (0 if none): 0, or 1
 * if several match (*id is then the first), -1 with err.
 */
int crm_account_lookup1(struct crm_db *db, const char *sql, const char *v,
    int64_t *id, struct crm_error *err);

/* Accounts not merged away with domain ?1 (at most two). */
extern const char crm_account_sql_by_domain[];

/* Append s to b as a JSON string. */
int crm_account_json_str(struct crm_buf *b, const char *s,
    struct crm_error *err);

/* Every account not merged away, in memory, in id order. */
struct acc {
	int64_t id, parent_id, partner_id;
	char *ext, *name, *type;
	int64_t parent;			/* index, -1 for none */
	struct crm_account_total t;
};

struct accs {
	struct acc *a;
	size_t n;
};

/* Load them, with parent indexes; free with account_accs_free(). */
int account_load(struct crm_db *db, struct accs *s, struct crm_error *err);
void account_accs_free(struct accs *s);
/* The index of account id, or -1. */
int64_t account_find(const struct accs *s, int64_t id);

/*
 * The roll-up walk: for each account from (in index order), add(arg, to,
 * from) for to = from itself, then its parent, its parent's parent, ...
 * (MAX_DEPTH hops at most, so a cycle cannot hang it); each account's
 * depth (t.depth) is set to the hops above it.  add sums from's own
 * figures into to's subtree figures.
 */
void account_walk_up(struct accs *s, void (*add)(void *arg, size_t to,
    size_t from), void *arg);

/* 1 if the deals and deal_stages tables (crm-deal) are there. */
int account_have_deals(struct crm_db *db, struct crm_error *err);

/*
 * The employment rows in memory, sorted by contact, and the contacts
 * that no longer count (erased, or merged into another).  The figures
 * come from one pass over each big table instead of a join, which
 * looked up every person's interactions through the index: ten times
 * the work at a million contacts.
 */
struct emp {
	int64_t contact, start, end;	/* end 0: current */
	int64_t acc;		/* index in accs, -1 if merged away */
};

struct emps {
	struct emp *e;
	size_t n;
	int64_t *gone;			/* sorted contact ids */
	size_t ngone;
	/*
	 * Contact ids are dense (INTEGER PRIMARY KEY from 1): the rows of
	 * contact c are e[start[c]] .. e[start[c + 1] - 1], found with no
	 * search, for c <= maxc.  NULL when the ids are too sparse for it;
	 * then a binary search finds them.
	 */
	uint32_t *start;
	int64_t maxc;
	/* account_compute() with keep: the revenue of the purchases made
	 * under each row (e[i]'s in rev[i]). */
	double *rev;
};

int account_emps_load(struct crm_db *db, const struct accs *s,
    struct emps *m, struct crm_error *err);
void account_emps_free(struct emps *m);
/* 1 if contact c is erased or merged away. */
int account_emps_gone(const struct emps *m, int64_t c);
/* The account (index) contact c worked at, at time t: -1 for none. */
int64_t account_emps_at(const struct emps *m, int64_t c, int64_t t);

/* Make room for element n of *pp (doubling *alloc). */
int account_grow(void *pp, size_t *alloc, size_t n, size_t size,
    struct crm_error *err);

/* Own figures of every account up to asof (0: all), then the subtree
 * sums.  keep (NULL: none) gets the employment rows with their revenue,
 * for the caller to free. */
int account_compute(struct crm_db *db, struct accs *s, int64_t asof,
    struct emps *keep, struct crm_error *err);

/* Numbers as the reports write them. */
void account_fmt_int(char *b, size_t n, int64_t v);
void account_fmt_money(char *b, size_t n, double v);
/* YYYY-MM-DD into b (at least 11 bytes), or NULL for 0. */
const char *account_fmt_date(char *b, int64_t t);

#endif
