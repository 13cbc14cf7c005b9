/*
 * complete.h - shell completion over the option tables of help.h: what may
 * come at a word of a crm command line.  crm(1)'s hidden `__complete`
 * runs it for completion/crm.bash and completion/_crm.
 */
#ifndef CRM_COMPLETE_H
#define CRM_COMPLETE_H

#include <stddef.h>

struct crm_complete {
	/* A candidate: the word, and a line describing it (or NULL). */
	void (*word)(void *ctx, const char *word, const char *desc);
	/* The names saved in the database of kind "segment" or "campaign",
	 * each given to word(); db is the -d value on the line, or NULL. */
	void (*names)(void *ctx, const char *kind, const char *db);
	/* The word is a file name: let the shell complete it. */
	void (*files)(void *ctx);
	/* The programs there are: name ("add") and description, each given
	 * to word(). */
	void (*commands)(void *ctx);
	void *ctx;
};

/*
 * Complete words[cword] (an empty string: a new word) of the n words of a
 * command line whose first is "crm" or "crm-X".  Candidates start with
 * the word as typed; an option's value after "--opt=" comes with that
 * prefix.
 */
void crm_complete_line(const struct crm_complete *cc, int n,
    char *const *words, int cword);

#endif
