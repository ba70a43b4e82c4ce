// Per-interval counts of the recording's tables, and its span.
#include "core/recording/activity.hpp"

#include <algorithm>

#include "core/pg/params.hpp"
#include "core/pg/result.hpp"
#include "core/recording/dead_letters_table.hpp"
#include "core/recording/rtus_calls_table.hpp"
#include "core/recording/statements_table.hpp"

namespace tapedeck::recording {

namespace {

std::vector<std::int64_t> count_per_interval(pg::Connection& store, const char* query,
                                             const Intervals& intervals) {
  const auto params =
      pg::Params::of(static_cast<std::int64_t>(intervals.from.time_since_epoch().count()),
                     static_cast<std::int64_t>(intervals.to.time_since_epoch().count()),
                     static_cast<std::int64_t>(intervals.length().count()),
                     static_cast<std::int64_t>(intervals.count));
  const auto result = store.exec_params(query, params);
  std::vector<std::int64_t> counts(static_cast<std::size_t>(intervals.count), 0);
  for (int row = 0; row < result.rows(); ++row) {
    const auto bucket = result.get<std::int64_t>(row, "bucket");
    if (bucket >= 0 && bucket < intervals.count) {
      counts[static_cast<std::size_t>(bucket)] = result.get<std::int64_t>(row, "count");
    }
  }
  return counts;
}

std::optional<Moment> moment_at(const pg::Result& result, std::string_view column) {
  const auto micros = result.get<std::optional<std::int64_t>>(0, column);
  if (!micros) return std::nullopt;
  return Moment(std::chrono::microseconds(*micros));
}

// The earlier (or later) of two optional moments; either may be absent.
std::optional<Moment> pick(std::optional<Moment> a, std::optional<Moment> b, bool earliest) {
  if (!a) return b;
  if (!b) return a;
  return earliest ? std::min(*a, *b) : std::max(*a, *b);
}

}  // namespace

std::chrono::microseconds Intervals::length() const {
  const auto span = std::max(std::chrono::microseconds{0}, to - from);
  const auto parts = std::max(1, count);
  return std::max(std::chrono::microseconds{1},
                  (span + std::chrono::microseconds(parts - 1)) / parts);
}

Activity count_activity(pg::Connection& store, const Intervals& intervals) {
  return {count_per_interval(store, statements::kCountPerInterval, intervals),
          count_per_interval(store, rtus_calls::kCountPerInterval, intervals),
          count_per_interval(store, dead_letters::kCountPerInterval, intervals)};
}

RecordedSpan recorded_span(pg::Connection& store) {
  const auto oldest = store.exec(statements::kOldestRecorded);
  const auto newest = store.exec(statements::kNewestRecorded);
  return {pick(moment_at(oldest, "statements"), moment_at(oldest, "rtus_calls"), true),
          pick(moment_at(newest, "statements"), moment_at(newest, "rtus_calls"), false)};
}

}  // namespace tapedeck::recording
