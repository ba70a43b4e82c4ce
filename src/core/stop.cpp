// Stop flag and interruptible sleep.
#include "core/stop.hpp"

#include <atomic>
#include <csignal>
#include <thread>

namespace tapedeck::stop {

namespace {
std::atomic<bool> stop_flag{false};  // NOLINT: the one allowed global (STYLE.md §9)

extern "C" void on_signal(int /*signal*/) {
  stop_flag.store(true);
}
}  // namespace

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool requested() {
  return stop_flag.load();
}
void request() {
  stop_flag.store(true);
}
void clear() {
  stop_flag.store(false);
}

bool wait_for(std::chrono::milliseconds duration) {
  // Short slices keep shutdown prompt without a condition variable in a signal handler.
  constexpr auto kSlice = std::chrono::milliseconds(20);
  const auto deadline = std::chrono::steady_clock::now() + duration;
  while (!requested()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(kSlice, deadline - now));
  }
  return true;
}

}  // namespace tapedeck::stop
