/*
 * crm-dedupe - find duplicate contacts, merge them, undo merges.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dedupe.h"
#include "merge.h"
#include "norm.h"

static const char usage[] =
    "crm-dedupe [find] [-cpq] [-d db] [-f format] [-s date] [-T threshold]\n"
    "[--excel-safe] [--model] [--no-tf]\n"
    "crm-dedupe [find] -i file [-cpqt] [-f format] [-I column]\n"
    "[-m field=column[+column...][,...]] [-T threshold] [--excel-safe]\n"
    "[--model] [--no-tf]\n"
    "crm-dedupe merge [-nqt] [-d db] [-f format] [-P pattern]\n"
    "[-r recent | complete | source] [file ...]\n"
    "crm-dedupe unmerge [-nq] [-d db] [-f format] key ...";

enum { OPT_MODEL = 0x2000, OPT_NO_TF };

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	{ "clusters", no_argument, NULL, 'c' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "id", required_argument, NULL, 'I' },
	{ "input", required_argument, NULL, 'i' },
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

static void
progress(void *arg, int64_t n, const char *what)
{
	crm_progress(arg, n, what);
}

/* Find: the database or a file; pairs, clusters, the file or the model. */
static int
find(struct crm_cli *cli, struct crm_dedupe_opts *opts, const char *input,
    const char *idcol, const char *map, int what)
{
	const struct crm_dedupe_stats *s;
	struct crm_dedupe *d;
	char rep[64] = "";
	struct crm_error err;
	struct crm_csv *r = NULL;
	struct crm_db *db = NULL;
	struct crm_out *o;

	crm_error_clear(&err);
	opts->progress = progress;
	opts->progress_arg = cli;
	if ((d = crm_dedupe_new(opts, &err)) == NULL)
		crm_die(&err);
	if (input != NULL) {
		if ((r = crm_csv_open(input, cli->tsv ? CRM_CSV_TSV : 0,
		    &err)) == NULL || crm_dedupe_load_csv(d, r, idcol, map,
		    &err) < 0)
			crm_die(&err);
		/* The file comes back in its own format unless told. */
		if (!cli->fmt_set && crm_csv_is_tsv(r))
			cli->fmt = CRM_FMT_TSV;
		crm_csv_close(r);
	} else {
		db = crm_cli_db(cli, 0);
		if (crm_dedupe_load_db(d, db, &err) < 0)
			crm_die(&err);
	}
	if (crm_dedupe_run(d, &err) < 0)
		crm_die(&err);
	crm_progress_end(cli);
	o = crm_cli_out(cli);
	if ((what == 'M' ? crm_dedupe_write_model(d, o, &err) :
	    what == 'c' ? crm_dedupe_write_clusters(d, o, &err) :
	    what == 'p' ? crm_dedupe_write_pairs(d, o, &err) :
	    crm_dedupe_write_file(d, o, &err)) < 0 || crm_out_end(o, &err) < 0)
		crm_die(&err);
	s = crm_dedupe_stats(d);
	if (s->repeated)
		snprintf(rep, sizeof(rep), " (%lld repeating an id, taken as"
		    " one)", (long long)s->repeated);
	if (!cli->quiet)
		fprintf(stderr, "crm-dedupe: %lld records%s, %lld candidate"
		    " pairs, %lld matching, %lld clusters of %lld records\n",
		    (long long)s->records, rep, (long long)s->candidates,
		    (long long)s->matches, (long long)s->clusters,
		    (long long)s->in_clusters);
	crm_out_free(o);
	crm_dedupe_free(d);
	crm_db_close(db);
	return crm_cli_finish(0);
}

/* Merge or unmerge, in one transaction, audited; rolled back if dry. */
static int
merge(struct crm_cli *cli, const char *cmd, int argc, char **argv,
    const struct crm_merge_opts *mo, int dry)
{
	struct crm_merge_stats st;
	struct crm_error err;
	struct crm_csv *r;
	struct crm_out *o;
	struct crm_db *db;
	char counts[160];
	int i, undo = strcmp(cmd, "unmerge") == 0;

	crm_error_clear(&err);
	memset(&st, 0, sizeof(st));
	if (undo && argc == 0)
		crm_cli_usage(cli, CRM_EUSAGE);
	for (i = 0; !undo && i < argc; i++)
		if (strcmp(argv[i], "-") != 0 && access(argv[i], R_OK) != 0) {
			crm_error_set(&err, CRM_EFAIL, "%s: %s", argv[i],
			    strerror(errno));
			crm_die(&err);
		}
	db = crm_cli_db(cli, 0);
	o = crm_cli_out(cli);
	if (crm_db_begin(db, &err) < 0)
		crm_die(&err);
	if (undo ? crm_merge_undo(db, argv, argc, o, &st, &err) < 0 :
	    crm_merge_header(o, &err) < 0)
		goto fail;
	for (i = 0; !undo && i < (argc ? argc : 1); i++) {
		if ((r = crm_csv_open(argc ? argv[i] : "-", cli->tsv ?
		    CRM_CSV_TSV : 0, &err)) == NULL)
			goto fail;
		if (crm_merge_run(db, r, mo, o, &st, &err) < 0) {
			crm_csv_close(r);
			goto fail;
		}
		crm_csv_close(r);
	}
	if (crm_out_end(o, &err) < 0)
		goto fail;
	snprintf(counts, sizeof(counts), "{\"read\":%lld,\"skipped\":%lld,"
	    "\"groups\":%lld,\"merged\":%lld,\"undone\":%lld}",
	    (long long)st.read, (long long)st.skipped, (long long)st.groups,
	    (long long)st.merged, (long long)st.undone);
	if (dry)
		crm_db_rollback(db);
	else if (crm_db_audit(db, cli->prog, cli->argc, cli->argv, counts,
	    &err) < 0 || crm_db_commit(db, &err) < 0)
		goto fail;
	if (!cli->quiet && undo)
		fprintf(stderr, "crm-dedupe: %lld merges undone%s\n",
		    (long long)st.undone, dry ? " (dry run: nothing written)" :
		    "");
	else if (!cli->quiet)
		fprintf(stderr, "crm-dedupe: %lld read, %lld skipped, %lld"
		    " groups, %lld contacts merged%s\n", (long long)st.read,
		    (long long)st.skipped, (long long)st.groups,
		    (long long)st.merged, dry ? " (dry run: nothing written)" :
		    "");
	crm_out_free(o);
	crm_db_close(db);
	return crm_cli_finish(0);
fail:
	crm_db_rollback(db);
	crm_die(&err);
}

int
main(int argc, char **argv)
{
	struct crm_dedupe_opts opts;
	struct crm_merge_opts mo;
	struct crm_error err;
	struct crm_cli cli;
	const char *cmd = "find", *input = NULL, *idcol = NULL, *map = NULL;
	char *end;
	int ch, what = 0, dry = 0;

	crm_cli_init(&cli, "crm-dedupe", usage, argc, argv);
	crm_error_clear(&err);
	memset(&opts, 0, sizeof(opts));
	memset(&mo, 0, sizeof(mo));
	opts.threshold = CRM_DEDUPE_THRESHOLD;
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS
	    "cI:i:m:nP:pr:s:T:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
		case 'p':
		case OPT_MODEL:
			what = ch == OPT_MODEL ? 'M' : ch;
			break;
		case 'I':
			idcol = optarg;
			break;
		case 'i':
			input = optarg;
			break;
		case 'm':
			map = optarg;
			break;
		case 'n':
			dry = 1;
			break;
		case 'P':
			mo.prefer = optarg;
			mo.rule = CRM_MERGE_SOURCE;
			break;
		case 'r':
			if (crm_merge_rule_parse(optarg, &mo.rule, &err) < 0)
				crm_die(&err);
			break;
		case 's':
			if (crm_norm_datetime(optarg, &opts.since, &err) < 0)
				crm_die_usage("--since: %s", err.msg);
			break;
		case 'T':
			errno = 0;
			opts.threshold = strtod(optarg, &end);
			if (errno || end == optarg || *end ||
			    !(opts.threshold > 0.0 && opts.threshold < 1.0))
				crm_die_usage("--threshold: '%s' is not a"
				    " probability between 0 and 1", optarg);
			break;
		case OPT_NO_TF:
			opts.no_tf = 1;
			break;
		default:
			crm_cli_opt(&cli, ch, optarg) ||
			    (crm_cli_usage(&cli, CRM_EUSAGE), 0);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0 && (strcmp(argv[0], "find") == 0 ||
	    strcmp(argv[0], "merge") == 0 || strcmp(argv[0], "unmerge") == 0)) {
		cmd = argv[0];
		argc--;
		argv++;
	}
	if (strcmp(cmd, "find") != 0) {
		if (mo.rule == CRM_MERGE_SOURCE && mo.prefer == NULL)
			crm_die_usage("--rule source needs --prefer PATTERN");
		return merge(&cli, cmd, argc, argv, &mo, dry);
	}
	if (argc != 0)
		crm_cli_usage(&cli, CRM_EUSAGE);
	if (input == NULL && (idcol != NULL || map != NULL))
		crm_die_usage("--id and --map need --input FILE");
	if (input != NULL && opts.since != 0)
		crm_die_usage("--since works on the database, not --input");
	return find(&cli, &opts, input, idcol, map, what ? what :
	    input != NULL ? 'f' : 'p');
}
