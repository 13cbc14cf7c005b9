/*
 * clv-fit.c - maximum likelihood fits of the count and spend models, the
 * full model against its limit model, and the log-likelihood of a model.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clv-int.h"
#include "hash.h"
#include "mem.h"
#include "optim.h"
#include "stats.h"

#define SUB_MIN		50000	/* distinct summaries before subsampling */
#define SUB_SIZE	20000	/* about this many in the subsample */
#define GTOL		1e-9	/* on the mean log-likelihood, log-params */

/*
 * A full fit whose concentration parameter passes this has left for the
 * boundary: it stops and the limit model takes over (Pareto/NBD earlier,
 * as its hypergeometric series grow with s and beta).
 */
#define CONC_MAX	1e6
#define PARETO_CONC_MAX	1e4
#define RUN_OFF		1e8	/* any parameter beyond (or below 1/RUN_OFF) */
/*
 * r past this: every customer buys at the same rate, a limit no model
 * here takes; the data are too few to tell, and the fit says so.
 */

struct objective {
	const struct rows *d;
	int kind;
};

static size_t
nparams(int kind)
{
	return kind == GG_LIM ? 2 : kind >= SPEND ? 3 : 4;
}

/* Minus the mean log-likelihood, for the optimiser. */
static double
objective(const double *p, double *g, void *arg)
{
	const struct objective *o = arg;
	double ll;
	size_t i, np = nparams(o->kind);

	switch (o->kind) {
	case CRM_CLV_BGNBD:
		ll = clv_bgnbd_ll(o->d, p, g);
		break;
	case CRM_CLV_PARETO:
		ll = clv_pareto_ll(o->d, p, g);
		break;
	case BG_LIM:
		ll = clv_bgnbd_lim_ll(o->d, p, g);
		break;
	case PA_LIM:
		ll = clv_pareto_lim_ll(o->d, p, g);
		break;
	case GG_LIM:
		ll = clv_gg_lim_ll(o->d, p, g);
		break;
	default:
		ll = clv_gg_ll(o->d, p, g);
		break;
	}
	if (!isfinite(ll))
		return INFINITY;
	if (g != NULL)
		for (i = 0; i < np; i++)
			g[i] = -g[i] / o->d->wsum;
	return -ll / o->d->wsum;
}

static const char *const names[6][4] = {
	{ "r", "alpha", "a", "b" },
	{ "r", "alpha", "s", "beta" },
	{ "p", "q", "v", NULL },
	{ "r", "alpha", "p/(1-p)", NULL },
	{ "r", "alpha", "mu", NULL },
	{ "p", "nu", NULL, NULL },
};

static const char *
kind_name(int kind)
{
	switch (kind) {
	case CRM_CLV_BGNBD:
		return "BG/NBD";
	case CRM_CLV_PARETO:
		return "Pareto/NBD";
	case SPEND:
		return "Gamma-Gamma";
	case BG_LIM:
		return "BG/NBD, common drop-out probability";
	case PA_LIM:
		return "Pareto/NBD, common drop-out rate";
	default:
		return "Gamma-Gamma, common mean spend";
	}
}

const char *
crm_clv_model_name(const struct crm_clv_model *m)
{
	return kind_name(m->limit ? (m->kind == CRM_CLV_BGNBD ? BG_LIM :
	    PA_LIM) : m->kind);
}

const char *
crm_clv_gg_name(const struct crm_clv_gg *g)
{
	return kind_name(g->limit ? GG_LIM : SPEND);
}

/* One run of the optimiser, watched. */
struct fitrun {
	const struct crm_clv_fit_opts *opts;
	int kind;
	double wsum;		/* of the rows being fitted */
	int stopped;		/* the estimate left for the boundary */
	int bad;		/* a parameter out of range at the end, or -1 */
};

/* The drop-out parameter of a limit model may go to 0: no drop-out. */
static int
may_vanish(int kind, size_t i)
{
	return (kind == BG_LIM || kind == PA_LIM) && i == 2;
}

/*
 * Has the full model's estimate x left for its limit, or for no drop-out
 * at all (BG/NBD's b or Pareto/NBD's beta growing alone: p ~ beta(a, b)
 * or mu ~ gamma(s, beta) piling up at 0, the limit model with p or mu 0),
 * or for a purchase rate the same for all (r growing)?  a or s going to 0
 * is left to run: the optimum may lie close to 0 but inside.
 */
static int
leaving(int kind, const double *x)
{
	if (kind != SPEND && kind != GG_LIM && x[0] > RATE_MAX)
		return 1;
	switch (kind) {
	case CRM_CLV_BGNBD:
		return x[2] > CONC_MAX || x[3] > CONC_MAX;
	case CRM_CLV_PARETO:
		return x[2] > PARETO_CONC_MAX || x[3] > RUN_OFF / 10;
	case SPEND:
		return x[1] > CONC_MAX;
	default:
		return 0;
	}
}

static int
monitor(void *arg, int it, const double *x, double f)
{
	struct fitrun *fr = arg;
	struct crm_clv_progress pg;

	if (leaving(fr->kind, x))
		fr->stopped = 1;
	if (fr->opts != NULL && fr->opts->progress != NULL) {
		pg.model = kind_name(fr->kind);
		pg.iteration = it;
		pg.loglik = -f * fr->wsum;
		pg.slow = it > 100;
		fr->opts->progress(fr->opts->arg, &pg);
	}
	return fr->stopped;
}

/*
 * Maximise the likelihood from par, through a subsample first when the
 * data are large.  Not converging, or leaving for the boundary (fr->stopped),
 * is no error: info says so, and fr->bad names a parameter out of range.
 */
static int
fit(const struct rows *d, int kind, double *par,
    struct crm_clv_fit_info *info, struct fitrun *fr, struct crm_error *err)
{
	struct crm_optim_opts opts;
	struct crm_optim_result res;
	struct objective o;
	struct rows sub;
	double hinv[16];
	size_t i, np = nparams(kind);
	int iters = 0, evals = 0;

	memset(&opts, 0, sizeof(opts));
	memset(hinv, 0, sizeof(hinv));
	opts.positive = 1;
	opts.gradient = 1;
	opts.gtol = GTOL;
	opts.hinv = hinv;
	opts.monitor = monitor;
	opts.monitor_arg = fr;
	fr->kind = kind;
	fr->stopped = 0;
	fr->bad = -1;
	o.kind = kind;
	if (d->n > SUB_MIN) {
		if (clv_rows_sub(&sub, d, d->n / SUB_SIZE, err) < 0)
			return -1;
		if ((kind == CRM_CLV_PARETO && clv_rows_keys(&sub, err) < 0) ||
		    (kind == PA_LIM && clv_rows_keys_sorted(&sub, err) < 0)) {
			clv_rows_free(&sub);
			return -1;
		}
		o.d = &sub;
		fr->wsum = sub.wsum;
		if (crm_optim_minimize(np, par, objective, &o, &opts, &res,
		    err) < 0) {
			clv_rows_free(&sub);
			return crm_error_prefix(err, "%s fit", kind_name(kind));
		}
		iters += res.iterations;
		evals += res.evaluations;
		clv_rows_free(&sub);
	}
	o.d = d;
	fr->wsum = d->wsum;
	if (fr->stopped) {	/* the whole data will not stop elsewhere */
		res.f = objective(par, NULL, &o);
		res.iterations = 0;
		res.evaluations = 1;
		res.converged = 0;
	} else if (crm_optim_minimize(np, par, objective, &o, &opts, &res,
	    err) < 0)
		return crm_error_prefix(err, "%s fit", kind_name(kind));
	for (i = 0; i < np; i++)
		if (!may_vanish(kind, i) && !(par[i] > 1 / RUN_OFF &&
		    par[i] < RUN_OFF) && fr->bad < 0)
			fr->bad = (int)i;
	if (kind != SPEND && kind != GG_LIM && par[0] > RATE_MAX &&
	    fr->bad < 0)
		fr->bad = 0;
	memset(info, 0, sizeof(*info));
	info->loglik = -res.f * d->wsum;
	info->n = (size_t)d->wsum;
	info->groups = d->n;
	info->iterations = iters + res.iterations;
	info->evaluations = evals + res.evaluations;
	info->converged = res.converged && !fr->stopped;
	info->full_loglik = info->limit_loglik = NAN;
	return 0;
}

/* The parameter furthest from 1 in ratio: the one running off. */
static int
off_param(int kind, const double *par)
{
	size_t i, np = nparams(kind);
	int k = 0;

	for (i = 1; i < np; i++)
		if (fabs(log(par[i])) > fabs(log(par[k])))
			k = (int)i;
	return k;
}

/* The message for a parameter out of range. */
static int
unidentified(struct crm_error *err, int kind, const double *par, int bad)
{
	return crm_error_set(err, CRM_EDATA, "%s fit: %s = %g: the data do "
	    "not identify the model", kind_name(kind), names[kind - 1][bad],
	    par[bad]);
}

/*
 * Fit kind (full) and limkind from rows d, as crm_clv_fit_with()
 * describes; lim[] gets its start from the full fit (from[] maps it).
 * *use_limit says which estimate par[] or lim[] to take.
 */
static int
fit_both(const struct rows *d, int kind, int limkind,
    const struct crm_clv_fit_opts *opts, double *par, double *lim,
    const double *lim_default, int *use_limit,
    struct crm_clv_fit_info *info, struct crm_error *err)
{
	struct crm_clv_fit_info fi, li;
	struct crm_error ferr, lerr;
	struct fitrun fr, lr;
	size_t i, nl = nparams(limkind);
	int frc, lrc, full_ok, lim_ok, ran_off;

	memset(&fr, 0, sizeof(fr));
	memset(&lr, 0, sizeof(lr));
	fr.opts = lr.opts = opts;
	crm_error_clear(&ferr);
	crm_error_clear(&lerr);
	frc = fit(d, kind, par, &fi, &fr, &ferr);
	full_ok = frc == 0 && fr.bad < 0;
	ran_off = frc == 0 && (fr.stopped || fr.bad >= 0);
	if (opts != NULL && opts->full_only) {
		if (frc < 0)
			return crm_error_set(err, ferr.code, "%s", ferr.msg);
		if (!full_ok)
			return unidentified(err, kind, par, fr.bad);
		*use_limit = 0;
		*info = fi;
		return 0;
	}
	/*
	 * The limit starts where the full fit ended: (r, alpha, a/b or
	 * s/beta), or (p, q/v), where that makes sense.
	 */
	if (kind == SPEND) {
		lim[0] = par[0];
		lim[1] = par[1] / par[2];
	} else {
		lim[0] = par[0];
		lim[1] = par[1];
		lim[2] = par[2] / par[3];
	}
	for (i = 0; i < nl; i++)
		if (!(frc == 0 && lim[i] > 1e-6 && lim[i] < 1e6))
			lim[i] = lim_default[i];
	lrc = fit(d, limkind, lim, &li, &lr, &lerr);
	lim_ok = lrc == 0 && lr.bad < 0;
	/*
	 * BG/NBD's likelihood can have another maximum inside, with a
	 * U-shaped beta (a and b below 1: a few leave at once, the rest
	 * hardly ever), that a start at a = b = 1 misses for the boundary.
	 * Before settling for the limit, start there too.
	 */
	if (kind == CRM_CLV_BGNBD && lim_ok && (!full_ok || ran_off ||
	    li.loglik >= fi.loglik - 1e-6))
		for (i = 0; i < 2; i++) {
			double p = lim[2] / (1 + lim[2]), k = i ? 1 : 0.1;
			double p2[4];
			struct crm_clv_fit_info f2;
			struct fitrun r2;

			p = p < 1e-3 ? 1e-3 : p > 0.5 ? 0.5 : p;
			p2[0] = lim[0];
			p2[1] = lim[1];
			p2[2] = p * k;
			p2[3] = (1 - p) * k;
			memset(&r2, 0, sizeof(r2));
			r2.opts = opts;
			if (fit(d, kind, p2, &f2, &r2, &ferr) == 0 &&
			    r2.bad < 0 && !r2.stopped && f2.converged &&
			    f2.loglik > li.loglik + 1e-6 &&
			    (frc < 0 || f2.loglik > fi.loglik)) {
				f2.iterations += frc == 0 ? fi.iterations : 0;
				fi = f2;
				fr = r2;
				frc = 0;
				memcpy(par, p2, sizeof(p2));
				full_ok = 1;
				ran_off = 0;
			}
		}
	/*
	 * The limit when the full fit left for it and the limit does as
	 * well, or when it does better: the full estimate stays when it
	 * ran off elsewhere (Gamma-Gamma's p growing: no spread within a
	 * customer's spend) and is the better for it.
	 */
	*use_limit = lim_ok && (!full_ok || li.loglik > fi.loglik + 1e-6 ||
	    ((ran_off || !fi.converged) && li.loglik >= fi.loglik - 1e-6));
	/*
	 * Run off, and better than the limit: the supremum lies on another
	 * edge (a spend with no spread within a customer, ...), where no
	 * model here goes.
	 */
	if (frc == 0 && ran_off && fi.loglik > (lim_ok ? li.loglik : -HUGE_VAL)
	    + 1e-6) {
		int k = fr.bad >= 0 ? fr.bad : off_param(kind, par);

		return crm_error_set(err, CRM_EDATA, "%s fit: %s = %g runs off"
		    " and its limit (%s) fits %s: the data do not identify"
		    " the model", kind_name(kind), names[kind - 1][k], par[k],
		    kind_name(limkind), lim_ok ? "worse" : "no better");
	}
	if (!*use_limit && !full_ok) {
		char first[CRM_ERRMSG_MAX];

		if (frc < 0)
			return crm_error_set(err, ferr.code, "%s", ferr.msg);
		unidentified(&ferr, kind, par, fr.bad);
		snprintf(first, sizeof(first), "%s", ferr.msg);
		if (lrc < 0)
			return crm_error_set(err, CRM_EDATA, "%s; nor its limit "
			    "(%s)", first, lerr.msg);
		return crm_error_set(err, CRM_EDATA, "%s; nor its limit (%s: "
		    "%s = %g)", first, kind_name(limkind),
		    names[limkind - 1][lr.bad], lim[lr.bad]);
	}
	*info = *use_limit ? li : fi;
	info->limit = *use_limit;
	info->ran_off = ran_off || frc < 0;
	info->full_loglik = frc == 0 ? fi.loglik : NAN;
	info->limit_loglik = lim_ok ? li.loglik : NAN;
	info->iterations = (frc == 0 ? fi.iterations : 0) +
	    (lrc == 0 ? li.iterations : 0);
	info->evaluations = (frc == 0 ? fi.evaluations : 0) +
	    (lrc == 0 ? li.evaluations : 0);
	return 0;
}

int
clv_check_model(const struct crm_clv_model *m, struct crm_error *err)
{
	if (m->kind != CRM_CLV_BGNBD && m->kind != CRM_CLV_PARETO)
		return crm_error_set(err, CRM_EUSAGE, "unknown model kind %d",
		    m->kind);
	if (m->limit) {
		if (!(isfinite(m->r) && m->r > 0 && isfinite(m->alpha) &&
		    m->alpha > 0 && isfinite(m->a) && m->a >= 0 &&
		    (m->kind == CRM_CLV_PARETO || m->a < 1)))
			return crm_error_set(err, CRM_EUSAGE, "%s parameters "
			    "out of range", crm_clv_model_name(m));
		return 0;
	}
	if (!(isfinite(m->r) && m->r > 0 && isfinite(m->alpha) &&
	    m->alpha > 0 && isfinite(m->a) && m->a > 0 && isfinite(m->b) &&
	    m->b > 0))
		return crm_error_set(err, CRM_EUSAGE, "%s parameters must be "
		    "positive and finite", kind_name(m->kind));
	return 0;
}

int
crm_clv_fit_with(int kind, const struct crm_clv_customer *c, size_t n,
    const struct crm_clv_fit_opts *opts, struct crm_clv_model *m,
    struct crm_clv_fit_info *info, struct crm_error *err)
{
	struct crm_clv_fit_info fi;
	struct rows d;
	double par[4] = { 1, 1, 1, 1 }, lim[3], def[3] = { 1, 1, 1 }, Tsum = 0;
	size_t i;
	int rc, use_limit = 0;

	if (kind != CRM_CLV_BGNBD && kind != CRM_CLV_PARETO)
		return crm_error_set(err, CRM_EUSAGE, "unknown model kind %d",
		    kind);
	if (clv_rows_build(&d, c, n, 0, err) < 0)
		return -1;
	if (d.nzero == d.n) {
		clv_rows_free(&d);
		return crm_error_set(err, CRM_EDATA, "%s fit: no customer "
		    "made a repeat purchase", kind_name(kind));
	}
	if (kind == CRM_CLV_PARETO && clv_rows_keys_sorted(&d, err) < 0) {
		clv_rows_free(&d);
		return -1;
	}
	for (i = 0; i < d.n; i++)
		Tsum += d.w[i] * d.T[i];
	if (kind == CRM_CLV_PARETO)	/* a lifetime as long as the data */
		def[2] = d.wsum / Tsum;
	rc = fit_both(&d, kind, kind == CRM_CLV_BGNBD ? BG_LIM : PA_LIM, opts,
	    par, lim, def, &use_limit, &fi, err);
	clv_rows_free(&d);
	if (rc < 0)
		return -1;
	m->kind = kind;
	m->limit = use_limit;
	if (use_limit) {
		m->r = lim[0];
		m->alpha = lim[1];
		m->a = kind == CRM_CLV_BGNBD ? lim[2] / (1 + lim[2]) : lim[2];
		m->b = 0;
	} else {
		m->r = par[0];
		m->alpha = par[1];
		m->a = par[2];
		m->b = par[3];
	}
	if (info != NULL)
		*info = fi;
	return 0;
}

int
crm_clv_fit(int kind, const struct crm_clv_customer *c, size_t n,
    struct crm_clv_model *m, struct crm_clv_fit_info *info,
    struct crm_error *err)
{
	return crm_clv_fit_with(kind, c, n, NULL, m, info, err);
}

int
crm_clv_loglik(const struct crm_clv_model *m,
    const struct crm_clv_customer *c, size_t n, double *ll,
    struct crm_error *err)
{
	struct rows d;
	double p[4];

	if (clv_check_model(m, err) < 0 || clv_rows_build(&d, c, n, 0, err) < 0)
		return -1;
	if (m->kind == CRM_CLV_PARETO && clv_rows_keys_sorted(&d, err) < 0) {
		clv_rows_free(&d);
		return -1;
	}
	p[0] = m->r;
	p[1] = m->alpha;
	p[2] = m->a;
	p[3] = m->b;
	if (m->limit && m->kind == CRM_CLV_BGNBD) {
		p[2] = m->a / (1 - m->a);	/* the odds */
		*ll = p[2] > 0 ? clv_bgnbd_lim_ll(&d, p, NULL) :
		    /* p = 0: the odds' log is -inf, its term 0 */
		    clv_bgnbd_lim_ll(&d, (double[]){ p[0], p[1], 1e-300 }, NULL);
	} else if (m->limit)
		*ll = clv_pareto_lim_ll(&d, p[2] > 0 ? p :
		    (double[]){ p[0], p[1], 1e-300 }, NULL);
	else
		*ll = m->kind == CRM_CLV_BGNBD ? clv_bgnbd_ll(&d, p, NULL) :
		    clv_pareto_ll(&d, p, NULL);
	clv_rows_free(&d);
	if (!isfinite(*ll))
		return crm_error_set(err, CRM_EFAIL, "%s log-likelihood "
		    "cannot be evaluated at these parameters",
		    crm_clv_model_name(m));
	return 0;
}

int
crm_clv_gg_fit_with(const struct crm_clv_customer *c, size_t n,
    const struct crm_clv_fit_opts *opts, struct crm_clv_gg *g,
    struct crm_clv_fit_info *info, struct crm_error *err)
{
	struct crm_clv_fit_info fi;
	struct rows d;
	double par[3] = { 1, 1, 1 }, lim[2], def[2] = { 1, 1 }, zsum = 0;
	size_t i;
	int rc, use_limit = 0;

	if (clv_rows_build(&d, c, n, 1, err) < 0)
		return -1;
	for (i = 0; i < d.n; i++)
		zsum += d.w[i] * d.zb[i];
	def[1] = d.wsum / zsum;		/* p = 1: the mean spend */
	rc = fit_both(&d, SPEND, GG_LIM, opts, par, lim, def, &use_limit,
	    &fi, err);
	clv_rows_free(&d);
	if (rc < 0)
		return -1;
	g->limit = use_limit;
	if (use_limit) {
		g->p = lim[0];
		g->q = 0;
		g->v = lim[1];
	} else {
		g->p = par[0];
		g->q = par[1];
		g->v = par[2];
	}
	if (info != NULL)
		*info = fi;
	return 0;
}

int
crm_clv_gg_fit(const struct crm_clv_customer *c, size_t n,
    struct crm_clv_gg *g, struct crm_clv_fit_info *info,
    struct crm_error *err)
{
	return crm_clv_gg_fit_with(c, n, NULL, g, info, err);
}

int
clv_check_gg(const struct crm_clv_gg *g, struct crm_error *err)
{
	if (!(isfinite(g->p) && g->p > 0 && isfinite(g->q) &&
	    (g->q > 0 || (g->limit && g->q == 0)) && isfinite(g->v) &&
	    g->v > 0))
		return crm_error_set(err, CRM_EUSAGE,
		    "Gamma-Gamma parameters must be positive and finite");
	return 0;
}

int
crm_clv_gg_loglik(const struct crm_clv_gg *g,
    const struct crm_clv_customer *c, size_t n, double *ll,
    struct crm_error *err)
{
	struct rows d;
	double p[3];

	if (clv_check_gg(g, err) < 0 || clv_rows_build(&d, c, n, 1, err) < 0)
		return -1;
	p[0] = g->p;
	p[1] = g->limit ? g->v : g->q;
	p[2] = g->v;
	*ll = g->limit ? clv_gg_lim_ll(&d, p, NULL) : clv_gg_ll(&d, p, NULL);
	clv_rows_free(&d);
	if (!isfinite(*ll))
		return crm_error_set(err, CRM_EFAIL,
		    "Gamma-Gamma log-likelihood is not finite");
	return 0;
}
