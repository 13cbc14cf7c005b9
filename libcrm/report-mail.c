/*
 * report-mail.c - the report as a mail for sendmail -t: a MIME message,
 * multipart/alternative, whose first part is the text summary (8bit
 * UTF-8: its lines are short) and whose second is the HTML page with its
 * inline SVG (base64: the page has lines longer than mail allows).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "norm.h"
#include "report-int.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* n bytes of s in base64, in lines of 76 characters if wrap. */
static void
base64(FILE *fp, const unsigned char *s, size_t n, int wrap)
{
	size_t i;
	int col = 0;

	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		fputc(b64[v >> 18 & 63], fp);
		fputc(b64[v >> 12 & 63], fp);
		fputc(i + 1 < n ? b64[v >> 6 & 63] : '=', fp);
		fputc(i + 2 < n ? b64[v & 63] : '=', fp);
		if ((col += 4) == 76 && wrap) {
			fputc('\n', fp);
			col = 0;
		}
	}
	if (col > 0 && wrap)
		fputc('\n', fp);
}

/* A header's value: as it is when it is printable ASCII, else an
 * RFC 2047 encoded word (base64 UTF-8), in pieces that fit a line. */
static void
header(FILE *fp, const char *name, const char *v)
{
	const unsigned char *p;
	size_t n = strlen(v), i, k;

	for (p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			break;
	fprintf(fp, "%s: ", name);
	if (*p == '\0') {
		fprintf(fp, "%s\n", v);
		return;
	}
	/* 45 bytes a word, not cutting a UTF-8 sequence. */
	for (i = 0; i < n; i = k) {
		k = i + 45 < n ? i + 45 : n;
		while (k < n && k > i + 1 &&
		    ((unsigned char)v[k] & 0xc0) == 0x80)
			k--;
		fprintf(fp, "%s=?UTF-8?B?", i ? "\n " : "");
		base64(fp, (const unsigned char *)v + i, k - i, 0);
		fprintf(fp, "?=");
	}
	fputc('\n', fp);
}

int
crm_report_mail(const struct crm_report *r, FILE *fp, const char *to,
    const char *from, const char *subject, struct crm_error *err)
{
	char *text = NULL, *html = NULL, boundary[64], date[64], subj[128];
	size_t ntext = 0, nhtml = 0;
	FILE *t = NULL, *h = NULL;
	int rc = -1;
	int64_t now = r->o.now;

	if ((t = open_memstream(&text, &ntext)) == NULL ||
	    (h = open_memstream(&html, &nhtml)) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	if (crm_report_text(r, t, err) < 0 || crm_report_html(r, h, err) < 0)
		goto done;
	if (fclose(t) != 0 || fclose(h) != 0) {
		t = h = NULL;
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	t = h = NULL;
	/* A boundary that the base64 and the text cannot hold: '=' and '_'
	 * never follow each other in either. */
	snprintf(boundary, sizeof(boundary), "=_crm-report_%lld_=",
	    (long long)now);
	if (strstr(text, boundary) != NULL) {
		crm_error_set(err, CRM_EFAIL, "the text holds the MIME"
		    " boundary");
		goto done;
	}
	{
		static const char *const wd[] = { "Thu", "Fri", "Sat", "Sun",
		    "Mon", "Tue", "Wed" };
		static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr",
		    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
		char d[21];
		int64_t days = (now - ((now % DAY) + DAY) % DAY) / DAY;

		crm_format_time(now, d);	/* YYYY-MM-DDTHH:MM:SSZ */
		snprintf(date, sizeof(date), "%s, %d %s %.4s %.8s +0000",
		    wd[((days % 7) + 7) % 7], atoi(d + 8),
		    mo[atoi(d + 5) - 1], d, d + 11);
	}
	if (subject == NULL) {
		snprintf(subj, sizeof(subj), "CRM report for %s%s%.60s",
		    r->asof_day, r->o.owner != NULL ? ": " : "",
		    r->o.owner != NULL ? r->o.owner : "");
		subject = subj;
	}
	if (to != NULL)
		header(fp, "To", to);
	if (from != NULL)
		header(fp, "From", from);
	header(fp, "Subject", subject);
	fprintf(fp, "Date: %s\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/alternative; boundary=\"%s\"\n"
	    "Auto-Submitted: auto-generated\n"
	    "\n"
	    "This is a MIME message: the report as text and as HTML.\n"
	    "\n--%s\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "\n", date, boundary, boundary);
	fwrite(text, 1, ntext, fp);
	fprintf(fp, "\n--%s\n"
	    "Content-Type: text/html; charset=utf-8\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n", boundary);
	base64(fp, (const unsigned char *)html, nhtml, 1);
	fprintf(fp, "\n--%s--\n", boundary);
	if (ferror(fp)) {
		crm_error_set(err, CRM_EFAIL, "write error: %s",
		    strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (t != NULL)
		fclose(t);
	if (h != NULL)
		fclose(h);
	free(text);
	free(html);
	return rc;
}
