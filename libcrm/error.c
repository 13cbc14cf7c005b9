#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

void
crm_error_clear(struct crm_error *err)
{
	err->code = CRM_EOK;
	err->msg[0] = '\0';
}

static void
finish(struct crm_error *err, int n)
{
	if (n >= (int)sizeof(err->msg))
		memcpy(err->msg + sizeof(err->msg) - 4, "...", 4);
}

int
crm_error_set(struct crm_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	finish(err, vsnprintf(err->msg, sizeof(err->msg), fmt, ap));
	va_end(ap);
	return -1;
}

int
crm_error_prefix(struct crm_error *err, const char *fmt, ...)
{
	char old[CRM_ERRMSG_MAX];
	va_list ap;
	int n;

	if (err == NULL)
		return -1;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && n < (int)sizeof(err->msg))
		n += snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", old);
	finish(err, n);
	return -1;
}

const char *
crm_quote(char *out, const char *s, size_t len)
{
	size_t i, o = 0;

	if (s == NULL) {
		snprintf(out, CRM_QUOTE_MAX, "(null)");
		return out;
	}
	for (i = 0; i < len && o < CRM_QUOTE_MAX - 8; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == 60) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(out + o, CRM_QUOTE_MAX - o,
			    "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}
