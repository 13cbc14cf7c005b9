/*
 * crm-task - follow-ups that come due, for the morning mail.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "norm.h"
#include "task.h"

static const char usage[] =
    "crm-task [-nqtV] [-d db] [-R region] [-r rejects] [--excel-safe]"
    " [file ...]\n"
    "crm-task add [-q] [-c contact] [-D deal] [-d db] [-e every] [-k ticket]\n"
    "[-N note] [-O owner] [-P priority] [-R region] [-T team] [--ref ref]\n"
    "title due\n"
    "crm-task due [-d db] [-f format] [-O owner] [-T team] [-w within]\n"
    "[--as-of date] [--overdue]\n"
    "crm-task done [-q] [-d db] [-N note] [--at time] task\n"
    "crm-task assign [-q] [-d db] [-O owner] [-T team] [--at time] [--by name]\n"
    "[--reason text] task\n"
    "crm-task history [-d db] [-f format] task";

enum { OPT_ASOF = 0x2000, OPT_AT, OPT_BY, OPT_OVERDUE, OPT_REASON, OPT_REF };

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	{ "as-of", required_argument, NULL, OPT_ASOF },
	{ "at", required_argument, NULL, OPT_AT },
	{ "by", required_argument, NULL, OPT_BY },
	{ "contact", required_argument, NULL, 'c' },
	{ "deal", required_argument, NULL, 'D' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "every", required_argument, NULL, 'e' },
	{ "note", required_argument, NULL, 'N' },
	{ "overdue", no_argument, NULL, OPT_OVERDUE },
	{ "owner", required_argument, NULL, 'O' },
	{ "priority", required_argument, NULL, 'P' },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "ref", required_argument, NULL, OPT_REF },
	{ "region", required_argument, NULL, 'R' },
	{ "rejects", required_argument, NULL, 'r' },
	{ "team", required_argument, NULL, 'T' },
	{ "ticket", required_argument, NULL, 'k' },
	{ "within", required_argument, NULL, 'w' },
	{ NULL, 0, NULL, 0 }
};

struct opts {
	struct crm_cli cli;
	struct crm_task t;
	const char *region, *rejects, *by, *reason, *key;
	int64_t asof, at, within;
	int dry, overdue;
};

CRM_CMD_IMPORTER(crm_tasker)

static int
cmd_import(struct opts *op, int argc, char **argv)
{
	struct crm_cmd_import im = CRM_CMD_IMPORT_INIT;
	const struct crm_task_stats *s;
	struct crm_error err;

	crm_tasker_b_set(&im);
	im.rejects = op->rejects;
	im.dry = op->dry;
	if ((im.batch.ctx = crm_tasker_new(crm_cmd_import_open(&op->cli, &im,
	    argc, argv), op->region, &err)) == NULL)
		crm_die(&err);
	crm_cmd_import_run(&op->cli, &im, argc, argv);
	s = crm_tasker_stats(im.batch.ctx);
	{
		const struct crm_count n[] = {
			CRM_COUNT("read", s->read),
			CRM_COUNT("inserted", s->inserted),
			CRM_COUNT("unchanged", s->unchanged),
			CRM_COUNT("rejected", crm_rejects_count(im.rj)),
			CRM_COUNT_END
		};

		return crm_cmd_import_end(&op->cli, &im, n);
	}
}

/* The writes: add title due, done task, assign task. */
static int
cmd_add(struct opts *op, char **argv)
{
	struct crm_error err;
	struct crm_db *db;
	int64_t id;
	int added;

	op->t.title = argv[0];
	op->t.due_at = crm_cli_time("due", argv[1]);
	db = crm_cli_db(&op->cli, CRM_DB_CREATE);
	if (crm_db_begin(db, &err) < 0 ||
	    crm_task_add(db, &op->t, op->region, &id, &added, &err) < 0)
		crm_cmd_fail(db, &err);
	{
		const struct crm_count n[] = { CRM_COUNT_AUDIT("task", id),
		    CRM_COUNT_AUDIT("added", added), CRM_COUNT_END };

		crm_cmd_commit(&op->cli, db, 0, n);
	}
	if (!op->cli.quiet)
		fprintf(stderr, "crm-task: task #%lld %s\n", (long long)id,
		    added ? "added" : "exists already (same ref)");
	printf("%lld\n", (long long)id);
	return 0;
}

static int
cmd_done(struct opts *op, char **argv)
{
	struct crm_error err;
	struct crm_db *db;
	int64_t id, next;

	db = crm_cli_db(&op->cli, 0);
	if (crm_db_begin(db, &err) < 0 ||
	    crm_task_find(db, argv[0], &id, &err) < 0 ||
	    crm_task_done(db, id, op->at ? op->at : crm_now(), op->t.note,
	    &next, &err) < 0)
		crm_cmd_fail(db, &err);
	{
		const struct crm_count n[] = { CRM_COUNT_AUDIT("task", id),
		    CRM_COUNT_AUDIT("next", next), CRM_COUNT_END };

		crm_cmd_commit(&op->cli, db, 0, n);
	}
	if (!op->cli.quiet && next)
		fprintf(stderr, "crm-task: task #%lld done; next one is #%lld\n",
		    (long long)id, (long long)next);
	else if (!op->cli.quiet)
		fprintf(stderr, "crm-task: task #%lld done\n", (long long)id);
	return 0;
}

static int
cmd_assign(struct opts *op, char **argv)
{
	struct crm_error err;
	struct crm_db *db;
	int64_t id;

	if (op->t.owner == NULL && op->t.team == NULL)
		crm_cli_usage(&op->cli, CRM_EUSAGE);
	db = crm_cli_db(&op->cli, 0);
	if (crm_db_begin(db, &err) < 0 ||
	    crm_task_find(db, argv[0], &id, &err) < 0 ||
	    crm_task_assign(db, id, op->t.owner, op->t.team, op->by,
	    op->reason, op->at ? op->at : crm_now(), &err) < 0)
		crm_cmd_fail(db, &err);
	crm_cmd_commit(&op->cli, db, 0, NULL);
	if (!op->cli.quiet)
		fprintf(stderr, "crm-task: task #%lld handed to %s\n",
		    (long long)id, op->t.team ? op->t.team : op->t.owner);
	return 0;
}

/* The reports: due, history task. */
static int
report(struct crm_db *db, struct crm_out *o, void *arg, struct crm_error *err)
{
	const struct opts *op = arg;
	int64_t id;

	if (op->key == NULL)
		return crm_task_due(db, op->asof, op->within, op->overdue,
		    op->t.owner, op->t.team, o, err);
	if (crm_task_find(db, op->key, &id, err) < 0)
		return -1;
	return crm_task_history(db, id, o, err);
}

/* The subcommands, the number of operands each takes; NULL: a report. */
static const struct {
	const char *name;
	int (*fn)(struct opts *, char **);
	int nargs;
} cmds[] = {
	{ "add", cmd_add, 2 },
	{ "due", NULL, 0 },
	{ "done", cmd_done, 1 },
	{ "assign", cmd_assign, 1 },
	{ "history", NULL, 1 },
};

int
main(int argc, char **argv)
{
	static struct opts op;
	const struct crm_cmd_opt opts[] = {
		CRM_CMD_STR('c', &op.t.contact), CRM_CMD_STR('D', &op.t.deal),
		CRM_CMD_STR('e', &op.t.every), CRM_CMD_STR('k', &op.t.ticket),
		CRM_CMD_STR('N', &op.t.note), CRM_CMD_FLAG('n', &op.dry),
		CRM_CMD_STR('O', &op.t.owner), CRM_CMD_STR('P', &op.t.priority),
		CRM_CMD_STR('R', &op.region), CRM_CMD_STR('r', &op.rejects),
		CRM_CMD_STR('T', &op.t.team),
		CRM_CMD_DURATION('w', "--within", &op.within),
		CRM_CMD_TIME(OPT_ASOF, "--as-of", &op.asof),
		CRM_CMD_TIME(OPT_AT, "--at", &op.at),
		CRM_CMD_STR(OPT_BY, &op.by), CRM_CMD_FLAG(OPT_OVERDUE, &op.overdue),
		CRM_CMD_STR(OPT_REASON, &op.reason), CRM_CMD_STR(OPT_REF, &op.t.ref),
		CRM_CMD_OPT_END
	};
	size_t i;
	int ch;

	crm_cli_init(&op.cli, "crm-task", usage, argc, argv);
	op.region = crm_cmd_region();
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS
	    "c:D:e:k:N:nO:P:R:r:T:w:", longopts, NULL)) != -1)
		if (!crm_cmd_opt(&op.cli, opts, ch, optarg))
			crm_cli_usage(&op.cli, CRM_EUSAGE);
	argc -= optind;
	argv += optind;
	if (op.asof == 0)
		op.asof = crm_now();
	for (i = 0; argc > 0 && i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[0], cmds[i].name) != 0)
			continue;
		if (argc - 1 != cmds[i].nargs)
			crm_cli_usage(&op.cli, CRM_EUSAGE);
		op.key = argv[1];	/* history's task; NULL for due */
		return crm_cli_finish(cmds[i].fn != NULL ?
		    cmds[i].fn(&op, argv + 1) : crm_cmd_read(&op.cli, report,
		    &op));
	}
	if (argc > 0 && strcmp(argv[0], "import") == 0) {
		argc--;
		argv++;
	}
	return crm_cli_finish(cmd_import(&op, argc, argv));
}
