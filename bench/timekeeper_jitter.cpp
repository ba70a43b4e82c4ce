// Benchmark: runs the timekeeper service (Live DB, RTUS, JetStream as configured) for a while and
// prints how far each tick woke from its second boundary (p50/p99/max), the ticks later than
// timekeeper.late_after and the boundaries skipped.
//   eval "$(./run stack env)" && build/bench/bench_timekeeper_jitter [--seconds N]
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/config.hpp"
#include "core/http/client.hpp"
#include "core/log.hpp"
#include "core/nats/library.hpp"
#include "core/stop.hpp"
#include "timekeeper/ticker.hpp"
#include "timekeeper/timekeeper_service.hpp"

using namespace std::chrono;
using namespace tapedeck;

namespace {

double ms(nanoseconds value) {
  return duration<double, std::milli>(value).count();
}

int run(int argc, char** argv) {
  long seconds_to_run = 600;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds_to_run = std::strtol(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: %s [--seconds N]   (default 600)\n", argv[0]);
      return 2;
    }
  }
  if (seconds_to_run <= 0) {
    std::fprintf(stderr, "--seconds must be positive\n");
    return 2;
  }

  // TAPEDECK_CONFIG (the stack's file) and TAPEDECK_* overrides, like the binary.
  const auto config = config::Config::load_default(std::nullopt, config::process_environment());
  log::configure("warn");
  auto settings = timekeeper::TimekeeperSettings::from_config(config);
  settings.listen = "127.0.0.1:0";  // never collide with a running timekeeper

  http::CurlGlobal curl;
  nats::LibraryGuard nats_library;
  stop::install_signal_handlers();

  std::mutex mutex;
  std::vector<nanoseconds> offsets;
  std::uint64_t missed = 0;
  offsets.reserve(static_cast<std::size_t>(seconds_to_run) + 8);

  timekeeper::TimekeeperService service(settings);
  service.on_tick([&](const timekeeper::TickEvent& tick) {
    std::lock_guard lock(mutex);
    offsets.push_back(timekeeper::tick_offset(tick.boundary, tick.actual));
    missed += tick.missed;
  });
  std::fprintf(stderr, "ticking for %ld s (RTUS %s, Live DB %s)\n", seconds_to_run,
               settings.rtus.url.empty() ? "off" : settings.rtus.url.c_str(),
               config::mask_secrets(settings.live_dsn).c_str());
  std::thread runner([&] { service.run(); });
  const auto until = steady_clock::now() + seconds(seconds_to_run);
  while (steady_clock::now() < until && !stop::wait_for(milliseconds(200))) {
  }
  stop::request();
  runner.join();

  std::lock_guard lock(mutex);
  const auto result = timekeeper::percentiles(offsets);
  auto& metrics = service.metrics();
  const auto count = [&](const char* name, const char* target) {
    return metrics.counter(name, "", {{"target", target}}).value();
  };
  std::printf("timekeeper_jitter: %zu ticks in %ld s\n", result.count, seconds_to_run);
  std::printf("  offset from the second boundary: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
              ms(result.p50), ms(result.p99), ms(result.max));
  std::printf("  late ticks (over timekeeper.late_after %lld ms): %llu\n",
              static_cast<long long>(settings.late_after.count()),
              static_cast<unsigned long long>(
                  metrics.counter("tapedeck_timekeeper_late_ticks_total", "").value()));
  std::printf("  missed ticks (boundaries skipped): %llu\n",
              static_cast<unsigned long long>(missed));
  for (const char* target : {"live_db", "rtus", "nats"}) {
    std::printf(
        "  %-7s writes %llu, failures %llu, dropped %llu\n", target,
        static_cast<unsigned long long>(count("tapedeck_timekeeper_writes_total", target)),
        static_cast<unsigned long long>(count("tapedeck_timekeeper_failures_total", target)),
        static_cast<unsigned long long>(count("tapedeck_timekeeper_dropped_total", target)));
  }
  std::printf("  target p99 < 5 ms: %s\n", result.p99 < milliseconds(5) ? "met" : "NOT met");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "timekeeper_jitter: %s\n", error.what());
    return 1;
  }
}
