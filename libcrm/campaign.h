/*
 * campaign.h - targeted campaigns: selection with suppression, a control
 * group held out, the mail-merge list, the send, and the measured uplift.
 *
 * A campaign has a name (letters, digits, '.', '_' and '-', at most 64
 * bytes), a channel (email, sms, phone or mail), an optional purpose and a
 * state: draft when created, sent once crm_campaign_send() has run, closed
 * when crm_campaign_close() ends it.  Its members (campaign_members) are
 * the selected contacts, each in one group:
 *
 *	target      receives the campaign
 *	control     held out at random, never exported or sent; the baseline
 *	suppressed  left out, with the reason (see crm_campaign_reasons)
 *
 * Selection is set-based: the targets are staged in a temporary table
 * (crm_campaign_targets_*), resolved to contacts with joins, and the
 * members written by one INSERT ... SELECT whose suppression reason is a
 * CASE expression; the holdout is an SQL function, registered on the
 * connection, over a keyed hash of campaign name and contact id.
 *
 * Nothing here begins or commits a transaction: crm_campaign_create(),
 * crm_campaign_send() and crm_campaign_close() must run inside the
 * caller's crm_db_begin(), and the staging of targets before it (it
 * writes only to the temporary database, so it takes no lock on the
 * crm database while a pipe is read).
 *
 * Errors: CRM_EUSAGE for an unknown campaign or segment and for bad option
 * values, CRM_EDATA for bad input (an unknown contact, a bad id, a
 * template that does not parse), CRM_EFAIL for a campaign in the wrong
 * state (re-creating a sent one, sending a closed one, reporting an unsent
 * one) and for database failures.
 */
#ifndef CRM_CAMPAIGN_H
#define CRM_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>

#include "csvio.h"
#include "db.h"
#include "error.h"
#include "stats.h"

/*
 * The suppression reasons, in the order they are tested; a contact that
 * fails several is recorded with the first:
 *
 *	merged           a merged-away record; its survivor takes its place
 *	                 in the candidate list (once) and is judged itself
 *	erased           erased at the contact's request
 *	do_not_contact   marked do-not-contact
 *	no_consent       no opt-in for the channel (NULL counts as none)
 *	no_address       no email, no phone, or no street, city and postcode
 *	invalid_address  sms and phone need E.164 (+ and 6 to 15 digits),
 *	                 sms a mobile (phone_type mobile or
 *	                 fixed_line_or_mobile, see phone.h);
 *	                 an email needs one '@' with text either side
 *	other_campaign   target or control of another campaign not closed
 *	                 (unless allow_overlap)
 *	frequency_cap    already max_contacts outbound interactions, on any
 *	                 channel, in the per_days days up to now
 */
enum {
	CRM_CAMPAIGN_MERGED,
	CRM_CAMPAIGN_ERASED,
	CRM_CAMPAIGN_DNC,
	CRM_CAMPAIGN_NO_CONSENT,
	CRM_CAMPAIGN_NO_ADDRESS,
	CRM_CAMPAIGN_INVALID_ADDRESS,
	CRM_CAMPAIGN_OTHER_CAMPAIGN,
	CRM_CAMPAIGN_FREQUENCY_CAP,
	CRM_CAMPAIGN_NREASONS
};

/* The reasons' names as stored in campaign_members.reason. */
extern const char *const crm_campaign_reasons[CRM_CAMPAIGN_NREASONS];

/*
 * Checkers for option values: the canonical static string, or NULL.
 * Channels: email, sms, phone, mail (those with a consent column).
 * Purposes: cross-sell, up-sell, retention, acquisition.
 */
const char *crm_campaign_channel(const char *s);
const char *crm_campaign_purpose(const char *s);

/* CRM_EUSAGE unless name is a valid campaign name. */
int crm_campaign_check_name(const char *name, struct crm_error *err);

/*
 * A holdout share: "10%" or "12.5%" (percent), or "0.1" (a fraction);
 * from 0 up to, not including, 1.  CRM_EUSAGE otherwise.
 */
int crm_campaign_share(const char *s, double *share, struct crm_error *err);

/*
 * CRM_EUSAGE ("--kind: ...") unless kind is a word of lower-case letters,
 * digits, '_' and '-', as interaction kinds are stored.
 */
int crm_campaign_check_kind(const char *kind, struct crm_error *err);

/*
 * The keyed hash behind the holdout: SipHash-2-4 of the contact id (8
 * bytes, little-endian), keyed by 128 bits derived from the campaign name
 * by SipHash under a fixed key.  The same name and id give the same value
 * on every machine, so re-creating a campaign gives the same split, and
 * another campaign name gives an independent one.  A contact goes to
 * control when (hash >> 11) / 2^53, uniform in [0, 1), is below the
 * share.  crm_siphash24() is the plain function (key k[16], RFC-style).
 */
uint64_t crm_siphash24(const unsigned char k[16], const void *msg,
    size_t len);
uint64_t crm_campaign_hash(const char *name, int64_t id);

/* Targets read from CSV, staged before the selection. */
struct crm_campaign_targets;

struct crm_campaign_targets *crm_campaign_targets_new(struct crm_db *db,
    struct crm_error *err);
void crm_campaign_targets_free(struct crm_campaign_targets *t);

/*
 * Map r's header: the contact is named by a column id (alias contact_id),
 * external_id or email, looked for by header in that order on each record
 * (the first non-empty one wins); a column segment (aliases segment_name,
 * rfm_segment, stratum) gives the stratum for a stratified holdout.  Other
 * columns are ignored, so crm-export and crm-segment output reads as is.
 * CRM_EDATA when there is no key column.
 */
int crm_campaign_targets_header(struct crm_campaign_targets *t,
    struct crm_csv *r, struct crm_error *err);

/* Stage r's current record; CRM_EDATA with file:line for a bad one. */
int crm_campaign_targets_row(struct crm_campaign_targets *t,
    struct crm_csv *r, struct crm_error *err);

/*
 * End the staging (commit the temporary table); call it after the last
 * record and before crm_db_begin().
 */
int crm_campaign_targets_end(struct crm_campaign_targets *t,
    struct crm_error *err);

/* Records staged so far. */
int64_t crm_campaign_targets_count(const struct crm_campaign_targets *t);

struct crm_campaign_opts {
	const char *name;
	const char *channel;	/* from crm_campaign_channel() */
	const char *purpose;	/* from crm_campaign_purpose(), or NULL */
	const char *segment;	/* a saved segment, or NULL for targets */
	double holdout;		/* share held out as control, [0, 1) */
	int stratify;		/* exact share per stratum, see below */
	int64_t max_contacts;	/* frequency cap; 0 for none */
	int64_t per_days;	/* its window in days */
	int allow_overlap;	/* skip the other_campaign check */
	int per_household;	/* one target or control per household */
	int64_t now;		/* the time of the selection */
};

/*
 * o->channel and o->purpose from an option's value, as the checkers
 * above; CRM_EUSAGE ("--channel: ...", "--purpose: ...") naming the
 * values allowed.
 */
int crm_campaign_set_channel(struct crm_campaign_opts *o, const char *s,
    struct crm_error *err);
int crm_campaign_set_purpose(struct crm_campaign_opts *o, const char *s,
    struct crm_error *err);

struct crm_campaign_counts {
	int64_t read;		/* target records read (0 with a segment) */
	int64_t members;	/* candidates, survivors of merges included */
	int64_t target, control, suppressed;
	int64_t reason[CRM_CAMPAIGN_NREASONS];
	int64_t household;	/* suppressed: another of the household */
	int rebuilt;		/* a draft of that name was replaced */
};

/*
 * Create campaign o->name from the staged targets t, or from the members
 * of saved segment o->segment (t NULL).  A draft of the same name is
 * rebuilt (its members replaced): with the same input it comes out the
 * same.  A sent or closed one is CRM_EFAIL.  A target that names no
 * contact, or an email shared by several, is CRM_EDATA with file:line.
 *
 * The holdout: without stratify, each eligible contact is control when
 * its hash value is below the share (independent draws: the control group
 * is about share of the eligible, and a contact's group does not depend on
 * who else is in the list).  With stratify, within each stratum (the
 * segment column of the input, else the set of saved segments the contact
 * belongs to) the eligible are ordered by hash value and the k-th is
 * control when floor(k * share + u) > floor((k - 1) * share + u), u being
 * the stratum's own hash value: every stratum gets floor(n * share + u)
 * controls, n * share on average, exactly in proportion up to rounding.
 *
 * With per_household, of the members not suppressed who live at one
 * address (crm_household_each()), the lowest contact id stays and the
 * others are suppressed with the reason "household" (one piece of direct
 * mail per household), after the holdout.
 */
int crm_campaign_create(struct crm_db *db, const struct crm_campaign_opts *o,
    struct crm_campaign_targets *t, struct crm_campaign_counts *c,
    struct crm_error *err);

/* Write the suppressed members of campaign name (id, external_id, reason)
 * to out, by contact id. */
int crm_campaign_suppressed(struct crm_db *db, const char *name,
    struct crm_out *out, struct crm_error *err);

/*
 * A mail-merge template: text with {{field}} placeholders (blanks inside
 * the braces allowed).  A field is a contact column (id, external_id,
 * first_name, last_name, email, phone, company, street, city, postcode,
 * country, birth_date, stage, owner), campaign, channel or purpose, or
 * else an attribute (attr.NAME, or NAME alone), names matched without
 * regard to case.  At most 1 MiB of UTF-8; an unclosed "{{" or a name
 * that is not letters, digits, '_', '-' and '.' is CRM_EDATA naming the
 * file and line.
 */
struct crm_campaign_template;

struct crm_campaign_template *crm_campaign_template_load(const char *path,
    struct crm_error *err);
void crm_campaign_template_free(struct crm_campaign_template *tp);

/*
 * Placeholders that rendered empty (the field was missing or empty for
 * that contact), per field: the i-th distinct field's name and count, for
 * i below crm_campaign_template_nfields(); *total gets the sum.
 */
size_t crm_campaign_template_nfields(const struct crm_campaign_template *tp);
const char *crm_campaign_template_missing(
    const struct crm_campaign_template *tp, size_t i, int64_t *count);

struct crm_campaign_export_stats {
	int64_t rows;		/* written */
	int64_t skipped;	/* targets no longer eligible */
	int64_t missing;	/* placeholders rendered empty */
	int64_t duplicates;	/* an address already written (lower id) */
};

/*
 * Write the mail-merge list of campaign name: its target group only (never
 * control), ordered by contact id, with the columns of its channel:
 *
 *	email       id, external_id, first_name, last_name, email
 *	sms, phone  id, external_id, first_name, last_name, phone
 *	mail        id, external_id, first_name, last_name, company, street,
 *	            city, postcode, country
 *
 * and, with a template (tp not NULL), a column message.  Targets that have
 * since become ineligible (merged, erased, do-not-contact, consent
 * withdrawn, address gone) are skipped and counted, and so is a target
 * whose address (email, phone, or street, city, postcode and country,
 * compared without regard to case) a target of a lower id has already:
 * each address gets one message.
 */
int crm_campaign_export(struct crm_db *db, const char *name,
    struct crm_campaign_template *tp, struct crm_out *out,
    struct crm_campaign_export_stats *st, struct crm_error *err);

struct crm_campaign_send_stats {
	int64_t sent;		/* interactions recorded by this run */
	int64_t already;	/* targets sent by an earlier run */
	int64_t skipped;	/* targets no longer eligible, not sent */
};

/*
 * Record the send: every eligible target not yet sent gets an outbound
 * interaction (channel of the campaign, kind "campaign", campaign name,
 * ref "campaign:NAME:ID", source "crm-campaign", at now) and its sent_at;
 * the campaign becomes sent (sent_at the first send).  Running it again
 * adds nothing for targets already sent.  A closed campaign is CRM_EFAIL.
 */
int crm_campaign_send(struct crm_db *db, const char *name, int64_t now,
    struct crm_campaign_send_stats *st, struct crm_error *err);

/* End campaign name: state closed, so its members are free for others.
 * *was gets the state it had ("closed" if nothing changed). */
int crm_campaign_close(struct crm_db *db, const char *name, const char **was,
    struct crm_error *err);

/* A group of a campaign as measured: its members (everyone assigned,
 * sent or not), those sent to, those who responded, their responses'
 * amounts: revenue when they are in one currency (or converted to the
 * one asked for), NAN when in several (see the result's cur). */
struct crm_campaign_group {
	int64_t contacts, sent, responders;
	double revenue;
};

/* The most currencies a campaign's responses may be in, unconverted. */
#define CRM_CAMPAIGN_MAXCUR 16

/* The responses' amounts in one currency: target's and control's. */
struct crm_campaign_revenue {
	char currency[4];	/* "" for amounts recorded without one */
	double target, control;
};

struct crm_campaign_result {
	int64_t sent_at;	/* the campaign's first send */
	int64_t window_end;	/* sent_at + window */
	struct crm_campaign_group target, control;
	int tested;		/* both groups have members: test is set */
	struct crm_stats_prop_test test;	/* target against control */
	int64_t suppressed[CRM_CAMPAIGN_NREASONS];	/* by reason */
	/* Revenue per currency, by code ("" first); with a currency asked
	 * for, one entry in it.  ncur 0: no response had an amount. */
	size_t ncur;
	struct crm_campaign_revenue cur[CRM_CAMPAIGN_MAXCUR];
};

/*
 * Measure campaign name: responses are interactions of kind (with the
 * contact's id, or its survivor's once merged) at or after the send and
 * before sent_at + window_days; the uplift is the two-proportion test of
 * the response rates (crm_stats_prop_test, 95%) when there is a control
 * group.  Revenue is never added up across currencies: it is kept per
 * currency (res->cur), unless currency is given (not NULL), when every
 * amount is converted to it at the rate of its day (rate.h; an amount
 * without a currency is taken to be in it).  An unsent campaign is
 * CRM_EFAIL; a missing rate is CRM_EDATA naming it, and so are
 * responses in more than CRM_CAMPAIGN_MAXCUR currencies.
 */
int crm_campaign_measure_in(struct crm_db *db, const char *name,
    int64_t window_days, const char *kind, const char *currency,
    struct crm_campaign_result *res, struct crm_error *err);

/* crm_campaign_measure_in() without a currency: per currency. */
int crm_campaign_measure(struct crm_db *db, const char *name,
    int64_t window_days, const char *kind, struct crm_campaign_result *res,
    struct crm_error *err);

/*
 * crm-campaign report's rows for res (columns group, reason, contacts,
 * sent, responders, response_rate, revenue, revenue_per_contact, uplift,
 * uplift_relative, ci_low, ci_high, z, p_value, interval, test,
 * currency):
 *
 *	target      the target group, with the uplift against control: rate
 *	            difference, relative difference, its 95% interval, z,
 *	            two-sided p-value and the methods used (res->test.interval
 *	            and .test), when there is a control group
 *	control     the control group
 *	suppressed  one row per reason (all reasons, zeros too)
 *
 * With revenue in several currencies, target and control have a row per
 * currency (res->cur's order), the counts and the test repeated on each.
 * Rates and test figures with six significant digits, money with the
 * currency's decimals (crm_currency_decimals()).
 */
int crm_campaign_report_write(struct crm_out *out,
    const struct crm_campaign_result *res, struct crm_error *err);

/* Every campaign, oldest first: name, channel, purpose, state, holdout,
 * segment, created_at, sent_at and the counts target, control, suppressed,
 * sent. */
int crm_campaign_list(struct crm_db *db, struct crm_out *out,
    struct crm_error *err);

#endif
