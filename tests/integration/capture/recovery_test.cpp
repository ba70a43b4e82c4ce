// `tapedeck capture` end to end: kill -9 of capture, a nats-server restart, a large
// transaction: every change is in the stream exactly once after de-duplication.
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <thread>

#include "harness.hpp"
#include "integration/core/nats/private_server.hpp"

namespace tapedeck::capture::testing {
namespace {

// Inserts ids 1..transactions*rows_per_tx into `bulk` from its own connection, one
// transaction of rows_per_tx rows at a time, pausing `pause` between transactions.
class Workload {
 public:
  Workload(std::string dsn, int transactions, int rows_per_tx, std::chrono::milliseconds pause)
      : thread_([=, this] {
          try {
            pg::Connection db(dsn);
            for (int tx = 0; tx < transactions; ++tx) {
              const long first = static_cast<long>(tx) * rows_per_tx + 1;
              db.exec_params(
                  "INSERT INTO bulk SELECT g, md5(g::text) FROM generate_series($1::int, $2::int) "
                  "g",
                  pg::Params::of(first, first + rows_per_tx - 1));
              committed_.fetch_add(1);
              std::this_thread::sleep_for(pause);
            }
          } catch (const std::exception& error) {
            failure_ = error.what();
          }
        }) {}
  ~Workload() { join(); }
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  int committed() const { return committed_.load(); }
  const std::string& failure() const { return failure_; }

 private:
  std::atomic<int> committed_{0};
  std::string failure_;
  std::thread thread_;
};

// The ids of the rows created in `bulk`, counting each message id once: every id from 1 to
// `rows` must be there exactly once.
void expect_every_row_once(CaptureHarness& h, const std::vector<StreamEvent>& events, long rows) {
  const auto changes = h.table_events(events, "public.bulk");
  ASSERT_EQ(changes.size(), static_cast<std::size_t>(rows));
  std::vector<int> seen(static_cast<std::size_t>(rows) + 1, 0);
  for (const auto& event : changes) {
    const json payload = event.payload();
    ASSERT_EQ(payload["op"], "c");
    const long id = payload["after"]["id"].get<long>();
    ASSERT_GE(id, 1);
    ASSERT_LE(id, rows);
    ++seen[static_cast<std::size_t>(id)];
  }
  for (long id = 1; id <= rows; ++id) {
    ASSERT_EQ(seen[static_cast<std::size_t>(id)], 1) << "row " << id;
  }
}

const std::map<std::string, std::string> kSchemaless = {
    {"TAPEDECK_CAPTURE_SCHEMAS_ENABLE", "false"}};

TEST(CaptureRecovery, KillNineMidWorkloadThenRestartLosesNothingAndStoresNothingTwice) {
  CaptureHarness h;
  h.exec("CREATE TABLE bulk (id int PRIMARY KEY, v text)");
  h.start_capture(kSchemaless);
  constexpr int kTransactions = 100;
  constexpr int kRows = 1000;
  Workload workload(h.dsn(), kTransactions, kRows, 20ms);

  // Kill capture once a fifth of the events are in the stream, while the workload still runs.
  ASSERT_TRUE(eventually([&] { return h.stream_messages() >= 20'000; }, 120s)) << h.log_tail();
  const int committed_at_kill = workload.committed();
  h.kill_capture();
  std::cout << "killed capture with " << h.stream_messages() << " messages stored, "
            << committed_at_kill << " of " << kTransactions << " transactions committed\n";
  h.start_capture(kSchemaless);
  workload.join();
  ASSERT_EQ(workload.failure(), "");

  const std::size_t expected = kTransactions * (kRows + 2);  // rows + BEGIN + END
  const auto events = h.read_distinct(expected, 150s);
  EXPECT_EQ(distinct_ids(events), expected) << h.log_tail();
  // Re-sent events fell within the duplicate window: JetStream stored each id once.
  EXPECT_EQ(events.size(), expected);
  expect_every_row_once(h, events, static_cast<long>(kTransactions) * kRows);
}

TEST(CaptureRecovery, NatsServerRestartMidWorkloadLosesNothing) {
  nats::testing::PrivateNatsServer server;
  server.start();
  CaptureHarness h(server.url());
  h.exec("CREATE TABLE bulk (id int PRIMARY KEY, v text)");
  // Watermark mode with no transform: the slot is held back, so whatever the killed server
  // had not yet written is streamed again from the slot after the reconnect.
  auto env = kSchemaless;
  env["TAPEDECK_CAPTURE_CONFIRM_MODE"] = "watermark";
  h.start_capture(env);
  constexpr int kTransactions = 60;
  constexpr int kRows = 500;
  Workload workload(h.dsn(), kTransactions, kRows, 20ms);

  ASSERT_TRUE(eventually([&] { return h.stream_messages() >= 5'000; }, 120s)) << h.log_tail();
  server.kill();
  std::this_thread::sleep_for(1500ms);
  server.start();
  workload.join();
  ASSERT_EQ(workload.failure(), "");

  const std::size_t expected = kTransactions * (kRows + 2);
  const auto events = h.read_distinct(expected, 150s);
  EXPECT_EQ(distinct_ids(events), expected) << h.log_tail();
  expect_every_row_once(h, events, static_cast<long>(kTransactions) * kRows);
  ASSERT_TRUE(h.capture()->running()) << h.log_tail();
  // The whole log: the line is long past the tail once capture has streamed again for a while.
  // The loss surfaces as a failed publish, a failed ack wait or a reconnect, whichever comes
  // first; each stops the session with this line, and the slot is then streamed again.
  const std::string log = h.log_text();
  EXPECT_NE(log.find("; starting again from the slot"), std::string::npos) << h.log_tail();
  const auto first_start = log.find("streaming slot ");
  ASSERT_NE(first_start, std::string::npos) << h.log_tail();
  EXPECT_NE(log.find("streaming slot ", first_start + 1), std::string::npos) << h.log_tail();
}

TEST(CaptureRecovery, ALargeTransactionStreamsThrough) {
  CaptureHarness h;
  h.exec("CREATE TABLE bulk (id int PRIMARY KEY, v text)");
  auto& capture = h.start_capture(kSchemaless);
  const long rss_before = peak_rss_kib(capture.pid());
  constexpr long kRows = 200'000;
  h.db().exec_params("INSERT INTO bulk SELECT g, md5(g::text) FROM generate_series(1, $1::int) g",
                     pg::Params::of(kRows));
  const auto events = h.read_distinct(kRows + 2, 150s);
  ASSERT_EQ(distinct_ids(events), static_cast<std::size_t>(kRows + 2)) << h.log_tail();
  const json end = events.back().payload();
  EXPECT_EQ(end["status"], "END");
  EXPECT_EQ(end["event_count"], kRows);
  expect_every_row_once(h, events, kRows);
  const long rss_after = peak_rss_kib(capture.pid());
  std::cout << "capture peak RSS: " << rss_before << " KiB at start, " << rss_after
            << " KiB after a " << kRows << "-row transaction\n";
  ::testing::Test::RecordProperty("capture_peak_rss_kib", std::to_string(rss_after));
}

}  // namespace
}  // namespace tapedeck::capture::testing
