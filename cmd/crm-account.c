/*
 * crm-account - accounts (companies), their people, duplicates, roll-ups
 * and partners.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "cli.h"
#include "norm.h"

static const char usage[] =
    "crm-account [import] [-jnqtV] [-d db] [-r rejects] [file ...]\n"
    "crm-account link [-nqt] [-d db] [-r rejects] [--by-domain] [file ...]\n"
    "crm-account dupes [-d db] [-f format] [-s score]\n"
    "crm-account merge [-nq] [-d db] [-f format] [-i pairs]"
    " [survivor merged ...]\n"
    "crm-account unmerge [-nq] [-d db] [-f format] merged ...\n"
    "crm-account rollup [-d db] [-f format] [-a date]\n"
    "crm-account partners [-d db] [-f format]\n"
    "crm-account rfm [-d db] [-f format] [-a date] [--roots]\n"
    "crm-account export [-d db] [-f format] [-c columns] [-o owner]\n"
    "[-T type] [--country code] [--excel-safe] [--include-merged]\n"
    "crm-account people [-d db] [-f format] [--partner] account\n"
    "crm-account show [-d db] [-f format] [-l limit] account";

enum { OPT_BY_DOMAIN = 0x2000, OPT_ROOTS, OPT_COUNTRY, OPT_MERGED,
    OPT_PARTNER };

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	{ "as-of", required_argument, NULL, 'a' },
	{ "by-domain", no_argument, NULL, OPT_BY_DOMAIN },
	{ "columns", required_argument, NULL, 'c' },
	{ "country", required_argument, NULL, OPT_COUNTRY },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "include-merged", no_argument, NULL, OPT_MERGED },
	{ "input", required_argument, NULL, 'i' },
	{ "json", no_argument, NULL, 'j' },
	{ "limit", required_argument, NULL, 'l' },
	{ "owner", required_argument, NULL, 'o' },
	{ "partner", no_argument, NULL, OPT_PARTNER },
	{ "rejects", required_argument, NULL, 'r' },
	{ "roots", no_argument, NULL, OPT_ROOTS },
	{ "score", required_argument, NULL, 's' },
	{ "type", required_argument, NULL, 'T' },
	{ NULL, 0, NULL, 0 }
};

static struct {
	struct crm_cli cli;
	struct crm_error err;
	const char *rejects, *columns, *input;
	struct crm_account_filter filter;
	int dry, json, by_domain, roots, partner;
	int64_t asof, limit;
	double score;
} g;

static int
imp_header(void *ctx, struct crm_csv *r, struct crm_error *err)
{
	return crm_account_importer_header(ctx, r, err);
}

static int
imp_row(void *ctx, struct crm_csv *r, struct crm_error *err)
{
	return crm_account_importer_row(ctx, r, err);
}

static int64_t
imp_read(void *ctx)
{
	return crm_account_importer_stats(ctx)->read;
}

static int
is_json(const char *path)
{
	size_t n = strlen(path);

	return g.json || (n > 5 && strcmp(path + n - 5, ".json") == 0) ||
	    (n > 6 && strcmp(path + n - 6, ".jsonl") == 0);
}

static int
cmd_import(struct crm_db *db, int argc, char **argv)
{
	struct crm_batch b = { NULL, imp_header, imp_row, imp_read, NULL, NULL,
	    0 };
	struct crm_account_importer *imp;
	const struct crm_account_stats *s;
	struct crm_rejects *rj = NULL;
	char counts[256];
	int i;

	for (i = 0; g.rejects != NULL && i < (argc ? argc : 1); i++)
		if (is_json(argc ? argv[i] : "-"))
			crm_die_usage("--rejects takes CSV or TSV input only");
	if ((imp = crm_account_importer_new(db, &g.err)) == NULL ||
	    (g.rejects != NULL && (rj = crm_rejects_new(g.rejects,
	    g.cli.excel_safe, &g.err)) == NULL) ||
	    crm_db_begin(db, &g.err) < 0)
		crm_die(&g.err);
	b.ctx = imp;
	for (i = 0; i < (argc ? argc : 1); i++) {
		const char *path = argc ? argv[i] : "-";

		if (!is_json(path)) {
			if (crm_batch_file(&g.cli, &b, path, rj, &g.err) < 0)
				crm_batch_die(db, rj, &g.err);
			continue;
		}
		if (crm_account_importer_json(imp, path, &g.err) < 0) {
			crm_db_rollback(db);
			crm_die(&g.err);
		}
	}
	if (crm_account_importer_finish(imp, &g.err) < 0) {
		crm_rejects_discard(rj);
		crm_db_rollback(db);
		crm_die(&g.err);
	}
	s = crm_account_importer_stats(imp);
	snprintf(counts, sizeof(counts), "{\"read\":%lld,\"inserted\":%lld,"
	    "\"updated\":%lld,\"unchanged\":%lld,\"rejected\":%lld}",
	    (long long)s->read, (long long)s->inserted, (long long)s->updated,
	    (long long)s->unchanged, (long long)s->rejected);
	crm_batch_end(&g.cli, db, rj, g.dry, counts);
	if (!g.cli.quiet)
		fprintf(stderr, "crm-account: %lld read, %lld inserted, %lld"
		    " updated, %lld unchanged, %lld rejected%s\n",
		    (long long)s->read, (long long)s->inserted,
		    (long long)s->updated, (long long)s->unchanged,
		    (long long)s->rejected, g.dry ? " (dry run: nothing"
		    " written)" : "");
	i = s->rejected ? CRM_EDATA : 0;
	crm_rejects_free(rj);
	crm_account_importer_free(imp);
	return i;
}

static int
link_header(void *ctx, struct crm_csv *r, struct crm_error *err)
{
	return crm_account_linker_header(ctx, r, err);
}

static int
link_row(void *ctx, struct crm_csv *r, struct crm_error *err)
{
	return crm_account_linker_row(ctx, r, err);
}

static int64_t
link_read(void *ctx)
{
	return crm_account_linker_stats(ctx)->read;
}

static int
cmd_link(struct crm_db *db, int argc, char **argv)
{
	struct crm_batch b = { NULL, link_header, link_row, link_read, NULL,
	    NULL, 0 };
	struct crm_account_linker *l;
	const struct crm_link_stats *s;
	struct crm_rejects *rj = NULL;
	char counts[256];
	int i;

	if ((l = crm_account_linker_new(db, &g.err)) == NULL ||
	    (g.rejects != NULL && (rj = crm_rejects_new(g.rejects,
	    g.cli.excel_safe, &g.err)) == NULL) ||
	    crm_db_begin(db, &g.err) < 0)
		crm_die(&g.err);
	b.ctx = l;
	for (i = 0; i < argc || (argc == 0 && i == 0 && !g.by_domain); i++)
		if (crm_batch_file(&g.cli, &b, argc ? argv[i] : "-", rj,
		    &g.err) < 0)
			crm_batch_die(db, rj, &g.err);
	if (g.by_domain && crm_account_link_domains(l, &g.err) < 0) {
		crm_rejects_discard(rj);
		crm_db_rollback(db);
		crm_die(&g.err);
	}
	s = crm_account_linker_stats(l);
	snprintf(counts, sizeof(counts), "{\"read\":%lld,\"linked\":%lld,"
	    "\"moved\":%lld,\"updated\":%lld,\"unchanged\":%lld,"
	    "\"skipped\":%lld,\"rejected\":%lld}", (long long)s->read,
	    (long long)s->linked, (long long)s->moved, (long long)s->updated,
	    (long long)s->unchanged, (long long)s->skipped,
	    (long long)s->rejected);
	crm_batch_end(&g.cli, db, rj, g.dry, counts);
	if (!g.cli.quiet)
		fprintf(stderr, "crm-account: %lld read, %lld linked, %lld"
		    " moved, %lld updated, %lld unchanged, %lld skipped, %lld"
		    " rejected%s\n", (long long)s->read, (long long)s->linked,
		    (long long)s->moved, (long long)s->updated,
		    (long long)s->unchanged, (long long)s->skipped,
		    (long long)s->rejected, g.dry ? " (dry run: nothing"
		    " written)" : "");
	i = s->rejected ? CRM_EDATA : 0;
	crm_rejects_free(rj);
	crm_account_linker_free(l);
	return i;
}

static int
cmd_merge(struct crm_db *db, int argc, char **argv, int undo)
{
	struct crm_account_merge_stats st = { 0, 0, 0, 0 };
	struct crm_csv *r = NULL;
	struct crm_out *o;
	char counts[160];
	int rc;

	if ((undo && (argc == 0 || g.input != NULL)) ||
	    (!undo && (argc % 2 != 0 || (g.input == NULL) == (argc == 0))))
		crm_cli_usage(&g.cli, CRM_EUSAGE);
	o = crm_cli_out(&g.cli);
	if (crm_db_begin(db, &g.err) < 0 ||
	    crm_account_merge_header(o, &g.err) < 0)
		crm_die(&g.err);
	if (undo)
		rc = crm_account_unmerge_list(db, argv, argc, o, &st, &g.err);
	else if (g.input != NULL)
		rc = (r = crm_csv_open(g.input, g.cli.tsv ? CRM_CSV_TSV : 0,
		    &g.err)) == NULL ? -1 : crm_account_merge_pairs(db, r, o,
		    &st, &g.err);
	else
		rc = crm_account_merge_list(db, argv, argc, o, &st, &g.err);
	crm_csv_close(r);
	if (rc < 0) {
		crm_db_rollback(db);
		crm_die(&g.err);
	}
	snprintf(counts, sizeof(counts), "{\"merged\":%lld,\"undone\":%lld,"
	    "\"skipped\":%lld,\"apart\":%lld}", (long long)st.merged,
	    (long long)st.undone, (long long)st.skipped, (long long)st.apart);
	crm_batch_end(&g.cli, db, NULL, g.dry, counts);
	if (st.apart)
		crm_warn("%lld pair%s left apart: accounts in one hierarchy",
		    (long long)st.apart, st.apart == 1 ? "" : "s");
	if (!g.cli.quiet)
		fprintf(stderr, "crm-account: %lld account%s %s%s\n",
		    (long long)(undo ? st.undone : st.merged),
		    (undo ? st.undone : st.merged) == 1 ? "" : "s",
		    undo ? "unmerged" : "merged", g.dry ?
		    " (dry run: nothing written)" : "");
	crm_out_free(o);
	return 0;
}

static int
cmd_report(struct crm_db *db, const char *what, int argc, char **argv)
{
	struct crm_out *o = crm_cli_out_auto(&g.cli);
	struct crm_log_filter lf = { NULL, NULL, 0, 0, g.limit };
	struct crm_rfm_opts ro;
	int64_t id, n = 0;
	int rc, one = strcmp(what, "show") == 0 || strcmp(what, "people") == 0;

	if (argc != one)
		crm_cli_usage(&g.cli, CRM_EUSAGE);
	memset(&ro, 0, sizeof(ro));
	ro.asof = g.asof ? g.asof : crm_now();
	if (strcmp(what, "dupes") == 0) {
		rc = crm_account_dupes(db, g.score, o, &n, &g.err);
		if (rc == 0 && !g.cli.quiet)
			fprintf(stderr, "crm-account: %lld pair%s\n",
			    (long long)n, n == 1 ? "" : "s");
	} else if (strcmp(what, "rollup") == 0)
		rc = crm_account_rollup(db, g.asof ? (g.asof / 86400 + 1) *
		    86400 : 0, o, &g.err);
	else if (strcmp(what, "rfm") == 0)
		rc = crm_account_rfm(db, &ro, g.roots, o, &g.err);
	else if (strcmp(what, "partners") == 0)
		rc = crm_account_partners(db, o, &g.err);
	else if (strcmp(what, "export") == 0)
		rc = crm_account_export(db, o, g.columns, &g.filter, &n,
		    &g.err);
	else if (crm_account_resolve(db, argv[0], &id, &g.err) < 0)
		rc = -1;
	else if (strcmp(what, "people") == 0)
		rc = crm_account_people(db, id, g.partner, o, &g.err);
	else
		rc = crm_account_show(db, id, &lf, o, &g.err);
	if (rc < 0 || crm_out_end(o, &g.err) < 0)
		crm_die(&g.err);
	crm_out_free(o);
	return 0;
}

int
main(int argc, char **argv)
{
	static const char *const cmds[] = { "import", "link", "dupes", "merge",
	    "unmerge", "rollup", "rfm", "partners", "export", "people",
	    "show" };
	const char *cmd = "import";
	struct crm_db *db;
	int ch, i, rc;

	crm_cli_init(&g.cli, "crm-account", usage, argc, argv);
	crm_error_clear(&g.err);
	g.score = 0.9;
	/* The first word names the command (a file so named: ./link). */
	for (i = 0; argc > 1 && i < (int)(sizeof(cmds) / sizeof(*cmds)); i++)
		if (strcmp(argv[1], cmds[i]) == 0) {
			cmd = cmds[i];
			argv[1] = argv[0];
			argv++;
			argc--;
			break;
		}
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS
	    "a:c:i:jl:nr:o:s:T:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			if (crm_norm_datetime(optarg, &g.asof, &g.err) < 0)
				crm_die_usage("--as-of: %s", g.err.msg);
			break;
		case 'c':
			g.columns = optarg;
			break;
		case 'i':
			g.input = optarg;
			break;
		case 'j':
			g.json = 1;
			break;
		case 'l':
			g.limit = crm_cli_num("--limit", optarg, 1, INT64_MAX);
			break;
		case 'n':
			g.dry = 1;
			break;
		case 'o':
			g.filter.owner = optarg;
			break;
		case 'r':
			g.rejects = optarg;
			break;
		case 's':
			g.score = strtod(optarg, NULL);
			if (g.score <= 0 || g.score > 1)
				crm_die_usage("--score: '%s' is not in (0, 1]",
				    optarg);
			break;
		case 'T':
			g.filter.type = optarg;
			break;
		case OPT_BY_DOMAIN:
			g.by_domain = 1;
			break;
		case OPT_COUNTRY:
			g.filter.country = optarg;
			break;
		case OPT_MERGED:
			g.filter.include_merged = 1;
			break;
		case OPT_ROOTS:
			g.roots = 1;
			break;
		case OPT_PARTNER:
			g.partner = 1;
			break;
		default:
			crm_cli_opt(&g.cli, ch, optarg) ||
			    (crm_cli_usage(&g.cli, CRM_EUSAGE), 0);
		}
	}
	argc -= optind;
	argv += optind;
	if (strcmp(cmd, "import") == 0 || strcmp(cmd, "link") == 0) {
		crm_batch_check_inputs(argc, argv);
		crm_batch_bulk(argc, argv);
	}
	/* The reports read whole tables: a page cache in one block, mapped. */
	if (strcmp(cmd, "rollup") == 0 || strcmp(cmd, "rfm") == 0 ||
	    strcmp(cmd, "partners") == 0)
		crm_db_bulk();
	db = crm_cli_db(&g.cli, strcmp(cmd, "import") == 0 ? CRM_DB_CREATE :
	    0);
	if (strcmp(cmd, "rollup") == 0 || strcmp(cmd, "rfm") == 0 ||
	    strcmp(cmd, "partners") == 0) {
		if (crm_db_map_reads(db, &g.err) < 0)
			crm_die(&g.err);
	}
	if (strcmp(cmd, "import") == 0)
		rc = cmd_import(db, argc, argv);
	else if (strcmp(cmd, "link") == 0)
		rc = cmd_link(db, argc, argv);
	else if (strcmp(cmd, "merge") == 0 || strcmp(cmd, "unmerge") == 0)
		rc = cmd_merge(db, argc, argv, cmd[0] == 'u');
	else
		rc = cmd_report(db, cmd, argc, argv);
	crm_db_close(db);
	return crm_cli_finish(rc);
}
