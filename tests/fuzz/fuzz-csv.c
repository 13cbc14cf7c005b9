/*
 * fuzz-csv - the CSV and TSV reader, and the writers on what it read.
 *
 * The first byte chooses: bit 0 TSV input, bits 1-2 the output format,
 * bit 3 --excel-safe.  The rest is the file.  Every record read is written
 * in that format (the writer must not fail on what the reader accepts) and
 * as a rejects file would; then the records are written as CSV or TSV,
 * read back, and must come back field for field: what one program writes,
 * another reads.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/mman.h>
#include <unistd.h>

#include "csvio.h"
#include "fuzz.h"

/* A memory file the reader can open by name. */
static int
memfile(const void *p, size_t n, char path[64])
{
	static int fd[2] = { -1, -1 };
	static int which;
	int f;

	which = !which;
	if (fd[which] < 0 && (fd[which] = memfd_create("fuzz", 0)) < 0)
		abort();
	f = fd[which];
	if (ftruncate(f, 0) != 0 || (n > 0 && pwrite(f, p, n, 0) !=
	    (ssize_t)n))
		abort();
	snprintf(path, 64, "/proc/self/fd/%d", f);
	return 0;
}

struct table {
	size_t ncols, nrec;
	char **cell;		/* nrec * ncols, NULL for missing */
	char **name;
};

static void
table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nrec * t->ncols; i++)
		free(t->cell[i]);
	for (i = 0; i < t->ncols; i++)
		free(t->name[i]);
	free(t->cell);
	free(t->name);
	memset(t, 0, sizeof(*t));
}

static const struct crm_csv_col cols[] = {
	{ "email", "e_mail|mail" },
	{ "first_name", "firstname|given_name" },
	{ "at", NULL },
};

/* Read path into t; 0 on success, -1 if the reader refused it. */
static int
read_all(const char *path, int flags, struct table *t, FILE *out,
    enum crm_fmt fmt, int excel_safe)
{
	static const enum crm_coltype types[] = {
		CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_BOOL, CRM_COL_JSON,
	};
	enum crm_coltype *ty = NULL;
	struct crm_out *o = NULL, *rj = NULL;
	const char **vals = NULL, **names = NULL;
	struct crm_error err;
	struct crm_csv *r;
	int idx[3], rc = -1, n;
	long line = 1;
	size_t i;

	memset(t, 0, sizeof(*t));
	if ((r = crm_csv_open(path, flags, &err)) == NULL)
		return -1;
	FUZZ_CHECK(crm_csv_is_tsv(r) == !!(flags & CRM_CSV_TSV), "dialect");
	if (crm_csv_header(r, cols, 3, idx, &err) < 0) {
		/* CRM_EFAIL too: CR line ends (see "too many records on one
		 * line") come back as a failure, not as bad data. */
		FUZZ_CHECK(err.code == CRM_EDATA || err.code == CRM_EFAIL,
		    "header error code %d: %s", err.code, err.msg);
		goto done;
	}
	t->ncols = crm_csv_ncols(r);
	FUZZ_CHECK(t->ncols > 0, "a header with no columns");
	if ((t->name = calloc(t->ncols, sizeof(*t->name))) == NULL ||
	    (names = calloc(t->ncols + 1, sizeof(*names))) == NULL ||
	    (vals = calloc(t->ncols + 1, sizeof(*vals))) == NULL ||
	    (ty = calloc(t->ncols, sizeof(*ty))) == NULL)
		abort();
	for (i = 0; i < t->ncols; i++) {
		if ((t->name[i] = strdup(crm_csv_colname(r, i))) == NULL)
			abort();
		names[i] = t->name[i];
		ty[i] = types[i % 4];
		(void)crm_csv_extra(r, i);
	}
	names[t->ncols] = "reason";
	if (out != NULL && ((o = crm_out_new(out, fmt, excel_safe, &err)) ==
	    NULL ||
	    crm_out_header(o, names, ty, t->ncols, &err) < 0 ||
	    (rj = crm_out_new(out, flags & CRM_CSV_TSV ? CRM_FMT_TSV :
	    CRM_FMT_CSV, excel_safe, &err)) == NULL ||
	    crm_out_header(rj, names, NULL, t->ncols + 1, &err) < 0))
		FUZZ_CHECK(0, "writer setup: %s", err.msg);
	while ((n = crm_csv_next(r, &err)) == 1) {
		FUZZ_CHECK(crm_csv_nfields(r) == t->ncols, "%zu fields, %zu"
		    " columns", crm_csv_nfields(r), t->ncols);
		FUZZ_CHECK(crm_csv_line(r) >= line, "record on line %ld after"
		    " line %ld", crm_csv_line(r), line);
		line = crm_csv_line(r);
		if ((t->cell = realloc(t->cell, (t->nrec + 1) * t->ncols *
		    sizeof(*t->cell))) == NULL)
			abort();
		for (i = 0; i < t->ncols; i++) {
			const char *f = crm_csv_field(r, (int)i);

			FUZZ_CHECK(crm_csv_fieldlen(r, (int)i) == strlen(f),
			    "field length");
			FUZZ_CHECK(!crm_csv_missing(r, (int)i) || *f == '\0',
			    "a missing field with a value");
			vals[i] = crm_csv_missing(r, (int)i) ? NULL : f;
			if ((t->cell[t->nrec * t->ncols + i] = vals[i] ?
			    strdup(f) : NULL) == NULL && vals[i] != NULL)
				abort();
		}
		FUZZ_CHECK(crm_csv_field(r, (int)t->ncols)[0] == '\0' &&
		    crm_csv_field(r, -1)[0] == '\0', "a field out of range");
		t->nrec++;
		if (o != NULL && (crm_out_row(o, vals, &err) < 0 ||
		    crm_out_reject(rj, r, "fuzz", &err) < 0))
			FUZZ_CHECK(0, "writer: %s", err.msg);
	}
	if (n < 0) {
		FUZZ_CHECK(err.code == CRM_EDATA || err.code == CRM_EFAIL,
		    "read error code %d: %s", err.code, err.msg);
		goto done;
	}
	if (o != NULL && (crm_out_end(o, &err) < 0 ||
	    crm_out_end(rj, &err) < 0))
		FUZZ_CHECK(0, "writer end: %s", err.msg);
	rc = 0;
done:
	crm_out_free(o);
	crm_out_free(rj);
	crm_csv_close(r);
	free(names);
	free(vals);
	free(ty);
	if (rc < 0)
		table_free(t);
	return rc;
}

/* Write t as CSV or TSV into a memory file and read it back. */
static void
round_trip(const struct table *t, int tsv)
{
	struct crm_error err;
	struct table back;
	struct crm_out *o;
	char *buf = NULL, path[64];
	size_t len = 0, i, j;
	FILE *fp;

	/*
	 * Known limits of the formats, not checked: a CSV record of one
	 * empty field is a blank line, which the reader skips, and a value
	 * starting with a byte-order mark loses it at the start of a file.
	 */
	if (t->ncols == 1)
		for (i = 0; i < t->nrec; i++)
			if (t->cell[i] == NULL || *t->cell[i] == '\0')
				return;
	if (strncmp(t->name[0], "\xef\xbb\xbf", 3) == 0)
		return;
	if ((fp = open_memstream(&buf, &len)) == NULL)
		abort();
	if ((o = crm_out_new(fp, tsv ? CRM_FMT_TSV : CRM_FMT_CSV, 0,
	    &err)) == NULL ||
	    crm_out_header(o, (const char *const *)t->name, NULL, t->ncols,
	    &err) < 0)
		FUZZ_CHECK(0, "round trip writer: %s", err.msg);
	for (i = 0; i < t->nrec; i++)
		if (crm_out_row(o, (const char *const *)t->cell + i * t->ncols,
		    &err) < 0)
			FUZZ_CHECK(0, "round trip row: %s", err.msg);
	crm_out_end(o, &err);
	crm_out_free(o);
	if (fclose(fp) != 0)
		abort();
	memfile(buf, len, path);
	/*
	 * Read back as what was written: the separator and JSON sniffing
	 * of crm_csv_open() is a guess about other programs' files, which
	 * a one-column file whose header is "{" or holds a tab defeats.
	 */
	FUZZ_CHECK(read_all(path, tsv ? CRM_CSV_TSV : CRM_CSV_NOSNIFF, &back,
	    NULL, CRM_FMT_CSV, 0) == 0, "what was written does not read back:"
	    " %s", buf);
	FUZZ_CHECK(back.ncols == t->ncols, "%zu columns back, %zu written:"
	    " %s", back.ncols, t->ncols, buf);
	for (i = 0; i < t->ncols; i++)
		FUZZ_CHECK(strcmp(back.name[i], t->name[i]) == 0,
		    "column %zu: '%s' back, '%s' written", i, back.name[i],
		    t->name[i]);
	FUZZ_CHECK(back.nrec == t->nrec, "%zu records back, %zu written: %s",
	    back.nrec, t->nrec, buf);
	for (i = 0; i < t->nrec; i++)
		for (j = 0; j < t->ncols; j++) {
			const char *a = t->cell[i * t->ncols + j];
			const char *b = back.cell[i * t->ncols + j];

			FUZZ_CHECK(strcmp(a ? a : "", b ? b : "") == 0,
			    "record %zu field %zu: '%s' back, '%s' written",
			    i, j, b ? b : "", a ? a : "");
		}
	table_free(&back);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct table t;
	char path[64];
	FILE *null;
	int flags, tsv;

	if (size < 1)
		return 0;
	tsv = data[0] & 1;
	flags = tsv ? CRM_CSV_TSV : 0;
	memfile(data + 1, size - 1, path);
	if ((null = fopen("/dev/null", "w")) == NULL)
		abort();
	if (read_all(path, flags, &t, null, (enum crm_fmt)((data[0] >> 1) & 3),
	    (data[0] >> 3) & 1) == 0) {
		round_trip(&t, tsv);
		table_free(&t);
	}
	fclose(null);
	return 0;
}
