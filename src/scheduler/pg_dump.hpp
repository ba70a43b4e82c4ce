// Running pg_dump as a child process whose custom-format output is read as a stream.
#pragma once

#include <sys/types.h>

#include <istream>
#include <memory>
#include <mutex>
#include <optional>
#include <streambuf>
#include <string>
#include <thread>
#include <vector>

namespace tapedeck::scheduler {

// One pg_dump process: `pg_dump -Fc --snapshot=<id> --no-password` against the database the
// libpq environment names; its stdout is output(), its stderr is kept (last 8 KiB) for the
// error message. Owns the child, its pipes and the thread draining stderr; the destructor
// kills a child still running and reaps it, so no process outlives the object. Not movable,
// one thread uses it (output() and wait() from the same thread).
//
// Reading output() to its end waits for the child: when pg_dump failed, the read fails (the
// stream goes bad, which makes ObjectStore::put store nothing) and failure() says why.
class PgDumpProcess {
 public:
  PgDumpProcess(const std::string& program, const std::string& snapshot_id,
                const std::vector<std::string>& environment);
  ~PgDumpProcess();
  PgDumpProcess(const PgDumpProcess&) = delete;
  PgDumpProcess& operator=(const PgDumpProcess&) = delete;

  std::istream& output() { return stream_; }

  // Reads and drops what is left of the output, waits for the exit, and returns the failure
  // (nullopt when pg_dump exited 0). Idempotent.
  std::optional<std::string> finish();
  // The failure recorded when the output reached its end, if any (does not wait).
  std::optional<std::string> failure() const;

 private:
  class PipeBuffer : public std::streambuf {
   public:
    explicit PipeBuffer(PgDumpProcess& owner) : owner_(owner), buffer_(std::size_t{64} * 1024) {}
    void set_fd(int fd) { fd_ = fd; }

   protected:
    int_type underflow() override;

   private:
    PgDumpProcess& owner_;
    int fd_ = -1;
    std::vector<char> buffer_;
  };

  // Waits for the child (once) and records a failure for a non-zero exit.
  void reap();
  void drain_stderr(int fd);

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::thread stderr_thread_;
  mutable std::mutex mutex_;
  std::string stderr_tail_;
  std::optional<std::string> failure_;
  bool reaped_ = false;
  PipeBuffer buffer_;
  std::istream stream_;
};

}  // namespace tapedeck::scheduler
