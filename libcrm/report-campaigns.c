/*
 * report-campaigns.c - crm-report's campaigns: those sent in the period,
 * measured as crm-campaign report measures them.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "campaign.h"
#include "report-int.h"

static const char sql_campaigns[] =
    "SELECT name, channel, purpose, state, sent_at, (SELECT count(*) FROM"
    " campaigns) FROM campaigns WHERE sent_at >= ?1 AND sent_at < ?2"
    " ORDER BY sent_at DESC, name LIMIT ?3";

int
report_gather_campaigns(struct crm_report *r, struct crm_db *db,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int64_t all = 0;
	size_t i;
	int step, k;

	if ((r->camps = report_parray(r, MAXCAMPAIGNS, sizeof(*r->camps),
	    err)) == NULL || (st = crm_db_stmt(db, sql_campaigns,
	    err)) == NULL || crm_db_bind_int(db, st, 1, r->start, err) < 0 ||
	    crm_db_bind_int(db, st, 2, r->end, err) < 0 ||
	    crm_db_bind_int(db, st, 3, MAXCAMPAIGNS, err) < 0)
		return -1;
	while ((step = crm_db_step(db, st, err)) == 1) {
		/* Oldest first, as the charts read left to right. */
		struct campaign *c = &r->camps[MAXCAMPAIGNS - 1 - r->ncamps];

		if ((c->name = report_pdup(r, crm_db_col_text(st, 0),
		    err)) == NULL ||
		    (c->channel = report_pdup(r, crm_db_col_text(st, 1),
		    err)) == NULL || (crm_db_col_text(st, 2) != NULL &&
		    (c->purpose = report_pdup(r, crm_db_col_text(st, 2),
		    err)) == NULL) || (c->state = report_pdup(r,
		    crm_db_col_text(st, 3), err)) == NULL) {
			crm_db_reset(st);
			return -1;
		}
		c->sent_at = crm_db_col_int(st, 4);
		all = crm_db_col_int(st, 5);
		r->ncamps++;
	}
	if (step < 0)
		return -1;
	if (r->ncamps > 0 && r->ncamps < MAXCAMPAIGNS)
		memmove(r->camps, r->camps + MAXCAMPAIGNS - r->ncamps,
		    r->ncamps * sizeof(*r->camps));
	if (r->ncamps == 0 && crm_db_query_int(db, "SELECT count(*) FROM"
	    " campaigns", &all, err) < 0)
		return -1;
	r->camps_other = all - (int64_t)r->ncamps;
	for (i = 0; i < r->ncamps; i++) {
		struct campaign *c = &r->camps[i];
		struct crm_campaign_result res;
		const struct crm_campaign_group *g[2];

		/* With --currency, revenue converted to it, as the segments'
		 * money; without, several currencies leave it unsummed. */
		if (crm_campaign_measure_in(db, c->name, r->o.campaign_window,
		    "purchase", r->o.currency, &res, err) < 0) {
			crm_error_prefix(err, "campaign %s", c->name);
			return -1;
		}
		c->window_end = res.window_end;
		memcpy(c->suppressed, res.suppressed, sizeof(c->suppressed));
		g[0] = &res.target;
		g[1] = &res.control;
		for (k = 0; k < 2; k++) {
			c->n[k] = g[k]->contacts;
			c->responders[k] = g[k]->responders;
			c->rate[k] = g[k]->contacts > 0 ?
			    (double)g[k]->responders / (double)g[k]->contacts :
			    NAN;
			c->revenue[k] = g[k]->revenue;
		}
		c->has_control = c->n[1] > 0;
		if (res.tested) {
			c->has_uplift = 1;
			c->uplift = res.test.diff;
			c->lo = res.test.ci_low;
			c->hi = res.test.ci_high;
			c->p_value = res.test.p_value;
		}
	}
	return 0;
}
