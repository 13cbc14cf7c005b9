/*
 * crm-task - follow-ups that come due, for the morning mail.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bizcal.h"
#include "cli.h"
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
	const char *region, *rejects, *by, *reason;
	int64_t asof, at, within;
	int dry, overdue;
};

static int
header(void *ctx, struct crm_csv *r, struct crm_error *err)
{
	return crm_tasker_header(ctx, r, err);
}

static int
row(void *ctx, struct crm_csv *r, struct crm_error *err)
{
	return crm_tasker_row(ctx, r, err);
}

static int64_t
nread(void *ctx)
{
	return crm_tasker_stats(ctx)->read;
}

static int
cmd_import(struct opts *op, int argc, char **argv)
{
	struct crm_batch batch = { NULL, header, row, nread, NULL, NULL, 0 };
	const struct crm_task_stats *s;
	struct crm_rejects *rj = NULL;
	struct crm_tasker *tk;
	struct crm_error err;
	struct crm_db *db;
	char counts[160];
	int i, rejected;

	crm_cli_output(&op->cli, "--rejects", op->rejects);
	crm_batch_check_inputs(argc, argv);
	db = crm_cli_db(&op->cli, CRM_DB_CREATE);
	if ((tk = crm_tasker_new(db, op->region, &err)) == NULL ||
	    (op->rejects != NULL && (rj = crm_rejects_new(op->rejects,
	    op->cli.excel_safe, &err)) == NULL) ||
	    crm_db_begin(db, &err) < 0)
		crm_die(&err);
	batch.ctx = tk;
	for (i = 0; i < (argc ? argc : 1); i++)
		if (crm_batch_file(&op->cli, &batch, argc ? argv[i] : "-", rj,
		    &err) < 0)
			crm_batch_die(db, rj, &err);
	s = crm_tasker_stats(tk);
	rejected = (int)crm_rejects_count(rj);
	snprintf(counts, sizeof(counts), "{\"read\":%lld,\"inserted\":%lld,"
	    "\"unchanged\":%lld,\"rejected\":%d}", (long long)s->read,
	    (long long)s->inserted, (long long)s->unchanged, rejected);
	crm_batch_end(&op->cli, db, rj, op->dry, counts);
	if (!op->cli.quiet)
		fprintf(stderr, "crm-task: %lld read, %lld inserted, %lld"
		    " unchanged, %d rejected%s\n", (long long)s->read,
		    (long long)s->inserted, (long long)s->unchanged, rejected,
		    op->dry ? " (dry run: nothing written)" : "");
	crm_rejects_free(rj);
	crm_tasker_free(tk);
	crm_db_close(db);
	return rejected ? CRM_EDATA : 0;
}

/* A write of one task: begin, fn, audit, commit. */
static void
commit(struct opts *op, struct crm_db *db, const char *counts)
{
	struct crm_error err;

	if (crm_cli_commit(&op->cli, db, 0, counts, &err) < 0)
		crm_die(&err);
}

static void
fail(struct crm_db *db, struct crm_error *err)
{
	crm_db_rollback(db);
	crm_die(err);
}

static int
cmd_add(struct opts *op, int argc, char **argv)
{
	struct crm_error err;
	struct crm_db *db;
	char counts[64];
	int64_t id;
	int added;

	if (argc != 2)
		crm_cli_usage(&op->cli, CRM_EUSAGE);
	op->t.title = argv[0];
	op->t.due_at = crm_cli_time("due", argv[1]);
	db = crm_cli_db(&op->cli, CRM_DB_CREATE);
	if (crm_db_begin(db, &err) < 0 ||
	    crm_task_add(db, &op->t, op->region, &id, &added, &err) < 0)
		fail(db, &err);
	snprintf(counts, sizeof(counts), "{\"task\":%lld,\"added\":%d}",
	    (long long)id, added);
	commit(op, db, counts);
	if (!op->cli.quiet)
		fprintf(stderr, "crm-task: task #%lld %s\n", (long long)id,
		    added ? "added" : "exists already (same ref)");
	printf("%lld\n", (long long)id);
	crm_db_close(db);
	return 0;
}

static int
cmd_done(struct opts *op, int argc, char **argv)
{
	struct crm_error err;
	struct crm_db *db;
	char counts[64];
	int64_t id, next;

	if (argc != 1)
		crm_cli_usage(&op->cli, CRM_EUSAGE);
	db = crm_cli_db(&op->cli, 0);
	if (crm_db_begin(db, &err) < 0 ||
	    crm_task_find(db, argv[0], &id, &err) < 0 ||
	    crm_task_done(db, id, op->at ? op->at : crm_now(), op->t.note,
	    &next, &err) < 0)
		fail(db, &err);
	snprintf(counts, sizeof(counts), "{\"task\":%lld,\"next\":%lld}",
	    (long long)id, (long long)next);
	commit(op, db, counts);
	if (!op->cli.quiet) {
		fprintf(stderr, "crm-task: task #%lld done", (long long)id);
		if (next)
			fprintf(stderr, "; next one is #%lld", (long long)next);
		fputc('\n', stderr);
	}
	crm_db_close(db);
	return 0;
}

static int
cmd_assign(struct opts *op, int argc, char **argv)
{
	struct crm_error err;
	struct crm_db *db;
	int64_t id;

	if (argc != 1 || (op->t.owner == NULL && op->t.team == NULL))
		crm_cli_usage(&op->cli, CRM_EUSAGE);
	db = crm_cli_db(&op->cli, 0);
	if (crm_db_begin(db, &err) < 0 ||
	    crm_task_find(db, argv[0], &id, &err) < 0 ||
	    crm_task_assign(db, id, op->t.owner, op->t.team, op->by,
	    op->reason, op->at ? op->at : crm_now(), &err) < 0)
		fail(db, &err);
	commit(op, db, NULL);
	if (!op->cli.quiet)
		fprintf(stderr, "crm-task: task #%lld handed to %s\n",
		    (long long)id, op->t.team ? op->t.team : op->t.owner);
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
	if (crm_task_due(db, op->asof, op->within, op->overdue, op->t.owner,
	    op->t.team, o, &err) < 0 || crm_out_end(o, &err) < 0)
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
	int64_t id;

	if (argc != 1)
		crm_cli_usage(&op->cli, CRM_EUSAGE);
	db = crm_cli_db(&op->cli, 0);
	o = crm_cli_out_auto(&op->cli);
	if (crm_task_find(db, argv[0], &id, &err) < 0 ||
	    crm_task_history(db, id, o, &err) < 0 || crm_out_end(o, &err) < 0)
		crm_die(&err);
	crm_out_free(o);
	crm_db_close(db);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct opts *, int, char **);
} cmds[] = {
	{ "add", cmd_add },
	{ "due", cmd_due },
	{ "done", cmd_done },
	{ "assign", cmd_assign },
	{ "history", cmd_history },
};

int
main(int argc, char **argv)
{
	struct crm_error err;
	struct opts op;
	size_t i;
	int ch;

	memset(&op, 0, sizeof(op));
	crm_cli_init(&op.cli, "crm-task", usage, argc, argv);
	op.region = getenv("CRM_REGION");
	if (op.region != NULL && *op.region == '\0')
		op.region = NULL;
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS
	    "c:D:e:k:N:nO:P:R:r:T:w:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			op.t.contact = optarg;
			break;
		case 'D':
			op.t.deal = optarg;
			break;
		case 'e':
			op.t.every = optarg;
			break;
		case 'k':
			op.t.ticket = optarg;
			break;
		case 'N':
			op.t.note = optarg;
			break;
		case 'n':
			op.dry = 1;
			break;
		case 'O':
			op.t.owner = optarg;
			break;
		case 'P':
			op.t.priority = optarg;
			break;
		case 'R':
			op.region = optarg;
			break;
		case 'r':
			op.rejects = optarg;
			break;
		case 'T':
			op.t.team = optarg;
			break;
		case 'w':
			if (crm_bizcal_duration(optarg, &op.within, &err) < 0) {
				crm_error_prefix(&err, "--within");
				crm_die(&err);
			}
			break;
		case OPT_ASOF:
			op.asof = crm_cli_time("--as-of", optarg);
			break;
		case OPT_AT:
			op.at = crm_cli_time("--at", optarg);
			break;
		case OPT_BY:
			op.by = optarg;
			break;
		case OPT_OVERDUE:
			op.overdue = 1;
			break;
		case OPT_REASON:
			op.reason = optarg;
			break;
		case OPT_REF:
			op.t.ref = optarg;
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
