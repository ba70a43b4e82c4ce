// The tick thread's hand-off to a worker, and once-per-streak failure logging.
#include "timekeeper/handoff.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "timekeeper/failure_streak.hpp"

namespace tapedeck::timekeeper {
namespace {

using namespace std::chrono_literals;

TEST(Handoff, GivesItemsBackInOrder) {
  Handoff<int> queue(3);
  EXPECT_FALSE(queue.push(1));
  EXPECT_FALSE(queue.push(2));
  EXPECT_EQ(queue.pop(0ms), 1);
  EXPECT_EQ(queue.pop(0ms), 2);
  EXPECT_EQ(queue.pop(0ms), std::nullopt);
}

TEST(Handoff, DropsTheOldestItemWhenFullInsteadOfWaiting) {
  Handoff<int> queue(1);
  EXPECT_FALSE(queue.push(1));
  EXPECT_TRUE(queue.push(2));
  EXPECT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue.pop(0ms), 2);
}

TEST(Handoff, WakesAWaitingConsumerOnPush) {
  Handoff<int> queue(1);
  std::optional<int> got;
  std::thread consumer([&] { got = queue.pop(30s); });
  std::this_thread::sleep_for(20ms);
  queue.push(7);
  consumer.join();
  EXPECT_EQ(got, 7);
}

TEST(Handoff, WakesAWaitingConsumerOnCloseWithNothing) {
  Handoff<int> queue(1);
  std::optional<int> got = 1;
  std::thread consumer([&] { got = queue.pop(30s); });
  std::this_thread::sleep_for(20ms);
  queue.close();
  consumer.join();
  EXPECT_EQ(got, std::nullopt);
  EXPECT_TRUE(queue.closed());
}

TEST(Handoff, IgnoresPushesAfterClose) {
  Handoff<int> queue(2);
  queue.close();
  queue.push(1);
  EXPECT_EQ(queue.size(), 0u);
}

TEST(FailureStreak, ReportsOnlyTheFirstFailureOfAStreak) {
  FailureStreak streak;
  EXPECT_TRUE(streak.failure());
  EXPECT_FALSE(streak.failure());
  EXPECT_FALSE(streak.failure());
  EXPECT_TRUE(streak.failing());
  EXPECT_EQ(streak.length(), 3u);
}

TEST(FailureStreak, ReportsTheLengthOfTheStreakARecoveryEnds) {
  FailureStreak streak;
  streak.failure();
  streak.failure();
  EXPECT_EQ(streak.success(), 2u);
  EXPECT_FALSE(streak.failing());
  EXPECT_EQ(streak.success(), 0u);
}

TEST(FailureStreak, StartsANewStreakAfterARecovery) {
  FailureStreak streak;
  streak.failure();
  streak.success();
  EXPECT_TRUE(streak.failure());
}

}  // namespace
}  // namespace tapedeck::timekeeper
