/*
 * report-state.c - the segment snapshot between two reports: read the
 * previous one, count the movement between segments, save the new one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "norm.h"
#include "outfile.h"
#include "report-int.h"

/*
 * The state file:
 *
 *	crm-report-state 1 DAY PREVIOUS_DAY		(PREVIOUS_DAY or -)
 *	ID TAB SEGMENT TAB PREVIOUS_SEGMENT		(one per contact, by id)
 *
 * where SEGMENT is the contact's segment on DAY and PREVIOUS_SEGMENT on
 * PREVIOUS_DAY (empty when not known).
 */
/* Parse "crm-report-state 1 DAY PREV\n" (PREV a day or "-"); 1 if it is
 * one. */
static int
state_header(const char *line, char day[11], char prev[11])
{
	char d[12], p[12], end[2], norm[11];
	struct crm_error e;

	if (sscanf(line, STATE_MAGIC " %11s %11s%1s", d, p, end) != 2 ||
	    crm_norm_date(d, norm, &e) < 0 || strcmp(norm, d) != 0)
		return 0;
	memcpy(day, d, 11);
	prev[0] = '\0';
	if (strcmp(p, "-") == 0)
		return 1;
	if (crm_norm_date(p, norm, &e) < 0 || strcmp(norm, p) != 0 ||
	    strcmp(p, d) >= 0)
		return 0;
	memcpy(prev, p, 11);
	return 1;
}

int
report_read_state(struct crm_report *r, struct crm_error *err)
{
	const char *path = r->o.state;
	char *line = NULL, *tab;
	size_t cap = 0, a = 0;
	ssize_t len;
	long lineno = 1;
	int col, rc = -1, cmp;
	FILE *fp;

	r->state_status = 0;
	if (path == NULL)
		return 0;
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT) {
			r->state_status = 2;
			return 0;
		}
		return crm_error_set(err, CRM_EFAIL, "%s: %s", path,
		    strerror(errno));
	}
	if ((len = getline(&line, &cap, fp)) < 0 || !state_header(line,
	    r->file_day, r->file_prev)) {
		crm_error_set(err, CRM_EDATA, "%s:1: not a crm-report state"
		    " file", path);
		goto done;
	}
	cmp = strcmp(r->file_day, r->asof_day);
	if (cmp > 0) {
		r->state_status = 3;
		rc = 0;
		goto done;
	}
	/* Compare with the file's day if it is earlier, else with the
	 * day before it (a report of the same day again). */
	col = cmp < 0 ? 1 : 2;
	if (col == 2 && r->file_prev[0] == '\0') {
		r->state_status = 4;
		rc = 0;
		goto done;
	}
	memcpy(r->base_day, col == 1 ? r->file_day : r->file_prev, 11);
	while ((len = getline(&line, &cap, fp)) > 0) {
		char *seg, *end;
		int64_t id;
		int s;

		lineno++;
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		id = strtoll(line, &end, 10);
		if (end == line || *end != '\t' || (r->nbase > 0 &&
		    id <= r->base_id[r->nbase - 1])) {
			crm_error_set(err, CRM_EDATA, "%s:%ld: expected an id"
			    " (ascending), a tab and a segment", path, lineno);
			goto done;
		}
		seg = end + 1;
		tab = strchr(seg, '\t');
		if (tab != NULL)
			*tab = '\0';
		if (col == 2)
			seg = tab != NULL ? tab + 1 : (char *)"";
		if (*seg == '\0')
			continue;
		if ((s = report_seg_index(r, seg, err)) < 0) {
			crm_error_prefix(err, "%s:%ld", path, lineno);
			goto done;
		}
		if (r->nbase == a) {
			size_t na = a ? a * 2 : 4096;
			int64_t *q = reallocarray(r->base_id, na, sizeof(*q));
			uint8_t *qs;

			if (q != NULL)
				r->base_id = q;
			qs = q ? realloc(r->base_seg, na) : NULL;
			if (qs == NULL) {
				crm_error_set(err, CRM_EFAIL, "out of memory");
				goto done;
			}
			r->base_seg = qs;
			a = na;
		}
		r->base_id[r->nbase] = id;
		r->base_seg[r->nbase++] = (uint8_t)s;
	}
	if (ferror(fp)) {
		crm_error_set(err, CRM_EFAIL, "%s: %s", path, strerror(errno));
		goto done;
	}
	r->state_status = 1;
	rc = 0;
done:
	free(line);
	fclose(fp);
	return rc;
}

static int
add_flow(struct crm_report *r, size_t *alloc, int from, int to,
    struct crm_error *err)
{
	size_t i;

	for (i = 0; i < r->nflows; i++)
		if (r->flows[i].from == from && r->flows[i].to == to) {
			r->flows[i].n++;
			return 0;
		}
	if (r->nflows == *alloc) {
		size_t na = *alloc ? *alloc * 2 : 32;
		struct flow *q = report_parray(r, na, sizeof(*q), err);

		if (q == NULL)
			return -1;
		if (r->nflows > 0)
			memcpy(q, r->flows, r->nflows * sizeof(*q));
		r->flows = q;
		*alloc = na;
	}
	r->flows[r->nflows].from = from;
	r->flows[r->nflows].to = to;
	r->flows[r->nflows++].n = 1;
	return 0;
}

static int
cmp_flow(const void *a, const void *b)
{
	const struct flow *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return x->from != y->from ? x->from - y->from : x->to - y->to;
}

/* Movement: a merge of the two id-ordered lists. */
int
report_movement(struct crm_report *r, struct crm_error *err)
{
	size_t i = 0, j = 0, alloc = 0;

	if (r->state_status != 1)
		return 0;
	if ((r->seg_before = report_parray(r, MAXSEGS, sizeof(int64_t),
	    err)) == NULL)
		return -1;
	while (i < r->nwho || j < r->nbase) {
		int from, to;

		if (j < r->nbase && !report_owned(r, r->base_id[j])) {
			j++;
			continue;
		}
		if (j == r->nbase || (i < r->nwho &&
		    r->who[i].id < r->base_id[j])) {
			from = -1;
			to = r->who[i++].seg;
			r->joined++;
		} else if (i == r->nwho || r->base_id[j] < r->who[i].id) {
			from = r->base_seg[j++];
			to = -2;
			r->left++;
			r->seg_before[from]++;
		} else {
			from = r->base_seg[j++];
			to = r->who[i++].seg;
			r->seg_before[from]++;
			if (from == to) {
				r->stayed++;
				continue;
			}
			r->moved++;
		}
		if (add_flow(r, &alloc, from, to, err) < 0)
			return -1;
	}
	if (r->nflows > 0)
		qsort(r->flows, r->nflows, sizeof(*r->flows), cmp_flow);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The state file */

int
crm_report_save_state(const struct crm_report *r, struct crm_error *err)
{
	struct crm_outfile *f;
	size_t i, j = 0;
	FILE *fp;

	/* An owner's report holds some contacts only: it reads the
	 * snapshot but leaves it for the whole report. */
	if (r->o.state == NULL || r->state_status == 3 ||
	    r->seg_note != NULL || r->o.owner != NULL)
		return 0;
	if ((f = crm_outfile_open(r->o.state, err)) == NULL)
		return -1;
	fp = crm_outfile_fp(f);
	fprintf(fp, "%s %s %s\n", STATE_MAGIC, r->asof_day,
	    r->state_status == 1 ? r->base_day : "-");
	for (i = 0; i < r->nwho; i++) {
		const struct who *w = &r->who[i];

		while (j < r->nbase && r->base_id[j] < w->id)
			j++;
		fprintf(fp, "%lld\t%s\t%s\n", (long long)w->id,
		    r->segnames[w->seg], j < r->nbase && r->base_id[j] ==
		    w->id ? r->segnames[r->base_seg[j]] : "");
	}
	return crm_outfile_commit(f, err);
}
