// The paced-replay reader against a real TransformMsg DB: a window's transactions, whole and in
// commit order, however the pages fall, and nothing from before or after the window; the
// window's size and first and last commit LSNs.
#include "msgop/recording_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fixture.hpp"

namespace tapedeck::msgop::testing {
namespace {

Time at(const char* text) {
  return *session::parse_time(text);
}

class RecordingReaderTest : public MsgopTest {};

std::vector<std::string> read_window(pg::Connection& store, Time after, Time until, int page_rows) {
  TransactionReader reader(
      store, TransactionFilter::window(after, until, measure_window(store, after, until)),
      page_rows);
  std::vector<std::string> read;
  while (const auto transaction = reader.next()) {
    std::string text = transaction->commit_lsn.str() + ":";
    for (const auto& statement : transaction->statements) text += " " + statement;
    read.push_back(text);
  }
  return read;
}

TEST_F(RecordingReaderTest, AWindowGivesItsTransactionsWholeFromItsFirstStatementOnly) {
  record("0/100", 1, 700, at("2026-03-01T10:00:01Z"), "before-1");
  record("0/200", 1, 701, at("2026-03-01T10:00:02Z"), "before-2");
  for (int position = 1; position <= 3; ++position) {
    record("0/300", position, 702, at("2026-03-01T10:00:11Z"), "a" + std::to_string(position));
  }
  record("0/1000", 1, 703, at("2026-03-01T10:00:12Z"), "b1");
  record("0/1000", 2, 703, at("2026-03-01T10:00:12Z"), "b2");
  record("0/2000", 1, 704, at("2026-03-01T10:00:30Z"), "after");

  const std::vector<std::string> expected = {"0/300: a1 a2 a3", "0/1000: b1 b2"};
  for (const int page_rows : {1, 2, 5000}) {
    EXPECT_EQ(
        read_window(*store_, at("2026-03-01T10:00:10Z"), at("2026-03-01T10:00:20Z"), page_rows),
        expected)
        << page_rows << " rows a page";
  }
  EXPECT_TRUE(
      read_window(*store_, at("2026-03-01T10:00:20Z"), at("2026-03-01T10:00:29Z"), 10).empty());

  const WindowExtent window =
      measure_window(*store_, at("2026-03-01T10:00:10Z"), at("2026-03-01T10:00:20Z"));
  EXPECT_EQ(window.statements, 5);
  ASSERT_TRUE(window.first_commit_lsn && window.last_commit_lsn);
  EXPECT_EQ(window.first_commit_lsn->str(), "0/300");
  EXPECT_EQ(window.last_commit_lsn->str(), "0/1000");
  const WindowExtent empty =
      measure_window(*store_, at("2026-03-01T10:00:20Z"), at("2026-03-01T10:00:29Z"));
  EXPECT_EQ(empty.statements, 0);
  EXPECT_FALSE(empty.first_commit_lsn);
  EXPECT_FALSE(empty.last_commit_lsn);
}

// Commit times need not follow commit LSNs (a commit's time is taken before its record is
// written): a window is its commit times, whatever LSNs its transactions and its neighbours
// have, and its pages walk the LSNs between its first and last only.
TEST_F(RecordingReaderTest, AWindowIsItsCommitTimesEvenWhereTheyDoNotFollowCommitLsns) {
  record("0/100", 1, 700, at("2026-03-01T10:00:09.999Z"), "before");
  record("0/200", 1, 701, at("2026-03-01T10:00:10.5Z"), "in-1");
  record("0/300", 1, 702, at("2026-03-01T10:00:09.998Z"), "before-but-later");
  record("0/400", 1, 703, at("2026-03-01T10:00:20.001Z"), "after-but-earlier");
  record("0/500", 1, 704, at("2026-03-01T10:00:19.999Z"), "in-2");
  record("0/500", 2, 704, at("2026-03-01T10:00:19.999Z"), "in-3");
  record("0/600", 1, 705, at("2026-03-01T10:00:20.5Z"), "after");

  const std::vector<std::string> expected = {"0/200: in-1", "0/500: in-2 in-3"};
  for (const int page_rows : {1, 2, 5000}) {
    EXPECT_EQ(
        read_window(*store_, at("2026-03-01T10:00:10Z"), at("2026-03-01T10:00:20Z"), page_rows),
        expected)
        << page_rows << " rows a page";
  }
  const WindowExtent window =
      measure_window(*store_, at("2026-03-01T10:00:10Z"), at("2026-03-01T10:00:20Z"));
  EXPECT_EQ(window.statements, 3);
  EXPECT_EQ(window.last_commit_lsn.value_or(Lsn{}).str(), "0/500");
}

}  // namespace
}  // namespace tapedeck::msgop::testing
