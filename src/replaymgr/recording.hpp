// What the recording covers: the newest recorded moment and the snapshots, read from the
// TransformMsg DB and the Live DB.
#pragma once

#include <map>
#include <string>

#include "core/pg/connection.hpp"
#include "core/session.hpp"
#include "replaymgr/request.hpp"

namespace tapedeck::replaymgr {

// The newest recorded moment is the newest of max(commit_time) of tapedeck.statements,
// max(called_at) of tapedeck.rtus_calls (store) and tapedeck.system_time (live); the snapshot
// is the newest row of tapedeck.backups (not being deleted) whose system time, or creation
// time when it has none, is at or before `start`. Both databases must be migrated.
RecordingBounds recording_bounds(pg::Connection& store, pg::Connection& live, session::Time start);

// Sessions per state name (only the states that have any), from tapedeck.sessions.
std::map<std::string, std::int64_t> sessions_by_state(pg::Connection& store);

}  // namespace tapedeck::replaymgr
