// Batched, read-ahead catch-up and the recording-coverage check.
#include "msgop/catch_up.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <bit>
#include <span>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/pg/pipeline.hpp"
#include "core/recorded_statement.hpp"
#include "core/recording/dead_letters_table.hpp"
#include "core/recording/statements_table.hpp"
#include "core/session.hpp"
#include "msgop/overwritten_updates.hpp"
#include "msgop/read_ahead.hpp"
#include "msgop/statement_shape.hpp"

namespace tapedeck::msgop {

namespace {

// The recorded statement a failure names: its source transaction and its index there.
struct StatementRef {
  const RecordedTransaction* transaction = nullptr;
  std::size_t index = 0;
  bool one_row = false;        // a recorded UPDATE or DELETE: changes exactly one row
  std::uint64_t prepares = 0;  // the prepare of a shape sent before it: the shape's id, else 0
};

// "at commit LSN <lsn> position <p> (xid <x>)" and the statement, shortened.
std::pair<std::string, std::string> describe(const StatementRef& at) {
  const auto& tx = *at.transaction;
  const std::string position = at.index < tx.positions.size()
                                   ? std::to_string(tx.positions[at.index])
                                   : fmt::format("#{} of its transaction", at.index);
  std::string sql = tx.statements[at.index];
  constexpr std::size_t kShown = 500;
  if (sql.size() > kShown) sql = sql.substr(0, kShown) + "...";
  return {fmt::format("at commit LSN {} position {} (xid {})", tx.commit_lsn.str(), position,
                      tx.xid.value),
          std::move(sql)};
}

Error statement_failed(const Error& error, const StatementRef& at, std::size_t transactions) {
  const auto [where, sql] = describe(at);
  return std::move(Error(error.source(), error.recovery(),
                         fmt::format("msgop: applying the recorded statement {} failed: {}; its "
                                     "apply transaction ({} source transactions) was rolled "
                                     "back whole; statement: {}",
                                     where, error.message(), transactions, sql),
                         error.code())
                       .with_kind(error.kind()));
}

Error row_count_differs(const StatementRef& at, std::int64_t rows, std::size_t transactions) {
  const auto [where, sql] = describe(at);
  return Error(
      ErrorSource::input, Recovery::fail,
      fmt::format("msgop: the recorded statement {} changed {} rows of the session database where "
                  "it changed one row of the Live DB, so the session database no longer matches "
                  "the Live DB at that moment (a change missing from the recording, or a write to "
                  "the session database from elsewhere); its apply transaction ({} source "
                  "transactions) was rolled back whole; statement: {}",
                  where, rows, transactions, sql));
}

bool changes_one_row(std::string_view statement) {
  return statement.starts_with(recorded_statement::kUpdate) ||
         statement.starts_with(recorded_statement::kDelete);
}

// Drops every statement prepared on `target`, and `prepared`'s record of them: the next use
// of a shape prepares it again, under a new name.
void forget_prepared(pg::Connection& target, PreparedShapes& prepared) {
  prepared.forget();
  target.exec("DEALLOCATE ALL");
}

}  // namespace

std::size_t apply_transactions(pg::Connection& target, std::span<const RecordedTransaction> group,
                               Inserts inserts, Commits commits, PreparedShapes* prepared,
                               Overwritten overwritten) {
  using recorded_statement::kDdlSearchPath;
  using recorded_statement::kTruncateOnly;
  // The most rows of one multi-row INSERT: past some 16 rows a statement saves little more
  // (docs/performance.md), and each size a run is cut into is one more prepared statement.
  constexpr std::size_t kChunkRows = 64;
  const bool commit_each = commits == Commits::each;
  // How many source transactions a failure rolls back.
  const std::size_t transactions = commit_each ? 1 : group.size();
  // What each statement sent through the current pipeline is; no transaction for BEGIN.
  std::vector<StatementRef> sent;
  std::optional<pg::Pipeline> pipeline;
  std::string truncates;  // a run of TRUNCATEs as one command
  StatementRef truncates_at;
  // A run of one-row INSERTs of one shape: the first one's shape and types, every one's values
  // in order, and where each was recorded.
  ShapedStatement run;
  std::size_t run_head = 0;
  std::vector<StatementRef> run_rows;
  ShapedStatement shaped;  // the statement being read
  std::string chunk_shape;
  std::vector<std::uint32_t> chunk_types;
  // Waits for what was sent, the transaction still open, and checks every statement's rows; a
  // failure rolls the transaction back and names the statement.
  auto sync = [&] {
    try {
      pipeline->sync();
    } catch (const pg::PipelineError& error) {
      // Pipeline::sync rolled back the explicit transaction the failure left open.
      const std::size_t index = error.statement_index();
      if (index < sent.size() && sent[index].transaction != nullptr) {
        const StatementRef& at = sent[index];
        if (at.prepares != 0 && prepared != nullptr) prepared->refuse(at.prepares);
        throw statement_failed(error, at, transactions);
      }
      throw;
    }
    const auto& rows = pipeline->synced_rows();
    for (std::size_t i = 0; i < sent.size() && i < rows.size(); ++i) {
      if (!sent[i].one_row || rows[i] == 1) continue;
      const std::int64_t changed = rows[i];  // the ROLLBACK's sync replaces `rows`
      pipeline->send("ROLLBACK");
      pipeline->sync();
      throw row_count_differs(sent[i], changed, transactions);
    }
    sent.clear();
  };
  auto send = [&](std::string_view sql, StatementRef at) {
    pipeline->send(sql);
    sent.push_back(at);
  };
  // Runs `shape` with `values` by its prepared statement (prepared first if new); false when
  // it is to go as text (refused before, or no room for another prepared statement).
  auto send_shape = [&](std::string_view shape, std::span<const std::uint32_t> types,
                        std::span<const char* const> values, StatementRef at) {
    const auto use = prepared->use(shape, types);
    if (!use) return false;
    if (use->prepare_first) {
      pipeline->prepare(use->name, shape, types);
      sent.push_back(StatementRef{at.transaction, at.index, false, use->id});
    }
    pipeline->send_prepared(use->name, values);
    sent.push_back(at);
    return true;
  };
  auto text_of = [](StatementRef at) -> const std::string& {
    return at.transaction->statements[at.index];
  };
  // A recorded statement by its prepared shape and values, or as it is.
  auto send_recorded = [&](const std::string& statement, StatementRef at) {
    if (prepared != nullptr && shape_statement(statement, shaped) &&
        send_shape(shaped.shape, shaped.types,
                   std::span(shaped.values.values(), shaped.values.size()), at)) {
      return;
    }
    send(statement, at);
  };
  auto send_truncates = [&] {
    if (truncates.empty()) return;
    send(truncates, truncates_at);
    truncates.clear();
  };
  // A multi-row INSERT that cannot be prepared (no room left, refused) goes row by row, each
  // by the one-row shape, or as its text where that cannot be prepared either.
  auto send_inserts = [&] {
    if (run_rows.empty()) return;
    const std::size_t width = run.types.size();
    const char* const* values = run.values.values();
    std::size_t most_rows = std::min(kChunkRows, kMaxParameters / width);
    for (std::size_t first = 0; first < run_rows.size();) {
      const std::size_t rows = std::min(most_rows, std::bit_floor(run_rows.size() - first));
      const std::span chunk_values(values + first * width, rows * width);
      if (!multi_row_insert_shape(run, run_head, rows, chunk_shape, chunk_types) ||
          !send_shape(chunk_shape, chunk_types, chunk_values, run_rows[first])) {
        if (rows > 1) {
          most_rows = 1;
          continue;
        }
        send(text_of(run_rows[first]), run_rows[first]);
      }
      first += rows;
    }
    run_rows.clear();
  };
  // Rows are checked before COMMIT. With nothing to check since the last sync (inserts,
  // truncates), COMMIT goes in the same round trip: a failing statement still keeps it from
  // running, as the server skips the rest of a pipeline after an error.
  auto commit = [&] {
    send_truncates();
    send_inserts();
    if (std::any_of(sent.begin(), sent.end(), [](const StatementRef& at) { return at.one_row; })) {
      sync();
    }
    send("COMMIT", {});
  };
  // Only one apply transaction for the whole group hides what an overwritten UPDATE did.
  const std::vector<bool> skip = overwritten == Overwritten::skipped && !commit_each
                                     ? overwritten_updates(group)
                                     : std::vector<bool>{};
  std::size_t flat_index = 0;
  std::size_t skipped = 0;
  pipeline.emplace(target);
  if (!commit_each) send("BEGIN", {});
  for (const auto& tx : group) {
    if (commit_each) send("BEGIN", {});
    for (std::size_t i = 0; i < tx.statements.size(); ++i, ++flat_index) {
      if (!skip.empty() && skip[flat_index]) {
        ++skipped;
        continue;
      }
      const std::string& statement = tx.statements[i];
      const StatementRef at{&tx, i, changes_one_row(statement)};
      const std::size_t head = inserts == Inserts::merged && prepared != nullptr
                                   ? recorded_statement::single_row_insert_head(statement)
                                   : 0;
      if (head != 0 && shape_statement(statement, shaped)) {
        if (!run_rows.empty() && (shaped.shape != run.shape || shaped.types != run.types)) {
          send_inserts();  // a run of another shape
        }
        if (run_rows.empty()) {
          send_truncates();
          std::swap(run, shaped);
          run_head = head;
        } else {
          for (std::size_t v = 0; v < shaped.values.size(); ++v) {
            if (shaped.values.is_null(v)) {
              run.values.add(std::nullopt);
            } else {
              run.values.add(shaped.values.text(v));
            }
          }
        }
        run_rows.push_back(at);
        if (run_rows.size() == kChunkRows) send_inserts();
        continue;
      }
      if (statement.starts_with(kTruncateOnly)) {
        send_inserts();
        if (truncates.empty()) {
          truncates = statement;
          truncates_at = at;
        } else {
          truncates += ", ";
          truncates.append(statement, kTruncateOnly.size());
        }
        continue;
      }
      send_truncates();
      send_inserts();
      if (statement.starts_with(kDdlSearchPath)) {
        sync();
        pipeline.reset();
        try {
          target.exec(statement);
        } catch (const Error& error) {
          try {
            target.exec("ROLLBACK");
          } catch (const std::exception&) {
            // The connection is gone; so is its transaction.
          }
          throw statement_failed(error, at, transactions);
        }
        // The statements prepared so far may read the tables as they were.
        if (prepared != nullptr) forget_prepared(target, *prepared);
        pipeline.emplace(target);
        continue;
      }
      send_recorded(statement, at);
    }
    send_truncates();  // a TRUNCATE run never spans two source transactions; an INSERT run may
    if (commit_each) commit();
  }
  if (!commit_each) commit();
  sync();
  return skipped;
}

std::optional<std::string> recording_gap(const std::optional<RecordingStart>& oldest,
                                         Lsn backup_lsn) {
  if (!oldest) {
    return fmt::format(
        "recording gap: nothing is recorded, so the transactions committed after the "
        "snapshot at LSN {} cannot be replayed; check that capture and transform run",
        backup_lsn.str());
  }
  if (oldest->commit_lsn > backup_lsn) {
    return fmt::format(
        "recording gap: the oldest recorded transaction committed at LSN {} ({}), after the "
        "snapshot at LSN {}; transactions committed in between may be missing (the recording "
        "started after this backup, or retention removed them), so the session database "
        "could not be exact; pick a start time whose nearest backup was taken while "
        "recording",
        oldest->commit_lsn.str(), session::format_time(oldest->commit_time), backup_lsn.str());
  }
  return std::nullopt;
}

std::optional<std::string> dead_letters_in_window(pg::Connection& store, Lsn backup_lsn,
                                                  Instant through) {
  constexpr int kNamed = 3;
  const auto found = recording::dead_letters::in_window(
      store, {backup_lsn, std::nullopt, session::format_time(through)}, kNamed);
  if (found.count == 0) return std::nullopt;
  return fmt::format(
      "the recording holds {} dead-lettered change(s) committed after the snapshot at LSN {} "
      "and by {}, which the session database cannot have, so it could not be exact: {}; see "
      "`tapedeck statements stats` and tapedeck.dead_letters in the TransformMsg DB, and pick a "
      "window whose backup was taken after them or that ends before them",
      found.count, backup_lsn.str(), session::format_time(through),
      fmt::join(found.described, "; "));
}

std::optional<RecordingStart> recording_start(pg::Connection& store) {
  const auto result = store.exec(recording::statements::kOldestStatement);
  if (result.rows() == 0) return std::nullopt;
  const auto lsn = Lsn::parse(result.text(0, 0));
  if (!lsn) {
    throw Error(ErrorSource::postgres, Recovery::fail,
                fmt::format("msgop: unreadable commit_lsn '{}'", result.text(0, 0)));
  }
  return RecordingStart{*lsn, Instant{Micros{result.get<std::int64_t>(0, 1)}}};
}

std::size_t apply_at_full_speed(pg::Connection& target, std::span<const RecordedTransaction> batch,
                                PreparedShapes& prepared, Overwritten overwritten) {
  try {
    return apply_transactions(target, batch, Inserts::merged, Commits::one_for_the_group, &prepared,
                              overwritten);
  } catch (const Error& merged_failure) {
    // Prepares after the failure were skipped: prepare again from the next batch on (those
    // before it stay on the server, prepared statements being outside transactions).
    forget_prepared(target, prepared);
    // A multi-row INSERT names only its first row. One statement at a time, the batch fails
    // at the very statement that cannot apply (or, should it pass, is applied all the same).
    log::get("msgop")->warn(
        "a batch failed with its inserts merged, its statements prepared and its overwritten "
        "updates left out ({}); applying it again one statement at a time, as recorded, to name "
        "the statement",
        merged_failure.message());
    return apply_transactions(target, batch, Inserts::one_by_one);
  }
}

CatchUpResult catch_up(pg::Connection& store, pg::Connection& target, TransactionFilter filter,
                       const CatchUpOptions& options, const KeepGoing& keep_going) {
  if (options.batch_statements < 1) {
    throw Error(ErrorSource::config, Recovery::invalid,
                "msgop: msgop.batch_statements must be at least 1");
  }
  ReadAhead batches(store, std::move(filter), options.batch_statements,
                    static_cast<std::size_t>(std::max(1, options.queued_batches)));
  CatchUpResult result;
  // Catch-up's statements run prepared by shape; the connection holds no other prepared
  // statements, so the names start afresh.
  PreparedShapes prepared;
  target.exec("DEALLOCATE ALL");
  while (auto batch = batches.next_batch()) {
    result.overwritten += static_cast<std::int64_t>(
        apply_at_full_speed(target, batch->transactions, prepared, options.overwritten));
    result.statements += batch->statements;
    result.transactions += static_cast<std::int64_t>(batch->transactions.size());
    ++result.batches;
    if (keep_going && !keep_going(result)) {
      result.stopped = true;
      break;
    }
  }
  target.exec("DEALLOCATE ALL");
  return result;
}

}  // namespace tapedeck::msgop
