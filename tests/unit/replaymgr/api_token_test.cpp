// The API token: configured, open, or kept in a file only its owner may read.
#include "replaymgr/api_token.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "core/error.hpp"

namespace tapedeck::replaymgr {
namespace {

namespace fs = std::filesystem;

class ApiTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = fs::temp_directory_path() / ("tapedeck-token-test-" + std::to_string(::getpid()) +
                                           "-" + std::to_string(std::random_device{}()));
    file_ = folder_ / "tapedeck" / "api-token";
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(folder_, ignored);
  }
  config::Config config(config::Environment environment = {}) const {
    environment.emplace("TAPEDECK_REPLAYMGR_TOKEN_FILE", file_.string());
    return config::Config::load(std::nullopt, environment);
  }

  fs::path folder_;
  fs::path file_;
};

TEST_F(ApiTokenTest, AConfiguredTokenIsUsedAndNoFileWritten) {
  const auto token = server_token(config({{"TAPEDECK_REPLAYMGR_API_TOKEN", "secret"}}));
  EXPECT_EQ(token.token, "secret");
  EXPECT_EQ(token.origin, "replaymgr.api_token");
  EXPECT_FALSE(fs::exists(file_));
}

TEST_F(ApiTokenTest, OpenMeansNoTokenAndNoFile) {
  const auto token = server_token(config({{"TAPEDECK_REPLAYMGR_OPEN", "true"}}));
  EXPECT_TRUE(token.token.empty());
  EXPECT_FALSE(fs::exists(file_));
  EXPECT_TRUE(client_token(config({{"TAPEDECK_REPLAYMGR_OPEN", "true"}})).empty());
}

TEST_F(ApiTokenTest, OpenWithATokenContradictsItself) {
  EXPECT_THROW(server_token(config({{"TAPEDECK_REPLAYMGR_OPEN", "true"},
                                    {"TAPEDECK_REPLAYMGR_API_TOKEN", "secret"}})),
               Error);
}

TEST_F(ApiTokenTest, WithoutEitherTheFirstStartWritesAPrivateTokenFileThatLaterStartsReuse) {
  const auto first = server_token(config());
  EXPECT_EQ(first.token.size(), 64u);
  EXPECT_EQ(first.token.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(first.origin, file_.string());
  EXPECT_EQ(fs::status(file_).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(fs::status(file_.parent_path()).permissions() & fs::perms::all, fs::perms::owner_all);
  EXPECT_EQ(server_token(config()).token, first.token);
  EXPECT_EQ(client_token(config()), first.token);
}

TEST_F(ApiTokenTest, AClientWithoutTokenOrFileSendsNone) {
  EXPECT_TRUE(client_token(config()).empty());
  EXPECT_FALSE(fs::exists(file_));
}

TEST_F(ApiTokenTest, AFileItsGroupMayReadIsRefusedNamingTheChmod) {
  fs::create_directories(file_.parent_path());
  std::ofstream(file_) << "abc\n";
  fs::permissions(file_, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  try {
    server_token(config());
    FAIL() << "a group-readable token file was used";
  } catch (const Error& error) {
    EXPECT_EQ(error.source(), ErrorSource::config);
    EXPECT_NE(error.message().find("chmod 600 " + file_.string()), std::string::npos)
        << error.message();
    EXPECT_NE(error.message().find("0640"), std::string::npos) << error.message();
  }
  EXPECT_THROW(client_token(config()), Error);
}

TEST_F(ApiTokenTest, ALeadingTildeIsTheHomeFolder) {
  const char* home = std::getenv("HOME");
  if (home == nullptr) GTEST_SKIP() << "no $HOME";
  const auto settings = config::Config::load(
      std::nullopt, {{"TAPEDECK_REPLAYMGR_TOKEN_FILE", "~/.config/tapedeck/api-token"}});
  EXPECT_EQ(token_file(settings), fs::path(home) / ".config/tapedeck/api-token");
}

}  // namespace
}  // namespace tapedeck::replaymgr
