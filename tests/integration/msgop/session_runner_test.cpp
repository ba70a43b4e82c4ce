// msgop on the real stack: exact catch-up, paced replay, pause/resume/end, RTUS calls, gaps,
// and a killed msgop. Recordings are inserted straight into a scratch TransformMsg DB.
#include "msgop/session_runner.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/nats/consumer.hpp"
#include "core/nats/jetstream.hpp"
#include "core/sessions/session_events.hpp"
#include "fixture.hpp"
#include "msgop/catch_up.hpp"
#include "support/process.hpp"

namespace tapedeck::msgop::testing {
namespace {

using tapedeck::testing::eventually;

Time at(const char* text) {
  return *session::parse_time(text);
}

// Deletes the durable consumer `durable` of TAPEDECK_EVENTS when it goes out of scope.
struct RemoveDurableAtExit {
  RemoveDurableAtExit(nats::Connection& connection, std::string name)
      : nats(connection), durable(std::move(name)) {}
  RemoveDurableAtExit(const RemoveDurableAtExit&) = delete;
  RemoveDurableAtExit& operator=(const RemoveDurableAtExit&) = delete;
  RemoveDurableAtExit(RemoveDurableAtExit&&) = delete;
  RemoveDurableAtExit& operator=(RemoveDurableAtExit&&) = delete;
  nats::Connection& nats;
  std::string durable;
  ~RemoveDurableAtExit() {
    nats::JetStream jetstream(nats);
    nats::PullConsumer::remove(jetstream, "TAPEDECK_EVENTS", durable);
  }
};

class SessionRunnerTest : public MsgopTest {
 protected:
  void SetUp() override {
    MsgopTest::SetUp();
    if (HasFatalFailure()) return;
    nats::JetStream jetstream(*nats_);
    session::ensure_events_stream(jetstream, config::Config::load(std::nullopt, {}));
    rtus_url_ = tapedeck::testing::stack_env("TAPEDECK_RTUS_URL");
  }

  void TearDown() override {
    // A test that stopped early leaves its session running: end it so its thread returns.
    for (const auto& id : running_) {
      try {
        if (!session::is_terminal(state_of(id))) {
          sessions_->transition(id, session::Transition::end);
        }
      } catch (const std::exception&) {
      }
    }
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
    MsgopTest::TearDown();
  }

  // True once `consumer` has a message (acked), within 10 s.
  static bool receives_a_message(nats::PullConsumer& consumer) {
    bool seen = false;
    return eventually(
        [&] {
          for (auto& message : consumer.fetch(10, 200ms)) {
            message.ack();
            seen = true;
          }
          return seen;
        },
        10s);
  }

  // `count` `tapedeck msgop` processes on the scratch store sharing the durable `durable`.
  std::vector<std::unique_ptr<tapedeck::testing::ChildProcess>> start_msgops(
      int count, const std::string& durable, const std::map<std::string, std::string>& extra = {}) {
    std::map<std::string, std::string> env = {{"TAPEDECK_STORE_DSN", store_dsn_},
                                              {"TAPEDECK_MSGOP_LISTEN", "127.0.0.1:0"},
                                              {"TAPEDECK_MSGOP_DURABLE", durable},
                                              {"TAPEDECK_MSGOP_PROGRESS_INTERVAL", "200ms"}};
    env.insert(extra.begin(), extra.end());
    std::vector<std::unique_ptr<tapedeck::testing::ChildProcess>> msgops;
    msgops.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
      msgops.push_back(std::make_unique<tapedeck::testing::ChildProcess>(
          std::vector<std::string>{tapedeck::testing::tapedeck_binary(), "msgop"}, env));
    }
    return msgops;
  }

  // restore.ok for `session` as dbop publishes it (restored from backup 1 at LSN 0/100).
  void publish_restore_ok(const session::Record& session, const std::string& msg_id = {}) {
    nats::JetStream jetstream(*nats_);
    session::publish_event(jetstream, session.id, "restore.ok",
                           {{"backup_id", 1},
                            {"lsn", "0/100"},
                            {"txid_snapshot", "150:150:"},
                            {"database_name", session.database_name}},
                           msg_id);
  }

  RunnerSettings settings() {
    RunnerSettings settings;
    settings.store_dsn = store_dsn_;
    settings.playback_dsn = playback_dsn_;
    settings.rtus_url = rtus_url_ + "/playback";
    settings.batch_statements = 1000;
    settings.progress_interval = 200ms;
    settings.worker = unique_name("msgop-test");
    return settings;
  }

  // Claims the session like the service does and runs it on a thread.
  void run(const std::string& id) {
    const auto runner_settings = settings();
    auto claim = claim_session(runner_settings, id);
    ASSERT_TRUE(claim.has_value());
    // A second claim while the first holds the lock is refused.
    EXPECT_FALSE(claim_session(runner_settings, id).has_value());
    auto runner = std::make_shared<SessionRunner>(runner_settings, id, std::move(*claim), *nats_,
                                                  clock_, *metrics_);
    threads_.emplace_back([runner] { runner->run(); });
    running_.push_back(id);
  }

  bool reaches(const std::string& id, session::State state,
               std::chrono::milliseconds timeout = 60s) {
    return eventually([&] { return state_of(id) == state; }, timeout);
  }

  // (id, applied_at in microseconds since the epoch), by applied_at.
  std::vector<std::pair<int, std::int64_t>> applied(const std::string& dsn) {
    pg::Connection db(dsn);
    const auto result = db.exec(
        "SELECT id, (extract(epoch FROM applied_at) * 1000000)::int8 FROM t "
        "WHERE v <> 'backup' ORDER BY applied_at, id");
    std::vector<std::pair<int, std::int64_t>> rows;
    rows.reserve(static_cast<std::size_t>(result.rows()));
    for (int row = 0; row < result.rows(); ++row) {
      rows.emplace_back(result.get<int>(row, 0), result.get<std::int64_t>(row, 1));
    }
    return rows;
  }

  std::vector<int> ids(const std::string& dsn) {
    pg::Connection db(dsn);
    const auto result = db.exec("SELECT id FROM t ORDER BY id");
    std::vector<int> ids;
    ids.reserve(static_cast<std::size_t>(result.rows()));
    for (int row = 0; row < result.rows(); ++row) ids.push_back(result.get<int>(row, 0));
    return ids;
  }

  nlohmann::json rtus_calls(const std::string& prefix) {
    http::Client client;
    http::Request request;
    request.url = rtus_url_ + "/calls?path_prefix=" + prefix;
    const auto response = client.send(request);
    EXPECT_TRUE(response.ok()) << response.status;
    return nlohmann::json::parse(response.body);
  }

  SystemClock clock_;
  Metrics registry_;
  std::unique_ptr<MsgopMetrics> metrics_ = std::make_unique<MsgopMetrics>(registry_);
  std::vector<std::thread> threads_;
  std::vector<std::string> running_;
  std::string rtus_url_;
};

TEST_F(SessionRunnerTest, CatchUpAppliesExactlyTheTransactionsNotVisibleInTheSnapshotUpToTheStart) {
  const Time start = at("2026-01-01T10:00:00Z");
  // Snapshot 100:105:101,103 taken at LSN 0/150. Visible: 99 (< xmin), 100, 102, 104.
  // Not visible: 101 and 103 (in progress), 105 and later (>= xmax).
  record("0/100", 0, 99, start - 20s, "INSERT INTO t (id, v) VALUES (1, 'replayed')");
  record("0/140", 0, 100, start - 19s, "INSERT INTO t (id, v) VALUES (2, 'replayed')");
  record("0/160", 0, 104, start - 18s, "INSERT INTO t (id, v) VALUES (5, 'replayed')");
  record("0/170", 0, 103, start - 17s, "INSERT INTO t (id, v) VALUES (4, 'caught')");
  record("0/180", 0, 101, start - 16s, "INSERT INTO t (id, v) VALUES (3, 'first')");
  record("0/180", 1, 101, start - 16s, "UPDATE t SET v = 'caught' WHERE id = 3");
  record("0/190", 0, 102, start - 15s, "INSERT INTO t (id, v) VALUES (9, 'visible, skipped')");
  record("0/200", 0, 105, start - 1s, "INSERT INTO t (id, v) VALUES (6, 'caught')");
  record("0/210", 0, 106, start, "INSERT INTO t (id, v) VALUES (7, 'caught')");
  record("0/220", 0, 107, start + 1us, "INSERT INTO t (id, v) VALUES (8, 'after the start')");

  const auto session = restored_session(start, start + 10s, "1", "0/150", "100:105:101,103");
  const std::string dsn = create_session_database(session.database_name, {1, 2, 5, 9});
  run(session.id);

  ASSERT_TRUE(reaches(session.id, session::State::ready)) << sessions_->get(session.id).error;
  EXPECT_EQ(ids(dsn), (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 9}));
  pg::Connection db(dsn);
  EXPECT_EQ(db.exec("SELECT count(*) FROM t WHERE v = 'caught'").get<std::int64_t>(0, 0), 4);
  EXPECT_EQ(metrics_->catch_up_statements.value(), 5u);
  // Until the replay starts, the row shows what catch-up applied.
  EXPECT_EQ(sessions_->get(session.id).progress.statements_applied, 5);

  // `end` stops the session and drops its database (playback.drop_on_end).
  sessions_->transition(session.id, session::Transition::end);
  EXPECT_TRUE(eventually([&] { return !database_exists(session.database_name); }, 60s));
}

TEST_F(SessionRunnerTest, CatchUpKeepsEverySourceTransactionWholeAcrossPagesAndFailures) {
  const Time start = at("2026-01-01T10:00:00Z");
  // 40 transactions of 1..7 statements, read in pages of 4 and batched by 4.
  int id = 0;
  for (int tx = 0; tx < 40; ++tx) {
    const std::string lsn = fmt::format("0/{:X}", 0x1000 + tx * 16);
    for (int position = 0; position <= tx % 7; ++position) {
      record(lsn, position, 1000 + static_cast<std::uint64_t>(tx), start - 30s + tx * 100ms,
             fmt::format("INSERT INTO t (id, v) VALUES ({}, 'tx{}')", ++id, tx));
    }
  }
  const std::string name = unique_name("msgop_test_db");
  const std::string dsn = create_session_database(name, {});
  pg::Connection target(dsn);
  CatchUpOptions options;
  options.batch_statements = 4;
  const auto snapshot = TxidSnapshot::parse("1000:1000:");
  const auto result =
      catch_up(*store_, target, TransactionFilter::catch_up(snapshot, start), options);
  EXPECT_EQ(result.statements, id);
  EXPECT_EQ(result.transactions, 40);
  EXPECT_EQ(ids(dsn).size(), static_cast<std::size_t>(id));

  // A transaction whose second statement fails leaves nothing of itself behind.
  pg::Connection clean(dsn);
  clean.exec("TRUNCATE t");
  record("0/F000", 0, 5000, start - 1s, "INSERT INTO t (id, v) VALUES (900, 'half')");
  record("0/F000", 1, 5000, start - 1s, "INSERT INTO t (id, v) VALUES (900, 'duplicate key')");
  EXPECT_THROW(catch_up(*store_, target, TransactionFilter::catch_up(snapshot, start), options),
               Error);
  pg::Connection check(dsn);
  EXPECT_EQ(check.exec("SELECT count(*) FROM t WHERE id = 900").get<std::int64_t>(0, 0), 0);
}

// Catch-up groups many source transactions into one apply transaction: a statement failing in
// the middle of a group names itself, rolls the whole group back and fails the session before
// it is reported ready.
TEST_F(SessionRunnerTest, AStatementFailingInTheMiddleOfAGroupFailsTheSessionNamingIt) {
  const Time start = at("2026-01-10T10:00:00Z");
  record("0/100", 0, 99, start - 1h, "INSERT INTO t (id, v) VALUES (1, 'visible')");
  // Five transactions of three statements: one group (batch_statements 1000). The third one's
  // second statement (position 1) breaks the primary key.
  for (int tx = 0; tx < 5; ++tx) {
    const std::string lsn = fmt::format("0/{:X}", 0x300 + tx * 0x10);
    for (int position = 0; position < 3; ++position) {
      const int id = tx == 2 && position == 1 ? 10 : 10 + tx * 3 + position;
      record(lsn, position, 200 + static_cast<std::uint64_t>(tx), start - 10s + tx * 1s,
             fmt::format("INSERT INTO t (id, v) VALUES ({}, 'tx{}')", id, tx));
    }
  }
  const auto session = restored_session(start, start + 10s, "1", "0/200", "150:150:");
  const std::string dsn = create_session_database(session.database_name, {});
  nats::JetStream jetstream(*nats_);
  const auto durable = unique_name("ready-test");
  nats::PullConsumer readies(jetstream, "TAPEDECK_EVENTS", durable,
                             session::subject(session.id, "ready"));
  run(session.id);
  ASSERT_TRUE(reaches(session.id, session::State::failed)) << sessions_->get(session.id).error;
  const auto error = sessions_->get(session.id).error;
  EXPECT_NE(error.find("commit LSN 0/320 position 1 (xid 202)"), std::string::npos) << error;
  EXPECT_NE(error.find("INSERT INTO t (id, v) VALUES (10, 'tx2')"), std::string::npos) << error;
  EXPECT_NE(error.find("duplicate key"), std::string::npos) << error;
  // Nothing of the group is left, not even the transactions before the failing one.
  EXPECT_TRUE(ids(dsn).empty());
  EXPECT_TRUE(readies.fetch(10, 500ms).empty()) << "a failed catch-up must not report ready";
  nats::PullConsumer::remove(jetstream, "TAPEDECK_EVENTS", durable);
}

// Catch-up sends a run of one-row INSERTs of one shape as multi-row INSERTs (of 64 rows, then
// powers of two), across source transactions, between the other statements in their places; a
// run that fails is applied again one statement at a time, so that the error names the very
// statement.
TEST_F(SessionRunnerTest, CatchUpMergesRunsOfInsertsAndStillNamesAFailingOne) {
  const Time start = at("2026-01-12T10:00:00Z");
  const auto insert = [](int id, const std::string& v) {
    return fmt::format(R"(INSERT INTO "public"."t" ("id", "v") VALUES ({}, '{}'))", id, v);
  };
  record("0/100", 0, 300, start - 5s, insert(1, "a"));
  record("0/100", 1, 300, start - 5s, insert(2, "b"));
  record("0/110", 0, 301, start - 4s, insert(3, "c"));
  record("0/110", 1, 301, start - 4s, R"(UPDATE "public"."t" SET "v" = 'a2' WHERE "id" = 1)");
  record("0/110", 2, 301, start - 4s, insert(4, "it''s"));
  record("0/120", 0, 302, start - 3s, R"(DELETE FROM "public"."t" WHERE "id" = 2)");
  record("0/120", 1, 302, start - 3s, R"(INSERT INTO "public"."u" ("id") VALUES (7))");
  record("0/120", 2, 302, start - 3s, insert(5, "e"));
  const std::string dsn = create_session_database(unique_name("msgop_test_db"), {});
  // Counts INSERT commands on t: the runs are (1, 2, 3), (4) and (5); the first goes as (1, 2)
  // and (3).
  pg::Connection(dsn).exec(
      "CREATE TABLE u (id int); CREATE TABLE inserts (n int); INSERT INTO inserts VALUES (0); "
      "CREATE FUNCTION count_insert() RETURNS trigger LANGUAGE plpgsql AS "
      "$$BEGIN UPDATE inserts SET n = n + 1; RETURN NULL; END$$; "
      "CREATE TRIGGER count_inserts AFTER INSERT ON t FOR EACH STATEMENT "
      "EXECUTE FUNCTION count_insert()");
  pg::Connection target(dsn);
  CatchUpOptions options;
  options.batch_statements = 100;
  const auto snapshot = TxidSnapshot::parse("300:300:");
  const auto result =
      catch_up(*store_, target, TransactionFilter::catch_up(snapshot, start), options);
  EXPECT_EQ(result.statements, 8);
  pg::Connection check(dsn);
  EXPECT_EQ(check.exec("SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM t")
                .get<std::string>(0, 0),
            "1:a2,3:c,4:it's,5:e");
  EXPECT_EQ(check.exec("SELECT count(*) FROM u").get<std::int64_t>(0, 0), 1);
  EXPECT_EQ(check.exec("SELECT n FROM inserts").get<int>(0, 0), 4) << "5 inserts in 4 commands";

  check.exec("TRUNCATE t, u");
  record("0/130", 0, 303, start - 2s, insert(10, "x"));
  record("0/130", 1, 303, start - 2s, insert(11, "y"));
  record("0/130", 2, 303, start - 2s, insert(10, "duplicate"));
  record("0/130", 3, 303, start - 2s, insert(12, "z"));
  try {
    catch_up(*store_, target, TransactionFilter::catch_up(snapshot, start), options);
    FAIL() << "a duplicate key was applied";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("at commit LSN 0/130 position 2"), std::string::npos) << message;
    EXPECT_NE(message.find("'duplicate'"), std::string::npos) << message;
  }
  EXPECT_EQ(check.exec("SELECT count(*) FROM t").get<std::int64_t>(0, 0), 0);
}

// A DDL statement (search_path and the DDL in one text) inside a group applies in its place:
// the statements after it in the same apply transaction see its effect.
// A trigger that fires on replayed changes (ENABLE ALWAYS) sees every recorded UPDATE: catch-up
// leaves none out as overwritten in such a session database.
TEST_F(SessionRunnerTest, AFiringTriggerSeesEveryUpdateThatCatchUpWouldLeaveOut) {
  const Time start = at("2026-01-01T10:00:00Z");
  record("0/100", 0, 200, start - 3s,
         R"(UPDATE "public"."t" SET "id" = 1, "v" = 'a' WHERE "id" = 1)");
  record("0/110", 0, 201, start - 2s,
         R"(UPDATE "public"."t" SET "id" = 1, "v" = 'b' WHERE "id" = 1)");
  record("0/120", 0, 202, start - 1s,
         R"(UPDATE "public"."t" SET "id" = 1, "v" = 'c' WHERE "id" = 1)");
  const auto session = restored_session(start, start + 10s, "1", "0/100", "200:200:");
  const std::string dsn = create_session_database(session.database_name, {1});
  pg::Connection db(dsn);
  db.exec(kCountUpdatesOfT);
  run(session.id);

  ASSERT_TRUE(reaches(session.id, session::State::ready)) << sessions_->get(session.id).error;
  EXPECT_EQ(db.exec("SELECT v FROM t WHERE id = 1").get<std::string>(0, 0), "c");
  EXPECT_EQ(db.exec("SELECT n FROM ran").get<int>(0, 0), 3);
}

TEST_F(SessionRunnerTest, CatchUpAppliesADdlStatementInOrderInsideAGroup) {
  const Time start = at("2026-01-11T10:00:00Z");
  record("0/100", 0, 300, start - 5s, "INSERT INTO t (id, v) VALUES (1, 'before')");
  record("0/110", 0, 301, start - 4s,
         "SELECT pg_catalog.set_config('search_path', 'public', true);\n"
         "ALTER TABLE t ADD COLUMN w int");
  record("0/120", 0, 302, start - 3s, "INSERT INTO t (id, v, w) VALUES (2, 'after', 7)");
  record("0/120", 1, 302, start - 3s, "TRUNCATE ONLY \"public\".\"u\"");
  record("0/120", 2, 302, start - 3s, "UPDATE t SET w = 8 WHERE id = 1");
  const std::string dsn = create_session_database(unique_name("msgop_test_db"), {});
  pg::Connection(dsn).exec("CREATE TABLE u (id int)");
  pg::Connection target(dsn);
  CatchUpOptions options;
  options.batch_statements = 100;
  const auto result =
      catch_up(*store_, target, TransactionFilter::catch_up(TxidSnapshot::parse("300:300:"), start),
               options);
  EXPECT_EQ(result.statements, 5);
  EXPECT_EQ(result.batches, 1);
  pg::Connection check(dsn);
  EXPECT_EQ(check.exec("SELECT string_agg(id || ':' || w, ',' ORDER BY id) FROM t")
                .get<std::string>(0, 0),
            "1:8,2:7");
}

// LSNs printed as text sort by their digits: '0/10000' before '0/FFF0'. Catch-up, replay and
// the gap check must order by the LSN itself.
TEST_F(SessionRunnerTest, AppliesTransactionsInLsnOrderWhereTheirTextSortsOtherwise) {
  const Time start = at("2026-01-03T10:00:00Z");
  record("0/FFF0", 0, 200, start - 3s, "INSERT INTO t (id, v) VALUES (1, 'first')");
  record("0/10000", 0, 201, start - 2s, "UPDATE t SET v = 'second' WHERE id = 1");
  record("0/FFFF0", 0, 202, start + 100ms, "UPDATE t SET v = 'third' WHERE id = 1");
  record("0/100000", 0, 203, start + 200ms, "UPDATE t SET v = 'fourth' WHERE id = 1");
  // The backup lies between the first two: the oldest statement (0/FFF0) proves no gap.
  const auto session = restored_session(start, start + 1s, "max", "0/FFF8", "200:200:");
  const std::string dsn = create_session_database(session.database_name, {});
  run(session.id);
  ASSERT_TRUE(reaches(session.id, session::State::ready)) << sessions_->get(session.id).error;
  const auto value = [&] {
    pg::Connection db(dsn);
    return db.exec("SELECT v FROM t WHERE id = 1").get<std::string>(0, 0);
  };
  EXPECT_EQ(value(), "second");
  sessions_->transition(session.id, session::Transition::start);
  ASSERT_TRUE(reaches(session.id, session::State::ended)) << sessions_->get(session.id).error;
  EXPECT_EQ(value(), "fourth");
}

TEST_F(SessionRunnerTest, PacedReplayAtSpeedTenFollowsTheScheduleAndSendsRtusCallsInOrder) {
  const Time start = at("2026-01-02T10:00:00Z");
  const Time end = start + 8s;
  record("0/100", 0, 50, start - 1h, "INSERT INTO t (id, v) VALUES (100, 'old')");
  const std::string prefix = "/msgop-" + unique_name("rt");
  for (int i = 1; i <= 12; ++i) {
    record(fmt::format("0/{:X}", 0x200 + i * 16), 0, 200 + static_cast<std::uint64_t>(i),
           start + i * 500ms, fmt::format("INSERT INTO t (id, v) VALUES ({}, 'paced')", i));
  }
  for (int i = 1; i <= 3; ++i) {
    record_rtus(start + i * 2s - 250ms, fmt::format("{}/{}", prefix, i), fmt::format("call {}", i));
  }
  record_rtus(end + 1s, prefix + "/after-the-end", "never sent");
  const auto session = restored_session(start, end, "10", "0/100", "150:150:");
  const std::string dsn = create_session_database(session.database_name, {100});
  run(session.id);
  ASSERT_TRUE(reaches(session.id, session::State::ready)) << sessions_->get(session.id).error;

  const auto started = std::chrono::system_clock::now();
  sessions_->transition(session.id, session::Transition::start);
  ASSERT_TRUE(reaches(session.id, session::State::ended)) << sessions_->get(session.id).error;
  const auto took = std::chrono::system_clock::now() - started;
  // 8 s of recording at speed 10: 0.8 s of playing (loose bound: the test machine is loaded).
  EXPECT_GE(took, 750ms);

  const auto rows = applied(dsn);
  ASSERT_EQ(rows.size(), 12u);
  double worst_ms = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].first, static_cast<int>(i + 1)) << "applied out of order";
    // Relative to the first: recorded 500 ms apart, at speed 10 applied 50 ms apart.
    const double expected_ms = static_cast<double>(i) * 50.0;
    const double actual_ms = static_cast<double>(rows[i].second - rows[0].second) / 1000.0;
    worst_ms = std::max(worst_ms, std::abs(actual_ms - expected_ms));
  }
  std::cout << "speed 10: worst timing error relative to the first transaction " << worst_ms
            << " ms\n";
  EXPECT_LT(worst_ms, 500.0);

  const auto calls = rtus_calls("/playback" + prefix);
  ASSERT_EQ(calls.size(), 3u);
  for (std::size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i]["path"], fmt::format("/playback{}/{}", prefix, i + 1));
    EXPECT_EQ(calls[i]["body"], fmt::format("call {}", i + 1));
    EXPECT_EQ(calls[i]["method"], "POST");
  }
  // Call i was recorded at 2i - 0.25 s: at speed 10 it is due 0.2i - 0.025 s after playing
  // began, i.e. between transaction 4i-1 (at 0.2i - 0.05 s) and 4i (at 0.2i s).
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const std::int64_t received = calls[i]["received_at_us"].get<std::int64_t>();
    const auto before = rows[4 * (i + 1) - 2].second;  // transaction 4i-1
    EXPECT_GE(received, before) << "RTUS call " << i + 1 << " came before its transaction";
  }
  const auto record = sessions_->get(session.id);
  EXPECT_EQ(record.progress.statements_applied, 12);
  EXPECT_EQ(record.progress.rtus_calls_sent, 3);
  EXPECT_EQ(session::format_time(*record.progress.playback_time), session::format_time(end));
}

TEST_F(SessionRunnerTest, PauseStopsAtATransactionBoundaryAndResumeShiftsTheClock) {
  const Time start = at("2026-01-03T10:00:00Z");
  const Time end = start + 4s;
  record("0/100", 0, 50, start - 1h, "INSERT INTO t (id, v) VALUES (100, 'old')");
  for (int i = 1; i <= 8; ++i) {
    record(fmt::format("0/{:X}", 0x200 + i * 16), 0, 200 + static_cast<std::uint64_t>(i),
           start + i * 500ms - 250ms, fmt::format("INSERT INTO t (id, v) VALUES ({}, 'paced')", i));
  }
  const auto session = restored_session(start, end, "1", "0/100", "150:150:");
  const std::string dsn = create_session_database(session.database_name, {100});
  run(session.id);
  ASSERT_TRUE(reaches(session.id, session::State::ready)) << sessions_->get(session.id).error;

  sessions_->transition(session.id, session::Transition::start);
  ASSERT_TRUE(eventually([&] { return applied(dsn).size() >= 2; }, 30s));
  sessions_->transition(session.id, session::Transition::pause);
  std::this_thread::sleep_for(700ms);  // the pause reaches msgop (event or 500 ms re-read)
  const auto during = applied(dsn).size();
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(applied(dsn).size(), during) << "transactions were applied while paused";
  EXPECT_LT(during, 8u);
  EXPECT_EQ(state_of(session.id), session::State::paused);

  sessions_->transition(session.id, session::Transition::resume);
  ASSERT_TRUE(reaches(session.id, session::State::ended)) << sessions_->get(session.id).error;
  const auto rows = applied(dsn);
  ASSERT_EQ(rows.size(), 8u);
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i].first, static_cast<int>(i + 1));
  // The pause lies between two transactions: the gap there is at least the pause.
  std::int64_t widest_gap = 0;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    widest_gap = std::max(widest_gap, rows[i].second - rows[i - 1].second);
  }
  EXPECT_GE(widest_gap, 1'500'000);
  // Finishing left the database in place; only `end` drops it.
  EXPECT_TRUE(database_exists(session.database_name));
}

TEST_F(SessionRunnerTest, ARecordingThatStartsAfterTheSnapshotFailsTheSessionNamingTheGap) {
  const Time start = at("2026-01-04T10:00:00Z");
  record("0/500", 0, 300, start - 5s, "INSERT INTO t (id, v) VALUES (1, 'x')");
  const auto session = restored_session(start, start + 10s, "1", "0/400", "290:290:");
  const std::string dsn = create_session_database(session.database_name, {});
  run(session.id);
  ASSERT_TRUE(reaches(session.id, session::State::failed));
  const auto error = sessions_->get(session.id).error;
  EXPECT_NE(error.find("recording gap"), std::string::npos) << error;
  EXPECT_NE(error.find("0/400"), std::string::npos) << error;
  EXPECT_TRUE(ids(dsn).empty()) << "nothing may be applied when the recording has a gap";
}

// A change the recording holds no statement for (transform dead-lettered it) makes every
// session over it inexact: such a session fails naming it; one ending before it plays.
TEST_F(SessionRunnerTest, ADeadLetteredChangeInTheWindowFailsTheSessionNamingIt) {
  const Time start = at("2026-01-04T10:00:00Z");
  record("0/150", 0, 150, start - 9s, "INSERT INTO t (id, v) VALUES (9, 'in the snapshot')");
  record("0/300", 0, 300, start - 5s, "INSERT INTO t (id, v) VALUES (1, 'x')");
  record("0/500", 0, 301, start + 5s, "INSERT INTO t (id, v) VALUES (2, 'y')");
  store_->exec_params(
      "INSERT INTO tapedeck.dead_letters (stream, stream_sequence, subject, raw, reason, "
      "commit_lsn, commit_time) VALUES ('S', 1, 'p.public.t', '{}', $1, '0/600', $2)",
      pg::Params::of("a DDL run in a DO block is not replayed", session::format_time(start + 8s)));

  const auto failing = restored_session(start, start + 10s, "1", "0/200", "290:290:");
  const std::string failing_dsn = create_session_database(failing.database_name, {});
  run(failing.id);
  ASSERT_TRUE(reaches(failing.id, session::State::failed));
  const auto error = sessions_->get(failing.id).error;
  EXPECT_NE(error.find("1 dead-lettered change(s)"), std::string::npos) << error;
  EXPECT_NE(error.find("LSN 0/600"), std::string::npos) << error;
  EXPECT_NE(error.find("a DDL run in a DO block is not replayed"), std::string::npos) << error;
  EXPECT_TRUE(ids(failing_dsn).empty()) << "nothing may be applied to an inexact session";

  const auto before = restored_session(start, start + 7s, "1", "0/200", "290:290:");
  create_session_database(before.database_name, {});
  run(before.id);
  EXPECT_TRUE(reaches(before.id, session::State::ready)) << sessions_->get(before.id).error;
}

TEST_F(SessionRunnerTest, ASessionWaitsVisiblyUntilTheStoredRecordingCoversItsStart) {
  const Time start = at("2026-01-06T10:00:00Z");
  record("0/100", 0, 50, start - 1h, "INSERT INTO t (id, v) VALUES (1, 'old')");
  const auto session =
      restored_session(start, start + 2s, "max", "0/100", "60:60:", /*sealed=*/false);
  seal_recording(start - 10s);  // transform has stored up to ten seconds before the start
  const std::string dsn = create_session_database(session.database_name, {1});
  run(session.id);

  ASSERT_TRUE(
      eventually([&] { return sessions_->get(session.id).progress.waiting_for_recording; }, 30s));
  auto waiting = sessions_->get(session.id);
  EXPECT_EQ(waiting.state, session::State::catching_up);
  ASSERT_TRUE(waiting.progress.recorded_until.has_value());
  EXPECT_EQ(*waiting.progress.recorded_until, start - 10s);
  const auto shown = waiting.to_json();
  EXPECT_EQ(shown.at("waiting_for_recording"), true);
  EXPECT_EQ(shown.at("recorded_until"), session::format_time(start - 10s));
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(state_of(session.id), session::State::catching_up) << "ready before the recording";
  EXPECT_EQ(ids(dsn), std::vector<int>{1});

  // The rest arrives: a transaction committed before the start, stored late.
  record("0/200", 0, 70, start - 1s, "INSERT INTO t (id, v) VALUES (2, 'stored late')");
  seal_recording(start + 5s);
  ASSERT_TRUE(reaches(session.id, session::State::ready)) << sessions_->get(session.id).error;
  EXPECT_EQ(ids(dsn), (std::vector<int>{1, 2}));
  EXPECT_FALSE(sessions_->get(session.id).progress.waiting_for_recording);
}

TEST_F(SessionRunnerTest, PacedReplayNeverFinishesBeforeTheRecordingCoversItsEnd) {
  const Time start = at("2026-01-07T10:00:00Z");
  record("0/100", 0, 50, start - 1h, "INSERT INTO t (id, v) VALUES (1, 'old')");
  const auto session =
      restored_session(start, start + 10s, "max", "0/100", "60:60:", /*sealed=*/false);
  record("0/200", 0, 70, start + 1s, "INSERT INTO t (id, v) VALUES (2, 'early')");
  seal_recording(start + 2s);
  const std::string dsn = create_session_database(session.database_name, {1});
  run(session.id);
  ASSERT_TRUE(reaches(session.id, session::State::ready)) << sessions_->get(session.id).error;
  sessions_->transition(session.id, session::Transition::start);

  ASSERT_TRUE(eventually([&] { return ids(dsn) == std::vector<int>{1, 2}; }, 30s));
  ASSERT_TRUE(
      eventually([&] { return sessions_->get(session.id).progress.waiting_for_recording; }, 30s));
  std::this_thread::sleep_for(1s);
  const auto playing = sessions_->get(session.id);
  EXPECT_EQ(playing.state, session::State::playing) << "finished over a recording not stored";
  ASSERT_TRUE(playing.progress.playback_time.has_value());
  EXPECT_LE(*playing.progress.playback_time, start + 2s) << "reports a moment not yet recorded";

  record("0/300", 0, 80, start + 9s, "INSERT INTO t (id, v) VALUES (3, 'late')");
  seal_recording(start + 20s);
  ASSERT_TRUE(reaches(session.id, session::State::ended)) << sessions_->get(session.id).error;
  EXPECT_EQ(ids(dsn), (std::vector<int>{1, 2, 3}));
}

TEST_F(SessionRunnerTest, ReplayFiresNoTriggerOrForeignKeyActionAndLeavesSequencesPastUsedKeys) {
  const Time start = at("2026-01-08T10:00:00Z");
  record("0/100", 0, 50, start - 1h, "SELECT 1");  // in the snapshot: proves no gap
  const auto session = restored_session(start, start + 5s, "max", "0/100", "60:60:");
  const std::string dsn = create_session_database(session.database_name, {});
  {
    // What the snapshot holds: a touch trigger, an audit trigger writing bigserial keys, a
    // cascade, and a table referencing another (so they truncate together or not at all).
    pg::Connection db(dsn);
    db.exec(R"(
CREATE TABLE plant (id int PRIMARY KEY, name text, updated_at timestamptz);
CREATE TABLE plant_audit (id bigserial PRIMARY KEY, plant int, op text);
CREATE TABLE unit (id int PRIMARY KEY, plant int REFERENCES plant ON DELETE CASCADE);
CREATE TABLE reading (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                      unit int REFERENCES unit ON DELETE CASCADE);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN NEW.updated_at := '1999-01-01'; RETURN NEW; END$$;
CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO plant_audit (plant, op) VALUES (coalesce(NEW.id, OLD.id), TG_OP);
  RETURN NULL; END$$;
CREATE TRIGGER plant_touch BEFORE INSERT OR UPDATE ON plant FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TRIGGER plant_audit AFTER INSERT OR UPDATE OR DELETE ON plant
  FOR EACH ROW EXECUTE FUNCTION audit();)");
  }
  // The recording holds each trigger's and each cascade's effect as it happened live.
  record("0/200", 0, 70, start - 4s,
         "INSERT INTO plant VALUES (1, 'a', '2026-01-08 09:59:56+00'), (2, 'b', "
         "'2026-01-08 09:59:56+00')");
  record("0/200", 1, 70, start - 4s, "INSERT INTO plant_audit VALUES (1, 1, 'INSERT')");
  record("0/200", 2, 70, start - 4s, "INSERT INTO plant_audit VALUES (2, 2, 'INSERT')");
  record("0/200", 3, 70, start - 4s, "INSERT INTO unit VALUES (10, 1), (20, 2)");
  record("0/200", 4, 70, start - 4s,
         "INSERT INTO reading (id, unit) OVERRIDING SYSTEM VALUE VALUES (100, 10), (200, 20)");
  record("0/300", 0, 71, start - 3s, "DELETE FROM plant WHERE id = 1");
  record("0/300", 1, 71, start - 3s, "INSERT INTO plant_audit VALUES (3, 1, 'DELETE')");
  record("0/300", 2, 71, start - 3s, "DELETE FROM unit WHERE id = 10");
  record("0/300", 3, 71, start - 3s, "DELETE FROM reading WHERE id = 100");
  record("0/400", 0, 72, start - 2s, "TRUNCATE ONLY \"public\".\"unit\"");
  record("0/400", 1, 72, start - 2s, "TRUNCATE ONLY \"public\".\"reading\"");
  record("0/500", 0, 73, start - 1s, "INSERT INTO unit VALUES (30, 2)");
  record("0/500", 1, 73, start - 1s,
         "INSERT INTO reading (id, unit) OVERRIDING SYSTEM VALUE VALUES (300, 30)");
  run(session.id);

  ASSERT_TRUE(reaches(session.id, session::State::ready)) << sessions_->get(session.id).error;
  pg::Connection db(dsn);
  const auto rows = [&](const char* query) { return db.exec(query).get<std::string>(0, 0); };
  EXPECT_EQ(rows("SELECT string_agg(t::text, ' ' ORDER BY id) FROM plant t"),
            "(2,b,\"2026-01-08 09:59:56+00\")");
  EXPECT_EQ(rows("SELECT string_agg(t::text, ' ' ORDER BY id) FROM plant_audit t"),
            "(1,1,INSERT) (2,2,INSERT) (3,1,DELETE)");
  EXPECT_EQ(rows("SELECT string_agg(t::text, ' ' ORDER BY id) FROM unit t"), "(30,2)");
  EXPECT_EQ(rows("SELECT string_agg(t::text, ' ' ORDER BY id) FROM reading t"), "(300,30)");
  // The database's own sessions still run its triggers, and its sequences are past every key.
  EXPECT_EQ(rows("INSERT INTO plant_audit (plant, op) VALUES (9, 'user') RETURNING id::text"), "4");
  EXPECT_EQ(rows("INSERT INTO reading (unit) VALUES (30) RETURNING id::text"), "301");
  db.exec("UPDATE plant SET name = 'c' WHERE id = 2");
  EXPECT_EQ(rows("SELECT updated_at::date::text FROM plant WHERE id = 2"), "1999-01-01");
}

TEST_F(SessionRunnerTest, AKilledMsgopIsReportedAsFailedByTheReaper) {
  const Time start = at("2026-01-05T10:00:00Z");
  record("0/100", 0, 50, start - 1h, "INSERT INTO t (id, v) VALUES (100, 'old')");
  for (int i = 1; i <= 20; ++i) {
    record(fmt::format("0/{:X}", 0x200 + i * 16), 0, 200 + static_cast<std::uint64_t>(i),
           start + i * 10s, fmt::format("INSERT INTO t (id, v) VALUES ({}, 'paced')", i));
  }
  const auto session = restored_session(start, start + 300s, "1", "0/100", "150:150:");
  create_session_database(session.database_name, {100});

  const std::string durable = unique_name("msgop-test");
  const RemoveDurableAtExit remove_durable{*nats_, durable};
  tapedeck::testing::ChildProcess msgop({tapedeck::testing::tapedeck_binary(), "msgop"},
                                        {{"TAPEDECK_STORE_DSN", store_dsn_},
                                         {"TAPEDECK_MSGOP_LISTEN", "127.0.0.1:0"},
                                         {"TAPEDECK_MSGOP_DURABLE", durable},
                                         {"TAPEDECK_MSGOP_PROGRESS_INTERVAL", "200ms"}});
  publish_restore_ok(session);
  ASSERT_TRUE(reaches(session.id, session::State::ready)) << sessions_->get(session.id).error;
  EXPECT_NE(sessions_->get(session.id).worker.find("msgop@"), std::string::npos);
  sessions_->transition(session.id, session::Transition::start);
  ASSERT_TRUE(eventually([&] { return sessions_->get(session.id).heartbeat_at.has_value(); }, 30s));

  msgop.kill_now();
  // replaymgr's reaper: a session whose worker stopped reporting for 2 s is failed.
  ASSERT_TRUE(eventually([&] { return !sessions_->fail_stale(2s).empty(); }, 30s));
  const auto record = sessions_->get(session.id);
  EXPECT_EQ(record.state, session::State::failed);
  EXPECT_NE(record.error.find("stopped reporting"), std::string::npos) << record.error;
}

// Two msgop copies, the one playing a session killed: the other sees the session stop reporting
// with its lock free and hands it back to dbop, as a seek with a restore to where it was playing
// (before replaymgr would fail it); once restored it is taken again and plays on to exactly
// the recorded state.
TEST_F(SessionRunnerTest, AKilledMsgopsSessionIsHandedBackToDbopFromWhereItWasAndPlaysOnExactly) {
  const Time start = at("2026-01-06T10:00:00Z");
  record("0/100", 0, 50, start - 1h, "INSERT INTO t (id, v) VALUES (100, 'old')");
  for (int i = 1; i <= 10; ++i) {
    record(fmt::format("0/{:X}", 0x200 + i * 16), 0, 200 + static_cast<std::uint64_t>(i),
           start + i * 1s, fmt::format("INSERT INTO t (id, v) VALUES ({}, 'paced')", i));
  }
  const auto session = restored_session(start, start + 60s, "1", "0/100", "150:150:");
  const std::string dsn = create_session_database(session.database_name, {100});

  const std::string durable = unique_name("msgop-test");
  const RemoveDurableAtExit remove_durable{*nats_, durable};
  auto msgops = start_msgops(2, durable);
  nats::JetStream jetstream(*nats_);
  const std::string inits_durable = unique_name("inits");
  const RemoveDurableAtExit remove_inits{*nats_, inits_durable};
  nats::PullConsumer inits(jetstream, "TAPEDECK_EVENTS", inits_durable,
                           session::subject(session.id, "init"));
  publish_restore_ok(session);
  ASSERT_TRUE(reaches(session.id, session::State::ready)) << sessions_->get(session.id).error;
  sessions_->transition(session.id, session::Transition::start);
  ASSERT_TRUE(eventually([&] { return ids(dsn).size() >= 4; }, 30s));

  const auto holder = sessions_->get(session.id).worker;
  const std::size_t killed = tapedeck::testing::index_of_worker(msgops, holder);
  ASSERT_LT(killed, msgops.size()) << holder;
  msgops[killed]->kill_now();
  const auto killed_at = std::chrono::steady_clock::now();

  session::Record row;
  ASSERT_TRUE(eventually(
      [&] {
        row = sessions_->get(session.id);
        return row.state == session::State::seeking && row.seek && row.seek->restore == "requested";
      },
      30s))
      << session::to_string(row.state) << " " << row.error;
  const double handed_back =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  EXPECT_LT(handed_back, 10.0) << "replaymgr.worker_timeout would have failed the session first";
  EXPECT_EQ(row.seek->resume_state, session::State::playing);
  EXPECT_GT(row.restore_target(), start);
  EXPECT_FALSE(row.heartbeat_at.has_value());
  ASSERT_TRUE(receives_a_message(inits));

  // dbop's part: the snapshot into a fresh database, then restore.ok.
  ASSERT_TRUE(sessions_->begin_seek_restore(session.id, "dbop@test"));
  admin_->exec("DROP DATABASE " + sql::quote_identifier(session.database_name) + " WITH (FORCE)");
  create_session_database(session.database_name, {100});
  sessions_->seek_restored(session.id, {1, "0/100", "150:150:"});
  publish_restore_ok(session, session.id + ".restore.ok.again");
  ASSERT_TRUE(eventually(
      [&] { return ids(dsn) == std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100}; }, 60s))
      << session::to_string(state_of(session.id)) << " " << sessions_->get(session.id).error;
  EXPECT_EQ(state_of(session.id), session::State::playing);
  EXPECT_NE(sessions_->get(session.id).worker, holder);
  std::printf("a killed msgop's session handed back to dbop %.1f s after the kill\n", handed_back);
  sessions_->transition(session.id, session::Transition::end);
}

// Two msgop copies, the one catching a session up killed halfway: the other hands the session
// back to dbop to be restored and caught up again from the start (its database holds part of a
// catch-up); the second catch-up reaches exactly the recorded state.
TEST_F(SessionRunnerTest, AMsgopKilledDuringCatchUpHasTheSessionRestoredAndCaughtUpAgain) {
  const Time start = at("2026-01-07T10:00:00Z");
  record("0/100", 0, 50, start - 2h, "INSERT INTO t (id, v) VALUES (100, 'old')");
  // 150,000 one-statement transactions before the start: a catch-up of some seconds.
  constexpr int kStatements = 150'000;
  store_->exec_params(
      "INSERT INTO tapedeck.statements (event_id, commit_lsn, position, xid, commit_time, "
      "schema_name, table_name, op, sql) SELECT 'bulk-' || g, ('0/' || to_hex(4096 + g * 16))::"
      "pg_lsn, 0, (1000 + g)::text::xid8, $1::timestamptz + g * interval '1 millisecond', "
      "'public', 't', 'c', format('INSERT INTO t (id, v) VALUES (%s, ''caught'')', 1000 + g) "
      "FROM generate_series(1, $2::int) g",
      pg::Params::of(session::format_time(start - 1h), kStatements));
  const auto session = restored_session(start, std::nullopt, "1", "0/100", "150:150:");
  const std::string dsn = create_session_database(session.database_name, {100});

  const std::string durable = unique_name("msgop-test");
  const RemoveDurableAtExit remove_durable{*nats_, durable};
  auto msgops = start_msgops(2, durable, {{"TAPEDECK_MSGOP_BATCH_STATEMENTS", "2000"}});
  nats::JetStream jetstream(*nats_);
  const std::string inits_durable = unique_name("inits");
  const RemoveDurableAtExit remove_inits{*nats_, inits_durable};
  nats::PullConsumer inits(jetstream, "TAPEDECK_EVENTS", inits_durable,
                           session::subject(session.id, "init"));
  publish_restore_ok(session);
  session::Record row;
  ASSERT_TRUE(eventually(
      [&] {
        row = sessions_->get(session.id);
        return row.state == session::State::catching_up && row.progress.phase &&
               row.progress.phase->done > 1000;
      },
      60s))
      << session::to_string(row.state) << " " << row.error;
  ASSERT_LT(row.progress.phase->done, kStatements) << "catch-up ended before the kill";

  const auto holder = row.worker;
  const std::size_t killed = tapedeck::testing::index_of_worker(msgops, holder);
  ASSERT_LT(killed, msgops.size()) << holder;
  msgops[killed]->kill_now();
  ASSERT_TRUE(eventually(
      [&] {
        row = sessions_->get(session.id);
        return row.state == session::State::initializing;
      },
      30s))
      << session::to_string(row.state) << " " << row.error;
  EXPECT_FALSE(row.backup);
  ASSERT_TRUE(receives_a_message(inits));

  // dbop's part: the snapshot into a fresh database, then restore.ok.
  sessions_->transition(session.id, session::Transition::restore_begin,
                        session::TransitionDetails::by("dbop@test"));
  admin_->exec("DROP DATABASE " + sql::quote_identifier(session.database_name) + " WITH (FORCE)");
  create_session_database(session.database_name, {100});
  sessions_->transition(session.id, session::Transition::restore_ok,
                        session::TransitionDetails::restored({1, "0/100", "150:150:"}));
  publish_restore_ok(session, session.id + ".restore.ok.again");
  ASSERT_TRUE(reaches(session.id, session::State::ready, 120s))
      << session::to_string(state_of(session.id)) << " " << sessions_->get(session.id).error;
  pg::Connection db(dsn);
  EXPECT_EQ(db.exec("SELECT count(*) FROM t").get<std::int64_t>(0, 0), kStatements + 1);
  EXPECT_EQ(db.exec("SELECT count(*) FROM t WHERE v = 'caught'").get<std::int64_t>(0, 0),
            kStatements);
  EXPECT_NE(sessions_->get(session.id).worker, holder);
  sessions_->transition(session.id, session::Transition::end);
}

// A lost restore.ok only delays a session: msgop finds a restored session no msgop took in the
// sessions table and takes it.
TEST_F(SessionRunnerTest, ARestoredSessionWhoseRestoreOkWasLostIsTakenFromTheSessionsTable) {
  const Time start = at("2026-01-05T10:00:00Z");
  record("0/100", 0, 50, start - 1h, "INSERT INTO t (id, v) VALUES (100, 'old')");
  record("0/200", 0, 200, start - 1s, "INSERT INTO t (id, v) VALUES (1, 'caught')");
  seal_recording(start + 1s);
  session::NewSession created;
  created.name = "msgop-test";
  created.start = start;
  created.speed = session::Speed::parse("1");
  created.database_template = "msgop_test_<id>";
  const auto session = sessions_->create(created);
  sessions_->transition(session.id, session::Transition::restore_begin,
                        session::TransitionDetails::by(session::worker_name("dbop")));
  sessions_->transition(session.id, session::Transition::restore_ok,
                        session::TransitionDetails::restored({1, "0/100", "150:150:"}));
  const std::string dsn = create_session_database(session.database_name, {100});

  const std::string durable = unique_name("msgop-test");
  tapedeck::testing::ChildProcess msgop({tapedeck::testing::tapedeck_binary(), "msgop"},
                                        {{"TAPEDECK_STORE_DSN", store_dsn_},
                                         {"TAPEDECK_MSGOP_LISTEN", "127.0.0.1:0"},
                                         {"TAPEDECK_MSGOP_DURABLE", durable}});
  ASSERT_TRUE(reaches(session.id, session::State::ready)) << sessions_->get(session.id).error;
  EXPECT_EQ(sessions_->get(session.id).worker.rfind("msgop@", 0), 0u);
  EXPECT_EQ(ids(dsn), (std::vector<int>{1, 100}));
  sessions_->transition(session.id, session::Transition::end);
  nats::JetStream jetstream(*nats_);
  nats::PullConsumer::remove(jetstream, "TAPEDECK_EVENTS", durable);
}

// --- the transport: point-in-time sessions, speed, step, seek ------------------------------

TEST_F(SessionRunnerTest, APointInTimeSessionStaysReadyAtItsStartThenFollowsTheRecording) {
  const Time start = at("2026-01-05T10:00:00Z");
  record("0/100", 0, 50, start - 1h, "INSERT INTO t (id, v) VALUES (100, 'old')");
  record("0/200", 0, 200, start - 1s, "INSERT INTO t (id, v) VALUES (1, 'caught')");
  record("0/300", 0, 201, start + 1s, "INSERT INTO t (id, v) VALUES (2, 'later')");
  const auto session = restored_session(start, std::nullopt, "max", "0/100", "150:150:");
  const std::string dsn = create_session_database(session.database_name, {100});
  run(session.id);
  ASSERT_TRUE(reaches(session.id, session::State::ready)) << sessions_->get(session.id).error;
  EXPECT_EQ(ids(dsn), (std::vector<int>{1, 100}));
  // The phase progress: ready at the start, which is the moment reached.
  ASSERT_TRUE(eventually(
      [&] {
        const auto phase = sessions_->get(session.id).progress.phase;
        return phase && phase->phase == "ready";
      },
      10s));
  const auto ready = sessions_->get(session.id);
  EXPECT_FALSE(ready.end);
  EXPECT_EQ(ready.progress.phase->moment_reached, start);
  EXPECT_EQ(ready.progress.phase->unit, "seconds");
  EXPECT_FALSE(ready.progress.phase->total);  // no end: no window to count toward
  EXPECT_EQ(ready.to_json()["end"], nullptr);
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(ids(dsn), (std::vector<int>{1, 100}));  // stays at its start until started

  // Started, it follows the recording as it grows.
  sessions_->transition(session.id, session::Transition::start);
  seal_recording(start + 3s);
  ASSERT_TRUE(eventually([&] { return ids(dsn) == std::vector<int>{1, 2, 100}; }, 20s));
  record("0/400", 0, 202, start + 5s, "INSERT INTO t (id, v) VALUES (3, 'recorded later')");
  seal_recording(start + 6s);
  ASSERT_TRUE(eventually([&] { return ids(dsn) == std::vector<int>{1, 2, 3, 100}; }, 20s));
  EXPECT_EQ(state_of(session.id), session::State::playing);
  sessions_->transition(session.id, session::Transition::end);
  ASSERT_TRUE(reaches(session.id, session::State::ended));
}

TEST_F(SessionRunnerTest, ASpeedChangeWhilePlayingTakesEffectWithoutAJumpInPlaybackTime) {
  const Time start = at("2026-01-06T10:00:00Z");
  record("0/100", 0, 50, start - 1h, "INSERT INTO t (id, v) VALUES (100, 'old')");
  record("0/200", 0, 200, start + 1s, "INSERT INTO t (id, v) VALUES (1, 'at 1s')");
  record("0/300", 0, 201, start + 21s, "INSERT INTO t (id, v) VALUES (2, 'at 21s')");
  const auto session = restored_session(start, start + 30s, "1", "0/100", "150:150:");
  const std::string dsn = create_session_database(session.database_name, {100});
  run(session.id);
  ASSERT_TRUE(reaches(session.id, session::State::ready)) << sessions_->get(session.id).error;
  sessions_->transition(session.id, session::Transition::start);
  ASSERT_TRUE(eventually([&] { return applied(dsn).size() == 1; }, 10s));
  const auto first_applied = applied(dsn)[0].second;  // playback time 1 s then
  std::this_thread::sleep_for(500ms);
  const auto changed_at = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  sessions_->set_speed(session.id, session::Speed::parse("10"));
  // The change is seen within a poll interval (500 ms); playback time is about 1.5..2 s then,
  // so the transaction at 21 s is due (21 - ~1.75) / 10 ≈ 1.9 s after the change. A jump
  // (restarting from the start at the new speed, or multiplying the time played) would apply
  // it at once.
  ASSERT_TRUE(eventually([&] { return applied(dsn).size() == 2; }, 10s));
  const auto second_applied = applied(dsn)[1].second;
  const double after_change_s = static_cast<double>(second_applied - changed_at) / 1e6;
  const double played_before_s = static_cast<double>(changed_at - first_applied) / 1e6 + 1.0;
  std::cout << "speed 1 -> 10 at playback " << played_before_s << " s: the 21 s transaction came "
            << after_change_s << " s after the change\n";
  EXPECT_GT(after_change_s, (21.0 - played_before_s - 0.5) / 10.0 - 0.1);
  EXPECT_LT(after_change_s, (21.0 - played_before_s) / 10.0 + 1.0);
  EXPECT_EQ(sessions_->get(session.id).speed.str(), "10");
  sessions_->transition(session.id, session::Transition::end);
  ASSERT_TRUE(reaches(session.id, session::State::ended));
}

TEST_F(SessionRunnerTest, StepAppliesExactlyTheNextNTransactionsAndStaysPaused) {
  const Time start = at("2026-01-07T10:00:00Z");
  record("0/100", 0, 50, start - 1h, "INSERT INTO t (id, v) VALUES (100, 'old')");
  for (int i = 1; i <= 5; ++i) {
    const auto lsn = fmt::format("0/{:X}", 0x200 + i * 16);
    record(lsn, 0, 200 + static_cast<std::uint64_t>(i), start + 30s + i * 1s,
           fmt::format("INSERT INTO t (id, v) VALUES ({}, 'stepped')", i));
    record(lsn, 1, 200 + static_cast<std::uint64_t>(i), start + 30s + i * 1s,
           fmt::format("UPDATE t SET v = 'whole' WHERE id = {}", i));
  }
  const auto session = restored_session(start, start + 60s, "1", "0/100", "150:150:");
  const std::string dsn = create_session_database(session.database_name, {100});
  run(session.id);
  ASSERT_TRUE(reaches(session.id, session::State::ready)) << sessions_->get(session.id).error;
  sessions_->transition(session.id, session::Transition::start);
  sessions_->transition(session.id, session::Transition::pause);

  sessions_->request_steps(session.id, 2);
  ASSERT_TRUE(eventually([&] { return sessions_->get(session.id).steps_pending == 0; }, 10s));
  EXPECT_EQ(ids(dsn), (std::vector<int>{1, 2, 100}));
  ASSERT_TRUE(eventually(
      [&] { return sessions_->get(session.id).progress.playback_time == start + 32s; }, 5s))
      << "the moment reached is the second transaction's commit";
  EXPECT_EQ(state_of(session.id), session::State::paused);
  std::this_thread::sleep_for(700ms);
  EXPECT_EQ(ids(dsn), (std::vector<int>{1, 2, 100}));  // and stays paused

  sessions_->request_steps(session.id, 1);
  ASSERT_TRUE(eventually([&] { return sessions_->get(session.id).steps_pending == 0; }, 10s));
  EXPECT_EQ(ids(dsn), (std::vector<int>{1, 2, 3, 100}));
  pg::Connection db(dsn);
  EXPECT_EQ(db.exec("SELECT count(*) FROM t WHERE v = 'whole'").get<std::int64_t>(0, 0), 3);
  sessions_->transition(session.id, session::Transition::end);
  ASSERT_TRUE(reaches(session.id, session::State::ended));
}

TEST_F(SessionRunnerTest, SeekForwardAppliesUpToTheTargetAndReturnsToTheStateItWasIn) {
  const Time start = at("2026-01-08T10:00:00Z");
  record("0/100", 0, 50, start - 1h, "INSERT INTO t (id, v) VALUES (100, 'old')");
  record("0/200", 0, 200, start + 1s, "INSERT INTO t (id, v) VALUES (1, 'played')");
  record("0/300", 0, 201, start + 100s, "INSERT INTO t (id, v) VALUES (2, 'sought over')");
  record("0/400", 0, 202, start + 200s, "INSERT INTO t (id, v) VALUES (3, 'at the target')");
  record("0/500", 0, 203, start + 201s, "INSERT INTO t (id, v) VALUES (4, 'after the target')");
  record("0/600", 0, 204, start + 290s, "INSERT INTO t (id, v) VALUES (5, 'paused before')");
  const auto session = restored_session(start, start + 300s, "1", "0/100", "150:150:");
  const std::string dsn = create_session_database(session.database_name, {100});
  run(session.id);
  ASSERT_TRUE(reaches(session.id, session::State::ready)) << sessions_->get(session.id).error;
  sessions_->transition(session.id, session::Transition::start);
  ASSERT_TRUE(eventually([&] { return ids(dsn) == std::vector<int>{1, 100}; }, 10s));

  // Playing: seek to 200 s applies 2 and 3 (committed at the target), not 4, and plays on.
  const auto sought = sessions_->seek(session.id, start + 200s);
  EXPECT_EQ(sought.state, session::State::seeking);
  ASSERT_TRUE(reaches(session.id, session::State::playing, 20s))
      << sessions_->get(session.id).error;
  EXPECT_FALSE(sessions_->get(session.id).seek);
  const auto after_seek = ids(dsn);
  EXPECT_TRUE(after_seek == (std::vector<int>{1, 2, 3, 100}) ||
              after_seek == (std::vector<int>{1, 2, 3, 4, 100}))
      << "4 is due a second after the target";
  ASSERT_TRUE(eventually([&] { return ids(dsn) == std::vector<int>{1, 2, 3, 4, 100}; }, 10s));
  const auto playback = sessions_->get(session.id).progress.playback_time;
  ASSERT_TRUE(playback);
  EXPECT_GE(*playback, start + 200s);
  EXPECT_LT(*playback, start + 240s);

  // Paused: a seek forward stays paused at the target.
  sessions_->transition(session.id, session::Transition::pause);
  sessions_->seek(session.id, start + 295s);
  ASSERT_TRUE(eventually(
      [&] {
        const auto row = sessions_->get(session.id);
        return row.state == session::State::paused && !row.seek;
      },
      20s));
  EXPECT_EQ(ids(dsn), (std::vector<int>{1, 2, 3, 4, 5, 100}));
  ASSERT_TRUE(eventually(
      [&] { return sessions_->get(session.id).progress.playback_time == start + 295s; }, 5s));
  sessions_->transition(session.id, session::Transition::end);
  ASSERT_TRUE(reaches(session.id, session::State::ended));
}

// A seek forward prepares its statements by shape; a column's type changed by a step between
// two seeks (and by a DDL inside the second) must not leave a statement prepared for the old
// type behind.
TEST_F(SessionRunnerTest, SeeksForwardAcrossColumnTypeChangesArriveAtTheRecordedValues) {
  const Time start = at("2026-01-08T12:00:00Z");
  const std::string to_int =
      "SELECT pg_catalog.set_config('search_path', 'public', true);\n"
      "ALTER TABLE t ALTER COLUMN v DROP DEFAULT, ALTER COLUMN v TYPE int USING v::int";
  const std::string to_text =
      "SELECT pg_catalog.set_config('search_path', 'public', true);\n"
      "ALTER TABLE t ALTER COLUMN v TYPE text";
  record("0/100", 0, 50, start - 1h, "INSERT INTO t (id, v) VALUES (100, '0100')");
  record("0/200", 0, 200, start + 50s, "UPDATE t SET v = '0005' WHERE id = 100");
  record("0/210", 0, 201, start + 60s, "INSERT INTO t (id, v) VALUES (1, '0001')");
  record("0/300", 0, 202, start + 150s, to_int);
  record("0/400", 0, 203, start + 200s, "UPDATE t SET v = '0006' WHERE id = 100");
  record("0/410", 0, 204, start + 210s, "INSERT INTO t (id, v) VALUES (2, '0007')");
  record("0/420", 0, 205, start + 220s, to_text);
  record("0/430", 0, 206, start + 230s, "UPDATE t SET v = '0008' WHERE id = 1");
  const auto session = restored_session(start, start + 300s, "1", "0/100", "150:150:");
  const std::string dsn = create_session_database(session.database_name, {});
  pg::Connection(dsn).exec("INSERT INTO t (id, v) VALUES (100, '0100')");
  run(session.id);
  ASSERT_TRUE(reaches(session.id, session::State::ready)) << sessions_->get(session.id).error;
  sessions_->transition(session.id, session::Transition::start);
  sessions_->transition(session.id, session::Transition::pause);
  const auto values = [&] {
    pg::Connection db(dsn);
    return db.exec("SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM t")
        .get<std::string>(0, 0);
  };
  const auto paused_at = [&](Time moment) {
    return eventually(
        [&] {
          const auto row = sessions_->get(session.id);
          return row.state == session::State::paused && !row.seek &&
                 row.progress.playback_time == moment;
        },
        20s);
  };

  sessions_->seek(session.id, start + 100s);
  ASSERT_TRUE(paused_at(start + 100s)) << sessions_->get(session.id).error;
  EXPECT_EQ(values(), "1:0001,100:0005");
  sessions_->request_steps(session.id, 1);  // the column becomes an integer
  ASSERT_TRUE(paused_at(start + 150s)) << sessions_->get(session.id).error;
  EXPECT_EQ(values(), "1:1,100:5");

  sessions_->seek(session.id, start + 250s);
  ASSERT_TRUE(paused_at(start + 250s)) << sessions_->get(session.id).error;
  EXPECT_EQ(values(), "1:0008,2:7,100:6");
  pg::Connection db(dsn);
  EXPECT_EQ(db.exec("SELECT data_type FROM information_schema.columns WHERE table_name = 't' "
                    "AND column_name = 'v'")
                .get<std::string>(0, 0),
            "text");
  sessions_->transition(session.id, session::Transition::end);
  ASSERT_TRUE(reaches(session.id, session::State::ended));
}

TEST_F(SessionRunnerTest, SeekBackHandsTheSessionToDbopThroughTheInitPath) {
  const Time start = at("2026-01-09T10:00:00Z");
  record("0/100", 0, 50, start - 1h, "INSERT INTO t (id, v) VALUES (100, 'old')");
  record("0/200", 0, 200, start + 1s, "INSERT INTO t (id, v) VALUES (1, 'played')");
  const auto session = restored_session(start, start + 100s, "1", "0/100", "150:150:");
  const std::string dsn = create_session_database(session.database_name, {100});
  nats::JetStream jetstream(*nats_);
  const auto durable = unique_name("seek-test");
  nats::PullConsumer inits(jetstream, "TAPEDECK_EVENTS", durable,
                           session::subject(session.id, "init"));
  run(session.id);
  ASSERT_TRUE(reaches(session.id, session::State::ready)) << sessions_->get(session.id).error;
  sessions_->transition(session.id, session::Transition::start);
  ASSERT_TRUE(eventually([&] { return ids(dsn) == std::vector<int>{1, 100}; }, 10s));
  sessions_->transition(session.id, session::Transition::pause);

  sessions_->seek(session.id, start - 30min);
  ASSERT_TRUE(eventually(
      [&] {
        const auto row = sessions_->get(session.id);
        return row.seek && row.seek->restore == "requested";
      },
      10s));
  const auto row = sessions_->get(session.id);
  EXPECT_EQ(row.state, session::State::seeking);
  EXPECT_EQ(row.seek->resume_state, session::State::paused);
  EXPECT_EQ(row.restore_target(), start - 30min);
  // The init event dbop takes, and the runner let go of the session (its lock is free).
  ASSERT_TRUE(receives_a_message(inits));
  EXPECT_TRUE(eventually(
      [&] {
        pg::Connection probe(store_dsn_);
        return probe
            .exec_params(
                "SELECT pg_try_advisory_lock(hashtextextended('tapedeck.msgop.' || $1, 0))",
                pg::Params::of(session.id))
            .get<bool>(0, 0);
      },
      10s));
  // Not restored yet: a msgop does not claim it.
  EXPECT_FALSE(claim_session(settings(), session.id).has_value());
  nats::PullConsumer::remove(jetstream, "TAPEDECK_EVENTS", durable);
}

}  // namespace
}  // namespace tapedeck::msgop::testing
