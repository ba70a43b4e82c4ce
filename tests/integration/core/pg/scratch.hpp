// Shared by the pg integration tests: unique names and the Live DB connection string.
#pragma once

#include <random>
#include <string>

#include "support/stack_env.hpp"

namespace tapedeck::pg::testing {

// `prefix` plus a random suffix, lower-case, valid as a table, slot or publication name.
inline std::string unique_name(const std::string& prefix) {
  std::random_device device;
  std::mt19937_64 generator(device());
  static constexpr char kDigits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string name = prefix + "_";
  for (int i = 0; i < 10; ++i) name.push_back(kDigits[generator() % 36]);
  return name;
}

inline std::string live_dsn() {
  return tapedeck::testing::stack_env("TAPEDECK_LIVE_DSN");
}

}  // namespace tapedeck::pg::testing
