/*
 * crm-report - the nightly report: one self-contained HTML page, or a
 * plain-text summary for a mail body.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "norm.h"
#include "outfile.h"
#include "report.h"

static const char usage[] =
    "crm-report [-qV] [-d db] [-f html|text|mail] [-n top] [-o file]\n"
    "[-s file] [-w days] [--as-of date] [--costs file] [--currency code]\n"
    "[--from address] [--owner name] [--since date] [--subject text]\n"
    "[--to address]";

enum { OPT_ASOF = 0x2000, OPT_COSTS, OPT_CURRENCY, OPT_FROM, OPT_OWNER,
    OPT_SINCE, OPT_SUBJECT, OPT_TO };

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	{ "as-of", required_argument, NULL, OPT_ASOF },
	{ "costs", required_argument, NULL, OPT_COSTS },
	{ "currency", required_argument, NULL, OPT_CURRENCY },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "output", required_argument, NULL, 'o' },
	{ "owner", required_argument, NULL, OPT_OWNER },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "state", required_argument, NULL, 's' },
	{ "subject", required_argument, NULL, OPT_SUBJECT },
	{ "to", required_argument, NULL, OPT_TO },
	{ "top", required_argument, NULL, 'n' },
	{ "window", required_argument, NULL, 'w' },
	{ NULL, 0, NULL, 0 }
};

/* A mail header's value from the command line: one line; an address
 * printable ASCII (a subject may be UTF-8, encoded in the mail). */
static const char *
header_arg(const char *opt, const char *v, int ascii)
{
	const unsigned char *p;

	for (p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f || (ascii && *p > 0x7e))
			crm_die_usage("%s: '%s' is not one line of %s", opt, v,
			    ascii ? "ASCII" : "text");
	return v;
}

int
main(int argc, char **argv)
{
	struct crm_report_opts opts;
	struct crm_report *r;
	struct crm_error err;
	struct crm_cli cli;
	struct crm_db *db;
	const char *output = NULL, *to = NULL, *from = NULL, *subject = NULL;
	struct crm_outfile *out = NULL;
	FILE *fp = stdout;
	int ch, text = 0, rc;

	crm_cli_init(&cli, "crm-report", usage, argc, argv);
	crm_error_clear(&err);
	memset(&opts, 0, sizeof(opts));
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS "n:o:s:w:",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (strcmp(optarg, "html") == 0)
				text = 0;
			else if (strcmp(optarg, "text") == 0)
				text = 1;
			else if (strcmp(optarg, "mail") == 0)
				text = 2;
			else
				crm_die_usage("--format: '%s' is not html, text"
				    " or mail", optarg);
			break;
		case 'n':
			opts.top = crm_cli_num("--top", optarg, 1, 1000);
			break;
		case 'o':
			output = optarg;
			break;
		case 's':
			opts.state = optarg;
			break;
		case 't':
		case CRM_OPT_EXCEL_SAFE:
			crm_cli_usage(&cli, CRM_EUSAGE);
		case 'w':
			if (crm_norm_days(optarg, &opts.campaign_window,
			    &err) < 0 || opts.campaign_window < 1 ||
			    opts.campaign_window > 3650)
				crm_die_usage("--window: bad duration '%s'"
				    " (such as 30d, 4w)", optarg);
			break;
		case OPT_ASOF:
			opts.asof = crm_cli_time("--as-of", optarg);
			break;
		case OPT_SINCE:
			opts.since = crm_cli_time("--since", optarg);
			break;
		case OPT_COSTS:
			opts.costs = optarg;
			break;
		case OPT_OWNER:
			if (*optarg == '\0')
				crm_die_usage("--owner: an empty name");
			opts.owner = header_arg("--owner", optarg, 0);
			break;
		case OPT_CURRENCY:
			opts.currency = optarg;
			break;
		case OPT_FROM:
			from = header_arg("--from", optarg, 1);
			break;
		case OPT_SUBJECT:
			subject = header_arg("--subject", optarg, 0);
			break;
		case OPT_TO:
			to = header_arg("--to", optarg, 1);
			break;
		default:
			if (crm_cli_opt(&cli, ch, optarg))
				continue;
			crm_cli_usage(&cli, CRM_EUSAGE);
		}
	}
	if (optind != argc)
		crm_cli_usage(&cli, CRM_EUSAGE);
	if (text != 2 && (to != NULL || from != NULL || subject != NULL))
		crm_die_usage("--to, --from and --subject are for -f mail");

	crm_cli_output(&cli, "--output", output);
	crm_cli_output(&cli, "--state", opts.state);
	opts.now = crm_now();
	opts.db_name = crm_db_path(cli.db_opt);
	db = crm_cli_db(&cli, 0);
	if ((r = crm_report_build(db, &opts, &err)) == NULL)
		crm_die(&err);
	crm_db_close(db);
	/* -o: written beside the file and renamed into place at the end,
	 * so that a web server or a mailer never picks up half a report. */
	if (output != NULL) {
		if ((out = crm_outfile_open(output, &err)) == NULL)
			crm_die(&err);
		fp = crm_outfile_fp(out);
	}
	rc = text == 2 ? crm_report_mail(r, fp, to, from, subject, &err) :
	    text ? crm_report_text(r, fp, &err) :
	    crm_report_html(r, fp, &err);
	/* A write error names the file ("write error: ENOSPC" alone not). */
	if (rc < 0 && strncmp(err.msg, "write error", 11) == 0)
		crm_error_prefix(&err, "%s", output != NULL ? output :
		    "standard output");
	if (out != NULL) {
		if (rc < 0)
			crm_outfile_discard(out);
		else
			rc = crm_outfile_commit(out, &err);
	} else if (rc == 0 && (fflush(stdout) != 0 || ferror(stdout)))
		rc = crm_error_set(&err, CRM_EFAIL, "write error on standard"
		    " output: %s", strerror(errno));
	/* The snapshot moves on only once the report is out. */
	if (rc < 0 || crm_report_save_state(r, &err) < 0) {
		crm_report_free(r);
		crm_die(&err);
	}
	if (!cli.quiet)
		crm_warn("%s", crm_report_summary(r));
	crm_report_free(r);
	return crm_cli_finish(0);
}
