/*
 * match-int.h - what match.c, match-nick.c and match-dm.c share; not for
 * use outside them.
 */
#ifndef CRM_MATCH_INT_H
#define CRM_MATCH_INT_H

#include <stdint.h>

#include <utf8proc.h>

/* match.c: UTF-8 and folding. */

/* Decode the multi-byte sequence at *pp (*pp < e); U+FFFD for a bad byte. */
uint32_t match_dec_multi(const unsigned char **pp, const unsigned char *e);

/* What folding does with a code point that is already decomposed. */
enum { F_DROP, F_KEEP, F_BREAK };
int match_fold_class(uint32_t c);

/* NFKD, marks stripped, case folded: one code point into d[FOLD1_MAX]. */
#define FOLD1_MAX 24
int match_fold1(uint32_t c, utf8proc_int32_t *d);

/* match-nick.c */

#define NICK_LEN 16	/* longer than any nickname in the table */
#define NICK_MAX 8	/* more canonical forms than any nickname has */

/* Up to max canonical forms of lower-case key; how many the table has. */
int match_nick_lookup(const char *key, const char **canon, int max);

/* The test behind crm_match_nick_same, on lower-case keys. */
int match_nick_same_keys(const char *ka, const char **ca, int na,
    const char *kb, const char **cb, int nb);

#endif
