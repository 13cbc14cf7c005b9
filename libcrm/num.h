/*
 * num.h - numbers as text, for the presentation layer only (the csvio
 * writers' callers, the report, the command summaries).  Analytics return
 * numbers as numbers; these write them, once, at the edge.  Nothing in
 * libcrm parses them back.
 *
 * Each writes into a caller's buffer of CRM_NUM_MAX bytes and returns it.
 * The results are byte for byte what snprintf(3) writes with the format
 * named, only faster where that matters (millions of cells).
 */
#ifndef CRM_NUM_H
#define CRM_NUM_H

#include <stdint.h>

#define CRM_NUM_MAX 40

/* "%.*f": v with decimals digits after the point (0 to 17). */
char *crm_num_fixed(char buf[CRM_NUM_MAX], int decimals, double v);

/* "%.6g": six significant digits, trailing zeros dropped. */
char *crm_num_g6(char buf[CRM_NUM_MAX], double v);

/* "%lld". */
char *crm_num_int(char buf[CRM_NUM_MAX], int64_t v);

/*
 * The word for n things, so that words agree with numbers: one when n is
 * 1, else many ("1 record", "2 records", "0 records").
 */
const char *crm_num_word(int64_t n, const char *one, const char *many);

/* "-0", "-0.00" and the like become unsigned; buf is returned. */
char *crm_num_unsigned_zero(char *buf);

#endif
