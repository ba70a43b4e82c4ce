// Shared by the transform integration tests: scratch databases, a private stream, child
// environments for `tapedeck capture|transform|statements`, and capture-style publishing.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "core/lsn.hpp"
#include "core/nats/connection.hpp"
#include "core/nats/jetstream.hpp"
#include "core/nats/library.hpp"
#include "core/pg/connection.hpp"
#include "core/service/cdc_stream.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/stack_env.hpp"

namespace tapedeck::transform::testing {

using tapedeck::testing::ChildProcess;
using tapedeck::testing::eventually;
using tapedeck::testing::stack_env;
using tapedeck::testing::tapedeck_binary;

using tapedeck::testing::ScratchDatabase;
using tapedeck::testing::unique_suffix;

// Single-quoted for /bin/sh.
inline std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

// The first column of the first row as a number.
inline std::int64_t query_int(pg::Connection& connection, const std::string& sql) {
  const auto result = connection.exec(sql);
  return std::stoll(std::string(result.text(0, 0)));
}

inline std::string query_text(pg::Connection& connection, const std::string& sql) {
  const auto result = connection.exec(sql);
  if (result.rows() == 0 || result.is_null(0, 0)) return {};
  return std::string(result.text(0, 0));
}

// Runs `command` through /bin/sh; returns its exit status and, when `output` is given, its
// stdout.
inline int run_shell(const std::string& command, std::string* output = nullptr) {
  if (output == nullptr) return std::system(command.c_str());
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output->append(buffer, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// `VAR='value' ...` for a shell command line.
inline std::string env_prefix(const std::map<std::string, std::string>& env) {
  std::string out;
  for (const auto& [name, value] : env) out += name + "=" + shell_quote(value) + " ";
  return out;
}

inline std::string temp_file(const std::string& stem) {
  return (std::filesystem::temp_directory_path() / (stem + "_" + unique_suffix())).string();
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// One test's own CDC stream name, prefix and durable, and a NATS connection to publish with.
// The stream is deleted at the end. Members in destruction order: the guard goes last.
class StreamFixture {
 public:
  StreamFixture()
      : suffix_(unique_suffix()),
        stream_("TDTR_" + suffix_),
        prefix_("tdtr" + suffix_),
        durable_("tdtr-" + suffix_) {
    nats::ConnectOptions options;
    options.url = stack_env("TAPEDECK_NATS_URL");
    options.name = "tapedeck-transform-test";
    connection_ = std::make_unique<nats::Connection>(options);
    js_ = std::make_unique<nats::JetStream>(*connection_);
  }
  ~StreamFixture() {
    if (js_) {
      try {
        js_->delete_stream(stream_);
      } catch (const std::exception&) {
        // already gone or the server is unreachable: nothing left to clean here
      }
    }
    js_.reset();
    connection_.reset();
  }
  StreamFixture(const StreamFixture&) = delete;
  StreamFixture& operator=(const StreamFixture&) = delete;

  // Creates the stream as transform would (so messages can be published before it starts).
  void create_stream() {
    auto settings = service::CdcStreamSettings::from_config(config::Config::load(std::nullopt, {}));
    settings.name = stream_;
    settings.prefix = prefix_;
    service::ensure_cdc_stream(*js_, settings);
  }

  // The environment a `tapedeck` child needs to use this stream and the given databases.
  std::map<std::string, std::string> env(const std::string& live_dsn,
                                         const std::string& store_dsn) const {
    return {{"TAPEDECK_LIVE_DSN", live_dsn},
            {"TAPEDECK_STORE_DSN", store_dsn},
            {"TAPEDECK_NATS_URL", stack_env("TAPEDECK_NATS_URL")},
            {"TAPEDECK_NATS_CDC_STREAM", stream_},
            {"TAPEDECK_NATS_CDC_PREFIX", prefix_},
            {"TAPEDECK_TRANSFORM_DURABLE", durable_},
            {"TAPEDECK_TRANSFORM_LISTEN", "127.0.0.1:0"},
            {"TAPEDECK_TRANSFORM_FETCH_TIMEOUT", "100ms"},
            {"TAPEDECK_CAPTURE_LISTEN", "127.0.0.1:0"},
            {"TAPEDECK_CAPTURE_SLOT_NAME", "tdtr_" + suffix_},
            {"TAPEDECK_CAPTURE_PUBLICATION", "tdtr_" + suffix_},
            {"TAPEDECK_LOG_LEVEL", "info"}};
  }

  nats::JetStream& js() { return *js_; }
  const std::string& suffix() const { return suffix_; }
  const std::string& stream() const { return stream_; }
  const std::string& prefix() const { return prefix_; }
  const std::string& durable() const { return durable_; }

 private:
  nats::LibraryGuard library_;
  std::string suffix_;
  std::string stream_;
  std::string prefix_;
  std::string durable_;
  std::unique_ptr<nats::Connection> connection_;
  std::unique_ptr<nats::JetStream> js_;
};

// Drops the test's replication slot (a database with a slot cannot be dropped).
struct SlotGuard {
  SlotGuard(std::string dsn, std::string name) : live_dsn(std::move(dsn)), slot(std::move(name)) {}
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;
  SlotGuard(SlotGuard&&) = delete;
  SlotGuard& operator=(SlotGuard&&) = delete;
  std::string live_dsn;
  std::string slot;
  ~SlotGuard() {
    try {
      pg::Connection live(live_dsn);
      live.exec_params(
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = "
          "$1",
          pg::Params::of(slot));
    } catch (const std::exception& error) {
      ADD_FAILURE() << "could not drop slot " << slot << ": " << error.what();
    }
  }
};

// A change event as tapedeck capture publishes it (schemaless bare envelope) with its
// Nats-Msg-Id "<commit lsn>:<position>" and Tapedeck-Commit-Lsn header.
struct CaptureEvent {
  std::string subject;
  std::string data;
  nats::Headers headers;
  std::string msg_id;
};

// An insert into `schema.table` (columns id bigint, v text) in transaction `xid`.
inline CaptureEvent capture_insert(const std::string& prefix, const std::string& schema,
                                   const std::string& table, Lsn commit_lsn, int position,
                                   std::uint32_t xid, std::int64_t id, const std::string& v,
                                   std::int64_t commit_time_us = 1'700'000'000'000'000) {
  CaptureEvent event;
  event.subject = fmt::format("{}.{}.{}", prefix, schema, table);
  event.data = fmt::format(
      R"({{"before":null,"after":{{"id":{},"v":"{}"}},"source":{{"version":"2.5.0.Final",)"
      R"("connector":"postgresql","name":"{}","ts_ms":{},"ts_us":{},"snapshot":"false",)"
      R"("db":"live","schema":"{}","table":"{}","txId":{},"lsn":{},"xmin":null}},"op":"c",)"
      R"("ts_ms":{},"transaction":null}})",
      id, v, prefix, commit_time_us / 1000, commit_time_us, schema, table, xid,
      commit_lsn.value - 100 + static_cast<std::uint64_t>(position), commit_time_us / 1000);
  event.msg_id = fmt::format("{}:{}", commit_lsn.str(), position);
  event.headers = {{"Tapedeck-Commit-Lsn", commit_lsn.str()}};
  return event;
}

// A Prometheus text value of `name` from a `/metrics` body, or nullopt.
inline std::optional<double> metric_value(const std::string& body, const std::string& name) {
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return std::nullopt;
}

}  // namespace tapedeck::transform::testing
