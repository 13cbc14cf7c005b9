/*
 * crm-add - add or update contacts from CSV or TSV.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "contact.h"

static const char usage[] =
    "crm-add [-nqtV] [-d db] [-k key] [-R region] [-r rejects]\n"
    "[--allow-opt-in] [file ...]";

enum { OPT_ALLOW_OPT_IN = 0x2000 };

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	{ "allow-opt-in", no_argument, NULL, OPT_ALLOW_OPT_IN },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "key", required_argument, NULL, 'k' },
	{ "region", required_argument, NULL, 'R' },
	{ "rejects", required_argument, NULL, 'r' },
	{ NULL, 0, NULL, 0 }
};

/*
 * Rejected records go to a temporary file beside the one asked for, which
 * replaces it only once the good records are committed: a run that fails
 * leaves no half-written rejects, and a clean run leaves none at all.
 */
struct rejects {
	const char *path;
	char *tmp;
	FILE *fp;
	struct crm_out *out;
	char *header;	/* the input header the file was started with */
};

/* Input header as one string, to check that rejects stay aligned. */
static char *
header_key(const struct crm_csv *r)
{
	size_t i, len = 1;
	char *s;

	for (i = 0; i < crm_csv_ncols(r); i++)
		len += strlen(crm_csv_colname(r, i)) + 1;
	if ((s = calloc(1, len)) == NULL)
		return NULL;
	for (i = 0; i < crm_csv_ncols(r); i++) {
		strcat(s, crm_csv_colname(r, i));
		strcat(s, "\t");
	}
	return s;
}

static int
reject(struct rejects *rj, const struct crm_cli *cli, struct crm_csv *r,
    const char *reason, struct crm_error *err)
{
	char *key = header_key(r);
	size_t i, n = crm_csv_ncols(r);
	int rc = -1;

	if (key == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	if (rj->out == NULL) {
		const char **names = calloc(n + 1, sizeof(*names));
		int fd = -1;

		if (names != NULL && asprintf(&rj->tmp, "%s.tmpXXXXXX",
		    rj->path) < 0)
			rj->tmp = NULL;
		if (names == NULL || rj->tmp == NULL ||
		    (fd = mkstemp(rj->tmp)) < 0 ||
		    (rj->fp = fdopen(fd, "w")) == NULL) {
			crm_error_set(err, CRM_EFAIL, "%s: %s", rj->path,
			    strerror(errno));
			if (fd >= 0) {
				close(fd);
				unlink(rj->tmp);
			}
			free(rj->tmp);
			rj->tmp = NULL;
			free(names);
			goto done;
		}
		for (i = 0; i < n; i++)
			names[i] = crm_csv_colname(r, i);
		names[n] = "reason";
		rj->out = crm_out_new(rj->fp, crm_csv_is_tsv(r) ? CRM_FMT_TSV :
		    CRM_FMT_CSV, cli->excel_safe, err);
		if (rj->out == NULL ||
		    crm_out_header(rj->out, names, NULL, n + 1, err) < 0) {
			free(names);
			goto done;
		}
		free(names);
		rj->header = key;
		key = NULL;
	} else if (strcmp(key, rj->header) != 0) {
		crm_error_set(err, CRM_EUSAGE, "%s: its header differs from"
		    " the first file's: import it separately to use --rejects",
		    crm_csv_name(r));
		goto done;
	}
	rc = crm_out_reject(rj->out, r, reason, err);
done:
	free(key);
	return rc;
}

/* Drop a rejects file that will not be used. */
static void
rejects_discard(struct rejects *rj)
{
	if (rj->fp != NULL)
		fclose(rj->fp);
	rj->fp = NULL;
	if (rj->tmp != NULL)
		unlink(rj->tmp);
}

/* Close the temporary rejects file: 0, or -1 with err. */
static int
rejects_close(struct rejects *rj, struct crm_error *err)
{
	FILE *fp = rj->fp;

	rj->fp = NULL;
	if (fp != NULL && (fflush(fp) != 0 || ferror(fp) || fclose(fp) != 0)) {
		if (rj->tmp != NULL)
			unlink(rj->tmp);
		return crm_error_set(err, CRM_EFAIL, "%s: %s", rj->path,
		    strerror(errno));
	}
	return 0;
}

static void
import(struct crm_cli *cli, struct crm_importer *imp, const char *path,
    struct rejects *rj, struct crm_db *db)
{
	struct crm_error err;
	struct crm_csv *r;
	int rc;

	crm_error_clear(&err);
	if ((r = crm_csv_open(path, cli->tsv ? CRM_CSV_TSV : 0, &err)) == NULL)
		goto fail;
	crm_importer_source(imp, crm_csv_name(r));
	if (crm_importer_header(imp, r, &err) < 0)
		goto fail;
	while ((rc = crm_csv_next(r, &err)) == 1) {
		if (crm_importer_row(imp, r, &err) < 0) {
			if (err.code != CRM_EDATA || rj->path == NULL ||
			    reject(rj, cli, r, err.msg, &err) < 0)
				goto fail;
		}
		crm_progress(cli, crm_importer_stats(imp)->read, "records");
	}
	if (rc < 0)
		goto fail;
	crm_csv_close(r);
	return;
fail:
	crm_db_rollback(db);
	rejects_discard(rj);
	crm_die(&err);
}

int
main(int argc, char **argv)
{
	struct crm_contact_opts opts = { CRM_KEY_AUTO, 0, NULL, NULL };
	const struct crm_contact_stats *s;
	struct rejects rj = { NULL, NULL, NULL, NULL, NULL };
	struct crm_importer *imp;
	struct crm_error err;
	struct crm_cli cli;
	struct crm_db *db;
	char counts[256];
	int ch, dry = 0, i;

	crm_cli_init(&cli, "crm-add", usage, argc, argv);
	crm_error_clear(&err);
	opts.region = getenv("CRM_REGION");
	if (opts.region != NULL && *opts.region == '\0')
		opts.region = NULL;
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS "k:nR:r:",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			if (crm_contact_key_parse(optarg, &opts.key, &err) < 0)
				crm_die(&err);
			break;
		case 'n':
			dry = 1;
			break;
		case 'R':
			opts.region = optarg;
			break;
		case 'r':
			rj.path = optarg;
			break;
		case OPT_ALLOW_OPT_IN:
			opts.allow_opt_in = 1;
			break;
		default:
			crm_cli_opt(&cli, ch, optarg) ||
			    (crm_cli_usage(&cli, CRM_EUSAGE), 0);
		}
	}
	argc -= optind;
	argv += optind;

	/* Refuse a missing input before creating or locking anything. */
	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "-") != 0 && access(argv[i], R_OK) != 0) {
			crm_error_set(&err, CRM_EFAIL, "%s: %s", argv[i],
			    strerror(errno));
			crm_die(&err);
		}
	db = crm_cli_db(&cli, CRM_DB_CREATE);
	if ((imp = crm_importer_new(db, &opts, &err)) == NULL ||
	    crm_db_begin(db, &err) < 0)
		crm_die(&err);
	if (argc == 0)
		import(&cli, imp, "-", &rj, db);
	for (i = 0; i < argc; i++)
		import(&cli, imp, argv[i], &rj, db);
	crm_progress_end(&cli);

	s = crm_importer_stats(imp);
	snprintf(counts, sizeof(counts), "{\"read\":%lld,\"inserted\":%lld,"
	    "\"updated\":%lld,\"unchanged\":%lld,\"rejected\":%lld}",
	    (long long)s->read, (long long)s->inserted,
	    (long long)s->updated, (long long)s->unchanged,
	    (long long)s->rejected);
	if (rejects_close(&rj, &err) < 0) {
		crm_db_rollback(db);
		crm_die(&err);
	}
	if (dry)
		crm_db_rollback(db);
	else if (crm_db_audit(db, cli.prog, cli.argc, cli.argv, counts,
	    &err) < 0 || crm_db_commit(db, &err) < 0) {
		crm_db_rollback(db);
		rejects_discard(&rj);
		crm_die(&err);
	}
	if (rj.path != NULL) {
		if (rj.tmp != NULL ? rename(rj.tmp, rj.path) != 0 :
		    unlink(rj.path) != 0 && errno != ENOENT) {
			crm_warn("%s: %s", rj.path, strerror(errno));
			return crm_cli_finish(CRM_EFAIL);
		}
		if (s->rejected && cli.quiet)
			crm_warn("%lld records rejected, written to %s",
			    (long long)s->rejected, rj.path);
	}
	if (!cli.quiet) {
		fprintf(stderr, "crm-add: %lld read, %lld inserted, %lld"
		    " updated, %lld unchanged, %lld rejected",
		    (long long)s->read, (long long)s->inserted,
		    (long long)s->updated, (long long)s->unchanged,
		    (long long)s->rejected);
		if (s->optout_kept)
			fprintf(stderr, "; kept %lld opt-out%s (see"
			    " --allow-opt-in)", (long long)s->optout_kept,
			    s->optout_kept == 1 ? "" : "s");
		fprintf(stderr, "%s\n", dry ? " (dry run: nothing written)" :
		    "");
	}
	i = s->rejected ? CRM_EDATA : 0;
	crm_out_free(rj.out);
	free(rj.header);
	free(rj.tmp);
	crm_importer_free(imp);
	crm_db_close(db);
	return crm_cli_finish(i);
}
