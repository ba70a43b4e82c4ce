// One playback session from catch-up to its end: exact catch-up, then paced replay of
// statements and RTUS calls on the session's playback clock, driven by the sessions row.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "core/nats/connection.hpp"
#include "core/pg/connection.hpp"
#include "core/sessions/session_store.hpp"

namespace tapedeck::msgop {

// What a session runner reads from the configuration.
struct RunnerSettings {
  std::string store_dsn;     // store.dsn
  std::string playback_dsn;  // playback.dsn: the server and its admin database
  std::string rtus_url;      // playback.rtus_url; empty: recorded RTUS calls are not sent
  bool drop_on_end = true;   // playback.drop_on_end
  int batch_statements = 1000;
  std::chrono::milliseconds progress_interval{1000};
  std::chrono::milliseconds poll_interval{500};  // the row is re-read at least this often
  std::chrono::milliseconds rtus_timeout{2000};
  std::string worker;  // this msgop's name in the sessions row
  // nats.cdc_stream: the name of transform's watermark, which proves how far the recording is
  // stored; a session waits for it to pass its start (and, playing, each moment it replays).
  std::string watermark_name = "TAPEDECK_CDC";
};

// Counters shared by every session of one msgop.
struct MsgopMetrics {
  explicit MsgopMetrics(Metrics& registry);

  Gauge& sessions_active;
  Counter& sessions_taken;
  Counter& sessions_reclaimed;
  Counter& sessions_restarted;
  Counter& sessions_finished;
  Counter& sessions_ended;
  Counter& sessions_failed;
  Counter& catch_up_statements;
  Counter& statements_applied;  // paced replay
  Counter& transactions_applied;
  Counter& rtus_calls_sent;
  Counter& rtus_call_errors;
  Histogram& behind_seconds;  // per applied item: how late it was against its due time
};

// Takes session `id` for this worker: opens a store connection and takes the session's
// advisory lock on it (so one msgop copy at a time owns a session, and a dead one's lock goes
// with its connection), checks the row is in catching_up and heartbeats it with
// settings.worker. Returns the connection holding the lock, or nullopt when another copy owns
// the session or it is no longer catching up. Throws Error for database failures.
std::optional<pg::Connection> claim_session(const RunnerSettings& settings, const std::string& id);

// A session whose msgop died (it stopped reporting and nobody holds its advisory lock) goes back
// to dbop from where it was (Store::restart_abandoned_replay); returns the row as it is now, or
// nullopt when a live msgop still holds the session or it is no longer abandoned.
std::optional<session::Record> restart_abandoned_replay(const RunnerSettings& settings,
                                                        const std::string& id,
                                                        std::chrono::milliseconds stale);

// Runs one claimed session: checks the recording reaches back to the snapshot, catches up,
// publishes `ready`, then follows the row's state (start, pause, resume, end) through a core
// NATS subscription on tapedeck.session.<id>.> and a re-read every poll_interval, replaying
// the window (start, end] paced by the PlaybackClock, reporting progress every
// progress_interval, and finishing at the end time. Every failure fails the session with its
// reason (event `failed`); nothing is retried, since a half-replayed database cannot be
// resumed exactly. A stop request fails the session too (the next msgop cannot take it over).
// Owns `claim` (the store connection holding the lock) and its own connections; borrows
// `nats`, `clock` and `metrics`, which must outlive it. run() is called once, on one thread.
class SessionRunner {
 public:
  SessionRunner(RunnerSettings settings, std::string id, pg::Connection claim,
                nats::Connection& nats, const Clock& clock, MsgopMetrics& metrics);
  ~SessionRunner();
  SessionRunner(const SessionRunner&) = delete;
  SessionRunner& operator=(const SessionRunner&) = delete;

  // Never throws.
  void run() noexcept;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tapedeck::msgop
