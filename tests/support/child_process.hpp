// A program run as a child process by a test or a benchmark: killed when its handle goes away,
// and by the kernel when the process that started it dies outright (SIGKILL, a ctest timeout),
// so nothing is left running. No GoogleTest here: benchmarks use it too (support/process.hpp
// turns a failure to start into a test failure).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/config.hpp"

namespace tapedeck::testing {

class SpawnedProcess {
 public:
  // Starts `argv` with the current environment plus `extra_env`; output goes to `log_file`
  // (appended) when given, else to this process's stdout/stderr. When it cannot start, pid()
  // is -1 and start_error() says why ("cannot start <program>: <reason>").
  SpawnedProcess(std::vector<std::string> argv, const std::map<std::string, std::string>& extra_env,
                 const std::string& log_file = {}) {
    config::Environment env = config::process_environment();
    for (const auto& [name, value] : extra_env) env[name] = value;
    std::vector<std::string> env_text;
    env_text.reserve(env.size());
    for (const auto& [name, value] : env) env_text.push_back(name + "=" + value);
    std::vector<char*> env_ptrs;
    env_ptrs.reserve(env_text.size() + 1);
    for (auto& text : env_text) env_ptrs.push_back(text.data());
    env_ptrs.push_back(nullptr);
    std::vector<char*> arg_ptrs;
    arg_ptrs.reserve(argv.size() + 1);
    for (auto& arg : argv) arg_ptrs.push_back(arg.data());
    arg_ptrs.push_back(nullptr);

    // The child reports a failure to start (errno) through this pipe; exec closes it.
    int status_pipe[2];
    if (::pipe2(status_pipe, O_CLOEXEC) != 0) {
      start_error_ = "cannot start " + argv[0] + ": pipe2: " + std::strerror(errno);
      return;
    }
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(status_pipe[0]);
      exec_child(parent, arg_ptrs.data(), env_ptrs.data(),
                 log_file.empty() ? nullptr : log_file.c_str(), status_pipe[1]);
    }
    int start_errno = errno;  // fork's, when it failed
    ::close(status_pipe[1]);
    if (pid_ > 0) {
      ssize_t reported = 0;
      do {
        reported = ::read(status_pipe[0], &start_errno, sizeof start_errno);
      } while (reported < 0 && errno == EINTR);
      if (reported < 0) start_errno = errno;
      ::close(status_pipe[0]);
      if (reported == 0) return;  // exec closed the pipe: the program runs
      ::waitpid(pid_, nullptr, 0);
    } else {
      ::close(status_pipe[0]);
    }
    start_error_ = "cannot start " + argv[0] + ": " + std::strerror(start_errno);
    pid_ = -1;
  }
  SpawnedProcess(const SpawnedProcess&) = delete;
  SpawnedProcess& operator=(const SpawnedProcess&) = delete;
  ~SpawnedProcess() { kill_now(); }

  pid_t pid() const { return pid_; }
  const std::optional<std::string>& start_error() const { return start_error_; }

  bool running() {
    if (pid_ <= 0) return false;
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_status_ = status;
      pid_ = -1;
      return false;
    }
    return true;
  }
  // SIGKILL, as a crash would: no shutdown code runs.
  void kill_now() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    exit_status_ = status;
    pid_ = -1;
  }
  // SIGTERM, then waits up to `timeout` for a clean exit; returns the exit code (or -1 on
  // a timeout, after which the process is killed).
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    if (pid_ <= 0) return exit_code();
    ::kill(pid_, SIGTERM);
    return wait(timeout);
  }
  // Waits for the process to end by itself; -1 on timeout (it is then killed).
  int wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!running()) return exit_code();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill_now();
    return -1;
  }
  int exit_code() const {
    if (!exit_status_) return -1;
    return WIFEXITED(*exit_status_) ? WEXITSTATUS(*exit_status_) : 128 + WTERMSIG(*exit_status_);
  }

 private:
  // Runs in the forked child, so only async-signal-safe calls: the caller may have other
  // threads. PR_SET_PDEATHSIG has the kernel kill the child when the thread that forked it ends,
  // so a SpawnedProcess belongs on a thread that outlives it (the test's or benchmark's own). A
  // parent that died before prctl is seen by getppid() no longer being it.
  [[noreturn]] static void exec_child(pid_t parent, char* const* argv, char* const* envp,
                                      const char* log_file, int status_fd) {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) report_errno_and_exit(status_fd);
    if (::getppid() != parent) ::_exit(127);
    if (log_file != nullptr) {
      const int fd = ::open(log_file, O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd < 0 || ::dup2(fd, STDOUT_FILENO) < 0 || ::dup2(fd, STDERR_FILENO) < 0) {
        report_errno_and_exit(status_fd);
      }
      if (fd > STDERR_FILENO) ::close(fd);
    }
    ::execve(argv[0], argv, envp);
    report_errno_and_exit(status_fd);
  }
  // Tells the parent why the child could not start: errno through the status pipe.
  [[noreturn]] static void report_errno_and_exit(int status_fd) {
    const int error = errno;
    [[maybe_unused]] const ssize_t written = ::write(status_fd, &error, sizeof error);
    ::_exit(127);
  }

  pid_t pid_ = -1;
  std::optional<int> exit_status_;
  std::optional<std::string> start_error_;
};

}  // namespace tapedeck::testing
