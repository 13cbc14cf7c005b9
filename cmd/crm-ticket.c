/*
 * crm-ticket - the service desk: tickets in, service levels, what is due.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "norm.h"
#include "service.h"

static const char usage[] =
    "crm-ticket [-nqtV] [-d db] [-R region] [-r rejects] [--excel-safe]\n"
    "[file ...]\n"
    "crm-ticket sla [-d db] [-f format] [-b by] [-w within] [--as-of date]\n"
    "[--since date]\n"
    "crm-ticket due [-d db] [-f format] [-A assignee] [-T team] [-w within]\n"
    "[--as-of date] [--breached]\n"
    "crm-ticket history [-d db] [-f format] ref\n"
    "crm-ticket policy [-d db] [-f format] [-H hours] [-z zone]\n"
    "[--holiday date[=name]] [--target priority[/channel]=first,resolution]";

enum { OPT_ASOF = 0x2000, OPT_SINCE, OPT_BREACHED, OPT_HOLIDAY, OPT_TARGET };

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	{ "as-of", required_argument, NULL, OPT_ASOF },
	{ "assignee", required_argument, NULL, 'A' },
	{ "breached", no_argument, NULL, OPT_BREACHED },
	{ "by", required_argument, NULL, 'b' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "holiday", required_argument, NULL, OPT_HOLIDAY },
	{ "hours", required_argument, NULL, 'H' },
	{ "region", required_argument, NULL, 'R' },
	{ "rejects", required_argument, NULL, 'r' },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "team", required_argument, NULL, 'T' },
	{ "within", required_argument, NULL, 'w' },
	{ "zone", required_argument, NULL, 'z' },
	{ NULL, 0, NULL, 0 }
};

/* Everything the options say, for whichever subcommand runs. */
struct opts {
	struct crm_cli cli;
	const char *region, *rejects, *assignee, *team, *ref;
	const char *holiday[64], *target[64];
	struct crm_service_change pol;
	enum crm_service_by by;
	int64_t asof, since, within;
	int dry, breached, what;
};

CRM_CMD_IMPORTER(crm_ticketer)

static int
cmd_import(struct opts *op, int argc, char **argv)
{
	struct crm_cmd_import im = CRM_CMD_IMPORT_INIT;
	const struct crm_service_stats *s;
	struct crm_error err;

	crm_ticketer_b_set(&im);
	im.rejects = op->rejects;
	im.dry = op->dry;
	if ((im.batch.ctx = crm_ticketer_new(crm_cmd_import_open(&op->cli,
	    &im, argc, argv), op->region, &err)) == NULL)
		crm_die(&err);
	crm_cmd_import_run(&op->cli, &im, argc, argv);
	s = crm_ticketer_stats(im.batch.ctx);
	{
		const struct crm_count n[] = {
			CRM_COUNT("read", s->read),
			CRM_COUNT("inserted", s->inserted),
			CRM_COUNT("changed", s->changed),
			CRM_COUNT("unchanged", s->unchanged),
			CRM_COUNT("rejected", crm_rejects_count(im.rj)),
			{ "events", s->events, "; ", "", " event", " events",
			    0 },
			CRM_COUNT_AUDIT("handoffs", s->handoffs),
			CRM_COUNT_AUDIT("reopens", s->reopens),
			CRM_COUNT_END
		};

		return crm_cmd_import_end(&op->cli, &im, n);
	}
}

/* The reports: sla, due, history ref, policy. */
static int
report(struct crm_db *db, struct crm_out *o, void *arg, struct crm_error *err)
{
	const struct opts *op = arg;

	switch (op->what) {
	case 's':
		return crm_service_report_out(db, op->asof, op->since, op->by,
		    op->within, o, err);
	case 'd':
		return crm_service_due(db, op->asof, op->within, op->breached,
		    op->team, op->assignee, o, err);
	case 'h':
		return crm_service_history(db, op->ref, o, err);
	default:
		return crm_service_policy(db, o, err);
	}
}

/* policy with settings: store them in one transaction, then show. */
static int
cmd_policy(struct opts *op)
{
	struct crm_error err;
	struct crm_db *db;

	if (op->pol.hours || op->pol.zone || op->pol.nholiday ||
	    op->pol.ntarget) {
		db = crm_cli_db(&op->cli, CRM_DB_CREATE);
		if (crm_db_begin(db, &err) < 0 ||
		    crm_service_change(db, &op->pol, &err) < 0 ||
		    crm_cli_commit(&op->cli, db, 0, NULL, &err) < 0) {
			crm_db_rollback(db);
			if (err.code == CRM_EDATA)
				err.code = CRM_EUSAGE;
			crm_die(&err);
		}
		crm_db_close(db);
	}
	return crm_cmd_read(&op->cli, report, op);
}

static const struct {
	const char *name;
	int what, nargs;
} cmds[] = {
	{ "sla", 's', 0 },
	{ "due", 'd', 0 },
	{ "history", 'h', 1 },
	{ "policy", 'p', 0 },
};

int
main(int argc, char **argv)
{
	struct crm_error err;
	struct opts op;
	size_t i;
	int ch;

	memset(&op, 0, sizeof(op));
	crm_cli_init(&op.cli, "crm-ticket", usage, argc, argv);
	op.region = crm_cmd_region();
	op.within = 4 * 3600;
	op.pol.holiday = op.holiday;
	op.pol.target = op.target;
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS
	    "A:b:H:nR:r:T:w:z:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'A':
			op.assignee = optarg;
			break;
		case 'b':
			if (crm_service_by_parse(optarg, &op.by, &err) < 0)
				crm_die(&err);
			break;
		case 'H':
			op.pol.hours = optarg;
			break;
		case 'n':
			op.dry = 1;
			break;
		case 'R':
			op.region = optarg;
			break;
		case 'r':
			op.rejects = optarg;
			break;
		case 'T':
			op.team = optarg;
			break;
		case 'w':
			op.within = crm_cmd_duration("--within", optarg);
			break;
		case 'z':
			op.pol.zone = optarg;
			break;
		case OPT_ASOF:
			op.asof = crm_cli_time("--as-of", optarg);
			break;
		case OPT_SINCE:
			op.since = crm_cli_time("--since", optarg);
			break;
		case OPT_BREACHED:
			op.breached = 1;
			break;
		case OPT_HOLIDAY:
			if (op.pol.nholiday == 64)
				crm_die_usage("--holiday: at most 64 at once");
			op.holiday[op.pol.nholiday++] = optarg;
			break;
		case OPT_TARGET:
			if (op.pol.ntarget == 64)
				crm_die_usage("--target: at most 64 at once");
			op.target[op.pol.ntarget++] = optarg;
			break;
		default:
			crm_cli_opt(&op.cli, ch, optarg) ||
			    (crm_cli_usage(&op.cli, CRM_EUSAGE), 0);
		}
	}
	argc -= optind;
	argv += optind;
	if (op.asof == 0)
		op.asof = crm_now();
	/* The first word names the command (a file so named: ./sla). */
	for (i = 0; argc > 0 && i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[0], cmds[i].name) != 0)
			continue;
		if (argc - 1 != cmds[i].nargs)
			crm_cli_usage(&op.cli, CRM_EUSAGE);
		op.what = cmds[i].what;
		op.ref = argv[1];
		return crm_cli_finish(op.what == 'p' ? cmd_policy(&op) :
		    crm_cmd_read(&op.cli, report, &op));
	}
	if (argc > 0 && strcmp(argv[0], "import") == 0) {
		argc--;
		argv++;
	}
	return crm_cli_finish(cmd_import(&op, argc, argv));
}
