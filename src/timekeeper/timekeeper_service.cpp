// The timekeeper: tick thread, the three I/O workers, observability.
#include "timekeeper/timekeeper_service.hpp"

#include <fmt/format.h>

#include <deque>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/exit_codes.hpp"
#include "core/http/client.hpp"
#include "core/log.hpp"
#include "core/nats/connection.hpp"
#include "core/nats/jetstream.hpp"
#include "core/pg/connection.hpp"
#include "core/schema/live_schema.hpp"
#include "core/service/cdc_stream.hpp"
#include "core/service/observability_server.hpp"
#include "core/stop.hpp"
#include "timekeeper/failure_streak.hpp"
#include "timekeeper/handoff.hpp"
#include "timekeeper/late_ticks.hpp"

namespace tapedeck::timekeeper {

using namespace std::chrono;

namespace {

constexpr const char* kUpsertSystemTime = R"(
INSERT INTO tapedeck.system_time (id, system_time, tick) VALUES (true, $1, $2)
ON CONFLICT (id) DO UPDATE SET system_time = EXCLUDED.system_time, tick = EXCLUDED.tick)";

std::int64_t unix_seconds(sys_seconds boundary) {
  return boundary.time_since_epoch().count();
}

// Writes the tick into the Live DB. Used by its worker thread only.
class LiveDbSink {
 public:
  explicit LiveDbSink(const TimekeeperSettings& settings) : settings_(settings) {}

  void write(sys_seconds boundary) {
    if (!connection_) {
      pg::Connection connection(settings_.live_dsn, "tapedeck-timekeeper");
      connection.exec(fmt::format("SET statement_timeout = {}; SET lock_timeout = {}",
                                  settings_.db_timeout.count(), settings_.db_timeout.count()));
      schema::migrate_live(connection);
      connection.prepare("tapedeck_system_time", kUpsertSystemTime);
      connection_.emplace(std::move(connection));
    }
    connection_->exec_prepared(
        "tapedeck_system_time",
        pg::Params::of(format_rfc3339_micros(unix_seconds(boundary) * 1'000'000),
                       unix_seconds(boundary)));
  }
  // After a failure: the next tick starts on a new connection.
  void reset() { connection_.reset(); }

 private:
  const TimekeeperSettings& settings_;
  std::optional<pg::Connection> connection_;
};

// Calls the RTUS. Used by its worker thread only.
class RtusSink {
 public:
  explicit RtusSink(const TimekeeperSettings& settings) : settings_(settings) {}

  void write(sys_seconds boundary) {
    if (!client_) client_.emplace();
    http::Request request;
    request.method = settings_.rtus.method;
    request.url = settings_.rtus.url;
    request.headers.set("Content-Type", "application/json");
    if (!settings_.rtus.token.empty()) {
      request.headers.set("Authorization", "Bearer " + settings_.rtus.token);
    }
    request.body = tick_body(boundary);
    request.connect_timeout = settings_.rtus.timeout;
    request.total_timeout = settings_.rtus.timeout;
    const auto response = client_->send(request);
    if (!response.ok()) {
      throw Error(ErrorSource::http, response.status >= 500 ? Recovery::retry : Recovery::fail,
                  fmt::format("RTUS {} {} answered {}; check rtus.url, rtus.method and rtus.token",
                              request.method, request.url, response.status),
                  std::to_string(response.status));
    }
  }
  // After a failure: a fresh handle, so a half-dead kept-alive connection is not reused.
  void reset() { client_.reset(); }

 private:
  const TimekeeperSettings& settings_;
  std::optional<http::Client> client_;
};

// Records the tick's RTUS call on JetStream. Ticks not yet stored wait in `pending_` (at most
// publish_backlog, the oldest dropped first) and go out in order once NATS answers again; the
// msg id makes a re-send of one that did arrive a duplicate. Used by its worker thread only.
class NatsSink {
 public:
  NatsSink(const TimekeeperSettings& settings, Counter& dropped)
      : settings_(settings), dropped_(dropped), subject_(settings.cdc.prefix + ".rtus") {}
  ~NatsSink() {
    js_.reset();  // before the connection it was made from
    connection_.reset();
  }
  NatsSink(const NatsSink&) = delete;
  NatsSink& operator=(const NatsSink&) = delete;

  // Returns how many messages were stored.
  std::uint64_t write(sys_seconds boundary) {
    pending_.push_back(boundary);
    while (pending_.size() > settings_.publish_backlog) {
      pending_.pop_front();
      dropped_.inc();
    }
    connect();
    std::uint64_t stored = 0;
    while (!pending_.empty()) {
      const auto call = tick_call(settings_.rtus, pending_.front());
      js_->publish(subject_, to_json(call), {}, call.id);  // throws: the rest waits
      pending_.pop_front();
      ++stored;
    }
    return stored;
  }
  // The connection reconnects by itself once made; only a failed first connect is redone.
  void reset() {}

 private:
  // Connects (once; cnats reconnects by itself afterwards) and makes sure the stream exists;
  // js_ is set only when both worked, so a failure is redone with the next tick.
  void connect() {
    if (js_) return;
    if (!connection_) {
      nats::ConnectOptions options;
      options.url = settings_.nats_url;
      options.name = "tapedeck-timekeeper";
      connection_.emplace(options);
    }
    nats::JetStream js(*connection_, settings_.publish_timeout);
    service::ensure_cdc_stream(js, settings_.cdc);
    js_.emplace(std::move(js));
  }

  const TimekeeperSettings& settings_;
  Counter& dropped_;
  std::string subject_;
  std::deque<sys_seconds> pending_;
  std::optional<nats::Connection> connection_;
  std::optional<nats::JetStream> js_;
};

}  // namespace

// One I/O target of the ticks: a hand-off queue and the thread that drains it into the sink.
// The thread starts in the constructor and is joined by stop_and_join().
class TimekeeperService::Worker {
 public:
  using Write = std::function<std::uint64_t(sys_seconds)>;

  Worker(std::string name, std::size_t capacity, Metrics& metrics, Write write,
         std::function<void()> reset)
      : name_(std::move(name)),
        queue_(capacity),
        writes_(metrics.counter("tapedeck_timekeeper_writes_total",
                                "ticks written, by target (live_db, rtus, nats)",
                                {{"target", name_}})),
        failures_(metrics.counter("tapedeck_timekeeper_failures_total", "failed writes, by target",
                                  {{"target", name_}})),
        dropped_(metrics.counter("tapedeck_timekeeper_dropped_total",
                                 "ticks a busy or failing target never got, by target",
                                 {{"target", name_}})),
        write_(std::move(write)),
        reset_(std::move(reset)),
        thread_([this] { loop(); }) {}

  ~Worker() { stop_and_join(); }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // From the tick thread: never waits.
  void submit(sys_seconds boundary) {
    if (queue_.push(boundary)) dropped_.inc();
  }
  bool failing() const { return failing_.load(); }
  const std::string& name() const { return name_; }
  Counter& dropped() { return dropped_; }

  // Lets the worker finish the write it is doing (queued ticks are left), then joins it.
  void stop_and_join() {
    queue_.close();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void loop() {
    auto logger = log::get("timekeeper");
    FailureStreak streak;
    for (;;) {
      const auto boundary = queue_.pop(milliseconds(500));
      // Once stopping, what is still queued is left: a target that is down would otherwise
      // hold the stop up for one timeout per queued tick.
      if (queue_.closed()) return;
      if (!boundary) continue;
      try {
        writes_.inc(write_(*boundary));
        if (const auto ended = streak.success()) {
          logger->info("{}: recovered after {} failed tick(s)", name_, ended);
        }
        failing_.store(false);
      } catch (const std::exception& error) {
        failures_.inc();
        reset_();
        failing_.store(true);
        if (streak.failure()) {
          logger->warn("{}: tick {} failed (logged once until it recovers): {}", name_,
                       unix_seconds(*boundary), error.what());
        }
      }
    }
  }

  std::string name_;
  Handoff<sys_seconds> queue_;
  Counter& writes_;
  Counter& failures_;
  Counter& dropped_;
  Write write_;
  std::function<void()> reset_;
  std::atomic<bool> failing_{false};
  std::thread thread_;  // last: starts once everything above is ready
};

TimekeeperSettings TimekeeperSettings::from_config(const config::Config& config) {
  TimekeeperSettings settings;
  settings.live_dsn = config.string("live.dsn");
  settings.listen = config.string("timekeeper.listen");
  if (config.duration("timekeeper.interval") != seconds(1)) {
    throw Error(ErrorSource::config, Recovery::invalid,
                "timekeeper.interval: only 1s is supported (ticks fall on whole seconds)");
  }
  settings.late_after = config.duration("timekeeper.late_after");
  if (settings.late_after <= milliseconds(0) || settings.late_after >= seconds(1)) {
    throw Error(ErrorSource::config, Recovery::invalid,
                fmt::format("timekeeper.late_after is {}; set it above 0 and below 1s (a tick "
                            "a whole second late is already counted as missed)",
                            config::format_duration(settings.late_after)));
  }
  settings.rtus.url = config.string("rtus.url");
  settings.rtus.method = config.string("rtus.method");
  settings.rtus.timeout = config.duration("rtus.timeout");
  settings.rtus.token = config.string("rtus.token");
  if (!settings.rtus.url.empty()) url_path(settings.rtus.url);  // validates the URL
  if (settings.rtus.timeout <= milliseconds(0)) {
    throw Error(ErrorSource::config, Recovery::invalid, "rtus.timeout must be positive");
  }
  settings.nats_url = config.string("nats.url");
  settings.cdc = service::CdcStreamSettings::from_config(config);
  return settings;
}

TimekeeperService::TimekeeperService(TimekeeperSettings settings)
    : settings_(std::move(settings)) {}

int TimekeeperService::run() {
  auto logger = log::get("timekeeper");
  auto& ticks = metrics_.counter("tapedeck_timekeeper_ticks_total", "ticks made");
  auto& missed = metrics_.counter("tapedeck_timekeeper_missed_ticks_total",
                                  "whole seconds skipped because the tick thread was late");
  auto& late = metrics_.counter(
      "tapedeck_timekeeper_late_ticks_total",
      "ticks that woke more than timekeeper.late_after after their second (run once all the same)");
  auto& offset = metrics_.histogram("tapedeck_timekeeper_tick_offset_seconds",
                                    "how late each tick woke after its second",
                                    {0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 0.5, 1});
  auto& last_tick = metrics_.gauge("tapedeck_timekeeper_last_tick_timestamp_seconds",
                                   "the second the last tick stood for");

  std::vector<std::unique_ptr<Worker>> workers;
  LiveDbSink live_db(settings_);
  workers.push_back(std::make_unique<Worker>(
      "live_db", 1, metrics_,
      [&live_db](sys_seconds boundary) -> std::uint64_t {
        live_db.write(boundary);
        return 1;
      },
      [&live_db] { live_db.reset(); }));
  std::optional<RtusSink> rtus;
  std::optional<NatsSink> nats;
  if (!settings_.rtus.url.empty()) {
    rtus.emplace(settings_);
    workers.push_back(std::make_unique<Worker>(
        "rtus", 1, metrics_,
        [&rtus](sys_seconds boundary) -> std::uint64_t {
          rtus->write(boundary);
          return 1;
        },
        [&rtus] { rtus->reset(); }));
    auto& nats_dropped = metrics_.counter("tapedeck_timekeeper_dropped_total",
                                          "ticks a busy or failing target never got, by target",
                                          {{"target", "nats"}});
    nats.emplace(settings_, nats_dropped);
    workers.push_back(std::make_unique<Worker>(
        "nats", settings_.publish_backlog, metrics_,
        [&nats](sys_seconds boundary) { return nats->write(boundary); },
        [&nats] { nats->reset(); }));
  }
  // Workers are stopped before the sinks they write into go away, whatever happens below.
  struct JoinWorkers {
    std::vector<std::unique_ptr<Worker>>& workers;
    ~JoinWorkers() {
      for (auto& worker : workers) worker->stop_and_join();
    }
  } join_workers{workers};

  service::ServerOptions serving{settings_.listen};
  serving.about =
      fmt::format("; RTUS {}; recording on {}.rtus",
                  settings_.rtus.url.empty() ? std::string("off")
                                             : settings_.rtus.method + " " + settings_.rtus.url,
                  settings_.cdc.prefix);
  const service::ObservabilityServer server(*logger, std::move(serving), metrics_, [&workers] {
    std::string failing;
    for (const auto& worker : workers) {
      if (worker->failing()) failing += (failing.empty() ? "" : ", ") + worker->name();
    }
    return http::Health{failing.empty(),
                        failing.empty() ? "" : "failing to write ticks to: " + failing};
  });
  port_.store(server.port());

  TickPlanner planner;
  LateTickDetector late_ticks(settings_.late_after);
  while (!stop::requested()) {
    const TickPlan plan = planner.next(system_clock::now());
    // Coarse, interruptible wait until shortly before the boundary, then a precise one.
    for (;;) {
      const auto left = plan.boundary - system_clock::now();
      if (left <= milliseconds(50)) break;
      if (stop::wait_for(duration_cast<milliseconds>(left - milliseconds(20)))) break;
    }
    if (stop::requested()) break;
    std::this_thread::sleep_until(plan.boundary);
    const auto actual = system_clock::now();

    for (auto& worker : workers) worker->submit(plan.boundary);
    ticks.inc();
    const auto tick_late_by = tick_offset(plan.boundary, actual);
    offset.observe(duration<double>(tick_late_by).count());
    const TickLateness lateness = late_ticks.classify(tick_late_by);
    if (lateness.late) late.inc();
    if (lateness.streak_started) {
      logger->warn(
          "tick {} is late: woke {} ms after its second, over timekeeper.late_after {} (logged "
          "once until ticks are on time again)",
          unix_seconds(plan.boundary), duration_cast<milliseconds>(tick_late_by).count(),
          config::format_duration(settings_.late_after));
    } else if (lateness.streak_ended > 0) {
      logger->info("ticks are on time again after {} late tick(s)", lateness.streak_ended);
    }
    last_tick.set(static_cast<double>(unix_seconds(plan.boundary)));
    if (plan.missed > 0) {
      missed.inc(plan.missed);
      logger->warn("tick {} is late: skipped {} second(s) (never made up)",
                   unix_seconds(plan.boundary), plan.missed);
    }
    if (plan.clock_stepped_back) {
      logger->warn("the wall clock went back; ticking again from {}", unix_seconds(plan.boundary));
    }
    if (observer_) observer_(TickEvent{plan.boundary, actual, plan.missed});
  }

  for (auto& worker : workers) worker->stop_and_join();
  logger->info("timekeeper: stopped after {} ticks", ticks.value());
  return exit_code::ok;
}

}  // namespace tapedeck::timekeeper
