#include <ctype.h>
#include <string.h>

#include "jsonl.h"

struct in {
	const char *p, *e;
};

static void
ws(struct in *in)
{
	while (in->p < in->e && (*in->p == ' ' || *in->p == '\t' ||
	    *in->p == '\r' || *in->p == '\n'))
		in->p++;
}

static int
hex4(const char *p, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		int c = (unsigned char)p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* Decode a string at in->p (on the quote) onto out; returns its start. */
static char *
string(struct in *in, char *out, char **end)
{
	char *o = out;

	in->p++;
	while (in->p < in->e && *in->p != '"') {
		unsigned char c = (unsigned char)*in->p++;
		unsigned u, u2;

		if (c < 0x20)
			return NULL;
		if (c != '\\') {
			*o++ = (char)c;
			continue;
		}
		if (in->p >= in->e)
			return NULL;
		switch (*in->p++) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if (in->e - in->p < 4 || hex4(in->p, &u) < 0)
				return NULL;
			in->p += 4;
			if (u >= 0xd800 && u < 0xdc00) {
				if (in->e - in->p < 6 || in->p[0] != '\\' ||
				    in->p[1] != 'u' || hex4(in->p + 2, &u2) < 0 ||
				    u2 < 0xdc00 || u2 >= 0xe000)
					return NULL;
				in->p += 6;
				u = 0x10000 + ((u - 0xd800) << 10) + (u2 - 0xdc00);
			} else if (u >= 0xdc00 && u < 0xe000)
				return NULL;
			if (u == 0)
				return NULL;	/* no NUL in a field */
			if (u < 0x80)
				*o++ = (char)u;
			else if (u < 0x800) {
				*o++ = (char)(0xc0 | u >> 6);
				*o++ = (char)(0x80 | (u & 0x3f));
			} else if (u < 0x10000) {
				*o++ = (char)(0xe0 | u >> 12);
				*o++ = (char)(0x80 | (u >> 6 & 0x3f));
				*o++ = (char)(0x80 | (u & 0x3f));
			} else {
				*o++ = (char)(0xf0 | u >> 18);
				*o++ = (char)(0x80 | (u >> 12 & 0x3f));
				*o++ = (char)(0x80 | (u >> 6 & 0x3f));
				*o++ = (char)(0x80 | (u & 0x3f));
			}
			break;
		default:
			return NULL;
		}
	}
	if (in->p >= in->e)
		return NULL;
	in->p++;
	*o++ = '\0';
	*end = o;
	return out;
}

/* Skip a nested value (object or array), strings and all. */
static int
skip_nested(struct in *in)
{
	int depth = 0, str = 0;

	for (; in->p < in->e; in->p++) {
		char c = *in->p;

		if (str) {
			if (c == '\\')
				in->p++;
			else if (c == '"')
				str = 0;
			continue;
		}
		if (c == '"')
			str = 1;
		else if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']') {
			if (--depth == 0) {
				in->p++;
				return 0;
			}
		}
	}
	return -1;
}

int
crm_jsonl_object(const char *s, size_t n, struct crm_buf *scratch,
    int (*fn)(void *ctx, const char *key, const char *val,
    enum crm_jsonl_kind kind, struct crm_error *err), void *ctx,
    struct crm_error *err)
{
	struct in in = { s, s + n };
	char *o, *key, *val, *end;

	crm_buf_reset(scratch);
	/* Decoded text is never longer than the source. */
	if (crm_buf_grow(scratch, 2 * n + 2, err) < 0)
		return -1;
	o = scratch->s;
	ws(&in);
	if (in.p >= in.e || *in.p != '{')
		return crm_error_set(err, CRM_EDATA, "not a JSON object");
	in.p++;
	ws(&in);
	if (in.p < in.e && *in.p == '}') {
		in.p++;
		goto tail;
	}
	for (;;) {
		enum crm_jsonl_kind kind;

		ws(&in);
		if (in.p >= in.e || *in.p != '"' ||
		    (key = string(&in, o, &end)) == NULL)
			return crm_error_set(err, CRM_EDATA,
			    "bad JSON: expected a member name");
		o = end;
		ws(&in);
		if (in.p >= in.e || *in.p != ':')
			return crm_error_set(err, CRM_EDATA,
			    "bad JSON: expected ':' after \"%s\"", key);
		in.p++;
		ws(&in);
		if (in.p >= in.e)
			return crm_error_set(err, CRM_EDATA, "bad JSON: cut off");
		if (*in.p == '"') {
			if ((val = string(&in, o, &end)) == NULL)
				return crm_error_set(err, CRM_EDATA,
				    "bad JSON string in \"%s\"", key);
			o = end;
			kind = CRM_JSONL_STRING;
		} else {
			const char *v0 = in.p;

			if (*in.p == '{' || *in.p == '[') {
				if (skip_nested(&in) < 0)
					return crm_error_set(err, CRM_EDATA,
					    "bad JSON value in \"%s\"", key);
			} else
				while (in.p < in.e && (isalnum((unsigned char)
				    *in.p) || *in.p == '-' || *in.p == '+' ||
				    *in.p == '.'))
					in.p++;
			if (in.p == v0)
				return crm_error_set(err, CRM_EDATA,
				    "bad JSON value in \"%s\"", key);
			kind = in.p - v0 == 4 && memcmp(v0, "null", 4) == 0 ?
			    CRM_JSONL_NULL : CRM_JSONL_RAW;
			val = o;
			memcpy(o, v0, (size_t)(in.p - v0));
			o += in.p - v0;
			*o++ = '\0';
		}
		if (fn(ctx, key, val, kind, err) < 0)
			return -1;
		ws(&in);
		if (in.p < in.e && *in.p == ',') {
			in.p++;
			continue;
		}
		if (in.p < in.e && *in.p == '}') {
			in.p++;
			break;
		}
		return crm_error_set(err, CRM_EDATA,
		    "bad JSON: expected ',' or '}'");
	}
tail:
	ws(&in);
	if (in.p != in.e)
		return crm_error_set(err, CRM_EDATA,
		    "bad JSON: text after the object");
	return 0;
}
