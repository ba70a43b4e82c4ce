// Writes one batch of transform output (statements, RTUS calls, dead letters, watermark)
// into the TransformMsg DB in one transaction.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/lsn.hpp"
#include "core/pg/connection.hpp"
#include "core/rtus_call.hpp"
#include "transform/transaction_check.hpp"

namespace tapedeck::transform {

// Appends `text` in COPY text format (backslash, tab, newline, carriage return escaped).
// Throws Error(input, invalid) for a NUL byte, which PostgreSQL text cannot hold.
void append_copy_text(std::string& out, std::string_view text);

// The op of a statement that replays a schema change (DDL) of the Live DB.
inline constexpr char kSchemaChangeOp = 'D';

// One row of tapedeck.statements.
struct StatementRow {
  std::string_view event_id;
  Lsn commit_lsn;
  std::int64_t position = 0;
  Xid xid;
  std::int64_t commit_time_us = 0;
  std::string_view schema;
  std::string_view table;
  char op = 'c';
  std::string_view sql;
};

struct DeadLetter {
  std::uint64_t stream_sequence = 0;
  std::string subject;
  std::string raw;
  std::string reason;
  // Where the change belongs in the recording, when the message said so far (its capture
  // message id; its source's commit time): sessions over it fail, naming it.
  std::optional<Lsn> commit_lsn;
  std::optional<std::int64_t> commit_time_us;
};

// A table's recorded shape set (`shape` JSON) or forgotten (nullopt: the table was dropped)
// by a schema change committed at `commit_lsn`.
struct ShapeChange {
  std::string schema;
  std::string table;
  std::optional<std::string> shape;
  Lsn commit_lsn;
};

// What one store transaction writes. Statements are kept as COPY text so a batch costs one
// buffer, not one allocation per value. Reuse one Batch (clear()) across batches.
class Batch {
 public:
  // Throws Error(input, invalid) (and adds nothing) when a value cannot be stored as text.
  void add_statement(const StatementRow& row);
  void add_rtus_call(RtusCall call) { rtus_calls_.push_back(std::move(call)); }
  void add_dead_letter(DeadLetter letter) { dead_letters_.push_back(std::move(letter)); }
  void add_shape_change(ShapeChange change) { shape_changes_.push_back(std::move(change)); }
  void add_hold_change(HoldChange change) { hold_changes_.push_back(std::move(change)); }
  void clear();

  std::size_t statements() const { return statement_count_; }
  const std::string& copy_data() const { return copy_data_; }
  const std::vector<RtusCall>& rtus_calls() const { return rtus_calls_; }
  const std::vector<DeadLetter>& dead_letters() const { return dead_letters_; }
  const std::vector<ShapeChange>& shape_changes() const { return shape_changes_; }
  const std::vector<HoldChange>& hold_changes() const { return hold_changes_; }
  bool empty() const {
    return statement_count_ == 0 && rtus_calls_.empty() && dead_letters_.empty() &&
           shape_changes_.empty() && hold_changes_.empty();
  }

 private:
  std::string copy_data_;
  std::string row_;
  std::size_t statement_count_ = 0;
  std::vector<RtusCall> rtus_calls_;
  std::vector<DeadLetter> dead_letters_;
  std::vector<ShapeChange> shape_changes_;
  std::vector<HoldChange> hold_changes_;
};

struct WriteResult {
  std::int64_t statements_stored = 0;  // new rows; the rest were stored before
  std::int64_t rtus_calls_stored = 0;
  std::int64_t dead_letters_stored = 0;
  // Held transactions whose missing messages this batch completed (the watermark may pass).
  std::vector<Lsn> holds_released;
};

// The TransformMsg DB writer. Owns its connection (opened and the schema migrated in the
// constructor). One thread. Every failure throws Error(postgres, ...): retry when the
// server went away (make a new StatementStore), fail otherwise. Storing is idempotent:
// event ids, call ids and (stream, sequence) of dead letters are unique, so writing a
// redelivered batch again stores nothing twice.
class StatementStore {
 public:
  // `stream`: the CDC stream name, recorded with dead letters and used as the watermark row.
  StatementStore(const std::string& dsn, std::string stream);

  // Writes everything in one transaction, with the watermark row moved forward to
  // `watermark` when given (after the batch's holds, so never past one).
  WriteResult write(const Batch& batch, std::optional<Lsn> watermark);
  // Every table shape stored (tapedeck.table_shapes): (schema, table, shape JSON).
  std::vector<std::tuple<std::string, std::string, std::string>> table_shapes();
  // Moves the watermark row forward (never back) on its own.
  void write_watermark(Lsn watermark);

 private:
  void upsert_watermark(Lsn watermark);
  void write_hold_changes(const std::vector<HoldChange>& changes, WriteResult& result);

  pg::Connection connection_;
  std::string stream_;
};

}  // namespace tapedeck::transform
