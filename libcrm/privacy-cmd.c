/*
 * privacy-cmd.c - crm-forget's audit arguments and lines (privacy-cmd.h).
 */
#include <stdlib.h>

#include "norm.h"
#include "privacy-cmd.h"

static const char dry_run[] = " (dry run: nothing written)";

char **
crm_erasure_audit_args(struct crm_erasure *er, int argc, char **argv,
    int nopt, int replay, struct crm_buf *tags, struct crm_error *err)
{
	char **args;
	size_t *off;
	int i;

	if ((args = calloc((size_t)argc + 1, sizeof(*args))) == NULL ||
	    (off = calloc((size_t)argc + 1, sizeof(*off))) == NULL) {
		free(args);
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	for (i = nopt; i < argc && !replay; i++) {
		off[i] = tags->len;
		if (crm_erasure_tag(er, argv[i], tags, err) < 0 ||
		    crm_buf_addc(tags, '\0', err) < 0) {
			free(args);
			free(off);
			return NULL;
		}
	}
	for (i = 0; i < argc; i++)
		args[i] = i < nopt || replay ? argv[i] : tags->s + off[i];
	free(off);
	return args;
}

int
crm_erasure_notes(const struct crm_erasure *er, int replay, int dry,
    struct crm_buf *warn, struct crm_buf *summary, struct crm_error *err)
{
	const struct crm_erasure_stats *s = crm_erasure_stats(er);
	const char *rules[8];
	int64_t ids[8];
	size_t nr = crm_erasure_rules(er, rules, 8), n, i;

	for (i = 0; i < nr; i++)
		if (crm_buf_addf(warn, err, "segment %s: its rule names an"
		    " erased person; edit it (crm-segment save --replace) or"
		    " drop it\n", rules[i]) < 0)
			return -1;
	if ((n = crm_erasure_sharers(er, ids, 8)) > 0) {
		if (crm_buf_addf(warn, err, "contact%s", n > 1 ? "s" : "") < 0)
			return -1;
		for (i = 0; i < n; i++)
			if (crm_buf_addf(warn, err, "%s #%lld", i ? "," : "",
			    (long long)ids[i]) < 0)
				return -1;
		if (crm_buf_addf(warn, err, "%s still %s an email or phone of"
		    " an erased contact: erase %s too if %s the same person\n",
		    n == 8 ? " and others" : "", n > 1 ? "have" : "has", n > 1 ?
		    "them" : "it", n > 1 ? "they are" : "it is") < 0)
			return -1;
	}
	if (crm_buf_addf(summary, err, "%lld erased (%lld record%s, %lld"
	    " row%s), %lld already erased", (long long)s->subjects,
	    (long long)s->records, s->records == 1 ? "" : "s",
	    (long long)s->rows, s->rows == 1 ? "" : "s",
	    (long long)s->already) < 0 || (replay && crm_buf_addf(summary,
	    err, ", %lld listed", (long long)s->listed) < 0))
		return -1;
	return crm_buf_addf(summary, err, "%s\n", dry ? dry_run : "");
}

int
crm_retention_notes(enum crm_retention_mode mode,
    const struct crm_retention_stats *st, int64_t before, int dry,
    struct crm_buf *summary, struct crm_error *err)
{
	int64_t n = st->purged + st->anonymised;
	char at[21];

	crm_format_time(before, at);
	return crm_buf_addf(summary, err, "%lld interaction%s before %s %s%s\n",
	    (long long)n, n == 1 ? "" : "s", at, mode == CRM_RETAIN_PURGE ?
	    "purged" : "anonymised", dry ? dry_run : "");
}
