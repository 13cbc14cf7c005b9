/*
 * dedupe-load.c - the record set: records from the database or a file,
 * each value normalised and folded for comparing (see dedupe.h, step 1).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dedupe-int.h"
#include "match.h"
#include "norm.h"

const char *const dedupe_fname[NF] = {
	"first_name", "last_name", "email", "phone", "birth_date", "street",
	"city", "postcode", "company", "national_id",
};

const char crm_dedupe_fields[] = "first_name,last_name,email,phone,"
    "birth_date,street,city,postcode,company,national_id";

const int dedupe_sorted_slot[NF] = {
	[F_STREET] = NF, [F_CITY] = NF + 1, [F_COMPANY] = NF + 2,
};

void *
dedupe_grow(void *p, size_t *alloc, size_t need, size_t size)
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

void
dedupe_progress(struct crm_dedupe *d, int64_t n, const char *what)
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
	dedupe_patset_release(&d->pats);
	free(d->pwh);
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

	if ((p = dedupe_grow(d->rec, &d->arec, d->nrec + 1,
	    sizeof(*d->rec))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	d->rec = p;
	r = &d->rec[d->nrec];
	memset(r, 0, sizeof(*r));
	r->cid = cid;
	r->src = (unsigned char)d->linking;
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
		if (dedupe_sorted_slot[f] == 0)
			continue;
		n = r->len[f] && memchr(val(d, r, f), ' ', r->len[f]) != NULL ?
		    sort_words(val(d, r, f), r->len[f], key) : 0;
		if (text_add(d, key, n, &r->off[dedupe_sorted_slot[f]],
		    err) < 0)
			goto done;
		r->len[dedupe_sorted_slot[f]] = (uint16_t)n;
	}
	for (f = F_FIRST; f <= F_LAST; f++) {
		if (r->len[f] == 0)
			continue;
		/* NUL-padded, so that 5-byte compares are string compares */
		memset(dm1, 0, sizeof(dm1));
		memset(dm2, 0, sizeof(dm2));
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
	d->db = db;
	if ((st = crm_db_stmt(db, sql, err)) == NULL)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		for (f = 0; f < NF; f++)
			v[f] = NULL;
		for (f = 0; f <= F_COMPANY; f++)
			v[f] = crm_db_col_text(st, 2 + f);
		if ((p = dedupe_grow(ids, &a1, d->nrec + 1,
		    sizeof(*ids))) == NULL || (ids = p, (p = dedupe_grow(into,
		    &a2, d->nrec + 1, sizeof(*into))) == NULL)) {
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
			dedupe_progress(d, (int64_t)d->nrec, "contacts read");
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
			if (strlen(dedupe_fname[f]) == (size_t)(eq - p) &&
			    strncmp(dedupe_fname[f], p, (size_t)(eq - p)) == 0)
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
				    dedupe_fname[f]);
			if ((i = crm_csv_find_col(r, &(struct crm_csv_col){ c, NULL },
			    (size_t)(plus - c))) < 0)
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
	char num[24];
	uint32_t *order = NULL;
	size_t i, k;
	void *p;
	size_t first = d->nrec, n;
	int f, c, idx = -1, rc, any = 0, ret = -1;

	for (f = 0; f < NF; f++)
		crm_buf_init(&joined[f], CRM_CSV_RECORD_MAX);
	/* The header: crm_csv_header() with no columns reads and checks it. */
	if (crm_csv_header(r, NULL, 0, NULL, err) < 0)
		goto done;
	/* Linking two files: the subject's columns are the ones kept. */
	for (i = 0; i < d->ncols; i++)
		free(d->colnames[i]);
	free(d->colnames);
	d->colnames = NULL;
	d->cluster_col = -1;
	d->ncols = crm_csv_ncols(r);
	if ((d->colnames = calloc(d->ncols, sizeof(char *))) == NULL)
		goto nomem;
	for (i = 0; i < d->ncols; i++)
		if ((d->colnames[i] = strdup(crm_csv_colname(r, i))) == NULL)
			goto nomem;
	d->cluster_col = crm_csv_find_col(r, &(struct crm_csv_col){ "cluster_id",
	    NULL }, 0);
	if (idcol != NULL && (idx = crm_csv_find_col(r, &(struct crm_csv_col){
	    idcol, NULL }, 0)) < 0) {
		crm_error_set(err, CRM_EUSAGE, "%s: no id column '%s'",
		    crm_csv_name(r), idcol);
		goto done;
	}
	for (f = 0; f < NF; f++) {
		m.ncol[f] = 0;
		if ((c = crm_csv_find_col(r, &file_cols[f], 0)) >= 0)
			m.col[f][m.ncol[f]++] = c;
	}
	if (m.ncol[F_STREET] > 0) {
		/* A house number goes first, a second line last. */
		if ((c = crm_csv_find_col(r, &street_extra[0], 0)) >= 0) {
			m.col[F_STREET][1] = m.col[F_STREET][0];
			m.col[F_STREET][0] = c;
			m.ncol[F_STREET] = 2;
		}
		if ((c = crm_csv_find_col(r, &street_extra[1], 0)) >= 0)
			m.col[F_STREET][m.ncol[F_STREET]++] = c;
	}
	if (map != NULL && parse_map(r, map, &m, err) < 0)
		goto done;
	for (f = 0; f < NF; f++)
		any |= m.ncol[f] > 0;
	d->fmap = m;
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
			snprintf(num, sizeof(num), "%zu", d->nrec - first + 1);
			id = num;
		}
		if (rec_add(d, v, show_name(&name, v[F_FIRST], v[F_LAST]), id,
		    0, err) < 0)
			goto done;
		/* Keep the record to write it back. */
		if ((p = dedupe_grow(d->rowoff, &d->arowoff, d->nrec,
		    sizeof(size_t))) == NULL)
			goto nomem;
		d->rowoff = p;
		d->rowoff[d->nrec - 1] = d->rows.len;
		for (i = 0; i < d->ncols; i++)
			if (crm_buf_add(&d->rows, crm_csv_field(r, (int)i),
			    crm_csv_fieldlen(r, (int)i) + 1, err) < 0)
				goto done;
		if ((d->nrec & 0xffff) == 0)
			dedupe_progress(d, (int64_t)d->nrec, "records read");
	}
	if (rc < 0)
		goto done;
	/*
	 * Records that repeat an id are one entity: each stands for the
	 * first record with its id, as a merged-away contact for its
	 * survivor (alternative values, never paired with each other).
	 */
	if (idx >= 0 && d->nrec - first > 1) {
		n = d->nrec - first;
		if ((order = reallocarray(NULL, n, sizeof(*order))) == NULL)
			goto nomem;
		for (i = 0; i < n; i++)
			order[i] = (uint32_t)(first + i);
		qsort_r(order, n, sizeof(*order), cmp_id, d);
		for (i = 1, k = 0; i < n; i++) {
			const char *a = txt(d, d->rec[order[k]].id);

			if (strcmp(a, txt(d, d->rec[order[i]].id)) != 0) {
				k = i;
				continue;
			}
			d->rec[order[i]].root = order[k];
			d->st.repeated++;
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

/* Field c of file record i as read. */
static const char *
row_field(const struct crm_dedupe *d, uint32_t i, size_t c)
{
	const char *p = d->rows.s + d->rowoff[i];

	while (c-- > 0)
		p += strlen(p) + 1;
	return p;
}

int
dedupe_rec_values(struct crm_dedupe *d, uint32_t i, const char *v[NF],
    struct crm_buf *buf, struct crm_error *err)
{
	static const char sql[] = "SELECT first_name, last_name, email,"
	    " phone, birth_date, street, city, postcode, company FROM contacts"
	    " WHERE id = ?1";
	size_t off[NF], start, k;
	const char *p;
	struct crm_stmt *st;
	int f, rc;

	crm_buf_reset(buf);
	for (f = 0; f < NF; f++)
		off[f] = SIZE_MAX;
	if (d->rec[i].cid != 0) {
		if ((st = crm_db_stmt(d->db, sql, err)) == NULL ||
		    crm_db_bind_int(d->db, st, 1, d->rec[i].cid, err) < 0 ||
		    (rc = crm_db_step(d->db, st, err)) < 0)
			return -1;
		for (f = 0; rc == 1 && f <= F_COMPANY; f++) {
			if ((p = crm_db_col_text(st, f)) == NULL)
				continue;
			off[f] = buf->len;
			if (crm_buf_add(buf, p, strlen(p) + 1, err) < 0) {
				crm_db_reset(st);
				return -1;
			}
		}
		if (rc == 1)
			crm_db_reset(st);
	} else {
		for (f = 0; f < NF; f++) {
			start = buf->len;
			for (k = 0; k < (size_t)d->fmap.ncol[f]; k++) {
				p = row_field(d, i, (size_t)d->fmap.col[f][k]);
				if (crm_blank(p))
					continue;
				if ((buf->len > start && crm_buf_addc(buf, ' ',
				    err) < 0) || crm_buf_adds(buf, p, err) < 0)
					return -1;
			}
			if (buf->len > start) {
				if (crm_buf_addc(buf, '\0', err) < 0)
					return -1;
				off[f] = start;
			}
		}
	}
	for (f = 0; f < NF; f++)
		v[f] = off[f] == SIZE_MAX ? NULL : buf->s + off[f];
	return 0;
}

void
crm_dedupe_link_subject(struct crm_dedupe *d)
{
	d->linking = 1;
	d->nref = d->nrec;
}
