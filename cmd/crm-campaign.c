/*
 * crm-campaign - targeted campaigns: select with suppression and a control
 * group, export the mail-merge list, record the send, report the uplift.
 */
#include <getopt.h>
#include <stdio.h>

#include "campaign-cmd.h"
#include "cli.h"
#include "cmd.h"
#include "norm.h"
#include "outfile.h"

static const char u_create[] =
    "crm-campaign create [-nqtV] [-d db] [-f format] [-H share]\n"
    "[-m max [-p days]] [-P purpose] [-S file] [-s segment]\n"
    "[--allow-overlap] [--per-household] [--stratify] -c channel name\n"
    "[file ...]";
static const char u_export[] =
    "crm-campaign export [-qt] [-d db] [-f format] [-T template]\n"
    "[--excel-safe] name";
static const char u_send[] = "crm-campaign send [-nq] [-d db] name";
static const char u_report[] =
    "crm-campaign report [-qt] [-C currency] [-d db] [-f format] [-k kind]\n"
    "[-w days] name";
static const char u_list[] = "crm-campaign list [-t] [-d db] [-f format]";
static const char u_close[] = "crm-campaign close [-q] [-d db] name";

enum { OPT_ALLOW = 0x2000, OPT_STRATIFY, OPT_HOUSEHOLD };

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	{ "allow-overlap", no_argument, NULL, OPT_ALLOW },
	{ "channel", required_argument, NULL, 'c' },
	{ "currency", required_argument, NULL, 'C' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "holdout", required_argument, NULL, 'H' },
	{ "kind", required_argument, NULL, 'k' },
	{ "max-contacts", required_argument, NULL, 'm' },
	{ "per", required_argument, NULL, 'p' },
	{ "purpose", required_argument, NULL, 'P' },
	{ "segment", required_argument, NULL, 's' },
	{ "per-household", no_argument, NULL, OPT_HOUSEHOLD },
	{ "stratify", no_argument, NULL, OPT_STRATIFY },
	{ "suppressed", required_argument, NULL, 'S' },
	{ "template", required_argument, NULL, 'T' },
	{ "window", required_argument, NULL, 'w' },
	{ NULL, 0, NULL, 0 }
};

static struct crm_cli cli;
static struct crm_error err;
static struct crm_db *db;
static int dry;

/* The options, for whichever subcommand takes them. */
static struct crm_campaign_opts opt;
static const char *supp, *template, *kind = "purchase";
static int64_t window = 30;
static char currency[4];
/* What a run says: warnings (even with -q), the summary (unless -q). */
static struct crm_buf json = CRM_BUF_INIT(4096), warn = CRM_BUF_INIT(4096),
    summary = CRM_BUF_INIT(4096);

/* The campaign name, first of the operands: at most max of them. */
static const char *
name_arg(int argc, char **argv, int max)
{
	if (argc < 1 || argc > max)
		crm_cli_usage(&cli, CRM_EUSAGE);
	if (crm_campaign_check_name(argv[0], &err) < 0)
		crm_die(&err);
	opt.name = argv[0];
	return argv[0];
}

/* --suppressed: written beside its path, renamed into place at commit. */
static struct crm_outfile *sup;

static void
fail(void)
{
	crm_outfile_discard(sup);
	crm_db_rollback(db);
	crm_die(&err);
}

/* Commit a write (or roll it back with -n), with its audit entry. */
static void
finish_write(void)
{
	if (crm_cli_commit(&cli, db, dry, crm_buf_str(&json), &err) < 0)
		fail();
}

static int
cmd_create(struct crm_cli *cl, int what, int argc, char **argv)
{
	struct crm_campaign_targets *t = NULL;
	struct crm_campaign_counts c;
	struct crm_outfile *f;
	int i;

	name_arg(argc, argv, argc);
	if (opt.channel == NULL)
		crm_die_usage("create: --channel is required (email, sms,"
		    " phone or mail)");
	if (opt.segment != NULL && argc > 1)
		crm_die_usage("create: --segment and input files exclude each"
		    " other");
	crm_batch_check_inputs(argc - 1, argv + 1);
	db = crm_cli_db(&cli, 0);
	if (opt.segment == NULL) {
		if ((t = crm_campaign_targets_new(db, &err)) == NULL)
			crm_die(&err);
		for (i = 1; i < (argc > 1 ? argc : 2); i++)
			if (crm_campaign_targets_file(t, argc > 1 ? argv[i] :
			    "-", cli.tsv ? CRM_CSV_TSV : 0, crm_cmd_progress, &cli,
			    &err) < 0)
				crm_die(&err);
		crm_progress_end(&cli);
		if (crm_campaign_targets_end(t, &err) < 0)
			crm_die(&err);
	}
	if (supp != NULL && (sup = crm_outfile_open(supp, &err)) == NULL)
		crm_die(&err);
	opt.now = crm_now();
	if (crm_db_begin(db, &err) < 0 ||
	    crm_campaign_create(db, &opt, t, &c, &err) < 0 || (sup != NULL &&
	    crm_campaign_suppressed_file(db, opt.name, sup, cli.fmt,
	    cli.excel_safe, &err) < 0) || crm_campaign_create_notes(&opt, &c,
	    dry, &json, &summary, &err) < 0)
		fail();
	finish_write();
	if ((f = sup) != NULL && (sup = NULL, crm_outfile_commit(f, &err)) < 0)
		crm_die(&err);
	crm_campaign_targets_free(t);
	return 0;
}

static int
cmd_export(struct crm_cli *cl, int what, int argc, char **argv)
{
	const char *name = name_arg(argc, argv, 1);
	struct crm_campaign_template *tp = NULL;
	struct crm_campaign_export_stats es;
	struct crm_out *o;

	db = crm_cli_db(&cli, 0);
	if ((template != NULL && (tp = crm_campaign_template_load(template,
	    &err)) == NULL))
		crm_die(&err);
	o = crm_cli_out(&cli);
	if (crm_campaign_export(db, name, tp, o, &es, &err) < 0 ||
	    crm_out_end(o, &err) < 0 || crm_campaign_export_notes(name,
	    template, tp, &es, &warn, &summary, &err) < 0)
		crm_die(&err);
	crm_out_free(o);
	crm_campaign_template_free(tp);
	return 0;
}

/* send and close: 'S' or 'C' in what. */
static int
cmd_write(struct crm_cli *cl, int what, int argc, char **argv)
{
	const char *name = name_arg(argc, argv, 1), *was;
	struct crm_campaign_send_stats ss;

	db = crm_cli_db(&cli, 0);
	if (crm_db_begin(db, &err) < 0 || (what == 'S' ?
	    crm_campaign_send(db, name, crm_now(), &ss, &err) < 0 ||
	    crm_campaign_send_notes(name, &ss, dry, &json, &summary, &err) < 0 :
	    crm_campaign_close(db, name, &was, &err) < 0 ||
	    crm_buf_addf(&json, &err, "{\"closed\":1}") < 0 ||
	    crm_buf_addf(&summary, &err, "%s: closed (was %s)\n", name,
	    was) < 0))
		fail();
	finish_write();
	return 0;
}

/* report and list: rows on standard output (name NULL: list). */
static int
reader(struct crm_db *d, struct crm_out *o, void *name, struct crm_error *e)
{
	struct crm_campaign_result res;

	if (name == NULL)
		return crm_campaign_list(d, o, e);
	if (crm_campaign_measure_in(d, name, window, kind, *currency ?
	    currency : NULL, &res, e) < 0 ||
	    crm_campaign_report_write(o, &res, e) < 0)
		return -1;
	return crm_campaign_report_notes(name, kind, &res, crm_now(), &warn,
	    &summary, e);
}

static int
cmd_read(struct crm_cli *cl, int what, int argc, char **argv)
{
	if (what == 'L' && argc != 0)
		crm_cli_usage(&cli, CRM_EUSAGE);
	return crm_cmd_read(&cli, reader, what == 'L' ? NULL :
	    (void *)name_arg(argc, argv, 1));
}

static const struct crm_cmd cmds[] = {
	{ "create", cmd_create, 0, u_create, (const int[]){ 'c', 'f', 'H', 'm',
	    'n', 'P', 'p', 'S', 's', 't', OPT_ALLOW, OPT_STRATIFY, OPT_HOUSEHOLD,
	    CRM_OPT_EXCEL_SAFE, 0 } },
	{ "export", cmd_export, 0, u_export, (const int[]){ 'f', 't', 'T',
	    CRM_OPT_EXCEL_SAFE, 0 } },
	{ "send", cmd_write, 'S', u_send, (const int[]){ 'n', 0 } },
	{ "report", cmd_read, 'R', u_report, (const int[]){ 'C', 'f', 'k', 't',
	    'w', 0 } },
	{ "list", cmd_read, 'L', u_list, (const int[]){ 'f', 't', 0 } },
	{ "close", cmd_write, 'C', u_close, (const int[]){ 0 } },
	{ NULL, NULL, 0, NULL, NULL }
};

int
main(int argc, char **argv)
{
	const struct crm_cmd *cmd;
	const struct crm_cmd_opt opts[] = {
		CRM_CMD_NUM('m', "--max-contacts", &opt.max_contacts, 1,
		    1000000),
		CRM_CMD_FLAG('n', &dry), CRM_CMD_DAYS('p', "--per", &opt.per_days),
		CRM_CMD_STR('S', &supp), CRM_CMD_STR('s', &opt.segment),
		CRM_CMD_STR('T', &template), CRM_CMD_DAYS('w', "--window", &window),
		CRM_CMD_FLAG(OPT_ALLOW, &opt.allow_overlap),
		CRM_CMD_FLAG(OPT_HOUSEHOLD, &opt.per_household),
		CRM_CMD_FLAG(OPT_STRATIFY, &opt.stratify), CRM_CMD_OPT_END
	};
	int ch, rc;

	crm_cli_init(&cli, "crm-campaign", crm_cmd_usage(cmds), argc, argv);
	crm_error_clear(&err);
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS
	    "C:c:H:k:m:nP:p:S:s:T:w:", longopts, NULL)) != -1) {
		if (crm_cmd_opt(&cli, opts, ch, optarg))
			continue;
		switch (ch) {
		case 'C':
			if (crm_norm_currency(optarg, currency, &err) < 0)
				crm_die_usage("--currency: %s", err.msg);
			break;
		case 'c':
			rc = crm_campaign_set_channel(&opt, optarg, &err);
			break;
		case 'H':
			rc = crm_campaign_share(optarg, &opt.holdout, &err);
			break;
		case 'k':
			rc = crm_campaign_check_kind(kind = optarg, &err);
			break;
		case 'P':
			rc = crm_campaign_set_purpose(&opt, optarg, &err);
			break;
		default:
			crm_cli_usage(&cli, CRM_EUSAGE);
		}
		if (rc < 0)
			crm_die(&err);
	}
	argc -= optind;
	argv += optind;
	cmd = crm_cmd_find(&cli, cmds, argc > 0 ? argv[0] : NULL, NULL);
	crm_cmd_check_seen(cmd, longopts);
	if (opt.per_days != 0 && opt.max_contacts == 0)
		crm_die_usage("create: --per needs --max-contacts");
	if (opt.per_days == 0)
		opt.per_days = 30;
	crm_cli_output(&cli, "--suppressed", supp);
	cmd->fn(&cli, cmd->what, argc - 1, argv + 1);
	crm_cmd_say(crm_buf_str(&warn));
	if (!cli.quiet)
		crm_cmd_say(crm_buf_str(&summary));
	crm_db_close(db);
	return crm_cli_finish(0);
}
