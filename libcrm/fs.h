/*
 * fs.h - Fellegi-Sunter record linkage, with m and u estimated by EM.
 *
 * A candidate pair of records is compared field by field; each field's
 * comparison is a level 0 .. L-1 (say 0 disagree, 1 partial, 2 agree) or
 * -1 when either value is missing.  Such a comparison vector gamma has K
 * levels, one a field, as signed chars.  For a true match, field k is at
 * level l with probability m[k][l]; for a non-match, with u[k][l]; fields
 * are taken as independent given the match status, and lambda is the share
 * of matches among the pairs.
 *
 * crm_fs_fit() estimates lambda, m and u from unlabelled vectors by
 * expectation-maximisation; crm_fs_weight() then scores a pair with its
 * match weight, the log2 Bayes factor sum over the non-missing fields of
 * log2(m[k][gamma_k] / u[k][gamma_k]), and crm_fs_prob() turns a weight
 * into the posterior probability of a match.  A missing field (-1)
 * contributes nothing, neither to the weight nor to the estimates.
 *
 * Pure mathematics: no I/O, deterministic (the same vectors in the same
 * order give the same model, bit for bit), safe on different models from
 * different threads.  Functions that can fail take `struct crm_error *err`
 * last, return -1 and fill it: CRM_EUSAGE for arguments that make no
 * sense, CRM_EDATA for vectors that do not fit the model, CRM_EFAIL for
 * ENOMEM.
 */
#ifndef CRM_FS_H
#define CRM_FS_H

#include <stddef.h>

#include "error.h"

/* Most levels a field may have. */
#define CRM_FS_LEVELS_MAX 16

/*
 * The model.  crm_fs_init() allocates the arrays and sets every field
 * below to its default; change the options between init and fit.  The
 * arrays are indexed [k * nlevels + l].
 */
struct crm_fs_model {
	int nfields;	/* K, fields in a comparison vector */
	int nlevels;	/* L, levels 0 .. L-1 of every field */

	/* The parameters (starting values before a fit, estimates after). */
	double lambda;	/* P(match) */
	double *m;	/* P(field k at level l | match) */
	double *u;	/* P(field k at level l | non-match) */
	double *w;	/* log2(m / u), kept by crm_fs_update() */

	/* Options. */
	double tol;	/* stop when no parameter moves more: 1e-6 */
	int max_iter;	/* at most this many EM iterations: 1000 */
	double floor;	/* no probability below this: 1e-6 */
	int start_from_data; /* 1: start u at the observed level shares */
	int fix_u;	/* 1: keep u as given (from random pairs, say) */

	/* What the last fit did. */
	int iterations;
	int converged;	/* 1 if it stopped on tol, 0 on max_iter */
	double loglik;	/* log-likelihood (natural log) at the last step */
};

/*
 * Set up a model of nfields fields with nlevels levels each (2 to
 * CRM_FS_LEVELS_MAX).  Default starting values: lambda 0.1; m rising and u
 * falling geometrically with the level (factor 4: for 3 levels m is .05
 * .19 .76 and u the reverse), so the top level is agreement.  Release with
 * crm_fs_release().
 */
int crm_fs_init(struct crm_fs_model *fs, int nfields, int nlevels,
    struct crm_error *err);

/* Free the arrays; the struct may be initialised again. */
void crm_fs_release(struct crm_fs_model *fs);

/*
 * Recompute the weight table w after m or u were changed by hand (floors
 * them first).  crm_fs_init() and crm_fs_fit() do this themselves.
 */
void crm_fs_update(struct crm_fs_model *fs);

/*
 * Estimate lambda, m and u (u only unless fix_u) by EM from n comparison
 * vectors, gamma[i * nfields + k] for pair i and field k.  Identical vectors
 * are pooled first, so the cost of an iteration grows with the number of
 * distinct vectors, not of pairs.
 *
 * Starting values are those in fs, except that with start_from_data u
 * starts at the share of pairs at each level (most candidate pairs are
 * non-matches, so that is close) and m at the default.  Probabilities
 * never drop below fs->floor (then renormalised), lambda stays within
 * [floor, 1 - floor].  Should EM settle on the mirror solution, with the
 * top level likelier among non-matches than among matches over all fields
 * taken together, the two classes are swapped back (not with fix_u).
 *
 * Fails with CRM_EDATA when n is 0 or a level is outside -1 .. L-1 (the
 * message names the vector and field), CRM_EUSAGE for a floor outside
 * (0, 1/L), CRM_EFAIL on ENOMEM.  On failure fs keeps its previous
 * parameters.
 */
int crm_fs_fit(struct crm_fs_model *fs, const signed char *gamma, size_t n,
    struct crm_error *err);

/*
 * The same from npat distinct vectors pat[p * nfields + k], each seen
 * count[p] times (a count may be fractional; negative or non-finite counts
 * are CRM_EUSAGE).
 */
int crm_fs_fit_patterns(struct crm_fs_model *fs, const signed char *pat,
    const double *count, size_t npat, struct crm_error *err);

/*
 * The match weight of one comparison vector: the log2 Bayes factor, sum
 * of w[k][gamma_k] over the fields that are not missing (a level out of
 * range counts as missing).  0 means no evidence either way.
 */
double crm_fs_weight(const struct crm_fs_model *fs, const signed char *gamma);

/*
 * The match weight with term-frequency adjustment: where field k is at the
 * top level (L-1, exact agreement) and tf[k] > 0, tf[k] stands in for
 * u[k][L-1], so agreeing on a rare value ("Zbigniew") counts more than on a
 * common one ("John").  tf[k] is the chance that two records that do not
 * match share this value, usually the share of records holding it.  tf
 * may be NULL, and tf[k] <= 0 or NaN means no adjustment for field k.
 */
double crm_fs_weight_tf(const struct crm_fs_model *fs,
    const signed char *gamma, const double *tf);

/*
 * The posterior probability of a match for a pair with match weight
 * weight: 1 / (1 + 2^-(weight + log2(lambda / (1 - lambda)))).
 */
double crm_fs_prob(const struct crm_fs_model *fs, double weight);

/*
 * A similarity as a level: how many of the ncuts increasing cut points
 * sim reaches (sim >= cuts[i]); -1 for NaN (missing).  With cuts {0.8,
 * 0.95} a Jaro-Winkler of 0.9 is level 1.
 */
int crm_fs_level(double sim, const double *cuts, int ncuts);

#endif
