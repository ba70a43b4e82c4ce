// `tapedeck capture` in its default confirm mode: the slot advances only up to the watermark
// transform writes to the TransformMsg DB, never to what JetStream merely acknowledged.
#include <gtest/gtest.h>

#include <thread>

#include "core/lsn.hpp"
#include "core/schema/store_schema.hpp"
#include "harness.hpp"
#include "support/scratch.hpp"

namespace tapedeck::capture::testing {
namespace {

// Written as transform writes it (transform/statement_store.cpp): forward only.
constexpr const char* kUpsertWatermark = R"(
INSERT INTO tapedeck.watermarks (name, lsn) VALUES ($1, $2::pg_lsn)
ON CONFLICT (name) DO UPDATE
SET lsn = GREATEST(tapedeck.watermarks.lsn, EXCLUDED.lsn), updated_at = clock_timestamp())";

Lsn lsn(const std::string& text) {
  const auto parsed = Lsn::parse(text);
  EXPECT_TRUE(parsed.has_value()) << "not an LSN: '" << text << "'";
  return parsed.value_or(Lsn{});
}

class StoreWatermark {
 public:
  explicit StoreWatermark(
      std::string name, const std::string& dsn = tapedeck::testing::stack_env("TAPEDECK_STORE_DSN"))
      : store_(dsn), name_(std::move(name)) {
    schema::migrate_store(store_);
  }
  StoreWatermark(const StoreWatermark&) = delete;
  StoreWatermark& operator=(const StoreWatermark&) = delete;
  ~StoreWatermark() {
    store_.exec_params("DELETE FROM tapedeck.watermarks WHERE name = $1", pg::Params::of(name_));
  }
  void write(Lsn lsn) { store_.exec_params(kUpsertWatermark, pg::Params::of(name_, lsn.str())); }

 private:
  pg::Connection store_;
  std::string name_;
};

TEST(CaptureWatermark, TheSlotAdvancesOnlyUpToTheWatermarkTransformWrote) {
  CaptureHarness h;
  // A store transform has not created its tables in yet: capture streams all the same and
  // holds the slot.
  tapedeck::testing::ScratchDatabase store("capture_store");
  h.exec("CREATE TABLE w (id int PRIMARY KEY)");
  h.start_capture(
      {{"TAPEDECK_CAPTURE_CONFIRM_MODE", "watermark"}, {"TAPEDECK_STORE_DSN", store.dsn()}});
  const Lsn start = lsn(h.confirmed_flush_lsn());

  h.exec("INSERT INTO w VALUES (1)");
  h.exec("INSERT INTO w VALUES (2)");
  const auto events = h.read_distinct(6, 60s);
  ASSERT_EQ(events.size(), 6u) << h.log_tail();
  const Lsn first_commit = lsn(events[0].commit_lsn.value_or(""));
  const Lsn second_commit = lsn(events[3].commit_lsn.value_or(""));
  ASSERT_LT(first_commit, second_commit);

  // Acknowledged by JetStream, but not stored downstream: the slot stays before the first
  // commit over several status intervals (200ms each). It may have moved from `start` before
  // the inserts: WAL other databases wrote, confirmed from a keepalive while capture was idle.
  std::this_thread::sleep_for(1500ms);
  EXPECT_GE(lsn(h.confirmed_flush_lsn()), start);
  EXPECT_LT(lsn(h.confirmed_flush_lsn()), first_commit);
  EXPECT_TRUE(h.capture()->running()) << h.log_tail();
  EXPECT_EQ(h.log_text().find("does not exist"), std::string::npos) << h.log_tail();

  // Transform starts (creating the tables) and stores the first transaction: the slot moves
  // past its commit, not up to the second.
  StoreWatermark watermark(h.stream(), store.dsn());
  watermark.write(first_commit);
  ASSERT_TRUE(eventually([&] { return lsn(h.confirmed_flush_lsn()) > first_commit; }, 60s))
      << h.log_tail();
  std::this_thread::sleep_for(1000ms);
  EXPECT_LT(lsn(h.confirmed_flush_lsn()), second_commit);

  watermark.write(second_commit);
  ASSERT_TRUE(eventually([&] { return lsn(h.confirmed_flush_lsn()) > second_commit; }, 60s))
      << h.log_tail();
}

TEST(CaptureWatermark, RestartAfterAStoredWatermarkResendsOnlyWhatWasNotConfirmed) {
  CaptureHarness h;
  StoreWatermark watermark(h.stream());
  h.exec("CREATE TABLE w (id int PRIMARY KEY)");
  const std::map<std::string, std::string> env = {{"TAPEDECK_CAPTURE_CONFIRM_MODE", "watermark"},
                                                  {"TAPEDECK_NATS_DUPLICATE_WINDOW", "1s"}};
  h.start_capture(env);
  h.exec("INSERT INTO w VALUES (1)");
  h.exec("INSERT INTO w VALUES (2)");
  const auto first = h.read_distinct(6, 60s);
  ASSERT_EQ(first.size(), 6u) << h.log_tail();
  const Lsn first_commit = lsn(first[0].commit_lsn.value_or(""));
  watermark.write(first_commit);
  ASSERT_TRUE(eventually([&] { return lsn(h.confirmed_flush_lsn()) > first_commit; }, 60s));

  // With a 1 s duplicate window, what capture sends again after a crash is stored again and
  // can be counted: exactly the unconfirmed second transaction.
  h.kill_capture();
  std::this_thread::sleep_for(2000ms);
  h.start_capture(env);
  h.exec("INSERT INTO w VALUES (3)");
  h.read_distinct(9, 60s);
  ASSERT_TRUE(eventually([&] { return h.stream_messages() >= 12; }, 60s)) << h.log_tail();
  std::this_thread::sleep_for(1000ms);
  const auto stored = h.read_all();
  EXPECT_EQ(distinct_ids(stored), 9u);
  ASSERT_EQ(stored.size(), 12u);
  for (std::size_t i = 6; i < 9; ++i) EXPECT_EQ(stored[i].msg_id, first[i - 3].msg_id);
}

}  // namespace
}  // namespace tapedeck::capture::testing
