#include <string.h>

#include "help.h"

const struct crm_help_prog *
crm_help_find(const char *name)
{
	const struct crm_help_prog *p;

	for (p = crm_help_progs; p->name != NULL; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

int
crm_help_has(const char *list, const char *word, size_t n)
{
	const char *p = list;

	if (list == NULL)
		return 0;
	if (n == (size_t)-1)
		n = strlen(word);
	while (*p) {
		size_t len = strcspn(p, " ");

		if (len == n && strncmp(p, word, n) == 0)
			return 1;
		p += len;
		p += strspn(p, " ");
	}
	return 0;
}

/* Does names hold the name (n bytes, a prefix when prefix is set)? */
static int
names_match(const char *names, const char *name, size_t n, int is_long,
    int prefix, int *arg)
{
	const char *p = names;

	while (*p) {
		size_t len = strcspn(p, " ");
		const char *w = p;
		size_t wl = len;
		int a = 0, l = 0;

		if (wl > 0 && w[wl - 1] == '=') {
			a = 1;
			wl--;
		}
		if (wl > 0 && w[0] == '-') {
			l = 1;
			w++;
			wl--;
		}
		if (l == is_long && (wl == n || (prefix && wl > n)) &&
		    strncmp(w, name, n) == 0) {
			*arg = a;
			return 1;
		}
		p += len;
		p += strspn(p, " ");
	}
	return 0;
}

const struct crm_help_opt *
crm_help_opt(const struct crm_help_prog *p, const char *name, int is_long,
    int *arg)
{
	const struct crm_help_opt *o, *found = NULL;
	size_t n = strcspn(name, "=");
	int a = 0, nfound = 0;

	if (!is_long)
		n = 1;
	for (o = p->opts; o->tag != NULL; o++)
		if (names_match(o->names, name, n, is_long, 0, arg))
			return o;
	if (!is_long)
		return NULL;
	for (o = p->opts; o->tag != NULL; o++)
		if (names_match(o->names, name, n, 1, 1, &a)) {
			found = o;
			*arg = a;
			nfound++;
		}
	return nfound == 1 ? found : NULL;
}

const char *
crm_help_sub(const struct crm_help_prog *p, int n, char *const *argv)
{
	int i, arg;

	for (i = 0; i < n; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		if (a[1] == '-') {
			if (crm_help_opt(p, a + 2, 1, &arg) != NULL && arg &&
			    strchr(a, '=') == NULL)
				i++;
			continue;
		}
		/* A cluster of short options; the first that takes an
		 * argument takes the rest of the word, or the next word. */
		for (a++; *a; a++) {
			char s[2] = { *a, '\0' };

			if (crm_help_opt(p, s, 0, &arg) != NULL && arg) {
				if (a[1] == '\0')
					i++;
				break;
			}
		}
	}
	if (i < n && crm_help_has(p->subs, argv[i], (size_t)-1))
		return argv[i];
	return NULL;
}
