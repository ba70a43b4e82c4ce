// Only one scheduler of a group runs a job at a time: the advisory job lock on the real server.
#include "scheduler/job_lock.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "core/error.hpp"
#include "fixture.hpp"
#include "scheduler/scheduler_service.hpp"

namespace tapedeck::scheduler {
namespace {

using namespace testing;

TEST(JobLock, IsRefusedToASecondSessionWhileTheFirstHoldsIt) {
  ScratchDatabase live_db("sched_live");
  auto first = live_db.connect();
  auto second = live_db.connect();
  const std::string job = "test-" + unique_suffix();
  {
    auto held = JobLock::try_acquire(first, job);
    ASSERT_TRUE(held.has_value());
    EXPECT_FALSE(JobLock::try_acquire(second, job).has_value());
    EXPECT_TRUE(JobLock::try_acquire(second, job + "-other").has_value()) << "locks are per job";
  }
  EXPECT_TRUE(JobLock::try_acquire(second, job).has_value()) << "released when dropped";
}

TEST(JobLock, IsReleasedWhenTheHoldingSessionDies) {
  ScratchDatabase live_db("sched_live");
  const std::string job = "test-" + unique_suffix();
  auto other = live_db.connect();
  {
    auto holder = live_db.connect();
    auto held = JobLock::try_acquire(holder, job);
    ASSERT_TRUE(held.has_value());
    other.exec_params("SELECT pg_terminate_backend($1)", pg::Params::of(holder.backend_pid()));
  }
  EXPECT_TRUE(JobLock::try_acquire(other, job).has_value());
}

TEST(RunJobLocked, LetsOnlyOneOfTwoSchedulersRunTheSameBackupAtOnce) {
  ScratchDatabase live_db("sched_live");
  ScratchFolder folder;
  ScratchFolder tools;
  // A pg_dump that takes its time, so the two runs overlap.
  const auto slow = tools.path() / "pg_dump";
  write_script(slow, "#!/bin/sh\nsleep 3\nexec pg_dump \"$@\"\n");
  SchedulerSettings settings;
  settings.live_dsn = live_db.dsn();
  settings.backup.live_dsn = live_db.dsn();
  settings.backup.store.url = folder.url();
  settings.backup.pg_dump = slow.string();

  std::atomic<int> succeeded{0};
  std::atomic<int> refused{0};
  std::atomic<int> other_errors{0};
  const auto scheduler = [&] {
    try {
      run_job_locked(settings, Job::backup);
      ++succeeded;
    } catch (const Error& error) {
      (error.recovery() == Recovery::conflict ? refused : other_errors)++;
    }
  };
  std::thread first(scheduler);
  std::thread second(scheduler);
  first.join();
  second.join();
  EXPECT_EQ(succeeded.load(), 1);
  EXPECT_EQ(refused.load(), 1);
  EXPECT_EQ(other_errors.load(), 0);
  auto live = live_db.connect();
  EXPECT_EQ(live.exec("SELECT count(*) FROM tapedeck.backups").text(0, 0), "1");
}

// A copy that wakes after another finished the slot's backup (the lock is free by then) finds
// the backup taken and skips the slot; the next slot's backup runs.
TEST(RunJobLocked, RunsTheBackupOfACronSlotOnceEvenForACopyThatComesLate) {
  ScratchDatabase live_db("sched_live");
  ScratchFolder folder;
  SchedulerSettings settings;
  settings.live_dsn = live_db.dsn();
  settings.backup.live_dsn = live_db.dsn();
  settings.backup.store.url = folder.url();
  const auto slot = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());

  run_job_locked(settings, Job::backup, slot);
  try {
    run_job_locked(settings, Job::backup, slot);
    FAIL() << "the slot's backup ran twice";
  } catch (const Error& error) {
    EXPECT_EQ(error.recovery(), Recovery::conflict);
    EXPECT_NE(std::string(error.what()).find("already took the backup"), std::string::npos)
        << error.what();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const auto next = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  run_job_locked(settings, Job::backup, next);
  auto live = live_db.connect();
  EXPECT_EQ(live.exec("SELECT count(*) FROM tapedeck.backups").text(0, 0), "2");
}

}  // namespace
}  // namespace tapedeck::scheduler
