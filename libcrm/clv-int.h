/*
 * clv-int.h - what the parts of the clv module share (clv-rows.c,
 * clv-ll.c, clv-fit.c, clv.c); not for use outside them.  clv.h is the
 * module's interface.
 */
#ifndef CRM_CLV_INT_H
#define CRM_CLV_INT_H

#include <stddef.h>

#include "clv.h"
#include "error.h"

/*
 * The fits, next to the CRM_CLV_* kinds: Gamma-Gamma, and the three limit
 * models (BG/NBD with a common drop-out probability, Pareto/NBD with a
 * common drop-out rate, Gamma-Gamma with a common mean spend).
 */
enum { SPEND = 3, BG_LIM = 4, PA_LIM = 5, GG_LIM = 6 };

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
#define RATE_MAX	1e3

/*
 * The data as the likelihoods see it: identical summaries grouped with a
 * weight, those with x = 0 first, each group pointing at its entry in the
 * table of distinct x values so that terms depending only on x and the
 * parameters are computed once per evaluation.
 */
struct rows {
	size_t n;		/* groups */
	size_t nzero;		/* groups [0, nzero) have x = 0 */
	double *T, *tx, *zb;	/* per group (zb: spend model only) */
	double *w;		/* customers per group */
	size_t *xi;		/* per group: index into xs */
	long *xs;		/* distinct x values */
	size_t nx;
	double *wx;		/* customers per distinct x */
	double wsum;		/* customers */
	double *tab;		/* scratch, 2 per distinct x */
	double s_xlnz, s_lnz;	/* spend model: sum w x ln zbar, sum w ln zbar */
	/*
	 * Pareto/NBD: its 2F1 depends on x and one time (t_x or T), and
	 * dates make these repeat, so each distinct (x, t) is a key whose
	 * terms are computed once per evaluation.
	 */
	size_t nkey;
	long *kx;
	double *kt;
	size_t *kT, *ktx;	/* per group: keys of (x, T) and (x, t_x) */
	double *klf, *kla, *klb; /* per key: ln F, ln(alpha+t), ln(beta+t) */
	double *kdl;		/* per key, 4: ln F's gradient */
	size_t *kord;		/* limit Pareto/NBD: keys by t, then x */
	double *kf;		/* scratch, max x + 3 */
};


/* clv-rows.c */
void clv_rows_free(struct rows *d);
int clv_check_customer(const struct crm_clv_customer *c, size_t i, int spend,
    struct crm_error *err);
int clv_rows_build(struct rows *d, const struct crm_clv_customer *c, size_t n,
    int spend, struct crm_error *err);
int clv_rows_sub(struct rows *s, const struct rows *d, size_t k,
    struct crm_error *err);
int clv_rows_keys(struct rows *d, struct crm_error *err);
int clv_rows_keys_sorted(struct rows *d, struct crm_error *err);

/* clv-ll.c */
double clv_softplus(double u, double *sig);
int clv_pareto_terms(double r, double al, double s, double be, double x,
    double tx, double T, long maxn, double *l1, double *l2);
double clv_bgnbd_ll(const struct rows *d, const double *p, double *g);
double clv_pareto_ll(const struct rows *d, const double *p, double *g);
double clv_gg_ll(const struct rows *d, const double *par, double *g);
double clv_bgnbd_lim_ll(const struct rows *d, const double *p, double *g);
double clv_pareto_lim_ll(const struct rows *d, const double *p, double *g);
double clv_gg_lim_ll(const struct rows *d, const double *par, double *g);

/* clv-fit.c */
int clv_check_model(const struct crm_clv_model *m, struct crm_error *err);
int clv_check_gg(const struct crm_clv_gg *g, struct crm_error *err);

#endif
