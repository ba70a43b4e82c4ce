// Queries on tapedeck.backup_checksums and tapedeck.verifications, and their printed forms.
#include "core/backups/verification_record.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/pg/params.hpp"

namespace tapedeck::backups {

namespace {

constexpr const char* kInsertChecksum = R"(
INSERT INTO tapedeck.backup_checksums (backup_id, schema_name, table_name, row_count, checksum)
VALUES ($1, $2, $3, $4, $5))";

constexpr const char* kChecksumsOf = R"(
SELECT schema_name, table_name, row_count, checksum FROM tapedeck.backup_checksums
 WHERE backup_id = $1 ORDER BY schema_name, table_name)";

constexpr const char* kInsertVerification = R"(
INSERT INTO tapedeck.verifications
  (started_at, older_backup_id, newer_backup_id, covers_from, covers_until, result, reason,
   statements, tables)
VALUES ($1::timestamptz, $2, $3, $4::timestamptz, $5::timestamptz, $6, $7, $8, $9::jsonb)
RETURNING id)";

// Times as RFC 3339 UTC text with microseconds, independent of the session's TimeZone.
constexpr const char* kListVerifications = R"(
SELECT id,
       to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       older_backup_id, newer_backup_id,
       to_char(covers_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       to_char(covers_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       result, reason, statements, tables::text
  FROM tapedeck.verifications ORDER BY id DESC LIMIT $1)";

constexpr const char* kVerifiedWindows = R"(
SELECT (extract(epoch FROM covers_from) * 1000000)::int8,
       (extract(epoch FROM covers_until) * 1000000)::int8
  FROM tapedeck.verifications WHERE result = 'ok')";

nlohmann::ordered_json table_json(const TableVerdict& table) {
  nlohmann::ordered_json object;
  object["schema"] = table.schema;
  object["table"] = table.table;
  object["status"] = table.status;
  object["expected_rows"] = table.expected_rows;
  object["actual_rows"] = table.actual_rows;
  object["first_difference"] = table.first_difference;
  return object;
}

nlohmann::ordered_json to_json_object(const Verification& verification) {
  nlohmann::ordered_json object;
  object["id"] = verification.id;
  object["started_at"] = verification.started_at;
  object["finished_at"] = verification.finished_at;
  object["older_backup_id"] = verification.older_backup_id;
  object["newer_backup_id"] = verification.newer_backup_id;
  object["covers_from"] = verification.covers_from;
  object["covers_until"] = verification.covers_until;
  object["result"] = to_string(verification.result);
  object["reason"] = verification.reason;
  object["statements"] = verification.statements;
  auto tables = nlohmann::ordered_json::array();
  for (const auto& table : verification.tables) tables.push_back(table_json(table));
  object["tables"] = std::move(tables);
  return object;
}

std::vector<TableVerdict> tables_from_json(std::string_view text) {
  std::vector<TableVerdict> tables;
  for (const auto& object : nlohmann::json::parse(text)) {
    TableVerdict table;
    table.schema = object.value("schema", "");
    table.table = object.value("table", "");
    table.status = object.value("status", "");
    table.expected_rows = object.value("expected_rows", std::int64_t{0});
    table.actual_rows = object.value("actual_rows", std::int64_t{0});
    table.first_difference = object.value("first_difference", "");
    tables.push_back(std::move(table));
  }
  return tables;
}

}  // namespace

void insert_checksums(pg::Connection& live, std::int64_t backup_id,
                      const std::vector<TableChecksum>& sums) {
  for (const auto& sum : sums) {
    live.exec_params(kInsertChecksum,
                     pg::Params::of(backup_id, sum.schema, sum.table, sum.rows, sum.checksum));
  }
}

std::vector<TableChecksum> checksums_of(pg::Connection& live, std::int64_t backup_id) {
  const auto result = live.exec_params(kChecksumsOf, pg::Params::of(backup_id));
  std::vector<TableChecksum> sums;
  sums.reserve(static_cast<std::size_t>(result.rows()));
  for (int row = 0; row < result.rows(); ++row) {
    sums.push_back({result.get<std::string>(row, 0), result.get<std::string>(row, 1),
                    result.get<std::int64_t>(row, 2), result.get<std::string>(row, 3)});
  }
  return sums;
}

std::string_view to_string(VerifyResult result) {
  switch (result) {
    case VerifyResult::ok:
      return "ok";
    case VerifyResult::diverged:
      return "diverged";
    case VerifyResult::failed:
      return "failed";
  }
  return "failed";
}

std::optional<VerifyResult> parse_verify_result(std::string_view text) {
  for (const auto result : {VerifyResult::ok, VerifyResult::diverged, VerifyResult::failed}) {
    if (to_string(result) == text) return result;
  }
  return std::nullopt;
}

std::int64_t insert_verification(pg::Connection& live, const Verification& verification) {
  nlohmann::ordered_json tables = nlohmann::ordered_json::array();
  for (const auto& table : verification.tables) tables.push_back(table_json(table));
  const auto inserted = live.exec_params(
      kInsertVerification,
      pg::Params::of(verification.started_at, verification.older_backup_id,
                     verification.newer_backup_id, verification.covers_from,
                     verification.covers_until, std::string(to_string(verification.result)),
                     verification.reason, verification.statements, tables.dump()));
  return inserted.get<std::int64_t>(0, 0);
}

std::vector<Verification> list_verifications(pg::Connection& live, int limit) {
  const auto result = live.exec_params(kListVerifications, pg::Params::of(limit));
  std::vector<Verification> verifications;
  verifications.reserve(static_cast<std::size_t>(result.rows()));
  for (int row = 0; row < result.rows(); ++row) {
    Verification verification;
    verification.id = result.get<std::int64_t>(row, 0);
    verification.started_at = result.get<std::string>(row, 1);
    verification.finished_at = result.get<std::string>(row, 2);
    verification.older_backup_id = result.get<std::int64_t>(row, 3);
    verification.newer_backup_id = result.get<std::int64_t>(row, 4);
    verification.covers_from = result.get<std::string>(row, 5);
    verification.covers_until = result.get<std::string>(row, 6);
    verification.result = parse_verify_result(result.text(row, 7)).value_or(VerifyResult::failed);
    verification.reason = result.get<std::string>(row, 8);
    verification.statements = result.get<std::int64_t>(row, 9);
    verification.tables = tables_from_json(result.text(row, 10));
    verifications.push_back(std::move(verification));
  }
  return verifications;
}

std::vector<VerifiedWindow> verified_windows(pg::Connection& live) {
  const auto result = live.exec(kVerifiedWindows);
  std::vector<VerifiedWindow> windows;
  windows.reserve(static_cast<std::size_t>(result.rows()));
  for (int row = 0; row < result.rows(); ++row) {
    windows.push_back({result.get<std::int64_t>(row, 0), result.get<std::int64_t>(row, 1)});
  }
  return windows;
}

std::string verification_to_json(const Verification& verification) {
  return to_json_object(verification).dump(2);
}

std::string verifications_to_json(const std::vector<Verification>& verifications) {
  auto array = nlohmann::ordered_json::array();
  for (const auto& verification : verifications) array.push_back(to_json_object(verification));
  return array.dump(2);
}

std::string verification_to_text(const Verification& verification) {
  std::string out = fmt::format(
      "verification {}: {} — backup {} caught up to backup {} ({} to {}, {} statements)",
      verification.id, to_string(verification.result), verification.older_backup_id,
      verification.newer_backup_id, verification.covers_from, verification.covers_until,
      verification.statements);
  if (!verification.reason.empty()) out += fmt::format(": {}", verification.reason);
  out += '\n';
  for (const auto& table : verification.tables) {
    out += fmt::format("  {}.{}: {} ({} rows expected, {} found){}\n", table.schema, table.table,
                       table.status, table.expected_rows, table.actual_rows,
                       table.first_difference.empty()
                           ? ""
                           : fmt::format("; first differing key {}", table.first_difference));
  }
  return out;
}

}  // namespace tapedeck::backups
