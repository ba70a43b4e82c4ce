// The dbop service: a shared durable consumer of session `init` events, one restore at a time.
#include "dbop/dbop_service.hpp"

#include <fmt/format.h>

#include <optional>
#include <random>

#include "core/error.hpp"
#include "core/exit_codes.hpp"
#include "core/log.hpp"
#include "core/nats/connection.hpp"
#include "core/nats/consumer.hpp"
#include "core/nats/jetstream.hpp"
#include "core/pg/connection.hpp"
#include "core/schema/store_schema.hpp"
#include "core/service/observability_server.hpp"
#include "core/service/retry_loop.hpp"
#include "core/session.hpp"
#include "core/sessions/session_events.hpp"
#include "core/sessions/session_store.hpp"
#include "core/stop.hpp"

namespace tapedeck::dbop {

using namespace std::chrono_literals;

namespace {

// Thrown out of a restore by the heartbeat when the session is no longer ours to restore.
struct Abandoned {
  enum class Why { session_gone, stopping } why;
};

// Thrown out of a restore by the heartbeat when the store DB or NATS went away: not a reason to
// fail the session (the loop reconnects; the unacked event comes back and the restore is redone).
struct Interrupted {
  Error error;
};

struct DbopMetrics {
  explicit DbopMetrics(Metrics& registry)
      : events(registry.counter("tapedeck_dbop_events_total", "init events received")),
        taken(registry.counter("tapedeck_dbop_sessions_taken_total",
                               "sessions this dbop took for restoring")),
        skipped(registry.counter("tapedeck_dbop_events_skipped_total",
                                 "init events for sessions taken elsewhere or ended")),
        restored(registry.counter("tapedeck_dbop_restores_total", "restores by result",
                                  {{"result", "ok"}})),
        failed(registry.counter("tapedeck_dbop_restores_total", "restores by result",
                                {{"result", "ko"}})),
        abandoned(registry.counter("tapedeck_dbop_restores_total", "restores by result",
                                   {{"result", "abandoned"}})),
        bytes(registry.counter("tapedeck_dbop_snapshot_bytes_total",
                               "bytes of snapshots downloaded and restored")),
        errors(registry.counter("tapedeck_dbop_errors_total",
                                "transient failures (NATS, databases, storage) retried")),
        restoring(registry.gauge("tapedeck_dbop_restoring", "restores under way")),
        seconds(registry.histogram("tapedeck_dbop_restore_seconds",
                                   "time from taking a session to restore.ok",
                                   {0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800})) {}
  Counter& events;
  Counter& taken;
  Counter& skipped;
  Counter& restored;
  Counter& failed;
  Counter& abandoned;
  Counter& bytes;
  Counter& errors;
  Gauge& restoring;
  Histogram& seconds;
};

}  // namespace

DbopSettings DbopSettings::from_config(const config::Config& config) {
  DbopSettings settings;
  settings.restore.live_dsn = config.string("live.dsn");
  settings.restore.playback_dsn = config.string("playback.dsn");
  settings.restore.work_dir = config.string("dbop.work_dir");
  settings.restore.restore_jobs = static_cast<int>(config.integer("dbop.restore_jobs"));
  settings.restore.store = storage::store_config(config);
  settings.restore.pg_restore = config.string("dbop.pg_restore");
  settings.store_dsn = config.string("store.dsn");
  settings.nats_url = config.string("nats.url");
  settings.listen = config.string("dbop.listen");
  settings.drop_on_end = config.boolean("playback.drop_on_end");
  settings.worker = session::worker_name("dbop");
  if (settings.restore.restore_jobs < 1) {
    throw Error(ErrorSource::config, Recovery::invalid, "dbop.restore_jobs must be at least 1");
  }
  if (!settings.restore.work_dir.is_absolute()) {
    throw Error(ErrorSource::config, Recovery::invalid,
                fmt::format("dbop.work_dir must be an absolute path, not '{}'",
                            settings.restore.work_dir.string()));
  }
  return settings;
}

// One connection set (NATS, JetStream, store DB) and the handling of one event at a time.
// Lives on run()'s thread.
class DbopService::Loop {
 public:
  Loop(const DbopSettings& settings, nats::JetStream& jetstream, pg::Connection& store,
       DbopMetrics& metrics)
      : settings_(settings),
        jetstream_(jetstream),
        store_(store),
        metrics_(metrics),
        log_(log::get("dbop")) {}

  // Handles one init event; returns once the message is acked (or left for redelivery when a
  // transient failure prevented recording its effect: that throws).
  void handle(nats::Message& message) {
    metrics_.events.inc();
    const auto parsed = session::parse_subject(message.subject());
    if (!parsed || parsed->second != "init") {
      log_->warn("ignoring a message on {}: not a session init event", message.subject());
      message.term();
      return;
    }
    const std::string& id = parsed->first;
    try {
      store_.transition(id, session::Transition::restore_begin,
                        session::TransitionDetails::by(settings_.worker));
    } catch (const Error& error) {
      if (error.recovery() != Recovery::conflict && error.recovery() != Recovery::not_found) {
        throw;
      }
      // This service took the session before a transient failure cut the restore short (the
      // event was not acked, so it came back): the restore is ours to do again.
      const auto current = store_.find(id);
      const bool ours = current && current->state == session::State::restoring &&
                        current->worker == settings_.worker;
      if (!ours) {
        log_->info("session {}: init skipped ({})", id, error.message());
        metrics_.skipped.inc();
        message.ack_sync();
        return;
      }
      log_->info("session {}: restoring again after an interrupted attempt", id);
    }
    metrics_.taken.inc();
    metrics_.restoring.add(1);
    const auto started = std::chrono::steady_clock::now();
    try {
      restore(message, id);
    } catch (...) {
      metrics_.restoring.add(-1);
      throw;
    }
    metrics_.restoring.add(-1);
    metrics_.seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }

 private:
  void restore(nats::Message& message, const std::string& id) {
    const session::Record record = store_.get(id);
    const std::string& database = record.database_name;
    log_->info("session {}: restoring the snapshot for {} into {}", id,
               session::format_time(record.start), database);

    auto last_beat = std::chrono::steady_clock::now();
    const std::function<void()> tick = [&] {
      if (stop::requested()) throw Abandoned{Abandoned::Why::stopping};
      const auto now = std::chrono::steady_clock::now();
      if (now - last_beat < settings_.heartbeat_interval / 2) return;
      last_beat = now;
      bool alive = false;
      try {
        alive = store_.heartbeat(id, settings_.worker);
        message.in_progress();
      } catch (const Error& error) {
        throw Interrupted{error};
      }
      if (!alive) throw Abandoned{Abandoned::Why::session_gone};
    };

    std::optional<std::string> reason;
    std::optional<Restored> restored;
    try {
      if (auto holder = holder_of(id, database)) {
        reason = fmt::format(
            "database {} is held by session {}; end that session first or use a "
            "playback.database_template with <id>",
            database, *holder);
      } else {
        restored = restore_with_retries(id, database, record.start, tick);
      }
    } catch (const Abandoned& abandoned) {
      metrics_.abandoned.inc();
      if (abandoned.why == Abandoned::Why::stopping) {
        reason = "dbop stopped while restoring; create the session again";
      } else {
        log_->info("session {}: ended or failed while restoring; restore abandoned", id);
        drop_quietly(id, database, settings_.drop_on_end);
        message.ack_sync();
        return;
      }
    } catch (const Interrupted& interrupted) {
      log_->warn("session {}: restore interrupted ({}); it is redone when the event comes back", id,
                 interrupted.error.what());
      throw interrupted.error;
    } catch (const Error& error) {
      reason = error.message();
    } catch (const std::exception& error) {
      reason = error.what();
    }

    if (reason) {
      fail(message, id, database, *reason);
      return;
    }

    const auto& backup = restored->backup;
    session::BackupRef ref{backup.id, backup.lsn.str(), backup.txid_snapshot};
    try {
      store_.transition(id, session::Transition::restore_ok,
                        session::TransitionDetails::restored(ref));
    } catch (const Error& error) {
      if (error.recovery() != Recovery::conflict && error.recovery() != Recovery::not_found) {
        throw;
      }
      log_->info("session {}: ended while restoring ({}); restore abandoned", id, error.message());
      metrics_.abandoned.inc();
      drop_quietly(id, database, settings_.drop_on_end);
      message.ack_sync();
      return;
    }
    metrics_.restored.inc();
    metrics_.bytes.inc(restored->bytes);
    nlohmann::json fields = {
        {"backup_id", backup.id},
        {"lsn", backup.lsn.str()},
        {"txid_snapshot", backup.txid_snapshot},
        {"database_name", database},
        {"backup_created_at", backup.created_at},
        {"backup_system_time",
         backup.system_time ? nlohmann::json(*backup.system_time) : nlohmann::json(nullptr)},
    };
    publish(id, "restore.ok", fields);
    log_->info("session {}: restored backup {} (lsn {}) into {}", id, backup.id, backup.lsn.str(),
               database);
    message.ack_sync();
  }

  // Another live session that names the same (fixed) database, if any.
  std::optional<std::string> holder_of(const std::string& id, const std::string& database) {
    for (const auto& other : store_.list(false)) {
      if (other.id != id && other.database_name == database) {
        return other.id;
      }
    }
    return std::nullopt;
  }

  Restored restore_with_retries(const std::string& id, const std::string& database,
                                session::Time start, const std::function<void()>& tick) {
    std::mt19937_64 random(std::random_device{}());
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const RetryPolicy policy{settings_.restore_attempts, 1s, 10s, 0.2};
    for (int attempt = 1;; ++attempt) {
      try {
        return restore_snapshot(settings_.restore, database, start, tick);
      } catch (const Error& error) {
        if (!error.retryable() || policy.exhausted(attempt)) throw;
        metrics_.errors.inc();
        log_->warn("session {}: restore attempt {} failed ({}); retrying", id, attempt,
                   error.what());
        const auto until = std::chrono::steady_clock::now() + policy.delay(attempt, unit(random));
        while (std::chrono::steady_clock::now() < until) {
          tick();
          stop::wait_for(100ms);
        }
      }
    }
  }

  void fail(nats::Message& message, const std::string& id, const std::string& database,
            const std::string& reason) {
    log_->warn("session {}: restore failed: {}", id, reason);
    metrics_.failed.inc();
    // The half-restored database is of no use; a database held by another session is not ours.
    if (reason.find("is held by session") == std::string::npos) {
      drop_quietly(id, database, true);
    }
    try {
      store_.transition(id, session::Transition::fail, session::TransitionDetails::failure(reason));
    } catch (const Error& error) {
      if (error.recovery() != Recovery::conflict && error.recovery() != Recovery::not_found) {
        throw;
      }
      log_->info("session {}: already ended or failed ({})", id, error.message());
      message.ack_sync();
      return;
    }
    publish(id, "restore.ko", {{"reason", reason}});
    message.ack_sync();
  }

  // Publishes an event, retrying a transient failure until stopped: the row already says
  // what happened, the event tells the others to look.
  void publish(const std::string& id, std::string_view event, const nlohmann::json& fields) {
    const std::string msg_id = fmt::format("{}.{}", id, event);
    for (int attempt = 1;; ++attempt) {
      try {
        session::publish_event(jetstream_, id, event, fields, msg_id);
        return;
      } catch (const Error& error) {
        if (!error.retryable() || stop::requested()) throw;
        metrics_.errors.inc();
        if (attempt == 1)
          log_->warn("session {}: publishing {} failed ({}); retrying", id, event, error.what());
        stop::wait_for(std::min<std::chrono::milliseconds>(attempt * 200ms, 2s));
      }
    }
  }

  void drop_quietly(const std::string& id, const std::string& database, bool drop) {
    if (!drop) return;
    try {
      drop_database(settings_.restore.playback_dsn, database);
    } catch (const Error& error) {
      log_->error("session {}: dropping database {} failed: {}; drop it by hand", id, database,
                  error.what());
    }
  }

  const DbopSettings& settings_;
  nats::JetStream& jetstream_;
  session::Store store_;
  DbopMetrics& metrics_;
  std::shared_ptr<spdlog::logger> log_;
};

DbopService::DbopService(DbopSettings settings, config::Config config)
    : settings_(std::move(settings)), config_(std::move(config)) {}

int DbopService::run() {
  auto log = log::get("dbop");
  DbopMetrics metrics(registry_);
  const service::ObservabilityServer server(*log, {settings_.listen, settings_.worker}, registry_,
                                            [this] { return health(); });
  nats::ConnectOptions options;
  options.url = settings_.nats_url;
  options.name = settings_.worker;
  options.retry_on_failed_connect = true;

  // Everything is retried, configuration mistakes included (a stream or server that is not
  // there yet): /healthz reports the reason meanwhile. An event whose effect was not recorded
  // is redelivered after ack_wait.
  service::RetryLoopOptions loop;
  loop.retry = settings_.retry;
  loop.failures = &metrics.errors;
  bool migrated = false;
  service::retry_until_stopped(*log, health_, loop, [&](const service::Started& started) {
    nats::Connection nats(options);
    // Named after the worker, so pg_stat_activity tells the copies apart.
    pg::Connection store(settings_.store_dsn, settings_.worker);
    if (!migrated) {
      schema::migrate_store(store);
      migrated = true;
    }
    nats::JetStream jetstream(nats);
    auto consumer = session::bind_event_consumer(jetstream, config_, settings_.durable, "init",
                                                 settings_.ack_wait);
    started();
    Loop handler(settings_, jetstream, store, metrics);
    while (!stop::requested()) {
      for (auto& message : consumer.fetch(1, 1s)) handler.handle(message);
    }
  });
  log->info("stopped");
  return exit_code::ok;
}

}  // namespace tapedeck::dbop
