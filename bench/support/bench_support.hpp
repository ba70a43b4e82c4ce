// What several benchmarks need: the stack's settings from the environment and a tapedeck
// component run as a child process.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "support/child_process.hpp"

namespace tapedeck::pg {
class Connection;
}

namespace tapedeck::bench {

// The value of environment variable `name`. When it is missing or empty, says how to set it
// and exits with status 2: every benchmark needs the stack's settings.
std::string required_env(const char* name);

// The value of environment variable `name`, or `fallback` when it is missing or empty.
std::string env_or(const char* name, const std::string& fallback);

// The tapedeck binary: TAPEDECK_BINARY, or the one built beside the bench folder.
std::string tapedeck_binary();

// `tapedeck <arguments>` as a child process with this process's environment plus `extra`,
// its output appended to `log_file`; the kernel kills it if the benchmark dies outright.
// stop() (and the destructor) sends SIGTERM and waits, then SIGKILL after 20 s. Throws
// std::runtime_error when it cannot start.
class TapedeckProcess {
 public:
  TapedeckProcess(const std::vector<std::string>& arguments,
                  const std::map<std::string, std::string>& extra, const std::string& log_file);
  ~TapedeckProcess() { stop(); }
  TapedeckProcess(const TapedeckProcess&) = delete;
  TapedeckProcess& operator=(const TapedeckProcess&) = delete;

  pid_t pid() const { return process_.pid(); }
  void stop();

 private:
  testing::SpawnedProcess process_;
};

// CPU time (user + system) that process `pid` has used so far, in seconds; 0 once it is gone.
double cpu_seconds(pid_t pid);

// Databases a benchmark creates on `admin`'s server and drops (WITH (FORCE), newest first)
// however it ends. Borrows `admin`, which must outlive it.
class ScratchDatabases {
 public:
  explicit ScratchDatabases(pg::Connection& admin) : admin_(admin) {}
  ~ScratchDatabases();
  ScratchDatabases(const ScratchDatabases&) = delete;
  ScratchDatabases& operator=(const ScratchDatabases&) = delete;

  // CREATE DATABASE `name` (from `template_name` when given); returns `name`.
  std::string create(const std::string& name, const std::string& template_name = {});

 private:
  pg::Connection& admin_;
  std::vector<std::string> names_;
};

// Flushes the server's dirty pages (CHECKPOINT, through `admin`, a superuser or a member of
// pg_checkpoint) and the machine's (sync), so that a timed phase does not pay for the writes of
// the one before it. Without the right to CHECKPOINT, says so on stderr and only syncs.
void settle(pg::Connection& admin);

// Catch-up's ceiling: `transactions` (each its statements, in order) applied to `target`
// through libpq's pipeline mode, whole transactions grouped into commits of at least
// `per_commit` statements, everything already in memory. As text, or (prepared_by_shape) each
// statement msgop::shape_statement takes apart run as the prepared statement of its shape,
// taken apart before the clock starts and prepared the first time its shape is met. Returns
// the seconds it took.
enum class Sent { as_text, prepared_by_shape };
double apply_pipelined(pg::Connection& target,
                       const std::vector<std::vector<std::string>>& transactions,
                       Sent sent = Sent::as_text, int per_commit = 1000);

// Where the machine's CPU went between construction and summary(): cores used by nats-server,
// postgres (every backend, the walsender among them), tapedeck, everything else (the benchmark
// and tools such as pg_recvlogical), and idle. Read from /proc, so it costs nothing while the
// measured work runs; a process that ends in between counts, its whole life, through its
// parent (the postmaster reaps its backends; pg_recvlogical lands in "other").
// Benchmarks print it beside their figures: on a 2-core machine the ceiling is often a server.
class CpuSplit {
 public:
  CpuSplit();
  // "cpu (cores of 2 over 6.41 s): nats-server 0.85, postgres 0.62, tapedeck 0.41, other 0.02,
  // idle 0.10"
  std::string summary() const;

 private:
  struct Reading {
    std::map<pid_t, std::pair<std::string, double>> processes;  // pid -> (group, seconds)
    double busy = 0;                                            // all CPUs, from /proc/stat
    double idle = 0;
  };
  static Reading read();

  Reading start_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace tapedeck::bench
