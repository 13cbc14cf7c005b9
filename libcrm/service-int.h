/*
 * service-int.h - what the parts of the service module share (service.c,
 * the tickets and their import; service-policy.c; service-report.c); not
 * for use outside them.  service.h is the module's interface.
 */
#ifndef CRM_SERVICE_INT_H
#define CRM_SERVICE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "bizcal.h"
#include "db.h"
#include "error.h"

/* A ticket's status, in the stored order (the schema's CHECK). */
enum { ST_NEW, ST_OPEN, ST_PENDING, ST_HOLD, ST_SOLVED, ST_CLOSED };

#define IS_DONE(st)	((st) == ST_SOLVED || (st) == ST_CLOSED)
#define RUNS(st)	((st) == ST_NEW || (st) == ST_OPEN)

struct target {
	char priority[8], channel[16];
	int64_t first, res;
};

struct policy {
	struct crm_bizcal *cal;
	struct target *t;
	size_t n;
};

/* A status word's index in the stored order, or -1. */
int service_status_index(const char *s);
/* A priority or channel word as stored, or NULL. */
const char *service_priority_parse(const char *s);
const char *service_channel_parse(const char *s);

/* The stored policy, defaults for what is not stored. */
int service_policy_load(struct crm_db *db, struct policy *p,
    struct crm_error *err);
void service_policy_free(struct policy *p);
/* The target for a priority and channel: the channel's own, else the
 * priority's, else normal's. */
const struct target *service_policy_for(const struct policy *p,
    const char *priority, const char *channel);

#endif
