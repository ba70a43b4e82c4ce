// The retry loop of a long-running service.
#include "core/service/retry_loop.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <string>

#include "core/stop.hpp"

namespace tapedeck::service {

namespace {

// How long a unit runs before a break of it counts as new, whatever it says.
constexpr auto kBreakStreakEndsAfter = std::chrono::minutes(1);

}  // namespace

void retry_until_stopped(spdlog::logger& log, HealthState& health, const RetryLoopOptions& options,
                         const Unit& unit) {
  const RetryLoopTexts& texts = options.texts;
  Backoff backoff(options.retry);
  // Units that start and break again with the same error (a change the stream cannot get past)
  // form a streak of their own: the waits grow and it is warned once, so the source is not
  // hammered nor the log flooded. A unit that ran a while before breaking ends that streak.
  Backoff breaks(options.retry);
  std::string last_break;
  while (!stop::requested()) {
    bool started = false;
    const auto began = std::chrono::steady_clock::now();
    try {
      unit([&] {
        started = true;
        if (const int failed = backoff.succeeded()) {
          log.info(fmt::runtime(texts.recovered), failed);
        }
        health.healthy();
      });
    } catch (const Error& error) {
      if (options.is_final && options.is_final(error)) throw;
      if (options.failures != nullptr) options.failures->inc();
      health.failing(error.what());
      if (started && !texts.broke_after_start.empty()) {
        if (error.what() != last_break ||
            std::chrono::steady_clock::now() - began >= kBreakStreakEndsAfter) {
          breaks.succeeded();
          last_break = error.what();
        }
        if (breaks.failed()) {
          log.warn(fmt::runtime(texts.broke_after_start), error.what());
        } else {
          log.debug(fmt::runtime(texts.broke_after_start), error.what());
        }
        if (breaks.wait()) break;
        continue;
      }
      if (backoff.failed()) {
        log.warn(fmt::runtime(texts.first_failure), error.what());
      } else {
        log.debug(fmt::runtime(texts.still_failing), error.what());
      }
      if (options.rethrow_when_exhausted && backoff.exhausted()) throw;
      if (backoff.wait()) break;
    }
  }
}

}  // namespace tapedeck::service
