// Streams and publishing against the shared nats-server.
#include "core/nats/jetstream.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "fixture.hpp"

namespace tapedeck::nats {
namespace {

using JetStreamTest = testing::SharedServerTest;

TEST_F(JetStreamTest, EnsureStreamCreatesThenLeavesAnIdenticalStreamAlone) {
  StreamInfo created = js_->ensure_stream(stream_config());
  EXPECT_EQ(created.name, stream_);
  EXPECT_EQ(created.messages, 0u);
  js_->publish(prefix_ + ".a", "x");
  StreamInfo again = js_->ensure_stream(stream_config());
  EXPECT_EQ(again.messages, 1u);
}

// The conflict's text, or a failure when ensure_stream did not refuse.
std::string refusal_of(JetStream& js, const StreamConfig& config,
                       JetStream::Setup setup = JetStream::Setup::create_missing) {
  try {
    js.ensure_stream(config, setup);
  } catch (const Error& error) {
    EXPECT_EQ(error.source(), ErrorSource::config);
    EXPECT_EQ(error.recovery(), Recovery::conflict);
    return error.message();
  }
  ADD_FAILURE() << "stream " << config.name << " was not refused";
  return {};
}

TEST_F(JetStreamTest, AMissingStreamIsCreatedWithTheConfiguredLimits) {
  StreamConfig config = stream_config();
  config.max_age = std::chrono::hours(72);
  config.max_bytes = 64 << 20;
  config.duplicate_window = std::chrono::minutes(5);
  js_->ensure_stream(config);
  const StreamConfig held = js_->stream_info(stream_).config;
  EXPECT_EQ(held.max_age, std::chrono::hours(72));
  EXPECT_EQ(held.max_bytes, 64 << 20);
  EXPECT_EQ(held.replicas, 1);
  EXPECT_EQ(held.duplicate_window, std::chrono::minutes(5));
  EXPECT_EQ(held.storage, StorageType::memory);
  EXPECT_EQ(held.subjects, config.subjects);
}

TEST_F(JetStreamTest, AMatchingStreamIsLeftAloneEvenWhenTapedeckMayNotCreateStreams) {
  StreamConfig config = stream_config();
  config.max_age = std::chrono::hours(24);
  js_->ensure_stream(config);
  js_->publish(prefix_ + ".a", "x");
  StreamInfo again = js_->ensure_stream(config, JetStream::Setup::require_existing);
  EXPECT_EQ(again.messages, 1u);
  EXPECT_EQ(again.config.max_age, std::chrono::hours(24));
}

TEST_F(JetStreamTest, AStreamWithOtherLimitsIsRefusedNamingEachDifferenceAndLeftUntouched) {
  StreamConfig operators = stream_config();
  operators.max_age = std::chrono::hours(24 * 30);
  operators.max_bytes = 1 << 30;
  js_->ensure_stream(operators);
  js_->publish(prefix_ + ".a", "x");

  StreamConfig configured = stream_config();
  configured.max_age = std::chrono::hours(72);
  configured.keys.max_age = "nats.cdc_max_age";
  configured.keys.max_bytes = "nats.cdc_max_bytes";
  const std::string message = refusal_of(*js_, configured);
  EXPECT_NE(message.find("stream " + stream_), std::string::npos) << message;
  EXPECT_NE(
      message.find("max age is 30d on the server, 3d in the configuration (nats.cdc_max_age)"),
      std::string::npos)
      << message;
  EXPECT_NE(message.find("max bytes is 1073741824 on the server, unlimited in the configuration "
                         "(nats.cdc_max_bytes)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("nats stream edit " + stream_), std::string::npos) << message;

  const StreamInfo after = js_->stream_info(stream_);
  EXPECT_EQ(after.messages, 1u);
  EXPECT_EQ(after.config.max_age, std::chrono::hours(24 * 30));
  EXPECT_EQ(after.config.max_bytes, 1 << 30);
}

TEST_F(JetStreamTest, AStreamWithOtherSubjectsIsRefusedNotWidened) {
  js_->ensure_stream(stream_config());
  StreamConfig wider = stream_config();
  wider.subjects.push_back(prefix_ + "-extra.>");
  const std::string message = refusal_of(*js_, wider);
  EXPECT_NE(message.find("subjects is [" + prefix_ + ".>] on the server"), std::string::npos)
      << message;
  EXPECT_EQ(js_->stream_info(stream_).subjects, stream_config().subjects);
}

TEST_F(JetStreamTest, TheDuplicateWindowTapedeckOwnsIsSetKeepingTheOperatorsOtherSettings) {
  StreamConfig config = stream_config();
  config.max_age = std::chrono::hours(24);
  js_->ensure_stream(config);
  config.duplicate_window = std::chrono::minutes(10);
  const StreamInfo updated = js_->ensure_stream(config);
  EXPECT_EQ(updated.config.duplicate_window, std::chrono::minutes(10));
  EXPECT_EQ(js_->stream_info(stream_).config.max_age, std::chrono::hours(24));
}

TEST_F(JetStreamTest, WithoutLeaveToCreateStreamsEvenTheDuplicateWindowIsRefused) {
  js_->ensure_stream(stream_config());
  StreamConfig config = stream_config();
  config.duplicate_window = std::chrono::minutes(10);
  const std::string message = refusal_of(*js_, config, JetStream::Setup::require_existing);
  EXPECT_NE(message.find("duplicate window is 2m on the server, 10m"), std::string::npos)
      << message;
  EXPECT_EQ(js_->stream_info(stream_).config.duplicate_window, std::chrono::minutes(2));
}

TEST_F(JetStreamTest, AMissingStreamTapedeckMayNotCreateIsNotFound) {
  try {
    js_->ensure_stream(stream_config(), JetStream::Setup::require_existing);
    FAIL() << "expected not_found";
  } catch (const Error& error) {
    EXPECT_EQ(error.recovery(), Recovery::not_found);
    EXPECT_NE(error.message().find("nats.create_streams"), std::string::npos);
  }
}

TEST_F(JetStreamTest, StreamInfoOfAMissingStreamIsNotFound) {
  try {
    js_->stream_info(stream_ + "_MISSING");
    FAIL() << "expected not_found";
  } catch (const Error& error) {
    EXPECT_EQ(error.recovery(), Recovery::not_found);
    EXPECT_EQ(error.source(), ErrorSource::nats);
  }
}

TEST_F(JetStreamTest, PublishingTheSameMsgIdTwiceStoresOneMessage) {
  js_->ensure_stream(stream_config());
  PubAck first = js_->publish(prefix_ + ".orders", "one", {}, "0/16B3748:1");
  PubAck second = js_->publish(prefix_ + ".orders", "one again", {}, "0/16B3748:1");
  EXPECT_FALSE(first.duplicate);
  EXPECT_TRUE(second.duplicate);
  EXPECT_EQ(first.stream, stream_);
  EXPECT_EQ(second.sequence, first.sequence);
  StreamInfo info = js_->stream_info(stream_);
  EXPECT_EQ(info.messages, 1u);
  EXPECT_EQ(info.first_sequence, first.sequence);
  EXPECT_EQ(info.last_sequence, first.sequence);
}

TEST_F(JetStreamTest, PurgeEmptiesAndDeleteRemovesTheStream) {
  js_->ensure_stream(stream_config());
  js_->publish(prefix_ + ".a", "1");
  js_->publish(prefix_ + ".a", "2");
  EXPECT_EQ(js_->stream_info(stream_).messages, 2u);
  js_->purge_stream(stream_);
  EXPECT_EQ(js_->stream_info(stream_).messages, 0u);
  EXPECT_TRUE(js_->delete_stream(stream_));
  EXPECT_FALSE(js_->delete_stream(stream_));
}

TEST_F(JetStreamTest, PublishingWhereNoStreamListensIsRetryable) {
  try {
    js_->publish(prefix_ + "-nostream.a", "x");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), "NATS_NO_RESPONDERS");
    EXPECT_TRUE(error.retryable());
  }
}

TEST_F(JetStreamTest, AsyncPublishOfTenThousandMessagesIsFullyAcknowledged) {
  js_->ensure_stream(stream_config());
  AsyncPublisherOptions options;
  options.max_pending = 1024;
  AsyncPublisher publisher(*connection_, options);
  constexpr int kCount = 10'000;
  for (int i = 0; i < kCount; ++i) {
    publisher.publish(prefix_ + ".bulk", fmt::format("payload {}", i), {},
                      fmt::format("bulk-{}", i));
  }
  std::vector<PublishFailure> failures = publisher.wait_all(std::chrono::seconds(30));
  EXPECT_TRUE(failures.empty()) << failures.front().code << " " << failures.front().reason;
  StreamInfo info = js_->stream_info(stream_);
  EXPECT_EQ(info.messages, static_cast<std::uint64_t>(kCount));
  EXPECT_EQ(info.last_sequence, static_cast<std::uint64_t>(kCount));
}

TEST_F(JetStreamTest, AsyncPublishReportsEachRefusedPublishWithItsMsgId) {
  StreamConfig config = stream_config();
  js_->ensure_stream(config);
  AsyncPublisher publisher(*connection_);
  // The server refuses a publish whose expected stream is another one.
  publisher.publish(prefix_ + ".ok", "stored", {}, "ok-1");
  publisher.publish(prefix_ + ".bad", "refused", {{"Nats-Expected-Stream", "OTHER_STREAM"}},
                    "bad-1");
  std::vector<PublishFailure> failures = publisher.wait_all(std::chrono::seconds(10));
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].msg_id, "bad-1");
  EXPECT_EQ(failures[0].subject, prefix_ + ".bad");
  EXPECT_EQ(failures[0].data, "refused");
  EXPECT_FALSE(failures[0].reason.empty());
  EXPECT_EQ(js_->stream_info(stream_).messages, 1u);
}

TEST_F(JetStreamTest, CoreRequestGetsTheReplyOfASubscriber) {
  Subscription responder = connection_->subscribe(prefix_ + ".echo", "workers");
  connection_->flush(std::chrono::seconds(2));  // the server knows the responder now
  Connection other([&] {
    ConnectOptions options;
    options.url = tapedeck::testing::stack_env("TAPEDECK_NATS_URL");
    return options;
  }());
  std::jthread answer([&] {
    std::optional<Message> request = responder.next(std::chrono::seconds(5));
    if (request) connection_->publish(request->reply(), "re: " + std::string(request->data()));
  });
  Message reply = other.request(prefix_ + ".echo", "hello", std::chrono::seconds(5));
  EXPECT_EQ(reply.data(), "re: hello");
}

TEST_F(JetStreamTest, CoreRequestWithoutResponderIsRetryable) {
  try {
    connection_->request(prefix_ + ".nobody", "hello", std::chrono::seconds(2));
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_TRUE(error.retryable());
  }
}

TEST_F(JetStreamTest, CoreSubscriptionReceivesHeadersAndTimesOutQuietly) {
  Subscription sub = connection_->subscribe(prefix_ + ".events");
  connection_->publish(prefix_ + ".events", "body", {{"k", "v1"}, {"k", "v2"}});
  connection_->flush(std::chrono::seconds(2));
  std::optional<Message> message = sub.next(std::chrono::seconds(2));
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->data(), "body");
  EXPECT_EQ(message->header_values("k"), (std::vector<std::string>{"v1", "v2"}));
  EXPECT_FALSE(sub.next(std::chrono::milliseconds(50)).has_value());
  EXPECT_EQ(connection_->status(), ConnectionStatus::connected);
  EXPECT_FALSE(connection_->disconnected());
}

}  // namespace
}  // namespace tapedeck::nats
