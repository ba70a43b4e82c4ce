// Building the RTUS notification of a tick.
#include "timekeeper/tick_call.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace tapedeck::timekeeper {

std::string url_path(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else {
    throw Error(ErrorSource::config, Recovery::invalid,
                fmt::format("rtus.url '{}' is not an http:// or https:// URL", url));
  }
  const auto slash = rest.find_first_of("/?#");
  if (slash == std::string_view::npos || rest[slash] == '#') return "/";
  std::string path(rest.substr(slash));
  if (const auto hash = path.find('#'); hash != std::string::npos) path.resize(hash);
  if (path.front() == '?') path.insert(path.begin(), '/');
  return path;
}

std::string tick_call_id(std::chrono::sys_seconds boundary) {
  return fmt::format("tk-{}", boundary.time_since_epoch().count());
}

std::string tick_body(std::chrono::sys_seconds boundary) {
  const auto seconds = boundary.time_since_epoch().count();
  nlohmann::json body = {{"time", format_rfc3339_micros(seconds * 1'000'000)}, {"tick", seconds}};
  return body.dump();
}

RtusCall tick_call(const RtusTarget& target, std::chrono::sys_seconds boundary) {
  RtusCall call;
  call.id = tick_call_id(boundary);
  call.time_us = boundary.time_since_epoch().count() * 1'000'000;
  call.method = target.method;
  call.path = url_path(target.url);
  call.headers = {{"Content-Type", "application/json"}};
  call.body = tick_body(boundary);
  return call;
}

}  // namespace tapedeck::timekeeper
