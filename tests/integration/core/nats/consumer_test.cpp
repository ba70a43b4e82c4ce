// Durable pull consumers against the shared nats-server.
#include "core/nats/consumer.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "fixture.hpp"

namespace tapedeck::nats {
namespace {

using namespace std::chrono_literals;

class PullConsumerTest : public testing::SharedServerTest {
 protected:
  void SetUp() override {
    SharedServerTest::SetUp();
    if (HasFatalFailure()) return;
    js_->ensure_stream(stream_config());
    durable_ = "worker_" + suffix_;
  }
  std::string durable_;
};

TEST_F(PullConsumerTest, FetchReturnsNothingWhenTheStreamIsEmpty) {
  PullConsumer consumer(*js_, stream_, durable_, prefix_ + ".>");
  auto start = std::chrono::steady_clock::now();
  std::vector<Message> messages = consumer.fetch(10, 300ms);
  EXPECT_TRUE(messages.empty());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
}

TEST_F(PullConsumerTest, AcknowledgedMessagesAreNotRedelivered) {
  for (int i = 0; i < 3; ++i) js_->publish(prefix_ + ".orders", fmt::format("m{}", i));
  ConsumerConfig config;
  config.ack_wait = 500ms;
  PullConsumer consumer(*js_, stream_, durable_, prefix_ + ".>", config);
  std::vector<Message> messages = consumer.fetch(10, 2s);
  ASSERT_EQ(messages.size(), 3u);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(messages[i].data(), fmt::format("m{}", i));
    MessageMetadata meta = messages[i].metadata();
    EXPECT_EQ(meta.stream, stream_);
    EXPECT_EQ(meta.consumer, durable_);
    EXPECT_EQ(meta.stream_sequence, i + 1);
    EXPECT_EQ(meta.consumer_sequence, i + 1);
    EXPECT_EQ(meta.num_delivered, 1u);
    EXPECT_EQ(meta.num_pending, 2 - i);
    EXPECT_GT(meta.timestamp.time_since_epoch().count(), 0);
  }
  messages[0].ack();
  messages[1].ack_sync();
  messages[2].ack_sync();
  std::this_thread::sleep_for(config.ack_wait + 500ms);  // past ack_wait: a redelivery is due
  EXPECT_TRUE(consumer.fetch(10, 500ms).empty());
  ConsumerState state = consumer.state();
  EXPECT_EQ(state.num_ack_pending, 0);
  EXPECT_EQ(state.ack_floor_stream_sequence, 3u);
}

TEST_F(PullConsumerTest, AnUnacknowledgedMessageComesBackAfterAckWait) {
  js_->publish(prefix_ + ".orders", "lost ack");
  ConsumerConfig config;
  config.ack_wait = 500ms;
  PullConsumer consumer(*js_, stream_, durable_, prefix_ + ".>", config);
  ASSERT_EQ(consumer.fetch(1, 2s).size(), 1u);  // dropped without ack
  std::vector<Message> again = consumer.fetch(1, 3s);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].metadata().num_delivered, 2u);
  again[0].ack_sync();
}

TEST_F(PullConsumerTest, ANakedMessageIsRedeliveredWithNumDeliveredTwo) {
  js_->publish(prefix_ + ".orders", "retry me");
  PullConsumer consumer(*js_, stream_, durable_, prefix_ + ".>");
  std::vector<Message> first = consumer.fetch(1, 2s);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].metadata().num_delivered, 1u);
  first[0].nak();
  std::vector<Message> second = consumer.fetch(1, 2s);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].data(), "retry me");
  EXPECT_EQ(second[0].metadata().num_delivered, 2u);
  EXPECT_EQ(second[0].metadata().stream_sequence, first[0].metadata().stream_sequence);
  second[0].ack_sync();
}

TEST_F(PullConsumerTest, ANakWithDelayWaitsBeforeRedelivery) {
  js_->publish(prefix_ + ".orders", "later");
  PullConsumer consumer(*js_, stream_, durable_, prefix_ + ".>");
  std::vector<Message> first = consumer.fetch(1, 2s);
  ASSERT_EQ(first.size(), 1u);
  first[0].nak(1500ms);
  EXPECT_TRUE(consumer.fetch(1, 500ms).empty());
  std::vector<Message> second = consumer.fetch(1, 3s);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].metadata().num_delivered, 2u);
  second[0].ack_sync();
}

TEST_F(PullConsumerTest, ATerminatedMessageIsNeverRedelivered) {
  js_->publish(prefix_ + ".orders", "poison");
  ConsumerConfig config;
  config.ack_wait = 300ms;
  PullConsumer consumer(*js_, stream_, durable_, prefix_ + ".>", config);
  std::vector<Message> first = consumer.fetch(1, 2s);
  ASSERT_EQ(first.size(), 1u);
  first[0].term();
  EXPECT_TRUE(consumer.fetch(1, 1s).empty());
}

TEST_F(PullConsumerTest, HeadersRoundTripWithEveryValue) {
  Headers headers = {{"Trace", "abc"}, {"Multi", "one"}, {"Multi", "two"}};
  js_->publish(prefix_ + ".h", "body", headers, "hdr-1");
  PullConsumer consumer(*js_, stream_, durable_, prefix_ + ".>");
  std::vector<Message> messages = consumer.fetch(1, 2s);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].subject(), prefix_ + ".h");
  EXPECT_EQ(messages[0].header("Trace"), "abc");
  EXPECT_EQ(messages[0].header_values("Multi"), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(messages[0].header(std::string(kMsgIdHeader)), "hdr-1");
  EXPECT_FALSE(messages[0].header("Absent").has_value());
  EXPECT_TRUE(messages[0].header_values("Absent").empty());
  Headers all = messages[0].headers();
  EXPECT_EQ(all.size(), 4u);
  messages[0].ack_sync();
}

TEST_F(PullConsumerTest, TheFilterSubjectLimitsWhatIsDelivered) {
  js_->publish(prefix_ + ".public.orders", "wanted");
  js_->publish(prefix_ + ".public.users", "not wanted");
  PullConsumer consumer(*js_, stream_, durable_, prefix_ + ".public.orders");
  std::vector<Message> messages = consumer.fetch(10, 1s);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].data(), "wanted");
  messages[0].ack_sync();
}

TEST_F(PullConsumerTest, TwoConsumersBoundToOneDurableShareMessagesWithoutDuplicates) {
  constexpr int kCount = 200;
  for (int i = 0; i < kCount; ++i) js_->publish(prefix_ + ".work", std::to_string(i));
  PullConsumer first(*js_, stream_, durable_, prefix_ + ".>");
  // A second process: its own connection, binding to the same durable.
  Connection other_connection([] {
    ConnectOptions options;
    options.url = tapedeck::testing::stack_env("TAPEDECK_NATS_URL");
    return options;
  }());
  JetStream other_js(other_connection);
  PullConsumer second(other_js, stream_, durable_, prefix_ + ".>");

  std::vector<std::string> seen_first;
  std::vector<std::string> seen_second;
  auto drain = [](PullConsumer& consumer, std::vector<std::string>& seen) {
    for (int empty = 0; empty < 3;) {
      std::vector<Message> batch = consumer.fetch(7, 300ms);
      if (batch.empty()) {
        ++empty;
        continue;
      }
      for (Message& message : batch) {
        seen.emplace_back(message.data());
        message.ack_sync();
      }
    }
  };
  std::jthread worker([&] { drain(second, seen_second); });
  drain(first, seen_first);
  worker.join();

  EXPECT_FALSE(seen_first.empty());
  EXPECT_FALSE(seen_second.empty());
  std::multiset<std::string> all(seen_first.begin(), seen_first.end());
  all.insert(seen_second.begin(), seen_second.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kCount));
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), static_cast<std::size_t>(kCount));
}

// A pull request that outlived its fetch delivers later; cnats 3.4.1's own fetch wrote past its
// array when such deliveries filled more than half the next batch. Here a request of 40 lands
// before a fetch of 50.
TEST_F(PullConsumerTest, DeliveriesOfAnEarlierRequestComeFirstAndNothingIsLostOrDoubled) {
  constexpr int kCount = 100;
  for (int i = 0; i < kCount; ++i) js_->publish(prefix_ + ".late", std::to_string(i));
  PullConsumer consumer(*js_, stream_, durable_, prefix_ + ".>");
  // Stands in for a request whose fetch returned before the server answered it.
  const std::string request = "$JS.API.CONSUMER.MSG.NEXT." + stream_ + "." + durable_;
  ASSERT_EQ(natsConnection_PublishRequestString(connection_->native(), request.c_str(),
                                                consumer.inbox().c_str(), R"({"batch":40})"),
            NATS_OK);
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (consumer.state().num_ack_pending < 40 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(20ms);
  }
  std::this_thread::sleep_for(300ms);  // the deliveries reach the inbox
  std::set<std::uint64_t> sequences;
  std::vector<Message> first = consumer.fetch(50, 2s);
  for (Message& message : first) {
    EXPECT_TRUE(sequences.insert(message.metadata().stream_sequence).second);
    message.ack();
  }
  EXPECT_FALSE(first.empty());
  EXPECT_LE(first.size(), 40u);  // only what was queued: no new request on top
  for (int empty = 0; empty < 2;) {
    std::vector<Message> batch = consumer.fetch(50, 500ms);
    if (batch.empty()) ++empty;
    for (Message& message : batch) {
      EXPECT_TRUE(sequences.insert(message.metadata().stream_sequence).second);
      message.ack_sync();
    }
  }
  EXPECT_EQ(sequences.size(), static_cast<std::size_t>(kCount));
  EXPECT_EQ(*sequences.rbegin() - *sequences.begin() + 1, static_cast<std::uint64_t>(kCount));
  EXPECT_EQ(consumer.state().num_ack_pending, 0);
}

TEST_F(PullConsumerTest, FetchingFromARemovedConsumerIsNotFoundNamingIt) {
  PullConsumer consumer(*js_, stream_, durable_, prefix_ + ".>");
  ASSERT_TRUE(PullConsumer::remove(*js_, stream_, durable_));
  try {
    consumer.fetch(10, 1s);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.recovery(), Recovery::not_found);
    EXPECT_NE(error.message().find(durable_), std::string::npos) << error.message();
    EXPECT_NE(error.message().find("no longer exists"), std::string::npos) << error.message();
  }
}

TEST_F(PullConsumerTest, BindingOnAMissingStreamIsNotFound) {
  try {
    PullConsumer consumer(*js_, stream_ + "_MISSING", durable_, prefix_ + ".>");
    FAIL() << "expected not_found";
  } catch (const Error& error) {
    EXPECT_EQ(error.recovery(), Recovery::not_found);
  }
}

}  // namespace
}  // namespace tapedeck::nats
