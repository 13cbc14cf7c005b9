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

/* Small: they are looked for in FLAGS[], a string. */
enum { OPT_BY_DOMAIN = 1, OPT_ROOTS, OPT_COUNTRY, OPT_MERGED,
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

/* The options that set a flag, in the order of main()'s flags[]. */
static const char FLAGS[] = { 'j', 'n', OPT_AT_RISK, OPT_BY_DOMAIN,
    OPT_MERGED, OPT_OWN, OPT_ROOTS, OPT_PARTNER, 0 };

static struct {
	struct crm_cli cli;
	const char *cmd, *rejects, *input;
	struct crm_account_report_opts r;
	int dry, json, by_domain;
} g;

CRM_CMD_IMPORTER(crm_account_importer)
CRM_CMD_IMPORTER(crm_account_linker)

/* import and link: a batch each, JSON lines too for accounts. */
static int
cmd_import(int argc, char **argv, int link)
{
	struct crm_cmd_import im = CRM_CMD_IMPORT_INIT;
	struct crm_error err;
	int i;

	(link ? crm_account_linker_b_set : crm_account_importer_b_set)(&im);
	im.rejects = g.rejects;
	im.dry = g.dry;
	im.bulk = 1;
	if (!link && g.rejects && crm_account_json_inputs(argc, argv, g.json))
		crm_die_usage("--rejects takes CSV or TSV input only");
	crm_cmd_import_open(&g.cli, &im, argc, argv);
	if ((im.batch.ctx = link ? (void *)crm_account_linker_new(im.db,
	    &err) : (void *)crm_account_importer_new(im.db, &err)) == NULL ||
	    (g.rejects != NULL && (im.rj = crm_rejects_new(g.rejects,
	    g.cli.excel_safe, &err)) == NULL) || crm_db_begin(im.db, &err) < 0)
		crm_die(&err);
	/* link --by-domain alone reads no file. */
	for (i = 0; i < (argc ? argc : !(link && g.by_domain)); i++) {
		const char *path = argc ? argv[i] : "-";

		if (!link && crm_account_json_input(path, g.json) ?
		    crm_account_importer_json(im.batch.ctx, path, &err) < 0 :
		    crm_batch_file(&g.cli, &im.batch, path, im.rj, &err) < 0)
			crm_batch_die(im.db, im.rj, &err);
	}
	if (link ? g.by_domain && crm_account_link_domains(im.batch.ctx,
	    &err) < 0 : crm_account_importer_finish(im.batch.ctx, &err) < 0)
		crm_batch_die(im.db, im.rj, &err);
	if (link) {
		const struct crm_link_stats *s = crm_account_linker_stats(
		    im.batch.ctx);
		const struct crm_count n[] = { CRM_COUNT("read", s->read),
		    CRM_COUNT("linked", s->linked),
		    CRM_COUNT("moved", s->moved),
		    CRM_COUNT("updated", s->updated),
		    CRM_COUNT("unchanged", s->unchanged),
		    CRM_COUNT("skipped", s->skipped),
		    CRM_COUNT("rejected", s->rejected), CRM_COUNT_END };

		return crm_cmd_import_end(&g.cli, &im, n);
	} else {	/* import */
		const struct crm_account_stats *s = crm_account_importer_stats(
		    im.batch.ctx);
		const struct crm_count n[] = { CRM_COUNT("read", s->read),
		    CRM_COUNT("inserted", s->inserted),
		    CRM_COUNT("updated", s->updated),
		    CRM_COUNT("unchanged", s->unchanged),
		    CRM_COUNT("rejected", s->rejected), CRM_COUNT_END };

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

	if ((undo && (argc == 0 || g.input != NULL)) ||
	    (!undo && (argc % 2 != 0 || (g.input == NULL) == (argc == 0))))
		crm_cli_usage(&g.cli, CRM_EUSAGE);
	db = crm_cli_db(&g.cli, 0);
	o = crm_cli_out(&g.cli);
	if (crm_db_begin(db, &err) < 0 || crm_account_merge_run(db, undo,
	    g.input, g.cli.tsv, argv, argc, o, &st, &err) < 0)
		crm_cmd_fail(db, &err);
	{
		const struct crm_count c[] = { CRM_COUNT_AUDIT("merged",
		    st.merged), CRM_COUNT_AUDIT("undone", st.undone),
		    CRM_COUNT_AUDIT("skipped", st.skipped),
		    CRM_COUNT_AUDIT("apart", st.apart), { NULL, undo ?
		    st.undone : st.merged, "", "", undo ? " account unmerged" :
		    " account merged", undo ? " accounts unmerged" :
		    " accounts merged", 0 }, CRM_COUNT_END };

		crm_cmd_commit(&g.cli, db, g.dry, c);
		if (st.apart)
			crm_warn("%lld pair%s left apart: accounts in one"
			    " hierarchy", (long long)st.apart, st.apart == 1 ?
			    "" : "s");
		if (!g.cli.quiet)
			crm_count_line(&g.cli, c, g.dry);
	}
	crm_out_free(o);
	return 0;
}

/* The reports: one library call. */
static int
report(struct crm_db *db, struct crm_out *o, void *arg, struct crm_error *err)
{
	if (crm_account_report(db, &g.r, o, err) < 0)
		return -1;
	if (strcmp(g.r.what, "dupes") == 0 && !g.cli.quiet)
		fprintf(stderr, "crm-account: %lld pair%s\n", (long long)g.r.n,
		    g.r.n == 1 ? "" : "s");
	return 0;
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
	g.r.score = 0.9;
	g.r.churn.threshold = 0.5;
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
		const struct crm_cmd_str strs[] = { { 'c', &g.r.columns },
		    { 'i', &g.input }, { 'o', &g.r.filter.owner },
		    { 'r', &g.rejects }, { 'T', &g.r.filter.type },
		    { OPT_COUNTRY, &g.r.filter.country }, { 0, NULL } };
		int *const flags[] = { &g.json, &g.dry, &g.r.churn.at_risk_only,
		    &g.by_domain, &g.r.filter.include_merged, &g.r.churn.own,
		    &g.r.roots, &g.r.partner };
		const char *f = strchr(FLAGS, ch);

		if (crm_cmd_str(strs, ch, optarg))
			continue;
		if (ch != 0 && f != NULL) {
			*flags[f - FLAGS] = 1;
			continue;
		}
		switch (ch) {
		case 'a':
			g.r.asof = crm_cli_time("--as-of", optarg);
			break;
		case 'l':
			g.r.limit = crm_cli_num("--limit", optarg, 1, INT64_MAX);
			break;
		case 'p':
		case 's':
			if (crm_account_share(optarg, ch == 'p' ?
			    &g.r.churn.threshold : &g.r.score, &err) < 0)
				crm_die_usage("--%s: %s", ch == 'p' ?
				    "p-alive" : "score", err.msg);
			break;
		default:
			crm_cli_opt(&g.cli, ch, optarg) ||
			    (crm_cli_usage(&g.cli, CRM_EUSAGE), 0);
		}
	}
	argc -= optind;
	argv += optind;
	if (strcmp(g.cmd, "import") == 0 || strcmp(g.cmd, "link") == 0)
		return crm_cli_finish(cmd_import(argc, argv, g.cmd[0] == 'l'));
	if (strcmp(g.cmd, "merge") == 0 || strcmp(g.cmd, "unmerge") == 0)
		return crm_cli_finish(cmd_merge(argc, argv, g.cmd[0] == 'u'));
	if (argc != (strcmp(g.cmd, "show") == 0 ||
	    strcmp(g.cmd, "people") == 0))
		crm_cli_usage(&g.cli, CRM_EUSAGE);
	g.r.what = g.cmd;
	g.r.key = argv[0];
	if (crm_account_report_bulk(g.cmd))
		crm_db_bulk();
	return crm_cli_finish(crm_cmd_read(&g.cli, report, NULL));
}
