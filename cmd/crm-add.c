/*
 * crm-add - add or update contacts from CSV or TSV.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "num.h"
#include "cmd.h"
#include "contact.h"
#include "profile.h"

static const char usage[] =
    "crm-add [-HnqtV] [-d db] [-E encoding] [-F delimiter] [-k key]\n"
    "[-M header=column,...] [-P profile] [-R region] [-r rejects]\n"
    "[--allow-erased] [--allow-opt-in] [--ambiguous newest|oldest|reject]\n"
    "[--columns name,...] [--date-format format] [--decimal ,|.]\n"
    "[--excel-safe] [--map-value column:from=to,...] [file ...]\n"
    "crm-add --renormalise [-nqV] [-d db] [-f format] [-R region]";

enum { OPT_ALLOW_OPT_IN = 0x2000, OPT_ALLOW_ERASED, OPT_AMBIGUOUS,
    OPT_RENORMALISE };

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	CRM_IMPORT_LONGOPTS,
	{ "ambiguous", required_argument, NULL, OPT_AMBIGUOUS },
	{ "allow-erased", no_argument, NULL, OPT_ALLOW_ERASED },
	{ "allow-opt-in", no_argument, NULL, OPT_ALLOW_OPT_IN },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "key", required_argument, NULL, 'k' },
	{ "region", required_argument, NULL, 'R' },
	{ "rejects", required_argument, NULL, 'r' },
	{ "renormalise", no_argument, NULL, OPT_RENORMALISE },
	{ "renormalize", no_argument, NULL, OPT_RENORMALISE },
	{ NULL, 0, NULL, 0 }
};

CRM_CMD_IMPORTER_SOURCE(crm_importer)

static void
warning(void *arg, const char *msg)
{
	crm_warn("%s", msg);
}

/* Each change --renormalise makes, as a row of standard output. */
static void
change(void *arg, int64_t id, const char *column, const char *old,
    const char *new_value, const char *note)
{
	struct crm_error err;
	char ids[24];
	const char *v[5];

	snprintf(ids, sizeof(ids), "%lld", (long long)id);
	v[0] = ids;
	v[1] = column;
	v[2] = old;
	v[3] = new_value;
	v[4] = note;
	if (crm_out_row(arg, v, &err) < 0)
		crm_die(&err);
}

static int
renormalise(struct crm_cli *cli, const char *region, int dry)
{
	static const char *const names[] = { "id", "column", "old", "new",
	    "note" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_TEXT,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_TEXT };
	struct crm_renorm_stats st;
	struct crm_out *o = crm_cli_out(cli);
	struct crm_error err;
	struct crm_db *db;
	char counts[256];

	crm_error_clear(&err);
	db = crm_cli_db(cli, 0);
	if (crm_db_begin(db, &err) < 0 ||
	    crm_out_header(o, names, types, 5, &err) < 0 ||
	    crm_contact_renormalise(db, region, change, o, &st, &err) < 0 ||
	    crm_out_end(o, &err) < 0) {
		crm_db_rollback(db);
		crm_die(&err);
	}
	snprintf(counts, sizeof(counts), "{\"read\":%lld,\"updated\":%lld,"
	    "\"invalid\":%lld,\"unknown\":%lld}", (long long)st.contacts,
	    (long long)st.changed, (long long)st.invalid,
	    (long long)st.unknown);
	crm_batch_end(cli, db, NULL, dry, counts);
	if (!cli->quiet)
		fprintf(stderr, "crm-add: %lld %s, %lld changed (%lld"
		    " %s, %lld %s, %lld %s, %lld %s);"
		    " kept %lld invalid %s, %lld unknown %s%s\n",
		    (long long)st.contacts,
		    crm_num_word(st.contacts, "contact", "contacts"),
		    (long long)st.changed, (long long)st.phones,
		    crm_num_word(st.phones, "phone", "phones"),
		    (long long)st.types,
		    crm_num_word(st.types, "type", "types"),
		    (long long)st.exts,
		    crm_num_word(st.exts, "extension", "extensions"),
		    (long long)st.countries,
		    crm_num_word(st.countries, "country", "countries"),
		    (long long)st.invalid,
		    crm_num_word(st.invalid, "phone", "phones"),
		    (long long)st.unknown,
		    crm_num_word(st.unknown, "country", "countries"),
		    dry ? " (dry run: nothing written)" : "");
	crm_out_free(o);
	crm_db_close(db);
	return crm_cli_finish(0);
}

int
main(int argc, char **argv)
{
	struct crm_contact_opts opts = { CRM_KEY_AUTO, 0, NULL, NULL, 0,
	    CRM_AMBIGUOUS_REJECT };
	const struct crm_contact_stats *s;
	struct crm_cmd_import im = CRM_CMD_IMPORT_INIT;
	struct crm_import_opts io;
	const char *rejects = NULL;
	struct crm_error err;
	struct crm_cli cli;
	int ch, dry = 0, renorm = 0;

	crm_cli_init(&cli, "crm-add", usage, argc, argv);
	crm_error_clear(&err);
	memset(&io, 0, sizeof(io));
	opts.region = crm_cmd_region();
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS
	    CRM_IMPORT_SHORTOPTS "k:nR:r:", longopts, NULL)) != -1) {
		if (crm_import_opt(&io, ch, optarg, &err) != 0) {
			if (err.code != CRM_EOK)
				crm_die(&err);
			continue;
		}
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
			rejects = optarg;
			break;
		case OPT_ALLOW_OPT_IN:
			opts.allow_opt_in = 1;
			break;
		case OPT_ALLOW_ERASED:
			opts.allow_erased = 1;
			break;
		case OPT_RENORMALISE:
			renorm = 1;
			break;
		case OPT_AMBIGUOUS:
			if (crm_contact_ambiguous_parse(optarg, &opts.ambiguous,
			    &err) < 0)
				crm_die(&err);
			break;
		default:
			crm_cli_opt(&cli, ch, optarg) ||
			    (crm_cli_usage(&cli, CRM_EUSAGE), 0);
		}
	}
	argc -= optind;
	argv += optind;
	if (renorm) {
		if (argc > 0 || rejects != NULL)
			crm_cli_usage(&cli, CRM_EUSAGE);
		return renormalise(&cli, opts.region, dry);
	}

	crm_importer_b_set(&im);
	im.batch.io = &io;
	im.batch.extras_note = 1;
	im.rejects = rejects;
	im.dry = dry;
	im.bulk = 1;
	if ((im.batch.ctx = crm_importer_new(crm_cmd_import_open(&cli, &im,
	    argc, argv), &opts, &err)) == NULL)
		crm_die(&err);
	crm_cmd_import_run(&cli, &im, argc, argv);
	s = crm_importer_stats(im.batch.ctx);
	crm_importer_warnings(im.batch.ctx, warning, NULL);
	{
		const struct crm_count n[] = {
			CRM_COUNT("read", s->read),
			CRM_COUNT("inserted", s->inserted),
			CRM_COUNT("updated", s->updated),
			CRM_COUNT("unchanged", s->unchanged),
			CRM_COUNT("rejected", s->rejected),
			CRM_COUNT_AUDIT("erased", s->erased),
			{ NULL, s->optout_kept, "; ", "kept ", " opt-out (see"
			    " --allow-opt-in)", " opt-outs (see --allow-opt-in)",
			    1 },
			{ NULL, s->erased, "; ", "skipped ", " record of"
			    " erased people", " records of erased people", 1 },
			CRM_COUNT_END
		};

		return crm_cli_finish(crm_cmd_import_end(&cli, &im, n));
	}
}
