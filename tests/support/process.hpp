// Runs the tapedeck binary (or any program) as a child process for end-to-end tests: the
// child is killed when the handle goes away, and by the kernel when the test process dies
// outright (SIGKILL, a ctest timeout), so no test leaves a process behind.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/child_process.hpp"

namespace tapedeck::testing {

// The tapedeck binary built beside the tests.
inline std::string tapedeck_binary() {
  return TAPEDECK_BINARY;
}

// A SpawnedProcess whose failure to start is a (non-fatal) failure of the running test.
class ChildProcess : public SpawnedProcess {
 public:
  ChildProcess(std::vector<std::string> argv, const std::map<std::string, std::string>& extra_env,
               const std::string& log_file = {})
      : SpawnedProcess(std::move(argv), extra_env, log_file) {
    if (start_error()) ADD_FAILURE() << *start_error();
  }
};

// Polls `condition` every 50 ms until it holds or `timeout` passes.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

// The index among `children` of the process named by a worker name,
// "<component>@<host>:<pid>:<random>" (session::worker_name): which child holds a session.
// children.size() when none does.
inline std::size_t index_of_worker(const std::vector<std::unique_ptr<ChildProcess>>& children,
                                   const std::string& worker) {
  const auto first = worker.find(':');
  if (first == std::string::npos) return children.size();
  pid_t pid = -1;
  try {
    pid = static_cast<pid_t>(std::stol(worker.substr(first + 1)));
  } catch (const std::exception&) {
    return children.size();
  }
  for (std::size_t i = 0; i < children.size(); ++i) {
    if (children[i]->pid() == pid) return i;
  }
  return children.size();
}

}  // namespace tapedeck::testing
