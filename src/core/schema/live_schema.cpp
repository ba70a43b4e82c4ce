// Live DB schema, version by version.
#include "core/schema/live_schema.hpp"

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
};

}  // namespace

std::span<const pg::Migration> live_migrations() {
  return kMigrations;
}

int migrate_live(pg::Connection& live) {
  return pg::migrate(live, "live", kMigrations);
}

}  // namespace tapedeck::schema
