// The retry loop of a long-running service.
#include "core/service/retry_loop.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/stop.hpp"

namespace tapedeck::service {

void retry_until_stopped(spdlog::logger& log, HealthState& health, const RetryLoopOptions& options,
                         const Unit& unit) {
  const RetryLoopTexts& texts = options.texts;
  Backoff backoff(options.retry);
  while (!stop::requested()) {
    bool started = false;
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
        log.warn(fmt::runtime(texts.broke_after_start), error.what());
      } else if (backoff.failed()) {
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
