// Request parsing and validation for the replaymgr REST API.
#include "replaymgr/request.hpp"

#include <fmt/format.h>

#include <cctype>
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

}  // namespace

CreateRequest parse_create_request(std::string_view body) {
  const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    throw invalid(
        "the request body is not valid JSON; send an object such as "
        "{\"start\": \"2026-01-01T10:00:00Z\", \"end\": \"2026-01-01T11:00:00Z\"}");
  }
  if (!json.is_object()) {
    throw invalid(fmt::format("the request body must be a JSON object, not {}", json.type_name()));
  }
  for (const auto& [key, value] : json.items()) {
    if (key != "start" && key != "end" && key != "speed" && key != "name") {
      throw invalid(
          fmt::format("unknown field '{}'; a session takes start, end, speed and name", key));
    }
  }
  CreateRequest request;
  request.start = required_time(json, "start");
  request.end = required_time(json, "end");
  request.speed = speed_of(json);
  request.name = name_of(json);
  if (request.end <= request.start) {
    throw invalid(fmt::format("end {} is not after start {}; give an end later than the start",
                              session::format_time(request.end),
                              session::format_time(request.start)));
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
  if (request.end > *bounds.latest) {
    return Refusal{422,
                   fmt::format("end {} is beyond what was recorded: the recording ends at "
                               "{} (newest {}); choose an end at or before it",
                               session::format_time(request.end), latest, bounds.latest_source)};
  }
  if (!bounds.snapshot_at) {
    return Refusal{422, fmt::format("no snapshot at or before {}; take a backup (`tapedeck "
                                    "backup run`) or choose a later start (`tapedeck "
                                    "snapshots` lists them)",
                                    session::format_time(request.start))};
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
