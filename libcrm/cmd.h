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

/* crm_cli_commit() with counts_json, or die; the database stays open. */
void crm_cmd_commit_json(struct crm_cli *c, struct crm_db *db, int dry,
    const char *counts_json);

/* A write that failed: roll back, die with err. */
void crm_cmd_fail(struct crm_db *db, const struct crm_error *err)
	__attribute__((noreturn));

/*
 * The options a command parses the same way as others: a table of them,
 * each the value getopt_long returns for it, what its argument is and
 * where it goes, ended by CRM_CMD_OPT_END.  Build entries with the macros
 * below (they check the pointer's type).  A command's option loop is then
 *
 *	while ((ch = getopt_long(...)) != -1) {
 *		if (crm_cmd_opt(&cli, table, ch, optarg))
 *			continue;
 *		switch (ch) {
 *		... the options that are the command's own ...
 *		default:
 *			crm_cli_usage(&cli, CRM_EUSAGE);
 *		}
 *	}
 */
enum crm_cmd_arg {
	CRM_CMD_ARG_SET,	/* no argument: *flag = val */
	CRM_CMD_ARG_STR,	/* *str = the argument, as given */
	CRM_CMD_ARG_TIME,	/* *num = a date or date-time (crm_cli_time) */
	CRM_CMD_ARG_DAYS,	/* *num = days above 0: 30d, 12w, 6m, 1y */
	CRM_CMD_ARG_DURATION,	/* *num = seconds (crm_cmd_duration) */
	CRM_CMD_ARG_NUM,	/* *num = a whole number in [min, max] */
	CRM_CMD_ARG_FRACTION	/* *dbl = a number above 0 and below 1 */
};

struct crm_cmd_opt {
	int ch;
	enum crm_cmd_arg arg;
	const char *name;	/* "--since", for the messages */
	int *flag;		/* SET */
	const char **str;	/* STR */
	int64_t *num;		/* TIME, DAYS, DURATION, NUM */
	double *dbl;		/* FRACTION */
	int64_t min, max;	/* NUM: the range; SET: min is the value */
	const char *noun;	/* FRACTION: "not a NOUN between 0 and 1" */
};

#define CRM_CMD_FLAG(ch, p) \
	{ ch, CRM_CMD_ARG_SET, NULL, p, NULL, NULL, NULL, 1, 0, NULL }
#define CRM_CMD_SET(ch, p, v) \
	{ ch, CRM_CMD_ARG_SET, NULL, p, NULL, NULL, NULL, v, 0, NULL }
#define CRM_CMD_STR(ch, p) \
	{ ch, CRM_CMD_ARG_STR, NULL, NULL, p, NULL, NULL, 0, 0, NULL }
#define CRM_CMD_TIME(ch, name, p) \
	{ ch, CRM_CMD_ARG_TIME, name, NULL, NULL, p, NULL, 0, 0, NULL }
#define CRM_CMD_DAYS(ch, name, p) \
	{ ch, CRM_CMD_ARG_DAYS, name, NULL, NULL, p, NULL, 0, 0, NULL }
#define CRM_CMD_DURATION(ch, name, p) \
	{ ch, CRM_CMD_ARG_DURATION, name, NULL, NULL, p, NULL, 0, 0, NULL }
#define CRM_CMD_NUM(ch, name, p, min, max) \
	{ ch, CRM_CMD_ARG_NUM, name, NULL, NULL, p, NULL, min, max, NULL }
#define CRM_CMD_FRACTION(ch, name, p, noun) \
	{ ch, CRM_CMD_ARG_FRACTION, name, NULL, NULL, NULL, p, 0, 0, noun }
#define CRM_CMD_OPT_END \
	{ 0, CRM_CMD_ARG_SET, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL }

/*
 * --since and --until, as crm-log show and crm-deal stats read them:
 * their option values for the long options table, and the table entries
 * that put them in since and until (int64_t *).
 */
#define CRM_CMD_OPT_SINCE 0x2f00
#define CRM_CMD_OPT_UNTIL 0x2f01
#define CRM_CMD_SINCE_LONGOPTS \
	{ "since", required_argument, NULL, CRM_CMD_OPT_SINCE }, \
	{ "until", required_argument, NULL, CRM_CMD_OPT_UNTIL }
#define CRM_CMD_SINCE_UNTIL(since, until) \
	CRM_CMD_TIME(CRM_CMD_OPT_SINCE, "--since", since), \
	CRM_CMD_TIME(CRM_CMD_OPT_UNTIL, "--until", until)

/*
 * Handle option ch (argument arg) from table t, else as a common option
 * (crm_cli_opt()).  Returns 1 when it was one of them (the value stored;
 * a bad value dies with a usage error naming the option, exit 2), 0 when
 * the command must handle it.
 */
int crm_cmd_opt(struct crm_cli *c, const struct crm_cmd_opt *t, int ch,
    const char *arg);

/*
 * crm_cmd_check() (cli.h) of the options crm_cmd_opt() was given: refuse
 * one that cmd does not take.
 */
void crm_cmd_check_seen(const struct crm_cmd *cmd,
    const struct option *longopts);

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

/*
 * Lines for standard error (each ending in '\n', as the *-cmd.h modules
 * write them): each printed as "prog: line"; nothing when lines is NULL.
 */
void crm_cmd_say(const char *lines);

/*
 * Callbacks for library functions that report as they go: progress with
 * arg the struct crm_cli (crm_progress()), and a line of a summary
 * ("prog: line" on standard error; arg unused).
 */
void crm_cmd_progress(void *cli, int64_t n, const char *what);
void crm_cmd_note(void *arg, const char *line);

/* A duration (crm_bizcal_duration) for option name, or die. */
int64_t crm_cmd_duration(const char *name, const char *arg);

/* $CRM_REGION, or NULL when it is unset or empty. */
const char *crm_cmd_region(void);

#endif
