// The gap check of capture transactions, fed message sequences as a consumer would see them.
#include "transform/transaction_check.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace tapedeck::transform {
namespace {

using Kind = TransactionCheck::Kind;

// Feeds messages with consecutive consumer sequences and keeps what the check asked for.
class Feed {
 public:
  explicit Feed(TransactionCheck& check) : check_(check) {}
  Feed& at(std::uint64_t consumer_sequence) {
    sequence_ = consumer_sequence;
    return *this;
  }
  Feed& send(std::uint64_t lsn, std::uint64_t position, Kind kind) {
    check_.delivered(++sequence_);
    for (auto& change : check_.message(Lsn{lsn}, position, kind)) changes.push_back(change);
    return *this;
  }
  // BEGIN, events 1..n (but those in `skip`), END at n + 1.
  Feed& transaction(std::uint64_t lsn, std::uint64_t events,
                    const std::vector<std::uint64_t>& skip = {}) {
    send(lsn, 0, Kind::begin);
    for (std::uint64_t position = 1; position <= events; ++position) {
      if (std::ranges::find(skip, position) == skip.end()) send(lsn, position, Kind::event);
    }
    return send(lsn, events + 1, Kind::end);
  }
  std::vector<HoldChange> holds() const {
    std::vector<HoldChange> out;
    for (const auto& change : changes) {
      if (change.kind == HoldChange::Kind::hold) out.push_back(change);
    }
    return out;
  }
  std::vector<HoldChange> arrivals() const {
    std::vector<HoldChange> out;
    for (const auto& change : changes) {
      if (change.kind == HoldChange::Kind::arrival) out.push_back(change);
    }
    return out;
  }

  std::vector<HoldChange> changes;

 private:
  TransactionCheck& check_;
  std::uint64_t sequence_ = 0;
};

TEST(PositionSet, MergesTouchingRangesAndPrintsAMultirange) {
  PositionSet set;
  set.add(7, 7);
  set.add(2, 3);
  set.add(4, 4);
  set.add(10, PositionSet::kOpenEnd);
  set.add(12, 15);
  EXPECT_EQ(set.multirange(), "{[2,5),[7,8),[10,)}");
  EXPECT_EQ(set.str(), "2-4, 7, 10 and after");
  set.add(5, 6);
  EXPECT_EQ(set.multirange(), "{[2,8),[10,)}");
  set.add(3, 2);  // empty: nothing added
  EXPECT_EQ(set.ranges().size(), 2u);
}

TEST(PositionSet, RemovesOnePositionFromAnyRange) {
  PositionSet set;
  set.add(2, 6);
  set.add(9, 9);
  set.add(20, PositionSet::kOpenEnd);
  set.remove(4);  // splits
  set.remove(2);  // a first
  set.remove(6);  // a last
  set.remove(9);  // a whole range
  set.remove(7);  // not there
  set.remove(20);
  EXPECT_EQ(set.multirange(), "{[3,4),[5,6),[21,)}");
}

TEST(TransactionCheck, CompleteTransactionsAskForNothing) {
  TransactionCheck check;
  Feed feed(check);
  feed.transaction(0x100, 3).transaction(0x200, 1).transaction(0x300, 50);
  EXPECT_TRUE(feed.changes.empty());
  EXPECT_EQ(check.holds_found(), 0u);
}

TEST(TransactionCheck, AnEventMissingBeforeTheEndHoldsItsTransaction) {
  TransactionCheck check;
  Feed feed(check);
  feed.transaction(0x100, 2).transaction(0x200, 5, {2, 4, 5}).transaction(0x300, 1);
  const auto holds = feed.holds();
  ASSERT_EQ(holds.size(), 1u);
  EXPECT_EQ(holds[0].commit_lsn, Lsn{0x200});
  EXPECT_EQ(holds[0].missing.multirange(), "{[2,3),[4,6)}");
  EXPECT_EQ(check.holds_found(), 1u);
}

TEST(TransactionCheck, ALostBeginIsSeenWhenThePreviousEndWasReceived) {
  TransactionCheck check;
  Feed feed(check);
  feed.transaction(0x100, 1);
  feed.send(0x200, 1, Kind::event).send(0x200, 2, Kind::end);
  ASSERT_EQ(feed.holds().size(), 1u);
  EXPECT_EQ(feed.holds()[0].missing.multirange(), "{[0,1)}");
}

TEST(TransactionCheck, ATransactionCutShortByTheNextHoldsEverythingAfterItsLastMessage) {
  TransactionCheck check;
  Feed feed(check);
  feed.transaction(0x100, 1);
  feed.send(0x200, 0, Kind::begin).send(0x200, 1, Kind::event);  // 2.. and END lost
  feed.transaction(0x300, 2);
  ASSERT_EQ(feed.holds().size(), 1u);
  EXPECT_EQ(feed.holds()[0].commit_lsn, Lsn{0x200});
  EXPECT_EQ(feed.holds()[0].missing.multirange(), "{[2,)}");
}

TEST(TransactionCheck, LateMessagesOfAnEndedTransactionAreArrivals) {
  TransactionCheck check;
  Feed feed(check);
  feed.transaction(0x100, 3, {2}).transaction(0x200, 1);
  feed.changes.clear();
  // Capture streams 0x100 again; deduplication lets only position 2 through.
  feed.send(0x100, 2, Kind::event);
  ASSERT_EQ(feed.changes.size(), 1u);
  const auto arrival = feed.changes[0];
  EXPECT_EQ(arrival.kind, HoldChange::Kind::arrival);
  EXPECT_EQ(arrival.commit_lsn, Lsn{0x100});
  EXPECT_EQ(arrival.position, 2u);
  EXPECT_FALSE(arrival.end);
  // A late END settles what comes after it.
  feed.send(0x100, 4, Kind::end);
  ASSERT_EQ(feed.arrivals().size(), 2u);
  EXPECT_TRUE(feed.arrivals()[1].end);
}

// Capture broke before the END and streams the transaction again: deduplication lets the
// missing event through, behind the ones already received, before the END.
TEST(TransactionCheck, AMissingEventFilledBeforeTheEndHoldsNothing) {
  TransactionCheck check;
  Feed feed(check);
  feed.transaction(0x100, 1);
  feed.send(0x200, 0, Kind::begin).send(0x200, 1, Kind::event).send(0x200, 3, Kind::event);
  feed.send(0x200, 2, Kind::event).send(0x200, 4, Kind::end);
  EXPECT_TRUE(feed.changes.empty());
}

TEST(TransactionCheck, AGapInConsumerSequencesSkipsTheCheckRatherThanGuess) {
  TransactionCheck check;
  Feed feed(check);
  feed.transaction(0x100, 1);
  feed.send(0x200, 0, Kind::begin).send(0x200, 1, Kind::event);
  feed.at(20).send(0x200, 3, Kind::event).send(0x200, 4, Kind::end);  // another process took 2
  EXPECT_TRUE(feed.holds().empty());
  // Nor can the next transaction be checked from its start: the chain broke before it...
  feed.at(40).send(0x300, 1, Kind::event).send(0x300, 2, Kind::end);
  EXPECT_TRUE(feed.holds().empty());
  // ...but after a received END it can again.
  feed.send(0x400, 1, Kind::event).send(0x400, 3, Kind::end);
  ASSERT_EQ(feed.holds().size(), 1u);
  EXPECT_EQ(feed.holds()[0].missing.multirange(), "{[0,1),[2,3)}");
}

TEST(TransactionCheck, AProcessStartedMidTransactionChecksFromTheNextBegin) {
  TransactionCheck check;
  Feed feed(check);
  feed.at(100).send(0x100, 5, Kind::event).send(0x100, 6, Kind::end);
  EXPECT_TRUE(feed.holds().empty());
  EXPECT_EQ(feed.arrivals().size(), 2u);  // unwatched: each may fill someone's hold
  feed.changes.clear();
  feed.transaction(0x200, 2);
  EXPECT_TRUE(feed.changes.empty());
}

TEST(TransactionCheck, ARedeliveryInsideATransactionIsAnArrivalNotACut) {
  TransactionCheck check;
  Feed feed(check);
  feed.transaction(0x100, 2);
  feed.send(0x200, 0, Kind::begin).send(0x200, 1, Kind::event);
  feed.send(0x100, 2, Kind::event);  // an older message, again
  feed.send(0x200, 2, Kind::event).send(0x200, 3, Kind::end);
  EXPECT_TRUE(feed.holds().empty());
  ASSERT_EQ(feed.arrivals().size(), 1u);
  EXPECT_EQ(feed.arrivals()[0].commit_lsn, Lsn{0x100});
}

TEST(TransactionCheck, LogicalMessagesTakePositionsAndAMessageOnlyTransactionIsNotChecked) {
  TransactionCheck check;
  Feed feed(check);
  feed.transaction(0x100, 1);
  // BEGIN, a transactional message at 1, a row at 2, END at 3.
  feed.send(0x200, 0, Kind::begin).send(0x200, 1, Kind::message);
  feed.send(0x200, 2, Kind::event).send(0x200, 3, Kind::end);
  // Capture emits no BEGIN or END around a transaction of messages only...
  feed.send(0x300, 1, Kind::message);
  // ...and a message before the first row comes before the BEGIN it then emits.
  feed.send(0x400, 1, Kind::message).send(0x400, 0, Kind::begin).send(0x400, 2, Kind::event);
  feed.send(0x400, 3, Kind::end);
  feed.transaction(0x500, 1);
  EXPECT_TRUE(feed.holds().empty());
}

}  // namespace
}  // namespace tapedeck::transform
