/*
 * progs.h - the crm programs installed: crm-X found beside the running
 * crm (its exec path) first, then on PATH, as git finds its commands.
 * For crm(1)'s front door and its completion; nothing here prints or
 * exits.
 */
#ifndef CRM_PROGS_H
#define CRM_PROGS_H

#include <limits.h>
#include <stddef.h>

struct crm_progs {
	char dir[PATH_MAX / 2];	/* the exec path, or "" */
	char *names[256];	/* "add", "log", ... (sorted by _scan) */
	size_t n;
};

/*
 * The directory of the running program (/proc/self/exe, else argv0 when
 * it names a path) into p->dir; no names yet.
 */
void crm_progs_init(struct crm_progs *p, const char *argv0);

/* Every executable crm-X (no dot in X) in p->dir and on PATH, each name
 * once, sorted. */
void crm_progs_scan(struct crm_progs *p);

/* 1 if name is one of p's names. */
int crm_progs_known(const struct crm_progs *p, const char *name);

/*
 * The saved names that `crm-kind list -t [-d db]` prints (the first
 * field of each line after the header), each to fn; the program is
 * looked for in p->dir, then on PATH.  Nothing when it cannot run.
 */
void crm_progs_names(const struct crm_progs *p, const char *kind,
    const char *db, void (*fn)(void *ctx, const char *name), void *ctx);

#endif
