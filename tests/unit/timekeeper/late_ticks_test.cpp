// LateTickDetector: which ticks count as late, and that a streak of them is logged once.
#include "timekeeper/late_ticks.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "core/clock.hpp"
#include "timekeeper/ticker.hpp"

namespace tapedeck::timekeeper {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

const sys_seconds T = sys_days{2024y / June / 1} + 10h;  // a whole second

TEST(LateTickDetector, AnOnTimeTickIsNotLate) {
  LateTickDetector detector(100ms);
  for (const nanoseconds offset : std::vector<nanoseconds>{0ns, 2ms, 99ms, 100ms, -3ms}) {
    const TickLateness result = detector.classify(offset);
    EXPECT_FALSE(result.late) << offset.count();
    EXPECT_FALSE(result.streak_started) << offset.count();
    EXPECT_EQ(result.streak_ended, 0u) << offset.count();
  }
}

TEST(LateTickDetector, ATickWaking150MsLateIsLate) {
  LateTickDetector detector(100ms);
  const TickLateness result = detector.classify(150ms);
  EXPECT_TRUE(result.late);
  EXPECT_TRUE(result.streak_started);
  EXPECT_TRUE(detector.classify(100ms + 1ns).late);
}

TEST(LateTickDetector, LogsAStreakOfLateTicksOnceAndItsEndOnce) {
  LateTickDetector detector(100ms);
  int started = 0;
  std::vector<std::uint64_t> ended;
  // on time, four late, on time twice, one late, on time
  const std::vector<nanoseconds> offsets{1ms, 150ms, 300ms, 999ms, 120ms, 5ms, 4ms, 200ms, 1ms};
  for (const nanoseconds offset : offsets) {
    const TickLateness result = detector.classify(offset);
    if (result.streak_started) ++started;
    if (result.streak_ended > 0) ended.push_back(result.streak_ended);
  }
  EXPECT_EQ(started, 2);
  EXPECT_EQ(ended, (std::vector<std::uint64_t>{4, 1}));
}

TEST(LateTickDetector, ALateTickIsCountedButStillRunsOnlyOnce) {
  // The tick loop as the service runs it: plan, wake (150 ms late for T+2s), classify.
  FakeClock clock(T + 20ms);
  TickPlanner planner;
  LateTickDetector detector(100ms);
  std::vector<sys_seconds> ran;
  int late = 0;
  for (int i = 1; i <= 4; ++i) {
    const TickPlan plan = planner.next(clock.now());
    clock.advance(plan.boundary - clock.now() + (i == 2 ? 150ms : 1ms));
    if (detector.classify(tick_offset(plan.boundary, clock.now())).late) ++late;
    ran.push_back(plan.boundary);
    clock.advance(10ms);  // the tick's work
  }
  EXPECT_EQ(late, 1);
  EXPECT_EQ(ran, (std::vector<sys_seconds>{T + 1s, T + 2s, T + 3s, T + 4s}));
  EXPECT_EQ(planner.missed_total(), 0u);
}

}  // namespace
}  // namespace tapedeck::timekeeper
