/*
 * report-html.c - the report as one HTML page: inline CSS and SVG, no
 * script, nothing fetched.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"
#include "norm.h"
#include "report-int.h"
#include "svg.h"

const char *const report_consent_names[4] = { "email", "phone", "sms",
    "mail" };

/* ------------------------------------------------------------------ */
/* HTML */

static const char css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,"
    "Arial,sans-serif;color:#222;background:#fff;margin:0 auto;"
    "max-width:1240px;padding:16px 24px;line-height:1.4}\n"
    "h1{font-size:26px;margin:8px 0 4px}\n"
    "h2{font-size:21px;border-bottom:3px solid #0072B2;padding-bottom:4px;"
    "margin:36px 0 8px}\n"
    "h3{font-size:16px;margin:22px 0 6px}\n"
    ".meta,.note{color:#555;font-size:14px}\n"
    "nav a{margin-right:14px}\n"
    ".kpis{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}\n"
    ".kpi{border:1px solid #ccc;border-radius:6px;padding:8px 14px;"
    "min-width:150px}\n"
    ".kpi b{display:block;font-size:22px}\n"
    ".kpi span{color:#555;font-size:13px}\n"
    ".grid{display:flex;flex-wrap:wrap;gap:20px;align-items:flex-start}\n"
    "figure{margin:0 0 12px;flex:1 1 560px;max-width:600px}\n"
    "figure.wide{max-width:none}\n"
    "figcaption{font-size:13px;color:#444;margin:2px 0 6px}\n"
    ".scroll{overflow-x:auto}\n"
    "table{border-collapse:collapse;font-size:13px;margin:6px 0 14px}\n"
    "th,td{padding:3px 8px;border-bottom:1px solid #e2e2e2;"
    "text-align:left;vertical-align:top}\n"
    "thead th{border-bottom:2px solid #888}\n"
    "tbody th{white-space:nowrap}\n"
    ".n{text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}\n"
    ".nodata{color:#444;background:#f4f4f4;border-left:4px solid #999;"
    "padding:8px 12px;font-style:italic}\n"
    "svg{max-width:100%;height:auto}\n"
    "footer{margin-top:40px;color:#555;font-size:13px;"
    "border-top:1px solid #ccc}\n"
    "@media print{nav{display:none}figure{break-inside:avoid}}\n";

struct html {
	FILE *fp;
	const struct crm_report *r;
	struct crm_error *err;
	int failed;
};

static void
esc(struct html *h, const char *s)
{
	crm_svg_escape(h->fp, s);
}

/* printf to the page; the arguments must not need escaping. */
static void hp(struct html *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
hp(struct html *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(h->fp, fmt, ap);
	va_end(ap);
}

static void
nodata(struct html *h, const char *text)
{
	hp(h, "<p class=\"nodata\">");
	esc(h, text);
	hp(h, "</p>\n");
}

static void
chart(struct html *h, const struct crm_chart *c)
{
	if (!h->failed && crm_svg_chart(h->fp, c, h->err) < 0)
		h->failed = 1;
}

static void
caption(struct html *h, const char *text)
{
	hp(h, "<figcaption>");
	esc(h, text);
	hp(h, "</figcaption>\n");
}

/* A table head: names starting with '#' are numeric columns. */
static void
thead(struct html *h, const char *id, const char *const *names, size_t n)
{
	size_t i;

	hp(h, "<div class=\"scroll\"><table id=\"%s\"><thead><tr>", id);
	for (i = 0; i < n; i++) {
		int num = names[i][0] == '#';

		hp(h, "<th%s>", num ? " class=\"n\"" : "");
		esc(h, names[i] + num);
		hp(h, "</th>");
	}
	hp(h, "</tr></thead><tbody>\n");
}

static void
tend(struct html *h)
{
	hp(h, "</tbody></table></div>\n");
}

/* A row: the first cell a header of the row, the others numbers. */
static void
trow(struct html *h, const char *label, const char *const *cells, size_t n)
{
	size_t i;

	hp(h, "<tr><th scope=\"row\">");
	esc(h, label);
	hp(h, "</th>");
	for (i = 0; i < n; i++) {
		hp(h, "<td class=\"n\">");
		esc(h, cells[i]);
		hp(h, "</td>");
	}
	hp(h, "</tr>\n");
}

static void
kpi(struct html *h, const char *value, const char *what)
{
	hp(h, "<div class=\"kpi\"><b>");
	esc(h, value);
	hp(h, "</b><span>");
	esc(h, what);
	hp(h, "</span></div>\n");
}

const char *
report_unit_name(const struct crm_report *r)
{
	return r->monthly ? "month" : "week";
}

static void
html_contacts(struct html *h)
{
	const struct crm_report *r = h->r;
	char a[48], b[48], c[48], d[48], e[48], text[256];
	const char *cells[6];
	struct crm_chart ch;
	struct crm_chart_series s[3];
	double *v[3];
	size_t i, k, n;

	hp(h, "<section id=\"contacts\"><h2>Contacts</h2>\n");
	if (r->live == 0) {
		nodata(h, "No contacts in the database.");
		hp(h, "</section>\n");
		return;
	}
	snprintf(text, sizeof(text), "%s contacts (neither merged into"
	    " another nor erased); %s merged away as duplicates, %s erased.",
	    report_fint(a, r->live), report_fint(b, r->merged_away),
	    report_fint(c, r->erased));
	hp(h, "<p>");
	esc(h, text);
	hp(h, "</p>\n<div class=\"grid\">\n");

	/* New contacts per bucket. */
	memset(&ch, 0, sizeof(ch));
	memset(s, 0, sizeof(s));
	s[0].name = "new contacts";
	s[0].v = r->new_contacts;
	ch.title = r->monthly ? "New contacts per month" :
	    "New contacts per week";
	ch.cat_label = r->monthly ? "month (UTC)" : "week starting (UTC)";
	ch.value_label = "contacts added";
	ch.kind = CRM_CHART_BARS;
	ch.ncat = r->nb;
	ch.cats = r->blabel;
	ch.nser = 1;
	ch.ser = s;
	hp(h, "<figure>\n");
	chart(h, &ch);
	{
		const char *nm[2] = { r->monthly ? "month" : "week starting",
		    "#new contacts" };

		thead(h, "t-new", nm, 2);
	}
	for (i = 0; i < r->nb; i++) {
		cells[0] = report_fint(a, (int64_t)r->new_contacts[i]);
		trow(h, r->blabel[i], cells, 1);
	}
	tend(h);
	snprintf(text, sizeof(text), "%s contacts added from %s to %s, by"
	    " the day they were added to the database (created_at), not"
	    " counting those since merged or erased.", report_fint(a,
	    r->new_total),
	    r->start_day, r->asof_day);
	caption(h, text);
	hp(h, "</figure>\n");

	/* Stages and owners. */
	{
		const char **cats;
		double *vals;
		size_t no = r->nowners > MAXOWNERS ? MAXOWNERS + 1 : r->nowners;
		size_t ncat = r->nstages + no;

		cats = calloc(ncat, sizeof(*cats));
		vals = calloc(ncat, sizeof(*vals));
		if (cats == NULL || vals == NULL) {
			free(cats);
			free(vals);
			crm_error_set(h->err, CRM_EFAIL, "out of memory");
			h->failed = 1;
			return;
		}
		for (i = 0; i < r->nstages; i++) {
			cats[i] = r->stages[i].name;
			vals[i] = (double)r->stages[i].n;
		}
		memset(&ch, 0, sizeof(ch));
		memset(s, 0, sizeof(s));
		s[0].name = "contacts";
		s[0].v = vals;
		ch.title = "Contacts by lifecycle stage";
		ch.cat_label = "stage";
		ch.value_label = "contacts";
		ch.kind = CRM_CHART_HBARS;
		ch.ncat = r->nstages;
		ch.cats = cats;
		ch.nser = 1;
		ch.ser = s;
		hp(h, "<figure>\n");
		chart(h, &ch);
		{
			static const char *const nm[] = { "stage", "#contacts",
			    "#share" };

			thead(h, "t-stages", nm, 3);
		}
		for (i = 0; i < r->nstages; i++) {
			cells[0] = report_fint(a, r->stages[i].n);
			cells[1] = report_fpct(b, report_ratio(r->stages[i].n,
			    r->live));
			trow(h, r->stages[i].name, cells, 2);
		}
		tend(h);
		caption(h, "Lead, prospect, customer or former, as crm-add"
		    " set it (crm-segment profit --by stage counts the same).");
		hp(h, "</figure>\n");

		for (i = 0; i < no; i++) {
			int64_t sum = 0;

			if (i == MAXOWNERS) {
				for (k = MAXOWNERS; k < r->nowners; k++)
					sum += r->owners[k].n;
				cats[r->nstages + i] = "other owners";
				vals[r->nstages + i] = (double)sum;
			} else {
				cats[r->nstages + i] = r->owners[i].name;
				vals[r->nstages + i] = (double)r->owners[i].n;
			}
		}
		ch.title = "Contacts by owner";
		ch.cat_label = "owner";
		ch.ncat = no;
		ch.cats = cats + r->nstages;
		s[0].v = vals + r->nstages;
		hp(h, "<figure>\n");
		chart(h, &ch);
		{
			static const char *const nm[] = { "owner", "#contacts",
			    "#share" };

			thead(h, "t-owners", nm, 3);
		}
		for (i = 0; i < no; i++) {
			cells[0] = report_fint(a,
			    (int64_t)vals[r->nstages + i]);
			cells[1] = report_fpct(b,
			    report_ratio((int64_t)vals[r->nstages + i],
			    r->live));
			trow(h, cats[r->nstages + i], cells, 2);
		}
		tend(h);
		snprintf(text, sizeof(text), "The sales representative or"
		    " team responsible; %s owners%s.", report_fint(a,
		    (int64_t)r->nowners), r->nowners > MAXOWNERS ?
		    ", the smallest folded into \"other owners\"" : "");
		caption(h, text);
		hp(h, "</figure>\n");
		free(cats);
		free(vals);
	}

	/* Consent per channel, as shares of the contacts. */
	for (k = 0; k < 3; k++)
		v[k] = calloc(4, sizeof(double));
	if (v[0] == NULL || v[1] == NULL || v[2] == NULL) {
		for (k = 0; k < 3; k++)
			free(v[k]);
		crm_error_set(h->err, CRM_EFAIL, "out of memory");
		h->failed = 1;
		return;
	}
	for (i = 0; i < 4; i++)
		for (k = 0; k < 3; k++)
			v[k][i] = report_ratio(r->consent[i][k], r->live);
	memset(&ch, 0, sizeof(ch));
	memset(s, 0, sizeof(s));
	s[0].name = "opted in";
	s[0].v = v[0];
	s[0].colour = "#009E73";
	s[1].name = "refused or withdrawn";
	s[1].v = v[1];
	s[1].colour = "#D55E00";
	s[2].name = "not known";
	s[2].v = v[2];
	s[2].colour = "#BBBBBB";
	ch.title = "Marketing consent per channel";
	ch.cat_label = "channel";
	ch.value_label = "share of contacts";
	ch.kind = CRM_CHART_STACKED;
	ch.ncat = 4;
	ch.cats = report_consent_names;
	ch.nser = 3;
	ch.ser = s;
	ch.percent = 1;
	hp(h, "<figure>\n");
	chart(h, &ch);
	{
		static const char *const nm[] = { "channel", "#opted in",
		    "#refused", "#not known", "#reachable",
		    "#share reachable" };

		thead(h, "t-consent", nm, 6);
	}
	for (i = 0; i < 4; i++) {
		cells[0] = report_fint(a, r->consent[i][0]);
		cells[1] = report_fint(b, r->consent[i][1]);
		cells[2] = report_fint(c, r->consent[i][2]);
		cells[3] = report_fint(d, r->consent[i][3]);
		cells[4] = report_fpct(e, report_ratio(r->consent[i][3],
		    r->live));
		trow(h, report_consent_names[i], cells, 5);
	}
	tend(h);
	caption(h, "Reachable: opted in, not marked do-not-contact, and with"
	    " the address the channel needs (an email; a phone; a phone in"
	    " E.164 form for SMS; street, city and postcode for mail).");
	hp(h, "</figure>\n");
	for (k = 0; k < 3; k++)
		free(v[k]);

	/* Data quality. */
	hp(h, "<figure>\n");
	{
		static const char *const nm[] = { "", "#contacts", "#share" };

		thead(h, "t-quality", nm, 3);
	}
	cells[0] = report_fint(a, r->no_email);
	cells[1] = report_fpct(b, report_ratio(r->no_email, r->live));
	trow(h, "without an email", cells, 2);
	cells[0] = report_fint(a, r->no_phone);
	cells[1] = report_fpct(b, report_ratio(r->no_phone, r->live));
	trow(h, "without a phone", cells, 2);
	cells[0] = report_fint(a, r->no_both);
	cells[1] = report_fpct(b, report_ratio(r->no_both, r->live));
	trow(h, "without either", cells, 2);
	cells[0] = report_fint(a, r->dnc);
	cells[1] = report_fpct(b, report_ratio(r->dnc, r->live));
	trow(h, "marked do-not-contact", cells, 2);
	cells[1] = "";
	cells[0] = report_fint(a, r->merges_period);
	trow(h, "duplicates merged in the period", cells, 2);
	cells[0] = report_fint(a, r->merges_total);
	trow(h, "duplicates merged in all (not undone)", cells, 2);
	cells[0] = report_fint(a, r->merges_undone);
	trow(h, "merges undone", cells, 2);
	tend(h);
	caption(h, "Data quality of the contacts; merges are those crm-dedupe"
	    " recorded in the merges table.");
	hp(h, "</figure>\n");

	/* Imports in the period, from the audit table. */
	hp(h, "<figure>\n");
	if (r->nruns == 0)
		nodata(h, "No program wrote to the database in the period.");
	else {
		static const char *const nm[] = { "program", "#runs",
		    "#rows read", "#rows rejected" };

		thead(h, "t-runs", nm, 4);
		for (i = 0; i < r->nruns; i++) {
			cells[0] = report_fint(a, r->runs[i].runs);
			cells[1] = report_fint(b, r->runs[i].read);
			cells[2] = report_fint(c, r->runs[i].rejected);
			trow(h, r->runs[i].program, cells, 3);
		}
		tend(h);
	}
	caption(h, "Runs that wrote to the database in the period, from the"
	    " audit table: rows read and rows rejected as bad data.");
	hp(h, "</figure>\n");

	/* The last twelve months. */
	hp(h, "<figure>\n");
	{
		static const char *const nm[] = { "month", "#new contacts" };

		thead(h, "t-months", nm, 2);
	}
	for (n = 0; n < 12; n++) {
		cells[0] = report_fint(a, r->month_n[n]);
		trow(h, r->month[n], cells, 1);
	}
	tend(h);
	caption(h, "New contacts per calendar month (UTC), the last twelve.");
	hp(h, "</figure>\n</div>\n</section>\n");
}

static void
html_interactions(struct html *h)
{
	const struct crm_report *r = h->r;
	char a[48], text[320], title[96], hdr[MAXCURR][64];
	char chn[MAXSERIES + 1][64];
	const char *cells[MAXSERIES + 3], *nm[MAXSERIES + 3];
	struct crm_chart_series s[MAXSERIES + 1];
	struct crm_chart ch;
	size_t i, k, nc = r->ncurr > MAXCURR ? MAXCURR : r->ncurr;

	hp(h, "<section id=\"interactions\"><h2>Interactions</h2>\n");
	if (r->inter_total == 0) {
		snprintf(text, sizeof(text), "No interactions from %s to %s.",
		    r->start_day, r->asof_day);
		nodata(h, text);
		hp(h, "</section>\n");
		return;
	}
	hp(h, "<div class=\"grid\">\n");

	/* Volume per channel, stacked. */
	memset(&ch, 0, sizeof(ch));
	memset(s, 0, sizeof(s));
	for (k = 0; k < r->nchan; k++) {
		s[k].name = r->chan[k];
		s[k].v = r->chan_n[k];
		if (strcmp(r->chan[k], "other channels") == 0)
			s[k].colour = "#999999";
	}
	snprintf(title, sizeof(title), "Interactions per %s by channel",
	    report_unit_name(r));
	ch.title = title;
	ch.cat_label = r->monthly ? "month (UTC)" : "week starting (UTC)";
	snprintf(text, sizeof(text), "interactions per %s",
	    report_unit_name(r));
	ch.value_label = text;
	ch.kind = CRM_CHART_STACKED;
	ch.ncat = r->nb;
	ch.cats = r->blabel;
	ch.nser = r->nchan;
	ch.ser = s;
	ch.width = 600;
	ch.height = 340;
	hp(h, "<figure>\n");
	chart(h, &ch);
	nm[0] = r->monthly ? "month" : "week starting";
	for (k = 0; k < r->nchan; k++) {
		snprintf(chn[k], sizeof(chn[k]), "#%s", r->chan[k]);
		nm[k + 1] = chn[k];
	}
	nm[r->nchan + 1] = "#all";
	thead(h, "t-volume", nm, r->nchan + 2);
	for (i = 0; i < r->nb; i++) {
		char buf[MAXSERIES + 2][48];
		double sum = 0;

		for (k = 0; k < r->nchan; k++) {
			cells[k] = report_fint(buf[k],
			    (int64_t)r->chan_n[k][i]);
			sum += r->chan_n[k][i];
		}
		cells[r->nchan] = report_fint(buf[r->nchan], (int64_t)sum);
		trow(h, r->blabel[i], cells, r->nchan + 1);
	}
	tend(h);
	snprintf(text, sizeof(text), "%s interactions from %s to %s on every"
	    " channel and of every kind (calls, emails, visits, purchases,"
	    " tickets, ...).", report_fint(a, r->inter_total), r->start_day,
	    r->asof_day);
	caption(h, text);
	hp(h, "</figure>\n");

	/* Purchases and revenue. */
	memset(&ch, 0, sizeof(ch));
	memset(s, 0, sizeof(s));
	s[0].name = "purchases";
	s[0].v = r->purchases;
	snprintf(title, sizeof(title), "Purchases per %s", report_unit_name(r));
	ch.title = title;
	ch.cat_label = r->monthly ? "month (UTC)" : "week starting (UTC)";
	snprintf(text, sizeof(text), "purchases per %s", report_unit_name(r));
	ch.value_label = text;
	ch.kind = CRM_CHART_BARS;
	ch.ncat = r->nb;
	ch.cats = r->blabel;
	ch.nser = 1;
	ch.ser = s;
	hp(h, "<figure>\n");
	if (r->purchases_total == 0)
		nodata(h, "No purchases in the period.");
	else {
		chart(h, &ch);
		if (nc > 0) {
			for (k = 0; k < nc; k++) {
				s[k].name = r->curr[k];
				s[k].v = r->revenue[k];
			}
			snprintf(title, sizeof(title), "Revenue per %s%s",
			    report_unit_name(r), nc > 1 ? ", by currency" : "");
			ch.kind = CRM_CHART_LINES;
			ch.nser = nc;
			snprintf(text, sizeof(text), "revenue per %s%s%s",
			    report_unit_name(r), nc == 1 ? " in " :
			    " (each currency)",
			    nc == 1 ? r->curr[0] : "");
			chart(h, &ch);
		}
		nm[0] = r->monthly ? "month" : "week starting";
		nm[1] = "#purchases";
		for (k = 0; k < nc; k++) {
			snprintf(hdr[k], sizeof(hdr[k]), "#revenue %s",
			    r->curr[k]);
			nm[k + 2] = hdr[k];
		}
		thead(h, "t-purchases", nm, nc + 2);
		for (i = 0; i < r->nb; i++) {
			char buf[MAXCURR + 1][48];

			cells[0] = report_fint(buf[0],
			    (int64_t)r->purchases[i]);
			for (k = 0; k < nc; k++)
				cells[k + 1] = report_fmoney(buf[k + 1],
				    r->revenue[k][i]);
			trow(h, r->blabel[i], cells, nc + 1);
		}
		tend(h);
	}
	snprintf(text, sizeof(text), "%s purchases in the period. Revenue is"
	    " the sum of their amounts, per currency%s.",
	    report_fint(a, r->purchases_total), r->ncurr > MAXCURR ?
	    " (the four largest shown)" : "");
	caption(h, text);
	hp(h, "</figure>\n");

	/* Tickets. */
	hp(h, "<figure>\n");
	if (r->ntickets == 0)
		nodata(h, "No tickets were opened in the period.");
	else {
		double *open = calloc(r->ntickets, sizeof(double));
		double *closed = calloc(r->ntickets, sizeof(double));
		const char **cats = calloc(r->ntickets, sizeof(char *));

		if (open == NULL || closed == NULL || cats == NULL) {
			crm_error_set(h->err, CRM_EFAIL, "out of memory");
			h->failed = 1;
		} else {
			for (i = 0; i < r->ntickets; i++) {
				cats[i] = r->tickets[i].channel;
				open[i] = (double)r->tickets[i].open;
				closed[i] = (double)r->tickets[i].closed;
			}
			memset(&ch, 0, sizeof(ch));
			memset(s, 0, sizeof(s));
			s[0].name = "still open";
			s[0].v = open;
			s[0].colour = "#D55E00";
			s[1].name = "closed";
			s[1].v = closed;
			s[1].colour = "#0072B2";
			ch.title = "Tickets opened in the period, by channel";
			ch.cat_label = "channel";
			ch.value_label = "tickets";
			ch.kind = CRM_CHART_STACKED;
			ch.ncat = r->ntickets;
			ch.cats = cats;
			ch.nser = 2;
			ch.ser = s;
			chart(h, &ch);
		}
		free(open);
		free(closed);
		free(cats);
		{
			static const char *const th[] = { "channel",
			    "#tickets", "#still open", "#closed", "#resolved",
			    "#mean hours", "#median hours" };
			thead(h, "t-tickets", th, 7);
			for (i = 0; i < r->ntickets; i++) {
				const struct ticket_stat *x = &r->tickets[i];
				char buf[6][48];

				cells[0] = report_fint(buf[0], x->tickets);
				cells[1] = report_fint(buf[1], x->open);
				cells[2] = report_fint(buf[2], x->closed);
				cells[3] = report_fint(buf[3], x->resolved);
				cells[4] = report_fnum(buf[4], x->mean_hours,
				    2);
				cells[5] = report_fnum(buf[5], x->median_hours,
				    2);
				trow(h, x->channel, cells, 6);
			}
			tend(h);
		}
	}
	{
		char o[11] = "";

		if (r->backlog_oldest)
			crm_format_date(r->backlog_oldest, o);
		snprintf(text, sizeof(text), "Tickets opened from %s to %s"
		    " (crm-log stats --tickets); resolution time from opening"
		    " to closing. At the end of the period %s tickets were"
		    " open in all%s%s.", r->start_day, r->asof_day,
		    report_fint(a, r->backlog_total), *o ?
		    ", the oldest opened " :
		    "", o);
		caption(h, text);
	}
	if (r->nbacklog > 0) {
		static const char *const th[] = { "channel", "#open tickets" };

		thead(h, "t-backlog", th, 2);
		for (i = 0; i < r->nbacklog; i++) {
			cells[0] = report_fint(a, r->backlog[i].n);
			trow(h, r->backlog[i].name, cells, 1);
		}
		tend(h);
	}
	hp(h, "</figure>\n</div>\n");

	/* The channel statistics as crm-log prints them. */
	if (r->nstats > 0) {
		static const char *const th[] = { "channel", "kind",
		    "#interactions", "#inbound", "#outbound", "#contacts",
		    "#amount", "currency" };

		snprintf(text, sizeof(text), "Interactions by channel and kind,"
		    " %s to %s", r->start_day, r->asof_day);
		hp(h, "<h3>");
		esc(h, text);
		hp(h, "</h3>\n");
		thead(h, "t-stats", th, 8);
		for (i = 0; i < r->nstats; i++) {
			const struct chan_stat *x = &r->stats[i];
			char buf[5][48];

			hp(h, "<tr><th scope=\"row\">");
			esc(h, x->channel);
			hp(h, "</th><td>");
			esc(h, x->kind);
			hp(h, "</td><td class=\"n\">%s</td><td class=\"n\">%s"
			    "</td><td class=\"n\">%s</td><td class=\"n\">%s"
			    "</td><td class=\"n\">%s</td><td>",
			    report_fint(buf[0], x->interactions),
			    report_fint(buf[1],
			    x->inbound), report_fint(buf[2], x->outbound),
			    report_fint(buf[3], x->contacts),
			    report_fmoney(buf[4],
			    x->amount));
			esc(h, x->currency);
			hp(h, "</td></tr>\n");
		}
		tend(h);
		crm_format_date(r->end, title);
		snprintf(text, sizeof(text), "The same numbers as crm-log"
		    " stats --as-of %s -w %lld.", title, (long long)r->days);
		hp(h, "<p class=\"note\">");
		esc(h, text);
		hp(h, "</p>\n");
	}
	hp(h, "</section>\n");
}

/* The name of segment index i in a flow: new and gone contacts. */
const char *
report_flow_name(const struct crm_report *r, int i)
{
	return i == -1 ? "(not in the last report)" : i == -2 ?
	    "(merged or erased since)" : r->segnames[i];
}

static void
html_movement(struct html *h)
{
	const struct crm_report *r = h->r;
	char a[48], b[48], c[48], text[320];
	const char *cells[4];
	struct crm_chart_series s;
	struct crm_chart ch;
	double *delta;
	size_t i, k;

	hp(h, "<h3>Movement between segments</h3>\n");
	switch (r->state_status) {
	case 0:
		nodata(h, "Movement needs a state file (crm-report --state"
		    " FILE) to remember the segments of the last report.");
		return;
	case 2:
		nodata(h, "No earlier report to compare with: this is the"
		    " first one with this state file.");
		return;
	case 3:
		snprintf(text, sizeof(text), "The state file is for a later"
		    " day (%s) than this report: nothing to compare with.",
		    r->file_day);
		nodata(h, text);
		return;
	case 4:
		snprintf(text, sizeof(text), "The state file has only this"
		    " day (%s): no earlier report to compare with.",
		    r->file_day);
		nodata(h, text);
		return;
	}
	snprintf(text, sizeof(text), "Since the report for %s: %s contacts"
	    " changed segment, %s stayed, %s are new and %s were merged or"
	    " erased.", r->base_day, report_fint(a, r->moved), report_fint(b,
	    r->stayed),
	    report_fint(c, r->joined), report_fint(a, r->left));
	hp(h, "<p>");
	esc(h, text);
	hp(h, "</p>\n<div class=\"grid\">\n<figure>\n");
	if ((delta = calloc(r->nsegnames + 1, sizeof(double))) == NULL) {
		crm_error_set(h->err, CRM_EFAIL, "out of memory");
		h->failed = 1;
		return;
	}
	{
		const char **cats = calloc(r->nsegnames + 1, sizeof(char *));
		int64_t *now = calloc(r->nsegnames + 1, sizeof(int64_t));

		if (cats == NULL || now == NULL) {
			free(cats);
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
			delta[k] = (double)(now[k] - r->seg_before[k]);
		}
		memset(&ch, 0, sizeof(ch));
		memset(&s, 0, sizeof(s));
		s.name = "change";
		s.v = delta;
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
		chart(h, &ch);
		{
			static const char *const th[] = { "segment", "#before",
			    "#now", "#change" };

			thead(h, "t-movement", th, 4);
		}
		for (k = 0; k < r->nsegnames; k++) {
			char d[48];

			cells[0] = report_fint(a, r->seg_before[k]);
			cells[1] = report_fint(b, now[k]);
			snprintf(c, sizeof(c), "%s%s", now[k] >
			    r->seg_before[k] ? "+" : "", report_fint(d, now[k] -
			    r->seg_before[k]));
			cells[2] = c;
			trow(h, r->segnames[k], cells, 3);
		}
		tend(h);
		free(cats);
		free(now);
	}
	free(delta);
	caption(h, "Segment sizes in the last report and now, over the"
	    " contacts of either.");
	hp(h, "</figure>\n<figure>\n");
	if (r->nflows == 0)
		nodata(h, "No contact changed segment.");
	else {
		static const char *const th[] = { "from", "to", "#contacts" };

		thead(h, "t-flows", th, 3);
		for (i = 0; i < r->nflows && i < 20; i++) {
			hp(h, "<tr><td>");
			esc(h, report_flow_name(r, r->flows[i].from));
			hp(h, "</td><td>");
			esc(h, report_flow_name(r, r->flows[i].to));
			hp(h, "</td><td class=\"n\">%s</td></tr>\n",
			    report_fint(a, r->flows[i].n));
		}
		tend(h);
	}
	caption(h, "The largest flows of contacts between segments (at most"
	    " twenty).");
	hp(h, "</figure>\n</div>\n");
}

static void
html_segments(struct html *h)
{
	const struct crm_report *r = h->r;
	char a[48], b[48], text[320];
	const char *cells[8];
	struct crm_chart_series s[2];
	struct crm_chart ch;
	double *v[2];
	const char **cats;
	size_t i;

	hp(h, "<section id=\"segments\"><h2>Segments</h2>\n");
	if (r->buyers == 0) {
		snprintf(text, sizeof(text), "No purchases up to %s: no RFM"
		    " segments.", r->asof_day);
		nodata(h, text);
		html_movement(h);
		hp(h, "</section>\n");
		return;
	}
	snprintf(text, sizeof(text), "RFM segments as of %s (crm-segment rfm"
	    " --as-of %s): %s of %s contacts have bought.", r->asof_day,
	    r->asof_day, report_fint(a, r->buyers), report_fint(b,
	    (int64_t)r->nwho));
	hp(h, "<p>");
	esc(h, text);
	hp(h, "</p>\n<div class=\"grid\">\n<figure>\n");
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
	chart(h, &ch);
	caption(h, "Each segment's share of all contacts and of all revenue:"
	    " the numbers are in the table under the charts.");
	hp(h, "</figure>\n<figure>\n");
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
		chart(h, &ch);
		{
			static const char *const th[] = { "decile",
			    "#contacts", "#revenue", "#share",
			    "#cumulative share" };

			thead(h, "t-deciles", th, 5);
		}
		for (i = 0; i < 10; i++) {
			char buf[4][48];

			cells[0] = report_fint(buf[0], r->dec[i].contacts);
			cells[1] = report_fmoney(buf[1], r->dec[i].revenue);
			snprintf(buf[2], 48, "%.4f", r->dec[i].share);
			snprintf(buf[3], 48, "%.4f", r->dec[i].cum);
			cells[2] = buf[2];
			cells[3] = buf[3];
			trow(h, dn[i], cells, 4);
		}
		tend(h);
		snprintf(text, sizeof(text), "All contacts ranked by revenue"
		    " to %s and cut into ten groups of equal size (crm-segment"
		    " profit --by decile): the top 20%% bring %.1f%% of the"
		    " revenue.", r->asof_day, r->dec[1].cum * 100);
		caption(h, text);
	}
	hp(h, "</figure>\n</div>\n");
	{
		static const char *const th[] = { "segment", "#contacts",
		    "#share of contacts", "#buyers", "#orders", "#revenue",
		    "#share", "#cumulative share" };

		thead(h, "t-segments", th, 8);
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
		trow(h, g->name, cells, 7);
	}
	tend(h);
	hp(h, "<p class=\"note\">Contacts, buyers, orders and revenue per"
	    " RFM segment, largest revenue first: the same as crm-segment"
	    " profit --by rfm.</p>\n");
	html_movement(h);
	hp(h, "</section>\n");
}

static void
html_churn(struct html *h)
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

	hp(h, "<section id=\"churn\"><h2>Churn and value</h2>\n");
	if (r->scored == 0) {
		nodata(h, "No scores: crm-churn fit and crm-churn score store"
		    " them.");
		hp(h, "</section>\n");
		return;
	}
	crm_format_time(r->scored_at, t);
	snprintf(text, sizeof(text), "%s customers scored at %s by crm-churn"
	    " score, over a horizon of %lld days; model: %s.",
	    report_fint(a, r->scored), t, (long long)r->horizon, r->model ?
	    r->model : "not found");
	hp(h, "<p>");
	esc(h, text);
	hp(h, "</p>\n<div class=\"grid\">\n<figure>\n");
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
	chart(h, &ch);
	{
		static const char *const th[] = { "P(alive)", "#customers",
		    "#share" };

		thead(h, "t-palive", th, 3);
	}
	for (i = 0; i < 10; i++) {
		cells[0] = report_fint(a, r->palive_hist[i]);
		cells[1] = report_fpct(b, report_ratio(r->palive_hist[i],
		    r->scored));
		trow(h, pn[i], cells, 2);
	}
	tend(h);
	snprintf(text, sizeof(text), "Customers by P(alive), in bands of 0.1"
	    " (the last includes 1). %s have P(alive) below %.2f: at risk.",
	    report_fint(a, r->at_risk_n), r->at_risk);
	caption(h, text);
	hp(h, "</figure>\n<figure>\n");

	if (r->vdec[0].n == 0)
		nodata(h, "No lifetime values: the spend model could not be"
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
		chart(h, &ch);
		s.name = "mean expected purchases";
		s.v = w;
		snprintf(text, sizeof(text), "expected purchase days in %lld"
		    " days", (long long)r->horizon);
		ch.title = "Expected purchases by CLV decile";
		ch.value_label = text;
		chart(h, &ch);
		{
			static const char *const th[] = { "decile",
			    "#customers", "#P(alive)", "#purchases", "#CLV",
			    "#total CLV" };

			thead(h, "t-value", th, 6);
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
			trow(h, dn[i], cells, 5);
		}
		tend(h);
		snprintf(text, sizeof(text), "Scored customers ranked by CLV"
		    " and cut into ten groups of equal size%s; P(alive),"
		    " expected purchases and CLV are means per customer.",
		    r->no_clv ? ", those without a CLV left out" : "");
		caption(h, text);
	}
	hp(h, "</figure>\n</div>\n");

	snprintf(text, sizeof(text), "Valuable customers at risk (the top %lld"
	    " by revenue)", (long long)r->o.top);
	hp(h, "<h3>");
	esc(h, text);
	hp(h, "</h3>\n");
	if (r->nrisky == 0)
		nodata(h, "No customer with purchases is at risk.");
	else {
		static const char *const th[] = { "#", "customer",
		    "external id", "owner", "segment", "#revenue",
		    "#purchases", "#days since last", "#P(alive)", "#CLV" };

		thead(h, "t-risk", th, 10);
		for (i = 0; i < r->nrisky; i++) {
			const struct risky *x = &r->risky[i];
			char buf[5][48];

			hp(h, "<tr><td class=\"n\">%zu</td><td>", i + 1);
			esc(h, x->name);
			hp(h, "</td><td>");
			esc(h, x->ext);
			hp(h, "</td><td>");
			esc(h, x->owner);
			hp(h, "</td><td>");
			esc(h, x->segment);
			hp(h, "</td><td class=\"n\">%s</td><td class=\"n\">%s"
			    "</td><td class=\"n\">%s</td><td class=\"n\">%s"
			    "</td><td class=\"n\">%s</td></tr>\n",
			    report_fmoney(buf[0], x->revenue),
			    report_fint(buf[1],
			    x->orders), report_fint(buf[2], x->recency),
			    report_fnum(buf[3],
			    x->p_alive, 3), report_fmoney(buf[4], x->clv));
		}
		tend(h);
	}
	snprintf(text, sizeof(text), "Customers with P(alive) below %.2f,"
	    " ranked by their revenue up to %s (crm-segment rfm), with their"
	    " owner to call them. Names only: no email or phone in a"
	    " report that travels.", r->at_risk, r->asof_day);
	hp(h, "<p class=\"note\">");
	esc(h, text);
	hp(h, "</p>\n</section>\n");
}

static void
html_campaigns(struct html *h)
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

	hp(h, "<section id=\"campaigns\"><h2>Campaigns</h2>\n");
	if (r->ncamps == 0) {
		snprintf(text, sizeof(text), "No campaign was sent from %s to"
		    " %s (%s others in the database).", r->start_day,
		    r->asof_day, report_fint(a, r->camps_other));
		nodata(h, text);
		hp(h, "</section>\n");
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
	hp(h, "<p>");
	esc(h, text);
	hp(h, "</p>\n<div class=\"grid\">\n<figure>\n");
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
	chart(h, &ch);
	caption(h, "The share of each group that bought within the response"
	    " window.");
	hp(h, "</figure>\n<figure>\n");
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
	chart(h, &ch);
	caption(h, "Dots: the difference in response rate; whiskers: its 95%"
	    " Wald interval. An interval that crosses zero is no evidence of"
	    " an effect. Campaigns without a control group have no dot.");
	hp(h, "</figure>\n</div>\n");
	{
		static const char *const th[] = { "campaign", "channel",
		    "sent", "#treated", "#responders", "#rate", "#control",
		    "#responders", "#rate", "#uplift", "#95% interval",
		    "#p-value", "#revenue (treated)" };

		thead(h, "t-campaigns", th, 13);
	}
	for (i = 0; i < r->ncamps; i++) {
		const struct campaign *c = &r->camps[i];
		char d[11], buf[10][48];

		crm_format_date(c->sent_at, d);
		hp(h, "<tr><th scope=\"row\">");
		esc(h, c->name);
		hp(h, "</th><td>");
		esc(h, c->channel);
		hp(h, "</td><td>%s</td>", d);
		hp(h, "<td class=\"n\">%s</td><td class=\"n\">%s</td>"
		    "<td class=\"n\">%s</td>", report_fint(buf[0], c->n[0]),
		    report_fint(buf[1], c->responders[0]), report_fpct(buf[2],
		    c->n[0] ?
		    c->rate[0] : NAN));
		hp(h, "<td class=\"n\">%s</td><td class=\"n\">%s</td>"
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
		hp(h, "<td class=\"n\">%s</td><td class=\"n\">%s</td>"
		    "<td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
		    buf[6], buf[7], buf[8], report_fmoney(buf[9],
		    c->revenue[0]));
	}
	tend(h);
	hp(h, "<p class=\"note\">Rates in percent, uplift and its interval in"
	    " percentage points; p-value of the two-proportion z-test.%s</p>\n",
	    open ? " Some response windows are still open: their rates will"
	    " still grow." : "");

	/* Suppression. */
	hp(h, "<figure class=\"wide\">\n");
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
	chart(h, &ch);
	{
		const char *th[CRM_CAMPAIGN_NREASONS + 1];
		char names[CRM_CAMPAIGN_NREASONS][40];

		th[0] = "campaign";
		for (k = 0; k < CRM_CAMPAIGN_NREASONS; k++) {
			snprintf(names[k], sizeof(names[k]), "#%s",
			    crm_campaign_reasons[k]);
			th[k + 1] = names[k];
		}
		thead(h, "t-suppressed", th, CRM_CAMPAIGN_NREASONS + 1);
	}
	for (i = 0; i < r->ncamps; i++) {
		const char *cells[CRM_CAMPAIGN_NREASONS];
		char buf[CRM_CAMPAIGN_NREASONS][48];

		for (k = 0; k < CRM_CAMPAIGN_NREASONS; k++)
			cells[k] = report_fint(buf[k],
			    r->camps[i].suppressed[k]);
		trow(h, r->camps[i].name, cells, CRM_CAMPAIGN_NREASONS);
	}
	tend(h);
	caption(h, "Selected contacts left out of each campaign, by the first"
	    " reason that applied: consent, do-not-contact, addresses, other"
	    " campaigns, the frequency cap.");
	hp(h, "</figure>\n</section>\n");
}

int
crm_report_html(const struct crm_report *r, FILE *fp, struct crm_error *err)
{
	struct html h = { fp, r, err, 0 };
	char a[48], now[21], text[400];
	const char *top = r->ncurr > 0 ? r->curr[0] : NULL;

	crm_format_time(r->o.now, now);
	hp(&h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\"/>\n"
	    "<meta name=\"viewport\" content=\"width=device-width,"
	    " initial-scale=1\"/>\n"
	    "<meta name=\"generator\" content=\"crm-report %s\"/>\n"
	    "<title>CRM report %s</title>\n<style>\n%s</style>\n</head>\n"
	    "<body>\n<header>\n<h1>CRM report for %s</h1>\n",
	    CRM_VERSION, r->asof_day, css, r->asof_day);
	snprintf(text, sizeof(text), "Period %s to %s (%lld days, by %s%s)."
	    " Database ", r->start_day, r->asof_day, (long long)r->days,
	    r->monthly ? "calendar month" : "week",
	    r->monthly ? "" : ", weeks ending with the last day");
	hp(&h, "<p class=\"meta\">");
	esc(&h, text);
	esc(&h, r->o.db_name ? r->o.db_name : "(unnamed)");
	snprintf(text, sizeof(text), ", made %s by crm-report %s. All times"
	    " UTC.", now, CRM_VERSION);
	esc(&h, text);
	hp(&h, "</p>\n<nav><a href=\"#contacts\">Contacts</a>"
	    "<a href=\"#interactions\">Interactions</a>"
	    "<a href=\"#segments\">Segments</a>"
	    "<a href=\"#churn\">Churn and value</a>"
	    "<a href=\"#campaigns\">Campaigns</a></nav>\n"
	    "<div class=\"kpis\">\n");
	kpi(&h, report_fint(a, r->live), "contacts");
	snprintf(text, sizeof(text), "new contacts in %lld days",
	    (long long)r->days);
	kpi(&h, report_fint(a, r->new_total), text);
	kpi(&h, report_fint(a, r->inter_total), "interactions in the period");
	kpi(&h, report_fint(a, r->purchases_total), "purchases in the period");
	if (top != NULL) {
		snprintf(text, sizeof(text), "revenue in the period%s%s%s",
		    strcmp(top, "(no currency)") == 0 ? ", no currency" :
		    " in ", strcmp(top, "(no currency)") == 0 ? "" : top,
		    r->ncurr > 1 ? " (the largest currency)" : "");
		kpi(&h, report_fmoney(a, r->curr_total[0]), text);
	}
	kpi(&h, report_fint(a, r->backlog_total), "tickets open at the end");
	if (r->scored > 0)
		kpi(&h, report_fint(a, r->at_risk_n),
		    "scored customers at risk");
	kpi(&h, report_fint(a, (int64_t)r->ncamps), "campaigns sent");
	hp(&h, "</div>\n</header>\n<main>\n");
	html_contacts(&h);
	if (!h.failed)
		html_interactions(&h);
	if (!h.failed)
		html_segments(&h);
	if (!h.failed)
		html_churn(&h);
	if (!h.failed)
		html_campaigns(&h);
	hp(&h, "</main>\n<footer>\n<p>Contacts counted are those neither"
	    " merged into another nor erased. Money is summed as stored: when"
	    " the data holds several currencies, sums across them (segments,"
	    " CLV) mix them. Colours: the Okabe-Ito palette. Every chart's"
	    " numbers are in the table beside it.</p>\n</footer>\n"
	    "</body>\n</html>\n");
	if (h.failed)
		return -1;
	if (ferror(fp))
		return crm_error_set(err, CRM_EFAIL, "write error: %s",
		    strerror(errno));
	return 0;
}
