/*
 * deal-out.c - the analyses of deal-report.c and deal-forecast.c written
 * as CSV, TSV, JSON lines or a table: the one place their numbers become
 * text.  Amounts to the cent, shares to four places, days to one.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "deal-int.h"
#include "norm.h"

struct w {
	struct crm_out *o;
	struct crm_error *err;
	const void *opts;
	char buf[16][48];
	const char *vals[16];
};

static const char *
num(struct w *w, int i, int prec, double v)
{
	if (isnan(v))
		return NULL;
	snprintf(w->buf[i], sizeof(w->buf[i]), "%.*f", prec, v);
	return w->buf[i];
}

static const char *
inum(struct w *w, int i, int64_t v)
{
	snprintf(w->buf[i], sizeof(w->buf[i]), "%lld", (long long)v);
	return w->buf[i];
}

static int
header(struct w *w, const char *const *names, const enum crm_coltype *types,
    size_t n)
{
	return crm_out_header(w->o, names, types, n, w->err) < 0 ? -1 : 0;
}

#define T CRM_COL_TEXT
#define N CRM_COL_NUM

/* The pipeline */

static int
pipeline_row(void *arg, const struct crm_deal_pipeline_row *r)
{
	struct w *w = arg;
	const struct crm_deal_pipeline_opts *o = w->opts;
	int i = 0;

	if (o->by == CRM_DEAL_BY_STAGE)
		w->vals[i++] = r->pipeline;
	w->vals[i++] = r->key;
	w->vals[i++] = r->currency;
	w->vals[i] = inum(w, i, r->count), i++;
	w->vals[i] = num(w, i, 2, r->amount), i++;
	w->vals[i] = num(w, i, 2, r->weighted), i++;
	w->vals[i] = num(w, i, 1, r->age_days), i++;
	w->vals[i] = inum(w, i, r->stale), i++;
	w->vals[i] = inum(w, i, r->overdue), i++;
	return crm_out_row(w->o, w->vals, w->err);
}

int
crm_deal_pipeline_write(struct crm_db *db,
    const struct crm_deal_pipeline_opts *opts, struct crm_out *o,
    struct crm_error *err)
{
	static const char *const names[] = { "pipeline", "stage", "currency",
	    "deals", "amount", "weighted", "age_days", "stale", "overdue" };
	static const enum crm_coltype types[] = { T, T, T, N, N, N, N, N, N };
	struct w w = { o, err, opts, { { 0 } }, { 0 } };
	const char *nm[9];
	int skip = opts->by == CRM_DEAL_BY_STAGE ? 0 : 1;

	memcpy(nm, names, sizeof(nm));
	nm[1] = opts->by == CRM_DEAL_BY_OWNER ? "owner" :
	    opts->by == CRM_DEAL_BY_MONTH ? "month" : "stage";
	if (header(&w, nm + skip, types + skip, 9 - (size_t)skip) < 0)
		return -1;
	return crm_deal_pipeline_each(db, opts, pipeline_row, &w, err) ? -1 :
	    0;
}

/* The forecast */

static int
forecast_row(void *arg, const struct crm_deal_forecast_row *r)
{
	struct w *w = arg;
	const struct crm_deal_forecast_opts *o = w->opts;
	char d[11];
	int i = 0;

	w->vals[i++] = r->label;
	crm_format_date(r->start, d);
	snprintf(w->buf[i], sizeof(w->buf[i]), "%s", d);
	w->vals[i] = w->buf[i], i++;
	w->vals[i++] = r->currency;
	w->vals[i] = inum(w, i, r->open), i++;
	if (!o->backtest)
		w->vals[i] = num(w, i, 2, r->won), i++;
	w->vals[i] = num(w, i, 2, r->committed), i++;
	w->vals[i] = num(w, i, 2, r->best_case), i++;
	w->vals[i] = num(w, i, 2, r->weighted), i++;
	w->vals[i] = num(w, i, 2, r->weighted_low), i++;
	w->vals[i] = num(w, i, 2, r->weighted_high), i++;
	if (o->with_customers) {
		w->vals[i] = num(w, i, 2, r->customers), i++;
		w->vals[i] = num(w, i, 2, r->total), i++;
	}
	if (o->backtest) {
		w->vals[i] = num(w, i, 2, r->actual), i++;
		w->vals[i] = num(w, i, 4, r->weighted > 0 ?
		    (r->actual - r->weighted) / r->weighted : NAN), i++;
	}
	return crm_out_row(w->o, w->vals, w->err);
}

int
crm_deal_forecast_write(struct crm_db *db,
    const struct crm_deal_forecast_opts *opts, struct crm_out *o,
    struct crm_error *err)
{
	const char *names[16];
	enum crm_coltype types[16];
	struct w w = { o, err, opts, { { 0 } }, { 0 } };
	size_t n = 0;

#define COL(s, t) (names[n] = (s), types[n++] = (t))
	COL("period", T);
	COL("start", T);
	COL("currency", T);
	COL("open_deals", N);
	if (!opts->backtest)
		COL("won", N);
	COL("committed", N);
	COL("best_case", N);
	COL("weighted", N);
	COL("weighted_low", N);
	COL("weighted_high", N);
	if (opts->with_customers) {
		COL("customers", N);
		COL("total", N);
	}
	if (opts->backtest) {
		COL("actual", N);
		COL("error", N);
	}
#undef COL
	if (header(&w, names, types, n) < 0)
		return -1;
	return crm_deal_forecast_each(db, opts, forecast_row, &w, err) ? -1 :
	    0;
}

/* Learnt probabilities */

static int
prob_row(void *arg, const struct crm_deal_stage_prob *p)
{
	struct w *w = arg;

	w->vals[0] = p->pipeline;
	w->vals[1] = p->stage;
	w->vals[2] = inum(w, 2, p->n);
	w->vals[3] = inum(w, 3, p->won);
	w->vals[4] = num(w, 4, 4, p->configured);
	w->vals[5] = p->n ? num(w, 5, 4, p->learnt) : NULL;
	w->vals[6] = p->n ? num(w, 6, 4, p->low) : NULL;
	w->vals[7] = p->n ? num(w, 7, 4, p->high) : NULL;
	return crm_out_row(w->o, w->vals, w->err);
}

int
crm_deal_probabilities_write(struct crm_db *db, const char *pipeline,
    double confidence, struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "pipeline", "stage", "closed",
	    "won", "configured", "learnt", "low", "high" };
	static const enum crm_coltype types[] = { T, T, N, N, N, N, N, N };
	struct w w = { o, err, NULL, { { 0 } }, { 0 } };

	if (header(&w, names, types, 8) < 0)
		return -1;
	return crm_deal_probabilities_each(db, pipeline, confidence, prob_row,
	    &w, err) ? -1 : 0;
}

/* Statistics */

static int
stats_row(void *arg, const struct crm_deal_stats_row *r)
{
	struct w *w = arg;
	const struct crm_deal_stats_opts *o = w->opts;
	int i = 0;

	if (o->by != CRM_DEAL_BY_TOTAL)
		w->vals[i++] = r->key;
	w->vals[i++] = r->currency;
	w->vals[i] = inum(w, i, r->won), i++;
	w->vals[i] = inum(w, i, r->lost), i++;
	w->vals[i] = num(w, i, 4, r->win_rate), i++;
	w->vals[i] = num(w, i, 2, r->won_amount), i++;
	w->vals[i] = num(w, i, 2, r->lost_amount), i++;
	w->vals[i] = num(w, i, 4, r->value_win_rate), i++;
	w->vals[i] = num(w, i, 2, r->avg_won), i++;
	w->vals[i] = num(w, i, 1, r->cycle_days), i++;
	return crm_out_row(w->o, w->vals, w->err);
}

int
crm_deal_stats_write(struct crm_db *db, const struct crm_deal_stats_opts *opts,
    struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "key", "currency", "won", "lost",
	    "win_rate", "won_amount", "lost_amount", "value_win_rate",
	    "avg_won", "cycle_days" };
	static const enum crm_coltype types[] = { T, T, N, N, N, N, N, N, N,
	    N };
	struct w w = { o, err, opts, { { 0 } }, { 0 } };
	const char *nm[10];
	int skip = opts->by == CRM_DEAL_BY_TOTAL;

	memcpy(nm, names, sizeof(nm));
	nm[0] = opts->by == CRM_DEAL_BY_OWNER ? "owner" : "source";
	if (header(&w, nm + skip, types + skip, 10 - (size_t)skip) < 0)
		return -1;
	return crm_deal_stats_each(db, opts, stats_row, &w, err) ? -1 : 0;
}

/* The funnel */

static int
funnel_row(void *arg, const struct crm_deal_funnel_row *r)
{
	struct w *w = arg;
	const struct crm_deal_stats_opts *o = w->opts;
	int i = 0;

	if (o->by != CRM_DEAL_BY_TOTAL)
		w->vals[i++] = r->key;
	w->vals[i++] = r->pipeline;
	w->vals[i] = inum(w, i, r->position), i++;
	w->vals[i++] = r->stage;
	w->vals[i] = inum(w, i, r->reached), i++;
	w->vals[i] = num(w, i, 4, r->conversion), i++;
	w->vals[i] = inum(w, i, r->left), i++;
	w->vals[i] = num(w, i, 1, r->days_in_stage), i++;
	return crm_out_row(w->o, w->vals, w->err);
}

int
crm_deal_funnel_write(struct crm_db *db,
    const struct crm_deal_stats_opts *opts, struct crm_out *o,
    struct crm_error *err)
{
	static const char *const names[] = { "key", "pipeline", "position",
	    "stage", "reached", "conversion", "left", "days_in_stage" };
	static const enum crm_coltype types[] = { T, T, N, T, N, N, N, N };
	struct w w = { o, err, opts, { { 0 } }, { 0 } };
	const char *nm[8];
	int skip = opts->by == CRM_DEAL_BY_TOTAL;

	memcpy(nm, names, sizeof(nm));
	nm[0] = opts->by == CRM_DEAL_BY_OWNER ? "owner" : "source";
	if (header(&w, nm + skip, types + skip, 8 - (size_t)skip) < 0)
		return -1;
	return crm_deal_funnel_each(db, opts, funnel_row, &w, err) ? -1 : 0;
}

/* Stale deals */

int
crm_deal_stale_write(struct crm_db *db,
    const struct crm_deal_pipeline_opts *opts, struct crm_out *o,
    struct crm_error *err)
{
	static const char *const names[] = { "ref", "title", "owner",
	    "pipeline", "stage", "amount", "currency", "close_date",
	    "days_since_change", "reason" };
	static const enum crm_coltype types[] = { T, T, T, T, T, N, T, T, N,
	    T };
	struct w w = { o, err, opts, { { 0 } }, { 0 } };
	struct crm_stmt *st;
	int64_t now = opts->as_of ? opts->as_of : crm_now();
	int64_t stale = opts->stale_days > 0 ? opts->stale_days : 30;
	char d[11];
	int rc, old, late;

	if (header(&w, names, types, 10) < 0 ||
	    (st = crm_db_stmt(db, "SELECT d.ref, d.title, d.owner, p.name,"
	    " s.name, d.amount, d.currency, d.close_at, d.changed_at"
	    " FROM deals d JOIN deal_stages s ON s.id = d.stage_id"
	    " JOIN pipelines p ON p.id = d.pipeline_id"
	    " WHERE s.outcome = 'open' AND (?3 IS NULL OR p.name = ?3)"
	    " AND (d.changed_at <= ?1 - ?2 * 86400 OR d.close_at < ?4)"
	    " ORDER BY d.owner, d.changed_at, d.ref", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, now, err) < 0 ||
	    crm_db_bind_int(db, st, 2, stale, err) < 0 ||
	    crm_db_bind_text(db, st, 3, opts->pipeline, err) < 0 ||
	    crm_db_bind_int(db, st, 4, deal_day(now), err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		int k;

		for (k = 0; k < 5; k++)
			w.vals[k] = crm_db_col_text(st, k);
		w.vals[5] = crm_db_col_isnull(st, 5) ? NULL :
		    num(&w, 5, 2, crm_db_col_double(st, 5));
		w.vals[6] = crm_db_col_text(st, 6);
		w.vals[7] = NULL;
		if (!crm_db_col_isnull(st, 7)) {
			crm_format_date(crm_db_col_int(st, 7), d);
			snprintf(w.buf[7], sizeof(w.buf[7]), "%s", d);
			w.vals[7] = w.buf[7];
		}
		w.vals[8] = inum(&w, 8, (now - crm_db_col_int(st, 8)) / 86400);
		old = now - crm_db_col_int(st, 8) >= stale * 86400;
		late = !crm_db_col_isnull(st, 7) &&
		    crm_db_col_int(st, 7) < deal_day(now);
		w.vals[9] = old && late ? "no change; close date passed" :
		    old ? "no change" : "close date passed";
		if (crm_out_row(o, w.vals, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	return rc < 0 ? -1 : 0;
}
