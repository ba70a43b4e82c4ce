// Losing and regaining the server: retryable errors within the timeout, then recovery.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "core/nats/connection.hpp"
#include "core/nats/consumer.hpp"
#include "core/nats/jetstream.hpp"
#include "core/nats/library.hpp"
#include "fixture.hpp"
#include "private_server.hpp"

namespace tapedeck::nats {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// True once `condition` holds, false after `limit`.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

// Runs `call`, expecting a retryable tapedeck::Error within `limit`.
void expect_retryable_within(const std::function<void()>& call, std::chrono::milliseconds limit,
                             const char* what) {
  const auto start = Clock::now();
  try {
    call();
    ADD_FAILURE() << what << " succeeded with the server down";
  } catch (const Error& error) {
    EXPECT_TRUE(error.retryable()) << what << ": " << error.what();
    EXPECT_EQ(error.source(), ErrorSource::nats) << what;
  }
  EXPECT_LT(Clock::now() - start, limit) << what << " hung";
}

TEST(ServerLoss, CallsFailRetryablyWhileTheServerIsDownAndRecoverAfterItReturns) {
  LibraryGuard library;
  testing::PrivateNatsServer server;
  server.start();

  ConnectOptions options;
  options.url = server.url();
  options.name = "tapedeck-server-loss-test";
  options.reconnect_wait = 200ms;
  options.reconnect_jitter = 100ms;
  options.ping_interval = 1s;
  Connection connection(options);
  JetStream js(connection, 1s);
  StreamConfig config;
  config.name = "LOSS";
  config.subjects = {"loss.>"};
  js.ensure_stream(config);
  js.publish("loss.a", "before", {}, "before-1");
  PullConsumer consumer(js, "LOSS", "worker", "loss.>");
  AsyncPublisher publisher(connection);
  EXPECT_EQ(connection.reconnect_count(), 0u);
  EXPECT_FALSE(connection.disconnected());

  server.kill();
  ASSERT_TRUE(eventually([&] { return connection.disconnected(); }, 5s));
  EXPECT_NE(connection.status(), ConnectionStatus::connected);

  expect_retryable_within([&] { js.publish("loss.a", "during", {}, "during-1"); }, 3s, "publish");
  expect_retryable_within([&] { consumer.fetch(1, 500ms); }, 3s, "fetch");
  expect_retryable_within([&] { js.stream_info("LOSS"); }, 3s, "stream_info");

  publisher.publish("loss.a", "async during", {}, "async-1");
  const auto start = Clock::now();
  std::vector<PublishFailure> failures = publisher.wait_all(1s);
  EXPECT_LT(Clock::now() - start, 3s);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].msg_id, "async-1");
  EXPECT_EQ(failures[0].recovery, Recovery::retry);

  server.start();
  ASSERT_TRUE(eventually([&] { return connection.reconnect_count() >= 1; }, 15s));
  EXPECT_FALSE(connection.disconnected());
  EXPECT_EQ(connection.status(), ConnectionStatus::connected);

  // JetStream needs a moment after the listener is up to load its streams back.
  std::optional<PubAck> ack;
  ASSERT_TRUE(eventually(
      [&] {
        try {
          ack = js.publish("loss.a", "after", {}, "after-1");
          return true;
        } catch (const Error& error) {
          return false;
        }
      },
      10s));
  EXPECT_EQ(ack->stream, "LOSS");

  bool seen_after = false;
  for (int round = 0; round < 10 && !seen_after; ++round) {
    for (Message& message : consumer.fetch(10, 1s)) {
      if (message.data() == "after") seen_after = true;
      message.ack_sync();
    }
  }
  EXPECT_TRUE(seen_after);
}

}  // namespace
}  // namespace tapedeck::nats
