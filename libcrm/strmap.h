/*
 * strmap - strings numbered in the order they are first seen: a string ->
 * index map by open addressing, for grouping rows by a text key.
 */
#ifndef CRM_STRMAP_H
#define CRM_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct crm_strmap {
	size_t n;		/* strings held: v[0 .. n-1] */
	size_t cap;		/* room in v */
	size_t scap;		/* slots, a power of two */
	char **v;		/* the strings, owned, by index */
	uint32_t *slot;		/* index + 1, 0 empty */
};

#define CRM_STRMAP_INIT { 0, 0, 0, NULL, NULL }

/* The index of s, added (copied) when new; -1 on ENOMEM. */
long crm_strmap_index(struct crm_strmap *m, const char *s);

/* Free the strings and the map; it is empty (CRM_STRMAP_INIT) again. */
void crm_strmap_free(struct crm_strmap *m);

#endif
