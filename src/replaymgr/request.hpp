// The REST API's pure side: parsing and validating requests, and mapping errors to statuses.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/session.hpp"

namespace tapedeck::replaymgr {

// POST /api/sessions, validated: start < end (or no end), a positive speed or max.
struct CreateRequest {
  session::Time start;
  std::optional<session::Time> end;  // none (omitted, null or equal to start): point in time
  session::Speed speed;
  std::string name;
};

// Parses a POST /api/sessions body: {"start": ISO 8601, "end": ISO 8601, "speed": number or
// text ("max", "0.25"; default 1), "name": text (default "")}. Throws Error(input, invalid)
// naming the field for malformed JSON, a missing or ill-typed field, an unknown field, a bad
// time or speed, or an end before the start. An end omitted, null or equal to the start makes
// a point-in-time session (no end).
CreateRequest parse_create_request(std::string_view body);

// POST /api/sessions/<id>/seek: {"to": ISO 8601}. Throws Error(input, invalid) like
// parse_create_request.
session::Time parse_seek_request(std::string_view body);
// POST /api/sessions/<id>/speed: {"speed": number or text}, by the one rule of session::Speed.
session::Speed parse_speed_request(std::string_view body);
// POST /api/sessions/<id>/step: {"count": N} (1 <= N <= 1000000); an empty body or no count
// is 1.
std::int64_t parse_step_request(std::string_view body);
// GET /api/timeline's query: `from` and `to` (ISO 8601; absent: the recording's start and
// end) and `buckets`, how many intervals to count (1..kMaxTimelineBuckets, default
// kDefaultTimelineBuckets).
constexpr int kDefaultTimelineBuckets = 120;
constexpr int kMaxTimelineBuckets = 2000;
struct TimelineRequest {
  std::optional<session::Time> from;
  std::optional<session::Time> to;
  int buckets = kDefaultTimelineBuckets;
};

// GET /api/sessions/{id}/events' `limit`: how many of the newest events (1..kMaxEventsLimit,
// default kDefaultEventsLimit when ""). Throws Error(input, invalid) naming the parameter.
constexpr int kDefaultEventsLimit = 100;
constexpr int kMaxEventsLimit = 1000;
int parse_events_limit(std::string_view limit);

// Parses the query values ("" when absent). Throws Error(input, invalid) naming the parameter
// for a bad time, a bucket count that is not a whole number in range, or `to` not after `from`.
TimelineRequest parse_timeline_request(std::string_view from, std::string_view to,
                                       std::string_view buckets);

// A request refused before anything was written, with its HTTP status and the reason.
struct Refusal {
  int status = 400;
  std::string reason;
};

// What the recording covers, as far as a new session is concerned.
struct RecordingBounds {
  // The newest recorded moment (statements, RTUS calls, the Live DB's system time); none when
  // nothing was recorded yet.
  std::optional<session::Time> latest;
  // Where `latest` came from, for the refusal's text ("statements", "rtus_calls", "system_time").
  std::string latest_source;
  // The newest snapshot taken at or before the request's start (its system time, or creation
  // time when it has none); none when there is no such snapshot.
  std::optional<session::Time> snapshot_at;
};

// 422 when the request reaches beyond what was recorded or has no snapshot at or before its
// start; nullopt when it can be served.
std::optional<Refusal> check_against_recording(const CreateRequest& request,
                                               const RecordingBounds& bounds);

// The same rule for a seek to `to` (bounds read for `to`): 422 when `to` is beyond what was
// recorded, has no snapshot at or before it, or is after the session's end; both bounds are
// named.
std::optional<Refusal> check_seek_against_recording(session::Time to,
                                                    std::optional<session::Time> session_end,
                                                    const RecordingBounds& bounds);

// The HTTP status for an Error: invalid 400, not_found 404, conflict 409, retry 503 (a server
// behind the API is unreachable; try again), fail 500.
int status_for(Recovery recovery);

// The Recovery a client reports for an HTTP status it was refused with (the inverse of
// status_for; 401/403 and other 4xx are `fail`, 5xx `retry` for 502-504 and `fail` otherwise).
Recovery recovery_for_status(long status);

// True when `authorization` (the request's Authorization header) carries `token` as a bearer
// token. An empty `token` means no token is required. Compares in constant time.
bool authorized(std::string_view authorization, std::string_view token);

}  // namespace tapedeck::replaymgr
