/*
 * buf.h - a growable byte buffer with a hard size cap.
 *
 * Modelled on git's strbuf and curl's dynbuf: the contents are always
 * NUL-terminated (buf->s[buf->len] == '\0' once anything was added), may
 * contain NUL bytes themselves, and never grow past buf->cap bytes, so that
 * hostile input cannot grow memory without bound.
 *
 *	struct crm_buf b = CRM_BUF_INIT(1 << 20);
 *	if (crm_buf_add(&b, "x", 1, err) < 0) ...
 *	crm_buf_release(&b);
 *
 * A zeroed struct is not usable: always start from CRM_BUF_INIT or
 * crm_buf_init().  Adding past the cap fails with CRM_EDATA ("too large").
 */
#ifndef CRM_BUF_H
#define CRM_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "error.h"

struct crm_buf {
	char *s;	/* contents, NUL-terminated; NULL until first add */
	size_t len;	/* bytes used, not counting the terminator */
	size_t alloc;	/* bytes allocated */
	size_t cap;	/* most bytes len may reach */
};

#define CRM_BUF_INIT(c) { NULL, 0, 0, (c) }

void crm_buf_init(struct crm_buf *b, size_t cap);

/* Free the memory and reset to empty (cap kept). */
void crm_buf_release(struct crm_buf *b);

/* Empty the buffer but keep its memory. */
void crm_buf_reset(struct crm_buf *b);

/* Make room for n more bytes.  -1 with err set past the cap or on ENOMEM. */
int crm_buf_grow(struct crm_buf *b, size_t n, struct crm_error *err);

int crm_buf_add(struct crm_buf *b, const void *p, size_t n,
    struct crm_error *err);
int crm_buf_addc(struct crm_buf *b, int c, struct crm_error *err);
int crm_buf_adds(struct crm_buf *b, const char *s, struct crm_error *err);
int crm_buf_addf(struct crm_buf *b, struct crm_error *err, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/*
 * JSON strings, escaped one way everywhere (the JSON lines writer, stored
 * attributes, model parameters): " and \ escaped, \n \t \r short, the
 * other control characters and DEL as \u00XX; UTF-8 passes as it is.
 * crm_json_esc() gives the escape of byte c (in tmp), or NULL when c
 * stands for itself; crm_buf_add_json() appends s quoted.
 */
const char *crm_json_esc(unsigned char c, char tmp[7]);
int crm_buf_add_json(struct crm_buf *b, const char *s, struct crm_error *err);

/* The contents as a C string: "" for a buffer never written to. */
const char *crm_buf_str(const struct crm_buf *b);

/*
 * Hand the contents over to the caller (free with free(3)) and reset the
 * buffer.  Returns a malloc'd "" for an empty buffer, NULL on ENOMEM.
 */
char *crm_buf_detach(struct crm_buf *b);

#endif
