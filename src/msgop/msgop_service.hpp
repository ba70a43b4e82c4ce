// `tapedeck msgop` as a long-running service: takes restored sessions and replays them.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/http/server.hpp"
#include "core/metrics.hpp"
#include "core/retry.hpp"
#include "core/service/health_state.hpp"
#include "msgop/session_runner.hpp"

namespace tapedeck::msgop {

struct MsgopSettings {
  RunnerSettings runner;
  std::string nats_url;
  std::string durable = "tapedeck-msgop";  // msgop.durable
  std::string listen;
  std::chrono::milliseconds ack_wait{std::chrono::seconds(30)};
  RetryPolicy retry{0, std::chrono::milliseconds(200), std::chrono::seconds(10), 0.2};

  // Reads store.dsn, playback.*, nats.url, msgop.*. The worker name is
  // "msgop@<host>:<pid>:<random>", unique per service instance.
  static MsgopSettings from_config(const config::Config& config);
};

// Owns the observability server and the session threads. run() binds the durable pull
// consumer "tapedeck-msgop" on tapedeck.session.*.restore.ok of the EVENTS stream (shared by
// every msgop copy), and for each message claims the session (claim_session), acknowledges
// the message once the claim is in the row (or the session is not ours to take), and runs it
// on a thread of its own (SessionRunner), so several sessions play side by side. Transient
// NATS or database failures of the consumer loop are retried with the policy; running
// sessions are not disturbed. On a stop request run() waits for the session threads (each
// fails its session: a later msgop cannot take it over) and returns 0. run() is called once
// from one thread; metrics() and health() from any thread.
class MsgopService {
 public:
  MsgopService(MsgopSettings settings, config::Config config, const Clock& clock);
  ~MsgopService();
  MsgopService(const MsgopService&) = delete;
  MsgopService& operator=(const MsgopService&) = delete;

  int run();

  const Metrics& metrics() const { return registry_; }
  http::Health health() const { return health_.get(); }

 private:
  MsgopSettings settings_;
  config::Config config_;
  const Clock& clock_;
  Metrics registry_;
  MsgopMetrics metrics_;
  service::HealthState health_;
};

}  // namespace tapedeck::msgop
