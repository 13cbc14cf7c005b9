/*
 * report-html.c - the report as one HTML page: inline CSS and SVG, no
 * script, nothing fetched.  The page, its parts (tables, charts, cards)
 * and the sections on contacts and interactions; the sections on
 * segments, churn and campaigns are in report-html-value.c.
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
    ".kpi small{display:block;font-size:12px;color:#444}\n"
    ".kpi small.up::before{content:'\\25B2  '}\n"
    ".kpi small.down::before{content:'\\25BC  '}\n"
    "#summary h2{margin-top:12px}\n"
    "#summary ul{margin:4px 0;padding-left:20px}\n"
    ".grid{display:flex;flex-wrap:wrap;gap:20px;align-items:flex-start}\n"
    "figure{margin:0 0 12px;flex:1 1 560px;max-width:600px;min-width:0}\n"
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
    "details summary{cursor:pointer;color:#555;font-size:13px;"
    "margin:4px 0}\n"
    "@media print{nav{display:none}figure{break-inside:avoid}}\n"
    "@media (max-width:600px){body{padding:8px 12px}h1{font-size:21px}"
    ".kpis{gap:6px;margin:8px 0}.kpi{min-width:0;flex:1 1 40%;"
    "padding:4px 8px}.kpi b{font-size:18px}.kpi small{font-size:11px}"
    "figure{flex-basis:100%}}\n";

void
report_html_esc(struct report_html *h, const char *s)
{
	crm_svg_escape(h->fp, s);
}

void
report_html_hp(struct report_html *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(h->fp, fmt, ap);
	va_end(ap);
}

void
report_html_nodata(struct report_html *h, const char *text)
{
	h->charted = 0;
	report_html_hp(h, "<p class=\"nodata\">");
	report_html_esc(h, text);
	report_html_hp(h, "</p>\n");
}

void
report_html_chart(struct report_html *h, const struct crm_chart *c)
{
	char text[200];
	size_t i, k;

	/* A chart of nothing (every value zero or missing) says so instead
	 * of drawing empty axes. */
	for (k = 0; k < c->nser; k++)
		for (i = 0; i < c->ncat; i++)
			if (!isnan(c->ser[k].v[i]) && c->ser[k].v[i] != 0)
				goto draw;
	snprintf(text, sizeof(text), "%s: nothing to draw, every value is"
	    " zero or missing.", c->title);
	report_html_nodata(h, text);
	h->charted = 1;		/* its table of zeros folds all the same */
	return;
draw:
	if (!h->failed && crm_svg_chart(h->fp, c, h->err) < 0)
		h->failed = 1;
	h->charted = 1;
}

void
report_html_caption(struct report_html *h, const char *text)
{
	h->charted = 0;
	report_html_hp(h, "<figcaption>");
	report_html_esc(h, text);
	report_html_hp(h, "</figcaption>\n");
}

/* A table head: names starting with '#' are numeric columns. */
void
report_html_thead(struct report_html *h, const char *id,
    const char *const *names, size_t n)
{
	size_t i;

	/* Under a chart, its table is folded: the page reads as charts,
	 * the numbers one click away (no script: <details>). */
	if (h->charted) {
		report_html_hp(h, "<details><summary>The numbers</summary>\n");
		h->folded = 1;
		h->charted = 0;
	}
	report_html_hp(h, "<div class=\"scroll\"><table id=\"%s\"><thead><tr>",
	    id);
	for (i = 0; i < n; i++) {
		int num = names[i][0] == '#';

		report_html_hp(h, "<th%s>", num ? " class=\"n\"" : "");
		report_html_esc(h, names[i] + num);
		report_html_hp(h, "</th>");
	}
	report_html_hp(h, "</tr></thead><tbody>\n");
}

void
report_html_tend(struct report_html *h)
{
	report_html_hp(h, "</tbody></table></div>\n");
	if (h->folded)
		report_html_hp(h, "</details>\n");
	h->folded = 0;
}

/* A row: the first cell a header of the row, the others numbers. */
void
report_html_trow(struct report_html *h, const char *label,
    const char *const *cells, size_t n)
{
	size_t i;

	report_html_hp(h, "<tr><th scope=\"row\">");
	report_html_esc(h, label);
	report_html_hp(h, "</th>");
	for (i = 0; i < n; i++) {
		report_html_hp(h, "<td class=\"n\">");
		report_html_esc(h, cells[i]);
		report_html_hp(h, "</td>");
	}
	report_html_hp(h, "</tr>\n");
}

void
report_html_kpi(struct report_html *h, const char *value, const char *what)
{
	report_html_hp(h, "<div class=\"kpi\"><b>");
	report_html_esc(h, value);
	report_html_hp(h, "</b><span>");
	report_html_esc(h, what);
	report_html_hp(h, "</span></div>\n");
}

const char *
report_unit_name(const struct crm_report *r)
{
	return r->monthly ? "month" : "week";
}

static void
html_contacts(struct report_html *h)
{
	const struct crm_report *r = h->r;
	char a[48], b[48], c[48], d[48], e[48], text[256];
	const char *cells[6];
	struct crm_chart ch;
	struct crm_chart_series s[3];
	double *v[3];
	size_t i, k, n;

	report_html_hp(h, "<section id=\"contacts\"><h2>Contacts</h2>\n");
	if (r->live == 0) {
		report_html_nodata(h, "No contacts in the database.");
		report_html_hp(h, "</section>\n");
		return;
	}
	snprintf(text, sizeof(text), "%s contacts (neither merged into"
	    " another nor erased); %s merged away as duplicates, %s erased.",
	    report_fint(a, r->live), report_fint(b, r->merged_away),
	    report_fint(c, r->erased));
	report_html_hp(h, "<p>");
	report_html_esc(h, text);
	report_html_hp(h, "</p>\n<div class=\"grid\">\n");

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
	report_html_hp(h, "<figure>\n");
	report_html_chart(h, &ch);
	{
		const char *nm[2] = { r->monthly ? "month" : "week starting",
		    "#new contacts" };

		report_html_thead(h, "t-new", nm, 2);
	}
	for (i = 0; i < r->nb; i++) {
		cells[0] = report_fint(a, (int64_t)r->new_contacts[i]);
		report_html_trow(h, r->blabel[i], cells, 1);
	}
	report_html_tend(h);
	snprintf(text, sizeof(text), "%s contacts added from %s to %s, by"
	    " the day they were added to the database (created_at), not"
	    " counting those since merged or erased.", report_fint(a,
	    r->new_total),
	    r->start_day, r->asof_day);
	report_html_caption(h, text);
	report_html_hp(h, "</figure>\n");

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
		report_html_hp(h, "<figure>\n");
		report_html_chart(h, &ch);
		{
			static const char *const nm[] = { "stage", "#contacts",
			    "#share" };

			report_html_thead(h, "t-stages", nm, 3);
		}
		for (i = 0; i < r->nstages; i++) {
			cells[0] = report_fint(a, r->stages[i].n);
			cells[1] = report_fpct(b, report_ratio(r->stages[i].n,
			    r->live));
			report_html_trow(h, r->stages[i].name, cells, 2);
		}
		report_html_tend(h);
		report_html_caption(h,
		    "Lead, prospect, customer or former, as crm-add"
		    " set it (crm-segment profit --by stage counts the same).");
		report_html_hp(h, "</figure>\n");

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
		report_html_hp(h, "<figure>\n");
		report_html_chart(h, &ch);
		{
			static const char *const nm[] = { "owner", "#contacts",
			    "#share" };

			report_html_thead(h, "t-owners", nm, 3);
		}
		for (i = 0; i < no; i++) {
			cells[0] = report_fint(a,
			    (int64_t)vals[r->nstages + i]);
			cells[1] = report_fpct(b,
			    report_ratio((int64_t)vals[r->nstages + i],
			    r->live));
			report_html_trow(h, cats[r->nstages + i], cells, 2);
		}
		report_html_tend(h);
		snprintf(text, sizeof(text), "The sales representative or"
		    " team responsible; %s owners%s.", report_fint(a,
		    (int64_t)r->nowners), r->nowners > MAXOWNERS ?
		    ", the smallest folded into \"other owners\"" : "");
		report_html_caption(h, text);
		report_html_hp(h, "</figure>\n");
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
	report_html_hp(h, "<figure>\n");
	report_html_chart(h, &ch);
	{
		static const char *const nm[] = { "channel", "#opted in",
		    "#refused", "#not known", "#reachable",
		    "#share reachable" };

		report_html_thead(h, "t-consent", nm, 6);
	}
	for (i = 0; i < 4; i++) {
		cells[0] = report_fint(a, r->consent[i][0]);
		cells[1] = report_fint(b, r->consent[i][1]);
		cells[2] = report_fint(c, r->consent[i][2]);
		cells[3] = report_fint(d, r->consent[i][3]);
		cells[4] = report_fpct(e, report_ratio(r->consent[i][3],
		    r->live));
		report_html_trow(h, report_consent_names[i], cells, 5);
	}
	report_html_tend(h);
	report_html_caption(h,
	    "Reachable: opted in, not marked do-not-contact, and with"
	    " the address the channel needs (an email; a phone; a phone in"
	    " E.164 form for SMS; street, city and postcode for mail).");
	report_html_hp(h, "</figure>\n");
	for (k = 0; k < 3; k++)
		free(v[k]);

	/* Data quality. */
	report_html_hp(h, "<figure>\n");
	{
		static const char *const nm[] = { "", "#contacts", "#share" };

		report_html_thead(h, "t-quality", nm, 3);
	}
	cells[0] = report_fint(a, r->no_email);
	cells[1] = report_fpct(b, report_ratio(r->no_email, r->live));
	report_html_trow(h, "without an email", cells, 2);
	cells[0] = report_fint(a, r->no_phone);
	cells[1] = report_fpct(b, report_ratio(r->no_phone, r->live));
	report_html_trow(h, "without a phone", cells, 2);
	cells[0] = report_fint(a, r->no_both);
	cells[1] = report_fpct(b, report_ratio(r->no_both, r->live));
	report_html_trow(h, "without either", cells, 2);
	cells[0] = report_fint(a, r->dnc);
	cells[1] = report_fpct(b, report_ratio(r->dnc, r->live));
	report_html_trow(h, "marked do-not-contact", cells, 2);
	cells[1] = "";
	cells[0] = report_fint(a, r->merges_period);
	report_html_trow(h, "duplicates merged in the period", cells, 2);
	cells[0] = report_fint(a, r->merges_total);
	report_html_trow(h, "duplicates merged in all (not undone)", cells, 2);
	cells[0] = report_fint(a, r->merges_undone);
	report_html_trow(h, "merges undone", cells, 2);
	report_html_tend(h);
	report_html_caption(h,
	    "Data quality of the contacts; merges are those crm-dedupe"
	    " recorded in the merges table.");
	report_html_hp(h, "</figure>\n");

	/* Imports in the period, from the audit table. */
	report_html_hp(h, "<figure>\n");
	if (r->nruns == 0)
		report_html_nodata(h,
		    "No program wrote to the database in the period.");
	else {
		static const char *const nm[] = { "program", "#runs",
		    "#rows read", "#new", "#changed", "#unchanged",
		    "#rows rejected" };

		report_html_thead(h, "t-runs", nm, 7);
		for (i = 0; i < r->nruns; i++) {
			char f[48];

			cells[0] = report_fint(a, r->runs[i].runs);
			cells[1] = report_fint(b, r->runs[i].read);
			cells[2] = report_fint(c, r->runs[i].inserted);
			cells[3] = report_fint(d, r->runs[i].updated);
			cells[4] = report_fint(e, r->runs[i].unchanged);
			cells[5] = report_fint(f, r->runs[i].rejected);
			report_html_trow(h, r->runs[i].program, cells, 6);
		}
		report_html_tend(h);
	}
	report_html_caption(h,
	    "Runs that wrote to the database in the period, from the"
	    " audit table: rows read, of them new, changed, and unchanged"
	    " (already there: a file read again adds to the rows read,"
	    " not to the data), and rows rejected as bad data.");
	report_html_hp(h, "</figure>\n");

	/* The last twelve months. */
	report_html_hp(h, "<figure>\n");
	{
		static const char *const nm[] = { "month", "#new contacts" };

		report_html_thead(h, "t-months", nm, 2);
	}
	for (n = 0; n < 12; n++) {
		cells[0] = report_fint(a, r->month_n[n]);
		report_html_trow(h, r->month[n], cells, 1);
	}
	report_html_tend(h);
	report_html_caption(h,
	    "New contacts per calendar month (UTC), the last twelve.");
	report_html_hp(h, "</figure>\n</div>\n</section>\n");
}

/*
 * A channel's colour, the same in every report (assigned by rank, e-mail
 * was one colour in one report and another in the next): the Okabe-Ito
 * colours in crm-log's order of channels, wine (Paul Tol's #882255) for
 * the ninth, grey for "other" and the folded rest.
 */
static const char *
channel_colour(const char *name)
{
	static const char *const names[] = { "email", "phone", "web",
	    "store", "ivr", "chat", "sms", "social", "mail" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return i < 8 ? crm_svg_colour(i) : "#882255";
	return "#999999";
}

static void
html_interactions(struct report_html *h)
{
	const struct crm_report *r = h->r;
	char a[48], text[320], title[96], hdr[MAXCURR][64];
	char chn[MAXSERIES + 1][64];
	const char *cells[MAXSERIES + 3], *nm[MAXSERIES + 3];
	struct crm_chart_series s[MAXSERIES + 1];
	struct crm_chart ch;
	size_t i, k, nc = r->ncurr > MAXCURR ? MAXCURR : r->ncurr;

	report_html_hp(h,
	    "<section id=\"interactions\"><h2>Interactions</h2>\n");
	if (r->inter_total == 0) {
		snprintf(text, sizeof(text), "No interactions from %s to %s.",
		    r->start_day, r->asof_day);
		report_html_nodata(h, text);
		report_html_hp(h, "</section>\n");
		return;
	}
	report_html_hp(h, "<div class=\"grid\">\n");

	/* Volume per channel, stacked. */
	memset(&ch, 0, sizeof(ch));
	memset(s, 0, sizeof(s));
	for (k = 0; k < r->nchan; k++) {
		s[k].name = r->chan[k];
		s[k].v = r->chan_n[k];
		s[k].colour = channel_colour(r->chan[k]);
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
	report_html_hp(h, "<figure>\n");
	report_html_chart(h, &ch);
	nm[0] = r->monthly ? "month" : "week starting";
	for (k = 0; k < r->nchan; k++) {
		snprintf(chn[k], sizeof(chn[k]), "#%s", r->chan[k]);
		nm[k + 1] = chn[k];
	}
	nm[r->nchan + 1] = "#all";
	report_html_thead(h, "t-volume", nm, r->nchan + 2);
	for (i = 0; i < r->nb; i++) {
		char buf[MAXSERIES + 2][48];
		double sum = 0;

		for (k = 0; k < r->nchan; k++) {
			cells[k] = report_fint(buf[k],
			    (int64_t)r->chan_n[k][i]);
			sum += r->chan_n[k][i];
		}
		cells[r->nchan] = report_fint(buf[r->nchan], (int64_t)sum);
		report_html_trow(h, r->blabel[i], cells, r->nchan + 1);
	}
	report_html_tend(h);
	snprintf(text, sizeof(text), "%s interactions from %s to %s on every"
	    " channel and of every kind (calls, emails, visits, purchases,"
	    " tickets, ...); the %s outbound ones (sends: campaign e-mails,"
	    " calls made) are charted apart.", report_fint(a, r->inter_total),
	    r->start_day, r->asof_day, report_fint(title, r->out_total));
	report_html_caption(h, text);
	report_html_hp(h, "</figure>\n");

	/* Outbound sends: what the business did, not what customers did. */
	report_html_hp(h, "<figure>\n");
	if (r->out_total == 0)
		report_html_nodata(h, "No outbound interactions (sends) in the"
		    " period.");
	else {
		memset(&ch, 0, sizeof(ch));
		memset(s, 0, sizeof(s));
		s[0].name = "outbound";
		s[0].v = r->outbound;
		s[0].colour = "#999999";
		snprintf(title, sizeof(title), "Outbound sends per %s",
		    report_unit_name(r));
		ch.title = title;
		ch.cat_label = r->monthly ? "month (UTC)" :
		    "week starting (UTC)";
		snprintf(text, sizeof(text), "sends per %s",
		    report_unit_name(r));
		ch.value_label = text;
		ch.kind = CRM_CHART_BARS;
		ch.ncat = r->nb;
		ch.cats = r->blabel;
		ch.nser = 1;
		ch.ser = s;
		report_html_chart(h, &ch);
		snprintf(text, sizeof(text), "%s interactions with direction"
		    " out (crm-campaign send, calls and messages made), not"
		    " counted in the customers' activity above.",
		    report_fint(a, r->out_total));
		report_html_caption(h, text);
	}
	report_html_hp(h, "</figure>\n");

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
	report_html_hp(h, "<figure>\n");
	if (r->purchases_total == 0)
		report_html_nodata(h, "No purchases in the period.");
	else {
		report_html_chart(h, &ch);
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
			report_html_chart(h, &ch);
		}
		nm[0] = r->monthly ? "month" : "week starting";
		nm[1] = "#purchases";
		for (k = 0; k < nc; k++) {
			snprintf(hdr[k], sizeof(hdr[k]), "#revenue %s",
			    r->curr[k]);
			nm[k + 2] = hdr[k];
		}
		report_html_thead(h, "t-purchases", nm, nc + 2);
		for (i = 0; i < r->nb; i++) {
			char buf[MAXCURR + 1][48];

			cells[0] = report_fint(buf[0],
			    (int64_t)r->purchases[i]);
			for (k = 0; k < nc; k++)
				cells[k + 1] = report_fmoney(buf[k + 1],
				    r->revenue[k][i]);
			report_html_trow(h, r->blabel[i], cells, nc + 1);
		}
		report_html_tend(h);
	}
	snprintf(text, sizeof(text), "%s purchases in the period. Revenue is"
	    " the sum of their amounts, per currency%s.",
	    report_fint(a, r->purchases_total), r->ncurr > MAXCURR ?
	    " (the four largest shown)" : "");
	report_html_caption(h, text);
	report_html_hp(h, "</figure>\n");

	/* Tickets. */
	report_html_hp(h, "<figure>\n");
	if (r->ntickets == 0)
		report_html_nodata(h, "No tickets were opened in the period.");
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
			report_html_chart(h, &ch);
		}
		free(open);
		free(closed);
		free(cats);
		{
			static const char *const th[] = { "channel",
			    "#tickets", "#still open", "#closed", "#resolved",
			    "#mean hours", "#median hours" };
			report_html_thead(h, "t-tickets", th, 7);
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
				report_html_trow(h, x->channel, cells, 6);
			}
			report_html_tend(h);
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
		report_html_caption(h, text);
	}
	if (r->nbacklog > 0) {
		static const char *const th[] = { "channel", "#open tickets" };

		report_html_thead(h, "t-backlog", th, 2);
		for (i = 0; i < r->nbacklog; i++) {
			cells[0] = report_fint(a, r->backlog[i].n);
			report_html_trow(h, r->backlog[i].name, cells, 1);
		}
		report_html_tend(h);
	}
	report_html_hp(h, "</figure>\n</div>\n");

	/* The channel statistics as crm-log prints them. */
	if (r->nstats > 0) {
		static const char *const th[] = { "channel", "kind",
		    "#interactions", "#inbound", "#outbound", "#contacts",
		    "#amount", "currency" };

		snprintf(text, sizeof(text), "Interactions by channel and kind,"
		    " %s to %s", r->start_day, r->asof_day);
		report_html_hp(h, "<h3>");
		report_html_esc(h, text);
		report_html_hp(h, "</h3>\n");
		report_html_thead(h, "t-stats", th, 8);
		for (i = 0; i < r->nstats; i++) {
			const struct chan_stat *x = &r->stats[i];
			char buf[5][48];

			report_html_hp(h, "<tr><th scope=\"row\">");
			report_html_esc(h, x->channel);
			report_html_hp(h, "</th><td>");
			report_html_esc(h, x->kind);
			report_html_hp(h,
			    "</td><td class=\"n\">%s</td><td class=\"n\">%s"
			    "</td><td class=\"n\">%s</td><td class=\"n\">%s"
			    "</td><td class=\"n\">%s</td><td>",
			    report_fint(buf[0], x->interactions),
			    report_fint(buf[1],
			    x->inbound), report_fint(buf[2], x->outbound),
			    report_fint(buf[3], x->contacts),
			    report_fmoney(buf[4],
			    x->amount));
			report_html_esc(h, x->currency);
			report_html_hp(h, "</td></tr>\n");
		}
		report_html_tend(h);
		crm_format_date(r->end, title);
		snprintf(text, sizeof(text), "The same numbers as crm-log"
		    " stats --as-of %s -w %lld.", title, (long long)r->days);
		report_html_hp(h, "<p class=\"note\">");
		report_html_esc(h, text);
		report_html_hp(h, "</p>\n");
	}
	report_html_hp(h, "</section>\n");
}

/* The name of segment index i in a flow: new and gone contacts. */
/* crm-ticket's service levels and crm-task's overdue tasks. */
static void
html_service(struct report_html *h)
{
	static const char *const th[] = { "figure", "value" };
	static const char *const tho[] = { "owner", "#overdue tasks" };
	const struct crm_report *r = h->r;
	const struct crm_service_row *s = &r->service;
	const char *cells[1];
	char a[48];
	size_t i;

	report_html_hp(h, "<section id=\"service\">\n<h2>Service desk</h2>\n");
	if (r->has_service) {
		report_html_caption(h, "Tickets opened in the period"
		    " (crm-ticket sla): service levels in business hours,"
		    " at risk within 4 business hours.");
		report_html_thead(h, "t-service", th, 2);
#define ROW(label, v) do { cells[0] = (v); \
	report_html_trow(h, (label), cells, 1); } while (0)
		ROW("tickets opened", report_fint(a, s->tickets));
		ROW("still open", report_fint(a, s->open));
		ROW("breached (open)", report_fint(a, s->breached_open));
		ROW("at risk", report_fint(a, s->at_risk));
		ROW("first response within target", report_fpct(a,
		    report_ratio(s->fr_met, s->fr_measured)));
		ROW("median first response (h)", report_fnum(a, s->fr_median,
		    1));
		ROW("resolution within target", report_fpct(a,
		    report_ratio(s->res_met, s->res_measured)));
		ROW("median resolution (h)", report_fnum(a, s->res_median, 1));
		if (s->csat_n > 0)
			ROW("satisfaction (1-5)", report_fnum(a, s->csat_mean,
			    2));
#undef ROW
		report_html_tend(h);
	}
	if (r->noverdue > 0) {
		report_html_caption(h, "Overdue tasks per owner (crm-task due"
		    " --overdue).");
		report_html_thead(h, "t-overdue", tho, 2);
		for (i = 0; i < r->noverdue; i++) {
			cells[0] = report_fint(a, r->overdue[i].n);
			report_html_trow(h, r->overdue[i].name, cells, 1);
		}
		report_html_tend(h);
	}
	report_html_hp(h, "</section>\n");
}

/* A headline card with its changes on the earlier periods. */
static void
kpi(struct report_html *h, int f, double v)
{
	const struct crm_report *r = h->r;
	char a[48], name[48], c[64];
	int k;

	report_fig_name(name, r, f);
	if (f == FIG_NEW || f == FIG_INTER || f == FIG_PURCHASES ||
	    f == FIG_REVENUE || f == FIG_CAMPAIGNS)
		snprintf(name + strlen(name), sizeof(name) - strlen(name),
		    " in the period");
	report_html_hp(h, "<div class=\"kpi\"><b>");
	report_html_esc(h, f == FIG_REVENUE ? report_fmoney(a, v) :
	    report_fnum(a, v, 0));
	report_html_hp(h, "</b><span>");
	report_html_esc(h, name);
	report_html_hp(h, "</span>");
	for (k = 1; k < 3; k++) {
		const char *dir;

		if (!r->win[k].has)
			continue;
		report_fchange(c, r->fig[f][0], r->fig[f][k],
		    f == FIG_REVENUE);
		dir = strncmp(c, "up", 2) == 0 ? "up" : strncmp(c, "down",
		    4) == 0 ? "down" : "same";
		report_html_hp(h, "<small class=\"%s\">", dir);
		report_html_esc(h, c);
		report_html_hp(h, " %s</small>", k == 1 ? "on the previous" :
		    "on a year earlier");
	}
	report_html_hp(h, "</div>\n");
}

/* What changed, by rules, each line a link to its section. */
static void
html_summary(struct report_html *h)
{
	const struct crm_report *r = h->r;
	struct report_line l[12];
	size_t n = report_summary_lines(r, l, 12), i;
	char text[320];
	int k;

	report_html_hp(h, "<section id=\"summary\"><h2>What changed</h2>\n");
	if (n == 0)
		report_html_hp(h, "<p>Nothing to compare with, and no campaign,"
		    " service level or task to report.</p>\n");
	else {
		report_html_hp(h, "<ul>\n");
		for (i = 0; i < n; i++) {
			report_html_hp(h, "<li><a href=\"#%s\">", l[i].href);
			report_html_esc(h, l[i].text);
			report_html_hp(h, "</a></li>\n");
		}
		report_html_hp(h, "</ul>\n");
	}
	for (k = 1; k < 3; k++) {
		snprintf(text, sizeof(text), "%s%s: %s to %s%s",
		    k == 1 ? "Compared with the previous period" :
		    "; a year earlier", "", r->win[k].first_day,
		    r->win[k].last_day, r->win[k].has ? "" :
		    " (before the data: no comparison)");
		if (k == 1)
			report_html_hp(h, "<p class=\"note\">");
		report_html_esc(h, text);
	}
	report_html_hp(h, ".</p>\n</section>\n");
}

int
crm_report_html(const struct crm_report *r, FILE *fp, struct crm_error *err)
{
	struct report_html h = { fp, r, err, 0, 0, 0 };
	char a[48], now[21], text[400];
	const char *top = r->ncurr > 0 ? r->curr[0] : NULL;

	crm_format_time(r->o.now, now);
	report_html_hp(&h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
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
	report_html_hp(&h, "<p class=\"meta\">");
	report_html_esc(&h, text);
	report_html_esc(&h, r->o.db_name ? r->o.db_name : "(unnamed)");
	snprintf(text, sizeof(text), ", made %s by crm-report %s. All times"
	    " UTC.", now, CRM_VERSION);
	report_html_esc(&h, text);
	report_html_hp(&h, "</p>\n");
	if (r->o.owner != NULL) {
		report_html_hp(&h, "<p class=\"meta\"><b>");
		report_html_esc(&h, r->o.owner);
		report_html_hp(&h, "</b>: ");
		report_html_esc(&h, report_owner_scope);
		report_html_hp(&h, "</p>\n");
	}
	report_html_hp(&h, "<nav><a href=\"#contacts\">Contacts</a>"
	    "<a href=\"#interactions\">Interactions</a>"
	    "<a href=\"#segments\">Segments</a>"
	    "<a href=\"#churn\">Churn and value</a>"
	    "<a href=\"#campaigns\">Campaigns</a>");
	if (r->deals_n > 0)
		report_html_hp(&h, "<a href=\"#pipeline\">Sales pipeline</a>");
	if (r->accounts_n > 0)
		report_html_hp(&h, "<a href=\"#accounts\">Accounts</a>");
	report_html_hp(&h, "</nav>\n");
	html_summary(&h);
	report_html_hp(&h, "<div class=\"kpis\">\n");
	kpi(&h, FIG_CONTACTS, (double)r->live);
	kpi(&h, FIG_NEW, r->fig[FIG_NEW][0]);
	kpi(&h, FIG_INTER, r->fig[FIG_INTER][0]);
	kpi(&h, FIG_PURCHASES, r->fig[FIG_PURCHASES][0]);
	if (top != NULL)
		kpi(&h, FIG_REVENUE, r->fig[FIG_REVENUE][0]);
	kpi(&h, FIG_BACKLOG, (double)r->backlog_total);
	if (r->scored > 0)
		report_html_kpi(&h, report_fint(a, r->at_risk_n),
		    "scored customers at risk");
	kpi(&h, FIG_CAMPAIGNS, r->fig[FIG_CAMPAIGNS][0]);
	report_html_hp(&h, "</div>\n</header>\n<main>\n");
	html_contacts(&h);
	if (!h.failed)
		html_interactions(&h);
	if (!h.failed && (r->has_service || r->noverdue > 0))
		html_service(&h);
	if (!h.failed)
		report_html_segments(&h);
	if (!h.failed)
		report_html_churn(&h);
	if (!h.failed)
		report_html_campaigns(&h);
	if (!h.failed && r->deals_n > 0)
		report_html_pipeline(&h);
	if (!h.failed && r->accounts_n > 0)
		report_html_accounts(&h);
	report_html_hp(&h,
	    "</main>\n<footer>\n<p>Contacts counted are those neither"
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


const char report_owner_scope[] =
    "the contacts this person owns, with their interactions, segments,"
    " churn scores, profit and the headline figures; their open deals;"
    " the tickets assigned to them; their overdue tasks. For everyone:"
    " the tables of interactions and tickets by channel, the forecast,"
    " the campaigns, the accounts and the partners.";
