/*
 * db-file.c - an SQLite database file (db.c opens it): created mode 0600,
 * its directory, its -wal and -shm, its name as a URI.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "db-int.h"

/*
 * Create a missing database file ourselves, mode 0600 whatever the umask,
 * so it is never world-readable; SQLite then gives its -wal and -shm files
 * the same mode as the database file.
 */
int
crm_dbf_create(const char *path, int flags, struct crm_error *err)
{
	struct stat sb;
	int fd;

	if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode))
		return crm_error_set(err, CRM_EFAIL, "%s: a symbolic link: crm"
		    " opens a database only by the file's own name", path);
	if (stat(path, &sb) == 0)
		return 0;
	if (errno != ENOENT)
		return crm_error_set(err, CRM_EFAIL, "%s: %s", path,
		    strerror(errno));
	if (!(flags & CRM_DB_CREATE))
		return crm_error_set(err, CRM_EFAIL,
		    "%s: no such database (crm-add creates one)", path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0 && errno != EEXIST)
		return crm_error_set(err, CRM_EFAIL, "%s: %s", path,
		    strerror(errno));
	if (fd >= 0) {
		(void)fchmod(fd, 0600);
		close(fd);
	}
	return 0;
}

/* 1 if the directory that holds path may be written to. */
int
crm_dbf_dir_writable(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int ok;

	if (slash == NULL)
		return access(".", W_OK) == 0;
	if (slash == path)
		return access("/", W_OK) == 0;
	if ((dir = strndup(path, (size_t)(slash - path))) == NULL)
		return 1;
	ok = access(dir, W_OK) == 0;
	free(dir);
	return ok;
}

/*
 * SQLite creates -wal and -shm with the database file's mode, forced past
 * the umask, and forces it again on any it opens while empty: a database
 * restored with the sqlite shell's .backup under umask 022 is 0644, and its log
 * would be readable by everyone.  So once the connection has opened them
 * (it keeps them open), take the group and other bits off.  By name,
 * never through a descriptor of our own: closing one would drop the POSIX
 * locks SQLite holds on the file.  Best effort: a file another user owns,
 * or a symbolic link, is left alone.
 */
void
crm_dbf_sidecars_private(const char *path)
{
	static const char *const sfx[] = { "-wal", "-shm" };
	struct stat sb;
	char name[4096];
	size_t i;

	for (i = 0; i < 2; i++) {
		if (snprintf(name, sizeof(name), "%s%s", path, sfx[i]) >=
		    (int)sizeof(name))
			continue;
		if (lstat(name, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    (sb.st_mode & 077) != 0 && sb.st_uid == geteuid())
			(void)chmod(name, sb.st_mode & 0700);
	}
}

/*
 * "file:" and path with every byte but letters, digits and "/._-~"
 * percent-encoded, then query, for SQLite's open with
 * SQLITE_OPEN_URI.  Free it.
 */
char *
crm_dbf_uri(const char *path, const char *query)
{
	static const char hex[] = "0123456789ABCDEF";
	struct crm_buf b = CRM_BUF_INIT(3 * 4096 + 64);
	const unsigned char *p;
	int rc = crm_buf_adds(&b, "file:", NULL);

	for (p = (const unsigned char *)path; rc == 0 && *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/._-~", *p) != NULL)
			rc = crm_buf_addc(&b, *p, NULL);
		else if ((rc = crm_buf_addc(&b, '%', NULL)) == 0 &&
		    (rc = crm_buf_addc(&b, hex[*p >> 4], NULL)) == 0)
			rc = crm_buf_addc(&b, hex[*p & 15], NULL);
	}
	if (rc == 0)
		rc = crm_buf_adds(&b, query, NULL);
	if (rc < 0) {
		crm_buf_release(&b);
		return NULL;
	}
	return crm_buf_detach(&b);
}

/*
 * path with its directory resolved, so that a database in a directory
 * reached through a symbolic link opens: SQLITE_OPEN_NOFOLLOW refuses a
 * link anywhere in the path, where what matters is that the file itself
 * is none.  path itself when the directory does not resolve (SQLite then
 * says why).  Free it.
 */
char *
crm_dbf_real_dir(const char *path)
{
	const char *slash = strrchr(path, '/'), *base;
	char *dir, *real, *out = NULL;

	base = slash != NULL ? slash + 1 : path;
	if (*base == '\0' || strcmp(base, ".") == 0 ||
	    strcmp(base, "..") == 0)
		return strdup(path);
	if (slash == path)
		dir = strdup("/");
	else if (slash != NULL)
		dir = strndup(path, (size_t)(slash - path));
	else
		dir = strdup(".");
	if (dir == NULL)
		return NULL;
	if ((real = realpath(dir, NULL)) == NULL)
		out = strdup(path);
	else if (asprintf(&out, "%s%s%s", real, strcmp(real, "/") == 0 ?
	    "" : "/", base) < 0)
		out = NULL;
	free(dir);
	free(real);
	return out;
}
