// The backup job: pg_dump on an exported snapshot, streamed to storage, then its metadata row.
#pragma once

#include <functional>
#include <string>

#include "core/backups/backup_record.hpp"
#include "core/backups/table_checksums.hpp"
#include "core/config.hpp"
#include "core/lsn.hpp"
#include "core/pg/connection.hpp"
#include "core/storage/object_store.hpp"

namespace tapedeck::scheduler {

struct BackupSettings {
  std::string live_dsn;
  storage::StoreConfig store;
  // pg_dump to run; empty: pg::find_client_program("pg_dump", ...) for the server's major version.
  std::string pg_dump;
  // application_name of the job's connection and of pg_dump's.
  std::string application_name = "tapedeck-backup";
  // Per-table checksums of the snapshot (scheduler.backup_checksums), over the tables capture
  // records (capture.include_tables / capture.exclude_tables): what `tapedeck verify` compares.
  bool table_checksums = true;
  backups::TableSelection recorded_tables;
};

// live.dsn and the snapshot store.
BackupSettings backup_settings(const config::Config& config);

// What the exporting transaction saw, handed to BackupHooks::snapshot_exported.
struct ExportedSnapshot {
  std::string snapshot_id;    // pg_export_snapshot()
  std::string txid_snapshot;  // pg_current_snapshot()
  Lsn lsn;
  std::string object_key;
};

// Called on the job's thread at fixed points (tests use them to commit a transaction while
// the dump runs); empty by default.
struct BackupHooks {
  std::function<void(const ExportedSnapshot&)> snapshot_exported;
  // After the object is stored, before its row is inserted (tests crash the job here).
  std::function<void(const ExportedSnapshot&)> object_stored;
};

// Runs the backup once (DESIGN §3.3):
// 1. a REPEATABLE READ, read-only transaction on the Live DB exports its snapshot and reads
//    pg_current_snapshot(), pg_current_wal_lsn(), tapedeck.system_time, the server version
//    and the time;
// 2. pg_dump -Fc --snapshot=<id> streams into the store (bounded memory, SHA-256 on the way)
//    while the transaction stays open;
// 3. when pg_dump exited 0, the same transaction (so the same snapshot) computes each recorded
//    table's checksum (core/backups/table_checksums.hpp) unless settings.table_checksums is off;
// 4. only when the object is fully stored and pg_dump exited 0, the tapedeck.backups row is
//    inserted, with its tapedeck.backup_checksums rows in the same transaction. Any failure leaves
//    no row and no object (the object is removed again when pg_dump or the insert fails after the
//    upload).
// A row in tapedeck.backup_uploads journals the upload from before it starts until the row
// is inserted, so that the next backup (first of all, discard_interrupted_uploads) or
// cleanup_backups removes the object, and the unfinished upload, of a job killed in between.
// Takes no job lock: the caller must hold the backup job's (run_job_locked does), or that first
// step would remove a running backup's upload. Throws Error; returns the inserted row.
backups::BackupRecord run_backup(const BackupSettings& settings, const BackupHooks& hooks = {});

// Removes the tapedeck.backup_uploads entry of `key`: its object is recorded or removed.
void end_upload_journal_entry(pg::Connection& live, const storage::ObjectKey& key);

}  // namespace tapedeck::scheduler
