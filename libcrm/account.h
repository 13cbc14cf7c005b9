/*
 * account.h - accounts (companies) with their people, their hierarchy
 * and the partners who bring business.
 *
 * An account is a company: a name, a domain, industry, size, country,
 * owner, a type, a parent account (subsidiaries roll up into it) and
 * attributes (a JSON object, as contacts have).  Its matching key,
 * name_key, is the name folded (accents, case, punctuation: see
 * crm_norm_fold()) with legal-form words dropped from the end ("Acme
 * Ltd", "ACME Limited" and "Acme, Inc." all give "acme"; see
 * crm_account_name_key()).  A partner is an account whose type is
 * reseller, agency, referrer or affiliate.
 *
 * People belong to accounts through employment rows (account_contacts):
 * an account, a contact, a role and a title, and the time the person
 * started and ended there.  A contact has at most one current employment
 * (ended_at NULL); moving to another account ends the current row, so a
 * person who changes company keeps the old row, and the purchases made
 * while there keep counting for the old account.
 *
 * A sole trader's account is an account that is one person: its
 * person_id names that contact (the "person" column of an import).  As
 * person_id refers to contacts, crm-forget erases the account with the
 * person, and crm-export --subject includes it; any other account is
 * kept when one of its people is erased (only their employment rows go).
 *
 * Every function that writes runs inside the caller's transaction.
 */
#ifndef CRM_ACCOUNT_H
#define CRM_ACCOUNT_H

#include <stdint.h>

#include "buf.h"
#include "csvio.h"
#include "db.h"
#include "error.h"
#include "interaction.h"
#include "segment.h"

/* The tables: accounts, account_contacts, contact_partners, account_merges
 * (one migration in db-schema.c). */
extern const char crm_account_schema[];

/*
 * Keys.  crm_account_name_key() appends the matching key of a company
 * name to out (possibly empty for a name of legal-form words only: then
 * the folded name is kept).  crm_account_domain() appends a normalised
 * domain: scheme, "www.", port, path and a trailing dot dropped, lower
 * case, at least two labels of letters, digits and hyphens (CRM_EDATA
 * otherwise); an email address gives its domain.
 */
int crm_account_name_key(const char *name, struct crm_buf *out,
    struct crm_error *err);
int crm_account_domain(const char *in, struct crm_buf *out,
    struct crm_error *err);

/* 1 if domain (normalised) is a free-mail provider's (see crm-account(1)). */
int crm_account_freemail(const char *domain);

/*
 * Find an account by a key as a person types it: "#12" is an id; then an
 * external_id; then a domain; then a name (by name_key).  Follows merges
 * to the survivor.  CRM_EDATA if none or several match.
 */
int crm_account_resolve(struct crm_db *db, const char *key, int64_t *id,
    struct crm_error *err);

/* The account an id stands for: itself, or the survivor of its merges. */
int crm_account_root(struct crm_db *db, int64_t id, int64_t *root,
    struct crm_error *err);

/* 1 if path is read as JSON lines: json set, or named *.json, *.jsonl. */
int crm_account_json_input(const char *path, int json);
/* 1 if one of the argc files in argv (none: "-") is read as JSON lines. */
int crm_account_json_inputs(int argc, char *const *argv, int json);

/* A share in (0, 1] ("0.9") into *v; CRM_EUSAGE otherwise. */
int crm_account_share(const char *s, double *v, struct crm_error *err);

/* Import of accounts (CSV, TSV through crm_csv; JSON lines). */

struct crm_account_stats {
	int64_t read, inserted, updated, unchanged, rejected;
};

struct crm_account_importer;

struct crm_account_importer *crm_account_importer_new(struct crm_db *db,
    struct crm_error *err);
void crm_account_importer_free(struct crm_account_importer *imp);
int crm_account_importer_header(struct crm_account_importer *imp,
    struct crm_csv *r, struct crm_error *err);
/* Upsert r's current record; CRM_EDATA concerns this record only. */
int crm_account_importer_row(struct crm_account_importer *imp,
    struct crm_csv *r, struct crm_error *err);
/*
 * Import a JSON lines file (one object per line, keys as CSV columns):
 * every line or nothing (CRM_EDATA with file:line on a bad one).
 */
int crm_account_importer_json(struct crm_account_importer *imp,
    const char *path, struct crm_error *err);
/*
 * After the last record: set the parents and partners named by key
 * (they may come later in the input) and refuse a cycle of parents.
 */
int crm_account_importer_finish(struct crm_account_importer *imp,
    struct crm_error *err);
const struct crm_account_stats *crm_account_importer_stats(
    const struct crm_account_importer *imp);

/*
 * Linking contacts to accounts.  A file names the contact (external_id,
 * email or contact: a key as crm_contact_resolve() takes) and the
 * account (account: a key as crm_account_resolve() takes), with role,
 * title, since (a date: when the person started there) and partner (the
 * partner that sourced the contact).  A contact file for crm-add with an
 * account column does.
 */
struct crm_link_stats {
	int64_t read, linked, moved, updated, unchanged, rejected;
	int64_t skipped;	/* by domain: free mail, no or 2+ accounts */
};

struct crm_account_linker;

struct crm_account_linker *crm_account_linker_new(struct crm_db *db,
    struct crm_error *err);
void crm_account_linker_free(struct crm_account_linker *l);
int crm_account_linker_header(struct crm_account_linker *l,
    struct crm_csv *r, struct crm_error *err);
int crm_account_linker_row(struct crm_account_linker *l, struct crm_csv *r,
    struct crm_error *err);
const struct crm_link_stats *crm_account_linker_stats(
    const struct crm_account_linker *l);

/*
 * Link every contact with no current employment whose email domain (or a
 * parent domain of it: sales.acme.com, then acme.com) is the domain of
 * exactly one account; free-mail domains are skipped.  Counts into the
 * linker's stats.
 */
int crm_account_link_domains(struct crm_account_linker *l,
    struct crm_error *err);

/*
 * Duplicates: pairs of accounts (not merged away) with the same domain,
 * the same name_key, or names whose keys share their first word and have
 * a Jaro-Winkler similarity of at least min_score.  One row per pair:
 * survivor_id (the lower id), merged_id, both names, score (1 for the
 * same domain or key) and reason (domain, name, similar name).
 */
int crm_account_dupes(struct crm_db *db, double min_score, struct crm_out *o,
    int64_t *npairs, struct crm_error *err);

/*
 * Merge account merged into survivor: the survivor's empty fields are
 * filled from the merged one (attributes too, the survivor's winning),
 * its people, subsidiaries, sourced accounts and contacts move over, and
 * the merged account keeps its row with merged_into set.  Logged in
 * account_merges with what it changed; *merge_id gets its id.
 */
int crm_account_merge(struct crm_db *db, int64_t survivor, int64_t merged,
    int64_t *merge_id, struct crm_error *err);

/* 1 if one of accounts a and b is above the other, 0 if not, -1 on error. */
int crm_account_related(struct crm_db *db, int64_t a, int64_t b,
    struct crm_error *err);

/*
 * Undo the latest merge of account merged (restoring the survivor's
 * fields and moving back what moved).  *merge_id gets the merge undone
 * and *survivor the account it had been merged into.  Returns 1, with
 * the reason in err and nothing changed, while a later merge into the
 * same survivor is in place (undo that one first).
 */
int crm_account_unmerge(struct crm_db *db, int64_t merged, int64_t *merge_id,
    int64_t *survivor, struct crm_error *err);

/*
 * Merging as crm-account runs it, with one row per merge or undo written
 * to o under the header crm_account_merge_header() writes: merge_id,
 * survivor_id, merged_id.  Accounts are given as ids ("7", "#7"); a
 * survivor may be any key crm_account_resolve() takes.
 *
 * crm_account_merge_pairs() reads r, a file as crm_account_dupes()
 * writes it (survivor_id, merged_id and an optional merge column: no
 * skips the pair).  Pairs that share an account make a cluster, merged
 * into its oldest account; two accounts that a pair joins only through a
 * third and that are in one hierarchy are left apart (counted in apart).
 * crm_account_merge_list() merges keys[1] into keys[0], keys[3] into
 * keys[2], ...  crm_account_unmerge_list() undoes the latest merge of
 * each merged account in keys, newest first whatever the order given.
 */
struct crm_account_merge_stats {
	int64_t merged, undone, skipped, apart;
};

int crm_account_merge_header(struct crm_out *o, struct crm_error *err);
int crm_account_merge_pairs(struct crm_db *db, struct crm_csv *r,
    struct crm_out *o, struct crm_account_merge_stats *st,
    struct crm_error *err);
int crm_account_merge_list(struct crm_db *db, char *const *keys, int n,
    struct crm_out *o, struct crm_account_merge_stats *st,
    struct crm_error *err);
int crm_account_unmerge_list(struct crm_db *db, char *const *keys, int n,
    struct crm_out *o, struct crm_account_merge_stats *st,
    struct crm_error *err);
/*
 * The header, then: with undo, the unmerge of keys; else the pairs of the
 * file input (tsv: TSV) or, with no input, the merge of keys.
 */
int crm_account_merge_run(struct crm_db *db, int undo, const char *input,
    int tsv, char *const *keys, int n, struct crm_out *o,
    struct crm_account_merge_stats *st, struct crm_error *err);

/*
 * Roll-ups.  For every account (not merged away): its own figures (from
 * the people employed there at the time of each purchase) and the same
 * over its whole subtree (the account and every subsidiary, at any
 * depth).  Purchases are interactions of kind "purchase" up to asof (0:
 * all).  open_deals is -1 when the database has no deals table.
 */
struct crm_account_total {
	int64_t id, parent_id;	/* parent_id 0 for a top account */
	const char *external_id, *name, *type;
	int depth;			/* 0 for a top account */
	int64_t contacts, purchases;	/* own */
	double revenue;
	int64_t last_purchase;		/* UTC seconds, 0 for none */
	int64_t contacts_all, purchases_all;	/* with subsidiaries */
	double revenue_all;
	int64_t last_all;
	int64_t open_deals, open_deals_all;
	double open_value, open_value_all;
};

int crm_account_rollup_each(struct crm_db *db, int64_t asof,
    int (*fn)(void *arg, const struct crm_account_total *t,
    struct crm_error *err), void *arg, struct crm_error *err);
int crm_account_rollup(struct crm_db *db, int64_t asof, struct crm_out *o,
    struct crm_error *err);

/*
 * RFM per account over the rolled-up figures (subsidiaries included):
 * recency in days from the day of the last purchase to the as-of day,
 * frequency and monetary the subtree's purchases and revenue, each
 * scored 1..5 by quintile and named by map as crm_rfm() does for
 * contacts.  roots: only top accounts take part.  Rows: id,
 * external_id, name, recency, frequency, monetary, r, f, m, rfm, segment.
 */
int crm_account_rfm(struct crm_db *db, const struct crm_rfm_opts *opts,
    int roots, struct crm_out *o, struct crm_error *err);

/*
 * Churn at account level, from the churn scores crm-churn score stored
 * for the people (P(alive), expected purchases, CLV).  For every account
 * (not merged away), over the people working there now (erased and
 * merged-away contacts left out) who have a score, and with the
 * hierarchy rolled up (own: the account's own people only):
 *
 *	p_alive          the mean of the buyers' P(alive), each weighted by
 *	                 the revenue of the purchases they made while at the
 *	                 account (equal weights when none made any there);
 *	                 NAN with no scored buyer
 *	revenue_at_risk  the sum of that revenue times (1 - P(alive))
 *	status           "at risk" when p_alive < threshold, "active",
 *	                 or "no buyers"
 *
 * A buyer who left the account no longer counts for it: an account whose
 * buyers have all moved on has "no buyers" (its revenue stays, as in the
 * roll-up).  CRM_EDATA when no scores are stored.
 */
struct crm_account_churn_opts {
	double threshold;	/* at risk below this P(alive); 0.5 */
	int own;		/* own people only, not the subtree */
	int at_risk_only;	/* only the accounts at risk */
};

struct crm_account_churn {
	int64_t id, parent_id;		/* parent_id 0 for a top account */
	const char *external_id, *name;
	int depth;
	int64_t people, buyers;
	double p_alive;
	double expected_purchases, clv, revenue, revenue_at_risk;
	const char *status;
};

int crm_account_churn_each(struct crm_db *db,
    const struct crm_account_churn_opts *opts,
    int (*fn)(void *arg, const struct crm_account_churn *row,
    struct crm_error *err), void *arg, struct crm_error *err);
/* Rows: id, external_id, name, parent_id, depth, people, buyers, p_alive,
 * churn_probability, expected_purchases, clv, revenue, revenue_at_risk,
 * status. */
int crm_account_churn(struct crm_db *db,
    const struct crm_account_churn_opts *opts, struct crm_out *o,
    struct crm_error *err);

/*
 * Partner report: for each partner, the accounts it sourced, the
 * contacts it brought (a contact's own partner, else the partner of the
 * account the contact works at, else of its nearest parent with one),
 * how many of them bought (customers) and their revenue; with a deals
 * table, deals won and lost and the win rate.
 */
int crm_account_partners(struct crm_db *db, struct crm_out *o,
    struct crm_error *err);

/*
 * The same as numbers: one row per partner (an account of type reseller,
 * agency, referrer or affiliate), in account id order, handed to fn and
 * valid during the call only.  revenue adds the customers' purchase
 * amounts as stored, whatever their currency.  *has_deals (when not
 * NULL) is set before the first row: 1 with a deals table, when won,
 * lost, win_rate (won / (won + lost), NAN with no closed deal) and
 * won_value count.  fn returning non-zero stops the walk and is
 * returned.  Reads in its own read transaction.
 */
struct crm_account_partner {
	int64_t id;
	const char *external_id, *name, *type;
	int64_t accounts, contacts, customers;
	double revenue;
	int has_deals;
	int64_t won, lost;
	double win_rate, won_value;
};

int crm_account_partners_each(struct crm_db *db, int *has_deals,
    int (*fn)(void *arg, const struct crm_account_partner *row,
    struct crm_error *err), void *arg, struct crm_error *err);

/* Export: columns comma-separated (NULL: all); filters may be NULL. */
struct crm_account_filter {
	const char *type;	/* a type, or "partner" for the four kinds */
	const char *owner;
	const char *country;
	int include_merged;
};
extern const char crm_account_columns[];
int crm_account_export(struct crm_db *db, struct crm_out *o,
    const char *columns, const struct crm_account_filter *f, int64_t *count,
    struct crm_error *err);

/*
 * People, for a campaign (crm-campaign create reads the id column) or a
 * look at who we know: the contacts working now at account id or one of
 * its subsidiaries; with partner, the contacts partner id brought (as
 * crm_account_partners() counts them).  Rows: id, external_id, email,
 * first_name, last_name, account_id, account, role, title, since,
 * ordered by contact id.
 */
int crm_account_people(struct crm_db *db, int64_t id, int partner,
    struct crm_out *o, struct crm_error *err);

/*
 * The combined timeline of an account's people (and of its subsidiaries'),
 * newest first, filtered as crm_log_show() filters a contact's: each
 * interaction made while the person worked there, with the account, the
 * contact (email, else external_id, else #id) and the person's title.
 */
int crm_account_show(struct crm_db *db, int64_t id,
    const struct crm_log_filter *f, struct crm_out *o,
    struct crm_error *err);

/*
 * The reports as crm-account runs them, by name: dupes, rollup (to the
 * end of the as-of day), rfm, churn, partners, export, people and show
 * (of the account key names).  n gets the pairs (dupes) or accounts
 * (export) written.
 */
struct crm_account_report_opts {
	const char *what;
	const char *key;		/* people, show */
	int64_t asof;			/* rollup, rfm; 0 now */
	int64_t limit;			/* show */
	int roots, partner;		/* rfm, people */
	double score;			/* dupes */
	const char *columns;		/* export */
	struct crm_account_filter filter;
	struct crm_account_churn_opts churn;
	int64_t n;
};

int crm_account_report(struct crm_db *db, struct crm_account_report_opts *r,
    struct crm_out *o, struct crm_error *err);
/* 1 for the reports that read whole tables (rollup, rfm, churn,
 * partners): crm_db_bulk() before opening the database helps them. */
int crm_account_report_bulk(const char *what);

#endif
