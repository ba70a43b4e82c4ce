// Advisory locks per scheduler job.
#include "scheduler/job_lock.hpp"

#include "core/error.hpp"
#include "core/log.hpp"

namespace tapedeck::scheduler {

namespace {
constexpr const char* kTryLock = "SELECT pg_try_advisory_lock(hashtextextended($1, 0))";
constexpr const char* kUnlock = "SELECT pg_advisory_unlock(hashtextextended($1, 0))";
}  // namespace

std::optional<JobLock> JobLock::try_acquire(pg::Connection& connection, const std::string& job) {
  std::string name = "tapedeck.scheduler." + job;
  const auto result = connection.exec_params(kTryLock, pg::Params::of(name));
  if (!result.get<bool>(0, 0)) return std::nullopt;
  return JobLock(connection, std::move(name));
}

JobLock::JobLock(pg::Connection& connection, std::string name)
    : connection_(&connection), name_(std::move(name)) {}

JobLock::JobLock(JobLock&& other) noexcept
    : connection_(other.connection_), name_(std::move(other.name_)) {
  other.connection_ = nullptr;
}

JobLock::~JobLock() {
  if (connection_ == nullptr) return;
  try {
    connection_->exec_params(kUnlock, pg::Params::of(name_));
  } catch (const Error& error) {
    // The connection is gone, and with it the lock.
    log::get("scheduler")->debug("releasing lock {}: {}", name_, error.what());
  }
}

}  // namespace tapedeck::scheduler
