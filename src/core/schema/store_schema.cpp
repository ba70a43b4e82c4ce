// TransformMsg DB schema, version by version.
#include "core/schema/store_schema.hpp"

namespace tapedeck::schema {

namespace {

// statements: one row per change event. `event_id` is unique so a redelivered event is
// stored once. `commit_lsn` orders transactions in commit order: the commit LSN that
// tapedeck's capture sends; for a stock Debezium event, which carries none, the LSN of the
// previous commit the connector saw (source.sequence[0]), which also grows in commit order.
// `position` orders the events of one transaction. Catch-up reads "xid not visible in the
// snapshot and commit_time <= start, by (commit_lsn, position)"; paced replay reads
// "commit_time in (a, b] by (commit_lsn, position)".
constexpr pg::Migration kMigrations[] = {
    {1, "statements, rtus_calls, dead_letters", R"(
CREATE TABLE tapedeck.statements (
  event_id    text        PRIMARY KEY,
  commit_lsn  pg_lsn      NOT NULL,
  position    bigint      NOT NULL,
  xid         xid8        NOT NULL,
  commit_time timestamptz NOT NULL,
  schema_name text        NOT NULL,
  table_name  text        NOT NULL,
  op          "char"      NOT NULL CHECK (op IN ('c', 'r', 'u', 'd', 't')),
  sql         text        NOT NULL,
  stored_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX statements_by_commit_time ON tapedeck.statements (commit_time, commit_lsn, position);
CREATE INDEX statements_by_commit_lsn ON tapedeck.statements (commit_lsn, position);
CREATE INDEX statements_by_xid ON tapedeck.statements (xid);

CREATE TABLE tapedeck.rtus_calls (
  call_id     text        PRIMARY KEY,
  called_at   timestamptz NOT NULL,
  method      text        NOT NULL,
  path        text        NOT NULL,
  headers     jsonb       NOT NULL DEFAULT '{}',
  body        text        NOT NULL DEFAULT '',
  stored_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX rtus_calls_by_time ON tapedeck.rtus_calls (called_at, call_id);

CREATE TABLE tapedeck.dead_letters (
  id              bigserial   PRIMARY KEY,
  stream          text        NOT NULL,
  stream_sequence bigint      NOT NULL,
  subject         text        NOT NULL,
  raw             bytea       NOT NULL,
  reason          text        NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (stream, stream_sequence)
);
CREATE INDEX dead_letters_by_time ON tapedeck.dead_letters (received_at);

-- The commit LSN up to which every capture event is committed here; capture confirms its
-- slot up to this point (DESIGN 3.1). One row per slot/stream pair.
CREATE TABLE tapedeck.watermarks (
  name        text        PRIMARY KEY,
  lsn         pg_lsn      NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
)"},
    {2, "playback sessions", R"(
-- One row per playback session (DESIGN 3.4), the state every replaymgr, dbop and msgop copy
-- shares. State changes are conditional UPDATEs (state = ANY(allowed)), so a transition is
-- applied once or refused, never half-applied.
CREATE TABLE tapedeck.sessions (
  id                   text        PRIMARY KEY,
  name                 text        NOT NULL DEFAULT '',
  state                text        NOT NULL,
  start_time           timestamptz NOT NULL,
  end_time             timestamptz NOT NULL,
  speed                text        NOT NULL,
  database_name        text        NOT NULL,
  error                text        NOT NULL DEFAULT '',
  created_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- the snapshot dbop restored
  backup_id            bigint,
  backup_lsn           pg_lsn,
  backup_txid_snapshot text,
  -- progress, written by msgop
  playback_time        timestamptz,
  statements_applied   bigint      NOT NULL DEFAULT 0,
  statements_left      bigint      NOT NULL DEFAULT 0,
  rtus_calls_sent      bigint      NOT NULL DEFAULT 0,
  rtus_calls_left      bigint      NOT NULL DEFAULT 0,
  behind_ms            bigint      NOT NULL DEFAULT 0,
  -- the dbop or msgop process working on the session, and when it last said so
  worker               text        NOT NULL DEFAULT '',
  heartbeat_at         timestamptz,
  CHECK (end_time > start_time)
);
CREATE INDEX sessions_by_created ON tapedeck.sessions (created_at, id);
-- A fixed database name (no <id> in playback.database_template) is held by one live session
-- at a time.
CREATE UNIQUE INDEX sessions_database_in_use ON tapedeck.sessions (database_name)
  WHERE state NOT IN ('ended', 'failed');
)"},
    {3, "how far the recording feeding a session is stored", R"(
-- Written by msgop with its progress: a session that needs moments the stored recording does
-- not cover yet waits, and says so, instead of replaying an incomplete recording.
ALTER TABLE tapedeck.sessions
  ADD COLUMN recorded_until        timestamptz,
  ADD COLUMN waiting_for_recording boolean NOT NULL DEFAULT false;
)"},
    {4, "schema changes: their statements and the table shapes transform renders with", R"(
-- op 'D': a schema change of the Live DB (DDL), replayed at its place like any statement.
ALTER TABLE tapedeck.statements DROP CONSTRAINT statements_op_check;
ALTER TABLE tapedeck.statements ADD CONSTRAINT statements_op_check
  CHECK (op IN ('c', 'r', 'u', 'd', 't', 'D'));

-- Per table, its shape as the newest schema change transform stored recorded it (JSON, see
-- tapedeck.table_shape in the Live DB). transform renders data events with it, so an event
-- is rendered against the table as it was when it changed, not as the Live DB is now.
-- Written in the transaction of the batch that held the change.
CREATE TABLE tapedeck.table_shapes (
  schema_name text   NOT NULL,
  table_name  text   NOT NULL,
  shape       text   NOT NULL,
  commit_lsn  pg_lsn NOT NULL,
  PRIMARY KEY (schema_name, table_name)
);
)"},
    {5, "the tape transport: point-in-time sessions, seek, step, phase progress", R"(
-- A point-in-time session has no end (NULL): it stays ready at its start until started.
-- While seeking, seek_to is the moment sought and resume_state the state to return to;
-- seek_restore says where a backward seek's restore is ('requested' by msgop, 'restoring' by
-- dbop, 'restored' for msgop to catch up). steps_pending: transactions a paused session is
-- asked to apply. progress: the current phase's progress (core/progress.hpp), as JSON.
ALTER TABLE tapedeck.sessions
  ALTER COLUMN end_time DROP NOT NULL,
  ADD COLUMN seek_to       timestamptz,
  ADD COLUMN resume_state  text,
  ADD COLUMN seek_restore  text,
  ADD COLUMN steps_pending bigint NOT NULL DEFAULT 0,
  ADD COLUMN progress      jsonb;
)"},
    {6, "per minute of commit time, the latest commit LSN recorded", R"(
-- For each minute of commit time (minutes since the epoch, UTC), the highest commit LSN of
-- any statement committed in it. Commit timestamps do not grow strictly with commit LSNs, so
-- "committed at or before T" is no LSN prefix of the recording; the highest LSN over the
-- minutes up to T bounds it exactly, and lets catch-up's walk of the commit-LSN index stop
-- there instead of at the end of the recording. Kept by a trigger, so every way a statement
-- is stored (COPY, INSERT, a test's own INSERT) keeps it true; cleanup drops the minutes
-- older than the oldest statement left.
CREATE TABLE tapedeck.statement_minutes (
  epoch_minute      bigint PRIMARY KEY,
  latest_commit_lsn pg_lsn NOT NULL
);

-- The minute a commit time falls in: the one definition the trigger, catch-up's bound and
-- cleanup share (a plain SQL function, inlined where it is used).
CREATE FUNCTION tapedeck.epoch_minute(at timestamptz) RETURNS bigint
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $fn$ SELECT floor(extract(epoch FROM at) / 60)::bigint $fn$;

CREATE FUNCTION tapedeck.note_statement_minutes() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  -- In minute order, so concurrent writers lock the rows they share in one order.
  INSERT INTO tapedeck.statement_minutes AS m (epoch_minute, latest_commit_lsn)
  SELECT tapedeck.epoch_minute(commit_time), max(commit_lsn)
    FROM new_statements GROUP BY 1 ORDER BY 1
  ON CONFLICT (epoch_minute) DO UPDATE SET latest_commit_lsn = excluded.latest_commit_lsn
   WHERE m.latest_commit_lsn < excluded.latest_commit_lsn;
  RETURN NULL;
END
$fn$;

CREATE TRIGGER statements_note_minutes AFTER INSERT ON tapedeck.statements
  REFERENCING NEW TABLE AS new_statements
  FOR EACH STATEMENT EXECUTE FUNCTION tapedeck.note_statement_minutes();

INSERT INTO tapedeck.statement_minutes (epoch_minute, latest_commit_lsn)
SELECT tapedeck.epoch_minute(commit_time), max(commit_lsn)
  FROM tapedeck.statements GROUP BY 1;
)"},
    {7, "dead letters: where the change belongs in the recording, when known", R"(
ALTER TABLE tapedeck.dead_letters ADD COLUMN commit_lsn pg_lsn, ADD COLUMN commit_time timestamptz;
CREATE INDEX dead_letters_by_commit_lsn ON tapedeck.dead_letters (commit_lsn)
  WHERE commit_lsn IS NOT NULL;
)"},
    {8, "watermark holds: capture transactions stored with messages missing", R"(
CREATE TABLE tapedeck.watermark_holds (
  name       text           NOT NULL,
  commit_lsn pg_lsn         NOT NULL,
  missing    int8multirange NOT NULL,
  noticed_at timestamptz    NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (name, commit_lsn)
);
)"},
};

}  // namespace

std::span<const pg::Migration> store_migrations() {
  return kMigrations;
}

int migrate_store(pg::Connection& store) {
  return pg::migrate(store, "store", kMigrations);
}

void require_store(pg::Connection& store) {
  pg::require_schema(store, "store", kMigrations, "TransformMsg DB (store.dsn)");
}

}  // namespace tapedeck::schema
