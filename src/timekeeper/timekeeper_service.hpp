// `tapedeck timekeeper`: the 1 Hz system time in the Live DB, the RTUS notification and its
// recording on JetStream.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "core/config.hpp"
#include "core/metrics.hpp"
#include "core/service/cdc_stream.hpp"
#include "timekeeper/tick_call.hpp"
#include "timekeeper/ticker.hpp"

namespace tapedeck::timekeeper {

// Everything the timekeeper reads from the configuration, validated up front.
struct TimekeeperSettings {
  std::string live_dsn;
  std::string listen;
  RtusTarget rtus;
  std::string nats_url;
  service::CdcStreamSettings cdc;  // where "<cdc.prefix>.rtus" is recorded
  // Upper bound of one Live DB write (statement_timeout and lock_timeout). A connection attempt
  // is bounded by the DSN's connect_timeout (10 s when it has none, see pg::Connection).
  std::chrono::milliseconds db_timeout{std::chrono::seconds(2)};
  // Upper bound of one JetStream publish (waiting for the stream's ack).
  std::chrono::milliseconds publish_timeout{std::chrono::seconds(2)};
  // Ticks the JetStream worker keeps queued while NATS is away; the oldest go first.
  std::size_t publish_backlog = 120;
  // timekeeper.late_after: a tick that wakes later than this after its second is counted late.
  std::chrono::milliseconds late_after{100};

  // live.dsn, timekeeper.*, rtus.*, nats.*. Throws Error(config, invalid) naming the key:
  // timekeeper.interval must be 1s (ticks are whole seconds), timekeeper.late_after between 0
  // and 1s (both excluded), rtus.url an http(s) URL.
  static TimekeeperSettings from_config(const config::Config& config);
};

// One tick as the tick thread saw it, for observers (the jitter benchmark, tests).
struct TickEvent {
  std::chrono::sys_seconds boundary;
  std::chrono::system_clock::time_point actual;  // when the tick thread woke for it
  std::uint64_t missed = 0;                      // boundaries skipped just before it
};

// The timekeeper. A tick thread sleeps until each whole second of the wall clock (TickPlanner:
// absolute schedule, late boundaries counted and never made up; a tick waking more than
// late_after after its second is counted late and logged once per streak) and hands it to three
// workers, each with its own thread and connection:
//   live_db: UPSERT tapedeck.system_time (migrate_live on each new connection);
//   rtus:    the HTTP notification (rtus.timeout bounds connect and the whole call);
//   nats:    the same call as an RtusCall message on "<prefix>.rtus", Nats-Msg-Id tick_call_id.
// The tick thread never waits for I/O: a worker still busy when the next tick comes has its
// queue trimmed (live_db and rtus keep only the newest tick; nats keeps publish_backlog ticks),
// and what is dropped is counted. Worker failures are counted on /metrics and logged once per
// streak (first failure, then the recovery); a worker retries with the next tick, reconnecting
// as needed. run() serves /healthz and /metrics on `listen` and blocks until the stop flag is
// set, then joins its threads. Owns its threads; not copyable.
class TimekeeperService {
 public:
  explicit TimekeeperService(TimekeeperSettings settings);
  TimekeeperService(const TimekeeperService&) = delete;
  TimekeeperService& operator=(const TimekeeperService&) = delete;

  // Called on the tick thread right after each tick is handed off; must be quick.
  void on_tick(std::function<void(const TickEvent&)> observer) { observer_ = std::move(observer); }

  // Returns 0 after a stop; throws Error when /healthz cannot be served (listen address taken).
  int run();
  Metrics& metrics() { return metrics_; }
  // The port /metrics is served on once run() has started (0 before).
  int port() const { return port_.load(); }

 private:
  class Worker;

  TimekeeperSettings settings_;
  Metrics metrics_;
  std::function<void(const TickEvent&)> observer_;
  std::atomic<int> port_{0};
};

}  // namespace tapedeck::timekeeper
