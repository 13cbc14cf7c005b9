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

/* ------------------------------------------------------------------ */
/* Fitting and storing */

int
crm_churn_kind(const char *name)
{
	if (strcmp(name, "bgnbd") == 0)
		return CRM_CLV_BGNBD;
	if (strcmp(name, "pareto") == 0)
		return CRM_CLV_PARETO;
	return 0;
}

const char *
crm_churn_kind_name(int kind)
{
	return kind == CRM_CLV_BGNBD ? "bgnbd" : kind == CRM_CLV_PARETO ?
	    "pareto" : "?";
}

static const char *
kind_title(int kind)
{
	return kind == CRM_CLV_BGNBD ? "BG/NBD" : "Pareto/NBD";
}

static void
fit_spend(const struct crm_churn_base *b, const struct crm_clv_fit_opts *fo,
    struct crm_churn_model *cm)
{
	struct crm_clv_customer *s;
	double *x, *z;
	size_t i, n = 0, m = 0;

	crm_error_clear(&cm->spend_err);
	for (i = 0; i < b->n; i++)
		m += b->c[i].x > 0 && b->c[i].T > 0 && b->c[i].zbar > 0;
	if (m == 0) {
		crm_error_set(&cm->spend_err, CRM_EDATA, "no repeat buyer with"
		    " a positive spend");
		return;
	}
	s = crm_big(malloc(m * sizeof(*s)), m, sizeof(*s));
	x = crm_big(malloc(m * sizeof(*x)), m, sizeof(*x));
	z = crm_big(malloc(m * sizeof(*z)), m, sizeof(*z));
	if (s == NULL || x == NULL || z == NULL) {
		free(s);
		free(x);
		free(z);
		oom(&cm->spend_err);
		return;
	}
	for (i = 0; i < b->n; i++)
		if (b->c[i].x > 0 && b->c[i].T > 0 && b->c[i].zbar > 0) {
			s[n] = b->c[i];
			x[n] = (double)s[n].x;
			z[n] = s[n].zbar;
			n++;
		}
	if (crm_clv_gg_fit_with(s, n, fo, &cm->gg, &cm->gg_info,
	    &cm->spend_err) == 0) {
		if (cm->gg_info.converged)
			cm->has_spend = 1;
		else
			crm_error_set(&cm->spend_err, CRM_EDATA, "the"
			    " Gamma-Gamma fit did not converge in %d"
			    " iterations", cm->gg_info.iterations);
	}
	cm->has_corr = n >= 2 && crm_stats_pearson(x, z, n, &cm->spend_corr,
	    NULL) == 0 && isfinite(cm->spend_corr);
	free(s);
	free(x);
	free(z);
}

int
crm_churn_fit(const struct crm_churn_base *b, int kind,
    const struct crm_clv_fit_opts *fo, struct crm_churn_model *cm,
    struct crm_error *err)
{
	struct crm_clv_customer *copy = NULL;
	size_t i, n = 0;
	int rc;

	memset(cm, 0, sizeof(*cm));
	memcpy(cm->currency, b->currency, sizeof(cm->currency));
	cm->converted = b->converted;
	cm->other_currency = b->other;
	cm->unit_days = b->unit_days;
	cm->cal_end = b->unit_days ? b->cal_day * 86400 : 0;
	for (i = 0; i < b->n; i++) {
		if (!(b->c[i].T > 0)) {
			cm->new_customers++;
			continue;
		}
		if (b->c[i].x > 0) {
			cm->repeaters++;
			cm->repeat_purchases += b->c[i].x;
		}
	}
	n = b->n - cm->new_customers;
	cm->customers = n;
	if (n == 0 || cm->repeaters == 0)
		return crm_error_set(err, CRM_EDATA, "%s: none of the %zu"
		    " customers made a repeat purchase (%zu more bought first"
		    " on the last day): the model cannot be fitted",
		    kind_title(kind), n, cm->new_customers);
	/* A copy without the new customers only when there are some. */
	if (cm->new_customers > 0) {
		if ((copy = crm_big_calloc(n, sizeof(*copy))) == NULL)
			return oom(err);
		for (i = 0, n = 0; i < b->n; i++)
			if (b->c[i].T > 0)
				copy[n++] = b->c[i];
	}
	rc = crm_clv_fit_with(kind, copy ? copy : b->c, n, fo, &cm->m,
	    &cm->info, err);
	free(copy);
	if (rc < 0)
		return crm_error_prefix(err, "%zu customers, %zu repeat buyers,"
		    " %ld repeat purchases", cm->customers, cm->repeaters,
		    cm->repeat_purchases);
	fit_spend(b, fo, cm);
	return 0;
}

/* ,"key":v when v is finite. */
static int
jll(struct crm_buf *p, const char *key, double v, struct crm_error *err)
{
	if (!isfinite(v))
		return 0;
	return crm_buf_addf(p, err, ",\"%s\":%.17g", key, v);
}

int
crm_churn_model_store(struct crm_db *db, struct crm_churn_model *cm,
    struct crm_error *err)
{
	struct crm_buf p = CRM_BUF_INIT(1 << 16);
	struct crm_stmt *st;
	int bg = cm->m.kind == CRM_CLV_BGNBD, rc = -1;

	if (cm->m.limit ? crm_buf_addf(&p, err, "{\"r\":%.17g,\"alpha\":%.17g,"
	    "\"%s\":%.17g,\"limit\":true", cm->m.r, cm->m.alpha,
	    bg ? "p" : "mu", cm->m.a) < 0 : crm_buf_addf(&p, err, "{\"r\":%.17g,"
	    "\"alpha\":%.17g,\"%s\":%.17g,\"%s\":%.17g", cm->m.r, cm->m.alpha,
	    bg ? "a" : "s", cm->m.a, bg ? "b" : "beta", cm->m.b) < 0)
		goto done;
	if (crm_buf_addf(&p, err, ",\"repeaters\":%zu,\"repeat_purchases\":%ld,"
	    "\"new_customers\":%zu,\"evaluations\":%d", cm->repeaters,
	    cm->repeat_purchases, cm->new_customers,
	    cm->info.evaluations) < 0 ||
	    jll(&p, "full_loglik", cm->info.full_loglik, err) < 0 ||
	    jll(&p, "limit_loglik", cm->info.limit_loglik, err) < 0 ||
	    (cm->currency[0] && crm_buf_addf(&p, err, ",\"currency\":\"%s\"",
	    cm->currency) < 0))
		goto done;
	if (cm->has_spend && (crm_buf_addf(&p, err, ",\"spend\":{\"p\":%.17g,"
	    "\"%s\":%.17g,\"%s\":%.17g,\"loglik\":%.17g,\"n\":%zu,"
	    "\"iterations\":%d,\"converged\":%s", cm->gg.p,
	    cm->gg.limit ? "nu" : "q", cm->gg.limit ? cm->gg.v : cm->gg.q,
	    cm->gg.limit ? "limit" : "v", cm->gg.limit ? 1.0 : cm->gg.v,
	    cm->gg_info.loglik, cm->gg_info.n,
	    cm->gg_info.iterations, cm->gg_info.converged ? "true" :
	    "false") < 0 ||
	    jll(&p, "full_loglik", cm->gg_info.full_loglik, err) < 0 ||
	    jll(&p, "limit_loglik", cm->gg_info.limit_loglik, err) < 0))
		goto done;
	if (cm->has_spend && cm->has_corr && crm_buf_addf(&p, err,
	    ",\"corr\":%.17g", cm->spend_corr) < 0)
		goto done;
	if (crm_buf_adds(&p, cm->has_spend ? "}}" : "}", err) < 0)
		goto done;
	if ((st = crm_db_stmt(db, "INSERT INTO models (kind, params, loglik,"
	    " iterations, converged, n, unit, calibration_end, fitted_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, crm_churn_kind_name(cm->m.kind),
	    err) < 0 ||
	    crm_db_bind_text(db, st, 2, crm_buf_str(&p), err) < 0 ||
	    crm_db_bind_double(db, st, 3, cm->info.loglik, err) < 0 ||
	    crm_db_bind_int(db, st, 4, cm->info.iterations, err) < 0 ||
	    crm_db_bind_int(db, st, 5, cm->info.converged, err) < 0 ||
	    crm_db_bind_int(db, st, 6, (int64_t)cm->customers, err) < 0 ||
	    crm_db_bind_text(db, st, 7, cm->unit_days == 7 ? "week" : "day",
	    err) < 0 ||
	    crm_db_bind_int(db, st, 8, cm->cal_end, err) < 0 ||
	    crm_db_bind_int(db, st, 9, crm_now(), err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		goto done;
	cm->id = crm_db_last_id(db);
	rc = 0;
done:
	crm_buf_release(&p);
	return rc;
}

double
churn_coldbl(struct crm_stmt *st, int i, int *null)
{
	if (crm_db_col_isnull(st, i)) {
		*null = 1;
		return 0;
	}
	return crm_db_col_double(st, i);
}

int
crm_churn_model_load(struct crm_db *db, int64_t id, int kind,
    struct crm_churn_model *cm, struct crm_error *err)
{
	struct crm_stmt *st;
	const char *k, *unit;
	int rc, nul = 0, snul = 0, cnul = 0, lnul = 0;

	memset(cm, 0, sizeof(*cm));
	if ((st = crm_db_stmt(db, "SELECT id, kind, loglik, iterations,"
	    " converged, n, unit, calibration_end,"
	    " json_extract(params, '$.r'), json_extract(params, '$.alpha'),"
	    " coalesce(json_extract(params, '$.a'),"
	    "  json_extract(params, '$.s')),"
	    " coalesce(json_extract(params, '$.b'),"
	    "  json_extract(params, '$.beta')),"
	    " json_extract(params, '$.repeaters'),"
	    " json_extract(params, '$.repeat_purchases'),"
	    " json_extract(params, '$.new_customers'),"
	    " json_extract(params, '$.spend.p'),"
	    " json_extract(params, '$.spend.q'),"
	    " json_extract(params, '$.spend.v'),"
	    " json_extract(params, '$.spend.loglik'),"
	    " json_extract(params, '$.spend.n'),"
	    " json_extract(params, '$.spend.iterations'),"
	    " json_extract(params, '$.spend.converged'),"
	    " json_extract(params, '$.spend.corr'),"
	    " json_extract(params, '$.limit'),"
	    " coalesce(json_extract(params, '$.p'),"
	    "  json_extract(params, '$.mu')),"
	    " json_extract(params, '$.spend.nu'),"
	    " json_extract(params, '$.full_loglik'),"
	    " json_extract(params, '$.limit_loglik'),"
	    " json_extract(params, '$.spend.full_loglik'),"
	    " json_extract(params, '$.spend.limit_loglik'),"
	    " json_extract(params, '$.currency')"
	    " FROM models WHERE CASE WHEN ?1 > 0 THEN id = ?1"
	    " WHEN ?2 IS NOT NULL THEN kind = ?2"
	    " ELSE kind = 'bgnbd' OR kind = 'pareto' END"
	    " ORDER BY id DESC LIMIT 1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_bind_text(db, st, 2, kind ? crm_churn_kind_name(kind) :
	    NULL, err) < 0)
		return -1;
	if ((rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 0) {
		if (id > 0)
			return crm_error_set(err, CRM_EDATA, "no model %lld",
			    (long long)id);
		return crm_error_set(err, CRM_EDATA, "no %s model: run"
		    " crm-churn fit first", kind ? crm_churn_kind_name(kind) :
		    "BG/NBD or Pareto/NBD");
	}
	cm->id = crm_db_col_int(st, 0);
	k = crm_db_col_text(st, 1);
	if ((cm->m.kind = crm_churn_kind(k ? k : "")) == 0) {
		crm_error_set(err, CRM_EDATA, "model %lld is a %s model, not"
		    " BG/NBD or Pareto/NBD", (long long)cm->id, k ? k : "?");
		crm_db_reset(st);
		return -1;
	}
	cm->info.loglik = churn_coldbl(st, 2, &nul);
	cm->info.iterations = crm_db_col_int(st, 3);
	cm->info.converged = crm_db_col_int(st, 4);
	cm->customers = (size_t)crm_db_col_int(st, 5);
	cm->info.n = cm->customers;
	unit = crm_db_col_text(st, 6);
	cm->unit_days = unit && strcmp(unit, "week") == 0 ? 7 :
	    unit && strcmp(unit, "day") == 0 ? 1 : 0;
	cm->cal_end = crm_db_col_int(st, 7);
	cm->m.r = churn_coldbl(st, 8, &nul);
	cm->m.alpha = churn_coldbl(st, 9, &nul);
	cm->m.a = churn_coldbl(st, 10, &nul);
	cm->m.b = churn_coldbl(st, 11, &nul);
	cm->repeaters = (size_t)crm_db_col_int(st, 12);
	cm->repeat_purchases = (long)crm_db_col_int(st, 13);
	cm->new_customers = (size_t)crm_db_col_int(st, 14);
	cm->gg.p = churn_coldbl(st, 15, &snul);
	cm->gg.q = churn_coldbl(st, 16, &snul);
	cm->gg.v = churn_coldbl(st, 17, &snul);
	cm->gg_info.loglik = churn_coldbl(st, 18, &snul);
	cm->gg_info.n = (size_t)crm_db_col_int(st, 19);
	cm->gg_info.iterations = crm_db_col_int(st, 20);
	cm->gg_info.converged = crm_db_col_int(st, 21);
	cm->spend_corr = churn_coldbl(st, 22, &cnul);
	cm->info.full_loglik = churn_coldbl(st, 26, &lnul);
	if (lnul)
		cm->info.full_loglik = NAN;
	lnul = 0;
	cm->info.limit_loglik = churn_coldbl(st, 27, &lnul);
	if (lnul)
		cm->info.limit_loglik = NAN;
	lnul = 0;
	cm->gg_info.full_loglik = churn_coldbl(st, 28, &lnul);
	if (lnul)
		cm->gg_info.full_loglik = NAN;
	lnul = 0;
	cm->gg_info.limit_loglik = churn_coldbl(st, 29, &lnul);
	if (lnul)
		cm->gg_info.limit_loglik = NAN;
	if ((k = crm_db_col_text(st, 30)) != NULL)
		snprintf(cm->currency, sizeof(cm->currency), "%s", k);
	if (crm_db_col_int(st, 23)) {
		nul = 0;	/* no a and b: p or mu instead */
		cm->m.limit = cm->info.limit = 1;
		cm->m.a = churn_coldbl(st, 24, &nul);
		cm->m.b = 0;
	}
	if (!crm_db_col_isnull(st, 25)) {
		lnul = 0;
		cm->gg.limit = cm->gg_info.limit = 1;
		snul = 0;	/* no q and v: nu instead */
		cm->gg.p = churn_coldbl(st, 15, &snul);
		cm->gg.v = churn_coldbl(st, 25, &snul);
		cm->gg.q = 0;
	}
	crm_db_reset(st);
	cm->has_spend = !snul && cm->gg.p > 0 && (cm->gg.q > 0 ||
	    cm->gg.limit) && cm->gg.v > 0 &&
	    isfinite(cm->gg.p + cm->gg.q + cm->gg.v);
	cm->has_corr = cm->has_spend && !cnul;
	if (!cm->has_spend)
		crm_error_set(&cm->spend_err, CRM_EDATA, "model %lld has no"
		    " spend model", (long long)cm->id);
	if (nul || !(cm->m.r > 0 && cm->m.alpha > 0 && (cm->m.limit ?
	    cm->m.a >= 0 : cm->m.a > 0 && cm->m.b > 0)) ||
	    !isfinite(cm->m.r + cm->m.alpha + cm->m.a +
	    cm->m.b) || cm->unit_days == 0)
		return crm_error_set(err, CRM_EDATA, "model %lld: parameters"
		    " or unit missing or invalid", (long long)cm->id);
	return 0;
}

/*
 * A log-likelihood into buf and *val, if finite, with 9 decimals: enough
 * to compare the two models, or with another program.
 */
static int
optll(char *buf, double v, const char **val, struct crm_error *err)
{
	if (!isfinite(v))
		return 0;
	if (churn_num(buf, 40, 'f', 9, v, "log-likelihood", err) < 0)
		return -1;
	*val = buf;
	return 0;
}

int
crm_churn_model_write(const struct crm_churn_model *cm, struct crm_out *o,
    struct crm_error *err)
{
	static const char *const names[] = { "model_id", "model", "unit",
	    "calibration_end", "customers", "repeaters", "repeat_purchases",
	    "r", "alpha", "a", "b", "s", "beta", "loglik", "iterations",
	    "converged", "p", "q", "v", "spend_loglik", "spend_corr",
	    "limit", "dropout", "full_loglik", "limit_loglik", "spend_limit",
	    "nu", "spend_full_loglik", "spend_limit_loglik", "currency" };
	enum { N = sizeof(names) / sizeof(names[0]) };
	enum crm_coltype types[N];
	char buf[N][40];
	const char *vals[N];
	int bg = cm->m.kind == CRM_CLV_BGNBD, i;

	for (i = 0; i < N; i++) {
		types[i] = CRM_COL_NUM;
		vals[i] = NULL;
	}
	types[1] = types[2] = types[3] = types[21] = types[25] = CRM_COL_TEXT;
	types[29] = CRM_COL_TEXT;
	types[15] = CRM_COL_BOOL;
	if (crm_out_header(o, names, types, N, err) < 0)
		return -1;
	if (cm->id > 0) {
		snprintf(buf[0], 40, "%lld", (long long)cm->id);
		vals[0] = buf[0];
	}
	vals[1] = crm_churn_kind_name(cm->m.kind);
	if (cm->unit_days)
		vals[2] = cm->unit_days == 7 ? "week" : "day";
	if (cm->cal_end != 0) {
		churn_date_str(cm->cal_end, buf[3]);
		vals[3] = buf[3];
	}
	snprintf(buf[4], 40, "%zu", cm->customers);
	snprintf(buf[5], 40, "%zu", cm->repeaters);
	snprintf(buf[6], 40, "%ld", cm->repeat_purchases);
	vals[4] = buf[4];
	vals[5] = buf[5];
	vals[6] = buf[6];
	if (churn_num(buf[7], 40, 'g', 6, cm->m.r, "r", err) < 0 ||
	    churn_num(buf[8], 40, 'g', 6, cm->m.alpha, "alpha", err) < 0 ||
	    churn_num(buf[13], 40, 'f', 4, cm->info.loglik, "log-likelihood",
	    err) < 0)
		return -1;
	vals[7] = buf[7];
	vals[8] = buf[8];
	vals[13] = buf[13];
	if (cm->m.limit) {
		vals[21] = bg ? "common drop-out probability" :
		    "common drop-out rate";
		if (churn_num(buf[22], 40, 'g', 6, cm->m.a, "drop-out", err) < 0)
			return -1;
		vals[22] = buf[22];
	} else {
		if (churn_num(buf[bg ? 9 : 11], 40, 'g', 6, cm->m.a, "a",
		    err) < 0 || churn_num(buf[bg ? 10 : 12], 40, 'g', 6,
		    cm->m.b, "b", err) < 0)
			return -1;
		vals[bg ? 9 : 11] = buf[bg ? 9 : 11];
		vals[bg ? 10 : 12] = buf[bg ? 10 : 12];
	}
	if (optll(buf[23], cm->info.full_loglik, &vals[23], err) < 0 ||
	    optll(buf[24], cm->info.limit_loglik, &vals[24], err) < 0)
		return -1;
	if (cm->currency[0])
		vals[29] = cm->currency;
	snprintf(buf[14], 40, "%d", cm->info.iterations);
	vals[14] = buf[14];
	vals[15] = cm->info.converged ? "1" : "0";
	if (cm->has_spend) {
		if (churn_num(buf[16], 40, 'g', 6, cm->gg.p, "p", err) < 0 ||
		    churn_num(buf[19], 40, 'f', 4, cm->gg_info.loglik,
		    "spend log-likelihood", err) < 0 ||
		    optll(buf[27], cm->gg_info.full_loglik, &vals[27],
		    err) < 0 || optll(buf[28], cm->gg_info.limit_loglik,
		    &vals[28], err) < 0)
			return -1;
		vals[16] = buf[16];
		vals[19] = buf[19];
		if (cm->gg.limit) {
			vals[25] = "common mean spend";
			if (churn_num(buf[26], 40, 'g', 6, cm->gg.v, "nu",
			    err) < 0)
				return -1;
			vals[26] = buf[26];
		} else {
			if (churn_num(buf[17], 40, 'g', 6, cm->gg.q, "q",
			    err) < 0 || churn_num(buf[18], 40, 'g', 6,
			    cm->gg.v, "v", err) < 0)
				return -1;
			vals[17] = buf[17];
			vals[18] = buf[18];
		}
	}
	if (cm->has_corr) {
		if (churn_num(buf[20], 40, 'f', 4, cm->spend_corr, "correlation",
		    err) < 0)
			return -1;
		vals[20] = buf[20];
	}
	return crm_out_row(o, vals, err);
}

int
crm_churn_models(struct crm_db *db, struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "id", "kind", "fitted_at",
	    "calibration_end", "unit", "n", "loglik", "iterations",
	    "converged", "params" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_BOOL, CRM_COL_JSON };
	struct crm_stmt *st;
	int rc, i;

	if (crm_out_header(o, names, types, 10, err) < 0 ||
	    (st = crm_db_stmt(db, "SELECT id, kind,"
	    " strftime('%Y-%m-%dT%H:%M:%SZ', fitted_at, 'unixepoch'),"
	    " strftime('%Y-%m-%d', calibration_end, 'unixepoch'), unit, n,"
	    " printf('%.4f', loglik), iterations, converged, params"
	    " FROM models ORDER BY id", err)) == NULL)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		const char *vals[10];

		for (i = 0; i < 10; i++)
			vals[i] = crm_db_col_text(st, i);
		if (crm_out_row(o, vals, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	return rc;
}

