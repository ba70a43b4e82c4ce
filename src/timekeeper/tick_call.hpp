// What one tick sends: the RTUS notification (HTTP request and its recorded RtusCall twin).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/rtus_call.hpp"

namespace tapedeck::timekeeper {

// Where and how the timekeeper notifies the RTUS (rtus.*). Plain value.
struct RtusTarget {
  std::string url;  // empty: no RTUS
  std::string method = "POST";
  std::chrono::milliseconds timeout{300};
  std::string token;  // bearer token; sent, never recorded
};

// The path and query of `url` ("http://host:1/a/b?x=1" -> "/a/b?x=1"; no path -> "/").
// Throws Error(config, invalid) when `url` is not an http:// or https:// URL.
std::string url_path(std::string_view url);

// "tk-<Unix seconds>": the id of the tick's RTUS call and the Nats-Msg-Id of its message, so a
// re-publish of the same tick (a retry, or a second timekeeper) is stored once.
std::string tick_call_id(std::chrono::sys_seconds boundary);

// The JSON body of the notification: {"time":"2026-01-02T03:04:05.000000Z","tick":<Unix s>}.
std::string tick_body(std::chrono::sys_seconds boundary);

// The call the timekeeper makes for the tick at `boundary`: id, time, method, path of the
// target URL, Content-Type header and the body. The token is left out on purpose: recorded
// calls are replayed elsewhere and stored in the TransformMsg DB.
RtusCall tick_call(const RtusTarget& target, std::chrono::sys_seconds boundary);

}  // namespace tapedeck::timekeeper
