/*
 * dedupe-cmd.c - what crm-dedupe says about a run (dedupe-cmd.h).
 */
#include "dedupe-cmd.h"
#include "num.h"

int
crm_dedupe_load_file(struct crm_dedupe *d, const char *path, int flags,
    const char *idcol, const char *map, int *tsv, struct crm_error *err)
{
	struct crm_csv *r;
	int rc;

	if ((r = crm_csv_open(path, flags, err)) == NULL)
		return -1;
	rc = crm_dedupe_load_csv(d, r, idcol, map, err);
	*tsv = crm_csv_is_tsv(r);
	crm_csv_close(r);
	return rc;
}

int
crm_dedupe_write(struct crm_dedupe *d, int what, struct crm_out *o,
    struct crm_error *err)
{
	switch (what) {
	case 'L': return crm_dedupe_write_links(d, o, err);
	case 'M': return crm_dedupe_write_model(d, o, err);
	case 'c': return crm_dedupe_write_clusters(d, o, err);
	case 'p': return crm_dedupe_write_pairs(d, o, err);
	default: return crm_dedupe_write_file(d, o, err);
	}
}

int
crm_dedupe_notes(const struct crm_dedupe_stats *s, int link,
    struct crm_buf *summary, struct crm_error *err)
{
	if (crm_buf_addf(summary, err, "%lld %s", (long long)s->records,
	    crm_num_word(s->records, "record", "records")) < 0 ||
	    (s->repeated && crm_buf_addf(summary, err, " (%lld repeating an"
	    " id, taken as one)", (long long)s->repeated) < 0) ||
	    crm_buf_addf(summary, err, ", %lld candidate %s",
	    (long long)s->candidates, crm_num_word(s->candidates, "pair",
	    "pairs")) < 0)
		return -1;
	if (link)
		return crm_buf_addf(summary, err, ", %lld linked\n",
		    (long long)s->linked);
	return crm_buf_addf(summary, err, ", %lld matching, %lld %s of %lld"
	    " %s\n", (long long)s->matches, (long long)s->clusters,
	    crm_num_word(s->clusters, "cluster", "clusters"),
	    (long long)s->in_clusters, crm_num_word(s->in_clusters, "record",
	    "records"));
}

int
crm_household_notes(int64_t households, int64_t members,
    struct crm_buf *summary, struct crm_error *err)
{
	return crm_buf_addf(summary, err, "%lld %s of two or more, %lld people"
	    " in them\n", (long long)households, crm_num_word(households,
	    "household", "households"), (long long)members);
}

int
crm_merge_file(struct crm_db *db, const char *path, int flags,
    const struct crm_merge_opts *opts, struct crm_out *o,
    struct crm_merge_stats *st, struct crm_error *err)
{
	struct crm_csv *r;
	int rc;

	if ((r = crm_csv_open(path, flags, err)) == NULL)
		return -1;
	rc = crm_merge_run(db, r, opts, o, st, err);
	crm_csv_close(r);
	return rc;
}

int
crm_merge_notes(const struct crm_merge_stats *st, int undo, int dry,
    struct crm_buf *json, struct crm_buf *summary, struct crm_error *err)
{
	const char *d = dry ? " (dry run: nothing written)" : "";

	if (crm_buf_addf(json, err, "{\"read\":%lld,\"skipped\":%lld,"
	    "\"groups\":%lld,\"merged\":%lld,\"undone\":%lld}",
	    (long long)st->read, (long long)st->skipped, (long long)st->groups,
	    (long long)st->merged, (long long)st->undone) < 0)
		return -1;
	if (undo)
		return crm_buf_addf(summary, err, "%lld %s undone%s\n",
		    (long long)st->undone, crm_num_word(st->undone, "merge",
		    "merges"), d);
	return crm_buf_addf(summary, err, "%lld read, %lld skipped, %lld %s,"
	    " %lld %s merged%s\n", (long long)st->read, (long long)st->skipped,
	    (long long)st->groups, crm_num_word(st->groups, "group", "groups"),
	    (long long)st->merged, crm_num_word(st->merged, "contact",
	    "contacts"), d);
}
