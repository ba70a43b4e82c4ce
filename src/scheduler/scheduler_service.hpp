// `tapedeck scheduler`: runs the backup and cleanup jobs on their cron schedules, one
// scheduler of a group at a time per job.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/metrics.hpp"
#include "core/retry.hpp"
#include "scheduler/backup_job.hpp"
#include "scheduler/cleanup.hpp"
#include "scheduler/cron.hpp"

namespace tapedeck::scheduler {

enum class Job { backup, cleanup_transform, cleanup_backups, verify };
inline constexpr Job kJobs[] = {Job::backup, Job::cleanup_transform, Job::cleanup_backups,
                                Job::verify};
// "backup", "cleanup_transform", "cleanup_backups", "verify": the lock and metric label of the
// job.
std::string_view to_string(Job job);

// A one-line summary of what a job did, for logs and the CLI.
using JobReport = std::string;

// Everything the scheduler reads from the configuration, validated up front (bad cron
// expressions and unknown zones fail at start with the key named).
struct SchedulerSettings {
  std::string live_dsn;
  std::string listen;
  TimeZone zone = TimeZone::utc();
  CronSchedule backup_cron = CronSchedule::parse("@daily");
  CronSchedule cleanup_transform_cron = CronSchedule::parse("@daily");
  CronSchedule cleanup_backups_cron = CronSchedule::parse("@daily");
  // scheduler.verify_cron; nullopt (the key empty, the default): the verify job never runs.
  std::optional<CronSchedule> verify_cron;
  // The verify job itself. `tapedeck verify` belongs to src/verify, which links dbop and msgop,
  // and a component never links another: the app hands it in (app/components.cpp). It throws
  // Error when the verdict is not ok, so a divergence counts as a failed run.
  std::function<JobReport()> verify;
  BackupSettings backup;
  TransformCleanupSettings cleanup_transform;
  BackupCleanupSettings cleanup_backups;
  RetryPolicy retry{3, std::chrono::seconds(5), std::chrono::seconds(60), 0.2};

  // The schedule of `job`; nullopt for a job that is off.
  const CronSchedule* cron(Job job) const;
};
SchedulerSettings scheduler_settings(const config::Config& config);

// Runs `job` once under its advisory lock (JobLock on the Live DB). Throws Error(conflict)
// when another scheduler holds the lock or, for the backup of cron slot `slot`, when a backup
// was already taken at or after the slot's time (another scheduler ran this slot's backup and
// finished before this one looked), and whatever the job throws.
JobReport run_job_locked(const SchedulerSettings& settings, Job job,
                         std::optional<std::chrono::sys_seconds> slot = std::nullopt);

// The long-running scheduler. One thread per job waits for the job's next cron time (in the
// configured zone, against `clock`) and runs it under its lock; a lock held elsewhere skips
// that run; a transient failure is retried by the retry policy until the attempts are spent
// or the next scheduled time comes. Serves /healthz and /metrics on settings.listen. run()
// blocks until the stop flag is set and joins the job threads (a running job finishes its
// current batch first). Owns its threads; not copyable.
class SchedulerService {
 public:
  SchedulerService(SchedulerSettings settings, const Clock& clock);
  ~SchedulerService() = default;
  SchedulerService(const SchedulerService&) = delete;
  SchedulerService& operator=(const SchedulerService&) = delete;

  void run();
  Metrics& metrics() { return metrics_; }

 private:
  void job_loop(Job job);

  SchedulerSettings settings_;
  const Clock& clock_;
  Metrics metrics_;
  std::atomic<int> failing_jobs_{0};
};

}  // namespace tapedeck::scheduler
