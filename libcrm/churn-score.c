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
/* Scoring and evaluation */

/*
 * Number the distinct (x, T), or (x, t_x, T) with tx, of the customers
 * with T > 0 into gid[] (in order of first appearance), and point rep[g]
 * at the first customer of group g; *ng gets the number of groups.
 */
static int
group(const struct crm_churn_base *b, int tx, size_t *gid, size_t *rep,
    size_t *ng, struct crm_error *err)
{
	size_t i, g, size, *slot;

	for (size = 16; size < 2 * b->n; size *= 2)
		;
	if ((slot = crm_big_calloc(size, sizeof(*slot))) == NULL)
		return oom(err);
	*ng = 0;
	for (i = 0; i < b->n; i++) {
		const struct crm_clv_customer *c = &b->c[i], *r;
		size_t h;

		if (!(c->T > 0))
			continue;
		h = crm_mix64((uint64_t)c->x ^ crm_mix64(crm_dbits(c->T) ^
		    (tx ? crm_mix64(crm_dbits(c->t_x)) : 0))) & (size - 1);
		for (;; h = (h + 1) & (size - 1)) {
			if (slot[h] == 0) {
				g = (*ng)++;
				slot[h] = g + 1;
				rep[g] = i;
				break;
			}
			g = slot[h] - 1;
			r = &b->c[rep[g]];
			if (r->x == c->x && r->T == c->T &&
			    (!tx || r->t_x == c->t_x))
				break;
		}
		gid[i] = g;
	}
	free(slot);
	return 0;
}

/*
 * For every customer of b: P(alive), the expected purchases in the next t
 * units and, if vf is not NULL, the discounted sum of the expected
 * purchases of each of `periods` periods of length t / periods at rate d
 * per period (the CLV of a spend of 1).  A customer with T = 0 has just
 * made a first purchase: alive, with the expectations of a new customer.
 *
 * Each expectation is P(alive) times a factor that depends on x and T
 * only (crm_clv_expected_alive), the costly part with its hypergeometric
 * function: it is computed once per distinct (x, T), of which dates give
 * few, and P(alive) per customer (Pareto/NBD: per distinct (x, t_x, T)).
 * The arithmetic is that of crm_clv_expected and crm_clv_value, in the
 * same order, so the values are the same to the last bit.
 */
int
churn_predict_all(const struct crm_churn_model *cm,
    const struct crm_churn_base *b, double t, int periods, double d, double *pa, double *e, double *vf,
    struct crm_error *err)
{
	const struct crm_clv_model *m = &cm->m;
	size_t i, g, ng = 0, nk = 0, np = vf ? (size_t)periods + 1 : 1;
	size_t *gid = NULL, *rep = NULL, *kid = NULL, *krep = NULL;
	double *cond = NULL, *kpa = NULL, per = t / periods;
	double new_e = 0, new_v = 0, rate = 1 + d;
	int k, rc = -1;

	gid = crm_big(malloc((b->n + 1) * sizeof(*gid)), b->n + 1, sizeof(*gid));
	rep = crm_big(malloc((b->n + 1) * sizeof(*rep)), b->n + 1, sizeof(*rep));
	if (gid == NULL || rep == NULL) {
		oom(err);
		goto done;
	}
	if (group(b, 0, gid, rep, &ng, err) < 0)
		goto done;
	if ((cond = malloc((ng + 1) * np * sizeof(*cond))) == NULL) {
		oom(err);
		goto done;
	}
	for (g = 0; g < ng; g++) {
		const struct crm_clv_customer *c = &b->c[rep[g]];
		double *cg = cond + g * np;

		if (crm_clv_expected_alive(m, c->x, c->T, t, &cg[0], err) < 0)
			goto done;
		for (k = 1; k < (int)np; k++)
			if (crm_clv_expected_alive(m, c->x, c->T, k * per,
			    &cg[k], err) < 0)
				goto done;
	}
	if (m->kind == CRM_CLV_PARETO) {
		kid = crm_big(malloc((b->n + 1) * sizeof(*kid)), b->n + 1,
		    sizeof(*kid));
		krep = crm_big(malloc((b->n + 1) * sizeof(*krep)), b->n + 1,
		    sizeof(*krep));
		if (kid == NULL || krep == NULL) {
			oom(err);
			goto done;
		}
		if (group(b, 1, kid, krep, &nk, err) < 0)
			goto done;
		if ((kpa = malloc((nk + 1) * sizeof(*kpa))) == NULL) {
			oom(err);
			goto done;
		}
		for (g = 0; g < nk; g++)
			if (crm_clv_palive(m, &b->c[krep[g]], &kpa[g], err) < 0)
				goto done;
	}
	for (i = 0; i < b->n; i++)
		if (!(b->c[i].T > 0)) {
			double prev = 0, ek = 0;
			int q;

			for (q = 1; q <= (vf ? periods : 1); q++) {
				if (crm_clv_expected_new(m, vf ? t * q /
				    periods : t, &ek, err) < 0)
					goto done;
				new_v += (ek - prev) / pow(1 + d, q);
				prev = ek;
			}
			new_e = ek;
			break;
		}
	for (i = 0; i < b->n; i++) {
		const struct crm_clv_customer *c = &b->c[i];
		double p = 1, ex = new_e, v = new_v;

		if (c->T > 0) {
			const double *cg = cond + gid[i] * np;
			double prev = 0, disc = 1;

			if (kpa != NULL)
				p = kpa[kid[i]];
			else if (crm_clv_palive(m, c, &p, err) < 0)
				goto done;
			ex = cg[0] * p;
			for (k = 1, v = 0; k < (int)np; k++) {
				double cur = cg[k] * p;

				disc /= rate;
				v += (cur - prev) * disc;
				prev = cur;
			}
		}
		if (!isfinite(p) || !isfinite(ex) || !isfinite(v)) {
			crm_error_set(err, CRM_EFAIL, "model %lld gives a"
			    " non-finite value for x %ld, t_x %g, T %g",
			    (long long)cm->id, c->x, c->t_x, c->T);
			goto done;
		}
		pa[i] = p;
		e[i] = ex;
		if (vf != NULL)
			vf[i] = v;
	}
	rc = 0;
done:
	if (rc < 0)
		crm_error_prefix(err, "model %lld", (long long)cm->id);
	free(gid);
	free(rep);
	free(kid);
	free(krep);
	free(cond);
	free(kpa);
	return rc;
}

/* The Gamma-Gamma mean spend of customer c, or -1 when there is none. */
static double
spend_of(const struct crm_churn_model *cm, const struct crm_clv_customer *c)
{
	struct crm_clv_customer s = *c;
	double v;

	if (!cm->has_spend || (s.x > 0 && !(s.zbar > 0)))
		return -1;
	if (!(s.T > 0))
		s.T = 1;	/* only x and zbar matter */
	if (crm_clv_gg_spend(&cm->gg, &s, &v, NULL) < 0 || !isfinite(v))
		return -1;
	return v;
}

/*
 * Delete the rows of scores of contacts other than b's, just stored:
 * usually none, which a count tells.
 */
static int
prune_scores(struct crm_db *db, const struct crm_churn_base *b,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int64_t n, *gone = NULL, id;
	size_t ngone = 0, agone = 0, i, j = 0;
	int step, rc = -1;

	if (crm_db_query_int(db, "SELECT count(*) FROM scores", &n, err) < 0)
		return -1;
	if (n == (int64_t)b->n)
		return 0;
	if ((st = crm_db_stmt(db, "SELECT contact_id FROM scores ORDER BY"
	    " contact_id", err)) == NULL)
		return -1;
	while ((step = crm_db_step(db, st, err)) == 1) {
		id = crm_db_col_int(st, 0);
		while (j < b->n && b->id[j] < id)
			j++;
		if (j < b->n && b->id[j] == id)
			continue;
		if (ngone == agone) {
			int64_t *p;

			agone = agone ? 2 * agone : 256;
			if ((p = reallocarray(gone, agone, sizeof(*p))) ==
			    NULL) {
				crm_db_reset(st);
				oom(err);
				goto done;
			}
			gone = p;
		}
		gone[ngone++] = id;
	}
	if (step < 0)
		goto done;
	for (i = 0; i < ngone; i++)
		if ((st = crm_db_stmt(db, "DELETE FROM scores WHERE"
		    " contact_id = ?1", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, gone[i], err) < 0 ||
		    crm_db_step(db, st, err) < 0)
			goto done;
	rc = 0;
done:
	free(gone);
	return rc;
}

enum { FAILED_STORE = 1, FAILED_WRITE };

/* What the two halves of crm_churn_score share. */
struct scoring {
	const struct crm_churn_model *cm;
	const struct crm_churn_score_opts *opts;
	const struct crm_churn_base *b;
	const double *pa, *e, *vf;
	_Atomic int failed;	/* FAILED_*: the first half to fail */
};

/*
 * The scores of b's contacts into the scores table, replacing any row
 * there.  Every contact in b is one that crm_churn_score() writes: its
 * purchases are those of its id and of the contacts merged into it, and
 * one merged or erased left no purchase there (scan_buys()).
 */
static int
store_scores(struct crm_db *db, struct scoring *sc, struct crm_error *err)
{
	const struct crm_churn_base *b = sc->b;
	struct crm_stmt *ins;
	int64_t now = crm_now();
	size_t j;

	if ((ins = crm_db_stmt(db, "INSERT INTO scores"
	    " (contact_id, model_id, p_alive, expected_purchases,"
	    " horizon_days, expected_spend, clv, churn_probability,"
	    " scored_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
	    " ON CONFLICT (contact_id) DO UPDATE SET model_id ="
	    " excluded.model_id, p_alive = excluded.p_alive,"
	    " expected_purchases = excluded.expected_purchases,"
	    " horizon_days = excluded.horizon_days, expected_spend ="
	    " excluded.expected_spend, clv = excluded.clv,"
	    " churn_probability = excluded.churn_probability,"
	    " scored_at = excluded.scored_at",
	    err)) == NULL ||
	    crm_db_bind_int(db, ins, 2, sc->cm->id, err) < 0 ||
	    crm_db_bind_int(db, ins, 5, sc->opts->horizon_days, err) < 0 ||
	    crm_db_bind_int(db, ins, 9, now, err) < 0)
		return -1;
	for (j = 0; j < b->n && !sc->failed; j++) {
		double sp = spend_of(sc->cm, &b->c[j]), pj = sc->pa[j];

		if (crm_db_bind_int(db, ins, 1, b->id[j], err) < 0 ||
		    crm_db_bind_double(db, ins, 3, pj, err) < 0 ||
		    crm_db_bind_double(db, ins, 4, sc->e[j], err) < 0 ||
		    (sp >= 0 ? crm_db_bind_double(db, ins, 6, sp, err) :
		    crm_db_bind_null(db, ins, 6, err)) < 0 ||
		    (sp >= 0 ? crm_db_bind_double(db, ins, 7, sp * sc->vf[j],
		    err) : crm_db_bind_null(db, ins, 7, err)) < 0 ||
		    crm_db_bind_double(db, ins, 8, 1 - pj, err) < 0 ||
		    crm_db_step(db, ins, err) < 0)
			return -1;
	}
	return sc->failed ? -1 : 0;
}

/* Every surviving contact, with its scores if any, to o. */
static int
write_scores(struct crm_db *db, struct scoring *sc, struct crm_out *o,
    struct crm_churn_score_stats *stats, void (*progress)(void *, int64_t),
    void *arg, struct crm_error *err)
{
	static const char *const names[] = { "id", "external_id", "email",
	    "x", "t_x", "T", "zbar", "p_alive", "expected_purchases",
	    "expected_spend", "clv", "churn_probability" };
	enum { N = sizeof(names) / sizeof(names[0]) };
	static const enum crm_coltype types[N] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM };
	const struct crm_churn_base *b = sc->b;
	const double *pa = sc->pa, *e = sc->e;
	struct crm_stmt *st;
	size_t j = 0;
	int step;

	if (crm_out_header(o, names, types, N, err) < 0 ||
	    (st = crm_db_stmt(db, "SELECT id, external_id, email FROM"
	    " contacts WHERE merged_into IS NULL AND erased_at IS NULL"
	    " ORDER BY id", err)) == NULL)
		return -1;
	while ((step = crm_db_step(db, st, err)) == 1) {
		int64_t id = crm_db_col_int(st, 0);
		char buf[N][40];
		const char *vals[N];
		const struct crm_clv_customer *c;
		double sp, clv;
		int i;

		if (sc->failed)
			goto fail;
		vals[0] = crm_db_col_text(st, 0);
		vals[1] = crm_db_col_text(st, 1);
		vals[2] = crm_db_col_text(st, 2);
		for (i = 3; i < N; i++)
			vals[i] = NULL;
		while (j < b->n && b->id[j] < id)
			j++;
		if (j < b->n && b->id[j] == id) {
			c = &b->c[j];
			sp = spend_of(sc->cm, c);
			clv = sp >= 0 ? sp * sc->vf[j] : -1;
			snprintf(buf[3], 40, "%ld", c->x);
			if (churn_num(buf[4], 40, 'g', 6, c->t_x, "t_x", err) < 0 ||
			    churn_num(buf[5], 40, 'g', 6, c->T, "T", err) < 0 ||
			    churn_num(buf[6], 40, 'f', 2, c->zbar, "zbar", err) < 0 ||
			    churn_num(buf[7], 40, 'f', 6, pa[j], "p_alive", err) < 0 ||
			    churn_num(buf[8], 40, 'f', 4, e[j], "expected purchases",
			    err) < 0 ||
			    churn_num(buf[9], 40, 'f', 2, sp, "spend", err) < 0 ||
			    churn_num(buf[10], 40, 'f', 2, clv, "clv", err) < 0 ||
			    churn_num(buf[11], 40, 'f', 6, 1 - pa[j], "churn", err)
			    < 0)
				goto fail;
			for (i = 3; i < N; i++)
				vals[i] = buf[i];
			if (sp < 0) {
				vals[9] = vals[10] = NULL;
				stats->no_spend++;
			}
			stats->scored++;
		}
		if (crm_out_row(o, vals, err) < 0)
			goto fail;
		stats->contacts++;
		if (progress != NULL && stats->contacts % 4096 == 0)
			progress(arg, stats->contacts);
	}
	return step < 0 ? -1 : 0;
fail:
	crm_db_reset(st);
	return -1;
}

/* The second thread of crm_churn_score: the output. */
struct writer {
	struct crm_db *db;
	struct scoring *sc;
	struct crm_out *o;
	struct crm_churn_score_stats *stats;
	void (*progress)(void *, int64_t);
	void *arg;
	int rc;
	struct crm_error err;
};

static void *
writer_job(void *arg)
{
	struct writer *w = arg;
	int none = 0;

	if ((w->rc = write_scores(w->db, w->sc, w->o, w->stats, w->progress,
	    w->arg, &w->err)) < 0)
		atomic_compare_exchange_strong(&w->sc->failed, &none,
		    FAILED_WRITE);
	return NULL;
}

int
crm_churn_score(struct crm_db *db, const struct crm_churn_model *cm,
    const struct crm_churn_score_opts *opts, struct crm_out *o,
    struct crm_churn_score_stats *stats,
    void (*progress)(void *, int64_t), void *arg, struct crm_error *err)
{
	struct crm_churn_base_opts bo;
	struct crm_churn_base *b = NULL;
	struct scoring sc;
	struct writer w;
	struct crm_db *db2 = NULL;
	double *pa = NULL, *e = NULL, *vf = NULL, t, d;
	pthread_t tid;
	int periods, rc = -1, threaded = 0, none = 0;

	memset(stats, 0, sizeof(*stats));
	memset(&bo, 0, sizeof(bo));
	bo.cal_end = opts->as_of ? opts->as_of : cm->cal_end;
	bo.unit_days = cm->unit_days;
	bo.currency = cm->currency[0] ? cm->currency : NULL;
	if (bo.cal_end == 0)
		return crm_error_set(err, CRM_EUSAGE, "model %lld has no"
		    " calibration end: give a date to score as of",
		    (long long)cm->id);
	if (opts->horizon_days <= 0 || !(opts->discount >= 0))
		return crm_error_set(err, CRM_EUSAGE, "bad horizon or"
		    " discount rate");
	if ((b = churn_base_load(db, &bo, &db2, err)) == NULL)
		return -1;
	pa = crm_big_calloc(b->n, sizeof(*pa));
	e = crm_big_calloc(b->n, sizeof(*e));
	vf = crm_big_calloc(b->n, sizeof(*vf));
	if (pa == NULL || e == NULL || vf == NULL) {
		oom(err);
		goto done;
	}
	t = (double)opts->horizon_days / cm->unit_days;
	periods = (int)floor((double)opts->horizon_days / 30 + 0.5);
	if (periods < 1)
		periods = 1;
	d = pow(1 + opts->discount, (double)opts->horizon_days / periods /
	    365) - 1;
	if (churn_predict_all(cm, b, t, periods, d, pa, e, vf, err) < 0)
		goto done;
	memset(&sc, 0, sizeof(sc));
	sc.cm = cm;
	sc.opts = opts;
	sc.b = b;
	sc.pa = pa;
	sc.e = e;
	sc.vf = vf;
	/*
	 * The output, on the second connection and thread, while this one
	 * stores the scores: each takes about as long.  Each score replaces
	 * the contact's row, if any, and rows left over are deleted at the
	 * end: emptying the table first costs as much as filling it, foreign
	 * keys and secure_delete making SQLite delete (and overwrite) row by
	 * row.
	 */
	memset(&w, 0, sizeof(w));
	w.db = db2 != NULL ? db2 : db;
	w.sc = &sc;
	w.o = o;
	w.stats = stats;
	w.progress = progress;
	w.arg = arg;
	if (db2 != NULL && opts->store &&
	    pthread_create(&tid, NULL, writer_job, &w) == 0)
		threaded = 1;
	if (opts->store && store_scores(db, &sc, err) < 0)
		atomic_compare_exchange_strong(&sc.failed, &none,
		    FAILED_STORE);
	if (threaded)
		pthread_join(tid, NULL);
	else if (!sc.failed)
		writer_job(&w);
	if (sc.failed == FAILED_WRITE)
		*err = w.err;
	if (sc.failed || (opts->store && prune_scores(db, b, err) < 0))
		goto done;
	rc = 0;
done:
	if (db2 != NULL)
		churn_second_close(db2);
	free(pa);
	free(e);
	free(vf);
	crm_churn_base_free(b);
	return rc;
}

