// Live DB schema, version by version.
#include "core/schema/live_schema.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/pg/transaction.hpp"

namespace tapedeck::schema {

namespace {

constexpr pg::Migration kMigrations[] = {
    {1, "system_time, backups", R"(
-- One row: the time the timekeeper last wrote. It is recorded and replayed like any table,
-- so a playback database carries the system time of the moment it shows.
CREATE TABLE tapedeck.system_time (
  id          boolean     PRIMARY KEY DEFAULT true CHECK (id),
  system_time timestamptz NOT NULL,
  tick        bigint      NOT NULL
);

-- One row per snapshot, inserted only after its object is fully stored. `deleting` marks
-- a backup whose object the cleanup job is removing, so a crash in between is finished by
-- the next run instead of leaving a row that points at nothing.
CREATE TABLE tapedeck.backups (
  id             bigserial   PRIMARY KEY,
  object_key     text        NOT NULL UNIQUE,
  storage_url    text        NOT NULL,
  size_bytes     bigint      NOT NULL CHECK (size_bytes >= 0),
  sha256         text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  created_at     timestamptz NOT NULL,
  system_time    timestamptz,
  lsn            pg_lsn      NOT NULL,
  txid_snapshot  pg_snapshot NOT NULL,
  server_version text        NOT NULL,
  deleting       boolean     NOT NULL DEFAULT false
);
CREATE INDEX backups_by_time ON tapedeck.backups (created_at);
)"},
    {2, "backup_uploads", R"(
-- An upload the backup job has started and not yet recorded in tapedeck.backups. The row
-- goes in before the upload and leaves in the transaction that inserts the backup, so a
-- crash in between leaves this row behind and the backup cleanup removes its object.
CREATE TABLE tapedeck.backup_uploads (
  object_key  text        PRIMARY KEY,
  storage_url text        NOT NULL,
  started_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
)"},
    {3, "schema_changes and the functions of its event triggers", R"sql(
-- One row per schema change of the Live DB, written by tapedeck's event triggers
-- (install_schema_change_triggers) and recorded through capture like any table, so each
-- change reaches transform at its place in commit order. `event`: 'ddl_command_end' (a
-- change to replay: the query text, which firing of `command_tag` within it this is, whether
-- it ran nested in a function), 'sql_drop' (the tables a statement dropped, in `objects` as
-- JSON) or 'baseline' (every table's shape when the triggers were installed). `shapes`: the
-- affected tables' shape after the change, as JSON (tapedeck.table_shape).
CREATE TABLE tapedeck.schema_changes (
  id           bigserial   PRIMARY KEY,
  event        text        NOT NULL CHECK (event IN ('ddl_command_end', 'sql_drop', 'baseline')),
  command_tag  text        NOT NULL,
  ordinal      integer     NOT NULL,
  nested       boolean     NOT NULL,
  query        text        NOT NULL,
  search_path  text        NOT NULL,
  objects      text        NOT NULL,
  shapes       text        NOT NULL,
  backend_pid  integer     NOT NULL DEFAULT pg_catalog.pg_backend_pid(),
  statement_at timestamptz NOT NULL DEFAULT pg_catalog.statement_timestamp(),
  changed_at   timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp()
);
-- The trigger counts the earlier firings of the same query message with it.
CREATE INDEX schema_changes_by_statement ON tapedeck.schema_changes (backend_pid, statement_at);

-- A table's shape as transform renders with it: columns in order with their types printed by
-- format_type() under search_path '' (user types schema-qualified), the base type of a domain,
-- identity GENERATED ALWAYS, the replica identity and its key columns. NULL for a non-table.
CREATE FUNCTION tapedeck.table_shape(relation oid) RETURNS json
LANGUAGE sql STABLE SET search_path = '' AS $shape$
SELECT pg_catalog.json_build_object(
  'schema', n.nspname,
  'table', c.relname,
  'replica_identity', c.relreplident::text,
  'columns', (SELECT pg_catalog.json_agg(pg_catalog.json_build_object(
                'name', a.attname,
                'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                'base_type', CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod)
                                  WHEN e.typtype = 'd' THEN pg_catalog.format_type(e.typbasetype, e.typtypmod) || '[]'
                                  ELSE '' END,
                'identity_always', a.attidentity = 'a') ORDER BY a.attnum)
                FROM pg_catalog.pg_attribute a
                JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
                LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem AND t.typlen = -1 AND t.typelem <> 0
               WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
  'key', (SELECT pg_catalog.json_agg(a.attname ORDER BY k.ord)
            FROM pg_catalog.pg_index i
            CROSS JOIN LATERAL pg_catalog.unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
           WHERE i.indrelid = c.oid
             AND CASE WHEN c.relreplident = 'i' THEN i.indisreplident ELSE i.indisprimary END))
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = relation AND c.relkind IN ('r', 'p')
$shape$;

-- The event triggers' function. SECURITY DEFINER so that any role running DDL can record it;
-- it keeps the caller's search_path (recorded with the query, so replay resolves names the
-- same way), hence every name in it is schema-qualified.
CREATE FUNCTION tapedeck.record_schema_change() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER AS $record$
DECLARE
  context text;
  commands integer;
  temporary_only boolean;
  tables oid[];
  objects text;
  dropped text;
BEGIN
  IF TG_EVENT = 'sql_drop' THEN
    -- Which tables went (their recorded shapes are forgotten), and whether everything dropped
    -- was temporary (ddl_command_end, which fires next, then records nothing).
    SELECT pg_catalog.json_agg(pg_catalog.json_build_object('schema', d.schema_name, 'table', d.object_name))
             FILTER (WHERE d.object_type = 'table' AND NOT d.is_temporary)::text,
           pg_catalog.bool_and(d.is_temporary)
      INTO dropped, temporary_only
      FROM pg_catalog.pg_event_trigger_dropped_objects() d;
    PERFORM pg_catalog.set_config('tapedeck.dropped',
                                  CASE WHEN temporary_only THEN 'temporary' ELSE 'persistent' END, true);
    IF dropped IS NOT NULL THEN
      INSERT INTO tapedeck.schema_changes (event, command_tag, ordinal, nested, query, search_path, objects, shapes)
      VALUES ('sql_drop', TG_TAG, 0, false, '', '', dropped, '[]');
    END IF;
    RETURN;
  END IF;
  IF TG_TAG LIKE 'DROP %' THEN
    -- DROP ... IF EXISTS of nothing, or of temporary objects only: nothing to replay.
    IF COALESCE(pg_catalog.current_setting('tapedeck.dropped', true), '') IN ('', 'temporary') THEN
      RETURN;
    END IF;
    PERFORM pg_catalog.set_config('tapedeck.dropped', '', true);
  ELSE
    SELECT pg_catalog.count(*), pg_catalog.bool_and(d.schema_name LIKE 'pg\_temp%'),
           pg_catalog.array_agg(DISTINCT d.objid)
             FILTER (WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = 0),
           pg_catalog.string_agg(d.object_identity, ', ')
      INTO commands, temporary_only, tables, objects
      FROM pg_catalog.pg_event_trigger_ddl_commands() d;
    -- CREATE ... IF NOT EXISTS of something that exists, or a temporary table: nothing to replay.
    IF commands = 0 OR temporary_only THEN RETURN; END IF;
  END IF;
  -- More than one line of context: the DDL ran inside a function or a DO block, so the query
  -- text is not the DDL statement.
  GET DIAGNOSTICS context = PG_CONTEXT;
  INSERT INTO tapedeck.schema_changes (event, command_tag, ordinal, nested, query, search_path, objects, shapes)
  SELECT 'ddl_command_end', TG_TAG,
         -- Which firing of this tag within the query text (a simple query may hold several).
         1 + (SELECT pg_catalog.count(*) FROM tapedeck.schema_changes s
               WHERE s.event = 'ddl_command_end' AND s.backend_pid = pg_catalog.pg_backend_pid()
                 AND s.statement_at = pg_catalog.statement_timestamp() AND s.command_tag = TG_TAG
                 AND s.query = pg_catalog.current_query()),
         pg_catalog.strpos(context, E'\n') > 0,
         pg_catalog.current_query(),
         pg_catalog.current_setting('search_path'),
         COALESCE(objects, ''),
         COALESCE((SELECT pg_catalog.json_agg(shape)
                                FROM pg_catalog.unnest(tables) t,
                                     LATERAL tapedeck.table_shape(t) shape
                               WHERE shape IS NOT NULL)::text, '[]');
END
$record$;

-- Every table's shape now, as a 'baseline' row: a transform that lags behind then never
-- renders older events with a newer live catalog.
CREATE FUNCTION tapedeck.record_schema_baseline() RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $baseline$
INSERT INTO tapedeck.schema_changes (event, command_tag, ordinal, nested, query, search_path, objects, shapes)
SELECT 'baseline', 'BASELINE', 0, false, '', '', '',
       COALESCE(pg_catalog.json_agg(tapedeck.table_shape(c.oid) ORDER BY n.nspname, c.relname)::text, '[]')
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND c.relpersistence = 'p'
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
$baseline$;
)sql"},
    {4, "backup_checksums, verifications", R"(
-- Per-table checksums of a backup's snapshot, computed by the backup job in the transaction
-- whose snapshot pg_dump dumps (core/backups/table_checksums.hpp); they go with their backup.
CREATE TABLE tapedeck.backup_checksums (
  backup_id   bigint NOT NULL REFERENCES tapedeck.backups (id) ON DELETE CASCADE,
  schema_name text   NOT NULL,
  table_name  text   NOT NULL,
  row_count   bigint NOT NULL CHECK (row_count >= 0),
  checksum    text   NOT NULL,
  PRIMARY KEY (backup_id, schema_name, table_name)
);

-- One row per `tapedeck verify` run: an older backup restored and caught up exactly to a newer
-- backup's snapshot, compared table by table. The backups may be deleted later; the window
-- (covers_from, covers_until: the two snapshots' moments) stays.
CREATE TABLE tapedeck.verifications (
  id              bigserial   PRIMARY KEY,
  started_at      timestamptz NOT NULL,
  finished_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  older_backup_id bigint      NOT NULL,
  newer_backup_id bigint      NOT NULL,
  covers_from     timestamptz NOT NULL,
  covers_until    timestamptz NOT NULL,
  result          text        NOT NULL CHECK (result IN ('ok', 'diverged', 'failed')),
  reason          text        NOT NULL DEFAULT '',
  statements      bigint      NOT NULL DEFAULT 0,
  tables          jsonb       NOT NULL DEFAULT '[]'
);
CREATE INDEX verifications_by_window ON tapedeck.verifications (covers_from, covers_until);
)"},
    {5, "table shapes say how an added column was filled", R"(
-- Replaying ADD COLUMN ... DEFAULT evaluates the default again, so each column's shape also
-- says how the Live DB filled the rows that existed: attnum (a column numbered above every
-- column of the previous shape was added), `missing` (the value a non-volatile default gave
-- them, PostgreSQL's attmissingval, as text), and `default_not_constant` (a default or identity
-- whose per-row values a table rewrite computed and no recording holds). The settings make
-- the text of `missing` read back the same in any session.
CREATE OR REPLACE FUNCTION tapedeck.table_shape(relation oid) RETURNS json
LANGUAGE sql STABLE
SET search_path = '' SET datestyle = 'ISO, YMD' SET intervalstyle = 'postgres'
SET extra_float_digits = '3' SET bytea_output = 'hex' AS $shape$
SELECT pg_catalog.json_build_object(
  'schema', n.nspname,
  'table', c.relname,
  'replica_identity', c.relreplident::text,
  'columns', (SELECT pg_catalog.json_agg(pg_catalog.json_build_object(
                'name', a.attname,
                'type', pg_catalog.format_type(a.atttypid, a.atttypmod),
                'base_type', CASE WHEN t.typtype = 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod)
                                  WHEN e.typtype = 'd' THEN pg_catalog.format_type(e.typbasetype, e.typtypmod) || '[]'
                                  ELSE '' END,
                'identity_always', a.attidentity = 'a',
                'attnum', a.attnum,
                'missing', CASE WHEN a.atthasmissing THEN a.attmissingval::text END,
                'default_not_constant',
                  a.attidentity <> ''
                  OR (a.atthasdef AND a.attgenerated = ''
                      AND pg_catalog.strpos(pg_catalog.pg_get_expr(d.adbin, d.adrelid), '(') > 0))
                ORDER BY a.attnum)
                FROM pg_catalog.pg_attribute a
                JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
                LEFT JOIN pg_catalog.pg_type e ON e.oid = t.typelem AND t.typlen = -1 AND t.typelem <> 0
                LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
               WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
  'key', (SELECT pg_catalog.json_agg(a.attname ORDER BY k.ord)
            FROM pg_catalog.pg_index i
            CROSS JOIN LATERAL pg_catalog.unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
           WHERE i.indrelid = c.oid
             AND CASE WHEN c.relreplident = 'i' THEN i.indisreplident ELSE i.indisprimary END))
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = relation AND c.relkind IN ('r', 'p')
$shape$;
-- Where the triggers already record (an upgrade), a baseline with column numbers, so the next
-- ADD COLUMN of any table is told apart; a new install records its baseline with them.
SELECT tapedeck.record_schema_baseline()
 WHERE EXISTS (SELECT FROM pg_catalog.pg_event_trigger WHERE evtname = 'tapedeck_schema_change');
)"},
    {6, "schema changes record the settings they ran under", R"(
-- A schema change's casts and expressions evaluate under its session's settings: the same
-- ALTER COLUMN ... TYPE timestamptz gives other instants under another TimeZone, ALTER COLUMN
-- ... TYPE text of a date other text under another DateStyle. Each row records, as a JSON
-- object, the settings that can change what a change stores or how its text reads; transform
-- replays the change under them (transform/schema_change.hpp). The default is evaluated in
-- the session that ran the change (the trigger function sets none of these); rows from
-- before this version have none ('').
ALTER TABLE tapedeck.schema_changes ADD COLUMN settings text NOT NULL DEFAULT '';
ALTER TABLE tapedeck.schema_changes ALTER COLUMN settings SET DEFAULT pg_catalog.json_build_object(
  'TimeZone', pg_catalog.current_setting('TimeZone'),
  'DateStyle', pg_catalog.current_setting('DateStyle'),
  'IntervalStyle', pg_catalog.current_setting('IntervalStyle'),
  'extra_float_digits', pg_catalog.current_setting('extra_float_digits'),
  'bytea_output', pg_catalog.current_setting('bytea_output'),
  'xmlbinary', pg_catalog.current_setting('xmlbinary'),
  'default_text_search_config', pg_catalog.current_setting('default_text_search_config'),
  'standard_conforming_strings', pg_catalog.current_setting('standard_conforming_strings'),
  'array_nulls', pg_catalog.current_setting('array_nulls'),
  'xmloption', pg_catalog.current_setting('xmloption'))::text;
-- A shape's `missing` money prints in the one locale replay reads money in (money_locale.hpp).
ALTER FUNCTION tapedeck.table_shape(oid) SET lc_monetary = 'C';
)"},
    {7, "backups record the Live DB's encoding and locale", R"(
-- A JSON object {"encoding", "collate", "ctype", "provider", "locale"}: dbop creates a session
-- database with them, so its text sorts and compares as the Live DB's did. NULL for snapshots
-- taken before this version (restored with the playback server's defaults).
ALTER TABLE tapedeck.backups ADD COLUMN database_locale jsonb;
)"},
};

// The event triggers themselves: creating one needs a superuser, so they are not a migration
// (which would stop every component where tapedeck's role is not one) but installed when
// possible, with the warning below when not. The tags are the schema changes tapedeck replays.
constexpr int kTriggerCount = 2;

constexpr const char* kInstallTriggers =
    R"(CREATE EVENT TRIGGER tapedeck_schema_change ON ddl_command_end
  WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE', 'DROP TABLE', 'CREATE SCHEMA', 'DROP SCHEMA',
               'CREATE INDEX', 'DROP INDEX')
  EXECUTE FUNCTION tapedeck.record_schema_change();
CREATE EVENT TRIGGER tapedeck_schema_drop ON sql_drop
  WHEN TAG IN ('DROP TABLE', 'DROP SCHEMA', 'DROP INDEX', 'ALTER TABLE')
  EXECUTE FUNCTION tapedeck.record_schema_change();
SELECT tapedeck.record_schema_baseline();)";

constexpr const char* kInstalledTriggers =
    "SELECT count(*) FROM pg_catalog.pg_event_trigger "
    "WHERE evtname IN ('tapedeck_schema_change', 'tapedeck_schema_drop')";

constexpr std::string_view kInsufficientPrivilege = "42501";

int installed_triggers(pg::Connection& live) {
  return live.exec(kInstalledTriggers).get<int>(0, 0);
}

}  // namespace

std::string_view schema_change_triggers_sql() {
  return kInstallTriggers;
}

SchemaChangeRecording install_schema_change_triggers(pg::Connection& live) {
  if (installed_triggers(live) == kTriggerCount) return SchemaChangeRecording::installed;
  try {
    pg::Transaction transaction(live);
    transaction.exec("SELECT pg_advisory_xact_lock(hashtext('tapedeck.migrate'))");
    if (installed_triggers(live) == kTriggerCount) return SchemaChangeRecording::installed;
    transaction.exec("DROP EVENT TRIGGER IF EXISTS tapedeck_schema_change");
    transaction.exec("DROP EVENT TRIGGER IF EXISTS tapedeck_schema_drop");
    transaction.exec(kInstallTriggers);
    transaction.commit();
    log::get("schema")->info(
        "schema changes of the Live DB are recorded from now on (event "
        "triggers tapedeck_schema_change and tapedeck_schema_drop installed)");
    return SchemaChangeRecording::installed_now;
  } catch (const Error& error) {
    if (error.code() != kInsufficientPrivilege) throw;
  }
  log::get("schema")->warn(
      "schema changes of the Live DB are NOT recorded: creating an event trigger needs a "
      "superuser and tapedeck's Live DB role is not one. A session whose window spans a "
      "CREATE/ALTER/DROP TABLE, CREATE/DROP SCHEMA or CREATE/DROP INDEX will fail or differ "
      "from the Live DB, and data changes are rendered with the current catalog instead of "
      "the table's shape at the time. Run this once on the Live DB as a superuser:\n{}",
      kInstallTriggers);
  return SchemaChangeRecording::missing;
}

std::span<const pg::Migration> live_migrations() {
  return kMigrations;
}

int migrate_live(pg::Connection& live) {
  const int version = pg::migrate(live, "live", kMigrations);
  install_schema_change_triggers(live);
  return version;
}

}  // namespace tapedeck::schema
