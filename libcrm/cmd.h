/*
 * cmd.h - the scaffolding that commands would otherwise each write again:
 * a batch import from the check of its input files to its summary line,
 * and a report that opens the database, makes a writer on standard
 * output and calls one library function.
 *
 * Built on cli.h (crm_batch, crm_rejects, crm_cli_commit): like cli.c it
 * is the command runtime, used only from cmd/, and it prints and exits.
 *
 * An import with it (crm-ticket's, in full):
 *
 *	struct crm_cmd_import im = CRM_CMD_IMPORT_INIT;
 *
 *	im.batch.header = header; im.batch.row = row; ...
 *	im.rejects = rejects; im.dry = dry;
 *	db = crm_cmd_import_open(&cli, &im, argc, argv);
 *	if ((t = crm_ticketer_new(db, region, &err)) == NULL)
 *		crm_die(&err);
 *	im.batch.ctx = t;
 *	crm_cmd_import_run(&cli, &im, argc, argv);
 *	s = crm_ticketer_stats(t);
 *	{ struct crm_count n[] = { CRM_COUNT("read", s->read), ...,
 *	    CRM_COUNT_END }; status = crm_cmd_import_end(&cli, &im, n); }
 */
#ifndef CRM_CMD_H
#define CRM_CMD_H

#include <stdint.h>

#include "cli.h"
#include "db.h"

/*
 * One figure of a run, for the audit's counts (key) and the summary line
 * on standard error (sep, words).  A list of them ends with
 * CRM_COUNT_END; both the counts and the line follow the list's order, so
 * a figure that stands at another place in each is listed twice, once
 * with key NULL and once with sep NULL.
 */
struct crm_count {
	const char *key;	/* its name in the audit's counts; NULL: none */
	int64_t n;
	/* In the line: sep (", " or "; ", none before the first), pre, the
	 * number, then one or many as n is 1 or not.  sep NULL: not in the
	 * line. */
	const char *sep;
	const char *pre;
	const char *one, *many;
	int nonzero;		/* in the line only when n is not 0 */
};

/* "N key", in the audit as key: the common case ("3 read"). */
#define CRM_COUNT(key, n) { key, n, ", ", "", " " key, " " key, 0 }
/* In the audit only. */
#define CRM_COUNT_AUDIT(key, n) { key, n, NULL, NULL, NULL, NULL, 0 }
#define CRM_COUNT_END { NULL, 0, NULL, NULL, NULL, NULL, 0 }

/*
 * The counts as a JSON object ({"read":3,...}) into buf; keys are the
 * program's own words, written as they are.  Returns buf.
 */
char *crm_count_json(const struct crm_count *n, char *buf, size_t size);

/*
 * The summary line: "prog: 3 read, 1 inserted; 2 events" and " (dry run:
 * nothing written)" when dry, on standard error.
 */
void crm_count_line(const struct crm_cli *c, const struct crm_count *n,
    int dry);

/* A batch import: what the command fills in, then the run's state. */
struct crm_cmd_import {
	struct crm_batch batch;	/* all but ctx before _open, ctx after */
	/* Frees batch.ctx at the end (before the database closes). */
	void (*done)(void *ctx);
	const char *rejects;	/* --rejects FILE, or NULL */
	int dry;		/* -n: roll back */
	/* Inputs that may be big: crm_batch_bulk(), and with dry a scratch
	 * database when there is none yet (crm_cli_db_dry()). */
	int bulk;
	struct crm_db *db;	/* set by crm_cmd_import_open */
	struct crm_rejects *rj;	/* set by crm_cmd_import_run */
};

#define CRM_CMD_IMPORT_INIT { { NULL, NULL, NULL, NULL, NULL, NULL, 0 }, \
    NULL, NULL, 0, 0, NULL, NULL }

/*
 * The adapters a batch needs from an importer whose functions follow one
 * naming, PFX_header(t, r, err), PFX_row(t, r, err), PFX_stats(t)->read
 * and PFX_free(t): CRM_CMD_IMPORTER(PFX) defines them (static, named
 * PFX_b_*) and PFX_b_set(im), which puts them in a struct crm_cmd_import.
 * CRM_CMD_IMPORTER_SOURCE(PFX) does the same for an importer that also
 * notes each file's name (PFX_source(t, name), before the header) and
 * takes the phone region a file's profile gives (PFX_region(t, region)).
 */
#define CRM_CMD_IMPORTER_(pfx, source) \
static int pfx##_b_header(void *ctx, struct crm_csv *r, \
    struct crm_error *err) \
{ \
	source; \
	return pfx##_header(ctx, r, err); \
} \
static int pfx##_b_row(void *ctx, struct crm_csv *r, struct crm_error *err) \
{ \
	return pfx##_row(ctx, r, err); \
} \
static int64_t pfx##_b_nread(void *ctx) \
{ \
	return pfx##_stats(ctx)->read; \
} \
static void pfx##_b_free(void *ctx) \
{ \
	pfx##_free(ctx); \
}
#define CRM_CMD_IMPORTER(pfx) \
CRM_CMD_IMPORTER_(pfx, (void)0) \
static void pfx##_b_set(struct crm_cmd_import *im) \
{ \
	im->batch.header = pfx##_b_header; \
	im->batch.row = pfx##_b_row; \
	im->batch.nread = pfx##_b_nread; \
	im->done = pfx##_b_free; \
}
#define CRM_CMD_IMPORTER_SOURCE(pfx) \
CRM_CMD_IMPORTER_(pfx, pfx##_source(ctx, crm_csv_name(r))) \
static void pfx##_b_region(void *ctx, const char *region) \
{ \
	pfx##_region(ctx, region); \
} \
static void pfx##_b_set(struct crm_cmd_import *im) \
{ \
	im->batch.header = pfx##_b_header; \
	im->batch.row = pfx##_b_row; \
	im->batch.nread = pfx##_b_nread; \
	im->batch.region = pfx##_b_region; \
	im->done = pfx##_b_free; \
}

/*
 * Before the work: check the import options (batch.io) and the input
 * files (argc of them in argv, none: standard input), refuse a rejects
 * file that is the database, open or create the database.  Dies on
 * failure.  Returns im->db.
 */
struct crm_db *crm_cmd_import_open(struct crm_cli *c,
    struct crm_cmd_import *im, int argc, char **argv);

/*
 * The work: open the rejects file, begin the transaction, read every file
 * through im->batch.  On failure rolls back, throws the rejects away and
 * dies.
 */
void crm_cmd_import_run(struct crm_cli *c, struct crm_cmd_import *im,
    int argc, char **argv);

/*
 * The end: audit with the counts and commit (or roll back, dry), put the
 * rejects file in place, the summary line unless -q; then free the
 * rejects, im->done(batch.ctx), close the database.  Returns the exit
 * status: CRM_EDATA when records were rejected, else 0.  Dies on failure.
 */
int crm_cmd_import_end(struct crm_cli *c, struct crm_cmd_import *im,
    const struct crm_count *counts);

/*
 * A report: open the database (it must exist), a writer on standard
 * output (aligned on a terminal, crm_cli_out_auto()), fn with both, end
 * the output, close.  Dies with fn's error.  Returns 0.
 */
int crm_cmd_read(struct crm_cli *c, int (*fn)(struct crm_db *db,
    struct crm_out *o, void *arg, struct crm_error *err), void *arg);

/*
 * A write's end: crm_cli_commit() with the counts (NULL: none), then
 * close the database; on failure (rolled back) die.
 */
void crm_cmd_commit(struct crm_cli *c, struct crm_db *db, int dry,
    const struct crm_count *counts);

/* A write that failed: roll back, die with err. */
void crm_cmd_fail(struct crm_db *db, const struct crm_error *err)
	__attribute__((noreturn));

/*
 * Options that only keep their argument: a table of option values and
 * where each goes, ended by { 0, NULL }.  1 when ch is one of them (*p
 * set to arg), else 0.
 */
struct crm_cmd_str {
	int ch;
	const char **p;
};
int crm_cmd_str(const struct crm_cmd_str *t, int ch, const char *arg);

/* A duration (crm_bizcal_duration) for option name, or die. */
int64_t crm_cmd_duration(const char *name, const char *arg);

/* $CRM_REGION, or NULL when it is unset or empty. */
const char *crm_cmd_region(void);

#endif
