/*
 * crm-churn - who is leaving, how much they will buy, what they are worth.
 */
#include <sys/stat.h>

#include <getopt.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "churn.h"
#include "cli.h"
#include "norm.h"

static const char usage[] =
    "crm-churn fit [-nq] [-d db] [-f format] -m bgnbd|pareto [-c date]\n"
    "[-u day|week]\n"
    "crm-churn fit [-qt] [-f format] -m bgnbd|pareto [-u day|week] -S file\n"
    "crm-churn score [-nq] [-d db] [-f format] [-D rate] [-H days]\n"
    "[-m model] [--as-of date]\n"
    "crm-churn eval [-q] [-d db] [-f format] [-b by] [-m model] -e date\n"
    "crm-churn train [-nqt] [-d db] [-f format] [-b by] [-i column]\n"
    "[-L lambda] [-s seed] [-T share] [-x column[,column...]] -l column\n"
    "[file]\n"
    "crm-churn predict [-qt] [-d db] [-f format] [-m model] [file]\n"
    "crm-churn models [-d db] [-f format]";

enum { OPT_ASOF = 0x2000 };

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	{ "as-of", required_argument, NULL, OPT_ASOF },
	{ "by", required_argument, NULL, 'b' },
	{ "calibration-end", required_argument, NULL, 'c' },
	{ "discount", required_argument, NULL, 'D' },
	{ "drop", required_argument, NULL, 'x' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "holdout-end", required_argument, NULL, 'e' },
	{ "horizon", required_argument, NULL, 'H' },
	{ "id", required_argument, NULL, 'i' },
	{ "label", required_argument, NULL, 'l' },
	{ "lambda", required_argument, NULL, 'L' },
	{ "model", required_argument, NULL, 'm' },
	{ "seed", required_argument, NULL, 's' },
	{ "summaries", required_argument, NULL, 'S' },
	{ "test-share", required_argument, NULL, 'T' },
	{ "unit", required_argument, NULL, 'u' },
	{ NULL, 0, NULL, 0 }
};

/* The options each command takes, besides -d -f -h -q -t -V. */
static const struct { const char *name, *opts; } cmds[] = {
	{ "fit", "cmnSu" }, { "score", "DHmnA" }, { "eval", "bem" },
	{ "train", "bilLnsTx" }, { "predict", "m" }, { "models", "" },
};

static struct crm_cli cli;

static const char *
optname(int val)
{
	size_t i;

	for (i = 0; longopts[i].name != NULL; i++)
		if (longopts[i].val == val)
			return longopts[i].name;
	return "?";
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

static double
real(const char *opt, const char *arg, double min, double max)
{
	char *end;
	double v = strtod(arg, &end);

	if (*end == '%' && end[1] == '\0' && end != arg) {
		v /= 100;
		end++;
	}
	if (end == arg || *end || !(v >= min && v <= max))
		crm_die_usage("%s: '%s' is not a number from %g to %g", opt,
		    arg, min, max);
	return v;
}

static void
progress(void *arg, int64_t n)
{
	crm_progress(arg, n, "contacts");
}

static void
commit(struct crm_db *db, const char *counts)
{
	struct crm_error err;

	if (crm_db_audit(db, cli.prog, cli.argc, cli.argv, counts, &err) < 0 ||
	    crm_db_commit(db, &err) < 0) {
		crm_db_rollback(db);
		crm_die(&err);
	}
}

int
main(int argc, char **argv)
{
	struct crm_churn_train_opts to;
	struct crm_churn_score_opts so;
	struct crm_churn_model cm;
	struct crm_error err;
	struct crm_out *o;
	struct crm_db *db = NULL;
	const char *cmd, *summaries = NULL, *drop[64], *file;
	char seen[128] = { 0 }, counts[256], *dropbuf[64];
	int64_t hold = 0, calend = 0, modelid = 0, id = 0;
	size_t i, ndrop = 0, ndropbuf = 0;
	int ch, kind = 0, unit = 7, dry = 0, by = CRM_CHURN_BY_TOTAL, rc = 0;
	clock_t fitcpu = 0;

#ifdef M_MMAP_THRESHOLD
	/*
	 * Blocks of 1 MiB and up straight from mmap, always: a million
	 * customers' arrays then grow by mremap instead of being copied, and
	 * get the huge pages libcrm asks for (see big() in libcrm/churn.c).
	 */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
	crm_cli_init(&cli, "crm-churn", usage, argc, argv);
	crm_error_clear(&err);
	memset(&to, 0, sizeof(to));
	memset(&so, 0, sizeof(so));
	to.seed = 1;
	to.test_share = 0.2;
	to.lambda = 1;
	so.horizon_days = 365;
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS
	    "b:c:D:e:H:i:L:l:m:nS:s:T:u:x:", longopts, NULL)) != -1) {
		if (ch < 128)
			seen[ch] = 1;
		switch (ch) {
		case 'b':
			if ((by = crm_churn_by(optarg)) < 0)
				crm_die_usage("--by: unknown report '%s'",
				    optarg);
			break;
		case 'c':
			calend = when("--calibration-end", optarg);
			break;
		case 'D':
			so.discount = real("--discount", optarg, 0, 10);
			break;
		case 'e':
			hold = when("--holdout-end", optarg);
			break;
		case 'H':
			if (crm_norm_days(optarg, &so.horizon_days, &err) < 0 ||
			    so.horizon_days < 1 || so.horizon_days > 36500)
				crm_die_usage("--horizon: '%s' is not a number"
				    " of days from 1 to 36500 (90d, 12w, 6m,"
				    " 1y)", optarg);
			break;
		case 'i':
			to.id = optarg;
			break;
		case 'L':
			to.lambda = real("--lambda", optarg, 0, 1e9);
			break;
		case 'l':
			to.label = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "logit") == 0)
				kind = -1;
			else if ((kind = crm_churn_kind(optarg)) == 0)
				modelid = crm_cli_num("--model", optarg, 1,
				    INT64_MAX);
			break;
		case 'n':
			dry = 1;
			break;
		case 'S':
			summaries = optarg;
			break;
		case 's':
			to.seed = (uint64_t)crm_cli_num("--seed", optarg, 0,
			    INT64_MAX);
			break;
		case 'T':
			to.test_share = real("--test-share", optarg, 0, 0.9);
			break;
		case 'u':
			if (strcmp(optarg, "day") != 0 &&
			    strcmp(optarg, "week") != 0)
				crm_die_usage("--unit: '%s' is not day or week",
				    optarg);
			unit = optarg[0] == 'd' ? 1 : 7;
			break;
		case 'x': {
			char *s, *tok, *save = NULL;

			if (ndropbuf == 64 || (s = strdup(optarg)) == NULL)
				crm_die_usage("--drop: too many columns");
			dropbuf[ndropbuf++] = s;
			for (tok = strtok_r(s, ",", &save); tok != NULL;
			    tok = strtok_r(NULL, ",", &save)) {
				if (ndrop == 64)
					crm_die_usage("--drop: too many"
					    " columns");
				drop[ndrop++] = tok;
			}
			break;
		}
		case OPT_ASOF:
			so.as_of = when("--as-of", optarg);
			seen['A'] = 1;
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
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmd, cmds[i].name) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0]))
		crm_die_usage("unknown command '%s' (fit, score, eval, train,"
		    " predict, models)", cmd);
	for (ch = 'A'; ch < 128; ch++)
		if (seen[ch] && strchr("dfhqtV", ch) == NULL &&
		    strchr(cmds[i].opts, ch) == NULL)
			crm_die_usage("%s does not take --%s", cmd,
			    optname(ch == 'A' ? OPT_ASOF : ch));
	if ((strcmp(cmd, "predict") == 0 && kind > 0) ||
	    (strcmp(cmd, "predict") != 0 && kind < 0) ||
	    (strcmp(cmd, "fit") == 0 && seen['m'] && kind <= 0))
		crm_die_usage("%s: --model: a %s", cmd,
		    strcmp(cmd, "fit") == 0 ? "kind, bgnbd or pareto" :
		    strcmp(cmd, "predict") == 0 ? "logit model (its number)" :
		    "BG/NBD or Pareto/NBD model: bgnbd, pareto or a number");
	if (argc > (strcmp(cmd, "train") == 0 || strcmp(cmd, "predict") == 0))
		crm_cli_usage(&cli, CRM_EUSAGE);
	file = argc ? argv[0] : "-";

	if (strcmp(cmd, "fit") == 0) {
		struct crm_churn_base_opts bo = { calend, 0, unit };
		struct crm_churn_base *b;

		if (kind == 0)
			crm_die_usage("fit needs --model bgnbd or pareto");
		if (summaries != NULL && (seen['c'] || seen['n']))
			crm_die_usage("fit --summaries takes no -c or -n: it"
			    " reads no database and stores nothing");
		if (summaries == NULL)
			db = crm_cli_db(&cli, 0);
		b = summaries ? crm_churn_base_csv(summaries, cli.tsv ?
		    CRM_CSV_TSV : 0, &err) : crm_churn_base_db(db, &bo, &err);
		fitcpu = clock();
		if (b == NULL || crm_churn_fit(b, kind, &cm, &err) < 0)
			crm_die(&err);
		fitcpu = clock() - fitcpu;
		if (summaries != NULL)
			cm.unit_days = seen['u'] ? unit : 0;
		if (cm.info.converged && db != NULL && !dry) {
			snprintf(counts, sizeof(counts), "{\"customers\":%zu,"
			    "\"repeaters\":%zu}", cm.customers, cm.repeaters);
			if (crm_db_begin(db, &err) < 0 ||
			    crm_churn_model_store(db, &cm, &err) < 0) {
				crm_db_rollback(db);
				crm_die(&err);
			}
			commit(db, counts);
		}
		o = crm_cli_out(&cli);
		if (crm_churn_model_write(&cm, o, &err) < 0 ||
		    crm_out_end(o, &err) < 0)
			crm_die(&err);
		if (!cm.info.converged) {
			crm_warn("%s fit did not converge in %d iterations%s",
			    kind == CRM_CLV_BGNBD ? "BG/NBD" : "Pareto/NBD",
			    cm.info.iterations, db ? "; model not stored" : "");
			rc = 1;
		} else if (!cli.quiet) {
			if (summaries && crm_churn_base_skipped(b))
				crm_warn("%zu rows without purchases skipped",
				    crm_churn_base_skipped(b));
			if (cm.new_customers)
				crm_warn("%zu customers whose first purchase is"
				    " on the last day left out of the fit",
				    cm.new_customers);
			if (!cm.has_spend)
				crm_warn("no spend model: %s", cm.spend_err.msg);
			if (cm.id)
				snprintf(counts, sizeof(counts), "; model %lld",
				    (long long)cm.id);
			else
				snprintf(counts, sizeof(counts), "%s", dry ?
				    " (dry run: not stored)" : "");
			crm_warn("%s: %zu customers, %zu repeat buyers,"
			    " log-likelihood %.2f, %d iterations, %.2f s of"
			    " CPU%s", kind == CRM_CLV_BGNBD ? "BG/NBD" :
			    "Pareto/NBD", cm.customers, cm.repeaters,
			    cm.info.loglik, cm.info.iterations,
			    (double)fitcpu / CLOCKS_PER_SEC, counts);
		}
		crm_churn_base_free(b);
	} else if (strcmp(cmd, "score") == 0) {
		struct crm_churn_score_stats st;
		struct stat sb;

		/*
		 * The page cache block pays off when storing the scores of a
		 * large database only (the reads go through the map).
		 */
		if (!dry && stat(crm_db_path(cli.db_opt), &sb) == 0 &&
		    sb.st_size >= (off_t)16 << 20)
			crm_db_bulk();
		db = crm_cli_db(&cli, 0);
		so.store = !dry;
		/*
		 * Foreign keys are off while the scores are stored: each
		 * contact_id stored is one that an interaction or a merged
		 * contact names (foreign keys both), read in the same write
		 * transaction as the model (nothing deletes a model), so
		 * SQLite's look-up of both for each of a million rows, half
		 * the cost of storing them, could find nothing.
		 */
		if ((!dry && (crm_db_foreign_keys(db, 0,
		    &err) < 0 || crm_db_begin(db, &err) < 0)) ||
		    crm_churn_model_load(db, modelid, kind, &cm, &err) < 0)
			crm_die(&err);
		o = crm_cli_out(&cli);
		if (crm_churn_score(db, &cm, &so, o, &st, progress, &cli,
		    &err) < 0 || crm_out_end(o, &err) < 0) {
			crm_db_rollback(db);
			crm_die(&err);
		}
		crm_progress_end(&cli);
		snprintf(counts, sizeof(counts), "{\"contacts\":%lld,"
		    "\"scored\":%lld,\"model_id\":%lld}",
		    (long long)st.contacts, (long long)st.scored,
		    (long long)cm.id);
		if (!dry) {
			commit(db, counts);
			if (crm_db_foreign_keys(db, 1,
			    &err) < 0)
				crm_die(&err);
		}
		if (!cli.quiet)
			crm_warn("%lld contacts, %lld scored with model %lld"
			    " over %lld days, %lld without purchases%s",
			    (long long)st.contacts, (long long)st.scored,
			    (long long)cm.id, (long long)so.horizon_days,
			    (long long)(st.contacts - st.scored),
			    dry ? " (dry run: nothing stored)" : "");
	} else if (strcmp(cmd, "eval") == 0) {
		struct crm_churn_eval ev;

		if (hold == 0)
			crm_die_usage("eval needs --holdout-end");
		if (by == CRM_CHURN_BY_DECILE)
			crm_die_usage("eval reports by total, customer, week"
			    " or frequency");
		db = crm_cli_db(&cli, 0);
		if (crm_churn_model_load(db, modelid, kind, &cm, &err) < 0)
			crm_die(&err);
		o = crm_cli_out_auto(&cli);
		if (crm_churn_eval(db, &cm, hold, by, o, &ev, &err) < 0 ||
		    crm_out_end(o, &err) < 0)
			crm_die(&err);
		if (!cli.quiet)
			crm_warn("model %lld, %lld-day holdout: %.0f repeat"
			    " purchases, %.1f expected (%+.1f%%)",
			    (long long)cm.id, (long long)ev.holdout_days,
			    ev.actual, ev.expected, ev.actual > 0 ?
			    100 * (ev.expected - ev.actual) / ev.actual : 0);
	} else if (strcmp(cmd, "train") == 0) {
		struct crm_churn_train_result res;
		struct crm_churn_logit *lg;

		if (to.label == NULL)
			crm_die_usage("train needs --label");
		if (by != CRM_CHURN_BY_TOTAL && by != CRM_CHURN_BY_DECILE)
			crm_die_usage("train reports by total or decile");
		to.drop = drop;
		to.ndrop = ndrop;
		to.flags = cli.tsv ? CRM_CSV_TSV : 0;
		if ((lg = crm_churn_train(file, &to, &res, &err)) == NULL)
			crm_die(&err);
		if (!dry) {
			db = crm_cli_db(&cli, CRM_DB_CREATE);
			if (crm_db_begin(db, &err) < 0 ||
			    crm_churn_logit_store(db, lg, &id, &err) < 0) {
				crm_db_rollback(db);
				crm_die(&err);
			}
			snprintf(counts, sizeof(counts), "{\"rows\":%zu,"
			    "\"model_id\":%lld}", res.rows, (long long)id);
			commit(db, counts);
		}
		o = crm_cli_out_auto(&cli);
		if (crm_churn_logit_report(lg, id, by, o, &err) < 0 ||
		    crm_out_end(o, &err) < 0)
			crm_die(&err);
		if (!res.has_metrics && to.test_share > 0)
			crm_warn("no hold-out metrics: the %zu held-out rows"
			    " are all of one class", res.test);
		if (!res.converged)
			crm_warn("the fit did not converge in %d iterations",
			    res.iterations);
		if (!cli.quiet && res.has_metrics)
			crm_warn("%zu rows, %zu held out: AUC %.4f, accuracy"
			    " %.4f%s", res.rows, res.test, res.auc,
			    res.accuracy, dry ? " (dry run: not stored)" :
			    "");
		crm_churn_logit_free(lg);
	} else if (strcmp(cmd, "predict") == 0) {
		struct crm_churn_logit *lg;
		int64_t rows;

		db = crm_cli_db(&cli, 0);
		if ((lg = crm_churn_logit_load(db, modelid, &err)) == NULL)
			crm_die(&err);
		o = crm_cli_out(&cli);
		if (crm_churn_predict(lg, file, cli.tsv ? CRM_CSV_TSV : 0, o,
		    &rows, &err) < 0 || crm_out_end(o, &err) < 0)
			crm_die(&err);
		if (!cli.quiet)
			crm_warn("%lld rows scored", (long long)rows);
		crm_churn_logit_free(lg);
	} else {
		db = crm_cli_db(&cli, 0);
		o = crm_cli_out_auto(&cli);
		if (crm_churn_models(db, o, &err) < 0 ||
		    crm_out_end(o, &err) < 0)
			crm_die(&err);
	}
	crm_out_free(o);
	crm_db_close(db);
	for (i = 0; i < ndropbuf; i++)
		free(dropbuf[i]);
	return crm_cli_finish(rc);
}
