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

std::vector<std::string> read_all(TransactionReader& reader) {
  std::vector<std::string> read;
  while (const auto transaction = reader.next()) {
    std::string text = transaction->commit_lsn.str() + ":";
    for (const auto& statement : transaction->statements) text += " " + statement;
    read.push_back(text);
  }
  return read;
}

std::vector<std::string> read_window(pg::Connection& store, Time after, Time until, int page_rows) {
  TransactionReader reader(
      store, TransactionFilter::window(after, until, measure_window(store, after, until)),
      page_rows);
  return read_all(reader);
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

// A catch-up reads the commit LSNs from the last transaction that had ended before the snapshot
// (xid below its xmin) to its own last statement: a transaction the snapshot did not see that
// committed before the backup's LSN is still read, one committed after `until` is not, and one
// whose commit time comes before `until` though its LSN is last is.
TEST_F(RecordingReaderTest, ACatchUpReadsFromTheLastTransactionEndedBeforeTheSnapshot) {
  const Time until = at("2026-03-01T10:00:20Z");
  record("0/100", 1, 290, at("2026-03-01T10:00:01Z"), "seen-old");
  record("0/200", 1, 299, at("2026-03-01T10:00:02Z"), "seen-last-ended");
  record("0/250", 1, 305, at("2026-03-01T10:00:03Z"), "unseen-running-at-the-snapshot");
  record("0/280", 1, 302, at("2026-03-01T10:00:03Z"), "seen-between-xmin-and-xmax");
  record("0/400", 1, 310, at("2026-03-01T10:00:10Z"), "unseen-after");
  record("0/500", 1, 311, at("2026-03-01T10:00:21Z"), "after-until");
  record("0/600", 1, 312, at("2026-03-01T10:00:19.999Z"), "last-lsn-earlier-time");
  const auto snapshot = TxidSnapshot::parse("300:310:305");
  const auto backup_lsn = *Lsn::parse("0/300");

  const CatchUpExtent extent = measure_catch_up(*store_, snapshot, backup_lsn, until);
  EXPECT_EQ(extent.from.str(), "0/200");
  EXPECT_EQ(extent.through.str(), "0/600");
  EXPECT_EQ(extent.statements, 3);
  const std::vector<std::string> expected = {"0/250: unseen-running-at-the-snapshot",
                                             "0/400: unseen-after", "0/600: last-lsn-earlier-time"};
  for (const int page_rows : {1, 5000}) {
    TransactionReader bounded(*store_, TransactionFilter::catch_up(snapshot, until, extent),
                              page_rows);
    EXPECT_EQ(read_all(bounded), expected) << page_rows << " rows a page";
  }
  TransactionReader unbounded(*store_, TransactionFilter::catch_up(snapshot, until));
  EXPECT_EQ(read_all(unbounded), expected) << "the bounds only spare work";

  const CatchUpExtent nothing =
      measure_catch_up(*store_, snapshot, backup_lsn, at("2026-03-01T10:00:02Z"));
  EXPECT_EQ(nothing.statements, 0);
  TransactionReader none(
      *store_, TransactionFilter::catch_up(snapshot, at("2026-03-01T10:00:02Z"), nothing));
  EXPECT_TRUE(read_all(none).empty());
}

// Catch-up stops its walk of the commit LSNs at the latest LSN recorded in the minutes up to
// `until`: exact even where an earlier minute's commit has a later LSN than a later minute's
// commits, and blind to what comes after.
TEST_F(RecordingReaderTest, ACatchUpEndsAtTheLatestLsnOfTheMinutesUpToItsEndExactly) {
  const auto snapshot = TxidSnapshot::parse("300:300:");
  const auto backup_lsn = *Lsn::parse("0/100");
  record("0/100", 1, 299, at("2026-03-01T10:00:01Z"), "in-the-backup");
  record("0/700", 1, 301, at("2026-03-01T10:01:05Z"), "next-minute");
  record("0/800", 1, 302, at("2026-03-01T10:01:06Z"), "next-minute-too");
  record("0/900", 1, 303, at("2026-03-01T10:00:59.9Z"), "earlier-minute-later-lsn");
  record("0/A00", 1, 304, at("2026-03-01T10:00:30Z"), "earlier-minute-later-lsn-too");
  record("0/B00", 1, 305, at("2026-03-01T10:05:00Z"), "much-later");

  const auto minutes = store_->exec(
      "SELECT epoch_minute, latest_commit_lsn::text FROM tapedeck.statement_minutes "
      "ORDER BY 1");
  ASSERT_EQ(minutes.rows(), 3);
  const std::int64_t ten_o_clock = at("2026-03-01T10:00:00Z").time_since_epoch() / 60s;
  EXPECT_EQ(minutes.get<std::int64_t>(0, 0), ten_o_clock);
  EXPECT_EQ(minutes.text(0, 1), "0/A00");
  EXPECT_EQ(minutes.text(1, 1), "0/800");
  EXPECT_EQ(minutes.text(2, 1), "0/B00");

  const Time until = at("2026-03-01T10:00:59.95Z");
  const CatchUpExtent extent = measure_catch_up(*store_, snapshot, backup_lsn, until);
  EXPECT_EQ(extent.statements, 2);
  EXPECT_EQ(extent.through.str(), "0/A00");
  TransactionReader reader(*store_, TransactionFilter::catch_up(snapshot, until, extent));
  EXPECT_EQ(read_all(reader), (std::vector<std::string>{"0/900: earlier-minute-later-lsn",
                                                        "0/A00: earlier-minute-later-lsn-too"}));

  const CatchUpExtent later =
      measure_catch_up(*store_, snapshot, backup_lsn, at("2026-03-01T10:01:05.5Z"));
  EXPECT_EQ(later.statements, 3);
  EXPECT_EQ(later.through.str(), "0/A00");
}

}  // namespace
}  // namespace tapedeck::msgop::testing
