/*
 * deal-stage.c - pipelines and their stages, and one deal's history
 * (crm-deal stages, crm-deal show).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deal-int.h"
#include "norm.h"

const char *const deal_outcomes[] = { "open", "won", "lost" };



static char *
dupstr(const char *s, struct crm_error *err)
{
	char *p = strdup(s != NULL ? s : "");

	if (p == NULL)
		crm_error_set(err, CRM_EFAIL, "out of memory");
	return p;
}

void
deal_stages_release(struct deal_stages *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].name);
		free(s->v[i].key);
		free(s->v[i].pipeline_name);
	}
	free(s->v);
	free(s->by_id);
	memset(s, 0, sizeof(*s));
}

int
deal_stages_load(struct crm_db *db, struct deal_stages *s,
    struct crm_error *err)
{
	struct crm_stmt *st;
	struct deal_stage *g, *p;
	size_t a = 0, i;
	int rc;
	char key[256];

	memset(s, 0, sizeof(*s));
	if ((st = crm_db_stmt(db, "SELECT s.id, s.pipeline_id, s.name,"
	    " s.position, s.probability, s.outcome, p.name FROM deal_stages s"
	    " JOIN pipelines p ON p.id = s.pipeline_id"
	    " ORDER BY p.name, s.position", err)) == NULL)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		if (s->n == a) {
			a = a ? 2 * a : 16;
			if ((p = reallocarray(s->v, a, sizeof(*p))) == NULL) {
				crm_error_set(err, CRM_EFAIL, "out of memory");
				goto fail;
			}
			s->v = p;
		}
		g = &s->v[s->n];
		memset(g, 0, sizeof(*g));
		s->n++;
		g->id = crm_db_col_int(st, 0);
		g->pipeline = crm_db_col_int(st, 1);
		g->position = (int)crm_db_col_int(st, 3);
		g->prob = crm_db_col_double(st, 4);
		g->outcome = strcmp(crm_db_col_text(st, 5), "won") == 0 ? OUT_WON :
		    strcmp(crm_db_col_text(st, 5), "lost") == 0 ? OUT_LOST :
		    OUT_OPEN;
		deal_fold(crm_db_col_text(st, 2), strlen(crm_db_col_text(st, 2)),
		    key, sizeof(key));
		if ((g->name = dupstr(crm_db_col_text(st, 2), err)) == NULL ||
		    (g->key = dupstr(key, err)) == NULL ||
		    (g->pipeline_name = dupstr(crm_db_col_text(st, 6),
		    err)) == NULL)
			goto fail;
		if (g->id > s->maxid)
			s->maxid = g->id;
	}
	if (rc < 0)
		goto fail;
	if ((s->by_id = malloc((size_t)(s->maxid + 1) * sizeof(int))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto fail;
	}
	for (i = 0; i <= (size_t)s->maxid; i++)
		s->by_id[i] = -1;
	for (i = 0; i < s->n; i++)
		s->by_id[s->v[i].id] = (int)i;
	return 0;
fail:
	crm_db_reset(st);
	deal_stages_release(s);
	return -1;
}

const struct deal_stage *
deal_stage_by_id(const struct deal_stages *s, int64_t id)
{
	if (id < 0 || id > s->maxid || s->by_id[id] < 0)
		return NULL;
	return &s->v[s->by_id[id]];
}

int64_t
deal_pipeline_id(const struct deal_stages *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcasecmp(s->v[i].pipeline_name, name) == 0)
			return s->v[i].pipeline;
	return 0;
}

const char *
deal_pipeline_name(const struct deal_stages *s, int64_t id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].pipeline == id)
			return s->v[i].pipeline_name;
	return "?";
}

/* The stage of pipeline a name (as a person writes it) means, or NULL. */
const struct deal_stage *
deal_stage_named(const struct deal_stages *s, int64_t pipeline, const char *name,
    size_t len)
{
	char key[256];
	int want = -1;
	size_t i;

	deal_fold(name, len, key, sizeof(key));
	for (i = 0; i < s->n; i++)
		if (s->v[i].pipeline == pipeline &&
		    strcmp(s->v[i].key, key) == 0)
			return &s->v[i];
	/* "Closed Won", "closedwon": the pipeline's won (lost) stage. */
	if (strcmp(key, "closed won") == 0 || strcmp(key, "closedwon") == 0)
		want = OUT_WON;
	else if (strcmp(key, "closed lost") == 0 ||
	    strcmp(key, "closedlost") == 0)
		want = OUT_LOST;
	for (i = 0; want >= 0 && i < s->n; i++)
		if (s->v[i].pipeline == pipeline && s->v[i].outcome == want)
			return &s->v[i];
	return NULL;
}

/* A probability: "0.65", "65%" or "65" (a number above 1 is a percentage). */
int
deal_parse_prob(const char *v, double *p, struct crm_error *err)
{
	char buf[64], q[CRM_QUOTE_MAX];
	size_t len;
	const char *t = crm_trim(v, &len);
	int pct = 0;

	if (len > 0 && t[len - 1] == '%') {
		pct = 1;
		len--;
	}
	if (len == 0 || len >= sizeof(buf))
		goto bad;
	memcpy(buf, t, len);
	buf[len] = '\0';
	if (crm_norm_number(buf, p, NULL) < 0)
		goto bad;
	if (pct || *p > 1)
		*p /= 100;
	if (*p < 0 || *p > 1)
		goto bad;
	return 0;
bad:
	return crm_error_set(err, CRM_EDATA, "invalid probability '%s' (0 to 1,"
	    " or a percentage)", crm_quote(q, v, strlen(v)));
}

/* ------------------------------------------------------------------ */
/* Stages */

enum { S_STAGE, S_PROB, S_OUTCOME, NSCOL };

static const struct crm_csv_col stage_cols[NSCOL] = {
	{ "stage", "name|stage_name|deal_stage" },
	{ "probability", "prob|win_probability|probability_(%)" },
	{ "outcome", "type|kind|closed" },
};

int
crm_deal_stages_define(struct crm_db *db, const char *pipeline,
    struct crm_csv *r, int64_t *n, struct crm_error *err)
{
	struct crm_stmt *st;
	int idx[NSCOL], rc, won = 0, lost = 0;
	int64_t pid, pos = 0;
	char q[CRM_QUOTE_MAX], sname[256];
	const char *v, *name;
	double prob;
	size_t len;
	int outc;

	*n = 0;
	if (crm_csv_header(r, stage_cols, NSCOL, idx, err) < 0)
		return -1;
	if (idx[S_STAGE] < 0 || idx[S_PROB] < 0)
		return crm_error_set(err, CRM_EDATA, "%s: needs the columns"
		    " stage and probability", crm_csv_name(r));
	if ((st = crm_db_stmt(db, "INSERT INTO pipelines (name, created_at)"
	    " VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, pipeline, err) < 0 ||
	    crm_db_bind_int(db, st, 2, crm_now(), err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    (st = crm_db_stmt(db, "SELECT id FROM pipelines WHERE name = ?1",
	    err)) == NULL || crm_db_bind_text(db, st, 1, pipeline, err) < 0 ||
	    crm_db_step(db, st, err) != 1)
		return -1;
	pid = crm_db_col_int(st, 0);
	crm_db_reset(st);
	/* Positions out of the way first, so the file's order can be any. */
	if ((st = crm_db_stmt(db, "UPDATE deal_stages SET position = -position"
	    " WHERE pipeline_id = ?1 AND position > 0", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, pid, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	while ((rc = crm_csv_next(r, err)) == 1) {
		v = crm_csv_field(r, idx[S_STAGE]);
		name = crm_trim(v, &len);
		if (len == 0)
			return crm_error_set(err, CRM_EDATA, "%s:%ld: no stage"
			    " name", crm_csv_name(r), crm_csv_line(r));
		if (deal_parse_prob(crm_csv_field(r, idx[S_PROB]), &prob, err) < 0)
			return crm_error_prefix(err, "%s:%ld", crm_csv_name(r),
			    crm_csv_line(r));
		outc = OUT_OPEN;
		if (idx[S_OUTCOME] >= 0 &&
		    !crm_blank(v = crm_csv_field(r, idx[S_OUTCOME]))) {
			char k[16];

			deal_fold(v, strlen(v), k, sizeof(k));
			if (strcmp(k, "won") == 0)
				outc = OUT_WON;
			else if (strcmp(k, "lost") == 0)
				outc = OUT_LOST;
			else if (strcmp(k, "open") != 0)
				return crm_error_set(err, CRM_EDATA, "%s:%ld:"
				    " invalid outcome '%s' (open, won or lost)",
				    crm_csv_name(r), crm_csv_line(r),
				    crm_quote(q, v, strlen(v)));
		}
		snprintf(sname, sizeof(sname), "%.*s", (int)len, name);
		won += outc == OUT_WON;
		lost += outc == OUT_LOST;
		pos++;
		if ((st = crm_db_stmt(db, "INSERT INTO deal_stages (pipeline_id,"
		    " name, position, probability, outcome) VALUES (?1, ?2, ?3,"
		    " ?4, ?5) ON CONFLICT (pipeline_id, name) DO UPDATE SET"
		    " position = ?3, probability = ?4, outcome = ?5",
		    err)) == NULL ||
		    crm_db_bind_int(db, st, 1, pid, err) < 0 ||
		    crm_db_bind_text(db, st, 2, sname, err) < 0 ||
		    crm_db_bind_int(db, st, 3, pos, err) < 0 ||
		    crm_db_bind_double(db, st, 4, prob, err) < 0 ||
		    crm_db_bind_text(db, st, 5, deal_outcomes[outc], err) < 0 ||
		    crm_db_step(db, st, err) < 0)
			return crm_error_prefix(err, "%s:%ld", crm_csv_name(r),
			    crm_csv_line(r));
		(*n)++;
	}
	if (rc < 0)
		return -1;
	if (won == 0 || lost == 0)
		return crm_error_set(err, CRM_EDATA, "%s: pipeline '%s' needs"
		    " a stage with outcome won and one with outcome lost",
		    crm_csv_name(r), pipeline);
	/* Stages left out of the file go, unless a deal is in them. */
	if ((st = crm_db_stmt(db, "SELECT s.name, d.ref FROM deal_stages s"
	    " JOIN deals d ON d.stage_id = s.id WHERE s.pipeline_id = ?1"
	    " AND s.position <= 0 LIMIT 1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, pid, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 1) {
		crm_error_set(err, CRM_EDATA, "%s: stage '%s' is not in the"
		    " file but deal '%s' is in it", crm_csv_name(r),
		    crm_db_col_text(st, 0), crm_db_col_text(st, 1));
		crm_db_reset(st);
		return -1;
	}
	if ((st = crm_db_stmt(db, "SELECT s.name FROM deal_stages s"
	    " WHERE s.pipeline_id = ?1 AND s.position <= 0 AND EXISTS"
	    " (SELECT 1 FROM deal_history h WHERE h.stage_from = s.id"
	    " OR h.stage_to = s.id) LIMIT 1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, pid, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 1) {
		crm_error_set(err, CRM_EDATA, "%s: stage '%s' is not in the"
		    " file but deals have been in it", crm_csv_name(r),
		    crm_db_col_text(st, 0));
		crm_db_reset(st);
		return -1;
	}
	if ((st = crm_db_stmt(db, "DELETE FROM deal_stages WHERE"
	    " pipeline_id = ?1 AND position <= 0", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, pid, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	/* Positions may have moved: what each deal entered, again. */
	if ((st = crm_db_stmt(db, deal_entered_sql, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, pid, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	return 0;
}

int
crm_deal_stages_write(struct crm_db *db, const char *pipeline,
    struct crm_out *o, struct crm_error *err)
{
	static const char *const names[] = { "pipeline", "position", "stage",
	    "probability", "outcome" };
	static const enum crm_coltype types[] = { CRM_COL_TEXT, CRM_COL_NUM,
	    CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_TEXT };
	struct deal_stages s;
	const char *vals[5];
	char pos[24], prob[32];
	size_t i;
	int rc = -1;

	if (deal_stages_load(db, &s, err) < 0)
		return -1;
	if (pipeline != NULL && deal_pipeline_id(&s, pipeline) == 0) {
		crm_error_set(err, CRM_EUSAGE, "no pipeline '%s'", pipeline);
		goto done;
	}
	if (crm_out_header(o, names, types, 5, err) < 0)
		goto done;
	for (i = 0; i < s.n; i++) {
		if (pipeline != NULL &&
		    strcasecmp(s.v[i].pipeline_name, pipeline) != 0)
			continue;
		snprintf(pos, sizeof(pos), "%d", s.v[i].position);
		snprintf(prob, sizeof(prob), "%.4g", s.v[i].prob);
		vals[0] = s.v[i].pipeline_name;
		vals[1] = pos;
		vals[2] = s.v[i].name;
		vals[3] = prob;
		vals[4] = deal_outcomes[s.v[i].outcome];
		if (crm_out_row(o, vals, err) < 0)
			goto done;
	}
	rc = 0;
done:
	deal_stages_release(&s);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Show */

int
crm_deal_show(struct crm_db *db, const char *ref, struct crm_out *o,
    struct crm_error *err)
{
	static const char *const names[] = { "at", "event", "changed_by",
	    "stage", "amount", "currency", "close_date", "detail" };
	static const enum crm_coltype types[] = { CRM_COL_TEXT, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_TEXT };
	struct crm_stmt *st;
	const char *vals[8];
	char at[21], amount[40], close[11], detail[512];
	int rc, first = 1;

	if ((st = crm_db_stmt(db, "SELECT 1 FROM deals WHERE ref = ?1",
	    err)) == NULL || crm_db_bind_text(db, st, 1, ref, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	crm_db_reset(st);
	if (rc == 0)
		return crm_error_set(err, CRM_EDATA, "no deal '%s'", ref);
	if ((st = crm_db_stmt(db, "SELECT h.at, h.changed_by, s.name,"
	    " h.amount_to, d.currency, h.close_to, fs.name, h.amount_from,"
	    " h.close_from, h.stage_from FROM deals d"
	    " JOIN deal_history h ON h.deal_id = d.id"
	    " JOIN deal_stages s ON s.id = h.stage_to"
	    " LEFT JOIN deal_stages fs ON fs.id = h.stage_from"
	    " WHERE d.ref = ?1 ORDER BY h.at, h.id", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, ref, err) < 0 ||
	    crm_out_header(o, names, types, 8, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		crm_format_time(crm_db_col_int(st, 0), at);
		vals[0] = at;
		detail[0] = '\0';
		if (first)
			vals[1] = "created";
		else if (!crm_db_col_isnull(st, 9) &&
		    crm_db_col_int(st, 9) != 0 && crm_db_col_text(st, 6) != NULL &&
		    strcmp(crm_db_col_text(st, 6), crm_db_col_text(st, 2)) != 0) {
			vals[1] = "stage";
			snprintf(detail, sizeof(detail), "from %s",
			    crm_db_col_text(st, 6));
		} else if (crm_db_col_double(st, 7) != crm_db_col_double(st, 3) ||
		    crm_db_col_isnull(st, 7) != crm_db_col_isnull(st, 3)) {
			vals[1] = "amount";
			if (!crm_db_col_isnull(st, 7))
				snprintf(detail, sizeof(detail), "from %.2f",
				    crm_db_col_double(st, 7));
		} else {
			vals[1] = "close_date";
			if (!crm_db_col_isnull(st, 8)) {
				crm_format_date(crm_db_col_int(st, 8), close);
				snprintf(detail, sizeof(detail), "from %s",
				    close);
			}
		}
		first = 0;
		vals[2] = crm_db_col_text(st, 1);
		vals[3] = crm_db_col_text(st, 2);
		vals[4] = NULL;
		if (!crm_db_col_isnull(st, 3)) {
			snprintf(amount, sizeof(amount), "%.2f",
			    crm_db_col_double(st, 3));
			vals[4] = amount;
		}
		vals[5] = crm_db_col_text(st, 4);
		vals[6] = NULL;
		if (!crm_db_col_isnull(st, 5)) {
			crm_format_date(crm_db_col_int(st, 5), close);
			vals[6] = close;
		}
		vals[7] = detail[0] ? detail : NULL;
		if (crm_out_row(o, vals, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	if (rc < 0)
		return -1;
	if (first)
		return crm_error_set(err, CRM_EDATA, "no deal '%s'", ref);
	return 0;
}
