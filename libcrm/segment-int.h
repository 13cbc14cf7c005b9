/*
 * segment-int.h - what the parts of segment (segment-rfm.c,
 * segment-pairs.c, segment.c) share; not for other modules.
 */
#ifndef CRM_SEGMENT_INT_H
#define CRM_SEGMENT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "segment.h"

struct buyer {
	int64_t id;
	double v[3];		/* recency days, frequency, monetary */
	int s[3];
	size_t ext, email;	/* offsets in the string arena, or -1 */
	int buys;
};

/*
 * 1 for an interaction that is an order's first line or no order's line
 * at all: lines of one order (order_ref, issue 15) count once, while
 * their amounts all add up.
 */
#define ORDER_FIRST "(order_ref IS NULL OR NOT EXISTS (SELECT 1 FROM" \
	" interactions o WHERE o.order_ref = interactions.order_ref AND" \
	" o.contact_id = interactions.contact_id AND o.id < interactions.id))"

/*
 * Fetch buyers and non-buyers, ordered by id; strings kept in arena
 * (segment-rfm.c).
 */
int crm_seg_fetch(struct crm_db *db, const struct crm_rfm_opts *opts,
    struct buyer **out, size_t *nout, struct crm_buf *arena,
    struct crm_error *err);

/* Score everyone in b; explain the boundaries. */
int crm_seg_score_all(struct buyer *b, size_t n,
    const struct crm_rfm_opts *opts, struct crm_buf *explain,
    struct crm_error *err);

/* The segment name of buyer x. */
const char *crm_seg_rfm_name(const struct crm_rfm_opts *opts,
    const struct buyer *x);

/* v in decimal into out[24]; returns out. */
char *crm_seg_fmt_int(char *out, int64_t v);

/* A sum already rounded to cents as printf's "%.2f" writes it, into
 * out[32]; returns out. */
char *crm_seg_fmt_cents(char *out, double v);

#endif
