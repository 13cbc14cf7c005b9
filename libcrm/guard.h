/*
 * guard.h - an output file must never be the database.
 *
 * Every program that writes a file (a rejects file, a report, a state
 * file, a suppression list, standard output redirected) asks
 * crm_guard_output() first, before it opens the output or the database:
 * writing a report over the database, or replacing it with a rejects
 * file, destroys it.
 *
 * The output is the database when it names the same file as the database
 * or one of SQLite's files beside it (-wal, -shm, -journal):
 *
 *   - by identity: both exist and have the same device and inode, so
 *     "./x.db", "dir/../x.db", a hard link or a symbolic link to the
 *     database are all caught;
 *   - by name: the output's directory is the database's directory (by
 *     identity again) and the last components are equal, which catches
 *     the files that do not exist yet (a new database, a -wal that SQLite
 *     removed at its last close).
 */
#ifndef CRM_GUARD_H
#define CRM_GUARD_H

#include "error.h"

/*
 * 0 if out (named by what, say "--rejects") may be written while db is
 * the database; else -1 with err CRM_EUSAGE naming both paths.  NULL or
 * "-" (standard output) for out is always fine.
 */
int crm_guard_output(const char *db, const char *what, const char *out,
    struct crm_error *err);

/*
 * The same for an open descriptor (standard output as the shell
 * redirected it): by identity only.
 */
int crm_guard_fd(const char *db, const char *what, int fd,
    struct crm_error *err);

#endif
