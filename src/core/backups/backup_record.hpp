// Snapshot metadata rows (tapedeck.backups in the Live DB): reading them and printing them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/lsn.hpp"
#include "core/pg/connection.hpp"

namespace tapedeck::backups {

// One row of tapedeck.backups (DESIGN §3.3). Times are RFC 3339 text in UTC with
// microseconds ("2026-01-01T10:00:00.123456Z"), exactly what the row holds. Plain value.
struct BackupRecord {
  std::int64_t id = 0;
  std::string object_key;
  std::string storage_url;
  std::int64_t size_bytes = 0;
  std::string sha256;
  std::string created_at;
  std::optional<std::string> system_time;  // none when the timekeeper never wrote one
  Lsn lsn;
  std::string txid_snapshot;  // "xmin:xmax:xip,..."
  std::string server_version;
  bool deleting = false;
  // The Live DB's encoding and locale as JSON (session::parse_database_locale); none for
  // snapshots from before they were recorded.
  std::optional<std::string> database_locale;
};

// Every backup, oldest first (created_at, then id). `include_deleting`: also rows a cleanup
// is removing.
std::vector<BackupRecord> list_backups(pg::Connection& live, bool include_deleting = false);

// Whether a backup was taken at or after `since` (its created_at): false before the first
// backup created the table.
bool taken_since(pg::Connection& live, std::chrono::sys_time<std::chrono::microseconds> since);

// The JSON array `tapedeck backup list --json` prints (one object per record, keys as the
// column names; system_time null when unknown).
std::string backups_to_json(const std::vector<BackupRecord>& backups);
// A table for a person: id, created_at, size, lsn, object key.
std::string backups_to_table(const std::vector<BackupRecord>& backups);

// "snapshots/20260101T100000.123456Z-16-B374D848.dump" for a snapshot taken at
// `taken_at` (RFC 3339 UTC text) at WAL position `lsn`: sortable by time, unique
// per LSN, valid in every store.
std::string backup_object_key(const std::string& taken_at, Lsn lsn);

// Size as "1.5 MiB".
std::string human_size(std::int64_t bytes);

}  // namespace tapedeck::backups
