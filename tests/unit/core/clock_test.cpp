// SystemClock reads the real clocks; FakeClock moves only when told.
#include "core/clock.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace tapedeck {
namespace {

using namespace std::chrono_literals;

TEST(SystemClock, ReadsTheSystemWallClockAndAMonotonicClock) {
  const SystemClock clock;
  const auto before = std::chrono::system_clock::now();
  const auto now = clock.now();
  EXPECT_LE(before, now);
  EXPECT_LE(now - before, 5s);
  const auto first = clock.steady_now();
  EXPECT_LE(first, clock.steady_now());
}

TEST(FakeClock, StandsStillUntilAdvanced) {
  const auto start = std::chrono::sys_days{std::chrono::year{2024} / 5 / 1} + 12h;
  FakeClock clock(start);
  EXPECT_EQ(clock.now(), start);
  const auto steady = clock.steady_now();
  EXPECT_EQ(clock.now(), start);
  clock.advance(1500ms);
  EXPECT_EQ(clock.now(), start + 1500ms);
  EXPECT_EQ(clock.steady_now() - steady, 1500ms);
}

TEST(FakeClock, SetsTheWallClockWithoutMovingTheMonotonicClock) {
  FakeClock clock(std::chrono::system_clock::time_point{} + 100s);
  const auto steady = clock.steady_now();
  clock.set_wall(std::chrono::system_clock::time_point{} + 40s);
  EXPECT_EQ(clock.now(), std::chrono::system_clock::time_point{} + 40s);
  EXPECT_EQ(clock.steady_now(), steady);
}

TEST(FakeClock, RefusesToAdvanceBackwards) {
  FakeClock clock;
  EXPECT_THROW(clock.advance(-1s), Error);
  EXPECT_EQ(clock.now(), std::chrono::system_clock::time_point{});
}

TEST(FakeClock, CanBeUsedThroughTheClockInterface) {
  FakeClock fake(std::chrono::system_clock::time_point{} + 7s);
  const Clock& clock = fake;
  fake.advance(3s);
  EXPECT_EQ(clock.now(), std::chrono::system_clock::time_point{} + 10s);
}

}  // namespace
}  // namespace tapedeck
