/* Unit tests for libcrm/csvio: the reader's edge cases and the writer. */
#include <stdlib.h>
#include <unistd.h>

#include "csvio.h"
#include "tap.h"

static char path[] = "/tmp/crm-t-csv-XXXXXX";
static struct crm_error err;

static void
put(const char *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	fwrite(data, 1, len, fp);
	fclose(fp);
}

/*
 * Read data (len bytes) as flags says; the records joined as
 * "a|b;c|d;" with missing fields as "~", or "ERR line-text" on error.
 */
static const char *
parse(const char *data, size_t len, int flags, int header)
{
	static char out[4096];
	struct crm_csv *r;
	size_t o = 0, i;
	int rc, idx[1];
	struct crm_csv_col c = { "x", NULL };

	put(data, len);
	out[0] = '\0';
	if ((r = crm_csv_open(path, flags, &err)) == NULL)
		return "open failed";
	if (header && crm_csv_header(r, &c, 1, idx, &err) < 0)
		goto bad;
	while ((rc = crm_csv_next(r, &err)) == 1) {
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%ld:",
		    crm_csv_line(r));
		for (i = 0; i < crm_csv_nfields(r); i++)
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s",
			    i ? "|" : "", crm_csv_missing(r, (int)i) ? "~" :
			    crm_csv_field(r, (int)i));
		o += (size_t)snprintf(out + o, sizeof(out) - o, ";");
	}
	if (rc < 0)
		goto bad;
	crm_csv_close(r);
	return out;
bad:
	crm_csv_close(r);
	snprintf(out, sizeof(out), "ERR %s", err.msg + strlen(path));
	return out;
}

#define P(s) parse(s, sizeof(s) - 1, 0, 0)
#define PT(s) parse(s, sizeof(s) - 1, CRM_CSV_TSV, 0)

static void
header(void)
{
	static const struct crm_csv_col cols[] = {
		{ "email", "e_mail|email_address" },
		{ "first_name", "given_name" },
		{ "phone", NULL },
	};
	struct crm_csv *r;
	int idx[3];

	put("Given Name, E-Mail ,Tier\nAnn,a@x.org,gold\n", 41);
	r = crm_csv_open(path, 0, &err);
	ok(crm_csv_header(r, cols, 3, idx, &err) == 0, "header maps");
	ok(idx[0] == 1 && idx[1] == 0 && idx[2] == -1,
	    "aliases, case and blanks: %d %d %d", idx[0], idx[1], idx[2]);
	ok(crm_csv_extra(r, 2) && !crm_csv_extra(r, 0), "extra column");
	is_str(crm_csv_colname(r, 2), "Tier", "extra column name");
	ok(crm_csv_next(r, &err) == 1, "one record");
	is_str(crm_csv_field(r, idx[0]), "a@x.org", "field by mapped index");
	is_str(crm_csv_field(r, idx[2]), "", "missing column reads empty");
	crm_csv_close(r);

	put("email,EMAIL\n", 12);
	r = crm_csv_open(path, 0, &err);
	ok(crm_csv_header(r, cols, 3, idx, &err) < 0 &&
	    strstr(err.msg, "given twice") != NULL, "duplicate column");
	crm_csv_close(r);

	put("", 0);
	r = crm_csv_open(path, 0, &err);
	ok(crm_csv_header(r, cols, 3, idx, &err) < 0 &&
	    strstr(err.msg, "empty file") != NULL, "empty file");
	crm_csv_close(r);
}

static void
writer(void)
{
	static const char *const names[] = { "a", "n", "b", "j" };
	static const enum crm_coltype types[] = { CRM_COL_TEXT, CRM_COL_NUM,
	    CRM_COL_BOOL, CRM_COL_JSON };
	const char *row1[] = { "x,\"y\"\nz", "-1.5", "1", "{\"k\":1}" };
	const char *row2[] = { "=1+1", "007", "0", NULL };
	const char *row3[] = { " pad", "nan", NULL, "[]" };
	char buf[1024];
	struct crm_out *o;
	FILE *fp;
	size_t n;
	int f;

	for (f = 0; f < 4; f++) {
		fp = fopen(path, "wb");
		o = crm_out_new(fp, f == 3 ? CRM_FMT_CSV : (enum crm_fmt)f,
		    f == 3, &err);
		crm_out_header(o, names, types, 4, &err);
		crm_out_row(o, row1, &err);
		crm_out_row(o, row2, &err);
		crm_out_row(o, row3, &err);
		crm_out_free(o);
		fclose(fp);
		fp = fopen(path, "rb");
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		buf[n] = '\0';
		fclose(fp);
		switch (f) {
		case CRM_FMT_CSV:
			is_str(buf, "a,n,b,j\n\"x,\"\"y\"\"\nz\",-1.5,1,"
			    "\"{\"\"k\"\":1}\"\n=1+1,007,0,\n\" pad\",nan,,[]\n",
			    "CSV writer quoting");
			break;
		case CRM_FMT_TSV:
			is_str(buf, "a\tn\tb\tj\nx,\"y\"\\nz\t-1.5\t1\t"
			    "{\"k\":1}\n=1+1\t007\t0\t\n pad\tnan\t\t[]\n",
			    "TSV writer escapes");
			break;
		case CRM_FMT_JSON:
			is_str(buf, "{\"a\":\"x,\\\"y\\\"\\nz\",\"n\":-1.5,"
			    "\"b\":true,\"j\":{\"k\":1}}\n{\"a\":\"=1+1\","
			    "\"n\":\"007\",\"b\":false,\"j\":null}\n"
			    "{\"a\":\" pad\",\"n\":\"nan\",\"b\":null,"
			    "\"j\":[]}\n", "JSON writer types");
			break;
		default:
			is_str(buf, "a,n,b,j\n\"x,\"\"y\"\"\nz\",-1.5,1,"
			    "\"{\"\"k\"\":1}\"\n\"'=1+1\",007,0,\n\" pad\","
			    "nan,,[]\n", "excel-safe: formula quoted, numbers"
			    " kept");
		}
	}
}

int
main(void)
{
	int fd = mkstemp(path);
	char big[CRM_CSV_FIELD_MAX + 64];

	close(fd);
	is_str(P("a,b\nc,d\n"), "1:a|b;2:c|d;", "simple");
	is_str(P("a,b\r\nc,d\r\n"), "1:a|b;2:c|d;", "CRLF");
	is_str(P("a,b\nc,d"), "1:a|b;2:c|d;", "no final newline");
	is_str(P("a,b\rc,d\re,f\r"), "1:a|b;2:c|d;3:e|f;",
	    "CR alone ends lines");
	is_str(P("a,b\r\n\r\nc,\"x\r\ny\"\r\nd,e\r\n"),
	    "1:a|b;3:c|x\r\ny;5:d|e;", "CRLF lines counted once");
	is_str(P("\xef\xbb\xbf" "a,b\n"), "1:a|b;", "BOM dropped");
	is_str(P("a,\"b,c\"\n"), "1:a|b,c;", "quoted comma");
	is_str(P("\"say \"\"hi\"\"\",x\n"), "1:say \"hi\"|x;", "doubled quote");
	is_str(P("\"two\nlines\",x\ny,z\n"), "1:two\nlines|x;3:y|z;",
	    "embedded newline, next record's line right");
	is_str(P("\"two\r\nlines\",x\r\n"), "1:two\r\nlines|x;",
	    "embedded CRLF kept");
	is_str(P("a,,\"\",d\n"), "1:a|~||d;", "missing vs empty quoted");
	is_str(P("a,b\n\n\nc,d\n"), "1:a|b;4:c|d;", "blank lines skipped");
	is_str(P("  a  , b \n"), "1:a|b;", "unquoted blanks trimmed");
	is_str(P("\" a \",b\n"), "1: a |b;", "quoted blanks kept");
	is_str(P("a,\"b\nc,d\n"), "ERR :1: unterminated quoted field",
	    "unterminated quote at EOF");
	is_str(P("x,y\na,b\"c\n"), "ERR :2: malformed quoting (a quote inside"
	    " an unquoted field, or text after a closing quote)",
	    "quote inside unquoted field");
	is_str(P("x\n\"a\"b\n"), "ERR :2: malformed quoting (a quote inside"
	    " an unquoted field, or text after a closing quote)",
	    "text after closing quote");
	is_str(parse("a,b\nc,\0d\n", 9, 0, 0), "ERR :2: NUL byte in input",
	    "NUL byte");
	is_str(P("a,b\nc\xc3\xa9,\xff\n"), "ERR :2: invalid UTF-8 in field 2"
	    " (give --encoding, such as cp1252)",
	    "invalid UTF-8 among UTF-8 characters");
	is_str(P("a,b\nc,\xe9\x80\n"), "1:a|b;2:c|\xc3\xa9\xe2\x82\xac;",
	    "not UTF-8 at all: read as Windows-1252");
	is_str(parse("x\na\nb,c\n", 8, 0, 1),
	    "ERR :3: expected 1 fields as in the header, found 2",
	    "ragged record");
	is_str(PT("a\tb\nc\\td\t\"q\"\n"), "1:a|b;2:c\td|\"q\";",
	    "TSV: escapes decoded, quotes literal");
	is_str(PT(" a \t\\\\n\n"), "1: a |\\n;", "TSV: blanks kept, \\\\");

	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	ok(strstr(parse(big, sizeof(big), 0, 0), "longer than") != NULL,
	    "field over the cap refused");

	header();
	writer();
	unlink(path);
	return tap_done();
}
