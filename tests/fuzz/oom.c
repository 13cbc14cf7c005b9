/*
 * oom - run a crm program with one allocation made to fail.
 *
 * Linked with a program's object compiled with -Dmain=crm_main, libcrm.a
 * and -Wl,--wrap for malloc, calloc, realloc, reallocarray and strdup, so
 * that both SQLite (through SQLITE_CONFIG_MALLOC) and libcrm and the
 * program itself draw on one count of allocations.
 *
 *	CRM_OOM_FAIL=N  the Nth allocation (from 1) fails; 0 or unset: none
 *	CRM_OOM_STICKY=1  every allocation from the Nth on fails
 *
 * At exit, when CRM_OOM_COUNT is set, "oom: N allocations" goes to
 * standard error, to learn the range to try.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int crm_main(int argc, char **argv);

void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
void *__real_reallocarray(void *, size_t, size_t);
char *__real_strdup(const char *);
void *__wrap_malloc(size_t);
void *__wrap_calloc(size_t, size_t);
void *__wrap_realloc(void *, size_t);
void *__wrap_reallocarray(void *, size_t, size_t);
char *__wrap_strdup(const char *);

static unsigned long count, fail_at;
static int sticky;
static sqlite3_mem_methods orig;

/* 1 if this allocation is to fail. */
static int
fails(void)
{
	count++;
	return fail_at != 0 && (count == fail_at || (sticky && count > fail_at));
}

void *
__wrap_malloc(size_t n)
{
	return fails() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t m)
{
	return fails() ? NULL : __real_calloc(n, m);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return fails() ? NULL : __real_realloc(p, n);
}

void *
__wrap_reallocarray(void *p, size_t n, size_t m)
{
	return fails() ? NULL : __real_reallocarray(p, n, m);
}

char *
__wrap_strdup(const char *s)
{
	return fails() ? NULL : __real_strdup(s);
}

static void *
sq_malloc(int n)
{
	return fails() ? NULL : orig.xMalloc(n);
}

static void *
sq_realloc(void *p, int n)
{
	return fails() ? NULL : orig.xRealloc(p, n);
}

static void
report(void)
{
	char buf[64];
	int n;

	n = snprintf(buf, sizeof(buf), "oom: %lu allocations\n", count);
	/* Not stdio: the program closed stderr's buffer or not, no matter. */
	if (write(STDERR_FILENO, buf, (size_t)n) < 0)
		return;
}

int
main(int argc, char **argv)
{
	sqlite3_mem_methods m;
	const char *s;

	if ((s = getenv("CRM_OOM_FAIL")) != NULL)
		fail_at = strtoul(s, NULL, 10);
	sticky = (s = getenv("CRM_OOM_STICKY")) != NULL && strcmp(s, "1") == 0;
	if (getenv("CRM_OOM_COUNT") != NULL)
		atexit(report);
	if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &orig) != SQLITE_OK)
		return 99;
	m = orig;
	m.xMalloc = sq_malloc;
	m.xRealloc = sq_realloc;
	if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK)
		return 99;
	return crm_main(argc, argv);
}
