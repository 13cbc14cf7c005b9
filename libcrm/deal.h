/*
 * deal.h - the sales pipeline: deals, their stages and history, the
 * pipeline at any date, the forecast and the statistics of what was won.
 *
 * Tables (crm_deal_schema, one migration in db-schema.c):
 *
 *   pipelines     id, name (unique)
 *   deal_stages   id, pipeline_id, name, position, probability (0..1),
 *                 outcome ('open', 'won' or 'lost')
 *   deals         id, ref (unique), pipeline_id, stage_id, contact_id
 *                 (NULL for a company's deal with no person), company,
 *                 title, amount, currency, probability (NULL: the
 *                 stage's), close_at (the expected close date: midnight
 *                 UTC), owner, source, product, lost_reason,
 *                 created_at, stage_at (entered its stage), closed_at
 *                 (entered won or lost), updated_at, entered (bit p:
 *                 the deal has entered the stage at position p)
 *   deal_history  one row per change of stage, amount or close date:
 *                 deal_id, at, by (who), and the stage, amount and close
 *                 date before (stage_from, amount_from, close_from; NULL
 *                 in a deal's first row) and after (stage_to, amount_to,
 *                 close_to).  The state of a deal at a time is the "to"
 *                 half of its last row at or before it.
 *
 * The migration creates the pipeline "sales" with the stages of SuiteCRM's
 * default sales stage list that a small business uses, and their default
 * probabilities: qualification 20%, needs analysis 25%, proposal 65%,
 * negotiation 80%, won 100%, lost 0%.
 *
 * Import (crm-deal FILE): each record is the state of one deal, named by
 * ref, at a moment "at" (default: now).  Columns (case-insensitive, with
 * aliases): ref, contact (any key, as crm_contact_resolve), external_id,
 * email, phone, company, title, amount, currency, stage, pipeline,
 * probability, close_date, owner, source, product, lost_reason,
 * created_at, closed_at, at, changed_by.  A new ref makes a deal (stage
 * required; created_at defaults to at; its first history row is dated
 * created_at).  A known ref: an empty cell keeps the stored value; a
 * record older than the deal's last recorded change is history already
 * told and changes nothing; otherwise a change of stage, amount or close
 * date adds a history row at "at" by changed_by (else the owner), and
 * other columns are updated in place.  So a file of changes in time
 * order, read any number of times, ends in the same state.
 *
 * Entering a won stage logs a purchase in the contact's history (kind
 * purchase, channel other, ref "deal:REF", at the close, the deal's
 * amount, currency, product and title) and makes the contact a customer;
 * entering a lost stage logs kind "deal-lost" (ref "deal:REF:lost") with
 * the lost reason as note.  A company's deal without a contact logs
 * nothing.
 *
 * Privacy: deals refers to contacts, so crm-forget, crm-export --subject
 * and crm-dedupe find it in the schema.  A person's deal that names a
 * company is kept for the company with its ties to the person cut (a
 * trigger turns the erasure's DELETE into clearing contact_id and title);
 * any other is deleted with its history.
 *
 * Amounts are never added across currencies: every result row carries
 * its currency (NULL when the deals had none).
 */
#ifndef CRM_DEAL_H
#define CRM_DEAL_H

#include <stdint.h>

#include "csvio.h"
#include "db.h"
#include "error.h"

extern const char crm_deal_schema[];
/* Schema 16: deals.entered (see deal.c). */
extern const char crm_deal_entered_schema[];

/* ------------------------------------------------------------------ */
/* Stages */

/*
 * Define or redefine pipeline's stages from r (columns stage,
 * probability (0..1 or a percentage "65%"), outcome (open, won, lost;
 * default open)), in the order of the file: stages named again are
 * updated, new ones added, stages missing from the file removed unless a
 * deal uses them (CRM_EDATA).  A pipeline needs one won and one lost
 * stage.  *n gets the stages read.
 */
int crm_deal_stages_define(struct crm_db *db, const char *pipeline,
    struct crm_csv *r, int64_t *n, struct crm_error *err);

/* Write pipeline, position, stage, probability, outcome (pipeline NULL:
 * every pipeline). */
int crm_deal_stages_write(struct crm_db *db, const char *pipeline,
    struct crm_out *o, struct crm_error *err);

/* ------------------------------------------------------------------ */
/* Import */

struct crm_deal_import_opts {
	const char *region;	/* default phone region for contact keys */
	const char *currency;	/* default currency for amounts */
	const char *by;		/* who, when the record names nobody */
	const char *pipeline;	/* default pipeline (NULL: "sales") */
};

struct crm_deal_import_stats {
	int64_t read, inserted, updated, unchanged, rejected;
	int64_t older;		/* records older than the deal's history */
	int64_t changes;	/* history rows written */
	int64_t won, lost;	/* deals that entered a won or lost stage */
	int64_t erased;		/* records of erased people, left out */
};

struct crm_deal_importer;

struct crm_deal_importer *crm_deal_importer_new(struct crm_db *db,
    const struct crm_deal_import_opts *opts, struct crm_error *err);
void crm_deal_importer_free(struct crm_deal_importer *im);
/* Map r's header (once per file); source names the file. */
int crm_deal_importer_header(struct crm_deal_importer *im,
    struct crm_csv *r, struct crm_error *err);
/* Store r's current record; CRM_EDATA concerns this record only. */
int crm_deal_importer_row(struct crm_deal_importer *im, struct crm_csv *r,
    struct crm_error *err);
const struct crm_deal_import_stats *crm_deal_importer_stats(
    const struct crm_deal_importer *im);

/* A deal and its history (show): the deal's row, then one row per change. */
int crm_deal_show(struct crm_db *db, const char *ref, struct crm_out *o,
    struct crm_error *err);

/* ------------------------------------------------------------------ */
/* The pipeline */

enum crm_deal_by {
	CRM_DEAL_BY_STAGE,	/* pipeline and stage (default) */
	CRM_DEAL_BY_OWNER,
	CRM_DEAL_BY_MONTH,	/* month of the expected close date */
	CRM_DEAL_BY_QUARTER,	/* forecast */
	CRM_DEAL_BY_SOURCE,	/* statistics */
	CRM_DEAL_BY_TOTAL,	/* statistics: one group */
};

/* "stage", "owner", ... to CRM_DEAL_BY_*; -1 if unknown. */
int crm_deal_by_parse(const char *s);

struct crm_deal_pipeline_opts {
	int64_t as_of;		/* end of this moment; 0: now (the tables) */
	int by;			/* STAGE, OWNER or MONTH */
	int64_t stale_days;	/* no change for this long counts as stale */
	const char *pipeline;	/* NULL: all */
};

/*
 * One group of open deals (deals in an open stage as of the date) in one
 * currency.  Strings belong to the call and live until the callback
 * returns.
 */
struct crm_deal_pipeline_row {
	const char *pipeline;	/* BY_STAGE: the pipeline; else NULL */
	const char *key;	/* the stage, owner ("" none) or YYYY-MM
				   ("" no close date) */
	int position;		/* BY_STAGE: the stage's position */
	double probability;	/* BY_STAGE: the stage's probability */
	const char *currency;	/* NULL: no currency */
	int64_t count;
	double amount;		/* sum of amounts (missing ones count 0) */
	double weighted;	/* sum of amount x probability */
	double age_days;	/* mean days in the current stage */
	int64_t stale;		/* no change for stale_days */
	int64_t overdue;	/* expected close date before the as-of day */
};

/*
 * The open pipeline as of opts->as_of, grouped by opts->by, ordered by
 * the key (stages in pipeline order) and currency.  With as_of the
 * state of each deal is read from deal_history (deals created after it
 * are left out); without, from deals.  fn returning non-zero stops
 * the walk and is returned.
 */
int crm_deal_pipeline_each(struct crm_db *db,
    const struct crm_deal_pipeline_opts *opts,
    int (*fn)(void *arg, const struct crm_deal_pipeline_row *row), void *arg,
    struct crm_error *err);

/* The same written to o: pipeline (BY_STAGE), stage|owner|month,
 * currency, deals, amount, weighted, age_days, stale, overdue. */
int crm_deal_pipeline_write(struct crm_db *db,
    const struct crm_deal_pipeline_opts *opts, struct crm_out *o,
    struct crm_error *err);

/*
 * The stale deals themselves, for a cron mail: open deals with no
 * change for stale_days or an expected close date passed, as of now:
 * ref, title, owner, stage, amount, currency, close_date, days_since_change,
 * reason ("no change", "close date passed" or both).
 */
int crm_deal_stale_write(struct crm_db *db,
    const struct crm_deal_pipeline_opts *opts, struct crm_out *o,
    struct crm_error *err);

/* ------------------------------------------------------------------ */
/* Forecast */

struct crm_deal_forecast_opts {
	int64_t as_of;		/* the forecast is made at this moment; 0 now */
	int by;			/* MONTH or QUARTER */
	int periods;		/* periods ahead, from the as-of one; >= 1 */
	int learnt;		/* probabilities learnt from history */
	double commit;		/* open deals at least this likely are
				   committed (default 0.8) */
	double confidence;	/* of the intervals (default 0.95) */
	int backtest;		/* the closed periods instead (see below) */
	int with_customers;	/* add existing customers (crm-churn model) */
	int64_t model_id;	/* the stored count model; 0 the latest */
	const char *pipeline;	/* NULL: all */
};

/*
 * One period and currency.  Deals count in the period of their close date
 * (expected while open, actual once closed); open deals whose expected
 * close date has passed count in the as-of period.
 *
 *	won         amount won in the period up to as_of
 *	committed   won + open deals with probability >= commit
 *	best_case   won + every open deal
 *	weighted    won + sum of amount x probability over open deals
 *	weighted_low, weighted_high
 *	            the same with each stage's probability at the ends of its
 *	            Wilson interval (learnt probabilities only; else equal to
 *	            weighted)
 *	customers   expected revenue of existing customers (with_customers):
 *	            sum over contacts with purchases in this currency of the
 *	            model's expected purchase days in the period times the
 *	            Gamma-Gamma spend; NAN when not asked
 *	total       weighted + customers (weighted alone when not asked)
 *
 * Back-test (backtest): for each closed period before the as-of one
 * (periods of them), the forecast made at the period's start from the
 * deals as they were then (deal_history), against actual, the amount won
 * with a close in the period.
 */
struct crm_deal_forecast_row {
	int64_t start, end;	/* [start, end) UTC seconds */
	const char *label;	/* "2026-11" or "2026-Q4" */
	const char *currency;	/* NULL: no currency */
	int64_t open;		/* open deals counted */
	double won, committed, best_case, weighted;
	double weighted_low, weighted_high;
	double customers;	/* NAN when not asked */
	double total;
	double actual;		/* back-test: won in the period; else NAN */
};

int crm_deal_forecast_each(struct crm_db *db,
    const struct crm_deal_forecast_opts *opts,
    int (*fn)(void *arg, const struct crm_deal_forecast_row *row), void *arg,
    struct crm_error *err);

int crm_deal_forecast_write(struct crm_db *db,
    const struct crm_deal_forecast_opts *opts, struct crm_out *o,
    struct crm_error *err);

/*
 * Stage probabilities learnt from history: for each stage, the closed
 * deals that were ever in it (entered it) and the share of them won, with
 * a Wilson score interval at confidence.  Stages no closed deal passed
 * through keep their configured probability (n 0).
 */
struct crm_deal_stage_prob {
	const char *pipeline, *stage;
	int64_t n, won;
	double configured, learnt, low, high;
};

int crm_deal_probabilities_each(struct crm_db *db, const char *pipeline,
    double confidence,
    int (*fn)(void *arg, const struct crm_deal_stage_prob *p), void *arg,
    struct crm_error *err);

int crm_deal_probabilities_write(struct crm_db *db, const char *pipeline,
    double confidence, struct crm_out *o, struct crm_error *err);

/* ------------------------------------------------------------------ */
/* Statistics */

/*
 * One group (by owner, source, or all) and currency, over the deals
 * closed in [since, until):
 *
 *	won, lost          deals
 *	win_rate           won / (won + lost)
 *	won_amount, lost_amount
 *	value_win_rate     won_amount / (won_amount + lost_amount)
 *	avg_won            won_amount / won
 *	cycle_days         mean days from created_at to closed_at of the won
 */
struct crm_deal_stats_row {
	const char *key;	/* owner or source ("" none); NULL for total */
	const char *currency;
	int64_t won, lost;
	double win_rate;	/* NAN with no closed deal */
	double won_amount, lost_amount, value_win_rate, avg_won;
	double cycle_days;	/* NAN with no won deal */
};

struct crm_deal_stats_opts {
	int by;			/* TOTAL, OWNER or SOURCE */
	int64_t since, until;	/* closed in [since, until); 0 open */
	const char *pipeline;
};

int crm_deal_stats_each(struct crm_db *db,
    const struct crm_deal_stats_opts *opts,
    int (*fn)(void *arg, const struct crm_deal_stats_row *row), void *arg,
    struct crm_error *err);

int crm_deal_stats_write(struct crm_db *db,
    const struct crm_deal_stats_opts *opts, struct crm_out *o,
    struct crm_error *err);

/*
 * The funnel of a pipeline's open and won stages, in order, over the deals
 * created in [since, until):
 *
 *	reached      deals that entered the stage or a later one (lost
 *	             excepted): a deal that skipped a stage passed it
 *	conversion   reached of the next stage / reached of this one (NAN
 *	             for the last)
 *	left         deals that entered the stage and later left it
 *	days_in_stage  mean days of those stays (NAN with none)
 */
struct crm_deal_funnel_row {
	const char *pipeline, *stage;
	const char *key;	/* owner or source; NULL for total */
	int position;
	int64_t reached, left;
	double conversion, days_in_stage;
};

int crm_deal_funnel_each(struct crm_db *db,
    const struct crm_deal_stats_opts *opts,
    int (*fn)(void *arg, const struct crm_deal_funnel_row *row), void *arg,
    struct crm_error *err);

int crm_deal_funnel_write(struct crm_db *db,
    const struct crm_deal_stats_opts *opts, struct crm_out *o,
    struct crm_error *err);

/* ------------------------------------------------------------------ */
/* crm-deal's options (deal-args.c) */

enum {
	CRM_DEAL_OPT_ASOF = 0x2000, CRM_DEAL_OPT_BACKTEST, CRM_DEAL_OPT_BY,
	CRM_DEAL_OPT_COMMIT, CRM_DEAL_OPT_CONF, CRM_DEAL_OPT_LEARNT,
	CRM_DEAL_OPT_MODEL, CRM_DEAL_OPT_CUSTOMERS, CRM_DEAL_OPT_SINCE,
	CRM_DEAL_OPT_UNTIL
};

/* What the options ask of the import and of each report. */
struct crm_deal_args {
	struct crm_deal_import_opts iopts;
	struct crm_deal_pipeline_opts popts;
	struct crm_deal_forecast_opts fopts;
	struct crm_deal_stats_opts sopts;
	const char *pipeline;	/* -P */
	const char *rejects;	/* -r */
	const char *by;		/* --by as given; checked per command */
	int dry;		/* -n */
	char currency[4];	/* -C, normalised */
};

/* The defaults (3 periods, --commit 0.8, --confidence 0.95, --stale 30);
 * region: the default phone region of contact keys. */
void crm_deal_args_init(struct crm_deal_args *a, const char *region);

/*
 * One option, getopt_long's ch and arg (kept, not copied): 0 when taken,
 * 1 when it is none of crm-deal's own (the caller's: -d, -f, ...), -1
 * with CRM_EUSAGE for a bad value.
 */
int crm_deal_args_opt(struct crm_deal_args *a, int ch, const char *arg,
    struct crm_error *err);

/*
 * For the command cmd ("import", "stages", "show", "pipeline", ...):
 * -P into every report's options, --by checked against what cmd groups
 * by (CRM_EUSAGE when it takes none or another).
 */
int crm_deal_args_check(struct crm_deal_args *a, const char *cmd,
    struct crm_error *err);

/* For getopt_long: crm-deal's own options, long and short (after
 * CRM_CLI_LONGOPTS and CRM_CLI_SHORTOPTS). */
#define CRM_DEAL_SHORTOPTS "b:C:nP:p:R:r:s:"
#define CRM_DEAL_LONGOPTS \
	{ "as-of", required_argument, NULL, CRM_DEAL_OPT_ASOF }, \
	{ "backtest", no_argument, NULL, CRM_DEAL_OPT_BACKTEST }, \
	{ "by", required_argument, NULL, CRM_DEAL_OPT_BY }, \
	{ "changed-by", required_argument, NULL, 'b' }, \
	{ "commit", required_argument, NULL, CRM_DEAL_OPT_COMMIT }, \
	{ "confidence", required_argument, NULL, CRM_DEAL_OPT_CONF }, \
	{ "currency", required_argument, NULL, 'C' }, \
	{ "dry-run", no_argument, NULL, 'n' }, \
	{ "learnt", no_argument, NULL, CRM_DEAL_OPT_LEARNT }, \
	{ "model", required_argument, NULL, CRM_DEAL_OPT_MODEL }, \
	{ "periods", required_argument, NULL, 'p' }, \
	{ "pipeline", required_argument, NULL, 'P' }, \
	{ "region", required_argument, NULL, 'R' }, \
	{ "rejects", required_argument, NULL, 'r' }, \
	{ "since", required_argument, NULL, CRM_DEAL_OPT_SINCE }, \
	{ "stale", required_argument, NULL, 's' }, \
	{ "until", required_argument, NULL, CRM_DEAL_OPT_UNTIL }, \
	{ "with-customers", no_argument, NULL, CRM_DEAL_OPT_CUSTOMERS }

#endif
