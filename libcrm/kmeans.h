/*
 * kmeans.h - k-means clustering: k-means++ seeding, Lloyd iterations,
 * restarts, from a seeded random stream.
 *
 * Pure mathematics, like stats.h: no I/O, no database, no global state.
 * Points are n rows of d doubles, row-major (point i is x[i * d .. i * d +
 * d - 1]); distances are Euclidean.
 *
 * The random numbers come from splitmix64 seeded with opts->seed: integer
 * arithmetic only, so the stream is the same on every machine, and the
 * same seed on the same data gives the same clusters.  (The arithmetic on
 * the points is IEEE double; a compiler that fuses multiply and add could,
 * in a near tie, pick another point than one that does not.)
 *
 * One run: k-means++ picks the first centre uniformly among the points and
 * each next one with probability proportional to the squared distance to
 * the nearest centre already picked, so it never picks a point equal to a
 * centre.  Then Lloyd: every point goes to its nearest centre (a tie to the
 * lower-numbered centre), every centre moves to the mean of its points,
 * until no point changes cluster or max_iter steps were made.  A cluster
 * left empty takes the point farthest from its own centre (a tie to the
 * lower-numbered point); should that empty the point's cluster, it is
 * refilled the same way, which ends since each move puts one more point
 * on its centre.  Without convergence the centres are still the means of
 * the clusters returned.
 *
 * n_init runs from the same stream (run r from where r * k draws leave
 * it; two threads share them when there are many points), and the one with
 * the lowest inertia (the sum of squared distances of the points to their
 * centres) is kept; an equal inertia keeps the earlier run.  Its clusters
 * are then numbered 0..k-1 in the order in which the points first use
 * them: point 0 is in cluster 0, the first point not in cluster 0 in
 * cluster 1, and so on.  So the numbers depend on the partition only, not
 * on which run or centre found it; crm_kmeans_order() renumbers them by a
 * key that means something to the caller.
 */
#ifndef CRM_KMEANS_H
#define CRM_KMEANS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define CRM_KMEANS_N_INIT	10
#define CRM_KMEANS_MAX_ITER	300

struct crm_kmeans_opts {
	size_t k;		/* clusters, 1 or more */
	uint64_t seed;
	int n_init;		/* runs; 0 means CRM_KMEANS_N_INIT */
	int max_iter;		/* Lloyd steps per run; 0: CRM_KMEANS_MAX_ITER */
};

struct crm_kmeans {
	size_t n, d, k;
	size_t *assign;		/* n: each point's cluster, 0..k-1 */
	double *centroids;	/* k * d, row-major: the mean of each cluster */
	double *dist;		/* n: each point's distance to its centroid */
	size_t *size;		/* k: the number of points in each cluster */
	double inertia;		/* sum of dist[i] squared */
	int iterations;		/* Lloyd steps of the run kept */
	int converged;		/* that run stopped because nothing changed */
	int reseeds;		/* empty clusters it refilled while iterating */
};

/*
 * Cluster the n points x of d dimensions into opts->k clusters and fill
 * km, whose arrays the caller frees with crm_kmeans_release().  Errors:
 * CRM_EUSAGE for k = 0, d = 0 or a point that is not finite; CRM_EDATA
 * when there are fewer distinct points than k (the message says how many
 * there are); CRM_EFAIL on ENOMEM.  km is left empty on error.
 */
int crm_kmeans_fit(const double *x, size_t n, size_t d,
    const struct crm_kmeans_opts *opts, struct crm_kmeans *km,
    struct crm_error *err);

/* Free km's arrays; km may then be filled again. */
void crm_kmeans_release(struct crm_kmeans *km);

/*
 * Renumber the clusters of km by key (k values, one per cluster as
 * numbered now), highest key first; equal keys keep their present order.
 * assign, centroids and size follow.  CRM_EFAIL on ENOMEM.
 */
int crm_kmeans_order(struct crm_kmeans *km, const double *key,
    struct crm_error *err);

/* The number of distinct points among the n; (size_t)-1 on ENOMEM. */
size_t crm_kmeans_distinct(const double *x, size_t n, size_t d);

/*
 * Standardise the n rows of x in place, column by column, to z-scores:
 * (v - mean) / sd with the population standard deviation (divided by n),
 * so that no column outweighs the others by its unit.  A column whose
 * values are all equal becomes 0.  mean and sd (d values each) may be
 * NULL; sd is 0 for such a column.
 */
void crm_kmeans_standardise(double *x, size_t n, size_t d, double *mean,
    double *sd);

#endif
