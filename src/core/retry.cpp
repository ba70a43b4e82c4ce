// Exponential backoff with jitter.
#include "core/retry.hpp"

#include <algorithm>
#include <cmath>

#include "core/stop.hpp"

namespace tapedeck {

std::chrono::milliseconds RetryPolicy::delay(int attempt, double random01) const {
  const double exponent = std::clamp(attempt - 1, 0, 30);
  const double raw = static_cast<double>(base_delay.count()) * std::pow(2.0, exponent);
  const double capped = std::min(raw, static_cast<double>(max_delay.count()));
  const double jittered = capped * (1.0 + jitter * (2.0 * random01 - 1.0));
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::max(0.0, jittered)));
}

Backoff::Backoff(RetryPolicy policy) : policy_(policy), random_(std::random_device{}()) {}

bool Backoff::wait() {
  return stop::wait_for(policy_.delay(std::max(failures_, 1), unit_(random_)));
}

}  // namespace tapedeck
