/*
 * churn-run.c - what each crm-churn command does between its options and
 * its messages: the data to a stored model, the transaction around a
 * scoring, a trained model stored, the options read and checked.  The
 * caller commits (the audit record
 * is the command line's) and writes the messages.
 */
#include <malloc.h>
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "churn-int.h"
#include "norm.h"
#include "num.h"

int
crm_churn_fit_run(struct crm_db *db, const struct crm_churn_fit_req *q,
    struct crm_churn_model *cm, struct crm_churn_fit_done *done,
    struct crm_error *err)
{
	struct crm_churn_base *b;
	clock_t cpu;
	int rc = -1;

	memset(done, 0, sizeof(*done));
	b = q->summaries != NULL ? crm_churn_base_csv(q->summaries,
	    q->csv_flags, err) : crm_churn_base_db(db, &q->base, err);
	if (b == NULL)
		return -1;
	cpu = clock();
	if (crm_churn_fit(b, q->kind, q->fit, cm, err) < 0)
		goto done;
	done->cpu = (double)(clock() - cpu) / CLOCKS_PER_SEC;
	done->skipped = crm_churn_base_skipped(b);
	if (q->summaries != NULL)
		cm->unit_days = q->unit_given;
	if (cm->info.converged && db != NULL && q->store) {
		if (crm_db_begin(db, err) < 0)
			goto done;
		if (crm_churn_model_store(db, cm, err) < 0) {
			crm_db_rollback(db);
			goto done;
		}
		done->stored = 1;
	}
	snprintf(done->counts, sizeof(done->counts), "{\"customers\":%zu,"
	    "\"repeaters\":%zu}", cm->customers, cm->repeaters);
	rc = 0;
done:
	crm_churn_base_free(b);
	return rc;
}

int
crm_churn_score_begin(struct crm_db *db, int store, int64_t id, int kind,
    struct crm_churn_model *cm, struct crm_error *err)
{
	/*
	 * Foreign keys off while the scores are stored: each contact_id is
	 * one that an interaction or a merged contact names, read in the
	 * same write transaction (see crm_churn_score()).
	 */
	if (store && (crm_db_foreign_keys(db, 0, err) < 0 ||
	    crm_db_begin(db, err) < 0))
		return -1;
	if (crm_churn_model_load(db, id, kind, cm, err) < 0) {
		if (store)
			crm_db_rollback(db);
		return -1;
	}
	return 0;
}

const char *
crm_churn_score_counts(const struct crm_churn_score_stats *st, int64_t id,
    char *buf, size_t len)
{
	snprintf(buf, len, "{\"contacts\":%lld,\"scored\":%lld,"
	    "\"model_id\":%lld}", (long long)st->contacts,
	    (long long)st->scored, (long long)id);
	return buf;
}

int
crm_churn_score_big(const char *path)
{
	struct stat sb;

	return path != NULL && stat(path, &sb) == 0 &&
	    sb.st_size >= (off_t)16 << 20;
}

void
crm_churn_args_init(struct crm_churn_args *a)
{
#ifdef M_MMAP_THRESHOLD
	/* 1 MiB blocks and up from mmap: big arrays grow by mremap. */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
	memset(a, 0, sizeof(*a));
	a->to.seed = 1;
	a->to.test_share = 0.2;
	a->to.lambda = 1;
	a->so.horizon_days = 365;
	a->unit = 7;
}

void
crm_churn_args_free(struct crm_churn_args *a)
{
	size_t i;

	for (i = 0; i < a->ndropbuf; i++)
		free(a->dropbuf[i]);
	a->ndropbuf = 0;
}

static int
args_time(const char *name, const char *arg, int64_t *t,
    struct crm_error *err)
{
	if (crm_norm_datetime(arg, t, err) < 0)
		return crm_error_prefix(err, "%s", name);
	return 0;
}

static int
args_real(const char *name, const char *arg, double min, double max,
    double *v, struct crm_error *err)
{
	char *end;

	*v = strtod(arg, &end);
	if (*end == '%' && end[1] == '\0' && end != arg) {
		*v /= 100;
		end++;
	}
	if (end == arg || *end || !(*v >= min && *v <= max))
		return crm_error_set(err, CRM_EUSAGE, "%s: '%s' is not a "
		    "number from %g to %g", name, arg, min, max);
	return 0;
}

static int
args_num(const char *name, const char *arg, int64_t min, int64_t *v,
    struct crm_error *err)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || x < min)
		return crm_error_set(err, CRM_EUSAGE, "%s: '%s' is not a "
		    "number from %lld to %lld", name, arg, (long long)min,
		    (long long)INT64_MAX);
	*v = x;
	return 0;
}

int
crm_churn_args_opt(struct crm_churn_args *a, int ch, const char *arg,
    struct crm_error *err)
{
	char *s, *tok, *save = NULL;
	int64_t v;

	if (ch > 0 && ch < 128)
		a->seen[ch] = 1;
	switch (ch) {
	case 'A': return args_time("--as-of", arg, &a->so.as_of, err);
	case 'b':
		if ((a->by = crm_churn_by(arg)) < 0)
			return crm_error_set(err, CRM_EUSAGE, "--by: unknown "
			    "report '%s'", arg);
		return 0;
	case 'C':
		if (strlen(arg) != 3)
			return crm_error_set(err, CRM_EUSAGE, "--currency: '%s'"
			    " is not a currency code (EUR, USD, ...)", arg);
		a->currency = arg;
		return 0;
	case 'c': return args_time("--calibration-end", arg, &a->calend, err);
	case 'D':
		return args_real("--discount", arg, 0, 10, &a->so.discount,
		    err);
	case 'e': return args_time("--holdout-end", arg, &a->hold, err);
	case 'H':
		if (crm_norm_days(arg, &a->so.horizon_days, err) < 0 ||
		    a->so.horizon_days < 1 || a->so.horizon_days > 36500)
			return crm_error_set(err, CRM_EUSAGE, "--horizon: '%s' "
			    "is not a number of days from 1 to 36500 (90d, "
			    "12w, 6m, 1y)", arg);
		return 0;
	case 'i': a->to.id = arg; return 0;
	case 'L':
		return args_real("--lambda", arg, 0, 1e9, &a->to.lambda, err);
	case 'l': a->to.label = arg; return 0;
	case 'm':
		if (strcmp(arg, "logit") == 0)
			a->kind = -1;
		else if ((a->kind = crm_churn_kind(arg)) == 0)
			return args_num("--model", arg, 1, &a->modelid, err);
		return 0;
	case 'n': a->dry = 1; return 0;
	case 'S': a->summaries = arg; return 0;
	case 's':
		if (args_num("--seed", arg, 0, &v, err) < 0)
			return -1;
		a->to.seed = (uint64_t)v;
		return 0;
	case 'T':
		return args_real("--test-share", arg, 0, 0.9,
		    &a->to.test_share, err);
	case 'u':
		if (strcmp(arg, "day") != 0 && strcmp(arg, "week") != 0)
			return crm_error_set(err, CRM_EUSAGE, "--unit: '%s' is "
			    "not day or week", arg);
		a->unit = arg[0] == 'd' ? 1 : 7;
		return 0;
	case 'x':
		if (a->ndropbuf == 64 || (s = strdup(arg)) == NULL)
			return crm_error_set(err, CRM_EUSAGE, "--drop: too many"
			    " columns");
		a->dropbuf[a->ndropbuf++] = s;
		for (tok = strtok_r(s, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			if (a->ndrop == 64)
				return crm_error_set(err, CRM_EUSAGE, "--drop: "
				    "too many columns");
			a->drop[a->ndrop++] = tok;
		}
		a->to.drop = a->drop;
		a->to.ndrop = a->ndrop;
		return 0;
	default:
		return 1;
	}
}

/* The long name of option val. */
static const char *
optname(const struct option *lo, int val)
{
	size_t i;

	for (i = 0; lo[i].name != NULL; i++)
		if (lo[i].val == val)
			return lo[i].name;
	return "?";
}

int
crm_churn_args_check(const struct crm_churn_args *a, const char *name,
    const char *opts, int model, const struct option *longopts,
    struct crm_error *err)
{
	int ch;

	for (ch = 'A'; ch < 128; ch++)
		if (a->seen[ch] && strchr("dfhqtV", ch) == NULL &&
		    strchr(opts, ch) == NULL)
			return crm_error_set(err, CRM_EUSAGE, "%s does not take "
			    "--%s", name, optname(longopts, ch));
	if (a->seen['m'] && ((model == 'k' && a->kind <= 0) ||
	    (model == 'l' && a->kind > 0) || (model == 'b' && a->kind < 0)))
		return crm_error_set(err, CRM_EUSAGE, "%s: --model: a %s", name,
		    model == 'k' ? "kind, bgnbd or pareto" : model == 'l' ?
		    "logit model (its number)" :
		    "BG/NBD or Pareto/NBD model: bgnbd, pareto or a number");
	if (strcmp(name, "fit") == 0 && a->kind <= 0)
		return crm_error_set(err, CRM_EUSAGE, "fit needs --model bgnbd"
		    " or pareto");
	if (strcmp(name, "fit") == 0 && a->summaries && (a->seen['c'] ||
	    a->seen['n'] || a->currency))
		return crm_error_set(err, CRM_EUSAGE, "fit --summaries takes "
		    "no -C, -c or -n: it reads no database and stores nothing");
	if (strcmp(name, "eval") == 0 && a->hold == 0)
		return crm_error_set(err, CRM_EUSAGE, "eval needs "
		    "--holdout-end");
	if (strcmp(name, "eval") == 0 && a->by == CRM_CHURN_BY_DECILE)
		return crm_error_set(err, CRM_EUSAGE, "eval reports by total, "
		    "customer, week or frequency");
	if (strcmp(name, "train") == 0 && a->to.label == NULL)
		return crm_error_set(err, CRM_EUSAGE, "train needs --label");
	if (strcmp(name, "train") == 0 && a->by != CRM_CHURN_BY_TOTAL &&
	    a->by != CRM_CHURN_BY_DECILE)
		return crm_error_set(err, CRM_EUSAGE, "train reports by total "
		    "or decile");
	return 0;
}

/* ------------------------------------------------------------------ */
/* What each command says on standard error, a line at a time */

static void
say(crm_churn_note_fn *note, void *arg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(crm_churn_note_fn *note, void *arg, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	note(arg, line);
}

const char *
crm_churn_progress_text(const struct crm_clv_progress *p, char *buf,
    size_t len)
{
	snprintf(buf, len, "iterations of %s, log-likelihood %.4f%s",
	    p->model, p->loglik, p->slow ? "; not converging yet" : "");
	return buf;
}

/* Both log-likelihoods, so that the user can compare. */
static void
both(crm_churn_note_fn *note, void *arg, const char *what,
    const struct crm_clv_fit_info *in, const char *full)
{
	if (isfinite(in->full_loglik) && isfinite(in->limit_loglik))
		say(note, arg, "%s: log-likelihood %.4f as %s, %.4f as its "
		    "limit%s", what, in->full_loglik, full, in->limit_loglik,
		    in->limit ? " (the full estimate ran off to it): the limit"
		    " is kept" : "");
}

void
crm_churn_fit_notes(const struct crm_churn_model *cm,
    const struct crm_churn_fit_done *dn, const struct crm_churn_args *a,
    int quiet, int stored_db, crm_churn_note_fn *note, void *arg)
{
	char id[64];

	if (!cm->info.converged) {
		say(note, arg, "%s fit did not converge in %d iterations%s",
		    crm_clv_model_name(&cm->m), cm->info.iterations,
		    stored_db ? "; model not stored" : "");
		return;
	}
	/* Said even with -q: the spend model saw only part of the history. */
	if (cm->other_currency)
		say(note, arg, "%zu purchase%s in other currencies than %s left"
		    " out: no rates to convert them (crm-segment rates FILE)",
		    cm->other_currency, cm->other_currency == 1 ? "" : "s",
		    cm->currency);
	if (quiet)
		return;
	if (cm->converted)
		say(note, arg, "%zu purchase%s converted to %s at the rate of"
		    " %s day", cm->converted, cm->converted == 1 ? "" : "s",
		    cm->currency, cm->converted == 1 ? "its" : "their");
	if (a->summaries && dn->skipped)
		say(note, arg, "%zu rows without purchases skipped",
		    dn->skipped);
	if (cm->new_customers)
		say(note, arg, "%zu customers whose first purchase is on the "
		    "last day left out of the fit", cm->new_customers);
	both(note, arg, "purchases", &cm->info, cm->m.kind == CRM_CLV_BGNBD ?
	    "BG/NBD" : "Pareto/NBD");
	if (cm->has_spend)
		both(note, arg, "spend", &cm->gg_info, "Gamma-Gamma");
	else
		say(note, arg, "no spend model: %s; expected spend and CLV "
		    "will not be available", cm->spend_err.msg);
	snprintf(id, sizeof(id), "; model %lld", (long long)cm->id);
	say(note, arg, "%s: %zu customers, %zu repeat buyers, log-likelihood "
	    "%.2f, %d iterations, %.2f s of CPU%s", crm_clv_model_name(&cm->m),
	    cm->customers, cm->repeaters, cm->info.loglik,
	    cm->info.iterations, dn->cpu, cm->id ? id : a->dry ?
	    " (dry run: not stored)" : "");
}

void
crm_churn_score_notes(const struct crm_churn_model *cm,
    const struct crm_churn_score_stats *st, const struct crm_churn_args *a,
    crm_churn_note_fn *note, void *arg)
{
	say(note, arg, "%lld %s, %lld scored with model %lld over %lld "
	    "%s, %lld without purchases%s", (long long)st->contacts,
	    crm_num_word(st->contacts, "contact", "contacts"),
	    (long long)st->scored, (long long)cm->id,
	    (long long)a->so.horizon_days,
	    crm_num_word(a->so.horizon_days, "day", "days"),
	    (long long)(st->contacts - st->scored), a->dry ?
	    " (dry run: nothing stored)" : "");
	if (!cm->has_spend && st->scored > 0)
		say(note, arg, "model %lld has no spend model: expected spend "
		    "and CLV not available", (long long)cm->id);
}

void
crm_churn_eval_note(const struct crm_churn_model *cm,
    const struct crm_churn_eval *ev, crm_churn_note_fn *note, void *arg)
{
	say(note, arg, "model %lld, %lld-day holdout: %.0f repeat purchases, "
	    "%.1f expected (%+.1f%%)", (long long)cm->id,
	    (long long)ev->holdout_days, ev->actual, ev->expected,
	    ev->actual > 0 ? 100 * (ev->expected - ev->actual) / ev->actual :
	    0);
}

void
crm_churn_train_notes(const struct crm_churn_train_result *res,
    const struct crm_churn_args *a, int quiet, crm_churn_note_fn *note,
    void *arg)
{
	if (!res->has_metrics && a->to.test_share > 0)
		say(note, arg, "no hold-out metrics: the %zu held-out rows are"
		    " all of one class", res->test);
	if (!res->converged)
		say(note, arg, "the fit did not converge in %d iterations",
		    res->iterations);
	if (!quiet && res->has_metrics)
		say(note, arg, "%zu %s, %zu held out: AUC %.4f, accuracy "
		    "%.4f%s", res->rows, crm_num_word((int64_t)res->rows,
		    "row", "rows"), res->test, res->auc, res->accuracy,
		    a->dry ? " (dry run: not stored)" : "");
}
