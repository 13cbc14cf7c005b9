/*
 * crm-log - record interactions; show a contact's history; channel stats.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "cli.h"
#include "cmd.h"
#include "contact.h"
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

enum { OPT_AMBIGUOUS = 0x2100, OPT_CREATE = 0x2000, OPT_ASOF, OPT_PREFERRED,
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
	CRM_CMD_SINCE_LONGOPTS,
	{ "tickets", no_argument, NULL, OPT_TICKETS },
	{ "windows", required_argument, NULL, 'w' },
	{ NULL, 0, NULL, 0 }
};

CRM_CMD_IMPORTER_SOURCE(crm_logger)

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

/* crm-log show key: one contact's (-A: an account's) history. */
static int
show(struct crm_db *db, struct crm_out *o, void *key, struct crm_error *e)
{
	int64_t id;

	if (account)
		return crm_account_resolve(db, key, &id, e) < 0 ? -1 :
		    crm_account_show(db, id, &f, o, e);
	return crm_contact_resolve(db, key, opts.region, &id, e) < 0 ? -1 :
	    crm_log_show(db, id, &f, o, e);
}

/* crm-log stats: per channel, preferred channels, or tickets. */
static int64_t wins[16];
static size_t nw;

static int
stats(struct crm_db *db, struct crm_out *o, void *arg, struct crm_error *e)
{
	return report == 0 ? crm_log_stats(db, asof, wins, nw, o, e) :
	    report == 1 ? crm_log_preferred(db, o, e) :
	    crm_log_tickets(db, asof, wins[nw - 1], o, e);
}

/* show (what 1) and stats (0): a report on standard output. */
static int
cmd_read(struct crm_cli *c, int what, int argc, char **argv)
{
	if (argc != what)
		crm_cli_usage(&cli, CRM_EUSAGE);
	if (!what && crm_norm_windows(windows, wins, 16, &nw, &err) < 0)
		crm_die_usage("--windows: %s", err.msg);
	if (asof == 0)
		asof = crm_now();
	return crm_cmd_read(&cli, what ? show : stats, argv[0]);
}

/* crm-log [file ...]: the import, one transaction. */
static int
cmd_import(struct crm_cli *c, int what, int argc, char **argv)
{
	struct crm_cmd_import im = CRM_CMD_IMPORT_INIT;
	const struct crm_log_stats *s;
	struct crm_db *db;
	int64_t collapsed;
	int status;

	crm_logger_b_set(&im);
	im.batch.io = &io;
	im.rejects = rejects;
	im.dry = dry;
	im.bulk = 1;
	db = crm_cmd_import_open(&cli, &im, argc, argv);
	/*
	 * Foreign keys are off for the import's transaction: every contact
	 * id it writes (interactions, consent events) is one it looked up in
	 * contacts or created there in the same transaction, and nothing in
	 * it deletes a contact, so SQLite's look-up of the contact for each
	 * row, a sixth of a first import's time, could find nothing.
	 */
	if ((im.batch.ctx = crm_logger_new(db, &opts, &err)) == NULL ||
	    crm_db_foreign_keys(db, 0, &err) < 0)
		crm_die(&err);
	crm_cmd_import_run(&cli, &im, argc, argv);
	s = crm_logger_stats(im.batch.ctx);
	collapsed = s->collapsed;
	{
		const struct crm_count n[] = {
			CRM_COUNT("read", s->read),
			CRM_COUNT("inserted", s->inserted),
			CRM_COUNT("updated", s->updated),
			CRM_COUNT("unchanged", s->unchanged),
			CRM_COUNT("rejected", s->rejected),
			CRM_COUNT_AUDIT("contacts_created", s->created),
			CRM_COUNT_AUDIT("erased", s->erased),
			CRM_COUNT_AUDIT("consent_withdrawn", s->withdrawn),
			CRM_COUNT_AUDIT("collapsed", s->collapsed),
			{ NULL, s->created, "; ", "", " contact created",
			    " contacts created", 1 },
			{ NULL, s->withdrawn, "; ", "", " consent withdrawn",
			    " consents withdrawn", 1 },
			{ NULL, s->erased, "; ", "skipped ", " record of"
			    " erased people", " records of erased people", 1 },
			CRM_COUNT_END
		};

		status = crm_cmd_import_end(&cli, &im, n);
	}
	if (collapsed)
		crm_warn("warning: %lld record%s without a ref identical to"
		    " another of this input (contact, time, kind, amount,"
		    " product, ...) stored once; give each purchase a ref to"
		    " keep them apart", (long long)collapsed,
		    collapsed == 1 ? "" : "s");
	return status;
}

static const struct crm_cmd cmds[] = {
	{ "import", cmd_import, 0, u_import, NULL },
	{ "show", cmd_read, 1, u_show, NULL },
	{ "stats", cmd_read, 0, u_stats, NULL },
	{ NULL, NULL, 0, NULL, NULL }
};

int
main(int argc, char **argv)
{
	const struct crm_cmd *cmd;
	const struct crm_cmd_opt t[] = {
		CRM_CMD_FLAG('A', &account),
		CRM_CMD_NUM('l', "--limit", &f.limit, 1, INT64_MAX),
		CRM_CMD_FLAG('n', &dry), CRM_CMD_STR('R', &opts.region),
		CRM_CMD_STR('r', &rejects), CRM_CMD_STR('w', &windows),
		CRM_CMD_TIME(OPT_ASOF, "--as-of", &asof),
		CRM_CMD_FLAG(OPT_CREATE, &opts.create_missing),
		CRM_CMD_SET(OPT_PREFERRED, &report, 1),
		CRM_CMD_SET(OPT_TICKETS, &report, 2),
		CRM_CMD_SINCE_UNTIL(&f.since, &f.until), CRM_CMD_OPT_END
	};
	enum crm_ambiguous amb;
	int ch;

	crm_cli_init(&cli, "crm-log", crm_cmd_usage(cmds), argc, argv);
	crm_error_clear(&err);
	opts.region = crm_cmd_region();
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS
	    CRM_IMPORT_SHORTOPTS "Aa:C:c:k:l:nR:r:w:", longopts, NULL)) != -1) {
		if (crm_import_opt(&io, ch, optarg, &err) != 0) {
			if (err.code != CRM_EOK)
				crm_die(&err);
			continue;
		}
		if (crm_cmd_opt(&cli, t, ch, optarg))
			continue;
		switch (ch) {
		case 'a':
			if (crm_log_alias(&opts, optarg, &err) < 0)
				crm_die(&err);
			break;
		case 'C':
			if (crm_norm_currency(optarg, currency, &err) < 0)
				crm_die_usage("--currency: %s", err.msg);
			opts.currency = currency;
			break;
		case 'c':
			if ((f.channel = crm_log_channel(optarg)) == NULL)
				crm_die_usage("unknown channel '%s' (%s)",
				    optarg, crm_log_channels);
			break;
		case 'k':
			crm_norm_lower(optarg, kind, sizeof(kind));
			f.kind = kind;
			break;
		case OPT_AMBIGUOUS:
			if (crm_contact_ambiguous_parse(optarg, &amb, &err) < 0)
				crm_die(&err);
			opts.ambiguous = (int)amb;
			break;
		default:
			crm_cli_usage(&cli, CRM_EUSAGE);
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
