// tapedeck.backups and tapedeck.backup_uploads (Live DB): the one home of every query on them
// but the listing (backup_record.hpp). The scheduler's backup job writes them and its cleanup
// trims them; replaymgr and `tapedeck statements export` look snapshots up. The DDL is in
// core/schema/live_schema.cpp.
#pragma once

namespace tapedeck::backups::table {

// --- the backup job ---------------------------------------------------------------------------

// An upload is journaled before it starts, so a job that dies midway leaves a trace the
// cleanup follows.
inline constexpr const char* kJournalUpload =
    "INSERT INTO tapedeck.backup_uploads (object_key, storage_url) VALUES ($1, $2)";
inline constexpr const char* kEndJournalEntry =
    "DELETE FROM tapedeck.backup_uploads WHERE object_key = $1";

// Records the upload in the same transaction that ends its journal entry, with the Live DB's
// encoding and locale (pg_database's columns differ by version: read by name from its JSON).
inline constexpr const char* kInsert = R"(
WITH uploaded AS (DELETE FROM tapedeck.backup_uploads WHERE object_key = $1)
INSERT INTO tapedeck.backups
  (object_key, storage_url, size_bytes, sha256, created_at, system_time, lsn, txid_snapshot,
   server_version, database_locale)
VALUES ($1, $2, $3, $4, $5::timestamptz, $6::timestamptz, $7::pg_lsn, $8::pg_snapshot, $9,
        (SELECT jsonb_strip_nulls(jsonb_build_object(
                  'encoding', pg_catalog.pg_encoding_to_char(d.encoding),
                  'collate', j->>'datcollate', 'ctype', j->>'datctype',
                  'provider', j->>'datlocprovider',
                  'locale', coalesce(j->>'datlocale', j->>'daticulocale')))
           FROM pg_catalog.pg_database d, LATERAL pg_catalog.to_jsonb(d) j
          WHERE d.datname = pg_catalog.current_database()))
RETURNING id)";

// --- the backup cleanup -----------------------------------------------------------------------

inline constexpr const char* kAges = R"(
SELECT id, (extract(epoch FROM created_at) * 1000000)::bigint,
       (extract(epoch FROM clock_timestamp()) * 1000000)::bigint,
       (extract(epoch FROM coalesce(system_time, created_at)) * 1000000)::bigint
  FROM tapedeck.backups WHERE NOT deleting ORDER BY created_at, id)";
inline constexpr const char* kMarkDeleting =
    "UPDATE tapedeck.backups SET deleting = true WHERE id = $1 AND NOT deleting";
inline constexpr const char* kDeleteRow = "DELETE FROM tapedeck.backups WHERE id = $1 AND deleting";
inline constexpr const char* kAbandonedUploads =
    "SELECT object_key, storage_url FROM tapedeck.backup_uploads ORDER BY started_at";

// The oldest retained backup: what the recording must still reach back to.
inline constexpr const char* kOldest = R"(
SELECT txid_snapshot::text, created_at::text, lsn::text
  FROM tapedeck.backups WHERE NOT deleting ORDER BY created_at, id LIMIT 1)";

// --- look-ups ---------------------------------------------------------------------------------

// The transaction snapshot of backup $1 (`tapedeck statements export --after-backup`).
inline constexpr const char* kSnapshotOf =
    "SELECT txid_snapshot::text FROM tapedeck.backups WHERE id = $1";

// When the newest snapshot at or before $1 (microseconds since the epoch) was taken: its
// system time, or its creation time when it has none (replaymgr's check of a session start).
inline constexpr const char* kTakenAtOrBefore = R"(
SELECT (extract(epoch FROM max(coalesce(system_time, created_at))) * 1000000)::int8 AS taken
FROM tapedeck.backups
WHERE NOT deleting
  AND coalesce(system_time, created_at)
      <= to_timestamp(0) + $1::int8 * interval '1 microsecond')";

// Whether a backup was taken at or after $1 (microseconds since the epoch): the scheduler's
// one-backup-per-cron-slot check. Only once the table exists (kBackupsExist).
inline constexpr const char* kBackupsExist = "SELECT to_regclass('tapedeck.backups') IS NOT NULL";
inline constexpr const char* kTakenSince = R"(
SELECT count(*) > 0 FROM tapedeck.backups
 WHERE created_at >= to_timestamp(0) + $1::int8 * interval '1 microsecond')";

}  // namespace tapedeck::backups::table
