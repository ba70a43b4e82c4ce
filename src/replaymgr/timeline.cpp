// The timeline's window and JSON.
#include "replaymgr/timeline.hpp"

#include <algorithm>

namespace tapedeck::replaymgr {

namespace {

// Shown when a window would otherwise be empty (one moment recorded, or a reversed bound).
constexpr std::chrono::hours kFallbackWindow{1};

nlohmann::json time_or_null(const std::optional<session::Time>& time) {
  return time ? nlohmann::json(session::format_time(*time)) : nlohmann::json(nullptr);
}

std::optional<session::Time> earliest(std::optional<session::Time> a,
                                      std::optional<session::Time> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

}  // namespace

std::optional<session::Time> TimelineFacts::recording_end() const {
  if (!span.newest) return live_time;
  if (!live_time) return span.newest;
  return std::max(*span.newest, *live_time);
}

std::optional<session::Time> backup_moment(const backups::BackupRecord& backup) {
  return session::parse_time(backup.system_time.value_or(backup.created_at));
}

std::optional<recording::Intervals> timeline_window(const TimelineRequest& request,
                                                    const TimelineFacts& facts) {
  auto start = request.from;
  if (!start) {
    start = facts.span.oldest;
    if (!facts.backups.empty()) start = earliest(start, backup_moment(facts.backups.front()));
  }
  auto end = request.to ? request.to : facts.recording_end();
  if (!start && !end) return std::nullopt;
  if (!start) start = *end - kFallbackWindow;
  if (!end || *end <= *start) {
    if (request.to) {
      start = *end - kFallbackWindow;
    } else {
      end = *start + kFallbackWindow;
    }
  }
  return recording::Intervals{*start, *end, request.buckets};
}

nlohmann::json timeline_json(const TimelineFacts& facts,
                             const std::optional<recording::Intervals>& window,
                             const recording::Activity& activity) {
  auto backups = nlohmann::json::array();
  for (const auto& backup : facts.backups) {
    backups.push_back({{"id", backup.id},
                       {"at", time_or_null(backup_moment(backup))},
                       {"created_at", backup.created_at},
                       {"system_time", backup.system_time ? nlohmann::json(*backup.system_time)
                                                          : nlohmann::json(nullptr)},
                       {"lsn", backup.lsn.str()}});
  }
  nlohmann::json json = {
      {"from", window ? time_or_null(window->from) : nlohmann::json(nullptr)},
      {"to", window ? time_or_null(window->to) : nlohmann::json(nullptr)},
      {"buckets", window ? window->count : 0},
      {"bucket_seconds", window ? std::chrono::duration<double>(window->length()).count() : 0.0},
      {"statements", window ? activity.statements : std::vector<std::int64_t>{}},
      {"rtus_calls", window ? activity.rtus_calls : std::vector<std::int64_t>{}},
      {"dead_letters", window ? activity.dead_letters : std::vector<std::int64_t>{}},
      {"backups", backups},
      {"recording",
       {{"oldest", time_or_null(facts.span.oldest)},
        {"newest", time_or_null(facts.span.newest)},
        {"live_system_time", time_or_null(facts.live_time)},
        {"recorded_until", time_or_null(facts.recorded_until)},
        {"end", time_or_null(facts.recording_end())}}},
  };
  return json;
}

}  // namespace tapedeck::replaymgr
