/*
 * help.h - what the man pages say about each program's options, as data:
 * the table that scripts/gen-help writes into help-data.c at build time
 * from man/crm-*.1, for --help, crm(1) and shell completion.  The man page
 * is the one source; `make lint` checks it names the same options as the
 * program's getopt table.
 */
#ifndef CRM_HELP_H
#define CRM_HELP_H

#include <stddef.h>

struct crm_help_opt {
	const char *tag;	/* as the page shows it: "-b by, --by=by" */
	const char *line;	/* the first sentence of its description */
	/* Its names, space-separated: "b" a short option, "-by" a long
	 * one; a trailing '=' when it takes an argument. */
	const char *names;
	const char *subs;	/* the subcommands it applies to, or NULL */
	/* Its closed set of values ("csv tsv json"), "@segment" or
	 * "@campaign" for names saved in the database, or NULL. */
	const char *values;
};

struct crm_help_prog {
	const char *name;	/* "crm-segment" */
	const char *desc;	/* the NAME line's description */
	const char *subs;	/* its subcommands, space-separated, or "" */
	int bare;		/* it also runs with no subcommand named */
	const struct crm_help_opt *opts;	/* ended by a NULL tag */
};

/* Every program, in name order, ended by a NULL name. */
extern const struct crm_help_prog crm_help_progs[];

/* The program called name ("crm-segment"), or NULL. */
const struct crm_help_prog *crm_help_find(const char *name);

/*
 * Whether the space-separated list has word (the first n bytes of it,
 * or all of it when n is (size_t)-1).
 */
int crm_help_has(const char *list, const char *word, size_t n);

/*
 * The option of p called name ("b" short, "by" long; a long name may be
 * abbreviated as getopt_long allows), or NULL; *arg says whether it takes
 * an argument.
 */
const struct crm_help_opt *crm_help_opt(const struct crm_help_prog *p,
    const char *name, int is_long, int *arg);

/*
 * The subcommand that argv (the command line after the program name, n
 * words) runs: the first operand, if it is one of p's; else NULL.
 */
const char *crm_help_sub(const struct crm_help_prog *p, int n,
    char *const *argv);

#endif
