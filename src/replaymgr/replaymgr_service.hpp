// `tapedeck replaymgr`: the playback session manager. REST API over the sessions rows, session
// commands published as events, and the reaper that fails sessions whose worker died.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

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
  // nats.cdc_stream: the transform watermark that proves how far the recording is stored.
  std::string watermark_name = "TAPEDECK_CDC";
  // The whole configuration, for the EVENTS stream (session::ensure_events_stream).
  std::shared_ptr<const config::Config> config;

  static ReplaymgrSettings from_config(const config::Config& config);
};

// The service. run() binds the API on settings.listen (throws Error(http) when it cannot),
// then loops until the stop flag: every second it fails stale sessions (publishing `failed`),
// refreshes the sessions-by-state gauges and (re)creates the EVENTS stream until that
// succeeds; every drop_grace/2 it drops the databases of sessions ended over drop_grace ago
// that are still there (a session ended after its worker failed or died has nobody else to
// drop it; the grace leaves a live msgop time to drop its own). A database or NATS outage never
// ends run(): requests meanwhile get 503, the reaper logs once per failure streak and /healthz
// reports it. Request handlers run on the HTTP server's threads and share one store and one Live DB
// connection (ConnectionSlot). Owns its connections and server; several services may run as threads
// of one process.
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
  http::ServerResponse command_session(const http::ServerRequest& request);
  http::ServerResponse get_session(const http::ServerRequest& request);
  http::ServerResponse list_sessions(const http::ServerRequest& request);
  http::ServerResponse list_snapshots(const http::ServerRequest& request);
  http::ServerResponse get_recording(const http::ServerRequest& request);
  RecordingLag current_recording_lag();
  void refresh_recording_gauges();
  http::ServerResponse unknown_route(const http::ServerRequest& request);

  // The session's API representation: Record::to_json() plus database_dsn.
  nlohmann::json session_json(const session::Record& record) const;
  // Publishes `event` for the session; the failure text when it could not (logged), else "".
  std::string publish(const session::Record& record, std::string_view event, nlohmann::json fields);
  void tick();
  void drop_ended_databases();

  ReplaymgrSettings settings_;
  Metrics metrics_;
  ConnectionSlot store_;
  ConnectionSlot live_;
  ConnectionSlot playback_;
  std::chrono::steady_clock::time_point next_sweep_{};
  nats::Connection nats_;
  nats::JetStream jetstream_;
  std::atomic<bool> events_stream_ready_{false};
  service::HealthState health_;  // failing with why the last tick failed
};

}  // namespace tapedeck::replaymgr
