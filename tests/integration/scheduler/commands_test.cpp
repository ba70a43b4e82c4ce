// The binary: `tapedeck backup run`, `tapedeck backup list --json`, `tapedeck scheduler` on a
// seconds cron, against a scratch Live DB and folder.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/schema/store_schema.hpp"
#include "core/txid_snapshot.hpp"
#include "fixture.hpp"
#include "support/process.hpp"
#include "support/s3rver_folder.hpp"

namespace tapedeck::scheduler {
namespace {

using namespace testing;
using namespace std::chrono_literals;
using tapedeck::testing::ChildProcess;
using tapedeck::testing::eventually;
using tapedeck::testing::tapedeck_binary;
using tapedeck::testing::unfinished_s3_uploads;

class CommandsTest : public ::testing::Test {
 protected:
  CommandsTest() : live_db_("sched_live") {
    env_ = {{"TAPEDECK_LIVE_DSN", live_db_.dsn()},
            {"TAPEDECK_STORAGE_URL", folder_.url()},
            {"TAPEDECK_SCHEDULER_LISTEN", "127.0.0.1:0"}};
  }

  // Runs `tapedeck --log-level off <args>`; its exit code and its output.
  std::pair<int, std::string> run(std::vector<std::string> args) {
    const std::string out = folder_.path().string() + "/../out-" + unique_suffix() + ".txt";
    args.insert(args.begin(), {tapedeck_binary(), "--log-level", "off"});
    ChildProcess child(args, env_, out);
    const int code = child.wait(120s);
    std::ifstream in(out);
    std::stringstream text;
    text << in.rdbuf();
    std::remove(out.c_str());
    return {code, text.str()};
  }

  // A count the Live DB answers; 0 before the first run creates tapedeck's tables.
  static int count(pg::Connection& live, const char* sql) {
    try {
      return std::stoi(std::string(live.exec(sql).text(0, 0)));
    } catch (const std::exception&) {
      return 0;
    }
  }

  ScratchDatabase live_db_;
  ScratchFolder folder_;
  std::map<std::string, std::string> env_;
};

TEST_F(CommandsTest, BackupListPrintsTheBackupsOldestFirstAsJson) {
  auto live = live_db_.connect();
  live.exec("CREATE TABLE t (id int); INSERT INTO t VALUES (1)");
  ASSERT_EQ(run({"backup", "run"}).first, 0);
  // The time the timekeeper would have written, recorded with the next backup.
  live.exec("INSERT INTO tapedeck.system_time VALUES (true, '2026-03-04 05:06:07+00', 1772600767)");
  ASSERT_EQ(run({"backup", "run"}).first, 0);

  const auto [code, output] = run({"backup", "list", "--json"});
  ASSERT_EQ(code, 0) << output;
  const auto backups = nlohmann::json::parse(output);
  ASSERT_EQ(backups.size(), 2u) << output;
  for (const auto& backup : backups) {
    for (const char* field : {"id", "object_key", "storage_url", "size_bytes", "sha256",
                              "created_at", "system_time", "lsn", "txid_snapshot"}) {
      EXPECT_TRUE(backup.contains(field)) << field;
    }
    const std::string key = backup.at("object_key");
    EXPECT_EQ(backup.at("storage_url"), folder_.url() + "/" + key);
    EXPECT_TRUE(std::filesystem::exists(folder_.path() / key));
    EXPECT_EQ(backup.at("size_bytes").get<std::int64_t>(),
              static_cast<std::int64_t>(std::filesystem::file_size(folder_.path() / key)));
    EXPECT_EQ(backup.at("sha256").get<std::string>().size(), 64u);
    EXPECT_NO_THROW(TxidSnapshot::parse(backup.at("txid_snapshot").get<std::string>()));
  }
  EXPECT_LT(backups[0].at("id").get<std::int64_t>(), backups[1].at("id").get<std::int64_t>());
  EXPECT_LE(backups[0].at("created_at").get<std::string>(),
            backups[1].at("created_at").get<std::string>());
  EXPECT_TRUE(backups[0].at("system_time").is_null());
  EXPECT_EQ(backups[1].at("system_time"), "2026-03-04T05:06:07.000000Z");

  const auto [table_code, table] = run({"backup", "list"});
  EXPECT_EQ(table_code, 0);
  EXPECT_NE(table.find(backups[1].at("object_key").get<std::string>()), std::string::npos) << table;
}

TEST_F(CommandsTest, SchedulerRunsTheBackupJobOnItsCronUntilStopped) {
  env_["TAPEDECK_SCHEDULER_BACKUP_CRON"] = "*/2 * * * * *";
  env_["TAPEDECK_SCHEDULER_CLEANUP_TRANSFORM_CRON"] = "0 0 1 1 *";
  env_["TAPEDECK_SCHEDULER_CLEANUP_BACKUP_CRON"] = "0 0 1 1 *";
  const std::string log = folder_.path().string() + "/../scheduler-" + unique_suffix() + ".log";
  ChildProcess scheduler({tapedeck_binary(), "scheduler"}, env_, log);
  auto live = live_db_.connect();
  EXPECT_TRUE(
      eventually([&] { return count(live, "SELECT count(*) FROM tapedeck.backups") >= 2; }, 60s));
  EXPECT_EQ(scheduler.stop(), 0);
  std::remove(log.c_str());
}

// Two schedulers on the same cron: each slot's backup is taken once, by whichever copy gets
// there first; the other skips it (the job lock while it runs, the slot check after).
TEST_F(CommandsTest, TwoSchedulersTakeOneBackupPerCronSlot) {
  env_["TAPEDECK_SCHEDULER_BACKUP_CRON"] = "*/2 * * * * *";
  env_["TAPEDECK_SCHEDULER_CLEANUP_TRANSFORM_CRON"] = "0 0 1 1 *";
  env_["TAPEDECK_SCHEDULER_CLEANUP_BACKUP_CRON"] = "0 0 1 1 *";
  const std::string log = folder_.path().string() + "/../scheduler-" + unique_suffix();
  ChildProcess first({tapedeck_binary(), "scheduler"}, env_, log + "-1.log");
  ChildProcess second({tapedeck_binary(), "scheduler"}, env_, log + "-2.log");
  auto live = live_db_.connect();
  EXPECT_TRUE(
      eventually([&] { return count(live, "SELECT count(*) FROM tapedeck.backups") >= 4; }, 60s));
  EXPECT_EQ(first.stop(), 0);
  EXPECT_EQ(second.stop(), 0);
  const int backups = count(live, "SELECT count(*) FROM tapedeck.backups");
  const int slots = count(
      live,
      "SELECT count(DISTINCT floor(extract(epoch FROM created_at) / 2)) FROM tapedeck.backups");
  EXPECT_EQ(backups, slots) << "a cron slot's backup was taken twice";
  std::remove((log + "-1.log").c_str());
  std::remove((log + "-2.log").c_str());
}

// Fault test: the scheduler killed (SIGKILL) while pg_dump streams into an S3 multipart upload.
// Nothing is recorded and no object appears; the next backup (the next slot's, here the
// one-shot command, which runs the same job under the same lock) first aborts the unfinished
// upload, then stores its own. Prints the recovery time, kill to the next backup stored.
TEST_F(CommandsTest, ASchedulerKilledDuringAnS3MultipartUploadLeavesNothingBehind) {
  auto live = live_db_.connect();
  // About 40 MB no compression shrinks, so pg_dump's output spans several 5 MiB parts.
  live.exec(
      "CREATE TABLE noise (id int PRIMARY KEY, bytes bytea); INSERT INTO noise SELECT g, "
      "(SELECT string_agg(decode(md5(g || ':' || i || ':' || random()), 'hex'), ''::bytea) "
      "FROM generate_series(1, 4096) i) FROM generate_series(1, 600) g");
  const std::string prefix = "sched-kill-" + unique_suffix();
  const auto s3 = s3_store(prefix);
  env_["TAPEDECK_STORAGE_URL"] = s3.url;
  env_["TAPEDECK_S3_ENDPOINT"] = s3.s3.endpoint;
  env_["TAPEDECK_S3_ACCESS_KEY"] = s3.s3.access_key;
  env_["TAPEDECK_S3_SECRET_KEY"] = s3.s3.secret_key;
  env_["TAPEDECK_S3_PART_SIZE"] = std::to_string(storage::kMinPartSize);
  env_["TAPEDECK_SCHEDULER_BACKUP_CRON"] = "*/2 * * * * *";
  env_["TAPEDECK_SCHEDULER_CLEANUP_TRANSFORM_CRON"] = "0 0 1 1 *";
  env_["TAPEDECK_SCHEDULER_CLEANUP_BACKUP_CRON"] = "0 0 1 1 *";
  const std::string log = folder_.path().string() + "/../scheduler-" + unique_suffix() + ".log";
  {
    ChildProcess scheduler({tapedeck_binary(), "scheduler"}, env_, log);
    ASSERT_TRUE(eventually([&] { return !unfinished_s3_uploads(prefix + "/").empty(); }, 60s))
        << "no multipart upload started";
    scheduler.kill_now();
  }
  const auto killed_at = std::chrono::steady_clock::now();
  auto store = storage::open_store(s3);
  EXPECT_EQ(count(live, "SELECT count(*) FROM tapedeck.backups"), 0);
  EXPECT_EQ(count(live, "SELECT count(*) FROM tapedeck.backup_uploads"), 1);
  EXPECT_TRUE(store->list("").empty()) << "the killed upload left an object";
  ASSERT_EQ(unfinished_s3_uploads(prefix + "/").size(), 1u);

  const auto seconds_since_kill = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  };
  ChildProcess next({tapedeck_binary(), "--log-level", "off", "backup", "run"}, env_, log);
  ASSERT_TRUE(eventually([&] { return unfinished_s3_uploads(prefix + "/").empty(); }, 60s));
  const double cleaned = seconds_since_kill();
  ASSERT_EQ(next.wait(120s), 0);
  std::printf(
      "recovery: scheduler killed mid multipart upload: the unfinished upload aborted %.1f s after "
      "the kill, the next backup (about 40 MB dumped and uploaded) stored after %.1f s\n",
      cleaned, seconds_since_kill());
  EXPECT_EQ(count(live, "SELECT count(*) FROM tapedeck.backups"), 1);
  EXPECT_EQ(count(live, "SELECT count(*) FROM tapedeck.backup_uploads"), 0);
  EXPECT_TRUE(unfinished_s3_uploads(prefix + "/").empty())
      << "the unfinished upload is still there";
  const auto objects = store->list("");
  ASSERT_EQ(objects.size(), 1u);
  EXPECT_EQ(live.exec("SELECT object_key FROM tapedeck.backups").text(0, 0), objects[0].key);
  for (const auto& object : objects) store->remove(storage::ObjectKey(object.key));
  std::remove(log.c_str());
}

TEST_F(CommandsTest, CleanupBackupsKeepsTheConfiguredMinimum) {
  for (int i = 0; i < 3; ++i) ASSERT_EQ(run({"backup", "run"}).first, 0);
  env_["TAPEDECK_SCHEDULER_BACKUP_RETENTION"] = "1ms";
  env_["TAPEDECK_SCHEDULER_BACKUP_KEEP_MIN"] = "1";
  const auto [code, output] = run({"cleanup", "backups"});
  EXPECT_EQ(code, 0) << output;
  auto live = live_db_.connect();
  EXPECT_EQ(live.exec("SELECT count(*) FROM tapedeck.backups").text(0, 0), "1");
  EXPECT_EQ(folder_.files().size(), 1u);
}

TEST_F(CommandsTest, CleanupTransformDeletesStatementsOlderThanTheRetention) {
  ScratchDatabase store_db("sched_store");
  auto store = store_db.connect();
  schema::migrate_store(store);
  for (const auto& [id, age_hours] : {std::pair{"old-1", 240}, {"old-2", 200}, {"new", 1}}) {
    store.exec_params(
        "INSERT INTO tapedeck.statements (event_id, commit_lsn, position, xid, commit_time, "
        "schema_name, table_name, op, sql) VALUES ($1, '0/16B3748', 1, '700', "
        "clock_timestamp() - $2::bigint * interval '1 hour', 'public', 't', 'c', 'SELECT 1')",
        pg::Params::of(std::string(id), std::int64_t{age_hours}));
  }
  env_["TAPEDECK_STORE_DSN"] = store_db.dsn();
  env_["TAPEDECK_SCHEDULER_TRANSFORM_RETENTION"] = "7d";
  const auto [code, output] = run({"cleanup", "transform"});
  EXPECT_EQ(code, 0) << output;
  EXPECT_NE(output.find("deleted 2 statements"), std::string::npos) << output;
  EXPECT_EQ(store.exec("SELECT string_agg(event_id, ',') FROM tapedeck.statements").text(0, 0),
            "new");
}

}  // namespace
}  // namespace tapedeck::scheduler
