#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "churn-int.h"
#include "hash.h"
#include "mem.h"
#include "norm.h"
#include "stats.h"

int
crm_churn_by(const char *s)
{
	static const char *const names[] = { "total", "customer", "week",
	    "frequency", "decile" };
	int i;

	for (i = 0; i < 5; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static int
int64_cmp(const void *pa, const void *pb)
{
	int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;

	return a < b ? -1 : a > b;
}

static double
pct(double got, double want)
{
	return want != 0 ? 100 * (got - want) / want : 0;
}

/* Weekly tracking of cumulative repeat purchases, written when o != NULL. */
static int
tracking(const struct crm_churn_model *cm, struct crm_churn_base *b,
    struct crm_out *o, struct crm_churn_eval *ev, int64_t *weeks,
    struct crm_error *err)
{
	static const char *const names[] = { "week", "end", "actual",
	    "expected", "actual_cumulative", "expected_cumulative" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM };
	int64_t day0 = INT64_MAX, span, w, nw, f;
	double *enew = NULL, *cohort = NULL, prev = 0;
	size_t i, r = 0;
	long cum = 0;
	int rc = -1;

	for (i = 0; i < b->n; i++)
		if (b->first[i] < day0)
			day0 = b->first[i];
	span = b->hold_day - day0 + 1;
	if (span > 365 * 200)
		return crm_error_set(err, CRM_EDATA, "purchases span more than"
		    " 200 years");
	enew = calloc((size_t)span, sizeof(*enew));
	cohort = calloc((size_t)span, sizeof(*cohort));
	if (enew == NULL || cohort == NULL) {
		oom(err);
		goto done;
	}
	for (w = 1; w < span; w++)
		if (crm_clv_expected_new(&cm->m, (double)w / b->unit_days,
		    &enew[w], err) < 0 || !isfinite(enew[w]))
			goto done;
	for (i = 0; i < b->n; i++)
		cohort[b->first[i] - day0] += 1;
	qsort(b->rep, b->nrep, sizeof(*b->rep), int64_cmp);
	nw = (span + 6) / 7;
	*weeks = nw;
	if (o != NULL && crm_out_header(o, names, types, 6, err) < 0)
		goto done;
	for (w = 1; w <= nw; w++) {
		int64_t end = day0 + 7 * w - 1, n = 0;
		double ex = 0;
		char buf[6][40];
		const char *vals[6];
		int k;

		if (end > b->hold_day)
			end = b->hold_day;
		while (r < b->nrep && b->rep[r] <= end) {
			r++;
			n++;
		}
		cum += n;
		for (f = day0; f <= end; f++)
			ex += cohort[f - day0] * enew[end - f];
		if (o == NULL) {
			prev = ex;
			continue;
		}
		snprintf(buf[0], 40, "%lld", (long long)w);
		churn_date_str(end * 86400, buf[1]);
		snprintf(buf[2], 40, "%lld", (long long)n);
		snprintf(buf[4], 40, "%ld", cum);
		if (churn_num(buf[3], 40, 'f', 2, ex - prev, "expected", err) < 0 ||
		    churn_num(buf[5], 40, 'f', 2, ex, "expected", err) < 0)
			goto done;
		for (k = 0; k < 6; k++)
			vals[k] = buf[k];
		if (crm_out_row(o, vals, err) < 0)
			goto done;
		prev = ex;
	}
	ev->actual_cum = (double)cum;
	ev->expected_cum = prev;
	rc = 0;
done:
	free(enew);
	free(cohort);
	return rc;
}

static int
eval_customers(struct crm_db *db, const struct crm_churn_base *b,
    const double *pa, const double *e, struct crm_out *o,
    struct crm_error *err)
{
	static const char *const names[] = { "id", "external_id", "x", "t_x",
	    "T", "p_alive", "expected", "actual" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM };
	struct crm_stmt *st;
	size_t i;

	if (crm_out_header(o, names, types, 8, err) < 0)
		return -1;
	for (i = 0; i < b->n; i++) {
		char buf[8][40];
		const char *vals[8];
		int k, rc;

		if ((st = crm_db_stmt(db, "SELECT external_id FROM contacts"
		    " WHERE id = ?1", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, b->id[i], err) < 0 ||
		    (rc = crm_db_step(db, st, err)) < 0)
			return -1;
		snprintf(buf[0], 40, "%lld", (long long)b->id[i]);
		snprintf(buf[1], 40, "%s", rc == 1 && crm_db_col_text(st, 0) ?
		    crm_db_col_text(st, 0) : "");
		crm_db_reset(st);
		snprintf(buf[2], 40, "%ld", b->c[i].x);
		snprintf(buf[7], 40, "%ld", b->hold[i]);
		if (churn_num(buf[3], 40, 'g', 6, b->c[i].t_x, "t_x", err) < 0 ||
		    churn_num(buf[4], 40, 'g', 6, b->c[i].T, "T", err) < 0 ||
		    churn_num(buf[5], 40, 'f', 6, pa[i], "p_alive", err) < 0 ||
		    churn_num(buf[6], 40, 'f', 4, e[i], "expected", err) < 0)
			return -1;
		for (k = 0; k < 8; k++)
			vals[k] = buf[k];
		if (buf[1][0] == '\0')
			vals[1] = NULL;
		if (crm_out_row(o, vals, err) < 0)
			return -1;
	}
	return 0;
}

static int
eval_frequency(const struct crm_churn_base *b, const double *e,
    struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "x", "customers", "actual_mean",
	    "expected_mean" };
	static const enum crm_coltype types[] = { CRM_COL_TEXT, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_NUM };
	double act[8] = { 0 }, ex[8] = { 0 };
	size_t cnt[8] = { 0 }, i;
	int k;

	for (i = 0; i < b->n; i++) {
		k = b->c[i].x < 7 ? (int)b->c[i].x : 7;
		cnt[k]++;
		act[k] += (double)b->hold[i];
		ex[k] += e[i];
	}
	if (crm_out_header(o, names, types, 4, err) < 0)
		return -1;
	for (k = 0; k < 8; k++) {
		char buf[4][40];
		const char *vals[4];

		if (cnt[k] == 0)
			continue;
		snprintf(buf[0], 40, k < 7 ? "%d" : "%d+", k);
		snprintf(buf[1], 40, "%zu", cnt[k]);
		if (churn_num(buf[2], 40, 'f', 4, act[k] / (double)cnt[k], "mean",
		    err) < 0 || churn_num(buf[3], 40, 'f', 4, ex[k] /
		    (double)cnt[k], "mean", err) < 0)
			return -1;
		for (i = 0; i < 4; i++)
			vals[i] = buf[i];
		if (crm_out_row(o, vals, err) < 0)
			return -1;
	}
	return 0;
}

int
crm_churn_eval(struct crm_db *db, const struct crm_churn_model *cm,
    int64_t holdout_end, int by, struct crm_out *o,
    struct crm_churn_eval *evp, struct crm_error *err)
{
	static const char *const names[] = { "model_id", "customers",
	    "holdout_days", "actual", "expected", "error_pct", "correlation",
	    "mae", "weeks", "actual_cumulative", "expected_cumulative",
	    "cumulative_error_pct" };
	enum { N = sizeof(names) / sizeof(names[0]) };
	struct crm_churn_base_opts bo;
	struct crm_churn_base *b;
	struct crm_churn_eval ev;
	enum crm_coltype types[N];
	double *pa = NULL, *e = NULL, *act = NULL;
	int64_t weeks = 0;
	size_t i;
	int rc = -1;

	memset(&ev, 0, sizeof(ev));
	memset(&bo, 0, sizeof(bo));
	bo.cal_end = cm->cal_end;
	bo.holdout_end = holdout_end;
	bo.unit_days = cm->unit_days;
	bo.currency = cm->currency[0] ? cm->currency : NULL;
	if (cm->cal_end == 0)
		return crm_error_set(err, CRM_EDATA, "model %lld has no"
		    " calibration end", (long long)cm->id);
	if ((b = crm_churn_base_db(db, &bo, err)) == NULL)
		return -1;
	pa = calloc(b->n, sizeof(*pa));
	e = calloc(b->n, sizeof(*e));
	act = calloc(b->n, sizeof(*act));
	if (pa == NULL || e == NULL || act == NULL) {
		oom(err);
		goto done;
	}
	ev.customers = b->n;
	ev.holdout_days = b->hold_day - b->cal_day;
	if (churn_predict_all(cm, b, (double)ev.holdout_days / b->unit_days, 1, 0,
	    pa, e, NULL, err) < 0)
		goto done;
	for (i = 0; i < b->n; i++) {
		act[i] = (double)b->hold[i];
		ev.actual += act[i];
		ev.expected += e[i];
		ev.mae += fabs(e[i] - act[i]);
	}
	ev.mae /= (double)b->n;
	ev.has_corr = crm_stats_pearson(e, act, b->n, &ev.corr, NULL) == 0 &&
	    isfinite(ev.corr);
	if (tracking(cm, b, by == CRM_CHURN_BY_WEEK ? o : NULL, &ev, &weeks,
	    err) < 0)
		goto done;
	if (by == CRM_CHURN_BY_CUSTOMER) {
		if (eval_customers(db, b, pa, e, o, err) < 0)
			goto done;
	} else if (by == CRM_CHURN_BY_FREQUENCY) {
		if (eval_frequency(b, e, o, err) < 0)
			goto done;
	} else if (by == CRM_CHURN_BY_TOTAL) {
		char buf[N][40];
		const char *vals[N];

		for (i = 0; i < N; i++) {
			types[i] = CRM_COL_NUM;
			vals[i] = buf[i];
		}
		snprintf(buf[0], 40, "%lld", (long long)cm->id);
		snprintf(buf[1], 40, "%zu", ev.customers);
		snprintf(buf[2], 40, "%lld", (long long)ev.holdout_days);
		snprintf(buf[3], 40, "%.0f", ev.actual);
		snprintf(buf[8], 40, "%lld", (long long)weeks);
		snprintf(buf[9], 40, "%.0f", ev.actual_cum);
		if (churn_num(buf[4], 40, 'f', 2, ev.expected, "expected", err) < 0 ||
		    churn_num(buf[5], 40, 'f', 2, pct(ev.expected, ev.actual),
		    "error", err) < 0 ||
		    churn_num(buf[6], 40, 'f', 4, ev.has_corr ? ev.corr : 0,
		    "correlation", err) < 0 ||
		    churn_num(buf[7], 40, 'f', 4, ev.mae, "mae", err) < 0 ||
		    churn_num(buf[10], 40, 'f', 2, ev.expected_cum, "expected",
		    err) < 0 ||
		    churn_num(buf[11], 40, 'f', 2, pct(ev.expected_cum,
		    ev.actual_cum), "error", err) < 0)
			goto done;
		if (!ev.has_corr)
			vals[6] = NULL;
		if (crm_out_header(o, names, types, N, err) < 0 ||
		    crm_out_row(o, vals, err) < 0)
			goto done;
	} else if (by != CRM_CHURN_BY_WEEK) {
		crm_error_set(err, CRM_EUSAGE, "eval reports by total,"
		    " customer, week or frequency");
		goto done;
	}
	if (evp != NULL)
		*evp = ev;
	rc = 0;
done:
	free(pa);
	free(e);
	free(act);
	crm_churn_base_free(b);
	return rc;
}

