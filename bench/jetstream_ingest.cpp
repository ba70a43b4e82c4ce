// Benchmark: what JetStream charges, per stored message, for what capture asks of it. The same
// messages (2,000 bytes and capture's commit-LSN header by default) are stored into a scratch
// file-backed stream four ways: acknowledged with a Nats-Msg-Id (capture's way: the ack is its
// proof the event is stored, the id makes a re-send after a restart harmless), acknowledged
// without the id, and both again published without asking for an ack. Prints each rate and
// the cores each process used, and `ratio:` lines against the bare store. Needs the stack env
// (TAPEDECK_NATS_URL); deletes its stream; asserts nothing.
//
//   bench_jetstream_ingest [--messages N] [--size BYTES]

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "core/error.hpp"
#include "core/nats/connection.hpp"
#include "core/nats/jetstream.hpp"
#include "core/nats/library.hpp"

namespace {

using namespace tapedeck;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

struct Way {
  const char* name;
  bool acked;
  bool message_id;
};

constexpr Way kWays[] = {
    {"acked, Nats-Msg-Id (capture)", true, true},
    {"acked", true, false},
    {"not acked, Nats-Msg-Id", false, true},
    {"not acked (bare store)", false, false},
};

// Stores `count` messages one way; returns messages/s.
double store(nats::Connection& connection, nats::JetStream& js, const std::string& stream,
             const Way& way, int count, const std::string& payload) {
  js.purge_stream(stream);
  // A purge keeps the duplicate window: ids of one way are never another's.
  const std::string id_prefix = fmt::format("16/B374D848:{}:", way.name);
  const std::uint64_t before = js.stream_info(stream).last_sequence;
  nats::Headers headers{{"Tapedeck-Commit-Lsn", "16/B374D848"}};
  const bench::CpuSplit cpu;
  const auto began = Steady::now();
  if (way.acked) {
    nats::AsyncPublisher publisher(connection, nats::AsyncPublisherOptions{4096, 5000ms});
    for (int i = 0; i < count; ++i) {
      const std::string id = way.message_id ? fmt::format("{}{}", id_prefix, i) : std::string();
      publisher.publish(fmt::format("ingest.public.t{}", i % 8), payload, headers, id);
    }
    const auto failures = publisher.wait_all(60s);
    if (!failures.empty()) {
      throw std::runtime_error(
          fmt::format("{} publishes failed: {}", failures.size(), failures.front().reason));
    }
  } else {
    nats::Headers with_id = headers;
    with_id.emplace_back("Nats-Msg-Id", "");
    for (int i = 0; i < count; ++i) {
      if (way.message_id) {
        with_id.back().second = fmt::format("{}{}", id_prefix, i);
        connection.publish(fmt::format("ingest.public.t{}", i % 8), payload, with_id);
      } else {
        connection.publish(fmt::format("ingest.public.t{}", i % 8), payload, headers);
      }
    }
    connection.flush(60s);
    // Nothing answers a publish without a reply subject: wait until the stream holds them all.
    const auto deadline = Steady::now() + 120s;
    while (js.stream_info(stream).last_sequence < before + static_cast<std::uint64_t>(count)) {
      if (Steady::now() > deadline) throw std::runtime_error("the stream did not fill up");
      std::this_thread::sleep_for(1ms);
    }
  }
  const double seconds = std::chrono::duration<double>(Steady::now() - began).count();
  const double rate = count / seconds;
  std::printf("%-30s %9.0f messages/s (%.2f s)\n", way.name, rate, seconds);
  std::printf("%-30s   %s\n", "", cpu.summary().c_str());
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  int messages = 200'000;
  int size = 2'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--messages") messages = std::stoi(argv[i + 1]);
    if (flag == "--size") size = std::stoi(argv[i + 1]);
  }
  try {
    nats::LibraryGuard library;
    nats::ConnectOptions options;
    options.url = bench::required_env("TAPEDECK_NATS_URL");
    options.name = "bench-jetstream-ingest";
    nats::Connection connection(options);
    nats::JetStream js(connection);
    const std::string stream = "BENCH_INGEST";
    nats::StreamConfig config;
    config.name = stream;
    config.subjects = {"ingest.>"};
    js.delete_stream(stream);
    js.ensure_stream(config);
    const std::string payload(static_cast<std::size_t>(size), 'x');
    std::printf("%d messages of %d bytes into a file-backed stream, each way:\n", messages, size);
    std::vector<double> rates;
    for (const Way& way : kWays)
      rates.push_back(store(connection, js, stream, way, messages, payload));
    js.delete_stream(stream);
    for (std::size_t i = 0; i + 1 < rates.size(); ++i) {
      std::printf("ratio: %s / bare store %.2f\n", kWays[i].name, rates[i] / rates.back());
    }
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "jetstream ingest: %s\n", error.what());
    return 1;
  }
}
