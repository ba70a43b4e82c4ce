#include "core/retry.hpp"

#include <gtest/gtest.h>

namespace tapedeck {

TEST(RetryPolicy, DoublesTheDelayUpToTheCap) {
  const RetryPolicy policy{0, std::chrono::milliseconds(100), std::chrono::milliseconds(1000), 0.0};
  EXPECT_EQ(policy.delay(1, 0.5).count(), 100);
  EXPECT_EQ(policy.delay(2, 0.5).count(), 200);
  EXPECT_EQ(policy.delay(4, 0.5).count(), 800);
  EXPECT_EQ(policy.delay(5, 0.5).count(), 1000);
  EXPECT_EQ(policy.delay(60, 0.5).count(), 1000);
}

TEST(RetryPolicy, JitterStaysWithinItsFraction) {
  const RetryPolicy policy{0, std::chrono::milliseconds(1000), std::chrono::milliseconds(1000),
                           0.2};
  EXPECT_EQ(policy.delay(1, 0.0).count(), 800);
  EXPECT_EQ(policy.delay(1, 0.999999).count(), 1199);
}

TEST(RetryPolicy, IsExhaustedOnlyWithALimit) {
  EXPECT_FALSE(RetryPolicy{}.exhausted(1000));
  EXPECT_TRUE(RetryPolicy{3}.exhausted(3));
  EXPECT_FALSE(RetryPolicy{3}.exhausted(2));
}

}  // namespace tapedeck

namespace tapedeck {
namespace {

TEST(Backoff, WarnsOnceAStreakAndCountsItsFailures) {
  Backoff backoff(RetryPolicy{3, std::chrono::milliseconds(1), std::chrono::milliseconds(1), 0});
  EXPECT_EQ(backoff.succeeded(), 0);
  EXPECT_TRUE(backoff.failed());
  EXPECT_FALSE(backoff.failed());
  EXPECT_FALSE(backoff.exhausted());
  EXPECT_FALSE(backoff.failed());
  EXPECT_TRUE(backoff.exhausted());
  EXPECT_EQ(backoff.failures(), 3);
  EXPECT_EQ(backoff.succeeded(), 3);
  EXPECT_EQ(backoff.failures(), 0);
  EXPECT_TRUE(backoff.failed());
}

TEST(Backoff, WaitsThePolicysDelayUnlessStopped) {
  Backoff backoff(RetryPolicy{0, std::chrono::milliseconds(20), std::chrono::milliseconds(20), 0});
  const auto began = std::chrono::steady_clock::now();
  EXPECT_FALSE(backoff.wait());  // no streak yet: the delay of a first retry
  EXPECT_GE(std::chrono::steady_clock::now() - began, std::chrono::milliseconds(20));
}

}  // namespace
}  // namespace tapedeck
