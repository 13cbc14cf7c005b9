/*
 * crm-campaign - targeted campaigns: select with suppression and a control
 * group, export the mail-merge list, record the send, report the uplift.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "campaign.h"
#include "cli.h"
#include "num.h"
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

static int64_t
days(const char *name, const char *arg)
{
	int64_t d;

	if (crm_norm_days(arg, &d, &err) < 0 || d <= 0)
		crm_die_usage("%s: bad duration '%s' (such as 30d, 12w, 6m)",
		    name, arg);
	return d;
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
finish_write(const char *counts)
{
	if (crm_cli_commit(&cli, db, dry, counts, &err) < 0)
		fail();
}

static void
suppressed_write(const char *name)
{
	struct crm_out *o;

	if ((o = crm_out_new(crm_outfile_fp(sup), cli.fmt == CRM_FMT_TABLE ?
	    CRM_FMT_CSV : cli.fmt, cli.excel_safe, &err)) == NULL ||
	    crm_campaign_suppressed(db, name, o, &err) < 0 ||
	    crm_out_end(o, &err) < 0 || crm_outfile_close(sup, &err) < 0)
		fail();
	crm_out_free(o);
}

static void
stage(struct crm_campaign_targets *t, const char *path)
{
	struct crm_csv *r;
	int rc;

	if ((r = crm_csv_open(path, cli.tsv ? CRM_CSV_TSV : 0, &err)) == NULL ||
	    crm_campaign_targets_header(t, r, &err) < 0)
		crm_die(&err);
	while ((rc = crm_csv_next(r, &err)) == 1) {
		if (crm_campaign_targets_row(t, r, &err) < 0)
			crm_die(&err);
		crm_progress(&cli, crm_campaign_targets_count(t), "targets");
	}
	if (rc < 0)
		crm_die(&err);
	crm_csv_close(r);
}

static int
cmd_create(struct crm_cli *cl, int what, int argc, char **argv)
{
	struct crm_campaign_opts *o = &opt;
	struct crm_campaign_targets *t = NULL;
	struct crm_campaign_counts c;
	struct crm_buf counts = CRM_BUF_INIT(4096), why = CRM_BUF_INIT(4096);
	char from[128];
	int i;

	name_arg(argc, argv, argc);
	argc--;
	argv++;
	if (o->channel == NULL)
		crm_die_usage("create: --channel is required (email, sms,"
		    " phone or mail)");
	if (o->segment != NULL && argc > 0)
		crm_die_usage("create: --segment and input files exclude each"
		    " other");
	crm_batch_check_inputs(argc, argv);
	db = crm_cli_db(&cli, 0);
	if (o->segment == NULL) {
		if ((t = crm_campaign_targets_new(db, &err)) == NULL)
			crm_die(&err);
		for (i = 0; i < (argc ? argc : 1); i++)
			stage(t, argc ? argv[i] : "-");
		crm_progress_end(&cli);
		if (crm_campaign_targets_end(t, &err) < 0)
			crm_die(&err);
	}
	if (supp != NULL && (sup = crm_outfile_open(supp, &err)) == NULL)
		crm_die(&err);
	o->now = crm_now();
	if (crm_db_begin(db, &err) < 0 ||
	    crm_campaign_create(db, o, t, &c, &err) < 0)
		fail();
	if (sup != NULL)
		suppressed_write(o->name);
	/* The counts, for the audit (JSON) and the summary line. */
	crm_buf_addf(&counts, NULL, "{\"read\":%lld,\"members\":%lld,"
	    "\"target\":%lld,\"control\":%lld,\"suppressed\":%lld",
	    (long long)c.read, (long long)c.members, (long long)c.target,
	    (long long)c.control, (long long)c.suppressed);
	for (i = 0; i < CRM_CAMPAIGN_NREASONS; i++) {
		if (c.reason[i] == 0)
			continue;
		crm_buf_addf(&counts, NULL, ",\"%s\":%lld",
		    crm_campaign_reasons[i], (long long)c.reason[i]);
		crm_buf_addf(&why, NULL, "%s%s %lld", why.len ? ", " : " (",
		    crm_campaign_reasons[i], (long long)c.reason[i]);
	}
	if (c.household) {
		crm_buf_addf(&counts, NULL, ",\"household\":%lld",
		    (long long)c.household);
		crm_buf_addf(&why, NULL, "%shousehold %lld", why.len ? ", " :
		    " (", (long long)c.household);
	}
	crm_buf_addc(&counts, '}', NULL);
	if (why.len)
		crm_buf_addc(&why, ')', NULL);
	finish_write(crm_buf_str(&counts));
	if (sup != NULL) {
		struct crm_outfile *f = sup;

		sup = NULL;
		if (crm_outfile_commit(f, &err) < 0)
			crm_die(&err);
	}
	if (o->segment != NULL)
		snprintf(from, sizeof(from), "segment %s", o->segment);
	else
		snprintf(from, sizeof(from), "%lld read", (long long)c.read);
	if (!cli.quiet)
		fprintf(stderr, "crm-campaign: %s: %s, %lld %s:"
		    " %lld target, %lld control, %lld suppressed%s%s%s\n",
		    o->name, from, (long long)c.members,
		    crm_num_word(c.members, "candidate", "candidates"),
		    (long long)c.target, (long long)c.control,
		    (long long)c.suppressed, crm_buf_str(&why), c.rebuilt ?
		    "; draft rebuilt" : "", dry ?
		    " (dry run: nothing written)" : "");
	crm_buf_release(&counts);
	crm_buf_release(&why);
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
	int64_t n;
	size_t i;

	db = crm_cli_db(&cli, 0);
	if ((template != NULL && (tp = crm_campaign_template_load(template,
	    &err)) == NULL))
		crm_die(&err);
	o = crm_cli_out(&cli);
	if (crm_campaign_export(db, name, tp, o, &es, &err) < 0 ||
	    crm_out_end(o, &err) < 0)
		crm_die(&err);
	if (es.skipped)
		crm_warn("%s: %lld %s left out: no longer contactable on"
		    " the channel", name, (long long)es.skipped,
		    crm_num_word(es.skipped, "target", "targets"));
	if (es.duplicates)
		crm_warn("%s: %lld %s left out: their address was"
		    " written for another target", name,
		    (long long)es.duplicates, crm_num_word(es.duplicates,
		    "target", "targets"));
	if (es.missing) {
		fprintf(stderr, "crm-campaign: warning: %s: %lld %s"
		    " rendered empty:", template, (long long)es.missing,
		    crm_num_word(es.missing, "placeholder", "placeholders"));
		for (i = 0; i < crm_campaign_template_nfields(tp); i++) {
			const char *f = crm_campaign_template_missing(tp, i,
			    &n);

			if (n)
				fprintf(stderr, " %s %lld", f, (long long)n);
		}
		fputc('\n', stderr);
	}
	if (!cli.quiet)
		fprintf(stderr, "crm-campaign: %s: %lld exported\n", name,
		    (long long)es.rows);
	crm_out_free(o);
	crm_campaign_template_free(tp);
	return 0;
}

static int
cmd_send(struct crm_cli *cl, int what, int argc, char **argv)
{
	const char *name = name_arg(argc, argv, 1);
	struct crm_campaign_send_stats ss;
	char counts[256];

	db = crm_cli_db(&cli, 0);
	if (crm_db_begin(db, &err) < 0 ||
	    crm_campaign_send(db, name, crm_now(), &ss, &err) < 0)
		fail();
	snprintf(counts, sizeof(counts), "{\"sent\":%lld,\"already\":%lld,"
	    "\"skipped\":%lld}", (long long)ss.sent, (long long)ss.already,
	    (long long)ss.skipped);
	finish_write(counts);
	if (!cli.quiet)
		fprintf(stderr, "crm-campaign: %s: %lld sent, %lld already"
		    " sent, %lld not contactable%s\n", name, (long long)ss.sent,
		    (long long)ss.already, (long long)ss.skipped, dry ?
		    " (dry run: nothing written)" : "");
	return 0;
}

static int
cmd_report(struct crm_cli *cl, int what, int argc, char **argv)
{
	const char *name = name_arg(argc, argv, 1);
	struct crm_campaign_result res;
	struct crm_out *o;
	char t0[21], t1[21];

	db = crm_cli_db(&cli, 0);
	o = crm_cli_out_auto(&cli);
	if (crm_campaign_measure_in(db, name, window, kind, *currency ?
	    currency : NULL, &res, &err) < 0 ||
	    crm_campaign_report_write(o, &res, &err) < 0 ||
	    crm_out_end(o, &err) < 0)
		crm_die(&err);
	crm_format_time(res.sent_at, t0);
	crm_format_time(res.window_end, t1);
	if (res.window_end > crm_now())
		crm_warn("%s: the window runs until %s: responses are still"
		    " coming in", name, t1);
	if (res.control.contacts == 0)
		crm_warn("%s: no control group: the uplift cannot be"
		    " measured", name);
	if (!cli.quiet)
		fprintf(stderr, "crm-campaign: %s: sent %s, %s responses until"
		    " %s\n", name, t0, kind, t1);
	crm_out_free(o);
	return 0;
}

static int
cmd_list(struct crm_cli *cl, int what, int argc, char **argv)
{
	struct crm_out *out;

	if (argc != 0)
		crm_cli_usage(&cli, CRM_EUSAGE);
	db = crm_cli_db(&cli, 0);
	out = crm_cli_out_auto(&cli);
	if (crm_campaign_list(db, out, &err) < 0 ||
	    crm_out_end(out, &err) < 0)
		crm_die(&err);
	crm_out_free(out);
	return 0;
}

static int
cmd_close(struct crm_cli *cl, int what, int argc, char **argv)
{
	const char *name = name_arg(argc, argv, 1), *was;

	db = crm_cli_db(&cli, 0);
	if (crm_db_begin(db, &err) < 0 ||
	    crm_campaign_close(db, name, &was, &err) < 0)
		fail();
	finish_write("{\"closed\":1}");
	if (!cli.quiet)
		fprintf(stderr, "crm-campaign: %s: closed (was %s)\n", name,
		    was);
	return 0;
}

static const struct crm_cmd cmds[] = {
	{ "create", cmd_create, 0, u_create, (const int[]){ 'c', 'f', 'H', 'm',
	    'n', 'P', 'p', 'S', 's', 't', OPT_ALLOW, OPT_STRATIFY, OPT_HOUSEHOLD,
	    CRM_OPT_EXCEL_SAFE, 0 } },
	{ "export", cmd_export, 0, u_export, (const int[]){ 'f', 't', 'T',
	    CRM_OPT_EXCEL_SAFE, 0 } },
	{ "send", cmd_send, 0, u_send, (const int[]){ 'n', 0 } },
	{ "report", cmd_report, 0, u_report, (const int[]){ 'C', 'f', 'k', 't',
	    'w', 0 } },
	{ "list", cmd_list, 0, u_list, (const int[]){ 'f', 't', 0 } },
	{ "close", cmd_close, 0, u_close, (const int[]){ 0 } },
	{ NULL, NULL, 0, NULL, NULL }
};

int
main(int argc, char **argv)
{
	const struct crm_cmd *cmd;
	int ch, per_set = 0, seen[64];
	size_t i, nseen = 0;

	crm_cli_init(&cli, "crm-campaign", crm_cmd_usage(cmds), argc, argv);
	crm_error_clear(&err);
	opt.per_days = 30;
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS
	    "C:c:H:k:m:nP:p:S:s:T:w:", longopts, NULL)) != -1) {
		if (nseen < sizeof(seen) / sizeof(seen[0]))
			seen[nseen++] = ch;
		switch (ch) {
		case 'C':
			if (crm_norm_currency(optarg, currency, &err) < 0)
				crm_die_usage("--currency: %s", err.msg);
			break;
		case 'c':
			opt.channel = crm_campaign_channel(optarg);
			if (opt.channel == NULL)
				crm_die_usage("--channel: '%s' is not email,"
				    " sms, phone or mail", optarg);
			break;
		case 'H':
			if (crm_campaign_share(optarg, &opt.holdout, &err) < 0)
				crm_die(&err);
			break;
		case 'k':
			for (i = 0; optarg[i] != '\0'; i++)
				if (!islower((unsigned char)optarg[i]) &&
				    !isdigit((unsigned char)optarg[i]) &&
				    optarg[i] != '_' && optarg[i] != '-')
					break;
			if (i == 0 || optarg[i] != '\0')
				crm_die_usage("--kind: '%s' is not a kind such"
				    " as purchase", optarg);
			kind = optarg;
			break;
		case 'm':
			opt.max_contacts = crm_cli_num("--max-contacts", optarg,
			    1, 1000000);
			break;
		case 'n':
			dry = 1;
			break;
		case 'P':
			opt.purpose = crm_campaign_purpose(optarg);
			if (opt.purpose == NULL)
				crm_die_usage("--purpose: '%s' is not"
				    " cross-sell, up-sell, retention or"
				    " acquisition", optarg);
			break;
		case 'p':
			opt.per_days = days("--per", optarg);
			per_set = 1;
			break;
		case 'S':
			supp = optarg;
			break;
		case 's':
			opt.segment = optarg;
			break;
		case 'T':
			template = optarg;
			break;
		case 'w':
			window = days("--window", optarg);
			break;
		case OPT_ALLOW:
			opt.allow_overlap = 1;
			break;
		case OPT_HOUSEHOLD:
			opt.per_household = 1;
			break;
		case OPT_STRATIFY:
			opt.stratify = 1;
			break;
		default:
			crm_cli_opt(&cli, ch, optarg) ||
			    (crm_cli_usage(&cli, CRM_EUSAGE), 0);
		}
	}
	argc -= optind;
	argv += optind;
	cmd = crm_cmd_find(&cli, cmds, argc > 0 ? argv[0] : NULL, NULL);
	crm_cmd_check(cmd, seen, nseen, longopts);
	if (per_set && opt.max_contacts == 0)
		crm_die_usage("create: --per needs --max-contacts");
	crm_cli_output(&cli, "--suppressed", supp);
	cmd->fn(&cli, cmd->what, argc - 1, argv + 1);
	crm_db_close(db);
	return crm_cli_finish(0);
}
