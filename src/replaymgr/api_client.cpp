// The REST client of replaymgr and how the CLI shows sessions.
#include "replaymgr/api_client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "core/session.hpp"
#include "replaymgr/api_token.hpp"
#include "replaymgr/request.hpp"

namespace tapedeck::replaymgr {

namespace {

std::string text_of(const nlohmann::json& session, const char* field) {
  const auto found = session.find(field);
  if (found == session.end() || found->is_null()) return "-";
  if (found->is_string()) return found->get<std::string>();
  return found->dump();
}

std::int64_t number_of(const nlohmann::json& session, const char* field) {
  const auto found = session.find(field);
  return found != session.end() && found->is_number_integer() ? found->get<std::int64_t>() : 0;
}

// How far playback_time is between start and end, in percent; nullopt when unknown.
std::optional<double> percent_done(const nlohmann::json& session) {
  const auto start = session::parse_time(text_of(session, "start"));
  const auto end = session::parse_time(text_of(session, "end"));
  const auto at = session::parse_time(text_of(session, "playback_time"));
  if (!start || !end || !at || *end <= *start) return std::nullopt;
  const double done = static_cast<double>((*at - *start).count());
  const double total = static_cast<double>((*end - *start).count());
  return std::clamp(100.0 * done / total, 0.0, 100.0);
}

}  // namespace

ApiClient::ApiClient(std::string base_url, std::string token, std::string ca_file)
    : base_url_(std::move(base_url)), token_(std::move(token)), ca_file_(std::move(ca_file)) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

ApiClient ApiClient::from_config(const config::Config& config) {
  return ApiClient(config.string("replaymgr.url"), client_token(config),
                   config.string("replaymgr.tls_ca"));
}

nlohmann::json ApiClient::get(std::string_view path) {
  return send("GET", path, {});
}

nlohmann::json ApiClient::post(std::string_view path, const nlohmann::json& body) {
  return send("POST", path, body.dump());
}

nlohmann::json ApiClient::send(std::string_view method, std::string_view path,
                               const std::string& body) {
  http::Request request;
  request.method = std::string(method);
  request.url = base_url_ + std::string(path);
  request.body = body;
  request.total_timeout = std::chrono::seconds(60);
  request.ca_file = ca_file_;
  request.headers.set("Accept", "application/json");
  if (method == "POST") request.headers.set("Content-Type", "application/json");
  if (!token_.empty()) request.headers.set("Authorization", "Bearer " + token_);
  const auto response = client_.send(request);
  auto json = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!response.ok()) {
    std::string reason = response.body.empty() ? "no reason given" : response.body;
    if (!json.is_discarded() && json.is_object() && json.contains("error") &&
        json["error"].is_string()) {
      reason = json["error"].get<std::string>();
    }
    throw Error(ErrorSource::http, recovery_for_status(response.status),
                fmt::format("replaymgr refused {} {}: {}", method, path, reason),
                std::to_string(response.status));
  }
  if (json.is_discarded()) {
    throw Error(ErrorSource::http, Recovery::fail,
                fmt::format("replaymgr answered {} {} with a body that is not JSON; is "
                            "replaymgr.url ({}) the replaymgr API?",
                            method, path, base_url_),
                std::to_string(response.status));
  }
  return json;
}

std::string queue_text(const nlohmann::json& queue) {
  const auto position = number_of(queue, "position");
  const auto restoring = number_of(queue, "restoring");
  return fmt::format(
      "waiting for a restore: {} in line, {} restore(s) under way (dbop.max_restores "
      "per dbop)",
      position, restoring);
}

std::string progress_line(const nlohmann::json& session) {
  std::string line = fmt::format("{} {:<12} {}", text_of(session, "id"), text_of(session, "state"),
                                 text_of(session, "playback_time"));
  if (const auto percent = percent_done(session)) line += fmt::format(" ({:.0f}%)", *percent);
  line += fmt::format(
      " statements {}/{} rtus {}/{} behind {} ms", number_of(session, "statements_applied"),
      number_of(session, "statements_applied") + number_of(session, "statements_left"),
      number_of(session, "rtus_calls_sent"),
      number_of(session, "rtus_calls_sent") + number_of(session, "rtus_calls_left"),
      number_of(session, "behind_ms"));
  const auto error = text_of(session, "error");
  if (!error.empty() && error != "-") line += " error: " + error;
  return line;
}

std::string phase_line(const nlohmann::json& session, int width) {
  if (const auto queue = session.find("queue"); queue != session.end() && queue->is_object()) {
    return fmt::format("{} {:<12} {}", text_of(session, "id"), text_of(session, "state"),
                       queue_text(*queue));
  }
  const auto found = session.find("progress");
  const auto phase =
      found == session.end() ? std::nullopt : session::PhaseProgress::from_json(*found);
  if (!phase) return progress_line(session);
  std::string line = fmt::format("{} {:<12} {}", text_of(session, "id"), text_of(session, "state"),
                                 session::progress_text(*phase, width));
  if (number_of(session, "behind_ms") > 0) {
    line += fmt::format("  behind {} ms", number_of(session, "behind_ms"));
  }
  const auto error = text_of(session, "error");
  if (!error.empty() && error != "-") line += " error: " + error;
  return line;
}

std::string describe_session(const nlohmann::json& session) {
  std::string text;
  const auto row = [&](const char* label, const std::string& value) {
    text += fmt::format("{:<20} {}\n", label, value);
  };
  row("id", text_of(session, "id"));
  row("name", text_of(session, "name"));
  row("state", text_of(session, "state"));
  row("start", text_of(session, "start"));
  row("end", text_of(session, "end"));
  row("speed", text_of(session, "speed"));
  // The fidelity verdict for the session's start (docs/api.md, `verified`).
  const auto verified = session.find("verified");
  row("verified", verified != session.end() && verified->is_boolean() && verified->get<bool>()
                      ? "yes (a passing tapedeck verify covers the start)"
                      : "no (no passing tapedeck verify covers the start)");
  // The phase progress: phase, done/total, rate and ETA; "-" when nothing is reported.
  std::optional<session::PhaseProgress> phase;
  if (const auto found = session.find("progress"); found != session.end()) {
    phase = session::PhaseProgress::from_json(*found);
  }
  row("progress", phase ? session::progress_text(*phase, 0) : "-");
  if (const auto queue = session.find("queue"); queue != session.end() && queue->is_object()) {
    row("queue", queue_text(*queue));
  }
  row("playback time", text_of(session, "playback_time"));
  row("statements applied", std::to_string(number_of(session, "statements_applied")));
  row("statements left", std::to_string(number_of(session, "statements_left")));
  row("rtus calls sent", std::to_string(number_of(session, "rtus_calls_sent")));
  row("rtus calls left", std::to_string(number_of(session, "rtus_calls_left")));
  row("behind (ms)", std::to_string(number_of(session, "behind_ms")));
  row("database", text_of(session, "database_name"));
  row("worker", text_of(session, "worker"));
  row("error", text_of(session, "error"));
  return text;
}

std::string events_text(const nlohmann::json& answer) {
  const auto events = answer.find("events");
  if (events == answer.end() || !events->is_array() || events->empty()) return "no events\n";
  std::string text;
  for (const auto& event : *events) {
    const auto payload = event.find("payload");
    const bool empty = payload == event.end() || payload->is_null() || payload->empty();
    text += fmt::format("{:<27}  {:<14}  {}\n", text_of(event, "time"), text_of(event, "kind"),
                        empty ? std::string() : payload->dump());
  }
  return text;
}

std::string sessions_table(const nlohmann::json& sessions) {
  std::string text = fmt::format("{:<14} {:<12} {:<27} {:<27} {:<6} {}\n", "ID", "STATE", "START",
                                 "END", "SPEED", "NAME");
  for (const auto& session : sessions) {
    text +=
        fmt::format("{:<14} {:<12} {:<27} {:<27} {:<6} {}\n", text_of(session, "id"),
                    text_of(session, "state"), text_of(session, "start"), text_of(session, "end"),
                    text_of(session, "speed"), text_of(session, "name"));
  }
  return text;
}

}  // namespace tapedeck::replaymgr
