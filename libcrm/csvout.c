/*
 * csvout.c - the writer half of csvio.h: CSV, TSV, JSON lines and aligned
 * tables, and rejects records.  (The reader is csvio.c.)
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "csvio.h"
#include "norm.h"

/* Writer. */

struct crm_out {
	FILE *fp;
	enum crm_fmt fmt;
	int excel_safe;
	size_t n;
	char **names;
	enum crm_coltype *types;
	struct crm_buf cells;	/* table: every cell, NUL-terminated */
	size_t nrows;
};

int
crm_fmt_parse(const char *s, enum crm_fmt *fmt, struct crm_error *err)
{
	if (strcasecmp(s, "csv") == 0)
		*fmt = CRM_FMT_CSV;
	else if (strcasecmp(s, "tsv") == 0)
		*fmt = CRM_FMT_TSV;
	else if (strcasecmp(s, "table") == 0)
		*fmt = CRM_FMT_TABLE;
	else if (strcasecmp(s, "json") == 0 || strcasecmp(s, "jsonl") == 0)
		*fmt = CRM_FMT_JSON;
	else
		return crm_error_set(err, CRM_EUSAGE,
		    "unknown format '%s' (csv, tsv, json or table)", s);
	return 0;
}

struct crm_out *
crm_out_new(FILE *fp, enum crm_fmt fmt, int excel_safe, struct crm_error *err)
{
	struct crm_out *o = calloc(1, sizeof(*o));

	if (o == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	o->fp = fp;
	o->fmt = fmt;
	o->excel_safe = excel_safe;
	crm_buf_init(&o->cells, (size_t)1 << 30);
	return o;
}

void
crm_out_free(struct crm_out *o)
{
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < o->n; i++)
		free(o->names[i]);
	free(o->names);
	free(o->types);
	crm_buf_release(&o->cells);
	free(o);
}

static int
formula_like(const char *s)
{
	return s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
	    s[0] == '\t' || s[0] == '\r';
}

static int
is_number(const char *s)
{
	char *end;
	double v;

	if (*s == '\0' || isspace((unsigned char)*s))
		return 0;
	errno = 0;
	v = strtod(s, &end);
	/* strtod takes hex, inf and nan, which JSON does not. */
	return *end == '\0' && errno == 0 && isfinite(v) &&
	    strpbrk(s, "xXnNiI") == NULL && !(s[0] == '0' && isdigit(
	    (unsigned char)s[1])) && s[0] != '+' && s[0] != '.';
}

static void
put_csv(FILE *fp, const char *s, int safe, int quote)
{
	const char *p;
	int q = safe || quote;

	/* One pass, not strlen() and strpbrk(): most fields are short. */
	for (p = s; *p != '\0'; p++)
		if (*p == ',' || *p == '"' || *p == '\r' || *p == '\n')
			q = 1;
	if (p > s && (isblank((unsigned char)s[0]) ||
	    isblank((unsigned char)p[-1])))
		q = 1;
	if (!q) {
		fwrite_unlocked(s, 1, (size_t)(p - s), fp);
		return;
	}
	putc_unlocked('"', fp);
	if (safe)
		putc_unlocked('\'', fp);
	for (p = s; *p; p++) {
		if (*p == '"')
			putc_unlocked('"', fp);
		putc_unlocked(*p, fp);
	}
	putc_unlocked('"', fp);
}

static void
put_tsv(FILE *fp, const char *s, int safe)
{
	if (safe)
		putc_unlocked('\'', fp);
	for (; *s; s++) {
		switch (*s) {
		case '\t': fputs_unlocked("\\t", fp); break;
		case '\n': fputs_unlocked("\\n", fp); break;
		case '\r': fputs_unlocked("\\r", fp); break;
		case '\\': fputs_unlocked("\\\\", fp); break;
		default: putc_unlocked(*s, fp);
		}
	}
}

static void
put_json_str(FILE *fp, const char *s)
{
	const char *e;
	char tmp[7];

	putc_unlocked('"', fp);
	for (; *s; s++)
		if ((e = crm_json_esc((unsigned char)*s, tmp)) != NULL)
			fputs_unlocked(e, fp);
		else
			putc_unlocked(*s, fp);
	putc_unlocked('"', fp);
}

/*
 * A row takes the stream's lock once (flockfile() in crm_out_header(),
 * crm_out_row() and crm_out_end()) and is written with the unlocked
 * calls: in a program that has started a thread glibc would otherwise
 * lock and unlock the stream for each character and field.
 */

static int
check(struct crm_out *o, struct crm_error *err)
{
	if (ferror(o->fp))
		return crm_error_set(err, CRM_EFAIL, "write error: %s",
		    strerror(errno));
	return 0;
}

static int
out_header(struct crm_out *o, const char *const *names,
    const enum crm_coltype *types, size_t n, struct crm_error *err)
{
	size_t i;

	o->names = calloc(n, sizeof(*o->names));
	o->types = calloc(n, sizeof(*o->types));
	if (o->names == NULL || o->types == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	o->n = n;
	for (i = 0; i < n; i++) {
		if ((o->names[i] = strdup(names[i])) == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		o->types[i] = types ? types[i] : CRM_COL_TEXT;
	}
	if (o->fmt == CRM_FMT_JSON || o->fmt == CRM_FMT_TABLE)
		return 0;
	for (i = 0; i < n; i++) {
		if (i > 0)
			putc_unlocked(o->fmt == CRM_FMT_TSV ? '\t' : ',',
			    o->fp);
		if (o->fmt == CRM_FMT_TSV)
			put_tsv(o->fp, names[i], 0);
		else
			/*
			 * A reader sniffs the separator from the header line
			 * (csvio.c): a name with a tab, ';' or '|' is quoted,
			 * so that it reads back as one comma-separated column.
			 */
			put_csv(o->fp, names[i], 0,
			    strpbrk(names[i], "\t;|") != NULL);
	}
	putc_unlocked('\n', o->fp);
	return check(o, err);
}

int
crm_out_header(struct crm_out *o, const char *const *names,
    const enum crm_coltype *types, size_t n, struct crm_error *err)
{
	int rc;

	flockfile(o->fp);
	rc = out_header(o, names, types, n, err);
	funlockfile(o->fp);
	return rc;
}

static int
out_row(struct crm_out *o, const char *const *vals, struct crm_error *err)
{
	size_t i;

	if (o->fmt == CRM_FMT_TABLE) {
		for (i = 0; i < o->n; i++) {
			const char *v = vals[i] ? vals[i] : "";
			size_t k, len = strlen(v);

			/* One line per cell: control characters become spaces. */
			if (crm_buf_grow(&o->cells, len + 1, err) < 0)
				return -1;
			for (k = 0; k < len; k++)
				o->cells.s[o->cells.len++] =
				    (unsigned char)v[k] < 0x20 ? ' ' : v[k];
			o->cells.s[o->cells.len++] = '\0';
		}
		o->nrows++;
		return 0;
	}
	if (o->fmt == CRM_FMT_JSON) {
		putc_unlocked('{', o->fp);
		for (i = 0; i < o->n; i++) {
			const char *v = vals[i];

			if (i > 0)
				putc_unlocked(',', o->fp);
			put_json_str(o->fp, o->names[i]);
			putc_unlocked(':', o->fp);
			if (v == NULL)
				fputs_unlocked("null", o->fp);
			else if (o->types[i] == CRM_COL_BOOL &&
			    (strcmp(v, "1") == 0 || strcmp(v, "0") == 0))
				fputs_unlocked(v[0] == '1' ? "true" : "false",
				    o->fp);
			else if (o->types[i] == CRM_COL_NUM && is_number(v))
				fputs_unlocked(v, o->fp);
			else if (o->types[i] == CRM_COL_JSON)
				fputs_unlocked(v, o->fp);
			else
				put_json_str(o->fp, v);
		}
		fputs_unlocked("}\n", o->fp);
		return check(o, err);
	}
	if (o->n == 1 && o->fmt == CRM_FMT_CSV &&
	    (vals[0] == NULL || vals[0][0] == '\0')) {
		/* A blank line would read back as no record at all. */
		fputs_unlocked("\"\"\n", o->fp);
		return check(o, err);
	}
	for (i = 0; i < o->n; i++) {
		const char *v = vals[i] ? vals[i] : "";
		int safe = o->excel_safe && formula_like(v) &&
		    !(o->types[i] == CRM_COL_NUM && is_number(v));

		if (i > 0)
			putc_unlocked(o->fmt == CRM_FMT_TSV ? '\t' : ',',
			    o->fp);
		if (o->fmt == CRM_FMT_TSV)
			put_tsv(o->fp, v, safe);
		else
			put_csv(o->fp, v, safe, 0);
	}
	putc_unlocked('\n', o->fp);
	return check(o, err);
}

int
crm_out_row(struct crm_out *o, const char *const *vals, struct crm_error *err)
{
	int rc;

	flockfile(o->fp);
	rc = out_row(o, vals, err);
	funlockfile(o->fp);
	return rc;
}

/* Display width, counting code points (no wide-character tables). */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static int
out_end(struct crm_out *o, struct crm_error *err)
{
	size_t *w, r, i, k;
	const char *p;

	if (o->fmt != CRM_FMT_TABLE)
		return check(o, err);
	if ((w = calloc(o->n ? o->n : 1, sizeof(*w))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	for (i = 0; i < o->n; i++)
		w[i] = width(o->names[i]);
	for (r = 0, p = o->cells.s; r < o->nrows; r++)
		for (i = 0; i < o->n; i++, p += strlen(p) + 1)
			if (width(p) > w[i])
				w[i] = width(p);
	for (i = 0; i < o->n; i++)
		fprintf(o->fp, "%s%-*s", i ? "  " : "", i + 1 < o->n ?
		    (int)w[i] : 0, o->names[i]);
	putc_unlocked('\n', o->fp);
	for (i = 0; i < o->n; i++) {
		fputs_unlocked(i ? "  " : "", o->fp);
		for (k = 0; k < w[i]; k++)
			putc_unlocked('-', o->fp);
	}
	putc_unlocked('\n', o->fp);
	for (r = 0, p = o->cells.s; r < o->nrows; r++) {
		size_t spaces = 0;

		/* Blanks are held back until something follows them, so
		 * that no line ends in blanks. */
		for (i = 0; i < o->n; i++, p += strlen(p) + 1) {
			int right = o->types[i] == CRM_COL_NUM;
			size_t pad = w[i] - width(p);

			spaces += i ? 2 : 0;
			if (right)
				spaces += pad;
			if (*p != '\0') {
				for (k = 0; k < spaces; k++)
					putc_unlocked(' ', o->fp);
				spaces = 0;
				fputs_unlocked(p, o->fp);
			}
			if (!right)
				spaces += pad;
		}
		putc_unlocked('\n', o->fp);
	}
	free(w);
	crm_buf_release(&o->cells);
	o->nrows = 0;
	return check(o, err);
}

int
crm_out_end(struct crm_out *o, struct crm_error *err)
{
	int rc;

	flockfile(o->fp);
	rc = out_end(o, err);
	funlockfile(o->fp);
	return rc;
}

int
crm_out_reject(struct crm_out *o, const struct crm_csv *r, const char *reason,
    struct crm_error *err)
{
	const char *stackv[64], **v = stackv;
	size_t i, n = crm_csv_ncols(r);
	int rc;

	if (n + 1 != o->n)
		return crm_error_set(err, CRM_EFAIL, "rejects: column mismatch");
	if (n + 1 > sizeof(stackv) / sizeof(stackv[0]) &&
	    (v = calloc(n + 1, sizeof(*v))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	for (i = 0; i < n; i++)
		v[i] = crm_csv_missing(r, (int)i) ? NULL :
		    crm_csv_field(r, (int)i);
	v[n] = reason;
	rc = crm_out_row(o, v, err);
	if (v != stackv)
		free(v);
	return rc;
}
