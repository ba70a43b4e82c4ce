// Playback sessions as rows of tapedeck.sessions in the TransformMsg DB: the state replaymgr,
// dbop and msgop share (DESIGN §3.4). Every state change is one conditional UPDATE, so a
// transition is applied exactly once or refused; nothing is half-done.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/pg/connection.hpp"
#include "core/progress.hpp"
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
  // The current phase's progress (rate, ETA); nullopt leaves the stored one as it is.
  std::optional<PhaseProgress> phase;
};

// A seek under way (state seeking).
struct Seek {
  Time to;
  State resume_state = State::ready;  // where the session returns once at `to`
  // A backward seek's restore: "" (none), "requested" (msgop asked dbop), "restoring" (dbop
  // took it), "restored" (msgop catches up from the new snapshot).
  std::string restore;
};

struct Record {
  std::string id;
  std::string name;
  State state = State::initializing;
  Time start;
  std::optional<Time> end;  // none: a point-in-time session (follows the recording once started)
  Speed speed;
  std::string database_name;
  std::string error;
  Time created_at;
  Time updated_at;
  std::optional<BackupRef> backup;
  Progress progress;
  std::string worker;
  std::optional<Time> heartbeat_at;
  std::optional<Seek> seek;        // set while seeking
  std::int64_t steps_pending = 0;  // transactions a paused session is asked to apply

  // The moment a restore must reach: the seek target during a backward seek, else the start.
  Time restore_target() const { return seek ? seek->to : start; }

  // The API's representation (times ISO 8601 UTC). `database_dsn` is added by the caller,
  // which knows the playback server's connection string.
  nlohmann::json to_json() const;
};

struct NewSession {
  std::string name;
  Time start;
  std::optional<Time> end;  // none: a point-in-time session
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

// Where the sessions waiting for dbop stand (docs/api.md, `queue`).
struct RestoreQueue {
  std::vector<std::string> waiting;  // initializing, oldest first
  std::int64_t restoring = 0;
  // 1-based place of `id` among the waiting; 0 when it is not waiting.
  std::size_t position_of(const std::string& id) const;
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

  // The transport commands. Each is one conditional UPDATE; Error(conflict) names the state
  // when it does not allow the command.
  // ready, playing or paused -> seeking toward `to`, remembering the state to return to.
  Record seek(const std::string& id, Time to);
  // seeking -> the remembered state, the seek cleared (msgop, at the target).
  Record finish_seek(const std::string& id, const std::string& worker);
  // A backward seek needs a restore: "requested" (msgop, before it lets the session go), then
  // "restoring" (dbop took it; false when someone else did), then "restored" with the backup.
  void request_seek_restore(const std::string& id, const std::string& worker);
  bool begin_seek_restore(const std::string& id, const std::string& worker);
  void seek_restored(const std::string& id, const BackupRef& backup);
  // A new speed for a ready, playing or paused session.
  Record set_speed(const std::string& id, Speed speed);
  // Asks a paused session to apply `count` more transactions (count >= 1).
  Record request_steps(const std::string& id, std::int64_t count);
  // msgop applied `count` of them (or found nothing left to apply).
  void steps_done(const std::string& id, std::int64_t count);
  // The phase progress alone, with a heartbeat (dbop while restoring); false when the session
  // ended, failed or is no longer `worker`'s (another dbop took the restore over).
  bool report_phase(const std::string& id, const PhaseProgress& phase, const std::string& worker);

  // Progress and heartbeat from the worker that owns the session; ignored (false) once the
  // session is ended or failed, so a late report cannot revive it.
  bool report_progress(const std::string& id, const Progress& progress, const std::string& worker);
  // Heartbeat alone (dbop while restoring, msgop while ready or paused).
  bool heartbeat(const std::string& id, const std::string& worker);

  // Fails every session in a working state (restoring .. paused) whose worker's last heartbeat
  // is older than `timeout`: the process owning it died. Returns the sessions failed.
  std::vector<Record> fail_stale(std::chrono::milliseconds timeout);

  // Work whose event may have been lost (sessions never stall on one): the ids of sessions
  // waiting for dbop for longer than `after` (initializing since then, or seeking with a
  // restore requested and no heartbeat since then), oldest first.
  std::vector<std::string> awaiting_restore(std::chrono::milliseconds after);
  // The ids of sessions whose restore stopped reporting for longer than `stale` (restoring, or
  // seeking with its restore taken, and no heartbeat since): its dbop died; oldest first.
  std::vector<std::string> abandoned_restores(std::chrono::milliseconds stale);
  // Takes such a restore over for `worker` (one conditional UPDATE: of several dbops trying at
  // once, one gets it); false when the session is not (or no longer) abandoned.
  bool take_over_restore(const std::string& id, const std::string& worker,
                         std::chrono::milliseconds stale);
  // The ids of sessions a msgop ran and stopped reporting on for longer than `stale`
  // (catching_up, ready, playing, paused, or seeking without a restore for dbop to do), oldest
  // first: candidates for restart_abandoned_replay.
  std::vector<std::string> abandoned_replays(std::chrono::milliseconds stale);
  // Hands such a session back to dbop, from where it was (one conditional UPDATE): one caught
  // up partly goes back to initializing (restored and caught up again); any other becomes a seek
  // with a restore requested, to its seek target if it was seeking, else to its playback time
  // (its start when none was reported), returning afterwards to the state it was in. Its
  // database is rebuilt from a snapshot either way, so the session stays exact. nullopt when the
  // session is not (or no longer) abandoned. The caller holds the session's msgop lock.
  std::optional<Record> restart_abandoned_replay(const std::string& id,
                                                 std::chrono::milliseconds stale);
  // The ids of sessions restored and waiting for msgop (catching_up, or seeking with the seek's
  // restore done) that no msgop took since (the worker is still the dbop that restored them:
  // one that took it and died left a half-applied database, which the reaper fails) for
  // longer than `after`, oldest first.
  std::vector<std::string> awaiting_replay(std::chrono::milliseconds after);

  // The databases of sessions ended between `window` and `grace` ago that no other session
  // (but an ended one) names: safe to drop. A failed session keeps its database for
  // inspection until it is ended.
  std::vector<std::string> ended_databases(std::chrono::hours window,
                                           std::chrono::milliseconds grace);

  // Ends every session left ready, paused or failed with no command and no state change for
  // longer than `idle` (replaymgr.idle_expiry); the error column says why (a failed session's
  // reason is kept in front). Returns the sessions ended. One UPDATE: of several replaymgr
  // copies sweeping at once, each session is ended by one.
  std::vector<Record> expire_idle(std::chrono::milliseconds idle);

  // The sessions waiting for a restore (initializing, oldest first: the order dbop takes
  // them in) and the restores under way (restoring, and seeks whose restore was taken).
  RestoreQueue restore_queue();

  // Deletes the rows of sessions ended more than `retention` ago; returns how many. Under a
  // transaction-scoped advisory lock, so of several replaymgr copies sweeping at once one does
  // it and the others delete nothing (0). Failed sessions are left: their database is kept for
  // inspection until they are ended.
  std::int64_t purge_ended(std::chrono::milliseconds retention);

 private:
  // The refusal of `command` for a session not in one of `allowed` (or not_found).
  Error refused(const std::string& id, std::string_view command, std::span<const State> allowed);

  pg::Connection& store_;
};

}  // namespace tapedeck::session
