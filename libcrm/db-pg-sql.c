/*
 * db-pg-sql.c - the SQL the PostgreSQL backend (db-pg.c) runs on a
 * server of its own: its migrations where SQLite's do not translate, the
 * functions that stand in for SQLite's, and the id triggers.
 *
 * crm_pg_functions is the core; the functions that one group of modules
 * needs go into that group's string below, so that each stays with the
 * modules that call it.  All of them are (re)made, in this order, under
 * the writers' lock, when a program opens a database whose crm_meta
 * 'functions' is not the checksum of their text (db-pg-schema.c): so
 * a function added or changed here reaches databases of any age, no
 * migration needed.  Write each as CREATE OR REPLACE; one whose
 * arguments or result type change needs a DROP FUNCTION IF EXISTS of
 * the old one first (CREATE OR REPLACE cannot change those).
 */
#include "db-int.h"

/*
 * The migrations PostgreSQL runs instead of a translation of SQLite's
 * (index i takes version i to i + 1).  No PostgreSQL database predates
 * this backend, so a data migration is a no-op here: every PostgreSQL
 * database is created at the current schema.
 */
/* What translate_ddl() adds after a table whose key is "id". */
#define ID_TRIGGER(t) "CREATE TRIGGER crm_id BEFORE INSERT ON " t \
	" FOR EACH ROW EXECUTE FUNCTION crm_next_id();"

const char *const crm_pg_migrations[] = {
	/* 0 -> 1: SQLite's, translated, after these functions */
	NULL,
	NULL,
	NULL,
	/* 3 -> 4: the row_hash trigger */
	"ALTER TABLE contacts ADD COLUMN row_hash bytea;"
	"CREATE FUNCTION crm_contacts_row_hash() RETURNS trigger"
	"  LANGUAGE plpgsql AS $$BEGIN"
	"  IF NEW.row_hash IS NOT NULL AND"
	"    NEW.row_hash IS NOT DISTINCT FROM OLD.row_hash THEN"
	"    NEW.row_hash := NULL; END IF; RETURN NEW; END$$;"
	"CREATE TRIGGER contacts_row_hash BEFORE UPDATE ON contacts"
	"  FOR EACH ROW EXECUTE FUNCTION crm_contacts_row_hash();"
	"CREATE INDEX contacts_erased ON contacts(id)"
	"  WHERE erased_at IS NOT NULL;",
	/* 4 -> 5: the retention table (nothing to carry over) */
	"CREATE TABLE retention ("
	"  id bigint PRIMARY KEY CHECK (id = 1),"
	"  before bigint NOT NULL,"
	"  mode text COLLATE \"C\" NOT NULL CHECK (mode = 'purge' OR mode = 'anonymise'),"
	"  set_at bigint NOT NULL"
	");",
	NULL,
	NULL,
	/* 7 -> 8: email keys re-keyed: nothing stored before */
	"SELECT 1;",
	/* 8 -> 9: deals (deal.c), with the delete trigger in PL/pgSQL */
	"CREATE TABLE pipelines ("
	"  id bigint PRIMARY KEY,"
	"  name text COLLATE \"C\" NOT NULL UNIQUE,"
	"  created_at bigint NOT NULL"
	");"
	ID_TRIGGER("pipelines")
	"CREATE TABLE deal_stages ("
	"  id bigint PRIMARY KEY,"
	"  pipeline_id bigint NOT NULL REFERENCES pipelines(id),"
	"  name text COLLATE \"C\" NOT NULL,"
	"  position bigint NOT NULL,"
	"  probability double precision NOT NULL"
	"    CHECK (probability >= 0 AND probability <= 1),"
	"  outcome text COLLATE \"C\" NOT NULL DEFAULT 'open'"
	"    CHECK (outcome = 'open' OR outcome = 'won' OR outcome = 'lost'),"
	"  UNIQUE (pipeline_id, name)"
	");"
	ID_TRIGGER("deal_stages")
	"CREATE TABLE deals ("
	"  id bigint PRIMARY KEY,"
	"  ref text COLLATE \"C\" NOT NULL UNIQUE,"
	"  pipeline_id bigint NOT NULL REFERENCES pipelines(id),"
	"  stage_id bigint NOT NULL REFERENCES deal_stages(id),"
	"  contact_id bigint REFERENCES contacts(id),"
	"  company text COLLATE \"C\","
	"  title text COLLATE \"C\","
	"  amount double precision,"
	"  currency text COLLATE \"C\","
	"  probability double precision"
	"    CHECK (probability IS NULL OR (probability >= 0"
	"      AND probability <= 1)),"
	"  close_at bigint,"
	"  owner text COLLATE \"C\","
	"  source text COLLATE \"C\","
	"  product text COLLATE \"C\","
	"  lost_reason text COLLATE \"C\","
	"  created_at bigint NOT NULL,"
	"  stage_at bigint NOT NULL,"
	"  closed_at bigint,"
	"  changed_at bigint NOT NULL,"
	"  updated_at bigint NOT NULL"
	");"
	ID_TRIGGER("deals")
	"CREATE INDEX deals_contact ON deals(contact_id)"
	"  WHERE contact_id IS NOT NULL;"
	"CREATE TABLE deal_history ("
	"  id bigint PRIMARY KEY,"
	"  deal_id bigint NOT NULL REFERENCES deals(id) ON DELETE CASCADE,"
	"  at bigint NOT NULL,"
	"  changed_by text COLLATE \"C\","
	"  stage_from bigint,"
	"  stage_to bigint NOT NULL,"
	"  amount_from double precision,"
	"  amount_to double precision,"
	"  close_from bigint,"
	"  close_to bigint"
	");"
	ID_TRIGGER("deal_history")
	"CREATE INDEX deal_history_deal ON deal_history(deal_id, at);"
	"CREATE FUNCTION crm_deals_keep_company() RETURNS trigger"
	"  LANGUAGE plpgsql AS $$BEGIN"
	"  IF OLD.company IS NOT NULL AND OLD.contact_id IS NOT NULL THEN"
	"    UPDATE deals SET contact_id = NULL, title = NULL"
	"      WHERE id = OLD.id;"
	"    RETURN NULL; END IF; RETURN OLD; END$$;"
	"CREATE TRIGGER deals_keep_company BEFORE DELETE ON deals"
	"  FOR EACH ROW EXECUTE FUNCTION crm_deals_keep_company();"
	"INSERT INTO pipelines (id, name, created_at)"
	"  VALUES (1, 'sales', CAST(extract(epoch FROM now()) AS bigint));"
	"INSERT INTO deal_stages (pipeline_id, name, position,"
	"  probability, outcome) VALUES"
	"  (1, 'qualification', 1, 0.20, 'open'),"
	"  (1, 'needs analysis', 2, 0.25, 'open'),"
	"  (1, 'proposal', 3, 0.65, 'open'),"
	"  (1, 'negotiation', 4, 0.80, 'open'),"
	"  (1, 'won', 5, 1.0, 'won'),"
	"  (1, 'lost', 6, 0.0, 'lost');",
	NULL,
	NULL,
	NULL,
	/* 12 -> 13: interactions' row_hash trigger (interaction.c) */
	"ALTER TABLE interactions ADD COLUMN row_hash bytea;"
	"CREATE FUNCTION crm_interactions_row_hash() RETURNS trigger"
	"  LANGUAGE plpgsql AS $$BEGIN"
	"  IF NEW.row_hash IS NOT NULL AND"
	"    NEW.row_hash IS NOT DISTINCT FROM OLD.row_hash THEN"
	"    NEW.row_hash := NULL; END IF; RETURN NEW; END$$;"
	"CREATE TRIGGER interactions_row_hash BEFORE UPDATE ON interactions"
	"  FOR EACH ROW EXECUTE FUNCTION crm_interactions_row_hash();",
	NULL,
	NULL,
	/*
	 * 15 -> 16: deals.entered (deal.c).  Its fill-in from the history
	 * has nothing to fill here: crm-deal does not run on PostgreSQL.
	 */
	"ALTER TABLE deals ADD COLUMN entered bigint NOT NULL DEFAULT 0;",
};

const int crm_pg_nmigrations =
    (int)(sizeof(crm_pg_migrations) / sizeof(crm_pg_migrations[0]));

/*
 * SQLite's functions that the schema and the ported modules call, as SQL
 * or PL/pgSQL functions; (re)made whenever their text changes, before
 * the migrations.
 */
const char crm_pg_functions[] =
	"CREATE OR REPLACE FUNCTION crm_next_id() RETURNS trigger"
	"  LANGUAGE plpgsql AS $$BEGIN"
	"  IF NEW.id IS NULL THEN"
	"    EXECUTE format('SELECT coalesce(max(id), 0) + 1 FROM %I.%I',"
	"      TG_TABLE_SCHEMA, TG_TABLE_NAME) INTO NEW.id;"
	"  END IF; RETURN NEW; END$$;"
	"CREATE OR REPLACE FUNCTION json_valid(t text) RETURNS boolean"
	"  LANGUAGE plpgsql IMMUTABLE STRICT AS $$BEGIN"
	"  PERFORM t::json; RETURN true;"
	"  EXCEPTION WHEN others THEN RETURN false; END$$;"
	/* JSON text without the blanks between tokens, as SQLite keeps it. */
	"CREATE OR REPLACE FUNCTION crm_json_min(t text) RETURNS text"
	"  LANGUAGE plpgsql IMMUTABLE STRICT AS $$"
	"DECLARE r text := ''; i int := 1; n int := length(t); c text;"
	"  q boolean := false; BEGIN"
	"  IF t !~ '[ \t\n\r]' THEN RETURN t; END IF;"
	"  WHILE i <= n LOOP"
	"    c := substr(t, i, 1);"
	"    IF q THEN"
	"      r := r || c;"
	"      IF c = '\\' THEN r := r || substr(t, i + 1, 1); i := i + 1;"
	"      ELSIF c = '\"' THEN q := false; END IF;"
	"    ELSIF c = '\"' THEN r := r || c; q := true;"
	"    ELSIF c NOT IN (' ', E'\t', E'\n', E'\r') THEN r := r || c;"
	"    END IF;"
	"    i := i + 1;"
	"  END LOOP;"
	"  RETURN r; END$$;"
	/* SQLite's name of the type of a JSON value. */
	"CREATE OR REPLACE FUNCTION crm_json_type(v json) RETURNS text"
	"  LANGUAGE sql IMMUTABLE STRICT AS $$"
	"  SELECT CASE json_typeof(v) WHEN 'string' THEN 'text'"
	"    WHEN 'boolean' THEN CAST(v AS text)"
	"    WHEN 'number' THEN CASE WHEN CAST(v AS text) ~ '[.eE]'"
	"      THEN 'real' ELSE 'integer' END"
	"    ELSE json_typeof(v) END $$;"
	/*
	 * The members of a JSON object or array held as text, with
	 * SQLite's key, value (strings unquoted, objects and arrays as
	 * compact JSON) and type.
	 */
	"DROP FUNCTION IF EXISTS json_each(text);"
	"CREATE FUNCTION json_each(t text)"
	"  RETURNS TABLE (key text, value text, type text)"
	"  LANGUAGE sql IMMUTABLE STRICT AS $$"
	"  SELECT e.key, CASE WHEN json_typeof(e.value) IN ('object', 'array')"
	"    THEN crm_json_min(CAST(e.value AS text)) ELSE e.value #>> '{}' END,"
	"    crm_json_type(e.value)"
	"  FROM json_each(CAST(t AS json)) e"
	"  WHERE json_typeof(CAST(t AS json)) = 'object'"
	"  UNION ALL SELECT CAST(e.n - 1 AS text),"
	"    CASE WHEN json_typeof(e.v) IN ('object', 'array')"
	"    THEN crm_json_min(CAST(e.v AS text)) ELSE e.v #>> '{}' END,"
	"    crm_json_type(e.v)"
	"  FROM json_array_elements(CAST(t AS json)) WITH ORDINALITY"
	"    AS e(v, n)"
	"  WHERE json_typeof(CAST(t AS json)) = 'array' $$;"
	/* SQLite's names of a JSON value's type; NULL if not JSON. */
	"CREATE OR REPLACE FUNCTION json_type(t text) RETURNS text"
	"  LANGUAGE plpgsql IMMUTABLE STRICT AS $$DECLARE j json; BEGIN"
	"  j := CAST(t AS json);"
	"  RETURN CASE json_typeof(j) WHEN 'string' THEN 'text'"
	"    WHEN 'boolean' THEN CAST(j AS text)"
	"    WHEN 'number' THEN CASE WHEN CAST(j AS text) ~ '[.eE]'"
	"      THEN 'real' ELSE 'integer' END"
	"    ELSE json_typeof(j) END;"
	"  EXCEPTION WHEN others THEN RETURN NULL; END$$;"
	/*
	 * RFC 7396 merge patch as SQLite's json_patch(): the target's keys
	 * in their order, then the new ones, values as they were written.
	 */
	"CREATE OR REPLACE FUNCTION json_patch(target text, patch text)"
	"  RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$"
	"DECLARE t json; p json; r text := ''; k text; v json; pv json;"
	"BEGIN"
	"  p := CAST(patch AS json);"
	"  IF json_typeof(p) <> 'object' THEN RETURN patch; END IF;"
	"  t := CAST(target AS json);"
	"  IF json_typeof(t) <> 'object' THEN t := CAST('{}' AS json); END IF;"
	"  FOR k, v IN SELECT e.key, e.value FROM json_each(t) e LOOP"
	"    pv := p -> k;"
	"    IF pv IS NULL THEN"
	"      r := r || ',' || to_json(k) || ':' || CAST(v AS text);"
	"    ELSIF json_typeof(pv) <> 'null' THEN"
	"      r := r || ',' || to_json(k) || ':' ||"
	"        json_patch(CAST(v AS text), CAST(pv AS text));"
	"    END IF;"
	"  END LOOP;"
	"  FOR k, v IN SELECT e.key, e.value FROM json_each(p) e LOOP"
	"    IF t -> k IS NULL AND json_typeof(v) <> 'null' THEN"
	"      r := r || ',' || to_json(k) || ':' ||"
	"        json_patch('{}', CAST(v AS text));"
	"    END IF;"
	"  END LOOP;"
	"  RETURN '{' || substr(r, 2) || '}';"
	"END$$;"
	/* total(): sum() that is 0.0 over no rows, and always real. */
	"CREATE OR REPLACE AGGREGATE total(double precision) ("
	"  SFUNC = float8pl, STYPE = double precision, INITCOND = '0');"
	/*
	 * printf('%.Nf', x), the one form the ported modules use: half
	 * away from zero on the decimal value, as SQLite rounds.
	 */
	"CREATE OR REPLACE FUNCTION printf(fmt text, v double precision)"
	"  RETURNS text LANGUAGE sql IMMUTABLE AS $$"
	"  SELECT CASE WHEN fmt ~ '^%\\.[0-9]+f$' AND v IS NOT NULL"
	"    THEN CAST(round(CAST(v AS numeric),"
	"      CAST(substr(fmt, 3, length(fmt) - 3) AS int)) AS text) END $$;";

/*
 * Ids as SQLite gives them: one more than the largest, taken when the row
 * is inserted, not from a sequence.  A sequence hands out numbers that a
 * rolled-back batch, or an INSERT ... ON CONFLICT DO NOTHING that found
 * the row there, never used, and the same commands would number their
 * rows differently on the two engines.  The writers take turns
 * (crm_db_begin()'s lock), so the largest id cannot change under one.
 * Every table whose primary key is "id" gets the trigger.
 */
const char crm_pg_ids[] =
	"DO $$DECLARE r record; BEGIN"
	"  FOR r IN SELECT c.relname FROM pg_class c"
	"    JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary"
	"      AND i.indnatts = 1"
	"    JOIN pg_attribute a ON a.attrelid = c.oid"
	"      AND a.attnum = i.indkey[0] AND a.attname = 'id'"
	"    WHERE c.relnamespace ="
	"      CAST(CAST(current_schema() AS text) AS regnamespace)"
	"    AND NOT EXISTS (SELECT 1 FROM pg_trigger t"
	"      WHERE t.tgrelid = c.oid AND t.tgname = 'crm_id') LOOP"
	"    EXECUTE format('CREATE TRIGGER crm_id BEFORE INSERT ON %I"
	"      FOR EACH ROW EXECUTE FUNCTION crm_next_id()', r.relname);"
	"  END LOOP; END$$;";

/*
 * Functions that crm-dedupe, crm-churn, crm-segment and crm-forget need:
 * SQLite's date functions in the forms they call, and its catalog.
 * json_extract(), json_each(json, path), instr() and strftime() on Unix
 * seconds, which they call too, are crm_pg_functions_ops' (made after
 * these, so they replace the ones here in an older database).
 */
const char crm_pg_functions_analytics[] =
	/*
	 * strftime(format, time) of an ISO 8601 date or date and time:
	 * the conversions %Y %m %d %H %M %S %s %j %w %f and %%.
	 */
	"CREATE OR REPLACE FUNCTION crm_strftime(fmt text, ts timestamp)"
	"  RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$"
	"DECLARE r text := ''; i int := 1; c text;"
	"BEGIN"
	"  WHILE i <= length(fmt) LOOP"
	"    c := substr(fmt, i, 1);"
	"    IF c = '%' AND i < length(fmt) THEN"
	"      i := i + 1; c := substr(fmt, i, 1);"
	"      r := r || CASE c WHEN 'Y' THEN to_char(ts, 'YYYY')"
	"        WHEN 'm' THEN to_char(ts, 'MM') WHEN 'd' THEN to_char(ts, 'DD')"
	"        WHEN 'H' THEN to_char(ts, 'HH24') WHEN 'M' THEN to_char(ts, 'MI')"
	"        WHEN 'S' THEN to_char(ts, 'SS')"
	"        WHEN 'f' THEN to_char(ts, 'SS.MS')"
	"        WHEN 'j' THEN to_char(ts, 'DDD')"
	"        WHEN 'w' THEN CAST(extract(dow FROM ts) AS text)"
	"        WHEN 's' THEN CAST(CAST(floor(extract(epoch FROM ts)) AS bigint)"
	"          AS text)"
	"        WHEN '%' THEN '%' ELSE '%' || c END;"
	"    ELSE r := r || c; END IF;"
	"    i := i + 1;"
	"  END LOOP;"
	"  RETURN r;"
	"END$$;"
	"CREATE OR REPLACE FUNCTION crm_time(v text) RETURNS timestamp"
	"  LANGUAGE plpgsql IMMUTABLE STRICT AS $$BEGIN"
	"  IF v !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}"
	"(:[0-9]{2}(\\.[0-9]+)?)?)?Z?$' THEN RETURN NULL; END IF;"
	"  RETURN CAST(rtrim(v, 'Z') AS timestamp);"
	"  EXCEPTION WHEN others THEN RETURN NULL; END$$;"
	"CREATE OR REPLACE FUNCTION strftime(fmt text, v text)"
	"  RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$"
	"  SELECT crm_strftime(fmt, crm_time(v)) $$;"
	"CREATE OR REPLACE FUNCTION date(v double precision, modifier text)"
	"  RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$"
	"  SELECT CASE WHEN modifier = 'unixepoch' THEN to_char(to_timestamp(v)"
	"    AT TIME ZONE 'UTC', 'YYYY-MM-DD') END $$;"
	/*
	 * SQLite's catalog as erasure, subject export and merges read it:
	 * the tables of the current schema, their columns (types by
	 * SQLite's names) and foreign keys, as sqlite_schema,
	 * pragma_table_info() and pragma_foreign_key_list() give them.
	 */
	"CREATE OR REPLACE VIEW sqlite_schema AS"
	"  SELECT CAST('table' AS text) AS type, CAST(c.relname AS text) AS name,"
	"    CAST(c.relname AS text) AS tbl_name, CAST(NULL AS text) AS sql"
	"  FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace ="
	"    CAST(CAST(current_schema() AS text) AS regnamespace);"
	"CREATE OR REPLACE FUNCTION pragma_table_info(tab text)"
	"  RETURNS TABLE (cid bigint, name text, type text, \"notnull\" bigint,"
	"    dflt_value text, pk bigint)"
	"  LANGUAGE sql STABLE STRICT AS $$"
	"  SELECT row_number() OVER (ORDER BY a.attnum) - 1,"
	"    CAST(a.attname AS text),"
	"    CASE format_type(a.atttypid, a.atttypmod)"
	"      WHEN 'bigint' THEN 'INTEGER' WHEN 'integer' THEN 'INTEGER'"
	"      WHEN 'double precision' THEN 'REAL' WHEN 'text' THEN 'TEXT'"
	"      WHEN 'bytea' THEN 'BLOB'"
	"      ELSE upper(format_type(a.atttypid, a.atttypmod)) END,"
	"    CAST(a.attnotnull AS integer),"
	"    pg_get_expr(d.adbin, d.adrelid),"
	"    coalesce((SELECT k.n FROM pg_constraint p,"
	"      unnest(p.conkey) WITH ORDINALITY AS k(att, n)"
	"      WHERE p.conrelid = c.oid AND p.contype = 'p'"
	"      AND k.att = a.attnum), 0)"
	"  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
	"  LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum"
	"  WHERE c.relname = tab AND c.relnamespace ="
	"    CAST(CAST(current_schema() AS text) AS regnamespace)"
	"  AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum $$;"
	"CREATE OR REPLACE FUNCTION pragma_foreign_key_list(tab text)"
	"  RETURNS TABLE (id bigint, seq bigint, \"table\" text, \"from\" text,"
	"    \"to\" text, on_update text, on_delete text, match text)"
	"  LANGUAGE sql STABLE STRICT AS $$"
	"  SELECT dense_rank() OVER (ORDER BY p.oid) - 1, k.n - 1,"
	"    CAST(r.relname AS text), CAST(fa.attname AS text),"
	"    CAST(ta.attname AS text), 'NO ACTION',"
	"    CASE p.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL'"
	"      WHEN 'd' THEN 'SET DEFAULT' WHEN 'r' THEN 'RESTRICT'"
	"      ELSE 'NO ACTION' END, 'NONE'"
	"  FROM pg_class c JOIN pg_constraint p ON p.conrelid = c.oid"
	"    AND p.contype = 'f'"
	"  JOIN pg_class r ON r.oid = p.confrelid"
	"  CROSS JOIN LATERAL unnest(p.conkey, p.confkey) WITH ORDINALITY"
	"    AS k(att, fatt, n)"
	"  JOIN pg_attribute fa ON fa.attrelid = c.oid AND fa.attnum = k.att"
	"  JOIN pg_attribute ta ON ta.attrelid = r.oid AND ta.attnum = k.fatt"
	"  WHERE c.relname = tab AND c.relnamespace ="
	"    CAST(CAST(current_schema() AS text) AS regnamespace)"
	"  ORDER BY p.oid, k.n $$;"
	/* unixepoch(date or date and time): Unix seconds; NULL if not one. */
	"CREATE OR REPLACE FUNCTION unixepoch(v text) RETURNS bigint"
	"  LANGUAGE sql IMMUTABLE STRICT AS $$"
	"  SELECT CAST(floor(extract(epoch FROM crm_time(v))) AS bigint) $$;";

/*
 * Functions that crm-campaign, crm-deal, crm-account, crm-ticket,
 * crm-task and crm-report need.
 */
const char crm_pg_functions_ops[] =
	/* SQLite's min(a, b) and max(a, b): NULL if either is. */
	"CREATE OR REPLACE FUNCTION min(a anycompatible, b anycompatible)"
	"  RETURNS anycompatible LANGUAGE sql IMMUTABLE AS $$"
	"  SELECT CASE WHEN a <= b THEN a WHEN b < a THEN b END $$;"
	"CREATE OR REPLACE FUNCTION max(a anycompatible, b anycompatible)"
	"  RETURNS anycompatible LANGUAGE sql IMMUTABLE AS $$"
	"  SELECT CASE WHEN a >= b THEN a WHEN b > a THEN b END $$;"
	"CREATE OR REPLACE FUNCTION instr(s text, t text) RETURNS integer"
	"  LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT strpos(s, t) $$;"
	/*
	 * strftime(fmt, seconds, 'unixepoch'), the one form the modules
	 * use, in UTC: %Y %m %d %H %M %S %s %j %w %%.
	 */
	"CREATE OR REPLACE FUNCTION strftime(fmt text, t double precision,"
	"  m text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$"
	"DECLARE ts timestamp; r text := ''; i int := 1; c text; BEGIN"
	"  IF fmt IS NULL OR t IS NULL OR m IS DISTINCT FROM 'unixepoch'"
	"  THEN RETURN NULL; END IF;"
	"  ts := to_timestamp(t) AT TIME ZONE 'UTC';"
	"  IF fmt = '%Y-%m-%d' THEN RETURN to_char(ts, 'YYYY-MM-DD'); END IF;"
	"  IF fmt = '%Y-%m' THEN RETURN to_char(ts, 'YYYY-MM'); END IF;"
	"  IF fmt = '%Y-%m-%dT%H:%M:%SZ' THEN"
	"    RETURN to_char(ts, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'); END IF;"
	"  WHILE i <= length(fmt) LOOP"
	"    c := substr(fmt, i, 1);"
	"    IF c = '%' AND i < length(fmt) THEN"
	"      i := i + 1; c := substr(fmt, i, 1);"
	"      r := r || CASE c WHEN 'Y' THEN to_char(ts, 'YYYY')"
	"        WHEN 'm' THEN to_char(ts, 'MM') WHEN 'd' THEN to_char(ts, 'DD')"
	"        WHEN 'H' THEN to_char(ts, 'HH24') WHEN 'M' THEN to_char(ts, 'MI')"
	"        WHEN 'S' THEN to_char(ts, 'SS') WHEN 'j' THEN to_char(ts, 'DDD')"
	"        WHEN 's' THEN CAST(CAST(floor(t) AS bigint) AS text)"
	"        WHEN 'w' THEN CAST(extract(dow FROM ts) AS text)"
	"        WHEN '%' THEN '%' ELSE '%' || c END;"
	"    ELSE r := r || c; END IF;"
	"    i := i + 1;"
	"  END LOOP;"
	"  RETURN r; END$$;"
	/*
	 * json_extract(json, path) for paths such as '$', '$.a.b', '$.a[2]':
	 * strings unquoted, true and false as 1 and 0, JSON null as NULL,
	 * numbers, objects and arrays as their text.
	 */
	"CREATE OR REPLACE FUNCTION crm_json_path(p text) RETURNS text[]"
	"  LANGUAGE plpgsql IMMUTABLE STRICT AS $$"
	"DECLARE r text[] := '{}'; i int := 2; n int := length(p); j int;"
	"  c text; BEGIN"
	"  IF substr(p, 1, 1) <> '$' THEN RETURN NULL; END IF;"
	"  WHILE i <= n LOOP"
	"    c := substr(p, i, 1);"
	"    IF c = '.' AND substr(p, i + 1, 1) = '\"' THEN"
	"      j := strpos(substr(p, i + 2), '\"');"
	"      IF j = 0 THEN RETURN NULL; END IF;"
	"      r := r || substr(p, i + 2, j - 1);"
	"      i := i + 2 + j;"
	"    ELSIF c = '.' THEN"
	"      j := i + 1;"
	"      WHILE j <= n AND substr(p, j, 1) NOT IN ('.', '[') LOOP"
	"        j := j + 1;"
	"      END LOOP;"
	"      r := r || substr(p, i + 1, j - i - 1);"
	"      i := j;"
	"    ELSIF c = '[' THEN"
	"      j := strpos(substr(p, i), ']');"
	"      IF j = 0 THEN RETURN NULL; END IF;"
	"      r := r || substr(p, i + 1, j - 2);"
	"      i := i + j;"
	"    ELSE RETURN NULL; END IF;"
	"  END LOOP;"
	"  RETURN r; END$$;"
	"CREATE OR REPLACE FUNCTION json_extract(j text, p text) RETURNS text"
	"  LANGUAGE plpgsql IMMUTABLE STRICT AS $$DECLARE v json; BEGIN"
	"  v := CAST(j AS json) #> crm_json_path(p);"
	"  RETURN CASE json_typeof(v) WHEN 'string' THEN v #>> '{}'"
	"    WHEN 'null' THEN NULL"
	"    WHEN 'boolean' THEN CASE WHEN v #>> '{}' = 'true' THEN '1'"
	"      ELSE '0' END"
	"    WHEN 'number' THEN CAST(v AS text)"
	"    ELSE crm_json_min(CAST(v AS text)) END; END$$;"
	/* json_each(json, path): the members of the value at path. */
	"DROP FUNCTION IF EXISTS json_each(text, text);"
	"CREATE FUNCTION json_each(t text, p text)"
	"  RETURNS TABLE (key text, value text, type text)"
	"  LANGUAGE sql IMMUTABLE STRICT AS $$"
	"  SELECT e.key, e.value, e.type FROM json_each(json_extract(t, p)) e"
	"  $$;"
	/* total() of JSON values (json_extract() gives text). */
	"CREATE OR REPLACE FUNCTION crm_total_text(s double precision, v text)"
	"  RETURNS double precision LANGUAGE sql IMMUTABLE AS $$"
	"  SELECT CASE WHEN v IS NULL THEN s"
	"    ELSE s + CAST(v AS double precision) END $$;"
	"CREATE OR REPLACE AGGREGATE total(text) ("
	"  SFUNC = crm_total_text, STYPE = double precision, INITCOND = '0');"
	/* sum() of comparisons, which SQLite counts as 1 and 0. */
	"CREATE OR REPLACE FUNCTION crm_sum_bool(s bigint, v boolean)"
	"  RETURNS bigint LANGUAGE sql IMMUTABLE AS $$"
	"  SELECT CASE WHEN v IS NULL THEN s"
	"    ELSE coalesce(s, 0) + CASE WHEN v THEN 1 ELSE 0 END END $$;"
	"CREATE OR REPLACE AGGREGATE sum(boolean) ("
	"  SFUNC = crm_sum_bool, STYPE = bigint);"
	/*
	 * Comparisons in arithmetic, as SQLite's 1 and 0: n * (a = b) and
	 * (a = b) + n.
	 */
	"CREATE OR REPLACE FUNCTION crm_int_mul_bool(a integer, b boolean)"
	"  RETURNS integer LANGUAGE sql IMMUTABLE AS $$"
	"  SELECT a * CAST(b AS integer) $$;"
	"CREATE OR REPLACE FUNCTION crm_bool_add_int(a boolean, b integer)"
	"  RETURNS integer LANGUAGE sql IMMUTABLE AS $$"
	"  SELECT CAST(a AS integer) + b $$;"
	"DROP OPERATOR IF EXISTS * (integer, boolean);"
	"CREATE OPERATOR * (LEFTARG = integer, RIGHTARG = boolean,"
	"  FUNCTION = crm_int_mul_bool);"
	"DROP OPERATOR IF EXISTS + (boolean, integer);"
	"CREATE OPERATOR + (LEFTARG = boolean, RIGHTARG = integer,"
	"  FUNCTION = crm_bool_add_int);"
	/* group_concat(x): the values joined with commas, in input order. */
	"CREATE OR REPLACE FUNCTION crm_group_concat(s text, v anyelement)"
	"  RETURNS text LANGUAGE sql IMMUTABLE AS $$"
	"  SELECT CASE WHEN v IS NULL THEN s WHEN s IS NULL THEN CAST(v AS text)"
	"    ELSE s || ',' || CAST(v AS text) END $$;"
	"CREATE OR REPLACE AGGREGATE group_concat(anyelement) ("
	"  SFUNC = crm_group_concat, STYPE = text);"
	/* json_group_array(x) of numbers or JSON, as SQLite writes it. */
	"CREATE OR REPLACE FUNCTION crm_json_group_array(s text, v anyelement)"
	"  RETURNS text LANGUAGE sql IMMUTABLE AS $$"
	"  SELECT coalesce(s || ',', '') || coalesce(CAST(to_json(v) AS text),"
	"    'null') $$;"
	"DROP AGGREGATE IF EXISTS json_group_array(anyelement);"
	"DROP FUNCTION IF EXISTS crm_json_group_array_end(text);"
	"CREATE FUNCTION crm_json_group_array_end(s text)"
	"  RETURNS json LANGUAGE sql IMMUTABLE AS $$"
	"  SELECT CAST('[' || coalesce(s, '') || ']' AS json) $$;"
	"CREATE AGGREGATE json_group_array(anyelement) ("
	"  SFUNC = crm_json_group_array, STYPE = text,"
	"  FINALFUNC = crm_json_group_array_end);"
	/*
	 * glob(pattern, s), SQLite's X GLOB Y as a function: * ? [...]
	 * [^...], case-sensitive.
	 */
	"CREATE OR REPLACE FUNCTION glob(p text, s text) RETURNS boolean"
	"  LANGUAGE plpgsql IMMUTABLE STRICT AS $$"
	"DECLARE r text := '^'; i int := 1; c text; BEGIN"
	"  WHILE i <= length(p) LOOP"
	"    c := substr(p, i, 1);"
	"    IF c = '*' THEN r := r || '.*';"
	"    ELSIF c = '?' THEN r := r || '.';"
	"    ELSIF c = '[' THEN"
	"      r := r || '[';"
	"      i := i + 1;"
	"      IF substr(p, i, 1) = '^' THEN r := r || '^'; i := i + 1; END IF;"
	"      IF substr(p, i, 1) = ']' THEN r := r || '\\]'; i := i + 1; END IF;"
	"      WHILE i <= length(p) AND substr(p, i, 1) <> ']' LOOP"
	"        c := substr(p, i, 1);"
	"        r := r || CASE WHEN c = '\\' THEN '\\\\' ELSE c END;"
	"        i := i + 1;"
	"      END LOOP;"
	"      r := r || ']';"
	"    ELSE r := r || regexp_replace(c, '([^A-Za-z0-9 ])', '\\\\\\1');"
	"    END IF;"
	"    i := i + 1;"
	"  END LOOP;"
	"  RETURN s ~ (r || '$'); END$$;"
	/*
	 * The campaign hash (campaign.c): SipHash-2-4 with 64-bit words in
	 * bigint, sums wrapped as C's unsigned ones.
	 */
	"CREATE OR REPLACE FUNCTION crm_le64(b bytea, o int) RETURNS bigint"
	"  LANGUAGE sql IMMUTABLE STRICT AS $$"
	"  SELECT CAST(get_byte(b, o) AS bigint)"
	"    | (CAST(get_byte(b, o + 1) AS bigint) << 8)"
	"    | (CAST(get_byte(b, o + 2) AS bigint) << 16)"
	"    | (CAST(get_byte(b, o + 3) AS bigint) << 24)"
	"    | (CAST(get_byte(b, o + 4) AS bigint) << 32)"
	"    | (CAST(get_byte(b, o + 5) AS bigint) << 40)"
	"    | (CAST(get_byte(b, o + 6) AS bigint) << 48)"
	"    | (CAST(get_byte(b, o + 7) AS bigint) << 56) $$;"
	"CREATE OR REPLACE FUNCTION crm_siphash24(k0 bigint, k1 bigint,"
	"  m bytea) RETURNS bigint LANGUAGE plpgsql IMMUTABLE STRICT AS $$"
	"DECLARE"
	"  v0 bigint := k0 # 8317987319222330741;"
	"  v1 bigint := k1 # 7237128888997146477;"
	"  v2 bigint := k0 # 7816392313619706465;"
	"  v3 bigint := k1 # 8387220255154660723;"
	"  n int := length(m); i int := 0; j int; r int; w bigint; b bigint;"
	"  lo bigint; M32 constant bigint := 4294967295;"
	"BEGIN"
	"  LOOP"
	"    IF i + 8 <= n THEN w := crm_le64(m, i);"
	"    ELSE"
	"      b := CAST(n AS bigint) << 56;"
	"      FOR j IN 0 .. (n & 7) - 1 LOOP"
	"        b := b | (CAST(get_byte(m, i + j) AS bigint) << (8 * j));"
	"      END LOOP;"
	"      w := b;"
	"    END IF;"
	"    v3 := v3 # w;"
	"    FOR r IN 1 .. 2 LOOP"
	"      lo := (v0 & M32) + (v1 & M32);"
	"      v0 := (((v0 >> 32) + (v1 >> 32) + (lo >> 32)) << 32) | (lo & M32);"
	"      v1 := (v1 << 13) | ((v1 >> 51) & 8191); v1 := v1 # v0;"
	"      v0 := (v0 << 32) | ((v0 >> 32) & M32);"
	"      lo := (v2 & M32) + (v3 & M32);"
	"      v2 := (((v2 >> 32) + (v3 >> 32) + (lo >> 32)) << 32) | (lo & M32);"
	"      v3 := (v3 << 16) | ((v3 >> 48) & 65535); v3 := v3 # v2;"
	"      lo := (v0 & M32) + (v3 & M32);"
	"      v0 := (((v0 >> 32) + (v3 >> 32) + (lo >> 32)) << 32) | (lo & M32);"
	"      v3 := (v3 << 21) | ((v3 >> 43) & 2097151); v3 := v3 # v0;"
	"      lo := (v2 & M32) + (v1 & M32);"
	"      v2 := (((v2 >> 32) + (v1 >> 32) + (lo >> 32)) << 32) | (lo & M32);"
	"      v1 := (v1 << 17) | ((v1 >> 47) & 131071); v1 := v1 # v2;"
	"      v2 := (v2 << 32) | ((v2 >> 32) & M32);"
	"    END LOOP;"
	"    v0 := v0 # w;"
	"    EXIT WHEN i + 8 > n;"
	"    i := i + 8;"
	"  END LOOP;"
	"  v2 := v2 # 255;"
	"  FOR r IN 1 .. 4 LOOP"
	"    lo := (v0 & M32) + (v1 & M32);"
	"    v0 := (((v0 >> 32) + (v1 >> 32) + (lo >> 32)) << 32) | (lo & M32);"
	"    v1 := (v1 << 13) | ((v1 >> 51) & 8191); v1 := v1 # v0;"
	"    v0 := (v0 << 32) | ((v0 >> 32) & M32);"
	"    lo := (v2 & M32) + (v3 & M32);"
	"    v2 := (((v2 >> 32) + (v3 >> 32) + (lo >> 32)) << 32) | (lo & M32);"
	"    v3 := (v3 << 16) | ((v3 >> 48) & 65535); v3 := v3 # v2;"
	"    lo := (v0 & M32) + (v3 & M32);"
	"    v0 := (((v0 >> 32) + (v3 >> 32) + (lo >> 32)) << 32) | (lo & M32);"
	"    v3 := (v3 << 21) | ((v3 >> 43) & 2097151); v3 := v3 # v0;"
	"    lo := (v2 & M32) + (v1 & M32);"
	"    v2 := (((v2 >> 32) + (v1 >> 32) + (lo >> 32)) << 32) | (lo & M32);"
	"    v1 := (v1 << 17) | ((v1 >> 47) & 131071); v1 := v1 # v2;"
	"    v2 := (v2 << 32) | ((v2 >> 32) & M32);"
	"  END LOOP;"
	"  RETURN v0 # v1 # v2 # v3; END$$;"
	/* A 64-bit word as 8 bytes, least significant first. */
	"CREATE OR REPLACE FUNCTION crm_le64_bytes(v bigint) RETURNS bytea"
	"  LANGUAGE sql IMMUTABLE STRICT AS $$"
	"  SELECT decode(string_agg(substr(h, 15 - 2 * k, 2), '' ORDER BY k),"
	"    'hex') FROM (SELECT lpad(to_hex(v), 16, '0') AS h) x,"
	"    generate_series(0, 7) k $$;"
	/*
	 * crm_campaign_u(name, key): campaign.c's sql_u(), the key hashed
	 * under the campaign's (kept for the session), in [0, 1).
	 */
	"CREATE OR REPLACE FUNCTION crm_campaign_key(name text,"
	"  OUT k0 bigint, OUT k1 bigint) LANGUAGE plpgsql STABLE AS $$BEGIN"
	"  IF current_setting('crm.campaign_name', true) IS NOT DISTINCT"
	"    FROM name AND current_setting('crm.campaign_k0', true) <> '' THEN"
	"    k0 := CAST(current_setting('crm.campaign_k0') AS bigint);"
	"    k1 := CAST(current_setting('crm.campaign_k1') AS bigint);"
	"    RETURN;"
	"  END IF;"
	"  k0 := crm_siphash24(crm_le64('crm-campaign-k0.', 0),"
	"    crm_le64('crm-campaign-k0.', 8), convert_to(name, 'UTF8'));"
	"  k1 := crm_siphash24(crm_le64('crm-campaign-k1.', 0),"
	"    crm_le64('crm-campaign-k1.', 8), convert_to(name, 'UTF8'));"
	"  PERFORM set_config('crm.campaign_name', name, false),"
	"    set_config('crm.campaign_k0', CAST(k0 AS text), false),"
	"    set_config('crm.campaign_k1', CAST(k1 AS text), false);"
	"  END$$;"
	"CREATE OR REPLACE FUNCTION crm_campaign_unit(h bigint)"
	"  RETURNS double precision LANGUAGE sql IMMUTABLE STRICT AS $$"
	"  SELECT CAST((h >> 11) & 9007199254740991 AS double precision)"
	"    / 9007199254740992.0 $$;"
	"CREATE OR REPLACE FUNCTION crm_campaign_u(name text, id bigint)"
	"  RETURNS double precision LANGUAGE sql VOLATILE AS $$"
	"  SELECT crm_campaign_unit(crm_siphash24(k.k0, k.k1,"
	"    crm_le64_bytes(id))) FROM crm_campaign_key(name) k $$;"
	"CREATE OR REPLACE FUNCTION crm_campaign_u(name text, s text)"
	"  RETURNS double precision LANGUAGE sql VOLATILE AS $$"
	"  SELECT crm_campaign_unit(crm_siphash24(k.k0, k.k1,"
	"    convert_to(coalesce(s, ''), 'UTF8'))) FROM crm_campaign_key(name) k"
	"  $$;"
	"CREATE OR REPLACE FUNCTION crm_campaign_chash(s text) RETURNS bytea"
	"  LANGUAGE sql IMMUTABLE STRICT AS $$"
	"  SELECT crm_le64_bytes(crm_siphash24(crm_le64('crm-campaign-ref', 0),"
	"    crm_le64('crm-campaign-ref', 8), convert_to(s, 'UTF8')))"
	"    || crm_le64_bytes(crm_siphash24(crm_le64('crm-campaign-REF', 0),"
	"    crm_le64('crm-campaign-REF', 8), convert_to(s, 'UTF8'))) $$;";
