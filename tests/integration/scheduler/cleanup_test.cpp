// The cleanup jobs on the real stack: backups by retention and keep_min with their objects, rows
// left `deleting` finished, transform data by retention but never what the oldest backup needs.
#include "scheduler/cleanup.hpp"

#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "core/backups/backup_record.hpp"
#include "core/schema/live_schema.hpp"
#include "core/schema/store_schema.hpp"
#include "core/sessions/session_store.hpp"
#include "core/storage/sha256.hpp"
#include "fixture.hpp"
#include "scheduler/job_lock.hpp"

namespace tapedeck::scheduler {
namespace {

using namespace testing;
using namespace std::chrono_literals;

class BackupCleanupTest : public ::testing::Test {
 protected:
  BackupCleanupTest() : live_db_("sched_live"), live_(live_db_.connect()) {
    schema::migrate_live(live_);
    settings_.live_dsn = live_db_.dsn();
    settings_.store.url = folder_.url();
    settings_.retention = std::chrono::hours(24 * 7);
    settings_.keep_min = 2;
    store_ = storage::open_store(settings_.store);
  }

  // A stored object and its row, created `age` ago; returns the row id.
  std::int64_t add_backup(const std::string& name, std::chrono::hours age, bool deleting = false,
                          bool with_object = true) {
    const std::string key = "snapshots/" + name + ".dump";
    const std::string data = "dump of " + name;
    if (with_object) {
      std::istringstream in(data);
      store_->put(storage::ObjectKey(key), in);
    }
    const auto row = live_.exec_params(
        "INSERT INTO tapedeck.backups (object_key, storage_url, size_bytes, sha256, created_at, "
        "lsn, txid_snapshot, server_version, deleting) VALUES ($1, $2, $3, $4, clock_timestamp() "
        "- $5::bigint * interval '1 hour', '0/16B3748', '100:100:', '15', $6) RETURNING id",
        pg::Params::of(key, store_->url_of(storage::ObjectKey(key)),
                       static_cast<std::int64_t>(data.size()), storage::sha256_hex(data),
                       static_cast<std::int64_t>(age.count()), deleting));
    return row.get<std::int64_t>(0, 0);
  }

  std::set<std::string> objects() {
    std::set<std::string> keys;
    for (const auto& info : store_->list("")) keys.insert(info.key);
    return keys;
  }
  std::set<std::string> rows() {
    std::set<std::string> keys;
    const auto result = live_.exec("SELECT object_key FROM tapedeck.backups");
    for (int row = 0; row < result.rows(); ++row) keys.insert(std::string(result.text(row, 0)));
    return keys;
  }

  ScratchDatabase live_db_;
  pg::Connection live_;
  ScratchFolder folder_;
  BackupCleanupSettings settings_;
  std::unique_ptr<storage::ObjectStore> store_;
};

TEST_F(BackupCleanupTest, DeletesBackupsOlderThanTheRetentionWithTheirObjects) {
  add_backup("ten-days", 240h);
  add_backup("nine-days", 216h);
  add_backup("two-days", 48h);
  add_backup("one-hour", 1h);
  const auto result = cleanup_backups(settings_);
  EXPECT_EQ(result.deleted, 2);
  EXPECT_EQ(result.kept, 2);
  const std::set<std::string> left = {"snapshots/two-days.dump", "snapshots/one-hour.dump"};
  EXPECT_EQ(rows(), left);
  EXPECT_EQ(objects(), left);
}

TEST_F(BackupCleanupTest, KeepsTheNewestKeepMinBackupsWhateverTheirAge) {
  add_backup("ten-days", 240h);
  add_backup("nine-days", 216h);
  add_backup("eight-days", 192h);
  const auto result = cleanup_backups(settings_);
  EXPECT_EQ(result.deleted, 1);
  const std::set<std::string> left = {"snapshots/nine-days.dump", "snapshots/eight-days.dump"};
  EXPECT_EQ(rows(), left);
  EXPECT_EQ(objects(), left);
}

TEST_F(BackupCleanupTest, DeletesNothingWhenThereAreNoMoreThanKeepMin) {
  add_backup("ten-days", 240h);
  add_backup("nine-days", 216h);
  const auto result = cleanup_backups(settings_);
  EXPECT_EQ(result.deleted, 0);
  EXPECT_EQ(rows().size(), 2u);
  EXPECT_EQ(objects().size(), 2u);
}

TEST_F(BackupCleanupTest, FinishesARowAnEarlierRunLeftDeleting) {
  add_backup("crashed-before-remove", 1h, true, true);
  add_backup("crashed-after-remove", 1h, true, false);
  add_backup("fresh", 1h);
  const auto result = cleanup_backups(settings_);
  EXPECT_EQ(result.resumed, 2);
  EXPECT_EQ(result.deleted, 0);
  const std::set<std::string> left = {"snapshots/fresh.dump"};
  EXPECT_EQ(rows(), left);
  EXPECT_EQ(objects(), left);
}

TEST_F(BackupCleanupTest, LeavesABackupStoredElsewhereAlone) {
  const auto id = add_backup("elsewhere", 240h);
  live_.exec_params("UPDATE tapedeck.backups SET storage_url = 's3://other/x' WHERE id = $1",
                    pg::Params::of(id));
  add_backup("nine-days", 216h);
  add_backup("eight-days", 192h);
  const auto result = cleanup_backups(settings_);
  EXPECT_EQ(result.skipped, 1);
  EXPECT_TRUE(rows().contains("snapshots/elsewhere.dump"));
  EXPECT_TRUE(objects().contains("snapshots/elsewhere.dump"));
}

TEST_F(BackupCleanupTest, LeavesAnUnfinishedUploadAloneWhileABackupRuns) {
  const std::string key = "snapshots/in-progress.dump";
  std::istringstream data("half a dump");
  store_->put(storage::ObjectKey(key), data);
  live_.exec_params("INSERT INTO tapedeck.backup_uploads (object_key, storage_url) VALUES ($1, $2)",
                    pg::Params::of(key, store_->url_of(storage::ObjectKey(key))));
  {
    auto running_backup = live_db_.connect();
    const auto lock = JobLock::try_acquire(running_backup, "backup");
    ASSERT_TRUE(lock.has_value());
    EXPECT_EQ(cleanup_backups(settings_).abandoned, 0);
    EXPECT_TRUE(objects().contains(key));
  }
  EXPECT_EQ(cleanup_backups(settings_).abandoned, 1);
  EXPECT_FALSE(objects().contains(key));
}

// Transform data: a scratch TransformMsg DB and Live DB per test.
class TransformCleanupTest : public ::testing::Test {
 protected:
  TransformCleanupTest()
      : live_db_("sched_live"),
        store_db_("sched_store"),
        live_(live_db_.connect()),
        store_(store_db_.connect()) {
    schema::migrate_live(live_);
    schema::migrate_store(store_);
    settings_.live_dsn = live_db_.dsn();
    settings_.store_dsn = store_db_.dsn();
    settings_.retention = std::chrono::hours(24 * 7);
    settings_.batch = 1;  // every row its own batch
  }

  void add_backup(const std::string& snapshot, std::chrono::hours age, bool deleting = false,
                  const std::string& lsn = "0/1") {
    live_.exec_params(
        "INSERT INTO tapedeck.backups (object_key, storage_url, size_bytes, sha256, created_at, "
        "lsn, txid_snapshot, server_version, deleting) VALUES ($1, 'file:///x', 1, $2, "
        "clock_timestamp() - $3::bigint * interval '1 hour', $6::pg_lsn, $4, '15', $5)",
        pg::Params::of("snapshots/" + unique_suffix(), std::string(64, 'a'),
                       static_cast<std::int64_t>(age.count()), snapshot, deleting, lsn));
  }
  void add_statement(const std::string& id, std::int64_t xid, std::chrono::hours age,
                     const std::string& commit_lsn = "0/10") {
    store_.exec_params(
        "INSERT INTO tapedeck.statements (event_id, commit_lsn, position, xid, commit_time, "
        "schema_name, table_name, op, sql) VALUES ($1, $4::pg_lsn, 0, $2::text::xid8, "
        "clock_timestamp() - $3::bigint * interval '1 hour', 'public', 't', 'c', 'SELECT 1')",
        pg::Params::of(id, xid, static_cast<std::int64_t>(age.count()), commit_lsn));
  }
  void add_rtus_call(const std::string& id, std::chrono::hours age) {
    store_.exec_params(
        "INSERT INTO tapedeck.rtus_calls (call_id, called_at, method, path) VALUES ($1, "
        "clock_timestamp() - $2::bigint * interval '1 hour', 'POST', '/')",
        pg::Params::of(id, static_cast<std::int64_t>(age.count())));
  }
  void add_dead_letter(std::int64_t sequence, std::chrono::hours age) {
    store_.exec_params(
        "INSERT INTO tapedeck.dead_letters (stream, stream_sequence, subject, raw, reason, "
        "received_at) VALUES ('S', $1, 's', '\\x00', 'test', clock_timestamp() - $2::bigint * "
        "interval '1 hour')",
        pg::Params::of(sequence, static_cast<std::int64_t>(age.count())));
  }
  std::set<std::string> left(const std::string& query) {
    std::set<std::string> ids;
    const auto result = store_.exec(query);
    for (int row = 0; row < result.rows(); ++row) ids.insert(std::string(result.text(row, 0)));
    return ids;
  }

  ScratchDatabase live_db_;
  ScratchDatabase store_db_;
  pg::Connection live_;
  pg::Connection store_;
  TransformCleanupSettings settings_;
};

TEST_F(TransformCleanupTest, DeletesOldRowsButKeepsWhatTheOldestBackupNeedsForCatchUp) {
  add_backup("100:110:105", 216h, false, "0/500");  // nine days old: older than the retention
  add_backup("300:300:", 24h, false, "0/900");
  add_statement("visible-oldest", 40, 250h, "0/50");  // in the backup, past retention: goes
  // In the backup too, but the last transaction before it: it stays as msgop's proof that the
  // recording covers the backup.
  add_statement("visible-old", 50, 240h, "0/100");
  add_statement("in-progress-old", 105, 240h, "0/600");      // not in the snapshot: stays
  add_statement("after-snapshot-old", 120, 192h, "0/700");   // xid >= xmax: stays
  add_statement("visible-after-backup", 60, 192h, "0/650");  // committed after it: stays
  add_statement("recent", 50, 1h, "0/950");                  // within retention: stays
  add_rtus_call("old", 240h);
  add_rtus_call("after-backup", 192h);
  add_rtus_call("recent", 1h);
  add_dead_letter(1, 240h);
  add_dead_letter(2, 1h);

  const auto result = cleanup_transform(settings_);
  EXPECT_EQ(result.statements, 1);
  EXPECT_EQ(result.rtus_calls, 1);
  EXPECT_EQ(result.dead_letters, 1);
  EXPECT_EQ(result.oldest_snapshot, "100:110:105");
  EXPECT_EQ(left("SELECT event_id FROM tapedeck.statements"),
            (std::set<std::string>{"visible-old", "in-progress-old", "after-snapshot-old",
                                   "visible-after-backup", "recent"}));
  EXPECT_EQ(left("SELECT call_id FROM tapedeck.rtus_calls"),
            (std::set<std::string>{"after-backup", "recent"}));
  EXPECT_EQ(left("SELECT stream_sequence::text FROM tapedeck.dead_letters"),
            (std::set<std::string>{"2"}));
}

TEST_F(TransformCleanupTest, IgnoresABackupBeingDeleted) {
  add_backup("100:110:105", 216h, true);  // marked deleting: it no longer counts
  add_statement("in-progress-old", 105, 240h);
  add_statement("recent", 105, 1h);
  const auto result = cleanup_transform(settings_);
  EXPECT_EQ(result.statements, 1);
  EXPECT_EQ(result.oldest_snapshot, "");
  EXPECT_EQ(left("SELECT event_id FROM tapedeck.statements"), (std::set<std::string>{"recent"}));
}

TEST_F(TransformCleanupTest, DeletesByRetentionAloneWithoutBackups) {
  for (int i = 0; i < 5; ++i) add_statement("old-" + std::to_string(i), 1000 + i, 240h);
  add_statement("recent", 2000, 1h);
  const auto result = cleanup_transform(settings_);
  EXPECT_EQ(result.statements, 5);
  EXPECT_EQ(left("SELECT event_id FROM tapedeck.statements"), (std::set<std::string>{"recent"}));
  // Only the minute of the statement left remains in tapedeck.statement_minutes.
  EXPECT_EQ(left("SELECT m.epoch_minute::text FROM tapedeck.statement_minutes m"),
            left("SELECT floor(extract(epoch FROM commit_time) / 60)::bigint::text "
                 "FROM tapedeck.statements"));
}

// A live session keeps the backup it restores from (its window start's) and so the statements
// catch-up needs from it; once the session is ended, retention alone decides again.
class SessionAwareCleanupTest : public BackupCleanupTest {
 protected:
  SessionAwareCleanupTest() : store_db_("sched_store"), store_conn_(store_db_.connect()) {
    schema::migrate_store(store_conn_);
    settings_.store_dsn = store_db_.dsn();
  }

  // A session starting `age` ago, not yet ended.
  std::string add_session(std::chrono::hours age) {
    session::NewSession session;
    session.name = "needs-old-backup";
    session.start =
        std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()) -
        std::chrono::duration_cast<std::chrono::microseconds>(age);
    session.database_template = "playback_<id>";
    return session::Store(store_conn_).create(session).id;
  }

  ScratchDatabase store_db_;
  pg::Connection store_conn_;
};

TEST_F(SessionAwareCleanupTest, KeepsTheBackupAndStatementsALiveSessionNeeds) {
  add_backup("ten-days", 240h);
  add_backup("nine-days", 216h);
  add_backup("two-days", 48h);
  add_backup("one-hour", 1h);
  const auto id = add_session(230h);  // between ten-days and nine-days: restores ten-days

  const auto result = cleanup_backups(settings_);
  EXPECT_EQ(result.deleted, 1);
  EXPECT_EQ(result.needed, 1);
  EXPECT_EQ(rows(), (std::set<std::string>{"snapshots/ten-days.dump", "snapshots/two-days.dump",
                                           "snapshots/one-hour.dump"}));
  EXPECT_TRUE(objects().contains("snapshots/ten-days.dump"));

  // The transform cleanup keeps what catch-up from that backup needs: a statement that later
  // backups contain, older than the retention.
  live_.exec(
      "UPDATE tapedeck.backups SET txid_snapshot = CASE object_key WHEN "
      "'snapshots/ten-days.dump' THEN '100:100:' ELSE '300:300:' END::pg_snapshot");
  const auto add_statement = [&](const std::string& id, std::int64_t xid, int hours_ago,
                                 const std::string& lsn) {
    store_conn_.exec_params(
        "INSERT INTO tapedeck.statements (event_id, commit_lsn, position, xid, commit_time, "
        "schema_name, table_name, op, sql) VALUES ($1, $4::pg_lsn, 0, $2::text::xid8, "
        "clock_timestamp() - $3::bigint * interval '1 hour', 'public', 't', 'c', 'SELECT 1')",
        pg::Params::of(id, xid, static_cast<std::int64_t>(hours_ago), lsn));
  };
  add_statement("after-ten-days", 200, 235, "0/100");
  add_statement("last-before-two-days", 250, 200, "0/200");
  TransformCleanupSettings transform;
  transform.live_dsn = settings_.live_dsn;
  transform.store_dsn = settings_.store_dsn;
  transform.retention = std::chrono::hours(24 * 7);
  EXPECT_EQ(cleanup_transform(transform).statements, 0);

  // Ended: nothing holds the old backup any more.
  session::Store(store_conn_).transition(id, session::Transition::end);
  const auto after_end = cleanup_backups(settings_);
  EXPECT_EQ(after_end.deleted, 1);
  EXPECT_EQ(after_end.needed, 0);
  EXPECT_FALSE(rows().contains("snapshots/ten-days.dump"));
  EXPECT_FALSE(objects().contains("snapshots/ten-days.dump"));
  // And the statement only it needed goes (the last one before the oldest backup stays).
  EXPECT_EQ(cleanup_transform(transform).statements, 1);
  const auto left = store_conn_.exec("SELECT event_id FROM tapedeck.statements");
  ASSERT_EQ(left.rows(), 1);
  EXPECT_EQ(left.get<std::string>(0, 0), "last-before-two-days");
}

}  // namespace
}  // namespace tapedeck::scheduler
