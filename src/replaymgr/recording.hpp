// What the recording covers: the newest recorded moment and the snapshots, read from the
// TransformMsg DB and the Live DB.
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/pg/connection.hpp"
#include "core/session.hpp"
#include "replaymgr/request.hpp"

namespace tapedeck::replaymgr {

// The newest recorded moment is the newest of max(commit_time) of tapedeck.statements,
// max(called_at) of tapedeck.rtus_calls (store) and tapedeck.system_time (live); the snapshot
// is the newest row of tapedeck.backups (not being deleted) whose system time, or creation
// time when it has none, is at or before `start`. Both databases must be migrated.
RecordingBounds recording_bounds(pg::Connection& store, pg::Connection& live, session::Time start);

// How far the recording is stored against how far the Live DB has gone: `recorded_until` is
// proven by transform's watermark (core/recording), `live_time` is the Live DB's newest system
// time (the timekeeper's tick). A recording that keeps up lags by about a second. The store's
// and the Live DB's parts are read apart (recording::watermarks::recorded_until and
// live_system_time).
struct RecordingLag {
  std::optional<session::Time> recorded_until;
  std::optional<session::Time> live_time;
  // Commit LSNs of capture transactions stored with messages missing, oldest first: the
  // watermark, so recorded_until, stays before the first until they arrive.
  std::vector<std::string> held;
  // live_time - recorded_until, never negative; none when either is unknown.
  std::optional<std::chrono::microseconds> lag() const;
  nlohmann::json to_json() const;
};

// The Live DB's newest system time (tapedeck.system_time), none before the first tick.
std::optional<session::Time> live_system_time(pg::Connection& live);

// Sessions per state name (only the states that have any), from tapedeck.sessions.
std::map<std::string, std::int64_t> sessions_by_state(pg::Connection& store);

}  // namespace tapedeck::replaymgr
