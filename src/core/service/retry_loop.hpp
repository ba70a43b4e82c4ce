// The loop of a long-running service: run one unit of work (a session) after the other until a
// stop is requested, retrying what failed by the retry policy and logging once per streak.
#pragma once

#include <functional>
#include <string_view>

#include "core/error.hpp"
#include "core/metrics.hpp"
#include "core/retry.hpp"
#include "core/service/health_state.hpp"

namespace spdlog {
class logger;
}

namespace tapedeck::service {

// The loop's log lines; "{}" stands for the error's text (in `recovered`, the failed attempts).
struct RetryLoopTexts {
  std::string_view recovered = "recovered after {} failed attempts";  // info
  std::string_view first_failure = "{}; retrying with backoff";       // warn, once a streak
  std::string_view still_failing = "still failing: {}";               // debug, the rest
  // Empty: a unit that fails after it started counts in the failure streak like any other.
  // Otherwise it is logged with this text and counts in no failure streak (capture: a broken
  // stream restarts from the slot). Each new break is warned and the next unit starts after a
  // first retry's delay; the same error again from a unit that broke within a minute of its
  // start is a streak of breaks: logged at debug, with the policy's growing delays.
  std::string_view broke_after_start;
};

struct RetryLoopOptions {
  RetryPolicy retry;
  // Errors no retry can fix (a configuration mistake): rethrown at once, before anything is
  // counted or reported. Unset: every Error is retried.
  std::function<bool(const Error&)> is_final;
  // Once the policy's attempts are spent (retry.max_attempts > 0): rethrow the last error
  // (true) or keep retrying at the longest delay (false).
  bool rethrow_when_exhausted = false;
  Counter* failures = nullptr;  // when set, counts every unit that failed
  RetryLoopTexts texts;
};

// A unit of work calls this once its set-up is done (connections open, consumer bound): it ends
// the failure streak, logging the recovery, and reports the service healthy.
using Started = std::function<void()>;
// One unit of work: sets up, calls `started`, works until the stop flag is set (then returns)
// or throws the first Error.
using Unit = std::function<void(const Started& started)>;

// Runs `unit` again and again until the stop flag (core/stop.hpp) is set. A unit that throws
// an Error reports `health` failing with its text and is retried after the policy's delay (the
// wait ends early on a stop). Exceptions other than Error, final errors and (when asked)
// exhausted ones are rethrown. Runs on the calling thread; `log` and `health` must outlive it.
void retry_until_stopped(spdlog::logger& log, HealthState& health, const RetryLoopOptions& options,
                         const Unit& unit);

}  // namespace tapedeck::service
