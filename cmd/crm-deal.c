/*
 * crm-deal - the sales pipeline: deals in, stages, the pipeline at any
 * date, the forecast, win rates and the funnel.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "deal.h"

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

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	CRM_DEAL_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static struct crm_cli cli;
static struct crm_deal_args a;
static const char *ref;

CRM_CMD_IMPORTER(crm_deal_importer)

/* The import as a batch. */
static int
import(int argc, char **argv)
{
	struct crm_cmd_import im = CRM_CMD_IMPORT_INIT;
	const struct crm_deal_import_stats *s;
	struct crm_error err;

	crm_deal_importer_b_set(&im);
	im.rejects = a.rejects;
	im.dry = a.dry;
	im.bulk = 1;
	/*
	 * Foreign keys off for the import's transaction, as crm-log does:
	 * every pipeline, stage and contact id it writes is one it has just
	 * read, and every deal id one it has just made.
	 */
	if ((im.batch.ctx = crm_deal_importer_new(crm_cmd_import_open(&cli,
	    &im, argc, argv), &a.iopts, &err)) == NULL ||
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
		if (crm_deal_stages_write(db, a.pipeline, o, &err) < 0 ||
		    crm_out_end(o, &err) < 0)
			crm_die(&err);
		crm_out_free(o);
		crm_db_close(db);
		return crm_cli_finish(0);
	}
	if (a.pipeline == NULL)
		crm_die_usage("stages FILE: name the pipeline with -P");
	crm_batch_check_inputs(argc, argv);
	db = crm_cli_db(&cli, CRM_DB_CREATE);
	if ((r = crm_csv_open(argv[0], cli.tsv ? CRM_CSV_TSV : 0,
	    &err)) == NULL || crm_db_begin(db, &err) < 0 ||
	    crm_deal_stages_define(db, a.pipeline, r, &n, &err) < 0) {
		crm_db_rollback(db);
		crm_die(&err);
	}
	crm_csv_close(r);
	crm_batch_end(&cli, db, NULL, a.dry, "{}");
	if (!cli.quiet)
		fprintf(stderr, "crm-deal: pipeline %s: %lld stages%s\n",
		    a.pipeline, (long long)n, a.dry ? " (dry run)" : "");
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
		return crm_deal_pipeline_write(db, &a.popts, o, err);
	if (strcmp(cmd, "stale") == 0)
		return crm_deal_stale_write(db, &a.popts, o, err);
	if (strcmp(cmd, "forecast") == 0)
		return crm_deal_forecast_write(db, &a.fopts, o, err);
	if (strcmp(cmd, "probabilities") == 0)
		return crm_deal_probabilities_write(db, a.pipeline,
		    a.fopts.confidence, o, err);
	if (strcmp(cmd, "stats") == 0)
		return crm_deal_stats_write(db, &a.sopts, o, err);
	return crm_deal_funnel_write(db, &a.sopts, o, err);
}

static int
report(const char *cmd, int argc, char **argv)
{
	struct crm_error err;

	if (argc != (strcmp(cmd, "show") == 0))
		crm_cli_usage(&cli, CRM_EUSAGE);
	ref = argv[0];
	if (crm_deal_args_check(&a, cmd, &err) < 0)
		crm_die_usage("%s", err.msg);
	return crm_cmd_read(&cli, report_fn, (void *)cmd);
}

int
main(int argc, char **argv)
{
	static const char *const cmds[] = { "import", "stages", "show",
	    "pipeline", "stale", "forecast", "probabilities", "stats",
	    "funnel" };
	const char *cmd = "import";
	struct crm_error err;
	size_t k;
	int ch, rc;

	crm_cli_init(&cli, "crm-deal", usage, argc, argv);
	crm_deal_args_init(&a, crm_cmd_region());
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS
	    CRM_DEAL_SHORTOPTS, longopts, NULL)) != -1)
		if ((rc = crm_deal_args_opt(&a, ch, optarg, &err)) < 0)
			crm_die_usage("%s", err.msg);
		else if (rc > 0 && !crm_cli_opt(&cli, ch, optarg))
			crm_cli_usage(&cli, CRM_EUSAGE);
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
