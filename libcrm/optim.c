#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optim.h"

/* The problem as seen in the working space theta (ln x if positive). */
struct work {
	size_t n;
	double (*fn)(const double *, double *, void *);
	void *arg;
	int positive, gradient;
	double *x, *gx;		/* scratch: the point and gradient in x */
	double *t;		/* scratch: a point in theta */
	int evals;
};

static double
call(struct work *w, const double *th, double *gx)
{
	size_t i;
	double f;

	for (i = 0; i < w->n; i++) {
		w->x[i] = w->positive ? exp(th[i]) : th[i];
		if (!isfinite(w->x[i]) || (w->positive && w->x[i] == 0))
			return INFINITY;
	}
	w->evals++;
	f = w->fn(w->x, gx, w->arg);
	return isfinite(f) ? f : INFINITY;
}

/*
 * f(theta), and its gradient into g when g is not NULL: the supplied one
 * times x for the log transform, or central differences (one-sided next
 * to the edge of the domain).
 */
static double
weval(struct work *w, const double *th, double *g)
{
	double f, fp, fm, h, *t = w->t;
	size_t i;

	if (g == NULL || w->gradient) {
		f = call(w, th, g ? w->gx : NULL);
		if (g != NULL && isfinite(f))
			for (i = 0; i < w->n; i++) {
				g[i] = w->gx[i] * (w->positive ? w->x[i] : 1);
				if (!isfinite(g[i]))
					return INFINITY;
			}
		return f;
	}
	if (!isfinite(f = call(w, th, NULL)))
		return f;
	memcpy(t, th, w->n * sizeof(*t));
	for (i = 0; i < w->n; i++) {
		double keep = t[i];

		h = 6e-6 * (fabs(keep) > 1 ? fabs(keep) : 1);
		t[i] = keep + h;
		h = t[i] - keep;	/* the step actually taken */
		fp = call(w, t, NULL);
		t[i] = keep - h;
		fm = call(w, t, NULL);
		t[i] = keep;
		if (isfinite(fp) && isfinite(fm))
			g[i] = (fp - fm) / (2 * h);
		else if (isfinite(fp))
			g[i] = (fp - f) / h;
		else if (isfinite(fm))
			g[i] = (f - fm) / h;
		else
			return INFINITY;
	}
	return f;
}

static void
set_opts(const struct crm_optim_opts *o, struct crm_optim_opts *d)
{
	memset(d, 0, sizeof(*d));
	if (o != NULL)
		*d = *o;
	if (d->gtol <= 0)
		d->gtol = 1e-8;
	if (d->ftol <= 0)
		d->ftol = 1e-13;
}

static int
setup(struct work *w, size_t n, double *x,
    double (*fn)(const double *, double *, void *), void *arg,
    const struct crm_optim_opts *o, double *th, struct crm_error *err)
{
	size_t i;

	if (n == 0)
		return crm_error_set(err, CRM_EUSAGE, "optimiser: no parameters");
	w->n = n;
	w->fn = fn;
	w->arg = arg;
	w->positive = o->positive;
	w->gradient = o->gradient;
	w->evals = 0;
	for (i = 0; i < n; i++) {
		if (!isfinite(x[i]) || (o->positive && !(x[i] > 0)))
			return crm_error_set(err, CRM_EUSAGE,
			    "optimiser: bad start value %g for parameter %zu",
			    x[i], i + 1);
		th[i] = o->positive ? log(x[i]) : x[i];
	}
	return 0;
}

static void
to_x(const struct work *w, const double *th, double *x)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		x[i] = w->positive ? exp(th[i]) : th[i];
}

static void
identity(double *h, size_t n, double d)
{
	size_t i;

	memset(h, 0, n * n * sizeof(*h));
	for (i = 0; i < n; i++)
		h[i * n + i] = d;
}

int
crm_optim_bfgs(size_t n, double *x,
    double (*fn)(const double *, double *, void *), void *arg,
    const struct crm_optim_opts *opts, struct crm_optim_result *res,
    struct crm_error *err)
{
	struct crm_optim_opts o;
	struct work w;
	double *mem, *th, *g, *tn, *gn, *p, *s, *y, *hy, *h;
	double f, fn_, slope, t, gmax, pmax, sy, yhy, yy, ss;
	size_t i, j;
	int it = 0, converged = 0, fresh, scale_first, rc = -1, maxit;
	int stopped = 0;

	set_opts(opts, &o);
	maxit = o.max_iter > 0 ? o.max_iter : 500;
	if ((mem = calloc(10 * n + n * n + 1, sizeof(*mem))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "optimiser: %s",
		    strerror(errno));
	th = mem;
	g = th + n;
	tn = g + n;
	gn = tn + n;
	p = gn + n;
	s = p + n;
	y = s + n;
	hy = y + n;
	w.x = hy + n;
	w.t = w.x + n;
	h = w.t + n;
	if ((w.gx = calloc(n, sizeof(*w.gx))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "optimiser: %s", strerror(errno));
		goto done;
	}
	if (setup(&w, n, x, fn, arg, &o, th, err) < 0)
		goto done;
	if (!isfinite(f = weval(&w, th, g))) {
		crm_error_set(err, CRM_EDATA,
		    "optimiser: objective not finite at the start");
		goto done;
	}
	scale_first = 1;
	if (o.hinv != NULL)
		for (i = 0; i < n * n; i++)
			if (o.hinv[i] != 0) {
				memcpy(h, o.hinv, n * n * sizeof(*h));
				scale_first = 0;
				break;
			}
	if (scale_first)
		identity(h, n, 1);
	fresh = scale_first;
	for (it = 0; it < maxit; it++) {
		gmax = 0;
		for (i = 0; i < n; i++)
			if (fabs(g[i]) > gmax)
				gmax = fabs(g[i]);
		if (gmax <= o.gtol) {
			converged = 1;
			break;
		}
		slope = 0;
		for (i = 0; i < n; i++) {
			p[i] = 0;
			for (j = 0; j < n; j++)
				p[i] -= h[i * n + j] * g[j];
			slope += p[i] * g[i];
		}
		/*
		 * Done, too, when the step promises less than f can resolve:
		 * in the stiff directions of an ill-conditioned problem the
		 * gradient may stay above gtol while f is flat to rounding.
		 */
		if (!fresh && slope < 0 && -slope <= 1e-13 * (1 + fabs(f))) {
			converged = 1;
			break;
		}
		if (!(slope < 0)) {	/* not downhill: start over */
			identity(h, n, 1);
			fresh = scale_first = 1;
			slope = 0;
			for (i = 0; i < n; i++) {
				p[i] = -g[i];
				slope -= g[i] * g[i];
			}
		}
		/* No more than a factor e^5 per step in log space. */
		pmax = 0;
		for (i = 0; i < n; i++)
			if (fabs(p[i]) > pmax)
				pmax = fabs(p[i]);
		if (fresh && scale_first && pmax > 1) {
			for (i = 0; i < n; i++)
				p[i] /= pmax;
			slope /= pmax;
			pmax = 1;
		}
		if (pmax > 5) {
			for (i = 0; i < n; i++)
				p[i] *= 5 / pmax;
			slope *= 5 / pmax;
		}
		/* Backtracking, with a safeguarded quadratic model. */
		for (t = 1; ; ) {
			for (i = 0; i < n; i++)
				tn[i] = th[i] + t * p[i];
			fn_ = weval(&w, tn, w.gradient ? gn : NULL);
			if (fn_ < f && fn_ <= f + 1e-4 * t * slope)
				break;
			if (isfinite(fn_)) {
				double tq = -slope * t * t /
				    (2 * (fn_ - f - slope * t));

				t = tq < 0.1 * t ? 0.1 * t :
				    tq > 0.5 * t ? 0.5 * t : tq;
			} else
				t *= 0.1;
			if (t < 1e-14)
				break;
		}
		if (t < 1e-14) {
			if (fresh)
				break;	/* steepest descent failed too */
			identity(h, n, 1);
			fresh = scale_first = 1;
			continue;
		}
		if (!w.gradient && !isfinite(weval(&w, tn, gn)))
			break;
		sy = yy = ss = 0;
		for (i = 0; i < n; i++) {
			s[i] = tn[i] - th[i];
			y[i] = gn[i] - g[i];
			sy += s[i] * y[i];
			yy += y[i] * y[i];
			ss += s[i] * s[i];
		}
		memcpy(th, tn, n * sizeof(*th));
		memcpy(g, gn, n * sizeof(*g));
		f = fn_;
		if (o.monitor != NULL) {
			to_x(&w, th, w.t);
			if (o.monitor(o.monitor_arg, it + 1, w.t, f)) {
				stopped = 1;
				it++;
				break;
			}
		}
		/* Update only with positive curvature, keeping H definite. */
		if (!(sy > 1e-12 * sqrt(ss * yy)))
			continue;
		if (scale_first) {
			identity(h, n, sy / yy);
			scale_first = 0;
		}
		fresh = 0;
		yhy = 0;
		for (i = 0; i < n; i++) {
			hy[i] = 0;
			for (j = 0; j < n; j++)
				hy[i] += h[i * n + j] * y[j];
			yhy += y[i] * hy[i];
		}
		for (i = 0; i < n; i++)
			for (j = 0; j < n; j++)
				h[i * n + j] += (sy + yhy) * s[i] * s[j] /
				    (sy * sy) - (hy[i] * s[j] + s[i] * hy[j]) /
				    sy;
	}
	to_x(&w, th, x);
	if (o.hinv != NULL)
		memcpy(o.hinv, h, n * n * sizeof(*h));
	if (res != NULL) {
		res->f = f;
		res->iterations = it;
		res->evaluations = w.evals;
		res->converged = converged;
		res->method = CRM_OPTIM_BFGS;
		res->stopped = stopped;
	}
	rc = 0;
done:
	free(w.gx);
	free(mem);
	return rc;
}

int
crm_optim_nelder_mead(size_t n, double *x,
    double (*fn)(const double *, double *, void *), void *arg,
    const struct crm_optim_opts *opts, struct crm_optim_result *res,
    struct crm_error *err)
{
	struct crm_optim_opts o;
	struct work w;
	double *mem, *v, *fv, *cen, *xr, *xe;
	double fr, fe, fc, spread, dist;
	size_t j, k, best, worst, next, m = n + 1;
	int it = 0, converged = 0, rc = -1, maxit, stopped = 0;

	set_opts(opts, &o);
	o.gradient = 0;
	maxit = o.max_iter > 0 ? o.max_iter : 2000;
	if ((mem = calloc(m * n + m + 4 * n, sizeof(*mem))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "optimiser: %s",
		    strerror(errno));
	v = mem;
	fv = v + m * n;
	cen = fv + m;
	xr = cen + n;
	xe = xr + n;
	w.x = xe + n;
	w.gx = NULL;
	w.t = NULL;
	if (setup(&w, n, x, fn, arg, &o, v, err) < 0)
		goto done;
	if (!isfinite(fv[0] = weval(&w, v, NULL))) {
		crm_error_set(err, CRM_EDATA,
		    "optimiser: objective not finite at the start");
		goto done;
	}
	for (k = 1; k < m; k++) {
		double *vk = v + k * n;

		memcpy(vk, v, n * sizeof(*v));
		if (o.positive)
			vk[k - 1] += 0.1;
		else
			vk[k - 1] += vk[k - 1] != 0 ? 0.05 * vk[k - 1] :
			    0.00025;
		fv[k] = weval(&w, vk, NULL);
	}
	for (it = 0; it < maxit; it++) {
		best = worst = 0;
		for (k = 1; k < m; k++) {
			if (fv[k] < fv[best])
				best = k;
			if (fv[k] >= fv[worst])
				worst = k;
		}
		next = best;
		for (k = 0; k < m; k++)
			if (k != worst && fv[k] >= fv[next])
				next = k;
		if (o.monitor != NULL && it > 0) {
			to_x(&w, v + best * n, xe);
			if (o.monitor(o.monitor_arg, it, xe, fv[best])) {
				stopped = 1;
				break;
			}
		}
		spread = fv[worst] - fv[best];
		dist = 0;
		for (k = 0; k < m; k++)
			for (j = 0; j < n; j++) {
				double d = fabs(v[k * n + j] - v[best * n + j]) /
				    (1 + fabs(v[best * n + j]));

				if (d > dist)
					dist = d;
			}
		if (spread <= o.ftol * fabs(fv[best]) + 1e-300 &&
		    dist <= 1e-9) {
			converged = 1;
			break;
		}
		for (j = 0; j < n; j++) {
			cen[j] = 0;
			for (k = 0; k < m; k++)
				if (k != worst)
					cen[j] += v[k * n + j];
			cen[j] /= n;
		}
		for (j = 0; j < n; j++)
			xr[j] = 2 * cen[j] - v[worst * n + j];
		fr = weval(&w, xr, NULL);
		if (fr < fv[best]) {
			for (j = 0; j < n; j++)
				xe[j] = 3 * cen[j] - 2 * v[worst * n + j];
			fe = weval(&w, xe, NULL);
			if (fe < fr) {
				memcpy(v + worst * n, xe, n * sizeof(*v));
				fv[worst] = fe;
			} else {
				memcpy(v + worst * n, xr, n * sizeof(*v));
				fv[worst] = fr;
			}
			continue;
		}
		if (fr < fv[next]) {
			memcpy(v + worst * n, xr, n * sizeof(*v));
			fv[worst] = fr;
			continue;
		}
		/* Contract, outside or inside. */
		if (fr < fv[worst]) {
			for (j = 0; j < n; j++)
				xe[j] = cen[j] + 0.5 * (xr[j] - cen[j]);
			fc = weval(&w, xe, NULL);
			if (fc <= fr) {
				memcpy(v + worst * n, xe, n * sizeof(*v));
				fv[worst] = fc;
				continue;
			}
		} else {
			for (j = 0; j < n; j++)
				xe[j] = cen[j] + 0.5 * (v[worst * n + j] -
				    cen[j]);
			fc = weval(&w, xe, NULL);
			if (fc < fv[worst]) {
				memcpy(v + worst * n, xe, n * sizeof(*v));
				fv[worst] = fc;
				continue;
			}
		}
		/* Shrink towards the best point. */
		for (k = 0; k < m; k++) {
			if (k == best)
				continue;
			for (j = 0; j < n; j++)
				v[k * n + j] = v[best * n + j] + 0.5 *
				    (v[k * n + j] - v[best * n + j]);
			fv[k] = weval(&w, v + k * n, NULL);
		}
	}
	best = 0;
	for (k = 1; k < m; k++)
		if (fv[k] < fv[best])
			best = k;
	to_x(&w, v + best * n, x);
	if (res != NULL) {
		res->f = fv[best];
		res->iterations = it;
		res->evaluations = w.evals;
		res->converged = converged;
		res->method = CRM_OPTIM_NELDER_MEAD;
		res->stopped = stopped;
	}
	rc = 0;
done:
	free(mem);
	return rc;
}

int
crm_optim_minimize(size_t n, double *x,
    double (*fn)(const double *, double *, void *), void *arg,
    const struct crm_optim_opts *opts, struct crm_optim_result *res,
    struct crm_error *err)
{
	struct crm_optim_result r1, r2;
	struct crm_optim_opts o;

	if (crm_optim_bfgs(n, x, fn, arg, opts, &r1, err) < 0)
		return -1;
	if (!r1.converged && !r1.stopped) {
		set_opts(opts, &o);
		if (crm_optim_nelder_mead(n, x, fn, arg, &o, &r2, err) < 0)
			return -1;
		r2.iterations += r1.iterations;
		r2.evaluations += r1.evaluations;
		if (r2.stopped) {
			if (res != NULL)
				*res = r2;
			return 0;
		}
		if (o.hinv != NULL)	/* the old one misled BFGS */
			memset(o.hinv, 0, n * n * sizeof(*o.hinv));
		if (crm_optim_bfgs(n, x, fn, arg, &o, &r1, err) < 0)
			return -1;
		r1.iterations += r2.iterations;
		r1.evaluations += r2.evaluations;
	}
	if (res != NULL)
		*res = r1;
	return 0;
}
