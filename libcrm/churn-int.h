/*
 * churn-int.h - what the parts of the churn module share (churn-base.c,
 * churn-fit.c, churn-score.c, churn-eval.c and logistic.c); not for use
 * outside them.  churn.h is the module's interface.
 */
#ifndef CRM_CHURN_INT_H
#define CRM_CHURN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "churn.h"
#include "db.h"
#include "error.h"

struct crm_churn_base {
	size_t n, alloc;
	int64_t *id;			/* contact ids, ascending (db) */
	struct crm_clv_customer *c;
	int64_t *first;			/* first purchase day (db) */
	long *hold;			/* purchase days in the holdout */
	int64_t *rep;			/* every repeat purchase day */
	size_t nrep, arep;
	int64_t cal_day, hold_day;	/* days since 1970 */
	int unit_days;
	int holdout;
	int summaries;			/* read from a file: c only */
	char currency[4];		/* opts->currency, or "" */
	size_t skipped;
	size_t converted;		/* purchases converted to currency */
	size_t other;			/* in another currency, left out
					   (no rates) */
};

static inline int
oom(struct crm_error *err)
{
	return crm_error_set(err, CRM_EFAIL, "out of memory");
}


/* churn-base.c */

/*
 * A finite number into buf (CRM_NUM_MAX bytes or more), with prec
 * significant digits (conv 'g') or decimals ('f'), through num.c;
 * else an error naming what.  Never "-0": a zero, or a negative number
 * that rounds to one, is written unsigned.
 */
int churn_num(char *buf, size_t len, int conv, int prec, double v,
    const char *what, struct crm_error *err);

/* YYYY-MM-DD of moment t. */
void churn_date_str(int64_t t, char out[11]);

/* A plain decimal number, fast; -1 if s is not one. */
int churn_parse_num(const char *s, double *v);

/*
 * The base from the database.  The purchases are read in two shares of
 * the interactions by id, by two threads on two connections when there
 * are enough of them.  If second is not NULL, the second connection,
 * still in its read transaction, is handed over there (NULL if there was
 * none): close it with churn_second_close().
 */
struct crm_churn_base *churn_base_load(struct crm_db *db,
    const struct crm_churn_base_opts *opts, struct crm_db **second,
    struct crm_error *err);
void churn_second_close(struct crm_db *d);

/* churn-fit.c */

/* A REAL column, or 0 with *null set when it is NULL. */
double churn_coldbl(struct crm_stmt *st, int i, int *null);

/* churn-score.c */

/*
 * Each customer's P(alive) into pa, expected purchases over t into e and
 * the factor of the CLV into vf (periods of the horizon, discount d per
 * period); see churn-score.c.
 */
int churn_predict_all(const struct crm_churn_model *cm,
    const struct crm_churn_base *b, double t, int periods, double d,
    double *pa, double *e, double *vf, struct crm_error *err);

#endif
