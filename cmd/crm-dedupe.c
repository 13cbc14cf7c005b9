/*
 * crm-dedupe - find duplicate contacts, link files, households, merge.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "num.h"
#include "dedupe.h"
#include "household.h"
#include "merge.h"
#include "norm.h"

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
};

static void
progress(void *arg, int64_t n, const char *what)
{
	crm_progress(arg, n, what);
}

/*
 * A file's records into d, the id from column idcol; the file's format
 * becomes the output's.
 */
static void
load_file(struct args *a, struct crm_dedupe *d, const char *path,
    const char *idcol)
{
	struct crm_error err;
	struct crm_csv *r;

	crm_error_clear(&err);
	if ((r = crm_csv_open(path, a->cli.tsv ? CRM_CSV_TSV : 0,
	    &err)) == NULL || crm_dedupe_load_csv(d, r, idcol, a->map,
	    &err) < 0)
		crm_die(&err);
	if (!a->cli.fmt_set && crm_csv_is_tsv(r))
		a->cli.fmt = CRM_FMT_TSV;
	crm_csv_close(r);
}

/*
 * Find (argc 0) or link (the subject file, then the reference file or the
 * database): run the model, write what was asked.
 */
static int
find(struct args *a, int argc, char **argv)
{
	const struct crm_dedupe_stats *s;
	struct crm_dedupe *d;
	struct crm_error err;
	struct crm_db *db = NULL;
	struct crm_out *o;
	char rep[64] = "", *refid = NULL;
	int rc, link = a->what == 'L';

	crm_error_clear(&err);
	if ((link && (argc < 1 || argc > 2)) || (!link && argc != 0))
		crm_cli_usage(&a->cli, CRM_EUSAGE);
	/* -I FILE_ID,REFERENCE_ID */
	if (link && a->idcol != NULL && (refid = strchr(a->idcol, ',')) != NULL)
		*refid = '\0';
	a->opts.progress = progress;
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
	switch (a->what) {
	case 'L': rc = crm_dedupe_write_links(d, o, &err); break;
	case 'M': rc = crm_dedupe_write_model(d, o, &err); break;
	case 'c': rc = crm_dedupe_write_clusters(d, o, &err); break;
	case 'p': rc = crm_dedupe_write_pairs(d, o, &err); break;
	default: rc = crm_dedupe_write_file(d, o, &err);
	}
	if (rc < 0 || crm_out_end(o, &err) < 0)
		crm_die(&err);
	s = crm_dedupe_stats(d);
	if (s->repeated)
		snprintf(rep, sizeof(rep), " (%lld repeating an id, taken as"
		    " one)", (long long)s->repeated);
	if (!a->cli.quiet && link)
		fprintf(stderr, "crm-dedupe: %lld %s%s, %lld candidate"
		    " %s, %lld linked\n", (long long)s->records,
		    crm_num_word(s->records, "record", "records"), rep,
		    (long long)s->candidates,
		    crm_num_word(s->candidates, "pair", "pairs"),
		    (long long)s->linked);
	else if (!a->cli.quiet)
		fprintf(stderr, "crm-dedupe: %lld %s%s, %lld candidate"
		    " %s, %lld matching, %lld %s of %lld %s\n",
		    (long long)s->records,
		    crm_num_word(s->records, "record", "records"), rep,
		    (long long)s->candidates,
		    crm_num_word(s->candidates, "pair", "pairs"),
		    (long long)s->matches, (long long)s->clusters,
		    crm_num_word(s->clusters, "cluster", "clusters"),
		    (long long)s->in_clusters,
		    crm_num_word(s->in_clusters, "record", "records"));
	crm_out_free(o);
	crm_dedupe_free(d);
	crm_db_close(db);
	return crm_cli_finish(0);
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
	    crm_out_end(o, &err) < 0)
		crm_die(&err);
	if (!a->cli.quiet)
		fprintf(stderr, "crm-dedupe: %lld %s of two or more,"
		    " %lld people in them\n", (long long)nh,
		    crm_num_word(nh, "household", "households"),
		    (long long)nm);
	crm_out_free(o);
	crm_db_close(db);
	return crm_cli_finish(0);
}

/* Merge or unmerge, in one transaction, audited; rolled back if dry. */
static int
merge(struct args *a, int argc, char **argv)
{
	struct crm_merge_stats st;
	struct crm_error err;
	struct crm_csv *r;
	struct crm_out *o;
	struct crm_db *db;
	const char *dry = a->dry ? " (dry run: nothing written)" : "";
	char counts[160];
	int i, rc, undo = a->what == 'U';

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
		goto fail;
	for (i = 0; !undo && i < (argc ? argc : 1); i++) {
		if ((r = crm_csv_open(argc ? argv[i] : "-", a->cli.tsv ?
		    CRM_CSV_TSV : 0, &err)) == NULL)
			goto fail;
		rc = crm_merge_run(db, r, &a->mo, o, &st, &err);
		crm_csv_close(r);
		if (rc < 0)
			goto fail;
	}
	if (crm_out_end(o, &err) < 0)
		goto fail;
	snprintf(counts, sizeof(counts), "{\"read\":%lld,\"skipped\":%lld,"
	    "\"groups\":%lld,\"merged\":%lld,\"undone\":%lld}",
	    (long long)st.read, (long long)st.skipped, (long long)st.groups,
	    (long long)st.merged, (long long)st.undone);
	if (crm_cli_commit(&a->cli, db, a->dry, counts, &err) < 0)
		goto fail;
	if (!a->cli.quiet && undo)
		fprintf(stderr, "crm-dedupe: %lld %s undone%s\n",
		    (long long)st.undone,
		    crm_num_word(st.undone, "merge", "merges"), dry);
	else if (!a->cli.quiet)
		fprintf(stderr, "crm-dedupe: %lld read, %lld skipped, %lld"
		    " %s, %lld %s merged%s\n", (long long)st.read,
		    (long long)st.skipped, (long long)st.groups,
		    crm_num_word(st.groups, "group", "groups"),
		    (long long)st.merged,
		    crm_num_word(st.merged, "contact", "contacts"), dry);
	crm_out_free(o);
	crm_db_close(db);
	return crm_cli_finish(0);
fail:
	crm_db_rollback(db);
	crm_die(&err);
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
	struct crm_error err;
	char *end;

	switch (ch) {
	case 'a': a->all = 1; break;
	case 'c': case 'p': case OPT_MODEL:
		a->what = ch == OPT_MODEL ? 'M' : ch;
		break;
	case 'I': a->idcol = optarg; break;
	case 'i': a->input = optarg; break;
	case 'k':
		if (crm_household_key_parse(optarg, &a->hkey, &err) < 0)
			crm_die(&err);
		break;
	case 'm': a->map = optarg; break;
	case 'n': a->dry = 1; break;
	case 'P':
		a->mo.prefer = optarg;
		a->mo.rule = CRM_MERGE_SOURCE;
		break;
	case 'r':
		if (crm_merge_rule_parse(optarg, &a->mo.rule, &err) < 0)
			crm_die(&err);
		break;
	case 's':
		if (crm_norm_datetime(optarg, &a->opts.since, &err) < 0)
			crm_die_usage("--since: %s", err.msg);
		break;
	case 'T':
		errno = 0;
		a->opts.threshold = strtod(optarg, &end);
		if (errno || end == optarg || *end ||
		    !(a->opts.threshold > 0.0 && a->opts.threshold < 1.0))
			crm_die_usage("--threshold: '%s' is not a probability"
			    " between 0 and 1", optarg);
		break;
	case OPT_NO_TF: a->opts.no_tf = 1; break;
	default:
		crm_cli_opt(&a->cli, ch, optarg) ||
		    (crm_cli_usage(&a->cli, CRM_EUSAGE), 0);
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
	if (c->what == 'L' || c->what == 'H')
		a.what = c->what;
	if (c->what == 'U')
		a.what = 'U';
	if (c->fn == find && c->what == 0) {
		if (a.input == NULL && (a.idcol != NULL || a.map != NULL))
			crm_die_usage("--id and --map need --input FILE");
		if (a.input != NULL && a.opts.since != 0)
			crm_die_usage("--since works on the database, not"
			    " --input");
		if (a.what == 0)
			a.what = a.input != NULL ? 'f' : 'p';
	}
	return c->fn(&a, argc, argv);
}
