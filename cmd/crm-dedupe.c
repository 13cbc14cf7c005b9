/*
 * crm-dedupe - find duplicate contacts, link files, households, merge.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "dedupe-cmd.h"
#include "household.h"

static const char usage[] =
    "crm-dedupe [find] [-cpq] [-d db] [-f format] [-s date] [-T threshold]\n"
    "[--excel-safe] [--model] [--no-tf]\n"
    "crm-dedupe [find] -i file [-cpqt] [-f format] [-I column]\n"
    "[-m field=column[+column...][,...]] [-T threshold] [--excel-safe]\n"
    "[--model] [--no-tf]\n"
    "crm-dedupe link [-qt] [-d db] [-f format] [-I column] [-m map]\n"
    "[-T threshold] file [reference]\n"
    "crm-dedupe households [-aq] [-d db] [-f format] [-k key[,key...]]\n"
    "crm-dedupe merge [-nqt] [-d db] [-f format] [-P pattern]\n"
    "[-r recent | complete | source] [file ...]\n"
    "crm-dedupe unmerge [-nq] [-d db] [-f format] key ...";

enum { OPT_MODEL = 0x2000, OPT_NO_TF };

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	{ "all", no_argument, NULL, 'a' },
	{ "clusters", no_argument, NULL, 'c' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "id", required_argument, NULL, 'I' },
	{ "input", required_argument, NULL, 'i' },
	{ "key", required_argument, NULL, 'k' },
	{ "map", required_argument, NULL, 'm' },
	{ "model", no_argument, NULL, OPT_MODEL },
	{ "no-tf", no_argument, NULL, OPT_NO_TF },
	{ "pairs", no_argument, NULL, 'p' },
	{ "prefer", required_argument, NULL, 'P' },
	{ "rule", required_argument, NULL, 'r' },
	{ "since", required_argument, NULL, 's' },
	{ "threshold", required_argument, NULL, 'T' },
	{ NULL, 0, NULL, 0 }
};

/* Everything the options set, for whichever subcommand runs. */
struct args {
	struct crm_cli cli;
	struct crm_dedupe_opts opts;
	struct crm_merge_opts mo;
	const char *input, *map;
	char *idcol;
	unsigned hkey;
	int what, dry, all;
	struct crm_buf summary;	/* the lines for stderr, unless -q */
};

/*
 * A file's records into d, the id from column idcol; the file's format
 * becomes the output's.
 */
static void
load_file(struct args *a, struct crm_dedupe *d, const char *path,
    const char *idcol)
{
	struct crm_error err;
	int tsv;

	if (crm_dedupe_load_file(d, path, a->cli.tsv ? CRM_CSV_TSV : 0, idcol,
	    a->map, &tsv, &err) < 0)
		crm_die(&err);
	if (!a->cli.fmt_set && tsv)
		a->cli.fmt = CRM_FMT_TSV;
}

/*
 * Find (argc 0) or link (the subject file, then the reference file or the
 * database): run the model, write what was asked.
 */
static int
find(struct args *a, int argc, char **argv)
{
	struct crm_dedupe *d;
	struct crm_error err;
	struct crm_db *db = NULL;
	struct crm_out *o;
	char *refid = NULL;
	int link = a->what == 'L';

	crm_error_clear(&err);
	if ((link && (argc < 1 || argc > 2)) || (!link && argc != 0))
		crm_cli_usage(&a->cli, CRM_EUSAGE);
	/* -I FILE_ID,REFERENCE_ID */
	if (link && a->idcol != NULL && (refid = strchr(a->idcol, ',')) != NULL)
		*refid = '\0';
	a->opts.progress = crm_cmd_progress;
	a->opts.progress_arg = &a->cli;
	if ((d = crm_dedupe_new(&a->opts, &err)) == NULL)
		crm_die(&err);
	if (link && argc == 2)
		load_file(a, d, argv[1], refid != NULL ? refid + 1 : a->idcol);
	else if (link || a->input == NULL) {
		db = crm_cli_db(&a->cli, 0);
		if (crm_dedupe_load_db(d, db, &err) < 0)
			crm_die(&err);
	}
	if (link) {
		crm_dedupe_link_subject(d);
		load_file(a, d, argv[0], a->idcol);
	} else if (a->input != NULL)
		load_file(a, d, a->input, a->idcol);
	if (crm_dedupe_run(d, &err) < 0)
		crm_die(&err);
	crm_progress_end(&a->cli);
	o = crm_cli_out(&a->cli);
	if (crm_dedupe_write(d, a->what, o, &err) < 0 ||
	    crm_out_end(o, &err) < 0 || crm_dedupe_notes(crm_dedupe_stats(d),
	    link, &a->summary, &err) < 0)
		crm_die(&err);
	crm_out_free(o);
	crm_dedupe_free(d);
	crm_db_close(db);
	return 0;
}

static int
households(struct args *a, int argc, char **argv)
{
	struct crm_error err;
	struct crm_db *db;
	struct crm_out *o;
	int64_t nh, nm;

	crm_error_clear(&err);
	if (argc != 0)
		crm_cli_usage(&a->cli, CRM_EUSAGE);
	db = crm_cli_db(&a->cli, 0);
	o = crm_cli_out(&a->cli);
	if (crm_household_write(db, a->hkey, a->all, o, &nh, &nm, &err) < 0 ||
	    crm_out_end(o, &err) < 0 || crm_household_notes(nh, nm,
	    &a->summary, &err) < 0)
		crm_die(&err);
	crm_out_free(o);
	crm_db_close(db);
	return 0;
}

/* Merge or unmerge, in one transaction, audited; rolled back if dry. */
static int
merge(struct args *a, int argc, char **argv)
{
	struct crm_buf json = CRM_BUF_INIT(4096);
	struct crm_merge_stats st;
	struct crm_error err;
	struct crm_out *o;
	struct crm_db *db;
	int i, undo = a->what == 'U';

	crm_error_clear(&err);
	memset(&st, 0, sizeof(st));
	if (a->mo.rule == CRM_MERGE_SOURCE && a->mo.prefer == NULL)
		crm_die_usage("--rule source needs --prefer PATTERN");
	if (undo && argc == 0)
		crm_cli_usage(&a->cli, CRM_EUSAGE);
	if (!undo)
		crm_batch_check_inputs(argc, argv);
	db = crm_cli_db(&a->cli, 0);
	o = crm_cli_out(&a->cli);
	if (crm_db_begin(db, &err) < 0)
		crm_die(&err);
	if (undo ? crm_merge_undo(db, argv, argc, o, &st, &err) < 0 :
	    crm_merge_header(o, &err) < 0)
		crm_cmd_fail(db, &err);
	for (i = 0; !undo && i < (argc ? argc : 1); i++)
		if (crm_merge_file(db, argc ? argv[i] : "-", a->cli.tsv ?
		    CRM_CSV_TSV : 0, &a->mo, o, &st, &err) < 0)
			crm_cmd_fail(db, &err);
	if (crm_out_end(o, &err) < 0 || crm_merge_notes(&st, undo, a->dry,
	    &json, &a->summary, &err) < 0 || crm_cli_commit(&a->cli, db,
	    a->dry, crm_buf_str(&json), &err) < 0)
		crm_cmd_fail(db, &err);
	crm_buf_release(&json);
	crm_out_free(o);
	crm_db_close(db);
	return 0;
}

/* The subcommands: name, what it sets in args->what, the function. */
static const struct subcmd {
	const char *name;
	int what;
	int (*fn)(struct args *, int, char **);
} subcmds[] = {
	{ "find", 0, find },
	{ "households", 'H', households },
	{ "link", 'L', find },
	{ "merge", 0, merge },
	{ "unmerge", 'U', merge },
};

static void
option(struct args *a, int ch)
{
	const struct crm_cmd_opt t[] = {
		CRM_CMD_FLAG('a', &a->all), CRM_CMD_SET('c', &a->what, 'c'),
		CRM_CMD_STR('i', &a->input), CRM_CMD_STR('m', &a->map),
		CRM_CMD_FLAG('n', &a->dry), CRM_CMD_SET('p', &a->what, 'p'),
		CRM_CMD_TIME('s', "--since", &a->opts.since),
		CRM_CMD_FRACTION('T', "--threshold", &a->opts.threshold,
		    "probability"),
		CRM_CMD_SET(OPT_MODEL, &a->what, 'M'),
		CRM_CMD_FLAG(OPT_NO_TF, &a->opts.no_tf), CRM_CMD_OPT_END
	};
	struct crm_error err;

	if (crm_cmd_opt(&a->cli, t, ch, optarg))
		return;
	switch (ch) {
	case 'I': a->idcol = optarg; break;
	case 'k':
		if (crm_household_key_parse(optarg, &a->hkey, &err) < 0)
			crm_die(&err);
		break;
	case 'P':
		a->mo.prefer = optarg;
		a->mo.rule = CRM_MERGE_SOURCE;
		break;
	case 'r':
		if (crm_merge_rule_parse(optarg, &a->mo.rule, &err) < 0)
			crm_die(&err);
		break;
	default:
		crm_cli_usage(&a->cli, CRM_EUSAGE);
	}
}

int
main(int argc, char **argv)
{
	static struct args a;
	const struct subcmd *c = &subcmds[0];
	size_t i;
	int ch;

	crm_cli_init(&a.cli, "crm-dedupe", usage, argc, argv);
	a.summary = (struct crm_buf)CRM_BUF_INIT(4096);
	a.opts.threshold = CRM_DEDUPE_THRESHOLD;
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS
	    "acI:i:k:m:nP:pr:s:T:", longopts, NULL)) != -1)
		option(&a, ch);
	argc -= optind;
	argv += optind;
	for (i = 0; argc > 0 && i < sizeof(subcmds) / sizeof(subcmds[0]); i++)
		if (strcmp(argv[0], subcmds[i].name) == 0) {
			c = &subcmds[i];
			argc--;
			argv++;
			break;
		}
	crm_cli_subcommand(c->name);
	if (c->what != 0)
		a.what = c->what;
	if (c->fn == find && c->what == 0) {
		if (a.input == NULL && (a.idcol != NULL || a.map != NULL))
			crm_die_usage("--id and --map need --input FILE");
		if (a.input != NULL && a.opts.since != 0)
			crm_die_usage("--since works on the database, not"
			    " --input");
		if (a.what == 0)
			a.what = a.input != NULL ? 'f' : 'p';
	}
	c->fn(&a, argc, argv);
	if (!a.cli.quiet)
		crm_cmd_say(crm_buf_str(&a.summary));
	crm_buf_release(&a.summary);
	return crm_cli_finish(0);
}
