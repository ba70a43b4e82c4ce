// One recorded call to the real-time update service (RTUS): the message format on
// "<nats.cdc_prefix>.rtus" that the timekeeper publishes, transform stores and msgop replays.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tapedeck {

// The JSON body of a message on "<prefix>.rtus", one object:
//   {"id": "tk-1700000000-42",                      string, optional (see below)
//    "time": "2026-01-02T03:04:05.123456Z",        RFC 3339, UTC "Z" or a +hh:mm offset
//    "method": "POST",                              HTTP method, upper case
//    "path": "/time?x=1",                           path and query, starts with "/"
//    "headers": {"Content-Type": "application/json"},  string values only, optional
//    "body": "..."}                                 text, optional (default "")
// `id` makes storing idempotent; when absent the consumer falls back to the message's
// Nats-Msg-Id, then to "<stream>:<stream sequence>". Publishers should set both `id` and
// Nats-Msg-Id to the same value. Plain value type.
struct RtusCall {
  std::string id;
  std::int64_t time_us = 0;  // microseconds since the Unix epoch, UTC
  std::string method;
  std::string path;
  std::vector<std::pair<std::string, std::string>> headers;  // in order; keys unique
  std::string body;

  friend bool operator==(const RtusCall&, const RtusCall&) = default;
};

// The JSON object above; `time` printed with 6 fraction digits and "Z". `id` is left out when
// empty.
std::string to_json(const RtusCall& call);

// Parses the JSON object above. Throws Error(input, invalid) naming the field and the problem
// for malformed JSON, a missing or mistyped field, an unknown method or an unparsable time.
RtusCall parse_rtus_call(std::string_view json);

// "2026-01-02T03:04:05.123456Z" for microseconds since the epoch (years 1..9999).
std::string format_rfc3339_micros(std::int64_t time_us);
// Reads RFC 3339 ("T" or " " between date and time, 0-9 fraction digits, "Z" or +hh:mm /
// -hh:mm); fraction digits beyond microseconds are truncated (timestamptz keeps
// microseconds). Throws Error(input, invalid).
std::int64_t parse_rfc3339_micros(std::string_view text);

}  // namespace tapedeck
