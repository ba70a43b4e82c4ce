// `tapedeck dbop` as a long-running service: restores the snapshot of each new playback session.
#pragma once

#include <chrono>
#include <string>

#include "core/config.hpp"
#include "core/http/server.hpp"
#include "core/metrics.hpp"
#include "core/retry.hpp"
#include "core/service/health_state.hpp"
#include "dbop/restore.hpp"

namespace tapedeck::dbop {

struct DbopMetrics;

struct DbopSettings {
  RestoreSettings restore;
  std::string store_dsn;
  std::string nats_url;
  std::string listen;
  std::string durable = "tapedeck-dbop";
  bool drop_on_end = true;
  // "dbop@<host>:<pid>:<random>", unique per service instance (several may share a process).
  std::string worker;
  // Unacknowledged init events are redelivered after this; a restore keeps its event alive
  // with in-progress acks every heartbeat.
  std::chrono::milliseconds ack_wait{std::chrono::seconds(30)};
  std::chrono::milliseconds heartbeat_interval{std::chrono::seconds(1)};
  // Sessions restored at the same time, each on a slot (thread) of its own.
  int max_restores = 2;
  // Attempts of a restore that fails transiently (lost connection, storage busy) before the
  // session is failed.
  int restore_attempts = 3;
  // The consumer loop's reconnects (0: until stopped).
  RetryPolicy retry{0, std::chrono::milliseconds(200), std::chrono::seconds(10), 0.2};

  // Reads live.dsn, store.dsn, playback.*, nats.url, storage.url, s3.*, dbop.*.
  static DbopSettings from_config(const config::Config& config);
};

// Owns the observability server. run() starts max_restores slots (threads); each binds the
// durable pull consumer "tapedeck-dbop" on tapedeck.session.*.init of the EVENTS stream (shared
// by every slot of every dbop copy) and handles one event at a time: takes the session with the
// conditional restore_begin (a conflict means another dbop has it or it was ended: the event is
// acked and skipped), restores its snapshot (restore_snapshot) while heartbeating the row and
// keeping the event in progress every heartbeat_interval, then records restore_ok and publishes
// `restore.ok`, or fails the session and publishes `restore.ko` {reason}. A redelivered event of a
// session this instance still holds in `restoring` (a transient failure broke off the restore)
// restores it again. The event is acked only once its effect is in the row. A session ended (or
// failed by replaymgr) while restoring is abandoned and its database dropped when drop_on_end.
// Transient NATS or database failures of the loop are retried with the policy. On a stop request a
// restore under way is abandoned (the session fails with a reason saying so) and run() returns 0.
// An idle slot sweeps the sessions table every 2 s: a session initializing for 10 s gets its init
// event again (it was lost), and so does a restore that stopped reporting for 5 s (its dbop died),
// which the dbop that gets the event takes over (Store::take_over_restore); the dbop that lost
// it, if it was only slow, lets it go at its next heartbeat. run() is called once
// from one thread; metrics() and health() from any thread. No process-global state: several
// instances may run in a process.
class DbopService {
 public:
  DbopService(DbopSettings settings, config::Config config);
  ~DbopService() = default;
  DbopService(const DbopService&) = delete;
  DbopService& operator=(const DbopService&) = delete;

  int run();

  const Metrics& metrics() const { return registry_; }
  http::Health health() const { return health_.get(); }
  const DbopSettings& settings() const { return settings_; }

 private:
  class Loop;
  class Slots;
  // One restore slot's consumer loop, until the stop flag.
  void run_slot(int slot, DbopMetrics& metrics, Slots& slots);

  DbopSettings settings_;
  config::Config config_;
  Metrics registry_;
  service::HealthState health_;
};

}  // namespace tapedeck::dbop
