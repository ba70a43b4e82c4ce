// The backup job: export a snapshot, stream pg_dump into the store, then record the row.
#include "scheduler/backup_job.hpp"

#include <fmt/format.h>

#include <chrono>

#include "core/backups/backups_table.hpp"
#include "core/backups/verification_record.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/pg/client_programs.hpp"
#include "core/pg/transaction.hpp"
#include "core/schema/live_schema.hpp"
#include "scheduler/cleanup.hpp"
#include "scheduler/pg_dump.hpp"

namespace tapedeck::scheduler {

namespace {

// One statement, so everything it reads comes from the transaction's snapshot (taken at its
// start) apart from the WAL position, read a moment later: transactions committing in between
// are not visible in the snapshot and have a commit LSN at or below it, so replay from the
// snapshot by visibility (DESIGN §3.3) misses none of them.
constexpr const char* kExportSnapshot = R"(
SELECT pg_export_snapshot(),
       pg_current_snapshot()::text,
       pg_current_wal_lsn()::text,
       to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       (SELECT to_char(system_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
          FROM tapedeck.system_time),
       current_setting('server_version'),
       current_setting('server_version_num')::int)";

// After a failure: the object goes, and with it the journal entry. Neither step may hide the
// failure being reported; what is left, the next backup cleanup removes.
void remove_quietly(storage::ObjectStore& store, const storage::ObjectKey& key,
                    pg::Connection& journal) {
  try {
    store.remove(key);
    end_upload_journal_entry(journal, key);
  } catch (const Error& error) {
    log::get("scheduler")
        ->error(
            "backup: removing {} after a failure failed: {}; the next backup cleanup "
            "removes it",
            store.url_of(key), error.what());
  }
}

// Checksums every recorded table in the transaction `live` is in, and logs the rate (a full
// scan of each table while the snapshot is held: the cost scheduler.backup_checksums turns off).
std::vector<backups::TableChecksum> checksum_snapshot(pg::Connection& live,
                                                      const backups::TableSelection& selection) {
  const auto started = std::chrono::steady_clock::now();
  backups::use_canonical_row_text(live);
  auto sums = backups::checksum_tables(live, backups::tables_to_check(live, selection));
  std::int64_t rows = 0;
  for (const auto& sum : sums) rows += sum.rows;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  log::get("scheduler")
      ->info("backup: checksummed {} tables, {} rows in {:.3f} s ({:.0f} rows/s)", sums.size(),
             rows, seconds, seconds > 0 ? static_cast<double>(rows) / seconds : 0.0);
  return sums;
}

}  // namespace

void end_upload_journal_entry(pg::Connection& live, const storage::ObjectKey& key) {
  live.exec_params(backups::table::kEndJournalEntry, pg::Params::of(key.str()));
}

BackupSettings backup_settings(const config::Config& config) {
  BackupSettings settings;
  settings.live_dsn = config.string("live.dsn");
  settings.store = storage::store_config(config);
  settings.table_checksums = config.boolean("scheduler.backup_checksums");
  settings.recorded_tables.include = config.string_list("capture.include_tables");
  settings.recorded_tables.exclude = config.string_list("capture.exclude_tables");
  return settings;
}

backups::BackupRecord run_backup(const BackupSettings& settings, const BackupHooks& hooks) {
  auto logger = log::get("scheduler");
  pg::Connection live(settings.live_dsn, settings.application_name);
  schema::migrate_live(live);
  // Autocommit beside the snapshot's transaction: the journal entry must be durable before
  // the upload starts.
  pg::Connection journal(settings.live_dsn, settings.application_name);
  auto store = storage::open_store(settings.store);

  // The caller holds the backup job's lock: what an interrupted backup left goes first.
  discard_interrupted_uploads(journal, *store, settings.store.url);

  pg::Transaction snapshot(live, pg::Isolation::repeatable_read, pg::Access::read_only);
  const auto exported = snapshot.exec(kExportSnapshot);
  ExportedSnapshot info;
  info.snapshot_id = exported.get<std::string>(0, 0);
  info.txid_snapshot = exported.get<std::string>(0, 1);
  info.lsn = Lsn::parse(exported.text(0, 2)).value_or(Lsn{});
  const auto taken_at = exported.get<std::string>(0, 3);
  const auto system_time = exported.get<std::optional<std::string>>(0, 4);
  const auto server_version = exported.get<std::string>(0, 5);
  const int server_major = exported.get<int>(0, 6) / 10000;
  info.object_key = backups::backup_object_key(taken_at, info.lsn);
  const storage::ObjectKey key(info.object_key);
  logger->info("backup: snapshot {} at {} ({}), dumping to {}", info.txid_snapshot, info.lsn.str(),
               taken_at, store->url_of(key));
  if (hooks.snapshot_exported) hooks.snapshot_exported(info);
  journal.exec_params(backups::table::kJournalUpload,
                      pg::Params::of(info.object_key, store->url_of(key)));

  const std::string program = settings.pg_dump.empty()
                                  ? pg::find_client_program("pg_dump", server_major)
                                  : settings.pg_dump;
  auto environment = pg::libpq_environment(settings.live_dsn, "live.dsn");
  environment.push_back("PGAPPNAME=" + settings.application_name);
  PgDumpProcess dump(program, info.snapshot_id, environment);

  storage::ObjectInfo stored;
  try {
    stored = store->put(key, dump.output());
  } catch (const Error& error) {
    // A pg_dump failure surfaces in the store as a failed read; report pg_dump's own words.
    remove_quietly(*store, key, journal);
    if (auto failure = dump.finish()) {
      throw Error(ErrorSource::postgres, Recovery::fail,
                  fmt::format("backup: {}; nothing was stored", *failure));
    }
    throw;
  }
  if (auto failure = dump.finish()) {
    remove_quietly(*store, key, journal);
    throw Error(ErrorSource::postgres, Recovery::fail,
                fmt::format("backup: {}; the stored object was removed", *failure));
  }
  // Still in the exported snapshot's transaction: the checksums describe exactly what was dumped.
  std::vector<backups::TableChecksum> sums;
  try {
    if (settings.table_checksums) sums = checksum_snapshot(live, settings.recorded_tables);
  } catch (...) {
    remove_quietly(*store, key, journal);
    throw;
  }
  snapshot.commit();  // pg_dump and the checksums are done with the snapshot
  if (hooks.object_stored) hooks.object_stored(info);

  std::int64_t id = 0;
  try {
    pg::Transaction record(live);
    const auto inserted = record.exec_params(
        backups::table::kInsert,
        pg::Params::of(info.object_key, store->url_of(key), static_cast<std::int64_t>(stored.size),
                       stored.sha256, taken_at, system_time, info.lsn.str(), info.txid_snapshot,
                       server_version));
    id = inserted.get<std::int64_t>(0, 0);
    backups::insert_checksums(live, id, sums);
    record.commit();
  } catch (...) {
    remove_quietly(*store, key, journal);
    throw;
  }
  for (auto& record : backups::list_backups(live, true)) {
    if (record.id == id) {
      logger->info("backup: stored {} ({}, sha256 {}) as backup {}", record.storage_url,
                   backups::human_size(record.size_bytes), record.sha256, id);
      return record;
    }
  }
  throw Error(ErrorSource::postgres, Recovery::fail,
              fmt::format("backup {} vanished right after it was inserted", id));
}

}  // namespace tapedeck::scheduler
