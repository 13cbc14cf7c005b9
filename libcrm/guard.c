#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "guard.h"

/* SQLite's files beside the database, and what to call them. */
static const struct {
	const char *suffix, *what;
} sidecar[] = {
	{ "", "the database" },
	{ "-wal", "the database's write-ahead log" },
	{ "-shm", "the database's shared-memory index" },
	{ "-journal", "the database's rollback journal" },
};
#define NSIDECAR (sizeof(sidecar) / sizeof(sidecar[0]))

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* The last component of path (after any trailing slashes it is empty). */
static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

/* stat() of path's directory. */
static int
dir_stat(const char *path, struct stat *sb)
{
	const char *s = strrchr(path, '/');
	char *dir;
	int rc;

	if (s == NULL)
		return stat(".", sb);
	if (s == path)
		return stat("/", sb);
	if ((dir = strndup(path, (size_t)(s - path))) == NULL)
		return -1;
	rc = stat(dir, sb);
	free(dir);
	return rc;
}

static int
refuse(struct crm_error *err, const char *what, const char *out,
    const char *db, size_t k)
{
	return crm_error_set(err, CRM_EUSAGE, "%s%s%s: that is %s %s%s;"
	    " choose another file", what, *out ? " " : "", out,
	    sidecar[k].what, db, sidecar[k].suffix);
}

int
crm_guard_output(const char *db, const char *what, const char *out,
    struct crm_error *err)
{
	struct stat osb, odir, dsb, ddir;
	const char *obase;
	char name[4096];
	size_t k, dblen;
	int have_out, have_odir, have_ddir;

	if (out == NULL || strcmp(out, "-") == 0 || db == NULL)
		return 0;
	have_out = stat(out, &osb) == 0;
	have_odir = dir_stat(out, &odir) == 0;
	have_ddir = dir_stat(db, &ddir) == 0;
	obase = base_name(out);
	dblen = strlen(base_name(db));
	for (k = 0; k < NSIDECAR; k++) {
		if (snprintf(name, sizeof(name), "%s%s", db,
		    sidecar[k].suffix) >= (int)sizeof(name))
			continue;
		if (have_out && stat(name, &dsb) == 0 && same_file(&osb, &dsb))
			return refuse(err, what, out, db, k);
		if (have_odir && have_ddir && same_file(&odir, &ddir) &&
		    strncmp(obase, base_name(db), dblen) == 0 &&
		    strcmp(obase + dblen, sidecar[k].suffix) == 0 &&
		    (obase[0] != '\0'))
			return refuse(err, what, out, db, k);
	}
	return 0;
}

int
crm_guard_fd(const char *db, const char *what, int fd, struct crm_error *err)
{
	struct stat osb, dsb;
	char name[4096];
	size_t k;

	if (db == NULL || fstat(fd, &osb) != 0 || !S_ISREG(osb.st_mode))
		return 0;
	for (k = 0; k < NSIDECAR; k++) {
		if (snprintf(name, sizeof(name), "%s%s", db,
		    sidecar[k].suffix) >= (int)sizeof(name))
			continue;
		if (stat(name, &dsb) == 0 && same_file(&osb, &dsb))
			return refuse(err, what, "", db, k);
	}
	return 0;
}
