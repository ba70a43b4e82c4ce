// The `tapedeck transform` binary against the real stack, fed messages published straight to
// its stream: dead letters, crash recovery, the watermark, RTUS calls and `statements`.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "core/nats/consumer.hpp"
#include "core/nats/jetstream.hpp"
#include "core/pg/params.hpp"
#include "core/rtus_call.hpp"
#include "core/schema/live_schema.hpp"
#include "support/private_postgres.hpp"
#include "transform_fixture.hpp"

namespace tapedeck::transform::testing {

using tapedeck::testing::PrivatePostgres;
namespace {

using namespace std::chrono_literals;

constexpr const char* kItems =
    "CREATE TABLE items (id bigint PRIMARY KEY, v text, price numeric(10,2), amount numeric)";

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

class TransformServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    live_.emplace("tdtr_live");
    store_.emplace("tdtr_store");
    pg::Connection live(live_->dsn());
    live.exec(kItems);
    stream_.create_stream();
    env_ = stream_.env(live_->dsn(), store_->dsn());
    log_ = temp_file("tdtr_transform") + ".log";
  }

  void TearDown() override {
    if (!HasFailure()) {
      std::filesystem::remove(log_);
    } else {
      std::printf("transform log: %s\n", log_.c_str());
    }
  }

  std::unique_ptr<ChildProcess> start_transform() {
    return std::make_unique<ChildProcess>(std::vector<std::string>{tapedeck_binary(), "transform"},
                                          env_, log_);
  }

  void publish(const CaptureEvent& event) {
    nats::Headers headers = event.headers;
    stream_.js().publish(event.subject, event.data, headers, event.msg_id);
  }
  void publish_raw(const std::string& subject, const std::string& data) {
    stream_.js().publish(subject, data);
  }
  void publish_end(Lsn commit_lsn, std::uint32_t xid, int events, int position) {
    const std::string data = fmt::format(
        R"({{"status":"END","id":"{}:{}","ts_ms":1700000000000,"event_count":{},)"
        R"("data_collections":[{{"data_collection":"public.items","event_count":{}}}]}})",
        xid, commit_lsn.value, events, events);
    stream_.js().publish(stream_.prefix() + ".transaction", data,
                         {{"Tapedeck-Commit-Lsn", commit_lsn.str()}},
                         fmt::format("{}:{}", commit_lsn.str(), position));
  }
  void publish_begin(Lsn commit_lsn, std::uint32_t xid) {
    const std::string data =
        fmt::format(R"({{"status":"BEGIN","id":"{}:{}","ts_ms":1700000000000,"event_count":null,)"
                    R"("data_collections":null}})",
                    xid, commit_lsn.value);
    stream_.js().publish(stream_.prefix() + ".transaction", data,
                         {{"Tapedeck-Commit-Lsn", commit_lsn.str()}},
                         fmt::format("{}:0", commit_lsn.str()));
  }

  // BEGIN, one insert of row `id` at position 1, END.
  void publish_one_row_transaction(Lsn commit_lsn, std::uint32_t xid, std::int64_t id,
                                   const std::string& v) {
    publish_begin(commit_lsn, xid);
    publish(capture_insert(stream_.prefix(), "public", "items", commit_lsn, 1, xid, id, v));
    publish_end(commit_lsn, xid, 1, 2);
  }

  std::int64_t store_count(const std::string& sql) {
    try {
      pg::Connection store(store_->dsn());
      return query_int(store, sql);
    } catch (const std::exception&) {
      return -1;  // not migrated yet
    }
  }

  std::string statements(const std::string& arguments, int* status = nullptr) {
    std::string output;
    const int rc = run_shell(env_prefix(env_) + shell_quote(tapedeck_binary()) + " statements " +
                                 arguments + " 2>/dev/null",
                             &output);
    if (status) *status = rc;
    return output;
  }

  std::string subject() const { return stream_.prefix() + ".public.items"; }

  // Whether this stream's watermark row satisfies `comparison` ("=", "<", ">=") with `lsn`.
  bool watermark_is(const std::string& comparison, Lsn lsn) {
    return store_count(fmt::format(
               "SELECT count(*) FROM tapedeck.watermarks WHERE name = '{}' AND lsn {} '{}'",
               stream_.stream(), comparison, lsn.str())) == 1;
  }

  std::optional<ScratchDatabase> live_;
  std::optional<ScratchDatabase> store_;
  StreamFixture stream_;
  std::map<std::string, std::string> env_;
  std::string log_;
};

TEST_F(TransformServiceTest, MalformedMessagesAreDeadLetteredWithReasonsAndTheStreamContinues) {
  env_["TAPEDECK_TRANSFORM_MAX_MESSAGE_BYTES"] = "2048";
  // Debezium's precise mode, where a schemaless decimal has no scale (tapedeck's default is
  // string).
  env_["TAPEDECK_CAPTURE_DECIMAL_HANDLING_MODE"] = "precise";
  publish(capture_insert(stream_.prefix(), "public", "items", Lsn{0x1000100}, 1, 700, 1, "before"));
  const std::string source =
      R"("source":{"version":"2.5.0.Final","connector":"postgresql","name":"x","ts_ms":1700000000000,)"
      R"("snapshot":"false","db":"live","schema":"public","table":"items","txId":701,"lsn":5000})";
  struct Bad {
    std::string data;
    std::string reason_contains;
  };
  const std::vector<Bad> bad = {
      {R"({"before":null,"after":{"id":1,"v":"trunc)", "malformed JSON"},  // truncated
      {R"({"before":null,"after":{"id":"abc","v":"x"},)" + source + R"(,"op":"c","ts_ms":1})",
       "column \"id\""},  // wrong type for a bigint
      {R"({"before":null,"after":{"id":2,"v":"x"},)" + source + R"(,"op":"x","ts_ms":1})",
       "unknown op"},
      {R"({"before":null,"after":{"id":3,"v":"x"},"op":"c","ts_ms":1})", "source is missing"},
      {R"({"before":null,"after":{"id":4,"v":")" + std::string(4000, 'h') + R"("},)" + source +
           R"(,"op":"c","ts_ms":1})",
       "max_message_bytes"},
      {R"({"before":null,"after":{"id":5,"v":"x","amount":"AeI="},)" + source +
           R"(,"op":"c","ts_ms":1})",
       "decimal.handling.mode"},  // precise decimal, no schema, no declared scale
  };
  for (const auto& message : bad) publish_raw(subject(), message.data);
  publish(capture_insert(stream_.prefix(), "public", "items", Lsn{0x1000200}, 1, 702, 6, "after"));
  // From capture, so its place in the recording is known: sessions over it must fail.
  auto placed = capture_insert(stream_.prefix(), "public", "items", Lsn{0x1000300}, 1, 703, 7, "x",
                               1'700'000'000'123'456);
  placed.data.replace(placed.data.find(R"("id":7)"), 6, R"("id":"abc")");
  publish(placed);

  auto transform = start_transform();
  ASSERT_TRUE(eventually(
      [&] { return store_count("SELECT count(*) FROM tapedeck.statements") == 2; }, 60s));
  ASSERT_TRUE(eventually(
      [&] { return store_count("SELECT count(*) FROM tapedeck.dead_letters") == 7; }, 30s));
  pg::Connection store(store_->dsn());
  EXPECT_EQ(query_text(store,
                       "SELECT string_agg(coalesce(commit_lsn::text, '-') || ' ' || "
                       "coalesce((extract(epoch FROM commit_time) * 1000000)::int8::text, '-'), "
                       "' | ' ORDER BY stream_sequence) FROM tapedeck.dead_letters "
                       "WHERE commit_lsn IS NULL OR commit_lsn = '0/1000300'"),
            "- - | - - | - - | - - | 0/1000300 1700000000123456")
      << "unparsed messages have no place; a capture event's is its id's and its source's";
  const auto rows = store.exec(
      "SELECT stream, subject, reason, length(raw) FROM tapedeck.dead_letters ORDER BY "
      "stream_sequence LIMIT 6");
  ASSERT_EQ(rows.rows(), 6);
  for (int row = 0; row < rows.rows(); ++row) {
    const std::string reason(rows.text(row, 2));
    std::printf("dead letter %d: %s\n", row, reason.c_str());
    EXPECT_EQ(rows.text(row, 0), stream_.stream());
    EXPECT_EQ(rows.text(row, 1), subject());
    EXPECT_EQ(std::stoul(std::string(rows.text(row, 3))),
              bad[static_cast<std::size_t>(row)].data.size())
        << "the raw message is kept whole";
    EXPECT_GE(reason.size(), 10u);
    EXPECT_NE(reason.find(bad[static_cast<std::size_t>(row)].reason_contains), std::string::npos)
        << "reason of dead letter " << row << ": " << reason;
  }
  EXPECT_EQ(
      query_text(store,
                 "SELECT string_agg(sql, ' | ' ORDER BY commit_lsn) FROM tapedeck.statements"),
      "INSERT INTO \"public\".\"items\" (\"id\", \"v\") VALUES (1, 'before') | "
      "INSERT INTO \"public\".\"items\" (\"id\", \"v\") VALUES (6, 'after')");
  EXPECT_TRUE(transform->running()) << "bad input never stops the service";
  EXPECT_EQ(transform->stop(), 0);

  int status = -1;
  const std::string stats = statements("stats", &status);
  EXPECT_EQ(status, 0);
  EXPECT_NE(stats.find("statements: 2 in 2 transactions"), std::string::npos) << stats;
  EXPECT_NE(stats.find("dead letters: 7"), std::string::npos) << stats;
  EXPECT_NE(stats.find("public.items c 2"), std::string::npos) << stats;
}

TEST_F(TransformServiceTest, KilledMidStreamAndRestartedItStoresEveryEventExactlyOnce) {
  constexpr int kTransactions = 5000;
  constexpr int kPerTransaction = 10;
  constexpr int kEvents = kTransactions * kPerTransaction;
  {
    nats::AsyncPublisher publisher(stream_.js().connection());
    std::int64_t id = 0;
    for (int tx = 0; tx < kTransactions; ++tx) {
      const Lsn commit{0x2000000ull + static_cast<std::uint64_t>(tx) * 0x1000};
      const auto xid = static_cast<std::uint32_t>(1000 + tx);
      for (int position = 1; position <= kPerTransaction; ++position) {
        const auto event =
            capture_insert(stream_.prefix(), "public", "items", commit, position, xid, ++id, "row");
        publisher.publish(event.subject, event.data, event.headers, event.msg_id);
      }
    }
    ASSERT_TRUE(publisher.wait_all(120s).empty());
  }

  // What the killed process had fetched comes back after ack_wait (the default, 3 s).
  auto transform = start_transform();
  ASSERT_TRUE(eventually(
      [&] { return store_count("SELECT count(*) FROM tapedeck.statements") >= kEvents / 10; },
      90s));
  transform->kill_now();
  const auto stored_at_kill = store_count("SELECT count(*) FROM tapedeck.statements");
  std::printf("killed with %lld of %d events stored\n", static_cast<long long>(stored_at_kill),
              kEvents);
  EXPECT_LT(stored_at_kill, kEvents) << "the kill should land mid-stream";

  const auto restarted = std::chrono::steady_clock::now();
  transform = start_transform();
  ASSERT_TRUE(eventually(
      [&] { return store_count("SELECT count(*) FROM tapedeck.statements") == kEvents; }, 150s))
      << "stored " << store_count("SELECT count(*) FROM tapedeck.statements");
  // A figure, not an assertion: the time the rest takes to convert is part of it.
  std::printf("recovery: transform-kill %.1f s (%lld events left at the kill)\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - restarted).count(),
              static_cast<long long>(kEvents - stored_at_kill));
  EXPECT_EQ(transform->stop(), 0);

  pg::Connection store(store_->dsn());
  // Each event is there once: every (commit LSN, position) of the input, nothing else.
  EXPECT_EQ(
      query_int(store, "SELECT count(DISTINCT (commit_lsn, position)) FROM tapedeck.statements"),
      kEvents);
  EXPECT_EQ(query_int(store, "SELECT count(DISTINCT sql) FROM tapedeck.statements"), kEvents);
  EXPECT_EQ(
      query_int(store,
                "SELECT count(*) FROM tapedeck.statements WHERE position NOT BETWEEN 1 AND 10"),
      0);
  EXPECT_EQ(query_int(store, "SELECT count(*) FROM tapedeck.dead_letters"), 0);
}

// Two transform copies share the durable consumer (scaling out); one is killed mid-stream and
// not started again: the other stores everything, each event once.
TEST_F(TransformServiceTest, TwoCopiesShareTheConsumerAndOneKilledMidStreamLosesNothing) {
  constexpr int kTransactions = 5000;
  constexpr int kPerTransaction = 10;
  constexpr int kEvents = kTransactions * kPerTransaction;
  {
    nats::AsyncPublisher publisher(stream_.js().connection());
    std::int64_t id = 0;
    for (int tx = 0; tx < kTransactions; ++tx) {
      const Lsn commit{0x2000000ull + static_cast<std::uint64_t>(tx) * 0x1000};
      const auto xid = static_cast<std::uint32_t>(1000 + tx);
      for (int position = 1; position <= kPerTransaction; ++position) {
        const auto event =
            capture_insert(stream_.prefix(), "public", "items", commit, position, xid, ++id, "row");
        publisher.publish(event.subject, event.data, event.headers, event.msg_id);
      }
    }
    ASSERT_TRUE(publisher.wait_all(120s).empty());
  }

  env_["TAPEDECK_TRANSFORM_ACK_WAIT"] = "5s";
  auto first = start_transform();
  auto second = start_transform();
  ASSERT_TRUE(eventually(
      [&] { return store_count("SELECT count(*) FROM tapedeck.statements") >= kEvents / 10; },
      90s));
  first->kill_now();
  const auto stored_at_kill = store_count("SELECT count(*) FROM tapedeck.statements");
  std::printf("killed one of two copies with %lld of %d events stored\n",
              static_cast<long long>(stored_at_kill), kEvents);
  EXPECT_LT(stored_at_kill, kEvents) << "the kill should land mid-stream";

  ASSERT_TRUE(eventually(
      [&] { return store_count("SELECT count(*) FROM tapedeck.statements") == kEvents; }, 150s))
      << "stored " << store_count("SELECT count(*) FROM tapedeck.statements");
  EXPECT_EQ(second->stop(), 0);

  pg::Connection store(store_->dsn());
  EXPECT_EQ(
      query_int(store, "SELECT count(DISTINCT (commit_lsn, position)) FROM tapedeck.statements"),
      kEvents);
  EXPECT_EQ(query_int(store, "SELECT count(*) FROM tapedeck.statements"), kEvents);
  EXPECT_EQ(query_int(store, "SELECT count(*) FROM tapedeck.dead_letters"), 0);
}

// A short ack_wait brings a killed transform's messages back quickly; a healthy batch whose
// commit takes several ack_waits (the store table locked) is kept in progress, never redelivered.
TEST_F(TransformServiceTest, ABatchStoredSlowerThanAckWaitIsNotRedelivered) {
  env_["TAPEDECK_TRANSFORM_ACK_WAIT"] = "1s";
  auto transform = start_transform();
  publish(capture_insert(stream_.prefix(), "public", "items", Lsn{0x4000000}, 1, 950, 1, "a"));
  ASSERT_TRUE(eventually(
      [&] { return store_count("SELECT count(*) FROM tapedeck.statements") == 1; }, 60s));

  pg::Connection locker(store_->dsn());
  locker.exec("BEGIN");
  locker.exec("LOCK TABLE tapedeck.statements IN ACCESS EXCLUSIVE MODE");
  constexpr int kEvents = 20;
  for (int position = 1; position <= kEvents; ++position) {
    publish(capture_insert(stream_.prefix(), "public", "items", Lsn{0x4001000}, position, 951,
                           100 + position, "held"));
  }
  nats::PullConsumer observer(stream_.js(), stream_.stream(), stream_.durable(),
                              stream_.prefix() + ".>");
  // Four ack_waits with the commit blocked: without +WIP every message would be redelivered.
  std::int64_t redelivered = 0;
  std::int64_t ack_pending = 0;
  for (int i = 0; i < 40; ++i) {
    const auto state = observer.state();
    redelivered = std::max(redelivered, state.num_redelivered);
    ack_pending = std::max(ack_pending, state.num_ack_pending);
    std::this_thread::sleep_for(100ms);
  }
  locker.exec("COMMIT");
  // How many were fetched depends on how the publishes fell into batches; some were held.
  EXPECT_GT(ack_pending, 0) << "nothing was fetched and held while the table was locked";
  EXPECT_EQ(redelivered, 0) << "a batch kept in progress must not be redelivered";
  ASSERT_TRUE(eventually(
      [&] { return store_count("SELECT count(*) FROM tapedeck.statements") == 1 + kEvents; }, 60s));
  EXPECT_EQ(observer.state().num_redelivered, 0);
  EXPECT_EQ(transform->stop(), 0);
}

TEST_F(TransformServiceTest, WatermarkFollowsTheLastCommittedEndOfACaptureTransaction) {
  auto transform = start_transform();
  const Lsn first{0x3000000};
  const Lsn second{0x3001000};
  publish_begin(first, 900);
  publish(capture_insert(stream_.prefix(), "public", "items", first, 1, 900, 1, "a"));
  publish(capture_insert(stream_.prefix(), "public", "items", first, 2, 900, 2, "b"));
  publish_end(first, 900, 2, 3);
  ASSERT_TRUE(eventually([&] { return watermark_is("=", first); }, 60s));
  // A transaction without its END yet does not move the watermark.
  publish_begin(second, 901);
  publish(capture_insert(stream_.prefix(), "public", "items", second, 1, 901, 3, "c"));
  ASSERT_TRUE(eventually(
      [&] { return store_count("SELECT count(*) FROM tapedeck.statements") == 3; }, 60s));
  std::this_thread::sleep_for(1s);
  EXPECT_TRUE(watermark_is("=", first));
  publish_end(second, 901, 1, 2);
  EXPECT_TRUE(eventually([&] { return watermark_is("=", second); }, 60s));
  EXPECT_EQ(transform->stop(), 0);
}

// After a fault, capture can have one publish of a transaction fail while its END is stored;
// it sends the missing message again later, out of its place. Until then the watermark must
// not pass the transaction, though later ENDs are stored, and a restarted transform must still
// know it.
TEST_F(TransformServiceTest, ATransactionStoredWithAnEventMissingHoldsTheWatermarkUntilItArrives) {
  auto transform = start_transform();
  const Lsn first{0x3000000};
  const Lsn held{0x3001000};
  const Lsn after{0x3002000};
  const Lsn last{0x3003000};
  publish_one_row_transaction(first, 900, 1, "a");
  publish_begin(held, 901);
  publish(capture_insert(stream_.prefix(), "public", "items", held, 1, 901, 11, "b"));
  // position 2 (id 12) is lost
  publish(capture_insert(stream_.prefix(), "public", "items", held, 3, 901, 13, "d"));
  publish_end(held, 901, 3, 4);
  publish_one_row_transaction(after, 902, 14, "e");

  ASSERT_TRUE(eventually(
      [&] {
        return store_count(fmt::format("SELECT count(*) FROM tapedeck.watermark_holds WHERE "
                                       "name = '{}' AND commit_lsn = '{}' AND missing = "
                                       "'{{[2,3)}}'::int8multirange",
                                       stream_.stream(), held.str())) == 1;
      },
      60s));
  ASSERT_TRUE(eventually(
      [&] { return store_count("SELECT count(*) FROM tapedeck.statements") == 4; }, 60s));
  ASSERT_TRUE(eventually([&] { return watermark_is("<", held); }, 30s));
  // The watermark interval is a second; the later END stays covered and held back.
  std::this_thread::sleep_for(3s);
  EXPECT_TRUE(watermark_is("<", held));
  EXPECT_NE(read_file(log_).find("without its messages at positions 2"), std::string::npos);
  EXPECT_NE(statements("stats").find(fmt::format("held before commit {}", held.str())),
            std::string::npos);
  int status = 0;
  statements("export", &status);
  EXPECT_EQ(status, 1) << "an export over the held transaction must say it is incomplete";

  // A new process knows the hold from the store.
  transform->kill_now();
  transform = start_transform();
  publish(capture_insert(stream_.prefix(), "public", "items", held, 2, 901, 12, "c"));
  publish_one_row_transaction(last, 903, 15, "f");
  EXPECT_TRUE(eventually([&] { return watermark_is("=", last); }, 60s));
  EXPECT_EQ(store_count("SELECT count(*) FROM tapedeck.watermark_holds"), 0);
  EXPECT_EQ(store_count("SELECT count(*) FROM tapedeck.statements"), 6);
  statements("export", &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(transform->stop(), 0);
  EXPECT_NE(read_file(log_).find(
                fmt::format("the capture transaction at commit {} is complete", held.str())),
            std::string::npos);
}

// A transaction whose END (and what came before it) never arrived is held from its last
// message on, until capture's next pass delivers the rest.
TEST_F(TransformServiceTest, ATransactionCutShortByTheNextIsHeldUntilItsEndArrives) {
  auto transform = start_transform();
  const Lsn first{0x4000000};
  const Lsn cut{0x4001000};
  const Lsn next{0x4002000};
  publish_one_row_transaction(first, 910, 1, "a");
  publish_begin(cut, 911);
  publish(capture_insert(stream_.prefix(), "public", "items", cut, 1, 911, 2, "b"));
  publish_one_row_transaction(next, 912, 4, "d");
  ASSERT_TRUE(eventually(
      [&] {
        return store_count(fmt::format("SELECT count(*) FROM tapedeck.watermark_holds WHERE "
                                       "commit_lsn = '{}' AND missing = '{{[2,)}}'::int8multirange",
                                       cut.str())) == 1;
      },
      60s));
  std::this_thread::sleep_for(2s);
  EXPECT_TRUE(watermark_is("<", cut));
  // Capture's next pass: the rest of the cut transaction; then the watermark may pass.
  publish(capture_insert(stream_.prefix(), "public", "items", cut, 2, 911, 3, "c"));
  publish_end(cut, 911, 2, 3);
  EXPECT_TRUE(eventually([&] { return watermark_is("=", next); }, 60s));
  EXPECT_EQ(store_count("SELECT count(*) FROM tapedeck.watermark_holds"), 0);
  EXPECT_EQ(transform->stop(), 0);
}

TEST_F(TransformServiceTest, RtusCallsAreStoredOnceBesideTheStatements) {
  RtusCall call;
  call.id = "tk-" + stream_.suffix();
  call.time_us = 1'700'000'000'123'456;
  call.method = "POST";
  call.path = "/time?x=1";
  call.headers = {{"Content-Type", "application/json"}};
  call.body = R"({"now":"it's"})";
  stream_.js().publish(stream_.prefix() + ".rtus", to_json(call), {}, call.id);
  // A re-publish outside the duplicate window (no msg id) is still stored once.
  stream_.js().publish(stream_.prefix() + ".rtus", to_json(call));
  publish_raw(stream_.prefix() + ".rtus", R"({"method":"BREW","path":"/pot"})");
  auto transform = start_transform();
  ASSERT_TRUE(eventually(
      [&] { return store_count("SELECT count(*) FROM tapedeck.dead_letters") == 1; }, 60s));
  pg::Connection store(store_->dsn());
  EXPECT_EQ(query_int(store, "SELECT count(*) FROM tapedeck.rtus_calls"), 1);
  EXPECT_EQ(
      query_text(store,
                 "SELECT method || ' ' || path || ' ' || headers::text || ' ' || body || ' ' "
                 "|| (called_at AT TIME ZONE 'UTC')::text FROM tapedeck.rtus_calls"),
      R"(POST /time?x=1 {"Content-Type": "application/json"} {"now":"it's"} 2023-11-14 22:13:20.123456)");
  EXPECT_EQ(transform->stop(), 0);
}

// Three capture transactions at known commit times and xids; the export windows pick them.
TEST_F(TransformServiceTest, StatementsExportSelectsTheWindowAndRunsInPsql) {
  const std::int64_t base_us = 1'700'000'000'000'000;  // 2023-11-14 22:13:20 UTC
  // xids around the Live DB's current one, so they widen to this cluster's epoch.
  pg::Connection live(live_->dsn());
  const auto now_xid =
      static_cast<std::uint32_t>(query_int(live, "SELECT pg_current_xact_id()::text::bigint") + 10);
  for (int tx = 0; tx < 3; ++tx) {
    const Lsn commit{0x4000000ull + static_cast<std::uint64_t>(tx) * 0x100};
    for (int position = 1; position <= 2; ++position) {
      publish(capture_insert(stream_.prefix(), "public", "items", commit, position,
                             now_xid + static_cast<std::uint32_t>(tx), tx * 10 + position,
                             fmt::format("tx{}", tx),
                             base_us + static_cast<std::int64_t>(tx) * 60'000'000));
    }
  }
  auto transform = start_transform();
  ASSERT_TRUE(eventually(
      [&] { return store_count("SELECT count(*) FROM tapedeck.statements") == 6; }, 60s));
  EXPECT_EQ(transform->stop(), 0);

  int status = -1;
  const std::string all = statements("export", &status);
  ASSERT_EQ(status, 0);
  EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 7 + 3 * 5) << all;
  EXPECT_EQ(occurrences(all, "BEGIN;\n"), 3);
  EXPECT_EQ(occurrences(all, "COMMIT;\n"), 3);
  EXPECT_NE(all.find("SET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\nSET "
                     "array_nulls = on;\nSET xmloption "
                     "= content;\nSET lc_monetary = 'C';\n"),
            std::string::npos);
  EXPECT_LT(all.find("'tx0'"), all.find("'tx1'"));
  EXPECT_LT(all.find("'tx1'"), all.find("'tx2'"));

  // (since, until]: the middle transaction only.
  const std::string middle =
      statements("export --since '2023-11-14 22:13:20+00' --until '2023-11-14 22:14:20+00'");
  EXPECT_EQ(middle.find("'tx0'"), std::string::npos) << middle;
  EXPECT_NE(middle.find("VALUES (11, 'tx1')"), std::string::npos) << middle;
  EXPECT_NE(middle.find("VALUES (12, 'tx1')"), std::string::npos) << middle;
  EXPECT_EQ(middle.find("'tx2'"), std::string::npos) << middle;
  EXPECT_EQ(occurrences(middle, "BEGIN;\n"), 1) << middle;

  // After a snapshot in which the first transaction is visible and the third in progress.
  schema::migrate_live(live);
  // tx0 committed before it, tx1 in progress, tx2 not started: tx1 and tx2 come after.
  const std::string snapshot = fmt::format("{}:{}:{}", now_xid + 1, now_xid + 2, now_xid + 1);
  const auto backup = query_int(
      live,
      fmt::format("INSERT INTO tapedeck.backups (object_key, storage_url, size_bytes, sha256, "
                  "created_at, lsn, txid_snapshot, server_version) VALUES ('k-{}', 'file:///x', "
                  "1, repeat('a', 64), now(), '0/1', '{}', '15') RETURNING id",
                  stream_.suffix(), snapshot));
  const std::string after = statements(fmt::format("export --after-snapshot {}", backup), &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(after.find("'tx0'"), std::string::npos) << after;
  EXPECT_NE(after.find("'tx1'"), std::string::npos) << after;
  EXPECT_NE(after.find("'tx2'"), std::string::npos) << after;
  statements(fmt::format("export --after-snapshot {}", backup + 1000), &status);
  EXPECT_NE(status, 0) << "an unknown backup id is an error";

  // A dead-lettered change in the middle transaction's minute: the script of a window holding
  // it is written but cannot be exact, so the export fails, naming it; other windows do not.
  pg::Connection store(store_->dsn());
  store.exec(
      "INSERT INTO tapedeck.dead_letters (stream, stream_sequence, subject, raw, reason, "
      "commit_lsn, commit_time) VALUES ('S', 1, 'p.public.items', '{}', 'refused', '0/4000180', "
      "'2023-11-14 22:14:00+00')");
  std::string failing;
  run_shell(env_prefix(env_) + shell_quote(tapedeck_binary()) +
                " statements export --until '2023-11-14 22:14:20+00' 2>&1 >/dev/null",
            &failing);
  statements("export --until '2023-11-14 22:14:20+00'", &status);
  EXPECT_EQ(status, 1);
  EXPECT_NE(failing.find("1 dead-lettered change(s)"), std::string::npos) << failing;
  EXPECT_NE(failing.find("LSN 0/4000180"), std::string::npos) << failing;
  statements("export --since '2023-11-14 22:14:00+00'", &status);
  EXPECT_EQ(status, 0) << "the dead letter lies before this window";

  // The whole script runs in psql against the Live DB's table.
  const std::string script = temp_file("tdtr_export") + ".sql";
  {
    std::ofstream out(script);
    out << all;
  }
  std::string psql_output;
  EXPECT_EQ(run_shell(fmt::format("psql -X -q -v ON_ERROR_STOP=1 -d {} -f {} 2>&1",
                                  shell_quote(live_->dsn()), shell_quote(script)),
                      &psql_output),
            0)
      << psql_output;
  EXPECT_EQ(query_int(live, "SELECT count(*) FROM items"), 6);
  std::filesystem::remove(script);
}

// The TransformMsg DB goes away mid-stream (a private cluster, stopped and started again):
// the batch in flight is nak'ed, the service reconnects with backoff, nothing is lost.
TEST_F(TransformServiceTest, AStoreOutageMidStreamLosesNothing) {
  PrivatePostgres store;
  store.start();
  env_["TAPEDECK_STORE_DSN"] = store.dsn();
  constexpr int kEvents = 20'000;
  {
    nats::AsyncPublisher publisher(stream_.js().connection());
    for (int i = 0; i < kEvents; ++i) {
      const Lsn commit{0x5000000ull + static_cast<std::uint64_t>(i / 4) * 0x100};
      const auto event = capture_insert(stream_.prefix(), "public", "items", commit, i % 4 + 1,
                                        static_cast<std::uint32_t>(2000 + i / 4), i, "row");
      publisher.publish(event.subject, event.data, event.headers, event.msg_id);
    }
    ASSERT_TRUE(publisher.wait_all(120s).empty());
  }
  const auto count = [&] {
    try {
      pg::Connection connection(store.dsn());
      return query_int(connection, "SELECT count(*) FROM tapedeck.statements");
    } catch (const std::exception&) {
      return std::int64_t{-1};
    }
  };
  auto transform = start_transform();
  ASSERT_TRUE(eventually([&] { return count() >= 2000; }, 90s));
  store.stop();
  std::this_thread::sleep_for(3s);
  EXPECT_TRUE(transform->running()) << "an outage is waited out, not fatal";
  store.start();
  ASSERT_TRUE(eventually([&] { return count() == kEvents; }, 150s))
      << "stored " << count() << "; server log " << store.log_path();
  pg::Connection connection(store.dsn());
  EXPECT_EQ(query_int(connection,
                      "SELECT count(DISTINCT (commit_lsn, position)) FROM tapedeck.statements"),
            kEvents);
  EXPECT_EQ(transform->stop(), 0);
  EXPECT_NE(read_file(log_).find("retrying with backoff"), std::string::npos)
      << "the outage was noticed and retried";
}

}  // namespace
}  // namespace tapedeck::transform::testing
