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
