/*
 * csvio-int.h - what the parts of the CSV reader share (csvio.c: input,
 * encodings, dialects, JSON lines; csvio-map.c: columns and records); not
 * for use outside them.  csvio.h is the interface.
 */
#ifndef CRM_CSVIO_INT_H
#define CRM_CSVIO_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <csv.h>
#include <iconv.h>

#include "buf.h"
#include "conv.h"
#include "csvio.h"
#include "error.h"

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

/* Append a field of len bytes to data, its place to f[*nf]. */
int csv_add_field(struct crm_buf *data, struct field **f, size_t *nf,
    size_t *af, const char *s, size_t len, int missing,
    struct crm_error *err);
/* The next raw record (before mapping): 1, 0 at the end, -1 error. */
int csv_next_raw(struct crm_csv *r, struct crm_error *err);

#endif
