/*
 * crm-account - accounts (companies), their people, duplicates, roll-ups,
 * churn at account level and partners.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "cli.h"
#include "cmd.h"
#include "norm.h"

static const char usage[] =
    "crm-account [import] [-jnqtV] [-d db] [-r rejects] [file ...]\n"
    "crm-account link [-nqt] [-d db] [-r rejects] [--by-domain] [file ...]\n"
    "crm-account dupes [-d db] [-f format] [-s score]\n"
    "crm-account merge [-nq] [-d db] [-f format] [-i pairs]"
    " [survivor merged ...]\n"
    "crm-account unmerge [-nq] [-d db] [-f format] merged ...\n"
    "crm-account rollup [-d db] [-f format] [-a date]\n"
    "crm-account partners [-d db] [-f format]\n"
    "crm-account rfm [-d db] [-f format] [-a date] [--roots]\n"
    "crm-account churn [-d db] [-f format] [-p p_alive] [--at-risk] [--own]\n"
    "crm-account export [-d db] [-f format] [-c columns] [-o owner]\n"
    "[-T type] [--country code] [--excel-safe] [--include-merged]\n"
    "crm-account people [-d db] [-f format] [--partner] account\n"
    "crm-account show [-d db] [-f format] [-l limit] account";

enum { OPT_BY_DOMAIN = 0x2000, OPT_ROOTS, OPT_COUNTRY, OPT_MERGED,
    OPT_PARTNER, OPT_AT_RISK, OPT_OWN };

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	{ "as-of", required_argument, NULL, 'a' },
	{ "at-risk", no_argument, NULL, OPT_AT_RISK },
	{ "by-domain", no_argument, NULL, OPT_BY_DOMAIN },
	{ "columns", required_argument, NULL, 'c' },
	{ "country", required_argument, NULL, OPT_COUNTRY },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "include-merged", no_argument, NULL, OPT_MERGED },
	{ "input", required_argument, NULL, 'i' },
	{ "json", no_argument, NULL, 'j' },
	{ "limit", required_argument, NULL, 'l' },
	{ "owner", required_argument, NULL, 'o' },
	{ "own", no_argument, NULL, OPT_OWN },
	{ "p-alive", required_argument, NULL, 'p' },
	{ "partner", no_argument, NULL, OPT_PARTNER },
	{ "rejects", required_argument, NULL, 'r' },
	{ "roots", no_argument, NULL, OPT_ROOTS },
	{ "score", required_argument, NULL, 's' },
	{ "type", required_argument, NULL, 'T' },
	{ NULL, 0, NULL, 0 }
};

static struct {
	struct crm_cli cli;
	const char *cmd, *rejects, *columns, *input;
	char **argv;
	struct crm_account_filter filter;
	struct crm_account_churn_opts churn;
	int dry, json, by_domain, roots, partner;
	int64_t asof, limit;
	double score;
} g;

CRM_CMD_IMPORTER(crm_account_importer)
CRM_CMD_IMPORTER(crm_account_linker)

static int
cmd_import(int argc, char **argv)
{
	struct crm_cmd_import im = CRM_CMD_IMPORT_INIT;
	const struct crm_account_stats *s;
	struct crm_error err;
	struct crm_db *db;
	int i;

	crm_account_importer_b_set(&im);
	im.rejects = g.rejects;
	im.dry = g.dry;
	im.bulk = 1;
	for (i = 0; g.rejects != NULL && i < (argc ? argc : 1); i++)
		if (crm_account_json_input(argc ? argv[i] : "-", g.json))
			crm_die_usage("--rejects takes CSV or TSV input only");
	db = crm_cmd_import_open(&g.cli, &im, argc, argv);
	if ((im.batch.ctx = crm_account_importer_new(db, &err)) == NULL ||
	    (g.rejects != NULL && (im.rj = crm_rejects_new(g.rejects,
	    g.cli.excel_safe, &err)) == NULL) || crm_db_begin(db, &err) < 0)
		crm_die(&err);
	for (i = 0; i < (argc ? argc : 1); i++) {
		const char *path = argc ? argv[i] : "-";

		if (crm_account_json_input(path, g.json) ?
		    crm_account_importer_json(im.batch.ctx, path, &err) < 0 :
		    crm_batch_file(&g.cli, &im.batch, path, im.rj, &err) < 0)
			crm_batch_die(db, im.rj, &err);
	}
	if (crm_account_importer_finish(im.batch.ctx, &err) < 0)
		crm_batch_die(db, im.rj, &err);
	s = crm_account_importer_stats(im.batch.ctx);
	{
		const struct crm_count n[] = {
			CRM_COUNT("read", s->read),
			CRM_COUNT("inserted", s->inserted),
			CRM_COUNT("updated", s->updated),
			CRM_COUNT("unchanged", s->unchanged),
			CRM_COUNT("rejected", s->rejected),
			CRM_COUNT_END
		};
		return crm_cmd_import_end(&g.cli, &im, n);
	}
}

static int
cmd_link(int argc, char **argv)
{
	struct crm_cmd_import im = CRM_CMD_IMPORT_INIT;
	const struct crm_link_stats *s;
	struct crm_error err;

	crm_account_linker_b_set(&im);
	im.rejects = g.rejects;
	im.dry = g.dry;
	im.bulk = 1;
	if ((im.batch.ctx = crm_account_linker_new(crm_cmd_import_open(&g.cli,
	    &im, argc, argv), &err)) == NULL)
		crm_die(&err);
	/* --by-domain alone reads no file. */
	if (argc > 0 || !g.by_domain)
		crm_cmd_import_run(&g.cli, &im, argc, argv);
	else if (crm_db_begin(im.db, &err) < 0)
		crm_die(&err);
	if (g.by_domain && crm_account_link_domains(im.batch.ctx, &err) < 0)
		crm_batch_die(im.db, im.rj, &err);
	s = crm_account_linker_stats(im.batch.ctx);
	{
		const struct crm_count n[] = {
			CRM_COUNT("read", s->read),
			CRM_COUNT("linked", s->linked),
			CRM_COUNT("moved", s->moved),
			CRM_COUNT("updated", s->updated),
			CRM_COUNT("unchanged", s->unchanged),
			CRM_COUNT("skipped", s->skipped),
			CRM_COUNT("rejected", s->rejected),
			CRM_COUNT_END
		};
		return crm_cmd_import_end(&g.cli, &im, n);
	}
}

static int
cmd_merge(int argc, char **argv, int undo)
{
	struct crm_account_merge_stats st = { 0, 0, 0, 0 };
	struct crm_error err;
	struct crm_db *db;
	struct crm_out *o;
	int64_t n;

	if ((undo && (argc == 0 || g.input != NULL)) ||
	    (!undo && (argc % 2 != 0 || (g.input == NULL) == (argc == 0))))
		crm_cli_usage(&g.cli, CRM_EUSAGE);
	db = crm_cli_db(&g.cli, 0);
	o = crm_cli_out(&g.cli);
	if (crm_db_begin(db, &err) < 0 || crm_account_merge_run(db, undo,
	    g.input, g.cli.tsv, argv, argc, o, &st, &err) < 0)
		crm_cmd_fail(db, &err);
	n = undo ? st.undone : st.merged;
	{
		const struct crm_count c[] = {
			CRM_COUNT_AUDIT("merged", st.merged),
			CRM_COUNT_AUDIT("undone", st.undone),
			CRM_COUNT_AUDIT("skipped", st.skipped),
			CRM_COUNT_AUDIT("apart", st.apart),
			CRM_COUNT_END
		};
		crm_cmd_commit(&g.cli, db, g.dry, c);
	}
	if (st.apart)
		crm_warn("%lld pair%s left apart: accounts in one hierarchy",
		    (long long)st.apart, st.apart == 1 ? "" : "s");
	if (!g.cli.quiet)
		fprintf(stderr, "crm-account: %lld account%s %s%s\n",
		    (long long)n, n == 1 ? "" : "s", undo ? "unmerged" :
		    "merged", g.dry ? " (dry run: nothing written)" : "");
	crm_out_free(o);
	return 0;
}

static int
rollup_cmd(const char *c)
{
	return strcmp(c, "rollup") == 0 || strcmp(c, "rfm") == 0 ||
	    strcmp(c, "churn") == 0 || strcmp(c, "partners") == 0;
}

/* The reports: one library call each. */
static int
report(struct crm_db *db, struct crm_out *o, void *arg, struct crm_error *err)
{
	struct crm_log_filter lf = { NULL, NULL, 0, 0, g.limit };
	struct crm_rfm_opts ro;
	int64_t id, n = 0;
	const char *c = g.cmd;

	(void)arg;
	memset(&ro, 0, sizeof(ro));
	ro.asof = g.asof ? g.asof : crm_now();
	/* The roll-ups read whole tables: through a memory map. */
	if (rollup_cmd(c) && crm_db_map_reads(db, err) < 0)
		return -1;
	if (strcmp(c, "dupes") == 0) {
		if (crm_account_dupes(db, g.score, o, &n, err) < 0)
			return -1;
		if (!g.cli.quiet)
			fprintf(stderr, "crm-account: %lld pair%s\n",
			    (long long)n, n == 1 ? "" : "s");
		return 0;
	}
	if (strcmp(c, "rollup") == 0)
		return crm_account_rollup(db, g.asof ? (g.asof / 86400 + 1) *
		    86400 : 0, o, err);
	if (strcmp(c, "rfm") == 0)
		return crm_account_rfm(db, &ro, g.roots, o, err);
	if (strcmp(c, "churn") == 0)
		return crm_account_churn(db, &g.churn, o, err);
	if (strcmp(c, "partners") == 0)
		return crm_account_partners(db, o, err);
	if (strcmp(c, "export") == 0)
		return crm_account_export(db, o, g.columns, &g.filter, &n, err);
	if (crm_account_resolve(db, g.argv[0], &id, err) < 0)
		return -1;
	if (strcmp(c, "people") == 0)
		return crm_account_people(db, id, g.partner, o, err);
	return crm_account_show(db, id, &lf, o, err);
}

int
main(int argc, char **argv)
{
	static const char *const cmds[] = { "import", "link", "dupes", "merge",
	    "unmerge", "rollup", "rfm", "churn", "partners", "export",
	    "people", "show" };
	struct crm_error err;
	int ch, i;

	crm_cli_init(&g.cli, "crm-account", usage, argc, argv);
	g.cmd = "import";
	g.score = 0.9;
	g.churn.threshold = 0.5;
	/* The first word names the command (a file so named: ./link). */
	for (i = 0; argc > 1 && i < (int)(sizeof(cmds) / sizeof(*cmds)); i++)
		if (strcmp(argv[1], cmds[i]) == 0) {
			g.cmd = cmds[i];
			argv[1] = argv[0];
			argv++;
			argc--;
			break;
		}
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS
	    "a:c:i:jl:no:p:r:s:T:", longopts, NULL)) != -1) {
		const struct crm_cmd_str strs[] = { { 'c', &g.columns },
		    { 'i', &g.input }, { 'o', &g.filter.owner },
		    { 'r', &g.rejects }, { 'T', &g.filter.type },
		    { OPT_COUNTRY, &g.filter.country }, { 0, NULL } };

		if (crm_cmd_str(strs, ch, optarg))
			continue;
		switch (ch) {
		case 'a':
			g.asof = crm_cli_time("--as-of", optarg);
			break;
		case 'j':
			g.json = 1;
			break;
		case 'l':
			g.limit = crm_cli_num("--limit", optarg, 1, INT64_MAX);
			break;
		case 'n':
			g.dry = 1;
			break;
		case 'p':
		case 's':
			if (crm_account_share(optarg, ch == 'p' ?
			    &g.churn.threshold : &g.score, &err) < 0)
				crm_die_usage("--%s: %s", ch == 'p' ?
				    "p-alive" : "score", err.msg);
			break;
		case OPT_AT_RISK:
			g.churn.at_risk_only = 1;
			break;
		case OPT_BY_DOMAIN:
			g.by_domain = 1;
			break;
		case OPT_MERGED:
			g.filter.include_merged = 1;
			break;
		case OPT_OWN:
			g.churn.own = 1;
			break;
		case OPT_ROOTS:
			g.roots = 1;
			break;
		case OPT_PARTNER:
			g.partner = 1;
			break;
		default:
			crm_cli_opt(&g.cli, ch, optarg) ||
			    (crm_cli_usage(&g.cli, CRM_EUSAGE), 0);
		}
	}
	argc -= optind;
	argv += optind;
	if (strcmp(g.cmd, "import") == 0)
		return crm_cli_finish(cmd_import(argc, argv));
	if (strcmp(g.cmd, "link") == 0)
		return crm_cli_finish(cmd_link(argc, argv));
	if (strcmp(g.cmd, "merge") == 0 || strcmp(g.cmd, "unmerge") == 0)
		return crm_cli_finish(cmd_merge(argc, argv, g.cmd[0] == 'u'));
	if (argc != (strcmp(g.cmd, "show") == 0 ||
	    strcmp(g.cmd, "people") == 0))
		crm_cli_usage(&g.cli, CRM_EUSAGE);
	g.argv = argv;
	/* ... and with the page cache in one block. */
	if (rollup_cmd(g.cmd))
		crm_db_bulk();
	return crm_cli_finish(crm_cmd_read(&g.cli, report, NULL));
}
