/*
 * report-gather.c - crm-report's numbers: the period and its buckets,
 * and the sections gathered from the database in turn (read only; the
 * RFM segments in a second thread).  Each section's queries are in its
 * own file: report-contacts.c, report-activity.c, report-value.c,
 * report-campaigns.c, report-sales.c.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "norm.h"
#include "report-int.h"

/* The start of the UTC day of t. */
static int64_t
day0(int64_t t)
{
	return t - ((t % DAY) + DAY) % DAY;
}

/* ------------------------------------------------------------------ */
/* The period and its buckets */

int
report_month_start(int64_t t, int64_t *out)
{
	char d[11];
	int y, m;

	crm_format_date(t, d);
	y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 +
	    (d[3] - '0');
	m = (d[5] - '0') * 10 + (d[6] - '0');
	*out = crm_days_from_civil(y, m, 1) * DAY;
	return y * 12 + m - 1;
}

int64_t
report_month_of(int ym)
{
	return crm_days_from_civil(ym / 12, ym % 12 + 1, 1) * DAY;
}

static int
buckets(struct crm_report *r, struct crm_error *err)
{
	size_t i;
	int64_t ms;

	r->monthly = r->days > 182;
	if (r->monthly) {
		int a = report_month_start(r->start, &ms), b = report_month_start(r->end - 1,
		    &ms);

		r->nb = (size_t)(b - a + 1);
		if ((r->bstart = report_parray(r, r->nb + 1, sizeof(int64_t),
		    err)) == NULL || (r->blabel = report_parray(r, r->nb,
		    sizeof(char *), err)) == NULL)
			return -1;
		for (i = 0; i < r->nb; i++) {
			char d[11], *l;

			r->bstart[i] = i == 0 ? r->start : report_month_of(a +
			    (int)i);
			crm_format_date(r->bstart[i], d);
			if ((l = report_palloc(r, 8, err)) == NULL)
				return -1;
			memcpy(l, d, 7);
			r->blabel[i] = l;
		}
	} else {
		r->nb = (size_t)((r->days + 6) / 7);
		if ((r->bstart = report_parray(r, r->nb + 1, sizeof(int64_t),
		    err)) == NULL || (r->blabel = report_parray(r, r->nb,
		    sizeof(char *), err)) == NULL)
			return -1;
		for (i = 0; i < r->nb; i++) {
			char *l;

			r->bstart[i] = r->end - (int64_t)(r->nb - i) * WEEK;
			if (r->bstart[i] < r->start)
				r->bstart[i] = r->start;
			if ((l = report_palloc(r, 11, err)) == NULL)
				return -1;
			crm_format_date(r->bstart[i], l);
			r->blabel[i] = l;
		}
	}
	r->bstart[r->nb] = r->end;
	return 0;
}

/* The bucket of time t in [start, end). */
size_t
report_bucket(const struct crm_report *r, int64_t t)
{
	size_t lo = 0, hi = r->nb;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (r->bstart[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

double *
report_zeros(struct crm_report *r, size_t n, struct crm_error *err)
{
	return report_parray(r, n ? n : 1, sizeof(double), err);
}

/* ------------------------------------------------------------------ */
/* --owner: the contacts whose owner is the name */

static const char sql_owned[] =
    "SELECT id FROM contacts WHERE owner = ?1 ORDER BY id";

static int
load_owned(struct crm_report *r, struct crm_db *db, struct crm_error *err)
{
	struct crm_stmt *st;
	size_t alloc = 0;
	int step;

	if ((st = crm_db_stmt(db, sql_owned, err)) == NULL ||
	    crm_db_bind_text(db, st, 1, r->o.owner, err) < 0)
		return -1;
	while ((step = crm_db_step(db, st, err)) == 1) {
		if (report_pgrow(r, (void **)&r->own_ids, r->nown, &alloc,
		    sizeof(*r->own_ids), err) < 0) {
			crm_db_reset(st);
			return -1;
		}
		r->own_ids[r->nown++] = crm_db_col_int(st, 0);
	}
	/* A name that owns nothing still filters: to nothing. */
	if (step == 0 && r->own_ids == NULL &&
	    (r->own_ids = report_palloc(r, sizeof(int64_t), err)) == NULL)
		return -1;
	return step < 0 ? -1 : 0;
}

int
report_bind_owner(const struct crm_report *r, struct crm_db *db,
    struct crm_stmt *st, int i, struct crm_error *err)
{
	return r->o.owner != NULL ? crm_db_bind_text(db, st, i, r->o.owner,
	    err) : crm_db_bind_null(db, st, i, err);
}

int
report_owned(const struct crm_report *r, int64_t id)
{
	size_t lo = 0, hi = r->nown;

	if (r->o.owner == NULL)
		return 1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (r->own_ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->nown && r->own_ids[lo] == id;
}

/* ------------------------------------------------------------------ */

struct worker {
	struct crm_report *r;
	struct crm_db *db;
	struct crm_error err;
	int rc;
};

/* The second thread's share: about as long as the rest at 1M/5M. */
static int
gather_worker(struct crm_report *r, struct crm_db *db, struct crm_error *err)
{
	if (report_gather_segments(r, db, err) < 0 ||
	    report_gather_tickets(r, db, err) < 0 ||
	    report_gather_campaigns(r, db, err) < 0 ||
	    report_gather_change(r, db, err) < 0)
		return -1;
	return 0;
}

static void *
work(void *arg)
{
	struct worker *w = arg;

	w->rc = gather_worker(w->r, w->db, &w->err);
	return NULL;
}

/*
 * Gather every section.  RFM, the slowest part, runs in a second thread
 * on a second connection whose read transaction starts right after the
 * first one's, so that both see the same data unless a write commits in
 * between, followed there by the ticket statistics and the campaigns
 * (at 1M contacts and 5M interactions the two threads then take about
 * as long); the churn section needs the RFM rows and comes after.
 * Without a second connection or thread, everything runs in turn on db.
 */
static int
gather(struct crm_report *r, struct crm_db *db, struct crm_error *err)
{
	struct worker w;
	pthread_t tid;
	int threaded = 0, rc = -1;

	memset(&w, 0, sizeof(w));
	w.r = r;
	if (crm_db_map_reads(db, err) < 0 ||
	    crm_db_begin_read(db, err) < 0)
		return -1;
	if (r->o.owner != NULL && load_owned(r, db, err) < 0) {
		crm_db_rollback(db);
		return -1;
	}
	crm_error_clear(&w.err);
	if ((w.db = crm_db_open(crm_db_name(db), 0, &w.err)) != NULL &&
	    crm_db_map_reads(w.db, &w.err) == 0 &&
	    crm_db_begin_read(w.db, &w.err) == 0 &&
	    pthread_create(&tid, NULL, work, &w) == 0)
		threaded = 1;
	if (report_gather_contacts(r, db, err) == 0 &&
	    report_gather_interactions(r, db, err) == 0 &&
	    report_gather_whale(r, db, err) == 0)
		rc = 0;
	if (threaded) {
		pthread_join(tid, NULL);
		if (rc == 0 && w.rc < 0) {
			*err = w.err;
			rc = -1;
		}
	} else if (rc == 0)
		rc = gather_worker(r, db, err);
	if (rc == 0)
		report_whale_rfm(r, err);
	if (rc == 0 && (report_gather_churn(r, db, err) < 0 ||
	    report_gather_service(r, db, err) < 0))
		rc = -1;
	crm_db_rollback(w.db);
	crm_db_close(w.db);
	crm_db_rollback(db);
	return rc;
}

/*
 * The line for standard error.  The five sections every report has, and
 * the sales pipeline and the accounts when their tables have rows (the
 * page leaves them out otherwise): each without data when it shows a
 * sentence instead of its figures.
 */
static void
summary(struct crm_report *r)
{
	int n = 5, empty = (r->live == 0) + (r->inter_total == 0) +
	    (r->buyers == 0) + (r->scored == 0) + (r->ncamps == 0);

	if (r->deals_n > 0) {
		n++;
		empty += r->npipe == 0 && r->nfc == 0;
	}
	if (r->accounts_n > 0) {
		n++;
		empty += r->ntop_acc == 0 && r->nrisk_acc == 0 &&
		    r->npartners == 0;
	}
	snprintf(r->summary, sizeof(r->summary), "as of %s: %lld contacts,"
	    " %lld interactions in %lld days, %d of %d sections without data",
	    r->asof_day, (long long)r->live, (long long)r->inter_total,
	    (long long)r->days, empty, n);
}

struct crm_report *
crm_report_build(struct crm_db *db, const struct crm_report_opts *opts,
    struct crm_error *err)
{
	struct crm_report *r;
	int64_t now = opts->now ? opts->now : crm_now();

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&r->lock, NULL);
	r->o = *opts;
	r->o.now = now;
	if (r->o.asof == 0)
		r->o.asof = now;
	if (r->o.top <= 0)
		r->o.top = 20;
	if (r->o.campaign_window <= 0)
		r->o.campaign_window = 30;
	r->at_risk = r->o.at_risk > 0 ? r->o.at_risk : 0.5;
	r->end = day0(r->o.asof) + DAY;
	r->start = r->o.since ? day0(r->o.since) : r->end - 91 * DAY;
	if (r->start >= r->end) {
		crm_error_set(err, CRM_EUSAGE, "the period starts after it"
		    " ends (--since after --as-of)");
		goto fail;
	}
	r->days = (r->end - r->start) / DAY;
	crm_format_date(r->end - DAY, r->asof_day);
	crm_format_date(r->start, r->start_day);
	if (buckets(r, err) < 0 || gather(r, db, err) < 0 ||
	    report_gather_sales(r, db, err) < 0)
		goto fail;
	report_change_finish(r);
	summary(r);
	return r;
fail:
	crm_report_free(r);
	return NULL;
}

const char *
crm_report_summary(const struct crm_report *r)
{
	return r->summary;
}
