/*
 * expr.h - the small expression language of crm-segment --where.
 *
 *	last_purchase < today - 90d and country in ('GB', 'IE')
 *	bought('tools') and not bought('toys')
 *	age >= 18 and age < 30 or attr.tier = 'gold'
 *
 * An expression is parsed by this module and compiled to an SQL condition
 * over the contact (and its purchase summary, scores and attributes) in
 * which every literal is a bound parameter: user text never becomes SQL.
 *
 * Values: numbers (12, 3.5), strings ('x' or "x", a quote doubled to
 * include it), dates and date-times written bare (2026-01-31,
 * 2026-01-31T12:00Z), today (the as-of date), durations (90d, 12w, 6m,
 * 1y) added to or taken from dates, true and false.  Dates and times are
 * compared as instants; durations count 86400-second days (m = 30 days,
 * y = 365 days).
 * Operators: = == != <> < <= > >=, in (...), not in (...), like 'pat%',
 * is null, is not null, and, or, not, parentheses, + and -.
 * Functions: bought('X') (a purchase whose product or category is X),
 * in_segment('NAME') (a member of the saved segment NAME).
 * Fields: see crm_expr_fields.
 */
#ifndef CRM_EXPR_H
#define CRM_EXPR_H

#include <stdint.h>

#include "buf.h"
#include "db.h"
#include "error.h"

/* The field names, comma-separated, for usage text and errors. */
extern const char crm_expr_fields[];

struct crm_expr;

/*
 * Parse src with today = asof (UTC seconds).  NULL with err (CRM_EUSAGE,
 * "column N: what") on a syntax or type error; *col gets the 1-based
 * column of the error, for a caret under the expression.
 */
struct crm_expr *crm_expr_parse(const char *src, int64_t asof, int *col,
    struct crm_error *err);
void crm_expr_free(struct crm_expr *e);

/*
 * The SQL condition, over the aliases of crm_expr_from(): "c" contacts,
 * "p" purchase summary, "s" scores, "pc" preferred channel.
 */
const char *crm_expr_sql(const struct crm_expr *e);

/*
 * The FROM clause the condition needs, starting "FROM contacts c": the
 * summaries it uses are joined in, no others.  Parameters ?1.. are the
 * expression's own (bind with crm_expr_bind); the clause has none.
 */
const char *crm_expr_from(const struct crm_expr *e);

/* Bind the expression's literals to st, from parameter first on. */
int crm_expr_bind(const struct crm_expr *e, struct crm_db *db,
    struct crm_stmt *st, int first, struct crm_error *err);

/* How many parameters crm_expr_bind binds. */
int crm_expr_nparams(const struct crm_expr *e);

#endif
