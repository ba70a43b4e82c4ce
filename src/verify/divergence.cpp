// Choosing the backups, comparing checksums and locating the first differing row.
#include "verify/divergence.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"

namespace tapedeck::verify {

namespace {

const backups::BackupRecord& find_backup(const std::vector<backups::BackupRecord>& backups,
                                         std::int64_t id) {
  const auto found = std::find_if(backups.begin(), backups.end(),
                                  [id](const backups::BackupRecord& b) { return b.id == id; });
  if (found == backups.end()) {
    throw Error(ErrorSource::input, Recovery::not_found,
                fmt::format("no backup {} (see `tapedeck backup list`)", id));
  }
  return *found;
}

}  // namespace

std::pair<backups::BackupRecord, backups::BackupRecord> choose_pair(
    const std::vector<backups::BackupRecord>& backups, std::optional<std::int64_t> older,
    std::optional<std::int64_t> newer) {
  if (!older && !newer) {
    if (backups.size() < 2) {
      throw Error(ErrorSource::input, Recovery::not_found,
                  fmt::format("verify needs two backups and there {} {}",
                              backups.size() == 1 ? "is" : "are", backups.size()));
    }
    return {backups[backups.size() - 2], backups.back()};
  }
  if (!older || !newer) {
    throw Error(ErrorSource::input, Recovery::invalid,
                "give both --older and --newer, or neither (the two newest backups)");
  }
  const auto& first = find_backup(backups, *older);
  const auto& second = find_backup(backups, *newer);
  if (!(first.lsn < second.lsn)) {
    throw Error(ErrorSource::input, Recovery::invalid,
                fmt::format("backup {} (lsn {}) is not older than backup {} (lsn {})", first.id,
                            first.lsn.str(), second.id, second.lsn.str()));
  }
  return {first, second};
}

std::string moment_of(const backups::BackupRecord& backup) {
  return backup.system_time.value_or(backup.created_at);
}

std::vector<backups::TableVerdict> diverging_tables(
    const std::vector<backups::TableChecksum>& expected,
    const std::vector<std::optional<backups::TableChecksum>>& actual) {
  std::vector<backups::TableVerdict> diverging;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& want = expected[i];
    const auto& got = i < actual.size() ? actual[i] : std::nullopt;
    if (got && got->rows == want.rows && got->checksum == want.checksum) continue;
    backups::TableVerdict verdict;
    verdict.schema = want.schema;
    verdict.table = want.table;
    verdict.status = got ? "differs" : "missing";
    verdict.expected_rows = want.rows;
    verdict.actual_rows = got ? got->rows : 0;
    diverging.push_back(std::move(verdict));
  }
  return diverging;
}

std::optional<std::string> first_difference(const RowSource& expected, const RowSource& actual) {
  auto want = expected();
  auto got = actual();
  while (want || got) {
    if (want && got && want->key == got->key) {
      if (want->hash != got->hash) return fmt::format("{}: differs", want->key);
      want = expected();
      got = actual();
    } else if (!got || (want && want->key < got->key)) {
      return fmt::format("{}: missing", want->key);
    } else {
      return fmt::format("{}: unexpected", got->key);
    }
  }
  return std::nullopt;
}

std::string divergence_summary(const std::vector<backups::TableVerdict>& tables) {
  std::string out = fmt::format("{} table{} differ{}:", tables.size(),
                                tables.size() == 1 ? "" : "s", tables.size() == 1 ? "s" : "");
  for (std::size_t i = 0; i < tables.size(); ++i) {
    const auto& table = tables[i];
    out += fmt::format("{} {}.{} ({})", i == 0 ? "" : ",", table.schema, table.table,
                       table.first_difference.empty() ? table.status : table.first_difference);
  }
  return out;
}

}  // namespace tapedeck::verify
