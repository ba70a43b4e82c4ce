// One scheduler in a group runs a job at a time: a PostgreSQL advisory lock per job.
#pragma once

#include <optional>
#include <string>

#include "core/pg/connection.hpp"

namespace tapedeck::scheduler {

// A session-level advisory lock on the Live DB named after the job
// (pg_try_advisory_lock(hashtextextended('tapedeck.scheduler.<job>', 0))). Borrows the
// connection, which must outlive it and stay open while the job runs: the server releases the
// lock when the connection ends, so a crashed scheduler never leaves it held. Move-only; the
// destructor unlocks (and never throws). Same thread rules as the connection.
class JobLock {
 public:
  // The lock, or nullopt when another session holds it. Throws Error(postgres) on failure.
  static std::optional<JobLock> try_acquire(pg::Connection& connection, const std::string& job);

  JobLock(JobLock&& other) noexcept;
  JobLock& operator=(JobLock&&) = delete;
  JobLock(const JobLock&) = delete;
  JobLock& operator=(const JobLock&) = delete;
  ~JobLock();

  const std::string& name() const { return name_; }

 private:
  JobLock(pg::Connection& connection, std::string name);

  pg::Connection* connection_;
  std::string name_;
};

}  // namespace tapedeck::scheduler
