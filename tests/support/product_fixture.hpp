// The whole product under test: `tapedeck run` with a Live DB, a TransformMsg DB, a snapshot
// folder, stream names and a NATS server of one test's own, so such tests run side by side on
// one stack. The settings go into this process's environment, so `tapedeck` client commands
// (popen) and `tapedeck run` see the same ones.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/pg/connection.hpp"
#include "core/pg/params.hpp"
#include "core/pg/result.hpp"
#include "core/session.hpp"
#include "integration/core/nats/private_server.hpp"
#include "support/free_port.hpp"
#include "support/process.hpp"
#include "support/stack_env.hpp"

namespace tapedeck::testing {

class ProductFixture : public ::testing::Test {
 protected:
  // `prefix` names everything the test creates: databases, slot, streams, session databases.
  explicit ProductFixture(std::string prefix) : prefix_(std::move(prefix)) {}

  // Settings of the derived test on top of the common ones.
  virtual std::map<std::string, std::string> extra_settings() const { return {}; }

  void SetUp() override {
    suffix_ = session::new_session_id().substr(1, 8);
    server_ = stack_env("TAPEDECK_LIVE_DSN");
    server_ = server_.substr(0, server_.rfind(" dbname="));
    live_db_ = prefix_ + "_live_" + suffix_;
    store_db_ = prefix_ + "_store_" + suffix_;
    admin().exec(fmt::format("CREATE DATABASE {}", live_db_));
    admin().exec(fmt::format("CREATE DATABASE {}", store_db_));
    folder_ = std::filesystem::temp_directory_path() / ("tapedeck-" + prefix_ + "-" + suffix_);
    std::filesystem::create_directories(folder_);
    // A NATS of its own: the EVENTS subjects are fixed (tapedeck.session.>), so a stream of
    // this test on the shared server would overlap other suites' streams.
    nats_.start();
    const auto port = free_port();
    api_url_ = fmt::format("http://127.0.0.1:{}", port);
    const std::string upper = upper_prefix();
    std::map<std::string, std::string> settings = {
        {"TAPEDECK_LIVE_DSN", live_dsn()},
        {"TAPEDECK_STORE_DSN", store_dsn()},
        // This test's own prefix: tests run side by side, and each drops only its own.
        {"TAPEDECK_PLAYBACK_DATABASE_TEMPLATE", prefix_ + "_" + suffix_ + "_<id>"},
        {"TAPEDECK_STORAGE_URL", "file://" + (folder_ / "snapshots").string()},
        {"TAPEDECK_NATS_URL", nats_.url()},
        {"TAPEDECK_NATS_CDC_STREAM", upper + "_CDC_" + suffix_},
        {"TAPEDECK_NATS_CDC_PREFIX", prefix_ + suffix_},
        {"TAPEDECK_NATS_EVENTS_STREAM", upper + "_EVENTS_" + suffix_},
        {"TAPEDECK_CAPTURE_SLOT_NAME", slot_name()},
        {"TAPEDECK_CAPTURE_PUBLICATION", slot_name()},
        {"TAPEDECK_TRANSFORM_DURABLE", slot_name()},
        {"TAPEDECK_DBOP_WORK_DIR", folder_.string()},
        {"TAPEDECK_REPLAYMGR_LISTEN", fmt::format("127.0.0.1:{}", port)},
        {"TAPEDECK_REPLAYMGR_URL", api_url_},
        {"TAPEDECK_REPLAYMGR_CONSOLE_LISTEN", fmt::format("127.0.0.1:{}", free_port())},
        {"TAPEDECK_CAPTURE_LISTEN", fmt::format("127.0.0.1:{}", free_port())},
        {"TAPEDECK_TRANSFORM_LISTEN", fmt::format("127.0.0.1:{}", free_port())},
        {"TAPEDECK_TIMEKEEPER_LISTEN", fmt::format("127.0.0.1:{}", free_port())},
        {"TAPEDECK_SCHEDULER_LISTEN", fmt::format("127.0.0.1:{}", free_port())},
        {"TAPEDECK_DBOP_LISTEN", fmt::format("127.0.0.1:{}", free_port())},
        {"TAPEDECK_MSGOP_LISTEN", fmt::format("127.0.0.1:{}", free_port())},
        // Backups only when the test takes them.
        {"TAPEDECK_SCHEDULER_BACKUP_CRON", "0 0 1 1 *"},
    };
    for (auto& [name, value] : extra_settings()) settings[name] = value;
    for (const auto& [name, value] : settings) ::setenv(name.c_str(), value.c_str(), 1);
  }

  void TearDown() override {
    if (run_) run_->stop();
    try {
      admin().exec_params(
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
          "WHERE slot_name = $1",
          pg::Params::of(slot_name()));
      for (const auto& db : {live_db_, store_db_}) {
        admin().exec(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", db));
      }
      const auto sessions =
          admin().exec_params("SELECT datname FROM pg_database WHERE starts_with(datname, $1)",
                              pg::Params::of(prefix_ + "_" + suffix_ + "_s"));
      for (int row = 0; row < sessions.rows(); ++row) {
        admin().exec(fmt::format("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                                 sessions.get<std::string>(row, 0)));
      }
    } catch (const std::exception& error) {
      ADD_FAILURE() << "cleanup: " << error.what();
    }
    // A failed run keeps its folder: run.log says what tapedeck did.
    if (!HasFailure()) std::filesystem::remove_all(folder_);
  }

  pg::Connection& admin() {
    if (!admin_) admin_.emplace(server_ + " dbname=postgres", prefix_ + "-test");
    return *admin_;
  }
  pg::Connection& live() {
    if (!live_) live_.emplace(live_dsn(), prefix_ + "-test");
    return *live_;
  }
  std::string live_dsn() const { return fmt::format("{} dbname={}", server_, live_db_); }
  std::string store_dsn() const { return fmt::format("{} dbname={}", server_, store_db_); }
  std::string slot_name() const { return prefix_ + "_" + suffix_; }
  std::filesystem::path run_log() const { return folder_ / "run.log"; }

  // `tapedeck run` with the settings above (and `extra` on top), logging to run.log.
  void start_run(const std::map<std::string, std::string>& extra = {}) {
    run_.emplace(std::vector<std::string>{tapedeck_binary(), "run"}, extra, run_log().string());
  }

  // Waits until capture streams its slot: a change committed before that is in no recording.
  // A new slot is active while it waits for the server's running transactions (other
  // tests') to end, and changes committed meanwhile are not decoded; its confirmed LSN
  // appears once it is consistent.
  void wait_until_capture_streams() {
    using namespace std::chrono_literals;
    ASSERT_TRUE(eventually(
        [&] {
          return admin()
                     .exec_params(
                         "SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1 AND "
                         "active AND confirmed_flush_lsn IS NOT NULL",
                         pg::Params::of(slot_name()))
                     .get<std::int64_t>(0, 0) == 1;
        },
        60s))
        << "capture did not stream its slot; see " << run_log();
  }

  std::string suffix_, server_, live_db_, store_db_, api_url_;
  std::filesystem::path folder_;
  std::optional<pg::Connection> admin_, live_;
  nats::testing::PrivateNatsServer nats_;
  std::optional<ChildProcess> run_;

 private:
  std::string upper_prefix() const {
    std::string upper = prefix_;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return upper;
  }

  std::string prefix_;
};

}  // namespace tapedeck::testing
