// Restore helpers that need no server: store URLs, verified downloads from a folder store,
// and running a pg_restore-like child process.
#include "dbop/restore.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "core/error.hpp"
#include "core/storage/sha256.hpp"
#include "dbop/pg_restore.hpp"

namespace tapedeck::dbop {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A fresh folder under the temp dir, removed with its contents at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::mt19937_64 random(std::random_device{}());
    path_ = fs::temp_directory_path() / ("tapedeck-dbop-test-" + std::to_string(random()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write_file(const fs::path& path, const std::string& text, bool executable = false) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
  if (executable) fs::permissions(path, fs::perms::owner_all);
}

backups::BackupRecord record_for(storage::ObjectStore& store, const std::string& key,
                                 const std::string& content) {
  backups::BackupRecord record;
  record.id = 1;
  record.object_key = key;
  record.storage_url = store.url_of(storage::ObjectKey(key));
  record.size_bytes = static_cast<std::int64_t>(content.size());
  record.sha256 = storage::sha256_hex(content);
  return record;
}

TEST(StoreUrlOf, CutsTheObjectKeyOffAFolderUrl) {
  backups::BackupRecord backup;
  backup.object_key = "snapshots/a.dump";
  backup.storage_url = "file:///var/lib/tapedeck/snapshots/a.dump";
  EXPECT_EQ(store_url_of(backup, "file:///elsewhere"), "file:///var/lib/tapedeck");
}

TEST(StoreUrlOf, CutsTheObjectKeyOffAnS3UrlWithAPrefix) {
  backups::BackupRecord backup;
  backup.object_key = "snapshots/a.dump";
  backup.storage_url = "s3://bucket/team/snapshots/a.dump";
  EXPECT_EQ(store_url_of(backup, "s3://other"), "s3://bucket/team");
}

TEST(StoreUrlOf, FallsBackWhenTheUrlDoesNotEndWithTheKey) {
  backups::BackupRecord backup;
  backup.object_key = "snapshots/a.dump";
  backup.storage_url = "s3://bucket/snapshots/b.dump";
  EXPECT_EQ(store_url_of(backup, "s3://configured"), "s3://configured");
}

TEST(DownloadVerified, WritesTheObjectToTheFileWhenSizeAndChecksumMatch) {
  TempDir dir;
  const auto store = storage::open_store({"file://" + (dir.path() / "store").string(), {}});
  const std::string content(300 * 1024, 'x');
  std::istringstream in(content);
  store->put(storage::ObjectKey("snapshots/a.dump"), in);
  const auto target = dir.path() / "work" / "a.dump";
  fs::create_directories(target.parent_path());
  int ticks = 0;
  download_verified(
      *store, record_for(*store, "snapshots/a.dump", content), target, [&] { ++ticks; }, 0ms);
  std::ifstream file(target, std::ios::binary);
  const std::string written((std::istreambuf_iterator<char>(file)), {});
  EXPECT_EQ(written, content);
  EXPECT_GT(ticks, 0);
}

TEST(DownloadVerified, ReportsAChecksumMismatchAndRemovesTheFile) {
  TempDir dir;
  const auto store = storage::open_store({"file://" + (dir.path() / "store").string(), {}});
  std::istringstream in("corrupted!");
  store->put(storage::ObjectKey("k.dump"), in);
  auto record = record_for(*store, "k.dump", "corrupted?");
  const auto target = dir.path() / "k.dump";
  try {
    download_verified(
        *store, record, target, [] {}, 1s);
    FAIL() << "expected a checksum mismatch";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::content_mismatch);
    EXPECT_EQ(error.message().rfind("checksum mismatch: expected " + record.sha256 + " got " +
                                        storage::sha256_hex("corrupted!"),
                                    0),
              0u)
        << error.message();
  }
  EXPECT_FALSE(fs::exists(target));
}

TEST(DownloadVerified, ReportsASizeMismatch) {
  TempDir dir;
  const auto store = storage::open_store({"file://" + (dir.path() / "store").string(), {}});
  std::istringstream in("short");
  store->put(storage::ObjectKey("k.dump"), in);
  auto record = record_for(*store, "k.dump", "short");
  record.size_bytes = 6;
  try {
    download_verified(
        *store, record, dir.path() / "k.dump", [] {}, 1s);
    FAIL() << "expected a size mismatch";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::content_mismatch);
    EXPECT_NE(error.message().find("size mismatch: expected 6 bytes got 5"), std::string::npos);
  }
}

TEST(DownloadVerified, ReportsAMissingObjectAsNotFound) {
  TempDir dir;
  const auto store = storage::open_store({"file://" + (dir.path() / "store").string(), {}});
  auto record = record_for(*store, "gone.dump", "x");
  try {
    download_verified(
        *store, record, dir.path() / "gone.dump", [] {}, 1s);
    FAIL() << "expected not_found";
  } catch (const Error& error) {
    EXPECT_EQ(error.recovery(), Recovery::not_found);
  }
  EXPECT_FALSE(fs::exists(dir.path() / "gone.dump"));
}

TEST(DownloadVerified, PassesOnWhatTheTickThrows) {
  TempDir dir;
  const auto store = storage::open_store({"file://" + (dir.path() / "store").string(), {}});
  const std::string content(1024 * 1024, 'y');
  std::istringstream in(content);
  store->put(storage::ObjectKey("big.dump"), in);
  struct Stop {};
  EXPECT_THROW(download_verified(
                   *store, record_for(*store, "big.dump", content), dir.path() / "big.dump",
                   [] { throw Stop{}; }, 0ms),
               Stop);
  EXPECT_FALSE(fs::exists(dir.path() / "big.dump"));
}

TEST(RestoreArguments, RestoreWithoutOwnersPrivilegesOrReplicationObjects) {
  RestoreCommand command;
  command.program = "/usr/bin/pg_restore";
  command.file = "/tmp/a.dump";
  command.dbname = "playback_s1";
  command.jobs = 4;
  const std::vector<std::string> expected = {
      "/usr/bin/pg_restore",  "--no-owner",      "--no-acl",      "--no-publications",
      "--no-subscriptions",   "--exit-on-error", "--no-password", "--jobs=4",
      "--dbname=playback_s1", "/tmp/a.dump"};
  EXPECT_EQ(restore_arguments(command), expected);
}

TEST(RestoreArguments, RestoreFromAListWhenGiven) {
  RestoreCommand command;
  command.program = "pg_restore";
  command.file = "/tmp/a.dump";
  command.dbname = "playback_s1";
  command.use_list = "/tmp/a.dump.list";
  const auto arguments = restore_arguments(command);
  EXPECT_NE(std::find(arguments.begin(), arguments.end(), "--use-list=/tmp/a.dump.list"),
            arguments.end());
  EXPECT_EQ(arguments.back(), "/tmp/a.dump");
}

TEST(WithoutEventTriggers, LeavesOutEveryEventTriggerEntryAndKeepsTheRest) {
  const std::string listing =
      ";\n; Archive created at 2026-12-06\n;     dbname: live\n"
      "; an EVENT TRIGGER in a comment stays\n"
      "215; 1259 16390 TABLE public shop tapedeck\n"
      "3380; 3466 16420 EVENT TRIGGER - tapedeck_schema_change tapedeck\n"
      "3381; 3466 16421 EVENT TRIGGER - tapedeck_schema_drop tapedeck\n"
      "3370; 0 16390 TABLE DATA public shop tapedeck\n";
  EXPECT_EQ(without_event_triggers(listing),
            ";\n; Archive created at 2026-12-06\n;     dbname: live\n"
            "; an EVENT TRIGGER in a comment stays\n"
            "215; 1259 16390 TABLE public shop tapedeck\n"
            "3370; 0 16390 TABLE DATA public shop tapedeck\n");
}

TEST(VerboseLine, CountsOneLinePerItemRestored) {
  EXPECT_EQ(verbose_line(R"(pg_restore: creating TABLE "public.shop")"), VerboseLine::item);
  EXPECT_EQ(verbose_line(R"(pg_restore: processing data for table "public.shop")"),
            VerboseLine::item);
  EXPECT_EQ(verbose_line("pg_restore: executing SEQUENCE SET shop_id_seq"), VerboseLine::item);
  EXPECT_EQ(verbose_line(R"(pg_restore: creating INDEX "public.shop_name_idx")"),
            VerboseLine::item);
}

TEST(VerboseLine, TellsInformationFromErrors) {
  // Parallel restores announce an item before a worker prints its "creating" line: not counted.
  EXPECT_EQ(verbose_line("pg_restore: launching item 3370 TABLE DATA shop"), VerboseLine::info);
  EXPECT_EQ(verbose_line("pg_restore: finished item 3370 TABLE DATA shop"), VerboseLine::info);
  EXPECT_EQ(verbose_line("pg_restore: processing item 215 TABLE shop"), VerboseLine::info);
  EXPECT_EQ(verbose_line("pg_restore: connecting to database for restore"), VerboseLine::info);
  EXPECT_EQ(verbose_line(R"(pg_restore: error: could not execute query: relation "x" exists)"),
            VerboseLine::other);
  EXPECT_EQ(verbose_line("pg_restore: warning: errors ignored on restore: 1"), VerboseLine::other);
  EXPECT_EQ(verbose_line("creating TABLE without the prefix"), VerboseLine::other);
  EXPECT_EQ(verbose_line(""), VerboseLine::other);
}

TEST(RestoredEntries, CountsTheEntriesRestoredOneByOne) {
  const std::string listing =
      ";\n; Archive created at 2026-12-06\n;     dbname: live\n"
      "3365; 0 0 ENCODING - ENCODING\n"
      "3366; 0 0 STDSTRINGS - STDSTRINGS\n"
      "3367; 0 0 SEARCHPATH - SEARCHPATH\n"
      "3368; 1262 16384 DATABASE - live tapedeck\n"
      "7; 2615 2200 SCHEMA - public pg_database_owner\n"
      "215; 1259 16390 TABLE public shop tapedeck\n"
      "3370; 0 16390 TABLE DATA public shop tapedeck\n"
      "3390; 0 0 SEQUENCE SET public shop_id_seq tapedeck\n"
      "\n";
  EXPECT_EQ(restored_entries(listing), 4u);
  EXPECT_EQ(restored_entries(""), 0u);
  EXPECT_EQ(restored_entries("; only comments\n;\n"), 0u);
}

TEST(RunPgRestore, CountsItemsFromVerboseOutputAndKeepsOnlyErrorsInTheReason) {
  TempDir dir;
  const auto script = dir.path() / "fake_restore";
  write_file(script,
             "#!/bin/sh\n"
             "echo 'pg_restore: connecting to database for restore' >&2\n"
             "echo 'pg_restore: creating TABLE \"public.a\"' >&2\n"
             "printf 'pg_restore: processing data for table \"public.a\"\\npg_restore: exec' >&2\n"
             "sleep 0.1\n"
             "echo 'uting SEQUENCE SET a_id_seq' >&2\n"
             "echo 'pg_restore: error: boom' >&2\n"
             "exit 1\n",
             true);
  RestoreCommand command;
  command.program = script.string();
  command.verbose = true;
  int items = 0;
  const auto failure = run_pg_restore(
      command, [] {}, 20ms, [&] { ++items; });
  EXPECT_EQ(items, 3);
  ASSERT_TRUE(failure);
  EXPECT_EQ(*failure, "pg_restore exited with status 1: pg_restore: error: boom");
}

TEST(RestoreArguments, VerboseWhenProgressIsFollowed) {
  RestoreCommand command;
  command.program = "pg_restore";
  command.file = "/tmp/a.dump";
  command.dbname = "playback_s1";
  const auto quiet = restore_arguments(command);
  EXPECT_EQ(std::count(quiet.begin(), quiet.end(), "--verbose"), 0);
  command.verbose = true;
  const auto arguments = restore_arguments(command);
  EXPECT_EQ(std::count(arguments.begin(), arguments.end(), "--verbose"), 1);
  EXPECT_EQ(arguments.back(), "/tmp/a.dump");
}

TEST(TailOf, KeepsShortTextAndDropsTrailingNewlines) {
  EXPECT_EQ(tail_of("error: boom\n\n", 100), "error: boom");
}

TEST(TailOf, KeepsTheEndOfLongTextFromALineStart) {
  const std::string text = std::string(50, 'a') + "\nlast line\n";
  EXPECT_EQ(tail_of(text, 20), "last line");
}

TEST(RunPgRestore, ReportsTheExitStatusAndTheErrorOutput) {
  TempDir dir;
  const auto script = dir.path() / "fake_restore";
  write_file(script, "#!/bin/sh\necho \"pg_restore: error: $PGDATABASE refused\" >&2\nexit 3\n",
             true);
  RestoreCommand command;
  command.program = script.string();
  command.file = "/dev/null";
  command.dbname = "x";
  command.environment = {"PGDATABASE=target_db"};
  const auto failure = run_pg_restore(
      command, [] {}, 100ms);
  ASSERT_TRUE(failure);
  EXPECT_EQ(*failure, "pg_restore exited with status 3: pg_restore: error: target_db refused");
}

TEST(RunPgRestore, ReturnsNothingWhenTheRestoreSucceeds) {
  TempDir dir;
  const auto script = dir.path() / "fake_restore";
  write_file(script, "#!/bin/sh\nexit 0\n", true);
  RestoreCommand command;
  command.program = script.string();
  EXPECT_FALSE(run_pg_restore(
      command, [] {}, 100ms));
}

bool running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

TEST(RunPgRestore, KillsTheRestoreAndItsWorkersWhenTheTickThrows) {
  TempDir dir;
  const auto script = dir.path() / "fake_restore";
  const auto pids = dir.path() / "pids";
  write_file(script, "#!/bin/sh\nsleep 300 &\necho $$ $! > " + pids.string() + "\nsleep 300\n",
             true);
  RestoreCommand command;
  command.program = script.string();
  struct Abandon {};
  int ticks = 0;
  EXPECT_THROW(run_pg_restore(
                   command,
                   [&] {
                     if (fs::exists(pids) && fs::file_size(pids) > 0 && ++ticks > 1) {
                       throw Abandon{};
                     }
                   },
                   50ms),
               Abandon);
  pid_t parent = 0;
  pid_t worker = 0;
  std::ifstream(pids) >> parent >> worker;
  ASSERT_GT(parent, 0);
  ASSERT_GT(worker, 0);
  EXPECT_FALSE(running(parent));
  for (int i = 0; i < 100 && running(worker); ++i) ::usleep(50'000);
  EXPECT_FALSE(running(worker));
}

TEST(RunPgRestore, RefusesAProgramThatCannotBeStarted) {
  RestoreCommand command;
  command.program = "/nonexistent/pg_restore";
  EXPECT_THROW(run_pg_restore(
                   command, [] {}, 100ms),
               Error);
}

}  // namespace
}  // namespace tapedeck::dbop
