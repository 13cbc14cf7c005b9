/*
 * crm-deal - the sales pipeline: deals in, stages, the pipeline at any
 * date, the forecast, win rates and the funnel.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "deal.h"
#include "norm.h"

static const char usage[] =
    "crm-deal [-nqtV] [-b who] [-C currency] [-d db] [-P pipeline]\n"
    "[-R region] [-r rejects] [--excel-safe] [file ...]\n"
    "crm-deal stages [-d db] [-f format] [-P pipeline] [file]\n"
    "crm-deal show [-d db] [-f format] ref\n"
    "crm-deal pipeline [-d db] [-f format] [-P pipeline] [-s days]\n"
    "[--as-of date] [--by stage|owner|month]\n"
    "crm-deal stale [-d db] [-f format] [-P pipeline] [-s days] [--as-of date]\n"
    "crm-deal forecast [-d db] [-f format] [-P pipeline] [-p periods]\n"
    "[--as-of date] [--backtest] [--by month|quarter] [--commit p]\n"
    "[--confidence c] [--learnt] [--model id] [--with-customers]\n"
    "crm-deal probabilities [-d db] [-f format] [-P pipeline] [--confidence c]\n"
    "crm-deal stats|funnel [-d db] [-f format] [-P pipeline]\n"
    "[--by total|owner|source] [--since date] [--until date]";

enum { OPT_ASOF = 0x2000, OPT_BACKTEST, OPT_BY, OPT_COMMIT, OPT_CONF,
    OPT_LEARNT, OPT_MODEL, OPT_CUSTOMERS, OPT_SINCE, OPT_UNTIL };

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	{ "as-of", required_argument, NULL, OPT_ASOF },
	{ "backtest", no_argument, NULL, OPT_BACKTEST },
	{ "by", required_argument, NULL, OPT_BY },
	{ "changed-by", required_argument, NULL, 'b' },
	{ "commit", required_argument, NULL, OPT_COMMIT },
	{ "confidence", required_argument, NULL, OPT_CONF },
	{ "currency", required_argument, NULL, 'C' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "learnt", no_argument, NULL, OPT_LEARNT },
	{ "model", required_argument, NULL, OPT_MODEL },
	{ "periods", required_argument, NULL, 'p' },
	{ "pipeline", required_argument, NULL, 'P' },
	{ "region", required_argument, NULL, 'R' },
	{ "rejects", required_argument, NULL, 'r' },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "stale", required_argument, NULL, 's' },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "with-customers", no_argument, NULL, OPT_CUSTOMERS },
	{ NULL, 0, NULL, 0 }
};

static struct crm_cli cli;
static struct crm_deal_import_opts iopts;
static struct crm_deal_pipeline_opts popts;
static struct crm_deal_forecast_opts fopts;
static struct crm_deal_stats_opts sopts;
static const char *pipeline, *rejects, *by, *ref;
static int dry;

static double
share(const char *opt, const char *arg)
{
	char *end;
	double v = strtod(arg, &end);

	if (end == arg || *end != '\0' || !(v > 0 && v < 1))
		crm_die_usage("%s: '%s' is not a number between 0 and 1", opt,
		    arg);
	return v;
}

static int
by_option(const char *allowed, int dflt)
{
	int b;

	if (by == NULL)
		return dflt;
	if ((b = crm_deal_by_parse(by)) < 0 || strstr(allowed, by) == NULL)
		crm_die_usage("--by: '%s' is not one of %s", by, allowed);
	return b;
}

CRM_CMD_IMPORTER(crm_deal_importer)

/* The import as a batch. */
static int
import(int argc, char **argv)
{
	struct crm_cmd_import im = CRM_CMD_IMPORT_INIT;
	const struct crm_deal_import_stats *s;
	struct crm_error err;

	crm_deal_importer_b_set(&im);
	im.rejects = rejects;
	im.dry = dry;
	im.bulk = 1;
	iopts.pipeline = pipeline;
	/*
	 * Foreign keys off for the import's transaction, as crm-log does:
	 * every pipeline, stage and contact id it writes is one it has just
	 * read, and every deal id one it has just made.
	 */
	if ((im.batch.ctx = crm_deal_importer_new(crm_cmd_import_open(&cli,
	    &im, argc, argv), &iopts, &err)) == NULL ||
	    crm_db_foreign_keys(im.db, 0, &err) < 0)
		crm_die(&err);
	crm_cmd_import_run(&cli, &im, argc, argv);
	s = crm_deal_importer_stats(im.batch.ctx);
	{
		const struct crm_count n[] = { CRM_COUNT("read", s->read),
		    CRM_COUNT("inserted", s->inserted),
		    CRM_COUNT("updated", s->updated),
		    CRM_COUNT("unchanged", s->unchanged),
		    CRM_COUNT("rejected", s->rejected),
		    { "changes", s->changes, "; ", "", " change", " changes",
		    0 }, CRM_COUNT("won", s->won), CRM_COUNT("lost", s->lost),
		    { "erased", s->erased, "; ", "skipped ", " record of"
		    " erased people", " records of erased people", 1 },
		    CRM_COUNT_END };

		return crm_cmd_import_end(&cli, &im, n);
	}
}

static int
stages(int argc, char **argv)
{
	struct crm_error err;
	struct crm_csv *r;
	struct crm_db *db;
	struct crm_out *o;
	int64_t n;

	if (argc > 1)
		crm_cli_usage(&cli, CRM_EUSAGE);
	if (argc == 0) {
		db = crm_cli_db(&cli, 0);
		o = crm_cli_out_auto(&cli);
		if (crm_deal_stages_write(db, pipeline, o, &err) < 0 ||
		    crm_out_end(o, &err) < 0)
			crm_die(&err);
		crm_out_free(o);
		crm_db_close(db);
		return crm_cli_finish(0);
	}
	if (pipeline == NULL)
		crm_die_usage("stages FILE: name the pipeline with -P");
	crm_batch_check_inputs(argc, argv);
	db = crm_cli_db(&cli, CRM_DB_CREATE);
	if ((r = crm_csv_open(argv[0], cli.tsv ? CRM_CSV_TSV : 0,
	    &err)) == NULL || crm_db_begin(db, &err) < 0 ||
	    crm_deal_stages_define(db, pipeline, r, &n, &err) < 0) {
		crm_db_rollback(db);
		crm_die(&err);
	}
	crm_csv_close(r);
	crm_batch_end(&cli, db, NULL, dry, "{}");
	if (!cli.quiet)
		fprintf(stderr, "crm-deal: pipeline %s: %lld stages%s\n",
		    pipeline, (long long)n, dry ? " (dry run)" : "");
	crm_db_close(db);
	return crm_cli_finish(0);
}

/* The read-only reports: one call between the options and the exit. */
static int
report_fn(struct crm_db *db, struct crm_out *o, void *arg,
    struct crm_error *err)
{
	const char *cmd = arg;

	if (strcmp(cmd, "show") == 0)
		return crm_deal_show(db, ref, o, err);
	if (strcmp(cmd, "pipeline") == 0)
		return crm_deal_pipeline_write(db, &popts, o, err);
	if (strcmp(cmd, "stale") == 0)
		return crm_deal_stale_write(db, &popts, o, err);
	if (strcmp(cmd, "forecast") == 0)
		return crm_deal_forecast_write(db, &fopts, o, err);
	if (strcmp(cmd, "probabilities") == 0)
		return crm_deal_probabilities_write(db, pipeline,
		    fopts.confidence, o, err);
	if (strcmp(cmd, "stats") == 0)
		return crm_deal_stats_write(db, &sopts, o, err);
	return crm_deal_funnel_write(db, &sopts, o, err);
}

static int
report(const char *cmd, int argc, char **argv)
{
	if (argc != (strcmp(cmd, "show") == 0))
		crm_cli_usage(&cli, CRM_EUSAGE);
	ref = argv[0];
	popts.pipeline = fopts.pipeline = sopts.pipeline = pipeline;
	if (strcmp(cmd, "pipeline") == 0)
		popts.by = by_option("stage owner month", CRM_DEAL_BY_STAGE);
	else if (strcmp(cmd, "forecast") == 0)
		fopts.by = by_option("month quarter", CRM_DEAL_BY_MONTH);
	else if (strcmp(cmd, "stats") == 0 || strcmp(cmd, "funnel") == 0)
		sopts.by = by_option("total owner source", CRM_DEAL_BY_TOTAL);
	else if (by != NULL)
		crm_die_usage("%s: no --by", cmd);
	return crm_cmd_read(&cli, report_fn, (void *)cmd);
}

int
main(int argc, char **argv)
{
	static const char *const cmds[] = { "import", "stages", "show",
	    "pipeline", "stale", "forecast", "probabilities", "stats",
	    "funnel" };
	const char *cmd = "import";
	static char currency[4];
	struct crm_error err;
	size_t k;
	int ch;

	crm_cli_init(&cli, "crm-deal", usage, argc, argv);
	iopts.region = crm_cmd_region();
	fopts.periods = 3;
	fopts.commit = 0.8;
	fopts.confidence = 0.95;
	popts.stale_days = 30;
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS
	    "b:C:nP:p:R:r:s:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			iopts.by = optarg;
			break;
		case 'C':
			if (crm_norm_currency(optarg, currency, &err) < 0)
				crm_die_usage("--currency: %s", err.msg);
			iopts.currency = currency;
			break;
		case 'n':
			dry = 1;
			break;
		case 'P':
			pipeline = optarg;
			break;
		case 'p':
			fopts.periods = (int)crm_cli_num("--periods", optarg, 1,
			    120);
			break;
		case 'R':
			iopts.region = optarg;
			break;
		case 'r':
			rejects = optarg;
			break;
		case 's':
			popts.stale_days = crm_cli_num("--stale", optarg, 1,
			    36500);
			break;
		case OPT_ASOF:
			popts.as_of = fopts.as_of = crm_cli_time("--as-of", optarg);
			break;
		case OPT_BACKTEST:
			fopts.backtest = 1;
			break;
		case OPT_BY:
			by = optarg;
			break;
		case OPT_COMMIT:
			fopts.commit = share("--commit", optarg);
			break;
		case OPT_CONF:
			fopts.confidence = share("--confidence", optarg);
			break;
		case OPT_LEARNT:
			fopts.learnt = 1;
			break;
		case OPT_MODEL:
			fopts.model_id = crm_cli_num("--model", optarg, 1,
			    INT64_MAX);
			break;
		case OPT_CUSTOMERS:
			fopts.with_customers = 1;
			break;
		case OPT_SINCE:
			sopts.since = crm_cli_time("--since", optarg);
			break;
		case OPT_UNTIL:
			sopts.until = crm_cli_time("--until", optarg);
			break;
		default:
			crm_cli_opt(&cli, ch, optarg) ||
			    (crm_cli_usage(&cli, CRM_EUSAGE), 0);
		}
	}
	argc -= optind;
	argv += optind;
	/* The first word names the command (a file so named: ./stages). */
	for (k = 0; argc > 0 && k < sizeof(cmds) / sizeof(cmds[0]); k++)
		if (strcmp(argv[0], cmds[k]) == 0) {
			cmd = cmds[k];
			argc--;
			argv++;
			break;
		}
	if (strcmp(cmd, "import") == 0)
		return import(argc, argv);
	if (strcmp(cmd, "stages") == 0)
		return stages(argc, argv);
	return report(cmd, argc, argv);
}
