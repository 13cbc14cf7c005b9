/*
 * campaign-export.c - a campaign's members out through a mail-merge
 * template, each address once.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "campaign.h"
#include "campaign-int.h"
#include "norm.h"

/* Templates. */

#define TEMPLATE_MAX (1u << 20)

/* The fields a template may name besides attributes, in the order the
 * export query selects them. */
static const char *const tfields[] = {
	"id", "external_id", "first_name", "last_name", "email", "phone",
	"company", "street", "city", "postcode", "country", "birth_date",
	"stage", "owner",
};
#define NTFIELDS ((int)(sizeof(tfields) / sizeof(tfields[0])))
#define COL_REASON NTFIELDS	/* the export query's reason column */
enum { F_CAMPAIGN = -1, F_CHANNEL = -2, F_PURPOSE = -3 };

struct part {
	size_t off, len;	/* literal text, when field < 0 */
	long field;		/* index into fields, or -1 */
};

struct crm_campaign_template {
	char *text;
	struct part *parts;
	size_t nparts;
	char **fields;		/* distinct names, normalised */
	int64_t *missing;
	int *src;		/* column of the export query, or F_* */
	size_t nfields;
};

static int
add_part(struct crm_campaign_template *tp, size_t off, size_t len, long field,
    struct crm_error *err)
{
	struct part *p;

	if (field < 0 && len == 0)
		return 0;
	if ((p = reallocarray(tp->parts, tp->nparts + 1, sizeof(*p))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	tp->parts = p;
	p[tp->nparts].off = off;
	p[tp->nparts].len = len;
	p[tp->nparts].field = field;
	tp->nparts++;
	return 0;
}

/* The index of field name (normalised here), added if new. */
static long
add_field(struct crm_campaign_template *tp, const char *s, size_t len,
    struct crm_error *err)
{
	char *name, **f;
	int64_t *m;
	size_t i;

	if ((name = strndup(s, len)) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	for (i = 0; i < len; i++)
		name[i] = name[i] == '-' ? '_' :
		    (char)tolower((unsigned char)name[i]);
	for (i = 0; i < tp->nfields; i++)
		if (strcmp(tp->fields[i], name) == 0) {
			free(name);
			return (long)i;
		}
	if ((f = reallocarray(tp->fields, tp->nfields + 1, sizeof(*f))) ==
	    NULL) {
		free(name);
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	}
	tp->fields = f;
	if ((m = reallocarray(tp->missing, tp->nfields + 1, sizeof(*m))) ==
	    NULL) {
		free(name);
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	}
	tp->missing = m;
	f[tp->nfields] = name;
	m[tp->nfields] = 0;
	return (long)tp->nfields++;
}

static int
parse_template(struct crm_campaign_template *tp, const char *path,
    size_t len, struct crm_error *err)
{
	const char *s = tp->text, *p, *q, *name;
	char quoted[CRM_QUOTE_MAX];
	size_t lit = 0, nlen, i;
	long f, line;

	for (p = s; (p = strstr(p, "{{")) != NULL; ) {
		q = p + 2;
		while (*q == ' ' || *q == '\t')
			q++;
		name = q;
		while (isalnum((unsigned char)*q) ||
		    (*q != '\0' && strchr("_-.", *q) != NULL))
			q++;
		nlen = (size_t)(q - name);
		while (*q == ' ' || *q == '\t')
			q++;
		if (nlen == 0 || q[0] != '}' || q[1] != '}') {
			for (line = 1, i = 0; i < (size_t)(p - s); i++)
				line += s[i] == '\n';
			return crm_error_set(err, CRM_EDATA, "%s:%ld: bad"
			    " placeholder '%s' (expected {{field}})", path,
			    line, crm_quote(quoted, p, strcspn(p, "\n")));
		}
		if (add_part(tp, lit, (size_t)(p - s) - lit, -1, err) < 0 ||
		    (f = add_field(tp, name, nlen, err)) < 0 ||
		    add_part(tp, 0, 0, f, err) < 0)
			return -1;
		p = q + 2;
		lit = (size_t)(p - s);
	}
	return add_part(tp, lit, len - lit, -1, err);
}

struct crm_campaign_template *
crm_campaign_template_load(const char *path, struct crm_error *err)
{
	struct crm_buf b = CRM_BUF_INIT(TEMPLATE_MAX);
	struct crm_campaign_template *tp = NULL;
	char chunk[8192];
	size_t n, len;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		crm_error_set(err, CRM_EFAIL, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (crm_buf_add(&b, chunk, n, err) < 0) {
			crm_error_prefix(err, "%s: template over 1 MiB", path);
			goto fail;
		}
	if (ferror(fp)) {
		crm_error_set(err, CRM_EFAIL, "%s: %s", path, strerror(errno));
		goto fail;
	}
	len = b.len;
	if (memchr(crm_buf_str(&b), '\0', len) != NULL ||
	    !crm_utf8_valid(crm_buf_str(&b), len)) {
		crm_error_set(err, CRM_EDATA, "%s: not UTF-8 text", path);
		goto fail;
	}
	if ((tp = calloc(1, sizeof(*tp))) == NULL ||
	    (tp->text = crm_buf_detach(&b)) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto fail;
	}
	if (parse_template(tp, path, len, err) < 0)
		goto fail;
	fclose(fp);
	return tp;
fail:
	fclose(fp);
	crm_buf_release(&b);
	crm_campaign_template_free(tp);
	return NULL;
}

void
crm_campaign_template_free(struct crm_campaign_template *tp)
{
	size_t i;

	if (tp == NULL)
		return;
	for (i = 0; i < tp->nfields; i++)
		free(tp->fields[i]);
	free(tp->fields);
	free(tp->missing);
	free(tp->src);
	free(tp->parts);
	free(tp->text);
	free(tp);
}

size_t
crm_campaign_template_nfields(const struct crm_campaign_template *tp)
{
	return tp->nfields;
}

const char *
crm_campaign_template_missing(const struct crm_campaign_template *tp,
    size_t i, int64_t *count)
{
	*count = tp->missing[i];
	return tp->fields[i];
}

/*
 * The export query: the template's contact fields, the reason a target
 * may no longer be contacted, and one json_extract per attribute named
 * (its path bound as ?3, ?4, ...).  Sets tp->src.
 */
static struct crm_stmt *
export_query(struct crm_db *db, struct crm_campaign_template *tp,
    struct crm_error *err)
{
	struct crm_buf sql = CRM_BUF_INIT(1 << 16), path = CRM_BUF_INIT(512);
	struct crm_stmt *st = NULL;
	size_t i;
	int j, nattr = 0;
	const char *f;

	if (crm_buf_adds(&sql, "SELECT c.id, c.external_id, c.first_name,"
	    " c.last_name, c.email, c.phone, c.company, c.street, c.city,"
	    " c.postcode, c.country, c.birth_date, c.stage, c.owner,"
	    " CASE" SQL_REASON_CONTACT " END", err) < 0)
		goto done;
	if (tp != NULL && tp->nfields > 0 &&
	    (tp->src = calloc(tp->nfields, sizeof(*tp->src))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	for (i = 0; tp != NULL && i < tp->nfields; i++) {
		f = tp->fields[i];
		for (j = 0; j < NTFIELDS; j++)
			if (strcmp(f, tfields[j]) == 0)
				break;
		if (j < NTFIELDS)
			tp->src[i] = j;
		else if (strcmp(f, "campaign") == 0)
			tp->src[i] = F_CAMPAIGN;
		else if (strcmp(f, "channel") == 0)
			tp->src[i] = F_CHANNEL;
		else if (strcmp(f, "purpose") == 0)
			tp->src[i] = F_PURPOSE;
		else {
			tp->src[i] = COL_REASON + 1 + nattr;
			if (crm_buf_addf(&sql, err, ", json_extract(c.attrs,"
			    " ?%d)", 3 + nattr) < 0)
				goto done;
			nattr++;
		}
	}
	if (crm_buf_adds(&sql, " FROM campaign_members m JOIN contacts c"
	    " ON c.id = m.contact_id WHERE m.campaign_id = ?2"
	    " AND m.grp = 'target' ORDER BY m.contact_id", err) < 0 ||
	    (st = crm_db_prepare(db, crm_buf_str(&sql), err)) == NULL)
		goto done;
	for (i = 0; tp != NULL && i < tp->nfields; i++) {
		if (tp->src[i] <= COL_REASON)
			continue;
		f = tp->fields[i];
		if (strncmp(f, "attr.", 5) == 0 && f[5] != '\0')
			f += 5;
		crm_buf_reset(&path);
		/* Names are letters, digits, '_', '-' and '.': no quoting. */
		if (crm_buf_addf(&path, err, "$.\"%s\"", f) < 0 ||
		    crm_db_bind_text_copy(db, st, tp->src[i] - COL_REASON - 1 +
		    3, crm_buf_str(&path), err) < 0) {
			crm_error_set(err, CRM_EFAIL, "binding %s", f);
			crm_db_finalize(st);
			st = NULL;
			goto done;
		}
	}
done:
	crm_buf_release(&sql);
	crm_buf_release(&path);
	return st;
}

static int
render(struct crm_campaign_template *tp, struct crm_stmt *st,
    const char *name, const struct camp *k, struct crm_buf *b,
    int64_t *missing, struct crm_error *err)
{
	const struct part *p;
	const char *v;
	size_t i;

	crm_buf_reset(b);
	for (i = 0; i < tp->nparts; i++) {
		p = &tp->parts[i];
		if (p->field < 0) {
			if (crm_buf_add(b, tp->text + p->off, p->len, err) < 0)
				return -1;
			continue;
		}
		switch (tp->src[p->field]) {
		case F_CAMPAIGN:
			v = name;
			break;
		case F_CHANNEL:
			v = k->channel;
			break;
		case F_PURPOSE:
			v = k->purpose;
			break;
		default:
			v = crm_db_col_text(st, tp->src[p->field]);
		}
		if (v == NULL || *v == '\0') {
			tp->missing[p->field]++;
			(*missing)++;
			continue;
		}
		if (crm_buf_adds(b, v, err) < 0)
			return -1;
	}
	/* A message is a cell: keep it under the CSV field limit. */
	if (b->len > CRM_CSV_FIELD_MAX)
		return crm_error_set(err, CRM_EDATA, "contact %lld: message"
		    " longer than 1 MiB", (long long)crm_db_col_int(st,
		    0));
	return 0;
}

/* The addresses an export has written (open addressing). */
struct addrset {
	char **s;
	size_t n, cap;
};

static uint64_t
addr_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)tolower((unsigned char)*s)) *
		    0x100000001b3ULL;
	return h;
}

/*
 * 1 if the row's address (the channel's columns after the names: email,
 * phone, or the postal address) was written before; else remembers it.
 */
static int
address_seen(struct addrset *a, struct crm_stmt *st, const int *cols,
    struct crm_error *err)
{
	struct crm_buf key = CRM_BUF_INIT(1 << 16);
	size_t i, j;
	char *k;

	for (i = 4; cols[i] >= 0; i++) {
		const char *v = crm_db_col_text(st, cols[i]);

		if (cols[i] == 6)
			continue;	/* company: not part of an address */
		if (crm_buf_adds(&key, v ? v : "", err) < 0 ||
		    crm_buf_addc(&key, '\037', err) < 0) {
			crm_buf_release(&key);
			return -1;
		}
	}
	if ((a->n + 1) * 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 1024;
		char **s = calloc(cap, sizeof(*s));

		if (s == NULL) {
			crm_buf_release(&key);
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		}
		for (i = 0; i < a->cap; i++) {
			if (a->s[i] == NULL)
				continue;
			for (j = addr_hash(a->s[i]) & (cap - 1); s[j] != NULL;
			    j = (j + 1) & (cap - 1))
				;
			s[j] = a->s[i];
		}
		free(a->s);
		a->s = s;
		a->cap = cap;
	}
	for (j = addr_hash(crm_buf_str(&key)) & (a->cap - 1); a->s[j] != NULL;
	    j = (j + 1) & (a->cap - 1))
		if (strcasecmp(a->s[j], crm_buf_str(&key)) == 0) {
			crm_buf_release(&key);
			return 1;
		}
	if ((k = crm_buf_detach(&key)) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	a->s[j] = k;
	a->n++;
	return 0;
}

/*
 * A placeholder that names no field and no attribute any target has is a
 * mistake in the template (a typo, an attribute never imported): refuse
 * it before anything is written, rather than send every target a message
 * with a hole in it.
 */
static int
unknown_fields(struct crm_db *db, struct crm_campaign_template *tp,
    int64_t campaign, struct crm_error *err)
{
	struct crm_buf path = CRM_BUF_INIT(512);
	struct crm_stmt *st;
	const char *f;
	size_t i;
	int rc = 0, found;

	for (i = 0; i < tp->nfields && rc == 0; i++) {
		if (tp->src[i] <= COL_REASON)
			continue;
		f = tp->fields[i];
		if (strncmp(f, "attr.", 5) == 0 && f[5] != '\0')
			f += 5;
		crm_buf_reset(&path);
		if (crm_buf_addf(&path, err, "$.\"%s\"", f) < 0 ||
		    (st = crm_db_stmt(db, "SELECT EXISTS (SELECT 1 FROM"
		    " campaign_members m JOIN contacts c ON c.id = m.contact_id"
		    " WHERE m.campaign_id = ?1 AND m.grp = 'target' AND"
		    " json_extract(c.attrs, ?2) IS NOT NULL)", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, campaign, err) < 0 ||
		    crm_db_bind_text(db, st, 2, crm_buf_str(&path), err) < 0 ||
		    (found = crm_db_step(db, st, err)) < 0) {
			rc = -1;
			break;
		}
		found = crm_db_col_int(st, 0) != 0;
		crm_db_reset(st);
		if (!found)
			rc = crm_error_set(err, CRM_EDATA, "placeholder"
			    " {{%s}} matches no field (id, external_id,"
			    " first_name, last_name, email, phone, company,"
			    " street, city, postcode, country, birth_date,"
			    " stage, owner, campaign, channel, purpose) and no"
			    " attribute of any target", tp->fields[i]);
	}
	crm_buf_release(&path);
	return rc;
}

int
crm_campaign_export(struct crm_db *db, const char *name,
    struct crm_campaign_template *tp, struct crm_out *out,
    struct crm_campaign_export_stats *es, struct crm_error *err)
{
	/* The columns of each channel: indexes into tfields. */
	static const int email_cols[] = { 0, 1, 2, 3, 4, -1 };
	static const int phone_cols[] = { 0, 1, 2, 3, 5, -1 };
	static const int mail_cols[] = { 0, 1, 2, 3, 6, 7, 8, 9, 10, -1 };
	struct crm_buf msg = CRM_BUF_INIT(2 * CRM_CSV_FIELD_MAX);
	enum crm_coltype types[16];
	const char *names[16], *vals[16];
	const int *cols;
	struct crm_stmt *st = NULL;
	struct addrset addr = { NULL, 0, 0 };
	struct camp k;
	size_t n, i;
	int rc = -1, seen;

	memset(es, 0, sizeof(*es));
	if (campaign_must_find(db, name, &k, err) < 0)
		return -1;
	cols = strcmp(k.channel, "email") == 0 ? email_cols :
	    strcmp(k.channel, "mail") == 0 ? mail_cols : phone_cols;
	for (n = 0; cols[n] >= 0; n++) {
		names[n] = tfields[cols[n]];
		types[n] = n == 0 ? CRM_COL_NUM : CRM_COL_TEXT;
	}
	if (tp != NULL) {
		names[n] = "message";
		types[n++] = CRM_COL_TEXT;
	}
	if ((st = export_query(db, tp, err)) == NULL ||
	    crm_db_bind_text(db, st, 1, k.channel, err) < 0 ||
	    crm_db_bind_int(db, st, 2, k.id, err) < 0 ||
	    (tp != NULL && unknown_fields(db, tp, k.id, err) < 0) ||
	    crm_out_header(out, names, types, n, err) < 0)
		goto done;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		rc = -1;
		if (!crm_db_col_isnull(st, COL_REASON)) {
			es->skipped++;
			continue;
		}
		for (i = 0; cols[i] >= 0; i++)
			vals[i] = crm_db_col_text(st, cols[i]);
		/* Each address once: the target with the lowest id. */
		if ((seen = address_seen(&addr, st, cols, err)) != 0) {
			if (seen < 0)
				goto done;
			es->duplicates++;
			continue;
		}
		if (tp != NULL) {
			if (render(tp, st, name, &k, &msg, &es->missing,
			    err) < 0)
				goto done;
			vals[i] = crm_buf_str(&msg);
		}
		if (crm_out_row(out, vals, err) < 0)
			goto done;
		es->rows++;
	}
done:
	crm_db_finalize(st);
	crm_buf_release(&msg);
	for (i = 0; i < addr.cap; i++)
		free(addr.s[i]);
	free(addr.s);
	return rc;
}
