// Shared by the capture end-to-end tests: a scratch Live DB, unique names, the capture binary
// as a child process, and a JetStream reader that reads the whole CDC stream back.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/nats/connection.hpp"
#include "core/nats/consumer.hpp"
#include "core/nats/jetstream.hpp"
#include "core/nats/library.hpp"
#include "core/pg/connection.hpp"
#include "core/pg/params.hpp"
#include "support/process.hpp"
#include "support/stack_env.hpp"
#include "support/unique_name.hpp"

namespace tapedeck::capture::testing {

using json = nlohmann::ordered_json;
using namespace std::chrono_literals;
using tapedeck::testing::ChildProcess;
using tapedeck::testing::eventually;

using tapedeck::testing::unique_suffix;

// `dsn` with its dbname replaced by (or extended with) `database`.
inline std::string with_dbname(const std::string& dsn, const std::string& database) {
  std::istringstream in(dsn);
  std::string word;
  std::string out;
  while (in >> word) {
    if (word.rfind("dbname=", 0) == 0) continue;
    out += word + " ";
  }
  return out + "dbname=" + database;
}

// Peak resident set of a process in KiB (VmHWM from /proc), 0 when unreadable.
inline long peak_rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

// One message read back from the CDC stream.
struct StreamEvent {
  std::string subject;
  std::string msg_id;
  std::optional<std::string> commit_lsn;   // Tapedeck-Commit-Lsn header
  std::optional<std::string> key_columns;  // Tapedeck-Key-Columns header
  std::uint64_t stream_sequence = 0;
  std::string raw;

  json value() const { return json::parse(raw); }
  // The envelope: `payload` when schemas are enabled, the value itself otherwise.
  json payload() const {
    json v = value();
    if (v.is_object() && v.contains("payload") && v.contains("schema")) return v["payload"];
    return v;
  }
};

// The subjects of `events` in order, for failure messages.
inline std::string subjects(const std::vector<StreamEvent>& events) {
  std::string out;
  for (const auto& event : events) out += " " + event.subject + "(" + event.msg_id + ")";
  return out;
}

// Distinct Nats-Msg-Id values among `events`.
inline std::size_t distinct_ids(const std::vector<StreamEvent>& events) {
  std::set<std::string> ids;
  for (const auto& event : events) ids.insert(event.msg_id);
  return ids.size();
}

// Owns, for one test: a scratch database on the stack's PostgreSQL server (capture_<suffix>),
// the slot, publication, stream and subject prefix names capture uses there, and cleans all of
// them up in the destructor (capture stopped first). Used by the test's thread only. The
// LibraryGuard member is declared first so that it is destroyed last.
class CaptureHarness {
 public:
  // `nats_url` empty: the stack's server; `server_dsn` empty: the stack's PostgreSQL (a test's
  // own server otherwise, to crash and restart it); `database_options`: what CREATE DATABASE
  // adds after the name (an encoding, say).
  explicit CaptureHarness(std::string nats_url = {}, std::string server_dsn = {},
                          const std::string& database_options = {})
      : suffix_(unique_suffix()),
        database_("capture_" + suffix_),
        slot_("capture_" + suffix_),
        publication_("capture_" + suffix_),
        stream_("CAPTURE_" + suffix_),
        prefix_("cap" + suffix_),
        nats_url_(nats_url.empty() ? tapedeck::testing::stack_env("TAPEDECK_NATS_URL")
                                   : std::move(nats_url)),
        server_dsn_(server_dsn.empty() ? tapedeck::testing::stack_env("TAPEDECK_LIVE_DSN")
                                       : std::move(server_dsn)),
        log_file_(
            (std::filesystem::temp_directory_path() / ("capture_" + suffix_ + ".log")).string()) {
    pg::Connection server(server_dsn_);
    server.exec("CREATE DATABASE " + database_ + " " + database_options);
    dsn_ = with_dbname(server_dsn_, database_);
    db_ = std::make_unique<pg::Connection>(dsn_);
  }

  ~CaptureHarness() {
    capture_.reset();
    db_.reset();
    try {
      pg::Connection server(server_dsn_);
      // A walsender may outlive its killed client for a moment (or, still creating the slot,
      // until the transactions it waits for end): terminate it, then drop the slot, then
      // the database (which PostgreSQL refuses while a slot lives in it).
      const bool dropped = eventually(
          [&] {
            try {
              server.exec_params(
                  "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
                  "WHERE slot_name = $1 AND active_pid IS NOT NULL",
                  pg::Params::of(slot_));
              server.exec_params(
                  "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                  "WHERE slot_name = $1",
                  pg::Params::of(slot_));
              server.exec("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
              return true;
            } catch (const Error&) {
              return false;
            }
          },
          60s);
      if (!dropped) server.exec("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
    } catch (const std::exception& error) {
      ADD_FAILURE() << "cleaning up " << database_ << ": " << error.what();
    }
    try {
      nats::ConnectOptions options;
      options.url = nats_url_;
      nats::Connection connection(options);
      nats::JetStream js(connection);
      js.delete_stream(stream_);
    } catch (const std::exception& error) {
      // A private server may be gone already; its store goes with it.
    }
    if (!::testing::Test::HasFailure()) std::filesystem::remove(log_file_);
  }

  CaptureHarness(const CaptureHarness&) = delete;
  CaptureHarness& operator=(const CaptureHarness&) = delete;

  pg::Connection& db() { return *db_; }
  void exec(const std::string& sql) { db_->exec(sql); }
  const std::string& dsn() const { return dsn_; }
  const std::string& database() const { return database_; }
  const std::string& slot() const { return slot_; }
  const std::string& stream() const { return stream_; }
  const std::string& prefix() const { return prefix_; }
  const std::string& log_file() const { return log_file_; }
  const std::string& nats_url() const { return nats_url_; }

  // The environment that points capture at this test's names.
  std::map<std::string, std::string> capture_env(
      const std::map<std::string, std::string>& extra = {}) const {
    std::map<std::string, std::string> env = {
        {"TAPEDECK_LIVE_DSN", dsn_},
        {"TAPEDECK_NATS_URL", nats_url_},
        {"TAPEDECK_CAPTURE_SLOT_NAME", slot_},
        {"TAPEDECK_CAPTURE_PUBLICATION", publication_},
        {"TAPEDECK_NATS_CDC_STREAM", stream_},
        {"TAPEDECK_NATS_CDC_PREFIX", prefix_},
        {"TAPEDECK_CAPTURE_CONFIRM_MODE", "puback"},
        {"TAPEDECK_CAPTURE_LISTEN", "127.0.0.1:0"},
        {"TAPEDECK_CAPTURE_STATUS_INTERVAL", "200ms"},
    };
    for (const auto& [name, value] : extra) env[name] = value;
    return env;
  }

  // Starts `tapedeck capture` and waits until it streams. A new logical slot is consistent
  // only once every transaction running on the server at its creation has ended (other
  // tests' included), and changes before that point are not decoded, so this waits for
  // capture's own "streaming slot" line, not merely for an active slot.
  ChildProcess& start_capture(const std::map<std::string, std::string>& extra = {}) {
    const std::size_t log_start = log_text().size();
    capture_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{tapedeck::testing::tapedeck_binary(), "capture"},
        capture_env(extra), log_file_);
    const bool streaming = eventually(
        [&] {
          const std::string text = log_text();
          return text.size() > log_start &&
                 text.find("streaming slot " + slot_, log_start) != std::string::npos;
        },
        180s);
    EXPECT_TRUE(streaming) << "capture did not start streaming; log:\n" << log_tail();
    return *capture_;
  }
  // Starts `tapedeck capture` expecting it to stop by itself (a refused configuration) and
  // returns its exit code, -1 when it still ran after `timeout`.
  int run_capture_until_it_stops(const std::map<std::string, std::string>& extra,
                                 std::chrono::milliseconds timeout) {
    capture_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{tapedeck::testing::tapedeck_binary(), "capture"},
        capture_env(extra), log_file_);
    return capture_->wait(timeout);
  }
  ChildProcess* capture() { return capture_.get(); }
  void kill_capture() {
    if (capture_) capture_->kill_now();
  }
  int stop_capture() { return capture_ ? capture_->stop() : -1; }

  // The slot's confirmed_flush_lsn as text, or empty when there is no slot.
  std::string confirmed_flush_lsn() {
    const auto result = db_->exec_params(
        "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1",
        pg::Params::of(slot_));
    return result.rows() == 0 || result.is_null(0, 0) ? std::string()
                                                      : std::string(result.text(0, 0));
  }

  // Capture's whole log so far.
  std::string log_text() const {
    std::ifstream in(log_file_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  // The last ~4 KB of capture's log, for failure messages.
  std::string log_tail() const {
    const std::string all = log_text();
    return all.size() > 4096 ? all.substr(all.size() - 4096) : all;
  }

  // Messages the stream holds now (0 when it does not exist yet).
  std::uint64_t stream_messages() {
    try {
      nats::ConnectOptions options;
      options.url = nats_url_;
      nats::Connection connection(options);
      nats::JetStream js(connection);
      return js.stream_info(stream_).messages;
    } catch (const Error&) {
      return 0;
    }
  }

  // Every message in the stream, read from the start with a fresh durable consumer (removed
  // afterwards), in stream order.
  std::vector<StreamEvent> read_all() {
    nats::ConnectOptions options;
    options.url = nats_url_;
    nats::Connection connection(options);
    nats::JetStream js(connection);
    const std::string durable = "reader_" + unique_suffix();
    std::vector<StreamEvent> out;
    {
      nats::ConsumerConfig config;
      config.max_ack_pending = 20'000;
      nats::PullConsumer consumer(js, stream_, durable, prefix_ + ".>", config);
      int empty_fetches = 0;
      while (empty_fetches < 2) {
        auto batch = consumer.fetch(5000, 500ms);
        if (batch.empty()) {
          if (consumer.state().num_pending == 0) ++empty_fetches;
          continue;
        }
        for (auto& message : batch) {
          StreamEvent event;
          event.subject = std::string(message.subject());
          event.msg_id = message.header(std::string(nats::kMsgIdHeader)).value_or("");
          event.commit_lsn = message.header("Tapedeck-Commit-Lsn");
          event.key_columns = message.header("Tapedeck-Key-Columns");
          event.stream_sequence = message.metadata().stream_sequence;
          event.raw = std::string(message.data());
          message.ack();
          out.push_back(std::move(event));
        }
      }
    }
    nats::PullConsumer::remove(js, stream_, durable);
    return out;
  }

  // Reads the stream until it holds at least `distinct` distinct message ids (or `timeout`).
  std::vector<StreamEvent> read_distinct(std::size_t distinct,
                                         std::chrono::milliseconds timeout = 120s) {
    std::vector<StreamEvent> events;
    const bool complete = eventually(
        [&] {
          if (stream_messages() < distinct) return false;
          try {
            events = read_all();
          } catch (const Error& error) {
            // A cluster that just got a node back may time out API requests for a while.
            if (error.recovery() != Recovery::retry) throw;
            std::cout << "reading the stream back, will try again: " << error.what() << "\n";
            return false;
          }
          return distinct_ids(events) >= distinct;
        },
        timeout);
    if (!complete) {
      events = read_all();
      ADD_FAILURE() << "the stream holds " << distinct_ids(events) << " distinct events, not "
                    << distinct << "; subjects:" << subjects(events);
    }
    return events;
  }

  // The events on `<prefix>.<schema>.<table>` among `events`, de-duplicated by message id.
  std::vector<StreamEvent> table_events(const std::vector<StreamEvent>& events,
                                        const std::string& schema_table) const {
    std::vector<StreamEvent> out;
    std::set<std::string> seen;
    const std::string subject = prefix_ + "." + schema_table;
    for (const auto& event : events) {
      if (event.subject == subject && seen.insert(event.msg_id).second) out.push_back(event);
    }
    return out;
  }

 private:
  nats::LibraryGuard library_;
  std::string suffix_;
  std::string database_;
  std::string slot_;
  std::string publication_;
  std::string stream_;
  std::string prefix_;
  std::string nats_url_;
  std::string server_dsn_;
  std::string dsn_;
  std::string log_file_;
  std::unique_ptr<pg::Connection> db_;
  std::unique_ptr<ChildProcess> capture_;
};

}  // namespace tapedeck::capture::testing
