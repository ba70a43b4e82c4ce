// Verdicts of `tapedeck verify` (tapedeck.verifications in the Live DB) and the per-table
// checksums the backup job records (tapedeck.backup_checksums): the one home of both tables'
// queries. `tapedeck verify` and the scheduler write verdicts; replaymgr and the CLI read them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/backups/table_checksums.hpp"
#include "core/pg/connection.hpp"

namespace tapedeck::backups {

// --- tapedeck.backup_checksums ----------------------------------------------------------------

// Stores the checksums of backup `backup_id` (in whatever transaction `live` is in).
void insert_checksums(pg::Connection& live, std::int64_t backup_id,
                      const std::vector<TableChecksum>& sums);

// The checksums recorded for backup `backup_id`, by schema and table; empty when none were.
std::vector<TableChecksum> checksums_of(pg::Connection& live, std::int64_t backup_id);

// --- tapedeck.verifications -------------------------------------------------------------------

enum class VerifyResult { ok, diverged, failed };
std::string_view to_string(VerifyResult result);
std::optional<VerifyResult> parse_verify_result(std::string_view text);

// How one table compared. `status`: "ok", "differs" (checksums differ), "missing" (no such
// table in the caught-up database). `first_difference` names the first differing key and what
// differs there ("id=7: missing", "id=9: differs", "id=12: unexpected"), when one was found.
struct TableVerdict {
  std::string schema;
  std::string table;
  std::string status;
  std::int64_t expected_rows = 0;
  std::int64_t actual_rows = 0;
  std::string first_difference;
};

// One verification. Times are RFC 3339 UTC text with microseconds. Plain value.
struct Verification {
  std::int64_t id = 0;  // 0 until stored
  std::string started_at;
  std::string finished_at;
  std::int64_t older_backup_id = 0;
  std::int64_t newer_backup_id = 0;
  std::string covers_from;   // the older snapshot's moment (its system time, else created_at)
  std::string covers_until;  // the newer snapshot's moment
  VerifyResult result = VerifyResult::failed;
  std::string reason;                // why it failed, or a one-line summary of the divergence
  std::int64_t statements = 0;       // recorded statements applied by the catch-up
  std::vector<TableVerdict> tables;  // only the diverging ones when diverged; empty when failed
};

// Stores `verification` (its id and finished_at are set by the database); returns its id.
std::int64_t insert_verification(pg::Connection& live, const Verification& verification);

// The newest `limit` verifications, latest first.
std::vector<Verification> list_verifications(pg::Connection& live, int limit = 100);

// The windows [covers_from, covers_until] of the passing verifications, as microseconds since
// the epoch: a session starting inside one replays a stretch of the recording that has been
// proven to rebuild the Live DB exactly (one query for a whole list of sessions).
struct VerifiedWindow {
  std::int64_t from_us = 0;
  std::int64_t until_us = 0;
  bool covers(std::int64_t moment_us) const {
    return from_us <= moment_us && moment_us <= until_us;
  }
};
std::vector<VerifiedWindow> verified_windows(pg::Connection& live);

// The JSON the API and `tapedeck verify --json` print: one object per verification.
std::string verification_to_json(const Verification& verification);
std::string verifications_to_json(const std::vector<Verification>& verifications);
// For a person: the verdict line, then one line per diverging table.
std::string verification_to_text(const Verification& verification);

}  // namespace tapedeck::backups
