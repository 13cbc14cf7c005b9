/*
 * crm-segment - RFM, k-means on RFM, rule-based selections, profitability,
 * baskets and saved segments.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "cli.h"
#include "norm.h"
#include "profit.h"
#include "resolve.h"
#include "segment.h"

static const char u_rfm[] =
    "crm-segment rfm [-d db] [-f format] [--as-of date] [--average]\n"
    "[--currency code] [--explain] [--map file] [--r-cuts a,b,c,d]\n"
    "[--f-cuts a,b,c,d] [--m-cuts a,b,c,d]\n"
    "crm-segment rfm -b account [-d db] [-f format] [--as-of date]"
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
static const char u_save[] =
    "crm-segment save [-d db] [--replace] [-w expr] name";
static const char u_rates[] =
    "crm-segment rates [-d db] [--currency base] file\n"
    "crm-segment products [-d db] file";
static const char u_refresh[] = "crm-segment refresh [-d db] [name ...]";
static const char u_list[] =
    "crm-segment list | show name | drop name [-d db] [-f format]";

enum { OPT_ASOF = 0x2000, OPT_AVG, OPT_EXPLAIN, OPT_MAP, OPT_RCUTS,
    OPT_FCUTS, OPT_MCUTS, OPT_CATEGORY, OPT_REPLACE, OPT_SEED, OPT_COSTS,
    OPT_CURRENCY };

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	{ "as-of", required_argument, NULL, OPT_ASOF },
	{ "average", no_argument, NULL, OPT_AVG },
	{ "by", required_argument, NULL, 'b' },
	{ "category", no_argument, NULL, OPT_CATEGORY },
	{ "clusters", required_argument, NULL, 'k' },
	{ "costs", required_argument, NULL, OPT_COSTS },
	{ "currency", required_argument, NULL, OPT_CURRENCY },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "f-cuts", required_argument, NULL, OPT_FCUTS },
	{ "m-cuts", required_argument, NULL, OPT_MCUTS },
	{ "map", required_argument, NULL, OPT_MAP },
	{ "min-support", required_argument, NULL, 's' },
	{ "r-cuts", required_argument, NULL, OPT_RCUTS },
	{ "replace", no_argument, NULL, OPT_REPLACE },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "where", required_argument, NULL, 'w' },
	{ NULL, 0, NULL, 0 }
};

static struct crm_cli cli;
static struct crm_error err;
static struct crm_rfm_opts ro;
static struct crm_kmeans_opts ko;
static struct crm_buf explain = CRM_BUF_INIT(1 << 16);
static const char *where, *by, *currency, *costs_file;
static double minsup = 0.01;
static int explain_on, bycat, replace;

static void
cuts(const char *opt, const char *arg, double out[4])
{
	char *end;
	const char *p = arg;
	int i;

	for (i = 0; i < 4; i++) {
		out[i] = strtod(p, &end);
		if (end == p || (i < 3 && *end != ',') || (i == 3 && *end) ||
		    (i > 0 && out[i] <= out[i - 1]))
			crm_die_usage("%s: expected four ascending numbers"
			    " a,b,c,d, not '%s'", opt, arg);
		p = end + 1;
	}
}

/* A syntax error in --where: the message, the expression, a caret. */
static void
die_expr(const char *src, int col, const struct crm_error *e)
{
	crm_warn("--where: %s", e->msg);
	if (col > 0)
		fprintf(stderr, "  %s\n  %*s^\n", src, col - 1, "");
	exit(e->code);
}

/* Rates when converting, products, costs: then crm_profit_write(). */
static int
profit(struct crm_db *db, struct crm_out *o)
{
	struct crm_profit_opts po = { ro.asof, ro.kind, by, currency, NULL,
	    NULL, NULL, &ro };
	struct crm_products *prod = NULL;
	struct crm_costs *costs = NULL;
	struct crm_rates *rates = NULL;
	int rc = -1;

	if ((rates = crm_rates_load(db, &err)) != NULL &&
	    (prod = crm_products_load(db, &err)) != NULL &&
	    (costs_file == NULL || (costs = crm_costs_read(costs_file,
	    &err)) != NULL)) {
		po.rates = ro.rates = rates;
		po.products = prod;
		po.costs = costs;
		rc = crm_profit_write(db, &po, o, &err);
	}
	crm_rates_free(rates);
	crm_products_free(prod);
	crm_costs_free(costs);
	return rc;
}

enum { READ_RFM, READ_KMEANS, READ_SELECT, READ_PROFIT, READ_PAIRS,
    READ_LIST, READ_SHOW, READ_ACCOUNT_RFM, READ_ACCOUNT_PROFIT };

/* The commands that only read: one library call, its rows on stdout. */
static int
reader(struct crm_cli *c, int what, int argc, char **argv)
{
	struct crm_rates *rates = NULL;
	struct crm_expr *e = NULL;
	struct crm_out *o;
	struct crm_db *db;
	int64_t count = 0;
	int col, rc;

	if (argc != (what == READ_SHOW))
		crm_cli_usage(&cli, CRM_EUSAGE);
	if (what == READ_SELECT) {
		if (where == NULL)
			crm_die_usage("select needs --where");
		if ((e = crm_expr_parse(where, ro.asof, &col, &err)) == NULL)
			die_expr(where, col, &err);
	}
	db = crm_cli_db(&cli, 0);
	/* These read whole tables: through a memory map a page costs no
	 * read(2), as in crm-report. */
	if (crm_db_map_reads(db, &err) < 0)
		crm_die(&err);
	ro.currency = currency;
	if (currency != NULL && (what == READ_RFM || what == READ_KMEANS) &&
	    (rates = crm_rates_load(db, &err)) == NULL)
		crm_die(&err);
	ro.rates = rates;
	o = what == READ_LIST || what == READ_PROFIT ? crm_cli_out_auto(&cli) :
	    crm_cli_out(&cli);
	/* -b account: accounts, subsidiaries rolled up (account.h). */
	if ((what == READ_RFM || what == READ_PROFIT) && by != NULL &&
	    strcmp(by, "account") == 0) {
		if (ro.cuts[0] || ro.cuts[1] || ro.cuts[2] || explain_on)
			crm_die_usage("-b account takes no cuts and no"
			    " --explain");
		what = what == READ_RFM ? READ_ACCOUNT_RFM :
		    READ_ACCOUNT_PROFIT;
	} else if (what == READ_RFM && by != NULL)
		crm_die_usage("-b: rfm takes only 'account'");
	switch (what) {
	case READ_ACCOUNT_RFM:
		rc = crm_account_rfm(db, &ro, 0, o, &err);
		break;
	case READ_ACCOUNT_PROFIT:
		rc = crm_account_rollup(db, (ro.asof / 86400 + 1) * 86400, o,
		    &err);
		break;
	case READ_RFM:
		rc = crm_rfm(db, &ro, o, explain_on ? &explain : NULL, &err);
		break;
	case READ_KMEANS:
		rc = crm_rfm_kmeans(db, &ro, &ko, o, explain_on ? &explain :
		    NULL, &err);
		break;
	case READ_SELECT:
		rc = crm_segment_select(db, e, o, &count, &err);
		break;
	case READ_PROFIT:
		rc = profit(db, o);
		break;
	case READ_PAIRS:
		rc = crm_pairs(db, bycat, minsup, o, &err);
		break;
	case READ_LIST:
		rc = crm_segment_list(db, o, &err);
		break;
	default:
		rc = crm_segment_show(db, argv[0], o, &err);
	}
	if (rc < 0 || crm_out_end(o, &err) < 0)
		crm_die(&err);
	if (explain.len)
		fputs(crm_buf_str(&explain), stderr);
	crm_expr_free(e);
	crm_rates_free(rates);
	crm_out_free(o);
	crm_db_close(db);
	return 0;
}

enum { WRITE_SAVE, WRITE_DROP, WRITE_REFRESH, WRITE_RATES, WRITE_PRODUCTS };

/* The commands that write: one transaction, audited. */
static int
writer(struct crm_cli *c, int what, int argc, char **argv)
{
	struct crm_db *db;
	int64_t count = 0;
	char counts[64];
	int col;

	if (what != WRITE_REFRESH && argc != 1)
		crm_cli_usage(&cli, CRM_EUSAGE);
	if (where != NULL) {
		struct crm_expr *e;

		/* Check the expression before touching the database. */
		if ((e = crm_expr_parse(where, ro.asof, &col, &err)) == NULL)
			die_expr(where, col, &err);
		crm_expr_free(e);
	}
	db = crm_cli_db(&cli, 0);
	if (crm_db_begin(db, &err) < 0)
		crm_die(&err);
	if (what == WRITE_RATES || what == WRITE_PRODUCTS) {
		struct crm_rate_import ri = { currency, 0, 0, 0 };
		struct crm_product_import pi = { 0, 0, 0 };

		if ((what == WRITE_RATES ? crm_rate_import(db, argv[0], &ri,
		    &err) : crm_product_import(db, argv[0], &pi, &err)) < 0)
			goto fail;
		count = what == WRITE_RATES ? ri.read : pi.read;
		if (!cli.quiet)
			fprintf(stderr, "crm-segment: %lld %s read, %lld new or"
			    " changed\n", (long long)count, what ==
			    WRITE_RATES ? count == 1 ? "rate" : "rates" :
			    count == 1 ? "product" : "products", (long long)
			    (what == WRITE_RATES ? ri.changed : pi.changed));
	} else if (what == WRITE_SAVE && where != NULL) {
		if (crm_segment_save_rule(db, argv[0], where, ro.asof, replace,
		    &count, &col, &err) < 0)
			goto fail;
		if (!cli.quiet)
			fprintf(stderr, "crm-segment: %s: %lld members\n",
			    argv[0], (long long)count);
	} else if (what == WRITE_SAVE) {
		int64_t *ids = NULL;
		size_t n;

		if (crm_contact_read_ids(db, "-", cli.tsv, getenv("CRM_REGION"),
		    &ids, &n, &err) < 0 || crm_segment_save_list(db, argv[0],
		    ids, n, replace, &count, &err) < 0) {
			free(ids);
			goto fail;
		}
		free(ids);
		if (!cli.quiet)
			fprintf(stderr, "crm-segment: %s: %lld members\n",
			    argv[0], (long long)count);
	} else if (what == WRITE_DROP) {
		if (crm_segment_drop(db, argv[0], &err) < 0)
			goto fail;
	} else {
		char **names = NULL;
		size_t n = 0, i;
		int all = argc == 0;

		if (all && crm_segment_rules(db, &names, &n, &err) < 0)
			goto fail;
		for (i = 0; i < (all ? n : (size_t)argc); i++) {
			const char *name = all ? names[i] : argv[i];

			if (crm_segment_refresh(db, name, ro.asof, &count,
			    &err) < 0)
				goto fail;
			if (!cli.quiet)
				fprintf(stderr, "crm-segment: %s: %lld"
				    " members\n", name, (long long)count);
		}
		for (i = 0; i < n; i++)
			free(names[i]);
		free(names);
	}
	snprintf(counts, sizeof(counts), "{\"members\":%lld}",
	    (long long)count);
	if (crm_cli_commit(&cli, db, 0, counts, &err) < 0)
		goto fail;
	crm_db_close(db);
	return 0;
fail:
	crm_db_rollback(db);
	crm_die(&err);
}

/* Options are not checked per command (opts NULL): each reads those it
 * knows and ignores the others, as crm-segment always did. */
static const struct crm_cmd cmds[] = {
	{ "rfm", reader, READ_RFM, u_rfm, NULL },
	{ "kmeans", reader, READ_KMEANS, u_kmeans, NULL },
	{ "select", reader, READ_SELECT, u_select, NULL },
	{ "profit", reader, READ_PROFIT, u_profit, NULL },
	{ "pairs", reader, READ_PAIRS, u_pairs, NULL },
	{ "save", writer, WRITE_SAVE, u_save, NULL },
	{ "refresh", writer, WRITE_REFRESH, u_refresh, NULL },
	{ "list", reader, READ_LIST, u_list, NULL },
	{ "show", reader, READ_SHOW, u_list, NULL },
	{ "drop", writer, WRITE_DROP, u_list, NULL },
	{ "rates", writer, WRITE_RATES, u_rates, NULL },
	{ "products", writer, WRITE_PRODUCTS, u_rates, NULL },
	{ NULL, NULL, 0, NULL, NULL }
};

int
main(int argc, char **argv)
{
	struct crm_rfm_map *map = NULL;
	const struct crm_cmd *cmd;
	double rc_[4], fc[4], mc[4];
	int ch, rc;

	crm_cli_init(&cli, "crm-segment", crm_cmd_usage(cmds), argc, argv);
	crm_error_clear(&err);
	ro.kind = "purchase";
	ko.k = 4;
	ko.seed = 1;
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS "b:k:s:w:",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			by = optarg;
			break;
		case 'k':
			ko.k = (size_t)crm_cli_num("-k", optarg, 1, 1000);
			break;
		case 's': {
			char *end;

			minsup = strtod(optarg, &end);
			if (*end || end == optarg || minsup <= 0)
				crm_die_usage("--min-support: '%s' is not a"
				    " share (0.05) or a count (10)", optarg);
			break;
		}
		case 'w':
			where = optarg;
			break;
		case OPT_ASOF:
			if (crm_norm_datetime(optarg, &ro.asof, &err) < 0)
				crm_die_usage("--as-of: %s", err.msg);
			break;
		case OPT_AVG:
			ro.monetary_avg = 1;
			break;
		case OPT_CATEGORY:
			bycat = 1;
			break;
		case OPT_EXPLAIN:
			explain_on = 1;
			break;
		case OPT_MAP:
			if ((map = crm_rfm_map_read(optarg, &err)) == NULL)
				crm_die(&err);
			ro.map = map;
			break;
		case OPT_RCUTS:
			cuts("--r-cuts", optarg, rc_);
			ro.cuts[0] = rc_;
			break;
		case OPT_FCUTS:
			cuts("--f-cuts", optarg, fc);
			ro.cuts[1] = fc;
			break;
		case OPT_MCUTS:
			cuts("--m-cuts", optarg, mc);
			ro.cuts[2] = mc;
			break;
		case OPT_COSTS:
			costs_file = optarg;
			break;
		case OPT_CURRENCY:
			currency = optarg;
			break;
		case OPT_REPLACE:
			replace = 1;
			break;
		case OPT_SEED:
			ko.seed = (uint64_t)crm_cli_num("--seed", optarg, 0,
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
	if (ro.asof == 0)
		ro.asof = crm_now();
	rc = cmd->fn(&cli, cmd->what, argc - 1, argv + 1);
	crm_buf_release(&explain);
	crm_rfm_map_free(map);
	return crm_cli_finish(rc);
}
