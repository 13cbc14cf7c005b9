/*
 * report-html-value.c - the HTML sections on the customers' value:
 * movement between RFM segments, the segments, churn and value, and the
 * campaigns.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"
#include "norm.h"
#include "report-int.h"
#include "svg.h"

const char *
report_flow_name(const struct crm_report *r, int i)
{
	return i == -1 ? "(not in the last report)" : i == -2 ?
	    "(merged or erased since)" : r->segnames[i];
}

/*
 * A segment's colour, the same in every report whatever segments it has
 * (by rank, a segment would change colour when another appeared): the
 * standard RFM segments pinned, from green (Champions) through the blues
 * of the loyal and the warm colours of those slipping to black (Lost);
 * the Okabe-Ito palette and Paul Tol's wine, olive and teal for the
 * twelve; a name of another map by a hash of the name.
 */
const char *
report_seg_colour(const char *name)
{
	static const struct { const char *name, *colour; } pinned[] = {
		{ "Champions", "#009E73" },
		{ "Loyal", "#0072B2" },
		{ "Potential Loyalist", "#56B4E9" },
		{ "New", "#44AA99" },
		{ "Promising", "#999933" },
		{ "Need Attention", "#F0E442" },
		{ "About to Sleep", "#E69F00" },
		{ "At Risk", "#D55E00" },
		{ "Can't Lose Them", "#882255" },
		{ "Hibernating", "#CC79A7" },
		{ "Lost", "#000000" },
		{ "No purchases", "#BBBBBB" },
	};
	uint32_t hash = 2166136261u;
	const unsigned char *p;
	size_t i;

	for (i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++)
		if (strcmp(name, pinned[i].name) == 0)
			return pinned[i].colour;
	for (p = (const unsigned char *)name; *p; p++)
		hash = (hash ^ *p) * 16777619u;
	return crm_svg_colour(hash % 8);
}

void
report_html_movement(struct report_html *h)
{
	const struct crm_report *r = h->r;
	char a[48], b[48], c[48], text[320];
	const char *cells[4];
	struct crm_chart_series s;
	struct crm_chart ch;
	double *delta;
	size_t i, k;

	report_html_hp(h, "<h3 id=\"movement\">Movement between segments</h3>\n");
	switch (r->state_status) {
	case 0:
		report_html_nodata(h,
		    "Movement needs a state file (crm-report --state"
		    " FILE) to remember the segments of the last report.");
		return;
	case 2:
		report_html_nodata(h,
		    "No earlier report to compare with: this is the"
		    " first one with this state file.");
		return;
	case 3:
		snprintf(text, sizeof(text), "The state file is for a later"
		    " day (%s) than this report: nothing to compare with.",
		    r->file_day);
		report_html_nodata(h, text);
		return;
	case 4:
		snprintf(text, sizeof(text), "The state file has only this"
		    " day (%s): no earlier report to compare with.",
		    r->file_day);
		report_html_nodata(h, text);
		return;
	}
	snprintf(text, sizeof(text), "Since the report for %s: %s contacts"
	    " changed segment, %s stayed, %s are new and %s were merged or"
	    " erased.", r->base_day, report_fint(a, r->moved), report_fint(b,
	    r->stayed),
	    report_fint(c, r->joined), report_fint(a, r->left));
	report_html_hp(h, "<p>");
	report_html_esc(h, text);
	report_html_hp(h, "</p>\n<div class=\"grid\">\n<figure>\n");
	if ((delta = calloc(r->nsegnames + 1, sizeof(double))) == NULL) {
		crm_error_set(h->err, CRM_EFAIL, "out of memory");
		h->failed = 1;
		return;
	}
	{
		const char **cats = calloc(r->nsegnames + 1, sizeof(char *));
		const char **cols = calloc(r->nsegnames + 1, sizeof(char *));
		int64_t *now = calloc(r->nsegnames + 1, sizeof(int64_t));

		if (cats == NULL || cols == NULL || now == NULL) {
			free(cats);
			free(cols);
			free(now);
			free(delta);
			crm_error_set(h->err, CRM_EFAIL, "out of memory");
			h->failed = 1;
			return;
		}
		for (i = 0; i < r->nwho; i++)
			now[r->who[i].seg]++;
		for (k = 0; k < r->nsegnames; k++) {
			cats[k] = r->segnames[k];
			cols[k] = report_seg_colour(r->segnames[k]);
			delta[k] = (double)(now[k] - r->seg_before[k]);
		}
		memset(&ch, 0, sizeof(ch));
		memset(&s, 0, sizeof(s));
		s.name = "change";
		s.v = delta;
		s.colours = cols;
		snprintf(text, sizeof(text), "Change in segment sizes since %s",
		    r->base_day);
		ch.title = text;
		ch.cat_label = "RFM segment";
		ch.value_label = "contacts gained (lost if negative)";
		ch.kind = CRM_CHART_HBARS;
		ch.ncat = r->nsegnames;
		ch.cats = cats;
		ch.nser = 1;
		ch.ser = &s;
		report_html_chart(h, &ch);
		{
			static const char *const th[] = { "segment", "#before",
			    "#now", "#change" };

			report_html_thead(h, "t-movement", th, 4);
		}
		for (k = 0; k < r->nsegnames; k++) {
			char d[48];

			cells[0] = report_fint(a, r->seg_before[k]);
			cells[1] = report_fint(b, now[k]);
			snprintf(c, sizeof(c), "%s%s", now[k] >
			    r->seg_before[k] ? "+" : "", report_fint(d, now[k] -
			    r->seg_before[k]));
			cells[2] = c;
			report_html_trow(h, r->segnames[k], cells, 3);
		}
		report_html_tend(h);
		free(cats);
		free(cols);
		free(now);
	}
	free(delta);
	report_html_caption(h,
	    "Segment sizes in the last report and now, over the"
	    " contacts of either.");
	report_html_hp(h, "</figure>\n<figure>\n");
	if (r->nflows == 0)
		report_html_nodata(h, "No contact changed segment.");
	else {
		static const char *const th[] = { "from", "to", "#contacts" };

		report_html_thead(h, "t-flows", th, 3);
		for (i = 0; i < r->nflows && i < 20; i++) {
			report_html_hp(h, "<tr><td>");
			report_html_esc(h, report_flow_name(r,
			    r->flows[i].from));
			report_html_hp(h, "</td><td>");
			report_html_esc(h, report_flow_name(r, r->flows[i].to));
			report_html_hp(h, "</td><td class=\"n\">%s</td></tr>\n",
			    report_fint(a, r->flows[i].n));
		}
		report_html_tend(h);
	}
	report_html_caption(h,
	    "The largest flows of contacts between segments (at most"
	    " twenty).");
	report_html_hp(h, "</figure>\n</div>\n");
}

void
report_html_segments(struct report_html *h)
{
	const struct crm_report *r = h->r;
	char a[48], b[48], text[320];
	const char *cells[8];
	struct crm_chart_series s[2];
	struct crm_chart ch;
	double *v[2];
	const char **cats;
	size_t i;

	report_html_hp(h, "<section id=\"segments\"><h2>Segments</h2>\n");
	if (r->seg_note != NULL) {
		snprintf(text, sizeof(text), "No RFM segments: %s. The other"
		    " sections do not need one currency; crm-report --currency"
		    " converts for the segments.", r->seg_note);
		report_html_nodata(h, text);
		report_html_hp(h, "</section>\n");
		return;
	}
	if (r->buyers == 0) {
		snprintf(text, sizeof(text), "No purchases up to %s: no RFM"
		    " segments.", r->asof_day);
		report_html_nodata(h, text);
		report_html_movement(h);
		report_html_hp(h, "</section>\n");
		return;
	}
	snprintf(text, sizeof(text), "RFM segments as of %s (crm-segment rfm"
	    " --as-of %s): %s of %s contacts have bought.", r->asof_day,
	    r->asof_day, report_fint(a, r->buyers), report_fint(b,
	    (int64_t)r->nwho));
	report_html_hp(h, "<p>");
	report_html_esc(h, text);
	report_html_hp(h, "</p>\n<div class=\"grid\">\n<figure>\n");
	v[0] = calloc(r->nsegs, sizeof(double));
	v[1] = calloc(r->nsegs, sizeof(double));
	cats = calloc(r->nsegs, sizeof(char *));
	if (v[0] == NULL || v[1] == NULL || cats == NULL) {
		free(v[0]);
		free(v[1]);
		free(cats);
		crm_error_set(h->err, CRM_EFAIL, "out of memory");
		h->failed = 1;
		return;
	}
	for (i = 0; i < r->nsegs; i++) {
		cats[i] = r->segs[i].name;
		v[0][i] = report_ratio(r->segs[i].contacts, (int64_t)r->nwho);
		v[1][i] = r->segs[i].share;
	}
	memset(&ch, 0, sizeof(ch));
	memset(s, 0, sizeof(s));
	s[0].name = "share of contacts";
	s[0].v = v[0];
	s[0].colour = "#56B4E9";
	s[1].name = "share of revenue";
	s[1].v = v[1];
	s[1].colour = "#0072B2";
	ch.title = "RFM segments: share of contacts and of revenue";
	ch.cat_label = "RFM segment";
	ch.value_label = "share of all contacts or of all revenue";
	ch.kind = CRM_CHART_HBARS;
	ch.ncat = r->nsegs;
	ch.cats = cats;
	ch.nser = 2;
	ch.ser = s;
	ch.percent = 1;
	report_html_chart(h, &ch);
	report_html_caption(h,
	    "Each segment's share of all contacts and of all revenue:"
	    " the numbers are in the table under the charts.");
	report_html_hp(h, "</figure>\n<figure>\n");
	free(cats);
	free(v[0]);
	free(v[1]);

	/* Deciles. */
	{
		double share[10];
		static const char *const dn[10] = { "1", "2", "3", "4", "5",
		    "6", "7", "8", "9", "10" };

		for (i = 0; i < 10; i++)
			share[i] = r->dec[i].share;
		memset(&ch, 0, sizeof(ch));
		memset(s, 0, sizeof(s));
		s[0].name = "share of revenue";
		s[0].v = share;
		ch.title = "Revenue by decile of contacts (the 80/20 view)";
		ch.cat_label = "decile of contacts by revenue (1 = top 10%)";
		ch.value_label = "share of all revenue";
		ch.kind = CRM_CHART_BARS;
		ch.ncat = 10;
		ch.cats = dn;
		ch.nser = 1;
		ch.ser = s;
		ch.percent = 1;
		report_html_chart(h, &ch);
		{
			static const char *const th[] = { "decile",
			    "#contacts", "#revenue", "#share",
			    "#cumulative share" };

			report_html_thead(h, "t-deciles", th, 5);
		}
		for (i = 0; i < 10; i++) {
			char buf[4][48];

			cells[0] = report_fint(buf[0], r->dec[i].contacts);
			cells[1] = report_fmoney(buf[1], r->dec[i].revenue);
			snprintf(buf[2], 48, "%.4f", r->dec[i].share);
			snprintf(buf[3], 48, "%.4f", r->dec[i].cum);
			cells[2] = buf[2];
			cells[3] = buf[3];
			report_html_trow(h, dn[i], cells, 4);
		}
		report_html_tend(h);
		snprintf(text, sizeof(text), "All contacts ranked by revenue"
		    " to %s and cut into ten groups of equal size (crm-segment"
		    " profit --by decile): the top 20%% bring %.1f%% of the"
		    " revenue.", r->asof_day, r->dec[1].cum * 100);
		report_html_caption(h, text);
	}
	report_html_hp(h, "</figure>\n</div>\n");
	report_html_whale(h);
	{
		static const char *const th[] = { "segment", "#contacts",
		    "#share of contacts", "#buyers", "#orders", "#revenue",
		    "#share", "#cumulative share" };

		report_html_thead(h, "t-segments", th, 8);
	}
	for (i = 0; i < r->nsegs; i++) {
		char buf[7][48];
		const struct seg *g = &r->segs[i];

		cells[0] = report_fint(buf[0], g->contacts);
		cells[1] = report_fpct(buf[1], report_ratio(g->contacts,
		    (int64_t)r->nwho));
		cells[2] = report_fint(buf[2], g->buyers);
		cells[3] = report_fint(buf[3], g->orders);
		cells[4] = report_fmoney(buf[4], g->revenue);
		snprintf(buf[5], 48, "%.4f", g->share);
		snprintf(buf[6], 48, "%.4f", g->cum);
		cells[5] = buf[5];
		cells[6] = buf[6];
		report_html_trow(h, g->name, cells, 7);
	}
	report_html_tend(h);
	report_html_hp(h,
	    "<p class=\"note\">Contacts, buyers, orders and revenue per"
	    " RFM segment, largest revenue first: the same as crm-segment"
	    " profit --by rfm.</p>\n");
	report_html_movement(h);
	report_html_hp(h, "</section>\n");
}

/* The whale curve: cumulative profit over the customers ranked by it. */
void
report_html_whale(struct report_html *h)
{
	const struct crm_report *r = h->r;
	const char *cats[WHALE_STEPS + 1];
	char labels[WHALE_STEPS + 1][8];
	char a[48], b[48], c[48], text[400], vl[80];
	const char *cells[3];
	struct crm_chart_series s;
	struct crm_chart ch;
	double v[WHALE_STEPS + 1];
	int share = r->whale_total > 0;
	const char *what = r->whale_costs ? "profit" : "revenue";
	size_t k;

	report_html_hp(h, "<h3 id=\"whale\">Cumulative %s by customer (the"
	    " whale curve)</h3>\n", what);
	if (r->whale_note != NULL) {
		snprintf(text, sizeof(text), "No whale curve: %s.",
		    r->whale_note);
		report_html_nodata(h, text);
		return;
	}
	if (r->whale_n == 0) {
		report_html_nodata(h, "No customer has bought: no whale"
		    " curve.");
		return;
	}
	report_html_hp(h, "<p>");
	report_html_esc(h, report_whale_sentence(r, text, sizeof(text)));
	report_html_hp(h, "</p>\n<figure class=\"wide\">\n");
	for (k = 0; k <= WHALE_STEPS; k++) {
		snprintf(labels[k], sizeof(labels[k]), "%zu%%",
		    k * 100 / WHALE_STEPS);
		cats[k] = labels[k];
		v[k] = share ? r->whale_cum[k] / r->whale_total :
		    r->whale_cum[k];
	}
	memset(&ch, 0, sizeof(ch));
	memset(&s, 0, sizeof(s));
	s.name = what;
	s.v = v;
	s.colour = "#0072B2";
	snprintf(text, sizeof(text), "Cumulative %s over the customers,"
	    " most profitable first", what);
	ch.title = text;
	ch.cat_label = "share of customers, ranked by profit";
	snprintf(vl, sizeof(vl), share ? "cumulative %s (share of all)" :
	    "cumulative %s (money)", what);
	ch.value_label = vl;
	ch.kind = CRM_CHART_LINES;
	ch.ncat = WHALE_STEPS + 1;
	ch.cats = cats;
	ch.nser = 1;
	ch.ser = &s;
	ch.percent = share;
	ch.width = 900;
	report_html_chart(h, &ch);
	{
		const char *th[4] = { "top customers", "#customers", NULL,
		    "#share of all" };
		char head[48];

		snprintf(head, sizeof(head), "#cumulative %s%s%s", what,
		    *r->whale_currency ? " " : "", r->whale_currency);
		th[2] = head;
		report_html_thead(h, "t-whale", th, 4);
	}
	for (k = 1; k <= WHALE_STEPS; k++) {
		cells[0] = report_fint(a, (int64_t)((uint64_t)k *
		    (uint64_t)r->whale_n / WHALE_STEPS));
		cells[1] = report_fmoney(b, r->whale_cum[k]);
		cells[2] = report_fpct(c, share ? r->whale_cum[k] /
		    r->whale_total : NAN);
		report_html_trow(h, labels[k], cells, 3);
	}
	report_html_tend(h);
	snprintf(text, sizeof(text), "%s customers up to %s ranked by their"
	    " %s%s%s (crm-segment profit: revenue less cost of goods, cost"
	    " to serve and acquisition, as far as products and costs are"
	    " known), the sum after each twentieth of them; the curve peaks"
	    " where the customers who cost more than they bring begin.%s",
	    report_fint(a, r->whale_n), r->asof_day, what,
	    *r->whale_currency ? " in " : "", r->whale_currency,
	    r->whale_other > 0 ? " Customers' purchases in other currencies"
	    " are left out (crm-report --currency converts them)." : "");
	report_html_caption(h, text);
	report_html_hp(h, "</figure>\n");
}

/*
 * Why a customer is at risk, in words; above all where the numbers seem
 * to disagree: a Champion (recent, frequent, big) with a low P(alive).
 * RFM ranks a customer's last purchase against everyone's; the model
 * against the customer's own pace, so a frequent buyer who stops is
 * late sooner than an occasional one.
 */
static const char *
risk_reason(const struct risky *x, char *out, size_t n)
{
	static const char *const good[] = { "Champions", "Loyal",
	    "Potential Loyalist", "New", "Promising" };
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (x->segment != NULL && strcmp(x->segment, good[i]) == 0)
			break;
	if (i < sizeof(good) / sizeof(good[0]))
		snprintf(out, n, "bought %d time%s, but not for %d day%s:"
		    " recent among all customers (RFM), late for one who"
		    " bought this often (the model)", (int)x->orders,
		    x->orders == 1 ? "" : "s", (int)x->recency,
		    x->recency == 1 ? "" : "s");
	else
		snprintf(out, n, "%d purchase%s, none for %d day%s",
		    (int)x->orders, x->orders == 1 ? "" : "s",
		    (int)x->recency, x->recency == 1 ? "" : "s");
	return out;
}

void
report_html_churn(struct report_html *h)
{
	const struct crm_report *r = h->r;
	static const char *const dn[10] = { "1", "2", "3", "4", "5", "6", "7",
	    "8", "9", "10" };
	static const char *const pn[10] = { "0-0.1", "0.1-0.2", "0.2-0.3",
	    "0.3-0.4", "0.4-0.5", "0.5-0.6", "0.6-0.7", "0.7-0.8", "0.8-0.9",
	    "0.9-1" };
	char a[48], b[48], text[400], t[21];
	const char *cells[9];
	struct crm_chart_series s;
	struct crm_chart ch;
	double v[10], w[10];
	size_t i;

	report_html_hp(h, "<section id=\"churn\"><h2>Churn and value</h2>\n");
	if (r->scored == 0) {
		report_html_nodata(h,
		    "No scores: crm-churn fit and crm-churn score store"
		    " them.");
		report_html_hp(h, "</section>\n");
		return;
	}
	crm_format_time(r->scored_at, t);
	snprintf(text, sizeof(text), "%s customers scored at %s by crm-churn"
	    " score, over a horizon of %lld days; model: %s.",
	    report_fint(a, r->scored), t, (long long)r->horizon, r->model ?
	    r->model : "not found");
	report_html_hp(h, "<p>");
	report_html_esc(h, text);
	report_html_hp(h, "</p>\n<div class=\"grid\">\n<figure>\n");
	for (i = 0; i < 10; i++)
		v[i] = (double)r->palive_hist[i];
	memset(&ch, 0, sizeof(ch));
	memset(&s, 0, sizeof(s));
	s.name = "customers";
	s.v = v;
	ch.title = "Probability that a customer is still active";
	ch.cat_label = "P(alive)";
	ch.value_label = "customers";
	ch.kind = CRM_CHART_BARS;
	ch.ncat = 10;
	ch.cats = pn;
	ch.nser = 1;
	ch.ser = &s;
	report_html_chart(h, &ch);
	{
		static const char *const th[] = { "P(alive)", "#customers",
		    "#share" };

		report_html_thead(h, "t-palive", th, 3);
	}
	for (i = 0; i < 10; i++) {
		cells[0] = report_fint(a, r->palive_hist[i]);
		cells[1] = report_fpct(b, report_ratio(r->palive_hist[i],
		    r->scored));
		report_html_trow(h, pn[i], cells, 2);
	}
	report_html_tend(h);
	snprintf(text, sizeof(text), "Customers by P(alive), in bands of 0.1"
	    " (the last includes 1). %s have P(alive) below %.2f: at risk.",
	    report_fint(a, r->at_risk_n), r->at_risk);
	report_html_caption(h, text);
	report_html_hp(h, "</figure>\n<figure>\n");

	if (r->vdec[0].n == 0)
		report_html_nodata(h,
		    "No lifetime values: the spend model could not be"
		    " fitted.");
	else {
		for (i = 0; i < 10; i++) {
			v[i] = r->vdec[i].n ? r->vdec[i].clv /
			    (double)r->vdec[i].n : NAN;
			w[i] = r->vdec[i].n ? r->vdec[i].ep /
			    (double)r->vdec[i].n : NAN;
		}
		s.name = "mean CLV";
		s.v = v;
		ch.title = "Customer lifetime value by decile";
		ch.cat_label = "decile of customers by CLV (1 = top 10%)";
		ch.value_label = "mean CLV per customer (money)";
		ch.cats = dn;
		report_html_chart(h, &ch);
		s.name = "mean expected purchases";
		s.v = w;
		snprintf(text, sizeof(text), "expected purchase days in %lld"
		    " days", (long long)r->horizon);
		ch.title = "Expected purchases by CLV decile";
		ch.value_label = text;
		report_html_chart(h, &ch);
		{
			static const char *const th[] = { "decile",
			    "#customers", "#P(alive)", "#purchases", "#CLV",
			    "#total CLV" };

			report_html_thead(h, "t-value", th, 6);
		}
		for (i = 0; i < 10; i++) {
			char buf[5][48];
			double n = (double)r->vdec[i].n;

			cells[0] = report_fint(buf[0], r->vdec[i].n);
			cells[1] = report_fnum(buf[1], n ?
			    r->vdec[i].palive / n : NAN,
			    3);
			cells[2] = report_fnum(buf[2], n ? r->vdec[i].ep / n :
			    NAN, 2);
			cells[3] = report_fmoney(buf[3], n ?
			    r->vdec[i].clv / n : NAN);
			cells[4] = report_fmoney(buf[4], r->vdec[i].clv);
			report_html_trow(h, dn[i], cells, 5);
		}
		report_html_tend(h);
		snprintf(text, sizeof(text), "Scored customers ranked by CLV"
		    " and cut into ten groups of equal size%s; P(alive),"
		    " expected purchases and CLV are means per customer.",
		    r->no_clv ? ", those without a CLV left out" : "");
		report_html_caption(h, text);
	}
	report_html_hp(h, "</figure>\n</div>\n");

	snprintf(text, sizeof(text), "Valuable customers at risk (the top %lld"
	    " by revenue)", (long long)r->o.top);
	report_html_hp(h, "<h3>");
	report_html_esc(h, text);
	report_html_hp(h, "</h3>\n");
	if (r->nrisky == 0)
		report_html_nodata(h, "No customer with purchases is at risk.");
	else {
		static const char *const th[] = { "#", "customer",
		    "external id", "owner", "segment", "#revenue",
		    "#purchases", "#days since last", "#P(alive)", "#CLV",
		    "why at risk" };

		report_html_thead(h, "t-risk", th, 11);
		for (i = 0; i < r->nrisky; i++) {
			const struct risky *x = &r->risky[i];
			char buf[5][48];

			report_html_hp(h, "<tr><td class=\"n\">%zu</td><td>",
			    i + 1);
			report_html_esc(h, x->name);
			report_html_hp(h, "</td><td>");
			report_html_esc(h, x->ext);
			report_html_hp(h, "</td><td>");
			report_html_esc(h, x->owner);
			report_html_hp(h, "</td><td>");
			report_html_esc(h, x->segment);
			report_html_hp(h,
			    "</td><td class=\"n\">%s</td><td class=\"n\">%s"
			    "</td><td class=\"n\">%s</td><td class=\"n\">%s"
			    "</td><td class=\"n\">%s</td>",
			    report_fmoney(buf[0], x->revenue),
			    report_fint(buf[1],
			    x->orders), report_fint(buf[2], x->recency),
			    report_fnum(buf[3],
			    x->p_alive, 3), report_fmoney(buf[4], x->clv));
			report_html_hp(h, "<td>");
			report_html_esc(h, risk_reason(x, text, sizeof(text)));
			report_html_hp(h, "</td></tr>\n");
		}
		report_html_tend(h);
	}
	snprintf(text, sizeof(text), "Customers with P(alive) below %.2f,"
	    " ranked by their revenue up to %s (crm-segment rfm), with their"
	    " owner to call them. Names only: no email or phone in a"
	    " report that travels. P(alive) and CLV: crm-churn(1), \"The"
	    " models of non-contractual customers\"; segments: crm-segment(1),"
	    " RFM.", r->at_risk, r->asof_day);
	report_html_hp(h, "<p class=\"note\">");
	report_html_esc(h, text);
	report_html_hp(h, "</p>\n</section>\n");
}

void
report_html_campaigns(struct report_html *h)
{
	const struct crm_report *r = h->r;
	char a[48], text[400];
	const char *cats[MAXCAMPAIGNS];
	struct crm_chart_series s[CRM_CAMPAIGN_NREASONS];
	struct crm_chart ch;
	double rate[2][MAXCAMPAIGNS], up[MAXCAMPAIGNS], lo[MAXCAMPAIGNS];
	double hi[MAXCAMPAIGNS], sup[CRM_CAMPAIGN_NREASONS][MAXCAMPAIGNS];
	size_t i, k;
	int open = 0;

	report_html_hp(h, "<section id=\"campaigns\"><h2>Campaigns</h2>\n");
	if (r->ncamps == 0) {
		snprintf(text, sizeof(text), "No campaign was sent from %s to"
		    " %s (%s %s in the database).", r->start_day,
		    r->asof_day, report_fint(a, r->camps_other),
		    r->camps_other == 1 ? "other" : "others");
		report_html_nodata(h, text);
		report_html_hp(h, "</section>\n");
		return;
	}
	for (i = 0; i < r->ncamps; i++) {
		const struct campaign *c = &r->camps[i];

		cats[i] = c->name;
		rate[0][i] = c->n[0] ? c->rate[0] : NAN;
		rate[1][i] = c->has_control ? c->rate[1] : NAN;
		up[i] = c->has_uplift ? c->uplift : NAN;
		lo[i] = c->has_uplift ? c->lo : NAN;
		hi[i] = c->has_uplift ? c->hi : NAN;
		for (k = 0; k < CRM_CAMPAIGN_NREASONS; k++)
			sup[k][i] = (double)c->suppressed[k];
		open |= c->window_end > r->o.now;
	}
	snprintf(text, sizeof(text), "%s sent from %s to %s (crm-campaign"
	    " report; responses: purchases within %lld days of the send).",
	    r->ncamps == 1 ? "The campaign" : "The campaigns",
	    r->start_day, r->asof_day, (long long)r->o.campaign_window);
	report_html_hp(h, "<p>");
	report_html_esc(h, text);
	report_html_hp(h, "</p>\n<div class=\"grid\">\n<figure>\n");
	memset(&ch, 0, sizeof(ch));
	memset(s, 0, sizeof(s));
	s[0].name = "treated (target group)";
	s[0].v = rate[0];
	s[0].colour = "#0072B2";
	s[1].name = "control (held out)";
	s[1].v = rate[1];
	s[1].colour = "#E69F00";
	ch.title = "Response rate, treated and control";
	ch.cat_label = "campaign";
	ch.value_label = "contacts who bought (share of group)";
	ch.kind = CRM_CHART_BARS;
	ch.ncat = r->ncamps;
	ch.cats = cats;
	ch.nser = 2;
	ch.ser = s;
	ch.percent = 1;
	report_html_chart(h, &ch);
	report_html_caption(h,
	    "The share of each group that bought within the response"
	    " window.");
	report_html_hp(h, "</figure>\n<figure>\n");
	memset(s, 0, sizeof(s));
	s[0].name = "uplift";
	s[0].v = up;
	s[0].lo = lo;
	s[0].hi = hi;
	s[0].colour = "#009E73";
	ch.kind = CRM_CHART_POINTS;
	ch.title = "Uplift with its 95% interval";
	ch.value_label = "treated minus control response rate (points)";
	ch.nser = 1;
	report_html_chart(h, &ch);
	report_html_caption(h,
	    "Dots: the difference in response rate; whiskers: its 95%"
	    " Wald interval. An interval that crosses zero is no evidence of"
	    " an effect. Campaigns without a control group have no dot.");
	report_html_hp(h, "</figure>\n</div>\n");
	{
		static const char *const th[] = { "campaign", "channel",
		    "sent", "#treated", "#responders", "#rate", "#control",
		    "#responders", "#rate", "#uplift", "#95% interval",
		    "#p-value", "#revenue (treated)" };

		report_html_thead(h, "t-campaigns", th, 13);
	}
	for (i = 0; i < r->ncamps; i++) {
		const struct campaign *c = &r->camps[i];
		char d[11], buf[10][48];

		crm_format_date(c->sent_at, d);
		report_html_hp(h, "<tr><th scope=\"row\">");
		report_html_esc(h, c->name);
		report_html_hp(h, "</th><td>");
		report_html_esc(h, c->channel);
		report_html_hp(h, "</td><td>%s</td>", d);
		report_html_hp(h,
		    "<td class=\"n\">%s</td><td class=\"n\">%s</td>"
		    "<td class=\"n\">%s</td>", report_fint(buf[0], c->n[0]),
		    report_fint(buf[1], c->responders[0]), report_fpct(buf[2],
		    c->n[0] ?
		    c->rate[0] : NAN));
		report_html_hp(h,
		    "<td class=\"n\">%s</td><td class=\"n\">%s</td>"
		    "<td class=\"n\">%s</td>", report_fint(buf[3], c->n[1]),
		    report_fint(buf[4], c->responders[1]), report_fpct(buf[5],
		    c->has_control ? c->rate[1] : NAN));
		if (c->has_uplift) {
			snprintf(buf[7], 48, "%+.1f to %+.1f", c->lo * 100,
			    c->hi * 100);
			snprintf(buf[8], 48, "%.3f", c->p_value);
			snprintf(buf[6], 48, "%+.1f", c->uplift * 100);
		} else
			buf[6][0] = buf[7][0] = buf[8][0] = '\0';
		report_html_hp(h,
		    "<td class=\"n\">%s</td><td class=\"n\">%s</td>"
		    "<td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
		    buf[6], buf[7], buf[8], report_fmoney(buf[9],
		    c->revenue[0]));
	}
	report_html_tend(h);
	report_html_hp(h,
	    "<p class=\"note\">Rates in percent, uplift and its interval in"
	    " percentage points; p-value of the two-proportion z-test.%s</p>\n",
	    open ? " Some response windows are still open: their rates will"
	    " still grow." : "");

	/* Suppression. */
	report_html_hp(h, "<figure class=\"wide\">\n");
	memset(s, 0, sizeof(s));
	for (k = 0; k < CRM_CAMPAIGN_NREASONS; k++) {
		s[k].name = crm_campaign_reasons[k];
		s[k].v = sup[k];
	}
	ch.title = "Contacts suppressed, by reason";
	ch.value_label = "contacts left out";
	ch.kind = CRM_CHART_STACKED;
	ch.height = 340;
	ch.nser = CRM_CAMPAIGN_NREASONS;
	ch.ser = s;
	ch.percent = 0;
	report_html_chart(h, &ch);
	{
		const char *th[CRM_CAMPAIGN_NREASONS + 1];
		char names[CRM_CAMPAIGN_NREASONS][40];

		th[0] = "campaign";
		for (k = 0; k < CRM_CAMPAIGN_NREASONS; k++) {
			snprintf(names[k], sizeof(names[k]), "#%s",
			    crm_campaign_reasons[k]);
			th[k + 1] = names[k];
		}
		report_html_thead(h, "t-suppressed", th,
		    CRM_CAMPAIGN_NREASONS + 1);
	}
	for (i = 0; i < r->ncamps; i++) {
		const char *cells[CRM_CAMPAIGN_NREASONS];
		char buf[CRM_CAMPAIGN_NREASONS][48];

		for (k = 0; k < CRM_CAMPAIGN_NREASONS; k++)
			cells[k] = report_fint(buf[k],
			    r->camps[i].suppressed[k]);
		report_html_trow(h, r->camps[i].name, cells,
		    CRM_CAMPAIGN_NREASONS);
	}
	report_html_tend(h);
	report_html_caption(h,
	    "Selected contacts left out of each campaign, by the first"
	    " reason that applied: consent, do-not-contact, addresses, other"
	    " campaigns, the frequency cap.");
	report_html_hp(h, "</figure>\n</section>\n");
}


/* ------------------------------------------------------------------ */
/* Sales: the deal pipeline and the accounts (left out when their tables
 * are empty) */

/*
 * A sentence, then a table of nrows rows: row(r, i, cells, buf) gives
 * row i's label and fills cells (ncol - 1 of them, formatted into buf).
 */
struct report_table {
	const char *id;
	const char *const *heads;	/* '#' first: a numeric column */
	size_t ncol, nrows;
	const char *(*row)(const struct crm_report *r, size_t i,
	    const char **cells, char (*buf)[48]);
};

#define TABLE_MAXCOL 8

static void
table(struct report_html *h, const char *intro, const struct report_table *t)
{
	const char *cells[TABLE_MAXCOL];
	char buf[TABLE_MAXCOL][48];
	size_t i;

	h->charted = 0;
	report_html_hp(h, "<p>");
	report_html_esc(h, intro);
	report_html_hp(h, "</p>\n");
	report_html_thead(h, t->id, t->heads, t->ncol);
	for (i = 0; i < t->nrows && !h->failed; i++) {
		const char *label = t->row(h->r, i, cells, buf);

		report_html_trow(h, label, cells, t->ncol - 1);
	}
	report_html_tend(h);
}

static const char *
curr_cell(const char *c)
{
	return c[0] ? c : "-";
}

static const char *
pipe_row(const struct crm_report *r, size_t i, const char **cells,
    char (*buf)[48])
{
	const struct pipe_stage *p = &r->pipe[i];

	cells[0] = curr_cell(p->currency);
	cells[1] = report_fint(buf[1], p->count);
	cells[2] = report_fmoney(buf[2], p->amount);
	cells[3] = report_fmoney(buf[3], p->weighted);
	return p->stage;
}

static const char *
fc_row(const struct crm_report *r, size_t i, const char **cells,
    char (*buf)[48])
{
	const struct fc_month *f = &r->fc[i];

	cells[0] = curr_cell(f->currency);
	cells[1] = report_fint(buf[1], f->open);
	cells[2] = report_fmoney(buf[2], f->won);
	cells[3] = report_fmoney(buf[3], f->weighted);
	cells[4] = report_fmoney(buf[4], f->best_case);
	return f->label;
}

void
report_html_pipeline(struct report_html *h)
{
	static const char *const heads[] = { "Stage", "Currency", "#Deals",
	    "#Amount", "#Weighted" };
	static const char *const fheads[] = { "Month", "Currency",
	    "#Open deals", "#Won", "#Weighted", "#Best case" };
	const struct crm_report *r = h->r;
	struct report_table t = { "pipeline-stages", heads, 5, r->npipe,
	    pipe_row };
	struct report_table f = { "pipeline-forecast", fheads, 6, r->nfc,
	    fc_row };
	char text[200];

	report_html_hp(h, "<section id=\"pipeline\"><h2>Sales pipeline</h2>\n");
	if (r->npipe == 0) {
		snprintf(text, sizeof(text), "No deal was open on %s.",
		    r->asof_day);
		report_html_nodata(h, text);
	} else {
		snprintf(text, sizeof(text), "Open deals on %s by stage, per"
		    " currency (crm-deal pipeline; weighted: amount times the"
		    " stage's probability).", r->asof_day);
		table(h, text, &t);
	}
	if (r->nfc > 0)
		table(h, "The forecast by month of close, this month and the"
		    " next two, per currency (crm-deal forecast).", &f);
	report_html_hp(h, "</section>\n");
}

static const char *
top_row(const struct crm_report *r, size_t i, const char **cells,
    char (*buf)[48])
{
	cells[0] = r->top_acc[i].name;
	cells[1] = report_fmoney(buf[1], r->top_acc[i].revenue);
	return r->top_acc[i].ext;
}

static const char *
risk_row(const struct crm_report *r, size_t i, const char **cells,
    char (*buf)[48])
{
	const struct acc_row *x = &r->risk_acc[i];

	cells[0] = x->name;
	cells[1] = report_fint(buf[1], x->buyers);
	cells[2] = report_fnum(buf[2], x->p_alive, 2);
	cells[3] = report_fmoney(buf[3], x->revenue);
	cells[4] = report_fmoney(buf[4], x->at_risk);
	return x->ext;
}

static const char *
partner_row(const struct crm_report *r, size_t i, const char **cells,
    char (*buf)[48])
{
	const struct partner *p = &r->partners[i];

	cells[0] = p->name;
	cells[1] = p->type;
	cells[2] = report_fint(buf[3], p->contacts);
	cells[3] = report_fint(buf[4], p->customers);
	cells[4] = r->acc_mixed ? "-" : report_fmoney(buf[5], p->revenue);
	cells[5] = report_fint(buf[6], p->won);
	cells[6] = report_fpct(buf[7], p->win_rate);
	return p->ext;
}

void
report_html_accounts(struct report_html *h)
{
	static const char *const theads[] = { "Account", "Name", "#Revenue" };
	static const char *const rheads[] = { "Account", "Name", "#Buyers",
	    "#P(alive)", "#Revenue", "#Revenue at risk" };
	static const char *const pheads[] = { "Partner", "Name", "Type",
	    "#Contacts", "#Customers", "#Revenue", "#Deals won",
	    "#Win rate" };
	const struct crm_report *r = h->r;
	struct report_table top = { "accounts-top", theads, 3, r->ntop_acc,
	    top_row };
	struct report_table risk = { "accounts-risk", rheads, 6,
	    r->nrisk_acc, risk_row };
	struct report_table part = { "accounts-partners", pheads,
	    r->partner_deals ? 8 : 6, r->npartners, partner_row };
	char text[320];

	report_html_hp(h, "<section id=\"accounts\"><h2>Accounts</h2>\n");
	if (r->acc_mixed)
		report_html_nodata(h, "Revenue in the period is in several"
		    " currencies: accounts are not ranked by it.");
	else if (r->ntop_acc == 0) {
		snprintf(text, sizeof(text), "No account bought from %s to"
		    " %s.", r->start_day, r->asof_day);
		report_html_nodata(h, text);
	} else {
		snprintf(text, sizeof(text), "The top accounts by revenue"
		    " from %s to %s, subsidiaries included (crm-account"
		    " rollup).", r->start_day, r->asof_day);
		table(h, text, &top);
	}
	if (r->risk_note != NULL) {
		snprintf(text, sizeof(text), "No accounts at risk: %s.",
		    r->risk_note);
		report_html_nodata(h, text);
	} else if (r->nrisk_acc == 0) {
		snprintf(text, sizeof(text), "No account is at risk"
		    " (P(alive) below %.2f).", r->at_risk);
		report_html_nodata(h, text);
	} else {
		snprintf(text, sizeof(text), "Accounts at risk: P(alive) below"
		    " %.2f, by revenue at risk (crm-account churn).",
		    r->at_risk);
		table(h, text, &risk);
	}
	report_html_hp(h, "<h3 id=\"partners\">Partners</h3>\n");
	if (r->npartners == 0)
		report_html_nodata(h, "No partners: no account is a reseller,"
		    " agency, referrer or affiliate.");
	else {
		snprintf(text, sizeof(text), "What each partner brought, all"
		    " time (crm-account partners): the contacts it sourced,"
		    " those who bought, their revenue%s%s; %s.",
		    r->acc_mixed ? " (not shown: it adds several currencies)"
		    : "", r->partner_deals ? ", deals won and the win rate"
		    " (won of won and lost)" : "", r->partners_all >
		    MAXPARTNERS ? "the twenty that brought most revenue" :
		    r->partners_all == 1 ? "the only partner" :
		    "by revenue");
		table(h, text, &part);
	}
	report_html_hp(h, "</section>\n");
}
