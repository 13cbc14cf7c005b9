/*
 * crm-segment - RFM, k-means on RFM, rule-based selections, profitability,
 * baskets and saved segments.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "interaction.h"
#include "norm.h"
#include "segment.h"

static const char usage[] =
    "crm-segment rfm [-d db] [-f format] [--as-of date] [--average]\n"
    "[--explain] [--map file] [--r-cuts a,b,c,d] [--f-cuts a,b,c,d]\n"
    "[--m-cuts a,b,c,d]\n"
    "crm-segment kmeans [-d db] [-f format] [--as-of date] [--average]\n"
    "[--explain] [-k clusters] [--seed n]\n"
    "crm-segment select [-d db] [-f format] [--as-of date] -w expr\n"
    "crm-segment profit [-d db] [-f format] [--as-of date] [-b by]\n"
    "crm-segment pairs [-d db] [-f format] [--category] [-s min-support]\n"
    "crm-segment save [-d db] [--replace] [-w expr] name\n"
    "crm-segment refresh [-d db] [name ...]\n"
    "crm-segment list | show name | drop name [-d db] [-f format]";

enum { OPT_ASOF = 0x2000, OPT_AVG, OPT_EXPLAIN, OPT_MAP, OPT_RCUTS,
    OPT_FCUTS, OPT_MCUTS, OPT_CATEGORY, OPT_REPLACE, OPT_SEED };

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	{ "as-of", required_argument, NULL, OPT_ASOF },
	{ "average", no_argument, NULL, OPT_AVG },
	{ "by", required_argument, NULL, 'b' },
	{ "category", no_argument, NULL, OPT_CATEGORY },
	{ "clusters", required_argument, NULL, 'k' },
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
die_expr(const char *src, int col, const struct crm_error *err)
{
	crm_warn("--where: %s", err->msg);
	if (col > 0)
		fprintf(stderr, "  %s\n  %*s^\n", src, col - 1, "");
	exit(err->code);
}

/* Contact ids from a CSV on stdin: a column id, external_id or email. */
static int64_t *
read_ids(struct crm_db *db, const char *region, int tsv, size_t *n)
{
	static const struct crm_csv_col cols[] = {
		{ "id", "contact_id" }, { "external_id", "customer_id" },
		{ "email", "e_mail" },
	};
	struct crm_error err;
	struct crm_csv *r;
	int64_t *ids = NULL, id;
	size_t a = 0;
	int idx[3], rc, k;

	*n = 0;
	if ((r = crm_csv_open("-", tsv ? CRM_CSV_TSV : 0, &err)) == NULL ||
	    crm_csv_header(r, cols, 3, idx, &err) < 0)
		crm_die(&err);
	for (k = 0; k < 3 && idx[k] < 0; k++)
		;
	if (k == 3)
		crm_die_usage("<stdin>: no id, external_id or email column");
	while ((rc = crm_csv_next(r, &err)) == 1) {
		char key[512];
		const char *v = crm_csv_field(r, idx[k]);

		snprintf(key, sizeof(key), "%s%s", k == 0 ? "#" : "", v);
		if (crm_contact_resolve(db, key, region, &id, &err) < 0) {
			crm_error_prefix(&err, "<stdin>:%ld", crm_csv_line(r));
			free(ids);
			crm_csv_close(r);
			crm_die(&err);
		}
		if (*n == a) {
			a = a ? a * 2 : 256;
			if ((ids = reallocarray(ids, a, sizeof(*ids))) == NULL)
				crm_die_usage("out of memory");
		}
		ids[(*n)++] = id;
	}
	if (rc < 0)
		crm_die(&err);
	crm_csv_close(r);
	return ids;
}

int
main(int argc, char **argv)
{
	struct crm_rfm_opts ro;
	struct crm_kmeans_opts ko;
	struct crm_rfm_map *map = NULL;
	struct crm_buf explain = CRM_BUF_INIT(1 << 16);
	struct crm_error err;
	struct crm_cli cli;
	struct crm_out *o = NULL;
	struct crm_db *db;
	const char *cmd, *where = NULL, *by = NULL;
	double rc_[4], fc[4], mc[4], minsup = 0.01;
	int ch, explain_on = 0, bycat = 0, replace = 0, col;
	int64_t count = 0;
	char counts[64];

	crm_cli_init(&cli, "crm-segment", usage, argc, argv);
	crm_error_clear(&err);
	memset(&ro, 0, sizeof(ro));
	ro.kind = "purchase";
	memset(&ko, 0, sizeof(ko));
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
	if (argc < 1)
		crm_cli_usage(&cli, CRM_EUSAGE);
	cmd = *argv++;
	argc--;
	if (ro.asof == 0)
		ro.asof = crm_now();

	if (strcmp(cmd, "rfm") == 0 || strcmp(cmd, "kmeans") == 0 ||
	    strcmp(cmd, "select") == 0 ||
	    strcmp(cmd, "profit") == 0 || strcmp(cmd, "pairs") == 0 ||
	    strcmp(cmd, "list") == 0 || strcmp(cmd, "show") == 0) {
		struct crm_expr *e = NULL;

		if (argc != (strcmp(cmd, "show") == 0))
			crm_cli_usage(&cli, CRM_EUSAGE);
		if (strcmp(cmd, "select") == 0) {
			if (where == NULL)
				crm_die_usage("select needs --where");
			if ((e = crm_expr_parse(where, ro.asof, &col,
			    &err)) == NULL)
				die_expr(where, col, &err);
		}
		db = crm_cli_db(&cli, 0);
		/* These read whole tables: through a memory map a page costs
		 * no read(2), as in crm-report. */
		if (crm_db_map_reads(db, &err) < 0)
			crm_die(&err);
		o = strcmp(cmd, "list") == 0 || strcmp(cmd, "profit") == 0 ?
		    crm_cli_out_auto(&cli) : crm_cli_out(&cli);
		if ((strcmp(cmd, "rfm") == 0 ? crm_rfm(db, &ro, o, explain_on ?
		    &explain : NULL, &err) :
		    strcmp(cmd, "kmeans") == 0 ? crm_rfm_kmeans(db, &ro, &ko, o,
		    explain_on ? &explain : NULL, &err) :
		    strcmp(cmd, "select") == 0 ? crm_segment_select(db, e, o,
		    &count, &err) :
		    strcmp(cmd, "profit") == 0 ? crm_profit(db, by, &ro, o,
		    &err) :
		    strcmp(cmd, "pairs") == 0 ? crm_pairs(db, bycat, minsup, o,
		    &err) :
		    strcmp(cmd, "list") == 0 ? crm_segment_list(db, o, &err) :
		    crm_segment_show(db, argv[0], o, &err)) < 0 ||
		    crm_out_end(o, &err) < 0)
			crm_die(&err);
		if (explain.len)
			fputs(crm_buf_str(&explain), stderr);
		crm_expr_free(e);
		crm_out_free(o);
		crm_db_close(db);
		crm_buf_release(&explain);
		crm_rfm_map_free(map);
		return crm_cli_finish(0);
	}

	/* The commands that write. */
	if (strcmp(cmd, "save") == 0 || strcmp(cmd, "drop") == 0) {
		if (argc != 1)
			crm_cli_usage(&cli, CRM_EUSAGE);
	} else if (strcmp(cmd, "refresh") != 0)
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
	if (strcmp(cmd, "save") == 0 && where != NULL) {
		if (crm_segment_save_rule(db, argv[0], where, ro.asof, replace,
		    &count, &col, &err) < 0)
			goto fail;
		if (!cli.quiet)
			fprintf(stderr, "crm-segment: %s: %lld members\n",
			    argv[0], (long long)count);
	} else if (strcmp(cmd, "save") == 0) {
		size_t n;
		int64_t *ids = read_ids(db, getenv("CRM_REGION"), cli.tsv, &n);

		if (crm_segment_save_list(db, argv[0], ids, n, replace, &count,
		    &err) < 0)
			goto fail;
		free(ids);
		if (!cli.quiet)
			fprintf(stderr, "crm-segment: %s: %lld members\n",
			    argv[0], (long long)count);
	} else if (strcmp(cmd, "drop") == 0) {
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
	if (crm_db_audit(db, cli.prog, cli.argc, cli.argv, counts, &err) < 0 ||
	    crm_db_commit(db, &err) < 0)
		goto fail;
	crm_db_close(db);
	return crm_cli_finish(0);
fail:
	crm_db_rollback(db);
	crm_die(&err);
}
