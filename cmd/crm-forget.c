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
#include "norm.h"
#include "privacy.h"

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

static void
fail(struct crm_db *db, struct crm_error *err)
{
	crm_db_rollback(db);
	crm_die(err);
}

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
	char at[21];

	crm_error_clear(&err);
	db = crm_cli_db(cli, 0);
	if (!crm_privacy_secure_default(db))
		vacuum = 1;
	if (crm_db_begin(db, &err) < 0)
		crm_die(&err);
	if (crm_retention_run(db, mode, before, &st, &err) < 0 ||
	    crm_retention_counts(mode, &st, &counts, &err) < 0)
		fail(db, &err);
	if (crm_cli_commit(cli, db, dry, crm_buf_str(&counts), &err) < 0 ||
	    (!dry && crm_privacy_wipe(db, vacuum, &err) < 0))
		fail(db, &err);
	if (!cli->quiet) {
		crm_format_time(before, at);
		fprintf(stderr, "crm-forget: %lld interaction%s before %s %s%s\n",
		    (long long)(st.purged + st.anonymised),
		    st.purged + st.anonymised == 1 ? "" : "s", at,
		    mode == CRM_RETAIN_PURGE ? "purged" : "anonymised",
		    dry ? " (dry run: nothing written)" : "");
	}
	crm_buf_release(&counts);
	crm_db_close(db);
	exit(crm_cli_finish(0));
}

/*
 * The audit's arguments: argv as getopt_long left it, options first (kept
 * as given) and then the operands from nopt on, each key as its tag.
 */
static char **
audit_args(struct crm_erasure *er, int argc, char **argv, int nopt,
    int replay, struct crm_buf *tags, struct crm_error *err)
{
	char **args;
	size_t *off;
	int i;

	if ((args = calloc((size_t)argc + 1, sizeof(*args))) == NULL ||
	    (off = calloc((size_t)argc + 1, sizeof(*off))) == NULL) {
		free(args);
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	for (i = nopt; i < argc && !replay; i++) {
		off[i] = tags->len;
		if (crm_erasure_tag(er, argv[i], tags, err) < 0 ||
		    crm_buf_addc(tags, '\0', err) < 0) {
			free(args);
			free(off);
			return NULL;
		}
	}
	for (i = 0; i < argc; i++)
		args[i] = i < nopt || replay ? argv[i] : tags->s + off[i];
	free(off);
	return args;
}

int
main(int argc, char **argv)
{
	struct crm_buf counts = CRM_BUF_INIT(64 * 1024);
	struct crm_buf tags = CRM_BUF_INIT(1 << 20);
	struct crm_batch batch = { NULL, list_header, list_row, list_read,
	    NULL, NULL, 0 };
	const struct crm_erasure_stats *s;
	int ch, dry = 0, listing = 0, replay = 0, vacuum = 0, nopt, i;
	int allc = argc, anon = 0, nretain = 0;
	const char *region;
	struct crm_erasure *er;
	struct crm_error err;
	struct crm_cli cli;
	struct crm_db *db;
	int64_t found = 0, ids[8], before = 0, days;
	size_t nids;
	char **args, **allv = argv;

	crm_cli_init(&cli, "crm-forget", usage, argc, argv);
	crm_error_clear(&err);
	region = getenv("CRM_REGION");
	if (region != NULL && *region == '\0')
		region = NULL;
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS "ab:k:lnR:r",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			anon = 1;
			break;
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
		case 'l':
			listing = 1;
			break;
		case 'n':
			dry = 1;
			break;
		case 'R':
			region = optarg;
			break;
		case 'r':
			replay = 1;
			break;
		case OPT_VACUUM:
			vacuum = 1;
			break;
		default:
			crm_cli_opt(&cli, ch, optarg) ||
			    (crm_cli_usage(&cli, CRM_EUSAGE), 0);
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
	if (replay) {
		batch.ctx = er;
		for (i = 0; i < argc; i++)
			if (crm_batch_file(&cli, &batch, argv[i], NULL,
			    &err) < 0)
				fail(db, &err);
		if (crm_erasure_add_listed(er, &found, &err) < 0)
			fail(db, &err);
	}
	for (i = 0; i < argc && !replay; i++)
		if (crm_erasure_add(er, argv[i], region, &err) < 0)
			fail(db, &err);
	if (crm_erasure_run(er, &err) < 0 ||
	    crm_erasure_counts(er, &counts, &err) < 0)
		fail(db, &err);
	if (dry)
		crm_db_rollback(db);
	else {
		if ((args = audit_args(er, allc, allv, nopt, replay, &tags,
		    &err)) == NULL)
			fail(db, &err);
		/* The audit records the arguments as audit_args put them. */
		cli.argc = allc;
		cli.argv = args;
		if (crm_cli_commit(&cli, db, 0, crm_buf_str(&counts), &err) < 0)
			fail(db, &err);
		cli.argv = NULL;
		cli.argc = 0;
		free(args);
		if (crm_privacy_wipe(db, vacuum, &err) < 0)
			crm_die(&err);
	}

	s = crm_erasure_stats(er);
	{
		const char *rules[8];
		size_t nr = crm_erasure_rules(er, rules, 8), j;

		for (j = 0; j < nr; j++)
			crm_warn("segment %s: its rule names an erased person;"
			    " edit it (crm-segment save --replace) or drop it",
			    rules[j]);
	}
	if ((nids = crm_erasure_sharers(er, ids, 8)) > 0) {
		crm_progress_end(&cli);
		fprintf(stderr, "crm-forget: contact%s", nids > 1 ? "s" : "");
		for (i = 0; i < (int)nids; i++)
			fprintf(stderr, "%s #%lld", i ? "," : "",
			    (long long)ids[i]);
		fprintf(stderr, "%s still %s an email or phone of an erased"
		    " contact: erase %s too if %s the same person\n",
		    nids == 8 ? " and others" : "", nids > 1 ? "have" : "has",
		    nids > 1 ? "them" : "it", nids > 1 ? "they are" : "it is");
	}
	if (!cli.quiet) {
		fprintf(stderr, "crm-forget: %lld erased (%lld record%s, %lld"
		    " row%s), %lld already erased", (long long)s->subjects,
		    (long long)s->records, s->records == 1 ? "" : "s",
		    (long long)s->rows, s->rows == 1 ? "" : "s",
		    (long long)s->already);
		if (replay)
			fprintf(stderr, ", %lld listed", (long long)s->listed);
		fprintf(stderr, "%s\n", dry ? " (dry run: nothing written)" :
		    "");
	}
	crm_buf_release(&counts);
	crm_buf_release(&tags);
	crm_erasure_free(er);
	crm_db_close(db);
	return crm_cli_finish(0);
}
