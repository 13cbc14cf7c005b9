/*
 * outfile.h - an output file written whole or not at all: the bytes go to
 * a temporary file beside the path (mode 0600, created with mkstemp), which
 * replaces the path by rename(2) only when the writer says the content is
 * complete.  A reader (a web server, a mailer, the next cron run) never
 * sees half a file, and a failed run leaves the old file as it was.
 *
 * A path that exists and is not a regular file (/dev/null, a pipe, a
 * terminal, a symbolic link) is written to as it is and never replaced.
 *
 * Every writer of a named output file uses this: crm-report -o, its
 * --state file, --rejects files (crm-add, crm-log) and crm-campaign
 * --suppressed.
 */
#ifndef CRM_OUTFILE_H
#define CRM_OUTFILE_H

#include <stdio.h>

#include "error.h"

struct crm_outfile;

/* Open a temporary file beside path (or path itself, as above).  NULL and
 * CRM_EFAIL on failure, naming path. */
struct crm_outfile *crm_outfile_open(const char *path, struct crm_error *err);

/* The stream to write to; owned by f. */
FILE *crm_outfile_fp(const struct crm_outfile *f);

/* The path the file will have. */
const char *crm_outfile_path(const struct crm_outfile *f);

/*
 * Flush, fsync and close the stream, checking each (a full disk is an
 * error here, not silence).  The file is not in place yet: a writer that
 * must first commit something else (a database transaction) calls this
 * before and crm_outfile_commit() after.  On failure the temporary file
 * is removed.  Calling it twice is harmless.
 */
int crm_outfile_close(struct crm_outfile *f, struct crm_error *err);

/* Close (if not done yet) and rename into place; then free f.  On failure
 * the temporary file is removed and f freed all the same. */
int crm_outfile_commit(struct crm_outfile *f, struct crm_error *err);

/* Throw the temporary file away and free f; NULL is fine. */
void crm_outfile_discard(struct crm_outfile *f);

#endif
