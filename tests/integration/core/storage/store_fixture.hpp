// Shared pieces of the storage integration tests: stores on the local stack, test data, streams.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <vector>

#include "core/http/client.hpp"
#include "core/storage/object_store.hpp"
#include "support/s3rver_folder.hpp"
#include "support/stack_env.hpp"

namespace tapedeck::storage::testing {

// libcurl's global state for the whole test binary, as main would hold it.
class CurlEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { curl_ = std::make_unique<http::CurlGlobal>(); }
  void TearDown() override { curl_.reset(); }

 private:
  std::unique_ptr<http::CurlGlobal> curl_;
};

inline std::string random_suffix() {
  std::random_device device;
  return std::to_string(::getpid()) + "-" + std::to_string(device());
}

inline std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937_64 engine(seed);
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; i += 8) {
    const std::uint64_t word = engine();
    for (std::size_t j = 0; j < 8 && i + j < size; ++j) {
      bytes[i + j] = static_cast<char>((word >> (8 * j)) & 0xff);
    }
  }
  return bytes;
}

// Serves `good` bytes of data, then fails the way a broken pipe or disk would: by throwing.
class FailingBuffer : public std::streambuf {
 public:
  explicit FailingBuffer(std::string good) : good_(std::move(good)) {
    setg(good_.data(), good_.data(), good_.data() + good_.size());
  }

 protected:
  int_type underflow() override { throw std::runtime_error("the source broke midway"); }

 private:
  std::string good_;
};

// Serves `good` bytes of data, then kills its own process outright: a put() whose process dies
// midway, as a SIGKILL or a power cut would leave it.
class KillingBuffer : public std::streambuf {
 public:
  explicit KillingBuffer(std::string good) : good_(std::move(good)) {
    setg(good_.data(), good_.data(), good_.data() + good_.size());
  }

 protected:
  int_type underflow() override {
    ::kill(::getpid(), SIGKILL);
    ::pause();
    return traits_type::eof();
  }

 private:
  std::string good_;
};

inline S3Config stack_s3_config() {
  S3Config config;
  config.endpoint = tapedeck::testing::stack_env("TAPEDECK_S3_ENDPOINT");
  config.access_key = "S3RVER";
  config.secret_key = "S3RVER";
  config.part_size = kMinPartSize;
  return config;
}

// The S3 URL of a fresh prefix in the stack's bucket.
inline std::string fresh_s3_url() {
  return "s3://" + tapedeck::testing::stack_env("TAPEDECK_STACK_S3_BUCKET") + "/it-storage-" +
         random_suffix();
}

// A fresh temporary folder, removed with its content on destruction.
class TempDir {
 public:
  TempDir()
      : path_(std::filesystem::temp_directory_path() / ("tapedeck-storage-" + random_suffix())) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace tapedeck::storage::testing
