/*
 * crm - the front door: `crm add ...` runs crm-add, found beside crm (its
 * exec path) or on PATH; `crm help` lists the programs; `crm help add`
 * opens crm-add(1); `crm commands` names them; a misspelt command gets the
 * nearest one suggested.  `crm __complete` serves the shell completion.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "complete.h"
#include "help.h"
#include "progs.h"

static struct crm_progs progs;

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

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
	for (i = 0; i < progs.n; i++)
		fprintf(fp, "  %-10s %s\n", progs.names[i], desc(progs.names[i]));
}

/* A command that is none: say so, and what was meant if it is near. */
static void
unknown(const char *cmd)
{
	const char *near = crm_cli_nearest(cmd, (const char *const *)progs.names,
	    progs.n);

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

	if (strcmp(cmd, "crm") != 0 && !crm_progs_known(&progs, cmd) &&
	    strcmp(cmd, "help") != 0 && strcmp(cmd, "commands") != 0)
		unknown(cmd);
	snprintf(name, sizeof(name), "%s%s", strcmp(cmd, "crm") == 0 ||
	    strcmp(cmd, "help") == 0 || strcmp(cmd, "commands") == 0 ? "crm" :
	    "crm-", strcmp(cmd, "help") == 0 || strcmp(cmd, "commands") == 0 ?
	    "" : strcmp(cmd, "crm") == 0 ? "" : cmd);
	snprintf(page, sizeof(page), "%s/man/%s.1", progs.dir, name);
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

	if (strchr(cmd, '/') != NULL || !crm_progs_known(&progs, cmd))
		unknown(cmd);
	snprintf(prog, sizeof(prog), "crm-%s", cmd);
	argv[0] = prog;
	snprintf(path, sizeof(path), "%s/%s", progs.dir, prog);
	if (*progs.dir != '\0' && access(path, X_OK) == 0)
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

	for (i = 0; i < progs.n; i++)
		c_word(ctx, progs.names[i], desc(progs.names[i]));
}

/* Saved names, as the program lists them. */
static void
c_name(void *ctx, const char *name)
{
	c_word(ctx, name, NULL);
}

static void
c_names(void *ctx, const char *kind, const char *db)
{
	crm_progs_names(&progs, kind, db, c_name, ctx);
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

	crm_progs_init(&progs, argv[0]);
	if (argc > 1 && strcmp(argv[1], "__complete") == 0) {
		crm_progs_scan(&progs);
		return complete(argc - 2, argv + 2);
	}
	while ((ch = getopt_long(argc, argv, "+hV", longopts, NULL)) != -1)
		switch (ch) {
		case 'h':
			crm_progs_scan(&progs);
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
	crm_progs_scan(&progs);
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
		for (i = 0; i < progs.n; i++)
			printf("%s\n", progs.names[i]);
		return crm_cli_finish(0);
	}
	run(argv[0], argc, argv);
	return 1;
}
