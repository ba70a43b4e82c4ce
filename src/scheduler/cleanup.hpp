// The cleanup jobs: old transform data in the TransformMsg DB, old backups in storage and the
// Live DB.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/storage/object_store.hpp"

namespace tapedeck::scheduler {

using Micros = std::chrono::microseconds;
using Instant = std::chrono::sys_time<Micros>;

// --- backups ---------------------------------------------------------------------------------

struct BackupAge {
  std::int64_t id = 0;
  Instant created_at;
};

// Which backups to delete (ids, oldest first): those created before `now - retention`, but
// never so many that fewer than `keep_min` backups remain (the newest are kept). `backups` in
// any order. Pure.
std::vector<std::int64_t> backups_to_delete(std::vector<BackupAge> backups, Instant now,
                                            std::chrono::milliseconds retention,
                                            std::int64_t keep_min);

struct BackupCleanupSettings {
  std::string live_dsn;
  storage::StoreConfig store;
  std::chrono::milliseconds retention{std::chrono::hours(24 * 7)};
  std::int64_t keep_min = 2;
};
BackupCleanupSettings backup_cleanup_settings(const config::Config& config);

struct BackupCleanupResult {
  std::int64_t abandoned = 0;  // objects of backup jobs that stopped before inserting the row
  std::int64_t resumed = 0;    // rows a previous run left marked deleting, now finished
  std::int64_t deleted = 0;    // backups deleted by this run's retention rule
  std::int64_t skipped = 0;    // rows whose storage_url is not in the configured store
  std::int64_t kept = 0;       // backups remaining
};

// Deletes old backups: first removes the objects of backup jobs that stopped between upload
// and row (journaled in tapedeck.backup_uploads; only while no backup runs), then finishes
// every row left with deleting=true (a crash between
// marking and deleting), then for each backup backups_to_delete() names: mark the row
// deleting, remove the object, delete the row. A row never outlives its object unmarked, and
// an object is never removed before its row is marked, so a crash at any point leaves only
// marked rows that the next run finishes. Rows whose storage_url is not where the configured
// store would put the key are left alone (logged): deleting them would orphan their object.
// Takes no job lock. Throws Error.
BackupCleanupResult cleanup_backups(const BackupCleanupSettings& settings);

// --- transform data --------------------------------------------------------------------------

struct TransformCleanupSettings {
  std::string live_dsn;
  std::string store_dsn;
  std::chrono::milliseconds retention{std::chrono::hours(24 * 7)};
  std::int64_t batch = 10000;
};
TransformCleanupSettings transform_cleanup_settings(const config::Config& config);

struct TransformCleanupResult {
  std::int64_t statements = 0;
  std::int64_t rtus_calls = 0;
  std::int64_t dead_letters = 0;
  std::string cutoff;           // RFC 3339: rows older than this were candidates
  std::string oldest_snapshot;  // txid snapshot of the oldest retained backup, "" when none
};

// Deletes, in batches of `batch` rows (one transaction each), rows older than now - retention:
// - statements, except those the oldest retained backup still needs for catch-up: a statement
//   whose xid is not visible in that backup's snapshot, or committed at or after the backup,
//   is kept;
// - RTUS calls, except those at or after the oldest retained backup;
// - dead letters.
// With no backup at all, retention alone decides. Stops between batches when the stop flag is
// set. Takes no job lock. Throws Error.
TransformCleanupResult cleanup_transform(const TransformCleanupSettings& settings);

}  // namespace tapedeck::scheduler
