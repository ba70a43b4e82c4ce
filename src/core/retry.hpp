// Retry is data: a policy and the delay it gives for each attempt.
#pragma once

#include <chrono>
#include <cstdint>

namespace tapedeck {

struct RetryPolicy {
  int max_attempts = 0;  // 0: retry until stopped
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{10'000};
  double jitter = 0.2;  // +- fraction of the delay

  // Delay before attempt `attempt` (1-based: the first retry is attempt 1). `random01` in [0,1).
  std::chrono::milliseconds delay(int attempt, double random01) const;
  bool exhausted(int attempts_made) const {
    return max_attempts > 0 && attempts_made >= max_attempts;
  }
};

}  // namespace tapedeck
