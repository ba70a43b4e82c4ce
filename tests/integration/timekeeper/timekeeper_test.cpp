// `tapedeck timekeeper` against the real stack: ticks in the Live DB, at the RTUS recorder and
// on JetStream once per second; a dead or stalling RTUS does not hold the Live DB ticks up, and
// a dead or stalled Live DB does not hold the RTUS ticks up.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/http/client.hpp"
#include "core/http/server.hpp"
#include "core/nats/connection.hpp"
#include "core/nats/consumer.hpp"
#include "core/nats/jetstream.hpp"
#include "core/nats/library.hpp"
#include "core/pg/connection.hpp"
#include "core/rtus_call.hpp"
#include "support/free_port.hpp"
#include "support/process.hpp"
#include "support/stack_env.hpp"

namespace tapedeck {

using tapedeck::testing::free_port;
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::eventually;
using testing::stack_env;

// libcurl's and cnats' global state for the whole binary, as main holds them.
class LibrariesEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    curl_ = std::make_unique<http::CurlGlobal>();
    nats_ = std::make_unique<nats::LibraryGuard>();
  }
  void TearDown() override {
    nats_.reset();
    curl_.reset();
  }

 private:
  std::unique_ptr<http::CurlGlobal> curl_;
  std::unique_ptr<nats::LibraryGuard> nats_;
};
[[maybe_unused]] auto* const libraries_environment =
    ::testing::AddGlobalTestEnvironment(new LibrariesEnvironment);

std::string random_suffix() {
  std::random_device device;
  return std::to_string(std::uniform_int_distribution<std::uint64_t>(1, 1'000'000'000)(device));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

// A scratch Live DB, a unique stream and prefix, and a unique RTUS path per test; the
// timekeeper child is started by start().
class TimekeeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    suffix_ = random_suffix();
    database_ = "tk_" + suffix_;
    admin_.emplace(stack_env("TAPEDECK_LIVE_DSN"), "tapedeck-test");
    admin_->exec("CREATE DATABASE " + database_);
    live_dsn_ = stack_env("TAPEDECK_LIVE_DSN") + " dbname=" + database_;
    stream_ = "TK_" + suffix_;
    prefix_ = "tk" + suffix_;
    rtus_path_ = "/tk-" + suffix_ + "/tick";
    metrics_port_ = free_port();
    log_file_ = ::testing::TempDir() + "timekeeper-" + suffix_ + ".log";
  }

  void TearDown() override {
    if (child_) child_->stop();
    child_.reset();
    try {
      nats::Connection connection(nats_options());
      nats::JetStream js(connection);
      js.delete_stream(stream_);
    } catch (const std::exception& error) {
      ADD_FAILURE() << "cleanup of stream " << stream_ << ": " << error.what();
    }
    admin_->exec("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
    std::remove(log_file_.c_str());
  }

  nats::ConnectOptions nats_options() const {
    nats::ConnectOptions options;
    options.url = stack_env("TAPEDECK_NATS_URL");
    options.name = "tapedeck-test";
    return options;
  }

  // `overrides`: further TAPEDECK_* variables, replacing the test's own (e.g. the Live DB DSN).
  void start(const std::string& rtus_url, const std::string& rtus_timeout = "300ms",
             const std::map<std::string, std::string>& overrides = {}) {
    std::map<std::string, std::string> env{
        {"TAPEDECK_LIVE_DSN", live_dsn_},
        {"TAPEDECK_RTUS_URL", rtus_url},
        {"TAPEDECK_RTUS_TIMEOUT", rtus_timeout},
        {"TAPEDECK_NATS_CDC_STREAM", stream_},
        {"TAPEDECK_NATS_CDC_PREFIX", prefix_},
        {"TAPEDECK_TIMEKEEPER_LISTEN", "127.0.0.1:" + std::to_string(metrics_port_)},
    };
    for (const auto& [name, value] : overrides) env[name] = value;
    child_.emplace(std::vector<std::string>{testing::tapedeck_binary(), "timekeeper"}, env,
                   log_file_);
  }

  // The tick in tapedeck.system_time and the server's clock in Unix seconds; nothing before
  // the first write (or while the table does not exist yet).
  std::optional<std::pair<std::int64_t, double>> db_tick() {
    try {
      pg::Connection live(live_dsn_, "tapedeck-test");
      const auto result = live.exec(
          "SELECT tick, extract(epoch FROM system_time)::bigint = tick, "
          "extract(epoch FROM clock_timestamp())::float8 FROM tapedeck.system_time");
      if (result.rows() == 0) return std::nullopt;
      EXPECT_EQ(result.text(0, 1), "t") << "system_time is not the tick's second";
      return std::make_pair(std::stoll(std::string(result.text(0, 0))),
                            std::stod(std::string(result.text(0, 2))));
    } catch (const Error&) {
      return std::nullopt;
    }
  }

  // Samples the Live DB tick every 100 ms for `span`; returns the distinct ticks seen and the
  // worst lag of the tick behind the database server's clock.
  std::pair<std::vector<std::int64_t>, double> sample_db_ticks(std::chrono::seconds span) {
    std::vector<std::int64_t> ticks;
    double worst_lag = 0;
    const auto until = std::chrono::steady_clock::now() + span;
    while (std::chrono::steady_clock::now() < until) {
      if (const auto sample = db_tick()) {
        if (ticks.empty() || ticks.back() != sample->first) ticks.push_back(sample->first);
        worst_lag = std::max(worst_lag, sample->second - static_cast<double>(sample->first));
      }
      std::this_thread::sleep_for(100ms);
    }
    return {ticks, worst_lag};
  }

  std::string metrics() {
    http::Client client;
    http::Request request;
    request.url = "http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics";
    request.total_timeout = 5s;
    try {
      return client.send(request).body;
    } catch (const Error&) {
      return {};
    }
  }

  // The value of a metric line "name{labels} value", or -1 when it is not there. Matched at
  // the start of a line, so the "# HELP name ..." line of an unlabelled series is skipped.
  double metric(const std::string& series) {
    std::istringstream lines(metrics());
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
    }
    return -1;
  }

  nlohmann::json recorded_calls() {
    http::Client client;
    http::Request request;
    request.url = stack_env("TAPEDECK_RTUS_URL") + "/calls?path_prefix=/tk-" + suffix_;
    request.total_timeout = 5s;
    return nlohmann::json::parse(client.send(request).body);
  }

  // The ticks the RTUS recorder received, in the order it received them.
  std::vector<std::int64_t> rtus_ticks() {
    std::vector<std::int64_t> ticks;
    for (const auto& call : recorded_calls()) {
      ticks.push_back(nlohmann::json::parse(call.at("body").get<std::string>()).at("tick"));
    }
    return ticks;
  }

  std::string suffix_, database_, live_dsn_, stream_, prefix_, rtus_path_, log_file_;
  int metrics_port_ = 0;
  std::optional<pg::Connection> admin_;
  std::optional<ChildProcess> child_;
};

// Consecutive seconds, each once.
void expect_one_per_second(const std::vector<std::int64_t>& ticks, const char* where) {
  ASSERT_GE(ticks.size(), 3u) << where;
  std::size_t steps_of_one = 0;
  for (std::size_t i = 1; i < ticks.size(); ++i) {
    EXPECT_GT(ticks[i], ticks[i - 1]) << where << ": tick went back or repeated";
    if (ticks[i] - ticks[i - 1] == 1) ++steps_of_one;
  }
  // A tick thread late by more than a second skips a boundary; on a loaded machine that may
  // happen now and then, never as a rule.
  EXPECT_GE(steps_of_one * 10, (ticks.size() - 1) * 8) << where << ": ticks are not 1 s apart";
}

TEST_F(TimekeeperTest, TicksLandInTheLiveDbAndAtTheRtusOncePerSecond) {
  start(stack_env("TAPEDECK_RTUS_URL") + rtus_path_);
  ASSERT_TRUE(eventually([&] { return db_tick().has_value(); }, 60s)) << read_file(log_file_);

  const auto [ticks, lag] = sample_db_ticks(6s);
  expect_one_per_second(ticks, "Live DB");

  std::vector<std::int64_t> rtus_ticks;
  for (const auto& call : recorded_calls()) {
    EXPECT_EQ(call.at("method"), "POST");
    EXPECT_EQ(call.at("path"), rtus_path_);
    const auto body = nlohmann::json::parse(call.at("body").get<std::string>());
    const std::int64_t tick = body.at("tick");
    EXPECT_EQ(body.at("time"), format_rfc3339_micros(tick * 1'000'000));
    rtus_ticks.push_back(tick);
  }
  expect_one_per_second(rtus_ticks, "RTUS");
  EXPECT_EQ(std::set<std::int64_t>(rtus_ticks.begin(), rtus_ticks.end()).size(), rtus_ticks.size())
      << "a tick was notified twice";
  EXPECT_EQ(metric(R"(tapedeck_timekeeper_failures_total{target="live_db"})"), 0);
  EXPECT_GE(metric("tapedeck_timekeeper_late_ticks_total"), 0) << "late ticks are not counted";
  EXPECT_EQ(child_->stop(), 0);
}

TEST_F(TimekeeperTest, RecordsEachNotificationOnTheRtusSubjectOnce) {
  start(stack_env("TAPEDECK_RTUS_URL") + rtus_path_);
  nats::Connection connection(nats_options());
  nats::JetStream js(connection);
  ASSERT_TRUE(eventually(
      [&] {
        try {
          return js.stream_info(stream_).messages >= 4;
        } catch (const Error&) {
          return false;
        }
      },
      60s))
      << read_file(log_file_);
  ASSERT_EQ(child_->stop(), 0);

  nats::PullConsumer consumer(js, stream_, "test-" + suffix_, prefix_ + ".rtus", {});
  std::vector<RtusCall> calls;
  for (;;) {
    auto messages = consumer.fetch(100, 2s);
    if (messages.empty()) break;
    for (auto& message : messages) {
      EXPECT_EQ(message.subject(), prefix_ + ".rtus");
      calls.push_back(parse_rtus_call(message.data()));
      EXPECT_EQ(message.header("Nats-Msg-Id"), calls.back().id);
      message.ack();
    }
  }
  ASSERT_GE(calls.size(), 4u);
  std::set<std::string> ids;
  std::vector<std::int64_t> ticks;
  for (const auto& call : calls) {
    ids.insert(call.id);
    EXPECT_EQ(call.method, "POST");
    EXPECT_EQ(call.path, rtus_path_);
    EXPECT_EQ(call.time_us % 1'000'000, 0) << "a tick stands for a whole second";
    EXPECT_EQ(call.id, "tk-" + std::to_string(call.time_us / 1'000'000));
    ticks.push_back(call.time_us / 1'000'000);
  }
  EXPECT_EQ(ids.size(), calls.size()) << "a tick was stored twice";
  expect_one_per_second(ticks, "stream");

  // What the stream holds is what the RTUS got: same ticks, same bodies.
  std::map<std::int64_t, std::string> received;
  for (const auto& call : recorded_calls()) {
    const auto body = call.at("body").get<std::string>();
    received[nlohmann::json::parse(body).at("tick").get<std::int64_t>()] = body;
  }
  for (const auto& call : calls) {
    const auto found = received.find(call.time_us / 1'000'000);
    if (found != received.end()) {
      EXPECT_EQ(found->second, call.body);
    }
  }
  EXPECT_GE(received.size() + 1, calls.size());
}

TEST_F(TimekeeperTest, AClosedRtusPortNeitherDelaysDbTicksNorFloodsTheLog) {
  start("http://127.0.0.1:" + std::to_string(free_port()) + "/nobody");
  ASSERT_TRUE(eventually([&] { return db_tick().has_value(); }, 60s)) << read_file(log_file_);

  const auto [ticks, lag] = sample_db_ticks(6s);
  expect_one_per_second(ticks, "Live DB");
  EXPECT_LT(lag, 3.0) << "the Live DB tick fell behind the clock";

  EXPECT_TRUE(eventually(
      [&] { return metric(R"(tapedeck_timekeeper_failures_total{target="rtus"})") >= 4; }, 30s));
  const auto log = read_file(log_file_);
  EXPECT_EQ(count_of(log, "rtus: tick"), 1u) << log;  // once per streak, not per second
  EXPECT_EQ(child_->stop(), 0);
}

TEST_F(TimekeeperTest, AStallingRtusNeitherDelaysDbTicksNorTheStop) {
  // An RTUS that takes 10 s to answer, longer than the timekeeper's 8 s timeout.
  std::atomic<int> stalled_calls{0};
  std::atomic<bool> releasing{false};
  http::Server stalling("127.0.0.1:0");
  stalling.route("*", ".*", [&](const http::ServerRequest&) {
    ++stalled_calls;
    for (int i = 0; i < 100 && !releasing.load(); ++i) std::this_thread::sleep_for(100ms);
    return http::ServerResponse::json(200, "{}");
  });
  stalling.start();
  start("http://127.0.0.1:" + std::to_string(stalling.port()) + "/slow", "8s");
  ASSERT_TRUE(eventually([&] { return db_tick().has_value(); }, 60s)) << read_file(log_file_);

  const auto [ticks, lag] = sample_db_ticks(8s);
  expect_one_per_second(ticks, "Live DB");
  EXPECT_LT(lag, 4.0) << "the Live DB tick waited for the RTUS";
  EXPECT_GE(stalled_calls.load(), 1);
  // While the call hangs, newer ticks replace the waiting one: counted, not queued up.
  EXPECT_TRUE(eventually(
      [&] { return metric(R"(tapedeck_timekeeper_dropped_total{target="rtus"})") >= 1; }, 30s));
  EXPECT_EQ(child_->stop(), 0);
  releasing = true;
  stalling.stop();
}

TEST_F(TimekeeperTest, ALockedSystemTimeTableNeitherDelaysRtusTicksNorKeepsTheDbBehind) {
  using std::chrono::floor;
  using std::chrono::seconds;
  using std::chrono::system_clock;
  start(stack_env("TAPEDECK_RTUS_URL") + rtus_path_);
  ASSERT_TRUE(eventually([&] { return db_tick().has_value(); }, 60s)) << read_file(log_file_);

  // Another session holds the table for 4 s, so the timekeeper's UPSERT waits on the lock.
  pg::Connection locker(live_dsn_, "tapedeck-test-locker");
  locker.exec("BEGIN");
  locker.exec("LOCK TABLE tapedeck.system_time IN ACCESS EXCLUSIVE MODE");
  const auto stall_start = system_clock::now();
  const bool writer_waited = eventually(
      [&] {
        return admin_
                   ->exec("SELECT count(*) FROM pg_stat_activity WHERE datname = '" + database_ +
                          "' AND application_name = 'tapedeck-timekeeper' AND "
                          "wait_event_type = 'Lock'")
                   .text(0, 0) != "0";
      },
      3s);
  std::this_thread::sleep_until(stall_start + 4s);
  const auto stall_end = system_clock::now();
  locker.exec("COMMIT");
  EXPECT_TRUE(writer_waited) << "the timekeeper never waited on the lock: nothing was stalled";

  // Once the lock is gone the Live DB catches up with the clock again.
  const auto first_after = floor<seconds>(stall_end).time_since_epoch().count() + 1;
  EXPECT_TRUE(eventually(
      [&] {
        const auto tick = db_tick();
        return tick && tick->first >= first_after;
      },
      10s))
      << read_file(log_file_);

  // The RTUS got (nearly) every second of the stall; a loaded machine may skip one.
  std::set<std::int64_t> stalled_seconds;
  const auto from = floor<seconds>(stall_start).time_since_epoch().count() + 1;
  const auto to = floor<seconds>(stall_end).time_since_epoch().count();
  for (const auto tick : rtus_ticks()) {
    if (tick >= from && tick <= to) stalled_seconds.insert(tick);
  }
  EXPECT_GE(stalled_seconds.size(), 3u) << "RTUS ticks waited for the Live DB";

  // The waits ran into lock_timeout: counted, and logged once for the streak, then the recovery.
  EXPECT_GE(metric(R"(tapedeck_timekeeper_failures_total{target="live_db"})"), 1);
  const auto log = read_file(log_file_);
  EXPECT_EQ(count_of(log, "live_db: tick"), 1u) << log;
  EXPECT_EQ(count_of(log, "live_db: recovered"), 1u) << log;
  EXPECT_EQ(child_->stop(), 0);
}

TEST_F(TimekeeperTest, ADeadLiveDbNeitherDelaysRtusTicksNorFloodsTheLog) {
  // Nothing listens on this port: every connection attempt is refused.
  const auto dead_dsn = "host=127.0.0.1 port=" + std::to_string(free_port()) +
                        " dbname=nobody user=nobody connect_timeout=2";
  start(stack_env("TAPEDECK_RTUS_URL") + rtus_path_, "300ms", {{"TAPEDECK_LIVE_DSN", dead_dsn}});
  ASSERT_TRUE(eventually([&] { return rtus_ticks().size() >= 6; }, 60s)) << read_file(log_file_);

  expect_one_per_second(rtus_ticks(), "RTUS");
  EXPECT_TRUE(eventually(
      [&] { return metric(R"(tapedeck_timekeeper_failures_total{target="live_db"})") >= 4; }, 30s));
  const auto log = read_file(log_file_);
  EXPECT_EQ(count_of(log, "live_db: tick"), 1u) << log;  // once per streak, not per second
  EXPECT_EQ(count_of(log, "live_db: recovered"), 0u) << log;
  EXPECT_EQ(child_->stop(), 0);
}

}  // namespace
}  // namespace tapedeck
