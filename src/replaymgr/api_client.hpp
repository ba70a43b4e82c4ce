// The client side of the replaymgr REST API, used by `tapedeck session` and `tapedeck snapshots`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "core/http/client.hpp"

namespace tapedeck::replaymgr {

// Talks to replaymgr at `base_url` (replaymgr.url) with the bearer `token` (none when empty),
// trusting the certificate authorities of `ca_file` for https (the system's when empty).
// A refused request throws Error(http, recovery_for_status(status), <the server's reason>,
// <status>); a server that cannot be reached throws the http::Client's retry Error. Owns one
// http::Client; one thread at a time.
class ApiClient {
 public:
  ApiClient(std::string base_url, std::string token, std::string ca_file = {});
  // replaymgr.url, the token of client_token (api_token or the token file), replaymgr.tls_ca.
  static ApiClient from_config(const config::Config& config);

  nlohmann::json get(std::string_view path);
  nlohmann::json post(std::string_view path, const nlohmann::json& body = nlohmann::json::object());

 private:
  nlohmann::json send(std::string_view method, std::string_view path, const std::string& body);

  std::string base_url_;
  std::string token_;
  std::string ca_file_;
  http::Client client_;
};

// One line for a person: "s0123456789ab playing 2026-01-01T10:00:05Z (12% of 10:00:00Z ..
// 10:01:00Z) 120 statements, 3 RTUS calls, 0 ms behind".
std::string progress_line(const nlohmann::json& session);
// The phase progress for a person: "s0123456789ab seeking  41% [####....] 1200/2900
// statements  310/s  ETA 5s  at 2026-..."; a bar only when `width` (the terminal's columns) is
// 80 or more, and progress_line() when the session has no phase progress yet.
std::string phase_line(const nlohmann::json& session, int width);
// GET /api/sessions/{id}/events' answer as lines for `tapedeck session events`:
// "<time>  <kind>  <payload as compact JSON>", oldest first; "no events" when there are none.
std::string events_text(const nlohmann::json& answer);
// A multi-line description of a session for `tapedeck session show`.
// A session's place in the restore queue (its `queue` object), in words.
std::string queue_text(const nlohmann::json& queue);
std::string describe_session(const nlohmann::json& session);
// One row per session for `tapedeck session list`, with a header line.
std::string sessions_table(const nlohmann::json& sessions);

}  // namespace tapedeck::replaymgr
