// Reads the recording's extent and the snapshot for a session start.
#include "replaymgr/recording.hpp"

#include <algorithm>
#include <optional>

#include "core/backups/backups_table.hpp"
#include "core/pg/params.hpp"
#include "core/pg/result.hpp"
#include "core/recording/statements_table.hpp"

namespace tapedeck::replaymgr {

namespace {

// Times travel as microseconds since the epoch (extract() is exact numeric).
constexpr std::string_view kLiveSystemTime = R"(
SELECT (extract(epoch FROM max(system_time)) * 1000000)::int8 AS system_time
FROM tapedeck.system_time)";

constexpr std::string_view kSessionsByState =
    "SELECT state, count(*)::int8 AS sessions FROM tapedeck.sessions GROUP BY state";

std::optional<session::Time> time_at(const pg::Result& result, std::string_view column) {
  const auto micros = result.get<std::optional<std::int64_t>>(0, column);
  if (!micros) return std::nullopt;
  return session::Time(std::chrono::microseconds(*micros));
}

}  // namespace

RecordingBounds recording_bounds(pg::Connection& store, pg::Connection& live, session::Time start) {
  RecordingBounds bounds;
  const auto consider = [&bounds](std::optional<session::Time> time, const char* source) {
    if (time && (!bounds.latest || *time > *bounds.latest)) {
      bounds.latest = time;
      bounds.latest_source = source;
    }
  };
  const auto store_result = store.exec(recording::statements::kNewestRecorded);
  consider(time_at(store_result, "statements"), "statement commit");
  consider(time_at(store_result, "rtus_calls"), "RTUS call");
  consider(time_at(live.exec(kLiveSystemTime), "system_time"), "Live DB system time");

  pg::Params params;
  params.add(static_cast<std::int64_t>(start.time_since_epoch().count()));
  bounds.snapshot_at = time_at(live.exec_params(backups::table::kTakenAtOrBefore, params), "taken");
  return bounds;
}

std::optional<std::chrono::microseconds> RecordingLag::lag() const {
  if (!recorded_until || !live_time) return std::nullopt;
  return std::max(std::chrono::microseconds{0}, *live_time - *recorded_until);
}

nlohmann::json RecordingLag::to_json() const {
  const auto text = [](const std::optional<session::Time>& time) -> nlohmann::json {
    return time ? nlohmann::json(session::format_time(*time)) : nlohmann::json(nullptr);
  };
  const auto behind = lag();
  return {{"recorded_until", text(recorded_until)},
          {"live_system_time", text(live_time)},
          {"lag_seconds", behind ? nlohmann::json(std::chrono::duration<double>(*behind).count())
                                 : nlohmann::json(nullptr)},
          {"held_transactions", held}};
}

std::optional<session::Time> live_system_time(pg::Connection& live) {
  return time_at(live.exec(kLiveSystemTime), "system_time");
}

std::map<std::string, std::int64_t> sessions_by_state(pg::Connection& store) {
  const auto result = store.exec(kSessionsByState);
  std::map<std::string, std::int64_t> counts;
  for (int row = 0; row < result.rows(); ++row) {
    counts[result.get<std::string>(row, "state")] = result.get<std::int64_t>(row, "sessions");
  }
  return counts;
}

}  // namespace tapedeck::replaymgr
