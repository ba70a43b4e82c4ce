// Slot safety against a PostgreSQL of the test's own with a tiny max_slot_wal_keep_size: the
// low-room warning, and a lost slot stopping capture with the way back.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "harness.hpp"
#include "support/private_postgres.hpp"

namespace tapedeck::capture::testing {
namespace {

using tapedeck::testing::PrivatePostgres;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The private server, a slot name, and the environment that points capture at them.
class SlotSafety : public ::testing::Test {
 protected:
  void start_server(const std::string& keep_size) {
    pg_.start("-c wal_level=logical -c max_slot_wal_keep_size=" + keep_size);
  }
  std::map<std::string, std::string> env(std::map<std::string, std::string> extra = {}) const {
    std::map<std::string, std::string> out = {
        {"TAPEDECK_LIVE_DSN", pg_.dsn()},
        {"TAPEDECK_NATS_URL", tapedeck::testing::stack_env("TAPEDECK_NATS_URL")},
        {"TAPEDECK_CAPTURE_SLOT_NAME", slot_},
        {"TAPEDECK_CAPTURE_PUBLICATION", slot_},
        {"TAPEDECK_NATS_CDC_STREAM", stream_},
        {"TAPEDECK_NATS_CDC_PREFIX", "cap" + suffix_},
        {"TAPEDECK_CAPTURE_CONFIRM_MODE", "puback"},
        {"TAPEDECK_CAPTURE_LISTEN", "127.0.0.1:0"},
        {"TAPEDECK_CAPTURE_STATUS_INTERVAL", "200ms"},
    };
    for (auto& [name, value] : extra) out[name] = value;
    return out;
  }
  void TearDown() override {
    try {
      nats::LibraryGuard library;
      nats::ConnectOptions options;
      options.url = tapedeck::testing::stack_env("TAPEDECK_NATS_URL");
      nats::Connection connection(options);
      nats::JetStream js(connection);
      js.delete_stream(stream_);
    } catch (const std::exception&) {
      // capture may not have got as far as creating it
    }
    if (!HasFailure()) std::filesystem::remove(log_file_);
  }

  PrivatePostgres pg_;
  std::string suffix_ = unique_suffix();
  std::string slot_ = "slot_" + suffix_;
  std::string stream_ = "SLOTSAFETY_" + suffix_;
  std::string log_file_ =
      (std::filesystem::temp_directory_path() / ("capture_slot_" + suffix_ + ".log")).string();
};

TEST_F(SlotSafety, WarnsWhenSafeWalSizeFallsBelowTheFraction) {
  start_server("64MB");
  pg::Connection db(pg_.dsn());
  db.exec("CREATE TABLE t (id int PRIMARY KEY, v text)");
  // Fraction 1 warns once safe_wal_size < max_slot_wal_keep_size, that is once the slot holds
  // back WAL past the end of its restart segment. A transaction left open keeps restart_lsn
  // where it began, and two WAL switches put the write position two segments further.
  ChildProcess capture({tapedeck::testing::tapedeck_binary(), "capture"},
                       env({{"TAPEDECK_CAPTURE_SLOT_WARN_FRACTION", "1"}}), log_file_);
  ASSERT_TRUE(eventually(
      [&] {
        return db.exec_params(
                     "SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND "
                     "active AND confirmed_flush_lsn IS NOT NULL",
                     pg::Params::of(slot_))
                   .rows() == 1;
      },
      60s))
      << read_file(log_file_);
  pg::Connection held(pg_.dsn());
  held.exec("BEGIN");
  held.exec("INSERT INTO t VALUES (0, 'held open')");
  for (int i = 1; i <= 2; ++i) {
    db.exec_params("INSERT INTO t SELECT g, md5(g::text) FROM generate_series($1::int, $2::int) g",
                   pg::Params::of(i * 1000, i * 1000 + 999));
    db.exec("SELECT pg_switch_wal()");
  }
  EXPECT_TRUE(eventually(
      [&] { return read_file(log_file_).find("bytes more (safe_wal_size)") != std::string::npos; },
      120s))
      << read_file(log_file_);
  const std::string log = read_file(log_file_);
  EXPECT_NE(log.find("replication slot " + slot_ + " retains"), std::string::npos) << log;
  held.exec("ROLLBACK");
  EXPECT_EQ(capture.stop(), 0) << read_file(log_file_);
}

TEST_F(SlotSafety, ALostSlotStopsCaptureWithTheWayBack) {
  start_server("1MB");
  pg::Connection db(pg_.dsn());
  db.exec("CREATE TABLE t (id bigint PRIMARY KEY, v text)");
  db.exec_params("SELECT pg_create_logical_replication_slot($1, 'pgoutput')",
                 pg::Params::of(slot_));
  // Capture is not running: WAL written past max_slot_wal_keep_size and a checkpoint
  // invalidate the slot.
  long next = 1;
  const bool lost = eventually(
      [&] {
        db.exec_params(
            "INSERT INTO t SELECT g, repeat(md5(g::text), 8) FROM generate_series($1::bigint, "
            "$2::bigint) g",
            pg::Params::of(next, next + 19'999));
        next += 20'000;
        db.exec("SELECT pg_switch_wal()");
        db.exec("CHECKPOINT");
        const auto status =
            db.exec_params("SELECT wal_status FROM pg_replication_slots WHERE slot_name = $1",
                           pg::Params::of(slot_));
        return status.rows() == 1 && !status.is_null(0, 0) && status.text(0, 0) == "lost";
      },
      120s);
  ASSERT_TRUE(lost) << "the slot was not invalidated; see " << pg_.log_path();

  ChildProcess capture({tapedeck::testing::tapedeck_binary(), "capture"}, env(), log_file_);
  const int code = capture.wait(120s);
  const std::string log = read_file(log_file_);
  EXPECT_NE(code, -1) << "capture kept running on a lost slot; log:\n" << log;
  EXPECT_NE(code, 0) << log;
  EXPECT_NE(log.find("replication slot " + slot_ + " is lost"), std::string::npos) << log;
  EXPECT_NE(log.find("pg_drop_replication_slot('" + slot_ + "')"), std::string::npos) << log;
  EXPECT_NE(log.find("backup run"), std::string::npos) << log;
}

}  // namespace
}  // namespace tapedeck::capture::testing
