/*
 * account.c - accounts: the schema, matching keys, import.  People are
 * joined to accounts in account-link.c, duplicates merged in
 * account-merge.c, reports in account-rollup.c,
 * account-rfm.c, account-partner.c and account-export.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "account-int.h"
#include "interaction.h"
#include "match.h"
#include "norm.h"
#include "resolve.h"

/*
 * The tables.  Every reference to accounts says what happens when the
 * account is deleted, because crm-forget deletes a sole trader's account
 * (person_id refers to contacts): its people's rows, merge log and merged
 * duplicates go with it, subsidiaries and sourced accounts stay.
 * IF NOT EXISTS: a database set back to an older version (as a test
 * of an earlier upgrade does) runs this again.  No unique key on a
 * contact: crm-dedupe merge moves a merged contact's rows to the
 * survivor (mergeref.c), which may then have two current jobs or two
 * partners until it is linked again; the first counts.
 */
const char crm_account_schema[] =
	"CREATE TABLE IF NOT EXISTS accounts ("
	"  id INTEGER PRIMARY KEY,"
	"  external_id TEXT UNIQUE,"
	"  name TEXT NOT NULL,"
	"  name_key TEXT NOT NULL,"
	"  domain TEXT,"
	"  industry TEXT,"
	"  size TEXT,"
	"  country TEXT,"
	"  owner TEXT,"
	"  type TEXT CHECK (type IS NULL OR type = 'customer'"
	"    OR type = 'prospect' OR type = 'supplier' OR type = 'other'"
	"    OR type = 'reseller' OR type = 'agency' OR type = 'referrer'"
	"    OR type = 'affiliate'),"
	"  parent_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,"
	"  partner_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL,"
	"  person_id INTEGER REFERENCES contacts(id),"
	"  attrs TEXT CHECK (attrs IS NULL OR json_valid(attrs)),"
	"  merged_into INTEGER REFERENCES accounts(id) ON DELETE CASCADE,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL"
	");"
	"CREATE INDEX IF NOT EXISTS accounts_name_key ON accounts(name_key);"
	"CREATE INDEX IF NOT EXISTS accounts_domain ON accounts(domain)"
	"  WHERE domain IS NOT NULL;"
	"CREATE INDEX IF NOT EXISTS accounts_parent ON accounts(parent_id)"
	"  WHERE parent_id IS NOT NULL;"
	"CREATE INDEX IF NOT EXISTS accounts_person ON accounts(person_id)"
	"  WHERE person_id IS NOT NULL;"
	"CREATE TABLE IF NOT EXISTS account_contacts ("
	"  id INTEGER PRIMARY KEY,"
	"  account_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  contact_id INTEGER NOT NULL REFERENCES contacts(id),"
	"  role TEXT,"
	"  title TEXT,"
	"  started_at INTEGER,"
	"  ended_at INTEGER,"
	"  created_at INTEGER NOT NULL"
	");"
	"CREATE INDEX IF NOT EXISTS account_contacts_account"
	"  ON account_contacts(account_id);"
	"CREATE INDEX IF NOT EXISTS account_contacts_contact"
	"  ON account_contacts(contact_id);"
	"CREATE TABLE IF NOT EXISTS contact_partners ("
	"  id INTEGER PRIMARY KEY,"
	"  contact_id INTEGER NOT NULL REFERENCES contacts(id),"
	"  partner_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  set_at INTEGER NOT NULL"
	");"
	"CREATE INDEX IF NOT EXISTS contact_partners_contact"
	"  ON contact_partners(contact_id);"
	"CREATE INDEX IF NOT EXISTS contact_partners_partner"
	"  ON contact_partners(partner_id);"
	"CREATE TABLE IF NOT EXISTS account_merges ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  survivor_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  merged_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  before TEXT NOT NULL CHECK (json_valid(before)),"
	"  undone_at INTEGER"
	");"
	"CREATE INDEX IF NOT EXISTS account_merges_merged"
	"  ON account_merges(merged_id);"
	"CREATE INDEX IF NOT EXISTS account_merges_survivor"
	"  ON account_merges(survivor_id);";


int
crm_account_json_str(struct crm_buf *b, const char *s, struct crm_error *err)
{
	if (crm_buf_addc(b, '"', err) < 0)
		return -1;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			if (crm_buf_addc(b, '\\', err) < 0 ||
			    crm_buf_addc(b, c, err) < 0)
				return -1;
		} else if (c < 0x20) {
			if (crm_buf_addf(b, err, "\\u%04x", c) < 0)
				return -1;
		} else if (crm_buf_addc(b, c, err) < 0)
			return -1;
	}
	return crm_buf_addc(b, '"', err);
}

/* Keys. */

/*
 * Legal forms, as crm_norm_fold() leaves them ("S.A." is "s a"), dropped
 * from the end of a name one at a time, so "GmbH & Co. KG" goes as kg,
 * co, gmbh.  The list: the forms of company law in the English-speaking
 * countries, the EU member states' common ones, the Nordic countries',
 * Japan's and South-East Asia's, as their registers abbreviate them.
 */
static const char *const legal_forms[] = {
	"a g", "a s", "ab", "ag", "aps", "as", "asa", "b v", "bhd", "bv",
	"co", "company", "corp", "corporation", "cv", "e k", "e v", "ev",
	"ek", "gbr", "gmbh", "inc", "incorporated", "k k", "kft", "kg", "kk",
	"l l c", "l l p", "limited", "llc", "llp", "lp", "ltd", "ltda",
	"mbh", "n v", "nv", "ohg", "oy", "oyj", "p l c", "plc", "pte",
	"pty", "s a", "s a s", "s a r l", "s l", "s p a", "s r l", "s r o",
	"sa", "sarl", "sas", "sdn", "sl", "spa", "sp z o o", "srl", "sro",
	"ug", "z o o",
};

int
crm_account_name_key(const char *name, struct crm_buf *out,
    struct crm_error *err)
{
	struct crm_buf f = CRM_BUF_INIT(1 << 16);
	char *s;
	size_t len, n, i, start = out->len;
	int changed, rc = -1;

	if (crm_norm_fold(name, &f, err) < 0)
		goto done;
	s = f.s != NULL ? f.s : (char *)"";
	len = f.len;
	/* A leading "the", and "and" between words ("Smith & Sons"). */
	if (len > 4 && strncmp(s, "the ", 4) == 0) {
		s += 4;
		len -= 4;
	}
	do {
		changed = 0;
		for (i = 0; i < sizeof(legal_forms) / sizeof(*legal_forms);
		    i++) {
			n = strlen(legal_forms[i]);
			if (len > n + 1 && s[len - n - 1] == ' ' &&
			    memcmp(s + len - n, legal_forms[i], n) == 0) {
				len -= n + 1;
				changed = 1;
			}
		}
		if (len > 4 && memcmp(s + len - 4, " and", 4) == 0) {
			len -= 4;
			changed = 1;
		}
	} while (changed);
	for (i = 0; i < len; i++) {
		if (i + 5 <= len && memcmp(s + i, " and ", 5) == 0) {
			i += 3;
			continue;
		}
		if (crm_buf_addc(out, s[i], err) < 0)
			goto done;
	}
	if (out->len == start && crm_buf_adds(out, "", err) < 0)
		goto done;
	rc = 0;
done:
	crm_buf_release(&f);
	return rc;
}

int
crm_account_domain(const char *in, struct crm_buf *out,
    struct crm_error *err)
{
	char q[CRM_QUOTE_MAX];
	const char *s, *e, *p;
	size_t len, start = out->len, labels = 1, lablen = 0;

	s = crm_trim(in, &len);
	e = s + len;
	if ((p = memchr(s, '@', len)) != NULL)
		s = p + 1;
	else if ((p = strstr(s, "://")) != NULL && p < e)
		s = p + 3;
	for (p = s; p < e && *p != '/' && *p != ':' && *p != '?' &&
	    *p != '#'; p++)
		;
	e = p;
	if (e - s > 4 && strncasecmp(s, "www.", 4) == 0)
		s += 4;
	if (e > s && e[-1] == '.')
		e--;
	if (e - s > 253)
		goto bad;
	for (p = s; p < e; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '.') {
			if (lablen == 0 || p[-1] == '-')
				goto bad;
			labels++;
			lablen = 0;
		} else if (isalnum(c) || c >= 0x80 || (c == '-' && lablen > 0))
			lablen++;
		else
			goto bad;
		if (crm_buf_addc(out, c < 0x80 ? tolower(c) : c, err) < 0)
			return -1;
	}
	if (labels < 2 || lablen == 0)
		goto bad;
	return 0;
bad:
	out->len = start;
	if (out->s != NULL)
		out->s[start] = '\0';
	return crm_error_set(err, CRM_EDATA, "invalid domain '%s'",
	    crm_quote(q, in, strlen(in)));
}

/*
 * Free-mail providers: an address there says nothing about the employer.
 * The domains the large providers publish as their own (Google, Microsoft,
 * Yahoo, AOL, Apple, Proton, Zoho, GMX and web.de, Yandex and Mail.ru,
 * Tencent and NetEase, Naver) and the big national ISPs' mail services,
 * sorted for bsearch.  crm-account(1) lists them.
 */
static const char *const freemail[] = {
	"126.com", "139.com", "163.com", "aim.com", "aol.co.uk", "aol.com",
	"aol.de", "aol.fr", "bigpond.com", "bluewin.ch", "btinternet.com",
	"comcast.net", "daum.net", "email.com", "free.fr", "freenet.de",
	"gmail.com", "gmx.at", "gmx.ch", "gmx.com", "gmx.de", "gmx.net",
	"googlemail.com", "hanmail.net", "hotmail.co.uk", "hotmail.com",
	"hotmail.de", "hotmail.es", "hotmail.fr", "hotmail.it", "icloud.com",
	"inbox.ru", "laposte.net", "libero.it", "list.ru", "live.co.uk",
	"live.com", "live.de", "live.fr", "live.nl", "mac.com", "mail.com",
	"mail.ru", "me.com", "msn.com", "naver.com", "orange.fr",
	"outlook.com", "outlook.de", "outlook.fr", "pm.me", "proton.me",
	"protonmail.ch", "protonmail.com", "qq.com", "rocketmail.com",
	"seznam.cz", "sfr.fr", "sky.com", "t-online.de", "tutanota.com",
	"virgilio.it", "wanadoo.fr", "web.de", "yahoo.co.in", "yahoo.co.jp",
	"yahoo.co.uk", "yahoo.com", "yahoo.de", "yahoo.es", "yahoo.fr",
	"yahoo.it", "yandex.com", "yandex.ru", "ymail.com", "zoho.com",
};

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
crm_account_freemail(const char *domain)
{
	return bsearch(&domain, freemail, sizeof(freemail) / sizeof(*freemail),
	    sizeof(*freemail), cmpstr) != NULL;
}

int
crm_account_root(struct crm_db *db, int64_t id, int64_t *root,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int hops, rc;

	for (hops = 0; hops < MAX_DEPTH; hops++) {
		if ((st = crm_db_stmt(db, "SELECT merged_into FROM accounts"
		    " WHERE id = ?1", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, id, err) < 0 ||
		    (rc = crm_db_step(db, st, err)) < 0)
			return -1;
		if (rc == 0)
			return crm_error_set(err, CRM_EDATA, "no account #%lld",
			    (long long)id);
		if (crm_db_col_isnull(st, 0)) {
			crm_db_reset(st);
			*root = id;
			return 0;
		}
		id = crm_db_col_int(st, 0);
		crm_db_reset(st);
	}
	return crm_error_set(err, CRM_EFAIL, "account #%lld: merges nested"
	    " too deep", (long long)id);
}

int
crm_account_lookup1(struct crm_db *db, const char *sql, const char *v,
    int64_t *id, struct crm_error *err)
{
	struct crm_stmt *st;
	int rc, n = 0;

	*id = 0;
	if ((st = crm_db_stmt(db, sql, err)) == NULL ||
	    crm_db_bind_text(db, st, 1, v, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		if (n++ == 0)
			*id = crm_db_col_int(st, 0);
		else {
			crm_db_reset(st);
			return 1;
		}
	}
	return rc < 0 ? -1 : 0;
}

static const char sql_by_ext[] =
    "SELECT id FROM accounts WHERE external_id = ?1";
const char crm_account_sql_by_domain[] =
    "SELECT id FROM accounts WHERE domain = ?1 AND merged_into IS NULL"
    " LIMIT 2";
static const char sql_by_key[] =
    "SELECT id FROM accounts WHERE name_key = ?1 AND merged_into IS NULL"
    " LIMIT 2";

int
crm_account_resolve(struct crm_db *db, const char *key, int64_t *id,
    struct crm_error *err)
{
	struct crm_buf b = CRM_BUF_INIT(4096);
	char q[CRM_QUOTE_MAX];
	const char *s;
	size_t len;
	int rc = -1, many = 0;

	*id = 0;
	s = crm_trim(key, &len);
	if (len == 0)
		return crm_error_set(err, CRM_EUSAGE, "empty account key");
	if (crm_buf_add(&b, s, len, err) < 0)
		goto done;
	if (s[0] == '#' && len > 1) {
		char *end;

		errno = 0;
		*id = strtoll(b.s + 1, &end, 10);
		if (errno || *end || *id <= 0) {
			crm_error_set(err, CRM_EUSAGE, "bad account id '%s'",
			    crm_quote(q, key, strlen(key)));
			goto done;
		}
	} else if ((many = crm_account_lookup1(db, sql_by_ext, b.s, id,
	    err)) < 0)
		goto done;
	if (*id == 0) {
		crm_buf_reset(&b);
		if (crm_account_domain(s, &b, NULL) == 0 &&
		    (many = crm_account_lookup1(db, crm_account_sql_by_domain,
		    b.s, id, err)) < 0)
			goto done;
	}
	if (*id == 0 && !many) {
		crm_buf_reset(&b);
		if (crm_account_name_key(s, &b, err) < 0 ||
		    (many = crm_account_lookup1(db, sql_by_key,
		    crm_buf_str(&b), id, err)) < 0)
			goto done;
	}
	if (many) {
		crm_error_set(err, CRM_EDATA, "account key '%s' matches several"
		    " accounts", crm_quote(q, key, strlen(key)));
		goto done;
	}
	if (*id == 0) {
		crm_error_set(err, CRM_EDATA, "no account '%s'",
		    crm_quote(q, key, strlen(key)));
		goto done;
	}
	rc = crm_account_root(db, *id, id, err);
done:
	crm_buf_release(&b);
	return rc;
}

/* Import. */

enum {
	F_EXT, F_NAME, F_DOMAIN, F_INDUSTRY, F_SIZE, F_COUNTRY, F_OWNER,
	F_TYPE, F_PARENT, F_PARTNER, F_PERSON, F_ATTRS, NF
};

static const struct crm_csv_col account_cols[NF] = {
	{ "external_id", "account_external_id|account_id|record_id" },
	{ "name", "account_name|company|company_name|account|organisation|"
	    "organization" },
	{ "domain", "website|url|web|company_domain|domain_name" },
	{ "industry", "sector" },
	{ "size", "employees|company_size|number_of_employees" },
	{ "country", "country_region|country_code" },
	{ "owner", "account_owner" },
	{ "type", "account_type" },
	{ "parent", "parent_account|parent_id|parent_external_id" },
	{ "partner", "sourced_by|partner_id|referred_by" },
	{ "person", "sole_trader" },
	{ "attrs", "attributes" },
};

struct pending {
	int64_t id;
	int what;	/* F_PARENT or F_PARTNER */
	char *key;
	char *where;	/* file:line */
};

struct crm_account_importer {
	struct crm_db *db;
	struct crm_account_stats st;
	int idx[NF];
	struct crm_buf val[NF], attrs, tmp, where;
	const char *v[NF];
	struct pending *pend;
	size_t npend, apend;
	int64_t now;
};

struct crm_account_importer *
crm_account_importer_new(struct crm_db *db, struct crm_error *err)
{
	struct crm_account_importer *imp;
	int i;

	if ((imp = calloc(1, sizeof(*imp))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	imp->db = db;
	imp->now = crm_now();
	for (i = 0; i < NF; i++)
		crm_buf_init(&imp->val[i], CRM_CSV_FIELD_MAX);
	crm_buf_init(&imp->attrs, CRM_CSV_RECORD_MAX);
	crm_buf_init(&imp->tmp, CRM_CSV_RECORD_MAX);
	crm_buf_init(&imp->where, 4096);
	return imp;
}

void
crm_account_importer_free(struct crm_account_importer *imp)
{
	size_t i;

	if (imp == NULL)
		return;
	for (i = 0; i < NF; i++)
		crm_buf_release(&imp->val[i]);
	crm_buf_release(&imp->attrs);
	crm_buf_release(&imp->tmp);
	crm_buf_release(&imp->where);
	for (i = 0; i < imp->npend; i++) {
		free(imp->pend[i].key);
		free(imp->pend[i].where);
	}
	free(imp->pend);
	free(imp);
}

const struct crm_account_stats *
crm_account_importer_stats(const struct crm_account_importer *imp)
{
	return &imp->st;
}

int
crm_account_importer_header(struct crm_account_importer *imp,
    struct crm_csv *r, struct crm_error *err)
{
	if (crm_csv_header(r, account_cols, NF, imp->idx, err) < 0)
		return -1;
	if (imp->idx[F_NAME] < 0 && imp->idx[F_EXT] < 0 &&
	    imp->idx[F_DOMAIN] < 0)
		return crm_error_set(err, CRM_EDATA, "%s: neither a name, an"
		    " external_id nor a domain column", crm_csv_name(r));
	return 0;
}

/* Add "key":value to imp->attrs (value a JSON text when json). */
static int
attr_add(struct crm_account_importer *imp, const char *key, const char *val,
    int json, struct crm_error *err)
{
	if (crm_buf_addc(&imp->attrs, imp->attrs.len ? ',' : '{', err) < 0 ||
	    crm_account_json_str(&imp->attrs, key, err) < 0 ||
	    crm_buf_addc(&imp->attrs, ':', err) < 0)
		return -1;
	return json ? crm_buf_adds(&imp->attrs, val, err) :
	    crm_account_json_str(&imp->attrs, val, err);
}

static int
set_val(struct crm_account_importer *imp, int f, const char *s,
    struct crm_error *err)
{
	crm_buf_reset(&imp->val[f]);
	if (crm_buf_adds(&imp->val[f], s, err) < 0)
		return -1;
	imp->v[f] = imp->val[f].s;
	return 0;
}

static int
add_pending(struct crm_account_importer *imp, int64_t id, int what,
    const char *key, struct crm_error *err)
{
	struct pending *p;

	if (imp->npend == imp->apend) {
		size_t n = imp->apend ? imp->apend * 2 : 64;

		if ((p = reallocarray(imp->pend, n, sizeof(*p))) == NULL)
			return crm_error_set(err, CRM_EFAIL, "out of memory");
		imp->pend = p;
		imp->apend = n;
	}
	p = &imp->pend[imp->npend];
	p->id = id;
	p->what = what;
	if ((p->key = strdup(key)) == NULL ||
	    (p->where = strdup(crm_buf_str(&imp->where))) == NULL) {
		free(p->key);
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	}
	imp->npend++;
	return 0;
}

/*
 * Store the record in imp->v (NULL: missing) and imp->attrs; errors
 * carry no place (the caller prefixes it).
 */
static int
upsert(struct crm_account_importer *imp, struct crm_error *err)
{
	struct crm_db *db = imp->db;
	struct crm_buf name = CRM_BUF_INIT(CRM_CSV_FIELD_MAX);
	struct crm_buf key = CRM_BUF_INIT(CRM_CSV_FIELD_MAX);
	struct crm_buf dom = CRM_BUF_INIT(4096);
	char q[CRM_QUOTE_MAX];
	const char **v = imp->v, *type = NULL, *country = NULL;
	int64_t id = 0, person = 0;
	struct crm_stmt *st;
	int rc = -1, many = 0, i;

	if (v[F_NAME] != NULL && (crm_norm_name(v[F_NAME], &name, err) < 0 ||
	    crm_account_name_key(v[F_NAME], &key, err) < 0))
		goto done;
	if (v[F_DOMAIN] != NULL && crm_account_domain(v[F_DOMAIN], &dom,
	    err) < 0)
		goto done;
	if (v[F_TYPE] != NULL) {
		static const char *const types[] = { "customer", "prospect",
		    "supplier", "other", "reseller", "agency", "referrer",
		    "affiliate" };

		for (i = 0; i < 8; i++)
			if (strcasecmp(v[F_TYPE], types[i]) == 0)
				type = types[i];
		if (type == NULL) {
			crm_error_set(err, CRM_EDATA, "invalid account type"
			    " '%s' (customer, prospect, supplier, other,"
			    " reseller, agency, referrer or affiliate)",
			    crm_quote(q, v[F_TYPE], strlen(v[F_TYPE])));
			goto done;
		}
	}
	if (v[F_COUNTRY] != NULL && (country = crm_norm_country(
	    v[F_COUNTRY])) == NULL)
		country = v[F_COUNTRY];
	if (v[F_PERSON] != NULL && crm_contact_resolve(db, v[F_PERSON], NULL,
	    &person, err) < 0)
		goto done;

	/* Which account: external_id, else domain, else name. */
	if (v[F_EXT] != NULL) {
		if ((many = crm_account_lookup1(db, sql_by_ext, v[F_EXT], &id,
		    err)) < 0)
			goto done;
		if (id != 0 && crm_account_root(db, id, &id, err) < 0)
			goto done;
		if (id == 0 && dom.len && (st = crm_db_stmt(db, "SELECT id FROM"
		    " accounts WHERE domain = ?1 AND merged_into IS NULL AND"
		    " external_id IS NULL LIMIT 2", err)) != NULL) {
			int n = 0;

			if (crm_db_bind_text(db, st, 1, dom.s, err) < 0)
				goto done;
			while ((rc = crm_db_step(db, st, err)) == 1)
				if (n++ == 0)
					id = crm_db_col_int(st, 0);
			if (rc < 0)
				goto done;
			if (n > 1)
				id = 0;
			rc = -1;
		}
	} else if (dom.len) {
		if ((many = crm_account_lookup1(db,
		    crm_account_sql_by_domain, dom.s, &id, err)) < 0)
			goto done;
	} else if (key.len) {
		if ((many = crm_account_lookup1(db, sql_by_key, key.s, &id,
		    err)) < 0)
			goto done;
	} else {
		crm_error_set(err, CRM_EDATA, "no external_id, domain or name");
		goto done;
	}
	if (many) {
		crm_error_set(err, CRM_EDATA, "several accounts have the %s"
		    " '%s'", v[F_EXT] == NULL && dom.len ? "domain" : "name",
		    v[F_EXT] == NULL && dom.len ? dom.s : key.s);
		goto done;
	}

	if (id == 0) {
		if (name.len == 0) {
			crm_error_set(err, CRM_EDATA, "a new account needs a"
			    " name");
			goto done;
		}
		if ((st = crm_db_stmt(db, "INSERT INTO accounts (external_id,"
		    " name, name_key, domain, industry, size, country, owner,"
		    " type, person_id, attrs, created_at, updated_at)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
		    " ?12, ?12)", err)) == NULL ||
		    crm_db_bind_text(db, st, 1, v[F_EXT], err) < 0 ||
		    crm_db_bind_text(db, st, 2, name.s, err) < 0 ||
		    crm_db_bind_text(db, st, 3, crm_buf_str(&key), err) < 0 ||
		    crm_db_bind_text(db, st, 4, dom.len ? dom.s : NULL,
		    err) < 0 ||
		    crm_db_bind_text(db, st, 5, v[F_INDUSTRY], err) < 0 ||
		    crm_db_bind_text(db, st, 6, v[F_SIZE], err) < 0 ||
		    crm_db_bind_text(db, st, 7, country, err) < 0 ||
		    crm_db_bind_text(db, st, 8, v[F_OWNER], err) < 0 ||
		    crm_db_bind_text(db, st, 9, type, err) < 0 ||
		    (person ? crm_db_bind_int(db, st, 10, person, err) :
		    crm_db_bind_null(db, st, 10, err)) < 0 ||
		    crm_db_bind_text(db, st, 11, imp->attrs.len ?
		    imp->attrs.s : NULL, err) < 0 ||
		    crm_db_bind_int(db, st, 12, imp->now, err) < 0 ||
		    crm_db_step(db, st, err) < 0)
			goto done;
		id = crm_db_last_id(db);
		imp->st.inserted++;
	} else {
		/* An empty cell leaves the stored value alone. */
		if ((st = crm_db_stmt(db, "UPDATE accounts SET"
		    " external_id = coalesce(external_id, ?2),"
		    " name = coalesce(?3, name), name_key = coalesce(?4,"
		    " name_key), domain = coalesce(?5, domain),"
		    " industry = coalesce(?6, industry), size = coalesce(?7,"
		    " size), country = coalesce(?8, country),"
		    " owner = coalesce(?9, owner), type = coalesce(?10, type),"
		    " person_id = coalesce(?11, person_id),"
		    " attrs = CASE WHEN ?12 IS NULL THEN attrs ELSE"
		    " json_patch(coalesce(attrs, '{}'), ?12) END,"
		    " updated_at = ?13"
		    " WHERE id = ?1 AND (external_id IS NULL AND ?2 IS NOT NULL"
		    " OR coalesce(?3, name) IS DISTINCT FROM name"
		    " OR coalesce(?5, domain) IS DISTINCT FROM domain"
		    " OR coalesce(?6, industry) IS DISTINCT FROM industry"
		    " OR coalesce(?7, size) IS DISTINCT FROM size"
		    " OR coalesce(?8, country) IS DISTINCT FROM country"
		    " OR coalesce(?9, owner) IS DISTINCT FROM owner"
		    " OR coalesce(?10, type) IS DISTINCT FROM type"
		    " OR coalesce(?11, person_id) IS DISTINCT FROM person_id"
		    " OR (?12 IS NOT NULL AND json_patch(coalesce(attrs, '{}'),"
		    " ?12) IS DISTINCT FROM attrs))", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, id, err) < 0 ||
		    crm_db_bind_text(db, st, 2, v[F_EXT], err) < 0 ||
		    crm_db_bind_text(db, st, 3, name.len ? name.s : NULL,
		    err) < 0 ||
		    crm_db_bind_text(db, st, 4, name.len ? crm_buf_str(&key) :
		    NULL, err) < 0 ||
		    crm_db_bind_text(db, st, 5, dom.len ? dom.s : NULL,
		    err) < 0 ||
		    crm_db_bind_text(db, st, 6, v[F_INDUSTRY], err) < 0 ||
		    crm_db_bind_text(db, st, 7, v[F_SIZE], err) < 0 ||
		    crm_db_bind_text(db, st, 8, country, err) < 0 ||
		    crm_db_bind_text(db, st, 9, v[F_OWNER], err) < 0 ||
		    crm_db_bind_text(db, st, 10, type, err) < 0 ||
		    (person ? crm_db_bind_int(db, st, 11, person, err) :
		    crm_db_bind_null(db, st, 11, err)) < 0 ||
		    crm_db_bind_text(db, st, 12, imp->attrs.len ?
		    imp->attrs.s : NULL, err) < 0 ||
		    crm_db_bind_int(db, st, 13, imp->now, err) < 0 ||
		    crm_db_step(db, st, err) < 0)
			goto done;
		if (crm_db_changes(db) > 0)
			imp->st.updated++;
		else
			imp->st.unchanged++;
	}
	if ((v[F_PARENT] != NULL && add_pending(imp, id, F_PARENT,
	    v[F_PARENT], err) < 0) ||
	    (v[F_PARTNER] != NULL && add_pending(imp, id, F_PARTNER,
	    v[F_PARTNER], err) < 0))
		goto done;
	rc = 0;
done:
	crm_buf_release(&name);
	crm_buf_release(&key);
	crm_buf_release(&dom);
	return rc;
}

/*
 * Every check of a record comes before its one write, so a bad record
 * leaves nothing of itself behind (for --rejects) without a savepoint.
 */
static int
upsert_record(struct crm_account_importer *imp, struct crm_error *err)
{
	imp->st.read++;
	if (upsert(imp, err) == 0)
		return 0;
	if (err->code == CRM_EDATA)
		imp->st.rejected++;
	return crm_error_prefix(err, "%s", crm_buf_str(&imp->where));
}

int
crm_account_importer_row(struct crm_account_importer *imp,
    struct crm_csv *r, struct crm_error *err)
{
	size_t i, n;
	int f;

	crm_buf_reset(&imp->where);
	crm_buf_reset(&imp->attrs);
	if (crm_buf_addf(&imp->where, err, "%s:%ld", crm_csv_name(r),
	    crm_csv_line(r)) < 0)
		return -1;
	for (f = 0; f < NF; f++) {
		const char *s = imp->idx[f] >= 0 ?
		    crm_csv_field(r, imp->idx[f]) : "";
		size_t len;

		imp->v[f] = NULL;
		s = crm_trim(s, &len);
		crm_buf_reset(&imp->val[f]);
		if (len == 0)
			continue;
		if (crm_buf_add(&imp->val[f], s, len, err) < 0)
			return -1;
		imp->v[f] = imp->val[f].s;
	}
	if (imp->v[F_ATTRS] != NULL) {
		if (imp->v[F_ATTRS][0] != '{')
			return crm_error_set(err, CRM_EDATA, "%s: attrs is not"
			    " a JSON object", crm_buf_str(&imp->where));
		if (crm_buf_adds(&imp->attrs, imp->v[F_ATTRS], err) < 0)
			return -1;
		/* Reopen the object for the extra columns. */
		if (imp->attrs.len > 2) {
			imp->attrs.len--;
			imp->attrs.s[imp->attrs.len] = '\0';
			while (imp->attrs.len && isspace((unsigned char)
			    imp->attrs.s[imp->attrs.len - 1]))
				imp->attrs.s[--imp->attrs.len] = '\0';
		} else
			crm_buf_reset(&imp->attrs);
	}
	n = crm_csv_ncols(r);
	for (i = 0; i < n; i++) {
		size_t len;
		const char *s;

		if (!crm_csv_extra(r, i) ||
		    strcasecmp(crm_csv_colname(r, i), "reason") == 0)
			continue;
		s = crm_trim(crm_csv_field(r, (int)i), &len);
		if (len == 0)
			continue;
		crm_buf_reset(&imp->tmp);
		if (crm_buf_add(&imp->tmp, s, len, err) < 0 ||
		    attr_add(imp, crm_csv_colname(r, i), imp->tmp.s, 0,
		    err) < 0)
			return -1;
	}
	if (imp->attrs.len && crm_buf_addc(&imp->attrs, '}', err) < 0)
		return -1;
	return upsert_record(imp, err);
}

/* A JSON key against a column: case-insensitive, ' ' and '-' as '_'. */
static int
key_is(const char *key, const char *name)
{
	for (; *key && *name; key++, name++) {
		int c = (*key == ' ' || *key == '-') ? '_' :
		    tolower((unsigned char)*key);

		if (c != *name)
			return 0;
	}
	return *key == '\0' && *name == '\0';
}

static int
json_field(const char *key)
{
	char alias[128];
	const char *p, *e;
	int f;

	for (f = 0; f < NF; f++) {
		if (key_is(key, account_cols[f].name))
			return f;
		for (p = account_cols[f].aliases; p != NULL && *p; p = e) {
			e = strchr(p, '|');
			if (e == NULL)
				e = p + strlen(p);
			snprintf(alias, sizeof(alias), "%.*s", (int)(e - p), p);
			if (key_is(key, alias))
				return f;
			if (*e == '|')
				e++;
		}
	}
	return -1;
}

static int
json_line(struct crm_account_importer *imp, const char *line,
    struct crm_error *err)
{
	struct crm_db *db = imp->db;
	struct crm_stmt *st;
	int64_t ok;
	int rc, f;

	if ((st = crm_db_stmt(db, "SELECT json_valid(?1) AND"
	    " json_type(?1) = 'object'", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, line, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	ok = crm_db_col_int(st, 0);
	crm_db_reset(st);
	if (!ok)
		return crm_error_set(err, CRM_EDATA, "%s: not a JSON object",
		    crm_buf_str(&imp->where));
	for (f = 0; f < NF; f++)
		imp->v[f] = NULL;
	crm_buf_reset(&imp->attrs);
	if ((st = crm_db_stmt(db, "SELECT key, CASE type WHEN 'true' THEN '1'"
	    " WHEN 'false' THEN '0' ELSE CAST(value AS TEXT) END, type"
	    " FROM json_each(?1)", err)) == NULL ||
	    crm_db_bind_text(db, st, 1, line, err) < 0)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		const char *k = crm_db_col_text(st, 0);
		const char *val = crm_db_col_text(st, 1);
		const char *type = crm_db_col_text(st, 2);
		size_t len;

		if (strcmp(type, "null") == 0)
			continue;
		f = json_field(k);
		if (f == F_ATTRS) {
			if (strcmp(type, "object") != 0) {
				crm_db_reset(st);
				return crm_error_set(err, CRM_EDATA, "%s: attrs"
				    " is not a JSON object",
				    crm_buf_str(&imp->where));
			}
			/* Its members as attributes. */
			if (imp->attrs.len)
				imp->attrs.s[0] = '{';
			if (crm_buf_adds(&imp->attrs, imp->attrs.len ? "," : "",
			    err) < 0 || crm_buf_add(&imp->attrs, val + 1,
			    strlen(val) - 2, err) < 0) {
				crm_db_reset(st);
				return -1;
			}
			if (imp->attrs.s[0] != '{') {
				crm_buf_reset(&imp->tmp);
				if (crm_buf_addc(&imp->tmp, '{', err) < 0 ||
				    crm_buf_adds(&imp->tmp, imp->attrs.s,
				    err) < 0) {
					crm_db_reset(st);
					return -1;
				}
				crm_buf_reset(&imp->attrs);
				crm_buf_adds(&imp->attrs, imp->tmp.s, err);
			}
			continue;
		}
		if (f < 0) {
			if (attr_add(imp, k, val, strcmp(type, "object") == 0 ||
			    strcmp(type, "array") == 0, err) < 0) {
				crm_db_reset(st);
				return -1;
			}
			continue;
		}
		val = crm_trim(val, &len);
		if (len == 0)
			continue;
		crm_buf_reset(&imp->tmp);
		if (crm_buf_add(&imp->tmp, val, len, err) < 0 ||
		    set_val(imp, f, imp->tmp.s, err) < 0) {
			crm_db_reset(st);
			return -1;
		}
	}
	if (rc < 0)
		return -1;
	if (imp->attrs.len && crm_buf_addc(&imp->attrs, '}', err) < 0)
		return -1;
	if (imp->attrs.len == 2)
		crm_buf_reset(&imp->attrs);
	return upsert_record(imp, err);
}

int
crm_account_importer_json(struct crm_account_importer *imp,
    const char *path, struct crm_error *err)
{
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;
	int rc = 0, isstdin = strcmp(path, "-") == 0;
	const char *name = isstdin ? "<stdin>" : path;

	if (isstdin)
		fp = stdin;
	else if ((fp = fopen(path, "r")) == NULL)
		return crm_error_set(err, CRM_EFAIL, "%s: %s", path,
		    strerror(errno));
	while ((n = getline(&line, &cap, fp)) > 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (crm_blank(line))
			continue;
		crm_buf_reset(&imp->where);
		if (crm_buf_addf(&imp->where, err, "%s:%ld", name,
		    lineno) < 0 ||
		    (size_t)n > CRM_CSV_RECORD_MAX ||
		    !crm_utf8_valid(line, (size_t)n)) {
			rc = crm_error_set(err, CRM_EDATA, "%s:%ld: record too"
			    " long or not UTF-8", name, lineno);
			break;
		}
		if ((rc = json_line(imp, line, err)) < 0)
			break;
	}
	if (rc == 0 && ferror(fp))
		rc = crm_error_set(err, CRM_EFAIL, "%s: %s", name,
		    strerror(errno));
	free(line);
	if (!isstdin)
		fclose(fp);
	return rc;
}

/* 1 if setting id's parent to parent would make a cycle. */
static int
makes_cycle(struct crm_db *db, int64_t id, int64_t parent, int *cycle,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int hops, rc;

	*cycle = 0;
	for (hops = 0; parent != 0 && hops < MAX_DEPTH; hops++) {
		if (parent == id) {
			*cycle = 1;
			return 0;
		}
		if ((st = crm_db_stmt(db, "SELECT parent_id FROM accounts"
		    " WHERE id = ?1", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, parent, err) < 0 ||
		    (rc = crm_db_step(db, st, err)) < 0)
			return -1;
		parent = rc == 1 ? crm_db_col_int(st, 0) : 0;
		crm_db_reset(st);
	}
	if (parent != 0)
		*cycle = 1;
	return 0;
}

int
crm_account_importer_finish(struct crm_account_importer *imp,
    struct crm_error *err)
{
	struct crm_db *db = imp->db;
	struct crm_stmt *st;
	size_t i;
	int64_t to, ispartner;
	int cycle;

	for (i = 0; i < imp->npend; i++) {
		struct pending *p = &imp->pend[i];

		if (crm_account_resolve(db, p->key, &to, err) < 0) {
			err->code = CRM_EDATA;
			return crm_error_prefix(err, "%s: %s", p->where,
			    p->what == F_PARENT ? "parent" : "partner");
		}
		if (p->what == F_PARENT) {
			if (makes_cycle(db, p->id, to, &cycle, err) < 0)
				return -1;
			if (cycle)
				return crm_error_set(err, CRM_EDATA,
				    "%s: parent '%s' would make a cycle of"
				    " parents", p->where, p->key);
			st = crm_db_stmt(db, "UPDATE accounts SET parent_id ="
			    " ?2, updated_at = ?3 WHERE id = ?1 AND"
			    " parent_id IS DISTINCT FROM ?2", err);
		} else {
			if ((st = crm_db_stmt(db, "SELECT " ACCOUNT_IS_PARTNER
			    " FROM accounts WHERE id = ?1", err)) == NULL ||
			    crm_db_bind_int(db, st, 1, to, err) < 0 ||
			    crm_db_step(db, st, err) < 0)
				return -1;
			ispartner = crm_db_col_int(st, 0);
			crm_db_reset(st);
			if (!ispartner)
				return crm_error_set(err, CRM_EDATA,
				    "%s: partner '%s' is not a reseller,"
				    " agency, referrer or affiliate", p->where,
				    p->key);
			st = crm_db_stmt(db, "UPDATE accounts SET partner_id ="
			    " ?2, updated_at = ?3 WHERE id = ?1 AND"
			    " partner_id IS DISTINCT FROM ?2", err);
		}
		if (st == NULL || crm_db_bind_int(db, st, 1, p->id, err) < 0 ||
		    crm_db_bind_int(db, st, 2, to, err) < 0 ||
		    crm_db_bind_int(db, st, 3, imp->now, err) < 0 ||
		    crm_db_step(db, st, err) < 0)
			return -1;
		/* An unchanged record whose parent changed was updated. */
		if (crm_db_changes(db) > 0 && imp->st.unchanged > 0) {
			imp->st.unchanged--;
			imp->st.updated++;
		}
	}
	return 0;
}

int
crm_account_json_input(const char *path, int json)
{
	size_t n = strlen(path);

	return json || (n > 5 && strcmp(path + n - 5, ".json") == 0) ||
	    (n > 6 && strcmp(path + n - 6, ".jsonl") == 0);
}

int
crm_account_json_inputs(int argc, char *const *argv, int json)
{
	int i;

	for (i = 0; i < (argc ? argc : 1); i++)
		if (crm_account_json_input(argc ? argv[i] : "-", json))
			return 1;
	return 0;
}

int
crm_account_share(const char *s, double *v, struct crm_error *err)
{
	char *end;
	double x = strtod(s, &end);

	if (end == s || *end != '\0' || !(x > 0 && x <= 1))
		return crm_error_set(err, CRM_EUSAGE, "'%s' is not in (0, 1]",
		    s);
	*v = x;
	return 0;
}
