/*
 * logistic.h - contractual churn: a logistic regression with an L2
 * penalty on a CSV of features and a yes/no label (crm_churn_train),
 * saved as a 'logit' model in the models table and applied to another
 * CSV (crm_churn_predict).  Part of the churn module (its reports take
 * the CRM_CHURN_BY_* of churn.h); errors as churn.h describes.
 */
#ifndef CRM_LOGISTIC_H
#define CRM_LOGISTIC_H

#include <stddef.h>
#include <stdint.h>

#include "csvio.h"
#include "db.h"
#include "error.h"

struct crm_churn_logit;

struct crm_churn_train_opts {
	const char *label;	/* the yes/no column */
	const char *id;		/* an identifier column, or NULL */
	const char *const *drop;	/* columns to ignore */
	size_t ndrop;
	uint64_t seed;		/* for the hold-out split */
	double test_share;	/* in [0, 1): rows held out */
	double lambda;		/* L2 penalty, >= 0 */
	int flags;		/* for crm_csv_open */
};

struct crm_churn_train_result {
	size_t rows, train, test, features;
	size_t positives;	/* in the training rows */
	int has_metrics;	/* a hold-out with both classes */
	double auc, accuracy, baseline, log_loss, brier, ece;
	int iterations, converged;
};

/*
 * Read path (all of it: rows times columns are held in memory, at most
 * 2^25 cells, and so is the design matrix), split it (a seeded shuffle;
 * the first test_share of the rows, rounded, are held out), and fit on
 * the rest.
 *
 * Features: every column but the label, the id and the dropped ones.  A
 * column whose values all parse as numbers is numeric: standardised with
 * the training mean and standard deviation, a missing value counting as
 * the mean, plus an indicator column when training rows had missing
 * values.  Any other column is categorical: one indicator per value seen
 * in training (a missing or unseen value sets none).  A categorical
 * column with more than 1000 values, or with more than 50 values and
 * more than half as many as rows, looks like an identifier and is an
 * error.  Labels: yes/no, y/n, true/false, 1/0 (any case); a missing
 * or other label is an error naming the line.
 *
 * On the hold-out: AUC, accuracy at 0.5, the accuracy of always
 * predicting the majority class, log loss, Brier score and expected
 * calibration error over ten bins of equal size.  Free with
 * crm_churn_logit_free().
 */
struct crm_churn_logit *crm_churn_train(const char *path,
    const struct crm_churn_train_opts *opts,
    struct crm_churn_train_result *res, struct crm_error *err);

void crm_churn_logit_free(struct crm_churn_logit *lg);

/* Store as a 'logit' model; *id gets models.id. */
int crm_churn_logit_store(struct crm_db *db, struct crm_churn_logit *lg,
    int64_t *id, struct crm_error *err);

/* The same in a write transaction of its own, left open for the caller
 * to commit; rolled back on failure. */
int crm_churn_logit_save(struct crm_db *db, struct crm_churn_logit *lg,
    int64_t *id, struct crm_error *err);

/* The stored logit model id (> 0), or the latest one (0). */
struct crm_churn_logit *crm_churn_logit_load(struct crm_db *db, int64_t id,
    struct crm_error *err);

/*
 * Training report: CRM_CHURN_BY_TOTAL writes model_id, rows, train, test,
 * features, positives, auc, accuracy, baseline_accuracy, log_loss, brier,
 * ece, iterations, converged; CRM_CHURN_BY_DECILE the hold-out's
 * calibration: decile, rows, predicted, observed.
 */
int crm_churn_logit_report(const struct crm_churn_logit *lg, int64_t id,
    int by, struct crm_out *o, struct crm_error *err);

/*
 * Score the rows of path: the model's id column (when the model has one
 * and the file too) or "row" (1-based), and churn_probability.  Every
 * feature column of the model must be present; extra columns are ignored.
 * *rows gets the rows written.
 */
int crm_churn_predict(const struct crm_churn_logit *lg, const char *path,
    int flags, struct crm_out *o, int64_t *rows, struct crm_error *err);

#endif
