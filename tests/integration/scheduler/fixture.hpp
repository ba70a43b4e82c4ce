// Scheduler integration tests: scratch Live DBs on the stack's server, folder and s3rver
// stores under unique prefixes, pg_restore into empty databases.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/http/client.hpp"
#include "core/pg/connection.hpp"
#include "core/storage/object_store.hpp"
#include "support/scratch.hpp"
#include "support/stack_env.hpp"

namespace tapedeck::scheduler::testing {

// libcurl's global state for the whole binary, as main holds it.
class CurlEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { curl_ = std::make_unique<http::CurlGlobal>(); }
  void TearDown() override { curl_.reset(); }

 private:
  std::unique_ptr<http::CurlGlobal> curl_;
};

// One for the whole binary (an inline variable: every test file shares it).
[[maybe_unused]] inline auto* const kCurlEnvironment =
    ::testing::AddGlobalTestEnvironment(new CurlEnvironment);

using tapedeck::testing::ScratchDatabase;
using tapedeck::testing::unique_suffix;

// A fresh folder under the test temp dir, removed afterwards.
class ScratchFolder {
 public:
  ScratchFolder()
      : path_(std::filesystem::path(::testing::TempDir()) / ("sched-" + unique_suffix())) {
    std::filesystem::create_directories(path_);
  }
  ~ScratchFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string url() const { return "file://" + path_.string(); }
  // Every regular file below the folder (temporary files included).
  std::vector<std::string> files() const {
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(path_)) {
      if (entry.is_regular_file()) found.push_back(entry.path().string());
    }
    return found;
  }

 private:
  std::filesystem::path path_;
};

// s3rver on the stack, under a unique prefix of the stack's bucket.
inline storage::StoreConfig s3_store(const std::string& prefix) {
  storage::StoreConfig config;
  config.url = "s3://" + tapedeck::testing::stack_env("TAPEDECK_STACK_S3_BUCKET") + "/" + prefix;
  config.s3.endpoint = tapedeck::testing::stack_env("TAPEDECK_S3_ENDPOINT");
  config.s3.access_key = "S3RVER";
  config.s3.secret_key = "S3RVER";
  config.s3.path_style = true;
  config.s3.connect_timeout = std::chrono::seconds(5);
  config.s3.request_timeout = std::chrono::seconds(60);
  return config;
}

// Runs a shell command line; its exit status.
inline int run_shell(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A file holding `text`, made executable.
inline void write_script(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), 0755);
}

// Every row of every table in `schema`, as sorted text, table by table: equal digests mean
// equal contents.
inline std::string contents(pg::Connection& db, const std::string& schema = "public") {
  const auto tables = db.exec_params(
      "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM "
      "information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' "
      "ORDER BY table_name",
      pg::Params::of(schema));
  std::string text;
  for (int row = 0; row < tables.rows(); ++row) {
    const std::string table(tables.text(row, 0));
    const auto rows = db.exec(
        "SELECT coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '') "
        "FROM " +
        table + " t");
    text += "== " + table + "\n" + std::string(rows.text(0, 0)) + "\n";
  }
  return text;
}

}  // namespace tapedeck::scheduler::testing
