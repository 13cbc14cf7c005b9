/*
 * report-text.c - the report as plain text for a mail body: lines of at
 * most 78 columns.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "campaign.h"
#include "norm.h"
#include "report-int.h"

/* ------------------------------------------------------------------ */
/* Text */

/* s for a terminal or a mail: control characters as '?', cut to max
 * characters. */
static void
tput(FILE *fp, const char *s, int max)
{
	int n = 0;

	for (; s != NULL && *s && n < max; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c & 0xc0) != 0x80)
			n++;
		fputc(c < 0x20 || c == 0x7f ? '?' : c, fp);
	}
}

/* s cut or padded to exactly width characters. */
static void
tpad(FILE *fp, const char *s, int width)
{
	int n = 0;

	tput(fp, s, width);
	for (; s != NULL && *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	for (; n < width; n++)
		fputc(' ', fp);
}

/* A sentence as "  - " and lines of at most 78 columns. */
static void
tsentence(FILE *fp, const char *s)
{
	int col = fprintf(fp, "  -");

	while (*s) {
		size_t n = strcspn(s, " ");

		if (col + 1 + (int)n > 78 && col > 4)
			col = fprintf(fp, "\n   ");
		fputc(' ', fp);
		col += 1 + (int)n;
		for (; n > 0; n--, s++)
			fputc((unsigned char)*s < 0x20 ? '?' : *s, fp);
		s += strspn(s, " ");
	}
	fputc('\n', fp);
}

/* The summary and the headline figures with their changes. */
static void
text_changes(const struct crm_report *r, FILE *fp)
{
	struct report_line l[12];
	size_t n = report_summary_lines(r, l, 12), i;
	char a[48], b[64], name[48];
	int f, k, col;

	fprintf(fp, "\nSUMMARY\n");
	if (n == 0)
		fprintf(fp, "  Nothing to compare with, and no campaign, service"
		    " level or task to report.\n");
	for (i = 0; i < n; i++)
		tsentence(fp, l[i].text);
	fprintf(fp, "\nHEADLINES\n");
	for (k = 1; k < 3; k++)
		fprintf(fp, "  %s: %s to %s%s\n", k == 1 ? "previous period" :
		    "a year earlier ", r->win[k].first_day, r->win[k].last_day,
		    r->win[k].has ? "" : " (before the data: no comparison)");
	fprintf(fp, "  %-23s %12s", "", "this period");
	if (r->win[1].has)
		fprintf(fp, r->win[2].has ? "  %-19s" : "  %s",
		    "on the previous");
	fprintf(fp, "%s\n", r->win[2].has ? " on a year earlier" : "");
	for (f = 0; f < NFIG; f++) {
		double v = f == FIG_CONTACTS ? (double)r->live : r->fig[f][0];

		if (f == FIG_REVENUE && r->ncurr == 0)
			continue;
		fprintf(fp, "  ");
		tpad(fp, report_fig_name(name, r, f), 23);
		fprintf(fp, " %12s", f == FIG_REVENUE ? report_fmoney(a, v) :
		    report_fnum(a, v, 0));
		for (k = 1, col = 38; k < 3; k++) {
			if (!r->win[k].has)
				continue;
			report_fchange(b, r->fig[f][0], r->fig[f][k],
			    f == FIG_REVENUE);
			if (k == 2 && col + 1 + (int)strlen(b) > 78)
				col = fprintf(fp, "\n%59s", "") - 1;
			col += fprintf(fp, k == 1 && r->win[2].has ? "  %-19s" :
			    k == 1 ? "  %s" : " %s", b);
		}
		fprintf(fp, "\n");
	}
}

/* The deal pipeline and the accounts: left out when their tables are
 * empty. */
static void
text_sales(const struct crm_report *r, FILE *fp)
{
	char a[48], b[48], c[48], d[48];
	size_t i;

	if (r->deals_n > 0) {
		fprintf(fp, "\nSALES PIPELINE\n");
		if (r->npipe == 0)
			fprintf(fp, "  No open deal on %s.\n", r->asof_day);
		else
			fprintf(fp, "  open deals on %s by stage (deals,"
			    " amount, weighted):\n", r->asof_day);
		for (i = 0; i < r->npipe; i++) {
			const struct pipe_stage *p = &r->pipe[i];

			fprintf(fp, "    ");
			tpad(fp, p->stage, 20);
			fprintf(fp, " ");
			tpad(fp, p->currency[0] ? p->currency : "-", 4);
			fprintf(fp, " %6s %14s %14s\n", report_fint(a,
			    p->count), report_fmoney(b, p->amount),
			    report_fmoney(c, p->weighted));
		}
		if (r->nfc > 0)
			fprintf(fp, "  forecast by month of close (open deals,"
			    " won, weighted, best case):\n");
		for (i = 0; i < r->nfc; i++) {
			const struct fc_month *f = &r->fc[i];

			fprintf(fp, "    %-7s ", f->label);
			tpad(fp, f->currency[0] ? f->currency : "-", 4);
			fprintf(fp, " %5s %13s %13s %13s\n", report_fint(a,
			    f->open), report_fmoney(b, f->won),
			    report_fmoney(c, f->weighted),
			    report_fmoney(d, f->best_case));
		}
	}
	if (r->accounts_n > 0) {
		fprintf(fp, "\nACCOUNTS\n");
		if (r->acc_mixed)
			fprintf(fp, "  Revenue is in several currencies: no"
			    " ranking of accounts by it.\n");
		else if (r->ntop_acc == 0)
			fprintf(fp, "  No account bought from %s to %s.\n",
			    r->start_day, r->asof_day);
		else
			fprintf(fp, "  top accounts by revenue in the period"
			    " (revenue):\n");
		for (i = 0; i < r->ntop_acc; i++) {
			fprintf(fp, "    ");
			tpad(fp, r->top_acc[i].ext, 16);
			fprintf(fp, " ");
			tpad(fp, r->top_acc[i].name, 30);
			fprintf(fp, " %14s\n", report_fmoney(a,
			    r->top_acc[i].revenue));
		}
		if (r->risk_note != NULL)
			fprintf(fp, "  No accounts at risk: %s.\n",
			    r->risk_note);
		else if (r->nrisk_acc == 0)
			fprintf(fp, "  No account at risk (P(alive) <"
			    " %.2f).\n", r->at_risk);
		else
			fprintf(fp, "  accounts at risk (P(alive) < %.2f;"
			    " revenue at risk, P(alive)):\n", r->at_risk);
		for (i = 0; i < r->nrisk_acc; i++) {
			fprintf(fp, "    ");
			tpad(fp, r->risk_acc[i].ext, 16);
			fprintf(fp, " ");
			tpad(fp, r->risk_acc[i].name, 30);
			fprintf(fp, " %14s %5.2f\n", report_fmoney(a,
			    r->risk_acc[i].at_risk), r->risk_acc[i].p_alive);
		}
		if (r->npartners == 0)
			fprintf(fp, "  No partners.\n");
		else
			fprintf(fp, "  partners, all time (contacts, customers,"
			    " revenue%s):\n", r->partner_deals ? ", won, win"
			    " rate" : "");
		for (i = 0; i < r->npartners; i++) {
			const struct partner *p = &r->partners[i];
			char e[48];

			fprintf(fp, "    ");
			tpad(fp, p->ext, 10);
			fprintf(fp, " ");
			tpad(fp, p->name, 20);
			fprintf(fp, " %5s %5s %13s", report_fint(a,
			    p->contacts), report_fint(b, p->customers),
			    r->acc_mixed ? "-" : report_fmoney(c, p->revenue));
			if (r->partner_deals)
				fprintf(fp, " %4s %6s", report_fint(d, p->won),
				    report_fpct(e, p->win_rate));
			fprintf(fp, "\n");
		}
	}
}

int
crm_report_text(const struct crm_report *r, FILE *fp, struct crm_error *err)
{
	char a[48], b[48], c[48], d[48];
	size_t i, k;

	fprintf(fp, "CRM report for %s: %s to %s (%lld days)\n", r->asof_day,
	    r->start_day, r->asof_day, (long long)r->days);
	fprintf(fp, "Database ");
	tput(fp, r->o.db_name ? r->o.db_name : "(unnamed)", 60);
	fprintf(fp, "\n");
	if (r->o.owner != NULL) {
		char line[600];

		snprintf(line, sizeof(line), "Owner %s: %s", r->o.owner,
		    report_owner_scope);
		fprintf(fp, "\nOWNER\n");
		tsentence(fp, line);
	}
	text_changes(r, fp);
	fprintf(fp, "\nCONTACTS\n");
	if (r->live == 0)
		fprintf(fp, "  No contacts in the database.\n");
	else {
		fprintf(fp, "  %s contacts, %s new in the period (%s in the"
		    " last %s)\n", report_fint(a, r->live), report_fint(b,
		    r->new_total),
		    report_fint(c, r->nb ? (int64_t)r->new_contacts[r->nb - 1] :
		    0),
		    report_unit_name(r));
		fprintf(fp, "  by stage:");
		for (i = 0; i < r->nstages; i++) {
			fprintf(fp, " ");
			tput(fp, r->stages[i].name, 20);
			fprintf(fp, " %s%s", report_fint(a, r->stages[i].n),
			    i + 1 < r->nstages ? "," : "\n");
		}
		fprintf(fp, "  without email %s, without phone %s,"
		    " do-not-contact %s\n", report_fpct(a,
		    report_ratio(r->no_email,
		    r->live)), report_fpct(b, report_ratio(r->no_phone,
		    r->live)),
		    report_fpct(c, report_ratio(r->dnc, r->live)));
		fprintf(fp, "  reachable:");
		for (k = 0; k < 4; k++)
			fprintf(fp, " %s %s%s", report_consent_names[k],
			    report_fpct(a,
			    report_ratio(r->consent[k][3], r->live)), k < 3 ?
			    "," :
			    "\n");
		fprintf(fp, "  duplicates merged: %s in the period, %s in"
		    " all\n", report_fint(a, r->merges_period),
		    report_fint(b, r->merges_total));
		for (i = 0; i < r->nruns; i++) {
			fprintf(fp, "  ");
			tput(fp, r->runs[i].program, 14);
			fprintf(fp, ": %s run%s, %s rows read", report_fint(a,
			    r->runs[i].runs), r->runs[i].runs == 1 ? "" : "s",
			    report_fint(b, r->runs[i].read));
			if (r->runs[i].unchanged > 0)
				fprintf(fp, " (%s unchanged)", report_fint(c,
				    r->runs[i].unchanged));
			fprintf(fp, ", %s rejected\n",
			    report_fint(c, r->runs[i].rejected));
		}
	}

	fprintf(fp, "\nINTERACTIONS\n");
	if (r->inter_total == 0)
		fprintf(fp, "  No interactions in the period.\n");
	else {
		double last = 0;
		int col;

		for (k = 0; k < r->nchan; k++)
			last += r->chan_n[k][r->nb - 1];
		last += r->outbound[r->nb - 1];
		fprintf(fp, "  %s in the period (%s in the last %s)\n",
		    report_fint(a, r->inter_total), report_fint(b,
		    (int64_t)last),
		    report_unit_name(r));
		/* Items "name share," filled up to 78 columns. */
		col = fprintf(fp, "  by channel:");
		for (k = 0; k <= r->nchan; k++) {
			char item[64];
			int n;

			n = snprintf(item, sizeof(item), " %.16s %s%s",
			    k < r->nchan ? r->chan[k] : "outbound sends",
			    report_fpct(a, report_ratio(k < r->nchan ?
			    r->chan_total[k] : r->out_total, r->inter_total)),
			    k < r->nchan ? "," : "");
			if (col + n > 78)
				col = fprintf(fp, "\n   ");
			col += n;
			tput(fp, item, 64);
		}
		fputc('\n', fp);
		fprintf(fp, "  purchases: %s\n", report_fint(a,
		    r->purchases_total));
		for (k = 0; k < r->ncurr && k < MAXCURR; k++) {
			fprintf(fp, "  revenue: %s ", report_fmoney(a,
			    r->curr_total[k]));
			tput(fp, r->curr[k], 16);
			fprintf(fp, "\n");
		}
	}
	{
		int64_t opened = 0, still = 0;
		double median = NAN;

		for (i = 0; i < r->ntickets; i++) {
			opened += r->tickets[i].tickets;
			still += r->tickets[i].open;
		}
		fprintf(fp, "  tickets: %s opened in the period, %s of them"
		    " still open\n  open tickets at the end: %s\n",
		    report_fint(a, opened), report_fint(b, still),
		    report_fint(c, r->backlog_total));
		for (i = 0; i < r->ntickets; i++) {
			median = r->tickets[i].median_hours;
			if (isnan(median))
				continue;
			fprintf(fp, "    ");
			tput(fp, r->tickets[i].channel, 16);
			fprintf(fp, ": median resolution %s hours\n",
			    report_fnum(a, median, 1));
		}
	}

	if (r->has_service || r->noverdue > 0) {
		const struct crm_service_row *s = &r->service;

		fprintf(fp, "\nSERVICE DESK (crm-ticket, crm-task)\n");
		if (r->has_service) {
			fprintf(fp, "  %s tickets opened in the period, %s still"
			    " open: %s breached, %s at risk\n",
			    report_fint(a, s->tickets), report_fint(b, s->open),
			    report_fint(c, s->breached_open),
			    report_fint(d, s->at_risk));
			fprintf(fp, "  first response within target %s"
			    " (median %s h), resolution within target %s"
			    " (median %s h)\n", report_fpct(a,
			    report_ratio(s->fr_met, s->fr_measured)),
			    report_fnum(b, s->fr_median, 1), report_fpct(c,
			    report_ratio(s->res_met, s->res_measured)),
			    report_fnum(d, s->res_median, 1));
			if (s->csat_n > 0)
				fprintf(fp, "  satisfaction %s of 5 (%s rated)\n",
				    report_fnum(a, s->csat_mean, 2),
				    report_fint(b, s->csat_n));
		}
		if (r->noverdue > 0) {
			fprintf(fp, "  overdue tasks: %s;",
			    report_fint(a, r->overdue_total));
			for (i = 0; i < r->noverdue; i++) {
				fprintf(fp, " ");
				tput(fp, r->overdue[i].name, 20);
				fprintf(fp, " %s%s", report_fint(a,
				    r->overdue[i].n), i + 1 < r->noverdue ?
				    "," : "\n");
			}
		}
	}

	fprintf(fp, "\nSEGMENTS (RFM as of %s)\n", r->asof_day);
	if (r->seg_note != NULL) {
		fprintf(fp, "  No segments: ");
		tput(fp, r->seg_note, 200);
		fprintf(fp, ".\n");
	} else if (r->buyers == 0)
		fprintf(fp, "  No purchases: no segments.\n");
	else {
		fprintf(fp, "  %-22s %12s %8s %16s %7s\n", "segment",
		    "contacts", "share", "revenue", "share");
		for (i = 0; i < r->nsegs; i++) {
			const struct seg *g = &r->segs[i];
			int w = 0;

			fprintf(fp, "  ");
			tput(fp, g->name, 22);
			for (w = (int)strlen(g->name); w < 22; w++)
				fputc(' ', fp);
			fprintf(fp, " %12s %8s %16s %7s\n", report_fint(a,
			    g->contacts), report_fpct(b,
			    report_ratio(g->contacts,
			    (int64_t)r->nwho)), report_fmoney(c, g->revenue),
			    report_fpct(d, g->share));
		}
		fprintf(fp,
		    "  the top 10%% of contacts bring %.1f%% of revenue,"
		    " the top 20%% %.1f%%\n", r->dec[0].cum * 100,
		    r->dec[1].cum * 100);
	}
	if (r->whale_note != NULL) {
		fprintf(fp, "  No whale curve: ");
		tput(fp, r->whale_note, 200);
		fprintf(fp, ".\n");
	} else if (r->whale_n > 0) {
		char text[400];

		tsentence(fp, report_whale_sentence(r, text, sizeof(text)));
	}
	if (r->state_status == 1) {
		fprintf(fp, "  since %s: %s changed segment, %s new, %s"
		    " gone\n", r->base_day, report_fint(a, r->moved),
		    report_fint(b, r->joined), report_fint(c, r->left));
		for (i = 0, k = 0; i < r->nflows && k < 5; i++) {
			if (r->flows[i].from < 0 || r->flows[i].to < 0)
				continue;
			fprintf(fp, "    ");
			tput(fp, report_flow_name(r, r->flows[i].from), 22);
			fprintf(fp, " -> ");
			tput(fp, report_flow_name(r, r->flows[i].to), 22);
			fprintf(fp, ": %s\n", report_fint(a, r->flows[i].n));
			k++;
		}
	}

	fprintf(fp, "\nCHURN AND VALUE\n");
	if (r->scored == 0)
		fprintf(fp, "  No scores (crm-churn score stores them).\n");
	else {
		double clv = 0;

		for (i = 0; i < 10; i++)
			clv += r->vdec[i].clv;
		fprintf(fp, "  %s customers scored, %s at risk (P(alive) <"
		    " %.2f)\n", report_fint(a, r->scored),
		    report_fint(b, r->at_risk_n), r->at_risk);
		/* No lifetime value stored is not a value of 0. */
		if (r->vdec[0].n == 0)
			fprintf(fp, "  total CLV not available (no spend"
			    " model)\n");
		else
			fprintf(fp, "  total CLV %s over %lld days\n",
			    report_fmoney(c, clv), (long long)r->horizon);
		if (r->nrisky > 0)
			fprintf(fp, "  the most valuable at risk (revenue,"
			    " P(alive)):\n");
		for (i = 0; i < r->nrisky && i < 5; i++) {
			fprintf(fp, "    ");
			tpad(fp, r->risky[i].ext, 16);
			fprintf(fp, " ");
			tpad(fp, r->risky[i].name, 30);
			fprintf(fp, " %14s %5.2f\n", report_fmoney(a,
			    r->risky[i].revenue), r->risky[i].p_alive);
		}
	}

	fprintf(fp, "\nCAMPAIGNS\n");
	if (r->ncamps == 0)
		fprintf(fp, "  No campaign sent in the period.\n");
	for (i = 0; i < r->ncamps; i++) {
		const struct campaign *cp = &r->camps[i];
		char day[11];

		crm_format_date(cp->sent_at, day);
		fprintf(fp, "  ");
		tput(fp, cp->name, 64);
		fprintf(fp, " (");
		tput(fp, cp->channel, 8);
		fprintf(fp, ", sent %s)\n    treated %s of %s", day,
		    report_fpct(a, cp->n[0] ? cp->rate[0] : NAN), report_fint(c,
		    cp->n[0]));
		if (cp->has_control)
			fprintf(fp, ", control %s of %s", report_fpct(b,
			    cp->rate[1]),
			    report_fint(d, cp->n[1]));
		fprintf(fp, "\n");
		if (cp->has_uplift)
			fprintf(fp,
			    "    uplift %+.1f points, 95%% interval %+.1f"
			    " to %+.1f, p = %.3f\n", cp->uplift * 100,
			    cp->lo * 100, cp->hi * 100, cp->p_value);
	}
	text_sales(r, fp);
	if (ferror(fp))
		return crm_error_set(err, CRM_EFAIL, "write error: %s",
		    strerror(errno));
	return 0;
}
