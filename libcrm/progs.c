/*
 * progs.c - the crm programs installed (progs.h).
 */
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "progs.h"

extern char **environ;

void
crm_progs_init(struct crm_progs *p, const char *argv0)
{
	ssize_t n = readlink("/proc/self/exe", p->dir, sizeof(p->dir) - 1);
	char *slash;

	p->n = 0;
	if (n > 0)
		p->dir[n] = '\0';
	else if (strchr(argv0, '/') != NULL && strlen(argv0) < sizeof(p->dir))
		snprintf(p->dir, sizeof(p->dir), "%s", argv0);
	else
		p->dir[0] = '\0';
	if ((slash = strrchr(p->dir, '/')) != NULL)
		*slash = '\0';
}

int
crm_progs_known(const struct crm_progs *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->names[i], name) == 0)
			return 1;
	return 0;
}

/* crm-X programs in dir, X added to names[]. */
static void
scan(struct crm_progs *p, const char *dir)
{
	DIR *d;
	struct dirent *e;
	char path[PATH_MAX];

	if (*dir == '\0' || (d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL && p->n < 256) {
		if (strncmp(e->d_name, "crm-", 4) != 0 || e->d_name[4] == '\0' ||
		    strchr(e->d_name, '.') != NULL ||
		    crm_progs_known(p, e->d_name + 4))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (access(path, X_OK) == 0 &&
		    (p->names[p->n] = strdup(e->d_name + 4)) != NULL)
			p->n++;
	}
	closedir(d);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
crm_progs_scan(struct crm_progs *p)
{
	const char *path = getenv("PATH");
	char dir[PATH_MAX];

	scan(p, p->dir);
	while (path != NULL && *path) {
		size_t len = strcspn(path, ":");

		if (len < sizeof(dir)) {
			memcpy(dir, path, len);
			dir[len] = '\0';
			scan(p, len ? dir : ".");
		}
		path += len + (path[len] == ':');
	}
	qsort(p->names, p->n, sizeof(p->names[0]), by_name);
}

void
crm_progs_names(const struct crm_progs *p, const char *kind, const char *db,
    void (*fn)(void *ctx, const char *name), void *ctx)
{
	char prog[128], path[PATH_MAX], line[1024];
	char a_list[] = "list", a_t[] = "-t", a_d[] = "-d";
	char *argv[] = { prog, a_list, a_t, a_d, (char *)db, NULL };
	posix_spawn_file_actions_t fa;
	int fd[2], first = 1, rc;
	pid_t pid;
	FILE *fp;

	snprintf(prog, sizeof(prog), "crm-%s", kind);
	snprintf(path, sizeof(path), "%s/%s", p->dir, prog);
	if (db == NULL)
		argv[3] = NULL;
	if (pipe(fd) < 0)
		return;
	if (posix_spawn_file_actions_init(&fa) != 0) {
		close(fd[0]);
		close(fd[1]);
		return;
	}
	posix_spawn_file_actions_adddup2(&fa, fd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, fd[0]);
	posix_spawn_file_actions_addclose(&fa, fd[1]);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null",
	    O_WRONLY, 0);
	if (*p->dir != '\0' && access(path, X_OK) == 0)
		rc = posix_spawn(&pid, path, &fa, NULL, argv, environ);
	else
		rc = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	if (rc != 0) {
		close(fd[0]);
		return;
	}
	if ((fp = fdopen(fd[0], "r")) != NULL) {
		while (fgets(line, sizeof(line), fp) != NULL) {
			line[strcspn(line, "\t\n")] = '\0';
			if (!first && line[0] != '\0')
				fn(ctx, line);
			first = 0;
		}
		fclose(fp);
	} else
		close(fd[0]);
	waitpid(pid, NULL, 0);
}
