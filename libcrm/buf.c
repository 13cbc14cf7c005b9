#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void
crm_buf_init(struct crm_buf *b, size_t cap)
{
	b->s = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

void
crm_buf_release(struct crm_buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = 0;
	b->alloc = 0;
}

void
crm_buf_reset(struct crm_buf *b)
{
	b->len = 0;
	if (b->s != NULL)
		b->s[0] = '\0';
}

int
crm_buf_grow(struct crm_buf *b, size_t n, struct crm_error *err)
{
	size_t want, a;
	char *p;

	if (n > b->cap || b->len > b->cap - n)
		return crm_error_set(err, CRM_EDATA,
		    "value too large (limit %zu bytes)", b->cap);
	want = b->len + n + 1;
	if (want <= b->alloc)
		return 0;
	a = b->alloc ? b->alloc : 64;
	while (a < want)
		a = a > ((size_t)-1) / 2 ? want : a * 2;
	if (a > b->cap + 1)
		a = b->cap + 1;
	if ((p = realloc(b->s, a)) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	b->s = p;
	b->alloc = a;
	return 0;
}

int
crm_buf_add(struct crm_buf *b, const void *p, size_t n, struct crm_error *err)
{
	if (crm_buf_grow(b, n, err) < 0)
		return -1;
	if (n > 0)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

int
crm_buf_addc(struct crm_buf *b, int c, struct crm_error *err)
{
	char ch = (char)c;

	return crm_buf_add(b, &ch, 1, err);
}

int
crm_buf_adds(struct crm_buf *b, const char *s, struct crm_error *err)
{
	return crm_buf_add(b, s, strlen(s), err);
}

int
crm_buf_addf(struct crm_buf *b, struct crm_error *err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return crm_error_set(err, CRM_EFAIL, "bad format");
	if (crm_buf_grow(b, (size_t)n, err) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

const char *
crm_json_esc(unsigned char c, char tmp[7])
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\t':
		return "\\t";
	case '\r':
		return "\\r";
	}
	if (c >= 0x20 && c != 0x7f)
		return NULL;
	snprintf(tmp, 7, "\\u%04x", c);
	return tmp;
}

int
crm_buf_add_json(struct crm_buf *b, const char *s, struct crm_error *err)
{
	const char *e;
	char tmp[7];

	if (crm_buf_addc(b, '"', err) < 0)
		return -1;
	for (; *s; s++)
		if ((e = crm_json_esc((unsigned char)*s, tmp)) != NULL ?
		    crm_buf_adds(b, e, err) < 0 : crm_buf_addc(b, *s, err) < 0)
			return -1;
	return crm_buf_addc(b, '"', err);
}

const char *
crm_buf_str(const struct crm_buf *b)
{
	return b->s != NULL ? b->s : "";
}

char *
crm_buf_detach(struct crm_buf *b)
{
	char *s = b->s;

	if (s == NULL)
		s = calloc(1, 1);
	b->s = NULL;
	b->len = 0;
	b->alloc = 0;
	return s;
}
