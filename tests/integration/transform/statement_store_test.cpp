// The store transaction: a batch is stored once, and a batch that repeats stored events (a
// redelivery after a crash) stores only the new ones.
#include "transform/statement_store.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/scratch.hpp"

namespace tapedeck::transform {
namespace {

StatementRow row(const std::string& event_id, int position) {
  StatementRow statement;
  statement.event_id = event_id;
  statement.commit_lsn = *Lsn::parse("0/100");
  statement.position = position;
  statement.xid = Xid{700};
  statement.commit_time_us = 1'767'261'600'000'000;
  statement.schema = "public";
  statement.table = "t";
  statement.op = 'c';
  statement.sql = "INSERT INTO \"public\".\"t\" (\"id\") VALUES (1)";
  return statement;
}

TEST(StatementStore, StoresARedeliveredBatchOnlyOnceAndKeepsItsNewEvents) {
  testing::ScratchDatabase database("tdss_store");
  StatementStore store(database.dsn(), "S");
  const std::vector<std::string> ids = {"0/100:1", "0/100:2", "0/100:3"};

  Batch first;
  first.add_statement(row(ids[0], 1));
  first.add_statement(row(ids[1], 2));
  EXPECT_EQ(store.write(first, std::nullopt).statements_stored, 2);

  Batch again;  // the two again, and one more
  for (int i = 0; i < 3; ++i) again.add_statement(row(ids[static_cast<std::size_t>(i)], i + 1));
  EXPECT_EQ(store.write(again, std::nullopt).statements_stored, 1);

  auto check = database.connect();
  EXPECT_EQ(check.exec("SELECT count(*) FROM tapedeck.statements").get<std::int64_t>(0, 0), 3);
  // The connection is usable after the fallback.
  Batch fresh;
  fresh.add_statement(row("0/200:1", 1));
  EXPECT_EQ(store.write(fresh, std::nullopt).statements_stored, 1);
}

// Both ways a batch goes in (COPY straight into the table, and the staged insert of a
// redelivery) keep tapedeck.statement_minutes: per minute of commit time, its latest commit LSN.
TEST(StatementStore, EveryWriteKeepsTheLatestCommitLsnOfEachMinute) {
  testing::ScratchDatabase database("tdss_minutes");
  StatementStore store(database.dsn(), "S");
  const auto at = [](const std::string& event_id, const char* lsn, std::int64_t minute,
                     int second) {
    StatementRow statement = row(event_id, 1);
    statement.commit_lsn = *Lsn::parse(lsn);
    statement.commit_time_us = (minute * 60 + second) * 1'000'000;
    return statement;
  };
  constexpr std::int64_t kMinute = 29'454'360;  // 2026-01-01T10:00Z
  Batch first;
  first.add_statement(at("a", "0/100", kMinute, 1));
  first.add_statement(at("b", "0/300", kMinute, 59));
  first.add_statement(at("c", "0/200", kMinute + 1, 0));
  store.write(first, std::nullopt);
  Batch redelivery;  // "c" again (staged insert), and a later commit of the first minute
  redelivery.add_statement(at("c", "0/200", kMinute + 1, 0));
  redelivery.add_statement(at("d", "0/400", kMinute, 30));
  EXPECT_EQ(store.write(redelivery, std::nullopt).statements_stored, 1);

  auto check = database.connect();
  const auto minutes = check.exec(
      "SELECT epoch_minute, latest_commit_lsn::text FROM tapedeck.statement_minutes ORDER BY 1");
  ASSERT_EQ(minutes.rows(), 2);
  EXPECT_EQ(minutes.get<std::int64_t>(0, 0), kMinute);
  EXPECT_EQ(minutes.text(0, 1), "0/400");
  EXPECT_EQ(minutes.get<std::int64_t>(1, 0), kMinute + 1);
  EXPECT_EQ(minutes.text(1, 1), "0/200");
}

}  // namespace
}  // namespace tapedeck::transform
