// The scheduler: cron loops per job, advisory locks, retries, observability.
#include "scheduler/scheduler_service.hpp"

#include <fmt/format.h>

#include <random>
#include <thread>
#include <vector>

#include "core/backups/backup_record.hpp"
#include "core/error.hpp"
#include "core/http/server.hpp"
#include "core/log.hpp"
#include "core/pg/connection.hpp"
#include "core/service/observability_server.hpp"
#include "core/session.hpp"
#include "core/stop.hpp"
#include "scheduler/job_lock.hpp"

namespace tapedeck::scheduler {

namespace {

CronSchedule parse_cron(const config::Config& config, const char* key) {
  try {
    return CronSchedule::parse(config.string(key));
  } catch (const Error& error) {
    throw Error(ErrorSource::config, Recovery::invalid,
                fmt::format("{}: {}", key, error.message()));
  }
}

// Sleeps until `when` on `clock`'s wall time; true when a stop was requested first.
bool wait_until(const Clock& clock, std::chrono::sys_seconds when) {
  for (;;) {
    const auto now = clock.now();
    if (now >= when) return stop::requested();
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(when - now);
    if (stop::wait_for(
            std::min(left + std::chrono::milliseconds(1), std::chrono::milliseconds(1000)))) {
      return true;
    }
  }
}

}  // namespace

std::string_view to_string(Job job) {
  switch (job) {
    case Job::backup:
      return "backup";
    case Job::cleanup_transform:
      return "cleanup_transform";
    case Job::cleanup_backups:
      return "cleanup_backups";
    case Job::verify:
      return "verify";
  }
  return "unknown";
}

const CronSchedule* SchedulerSettings::cron(Job job) const {
  switch (job) {
    case Job::backup:
      return &backup_cron;
    case Job::cleanup_transform:
      return &cleanup_transform_cron;
    case Job::cleanup_backups:
      return &cleanup_backups_cron;
    case Job::verify:
      return verify_cron && verify ? &*verify_cron : nullptr;
  }
  return nullptr;
}

SchedulerSettings scheduler_settings(const config::Config& config) {
  SchedulerSettings settings;
  settings.live_dsn = config.string("live.dsn");
  settings.listen = config.string("scheduler.listen");
  try {
    settings.zone = TimeZone::locate(config.string("scheduler.time_zone"));
  } catch (const Error& error) {
    throw Error(ErrorSource::config, Recovery::invalid,
                fmt::format("scheduler.time_zone: {}", error.message()));
  }
  settings.backup_cron = parse_cron(config, "scheduler.backup_cron");
  settings.cleanup_transform_cron = parse_cron(config, "scheduler.cleanup_transform_cron");
  settings.cleanup_backups_cron = parse_cron(config, "scheduler.cleanup_backup_cron");
  if (!config.string("scheduler.verify_cron").empty()) {
    settings.verify_cron = parse_cron(config, "scheduler.verify_cron");
  }
  settings.backup = backup_settings(config);
  settings.cleanup_transform = transform_cleanup_settings(config);
  settings.cleanup_backups = backup_cleanup_settings(config);
  return settings;
}

JobReport run_job_locked(const SchedulerSettings& settings, Job job,
                         std::optional<std::chrono::sys_seconds> slot) {
  pg::Connection lock_connection(settings.live_dsn, "tapedeck-scheduler-lock");
  auto lock = JobLock::try_acquire(lock_connection, std::string(to_string(job)));
  if (!lock) {
    throw Error(ErrorSource::postgres, Recovery::conflict,
                fmt::format("another scheduler is running the {} job now (advisory lock {} is "
                            "held); try again when it has finished",
                            to_string(job), "tapedeck.scheduler." + std::string(to_string(job))));
  }
  // One backup per slot: the lock alone lets a copy that woke late run the slot again.
  if (job == Job::backup && slot &&
      backups::taken_since(lock_connection,
                           std::chrono::sys_time<std::chrono::microseconds>(*slot))) {
    throw Error(ErrorSource::postgres, Recovery::conflict,
                fmt::format("another scheduler already took the backup of the {} slot",
                            session::format_time(*slot)));
  }
  switch (job) {
    case Job::backup: {
      const auto record = run_backup(settings.backup);
      return fmt::format("backup {} stored at {} ({} bytes, lsn {}, snapshot {})", record.id,
                         record.storage_url, record.size_bytes, record.lsn.str(),
                         record.txid_snapshot);
    }
    case Job::cleanup_transform: {
      const auto result = cleanup_transform(settings.cleanup_transform);
      return fmt::format("deleted {} statements, {} RTUS calls and {} dead letters older than {}",
                         result.statements, result.rtus_calls, result.dead_letters, result.cutoff);
    }
    case Job::cleanup_backups: {
      const auto result = cleanup_backups(settings.cleanup_backups);
      return fmt::format(
          "deleted {} backups, finished {} interrupted deletions, removed {} objects of "
          "interrupted backups, left {} alone, {} kept",
          result.deleted, result.resumed, result.abandoned, result.skipped, result.kept);
    }
    case Job::verify: {
      if (!settings.verify) {
        throw Error(ErrorSource::config, Recovery::invalid, "this scheduler has no verify job");
      }
      return settings.verify();
    }
  }
  throw Error(ErrorSource::internal, Recovery::fail, "unknown job");
}

SchedulerService::SchedulerService(SchedulerSettings settings, const Clock& clock)
    : settings_(std::move(settings)), clock_(clock) {}

void SchedulerService::run() {
  auto logger = log::get("scheduler");
  service::ServerOptions serving{settings_.listen};
  serving.about = fmt::format(
      "; zone {}; backup '{}', cleanup transform '{}', cleanup backups '{}', verify '{}'",
      settings_.zone.name(), settings_.backup_cron.text(), settings_.cleanup_transform_cron.text(),
      settings_.cleanup_backups_cron.text(),
      settings_.cron(Job::verify) ? settings_.cron(Job::verify)->text() : "off");
  const service::ObservabilityServer server(*logger, std::move(serving), metrics_, [this] {
    const int failing = failing_jobs_.load();
    return http::Health{
        failing == 0, failing == 0 ? "" : fmt::format("{} job(s) failed their last run", failing)};
  });
  std::vector<std::thread> threads;
  for (const Job job : kJobs) {
    if (settings_.cron(job)) threads.emplace_back([this, job] { job_loop(job); });
  }
  while (!stop::wait_for(std::chrono::seconds(1))) {
  }
  for (auto& thread : threads) thread.join();
  logger->info("scheduler: stopped");
}

void SchedulerService::job_loop(Job job) {
  auto logger = log::get("scheduler");
  const std::string name(to_string(job));
  const Labels labels = {{"job", name}};
  auto& runs = metrics_.counter("tapedeck_scheduler_job_runs_total", "job runs completed", labels);
  auto& failures =
      metrics_.counter("tapedeck_scheduler_job_failures_total", "job attempts that failed", labels);
  auto& skipped = metrics_.counter("tapedeck_scheduler_job_skipped_total",
                                   "runs skipped: another scheduler held the job's lock", labels);
  auto& duration = metrics_.histogram("tapedeck_scheduler_job_duration_seconds",
                                      "duration of successful job runs",
                                      {0.1, 1, 10, 60, 300, 1800, 7200}, labels);
  auto& last_success = metrics_.gauge("tapedeck_scheduler_job_last_success_timestamp_seconds",
                                      "Unix time of the last successful run", labels);
  std::mt19937_64 random(std::random_device{}());
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  bool failing = false;

  const auto& cron = *settings_.cron(job);
  while (!stop::requested()) {
    const auto now = std::chrono::floor<std::chrono::seconds>(clock_.now());
    const auto next = cron.next_after(now, settings_.zone);
    logger->debug("{}: next run at {} UTC", name, next.time_since_epoch().count());
    if (wait_until(clock_, next)) return;

    for (int attempt = 1;; ++attempt) {
      const auto started = clock_.steady_now();
      try {
        const auto report = run_job_locked(settings_, job, next);
        runs.inc();
        duration.observe(std::chrono::duration<double>(clock_.steady_now() - started).count());
        last_success.set(static_cast<double>(
            std::chrono::floor<std::chrono::seconds>(clock_.now()).time_since_epoch().count()));
        logger->info("{}: {}", name, report);
        if (failing) failing_jobs_.fetch_sub(1);
        failing = false;
        break;
      } catch (const Error& error) {
        if (error.recovery() == Recovery::conflict) {
          skipped.inc();
          logger->info("{}: skipped, another scheduler runs it", name);
          break;
        }
        failures.inc();
        if (!failing) failing_jobs_.fetch_add(1);
        failing = true;
        const bool again = error.retryable() && !settings_.retry.exhausted(attempt);
        logger->error("{}: failed (attempt {}){}: {}", name, attempt, again ? ", retrying" : "",
                      error.what());
        if (!again) break;
        const auto delay = settings_.retry.delay(attempt, unit(random));
        if (clock_.now() + delay >= cron.next_after(next, settings_.zone)) break;
        if (stop::wait_for(delay)) return;
      } catch (const std::exception& error) {
        failures.inc();
        if (!failing) failing_jobs_.fetch_add(1);
        failing = true;
        logger->error("{}: failed: {}", name, error.what());
        break;
      }
    }
  }
}

}  // namespace tapedeck::scheduler
