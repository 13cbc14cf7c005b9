#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <csv.h>
#include <iconv.h>

#include "buf.h"
#include "conv.h"
#include "csvio.h"
#include "jsonl.h"
#include "norm.h"

#define MAXCONST 16	/* constant columns a profile may add */

struct vmap {
	char *name, *from, *to;
	int col;
};

#define INBUF (64 * 1024)

struct field {
	size_t off, len;
	int missing;
};

struct crm_csv {
	FILE *fp;
	char *name;
	int tsv;
	struct csv_parser p;

	char in[INBUF];
	size_t inpos, inlen;
	int eof, bom_checked, at_line_start;
	int cr_counted;		/* the last read ended in a CR, counted */
	long line;		/* line being fed (1-based) */
	long rec_line;		/* line the record being built started on */
	size_t rec_bytes;	/* bytes fed since the record began */

	/* The record being built by the libcsv callbacks. */
	struct crm_buf data;
	struct field *f;
	size_t nf, af;
	int ready;		/* a whole record is in data/f */
	long ready_line;
	int cberr;		/* a callback failed: err below holds why */
	struct crm_error cb;

	/* Header. */
	char **cols;
	unsigned char *used;
	size_t ncols;
	int have_header;

	/* Dialect: separator, JSON lines, encoding, preset header. */
	int delim;		/* the separator once known, 'j' for JSON */
	int sniff;		/* decide the separator from the header line */
	int trailing;		/* CRM_CSV_TRAILING */
	int json;		/* 1 JSON lines, -1 never, 0 sniff */
	iconv_t cd;		/* (iconv_t)-1 unless converting */
	char *enc;		/* what is converted from, NULL for UTF-8 */
	int enc_given;
	char *raw;		/* unconverted input */
	size_t rawpos, rawlen;
	int raweof;
	char *preset;		/* --columns */
	struct crm_buf jline, jscratch;
	int jpending;		/* the header's object is the first record */
	int jfirst;

	/* Mapping (crm_csv_peek() to crm_csv_header()) and conversion. */
	int peeked;
	size_t nreal;		/* fields in the file; the rest are constant */
	size_t acols;		/* room in the arrays below */
	char **as;		/* name to match as, "-" ignored, or NULL */
	char **cval;		/* value of a constant column */
	unsigned char *conv;	/* enum crm_conv_kind per field */
	struct vmap *vm;
	size_t nvm;
	int transform;		/* some field converts or maps values */
	char *datefmt;
	int decimal;
	const char *note;
	struct crm_buf xf;

	/* A record finished while another was ready (a lone CR inside a
	 * line): kept here until the ready one is consumed. */
	struct crm_buf spill;
	struct field *sf;
	size_t snf, saf;
	long spill_line;
	int spilled;
};

static int
no_space(unsigned char c)
{
	return 0;
}

static int
add_field(struct crm_buf *data, struct field **f, size_t *nf, size_t *af,
    const char *s, size_t len, int missing, struct crm_error *err)
{
	if (*nf == *af) {
		size_t n = *af ? *af * 2 : 32;
		struct field *p = reallocarray(*f, n, sizeof(*p));

		if (p == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		*f = p;
		*af = n;
	}
	(*f)[*nf].off = data->len;
	(*f)[*nf].len = len;
	(*f)[*nf].missing = missing;
	if (crm_buf_add(data, s, len, err) < 0 ||
	    crm_buf_addc(data, '\0', err) < 0)
		return -1;
	(*nf)++;
	return 0;
}

/* Decode the TSV escapes \t \n \r \\ in place; returns the new length. */
static size_t
tsv_unescape(char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len) {
			switch (s[i + 1]) {
			case 't': s[o++] = '\t'; i++; continue;
			case 'n': s[o++] = '\n'; i++; continue;
			case 'r': s[o++] = '\r'; i++; continue;
			case '\\': s[o++] = '\\'; i++; continue;
			}
		}
		s[o++] = s[i];
	}
	return o;
}

static void
cb_field(void *s, size_t len, void *data)
{
	struct crm_csv *r = data;
	int spill = r->ready;
	struct crm_buf *b = spill ? &r->spill : &r->data;

	if (r->cberr)
		return;
	if (len > CRM_CSV_FIELD_MAX) {
		size_t f = spill ? r->snf : r->nf;

		/* The column by name too, once the header has given them. */
		crm_error_set(&r->cb, CRM_EDATA,
		    "%s:%ld: field %zu%s%s%s is longer than %u bytes", r->name,
		    r->line, f + 1, r->have_header && f < r->ncols ? " (" : "",
		    r->have_header && f < r->ncols ? r->cols[f] : "",
		    r->have_header && f < r->ncols ? ")" : "",
		    CRM_CSV_FIELD_MAX);
		r->cberr = 1;
		return;
	}
	if (s != NULL && !crm_utf8_valid(s, len)) {
		crm_error_set(&r->cb, CRM_EDATA,
		    "%s:%ld: invalid UTF-8 in field %zu (give --encoding, such as"
		    " cp1252)", r->name, r->line,
		    (spill ? r->snf : r->nf) + 1);
		r->cberr = 1;
		return;
	}
	if (r->tsv && s != NULL)
		len = tsv_unescape(s, len);
	if (add_field(b, spill ? &r->sf : &r->f, spill ? &r->snf : &r->nf,
	    spill ? &r->saf : &r->af, s ? s : "", s ? len : 0, s == NULL,
	    &r->cb) < 0)
		r->cberr = 1;
}

static void
cb_record(int c, void *data)
{
	struct crm_csv *r = data;

	if (r->cberr)
		return;
	if (r->ready) {
		if (r->spilled) {
			crm_error_set(&r->cb, CRM_EFAIL,
			    "%s:%ld: too many records on one line", r->name,
			    r->line);
			r->cberr = 1;
			return;
		}
		r->spilled = 1;
		r->spill_line = r->line;
	} else {
		r->ready = 1;
		r->ready_line = r->rec_line;
	}
	r->rec_bytes = 0;
	r->rec_line = r->line;
}

static int
ends(const char *path, const char *ext)
{
	size_t n = strlen(path), k = strlen(ext);

	return n > k && strcasecmp(path + n - k, ext) == 0;
}

static void
set_delim(struct crm_csv *r, int c)
{
	r->delim = c;
	if (c == '\t') {
		r->tsv = 1;
		csv_set_delim(&r->p, '\t');
		csv_set_quote(&r->p, '\0');	/* NUL never gets this far */
		csv_set_space_func(&r->p, no_space);
	} else
		csv_set_delim(&r->p, (unsigned char)c);
}

struct crm_csv *
crm_csv_open(const char *path, int flags, struct crm_error *err)
{
	return crm_csv_open_dialect(path, flags, NULL, err);
}

struct crm_csv *
crm_csv_open_dialect(const char *path, int flags,
    const struct crm_csv_dialect *d, struct crm_error *err)
{
	static const struct crm_csv_dialect none;
	struct crm_csv *r;
	unsigned char opts = CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL |
	    CSV_EMPTY_IS_NULL;

	if (d == NULL)
		d = &none;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	r->cd = (iconv_t)-1;
	r->tsv = (flags & CRM_CSV_TSV) || ends(path, ".tsv");
	r->json = d->json;
	if (r->json == 0 && !r->tsv && d->delim == 0 && (ends(path, ".jsonl") ||
	    ends(path, ".ndjson") || ends(path, ".json")))
		r->json = 1;
	r->sniff = !r->tsv && d->delim == 0 && !(flags & CRM_CSV_NOSNIFF);
	r->trailing = (flags & CRM_CSV_TRAILING) != 0;
	if (r->tsv || d->delim != 0 || (flags & CRM_CSV_NOSNIFF))
		r->json = r->json == 1 ? 1 : -1;
	r->decimal = d->decimal;
	crm_buf_init(&r->data, CRM_CSV_RECORD_MAX + 4096);
	crm_buf_init(&r->spill, CRM_CSV_RECORD_MAX + 4096);
	crm_buf_init(&r->jline, CRM_CSV_RECORD_MAX + 4096);
	crm_buf_init(&r->jscratch, 2 * CRM_CSV_RECORD_MAX + 8192);
	crm_buf_init(&r->xf, CRM_CSV_FIELD_MAX + 64);
	r->line = 1;
	r->rec_line = 1;
	r->at_line_start = 1;
	if (strcmp(path, "-") == 0) {
		r->fp = stdin;
		r->name = strdup("<stdin>");
	} else {
		r->fp = fopen(path, "rb");
		r->name = strdup(path);
		if (r->fp == NULL) {
			crm_error_set(err, CRM_EFAIL, "%s: %s", path,
			    strerror(errno));
			free(r->name);
			free(r);
			return NULL;
		}
	}
	if (r->name == NULL || csv_init(&r->p, opts) != 0) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		if (r->fp != stdin)
			fclose(r->fp);
		free(r->name);
		free(r);
		return NULL;
	}
	if (r->tsv)
		set_delim(r, '\t');
	else if (d->delim != 0)
		set_delim(r, d->delim);
	else if (!r->sniff)
		r->delim = ',';
	if ((d->encoding != NULL && (r->enc = strdup(d->encoding)) == NULL) ||
	    (d->columns != NULL && (r->preset = strdup(d->columns)) == NULL) ||
	    (d->date_format != NULL &&
	    (r->datefmt = strdup(d->date_format)) == NULL)) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		crm_csv_close(r);
		return NULL;
	}
	r->enc_given = r->enc != NULL;
	if (r->enc != NULL && (strcasecmp(r->enc, "utf-8") == 0 ||
	    strcasecmp(r->enc, "utf8") == 0)) {
		free(r->enc);
		r->enc = NULL;
	}
	if (r->enc != NULL && (r->cd = iconv_open("UTF-8", r->enc)) ==
	    (iconv_t)-1) {
		crm_error_set(err, CRM_EUSAGE, "unknown encoding '%s' (see"
		    " iconv -l)", r->enc);
		crm_csv_close(r);
		return NULL;
	}
	return r;
}

void
crm_csv_close(struct crm_csv *r)
{
	size_t i;

	if (r == NULL)
		return;
	csv_free(&r->p);
	if (r->fp != NULL && r->fp != stdin)
		fclose(r->fp);
	for (i = 0; i < r->ncols; i++)
		free(r->cols[i]);
	free(r->cols);
	free(r->used);
	free(r->f);
	free(r->sf);
	crm_buf_release(&r->data);
	crm_buf_release(&r->spill);
	crm_buf_release(&r->jline);
	crm_buf_release(&r->jscratch);
	crm_buf_release(&r->xf);
	if (r->cd != (iconv_t)-1)
		iconv_close(r->cd);
	for (i = 0; i < r->ncols && r->as != NULL; i++) {
		free(r->as[i]);
		free(r->cval[i]);
	}
	free(r->as);
	free(r->cval);
	free(r->conv);
	for (i = 0; i < r->nvm; i++) {
		free(r->vm[i].name);
		free(r->vm[i].from);
		free(r->vm[i].to);
	}
	free(r->vm);
	free(r->enc);
	free(r->raw);
	free(r->preset);
	free(r->datefmt);
	free(r->name);
	free(r);
}

const char *
crm_csv_name(const struct crm_csv *r)
{
	return r->name;
}

/* Convert raw input into r->in until some is there or the input ends. */
static int
fill_conv(struct crm_csv *r, struct crm_error *err)
{
	size_t n;

	r->inpos = r->inlen = 0;
	for (;;) {
		if (r->rawpos < r->rawlen) {
			char *ip = r->raw + r->rawpos, *op = r->in;
			size_t il = r->rawlen - r->rawpos, ol = sizeof(r->in);

			if (iconv(r->cd, &ip, &il, &op, &ol) == (size_t)-1 &&
			    errno == EILSEQ)
				return crm_error_set(err, CRM_EDATA, "%s:%ld:"
				    " not valid %s (give --encoding)", r->name,
				    r->line, r->enc);
			r->rawpos = (size_t)(ip - r->raw);
			r->inlen = (size_t)(op - r->in);
			if (r->inlen > 0)
				return 0;
		}
		if (r->raweof) {
			if (r->rawpos < r->rawlen)
				return crm_error_set(err, CRM_EDATA, "%s: ends"
				    " inside a %s character", r->name, r->enc);
			r->eof = 1;
			return 0;
		}
		memmove(r->raw, r->raw + r->rawpos, r->rawlen - r->rawpos);
		r->rawlen -= r->rawpos;
		r->rawpos = 0;
		n = fread(r->raw + r->rawlen, 1, INBUF - r->rawlen, r->fp);
		if (n == 0) {
			if (ferror(r->fp))
				return crm_error_set(err, CRM_EFAIL,
				    "%s: read: %s", r->name, strerror(errno));
			r->raweof = 1;
		}
		r->rawlen += n;
	}
}

/* 1 if s holds a well-formed UTF-8 sequence of two or more bytes. */
static int
has_utf8_multibyte(const unsigned char *s, size_t n)
{
	size_t i, k, len;

	for (i = 0; i < n; i++) {
		if (s[i] < 0xc2 || s[i] > 0xf4)
			continue;
		len = s[i] < 0xe0 ? 2 : s[i] < 0xf0 ? 3 : 4;
		if (i + len > n)
			break;
		for (k = 1; k < len; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				break;
		if (k == len && crm_utf8_valid((const char *)s + i, len))
			return 1;
	}
	return 0;
}

/*
 * The first bytes read: a UTF-16 byte-order mark, or bytes that are not
 * UTF-8, start a conversion (unless an encoding was given); the bytes
 * read so far become its input.
 */
static int
detect_encoding(struct crm_csv *r, size_t n, struct crm_error *err)
{
	const unsigned char *u = (const unsigned char *)r->in;
	size_t k, check = n;

	if (r->enc == NULL && !r->enc_given) {
		if (n >= 2 && ((u[0] == 0xff && u[1] == 0xfe) ||
		    (u[0] == 0xfe && u[1] == 0xff)))
			r->enc = strdup("UTF-16");
		else {
			/* A character cut by the end of the read is no fault. */
			if (n == sizeof(r->in))
				for (k = 1; k <= 3 && k < n; k++)
					if ((u[n - k] & 0xc0) == 0xc0) {
						check = n - k;
						break;
					}
			/* Invalid bytes among valid UTF-8 characters are a
			 * broken UTF-8 file, not another encoding. */
			if (!crm_utf8_valid(r->in, check) &&
			    !has_utf8_multibyte(u, check)) {
				int cp = 1;

				for (k = 0; k < n; k++)
					if (u[k] == 0x81 || u[k] == 0x8d ||
					    u[k] == 0x8f || u[k] == 0x90 ||
					    u[k] == 0x9d)
						cp = 0;
				r->enc = strdup(cp ? "CP1252" : "ISO-8859-1");
			}
		}
		if (r->enc == NULL)
			return 0;
		if ((r->cd = iconv_open("UTF-8", r->enc)) == (iconv_t)-1)
			return crm_error_set(err, CRM_EFAIL, "iconv: %s: %s",
			    r->enc, strerror(errno));
	}
	if (r->cd == (iconv_t)-1)
		return 0;
	if (r->raw == NULL && (r->raw = malloc(INBUF)) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	memcpy(r->raw, r->in, n);
	r->rawlen = n;
	r->rawpos = 0;
	return fill_conv(r, err);
}

/*
 * The separator of the header line: the most frequent of , ; TAB | outside
 * quotes, a tie going to the comma.  Input that starts with '{' is JSON.
 */
static void
sniff(struct crm_csv *r)
{
	static const char cand[] = ",;\t|";
	size_t count[4] = { 0, 0, 0, 0 }, i, best = 0;
	const char *s = r->in + r->inpos, *e = r->in + r->inlen;
	int q = 0;

	while (s < e && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		s++;
	if (r->json == 0 && s < e && *s == '{') {
		r->json = 1;
		r->delim = 'j';
		return;
	}
	r->json = r->json == 1 ? 1 : -1;
	if (r->json == 1) {
		r->delim = 'j';
		return;
	}
	for (; s < e && (q || (*s != '\n' && *s != '\r')); s++) {
		const char *c;

		if (*s == '"')
			q = !q;
		else if (!q && (c = strchr(cand, *s)) != NULL && *s != '\0')
			count[c - cand]++;
	}
	for (i = 1; i < 4; i++)
		if (count[i] > count[best])
			best = i;
	set_delim(r, cand[best]);
}

static int
fill(struct crm_csv *r, struct crm_error *err)
{
	size_t n;

	if (r->inpos < r->inlen || r->eof)
		return 0;
	if (r->raw != NULL) {
		if (fill_conv(r, err) < 0)
			return -1;
	} else {
		n = fread(r->in, 1, sizeof(r->in), r->fp);
		if (n == 0) {
			if (ferror(r->fp))
				return crm_error_set(err, CRM_EFAIL,
				    "%s: read: %s", r->name, strerror(errno));
			r->eof = 1;
		}
		r->inpos = 0;
		r->inlen = n;
		if (!r->bom_checked && n > 0 && detect_encoding(r, n, err) < 0)
			return -1;
	}
	if (!r->bom_checked && r->inlen > 0) {
		/* A BOM split across reads is too unlikely to handle. */
		r->bom_checked = 1;
		if (r->inlen >= 3 && memcmp(r->in, "\xef\xbb\xbf", 3) == 0)
			r->inpos = 3;
		if (r->sniff || r->json == 0)
			sniff(r);
		else if (r->json == 1)
			r->delim = 'j';
	}
	return 0;
}

/* Feed input to libcsv a line at a time until a record is ready or EOF. */
static int
feed(struct crm_csv *r, struct crm_error *err)
{
	while (!r->ready) {
		char *seg, *nl;
		size_t len, done;

		if (fill(r, err) < 0)
			return -1;
		if (r->inpos >= r->inlen) {
			/* End of input. */
			if (csv_fini(&r->p, cb_field, cb_record, r) != 0)
				return crm_error_set(err, CRM_EDATA,
				    "%s:%ld: unterminated quoted field",
				    r->name, r->rec_line);
			if (r->cberr)
				goto cberr;
			return 0;
		}
		seg = r->in + r->inpos;
		/* A line ends at LF, or at a CR (files from old Macs end
		 * their lines with CR alone); CRLF is fed as CR, then LF. */
		nl = NULL;
		for (len = 0; len < r->inlen - r->inpos; len++)
			if (seg[len] == '\n' || seg[len] == '\r') {
				nl = seg + len;
				break;
			}
		len = nl ? (size_t)(nl - seg) + 1 : r->inlen - r->inpos;
		if (r->at_line_start && r->p.pstate == 0 && r->nf == 0) {
			r->rec_line = r->line;
			r->rec_bytes = 0;
		}
		if (memchr(seg, '\0', len) != NULL)
			return crm_error_set(err, CRM_EDATA,
			    "%s:%ld: NUL byte in input", r->name, r->line);
		r->rec_bytes += len;
		if (r->rec_bytes > CRM_CSV_RECORD_MAX)
			return crm_error_set(err, CRM_EDATA,
			    "%s:%ld: record longer than %u bytes"
			    " (unterminated quote?)", r->name, r->rec_line,
			    CRM_CSV_RECORD_MAX);
		done = csv_parse(&r->p, seg, len, cb_field, cb_record, r);
		if (r->cberr)
			goto cberr;
		if (done != len) {
			if (csv_error(&r->p) == CSV_EPARSE)
				return crm_error_set(err, CRM_EDATA,
				    "%s:%ld: malformed quoting (a quote inside"
				    " an unquoted field, or text after a"
				    " closing quote)", r->name, r->line);
			return crm_error_set(err, CRM_EFAIL, "%s:%ld: %s",
			    r->name, r->line, csv_strerror(csv_error(&r->p)));
		}
		r->inpos += len;
		r->at_line_start = nl != NULL;
		/*
		 * Count lines: an LF ends one, and so does a CR that no LF
		 * follows.  A CR at the very end of a read is counted at once;
		 * the LF of its CRLF, alone at the start of the next, is not.
		 */
		if (nl != NULL && *nl == '\n') {
			if (!(r->cr_counted && len == 1))
				r->line++;
			r->cr_counted = 0;
		} else if (nl != NULL) {
			r->cr_counted = r->inpos >= r->inlen;
			if (r->cr_counted || r->in[r->inpos] != '\n')
				r->line++;
		} else
			r->cr_counted = 0;
	}
	return 0;
cberr:
	*err = r->cb;
	return -1;
}

/* Drop the consumed record; promote a spilled one. */
static void
consume(struct crm_csv *r)
{
	if (!r->ready)
		return;
	r->ready = 0;
	crm_buf_reset(&r->data);
	r->nf = 0;
	if (r->spilled) {
		struct crm_buf tb = r->data;
		struct field *tf = r->f;
		size_t ta = r->af;

		r->data = r->spill;
		r->f = r->sf;
		r->nf = r->snf;
		r->af = r->saf;
		r->spill = tb;
		r->sf = tf;
		r->saf = ta;
		r->snf = 0;
		r->spilled = 0;
		r->ready = 1;
		r->ready_line = r->spill_line;
	}
}

/* One line of JSON lines input into r->jline: 1, or 0 at the end. */
static int
json_line(struct crm_csv *r, struct crm_error *err)
{
	crm_buf_reset(&r->jline);
	for (;;) {
		const char *seg, *nl;
		size_t len;

		if (fill(r, err) < 0)
			return -1;
		if (r->inpos >= r->inlen)
			return r->jline.len > 0;
		seg = r->in + r->inpos;
		len = r->inlen - r->inpos;
		nl = memchr(seg, '\n', len);
		if (nl != NULL)
			len = (size_t)(nl - seg);
		if (memchr(seg, '\0', len) != NULL)
			return crm_error_set(err, CRM_EDATA,
			    "%s:%ld: NUL byte in input", r->name, r->line);
		if (crm_buf_add(&r->jline, seg, len, err) < 0)
			return crm_error_set(err, CRM_EDATA, "%s:%ld: record"
			    " longer than %u bytes", r->name, r->line,
			    CRM_CSV_RECORD_MAX);
		r->inpos += len + (nl != NULL);
		if (nl != NULL) {
			r->line++;
			return 1;
		}
	}
}

struct jrec {
	struct crm_csv *r;
	const char **val;
	size_t pos;
	int header;
};

static int
json_member(void *ctx, const char *key, const char *val,
    enum crm_jsonl_kind kind, struct crm_error *err)
{
	struct jrec *j = ctx;
	struct crm_csv *r = j->r;
	char q[CRM_QUOTE_MAX];
	size_t i;

	if (j->header) {
		char **c;

		for (i = 0; i < r->ncols; i++)
			if (strcmp(r->cols[i], key) == 0)
				return crm_error_set(err, CRM_EDATA,
				    "member '%s' given twice", crm_quote(q, key,
				    strlen(key)));
		if ((c = reallocarray(r->cols, r->ncols + 1,
		    sizeof(*c))) == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		r->cols = c;
		if ((c[r->ncols] = strdup(key)) == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		r->ncols++;
		return 0;
	}
	if (j->pos < r->nreal && strcmp(r->cols[j->pos], key) == 0)
		i = j->pos;
	else
		for (i = 0; i < r->nreal; i++)
			if (strcmp(r->cols[i], key) == 0)
				break;
	if (i == r->nreal)
		return crm_error_set(err, CRM_EDATA, "member '%s' is not in"
		    " the first record", crm_quote(q, key, strlen(key)));
	if (j->val[i] != NULL)
		return crm_error_set(err, CRM_EDATA, "member '%s' given twice",
		    crm_quote(q, key, strlen(key)));
	if (kind != CRM_JSONL_NULL && !crm_utf8_valid(val, strlen(val)))
		return crm_error_set(err, CRM_EDATA, "invalid UTF-8 in '%s'",
		    crm_quote(q, key, strlen(key)));
	/* null is a missing value; "" (the empty string) stays a value. */
	j->val[i] = kind == CRM_JSONL_NULL ? NULL : val;
	if (j->val[i] == NULL)
		j->val[i] = (const char *)r;	/* marks null */
	j->pos = i + 1;
	return 0;
}

/* The next JSON lines record into data/f; the first one also names the
 * columns. */
static int
json_next(struct crm_csv *r, struct crm_error *err)
{
	struct jrec j;
	long line;
	size_t i;
	int rc;

	for (;;) {
		size_t len;

		line = r->line;
		if ((rc = json_line(r, err)) <= 0)
			return rc;
		(void)crm_trim(crm_buf_str(&r->jline), &len);
		if (len > 0)
			break;
	}
	j.r = r;
	j.pos = 0;
	if (!r->peeked && r->ncols == 0 && r->preset == NULL) {
		j.header = 1;
		if (crm_jsonl_object(r->jline.s, r->jline.len, &r->jscratch,
		    json_member, &j, err) < 0)
			return crm_error_prefix(err, "%s:%ld", r->name, line);
		if (r->ncols == 0)
			return crm_error_set(err, CRM_EDATA, "%s:%ld: an empty"
			    " object names no columns", r->name, line);
		r->nreal = r->ncols;
	}
	j.header = 0;
	if ((j.val = calloc(r->nreal ? r->nreal : 1, sizeof(*j.val))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	rc = crm_jsonl_object(r->jline.s, r->jline.len, &r->jscratch,
	    json_member, &j, err);
	if (rc < 0) {
		free(j.val);
		return crm_error_prefix(err, "%s:%ld", r->name, line);
	}
	crm_buf_reset(&r->data);
	r->nf = 0;
	for (i = 0; i < r->nreal && rc == 0; i++) {
		const char *v = j.val[i] == (const char *)r ? NULL : j.val[i];

		rc = add_field(&r->data, &r->f, &r->nf, &r->af, v ? v : "",
		    v ? strlen(v) : 0, v == NULL, err);
	}
	free(j.val);
	if (rc < 0)
		return -1;
	r->ready = 1;
	r->ready_line = line;
	return 1;
}

static int
next_raw(struct crm_csv *r, struct crm_error *err)
{
	if (r->jpending) {
		r->jpending = 0;
		return 1;
	}
	consume(r);
	if (fill(r, err) < 0)
		return -1;
	if (r->json == 1)
		return json_next(r, err);
	if (feed(r, err) < 0)
		return -1;
	return r->ready;
}

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
		if ((rc = next_raw(r, err)) < 0)
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

	if ((rc = next_raw(r, err)) <= 0)
		return rc;
	if (r->have_header && r->nf != r->nreal)
		return crm_error_set(err, CRM_EDATA,
		    "%s:%ld: expected %zu fields as in the header, found %zu",
		    r->name, r->ready_line, r->nreal, r->nf);
	for (i = r->nreal; i < r->ncols; i++)
		if (add_field(&r->data, &r->f, &r->nf, &r->af, r->cval[i],
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
