/*
 * cli.h - what every crm command shares: the common options, opening the
 * database and standard output, messages, progress and exit.
 *
 * This is the one libcrm module that prints and exits: it is the command
 * runtime, used only from cmd/.  Everything below it returns errors.
 *
 * A command lists CRM_CLI_SHORTOPTS and CRM_CLI_LONGOPTS in its own getopt
 * tables and hands every option it does not know to crm_cli_opt():
 *
 *	-d, --db PATH      database (else $CRM_DB, else ./crm.db)
 *	-f, --format FMT   csv, tsv or json output
 *	-t, --tsv          TSV input (and output, unless --format)
 *	    --excel-safe   neutralise formula-like cells in output
 *	-q, --quiet        no summary line
 *	-h, --help         usage on stdout, exit 0
 *	-V, --version      version on stdout, exit 0
 */
#ifndef CRM_CLI_H
#define CRM_CLI_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "csvio.h"
#include "db.h"
#include "error.h"

struct crm_import_opts;

#define CRM_OPT_EXCEL_SAFE 0x1000
#define CRM_CLI_SHORTOPTS "d:f:hqtV"
#define CRM_CLI_LONGOPTS \
	{ "db", required_argument, NULL, 'd' }, \
	{ "format", required_argument, NULL, 'f' }, \
	{ "tsv", no_argument, NULL, 't' }, \
	{ "excel-safe", no_argument, NULL, CRM_OPT_EXCEL_SAFE }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "help", no_argument, NULL, 'h' }, \
	{ "version", no_argument, NULL, 'V' }

struct crm_cli {
	const char *prog;
	const char *usage;	/* the SYNOPSIS lines, without "usage: " */
	const char *db_opt;
	enum crm_fmt fmt;
	int fmt_set;
	int tsv;
	int excel_safe;
	int quiet;
	int tty;		/* stderr is a terminal: progress allowed */
	int argc;		/* the original command line, for the audit */
	char **argv;
};

/*
 * A program of subcommands (sigbak's cmd_entry, git's command table): one
 * entry per subcommand, the table ended by an entry whose name is NULL.
 * The program parses its options once (getopt_long permutes them, so they
 * may come before or after the subcommand), then crm_cmd_find() picks the
 * entry that the first operand names and crm_cmd_check() refuses an
 * option that entry does not take.
 */
struct crm_cmd {
	const char *name;
	/* Run with the operands after the name and the entry's what;
	 * returns the exit status (or exits through crm_die()). */
	int (*fn)(struct crm_cli *c, int what, int argc, char **argv);
	int what;		/* for a function that serves several entries */
	/* Its SYNOPSIS lines without "usage: "; entries that share lines
	 * ("list | show name") point to the same string. */
	const char *usage;
	/* The option values (short letters, or the long-only values) it
	 * takes besides -d -h -q -V, ended by 0; NULL takes every one. */
	const int *opts;
};

/*
 * The program's usage, every entry's lines in table order (each shared
 * string once).  Static storage, built on the first call.
 */
const char *crm_cmd_usage(const struct crm_cmd *table);

/*
 * The entry called name, or the one called dflt when no entry is (NULL
 * dflt: a usage error naming the subcommands, exit 2).  From then on a
 * usage error prints that entry's lines only.
 */
const struct crm_cmd *crm_cmd_find(struct crm_cli *c,
    const struct crm_cmd *table, const char *name, const char *dflt);

/*
 * Refuse an option the entry does not take: seen[] holds the option
 * values getopt_long returned (n of them); longopts names them.  Dies
 * with "NAME: --option does not apply" (exit 2).
 */
void crm_cmd_check(const struct crm_cmd *cmd, const int *seen, size_t n,
    const struct option *longopts);

/*
 * The one of the n names nearest to word, for "did you mean": the only
 * name word begins (two letters or more), else the closest by
 * Damerau-Levenshtein distance when that is at most 2 and shorter than
 * word; NULL when none is near.
 */
const char *crm_cli_nearest(const char *word, const char *const *names,
    size_t n);

/* Set defaults, remember argv for the audit, umask 077. */
void crm_cli_init(struct crm_cli *c, const char *prog, const char *usage,
    int argc, char **argv);

/*
 * Handle a common option: 1 if it was one (may exit for -h, -V or a bad
 * value), 0 if the command must handle it.  '?' from getopt_long prints
 * usage and exits 2.
 */
int crm_cli_opt(struct crm_cli *c, int opt, const char *arg);

/* Usage to stdout with status 0, else to stderr; then exit(status). */
void crm_cli_usage(const struct crm_cli *c, int status)
	__attribute__((noreturn));

/*
 * 1 if prog runs on PostgreSQL; crm_cli_db() refuses a PostgreSQL
 * database to the others, before they read or write anything.
 */
int crm_cli_pg_ported(const char *prog);

/*
 * The subcommand chosen, for crm_cli_pg_ported(), by a program that
 * picks it without crm_cmd_find(); before crm_cli_db().
 */
void crm_cli_subcommand(const char *name);

/* "prog: message" on stderr. */
void crm_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print err and exit with its code (1 if it has none). */
void crm_die(const struct crm_error *err) __attribute__((noreturn));

/* Print a usage error ("prog: ...") and exit 2. */
void crm_die_usage(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

/*
 * Open the database or die.  Standard output redirected to the database
 * (or its -wal or -shm) is a usage error, exit 2.
 */
struct crm_db *crm_cli_db(const struct crm_cli *c, int flags);

/*
 * The same for a run that may be a dry run: with dry set and no database
 * file yet, a scratch database in $TMPDIR (removed at exit) takes its
 * place, so that -n creates nothing.
 */
struct crm_db *crm_cli_db_dry(const struct crm_cli *c, int flags, int dry);

/*
 * Refuse, with exit status 2 and a message naming both files, an output
 * file path (for option what, e.g. "--rejects") that is the database or
 * its -wal, -shm or -journal (see guard.h).  Every program calls it for
 * every file it writes, before it opens that file or the database.
 */
void crm_cli_output(const struct crm_cli *c, const char *what,
    const char *path);

/* A writer on stdout in the chosen format, or die. */
struct crm_out *crm_cli_out(const struct crm_cli *c);

/* The same, but an aligned table when stdout is a terminal and no
 * --format was given (for reports people read: show, stats). */
struct crm_out *crm_cli_out_auto(const struct crm_cli *c);

/*
 * Flush and close stdout; a full disk or closed pipe is reported and
 * turned into exit status 1.  Returns the status to exit with: status, or
 * 1 if the close failed.
 */
int crm_cli_finish(int status);

/*
 * Progress on a terminal: crm_progress() prints "\rprog: N what" at most
 * four times a second, starting one second after crm_cli_init();
 * crm_progress_end() clears the line.  Silent unless stderr is a tty.
 */
void crm_progress(struct crm_cli *c, int64_t n, const char *what);
void crm_progress_end(struct crm_cli *c);

/*
 * The same for an input file whose size is known (a regular file, or
 * standard input redirected from one): "prog: file: 42%, N what, R MB/s",
 * the share of its bytes read so far.  crm_progress_in_init() finds the
 * descriptor the reader opened path on ("-": standard input); call it
 * after opening.  A pipe, or no terminal: as crm_progress().
 */
struct crm_progress_in {
	int fd;
	off_t size, at0;
	const char *name;
	double start;
};

void crm_progress_in_init(struct crm_cli *c, struct crm_progress_in *in,
    const char *path);
void crm_progress_file(struct crm_cli *c, int64_t n, const char *what,
    const struct crm_progress_in *in);

/*
 * A rejects file (--rejects): bad records with a reason column.  Records go
 * to a temporary file beside path, which replaces path only at commit,
 * once the good records are committed; a run that fails leaves nothing
 * half-written, and a clean run removes an old rejects file.  The format
 * follows the input (CSV or TSV); every function accepts NULL (no
 * --rejects) and then does nothing.
 */
struct crm_rejects;

struct crm_rejects *crm_rejects_new(const char *path, int excel_safe,
    struct crm_error *err);
/* Add r's current record; every record must come with the same header. */
int crm_rejects_add(struct crm_rejects *rj, const struct crm_csv *r,
    const char *reason, struct crm_error *err);
/* Flush and close the temporary file (before the database commit). */
int crm_rejects_close(struct crm_rejects *rj, struct crm_error *err);
/* Put the file in place, or remove a stale one (after the commit). */
int crm_rejects_commit(struct crm_rejects *rj, struct crm_error *err);
/* Throw the temporary file away (the run failed). */
void crm_rejects_discard(struct crm_rejects *rj);
void crm_rejects_free(struct crm_rejects *rj);
int64_t crm_rejects_count(const struct crm_rejects *rj);

/*
 * A batch import, as crm-add and crm-log run one: every input file read
 * through the same record handler inside one transaction.
 */
struct crm_batch {
	void *ctx;
	/* Map a file's header; note its name for the records' source. */
	int (*header)(void *ctx, struct crm_csv *r, struct crm_error *err);
	/* Store the current record; CRM_EDATA concerns this record only. */
	int (*row)(void *ctx, struct crm_csv *r, struct crm_error *err);
	/* Records read so far, for the progress line. */
	int64_t (*nread)(void *ctx);
	/* Optional: how input files are read and mapped (profile.h). */
	const struct crm_import_opts *io;
	/* Optional: the phone region a file's profile gives (or NULL). */
	void (*region)(void *ctx, const char *region);
	/* List the columns that become attributes, once per file. */
	int extras_note;
};

/*
 * Import path ("-": standard input) with b: a bad record goes to rj when
 * there is one; without rj it fails the batch with the record's error
 * (file:line), as does any other failure.  Returns 0, or -1 with err set;
 * the caller then rolls the batch back (crm_batch_die()).
 */
int crm_batch_file(struct crm_cli *c, const struct crm_batch *b,
    const char *path, struct crm_rejects *rj, struct crm_error *err);

/* A failed batch: roll back, throw the rejects file away, die with err. */
void crm_batch_die(struct crm_db *db, struct crm_rejects *rj,
    const struct crm_error *err) __attribute__((noreturn));

/*
 * Refuse (die, status 1) a missing or unreadable input file before the
 * database is created or locked.
 */
void crm_batch_check_inputs(int argc, char **argv);

/*
 * crm_db_bulk() when the inputs (none: standard input) are big enough to
 * gain from it: 1 MiB or more of files, or of a pipe whose writers are
 * done, or a pipe still being written (it may carry anything).  A small
 * import then neither pays the page cache block's setup (a tenth of a
 * second) nor holds its 64 MiB.  Call before the database is opened.
 */
void crm_batch_bulk(int argc, char **argv);

/*
 * End the batch: close the rejects file, then roll back (dry) or audit
 * with counts_json and commit, then put the rejects file in place; with
 * -q, still warn when records were rejected.  Dies on failure.
 */
void crm_batch_end(struct crm_cli *c, struct crm_db *db,
    struct crm_rejects *rj, int dry, const char *counts_json);

/*
 * The end of every write run: roll back when dry, else record the run in
 * the audit table (c->argc and c->argv, the command line as given, unless
 * the command put other arguments there; counts_json) and commit.  On
 * failure the transaction is rolled back and -1 returned with err set:
 * the command cleans up what it must and dies.
 */
int crm_cli_commit(struct crm_cli *c, struct crm_db *db, int dry,
    const char *counts_json, struct crm_error *err);

/* A date or date-time (crm_norm_datetime) for option name, or die with a
 * usage error. */
int64_t crm_cli_time(const char *name, const char *arg);

/* Parse a whole decimal number in [min, max] for option name, or die. */
int64_t crm_cli_num(const char *name, const char *arg, int64_t min,
    int64_t max);

#endif
