/*
 * db-schema.c - SQLite's schema, one migration per step (db.c runs them;
 * db-pg.c translates them for PostgreSQL where crm_pg_migrations has no
 * version of its own).
 */
#include "account.h"
#include "contact.h"
#include "db.h"
#include "db-int.h"
#include "deal.h"
#include "interaction.h"
#include "product.h"
#include "rate.h"
#include "service.h"
#include "task.h"

/*
 * The schema, one migration per step.  CHECK constraints spell out
 * "x = a OR x = b": an IN list there builds a temporary index on every
 * INSERT, which made bulk imports several times slower.  Migration i
 * takes user_version i to i + 1; all pending ones run in a single
 * transaction with the version bump.
 * Never edit a migration that has shipped: add a new one.
 */
const char *const crm_db_migrations[] = {
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

const int crm_db_nmigrations =
    (int)(sizeof(crm_db_migrations) / sizeof(crm_db_migrations[0]));

_Static_assert(sizeof(crm_db_migrations) / sizeof(crm_db_migrations[0]) ==
    CRM_DB_SCHEMA, "CRM_DB_SCHEMA != migrations");
