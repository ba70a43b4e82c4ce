// `tapedeck verify`: restores an older backup into a scratch database, catches it up exactly to
// a newer backup's snapshot from the recording, and compares per-table checksums with those the
// backup job recorded for the newer snapshot. The verdict is stored in tapedeck.verifications.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/backups/verification_record.hpp"
#include "core/config.hpp"
#include "dbop/restore.hpp"
#include "msgop/catch_up.hpp"

namespace tapedeck::verify {

struct VerifySettings {
  std::string live_dsn;   // tapedeck.backups, backup_checksums, verifications
  std::string store_dsn;  // the recording
  // The restore (playback server, work folder, stores); the scratch databases live there.
  dbop::RestoreSettings restore;
  msgop::CatchUpOptions catch_up;
  std::string watermark_name;  // nats.cdc_stream: how far the recording is complete
  // How long to wait for the recording to reach the newer backup's LSN.
  std::chrono::milliseconds recording_wait{std::chrono::seconds(60)};
  // Scratch database names: "<prefix><older>_<newer>_<random>" and "..._newer".
  std::string database_prefix = "tapedeck_verify_";

  // live.dsn, store.dsn, playback.dsn, dbop.*, msgop.batch_statements, nats.cdc_stream.
  static VerifySettings from_config(const config::Config& config);
};

// Verifies backup `older` against backup `newer` (both or neither; neither: the two newest).
// 1. the recording must reach back to older's snapshot (msgop::recording_gap) and forward to
//    newer's LSN (transform's watermark; waits up to recording_wait);
// 2. dbop restores older into a scratch database; msgop's catch-up applies every recorded
//    transaction not visible in older's snapshot and visible in newer's;
// 3. each table of newer's recorded checksums is checksummed on the scratch database; for a
//    table that differs, newer is restored too and both are walked in key order to the first
//    differing row.
// The scratch databases are dropped whatever happens. The verdict (ok, diverged, or failed with
// the reason) is stored and returned. Throws Error(input, not_found/invalid) only when the
// backups cannot be chosen (nothing is stored then).
backups::Verification run_verification(const VerifySettings& settings,
                                       std::optional<std::int64_t> older = std::nullopt,
                                       std::optional<std::int64_t> newer = std::nullopt);

}  // namespace tapedeck::verify
