#include "core/service/health_state.hpp"

#include <gtest/gtest.h>

namespace tapedeck::service {

TEST(HealthState, StartsHealthy) {
  const HealthState health;
  EXPECT_TRUE(health.get().ok);
  EXPECT_EQ(health.get().detail, "");
}

TEST(HealthState, ReportsTheLatestFailureDetail) {
  HealthState health;
  health.failing("store down");
  health.failing("store still down");
  EXPECT_FALSE(health.get().ok);
  EXPECT_EQ(health.get().detail, "store still down");
}

TEST(HealthState, SaysWhenAFailureStartsAndWhenItEnds) {
  HealthState health;
  EXPECT_FALSE(health.healthy());
  EXPECT_TRUE(health.failing("a"));
  EXPECT_FALSE(health.failing("b"));
  EXPECT_TRUE(health.healthy());
  EXPECT_FALSE(health.healthy());
  EXPECT_TRUE(health.get().ok);
}

TEST(HealthState, AnEmptyFailureDetailStillReadsAsFailing) {
  HealthState health;
  health.failing("");
  EXPECT_FALSE(health.get().ok);
  EXPECT_FALSE(health.get().detail.empty());
}

}  // namespace tapedeck::service
