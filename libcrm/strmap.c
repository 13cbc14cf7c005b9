/*
 * strmap - strings numbered in the order they are first seen.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"

/* FNV-1a, 64 bits. */
static uint64_t
strhash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* Double the slots, placing every index again; -1 on ENOMEM. */
static int
grow_slots(struct crm_strmap *m)
{
	size_t nc = m->scap ? 2 * m->scap : 64, j;
	uint32_t *ns = calloc(nc, sizeof(*ns));

	if (ns == NULL)
		return -1;
	for (j = 0; j < m->scap; j++)
		if (m->slot[j]) {
			size_t k = strhash(m->v[m->slot[j] - 1]) & (nc - 1);

			while (ns[k])
				k = (k + 1) & (nc - 1);
			ns[k] = m->slot[j];
		}
	free(m->slot);
	m->slot = ns;
	m->scap = nc;
	return 0;
}

long
crm_strmap_index(struct crm_strmap *m, const char *s)
{
	size_t i;

	if (m->n >= UINT32_MAX - 1 ||
	    (2 * (m->n + 1) > m->scap && grow_slots(m) < 0))
		return -1;
	for (i = strhash(s) & (m->scap - 1); m->slot[i];
	    i = (i + 1) & (m->scap - 1))
		if (strcmp(m->v[m->slot[i] - 1], s) == 0)
			return (long)m->slot[i] - 1;
	if (m->n == m->cap) {
		size_t nc = m->cap ? 2 * m->cap : 64;
		char **nv = reallocarray(m->v, nc, sizeof(*nv));

		if (nv == NULL)
			return -1;
		m->v = nv;
		m->cap = nc;
	}
	if ((m->v[m->n] = strdup(s)) == NULL)
		return -1;
	m->slot[i] = (uint32_t)++m->n;
	return (long)m->n - 1;
}

void
crm_strmap_free(struct crm_strmap *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i]);
	free(m->v);
	free(m->slot);
	*m = (struct crm_strmap)CRM_STRMAP_INIT;
}
