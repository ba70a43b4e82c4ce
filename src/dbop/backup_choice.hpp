// Which snapshot a playback session starts from: pure, so it is tested without servers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/backups/backup_record.hpp"
#include "core/session.hpp"

namespace tapedeck::dbop {

// True when `backup` may seed a session starting at `start`, that is when restoring it and then
// replaying the recorded transactions not visible in its snapshot with commit time <= start
// gives the Live DB exactly as it was at `start`.
//
// The deciding time is created_at: the backup job reads clock_timestamp() in the very statement
// that takes the exported snapshot, after the snapshot was taken, so every transaction visible
// in the snapshot committed (its commit record, whose time transform stores as commit_time, is
// written before the transaction becomes visible) before created_at. created_at <= start thus
// guarantees the backup holds no transaction committed after start, which catch-up (filtered by
// commit_time <= start) could never take back out. system_time alone cannot promise that: the
// timekeeper writes it at most once a second, so a snapshot may already hold transactions
// committed up to a second after the system_time it shows. system_time is checked as well when
// the row has one (it must not be after start either, so the Playback DB never shows a system
// time later than the session start; it can only differ from created_at by clock skew between
// the timekeeper and the Live DB server). Rows being deleted never qualify.
bool usable_for(const backups::BackupRecord& backup, session::Time start);

// The newest backup usable for `start` (latest created_at, then highest id), or nullopt.
// Throws Error(internal, invalid) when a row's created_at or system_time is not an ISO 8601
// time (the rows are written by the backup job, so that is a bug, not a user error).
std::optional<backups::BackupRecord> choose_backup(
    const std::vector<backups::BackupRecord>& backups, session::Time start);

// The KO reason when no backup qualifies: "no snapshot at or before <time>; take one with
// `tapedeck backup run`".
std::string no_backup_reason(session::Time start);

}  // namespace tapedeck::dbop
