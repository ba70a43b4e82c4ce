// Request parsing and validation for the replaymgr REST API.
#include "replaymgr/request.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <nlohmann/json.hpp>

namespace tapedeck::replaymgr {

namespace {

Error invalid(std::string message) {
  return Error(ErrorSource::input, Recovery::invalid, std::move(message));
}

session::Time required_time(const nlohmann::json& body, const char* field) {
  const auto found = body.find(field);
  if (found == body.end() || found->is_null()) {
    throw invalid(
        fmt::format("field '{}' is missing; give an ISO 8601 time such as "
                    "\"2026-01-01T10:00:00Z\"",
                    field));
  }
  if (!found->is_string()) {
    throw invalid(fmt::format("field '{}' must be an ISO 8601 time as a string, not {}", field,
                              found->type_name()));
  }
  const auto text = found->get<std::string>();
  const auto time = session::parse_time(text);
  if (!time) {
    throw invalid(
        fmt::format("field '{}' = \"{}\" is not an ISO 8601 time; use e.g. "
                    "\"2026-01-01T10:00:00Z\" or \"2026-01-01T12:00:00+02:00\"",
                    field, text));
  }
  return *time;
}

// The speed follows the one rule of session::Speed, as text ("0.25", "max") or as a JSON
// number (0.25): what msgop would refuse is refused here, with its reason.
session::Speed speed_of(const nlohmann::json& body) {
  const auto found = body.find("speed");
  if (found == body.end() || found->is_null()) return session::Speed{};
  try {
    if (found->is_string()) return session::Speed::parse(found->get<std::string>());
    if (found->is_number_integer()) return session::Speed::parse(found->dump());
    if (found->is_number()) return session::Speed::factor(found->get<double>());
  } catch (const Error& error) {
    throw invalid(fmt::format("field {}", error.message()));
  }
  throw invalid(fmt::format("field 'speed' must be a positive number or \"max\", not {}",
                            found->type_name()));
}

std::string name_of(const nlohmann::json& body) {
  const auto found = body.find("name");
  if (found == body.end() || found->is_null()) return {};
  if (!found->is_string()) {
    throw invalid(fmt::format("field 'name' must be a string, not {}", found->type_name()));
  }
  return found->get<std::string>();
}

// The body as a JSON object whose fields are all in `fields` (an empty body is {} when
// `empty_allowed`); `example` shows a valid body in the refusal.
nlohmann::json object_body(std::string_view body, std::initializer_list<std::string_view> fields,
                           std::string_view example, bool empty_allowed = false) {
  if (empty_allowed && body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return nlohmann::json::object();
  }
  const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    throw invalid(
        fmt::format("the request body is not valid JSON; send an object such as {}", example));
  }
  if (!json.is_object()) {
    throw invalid(fmt::format("the request body must be a JSON object, not {}", json.type_name()));
  }
  for (const auto& [key, value] : json.items()) {
    if (std::find(fields.begin(), fields.end(), key) == fields.end()) {
      throw invalid(
          fmt::format("unknown field '{}'; this request takes {}", key, fmt::join(fields, ", ")));
    }
  }
  return json;
}

}  // namespace

CreateRequest parse_create_request(std::string_view body) {
  const auto json =
      object_body(body, {"start", "end", "speed", "name"},
                  R"({"start": "2026-01-01T10:00:00Z", "end": "2026-01-01T11:00:00Z"})");
  CreateRequest request;
  request.start = required_time(json, "start");
  if (json.contains("end") && !json["end"].is_null()) request.end = required_time(json, "end");
  request.speed = speed_of(json);
  request.name = name_of(json);
  if (request.end && *request.end < request.start) {
    throw invalid(fmt::format(
        "end {} is before start {}; give an end later than the start, or none (or the start "
        "itself) for a point-in-time session",
        session::format_time(*request.end), session::format_time(request.start)));
  }
  if (request.end == request.start) request.end.reset();  // a point in time
  return request;
}

session::Time parse_seek_request(std::string_view body) {
  return required_time(object_body(body, {"to"}, R"({"to": "2026-01-01T10:30:00Z"})"), "to");
}

session::Speed parse_speed_request(std::string_view body) {
  const auto json = object_body(body, {"speed"}, R"({"speed": 2} or {"speed": "max"})");
  if (!json.contains("speed") || json["speed"].is_null()) {
    throw invalid("field 'speed' is missing; give a positive number such as 2 or 0.5, or \"max\"");
  }
  return speed_of(json);
}

std::int64_t parse_step_request(std::string_view body) {
  constexpr std::int64_t kMaxSteps = 1'000'000;
  const auto json = object_body(body, {"count"}, R"({"count": 10})", /*empty_allowed=*/true);
  const auto found = json.find("count");
  if (found == json.end() || found->is_null()) return 1;
  if (!found->is_number_integer() || found->get<std::int64_t>() < 1 ||
      found->get<std::int64_t>() > kMaxSteps) {
    throw invalid(fmt::format("field 'count' = {} must be a whole number from 1 to {}",
                              found->dump(), kMaxSteps));
  }
  return found->get<std::int64_t>();
}

int parse_events_limit(std::string_view limit) {
  if (limit.empty()) return kDefaultEventsLimit;
  const bool digits = limit.size() <= 9 && std::all_of(limit.begin(), limit.end(),
                                                       [](char c) { return c >= '0' && c <= '9'; });
  const int count = digits ? std::stoi(std::string(limit)) : 0;
  if (count < 1 || count > kMaxEventsLimit) {
    throw Error(ErrorSource::input, Recovery::invalid,
                fmt::format("query parameter 'limit' = \"{}\" must be a whole number from 1 to {}",
                            limit, kMaxEventsLimit));
  }
  return count;
}

TimelineRequest parse_timeline_request(std::string_view from, std::string_view to,
                                       std::string_view buckets) {
  TimelineRequest request;
  const auto time_of = [](std::string_view name, std::string_view text) {
    std::optional<session::Time> time;
    if (text.empty()) return time;
    time = session::parse_time(text);
    if (!time) {
      throw invalid(fmt::format(
          "query parameter '{}' = \"{}\" is not an ISO 8601 time; use e.g. 2026-01-01T10:00:00Z",
          name, text));
    }
    return time;
  };
  request.from = time_of("from", from);
  request.to = time_of("to", to);
  if (request.from && request.to && *request.to <= *request.from) {
    throw invalid("query parameter 'to' must be after 'from'");
  }
  if (!buckets.empty()) {
    const bool digits =
        buckets.size() <= 9 && std::all_of(buckets.begin(), buckets.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c)) != 0;
        });
    const int count = digits ? std::stoi(std::string(buckets)) : 0;
    if (count < 1 || count > kMaxTimelineBuckets) {
      throw invalid(
          fmt::format("query parameter 'buckets' = \"{}\" must be a whole number from 1 to {}",
                      buckets, kMaxTimelineBuckets));
    }
    request.buckets = count;
  }
  return request;
}

std::optional<Refusal> check_against_recording(const CreateRequest& request,
                                               const RecordingBounds& bounds) {
  if (!bounds.latest) {
    return Refusal{422,
                   "nothing has been recorded yet (no statements, RTUS calls or system time); "
                   "run capture and transform first"};
  }
  const auto latest = session::format_time(*bounds.latest);
  if (request.start > *bounds.latest) {
    return Refusal{422,
                   fmt::format("start {} is beyond what was recorded: the recording ends at "
                               "{} (newest {}); choose an earlier start",
                               session::format_time(request.start), latest, bounds.latest_source)};
  }
  if (request.end && *request.end > *bounds.latest) {
    return Refusal{422,
                   fmt::format("end {} is beyond what was recorded: the recording ends at "
                               "{} (newest {}); choose an end at or before it",
                               session::format_time(*request.end), latest, bounds.latest_source)};
  }
  if (!bounds.snapshot_at) {
    return Refusal{422, fmt::format("no snapshot at or before {}; take a backup (`tapedeck "
                                    "backup run`) or choose a later start (`tapedeck "
                                    "snapshots` lists them)",
                                    session::format_time(request.start))};
  }
  return std::nullopt;
}

std::optional<Refusal> check_seek_against_recording(session::Time to,
                                                    std::optional<session::Time> session_end,
                                                    const RecordingBounds& bounds) {
  CreateRequest as_start;
  as_start.start = to;
  if (auto refusal = check_against_recording(as_start, bounds)) {
    refusal->reason = "seek target: " + refusal->reason;
    return refusal;
  }
  if (session_end && to > *session_end) {
    return Refusal{422, fmt::format("seek target {} is after the session's end {}; seek to a "
                                    "moment at or before it",
                                    session::format_time(to), session::format_time(*session_end))};
  }
  return std::nullopt;
}

int status_for(Recovery recovery) {
  switch (recovery) {
    case Recovery::invalid:
      return 400;
    case Recovery::not_found:
      return 404;
    case Recovery::conflict:
      return 409;
    case Recovery::retry:
      return 503;
    case Recovery::fail:
      return 500;
  }
  return 500;
}

Recovery recovery_for_status(long status) {
  switch (status) {
    case 400:
      return Recovery::invalid;
    case 404:
      return Recovery::not_found;
    case 409:
      return Recovery::conflict;
    case 502:
    case 503:
    case 504:
      return Recovery::retry;
    default:
      return Recovery::fail;
  }
}

bool authorized(std::string_view authorization, std::string_view token) {
  if (token.empty()) return true;
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() < kScheme.size()) return false;
  // The scheme is case-insensitive (RFC 7235); the token is not.
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return false;
    }
  }
  const auto given = authorization.substr(kScheme.size());
  // Constant time in the token's content: every byte is compared whatever differs first.
  unsigned difference = given.size() == token.size() ? 0U : 1U;
  for (std::size_t i = 0; i < token.size(); ++i) {
    const char theirs = i < given.size() ? given[i] : '\0';
    difference |= static_cast<unsigned>(static_cast<unsigned char>(theirs) ^
                                        static_cast<unsigned char>(token[i]));
  }
  return difference == 0;
}

}  // namespace tapedeck::replaymgr
