#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "account.h"
#include "buf.h"
#include "contact.h"
#include "db.h"
#include "db-int.h"
#include "deal.h"
#include "interaction.h"
#include "mem.h"
#include "norm.h"
#include "product.h"
#include "rate.h"
#include "service.h"
#include "task.h"

#define CACHE_MB	64	/* the page cache of each connection */

/*
 * A statement of either engine: SQLite's, or PostgreSQL's (db-pg.c) when
 * pg is set.
 */
struct crm_stmt {
	sqlite3_stmt *st;
	struct crm_pgst *pg;
};

struct stmt_entry {
	const char *sql;
	struct crm_stmt *st;
};

#define ST(x)	((x)->st)

struct crm_db {
	sqlite3 *h;
	struct crm_pg *pg;	/* a PostgreSQL connection instead of h */
	char *name;
	int in_tx;
	int readonly;		/* opened read-only (see crm_db_open()) */
	unsigned mode;		/* the database file's permission bits */
	int nstmt, astmt;
	struct stmt_entry *cache;	/* grows; entries live until close */
	struct crm_db *next;	/* the open connections, for exit */
	int busy_ms;		/* how long to wait for another writer */
	double busy_since;	/* when this wait began */
	/* What crm_db_commit() runs first (crm_db_before_commit()). */
	struct pending {
		int (*fn)(void *arg, struct crm_error *err);
		void *arg;
	} pending[4];
	int npending;
};

static void (*wait_hook)(const char *path, double waited);

void
crm_db_on_wait(void (*fn)(const char *path, double waited))
{
	wait_hook = fn;
}

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * SQLite's busy timeout, with word of the wait: after a second, the hook
 * (crm_db_on_wait()) hears how long it has been, a few times a second.
 */
static int
busy_wait(void *arg, int count)
{
	struct crm_db *db = arg;
	double now = mono_s(), waited;
	int ms = count < 10 ? count + 1 : count < 40 ? 10 : 50;

	if (count == 0)
		db->busy_since = now;
	waited = now - db->busy_since;
	if (waited * 1000 >= db->busy_ms)
		return 0;
	if (wait_hook != NULL && waited >= 1.0)
		wait_hook(db->name, waited);
	usleep((useconds_t)ms * 1000);
	return 1;
}

/* Every open connection, so that an exit on an error path tidies up. */
static struct crm_db *open_dbs;
static int close_all_set;

/*
 * The schema, one migration per step.  CHECK constraints spell out
 * "x = a OR x = b": an IN list there builds a temporary index on every
 * INSERT, which made bulk imports several times slower.  Migration i
 * takes user_version i to i + 1; all pending ones run in a single
 * transaction with the version bump.
 * Never edit a migration that has shipped: add a new one.
 */
static const char *const migrations[] = {
	/* 0 -> 1: contacts, consent, audit */
	"CREATE TABLE contacts ("
	"  id INTEGER PRIMARY KEY,"
	"  external_id TEXT UNIQUE,"
	"  first_name TEXT,"
	"  last_name TEXT,"
	"  name_key TEXT,"
	"  email TEXT,"
	"  phone TEXT,"
	"  company TEXT,"
	"  street TEXT,"
	"  city TEXT,"
	"  postcode TEXT,"
	"  country TEXT,"
	"  birth_date TEXT,"
	"  stage TEXT NOT NULL DEFAULT 'lead'"
	"    CHECK (stage = 'lead' OR stage = 'prospect' OR stage = 'customer'"
	"      OR stage = 'former'),"
	"  owner TEXT,"
	"  attrs TEXT CHECK (attrs IS NULL OR json_valid(attrs)),"
	"  email_opt_in INTEGER CHECK (email_opt_in = 0 OR email_opt_in = 1),"
	"  phone_opt_in INTEGER CHECK (phone_opt_in = 0 OR phone_opt_in = 1),"
	"  sms_opt_in INTEGER CHECK (sms_opt_in = 0 OR sms_opt_in = 1),"
	"  mail_opt_in INTEGER CHECK (mail_opt_in = 0 OR mail_opt_in = 1),"
	"  do_not_contact INTEGER NOT NULL DEFAULT 0"
	"    CHECK (do_not_contact = 0 OR do_not_contact = 1),"
	"  merged_into INTEGER REFERENCES contacts(id),"
	"  erased_at INTEGER,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL"
	");"
	"CREATE INDEX contacts_email ON contacts(email) WHERE email IS NOT NULL;"
	"CREATE INDEX contacts_phone ON contacts(phone) WHERE phone IS NOT NULL;"
	"CREATE TABLE consent_events ("
	"  id INTEGER PRIMARY KEY,"
	"  contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
	"  at INTEGER NOT NULL,"
	"  channel TEXT NOT NULL"
	"    CHECK (channel = 'email' OR channel = 'phone' OR channel = 'sms'"
	"      OR channel = 'mail' OR channel = 'all'),"
	"  purpose TEXT NOT NULL DEFAULT 'marketing',"
	"  granted INTEGER NOT NULL CHECK (granted = 0 OR granted = 1),"
	"  source TEXT"
	");"
	"CREATE INDEX consent_events_contact ON consent_events(contact_id);"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  program TEXT NOT NULL,"
	"  args TEXT,"
	"  counts TEXT CHECK (counts IS NULL OR json_valid(counts))"
	");",

	/* 1 -> 2: the interaction history */
	"CREATE TABLE interactions ("
	"  id INTEGER PRIMARY KEY,"
	"  contact_id INTEGER NOT NULL REFERENCES contacts(id),"
	"  at INTEGER NOT NULL,"
	"  channel TEXT NOT NULL CHECK (channel = 'email' OR channel = 'phone'"
	"    OR channel = 'web' OR channel = 'store' OR channel = 'ivr'"
	"    OR channel = 'chat' OR channel = 'sms' OR channel = 'social'"
	"    OR channel = 'mail' OR channel = 'other'),"
	"  kind TEXT NOT NULL,"
	"  direction TEXT CHECK (direction = 'in' OR direction = 'out'),"
	"  amount REAL,"
	"  currency TEXT,"
	"  product TEXT,"
	"  category TEXT,"
	"  quantity REAL,"
	"  subject TEXT,"
	"  note TEXT,"
	"  status TEXT CHECK (status = 'open' OR status = 'closed'),"
	"  closed_at INTEGER,"
	"  campaign TEXT,"
	"  ref TEXT,"
	"  chash BLOB NOT NULL,"
	"  source TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL"
	");"
	"CREATE INDEX interactions_contact ON interactions(contact_id, at);"
	"CREATE UNIQUE INDEX interactions_ref ON interactions(ref)"
	"  WHERE ref IS NOT NULL;"
	"CREATE UNIQUE INDEX interactions_chash ON interactions(chash)"
	"  WHERE ref IS NULL;"
	"CREATE INDEX contacts_merged ON contacts(merged_into)"
	"  WHERE merged_into IS NOT NULL;",

	/* 2 -> 3: segments, models and scores, campaigns, merges, erasure */
	"CREATE TABLE segments ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  kind TEXT NOT NULL CHECK (kind = 'rule' OR kind = 'list'),"
	"  rule TEXT,"
	"  computed_at INTEGER,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL"
	");"
	"CREATE TABLE segment_members ("
	"  segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,"
	"  contact_id INTEGER NOT NULL REFERENCES contacts(id),"
	"  PRIMARY KEY (segment_id, contact_id)"
	") WITHOUT ROWID;"
	"CREATE INDEX segment_members_contact ON segment_members(contact_id);"
	"CREATE TABLE models ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  params TEXT NOT NULL CHECK (json_valid(params)),"
	"  loglik REAL,"
	"  iterations INTEGER,"
	"  converged INTEGER,"
	"  n INTEGER,"
	"  unit TEXT,"
	"  calibration_end INTEGER,"
	"  fitted_at INTEGER NOT NULL"
	");"
	"CREATE TABLE scores ("
	"  contact_id INTEGER PRIMARY KEY REFERENCES contacts(id),"
	"  model_id INTEGER REFERENCES models(id),"
	"  p_alive REAL,"
	"  expected_purchases REAL,"
	"  horizon_days INTEGER,"
	"  expected_spend REAL,"
	"  clv REAL,"
	"  churn_probability REAL,"
	"  scored_at INTEGER NOT NULL"
	");"
	"CREATE TABLE campaigns ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  channel TEXT NOT NULL,"
	"  purpose TEXT,"
	"  state TEXT NOT NULL DEFAULT 'draft'"
	"    CHECK (state = 'draft' OR state = 'sent' OR state = 'closed'),"
	"  holdout REAL,"
	"  segment TEXT,"
	"  options TEXT CHECK (options IS NULL OR json_valid(options)),"
	"  created_at INTEGER NOT NULL,"
	"  sent_at INTEGER"
	");"
	"CREATE TABLE campaign_members ("
	"  campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,"
	"  contact_id INTEGER NOT NULL REFERENCES contacts(id),"
	"  grp TEXT NOT NULL"
	"    CHECK (grp = 'target' OR grp = 'control' OR grp = 'suppressed'),"
	"  reason TEXT,"
	"  sent_at INTEGER,"
	"  PRIMARY KEY (campaign_id, contact_id)"
	") WITHOUT ROWID;"
	"CREATE INDEX campaign_members_contact ON campaign_members(contact_id);"
	"CREATE TABLE merges ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  survivor_id INTEGER NOT NULL REFERENCES contacts(id),"
	"  merged_id INTEGER NOT NULL REFERENCES contacts(id),"
	"  score REAL,"
	"  before TEXT NOT NULL CHECK (json_valid(before)),"
	"  undone_at INTEGER"
	");"
	"CREATE INDEX merges_merged ON merges(merged_id);"
	"CREATE TABLE erased_subjects ("
	"  hash TEXT PRIMARY KEY,"
	"  erased_at INTEGER NOT NULL"
	") WITHOUT ROWID;",

	/*
	 * 3 -> 4: the checksum of the input record a contact was last
	 * imported from, so that a re-import skips an unchanged record
	 * without normalising it again; any other change to the row clears
	 * it.  And an index of the erased contacts, which the analyses
	 * leave out.
	 */
	"ALTER TABLE contacts ADD COLUMN row_hash BLOB;"
	"CREATE TRIGGER contacts_row_hash AFTER UPDATE ON contacts"
	"  WHEN NEW.row_hash IS NOT NULL AND NEW.row_hash IS OLD.row_hash"
	"  BEGIN UPDATE contacts SET row_hash = NULL WHERE id = NEW.id; END;"
	/* The few erased contacts, found without a scan of them all. */
	"CREATE INDEX contacts_erased ON contacts(id)"
	"  WHERE erased_at IS NOT NULL;",

	/*
	 * 4 -> 5: the retention horizon in a row of its own.  It was read
	 * from crm-forget's audit entries, which an administrator may well
	 * prune; then a re-import would have brought back what retention
	 * purged.  The latest horizon there, if any, carries over.
	 */
	"CREATE TABLE retention ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  before INTEGER NOT NULL,"
	"  mode TEXT NOT NULL CHECK (mode = 'purge' OR mode = 'anonymise'),"
	"  set_at INTEGER NOT NULL"
	");"
	"INSERT INTO retention (id, before, mode, set_at)"
	"  SELECT 1, CAST(json_extract(counts, '$.before') AS INTEGER),"
	"    CASE json_extract(counts, '$.mode') WHEN 'anonymise'"
	"    THEN 'anonymise' ELSE 'purge' END, at"
	"  FROM audit WHERE program = 'crm-forget' AND json_valid(counts)"
	"    AND json_extract(counts, '$.before') IS NOT NULL"
	"  ORDER BY CAST(json_extract(counts, '$.before') AS INTEGER) DESC"
	"  LIMIT 1;",

	/* 5 -> 6: the service desk (service.c) */
	crm_service_schema,

	/* 6 -> 7: tasks (task.c) */
	crm_task_schema,

	/*
	 * 7 -> 8: Unicode email keys (crm_norm_email(): NFC and case
	 * folding).  Stored addresses are re-keyed with crm_email_key(),
	 * which migrate() registers.  Two contacts whose addresses now fold
	 * to one key are not merged: both keep it, an import that names it
	 * without an external_id is refused as ambiguous, and the audit
	 * entry of the migration lists the pairs for crm-dedupe.
	 */
	"CREATE TEMP TABLE crm_rekey AS SELECT id, k FROM"
	"  (SELECT id, email, crm_email_key(email) AS k FROM contacts"
	"   WHERE email IS NOT NULL) WHERE k IS NOT email;"
	"UPDATE contacts SET email = (SELECT k FROM temp.crm_rekey r"
	"  WHERE r.id = contacts.id) WHERE id IN (SELECT id FROM temp.crm_rekey);"
	"INSERT INTO audit (at, program, args, counts)"
	"  SELECT CAST(strftime('%s', 'now') AS INTEGER), 'crm',"
	"    'schema 8: email keys in Unicode NFC, case-folded',"
	"    json_object('rekeyed', (SELECT count(*) FROM temp.crm_rekey),"
	"      'collisions', (SELECT json_group_array(json_array(r.id, c.id))"
	"        FROM temp.crm_rekey r JOIN contacts c ON c.email = r.k"
	"        AND c.id <> r.id AND (c.id > r.id OR c.id NOT IN"
	"        (SELECT id FROM temp.crm_rekey))))"
	"  WHERE EXISTS (SELECT 1 FROM temp.crm_rekey);"
	"DROP TABLE temp.crm_rekey;",

	/* 8 -> 9: deals, their stages and history (deal.c) */
	crm_deal_schema,

	/*
	 * 9 -> 10: the type of a contact's phone (mobile, fixed_line, ...)
	 * and its extension, from libphonenumber's rules (contact.c);
	 * crm-add --renormalise fills them in for the contacts stored before.
	 */
	crm_contact_phone_schema,

	/* 10 -> 11: accounts, their people and partners (account.c) */
	crm_account_schema,

	/*
	 * 11 -> 12 (issue 15): a contact's created_at is its own creation
	 * date when an export gives one; when crm first stored it is
	 * imported_at.  An interaction from an order's line item keeps the
	 * order's key, so that counts are of orders, not of lines.
	 */
	"ALTER TABLE contacts ADD COLUMN imported_at INTEGER;"
	"UPDATE contacts SET imported_at = created_at;"
	"ALTER TABLE interactions ADD COLUMN order_ref TEXT;"
	"CREATE INDEX interactions_order ON interactions(order_ref)"
	"  WHERE order_ref IS NOT NULL;",

	/*
	 * 12 -> 13 (issue 22): the checksum of the record an interaction was
	 * last stored from, so that a re-import skips what it has applied.
	 */
	crm_interaction_rowhash_schema,

	/* 13 -> 14 (issue 24): exchange rates (rate.c) */
	crm_rate_schema,

	/* 14 -> 15 (issue 24): products and their costs (product.c) */
	crm_product_schema,

	/* 15 -> 16: the stages each deal has entered (deal.c) */
	crm_deal_entered_schema,
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

_Static_assert(NMIGRATIONS == CRM_DB_SCHEMA, "CRM_DB_SCHEMA != migrations");

static int
dberr(struct crm_db *db, struct crm_error *err, int rc, const char *what)
{
	int code = CRM_EFAIL;

	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		code = CRM_EDATA;
	return crm_error_set(err, code, "%s: %s: %s", db->name, what,
	    sqlite3_errmsg(db->h));
}

const char *
crm_db_path(const char *opt)
{
	const char *p;

	if (opt != NULL && *opt != '\0')
		return opt;
	if ((p = getenv("CRM_DB")) != NULL && *p != '\0')
		return p;
	/* libpq's environment names a database: PostgreSQL's defaults. */
	if (((p = getenv("PGDATABASE")) != NULL && *p != '\0') ||
	    ((p = getenv("PGSERVICE")) != NULL && *p != '\0'))
		return "postgresql://";
	return "crm.db";
}

const char *
crm_db_name(const struct crm_db *db)
{
	return db->name;
}

const char *
crm_db_engine_version(void)
{
	return sqlite3_libversion();
}

int
crm_db_in_tx(struct crm_db *db)
{
	if (db->pg != NULL)
		return crm_pg_in_tx(db->pg);
	return !sqlite3_get_autocommit(db->h);
}

int64_t
crm_db_changes(struct crm_db *db)
{
	if (db->pg != NULL)
		return crm_pg_changes(db->pg);
	return sqlite3_changes64(db->h);
}

int
crm_db_foreign_keys(struct crm_db *db, int on, struct crm_error *err)
{
	/*
	 * PostgreSQL's are always on: turning them off (for speed, where a
	 * program knows its ids are good) takes a superuser there.
	 */
	if (db->pg != NULL)
		return 0;
	return crm_db_exec(db, on ? "PRAGMA foreign_keys = ON" :
	    "PRAGMA foreign_keys = OFF", err);
}

int
crm_db_map_reads(struct crm_db *db, struct crm_error *err)
{
	if (db->pg != NULL)
		return 0;
	/*
	 * 2 GiB less 64 KiB: the largest map SQLite's default build takes.
	 * A read through the map is a memory access, not a read(2) and a
	 * copy into the page cache.
	 */
	return crm_db_exec(db, "PRAGMA mmap_size = 2147418112", err);
}

int
crm_db_secure_delete(struct crm_db *db, int on, struct crm_error *err)
{
	if (db->pg != NULL)
		return crm_error_set(err, CRM_EFAIL, "%s: erasure with the"
		    " free space overwritten is not available on PostgreSQL"
		    " yet", db->name);
	return crm_db_exec(db, on ? "PRAGMA secure_delete = ON" :
	    "PRAGMA secure_delete = OFF", err);
}

int
crm_db_secure_delete_on(struct crm_db *db)
{
	struct crm_error err;
	int64_t v = 0;

	if (db->pg != NULL)
		return 0;
	return crm_db_query_int(db, "PRAGMA secure_delete", &v, &err) == 0 &&
	    v != 0;
}

int
crm_db_checkpoint(struct crm_db *db, struct crm_error *err)
{
	int rc;

	if (db->pg != NULL)
		return 0;
	rc = sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_TRUNCATE,
	    NULL, NULL);
	if (rc == SQLITE_OK)
		return 0;
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return 1;
	return dberr(db, err, rc, "checkpoint");
}

int
crm_db_exec(struct crm_db *db, const char *sql, struct crm_error *err)
{
	int rc;

	if (db->pg != NULL)
		return crm_pg_exec(db->pg, sql, err);
	if ((rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL)) != SQLITE_OK)
		return dberr(db, err, rc, "exec");
	return 0;
}

int
crm_db_query_int(struct crm_db *db, const char *sql, int64_t *out,
    struct crm_error *err)
{
	sqlite3_stmt *st;
	int rc;

	if (db->pg != NULL)
		return crm_pg_query_int(db->pg, sql, out, err);
	if ((rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL)) != SQLITE_OK)
		return dberr(db, err, rc, "prepare");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		return 0;
	}
	dberr(db, err, rc, "query");
	sqlite3_finalize(st);
	return -1;
}

/* A statement for sql on db's engine, or NULL with err set. */
static struct crm_stmt *
new_stmt(struct crm_db *db, const char *sql, unsigned flags,
    struct crm_error *err)
{
	struct crm_stmt *st;
	int rc;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	if (db->pg != NULL) {
		if ((st->pg = crm_pg_prepare(db->pg, sql, err)) == NULL) {
			free(st);
			return NULL;
		}
		return st;
	}
	rc = sqlite3_prepare_v3(db->h, sql, -1, flags, &st->st, NULL);
	if (rc != SQLITE_OK) {
		dberr(db, err, rc, "prepare");
		free(st);
		return NULL;
	}
	return st;
}

struct crm_stmt *
crm_db_stmt(struct crm_db *db, const char *sql, struct crm_error *err)
{
	struct crm_stmt *st;
	int i;

	for (i = 0; i < db->nstmt; i++) {
		if (db->cache[i].sql == sql) {
			st = db->cache[i].st;
			if (st->pg != NULL) {
				crm_pg_reset(st->pg);
				crm_pg_clear(st->pg);
			} else {
				sqlite3_reset(st->st);
				sqlite3_clear_bindings(st->st);
			}
			return st;
		}
	}
	if ((st = new_stmt(db, sql, SQLITE_PREPARE_PERSISTENT, err)) == NULL)
		return NULL;
	if (db->nstmt == db->astmt) {
		int n = db->astmt ? db->astmt * 2 : 32;
		struct stmt_entry *p = reallocarray(db->cache, (size_t)n,
		    sizeof(*p));

		if (p == NULL) {
			crm_db_finalize(st);
			crm_error_set(err, CRM_EFAIL, "out of memory");
			return NULL;
		}
		db->cache = p;
		db->astmt = n;
	}
	db->cache[db->nstmt].sql = sql;
	db->cache[db->nstmt].st = st;
	db->nstmt++;
	return st;
}

struct crm_stmt *
crm_db_prepare(struct crm_db *db, const char *sql, struct crm_error *err)
{
	return new_stmt(db, sql, 0, err);
}

int64_t
crm_db_last_id(struct crm_db *db)
{
	if (db->pg != NULL)
		return crm_pg_last_id(db->pg);
	return sqlite3_last_insert_rowid(db->h);
}

int
crm_db_step(struct crm_db *db, struct crm_stmt *st, struct crm_error *err)
{
	int rc;

	if (st->pg != NULL)
		return crm_pg_step(st->pg, err);
	rc = sqlite3_step(ST(st));

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE) {
		sqlite3_reset(ST(st));
		return 0;
	}
	dberr(db, err, rc, "step");
	sqlite3_reset(ST(st));
	return -1;
}

static int
bindrc(struct crm_db *db, int rc, struct crm_error *err)
{
	return rc == SQLITE_OK ? 0 : dberr(db, err, rc, "bind");
}

int
crm_db_bind_text(struct crm_db *db, struct crm_stmt *st, int i,
    const char *s, struct crm_error *err)
{
	if (st->pg != NULL)
		return crm_pg_bind_text(st->pg, i, s, 0, err);
	if (s == NULL)
		return bindrc(db, sqlite3_bind_null(ST(st), i), err);
	return bindrc(db, sqlite3_bind_text(ST(st), i, s, -1, SQLITE_STATIC),
	    err);
}

int
crm_db_bind_text_copy(struct crm_db *db, struct crm_stmt *st, int i,
    const char *s, struct crm_error *err)
{
	if (st->pg != NULL)
		return crm_pg_bind_text(st->pg, i, s, 1, err);
	if (s == NULL)
		return bindrc(db, sqlite3_bind_null(ST(st), i), err);
	return bindrc(db, sqlite3_bind_text(ST(st), i, s, -1,
	    SQLITE_TRANSIENT), err);
}

int
crm_db_bind_blob(struct crm_db *db, struct crm_stmt *st, int i,
    const void *p, size_t n, struct crm_error *err)
{
	if (st->pg != NULL)
		return crm_pg_bind_blob(st->pg, i, p, n, err);
	return bindrc(db, sqlite3_bind_blob64(ST(st), i, p, n, SQLITE_STATIC),
	    err);
}

int
crm_db_bind_int(struct crm_db *db, struct crm_stmt *st, int i, int64_t v,
    struct crm_error *err)
{
	if (st->pg != NULL)
		return crm_pg_bind_int(st->pg, i, v, err);
	return bindrc(db, sqlite3_bind_int64(ST(st), i, v), err);
}

int
crm_db_bind_double(struct crm_db *db, struct crm_stmt *st, int i, double v,
    struct crm_error *err)
{
	if (st->pg != NULL)
		return crm_pg_bind_double(st->pg, i, v, err);
	return bindrc(db, sqlite3_bind_double(ST(st), i, v), err);
}

int
crm_db_bind_null(struct crm_db *db, struct crm_stmt *st, int i,
    struct crm_error *err)
{
	if (st->pg != NULL)
		return crm_pg_bind_null(st->pg, i, err);
	return bindrc(db, sqlite3_bind_null(ST(st), i), err);
}

int
crm_db_bind_count(struct crm_stmt *st)
{
	if (st->pg != NULL)
		return crm_pg_bind_count(st->pg);
	return sqlite3_bind_parameter_count(ST(st));
}

const char *
crm_db_col_text(struct crm_stmt *st, int i)
{
	if (st->pg != NULL)
		return crm_pg_col_text(st->pg, i);
	return (const char *)sqlite3_column_text(ST(st), i);
}

int64_t
crm_db_col_int(struct crm_stmt *st, int i)
{
	if (st->pg != NULL)
		return crm_pg_col_int(st->pg, i);
	return sqlite3_column_int64(ST(st), i);
}

double
crm_db_col_double(struct crm_stmt *st, int i)
{
	if (st->pg != NULL)
		return crm_pg_col_double(st->pg, i);
	return sqlite3_column_double(ST(st), i);
}

const void *
crm_db_col_blob(struct crm_stmt *st, int i)
{
	if (st->pg != NULL)
		return crm_pg_col_blob(st->pg, i);
	return sqlite3_column_blob(ST(st), i);
}

int
crm_db_col_bytes(struct crm_stmt *st, int i)
{
	if (st->pg != NULL)
		return crm_pg_col_bytes(st->pg, i);
	return sqlite3_column_bytes(ST(st), i);
}

static enum crm_db_type
type_of(int t)
{
	switch (t) {
	case SQLITE_INTEGER:
		return CRM_DB_INT;
	case SQLITE_FLOAT:
		return CRM_DB_FLOAT;
	case SQLITE_TEXT:
		return CRM_DB_TEXT;
	case SQLITE_BLOB:
		return CRM_DB_BLOB;
	default:
		return CRM_DB_NULL;
	}
}

enum crm_db_type
crm_db_col_type(struct crm_stmt *st, int i)
{
	if (st->pg != NULL)
		return crm_pg_col_type(st->pg, i);
	return type_of(sqlite3_column_type(ST(st), i));
}

int
crm_db_col_isnull(struct crm_stmt *st, int i)
{
	if (st->pg != NULL)
		return crm_pg_col_type(st->pg, i) == CRM_DB_NULL;
	return sqlite3_column_type(ST(st), i) == SQLITE_NULL;
}

int
crm_db_col_count(struct crm_stmt *st)
{
	if (st->pg != NULL)
		return crm_pg_col_count(st->pg);
	return sqlite3_column_count(ST(st));
}

const char *
crm_db_col_name(struct crm_stmt *st, int i)
{
	if (st->pg != NULL)
		return crm_pg_col_name(st->pg, i);
	return sqlite3_column_name(ST(st), i);
}

void
crm_db_reset(struct crm_stmt *st)
{
	if (st == NULL)
		return;
	if (st->pg != NULL)
		crm_pg_reset(st->pg);
	else
		sqlite3_reset(ST(st));
}

void
crm_db_finalize(struct crm_stmt *st)
{
	if (st == NULL)
		return;
	if (st->pg != NULL)
		crm_pg_finalize(st->pg);
	else
		sqlite3_finalize(ST(st));
	free(st);
}

/* What a module's SQL function sees of one call. */
struct crm_db_call {
	sqlite3_context *ctx;
	sqlite3_value **argv;
};

struct fn_entry {
	void (*fn)(struct crm_db_call *);
};

static void
call_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct fn_entry *e = sqlite3_user_data(ctx);
	struct crm_db_call c = { ctx, argv };

	(void)argc;
	e->fn(&c);
}

int
crm_db_function(struct crm_db *db, const char *name, int nargs,
    void (*fn)(struct crm_db_call *c), struct crm_error *err)
{
	int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
	struct fn_entry *e;
	int rc;

	/*
	 * A function computed in C in the program has no PostgreSQL
	 * equivalent yet: the module that needs one is not ported.
	 */
	if (db->pg != NULL)
		return crm_error_set(err, CRM_EFAIL, "%s: SQL function %s: not"
		    " available on PostgreSQL yet (this command works on"
		    " SQLite only)", db->name, name);
	if ((e = malloc(sizeof(*e))) == NULL)
		return crm_error_set(err, CRM_EFAIL, "out of memory");
	e->fn = fn;
	rc = sqlite3_create_function_v2(db->h, name, nargs, flags, e, call_fn,
	    NULL, NULL, free);
	if (rc != SQLITE_OK)
		return dberr(db, err, rc, "registering SQL function");
	return 0;
}

enum crm_db_type
crm_db_arg_type(struct crm_db_call *c, int i)
{
	return type_of(sqlite3_value_type(c->argv[i]));
}

const unsigned char *
crm_db_arg_text(struct crm_db_call *c, int i, size_t *len)
{
	const unsigned char *s = sqlite3_value_text(c->argv[i]);

	if (len != NULL)
		*len = (size_t)sqlite3_value_bytes(c->argv[i]);
	return s;
}

int64_t
crm_db_arg_int(struct crm_db_call *c, int i)
{
	return sqlite3_value_int64(c->argv[i]);
}

void
crm_db_result_null(struct crm_db_call *c)
{
	sqlite3_result_null(c->ctx);
}

void
crm_db_result_double(struct crm_db_call *c, double v)
{
	sqlite3_result_double(c->ctx, v);
}

void
crm_db_result_blob(struct crm_db_call *c, const void *p, size_t n)
{
	sqlite3_result_blob64(c->ctx, p, n, SQLITE_TRANSIENT);
}

void *
crm_db_aux(struct crm_db_call *c, int i)
{
	return sqlite3_get_auxdata(c->ctx, i);
}

void
crm_db_set_aux(struct crm_db_call *c, int i, void *p, void (*destroy)(void *))
{
	sqlite3_set_auxdata(c->ctx, i, p, destroy);
}

int
crm_db_begin(struct crm_db *db, struct crm_error *err)
{
	if (db->pg != NULL) {
		if (crm_pg_begin(db->pg, 1, err) < 0)
			return -1;
		db->in_tx = 1;
		return 0;
	}
	if (crm_db_exec(db, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	db->in_tx = 1;
	return 0;
}

int
crm_db_begin_read(struct crm_db *db, struct crm_error *err)
{
	int64_t n;

	if (db->pg != NULL) {
		if (crm_pg_begin(db->pg, 0, err) < 0)
			return -1;
		db->in_tx = 1;
		return 0;
	}
	if (crm_db_exec(db, "BEGIN", err) < 0)
		return -1;
	db->in_tx = 1;
	/* BEGIN is deferred: the snapshot is taken by the first read. */
	if (crm_db_query_int(db, "SELECT count(*) FROM sqlite_schema", &n,
	    err) < 0) {
		crm_db_rollback(db);
		return -1;
	}
	return 0;
}

int
crm_db_before_commit(struct crm_db *db, int (*fn)(void *arg,
    struct crm_error *err), void *arg, struct crm_error *err)
{
	int i;

	for (i = 0; i < db->npending; i++)
		if (db->pending[i].fn == fn && db->pending[i].arg == arg)
			return 0;
	if (db->npending == (int)(sizeof(db->pending) /
	    sizeof(db->pending[0])))
		return crm_error_set(err, CRM_EFAIL, "%s: too much work"
		    " deferred to the commit", db->name);
	db->pending[db->npending].fn = fn;
	db->pending[db->npending++].arg = arg;
	return 0;
}

int
crm_db_before_commit_run(struct crm_db *db, void *arg,
    struct crm_error *err)
{
	int i, j;

	for (i = 0; i < db->npending; i++) {
		struct pending p = db->pending[i];

		if (arg != NULL && p.arg != arg)
			continue;
		/* Once: off the list before it runs. */
		for (j = i; j + 1 < db->npending; j++)
			db->pending[j] = db->pending[j + 1];
		db->npending--;
		i--;
		if (p.fn(p.arg, err) < 0)
			return -1;
	}
	return 0;
}

int
crm_db_commit(struct crm_db *db, struct crm_error *err)
{
	if (crm_db_before_commit_run(db, NULL, err) < 0)
		return -1;
	if (db->pg != NULL) {
		db->in_tx = 0;
		return crm_pg_commit(db->pg, err);
	}
	if (crm_db_exec(db, "COMMIT", err) < 0)
		return -1;
	db->in_tx = 0;
	return 0;
}

void
crm_db_rollback(struct crm_db *db)
{
	if (db != NULL)
		db->npending = 0;
	if (db != NULL && db->pg != NULL) {
		crm_pg_rollback(db->pg);
		db->in_tx = 0;
		return;
	}
	if (db != NULL && db->h != NULL && !sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	if (db != NULL)
		db->in_tx = 0;
}

/* crm_email_key(text): crm_norm_email_rekey(), for migration 8. */
static void
email_key_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *s = sqlite3_value_text(argv[0]);
	char *k;

	(void)argc;
	if (s == NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	if ((k = crm_norm_email_rekey((const char *)s)) == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	sqlite3_result_text(ctx, k, -1, free);
}

/*
 * Bring the schema to CRM_DB_SCHEMA.  Runs under BEGIN IMMEDIATE and reads
 * the version inside the transaction, so two programs opening a new file at
 * once cannot both migrate it.
 */
static int
migrate(struct crm_db *db, struct crm_error *err)
{
	int64_t appid, ver, nobj;
	char sql[64];
	int i;

	if (crm_db_query_int(db, "PRAGMA application_id", &appid, err) < 0 ||
	    crm_db_query_int(db, "PRAGMA user_version", &ver, err) < 0)
		return -1;
	if (appid == CRM_DB_APPLICATION_ID && ver == CRM_DB_SCHEMA)
		return 0;
	if (db->readonly && appid == CRM_DB_APPLICATION_ID && ver >= 0 &&
	    ver < CRM_DB_SCHEMA)
		return crm_error_set(err, CRM_EFAIL, "%s: read-only, and its"
		    " schema (version %lld) needs upgrading to %d: open it once"
		    " with write access", db->name, (long long)ver,
		    CRM_DB_SCHEMA);
	if (crm_db_begin(db, err) < 0)
		return -1;
	if (crm_db_query_int(db, "PRAGMA application_id", &appid, err) < 0 ||
	    crm_db_query_int(db, "PRAGMA user_version", &ver, err) < 0 ||
	    crm_db_query_int(db, "SELECT count(*) FROM sqlite_schema", &nobj,
	    err) < 0)
		goto fail;
	if (appid != CRM_DB_APPLICATION_ID) {
		if (appid != 0 || nobj != 0) {
			crm_error_set(err, CRM_EFAIL,
			    "%s: not a crm database (application_id 0x%08llx,"
			    " %lld schema objects)", db->name,
			    (unsigned long long)(uint32_t)appid,
			    (long long)nobj);
			goto fail;
		}
		snprintf(sql, sizeof(sql), "PRAGMA application_id = %d",
		    CRM_DB_APPLICATION_ID);
		if (crm_db_exec(db, sql, err) < 0)
			goto fail;
		ver = 0;
	}
	if (ver < 0) {
		crm_error_set(err, CRM_EFAIL,
		    "%s: schema version %lld is not one crm writes: the"
		    " file is damaged or was changed by hand", db->name,
		    (long long)ver);
		goto fail;
	}
	if (ver > CRM_DB_SCHEMA) {
		crm_error_set(err, CRM_EFAIL,
		    "%s: schema version %lld is newer than this crm (%d);"
		    " upgrade crm", db->name, (long long)ver, CRM_DB_SCHEMA);
		goto fail;
	}
	/* What the migrations call on the rows they move. */
	if (sqlite3_create_function(db->h, "crm_email_key", 1, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC, NULL, email_key_fn, NULL, NULL) !=
	    SQLITE_OK) {
		dberr(db, err, SQLITE_ERROR, "crm_email_key");
		goto fail;
	}
	for (i = (int)ver; i < NMIGRATIONS; i++) {
		if (crm_db_exec(db, migrations[i], err) < 0) {
			crm_error_prefix(err, "migration %d", i + 1);
			goto fail;
		}
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", CRM_DB_SCHEMA);
	if (crm_db_exec(db, sql, err) < 0 || crm_db_commit(db, err) < 0)
		goto fail;
	return 0;
fail:
	crm_db_rollback(db);
	return -1;
}

static int
busy_timeout_ms(void)
{
	const char *s = getenv("CRM_BUSY_TIMEOUT");
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return 600 * 1000;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > 86400)
		return 600 * 1000;
	return (int)(v * 1000);
}

/*
 * Create a missing database file ourselves, mode 0600 whatever the umask,
 * so it is never world-readable; SQLite then gives its -wal and -shm files
 * the same mode as the database file.
 */
static int
create_file(const char *path, int flags, struct crm_error *err)
{
	struct stat sb;
	int fd;

	if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode))
		return crm_error_set(err, CRM_EFAIL, "%s: a symbolic link: crm"
		    " opens a database only by the file's own name", path);
	if (stat(path, &sb) == 0)
		return 0;
	if (errno != ENOENT)
		return crm_error_set(err, CRM_EFAIL, "%s: %s", path,
		    strerror(errno));
	if (!(flags & CRM_DB_CREATE))
		return crm_error_set(err, CRM_EFAIL,
		    "%s: no such database (crm-add creates one)", path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0 && errno != EEXIST)
		return crm_error_set(err, CRM_EFAIL, "%s: %s", path,
		    strerror(errno));
	if (fd >= 0) {
		(void)fchmod(fd, 0600);
		close(fd);
	}
	return 0;
}

/* 1 if the directory that holds path may be written to. */
static int
dir_writable(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int ok;

	if (slash == NULL)
		return access(".", W_OK) == 0;
	if (slash == path)
		return access("/", W_OK) == 0;
	if ((dir = strndup(path, (size_t)(slash - path))) == NULL)
		return 1;
	ok = access(dir, W_OK) == 0;
	free(dir);
	return ok;
}

/*
 * SQLite creates -wal and -shm with the database file's mode, forced past
 * the umask, and forces it again on any it opens while empty: a database
 * restored with sqlite3's .backup under umask 022 is 0644, and its log
 * would be readable by everyone.  So once the connection has opened them
 * (it keeps them open), take the group and other bits off.  By name,
 * never through a descriptor of our own: closing one would drop the POSIX
 * locks SQLite holds on the file.  Best effort: a file another user owns,
 * or a symbolic link, is left alone.
 */
static void
sidecars_private(const char *path)
{
	static const char *const sfx[] = { "-wal", "-shm" };
	struct stat sb;
	char name[4096];
	size_t i;

	for (i = 0; i < 2; i++) {
		if (snprintf(name, sizeof(name), "%s%s", path, sfx[i]) >=
		    (int)sizeof(name))
			continue;
		if (lstat(name, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    (sb.st_mode & 077) != 0 && sb.st_uid == geteuid())
			(void)chmod(name, sb.st_mode & 0700);
	}
}

/*
 * "file:" and path with every byte but letters, digits and "/._-~"
 * percent-encoded, then query, for sqlite3_open_v2() with
 * SQLITE_OPEN_URI.  Free it.
 */
static char *
file_uri(const char *path, const char *query)
{
	static const char hex[] = "0123456789ABCDEF";
	struct crm_buf b = CRM_BUF_INIT(3 * 4096 + 64);
	const unsigned char *p;
	int rc = crm_buf_adds(&b, "file:", NULL);

	for (p = (const unsigned char *)path; rc == 0 && *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/._-~", *p) != NULL)
			rc = crm_buf_addc(&b, *p, NULL);
		else if ((rc = crm_buf_addc(&b, '%', NULL)) == 0 &&
		    (rc = crm_buf_addc(&b, hex[*p >> 4], NULL)) == 0)
			rc = crm_buf_addc(&b, hex[*p & 15], NULL);
	}
	if (rc == 0)
		rc = crm_buf_adds(&b, query, NULL);
	if (rc < 0) {
		crm_buf_release(&b);
		return NULL;
	}
	return crm_buf_detach(&b);
}

/*
 * path with its directory resolved, so that a database in a directory
 * reached through a symbolic link opens: SQLITE_OPEN_NOFOLLOW refuses a
 * link anywhere in the path, where what matters is that the file itself
 * is none.  path itself when the directory does not resolve (SQLite then
 * says why).  Free it.
 */
static char *
real_dir(const char *path)
{
	const char *slash = strrchr(path, '/'), *base;
	char *dir, *real, *out = NULL;

	base = slash != NULL ? slash + 1 : path;
	if (*base == '\0' || strcmp(base, ".") == 0 ||
	    strcmp(base, "..") == 0)
		return strdup(path);
	if (slash == path)
		dir = strdup("/");
	else if (slash != NULL)
		dir = strndup(path, (size_t)(slash - path));
	else
		dir = strdup(".");
	if (dir == NULL)
		return NULL;
	if ((real = realpath(dir, NULL)) == NULL)
		out = strdup(path);
	else if (asprintf(&out, "%s%s%s", real, strcmp(real, "/") == 0 ?
	    "" : "/", base) < 0)
		out = NULL;
	free(dir);
	free(real);
	return out;
}

void
crm_db_bulk(void)
{
	static void *block;
	int hdr = 0;
	size_t sz, n;

	if (block != NULL || sqlite3_config(SQLITE_CONFIG_PCACHE_HDRSZ, &hdr) !=
	    SQLITE_OK)
		return;
	sz = ((size_t)4096 + (size_t)hdr + 63) & ~(size_t)63;
	n = (size_t)CACHE_MB * 1024 * 1024 / 4096;
	if ((block = crm_big(malloc(sz * n), n, sz)) == NULL)
		return;
	if (sqlite3_config(SQLITE_CONFIG_PAGECACHE, block, (int)sz, (int)n) !=
	    SQLITE_OK) {
		free(block);
		block = NULL;
	}
}

/*
 * At exit, the connections a program left open: on an error path it died
 * with its batch rolled back but the log still holding what the batch
 * wrote (megabytes, on the full disk that made it fail).  Roll back,
 * empty the log if no other program is using it (without waiting for
 * one), close.
 */
static void
close_all(void)
{
	while (open_dbs != NULL) {
		struct crm_db *db = open_dbs;

		crm_db_rollback(db);
		if (db->h != NULL && !db->readonly) {
			sqlite3_busy_timeout(db->h, 0);
			(void)sqlite3_wal_checkpoint_v2(db->h, NULL,
			    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		}
		crm_db_close(db);
	}
}

/*
 * url without a password, for messages: "postgresql://u:secret@h/d" as
 * "postgresql://u@h/d" (a password=... keyword is cut the same way).
 */
static char *
url_name(const char *url)
{
	const char *auth = strstr(url, "://"), *at, *colon;
	char *s, *pw;
	size_t n;

	auth = auth != NULL ? auth + 3 : url;
	n = strcspn(auth, "/?");
	at = memchr(auth, '@', n);
	colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon != NULL) {
		if (asprintf(&s, "%.*s%s", (int)(colon - url), url, at) < 0)
			return NULL;
	} else if ((s = strdup(url)) == NULL)
		return NULL;
	if ((pw = strstr(s, "password=")) != NULL) {
		n = strcspn(pw + 9, "&");
		memmove(pw + 9, pw + 9 + n, strlen(pw + 9 + n) + 1);
	}
	return s;
}

/* A PostgreSQL database at url (see db-pg.c). */
static struct crm_db *
open_pg(const char *url, struct crm_error *err)
{
	struct crm_db *db;

	if ((db = calloc(1, sizeof(*db))) == NULL ||
	    (db->name = url_name(url)) == NULL) {
		free(db);
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	db->mode = 0600;
	if ((db->pg = crm_pg_open(url, db->name, migrations, NMIGRATIONS,
	    err)) == NULL) {
		free(db->name);
		free(db);
		return NULL;
	}
	if (!close_all_set)
		close_all_set = atexit(close_all) == 0;
	db->next = open_dbs;
	open_dbs = db;
	return db;
}

int
crm_db_is_url(const char *path)
{
	return crm_pg_is_url(path);
}

int
crm_db_is_pg(const struct crm_db *db)
{
	return db->pg != NULL;
}

struct crm_db *
crm_db_open(const char *path, int flags, struct crm_error *err)
{
	struct crm_db *db;
	char sql[64], *real, *uri = NULL, wal[4096];
	const char *mode;
	struct stat sb;
	int rc, tries, oflags;

	/*
	 * No memory statistics: they take a global mutex on every malloc.
	 * Only possible before SQLite initialises; later calls fail harmlessly.
	 */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (crm_pg_is_url(path))
		return open_pg(path, err);
	if (create_file(path, flags, err) < 0)
		return NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL ||
	    (db->name = strdup(path)) == NULL ||
	    (real = real_dir(path)) == NULL) {
		if (db != NULL)
			free(db->name);
		free(db);
		crm_error_set(err, CRM_EFAIL, "out of memory");
		return NULL;
	}
	db->mode = stat(path, &sb) == 0 ? (unsigned)(sb.st_mode & 07777) : 0600;
	/*
	 * A database that may not be written, or whose directory may not
	 * (so that SQLite cannot make its -wal and -shm there), is opened
	 * read-only, as sqlite3 does: readers work, a writer fails at its
	 * first write.  Without a log beside it in a directory that refuses
	 * one, it is opened immutable (nobody can be writing it).
	 */
	oflags = SQLITE_OPEN_READWRITE;
	if (access(path, W_OK) != 0 || !dir_writable(path)) {
		db->readonly = 1;
		oflags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
		snprintf(wal, sizeof(wal), "%s-wal", path);
		uri = file_uri(real, !dir_writable(path) && (stat(wal, &sb) !=
		    0 || sb.st_size == 0) ? "?immutable=1" : "?mode=ro");
		if (uri == NULL) {
			free(real);
			crm_error_set(err, CRM_EFAIL, "out of memory");
			goto fail;
		}
	}
	/* One connection per thread: no per-call mutex. */
	rc = sqlite3_open_v2(uri != NULL ? uri : real, &db->h, oflags |
	    SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL);
	free(real);
	free(uri);
	if (rc != SQLITE_OK) {
		crm_error_set(err, CRM_EFAIL, "%s: %s", path,
		    db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(db->h, 1);
	db->busy_ms = busy_timeout_ms();
	sqlite3_busy_handler(db->h, busy_wait, db);
	if (crm_db_exec(db, "PRAGMA foreign_keys = ON", err) < 0)
		goto fail;
	/*
	 * Switching to WAL needs an exclusive lock and SQLite does not call
	 * the busy handler for it, so retry briefly; once a file is in WAL
	 * mode it stays so and this is a read.
	 */
	for (tries = 0; !db->readonly; tries++) {
		sqlite3_stmt *st;

		rc = sqlite3_prepare_v2(db->h, "PRAGMA journal_mode = WAL",
		    -1, &st, NULL);
		if (rc == SQLITE_OK) {
			rc = sqlite3_step(st);
			mode = rc == SQLITE_ROW ?
			    (const char *)sqlite3_column_text(st, 0) : NULL;
			if (rc == SQLITE_ROW && mode != NULL &&
			    strcmp(mode, "wal") != 0)
				rc = SQLITE_ERROR;
			sqlite3_finalize(st);
		}
		if (rc == SQLITE_ROW)
			break;
		if ((rc & 0xff) != SQLITE_BUSY || tries > 6000) {
			dberr(db, err, rc, "journal_mode");
			goto fail;
		}
		usleep(10000);
	}
	snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%d", CACHE_MB * 1024);
	/* Deleted personal data is overwritten, not left in free pages. */
	if (crm_db_exec(db, "PRAGMA secure_delete = ON", err) < 0 ||
	    crm_db_exec(db, "PRAGMA synchronous = FULL", err) < 0 ||
	    crm_db_exec(db, sql, err) < 0 ||
	    crm_db_exec(db, "PRAGMA temp_store = MEMORY", err) < 0)
		goto fail;
	if (migrate(db, err) < 0)
		goto fail;
	if (!db->readonly)
		sidecars_private(path);
	if (!close_all_set)
		close_all_set = atexit(close_all) == 0;
	db->next = open_dbs;
	open_dbs = db;
	return db;
fail:
	crm_db_close(db);
	return NULL;
}

int
crm_db_readonly(const struct crm_db *db)
{
	return db->readonly;
}

unsigned
crm_db_file_mode(const struct crm_db *db)
{
	return db->mode;
}

void
crm_db_close(struct crm_db *db)
{
	struct crm_db **pp;
	int i;

	if (db == NULL)
		return;
	for (pp = &open_dbs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == db) {
			*pp = db->next;
			break;
		}
	for (i = 0; i < db->nstmt; i++)
		crm_db_finalize(db->cache[i].st);
	free(db->cache);
	crm_db_rollback(db);
	crm_pg_close(db->pg);
	sqlite3_close(db->h);
	free(db->name);
	free(db);
}

int
crm_db_audit(struct crm_db *db, const char *program, int argc, char **argv,
    const char *counts_json, struct crm_error *err)
{
	struct crm_buf args = CRM_BUF_INIT(64 * 1024);
	struct crm_stmt *st;
	int i, rc = -1;

	for (i = 0; i < argc; i++) {
		if ((i > 0 && crm_buf_addc(&args, ' ', err) < 0) ||
		    crm_buf_adds(&args, argv[i], err) < 0) {
			/* Overlong argument lists are cut, not refused. */
			break;
		}
	}
	if ((st = crm_db_stmt(db, "INSERT INTO audit (at, program, args, counts)"
	    " VALUES (?, ?, ?, ?)", err)) == NULL)
		goto done;
	if (crm_db_bind_int(db, st, 1, crm_now(), err) < 0 ||
	    crm_db_bind_text(db, st, 2, program, err) < 0 ||
	    crm_db_bind_text(db, st, 3, crm_buf_str(&args), err) < 0 ||
	    crm_db_bind_text(db, st, 4, counts_json, err) < 0 ||
	    crm_db_step(db, st, err) < 0)
		goto done;
	rc = 0;
done:
	crm_buf_release(&args);
	return rc;
}

struct crm_pg *
crm_db_pg(struct crm_db *db)
{
	return db->pg;
}
