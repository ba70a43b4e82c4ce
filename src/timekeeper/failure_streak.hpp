// Logging failures once per streak: the first failure and the recovery, not every second.
#pragma once

#include <cstdint>

namespace tapedeck::timekeeper {

// Counts consecutive failures of one repeated operation. Pure; owned by the one thread that
// runs the operation.
class FailureStreak {
 public:
  // Records a failure; true when it starts a streak (the one to log).
  bool failure() { return ++length_ == 1; }
  // Records a success; the length of the streak it ends (0 when none: nothing to log).
  std::uint64_t success() {
    const auto ended = length_;
    length_ = 0;
    return ended;
  }
  bool failing() const { return length_ > 0; }
  std::uint64_t length() const { return length_; }

 private:
  std::uint64_t length_ = 0;
};

}  // namespace tapedeck::timekeeper
