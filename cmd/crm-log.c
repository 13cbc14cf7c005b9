/*
 * crm-log - record interactions; show a contact's history; channel stats.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "interaction.h"
#include "norm.h"

static const char usage[] =
    "crm-log [-nqtV] [-a from=channel] [-C currency] [-d db] [-R region]\n"
    "[-r rejects] [--create-missing] [--excel-safe] [file ...]\n"
    "crm-log show [-c channel] [-d db] [-f format] [-k kind] [-l limit]\n"
    "[--since date] [--until date] key\n"
    "crm-log stats [-d db] [-f format] [--as-of date] [-w days[,days...]]\n"
    "[--preferred | --tickets]";

enum { OPT_CREATE = 0x2000, OPT_SINCE, OPT_UNTIL, OPT_ASOF, OPT_PREFERRED,
    OPT_TICKETS };

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	{ "alias", required_argument, NULL, 'a' },
	{ "as-of", required_argument, NULL, OPT_ASOF },
	{ "channel", required_argument, NULL, 'c' },
	{ "create-missing", no_argument, NULL, OPT_CREATE },
	{ "currency", required_argument, NULL, 'C' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "kind", required_argument, NULL, 'k' },
	{ "limit", required_argument, NULL, 'l' },
	{ "preferred", no_argument, NULL, OPT_PREFERRED },
	{ "region", required_argument, NULL, 'R' },
	{ "rejects", required_argument, NULL, 'r' },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "tickets", no_argument, NULL, OPT_TICKETS },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "windows", required_argument, NULL, 'w' },
	{ NULL, 0, NULL, 0 }
};

static int64_t
when(const char *opt, const char *arg)
{
	struct crm_error err;
	int64_t t;

	if (crm_norm_datetime(arg, &t, &err) < 0)
		crm_die_usage("%s: %s", opt, err.msg);
	return t;
}

static void
import(struct crm_cli *cli, struct crm_logger *lg, const char *path,
    struct crm_rejects *rj, struct crm_db *db)
{
	struct crm_error err;
	struct crm_csv *r;
	int rc;

	crm_error_clear(&err);
	if ((r = crm_csv_open(path, cli->tsv ? CRM_CSV_TSV : 0, &err)) == NULL)
		goto fail;
	crm_logger_source(lg, crm_csv_name(r));
	if (crm_logger_header(lg, r, &err) < 0)
		goto fail;
	while ((rc = crm_csv_next(r, &err)) == 1) {
		if (crm_logger_row(lg, r, &err) < 0 &&
		    (err.code != CRM_EDATA || rj == NULL ||
		    crm_rejects_add(rj, r, err.msg, &err) < 0))
			goto fail;
		crm_progress(cli, crm_logger_stats(lg)->read, "records");
	}
	if (rc < 0)
		goto fail;
	crm_csv_close(r);
	return;
fail:
	crm_db_rollback(db);
	crm_rejects_discard(rj);
	crm_die(&err);
}

int
main(int argc, char **argv)
{
	struct crm_log_opts opts;
	struct crm_log_filter f;
	const struct crm_log_stats *s;
	struct crm_rejects *rj = NULL;
	struct crm_logger *lg;
	struct crm_error err;
	struct crm_cli cli;
	struct crm_out *o;
	struct crm_db *db;
	const char *rejects = NULL, *mode = "import", *windows = "30,90,365";
	int64_t asof = 0, wins[16], id;
	size_t nw = 0;
	int ch, dry = 0, i, report = 0;
	char counts[256], currency[4] = "", kind[33];

	crm_cli_init(&cli, "crm-log", usage, argc, argv);
	crm_error_clear(&err);
	memset(&opts, 0, sizeof(opts));
	memset(&f, 0, sizeof(f));
	opts.region = getenv("CRM_REGION");
	if (opts.region != NULL && *opts.region == '\0')
		opts.region = NULL;
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS
	    "a:C:c:k:l:nR:r:w:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			if (crm_log_alias(&opts, optarg, &err) < 0)
				crm_die(&err);
			break;
		case 'C':
			if (strlen(optarg) != 3 || !isalpha((unsigned char)
			    optarg[0]) || !isalpha((unsigned char)optarg[1]) ||
			    !isalpha((unsigned char)optarg[2]))
				crm_die_usage("--currency: '%s' is not an ISO"
				    " 4217 code such as EUR", optarg);
			for (i = 0; i < 3; i++)
				currency[i] = (char)toupper((unsigned char)
				    optarg[i]);
			opts.currency = currency;
			break;
		case 'c':
			if ((f.channel = crm_log_channel(optarg)) == NULL)
				crm_die_usage("unknown channel '%s' (%s)",
				    optarg, crm_log_channels);
			break;
		case 'k':
			for (i = 0; optarg[i] != '\0' && i < 32; i++)
				kind[i] = (char)tolower((unsigned char)
				    optarg[i]);
			kind[i] = '\0';
			f.kind = kind;
			break;
		case 'l':
			f.limit = crm_cli_num("--limit", optarg, 1, INT64_MAX);
			break;
		case 'n':
			dry = 1;
			break;
		case 'R':
			opts.region = optarg;
			break;
		case 'r':
			rejects = optarg;
			break;
		case 'w':
			windows = optarg;
			break;
		case OPT_ASOF:
			asof = when("--as-of", optarg);
			break;
		case OPT_CREATE:
			opts.create_missing = 1;
			break;
		case OPT_PREFERRED:
			report = 1;
			break;
		case OPT_TICKETS:
			report = 2;
			break;
		case OPT_SINCE:
			f.since = when("--since", optarg);
			break;
		case OPT_UNTIL:
			f.until = when("--until", optarg);
			break;
		default:
			crm_cli_opt(&cli, ch, optarg) ||
			    (crm_cli_usage(&cli, CRM_EUSAGE), 0);
		}
	}
	argc -= optind;
	argv += optind;
	/* The first word names the command (a file so named: ./show). */
	if (argc > 0 && (strcmp(argv[0], "show") == 0 ||
	    strcmp(argv[0], "stats") == 0 || strcmp(argv[0], "import") == 0)) {
		mode = argv[0];
		argv++;
		argc--;
	}

	if (strcmp(mode, "show") == 0) {
		if (argc != 1)
			crm_cli_usage(&cli, CRM_EUSAGE);
		db = crm_cli_db(&cli, 0);
		o = crm_cli_out_auto(&cli);
		if (crm_contact_resolve(db, argv[0], opts.region, &id,
		    &err) < 0 || crm_log_show(db, id, &f, o, &err) < 0 ||
		    crm_out_end(o, &err) < 0)
			crm_die(&err);
		goto out;
	}
	if (strcmp(mode, "stats") == 0) {
		char *list, *tok, *save = NULL;

		if (argc != 0)
			crm_cli_usage(&cli, CRM_EUSAGE);
		if ((list = strdup(windows)) == NULL)
			crm_die_usage("out of memory");
		for (tok = strtok_r(list, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			if (nw == sizeof(wins) / sizeof(wins[0]) ||
			    crm_norm_days(tok, &wins[nw], &err) < 0 ||
			    wins[nw] <= 0)
				crm_die_usage("--windows: bad window '%s'",
				    tok);
			nw++;
		}
		free(list);
		if (asof == 0)
			asof = crm_now();
		db = crm_cli_db(&cli, 0);
		o = crm_cli_out_auto(&cli);
		if ((report == 0 ? crm_log_stats(db, asof, wins, nw, o, &err) :
		    report == 1 ? crm_log_preferred(db, o, &err) :
		    crm_log_tickets(db, asof, wins[nw - 1], o, &err)) < 0 ||
		    crm_out_end(o, &err) < 0)
			crm_die(&err);
		goto out;
	}

	/* Refuse a missing input before creating or locking anything. */
	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "-") != 0 && access(argv[i], R_OK) != 0) {
			crm_error_set(&err, CRM_EFAIL, "%s: %s", argv[i],
			    strerror(errno));
			crm_die(&err);
		}
	db = crm_cli_db(&cli, CRM_DB_CREATE);
	if ((lg = crm_logger_new(db, &opts, &err)) == NULL ||
	    (rejects != NULL && (rj = crm_rejects_new(rejects,
	    cli.excel_safe, &err)) == NULL) ||
	    crm_db_begin(db, &err) < 0)
		crm_die(&err);
	if (argc == 0)
		import(&cli, lg, "-", rj, db);
	for (i = 0; i < argc; i++)
		import(&cli, lg, argv[i], rj, db);
	crm_progress_end(&cli);
	s = crm_logger_stats(lg);
	snprintf(counts, sizeof(counts), "{\"read\":%lld,\"inserted\":%lld,"
	    "\"updated\":%lld,\"unchanged\":%lld,\"rejected\":%lld,"
	    "\"contacts_created\":%lld}", (long long)s->read,
	    (long long)s->inserted, (long long)s->updated,
	    (long long)s->unchanged, (long long)s->rejected,
	    (long long)s->created);
	if (crm_rejects_close(rj, &err) < 0) {
		crm_db_rollback(db);
		crm_die(&err);
	}
	if (dry)
		crm_db_rollback(db);
	else if (crm_db_audit(db, cli.prog, cli.argc, cli.argv, counts,
	    &err) < 0 || crm_db_commit(db, &err) < 0) {
		crm_db_rollback(db);
		crm_rejects_discard(rj);
		crm_die(&err);
	}
	if (crm_rejects_commit(rj, &err) < 0)
		crm_die(&err);
	if (cli.quiet && s->rejected && rj != NULL)
		crm_warn("%lld records rejected, written to %s",
		    (long long)s->rejected, rejects);
	else if (!cli.quiet) {
		fprintf(stderr, "crm-log: %lld read, %lld inserted, %lld"
		    " updated, %lld unchanged, %lld rejected",
		    (long long)s->read, (long long)s->inserted,
		    (long long)s->updated, (long long)s->unchanged,
		    (long long)s->rejected);
		if (s->created)
			fprintf(stderr, "; %lld contacts created",
			    (long long)s->created);
		fprintf(stderr, "%s\n", dry ? " (dry run: nothing written)" :
		    "");
	}
	i = s->rejected ? CRM_EDATA : 0;
	crm_rejects_free(rj);
	crm_logger_free(lg);
	crm_db_close(db);
	return crm_cli_finish(i);
out:
	crm_out_free(o);
	crm_db_close(db);
	return crm_cli_finish(0);
}
