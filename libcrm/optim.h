/*
 * optim.h - minimising a smooth function of a few parameters.
 *
 * For maximum-likelihood fits: quasi-Newton BFGS with a backtracking
 * (Armijo) line search, on a supplied gradient or on central differences,
 * and Nelder-Mead as a derivative-free fallback.  Everything is
 * deterministic: the same problem gives the same iterates on every run.
 *
 * The objective has the form
 *
 *	double fn(const double *x, double *grad, void *arg);
 *
 * It returns f(x) and, when grad is not NULL, stores df/dx_i in grad[i]
 * (only ever asked for when opts->gradient is set).  Where f is undefined
 * (outside its domain, a special function that failed) it returns a
 * non-finite value, HUGE_VAL or NaN: the optimisers treat that as +inf and
 * step back.
 *
 * With opts->positive the optimiser works on theta = ln x, so every x_i
 * stays positive; the tolerances and any inverse Hessian passed in or out
 * then refer to theta.  Scale f to be of order 1 (a mean log-likelihood
 * rather than a sum) for the default tolerances to mean something.
 */
#ifndef CRM_OPTIM_H
#define CRM_OPTIM_H

#include <stddef.h>

#include "error.h"

enum {
	CRM_OPTIM_BFGS = 1,
	CRM_OPTIM_NELDER_MEAD = 2,
};

struct crm_optim_opts {
	int positive;	/* optimise ln x: every x_i > 0 */
	int gradient;	/* fn fills grad; else central differences */
	int max_iter;	/* per method; 0: 500 (BFGS), 2000 (Nelder-Mead) */
	double gtol;	/* BFGS: done when max |df/dtheta_i| <= gtol, or
			   when the next quasi-Newton step promises to lower
			   f by less than 1e-13 (1 + |f|); 0: 1e-8 */
	double ftol;	/* Nelder-Mead: done when the simplex values agree to
			   ftol relative and its points to 1e-9; 0: 1e-13 */
	/*
	 * BFGS: if not NULL, an n-by-n row-major inverse Hessian: on entry
	 * the starting approximation (all zeros: let BFGS pick a scaled
	 * identity), on return the final one.  Handing the result of a fit
	 * on a subsample to a fit on the whole data saves most iterations.
	 */
	double *hinv;
	/*
	 * If not NULL, called after every iteration of either method with
	 * the method's iteration count, its best point x (not theta) and f
	 * there.  A non-zero return stops the run at once: it ends as not
	 * converged, res->stopped set, x the best point so far.
	 */
	int (*monitor)(void *arg, int iteration, const double *x, double f);
	void *monitor_arg;
};

struct crm_optim_result {
	double f;		/* objective at the returned x */
	int iterations;		/* over all methods used */
	int evaluations;	/* calls of fn, numerical gradients included */
	int converged;		/* the tolerance was met */
	int method;		/* CRM_OPTIM_* that produced x */
	int stopped;		/* opts->monitor asked to stop */
};

/*
 * Each minimiser takes the starting point in x[0..n) and leaves the best
 * point found there; res (not NULL) describes the run.  Not converging is
 * not an error: res->converged says so.  They fail (-1) with CRM_EUSAGE for
 * n == 0, a non-positive start with opts->positive or a non-finite start;
 * with CRM_EDATA when f is not finite at the start; with CRM_EFAIL on
 * ENOMEM.  opts may be NULL for the defaults.
 */
int crm_optim_bfgs(size_t n, double *x,
    double (*fn)(const double *, double *, void *), void *arg,
    const struct crm_optim_opts *opts, struct crm_optim_result *res,
    struct crm_error *err);

int crm_optim_nelder_mead(size_t n, double *x,
    double (*fn)(const double *, double *, void *), void *arg,
    const struct crm_optim_opts *opts, struct crm_optim_result *res,
    struct crm_error *err);

/*
 * BFGS; if it stalls without converging, Nelder-Mead from the best point,
 * then BFGS once more from there (not after a stop asked by the monitor).
 * res->method names the last method run.
 */
int crm_optim_minimize(size_t n, double *x,
    double (*fn)(const double *, double *, void *), void *arg,
    const struct crm_optim_opts *opts, struct crm_optim_result *res,
    struct crm_error *err);

#endif
