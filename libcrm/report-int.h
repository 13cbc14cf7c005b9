/*
 * report-int.h - what the crm-report modules share, and nothing else
 * includes: the report as gathered (struct crm_report and its parts),
 * the pool it lives in, and the number formats of both renderings.
 *
 *	report-pool.c     the pool it lives in; freeing it
 *	report-gather.c   the period and its buckets; the sections in turn
 *	report-contacts.c contacts, merges, the audit's runs
 *	report-activity.c interactions, tickets, service levels, tasks
 *	report-value.c    RFM segments, deciles, churn and value
 *	report-campaigns.c  the campaigns sent in the period
 *	report-sales.c    the deal pipeline, its forecast; the accounts
 *	report-whale.c    the whale curve: cumulative profit by customer
 *	report-change.c   the earlier periods' figures; the summary's rules
 *	report-state.c    the segment snapshot: read, movement, save
 *	report-fmt.c      numbers as people read them
 *	report-html.c     the HTML page, its parts, contacts, interactions
 *	report-html-value.c  segments, movement, churn, campaigns,
 *	                  pipeline, accounts in HTML
 *	report-text.c     the plain-text summary
 *
 * The gatherer fills struct crm_report with numbers and names only; the
 * two renderings format them.  Nothing in between is text to be parsed.
 */
#ifndef CRM_REPORT_INT_H
#define CRM_REPORT_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "campaign.h"
#include "report.h"
#include "service.h"

#define DAY 86400
#define WEEK (7 * DAY)
#define MAXSEGS 64		/* segment names in a snapshot */
#define MAXOWNERS 12		/* owners shown; the rest folded */
#define MAXSERIES 7		/* channels charted; the rest folded */
#define MAXCURR 4		/* currencies charted */
#define MAXCAMPAIGNS 12
#define WHALE_STEPS 20		/* points of the whale curve */
#define STATE_MAGIC "crm-report-state 1"

extern const char *const report_consent_names[4];

/* Memory: everything a report holds comes from one pool, freed at once. */
struct chunk {
	struct chunk *next;
	union { long double ld; void *p; int64_t i; } align;
};

struct named {			/* a labelled count */
	const char *name;
	int64_t n;
};

struct run {			/* the audit's runs of one program */
	const char *program;
	int64_t runs, read, rejected;
	int64_t inserted, updated, unchanged;	/* re-read rows: unchanged */
};

struct chan_stat {		/* a row of crm_log_stats_each() */
	const char *channel, *kind, *currency;
	int64_t interactions, inbound, outbound, contacts;
	double amount;
};

struct ticket_stat {		/* a row of crm_log_tickets_each() */
	const char *channel;
	int64_t tickets, open, closed, resolved;
	double mean_hours, median_hours;	/* NAN: none resolved */
};

struct seg {
	const char *name;
	int64_t contacts, buyers, orders;
	double revenue, share, cum;
};

struct decile {
	int64_t contacts;
	double revenue, share, cum;
};

struct who {			/* a contact of the RFM run, by id */
	int64_t id;
	double monetary;
	int32_t orders, recency;
	uint8_t seg;		/* index in segnames */
};

struct risky {
	int64_t id;
	double revenue, p_alive, clv;
	int32_t orders, recency;
	const char *segment, *ext, *name, *owner;
};

struct valdec {
	int64_t n;
	double ep, clv, palive;	/* sums */
};

struct campaign {
	const char *name, *channel, *purpose, *state;
	int64_t sent_at, window_end;
	int has_control, has_uplift;
	int64_t n[2], responders[2];
	double rate[2], uplift, lo, hi, p_value, revenue[2];
	int64_t suppressed[CRM_CAMPAIGN_NREASONS];
};

struct pipe_stage {		/* open deals of a stage in one currency */
	const char *pipeline, *stage, *currency;	/* currency "" none */
	int64_t count;
	double amount, weighted;
};

struct fc_month {		/* crm-deal forecast: a month, a currency */
	const char *label, *currency;
	int64_t open;
	double won, weighted, best_case;
};

struct acc_row {		/* an account: revenue or risk */
	const char *ext, *name;
	int64_t purchases, buyers;
	double revenue, p_alive, at_risk;
};

#define MAXACCOUNTS 10
#define MAXPARTNERS 20

struct partner {		/* crm-account partners: what one brought */
	const char *ext, *name, *type;
	int64_t contacts, customers, won, lost;
	double revenue, win_rate;	/* NAN: no closed deal */
};

struct flow {
	int from, to;		/* segment indexes; -1 new, -2 gone */
	int64_t n;
};

/* The headline figures, compared with earlier periods. */
enum { FIG_CONTACTS, FIG_NEW, FIG_INTER, FIG_PURCHASES, FIG_REVENUE,
    FIG_BACKLOG, FIG_CAMPAIGNS, NFIG };

struct window {			/* this period, the previous, a year ago */
	int64_t start, end;
	int has;		/* the database reaches back to its start */
	char first_day[11], last_day[11];
};

struct curr_win {		/* revenue of the earlier periods */
	const char *name;	/* "" for none */
	double v[3];
};

/* A line of the summary: a sentence and the section it is about. */
struct report_line {
	const char *href;	/* an id in the page */
	char text[240];
};

struct crm_report {
	struct crm_report_opts o;
	pthread_mutex_t lock;	/* the pool's, shared by two threads */
	struct chunk *pool;
	char summary[256];
	char asof_day[11], start_day[11];
	int64_t start, end, days;

	/* time buckets: weeks back from the end, or calendar months */
	int monthly;
	size_t nb;
	int64_t *bstart;	/* nb + 1 boundaries */
	const char **blabel;

	/* contacts */
	int64_t live, merged_away, erased, no_email, no_phone, no_both, dnc;
	int64_t consent[4][4];	/* channel: yes, no, unknown, reachable */
	struct named *stages, *owners;
	size_t nstages, nowners;
	double *new_contacts;	/* per bucket */
	int64_t new_total;
	const char *month[12];
	int64_t month_n[12];
	int64_t merges_period, merges_total, merges_undone;
	struct run *runs;	/* the audit, by program */
	size_t nruns;

	/* interactions */
	int64_t inter_total, purchases_total, tickets_opened;
	size_t nchan;
	const char **chan;	/* by volume, with "other channels" last */
	double **chan_n;	/* [nchan][nb] */
	int64_t *chan_total;
	double *purchases;	/* per bucket */
	double *outbound;	/* sends (direction out), per bucket; not in
				   chan_n */
	int64_t out_total;
	size_t ncurr;
	const char **curr;	/* "(none)" for NULL */
	double **revenue;	/* [ncurr][nb] */
	double *curr_total;
	struct chan_stat *stats;	/* crm_log_stats over the period */
	size_t nstats;
	struct ticket_stat *tickets;	/* crm_log_tickets over the period */
	size_t ntickets;
	struct named *backlog;	/* open tickets at the end, per channel */
	/* crm-ticket's service levels over tickets opened in the period */
	int has_service;
	struct crm_service_row service;
	struct named *overdue;	/* crm-task: overdue tasks per owner */
	size_t noverdue, overdue_alloc;
	int64_t overdue_total;
	size_t nbacklog;
	int64_t backlog_total, backlog_oldest;

	/* segments */
	size_t nwho;
	struct who *who;
	const char *segnames[MAXSEGS];
	size_t nsegnames;
	struct seg *segs;	/* by revenue, as crm-segment profit */
	size_t nsegs;
	int64_t buyers;
	double revenue_total;
	struct decile dec[10];
	const char *seg_note;	/* why there are no segments (currencies) */
	/* movement */
	int state_status;	/* 0 none, 1 compared, 2 no file yet,
				   3 file is for a later day, 4 same day
				   without an older one */
	char base_day[11];	/* the day compared with */
	char file_day[11], file_prev[11];
	size_t nbase;
	int64_t *base_id;
	uint8_t *base_seg;	/* index in segnames */
	struct flow *flows;
	size_t nflows;
	int64_t moved, stayed, joined, left;
	int64_t *seg_before;	/* per segnames index */

	/* the whale curve (report-whale.c): customers by profit */
	int64_t whale_n, whale_pos, whale_neg;	/* all, profit > 0, < 0 */
	int64_t whale_other;	/* rows in other currencies, left out */
	double whale_gain, whale_loss, whale_total;
	double whale_cum[WHALE_STEPS + 1];	/* after the top k/20 */
	int whale_costs;	/* costs known: profit, else revenue */
	int whale_from_rfm;	/* no costs: from the RFM rows' revenue */
	const char *whale_currency;	/* "" none */
	const char *whale_note;	/* why no curve (a rate missing) */

	/* churn and value */
	int64_t scored, no_clv;
	int64_t horizon, scored_at;
	const char *model;
	int64_t palive_hist[10];
	struct valdec vdec[10];
	double at_risk;
	int64_t at_risk_n;
	struct risky *risky;
	size_t nrisky;

	/* campaigns */
	struct campaign *camps;
	size_t ncamps;
	int64_t camps_other;	/* sent before the period or not sent */

	/* sales: deals and accounts (0 rows in the table: no section) */
	int64_t deals_n, accounts_n;
	struct pipe_stage *pipe;
	size_t npipe, pipe_alloc;
	struct fc_month *fc;
	size_t nfc, fc_alloc;
	struct acc_row *top_acc, *risk_acc;	/* MAXACCOUNTS each */
	size_t ntop_acc, nrisk_acc;
	int acc_mixed;		/* revenue in several currencies */
	const char *risk_note;	/* why no risk table (no scores) */
	struct partner *partners;	/* by revenue, at most MAXPARTNERS */
	size_t npartners;
	int64_t partners_all;	/* partners in the table */
	int partner_deals;	/* a deals table: won, lost, win rate */

	/* --owner: the owner's contacts, by id (NULL: every contact) */
	int64_t *own_ids;
	size_t nown;

	/* what changed */
	struct window win[3];
	double fig[NFIG][3];	/* [figure][window] */
	struct curr_win *cwin;
	size_t ncwin;
};

/* The pool (report-pool.c): zeroed memory that lives as long as r;
 * NULL and err set on ENOMEM.  report_pdup(NULL) is NULL. */
void *report_palloc(struct crm_report *r, size_t n, struct crm_error *err);
void *report_parray(struct crm_report *r, size_t n, size_t size,
    struct crm_error *err);
char *report_pdup(struct crm_report *r, const char *s, struct crm_error *err);
int report_pgrow(struct crm_report *r, void **v, size_t n, size_t *alloc,
    size_t size, struct crm_error *err);

/* The period (report-gather.c): the calendar month of t, as
 * year * 12 + month - 1, its first moment in *out; the first moment of
 * such a month; the bucket of time t in [start, end); n zeros from the
 * pool. */
int report_month_start(int64_t t, int64_t *out);
int64_t report_month_of(int ym);
size_t report_bucket(const struct crm_report *r, int64_t t);
double *report_zeros(struct crm_report *r, size_t n, struct crm_error *err);

/* Add k to the entry called name of a growing list (report-contacts.c). */
int report_tally(struct crm_report *r, struct named **list, size_t *n,
    size_t *alloc, const char *name, int64_t k, struct crm_error *err);

/* 1 when contact id counts: no --owner, or the owner's contact
 * (report-gather.c). */
int report_owned(const struct crm_report *r, int64_t id);
/* Bind parameter i of st to the owner's name, or NULL without one. */
int report_bind_owner(const struct crm_report *r, struct crm_db *db,
    struct crm_stmt *st, int i, struct crm_error *err);

/* The sections, each from db in its read transaction. */
int report_gather_contacts(struct crm_report *r, struct crm_db *db,
    struct crm_error *err);
int report_gather_interactions(struct crm_report *r, struct crm_db *db,
    struct crm_error *err);
int report_gather_tickets(struct crm_report *r, struct crm_db *db,
    struct crm_error *err);
int report_gather_service(struct crm_report *r, struct crm_db *db,
    struct crm_error *err);
int report_gather_segments(struct crm_report *r, struct crm_db *db,
    struct crm_error *err);
int report_gather_churn(struct crm_report *r, struct crm_db *db,
    struct crm_error *err);
int report_gather_campaigns(struct crm_report *r, struct crm_db *db,
    struct crm_error *err);
/* The whale curve (report-whale.c), and its sentence into out. */
int report_gather_whale(struct crm_report *r, struct crm_db *db,
    struct crm_error *err);
/* Without products or costs, after the segments: from their rows. */
void report_whale_rfm(struct crm_report *r, struct crm_error *err);
const char *report_whale_sentence(const struct crm_report *r, char *out,
    size_t n);
/* Deals and accounts (report-sales.c), after the read transaction:
 * the account roll-ups open their own. */
int report_gather_sales(struct crm_report *r, struct crm_db *db,
    struct crm_error *err);
/* The earlier periods (report-change.c); then, once every section is
 * in, this period's figures from them. */
int report_gather_change(struct crm_report *r, struct crm_db *db,
    struct crm_error *err);
void report_change_finish(struct crm_report *r);
/* The summary's lines, at most max, by rules from the figures. */
size_t report_summary_lines(const struct crm_report *r,
    struct report_line *l, size_t max);

/* The index of segment name in r->segnames, added if new (report-value.c). */
int report_seg_index(struct crm_report *r, const char *name,
    struct crm_error *err);

/* The previous snapshot (r->o.state) and the movement since
 * (report-state.c). */
int report_read_state(struct crm_report *r, struct crm_error *err);
int report_movement(struct crm_report *r, struct crm_error *err);

/* Numbers as people read them (report-fmt.c): into out, which is
 * returned; "" for NaN. */
const char *report_grouped(char out[48], const char *s);
const char *report_fint(char out[48], int64_t v);
const char *report_fmoney(char out[48], double v);
const char *report_fnum(char out[48], double v, int decimals);
const char *report_fpct(char out[48], double share);
double report_ratio(int64_t a, int64_t b);
const char *report_unit_name(const struct crm_report *r);
const char *report_flow_name(const struct crm_report *r, int i);
/* A segment's colour, pinned by its name (report-html-value.c). */
const char *report_seg_colour(const char *name);
/* A change from was to now: "up 12 (+8.3%)", "down 3.50 (-2.0%)",
 * "up 4 (from none)", "unchanged". */
const char *report_fchange(char out[64], double now, double was,
    int money);
/* What figure f counts, for a card or a sentence ("revenue in EUR"). */
const char *report_fig_name(char out[48], const struct crm_report *r,
    int f);

/* What an owner's report (--owner) filters and what it keeps whole. */
extern const char report_owner_scope[];

/* The HTML page being written (report-html.c); a write error is noted
 * in failed and err, and the rest is skipped. */
struct report_html {
	FILE *fp;
	const struct crm_report *r;
	struct crm_error *err;
	int failed;
	int charted;		/* a chart came last: fold the next table */
	int folded;		/* a table is open inside <details> */
};

struct crm_chart;

/* Text, escaped for HTML. */
void report_html_esc(struct report_html *h, const char *s);
/* printf to the page; the arguments must not need escaping. */
void report_html_hp(struct report_html *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A sentence where a section has no data. */
void report_html_nodata(struct report_html *h, const char *text);
void report_html_chart(struct report_html *h, const struct crm_chart *c);
void report_html_caption(struct report_html *h, const char *text);
/* A table head: names starting with '#' are numeric columns. */
void report_html_thead(struct report_html *h, const char *id,
    const char *const *names, size_t n);
void report_html_tend(struct report_html *h);
/* A row: the first cell a header of the row, the others numbers. */
void report_html_trow(struct report_html *h, const char *label,
    const char *const *cells, size_t n);
/* A headline card: a value and what it counts. */
void report_html_kpi(struct report_html *h, const char *value,
    const char *what);

/* The sections of report-html-value.c. */
void report_html_movement(struct report_html *h);
void report_html_segments(struct report_html *h);
void report_html_churn(struct report_html *h);
void report_html_campaigns(struct report_html *h);
void report_html_whale(struct report_html *h);
void report_html_pipeline(struct report_html *h);
void report_html_accounts(struct report_html *h);

#endif
