/*
 * account.c - accounts: the schema, matching keys, import, linking people,
 * duplicates and merges.  Reports are in account-report.c.
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

/*
 * The tables.  Every reference to accounts says what happens when the
 * account is deleted, because crm-forget deletes a sole trader's account
 * (person_id refers to contacts): its people's rows, merge log and merged
 * duplicates go with it, subsidiaries and sourced accounts stay.
 * IF NOT EXISTS: a database set back to an older version (as a test
 * of an earlier upgrade does) runs this again.
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
	"CREATE UNIQUE INDEX IF NOT EXISTS account_contacts_current"
	"  ON account_contacts(contact_id) WHERE ended_at IS NULL;"
	"CREATE TABLE IF NOT EXISTS contact_partners ("
	"  contact_id INTEGER PRIMARY KEY REFERENCES contacts(id),"
	"  partner_id INTEGER NOT NULL REFERENCES accounts(id)"
	"    ON DELETE CASCADE,"
	"  set_at INTEGER NOT NULL"
	");"
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

#define MAX_DEPTH 64

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

/* The one account sql (?1 = value) finds: 0 if none, -1 if several. */
static int
lookup1(struct crm_db *db, const char *sql, const char *v, int64_t *id,
    struct crm_error *err)
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
static const char sql_by_domain[] =
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
	} else if ((many = lookup1(db, sql_by_ext, b.s, id, err)) < 0)
		goto done;
	if (*id == 0) {
		crm_buf_reset(&b);
		if (crm_account_domain(s, &b, NULL) == 0 &&
		    (many = lookup1(db, sql_by_domain, b.s, id, err)) < 0)
			goto done;
	}
	if (*id == 0 && !many) {
		crm_buf_reset(&b);
		if (crm_account_name_key(s, &b, err) < 0 ||
		    (many = lookup1(db, sql_by_key, crm_buf_str(&b), id,
		    err)) < 0)
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
	int64_t id = 0, person = 0, merged = 0;
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
		if ((many = lookup1(db, sql_by_ext, v[F_EXT], &id, err)) < 0)
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
		if ((many = lookup1(db, sql_by_domain, dom.s, &id, err)) < 0)
			goto done;
	} else if (key.len) {
		if ((many = lookup1(db, sql_by_key, key.s, &id, err)) < 0)
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
	(void)merged;

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
		    " OR coalesce(?3, name) IS NOT name"
		    " OR coalesce(?5, domain) IS NOT domain"
		    " OR coalesce(?6, industry) IS NOT industry"
		    " OR coalesce(?7, size) IS NOT size"
		    " OR coalesce(?8, country) IS NOT country"
		    " OR coalesce(?9, owner) IS NOT owner"
		    " OR coalesce(?10, type) IS NOT type"
		    " OR coalesce(?11, person_id) IS NOT person_id"
		    " OR (?12 IS NOT NULL AND json_patch(coalesce(attrs, '{}'),"
		    " ?12) IS NOT attrs))", err)) == NULL ||
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
 * Run upsert inside a savepoint, so that a bad record leaves nothing of
 * itself behind (for --rejects).
 */
static int
upsert_record(struct crm_account_importer *imp, struct crm_error *err)
{
	struct crm_error e2;
	int64_t ins = imp->st.inserted, upd = imp->st.updated;
	int64_t unch = imp->st.unchanged;

	imp->st.read++;
	if (crm_db_exec(imp->db, "SAVEPOINT account_row", err) < 0)
		return -1;
	if (upsert(imp, err) == 0)
		return crm_db_exec(imp->db, "RELEASE account_row", err);
	crm_error_clear(&e2);
	crm_db_exec(imp->db, "ROLLBACK TO account_row", &e2);
	crm_db_exec(imp->db, "RELEASE account_row", &e2);
	imp->st.inserted = ins;
	imp->st.updated = upd;
	imp->st.unchanged = unch;
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
		if (crm_buf_addf(&imp->where, err, "%s:%ld", name, lineno) < 0 ||
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
				return crm_error_set(err, CRM_EDATA, "%s: parent"
				    " '%s' would make a cycle of parents",
				    p->where, p->key);
			st = crm_db_stmt(db, "UPDATE accounts SET parent_id ="
			    " ?2, updated_at = ?3 WHERE id = ?1 AND"
			    " parent_id IS NOT ?2", err);
		} else {
			if ((st = crm_db_stmt(db, "SELECT " ACCOUNT_IS_PARTNER
			    " FROM accounts WHERE id = ?1", err)) == NULL ||
			    crm_db_bind_int(db, st, 1, to, err) < 0 ||
			    crm_db_step(db, st, err) < 0)
				return -1;
			ispartner = crm_db_col_int(st, 0);
			crm_db_reset(st);
			if (!ispartner)
				return crm_error_set(err, CRM_EDATA, "%s: partner"
				    " '%s' is not a reseller, agency, referrer"
				    " or affiliate", p->where, p->key);
			st = crm_db_stmt(db, "UPDATE accounts SET partner_id ="
			    " ?2, updated_at = ?3 WHERE id = ?1 AND"
			    " partner_id IS NOT ?2", err);
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

/* Linking people. */

enum {
	L_CONTACT, L_EXT, L_EMAIL, L_ACCOUNT, L_ROLE, L_TITLE, L_SINCE,
	L_PARTNER, NL
};

static const struct crm_csv_col link_cols[NL] = {
	{ "contact", "contact_key|contact_id" },
	{ "external_id", "customer_id|contact_external_id" },
	{ "email", "e_mail|email_address" },
	{ "account", "account_key|account_external_id|account_domain|"
	    "company_domain" },
	{ "role", "account_role" },
	{ "title", "job_title|position" },
	{ "since", "started|started_at|start_date" },
	{ "partner", "sourced_by|partner_key|referred_by" },
};

struct crm_account_linker {
	struct crm_db *db;
	struct crm_link_stats st;
	int idx[NL];
	int64_t now;
};

struct crm_account_linker *
crm_account_linker_new(struct crm_db *db, struct crm_error *err)
{
	struct crm_account_linker *l;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	l->db = db;
	l->now = crm_now();
	return l;
}

void
crm_account_linker_free(struct crm_account_linker *l)
{
	free(l);
}

const struct crm_link_stats *
crm_account_linker_stats(const struct crm_account_linker *l)
{
	return &l->st;
}

int
crm_account_linker_header(struct crm_account_linker *l, struct crm_csv *r,
    struct crm_error *err)
{
	if (crm_csv_header(r, link_cols, NL, l->idx, err) < 0)
		return -1;
	if (l->idx[L_CONTACT] < 0 && l->idx[L_EXT] < 0 && l->idx[L_EMAIL] < 0)
		return crm_error_set(err, CRM_EDATA, "%s: no contact,"
		    " external_id or email column", crm_csv_name(r));
	if (l->idx[L_ACCOUNT] < 0 && l->idx[L_PARTNER] < 0)
		return crm_error_set(err, CRM_EDATA, "%s: no account or partner"
		    " column", crm_csv_name(r));
	return 0;
}

/*
 * Contact c works at account a (since: 0 if unknown).  *what: 0
 * unchanged, 1 linked, 2 moved, 3 updated.
 */
static int
employ(struct crm_account_linker *l, int64_t c, int64_t a, const char *role,
    const char *title, int64_t since, int *what, struct crm_error *err)
{
	struct crm_db *db = l->db;
	struct crm_stmt *st;
	int64_t cur = 0, cur_acc = 0, cur_start = 0;
	int rc, has_start = 0;

	*what = 0;
	if ((st = crm_db_stmt(db, "SELECT id, account_id, started_at FROM"
	    " account_contacts WHERE contact_id = ?1 AND ended_at IS NULL",
	    err)) == NULL || crm_db_bind_int(db, st, 1, c, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 1) {
		cur = crm_db_col_int(st, 0);
		cur_acc = crm_db_col_int(st, 1);
		has_start = !crm_db_col_isnull(st, 2);
		cur_start = crm_db_col_int(st, 2);
		crm_db_reset(st);
	}
	if (cur != 0 && cur_acc == a) {
		if ((st = crm_db_stmt(db, "UPDATE account_contacts SET"
		    " role = coalesce(?2, role), title = coalesce(?3, title)"
		    " WHERE id = ?1 AND (coalesce(?2, role) IS NOT role OR"
		    " coalesce(?3, title) IS NOT title)", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, cur, err) < 0 ||
		    crm_db_bind_text(db, st, 2, role, err) < 0 ||
		    crm_db_bind_text(db, st, 3, title, err) < 0 ||
		    crm_db_step(db, st, err) < 0)
			return -1;
		*what = crm_db_changes(db) > 0 ? 3 : 0;
		return 0;
	}
	/* The same job recorded before (a re-run of an older file). */
	if ((st = crm_db_stmt(db, "SELECT 1 FROM account_contacts WHERE"
	    " contact_id = ?1 AND account_id = ?2 AND ended_at IS NOT NULL"
	    " AND (?3 IS NULL OR started_at = ?3) LIMIT 1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, c, err) < 0 ||
	    crm_db_bind_int(db, st, 2, a, err) < 0 ||
	    (since ? crm_db_bind_int(db, st, 3, since, err) :
	    crm_db_bind_null(db, st, 3, err)) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 1) {
		crm_db_reset(st);
		return 0;
	}
	if (cur != 0 && since && has_start && since < cur_start) {
		/* Older news: a job before the current one. */
		if ((st = crm_db_stmt(db, "INSERT INTO account_contacts"
		    " (account_id, contact_id, role, title, started_at,"
		    " ended_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
		    " ?7)", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, a, err) < 0 ||
		    crm_db_bind_int(db, st, 2, c, err) < 0 ||
		    crm_db_bind_text(db, st, 3, role, err) < 0 ||
		    crm_db_bind_text(db, st, 4, title, err) < 0 ||
		    crm_db_bind_int(db, st, 5, since, err) < 0 ||
		    crm_db_bind_int(db, st, 6, cur_start, err) < 0 ||
		    crm_db_bind_int(db, st, 7, l->now, err) < 0 ||
		    crm_db_step(db, st, err) < 0)
			return -1;
		*what = 1;
		return 0;
	}
	if (cur != 0) {
		if ((st = crm_db_stmt(db, "UPDATE account_contacts SET"
		    " ended_at = ?2 WHERE id = ?1", err)) == NULL ||
		    crm_db_bind_int(db, st, 1, cur, err) < 0 ||
		    crm_db_bind_int(db, st, 2, since ? since : l->now,
		    err) < 0 ||
		    crm_db_step(db, st, err) < 0)
			return -1;
		if (!since)
			since = l->now;
	}
	if ((st = crm_db_stmt(db, "INSERT INTO account_contacts (account_id,"
	    " contact_id, role, title, started_at, created_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, a, err) < 0 ||
	    crm_db_bind_int(db, st, 2, c, err) < 0 ||
	    crm_db_bind_text(db, st, 3, role, err) < 0 ||
	    crm_db_bind_text(db, st, 4, title, err) < 0 ||
	    (since ? crm_db_bind_int(db, st, 5, since, err) :
	    crm_db_bind_null(db, st, 5, err)) < 0 ||
	    crm_db_bind_int(db, st, 6, l->now, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	*what = cur != 0 ? 2 : 1;
	return 0;
}

static const char *
field(struct crm_csv *r, int i, struct crm_buf *b, struct crm_error *err)
{
	const char *s;
	size_t len;

	if (i < 0)
		return NULL;
	s = crm_trim(crm_csv_field(r, i), &len);
	crm_buf_reset(b);
	if (len == 0 || crm_buf_add(b, s, len, err) < 0)
		return NULL;
	return b->s;
}

static int
link_row(struct crm_account_linker *l, struct crm_csv *r,
    struct crm_error *err)
{
	struct crm_buf b[NL];
	const char *v[NL], *ckey;
	int64_t c = 0, a = 0, p = 0, since = 0, ispartner;
	struct crm_stmt *st;
	int i, what = 0, rc = -1, changed = 0;

	for (i = 0; i < NL; i++) {
		crm_buf_init(&b[i], CRM_CSV_FIELD_MAX);
		v[i] = field(r, l->idx[i], &b[i], err);
	}
	ckey = v[L_CONTACT] != NULL ? v[L_CONTACT] : v[L_EXT] != NULL ?
	    v[L_EXT] : v[L_EMAIL];
	if (v[L_ACCOUNT] == NULL && v[L_PARTNER] == NULL) {
		l->st.unchanged++;
		rc = 0;
		goto done;
	}
	if (ckey == NULL) {
		crm_error_set(err, CRM_EDATA, "no contact key");
		goto done;
	}
	if (crm_contact_resolve(l->db, ckey, NULL, &c, err) < 0 ||
	    (v[L_ACCOUNT] != NULL && crm_account_resolve(l->db, v[L_ACCOUNT],
	    &a, err) < 0) ||
	    (v[L_PARTNER] != NULL && crm_account_resolve(l->db, v[L_PARTNER],
	    &p, err) < 0) ||
	    (v[L_SINCE] != NULL && crm_norm_datetime(v[L_SINCE], &since,
	    err) < 0)) {
		err->code = CRM_EDATA;
		goto done;
	}
	if (a != 0) {
		if (employ(l, c, a, v[L_ROLE], v[L_TITLE], since, &what,
		    err) < 0)
			goto done;
		changed = what;
		if (what == 1)
			l->st.linked++;
		else if (what == 2)
			l->st.moved++;
	}
	if (p != 0) {
		if ((st = crm_db_stmt(l->db, "SELECT " ACCOUNT_IS_PARTNER
		    " FROM accounts WHERE id = ?1", err)) == NULL ||
		    crm_db_bind_int(l->db, st, 1, p, err) < 0 ||
		    crm_db_step(l->db, st, err) < 0)
			goto done;
		ispartner = crm_db_col_int(st, 0);
		crm_db_reset(st);
		if (!ispartner) {
			crm_error_set(err, CRM_EDATA, "partner '%s' is not a"
			    " reseller, agency, referrer or affiliate",
			    v[L_PARTNER]);
			goto done;
		}
		if ((st = crm_db_stmt(l->db, "INSERT INTO contact_partners"
		    " (contact_id, partner_id, set_at) VALUES (?1, ?2, ?3)"
		    " ON CONFLICT (contact_id) DO UPDATE SET"
		    " partner_id = excluded.partner_id, set_at = excluded.set_at"
		    " WHERE partner_id IS NOT excluded.partner_id", err)) == NULL ||
		    crm_db_bind_int(l->db, st, 1, c, err) < 0 ||
		    crm_db_bind_int(l->db, st, 2, p, err) < 0 ||
		    crm_db_bind_int(l->db, st, 3, l->now, err) < 0 ||
		    crm_db_step(l->db, st, err) < 0)
			goto done;
		if (crm_db_changes(l->db) > 0 && changed == 0)
			changed = 3;
	}
	if (changed == 3)
		l->st.updated++;
	else if (changed == 0)
		l->st.unchanged++;
	rc = 0;
done:
	for (i = 0; i < NL; i++)
		crm_buf_release(&b[i]);
	return rc;
}

int
crm_account_linker_row(struct crm_account_linker *l, struct crm_csv *r,
    struct crm_error *err)
{
	struct crm_error e2;

	l->st.read++;
	if (crm_db_exec(l->db, "SAVEPOINT link_row", err) < 0)
		return -1;
	if (link_row(l, r, err) == 0)
		return crm_db_exec(l->db, "RELEASE link_row", err);
	crm_error_clear(&e2);
	crm_db_exec(l->db, "ROLLBACK TO link_row", &e2);
	crm_db_exec(l->db, "RELEASE link_row", &e2);
	if (err->code == CRM_EDATA)
		l->st.rejected++;
	return crm_error_prefix(err, "%s:%ld", crm_csv_name(r),
	    crm_csv_line(r));
}

struct pend_link {
	int64_t contact;
	char *domain;
};

int
crm_account_link_domains(struct crm_account_linker *l, struct crm_error *err)
{
	struct crm_db *db = l->db;
	struct pend_link *pl = NULL, *np;
	size_t n = 0, alloc = 0, i;
	struct crm_stmt *st;
	const char *d;
	int64_t a;
	int rc, many, what;

	/* Collected first: the links change what the query would see. */
	if ((st = crm_db_stmt(db, "SELECT c.id, substr(c.email,"
	    " instr(c.email, '@') + 1) FROM contacts c WHERE c.email IS NOT"
	    " NULL AND c.erased_at IS NULL AND c.merged_into IS NULL AND NOT"
	    " EXISTS (SELECT 1 FROM account_contacts ac WHERE"
	    " ac.contact_id = c.id AND ac.ended_at IS NULL) ORDER BY c.id",
	    err)) == NULL)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			if ((np = reallocarray(pl, alloc, sizeof(*pl))) ==
			    NULL) {
				crm_db_reset(st);
				rc = crm_error_set(err, CRM_EFAIL,
				    "out of memory");
				goto done;
			}
			pl = np;
		}
		pl[n].contact = crm_db_col_int(st, 0);
		if ((pl[n].domain = strdup(crm_db_col_text(st, 1))) == NULL) {
			crm_db_reset(st);
			rc = crm_error_set(err, CRM_EFAIL, "out of memory");
			goto done;
		}
		n++;
	}
	if (rc < 0)
		goto done;
	for (i = 0; i < n; i++) {
		l->st.read++;
		if (crm_account_freemail(pl[i].domain)) {
			l->st.skipped++;
			continue;
		}
		/* The domain, then each parent domain of two labels or more. */
		a = 0;
		many = 0;
		for (d = pl[i].domain; d != NULL && strchr(d, '.') != NULL;
		    d = strchr(d, '.') != NULL ? strchr(d, '.') + 1 : NULL) {
			if ((many = lookup1(db, sql_by_domain, d, &a, err)) < 0) {
				rc = -1;
				goto done;
			}
			if (a != 0 || many)
				break;
		}
		if (a == 0 || many) {
			l->st.skipped++;
			continue;
		}
		if ((rc = employ(l, pl[i].contact, a, NULL, NULL, 0, &what,
		    err)) < 0)
			goto done;
		if (what == 1)
			l->st.linked++;
		else
			l->st.unchanged++;
	}
	rc = 0;
done:
	for (i = 0; i < n; i++)
		free(pl[i].domain);
	free(pl);
	return rc;
}

/* Duplicates. */

struct dacc {
	int64_t id, parent;
	char *name, *key, *domain, *first;
};

struct dpair {
	int64_t a, b;
	double score;
	int reason;	/* 0 domain, 1 name, 2 similar name */
};

static const char *const reasons[] = { "domain", "name", "similar name" };

static int
cmp_pair(const void *x, const void *y)
{
	const struct dpair *p = x, *q = y;

	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	if (p->b != q->b)
		return p->b < q->b ? -1 : 1;
	return p->reason - q->reason;
}

static const struct dacc *sort_accs;
static int sort_by;

static int
cmp_idx(const void *x, const void *y)
{
	const struct dacc *p = &sort_accs[*(const size_t *)x];
	const struct dacc *q = &sort_accs[*(const size_t *)y];
	const char *s = sort_by == 0 ? p->domain : sort_by == 1 ? p->key :
	    p->first;
	const char *t = sort_by == 0 ? q->domain : sort_by == 1 ? q->key :
	    q->first;
	int c = strcmp(s ? s : "", t ? t : "");

	return c != 0 ? c : (p->id < q->id ? -1 : p->id > q->id);
}

static const struct dacc *
dacc_find(const struct dacc *acc, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (acc[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && acc[lo].id == id ? &acc[lo] : NULL;
}

/* 1 if one of x and y is above the other in the hierarchy. */
static int
related(const struct dacc *acc, size_t n, const struct dacc *x,
    const struct dacc *y)
{
	const struct dacc *p;
	int hops, k;

	for (k = 0; k < 2; k++) {
		const struct dacc *from = k ? y : x, *to = k ? x : y;

		for (p = from, hops = 0; p != NULL && p->parent != 0 &&
		    hops < MAX_DEPTH; hops++) {
			if (p->parent == to->id)
				return 1;
			p = dacc_find(acc, n, p->parent);
		}
	}
	return 0;
}

#define GROUP_MAX 200	/* pairs are looked for within groups this big */

int
crm_account_dupes(struct crm_db *db, double min_score, struct crm_out *o,
    int64_t *npairs, struct crm_error *err)
{
	static const char *const names[] = { "survivor_id", "merged_id",
	    "survivor_name", "merged_name", "score", "reason" };
	static const enum crm_coltype types[] = { CRM_COL_NUM, CRM_COL_NUM,
	    CRM_COL_TEXT, CRM_COL_TEXT, CRM_COL_NUM, CRM_COL_TEXT };
	struct dacc *acc = NULL, *na;
	struct dpair *pairs = NULL, *np;
	size_t n = 0, alloc = 0, npair = 0, apair = 0, *ix = NULL, i, j, k, g;
	struct crm_stmt *st;
	int rc = -1, by;

	*npairs = 0;
	if ((st = crm_db_stmt(db, "SELECT id, name, name_key, domain,"
	    " parent_id FROM accounts WHERE merged_into IS NULL ORDER BY id",
	    err)) == NULL)
		return -1;
	while ((rc = crm_db_step(db, st, err)) == 1) {
		const char *key = crm_db_col_text(st, 2), *sp;

		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			if ((na = reallocarray(acc, alloc, sizeof(*acc))) ==
			    NULL) {
				crm_db_reset(st);
				crm_error_set(err, CRM_EFAIL, "out of memory");
				rc = -1;
				goto done;
			}
			acc = na;
		}
		memset(&acc[n], 0, sizeof(acc[n]));
		acc[n].id = crm_db_col_int(st, 0);
		acc[n].parent = crm_db_col_int(st, 4);
		sp = strchr(key, ' ');
		if ((acc[n].name = strdup(crm_db_col_text(st, 1))) == NULL ||
		    (acc[n].key = strdup(key)) == NULL ||
		    (acc[n].first = strndup(key, sp ? (size_t)(sp - key) :
		    strlen(key))) == NULL ||
		    (!crm_db_col_isnull(st, 3) && (acc[n].domain =
		    strdup(crm_db_col_text(st, 3))) == NULL)) {
			n++;
			crm_db_reset(st);
			crm_error_set(err, CRM_EFAIL, "out of memory");
			rc = -1;
			goto done;
		}
		n++;
	}
	if (rc < 0)
		goto done;
	rc = -1;
	if (n > 0 && (ix = calloc(n, sizeof(*ix))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		goto done;
	}
	sort_accs = acc;
	for (by = 0; by < 3; by++) {
		for (i = 0; i < n; i++)
			ix[i] = i;
		sort_by = by;
		qsort(ix, n, sizeof(*ix), cmp_idx);
		for (i = 0; i < n; i = j) {
			const struct dacc *p = &acc[ix[i]];
			const char *gk = by == 0 ? p->domain : by == 1 ? p->key :
			    p->first;

			for (j = i + 1; j < n; j++) {
				const struct dacc *q = &acc[ix[j]];
				const char *qk = by == 0 ? q->domain : by == 1 ?
				    q->key : q->first;

				if (gk == NULL || qk == NULL ||
				    strcmp(gk, qk) != 0)
					break;
			}
			if (gk == NULL || *gk == '\0' || j - i < 2 ||
			    j - i > GROUP_MAX)
				continue;
			for (g = i; g < j; g++)
				for (k = g + 1; k < j; k++) {
					const struct dacc *x = &acc[ix[g]];
					const struct dacc *y = &acc[ix[k]];
					double s = 1;

					/* A subsidiary often has its
					 * parent's name: not a duplicate. */
					if (related(acc, n, x, y))
						continue;
					if (by == 2) {
						s = crm_match_jw_str(x->key,
						    y->key);
						if (s < min_score ||
						    strcmp(x->key, y->key) == 0)
							continue;
					}
					if (npair == apair) {
						apair = apair ? apair * 2 : 256;
						if ((np = reallocarray(pairs,
						    apair, sizeof(*np))) ==
						    NULL) {
							crm_error_set(err,
							    CRM_EFAIL, "out of"
							    " memory");
							goto done;
						}
						pairs = np;
					}
					pairs[npair].a = x->id < y->id ? x->id :
					    y->id;
					pairs[npair].b = x->id < y->id ? y->id :
					    x->id;
					pairs[npair].score = s;
					pairs[npair].reason = by;
					npair++;
				}
		}
	}
	if (npair > 0)
		qsort(pairs, npair, sizeof(*pairs), cmp_pair);
	if (crm_out_header(o, names, types, 6, err) < 0)
		goto done;
	for (i = 0; i < npair; i++) {
		char sa[24], sb[24], sc[16];
		const char *vals[6];
		const struct dacc *x = NULL, *y = NULL;
		size_t lo, hi;

		if (i > 0 && pairs[i].a == pairs[i - 1].a &&
		    pairs[i].b == pairs[i - 1].b)
			continue;
		/* acc is in id order: find both by bisection. */
		for (k = 0; k < 2; k++) {
			int64_t want = k == 0 ? pairs[i].a : pairs[i].b;

			lo = 0;
			hi = n;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;

				if (acc[mid].id < want)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (k == 0)
				x = &acc[lo];
			else
				y = &acc[lo];
		}
		snprintf(sa, sizeof(sa), "%lld", (long long)pairs[i].a);
		snprintf(sb, sizeof(sb), "%lld", (long long)pairs[i].b);
		snprintf(sc, sizeof(sc), "%.4f", pairs[i].score);
		vals[0] = sa;
		vals[1] = sb;
		vals[2] = x->name;
		vals[3] = y->name;
		vals[4] = sc;
		vals[5] = reasons[pairs[i].reason];
		if (crm_out_row(o, vals, err) < 0)
			goto done;
		(*npairs)++;
	}
	rc = 0;
done:
	for (i = 0; i < n; i++) {
		free(acc[i].name);
		free(acc[i].key);
		free(acc[i].domain);
		free(acc[i].first);
	}
	free(acc);
	free(pairs);
	free(ix);
	return rc;
}

/* Merges. */

#define SNAP_COLS "'name', name, 'name_key', name_key, 'domain', domain," \
	" 'industry', industry, 'size', size, 'country', country," \
	" 'owner', owner, 'type', type, 'parent_id', parent_id," \
	" 'partner_id', partner_id, 'person_id', person_id, 'attrs', attrs," \
	" 'updated_at', updated_at"

int
crm_account_related(struct crm_db *db, int64_t a, int64_t b,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int k, rc;

	for (k = 0; k < 2; k++) {
		if ((st = crm_db_stmt(db, "WITH RECURSIVE up(id, n) AS (SELECT"
		    " parent_id, 0 FROM accounts WHERE id = ?1 UNION ALL SELECT"
		    " a.parent_id, n + 1 FROM accounts a JOIN up ON a.id = up.id"
		    " WHERE n < 64) SELECT 1 FROM up WHERE id = ?2 LIMIT 1",
		    err)) == NULL ||
		    crm_db_bind_int(db, st, 1, k ? b : a, err) < 0 ||
		    crm_db_bind_int(db, st, 2, k ? a : b, err) < 0 ||
		    (rc = crm_db_step(db, st, err)) < 0)
			return -1;
		if (rc == 1) {
			crm_db_reset(st);
			return 1;
		}
	}
	return 0;
}

int
crm_account_merge(struct crm_db *db, int64_t survivor, int64_t merged,
    int64_t *merge_id, struct crm_error *err)
{
	struct crm_stmt *st;
	int64_t now = crm_now(), s, m;
	int rc;

	if (crm_account_root(db, survivor, &s, err) < 0 ||
	    crm_account_root(db, merged, &m, err) < 0)
		return -1;
	if (m != merged)
		return crm_error_set(err, CRM_EDATA, "account #%lld was merged"
		    " into #%lld before", (long long)merged, (long long)m);
	if (s == m)
		return crm_error_set(err, CRM_EDATA, "account #%lld: cannot"
		    " merge an account into itself", (long long)m);
	/* Refuse when the merged account is above the survivor. */
	if ((st = crm_db_stmt(db, "WITH RECURSIVE up(id, n) AS (SELECT"
	    " parent_id, 0 FROM accounts WHERE id = ?1 UNION ALL SELECT"
	    " a.parent_id, n + 1 FROM accounts a JOIN up ON a.id = up.id"
	    " WHERE n < 64) SELECT 1 FROM up WHERE id = ?2 LIMIT 1",
	    err)) == NULL || crm_db_bind_int(db, st, 1, s, err) < 0 ||
	    crm_db_bind_int(db, st, 2, m, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 1) {
		crm_db_reset(st);
		return crm_error_set(err, CRM_EDATA, "account #%lld is a parent"
		    " of #%lld: merge the other way", (long long)m,
		    (long long)s);
	}
	if ((st = crm_db_stmt(db, "INSERT INTO account_merges (at,"
	    " survivor_id, merged_id, before) SELECT ?3, ?1, ?2,"
	    " json_object('survivor', (SELECT json_object(" SNAP_COLS ")"
	    " FROM accounts WHERE id = ?1),"
	    " 'people', (SELECT json_group_array(id) FROM account_contacts"
	    " WHERE account_id = ?2),"
	    " 'children', (SELECT json_group_array(id) FROM accounts"
	    " WHERE parent_id = ?2),"
	    " 'sourced', (SELECT json_group_array(id) FROM accounts"
	    " WHERE partner_id = ?2),"
	    " 'contacts', (SELECT json_group_array(contact_id) FROM"
	    " contact_partners WHERE partner_id = ?2))", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, s, err) < 0 ||
	    crm_db_bind_int(db, st, 2, m, err) < 0 ||
	    crm_db_bind_int(db, st, 3, now, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	*merge_id = crm_db_last_id(db);
	/* Survivorship: the survivor's values, its gaps filled. */
	if ((st = crm_db_stmt(db, "UPDATE accounts SET"
	    " domain = coalesce(accounts.domain, m.domain),"
	    " industry = coalesce(accounts.industry, m.industry),"
	    " size = coalesce(accounts.size, m.size),"
	    " country = coalesce(accounts.country, m.country),"
	    " owner = coalesce(accounts.owner, m.owner),"
	    " type = coalesce(accounts.type, m.type),"
	    " partner_id = coalesce(accounts.partner_id, m.partner_id),"
	    " person_id = coalesce(accounts.person_id, m.person_id),"
	    " parent_id = coalesce(accounts.parent_id, CASE WHEN m.parent_id NOT IN"
	    "  (WITH RECURSIVE down(id) AS (VALUES (?1) UNION SELECT a.id"
	    "  FROM accounts a JOIN down ON a.parent_id = down.id)"
	    "  SELECT id FROM down) THEN m.parent_id END),"
	    " attrs = CASE WHEN m.attrs IS NULL THEN accounts.attrs ELSE"
	    "  json_patch(m.attrs, coalesce(accounts.attrs, '{}')) END,"
	    " updated_at = ?3"
	    " FROM (SELECT * FROM accounts WHERE id = ?2) AS m"
	    " WHERE accounts.id = ?1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, s, err) < 0 ||
	    crm_db_bind_int(db, st, 2, m, err) < 0 ||
	    crm_db_bind_int(db, st, 3, now, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	if ((st = crm_db_stmt(db, "UPDATE account_contacts SET account_id = ?1"
	    " WHERE account_id = ?2", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, s, err) < 0 ||
	    crm_db_bind_int(db, st, 2, m, err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE accounts SET parent_id = ?1,"
	    " updated_at = ?3 WHERE parent_id = ?2", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, s, err) < 0 ||
	    crm_db_bind_int(db, st, 2, m, err) < 0 ||
	    crm_db_bind_int(db, st, 3, now, err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE accounts SET partner_id = ?1,"
	    " updated_at = ?3 WHERE partner_id = ?2", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, s, err) < 0 ||
	    crm_db_bind_int(db, st, 2, m, err) < 0 ||
	    crm_db_bind_int(db, st, 3, now, err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE contact_partners SET partner_id = ?1"
	    " WHERE partner_id = ?2", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, s, err) < 0 ||
	    crm_db_bind_int(db, st, 2, m, err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE accounts SET merged_into = ?1,"
	    " updated_at = ?3 WHERE id = ?2", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, s, err) < 0 ||
	    crm_db_bind_int(db, st, 2, m, err) < 0 ||
	    crm_db_bind_int(db, st, 3, now, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	return 0;
}

int
crm_account_unmerge(struct crm_db *db, int64_t merged, int64_t *merge_id,
    int64_t *survivor, struct crm_error *err)
{
	struct crm_stmt *st;
	int64_t id, s, later;
	int rc;

	if ((st = crm_db_stmt(db, "SELECT id, survivor_id FROM account_merges"
	    " WHERE merged_id = ?1 AND undone_at IS NULL ORDER BY id DESC"
	    " LIMIT 1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, merged, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 0)
		return crm_error_set(err, CRM_EDATA, "account #%lld is not"
		    " merged into another", (long long)merged);
	id = crm_db_col_int(st, 0);
	s = crm_db_col_int(st, 1);
	crm_db_reset(st);
	if ((st = crm_db_stmt(db, "SELECT id FROM account_merges WHERE"
	    " id > ?1 AND undone_at IS NULL AND (survivor_id = ?2 OR"
	    " merged_id = ?2) ORDER BY id DESC LIMIT 1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, s, err) < 0 ||
	    (rc = crm_db_step(db, st, err)) < 0)
		return -1;
	if (rc == 1) {
		later = crm_db_col_int(st, 0);
		crm_db_reset(st);
		crm_error_set(err, CRM_EDATA, "account #%lld: merge %lld"
		    " into #%lld came later; undo it first",
		    (long long)merged, (long long)later, (long long)s);
		return 1;
	}
#define SNAP(c) " " c " = json_extract(b.before, '$.survivor." c "'),"
	if ((st = crm_db_stmt(db, "UPDATE accounts SET"
	    SNAP("name") SNAP("name_key") SNAP("domain") SNAP("industry")
	    SNAP("size") SNAP("country") SNAP("owner") SNAP("type")
	    SNAP("parent_id") SNAP("partner_id") SNAP("person_id")
	    " attrs = json_extract(b.before, '$.survivor.attrs'),"
	    " updated_at = json_extract(b.before, '$.survivor.updated_at')"
	    " FROM (SELECT before FROM account_merges WHERE id = ?1) AS b"
	    " WHERE accounts.id = ?2", err)) == NULL ||
#undef SNAP
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, s, err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE account_contacts SET account_id = ?2"
	    " WHERE id IN (SELECT value FROM account_merges, json_each(before,"
	    " '$.people') WHERE account_merges.id = ?1)", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, merged, err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE accounts SET parent_id = ?2"
	    " WHERE id IN (SELECT value FROM account_merges, json_each(before,"
	    " '$.children') WHERE account_merges.id = ?1)", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, merged, err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE accounts SET partner_id = ?2"
	    " WHERE id IN (SELECT value FROM account_merges, json_each(before,"
	    " '$.sourced') WHERE account_merges.id = ?1)", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, merged, err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE contact_partners SET partner_id = ?2"
	    " WHERE contact_id IN (SELECT value FROM account_merges,"
	    " json_each(before, '$.contacts') WHERE account_merges.id = ?1)",
	    err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, merged, err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE accounts SET merged_into = NULL"
	    " WHERE id = ?1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, merged, err) < 0 ||
	    crm_db_step(db, st, err) < 0 ||
	    (st = crm_db_stmt(db, "UPDATE account_merges SET undone_at = ?2"
	    " WHERE id = ?1", err)) == NULL ||
	    crm_db_bind_int(db, st, 1, id, err) < 0 ||
	    crm_db_bind_int(db, st, 2, crm_now(), err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		return -1;
	*merge_id = id;
	*survivor = s;
	return 0;
}
