/*
 * cmd.c - the scaffolding commands share: batch imports and reports.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bizcal.h"
#include "cli.h"
#include "cmd.h"
#include "norm.h"
#include "profile.h"

char *
crm_count_json(const struct crm_count *n, char *buf, size_t size)
{
	size_t len = 0;
	int k = 0;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	for (; n->key != NULL || n->sep != NULL; n++) {
		if (n->key == NULL)
			continue;
		if (len < size)
			len += (size_t)snprintf(buf + len, size - len,
			    "%s\"%s\":%lld", k++ ? "," : "{", n->key,
			    (long long)n->n);
	}
	if (len < size)
		snprintf(buf + len, size - len, "%s", k ? "}" : "{}");
	return buf;
}

void
crm_count_line(const struct crm_cli *c, const struct crm_count *n, int dry)
{
	int k = 0;

	fprintf(stderr, "%s: ", c->prog);
	for (; n->key != NULL || n->sep != NULL; n++) {
		if (n->sep == NULL || (n->nonzero && n->n == 0))
			continue;
		fprintf(stderr, "%s%s%lld%s", k++ ? n->sep : "", n->pre,
		    (long long)n->n, n->n == 1 ? n->one : n->many);
	}
	fprintf(stderr, "%s\n", dry ? " (dry run: nothing written)" : "");
}

struct crm_db *
crm_cmd_import_open(struct crm_cli *c, struct crm_cmd_import *im, int argc,
    char **argv)
{
	struct crm_error err;

	if (im->batch.io != NULL && crm_import_check(im->batch.io, &err) < 0)
		crm_die(&err);
	crm_cli_output(c, "--rejects", im->rejects);
	crm_batch_check_inputs(argc, argv);
	if (im->bulk) {
		crm_batch_bulk(argc, argv);
		im->db = crm_cli_db_dry(c, CRM_DB_CREATE, im->dry);
	} else
		im->db = crm_cli_db(c, CRM_DB_CREATE);
	return im->db;
}

void
crm_cmd_import_run(struct crm_cli *c, struct crm_cmd_import *im, int argc,
    char **argv)
{
	struct crm_error err;
	int i;

	if ((im->rejects != NULL && (im->rj = crm_rejects_new(im->rejects,
	    c->excel_safe, &err)) == NULL) || crm_db_begin(im->db, &err) < 0)
		crm_die(&err);
	for (i = 0; i < (argc ? argc : 1); i++)
		if (crm_batch_file(c, &im->batch, argc ? argv[i] : "-", im->rj,
		    &err) < 0)
			crm_batch_die(im->db, im->rj, &err);
}

int
crm_cmd_import_end(struct crm_cli *c, struct crm_cmd_import *im,
    const struct crm_count *counts)
{
	char json[1024];
	int status;

	crm_batch_end(c, im->db, im->rj, im->dry,
	    crm_count_json(counts, json, sizeof(json)));
	if (!c->quiet)
		crm_count_line(c, counts, im->dry);
	status = crm_rejects_count(im->rj) > 0 ? CRM_EDATA : 0;
	crm_rejects_free(im->rj);
	im->rj = NULL;
	if (im->done != NULL && im->batch.ctx != NULL)
		im->done(im->batch.ctx);
	crm_db_close(im->db);
	im->db = NULL;
	return status;
}

int
crm_cmd_read(struct crm_cli *c, int (*fn)(struct crm_db *db,
    struct crm_out *o, void *arg, struct crm_error *err), void *arg)
{
	struct crm_error err;
	struct crm_out *o;
	struct crm_db *db;

	db = crm_cli_db(c, 0);
	o = crm_cli_out_auto(c);
	if (fn(db, o, arg, &err) < 0 || crm_out_end(o, &err) < 0)
		crm_die(&err);
	crm_out_free(o);
	crm_db_close(db);
	return 0;
}

void
crm_cmd_commit(struct crm_cli *c, struct crm_db *db, int dry,
    const struct crm_count *counts)
{
	struct crm_error err;
	char json[1024];

	if (crm_cli_commit(c, db, dry, counts == NULL ? NULL :
	    crm_count_json(counts, json, sizeof(json)), &err) < 0)
		crm_die(&err);
	crm_db_close(db);
}

void
crm_cmd_commit_json(struct crm_cli *c, struct crm_db *db, int dry,
    const char *counts_json)
{
	struct crm_error err;

	if (crm_cli_commit(c, db, dry, counts_json, &err) < 0)
		crm_die(&err);
}

void
crm_cmd_fail(struct crm_db *db, const struct crm_error *err)
{
	crm_db_rollback(db);
	crm_die(err);
}

/* The options crm_cmd_opt() was given, for crm_cmd_check_seen(). */
static int seen[64];
static size_t nseen;

int
crm_cmd_opt(struct crm_cli *c, const struct crm_cmd_opt *t, int ch,
    const char *arg)
{
	struct crm_error err;
	char *end;
	double v;

	if (nseen < sizeof(seen) / sizeof(seen[0]))
		seen[nseen++] = ch;
	for (; t->ch != 0; t++) {
		if (t->ch != ch)
			continue;
		switch (t->arg) {
		case CRM_CMD_ARG_SET:
			*t->flag = (int)t->min;
			break;
		case CRM_CMD_ARG_STR:
			*t->str = arg;
			break;
		case CRM_CMD_ARG_TIME:
			*t->num = crm_cli_time(t->name, arg);
			break;
		case CRM_CMD_ARG_DAYS:
			if (crm_norm_days(arg, t->num, &err) < 0 || *t->num <= 0)
				crm_die_usage("%s: bad duration '%s' (such as 30d,"
				    " 12w, 6m)", t->name, arg);
			break;
		case CRM_CMD_ARG_DURATION:
			*t->num = crm_cmd_duration(t->name, arg);
			break;
		case CRM_CMD_ARG_NUM:
			*t->num = crm_cli_num(t->name, arg, t->min, t->max);
			break;
		case CRM_CMD_ARG_FRACTION:
			errno = 0;
			v = strtod(arg, &end);
			if (errno || end == arg || *end != '\0' ||
			    !(v > 0.0 && v < 1.0))
				crm_die_usage("%s: '%s' is not a %s between 0 and 1",
				    t->name, arg, t->noun);
			*t->dbl = v;
			break;
		}
		return 1;
	}
	return crm_cli_opt(c, ch, arg);
}

void
crm_cmd_check_seen(const struct crm_cmd *cmd, const struct option *longopts)
{
	crm_cmd_check(cmd, seen, nseen, longopts);
}

int
crm_cmd_str(const struct crm_cmd_str *t, int ch, const char *arg)
{
	for (; t->p != NULL; t++)
		if (t->ch == ch) {
			*t->p = arg;
			return 1;
		}
	return 0;
}

void
crm_cmd_say(const char *lines)
{
	const char *nl;

	for (; lines != NULL && (nl = strchr(lines, '\n')) != NULL;
	    lines = nl + 1)
		crm_warn("%.*s", (int)(nl - lines), lines);
}

void
crm_cmd_progress(void *cli, int64_t n, const char *what)
{
	crm_progress(cli, n, what);
}

void
crm_cmd_note(void *arg, const char *line)
{
	(void)arg;
	crm_warn("%s", line);
}

int64_t
crm_cmd_duration(const char *name, const char *arg)
{
	struct crm_error err;
	int64_t d;

	if (crm_bizcal_duration(arg, &d, &err) < 0) {
		crm_error_prefix(&err, "%s", name);
		crm_die(&err);
	}
	return d;
}

const char *
crm_cmd_region(void)
{
	const char *r = getenv("CRM_REGION");

	return r != NULL && *r != '\0' ? r : NULL;
}
