#include <stdio.h>
#include <string.h>

#include "complete.h"
#include "help.h"

/* Operands that are names saved in the database. */
static const struct {
	const char *prog, *subs, *kind;
} saved[] = {
	{ "crm-segment", "show drop refresh", "segment" },
	{ "crm-campaign", "export send report close", "campaign" },
};

static const char *
base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

/* The value of -d/--db on the line, for the names in that database. */
static const char *
db_of(int n, char *const *w)
{
	int i;

	for (i = 1; i + 1 < n; i++)
		if (strcmp(w[i], "-d") == 0 || strcmp(w[i], "--db") == 0)
			return w[i + 1];
		else if (strncmp(w[i], "--db=", 5) == 0)
			return w[i] + 5;
	return NULL;
}

/* The values an option takes: a closed set, saved names or files. */
static void
values(const struct crm_complete *cc, const struct crm_help_opt *o, int n,
    char *const *w)
{
	const char *v = o != NULL ? o->values : NULL;
	char word[128];

	if (v == NULL) {
		cc->files(cc->ctx);
		return;
	}
	if (v[0] == '@') {
		cc->names(cc->ctx, v + 1, db_of(n, w));
		return;
	}
	while (*v) {
		size_t len = strcspn(v, " ");

		if (len < sizeof(word)) {
			memcpy(word, v, len);
			word[len] = '\0';
			cc->word(cc->ctx, word, NULL);
		}
		v += len;
		v += strspn(v, " ");
	}
}

/* The long options (and those with only a short name) that sub takes. */
static void
options(const struct crm_complete *cc, const struct crm_help_prog *hp,
    const char *sub, int shorts)
{
	const struct crm_help_opt *o;
	char word[128];

	for (o = hp->opts; o->tag != NULL; o++) {
		const char *p = o->names;
		int any = 0;

		if (sub != NULL && o->subs != NULL &&
		    !crm_help_has(o->subs, sub, (size_t)-1))
			continue;
		/* Long names; a short one only when asked or alone. */
		for (; *p; p += strspn(p, " ")) {
			size_t len = strcspn(p, " =");

			if (p[0] == '-' && len + 1 < sizeof(word)) {
				word[0] = '-';
				memcpy(word + 1, p, len);
				word[len + 1] = '\0';
				cc->word(cc->ctx, word, o->line);
				any = 1;
			}
			p += strcspn(p, " ");
		}
		for (p = o->names; *p && (shorts || !any);
		    p += strspn(p, " ")) {
			if (p[0] != '-') {
				word[0] = '-';
				word[1] = p[0];
				word[2] = '\0';
				cc->word(cc->ctx, word, o->line);
			}
			p += strcspn(p, " ");
		}
	}
}

void
crm_complete_line(const struct crm_complete *cc, int n, char *const *w,
    int cword)
{
	const struct crm_help_prog *hp;
	const struct crm_help_opt *o;
	const char *cur, *sub = NULL, *name = NULL;
	char prog[64];
	int i, arg, operands = 0;
	size_t k;

	if (n < 1 || cword < 1 || cword >= n)
		return;
	cur = w[cword];
	if (strcmp(base(w[0]), "crm") == 0) {
		/* crm COMMAND ..., crm help COMMAND */
		if (cword == 1) {
			if (cur[0] == '-') {
				cc->word(cc->ctx, "--help", NULL);
				cc->word(cc->ctx, "--version", NULL);
				return;
			}
			cc->commands(cc->ctx);
			cc->word(cc->ctx, "help", "list the programs, or"
			    " show one's manual");
			cc->word(cc->ctx, "commands", "list the programs'"
			    " names");
			return;
		}
		if (strcmp(w[1], "help") == 0) {
			if (cword == 2)
				cc->commands(cc->ctx);
			return;
		}
		if (strcmp(w[1], "commands") == 0)
			return;
		snprintf(prog, sizeof(prog), "crm-%s", w[1]);
		w++;
		n--;
		cword--;
	} else
		snprintf(prog, sizeof(prog), "%s", base(w[0]));
	if ((hp = crm_help_find(prog)) == NULL) {
		cc->files(cc->ctx);
		return;
	}
	/* Walk the words before this one: options, their values, the
	 * subcommand and the operands. */
	for (i = 1; i < cword; i++) {
		const char *a = w[i];

		if (strcmp(a, "--") == 0) {
			operands += cword - i - 1;
			break;
		}
		if (a[0] == '-' && a[1] == '-') {
			if ((o = crm_help_opt(hp, a + 2, 1, &arg)) != NULL &&
			    arg && strchr(a, '=') == NULL) {
				if (i + 1 == cword) {
					values(cc, o, n, w);
					return;
				}
				i++;
			}
			continue;
		}
		if (a[0] == '-' && a[1] != '\0') {
			for (a++; *a; a++) {
				char s[2] = { *a, '\0' };

				if ((o = crm_help_opt(hp, s, 0, &arg)) !=
				    NULL && arg) {
					if (a[1] != '\0')
						break;
					if (i + 1 == cword) {
						values(cc, o, n, w);
						return;
					}
					i++;
					break;
				}
			}
			continue;
		}
		if (operands++ == 0 && crm_help_has(hp->subs, a, (size_t)-1))
			sub = a;
	}
	if (cur[0] == '-') {
		options(cc, hp, sub, cur[1] != '-' && cur[1] != '\0');
		return;
	}
	if (operands == 0 && hp->subs[0] != '\0') {
		const char *p = hp->subs;
		char word[64];

		for (; *p; p += strspn(p, " ")) {
			size_t len = strcspn(p, " ");

			if (len < sizeof(word)) {
				memcpy(word, p, len);
				word[len] = '\0';
				cc->word(cc->ctx, word, NULL);
			}
			p += len;
		}
		/* crm-log, crm-deal, ... also take files without one. */
		if (hp->bare)
			cc->files(cc->ctx);
		return;
	}
	for (k = 0; k < sizeof(saved) / sizeof(saved[0]); k++)
		if (sub != NULL && strcmp(saved[k].prog, prog) == 0 &&
		    crm_help_has(saved[k].subs, sub, (size_t)-1))
			name = saved[k].kind;
	if (name != NULL)
		cc->names(cc->ctx, name, db_of(n, w));
	else
		cc->files(cc->ctx);
}
