// The recording's activity over time, for replaymgr's timeline: statements, RTUS calls and dead
// letters counted per interval, and the span the recording covers. Reads the three tables
// through their named queries (statements_table.hpp, rtus_calls_table.hpp,
// dead_letters_table.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/pg/connection.hpp"

namespace tapedeck::recording {

using Moment = std::chrono::sys_time<std::chrono::microseconds>;

// [from, to] cut into `count` intervals of equal length (the last one may be shorter).
struct Intervals {
  Moment from;
  Moment to;
  int count = 1;

  // The length of each interval: (to - from) / count rounded up, at least 1 µs, so that every
  // moment of [from, to] falls in one of the `count` intervals.
  std::chrono::microseconds length() const;
};

// One count per interval, in order.
struct Activity {
  std::vector<std::int64_t> statements;    // by commit time
  std::vector<std::int64_t> rtus_calls;    // by call time
  std::vector<std::int64_t> dead_letters;  // by arrival (received_at)
};

// Counts the three tables per interval: three grouped queries, one round trip each.
Activity count_activity(pg::Connection& store, const Intervals& intervals);

// The oldest and newest recorded moments over statements and RTUS calls; none when both
// tables are empty.
struct RecordedSpan {
  std::optional<Moment> oldest;
  std::optional<Moment> newest;
};
RecordedSpan recorded_span(pg::Connection& store);

}  // namespace tapedeck::recording
