/*
 * csvio.h - reading and writing CSV, TSV and JSON lines.
 *
 * Reader (over libcsv).  CSV per RFC 4180 in strict mode: a quote inside an
 * unquoted field, text after a closing quote or an unterminated quoted
 * field is an error, never a silently swallowed file.  Unquoted fields lose
 * leading and trailing blanks.  Records end in LF, CRLF or CR; blank lines
 * are skipped.  TSV has no quoting: fields are split on TAB, and the
 * escapes \t \n \r \\ are decoded.  Either way a UTF-8 byte-order mark at
 * the start is dropped, and a NUL byte, invalid UTF-8, a field over
 * CRM_CSV_FIELD_MAX or a record over CRM_CSV_RECORD_MAX bytes is an error
 * naming file and line (CRM_EDATA).  Every record must have as many fields
 * as the header.
 *
 * Dialects (crm_csv_open_dialect()).  Unless told, the reader sniffs the
 * header line: the most frequent of ',' ';' TAB '|' outside quotes is the
 * separator (a tie goes to ','; a TAB makes it TSV as above).  Input that
 * starts with '{', or a name ending in .jsonl, .ndjson or .json, is JSON
 * lines (jsonl.h): the first object's members are the header.  Input that
 * is not UTF-8 in its first 64 KiB is read as Windows-1252 (ISO 8859-1 if
 * it has bytes Windows-1252 leaves undefined), and input starting with a
 * UTF-16 byte-order mark as UTF-16; both are converted with iconv(3), as
 * is any encoding given by name.
 *
 * Mapping.  Before crm_csv_header(), crm_csv_peek() reads the header so
 * that a caller (profile.h) can rename columns, ignore them, add columns
 * of one constant value and map values; crm_csv_header() then matches the
 * new names.  After it, crm_csv_convert() declares which columns hold
 * times, dates or numbers, which the reader rewrites (conv.h) per record.
 *
 *	r = crm_csv_open("contacts.csv", 0, err);
 *	crm_csv_header(r, cols, ncols, idx, err);
 *	while ((rc = crm_csv_next(r, err)) == 1)
 *		use crm_csv_field(r, idx[i]) ...
 *	crm_csv_close(r);
 *
 * Writer.  CSV quoted per RFC 4180 where needed (LF line ends), TSV with
 * the escapes above, or JSON lines (one object per record, columns typed).
 * With excel_safe, a text cell starting with = + - @ TAB or CR gets a
 * leading apostrophe so a spreadsheet shows it instead of running it.
 */
#ifndef CRM_CSV_H
#define CRM_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

#define CRM_CSV_FIELD_MAX (1u << 20)	/* 1 MiB */
#define CRM_CSV_RECORD_MAX (16u << 20)	/* 16 MiB */

enum {
	CRM_CSV_TSV = 1 << 0,	/* tab-separated, no quoting */
	CRM_CSV_NOSNIFF = 1 << 1, /* comma-separated unless CRM_CSV_TSV */
	CRM_CSV_TRAILING = 1 << 2, /* an empty last header field (each line
				    * ends in a separator, as the ECB's
				    * rates): a column named "" */
};

struct crm_csv;

/* How a file is written, where it is not sniffed. */
struct crm_csv_dialect {
	int delim;		/* ',' ';' '\t' '|' (any byte), 0 to sniff */
	int json;		/* 1 JSON lines, -1 never, 0 sniff */
	const char *encoding;	/* iconv name, NULL to detect */
	const char *columns;	/* no header line: these names, comma-separated */
	const char *date_format;	/* for crm_csv_convert() times (conv.h) */
	int decimal;		/* ',' for decimal commas, 0 for '.' */
};

/*
 * A column a program understands: its name as written in output, and other
 * names accepted in a header, '|'-separated.  Header names are compared
 * case-insensitively after trimming, with spaces and '-' taken as '_', so
 * "E-Mail" matches an alias "e_mail".
 */
struct crm_csv_col {
	const char *name;
	const char *aliases;	/* may be NULL */
};

/*
 * Open path ("-" for standard input) for reading.  flags may hold
 * CRM_CSV_TSV; a name ending in ".tsv" also selects TSV.
 */
struct crm_csv *crm_csv_open(const char *path, int flags,
    struct crm_error *err);

/* The same with a dialect (d may be NULL: everything sniffed). */
struct crm_csv *crm_csv_open_dialect(const char *path, int flags,
    const struct crm_csv_dialect *d, struct crm_error *err);

/*
 * What the reader found: the separator (',' ';' '\t' '|' or 'j' for JSON
 * lines), and the encoding it converts from (NULL for UTF-8).  Known once
 * the header is read.
 */
int crm_csv_delim(const struct crm_csv *r);
const char *crm_csv_encoding(const struct crm_csv *r);

/*
 * Read the header (once; crm_csv_header() uses it then) without mapping
 * it: crm_csv_ncols() and crm_csv_colname() answer after it.
 */
int crm_csv_peek(struct crm_csv *r, struct crm_error *err);

/* The index of the header field named name (as compared), or -1. */
int crm_csv_find(const struct crm_csv *r, const char *name);

/*
 * Match field i as name instead of its own (NULL: its own); "-" ignores
 * it: it matches no column and is no extra either.  Before
 * crm_csv_header().
 */
int crm_csv_rename(struct crm_csv *r, size_t i, const char *name,
    struct crm_error *err);

/*
 * A checksum of how r's columns are mapped and converted (renames,
 * constants, value maps, date format, decimal separator), for importers
 * that recognise an unchanged record by its checksum.
 */
uint64_t crm_csv_mapping_id(const struct crm_csv *r);

/* 1 if field i was given a name to match as, or ignored. */
int crm_csv_renamed(const struct crm_csv *r, size_t i);

/*
 * Add a column name whose every value is value (a default a profile
 * gives, such as channel web).  Before crm_csv_header().
 */
int crm_csv_constant(struct crm_csv *r, const char *name, const char *value,
    struct crm_error *err);

/*
 * In the column that crm_csv_header() matches to name, read from (compared
 * trimmed and case-insensitively) as to.  Before crm_csv_header().
 */
int crm_csv_map_value(struct crm_csv *r, const char *name, const char *from,
    const char *to, struct crm_error *err);

/* Set the date format and decimal separator (as in the dialect). */
int crm_csv_set_format(struct crm_csv *r, const char *date_format,
    int decimal, struct crm_error *err);

enum crm_conv_kind {
	CRM_CONV_NONE,
	CRM_CONV_TIME,		/* to YYYY-MM-DDTHH:MM:SSZ */
	CRM_CONV_DATE,		/* to YYYY-MM-DD */
	CRM_CONV_NUMBER,	/* decimal comma to point, if so set */
};

/* Rewrite field i of every record as kind (i < 0: nothing). */
void crm_csv_convert(struct crm_csv *r, int i, enum crm_conv_kind kind);

/*
 * Why a value of the current record could not be converted, for a
 * message ("ambiguous day and month ..."), or NULL.
 */
const char *crm_csv_note(const struct crm_csv *r);

/* Close the file (not standard input) and free r; NULL is a no-op. */
void crm_csv_close(struct crm_csv *r);

/* The name used in messages: the path, or "<stdin>". */
const char *crm_csv_name(const struct crm_csv *r);

/*
 * Read the header record and map it: idx[i] becomes the field index of
 * cols[i], or -1 if the file lacks it.  A name given twice is an error;
 * an empty file is an error.  Columns not in cols are left for the caller
 * (see crm_csv_extra()).
 */
int crm_csv_header(struct crm_csv *r, const struct crm_csv_col *cols,
    size_t ncols, int *idx, struct crm_error *err);

/* Number of header fields, and the name of field i as written. */
size_t crm_csv_ncols(const struct crm_csv *r);
const char *crm_csv_colname(const struct crm_csv *r, size_t i);

/*
 * The header field that col names, compared as crm_csv_header() compares
 * (case, blanks, ' ' and '-' as '_'): the first called by its name, else
 * the first called by its first alias, and so on; -1 for none.  For a
 * program that maps the columns itself after crm_csv_header(r, NULL, 0,
 * NULL, err), as crm-dedupe does with any file.  name_len is the length
 * of col->name (which need not end there), or 0 for strlen().
 */
int crm_csv_find_col(const struct crm_csv *r, const struct crm_csv_col *col,
    size_t name_len);

/* 1 if header field i matched none of the columns given to crm_csv_header. */
int crm_csv_extra(const struct crm_csv *r, size_t i);

/*
 * Read the next record: 1 when there is one, 0 at end of input, -1 with err
 * set.  The fields stay valid until the next call.
 */
int crm_csv_next(struct crm_csv *r, struct crm_error *err);

/* The current record: field count, field i ("" if i is out of range). */
size_t crm_csv_nfields(const struct crm_csv *r);
const char *crm_csv_field(const struct crm_csv *r, int i);
size_t crm_csv_fieldlen(const struct crm_csv *r, int i);

/* 1 if field i was empty and unquoted (missing), 0 for "" or a value. */
int crm_csv_missing(const struct crm_csv *r, int i);

/* 1 if r reads TSV. */
int crm_csv_is_tsv(const struct crm_csv *r);

/* The line on which the current record starts. */
long crm_csv_line(const struct crm_csv *r);

/* Output formats. */
enum crm_fmt {
	CRM_FMT_CSV,
	CRM_FMT_TSV,
	CRM_FMT_JSON,
	CRM_FMT_TABLE,	/* aligned columns for a terminal; see crm_out_end() */
};

/* Column types, which matter only to JSON and to excel_safe. */
enum crm_coltype {
	CRM_COL_TEXT,
	CRM_COL_NUM,	/* written bare in JSON when it parses as a number */
	CRM_COL_BOOL,	/* 1/0 written true/false in JSON */
	CRM_COL_JSON,	/* already JSON: written as is in JSON, as text else */
};

struct crm_out;

/* A writer on fp (not closed by crm_out_free). */
struct crm_out *crm_out_new(FILE *fp, enum crm_fmt fmt, int excel_safe,
    struct crm_error *err);
void crm_out_free(struct crm_out *o);

/*
 * Set the columns (copied); writes the header line for CSV and TSV.
 * types may be NULL (all text).
 */
int crm_out_header(struct crm_out *o, const char *const *names,
    const enum crm_coltype *types, size_t n, struct crm_error *err);

/*
 * Write one record of as many values as the header has; a NULL value is
 * missing (empty in CSV/TSV, null in JSON).  -1 with err set when the
 * stream reports an error.
 */
int crm_out_row(struct crm_out *o, const char *const *vals,
    struct crm_error *err);

/*
 * Finish the output: a table is held in memory (it needs every width) and
 * printed here; other formats have nothing left to do.
 */
int crm_out_end(struct crm_out *o, struct crm_error *err);

/*
 * Write the current record of r to o followed by a reason, as a rejects
 * file does: o's header must be r's header plus one column ("reason").
 */
int crm_out_reject(struct crm_out *o, const struct crm_csv *r,
    const char *reason, struct crm_error *err);

/* Parse a --format value. */
int crm_fmt_parse(const char *s, enum crm_fmt *fmt, struct crm_error *err);

#endif
