// The cleanup jobs: old transform data in the TransformMsg DB, old backups in storage and the
// Live DB.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/pg/connection.hpp"
#include "core/storage/object_store.hpp"

namespace tapedeck::scheduler {

using Micros = std::chrono::microseconds;
using Instant = std::chrono::sys_time<Micros>;

// --- backups ---------------------------------------------------------------------------------

struct BackupAge {
  std::int64_t id = 0;
  Instant created_at;
  Instant taken_at;  // the snapshot's system time, or created_at when it has none
};

// What a session not yet ended (nor failed) may still restore from: the backup it was restored
// from, and the newest backup taken at or before its window start (where a seek back lands).
struct SessionNeed {
  Instant window_start;
  std::optional<std::int64_t> backup_id;
};

// The ids of the backups some session needs (see SessionNeed). A window start older than every
// backup needs none (such a session cannot be restored anyway). Pure.
std::set<std::int64_t> backups_sessions_need(const std::vector<BackupAge>& backups,
                                             const std::vector<SessionNeed>& sessions);

// Which backups to delete (ids, oldest first): those created before `now - retention`, but
// never so many that fewer than `keep_min` backups remain (the newest are kept). `backups` in
// any order. Backups in `needed` (backups_sessions_need) are never named; they still count
// among those kept. Pure.
std::vector<std::int64_t> backups_to_delete(std::vector<BackupAge> backups, Instant now,
                                            std::chrono::milliseconds retention,
                                            std::int64_t keep_min,
                                            const std::set<std::int64_t>& needed = {});

// Removes what backup jobs that stopped between journaling and recording their upload left
// (tapedeck.backup_uploads): each object with its unfinished upload (ObjectStore::discard), then
// its journal entry. Entries naming another store than `store_url` are left, with a warning.
// The caller holds the backup job's lock, so none of them is a backup in progress. Returns how
// many were removed.
std::int64_t discard_interrupted_uploads(pg::Connection& live, storage::ObjectStore& store,
                                         const std::string& store_url);

struct BackupCleanupSettings {
  std::string live_dsn;
  // The TransformMsg DB, whose tapedeck.sessions say which backups live sessions need; empty
  // when there is none to ask (a scheduler without playback), then retention alone decides.
  std::string store_dsn;
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
  std::int64_t needed = 0;     // backups kept because a live session needs them
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
// Backups a session that is neither ended nor failed needs (SessionNeed) are kept whatever
// their age; so the transform cleanup, which keeps everything from the oldest retained backup
// on, keeps the statements and RTUS calls those sessions catch up and replay from.
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
