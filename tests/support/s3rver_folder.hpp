// What the stack's s3rver holds, read from its folder: what no S3 call of the store under test
// should be trusted to report about itself.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "support/stack_env.hpp"

namespace tapedeck::testing {

// The keys (bucket-relative) of the multipart uploads s3rver holds unfinished in the stack's
// bucket whose key starts with `prefix`, read from its folder (scripts/s3rver/server.js).
inline std::vector<std::string> unfinished_s3_uploads(const std::string& prefix) {
  const std::filesystem::path uploads =
      std::filesystem::path(tapedeck::testing::stack_env("TAPEDECK_STACK_DIR")) / "s3" /
      tapedeck::testing::stack_env("TAPEDECK_STACK_S3_BUCKET") / "._S3rver_uploads";
  std::vector<std::string> keys;
  std::error_code error;
  for (std::filesystem::directory_iterator it(uploads, error), end; !error && it != end;
       it.increment(error)) {
    std::ifstream in(it->path() / "key");
    const std::string key((std::istreambuf_iterator<char>(in)), {});
    if (key.starts_with(prefix)) keys.push_back(key);
  }
  return keys;
}

}  // namespace tapedeck::testing
