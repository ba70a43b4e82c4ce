// `tapedeck statements`: the stored statements as a psql script, and a summary of the store.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/lsn.hpp"
#include "core/pg/connection.hpp"
#include "core/txid_snapshot.hpp"

namespace tapedeck::transform {

// Writes statements as a script `psql -v ON_ERROR_STOP=1` runs: a header that sets
// recorded_statement::kReadSettings (every literal assumes them), then one BEGIN ... COMMIT per
// source transaction (consecutive statements with the same commit LSN and xid), in the order
// given. Pure: output goes to `sink`. One thread.
class ScriptWriter {
 public:
  explicit ScriptWriter(std::function<void(std::string_view)> sink);

  void header(std::string_view description);
  void statement(Lsn commit_lsn, Xid xid, std::string_view commit_time, std::string_view sql);
  // Closes the open transaction, if any.
  void finish();

  std::int64_t statements() const { return statements_; }
  std::int64_t transactions() const { return transactions_; }

 private:
  std::function<void(std::string_view)> sink_;
  std::string buffer_;
  bool open_ = false;
  Lsn commit_lsn_;
  Xid xid_;
  std::int64_t statements_ = 0;
  std::int64_t transactions_ = 0;
};

struct ExportOptions {
  std::optional<std::string> since;  // commit_time > since (any timestamptz input text)
  std::optional<std::string> until;  // commit_time <= until
  // Only transactions not visible in this backup's transaction snapshot (read from
  // tapedeck.backups in the Live DB): exactly what belongs after that snapshot.
  std::optional<std::int64_t> after_snapshot;
};

struct ExportSummary {
  std::int64_t statements = 0;
  std::int64_t transactions = 0;
  // Changes of the window transform dead-lettered (their place known), which the script lacks;
  // the oldest, described, when there are any.
  std::int64_t dead_letters = 0;
  std::string oldest_dead_letter;
  // Transactions of the window stored with messages missing (tapedeck.watermark_holds),
  // described: the script lacks their missing changes.
  std::vector<std::string> held;
};

// Streams the statements of the window, ordered by (commit_lsn, position), through a cursor
// (memory stays bounded whatever the size) into `writer`, and counts the window's dead letters
// in the same snapshot (after_snapshot does not narrow those: a dead letter has no xid). `live` is
// needed only for after_snapshot. Throws Error(postgres, ...) on failures, Error(input, not_found)
// for an unknown backup id, Error(input, invalid) for a time PostgreSQL cannot read.
ExportSummary export_statements(pg::Connection& store, pg::Connection* live,
                                const ExportOptions& options, ScriptWriter& writer);

// The snapshot recorded with backup `backup_id`. Throws Error(input, not_found) when none.
TxidSnapshot backup_snapshot(pg::Connection& live, std::int64_t backup_id);

// Counts by table and op, the commit time range, RTUS calls, dead letters (with the latest
// reasons) and watermarks, as text for a terminal.
std::string statements_stats(pg::Connection& store);

}  // namespace tapedeck::transform
