/*
 * jsonl.h - one JSON object per line, as crm-export -f json, crm-log show
 * -f json and jq -c write them.
 *
 * A flat reader for the reader in csvio: each member of the object is
 * handed over as text.  Strings are decoded (escapes, \u with surrogate
 * pairs, to UTF-8); numbers, true and false are passed as written; null
 * is "missing"; a nested object or array is passed as its JSON text (so
 * an attrs column reads back as the object it was).
 */
#ifndef CRM_JSONL_H
#define CRM_JSONL_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

enum crm_jsonl_kind {
	CRM_JSONL_STRING,
	CRM_JSONL_RAW,		/* number, true, false, object, array */
	CRM_JSONL_NULL,
};

/*
 * Parse the object in s[0, n) (blanks around it allowed).  For each
 * member, fn gets the key and the value (NUL-terminated, valid until
 * this call returns); fn returning -1 stops with its error.  scratch
 * holds the decoded text.  CRM_EDATA for anything but one object.
 */
int crm_jsonl_object(const char *s, size_t n, struct crm_buf *scratch,
    int (*fn)(void *ctx, const char *key, const char *val,
    enum crm_jsonl_kind kind, struct crm_error *err), void *ctx,
    struct crm_error *err);

#endif
