/*
 * crm-churn - who is leaving, how much they will buy, what they are worth.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "churn.h"
#include "cli.h"
#include "cmd.h"

static const char usage[] =
    "crm-churn fit [-nq] [-d db] [-f format] -m bgnbd|pareto [-C currency]\n"
    "[-c date] [-u day|week]\n"
    "crm-churn fit [-qt] [-f format] -m bgnbd|pareto [-u day|week] -S file\n"
    "crm-churn score [-nq] [-d db] [-f format] [-D rate] [-H days]\n"
    "[-m model] [--as-of date]\n"
    "crm-churn eval [-q] [-d db] [-f format] [-b by] [-m model] -e date\n"
    "crm-churn train [-nqt] [-d db] [-f format] [-b by] [-i column]\n"
    "[-L lambda] [-s seed] [-T share] [-x column[,column...]] -l column\n"
    "[file]\n"
    "crm-churn predict [-qt] [-d db] [-f format] [-m model] [file]\n"
    "crm-churn models [-d db] [-f format]";

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	CRM_CHURN_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static struct crm_cli cli;

static void
progress(void *arg, int64_t n)
{
	crm_progress(arg, n, "contacts");
}

/* On a terminal after a second: the fit's iteration, and when it drags. */
static void
fit_progress(void *arg, const struct crm_clv_progress *p)
{
	char what[200];

	crm_progress(arg, p->iteration, crm_churn_progress_text(p, what,
	    sizeof(what)));
}

static int
cmd_fit(struct crm_churn_args *r, struct crm_db **db, struct crm_out **o)
{
	struct crm_clv_fit_opts fo = { fit_progress, &cli, 0 };
	struct crm_churn_fit_req q = { r->summaries, cli.tsv ? CRM_CSV_TSV :
	    0, { r->calend, 0, r->unit, r->currency }, r->kind, r->seen['u'] ?
	    r->unit : 0, !r->dry, &fo };
	struct crm_churn_fit_done dn;
	struct crm_churn_model cm;
	struct crm_error err;

	if (r->summaries == NULL)
		*db = crm_cli_db(&cli, 0);
	if (crm_churn_fit_run(*db, &q, &cm, &dn, &err) < 0)
		crm_die(&err);
	crm_progress_end(&cli);
	if (dn.stored)
		crm_cmd_commit_json(&cli, *db, 0, dn.counts);
	*o = crm_cli_out(&cli);
	if (crm_churn_model_write(&cm, *o, &err) < 0 ||
	    crm_out_end(*o, &err) < 0)
		crm_die(&err);
	crm_churn_fit_notes(&cm, &dn, r, cli.quiet, *db != NULL, crm_cmd_note, NULL);
	return cm.info.converged ? 0 : 1;
}

static int
cmd_score(struct crm_churn_args *r, struct crm_db **db, struct crm_out **o)
{
	struct crm_churn_score_stats st;
	struct crm_churn_model cm;
	struct crm_error err;
	char counts[256];

	/* The page cache block pays off when storing a large database. */
	if (!r->dry && crm_churn_score_big(crm_db_path(cli.db_opt)))
		crm_db_bulk();
	*db = crm_cli_db(&cli, 0);
	r->so.store = !r->dry;
	if (crm_churn_score_begin(*db, r->so.store, r->modelid, r->kind, &cm,
	    &err) < 0)
		crm_die(&err);
	*o = crm_cli_out(&cli);
	if (crm_churn_score(*db, &cm, &r->so, *o, &st, progress, &cli,
	    &err) < 0 || crm_out_end(*o, &err) < 0) {
		crm_db_rollback(*db);
		crm_die(&err);
	}
	crm_progress_end(&cli);
	if (!r->dry) {
		crm_cmd_commit_json(&cli, *db, 0, crm_churn_score_counts(&st,
		    cm.id, counts, sizeof(counts)));
		if (crm_db_foreign_keys(*db, 1, &err) < 0)
			crm_die(&err);
	}
	if (!cli.quiet)
		crm_churn_score_notes(&cm, &st, r, crm_cmd_note, NULL);
	return 0;
}

static int
cmd_eval(struct crm_churn_args *r, struct crm_db **db, struct crm_out **o)
{
	struct crm_churn_model cm;
	struct crm_churn_eval ev;
	struct crm_error err;

	*db = crm_cli_db(&cli, 0);
	if (crm_churn_model_load(*db, r->modelid, r->kind, &cm, &err) < 0)
		crm_die(&err);
	*o = crm_cli_out_auto(&cli);
	if (crm_churn_eval(*db, &cm, r->hold, r->by, *o, &ev, &err) < 0 ||
	    crm_out_end(*o, &err) < 0)
		crm_die(&err);
	if (!cli.quiet)
		crm_churn_eval_note(&cm, &ev, crm_cmd_note, NULL);
	return 0;
}

static int
cmd_train(struct crm_churn_args *r, struct crm_db **db, struct crm_out **o)
{
	struct crm_churn_train_result res;
	struct crm_churn_logit *lg;
	struct crm_error err;
	int64_t id = 0;
	char counts[256];

	r->to.flags = cli.tsv ? CRM_CSV_TSV : 0;
	if ((lg = crm_churn_train(r->file, &r->to, &res, &err)) == NULL)
		crm_die(&err);
	if (!r->dry) {
		*db = crm_cli_db(&cli, CRM_DB_CREATE);
		if (crm_churn_logit_save(*db, lg, &id, &err) < 0)
			crm_die(&err);
		crm_cmd_commit_json(&cli, *db, 0, crm_count_json((const
		    struct crm_count[]){ CRM_COUNT_AUDIT("rows",
		    (int64_t)res.rows), CRM_COUNT_AUDIT("model_id", id),
		    CRM_COUNT_END }, counts, sizeof(counts)));
	}
	*o = crm_cli_out_auto(&cli);
	if (crm_churn_logit_report(lg, id, r->by, *o, &err) < 0 ||
	    crm_out_end(*o, &err) < 0)
		crm_die(&err);
	crm_churn_train_notes(&res, r, cli.quiet, crm_cmd_note, NULL);
	crm_churn_logit_free(lg);
	return 0;
}

static int
cmd_predict(struct crm_churn_args *r, struct crm_db **db, struct crm_out **o)
{
	struct crm_churn_logit *lg;
	struct crm_error err;
	int64_t rows;

	*db = crm_cli_db(&cli, 0);
	if ((lg = crm_churn_logit_load(*db, r->modelid, &err)) == NULL)
		crm_die(&err);
	*o = crm_cli_out(&cli);
	if (crm_churn_predict(lg, r->file, cli.tsv ? CRM_CSV_TSV : 0, *o,
	    &rows, &err) < 0 || crm_out_end(*o, &err) < 0)
		crm_die(&err);
	if (!cli.quiet)
		crm_warn("%lld rows scored", (long long)rows);
	crm_churn_logit_free(lg);
	return 0;
}

static int
cmd_models(struct crm_churn_args *r, struct crm_db **db, struct crm_out **o)
{
	struct crm_error err;

	*db = crm_cli_db(&cli, 0);
	*o = crm_cli_out_auto(&cli);
	if (crm_churn_models(*db, *o, &err) < 0 || crm_out_end(*o, &err) < 0)
		crm_die(&err);
	return 0;
}

/*
 * The commands: name, function, the options each takes besides -d -f -h
 * -q -t -V, what --model names (b: bgnbd or pareto or a count model's
 * number, l: a logit model's number, k: a kind), and the file operands.
 */
static const struct cmd_entry {
	const char *name;
	int (*fn)(struct crm_churn_args *, struct crm_db **, struct crm_out **);
	const char *opts;
	int model, files;
} cmds[] = {
	{ "fit", cmd_fit, "CcmnSu", 'k', 0 },
	{ "score", cmd_score, "ADHmn", 'b', 0 },
	{ "eval", cmd_eval, "bem", 'b', 0 },
	{ "train", cmd_train, "bilLnsTx", 0, 1 },
	{ "predict", cmd_predict, "m", 'l', 1 },
	{ "models", cmd_models, "", 0, 0 },
};

int
main(int argc, char **argv)
{
	static struct crm_churn_args r;
	const struct cmd_entry *c = NULL;
	struct crm_out *o = NULL;
	struct crm_db *db = NULL;
	struct crm_error err;
	size_t i;
	int ch, rc;

	crm_cli_init(&cli, "crm-churn", usage, argc, argv);
	crm_churn_args_init(&r);
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS
	    CRM_CHURN_SHORTOPTS, longopts, NULL)) != -1)
		if ((rc = crm_churn_args_opt(&r, ch, optarg, &err)) < 0)
			crm_die_usage("%s", err.msg);
		else if (rc > 0 && !crm_cli_opt(&cli, ch, optarg))
			crm_cli_usage(&cli, CRM_EUSAGE);
	if (optind >= argc)
		crm_cli_usage(&cli, CRM_EUSAGE);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[optind], cmds[i].name) == 0)
			c = &cmds[i];
	if (c == NULL)
		crm_die_usage("unknown command '%s' (fit, score, eval, train,"
		    " predict, models)", argv[optind]);
	if (crm_churn_args_check(&r, c->name, c->opts, c->model, longopts,
	    &err) < 0)
		crm_die_usage("%s", err.msg);
	if (argc - ++optind > c->files)
		crm_cli_usage(&cli, CRM_EUSAGE);
	r.file = optind < argc ? argv[optind] : "-";
	rc = c->fn(&r, &db, &o);
	crm_out_free(o);
	crm_db_close(db);
	crm_churn_args_free(&r);
	return crm_cli_finish(rc);
}
