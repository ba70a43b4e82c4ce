// pg_restore as a child process: posix_spawn into its own process group, stderr kept.
#include "dbop/pg_restore.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string_view>

#include "core/error.hpp"

extern char** environ;

namespace tapedeck::dbop {

namespace {

constexpr std::size_t kStderrKept = 64 * 1024;
constexpr std::size_t kReasonTail = 4 * 1024;

[[noreturn]] void fail_errno(int error, const std::string& what) {
  throw Error(ErrorSource::internal, Recovery::fail,
              fmt::format("{}: {}", what, std::strerror(error)), std::to_string(error));
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("was killed by signal {}", WTERMSIG(status));
  return fmt::format("ended with wait status {}", status);
}

// Owns the running child and the read end of its stderr pipe: the destructor kills the
// child's process group and reaps it unless it was reaped already.
class Child {
 public:
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid > 0) {
      ::kill(-pid, SIGKILL);
      reap();
    }
    if (err_fd >= 0) ::close(err_fd);
  }
  int reap() {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    pid = -1;
    return status;
  }

  pid_t pid = -1;
  int err_fd = -1;
};

}  // namespace

std::vector<std::string> restore_arguments(const RestoreCommand& command) {
  std::vector<std::string> arguments = {
      command.program,      "--no-owner",
      "--no-acl",           "--no-publications",
      "--no-subscriptions", "--exit-on-error",
      "--no-password",      "--jobs=" + std::to_string(std::max(1, command.jobs))};
  if (command.verbose) arguments.emplace_back("--verbose");
  if (!command.use_list.empty()) arguments.push_back("--use-list=" + command.use_list);
  arguments.push_back("--dbname=" + command.dbname);
  arguments.push_back(command.file);
  return arguments;
}

std::string without_event_triggers(const std::string& listing) {
  std::string kept;
  std::size_t from = 0;
  while (from < listing.size()) {
    auto end = listing.find('\n', from);
    end = end == std::string::npos ? listing.size() : end + 1;
    const std::string_view line(listing.data() + from, end - from);
    // An entry reads "<id>; <oids> EVENT TRIGGER - <name> <owner>"; comments start with ';'.
    const bool event_trigger =
        !line.starts_with(";") && line.find(" EVENT TRIGGER ") != std::string_view::npos;
    if (!event_trigger) kept.append(line);
    from = end;
  }
  return kept;
}

VerboseLine verbose_line(std::string_view line) {
  constexpr std::string_view kPrefix = "pg_restore: ";
  if (!line.starts_with(kPrefix)) return VerboseLine::other;
  line.remove_prefix(kPrefix.size());
  for (const std::string_view item : {"creating ", "processing data for table ", "executing "}) {
    if (line.starts_with(item)) return VerboseLine::item;
  }
  for (const std::string_view info :
       {"connecting to database", "launching item ", "finished item ", "processing item ",
        "processing missed item ", "entering main parallel loop", "finished main parallel loop",
        "entering restore_toc_entries", "implied data-only restore", "disabling triggers for ",
        "enabling triggers for ", "setting owner and privileges for ", "restoring large object",
        "restored ", "transferring dependency ", "reducing dependencies for ", "table \"",
        "skipping item "}) {
    if (line.starts_with(info)) return VerboseLine::info;
  }
  return VerboseLine::other;
}

std::size_t restored_entries(const std::string& listing) {
  std::size_t count = 0;
  std::size_t from = 0;
  while (from < listing.size()) {
    auto end = listing.find('\n', from);
    if (end == std::string::npos) end = listing.size();
    std::string_view line(listing.data() + from, end - from);
    from = end + 1;
    // "<id>; <catalog oid> <oid> <desc> <namespace> <tag> <owner>"
    const auto semicolon = line.find("; ");
    if (line.empty() || line.starts_with(";") || semicolon == std::string_view::npos) continue;
    line.remove_prefix(semicolon + 2);
    bool skipped = false;
    for (int field = 0; field < 2 && !skipped; ++field) {
      const auto space = line.find(' ');
      if (space == std::string_view::npos)
        skipped = true;
      else
        line.remove_prefix(space + 1);
    }
    if (skipped) continue;
    for (const std::string_view fixed : {"ENCODING ", "STDSTRINGS ", "SEARCHPATH ", "DATABASE "}) {
      if (line.starts_with(fixed)) skipped = true;
    }
    if (!skipped) ++count;
  }
  return count;
}

std::string tail_of(const std::string& text, std::size_t limit) {
  std::string tail = text;
  if (tail.size() > limit) {
    tail = tail.substr(tail.size() - limit);
    const auto newline = tail.find('\n');
    if (newline != std::string::npos && newline + 1 < tail.size() && newline < limit / 2) {
      tail = tail.substr(newline + 1);
    }
  }
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
  return tail;
}

namespace {

// Runs `args` (pg_restore) with the command's environment and waits, calling `tick` while it
// runs; returns nullopt when it exited 0, else the reason.
std::optional<std::string> run_child(const RestoreCommand& command, std::vector<std::string> args,
                                     const std::function<void()>& tick,
                                     std::chrono::milliseconds tick_interval,
                                     const std::function<void()>& on_item = {}) {
  int err[2] = {-1, -1};
  if (::pipe2(err, O_CLOEXEC) != 0) fail_errno(errno, "creating the pg_restore error pipe");

  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  // The DSN's settings first, then the inherited environment; the first of a name wins.
  std::vector<std::string> env_text = command.environment;
  env_text.emplace_back("PGAPPNAME=tapedeck-dbop");
  for (char** entry = environ; *entry != nullptr; ++entry) env_text.emplace_back(*entry);
  std::vector<char*> envp;
  std::vector<std::string> seen;
  for (auto& entry : env_text) {
    std::string name = entry.substr(0, entry.find('='));
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) continue;
    seen.push_back(std::move(name));
    envp.push_back(entry.data());
  }
  envp.push_back(nullptr);

  Child child;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // Its own process group, so a kill reaches the parallel restore workers too.
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  const int rc = posix_spawn(&child.pid, command.program.c_str(), &actions, &attributes,
                             argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(err[1]);
  child.err_fd = err[0];
  if (rc != 0) {
    child.pid = -1;
    fail_errno(rc, "starting " + command.program);
  }

  std::string errors;
  std::string partial;  // a line of stderr not yet ended
  // Verbose lines are counted (items) or dropped (info) so the failure reason keeps the errors.
  const auto take_line = [&](std::string_view line) {
    const auto kind = command.verbose ? verbose_line(line) : VerboseLine::other;
    if (kind == VerboseLine::item && on_item) on_item();
    if (kind != VerboseLine::other) return;
    errors.append(line);
    errors.push_back('\n');
    if (errors.size() > kStderrKept) errors.erase(0, errors.size() - kStderrKept);
  };
  auto last_tick = std::chrono::steady_clock::now();
  char buffer[4096];
  while (true) {
    pollfd fd{child.err_fd, POLLIN, 0};
    const int timeout = static_cast<int>(std::max<std::int64_t>(1, tick_interval.count()));
    const int ready = ::poll(&fd, 1, timeout);
    if (ready < 0 && errno != EINTR) fail_errno(errno, "waiting for pg_restore");
    if (ready > 0) {
      const ssize_t got = ::read(child.err_fd, buffer, sizeof buffer);
      if (got == 0) break;  // every writer (pg_restore and its workers) closed stderr
      if (got < 0 && errno != EINTR && errno != EAGAIN) fail_errno(errno, "reading pg_restore");
      if (got > 0) {
        partial.append(buffer, static_cast<std::size_t>(got));
        std::size_t newline = 0;
        while ((newline = partial.find('\n')) != std::string::npos) {
          take_line(std::string_view(partial.data(), newline));
          partial.erase(0, newline + 1);
        }
        // A line longer than what is kept is no verbose line: keep it as text.
        if (partial.size() > kStderrKept) {
          take_line(partial);
          partial.clear();
        }
      }
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_tick >= tick_interval) {
      last_tick = now;
      tick();
    }
  }
  if (!partial.empty()) take_line(partial);
  const int status = child.reap();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return std::nullopt;
  const std::string tail = tail_of(errors, kReasonTail);
  return fmt::format("pg_restore {}{}{}", describe_status(status), tail.empty() ? "" : ": ", tail);
}

}  // namespace

std::optional<std::string> run_pg_restore(const RestoreCommand& command,
                                          const std::function<void()>& tick,
                                          std::chrono::milliseconds tick_interval,
                                          const std::function<void()>& on_item) {
  return run_child(command, restore_arguments(command), tick, tick_interval, on_item);
}

std::optional<std::string> restore_list(const RestoreCommand& command, const std::string& list_file,
                                        const std::function<void()>& tick,
                                        std::chrono::milliseconds tick_interval) {
  if (auto failure =
          run_child(command, {command.program, "--list", "--file=" + list_file, command.file}, tick,
                    tick_interval)) {
    return failure;
  }
  std::string listing;
  {
    std::ifstream in(list_file, std::ios::binary);
    if (!in) fail_errno(errno, "reading " + list_file);
    listing.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::ofstream out(list_file, std::ios::binary | std::ios::trunc);
  out << without_event_triggers(listing);
  out.close();
  if (!out) fail_errno(errno, "writing " + list_file);
  return std::nullopt;
}

}  // namespace tapedeck::dbop
