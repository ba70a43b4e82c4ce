// A verification run: restore, exact catch-up between two snapshots, checksum comparison.
#include "verify/verification.hpp"

#include <fmt/format.h>

#include <thread>

#include "core/backups/table_checksums.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/pg/dsn.hpp"
#include "core/recording/watermarks_table.hpp"
#include "core/schema/live_schema.hpp"
#include "core/session.hpp"
#include "core/sessions/session_database.hpp"
#include "core/txid_snapshot.hpp"
#include "dbop/dbop_service.hpp"
#include "msgop/replay_target.hpp"
#include "verify/divergence.hpp"

namespace tapedeck::verify {

namespace {

constexpr const char* kApplicationName = "tapedeck-verify";

std::string now_text() {
  return session::format_time(
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()));
}

// Drops the scratch databases it was given when it goes, whatever happened. One thread.
class ScratchDatabases {
 public:
  explicit ScratchDatabases(std::string playback_dsn) : playback_dsn_(std::move(playback_dsn)) {}
  ~ScratchDatabases() {
    if (names_.empty()) return;
    try {
      pg::Connection admin(playback_dsn_, kApplicationName);
      for (const auto& name : names_) session::drop_database_if_exists(admin, name);
    } catch (const std::exception& error) {
      log::get("verify")->error("verify: dropping the scratch databases failed: {}", error.what());
    }
  }
  ScratchDatabases(const ScratchDatabases&) = delete;
  ScratchDatabases& operator=(const ScratchDatabases&) = delete;

  void add(const std::string& name) { names_.push_back(name); }

 private:
  std::string playback_dsn_;
  std::vector<std::string> names_;
};

// Throws Error(fail) naming what is missing when the recording cannot bring `older` to `newer`.
void check_recording_covers(const VerifySettings& settings, pg::Connection& store,
                            const backups::BackupRecord& older,
                            const backups::BackupRecord& newer) {
  if (auto gap = msgop::recording_gap(msgop::recording_start(store), older.lsn)) {
    throw Error(ErrorSource::input, Recovery::fail,
                fmt::format("the recording does not reach back to backup {}: {}", older.id, *gap));
  }
  const auto deadline = std::chrono::steady_clock::now() + settings.recording_wait;
  for (;;) {
    const auto stored = recording::watermarks::read(store, settings.watermark_name);
    if (stored && *stored >= newer.lsn) return;
    if (std::chrono::steady_clock::now() >= deadline) {
      throw Error(ErrorSource::input, Recovery::fail,
                  fmt::format("the recording is complete only up to {} (watermark {}), not yet "
                              "up to backup {} at {}; are capture and transform running?",
                              stored ? stored->str() : "nothing", settings.watermark_name, newer.id,
                              newer.lsn.str()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

// The first differing key of `table` between the caught-up database and newer's restore.
std::string locate_difference(pg::Connection& expected_db, pg::Connection& actual_db,
                              const backups::TableVerdict& table) {
  const auto expected_table = backups::find_table(expected_db, table.schema, table.table);
  const auto actual_table = backups::find_table(actual_db, table.schema, table.table);
  if (!expected_table || !actual_table) return {};
  backups::KeyedRowReader expected(expected_db, *expected_table);
  backups::KeyedRowReader actual(actual_db, *actual_table);
  return first_difference([&] { return expected.next(); }, [&] { return actual.next(); })
      .value_or("");
}

// Steps 2 and 3 of run_verification, filling in `verdict`.
void restore_catch_up_compare(const VerifySettings& settings, pg::Connection& live,
                              const backups::BackupRecord& older,
                              const backups::BackupRecord& newer, backups::Verification& verdict) {
  auto logger = log::get("verify");
  const auto expected = backups::checksums_of(live, newer.id);
  if (expected.empty()) {
    throw Error(ErrorSource::input, Recovery::fail,
                fmt::format("backup {} has no table checksums (taken before they existed, or "
                            "with scheduler.backup_checksums off)",
                            newer.id));
  }
  pg::Connection store(settings.store_dsn, kApplicationName);
  check_recording_covers(settings, store, older, newer);

  ScratchDatabases scratch(settings.restore.playback_dsn);
  // A token of its own: verifications of two Live DBs may share the playback server.
  const auto name = fmt::format("{}{}_{}_{}", settings.database_prefix, older.id, newer.id,
                                session::new_session_id().substr(1, 8));
  scratch.add(name);
  dbop::restore_backup(settings.restore, name, older, [] {});
  pg::Connection caught_up(pg::with_dbname(settings.restore.playback_dsn, name), kApplicationName);
  // As a session's replay: the restored database's triggers and foreign-key actions stay quiet
  // (their effects are in the recording) and literals read as transform wrote them.
  for (const auto& trigger : msgop::prepare_replay_target(caught_up)) {
    logger->warn(
        "verify: trigger {} is ENABLE ALWAYS or ENABLE REPLICA, so it fires on every replayed "
        "change of its table as well; a difference in its table may be its doing",
        trigger);
  }
  const auto applied = msgop::catch_up(
      store, caught_up,
      msgop::TransactionFilter::between_snapshots(TxidSnapshot::parse(older.txid_snapshot),
                                                  TxidSnapshot::parse(newer.txid_snapshot)),
      settings.catch_up);
  verdict.statements = applied.statements;
  logger->info("verify: backup {} caught up to backup {} with {} transactions ({} statements)",
               older.id, newer.id, applied.transactions, applied.statements);

  backups::use_canonical_row_text(caught_up);
  std::vector<std::optional<backups::TableChecksum>> actual;
  for (const auto& want : expected) {
    const auto table = backups::find_table(caught_up, want.schema, want.table);
    actual.push_back(table ? std::optional(backups::checksum_table(caught_up, *table))
                           : std::nullopt);
  }
  verdict.tables = diverging_tables(expected, actual);
  if (verdict.tables.empty()) {
    verdict.result = backups::VerifyResult::ok;
    return;
  }
  // Where they differ: newer's snapshot itself, restored beside the caught-up one.
  const auto newer_name = name + "_newer";
  scratch.add(newer_name);
  dbop::restore_backup(settings.restore, newer_name, newer, [] {});
  pg::Connection newer_db(pg::with_dbname(settings.restore.playback_dsn, newer_name),
                          kApplicationName);
  backups::use_canonical_row_text(newer_db);
  for (auto& table : verdict.tables) {
    if (table.status == "differs") {
      table.first_difference = locate_difference(newer_db, caught_up, table);
    }
  }
  verdict.result = backups::VerifyResult::diverged;
  verdict.reason = divergence_summary(verdict.tables);
}

}  // namespace

VerifySettings VerifySettings::from_config(const config::Config& config) {
  VerifySettings settings;
  settings.live_dsn = config.string("live.dsn");
  settings.store_dsn = config.string("store.dsn");
  settings.restore = dbop::DbopSettings::from_config(config).restore;
  settings.catch_up.batch_statements = static_cast<int>(config.integer("msgop.batch_statements"));
  settings.watermark_name = config.string("nats.cdc_stream");
  return settings;
}

backups::Verification run_verification(const VerifySettings& settings,
                                       std::optional<std::int64_t> older,
                                       std::optional<std::int64_t> newer) {
  auto logger = log::get("verify");
  pg::Connection live(settings.live_dsn, kApplicationName);
  schema::migrate_live(live);
  const auto [from, to] = choose_pair(backups::list_backups(live), older, newer);

  backups::Verification verdict;
  verdict.started_at = now_text();
  verdict.older_backup_id = from.id;
  verdict.newer_backup_id = to.id;
  verdict.covers_from = moment_of(from);
  verdict.covers_until = moment_of(to);
  logger->info("verify: backup {} ({}) against backup {} ({})", from.id, verdict.covers_from, to.id,
               verdict.covers_until);
  try {
    restore_catch_up_compare(settings, live, from, to, verdict);
  } catch (const Error& error) {
    verdict.result = backups::VerifyResult::failed;
    verdict.reason = error.message();
    verdict.tables.clear();
  }
  verdict.id = backups::insert_verification(live, verdict);
  const auto stored = backups::list_verifications(live, 1);
  if (!stored.empty() && stored.front().id == verdict.id)
    verdict.finished_at = stored.front().finished_at;
  // The verdict itself is reported once, by the caller (the CLI prints it, the scheduler logs
  // its job report).
  return verdict;
}

}  // namespace tapedeck::verify
