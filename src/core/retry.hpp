// Retry is data: a policy and the delay it gives for each attempt.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

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

// The failure streak of a long-running loop that retries: how many attempts in a row failed,
// and the jittered wait before the next one. Owned by the one thread that runs the loop.
class Backoff {
 public:
  explicit Backoff(RetryPolicy policy);

  // Records a failed attempt; true when it starts a streak (the failure worth a warning).
  bool failed() { return ++failures_ == 1; }
  // Ends the streak; returns how many attempts it had failed (0: there was none).
  int succeeded() {
    const int ended = failures_;
    failures_ = 0;
    return ended;
  }
  int failures() const { return failures_; }
  bool exhausted() const { return policy_.exhausted(failures_); }
  // Sleeps the policy's delay for the current streak (at least that of a first retry);
  // returns early, true, when a stop is requested.
  bool wait();

 private:
  RetryPolicy policy_;
  int failures_ = 0;
  std::mt19937_64 random_;
  std::uniform_real_distribution<double> unit_{0.0, 1.0};
};

}  // namespace tapedeck
