// Shared set-up for the NATS integration tests: library guard, connection, unique names.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>

#include "core/nats/connection.hpp"
#include "core/nats/jetstream.hpp"
#include "core/nats/library.hpp"
#include "support/stack_env.hpp"

namespace tapedeck::nats::testing {

// A random suffix so tests running in parallel on a reused server never share names.
inline std::string unique_suffix() {
  std::random_device device;
  std::mt19937_64 generator(device());
  static constexpr char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string suffix;
  for (int i = 0; i < 10; ++i) suffix += kDigits[generator() % (sizeof(kDigits) - 1)];
  return suffix;
}

// Connects to the shared stack's nats-server and owns one stream named after the test, with
// subjects "<lowercase name>.>", deleted afterwards. Members are declared in destruction
// order: the library guard is destroyed last.
class SharedServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string url = tapedeck::testing::stack_env("TAPEDECK_NATS_URL");
    ASSERT_FALSE(url.empty());
    ConnectOptions options;
    options.url = url;
    options.name = "tapedeck-test";
    connection_ = std::make_unique<Connection>(options);
    js_ = std::make_unique<JetStream>(*connection_);
    suffix_ = unique_suffix();
    stream_ = "TEST_" + suffix_;
    prefix_ = "test" + suffix_;
  }

  void TearDown() override {
    if (js_) js_->delete_stream(stream_);
  }

  StreamConfig stream_config() const {
    StreamConfig config;
    config.name = stream_;
    config.subjects = {prefix_ + ".>"};
    config.storage = StorageType::memory;
    return config;
  }

  LibraryGuard library_;
  std::unique_ptr<Connection> connection_;
  std::unique_ptr<JetStream> js_;
  std::string suffix_;
  std::string stream_;
  std::string prefix_;
};

}  // namespace tapedeck::nats::testing
