// Restoring one session's snapshot: choose the backup, download and verify it, create the
// session database and pg_restore into it.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "core/backups/backup_record.hpp"
#include "core/session.hpp"
#include "core/storage/object_store.hpp"

namespace tapedeck::dbop {

struct RestoreSettings {
  std::string live_dsn;      // where tapedeck.backups is
  std::string playback_dsn;  // the playback server and its admin database
  std::filesystem::path work_dir;
  int restore_jobs = 2;
  // Create the session database with the Live DB's encoding and locale recorded with the
  // backup (dbop.match_live_locale); false: the playback server's defaults.
  bool match_live_locale = true;
  // Credentials (s3.*) for the backups' stores; `url` is used only for a row whose
  // storage_url does not end with its object key.
  storage::StoreConfig store;
  std::string pg_restore;  // empty: pg::find_client_program("pg_restore", ...) for the playback
                           // server's version
  // How often `tick` is called at least while downloading and restoring.
  std::chrono::milliseconds tick_interval{1000};
};

// The store that holds `backup`: its storage_url with "/<object_key>" cut off (the backup job
// records the object's URL), or `fallback` when the URL does not end that way. Pure.
std::string store_url_of(const backups::BackupRecord& backup, const std::string& fallback);

// Streams object `key` of `store` into `path` (created or truncated) in bounded memory, hashing
// on the way, and checks size and SHA-256 against `backup`. `tick` is called about every
// `tick_interval` while bytes arrive. Throws Error(storage, fail) of kind content_mismatch,
// "checksum mismatch: expected <hex> got <hex>" or "size mismatch: expected N bytes got M",
// and whatever the store throws.
// The file is removed again when anything fails.
void download_verified(storage::ObjectStore& store, const backups::BackupRecord& backup,
                       const std::filesystem::path& path, const std::function<void()>& tick,
                       std::chrono::milliseconds tick_interval);

// Drops `database` on the playback server (WITH (FORCE): open sessions are cut). No error when
// it does not exist.
void drop_database(const std::string& playback_dsn, const std::string& database);

// What restore_snapshot did.
struct Restored {
  backups::BackupRecord backup;
  std::string database_name;
  std::uint64_t bytes = 0;  // downloaded
};

// Restores the newest backup usable for `start` (choose_backup) into a new database
// `database_name` on the playback server: downloads it to settings.work_dir, verifies it,
// drops a database of that name left over (the caller checked that no live session holds it),
// creates the database from template0 and runs pg_restore. The downloaded file is removed
// whatever happens. `tick` is called about every tick_interval while work is under way (and
// between the steps); what it throws aborts the restore and propagates. Throws Error with a
// message fit for the session's failure reason: not_found "no snapshot at or before ..." when
// no backup qualifies, the storage error for a missing object, "checksum mismatch: ..." for a
// corrupted one, "pg_restore exited with status N: ..." (postgres, fail) when it fails; a
// lost connection is Recovery::retry. A database it created is left in place on failure: the
// caller drops it.
// `on_bytes(done, total)`, when given, is called with each tick: the snapshot's bytes
// downloaded so far of its size (done == total once pg_restore runs).
// `on_items(done, total)`, when given, is called while pg_restore runs (and once before it
// starts, with done 0): the items of the dump's table of contents restored so far of those it
// restores (restored_entries), from pg_restore's --verbose lines; done == total at the end.
using RestoreBytes = std::function<void(std::uint64_t done, std::uint64_t total)>;
using RestoreItems = std::function<void(std::uint64_t done, std::uint64_t total)>;
Restored restore_snapshot(const RestoreSettings& settings, const std::string& database_name,
                          session::Time start, const std::function<void()>& tick,
                          const RestoreBytes& on_bytes = {}, const RestoreItems& on_items = {});

// restore_snapshot of a given backup (`tapedeck verify` restores the older of two): download,
// verify, fresh database, pg_restore, with the same errors.
Restored restore_backup(const RestoreSettings& settings, const std::string& database_name,
                        const backups::BackupRecord& backup, const std::function<void()>& tick,
                        const RestoreBytes& on_bytes = {}, const RestoreItems& on_items = {});

}  // namespace tapedeck::dbop
