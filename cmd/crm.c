/*
 * crm - the front door: `crm add ...` runs crm-add, found beside crm (its
 * exec path) or on PATH; `crm help` lists the programs; `crm help add`
 * opens crm-add(1); `crm commands` names them; a misspelt command gets the
 * nearest one suggested.  `crm __complete` serves the shell completion.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "complete.h"
#include "help.h"

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static char exec_dir[PATH_MAX / 2];
static char *names[256];
static size_t nnames;

/* The directory crm was run from: the programs are looked for there
 * first, as git looks in its exec path. */
static void
find_exec_dir(const char *argv0)
{
	ssize_t n = readlink("/proc/self/exe", exec_dir,
	    sizeof(exec_dir) - 1);
	char *slash;

	if (n > 0)
		exec_dir[n] = '\0';
	else if (strchr(argv0, '/') != NULL &&
	    strlen(argv0) < sizeof(exec_dir))
		snprintf(exec_dir, sizeof(exec_dir), "%s", argv0);
	else
		exec_dir[0] = '\0';
	if ((slash = strrchr(exec_dir, '/')) != NULL)
		*slash = '\0';
}

static int
known(const char *name)
{
	size_t i;

	for (i = 0; i < nnames; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/* crm-X programs in dir, X added to names[]. */
static void
scan(const char *dir)
{
	DIR *d;
	struct dirent *e;
	char path[PATH_MAX];

	if (*dir == '\0' || (d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL && nnames < 256) {
		if (strncmp(e->d_name, "crm-", 4) != 0 || e->d_name[4] == '\0' ||
		    strchr(e->d_name, '.') != NULL || known(e->d_name + 4))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (access(path, X_OK) == 0 &&
		    (names[nnames] = strdup(e->d_name + 4)) != NULL)
			nnames++;
	}
	closedir(d);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every command: the programs beside crm, then those on PATH. */
static void
commands(void)
{
	const char *path = getenv("PATH");
	char dir[PATH_MAX];

	scan(exec_dir);
	while (path != NULL && *path) {
		size_t len = strcspn(path, ":");

		if (len < sizeof(dir)) {
			memcpy(dir, path, len);
			dir[len] = '\0';
			scan(len ? dir : ".");
		}
		path += len + (path[len] == ':');
	}
	qsort(names, nnames, sizeof(names[0]), by_name);
}

static const char *
desc(const char *cmd)
{
	char prog[128];
	const struct crm_help_prog *hp;

	snprintf(prog, sizeof(prog), "crm-%s", cmd);
	hp = crm_help_find(prog);
	return hp != NULL ? hp->desc : "";
}

static void
list(FILE *fp)
{
	size_t i;

	fprintf(fp, "The crm programs (crm help COMMAND for one's manual):\n\n");
	for (i = 0; i < nnames; i++)
		fprintf(fp, "  %-10s %s\n", names[i], desc(names[i]));
}

/* A command that is none: say so, and what was meant if it is near. */
static void
unknown(const char *cmd)
{
	const char *near = crm_cli_nearest(cmd, (const char *const *)names,
	    nnames);

	if (near != NULL)
		fprintf(stderr, "crm: '%s' is not a crm command; did you mean"
		    " '%s'?\n", cmd, near);
	else
		fprintf(stderr, "crm: '%s' is not a crm command; see 'crm"
		    " help'\n", cmd);
	exit(CRM_EUSAGE);
}

/* crm help CMD: the manual, from the tree crm was built in when there. */
static int
manual(const char *cmd)
{
	char page[PATH_MAX], name[128];

	if (strcmp(cmd, "crm") != 0 && !known(cmd) &&
	    strcmp(cmd, "help") != 0 && strcmp(cmd, "commands") != 0)
		unknown(cmd);
	snprintf(name, sizeof(name), "%s%s", strcmp(cmd, "crm") == 0 ||
	    strcmp(cmd, "help") == 0 || strcmp(cmd, "commands") == 0 ? "crm" :
	    "crm-", strcmp(cmd, "help") == 0 || strcmp(cmd, "commands") == 0 ?
	    "" : strcmp(cmd, "crm") == 0 ? "" : cmd);
	snprintf(page, sizeof(page), "%s/man/%s.1", exec_dir, name);
	fflush(stdout);
	if (access(page, R_OK) == 0)
		execlp("man", "man", "-l", page, (char *)NULL);
	else
		execlp("man", "man", "1", name, (char *)NULL);
	fprintf(stderr, "crm: man: %s\n", strerror(errno));
	return 1;
}

static void
run(const char *cmd, int argc, char **argv)
{
	char path[PATH_MAX], prog[128];

	if (strchr(cmd, '/') != NULL || !known(cmd))
		unknown(cmd);
	snprintf(prog, sizeof(prog), "crm-%s", cmd);
	argv[0] = prog;
	snprintf(path, sizeof(path), "%s/%s", exec_dir, prog);
	if (*exec_dir != '\0' && access(path, X_OK) == 0)
		execv(path, argv);
	else
		execvp(prog, argv);
	fprintf(stderr, "crm: %s: %s\n", prog, strerror(errno));
	exit(errno == ENOENT ? 127 : 126);
	(void)argc;
}

/* Completion: candidates that begin with the word being completed. */
static const char *cur;
static int zsh;

static void
c_word(void *ctx, const char *w, const char *d)
{
	if (strncmp(w, cur, strlen(cur)) != 0)
		return;
	if (zsh && d != NULL && *d != '\0') {
		const char *p;

		for (p = w; *p; p++)
			printf("%s%c", *p == ':' ? "\\" : "", *p);
		printf(":%s\n", d);
	} else
		printf("%s\n", w);
}

static void
c_files(void *ctx)
{
	printf("@files\n");
}

static void
c_commands(void *ctx)
{
	size_t i;

	for (i = 0; i < nnames; i++)
		c_word(ctx, names[i], desc(names[i]));
}

/* Saved names, as the program lists them (first column of its TSV). */
static void
c_names(void *ctx, const char *kind, const char *db)
{
	char prog[128], path[PATH_MAX], line[1024];
	char a_list[] = "list", a_t[] = "-t", a_d[] = "-d";
	char *argv[] = { prog, a_list, a_t, a_d, (char *)db, NULL };
	int fd[2], first = 1;
	pid_t pid;
	FILE *fp;

	snprintf(prog, sizeof(prog), "crm-%s", kind);
	if (db == NULL)
		argv[3] = NULL;
	if (pipe(fd) < 0 || (pid = fork()) < 0)
		return;
	if (pid == 0) {
		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		close(fd[1]);
		freopen("/dev/null", "w", stderr);
		snprintf(path, sizeof(path), "%s/%s", exec_dir, prog);
		if (access(path, X_OK) == 0)
			execv(path, argv);
		execvp(prog, argv);
		_exit(127);
	}
	close(fd[1]);
	if ((fp = fdopen(fd[0], "r")) != NULL) {
		while (fgets(line, sizeof(line), fp) != NULL) {
			line[strcspn(line, "\t\n")] = '\0';
			if (!first && line[0] != '\0')
				c_word(ctx, line, NULL);
			first = 0;
		}
		fclose(fp);
	}
	waitpid(pid, NULL, 0);
}

/* crm __complete [--zsh] CWORD WORD...: one candidate a line ("@files":
 * let the shell complete a file name). */
static int
complete(int argc, char **argv)
{
	struct crm_complete cc = { c_word, c_names, c_files, c_commands,
	    NULL };
	int cword;

	if (argc > 0 && strcmp(argv[0], "--zsh") == 0) {
		zsh = 1;
		argc--;
		argv++;
	}
	if (argc < 2)
		return CRM_EUSAGE;
	cword = (int)crm_cli_num("__complete", argv[0], 0, argc - 2);
	argc--;
	argv++;
	cur = argv[cword];
	crm_complete_line(&cc, argc, argv, cword);
	return crm_cli_finish(0);
}

static void usage(int) __attribute__((noreturn));

static void
usage(int status)
{
	FILE *fp = status ? stderr : stdout;

	fprintf(fp, "usage: crm [-hV] command [argument ...]\n"
	    "       crm help [command]\n"
	    "       crm commands\n");
	if (status == 0) {
		fputc('\n', fp);
		list(fp);
	}
	exit(status ? status : crm_cli_finish(0));
}

int
main(int argc, char **argv)
{
	int ch;
	size_t i;

	find_exec_dir(argv[0]);
	if (argc > 1 && strcmp(argv[1], "__complete") == 0) {
		commands();
		return complete(argc - 2, argv + 2);
	}
	while ((ch = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1)
		switch (ch) {
		case 'h':
			commands();
			usage(0);
		case 'V':
			printf("crm %s (libcrm, sqlite %s)\n", CRM_VERSION,
			    crm_db_engine_version());
			return crm_cli_finish(0);
		default:
			usage(CRM_EUSAGE);
		}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage(CRM_EUSAGE);
	commands();
	if (strcmp(argv[0], "help") == 0) {
		if (argc > 2)
			usage(CRM_EUSAGE);
		if (argc == 2)
			return manual(argv[1]);
		list(stdout);
		return crm_cli_finish(0);
	}
	if (strcmp(argv[0], "commands") == 0) {
		if (argc > 1)
			usage(CRM_EUSAGE);
		for (i = 0; i < nnames; i++)
			printf("%s\n", names[i]);
		return crm_cli_finish(0);
	}
	run(argv[0], argc, argv);
	return 1;
}
