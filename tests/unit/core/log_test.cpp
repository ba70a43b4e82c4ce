// Log lines: one per event, with level and component, whatever the message holds.
#include "core/log.hpp"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace tapedeck::log {
namespace {

using ::testing::HasSubstr;

// Sends what the process writes to stderr (where every logger writes) into a file until
// finish().
class CapturedStderr {
 public:
  CapturedStderr()
      : path_(std::filesystem::temp_directory_path() /
              ("tapedeck-log-" + std::to_string(::getpid()) + ".txt")) {
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    const int file = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    EXPECT_GE(file, 0) << "cannot create " << path_;
    ::dup2(file, STDERR_FILENO);
    ::close(file);
  }
  ~CapturedStderr() {
    restore();
    std::filesystem::remove(path_);
  }
  CapturedStderr(const CapturedStderr&) = delete;
  CapturedStderr& operator=(const CapturedStderr&) = delete;

  // Everything written so far; stderr is the terminal's again afterwards.
  std::string finish() {
    restore();
    std::ifstream in(path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    saved_ = -1;
  }

  std::filesystem::path path_;
  int saved_ = -1;
};

TEST(Log, WritesAMessageWithLineBreaksAsOneLineWithItsLevelAndComponent) {
  configure("info");
  CapturedStderr captured;
  auto logger = get("x");
  logger->error("pg_dump failed:\npg_dump: error: connection refused\r\n\tIs the server running?");
  logger->flush();
  const std::string text = captured.finish();

  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
  EXPECT_THAT(text, HasSubstr(" error [x] pg_dump failed:\\npg_dump: error: connection "
                              "refused\\r\\n\tIs the server running?\n"));
}

}  // namespace
}  // namespace tapedeck::log
