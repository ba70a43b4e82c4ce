// libFuzzer target: replaymgr's request parsing (src/replaymgr/request.cpp). The first byte picks
// the parser, the rest is its input: a JSON body (create, seek, speed, step), query values
// (timeline, events limit; split at NUL bytes), a bare speed or time, an Authorization header.
// Refusals (tapedeck::Error) are the expected outcome for bad input; anything else (another
// exception, a sanitizer report, a hang) is a bug. Accepted values are checked for the
// invariants the routes rely on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/session.hpp"
#include "replaymgr/request.hpp"

namespace {

using namespace tapedeck;

// Up to `count` NUL-separated parts of `text` ("" for those missing).
std::vector<std::string_view> parts(std::string_view text, std::size_t count) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < count) {
    const auto nul = text.find('\0');
    if (nul == std::string_view::npos) break;
    out.push_back(text.substr(0, nul));
    text.remove_prefix(nul + 1);
  }
  out.push_back(text);
  out.resize(count);
  return out;
}

void check(bool invariant) {
  if (!invariant) std::abort();
}

void exercise(std::uint8_t which, std::string_view input) {
  switch (which % 9) {
    case 0: {
      const auto request = replaymgr::parse_create_request(input);
      if (request.end) check(*request.end > request.start);
      replaymgr::RecordingBounds bounds;
      bounds.latest = request.start;
      bounds.snapshot_at = request.start;
      (void)replaymgr::check_against_recording(request, bounds);
      break;
    }
    case 1: {
      const auto to = replaymgr::parse_seek_request(input);
      (void)session::format_time(to);
      break;
    }
    case 2: {
      const auto speed = replaymgr::parse_speed_request(input);
      (void)speed.str();
      break;
    }
    case 3: {
      const auto count = replaymgr::parse_step_request(input);
      check(count >= 1 && count <= 1'000'000);
      break;
    }
    case 4: {
      const auto query = parts(input, 3);
      const auto request = replaymgr::parse_timeline_request(query[0], query[1], query[2]);
      check(request.buckets >= 1 && request.buckets <= replaymgr::kMaxTimelineBuckets);
      if (request.from && request.to) check(*request.to > *request.from);
      break;
    }
    case 5: {
      const int limit = replaymgr::parse_events_limit(input);
      check(limit >= 1 && limit <= replaymgr::kMaxEventsLimit);
      break;
    }
    case 6: {
      // A time as the API writes it parses back to the same moment.
      if (const auto time = session::parse_time(input)) {
        check(session::parse_time(session::format_time(*time)) == time);
      }
      break;
    }
    case 7: {
      const auto speed = session::Speed::parse(input);
      (void)session::Speed::parse(speed.str());
      break;
    }
    default: {
      const auto header = parts(input, 2);
      (void)replaymgr::authorized(header[0], header[1]);
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    exercise(data[0], input);
  } catch (const tapedeck::Error&) {
    // A refusal: what bad input should get.
  }
  return 0;
}
