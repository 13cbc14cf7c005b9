/*
 * crm-ticket - the service desk: tickets in, service levels, what is due.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bizcal.h"
#include "cli.h"
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
	const char *region, *rejects, *assignee, *team, *hours, *zone;
	const char *holiday[64], *target[64];
	size_t nholiday, ntarget;
	enum crm_service_by by;
	int64_t asof, since, within;
	int dry, breached;
};

static int
header(void *ctx, struct crm_csv *r, struct crm_error *err)
{
	return crm_ticketer_header(ctx, r, err);
}

static int
row(void *ctx, struct crm_csv *r, struct crm_error *err)
{
	return crm_ticketer_row(ctx, r, err);
}

static int64_t
nread(void *ctx)
{
	return crm_ticketer_stats(ctx)->read;
}

static int
cmd_import(struct opts *op, int argc, char **argv)
{
	struct crm_batch batch = { NULL, header, row, nread, NULL, NULL, 0 };
	const struct crm_service_stats *s;
	struct crm_rejects *rj = NULL;
	struct crm_ticketer *t;
	struct crm_error err;
	struct crm_db *db;
	char counts[256];
	int i, rejected;

	crm_cli_output(&op->cli, "--rejects", op->rejects);
	crm_batch_check_inputs(argc, argv);
	db = crm_cli_db(&op->cli, CRM_DB_CREATE);
	if ((t = crm_ticketer_new(db, op->region, &err)) == NULL ||
	    (op->rejects != NULL && (rj = crm_rejects_new(op->rejects,
	    op->cli.excel_safe, &err)) == NULL) ||
	    crm_db_begin(db, &err) < 0)
		crm_die(&err);
	batch.ctx = t;
	for (i = 0; i < (argc ? argc : 1); i++)
		if (crm_batch_file(&op->cli, &batch, argc ? argv[i] : "-", rj,
		    &err) < 0)
			crm_batch_die(db, rj, &err);
	s = crm_ticketer_stats(t);
	rejected = (int)crm_rejects_count(rj);
	snprintf(counts, sizeof(counts), "{\"read\":%lld,\"inserted\":%lld,"
	    "\"changed\":%lld,\"unchanged\":%lld,\"rejected\":%d,"
	    "\"events\":%lld,\"handoffs\":%lld,\"reopens\":%lld}",
	    (long long)s->read, (long long)s->inserted, (long long)s->changed,
	    (long long)s->unchanged, rejected, (long long)s->events,
	    (long long)s->handoffs, (long long)s->reopens);
	crm_batch_end(&op->cli, db, rj, op->dry, counts);
	if (!op->cli.quiet)
		fprintf(stderr, "crm-ticket: %lld read, %lld inserted, %lld"
		    " changed, %lld unchanged, %d rejected; %lld event%s%s\n",
		    (long long)s->read, (long long)s->inserted,
		    (long long)s->changed, (long long)s->unchanged, rejected,
		    (long long)s->events, s->events == 1 ? "" : "s",
		    op->dry ? " (dry run: nothing written)" : "");
	crm_rejects_free(rj);
	crm_ticketer_free(t);
	crm_db_close(db);
	return rejected ? CRM_EDATA : 0;
}

static int
cmd_sla(struct opts *op, int argc, char **argv)
{
	struct crm_error err;
	struct crm_out *o;
	struct crm_db *db;

	(void)argv;
	if (argc != 0)
		crm_cli_usage(&op->cli, CRM_EUSAGE);
	db = crm_cli_db(&op->cli, 0);
	o = crm_cli_out_auto(&op->cli);
	if (crm_service_report_out(db, op->asof, op->since, op->by,
	    op->within, o, &err) < 0 || crm_out_end(o, &err) < 0)
		crm_die(&err);
	crm_out_free(o);
	crm_db_close(db);
	return 0;
}

static int
cmd_due(struct opts *op, int argc, char **argv)
{
	struct crm_error err;
	struct crm_out *o;
	struct crm_db *db;

	(void)argv;
	if (argc != 0)
		crm_cli_usage(&op->cli, CRM_EUSAGE);
	db = crm_cli_db(&op->cli, 0);
	o = crm_cli_out_auto(&op->cli);
	if (crm_service_due(db, op->asof, op->within, op->breached, op->team,
	    op->assignee, o, &err) < 0 || crm_out_end(o, &err) < 0)
		crm_die(&err);
	crm_out_free(o);
	crm_db_close(db);
	return 0;
}

static int
cmd_history(struct opts *op, int argc, char **argv)
{
	struct crm_error err;
	struct crm_out *o;
	struct crm_db *db;

	if (argc != 1)
		crm_cli_usage(&op->cli, CRM_EUSAGE);
	db = crm_cli_db(&op->cli, 0);
	o = crm_cli_out_auto(&op->cli);
	if (crm_service_history(db, argv[0], o, &err) < 0 ||
	    crm_out_end(o, &err) < 0)
		crm_die(&err);
	crm_out_free(o);
	crm_db_close(db);
	return 0;
}

static int
cmd_policy(struct opts *op, int argc, char **argv)
{
	struct crm_error err;
	struct crm_out *o;
	struct crm_db *db;
	size_t i;
	char *name;
	int set = op->hours || op->zone || op->nholiday || op->ntarget;

	(void)argv;
	if (argc != 0)
		crm_cli_usage(&op->cli, CRM_EUSAGE);
	db = crm_cli_db(&op->cli, set ? CRM_DB_CREATE : 0);
	if (set) {
		if (crm_db_begin(db, &err) < 0 ||
		    crm_service_set_hours(db, op->hours, op->zone, &err) < 0)
			goto fail;
		for (i = 0; i < op->nholiday; i++) {
			if ((name = strchr(op->holiday[i], '=')) != NULL)
				*name++ = '\0';
			if (crm_service_add_holiday(db, op->holiday[i], name,
			    &err) < 0)
				goto fail;
		}
		for (i = 0; i < op->ntarget; i++)
			if (crm_service_set_target(db, op->target[i], &err) < 0)
				goto fail;
		if (crm_cli_commit(&op->cli, db, 0, NULL, &err) < 0)
			goto fail;
	}
	o = crm_cli_out_auto(&op->cli);
	if (crm_service_policy(db, o, &err) < 0 || crm_out_end(o, &err) < 0)
		crm_die(&err);
	crm_out_free(o);
	crm_db_close(db);
	return 0;
fail:
	crm_db_rollback(db);
	if (err.code == CRM_EDATA)
		err.code = CRM_EUSAGE;
	crm_die(&err);
}

static const struct {
	const char *name;
	int (*fn)(struct opts *, int, char **);
} cmds[] = {
	{ "sla", cmd_sla },
	{ "due", cmd_due },
	{ "history", cmd_history },
	{ "policy", cmd_policy },
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
	op.region = getenv("CRM_REGION");
	if (op.region != NULL && *op.region == '\0')
		op.region = NULL;
	op.within = 4 * 3600;
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
			op.hours = optarg;
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
			if (crm_bizcal_duration(optarg, &op.within, &err) < 0) {
				crm_error_prefix(&err, "--within");
				crm_die(&err);
			}
			break;
		case 'z':
			op.zone = optarg;
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
			if (op.nholiday == 64)
				crm_die_usage("--holiday: at most 64 at once");
			op.holiday[op.nholiday++] = optarg;
			break;
		case OPT_TARGET:
			if (op.ntarget == 64)
				crm_die_usage("--target: at most 64 at once");
			op.target[op.ntarget++] = optarg;
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
	for (i = 0; argc > 0 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			return crm_cli_finish(cmds[i].fn(&op, argc - 1,
			    argv + 1));
	if (argc > 0 && strcmp(argv[0], "import") == 0) {
		argc--;
		argv++;
	}
	return crm_cli_finish(cmd_import(&op, argc, argv));
}
