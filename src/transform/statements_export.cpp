// Export of stored statements as a psql script; store statistics.
#include "transform/statements_export.hpp"

#include <fmt/format.h>

#include <charconv>
#include <iterator>

#include "core/backups/backups_table.hpp"
#include "core/error.hpp"
#include "core/pg/transaction.hpp"
#include "core/recorded_statement.hpp"
#include "core/recording/dead_letters_table.hpp"
#include "core/recording/rtus_calls_table.hpp"
#include "core/recording/statements_table.hpp"
#include "core/recording/watermarks_table.hpp"

namespace tapedeck::transform {
namespace {

constexpr int kFetchRows = 2000;

std::uint64_t to_u64(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw Error(ErrorSource::postgres, Recovery::fail,
                fmt::format("expected an unsigned number, got \"{}\"", text));
  }
  return value;
}

}  // namespace

ScriptWriter::ScriptWriter(std::function<void(std::string_view)> sink) : sink_(std::move(sink)) {}

void ScriptWriter::header(std::string_view description) {
  buffer_.clear();
  buffer_.append("-- tapedeck statements export");
  if (!description.empty()) {
    buffer_.append(": ");
    // A comment ends at the line's end: keep the description on one line.
    for (const char c : description) buffer_.push_back(c == '\n' || c == '\r' ? ' ' : c);
  }
  buffer_.append("\n-- Run with: psql -v ON_ERROR_STOP=1 -f <this file>\n");
  for (const std::string_view setting : recorded_statement::kReadSettings) {
    fmt::format_to(std::back_inserter(buffer_), "SET {};\n", setting);
  }
  sink_(buffer_);
}

void ScriptWriter::statement(Lsn commit_lsn, Xid xid, std::string_view commit_time,
                             std::string_view sql) {
  buffer_.clear();
  if (!open_ || commit_lsn != commit_lsn_ || xid != xid_) {
    if (open_) buffer_.append("COMMIT;\n");
    fmt::format_to(std::back_inserter(buffer_), "-- xid {}, commit LSN {}, committed {}\nBEGIN;\n",
                   xid.value, commit_lsn.str(), commit_time);
    open_ = true;
    commit_lsn_ = commit_lsn;
    xid_ = xid;
    ++transactions_;
  }
  buffer_.append(sql);
  buffer_.append(";\n");
  ++statements_;
  sink_(buffer_);
}

void ScriptWriter::finish() {
  if (!open_) return;
  open_ = false;
  sink_("COMMIT;\n");
}

TxidSnapshot backup_snapshot(pg::Connection& live, std::int64_t backup_id) {
  const auto result = live.exec_params(backups::table::kSnapshotOf, pg::Params::of(backup_id));
  if (result.rows() == 0) {
    throw Error(ErrorSource::input, Recovery::not_found,
                fmt::format("there is no backup {} in tapedeck.backups of the Live DB; "
                            "`tapedeck snapshots` lists them",
                            backup_id));
  }
  return TxidSnapshot::parse(result.text(0, 0));
}

ExportSummary export_statements(pg::Connection& store, pg::Connection* live,
                                const ExportOptions& options, ScriptWriter& writer) {
  std::optional<TxidSnapshot> snapshot;
  if (options.after_snapshot) {
    if (live == nullptr) {
      throw Error(ErrorSource::internal, Recovery::fail,
                  "export after a snapshot needs a Live DB connection");
    }
    snapshot = backup_snapshot(*live, *options.after_snapshot);
  }
  std::optional<std::string> min_xid;
  if (snapshot) min_xid = std::to_string(snapshot->xmin().value);

  pg::Transaction transaction(store, pg::Isolation::repeatable_read, pg::Access::read_only);
  transaction.exec_params(recording::statements::kExportCursor,
                          pg::Params::of(options.since, options.until, min_xid));
  const std::string fetch = fmt::format("FETCH {} FROM statements_export", kFetchRows);
  for (;;) {
    const auto rows = transaction.exec(fetch);
    for (int row = 0; row < rows.rows(); ++row) {
      const auto lsn = Lsn::parse(rows.text(row, 0));
      const Xid xid{to_u64(rows.text(row, 1))};
      if (snapshot && !snapshot->after_snapshot(xid)) continue;
      writer.statement(lsn.value_or(Lsn{}), xid, rows.text(row, 2), rows.text(row, 3));
    }
    if (rows.rows() < kFetchRows) break;
  }
  writer.finish();
  ExportSummary summary;
  summary.statements = writer.statements();
  summary.transactions = writer.transactions();
  // In the transaction's snapshot too: the same store as the statements just written.
  const auto dead =
      recording::dead_letters::in_window(store, {std::nullopt, options.since, options.until}, 1);
  summary.dead_letters = dead.count;
  if (!dead.described.empty()) summary.oldest_dead_letter = dead.described.front();
  summary.held = recording::watermarks::held_in_window(store, options.since, options.until);
  transaction.commit();
  return summary;
}

std::string statements_stats(pg::Connection& store) {
  std::string out;
  const auto totals = store.exec(recording::statements::kTotals);
  fmt::format_to(std::back_inserter(out), "statements: {} in {} transactions\n", totals.text(0, 0),
                 totals.text(0, 1));
  if (!totals.is_null(0, 2)) {
    fmt::format_to(std::back_inserter(out), "commit time: {} .. {}\n", totals.text(0, 2),
                   totals.text(0, 3));
  }
  const auto by_table = store.exec(recording::statements::kCountsByTableAndOp);
  if (by_table.rows() > 0) out.append("by table and op:\n");
  for (int row = 0; row < by_table.rows(); ++row) {
    fmt::format_to(std::back_inserter(out), "  {}.{} {} {}\n", by_table.text(row, 0),
                   by_table.text(row, 1), by_table.text(row, 2), by_table.text(row, 3));
  }
  const auto rtus = store.exec(recording::rtus_calls::kTotals);
  fmt::format_to(std::back_inserter(out), "rtus calls: {}", rtus.text(0, 0));
  if (!rtus.is_null(0, 1)) {
    fmt::format_to(std::back_inserter(out), " ({} .. {})", rtus.text(0, 1), rtus.text(0, 2));
  }
  out.push_back('\n');
  const auto dead = store.exec(recording::dead_letters::kCount);
  fmt::format_to(std::back_inserter(out), "dead letters: {}\n", dead.text(0, 0));
  const auto latest = store.exec(recording::dead_letters::kNewest);
  for (int row = 0; row < latest.rows(); ++row) {
    fmt::format_to(std::back_inserter(out), "  {} {}#{} {}{}: {}\n", latest.text(row, 0),
                   latest.text(row, 1), latest.text(row, 2), latest.text(row, 3),
                   latest.text(row, 5), latest.text(row, 4));
  }
  for (const auto& mark : recording::watermarks::list(store)) {
    fmt::format_to(std::back_inserter(out), "watermark {}: {} (updated {})\n", mark.name, mark.lsn,
                   mark.updated_at);
  }
  for (const auto& hold : recording::watermarks::list_holds(store)) {
    fmt::format_to(std::back_inserter(out),
                   "watermark {} held before commit {}: message positions {} missing (since {})\n",
                   hold.name, hold.commit_lsn, hold.missing, hold.noticed_at);
  }
  return out;
}

}  // namespace tapedeck::transform
