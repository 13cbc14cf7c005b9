/*
 * dedupe-write.c - what crm-dedupe finds, written: pairs, clusters, the
 * file with a cluster_id, the model.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedupe-int.h"

/* A record's id as text, in buf[24] for a contact id. */
static const char *
rec_id(const struct crm_dedupe *d, uint32_t i, char buf[24])
{
	if (d->rec[i].cid != 0) {
		snprintf(buf, 24, "%lld", (long long)d->rec[i].cid);
		return buf;
	}
	return txt(d, d->rec[i].id);
}

/* Column names f_a and f_b of the values compared. */
static void
value_names(char vn[NF][2][24])
{
	int f;

	for (f = 0; f < NF; f++) {
		snprintf(vn[f][0], sizeof(vn[f][0]), "%s_a", dedupe_fname[f]);
		snprintf(vn[f][1], sizeof(vn[f][1]), "%s_b", dedupe_fname[f]);
	}
}

#define PAIR_COLS (6 + 3 * NF)

int
crm_dedupe_write_pairs(struct crm_dedupe *d, struct crm_out *o,
    struct crm_error *err)
{
	struct crm_buf ba = CRM_BUF_INIT(1 << 20), bb = CRM_BUF_INIT(1 << 20);
	const char *names[PAIR_COLS], *vals[PAIR_COLS], *va[NF], *vb[NF];
	enum crm_coltype types[PAIR_COLS];
	char ida[24], idb[24], score[32], prob[32], lv[NF][8], vn[NF][2][24];
	size_t i, n = 0;
	int f, fields[NF], nf = 0, rc = -1;

	value_names(vn);
	names[n] = "id_a";
	types[n++] = d->dbmode ? CRM_COL_NUM : CRM_COL_TEXT;
	names[n] = "id_b";
	types[n++] = d->dbmode ? CRM_COL_NUM : CRM_COL_TEXT;
	names[n] = "name_a";
	types[n++] = CRM_COL_TEXT;
	names[n] = "name_b";
	types[n++] = CRM_COL_TEXT;
	names[n] = "score";
	types[n++] = CRM_COL_NUM;
	names[n] = "probability";
	types[n++] = CRM_COL_NUM;
	for (f = 0; f < NF; f++)
		if (d->present[f]) {
			fields[nf++] = f;
			names[n] = dedupe_fname[f];
			types[n++] = CRM_COL_NUM;
		}
	for (f = 0; f < nf; f++) {
		names[n] = vn[fields[f]][0];
		types[n++] = CRM_COL_TEXT;
		names[n] = vn[fields[f]][1];
		types[n++] = CRM_COL_TEXT;
	}
	if (crm_out_header(o, names, types, n, err) < 0)
		goto done;
	for (i = 0; i < d->nmatch; i++) {
		const struct match *m = &d->match[i];

		if (dedupe_rec_values(d, m->ra, va, &ba, err) < 0 ||
		    dedupe_rec_values(d, m->rb, vb, &bb, err) < 0)
			goto done;
		vals[0] = rec_id(d, m->a, ida);
		vals[1] = rec_id(d, m->b, idb);
		vals[2] = txt(d, d->rec[m->a].name);
		vals[3] = txt(d, d->rec[m->b].name);
		snprintf(score, sizeof(score), "%.2f", m->weight);
		snprintf(prob, sizeof(prob), "%.4f", m->prob);
		vals[4] = score;
		vals[5] = prob;
		for (f = 0; f < nf; f++) {
			snprintf(lv[f], sizeof(lv[f]), "%d", m->g[fields[f]]);
			vals[6 + f] = m->g[fields[f]] < 0 ? NULL : lv[f];
			vals[6 + nf + 2 * f] = va[fields[f]];
			vals[7 + nf + 2 * f] = vb[fields[f]];
		}
		if (crm_out_row(o, vals, err) < 0)
			goto done;
	}
	rc = 0;
done:
	crm_buf_release(&ba);
	crm_buf_release(&bb);
	return rc;
}

#define CLUSTER_COLS (3 + 2 * NF)

/*
 * Clusters, each record with its values and its levels against the
 * cluster's first record (empty for that one).
 */
int
crm_dedupe_write_clusters(struct crm_dedupe *d, struct crm_out *o,
    struct crm_error *err)
{
	struct crm_buf b = CRM_BUF_INIT(1 << 20);
	const char *names[CLUSTER_COLS], *vals[CLUSTER_COLS], *v[NF];
	enum crm_coltype types[CLUSTER_COLS];
	char cid[24], id[24], lv[NF][8], ln[NF][24];
	uint32_t *next = NULL, *head = NULL, *tail = NULL, i, k;
	signed char g[NF];
	size_t n = 0;
	int f, fields[NF], nf = 0, rc = -1;

	names[n] = "cluster_id";
	types[n++] = d->dbmode ? CRM_COL_NUM : CRM_COL_TEXT;
	names[n] = "id";
	types[n++] = d->dbmode ? CRM_COL_NUM : CRM_COL_TEXT;
	names[n] = "name";
	types[n++] = CRM_COL_TEXT;
	for (f = 0; f < NF; f++)
		if (d->present[f])
			fields[nf++] = f;
	for (f = 0; f < nf; f++) {
		names[n] = dedupe_fname[fields[f]];
		types[n++] = CRM_COL_TEXT;
	}
	for (f = 0; f < nf; f++) {
		snprintf(ln[f], sizeof(ln[f]), "%s_level",
		    dedupe_fname[fields[f]]);
		names[n] = ln[f];
		types[n++] = CRM_COL_NUM;
	}
	if (crm_out_header(o, names, types, n, err) < 0)
		return -1;
	if (d->cluster == NULL)
		return 0;
	/* Members listed under their cluster, both in record order. */
	next = calloc(d->nrec + 1, sizeof(*next));
	head = calloc(d->nrec + 1, sizeof(*head));
	tail = calloc(d->nrec + 1, sizeof(*tail));
	if (next == NULL || head == NULL || tail == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	for (i = 0; i < d->nrec; i++) {
		if (d->rec[i].root != i)
			continue;
		k = d->cluster[i];
		if (head[k] == 0)
			head[k] = i + 1;
		else
			next[tail[k] - 1] = i + 1;
		tail[k] = i + 1;
	}
	for (k = 0; k < d->nrec; k++) {
		if (head[k] == 0 || next[head[k] - 1] == 0)
			continue;
		vals[0] = rec_id(d, k, cid);
		for (i = head[k]; i != 0; i = next[i - 1]) {
			if (dedupe_rec_values(d, i - 1, v, &b, err) < 0)
				goto done;
			if (i != head[k])
				dedupe_compare(d, &d->rec[head[k] - 1],
				    &d->rec[i - 1], g);
			vals[1] = rec_id(d, i - 1, id);
			vals[2] = txt(d, d->rec[i - 1].name);
			for (f = 0; f < nf; f++) {
				vals[3 + f] = v[fields[f]];
				snprintf(lv[f], sizeof(lv[f]), "%d",
				    g[fields[f]]);
				vals[3 + nf + f] = i == head[k] ||
				    g[fields[f]] < 0 ? NULL : lv[f];
			}
			if (crm_out_row(o, vals, err) < 0)
				goto done;
		}
	}
	rc = 0;
done:
	crm_buf_release(&b);
	free(next);
	free(head);
	free(tail);
	return rc;
}

int
crm_dedupe_write_file(struct crm_dedupe *d, struct crm_out *o,
    struct crm_error *err)
{
	const char **names, **vals;
	size_t i, c, n = d->ncols;
	const char *p;
	int rc = -1;

	names = calloc(n + 1, sizeof(*names));
	vals = calloc(n + 1, sizeof(*vals));
	if (names == NULL || vals == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	for (c = 0; c < n; c++)
		names[c] = d->colnames[c];
	if (d->cluster_col < 0)
		names[n++] = "cluster_id";
	if (crm_out_header(o, names, NULL, n, err) < 0)
		goto done;
	for (i = 0; i < d->nrec; i++) {
		p = d->rows.s + d->rowoff[i];
		for (c = 0; c < d->ncols; c++) {
			vals[c] = *p ? p : NULL;
			p += strlen(p) + 1;
		}
		vals[d->cluster_col < 0 ? d->ncols : (size_t)d->cluster_col] =
		    txt(d, d->rec[d->cluster ? d->cluster[i] : i].id);
		if (crm_out_row(o, vals, err) < 0)
			goto done;
	}
	rc = 0;
done:
	free(names);
	free(vals);
	return rc;
}

int
crm_dedupe_write_model(struct crm_dedupe *d, struct crm_out *o,
    struct crm_error *err)
{
	static const char *const names[5] = { "field", "level", "m", "u",
	    "weight" };
	static const enum crm_coltype types[5] = { CRM_COL_TEXT, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM };
	const char *vals[5];
	char lv[8], m[32], u[32], w[32];
	int f, l;

	if (crm_out_header(o, names, types, 5, err) < 0)
		return -1;
	if (!d->fitted)
		return 0;
	vals[0] = "lambda";
	vals[1] = NULL;
	snprintf(m, sizeof(m), "%.6g", d->fs.lambda);
	vals[2] = m;
	vals[3] = vals[4] = NULL;
	if (crm_out_row(o, vals, err) < 0)
		return -1;
	vals[0] = "lambda_household";
	snprintf(m, sizeof(m), "%.6g", d->lambda_h);
	if (crm_out_row(o, vals, err) < 0)
		return -1;
	for (f = 0; f < NF; f++) {
		if (!d->present[f])
			continue;
		for (l = 0; l < NLEVELS; l++) {
			snprintf(lv, sizeof(lv), "%d", l);
			snprintf(m, sizeof(m), "%.6g", d->fs.m[f * NLEVELS + l]);
			snprintf(u, sizeof(u), "%.6g", d->fs.u[f * NLEVELS + l]);
			snprintf(w, sizeof(w), "%.2f", d->fs.w[f * NLEVELS + l]);
			vals[0] = dedupe_fname[f];
			vals[1] = lv;
			vals[2] = m;
			vals[3] = u;
			vals[4] = w;
			if (crm_out_row(o, vals, err) < 0)
				return -1;
		}
	}
	return 0;
}

int
crm_dedupe_write_links(struct crm_dedupe *d, struct crm_out *o,
    struct crm_error *err)
{
	const char **names, **vals;
	const struct match *m;
	uint32_t *best = NULL, sub, ref;
	size_t i, c, n = d->ncols;
	char id[24], prob[32], score[32];
	const char *p;
	int rc = -1;

	names = calloc(n + 3, sizeof(*names));
	vals = calloc(n + 3, sizeof(*vals));
	best = calloc(d->nrec + 1, sizeof(*best));
	if (names == NULL || vals == NULL || best == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	/* Each subject record's best match (its number + 1). */
	for (i = 0; i < d->nmatch; i++) {
		m = &d->match[i];
		sub = d->rec[m->a].src ? m->a : m->b;
		if (d->rec[m->a].src == d->rec[m->b].src)
			continue;
		if (best[sub] == 0 || m->prob > d->match[best[sub] - 1].prob ||
		    (m->prob == d->match[best[sub] - 1].prob &&
		    m->weight > d->match[best[sub] - 1].weight))
			best[sub] = (uint32_t)i + 1;
	}
	for (c = 0; c < d->ncols; c++)
		names[c] = d->colnames[c];
	names[n] = "matched_id";
	names[n + 1] = "probability";
	names[n + 2] = "score";
	if (crm_out_header(o, names, NULL, n + 3, err) < 0)
		goto done;
	for (i = d->nref; i < d->nrec; i++) {
		p = d->rows.s + d->rowoff[i];
		for (c = 0; c < d->ncols; c++) {
			vals[c] = *p ? p : NULL;
			p += strlen(p) + 1;
		}
		vals[n] = vals[n + 1] = vals[n + 2] = NULL;
		if (best[d->rec[i].root] != 0) {
			m = &d->match[best[d->rec[i].root] - 1];
			ref = d->rec[m->a].src ? m->b : m->a;
			snprintf(prob, sizeof(prob), "%.4f", m->prob);
			snprintf(score, sizeof(score), "%.2f", m->weight);
			vals[n] = rec_id(d, ref, id);
			vals[n + 1] = prob;
			vals[n + 2] = score;
			d->st.linked++;
		}
		if (crm_out_row(o, vals, err) < 0)
			goto done;
	}
	rc = 0;
done:
	free(names);
	free(vals);
	free(best);
	return rc;
}
