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
#include "norm.h"

static const char usage[] =
    "crm-campaign create [-nqtV] [-d db] [-f format] [-H share]\n"
    "[-m max [-p days]] [-P purpose] [-S file] [-s segment]\n"
    "[--allow-overlap] [--stratify] -c channel name [file ...]\n"
    "crm-campaign export [-qt] [-d db] [-f format] [-T template]\n"
    "[--excel-safe] name\n"
    "crm-campaign send [-nq] [-d db] name\n"
    "crm-campaign report [-qt] [-d db] [-f format] [-k kind] [-w days] name\n"
    "crm-campaign list [-t] [-d db] [-f format]\n"
    "crm-campaign close [-q] [-d db] name";

enum { OPT_ALLOW = 0x2000, OPT_STRATIFY };

static const struct option longopts[] = {
	CRM_CLI_LONGOPTS,
	{ "allow-overlap", no_argument, NULL, OPT_ALLOW },
	{ "channel", required_argument, NULL, 'c' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "holdout", required_argument, NULL, 'H' },
	{ "kind", required_argument, NULL, 'k' },
	{ "max-contacts", required_argument, NULL, 'm' },
	{ "per", required_argument, NULL, 'p' },
	{ "purpose", required_argument, NULL, 'P' },
	{ "segment", required_argument, NULL, 's' },
	{ "stratify", no_argument, NULL, OPT_STRATIFY },
	{ "suppressed", required_argument, NULL, 'S' },
	{ "template", required_argument, NULL, 'T' },
	{ "window", required_argument, NULL, 'w' },
	{ NULL, 0, NULL, 0 }
};

/* The subcommands (by initial; x is close) that take each option. */
static const struct { int ch; const char *name, *in; } scope[] = {
	{ 'c', "--channel", "c" }, { 'f', "--format", "cerl" },
	{ 'H', "--holdout", "c" }, { 'k', "--kind", "r" },
	{ 'm', "--max-contacts", "c" }, { 'n', "--dry-run", "cs" },
	{ 'P', "--purpose", "c" }, { 'p', "--per", "c" },
	{ 'S', "--suppressed", "c" }, { 's', "--segment", "c" },
	{ 't', "--tsv", "cerl" }, { 'T', "--template", "e" },
	{ 'w', "--window", "r" }, { OPT_ALLOW, "--allow-overlap", "c" },
	{ OPT_STRATIFY, "--stratify", "c" },
	{ CRM_OPT_EXCEL_SAFE, "--excel-safe", "ce" },
};
#define NSCOPE (sizeof(scope) / sizeof(scope[0]))

static struct crm_cli cli;
static struct crm_error err;
static struct crm_db *db;
static int dry;

static int64_t
days(const char *opt, const char *arg)
{
	int64_t d;

	if (crm_norm_days(arg, &d, &err) < 0 || d <= 0)
		crm_die_usage("%s: bad duration '%s' (such as 30d, 12w, 6m)",
		    opt, arg);
	return d;
}

static void
fail(void)
{
	crm_db_rollback(db);
	crm_die(&err);
}

/* Commit a write (or roll it back with -n), with its audit entry. */
static void
finish_write(const char *counts)
{
	if (dry)
		crm_db_rollback(db);
	else if (crm_db_audit(db, cli.prog, cli.argc, cli.argv, counts,
	    &err) < 0 || crm_db_commit(db, &err) < 0)
		fail();
}

/* --suppressed: written beside its path, renamed into place at commit. */
static char *sup_tmp;
static FILE *sup_fp;

static void
suppressed_open(const char *path)
{
	int fd;

	if (asprintf(&sup_tmp, "%s.tmpXXXXXX", path) < 0 ||
	    (fd = mkstemp(sup_tmp)) < 0 || (sup_fp = fdopen(fd, "w")) == NULL) {
		crm_error_set(&err, CRM_EFAIL, "%s: %s", path, strerror(errno));
		crm_die(&err);
	}
}

static void
suppressed_write(const char *path, const char *name)
{
	struct crm_out *o;

	if ((o = crm_out_new(sup_fp, cli.fmt == CRM_FMT_TABLE ? CRM_FMT_CSV :
	    cli.fmt, cli.excel_safe, &err)) == NULL ||
	    crm_campaign_suppressed(db, name, o, &err) < 0 ||
	    crm_out_end(o, &err) < 0 || fflush(sup_fp) != 0 ||
	    ferror(sup_fp)) {
		if (err.code == CRM_EOK)
			crm_error_set(&err, CRM_EFAIL, "%s: %s", path,
			    strerror(errno));
		unlink(sup_tmp);
		fail();
	}
	crm_out_free(o);
	if (fclose(sup_fp) != 0) {
		crm_error_set(&err, CRM_EFAIL, "%s: %s", path, strerror(errno));
		unlink(sup_tmp);
		fail();
	}
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

static void
cmd_create(struct crm_campaign_opts *o, const char *supp, int argc, char **argv)
{
	struct crm_campaign_targets *t = NULL;
	struct crm_campaign_counts c;
	struct crm_buf counts = CRM_BUF_INIT(4096), why = CRM_BUF_INIT(4096);
	char from[128];
	int i;

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
	if (supp != NULL)
		suppressed_open(supp);
	o->now = crm_now();
	if (crm_db_begin(db, &err) < 0 ||
	    crm_campaign_create(db, o, t, &c, &err) < 0) {
		if (supp != NULL)
			unlink(sup_tmp);
		fail();
	}
	if (supp != NULL)
		suppressed_write(supp, o->name);
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
	crm_buf_addc(&counts, '}', NULL);
	if (why.len)
		crm_buf_addc(&why, ')', NULL);
	finish_write(crm_buf_str(&counts));
	if (supp != NULL && rename(sup_tmp, supp) != 0) {
		crm_error_set(&err, CRM_EFAIL, "%s: %s", supp, strerror(errno));
		crm_die(&err);
	}
	if (o->segment != NULL)
		snprintf(from, sizeof(from), "segment %s", o->segment);
	else
		snprintf(from, sizeof(from), "%lld read", (long long)c.read);
	if (!cli.quiet)
		fprintf(stderr, "crm-campaign: %s: %s, %lld candidates:"
		    " %lld target, %lld control, %lld suppressed%s%s%s\n",
		    o->name, from, (long long)c.members,
		    (long long)c.target, (long long)c.control,
		    (long long)c.suppressed, crm_buf_str(&why), c.rebuilt ?
		    "; draft rebuilt" : "", dry ?
		    " (dry run: nothing written)" : "");
	crm_buf_release(&counts);
	crm_buf_release(&why);
	crm_campaign_targets_free(t);
}

static void
cmd_export(const char *name, const char *template)
{
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
		crm_warn("%s: %lld targets left out: no longer contactable on"
		    " the channel", name, (long long)es.skipped);
	if (es.duplicates)
		crm_warn("%s: %lld targets left out: their address was"
		    " written for another target", name,
		    (long long)es.duplicates);
	if (es.missing) {
		fprintf(stderr, "crm-campaign: warning: %s: %lld placeholders"
		    " rendered empty:", template, (long long)es.missing);
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
}

static void
cmd_send(const char *name)
{
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
}

static void
cmd_report(const char *name, int64_t window, const char *kind)
{
	struct crm_campaign_report_info info;
	struct crm_out *o;
	char t0[21], t1[21];

	db = crm_cli_db(&cli, 0);
	o = crm_cli_out_auto(&cli);
	if (crm_campaign_report(db, name, window, kind, o, &info, &err) < 0 ||
	    crm_out_end(o, &err) < 0)
		crm_die(&err);
	crm_format_time(info.sent_at, t0);
	crm_format_time(info.window_end, t1);
	if (info.window_end > crm_now())
		crm_warn("%s: the window runs until %s: responses are still"
		    " coming in", name, t1);
	if (info.control == 0)
		crm_warn("%s: no control group: the uplift cannot be"
		    " measured", name);
	if (!cli.quiet)
		fprintf(stderr, "crm-campaign: %s: sent %s, %s responses until"
		    " %s\n", name, t0, kind, t1);
	crm_out_free(o);
}

int
main(int argc, char **argv)
{
	struct crm_campaign_opts o;
	const char *cmd, *supp = NULL, *template = NULL, *kind = "purchase";
	const char *was;
	int64_t window = 30;
	int ch, letter, per_set = 0, seen[NSCOPE];
	size_t i;

	crm_cli_init(&cli, "crm-campaign", usage, argc, argv);
	crm_error_clear(&err);
	memset(&o, 0, sizeof(o));
	memset(seen, 0, sizeof(seen));
	o.per_days = 30;
	while ((ch = getopt_long(argc, argv, CRM_CLI_SHORTOPTS
	    "c:H:k:m:nP:p:S:s:T:w:", longopts, NULL)) != -1) {
		for (i = 0; i < NSCOPE; i++)
			if (scope[i].ch == ch)
				seen[i] = 1;
		switch (ch) {
		case 'c':
			if ((o.channel = crm_campaign_channel(optarg)) == NULL)
				crm_die_usage("--channel: '%s' is not email,"
				    " sms, phone or mail", optarg);
			break;
		case 'H':
			if (crm_campaign_share(optarg, &o.holdout, &err) < 0)
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
			o.max_contacts = crm_cli_num("--max-contacts", optarg,
			    1, 1000000);
			break;
		case 'n':
			dry = 1;
			break;
		case 'P':
			if ((o.purpose = crm_campaign_purpose(optarg)) == NULL)
				crm_die_usage("--purpose: '%s' is not"
				    " cross-sell, up-sell, retention or"
				    " acquisition", optarg);
			break;
		case 'p':
			o.per_days = days("--per", optarg);
			per_set = 1;
			break;
		case 'S':
			supp = optarg;
			break;
		case 's':
			o.segment = optarg;
			break;
		case 'T':
			template = optarg;
			break;
		case 'w':
			window = days("--window", optarg);
			break;
		case OPT_ALLOW:
			o.allow_overlap = 1;
			break;
		case OPT_STRATIFY:
			o.stratify = 1;
			break;
		default:
			crm_cli_opt(&cli, ch, optarg) ||
			    (crm_cli_usage(&cli, CRM_EUSAGE), 0);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		crm_cli_usage(&cli, CRM_EUSAGE);
	cmd = argv[0];
	if (strcmp(cmd, "create") && strcmp(cmd, "export") &&
	    strcmp(cmd, "send") && strcmp(cmd, "report") &&
	    strcmp(cmd, "list") && strcmp(cmd, "close"))
		crm_die_usage("unknown command '%s' (create, export, send,"
		    " report, list or close)", cmd);
	letter = strcmp(cmd, "close") == 0 ? 'x' : cmd[0];
	for (i = 0; i < NSCOPE; i++)
		if (seen[i] && strchr(scope[i].in, letter) == NULL)
			crm_die_usage("%s: %s does not apply", cmd,
			    scope[i].name);
	if (per_set && o.max_contacts == 0)
		crm_die_usage("create: --per needs --max-contacts");
	if (strcmp(cmd, "list") == 0) {
		struct crm_out *out;

		if (argc != 1)
			crm_cli_usage(&cli, CRM_EUSAGE);
		db = crm_cli_db(&cli, 0);
		out = crm_cli_out_auto(&cli);
		if (crm_campaign_list(db, out, &err) < 0 ||
		    crm_out_end(out, &err) < 0)
			crm_die(&err);
		crm_out_free(out);
		goto out;
	}
	if (argc < 2 || (argc > 2 && strcmp(cmd, "create") != 0))
		crm_cli_usage(&cli, CRM_EUSAGE);
	o.name = argv[1];
	if (crm_campaign_check_name(o.name, &err) < 0)
		crm_die(&err);
	crm_cli_output(&cli, "--suppressed", supp);
	if (strcmp(cmd, "create") == 0)
		cmd_create(&o, supp, argc - 2, argv + 2);
	else if (strcmp(cmd, "export") == 0)
		cmd_export(o.name, template);
	else if (strcmp(cmd, "send") == 0)
		cmd_send(o.name);
	else if (strcmp(cmd, "report") == 0)
		cmd_report(o.name, window, kind);
	else {
		db = crm_cli_db(&cli, 0);
		if (crm_db_begin(db, &err) < 0 ||
		    crm_campaign_close(db, o.name, &was, &err) < 0)
			fail();
		finish_write("{\"closed\":1}");
		if (!cli.quiet)
			fprintf(stderr, "crm-campaign: %s: closed (was %s)\n",
			    o.name, was);
	}
out:
	crm_db_close(db);
	return crm_cli_finish(0);
}
