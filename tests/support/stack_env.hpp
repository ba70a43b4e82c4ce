// Integration tests read the local stack's addresses from the environment that
// `./run stack env` prints; `./run test` sets it up.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace tapedeck::testing {

// The value of `name`, or a test failure that says how to get a stack.
inline std::string stack_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    ADD_FAILURE() << name
                  << " is not set: integration tests need the local stack. Run them with "
                     "`./run test`, or `./run stack up && eval \"$(./run stack env)\"` first.";
    return {};
  }
  return value;
}

}  // namespace tapedeck::testing
