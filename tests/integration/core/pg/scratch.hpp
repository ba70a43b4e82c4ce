// Shared by the pg integration tests: unique names and the Live DB connection string.
#pragma once

#include <random>
#include <string>

#include "support/stack_env.hpp"
#include "support/unique_name.hpp"

namespace tapedeck::pg::testing {

using tapedeck::testing::unique_name;

inline std::string live_dsn() {
  return tapedeck::testing::stack_env("TAPEDECK_LIVE_DSN");
}

}  // namespace tapedeck::pg::testing
