/*
 * campaign-cmd.c - what crm-campaign says about a run (campaign-cmd.h).
 */
#include <stdio.h>

#include "campaign-cmd.h"
#include "norm.h"
#include "num.h"

static const char dry_run[] = " (dry run: nothing written)";

int
crm_campaign_targets_file(struct crm_campaign_targets *t, const char *path,
    int flags, void (*progress)(void *arg, int64_t n, const char *what),
    void *arg, struct crm_error *err)
{
	struct crm_csv *r;
	int rc;

	if ((r = crm_csv_open(path, flags, err)) == NULL)
		return -1;
	if ((rc = crm_campaign_targets_header(t, r, err)) == 0)
		while ((rc = crm_csv_next(r, err)) == 1) {
			if ((rc = crm_campaign_targets_row(t, r, err)) < 0)
				break;
			if (progress != NULL)
				progress(arg, crm_campaign_targets_count(t),
				    "targets");
		}
	crm_csv_close(r);
	return rc < 0 ? -1 : 0;
}

int
crm_campaign_suppressed_file(struct crm_db *db, const char *name,
    struct crm_outfile *f, enum crm_fmt fmt, int excel_safe,
    struct crm_error *err)
{
	struct crm_out *o;
	int rc;

	if ((o = crm_out_new(crm_outfile_fp(f), fmt == CRM_FMT_TABLE ?
	    CRM_FMT_CSV : fmt, excel_safe, err)) == NULL)
		return -1;
	rc = crm_campaign_suppressed(db, name, o, err) < 0 ||
	    crm_out_end(o, err) < 0 ? -1 : 0;
	crm_out_free(o);
	return rc < 0 ? -1 : crm_outfile_close(f, err);
}

int
crm_campaign_create_notes(const struct crm_campaign_opts *o,
    const struct crm_campaign_counts *c, int dry, struct crm_buf *json,
    struct crm_buf *summary, struct crm_error *err)
{
	struct crm_buf why = CRM_BUF_INIT(4096);
	int i, rc = -1;

	if (crm_buf_addf(json, err, "{\"read\":%lld,\"members\":%lld,"
	    "\"target\":%lld,\"control\":%lld,\"suppressed\":%lld",
	    (long long)c->read, (long long)c->members, (long long)c->target,
	    (long long)c->control, (long long)c->suppressed) < 0)
		goto done;
	for (i = 0; i <= CRM_CAMPAIGN_NREASONS; i++) {
		const char *k = i < CRM_CAMPAIGN_NREASONS ?
		    crm_campaign_reasons[i] : "household";
		int64_t n = i < CRM_CAMPAIGN_NREASONS ? c->reason[i] :
		    c->household;

		if (n != 0 && (crm_buf_addf(json, err, ",\"%s\":%lld", k,
		    (long long)n) < 0 || crm_buf_addf(&why, err, "%s%s %lld",
		    why.len ? ", " : " (", k, (long long)n) < 0))
			goto done;
	}
	if (crm_buf_addc(json, '}', err) < 0 ||
	    (why.len && crm_buf_addc(&why, ')', err) < 0))
		goto done;
	if (o->segment != NULL)
		rc = crm_buf_addf(summary, err, "%s: segment %s", o->name,
		    o->segment);
	else
		rc = crm_buf_addf(summary, err, "%s: %lld read", o->name,
		    (long long)c->read);
	if (rc == 0)
		rc = crm_buf_addf(summary, err, ", %lld %s: %lld target, %lld"
		    " control, %lld suppressed%s%s%s\n", (long long)c->members,
		    crm_num_word(c->members, "candidate", "candidates"),
		    (long long)c->target, (long long)c->control,
		    (long long)c->suppressed, crm_buf_str(&why), c->rebuilt ?
		    "; draft rebuilt" : "", dry ? dry_run : "");
done:
	crm_buf_release(&why);
	return rc;
}

int
crm_campaign_export_notes(const char *name, const char *template,
    const struct crm_campaign_template *tp,
    const struct crm_campaign_export_stats *es, struct crm_buf *warn,
    struct crm_buf *summary, struct crm_error *err)
{
	size_t i;
	int64_t n;

	if (es->skipped && crm_buf_addf(warn, err, "%s: %lld %s left out: no"
	    " longer contactable on the channel\n", name,
	    (long long)es->skipped, crm_num_word(es->skipped, "target",
	    "targets")) < 0)
		return -1;
	if (es->duplicates && crm_buf_addf(warn, err, "%s: %lld %s left out:"
	    " their address was written for another target\n", name,
	    (long long)es->duplicates, crm_num_word(es->duplicates, "target",
	    "targets")) < 0)
		return -1;
	if (es->missing) {
		if (crm_buf_addf(warn, err, "warning: %s: %lld %s rendered"
		    " empty:", template, (long long)es->missing,
		    crm_num_word(es->missing, "placeholder",
		    "placeholders")) < 0)
			return -1;
		for (i = 0; i < crm_campaign_template_nfields(tp); i++) {
			const char *f = crm_campaign_template_missing(tp, i, &n);

			if (n && crm_buf_addf(warn, err, " %s %lld", f,
			    (long long)n) < 0)
				return -1;
		}
		if (crm_buf_addc(warn, '\n', err) < 0)
			return -1;
	}
	return crm_buf_addf(summary, err, "%s: %lld exported\n", name,
	    (long long)es->rows);
}

int
crm_campaign_send_notes(const char *name,
    const struct crm_campaign_send_stats *ss, int dry, struct crm_buf *json,
    struct crm_buf *summary, struct crm_error *err)
{
	if (crm_buf_addf(json, err, "{\"sent\":%lld,\"already\":%lld,"
	    "\"skipped\":%lld}", (long long)ss->sent, (long long)ss->already,
	    (long long)ss->skipped) < 0)
		return -1;
	return crm_buf_addf(summary, err, "%s: %lld sent, %lld already sent,"
	    " %lld not contactable%s\n", name, (long long)ss->sent,
	    (long long)ss->already, (long long)ss->skipped, dry ? dry_run : "");
}

int
crm_campaign_report_notes(const char *name, const char *kind,
    const struct crm_campaign_result *res, int64_t now, struct crm_buf *warn,
    struct crm_buf *summary, struct crm_error *err)
{
	char t0[21], t1[21];

	crm_format_time(res->sent_at, t0);
	crm_format_time(res->window_end, t1);
	if (res->window_end > now && crm_buf_addf(warn, err, "%s: the window"
	    " runs until %s: responses are still coming in\n", name, t1) < 0)
		return -1;
	if (res->control.contacts == 0 && crm_buf_addf(warn, err, "%s: no"
	    " control group: the uplift cannot be measured\n", name) < 0)
		return -1;
	return crm_buf_addf(summary, err, "%s: sent %s, %s responses until"
	    " %s\n", name, t0, kind, t1);
}
