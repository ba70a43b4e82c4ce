// Playback sessions as rows of tapedeck.sessions in the TransformMsg DB: the state replaymgr,
// dbop and msgop share (DESIGN §3.4). Every state change is one conditional UPDATE, so a
// transition is applied exactly once or refused; nothing is half-done.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/pg/connection.hpp"
#include "core/session.hpp"

namespace tapedeck::session {

// The snapshot a session was restored from.
struct BackupRef {
  std::int64_t id = 0;
  std::string lsn;            // "16/B374D848"
  std::string txid_snapshot;  // "xmin:xmax:xip,..."
};

struct Progress {
  std::optional<Time> playback_time;
  std::int64_t statements_applied = 0;
  std::int64_t statements_left = 0;
  std::int64_t rtus_calls_sent = 0;
  std::int64_t rtus_calls_left = 0;
  std::int64_t behind_ms = 0;  // how far the applied schedule trails the wall clock
  // How far the stored recording is proven complete, as msgop last saw it, and whether the
  // session waits for it (the recording is behind the moment the session needs next).
  std::optional<Time> recorded_until;
  bool waiting_for_recording = false;
};

struct Record {
  std::string id;
  std::string name;
  State state = State::initializing;
  Time start;
  Time end;
  Speed speed;
  std::string database_name;
  std::string error;
  Time created_at;
  Time updated_at;
  std::optional<BackupRef> backup;
  Progress progress;
  std::string worker;
  std::optional<Time> heartbeat_at;

  // The API's representation (times ISO 8601 UTC). `database_dsn` is added by the caller,
  // which knows the playback server's connection string.
  nlohmann::json to_json() const;
};

struct NewSession {
  std::string name;
  Time start;
  Time end;
  Speed speed;
  std::string database_template;  // playback.database_template
};

// What a transition may set besides the state.
struct TransitionDetails {
  std::string error;                // fail: the reason (required), end: kept when empty
  std::optional<BackupRef> backup;  // restore_ok
  std::optional<std::string> worker;

  static TransitionDetails by(std::string worker_name) {
    TransitionDetails details;
    details.worker = std::move(worker_name);
    return details;
  }
  static TransitionDetails failure(std::string reason) {
    TransitionDetails details;
    details.error = std::move(reason);
    return details;
  }
  static TransitionDetails restored(BackupRef backup_ref) {
    TransitionDetails details;
    details.backup = std::move(backup_ref);
    return details;
  }
};

// A name for one worker instance, "<component>@<host>:<pid>:<random>": unique even when
// several share a process, and telling the copies apart in logs and pg_stat_activity.
std::string worker_name(std::string_view component);

// Borrows a connection to the TransformMsg DB (migrated to store version >= 2); one thread.
// Errors: Error(Recovery::not_found) for an unknown id, Error(Recovery::conflict) for an
// illegal transition (the message names the current state and what is allowed) or a fixed
// database held by another live session, Error(Recovery::invalid) for bad arguments; database
// failures as pg::Connection throws them.
class Store {
 public:
  explicit Store(pg::Connection& store) : store_(store) {}

  // Inserts a session in state initializing with a new id.
  Record create(const NewSession& session);
  std::optional<Record> find(const std::string& id);
  Record get(const std::string& id);  // throws not_found
  // Oldest first; `include_terminal` false leaves ended and failed sessions out.
  std::vector<Record> list(bool include_terminal = true);

  // Moves the session along `transition` when its current state allows it.
  Record transition(const std::string& id, Transition transition,
                    const TransitionDetails& details = {});

  // Progress and heartbeat from the worker that owns the session; ignored (false) once the
  // session is ended or failed, so a late report cannot revive it.
  bool report_progress(const std::string& id, const Progress& progress, const std::string& worker);
  // Heartbeat alone (dbop while restoring, msgop while ready or paused).
  bool heartbeat(const std::string& id, const std::string& worker);

  // Fails every session in a working state (restoring .. paused) whose worker's last heartbeat
  // is older than `timeout`: the process owning it died. Returns the sessions failed.
  std::vector<Record> fail_stale(std::chrono::milliseconds timeout);

  // The databases of sessions ended between `window` and `grace` ago that no other session
  // (but an ended one) names: safe to drop. A failed session keeps its database for
  // inspection until it is ended.
  std::vector<std::string> ended_databases(std::chrono::hours window,
                                           std::chrono::milliseconds grace);

 private:
  pg::Connection& store_;
};

}  // namespace tapedeck::session
