/*
 * privacy-cmd.h - what crm-forget says about a run and what its audit
 * keeps of the command line, built from the figures privacy.h returns.
 * Lines go to buffers, each ending in '\n' and without the program's
 * name: warnings (printed even with -q) and the summary (unless -q).
 * Nothing here prints or exits.
 */
#ifndef CRM_PRIVACY_CMD_H
#define CRM_PRIVACY_CMD_H

#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "privacy.h"

/*
 * The audit's arguments for an erasure: argv (argc of them) as
 * getopt_long left it, options first and kept as given, then the
 * operands from nopt on, each key replaced by its tag
 * (crm_erasure_tag(), the tags' text kept in tags); with replay the
 * operands are file names and kept too.  Returns a calloc'd array of
 * argc + 1 pointers into argv and tags (free it, not its strings), or
 * NULL with err.
 */
char **crm_erasure_audit_args(struct crm_erasure *er, int argc, char **argv,
    int nopt, int replay, struct crm_buf *tags, struct crm_error *err);

/*
 * An erasure's lines: saved segments whose rule names an erased person
 * and the contacts who still share an email or phone with one, into warn;
 * "N erased (N records, N rows), N already erased" (", N listed" with
 * replay) into summary.
 */
int crm_erasure_notes(const struct crm_erasure *er, int replay, int dry,
    struct crm_buf *warn, struct crm_buf *summary, struct crm_error *err);

/* A retention run's summary: "N interactions before T purged". */
int crm_retention_notes(enum crm_retention_mode mode,
    const struct crm_retention_stats *st, int64_t before, int dry,
    struct crm_buf *summary, struct crm_error *err);

#endif
