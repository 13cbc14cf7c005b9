/*
 * account-rfm.c - RFM per account over the rolled-up figures.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "account-int.h"
#include "norm.h"

static int
cmp_dbl(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

/* How many of the n sorted values are strictly below v. */
static size_t
below(const double *v, size_t n, double x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
score(const double *sorted, size_t n, double x)
{
	return 1 + (int)(5 * below(sorted, n, x) / n);
}

int
crm_account_rfm(struct crm_db *db, const struct crm_rfm_opts *opts,
    int roots, struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "id", "external_id", "name",
	    "recency", "frequency", "monetary", "r", "f", "m", "rfm",
	    "segment" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_TEXT, CRM_COL_TEXT };
	const struct crm_rfm_map *map = opts->map != NULL ? opts->map :
	    crm_rfm_default_map();
	double *rv = NULL, *fv = NULL, *mv = NULL;
	int64_t asof_end, asof_day;
	struct accs s;
	size_t i, nb = 0, j;
	int rc = -1;

	/* Purchases up to the end of the as-of day, as crm_rfm(). */
	asof_day = opts->asof / 86400 - (opts->asof % 86400 < 0);
	asof_end = (asof_day + 1) * 86400;
	if (crm_db_begin_read(db, err) < 0)
		return -1;
	if (account_load(db, &s, err) < 0) {
		crm_db_rollback(db);
		return -1;
	}
	if (account_compute(db, &s, asof_end, NULL, err) < 0)
		goto done;
	if (s.n && ((rv = calloc(s.n, sizeof(*rv))) == NULL ||
	    (fv = calloc(s.n, sizeof(*fv))) == NULL ||
	    (mv = calloc(s.n, sizeof(*mv))) == NULL)) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	/* Scores compare "worse": more days, fewer purchases, less money. */
	for (i = 0; i < s.n; i++) {
		const struct crm_account_total *t = &s.a[i].t;

		if ((roots && t->parent_id) || t->purchases_all == 0)
			continue;
		rv[nb] = -(double)(asof_day - (t->last_all / 86400));
		fv[nb] = (double)t->purchases_all;
		mv[nb] = opts->monetary_avg ? t->revenue_all /
		    (double)t->purchases_all : t->revenue_all;
		nb++;
	}
	qsort(rv, nb, sizeof(*rv), cmp_dbl);
	qsort(fv, nb, sizeof(*fv), cmp_dbl);
	qsort(mv, nb, sizeof(*mv), cmp_dbl);
	if (crm_out_header(o, names, types, 11, err) < 0)
		goto done;
	for (i = 0; i < s.n; i++) {
		const struct crm_account_total *t = &s.a[i].t;
		char b[11][48];
		const char *v[11];
		int r = 0, f = 0, m = 0, fm;
		double mon;
		const char *seg = "No purchases";

		if (roots && t->parent_id)
			continue;
		account_fmt_int(b[0], 48, t->id);
		v[0] = b[0];
		v[1] = t->external_id;
		v[2] = t->name;
		for (j = 3; j < 10; j++)
			v[j] = NULL;
		if (t->purchases_all > 0) {
			int64_t rec = asof_day - t->last_all / 86400;

			mon = opts->monetary_avg ? t->revenue_all /
			    (double)t->purchases_all : t->revenue_all;
			r = score(rv, nb, -(double)rec);
			f = score(fv, nb, (double)t->purchases_all);
			m = score(mv, nb, mon);
			fm = (f + m + 1) / 2;
			for (j = 0; j < map->n; j++)
				if (r >= map->rules[j].rlo &&
				    r <= map->rules[j].rhi &&
				    fm >= map->rules[j].fmlo &&
				    fm <= map->rules[j].fmhi) {
					seg = map->rules[j].name;
					break;
				}
			account_fmt_int(b[3], 48, rec);
			account_fmt_int(b[4], 48, t->purchases_all);
			account_fmt_money(b[5], 48, mon);
			account_fmt_int(b[6], 48, r);
			account_fmt_int(b[7], 48, f);
			account_fmt_int(b[8], 48, m);
			snprintf(b[9], 48, "%d%d%d", r, f, m);
			for (j = 3; j < 10; j++)
				v[j] = b[j];
		}
		v[10] = seg;
		if (crm_out_row(o, v, err) < 0)
			goto done;
	}
	rc = 0;
done:
	crm_db_rollback(db);
	free(rv);
	free(fv);
	free(mv);
	account_accs_free(&s);
	return rc;
}
