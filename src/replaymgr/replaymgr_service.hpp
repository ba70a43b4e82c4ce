// `tapedeck replaymgr`: the playback session manager. REST API over the sessions rows, session
// commands published as events, and the reaper that fails sessions whose worker died.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/backups/verification_record.hpp"
#include "core/config.hpp"
#include "core/http/server.hpp"
#include "core/metrics.hpp"
#include "core/nats/connection.hpp"
#include "core/nats/jetstream.hpp"
#include "core/service/health_state.hpp"
#include "core/sessions/session_store.hpp"
#include "replaymgr/api_token.hpp"
#include "replaymgr/connection_slot.hpp"
#include "replaymgr/recording.hpp"

namespace tapedeck::replaymgr {

// The largest request body the API reads; a session's JSON is a few hundred bytes.
constexpr std::size_t kMaxRequestBytes = 64 * 1024;

// Everything replaymgr reads from the configuration.
struct ReplaymgrSettings {
  std::string listen;
  // replaymgr.console_listen: where the web console is served (its page at / and the same API
  // under /api, with the same token and TLS); empty: no console.
  std::string console_listen;
  // The bearer token requests need (empty: replaymgr.open), resolved by server_token: reading
  // or at first start writing the token file when replaymgr.api_token is empty.
  ServerToken token;
  http::ServerSecurity security;  // replaymgr.tls_cert, replaymgr.tls_key, kMaxRequestBytes
  std::string store_dsn;
  std::string live_dsn;
  std::string playback_dsn;
  std::string database_template;
  std::string nats_url;
  std::chrono::milliseconds worker_timeout{10'000};
  bool drop_on_end = true;  // playback.drop_on_end
  std::chrono::milliseconds drop_grace{30'000};
  // Rows of sessions ended longer ago than this are deleted (0: never).
  std::chrono::milliseconds session_retention{std::chrono::hours(24 * 7)};
  // Ready, paused and failed sessions untouched this long are ended (0: never).
  std::chrono::milliseconds idle_expiry{std::chrono::hours(24)};
  // nats.cdc_stream: the transform watermark that proves how far the recording is stored.
  std::string watermark_name = "TAPEDECK_CDC";
  // The whole configuration, for the EVENTS stream (session::ensure_events_stream).
  std::shared_ptr<const config::Config> config;

  static ReplaymgrSettings from_config(const config::Config& config);
};

// The service. run() binds the API on settings.listen and the web console on
// settings.console_listen when set (throws Error(http) when it cannot),
// then loops until the stop flag: every second it fails stale sessions (publishing `failed`),
// refreshes the sessions-by-state gauges and (re)creates the EVENTS stream until that
// succeeds; every drop_grace/2 it drops the databases of sessions ended over drop_grace ago
// that are still there (a session ended after its worker failed or died has nobody else to
// drop it; the grace leaves a live msgop time to drop its own); every minute it deletes the rows
// of sessions ended over session_retention ago (one copy per pass, Store::purge_ended); every
// second it ends the sessions idle for idle_expiry (Store::expire_idle, publishing `end`). A
// database or NATS outage never ends run(): requests meanwhile get 503, the reaper logs once per
// failure streak and /healthz reports it. Request handlers run on the HTTP server's threads and
// share one store and one Live DB connection (ConnectionSlot). Owns its connections and server;
// several services may run as threads of one process.
class ReplaymgrService {
 public:
  explicit ReplaymgrService(ReplaymgrSettings settings);
  ~ReplaymgrService();
  ReplaymgrService(const ReplaymgrService&) = delete;
  ReplaymgrService& operator=(const ReplaymgrService&) = delete;

  int run();
  Metrics& metrics() { return metrics_; }

 private:
  http::ServerResponse handle(
      const http::ServerRequest& request,
      http::ServerResponse (ReplaymgrService::*handler)(const http::ServerRequest&));
  http::ServerResponse create_session(const http::ServerRequest& request);
  http::ServerResponse session_events(const http::ServerRequest& request);
  http::ServerResponse command_session(const http::ServerRequest& request);
  // The transport: seek, speed, step (docs/api.md).
  http::ServerResponse seek_session(const http::ServerRequest& request);
  http::ServerResponse speed_session(const http::ServerRequest& request);
  http::ServerResponse step_session(const http::ServerRequest& request);
  http::ServerResponse get_session(const http::ServerRequest& request);
  http::ServerResponse list_sessions(const http::ServerRequest& request);
  http::ServerResponse list_snapshots(const http::ServerRequest& request);
  http::ServerResponse get_recording(const http::ServerRequest& request);
  http::ServerResponse list_verifications(const http::ServerRequest& request);
  // Re-reads the passing verification windows (sessions' `verified`) and sets the latest
  // verdict's gauges; every tick and on GET /api/verifications.
  void refresh_verifications();
  http::ServerResponse get_timeline(const http::ServerRequest& request);
  RecordingLag current_recording_lag();
  void refresh_recording_gauges();
  http::ServerResponse unknown_route(const http::ServerRequest& request);
  // The /api routes, on the API's server and on the console's.
  void add_api_routes(http::Server& server);
  // Binds and starts the console's server (throws Error(http) when it cannot).
  std::unique_ptr<http::Server> start_console();

  // The session's API representation: Record::to_json() plus database_dsn, verified and, for a
  // session waiting for a restore, its place in the queue (read when `queue` is null).
  nlohmann::json session_json(const session::Record& record,
                              const session::RestoreQueue* queue = nullptr);
  // Publishes `event` for the session; the failure text when it could not (logged), else "".
  std::string publish(const session::Record& record, std::string_view event, nlohmann::json fields);
  void tick();
  void drop_ended_databases();
  void expire_idle_sessions();

  ReplaymgrSettings settings_;
  Metrics metrics_;
  ConnectionSlot store_;
  ConnectionSlot live_;
  ConnectionSlot playback_;
  std::chrono::steady_clock::time_point next_sweep_{};
  std::chrono::steady_clock::time_point next_purge_{};
  nats::Connection nats_;
  nats::JetStream jetstream_;
  std::atomic<bool> events_stream_ready_{false};
  service::HealthState health_;  // failing with why the last tick failed
  // The passing verifications' windows, as of the last refresh_verifications(); read by the
  // HTTP threads (session_json), written by the tick thread.
  mutable std::mutex verified_mutex_;
  std::vector<backups::VerifiedWindow> verified_windows_;
};

}  // namespace tapedeck::replaymgr
