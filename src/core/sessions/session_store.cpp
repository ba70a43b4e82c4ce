// Sessions in the TransformMsg DB: conditional updates, one statement per change.
#include "core/sessions/session_store.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include "core/error.hpp"
#include "core/pg/result.hpp"

namespace tapedeck::session {

namespace {

// Times travel as microseconds since the epoch: exact both ways (extract() is numeric).
constexpr std::string_view kColumns = R"(
  id, name, state,
  (extract(epoch FROM start_time) * 1000000)::int8 AS start_us,
  (extract(epoch FROM end_time) * 1000000)::int8 AS end_us,
  speed, database_name, error,
  (extract(epoch FROM created_at) * 1000000)::int8 AS created_us,
  (extract(epoch FROM updated_at) * 1000000)::int8 AS updated_us,
  backup_id, backup_lsn::text AS backup_lsn, backup_txid_snapshot,
  (extract(epoch FROM playback_time) * 1000000)::int8 AS playback_us,
  statements_applied, statements_left, rtus_calls_sent, rtus_calls_left, behind_ms,
  (extract(epoch FROM recorded_until) * 1000000)::int8 AS recorded_until_us,
  waiting_for_recording, worker, (extract(epoch FROM heartbeat_at) * 1000000)::int8 AS heartbeat_us,
  (extract(epoch FROM seek_to) * 1000000)::int8 AS seek_to_us, resume_state, seek_restore,
  steps_pending, progress::text AS progress)";

// Working states: a worker owns the session and heartbeats.
constexpr std::string_view kWorkingStates =
    "'restoring', 'catching_up', 'ready', 'playing', 'paused', 'seeking'";

Time from_micros(std::int64_t micros) {
  return Time(std::chrono::microseconds(micros));
}

std::optional<Time> optional_time(const pg::Result& result, int row, std::string_view column) {
  const auto micros = result.get<std::optional<std::int64_t>>(row, column);
  if (!micros) return std::nullopt;
  return from_micros(*micros);
}

std::string micros_param(Time time) {
  return std::to_string(time.time_since_epoch().count());
}

Record read_record(const pg::Result& result, int row) {
  Record record;
  record.id = result.get<std::string>(row, "id");
  record.name = result.get<std::string>(row, "name");
  const auto state_text = result.get<std::string>(row, "state");
  const auto state = parse_state(state_text);
  if (!state) {
    throw Error(ErrorSource::postgres, Recovery::fail,
                fmt::format("session {} has unknown state '{}' in tapedeck.sessions; was it "
                            "written by a newer tapedeck?",
                            record.id, state_text));
  }
  record.state = *state;
  record.start = from_micros(result.get<std::int64_t>(row, "start_us"));
  record.end = optional_time(result, row, "end_us");
  record.speed = Speed::parse(result.get<std::string>(row, "speed"));
  record.database_name = result.get<std::string>(row, "database_name");
  record.error = result.get<std::string>(row, "error");
  record.created_at = from_micros(result.get<std::int64_t>(row, "created_us"));
  record.updated_at = from_micros(result.get<std::int64_t>(row, "updated_us"));
  if (const auto backup_id = result.get<std::optional<std::int64_t>>(row, "backup_id")) {
    record.backup = BackupRef{
        *backup_id, result.get<std::optional<std::string>>(row, "backup_lsn").value_or(""),
        result.get<std::optional<std::string>>(row, "backup_txid_snapshot").value_or("")};
  }
  record.progress.playback_time = optional_time(result, row, "playback_us");
  record.progress.statements_applied = result.get<std::int64_t>(row, "statements_applied");
  record.progress.statements_left = result.get<std::int64_t>(row, "statements_left");
  record.progress.rtus_calls_sent = result.get<std::int64_t>(row, "rtus_calls_sent");
  record.progress.rtus_calls_left = result.get<std::int64_t>(row, "rtus_calls_left");
  record.progress.behind_ms = result.get<std::int64_t>(row, "behind_ms");
  record.progress.recorded_until = optional_time(result, row, "recorded_until_us");
  record.progress.waiting_for_recording = result.get<bool>(row, "waiting_for_recording");
  record.worker = result.get<std::string>(row, "worker");
  record.heartbeat_at = optional_time(result, row, "heartbeat_us");
  if (const auto seek_to = optional_time(result, row, "seek_to_us")) {
    Seek seek;
    seek.to = *seek_to;
    seek.resume_state =
        parse_state(result.get<std::optional<std::string>>(row, "resume_state").value_or(""))
            .value_or(State::ready);
    seek.restore = result.get<std::optional<std::string>>(row, "seek_restore").value_or("");
    record.seek = std::move(seek);
  }
  record.steps_pending = result.get<std::int64_t>(row, "steps_pending");
  if (const auto progress = result.get<std::optional<std::string>>(row, "progress")) {
    record.progress.phase = PhaseProgress::from_json(
        nlohmann::json::parse(*progress, nullptr, /*allow_exceptions=*/false));
  }
  return record;
}

std::vector<Record> read_records(const pg::Result& result) {
  std::vector<Record> records;
  records.reserve(static_cast<std::size_t>(result.rows()));
  for (int row = 0; row < result.rows(); ++row) records.push_back(read_record(result, row));
  return records;
}

std::string state_list(std::span<const State> states) {
  std::string list = "{";
  for (const State state : states) {
    if (list.size() > 1) list += ',';
    list += to_string(state);
  }
  return list + "}";
}

Error not_found(const std::string& id) {
  return Error(ErrorSource::input, Recovery::not_found,
               fmt::format("no session '{}'; `tapedeck session list` shows the sessions", id));
}

}  // namespace

std::string worker_name(std::string_view component) {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::mt19937_64 random(std::random_device{}());
  return fmt::format("{}@{}:{}:{:06x}", component, host, getpid(), random() & 0xffffff);
}

nlohmann::json Record::to_json() const {
  const auto optional_text = [](const std::optional<Time>& time) -> nlohmann::json {
    return time ? nlohmann::json(format_time(*time)) : nlohmann::json(nullptr);
  };
  nlohmann::json json = {
      {"id", id},
      {"name", name},
      {"state", to_string(state)},
      {"start", format_time(start)},
      {"end", optional_text(end)},
      {"speed", speed.str()},
      {"database_name", database_name},
      {"error", error},
      {"created_at", format_time(created_at)},
      {"updated_at", format_time(updated_at)},
      {"playback_time", optional_text(progress.playback_time)},
      {"statements_applied", progress.statements_applied},
      {"statements_left", progress.statements_left},
      {"rtus_calls_sent", progress.rtus_calls_sent},
      {"rtus_calls_left", progress.rtus_calls_left},
      {"behind_ms", progress.behind_ms},
      {"recorded_until", optional_text(progress.recorded_until)},
      {"waiting_for_recording", progress.waiting_for_recording},
      {"worker", worker},
      {"heartbeat_at", optional_text(heartbeat_at)},
      {"backup", nullptr},
      {"progress", progress.phase ? progress.phase->to_json() : nlohmann::json(nullptr)},
      {"seek_to", seek ? nlohmann::json(format_time(seek->to)) : nlohmann::json(nullptr)},
      {"steps_pending", steps_pending},
  };
  if (backup) {
    json["backup"] = {
        {"id", backup->id}, {"lsn", backup->lsn}, {"txid_snapshot", backup->txid_snapshot}};
  }
  return json;
}

Record Store::create(const NewSession& session) {
  if (session.end && *session.end <= session.start) {
    throw Error(ErrorSource::input, Recovery::invalid,
                fmt::format("session end {} is not after its start {}; give an end later than "
                            "the start, or none for a point-in-time session",
                            format_time(*session.end), format_time(session.start)));
  }
  const auto id = new_session_id();
  const auto database = database_name(session.database_template, id);
  try {
    const auto result = store_.exec_params(
        fmt::format("INSERT INTO tapedeck.sessions (id, name, state, start_time, end_time, "
                    "speed, database_name) VALUES ($1, $2, 'initializing', "
                    "to_timestamp(0) + $3::int8 * interval '1 microsecond', "
                    "to_timestamp(0) + $4::int8 * interval '1 microsecond', $5, $6) "
                    "RETURNING {}",
                    kColumns),
        pg::Params::of(
            id, session.name, micros_param(session.start),
            session.end ? std::optional<std::string>(micros_param(*session.end)) : std::nullopt,
            session.speed.str(), database));
    return read_record(result, 0);
  } catch (const Error& error) {
    if (error.code() != "23505") throw;  // unique_violation: the fixed database is held
    throw Error(ErrorSource::input, Recovery::conflict,
                fmt::format("database '{}' is held by another session that has not ended; end "
                            "that session first, or use a database_template with <id>",
                            database))
        .caused_by(std::current_exception());
  }
}

std::optional<Record> Store::find(const std::string& id) {
  const auto result = store_.exec_params(
      fmt::format("SELECT {} FROM tapedeck.sessions WHERE id = $1", kColumns), pg::Params::of(id));
  if (result.rows() == 0) return std::nullopt;
  return read_record(result, 0);
}

Record Store::get(const std::string& id) {
  auto record = find(id);
  if (!record) throw not_found(id);
  return std::move(*record);
}

std::vector<Record> Store::list(bool include_terminal) {
  return read_records(store_.exec(
      fmt::format("SELECT {} FROM tapedeck.sessions {} ORDER BY created_at, id", kColumns,
                  include_terminal ? "" : "WHERE state NOT IN ('ended', 'failed')")));
}

Record Store::transition(const std::string& id, Transition transition,
                         const TransitionDetails& details) {
  if (transition == Transition::fail && details.error.empty()) {
    throw Error(ErrorSource::internal, Recovery::invalid,
                fmt::format("failing session {} needs a reason", id));
  }
  if (transition == Transition::restore_ok && !details.backup) {
    throw Error(ErrorSource::internal, Recovery::invalid,
                fmt::format("restore_ok of session {} needs the backup it restored", id));
  }
  pg::Params params;
  params.add(id)
      .add(to_string(target(transition)))
      .add(state_list(allowed_from(transition)))
      .add(details.error.empty() ? std::nullopt : std::optional<std::string>(details.error))
      .add(details.worker);
  if (details.backup) {
    params.add(details.backup->id).add(details.backup->lsn).add(details.backup->txid_snapshot);
  } else {
    params.add(std::nullopt).add(std::nullopt).add(std::nullopt);
  }
  const auto result = store_.exec_params(
      fmt::format("UPDATE tapedeck.sessions SET state = $2, updated_at = clock_timestamp(), "
                  "error = coalesce($4, error), worker = coalesce($5, worker), "
                  "backup_id = coalesce($6::int8, backup_id), "
                  "backup_lsn = coalesce($7::pg_lsn, backup_lsn), "
                  "backup_txid_snapshot = coalesce($8, backup_txid_snapshot), "
                  "heartbeat_at = CASE WHEN $5 IS NULL THEN heartbeat_at ELSE clock_timestamp() "
                  "END "
                  "WHERE id = $1 AND state = ANY($3::text[]) RETURNING {}",
                  kColumns),
      params);
  if (result.rows() == 1) return read_record(result, 0);

  throw refused(id, to_string(transition), allowed_from(transition));
}

Error Store::refused(const std::string& id, std::string_view command,
                     std::span<const State> allowed) {
  const auto current = find(id);
  if (!current) return not_found(id);
  return Error(ErrorSource::input, Recovery::conflict,
               fmt::format("session {} is {}; '{}' is allowed only when it is {}", id,
                           to_string(current->state), command, state_list(allowed)));
}

bool Store::report_progress(const std::string& id, const Progress& progress,
                            const std::string& worker) {
  pg::Params params;
  params.add(id).add(worker);
  if (progress.playback_time) {
    params.add(micros_param(*progress.playback_time));
  } else {
    params.add(std::nullopt);
  }
  params.add(progress.statements_applied)
      .add(progress.statements_left)
      .add(progress.rtus_calls_sent)
      .add(progress.rtus_calls_left)
      .add(progress.behind_ms);
  if (progress.recorded_until) {
    params.add(micros_param(*progress.recorded_until));
  } else {
    params.add(std::nullopt);
  }
  params.add(progress.waiting_for_recording);
  if (progress.phase) {
    params.add(progress.phase->to_json().dump());
  } else {
    params.add(std::nullopt);
  }
  const auto result = store_.exec_params(
      "UPDATE tapedeck.sessions SET worker = $2, heartbeat_at = clock_timestamp(), "
      "playback_time = CASE WHEN $3::int8 IS NULL THEN playback_time "
      "ELSE to_timestamp(0) + $3::int8 * interval '1 microsecond' END, "
      "statements_applied = $4, statements_left = $5, rtus_calls_sent = $6, "
      "rtus_calls_left = $7, behind_ms = $8, "
      "recorded_until = CASE WHEN $9::int8 IS NULL THEN recorded_until "
      "ELSE to_timestamp(0) + $9::int8 * interval '1 microsecond' END, "
      "waiting_for_recording = $10, progress = coalesce($11::jsonb, progress) "
      "WHERE id = $1 AND state NOT IN ('ended', 'failed')",
      params);
  return result.affected_rows() == 1;
}

Record Store::seek(const std::string& id, Time to) {
  // resume_state = state: SET sees the row as it was before the UPDATE.
  const auto result = store_.exec_params(
      fmt::format("UPDATE tapedeck.sessions SET state = 'seeking', resume_state = state, "
                  "seek_to = to_timestamp(0) + $2::int8 * interval '1 microsecond', "
                  "seek_restore = NULL, steps_pending = 0, updated_at = clock_timestamp() "
                  "WHERE id = $1 AND state = ANY($3::text[]) RETURNING {}",
                  kColumns),
      pg::Params::of(id, micros_param(to), state_list(allowed_from(Transition::seek))));
  if (result.rows() == 1) return read_record(result, 0);
  throw refused(id, "seek", allowed_from(Transition::seek));
}

Record Store::finish_seek(const std::string& id, const std::string& worker) {
  const auto result = store_.exec_params(
      fmt::format("UPDATE tapedeck.sessions SET state = resume_state, resume_state = NULL, "
                  "seek_to = NULL, seek_restore = NULL, worker = $2, "
                  "heartbeat_at = clock_timestamp(), updated_at = clock_timestamp() "
                  "WHERE id = $1 AND state = 'seeking' RETURNING {}",
                  kColumns),
      pg::Params::of(id, worker));
  if (result.rows() == 1) return read_record(result, 0);
  constexpr State kSeeking[] = {State::seeking};
  throw refused(id, "finish_seek", kSeeking);
}

void Store::request_seek_restore(const std::string& id, const std::string& worker) {
  const auto result = store_.exec_params(
      "UPDATE tapedeck.sessions SET seek_restore = 'requested', worker = $2, "
      "heartbeat_at = clock_timestamp(), updated_at = clock_timestamp() "
      "WHERE id = $1 AND state = 'seeking'",
      pg::Params::of(id, worker));
  constexpr State kSeeking[] = {State::seeking};
  if (result.affected_rows() != 1) throw refused(id, "request_seek_restore", kSeeking);
}

bool Store::begin_seek_restore(const std::string& id, const std::string& worker) {
  const auto result = store_.exec_params(
      "UPDATE tapedeck.sessions SET seek_restore = 'restoring', worker = $2, "
      "heartbeat_at = clock_timestamp() "
      "WHERE id = $1 AND state = 'seeking' AND seek_restore = 'requested'",
      pg::Params::of(id, worker));
  return result.affected_rows() == 1;
}

void Store::seek_restored(const std::string& id, const BackupRef& backup) {
  const auto result = store_.exec_params(
      "UPDATE tapedeck.sessions SET seek_restore = 'restored', backup_id = $2, "
      "backup_lsn = $3::pg_lsn, backup_txid_snapshot = $4, updated_at = clock_timestamp() "
      "WHERE id = $1 AND state = 'seeking' AND seek_restore = 'restoring'",
      pg::Params::of(id, backup.id, backup.lsn, backup.txid_snapshot));
  constexpr State kSeeking[] = {State::seeking};
  if (result.affected_rows() != 1) throw refused(id, "seek_restored", kSeeking);
}

Record Store::set_speed(const std::string& id, Speed speed) {
  constexpr State kSpeed[] = {State::ready, State::playing, State::paused};
  const auto result = store_.exec_params(
      fmt::format("UPDATE tapedeck.sessions SET speed = $2, updated_at = clock_timestamp() "
                  "WHERE id = $1 AND state = ANY($3::text[]) RETURNING {}",
                  kColumns),
      pg::Params::of(id, speed.str(), state_list(kSpeed)));
  if (result.rows() == 1) return read_record(result, 0);
  throw refused(id, "speed", kSpeed);
}

Record Store::request_steps(const std::string& id, std::int64_t count) {
  if (count < 1) {
    throw Error(ErrorSource::input, Recovery::invalid,
                fmt::format("step count {} must be at least 1", count));
  }
  constexpr State kStep[] = {State::paused};
  const auto result = store_.exec_params(
      fmt::format("UPDATE tapedeck.sessions SET steps_pending = steps_pending + $2, "
                  "updated_at = clock_timestamp() "
                  "WHERE id = $1 AND state = ANY($3::text[]) RETURNING {}",
                  kColumns),
      pg::Params::of(id, count, state_list(kStep)));
  if (result.rows() == 1) return read_record(result, 0);
  throw refused(id, "step", kStep);
}

void Store::steps_done(const std::string& id, std::int64_t count) {
  store_.exec_params(
      "UPDATE tapedeck.sessions SET steps_pending = greatest(steps_pending - $2, 0) "
      "WHERE id = $1",
      pg::Params::of(id, count));
}

bool Store::report_phase(const std::string& id, const PhaseProgress& phase,
                         const std::string& worker) {
  const auto result = store_.exec_params(
      "UPDATE tapedeck.sessions SET heartbeat_at = clock_timestamp(), "
      "progress = $3::jsonb WHERE id = $1 AND worker = $2 AND state NOT IN ('ended', 'failed')",
      pg::Params::of(id, worker, phase.to_json().dump()));
  return result.affected_rows() == 1;
}

bool Store::heartbeat(const std::string& id, const std::string& worker) {
  const auto result = store_.exec_params(
      "UPDATE tapedeck.sessions SET worker = $2, heartbeat_at = clock_timestamp() "
      "WHERE id = $1 AND state NOT IN ('ended', 'failed')",
      pg::Params::of(id, worker));
  return result.affected_rows() == 1;
}

std::vector<Record> Store::fail_stale(std::chrono::milliseconds timeout) {
  return read_records(store_.exec_params(
      fmt::format("UPDATE tapedeck.sessions SET state = 'failed', updated_at = clock_timestamp(), "
                  "error = format('%s stopped reporting (last heartbeat %s); the session cannot "
                  "continue, end it and start a new one', "
                  "CASE worker WHEN '' THEN 'its worker' ELSE worker END, heartbeat_at) "
                  "WHERE state IN ({}) AND heartbeat_at IS NOT NULL "
                  "AND heartbeat_at < clock_timestamp() - $1::int8 * interval '1 millisecond' "
                  "RETURNING {}",
                  kWorkingStates, kColumns),
      pg::Params::of(timeout.count())));
}

namespace {
std::vector<std::string> ids_of(const pg::Result& result) {
  std::vector<std::string> ids;
  ids.reserve(static_cast<std::size_t>(result.rows()));
  for (int row = 0; row < result.rows(); ++row) ids.push_back(result.get<std::string>(row, 0));
  return ids;
}
}  // namespace

std::vector<std::string> Store::awaiting_restore(std::chrono::milliseconds after) {
  return ids_of(store_.exec_params(
      "SELECT id FROM tapedeck.sessions WHERE "
      "(state = 'initializing' AND updated_at < clock_timestamp() - $1::int8 * interval '1 "
      "millisecond') OR (state = 'seeking' AND seek_restore = 'requested' AND "
      "coalesce(heartbeat_at, updated_at) < clock_timestamp() - $1::int8 * interval '1 "
      "millisecond') ORDER BY created_at, id",
      pg::Params::of(after.count())));
}

namespace {
// A restore under way whose dbop has not reported for $1 milliseconds.
constexpr std::string_view kAbandonedRestore =
    "(state = 'restoring' OR (state = 'seeking' AND seek_restore = 'restoring')) AND "
    "coalesce(heartbeat_at, updated_at) < clock_timestamp() - $1::int8 * interval '1 "
    "millisecond'";
}  // namespace

std::vector<std::string> Store::abandoned_restores(std::chrono::milliseconds stale) {
  return ids_of(store_.exec_params(
      fmt::format("SELECT id FROM tapedeck.sessions WHERE {} ORDER BY created_at, id",
                  kAbandonedRestore),
      pg::Params::of(static_cast<std::int64_t>(stale.count()))));
}

bool Store::take_over_restore(const std::string& id, const std::string& worker,
                              std::chrono::milliseconds stale) {
  return store_
             .exec_params(fmt::format("UPDATE tapedeck.sessions SET worker = $3, "
                                      "heartbeat_at = clock_timestamp() WHERE {} AND id = $2",
                                      kAbandonedRestore),
                          pg::Params::of(static_cast<std::int64_t>(stale.count()), id, worker))
             .affected_rows() == 1;
}

namespace {
// A session a msgop ran whose heartbeat is older than $1 milliseconds (a seek's restore, once
// requested, is dbop's to do: not a msgop's).
constexpr std::string_view kAbandonedReplay =
    "worker LIKE 'msgop@%' AND "
    "(state IN ('catching_up', 'ready', 'playing', 'paused') OR "
    "(state = 'seeking' AND (seek_restore IS NULL OR seek_restore = 'restored'))) AND "
    "coalesce(heartbeat_at, updated_at) < clock_timestamp() - $1::int8 * interval '1 "
    "millisecond'";
}  // namespace

std::vector<std::string> Store::abandoned_replays(std::chrono::milliseconds stale) {
  return ids_of(store_.exec_params(
      fmt::format("SELECT id FROM tapedeck.sessions WHERE {} ORDER BY created_at, id",
                  kAbandonedReplay),
      pg::Params::of(static_cast<std::int64_t>(stale.count()))));
}

std::optional<Record> Store::restart_abandoned_replay(const std::string& id,
                                                      std::chrono::milliseconds stale) {
  // SET sees the row as it was: every CASE reads the old state. No heartbeat until dbop takes
  // the restore, so replaymgr's stale-worker check leaves the session waiting for it.
  const auto result = store_.exec_params(
      fmt::format(
          "UPDATE tapedeck.sessions SET "
          "state = CASE WHEN state = 'catching_up' THEN 'initializing' ELSE 'seeking' END, "
          "resume_state = CASE WHEN state = 'catching_up' THEN NULL "
          "WHEN state = 'seeking' THEN resume_state ELSE state END, "
          "seek_to = CASE WHEN state = 'catching_up' THEN NULL "
          "WHEN state = 'seeking' THEN seek_to ELSE coalesce(playback_time, start_time) END, "
          "seek_restore = CASE WHEN state = 'catching_up' THEN NULL ELSE 'requested' END, "
          "backup_id = CASE WHEN state = 'catching_up' THEN NULL ELSE backup_id END, "
          "backup_lsn = CASE WHEN state = 'catching_up' THEN NULL ELSE backup_lsn END, "
          "backup_txid_snapshot = CASE WHEN state = 'catching_up' THEN NULL "
          "ELSE backup_txid_snapshot END, "
          "steps_pending = 0, progress = NULL, heartbeat_at = NULL, "
          "updated_at = clock_timestamp() "
          "WHERE id = $2 AND {} RETURNING {}",
          kAbandonedReplay, kColumns),
      pg::Params::of(static_cast<std::int64_t>(stale.count()), id));
  if (result.rows() != 1) return std::nullopt;
  return read_record(result, 0);
}

std::vector<std::string> Store::awaiting_replay(std::chrono::milliseconds after) {
  return ids_of(store_.exec_params(
      "SELECT id FROM tapedeck.sessions WHERE "
      "(state = 'catching_up' OR (state = 'seeking' AND seek_restore = 'restored')) AND "
      "worker LIKE 'dbop@%' AND "
      "coalesce(heartbeat_at, updated_at) < clock_timestamp() - $1::int8 * interval '1 "
      "millisecond' ORDER BY created_at, id",
      pg::Params::of(after.count())));
}

std::vector<std::string> Store::ended_databases(std::chrono::hours window,
                                                std::chrono::milliseconds grace) {
  const pg::Result result = store_.exec_params(
      "SELECT DISTINCT s.database_name FROM tapedeck.sessions s "
      "WHERE s.state = 'ended' AND s.updated_at > clock_timestamp() - $1::int8 * interval '1 hour' "
      "AND s.updated_at < clock_timestamp() - $2::int8 * interval '1 millisecond' "
      "AND NOT EXISTS (SELECT 1 FROM tapedeck.sessions o "
      "WHERE o.database_name = s.database_name AND o.state <> 'ended') "
      "ORDER BY 1",
      pg::Params::of(static_cast<std::int64_t>(window.count()),
                     static_cast<std::int64_t>(grace.count())));
  std::vector<std::string> names;
  names.reserve(static_cast<std::size_t>(result.rows()));
  for (int row = 0; row < result.rows(); ++row) names.emplace_back(result.text(row, 0));
  return names;
}

std::vector<Record> Store::expire_idle(std::chrono::milliseconds idle) {
  return read_records(store_.exec_params(
      fmt::format("UPDATE tapedeck.sessions SET state = 'ended', updated_at = clock_timestamp(), "
                  "error = concat_ws('; ', CASE WHEN state = 'failed' THEN error END, "
                  "format('ended by replaymgr.idle_expiry: no command and no state change "
                  "since %s (%s)', updated_at, state)) "
                  "WHERE state IN ('ready', 'paused', 'failed') "
                  "AND updated_at < clock_timestamp() - $1::int8 * interval '1 millisecond' "
                  "RETURNING {}",
                  kColumns),
      pg::Params::of(static_cast<std::int64_t>(idle.count()))));
}

std::size_t RestoreQueue::position_of(const std::string& id) const {
  const auto found = std::find(waiting.begin(), waiting.end(), id);
  return found == waiting.end() ? 0 : static_cast<std::size_t>(found - waiting.begin()) + 1;
}

RestoreQueue Store::restore_queue() {
  RestoreQueue queue;
  queue.waiting = ids_of(store_.exec(
      "SELECT id FROM tapedeck.sessions WHERE state = 'initializing' ORDER BY created_at, id"));
  queue.restoring = store_
                        .exec(
                            "SELECT count(*) FROM tapedeck.sessions WHERE state = 'restoring' "
                            "OR (state = 'seeking' AND seek_restore = 'restoring')")
                        .get<std::int64_t>(0, 0);
  return queue;
}

std::int64_t Store::purge_ended(std::chrono::milliseconds retention) {
  // One statement: the lock is taken before any row is read and released at its commit.
  const pg::Result result = store_.exec_params(
      "WITH purger AS (SELECT pg_try_advisory_xact_lock(hashtext('tapedeck.sessions purge')) "
      "AS got) "
      "DELETE FROM tapedeck.sessions WHERE (SELECT got FROM purger) AND state = 'ended' "
      "AND updated_at < clock_timestamp() - $1::int8 * interval '1 millisecond'",
      pg::Params::of(static_cast<std::int64_t>(retention.count())));
  return result.affected_rows();
}

}  // namespace tapedeck::session
