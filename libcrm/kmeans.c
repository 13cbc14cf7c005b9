/*
 * kmeans.c - k-means++ and Lloyd; see kmeans.h.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "kmeans.h"

/* One run's state; two of them, the best so far and the current one. */
struct run {
	size_t *assign;
	double *cent;
	double *d2;		/* squared distance to the assigned centre */
	size_t *size;
	double inertia;
	int iter, conv, reseeds;
};

#define GAMMA 0x9e3779b97f4a7c15ULL

/* A double in [0, 1) from the top 53 bits, exact on every machine. */
static double
uniform(uint64_t *s)
{
	return (double)(crm_splitmix64(s) >> 11) * 0x1.0p-53;
}

static double
sqdist(const double *a, const double *b, size_t d)
{
	double s = 0, t;
	size_t j;

	for (j = 0; j < d; j++) {
		t = a[j] - b[j];
		s += t * t;
	}
	return s;
}

/* For sorting rows to count the distinct ones. */
struct rowref {
	const double *p;
	size_t d;
};

static int
rowcmp(const void *a, const void *b)
{
	const struct rowref *x = a, *y = b;
	size_t j;

	for (j = 0; j < x->d; j++)
		if (x->p[j] != y->p[j])
			return x->p[j] < y->p[j] ? -1 : 1;
	return 0;
}

size_t
crm_kmeans_distinct(const double *x, size_t n, size_t d)
{
	struct rowref *r;
	size_t i, c = 0;

	if (n == 0)
		return 0;
	if ((r = calloc(n, sizeof(*r))) == NULL)
		return (size_t)-1;
	for (i = 0; i < n; i++) {
		r[i].p = x + i * d;
		r[i].d = d;
	}
	qsort(r, n, sizeof(*r), rowcmp);
	for (i = 0; i < n; i++)
		if (i == 0 || rowcmp(&r[i - 1], &r[i]) != 0)
			c++;
	free(r);
	return c;
}

/*
 * k-means++: the first centre uniformly, each next one with probability
 * d2 / sum d2, walking the points in order; a point at distance 0 from a
 * centre has no chance, so the centres are distinct points.
 */
static int
seed_pp(const double *x, size_t n, size_t d, size_t k, uint64_t *rng,
    struct run *r)
{
	size_t i, c, pick;
	double total, u, cum, t;

	pick = (size_t)(uniform(rng) * (double)n);
	if (pick >= n)
		pick = n - 1;
	memcpy(r->cent, x + pick * d, d * sizeof(*x));
	for (i = 0; i < n; i++)
		r->d2[i] = sqdist(x + i * d, r->cent, d);
	for (c = 1; c < k; c++) {
		total = 0;
		for (i = 0; i < n; i++)
			total += r->d2[i];
		if (!(total > 0))
			return -1;
		u = uniform(rng) * total;
		cum = 0;
		pick = n;
		for (i = 0; i < n; i++) {
			if (!(r->d2[i] > 0))
				continue;
			pick = i;
			cum += r->d2[i];
			if (cum > u)
				break;
		}
		/* pick is the last positive one if rounding left u above
		 * the sum. */
		memcpy(r->cent + c * d, x + pick * d, d * sizeof(*x));
		for (i = 0; i < n; i++) {
			t = sqdist(x + i * d, r->cent + c * d, d);
			if (t < r->d2[i])
				r->d2[i] = t;
		}
	}
	return 0;
}

/* Every point to its nearest centre; returns how many changed. */
static size_t
assign_all(const double *x, size_t n, size_t d, size_t k, struct run *r)
{
	size_t i, c, best, changed = 0;
	double bd, t;

	memset(r->size, 0, k * sizeof(*r->size));
	for (i = 0; i < n; i++) {
		best = 0;
		bd = sqdist(x + i * d, r->cent, d);
		for (c = 1; c < k; c++) {
			t = sqdist(x + i * d, r->cent + c * d, d);
			if (t < bd) {
				bd = t;
				best = c;
			}
		}
		if (r->assign[i] != best)
			changed++;
		r->assign[i] = best;
		r->d2[i] = bd;
		r->size[best]++;
	}
	return changed;
}

/*
 * Give each empty cluster the point farthest from its centre.  That point
 * may have been alone, emptying its own cluster, but each move sets one
 * positive d2 to 0 and none grows, so this ends; and it ends with no empty
 * cluster, since otherwise every point would sit on one of fewer than k
 * centres, which at least k distinct points cannot.  Returns the number
 * of moves, or -1 if that reasoning failed.
 */
static long
fix_empty(const double *x, size_t n, size_t d, size_t k, struct run *r)
{
	size_t i, c, far;
	long moves = 0;

	for (;;) {
		for (c = 0; c < k && r->size[c] > 0; c++)
			;
		if (c == k)
			return moves;
		far = n;
		for (i = 0; i < n; i++)
			if (r->d2[i] > 0 && (far == n || r->d2[i] > r->d2[far]))
				far = i;
		if (far == n)
			return -1;
		r->size[r->assign[far]]--;
		r->assign[far] = c;
		r->size[c]++;
		r->d2[far] = 0;
		memcpy(r->cent + c * d, x + far * d, d * sizeof(*x));
		moves++;
	}
}

/* Each centre to the mean of its points (none is empty). */
static void
update_means(const double *x, size_t n, size_t d, size_t k, struct run *r)
{
	size_t i, j;
	double *c;

	memset(r->cent, 0, k * d * sizeof(*r->cent));
	for (i = 0; i < n; i++) {
		c = r->cent + r->assign[i] * d;
		for (j = 0; j < d; j++)
			c[j] += x[i * d + j];
	}
	for (i = 0; i < k; i++)
		for (j = 0; j < d; j++)
			r->cent[i * d + j] /= (double)r->size[i];
}

static int
run_once(const double *x, size_t n, size_t d, size_t k, int max_iter,
    uint64_t *rng, struct run *r)
{
	size_t i;
	long moved, fixed;

	if (seed_pp(x, n, d, k, rng, r) < 0)
		return -1;
	for (i = 0; i < n; i++)
		r->assign[i] = (size_t)-1;
	assign_all(x, n, d, k, r);
	if (fix_empty(x, n, d, k, r) < 0)
		return -1;
	r->iter = 0;
	r->conv = 0;
	r->reseeds = 0;
	while (r->iter < max_iter) {
		update_means(x, n, d, k, r);
		r->iter++;
		moved = (long)assign_all(x, n, d, k, r);
		if ((fixed = fix_empty(x, n, d, k, r)) < 0)
			return -1;
		r->reseeds += (int)fixed;
		if (moved + fixed == 0) {
			r->conv = 1;
			break;
		}
	}
	if (!r->conv) {
		/* Out of steps: leave centres that are the means of the
		 * clusters reported, with the distances to them. */
		update_means(x, n, d, k, r);
		for (i = 0; i < n; i++)
			r->d2[i] = sqdist(x + i * d, r->cent + r->assign[i] * d,
			    d);
	}
	r->inertia = 0;
	for (i = 0; i < n; i++)
		r->inertia += r->d2[i];
	return 0;
}

static void
run_free(struct run *r)
{
	free(r->assign);
	free(r->cent);
	free(r->d2);
	free(r->size);
	memset(r, 0, sizeof(*r));
}

static int
run_alloc(struct run *r, size_t n, size_t d, size_t k)
{
	memset(r, 0, sizeof(*r));
	r->assign = calloc(n, sizeof(*r->assign));
	r->cent = calloc(k * d, sizeof(*r->cent));
	r->d2 = calloc(n, sizeof(*r->d2));
	r->size = calloc(k, sizeof(*r->size));
	if (r->assign == NULL || r->cent == NULL || r->d2 == NULL ||
	    r->size == NULL) {
		run_free(r);
		return -1;
	}
	return 0;
}

/* Number the clusters of r by first use and move the result into km. */
static int
take(struct run *r, size_t n, size_t d, size_t k, struct crm_kmeans *km,
    struct crm_error *err)
{
	size_t *map, i, next = 0;

	if ((map = calloc(k, sizeof(*map))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "k-means: %s",
		    strerror(errno));
	for (i = 0; i < k; i++)
		map[i] = (size_t)-1;
	for (i = 0; i < n; i++)
		if (map[r->assign[i]] == (size_t)-1)
			map[r->assign[i]] = next++;
	km->n = n;
	km->d = d;
	km->k = k;
	km->assign = r->assign;
	km->dist = r->d2;
	km->inertia = r->inertia;
	km->iterations = r->iter;
	km->converged = r->conv;
	km->reseeds = r->reseeds;
	km->centroids = calloc(k * d, sizeof(*km->centroids));
	km->size = calloc(k, sizeof(*km->size));
	if (km->centroids == NULL || km->size == NULL) {
		free(map);
		free(r->cent);
		free(r->size);
		crm_kmeans_release(km);
		return crm_error_set(err, CRM_EFAIL, "k-means: %s",
		    strerror(errno));
	}
	for (i = 0; i < k; i++) {
		memcpy(km->centroids + map[i] * d, r->cent + i * d,
		    d * sizeof(*r->cent));
		km->size[map[i]] = r->size[i];
	}
	for (i = 0; i < n; i++) {
		km->assign[i] = map[km->assign[i]];
		km->dist[i] = sqrt(km->dist[i]);
	}
	free(map);
	free(r->cent);
	free(r->size);
	return 0;
}

/*
 * One thread's share of the restarts: runs first, first + step, ...  A
 * run draws exactly k numbers from the stream (seed_pp()), each one step
 * of splitmix64, so run r starts where r * k draws leave the stream and
 * the runs can go in any order, or two at once, with the same results.
 */
struct share {
	const double *x;
	size_t n, d, k;
	int max_iter, n_init, first, step;
	uint64_t seed;
	struct run best, cur;
	int best_run;		/* -1 while none */
	int failed;
};

static void *
share_runs(void *arg)
{
	struct share *s = arg;
	struct run t;
	uint64_t rng;
	int r;

	for (r = s->first; r < s->n_init; r += s->step) {
		rng = s->seed + (uint64_t)r * (uint64_t)s->k * GAMMA;
		if (run_once(s->x, s->n, s->d, s->k, s->max_iter, &rng,
		    &s->cur) < 0) {
			s->failed = 1;
			break;
		}
		if (s->best_run < 0 || s->cur.inertia < s->best.inertia) {
			t = s->best;
			s->best = s->cur;
			s->cur = t;
			s->best_run = r;
		}
	}
	return NULL;
}

/* Below this many point-centre pairs the restarts run in one thread. */
#define SHARE_MIN 200000

int
crm_kmeans_fit(const double *x, size_t n, size_t d,
    const struct crm_kmeans_opts *opts, struct crm_kmeans *km,
    struct crm_error *err)
{
	struct share sh[2];
	pthread_t tid;
	size_t i, k = opts->k, nd;
	int n_init = opts->n_init > 0 ? opts->n_init : CRM_KMEANS_N_INIT;
	int max_iter = opts->max_iter > 0 ? opts->max_iter :
	    CRM_KMEANS_MAX_ITER;
	int j, nsh, threaded = 0, win;

	memset(km, 0, sizeof(*km));
	if (k == 0 || d == 0)
		return crm_error_set(err, CRM_EUSAGE, "k-means: %s must be at"
		    " least 1", k == 0 ? "the number of clusters" :
		    "the number of dimensions");
	for (i = 0; i < n * d; i++)
		if (!isfinite(x[i]))
			return crm_error_set(err, CRM_EUSAGE, "k-means: point"
			    " %zu is not finite", i / d + 1);
	if (n < k)
		return crm_error_set(err, CRM_EDATA, "k-means: %zu clusters"
		    " asked for, but there are only %zu points", k, n);
	memset(sh, 0, sizeof(sh));
	nsh = n_init > 1 && n * k >= SHARE_MIN ? 2 : 1;
	for (j = 0; j < nsh; j++) {
		sh[j].x = x;
		sh[j].n = n;
		sh[j].d = d;
		sh[j].k = k;
		sh[j].max_iter = max_iter;
		sh[j].n_init = n_init;
		sh[j].first = j;
		sh[j].step = nsh;
		sh[j].seed = opts->seed;
		sh[j].best_run = -1;
		if (run_alloc(&sh[j].best, n, d, k) < 0 ||
		    run_alloc(&sh[j].cur, n, d, k) < 0) {
			nsh = j + 1;
			goto nomem;
		}
	}
	if (nsh == 2 && pthread_create(&tid, NULL, share_runs, &sh[1]) == 0)
		threaded = 1;
	else if (nsh == 2) {
		sh[0].step = 1;	/* all the runs here */
		sh[1].first = n_init;
	}
	share_runs(&sh[0]);
	if (threaded)
		pthread_join(tid, NULL);
	if (sh[0].failed || sh[1].failed) {
		/*
		 * k-means++ found every point on a centre before it had k:
		 * fewer than k distinct points, counted only now (a sort of
		 * them all), or, if not, squared distances that underflow to
		 * 0: points distinct, yet too close to tell.
		 */
		for (j = 0; j < nsh; j++) {
			run_free(&sh[j].best);
			run_free(&sh[j].cur);
		}
		if ((nd = crm_kmeans_distinct(x, n, d)) == (size_t)-1)
			return crm_error_set(err, CRM_EFAIL, "k-means: %s",
			    strerror(errno));
		if (nd < k)
			return crm_error_set(err, CRM_EDATA, "k-means: %zu"
			    " clusters asked for, but there are only %zu"
			    " distinct points", k, nd);
		return crm_error_set(err, CRM_EDATA, "k-means: the points are"
		    " too close together for %zu clusters", k);
	}
	/* The lowest inertia; of equal ones the earliest run's. */
	win = 0;
	if (nsh == 2 && sh[1].best_run >= 0 && (sh[0].best_run < 0 ||
	    sh[1].best.inertia < sh[0].best.inertia ||
	    (sh[1].best.inertia == sh[0].best.inertia &&
	    sh[1].best_run < sh[0].best_run)))
		win = 1;
	for (j = 0; j < nsh; j++) {
		run_free(&sh[j].cur);
		if (j != win)
			run_free(&sh[j].best);
	}
	return take(&sh[win].best, n, d, k, km, err);
nomem:
	for (j = 0; j < nsh; j++) {
		run_free(&sh[j].best);
		run_free(&sh[j].cur);
	}
	return crm_error_set(err, CRM_EFAIL, "k-means: %s", strerror(errno));
}

void
crm_kmeans_release(struct crm_kmeans *km)
{
	free(km->assign);
	free(km->centroids);
	free(km->dist);
	free(km->size);
	memset(km, 0, sizeof(*km));
}

/* A cluster's key and its number now, for a stable descending sort. */
struct keyed {
	double key;
	size_t c;
};

static int
keycmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int xn = isnan(x->key), yn = isnan(y->key);

	/* NaN last, so an undefined key never comes first. */
	if (xn != yn)
		return xn - yn;
	if (!xn && x->key != y->key)
		return x->key > y->key ? -1 : 1;
	return x->c < y->c ? -1 : x->c > y->c;
}

int
crm_kmeans_order(struct crm_kmeans *km, const double *key,
    struct crm_error *err)
{
	struct keyed *kc;
	size_t *map, *size, i, k = km->k, d = km->d;
	double *cent;

	kc = calloc(k, sizeof(*kc));
	map = calloc(k, sizeof(*map));
	size = calloc(k, sizeof(*size));
	cent = calloc(k * d, sizeof(*cent));
	if (kc == NULL || map == NULL || size == NULL || cent == NULL) {
		free(kc);
		free(map);
		free(size);
		free(cent);
		return crm_error_set(err, CRM_EFAIL, "k-means: %s",
		    strerror(errno));
	}
	for (i = 0; i < k; i++) {
		kc[i].key = key[i];
		kc[i].c = i;
	}
	qsort(kc, k, sizeof(*kc), keycmp);
	for (i = 0; i < k; i++) {
		map[kc[i].c] = i;
		size[i] = km->size[kc[i].c];
		memcpy(cent + i * d, km->centroids + kc[i].c * d,
		    d * sizeof(*cent));
	}
	for (i = 0; i < km->n; i++)
		km->assign[i] = map[km->assign[i]];
	free(km->size);
	free(km->centroids);
	km->size = size;
	km->centroids = cent;
	free(kc);
	free(map);
	return 0;
}

void
crm_kmeans_standardise(double *x, size_t n, size_t d, double *mean,
    double *sd)
{
	size_t i, j;
	double m, s, t;

	for (j = 0; j < d; j++) {
		m = 0;
		for (i = 0; i < n; i++)
			m += x[i * d + j];
		m = n > 0 ? m / (double)n : 0;
		/* Two passes: the sum of squares about the mean does not
		 * cancel as sum x^2 - n m^2 would. */
		s = 0;
		for (i = 0; i < n; i++) {
			t = x[i * d + j] - m;
			s += t * t;
		}
		s = n > 0 ? sqrt(s / (double)n) : 0;
		/* Equal values leave rounding noise, not a spread. */
		if (!(s > 1e-12 * (fabs(m) + 1)))
			s = 0;
		for (i = 0; i < n; i++)
			x[i * d + j] = s > 0 ? (x[i * d + j] - m) / s : 0;
		if (mean != NULL)
			mean[j] = m;
		if (sd != NULL)
			sd[j] = s;
	}
}
