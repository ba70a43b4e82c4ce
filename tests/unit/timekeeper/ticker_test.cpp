// TickPlanner: whole-second boundaries, late and missed ticks, clock steps; jitter percentiles.
#include "timekeeper/ticker.hpp"

#include <gtest/gtest.h>

#include "core/clock.hpp"

namespace tapedeck::timekeeper {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

const sys_seconds T = sys_days{2024y / June / 1} + 10h;  // a whole second

TEST(TickPlanner, FirstTicksOnTheNextWholeSecond) {
  TickPlanner planner;
  const TickPlan plan = planner.next(T + 300ms);
  EXPECT_EQ(plan.boundary, T + 1s);
  EXPECT_EQ(plan.missed, 0u);
  EXPECT_FALSE(plan.clock_stepped_back);
  EXPECT_EQ(planner.last(), T + 1s);
}

TEST(TickPlanner, FirstTicksAtOnceWhenStartedExactlyOnASecond) {
  TickPlanner planner;
  EXPECT_EQ(planner.next(T).boundary, T);
}

TEST(TickPlanner, TicksEverySecondWithoutDriftWhateverTheTickTakes) {
  // Each tick starts a few ms late and takes a varying time: the boundaries stay whole.
  FakeClock clock(T + 20ms);
  TickPlanner planner;
  for (int i = 1; i <= 100; ++i) {
    const TickPlan plan = planner.next(clock.now());
    EXPECT_EQ(plan.boundary, T + seconds{i});
    EXPECT_EQ(plan.missed, 0u);
    clock.advance(plan.boundary - clock.now() + milliseconds{i % 7});  // sleep + wake-up delay
    clock.advance(milliseconds{100 + 7 * (i % 50)});                   // the tick's work
  }
  EXPECT_EQ(planner.missed_total(), 0u);
}

TEST(TickPlanner, RunsALateTickAtOnceWithoutCountingItMissed) {
  TickPlanner planner;
  planner.next(T - 1s + 500ms);                    // plans T
  const TickPlan plan = planner.next(T + 1400ms);  // T+1s passed 400 ms ago
  EXPECT_EQ(plan.boundary, T + 1s);
  EXPECT_EQ(plan.missed, 0u);
}

TEST(TickPlanner, CountsTicksMissedWhenLateByMoreThanASecondAndNeverMakesThemUp) {
  TickPlanner planner;
  planner.next(T - 500ms);                         // plans T
  const TickPlan late = planner.next(T + 4300ms);  // T+1..T+3 missed, T+4 runs now
  EXPECT_EQ(late.boundary, T + 4s);
  EXPECT_EQ(late.missed, 3u);
  const TickPlan after = planner.next(T + 4310ms);
  EXPECT_EQ(after.boundary, T + 5s);
  EXPECT_EQ(after.missed, 0u);
  EXPECT_EQ(planner.missed_total(), 3u);
}

TEST(TickPlanner, PlansEveryBoundaryAtMostOnce) {
  TickPlanner planner;
  std::vector<sys_seconds> boundaries;
  // Each call comes after the previous boundary was reached: on time, late, very late.
  for (const milliseconds offset :
       {100ms, 1000ms, 2001ms, 4500ms, 4600ms, 9900ms, 9950ms, 10000ms}) {
    boundaries.push_back(planner.next(T + offset).boundary);
  }
  for (std::size_t i = 1; i < boundaries.size(); ++i) {
    EXPECT_GT(boundaries[i], boundaries[i - 1]) << i;
  }
  EXPECT_EQ(boundaries, (std::vector<sys_seconds>{T + 1s, T + 2s, T + 3s, T + 4s, T + 5s, T + 9s,
                                                  T + 10s, T + 11s}));
  EXPECT_EQ(planner.missed_total(), 3u);  // T+6s, T+7s, T+8s
}

TEST(TickPlanner, RestartsFromTheCurrentTimeWhenTheWallClockIsSetBack) {
  TickPlanner planner;
  planner.next(T - 100ms);                             // plans T
  const TickPlan plan = planner.next(T - 1h + 200ms);  // clock set back an hour
  EXPECT_TRUE(plan.clock_stepped_back);
  EXPECT_EQ(plan.boundary, T - 1h + 1s);
  EXPECT_EQ(plan.missed, 0u);
  // A small step back (under a second) just waits for the next boundary.
  TickPlanner other;
  other.next(T - 100ms);  // plans T
  const TickPlan small = other.next(T - 300ms);
  EXPECT_FALSE(small.clock_stepped_back);
  EXPECT_EQ(small.boundary, T + 1s);
}

TEST(TickOffset, IsSignedDistanceFromTheBoundary) {
  EXPECT_EQ(tick_offset(T, T + 1234us), 1234us);
  EXPECT_EQ(tick_offset(T, T - 2ms), -2ms);
  EXPECT_EQ(tick_offset(T, T), 0ns);
}

TEST(Percentiles, UsesNearestRank) {
  std::vector<nanoseconds> samples;
  for (int i = 100; i >= 1; --i) samples.push_back(milliseconds{i});  // unsorted on purpose
  const Percentiles result = percentiles(samples);
  EXPECT_EQ(result.count, 100u);
  EXPECT_EQ(result.p50, 50ms);
  EXPECT_EQ(result.p99, 99ms);
  EXPECT_EQ(result.max, 100ms);
}

TEST(Percentiles, PicksTheOutlierAsP99OnlyWhenItIsMoreThanOnePercent) {
  std::vector<nanoseconds> samples(199, 1ms);
  samples.push_back(80ms);
  EXPECT_EQ(percentiles(samples).p99, 1ms);
  EXPECT_EQ(percentiles(samples).max, 80ms);
  samples.assign(99, 1ms);
  samples.push_back(80ms);
  samples.push_back(80ms);
  EXPECT_EQ(percentiles(samples).p99, 80ms);
}

TEST(Percentiles, HandlesOneAndNoSamples) {
  const Percentiles one = percentiles({3ms});
  EXPECT_EQ(one.count, 1u);
  EXPECT_EQ(one.p50, 3ms);
  EXPECT_EQ(one.p99, 3ms);
  EXPECT_EQ(one.max, 3ms);
  const Percentiles none = percentiles({});
  EXPECT_EQ(none.count, 0u);
  EXPECT_EQ(none.max, 0ns);
}

TEST(Percentiles, ReadsAnyFractionOfSortedSamples) {
  const std::vector<nanoseconds> sorted{1ms, 2ms, 3ms, 4ms};
  EXPECT_EQ(percentile_of_sorted(sorted, 0.25), 1ms);
  EXPECT_EQ(percentile_of_sorted(sorted, 0.5), 2ms);
  EXPECT_EQ(percentile_of_sorted(sorted, 0.51), 3ms);
  EXPECT_EQ(percentile_of_sorted(sorted, 1.0), 4ms);
  EXPECT_EQ(percentile_of_sorted({}, 0.5), 0ns);
}

}  // namespace
}  // namespace tapedeck::timekeeper
