// Logical replication against the Live DB of the local stack: slot, publication, pgoutput
// messages for an insert, keepalive answer and a confirmed LSN.
#include "core/pg/replication.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "core/error.hpp"
#include "core/pg/replication_admin.hpp"
#include "integration/core/pg/scratch.hpp"

namespace tapedeck::pg {
namespace {

using namespace std::chrono_literals;
using testing::live_dsn;
using testing::unique_name;

std::uint64_t be64_at(std::string_view bytes, std::size_t at) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i)
    value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

// Drops what a test created, also when it failed half-way. A slot stays active for a
// moment after its streaming connection closed, so dropping it is retried briefly.
struct Cleanup {
  Connection& admin;
  std::string slot;
  std::string publication;
  std::string table;
  ~Cleanup() {
    for (int attempt = 0; attempt < 50; ++attempt) {
      try {
        drop_replication_slot(admin, slot);
        break;
      } catch (const Error&) {
        std::this_thread::sleep_for(100ms);
      }
    }
    try {
      drop_publication(admin, publication);
      admin.exec("DROP TABLE IF EXISTS public." + table);
    } catch (const Error& error) {
      ADD_FAILURE() << "cleanup: " << error.what();
    }
  }
};

class ReplicationTest : public ::testing::Test {
 protected:
  // Tables named with their schema: search_path starts with "$user", and the stack's user
  // tapedeck has a schema of that name once the Live DB is migrated.
  void SetUp() override {
    admin_.exec("CREATE TABLE public." + cleanup_.table + " (id int PRIMARY KEY, note text)");
  }

  Connection admin_{live_dsn()};
  Cleanup cleanup_{admin_, unique_name("pg_slot"), unique_name("pg_pub"), unique_name("pg_repl")};
};

TEST_F(ReplicationTest, StreamsPgoutputMessagesForAnInsertAndConfirmsAnLsn) {
  const std::string& slot = cleanup_.slot;
  const std::string& publication = cleanup_.publication;
  EXPECT_TRUE(ensure_publication(admin_, publication, {{"public", cleanup_.table}}));
  EXPECT_FALSE(ensure_publication(admin_, publication, {{"public", cleanup_.table}}));

  ReplicationConnection replication(live_dsn(), "tapedeck-pg-repl-test");
  const SystemIdentity identity = replication.identify_system();
  EXPECT_EQ(identity.dbname, admin_.exec("SELECT current_database()").get<std::string>(0, 0));
  EXPECT_GE(identity.timeline, 1);
  EXPECT_TRUE(identity.xlogpos.valid());
  EXPECT_FALSE(identity.system_id.empty());

  const auto created = replication.create_logical_slot_if_missing(slot, "pgoutput");
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->slot_name, slot);
  EXPECT_TRUE(created->consistent_point.valid());
  EXPECT_FALSE(replication.create_logical_slot_if_missing(slot, "pgoutput").has_value());
  const auto before = replication_slot(admin_, slot);
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(before->plugin, "pgoutput");

  replication.start_logical(slot, Lsn{}, pgoutput_options({publication}));
  ASSERT_TRUE(replication.streaming());
  admin_.exec_params("INSERT INTO public." + cleanup_.table + " VALUES ($1, $2)",
                     Params::of(1, "hello"));

  // The first byte of each payload of our transaction: Begin, Relation, Insert, Commit.
  std::string kinds;
  Lsn commit_end;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!commit_end.valid() && std::chrono::steady_clock::now() < deadline) {
    const auto message = replication.read(500ms);
    if (!message) continue;
    const auto* data = std::get_if<XLogData>(&*message);
    if (data == nullptr || data->payload.empty()) continue;
    const char kind = data->payload[0];
    if (kind == 'B') kinds.clear();
    kinds.push_back(kind);
    if (kind == 'C' && kinds.find('I') != std::string::npos) {
      ASSERT_GE(data->payload.size(), 26u);
      commit_end = Lsn{be64_at(data->payload, 10)};  // 'C', flags, commit LSN, end LSN
    }
  }
  EXPECT_EQ(kinds, "BRIC");
  ASSERT_TRUE(commit_end.valid());
  EXPECT_LT(before->confirmed_flush_lsn, commit_end);

  // Ask for a keepalive, answer it, and confirm the transaction.
  replication.send_status(commit_end, commit_end, commit_end, true);
  bool answered = false;
  while (!answered && std::chrono::steady_clock::now() < deadline) {
    const auto message = replication.read(500ms);
    if (!message) continue;
    if (const auto* keepalive = std::get_if<PrimaryKeepalive>(&*message)) {
      EXPECT_GE(keepalive->wal_end, commit_end);
      replication.send_status(commit_end, commit_end, commit_end);
      answered = true;
    }
  }
  EXPECT_TRUE(answered);

  Lsn confirmed;
  while (confirmed < commit_end && std::chrono::steady_clock::now() < deadline) {
    confirmed = replication_slot(admin_, slot)->confirmed_flush_lsn;
    if (confirmed < commit_end) std::this_thread::sleep_for(100ms);
  }
  EXPECT_GE(confirmed, commit_end);

  replication.stop();
  replication.drop_slot(slot);
  EXPECT_FALSE(replication_slot(admin_, slot).has_value());
}

TEST_F(ReplicationTest, AStreamWhoseServerProcessWasTerminatedGivesARetryableError) {
  ensure_publication(admin_, cleanup_.publication, {{"public", cleanup_.table}});
  const std::string application = unique_name("tapedeck_walsender");
  ReplicationConnection replication(live_dsn(), application);
  replication.create_logical_slot(cleanup_.slot, "pgoutput");
  replication.start_logical(cleanup_.slot, Lsn{}, pgoutput_options({cleanup_.publication}));
  const Result terminated = admin_.exec_params(
      "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_replication "
      "WHERE application_name = $1",
      Params::of(application));
  ASSERT_EQ(terminated.rows(), 1);
  try {
    for (int i = 0; i < 100; ++i) replication.read(100ms);
    FAIL() << "reading from a terminated walsender must fail";
  } catch (const Error& error) {
    EXPECT_EQ(error.recovery(), Recovery::retry) << error.what();
  }
  EXPECT_FALSE(replication.streaming());
}

TEST(ReplicationNames, AreCheckedBeforeTheyReachTheServer) {
  ReplicationConnection replication(live_dsn());
  EXPECT_THROW(replication.create_logical_slot("Bad-Name", "pgoutput"), Error);
  EXPECT_THROW(replication.create_logical_slot("ok_name", "pgoutput; DROP"), Error);
}

}  // namespace
}  // namespace tapedeck::pg
