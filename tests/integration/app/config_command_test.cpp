// `tapedeck config check FILE` run as a user runs it: the exit code, the key an error names, and
// no secret in anything it prints.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/process.hpp"

namespace tapedeck::app {
namespace {

using tapedeck::testing::ChildProcess;
using tapedeck::testing::tapedeck_binary;

// Secrets the files and the environment below hold; none may be printed.
constexpr const char* kDsnPassword = "dsn-pw-3f9c";
constexpr const char* kUrlPassword = "url-pw-8a1d";
constexpr const char* kS3Secret = "s3-secret-51be";
constexpr const char* kToken = "token-c07e";

struct Outcome {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

class ConfigCheck : public ::testing::Test {
 protected:
  ConfigCheck()
      : dir_(std::filesystem::temp_directory_path() /
             ("tapedeck-config-check-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::filesystem::create_directories(dir_);
  }
  ~ConfigCheck() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& toml) {
    const auto path = dir_ / "tapedeck.toml";
    std::ofstream(path) << toml;
    return path.string();
  }

  // Runs `tapedeck config check FILE` with only `env` for environment: the stack's TAPEDECK_*
  // variables would otherwise override the file.
  Outcome check(const std::string& file, const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv = {"/usr/bin/env", "-i"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(), {tapedeck_binary(), "config", "check", file});
    const std::string log = (dir_ / "output.txt").string();
    Outcome outcome;
    {
      ChildProcess child(argv, {}, log);
      outcome.exit_code = child.wait(std::chrono::seconds(60));
    }
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    outcome.output = text.str();
    std::filesystem::remove(log);
    return outcome;
  }

  static void expect_no_secret(const Outcome& outcome) {
    for (const char* secret : {kDsnPassword, kUrlPassword, kS3Secret, kToken}) {
      EXPECT_EQ(outcome.output.find(secret), std::string::npos) << secret << " is printed:\n"
                                                                << outcome.output;
    }
  }

  // A valid file with a secret of each kind.
  static std::string with_secrets() {
    return fmt::format(
        "[live]\ndsn = \"host=db.internal port=5432 user=app password={} dbname=live\"\n"
        "[rtus]\nurl = \"http://recorder:{}@rtus.internal:8080/tick\"\ntoken = \"{}\"\n"
        "[s3]\naccess_key = \"AKIAEXAMPLE\"\nsecret_key = \"{}\"\n"
        "[transform]\nbatch_size = 500\n",
        kDsnPassword, kUrlPassword, kToken, kS3Secret);
  }

  std::filesystem::path dir_;
};

TEST_F(ConfigCheck, AValidFileExitsZeroAndListsItsValuesWithTheirOrigin) {
  const std::string file = write(with_secrets());
  const Outcome outcome = check(file);

  EXPECT_EQ(outcome.exit_code, 0) << outcome.output;
  EXPECT_NE(outcome.output.find("# " + file + ": valid"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("batch_size = 500  # file"), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("fetch_timeout = \"200ms\"  # default"), std::string::npos)
      << outcome.output;
}

TEST_F(ConfigCheck, NeverPrintsASecretFromTheFileOrTheEnvironmentButShowsTheRestOfIt) {
  const std::string file = write(with_secrets());
  const Outcome outcome = check(
      file, {fmt::format("TAPEDECK_STORE_DSN=postgresql://app:{}@db.internal/store", kDsnPassword),
             fmt::format("TAPEDECK_REPLAYMGR_API_TOKEN={}", kToken)});

  ASSERT_EQ(outcome.exit_code, 0) << outcome.output;
  expect_no_secret(outcome);
  // Masked in place, so the check still shows what the secret belongs to.
  EXPECT_NE(outcome.output.find("user=app password=**** dbname=live"), std::string::npos)
      << outcome.output;
  EXPECT_NE(outcome.output.find("postgresql://app:****@db.internal/store"), std::string::npos)
      << outcome.output;
  EXPECT_NE(outcome.output.find("http://recorder:****@rtus.internal:8080/tick"), std::string::npos)
      << outcome.output;
}

TEST_F(ConfigCheck, AnUnknownKeyExitsNonZeroNamingTheKeyAndNoSecret) {
  const Outcome outcome = check(write(with_secrets() + "batch_sise = 10\n"));

  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  EXPECT_NE(outcome.output.find("unknown key transform.batch_sise"), std::string::npos)
      << outcome.output;
  expect_no_secret(outcome);
}

TEST_F(ConfigCheck, ABadValueExitsNonZeroNamingTheKeyAndNoSecret) {
  for (const auto& [line, key] :
       {std::pair{"fetch_timeout = \"soon\"\n", "transform.fetch_timeout"},
        std::pair{"batch_size = \"many\"\n", "transform.batch_size"}}) {
    SCOPED_TRACE(line);
    std::string text = with_secrets();
    text.replace(text.find("batch_size = 500\n"), std::string("batch_size = 500\n").size(), line);
    const Outcome outcome = check(write(text));

    EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
    EXPECT_NE(outcome.output.find(key), std::string::npos) << outcome.output;
    expect_no_secret(outcome);
  }
}

TEST_F(ConfigCheck, AValueOutsideItsChoicesExitsNonZeroNamingTheKey) {
  const Outcome outcome = check(write("[log]\nlevel = \"loud\"\n"));

  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  EXPECT_NE(outcome.output.find("log.level"), std::string::npos) << outcome.output;
}

}  // namespace
}  // namespace tapedeck::app
