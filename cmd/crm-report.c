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
#include "report.h"

static const char usage[] =
    "crm-report [-qV] [-d db] [-f html|text] [-n top] [-o file] [-s file]\n"
    "[-w days] [--as-of date] [--since date]";

enum { OPT_ASOF = 0x2000, OPT_SINCE };

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	{ "as-of", required_argument, NULL, OPT_ASOF },
	{ "output", required_argument, NULL, 'o' },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "state", required_argument, NULL, 's' },
	{ "top", required_argument, NULL, 'n' },
	{ "window", required_argument, NULL, 'w' },
	{ NULL, 0, NULL, 0 }
};

static int64_t
when(const char *opt, const char *arg)
{
	struct crm_error err;
	int64_t t;

	if (crm_norm_datetime(arg, &t, &err) < 0)
		crm_die_usage("%s: %s", opt, err.msg);
	return t;
}

/*
 * -o: write beside the file and rename it into place at the end, so that
 * a web server or a mailer never picks up half a report.  Something that
 * is not a regular file (/dev/null, a pipe, a symbolic link) is written
 * to as it is, never replaced: *tmp stays NULL.
 */
static FILE *
open_output(const char *path, char **tmp)
{
	struct stat sb;
	FILE *fp;
	int fd;

	*tmp = NULL;
	if (lstat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		if ((fp = fopen(path, "w")) == NULL) {
			crm_warn("%s: %s", path, strerror(errno));
			exit(CRM_EFAIL);
		}
		return fp;
	}
	if (asprintf(tmp, "%s.XXXXXX", path) < 0) {
		crm_warn("out of memory");
		exit(CRM_EFAIL);
	}
	if ((fd = mkstemp(*tmp)) < 0 || (fp = fdopen(fd, "w")) == NULL) {
		/* The file asked for, not the temporary name beside it. */
		crm_warn("%s: %s", path, strerror(errno));
		exit(CRM_EFAIL);
	}
	return fp;
}

int
main(int argc, char **argv)
{
	struct crm_report_opts opts;
	struct crm_report *r;
	struct crm_error err;
	struct crm_cli cli;
	struct crm_db *db;
	const char *output = NULL;
	char *tmp = NULL;
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
			else
				crm_die_usage("--format: '%s' is not html or"
				    " text", optarg);
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
			opts.asof = when("--as-of", optarg);
			break;
		case OPT_SINCE:
			opts.since = when("--since", optarg);
			break;
		default:
			if (crm_cli_opt(&cli, ch, optarg))
				continue;
			crm_cli_usage(&cli, CRM_EUSAGE);
		}
	}
	if (optind != argc)
		crm_cli_usage(&cli, CRM_EUSAGE);

	crm_cli_output(&cli, "--output", output);
	crm_cli_output(&cli, "--state", opts.state);
	opts.now = crm_now();
	opts.db_name = crm_db_path(cli.db_opt);
	db = crm_cli_db(&cli, 0);
	if ((r = crm_report_build(db, &opts, &err)) == NULL)
		crm_die(&err);
	crm_db_close(db);
	if (output != NULL)
		fp = open_output(output, &tmp);
	rc = text ? crm_report_text(r, fp, &err) :
	    crm_report_html(r, fp, &err);
	/* A write error names the file ("write error: ENOSPC" alone not). */
	if (rc < 0 && strncmp(err.msg, "write error", 11) == 0)
		crm_error_prefix(&err, "%s", output != NULL ? output :
		    "standard output");
	if (output != NULL) {
		const char *name = output;

		if (rc == 0 && (fflush(fp) != 0 || ferror(fp) ||
		    (tmp != NULL && fsync(fileno(fp)) != 0)))
			rc = crm_error_set(&err, CRM_EFAIL, "%s: %s", name,
			    strerror(errno));
		if (fclose(fp) != 0 && rc == 0)
			rc = crm_error_set(&err, CRM_EFAIL, "%s: %s", name,
			    strerror(errno));
		if (rc == 0 && tmp != NULL && rename(tmp, output) != 0)
			rc = crm_error_set(&err, CRM_EFAIL, "%s: %s", output,
			    strerror(errno));
		if (rc < 0 && tmp != NULL)
			unlink(tmp);
		free(tmp);
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
