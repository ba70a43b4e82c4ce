// Which ticks woke late (past timekeeper.late_after) and which of them to log: once per streak.
#pragma once

#include <chrono>
#include <cstdint>

#include "timekeeper/failure_streak.hpp"

namespace tapedeck::timekeeper {

// What to do about one tick's lateness.
struct TickLateness {
  // Woke more than late_after after its boundary: count it. It still runs once, now.
  bool late = false;
  // The first late tick after on-time ones: the one to log.
  bool streak_started = false;
  // An on-time tick ending a streak of this many late ones (0 when none: nothing to log).
  std::uint64_t streak_ended = 0;
};

// Classifies each tick by how far it woke after its boundary (tick_offset). Pure; owned by the
// timekeeper's tick loop; not thread-safe.
class LateTickDetector {
 public:
  explicit LateTickDetector(std::chrono::nanoseconds late_after) : late_after_(late_after) {}

  TickLateness classify(std::chrono::nanoseconds offset) {
    TickLateness result;
    if (offset > late_after_) {
      result.late = true;
      result.streak_started = streak_.failure();
    } else {
      result.streak_ended = streak_.success();
    }
    return result;
  }

 private:
  std::chrono::nanoseconds late_after_;
  FailureStreak streak_;  // a "failure" here is a late tick
};

}  // namespace tapedeck::timekeeper
