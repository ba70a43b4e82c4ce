// The pure part of a verification: which backups to compare, which tables diverge and the
// first row where two keyed row streams differ.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/backups/backup_record.hpp"
#include "core/backups/table_checksums.hpp"
#include "core/backups/verification_record.hpp"

namespace tapedeck::verify {

// The (older, newer) pair to verify among `backups` (oldest first): the ids given, or the two
// newest when none is. Throws Error(input, not_found) for an unknown id or fewer than two
// backups, Error(input, invalid) when `older` is not older than `newer`.
std::pair<backups::BackupRecord, backups::BackupRecord> choose_pair(
    const std::vector<backups::BackupRecord>& backups, std::optional<std::int64_t> older,
    std::optional<std::int64_t> newer);

// The moment a backup's snapshot shows: its system time, or its creation time without one.
std::string moment_of(const backups::BackupRecord& backup);

// Compares the recorded checksums of the newer backup (`expected`) with those computed on the
// caught-up database (`actual`, nullopt for a table it does not have). Returns the diverging
// tables only ("differs" or "missing"), in `expected` order.
std::vector<backups::TableVerdict> diverging_tables(
    const std::vector<backups::TableChecksum>& expected,
    const std::vector<std::optional<backups::TableChecksum>>& actual);

// Yields rows in key order (bytewise), nullopt after the last.
using RowSource = std::function<std::optional<backups::KeyedRow>()>;

// Walks two key-ordered row streams together and describes the first difference: "<key>:
// differs" (same key, other row), "<key>: missing" (only in `expected`), "<key>: unexpected"
// (only in `actual`); nullopt when they are equal.
std::optional<std::string> first_difference(const RowSource& expected, const RowSource& actual);

// A one-line summary of a diverged verdict: "2 tables differ: public.items (id=7: missing), ...".
std::string divergence_summary(const std::vector<backups::TableVerdict>& tables);

}  // namespace tapedeck::verify
