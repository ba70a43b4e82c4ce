// Where time comes from: the system clocks in production, a fake clock moved by hand in tests.
#pragma once

#include <chrono>
#include <mutex>

namespace tapedeck {

// The source of wall-clock and monotonic time. Components take a `const Clock&` (owned by the
// application, outliving them) so paced replay and the timekeeper can be tested without
// waiting. Implementations are safe to call from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (may jump when the system clock is set).
  virtual std::chrono::system_clock::time_point now() const = 0;
  // Monotonic time, for durations and timeouts.
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;
};

// The real clocks. Stateless.
class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override;
  std::chrono::steady_clock::time_point steady_now() const override;
};

// A clock that moves only when told. Thread-safe: one test thread may advance it while
// others read it.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::chrono::system_clock::time_point start = {});

  std::chrono::system_clock::time_point now() const override;
  std::chrono::steady_clock::time_point steady_now() const override;

  // Moves both clocks forward by `step` (must not be negative).
  void advance(std::chrono::system_clock::duration step);
  // Sets the wall clock only, forwards or backwards, as an operator or NTP setting the system
  // time would; the monotonic clock does not move.
  void set_wall(std::chrono::system_clock::time_point wall);

 private:
  mutable std::mutex mutex_;
  std::chrono::system_clock::time_point wall_;
  std::chrono::steady_clock::time_point steady_;
};

}  // namespace tapedeck
