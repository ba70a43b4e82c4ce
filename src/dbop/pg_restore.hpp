// Running pg_restore as a child process: a custom-format file into one database.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
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
  // A table of contents to restore from (--use-list), when not empty: the dump's own
  // without its event triggers (restore_list).
  std::string use_list;
  // Adds --verbose: pg_restore then prints a line per item it processes (see verbose_line),
  // which is how run_pg_restore measures its progress.
  bool verbose = false;
};

// The argument vector: program, --no-owner --no-acl --no-publications --no-subscriptions
// --exit-on-error --no-password -j <jobs> [--verbose] [--use-list=<use_list>] -d <dbname> <file>.
// Pure; shown in logs.
std::vector<std::string> restore_arguments(const RestoreCommand& command);

// Runs pg_restore and waits for it. `tick` is called about every `tick_interval` while it runs
// (dbop heartbeats from it); when tick throws, pg_restore (and its parallel workers, which
// share its process group) are killed, reaped, and the exception propagates. Returns nullopt
// when pg_restore exited 0, else the reason: "pg_restore exited with status N: <the last 4 KiB
// of its stderr>". Throws Error(internal) when it cannot be started.
// `on_item`, when given, is called for each line of --verbose output that says an item of the
// table of contents is being restored (VerboseLine::item); other verbose lines are left out of
// the failure reason.
std::optional<std::string> run_pg_restore(const RestoreCommand& command,
                                          const std::function<void()>& tick,
                                          std::chrono::milliseconds tick_interval,
                                          const std::function<void()>& on_item = {});

// What one line of `pg_restore --verbose` stderr says. pg_restore prints, once per item of the
// table of contents it restores (serial or parallel, where a worker prints it):
//   pg_restore: creating TABLE "public.t"
//   pg_restore: processing data for table "public.t"
//   pg_restore: executing SEQUENCE SET t_id_seq
// and other informational lines (connecting, launching/finished item N, processing item N,
// which would count an item twice). Anything else (error:, warning:, detail:) is `other`.
enum class VerboseLine { item, info, other };
VerboseLine verbose_line(std::string_view line);

// The entries of a `pg_restore --list` listing that pg_restore restores one by one into an
// existing database: every entry line but comments and ENCODING, STDSTRINGS, SEARCHPATH and
// DATABASE entries (set up front or only with --create). The total of the restore's progress.
std::size_t restored_entries(const std::string& listing);

// The dump's table of contents without its event triggers, written to `list_file` (then set
// as command.use_list). An event trigger (tapedeck's records the Live DB's schema changes)
// can only be created by a superuser, so restoring it would fail for any other playback user,
// and in a session database it has nothing to record: replayed DDL is already recorded.
// Returns the reason pg_restore --list failed, or nullopt. Throws Error(internal) when it
// cannot be started or the list cannot be written.
// `tick` as for run_pg_restore.
std::optional<std::string> restore_list(const RestoreCommand& command, const std::string& list_file,
                                        const std::function<void()>& tick,
                                        std::chrono::milliseconds tick_interval);

// A `pg_restore --list` listing without its EVENT TRIGGER entries. Pure.
std::string without_event_triggers(const std::string& listing);

// The last `limit` bytes of `text`, cut at a line start when one is near, trailing newlines
// removed. Pure.
std::string tail_of(const std::string& text, std::size_t limit);

}  // namespace tapedeck::dbop
