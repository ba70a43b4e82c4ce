// `tapedeck capture` as a long-running service: Live DB slot -> Debezium events -> JetStream.
#pragma once

#include <atomic>
#include <string>

#include "capture/capture_settings.hpp"
#include "core/http/server.hpp"
#include "core/metrics.hpp"
#include "core/service/health_state.hpp"

namespace tapedeck::capture {

// The counters and gauges /metrics shows. References into the service's Metrics registry;
// updated by the streaming thread, read by the HTTP server's threads.
struct CaptureMetrics {
  explicit CaptureMetrics(Metrics& registry);

  Counter& events;        // change and transaction events acknowledged by JetStream
  Counter& bytes;         // their JSON bytes
  Counter& transactions;  // transactions streamed
  Counter& errors;        // failed streaming sessions (each one restarts from the slot)
  Counter& restarts;      // streaming sessions started after the first
  Gauge& lag_bytes;       // pg_current_wal_lsn() - the LSN confirmed to the slot
  Gauge& lag_seconds;     // processing time - commit time of the last transaction streamed
  Gauge& events_per_second;
  Gauge& confirmed_lsn;        // as a number, for graphs
  Gauge& streaming;            // 1 while a session streams
  Gauge& slot_retained_bytes;  // pg_current_wal_lsn() - restart_lsn of the slot
  Gauge& slot_wal_status;      // wal_status_code() of pg_replication_slots.wal_status
  Gauge& slot_safe_wal_size;   // -1 when max_slot_wal_keep_size = -1
};

// Owns the observability server and runs streaming sessions one after the other until the
// stop flag is set (core/stop.hpp). A session opens its own connections (Live DB catalog and
// replication, TransformMsg DB for the watermark, NATS), makes sure the publication, the slot
// and (when configured) the stream exist, streams from the slot's confirmed position, and
// ends on the first error; run() then waits by the retry policy and starts a new one, so a
// NATS reconnect or a lost ack always means streaming again from the slot. Nothing is
// shared between sessions but the metrics. run() is called once, from one thread; metrics()
// and health() may be called from any thread.
class CaptureService {
 public:
  explicit CaptureService(CaptureSettings settings);
  ~CaptureService();
  CaptureService(const CaptureService&) = delete;
  CaptureService& operator=(const CaptureService&) = delete;

  // Serves /healthz and /metrics on settings.listen and streams until a stop is requested;
  // returns the exit code (0).
  int run();

  const Metrics& metrics() const { return registry_; }
  http::Health health() const;

 private:
  class Session;

  CaptureSettings settings_;
  Metrics registry_;
  CaptureMetrics metrics_;
  service::HealthState health_;
};

}  // namespace tapedeck::capture
