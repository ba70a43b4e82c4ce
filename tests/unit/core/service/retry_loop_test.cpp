#include "core/service/retry_loop.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/stop.hpp"

namespace tapedeck::service {
namespace {

using namespace std::chrono_literals;

Error transient(const std::string& what) {
  return Error(ErrorSource::nats, Recovery::retry, what);
}

// A loop with a fast policy, its log captured line by line.
class RetryLoop : public ::testing::Test {
 protected:
  RetryLoop()
      : sink_(std::make_shared<spdlog::sinks::ostream_sink_st>(lines_)),
        log_("retry_loop_test", sink_),
        failures_(registry_.counter("failures_total", "units that failed")) {
    log_.set_level(spdlog::level::debug);
    sink_->set_pattern("%l %v");
    options_.retry = RetryPolicy{0, 1ms, 2ms, 0.0};
    options_.failures = &failures_;
  }
  void SetUp() override { stop::clear(); }
  void TearDown() override { stop::clear(); }

  void run(const Unit& unit) { retry_until_stopped(log_, health_, options_, unit); }
  std::string log() const { return lines_.str(); }
  static std::size_t count(const std::string& text, const std::string& part) {
    std::size_t found = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++found;
    return found;
  }

  std::ostringstream lines_;
  std::shared_ptr<spdlog::sinks::ostream_sink_st> sink_;
  spdlog::logger log_;
  Metrics registry_;
  Counter& failures_;
  HealthState health_;
  RetryLoopOptions options_;
};

TEST_F(RetryLoop, RunsNothingWhenAStopIsAlreadyRequested) {
  stop::request();
  int calls = 0;
  run([&](const Started&) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST_F(RetryLoop, RunsOneUnitThatWorksUntilTheStop) {
  int calls = 0;
  run([&](const Started& started) {
    ++calls;
    started();
    stop::request();
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(failures_.value(), 0u);
  EXPECT_TRUE(health_.get().ok);
  EXPECT_EQ(log(), "");
}

TEST_F(RetryLoop, WarnsOncePerStreakAndLogsTheRecovery) {
  int calls = 0;
  run([&](const Started& started) {
    if (++calls <= 3) throw transient("nats is away");
    started();
    stop::request();
  });
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(failures_.value(), 3u);
  EXPECT_EQ(count(log(), "warning nats: nats is away; retrying with backoff"), 1u) << log();
  EXPECT_EQ(count(log(), "debug still failing: nats: nats is away"), 2u) << log();
  EXPECT_EQ(count(log(), "info recovered after 3 failed attempts"), 1u) << log();
  EXPECT_TRUE(health_.get().ok);
}

TEST_F(RetryLoop, ReportsTheFailureOnHealthWhileRetrying) {
  http::Health seen;
  int calls = 0;
  run([&](const Started&) {
    if (++calls == 2) {
      seen = health_.get();
      stop::request();
      return;
    }
    throw transient("store unreachable");
  });
  EXPECT_FALSE(seen.ok);
  EXPECT_NE(seen.detail.find("store unreachable"), std::string::npos) << seen.detail;
}

TEST_F(RetryLoop, AFailureAfterAStartCountsInTheStreakByDefault) {
  int calls = 0;
  run([&](const Started& started) {
    started();
    if (++calls == 3) stop::request();
    throw transient("lost the connection");
  });
  EXPECT_EQ(calls, 3);
  // Each unit started again, so each failure begins a streak of its own.
  EXPECT_EQ(count(log(), "lost the connection; retrying with backoff"), 3u) << log();
  EXPECT_EQ(count(log(), "recovered after 1 failed attempts"), 2u) << log();
}

TEST_F(RetryLoop, AFailureAfterAStartHasItsOwnLineWhenAsked) {
  options_.texts.broke_after_start = "stopped: {}; starting again";
  options_.texts.first_failure = "cannot start: {}; retrying with backoff";
  int calls = 0;
  run([&](const Started& started) {
    ++calls;
    if (calls == 2) throw transient("slot busy");  // before the start
    started();
    if (calls == 3) stop::request();
    throw transient("stream broke");
  });
  EXPECT_EQ(count(log(), "stream broke; starting again"), 2u) << log();
  EXPECT_EQ(count(log(), "warning cannot start: nats: slot busy; retrying with backoff"), 1u)
      << log();
  EXPECT_EQ(count(log(), "recovered after 1 failed attempts"), 1u) << log();
  EXPECT_EQ(failures_.value(), 3u);
}

// A stream that breaks on the same change each time it starts must not hammer its source nor
// flood the log: the same break again waits longer each time and is warned once.
TEST_F(RetryLoop, TheSameBreakAgainAndAgainBacksOffAndIsWarnedOnce) {
  options_.retry = RetryPolicy{0, 20ms, 80ms, 0.0};
  options_.texts.broke_after_start = "stopped: {}; starting again";
  std::vector<std::chrono::steady_clock::time_point> starts;
  run([&](const Started& started) {
    starts.push_back(std::chrono::steady_clock::now());
    started();
    if (starts.size() == 5) {
      stop::request();
      return;
    }
    if (starts.size() == 4) throw transient("another break");
    throw transient("invalid byte sequence");
  });
  ASSERT_EQ(starts.size(), 5u);
  EXPECT_EQ(count(log(), "warning stopped: nats: invalid byte sequence; starting again"), 1u)
      << log();
  EXPECT_EQ(count(log(), "debug stopped: nats: invalid byte sequence; starting again"), 2u)
      << log();
  // A different error is a new break: warned, and the wait starts short again.
  EXPECT_EQ(count(log(), "warning stopped: nats: another break; starting again"), 1u) << log();
  // Waits of at least 20, 40 and 80 ms (no jitter): the third start came 60 ms or more after the
  // first, the fourth 80 ms or more after the third.
  EXPECT_GE(starts[2] - starts[0], 60ms);
  EXPECT_GE(starts[3] - starts[2], 80ms);
  EXPECT_EQ(failures_.value(), 4u);
}

TEST_F(RetryLoop, RethrowsAFinalErrorAtOnceWithoutCountingIt) {
  options_.is_final = [](const Error& error) { return error.source() == ErrorSource::config; };
  int calls = 0;
  EXPECT_THROW(run([&](const Started&) {
                 ++calls;
                 throw Error(ErrorSource::config, Recovery::invalid, "bad setting");
               }),
               Error);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(failures_.value(), 0u);
  EXPECT_TRUE(health_.get().ok);
}

TEST_F(RetryLoop, RethrowsOnceTheAttemptsAreSpentWhenAsked) {
  options_.retry.max_attempts = 3;
  options_.rethrow_when_exhausted = true;
  int calls = 0;
  EXPECT_THROW(run([&](const Started&) {
                 ++calls;
                 throw transient("down");
               }),
               Error);
  EXPECT_EQ(calls, 3);
  EXPECT_FALSE(health_.get().ok);
}

TEST_F(RetryLoop, KeepsRetryingPastTheAttemptsOtherwise) {
  options_.retry.max_attempts = 2;
  int calls = 0;
  run([&](const Started&) {
    if (++calls == 5) stop::request();
    throw transient("down");
  });
  EXPECT_EQ(calls, 5);
}

TEST_F(RetryLoop, PassesOnWhatIsNotAnError) {
  EXPECT_THROW(run([](const Started&) { throw std::logic_error("bug"); }), std::logic_error);
  EXPECT_EQ(failures_.value(), 0u);
}

TEST_F(RetryLoop, AStopEndsTheWaitBeforeTheNextAttempt) {
  options_.retry = RetryPolicy{0, 60s, 60s, 0.0};
  std::thread stopper([] {
    std::this_thread::sleep_for(50ms);
    stop::request();
  });
  int calls = 0;
  const auto began = std::chrono::steady_clock::now();
  run([&](const Started&) {
    ++calls;
    throw transient("down");
  });
  stopper.join();
  EXPECT_EQ(calls, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 10s);
}

}  // namespace
}  // namespace tapedeck::service
