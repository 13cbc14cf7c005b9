/*
 * crm-segment - RFM, k-means on RFM, rule-based selections, profitability,
 * baskets and saved segments.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "norm.h"
#include "segment-cmd.h"

static const char u_rfm[] =
    "crm-segment rfm [-d db] [-f format] [--as-of date] [--average]\n"
    "[--currency code] [--explain] [--map file] [--r-cuts a,b,c,d]\n"
    "[--f-cuts a,b,c,d] [--m-cuts a,b,c,d]\n"
    "crm-segment rfm -b account|household [-d db] [-f format] [--as-of date]"
    " [--average]\n"
    "[--map file]";
static const char u_kmeans[] =
    "crm-segment kmeans [-d db] [-f format] [--as-of date] [--average]\n"
    "[--explain] [-k clusters] [--seed n]";
static const char u_select[] =
    "crm-segment select [-d db] [-f format] [--as-of date] -w expr";
static const char u_profit[] =
    "crm-segment profit [-d db] [-f format] [--as-of date] [-b by]\n"
    "[--costs file] [--currency code]";
static const char u_pairs[] =
    "crm-segment pairs [-d db] [-f format] [--category] [-s min-support]";
static const char u_recommend[] =
    "crm-segment recommend [-d db] [-f format] [-n offers] [-s min-support]\n"
    "[--as-of date] [--channel channel]";
static const char u_keep[] =
    "crm-segment save [-d db] [--replace] [-w expr] name\n"
    "crm-segment refresh [-d db] [name ...]\n"
    "crm-segment list | show name | drop name [-d db] [-f format]\n"
    "crm-segment rates [-d db] [--currency base] file\n"
    "crm-segment products [-d db] file";

enum { OPT_ASOF = 0x2000, OPT_AVG, OPT_EXPLAIN, OPT_MAP, OPT_RCUTS,
    OPT_FCUTS, OPT_MCUTS, OPT_CATEGORY, OPT_REPLACE, OPT_SEED, OPT_COSTS,
    OPT_CURRENCY, OPT_CHANNEL };

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	{ "as-of", required_argument, NULL, OPT_ASOF },
	{ "average", no_argument, NULL, OPT_AVG },
	{ "by", required_argument, NULL, 'b' },
	{ "category", no_argument, NULL, OPT_CATEGORY },
	{ "channel", required_argument, NULL, OPT_CHANNEL },
	{ "clusters", required_argument, NULL, 'k' },
	{ "costs", required_argument, NULL, OPT_COSTS },
	{ "currency", required_argument, NULL, OPT_CURRENCY },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "f-cuts", required_argument, NULL, OPT_FCUTS },
	{ "m-cuts", required_argument, NULL, OPT_MCUTS },
	{ "map", required_argument, NULL, OPT_MAP },
	{ "min-support", required_argument, NULL, 's' },
	{ "offers", required_argument, NULL, 'n' },
	{ "r-cuts", required_argument, NULL, OPT_RCUTS },
	{ "replace", no_argument, NULL, OPT_REPLACE },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "where", required_argument, NULL, 'w' },
	{ NULL, 0, NULL, 0 }
};

static struct crm_cli cli;
static struct crm_error err;
static struct crm_segment_args a = { .ro.kind = "purchase", .ko.k = 4,
    .ko.seed = 1, .minsup = 0.01, .noffers = 3 };
static struct crm_buf explain = CRM_BUF_INIT(1 << 16),
    summary = CRM_BUF_INIT(1 << 16);

/* A syntax error in --where: the message, the expression, a caret. */
static void
die_expr(const char *src, int col, const struct crm_error *e)
{
	crm_warn("--where: %s", e->msg);
	if (col > 0)
		fprintf(stderr, "  %s\n  %*s^\n", src, col - 1, "");
	exit(e->code);
}

/* The summary lines, each as "crm-segment: ...". */
static void
say(void)
{
	const char *p = crm_buf_str(&summary), *nl;

	for (; !cli.quiet && (nl = strchr(p, '\n')) != NULL; p = nl + 1)
		fprintf(stderr, "crm-segment: %.*s\n", (int)(nl - p), p);
}

/* One library call: a reader's rows on stdout; a writer's changes in
 * one transaction, audited. */
static int
run(struct crm_cli *c, int what, int argc, char **argv)
{
	int writes = what >= CRM_SEG_SAVE, col;
	struct crm_expr *e = NULL;
	struct crm_out *o = NULL;
	struct crm_db *db;
	int64_t count = 0;
	char counts[64];

	if (writes ? what != CRM_SEG_REFRESH && argc != 1 :
	    argc != (what == CRM_SEG_SHOW))
		crm_cli_usage(&cli, CRM_EUSAGE);
	if (what == CRM_SEG_SELECT && a.where == NULL)
		crm_die_usage("select needs --where");
	/* Check the expression before touching the database. */
	if (a.where != NULL && (what == CRM_SEG_SELECT || writes) &&
	    (a.expr = e = crm_expr_parse(a.where, a.ro.asof, &col,
	    &err)) == NULL)
		die_expr(a.where, col, &err);
	db = crm_cli_db(&cli, 0);
	a.tsv = cli.tsv;
	a.region = getenv("CRM_REGION");
	if (!writes) {
		o = what == CRM_SEG_LIST || what == CRM_SEG_PROFIT ?
		    crm_cli_out_auto(&cli) : crm_cli_out(&cli);
		if (crm_segment_read(db, what, &a, argc ? argv[0] : NULL, o,
		    &explain, &summary, &err) < 0 || crm_out_end(o, &err) < 0)
			crm_die(&err);
		if (explain.len)
			fputs(crm_buf_str(&explain), stderr);
	} else if (crm_db_begin(db, &err) < 0 || crm_segment_write(db, what,
	    &a, argv, (size_t)argc, &count, &summary, &err) < 0 ||
	    snprintf(counts, sizeof(counts), "{\"%s\":%lld}", what >=
	    CRM_SEG_RATES ? "read" : "members", (long long)count) < 0 ||
	    crm_cli_commit(&cli, db, 0, counts, &err) < 0) {
		crm_db_rollback(db);
		crm_die(&err);
	}
	say();
	crm_expr_free(e);
	crm_out_free(o);
	crm_db_close(db);
	return 0;
}

/* Options are not checked per command (opts NULL): each reads those it
 * knows and ignores the others, as crm-segment always did. */
static const struct crm_cmd cmds[] = {
	{ "rfm", run, CRM_SEG_RFM, u_rfm, NULL },
	{ "kmeans", run, CRM_SEG_KMEANS, u_kmeans, NULL },
	{ "select", run, CRM_SEG_SELECT, u_select, NULL },
	{ "profit", run, CRM_SEG_PROFIT, u_profit, NULL },
	{ "pairs", run, CRM_SEG_PAIRS, u_pairs, NULL },
	{ "recommend", run, CRM_SEG_RECOMMEND, u_recommend, NULL },
	{ "save", run, CRM_SEG_SAVE, u_keep, NULL },
	{ "refresh", run, CRM_SEG_REFRESH, u_keep, NULL },
	{ "list", run, CRM_SEG_LIST, u_keep, NULL },
	{ "show", run, CRM_SEG_SHOW, u_keep, NULL },
	{ "drop", run, CRM_SEG_DROP, u_keep, NULL },
	{ "rates", run, CRM_SEG_RATES, u_keep, NULL },
	{ "products", run, CRM_SEG_PRODUCTS, u_keep, NULL },
	{ NULL, NULL, 0, NULL, NULL }
};

/* The options that only set a string or a flag; 0 for others. */
static int
simple(int ch, const char *arg)
{
	static const struct { int ch; const char **s; int *f; } t[] = {
		{ 'b', &a.by, NULL }, { 'w', &a.where, NULL },
		{ OPT_CHANNEL, &a.channel, NULL }, { OPT_COSTS, &a.costs, NULL },
		{ OPT_CURRENCY, &a.currency, NULL },
		{ OPT_AVG, NULL, &a.ro.monetary_avg },
		{ OPT_CATEGORY, NULL, &a.bycat },
		{ OPT_EXPLAIN, NULL, &a.explain },
		{ OPT_REPLACE, NULL, &a.replace },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].ch == ch)
			return t[i].s ? (*t[i].s = arg, 1) : (*t[i].f = 1);
	return 0;
}

int
main(int argc, char **argv)
{
	struct crm_rfm_map *map = NULL;
	const struct crm_cmd *cmd;
	static double cutv[3][4];
	char *end;
	int ch, rc;

	crm_cli_init(&cli, "crm-segment", crm_cmd_usage(cmds), argc, argv);
	crm_error_clear(&err);
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS "b:k:n:s:w:",
	    longopts, NULL)) != -1) {
		if (simple(ch, optarg))
			continue;
		switch (ch) {
		case 'k':
			a.ko.k = (size_t)crm_cli_num("-k", optarg, 1, 1000);
			break;
		case 's':
			if ((a.minsup = strtod(optarg, &end)) <= 0 || *end ||
			    end == optarg)
				crm_die_usage("--min-support: '%s' is not a"
				    " share (0.05) or a count (10)", optarg);
			break;
		case OPT_ASOF:
			if (crm_norm_datetime(optarg, &a.ro.asof, &err) < 0)
				crm_die_usage("--as-of: %s", err.msg);
			break;
		case OPT_MAP:
			if ((map = crm_rfm_map_read(optarg, &err)) == NULL)
				crm_die(&err);
			a.ro.map = map;
			break;
		case OPT_RCUTS:
		case OPT_FCUTS:
		case OPT_MCUTS:
			if (crm_segment_cuts(optarg, cutv[ch - OPT_RCUTS]) < 0)
				crm_die_usage("%s: expected four ascending"
				    " numbers a,b,c,d, not '%s'", argv[optind -
				    1], optarg);
			a.ro.cuts[ch - OPT_RCUTS] = cutv[ch - OPT_RCUTS];
			break;
		case 'n':
			a.noffers = (int)crm_cli_num("-n", optarg, 1, 100);
			break;
		case OPT_SEED:
			a.ko.seed = (uint64_t)crm_cli_num("--seed", optarg, 0,
			    INT64_MAX);
			break;
		default:
			crm_cli_opt(&cli, ch, optarg) ||
			    (crm_cli_usage(&cli, CRM_EUSAGE), 0);
		}
	}
	argc -= optind;
	argv += optind;
	cmd = crm_cmd_find(&cli, cmds, argc > 0 ? argv[0] : NULL, NULL);
	if (a.ro.asof == 0)
		a.ro.asof = crm_now();
	rc = cmd->fn(&cli, cmd->what, argc - 1, argv + 1);
	crm_buf_release(&explain);
	crm_buf_release(&summary);
	crm_rfm_map_free(map);
	return crm_cli_finish(rc);
}
