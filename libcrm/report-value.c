/*
 * report-value.c - crm-report's segments and value: the RFM segments and
 * revenue deciles (with the movement since the last snapshot), and the
 * churn scores and lifetime values.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rate.h"
#include "report-int.h"
#include "segment.h"

int
report_seg_index(struct crm_report *r, const char *name, struct crm_error *err)
{
	size_t i;

	for (i = 0; i < r->nsegnames; i++)
		if (strcmp(r->segnames[i], name) == 0)
			return (int)i;
	if (r->nsegnames == MAXSEGS)
		return crm_error_set(err, CRM_EDATA, "more than %d segment"
		    " names", MAXSEGS);
	if ((r->segnames[r->nsegnames] = report_pdup(r, name, err)) == NULL)
		return -1;
	return (int)r->nsegnames++;
}

struct rfm_arg {
	struct crm_report *r;
	size_t alloc;
	const char *last_name;	/* the segment of the last row */
	int last_seg;
};

/* Keep a contact's row of crm_rfm_each(). */
static int
rfm_row(void *arg, const struct crm_rfm_row *x, struct crm_error *err)
{
	struct rfm_arg *a = arg;
	struct crm_report *r = a->r;
	struct who *w;
	int s;

	if (!report_owned(r, x->id))
		return 0;
	if (r->nwho == a->alloc) {
		size_t na = a->alloc ? a->alloc * 2 : 4096;
		struct who *q = reallocarray(r->who, na, sizeof(*q));

		if (q == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		r->who = q;
		a->alloc = na;
	}
	/* Names come from the map: the same pointer as the last row's is
	 * the same name. */
	if (x->segment == a->last_name)
		s = a->last_seg;
	else if ((s = report_seg_index(r, x->segment, err)) < 0)
		return -1;
	a->last_name = x->segment;
	a->last_seg = s;
	w = &r->who[r->nwho++];
	w->id = x->id;
	w->recency = (int32_t)x->recency;
	w->orders = (int32_t)x->frequency;
	w->monetary = x->monetary;
	w->seg = (uint8_t)s;
	return 0;
}

static int
cmp_seg(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	if (x->revenue != y->revenue)
		return x->revenue < y->revenue ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int
cmp_down(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * Segment totals and revenue deciles from the per-contact rows, added up
 * in the order crm_profit() adds them (contacts by id; deciles in sorted
 * order), so that the sums are the same to the last bit.
 */
static int
segment_totals(struct crm_report *r, struct crm_error *err)
{
	double *rev, total = 0, cum = 0;
	int64_t *slot;
	size_t i, k;

	if ((r->segs = report_parray(r, r->nsegnames + 1, sizeof(*r->segs),
	    err)) == NULL || (slot = report_parray(r, r->nsegnames + 1,
	    sizeof(*slot), err)) == NULL)
		return -1;
	for (k = 0; k <= r->nsegnames; k++)
		slot[k] = -1;
	for (i = 0; i < r->nwho; i++) {
		const struct who *w = &r->who[i];
		struct seg *g;

		if (slot[w->seg] < 0) {
			slot[w->seg] = (int64_t)r->nsegs;
			r->segs[r->nsegs++].name = r->segnames[w->seg];
		}
		g = &r->segs[slot[w->seg]];
		g->contacts++;
		g->buyers += w->orders > 0;
		g->orders += w->orders;
		g->revenue += w->orders > 0 ? w->monetary : 0;
		r->buyers += w->orders > 0;
	}
	for (k = 0; k < r->nsegs; k++)
		total += r->segs[k].revenue;
	r->revenue_total = total;
	if (r->nsegs > 0)
		qsort(r->segs, r->nsegs, sizeof(*r->segs), cmp_seg);
	for (k = 0; k < r->nsegs; k++) {
		cum += r->segs[k].revenue;
		r->segs[k].share = total > 0 ? r->segs[k].revenue / total : 0;
		r->segs[k].cum = total > 0 ? cum / total : 0;
	}

	if (r->nwho == 0)
		return 0;
	if ((rev = malloc(r->nwho * sizeof(*rev))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	for (i = 0; i < r->nwho; i++)
		rev[i] = r->who[i].orders > 0 ? r->who[i].monetary : 0;
	qsort(rev, r->nwho, sizeof(*rev), cmp_down);
	for (i = 0; i < r->nwho; i++) {
		struct decile *d = &r->dec[i * 10 / r->nwho];

		d->contacts++;
		d->revenue += rev[i];
	}
	free(rev);
	total = cum = 0;
	for (k = 0; k < 10; k++)
		total += r->dec[k].revenue;
	for (k = 0; k < 10; k++) {
		cum += r->dec[k].revenue;
		r->dec[k].share = total > 0 ? r->dec[k].revenue / total : 0;
		r->dec[k].cum = total > 0 ? cum / total : 0;
	}
	return 0;
}

int
report_gather_segments(struct crm_report *r, struct crm_db *db,
    struct crm_error *err)
{
	struct crm_rates *rates = NULL;
	struct rfm_arg a;
	struct crm_rfm_opts o;
	char cur[4];
	int rc;

	memset(&a, 0, sizeof(a));
	a.r = r;
	memset(&o, 0, sizeof(o));
	o.asof = r->end - DAY;
	o.kind = "purchase";
	/*
	 * Purchases in several currencies: RFM's money in --currency, or
	 * else in the most used one, the others converted where
	 * crm-segment rates has a rate and left out of monetary where not,
	 * rather than no report (segment.h).
	 */
	if (r->o.currency != NULL)
		snprintf(cur, sizeof(cur), "%s", r->o.currency);
	else if (crm_rfm_main_currency(db, o.asof, o.kind, cur, err) < 0)
		return -1;
	if (cur[0] && (rates = crm_rates_load(db, err)) == NULL)
		return -1;
	o.currency = cur[0] ? cur : NULL;
	o.rates = rates;
	o.skip_unconverted = r->o.currency == NULL;
	rc = crm_rfm_each(db, &o, rfm_row, &a, NULL, err);
	crm_rates_free(rates);
	/* A rate missing for --currency: the segments say so in a
	 * sentence, the rest of the report stands, and the state file is
	 * left as it is. */
	if (rc < 0 && err->code == CRM_EDATA) {
		if ((r->seg_note = report_pdup(r, err->msg, err)) == NULL)
			return -1;
		crm_error_clear(err);
		r->nwho = 0;
		return 0;
	}
	if (rc < 0 || segment_totals(r, err) < 0 ||
	    report_read_state(r, err) < 0)
		return -1;
	return report_movement(r, err);
}

/* ------------------------------------------------------------------ */
/* Churn and value */

static const char sql_scores[] =
    "SELECT s.contact_id, s.p_alive, s.expected_purchases, s.clv,"
    " s.horizon_days, s.scored_at, s.model_id FROM scores s"
    " JOIN contacts c ON c.id = s.contact_id"
    " WHERE c.merged_into IS NULL AND c.erased_at IS NULL"
    " ORDER BY s.contact_id";

static const char sql_model[] =
    "SELECT kind, strftime('%Y-%m-%d', fitted_at, 'unixepoch'),"
    " strftime('%Y-%m-%d', calibration_end, 'unixepoch'), unit"
    " FROM models WHERE id = ?1";

static const char sql_who[] =
    "SELECT id, external_id, trim(coalesce(first_name, '') || ' ' ||"
    " coalesce(last_name, '')), owner FROM contacts"
    " WHERE id IN (SELECT CAST(value AS BIGINT) FROM json_each(?1))";

struct val {
	int64_t id;
	double clv, ep, palive;
};

static int
cmp_val(const void *a, const void *b)
{
	const struct val *x = a, *y = b;

	if (x->clv != y->clv)
		return x->clv < y->clv ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Keep the top r->o.top at-risk customers by revenue so far. */
static void
keep_risky(struct crm_report *r, const struct risky *x)
{
	size_t i;

	if (r->nrisky == (size_t)r->o.top &&
	    x->revenue <= r->risky[r->nrisky - 1].revenue)
		return;
	if (r->nrisky < (size_t)r->o.top)
		r->nrisky++;
	for (i = r->nrisky - 1; i > 0 && r->risky[i - 1].revenue <
	    x->revenue; i--)
		r->risky[i] = r->risky[i - 1];
	r->risky[i] = *x;
}

static int
risky_names(struct crm_report *r, struct crm_db *db, struct crm_error *err)
{
	struct crm_buf ids = CRM_BUF_INIT(1 << 20);
	struct crm_stmt *st;
	size_t i;
	int rc = -1, step;

	if (r->nrisky == 0)
		return 0;
	for (i = 0; i < r->nrisky; i++)
		if (crm_buf_addf(&ids, err, "%s%lld", i ? "," : "[",
		    (long long)r->risky[i].id) < 0)
			goto done;
	if (crm_buf_addc(&ids, ']', err) < 0 ||
	    (st = crm_db_stmt(db, sql_who, err)) == NULL ||
	    crm_db_bind_text(db, st, 1, crm_buf_str(&ids), err) < 0)
		goto done;
	while ((step = crm_db_step(db, st, err)) == 1) {
		int64_t id = crm_db_col_int(st, 0);

		for (i = 0; i < r->nrisky; i++) {
			struct risky *x = &r->risky[i];

			if (x->id != id)
				continue;
			if ((crm_db_col_text(st, 1) != NULL &&
			    (x->ext = report_pdup(r, crm_db_col_text(st, 1),
			    err)) == NULL) ||
			    (x->name = report_pdup(r, crm_db_col_text(st, 2),
			    err)) == NULL ||
			    (crm_db_col_text(st, 3) != NULL &&
			    (x->owner = report_pdup(r, crm_db_col_text(st, 3),
			    err)) == NULL)) {
				crm_db_reset(st);
				goto done;
			}
		}
	}
	rc = step < 0 ? -1 : 0;
done:
	crm_buf_release(&ids);
	return rc;
}

int
report_gather_churn(struct crm_report *r, struct crm_db *db,
    struct crm_error *err)
{
	struct val *v = NULL;
	size_t nv = 0, av = 0, j = 0, i;
	int64_t model = 0;
	struct crm_stmt *st;
	int rc = -1, step;

	if ((r->risky = report_parray(r, (size_t)r->o.top, sizeof(*r->risky),
	    err)) == NULL || (st = crm_db_stmt(db, sql_scores, err)) == NULL)
		return -1;
	while ((step = crm_db_step(db, st, err)) == 1) {
		int64_t id = crm_db_col_int(st, 0);
		double pa = crm_db_col_double(st, 1);
		int nopa = crm_db_col_isnull(st, 1);
		int noclv = crm_db_col_isnull(st, 3);
		int b;

		if (!report_owned(r, id))
			continue;
		r->scored++;
		if (crm_db_col_int(st, 5) > r->scored_at)
			r->scored_at = crm_db_col_int(st, 5);
		if (crm_db_col_int(st, 6) > model)
			model = crm_db_col_int(st, 6);
		r->horizon = crm_db_col_int(st, 4);
		if (!nopa) {
			b = (int)floor(pa * 10);
			r->palive_hist[b < 0 ? 0 : b > 9 ? 9 : b]++;
		}
		if (noclv)
			r->no_clv++;
		else {
			if (nv == av) {
				size_t na = av ? av * 2 : 4096;
				struct val *q = reallocarray(v, na, sizeof(*q));

				if (q == NULL) {
					crm_error_set(err, CRM_EFAIL,
					    "out of memory");
					crm_db_reset(st);
					goto done;
				}
				v = q;
				av = na;
			}
			v[nv].id = id;
			v[nv].clv = crm_db_col_double(st, 3);
			v[nv].ep = crm_db_col_double(st, 2);
			v[nv++].palive = pa;
		}
		if (nopa || pa >= r->at_risk)
			continue;
		r->at_risk_n++;
		/* The RFM rows are in id order too. */
		while (j < r->nwho && r->who[j].id < id)
			j++;
		if (j < r->nwho && r->who[j].id == id &&
		    r->who[j].orders > 0 && r->o.top > 0) {
			struct risky x;

			memset(&x, 0, sizeof(x));
			x.id = id;
			x.revenue = r->who[j].monetary;
			x.orders = r->who[j].orders;
			x.recency = r->who[j].recency;
			x.segment = r->segnames[r->who[j].seg];
			x.p_alive = pa;
			x.clv = noclv ? NAN : crm_db_col_double(st, 3);
			keep_risky(r, &x);
		}
	}
	if (step < 0)
		goto done;
	if (nv > 0)
		qsort(v, nv, sizeof(*v), cmp_val);
	for (i = 0; i < nv; i++) {
		struct valdec *d = &r->vdec[i * 10 / nv];

		d->n++;
		d->clv += v[i].clv;
		d->ep += v[i].ep;
		d->palive += v[i].palive;
	}
	if (model > 0) {
		if ((st = crm_db_stmt(db, sql_model, err)) == NULL ||
		    crm_db_bind_int(db, st, 1, model, err) < 0 ||
		    (step = crm_db_step(db, st, err)) < 0)
			goto done;
		if (step == 1) {
			const char *kind = crm_db_col_text(st, 0);
			char buf[160];

			snprintf(buf, sizeof(buf), "%s fitted %s, calibration"
			    " ending %s, in %ss", kind == NULL ? "?" :
			    strcmp(kind, "bgnbd") == 0 ? "BG/NBD" :
			    strcmp(kind, "pareto") == 0 ? "Pareto/NBD" : kind,
			    crm_db_col_text(st, 1) ? crm_db_col_text(st, 1) :
			    "?", crm_db_col_text(st, 2) ?
			    crm_db_col_text(st, 2) : "?",
			    crm_db_col_text(st, 3) ? crm_db_col_text(st, 3) :
			    "day");
			crm_db_reset(st);
			if ((r->model = report_pdup(r, buf, err)) == NULL)
				goto done;
		}
	}
	rc = risky_names(r, db, err);
done:
	free(v);
	return rc;
}
