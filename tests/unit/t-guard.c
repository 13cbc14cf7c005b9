/* Unit tests for libcrm/guard: an output that is the database is refused. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guard.h"
#include "tap.h"

static char dir[] = "/tmp/crm-t-guard-XXXXXX";

static int
refused(const char *db, const char *out)
{
	struct crm_error err;
	int rc;

	crm_error_clear(&err);
	rc = crm_guard_output(db, "-o", out, &err);
	return rc < 0 && err.code == CRM_EUSAGE;
}

static void
touch(const char *p)
{
	int fd = open(p, O_WRONLY | O_CREAT, 0600);

	if (fd >= 0)
		close(fd);
}

int
main(void)
{
	struct crm_error err;
	int fd;

	if (mkdtemp(dir) == NULL || chdir(dir) != 0)
		return 1;
	touch("x.db");
	touch("x.db-wal");
	touch("other.csv");
	if (mkdir("d", 0700) != 0 || link("x.db", "hard") != 0 ||
	    symlink("x.db", "soft") != 0)
		return 1;

	ok(refused("x.db", "x.db"), "the same name");
	ok(refused("x.db", "./x.db"), "./ before it");
	ok(refused("./x.db", "d/../x.db"), "through another directory");
	ok(refused("x.db", "hard"), "a hard link");
	ok(refused("x.db", "soft"), "a symbolic link");
	ok(refused("x.db", "x.db-wal"), "the -wal (exists)");
	ok(refused("x.db", "./x.db-shm"), "the -shm (does not exist yet)");
	ok(refused("new.db", "./new.db"), "a database not created yet");
	ok(refused(dir, dir) || 1, "a directory: no crash");
	ok(!refused("x.db", "other.csv"), "another file");
	ok(!refused("x.db", "x.db.csv"), "a longer name");
	ok(!refused("x.db", "x.db-walnut"), "a longer suffix");
	ok(!refused("x.db", "d/x.db"), "the same name elsewhere");
	ok(!refused("x.db", "-"), "standard output by name");
	ok(!refused("x.db", NULL), "no output");

	crm_error_clear(&err);
	crm_guard_output("x.db", "--rejects", "./x.db", &err);
	is_str(err.msg, "--rejects ./x.db: that is the database x.db; choose"
	    " another file", "the message names both");
	crm_error_clear(&err);
	crm_guard_output("x.db", "--rejects", "x.db-wal", &err);
	is_str(err.msg, "--rejects x.db-wal: that is the database's"
	    " write-ahead log x.db-wal; choose another file", "the -wal named");

	fd = open("hard", O_WRONLY | O_APPEND);
	crm_error_clear(&err);
	ok(crm_guard_fd("x.db", "standard output", fd, &err) < 0 &&
	    err.code == CRM_EUSAGE, "a descriptor open on the database");
	close(fd);
	fd = open("other.csv", O_WRONLY);
	ok(crm_guard_fd("x.db", "standard output", fd, &err) == 0,
	    "a descriptor on another file");
	close(fd);

	unlink("x.db");
	unlink("x.db-wal");
	unlink("other.csv");
	unlink("hard");
	unlink("soft");
	rmdir("d");
	if (chdir("/") == 0)
		rmdir(dir);
	return tap_done();
}
