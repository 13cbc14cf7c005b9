/*
 * campaign-measure.c - a sent campaign measured: its groups' responders
 * and revenue, the uplift of target over control, the report's rows.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"
#include "campaign-int.h"
#include "num.h"
#include "rate.h"
#include "stats.h"

/* Report. */

/* ?1 campaign, ?2 kind, [?3, ?4) the window.  A merged-away member's
 * responses may have moved to its survivor: both count. */
#define SQL_RESPONSES(what) \
	"(SELECT " what " FROM interactions i" \
	" WHERE i.contact_id IN (m.contact_id, c.merged_into)" \
	" AND i.kind = ?2 AND i.at >= ?3 AND i.at < ?4)"

static const char sql_report[] =
    "SELECT grp, count(*), count(sent_at), sum(n > 0) FROM"
    " (SELECT m.grp, m.sent_at, " SQL_RESPONSES("count(*)") " AS n"
    "  FROM campaign_members m JOIN contacts c ON c.id = m.contact_id"
    "  WHERE m.campaign_id = ?1 AND m.grp <> 'suppressed') AS r"
    " GROUP BY grp";

/* The responses' amounts, one by one: each may need its day's rate. */
static const char sql_amounts[] =
    "SELECT m.grp, i.currency, i.amount, i.at"
    " FROM campaign_members m JOIN contacts c ON c.id = m.contact_id"
    " JOIN interactions i ON i.contact_id IN (m.contact_id, c.merged_into)"
    " WHERE m.campaign_id = ?1 AND m.grp <> 'suppressed'"
    " AND i.kind = ?2 AND i.at >= ?3 AND i.at < ?4"
    " AND i.amount IS NOT NULL";

enum { R_GROUP, R_REASON, R_CONTACTS, R_SENT, R_RESPONDERS, R_RATE,
    R_REVENUE, R_RPC, R_UPLIFT, R_RELATIVE, R_CI_LOW, R_CI_HIGH, R_Z,
    R_P, R_INTERVAL, R_TEST, R_CURRENCY, NR };

/* The entry of res->cur for currency code cur, kept in code order. */
static struct crm_campaign_revenue *
revenue_of(struct crm_campaign_result *res, const char *cur,
    struct crm_error *err)
{
	size_t i;
	int c = 1;

	for (i = 0; i < res->ncur; i++)
		if ((c = strcmp(res->cur[i].currency, cur)) >= 0)
			break;
	if (i < res->ncur && c == 0)
		return &res->cur[i];
	if (res->ncur == CRM_CAMPAIGN_MAXCUR) {
		crm_error_set(err, CRM_EDATA, "the responses are in more than"
		    " %d currencies: measure them in one (--currency)",
		    CRM_CAMPAIGN_MAXCUR);
		return NULL;
	}
	memmove(&res->cur[i + 1], &res->cur[i], (res->ncur - i) *
	    sizeof(res->cur[0]));
	res->ncur++;
	memset(&res->cur[i], 0, sizeof(res->cur[i]));
	snprintf(res->cur[i].currency, sizeof(res->cur[i].currency), "%s",
	    cur);
	return &res->cur[i];
}

/* Each group's revenue, per currency or converted to currency. */
static int
measure_revenue(struct crm_db *db, int64_t cid, const char *kind,
    const char *currency, struct crm_campaign_result *res,
    struct crm_error *err)
{
	struct crm_rates *rates = NULL;
	struct crm_campaign_revenue *x;
	struct crm_stmt *st;
	int rc = -1, step;
	size_t i;

	if (currency != NULL) {
		if ((rates = crm_rates_load(db, err)) == NULL)
			return -1;
		if (revenue_of(res, currency, err) == NULL)
			goto done;
	}
	if ((st = crm_db_stmt(db, sql_amounts, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, cid, err) < 0 ||
	    crm_db_bind_text(db, st, 2, kind, err) < 0 ||
	    crm_db_bind_int(db, st, 3, res->sent_at, err) < 0 ||
	    crm_db_bind_int(db, st, 4, res->window_end, err) < 0)
		goto done;
	while ((step = crm_db_step(db, st, err)) == 1) {
		const char *cur = crm_db_col_text(st, 1);
		double v = crm_db_col_double(st, 2);

		if (currency != NULL) {
			if (crm_rate_convert(rates, v, cur, currency,
			    crm_db_col_int(st, 3), &v, err) < 0) {
				crm_db_reset(st);
				goto done;
			}
			x = &res->cur[0];
		} else if ((x = revenue_of(res, cur != NULL ? cur : "",
		    err)) == NULL) {
			crm_db_reset(st);
			goto done;
		}
		if (strcmp(crm_db_col_text(st, 0), "target") == 0)
			x->target += v;
		else
			x->control += v;
	}
	if (step < 0)
		goto done;
	if (res->ncur <= 1) {
		res->target.revenue = res->ncur ? res->cur[0].target : 0;
		res->control.revenue = res->ncur ? res->cur[0].control : 0;
	} else
		res->target.revenue = res->control.revenue = NAN;
	/* Sums of no amount are 0, not -0. */
	for (i = 0; i < res->ncur; i++) {
		res->cur[i].target += 0.0;
		res->cur[i].control += 0.0;
	}
	rc = 0;
done:
	crm_rates_free(rates);
	return rc;
}

int
crm_campaign_measure_in(struct crm_db *db, const char *name,
    int64_t window_days, const char *kind, const char *currency,
    struct crm_campaign_result *res, struct crm_error *err)
{
	struct crm_campaign_counts c;
	struct crm_campaign_group *g;
	struct crm_stmt *st;
	struct camp k;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&c, 0, sizeof(c));
	if (currency != NULL && !crm_currency_valid(currency))
		return crm_error_set(err, CRM_EUSAGE, "--currency: '%s' is not"
		    " a currency code such as EUR", currency);
	if (campaign_must_find(db, name, &k, err) < 0)
		return -1;
	if (k.sent_at == 0)
		return crm_error_set(err, CRM_EFAIL, "campaign '%s' has not"
		    " been sent: nothing to measure yet (crm-campaign send %s)",
		    name, name);
	res->sent_at = k.sent_at;
	res->window_end = k.sent_at + window_days * 86400;
	if ((st = crm_db_stmt(db, sql_report, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, k.id, err) < 0 ||
	    crm_db_bind_text(db, st, 2, kind, err) < 0 ||
	    crm_db_bind_int(db, st, 3, res->sent_at, err) < 0 ||
	    crm_db_bind_int(db, st, 4, res->window_end, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		g = strcmp(crm_db_col_text(st, 0), "target") == 0 ?
		    &res->target : &res->control;
		g->contacts = crm_db_col_int(st, 1);
		g->sent = crm_db_col_int(st, 2);
		g->responders = crm_db_col_int(st, 3);
	}
	if (rc < 0 || measure_revenue(db, k.id, kind, currency, res,
	    err) < 0 || campaign_count_members(db, k.id, &c, err) < 0)
		return -1;
	memcpy(res->suppressed, c.reason, sizeof(res->suppressed));
	res->tested = res->target.contacts > 0 && res->control.contacts > 0;
	if (res->tested && crm_stats_prop_test(
	    (unsigned long)res->target.responders,
	    (unsigned long)res->target.contacts,
	    (unsigned long)res->control.responders,
	    (unsigned long)res->control.contacts, 0.95, &res->test, err) < 0)
		return -1;
	return 0;
}

int
crm_campaign_measure(struct crm_db *db, const char *name,
    int64_t window_days, const char *kind, struct crm_campaign_result *res,
    struct crm_error *err)
{
	return crm_campaign_measure_in(db, name, window_days, kind, NULL,
	    res, err);
}

/* A group's row, with its revenue rev in currency cur ("" none). */
static int
report_group(struct crm_out *out, const char *name,
    const struct crm_campaign_group *g, const char *cur, double rev,
    const struct crm_stats_prop_test *t, struct crm_error *err)
{
	char b[NR][CRM_NUM_MAX];
	const char *v[NR];
	int i, dec = crm_currency_decimals(*cur != '\0' ? cur : NULL);

	for (i = 0; i < NR; i++)
		v[i] = NULL;
	v[R_GROUP] = name;
	v[R_CONTACTS] = crm_num_int(b[R_CONTACTS], g->contacts);
	v[R_SENT] = crm_num_int(b[R_SENT], g->sent);
	v[R_RESPONDERS] = crm_num_int(b[R_RESPONDERS], g->responders);
	v[R_REVENUE] = crm_num_fixed(b[R_REVENUE], dec, rev);
	if (g->contacts > 0) {
		v[R_RATE] = crm_num_g6(b[R_RATE], (double)g->responders /
		    (double)g->contacts);
		v[R_RPC] = crm_num_fixed(b[R_RPC], dec, rev /
		    (double)g->contacts);
	}
	if (t != NULL) {
		v[R_UPLIFT] = crm_num_g6(b[R_UPLIFT], t->diff);
		if (t->p2 > 0)
			v[R_RELATIVE] = crm_num_g6(b[R_RELATIVE],
			    t->diff / t->p2);
		v[R_CI_LOW] = crm_num_g6(b[R_CI_LOW], t->ci_low);
		v[R_CI_HIGH] = crm_num_g6(b[R_CI_HIGH], t->ci_high);
		v[R_Z] = crm_num_g6(b[R_Z], t->z);
		v[R_P] = crm_num_g6(b[R_P], t->p_value);
		v[R_INTERVAL] = t->interval;
		v[R_TEST] = t->test;
	}
	if (*cur != '\0')
		v[R_CURRENCY] = cur;
	return crm_out_row(out, v, err);
}

int
crm_campaign_report_write(struct crm_out *out,
    const struct crm_campaign_result *res, struct crm_error *err)
{
	static const char *const names[NR] = { "group", "reason", "contacts",
	    "sent", "responders", "response_rate", "revenue",
	    "revenue_per_contact", "uplift", "uplift_relative", "ci_low",
	    "ci_high", "z", "p_value", "interval", "test", "currency" };
	enum crm_coltype types[NR];
	const char *v[NR];
	char b[CRM_NUM_MAX];
	size_t k, n = res->ncur > 0 ? res->ncur : 1;
	int i;

	for (i = 0; i < NR; i++)
		types[i] = i < R_CONTACTS || i >= R_INTERVAL ? CRM_COL_TEXT :
		    CRM_COL_NUM;
	if (crm_out_header(out, names, types, NR, err) < 0)
		return -1;
	for (k = 0; k < n; k++)
		if (report_group(out, "target", &res->target, res->ncur ?
		    res->cur[k].currency : "", res->ncur ?
		    res->cur[k].target : 0, res->tested ? &res->test : NULL,
		    err) < 0)
			return -1;
	for (k = 0; k < n; k++)
		if (report_group(out, "control", &res->control, res->ncur ?
		    res->cur[k].currency : "", res->ncur ?
		    res->cur[k].control : 0, NULL, err) < 0)
			return -1;
	for (i = 0; i < CRM_CAMPAIGN_NREASONS; i++) {
		memset(v, 0, sizeof(v));
		v[R_GROUP] = "suppressed";
		v[R_REASON] = crm_campaign_reasons[i];
		v[R_CONTACTS] = crm_num_int(b, res->suppressed[i]);
		if (crm_out_row(out, v, err) < 0)
			return -1;
	}
	return 0;
}
