#include "bench_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "core/config.hpp"

namespace tapedeck::bench {

std::string required_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    std::fprintf(stderr, "%s is not set: run eval \"$(./run stack env)\" first\n", name);
    std::exit(2);
  }
  return value;
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

std::string tapedeck_binary() {
  return env_or(
      "TAPEDECK_BINARY",
      (std::filesystem::canonical("/proc/self/exe").parent_path().parent_path() / "tapedeck")
          .string());
}

TapedeckProcess::TapedeckProcess(const std::vector<std::string>& arguments,
                                 const std::map<std::string, std::string>& extra,
                                 const std::string& log_file) {
  config::Environment env = config::process_environment();
  for (const auto& [name, value] : extra) env[name] = value;
  std::vector<std::string> env_text;
  env_text.reserve(env.size());
  for (const auto& [name, value] : env)
    env_text.push_back(std::string(name).append("=").append(value));
  std::vector<char*> env_ptrs;
  env_ptrs.reserve(env_text.size() + 1);
  for (auto& text : env_text) env_ptrs.push_back(text.data());
  env_ptrs.push_back(nullptr);

  const std::string binary = tapedeck_binary();
  std::vector<std::string> argv = {binary};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  std::vector<char*> arg_ptrs;
  arg_ptrs.reserve(argv.size() + 1);
  for (auto& arg : argv) arg_ptrs.push_back(arg.data());
  arg_ptrs.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const int rc =
      posix_spawn(&pid_, binary.c_str(), &actions, nullptr, arg_ptrs.data(), env_ptrs.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start " + binary + ": build it first or set TAPEDECK_BINARY");
  }
}

TapedeckProcess::~TapedeckProcess() {
  stop();
}

void TapedeckProcess::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 400; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

double cpu_seconds(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  unsigned long long ticks = 0;
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index >= 14) ticks += std::stoull(field);
  }
  return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace tapedeck::bench
