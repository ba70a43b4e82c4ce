// Running pg_restore as a child process: a custom-format file into one database.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tapedeck::dbop {

struct RestoreCommand {
  std::string program;  // pg::find_client_program("pg_restore", ...)
  std::string file;     // the custom-format dump
  std::string dbname;   // the database to restore into (must exist)
  int jobs = 1;         // -j
  // libpq variables (pg::libpq_environment) naming the server and credentials, so no
  // password appears on the command line; they take precedence over the inherited environment.
  std::vector<std::string> environment;
};

// The argument vector: program, --no-owner --no-acl --no-publications --no-subscriptions
// --exit-on-error --no-password -j <jobs> -d <dbname> <file>. Pure; shown in logs.
std::vector<std::string> restore_arguments(const RestoreCommand& command);

// Runs pg_restore and waits for it. `tick` is called about every `tick_interval` while it runs
// (dbop heartbeats from it); when tick throws, pg_restore (and its parallel workers, which
// share its process group) are killed, reaped, and the exception propagates. Returns nullopt
// when pg_restore exited 0, else the reason: "pg_restore exited with status N: <the last 4 KiB
// of its stderr>". Throws Error(internal) when it cannot be started.
std::optional<std::string> run_pg_restore(const RestoreCommand& command,
                                          const std::function<void()>& tick,
                                          std::chrono::milliseconds tick_interval);

// The last `limit` bytes of `text`, cut at a line start when one is near, trailing newlines
// removed. Pure.
std::string tail_of(const std::string& text, std::size_t limit);

}  // namespace tapedeck::dbop
