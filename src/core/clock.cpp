// SystemClock and FakeClock.
#include "core/clock.hpp"

#include "core/error.hpp"

namespace tapedeck {

std::chrono::system_clock::time_point SystemClock::now() const {
  return std::chrono::system_clock::now();
}

std::chrono::steady_clock::time_point SystemClock::steady_now() const {
  return std::chrono::steady_clock::now();
}

FakeClock::FakeClock(std::chrono::system_clock::time_point start) : wall_(start), steady_{} {}

std::chrono::system_clock::time_point FakeClock::now() const {
  std::lock_guard lock(mutex_);
  return wall_;
}

std::chrono::steady_clock::time_point FakeClock::steady_now() const {
  std::lock_guard lock(mutex_);
  return steady_;
}

void FakeClock::advance(std::chrono::system_clock::duration step) {
  if (step < step.zero()) {
    throw Error(ErrorSource::internal, Recovery::invalid,
                "FakeClock::advance: a step back in time; use set_wall to move the wall clock "
                "backwards");
  }
  std::lock_guard lock(mutex_);
  wall_ += step;
  steady_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(step);
}

void FakeClock::set_wall(std::chrono::system_clock::time_point wall) {
  std::lock_guard lock(mutex_);
  wall_ = wall;
}

}  // namespace tapedeck
