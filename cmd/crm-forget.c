/*
 * crm-forget - erase people on request; erase them again in a restored
 * backup; list the erased (as hashes); purge or anonymise old
 * interactions (retention).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "norm.h"
#include "privacy-cmd.h"

static const char usage[] =
    "crm-forget [-nqV] [-d db] [-R region] [--vacuum] key ...\n"
    "crm-forget -r [-nqtV] [-d db] [--vacuum] [file ...]\n"
    "crm-forget -l [-tV] [-d db] [-f format]\n"
    "crm-forget -k period | -b date [-anqV] [-d db] [--vacuum]";

enum { OPT_VACUUM = 0x2000 };

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	{ "anonymise", no_argument, NULL, 'a' },
	{ "anonymize", no_argument, NULL, 'a' },
	{ "before", required_argument, NULL, 'b' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "list", no_argument, NULL, 'l' },
	{ "region", required_argument, NULL, 'R' },
	{ "replay", no_argument, NULL, 'r' },
	{ "retain", required_argument, NULL, 'k' },
	{ "vacuum", no_argument, NULL, OPT_VACUUM },
	{ NULL, 0, NULL, 0 }
};

/* What a run says: warnings (even with -q), the summary (unless -q). */
static struct crm_buf warn = CRM_BUF_INIT(4096), summary = CRM_BUF_INIT(4096);

static void
list(struct crm_cli *cli)
{
	struct crm_error err;
	struct crm_db *db = crm_cli_db(cli, 0);
	struct crm_out *o = crm_cli_out(cli);

	crm_error_clear(&err);
	if (crm_privacy_list(db, o, &err) < 0 || crm_out_end(o, &err) < 0)
		crm_die(&err);
	crm_out_free(o);
	crm_db_close(db);
	exit(crm_cli_finish(0));
}

/* Reading erased lists through the command runtime's batch driver. */
static int
list_header(void *ctx, struct crm_csv *r, struct crm_error *err)
{
	return crm_erasure_list_header(ctx, r, err);
}

static int
list_row(void *ctx, struct crm_csv *r, struct crm_error *err)
{
	return crm_erasure_list_row(ctx, r, err);
}

static int64_t
list_read(void *ctx)
{
	return crm_erasure_stats(ctx)->read;
}

/* --retain or --before: purge or anonymise what happened before. */
static void
retain(struct crm_cli *cli, enum crm_retention_mode mode, int64_t before,
    int dry, int vacuum)
{
	struct crm_buf counts = CRM_BUF_INIT(4096);
	struct crm_retention_stats st;
	struct crm_error err;
	struct crm_db *db;

	crm_error_clear(&err);
	db = crm_cli_db(cli, 0);
	if (!crm_privacy_secure_default(db))
		vacuum = 1;
	if (crm_db_begin(db, &err) < 0)
		crm_die(&err);
	if (crm_retention_run(db, mode, before, &st, &err) < 0 ||
	    crm_retention_counts(mode, &st, &counts, &err) < 0 ||
	    crm_retention_notes(mode, &st, before, dry, &summary, &err) < 0 ||
	    crm_cli_commit(cli, db, dry, crm_buf_str(&counts), &err) < 0 ||
	    (!dry && crm_privacy_wipe(db, vacuum, &err) < 0))
		crm_cmd_fail(db, &err);
	if (!cli->quiet)
		crm_cmd_say(crm_buf_str(&summary));
	crm_buf_release(&counts);
	crm_db_close(db);
	exit(crm_cli_finish(0));
}

int
main(int argc, char **argv)
{
	struct crm_buf counts = CRM_BUF_INIT(64 * 1024);
	struct crm_buf tags = CRM_BUF_INIT(1 << 20);
	struct crm_batch batch = { NULL, list_header, list_row, list_read,
	    NULL, NULL, 0 };
	int ch, dry = 0, listing = 0, replay = 0, vacuum = 0, nopt, i;
	int allc = argc, anon = 0, nretain = 0;
	const char *region = crm_cmd_region();
	const struct crm_cmd_opt opts[] = {
		CRM_CMD_FLAG('a', &anon), CRM_CMD_FLAG('l', &listing),
		CRM_CMD_FLAG('n', &dry), CRM_CMD_STR('R', &region),
		CRM_CMD_FLAG('r', &replay), CRM_CMD_FLAG(OPT_VACUUM, &vacuum),
		CRM_CMD_OPT_END
	};
	struct crm_erasure *er;
	struct crm_error err;
	struct crm_cli cli;
	struct crm_db *db;
	int64_t found = 0, before = 0, days;
	char **args, **allv = argv;

	crm_cli_init(&cli, "crm-forget", usage, argc, argv);
	crm_error_clear(&err);
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS "ab:k:lnR:r",
	    longopts, NULL)) != -1) {
		if (crm_cmd_opt(&cli, opts, ch, optarg))
			continue;
		switch (ch) {
		case 'b':
			if (crm_norm_datetime(optarg, &before, &err) < 0)
				crm_die_usage("--before: %s", err.msg);
			nretain++;
			break;
		case 'k':
			if (crm_norm_days(optarg, &days, &err) < 0 || days <= 0)
				crm_die_usage("--retain: bad period '%s': expected"
				    " e.g. 90d, 12w, 6m or 2y", optarg);
			before = crm_now() - days * 86400;
			nretain++;
			break;
		default:
			crm_cli_usage(&cli, CRM_EUSAGE);
		}
	}
	nopt = optind;
	argc -= optind;
	argv += optind;
	if (nretain > 0 || anon) {
		if (nretain != 1)
			crm_die_usage("give one of --retain and --before");
		if (listing || replay || argc > 0)
			crm_die_usage("--retain and --before take no keys, -l"
			    " or -r");
		retain(&cli, anon ? CRM_RETAIN_ANONYMISE : CRM_RETAIN_PURGE,
		    before, dry, vacuum);
	}
	if (listing) {
		if (replay)
			crm_die_usage("--list and --replay exclude each other");
		if (argc > 0)
			crm_cli_usage(&cli, CRM_EUSAGE);
		list(&cli);
	}
	if (!replay && argc == 0)
		crm_cli_usage(&cli, CRM_EUSAGE);

	if (replay)
		crm_batch_check_inputs(argc, argv);
	db = crm_cli_db(&cli, 0);
	/* Freed space may hold old text unless writers zeroed it. */
	if (!crm_privacy_secure_default(db))
		vacuum = 1;
	if ((er = crm_erasure_new(db, &err)) == NULL ||
	    crm_db_begin(db, &err) < 0)
		crm_die(&err);
	batch.ctx = er;
	for (i = 0; i < argc && replay; i++)
		if (crm_batch_file(&cli, &batch, argv[i], NULL, &err) < 0)
			crm_cmd_fail(db, &err);
	if (replay && crm_erasure_add_listed(er, &found, &err) < 0)
		crm_cmd_fail(db, &err);
	for (i = 0; i < argc && !replay; i++)
		if (crm_erasure_add(er, argv[i], region, &err) < 0)
			crm_cmd_fail(db, &err);
	if (crm_erasure_run(er, &err) < 0 ||
	    crm_erasure_counts(er, &counts, &err) < 0)
		crm_cmd_fail(db, &err);
	if (dry)
		crm_db_rollback(db);
	else {
		if ((args = crm_erasure_audit_args(er, allc, allv, nopt, replay,
		    &tags, &err)) == NULL)
			crm_cmd_fail(db, &err);
		/* The audit records the arguments as audit_args put them. */
		cli.argc = allc;
		cli.argv = args;
		if (crm_cli_commit(&cli, db, 0, crm_buf_str(&counts), &err) < 0)
			crm_cmd_fail(db, &err);
		cli.argv = NULL;
		cli.argc = 0;
		free(args);
		if (crm_privacy_wipe(db, vacuum, &err) < 0)
			crm_die(&err);
	}
	if (crm_erasure_notes(er, replay, dry, &warn, &summary, &err) < 0)
		crm_die(&err);
	crm_cmd_say(crm_buf_str(&warn));
	if (!cli.quiet)
		crm_cmd_say(crm_buf_str(&summary));
	crm_buf_release(&counts);
	crm_buf_release(&tags);
	crm_erasure_free(er);
	crm_db_close(db);
	return crm_cli_finish(0);
}
