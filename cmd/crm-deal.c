/*
 * crm-deal - the sales pipeline: deals in, stages, the pipeline at any
 * date, the forecast, win rates and the funnel.
 */
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "num.h"
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
static const char *pipeline, *rejects, *by;
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

/* The import as a batch. */
static int
header(void *ctx, struct crm_csv *r, struct crm_error *err)
{
	return crm_deal_importer_header(ctx, r, err);
}

static int
row(void *ctx, struct crm_csv *r, struct crm_error *err)
{
	return crm_deal_importer_row(ctx, r, err);
}

static int64_t
nread(void *ctx)
{
	return crm_deal_importer_stats(ctx)->read;
}

static int
import(int argc, char **argv)
{
	struct crm_batch batch = { NULL, header, row, nread, NULL, NULL, 0 };
	const struct crm_deal_import_stats *s;
	struct crm_deal_importer *im;
	struct crm_rejects *rj = NULL;
	struct crm_error err;
	struct crm_db *db;
	char counts[256];
	int i;

	crm_batch_check_inputs(argc, argv);
	crm_batch_bulk(argc, argv);
	db = crm_cli_db(&cli, CRM_DB_CREATE);
	iopts.pipeline = pipeline;
	/*
	 * Foreign keys off for the import's transaction, as crm-log does:
	 * every pipeline, stage and contact id it writes is one it has just
	 * read, and every deal id one it has just made.
	 */
	if ((im = crm_deal_importer_new(db, &iopts, &err)) == NULL ||
	    (rejects != NULL && (rj = crm_rejects_new(rejects,
	    cli.excel_safe, &err)) == NULL) ||
	    crm_db_foreign_keys(db, 0, &err) < 0 || crm_db_begin(db, &err) < 0)
		crm_die(&err);
	batch.ctx = im;
	for (i = 0; i < (argc ? argc : 1); i++)
		if (crm_batch_file(&cli, &batch, argc ? argv[i] : "-", rj,
		    &err) < 0)
			crm_batch_die(db, rj, &err);
	s = crm_deal_importer_stats(im);
	snprintf(counts, sizeof(counts), "{\"read\":%lld,\"inserted\":%lld,"
	    "\"updated\":%lld,\"unchanged\":%lld,\"rejected\":%lld,"
	    "\"changes\":%lld,\"won\":%lld,\"lost\":%lld,\"erased\":%lld}",
	    (long long)s->read, (long long)s->inserted, (long long)s->updated,
	    (long long)s->unchanged, (long long)s->rejected,
	    (long long)s->changes, (long long)s->won, (long long)s->lost,
	    (long long)s->erased);
	crm_batch_end(&cli, db, rj, dry, counts);
	if (!cli.quiet) {
		fprintf(stderr, "crm-deal: %lld read, %lld inserted, %lld"
		    " updated, %lld unchanged, %lld rejected; %lld %s,"
		    " %lld won, %lld lost", (long long)s->read,
		    (long long)s->inserted, (long long)s->updated,
		    (long long)s->unchanged, (long long)s->rejected,
		    (long long)s->changes, crm_num_word(s->changes, "change",
		    "changes"), (long long)s->won,
		    (long long)s->lost);
		if (s->erased)
			fprintf(stderr, "; skipped %lld record%s of erased"
			    " people", (long long)s->erased,
			    s->erased == 1 ? "" : "s");
		fprintf(stderr, "%s\n", dry ? " (dry run: nothing written)" :
		    "");
	}
	i = s->rejected ? CRM_EDATA : 0;
	crm_rejects_free(rj);
	crm_deal_importer_free(im);
	crm_db_close(db);
	return crm_cli_finish(i);
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
		fprintf(stderr, "crm-deal: pipeline %s: %lld %s%s\n",
		    pipeline, (long long)n, crm_num_word(n, "stage",
		    "stages"), dry ? " (dry run)" : "");
	crm_db_close(db);
	return crm_cli_finish(0);
}

/* The read-only reports: one call between the options and the exit. */
static int
report(const char *cmd, int argc, char **argv)
{
	struct crm_error err;
	struct crm_db *db;
	struct crm_out *o;
	int rc;

	if (argc != (strcmp(cmd, "show") == 0))
		crm_cli_usage(&cli, CRM_EUSAGE);
	popts.pipeline = fopts.pipeline = sopts.pipeline = pipeline;
	if (strcmp(cmd, "pipeline") == 0)
		popts.by = by_option("stage owner month", CRM_DEAL_BY_STAGE);
	else if (strcmp(cmd, "forecast") == 0)
		fopts.by = by_option("month quarter", CRM_DEAL_BY_MONTH);
	else if (strcmp(cmd, "stats") == 0 || strcmp(cmd, "funnel") == 0)
		sopts.by = by_option("total owner source", CRM_DEAL_BY_TOTAL);
	else if (by != NULL)
		crm_die_usage("%s: no --by", cmd);
	db = crm_cli_db(&cli, 0);
	o = crm_cli_out_auto(&cli);
	if (strcmp(cmd, "show") == 0)
		rc = crm_deal_show(db, argv[0], o, &err);
	else if (strcmp(cmd, "pipeline") == 0)
		rc = crm_deal_pipeline_write(db, &popts, o, &err);
	else if (strcmp(cmd, "stale") == 0)
		rc = crm_deal_stale_write(db, &popts, o, &err);
	else if (strcmp(cmd, "forecast") == 0)
		rc = crm_deal_forecast_write(db, &fopts, o, &err);
	else if (strcmp(cmd, "probabilities") == 0)
		rc = crm_deal_probabilities_write(db, pipeline,
		    fopts.confidence, o, &err);
	else if (strcmp(cmd, "stats") == 0)
		rc = crm_deal_stats_write(db, &sopts, o, &err);
	else
		rc = crm_deal_funnel_write(db, &sopts, o, &err);
	if (rc < 0 || crm_out_end(o, &err) < 0)
		crm_die(&err);
	crm_out_free(o);
	crm_db_close(db);
	return crm_cli_finish(0);
}

static int64_t
when(const char *opt, const char *arg)
{
	struct crm_error err;
	int64_t t;

	if (crm_norm_datetime(arg, &t, &err) < 0)
		crm_die_usage("%s: %s", opt, err.msg);
	return t;
}

int
main(int argc, char **argv)
{
	static const char *const cmds[] = { "import", "stages", "show",
	    "pipeline", "stale", "forecast", "probabilities", "stats",
	    "funnel" };
	const char *cmd = "import";
	size_t k;
	int ch, i;

	crm_cli_init(&cli, "crm-deal", usage, argc, argv);
	iopts.region = getenv("CRM_REGION");
	if (iopts.region != NULL && *iopts.region == '\0')
		iopts.region = NULL;
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
			if (strlen(optarg) != 3)
				crm_die_usage("--currency: '%s' is not an ISO"
				    " 4217 code such as EUR", optarg);
			for (i = 0; i < 3; i++)
				if (!isalpha((unsigned char)optarg[i]))
					crm_die_usage("--currency: '%s' is not"
					    " an ISO 4217 code", optarg);
				else
					optarg[i] = (char)toupper(
					    (unsigned char)optarg[i]);
			iopts.currency = optarg;
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
			popts.as_of = fopts.as_of = when("--as-of", optarg);
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
			sopts.since = when("--since", optarg);
			break;
		case OPT_UNTIL:
			sopts.until = when("--until", optarg);
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
