/*
 * crm-add - add or update contacts from CSV or TSV.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "contact.h"

static const char usage[] =
    "crm-add [-nqtV] [-d db] [-k key] [-R region] [-r rejects]\n"
    "[--allow-erased] [--allow-opt-in] [--excel-safe] [file ...]";

enum { OPT_ALLOW_OPT_IN = 0x2000, OPT_ALLOW_ERASED };

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	{ "allow-erased", no_argument, NULL, OPT_ALLOW_ERASED },
	{ "allow-opt-in", no_argument, NULL, OPT_ALLOW_OPT_IN },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "key", required_argument, NULL, 'k' },
	{ "region", required_argument, NULL, 'R' },
	{ "rejects", required_argument, NULL, 'r' },
	{ NULL, 0, NULL, 0 }
};

/* The importer as a batch: header, record, count. */
static int
header(void *ctx, struct crm_csv *r, struct crm_error *err)
{
	crm_importer_source(ctx, crm_csv_name(r));
	return crm_importer_header(ctx, r, err);
}

static int
row(void *ctx, struct crm_csv *r, struct crm_error *err)
{
	return crm_importer_row(ctx, r, err);
}

static int64_t
nread(void *ctx)
{
	return crm_importer_stats(ctx)->read;
}

int
main(int argc, char **argv)
{
	struct crm_contact_opts opts = { CRM_KEY_AUTO, 0, NULL, NULL, 0 };
	const struct crm_contact_stats *s;
	struct crm_batch batch = { NULL, header, row, nread };
	struct crm_rejects *rj = NULL;
	const char *rejects = NULL;
	struct crm_importer *imp;
	struct crm_error err;
	struct crm_cli cli;
	struct crm_db *db;
	char counts[256];
	int ch, dry = 0, i;

	crm_cli_init(&cli, "crm-add", usage, argc, argv);
	crm_error_clear(&err);
	opts.region = getenv("CRM_REGION");
	if (opts.region != NULL && *opts.region == '\0')
		opts.region = NULL;
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS "k:nR:r:",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			if (crm_contact_key_parse(optarg, &opts.key, &err) < 0)
				crm_die(&err);
			break;
		case 'n':
			dry = 1;
			break;
		case 'R':
			opts.region = optarg;
			break;
		case 'r':
			rejects = optarg;
			break;
		case OPT_ALLOW_OPT_IN:
			opts.allow_opt_in = 1;
			break;
		case OPT_ALLOW_ERASED:
			opts.allow_erased = 1;
			break;
		default:
			crm_cli_opt(&cli, ch, optarg) ||
			    (crm_cli_usage(&cli, CRM_EUSAGE), 0);
		}
	}
	argc -= optind;
	argv += optind;

	crm_cli_output(&cli, "--rejects", rejects);
	crm_batch_check_inputs(argc, argv);
	crm_batch_bulk(argc, argv);
	db = crm_cli_db(&cli, CRM_DB_CREATE);
	if ((imp = crm_importer_new(db, &opts, &err)) == NULL ||
	    (rejects != NULL && (rj = crm_rejects_new(rejects, cli.excel_safe,
	    &err)) == NULL) ||
	    crm_db_begin(db, &err) < 0)
		crm_die(&err);
	batch.ctx = imp;
	for (i = 0; i < (argc ? argc : 1); i++)
		if (crm_batch_file(&cli, &batch, argc ? argv[i] : "-", rj,
		    &err) < 0)
			crm_batch_die(db, rj, &err);
	s = crm_importer_stats(imp);
	snprintf(counts, sizeof(counts), "{\"read\":%lld,\"inserted\":%lld,"
	    "\"updated\":%lld,\"unchanged\":%lld,\"rejected\":%lld,"
	    "\"erased\":%lld}",
	    (long long)s->read, (long long)s->inserted,
	    (long long)s->updated, (long long)s->unchanged,
	    (long long)s->rejected, (long long)s->erased);
	crm_batch_end(&cli, db, rj, dry, counts);
	if (!cli.quiet) {
		fprintf(stderr, "crm-add: %lld read, %lld inserted, %lld"
		    " updated, %lld unchanged, %lld rejected",
		    (long long)s->read, (long long)s->inserted,
		    (long long)s->updated, (long long)s->unchanged,
		    (long long)s->rejected);
		if (s->optout_kept)
			fprintf(stderr, "; kept %lld opt-out%s (see"
			    " --allow-opt-in)", (long long)s->optout_kept,
			    s->optout_kept == 1 ? "" : "s");
		if (s->erased)
			fprintf(stderr, "; skipped %lld record%s of erased"
			    " people", (long long)s->erased,
			    s->erased == 1 ? "" : "s");
		fprintf(stderr, "%s\n", dry ? " (dry run: nothing written)" :
		    "");
	}
	i = s->rejected ? CRM_EDATA : 0;
	crm_rejects_free(rj);
	crm_importer_free(imp);
	crm_db_close(db);
	return crm_cli_finish(i);
}
