// Health of a long-running service.
#include "core/service/health_state.hpp"

#include <utility>

namespace tapedeck::service {

bool HealthState::healthy() {
  std::lock_guard lock(mutex_);
  const bool was_failing = !failure_.empty();
  failure_.clear();
  return was_failing;
}

bool HealthState::failing(std::string detail) {
  std::lock_guard lock(mutex_);
  const bool was_healthy = failure_.empty();
  // An empty reason would read as healthy; say at least that something failed.
  failure_ = detail.empty() ? std::string("failing") : std::move(detail);
  return was_healthy;
}

http::Health HealthState::get() const {
  std::lock_guard lock(mutex_);
  if (failure_.empty()) return {};
  return {false, failure_};
}

}  // namespace tapedeck::service
