// The msgop service loop: restore.ok events -> claimed sessions -> one runner thread each.
#include "msgop/msgop_service.hpp"

#include <fmt/format.h>

#include <atomic>
#include <list>
#include <thread>

#include "core/error.hpp"
#include "core/exit_codes.hpp"
#include "core/log.hpp"
#include "core/nats/consumer.hpp"
#include "core/nats/jetstream.hpp"
#include "core/schema/store_schema.hpp"
#include "core/service/observability_server.hpp"
#include "core/service/retry_loop.hpp"
#include "core/session.hpp"
#include "core/sessions/session_events.hpp"
#include "core/sessions/session_store.hpp"
#include "core/stop.hpp"

namespace tapedeck::msgop {

namespace {

using namespace std::chrono_literals;

// One session thread and whether it has returned.
struct Running {
  std::string id;
  std::shared_ptr<std::atomic<bool>> done = std::make_shared<std::atomic<bool>>(false);
  std::thread thread;
};

// A restored session no msgop took this long after its restore lost its restore.ok event.
constexpr std::chrono::milliseconds kLostEventAfter = 3s;
constexpr auto kSweepInterval = 1s;
// A session's msgop heartbeats every progress interval (1 s); this long without one, and its
// lock free, it is dead (a live msgop holds the lock however late its beat). Sweep included,
// well within replaymgr.worker_timeout (10 s).
constexpr std::chrono::milliseconds kAbandonedAfter = 3s;

}  // namespace

MsgopSettings MsgopSettings::from_config(const config::Config& config) {
  MsgopSettings settings;
  settings.runner.store_dsn = config.string("store.dsn");
  settings.runner.playback_dsn = config.string("playback.dsn");
  settings.runner.rtus_url = config.string("playback.rtus_url");
  settings.runner.drop_on_end = config.boolean("playback.drop_on_end");
  settings.runner.batch_statements = static_cast<int>(config.integer("msgop.batch_statements"));
  settings.runner.progress_interval = config.duration("msgop.progress_interval");
  settings.runner.rtus_timeout = config.duration("msgop.rtus_timeout");
  settings.runner.worker = session::worker_name("msgop");
  settings.runner.watermark_name = config.string("nats.cdc_stream");
  settings.nats_url = config.string("nats.url");
  settings.listen = config.string("msgop.listen");
  settings.durable = config.string("msgop.durable");
  if (settings.runner.batch_statements < 1) {
    throw Error(ErrorSource::config, Recovery::invalid,
                "msgop.batch_statements must be at least 1");
  }
  if (settings.runner.progress_interval <= 0ms) {
    throw Error(ErrorSource::config, Recovery::invalid, "msgop.progress_interval must be positive");
  }
  return settings;
}

MsgopService::MsgopService(MsgopSettings settings, config::Config config, const Clock& clock)
    : settings_(std::move(settings)),
      config_(std::move(config)),
      clock_(clock),
      metrics_(registry_) {}

MsgopService::~MsgopService() = default;

int MsgopService::run() {
  auto log = log::get("msgop");
  const service::ObservabilityServer server(*log, {settings_.listen, settings_.runner.worker},
                                            registry_, [this] { return health(); });
  nats::ConnectOptions options;
  options.url = settings_.nats_url;
  options.name = settings_.runner.worker;
  options.retry_on_failed_connect = true;
  // Outlives every session thread: they borrow it for their subscriptions and events.
  nats::Connection nats(options);

  std::list<Running> running;
  auto reap = [&](bool all) {
    for (auto it = running.begin(); it != running.end();) {
      if (all || it->done->load()) {
        it->thread.join();
        it = running.erase(it);
      } else {
        ++it;
      }
    }
  };

  // Runs session `id` on a thread of its own once it is claimed.
  auto run_session = [&](const std::string& id, pg::Connection claim) {
    metrics_.sessions_taken.inc();
    Running entry;
    entry.id = id;
    auto runner = std::make_shared<SessionRunner>(settings_.runner, id, std::move(claim), nats,
                                                  clock_, metrics_);
    entry.thread = std::thread([runner, done = entry.done] {
      runner->run();
      done->store(true);
    });
    running.push_back(std::move(entry));
  };

  // Sessions find their way here from the sessions table too, so a lost restore.ok only
  // delays one: a restored session whose worker has not reported for kLostEventAfter is
  // claimed (the claim's advisory lock keeps a session another msgop runs where it is). Well
  // within replaymgr.worker_timeout, after which the reaper fails such a session.
  auto next_sweep = std::chrono::steady_clock::now();
  auto sweep = [&](nats::JetStream& jetstream) {
    if (std::chrono::steady_clock::now() < next_sweep) return;
    next_sweep = std::chrono::steady_clock::now() + kSweepInterval;
    std::vector<std::string> waiting;
    std::vector<std::string> abandoned;
    {
      pg::Connection store(settings_.runner.store_dsn, "tapedeck-msgop");
      waiting = session::Store(store).awaiting_replay(kLostEventAfter);
      abandoned = session::Store(store).abandoned_replays(kAbandonedAfter);
    }
    // A session whose msgop died holds part of a catch-up or replay: it goes back to dbop from
    // where it was, then to whichever msgop takes its restore.ok (replaymgr would otherwise
    // fail it after worker_timeout). A failed publish is not lost: dbop's own sweep sends the
    // init event of a session waiting for it.
    for (const auto& id : abandoned) {
      const auto restarted = restart_abandoned_replay(settings_.runner, id, kAbandonedAfter);
      if (!restarted) continue;
      log->warn("session {}: its msgop stopped reporting for over {} ms; restoring it again {}", id,
                kAbandonedAfter.count(),
                restarted->state == session::State::initializing
                    ? std::string("and catching up to its start")
                    : fmt::format("at {}, then {} as before",
                                  session::format_time(restarted->restore_target()),
                                  session::to_string(restarted->seek->resume_state)));
      metrics_.sessions_restarted.inc();
      session::publish_event(
          jetstream, id, "init", {{"restarted_by", settings_.runner.worker}},
          fmt::format("{}.init.restart.{}", id, restarted->updated_at.time_since_epoch().count()));
    }
    for (const auto& id : waiting) {
      auto claim = claim_session(settings_.runner, id);
      if (!claim) continue;
      log->warn("session {}: restored but no restore.ok came for over {} ms; taking it", id,
                kLostEventAfter.count());
      metrics_.sessions_reclaimed.inc();
      run_session(id, std::move(*claim));
    }
  };

  // Everything is retried, configuration mistakes included (a stream or server that is not
  // there yet): /healthz reports the reason meanwhile, and running sessions go on.
  service::RetryLoopOptions loop;
  loop.retry = settings_.retry;
  bool migrated = false;
  service::retry_until_stopped(*log, health_, loop, [&](const service::Started& started) {
    if (!migrated) {
      pg::Connection store(settings_.runner.store_dsn, "tapedeck-msgop");
      schema::migrate_store(store);
      migrated = true;
    }
    nats::JetStream jetstream(nats);
    auto consumer = session::bind_event_consumer(jetstream, config_, settings_.durable,
                                                 "restore.ok", settings_.ack_wait);
    started();
    while (!stop::requested()) {
      reap(false);
      for (auto& message : consumer.fetch(1, 1s)) {
        const auto parsed = session::parse_subject(message.subject());
        if (!parsed) {
          message.term();
          continue;
        }
        const std::string& id = parsed->first;
        auto claim = claim_session(settings_.runner, id);
        if (!claim) {
          log->info("session {}: restore.ok taken elsewhere or no longer catching up; skipped", id);
          message.ack();
          continue;
        }
        message.ack();
        run_session(id, std::move(*claim));
      }
      sweep(jetstream);
    }
  });
  reap(true);
  log->info("stopped");
  return exit_code::ok;
}

}  // namespace tapedeck::msgop
