/*
 * report-pool.c - the memory of a report: every part comes from one pool
 * (shared by the two gathering threads, under r->lock) and goes at once
 * with crm_report_free().
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report-int.h"

void *
report_palloc(struct crm_report *r, size_t n, struct crm_error *err)
{
	struct chunk *c;

	if (n > SIZE_MAX - sizeof(*c) ||
	    (c = calloc(1, sizeof(*c) + n)) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	pthread_mutex_lock(&r->lock);
	c->next = r->pool;
	r->pool = c;
	pthread_mutex_unlock(&r->lock);
	return c + 1;
}

void *
report_parray(struct crm_report *r, size_t n, size_t size,
    struct crm_error *err)
{
	if (size != 0 && n > SIZE_MAX / size) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	return report_palloc(r, n * size, err);
}

/* A copy of s in the pool; NULL for NULL (and on ENOMEM, err set). */
char *
report_pdup(struct crm_report *r, const char *s, struct crm_error *err)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = report_palloc(r, strlen(s) + 1, err)) != NULL)
		memcpy(p, s, strlen(s) + 1);
	return p;
}

/*
 * A growing array in the pool: room for one more element of size bytes
 * at *v, which holds *n of *alloc.  The old array stays in the pool.
 */
int
report_pgrow(struct crm_report *r, void **v, size_t n, size_t *alloc,
    size_t size,
    struct crm_error *err)
{
	size_t na;
	void *q;

	if (n < *alloc)
		return 0;
	na = *alloc ? *alloc * 2 : 16;
	if ((q = report_parray(r, na, size, err)) == NULL)
		return -1;
	if (n > 0)
		memcpy(q, *v, n * size);
	*v = q;
	*alloc = na;
	return 0;
}

void
crm_report_free(struct crm_report *r)
{
	struct chunk *c, *next;

	if (r == NULL)
		return;
	for (c = r->pool; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(r->who);
	free(r->base_id);
	free(r->base_seg);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
