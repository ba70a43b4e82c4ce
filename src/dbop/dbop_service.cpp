// The dbop service: a shared durable consumer of session `init` events, up to max_restores
// restores at a time.
#include "dbop/dbop_service.hpp"

#include <fmt/format.h>

#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/exit_codes.hpp"
#include "core/log.hpp"
#include "core/nats/connection.hpp"
#include "core/nats/consumer.hpp"
#include "core/nats/jetstream.hpp"
#include "core/pg/connection.hpp"
#include "core/progress.hpp"
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

// A session waiting this long for a restore while this dbop has nothing to do lost its init
// event (a failed publish, a purged stream): it gets the event again.
constexpr auto kLostEventAfter = 10s;
// A restore whose dbop has not reported for this long (it heartbeats every second, pg_restore
// or not) died with it: another dbop takes it over, well within replaymgr.worker_timeout
// (10 s), which would fail the session. A live dbop wrongly taken over only loses its restore
// (report_phase tells it), so two missed beats and a half are enough.
constexpr std::chrono::milliseconds kAbandonedAfter = 2500ms;
constexpr auto kSweepInterval = 1s;

}  // namespace

// What the restore slots of one dbop share: the sessions they are restoring (an event of one
// of them redelivered to another slot is a duplicate, not an interrupted restore to redo) and
// the lost-event sweep's schedule (one idle slot sweeps at a time).
class DbopService::Slots {
 public:
  bool claim(const std::string& id) {
    const std::lock_guard lock(mutex_);
    return restoring_.insert(id).second;
  }
  void release(const std::string& id) {
    const std::lock_guard lock(mutex_);
    restoring_.erase(id);
  }
  bool sweep_due() {
    const std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (now < next_sweep_) return false;
    next_sweep_ = now + kSweepInterval;
    return true;
  }

  // Releases a session claimed by claim() when it goes out of scope.
  class Claimed {
   public:
    Claimed(Slots& slots, std::string id) : slots_(slots), id_(std::move(id)) {}
    ~Claimed() { slots_.release(id_); }
    Claimed(const Claimed&) = delete;
    Claimed& operator=(const Claimed&) = delete;
    Claimed(Claimed&&) = delete;
    Claimed& operator=(Claimed&&) = delete;

   private:
    Slots& slots_;
    std::string id_;
  };

 private:
  std::mutex mutex_;
  std::set<std::string> restoring_;
  std::chrono::steady_clock::time_point next_sweep_{};
};

namespace {

// Thrown out of a restore by the heartbeat when the session is no longer ours to restore.
struct Abandoned {
  enum class Why { session_gone, taken_over, stopping } why;
};

// Thrown out of a restore by the heartbeat when the store DB or NATS went away: not a reason to
// fail the session (the loop reconnects; the unacked event comes back and the restore is redone).
struct Interrupted {
  Error error;
};

}  // namespace

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
        taken_over(registry.counter("tapedeck_dbop_restores_taken_over_total",
                                    "restores taken over from a dbop that stopped reporting")),
        reissued(registry.counter("tapedeck_dbop_events_reissued_total",
                                  "init events published again for sessions whose event was "
                                  "lost")),
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
  Counter& taken_over;
  Counter& reissued;
  Gauge& restoring;
  Histogram& seconds;
};

DbopSettings DbopSettings::from_config(const config::Config& config) {
  DbopSettings settings;
  settings.restore.live_dsn = config.string("live.dsn");
  settings.restore.playback_dsn = config.string("playback.dsn");
  settings.restore.work_dir = config.string("dbop.work_dir");
  settings.restore.restore_jobs = static_cast<int>(config.integer("dbop.restore_jobs"));
  settings.restore.match_live_locale = config.boolean("dbop.match_live_locale");
  settings.restore.store = storage::store_config(config);
  settings.restore.pg_restore = config.string("dbop.pg_restore");
  settings.store_dsn = config.string("store.dsn");
  settings.nats_url = config.string("nats.url");
  settings.listen = config.string("dbop.listen");
  settings.drop_on_end = config.boolean("playback.drop_on_end");
  settings.worker = session::worker_name("dbop");
  settings.max_restores = static_cast<int>(config.integer("dbop.max_restores"));
  if (settings.max_restores < 1) {
    throw Error(ErrorSource::config, Recovery::invalid, "dbop.max_restores must be at least 1");
  }
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
       DbopMetrics& metrics, Slots& slots)
      : settings_(settings),
        jetstream_(jetstream),
        store_(store),
        metrics_(metrics),
        slots_(slots),
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
    if (!slots_.claim(id)) {
      // Left unacked: the slot restoring the session acks the event when it is done.
      log_->info("session {}: init event again while another slot of this dbop restores it", id);
      metrics_.skipped.inc();
      return;
    }
    const Slots::Claimed claimed(slots_, id);
    const auto current = store_.find(id);
    const bool seek = current && current->state == session::State::seeking;
    if (seek && !store_.begin_seek_restore(id, settings_.worker)) {
      // A backward seek's restore (msgop asked, through the same init event): taken here
      // unless another copy took it, or this one before an interruption.
      const bool ours = current->seek && current->seek->restore == "restoring" &&
                        current->worker == settings_.worker;
      if (!ours && !take_over(*current)) {
        log_->info("session {}: seek restore skipped (taken elsewhere or not requested)", id);
        metrics_.skipped.inc();
        message.ack_sync();
        return;
      }
    }
    // A seek's restore was taken above; it reaches the seek target (Record::restore_target).
    if (!seek && !take_init(message, id)) return;
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

  // Sessions find their way here from the sessions table too, so a lost init event only
  // delays one: a session waiting for a restore for over kLostEventAfter, seen while this dbop
  // has no event to handle, gets its init event again (one message id per sweep window, so
  // copies sweeping together publish it once; a late original is skipped like any duplicate).
  void reissue_lost_inits() {
    const auto seconds = [](auto duration) {
      return std::chrono::duration_cast<std::chrono::seconds>(duration).count();
    };
    const auto window =
        seconds(std::chrono::system_clock::now().time_since_epoch()) / seconds(kSweepInterval);
    const auto reissue = [&](const std::vector<std::string>& ids, std::string_view why,
                             std::string_view kind) {
      for (const auto& id : ids) {
        log_->warn("session {}: {}; publishing its init event again", id, why);
        session::publish_event(jetstream_, id, "init", {{"reissued_by", settings_.worker}},
                               fmt::format("{}.init.{}.{}", id, kind, window));
        metrics_.reissued.inc();
      }
    };
    reissue(store_.awaiting_restore(kLostEventAfter),
            fmt::format("waiting for a restore for over {} s and no init event came",
                        seconds(kLostEventAfter)),
            "again");
    // A dbop gets it and takes the restore over (take_over).
    reissue(store_.abandoned_restores(kAbandonedAfter),
            fmt::format("its restore has not reported for over {:.1f} s (its dbop died)",
                        std::chrono::duration<double>(kAbandonedAfter).count()),
            "takeover");
  }

 private:
  // Takes over the restore of a session whose dbop stopped reporting (it died mid-restore).
  bool take_over(const session::Record& current) {
    if (!store_.take_over_restore(current.id, settings_.worker, kAbandonedAfter)) return false;
    log_->warn("session {}: took the restore over from {}, which stopped reporting", current.id,
               current.worker);
    metrics_.taken_over.inc();
    return true;
  }

  // Takes a new session for restoring (initializing -> restoring); false when it was skipped
  // (taken elsewhere, ended), the message acked.
  bool take_init(nats::Message& message, const std::string& id) {
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
      if (!ours && current && take_over(*current)) return true;
      if (!ours) {
        log_->info("session {}: init skipped ({})", id, error.message());
        metrics_.skipped.inc();
        message.ack_sync();
        return false;
      }
      log_->info("session {}: restoring again after an interrupted attempt", id);
    }
    return true;
  }

  void restore(nats::Message& message, const std::string& id) {
    const session::Record record = store_.get(id);
    const std::string& database = record.database_name;
    const bool seek = record.state == session::State::seeking;
    log_->info("session {}: restoring the snapshot for {} into {}{}", id,
               session::format_time(record.restore_target()), database,
               seek ? " (a backward seek)" : "");
    const auto began = std::chrono::steady_clock::now();
    session::PhaseMeter meter("restoring", "bytes", std::nullopt, began);
    // The download counts bytes, then pg_restore items of the dump's table of contents (its
    // own meter, so the rate and ETA are pg_restore's); a retried attempt downloads again.
    bool counting_items = false;
    double done_units = 0;
    const RestoreBytes on_bytes = [&](std::uint64_t done, std::uint64_t total) {
      if (counting_items) {
        counting_items = false;
        meter = session::PhaseMeter("restoring", "bytes", std::nullopt,
                                    std::chrono::steady_clock::now());
      }
      done_units = static_cast<double>(done);
      meter.set_total(static_cast<double>(total));
    };
    const RestoreItems on_items = [&](std::uint64_t done, std::uint64_t total) {
      if (!counting_items) {
        counting_items = true;
        meter = session::PhaseMeter("restoring", "items", std::nullopt,
                                    std::chrono::steady_clock::now());
      }
      done_units = static_cast<double>(done);
      meter.set_total(static_cast<double>(total));
    };

    auto last_beat = std::chrono::steady_clock::now();
    const std::function<void()> tick = [&] {
      if (stop::requested()) throw Abandoned{Abandoned::Why::stopping};
      const auto now = std::chrono::steady_clock::now();
      if (now - last_beat < settings_.heartbeat_interval / 2) return;
      last_beat = now;
      bool alive = false;
      try {
        const auto progress = meter.at(done_units, now);
        alive = store_.report_phase(id, progress, settings_.worker);
        message.in_progress();
        publish_progress(id, progress);
      } catch (const Error& error) {
        throw Interrupted{error};
      }
      if (!alive) {
        const auto now_held = store_.find(id);
        const bool gone = !now_held || now_held->state == session::State::ended ||
                          now_held->state == session::State::failed;
        throw Abandoned{gone ? Abandoned::Why::session_gone : Abandoned::Why::taken_over};
      }
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
        restored =
            restore_with_retries(id, database, record.restore_target(), tick, on_bytes, on_items);
      }
    } catch (const Abandoned& abandoned) {
      metrics_.abandoned.inc();
      if (abandoned.why == Abandoned::Why::stopping) {
        reason = "dbop stopped while restoring; create the session again";
      } else if (abandoned.why == Abandoned::Why::taken_over) {
        // Its database is the new owner's now.
        log_->warn("session {}: another dbop took the restore over; this one lets it go", id);
        message.ack_sync();
        return;
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

    // The last progress (pg_restore done: done == total), which ticks report only now and then.
    {
      const auto progress = meter.at(done_units, std::chrono::steady_clock::now());
      try {
        store_.report_phase(id, progress, settings_.worker);
      } catch (const Error& error) {
        log_->debug("session {}: last restore progress not stored: {}", id, error.what());
      }
      publish_progress(id, progress);
    }

    const auto& backup = restored->backup;
    session::BackupRef ref{backup.id, backup.lsn.str(), backup.txid_snapshot};
    try {
      if (seek) {
        store_.seek_restored(id, ref);
      } else {
        store_.transition(id, session::Transition::restore_ok,
                          session::TransitionDetails::restored(ref));
      }
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
    // A seek's restore.ok is a new event each time (the first one's id is in the stream's
    // duplicate window a while); the restore this seek asked for is named by when it asked.
    publish(id, "restore.ok", fields,
            seek ? fmt::format("{}.restore.ok.{}", id, record.updated_at.time_since_epoch().count())
                 : std::string());
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
                                session::Time start, const std::function<void()>& tick,
                                const RestoreBytes& on_bytes, const RestoreItems& on_items) {
    std::mt19937_64 random(std::random_device{}());
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const RetryPolicy policy{settings_.restore_attempts, 1s, 10s, 0.2};
    for (int attempt = 1;; ++attempt) {
      try {
        return restore_snapshot(settings_.restore, database, start, tick, on_bytes, on_items);
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
  // A `progress` event with the restore's progress; a lost one is only a late progress line.
  void publish_progress(const std::string& id, const session::PhaseProgress& progress) {
    try {
      session::publish_event(jetstream_, id, "progress",
                             {{"state", "restoring"}, {"progress", progress.to_json()}});
    } catch (const Error& error) {
      log_->debug("session {}: progress event not published: {}", id, error.what());
    }
  }

  void publish(const std::string& id, std::string_view event, const nlohmann::json& fields,
               std::string msg_id = {}) {
    if (msg_id.empty()) msg_id = fmt::format("{}.{}", id, event);
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
  Slots& slots_;
  std::shared_ptr<spdlog::logger> log_;
};

DbopService::DbopService(DbopSettings settings, config::Config config)
    : settings_(std::move(settings)), config_(std::move(config)) {}

int DbopService::run() {
  auto log = log::get("dbop");
  DbopMetrics metrics(registry_);
  const service::ObservabilityServer server(*log, {settings_.listen, settings_.worker}, registry_,
                                            [this] { return health(); });
  log->info("restoring up to {} session(s) at a time (dbop.max_restores)", settings_.max_restores);
  // Each restore slot is a consumer loop of its own, fetching one event at a time: up to
  // max_restores sessions restore at once, the others wait in the stream (and say so in the
  // API, a session's `queue`).
  Slots slots;
  std::mutex failure_mutex;
  std::exception_ptr failure;
  {
    std::vector<std::jthread> threads;
    for (int slot = 1; slot <= settings_.max_restores; ++slot) {
      threads.emplace_back([&, slot] {
        try {
          run_slot(slot, metrics, slots);
        } catch (...) {
          // What the retry loop rethrows (not an Error) ends the service, as on one thread.
          const std::lock_guard lock(failure_mutex);
          if (!failure) failure = std::current_exception();
          stop::request();
        }
      });
    }
  }
  if (failure) std::rethrow_exception(failure);
  log->info("stopped");
  return exit_code::ok;
}

void DbopService::run_slot(int slot, DbopMetrics& metrics, Slots& slots) {
  auto log = log::get("dbop");
  nats::ConnectOptions options;
  options.url = settings_.nats_url;
  options.name = fmt::format("{} slot {}", settings_.worker, slot);
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
    Loop handler(settings_, jetstream, store, metrics, slots);
    while (!stop::requested()) {
      auto messages = consumer.fetch(1, 1s);
      for (auto& message : messages) handler.handle(message);
      if (messages.empty() && slots.sweep_due()) handler.reissue_lost_inits();
    }
  });
}

}  // namespace tapedeck::dbop
