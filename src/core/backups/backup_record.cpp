// Reading, printing and naming snapshot metadata rows.
#include "core/backups/backup_record.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/backups/backups_table.hpp"

namespace tapedeck::backups {

namespace {

// Times as RFC 3339 UTC text with microseconds, independent of the session's TimeZone.
constexpr const char* kListBackups = R"(
SELECT id, object_key, storage_url, size_bytes, sha256,
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       to_char(system_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       lsn::text, txid_snapshot::text, server_version, deleting, database_locale::text
  FROM tapedeck.backups
 WHERE $1 OR NOT deleting
 ORDER BY created_at, id)";

}  // namespace

std::vector<BackupRecord> list_backups(pg::Connection& live, bool include_deleting) {
  const auto result = live.exec_params(kListBackups, pg::Params::of(include_deleting));
  std::vector<BackupRecord> backups;
  backups.reserve(static_cast<std::size_t>(result.rows()));
  for (int row = 0; row < result.rows(); ++row) {
    BackupRecord record;
    record.id = result.get<std::int64_t>(row, 0);
    record.object_key = result.get<std::string>(row, 1);
    record.storage_url = result.get<std::string>(row, 2);
    record.size_bytes = result.get<std::int64_t>(row, 3);
    record.sha256 = result.get<std::string>(row, 4);
    record.created_at = result.get<std::string>(row, 5);
    record.system_time = result.get<std::optional<std::string>>(row, 6);
    record.lsn = Lsn::parse(result.text(row, 7)).value_or(Lsn{});
    record.txid_snapshot = result.get<std::string>(row, 8);
    record.server_version = result.get<std::string>(row, 9);
    record.deleting = result.get<bool>(row, 10);
    record.database_locale = result.get<std::optional<std::string>>(row, 11);
    backups.push_back(std::move(record));
  }
  return backups;
}

bool taken_since(pg::Connection& live, std::chrono::sys_time<std::chrono::microseconds> since) {
  if (!live.exec(table::kBackupsExist).get<bool>(0, 0)) return false;
  return live
      .exec_params(table::kTakenSince,
                   pg::Params::of(static_cast<std::int64_t>(since.time_since_epoch().count())))
      .get<bool>(0, 0);
}

std::string backups_to_json(const std::vector<BackupRecord>& backups) {
  nlohmann::ordered_json array = nlohmann::ordered_json::array();
  for (const auto& backup : backups) {
    nlohmann::ordered_json object;
    object["id"] = backup.id;
    object["object_key"] = backup.object_key;
    object["storage_url"] = backup.storage_url;
    object["size_bytes"] = backup.size_bytes;
    object["sha256"] = backup.sha256;
    object["created_at"] = backup.created_at;
    object["system_time"] = backup.system_time ? nlohmann::ordered_json(*backup.system_time)
                                               : nlohmann::ordered_json(nullptr);
    object["lsn"] = backup.lsn.str();
    object["txid_snapshot"] = backup.txid_snapshot;
    object["server_version"] = backup.server_version;
    object["database_locale"] = backup.database_locale
                                    ? nlohmann::ordered_json::parse(*backup.database_locale)
                                    : nlohmann::ordered_json(nullptr);
    object["deleting"] = backup.deleting;
    array.push_back(std::move(object));
  }
  return array.dump(2);
}

std::string human_size(std::int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string backups_to_table(const std::vector<BackupRecord>& backups) {
  if (backups.empty()) return "no backups\n";
  std::string out = fmt::format("{:>6}  {:<27}  {:>10}  {:<17}  {}\n", "ID", "CREATED (UTC)",
                                "SIZE", "LSN", "OBJECT");
  for (const auto& backup : backups) {
    out += fmt::format("{:>6}  {:<27}  {:>10}  {:<17}  {}{}\n", backup.id, backup.created_at,
                       human_size(backup.size_bytes), backup.lsn.str(), backup.object_key,
                       backup.deleting ? "  (deleting)" : "");
  }
  return out;
}

std::string backup_object_key(const std::string& taken_at, Lsn lsn) {
  std::string stamp;
  for (const char c : taken_at) {
    if (c != '-' && c != ':') stamp += c;
  }
  std::string position = lsn.str();
  std::replace(position.begin(), position.end(), '/', '-');
  return fmt::format("snapshots/{}-{}.dump", stamp, position);
}

}  // namespace tapedeck::backups
