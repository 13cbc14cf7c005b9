/*
 * mem.h - memory for the big per-customer arrays of the numerical code.
 *
 * Arrays of a million customers or purchases are touched once or twice
 * each, and in a virtual machine every page fault costs microseconds: a
 * score took 66,000 of them.  Transparent huge pages, where the system
 * grants them on request (its "madvise" mode), take one fault per 2 MiB.
 * crm_big() asks for them on a block of nmemb * size bytes that is not yet
 * touched (it may have been grown by realloc) and returns p; the hint is
 * only a hint, and smaller blocks are left alone.
 */
#ifndef CRM_MEM_H
#define CRM_MEM_H

#include <stddef.h>

/* The hint for p, a block of nmemb * size bytes; returns p. */
void *crm_big(void *p, size_t nmemb, size_t size);

/* calloc() with the hint. */
void *crm_big_calloc(size_t nmemb, size_t size);

#endif
