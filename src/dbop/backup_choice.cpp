// Choosing the snapshot a session starts from.
#include "dbop/backup_choice.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace tapedeck::dbop {

namespace {

session::Time parse_or_throw(const std::string& text, std::int64_t id, const char* column) {
  const auto time = session::parse_time(text);
  if (!time) {
    throw Error(ErrorSource::internal, Recovery::invalid,
                fmt::format("backup {} has an unreadable {} '{}'; check tapedeck.backups", id,
                            column, text));
  }
  return *time;
}

}  // namespace

bool usable_for(const backups::BackupRecord& backup, session::Time start) {
  if (backup.deleting) return false;
  if (parse_or_throw(backup.created_at, backup.id, "created_at") > start) return false;
  if (backup.system_time && parse_or_throw(*backup.system_time, backup.id, "system_time") > start) {
    return false;
  }
  return true;
}

std::optional<backups::BackupRecord> choose_backup(
    const std::vector<backups::BackupRecord>& backups, session::Time start) {
  std::optional<backups::BackupRecord> best;
  std::optional<session::Time> best_time;
  for (const auto& backup : backups) {
    if (!usable_for(backup, start)) continue;
    const auto created = parse_or_throw(backup.created_at, backup.id, "created_at");
    if (!best || created > *best_time || (created == *best_time && backup.id > best->id)) {
      best = backup;
      best_time = created;
    }
  }
  return best;
}

std::string no_backup_reason(session::Time start) {
  return fmt::format("no snapshot at or before {}; take one with `tapedeck backup run`",
                     session::format_time(start));
}

}  // namespace tapedeck::dbop
