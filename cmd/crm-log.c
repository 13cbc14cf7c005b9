/*
 * crm-log - record interactions; show a contact's history; channel stats.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "cli.h"
#include "num.h"
#include "interaction.h"
#include "norm.h"
#include "profile.h"
#include "resolve.h"

static const char u_import[] =
    "crm-log [-HnqtV] [-a from=channel] [-C currency] [-d db] [-E encoding]\n"
    "[-F delimiter] [-M header=column,...] [-P profile] [-R region]\n"
    "[-r rejects] [--ambiguous newest|oldest|reject] [--columns name,...]\n"
    "[--create-missing] [--date-format format] [--decimal ,|.] [--excel-safe]\n"
    "[--map-value column:from=to,...] [file ...]";
static const char u_show[] =
    "crm-log show [-A] [-c channel] [-d db] [-f format] [-k kind]"
    " [-l limit]\n"
    "[--since date] [--until date] key";
static const char u_stats[] =
    "crm-log stats [-d db] [-f format] [--as-of date] [-w days[,days...]]\n"
    "[--preferred | --tickets]";

enum { OPT_AMBIGUOUS = 0x2100, OPT_CREATE = 0x2000, OPT_SINCE, OPT_UNTIL, OPT_ASOF, OPT_PREFERRED,
    OPT_TICKETS };

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	{ "account", no_argument, NULL, 'A' },
	CRM_IMPORT_LONGOPTS,
	{ "alias", required_argument, NULL, 'a' },
	{ "ambiguous", required_argument, NULL, OPT_AMBIGUOUS },
	{ "as-of", required_argument, NULL, OPT_ASOF },
	{ "channel", required_argument, NULL, 'c' },
	{ "create-missing", no_argument, NULL, OPT_CREATE },
	{ "currency", required_argument, NULL, 'C' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "kind", required_argument, NULL, 'k' },
	{ "limit", required_argument, NULL, 'l' },
	{ "preferred", no_argument, NULL, OPT_PREFERRED },
	{ "region", required_argument, NULL, 'R' },
	{ "rejects", required_argument, NULL, 'r' },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "tickets", no_argument, NULL, OPT_TICKETS },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "windows", required_argument, NULL, 'w' },
	{ NULL, 0, NULL, 0 }
};

/* The logger as a batch: header, record, count. */
static int
header(void *ctx, struct crm_csv *r, struct crm_error *err)
{
	crm_logger_source(ctx, crm_csv_name(r));
	return crm_logger_header(ctx, r, err);
}

static int
row(void *ctx, struct crm_csv *r, struct crm_error *err)
{
	return crm_logger_row(ctx, r, err);
}

static int64_t
nread(void *ctx)
{
	return crm_logger_stats(ctx)->read;
}

static void
region(void *ctx, const char *r)
{
	crm_logger_region(ctx, r);
}

/* How the input files are read (profile.h). */
static struct crm_import_opts io;

/* The options, for whichever command takes them. */
static struct crm_log_opts opts;
static struct crm_log_filter f;
static struct crm_error err;
static struct crm_cli cli;
static const char *rejects, *windows = "30,90,365";
static int64_t asof;
static int account, dry, report;
static char currency[4], kind[33];

/* crm-log show key: one contact's history. */
static int
cmd_show(struct crm_cli *c, int what, int argc, char **argv)
{
	struct crm_out *o;
	struct crm_db *db;
	int64_t id;

	if (argc != 1)
		crm_cli_usage(&cli, CRM_EUSAGE);
	db = crm_cli_db(&cli, 0);
	o = crm_cli_out_auto(&cli);
	/* -A: the combined timeline of an account's people. */
	if ((account ? crm_account_resolve(db, argv[0], &id, &err) < 0 ||
	    crm_account_show(db, id, &f, o, &err) < 0 :
	    crm_contact_resolve(db, argv[0], opts.region, &id, &err) < 0 ||
	    crm_log_show(db, id, &f, o, &err) < 0) ||
	    crm_out_end(o, &err) < 0)
		crm_die(&err);
	crm_out_free(o);
	crm_db_close(db);
	return 0;
}

/* crm-log stats: per channel, preferred channels, or tickets. */
static int
cmd_stats(struct crm_cli *c, int what, int argc, char **argv)
{
	char *list, *tok, *save = NULL;
	struct crm_out *o;
	struct crm_db *db;
	int64_t wins[16];
	size_t nw = 0;

	if (argc != 0)
		crm_cli_usage(&cli, CRM_EUSAGE);
	if ((list = strdup(windows)) == NULL)
		crm_die_usage("out of memory");
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (nw == sizeof(wins) / sizeof(wins[0]) ||
		    crm_norm_days(tok, &wins[nw], &err) < 0 || wins[nw] <= 0)
			crm_die_usage("--windows: bad window '%s'", tok);
		nw++;
	}
	free(list);
	if (asof == 0)
		asof = crm_now();
	db = crm_cli_db(&cli, 0);
	o = crm_cli_out_auto(&cli);
	if ((report == 0 ? crm_log_stats(db, asof, wins, nw, o, &err) :
	    report == 1 ? crm_log_preferred(db, o, &err) :
	    crm_log_tickets(db, asof, wins[nw - 1], o, &err)) < 0 ||
	    crm_out_end(o, &err) < 0)
		crm_die(&err);
	crm_out_free(o);
	crm_db_close(db);
	return 0;
}

/* crm-log [file ...]: the import, one transaction. */
static int
cmd_import(struct crm_cli *c, int what, int argc, char **argv)
{
	const struct crm_log_stats *s;
	struct crm_batch batch = { NULL, header, row, nread, &io, region, 0 };
	struct crm_rejects *rj = NULL;
	struct crm_logger *lg;
	struct crm_db *db;
	char counts[256];
	int i;

	if (crm_import_check(&io, &err) < 0)
		crm_die(&err);
	crm_cli_output(&cli, "--rejects", rejects);
	crm_batch_check_inputs(argc, argv);
	crm_batch_bulk(argc, argv);
	db = crm_cli_db_dry(&cli, CRM_DB_CREATE, dry);
	/*
	 * Foreign keys are off for the import's transaction: every contact
	 * id it writes (interactions, consent events) is one it looked up in
	 * contacts or created there in the same transaction, and nothing in
	 * it deletes a contact, so SQLite's look-up of the contact for each
	 * row, a sixth of a first import's time, could find nothing.
	 */
	if ((lg = crm_logger_new(db, &opts, &err)) == NULL ||
	    (rejects != NULL && (rj = crm_rejects_new(rejects,
	    cli.excel_safe, &err)) == NULL) ||
	    crm_db_foreign_keys(db, 0, &err) < 0 ||
	    crm_db_begin(db, &err) < 0)
		crm_die(&err);
	batch.ctx = lg;
	for (i = 0; i < (argc ? argc : 1); i++)
		if (crm_batch_file(&cli, &batch, argc ? argv[i] : "-", rj,
		    &err) < 0)
			crm_batch_die(db, rj, &err);
	s = crm_logger_stats(lg);
	snprintf(counts, sizeof(counts), "{\"read\":%lld,\"inserted\":%lld,"
	    "\"updated\":%lld,\"unchanged\":%lld,\"rejected\":%lld,"
	    "\"contacts_created\":%lld,\"erased\":%lld,"
	    "\"consent_withdrawn\":%lld,\"collapsed\":%lld}",
	    (long long)s->read, (long long)s->inserted,
	    (long long)s->updated, (long long)s->unchanged,
	    (long long)s->rejected, (long long)s->created,
	    (long long)s->erased, (long long)s->withdrawn,
	    (long long)s->collapsed);
	crm_batch_end(&cli, db, rj, dry, counts);
	if (!cli.quiet) {
		fprintf(stderr, "crm-log: %lld read, %lld inserted, %lld"
		    " updated, %lld unchanged, %lld rejected",
		    (long long)s->read, (long long)s->inserted,
		    (long long)s->updated, (long long)s->unchanged,
		    (long long)s->rejected);
		if (s->created)
			fprintf(stderr, "; %lld %s created",
			    (long long)s->created, crm_num_word(s->created,
			    "contact", "contacts"));
		if (s->withdrawn)
			fprintf(stderr, "; %lld consent%s withdrawn",
			    (long long)s->withdrawn,
			    s->withdrawn == 1 ? "" : "s");
		if (s->erased)
			fprintf(stderr, "; skipped %lld record%s of erased"
			    " people", (long long)s->erased,
			    s->erased == 1 ? "" : "s");
		fprintf(stderr, "%s\n", dry ? " (dry run: nothing written)" :
		    "");
	}
	if (s->collapsed)
		crm_warn("warning: %lld record%s without a ref identical to"
		    " another of this input (contact, time, kind, amount,"
		    " product, ...) stored once; give each purchase a ref to"
		    " keep them apart", (long long)s->collapsed,
		    s->collapsed == 1 ? "" : "s");
	i = s->rejected ? CRM_EDATA : 0;
	crm_rejects_free(rj);
	crm_logger_free(lg);
	crm_db_close(db);
	return i;
}

static const struct crm_cmd cmds[] = {
	{ "import", cmd_import, 0, u_import, NULL },
	{ "show", cmd_show, 0, u_show, NULL },
	{ "stats", cmd_stats, 0, u_stats, NULL },
	{ NULL, NULL, 0, NULL, NULL }
};

int
main(int argc, char **argv)
{
	const struct crm_cmd *cmd;
	int ch, i;

	crm_cli_init(&cli, "crm-log", crm_cmd_usage(cmds), argc, argv);
	crm_error_clear(&err);
	opts.region = getenv("CRM_REGION");
	if (opts.region != NULL && *opts.region == '\0')
		opts.region = NULL;
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS
	    CRM_IMPORT_SHORTOPTS "Aa:C:c:k:l:nR:r:w:", longopts, NULL)) != -1) {
		if (crm_import_opt(&io, ch, optarg, &err) != 0) {
			if (err.code != CRM_EOK)
				crm_die(&err);
			continue;
		}
		switch (ch) {
		case 'A':
			account = 1;
			break;
		case 'a':
			if (crm_log_alias(&opts, optarg, &err) < 0)
				crm_die(&err);
			break;
		case 'C':
			if (strlen(optarg) != 3 || !isalpha((unsigned char)
			    optarg[0]) || !isalpha((unsigned char)optarg[1]) ||
			    !isalpha((unsigned char)optarg[2]))
				crm_die_usage("--currency: '%s' is not an ISO"
				    " 4217 code such as EUR", optarg);
			for (i = 0; i < 3; i++)
				currency[i] = (char)toupper((unsigned char)
				    optarg[i]);
			opts.currency = currency;
			break;
		case 'c':
			if ((f.channel = crm_log_channel(optarg)) == NULL)
				crm_die_usage("unknown channel '%s' (%s)",
				    optarg, crm_log_channels);
			break;
		case 'k':
			for (i = 0; optarg[i] != '\0' && i < 32; i++)
				kind[i] = (char)tolower((unsigned char)
				    optarg[i]);
			kind[i] = '\0';
			f.kind = kind;
			break;
		case 'l':
			f.limit = crm_cli_num("--limit", optarg, 1, INT64_MAX);
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
		case 'w':
			windows = optarg;
			break;
		case OPT_ASOF:
			asof = crm_cli_time("--as-of", optarg);
			break;
		case OPT_CREATE:
			opts.create_missing = 1;
			break;
		case OPT_AMBIGUOUS:
			if (strcmp(optarg, "reject") == 0)
				opts.ambiguous = 0;
			else if (strcmp(optarg, "newest") == 0)
				opts.ambiguous = 1;
			else if (strcmp(optarg, "oldest") == 0)
				opts.ambiguous = 2;
			else
				crm_die_usage("unknown --ambiguous '%s' (newest,"
				    " oldest or reject)", optarg);
			break;
		case OPT_PREFERRED:
			report = 1;
			break;
		case OPT_TICKETS:
			report = 2;
			break;
		case OPT_SINCE:
			f.since = crm_cli_time("--since", optarg);
			break;
		case OPT_UNTIL:
			f.until = crm_cli_time("--until", optarg);
			break;
		default:
			crm_cli_opt(&cli, ch, optarg) ||
			    (crm_cli_usage(&cli, CRM_EUSAGE), 0);
		}
	}
	argc -= optind;
	argv += optind;
	/* The first word names the command (a file so named: ./show); files
	 * alone are an import. */
	cmd = crm_cmd_find(&cli, cmds, argc > 0 ? argv[0] : NULL, "import");
	if (argc > 0 && strcmp(argv[0], cmd->name) == 0) {
		argc--;
		argv++;
	}
	if (strcmp(cmd->name, "import") == 0)
		cli.usage = crm_cmd_usage(cmds);
	return crm_cli_finish(cmd->fn(&cli, cmd->what, argc, argv));
}
