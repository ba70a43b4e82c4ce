// Exponential backoff with jitter.
#include "core/retry.hpp"

#include <algorithm>
#include <cmath>

namespace tapedeck {

std::chrono::milliseconds RetryPolicy::delay(int attempt, double random01) const {
  const double exponent = std::clamp(attempt - 1, 0, 30);
  const double raw = static_cast<double>(base_delay.count()) * std::pow(2.0, exponent);
  const double capped = std::min(raw, static_cast<double>(max_delay.count()));
  const double jittered = capped * (1.0 + jitter * (2.0 * random01 - 1.0));
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::max(0.0, jittered)));
}

}  // namespace tapedeck
