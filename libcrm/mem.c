#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>

#include "mem.h"

#define HUGE_PAGE	((uintptr_t)2 << 20)

void *
crm_big(void *p, size_t nmemb, size_t size)
{
#ifdef MADV_HUGEPAGE
	uintptr_t a, e;

	if (p == NULL || nmemb > SIZE_MAX / size ||
	    nmemb * size < 2 * HUGE_PAGE)
		return p;
	/*
	 * The whole of the pages it spans, so that a block mapped on its own
	 * stays one mapping, which realloc can still grow with mremap.
	 */
	a = (uintptr_t)p & ~(uintptr_t)4095;
	e = ((uintptr_t)p + nmemb * size + 4095) & ~(uintptr_t)4095;
	(void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
	(void)nmemb;
	(void)size;
#endif
	return p;
}

/*
 * calloc() on huge pages where it can: a block mapped on its own is not
 * cleared by calloc, the kernel's pages being zero, nor touched before
 * crm_big() asks.
 */
void *
crm_big_calloc(size_t nmemb, size_t size)
{
	return crm_big(calloc(nmemb ? nmemb : 1, size), nmemb, size);
}
