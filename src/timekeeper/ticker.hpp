// Planning the timekeeper's 1 Hz ticks on whole-second boundaries, and measuring their jitter.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace tapedeck::timekeeper {

using WallTime = std::chrono::system_clock::time_point;

// The next tick: the boundary it stands for, and what was skipped to get there.
struct TickPlan {
  // The whole second this tick stands for; the caller sleeps until it (not at all when it has
  // passed already) and then ticks.
  std::chrono::sys_seconds boundary;
  // Boundaries skipped since the previous tick because the process was late by more than a
  // second; they are never made up.
  std::uint64_t missed = 0;
  // The wall clock was set back to more than a second before the previous tick: planning
  // restarted from the current time.
  bool clock_stepped_back = false;
};

// Plans ticks against the absolute wall clock, one per whole second, so timing error never
// accumulates: each boundary is computed from the clock, not from a sleep length. Boundaries
// only move forward (each planned at most once) unless the wall clock is set back. Pure: the caller
// supplies `now`. Owned by the timekeeper's tick loop; not thread-safe.
class TickPlanner {
 public:
  // The tick to run next, given the current wall time:
  // - first call: the first whole second at or after `now`;
  // - on time: the second after the previous tick;
  // - late (that second has passed): the latest second at or before `now`, at once; the ones
  //   in between are counted in `missed`;
  // - wall clock set back to more than a second before the previous tick: the first whole
  //   second at or after `now` (a boundary is then planned again: the clock says it is that
  //   time again), with `clock_stepped_back`; a smaller step back just waits for the second
  //   after the previous tick.
  TickPlan next(WallTime now);

  // The boundary of the last planned tick, if any.
  std::optional<std::chrono::sys_seconds> last() const { return last_; }
  // All boundaries skipped so far.
  std::uint64_t missed_total() const { return missed_total_; }

 private:
  std::optional<std::chrono::sys_seconds> last_;
  std::uint64_t missed_total_ = 0;
};

// How far the actual tick was from its boundary: positive when late, negative when early.
std::chrono::nanoseconds tick_offset(std::chrono::sys_seconds boundary, WallTime actual);

// p50, p99 and max of a set of samples (nearest-rank percentiles: the smallest sample with at
// least that share of samples at or below it). All zero for no samples.
struct Percentiles {
  std::size_t count = 0;
  std::chrono::nanoseconds p50{0};
  std::chrono::nanoseconds p99{0};
  std::chrono::nanoseconds max{0};
};
Percentiles percentiles(std::vector<std::chrono::nanoseconds> samples);

// The nearest-rank `fraction` percentile (0 < fraction <= 1) of samples sorted ascending;
// zero for no samples.
std::chrono::nanoseconds percentile_of_sorted(const std::vector<std::chrono::nanoseconds>& sorted,
                                              double fraction);

}  // namespace tapedeck::timekeeper
