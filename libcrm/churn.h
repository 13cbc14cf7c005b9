/*
 * churn.h - who is leaving, how much they will buy, what they are worth:
 * the database side of crm-churn.
 *
 * Non-contractual customers (clv.h holds the mathematics).  A customer
 * base is one summary per contact who bought, built from the purchases
 * in the interaction log (kind 'purchase'):
 *
 *	- a purchase's day is its UTC calendar day; all purchases of one
 *	  contact on one day count as one, their amounts summed (a missing
 *	  amount counts 0);
 *	- x    = distinct purchase days up to the calibration end, minus 1
 *	- t_x  = (last purchase day - first purchase day) / unit
 *	- T    = (calibration end day - first purchase day) / unit
 *	- zbar = mean spend of the repeat days (the first day left out);
 *	  0 when x = 0
 *
 * with unit 1 (days) or 7 (weeks), the calibration end day counted in.
 * A merged-away contact's purchases count for its survivor; erased
 * contacts are left out.  A contact whose first purchase falls on the
 * calibration end day (T = 0) is a "new" customer: the fit leaves it out
 * (the models need T > 0) and scoring gives it the expectations of a
 * customer who has just made a first purchase.
 *
 * Stored models (table models): kind 'bgnbd' or 'pareto' with params
 * {"r","alpha","a","b"} or {"r","alpha","s","beta"} and, when the spend
 * model could be fitted, "spend": {"p","q","v","loglik","n",
 * "iterations","converged","corr"}; kind 'logit' for the classifier.
 * loglik, iterations, converged and n describe the count model; unit is
 * 'day' or 'week'; calibration_end is midnight UTC of the last
 * calibration day.
 *
 * Contractual customers: logistic.h.
 *
 * Every function that can fail returns -1 (or NULL) and fills err:
 * CRM_EDATA for data that cannot be used (a bad row, no repeat buyers,
 * no model), CRM_EUSAGE for an impossible request, CRM_EFAIL for I/O,
 * the database or memory.  No value written or stored is NaN or infinite.
 */
#ifndef CRM_CHURN_H
#define CRM_CHURN_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "clv.h"
#include "csvio.h"
#include "db.h"
#include "error.h"
#include "logistic.h"

/* ------------------------------------------------------------------ */
/* Customer bases */

struct crm_churn_base;

struct crm_churn_base_opts {
	int64_t cal_end;	/* a moment in the last calibration day, UTC
				   seconds; 0: the day of the latest purchase */
	int64_t holdout_end;	/* a moment in the last holdout day, or 0 */
	int unit_days;		/* 1 or 7 */
	const char *currency;	/* only purchases in it, or NULL */
};

/*
 * Build the base from the database, reading the purchases through
 * memory-mapped I/O (PRAGMA mmap_size, left set on db, as crm-report
 * does).  With holdout_end, also counts each customer's purchase days
 * after the calibration end up to and including that day, and keeps
 * every repeat purchase day for tracking.  CRM_EDATA
 * when there is no purchase at all up to the calibration end; CRM_EUSAGE
 * when holdout_end is not after the calibration end day.  Amounts in
 * different currencies are never added up: when the purchases up to the
 * end name more than one currency and opts->currency is NULL, CRM_EDATA
 * lists them (up to 20) and says to give one; with opts->currency, the
 * purchases in other currencies are converted to it at their day's rate
 * (crm_rate_convert(); CRM_EDATA naming a missing rate) when the rates
 * table has any, else left out, only its purchases counting (CRM_EDATA
 * if there are none).  Purchases without a currency count in every case,
 * as if in it.  Free with crm_churn_base_free().
 */
struct crm_churn_base *crm_churn_base_db(struct crm_db *db,
    const struct crm_churn_base_opts *opts, struct crm_error *err);

/*
 * Read summaries from a CSV or TSV file (path "-" for standard input;
 * flags as crm_csv_open): columns x (alias frequency), t_x (recency), T
 * (age) and optionally zbar (monetary_value, mean_spend); other columns
 * are ignored.  Times in any one unit.  A row whose x is empty (a contact
 * without purchases, as crm-churn score writes it) is skipped; any other
 * bad value is CRM_EDATA naming the file and line: x not a whole number
 * >= 0, T not > 0, t_x outside [0, T], t_x not 0 when x is 0, zbar < 0.
 */
struct crm_churn_base *crm_churn_base_csv(const char *path, int flags,
    struct crm_error *err);

void crm_churn_base_free(struct crm_churn_base *b);

/* Customers in b, and rows skipped by crm_churn_base_csv(). */
size_t crm_churn_base_count(const struct crm_churn_base *b);
size_t crm_churn_base_skipped(const struct crm_churn_base *b);

/* ------------------------------------------------------------------ */
/* Count and spend models */

struct crm_churn_model {
	int64_t id;			/* models.id; 0 when not stored */
	struct crm_clv_model m;
	struct crm_clv_fit_info info;
	int has_spend;			/* the Gamma-Gamma model was fitted */
	struct crm_clv_gg gg;
	struct crm_clv_fit_info gg_info;
	int has_corr;
	double spend_corr;		/* Pearson r of x and zbar over the
					   repeat buyers the spend fit used */
	struct crm_error spend_err;	/* why has_spend is 0 */
	int unit_days;			/* 1, 7, or 0 if not known */
	int64_t cal_end;		/* midnight of the last day; 0 if none */
	size_t customers;		/* customers in the fit */
	size_t repeaters;		/* of them with x > 0 */
	size_t new_customers;		/* left out: first purchase on the
					   calibration end day */
	long repeat_purchases;		/* sum of x */
	char currency[4];		/* the purchases' currency, or "" */
	size_t converted;		/* purchases converted to it at
					   their day's rate (rate.h) */
	size_t other_currency;		/* purchases in others left out:
					   no rates to convert them */
};

/* "bgnbd" or "pareto" to CRM_CLV_*; 0 for anything else. */
int crm_churn_kind(const char *name);
const char *crm_churn_kind_name(int kind);

/*
 * Fit a count model of the given kind (CRM_CLV_BGNBD or CRM_CLV_PARETO)
 * to b, and the Gamma-Gamma spend model to the repeat buyers with a
 * positive zbar, each with its limit model (clv.h: crm_clv_fit_with):
 * when the likelihood's supremum lies on the boundary, cm->m.limit
 * (cm->gg.limit) is set and the model is BG/NBD with a common drop-out
 * probability, Pareto/NBD with a common drop-out rate, Gamma-Gamma with
 * a common mean spend; cm->info (gg_info) holds both log-likelihoods.
 * A spend fit that fails or does not converge is not an error: has_spend
 * is then 0 and spend_err says why.  A count fit that does not converge
 * returns 0 with cm->info.converged 0: the caller decides.  CRM_EDATA
 * when neither the model nor its limit can be estimated (no repeat
 * purchase; too few for the purchase rates to be identified), the
 * message giving the customers, repeat buyers and repeat purchases.
 * fo (may be NULL) gets the optimisers' progress.
 */
int crm_churn_fit(const struct crm_churn_base *b, int kind,
    const struct crm_clv_fit_opts *fo, struct crm_churn_model *cm,
    struct crm_error *err);

/* Insert cm into models (inside the caller's transaction); sets cm->id. */
int crm_churn_model_store(struct crm_db *db, struct crm_churn_model *cm,
    struct crm_error *err);

/* What crm-churn fit asks for (churn-run.c). */
struct crm_churn_fit_req {
	const char *summaries;		/* a file of summaries, or NULL: db */
	int csv_flags;			/* for summaries, as crm_csv_open */
	struct crm_churn_base_opts base; /* for db */
	int kind;			/* CRM_CLV_BGNBD or CRM_CLV_PARETO */
	int unit_given;			/* summaries: their unit (1 or 7),
					   0 if not known */
	int store;			/* store a converged model in db */
	const struct crm_clv_fit_opts *fit;	/* may be NULL */
};

struct crm_churn_fit_done {
	double cpu;			/* seconds of CPU the fits took */
	size_t skipped;			/* summaries' rows without purchases */
	int stored;			/* cm->id set, transaction open */
	char counts[128];		/* for the audit: customers, repeaters
					   (JSON) */
};

/*
 * The base (from db or the summaries), both fits (crm_churn_fit), and a
 * converged model stored when q->store and db: then in a write
 * transaction left open for the caller to commit (done->stored); rolled
 * back on failure.  A fit that does not converge is no error, as in
 * crm_churn_fit().
 */
int crm_churn_fit_run(struct crm_db *db, const struct crm_churn_fit_req *q,
    struct crm_churn_model *cm, struct crm_churn_fit_done *done,
    struct crm_error *err);

/*
 * Load a stored count model: id > 0 that one, else the latest of kind
 * (0: the latest BG/NBD or Pareto/NBD model).  CRM_EDATA when there is
 * none or it is not a count model.
 */
int crm_churn_model_load(struct crm_db *db, int64_t id, int kind,
    struct crm_churn_model *cm, struct crm_error *err);

/*
 * Write cm as one record: model_id, model, unit, calibration_end,
 * customers, repeaters, repeat_purchases, r, alpha, a, b, s, beta,
 * loglik, iterations, converged, p, q, v, spend_loglik, spend_corr,
 * then limit (empty for the full model, else "common drop-out
 * probability" or "common drop-out rate"), dropout (the limit's p or
 * mu), full_loglik, limit_loglik, spend_limit ("common mean spend" or
 * empty), nu, spend_full_loglik, spend_limit_loglik, currency.  A limit
 * model leaves a and b (s and beta) empty; a spend limit q and v.
 */
int crm_churn_model_write(const struct crm_churn_model *cm,
    struct crm_out *o, struct crm_error *err);

/* List the stored models: id, kind, fitted_at, calibration_end, unit, n,
 * loglik, iterations, converged, params. */
int crm_churn_models(struct crm_db *db, struct crm_out *o,
    struct crm_error *err);

/* ------------------------------------------------------------------ */
/* Scoring and evaluation */

struct crm_churn_score_opts {
	int64_t as_of;		/* summaries up to this day; 0: the model's
				   calibration end */
	int64_t horizon_days;	/* > 0 */
	double discount;	/* annual discount rate, >= 0 */
	int store;		/* replace the scores table */
};

/*
 * Before crm_churn_score(): with store, foreign keys off (each contact_id
 * stored is one an interaction or a merged contact names, read in the
 * same transaction) and a write transaction begun; then the model loaded
 * as crm_churn_model_load() does (rolled back if that fails).  The caller
 * commits and turns foreign keys on again.
 */
int crm_churn_score_begin(struct crm_db *db, int store, int64_t id,
    int kind, struct crm_churn_model *cm, struct crm_error *err);

/* A database file this large (16 MiB) pays for crm_db_bulk() when scores
 * are stored. */
int crm_churn_score_big(const char *path);

struct crm_churn_score_stats {
	int64_t contacts;	/* contacts written */
	int64_t scored;		/* of them with purchases */
	int64_t no_spend;	/* scored without an expected spend */
};

/* The audit's counts of a scoring (JSON) into buf, which is returned. */
const char *crm_churn_score_counts(const struct crm_churn_score_stats *st,
    int64_t id, char *buf, size_t len);

/*
 * Score every contact (not merged away, not erased), in id order, and
 * write id, external_id, email, x, t_x, T, zbar, p_alive,
 * expected_purchases, expected_spend, clv, churn_probability.  A contact
 * without purchases up to as_of is written with only its id, external_id
 * and email: the models describe customers after a first purchase and
 * say nothing of those who never bought.
 *
 *	expected_purchases  purchase days expected in the horizon
 *	expected_spend      Gamma-Gamma mean spend of one purchase day
 *	clv                 expected_spend times the expected purchases of
 *	                    each 1/k of the horizon (k = horizon in 30-day
 *	                    months, rounded, at least 1), discounted at
 *	                    (1 + discount)^(days / 365)
 *	churn_probability   1 - p_alive
 *
 * With opts->store, the scores table ends up with one row per scored
 * contact and no other (each row replaced, rows of contacts no longer
 * scored deleted; call inside a write transaction, in which the contact
 * ids stored need no foreign key check: they are those of interactions
 * and merges).  The purchases are read, and the rows written while the
 * scores are stored, by a second thread on a second connection in a read
 * transaction that sees what db's does; with few interactions, or if that
 * connection cannot be opened, one thread does all.  progress, if not
 * NULL, is called now and then with the contacts done, from either thread
 * but never from both.
 */
int crm_churn_score(struct crm_db *db, const struct crm_churn_model *cm,
    const struct crm_churn_score_opts *opts, struct crm_out *o,
    struct crm_churn_score_stats *stats,
    void (*progress)(void *, int64_t), void *arg, struct crm_error *err);

enum {
	CRM_CHURN_BY_TOTAL,
	CRM_CHURN_BY_CUSTOMER,
	CRM_CHURN_BY_WEEK,
	CRM_CHURN_BY_FREQUENCY,
	CRM_CHURN_BY_DECILE,	/* crm_churn_train only */
};

/* "total", "customer", ... to CRM_CHURN_BY_*; -1 if unknown. */
int crm_churn_by(const char *s);

struct crm_churn_eval {
	size_t customers;
	int64_t holdout_days;
	double actual, expected;	/* repeat purchase days in the holdout */
	int has_corr;
	double corr;			/* per customer, Pearson */
	double mae;			/* mean absolute error per customer */
	double actual_cum, expected_cum;	/* tracking, at the end */
};

/*
 * Compare the model's forecasts with what happened in the holdout, the
 * days after its calibration end up to and including holdout_end.  by:
 *
 *   total      one record: model_id, customers, holdout_days, actual,
 *              expected, error_pct, correlation, mae, weeks,
 *              actual_cumulative, expected_cumulative,
 *              cumulative_error_pct
 *   customer   id, external_id, x, t_x, T, p_alive, expected, actual
 *   frequency  per calibration x (0 to 6, then 7+): x, customers,
 *              actual_mean, expected_mean
 *   week       weekly tracking from the first day any customer bought:
 *              week, end, actual, expected, actual_cumulative,
 *              expected_cumulative (repeat purchase days of the whole
 *              base; expected from the unconditional E[X(t)] of each
 *              customer since their first purchase)
 *
 * "expected" in the holdout is the sum of each customer's conditional
 * expectation given the calibration summary.  ev (may be NULL) gets the
 * aggregate.
 */
int crm_churn_eval(struct crm_db *db, const struct crm_churn_model *cm,
    int64_t holdout_end, int by, struct crm_out *o,
    struct crm_churn_eval *ev, struct crm_error *err);

/* ------------------------------------------------------------------ */
/* crm-churn's options (churn-run.c) */

struct crm_churn_args {
	const char *file, *summaries, *drop[64], *currency;
	struct crm_churn_train_opts to;
	struct crm_churn_score_opts so;
	int64_t hold, calend, modelid;
	size_t ndrop;
	int kind, unit, dry, by;
	char seen[128];			/* options given */
	char *dropbuf[64];		/* --drop's copies */
	size_t ndropbuf;
};

/*
 * The defaults; crm_churn_args_free() frees --drop's copies.  Also sets
 * malloc's mmap threshold to 1 MiB for the process, so that the fits' big
 * arrays grow by mremap.
 */
void crm_churn_args_init(struct crm_churn_args *a);
void crm_churn_args_free(struct crm_churn_args *a);

/*
 * One option, getopt_long's ch and arg (kept, not copied, except
 * --drop's list): 0 when taken, 1 when it is none of crm-churn's own
 * (the caller's: -d, -f, ...), -1 with CRM_EUSAGE for a bad value.
 */
int crm_churn_args_opt(struct crm_churn_args *a, int ch, const char *arg,
    struct crm_error *err);

/*
 * CRM_EUSAGE when an option was given that the command name does not
 * take (opts: the short letters it takes besides -d -f -h -q -t -V;
 * longopts: the program's table, for the option's name) or --model names the wrong sort of
 * model (model 'k': a kind; 'l': a logit model's number; 'b': a count
 * model's kind or number), or what the command needs is missing (fit's
 * --model, eval's --holdout-end, train's --label) or does not fit it
 * (--by, fit --summaries with database options).
 */
int crm_churn_args_check(const struct crm_churn_args *a, const char *name,
    const char *opts, int model, const struct option *longopts,
    struct crm_error *err);

/* For getopt_long: crm-churn's own options, long and short (after
 * CRM_CLI_LONGOPTS and CRM_CLI_SHORTOPTS). */
#define CRM_CHURN_LONGOPTS \
	{ "as-of", required_argument, NULL, 'A' }, \
	{ "by", required_argument, NULL, 'b' }, \
	{ "calibration-end", required_argument, NULL, 'c' }, \
	{ "currency", required_argument, NULL, 'C' }, \
	{ "discount", required_argument, NULL, 'D' }, \
	{ "drop", required_argument, NULL, 'x' }, \
	{ "dry-run", no_argument, NULL, 'n' }, \
	{ "holdout-end", required_argument, NULL, 'e' }, \
	{ "horizon", required_argument, NULL, 'H' }, \
	{ "id", required_argument, NULL, 'i' }, \
	{ "label", required_argument, NULL, 'l' }, \
	{ "lambda", required_argument, NULL, 'L' }, \
	{ "model", required_argument, NULL, 'm' }, \
	{ "seed", required_argument, NULL, 's' }, \
	{ "summaries", required_argument, NULL, 'S' }, \
	{ "test-share", required_argument, NULL, 'T' }, \
	{ "unit", required_argument, NULL, 'u' }
#define CRM_CHURN_SHORTOPTS "b:C:c:D:e:H:i:L:l:m:nS:s:T:u:x:"

/*
 * What the commands say on standard error, each line handed to note
 * (without "crm-churn: " or a newline).  Fit: a count fit that did not
 * converge (also with quiet; stored_db: a database was named), else
 * unless quiet the rows skipped, the customers left out, both
 * log-likelihoods of each model and the summary.  Score and eval: their
 * summaries (the caller checks quiet).  Train: no hold-out metrics and
 * no convergence (also with quiet), then the summary.
 */
typedef void crm_churn_note_fn(void *arg, const char *line);

/* What a fit's progress line says: its model, iteration count (the
 * caller's), log-likelihood, and whether it drags.  buf is returned. */
const char *crm_churn_progress_text(const struct crm_clv_progress *p,
    char *buf, size_t len);

void crm_churn_fit_notes(const struct crm_churn_model *cm,
    const struct crm_churn_fit_done *dn, const struct crm_churn_args *a,
    int quiet, int stored_db, crm_churn_note_fn *note, void *arg);
void crm_churn_score_notes(const struct crm_churn_model *cm,
    const struct crm_churn_score_stats *st, const struct crm_churn_args *a,
    crm_churn_note_fn *note, void *arg);
void crm_churn_eval_note(const struct crm_churn_model *cm,
    const struct crm_churn_eval *ev, crm_churn_note_fn *note, void *arg);
void crm_churn_train_notes(const struct crm_churn_train_result *res,
    const struct crm_churn_args *a, int quiet, crm_churn_note_fn *note,
    void *arg);

#endif
