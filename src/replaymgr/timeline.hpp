// GET /api/timeline: the recording over time for the web console. Which window to show, and
// the answer's JSON; the facts are read by the service (core/recording, core/backups).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "core/backups/backup_record.hpp"
#include "core/recording/activity.hpp"
#include "core/session.hpp"
#include "replaymgr/request.hpp"

namespace tapedeck::replaymgr {

// What the timeline shows besides the per-interval counts. Plain value.
struct TimelineFacts {
  recording::RecordedSpan span;                 // statements and RTUS calls
  std::optional<session::Time> live_time;       // the Live DB's newest system time
  std::optional<session::Time> recorded_until;  // proven stored (transform's watermark)
  std::vector<backups::BackupRecord> backups;   // oldest first

  // Where the recording ends now: the newest of the span and the Live DB's system time, the
  // same rule POST /api/sessions checks an end against.
  std::optional<session::Time> recording_end() const;
};

// The moment a backup holds the Live DB as it was: its system time, or its creation time when
// it has none (the rule dbop picks a snapshot by).
std::optional<session::Time> backup_moment(const backups::BackupRecord& backup);

// The intervals to count: the request's `from` and `to` where given; otherwise from the oldest
// of the recording's start and the first backup, to the recording's end. A window that would
// be empty or reversed is widened to an hour. None when nothing was recorded and no bound given.
std::optional<recording::Intervals> timeline_window(const TimelineRequest& request,
                                                    const TimelineFacts& facts);

// The response body (docs/api.md, GET /api/timeline). `activity` is ignored without a window.
nlohmann::json timeline_json(const TimelineFacts& facts,
                             const std::optional<recording::Intervals>& window,
                             const recording::Activity& activity);

}  // namespace tapedeck::replaymgr
