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
#include "logistic.h"
#include "hash.h"
#include "mem.h"
#include "norm.h"
#include "stats.h"

/* JSON string literal of s appended to b. */
static int
json_str(struct crm_buf *b, const char *s, struct crm_error *err)
{
	if (crm_buf_addc(b, '"', err) < 0)
		return -1;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			if (crm_buf_addc(b, '\\', err) < 0 ||
			    crm_buf_addc(b, ch, err) < 0)
				return -1;
		} else if (ch < 0x20) {
			if (crm_buf_addf(b, err, "\\u%04x", ch) < 0)
				return -1;
		} else if (crm_buf_addc(b, ch, err) < 0)
			return -1;
	}
	return crm_buf_addc(b, '"', err);
}

/* ------------------------------------------------------------------ */
/* Logistic regression on a CSV of features */

#define MAX_CELLS ((size_t)1 << 25)
#define MAX_DESIGN 5000

struct feat {
	char *name;
	int col;		/* field in the training file */
	int numeric;
	double mean, sd;
	int has_missing;	/* numeric: an indicator for missing values */
	double coef, mcoef;
	size_t nlev;		/* categorical: levels, sorted by strcmp */
	char **lev;
	double *lcoef;
	size_t off;		/* first design column (training) */
};

struct crm_churn_logit {
	char *label, *idcol;
	size_t nfeat;
	struct feat *f;
	double intercept, lambda, test_share, loglik;
	uint64_t seed;
	struct crm_churn_train_result res;
	size_t ntest;
	double *ptest;		/* hold-out predictions, for the report */
	int *ytest;
};

/* The training file in memory: cells as offsets into an arena. */
struct table {
	size_t rows, cols, alloc;
	size_t *cell;		/* rows x cols; SIZE_MAX when missing */
	long *line;
	struct crm_buf arena;
};

static const char *
cell(const struct table *t, size_t row, int col)
{
	size_t o = t->cell[row * t->cols + (size_t)col];

	return o == SIZE_MAX ? NULL : t->arena.s + o;
}

/*
 * A column name as the CSV reader matches it: trimmed, lower case, spaces
 * and '-' as '_'.  Returns a malloc'd string or NULL.
 */
static char *
colkey(const char *s)
{
	size_t len, i;
	char *k;

	s = crm_trim(s, &len);
	if ((k = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		k[i] = s[i] == ' ' || s[i] == '-' ? '_' :
		    (char)tolower((unsigned char)s[i]);
	k[len] = '\0';
	return k;
}

static void
free_keys(struct crm_csv_col *cols, size_t n)
{
	size_t i;

	if (cols == NULL)
		return;
	for (i = 0; i < n; i++)
		free((char *)cols[i].name);
	free(cols);
}

void
crm_churn_logit_free(struct crm_churn_logit *lg)
{
	size_t i, k;

	if (lg == NULL)
		return;
	for (i = 0; i < lg->nfeat; i++) {
		free(lg->f[i].name);
		for (k = 0; k < lg->f[i].nlev; k++)
			free(lg->f[i].lev[k]);
		free(lg->f[i].lev);
		free(lg->f[i].lcoef);
	}
	free(lg->f);
	free(lg->label);
	free(lg->idcol);
	free(lg->ptest);
	free(lg->ytest);
	free(lg);
}

static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* log(logistic(t)), without overflow. */
static double
log_sigmoid(double t)
{
	return t >= 0 ? -log1p(exp(-t)) : t - log1p(exp(t));
}

/*
 * The linear predictor for one row given as a value per feature (NULL
 * for missing).  -1 with *bad set to the feature whose value is not a
 * number.
 */
static int
linear(const struct crm_churn_logit *lg, const char *const *vals, double *t,
    size_t *bad)
{
	size_t i;

	*t = lg->intercept;
	for (i = 0; i < lg->nfeat; i++) {
		const struct feat *f = &lg->f[i];
		const char *v = vals[i];
		char **hit;
		double x;

		if (v != NULL && crm_blank(v))
			v = NULL;
		if (f->numeric) {
			if (v == NULL) {
				*t += f->mcoef;
				continue;
			}
			if (churn_parse_num(v, &x) < 0) {
				*bad = i;
				return -1;
			}
			*t += f->coef * (x - f->mean) / f->sd;
		} else if (v != NULL && (hit = bsearch(&v, f->lev, f->nlev,
		    sizeof(*f->lev), str_cmp)) != NULL)
			*t += f->lcoef[hit - f->lev];
	}
	return 0;
}

static int
table_read(struct crm_csv *r, struct table *t, struct crm_error *err)
{
	size_t i;
	int rc;

	t->cols = crm_csv_ncols(r);
	while ((rc = crm_csv_next(r, err)) == 1) {
		if (t->rows == t->alloc) {
			size_t na = t->alloc ? t->alloc * 2 : 1024;
			void *p;

			if (na * t->cols > MAX_CELLS)
				return crm_error_set(err, CRM_EDATA, "%s: more"
				    " than %zu cells: too large to train on",
				    crm_csv_name(r), MAX_CELLS);
			if ((p = reallocarray(t->cell, na * t->cols,
			    sizeof(*t->cell))) == NULL)
				return oom(err);
			t->cell = p;
			if ((p = reallocarray(t->line, na,
			    sizeof(*t->line))) == NULL)
				return oom(err);
			t->line = p;
			t->alloc = na;
		}
		for (i = 0; i < t->cols; i++) {
			const char *v = crm_csv_field(r, (int)i);
			size_t *c = &t->cell[t->rows * t->cols + i];

			if (crm_blank(v)) {
				*c = SIZE_MAX;
				continue;
			}
			*c = t->arena.len;
			if (crm_buf_add(&t->arena, v, strlen(v) + 1, err) < 0)
				return crm_error_prefix(err, "%s",
				    crm_csv_name(r));
		}
		t->line[t->rows++] = crm_csv_line(r);
	}
	return rc;
}

/* Types, standardisation and levels from the training rows. */
static int
encode_setup(struct crm_churn_logit *lg, const struct table *t,
    const size_t *train, size_t ntrain, const char *name, size_t *p,
    struct crm_error *err)
{
	size_t i, k, j, n;
	char q[CRM_QUOTE_MAX];

	*p = 0;
	for (i = 0; i < lg->nfeat; i++) {
		struct feat *f = &lg->f[i];
		double x, s = 0, ss = 0;
		size_t cnt = 0, miss = 0;

		f->numeric = 1;
		for (k = 0; k < t->rows && f->numeric; k++) {
			const char *v = cell(t, k, f->col);

			if (v != NULL && churn_parse_num(v, &x) < 0)
				f->numeric = 0;
		}
		f->off = *p;
		if (f->numeric) {
			for (k = 0; k < ntrain; k++) {
				const char *v = cell(t, train[k], f->col);

				if (v == NULL) {
					miss++;
					continue;
				}
				churn_parse_num(v, &x);
				s += x;
				cnt++;
			}
			f->mean = cnt ? s / (double)cnt : 0;
			for (k = 0; k < ntrain; k++) {
				const char *v = cell(t, train[k], f->col);

				if (v != NULL) {
					churn_parse_num(v, &x);
					ss += (x - f->mean) * (x - f->mean);
				}
			}
			f->sd = cnt > 1 ? sqrt(ss / (double)(cnt - 1)) : 0;
			if (!(f->sd > 0) || !isfinite(f->sd))
				f->sd = 1;
			f->has_missing = miss > 0;
			*p += 1 + (size_t)f->has_missing;
			continue;
		}
		if ((f->lev = calloc(ntrain ? ntrain : 1,
		    sizeof(*f->lev))) == NULL)
			return oom(err);
		for (k = n = 0; k < ntrain; k++) {
			const char *v = cell(t, train[k], f->col);

			if (v != NULL)
				f->lev[n++] = (char *)v;
		}
		qsort(f->lev, n, sizeof(*f->lev), str_cmp);
		for (k = j = 0; k < n; k++)
			if (j == 0 || strcmp(f->lev[j - 1], f->lev[k]) != 0)
				f->lev[j++] = f->lev[k];
		f->nlev = j;
		if (j > 1000 || (j > 50 && 2 * j > ntrain)) {
			f->nlev = 0;	/* they point into the table */
			return crm_error_set(err, CRM_EDATA, "%s: column '%s'"
			    " has %zu distinct values in %zu training rows:"
			    " an identifier?  Name it with --id, or --drop it",
			    name, crm_quote(q, f->name, strlen(f->name)), j,
			    ntrain);
		}
		for (k = 0; k < j; k++)
			if ((f->lev[k] = strdup(f->lev[k])) == NULL) {
				f->nlev = k;
				return oom(err);
			}
		if ((f->lcoef = calloc(j ? j : 1, sizeof(*f->lcoef))) == NULL)
			return oom(err);
		*p += j;
	}
	if (*p == 0)
		return crm_error_set(err, CRM_EDATA, "%s: no feature columns",
		    name);
	if (*p > MAX_DESIGN || *p * ntrain > MAX_CELLS)
		return crm_error_set(err, CRM_EDATA, "%s: %zu design columns"
		    " for %zu rows: too large (fewer categorical values, or"
		    " --drop columns)", name, *p, ntrain);
	return 0;
}

static void
encode_row(const struct crm_churn_logit *lg, const struct table *t,
    size_t row, double *x, size_t p)
{
	size_t i;

	memset(x, 0, p * sizeof(*x));
	for (i = 0; i < lg->nfeat; i++) {
		const struct feat *f = &lg->f[i];
		const char *v = cell(t, row, f->col);
		char **hit;
		double d;

		if (f->numeric) {
			if (v == NULL)
				x[f->off + 1] = 1;	/* has_missing */
			else if (churn_parse_num(v, &d) == 0)
				x[f->off] = (d - f->mean) / f->sd;
		} else if (v != NULL && (hit = bsearch(&v, f->lev, f->nlev,
		    sizeof(*f->lev), str_cmp)) != NULL)
			x[f->off + (size_t)(hit - f->lev)] = 1;
	}
}

struct pred {
	double p;
	int y;
};

static int
pred_cmp(const void *pa, const void *pb)
{
	const struct pred *a = pa, *b = pb;

	return a->p < b->p ? -1 : a->p > b->p;
}

static int
metrics(struct crm_churn_logit *lg, struct crm_error *err)
{
	struct crm_churn_train_result *res = &lg->res;
	struct pred *s;
	size_t i, k, n = lg->ntest, pos = 0, right = 0;
	double ll = 0, br = 0;

	for (i = 0; i < n; i++)
		pos += (size_t)lg->ytest[i];
	if (n == 0 || pos == 0 || pos == n)
		return 0;	/* no hold-out metrics */
	if (crm_stats_auc(lg->ptest, lg->ytest, n, &res->auc, err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		double p = lg->ptest[i], y = lg->ytest[i];
		double pc = p < 1e-15 ? 1e-15 : p > 1 - 1e-15 ? 1 - 1e-15 : p;

		right += (p >= 0.5) == (lg->ytest[i] != 0);
		ll -= y * log(pc) + (1 - y) * log(1 - pc);
		br += (p - y) * (p - y);
	}
	res->accuracy = (double)right / (double)n;
	res->baseline = (double)(pos > n - pos ? pos : n - pos) / (double)n;
	res->log_loss = ll / (double)n;
	res->brier = br / (double)n;
	if ((s = calloc(n, sizeof(*s))) == NULL)
		return oom(err);
	for (i = 0; i < n; i++) {
		s[i].p = lg->ptest[i];
		s[i].y = lg->ytest[i];
	}
	qsort(s, n, sizeof(*s), pred_cmp);
	res->ece = 0;
	for (k = 0; k < 10; k++) {
		size_t lo = k * n / 10, hi = (k + 1) * n / 10;
		double mp = 0, my = 0;

		for (i = lo; i < hi; i++) {
			mp += s[i].p;
			my += s[i].y;
		}
		res->ece += fabs(mp - my) / (double)n;
	}
	/* the hold-out, sorted, for the decile report */
	for (i = 0; i < n; i++) {
		lg->ptest[i] = s[i].p;
		lg->ytest[i] = s[i].y;
	}
	free(s);
	res->has_metrics = 1;
	return 0;
}

struct crm_churn_logit *
crm_churn_train(const char *path, const struct crm_churn_train_opts *opts,
    struct crm_churn_train_result *res, struct crm_error *err)
{
	struct crm_churn_logit *lg;
	struct crm_csv_col *cols = NULL;
	struct crm_csv *r = NULL;
	struct crm_stats_logit_info info;
	struct table t;
	size_t *perm = NULL, ncols, i, k, p = 0, ntrain, ntest;
	double *x = NULL, *y = NULL, *beta = NULL;
	const char **vals = NULL;
	int *idx = NULL, *label = NULL, rc;
	uint64_t s = opts->seed;
	char q[CRM_QUOTE_MAX];

	memset(&t, 0, sizeof(t));
	crm_buf_init(&t.arena, (size_t)1 << 30);
	if ((lg = calloc(1, sizeof(*lg))) == NULL) {
		oom(err);
		return NULL;
	}
	lg->lambda = opts->lambda;
	lg->seed = opts->seed;
	lg->test_share = opts->test_share;
	if (!(opts->test_share >= 0 && opts->test_share < 1) ||
	    !(opts->lambda >= 0) || !isfinite(opts->lambda)) {
		crm_error_set(err, CRM_EUSAGE, "bad hold-out share or penalty");
		goto fail;
	}
	ncols = 2 + opts->ndrop;
	if ((cols = calloc(ncols, sizeof(*cols))) == NULL ||
	    (idx = calloc(ncols, sizeof(*idx))) == NULL) {
		oom(err);
		goto fail;
	}
	for (i = 0; i < ncols; i++) {
		const char *nm = i == 0 ? opts->label : i == 1 ? (opts->id ?
		    opts->id : "") : opts->drop[i - 2];

		if ((cols[i].name = colkey(nm)) == NULL) {
			oom(err);
			goto fail;
		}
	}
	if ((r = crm_csv_open(path, opts->flags, err)) == NULL ||
	    crm_csv_header(r, cols, ncols, idx, err) < 0)
		goto fail;
	for (i = 0; i < ncols; i++)
		if (idx[i] < 0 && (i != 1 || opts->id != NULL)) {
			const char *nm = i == 0 ? opts->label : i == 1 ?
			    opts->id : opts->drop[i - 2];

			crm_error_set(err, CRM_EDATA, "%s: no column '%s'",
			    crm_csv_name(r), crm_quote(q, nm, strlen(nm)));
			goto fail;
		}
	if ((lg->label = strdup(opts->label)) == NULL ||
	    (opts->id && (lg->idcol = strdup(opts->id)) == NULL) ||
	    (lg->f = calloc(crm_csv_ncols(r), sizeof(*lg->f))) == NULL) {
		oom(err);
		goto fail;
	}
	for (i = 0; i < crm_csv_ncols(r); i++) {
		if (!crm_csv_extra(r, i))
			continue;
		if ((lg->f[lg->nfeat].name = strdup(crm_csv_colname(r,
		    i))) == NULL) {
			oom(err);
			goto fail;
		}
		lg->f[lg->nfeat++].col = (int)i;
	}
	if (table_read(r, &t, err) < 0)
		goto fail;
	if (t.rows < 2) {
		crm_error_set(err, CRM_EDATA, "%s: %zu rows: too few to train"
		    " on", crm_csv_name(r), t.rows);
		goto fail;
	}
	if ((label = calloc(t.rows, sizeof(*label))) == NULL ||
	    (perm = calloc(t.rows, sizeof(*perm))) == NULL) {
		oom(err);
		goto fail;
	}
	for (i = 0; i < t.rows; i++) {
		const char *v = cell(&t, i, idx[0]);
		int b = -1;

		if (v == NULL || crm_norm_bool(v, &b, NULL) < 0 || b < 0) {
			crm_error_set(err, CRM_EDATA, "%s:%ld: label %s: '%s'"
			    " is not yes/no, true/false or 1/0",
			    crm_csv_name(r), t.line[i], opts->label,
			    crm_quote(q, v ? v : "", v ? strlen(v) : 0));
			goto fail;
		}
		label[i] = b;
	}
	/* A seeded Fisher-Yates shuffle; the first ntest rows are held out. */
	for (i = 0; i < t.rows; i++)
		perm[i] = i;
	for (i = t.rows - 1; i > 0; i--) {
		size_t j = (size_t)(splitmix64(&s) % (i + 1)), tmp = perm[i];

		perm[i] = perm[j];
		perm[j] = tmp;
	}
	ntest = (size_t)floor(opts->test_share * (double)t.rows + 0.5);
	ntrain = t.rows - ntest;
	if (ntrain < 2) {
		crm_error_set(err, CRM_EDATA, "%s: too few training rows",
		    crm_csv_name(r));
		goto fail;
	}
	if (encode_setup(lg, &t, perm + ntest, ntrain, crm_csv_name(r), &p,
	    err) < 0)
		goto fail;
	x = calloc(ntrain * p, sizeof(*x));
	y = calloc(ntrain, sizeof(*y));
	beta = calloc(p + 1, sizeof(*beta));
	vals = calloc(lg->nfeat, sizeof(*vals));
	lg->ptest = calloc(ntest ? ntest : 1, sizeof(*lg->ptest));
	lg->ytest = calloc(ntest ? ntest : 1, sizeof(*lg->ytest));
	if (x == NULL || y == NULL || beta == NULL || vals == NULL ||
	    lg->ptest == NULL || lg->ytest == NULL) {
		oom(err);
		goto fail;
	}
	for (i = 0; i < ntrain; i++) {
		encode_row(lg, &t, perm[ntest + i], x + i * p, p);
		y[i] = label[perm[ntest + i]];
		lg->res.positives += (size_t)label[perm[ntest + i]];
	}
	if (lg->res.positives == 0 || lg->res.positives == ntrain) {
		crm_error_set(err, CRM_EDATA, "%s: every training row has"
		    " label %s %s", crm_csv_name(r), opts->label,
		    lg->res.positives ? "yes" : "no");
		goto fail;
	}
	if (crm_stats_logit_fit(x, y, NULL, ntrain, p, 1, opts->lambda, 0,
	    beta, &info, err) < 0) {
		crm_error_prefix(err, "%s: logistic regression",
		    crm_csv_name(r));
		goto fail;
	}
	for (i = 0; i <= p; i++)
		if (!isfinite(beta[i])) {
			crm_error_set(err, CRM_EDATA, "%s: the coefficients"
			    " diverge (separable data? use a penalty)",
			    crm_csv_name(r));
			goto fail;
		}
	lg->intercept = beta[0];
	for (i = 0; i < lg->nfeat; i++) {
		struct feat *f = &lg->f[i];

		if (f->numeric) {
			f->coef = beta[1 + f->off];
			f->mcoef = f->has_missing ? beta[2 + f->off] : 0;
		} else
			for (k = 0; k < f->nlev; k++)
				f->lcoef[k] = beta[1 + f->off + k];
	}
	lg->loglik = 0;
	for (i = 0; i < ntrain; i++) {
		double tt = beta[0];

		for (k = 0; k < p; k++)
			tt += beta[1 + k] * x[i * p + k];
		lg->loglik += y[i] ? log_sigmoid(tt) : log_sigmoid(-tt);
	}
	for (i = 0; i < ntest; i++) {
		size_t row = perm[i], bad;
		double tt;

		for (k = 0; k < lg->nfeat; k++)
			vals[k] = cell(&t, row, lg->f[k].col);
		if (linear(lg, vals, &tt, &bad) < 0) {
			crm_error_set(err, CRM_EFAIL, "%s:%ld: bad value",
			    crm_csv_name(r), t.line[row]);
			goto fail;
		}
		lg->ptest[i] = crm_stats_logistic(tt);
		lg->ytest[i] = label[row];
	}
	lg->ntest = ntest;
	lg->res.rows = t.rows;
	lg->res.train = ntrain;
	lg->res.test = ntest;
	lg->res.features = p;
	lg->res.iterations = info.iterations;
	lg->res.converged = info.converged;
	if (metrics(lg, err) < 0)
		goto fail;
	if (res != NULL)
		*res = lg->res;
	rc = 0;
	goto done;
fail:
	rc = -1;
done:
	crm_csv_close(r);
	free_keys(cols, ncols);
	free(idx);
	free(label);
	free(perm);
	free(x);
	free(y);
	free(beta);
	free(vals);
	free(t.cell);
	free(t.line);
	crm_buf_release(&t.arena);
	if (rc < 0) {
		crm_churn_logit_free(lg);
		return NULL;
	}
	return lg;
}

static int
jnum(struct crm_buf *b, const char *key, double v, struct crm_error *err)
{
	if (!isfinite(v))
		return crm_error_set(err, CRM_EFAIL, "model value %s is not"
		    " finite", key);
	return crm_buf_addf(b, err, "\"%s\":%.17g", key, v);
}

int
crm_churn_logit_store(struct crm_db *db, struct crm_churn_logit *lg,
    int64_t *id, struct crm_error *err)
{
	struct crm_buf b = CRM_BUF_INIT((size_t)64 << 20);
	const struct crm_churn_train_result *res = &lg->res;
	struct crm_stmt *st;
	size_t i, k;
	int rc = -1;

	if (crm_buf_adds(&b, "{\"label\":", err) < 0 ||
	    json_str(&b, lg->label, err) < 0 ||
	    crm_buf_adds(&b, ",\"id\":", err) < 0 ||
	    (lg->idcol ? json_str(&b, lg->idcol, err) :
	    crm_buf_adds(&b, "null", err)) < 0 ||
	    crm_buf_addc(&b, ',', err) < 0 ||
	    jnum(&b, "intercept", lg->intercept, err) < 0 ||
	    crm_buf_addc(&b, ',', err) < 0 ||
	    jnum(&b, "lambda", lg->lambda, err) < 0 ||
	    crm_buf_addf(&b, err, ",\"seed\":%llu,\"rows\":%zu,\"train\":%zu,"
	    "\"test\":%zu,", (unsigned long long)lg->seed, res->rows,
	    res->train, res->test) < 0 ||
	    jnum(&b, "test_share", lg->test_share, err) < 0)
		goto done;
	if (res->has_metrics && (crm_buf_addc(&b, ',', err) < 0 ||
	    jnum(&b, "auc", res->auc, err) < 0 ||
	    crm_buf_addc(&b, ',', err) < 0 ||
	    jnum(&b, "accuracy", res->accuracy, err) < 0 ||
	    crm_buf_addc(&b, ',', err) < 0 ||
	    jnum(&b, "log_loss", res->log_loss, err) < 0))
		goto done;
	if (crm_buf_adds(&b, ",\"features\":[", err) < 0)
		goto done;
	for (i = 0; i < lg->nfeat; i++) {
		const struct feat *f = &lg->f[i];

		if (crm_buf_adds(&b, i ? ",{\"name\":" : "{\"name\":",
		    err) < 0 || json_str(&b, f->name, err) < 0)
			goto done;
		if (f->numeric) {
			if (crm_buf_adds(&b, ",\"type\":\"numeric\",", err) < 0 ||
			    jnum(&b, "mean", f->mean, err) < 0 ||
			    crm_buf_addc(&b, ',', err) < 0 ||
			    jnum(&b, "sd", f->sd, err) < 0 ||
			    crm_buf_addc(&b, ',', err) < 0 ||
			    jnum(&b, "coef", f->coef, err) < 0 ||
			    (f->has_missing && (crm_buf_addc(&b, ',', err) < 0 ||
			    jnum(&b, "missing", f->mcoef, err) < 0)) ||
			    crm_buf_addc(&b, '}', err) < 0)
				goto done;
			continue;
		}
		if (crm_buf_adds(&b, ",\"type\":\"categorical\",\"levels\":[",
		    err) < 0)
			goto done;
		for (k = 0; k < f->nlev; k++)
			if ((k && crm_buf_addc(&b, ',', err) < 0) ||
			    json_str(&b, f->lev[k], err) < 0)
				goto done;
		if (crm_buf_adds(&b, "],\"coefs\":[", err) < 0)
			goto done;
		for (k = 0; k < f->nlev; k++) {
			if (!isfinite(f->lcoef[k])) {
				crm_error_set(err, CRM_EFAIL, "coefficient not"
				    " finite");
				goto done;
			}
			if (crm_buf_addf(&b, err, "%s%.17g", k ? "," : "",
			    f->lcoef[k]) < 0)
				goto done;
		}
		if (crm_buf_adds(&b, "]}", err) < 0)
			goto done;
	}
	if (crm_buf_adds(&b, "]}", err) < 0)
		goto done;
	if ((st = crm_db_stmt(db, "INSERT INTO models (kind, params, loglik,"
	    " iterations, converged, n, fitted_at) VALUES ('logit', ?1, ?2,"
	    " ?3, ?4, ?5, ?6)", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, crm_buf_str(&b), err) < 0 ||
	    crm_db_bind_double(db, st, 2, lg->loglik, err) < 0 ||
	    crm_db_bind_int(db, st, 3, res->iterations, err) < 0 ||
	    crm_db_bind_int(db, st, 4, res->converged, err) < 0 ||
	    crm_db_bind_int(db, st, 5, (int64_t)res->train, err) < 0 ||
	    crm_db_bind_int(db, st, 6, crm_now(), err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		goto done;
	*id = crm_db_last_id(db);
	rc = 0;
done:
	crm_buf_release(&b);
	return rc;
}

struct lv {
	char *s;
	double c;
};

static int
lv_cmp(const void *pa, const void *pb)
{
	return strcmp(((const struct lv *)pa)->s, ((const struct lv *)pb)->s);
}

/* Levels and their coefficients from two JSON arrays, sorted by level. */
static int
load_levels(struct crm_db *db, struct feat *f, const char *levels,
    const char *coefs, struct crm_error *err)
{
	struct crm_stmt *st;
	size_t n = 0, a = 0, i;
	char **lev;
	double *co;
	int rc;

	if ((st = crm_db_stmt(db, "SELECT a.value, b.value FROM json_each(?1)"
	    " a JOIN json_each(?2) b ON a.key = b.key ORDER BY a.key",
	    err)) == NULL ||
	    crm_db_bind_text(db, st, 1, levels, err) < 0 ||
	    crm_db_bind_text(db, st, 2, coefs, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		const char *v = crm_db_col_text(st, 0);

		if (n == a) {
			a = a ? 2 * a : 16;
			if ((lev = reallocarray(f->lev, a, sizeof(*lev))) ==
			    NULL || (f->lev = lev, co = reallocarray(f->lcoef,
			    a, sizeof(*co))) == NULL) {
				crm_db_reset(st);
				return oom(err);
			}
			f->lcoef = co;
		}
		if ((f->lev[n] = strdup(v ? v : "")) == NULL) {
			crm_db_reset(st);
			return oom(err);
		}
		f->lcoef[n] = crm_db_col_double(st, 1);
		f->nlev = ++n;
	}
	if (rc < 0)
		return -1;
	/* Sort the pairs by level, for bsearch. */
	if (n > 1) {
		struct lv *v = calloc(n, sizeof(*v));

		if (v == NULL)
			return oom(err);
		for (i = 0; i < n; i++) {
			v[i].s = f->lev[i];
			v[i].c = f->lcoef[i];
		}
		qsort(v, n, sizeof(*v), lv_cmp);
		for (i = 0; i < n; i++) {
			f->lev[i] = v[i].s;
			f->lcoef[i] = v[i].c;
		}
		free(v);
	}
	return 0;
}

struct crm_churn_logit *
crm_churn_logit_load(struct crm_db *db, int64_t id, struct crm_error *err)
{
	struct crm_churn_logit *lg;
	struct crm_stmt *st;
	const char *k;
	size_t a = 0;
	int rc, nul = 0;

	if ((lg = calloc(1, sizeof(*lg))) == NULL) {
		oom(err);
		return NULL;
	}
	if ((st = crm_db_stmt(db, "SELECT id, kind,"
	    " json_extract(params, '$.label'), json_extract(params, '$.id'),"
	    " json_extract(params, '$.intercept')"
	    " FROM models WHERE CASE WHEN ?1 > 0 THEN id = ?1"
	    " ELSE kind = 'logit' END ORDER BY id DESC LIMIT 1", err)) ==
	    NULL || crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		goto fail;
	if (rc == 0) {
		if (id > 0)
			crm_error_set(err, CRM_EDATA, "no model %lld",
			    (long long)id);
		else
			crm_error_set(err, CRM_EDATA, "no logit model: run"
			    " crm-churn train first");
		goto fail;
	}
	id = crm_db_col_int(st, 0);
	k = crm_db_col_text(st, 1);
	if (k == NULL || strcmp(k, "logit") != 0) {
		crm_error_set(err, CRM_EDATA, "model %lld is a %s model, not"
		    " a logit model", (long long)id, k ? k : "?");
		crm_db_reset(st);
		goto fail;
	}
	lg->label = strdup(crm_db_col_text(st, 2) ? crm_db_col_text(st, 2) :
	    "");
	if (crm_db_col_text(st, 3) != NULL &&
	    (lg->idcol = strdup(crm_db_col_text(st, 3))) == NULL)
		nul = -1;
	lg->intercept = churn_coldbl(st, 4, &nul);
	crm_db_reset(st);
	if (lg->label == NULL || nul < 0) {
		oom(err);
		goto fail;
	}
	if ((st = crm_db_stmt(db, "SELECT json_extract(f.value, '$.name'),"
	    " json_extract(f.value, '$.type'),"
	    " json_extract(f.value, '$.mean'), json_extract(f.value, '$.sd'),"
	    " json_extract(f.value, '$.coef'),"
	    " json_extract(f.value, '$.missing'),"
	    " json_extract(f.value, '$.levels'),"
	    " json_extract(f.value, '$.coefs')"
	    " FROM models m, json_each(m.params, '$.features') f"
	    " WHERE m.id = ?1 ORDER BY f.key", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0)
		goto fail;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		struct feat *f;
		const char *name = crm_db_col_text(st, 0);
		const char *type = crm_db_col_text(st, 1);
		int mnul = 0;

		if (lg->nfeat == a) {
			a = a ? 2 * a : 16;
			if ((f = reallocarray(lg->f, a, sizeof(*f))) == NULL) {
				crm_db_reset(st);
				oom(err);
				goto fail;
			}
			lg->f = f;
		}
		f = &lg->f[lg->nfeat++];
		memset(f, 0, sizeof(*f));
		if (name == NULL || type == NULL ||
		    (f->name = strdup(name)) == NULL) {
			crm_db_reset(st);
			crm_error_set(err, CRM_EDATA, "model %lld: bad feature",
			    (long long)id);
			goto fail;
		}
		f->numeric = strcmp(type, "numeric") == 0;
		if (f->numeric) {
			f->mean = churn_coldbl(st, 2, &nul);
			f->sd = churn_coldbl(st, 3, &nul);
			f->coef = churn_coldbl(st, 4, &nul);
			f->mcoef = churn_coldbl(st, 5, &mnul);
			f->has_missing = !mnul;
			if (!(f->sd > 0))
				nul = 1;
		} else if (crm_db_col_text(st, 6) == NULL ||
		    crm_db_col_text(st, 7) == NULL || load_levels(db, f,
		    crm_db_col_text(st, 6), crm_db_col_text(st, 7), err) < 0) {
			crm_db_reset(st);
			if (err->code == CRM_EOK)
				crm_error_set(err, CRM_EDATA, "model %lld: bad"
				    " feature", (long long)id);
			goto fail;
		}
	}
	if (rc < 0)
		goto fail;
	if (nul || lg->nfeat == 0 || !isfinite(lg->intercept)) {
		crm_error_set(err, CRM_EDATA, "model %lld: bad parameters",
		    (long long)id);
		goto fail;
	}
	return lg;
fail:
	crm_churn_logit_free(lg);
	return NULL;
}

int
crm_churn_logit_report(const struct crm_churn_logit *lg, int64_t id, int by,
    struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "model_id", "rows", "train",
	    "test", "features", "positives", "auc", "accuracy",
	    "baseline_accuracy", "log_loss", "brier", "ece", "iterations",
	    "converged" };
	enum { N = sizeof(names) / sizeof(names[0]) };
	static const char *const dnames[] = { "decile", "rows", "predicted",
	    "observed" };
	const struct crm_churn_train_result *res = &lg->res;
	enum crm_coltype types[N];
	char buf[N][40];
	const char *vals[N];
	size_t i, k, n = lg->ntest;

	for (i = 0; i < N; i++)
		types[i] = CRM_COL_NUM;
	types[N - 1] = CRM_COL_BOOL;
	if (by == CRM_CHURN_BY_DECILE) {
		if (crm_out_header(o, dnames, types, 4, err) < 0)
			return -1;
		if (!res->has_metrics)
			return 0;
		for (k = 0; k < 10; k++) {
			size_t lo = k * n / 10, hi = (k + 1) * n / 10;
			double mp = 0, my = 0;

			if (hi == lo)
				continue;
			for (i = lo; i < hi; i++) {
				mp += lg->ptest[i];
				my += lg->ytest[i];
			}
			snprintf(buf[0], 40, "%zu", k + 1);
			snprintf(buf[1], 40, "%zu", hi - lo);
			if (churn_num(buf[2], 40, 'f', 4, mp / (double)(hi - lo),
			    "predicted", err) < 0 || churn_num(buf[3], 40, 'f', 4,
			    my / (double)(hi - lo), "observed", err) < 0)
				return -1;
			for (i = 0; i < 4; i++)
				vals[i] = buf[i];
			if (crm_out_row(o, vals, err) < 0)
				return -1;
		}
		return 0;
	}
	if (by != CRM_CHURN_BY_TOTAL)
		return crm_error_set(err, CRM_EUSAGE, "train reports by total"
		    " or decile");
	for (i = 0; i < N; i++)
		vals[i] = NULL;
	if (id > 0) {
		snprintf(buf[0], 40, "%lld", (long long)id);
		vals[0] = buf[0];
	}
	snprintf(buf[1], 40, "%zu", res->rows);
	snprintf(buf[2], 40, "%zu", res->train);
	snprintf(buf[3], 40, "%zu", res->test);
	snprintf(buf[4], 40, "%zu", res->features);
	snprintf(buf[5], 40, "%zu", res->positives);
	for (i = 1; i < 6; i++)
		vals[i] = buf[i];
	if (res->has_metrics) {
		if (churn_num(buf[6], 40, 'f', 4, res->auc, "AUC", err) < 0 ||
		    churn_num(buf[7], 40, 'f', 4, res->accuracy, "accuracy",
		    err) < 0 ||
		    churn_num(buf[8], 40, 'f', 4, res->baseline, "baseline",
		    err) < 0 ||
		    churn_num(buf[9], 40, 'f', 4, res->log_loss, "log loss",
		    err) < 0 ||
		    churn_num(buf[10], 40, 'f', 4, res->brier, "Brier score",
		    err) < 0 ||
		    churn_num(buf[11], 40, 'f', 4, res->ece, "ECE", err) < 0)
			return -1;
		for (i = 6; i < 12; i++)
			vals[i] = buf[i];
	}
	snprintf(buf[12], 40, "%d", res->iterations);
	vals[12] = buf[12];
	vals[13] = res->converged ? "1" : "0";
	if (crm_out_header(o, names, types, N, err) < 0)
		return -1;
	return crm_out_row(o, vals, err);
}

int
crm_churn_predict(const struct crm_churn_logit *lg, const char *path,
    int flags, struct crm_out *o, int64_t *rows, struct crm_error *err)
{
	static const enum crm_coltype types[] = { CRM_COL_TEXT, CRM_COL_NUM };
	struct crm_csv_col *cols;
	struct crm_csv *r = NULL;
	const char *names[2], **vals = NULL;
	int *idx = NULL, rc = -1, step, useid;
	size_t i, n = lg->nfeat;
	char q[CRM_QUOTE_MAX];

	*rows = 0;
	if ((cols = calloc(n + 1, sizeof(*cols))) == NULL ||
	    (idx = calloc(n + 1, sizeof(*idx))) == NULL ||
	    (vals = calloc(n, sizeof(*vals))) == NULL) {
		oom(err);
		goto done;
	}
	for (i = 0; i <= n; i++)
		if ((cols[i].name = colkey(i < n ? lg->f[i].name :
		    lg->idcol ? lg->idcol : "")) == NULL) {
			oom(err);
			goto done;
		}
	if ((r = crm_csv_open(path, flags, err)) == NULL ||
	    crm_csv_header(r, cols, n + 1, idx, err) < 0)
		goto done;
	for (i = 0; i < n; i++)
		if (idx[i] < 0) {
			crm_error_set(err, CRM_EDATA, "%s: no column '%s' (the"
			    " model needs it)", crm_csv_name(r), crm_quote(q,
			    lg->f[i].name, strlen(lg->f[i].name)));
			goto done;
		}
	useid = lg->idcol != NULL && idx[n] >= 0;
	names[0] = useid ? lg->idcol : "row";
	names[1] = "churn_probability";
	if (crm_out_header(o, names, types, 2, err) < 0)
		goto done;
	while ((step = crm_csv_next(r, err)) == 1) {
		char rowbuf[32], pbuf[32];
		const char *out[2];
		double t;
		size_t bad;

		for (i = 0; i < n; i++)
			vals[i] = crm_csv_missing(r, idx[i]) ? NULL :
			    crm_csv_field(r, idx[i]);
		if (linear(lg, vals, &t, &bad) < 0) {
			crm_error_set(err, CRM_EDATA, "%s:%ld: %s: '%s' is not"
			    " a number", crm_csv_name(r), crm_csv_line(r),
			    lg->f[bad].name, crm_quote(q, vals[bad],
			    strlen(vals[bad])));
			goto done;
		}
		(*rows)++;
		snprintf(rowbuf, sizeof(rowbuf), "%lld", (long long)*rows);
		out[0] = useid ? crm_csv_field(r, idx[n]) : rowbuf;
		if (churn_num(pbuf, sizeof(pbuf), 'f', 6, crm_stats_logistic(t),
		    "probability", err) < 0)
			goto done;
		out[1] = pbuf;
		if (crm_out_row(o, out, err) < 0)
			goto done;
	}
	if (step == 0)
		rc = 0;
done:
	crm_csv_close(r);
	free_keys(cols, n + 1);
	free(idx);
	free(vals);
	return rc;
}

int
crm_churn_logit_save(struct crm_db *db, struct crm_churn_logit *lg,
    int64_t *id, struct crm_error *err)
{
	if (crm_db_begin(db, err) < 0)
		return -1;
	if (crm_churn_logit_store(db, lg, id, err) < 0) {
		crm_db_rollback(db);
		return -1;
	}
	return 0;
}
