// The cleanup jobs: retention rules for transform data and backups.
#include "scheduler/cleanup.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/backups/backup_record.hpp"
#include "core/backups/backups_table.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/pg/connection.hpp"
#include "core/recording/dead_letters_table.hpp"
#include "core/recording/rtus_calls_table.hpp"
#include "core/recording/statements_table.hpp"
#include "core/schema/live_schema.hpp"
#include "core/schema/store_schema.hpp"
#include "core/sessions/session_store.hpp"
#include "core/stop.hpp"
#include "scheduler/backup_job.hpp"
#include "scheduler/job_lock.hpp"

namespace tapedeck::scheduler {

namespace {

constexpr const char* kCutoff = R"(
SELECT (clock_timestamp() - $1::bigint * interval '1 millisecond')::text,
       to_char((clock_timestamp() - $1::bigint * interval '1 millisecond') AT TIME ZONE 'UTC',
               'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))";

// Runs `statement` until a batch deletes fewer than `batch` rows (or a stop is requested).
std::int64_t delete_in_batches(pg::Connection& store, const char* statement,
                               const pg::Params& params, std::int64_t batch) {
  std::int64_t total = 0;
  for (;;) {
    const auto deleted = store.exec_params(statement, params).affected_rows();
    total += deleted;
    if (deleted < batch || stop::requested()) return total;
  }
}

// Backup cleanup's share of discard_interrupted_uploads: only while it can take the backup
// job's lock, so no backup in progress loses its object; when a backup runs, that backup does it.
std::int64_t remove_abandoned_uploads(pg::Connection& live, storage::ObjectStore& store,
                                      const std::string& store_url) {
  if (live.exec(backups::table::kAbandonedUploads).rows() == 0) return 0;
  const auto lock = JobLock::try_acquire(live, "backup");
  if (!lock) {
    log::get("scheduler")
        ->info("cleanup backups: a backup is running; it removes what interrupted ones left");
    return 0;
  }
  return discard_interrupted_uploads(live, store, store_url);
}

}  // namespace

std::int64_t discard_interrupted_uploads(pg::Connection& live, storage::ObjectStore& store,
                                         const std::string& store_url) {
  auto logger = log::get("scheduler");
  std::int64_t removed = 0;
  const auto entries = live.exec(backups::table::kAbandonedUploads);
  for (int row = 0; row < entries.rows(); ++row) {
    const storage::ObjectKey key(std::string(entries.text(row, 0)));
    const std::string storage_url(entries.text(row, 1));
    if (store.url_of(key) != storage_url) {
      logger->warn(
          "an interrupted backup upload went to {}, not to the configured store {}; left alone "
          "(remove the object there, then its tapedeck.backup_uploads row)",
          storage_url, store_url);
      continue;
    }
    store.discard(key);
    end_upload_journal_entry(live, key);
    ++removed;
    logger->info(
        "removed {} and its unfinished upload, left by a backup that stopped before "
        "recording it",
        storage_url);
  }
  return removed;
}

std::set<std::int64_t> backups_sessions_need(const std::vector<BackupAge>& backups,
                                             const std::vector<SessionNeed>& sessions) {
  std::set<std::int64_t> needed;
  for (const auto& session : sessions) {
    if (session.backup_id) needed.insert(*session.backup_id);
    // The newest taken at or before the window start: the one a restore to it would choose.
    const BackupAge* best = nullptr;
    for (const auto& backup : backups) {
      if (backup.taken_at > session.window_start) continue;
      if (best == nullptr || backup.taken_at > best->taken_at ||
          (backup.taken_at == best->taken_at && backup.id > best->id)) {
        best = &backup;
      }
    }
    if (best != nullptr) needed.insert(best->id);
  }
  return needed;
}

std::vector<std::int64_t> backups_to_delete(std::vector<BackupAge> backups, Instant now,
                                            std::chrono::milliseconds retention,
                                            std::int64_t keep_min,
                                            const std::set<std::int64_t>& needed) {
  std::sort(backups.begin(), backups.end(), [](const BackupAge& a, const BackupAge& b) {
    return a.created_at != b.created_at ? a.created_at < b.created_at : a.id < b.id;
  });
  const auto total = static_cast<std::int64_t>(backups.size());
  const std::int64_t deletable =
      std::max<std::int64_t>(0, total - std::max<std::int64_t>(0, keep_min));
  const Instant cutoff = now - std::chrono::duration_cast<Micros>(retention);
  std::vector<std::int64_t> ids;
  for (const auto& backup : backups) {
    if (static_cast<std::int64_t>(ids.size()) >= deletable || backup.created_at >= cutoff) break;
    if (needed.count(backup.id) != 0) continue;
    ids.push_back(backup.id);
  }
  return ids;
}

BackupCleanupSettings backup_cleanup_settings(const config::Config& config) {
  BackupCleanupSettings settings;
  settings.live_dsn = config.string("live.dsn");
  settings.store_dsn = config.string("store.dsn");
  settings.store = storage::store_config(config);
  settings.retention = config.duration("scheduler.backup_retention");
  settings.keep_min = config.integer("scheduler.backup_keep_min");
  return settings;
}

BackupCleanupResult cleanup_backups(const BackupCleanupSettings& settings) {
  auto logger = log::get("scheduler");
  pg::Connection live(settings.live_dsn, "tapedeck-cleanup-backups");
  schema::migrate_live(live);
  auto store = storage::open_store(settings.store);
  BackupCleanupResult result;

  // Marked row -> object removed -> row deleted. Returns false when the row is left alone.
  const auto finish = [&](const backups::BackupRecord& record) {
    const storage::ObjectKey key(record.object_key);
    if (store->url_of(key) != record.storage_url) {
      logger->warn(
          "cleanup backups: backup {} is stored at {}, not in the configured store {}; left "
          "alone (delete it where it lives, then its row)",
          record.id, record.storage_url, settings.store.url);
      return false;
    }
    store->remove(key);
    live.exec_params(backups::table::kDeleteRow, pg::Params::of(record.id));
    return true;
  };

  result.abandoned = remove_abandoned_uploads(live, *store, settings.store.url);

  for (const auto& record : backups::list_backups(live, true)) {
    if (!record.deleting) continue;
    if (finish(record)) {
      ++result.resumed;
      logger->info("cleanup backups: finished deleting backup {} ({}) left by an earlier run",
                   record.id, record.object_key);
    } else {
      ++result.skipped;
    }
  }

  const auto ages = live.exec(backups::table::kAges);
  std::vector<BackupAge> backups;
  Instant now{};
  for (int row = 0; row < ages.rows(); ++row) {
    backups.push_back({ages.get<std::int64_t>(row, 0),
                       Instant(Micros(ages.get<std::int64_t>(row, 1))),
                       Instant(Micros(ages.get<std::int64_t>(row, 3)))});
    now = Instant(Micros(ages.get<std::int64_t>(row, 2)));
  }
  std::set<std::int64_t> needed;
  if (!settings.store_dsn.empty()) {
    pg::Connection store_db(settings.store_dsn, "tapedeck-cleanup-backups");
    schema::migrate_store(store_db);
    std::vector<SessionNeed> sessions;
    for (const auto& session : session::Store(store_db).list(false)) {
      sessions.push_back({session.start, session.backup
                                             ? std::optional<std::int64_t>(session.backup->id)
                                             : std::nullopt});
    }
    needed = backups_sessions_need(backups, sessions);
  }
  const auto doomed =
      backups_to_delete(backups, now, settings.retention, settings.keep_min, needed);
  for (const auto id : backups_to_delete(backups, now, settings.retention, settings.keep_min)) {
    if (needed.count(id) != 0) ++result.needed;
  }
  if (result.needed > 0) {
    logger->info("cleanup backups: kept {} old backup(s) that live sessions restore from",
                 result.needed);
  }
  const auto records = backups::list_backups(live, false);
  for (const auto id : doomed) {
    if (stop::requested()) break;
    const auto record = std::find_if(records.begin(), records.end(),
                                     [id](const backups::BackupRecord& r) { return r.id == id; });
    if (record == records.end()) continue;  // another run took it meanwhile
    if (store->url_of(storage::ObjectKey(record->object_key)) != record->storage_url) {
      finish(*record);  // logs why it is left alone
      ++result.skipped;
      continue;
    }
    if (live.exec_params(backups::table::kMarkDeleting, pg::Params::of(id)).affected_rows() != 1)
      continue;
    auto marked = *record;
    marked.deleting = true;
    finish(marked);
    ++result.deleted;
    logger->info("cleanup backups: deleted backup {} ({}, created {})", id, record->object_key,
                 record->created_at);
  }
  result.kept = static_cast<std::int64_t>(backups::list_backups(live, false).size());
  return result;
}

TransformCleanupSettings transform_cleanup_settings(const config::Config& config) {
  TransformCleanupSettings settings;
  settings.live_dsn = config.string("live.dsn");
  settings.store_dsn = config.string("store.dsn");
  settings.retention = config.duration("scheduler.transform_retention");
  settings.batch = config.integer("scheduler.cleanup_batch");
  if (settings.batch <= 0) {
    throw Error(ErrorSource::config, Recovery::invalid,
                "scheduler.cleanup_batch must be a positive number of rows");
  }
  return settings;
}

TransformCleanupResult cleanup_transform(const TransformCleanupSettings& settings) {
  auto logger = log::get("scheduler");
  TransformCleanupResult result;
  std::optional<std::string> snapshot;
  std::optional<std::string> backup_time;
  std::optional<std::string> backup_lsn;
  {
    pg::Connection live(settings.live_dsn, "tapedeck-cleanup-transform");
    schema::migrate_live(live);
    const auto oldest = live.exec(backups::table::kOldest);
    if (oldest.rows() == 1) {
      snapshot = oldest.get<std::string>(0, 0);
      backup_time = oldest.get<std::string>(0, 1);
      backup_lsn = oldest.get<std::string>(0, 2);
      result.oldest_snapshot = *snapshot;
    }
  }
  pg::Connection store(settings.store_dsn, "tapedeck-cleanup-transform");
  schema::migrate_store(store);
  const auto cutoff_row = store.exec_params(
      kCutoff, pg::Params::of(static_cast<std::int64_t>(settings.retention.count())));
  const auto cutoff = cutoff_row.get<std::string>(0, 0);
  result.cutoff = cutoff_row.get<std::string>(0, 1);

  result.statements = delete_in_batches(
      store, recording::statements::kDeleteBatch,
      pg::Params::of(cutoff, snapshot, backup_time, settings.batch, backup_lsn), settings.batch);
  if (result.statements > 0) store.exec(recording::statements::kDeleteOldMinutes);
  if (!stop::requested()) {
    result.rtus_calls =
        delete_in_batches(store, recording::rtus_calls::kDeleteBatch,
                          pg::Params::of(cutoff, backup_time, settings.batch), settings.batch);
  }
  if (!stop::requested()) {
    result.dead_letters = delete_in_batches(store, recording::dead_letters::kDeleteBatch,
                                            pg::Params::of(cutoff, settings.batch), settings.batch);
  }
  logger->info(
      "cleanup transform: deleted {} statements, {} RTUS calls, {} dead letters older than {}{}",
      result.statements, result.rtus_calls, result.dead_letters, result.cutoff,
      snapshot ? fmt::format(" (kept what backup snapshot {} needs)", *snapshot) : "");
  return result;
}

}  // namespace tapedeck::scheduler
