/*
 * segment-house.c - RFM per household (household.h): the members'
 * purchases taken together.
 */
#include <sys/types.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "household.h"
#include "num.h"
#include "segment-int.h"

struct hmap {
	const struct buyer *b;	/* the contacts, by id */
	size_t n;
	struct buyer *h;	/* households, by id */
	int64_t *members;
	size_t nh, ah;
};

static ssize_t
find(const struct buyer *b, size_t n, int64_t id)
{
	size_t l = 0, h = n;

	while (l < h) {
		size_t m = l + (h - l) / 2;

		if (b[m].id < id)
			l = m + 1;
		else
			h = m;
	}
	return l < n && b[l].id == id ? (ssize_t)l : -1;
}

/* Add contact row->id to its household (they come in contact id order,
 * so a household's id, its lowest contact id, comes first). */
static int
add(void *arg, const struct crm_household_row *row, struct crm_error *err)
{
	struct hmap *m = arg;
	ssize_t ci = find(m->b, m->n, row->id), hi;
	const struct buyer *x;
	struct buyer *y;

	if (ci < 0)
		return 0;
	x = &m->b[ci];
	if ((hi = row->household == row->id ? -1 : find(m->h, m->nh,
	    row->household)) < 0) {
		if (m->nh == m->ah) {
			size_t na = m->ah ? 2 * m->ah : 1024;
			struct buyer *q = reallocarray(m->h, na, sizeof(*q));
			int64_t *k;

			if (q == NULL)
				return crm_error_set(err, CRM_EFAIL, "out of"
				    " memory");
			m->h = q;
			if ((k = reallocarray(m->members, na,
			    sizeof(*k))) == NULL)
				return crm_error_set(err, CRM_EFAIL, "out of"
				    " memory");
			m->members = k;
			m->ah = na;
		}
		hi = (ssize_t)m->nh++;
		y = &m->h[hi];
		memset(y, 0, sizeof(*y));
		y->id = row->household;
		y->ext = x->ext;
		y->email = x->email;
		m->members[hi] = 0;
	}
	y = &m->h[hi];
	m->members[hi]++;
	if (!x->buys)
		return 0;
	if (!y->buys || x->v[0] < y->v[0])
		y->v[0] = x->v[0];
	y->v[1] += x->v[1];
	y->v[2] += x->v[2];
	y->buys = 1;
	return 0;
}

int
crm_rfm_household(struct crm_db *db, const struct crm_rfm_opts *opts,
    struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "household", "members",
	    "external_id", "email", "recency", "frequency", "monetary", "r",
	    "f", "m", "rfm", "segment" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT };
	struct crm_buf arena = CRM_BUF_INIT((size_t)1 << 34);
	struct crm_rfm_opts tot = *opts;
	struct hmap m;
	struct buyer *b = NULL;
	size_t n = 0, i;
	int rc = -1, d;

	memset(&m, 0, sizeof(m));
	tot.monetary_avg = 0;
	if (crm_seg_fetch(db, &tot, &b, &n, &arena, err) < 0)
		goto done;
	m.b = b;
	m.n = n;
	if (crm_household_each(db, 0, add, &m, err) < 0)
		goto done;
	for (i = 0; i < m.nh; i++)
		if (m.h[i].buys && opts->monetary_avg)
			m.h[i].v[2] = round(m.h[i].v[2] / m.h[i].v[1] * 100) /
			    100;
	if (crm_seg_score_all(m.h, m.nh, opts, NULL, err) < 0 ||
	    crm_out_header(o, names, types, 12, err) < 0)
		goto done;
	for (i = 0; i < m.nh; i++) {
		const struct buyer *x = &m.h[i];
		char v[6][CRM_NUM_MAX], s[3][2], rfm[4];
		const char *vals[12];

		for (d = 0; d < 3; d++) {
			s[d][0] = rfm[d] = (char)('0' + x->s[d]);
			s[d][1] = '\0';
			vals[7 + d] = x->buys ? s[d] : NULL;
		}
		rfm[3] = '\0';
		vals[0] = crm_num_int(v[0], x->id);
		vals[1] = crm_num_int(v[1], m.members[i]);
		vals[2] = x->ext == (size_t)-1 ? NULL : arena.s + x->ext;
		vals[3] = x->email == (size_t)-1 ? NULL : arena.s + x->email;
		vals[4] = x->buys ? crm_num_int(v[2], (int64_t)x->v[0]) : NULL;
		vals[5] = crm_num_int(v[3], x->buys ? (int64_t)x->v[1] : 0);
		vals[6] = x->buys ? crm_num_fixed(v[4], 2, x->v[2]) : NULL;
		vals[10] = x->buys ? rfm : NULL;
		vals[11] = crm_seg_rfm_name(opts, x);
		if (crm_out_row(o, vals, err) < 0)
			goto done;
	}
	rc = 0;
done:
	free(b);
	free(m.h);
	free(m.members);
	crm_buf_release(&arena);
	return rc;
}
