/*
 * Unit tests for libcrm/kmeans: clusters small enough to check by hand,
 * determinism, the order of the input, empty clusters, and the errors.
 */
#include <stdint.h>
#include <stdlib.h>

#include "kmeans.h"
#include "tap.h"

static struct crm_error err;

/* Every cluster used, sizes adding up, each centroid the mean of its
 * points and each dist the distance to it. */
static void
is_consistent(const double *x, const struct crm_kmeans *km, const char *name)
{
	size_t i, j, c, sum = 0, *cnt;
	double *mean, in = 0, t, s;
	int good = 1;

	cnt = calloc(km->k, sizeof(*cnt));
	mean = calloc(km->k * km->d, sizeof(*mean));
	for (i = 0; i < km->n; i++) {
		c = km->assign[i];
		if (c >= km->k) {
			good = 0;
			continue;
		}
		cnt[c]++;
		for (j = 0; j < km->d; j++)
			mean[c * km->d + j] += x[i * km->d + j];
	}
	for (c = 0; c < km->k; c++) {
		sum += km->size[c];
		if (cnt[c] == 0 || cnt[c] != km->size[c])
			good = 0;
		for (j = 0; good && j < km->d; j++)
			if (fabs(mean[c * km->d + j] / (double)cnt[c] -
			    km->centroids[c * km->d + j]) > 1e-9)
				good = 0;
	}
	for (i = 0; good && i < km->n; i++) {
		s = 0;
		for (j = 0; j < km->d; j++) {
			t = x[i * km->d + j] -
			    km->centroids[km->assign[i] * km->d + j];
			s += t * t;
		}
		in += s;
		if (fabs(sqrt(s) - km->dist[i]) > 1e-9)
			good = 0;
	}
	ok(good && sum == km->n && fabs(in - km->inertia) < 1e-9,
	    "%s: clusters consistent", name);
	free(cnt);
	free(mean);
}

static void
test_line(void)
{
	double x[6] = { 1, 2, 3, 10, 11, 12 };
	double rev[6] = { 12, 11, 10, 3, 2, 1 };
	struct crm_kmeans_opts o = { 2, 1, 0, 0 };
	struct crm_kmeans km, kr;
	double key[2];

	if (!ok(crm_kmeans_fit(x, 6, 1, &o, &km, &err) == 0,
	    "1,2,3,10,11,12 in 2 clusters")) {
		printf("#   %s\n", err.msg);
		return;
	}
	/* Clusters numbered by first use: point 0 (1) is in cluster 0. */
	is_num(km.centroids[0], 2, 1e-12, "centroid of 1,2,3 is 2");
	is_num(km.centroids[1], 11, 1e-12, "centroid of 10,11,12 is 11");
	is_num(km.inertia, 4, 1e-12, "inertia 1+0+1+1+0+1 = 4");
	ok(km.size[0] == 3 && km.size[1] == 3, "sizes 3 and 3");
	ok(km.assign[0] == 0 && km.assign[2] == 0 && km.assign[3] == 1 &&
	    km.assign[5] == 1, "assignments");
	is_num(km.dist[0], 1, 1e-12, "1 is at distance 1 from 2");
	is_num(km.dist[4], 0, 1e-12, "11 is on its centroid");
	ok(km.converged && km.iterations >= 1, "converged after %d steps",
	    km.iterations);
	is_consistent(x, &km, "1-D");

	/* Reversed input: the same clusters, numbered by first use. */
	if (!ok(crm_kmeans_fit(rev, 6, 1, &o, &kr, &err) == 0,
	    "the same points reversed"))
		return;
	is_num(kr.centroids[0], 11, 1e-12, "reversed: cluster 0 is 11");
	is_num(kr.inertia, km.inertia, 0, "reversed: same inertia");

	/* Ordered by centroid, highest first, the numbering agrees. */
	key[0] = km.centroids[0];
	key[1] = km.centroids[1];
	ok(crm_kmeans_order(&km, key, &err) == 0, "order by centroid");
	key[0] = kr.centroids[0];
	key[1] = kr.centroids[1];
	ok(crm_kmeans_order(&kr, key, &err) == 0, "order reversed");
	ok(km.centroids[0] == 11 && kr.centroids[0] == 11 &&
	    km.centroids[1] == 2 && kr.centroids[1] == 2,
	    "ordered: cluster 0 is 11 in both");
	ok(km.assign[0] == 1 && km.assign[5] == 0 && kr.assign[0] == 0 &&
	    kr.assign[5] == 1 && km.size[0] == 3,
	    "ordered: points follow their clusters");
	is_consistent(x, &km, "1-D reordered");
	crm_kmeans_release(&km);
	crm_kmeans_release(&kr);
}

/* Three blobs of five points, 100 apart, each point within 1 of its
 * centre. */
static void
test_blobs(void)
{
	static const double off[5][2] = { { 0, 0 }, { 1, 0 }, { -1, 0 },
	    { 0, 1 }, { 0, -1 } };
	static const double ctr[3][2] = { { 0, 0 }, { 100, 0 }, { 0, 100 } };
	double x[30], y[30];
	struct crm_kmeans km, k2;
	struct crm_kmeans_opts o = { 3, 7, 0, 0 };
	size_t i, b, p;
	int same = 1, sep = 1;
	uint64_t seed;

	/* Interleaved: point i is in blob i % 3. */
	for (i = 0; i < 15; i++) {
		x[2 * i] = ctr[i % 3][0] + off[i / 3][0];
		x[2 * i + 1] = ctr[i % 3][1] + off[i / 3][1];
	}
	if (!ok(crm_kmeans_fit(x, 15, 2, &o, &km, &err) == 0, "blobs"))
		return;
	for (i = 0; i < 15; i++)
		if (km.assign[i] != i % 3)
			sep = 0;
	ok(sep, "each blob is one cluster, numbered by first use");
	for (b = 0; b < 3; b++)
		ok(km.centroids[2 * b] == ctr[b][0] &&
		    km.centroids[2 * b + 1] == ctr[b][1],
		    "centroid %zu is the blob's centre (%g, %g)", b,
		    km.centroids[2 * b], km.centroids[2 * b + 1]);
	is_num(km.inertia, 12, 1e-9, "inertia 3 blobs * 4 points * 1");
	is_consistent(x, &km, "blobs");

	/* The same seed gives the same bits; other seeds the same
	 * partition, since it is the only good one. */
	if (crm_kmeans_fit(x, 15, 2, &o, &k2, &err) == 0) {
		ok(memcmp(km.assign, k2.assign, 15 * sizeof(*km.assign)) ==
		    0 && memcmp(km.centroids, k2.centroids, 6 *
		    sizeof(double)) == 0 && km.inertia == k2.inertia &&
		    km.iterations == k2.iterations,
		    "same seed, same result to the bit");
		crm_kmeans_release(&k2);
	}
	for (seed = 0; seed < 50; seed++) {
		o.seed = seed;
		o.n_init = 1;
		if (crm_kmeans_fit(x, 15, 2, &o, &k2, &err) < 0) {
			same = 0;
			break;
		}
		if (memcmp(km.assign, k2.assign, 15 * sizeof(*km.assign)))
			same = 0;
		crm_kmeans_release(&k2);
	}
	ok(same, "50 seeds, one run each: the same clusters");

	/* Blob by blob instead of interleaved: the same clusters,
	 * numbered by first use again. */
	for (i = 0; i < 15; i++) {
		b = i / 5;
		p = i % 5;
		y[2 * i] = ctr[b][0] + off[p][0];
		y[2 * i + 1] = ctr[b][1] + off[p][1];
	}
	o.seed = 7;
	o.n_init = 0;
	if (crm_kmeans_fit(y, 15, 2, &o, &k2, &err) == 0) {
		sep = 1;
		for (i = 0; i < 15; i++)
			if (k2.assign[i] != i / 5)
				sep = 0;
		ok(sep && k2.inertia == km.inertia,
		    "input in another order: the same clusters and inertia");
		crm_kmeans_release(&k2);
	}
	crm_kmeans_release(&km);
}

/* A run that empties a cluster, then duplicates. */
static void
test_empty(void)
{
	/*
	 * With seed 0 and one run, k-means++ picks centres whose Lloyd
	 * steps leave a cluster empty (found by search, checked through
	 * reseeds); the farthest point refills it.
	 */
	double x[6] = { 9, 0, 5, 1, 6, 1 };
	double dup[8] = { 1, 1, 1, 1, 2, 2, 2, 5 };
	struct crm_kmeans_opts o = { 3, 0, 1, 0 };
	struct crm_kmeans km;
	int seen = 0;
	uint64_t seed;

	if (!ok(crm_kmeans_fit(x, 6, 1, &o, &km, &err) == 0,
	    "a run with an empty cluster"))
		return;
	ok(km.reseeds > 0, "an empty cluster was refilled (%d)", km.reseeds);
	ok(km.size[0] > 0 && km.size[1] > 0 && km.size[2] > 0,
	    "no cluster is left empty");
	is_consistent(x, &km, "after a refill");
	crm_kmeans_release(&km);

	/* As many clusters as distinct values: each value alone. */
	for (seed = 0; seed < 20; seed++) {
		o.seed = seed;
		if (crm_kmeans_fit(dup, 8, 1, &o, &km, &err) < 0)
			break;
		if (km.inertia == 0 && km.size[0] == 4 && km.size[1] == 3 &&
		    km.size[2] == 1)
			seen++;
		crm_kmeans_release(&km);
	}
	ok(seen == 20, "1,1,1,1,2,2,2,5 in 3: the three values, any seed");
}

static void
test_errors(void)
{
	double x[4] = { 1, 1, 2, 2 }, bad[2] = { 1, NAN };
	struct crm_kmeans_opts o = { 3, 1, 0, 0 };
	struct crm_kmeans km;

	ok(crm_kmeans_fit(x, 4, 1, &o, &km, &err) < 0 &&
	    err.code == CRM_EDATA, "k 3 with 2 distinct points: data error");
	is_str(err.msg, "k-means: 3 clusters asked for, but there are only 2"
	    " distinct points", "the message says how many");
	o.k = 5;
	ok(crm_kmeans_fit(x, 4, 1, &o, &km, &err) < 0 &&
	    err.code == CRM_EDATA && strstr(err.msg, "only 4 points"),
	    "k 5 with 4 points: data error");
	o.k = 0;
	ok(crm_kmeans_fit(x, 4, 1, &o, &km, &err) < 0 &&
	    err.code == CRM_EUSAGE, "k 0: usage error");
	o.k = 1;
	ok(crm_kmeans_fit(bad, 2, 1, &o, &km, &err) < 0 &&
	    err.code == CRM_EUSAGE && strstr(err.msg, "point 2"),
	    "NaN: usage error naming the point");
	ok(crm_kmeans_fit(x, 4, 1, &o, &km, &err) == 0 &&
	    km.centroids[0] == 1.5 && km.inertia == 1 && km.iterations == 1,
	    "k 1: the mean, in one step");
	crm_kmeans_release(&km);
	ok(crm_kmeans_fit(x, 0, 1, &o, &km, &err) < 0 &&
	    err.code == CRM_EDATA, "no points: data error");
}

static void
test_standardise(void)
{
	double x[6] = { 1, 5, 2, 5, 3, 5 }, mean[2], sd[2];

	crm_kmeans_standardise(x, 3, 2, mean, sd);
	is_num(mean[0], 2, 1e-15, "mean 2");
	is_num(sd[0], sqrt(2.0 / 3), 1e-15, "population sd sqrt(2/3)");
	is_num(x[0], -sqrt(1.5), 1e-15, "z of 1 is -sqrt(3/2)");
	is_num(x[2], 0, 1e-15, "z of the mean is 0");
	ok(x[1] == 0 && x[3] == 0 && x[5] == 0 && sd[1] == 0,
	    "a constant column becomes 0");
}

/*
 * Many points, so the restarts go two at a time: the result is the one
 * that the runs made one by one give, run r from the seed moved on by r * k
 * draws of splitmix64 (its step is 0x9e3779b97f4a7c15), the lowest inertia
 * winning and the earliest of equal ones.
 */
static void
test_restarts(void)
{
	enum { N = 60000, K = 5, RUNS = 7 };
	struct crm_kmeans_opts o = { K, 3, RUNS, 0 };
	struct crm_kmeans all, one, best;
	uint64_t s = 12345, z;
	double *x;
	int r, bestr = -1, same;
	size_t i;

	if ((x = malloc(N * 2 * sizeof(*x))) == NULL) {
		ok(0, "restarts: out of memory");
		return;
	}
	/* Overlapping clouds: restarts that end in different places. */
	for (i = 0; i < 2 * N; i++) {
		s += 0x9e3779b97f4a7c15ULL;
		z = s;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		x[i] = (double)(z >> 11) * 0x1.0p-53 * 10 + (double)(i % 6);
	}
	if (!ok(crm_kmeans_fit(x, N, 2, &o, &all, &err) == 0,
	    "restarts: %d runs over %d points", RUNS, N)) {
		free(x);
		return;
	}
	memset(&best, 0, sizeof(best));
	for (r = 0; r < RUNS; r++) {
		struct crm_kmeans_opts o1 = { K, 3 + (uint64_t)r * K *
		    0x9e3779b97f4a7c15ULL, 1, 0 };

		if (crm_kmeans_fit(x, N, 2, &o1, &one, &err) < 0)
			break;
		if (bestr < 0 || one.inertia < best.inertia) {
			crm_kmeans_release(&best);
			best = one;
			bestr = r;
		} else
			crm_kmeans_release(&one);
	}
	ok(r == RUNS, "restarts: each run alone");
	same = bestr >= 0 && best.inertia == all.inertia &&
	    memcmp(best.assign, all.assign, N * sizeof(*all.assign)) == 0 &&
	    memcmp(best.centroids, all.centroids, K * 2 *
	    sizeof(*all.centroids)) == 0;
	/* Seed 3 makes run 3, one of the second thread's, the best. */
	ok(same && bestr == 3, "restarts: the same result as run %d alone"
	    " (inertia %.6f)", bestr, all.inertia);
	crm_kmeans_release(&best);
	crm_kmeans_release(&all);
	free(x);
}

int
main(void)
{
	test_line();
	test_blobs();
	test_empty();
	test_errors();
	test_standardise();
	test_restarts();
	return tap_done();
}
