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
#include "num.h"
#include "logistic.h"
#include "norm.h"

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

enum { OPT_ASOF = 'A' };

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	{ "as-of", required_argument, NULL, OPT_ASOF },
	{ "by", required_argument, NULL, 'b' },
	{ "calibration-end", required_argument, NULL, 'c' },
	{ "currency", required_argument, NULL, 'C' },
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

/* Everything the options say, for the command that runs. */
struct run {
	const char *name, *file, *summaries, *drop[64], *currency;
	struct crm_churn_train_opts to;
	struct crm_churn_score_opts so;
	int64_t hold, calend, modelid;
	size_t ndrop;
	int kind, unit, dry, by;
	char seen[128];
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

	snprintf(what, sizeof(what), "iterations of %s, log-likelihood %.4f%s",
	    p->model, p->loglik, p->slow ? "; not converging yet" : "");
	crm_progress(arg, p->iteration, what);
}

static void
commit(struct crm_db *db, const char *counts)
{
	struct crm_error err;

	if (crm_cli_commit(&cli, db, 0, counts, &err) < 0)
		crm_die(&err);
}

/* Both log-likelihoods, so that the user can compare. */
static void
both(const char *what, const struct crm_clv_fit_info *in, const char *full)
{
	if (isfinite(in->full_loglik) && isfinite(in->limit_loglik))
		crm_warn("%s: log-likelihood %.4f as %s, %.4f as its limit%s",
		    what, in->full_loglik, full, in->limit_loglik, in->limit ?
		    " (the full estimate ran off to it): the limit is kept" :
		    "");
}

static int
cmd_fit(struct run *r, struct crm_db **db, struct crm_out **o)
{
	struct crm_churn_base_opts bo = { r->calend, 0, r->unit, r->currency };
	struct crm_clv_fit_opts fo = { fit_progress, &cli, 0 };
	struct crm_churn_model cm;
	struct crm_churn_base *b;
	struct crm_error err;
	char counts[256];
	clock_t cpu;

	if (r->kind <= 0)
		crm_die_usage("fit needs --model bgnbd or pareto");
	if (r->summaries && (r->seen['c'] || r->seen['n'] || r->currency))
		crm_die_usage("fit --summaries takes no -C, -c or -n: it reads"
		    " no database and stores nothing");
	if (r->summaries == NULL)
		*db = crm_cli_db(&cli, 0);
	b = r->summaries ? crm_churn_base_csv(r->summaries, cli.tsv ?
	    CRM_CSV_TSV : 0, &err) : crm_churn_base_db(*db, &bo, &err);
	cpu = clock();
	if (b == NULL || crm_churn_fit(b, r->kind, &fo, &cm, &err) < 0)
		crm_die(&err);
	cpu = clock() - cpu;
	crm_progress_end(&cli);
	if (r->summaries != NULL)
		cm.unit_days = r->seen['u'] ? r->unit : 0;
	if (cm.info.converged && *db != NULL && !r->dry) {
		snprintf(counts, sizeof(counts), "{\"customers\":%zu,"
		    "\"repeaters\":%zu}", cm.customers, cm.repeaters);
		if (crm_db_begin(*db, &err) < 0 ||
		    crm_churn_model_store(*db, &cm, &err) < 0) {
			crm_db_rollback(*db);
			crm_die(&err);
		}
		commit(*db, counts);
	}
	*o = crm_cli_out(&cli);
	if (crm_churn_model_write(&cm, *o, &err) < 0 ||
	    crm_out_end(*o, &err) < 0)
		crm_die(&err);
	if (!cm.info.converged) {
		crm_warn("%s fit did not converge in %d iterations%s",
		    crm_clv_model_name(&cm.m), cm.info.iterations, *db ?
		    "; model not stored" : "");
		crm_churn_base_free(b);
		return 1;
	}
	if (!cli.quiet) {
		if (r->summaries && crm_churn_base_skipped(b))
			crm_warn("%zu %s without purchases skipped",
			    crm_churn_base_skipped(b),
			    crm_num_word((int64_t)crm_churn_base_skipped(b),
			    "row", "rows"));
		if (cm.new_customers)
			crm_warn("%zu %s whose first purchase is on the"
			    " last day left out of the fit", cm.new_customers,
			    crm_num_word((int64_t)cm.new_customers,
			    "customer", "customers"));
		both("purchases", &cm.info, r->kind == CRM_CLV_BGNBD ?
		    "BG/NBD" : "Pareto/NBD");
		if (cm.has_spend)
			both("spend", &cm.gg_info, "Gamma-Gamma");
		else
			crm_warn("no spend model: %s; expected spend and CLV"
			    " will not be available", cm.spend_err.msg);
		if (cm.id)
			snprintf(counts, sizeof(counts), "; model %lld",
			    (long long)cm.id);
		else
			snprintf(counts, sizeof(counts), "%s", r->dry ?
			    " (dry run: not stored)" : "");
		crm_warn("%s: %zu customers, %zu repeat buyers, log-likelihood"
		    " %.2f, %d iterations, %.2f s of CPU%s",
		    crm_clv_model_name(&cm.m), cm.customers, cm.repeaters,
		    cm.info.loglik, cm.info.iterations,
		    (double)cpu / CLOCKS_PER_SEC, counts);
	}
	crm_churn_base_free(b);
	return 0;
}

static int
cmd_score(struct run *r, struct crm_db **db, struct crm_out **o)
{
	struct crm_churn_score_stats st;
	struct crm_churn_model cm;
	struct crm_error err;
	struct stat sb;
	char counts[256];

	/* The page cache block pays off when storing a large database. */
	if (!r->dry && stat(crm_db_path(cli.db_opt), &sb) == 0 &&
	    sb.st_size >= (off_t)16 << 20)
		crm_db_bulk();
	*db = crm_cli_db(&cli, 0);
	r->so.store = !r->dry;
	/*
	 * Foreign keys off while the scores are stored: each contact_id is
	 * one that an interaction or a merged contact names, read in the
	 * same write transaction (see crm_churn_score()).
	 */
	if ((!r->dry && (crm_db_foreign_keys(*db, 0, &err) < 0 ||
	    crm_db_begin(*db, &err) < 0)) ||
	    crm_churn_model_load(*db, r->modelid, r->kind, &cm, &err) < 0)
		crm_die(&err);
	*o = crm_cli_out(&cli);
	if (crm_churn_score(*db, &cm, &r->so, *o, &st, progress, &cli,
	    &err) < 0 || crm_out_end(*o, &err) < 0) {
		crm_db_rollback(*db);
		crm_die(&err);
	}
	crm_progress_end(&cli);
	snprintf(counts, sizeof(counts), "{\"contacts\":%lld,\"scored\":%lld,"
	    "\"model_id\":%lld}", (long long)st.contacts,
	    (long long)st.scored, (long long)cm.id);
	if (!r->dry) {
		commit(*db, counts);
		if (crm_db_foreign_keys(*db, 1, &err) < 0)
			crm_die(&err);
	}
	if (!cli.quiet)
		crm_warn("%lld %s, %lld scored with model %lld over %lld"
		    " %s, %lld without purchases%s", (long long)st.contacts,
		    crm_num_word(st.contacts, "contact", "contacts"),
		    (long long)st.scored, (long long)cm.id,
		    (long long)r->so.horizon_days,
		    crm_num_word(r->so.horizon_days, "day", "days"),
		    (long long)(st.contacts - st.scored), r->dry ?
		    " (dry run: nothing stored)" : "");
	if (!cli.quiet && !cm.has_spend && st.scored > 0)
		crm_warn("model %lld has no spend model: expected spend and CLV"
		    " not available", (long long)cm.id);
	return 0;
}

static int
cmd_eval(struct run *r, struct crm_db **db, struct crm_out **o)
{
	struct crm_churn_model cm;
	struct crm_churn_eval ev;
	struct crm_error err;

	if (r->hold == 0)
		crm_die_usage("eval needs --holdout-end");
	if (r->by == CRM_CHURN_BY_DECILE)
		crm_die_usage("eval reports by total, customer, week or"
		    " frequency");
	*db = crm_cli_db(&cli, 0);
	if (crm_churn_model_load(*db, r->modelid, r->kind, &cm, &err) < 0)
		crm_die(&err);
	*o = crm_cli_out_auto(&cli);
	if (crm_churn_eval(*db, &cm, r->hold, r->by, *o, &ev, &err) < 0 ||
	    crm_out_end(*o, &err) < 0)
		crm_die(&err);
	if (!cli.quiet)
		crm_warn("model %lld, %lld-day holdout: %.0f repeat purchases,"
		    " %.1f expected (%+.1f%%)", (long long)cm.id,
		    (long long)ev.holdout_days, ev.actual, ev.expected,
		    ev.actual > 0 ? 100 * (ev.expected - ev.actual) /
		    ev.actual : 0);
	return 0;
}

static int
cmd_train(struct run *r, struct crm_db **db, struct crm_out **o)
{
	struct crm_churn_train_result res;
	struct crm_churn_logit *lg;
	struct crm_error err;
	int64_t id = 0;
	char counts[256];

	if (r->to.label == NULL)
		crm_die_usage("train needs --label");
	if (r->by != CRM_CHURN_BY_TOTAL && r->by != CRM_CHURN_BY_DECILE)
		crm_die_usage("train reports by total or decile");
	r->to.drop = r->drop;
	r->to.ndrop = r->ndrop;
	r->to.flags = cli.tsv ? CRM_CSV_TSV : 0;
	if ((lg = crm_churn_train(r->file, &r->to, &res, &err)) == NULL)
		crm_die(&err);
	if (!r->dry) {
		*db = crm_cli_db(&cli, CRM_DB_CREATE);
		if (crm_db_begin(*db, &err) < 0 ||
		    crm_churn_logit_store(*db, lg, &id, &err) < 0) {
			crm_db_rollback(*db);
			crm_die(&err);
		}
		snprintf(counts, sizeof(counts), "{\"rows\":%zu,"
		    "\"model_id\":%lld}", res.rows, (long long)id);
		commit(*db, counts);
	}
	*o = crm_cli_out_auto(&cli);
	if (crm_churn_logit_report(lg, id, r->by, *o, &err) < 0 ||
	    crm_out_end(*o, &err) < 0)
		crm_die(&err);
	if (!res.has_metrics && r->to.test_share > 0)
		crm_warn("no hold-out metrics: the %zu held-out rows are all of"
		    " one class", res.test);
	if (!res.converged)
		crm_warn("the fit did not converge in %d iterations",
		    res.iterations);
	if (!cli.quiet && res.has_metrics)
		crm_warn("%zu %s, %zu held out: AUC %.4f, accuracy %.4f%s",
		    res.rows, crm_num_word((int64_t)res.rows, "row", "rows"),
		    res.test, res.auc, res.accuracy, r->dry ?
		    " (dry run: not stored)" : "");
	crm_churn_logit_free(lg);
	return 0;
}

static int
cmd_predict(struct run *r, struct crm_db **db, struct crm_out **o)
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
		crm_warn("%lld %s scored", (long long)rows,
		    crm_num_word(rows, "row", "rows"));
	crm_churn_logit_free(lg);
	return 0;
}

static int
cmd_models(struct run *r, struct crm_db **db, struct crm_out **o)
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
	int (*fn)(struct run *, struct crm_db **, struct crm_out **);
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

static const char *
optname(int val)
{
	size_t i;

	for (i = 0; longopts[i].name != NULL; i++)
		if (longopts[i].val == val)
			return longopts[i].name;
	return "?";
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
option(struct run *r, int ch, char *arg, char **dropbuf, size_t *ndropbuf)
{
	struct crm_error err;
	char *s, *tok, *save = NULL;

	switch (ch) {
	case 'A': r->so.as_of = crm_cli_time("--as-of", arg); break;
	case 'b':
		if ((r->by = crm_churn_by(arg)) < 0)
			crm_die_usage("--by: unknown report '%s'", arg);
		break;
	case 'C':
		if (strlen(arg) != 3)
			crm_die_usage("--currency: '%s' is not a currency code"
			    " (EUR, USD, ...)", arg);
		r->currency = arg;
		break;
	case 'c': r->calend = crm_cli_time("--calibration-end", arg); break;
	case 'D': r->so.discount = real("--discount", arg, 0, 10); break;
	case 'e': r->hold = crm_cli_time("--holdout-end", arg); break;
	case 'H':
		if (crm_norm_days(arg, &r->so.horizon_days, &err) < 0 ||
		    r->so.horizon_days < 1 || r->so.horizon_days > 36500)
			crm_die_usage("--horizon: '%s' is not a number of days"
			    " from 1 to 36500 (90d, 12w, 6m, 1y)", arg);
		break;
	case 'i': r->to.id = arg; break;
	case 'L': r->to.lambda = real("--lambda", arg, 0, 1e9); break;
	case 'l': r->to.label = arg; break;
	case 'm':
		if (strcmp(arg, "logit") == 0)
			r->kind = -1;
		else if ((r->kind = crm_churn_kind(arg)) == 0)
			r->modelid = crm_cli_num("--model", arg, 1, INT64_MAX);
		break;
	case 'n': r->dry = 1; break;
	case 'S': r->summaries = arg; break;
	case 's':
		r->to.seed = (uint64_t)crm_cli_num("--seed", arg, 0, INT64_MAX);
		break;
	case 'T': r->to.test_share = real("--test-share", arg, 0, 0.9); break;
	case 'u':
		if (strcmp(arg, "day") != 0 && strcmp(arg, "week") != 0)
			crm_die_usage("--unit: '%s' is not day or week", arg);
		r->unit = arg[0] == 'd' ? 1 : 7;
		break;
	case 'x':
		if (*ndropbuf == 64 || (s = strdup(arg)) == NULL)
			crm_die_usage("--drop: too many columns");
		dropbuf[(*ndropbuf)++] = s;
		for (tok = strtok_r(s, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			if (r->ndrop == 64)
				crm_die_usage("--drop: too many columns");
			r->drop[r->ndrop++] = tok;
		}
		break;
	default:
		crm_cli_opt(&cli, ch, arg) || (crm_cli_usage(&cli, CRM_EUSAGE),
		    0);
	}
}

int
main(int argc, char **argv)
{
	static struct run r;
	const struct cmd_entry *c = NULL;
	struct crm_out *o = NULL;
	struct crm_db *db = NULL;
	char *dropbuf[64];
	size_t i, ndropbuf = 0;
	int ch, rc;

#ifdef M_MMAP_THRESHOLD
	/* 1 MiB blocks and up from mmap: big arrays grow by mremap. */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
	crm_cli_init(&cli, "crm-churn", usage, argc, argv);
	r.to.seed = 1;
	r.to.test_share = 0.2;
	r.to.lambda = 1;
	r.so.horizon_days = 365;
	r.unit = 7;
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS
	    "b:C:c:D:e:H:i:L:l:m:nS:s:T:u:x:", longopts, NULL)) != -1) {
		if (ch > 0 && ch < 128)
			r.seen[ch] = 1;
		option(&r, ch, optarg, dropbuf, &ndropbuf);
	}
	if (optind >= argc)
		crm_cli_usage(&cli, CRM_EUSAGE);
	r.name = argv[optind++];
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(r.name, cmds[i].name) == 0)
			c = &cmds[i];
	if (c == NULL)
		crm_die_usage("unknown command '%s' (fit, score, eval, train,"
		    " predict, models)", r.name);
	for (ch = 'A'; ch < 128; ch++)
		if (r.seen[ch] && strchr("dfhqtV", ch) == NULL &&
		    strchr(c->opts, ch) == NULL)
			crm_die_usage("%s does not take --%s", r.name,
			    optname(ch));
	if (r.seen['m'] && ((c->model == 'k' && r.kind <= 0) ||
	    (c->model == 'l' && r.kind > 0) || (c->model == 'b' && r.kind < 0)))
		crm_die_usage("%s: --model: a %s", r.name, c->model == 'k' ?
		    "kind, bgnbd or pareto" : c->model == 'l' ?
		    "logit model (its number)" :
		    "BG/NBD or Pareto/NBD model: bgnbd, pareto or a number");
	if (argc - optind > c->files)
		crm_cli_usage(&cli, CRM_EUSAGE);
	r.file = optind < argc ? argv[optind] : "-";
	rc = c->fn(&r, &db, &o);
	crm_out_free(o);
	crm_db_close(db);
	for (i = 0; i < ndropbuf; i++)
		free(dropbuf[i]);
	return crm_cli_finish(rc);
}
