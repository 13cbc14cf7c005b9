#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "dedupe.h"
#include "mergeref.h"
#include "fs.h"
#include "interaction.h"
#include "match.h"
#include "norm.h"

/* ------------------------------------------------------------ records */

enum { F_FIRST, F_LAST, F_EMAIL, F_PHONE, F_BIRTH, F_STREET, F_CITY,
    F_POSTCODE, F_COMPANY, F_NATID, NF };

static const char *const fname[NF] = {
	"first_name", "last_name", "email", "phone", "birth_date", "street",
	"city", "postcode", "company", "national_id",
};

const char crm_dedupe_fields[] = "first_name,last_name,email,phone,"
    "birth_date,street,city,postcode,company,national_id";

/* A record's text: the fields, then street, city, company words sorted. */
#define NSLOT (NF + 3)
static const int sorted_slot[NF] = {
	[F_STREET] = NF, [F_CITY] = NF + 1, [F_COMPANY] = NF + 2,
};

#define NLEVELS 4
#define MAXCP 256		/* code points of a value that are compared */
#define PHONE_DIGITS 9		/* phones agree on their last digits */
#define RANDOM_PAIRS 400000	/* pairs sampled to measure u */
#define EM_SAMPLE 200000	/* incremental: other pairs used to fit m */
#define TEXT_MAX ((size_t)UINT32_MAX)

/*
 * What a file too small to learn from gets: the share of each level
 * (0 different .. 3 the same) among pairs of two people (u) and among
 * pairs of one person's records (m), guessed from how common names,
 * dates and places are and how often people change an address, phone or
 * employer.  They count as U_PRIOR random pairs and M_PRIOR matches, so
 * that on any file of some size what it shows outweighs them.
 */
static const double u_prior[NF][NLEVELS] = {
	[F_FIRST] = { 0.955, 0.03, 0.005, 0.01 },
	[F_LAST] = { 0.972, 0.02, 0.003, 0.005 },
	[F_EMAIL] = { 0.999898, 1e-4, 1e-6, 1e-6 },
	[F_PHONE] = { 0.999988, 1e-6, 1e-5, 1e-6 },
	[F_BIRTH] = { 0.98945, 0.01, 5e-4, 5e-5 },
	[F_STREET] = { 0.9894, 0.01, 5e-4, 1e-4 },
	[F_CITY] = { 0.89, 0.05, 0.01, 0.05 },
	[F_POSTCODE] = { 0.974999, 1e-6, 0.02, 0.005 },
	[F_COMPANY] = { 0.965, 0.02, 0.005, 0.01 },
	[F_NATID] = { 0.9999988, 1e-7, 1e-6, 1e-7 },
};
static const double m_prior[NF][NLEVELS] = {
	[F_FIRST] = { 0.03, 0.04, 0.08, 0.85 },
	[F_LAST] = { 0.03, 0.04, 0.08, 0.85 },
	[F_EMAIL] = { 0.07, 0.03, 0.05, 0.85 },
	[F_PHONE] = { 0.15, 1e-6, 0.05, 0.799999 },
	[F_BIRTH] = { 0.02, 0.03, 0.05, 0.9 },
	[F_STREET] = { 0.15, 0.1, 0.15, 0.6 },
	[F_CITY] = { 0.08, 0.04, 0.08, 0.8 },
	[F_POSTCODE] = { 0.17, 1e-6, 0.08, 0.749999 },
	[F_COMPANY] = { 0.25, 0.1, 0.15, 0.5 },
	[F_NATID] = { 0.01, 1e-6, 0.04, 0.949999 },
};
#define U_PRIOR 100.0
#define M_PRIOR 4.0

/* Fields whose exact agreement is weighed by how common the value is. */
static const int tf_field[] = { F_FIRST, F_LAST, F_CITY, F_POSTCODE };
#define NTF 4

struct rec {
	uint32_t off[NSLOT];	/* folded value in d->text, NUL-terminated */
	uint16_t len[NSLOT];	/* its length; 0 when missing */
	uint32_t name;		/* the name as written, for people */
	uint32_t id;		/* file: the id as written */
	uint32_t root;		/* the record this one stands for */
	int64_t cid;		/* database: the contact id */
	float tf[NTF];		/* share of records with this value of tf_field */
	char dm[4][5];		/* Double Metaphone: given 1/2, family 1/2 */
	unsigned char isnew;	/* incremental: created or updated since */
	unsigned char nick;	/* 1 << f: name f is a known nickname */
};

/* A candidate pair, its comparison pattern and its kinds of key. */
struct cand {
	uint32_t a, b;
	uint32_t pat;
	uint32_t rules;
};

/* A match between two records (in the database: between survivors). */
struct match {
	uint32_t a, b;		/* a < b */
	double weight, prob;
	signed char g[NF];
};

/* A set of distinct comparison patterns, numbered as they come. */
struct patset {
	signed char *pat;	/* n patterns of NF levels */
	size_t n, a;
	size_t *tab;		/* open addressing: pattern number + 1 */
	size_t cap;
};

struct crm_dedupe {
	struct crm_dedupe_opts opts;
	struct crm_buf text;	/* every value, NUL-terminated */
	struct rec *rec;
	size_t nrec, arec;
	int dbmode;
	int present[NF];	/* some record has the field */

	/* File mode: the records as read. */
	struct crm_buf rows;	/* each record's fields, NUL-separated */
	size_t *rowoff, arowoff;
	size_t ncols;
	char **colnames;
	int cluster_col;	/* an input column called cluster_id, or -1 */

	/* The model and its patterns. */
	int fitted;
	struct crm_fs_model fs;
	struct patset pats;

	struct cand *cand;
	size_t ncand;
	struct match *match;
	size_t nmatch;
	uint32_t *cluster;	/* record -> record that names its cluster */
	double urand[NF * NLEVELS];	/* u measured on random pairs */
	struct crm_dedupe_stats st;
};

static void *
grow(void *p, size_t *alloc, size_t need, size_t size)
{
	size_t a = *alloc ? *alloc : 64;
	void *q;

	if (need <= *alloc)
		return p;
	while (a < need)
		a *= 2;
	if ((q = reallocarray(p, a, size)) == NULL)
		return NULL;
	*alloc = a;
	return q;
}

static void
progress(struct crm_dedupe *d, int64_t n, const char *what)
{
	if (d->opts.progress != NULL)
		d->opts.progress(d->opts.progress_arg, n, what);
}

struct crm_dedupe *
crm_dedupe_new(const struct crm_dedupe_opts *opts, struct crm_error *err)
{
	struct crm_dedupe *d;

	if (!(opts->threshold > 0.0 && opts->threshold < 1.0)) {
		crm_error_set(err, CRM_EUSAGE, "threshold %g is not a"
		    " probability between 0 and 1", opts->threshold);
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	d->opts = *opts;
	crm_buf_init(&d->text, TEXT_MAX);
	crm_buf_init(&d->rows, SIZE_MAX / 2);
	d->cluster_col = -1;
	return d;
}

static void
patset_release(struct patset *ps)
{
	free(ps->pat);
	free(ps->tab);
	memset(ps, 0, sizeof(*ps));
}

void
crm_dedupe_free(struct crm_dedupe *d)
{
	size_t i;

	if (d == NULL)
		return;
	crm_buf_release(&d->text);
	crm_buf_release(&d->rows);
	for (i = 0; i < d->ncols; i++)
		free(d->colnames[i]);
	free(d->colnames);
	free(d->rowoff);
	free(d->rec);
	if (d->fitted)
		crm_fs_release(&d->fs);
	patset_release(&d->pats);
	free(d->cand);
	free(d->match);
	free(d->cluster);
	free(d);
}

const struct crm_dedupe_stats *
crm_dedupe_stats(const struct crm_dedupe *d)
{
	return &d->st;
}

/* Append s[0..n) and a NUL to the text; *off gets where it starts. */
static int
text_add(struct crm_dedupe *d, const char *s, size_t n, uint32_t *off,
    struct crm_error *err)
{
	*off = (uint32_t)d->text.len;
	if (crm_buf_add(&d->text, s, n, err) < 0 ||
	    crm_buf_addc(&d->text, '\0', err) < 0)
		return err->code == CRM_EDATA ? crm_error_set(err, CRM_EFAIL,
		    "too much text to compare (more than 4 GiB)") : -1;
	return 0;
}

static const char *
txt(const struct crm_dedupe *d, uint32_t off)
{
	return d->text.s + off;
}

static const char *
val(const struct crm_dedupe *d, const struct rec *r, int f)
{
	return d->text.s + r->off[f];
}

/* Fold s into the UTF-8 key[] (at most MAXCP code points); its length. */
static size_t
fold(const char *s, char *key, size_t cap)
{
	uint32_t cp[MAXCP];
	size_t n;

	n = crm_match_fold(s, strlen(s), cp, MAXCP);
	if (n > MAXCP)
		n = MAXCP;
	n = crm_match_encode(cp, n, key, cap);
	return n < cap ? n : strlen(key);
}

/* key without its spaces. */
static size_t
squeeze(char *key, size_t n)
{
	size_t i, j;

	for (i = j = 0; i < n; i++)
		if (key[i] != ' ')
			key[j++] = key[i];
	key[j] = '\0';
	return j;
}

/* Only the digits of s, into key[cap]. */
static size_t
digits(const char *s, char *key, size_t cap)
{
	size_t n = 0;

	for (; *s && n + 1 < cap; s++)
		if (*s >= '0' && *s <= '9')
			key[n++] = *s;
	key[n] = '\0';
	return n;
}

struct word {
	const char *s;
	size_t n;
};

static int
cmp_word(const void *p, const void *q)
{
	const struct word *a = p, *b = q;
	int c = memcmp(a->s, b->s, a->n < b->n ? a->n : b->n);

	return c ? c : (a->n > b->n) - (a->n < b->n);
}

/*
 * The words of s[0..n) (separated by single spaces) sorted, into out
 * (at least n + 1 bytes); its length.  At most 32 words are sorted, the
 * rest follow as they were.
 */
static size_t
sort_words(const char *s, size_t n, char *out)
{
	struct word w[32];
	const char *p = s, *e;
	size_t k = 0, i, len = 0;

	while (p < s + n && k < 32) {
		if ((e = memchr(p, ' ', (size_t)(s + n - p))) == NULL)
			e = s + n;
		w[k].s = p;
		w[k++].n = (size_t)(e - p);
		p = e + 1;
	}
	qsort(w, k, sizeof(w[0]), cmp_word);
	for (i = 0; i < k; i++) {
		if (i > 0)
			out[len++] = ' ';
		memcpy(out + len, w[i].s, w[i].n);
		len += w[i].n;
	}
	if (p < s + n) {
		out[len++] = ' ';
		memcpy(out + len, p, (size_t)(s + n - p));
		len += (size_t)(s + n - p);
	}
	out[len] = '\0';
	return len;
}

/*
 * Add one record: v[f] is the raw value of field f or NULL, name the name
 * to show, id (file mode) the id as written.
 */
static int
rec_add(struct crm_dedupe *d, const char *const v[NF], const char *name,
    const char *id, int64_t cid, struct crm_error *err)
{
	struct crm_error e2;
	struct crm_buf b = CRM_BUF_INIT(4096);
	struct rec *r;
	void *p;
	char key[4 * MAXCP + 1], date[11];
	char dm1[CRM_MATCH_DM_MAX + 1], dm2[CRM_MATCH_DM_MAX + 1];
	size_t n;
	int f, rc = -1;

	if ((p = grow(d->rec, &d->arec, d->nrec + 1, sizeof(*d->rec))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	d->rec = p;
	r = &d->rec[d->nrec];
	memset(r, 0, sizeof(*r));
	r->cid = cid;
	r->root = (uint32_t)d->nrec;
	r->isnew = 1;
	for (f = 0; f < NF; f++) {
		n = 0;
		key[0] = '\0';
		if (v[f] != NULL && !crm_blank(v[f])) {
			switch (f) {
			case F_EMAIL:
				crm_buf_reset(&b);
				if (crm_norm_email(v[f], &b, &e2) == 0 &&
				    b.len < sizeof(key)) {
					memcpy(key, b.s, b.len + 1);
					n = b.len;
				} else
					n = fold(v[f], key, sizeof(key));
				break;
			case F_PHONE:
				n = digits(v[f], key, sizeof(key));
				if (n < 6)
					n = 0;
				break;
			case F_BIRTH:
				if (crm_norm_date(v[f], date, &e2) == 0) {
					memcpy(key, date, 4);
					memcpy(key + 4, date + 5, 2);
					memcpy(key + 6, date + 8, 3);
					n = 8;
				} else
					n = digits(v[f], key, sizeof(key));
				break;
			case F_POSTCODE:
			case F_NATID:
				n = squeeze(key, fold(v[f], key, sizeof(key)));
				break;
			default:
				n = fold(v[f], key, sizeof(key));
			}
		}
		if (n > 0xffff)
			n = 0xffff;
		key[n] = '\0';
		if (text_add(d, key, n, &r->off[f], err) < 0)
			goto done;
		r->len[f] = (uint16_t)n;
		if (n > 0)
			d->present[f] = 1;
	}
	/* Streets, cities, companies of several words, words sorted. */
	for (f = 0; f < NF; f++) {
		if (sorted_slot[f] == 0)
			continue;
		n = r->len[f] && memchr(val(d, r, f), ' ', r->len[f]) != NULL ?
		    sort_words(val(d, r, f), r->len[f], key) : 0;
		if (text_add(d, key, n, &r->off[sorted_slot[f]], err) < 0)
			goto done;
		r->len[sorted_slot[f]] = (uint16_t)n;
	}
	for (f = F_FIRST; f <= F_LAST; f++) {
		if (r->len[f] == 0)
			continue;
		crm_match_dmetaphone(val(d, r, f), 4, dm1, dm2);
		if (crm_match_nick(val(d, r, f), NULL, 0) > 0)
			r->nick |= (unsigned char)(1u << f);
		memcpy(r->dm[2 * f], dm1, 5);
		memcpy(r->dm[2 * f + 1], dm2, 5);
	}
	if (text_add(d, name, strlen(name), &r->name, err) < 0 ||
	    (id != NULL && text_add(d, id, strlen(id), &r->id, err) < 0))
		goto done;
	d->nrec++;
	rc = 0;
done:
	crm_buf_release(&b);
	return rc;
}

/* The name to show: first and last name joined by a space. */
static const char *
show_name(struct crm_buf *b, const char *first, const char *last)
{
	crm_buf_reset(b);
	if (first != NULL && crm_buf_adds(b, first, NULL) < 0)
		return "";
	if (first != NULL && *first && last != NULL && *last &&
	    crm_buf_addc(b, ' ', NULL) < 0)
		return "";
	if (last != NULL && crm_buf_adds(b, last, NULL) < 0)
		return "";
	return crm_buf_str(b);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int
crm_dedupe_load_db(struct crm_dedupe *d, struct crm_db *db,
    struct crm_error *err)
{
	static const char sql[] = "SELECT id, merged_into, first_name,"
	    " last_name, email, phone, birth_date, street, city, postcode,"
	    " company, created_at, updated_at FROM contacts"
	    " WHERE erased_at IS NULL ORDER BY id";
	struct crm_buf name = CRM_BUF_INIT(1 << 20);
	struct crm_stmt *st;
	int64_t *ids = NULL, *into = NULL, *hit;
	size_t a1 = 0, a2 = 0, i, hops;
	const char *v[NF];
	void *p;
	int rc, f, ret = -1;

	d->dbmode = 1;
	if ((st = crm_db_stmt(db, sql, err)) == NULL)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		for (f = 0; f < NF; f++)
			v[f] = NULL;
		for (f = 0; f <= F_COMPANY; f++)
			v[f] = crm_db_col_text(st, 2 + f);
		if ((p = grow(ids, &a1, d->nrec + 1, sizeof(*ids))) == NULL ||
		    (ids = p, (p = grow(into, &a2, d->nrec + 1,
		    sizeof(*into))) == NULL)) {
			crm_db_reset(st);
			crm_error_set(err, CRM_EFAIL, "out of memory");
			goto done;
		}
		into = p;
		ids[d->nrec] = crm_db_col_int(st, 0);
		into[d->nrec] = crm_db_col_int(st, 1);
		if (rec_add(d, v, show_name(&name, v[F_FIRST], v[F_LAST]), NULL,
		    ids[d->nrec], err) < 0) {
			crm_db_reset(st);
			goto done;
		}
		d->rec[d->nrec - 1].isnew = d->opts.since == 0 ||
		    crm_db_col_int(st, 11) >= d->opts.since ||
		    crm_db_col_int(st, 12) >= d->opts.since;
		if ((d->nrec & 0xffff) == 0)
			progress(d, (int64_t)d->nrec, "contacts read");
	}
	if (rc < 0)
		goto done;
	/* A merged-away record stands for the end of its merge chain. */
	for (i = 0; i < d->nrec; i++) {
		size_t j = i;

		for (hops = 0; into[j] != 0 && hops < 64; hops++) {
			hit = bsearch(&into[j], ids, d->nrec, sizeof(*ids),
			    cmp_i64);
			if (hit == NULL)
				break;
			j = (size_t)(hit - ids);
		}
		d->rec[i].root = (uint32_t)j;
	}
	ret = 0;
done:
	free(ids);
	free(into);
	crm_buf_release(&name);
	return ret;
}

/* ------------------------------------------------------------ file mode */

/* Header names for each field, '|'-separated, as crm_csv_col aliases. */
static const struct crm_csv_col file_cols[NF] = {
	{ "first_name", "firstname|first|given_name|givenname|forename|"
	    "given|fname" },
	{ "last_name", "lastname|last|surname|family_name|familyname|"
	    "lname" },
	{ "email", "e_mail|email_address|mail" },
	{ "phone", "telephone|tel|phone_number|mobile|phone_no" },
	{ "birth_date", "date_of_birth|dob|birthdate|birthday|born" },
	{ "street", "address|address_1|address1|street_address|"
	    "address_line_1|addr1" },
	{ "city", "town|suburb|locality" },
	{ "postcode", "postal_code|post_code|zip|zipcode|zip_code" },
	{ "company", "organisation|organization|employer|company_name" },
	{ "national_id", "ssn|soc_sec_id|social_security_number|nino|"
	    "national_insurance_number|tax_id" },
};

/* Columns that join the street when no map is given. */
static const struct crm_csv_col street_extra[2] = {
	{ "street_number", "house_number|number|street_no|house_no" },
	{ "address_2", "address2|address_line_2|addr2|street2" },
};

#define MAXJOIN 4

struct fmap {
	int col[NF][MAXJOIN];	/* columns joined into each field, -1 */
	int ncol[NF];
};

/* Header name compared as crm_csv does: case, blanks, '-' and ' '. */
static int
colname_eq(const char *a, const char *b, size_t blen)
{
	size_t i, n;
	int ca, cb;

	while (*a == ' ' || *a == '\t')
		a++;
	n = strlen(a);
	while (n > 0 && (a[n - 1] == ' ' || a[n - 1] == '\t'))
		n--;
	if (n != blen)
		return 0;
	for (i = 0; i < n; i++) {
		ca = (unsigned char)a[i];
		cb = (unsigned char)b[i];
		ca = ca == ' ' || ca == '-' ? '_' : ca >= 'A' && ca <= 'Z' ?
		    ca + 32 : ca;
		cb = cb == ' ' || cb == '-' ? '_' : cb >= 'A' && cb <= 'Z' ?
		    cb + 32 : cb;
		if (ca != cb)
			return 0;
	}
	return 1;
}

/* The header field called name, or -1. */
static int
find_col(struct crm_csv *r, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < crm_csv_ncols(r); i++)
		if (colname_eq(crm_csv_colname(r, i), name, len))
			return (int)i;
	return -1;
}

/* The first header field called col's name or one of its aliases. */
static int
find_alias(struct crm_csv *r, const struct crm_csv_col *col)
{
	const char *p, *bar;
	int i;

	if ((i = find_col(r, col->name, strlen(col->name))) >= 0)
		return i;
	for (p = col->aliases; p != NULL && *p; p = *bar ? bar + 1 : bar) {
		bar = strchr(p, '|');
		if (bar == NULL)
			bar = p + strlen(p);
		if ((i = find_col(r, p, (size_t)(bar - p))) >= 0)
			return i;
	}
	return -1;
}

static int
parse_map(struct crm_csv *r, const char *map, struct fmap *m,
    struct crm_error *err)
{
	const char *p = map, *eq, *end, *c, *plus;
	int f, i;

	while (*p) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL || eq == p || eq + 1 == end)
			return crm_error_set(err, CRM_EUSAGE, "--map: expected"
			    " FIELD=COLUMN, not '%.*s'", (int)(end - p), p);
		for (f = 0; f < NF; f++)
			if (strlen(fname[f]) == (size_t)(eq - p) &&
			    strncmp(fname[f], p, (size_t)(eq - p)) == 0)
				break;
		if (f == NF)
			return crm_error_set(err, CRM_EUSAGE, "--map: unknown"
			    " field '%.*s' (%s)", (int)(eq - p), p,
			    crm_dedupe_fields);
		m->ncol[f] = 0;
		for (c = eq + 1; c < end; c = plus + 1) {
			plus = memchr(c, '+', (size_t)(end - c));
			if (plus == NULL)
				plus = end;
			if (m->ncol[f] == MAXJOIN)
				return crm_error_set(err, CRM_EUSAGE, "--map:"
				    " at most %d columns for %s", MAXJOIN,
				    fname[f]);
			if ((i = find_col(r, c, (size_t)(plus - c))) < 0)
				return crm_error_set(err, CRM_EUSAGE, "--map:"
				    " %s has no column '%.*s'", crm_csv_name(r),
				    (int)(plus - c), c);
			m->col[f][m->ncol[f]++] = i;
			if (plus == end)
				break;
		}
		p = *end ? end + 1 : end;
	}
	return 0;
}

/* Record numbers by the record's id (qsort_r, arg: the set). */
static int
cmp_id(const void *a, const void *b, void *arg)
{
	const struct crm_dedupe *d = arg;
	const struct rec *x = &d->rec[*(const uint32_t *)a];
	const struct rec *y = &d->rec[*(const uint32_t *)b];
	int c = strcmp(txt(d, x->id), txt(d, y->id));

	return c ? c : (x > y) - (x < y);
}

int
crm_dedupe_load_csv(struct crm_dedupe *d, struct crm_csv *r,
    const char *idcol, const char *map, struct crm_error *err)
{
	struct crm_buf joined[NF], name = CRM_BUF_INIT(1 << 20);
	struct fmap m;
	const char *v[NF];
	char num[24], q[CRM_QUOTE_MAX];
	uint32_t *order = NULL;
	size_t i, k;
	void *p;
	int f, c, idx = -1, rc, any = 0, ret = -1;

	for (f = 0; f < NF; f++)
		crm_buf_init(&joined[f], CRM_CSV_RECORD_MAX);
	/* The header: crm_csv_header() with no columns reads and checks it. */
	if (crm_csv_header(r, NULL, 0, NULL, err) < 0)
		goto done;
	d->ncols = crm_csv_ncols(r);
	if ((d->colnames = calloc(d->ncols, sizeof(char *))) == NULL)
		goto nomem;
	for (i = 0; i < d->ncols; i++) {
		if ((d->colnames[i] = strdup(crm_csv_colname(r, i))) == NULL)
			goto nomem;
		if (colname_eq(d->colnames[i], "cluster_id", 10))
			d->cluster_col = (int)i;
	}
	if (idcol != NULL && (idx = find_col(r, idcol, strlen(idcol))) < 0) {
		crm_error_set(err, CRM_EUSAGE, "%s: no id column '%s'",
		    crm_csv_name(r), idcol);
		goto done;
	}
	for (f = 0; f < NF; f++) {
		m.ncol[f] = 0;
		if ((c = find_alias(r, &file_cols[f])) >= 0)
			m.col[f][m.ncol[f]++] = c;
	}
	if (m.ncol[F_STREET] > 0) {
		/* A house number goes first, a second line last. */
		if ((c = find_alias(r, &street_extra[0])) >= 0) {
			m.col[F_STREET][1] = m.col[F_STREET][0];
			m.col[F_STREET][0] = c;
			m.ncol[F_STREET] = 2;
		}
		if ((c = find_alias(r, &street_extra[1])) >= 0)
			m.col[F_STREET][m.ncol[F_STREET]++] = c;
	}
	if (map != NULL && parse_map(r, map, &m, err) < 0)
		goto done;
	for (f = 0; f < NF; f++)
		any |= m.ncol[f] > 0;
	if (!any) {
		crm_error_set(err, CRM_EDATA, "%s: no column to compare (%s)",
		    crm_csv_name(r), crm_dedupe_fields);
		goto done;
	}
	while ((rc = crm_csv_next(r, err)) == 1) {
		const char *id;

		for (f = 0; f < NF; f++) {
			v[f] = NULL;
			crm_buf_reset(&joined[f]);
			for (k = 0; k < (size_t)m.ncol[f]; k++) {
				const char *s = crm_csv_field(r, m.col[f][k]);

				if (crm_blank(s))
					continue;
				if ((joined[f].len && crm_buf_addc(&joined[f],
				    ' ', err) < 0) ||
				    crm_buf_adds(&joined[f], s, err) < 0)
					goto done;
				v[f] = crm_buf_str(&joined[f]);
			}
		}
		if (idx >= 0) {
			id = crm_csv_field(r, idx);
			if (crm_blank(id)) {
				crm_error_set(err, CRM_EDATA, "%s:%ld: empty id",
				    crm_csv_name(r), crm_csv_line(r));
				goto done;
			}
		} else {
			snprintf(num, sizeof(num), "%zu", d->nrec + 1);
			id = num;
		}
		if (rec_add(d, v, show_name(&name, v[F_FIRST], v[F_LAST]), id,
		    0, err) < 0)
			goto done;
		/* Keep the record to write it back. */
		if ((p = grow(d->rowoff, &d->arowoff, d->nrec,
		    sizeof(size_t))) == NULL)
			goto nomem;
		d->rowoff = p;
		d->rowoff[d->nrec - 1] = d->rows.len;
		for (i = 0; i < d->ncols; i++)
			if (crm_buf_add(&d->rows, crm_csv_field(r, (int)i),
			    crm_csv_fieldlen(r, (int)i) + 1, err) < 0)
				goto done;
		if ((d->nrec & 0xffff) == 0)
			progress(d, (int64_t)d->nrec, "records read");
	}
	if (rc < 0)
		goto done;
	/* Ids must be unique. */
	if (idx >= 0 && d->nrec > 1) {
		if ((order = reallocarray(NULL, d->nrec, sizeof(*order))) ==
		    NULL)
			goto nomem;
		for (i = 0; i < d->nrec; i++)
			order[i] = (uint32_t)i;
		qsort_r(order, d->nrec, sizeof(*order), cmp_id, d);
		for (i = 1; i < d->nrec; i++) {
			const char *a = txt(d, d->rec[order[i - 1]].id);

			if (strcmp(a, txt(d, d->rec[order[i]].id)) != 0)
				continue;
			crm_error_set(err, CRM_EDATA, "%s: id '%s' given to"
			    " records %u and %u", crm_csv_name(r),
			    crm_quote(q, a, strlen(a)), order[i - 1] + 1,
			    order[i] + 1);
			goto done;
		}
	}
	ret = 0;
	goto done;
nomem:
	crm_error_set(err, CRM_EFAIL, "out of memory");
done:
	for (f = 0; f < NF; f++)
		crm_buf_release(&joined[f]);
	crm_buf_release(&name);
	free(order);
	return ret;
}

/* ------------------------------------------------------------ comparing */

static size_t
decode(const char *s, size_t n, uint32_t *cp)
{
	size_t k = crm_match_decode(s, n, cp, MAXCP);

	return k > MAXCP ? MAXCP : k;
}

static size_t
osa(const char *a, size_t na, const char *b, size_t nb)
{
	uint32_t x[MAXCP], y[MAXCP];
	size_t nx = decode(a, na, x), ny = decode(b, nb, y);

	return crm_match_osa(x, nx, y, ny);
}

/*
 * How many bytes a and b have in common, as multisets: an upper bound on
 * the characters Jaro can match.
 */
static size_t
common_chars(const char *a, size_t na, const char *b, size_t nb)
{
	/* Counts, all 0 between calls (cheaper than clearing 256 bytes). */
	static __thread unsigned char cnt[256];
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;
	size_t i, m = 0;

	for (i = 0; i < na; i++)
		if (cnt[x[i]] < 255)
			cnt[x[i]]++;
	for (i = 0; i < nb; i++)
		if (cnt[y[i]] > 0) {
			cnt[y[i]]--;
			m++;
		}
	for (i = 0; i < na; i++)
		cnt[x[i]] = 0;
	return m;
}

/* Code points in UTF-8 s[0..n). */
static size_t
ncp(const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xc0) != 0x80;
	return k;
}

/*
 * The fewest matching characters for a Jaro-Winkler of 0.8: Jaro must
 * reach 2/3 (the prefix adds at most 0.4 (1 - Jaro)), so m/na + m/nb >= 1.
 * Names with spaces are compared word by word: no bound.
 */
static size_t
jaro_need(const char *a, size_t na, const char *b, size_t nb)
{
	size_t x, y;

	if (memchr(a, ' ', na) != NULL || memchr(b, ' ', nb) != NULL)
		return 0;
	x = ncp(a, na);
	y = ncp(b, nb);
	return (x * y + x + y - 1) / (x + y);
}

/*
 * 1 if a and b are at most one edit apart (a substitution, an insertion,
 * a deletion or two neighbours transposed), in linear time.  Bytes stand
 * for characters, so non-ASCII text goes to osa().
 */
static int
one_edit(const char *a, size_t na, const char *b, size_t nb)
{
	size_t i;

	if (na > nb + 1 || nb > na + 1)
		return 0;
	for (i = 0; i < na && i < nb; i++)
		if (((unsigned char)a[i] | (unsigned char)b[i]) & 0x80)
			return osa(a, na, b, nb) <= 1;
		else if (a[i] != b[i])
			break;
	if (na == nb) {
		if (i == na)
			return 1;
		if (memcmp(a + i + 1, b + i + 1, na - i - 1) == 0)
			return 1;
		return i + 1 < na && a[i] == b[i + 1] && a[i + 1] == b[i] &&
		    memcmp(a + i + 2, b + i + 2, na - i - 2) == 0;
	}
	if (na > nb)
		return memcmp(a + i + 1, b + i, nb - i) == 0;
	return memcmp(a + i, b + i + 1, na - i) == 0;
}

/* Order-free similarity of two folded values of one or more words. */
static double
words_sim(const char *a, size_t na, const char *b, size_t nb)
{
	uint32_t x[MAXCP], y[MAXCP];
	size_t nx = decode(a, na, x), ny = decode(b, nb, y);

	if (memchr(a, ' ', na) == NULL && memchr(b, ' ', nb) == NULL)
		return crm_match_jw(x, nx, y, ny);
	return crm_match_name(x, nx, y, ny);
}

/* 1 if a Double Metaphone code of one name is one of the other's. */
static int
sounds_alike(const char *const a[2], const char *const b[2])
{
	int i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++)
			if (a[i][0] && strcmp(a[i], b[j]) == 0)
				return 1;
	return 0;
}

/* Length of the first UTF-8 character of s (1 for an empty s). */
static size_t
char1(const char *s)
{
	size_t n = 1;

	while (s[n] && ((unsigned char)s[n] & 0xc0) == 0x80)
		n++;
	return n;
}

/*
 * A given or family name: 3 the same, 2 a typo away (Jaro-Winkler 0.92)
 * or a nickname, 1 similar (0.8), sounding alike, or an initial of the
 * other, 0 different.
 */
static int
name_level(const char *a, size_t na, const char *const da[2], const char *b,
    size_t nb, const char *const db[2], int nick)
{
	double s = 0.0;
	size_t k;

	if (na == 0 || nb == 0)
		return -1;
	if (na == nb && memcmp(a, b, na) == 0)
		return 3;
	if (common_chars(a, na, b, nb) >= jaro_need(a, na, b, nb))
		s = words_sim(a, na, b, nb);
	if (s >= 0.92 || (nick && crm_match_nick_same(a, b)))
		return 2;
	if (s >= 0.8 || sounds_alike(da, db))
		return 1;
	k = char1(a);
	if ((k == na || char1(b) == nb) && memcmp(a, b, k) == 0)
		return 1;
	return 0;
}

static int
email_level(const char *a, size_t na, const char *b, size_t nb)
{
	const char *ea, *eb;

	if (na == nb && memcmp(a, b, na) == 0)
		return 3;
	if (one_edit(a, na, b, nb))
		return 2;
	ea = memchr(a, '@', na);
	eb = memchr(b, '@', nb);
	if (ea != NULL && eb != NULL && ea - a == eb - b &&
	    memcmp(a, b, (size_t)(ea - a)) == 0)
		return 1;
	return 0;
}

static int
phone_level(const char *a, size_t na, const char *b, size_t nb)
{
	size_t n = na < nb ? na : nb;

	if (n > PHONE_DIGITS)
		n = PHONE_DIGITS;
	if (memcmp(a + na - n, b + nb - n, n) == 0)
		return 3;
	if (na > PHONE_DIGITS) {
		a += na - PHONE_DIGITS;
		na = PHONE_DIGITS;
	}
	if (nb > PHONE_DIGITS) {
		b += nb - PHONE_DIGITS;
		nb = PHONE_DIGITS;
	}
	return one_edit(a, na, b, nb) ? 2 : 0;
}

/*
 * Dates YYYYMMDD: 3 the same, 2 a typo away or day and month swapped, 1
 * two of year, month and day the same, 0 different.
 */
static int
date_level(const char *a, size_t na, const char *b, size_t nb)
{
	if (na == nb && memcmp(a, b, na) == 0)
		return 3;
	if (one_edit(a, na, b, nb))
		return 2;
	if (na != 8 || nb != 8)
		return 0;
	if (memcmp(a, b, 4) == 0 && memcmp(a + 4, b + 6, 2) == 0 &&
	    memcmp(a + 6, b + 4, 2) == 0)
		return 2;
	return (memcmp(a, b, 4) == 0) + (memcmp(a + 4, b + 4, 2) == 0) +
	    (memcmp(a + 6, b + 6, 2) == 0) >= 2;
}

/* Exact, one edit away, or different (postcodes, national ids). */
static int
code_level(const char *a, size_t na, const char *b, size_t nb)
{
	if (na == nb && memcmp(a, b, na) == 0)
		return 3;
	return one_edit(a, na, b, nb) ? 2 : 0;
}

/*
 * Street, city, company: 3 the same, also with the words in another order
 * (address lines swapped); 2 and 1 a Jaro-Winkler similarity of 0.9 and
 * 0.75, of the values or of their words sorted (a house number missing).
 */
static int
text_level(const struct crm_dedupe *d, const struct rec *x,
    const struct rec *y, int f)
{
	uint32_t p[MAXCP], q[MAXCP];
	const char *a = val(d, x, f), *b = val(d, y, f);
	size_t na = x->len[f], nb = y->len[f], ca, cb, np, nq;
	int k = sorted_slot[f];
	double s, t;

	if (na == nb && memcmp(a, b, na) == 0)
		return 3;
	/* Jaro-Winkler reaches 0.75 only if m/ca + m/cb >= 3/4. */
	ca = ncp(a, na);
	cb = ncp(b, nb);
	if (4 * common_chars(a, na, b, nb) * (ca + cb) < 3 * ca * cb)
		return 0;
	np = decode(a, na, p);
	nq = decode(b, nb, q);
	s = crm_match_jw(p, np, q, nq);
	if (s < 0.9 && (x->len[k] || y->len[k])) {
		if (x->len[k]) {
			a = val(d, x, k);
			na = x->len[k];
		}
		if (y->len[k]) {
			b = val(d, y, k);
			nb = y->len[k];
		}
		if (na == nb && memcmp(a, b, na) == 0)
			return 3;
		np = decode(a, na, p);
		nq = decode(b, nb, q);
		if ((t = crm_match_jw(p, np, q, nq)) > s)
			s = t;
	}
	return s >= 0.9 ? 2 : s >= 0.75 ? 1 : 0;
}

/* The comparison vector of records x and y. */
static void
compare(const struct crm_dedupe *d, const struct rec *x, const struct rec *y,
    signed char g[NF])
{
	const char *const dx[4] = { x->dm[0], x->dm[1], x->dm[2], x->dm[3] };
	const char *const dy[4] = { y->dm[0], y->dm[1], y->dm[2], y->dm[3] };
	const char *a, *b;
	size_t na, nb;
	int f, cf, cl;

	g[F_FIRST] = (signed char)name_level(val(d, x, F_FIRST),
	    x->len[F_FIRST], dx, val(d, y, F_FIRST), y->len[F_FIRST], dy,
	    (x->nick | y->nick) & 1);
	g[F_LAST] = (signed char)name_level(val(d, x, F_LAST), x->len[F_LAST],
	    dx + 2, val(d, y, F_LAST), y->len[F_LAST], dy + 2,
	    (x->nick | y->nick) & 2);
	/*
	 * Given and family names swapped agree better crossed; only worth
	 * comparing when a crossed pair starts alike or sounds alike.
	 */
	if (g[F_FIRST] + g[F_LAST] <= 2 && x->len[F_FIRST] &&
	    x->len[F_LAST] && y->len[F_FIRST] && y->len[F_LAST] &&
	    (val(d, x, F_FIRST)[0] == val(d, y, F_LAST)[0] ||
	    val(d, x, F_LAST)[0] == val(d, y, F_FIRST)[0] ||
	    sounds_alike(dx, dy + 2) || sounds_alike(dx + 2, dy))) {
		cf = name_level(val(d, x, F_FIRST), x->len[F_FIRST], dx,
		    val(d, y, F_LAST), y->len[F_LAST], dy + 2,
		    (x->nick & 1) | (y->nick & 2));
		cl = name_level(val(d, x, F_LAST), x->len[F_LAST], dx + 2,
		    val(d, y, F_FIRST), y->len[F_FIRST], dy,
		    (x->nick & 2) | (y->nick & 1));
		if (cf + cl > g[F_FIRST] + g[F_LAST]) {
			g[F_FIRST] = (signed char)cf;
			g[F_LAST] = (signed char)cl;
		}
	}
	for (f = F_EMAIL; f < NF; f++) {
		na = x->len[f];
		nb = y->len[f];
		if (na == 0 || nb == 0) {
			g[f] = -1;
			continue;
		}
		a = val(d, x, f);
		b = val(d, y, f);
		switch (f) {
		case F_EMAIL:
			g[f] = (signed char)email_level(a, na, b, nb);
			break;
		case F_PHONE:
			g[f] = (signed char)phone_level(a, na, b, nb);
			break;
		case F_BIRTH:
			g[f] = (signed char)date_level(a, na, b, nb);
			break;
		case F_POSTCODE:
		case F_NATID:
			g[f] = (signed char)code_level(a, na, b, nb);
			break;
		default:
			g[f] = (signed char)text_level(d, x, y, f);
		}
	}
	/* The city adds nothing to a postcode that agrees. */
	if (g[F_POSTCODE] >= 2)
		g[F_CITY] = -1;
}

/* ------------------------------------------------------------ blocking */

/* A blocking key of a record, or any 64-bit sort key with a record. */
struct bkey {
	uint64_t h;
	uint32_t rec;
	uint32_t pad;
};

/*
 * Stable LSD radix sort of n items by their 64-bit key, 16 bits a pass,
 * through tmp (as large as a).  A pass whose digit is the same for all
 * is skipped.
 */
#define RADIX_SORT(name, type, key)					\
static int								\
name(type *a, size_t n)							\
{									\
	size_t *cnt, i, sum, c;						\
	type *tmp, *src = a, *dst, *t;					\
	int shift;							\
									\
	if (n < 2)							\
		return 0;						\
	if ((cnt = malloc(65536 * sizeof(*cnt))) == NULL)		\
		return -1;						\
	if ((tmp = reallocarray(NULL, n, sizeof(*tmp))) == NULL) {	\
		free(cnt);						\
		return -1;						\
	}								\
	dst = tmp;							\
	for (shift = 0; shift < 64; shift += 16) {			\
		memset(cnt, 0, 65536 * sizeof(*cnt));			\
		for (i = 0; i < n; i++)					\
			cnt[(key(src[i]) >> shift) & 0xffff]++;		\
		if (cnt[(key(src[0]) >> shift) & 0xffff] == n)		\
			continue;					\
		for (sum = 0, i = 0; i < 65536; i++) {			\
			c = cnt[i];					\
			cnt[i] = sum;					\
			sum += c;					\
		}							\
		for (i = 0; i < n; i++)					\
			dst[cnt[(key(src[i]) >> shift) & 0xffff]++] =	\
			    src[i];					\
		t = src;						\
		src = dst;						\
		dst = t;						\
	}								\
	if (src != a)							\
		memcpy(a, src, n * sizeof(*a));				\
	free(tmp);							\
	free(cnt);							\
	return 0;							\
}

#define BKEY_KEY(x) ((x).h)
#define U64_KEY(x) (x)
RADIX_SORT(sort_bkeys, struct bkey, BKEY_KEY)
RADIX_SORT(sort_u64, uint64_t, U64_KEY)

/* FNV-1a over a kind byte and two strings, then mixed (splitmix64). */
static uint64_t
hkey(int kind, const char *a, size_t na, const char *b, size_t nb)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	h = (h ^ (unsigned char)kind) * 0x100000001b3ULL;
	for (i = 0; i < na; i++)
		h = (h ^ (unsigned char)a[i]) * 0x100000001b3ULL;
	h = (h ^ 0xff) * 0x100000001b3ULL;
	for (i = 0; i < nb; i++)
		h = (h ^ (unsigned char)b[i]) * 0x100000001b3ULL;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

struct keys {
	struct bkey *k;		/* pad holds the record's root */
	size_t n, a;
	uint32_t rec, root;
	int failed;
};

static void
key_add(struct keys *ks, int kind, const char *a, size_t na, const char *b,
    size_t nb)
{
	void *p;

	if ((p = grow(ks->k, &ks->a, ks->n + 1, sizeof(*ks->k))) == NULL) {
		ks->failed = 1;
		return;
	}
	ks->k = p;
	ks->k[ks->n].h = hkey(kind, a, na, b, nb);
	ks->k[ks->n].rec = ks->rec;
	ks->k[ks->n].pad = ks->root;
	ks->n++;
}

/*
 * The Double Metaphone codes of name f of r, and of the names it is a
 * nickname of (Bill: PL, and William's ALM), without repeats; an empty
 * code for a missing name.  Returns how many.
 */
static int
sounds(const struct crm_dedupe *d, const struct rec *r, int f,
    char out[8][CRM_MATCH_DM_MAX + 1])
{
	const char *canon[4];
	char p[CRM_MATCH_DM_MAX + 1], q[CRM_MATCH_DM_MAX + 1];
	int n = 0, k, i, j, c;

	if (r->len[f] == 0 || r->dm[2 * f][0] == '\0') {
		out[0][0] = '\0';
		return 1;
	}
	for (c = 0; c < 2; c++)
		if (c == 0 || strcmp(r->dm[2 * f + 1], r->dm[2 * f]) != 0)
			memcpy(out[n++], r->dm[2 * f + c], 5);
	k = r->nick & 1u << f ? crm_match_nick(val(d, r, f), canon, 4) : 0;
	for (i = 0; i < k && i < 4; i++) {
		crm_match_dmetaphone(canon[i], 4, p, q);
		for (c = 0; c < 2; c++) {
			const char *x = c ? q : p;

			for (j = 0; j < n && strcmp(out[j], x) != 0; j++)
				;
			if (j == n && n < 8 && *x)
				memcpy(out[n++], x, strlen(x) + 1);
		}
	}
	return n;
}

/*
 * The keys of one kind for record r (see dedupe.h):
 *	E email, P phone, N national id, D birth date and the initial of
 *	the given name, Z postcode and the sound of either name, I the
 *	sounds of both names in either order (a nickname sounding as the
 *	name it stands for), B birth date and postcode.
 */
static void
rec_keys(const struct crm_dedupe *d, const struct rec *r, int kind,
    struct keys *ks)
{
	char code[2][8][CRM_MATCH_DM_MAX + 1];
	const char *s, *a, *b;
	int i, j, n, m, f, c;

	switch (kind) {
	case 'E':
		if (r->len[F_EMAIL])
			key_add(ks, 'E', val(d, r, F_EMAIL), r->len[F_EMAIL],
			    "", 0);
		break;
	case 'P':
		if (r->len[F_PHONE]) {
			size_t n9 = r->len[F_PHONE] < PHONE_DIGITS ?
			    r->len[F_PHONE] : PHONE_DIGITS;

			key_add(ks, 'P', val(d, r, F_PHONE) +
			    r->len[F_PHONE] - n9, n9, "", 0);
		}
		break;
	case 'N':
		if (r->len[F_NATID])
			key_add(ks, 'N', val(d, r, F_NATID), r->len[F_NATID],
			    "", 0);
		break;
	case 'D':
		/* Swapped names meet through the sounds of both (I). */
		if (r->len[F_BIRTH] == 0)
			break;
		f = r->len[F_FIRST] ? F_FIRST : F_LAST;
		s = val(d, r, f);
		key_add(ks, 'D', val(d, r, F_BIRTH), r->len[F_BIRTH], s,
		    r->len[f] ? char1(s) : 0);
		break;
	case 'Z':
		if (r->len[F_POSTCODE] == 0)
			break;
		for (c = 0; c < 4; c++) {
			if (r->dm[c][0] == '\0' || ((c & 1) &&
			    strcmp(r->dm[c], r->dm[c - 1]) == 0))
				continue;
			key_add(ks, 'Z', val(d, r, F_POSTCODE),
			    r->len[F_POSTCODE], r->dm[c], strlen(r->dm[c]));
		}
		break;
	case 'B':
		if (r->len[F_BIRTH] && r->len[F_POSTCODE])
			key_add(ks, 'B', val(d, r, F_BIRTH), r->len[F_BIRTH],
			    val(d, r, F_POSTCODE), r->len[F_POSTCODE]);
		break;
	case 'I':
		/* Sounds of the two names, in either order. */
		n = sounds(d, r, F_FIRST, code[0]);
		m = sounds(d, r, F_LAST, code[1]);
		for (i = 0; i < n; i++)
			for (j = 0; j < m; j++) {
				a = code[0][i];
				b = code[1][j];
				if (strcmp(a, b) > 0) {
					a = code[1][j];
					b = code[0][i];
				}
				key_add(ks, 'I', a, strlen(a), b, strlen(b));
			}
		break;
	}
}

static const char key_kinds[] = "EPNDZIB";

struct pairs {
	uint64_t *p;
	size_t n, a;
};

/*
 * A pair packed as record a (28 bits), record b (28 bits) and the kinds of
 * key that brought it (8 bits), so that sorting puts a pair's entries
 * together.
 */
#define PAIR_A(p) ((uint32_t)((p) >> 36))
#define PAIR_B(p) ((uint32_t)((p) >> 8) & 0xfffffff)
#define PAIR_RULES(p) ((unsigned)((p) & 0xff))
#define MAXREC (1u << 28)

/*
 * The candidate pairs: every kind of key in turn, each block's pairs
 * (all of them, or a window in name order for a large block), then
 * sorted with repeats dropped and their kinds of key joined.
 */
static int
block(struct crm_dedupe *d, const uint32_t *order, struct pairs *ps,
    struct crm_error *err)
{
	struct keys ks;
	struct bkey *k;
	size_t i, j, s, e, w, need;
	const char *kind;
	uint64_t x, y, bit;
	void *p;
	int rc = -1;

	memset(&ks, 0, sizeof(ks));
	for (kind = key_kinds; *kind; kind++) {
		ks.n = 0;
		for (i = 0; i < d->nrec; i++) {
			ks.rec = order[i];
			ks.root = d->rec[order[i]].root;
			rec_keys(d, &d->rec[order[i]], *kind, &ks);
		}
		if (ks.failed || sort_bkeys(ks.k, ks.n) < 0)
			goto nomem;
		k = ks.k;
		bit = 1u << (kind - key_kinds);
		for (s = 0; s < ks.n; s = e) {
			for (e = s + 1; e < ks.n && k[e].h == k[s].h; e++)
				;
			w = e - s > CRM_DEDUPE_BLOCK ? CRM_DEDUPE_WINDOW :
			    e - s;
			need = ps->n + (e - s) * w;
			if (need > ps->a) {
				if ((p = grow(ps->p, &ps->a, need,
				    sizeof(*ps->p))) == NULL)
					goto nomem;
				ps->p = p;
			}
			for (i = s; i < e; i++)
				for (j = i + 1; j < e && j <= i + w; j++) {
					if (k[i].pad == k[j].pad)
						continue;
					x = k[i].rec;
					y = k[j].rec;
					ps->p[ps->n++] = x < y ?
					    x << 36 | y << 8 | bit :
					    y << 36 | x << 8 | bit;
				}
		}
		progress(d, (int64_t)ps->n, "pairs");
	}
	if (sort_u64(ps->p, ps->n) < 0)
		goto nomem;
	for (i = j = 0; i < ps->n; i++)
		if (j > 0 && ps->p[i] >> 8 == ps->p[j - 1] >> 8)
			ps->p[j - 1] |= ps->p[i];
		else
			ps->p[j++] = ps->p[i];
	ps->n = j;
	rc = 0;
	goto done;
nomem:
	crm_error_set(err, CRM_EFAIL, "out of memory");
done:
	free(ks.k);
	return rc;
}

/* Records in name order: family name, given name, postcode prefixes. */
static uint32_t *
name_order(const struct crm_dedupe *d)
{
	struct bkey *k;
	uint32_t *order;
	size_t i, j, n;
	uint64_t h;
	static const int part[3][2] = { { F_LAST, 4 }, { F_FIRST, 2 },
	    { F_POSTCODE, 2 } };
	int p;

	if ((k = reallocarray(NULL, d->nrec, sizeof(*k))) == NULL)
		return NULL;
	if ((order = reallocarray(NULL, d->nrec, sizeof(*order))) == NULL) {
		free(k);
		return NULL;
	}
	for (i = 0; i < d->nrec; i++) {
		const struct rec *r = &d->rec[i];

		for (h = 0, p = 0; p < 3; p++) {
			n = r->len[part[p][0]];
			for (j = 0; j < (size_t)part[p][1]; j++)
				h = h << 8 | (j < n ? (unsigned char)
				    val(d, r, part[p][0])[j] : 0);
		}
		k[i].h = h;
		k[i].rec = (uint32_t)i;
	}
	if (sort_bkeys(k, d->nrec) < 0) {
		free(k);
		free(order);
		return NULL;
	}
	for (i = 0; i < d->nrec; i++)
		order[i] = k[i].rec;
	free(k);
	return order;
}

/* ------------------------------------------------------------ scoring */

static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
pat_hash(const signed char *g)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	int k;

	for (k = 0; k < NF; k++)
		h = (h ^ (unsigned char)g[k]) * 0x100000001b3ULL;
	return h;
}

/* The number of pattern g in ps, added if new; -1 on ENOMEM. */
static int
patset_add(struct patset *ps, const signed char g[NF], uint32_t *out)
{
	size_t j, mask, t, cap;
	size_t *nt;
	void *p;

	if (2 * (ps->n + 1) > ps->cap) {
		cap = ps->cap ? 2 * ps->cap : 1024;
		if ((nt = calloc(cap, sizeof(*nt))) == NULL)
			return -1;
		for (t = 0; t < ps->n; t++) {
			for (j = pat_hash(ps->pat + t * NF) & (cap - 1); nt[j];
			    j = (j + 1) & (cap - 1))
				;
			nt[j] = t + 1;
		}
		free(ps->tab);
		ps->tab = nt;
		ps->cap = cap;
	}
	mask = ps->cap - 1;
	for (j = pat_hash(g) & mask; ps->tab[j]; j = (j + 1) & mask)
		if (memcmp(ps->pat + (ps->tab[j] - 1) * NF, g, NF) == 0) {
			*out = (uint32_t)(ps->tab[j] - 1);
			return 0;
		}
	if ((p = grow(ps->pat, &ps->a, (ps->n + 1) * NF, 1)) == NULL)
		return -1;
	ps->pat = p;
	memcpy(ps->pat + ps->n * NF, g, NF);
	ps->tab[j] = ps->n + 1;
	*out = (uint32_t)ps->n++;
	return 0;
}

/*
 * Work shared among threads: comparing candidates (cand[lo..hi)) or
 * random pairs (rnd[lo..hi)), each thread with its own patterns or
 * counts, so that nothing is shared while they run.
 */
struct job {
	struct crm_dedupe *d;
	size_t lo, hi;
	const uint64_t *rnd;	/* random pairs: a << 32 | b */
	struct patset ps;
	uint64_t cnt[NF][NLEVELS];
	int failed;
};

static void *
compare_job(void *arg)
{
	struct job *j = arg;
	struct crm_dedupe *d = j->d;
	signed char g[NF];
	size_t i;
	int f;

	for (i = j->lo; i < j->hi; i++) {
		/*
		 * The second record of a pair is anywhere in memory: fetch
		 * it, then its text, a few pairs ahead.
		 */
		if (j->rnd == NULL && i + 16 < j->hi)
			__builtin_prefetch(&d->rec[d->cand[i + 16].b]);
		if (j->rnd == NULL && i + 8 < j->hi) {
			const char *t = val(d, &d->rec[d->cand[i + 8].b], 0);

			__builtin_prefetch(t);
			__builtin_prefetch(t + 64);
		}
		if (j->rnd != NULL) {
			compare(d, &d->rec[j->rnd[i] >> 32],
			    &d->rec[(uint32_t)j->rnd[i]], g);
			for (f = 0; f < NF; f++)
				if (g[f] >= 0)
					j->cnt[f][g[f]]++;
			continue;
		}
		compare(d, &d->rec[d->cand[i].a], &d->rec[d->cand[i].b], g);
		if (patset_add(&j->ps, g, &d->cand[i].pat) < 0) {
			j->failed = 1;
			break;
		}
	}
	return NULL;
}

#define MAXTHREADS 8

/*
 * Run compare_job over [0, n) in up to MAXTHREADS threads (one per
 * processor; the calling thread takes the first share), filling jobs[]:
 * returns how many.  Small work runs in the calling thread alone.
 */
static int
run_jobs(struct crm_dedupe *d, struct job *jobs, size_t n,
    const uint64_t *rnd)
{
	pthread_t tid[MAXTHREADS];
	int started[MAXTHREADS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int t, nt = cpus < 1 ? 1 : cpus > MAXTHREADS ? MAXTHREADS : (int)cpus;

	if (n < 20000)
		nt = 1;
	for (t = 0; t < nt; t++) {
		memset(&jobs[t], 0, sizeof(jobs[t]));
		jobs[t].d = d;
		jobs[t].rnd = rnd;
		jobs[t].lo = n * (size_t)t / (size_t)nt;
		jobs[t].hi = n * (size_t)(t + 1) / (size_t)nt;
	}
	for (t = 1; t < nt; t++)
		started[t] = pthread_create(&tid[t], NULL, compare_job,
		    &jobs[t]) == 0;
	compare_job(&jobs[0]);
	for (t = 1; t < nt; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			compare_job(&jobs[t]);
	}
	return nt;
}

/* Pattern numbers by the pattern (qsort_r, arg: the patterns). */
static int
cmp_pat(const void *a, const void *b, void *arg)
{
	const signed char *pat = arg;

	return memcmp(pat + *(const uint32_t *)a * NF,
	    pat + *(const uint32_t *)b * NF, NF);
}

/*
 * Compare every candidate.  The threads' patterns are joined and then
 * sorted, so that their numbers, and so the model, do not depend on the
 * number of threads.
 */
static int
compare_all(struct crm_dedupe *d)
{
	struct job jobs[MAXTHREADS];
	struct patset all;
	uint32_t *map = NULL, *perm = NULL, *rank = NULL, x;
	size_t i, p;
	int t, nt, rc = -1;

	memset(&all, 0, sizeof(all));
	nt = run_jobs(d, jobs, d->ncand, NULL);
	for (t = 0; t < nt; t++) {
		if (jobs[t].failed)
			goto done;
		free(map);
		if ((map = calloc(jobs[t].ps.n + 1, sizeof(*map))) == NULL)
			goto done;
		for (p = 0; p < jobs[t].ps.n; p++)
			if (patset_add(&all, jobs[t].ps.pat + p * NF,
			    &map[p]) < 0)
				goto done;
		for (i = jobs[t].lo; i < jobs[t].hi; i++)
			d->cand[i].pat = map[d->cand[i].pat];
	}
	perm = calloc(all.n + 1, sizeof(*perm));
	rank = calloc(all.n + 1, sizeof(*rank));
	if (perm == NULL || rank == NULL)
		goto done;
	for (p = 0; p < all.n; p++)
		perm[p] = (uint32_t)p;
	qsort_r(perm, all.n, sizeof(*perm), cmp_pat, all.pat);
	for (p = 0; p < all.n; p++) {
		rank[perm[p]] = (uint32_t)p;
		if (patset_add(&d->pats, all.pat + (size_t)perm[p] * NF,
		    &x) < 0)
			goto done;
	}
	for (i = 0; i < d->ncand; i++)
		d->cand[i].pat = rank[d->cand[i].pat];
	rc = 0;
done:
	for (t = 0; t < nt; t++)
		patset_release(&jobs[t].ps);
	patset_release(&all);
	free(map);
	free(perm);
	free(rank);
	return rc;
}

/*
 * u: the share of each level among random pairs of records (nearly all
 * of them two different people), with half a pair added to each level so
 * that none is 0, then weighed against u_prior as the distinct pairs the
 * sample can have seen (total, the pairs of records that stand for
 * themselves): a file of three records has three pairs, one of which may
 * be the very duplicate to find.
 */
static int
measure_u(struct crm_dedupe *d, double total)
{
	struct job jobs[MAXTHREADS];
	uint64_t seed = 0x6372646564757065ULL, *rnd, x, y;
	double cnt, tot, ne;
	size_t i, n = 0;
	int f, l, t, nt;

	if ((rnd = reallocarray(NULL, RANDOM_PAIRS, sizeof(*rnd))) == NULL)
		return -1;
	for (i = 0; i < RANDOM_PAIRS; i++) {
		x = splitmix(&seed) % d->nrec;
		y = splitmix(&seed) % d->nrec;
		if (d->rec[x].root != d->rec[y].root)
			rnd[n++] = x << 32 | y;
	}
	nt = run_jobs(d, jobs, n, rnd);
	free(rnd);
	for (f = 0; f < NF; f++) {
		for (tot = 0.0, t = 0; t < nt; t++)
			for (l = 0; l < NLEVELS; l++)
				tot += (double)jobs[t].cnt[f][l];
		ne = tot < total ? tot : total;
		for (l = 0; l < NLEVELS; l++) {
			for (cnt = 0.0, t = 0; t < nt; t++)
				cnt += (double)jobs[t].cnt[f][l];
			d->fs.u[f * NLEVELS + l] = (ne * (cnt + 0.5) /
			    (tot + 0.5 * NLEVELS) + U_PRIOR * u_prior[f][l]) /
			    (ne + U_PRIOR);
		}
	}
	crm_fs_update(&d->fs);
	memcpy(d->urand, d->fs.u, sizeof(d->urand));
	return 0;
}

/* The score of candidate c: its pattern's weight, adjusted for names. */
static double
cand_weight(const struct crm_dedupe *d, const struct cand *c)
{
	const signed char *g = d->pats.pat + (size_t)c->pat * NF;
	const struct rec *a = &d->rec[c->a];
	double w = crm_fs_weight(&d->fs, g), tf, u;
	int f, t;

	if (d->opts.no_tf)
		return w;
	for (t = 0; t < NTF; t++) {
		f = tf_field[t];
		if (g[f] != NLEVELS - 1)
			continue;
		tf = a->tf[t];
		if (!(tf > 0.0))
			continue;
		if (tf < d->fs.floor)
			tf = d->fs.floor;
		u = d->urand[f * NLEVELS + NLEVELS - 1];
		w += log2(u / tf);
	}
	return w;
}

/* tf: the share of records with each given and family name. */
static int
term_freq(struct crm_dedupe *d)
{
	struct bkey *k;
	size_t i, s, e, n;
	int f, t;

	if ((k = reallocarray(NULL, d->nrec, sizeof(*k))) == NULL)
		return -1;
	for (t = 0; t < NTF; t++) {
		f = tf_field[t];
		for (i = n = 0; i < d->nrec; i++) {
			const struct rec *r = &d->rec[i];

			if (r->len[f] == 0)
				continue;
			k[n].h = hkey('T', val(d, r, f), r->len[f], "", 0);
			k[n++].rec = (uint32_t)i;
		}
		if (sort_bkeys(k, n) < 0) {
			free(k);
			return -1;
		}
		for (s = 0; s < n; s = e) {
			for (e = s + 1; e < n && k[e].h == k[s].h; e++)
				;
			for (i = s; i < e; i++)
				d->rec[k[i].rec].tf[t] = (float)(e - s) /
				    (float)n;
		}
	}
	free(k);
	return 0;
}

/* Union-find with the lowest record as the representative. */
static uint32_t
uf_find(uint32_t *up, uint32_t x)
{
	uint32_t r = x, t;

	while (up[r] != r)
		r = up[r];
	while (up[x] != r) {
		t = up[x];
		up[x] = r;
		x = t;
	}
	return r;
}

static void
uf_union(uint32_t *up, uint32_t x, uint32_t y)
{
	x = uf_find(up, x);
	y = uf_find(up, y);
	if (x < y)
		up[y] = x;
	else if (y < x)
		up[x] = y;
}

/* Clusters: the connected components of the matches. */
static int
link_clusters(struct crm_dedupe *d, struct crm_error *err)
{
	size_t i, *size;

	d->cluster = reallocarray(NULL, d->nrec + 1, sizeof(*d->cluster));
	size = calloc(d->nrec + 1, sizeof(*size));
	if (d->cluster == NULL || size == NULL) {
		free(size);
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	}
	for (i = 0; i < d->nrec; i++)
		d->cluster[i] = (uint32_t)i;
	for (i = 0; i < d->nmatch; i++)
		uf_union(d->cluster, d->match[i].a, d->match[i].b);
	for (i = 0; i < d->nrec; i++)
		d->cluster[i] = uf_find(d->cluster, (uint32_t)i);
	for (i = 0; i < d->nrec; i++)
		if (d->rec[i].root == i)
			size[d->cluster[i]]++;
	for (i = 0; i < d->nrec; i++)
		if (size[i] > 1) {
			d->st.clusters++;
			d->st.in_clusters += (int64_t)size[i];
		}
	free(size);
	return 0;
}

static int
cmp_match(const void *p, const void *q)
{
	const struct match *x = p, *y = q;

	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	if (x->b != y->b)
		return x->b < y->b ? -1 : 1;
	return (x->weight < y->weight) - (x->weight > y->weight);
}

/*
 * The fields each kind of key implies agreement on, or on which it makes
 * agreement likelier: EM over the pairs a key brought leaves them out,
 * since u, measured on random pairs, does not hold for them there.
 */
static const unsigned rule_excludes[] = {
	1u << F_EMAIL | 1u << F_FIRST | 1u << F_LAST,		/* E */
	1u << F_PHONE,						/* P */
	1u << F_NATID,						/* N */
	1u << F_BIRTH,						/* D */
	1u << F_POSTCODE | 1u << F_CITY | 1u << F_FIRST | 1u << F_LAST, /* Z */
	1u << F_FIRST | 1u << F_LAST,				/* I */
	1u << F_BIRTH | 1u << F_POSTCODE | 1u << F_CITY,	/* B */
};
#define NRULES ((int)(sizeof(rule_excludes) / sizeof(rule_excludes[0])))
_Static_assert(NRULES == sizeof(key_kinds) - 1, "a rule for each key");

/*
 * Kinds of key whose pairs estimate m only for the fields no other kind
 * covers: the name key's pairs are mostly namesakes, and namesakes share
 * more than chance would have it (a country, a city), which EM then takes
 * for the mark of a match.
 */
static const unsigned rule_weak = 1u << 5;	/* I */

/*
 * m, as Splink estimates it: for each kind of key, EM over the pairs it
 * brought, with u fixed at the random-pair values and the fields the key
 * biases left out; then each field's m is the average over the kinds that
 * kept it, weighted by the matches each expects, with m_prior counting as
 * M_PRIOR of them.
 */
static int
fit_m(struct crm_dedupe *d, struct crm_error *err)
{
	struct crm_fs_model fk;
	double *count = NULL, msum[2][NF * NLEVELS], wsum[2][NF], wk;
	signed char *pat = NULL;
	size_t i, p, n;
	int k, f, l, weak, rc = -1;

	memset(msum, 0, sizeof(msum));
	memset(wsum, 0, sizeof(wsum));
	count = calloc(d->pats.n, sizeof(*count));
	pat = malloc(d->pats.n * NF + 1);
	if (count == NULL || pat == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	for (k = 0; k < NRULES; k++) {
		memset(count, 0, d->pats.n * sizeof(*count));
		for (i = n = 0; i < d->ncand; i++)
			if (d->cand[i].rules & 1u << k) {
				count[d->cand[i].pat] += 1.0;
				n++;
			}
		if (n == 0)
			continue;
		memcpy(pat, d->pats.pat, d->pats.n * NF);
		for (p = 0; p < d->pats.n; p++)
			for (f = 0; f < NF; f++)
				if (rule_excludes[k] & 1u << f)
					pat[p * NF + f] = -1;
		if (crm_fs_init(&fk, NF, NLEVELS, err) < 0)
			goto done;
		memcpy(fk.u, d->urand, sizeof(d->urand));
		crm_fs_update(&fk);
		fk.fix_u = 1;
		fk.start_from_data = 0;
		if (crm_fs_fit_patterns(&fk, pat, count, d->pats.n, err) < 0) {
			crm_fs_release(&fk);
			goto done;
		}
		wk = fk.lambda * (double)n;
		weak = (rule_weak & 1u << k) != 0;
		for (f = 0; f < NF; f++) {
			if (rule_excludes[k] & 1u << f)
				continue;
			for (l = 0; l < NLEVELS; l++)
				msum[weak][f * NLEVELS + l] += wk *
				    fk.m[f * NLEVELS + l];
			wsum[weak][f] += wk;
		}
		crm_fs_release(&fk);
	}
	for (f = 0; f < NF; f++) {
		weak = !(wsum[0][f] > 0.0);
		for (l = 0; l < NLEVELS; l++)
			d->fs.m[f * NLEVELS + l] = (msum[weak][f * NLEVELS +
			    l] + M_PRIOR * m_prior[f][l]) / (wsum[weak][f] +
			    M_PRIOR);
	}
	crm_fs_update(&d->fs);
	rc = 0;
done:
	free(count);
	free(pat);
	return rc;
}

/*
 * lambda, the chance that two records picked at random match: the share
 * of all pairs that the candidates are expected to match, by EM on lambda
 * alone (every pair that is not a candidate taken as a non-match).  Each
 * candidate counts as the pairs it stands for (more than one when
 * sampled).
 */
static void
fit_lambda(struct crm_dedupe *d, const double *pcount, double total)
{
	double lam = 1e-6, next, bf, sum;
	size_t p;
	int it;

	for (it = 0; it < 500; it++) {
		for (sum = 0.0, p = 0; p < d->pats.n; p++) {
			if (pcount[p] == 0.0)
				continue;
			bf = exp2(crm_fs_weight(&d->fs, d->pats.pat + p * NF));
			sum += pcount[p] * lam * bf / (lam * bf + 1.0 - lam);
		}
		next = sum / total;
		if (next < 1e-12)
			next = 1e-12;
		if (next > 0.5)
			next = 0.5;
		if (fabs(next - lam) <= 1e-6 * lam) {
			lam = next;
			break;
		}
		lam = next;
	}
	d->fs.lambda = lam;
}

int
crm_dedupe_run(struct crm_dedupe *d, struct crm_error *err)
{
	struct pairs ps = { NULL, 0, 0 };
	uint32_t *order = NULL;
	double *pcount = NULL, total, nroot = 0.0, scale = 1.0;
	struct cand c;
	size_t i, j;
	uint64_t keep = UINT64_MAX, pr;
	int rc = -1;

	d->st.records = (int64_t)d->nrec;
	if (d->nrec < 2)
		return link_clusters(d, err);
	if (d->nrec >= MAXREC)
		return crm_error_set(err, CRM_EFAIL, "more than %u records",
		    MAXREC - 1);
	if (term_freq(d) < 0 || (order = name_order(d)) == NULL)
		goto nomem;
	if (block(d, order, &ps, err) < 0)
		goto done;
	free(order);
	order = NULL;

	/*
	 * Incremental: pairs with a new record are scored; of the others
	 * only a sample, deterministic by the pair, helps fit the model.
	 */
	if (d->opts.since != 0) {
		size_t nold = 0;

		for (i = 0; i < ps.n; i++)
			nold += !d->rec[PAIR_A(ps.p[i])].isnew &&
			    !d->rec[PAIR_B(ps.p[i])].isnew;
		if (nold > EM_SAMPLE) {
			scale = (double)nold / EM_SAMPLE;
			keep = (uint64_t)((double)UINT64_MAX / scale);
		}
	}
	if ((d->cand = reallocarray(NULL, ps.n ? ps.n : 1,
	    sizeof(*d->cand))) == NULL)
		goto nomem;
	for (i = 0; i < ps.n; i++) {
		c.a = PAIR_A(ps.p[i]);
		c.b = PAIR_B(ps.p[i]);
		c.rules = PAIR_RULES(ps.p[i]);
		c.pat = 0;
		pr = ps.p[i] >> 8;
		if (!d->rec[c.a].isnew && !d->rec[c.b].isnew &&
		    splitmix(&pr) > keep)
			continue;
		d->cand[d->ncand++] = c;
	}
	free(ps.p);
	ps.p = NULL;
	progress(d, (int64_t)d->ncand, "pairs to compare");
	if (compare_all(d) < 0)
		goto nomem;
	d->st.records = (int64_t)d->nrec;
	d->st.candidates = (int64_t)d->ncand;
	if (d->ncand == 0) {
		rc = 0;
		goto done;
	}

	/* u from random pairs, m by EM, lambda over all pairs. */
	if (crm_fs_init(&d->fs, NF, NLEVELS, err) < 0)
		goto done;
	d->fitted = 1;
	for (i = 0; i < d->nrec; i++)
		nroot += d->rec[i].root == i;
	total = nroot * (nroot - 1.0) / 2.0;
	if (measure_u(d, total) < 0)
		goto nomem;
	if (fit_m(d, err) < 0)
		goto done;
	if ((pcount = calloc(d->pats.n, sizeof(*pcount))) == NULL)
		goto nomem;
	for (i = 0; i < d->ncand; i++) {
		const struct cand *cp = &d->cand[i];

		pcount[cp->pat] += d->rec[cp->a].isnew || d->rec[cp->b].isnew ?
		    1.0 : scale;
	}
	fit_lambda(d, pcount, total);
	d->st.lambda = d->fs.lambda;

	/* The matches, between survivors; the best pair of records each. */
	for (i = 0; i < d->ncand; i++) {
		struct match m;
		const struct cand *cp = &d->cand[i];

		if (!d->rec[cp->a].isnew && !d->rec[cp->b].isnew)
			continue;
		m.weight = cand_weight(d, cp);
		m.prob = crm_fs_prob(&d->fs, m.weight);
		if (!(m.prob >= d->opts.threshold))
			continue;
		m.a = d->rec[cp->a].root;
		m.b = d->rec[cp->b].root;
		memcpy(m.g, d->pats.pat + (size_t)cp->pat * NF, NF);
		if (m.a > m.b) {
			uint32_t t = m.a;

			m.a = m.b;
			m.b = t;
		}
		if (d->nmatch % 1024 == 0) {
			void *p = reallocarray(d->match, d->nmatch + 1024,
			    sizeof(*d->match));

			if (p == NULL)
				goto nomem;
			d->match = p;
		}
		d->match[d->nmatch++] = m;
	}
	if (d->nmatch > 0)
		qsort(d->match, d->nmatch, sizeof(*d->match), cmp_match);
	for (i = j = 0; i < d->nmatch; i++)
		if (j == 0 || d->match[i].a != d->match[j - 1].a ||
		    d->match[i].b != d->match[j - 1].b)
			d->match[j++] = d->match[i];
	d->nmatch = j;
	d->st.matches = (int64_t)d->nmatch;
	rc = 0;
	goto done;
nomem:
	crm_error_set(err, CRM_EFAIL, "out of memory");
done:
	if (rc == 0)
		rc = link_clusters(d, err);
	free(ps.p);
	free(order);
	free(pcount);
	return rc;
}

/* ------------------------------------------------------------ output */

/* A record's id as text, in buf[24] for a contact id. */
static const char *
rec_id(const struct crm_dedupe *d, uint32_t i, char buf[24])
{
	if (d->dbmode) {
		snprintf(buf, 24, "%lld", (long long)d->rec[i].cid);
		return buf;
	}
	return txt(d, d->rec[i].id);
}

int
crm_dedupe_write_pairs(struct crm_dedupe *d, struct crm_out *o,
    struct crm_error *err)
{
	const char *names[6 + NF], *vals[6 + NF];
	enum crm_coltype types[6 + NF];
	char ida[24], idb[24], score[32], prob[32], lv[NF][8];
	size_t i, n = 0;
	int f, fields[NF], nf = 0;

	names[n] = "id_a";
	types[n++] = d->dbmode ? CRM_COL_NUM : CRM_COL_TEXT;
	names[n] = "id_b";
	types[n++] = d->dbmode ? CRM_COL_NUM : CRM_COL_TEXT;
	names[n] = "name_a";
	types[n++] = CRM_COL_TEXT;
	names[n] = "name_b";
	types[n++] = CRM_COL_TEXT;
	names[n] = "score";
	types[n++] = CRM_COL_NUM;
	names[n] = "probability";
	types[n++] = CRM_COL_NUM;
	for (f = 0; f < NF; f++)
		if (d->present[f]) {
			fields[nf++] = f;
			names[n] = fname[f];
			types[n++] = CRM_COL_NUM;
		}
	if (crm_out_header(o, names, types, n, err) < 0)
		return -1;
	for (i = 0; i < d->nmatch; i++) {
		const struct match *m = &d->match[i];

		vals[0] = rec_id(d, m->a, ida);
		vals[1] = rec_id(d, m->b, idb);
		vals[2] = txt(d, d->rec[m->a].name);
		vals[3] = txt(d, d->rec[m->b].name);
		snprintf(score, sizeof(score), "%.2f", m->weight);
		snprintf(prob, sizeof(prob), "%.4f", m->prob);
		vals[4] = score;
		vals[5] = prob;
		for (f = 0; f < nf; f++) {
			snprintf(lv[f], sizeof(lv[f]), "%d", m->g[fields[f]]);
			vals[6 + f] = m->g[fields[f]] < 0 ? NULL : lv[f];
		}
		if (crm_out_row(o, vals, err) < 0)
			return -1;
	}
	return 0;
}

int
crm_dedupe_write_clusters(struct crm_dedupe *d, struct crm_out *o,
    struct crm_error *err)
{
	static const char *const names[3] = { "cluster_id", "id", "name" };
	enum crm_coltype types[3];
	const char *vals[3];
	char cid[24], id[24];
	uint32_t *next = NULL, *head = NULL, *tail = NULL, i, k;
	int rc = -1;

	types[0] = types[1] = d->dbmode ? CRM_COL_NUM : CRM_COL_TEXT;
	types[2] = CRM_COL_TEXT;
	if (crm_out_header(o, names, types, 3, err) < 0)
		return -1;
	if (d->cluster == NULL)
		return 0;
	/* Members listed under their cluster, both in record order. */
	next = calloc(d->nrec + 1, sizeof(*next));
	head = calloc(d->nrec + 1, sizeof(*head));
	tail = calloc(d->nrec + 1, sizeof(*tail));
	if (next == NULL || head == NULL || tail == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	for (i = 0; i < d->nrec; i++) {
		if (d->rec[i].root != i)
			continue;
		k = d->cluster[i];
		if (head[k] == 0)
			head[k] = i + 1;
		else
			next[tail[k] - 1] = i + 1;
		tail[k] = i + 1;
	}
	for (k = 0; k < d->nrec; k++) {
		if (head[k] == 0 || next[head[k] - 1] == 0)
			continue;
		vals[0] = rec_id(d, k, cid);
		for (i = head[k]; i != 0; i = next[i - 1]) {
			vals[1] = rec_id(d, i - 1, id);
			vals[2] = txt(d, d->rec[i - 1].name);
			if (crm_out_row(o, vals, err) < 0)
				goto done;
		}
	}
	rc = 0;
done:
	free(next);
	free(head);
	free(tail);
	return rc;
}

int
crm_dedupe_write_file(struct crm_dedupe *d, struct crm_out *o,
    struct crm_error *err)
{
	const char **names, **vals;
	size_t i, c, n = d->ncols;
	const char *p;
	int rc = -1;

	names = calloc(n + 1, sizeof(*names));
	vals = calloc(n + 1, sizeof(*vals));
	if (names == NULL || vals == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	for (c = 0; c < n; c++)
		names[c] = d->colnames[c];
	if (d->cluster_col < 0)
		names[n++] = "cluster_id";
	if (crm_out_header(o, names, NULL, n, err) < 0)
		goto done;
	for (i = 0; i < d->nrec; i++) {
		p = d->rows.s + d->rowoff[i];
		for (c = 0; c < d->ncols; c++) {
			vals[c] = *p ? p : NULL;
			p += strlen(p) + 1;
		}
		vals[d->cluster_col < 0 ? d->ncols : (size_t)d->cluster_col] =
		    txt(d, d->rec[d->cluster ? d->cluster[i] : i].id);
		if (crm_out_row(o, vals, err) < 0)
			goto done;
	}
	rc = 0;
done:
	free(names);
	free(vals);
	return rc;
}

int
crm_dedupe_write_model(struct crm_dedupe *d, struct crm_out *o,
    struct crm_error *err)
{
	static const char *const names[5] = { "field", "level", "m", "u",
	    "weight" };
	static const enum crm_coltype types[5] = { CRM_COL_TEXT, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_NUM, CRM_COL_NUM };
	const char *vals[5];
	char lv[8], m[32], u[32], w[32];
	int f, l;

	if (crm_out_header(o, names, types, 5, err) < 0)
		return -1;
	if (!d->fitted)
		return 0;
	vals[0] = "lambda";
	vals[1] = NULL;
	snprintf(m, sizeof(m), "%.6g", d->fs.lambda);
	vals[2] = m;
	vals[3] = vals[4] = NULL;
	if (crm_out_row(o, vals, err) < 0)
		return -1;
	for (f = 0; f < NF; f++) {
		if (!d->present[f])
			continue;
		for (l = 0; l < NLEVELS; l++) {
			snprintf(lv, sizeof(lv), "%d", l);
			snprintf(m, sizeof(m), "%.6g", d->fs.m[f * NLEVELS + l]);
			snprintf(u, sizeof(u), "%.6g", d->fs.u[f * NLEVELS + l]);
			snprintf(w, sizeof(w), "%.2f", d->fs.w[f * NLEVELS + l]);
			vals[0] = fname[f];
			vals[1] = lv;
			vals[2] = m;
			vals[3] = u;
			vals[4] = w;
			if (crm_out_row(o, vals, err) < 0)
				return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ merging */


/* A contact row as merging sees it. */
enum { C_EXTERNAL_ID, C_FIRST, C_LAST, C_NAME_KEY, C_EMAIL, C_PHONE,
    C_COMPANY, C_STREET, C_CITY, C_POSTCODE, C_COUNTRY, C_BIRTH, C_STAGE,
    C_OWNER, C_ATTRS, NTEXT };
enum { K_EMAIL, K_PHONE, K_SMS, K_MAIL, K_DNC, NCONS };

static const char *const ctext[NTEXT] = {
	"external_id", "first_name", "last_name", "name_key", "email",
	"phone", "company", "street", "city", "postcode", "country",
	"birth_date", "stage", "owner", "attrs",
};
static const char *const ccons[NCONS] = {
	"email_opt_in", "phone_opt_in", "sms_opt_in", "mail_opt_in",
	"do_not_contact",
};
static const char *const cchannel[NCONS] = {
	"email", "phone", "sms", "mail", "all",
};

struct crow {
	int64_t id, merged_into, erased_at, created, updated;
	char *t[NTEXT];		/* NULL when not known */
	int c[NCONS];		/* 1, 0 or -1 when not known */
	int filled;		/* values it has, for "most complete" */
	int preferred;		/* external_id matches --prefer */
	double score;		/* from the input, NaN if none */
};

#define CONTACT_COLS "id, external_id, first_name, last_name, name_key," \
	" email, phone, company, street, city, postcode, country," \
	" birth_date, stage, owner, attrs, email_opt_in, phone_opt_in," \
	" sms_opt_in, mail_opt_in, do_not_contact, merged_into, erased_at," \
	" created_at, updated_at"

/* Every column of a contact as a JSON object (the before-image). */
#define CONTACT_JSON "json_object('id', id, 'external_id', external_id," \
	" 'first_name', first_name, 'last_name', last_name, 'name_key'," \
	" name_key, 'email', email, 'phone', phone, 'company', company," \
	" 'street', street, 'city', city, 'postcode', postcode, 'country'," \
	" country, 'birth_date', birth_date, 'stage', stage, 'owner', owner," \
	" 'attrs', attrs, 'email_opt_in', email_opt_in, 'phone_opt_in'," \
	" phone_opt_in, 'sms_opt_in', sms_opt_in, 'mail_opt_in', mail_opt_in," \
	" 'do_not_contact', do_not_contact, 'merged_into', merged_into," \
	" 'erased_at', erased_at, 'created_at', created_at, 'updated_at'," \
	" updated_at)"

#define J(c) "json_extract(?1, '$." c "')"
static const char sql_restore[] = "UPDATE contacts SET (external_id,"
    " first_name, last_name, name_key, email, phone, company, street, city,"
    " postcode, country, birth_date, stage, owner, attrs, email_opt_in,"
    " phone_opt_in, sms_opt_in, mail_opt_in, do_not_contact, merged_into,"
    " erased_at, created_at, updated_at) = (" J("external_id") ","
    J("first_name") "," J("last_name") "," J("name_key") "," J("email") ","
    J("phone") "," J("company") "," J("street") "," J("city") ","
    J("postcode") "," J("country") "," J("birth_date") "," J("stage") ","
    J("owner") "," J("attrs") "," J("email_opt_in") "," J("phone_opt_in")
    "," J("sms_opt_in") "," J("mail_opt_in") "," J("do_not_contact") ","
    J("merged_into") "," J("erased_at") "," J("created_at") ","
    J("updated_at") ") WHERE id = ?2";
#undef J

static void
crow_release(struct crow *c)
{
	int i;

	for (i = 0; i < NTEXT; i++) {
		free(c->t[i]);
		c->t[i] = NULL;
	}
}

static int
crow_load(struct crm_db *db, int64_t id, struct crow *c,
    const struct crm_merge_opts *opts, struct crm_error *err)
{
	struct crm_stmt *st;
	const char *v;
	int i, rc;

	memset(c, 0, sizeof(*c));
	c->score = NAN;
	if ((st = crm_db_stmt(db, "SELECT " CONTACT_COLS " FROM contacts"
	    " WHERE id = ?1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 0)
		return crm_error_set(err, CRM_EDATA, "no contact %lld",
		    (long long)id);
	c->id = id;
	for (i = 0; i < NTEXT; i++) {
		v = crm_db_col_text(st, 1 + i);
		if (v != NULL && (c->t[i] = strdup(v)) == NULL) {
			crm_db_reset(st);
			crow_release(c);
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		}
		if (v != NULL && *v && i != C_EXTERNAL_ID && i != C_NAME_KEY &&
		    !(i == C_STAGE && strcmp(v, "lead") == 0))
			c->filled++;
	}
	for (i = 0; i < NCONS; i++)
		c->c[i] = crm_db_col_isnull(st, 1 + NTEXT + i) ? -1 : crm_db_col_int(st, 1 + NTEXT + i);
	c->merged_into = crm_db_col_int(st, 21);
	c->erased_at = crm_db_col_isnull(st, 22) ? 0 :
	    crm_db_col_int(st, 22);
	c->created = crm_db_col_int(st, 23);
	c->updated = crm_db_col_int(st, 24);
	c->preferred = opts != NULL && opts->prefer != NULL &&
	    c->t[C_EXTERNAL_ID] != NULL &&
	    fnmatch(opts->prefer, c->t[C_EXTERNAL_ID], 0) == 0;
	crm_db_reset(st);
	return 0;
}

/* The rule's order, the survivor first (qsort_r, arg: the rule). */
static int
cmp_crow(const void *p, const void *q, void *arg)
{
	const struct crow *a = p, *b = q;
	enum crm_merge_rule rule = *(const enum crm_merge_rule *)arg;

	if (rule == CRM_MERGE_SOURCE && a->preferred != b->preferred)
		return b->preferred - a->preferred;
	if (rule == CRM_MERGE_COMPLETE && a->filled != b->filled)
		return b->filled - a->filled;
	if (a->updated != b->updated)
		return a->updated > b->updated ? -1 : 1;
	return (a->id > b->id) - (a->id < b->id);
}

static int
empty(const char *s)
{
	return s == NULL || *s == '\0';
}

/* Take b's value for column i into a (a had none). */
static int
take(struct crow *a, const struct crow *b, int i, struct crm_error *err)
{
	char *v = NULL;

	if (b->t[i] != NULL && (v = strdup(b->t[i])) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	free(a->t[i]);
	a->t[i] = v;
	return 0;
}

/*
 * The survivor s after merging b into it: s's values first, b's where s
 * has none.  A name (given and family) and an address (street, city,
 * postcode, with the country) are taken whole from one record, never
 * mixed.  The stage lead, the default, counts as none.  Attributes are
 * joined key by key, s's winning.  Consent: an opt-out on either wins,
 * then an opt-in, and do-not-contact on either holds.
 */
static int
survive(struct crm_db *db, struct crow *s, const struct crow *b,
    struct crm_error *err)
{
	static const int single[] = { C_EMAIL, C_PHONE, C_COMPANY, C_BIRTH,
	    C_OWNER };
	struct crm_buf key = CRM_BUF_INIT(4096);
	struct crm_stmt *st;
	size_t i;
	int k;

	if (empty(s->t[C_FIRST]) && empty(s->t[C_LAST]) &&
	    (!empty(b->t[C_FIRST]) || !empty(b->t[C_LAST]))) {
		if (take(s, b, C_FIRST, err) < 0 || take(s, b, C_LAST, err) < 0)
			goto fail;
		if (!empty(b->t[C_FIRST]) && crm_norm_fold(b->t[C_FIRST], &key,
		    err) < 0)
			goto fail;
		if (!empty(b->t[C_LAST]) && ((key.len && crm_buf_addc(&key,
		    ' ', err) < 0) || crm_norm_fold(b->t[C_LAST], &key,
		    err) < 0))
			goto fail;
		free(s->t[C_NAME_KEY]);
		s->t[C_NAME_KEY] = NULL;
		if (key.len && (s->t[C_NAME_KEY] = strdup(key.s)) == NULL)
			goto nomem;
	}
	if (empty(s->t[C_STREET]) && empty(s->t[C_CITY]) &&
	    empty(s->t[C_POSTCODE]) && (!empty(b->t[C_STREET]) ||
	    !empty(b->t[C_CITY]) || !empty(b->t[C_POSTCODE]))) {
		if (take(s, b, C_STREET, err) < 0 ||
		    take(s, b, C_CITY, err) < 0 ||
		    take(s, b, C_POSTCODE, err) < 0 ||
		    (!empty(b->t[C_COUNTRY]) && take(s, b, C_COUNTRY,
		    err) < 0))
			goto fail;
	}
	if (empty(s->t[C_COUNTRY]) && !empty(b->t[C_COUNTRY]) &&
	    take(s, b, C_COUNTRY, err) < 0)
		goto fail;
	for (i = 0; i < sizeof(single) / sizeof(single[0]); i++)
		if (empty(s->t[single[i]]) && !empty(b->t[single[i]]) &&
		    take(s, b, single[i], err) < 0)
			goto fail;
	if ((empty(s->t[C_STAGE]) || strcmp(s->t[C_STAGE], "lead") == 0) &&
	    !empty(b->t[C_STAGE]) && take(s, b, C_STAGE, err) < 0)
		goto fail;
	if (s->t[C_ATTRS] == NULL && b->t[C_ATTRS] != NULL) {
		if (take(s, b, C_ATTRS, err) < 0)
			goto fail;
	} else if (s->t[C_ATTRS] != NULL && b->t[C_ATTRS] != NULL) {
		if ((st = crm_db_stmt(db, "SELECT json_patch(?1, ?2)",
		    err)) == NULL ||
		    crm_db_bind_text(db, st, 1, b->t[C_ATTRS], err) < 0 ||
		    crm_db_bind_text(db, st, 2, s->t[C_ATTRS], err) < 0 ||
		    crm_db_step(db, st, err) < 0)
			goto fail;
		if (strcmp(crm_db_col_text(st, 0), s->t[C_ATTRS]) != 0) {
			char *v = strdup(crm_db_col_text(st, 0));

			if (v == NULL) {
				crm_db_reset(st);
				goto nomem;
			}
			free(s->t[C_ATTRS]);
			s->t[C_ATTRS] = v;
		}
		crm_db_reset(st);
	}
	for (k = 0; k < K_DNC; k++)
		if (s->c[k] != 0 && b->c[k] >= 0 && (b->c[k] == 0 ||
		    s->c[k] < 0))
			s->c[k] = b->c[k];
	if (b->c[K_DNC] == 1)
		s->c[K_DNC] = 1;
	if (b->created < s->created)
		s->created = b->created;
	crm_buf_release(&key);
	return 0;
nomem:
	crm_error_set(err, CRM_EFAIL, "out of memory");
fail:
	crm_buf_release(&key);
	return -1;
}

/*
 * The content key of an interaction (as crm-log computes it, see the
 * chash column in crm(7)) for contact, from its row st: at, channel,
 * kind, direction, amount, currency, quantity, status, closed_at,
 * product, category, subject, note, campaign in columns 1 to 14.
 */
static void
content_key(int64_t contact, struct crm_stmt *st, unsigned char out[16])
{
	struct crm_log_content c;
	int i;

	memset(&c, 0, sizeof(c));
	c.contact = contact;
	c.at = crm_db_col_int(st, 1);
	c.channel = crm_db_col_text(st, 2);
	c.kind = crm_db_col_text(st, 3);
	c.direction = crm_db_col_text(st, 4);
	if ((c.has_amount = !crm_db_col_isnull(st, 5)))
		c.amount = crm_db_col_double(st, 5);
	c.currency = crm_db_col_text(st, 6);
	if ((c.has_quantity = !crm_db_col_isnull(st, 7)))
		c.quantity = crm_db_col_double(st, 7);
	c.status = crm_db_col_text(st, 8);
	c.closed_at = crm_db_col_int(st, 9);
	for (i = 0; i < 5; i++)
		c.text[i] = crm_db_col_text(st, 10 + i);
	crm_log_content_key(&c, out);
}

/*
 * The survivor's interactions: each of b's moves to s.  One without a ref
 * gets the content key it would have had under s, so that importing it
 * again adds nothing; if s already has one with that content, it keeps its
 * old key (both stay, as they were before).
 */
static int
move_interactions(struct crm_db *db, int64_t s, int64_t b,
    struct crm_error *err)
{
	struct crm_stmt *st, *up;
	unsigned char key[16];
	int64_t *ids = NULL;
	unsigned char (*keys)[16] = NULL;
	char *isnull = NULL;
	size_t n = 0, a = 0, i;
	void *p;
	int rc, ret = -1;

	if ((st = crm_db_stmt(db, "SELECT id, at, channel, kind, direction,"
	    " amount, currency, quantity, status, closed_at, product, category,"
	    " subject, note, campaign, ref IS NULL FROM interactions"
	    " WHERE contact_id = ?1 ORDER BY id", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, b, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		if (n == a) {
			size_t na = a ? 2 * a : 64;

			if ((p = reallocarray(ids, na, sizeof(*ids))) == NULL)
				goto nomem;
			ids = p;
			if ((p = reallocarray(keys, na, sizeof(*keys))) == NULL)
				goto nomem;
			keys = p;
			if ((p = realloc(isnull, na)) == NULL)
				goto nomem;
			isnull = p;
			a = na;
		}
		ids[n] = crm_db_col_int(st, 0);
		isnull[n] = (char)crm_db_col_int(st, 15);
		content_key(s, st, keys[n]);
		n++;
	}
	if (rc < 0)
		goto done;
	for (i = 0; i < n; i++) {
		rc = 0;
		if (isnull[i]) {
			if ((st = crm_db_stmt(db, "SELECT 1 FROM interactions"
			    " WHERE chash = ?1 AND ref IS NULL", err)) == NULL ||
			    crm_db_bind_blob(db, st, 1, keys[i], 16,
			    err) < 0 ||
			    (rc = crm_db_step(db, st, err)) < 0)
				goto done;
			crm_db_reset(st);
		}
		memcpy(key, keys[i], 16);
		if ((up = crm_db_stmt(db, isnull[i] && rc == 0 ?
		    "UPDATE interactions SET contact_id = ?1, chash = ?3"
		    " WHERE id = ?2" : "UPDATE interactions SET contact_id = ?1"
		    " WHERE id = ?2", err)) == NULL ||
		    crm_db_bind_int(db, up, 1, s, err) < 0 ||
		    crm_db_bind_int(db, up, 2, ids[i], err) < 0 ||
		    (isnull[i] && rc == 0 && crm_db_bind_blob(db, up, 3, key,
		    16, err) < 0) || crm_db_step(db, up, err) < 0)
			goto done;
	}
	ret = 0;
	goto done;
nomem:
	crm_db_reset(st);
	crm_error_set(err, CRM_EFAIL, "out of memory");
done:
	free(ids);
	free(keys);
	free(isnull);
	return ret;
}

/* Run SQL with ?1 = s and ?2 = b. */
static int
exec2(struct crm_db *db, const char *sql, int64_t s, int64_t b,
    struct crm_error *err)
{
	struct crm_stmt *st;

	if ((st = crm_db_stmt(db, sql, err)) == NULL ||
	    crm_db_bind_int(db, st, 1, s, err) < 0 ||
	    crm_db_bind_int(db, st, 2, b, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	return 0;
}

/* Write s's values and consent; append events for changed consent. */
static int
write_survivor(struct crm_db *db, const struct crow *old,
    const struct crow *s, int64_t now, const char *source,
    struct crm_buf *changed, struct crm_error *err)
{
	struct crm_stmt *st;
	int i, any = 0;

	crm_buf_reset(changed);
	for (i = 0; i < NTEXT; i++) {
		if ((old->t[i] == NULL) == (s->t[i] == NULL) &&
		    (s->t[i] == NULL || strcmp(old->t[i], s->t[i]) == 0))
			continue;
		any = 1;
		if (i != C_NAME_KEY && ((changed->len && crm_buf_addc(changed,
		    ',', err) < 0) || crm_buf_adds(changed, ctext[i], err) < 0))
			return -1;
	}
	for (i = 0; i < NCONS; i++) {
		if (old->c[i] == s->c[i])
			continue;
		any = 1;
		if ((changed->len && crm_buf_addc(changed, ',', err) < 0) ||
		    crm_buf_adds(changed, ccons[i], err) < 0)
			return -1;
		/* Consent changes are logged; NULL is never the new value. */
		if ((st = crm_db_stmt(db, "INSERT INTO consent_events"
		    " (contact_id, at, channel, granted, source) VALUES"
		    " (?1, ?2, ?3, ?4, ?5)", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, s->id, err) < 0 ||
		    crm_db_bind_int(db, st, 2, now, err) < 0 ||
		    crm_db_bind_text(db, st, 3, cchannel[i], err) < 0 ||
		    crm_db_bind_int(db, st, 4, i == K_DNC ? !s->c[i] : s->c[i],
		    err) < 0 || crm_db_bind_text(db, st, 5, source, err) < 0 ||
		    crm_db_step(db, st, err) < 0)
			return -1;
	}
	if (!any && old->created == s->created)
		return 0;
	if ((st = crm_db_stmt(db, "UPDATE contacts SET first_name = ?2,"
	    " last_name = ?3, name_key = ?4, email = ?5, phone = ?6,"
	    " company = ?7, street = ?8, city = ?9, postcode = ?10,"
	    " country = ?11, birth_date = ?12, stage = coalesce(?13, stage),"
	    " owner = ?14, attrs = ?15, email_opt_in = ?16, phone_opt_in = ?17,"
	    " sms_opt_in = ?18, mail_opt_in = ?19, do_not_contact = ?20,"
	    " created_at = ?21, updated_at = ?22 WHERE id = ?1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, s->id, err) < 0)
		return -1;
	for (i = C_FIRST; i < NTEXT; i++)
		if (crm_db_bind_text(db, st, 1 + i, s->t[i], err) < 0)
			return -1;
	for (i = 0; i < NCONS; i++)
		if ((s->c[i] < 0 ? crm_db_bind_null(db, st, 16 + i, err) :
		    crm_db_bind_int(db, st, 16 + i, s->c[i], err)) < 0)
			return -1;
	if (crm_db_bind_int(db, st, 21, s->created, err) < 0 ||
	    crm_db_bind_int(db, st, 22, any ? now : old->updated, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	return 0;
}

/*
 * Merge b into s (both survivors, s already holding the merged values of
 * the records before b): log the merge with both rows as they are, move
 * what b has, mark b merged, write s.
 */
static int
merge_one(struct crm_db *db, struct crow *s, const struct crow *b,
    int64_t now, struct crm_out *o, struct crm_merge_stats *stats,
    struct crm_error *err)
{
	struct crm_buf changed = CRM_BUF_INIT(1024);
	struct crow old;
	struct crm_stmt *st;
	const char *vals[4];
	char mid[24], sid[24], bid[24];
	int64_t merge_id;
	int i, rc = -1;

	memset(&old, 0, sizeof(old));
	for (i = 0; i < NTEXT; i++)
		if (s->t[i] != NULL && (old.t[i] = strdup(s->t[i])) == NULL) {
			crm_error_set(err, CRM_EFAIL, "out of memory");
			goto done;
		}
	memcpy(old.c, s->c, sizeof(old.c));
	old.created = s->created;
	old.updated = s->updated;
	old.id = s->id;
	if ((st = crm_db_stmt(db, "INSERT INTO merges (at, survivor_id,"
	    " merged_id, score, before) VALUES (?3, ?1, ?2, ?4, json_object("
	    " 'survivor', (SELECT json(" CONTACT_JSON ") FROM contacts"
	    "  WHERE id = ?1),"
	    " 'merged', (SELECT json(" CONTACT_JSON ") FROM contacts"
	    "  WHERE id = ?2),"
	    " 'interactions', (SELECT json_group_array(json_array(id,"
	    "  hex(chash))) FROM interactions WHERE contact_id = ?2),"
	    " 'segments', (SELECT json_group_array(json_array(m.segment_id,"
	    "  EXISTS (SELECT 1 FROM segment_members k WHERE k.segment_id ="
	    "  m.segment_id AND k.contact_id = ?1))) FROM segment_members m"
	    "  WHERE m.contact_id = ?2),"
	    " 'campaigns', (SELECT json_group_array(json_object('campaign_id',"
	    "  m.campaign_id, 'grp', m.grp, 'reason', m.reason, 'sent_at',"
	    "  m.sent_at, 'kept', EXISTS (SELECT 1 FROM campaign_members k"
	    "  WHERE k.campaign_id = m.campaign_id AND k.contact_id = ?1)))"
	    "  FROM campaign_members m WHERE m.contact_id = ?2),"
	    " 'score', EXISTS (SELECT 1 FROM scores WHERE contact_id = ?2)"
	    "  AND NOT EXISTS (SELECT 1 FROM scores WHERE contact_id = ?1),"
	    " 'consent_seq', (SELECT coalesce(max(id), 0) FROM"
	    "  consent_events)))",
	    err)) == NULL || crm_db_bind_int(db, st, 1, s->id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, b->id, err) < 0 ||
	    crm_db_bind_int(db, st, 3, now, err) < 0 ||
	    (isnan(b->score) ? crm_db_bind_null(db, st, 4, err) :
	    crm_db_bind_double(db, st, 4, b->score, err)) < 0 ||
	    crm_db_step(db, st, err) < 0)
		goto done;
	merge_id = crm_db_last_id(db);
	if (move_interactions(db, s->id, b->id, err) < 0 ||
	    crm_mergeref_move(db, merge_id, s->id, b->id, err) < 0 ||
	    exec2(db, "DELETE FROM segment_members WHERE contact_id = ?2 AND"
	    " segment_id IN (SELECT segment_id FROM segment_members"
	    " WHERE contact_id = ?1)", s->id, b->id, err) < 0 ||
	    exec2(db, "UPDATE segment_members SET contact_id = ?1"
	    " WHERE contact_id = ?2", s->id, b->id, err) < 0 ||
	    exec2(db, "DELETE FROM campaign_members WHERE contact_id = ?2 AND"
	    " campaign_id IN (SELECT campaign_id FROM campaign_members"
	    " WHERE contact_id = ?1)", s->id, b->id, err) < 0 ||
	    exec2(db, "UPDATE campaign_members SET contact_id = ?1"
	    " WHERE contact_id = ?2", s->id, b->id, err) < 0 ||
	    exec2(db, "UPDATE scores SET contact_id = ?1 WHERE contact_id = ?2"
	    " AND NOT EXISTS (SELECT 1 FROM scores WHERE contact_id = ?1)",
	    s->id, b->id, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE contacts SET merged_into = ?1,"
	    " updated_at = ?3 WHERE id = ?2", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, s->id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, b->id, err) < 0 ||
	    crm_db_bind_int(db, st, 3, now, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		goto done;
	if (survive(db, s, b, err) < 0 ||
	    write_survivor(db, &old, s, now, "crm-dedupe merge", &changed,
	    err) < 0)
		goto done;
	if (changed.len)
		s->updated = now;
	snprintf(mid, sizeof(mid), "%lld", (long long)merge_id);
	snprintf(sid, sizeof(sid), "%lld", (long long)s->id);
	snprintf(bid, sizeof(bid), "%lld", (long long)b->id);
	vals[0] = mid;
	vals[1] = sid;
	vals[2] = bid;
	vals[3] = changed.len ? changed.s : NULL;
	if (crm_out_row(o, vals, err) < 0)
		goto done;
	stats->merged++;
	rc = 0;
done:
	crow_release(&old);
	crm_buf_release(&changed);
	return rc;
}

int
crm_merge_rule_parse(const char *s, enum crm_merge_rule *rule,
    struct crm_error *err)
{
	if (strcmp(s, "recent") == 0)
		*rule = CRM_MERGE_RECENT;
	else if (strcmp(s, "complete") == 0)
		*rule = CRM_MERGE_COMPLETE;
	else if (strcmp(s, "source") == 0)
		*rule = CRM_MERGE_SOURCE;
	else
		return crm_error_set(err, CRM_EUSAGE, "--rule: '%s' is not"
		    " recent, complete or source", s);
	return 0;
}

/* An input link: two contacts (input ids), a score. */
struct link {
	int64_t a, b;
	double score;
};

/* A contact id as written in merge input: "17" or "#17". */
static int
parse_id(const char *s, int64_t *id)
{
	char *end;
	long long v;

	s = crm_trim(s, &(size_t){ 0 });
	if (*s == '#')
		s++;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	if (errno || *end || v <= 0)
		return -1;
	*id = v;
	return 0;
}

/* The survivor a contact stands for, refusing erased ones. */
static int
root_of(struct crm_db *db, int64_t id, int64_t *root, struct crm_error *err)
{
	struct crm_stmt *st;
	int hops, rc;

	for (hops = 0; hops < 64; hops++) {
		if ((st = crm_db_stmt(db, "SELECT merged_into, erased_at FROM"
		    " contacts WHERE id = ?1", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, id, err) < 0 ||
		    (rc = crm_db_step(db, st, err)) < 0)
			return -1;
		if (rc == 0)
			return crm_error_set(err, CRM_EDATA, "no contact %lld",
			    (long long)id);
		if (!crm_db_col_isnull(st, 1)) {
			crm_db_reset(st);
			return crm_error_set(err, CRM_EDATA, "contact %lld was"
			    " erased", (long long)id);
		}
		if (crm_db_col_isnull(st, 0)) {
			crm_db_reset(st);
			*root = id;
			return 0;
		}
		id = crm_db_col_int(st, 0);
		crm_db_reset(st);
	}
	return crm_error_set(err, CRM_EFAIL, "contact %lld: merge chain too"
	    " long", (long long)id);
}

static int
cmp_link(const void *p, const void *q)
{
	const struct link *x = p, *y = q;

	if (x->a != y->a)
		return x->a < y->a ? -1 : 1;
	return (x->b > y->b) - (x->b < y->b);
}

/* A group member: its root, its union-find parent, its best score. */
struct member {
	int64_t id;
	size_t up;
	double score;
};

static int
cmp_member(const void *p, const void *q)
{
	const struct member *x = p, *y = q;

	return (x->id > y->id) - (x->id < y->id);
}

/* By group (id), then member (up). */
static int
cmp_group(const void *p, const void *q)
{
	const struct member *x = p, *y = q;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return (x->up > y->up) - (x->up < y->up);
}

static size_t
member_find(struct member *m, size_t x)
{
	while (m[x].up != x) {
		m[x].up = m[m[x].up].up;
		x = m[x].up;
	}
	return x;
}

static size_t
member_at(struct member *m, size_t n, int64_t id)
{
	struct member key, *hit;

	key.id = id;
	hit = bsearch(&key, m, n, sizeof(*m), cmp_member);
	return (size_t)(hit - m);
}

/* A row of cluster input. */
struct crow_in {
	char *cl;
	int64_t id;
	double score;
	size_t line;
};

static int
cmp_crow_in(const void *p, const void *q)
{
	const struct crow_in *x = p, *y = q;
	int c = strcmp(x->cl, y->cl);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/*
 * Read the links: pairs as they are; clusters as each member linked to
 * the member before it in the same cluster.
 */
static int
read_links(struct crm_csv *r, struct link **out, size_t *nout,
    struct crm_merge_stats *stats, struct crm_error *err)
{
	static const struct crm_csv_col cols[6] = {
		{ "id_a", "contact_a" }, { "id_b", "contact_b" },
		{ "cluster_id", "cluster" }, { "id", "contact_id" },
		{ "match", "merge|decision|duplicate" }, { "score", NULL },
	};
	struct crow_in *rows = NULL;
	struct link *l = NULL;
	size_t n = 0, a = 0, i, j;
	char q[CRM_QUOTE_MAX], *end;
	void *p;
	int idx[6], rc, yes, pairs, ret = -1;
	double score;
	int64_t x, y;

	if (crm_csv_header(r, cols, 6, idx, err) < 0)
		return -1;
	pairs = idx[0] >= 0 && idx[1] >= 0;
	if (!pairs && (idx[2] < 0 || idx[3] < 0))
		return crm_error_set(err, CRM_EDATA, "%s: need columns id_a and"
		    " id_b (pairs) or cluster_id and id (clusters)",
		    crm_csv_name(r));
	while ((rc = crm_csv_next(r, err)) == 1) {
		const char *v;

		stats->read++;
		if (idx[4] >= 0 && !crm_blank(v = crm_csv_field(r, idx[4]))) {
			if (crm_norm_bool(v, &yes, err) < 0)
				return crm_error_prefix(err, "%s:%ld",
				    crm_csv_name(r), crm_csv_line(r));
			if (!yes) {
				stats->skipped++;
				continue;
			}
		}
		score = NAN;
		if (idx[5] >= 0 && !crm_blank(v = crm_csv_field(r, idx[5]))) {
			score = strtod(v, &end);
			if (*end || !isfinite(score))
				score = NAN;
		}
		for (i = 0; i < 2; i++) {
			v = crm_csv_field(r, idx[pairs ? (int)i : 3]);
			if (parse_id(v, i ? &y : &x) < 0) {
				crm_error_set(err, CRM_EDATA, "%s:%ld: bad contact"
				    " id '%s'", crm_csv_name(r), crm_csv_line(r),
				    crm_quote(q, v, strlen(v)));
				goto done;
			}
			if (!pairs)
				break;
		}
		if (n == a) {
			a = a ? 2 * a : 64;
			if ((p = reallocarray(rows, a, sizeof(*rows))) == NULL ||
			    (rows = p, (p = reallocarray(l, a,
			    sizeof(*l))) == NULL))
				goto nomem;
			l = p;
		}
		rows[n].cl = NULL;
		rows[n].id = x;
		rows[n].score = score;
		rows[n].line = n;
		if (pairs) {
			l[n].a = x;
			l[n].b = y;
			l[n].score = score;
		} else if ((rows[n].cl = strdup(crm_csv_field(r, idx[2]))) ==
		    NULL)
			goto nomem;
		n++;
	}
	if (rc < 0)
		goto done;
	*nout = n;
	if (!pairs && n > 0) {
		qsort(rows, n, sizeof(*rows), cmp_crow_in);
		for (i = 1, j = 0; i < n; i++) {
			if (strcmp(rows[i - 1].cl, rows[i].cl) != 0)
				continue;
			l[j].a = rows[i - 1].id;
			l[j].b = rows[i].id;
			l[j++].score = rows[i].score;
		}
		*nout = j;
	}
	*out = l;
	l = NULL;
	ret = 0;
	goto done;
nomem:
	crm_error_set(err, CRM_EFAIL, "out of memory");
done:
	for (i = 0; i < n; i++)
		free(rows[i].cl);
	free(rows);
	free(l);
	return ret;
}

int
crm_merge_header(struct crm_out *o, struct crm_error *err)
{
	static const char *const names[4] = { "merge_id", "survivor_id",
	    "merged_id", "changed" };
	static const enum crm_coltype types[4] = { CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM, CRM_COL_TEXT };

	return crm_out_header(o, names, types, 4, err);
}

int
crm_merge_run(struct crm_db *db, struct crm_csv *r,
    const struct crm_merge_opts *opts, struct crm_out *o,
    struct crm_merge_stats *stats, struct crm_error *err)
{
	struct link *l = NULL;
	struct member *m = NULL, *order = NULL;
	struct crow *g = NULL;
	enum crm_merge_rule rule;
	size_t nl = 0, nm = 0, i, j, k, ng;
	int64_t now = crm_now();
	int rc = -1;

	if (read_links(r, &l, &nl, stats, err) < 0)
		goto done;
	/* Every contact as its survivor now; links between survivors. */
	for (i = 0; i < nl; i++)
		if (root_of(db, l[i].a, &l[i].a, err) < 0 ||
		    root_of(db, l[i].b, &l[i].b, err) < 0) {
			crm_error_prefix(err, "%s", crm_csv_name(r));
			goto done;
		}
	if ((m = calloc(2 * nl + 1, sizeof(*m))) == NULL ||
	    (g = calloc(2 * nl + 1, sizeof(*g))) == NULL)
		goto nomem;
	for (i = 0; i < nl; i++) {
		m[nm++].id = l[i].a;
		m[nm++].id = l[i].b;
	}
	qsort(m, nm, sizeof(*m), cmp_member);
	for (i = j = 0; i < nm; i++)
		if (j == 0 || m[i].id != m[j - 1].id)
			m[j++] = m[i];
	nm = j;
	for (i = 0; i < nm; i++) {
		m[i].up = i;
		m[i].score = NAN;
	}
	qsort(l, nl, sizeof(*l), cmp_link);
	for (i = 0; i < nl; i++) {
		size_t x = member_find(m, member_at(m, nm, l[i].a));
		size_t y = member_find(m, member_at(m, nm, l[i].b));

		if (l[i].a == l[i].b) {
			stats->skipped++;
			continue;
		}
		if (x != y)
			m[x > y ? x : y].up = x < y ? x : y;
		for (k = 0; k < 2; k++) {
			size_t at = member_at(m, nm, k ? l[i].b : l[i].a);

			if (!isnan(l[i].score) && (isnan(m[at].score) ||
			    l[i].score > m[at].score))
				m[at].score = l[i].score;
		}
	}
	/*
	 * Each group, in order of its lowest contact id: the members sorted
	 * by group (a group's number is its lowest member's index).
	 */
	if ((order = calloc(nm + 1, sizeof(*order))) == NULL)
		goto nomem;
	for (i = 0; i < nm; i++) {
		order[i].id = (int64_t)member_find(m, i);
		order[i].up = i;
	}
	qsort(order, nm, sizeof(*order), cmp_group);
	for (i = 0; i < nm; i = k) {
		for (k = i; k < nm && order[k].id == order[i].id; k++)
			;
		if (k - i < 2)
			continue;
		for (ng = 0, j = i; j < k; j++) {
			if (crow_load(db, m[order[j].up].id, &g[ng], opts,
			    err) < 0) {
				while (ng > 0)
					crow_release(&g[--ng]);
				goto done;
			}
			g[ng++].score = m[order[j].up].score;
		}
		stats->groups++;
		rule = opts->rule;
		qsort_r(g, ng, sizeof(*g), cmp_crow, &rule);
		for (j = 1; j < ng; j++)
			if (merge_one(db, &g[0], &g[j], now, o, stats,
			    err) < 0)
				break;
		while (ng > 0)
			crow_release(&g[--ng]);
		if (j < k - i)
			goto done;
	}
	rc = 0;
	goto done;
nomem:
	crm_error_set(err, CRM_EFAIL, "out of memory");
done:
	free(l);
	free(m);
	free(order);
	free(g);
	return rc;
}

/* A merge in force, and whether it is to be undone. */
struct undo {
	int64_t id, survivor, merged;
	int chosen;
};

/* A contact and a merge that involves it. */
struct involve {
	int64_t contact;
	size_t merge;		/* index into the merges in force */
};

static int
cmp_involve(const void *p, const void *q)
{
	const struct involve *x = p, *y = q;

	if (x->contact != y->contact)
		return x->contact < y->contact ? -1 : 1;
	return (x->merge > y->merge) - (x->merge < y->merge);
}

/* Every merge in force, newest first. */
static int
load_undo(struct crm_db *db, struct undo **u, size_t *n,
    struct crm_error *err)
{
	struct crm_stmt *st;
	size_t a = 0;
	void *p;
	int rc;

	*u = NULL;
	*n = 0;
	if ((st = crm_db_stmt(db, "SELECT id, survivor_id, merged_id FROM"
	    " merges WHERE undone_at IS NULL ORDER BY id DESC", err)) == NULL)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		if ((p = grow(*u, &a, *n + 1, sizeof(**u))) == NULL) {
			crm_db_reset(st);
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		}
		*u = p;
		(*u)[*n].id = crm_db_col_int(st, 0);
		(*u)[*n].survivor = crm_db_col_int(st, 1);
		(*u)[*n].merged = crm_db_col_int(st, 2);
		(*u)[*n].chosen = 0;
		(*n)++;
	}
	return rc < 0 ? -1 : 0;
}

/*
 * Choose the merges key asks to undo (see crm_merge_undo()): by is every
 * merge in force twice, by merged contact (as_merged) and by survivor.
 */
static int
undo_key(struct crm_db *db, const char *key, struct undo *u,
    const struct involve *by, size_t nby, struct crm_error *err)
{
	const struct involve *hit;
	int64_t id;
	size_t lo = 0, hi = nby, mid;
	int pass, found = 0;

	if (parse_id(key, &id) < 0 && crm_contact_resolve(db, key, NULL, &id,
	    err) < 0)
		return -1;
	/* The first entry of contact id. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (by[mid].contact < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* A merged-away contact: its merge; else: the merges into it. */
	for (pass = 0; pass < 2 && !found; pass++) {
		for (hit = by + lo; hit < by + nby && hit->contact == id;
		    hit++) {
			const struct undo *m = &u[hit->merge];

			if ((pass == 0 && m->merged == id) ||
			    (pass == 1 && m->survivor == id)) {
				u[hit->merge].chosen = 1;
				found = 1;
			}
		}
	}
	if (!found)
		return crm_error_set(err, CRM_EDATA, "contact %lld: no merge to"
		    " undo", (long long)id);
	return 0;
}

/*
 * 1 if contact s withdrew consent on channel k (or was marked
 * do-not-contact) after merge u, by an event other than crm-dedupe's own:
 * the events appended since, whose ids are above the merge's consent_seq.
 */
static int
kept_optout(struct crm_db *db, int64_t s, int k, int64_t merge,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int rc;

	if ((st = crm_db_stmt(db, "SELECT granted FROM consent_events"
	    " WHERE contact_id = ?1 AND channel = ?2 AND id > (SELECT"
	    " json_extract(before, '$.consent_seq') FROM merges WHERE id = ?3)"
	    " AND (source IS NULL OR source NOT LIKE 'crm-dedupe %')"
	    " ORDER BY id DESC LIMIT 1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, s, err) < 0 ||
	    crm_db_bind_text(db, st, 2, cchannel[k], err) < 0 ||
	    crm_db_bind_int(db, st, 3, merge, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 0)
		return 0;
	rc = crm_db_col_int(st, 0) == 0;
	crm_db_reset(st);
	return rc;
}

static int
unhex(const char *h, unsigned char *out, size_t n)
{
	size_t i;
	int k, v;

	if (h == NULL || strlen(h) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		for (v = 0, k = 0; k < 2; k++) {
			char c = h[2 * i + (size_t)k];

			v = v * 16 + (c >= '0' && c <= '9' ? c - '0' :
			    c >= 'A' && c <= 'F' ? c - 'A' + 10 :
			    c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1000);
		}
		if (v < 0)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* Undo merge u: see crm_merge_undo(). */
static int
undo_one(struct crm_db *db, const struct undo *u, int64_t now,
    struct crm_error *err)
{
	struct crow cur, back;
	struct crm_stmt *st, *up;
	unsigned char key[16];
	int rc, k, ret = -1;

	memset(&cur, 0, sizeof(cur));
	memset(&back, 0, sizeof(back));
	if (crow_load(db, u->survivor, &cur, NULL, err) < 0)
		return -1;
	/* What moved goes back. */
	if (crm_mergeref_undo(db, u->id, u->merged, err) < 0)
		goto done;
	if ((st = crm_db_stmt(db, "SELECT json_extract(j.value, '$[0]'),"
	    " json_extract(j.value, '$[1]') FROM merges m,"
	    " json_each(m.before, '$.interactions') j WHERE m.id = ?1",
	    err)) == NULL || crm_db_bind_int(db, st, 1, u->id, err) < 0)
		goto done;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		if (unhex(crm_db_col_text(st, 1), key, 16) < 0) {
			crm_db_reset(st);
			crm_error_set(err, CRM_EFAIL, "merge %lld: bad"
			    " before-image", (long long)u->id);
			goto done;
		}
		if ((up = crm_db_stmt(db, "UPDATE interactions SET"
		    " contact_id = ?1, chash = ?3 WHERE id = ?2 AND"
		    " contact_id = ?4", err)) == NULL ||
		    crm_db_bind_int(db, up, 1, u->merged, err) < 0 ||
		    crm_db_bind_int(db, up, 2, crm_db_col_int(st, 0),
		    err) < 0 || crm_db_bind_blob(db, up, 3, key, 16,
		    err) < 0 ||
		    crm_db_bind_int(db, up, 4, u->survivor, err) < 0 ||
		    crm_db_step(db, up, err) < 0) {
			crm_db_reset(st);
			goto done;
		}
	}
	if (rc < 0)
		goto done;
	if ((st = crm_db_stmt(db, "SELECT json_extract(j.value, '$[0]'),"
	    " json_extract(j.value, '$[1]') FROM merges m,"
	    " json_each(m.before, '$.segments') j WHERE m.id = ?1",
	    err)) == NULL || crm_db_bind_int(db, st, 1, u->id, err) < 0)
		goto done;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		int kept = crm_db_col_int(st, 1);

		if ((up = crm_db_stmt(db, kept ? "INSERT OR IGNORE INTO"
		    " segment_members (segment_id, contact_id)"
		    " SELECT ?1, ?2 WHERE EXISTS (SELECT 1 FROM segments"
		    " WHERE id = ?1) AND ?3 IS NOT NULL" :
		    "UPDATE segment_members SET contact_id = ?2"
		    " WHERE segment_id = ?1 AND contact_id = ?3", err)) == NULL ||
		    crm_db_bind_int(db, up, 1, crm_db_col_int(st, 0),
		    err) < 0 || crm_db_bind_int(db, up, 2, u->merged, err) < 0 ||
		    crm_db_bind_int(db, up, 3, u->survivor, err) < 0 ||
		    crm_db_step(db, up, err) < 0) {
			crm_db_reset(st);
			goto done;
		}
	}
	if (rc < 0)
		goto done;
	if ((st = crm_db_stmt(db, "SELECT j.value FROM merges m,"
	    " json_each(m.before, '$.campaigns') j WHERE m.id = ?1",
	    err)) == NULL || crm_db_bind_int(db, st, 1, u->id, err) < 0)
		goto done;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		if ((up = crm_db_stmt(db, "INSERT INTO campaign_members"
		    " (campaign_id, contact_id, grp, reason, sent_at)"
		    " SELECT json_extract(?1, '$.campaign_id'), ?2,"
		    " json_extract(?1, '$.grp'), json_extract(?1, '$.reason'),"
		    " json_extract(?1, '$.sent_at')"
		    " WHERE json_extract(?1, '$.kept') AND EXISTS (SELECT 1 FROM"
		    " campaigns WHERE id = json_extract(?1, '$.campaign_id'))"
		    " ON CONFLICT DO NOTHING", err)) == NULL ||
		    crm_db_bind_text(db, up, 1, crm_db_col_text(st, 0),
		    err) < 0 || crm_db_bind_int(db, up, 2, u->merged, err) < 0 ||
		    crm_db_step(db, up, err) < 0 ||
		    (up = crm_db_stmt(db, "UPDATE campaign_members SET"
		    " contact_id = ?2 WHERE campaign_id = json_extract(?1,"
		    " '$.campaign_id') AND contact_id = ?3 AND NOT"
		    " json_extract(?1, '$.kept')", err)) == NULL ||
		    crm_db_bind_text(db, up, 1, crm_db_col_text(st, 0),
		    err) < 0 || crm_db_bind_int(db, up, 2, u->merged, err) < 0 ||
		    crm_db_bind_int(db, up, 3, u->survivor, err) < 0 ||
		    crm_db_step(db, up, err) < 0) {
			crm_db_reset(st);
			goto done;
		}
	}
	if (rc < 0)
		goto done;
	/* The two rows as they were. */
	if ((st = crm_db_stmt(db, "SELECT json_extract(before, '$.score'),"
	    " json_extract(before, '$.survivor'), json_extract(before,"
	    " '$.merged') FROM merges WHERE id = ?1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, u->id, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		goto done;
	if (rc == 0 || crm_db_col_text(st, 1) == NULL ||
	    crm_db_col_text(st, 2) == NULL) {
		crm_db_reset(st);
		crm_error_set(err, CRM_EFAIL, "merge %lld: bad before-image",
		    (long long)u->id);
		goto done;
	}
	if ((crm_db_col_int(st, 0) && exec2(db, "UPDATE scores SET"
	    " contact_id = ?2 WHERE contact_id = ?1", u->survivor, u->merged,
	    err) < 0) ||
	    (up = crm_db_stmt(db, sql_restore, err)) == NULL ||
	    crm_db_bind_text(db, up, 1, crm_db_col_text(st, 2), err) < 0 ||
	    crm_db_bind_int(db, up, 2, u->merged, err) < 0 ||
	    crm_db_step(db, up, err) < 0 ||
	    crm_db_bind_text(db, up, 1, crm_db_col_text(st, 1), err) < 0 ||
	    crm_db_bind_int(db, up, 2, u->survivor, err) < 0 ||
	    crm_db_step(db, up, err) < 0) {
		crm_db_reset(st);
		goto done;
	}
	crm_db_reset(st);
	/* Consent: an opt-out given since the merge stands. */
	if (crow_load(db, u->survivor, &back, NULL, err) < 0)
		goto done;
	for (k = 0; k < NCONS; k++) {
		int v = back.c[k];

		if (cur.c[k] == (k == K_DNC) && v != cur.c[k]) {
			if ((rc = kept_optout(db, u->survivor, k, u->id,
			    err)) < 0)
				goto done;
			if (rc)
				v = cur.c[k];
		}
		if (v == back.c[k])
			continue;
		if ((up = crm_db_stmt(db, k == K_DNC ? "UPDATE contacts SET"
		    " do_not_contact = ?2 WHERE id = ?1" : k == K_EMAIL ?
		    "UPDATE contacts SET email_opt_in = ?2 WHERE id = ?1" :
		    k == K_PHONE ? "UPDATE contacts SET phone_opt_in = ?2"
		    " WHERE id = ?1" : k == K_SMS ? "UPDATE contacts SET"
		    " sms_opt_in = ?2 WHERE id = ?1" : "UPDATE contacts SET"
		    " mail_opt_in = ?2 WHERE id = ?1", err)) == NULL ||
		    crm_db_bind_int(db, up, 1, u->survivor, err) < 0 ||
		    crm_db_bind_int(db, up, 2, v, err) < 0 ||
		    crm_db_step(db, up, err) < 0)
			goto done;
		back.c[k] = v;
	}
	for (k = 0; k < NCONS; k++) {
		if (back.c[k] == cur.c[k] || back.c[k] < 0)
			continue;
		if ((up = crm_db_stmt(db, "INSERT INTO consent_events"
		    " (contact_id, at, channel, granted, source) VALUES"
		    " (?1, ?2, ?3, ?4, 'crm-dedupe unmerge')", err)) == NULL ||
		    crm_db_bind_int(db, up, 1, u->survivor, err) < 0 ||
		    crm_db_bind_int(db, up, 2, now, err) < 0 ||
		    crm_db_bind_text(db, up, 3, cchannel[k], err) < 0 ||
		    crm_db_bind_int(db, up, 4, k == K_DNC ? !back.c[k] :
		    back.c[k], err) < 0 || crm_db_step(db, up, err) < 0)
			goto done;
	}
	if ((up = crm_db_stmt(db, "UPDATE merges SET undone_at = ?2"
	    " WHERE id = ?1", err)) == NULL ||
	    crm_db_bind_int(db, up, 1, u->id, err) < 0 ||
	    crm_db_bind_int(db, up, 2, now, err) < 0 ||
	    crm_db_step(db, up, err) < 0)
		goto done;
	ret = 0;
done:
	crow_release(&cur);
	crow_release(&back);
	return ret;
}

int
crm_merge_undo(struct crm_db *db, char *const *keys, int nkeys,
    struct crm_out *o, struct crm_merge_stats *stats, struct crm_error *err)
{
	static const char *const names[3] = { "merge_id", "survivor_id",
	    "merged_id" };
	static const enum crm_coltype types[3] = { CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_NUM };
	struct undo *u = NULL;
	struct involve *by = NULL;
	const char *vals[3];
	char a[24], b[24], c[24];
	size_t n, i, j, nby;
	int64_t now = crm_now(), *later = NULL;
	int ret = -1;

	if (crm_out_header(o, names, types, 3, err) < 0 ||
	    load_undo(db, &u, &n, err) < 0)
		goto done;
	if ((by = calloc(2 * n + 1, sizeof(*by))) == NULL ||
	    (later = calloc(n + 1, sizeof(*later))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		by[2 * i].contact = u[i].survivor;
		by[2 * i].merge = i;
		by[2 * i + 1].contact = u[i].merged;
		by[2 * i + 1].merge = i;
	}
	nby = 2 * n;
	qsort(by, nby, sizeof(*by), cmp_involve);
	for (i = 0; i < (size_t)nkeys; i++)
		if (undo_key(db, keys[i], u, by, nby, err) < 0)
			goto done;
	/*
	 * A later merge still in force must be undone first: for each
	 * merge, the newest merge not chosen that involves either contact
	 * (u is newest first, so by lists each contact's merges that way).
	 */
	for (i = 0; i < n; i++)
		later[i] = -1;
	for (i = 0; i < nby; i = j) {
		int64_t newest = -1;

		for (j = i; j < nby && by[j].contact == by[i].contact; j++) {
			size_t m = by[j].merge;

			if (u[m].chosen && newest >= 0 &&
			    (later[m] < 0 || u[newest].id > u[later[m]].id))
				later[m] = newest;
			if (!u[m].chosen && newest < 0)
				newest = (int64_t)m;
		}
	}
	for (i = n; i-- > 0;) {
		const struct undo *x;

		if (!u[i].chosen || later[i] < 0)
			continue;
		x = &u[later[i]];
		crm_error_set(err, CRM_EDATA, "merge %lld (contact %lld into"
		    " %lld) came after merge %lld (contact %lld into %lld):"
		    " unmerge %lld first", (long long)x->id,
		    (long long)x->merged, (long long)x->survivor,
		    (long long)u[i].id, (long long)u[i].merged,
		    (long long)u[i].survivor, (long long)x->merged);
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (!u[i].chosen)
			continue;
		if (undo_one(db, &u[i], now, err) < 0)
			goto done;
		snprintf(a, sizeof(a), "%lld", (long long)u[i].id);
		snprintf(b, sizeof(b), "%lld", (long long)u[i].survivor);
		snprintf(c, sizeof(c), "%lld", (long long)u[i].merged);
		vals[0] = a;
		vals[1] = b;
		vals[2] = c;
		if (crm_out_row(o, vals, err) < 0)
			goto done;
		stats->undone++;
	}
	ret = 0;
	goto done;
nomem:
	crm_error_set(err, CRM_EFAIL, "out of memory");
done:
	free(u);
	free(by);
	free(later);
	return ret;
}
