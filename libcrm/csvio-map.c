/*
 * csvio-map.c - a CSV reader's columns: the header mapped onto a command's
 * columns (aliases, renames, constants, value maps, conversions), each
 * record transformed to match, and the accessors of the current record.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "conv.h"
#include "csvio.h"
#include "csvio-int.h"
#include "norm.h"

/* Header name as compared: trimmed, lower case, ' ' and '-' as '_'. */
static void
colkey(const char *s, char *out, size_t outsz)
{
	size_t len, i, o = 0;

	s = crm_trim(s, &len);
	for (i = 0; i < len && o + 1 < outsz; i++) {
		unsigned char c = (unsigned char)s[i];

		out[o++] = (c == ' ' || c == '-') ? '_' : (char)tolower(c);
	}
	out[o] = '\0';
}

static int
colmatch(const char *key, const struct crm_csv_col *c)
{
	const char *a, *e;
	size_t n;

	if (strcmp(key, c->name) == 0)
		return 1;
	for (a = c->aliases; a != NULL && *a != '\0'; a = *e ? e + 1 : e) {
		e = strchr(a, '|');
		if (e == NULL)
			e = a + strlen(a);
		n = (size_t)(e - a);
		if (strlen(key) == n && strncmp(key, a, n) == 0)
			return 1;
	}
	return 0;
}

static int
preset_header(struct crm_csv *r, struct crm_error *err)
{
	char *save = NULL, *tok, *list = r->preset;
	size_t len;

	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		const char *t = crm_trim(tok, &len);
		char **c = reallocarray(r->cols, r->ncols + 1, sizeof(*c));

		if (c == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		r->cols = c;
		if ((c[r->ncols] = strndup(t, len)) == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		r->ncols++;
		if (len == 0)
			return crm_error_set(err, CRM_EUSAGE,
			    "--columns: name %zu is empty", r->ncols);
	}
	if (r->ncols == 0)
		return crm_error_set(err, CRM_EUSAGE, "--columns: no names");
	return 0;
}

int
crm_csv_peek(struct crm_csv *r, struct crm_error *err)
{
	size_t i;
	int rc;

	if (r->peeked)
		return 0;
	if (r->preset != NULL) {
		if (preset_header(r, err) < 0)
			return -1;
	} else {
		if ((rc = csv_next_raw(r, err)) < 0)
			return -1;
		if (rc == 0)
			return crm_error_set(err, CRM_EDATA,
			    "%s: empty file, no header", r->name);
		if (r->json == 1)
			r->jpending = 1;
		else {
			r->ncols = r->nf;
			if ((r->cols = calloc(r->ncols, sizeof(*r->cols))) ==
			    NULL)
				return crm_error_set(err, CRM_EFAIL,
				    "out of memory");
			for (i = 0; i < r->ncols; i++) {
				if ((r->cols[i] = strdup(crm_csv_field(r,
				    (int)i))) == NULL)
					return crm_error_set(err, CRM_EFAIL,
					    "out of memory");
				if (crm_blank(r->cols[i]) && !(r->trailing &&
				    i + 1 == r->ncols && i > 0))
					return crm_error_set(err, CRM_EDATA,
					    "%s:%ld: header field %zu is empty",
					    r->name, r->ready_line, i + 1);
			}
		}
	}
	r->nreal = r->ncols;
	r->acols = r->ncols + MAXCONST;
	{
		char **c = reallocarray(r->cols, r->acols, sizeof(*c));

		if (c == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		r->cols = c;
	}
	r->used = calloc(r->acols, 1);
	r->as = calloc(r->acols, sizeof(*r->as));
	r->cval = calloc(r->acols, sizeof(*r->cval));
	r->conv = calloc(r->acols, 1);
	if (r->used == NULL || r->as == NULL || r->cval == NULL ||
	    r->conv == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	r->peeked = 1;
	return 0;
}

int
crm_csv_find(const struct crm_csv *r, const char *name)
{
	char a[256], b[256];
	size_t i;

	colkey(name, a, sizeof(a));
	for (i = 0; i < r->ncols; i++) {
		colkey(r->cols[i], b, sizeof(b));
		if (strcmp(a, b) == 0)
			return (int)i;
	}
	return -1;
}

int
crm_csv_rename(struct crm_csv *r, size_t i, const char *name,
    struct crm_error *err)
{
	if (!r->peeked || i >= r->ncols)
		return crm_error_set(err, CRM_EFAIL, "rename: no column %zu", i);
	free(r->as[i]);
	r->as[i] = NULL;
	if (name != NULL && (r->as[i] = strdup(name)) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	return 0;
}

static uint64_t
fnv(uint64_t h, const char *s)
{
	if (s == NULL)
		s = "\001";
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (h ^ 0xff) * 0x100000001b3ULL;
}

uint64_t
crm_csv_mapping_id(const struct crm_csv *r)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	char d[2] = { (char)r->decimal, '\0' };
	size_t i;

	for (i = 0; r->as != NULL && i < r->ncols; i++) {
		h = fnv(h, r->cols[i]);
		h = fnv(h, r->as[i]);
		h = fnv(h, r->cval[i]);
	}
	for (i = 0; i < r->nvm; i++) {
		h = fnv(h, r->vm[i].name);
		h = fnv(h, r->vm[i].from);
		h = fnv(h, r->vm[i].to);
	}
	h = fnv(h, r->datefmt);
	return fnv(h, d);
}

int
crm_csv_renamed(const struct crm_csv *r, size_t i)
{
	return r->as != NULL && i < r->ncols && r->as[i] != NULL;
}

int
crm_csv_constant(struct crm_csv *r, const char *name, const char *value,
    struct crm_error *err)
{
	if (!r->peeked)
		return crm_error_set(err, CRM_EFAIL, "constant before peek");
	if (r->ncols == r->acols)
		return crm_error_set(err, CRM_EUSAGE, "more than %d constant"
		    " columns", MAXCONST);
	if ((r->cols[r->ncols] = strdup(name)) == NULL ||
	    (r->cval[r->ncols] = strdup(value)) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	r->ncols++;
	return 0;
}

int
crm_csv_map_value(struct crm_csv *r, const char *name, const char *from,
    const char *to, struct crm_error *err)
{
	struct vmap *v = reallocarray(r->vm, r->nvm + 1, sizeof(*v));

	if (v == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	r->vm = v;
	v += r->nvm;
	v->col = -1;
	v->name = strdup(name);
	v->from = strdup(from);
	v->to = strdup(to);
	r->nvm++;
	if (v->name == NULL || v->from == NULL || v->to == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	return 0;
}

int
crm_csv_set_format(struct crm_csv *r, const char *date_format, int decimal,
    struct crm_error *err)
{
	if (date_format != NULL) {
		free(r->datefmt);
		if ((r->datefmt = strdup(date_format)) == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
	}
	if (decimal != 0)
		r->decimal = decimal;
	return 0;
}

void
crm_csv_convert(struct crm_csv *r, int i, enum crm_conv_kind kind)
{
	if (i < 0 || !r->peeked || (size_t)i >= r->ncols)
		return;
	if (kind == CRM_CONV_NUMBER && r->decimal != ',')
		return;
	r->conv[i] = (unsigned char)kind;
	if (kind != CRM_CONV_NONE)
		r->transform = 1;
}

const char *
crm_csv_note(const struct crm_csv *r)
{
	return r->note;
}

int
crm_csv_delim(const struct crm_csv *r)
{
	return r->delim ? r->delim : ',';
}

const char *
crm_csv_encoding(const struct crm_csv *r)
{
	return r->enc;
}

int
crm_csv_header(struct crm_csv *r, const struct crm_csv_col *cols,
    size_t ncols, int *idx, struct crm_error *err)
{
	char key[256], q[CRM_QUOTE_MAX];
	size_t i, j, k;

	if (crm_csv_peek(r, err) < 0)
		return -1;
	for (j = 0; j < ncols; j++)
		idx[j] = -1;
	for (i = 0; i < r->ncols; i++) {
		if (r->as[i] != NULL && strcmp(r->as[i], "-") == 0) {
			r->used[i] = 1;		/* ignored */
			continue;
		}
		colkey(r->as[i] ? r->as[i] : r->cols[i], key, sizeof(key));
		for (j = 0; j < ncols; j++) {
			if (!colmatch(key, &cols[j]))
				continue;
			if (idx[j] >= 0)
				return crm_error_set(err, CRM_EDATA,
				    "%s:%ld: column '%s' given twice"
				    " (as '%s' and '%s')", r->name,
				    r->ready_line, cols[j].name,
				    r->cols[idx[j]], crm_quote(q, r->cols[i],
				    strlen(r->cols[i])));
			idx[j] = (int)i;
			r->used[i] = 1;
			break;
		}
	}
	/* Two unknown columns of the same name would collide as attributes. */
	for (i = 0; i < r->ncols; i++) {
		char k2[256];

		if (r->used[i])
			continue;
		colkey(r->cols[i], key, sizeof(key));
		for (j = i + 1; j < r->ncols; j++) {
			colkey(r->cols[j], k2, sizeof(k2));
			if (!r->used[j] && strcmp(key, k2) == 0)
				return crm_error_set(err, CRM_EDATA,
				    "%s:%ld: column '%s' given twice", r->name,
				    r->ready_line, crm_quote(q, r->cols[i],
				    strlen(r->cols[i])));
		}
	}
	/* Value maps name the column as the program knows it. */
	for (k = 0; k < r->nvm; k++) {
		colkey(r->vm[k].name, key, sizeof(key));
		for (j = 0; j < ncols; j++)
			if (strcmp(key, cols[j].name) == 0)
				break;
		if (j == ncols)
			return crm_error_set(err, CRM_EUSAGE, "--map-value:"
			    " unknown column '%s'", r->vm[k].name);
		r->vm[k].col = idx[j];
		if (idx[j] >= 0)
			r->transform = 1;
	}
	r->have_header = 1;
	return 0;
}

/* The first header field whose key is that of s[0..n). */
static int
find_key(const struct crm_csv *r, const char *s, size_t n)
{
	char raw[256], want[256], key[256];
	size_t i;

	if (n >= sizeof(raw))
		n = sizeof(raw) - 1;
	memcpy(raw, s, n);
	raw[n] = '\0';
	colkey(raw, want, sizeof(want));
	for (i = 0; i < r->ncols; i++) {
		colkey(r->cols[i], key, sizeof(key));
		if (strcmp(key, want) == 0)
			return (int)i;
	}
	return -1;
}

int
crm_csv_find_col(const struct crm_csv *r, const struct crm_csv_col *col,
    size_t name_len)
{
	const char *a, *e;
	int i;

	if ((i = find_key(r, col->name, name_len ? name_len :
	    strlen(col->name))) >= 0)
		return i;
	for (a = col->aliases; a != NULL && *a; a = *e ? e + 1 : e) {
		if ((e = strchr(a, '|')) == NULL)
			e = a + strlen(a);
		if ((i = find_key(r, a, (size_t)(e - a))) >= 0)
			return i;
	}
	return -1;
}

/* Map and convert the current record's fields in place. */
static int
transform(struct crm_csv *r, struct crm_error *err)
{
	char out[CRM_CONV_OUT];
	const char *why;
	size_t i, k, len;

	r->note = NULL;
	for (i = 0; i < r->nf; i++) {
		const char *v = r->data.s + r->f[i].off, *t;
		const char *nv = NULL;
		size_t nlen = 0;

		if (r->f[i].missing)
			continue;
		for (k = 0; k < r->nvm; k++) {
			if (r->vm[k].col != (int)i)
				continue;
			t = crm_trim(v, &len);
			if (strlen(r->vm[k].from) == len &&
			    strncasecmp(r->vm[k].from, t, len) == 0) {
				nv = r->vm[k].to;
				nlen = strlen(nv);
				break;
			}
		}
		if (nv == NULL && (r->conv[i] == CRM_CONV_TIME ||
		    r->conv[i] == CRM_CONV_DATE)) {
			if (crm_conv_time(v, r->datefmt, r->conv[i] ==
			    CRM_CONV_DATE, out, &why) == 1) {
				nv = out;
				nlen = strlen(out);
			} else if (why != NULL)
				r->note = why;
		} else if (nv == NULL && r->conv[i] == CRM_CONV_NUMBER) {
			crm_buf_reset(&r->xf);
			if (crm_conv_decimal(v, r->decimal, &r->xf, err) < 0)
				return -1;
			nv = crm_buf_str(&r->xf);
			nlen = r->xf.len;
		}
		if (nv == NULL)
			continue;
		/* The new value goes at the end; fields are offsets. */
		r->f[i].off = r->data.len;
		r->f[i].len = nlen;
		if (crm_buf_add(&r->data, nv, nlen, err) < 0 ||
		    crm_buf_addc(&r->data, '\0', err) < 0)
			return -1;
	}
	return 0;
}

size_t
crm_csv_ncols(const struct crm_csv *r)
{
	return r->ncols;
}

const char *
crm_csv_colname(const struct crm_csv *r, size_t i)
{
	return i < r->ncols ? r->cols[i] : "";
}

int
crm_csv_extra(const struct crm_csv *r, size_t i)
{
	return i < r->ncols && !r->used[i];
}

int
crm_csv_next(struct crm_csv *r, struct crm_error *err)
{
	size_t i;
	int rc;

	if ((rc = csv_next_raw(r, err)) <= 0)
		return rc;
	if (r->have_header && r->nf != r->nreal)
		return crm_error_set(err, CRM_EDATA,
		    "%s:%ld: expected %zu fields as in the header, found %zu",
		    r->name, r->ready_line, r->nreal, r->nf);
	for (i = r->nreal; i < r->ncols; i++)
		if (csv_add_field(&r->data, &r->f, &r->nf, &r->af, r->cval[i],
		    strlen(r->cval[i]), 0, err) < 0)
			return -1;
	if (r->transform && transform(r, err) < 0)
		return -1;
	return 1;
}

size_t
crm_csv_nfields(const struct crm_csv *r)
{
	return r->ready ? r->nf : 0;
}

const char *
crm_csv_field(const struct crm_csv *r, int i)
{
	if (!r->ready || i < 0 || (size_t)i >= r->nf)
		return "";
	return r->data.s + r->f[i].off;
}

size_t
crm_csv_fieldlen(const struct crm_csv *r, int i)
{
	if (!r->ready || i < 0 || (size_t)i >= r->nf)
		return 0;
	return r->f[i].len;
}

int
crm_csv_missing(const struct crm_csv *r, int i)
{
	if (!r->ready || i < 0 || (size_t)i >= r->nf)
		return 1;
	return r->f[i].missing;
}

int
crm_csv_is_tsv(const struct crm_csv *r)
{
	return r->tsv;
}

long
crm_csv_line(const struct crm_csv *r)
{
	return r->ready_line;
}
