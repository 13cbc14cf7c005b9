/*
 * deal-int.h - what the deal modules share: the stages of every
 * pipeline, read once per run, and the deals and their history as the
 * analyses read them.  Private to deal*.c.
 */
#ifndef CRM_DEAL_INT_H
#define CRM_DEAL_INT_H

#include <stdint.h>

#include "deal-compat.h"
#include "deal.h"

enum { OUT_OPEN, OUT_WON, OUT_LOST };

struct deal_stage {
	int64_t id, pipeline;
	int position;		/* 1-based within its pipeline */
	int outcome;		/* OUT_* */
	double prob;
	char *name;		/* as defined */
	char *key;		/* folded for matching */
	char *pipeline_name;
};

/* Every stage of every pipeline, ordered by pipeline name, position. */
struct deal_stages {
	struct deal_stage *v;
	size_t n;
	int64_t maxid;
	int *by_id;		/* stage id -> index in v, -1 if none */
};

int deal_stages_load(struct crm_db *db, struct deal_stages *s,
    struct crm_error *err);
void deal_stages_release(struct deal_stages *s);
/* The stage with id, or NULL. */
const struct deal_stage *deal_stage_by_id(const struct deal_stages *s,
    int64_t id);
/* Fold a stage name for matching: lower case, '-' '_' and runs of
 * blanks as one space, trimmed; into out (size n). */
void deal_fold(const char *in, size_t len, char *out, size_t n);
/* The pipeline's id by name; 0 if none. */
int64_t deal_pipeline_id(const struct deal_stages *s, const char *name);

/* Midnight UTC of the day of t. */
int64_t deal_day(int64_t t);

#endif
