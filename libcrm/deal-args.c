/*
 * deal-args.c - crm-deal's own options: their values checked and put
 * where the import and the reports take them, and --by checked against
 * the command it is given to.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "deal.h"
#include "norm.h"

void
crm_deal_args_init(struct crm_deal_args *a, const char *region)
{
	memset(a, 0, sizeof(*a));
	a->iopts.region = region;
	a->fopts.periods = 3;
	a->fopts.commit = 0.8;
	a->fopts.confidence = 0.95;
	a->popts.stale_days = 30;
}

/* A share strictly between 0 and 1. */
static int
share(const char *opt, const char *arg, double *v, struct crm_error *err)
{
	char *end;

	*v = strtod(arg, &end);
	if (end == arg || *end != '\0' || !(*v > 0 && *v < 1))
		return crm_error_set(err, CRM_EUSAGE, "%s: '%s' is not a number"
		    " between 0 and 1", opt, arg);
	return 0;
}

static int
num(const char *opt, const char *arg, int64_t min, int64_t max, int64_t *v,
    struct crm_error *err)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || x < min || x > max)
		return crm_error_set(err, CRM_EUSAGE, "%s: '%s' is not a number"
		    " from %lld to %lld", opt, arg, (long long)min,
		    (long long)max);
	*v = x;
	return 0;
}

static int
when(const char *opt, const char *arg, int64_t *t, struct crm_error *err)
{
	struct crm_error e;

	if (crm_norm_datetime(arg, t, &e) < 0)
		return crm_error_set(err, CRM_EUSAGE, "%s: %s", opt, e.msg);
	return 0;
}

int
crm_deal_args_opt(struct crm_deal_args *a, int ch, const char *arg,
    struct crm_error *err)
{
	struct crm_error e;
	int64_t v;

	switch (ch) {
	case 'b': a->iopts.by = arg; return 0;
	case 'C':
		if (crm_norm_currency(arg, a->currency, &e) < 0)
			return crm_error_set(err, CRM_EUSAGE, "--currency: %s",
			    e.msg);
		a->iopts.currency = a->currency;
		return 0;
	case 'n': a->dry = 1; return 0;
	case 'P': a->pipeline = arg; return 0;
	case 'p':
		if (num("--periods", arg, 1, 120, &v, err) < 0)
			return -1;
		a->fopts.periods = (int)v;
		return 0;
	case 'R': a->iopts.region = arg; return 0;
	case 'r': a->rejects = arg; return 0;
	case 's':
		return num("--stale", arg, 1, 36500, &a->popts.stale_days, err);
	case CRM_DEAL_OPT_ASOF:
		if (when("--as-of", arg, &a->popts.as_of, err) < 0)
			return -1;
		a->fopts.as_of = a->popts.as_of;
		return 0;
	case CRM_DEAL_OPT_BACKTEST: a->fopts.backtest = 1; return 0;
	case CRM_DEAL_OPT_BY: a->by = arg; return 0;
	case CRM_DEAL_OPT_COMMIT:
		return share("--commit", arg, &a->fopts.commit, err);
	case CRM_DEAL_OPT_CONF:
		return share("--confidence", arg, &a->fopts.confidence, err);
	case CRM_DEAL_OPT_LEARNT: a->fopts.learnt = 1; return 0;
	case CRM_DEAL_OPT_MODEL:
		return num("--model", arg, 1, INT64_MAX, &a->fopts.model_id,
		    err);
	case CRM_DEAL_OPT_CUSTOMERS: a->fopts.with_customers = 1; return 0;
	case CRM_DEAL_OPT_SINCE:
		return when("--since", arg, &a->sopts.since, err);
	case CRM_DEAL_OPT_UNTIL:
		return when("--until", arg, &a->sopts.until, err);
	}
	return 1;
}

/* --by as one of allowed (words separated by blanks), else dflt. */
static int
by_option(const struct crm_deal_args *a, const char *allowed, int dflt,
    int *by, struct crm_error *err)
{
	if (a->by == NULL) {
		*by = dflt;
		return 0;
	}
	if ((*by = crm_deal_by_parse(a->by)) < 0 ||
	    strstr(allowed, a->by) == NULL)
		return crm_error_set(err, CRM_EUSAGE, "--by: '%s' is not one of"
		    " %s", a->by, allowed);
	return 0;
}

int
crm_deal_args_check(struct crm_deal_args *a, const char *cmd,
    struct crm_error *err)
{
	a->iopts.pipeline = a->popts.pipeline = a->fopts.pipeline =
	    a->sopts.pipeline = a->pipeline;
	if (strcmp(cmd, "pipeline") == 0)
		return by_option(a, "stage owner month", CRM_DEAL_BY_STAGE,
		    &a->popts.by, err);
	if (strcmp(cmd, "forecast") == 0)
		return by_option(a, "month quarter", CRM_DEAL_BY_MONTH,
		    &a->fopts.by, err);
	if (strcmp(cmd, "stats") == 0 || strcmp(cmd, "funnel") == 0)
		return by_option(a, "total owner source", CRM_DEAL_BY_TOTAL,
		    &a->sopts.by, err);
	if (a->by != NULL && strcmp(cmd, "import") != 0 &&
	    strcmp(cmd, "stages") != 0)
		return crm_error_set(err, CRM_EUSAGE, "%s: no --by", cmd);
	return 0;
}
