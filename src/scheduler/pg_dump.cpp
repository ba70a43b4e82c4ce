// pg_dump as a child process: spawn with posix_spawn, stream stdout, keep the tail of stderr.
#include "scheduler/pg_dump.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/error.hpp"

extern char** environ;

namespace tapedeck::scheduler {

namespace {

constexpr std::size_t kStderrTail = 8 * 1024;

[[noreturn]] void fail_errno(int error, const std::string& what) {
  throw Error(ErrorSource::internal, Recovery::fail,
              fmt::format("{}: {}", what, std::strerror(error)), std::to_string(error));
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("was killed by signal {}", WTERMSIG(status));
  return fmt::format("ended with wait status {}", status);
}

}  // namespace

PgDumpProcess::PgDumpProcess(const std::string& program, const std::string& snapshot_id,
                             const std::vector<std::string>& environment)
    : buffer_(*this), stream_(&buffer_) {
  int out[2] = {-1, -1};
  int err[2] = {-1, -1};
  if (::pipe2(out, O_CLOEXEC) != 0) fail_errno(errno, "creating the pg_dump output pipe");
  if (::pipe2(err, O_CLOEXEC) != 0) {
    const int saved = errno;
    close_fd(out[0]);
    close_fd(out[1]);
    fail_errno(saved, "creating the pg_dump error pipe");
  }

  std::vector<std::string> args = {program, "--format=custom", "--no-password",
                                   "--snapshot=" + snapshot_id};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  // The inherited environment, with the DSN's settings taking precedence.
  std::vector<std::string> env_text = environment;
  env_text.push_back("PGAPPNAME=tapedeck-backup");
  for (char** entry = environ; *entry != nullptr; ++entry) env_text.emplace_back(*entry);
  std::vector<char*> envp;
  std::vector<std::string> seen;
  for (auto& entry : env_text) {
    const std::string name = entry.substr(0, entry.find('='));
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
    seen.push_back(name);
    envp.push_back(entry.data());
  }
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  const int rc = posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close_fd(out[1]);
  close_fd(err[1]);
  if (rc != 0) {
    pid_ = -1;
    close_fd(out[0]);
    close_fd(err[0]);
    fail_errno(rc, "starting " + program);
  }
  stdout_fd_ = out[0];
  buffer_.set_fd(stdout_fd_);
  const int err_fd = err[0];
  stderr_thread_ = std::thread([this, err_fd] { drain_stderr(err_fd); });
}

PgDumpProcess::~PgDumpProcess() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  close_fd(stdout_fd_);
  if (stderr_thread_.joinable()) stderr_thread_.join();
}

void PgDumpProcess::drain_stderr(int fd) {
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::lock_guard lock(mutex_);
    stderr_tail_.append(chunk, static_cast<std::size_t>(n));
    if (stderr_tail_.size() > kStderrTail) {
      stderr_tail_.erase(0, stderr_tail_.size() - kStderrTail);
    }
  }
  ::close(fd);
}

void PgDumpProcess::reap() {
  if (reaped_ || pid_ <= 0) return;
  int status = 0;
  pid_t done;
  while ((done = ::waitpid(pid_, &status, 0)) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  if (stderr_thread_.joinable()) stderr_thread_.join();  // the child's end is closed now
  std::lock_guard lock(mutex_);
  if (done < 0) {
    failure_ = fmt::format("waiting for pg_dump failed: {}", std::strerror(errno));
  } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string tail = stderr_tail_;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
    failure_ = fmt::format("pg_dump {}: {}", describe_status(status),
                           tail.empty() ? "(no message)" : tail);
  }
}

std::optional<std::string> PgDumpProcess::finish() {
  if (!reaped_) {
    // Drain stdout so the child is never blocked on a full pipe, then reap it.
    char chunk[64 * 1024];
    while (stdout_fd_ >= 0) {
      const ssize_t n = ::read(stdout_fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
    }
    reap();
  }
  return failure();
}

std::optional<std::string> PgDumpProcess::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

PgDumpProcess::PipeBuffer::int_type PgDumpProcess::PipeBuffer::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  for (;;) {
    const ssize_t n = ::read(fd_, buffer_.data(), buffer_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno(errno, "reading the output of pg_dump");
    if (n == 0) {
      owner_.reap();
      if (auto failure = owner_.failure()) {
        // istream turns this into badbit: the store sees a failed read and stores nothing.
        throw Error(ErrorSource::postgres, Recovery::fail, *failure);
      }
      return traits_type::eof();
    }
    setg(buffer_.data(), buffer_.data(), buffer_.data() + n);
    return traits_type::to_int_type(*gptr());
  }
}

}  // namespace tapedeck::scheduler
