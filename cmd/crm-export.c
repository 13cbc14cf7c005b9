/*
 * crm-export - write contacts as CSV, TSV or JSON lines.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "cli.h"
#include "contact.h"
#include "norm.h"
#include "privacy.h"
#include "resolve.h"

static const char usage[] =
    "crm-export [-aqtV] [-C channel] [-c columns] [-d db] [-f format]\n"
    "[-O owner] [-S stage] [--excel-safe] [--since date]"
    " [contacts | accounts]\n"
    "crm-export -s key [-V] [-d db]";

enum { OPT_SINCE = 0x2000 };

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	{ "all", no_argument, NULL, 'a' },
	{ "columns", required_argument, NULL, 'c' },
	{ "consent", required_argument, NULL, 'C' },
	{ "owner", required_argument, NULL, 'O' },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "stage", required_argument, NULL, 'S' },
	{ "subject", required_argument, NULL, 's' },
	{ NULL, 0, NULL, 0 }
};

int
main(int argc, char **argv)
{
	struct crm_contact_filter f;
	const char *columns = NULL, *subject = NULL, *region;
	struct crm_error err;
	struct crm_cli cli;
	struct crm_out *o;
	struct crm_db *db;
	int64_t n, id;
	int ch, selected = 0;

	crm_cli_init(&cli, "crm-export", usage, argc, argv);
	crm_error_clear(&err);
	memset(&f, 0, sizeof(f));
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS "aC:c:O:S:s:",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			f.include_merged = 1;
			break;
		case 'C':
			f.consent = optarg;
			break;
		case 'c':
			columns = optarg;
			break;
		case 'O':
			f.owner = optarg;
			break;
		case 'S':
			f.stage = optarg;
			break;
		case 's':
			subject = optarg;
			break;
		case OPT_SINCE:
			if (crm_norm_datetime(optarg, &f.since, &err) < 0) {
				err.code = CRM_EUSAGE;
				crm_error_prefix(&err, "--since");
				crm_die(&err);
			}
			break;
		default:
			if (crm_cli_opt(&cli, ch, optarg))
				continue;
			crm_cli_usage(&cli, CRM_EUSAGE);
		}
		selected++;
	}
	argc -= optind;
	argv += optind;
	if (argc > 1 || (argc == 1 && strcmp(argv[0], "contacts") != 0 &&
	    strcmp(argv[0], "accounts") != 0))
		crm_cli_usage(&cli, CRM_EUSAGE);
	if (argc == 1 && strcmp(argv[0], "accounts") == 0) {
		/* The same columns and formats; see crm-account(1). */
		struct crm_account_filter af = { NULL, f.owner, NULL,
		    f.include_merged };

		if (subject != NULL || f.stage != NULL || f.consent != NULL ||
		    f.since != 0)
			crm_die_usage("accounts: only -a, -c and -O filter");
		db = crm_cli_db(&cli, 0);
		o = crm_cli_out(&cli);
		if (crm_account_export(db, o, columns, &af, &n, &err) < 0 ||
		    crm_out_end(o, &err) < 0)
			crm_die(&err);
		crm_out_free(o);
		crm_db_close(db);
		return crm_cli_finish(0);
	}

	if (subject != NULL) {
		/* Right of access: one JSON document, nothing to choose. */
		if (argc > 0 || selected > 1 || cli.tsv || cli.excel_safe ||
		    (cli.fmt_set && cli.fmt != CRM_FMT_JSON))
			crm_die_usage("--subject writes everything as JSON:"
			    " it takes no columns, filters or format");
		region = getenv("CRM_REGION");
		db = crm_cli_db(&cli, 0);
		if (crm_db_is_pg(db)) {
			crm_error_set(&err, CRM_EFAIL, "%s: PostgreSQL:"
			    " --subject works on SQLite only so far",
			    crm_db_name(db));
			crm_die(&err);
		}
		if (crm_contact_resolve(db, subject, region != NULL &&
		    *region != '\0' ? region : NULL, &id, &err) < 0 ||
		    crm_privacy_export(db, id, stdout, &err) < 0)
			crm_die(&err);
		crm_db_close(db);
		return crm_cli_finish(0);
	}
	db = crm_cli_db(&cli, 0);
	o = crm_cli_out(&cli);
	if (crm_contact_export(db, o, columns, &f, &n, &err) < 0 ||
	    crm_out_end(o, &err) < 0)
		crm_die(&err);
	crm_out_free(o);
	crm_db_close(db);
	return crm_cli_finish(0);
}
